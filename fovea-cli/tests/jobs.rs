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

/// Runs `fovea` with `args`; its exit status, standard output as JSON (or null) and standard
/// error.
fn run(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = fovea().args(args).output().unwrap();
    let stdout = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_tracked_object_is_reviewed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("review.db").display());
    let mut cmd = fovea();
    cmd.args(["track", "--simulate", "--db", &url]);
    let out = with_stdin(cmd, &payload("v1").to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let job = json(&out)["jobId"].as_str().unwrap().to_owned();

    let (code, listed, err) = run(&["jobs", "candidates", &job, "--db", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let c = &listed[0];
    assert_eq!(
        (
            &c["objectId"],
            &c["state"],
            &c["version"],
            &c["trackedFrames"]
        ),
        (&json!(7), &json!("pending"), &json!(1), &json!(60))
    );

    // The video is not in the store yet.
    let accept = [
        "jobs", "accept", &job, "--object", "7", "--entity", "car-1", "--db", &url,
    ];
    let (code, _, err) = run(&accept);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("error[missing-dependency]") && err.contains("\"v1\""),
        "{err}"
    );
    let videos = dir.path().join("videos.jsonl");
    std::fs::write(
        &videos,
        "{\"type\":\"video\",\"data\":{\"id\":\"v1\",\"width\":640,\"height\":360}}\n",
    )
    .unwrap();
    let (code, _, err) = run(&["import", videos.to_str().unwrap(), "--db", &url]);
    assert_eq!(code, Some(0), "{err}");

    let mut trimmed = accept.to_vec();
    trimmed.extend([
        "--tolerance",
        "0.5",
        "--frames",
        "10..40",
        "--expect-version",
        "1",
    ]);
    let (code, accepted, err) = run(&trimmed);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (
            &accepted["state"],
            &accepted["annotationId"],
            &accepted["version"]
        ),
        (&json!("accepted"), &json!(format!("{job}-obj7")), &json!(2))
    );

    // A reviewer who saw version 1 is too late; one who saw version 2 is not.
    let reject = [
        "jobs",
        "reject",
        &job,
        "--object",
        "7",
        "--reason",
        "wrong car",
        "--db",
        &url,
    ];
    let (code, _, err) = run(&[&reject[..], &["--expect-version", "1"]].concat());
    assert_eq!(code, Some(1));
    assert!(err.contains("error[conflict]"), "{err}");
    let (code, rejected, err) = run(&[&reject[..], &["--expect-version", "2"]].concat());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (&rejected["state"], &rejected["reason"]),
        (&json!("rejected"), &json!("wrong car"))
    );
    let (_, pending, _) = run(&[
        "jobs",
        "candidates",
        &job,
        "--state",
        "pending",
        "--db",
        &url,
    ]);
    assert_eq!(pending, json!([]));

    // Unclear options are refused before the store is touched.
    let (code, _, err) = run(&[&accept[..], &["--tolerance", "1", "--every-frame"]].concat());
    assert_eq!(code, Some(2));
    assert!(err.contains("error[invalid-option]"), "{err}");
    let (code, _, err) = run(&[&accept[..], &["--frames", "ten"]].concat());
    assert_eq!(code, Some(2));
    assert!(err.contains("A..B"), "{err}");
    let (code, _, err) = run(&["jobs", "reject", &job, "--object", "9", "--db", &url]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[candidate-not-found]"), "{err}");
}
