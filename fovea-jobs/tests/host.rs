//! The host side of jobs (what the Python and Node bindings drive): a queue chosen by URL and a
//! worker whose handler relays each job to the host's code. tokio's clock is paused, so
//! timeouts and backoffs pass instantly.

use fovea_jobs::host::{AnyQueue, QueueConfig, Relayed, relay};
use fovea_jobs::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

async fn in_process() -> AnyQueue {
    AnyQueue::open(&QueueConfig::default()).await.unwrap()
}

async fn relay_worker(q: &AnyQueue, concurrency: usize) -> (host::AnyWorker, Relayed) {
    let (handler, relayed) = relay();
    let options = WorkerOptions {
        concurrency,
        ..Default::default()
    };
    let w = q.start_worker(Arc::new(handler), options).await.unwrap();
    (w, relayed)
}

async fn add(q: &AnyQueue, id: &str, opts: serde_json::Value) {
    let opts = JobOptions::over_defaults(&opts).unwrap().with_id(id);
    q.add(TRACKING_JOB, json!({"n": id}), opts).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_host_completes_and_fails_jobs() {
    let q = in_process().await;
    assert_eq!((q.backend(), q.name()), ("in-process", TRACKING_QUEUE));
    let (w, relayed) = relay_worker(&q, 2).await;
    add(&q, "ok", json!({})).await;
    add(&q, "bad", json!({})).await;
    for _ in 0..2 {
        let job = relayed.next(WAIT).await.expect("a job is relayed");
        let ctx = job.context();
        assert_eq!(ctx.data()["n"], json!(ctx.id()));
        let outcome = match ctx.id() {
            "ok" => {
                ctx.progress(50);
                Ok(json!({"done": true}))
            }
            _ => Err(Failure::unrecoverable("ValueError: no such video")),
        };
        job.finish(outcome).unwrap();
        let again = job.finish(Ok(json!(0))).unwrap_err();
        assert_eq!(again.code(), "invalid-state");
    }
    let ok = q.finished("ok").await.unwrap().unwrap();
    assert_eq!(
        (ok.state, ok.result),
        (JobState::Completed, Some(json!({"done": true})))
    );
    assert_eq!(ok.progress, json!(50));
    let bad = q.finished("bad").await.unwrap().unwrap();
    assert_eq!(bad.state, JobState::Failed);
    assert_eq!(bad.error.as_deref(), Some("ValueError: no such video"));
    assert_eq!(bad.attempts_made, 1, "unrecoverable: no retry");
    let report = w.shutdown(Duration::from_secs(1)).await;
    assert_eq!((report.completed, report.failed), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_refuses_the_late_result_and_is_skipped_by_next() {
    let q = in_process().await;
    let (w, relayed) = relay_worker(&q, 1).await;
    add(&q, "slow", json!({"attempts": 1, "timeout": 100})).await;
    let job = relayed.next(WAIT).await.unwrap();
    let view = q.finished("slow").await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Failed);
    assert!(job.is_over());
    let late = job.finish(Ok(json!("late"))).unwrap_err();
    assert!(late.to_string().contains("no longer running"), "{late}");
    assert_eq!(q.view("slow").await.unwrap().unwrap().result, None);
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_job_is_over_for_the_host() {
    let q = in_process().await;
    let (w, relayed) = relay_worker(&q, 1).await;
    add(&q, "c", json!({})).await;
    let job = relayed.next(WAIT).await.unwrap();
    assert!(!job.is_over());
    assert_eq!(q.cancel("c").await.unwrap(), Cancelled::Signalled);
    let view = q.finished("c").await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Failed);
    assert!(job.is_over());
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_job_the_host_drops_is_retried() {
    let q = in_process().await;
    let (w, relayed) = relay_worker(&q, 1).await;
    add(
        &q,
        "d",
        json!({"attempts": 2, "backoff": {"type": "fixed", "delay": 10}}),
    )
    .await;
    drop(relayed.next(WAIT).await.unwrap());
    let second = relayed.next(WAIT).await.expect("the job comes back");
    assert_eq!(second.context().attempts_made(), 1);
    second.finish(Ok(json!(2))).unwrap();
    let view = q.finished("d").await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Completed);
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn next_returns_none_when_nothing_comes() {
    let q = in_process().await;
    let (w, relayed) = relay_worker(&q, 1).await;
    assert!(relayed.next(Duration::from_millis(500)).await.is_none());
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn urls_that_name_no_backend_are_refused() {
    for url in ["http://localhost:6379", "postgres://x", ""] {
        let config = QueueConfig {
            url: Some(url.into()),
            ..Default::default()
        };
        let e = AnyQueue::open(&config).await.unwrap_err();
        assert_eq!(e.code(), "invalid-option", "{url}");
        assert!(e.to_string().contains("redis://"), "{e}");
    }
}
