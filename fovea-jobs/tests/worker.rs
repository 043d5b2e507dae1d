//! The worker runtime on the in-process queue, with tokio's clock paused: time passes only
//! when every task waits, so leases, backoffs and timeouts run instantly and in order.

#[path = "support/handlers.rs"]
mod handlers;

use fovea_jobs::*;
use handlers::hangs;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

fn queue() -> Arc<InProcessQueue> {
    Arc::new(InProcessQueue::new(TRACKING_QUEUE))
}

fn opts(concurrency: usize) -> WorkerOptions {
    WorkerOptions {
        concurrency,
        ..Default::default()
    }
}

async fn add(q: &InProcessQueue, id: &str, data: Value) {
    q.add(TRACKING_JOB, data, JobOptions::default().with_id(id))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn completes_jobs_and_reports_progress() {
    let q = queue();
    let mut events = q.subscribe();
    let w = Worker::start(
        q.clone(),
        Arc::new(|job: JobContext| async move {
            for p in [25, 50, 75, 100] {
                job.progress(p);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(json!({"echo": job.data().clone()}))
        }),
        opts(1),
    );
    add(&q, "a", json!(1)).await;
    let v = q.finished("a").await.unwrap().unwrap();
    assert_eq!(v.state, JobState::Completed);
    assert_eq!(v.result, Some(json!({"echo": 1})));
    assert_eq!(v.progress, json!(100));
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let JobEvent::Progress(_, p) = e {
            seen.push(p);
        }
    }
    assert_eq!(seen, [json!(25), json!(50), json!(75), json!(100)]);
    let r = w.shutdown(Duration::from_secs(1)).await;
    assert_eq!(r.completed, 1);
}

#[tokio::test(start_paused = true)]
async fn progress_is_throttled_to_the_interval() {
    let q = queue();
    let mut events = q.subscribe();
    let w = Worker::start(
        q.clone(),
        Arc::new(|job: JobContext| async move {
            for p in 0..=1000 {
                job.progress(p as f64 / 10.0);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(Value::Null)
        }),
        opts(1),
    );
    add(&q, "a", json!(1)).await;
    q.finished("a").await.unwrap();
    let writes = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| matches!(e, JobEvent::Progress(..)))
        .count();
    // ~1 s of work at one write per 250 ms, plus the final value.
    assert!((3..=6).contains(&writes), "{writes} progress writes");
    assert_eq!(q.view_now("a").unwrap().progress, json!(100.0));
    w.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn never_more_than_concurrency_jobs_run() {
    let q = queue();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (r, p) = (running.clone(), peak.clone());
    let w = Worker::start(
        q.clone(),
        Arc::new(move |_job: JobContext| {
            let (r, p) = (r.clone(), p.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(2)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        }),
        opts(2),
    );
    for i in 0..5 {
        add(&q, &format!("j{i}"), json!(i)).await;
    }
    for i in 0..5 {
        q.finished(&format!("j{i}")).await.unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    assert_eq!(w.shutdown(Duration::ZERO).await.completed, 5);
}

#[tokio::test(start_paused = true)]
async fn a_processor_failing_twice_succeeds_on_attempt_three() {
    let q = queue();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let started = tokio::time::Instant::now();
    let w = Worker::start(
        q.clone(),
        Arc::new(move |_job: JobContext| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Err(Failure::retryable(format!("try {n}")))
                } else {
                    Ok(json!("done"))
                }
            }
        }),
        opts(1),
    );
    add(&q, "flaky", json!({})).await;
    let v = q.finished("flaky").await.unwrap().unwrap();
    assert_eq!((v.state, v.attempts_made), (JobState::Completed, 3));
    assert_eq!(
        v.error.as_deref(),
        Some("try 1"),
        "the last failure is kept"
    );
    // 2 s then 4 s of backoff.
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert!(started.elapsed() < Duration::from_secs(7));
    let r = w.shutdown(Duration::ZERO).await;
    assert_eq!((r.retried, r.completed), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn unrecoverable_handler_errors_fail_at_once() {
    let q = queue();
    let w = Worker::start(
        q.clone(),
        Arc::new(|_job: JobContext| async { Err(Failure::unrecoverable("video not found")) }),
        opts(1),
    );
    add(&q, "j", json!({})).await;
    let v = q.finished("j").await.unwrap().unwrap();
    assert_eq!((v.state, v.attempts_made), (JobState::Failed, 1));
    assert_eq!(w.shutdown(Duration::ZERO).await.failed, 1);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_fails_its_job_and_the_pool_survives() {
    let q = queue();
    let w = Worker::start(
        q.clone(),
        Arc::new(|job: JobContext| async move {
            if job.id() == "poison" {
                panic!("decoder exploded");
            }
            Ok(json!("fine"))
        }),
        opts(2),
    );
    add(&q, "poison", json!({})).await;
    add(&q, "after", json!({})).await;
    let v = q.finished("poison").await.unwrap().unwrap();
    assert_eq!(v.state, JobState::Failed);
    assert_eq!(v.attempts_made, 3);
    assert_eq!(
        v.error.as_deref(),
        Some("handler panicked: decoder exploded")
    );
    let after = q.finished("after").await.unwrap().unwrap();
    assert_eq!(after.state, JobState::Completed);
    w.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn a_job_timeout_cancels_the_attempt_and_retries() {
    let q = queue();
    let w = Worker::start(
        q.clone(),
        Arc::new(|job: JobContext| async move {
            if job.attempts_made() == 0 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Ok(json!(job.attempts_made()))
        }),
        opts(1),
    );
    let o = JobOptions {
        timeout: Some(10_000),
        ..JobOptions::default().with_id("slow")
    };
    q.add(TRACKING_JOB, json!({}), o).await.unwrap();
    let v = q.finished("slow").await.unwrap().unwrap();
    assert_eq!(v.result, Some(json!(1)));
    assert_eq!(v.stacktrace, ["job timed out after 10000 ms"]);
    w.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn cancelling_a_running_job_stops_its_handler() {
    let q = queue();
    let entered = Arc::new(Notify::new());
    let w = Worker::start(
        q.clone(),
        Arc::new(hangs(entered.clone(), Arc::default())),
        opts(1),
    );
    add(&q, "long", json!({})).await;
    entered.notified().await;
    assert_eq!(q.cancel("long").await.unwrap(), Cancelled::Signalled);
    let v = q.finished("long").await.unwrap().unwrap();
    assert_eq!(
        (v.state, v.error.as_deref()),
        (JobState::Failed, Some("cancelled"))
    );
    assert_eq!(v.attempts_made, 1);
    w.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_short_jobs_and_hands_back_long_ones() {
    let q = queue();
    let started = Arc::new(AtomicUsize::new(0));
    let all_started = Arc::new(Notify::new());
    let (s, n) = (started.clone(), all_started.clone());
    let w = Worker::start(
        q.clone(),
        Arc::new(move |job: JobContext| {
            let (s, n) = (s.clone(), n.clone());
            async move {
                if s.fetch_add(1, Ordering::SeqCst) + 1 == 2 {
                    n.notify_one();
                }
                let secs = if job.id() == "short" { 1 } else { 3600 };
                tokio::time::sleep(Duration::from_secs(secs)).await;
                Ok(json!(job.id()))
            }
        }),
        opts(2),
    );
    add(&q, "short", json!({})).await;
    add(&q, "long", json!({})).await;
    all_started.notified().await;
    let report = w.shutdown(Duration::from_secs(10)).await;
    assert_eq!((report.completed, report.handed_back), (1, 1));
    assert_eq!(q.view_now("short").unwrap().state, JobState::Completed);
    let long = q.view_now("long").unwrap();
    assert_eq!(
        long.state,
        JobState::Waiting,
        "ready again at once, not left to stall"
    );
    assert_eq!((long.attempts_made, long.stalled_count), (0, 0));
    // Another worker takes it over.
    let w2 = Worker::start(
        q.clone(),
        Arc::new(|_job: JobContext| async { Ok(json!("taken over")) }),
        opts(1),
    );
    assert_eq!(
        q.finished("long").await.unwrap().unwrap().result,
        Some(json!("taken over"))
    );
    w2.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn a_killed_worker_job_is_run_again_by_another() {
    let q = queue();
    let runs = Arc::new(AtomicUsize::new(0));
    let entered = Arc::new(Notify::new());
    let dying = Worker::start(
        q.clone(),
        Arc::new(hangs(entered.clone(), runs.clone())),
        opts(1),
    );
    add(&q, "j", json!({})).await;
    entered.notified().await;
    dying.kill();
    let r2 = runs.clone();
    let w = Worker::start(
        q.clone(),
        Arc::new(move |_job: JobContext| {
            r2.fetch_add(1, Ordering::SeqCst);
            async { Ok(json!("second")) }
        }),
        opts(1),
    );
    let v = q.finished("j").await.unwrap().unwrap();
    assert_eq!(v.result, Some(json!("second")));
    assert_eq!(
        (v.stalled_count, v.attempts_made, v.attempts_started),
        (1, 1, 2)
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "the handler ran twice (at-least-once)"
    );
    w.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn a_worker_whose_lease_expired_has_its_result_refused() {
    // The queue's clock jumps past the lease while the handler runs (as if the worker had
    // been frozen): another claimant takes the job over; the first worker's handler is
    // stopped and its write refused.
    let clock = FakeClock::at(1_000);
    let q = Arc::new(InProcessQueue::with_settings(
        TRACKING_QUEUE,
        QueueSettings::default(),
        Arc::new(clock.clone()),
    ));
    let mut events = q.subscribe();
    let entered = Arc::new(Notify::new());
    let e = entered.clone();
    let frozen = Worker::start(
        q.clone(),
        Arc::new(move |_job: JobContext| {
            let e = e.clone();
            async move {
                e.notify_one();
                std::future::pending::<()>().await;
                Ok(json!("from the frozen worker"))
            }
        }),
        opts(1),
    );
    add(&q, "j", json!({})).await;
    entered.notified().await;
    clock.advance(31_000);
    let TryClaim::Claimed(live) = q.try_claim("live", Duration::from_secs(30)).unwrap() else {
        panic!("the expired job is redelivered");
    };
    q.complete(&live, json!("from the live worker"))
        .await
        .unwrap();
    let report = frozen.shutdown(Duration::from_secs(1)).await;
    assert_eq!((report.stale, report.completed), (1, 0));
    let completed = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| matches!(e, JobEvent::Completed(..)))
        .count();
    assert_eq!(completed, 1);
    assert_eq!(
        q.view_now("j").unwrap().result,
        Some(json!("from the live worker"))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_of_instant_jobs_never_starves_other_tasks() {
    let q = queue();
    for i in 0..5000 {
        add(&q, &format!("j{i}"), json!(i)).await;
    }
    let w = Worker::start(
        q.clone(),
        Arc::new(|_job: JobContext| async { Ok(Value::Null) }),
        opts(1),
    );
    // Runs as soon as the worker's task yields the thread.
    let probe = tokio::spawn({
        let q = q.clone();
        async move { q.counts().await.unwrap().completed }
    });
    q.finished("j4999").await.unwrap();
    let seen = probe.await.unwrap();
    assert!(seen < 5000, "the probe ran only after every job ({seen})");
    let r = w.shutdown(Duration::from_secs(1)).await;
    assert_eq!(r.completed, 5000);
}
