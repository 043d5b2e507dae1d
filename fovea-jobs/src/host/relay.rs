//! A handler that relays jobs to the host's code: the worker claims a job and runs the
//! attempt as usual (lease renewal, timeout, cancellation, fencing); the handler hands the
//! job to whoever calls [`Relayed::next`] and waits until they [`RelayJob::finish`] it.

use crate::error::{JobError, Result};
use crate::queue::Failure;
use crate::worker::{Handler, JobContext};
use serde_json::Value;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<Value, Failure>>;

/// The handler side: give it to a worker.
#[derive(Debug, Clone)]
pub struct RelayHandler {
    jobs: mpsc::UnboundedSender<RelayJob>,
}

/// The host side: the jobs the worker has claimed, in claim order.
#[derive(Debug)]
pub struct Relayed {
    jobs: tokio::sync::Mutex<mpsc::UnboundedReceiver<RelayJob>>,
}

/// A job waiting for the host to finish it.
#[derive(Debug)]
pub struct RelayJob {
    context: JobContext,
    reply: Mutex<Option<Reply>>,
}

/// A connected handler and host side.
pub fn relay() -> (RelayHandler, Relayed) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        RelayHandler { jobs: tx },
        Relayed {
            jobs: tokio::sync::Mutex::new(rx),
        },
    )
}

impl Handler for RelayHandler {
    async fn handle(&self, context: JobContext) -> Result<Value, Failure> {
        let (reply, answer) = oneshot::channel();
        let job = RelayJob {
            context,
            reply: Mutex::new(Some(reply)),
        };
        if self.jobs.send(job).is_err() {
            return Err(Failure::retryable("the host no longer takes jobs"));
        }
        answer.await.unwrap_or_else(|_| {
            Err(Failure::retryable(
                "the host dropped the job without finishing it",
            ))
        })
    }
}

impl Relayed {
    /// The next job whose attempt is still running, waiting up to `wait`; `None` when none
    /// came (or the worker is gone). Jobs whose attempt ended while they waited (cancelled,
    /// timed out) are skipped. Several hosts' threads may call this at once.
    pub async fn next(&self, wait: Duration) -> Option<RelayJob> {
        let mut jobs = self.jobs.lock().await;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let job = tokio::time::timeout_at(deadline, jobs.recv())
                .await
                .ok()??;
            if !job.is_over() {
                return Some(job);
            }
        }
    }
}

impl RelayJob {
    /// The job.
    pub fn context(&self) -> &JobContext {
        &self.context
    }

    /// Whether the attempt has ended without the host: the job was cancelled, timed out or
    /// lost its lease (a handler should stop), or it was already finished.
    pub fn is_over(&self) -> bool {
        self.context.cancelled().is_cancelled()
            || self
                .reply
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .is_none_or(|r| r.is_closed())
    }

    /// Finishes the attempt: `Ok` completes the job with that result; `Err` fails it
    /// (retried unless unrecoverable or out of attempts). Errors when the job was already
    /// finished, or its attempt ended meanwhile (the outcome is then dropped: a cancelled or
    /// timed-out attempt has already been recorded).
    pub fn finish(&self, outcome: Result<Value, Failure>) -> Result<()> {
        let ended = |state| JobError::InvalidState {
            id: self.context.id().to_owned(),
            state,
            operation: "finish it",
        };
        let reply = self
            .reply
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| ended("already finished by this host"))?;
        reply
            .send(outcome)
            .map_err(|_| ended("no longer running (cancelled, timed out, or its lease was lost)"))
    }
}
