//! The BullMQ backend (feature `bullmq`): jobs live in Redis in BullMQ's layout, so FOVEA's
//! Node backend (`bullmq` from npm), Python (`bullmq` from PyPI) and this crate share one
//! queue. It runs over the official Rust port, `bullmq-official`, pinned to an exact version
//! (it speaks BullMQ 6's scripts, whose Redis layout FOVEA's BullMQ 5 reads and writes too).
//!
//! - [`BullQueue`] implements [`JobQueue`]: add (idempotent ids), status read straight from
//!   the job hash (so jobs written by any client read the same), list, counts, cancel, remove.
//! - [`BullWorker`] runs a [`Handler`] inside BullMQ's worker loop (its leases, lock renewal,
//!   stalled sweep, retries and retention), with fovea's attempt rules on top: time limit,
//!   cancellation, throttled and fenced progress, unrecoverable failures, hand-back on
//!   shutdown.
//! - Pausing or resuming a queue that a BullMQ 5 client has marked is refused unless allowed:
//!   across majors a pause loses jobs (BullMQ 5 pauses by renaming the wait list, and its
//!   resume overwrites what a BullMQ 6 client added meanwhile).
//!
//! Durability is Redis's: with AOF on (`appendonly yes`), a Redis restart mid-job loses
//! nothing (the worker reconnects; the job completes or is redelivered). With persistence off
//! a restart empties the queue: every job — queued, delayed or running — is gone, its status
//! reads as "no such job", and a running job's late result is refused (its lock is gone), so
//! nothing half-exists. Producers recover by re-adding with the same ids (idempotent).

use crate::attempt::{self, AttemptLease, Ending, Stop, Timing};
use crate::error::{JobError, Result};
use crate::memory::QueueSettings;
use crate::options::{BackoffKind, JobOptions, Keep};
use crate::queue::{Added, Cancelled, Claim, Counts, Failure, JobQueue};
use crate::view::{JobState, JobView};
use crate::worker::{Handler, WorkerOptions, WorkerReport};
use bullmq::types::{BackoffStrategy, JobProgress, KeepJobs, RemoveOnFinish};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The hash field fovea sets on a running job to ask its worker to stop (other BullMQ
/// clients keep foreign fields as they are).
pub const CANCEL_FIELD: &str = "foveaCancel";

/// How to reach the queue.
#[derive(Debug, Clone)]
pub struct BullOptions {
    /// `redis://host:port[/db]`.
    pub url: String,
    /// Key prefix (BullMQ's default `bull`).
    pub prefix: String,
    /// Defaults for added jobs and the payload limit.
    pub settings: QueueSettings,
    /// Allow pause and resume on a queue a BullMQ 5 client uses (they lose jobs there).
    pub allow_cross_major: bool,
}

impl BullOptions {
    /// FOVEA's defaults at `url`.
    pub fn new(url: &str) -> Self {
        BullOptions {
            url: url.to_owned(),
            prefix: "bull".into(),
            settings: QueueSettings::default(),
            allow_cross_major: false,
        }
    }

    fn connection(&self) -> bullmq::options::RedisConnectionOptions {
        bullmq::options::RedisConnectionOptions {
            url: self.url.clone(),
            ..Default::default()
        }
    }
}

fn backend(e: impl std::fmt::Display) -> JobError {
    JobError::Backend(e.to_string())
}

/// A BullMQ queue.
#[derive(Clone)]
pub struct BullQueue {
    queue: Arc<bullmq::Queue>,
    name: String,
    options: BullOptions,
}

impl std::fmt::Debug for BullQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BullQueue")
            .field("name", &self.name)
            .finish()
    }
}

impl BullQueue {
    /// Connects to the queue `name`.
    pub async fn connect(name: &str, options: BullOptions) -> Result<Self> {
        let queue = bullmq::Queue::with_options(
            name,
            bullmq::options::QueueOptions {
                connection: options.connection(),
                prefix: options.prefix.clone(),
                ..Default::default()
            },
        )
        .await
        .map_err(backend)?;
        Ok(BullQueue {
            queue: Arc::new(queue),
            name: name.to_owned(),
            options,
        })
    }

    async fn cmd<T: redis::FromRedisValue>(&self, cmd: &mut redis::Cmd) -> Result<T> {
        self.queue.connection().cmd(cmd).await.map_err(backend)
    }

    /// How the queue was reached.
    pub fn options(&self) -> &BullOptions {
        &self.options
    }

    /// The BullMQ version that marked the queue (`meta.version`, written by Node and Python
    /// clients, e.g. `bullmq:5.59.0`), if any.
    pub async fn marked_version(&self) -> Result<Option<String>> {
        self.cmd(
            redis::cmd("HGET")
                .arg(self.queue.keys().meta())
                .arg("version"),
        )
        .await
    }

    async fn guard_major(&self, operation: &'static str) -> Result<()> {
        if self.options.allow_cross_major {
            return Ok(());
        }
        match self.marked_version().await? {
            Some(v) if v.starts_with("bullmq:5.") || v.starts_with("bullmq:4.") => {
                Err(JobError::Refused {
                    operation,
                    reason: format!(
                        "queue {} is used by {v}, whose paused-list layout differs from BullMQ 6's: jobs added while paused would be lost; upgrade that client to BullMQ 6 or set allow_cross_major",
                        self.name
                    ),
                })
            }
            _ => Ok(()),
        }
    }

    /// Pauses the queue (workers stop taking jobs).
    pub async fn pause(&self) -> Result<()> {
        self.guard_major("pause").await?;
        self.queue.pause().await.map_err(backend)
    }

    /// Resumes a paused queue.
    pub async fn resume(&self) -> Result<()> {
        self.guard_major("resume").await?;
        self.queue.resume().await.map_err(backend)
    }

    /// Deletes the queue and all its jobs.
    pub async fn obliterate(&self) -> Result<()> {
        self.queue.obliterate(true, 1000).await.map_err(backend)
    }

    /// Closes the connection.
    pub async fn close(&self) {
        self.queue.close().await;
    }

    async fn state(&self, id: &str) -> Result<JobState> {
        let s = self.queue.get_job_state(id).await.map_err(backend)?;
        Ok(match s {
            bullmq::types::JobState::Waiting => JobState::Waiting,
            bullmq::types::JobState::Active => JobState::Active,
            bullmq::types::JobState::Delayed => JobState::Delayed,
            bullmq::types::JobState::Prioritized => JobState::Prioritized,
            bullmq::types::JobState::Completed => JobState::Completed,
            bullmq::types::JobState::Failed => JobState::Failed,
            bullmq::types::JobState::WaitingChildren => JobState::WaitingChildren,
            _ => JobState::Unknown,
        })
    }
}

/// fovea's options as BullMQ's (refusing what BullMQ jobs cannot carry).
fn bull_options(opts: &JobOptions) -> Result<bullmq::options::JobOptions> {
    if opts.timeout.is_some() {
        return Err(JobError::InvalidOptions {
            field: "timeout",
            message: "BullMQ jobs do not carry a time limit; set the worker's timeout".into(),
        });
    }
    let backoff = match opts.backoff {
        Some(b) if b.jitter.is_some() => {
            return Err(JobError::InvalidOptions {
                field: "backoff.jitter",
                message: "not supported by the BullMQ backend".into(),
            });
        }
        Some(b) => Some(match b.kind {
            BackoffKind::Fixed => BackoffStrategy::Fixed(b.delay),
            BackoffKind::Exponential => BackoffStrategy::Exponential(b.delay),
        }),
        None => None,
    };
    let keep = |k: Keep| match (k.count, k.age_secs) {
        (None, None) => RemoveOnFinish::Bool(false),
        (Some(0), None) => RemoveOnFinish::Bool(true),
        (Some(n), None) => RemoveOnFinish::Count(n as usize),
        (count, Some(age)) => RemoveOnFinish::Options(KeepJobs {
            age: Some(age),
            count: count.map(|n| n as usize),
            limit: None,
        }),
    };
    Ok(bullmq::options::JobOptions {
        job_id: opts.job_id.clone(),
        attempts: Some(opts.attempts),
        backoff,
        remove_on_complete: Some(keep(opts.remove_on_complete)),
        remove_on_fail: Some(keep(opts.remove_on_fail)),
        delay: (opts.delay > 0).then_some(opts.delay),
        priority: (opts.priority > 0).then_some(opts.priority),
        lifo: opts.lifo.then_some(true),
        ..Default::default()
    })
}

/// Appends ARGV[1] to the logs (KEYS[2]) of the job (KEYS[1]) when the job exists (as
/// BullMQ's own `addLog` does); the new length, or -1 without the job.
const ADD_LOG: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then \
    return redis.call('RPUSH', KEYS[2], ARGV[1]) end return -1";

impl JobQueue for BullQueue {
    fn name(&self) -> &str {
        &self.name
    }

    async fn add_log(&self, id: &str, line: &str) -> Result<bool> {
        let key = self.queue.keys().job_key(id);
        let logs = format!("{key}:logs");
        let length: i64 = self
            .cmd(
                redis::cmd("EVAL")
                    .arg(ADD_LOG)
                    .arg(2)
                    .arg(&key)
                    .arg(&logs)
                    .arg(line),
            )
            .await?;
        Ok(length >= 0)
    }

    async fn add(&self, name: &str, data: Value, opts: JobOptions) -> Result<Added> {
        opts.check()?;
        let limit = opts.size_limit.unwrap_or(self.options.settings.size_limit);
        let size = serde_json::to_string(&data).map(|s| s.len()).unwrap_or(0);
        if size > limit {
            return Err(JobError::PayloadTooLarge {
                id: opts.job_id.clone().unwrap_or_default(),
                size,
                limit,
            });
        }
        let existed = match &opts.job_id {
            Some(id) => {
                let n: i64 = self
                    .cmd(redis::cmd("EXISTS").arg(self.queue.keys().job_key(id)))
                    .await?;
                n > 0
            }
            None => false,
        };
        let job = self
            .queue
            .add(name, data)
            .options(bull_options(&opts)?)
            .await
            .map_err(backend)?;
        Ok(Added {
            id: job.id().to_owned(),
            duplicate: existed,
        })
    }

    /// The state is read before the hash: a job that finishes in between shows its finished
    /// fields under an older state, never a finished state without its result.
    async fn view(&self, id: &str) -> Result<Option<JobView>> {
        let state = self.state(id).await?;
        let hash: HashMap<String, String> = self
            .cmd(redis::cmd("HGETALL").arg(self.queue.keys().job_key(id)))
            .await?;
        if hash.is_empty() {
            return Ok(None);
        }
        Ok(Some(JobView::from_bullmq_hash(
            &self.name, id, state, &hash,
        )))
    }

    async fn list(&self, states: &[JobState], limit: usize) -> Result<Vec<JobView>> {
        let names: Vec<&str> = states
            .iter()
            .map(|s| match s {
                JobState::Waiting => "waiting",
                other => other.as_str(),
            })
            .collect();
        let end = limit.saturating_sub(1) as i64;
        let ids = self
            .queue
            .get_ranges(&names, 0, end, false)
            .await
            .map_err(backend)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.into_iter().take(limit) {
            if let Some(v) = self.view(&id).await? {
                out.push(v);
            }
        }
        Ok(out)
    }

    async fn counts(&self) -> Result<Counts> {
        let c = self.queue.get_job_counts().await.map_err(backend)?;
        Ok(Counts {
            waiting: c.waiting as usize,
            prioritized: c.prioritized as usize,
            delayed: c.delayed as usize,
            active: c.active as usize,
            completed: c.completed as usize,
            failed: c.failed as usize,
        })
    }

    /// A queued job is removed (BullMQ has no way to fail a job no worker holds); a running
    /// one is flagged, and its fovea worker stops it and fails it with "cancelled".
    async fn cancel(&self, id: &str) -> Result<Cancelled> {
        match self.state(id).await? {
            JobState::Unknown => Err(JobError::NotFound(id.to_owned())),
            s @ (JobState::Completed | JobState::Failed) => Err(JobError::InvalidState {
                id: id.to_owned(),
                state: s.as_str(),
                operation: "cancel",
            }),
            JobState::Active => {
                let _: i64 = self
                    .cmd(
                        redis::cmd("HSET")
                            .arg(self.queue.keys().job_key(id))
                            .arg(CANCEL_FIELD)
                            .arg(1),
                    )
                    .await?;
                Ok(Cancelled::Signalled)
            }
            _ => {
                self.queue.remove(id).await.map_err(backend)?;
                Ok(Cancelled::Removed)
            }
        }
    }

    async fn remove(&self, id: &str) -> Result<bool> {
        match self.state(id).await? {
            JobState::Unknown => Ok(false),
            JobState::Active => Err(JobError::InvalidState {
                id: id.to_owned(),
                state: "active",
                operation: "remove",
            }),
            _ => self.queue.remove(id).await.map_err(backend),
        }
    }

    /// Polls the job's state (every 50 ms, backing off to 1 s).
    async fn finished(&self, id: &str) -> Result<Option<JobView>> {
        let mut pause = Duration::from_millis(50);
        loop {
            match self.view(id).await? {
                Some(v) if v.state.is_finished() => return Ok(Some(v)),
                None => return Ok(None),
                Some(_) => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}

/// A worker on a BullMQ queue.
pub struct BullWorker {
    worker: Arc<bullmq::Worker>,
    /// Drains the port's event channel (unbounded: undrained, it would grow by two events a
    /// job) and counts what BullMQ recorded.
    events: tokio::task::JoinHandle<()>,
    abandon: CancellationToken,
    counters: Arc<BullCounters>,
}

impl std::fmt::Debug for BullWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BullWorker")
            .field("id", &self.worker.id())
            .finish()
    }
}

#[derive(Debug, Default)]
struct BullCounters {
    completed: AtomicU64,
    failed: AtomicU64,
    handed_back: AtomicU64,
    stale: AtomicU64,
    backend_errors: AtomicU64,
}

impl BullCounters {
    fn report(&self) -> WorkerReport {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerReport {
            completed: n(&self.completed),
            failed: n(&self.failed),
            retried: 0,
            handed_back: n(&self.handed_back),
            stale: n(&self.stale),
            backend_errors: n(&self.backend_errors),
        }
    }
}

/// Counts the finishes BullMQ's scripts accepted (a result whose lock was lost — the job
/// was redelivered, or Redis restarted without its data — is refused there and not counted)
/// and the backend's errors, until the worker closes.
async fn count_events(worker: Arc<bullmq::Worker>, counters: Arc<BullCounters>) {
    use bullmq::worker::WorkerEvent;
    let add = |c: &AtomicU64| c.fetch_add(1, Ordering::Relaxed);
    while let Some(event) = worker.next_event().await {
        match event {
            WorkerEvent::Completed { .. } => add(&counters.completed),
            WorkerEvent::Failed { .. } => add(&counters.failed),
            WorkerEvent::Error(_) => add(&counters.backend_errors),
            WorkerEvent::Closed => break,
            _ => 0,
        };
    }
}

/// The lease of an attempt inside BullMQ's loop: BullMQ renews the lock; fovea checks for a
/// cancellation and fences progress with the lock token.
struct BullLease {
    job: tokio::sync::Mutex<bullmq::Job>,
    conn: bullmq::redis_connection::RedisConnection,
    key: String,
    token: String,
    lock_ms: u64,
}

impl AttemptLease for BullLease {
    async fn keep_alive(&self) -> Result<(), Stop> {
        let flag: Option<String> = self
            .conn
            .cmd(redis::cmd("HGET").arg(&self.key).arg(CANCEL_FIELD))
            .await
            .unwrap_or(None);
        if flag.is_some() {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }

    async fn write_progress(&self, value: Value) -> Result<(), Stop> {
        let mut job = self.job.lock().await;
        if job.extend_lock(&self.token, self.lock_ms).await.is_err() {
            return Err(Stop::LeaseLost);
        }
        // As JSON, so 100 stays 100 (the port's Number variant writes 100.0).
        let _ = job.update_progress(JobProgress::Object(value)).await;
        Ok(())
    }
}

/// How often a worker looks for stalled jobs: half the lease. A job whose worker died is moved
/// back to wait by the first check that finds it marked (by the check before) with its lock
/// expired, so within lease + interval of the death (45 s with the default 30 s lease) — and
/// within 2 × interval + lease of a worker's start (a new worker's first check waits one
/// interval). BullMQ's default interval (the lease) allowed 60–90 s. A check moves only jobs
/// whose lock is gone, so a shorter interval never takes a live worker's job.
pub fn stalled_interval(lease: Duration) -> u64 {
    (lease.as_millis() as u64 / 2).max(1)
}

impl BullWorker {
    /// Starts a worker on queue `name` running `handler`.
    pub async fn start<H: Handler>(
        name: &str,
        handler: Arc<H>,
        options: WorkerOptions,
        bull: &BullOptions,
    ) -> Result<BullWorker> {
        let abandon = CancellationToken::new();
        let counters = Arc::new(BullCounters::default());
        let conn = bullmq::redis_connection::RedisConnection::new_managed_only(&bull.connection())
            .await
            .map_err(backend)?;
        let keys = bullmq::QueueKeys::new(name, Some(&bull.prefix));
        let lock_ms = options.lease.as_millis() as u64;
        let timing = Timing {
            keep_alive_every: Duration::from_secs(1).min(options.lease / 2),
            progress_every: options.progress_interval,
            timeout: options.timeout,
        };
        let processor = {
            let (abandon, counters) = (abandon.clone(), counters.clone());
            move |job: bullmq::Job, token: bullmq::worker::CancellationToken| {
                let (handler, abandon, counters) =
                    (handler.clone(), abandon.clone(), counters.clone());
                let (conn, key) = (conn.clone(), keys.job_key(job.id()));
                async move {
                    let claim = Arc::new(claim_of(&job));
                    // BullMQ's own cancellation (its worker closing) cancels ours; polled
                    // beside the attempt in this task (no task of its own per job).
                    let bridge = {
                        let ours = claim.cancelled.clone();
                        async move {
                            token.cancelled().await;
                            ours.cancel();
                            std::future::pending::<Ending>().await
                        }
                    };
                    let lease = BullLease {
                        token: claim.token.clone(),
                        job: tokio::sync::Mutex::new(job),
                        conn,
                        key,
                        lock_ms,
                    };
                    let ending = tokio::select! {
                        ending = attempt::run(&*handler, claim.clone(), &lease, timing, &abandon) => ending,
                        never = bridge => never,
                    };
                    let add = |c: &AtomicU64| c.fetch_add(1, Ordering::Relaxed);
                    match ending {
                        Ending::Done(Ok(v)) => Ok(v),
                        Ending::HandBack => {
                            let job = lease.job.lock().await;
                            match job.move_to_wait(Some(&lease.token)).await {
                                Ok(_) => add(&counters.handed_back),
                                Err(_) => add(&counters.stale),
                            };
                            Err(bullmq::Error::Delayed)
                        }
                        Ending::LostLease => {
                            add(&counters.stale);
                            Err(bullmq::Error::ProcessingError(
                                "the job's lock was lost".into(),
                            ))
                        }
                        failed => {
                            let f: Failure = failed.failure().expect("a failing ending");
                            Err(if f.unrecoverable {
                                bullmq::Error::Unrecoverable(f.message)
                            } else {
                                bullmq::Error::ProcessingError(f.message)
                            })
                        }
                    }
                }
            }
        };
        let worker = bullmq::Worker::with_options(
            name,
            processor,
            bullmq::options::WorkerOptions {
                connection: bull.connection(),
                prefix: bull.prefix.clone(),
                name: Some(options.name.clone()),
                concurrency: options.concurrency.max(1),
                lock_duration: lock_ms,
                stalled_interval: stalled_interval(options.lease),
                max_stalled_count: bull.settings.max_stalled,
                drain_delay: options.claim_wait.as_secs().max(1),
                autorun: true,
                ..Default::default()
            },
        )
        .await
        .map_err(backend)?;
        let worker = Arc::new(worker);
        let events = tokio::spawn(count_events(worker.clone(), counters.clone()));
        Ok(BullWorker {
            worker,
            events,
            abandon,
            counters,
        })
    }

    /// What the worker has done so far (`failed` counts failed attempts, retried or not).
    pub fn report(&self) -> WorkerReport {
        self.counters.report()
    }

    /// Stops taking jobs; running jobs get `grace` to finish, then are handed back.
    pub async fn shutdown(self, grace: Duration) -> WorkerReport {
        let abandon = self.abandon.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            abandon.cancel();
        });
        let _ = self
            .worker
            .close((grace + Duration::from_secs(10)).as_millis() as u64)
            .await;
        timer.abort();
        // Every finish is counted once the port has said it closed (bounded, should a close
        // that timed out never say so).
        let mut events = self.events;
        if tokio::time::timeout(Duration::from_secs(5), &mut events)
            .await
            .is_err()
        {
            events.abort();
        }
        self.counters.report()
    }
}

/// The claim fovea's attempt sees for a job BullMQ handed to the processor. Of the options
/// only `attempts` matters here: retries, backoff and retention are BullMQ's to apply, and a
/// per-job `timeout` cannot reach a BullMQ job (adding one is refused), so the worker's own
/// time limit is the one that applies.
fn claim_of(job: &bullmq::Job) -> Claim {
    let o = job.opts();
    let opts = JobOptions {
        job_id: Some(job.id().to_owned()),
        attempts: o.attempts.unwrap_or(1),
        ..JobOptions::default()
    };
    Claim {
        id: job.id().to_owned(),
        token: job.token().unwrap_or_default().to_owned(),
        name: job.name().to_owned(),
        data: job.data().clone(),
        opts,
        attempts_made: job.attempts_made(),
        attempts_started: job.attempts_started(),
        cancelled: CancellationToken::new(),
    }
}
