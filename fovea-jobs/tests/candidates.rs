//! Reviewing tracking candidates end to end: the in-process queue, the tracking worker (with
//! and without a store), a simulated model service, and an SQLite store.
#![cfg(feature = "store")]

#[cfg(feature = "bullmq")]
mod common;

use fovea_core::InterpOptions;
use fovea_core::model::Video;
use fovea_core::track::Track;
use fovea_db::{CandidateState, Store};
use fovea_jobs::tracking::review::{self, AcceptArgs, CandidatesArgs, RejectArgs};
use fovea_jobs::tracking::*;
use fovea_jobs::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn simulation() -> Simulation {
    Simulation {
        videos: HashMap::from([(
            "v1".to_owned(),
            SimulatedVideo {
                width: 320,
                height: 240,
                frames: 100,
            },
        )]),
        velocity: (2.0, 1.0),
        lost: vec![(40, 49)],
        fail_first: 0,
    }
}

fn payload() -> Value {
    json!({
        "schemaVersion": 1, "videoId": "v1", "model": "samurai",
        "frameRange": {"start": 0, "end": 99},
        "videoWidth": 320, "videoHeight": 240, "personaId": "p1",
        "objects": [
            {"objectId": 1, "label": "ship", "initialBox": {"x": 10, "y": 20, "width": 30, "height": 15},
             "typeId": "vessel"},
            {"objectId": 2, "label": "buoy", "initialBox": {"x": 100, "y": 50, "width": 8, "height": 8}}
        ]
    })
}

async fn store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store = Store::connect(&url).await.unwrap();
    let video: Video =
        serde_json::from_value(json!({"id": "v1", "width": 320, "height": 240})).unwrap();
    store.save_videos(&[video]).await.unwrap();
    store
        .save_personas(&[serde_json::from_value(json!({"id": "p1", "name": "Analyst"})).unwrap()])
        .await
        .unwrap();
    store
}

/// A worker on `queue`, saving into `store` when given.
fn worker(
    queue: &Arc<InProcessQueue>,
    service: &SimulatedModelService,
    store: Option<Store>,
) -> Worker {
    let client = ModelServiceClient::new(ClientOptions {
        base_url: service.url().to_owned(),
        ..Default::default()
    })
    .unwrap();
    let mut handler = TrackingHandler::new(client, TrackingOptions::default());
    if let Some(store) = store {
        handler = handler.with_store(store);
    }
    Worker::start(queue.clone(), Arc::new(handler), WorkerOptions::default())
}

async fn run(queue: &InProcessQueue, id: &str) -> JobView {
    queue
        .add(TRACKING_JOB, payload(), JobOptions::default().with_id(id))
        .await
        .unwrap();
    let v = queue.finished(id).await.unwrap().unwrap();
    assert_eq!(v.state, JobState::Completed, "{:?}", v.error);
    v
}

/// No queue: the candidates are in the store already.
const NO_QUEUE: Option<&InProcessQueue> = None;

fn of_job(job: &str, state: Option<&str>) -> CandidatesArgs {
    CandidatesArgs {
        job_id: Some(job.into()),
        state: state.map(str::to_owned),
        ..Default::default()
    }
}

fn accept_args(value: Value) -> review::Accept {
    serde_json::from_value::<AcceptArgs>(value)
        .unwrap()
        .options()
        .unwrap()
}

/// The largest distance, in pixels, between a tracked box and the annotation's box at its
/// frame, over the tracked frames the annotation shows.
fn worst_error(track: &Track, annotation: &fovea_core::model::Annotation) -> (f64, usize) {
    let compiled = annotation
        .bounding_box_sequence
        .compile(&InterpOptions::default())
        .unwrap();
    let mut worst: f64 = 0.0;
    let mut shown = 0;
    for f in &track.frames {
        if let Some(b) = compiled.box_at(f.frame_number) {
            shown += 1;
            for (have, want) in [b.x, b.y, b.width, b.height].iter().zip(f.bbox) {
                worst = worst.max((have - want).abs());
            }
        }
    }
    (worst, shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_with_a_store_registers_candidates_and_each_reduction_keeps_the_track() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let service = SimulatedModelService::start(simulation()).await.unwrap();
    let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
    let w = worker(&queue, &service, Some(store.clone()));
    run(&queue, "job1").await;
    w.shutdown(Duration::from_secs(1)).await;

    let listed = review::candidates(&store, NO_QUEUE, &of_job("job1", None))
        .await
        .unwrap();
    let states: Vec<_> = listed.iter().map(|c| (c.object_id, c.state)).collect();
    // The job named a type for object 1: saved, so registered as accepted.
    assert_eq!(
        states,
        [(1, CandidateState::Accepted), (2, CandidateState::Pending)]
    );
    assert_eq!(listed[0].annotation_id.as_deref(), Some("job1-obj1"));
    assert_eq!(
        (listed[1].label.as_deref(), listed[1].tracked_frames),
        (Some("buoy"), 90)
    );
    let (_, track) = store.candidate_track("job1", 2).await.unwrap().unwrap();

    for (options, most_keyframes, bound) in [
        (json!({"tolerance": 0.5}), 4, 0.5),
        (json!({"everyFrame": true}), 90, 0.0),
        (json!({"decimation": 10}), 10, 20.0),
    ] {
        let mut options = options;
        options["typeId"] = json!("marker");
        options["personaId"] = json!("p1");
        let c = review::accept(&store, NO_QUEUE, "job1", 2, accept_args(options.clone()))
            .await
            .unwrap();
        assert_eq!(
            (c.state, c.annotation_id.as_deref()),
            (CandidateState::Accepted, Some("job1-obj2"))
        );
        let a = store.annotation("job1-obj2").await.unwrap().unwrap();
        let boxes = a.bounding_box_sequence.boxes.len();
        assert!(boxes <= most_keyframes, "{options}: {boxes} keyframes");
        let (worst, shown) = worst_error(&track, &a);
        assert_eq!(shown, 90, "{options}: every tracked frame is shown");
        assert!(worst <= bound + 1e-9, "{options}: off by {worst}");
        assert_eq!(a.type_id.as_deref(), Some("marker"));
        let meta = a.metadata.as_ref().unwrap();
        assert_eq!(
            (&meta["trackingJobId"], &meta["objectId"], &meta["model"]),
            (&json!("job1"), &json!(2), &json!("samurai"))
        );
    }
    // Trimmed to frames 10..30, as an object annotation.
    let c = review::accept(
        &store,
        NO_QUEUE,
        "job1",
        2,
        accept_args(json!({"entityId": "buoy-7", "frames": {"start": 10, "end": 30}})),
    )
    .await
    .unwrap();
    assert_eq!(c.version, 5);
    let a = store.annotation("job1-obj2").await.unwrap().unwrap();
    assert!(a.is_object());
    let frames: Vec<_> = a
        .bounding_box_sequence
        .boxes
        .iter()
        .map(|b| b.frame_number)
        .collect();
    assert_eq!((frames.first(), frames.last()), (Some(&10), Some(&30)));
    // One annotation per object, however often it was accepted.
    assert_eq!(store.annotations(Some("v1")).await.unwrap().0.len(), 2);

    let rejected = review::reject(
        &store,
        NO_QUEUE,
        "job1",
        1,
        RejectArgs {
            reason: Some("not a vessel".into()),
            version: Some(1),
            reviewer: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(rejected.state, CandidateState::Rejected);
    assert!(store.annotation("job1-obj1").await.unwrap().is_none());
    let pending = review::candidates(&store, NO_QUEUE, &of_job("job1", Some("pending")))
        .await
        .unwrap();
    assert!(pending.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_store_the_job_result_registers_them_and_they_outlive_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let service = SimulatedModelService::start(simulation()).await.unwrap();
    let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
    let first = worker(&queue, &service, None);
    run(&queue, "job2").await;
    first.shutdown(Duration::from_secs(1)).await;

    let listed = review::candidates(&store, Some(&*queue), &of_job("job2", None))
        .await
        .unwrap();
    // That worker saved nothing: both pending.
    assert!(
        listed.iter().all(|c| c.state == CandidateState::Pending),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 2);
    // A new worker; the job leaves the queue; the candidates stay.
    let second = worker(&queue, &service, Some(store.clone()));
    queue.remove("job2").await.unwrap();
    let c = review::accept(
        &store,
        NO_QUEUE,
        "job2",
        1,
        accept_args(json!({"typeId": "vessel", "personaId": "p1", "version": 1})),
    )
    .await
    .unwrap();
    assert_eq!((c.state, c.version), (CandidateState::Accepted, 2));
    // A reviewer who saw version 1 is too late.
    let e = review::reject(
        &store,
        NO_QUEUE,
        "job2",
        1,
        RejectArgs {
            reason: None,
            version: Some(1),
            reviewer: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "conflict", "{e}");
    second.shutdown(Duration::from_secs(1)).await;

    // A job that is not there, or not finished, has no candidates to register.
    let e = review::candidates(&store, Some(&*queue), &of_job("nope", None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "job-not-found");
}

#[tokio::test]
async fn accepting_refuses_unclear_options_and_missing_dependencies() {
    for (options, field) in [
        (json!({}), "typeId"),
        (json!({"typeId": "t"}), "personaId"),
        (
            json!({"typeId": "t", "personaId": "p", "entityId": "e"}),
            "entityId",
        ),
        (
            json!({"entityId": "e", "tolerance": 1, "everyFrame": true}),
            "tolerance",
        ),
        (json!({"entityId": "e", "tolerance": -1}), "tolerance"),
        (json!({"entityId": "e", "decimation": 0}), "decimation"),
        (
            json!({"entityId": "e", "frames": {"start": 9, "end": 3}}),
            "frames",
        ),
    ] {
        let e = serde_json::from_value::<AcceptArgs>(options.clone())
            .unwrap()
            .options()
            .unwrap_err();
        assert!(
            matches!(&e, JobError::InvalidOptions { field: f, .. } if *f == field),
            "{options}: {e}"
        );
        assert_eq!(e.code(), "invalid-option");
    }
    assert!(serde_json::from_value::<AcceptArgs>(json!({"entityID": "e"})).is_err());

    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let result = json!({
        "videoId": "v-missing",
        "tracks": [{"trackId": 3, "label": "x", "confidence": 0.8, "model": "m",
                    "frames": [{"frameNumber": 0, "box": {"x": 1, "y": 2, "width": 3, "height": 4},
                                "confidence": 0.8, "occluded": false}],
                    "videoWidth": 10, "videoHeight": 10}],
    });
    store
        .register_candidates(&review::candidates_from_result("j3", &result).unwrap())
        .await
        .unwrap();
    let e = review::accept(
        &store,
        NO_QUEUE,
        "j3",
        3,
        accept_args(json!({"entityId": "e"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "missing-dependency");
    assert!(e.to_string().contains("v-missing"), "{e}");
    let e = review::accept(
        &store,
        NO_QUEUE,
        "j3",
        3,
        accept_args(json!({"entityId": "e", "frames": {"start": 5, "end": 9}})),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("covers 0..0"), "{e}");
    let e = review::candidates_from_result("j4", &json!({"videoId": "v", "tracksOmitted": true}))
        .unwrap_err();
    assert!(e.to_string().contains("has a store"), "{e}");
}

#[cfg(feature = "bullmq")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_bullmq_the_result_registers_them_and_each_review_is_logged_on_the_job() {
    use fovea_jobs::bull::{BullOptions, BullQueue, BullWorker};
    let Some(server) = common::RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let service = SimulatedModelService::start(simulation()).await.unwrap();
    let client = ModelServiceClient::new(ClientOptions {
        base_url: service.url().to_owned(),
        ..Default::default()
    })
    .unwrap();
    let options = BullOptions::new(&server.url());
    let handler = TrackingHandler::new(client, TrackingOptions::default());
    let worker = BullWorker::start(
        TRACKING_QUEUE,
        Arc::new(handler),
        WorkerOptions::default(),
        &options,
    )
    .await
    .unwrap();
    let queue = BullQueue::connect(TRACKING_QUEUE, options).await.unwrap();
    queue
        .add(
            TRACKING_JOB,
            payload(),
            JobOptions::default().with_id("bull-1"),
        )
        .await
        .unwrap();
    let done = queue.finished("bull-1").await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Completed, "{:?}", done.error);
    worker.shutdown(Duration::from_secs(1)).await;

    let listed = review::candidates(&store, Some(&queue), &of_job("bull-1", None))
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    review::accept(
        &store,
        Some(&queue),
        "bull-1",
        2,
        accept_args(json!({"entityId": "buoy-7", "everyFrame": true})),
    )
    .await
    .unwrap();
    let rejected = RejectArgs {
        reason: Some("not a vessel".into()),
        ..Default::default()
    };
    review::reject(&store, Some(&queue), "bull-1", 1, rejected)
        .await
        .unwrap();
    // BullMQ's clients read the reviews from the job's log, one JSON line each.
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let lines: Vec<String> = redis::cmd("LRANGE")
        .arg(format!("bull:{TRACKING_QUEUE}:bull-1:logs"))
        .arg(0)
        .arg(-1)
        .query_async(&mut c)
        .await
        .unwrap();
    let logged: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<_> = logged
        .iter()
        .map(|l| {
            (
                l["objectId"].clone(),
                l["state"].clone(),
                l["version"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!(2), json!("accepted"), json!(2)),
            (json!(1), json!("rejected"), json!(2))
        ]
    );
    assert_eq!(logged[0]["annotationId"], "bull-1-obj2");
    assert_eq!(logged[1]["reason"], "not a vessel");
    // A job that has left the queue gets no log, and the review still stands.
    queue.remove("bull-1").await.unwrap();
    assert!(!queue.add_log("bull-1", "x").await.unwrap());
    let exists: i64 = redis::cmd("EXISTS")
        .arg(format!("bull:{TRACKING_QUEUE}:bull-1:logs"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(
        exists, 0,
        "removing the job removed its log, and nothing recreated it"
    );
    queue.close().await;
}
