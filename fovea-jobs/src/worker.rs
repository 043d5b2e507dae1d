//! The worker runtime: claims jobs from a [`ClaimQueue`] and runs a [`Handler`] on each, at
//! most `concurrency` at a time; renews the leases of running jobs; enforces each job's
//! timeout and cancellation; throttles progress; finishes every attempt through the claim's
//! token (so a worker that lost its lease cannot overwrite anyone's result); and on shutdown
//! stops claiming, lets running jobs finish within a grace period and hands the rest back.

use crate::attempt::{self, AttemptLease, Ending, Stop, Timing};
use crate::error::JobError;
pub use crate::handler::{Handler, JobContext};
use crate::queue::{Claim, ClaimQueue, FailOutcome, Failure};
use futures_util::FutureExt;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

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
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    pub fn start<Q: ClaimQueue, H: Handler>(
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

async fn run<Q: ClaimQueue, H: Handler>(
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
                let mut job = Box::pin(run_job(
                    queue.clone(),
                    handler.clone(),
                    opts.clone(),
                    claim,
                    abandon.clone(),
                    counters.clone(),
                ));
                // A job done at its first poll (a short handler; the queue's writes are
                // synchronous in process) finishes here: no task, no hop between threads.
                // Otherwise it goes on in a task of its own (polled again there, so whatever
                // it waits for is registered with that task's waker).
                if (&mut job).now_or_never().is_some() {
                    drop(permit);
                    // Yield when this task's budget is spent, so a stream of short jobs
                    // never starves the runtime's other tasks.
                    tokio::task::consume_budget().await;
                    continue;
                }
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

/// The in-process lease of an attempt: renewals and progress through the claim's token.
struct QueueLease<'a, Q> {
    queue: &'a Q,
    claim: &'a Claim,
    lease: Duration,
}

fn stop_on_stale(r: crate::Result<()>) -> Result<(), Stop> {
    match r {
        Err(JobError::StaleLease { .. }) => Err(Stop::LeaseLost),
        _ => Ok(()),
    }
}

impl<Q: ClaimQueue> AttemptLease for QueueLease<'_, Q> {
    async fn keep_alive(&self) -> Result<(), Stop> {
        stop_on_stale(self.queue.extend(self.claim, self.lease).await)
    }

    async fn write_progress(&self, value: Value) -> Result<(), Stop> {
        stop_on_stale(self.queue.progress(self.claim, value).await)
    }
}

async fn run_job<Q: ClaimQueue, H: Handler>(
    queue: Arc<Q>,
    handler: Arc<H>,
    opts: Arc<WorkerOptions>,
    claim: Claim,
    abandon: CancellationToken,
    counters: Arc<Counters>,
) {
    let claim = Arc::new(claim);
    let timing = Timing {
        keep_alive_every: opts.lease / 2,
        progress_every: opts.progress_interval,
        timeout: claim
            .opts
            .timeout
            .map(Duration::from_millis)
            .or(opts.timeout),
    };
    let lease = QueueLease {
        queue: &*queue,
        claim: &claim,
        lease: opts.lease,
    };
    let ending = attempt::run(&*handler, claim.clone(), &lease, timing, &abandon).await;
    let written = match ending {
        Ending::Done(Ok(value)) => queue
            .complete(&claim, value)
            .await
            .map(|()| Counters::add(&counters.completed)),
        Ending::HandBack => queue
            .hand_back(&claim)
            .await
            .map(|()| Counters::add(&counters.handed_back)),
        Ending::LostLease => Err(JobError::StaleLease {
            id: claim.id.clone(),
            token: claim.token.clone(),
        }),
        failed => {
            let failure = failed
                .failure()
                .expect("the other endings fail the attempt");
            fail(&*queue, &claim, failure, &counters).await
        }
    };
    match written {
        Ok(()) => {}
        Err(JobError::StaleLease { .. }) => Counters::add(&counters.stale),
        Err(_) => Counters::add(&counters.backend_errors),
    }
}

async fn fail<Q: ClaimQueue>(
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
