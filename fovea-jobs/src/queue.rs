//! The queue contract every backend implements: producers add jobs and read their status;
//! workers claim a job under a lease, renew it, report progress and finish it. Every write
//! a worker makes carries its claim's token, so a worker whose lease was lost (frozen,
//! partitioned) can never overwrite the work of the worker that took the job over.

use crate::error::Result;
use crate::options::JobOptions;
use crate::view::{JobState, JobView};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The queue FOVEA's docs name for tracking.
pub const TRACKING_QUEUE: &str = "object-tracking";
/// The tracking job's name.
pub const TRACKING_JOB: &str = "track";

/// What [`JobQueue::add`] did; serialized as `{jobId, duplicate}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobAdded")
)]
pub struct Added {
    /// The job's id (the caller's, or one the queue made).
    #[serde(rename = "jobId")]
    pub id: String,
    /// True when a job with this id already existed: nothing was added.
    pub duplicate: bool,
}

/// A job claimed by a worker: valid while its lease is.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The job.
    pub id: String,
    /// The lease's token (fencing: every write checks it).
    pub token: String,
    /// The job's name.
    pub name: String,
    /// The payload.
    pub data: Value,
    /// The job's options.
    pub opts: JobOptions,
    /// Attempts that ended before this one.
    pub attempts_made: u32,
    /// Attempts started, this one included.
    pub attempts_started: u32,
    /// Cancelled when someone cancels the job while it runs.
    pub cancelled: CancellationToken,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The message (becomes `failedReason`).
    pub message: String,
    /// Details kept in `stacktrace`.
    pub detail: Option<String>,
    /// No retry: the job fails at once (validation, not found, a 4xx answer, cancellation).
    pub unrecoverable: bool,
}

impl Failure {
    /// A failure worth retrying.
    pub fn retryable(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            detail: None,
            unrecoverable: false,
        }
    }

    /// A failure that retrying cannot fix.
    pub fn unrecoverable(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            detail: None,
            unrecoverable: true,
        }
    }
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// The job will be attempted again after this delay.
    Retrying {
        /// The backoff.
        delay: Duration,
    },
    /// The job failed for good.
    Failed,
}

/// What [`JobQueue::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The job had not started: it is now failed with reason "cancelled".
    Failed,
    /// The job is running: its worker has been told to stop; it fails when the worker
    /// stops or its lease expires.
    Signalled,
    /// The job had not started and was removed (BullMQ: no worker holds it to fail it).
    Removed,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobCounts")
)]
pub struct Counts {
    /// Waiting.
    pub waiting: usize,
    /// Prioritized.
    pub prioritized: usize,
    /// Delayed.
    pub delayed: usize,
    /// Active.
    pub active: usize,
    /// Completed (kept).
    pub completed: usize,
    /// Failed (kept).
    pub failed: usize,
}

/// A job queue as producers and status readers see it. Futures are `Send`, so callers run
/// on any tokio runtime.
pub trait JobQueue: Send + Sync + 'static {
    /// The queue's name.
    fn name(&self) -> &str;

    /// Adds a job; a job whose caller-chosen id exists is not added again (idempotent).
    fn add(
        &self,
        name: &str,
        data: Value,
        opts: JobOptions,
    ) -> impl Future<Output = Result<Added>> + Send;

    /// The job's status, or `None` when no job has this id (never added, removed, evicted).
    fn view(&self, id: &str) -> impl Future<Output = Result<Option<JobView>>> + Send;

    /// Jobs in the given states (all when empty), newest first within finished states, in
    /// claim order within ready states; `limit` at most.
    fn list(
        &self,
        states: &[JobState],
        limit: usize,
    ) -> impl Future<Output = Result<Vec<JobView>>> + Send;

    /// How many jobs are in each state.
    fn counts(&self) -> impl Future<Output = Result<Counts>> + Send;

    /// Cancels a job that has not finished.
    fn cancel(&self, id: &str) -> impl Future<Output = Result<Cancelled>> + Send;

    /// Removes a job that is not running; false when there was none.
    fn remove(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Waits until the job has finished (or is gone) and returns its last status.
    fn finished(&self, id: &str) -> impl Future<Output = Result<Option<JobView>>> + Send;

    /// Appends a line to the job's log (BullMQ's job logs, which its clients read with
    /// `getJobLogs`); false when there is no such job, or the queue keeps no logs (the
    /// in-process queue).
    fn add_log(&self, id: &str, line: &str) -> impl Future<Output = Result<bool>> + Send {
        let _ = (id, line);
        async { Ok(false) }
    }
}

/// A queue workers claim jobs from, one lease at a time (the in-process queue; the BullMQ
/// backend's worker claims through BullMQ's own loop instead).
pub trait ClaimQueue: Send + Sync + 'static {
    /// Claims the next ready job for `worker` under a lease of `lease`, waiting up to `wait`
    /// for one; `None` when none came.
    fn claim(
        &self,
        worker: &str,
        lease: Duration,
        wait: Duration,
    ) -> impl Future<Output = Result<Option<Claim>>> + Send;

    /// Renews the claim's lease.
    fn extend(&self, claim: &Claim, lease: Duration) -> impl Future<Output = Result<()>> + Send;

    /// Records progress (a number 0–100 or JSON).
    fn progress(&self, claim: &Claim, value: Value) -> impl Future<Output = Result<()>> + Send;

    /// Finishes the attempt with a result.
    fn complete(&self, claim: &Claim, result: Value) -> impl Future<Output = Result<()>> + Send;

    /// Finishes the attempt with a failure: retried after the job's backoff while attempts
    /// remain and the failure is recoverable, otherwise failed.
    fn fail(
        &self,
        claim: &Claim,
        failure: Failure,
    ) -> impl Future<Output = Result<FailOutcome>> + Send;

    /// Gives the job back unfinished (a worker shutting down): ready again at once, its
    /// attempts unchanged.
    fn hand_back(&self, claim: &Claim) -> impl Future<Output = Result<()>> + Send;
}
