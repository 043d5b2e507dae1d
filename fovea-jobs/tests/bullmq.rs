//! The BullMQ backend against a real `redis-server` (one per test): the failures a reliable
//! queue must survive (crashed, frozen or cut-off workers, Redis restarts, poison jobs) that
//! need Redis.
#![cfg(feature = "bullmq")]

mod common;
#[path = "support/handlers.rs"]
mod handlers;

use common::RedisServer;
use fovea_jobs::bull::{BullOptions, BullQueue, BullWorker};
use fovea_jobs::*;
use handlers::{first_attempt_of_waits, hangs};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

async fn queue(server: &RedisServer) -> BullQueue {
    BullQueue::connect(TRACKING_QUEUE, BullOptions::new(&server.url()))
        .await
        .unwrap()
}

fn fast(concurrency: usize) -> WorkerOptions {
    WorkerOptions {
        concurrency,
        lease: Duration::from_millis(1000),
        progress_interval: Duration::from_millis(20),
        ..Default::default()
    }
}

async fn start<H: Handler>(server: &RedisServer, handler: H, opts: WorkerOptions) -> BullWorker {
    BullWorker::start(
        TRACKING_QUEUE,
        Arc::new(handler),
        opts,
        &BullOptions::new(&server.url()),
    )
    .await
    .unwrap()
}

async fn raw_hash(server: &RedisServer, id: &str) -> std::collections::HashMap<String, String> {
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("HGETALL")
        .arg(format!("bull:{TRACKING_QUEUE}:{id}"))
        .query_async(&mut c)
        .await
        .unwrap()
}

async fn redis_cmd<T: redis::FromRedisValue>(server: &RedisServer, cmd: &mut redis::Cmd) -> T {
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    cmd.query_async(&mut c).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_carry_foveas_options_and_complete_with_json_results() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let first = q
        .add(
            TRACKING_JOB,
            json!({"videoId": "v1"}),
            JobOptions::default().with_id("track-v1"),
        )
        .await
        .unwrap();
    let again = q
        .add(
            TRACKING_JOB,
            json!({"videoId": "other"}),
            JobOptions::default().with_id("track-v1"),
        )
        .await
        .unwrap();
    assert!(
        !first.duplicate && again.duplicate,
        "the second add returns the existing job"
    );
    let hash = raw_hash(&server, "track-v1").await;
    let opts: Value = serde_json::from_str(&hash["opts"]).unwrap();
    assert_eq!(opts["attempts"], 3);
    assert_eq!(
        opts["backoff"],
        json!({"type": "exponential", "delay": 2000})
    );
    assert_eq!(
        (
            opts["removeOnComplete"].clone(),
            opts["removeOnFail"].clone()
        ),
        (json!(100), json!(100))
    );
    assert_eq!(hash["data"], r#"{"videoId":"v1"}"#);
    let v = q.view("track-v1").await.unwrap().unwrap();
    assert_eq!((v.state, v.max_attempts), (JobState::Waiting, 3));

    let w = start(
        &server,
        |job: JobContext| async move {
            for p in [25, 50, 75, 100] {
                job.progress(p);
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            Ok(json!({"tracks": [], "video": job.data()["videoId"]}))
        },
        fast(1),
    )
    .await;
    let v = q.finished("track-v1").await.unwrap().unwrap();
    assert_eq!(v.state, JobState::Completed);
    assert_eq!(
        v.result,
        Some(json!({"tracks": [], "video": "v1"})),
        "an object, as Node reads it"
    );
    assert_eq!(v.progress, json!(100));
    assert_eq!(v.attempts_made, 1);
    assert_eq!(v.to_frontend()["state"], "completed");
    assert_eq!(v.to_mapped_route()["status"], "completed");
    assert_eq!(w.shutdown(Duration::from_secs(1)).await.completed, 1);
    q.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_jobs_backoff_and_unrecoverable_errors_do_not_retry() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let w = start(
        &server,
        move |job: JobContext| {
            let n = if job.id() == "poison" {
                c.fetch_add(1, Ordering::SeqCst)
            } else {
                0
            };
            async move {
                match job.id() {
                    "poison" => Err(Failure::retryable(format!("boom {n}"))),
                    "missing" => Err(Failure::unrecoverable("video not found")),
                    _ => Ok(json!("fine")),
                }
            }
        },
        fast(2),
    )
    .await;
    let fixed = |id: &str| JobOptions {
        backoff: Some(Backoff {
            kind: BackoffKind::Exponential,
            delay: 200,
            jitter: None,
        }),
        ..JobOptions::default().with_id(id)
    };
    let started = std::time::Instant::now();
    for id in ["poison", "missing", "good"] {
        q.add(TRACKING_JOB, json!({}), fixed(id)).await.unwrap();
    }
    let good = q.finished("good").await.unwrap().unwrap();
    assert_eq!(good.state, JobState::Completed, "other jobs keep flowing");
    let missing = q.finished("missing").await.unwrap().unwrap();
    assert_eq!(
        (missing.state, missing.attempts_made),
        (JobState::Failed, 1)
    );
    assert_eq!(missing.error.as_deref(), Some("video not found"));
    let poison = q.finished("poison").await.unwrap().unwrap();
    assert_eq!((poison.state, poison.attempts_made), (JobState::Failed, 3));
    assert_eq!(poison.error.as_deref(), Some("boom 2"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "200 ms then 400 ms of backoff"
    );
    w.shutdown(Duration::from_secs(1)).await;
    q.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_concurrency_handlers_run() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, p) = (running.clone(), peak.clone());
    let w = start(
        &server,
        move |_job: JobContext| {
            let (r, p) = (r.clone(), p.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        },
        fast(4),
    )
    .await;
    for i in 0..12 {
        q.add(
            TRACKING_JOB,
            json!(i),
            JobOptions::default().with_id(format!("j{i}")),
        )
        .await
        .unwrap();
    }
    for i in 0..12 {
        q.finished(&format!("j{i}")).await.unwrap();
    }
    assert!(
        peak.load(Ordering::SeqCst) <= 4,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert!(peak.load(Ordering::SeqCst) >= 2, "jobs ran in parallel");
    w.shutdown(Duration::from_secs(1)).await;
    q.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_keeps_the_newest_hundred() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let w = start(&server, |_job: JobContext| async { Ok(json!(1)) }, fast(4)).await;
    for i in 0..101 {
        q.add(
            TRACKING_JOB,
            json!(i),
            JobOptions::default().with_id(format!("j{i}")),
        )
        .await
        .unwrap();
    }
    for i in 0..101 {
        q.finished(&format!("j{i}")).await.unwrap();
    }
    w.shutdown(Duration::from_secs(1)).await;
    assert_eq!(q.counts().await.unwrap().completed, 100);
    let kept = q.list(&[JobState::Completed], 200).await.unwrap();
    assert_eq!(kept.len(), 100);
    let evicted: Vec<_> = (0..101)
        .map(|i| format!("j{i}"))
        .filter(|id| !kept.iter().any(|v| &v.job_id == id))
        .collect();
    assert_eq!(evicted.len(), 1);
    assert!(
        q.view(&evicted[0]).await.unwrap().is_none(),
        "an evicted id reads as gone (404)"
    );
    q.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_running_job_and_removes_a_queued_one() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let entered = Arc::new(Notify::new());
    let w = start(&server, hangs(entered.clone(), Arc::default()), fast(1)).await;
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions::default().with_id("running"),
    )
    .await
    .unwrap();
    entered.notified().await;
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions::default().with_id("queued"),
    )
    .await
    .unwrap();
    assert_eq!(q.cancel("queued").await.unwrap(), Cancelled::Removed);
    assert!(q.view("queued").await.unwrap().is_none());
    assert_eq!(q.cancel("running").await.unwrap(), Cancelled::Signalled);
    let v = q.finished("running").await.unwrap().unwrap();
    assert_eq!(
        (v.state, v.error.as_deref(), v.attempts_made),
        (JobState::Failed, Some("cancelled"), 1)
    );
    assert_eq!(q.cancel("nope").await.unwrap_err().code(), "job-not-found");
    w.shutdown(Duration::from_secs(1)).await;
    q.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_hands_unfinished_jobs_back() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let entered = Arc::new(Notify::new());
    let w = start(&server, hangs(entered.clone(), Arc::default()), fast(1)).await;
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions::default().with_id("long"),
    )
    .await
    .unwrap();
    entered.notified().await;
    let report = w.shutdown(Duration::from_millis(100)).await;
    assert_eq!(report.handed_back, 1);
    let v = q.view("long").await.unwrap().unwrap();
    assert_eq!(
        v.state,
        JobState::Waiting,
        "ready again at once, not left to stall"
    );
    assert_eq!(v.attempts_made, 0);
    let w2 = start(
        &server,
        |_job: JobContext| async { Ok(json!("taken over")) },
        fast(1),
    )
    .await;
    let v = q.finished("long").await.unwrap().unwrap();
    assert_eq!(v.result, Some(json!("taken over")), "{v:?}");
    w2.shutdown(Duration::from_secs(1)).await;
    q.close().await;
}

/// Runs a worker on a runtime of its own, so the test can make it vanish (a crash) or
/// freeze it (a blocked thread), as a separate process would.
fn worker_on_own_runtime<H: Handler>(
    url: String,
    handler: H,
    opts: WorkerOptions,
) -> tokio::runtime::Runtime {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bull = BullOptions::new(&url);
    let w = rt
        .block_on(BullWorker::start(
            TRACKING_QUEUE,
            Arc::new(handler),
            opts,
            &bull,
        ))
        .unwrap();
    std::mem::forget(w);
    rt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_worker_that_wakes_up_cannot_overwrite_the_result() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
    let (wake_tx, wake_rx) = std::sync::mpsc::channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let url = server.url();
    let frozen = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (entered_tx, wake_rx) = (
            std::sync::Mutex::new(entered_tx),
            std::sync::Mutex::new(wake_rx),
        );
        rt.block_on(async move {
            let handler = move |_job: JobContext| {
                // Frozen: the thread blocks, so the worker renews nothing until woken.
                entered_tx.lock().unwrap().send(()).unwrap();
                wake_rx.lock().unwrap().recv().unwrap();
                async { Ok(json!("from the frozen worker")) }
            };
            let w = BullWorker::start(
                TRACKING_QUEUE,
                Arc::new(handler),
                fast(1),
                &BullOptions::new(&url),
            )
            .await
            .unwrap();
            stop_rx.await.unwrap();
            w.shutdown(Duration::from_secs(5)).await
        })
    });
    q.add(TRACKING_JOB, json!({}), JobOptions::default().with_id("j"))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || entered_rx.recv().unwrap())
        .await
        .unwrap();
    let live = start(
        &server,
        |_job: JobContext| async { Ok(json!("from the live worker")) },
        fast(1),
    )
    .await;
    let v = q.finished("j").await.unwrap().unwrap();
    assert_eq!(v.result, Some(json!("from the live worker")));
    // The frozen worker wakes up, finishes its handler and tries to complete the job.
    wake_tx.send(()).unwrap();
    stop_tx.send(()).unwrap();
    tokio::task::spawn_blocking(move || frozen.join().unwrap())
        .await
        .unwrap();
    let v = q.view("j").await.unwrap().unwrap();
    assert_eq!(
        v.result,
        Some(json!("from the live worker")),
        "the stale write was refused"
    );
    let events: Vec<(String, std::collections::HashMap<String, String>)> = {
        let reply: redis::streams::StreamRangeReply = redis_cmd(
            &server,
            redis::cmd("XRANGE")
                .arg(format!("bull:{TRACKING_QUEUE}:events"))
                .arg("-")
                .arg("+"),
        )
        .await;
        reply
            .ids
            .into_iter()
            .map(|e| {
                let fields = e
                    .map
                    .into_iter()
                    .map(|(k, v)| (k, redis::from_redis_value::<String>(v).unwrap_or_default()))
                    .collect();
                (e.id, fields)
            })
            .collect()
    };
    let completed = events
        .iter()
        .filter(|(_, f)| {
            f.get("event").map(String::as_str) == Some("completed")
                && f.get("jobId").map(String::as_str) == Some("j")
        })
        .count();
    assert_eq!(completed, 1, "exactly one completed event");
    live.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_workers_job_is_redelivered_and_completed_by_another() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let entered = Arc::new(std::sync::Barrier::new(2));
    let e = entered.clone();
    let url = server.url();
    let crashing = std::thread::spawn(move || {
        let rt = worker_on_own_runtime(
            url,
            move |_job: JobContext| {
                let e = e.clone();
                async move {
                    e.wait();
                    // The process is gone: this thread never runs the worker again.
                    loop {
                        std::thread::park();
                    }
                }
            },
            fast(1),
        );
        rt.block_on(std::future::pending::<()>())
    });
    q.add(TRACKING_JOB, json!({}), JobOptions::default().with_id("j"))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || entered.wait())
        .await
        .unwrap();
    drop(crashing); // detached, parked for good: its lock is no longer renewed
    let w = start(
        &server,
        |_job: JobContext| async { Ok(json!("second")) },
        fast(1),
    )
    .await;
    let v = q.finished("j").await.unwrap().unwrap();
    assert_eq!(v.result, Some(json!("second")));
    assert_eq!(v.stalled_count, 1, "the stall was counted");
    assert_eq!(v.attempts_started, 2);
    w.shutdown(Duration::from_secs(1)).await;
    q.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_loses_no_job() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let w = start(
        &server,
        |job: JobContext| async move { Ok(job.data().clone()) },
        fast(1),
    )
    .await;
    q.add(
        TRACKING_JOB,
        json!(1),
        JobOptions::default().with_id("before"),
    )
    .await
    .unwrap();
    q.finished("before").await.unwrap();
    // Every client connection is dropped, the worker's blocking wait included.
    let killed: i64 = redis_cmd(
        &server,
        redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes"),
    )
    .await;
    assert!(killed >= 1);
    let q2 = queue(&server).await;
    q2.add(
        TRACKING_JOB,
        json!(2),
        JobOptions::default().with_id("after"),
    )
    .await
    .unwrap();
    let v = q2.finished("after").await.unwrap().unwrap();
    assert_eq!((v.state, v.result), (JobState::Completed, Some(json!(2))));
    w.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_job_neither_loses_nor_strands_it() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let (release, entered) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let handler = first_attempt_of_waits("mid", entered.clone(), release.clone());
    let w = start(&server, handler, fast(1)).await;
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions::default().with_id("mid"),
    )
    .await
    .unwrap();
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions {
            delay: 300,
            ..JobOptions::default().with_id("later")
        },
    )
    .await
    .unwrap();
    entered.notified().await;
    server.restart();
    release.notify_one();
    let q2 = queue(&server).await;
    for id in ["mid", "later"] {
        let v = q2.finished(id).await.unwrap().unwrap();
        assert_eq!(
            (v.state, v.result),
            (JobState::Completed, Some(json!(id))),
            "{id}"
        );
    }
    w.shutdown(Duration::from_secs(1)).await;
}

/// Without persistence, a restart empties Redis, so every job is lost — queued, delayed and
/// running alike. What fovea guarantees then: status reads say "no such job" (never a stale
/// state), the worker reconnects and serves new jobs, a late result of the lost running job
/// is refused (its lock is gone) rather than resurrecting it, and resubmitting by the same id
/// (idempotent ids) brings each job back once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_persistence_a_restart_loses_jobs_visibly_and_resubmission_recovers() {
    let Some(mut server) = RedisServer::start_ephemeral() else {
        return;
    };
    let q = queue(&server).await;
    let (release, entered) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let handler = first_attempt_of_waits("mid", entered.clone(), release.clone());
    let w = start(&server, handler, fast(1)).await;
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions::default().with_id("mid"),
    )
    .await
    .unwrap();
    q.add(
        TRACKING_JOB,
        json!({}),
        JobOptions {
            delay: 60_000,
            ..JobOptions::default().with_id("later")
        },
    )
    .await
    .unwrap();
    entered.notified().await;
    server.restart();
    release.notify_one();
    let q2 = queue(&server).await;
    for id in ["mid", "later"] {
        assert_eq!(q2.view(id).await.unwrap(), None, "{id} is gone");
    }
    assert_eq!(q2.counts().await.unwrap(), Counts::default());
    for id in ["mid", "later"] {
        let again = q2
            .add(TRACKING_JOB, json!({}), JobOptions::default().with_id(id))
            .await
            .unwrap();
        assert!(!again.duplicate, "{id} is added anew");
    }
    for id in ["mid", "later"] {
        let v = q2.finished(id).await.unwrap().unwrap();
        assert_eq!((v.state, v.result), (JobState::Completed, Some(json!(id))));
        assert_eq!(v.attempts_made, 1, "{id} ran once after resubmission");
    }
    let report = w.shutdown(Duration::from_secs(1)).await;
    assert_eq!(
        report.completed, 2,
        "the lost attempt's late result was refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_is_refused_on_a_queue_a_bullmq5_client_uses() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let _: i64 = redis_cmd(
        &server,
        redis::cmd("HSET")
            .arg(format!("bull:{TRACKING_QUEUE}:meta"))
            .arg("version")
            .arg("bullmq:5.59.0"),
    )
    .await;
    let e = q.pause().await.unwrap_err();
    assert_eq!(e.code(), "operation-refused");
    assert!(e.to_string().contains("bullmq:5.59.0"), "{e}");
    let allowed = BullQueue::connect(
        TRACKING_QUEUE,
        BullOptions {
            allow_cross_major: true,
            ..BullOptions::new(&server.url())
        },
    )
    .await
    .unwrap();
    allowed.pause().await.unwrap();
    allowed.resume().await.unwrap();
    // A BullMQ 6 marker is fine.
    let _: i64 = redis_cmd(
        &server,
        redis::cmd("HSET")
            .arg(format!("bull:{TRACKING_QUEUE}:meta"))
            .arg("version")
            .arg("bullmq:6.7.0"),
    )
    .await;
    q.pause().await.unwrap();
    q.resume().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_bullmq_cannot_carry_are_refused() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let q = queue(&server).await;
    let e = q
        .add(
            TRACKING_JOB,
            json!({}),
            JobOptions {
                timeout: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid-option");
    let big = json!({"mask": "A".repeat(2 << 20)});
    assert_eq!(
        q.add(TRACKING_JOB, big, JobOptions::default())
            .await
            .unwrap_err()
            .code(),
        "payload-too-large"
    );
}
