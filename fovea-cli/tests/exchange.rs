//! The JSON Lines commands: validate, stats, export, preview, merge.

mod common;

use common::{json, testdata};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fovea(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fovea"))
        .args(args)
        .output()
        .expect("run fovea")
}

fn write_lines(path: &Path, lines: &Value) {
    let text: String = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, text).unwrap();
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenarios() -> Value {
    serde_json::from_str(&std::fs::read_to_string(testdata("import/scenarios.json")).unwrap())
        .unwrap()
}

#[test]
fn validate_reports_and_exits_1_when_invalid() {
    let dir = scratch("validate");
    let good = testdata("interp/container-ship.jsonl");
    let out = fovea(&["validate", good.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(json(&out)["valid"], true);
    // FOVEA's own validator rejects its own example (shared-boundary segments).
    let out = fovea(&["validate", "--profile", "fovea", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(
        report["errors"][0]["message"],
        "Overlapping interpolation segments: [0, 120] and [120, 240]"
    );
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"type\":\"video\",\"data\":{\"id\":\"v\"}}\n\n{oops\n",
    )
    .unwrap();
    let out = fovea(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["code"], "invalid-json");
    assert_eq!(
        fovea(&["validate", "/no/such.jsonl"]).status.code(),
        Some(2)
    );
}

#[test]
fn export_both_modes_with_stats_and_filters() {
    let dir = scratch("export");
    let input = testdata("interp/container-ship.jsonl");
    let keys = dir.join("keys.jsonl");
    let full = dir.join("full.jsonl");
    let date = "2025-01-01T00:00:00.000Z";
    let a = json(&fovea(&[
        "export",
        input.to_str().unwrap(),
        "--export-date",
        date,
        "-o",
        keys.to_str().unwrap(),
    ]));
    let b = json(&fovea(&[
        "export",
        input.to_str().unwrap(),
        "--mode",
        "interpolated",
        "--export-date",
        date,
        "-o",
        full.to_str().unwrap(),
    ]));
    assert_eq!(
        (
            a["keyframeCount"].as_u64(),
            a["interpolatedFrameCount"].as_u64()
        ),
        (Some(4), Some(0))
    );
    assert_eq!(
        (
            b["keyframeCount"].as_u64(),
            b["interpolatedFrameCount"].as_u64()
        ),
        (Some(4), Some(357))
    );
    let full_text = std::fs::read_to_string(&full).unwrap();
    assert_eq!(
        b["bytes"].as_u64().unwrap() as usize,
        full_text.len(),
        "stats are exact"
    );
    let lines: Vec<Value> = full_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["data"]["boundingBoxSequence"]["boxes"]
            .as_array()
            .unwrap()
            .len(),
        361
    );
    assert_eq!(lines.last().unwrap()["type"], "metadata");
    assert_eq!(lines.last().unwrap()["data"]["interpolatedFrameCount"], 357);
    // Filters.
    let none = dir.join("none.jsonl");
    let s = json(&fovea(&[
        "export",
        input.to_str().unwrap(),
        "--type",
        "object",
        "-o",
        none.to_str().unwrap(),
    ]));
    assert_eq!(
        (s["annotationCount"].as_u64(), s["filteredOut"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        fovea(&[
            "export",
            input.to_str().unwrap(),
            "--type",
            "thing",
            "-o",
            none.to_str().unwrap()
        ])
        .status
        .code(),
        Some(2)
    );
    // The file statistics agree with what the interpolated export wrote.
    let stats = json(&fovea(&["stats", input.to_str().unwrap()]));
    assert_eq!(stats["frames"], 361);
    assert_eq!(stats["interpolatedFrames"], 357);
}

#[test]
fn preview_and_merge_follow_the_scenarios() {
    let fx = scenarios();
    let dir = scratch("merge");
    let existing = dir.join("existing.jsonl");
    write_lines(&existing, &fx["existing"]);
    for s in fx["scenarios"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let incoming = dir.join("incoming.jsonl");
        write_lines(&incoming, &s["lines"]);
        let out_path = dir.join("out.jsonl");
        let _ = std::fs::remove_file(&out_path);
        let options = s["options"].to_string();
        let out = fovea(&[
            "merge",
            existing.to_str().unwrap(),
            incoming.to_str().unwrap(),
            "--options",
            &options,
            "-o",
            out_path.to_str().unwrap(),
        ]);
        let v = json(&out);
        let want = &s["expect"];
        assert_eq!(v["result"]["success"], want["success"], "{name}");
        assert_eq!(
            out.status.success(),
            want["success"].as_bool().unwrap(),
            "{name}: exit status"
        );
        assert_eq!(
            out_path.exists(),
            want["committed"].as_bool().unwrap(),
            "{name}: nothing written on failure"
        );
        assert_eq!(
            v["result"]["summary"]["importedItems"]["annotations"], want["imported"],
            "{name}"
        );
        if let Some(after) = want.get("after").filter(|_| out_path.exists()) {
            let text = std::fs::read_to_string(&out_path).unwrap();
            let ids: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .filter(|l| l["type"] == "annotation")
                .map(|l| l["data"]["id"].clone())
                .collect();
            assert_eq!(Value::from(ids), *after, "{name}");
        }
        let preview = json(&fovea(&[
            "preview",
            "--existing",
            existing.to_str().unwrap(),
            incoming.to_str().unwrap(),
        ]));
        assert_eq!(
            preview["conflicts"].as_array().unwrap().len(),
            want["conflicts"].as_array().unwrap().len(),
            "{name}"
        );
    }
    let out = fovea(&[
        "merge",
        existing.to_str().unwrap(),
        existing.to_str().unwrap(),
        "--options",
        "{\"bogus\":1}",
        "-o",
        "/tmp/x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus"));
}

/// `--memory-budget` and `--spill-dir`: tables spilled at every record give the same preview
/// and the same merged file; a bad size or directory is a usage error that names it.
#[test]
fn preview_and_merge_spill_where_they_are_told() {
    let fx = scenarios();
    let dir = scratch("spill");
    let existing = dir.join("existing.jsonl");
    write_lines(&existing, &fx["existing"]);
    // Every scenario's lines in one file: conflicts with the store and within the file.
    let all: Vec<Value> = fx["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["lines"].as_array().unwrap().clone())
        .collect();
    let incoming = dir.join("incoming.jsonl");
    write_lines(&incoming, &Value::from(all));
    let (e, i) = (existing.to_str().unwrap(), incoming.to_str().unwrap());
    let spill = dir.join("spill");
    std::fs::create_dir_all(&spill).unwrap();
    let tight = [
        "--memory-budget",
        "0",
        "--spill-dir",
        spill.to_str().unwrap(),
    ];
    let in_memory = fovea(&["preview", "--existing", e, i]);
    let spilled = fovea(&[&["preview", "--existing", e, i][..], &tight].concat());
    assert!(spilled.status.success(), "{spilled:?}");
    let preview = json(&in_memory);
    assert!(
        preview["conflicts"].as_array().unwrap().len() > 5,
        "{preview}"
    );
    assert_eq!(json(&spilled), preview);
    let merged = |out: &Path, extra: &[&str]| {
        let date = [
            "--export-date",
            "2026-01-01T00:00:00Z",
            "-o",
            out.to_str().unwrap(),
        ];
        // Not atomic: what can be applied is, and the file is written.
        let options = ["--options", r#"{"transaction":{"atomic":false}}"#];
        let run = fovea(&[&["merge", e, i][..], &options, &date, extra].concat());
        assert!(run.status.code().is_some_and(|c| c < 2), "{run:?}");
        std::fs::read(out).unwrap()
    };
    assert_eq!(
        merged(&dir.join("spilled.jsonl"), &tight),
        merged(&dir.join("in-memory.jsonl"), &[])
    );
    for (args, says) in [
        (["--memory-budget", "5X"], "unknown unit `X`"),
        (["--memory-budget", "lots"], "`lots` is not a size"),
        (["--spill-dir", e], "not a directory"),
    ] {
        let out = fovea(&[&["preview", "--existing", e, i][..], &args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let missing = dir.join("no-such-dir");
    let out = fovea(&[
        "merge",
        e,
        i,
        "--spill-dir",
        missing.to_str().unwrap(),
        "-o",
        "/tmp/x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(missing.to_str().unwrap()));
}

#[test]
fn a_failed_export_leaves_the_destination_untouched_and_no_temporary_file() {
    let dir = scratch("failed-export");
    // A source that cannot be read: a folder (refused once the output is staged).
    let source = dir.join("source");
    std::fs::create_dir_all(&source).unwrap();
    let out = dir.join("out.jsonl");
    std::fs::write(&out, "previous\n").unwrap();
    let run = fovea(&[
        "export",
        source.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(2),
        "an I/O failure is exit status 2"
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("source: Is a directory"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["out.jsonl", "source"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn preview_checks_boxes_against_the_existing_videos_sizes() {
    let dir = scratch("preview-sizes");
    let existing = dir.join("existing.jsonl");
    std::fs::write(
        &existing,
        "{\"type\":\"video\",\"data\":{\"id\":\"v\",\"width\":100,\"height\":50}}\n",
    )
    .unwrap();
    let incoming = dir.join("incoming.jsonl");
    let line = |x: u32| {
        format!(
            "{{\"type\":\"annotation\",\"data\":{{\"id\":\"a{x}\",\"videoId\":\"v\",\"annotationType\":\"object\",\"linkedEntityId\":\"e\",\"boundingBoxSequence\":{{\"boxes\":[{{\"x\":{x},\"y\":0,\"width\":20,\"height\":20,\"frameNumber\":0,\"isKeyframe\":true}}]}}}}}}\n"
        )
    };
    std::fs::write(&incoming, [line(10), line(90)].concat()).unwrap();
    let with = json(&fovea(&[
        "preview",
        "--existing",
        existing.to_str().unwrap(),
        incoming.to_str().unwrap(),
    ]));
    let outside: Vec<&Value> = with["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "box-outside-frame")
        .collect();
    // Only the box at x = 90 (reaching x = 110) leaves the 100-pixel frame.
    assert_eq!(outside.len(), 1, "{with}");
    assert_eq!(outside[0]["line"], 2);
    // Against an empty store the size is unknown and nothing is reported.
    let empty = format!("sqlite://{}", dir.join("empty.db").display());
    let without = json(&fovea(&[
        "preview",
        "--db",
        &empty,
        incoming.to_str().unwrap(),
    ]));
    assert!(
        !without["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "box-outside-frame"),
        "{without}"
    );
}

/// The shared merge scenarios (`testdata/ops/merge.json`), through `fovea merge`.
#[test]
fn merge_scenarios_report_as_every_front_end_does() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("ops/merge.json")).unwrap())
            .unwrap();
    let dir = scratch("merge-scenarios");
    let existing = dir.join("existing.jsonl");
    write_lines(&existing, &doc["existing"]);
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let incoming = dir.join("incoming.jsonl");
        write_lines(&incoming, &case["incoming"]);
        let out = dir.join("out.jsonl");
        let mut args = vec![
            "merge".to_owned(),
            existing.display().to_string(),
            incoming.display().to_string(),
            "-o".to_owned(),
            out.display().to_string(),
        ];
        if let Some(p) = case["options"]["profile"].as_str() {
            args.extend(["--profile".to_owned(), p.to_owned()]);
        }
        if let Some(n) = case["options"]["maxIssues"].as_u64() {
            args.extend(["--max-issues".to_owned(), n.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = fovea(&args);
        let report = json(&output);
        let got = serde_json::json!({
            "committed": report["result"]["committed"],
            "success": report["result"]["success"],
            "imported": report["result"]["summary"]["importedItems"]["annotations"],
            "written": report["stats"]["annotationCount"],
            "issueCodes": report["preview"]["issues"].as_array().unwrap().iter().map(|i| i["code"].clone()).collect::<Vec<_>>(),
            "issuesTruncated": report["preview"]["issuesTruncated"],
        });
        assert_eq!(&got, &case["expect"], "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Lines given as strings, as a file's text (none: empty).
fn text_of(lines: &Value) -> String {
    let lines = lines.as_array().map(Vec::as_slice).unwrap_or_default();
    lines
        .iter()
        .map(|l| format!("{}\n", l.as_str().unwrap()))
        .collect()
}

/// The shared failure scenarios (`testdata/ops/errors.json`): the code (in `error[code]`), the
/// line and the exit status Python and Node report alike.
#[test]
fn error_scenarios_fail_alike_in_every_front_end() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("ops/errors.json")).unwrap())
            .unwrap();
    let dir = scratch("error-scenarios");
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let input = &case["input"];
        let path = if input["missing"] == true {
            dir.join("missing.jsonl")
        } else if input["folder"] == true {
            dir.clone()
        } else {
            let path = dir.join("in.jsonl");
            std::fs::write(&path, text_of(&input["lines"])).unwrap();
            path
        };
        let existing = dir.join("existing.jsonl");
        std::fs::write(&existing, text_of(&case["existing"])).unwrap();
        let out = dir.join("out.jsonl");
        let (path, existing, out) = (
            path.display().to_string(),
            existing.display().to_string(),
            out.display().to_string(),
        );
        let op = case["op"].as_str().unwrap();
        let mut args: Vec<String> = match op {
            "merge" => vec!["merge".into(), existing, path, "-o".into(), out],
            "export" => vec!["export".into(), path, "-o".into(), out],
            other => vec![other.into(), path],
        };
        let options = &case["options"];
        if let Some(mode) = options["mode"].as_str() {
            args.extend(["--mode".into(), mode.into()]);
        }
        for kind in options["annotationTypes"].as_array().into_iter().flatten() {
            args.extend(["--type".into(), kind.as_str().unwrap().into()]);
        }
        if let Some(profile) = options["profile"].as_str() {
            args.extend(["--profile".into(), profile.into()]);
        }
        match &options["options"] {
            Value::String(text) => args.extend(["--options".into(), text.clone()]),
            Value::Object(_) => args.extend(["--options".into(), options["options"].to_string()]),
            _ => {}
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = fovea(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expect = &case["expect"];
        assert_eq!(
            output.status.code(),
            expect["exit"].as_i64().map(|c| c as i32),
            "{name}: {stderr}"
        );
        let code = expect["code"].as_str().unwrap();
        assert!(
            stderr.contains(&format!("error[{code}]")),
            "{name}: {stderr}"
        );
        if let Some(line) = expect["line"].as_u64() {
            assert!(stderr.contains(&format!("line {line}")), "{name}: {stderr}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
