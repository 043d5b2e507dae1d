//! Tracking jobs end to end: the in-process queue, a worker running the tracking handler, and
//! a model service on loopback that speaks FOVEA's `/api/tracking/track` contract with
//! generated RLE masks.

#[cfg(feature = "store")]
use fovea_core::model::Video;
use fovea_jobs::tracking::*;
use fovea_jobs::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const W: u32 = 320;
const H: u32 = 240;

fn simulation() -> Simulation {
    Simulation {
        videos: HashMap::from([(
            "v1".to_owned(),
            SimulatedVideo {
                width: W,
                height: H,
                frames: 100,
            },
        )]),
        velocity: (2.0, 1.0),
        lost: vec![(40, 49)],
        fail_first: 0,
    }
}

fn client(url: &str) -> ModelServiceClient {
    ModelServiceClient::new(ClientOptions {
        base_url: url.to_owned(),
        retry_delay: Duration::from_millis(10),
        ..Default::default()
    })
    .unwrap()
}

fn payload() -> Value {
    json!({
        "schemaVersion": 1, "videoId": "v1", "model": "samurai",
        "frameRange": {"start": 0, "end": 99},
        "videoWidth": W, "videoHeight": H,
        "objects": [
            {"objectId": 1, "label": "ship", "initialBox": {"x": 10, "y": 20, "width": 30, "height": 15}},
            {"objectId": 2, "initialBox": {"x": 100, "y": 50, "width": 8, "height": 8}}
        ]
    })
}

/// The store a test saves into; without the `store` feature there is none to give.
#[cfg(feature = "store")]
type Store = fovea_db::Store;
#[cfg(not(feature = "store"))]
type Store = std::convert::Infallible;

#[cfg(feature = "store")]
fn with_store(handler: TrackingHandler, store: Option<Store>) -> TrackingHandler {
    match store {
        Some(store) => handler.with_store(store),
        None => handler,
    }
}

#[cfg(not(feature = "store"))]
fn with_store(handler: TrackingHandler, _: Option<Store>) -> TrackingHandler {
    handler
}

struct Setup {
    queue: Arc<InProcessQueue>,
    worker: Worker,
    service: SimulatedModelService,
}

async fn setup(sim: Simulation, store: Option<Store>) -> Setup {
    let service = SimulatedModelService::start(sim).await.unwrap();
    let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
    let handler = with_store(
        TrackingHandler::new(client(service.url()), TrackingOptions::default()),
        store,
    );
    let worker = Worker::start(queue.clone(), Arc::new(handler), WorkerOptions::default());
    Setup {
        queue,
        worker,
        service,
    }
}

async fn run(s: &Setup, id: &str, data: Value) -> JobView {
    s.queue
        .add(TRACKING_JOB, data, JobOptions::default().with_id(id))
        .await
        .unwrap();
    s.queue.finished(id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_becomes_keyframe_sequences_that_reproduce_the_tracked_boxes() {
    let s = setup(simulation(), None).await;
    let v = run(&s, "track-v1-a", payload()).await;
    assert_eq!(v.state, JobState::Completed, "{:?}", v.error);
    assert_eq!(v.progress, json!(100));
    let r = v.result.clone().unwrap();
    assert_eq!(r["framesProcessed"], 100);
    assert_eq!(r["trackCount"], 2);
    assert_eq!(
        (r["videoWidth"].as_u64(), r["videoHeight"].as_u64()),
        (Some(320), Some(240))
    );
    let first = &r["sequences"][0];
    assert_eq!(first["label"], "ship");
    assert_eq!(r["sequences"][1]["label"], "object 2");
    // 90 visible frames of straight motion in two runs: 2 keyframes per run.
    assert_eq!(first["trackedFrames"], 90);
    assert_eq!(first["keyframes"], 4);
    let seq = &first["sequence"];
    let frames: Vec<u64> = seq["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["frameNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(frames, [0, 39, 50, 99]);
    for b in seq["boxes"].as_array().unwrap() {
        let f = b["frameNumber"].as_f64().unwrap();
        assert_eq!(b["x"].as_f64().unwrap(), 10.0 + 2.0 * f, "x at {f}");
        assert_eq!(b["y"].as_f64().unwrap(), 20.0 + f, "y at {f}");
        assert_eq!(
            (b["width"].as_f64(), b["height"].as_f64()),
            (Some(30.0), Some(15.0))
        );
    }
    let hidden: Vec<_> = seq["visibilityRanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["visible"] == false)
        .map(|r| {
            (
                r["startFrame"].as_u64().unwrap(),
                r["endFrame"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hidden,
        [(40, 49)],
        "the lost frames are hidden, never bridged"
    );
    assert_eq!(seq["trackingSource"], "samurai");
    // The per-frame tracks are small here, so they are in the result too (pixels).
    assert_eq!(r["tracks"][0]["frames"].as_array().unwrap().len(), 90);
    assert_eq!(r["tracks"][0]["videoWidth"], 320);
    // Every status shape reads the result.
    for body in [v.to_summary_route(), v.to_mapped_route()] {
        assert_eq!(
            (&body["status"], &body["result"]),
            (&json!("completed"), &r)
        );
    }
    assert_eq!(v.to_frontend()["returnvalue"], r);
    s.worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fovea_decimation_and_plain_conversion_are_available() {
    let s = setup(simulation(), None).await;
    let mut p = payload();
    p["decimation"] = json!(10);
    let r = run(&s, "dec", p).await.result.unwrap();
    // FOVEA keeps indices 0, 10, … 80 and the last of 90 boxes.
    assert_eq!(r["sequences"][0]["keyframes"], 10);
    let mut p = payload();
    p["tolerance"] = json!(0);
    let r = run(&s, "plain", p).await.result.unwrap();
    assert_eq!(r["sequences"][0]["keyframes"], 90);
    s.worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_answer_fails_the_job_at_once() {
    let s = setup(simulation(), None).await;
    let mut p = payload();
    p["videoId"] = json!("nope");
    let v = run(&s, "missing", p).await;
    assert_eq!((v.state, v.attempts_made), (JobState::Failed, 1));
    assert_eq!(
        v.error.as_deref(),
        Some("Model service error (404): Video not found: nope")
    );
    assert_eq!(s.service.requests(), 1, "not retried");
    s.worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_5xx_is_retried_by_the_client() {
    let s = setup(
        Simulation {
            fail_first: 2,
            ..simulation()
        },
        None,
    )
    .await;
    let v = run(&s, "flaky", payload()).await;
    assert_eq!((v.state, v.attempts_made), (JobState::Completed, 1));
    assert_eq!(s.service.requests(), 3);
    s.worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_is_a_retryable_failure() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
    let handler = TrackingHandler::new(
        client(&format!("http://127.0.0.1:{port}")),
        TrackingOptions::default(),
    );
    let worker = Worker::start(queue.clone(), Arc::new(handler), WorkerOptions::default());
    let opts = JobOptions {
        attempts: 2,
        backoff: None,
        ..JobOptions::default().with_id("down")
    };
    queue.add(TRACKING_JOB, payload(), opts).await.unwrap();
    let v = queue.finished("down").await.unwrap().unwrap();
    assert_eq!((v.state, v.attempts_made), (JobState::Failed, 2));
    let e = v.error.unwrap();
    assert!(e.starts_with("model service at http://127.0.0.1:"), "{e}");
    worker.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_jobs_fail_at_once_with_a_precise_message() {
    let s = setup(simulation(), None).await;
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut no_version = payload();
    no_version.as_object_mut().unwrap().remove("schemaVersion");
    cases.push((no_version, "invalid tracking job: schemaVersion: missing"));
    let mut v2 = payload();
    v2["schemaVersion"] = json!(2);
    cases.push((
        v2,
        "invalid tracking job: schemaVersion: 2 is not supported (this worker reads 1)",
    ));
    let mut bad_box = payload();
    bad_box["objects"][1]["initialBox"]["width"] = json!("wide");
    cases.push((bad_box, "invalid tracking job: objects[1].initialBox.width: invalid type: string \"wide\", expected f64"));
    let mut empty_box = payload();
    empty_box["objects"][0]["initialBox"]["height"] = json!(0);
    cases.push((empty_box, "invalid tracking job: objects[0].initialBox: needs finite x, y and a positive width and height"));
    let mut dup = payload();
    dup["objects"][1]["objectId"] = json!(1);
    cases.push((
        dup,
        "invalid tracking job: objects[1].objectId: 1 appears twice",
    ));
    let mut no_size = payload();
    no_size.as_object_mut().unwrap().remove("videoWidth");
    no_size.as_object_mut().unwrap().remove("videoHeight");
    cases.push((no_size, "video v1: size unknown; give videoWidth and videoHeight (or configure a store that holds the video)"));
    let mut range = payload();
    range["frameRange"] = json!({"start": 9, "end": 3});
    cases.push((
        range,
        "invalid tracking job: frameRange: start 9 is after end 3",
    ));
    // Poison jobs: a request that cannot be built within the limits fails, never aborts.
    let mut far = payload();
    far["frameRange"] = json!({"start": 0, "end": 4_000_000_000u32});
    cases.push((
        far,
        "invalid tracking job: frameRange: 4000000001 exceeds the frames limit of 1048576",
    ));
    let mut huge = payload();
    huge["videoWidth"] = json!(100_000);
    huge["videoHeight"] = json!(100_000);
    cases.push((
        huge,
        "invalid tracking job: videoWidth: 10000000000 exceeds the videoPixels limit of 67108864",
    ));
    let mut foreign = payload();
    foreign["someOtherClient"] = json!({"kept": true});
    for (i, (data, message)) in cases.into_iter().enumerate() {
        let v = run(&s, &format!("bad{i}"), data).await;
        assert_eq!(v.state, JobState::Failed, "case {i}");
        assert_eq!(v.attempts_made, 1, "case {i}: not retried");
        assert_eq!(v.error.as_deref(), Some(message), "case {i}");
    }
    // Unknown fields are kept on the job and do not stop it.
    let v = run(&s, "foreign", foreign).await;
    assert_eq!(v.state, JobState::Completed);
    assert_eq!(v.data["someOtherClient"], json!({"kept": true}));
    assert_eq!(s.service.requests(), 1, "bad jobs never reach the service");
    s.worker.shutdown(Duration::from_secs(1)).await;
}

#[cfg(feature = "store")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracks_are_saved_once_even_when_the_job_runs_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = fovea_db::Store::connect(&url).await.unwrap();
    let video: Video =
        serde_json::from_value(json!({"id": "v1", "filename": "v1.mp4", "width": W, "height": H}))
            .unwrap();
    store.save_videos(&[video]).await.unwrap();
    let s = setup(simulation(), Some(store.clone())).await;
    let mut p = payload();
    p.as_object_mut().unwrap().remove("videoWidth");
    p.as_object_mut().unwrap().remove("videoHeight");
    p["objects"][0]["linkedEntityId"] = json!("entity-ship");
    let v = run(&s, "saved", p.clone()).await;
    assert_eq!(v.state, JobState::Completed, "{:?}", v.error);
    let r = v.result.unwrap();
    assert_eq!(
        r["annotationIds"],
        json!(["saved-obj1"]),
        "object 2 has no target: not saved"
    );
    // A redelivery runs the handler again: the same annotation is replaced, not duplicated.
    s.queue.remove("saved").await.unwrap();
    let again = run(&s, "saved", p).await;
    assert_eq!(again.state, JobState::Completed);
    let (all, bad) = store.annotations(Some("v1")).await.unwrap();
    assert!(bad.is_empty());
    assert_eq!(all.len(), 1);
    let a = &all[0];
    assert_eq!(a.id, "saved-obj1");
    assert!(a.is_object());
    assert_eq!(a.linked_entity_id.as_deref(), Some("entity-ship"));
    assert_eq!(a.bounding_box_sequence.boxes.len(), 4);
    assert_eq!(a.metadata.as_ref().unwrap()["trackingJobId"], "saved");
    s.worker.shutdown(Duration::from_secs(1)).await;
}

#[cfg(feature = "store")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_video_too_large_to_track_fails_the_job_and_limits_are_the_workers_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = fovea_db::Store::connect(&url).await.unwrap();
    let video: Video = serde_json::from_value(
        json!({"id": "v1", "filename": "v1.mp4", "width": 100_000, "height": 100_000}),
    )
    .unwrap();
    store.save_videos(&[video]).await.unwrap();
    let service = SimulatedModelService::start(simulation()).await.unwrap();
    let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
    let options = TrackingOptions {
        limits: fovea_core::limits::TrackingLimits {
            frames: 50,
            ..Default::default()
        },
        ..Default::default()
    };
    let handler = TrackingHandler::new(client(service.url()), options).with_store(store);
    let worker = Worker::start(queue.clone(), Arc::new(handler), WorkerOptions::default());
    let mut sized_by_store = payload();
    sized_by_store["frameRange"] = json!({"start": 0, "end": 9});
    sized_by_store.as_object_mut().unwrap().remove("videoWidth");
    sized_by_store
        .as_object_mut()
        .unwrap()
        .remove("videoHeight");
    let opts = |id: &str| JobOptions {
        attempts: 3,
        ..JobOptions::default().with_id(id)
    };
    queue
        .add(TRACKING_JOB, sized_by_store, opts("store-size"))
        .await
        .unwrap();
    let v = queue.finished("store-size").await.unwrap().unwrap();
    assert_eq!(
        (v.state, v.attempts_made),
        (JobState::Failed, 1),
        "not retried"
    );
    assert_eq!(
        v.error.as_deref(),
        Some(
            "tracking job refused: video v1: 10000000000 exceeds the videoPixels limit of 67108864"
        )
    );
    // The worker's own limit: 100 frames are more than the 50 it allows.
    queue
        .add(TRACKING_JOB, payload(), opts("long"))
        .await
        .unwrap();
    let v = queue.finished("long").await.unwrap().unwrap();
    assert_eq!((v.state, v.attempts_made), (JobState::Failed, 1));
    assert_eq!(
        v.error.as_deref(),
        Some("invalid tracking job: frameRange: 100 exceeds the frames limit of 50")
    );
    assert_eq!(
        service.requests(),
        0,
        "refused jobs never reach the service"
    );
    worker.shutdown(Duration::from_secs(1)).await;
}
