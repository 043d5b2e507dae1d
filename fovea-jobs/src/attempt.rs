//! One attempt of a job, the same on every backend: the handler runs while the attempt keeps
//! its lease alive, writes throttled progress, and watches for cancellation, its time limit
//! and the worker's shutdown.

use crate::handler::{Handler, JobContext};
use crate::queue::{Claim, Failure};
use futures_util::FutureExt;
use serde_json::Value;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, interval_at};
use tokio_util::sync::CancellationToken;

/// Why the backend wants the attempt to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The lease is gone: another worker owns the job, or it finished.
    LeaseLost,
    /// Someone cancelled the job (seen by the BullMQ lease; the in-process queue signals
    /// cancellation through the claim's token instead).
    #[cfg_attr(not(feature = "bullmq"), allow(dead_code))]
    Cancelled,
}

/// What an attempt needs from its backend.
pub(crate) trait AttemptLease: Send + Sync {
    /// Called periodically: renews the lease and looks for a cancellation.
    fn keep_alive(&self) -> impl Future<Output = Result<(), Stop>> + Send;
    /// Writes the latest progress.
    fn write_progress(&self, value: Value) -> impl Future<Output = Result<(), Stop>> + Send;
}

/// How an attempt ended.
#[derive(Debug)]
pub(crate) enum Ending {
    /// The handler returned.
    Done(Result<Value, Failure>),
    /// The job was cancelled.
    Cancelled,
    /// The attempt ran out of time.
    TimedOut(Duration),
    /// The worker is shutting down: give the job back.
    HandBack,
    /// The lease was lost: write nothing.
    LostLease,
}

impl Ending {
    /// The failure to record for endings that fail the attempt.
    pub(crate) fn failure(&self) -> Option<Failure> {
        match self {
            Ending::Done(Err(f)) => Some(f.clone()),
            Ending::Cancelled => Some(Failure::unrecoverable(crate::memory::CANCELLED_REASON)),
            Ending::TimedOut(t) => Some(Failure::retryable(format!(
                "job timed out after {} ms",
                t.as_millis()
            ))),
            _ => None,
        }
    }
}

/// Timing of an attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub keep_alive_every: Duration,
    pub progress_every: Duration,
    pub timeout: Option<Duration>,
}

/// Runs the handler on `claim` until it returns or something stops it.
pub(crate) async fn run<H: Handler, L: AttemptLease>(
    handler: &H,
    claim: Arc<Claim>,
    lease: &L,
    timing: Timing,
    abandon: &CancellationToken,
) -> Ending {
    let ctx = JobContext::new(claim.clone());
    let work = AssertUnwindSafe(handler.handle(ctx.clone())).catch_unwind();
    tokio::pin!(work);
    // A handler that finishes at its first poll needs no timers (the common short job).
    if let Some(r) = (&mut work).now_or_never() {
        let ending = Ending::Done(r.unwrap_or_else(|panic| Err(panic_failure(panic))));
        if let Some(p) = ctx.take_progress() {
            let _ = lease.write_progress(p).await;
        }
        return ending;
    }
    let deadline = timing.timeout.map(|t| Instant::now() + t);
    let mut keep_alive = interval_at(
        Instant::now() + timing.keep_alive_every,
        timing.keep_alive_every,
    );
    let mut flush = interval_at(
        Instant::now() + timing.progress_every,
        timing.progress_every,
    );
    let stopped = |s: Stop| match s {
        Stop::LeaseLost => Ending::LostLease,
        Stop::Cancelled => Ending::Cancelled,
    };
    let ending = loop {
        tokio::select! {
            biased;
            r = &mut work => break Ending::Done(r.unwrap_or_else(|panic| Err(panic_failure(panic)))),
            _ = claim.cancelled.cancelled() => break Ending::Cancelled,
            _ = abandon.cancelled() => break Ending::HandBack,
            _ = sleep_until(deadline) => break Ending::TimedOut(timing.timeout.unwrap_or_default()),
            _ = keep_alive.tick() => {
                if let Err(s) = lease.keep_alive().await {
                    break stopped(s);
                }
            }
            _ = flush.tick() => {
                if let Some(p) = ctx.take_progress()
                    && let Err(s) = lease.write_progress(p).await
                {
                    break stopped(s);
                }
            }
        }
    };
    if !matches!(ending, Ending::LostLease)
        && let Some(p) = ctx.take_progress()
    {
        let _ = lease.write_progress(p).await;
    }
    ending
}

async fn sleep_until(deadline: Option<Instant>) {
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
