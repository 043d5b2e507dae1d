//! Interop with the real BullMQ packages as peers, since FOVEA's Node server and a Rust or
//! Python worker share one queue: Node `bullmq` at FOVEA's version (5.59.0) and at the current
//! major (6), and Python `bullmq` from PyPI, against a throwaway `redis-server`. The peers live
//! in `interop/` (scripts/services installs them and sets `FOVEA_INTEROP_DIR`).
#![cfg(feature = "bullmq")]

mod common;

use common::RedisServer;
use fovea_jobs::bull::{BullOptions, BullQueue, BullWorker};
use fovea_jobs::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const NODE_MAJORS: [&str; 2] = ["bullmq5", "bullmq6"];

fn interop_dir() -> Option<PathBuf> {
    match std::env::var("FOVEA_INTEROP_DIR") {
        Ok(d) => Some(PathBuf::from(d)),
        Err(_) if std::env::var("FOVEA_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("FOVEA_INTEROP_DIR is not set, and scripts/test requires the BullMQ peers")
        }
        Err(_) => {
            eprintln!("skipping: FOVEA_INTEROP_DIR is not set");
            None
        }
    }
}

/// Runs a peer to completion (on a blocking thread) and returns the JSON it printed.
async fn peer(program: &str, dir: &Path, args: Vec<String>) -> Value {
    let (program, dir) = (program.to_owned(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let out = Command::new(&program)
            .args(&args)
            .current_dir(&dir)
            .output()
            .expect("peer runs");
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.lines().last().unwrap_or_default()).expect("the peer prints JSON")
    })
    .await
    .unwrap()
}

fn node_args(pkg: &str, rest: &[&str]) -> Vec<String> {
    ["node_peer.js", pkg]
        .iter()
        .chain(rest)
        .map(|s| s.to_string())
        .collect()
}

async fn rust_worker(server: &RedisServer, queue: &str) -> BullWorker {
    let handler = |job: JobContext| async move {
        job.progress(50);
        Ok(json!({"by": "rust", "echo": job.data().clone()}))
    };
    BullWorker::start(
        queue,
        Arc::new(handler),
        WorkerOptions::default(),
        &BullOptions::new(&server.url()),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_producers_and_a_rust_worker() {
    let Some(dir) = interop_dir() else { return };
    let Some(server) = RedisServer::start() else {
        return;
    };
    for pkg in NODE_MAJORS {
        let queue = format!("tracking-{pkg}");
        let w = rust_worker(&server, &queue).await;
        let out = peer(
            "node",
            &dir,
            node_args(
                pkg,
                &[
                    "produce",
                    &server.url(),
                    &queue,
                    "track-v1",
                    r#"{"videoId":"v1","schemaVersion":1}"#,
                ],
            ),
        )
        .await;
        assert_eq!(out["state"], "completed", "{pkg}: {out}");
        assert_eq!(
            out["returnvalue"],
            json!({"by": "rust", "echo": {"videoId": "v1", "schemaVersion": 1}}),
            "{pkg}"
        );
        assert_eq!(out["attemptsMade"], 1, "{pkg}");
        assert_eq!(out["progress"], 50, "{pkg}");
        // fovea's status view reads the job Node added and Rust finished.
        let q = BullQueue::connect(&queue, BullOptions::new(&server.url()))
            .await
            .unwrap();
        let v = q.view("track-v1").await.unwrap().unwrap();
        assert_eq!((v.state, v.max_attempts), (JobState::Completed, 3), "{pkg}");
        assert_eq!(v.to_summary_route()["result"]["by"], "rust");
        w.shutdown(Duration::from_secs(1)).await;
        q.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_producer_with_node_and_python_workers() {
    let Some(dir) = interop_dir() else { return };
    let Some(server) = RedisServer::start() else {
        return;
    };
    let python =
        std::env::var("FOVEA_INTEROP_PYTHON").unwrap_or_else(|_| ".venv/bin/python".into());
    let peers: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "node",
            node_args(
                "bullmq5",
                &["work", &server.url(), "from-rust-bullmq5", "2"],
            ),
            "bullmq5",
        ),
        (
            "node",
            node_args(
                "bullmq6",
                &["work", &server.url(), "from-rust-bullmq6", "2"],
            ),
            "bullmq6",
        ),
        (
            python.as_str(),
            vec![
                "python_worker.py".into(),
                server.url(),
                "from-rust-python".into(),
                "2".into(),
            ],
            "python",
        ),
    ];
    for (program, args, by) in peers {
        let queue = args[args.len() - 2].clone();
        let q = BullQueue::connect(&queue, BullOptions::new(&server.url()))
            .await
            .unwrap();
        for id in ["a", "b"] {
            let data = json!({"videoId": id, "schemaVersion": 1});
            q.add(
                TRACKING_JOB,
                data,
                JobOptions::default().with_id(format!("track-{id}")),
            )
            .await
            .unwrap();
        }
        let out = peer(program, &dir, args).await;
        assert_eq!(out["processed"], 2, "{by}");
        for id in ["a", "b"] {
            let v = q.finished(&format!("track-{id}")).await.unwrap().unwrap();
            assert_eq!(v.state, JobState::Completed, "{by}");
            let result = v.result.unwrap();
            assert_eq!(result["by"], by);
            assert_eq!(result["echo"]["videoId"], id, "{by}");
            assert_eq!(v.progress, json!(50), "{by}");
            assert_eq!(v.attempts_made, 1, "{by}");
        }
        q.close().await;
    }
}

/// The whole flow across implementations: Node `bullmq` submits a tracking job, fovea's
/// tracking worker runs it against the model service, and Node reads the keyframe sequences.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_tracking_job_is_tracked_by_fovea_against_the_model_service() {
    use fovea_jobs::tracking::{SimulatedModelService, Simulation, TrackingHandler};
    let Some(dir) = interop_dir() else { return };
    let Some(server) = RedisServer::start() else {
        return;
    };
    let simulation = Simulation::from_value(json!({
        "videos": {"v1": {"width": 640, "height": 480, "frames": 40}}, "velocity": [2.0, 0.0]
    }))
    .unwrap();
    let service = SimulatedModelService::start(simulation).await.unwrap();
    let handler = TrackingHandler::connect(service.url(), None, Default::default())
        .await
        .unwrap();
    let queue = "tracking-flow";
    let w = BullWorker::start(
        queue,
        Arc::new(handler),
        WorkerOptions::default(),
        &BullOptions::new(&server.url()),
    )
    .await
    .unwrap();
    let job = json!({
        "schemaVersion": 1, "videoId": "v1", "model": "samurai",
        "frameRange": {"start": 0, "end": 39}, "videoWidth": 640, "videoHeight": 480,
        "objects": [{"objectId": 7, "label": "ship",
                     "initialBox": {"x": 10, "y": 20, "width": 30, "height": 15}}]
    });
    let out = peer(
        "node",
        &dir,
        node_args(
            "bullmq6",
            &[
                "produce",
                &server.url(),
                queue,
                "track-flow",
                &job.to_string(),
            ],
        ),
    )
    .await;
    assert_eq!(out["state"], "completed", "{out}");
    assert_eq!(out["progress"], 100);
    let seq = &out["returnvalue"]["sequences"][0];
    assert_eq!(
        (seq["objectId"].clone(), seq["trackedFrames"].clone()),
        (json!(7), json!(40))
    );
    let frames: Vec<_> = seq["sequence"]["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["frameNumber"].clone())
        .collect();
    assert_eq!(
        frames,
        [json!(0), json!(39)],
        "a straight motion keeps its ends"
    );
    assert_eq!(service.requests(), 1);
    w.shutdown(Duration::from_secs(1)).await;
}
