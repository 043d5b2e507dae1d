//! What a job's handler implements ([`Handler`]) and what it is given of its job
//! ([`JobContext`]): shared by the worker, which runs attempts, and by the attempt runner.

use crate::queue::{Claim, Failure};
use serde_json::Value;
use std::future::Future;
use std::sync::{Arc, Mutex};
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
    pub(crate) fn new(claim: Arc<Claim>) -> Self {
        JobContext {
            claim,
            progress: Arc::default(),
        }
    }

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

    pub(crate) fn take_progress(&self) -> Option<Value> {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}
