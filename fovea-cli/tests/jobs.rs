//! `fovea track`, `fovea jobs …` and `fovea worker` as processes: a worker process on a
//! throwaway redis-server, a simulated model service, jobs submitted and polled through the
//! command line, and a graceful stop on SIGTERM.

#[allow(dead_code)]
mod common;
#[path = "../../fovea-jobs/tests/common/mod.rs"]
mod redis_server;

use common::json;
use fovea_jobs::tracking::{SimulatedModelService, SimulatedVideo, Simulation};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn fovea() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fovea"))
}

fn with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn payload(video: &str) -> Value {
    json!({"schemaVersion": 1, "videoId": video, "frameRange": {"start": 0, "end": 59},
           "videoWidth": 640, "videoHeight": 360,
           "objects": [{"objectId": 7, "label": "car", "initialBox": {"x": 10, "y": 10, "width": 40, "height": 20}}]})
}

#[test]
fn track_runs_a_job_in_process_and_prints_its_status() {
    let mut cmd = fovea();
    cmd.args(["track", "--simulate"]);
    let out = with_stdin(cmd, &payload("v1").to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["state"], "completed");
    assert_eq!(v["result"]["sequences"][0]["label"], "car");
    assert_eq!(v["result"]["sequences"][0]["trackedFrames"], 60);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Completed successfully"));

    let mut bad = payload("v1");
    bad["schemaVersion"] = json!(9);
    let mut cmd = fovea();
    cmd.args(["track", "--simulate"]);
    let out = with_stdin(cmd, &bad.to_string());
    assert_eq!(
        out.status.code(),
        Some(1),
        "an invalid job is invalid input"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error[invalid-type]: schemaVersion: 9 is not supported")
    );
}

#[test]
fn jobs_without_redis_say_how_to_run_them() {
    let out = fovea()
        .args(["jobs", "status", "x"])
        .env_remove("FOVEA_REDIS_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --redis"));
}

#[test]
fn a_worker_process_serves_jobs_submitted_from_the_command_line() {
    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let service = rt
        .block_on(SimulatedModelService::start(Simulation {
            videos: HashMap::from([(
                "v1".to_owned(),
                SimulatedVideo {
                    width: 640,
                    height: 360,
                    frames: 60,
                },
            )]),
            velocity: (2.0, 0.0),
            ..Default::default()
        }))
        .unwrap();
    let url = redis.url();
    let worker = fovea()
        .args([
            "worker",
            "--redis",
            &url,
            "--concurrency",
            "2",
            "--grace",
            "5",
        ])
        .args(["--model-service", service.url()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut cmd = fovea();
    cmd.args(["jobs", "submit", "--redis", &url, "--id", "track-v1"]);
    let out = with_stdin(cmd, &payload("v1").to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&out),
        json!({"jobId": "track-v1", "status": "queued", "duplicate": false})
    );
    let mut cmd = fovea();
    cmd.args(["jobs", "submit", "--redis", &url, "--id", "track-v1"]);
    let again = json(&with_stdin(cmd, &payload("v1").to_string()));
    assert_eq!(again["duplicate"], true);

    let mut cmd = fovea();
    cmd.args([
        "jobs",
        "submit",
        "--redis",
        &url,
        "--id",
        "missing",
        "--options",
        r#"{"attempts":1}"#,
    ]);
    assert!(
        with_stdin(cmd, &payload("nope").to_string())
            .status
            .success()
    );

    let status = |id: &str, shape: &str| {
        let out = fovea()
            .args(["jobs", "status", id, "--redis", &url, "--shape", shape])
            .output()
            .unwrap();
        json(&out)
    };
    let finished = |id: &str| {
        let out = fovea()
            .args(["jobs", "wait", id, "--redis", &url, "--timeout", "60"])
            .output()
            .unwrap();
        (out.status.code(), json(&out))
    };
    let (code, done) = finished("track-v1");
    assert_eq!(code, Some(0));
    assert_eq!(done["result"]["sequences"][0]["keyframes"], 2, "{done}");
    assert_eq!(status("track-v1", "summary")["status"], "completed");
    assert_eq!(status("track-v1", "mapped")["status"], "completed");
    assert_eq!(
        status("track-v1", "frontend")["returnvalue"]["trackCount"],
        1
    );
    let (code, failed) = finished("missing");
    assert_eq!(code, Some(1));
    assert_eq!(
        failed["error"],
        "Model service error (404): Video not found: nope"
    );

    let listed = json(
        &fovea()
            .args(["jobs", "list", "--redis", &url, "--state", "completed"])
            .output()
            .unwrap(),
    );
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let out = fovea()
        .args(["jobs", "status", "nope", "--redis", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));

    // SIGTERM: a graceful stop that prints the worker's report.
    let pid = worker.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = worker.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(
        (report["completed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1))
    );
    drop(service);
}

/// A model service that accepts connections, says when one arrives, and never answers: a job
/// sent to it hangs until its worker dies.
fn hanging_service() -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
            if tx.send(()).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

#[test]
fn a_job_whose_worker_is_killed_is_taken_up_within_the_lease_and_half_of_it() {
    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let lease = 2.0;
    let worker = |service: &str| {
        fovea()
            .args(["worker", "--redis", &url, "--lease", &lease.to_string()])
            .args(["--model-service", service])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (hanging, called) = hanging_service();
    let mut doomed = worker(&hanging);
    let mut cmd = fovea();
    cmd.args(["jobs", "submit", "--redis", &url, "--id", "stall-1"]);
    assert!(with_stdin(cmd, &payload("v1").to_string()).status.success());
    // The doomed worker holds the job once it has called the service.
    called
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the first worker takes the job");
    doomed.kill().unwrap(); // SIGKILL: no hand-back, the lock just stops being renewed
    doomed.wait().unwrap();
    let killed = std::time::Instant::now();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let service = rt
        .block_on(SimulatedModelService::start(Simulation {
            videos: HashMap::from([(
                "v1".to_owned(),
                SimulatedVideo {
                    width: 640,
                    height: 360,
                    frames: 60,
                },
            )]),
            ..Default::default()
        }))
        .unwrap();
    let mut rescuer = worker(service.url());
    let out = fovea()
        .args([
            "jobs",
            "wait",
            "stall-1",
            "--redis",
            &url,
            "--timeout",
            "60",
        ])
        .output()
        .unwrap();
    let taken_up = killed.elapsed().as_secs_f64();
    let _ = rescuer.kill();
    let _ = rescuer.wait();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = json(&out);
    assert_eq!(done["state"], "completed", "{done}");
    // Lease + stalled-check interval (half the lease) after the death; the rescuer's first
    // check waits one interval after it starts, which it does at once; 1.5 s for processes
    // to start and the wait to poll.
    let bound = lease + lease / 2.0 + 1.5;
    assert!(
        taken_up <= bound,
        "completed {taken_up:.2} s after the kill, more than {bound} s"
    );
    assert_eq!(done["stalledCount"], 1, "{done}");
    drop(service);
}
