//! The in-process queue's state machine under a fake clock: the failures a reliable queue must
//! survive (crashed or frozen workers, poison jobs, retention, limits) that need no network.

use fovea_jobs::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);
const T0: u64 = 1_700_000_000_000;

fn queue() -> (InProcessQueue, FakeClock) {
    queue_with(QueueSettings::default())
}

fn queue_with(settings: QueueSettings) -> (InProcessQueue, FakeClock) {
    let clock = FakeClock::at(T0);
    let q = InProcessQueue::with_settings(TRACKING_QUEUE, settings, Arc::new(clock.clone()));
    (q, clock)
}

fn claim(q: &InProcessQueue, worker: &str) -> Option<Claim> {
    match q.try_claim(worker, LEASE).unwrap() {
        TryClaim::Claimed(c) => Some(*c),
        TryClaim::Idle(_) => None,
    }
}

fn idle_until(q: &InProcessQueue) -> Option<u64> {
    match q.try_claim("probe", LEASE).unwrap() {
        TryClaim::Claimed(c) => panic!("expected nothing ready, claimed {}", c.id),
        TryClaim::Idle(at) => at,
    }
}

fn add(q: &InProcessQueue, id: &str) -> Added {
    q.add_now(
        TRACKING_JOB,
        json!({"videoId": id}),
        JobOptions::default().with_id(id),
    )
    .unwrap()
}

fn drain(rx: &mut tokio::sync::broadcast::Receiver<JobEvent>) -> Vec<JobEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

#[test]
fn adding_an_existing_id_returns_the_existing_job() {
    let (q, _) = queue();
    let first = add(&q, "track-v1");
    let second = q
        .add_now(
            TRACKING_JOB,
            json!({"other": true}),
            JobOptions::default().with_id("track-v1"),
        )
        .unwrap();
    assert!(!first.duplicate);
    assert!(second.duplicate);
    assert_eq!(second.id, "track-v1");
    let v = q.view_now("track-v1").unwrap();
    assert_eq!(
        v.data,
        json!({"videoId": "track-v1"}),
        "the first payload is kept"
    );
    // Queue-made ids are distinct.
    let a = q
        .add_now("track", json!({}), JobOptions::default())
        .unwrap();
    let b = q
        .add_now("track", json!({}), JobOptions::default())
        .unwrap();
    assert_ne!(a.id, b.id);
}

#[test]
fn poison_job_backs_off_2s_then_4s_then_fails_while_others_flow() {
    let (q, clock) = queue();
    let mut events = q.subscribe();
    add(&q, "poison");
    add(&q, "good");
    let mut delays = Vec::new();
    for attempt in 1..=3 {
        let c = claim(&q, "w").unwrap();
        assert_eq!(c.id, "poison");
        assert_eq!(c.attempts_made, attempt - 1);
        match q
            .fail_now(&c, Failure::retryable(format!("boom {attempt}")))
            .unwrap()
        {
            FailOutcome::Retrying { delay } => {
                delays.push(delay.as_millis());
                assert_eq!(q.view_now("poison").unwrap().state, JobState::Delayed);
                // Meanwhile the other job is served.
                if attempt == 1 {
                    let g = claim(&q, "w").unwrap();
                    assert_eq!(g.id, "good");
                    q.complete_now(&g, json!("ok")).unwrap();
                }
                let due = idle_until(&q).unwrap();
                assert_eq!(due, clock_now(&clock) + delay.as_millis() as u64);
                clock.advance(delay.as_millis() as u64 - 1);
                assert!(idle_until(&q).is_some(), "not ready 1 ms early");
                clock.advance(1);
            }
            FailOutcome::Failed => assert_eq!(attempt, 3),
        }
    }
    assert_eq!(delays, [2000, 4000]);
    let v = q.view_now("poison").unwrap();
    assert_eq!(v.state, JobState::Failed);
    assert_eq!(v.attempts_made, 3);
    assert_eq!(v.error.as_deref(), Some("boom 3"));
    assert_eq!(v.stacktrace, ["boom 1", "boom 2", "boom 3"]);
    assert_eq!(q.view_now("good").unwrap().state, JobState::Completed);
    let failed: Vec<_> = drain(&mut events)
        .into_iter()
        .filter(|e| matches!(e, JobEvent::Failed(..)))
        .collect();
    assert_eq!(failed, [JobEvent::Failed("poison".into(), "boom 3".into())]);
}

fn clock_now(c: &FakeClock) -> u64 {
    c.now_ms()
}

#[test]
fn unrecoverable_failure_is_not_retried() {
    let (q, _) = queue();
    add(&q, "missing-video");
    let c = claim(&q, "w").unwrap();
    let out = q
        .fail_now(&c, Failure::unrecoverable("video v1 not found"))
        .unwrap();
    assert_eq!(out, FailOutcome::Failed);
    let v = q.view_now("missing-video").unwrap();
    assert_eq!((v.state, v.attempts_made), (JobState::Failed, 1));
    assert_eq!(v.to_summary_route()["error"], "video v1 not found");
}

#[test]
fn oversized_payload_is_refused_at_enqueue() {
    let (q, _) = queue();
    let mask = "A".repeat(2_764_800); // base64 of a raw 1080p mask is larger still
    let e = q
        .add_now(
            TRACKING_JOB,
            json!({"initialMasks": [mask]}),
            JobOptions::default().with_id("big"),
        )
        .unwrap_err();
    assert_eq!(e.code(), "payload-too-large");
    assert!(e.to_string().contains("big"), "{e}");
    assert!(q.view_now("big").is_none());
    // A job may set its own limit.
    let small = JobOptions {
        size_limit: Some(10),
        ..JobOptions::default().with_id("small")
    };
    assert!(
        q.add_now(TRACKING_JOB, json!({"videoId": "abcdefgh"}), small)
            .is_err()
    );
}

#[test]
fn killed_worker_job_is_redelivered_then_failed_beyond_max_stalled() {
    let (q, clock) = queue();
    add(&q, "j");
    let c1 = claim(&q, "w1").unwrap();
    // The worker dies: no renewals. Nothing happens before the lease expires.
    clock.advance(LEASE.as_millis() as u64 - 1);
    assert_eq!(idle_until(&q), Some(T0 + LEASE.as_millis() as u64));
    clock.advance(1);
    let c2 = claim(&q, "w2").unwrap();
    assert!(c1.cancelled.is_cancelled(), "the lost lease is signalled");
    assert_eq!((c2.attempts_made, c2.attempts_started), (0, 2));
    let v = q.view_now("j").unwrap();
    assert_eq!(v.stalled_count, 1);
    // The second worker dies too: beyond maxStalled (1) the job fails with a clear reason.
    clock.advance(LEASE.as_millis() as u64);
    assert!(claim(&q, "w3").is_none());
    let v = q.view_now("j").unwrap();
    assert_eq!(v.state, JobState::Failed);
    assert_eq!(v.error.as_deref(), Some(memory::STALLED_REASON));
    assert_eq!(v.attempts_made, 0);
}

#[test]
fn frozen_worker_cannot_overwrite_the_second_workers_result() {
    let (q, clock) = queue();
    let mut events = q.subscribe();
    add(&q, "j");
    let frozen = claim(&q, "frozen").unwrap();
    clock.advance(LEASE.as_millis() as u64 + 1);
    let live = claim(&q, "live").unwrap();
    // The frozen worker wakes up: every write is refused.
    for e in [
        q.complete_now(&frozen, json!("stale")).unwrap_err(),
        q.fail_now(&frozen, Failure::retryable("stale"))
            .unwrap_err(),
    ] {
        assert_eq!(e.code(), "stale-lease", "{e}");
    }
    q.complete_now(&live, json!("fresh")).unwrap();
    assert_eq!(
        q.complete_now(&live, json!("again")).unwrap_err().code(),
        "stale-lease",
        "completing twice is refused"
    );
    let completed: Vec<_> = drain(&mut events)
        .into_iter()
        .filter(|e| matches!(e, JobEvent::Completed(..)))
        .collect();
    assert_eq!(completed, [JobEvent::Completed("j".into(), json!("fresh"))]);
    assert_eq!(q.view_now("j").unwrap().result, Some(json!("fresh")));
}

#[tokio::test]
async fn progress_after_a_lost_lease_is_refused() {
    let (q, clock) = queue();
    add(&q, "j");
    let c = claim(&q, "w").unwrap();
    q.progress(&c, json!(40)).await.unwrap();
    q.extend(&c, LEASE).await.unwrap();
    clock.advance(LEASE.as_millis() as u64 + 1);
    let _other = claim(&q, "w2").unwrap();
    let e = q.progress(&c, json!(90)).await.unwrap_err();
    assert_eq!(e.code(), "stale-lease");
    assert_eq!(q.view_now("j").unwrap().progress, json!(40));
}

#[tokio::test]
async fn extending_a_lease_keeps_the_job() {
    let (q, clock) = queue();
    add(&q, "j");
    let c = claim(&q, "w").unwrap();
    for _ in 0..4 {
        clock.advance(LEASE.as_millis() as u64 - 1000);
        q.extend(&c, LEASE).await.unwrap();
        assert!(claim(&q, "w2").is_none());
    }
    q.complete(&c, json!(1)).await.unwrap();
    assert_eq!(q.view_now("j").unwrap().stalled_count, 0);
}

#[test]
fn delayed_jobs_become_ready_at_their_time() {
    let (q, clock) = queue();
    let opts = JobOptions {
        delay: 5000,
        ..JobOptions::default().with_id("later")
    };
    q.add_now(TRACKING_JOB, json!({}), opts).unwrap();
    add(&q, "now");
    assert_eq!(claim(&q, "w").unwrap().id, "now");
    assert_eq!(q.view_now("later").unwrap().state, JobState::Delayed);
    assert_eq!(idle_until(&q), Some(T0 + 5000));
    clock.advance(5000);
    assert_eq!(claim(&q, "w").unwrap().id, "later");
}

#[test]
fn priorities_and_lifo_order_the_claims() {
    let (q, _) = queue();
    let with = |id: &str, priority: u32, lifo: bool| JobOptions {
        priority,
        lifo,
        ..JobOptions::default().with_id(id)
    };
    for (id, p, lifo) in [
        ("p5", 5, false),
        ("w1", 0, false),
        ("p1", 1, false),
        ("w2", 0, true),
    ] {
        q.add_now("t", json!({}), with(id, p, lifo)).unwrap();
    }
    assert_eq!(q.view_now("p5").unwrap().state, JobState::Prioritized);
    let order: Vec<String> = std::iter::from_fn(|| claim(&q, "w").map(|c| c.id)).collect();
    // BullMQ: the wait list first (lifo at its head), then by priority.
    assert_eq!(order, ["w2", "w1", "p1", "p5"]);
}

#[tokio::test]
async fn retention_keeps_the_newest_hundred() {
    let (q, _) = queue();
    for i in 0..101 {
        add(&q, &format!("j{i}"));
        let c = claim(&q, "w").unwrap();
        q.complete_now(&c, json!(i)).unwrap();
    }
    assert!(q.view_now("j0").is_none(), "the oldest is evicted");
    assert!(q.view("j0").await.unwrap().is_none());
    assert_eq!(q.view_now("j1").unwrap().result, Some(json!(1)));
    assert_eq!(q.counts().await.unwrap().completed, 100);
    let listed = q.list(&[JobState::Completed], 3).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|v| v.job_id.as_str()).collect();
    assert_eq!(ids, ["j100", "j99", "j98"], "newest first");
    // removeOnComplete: true keeps nothing; false keeps all; an age limit evicts by time.
    let opts = JobOptions {
        remove_on_complete: Keep::NONE,
        ..JobOptions::default().with_id("gone")
    };
    q.add_now("t", json!({}), opts).unwrap();
    let c = claim(&q, "w").unwrap();
    q.complete_now(&c, json!(null)).unwrap();
    assert!(q.view_now("gone").is_none());
}

#[test]
fn retention_by_age() {
    let (q, clock) = queue();
    let opts = |id: &str| JobOptions {
        remove_on_fail: Keep {
            count: None,
            age_secs: Some(60),
        },
        ..JobOptions::default().with_id(id)
    };
    q.add_now("t", json!({}), opts("old")).unwrap();
    let c = claim(&q, "w").unwrap();
    q.fail_now(&c, Failure::unrecoverable("x")).unwrap();
    clock.advance(61_000);
    q.add_now("t", json!({}), opts("new")).unwrap();
    let c = claim(&q, "w").unwrap();
    q.fail_now(&c, Failure::unrecoverable("y")).unwrap();
    assert!(q.view_now("old").is_none());
    assert!(q.view_now("new").is_some());
}

#[test]
fn the_queue_wide_limiter_spaces_claims() {
    let (q, clock) = queue_with(QueueSettings {
        limiter: Some(Limiter {
            max: 2,
            window: Duration::from_secs(1),
        }),
        ..Default::default()
    });
    for i in 0..5 {
        add(&q, &format!("j{i}"));
    }
    assert!(claim(&q, "a").is_some());
    assert!(claim(&q, "b").is_some());
    assert_eq!(
        idle_until(&q),
        Some(T0 + 1000),
        "the third waits for the next window"
    );
    clock.advance(1000);
    assert!(claim(&q, "a").is_some());
    assert!(claim(&q, "b").is_some());
    assert!(claim(&q, "c").is_none());
}

#[tokio::test]
async fn cancel_fails_a_queued_job_and_signals_a_running_one() {
    let (q, _) = queue();
    add(&q, "queued");
    add(&q, "running");
    q.remove("queued").await.unwrap();
    add(&q, "queued");
    let c = claim(&q, "w").unwrap();
    assert_eq!(c.id, "running");
    assert_eq!(q.cancel("queued").await.unwrap(), Cancelled::Failed);
    assert_eq!(
        q.view_now("queued").unwrap().error.as_deref(),
        Some("cancelled")
    );
    assert_eq!(q.cancel("running").await.unwrap(), Cancelled::Signalled);
    assert!(c.cancelled.is_cancelled());
    // A cancelled job is not retried.
    assert_eq!(
        q.fail_now(&c, Failure::retryable("stopped")).unwrap(),
        FailOutcome::Failed
    );
    assert_eq!(
        q.cancel("running").await.unwrap_err().code(),
        "invalid-state"
    );
    assert_eq!(q.cancel("nope").await.unwrap_err().code(), "job-not-found");
    assert!(!q.remove("nope").await.unwrap());
}

#[test]
fn every_state_maps_to_each_status_shape() {
    let (q, _) = queue();
    add(&q, "j");
    let mut v = q.view_now("j").unwrap();
    v.progress = json!(40);
    v.result = Some(json!({"tracks": []}));
    v.error = Some("boom".into());
    let cases = [
        (JobState::Waiting, "queued"),
        (JobState::Prioritized, "queued"),
        (JobState::Delayed, "queued"),
        (JobState::WaitingChildren, "queued"),
        (JobState::Unknown, "queued"),
        (JobState::Active, "processing"),
        (JobState::Completed, "completed"),
        (JobState::Failed, "failed"),
    ];
    for (state, mapped) in cases {
        v.state = state;
        v.status = state.status();
        let raw = v.to_summary_route();
        let claims = v.to_mapped_route();
        let front = v.to_frontend();
        assert_eq!(raw["status"], state.as_str());
        assert_eq!(claims["status"], mapped);
        assert_eq!(front["state"], state.as_str());
        assert_eq!(front["id"], "j");
        assert_eq!(front["data"], json!({"videoId": "j"}));
        for body in [&raw, &claims] {
            let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
            assert_eq!(keys, ["jobId", "status", "progress", "result", "error"]);
            assert_eq!(body["progress"], 40);
            let done = state == JobState::Completed;
            assert_eq!(body["result"] != Value::Null, done, "{state}");
            assert_eq!(
                body["error"] != Value::Null,
                state == JobState::Failed,
                "{state}"
            );
        }
        assert_eq!(JobState::parse(state.as_str()), Some(state));
    }
    // Non-numeric progress is null in the route shapes, kept in the frontend's.
    v.progress = json!({"framesDone": 5, "framesTotal": 10});
    assert_eq!(v.to_mapped_route()["progress"], Value::Null);
    assert_eq!(v.to_frontend()["progress"]["framesDone"], 5);
    // A failure without a reason reads "Job failed", as FOVEA's routes say.
    v.state = JobState::Failed;
    v.error = None;
    assert_eq!(v.to_summary_route()["error"], "Job failed");
    assert_eq!(v.message(), "Failed: Unknown error");
    v.state = JobState::Active;
    v.progress = json!(42.6);
    assert_eq!(v.message(), "Processing... 43%");
}

#[tokio::test]
async fn closing_the_queue_ends_claims_and_refuses_writes() {
    let (q, _) = queue();
    q.close();
    assert!(
        q.claim("w", LEASE, Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        q.add("t", json!({}), JobOptions::default())
            .await
            .unwrap_err()
            .code(),
        "queue-closed"
    );
}
