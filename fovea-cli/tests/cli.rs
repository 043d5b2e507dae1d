//! The `fovea` command-line contract: output shapes, exit statuses, error messages.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/interp")
        .join(name)
}

fn fovea(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fovea"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fovea");
    let mut pipe = child.stdin.take().unwrap();
    // A command that fails before reading its input closes the pipe early.
    if let Err(e) = pipe.write_all(stdin.unwrap_or("").as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn interpolates_an_annotation_line_file_like_fovea() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("container-ship.json")).unwrap())
            .unwrap();
    let path = testdata("container-ship.jsonl");
    let out = fovea(&["interpolate", path.to_str().unwrap()], None);
    let boxes = stdout_json(&out);
    let boxes = boxes.as_array().unwrap();
    assert_eq!(boxes.len(), 361);
    for expected in golden["frames"].as_array().unwrap() {
        let f = expected["frameNumber"].as_u64().unwrap() as usize;
        assert_eq!(&boxes[f], expected, "frame {f}");
    }
}

#[test]
fn reads_stdin_and_answers_single_frames() {
    let seq = r#"{"boxes":[{"x":0,"y":0,"width":10,"height":10,"frameNumber":10},{"x":100,"y":0,"width":10,"height":10,"frameNumber":20}],
                 "visibilityRanges":[{"startFrame":12,"endFrame":13,"visible":false}]}"#;
    let all = stdout_json(&fovea(&["interpolate", "-"], Some(seq)));
    assert_eq!(all.as_array().unwrap().len(), 9);
    let at = stdout_json(&fovea(&["interpolate", "--frame", "15"], Some(seq)));
    assert_eq!(at["x"], 50);
    assert_eq!(at["isKeyframe"], false);
    for hidden_or_outside in ["12", "5", "25"] {
        let at = stdout_json(&fovea(
            &["interpolate", "--frame", hidden_or_outside],
            Some(seq),
        ));
        assert_eq!(at, Value::Null, "frame {hidden_or_outside}");
    }
    let annotation = format!(r#"{{"id":"a","boundingBoxSequence":{seq}}}"#);
    let at = stdout_json(&fovea(&["interpolate", "--frame", "10"], Some(&annotation)));
    assert_eq!(at["isKeyframe"], true);
    let empty = stdout_json(&fovea(&["interpolate"], Some(r#"{"boxes":[]}"#)));
    assert_eq!(empty, Value::Array(vec![]));
}

#[test]
fn profiles_differ_on_parametric_segments() {
    let seq = r#"{"boxes":[{"x":0,"y":0,"width":10,"height":10,"frameNumber":0},{"x":100,"y":0,"width":10,"height":10,"frameNumber":10}],
                 "interpolationSegments":[{"startFrame":0,"endFrame":10,"type":"parametric","parametric":{"x":{"type":"quadratic","parameters":{"a":50}}}}]}"#;
    let fixed = stdout_json(&fovea(&["interpolate", "--frame", "5"], Some(seq)));
    let compat = stdout_json(&fovea(
        &["interpolate", "--frame", "5", "--profile", "fovea"],
        Some(seq),
    ));
    assert_eq!(fixed["x"], 43.75);
    assert_eq!(compat["x"], 50);
}

#[test]
fn invalid_input_exits_1_and_names_the_field() {
    let bad = r#"{"boxes":[{"x":0,"y":0,"width":10,"height":10,"frameNumber":2.5}]}"#;
    let out = fovea(&["interpolate"], Some(bad));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("frame-not-integer")
            && err.contains("boxes[0].frameNumber")
            && err.contains("2.5"),
        "{err}"
    );
    let out = fovea(&["interpolate"], Some("{not json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid-json"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(
        fovea(&["interpolate", "/no/such/file.json"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        fovea(&["interpolate", "--frame", "-1"], Some("{}"))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        fovea(&["interpolate", "--frame", "1.5"], Some("{}"))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        fovea(&["interpolate", "--profile", "x"], Some("{}"))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(fovea(&["no-such-command"], None).status.code(), Some(2));
}

#[test]
fn the_demo_runs_every_part_and_ends_the_tracking_flow_with_a_review() {
    let out = fovea(&["demo"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for part in ["1. ", "2. ", "3. ", "4. ", "5. ", "6. "] {
        assert!(
            text.contains(&format!("\n{part}")) || text.contains(part),
            "{part} missing:\n{text}"
        );
    }
    let tracking = &text[text.find("5. A tracking job").unwrap()..text.find("6. Timings").unwrap()];
    assert!(
        tracking.contains("candidates to review: 1 \"ship\""),
        "{tracking}"
    );
    assert!(
        tracking.contains("accepted object 1 as annotation track-demo-video-obj1"),
        "{tracking}"
    );
    assert!(
        tracking.contains("rejected object 2 (a gull, not a vessel); pending now: 0"),
        "{tracking}"
    );
}
