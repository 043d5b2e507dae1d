//! The worker runtime: claims jobs from a [`JobQueue`] and runs a [`Handler`] on each, at
//! most `concurrency` at a time; renews the leases of running jobs; enforces each job's
//! timeout and cancellation; throttles progress; finishes every attempt through the claim's
//! token (so a worker that lost its lease cannot overwrite anyone's result); and on shutdown
//! stops claiming, lets running jobs finish within a grace period and hands the rest back.

use crate::error::JobError;
use crate::queue::{Claim, FailOutcome, Failure, JobQueue};
use futures_util::FutureExt;
use serde_json::Value;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Does the work of a job.
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt. An `Err` with [`Failure::unrecoverable`] fails the job at once;
    /// other errors are retried while attempts remain. The future is dropped when the job is
    /// cancelled, times out or its lease is lost.
    fn handle(&self, job: JobContext) -> impl Future<Output = Result<Value, Failure>> + Send;
}

/// Any `async` function of a [`JobContext`] is a handler.
impl<F, Fut> Handler for F
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, Failure>> + Send,
{
    fn handle(&self, job: JobContext) -> impl Future<Output = Result<Value, Failure>> + Send {
        self(job)
    }
}

/// What a handler sees of its job.
#[derive(Debug, Clone)]
pub struct JobContext {
    claim: Arc<Claim>,
    progress: Arc<Mutex<Option<Value>>>,
}

impl JobContext {
    /// The job's id.
    pub fn id(&self) -> &str {
        &self.claim.id
    }

    /// The job's name.
    pub fn name(&self) -> &str {
        &self.claim.name
    }

    /// The payload.
    pub fn data(&self) -> &Value {
        &self.claim.data
    }

    /// Attempts that ended before this one (0 on the first).
    pub fn attempts_made(&self) -> u32 {
        self.claim.attempts_made
    }

    /// Cancelled when the job is cancelled or its lease is lost: long handlers that block
    /// should check it.
    pub fn cancelled(&self) -> &CancellationToken {
        &self.claim.cancelled
    }

    /// Reports progress (a number 0–100 or JSON). Cheap: the latest value is written to the
    /// queue at most once per the worker's progress interval, and when the attempt ends.
    pub fn progress(&self, value: impl Into<Value>) {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner()) = Some(value.into());
    }

    fn take_progress(&self) -> Option<Value> {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The worker's name (lease tokens start with it); default: a fresh uuid.
    pub name: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long a claim stays valid without renewal (BullMQ's `lockDuration`, 30 s).
    pub lease: Duration,
    /// How long one claim call waits for a job before it is tried again.
    pub claim_wait: Duration,
    /// Least time between two progress writes of a job.
    pub progress_interval: Duration,
    /// A time limit for jobs that set none (`timeout` option); `None`: no limit.
    pub timeout: Option<Duration>,
    /// The pause after the queue's backend fails before claiming again.
    pub retry_backend_after: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            name: uuid::Uuid::new_v4().to_string(),
            concurrency: 1,
            lease: Duration::from_secs(30),
            claim_wait: Duration::from_secs(5),
            progress_interval: Duration::from_millis(250),
            timeout: None,
            retry_backend_after: Duration::from_secs(1),
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorkerReport {
    /// Attempts that completed their job.
    pub completed: u64,
    /// Attempts that failed their job for good.
    pub failed: u64,
    /// Attempts that failed and will be retried.
    pub retried: u64,
    /// Jobs handed back at shutdown.
    pub handed_back: u64,
    /// Attempts whose result was refused because the lease had been lost.
    pub stale: u64,
    /// Errors of the queue's backend (claims retried after a pause).
    pub backend_errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    completed: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    handed_back: AtomicU64,
    stale: AtomicU64,
    backend_errors: AtomicU64,
}

impl Counters {
    fn report(&self) -> WorkerReport {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerReport {
            completed: n(&self.completed),
            failed: n(&self.failed),
            retried: n(&self.retried),
            handed_back: n(&self.handed_back),
            stale: n(&self.stale),
            backend_errors: n(&self.backend_errors),
        }
    }

    fn add(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// A running worker.
#[derive(Debug)]
pub struct Worker {
    stop: CancellationToken,
    abandon: CancellationToken,
    counters: Arc<Counters>,
    main: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts a worker on the current tokio runtime.
    pub fn start<Q: JobQueue, H: Handler>(
        queue: Arc<Q>,
        handler: Arc<H>,
        options: WorkerOptions,
    ) -> Worker {
        let stop = CancellationToken::new();
        let abandon = CancellationToken::new();
        let counters = Arc::new(Counters::default());
        let main = tokio::spawn(run(
            queue,
            handler,
            Arc::new(options),
            stop.clone(),
            abandon.clone(),
            counters.clone(),
        ));
        Worker {
            stop,
            abandon,
            counters,
            main,
        }
    }

    /// What the worker has done so far.
    pub fn report(&self) -> WorkerReport {
        self.counters.report()
    }

    /// Stops claiming; running jobs get `grace` to finish, then they are cancelled and handed
    /// back to the queue (ready at once for another worker, attempts unchanged).
    pub async fn shutdown(self, grace: Duration) -> WorkerReport {
        self.stop.cancel();
        let abandon = self.abandon.clone();
        let main = self.main;
        tokio::pin!(main);
        tokio::select! {
            _ = &mut main => {}
            _ = tokio::time::sleep(grace) => {
                abandon.cancel();
                let _ = main.await;
            }
        }
        self.counters.report()
    }

    /// Simulates a crash: every task stops where it is, nothing is written back (the queue
    /// redelivers the jobs when their leases expire). For tests of the queue's recovery.
    pub fn kill(self) {
        self.main.abort();
    }
}

async fn run<Q: JobQueue, H: Handler>(
    queue: Arc<Q>,
    handler: Arc<H>,
    opts: Arc<WorkerOptions>,
    stop: CancellationToken,
    abandon: CancellationToken,
    counters: Arc<Counters>,
) {
    let slots = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("the semaphore stays open"),
            _ = stop.cancelled() => break,
        };
        let claimed = tokio::select! {
            c = queue.claim(&opts.name, opts.lease, opts.claim_wait) => c,
            _ = stop.cancelled() => break,
        };
        match claimed {
            Ok(Some(claim)) => {
                let job = run_job(
                    queue.clone(),
                    handler.clone(),
                    opts.clone(),
                    claim,
                    abandon.clone(),
                    counters.clone(),
                );
                tasks.spawn(async move {
                    job.await;
                    drop(permit);
                });
            }
            Ok(None) => {}
            Err(JobError::Closed) => break,
            Err(_) => {
                Counters::add(&counters.backend_errors);
                tokio::select! {
                    _ = tokio::time::sleep(opts.retry_backend_after) => {}
                    _ = stop.cancelled() => break,
                }
            }
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// How an attempt ended.
enum Ending {
    Done(Result<Value, Failure>),
    Cancelled,
    TimedOut(Duration),
    HandBack,
    LostLease,
}

async fn run_job<Q: JobQueue, H: Handler>(
    queue: Arc<Q>,
    handler: Arc<H>,
    opts: Arc<WorkerOptions>,
    claim: Claim,
    abandon: CancellationToken,
    counters: Arc<Counters>,
) {
    let claim = Arc::new(claim);
    let ctx = JobContext {
        claim: claim.clone(),
        progress: Arc::default(),
    };
    let timeout = claim
        .opts
        .timeout
        .map(Duration::from_millis)
        .or(opts.timeout);
    let work = AssertUnwindSafe(handler.handle(ctx.clone())).catch_unwind();
    tokio::pin!(work);
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let renew_every = opts.lease / 2;
    let mut renew =
        tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
    let mut flush = tokio::time::interval_at(
        tokio::time::Instant::now() + opts.progress_interval,
        opts.progress_interval,
    );
    let ending = loop {
        tokio::select! {
            biased;
            r = &mut work => break Ending::Done(r.unwrap_or_else(|panic| Err(panic_failure(panic)))),
            _ = claim.cancelled.cancelled() => break Ending::Cancelled,
            _ = abandon.cancelled() => break Ending::HandBack,
            _ = sleep_until(deadline) => break Ending::TimedOut(timeout.unwrap_or_default()),
            _ = renew.tick() => {
                if let Err(JobError::StaleLease { .. }) = queue.extend(&claim, opts.lease).await {
                    break Ending::LostLease;
                }
            }
            _ = flush.tick() => {
                if let Some(p) = ctx.take_progress()
                    && let Err(JobError::StaleLease { .. }) = queue.progress(&claim, p).await
                {
                    break Ending::LostLease;
                }
            }
        }
    };
    if let Some(p) = ctx.take_progress() {
        let _ = queue.progress(&claim, p).await;
    }
    let written = match ending {
        Ending::Done(Ok(value)) => queue
            .complete(&claim, value)
            .await
            .map(|()| Counters::add(&counters.completed)),
        Ending::Done(Err(failure)) => fail(&*queue, &claim, failure, &counters).await,
        Ending::Cancelled => {
            fail(
                &*queue,
                &claim,
                Failure::unrecoverable(crate::memory::CANCELLED_REASON),
                &counters,
            )
            .await
        }
        Ending::TimedOut(t) => {
            let failure = Failure::retryable(format!("job timed out after {} ms", t.as_millis()));
            fail(&*queue, &claim, failure, &counters).await
        }
        Ending::HandBack => queue
            .hand_back(&claim)
            .await
            .map(|()| Counters::add(&counters.handed_back)),
        Ending::LostLease => Err(JobError::StaleLease {
            id: claim.id.clone(),
            token: claim.token.clone(),
        }),
    };
    match written {
        Ok(()) => {}
        Err(JobError::StaleLease { .. }) => Counters::add(&counters.stale),
        Err(_) => Counters::add(&counters.backend_errors),
    }
}

async fn fail<Q: JobQueue>(
    queue: &Q,
    claim: &Claim,
    failure: Failure,
    counters: &Counters,
) -> crate::Result<()> {
    match queue.fail(claim, failure).await? {
        FailOutcome::Retrying { .. } => Counters::add(&counters.retried),
        FailOutcome::Failed => Counters::add(&counters.failed),
    }
    Ok(())
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// A panic in a handler fails the attempt (retried while attempts remain: a panic that
/// repeats exhausts them) instead of killing the worker.
fn panic_failure(panic: Box<dyn std::any::Any + Send>) -> Failure {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Failure::retryable(format!("handler panicked: {message}"))
}
