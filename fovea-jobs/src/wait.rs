//! Waiting for a job to finish: the one wait of the CLI and both bindings, with a timeout and
//! a check for interruption between ticks (Python checks for Ctrl-C there).

use crate::error::{JobError, Result};
use crate::queue::JobQueue;
use crate::view::JobView;
use std::time::{Duration, Instant};

/// How often [`wait`] calls its interruption check.
pub const TICK: Duration = Duration::from_millis(100);

/// Waits until job `id` has finished: its view, or `None` when there is no such job. With a
/// `timeout`, a job still unfinished after it is [`JobError::Timeout`] (the job goes on);
/// `interrupted` is called every [`TICK`], and `true` ends the wait with
/// [`JobError::Interrupted`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use fovea_jobs::{InProcessQueue, JobQueue};
/// use std::time::Duration;
/// let queue = InProcessQueue::new("q");
/// let id = queue.add("n", serde_json::json!({}), Default::default()).await.unwrap().id;
/// let e = fovea_jobs::wait(&queue, &id, Some(Duration::from_millis(20)), || false).await;
/// assert_eq!(e.unwrap_err().code(), "timeout");
/// # });
/// ```
pub async fn wait<Q: JobQueue>(
    queue: &Q,
    id: &str,
    timeout: Option<Duration>,
    mut interrupted: impl FnMut() -> bool + Send,
) -> Result<Option<JobView>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let finished = queue.finished(id);
    tokio::pin!(finished);
    loop {
        let tick = deadline.map_or(TICK, |d| {
            TICK.min(d.saturating_duration_since(Instant::now()))
        });
        if let Ok(view) = tokio::time::timeout(tick, &mut finished).await {
            return view;
        }
        if interrupted() {
            return Err(JobError::Interrupted { id: id.to_owned() });
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(JobError::Timeout {
                id: id.to_owned(),
                after: timeout.unwrap_or_default(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InProcessQueue;

    #[tokio::test]
    async fn an_interrupted_wait_ends_and_a_missing_job_is_none() {
        let queue = InProcessQueue::new("q");
        let id = queue
            .add("n", serde_json::json!({}), Default::default())
            .await
            .unwrap()
            .id;
        let mut checks = 0;
        let e = wait(&queue, &id, None, || {
            checks += 1;
            checks == 2
        })
        .await
        .unwrap_err();
        assert_eq!((e.code(), checks), ("aborted", 2));
        assert!(
            wait(&queue, "missing", None, || false)
                .await
                .unwrap()
                .is_none()
        );
    }
}
