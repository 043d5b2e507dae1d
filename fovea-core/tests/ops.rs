//! The shared scenarios of `testdata/ops` through the operations, their options read from the
//! scenarios' JSON into the options types (as Node's options objects are): merges
//! (`merge.json`) and failures (`errors.json`); the CLI, Python and Node run the same files
//! and must report the same.

use fovea_core::ops::{self, ExportArgs, Files, MergeArgs, ValidateArgs, merge_files};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn scenarios(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/ops")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_lines(path: &Path, lines: &Value) {
    let text: String = lines
        .as_array()
        .unwrap()
        .iter()
        // A line given as a string is the line's text; any other value, its JSON.
        .map(|l| {
            format!(
                "{}\n",
                l.as_str().map_or_else(|| l.to_string(), str::to_owned)
            )
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

#[test]
fn merge_scenarios() {
    let doc = scenarios("merge.json");
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing.jsonl");
    write_lines(&existing, &doc["existing"]);
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let incoming = dir.path().join("incoming.jsonl");
        write_lines(&incoming, &case["incoming"]);
        let out = dir.path().join("out.jsonl");
        let opts = serde_json::from_value::<MergeArgs>(case["options"].clone())
            .unwrap()
            .options()
            .unwrap();
        let report = merge_files(&Files::default(), Some(&existing), &incoming, &out, &opts)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = &case["expect"];
        let got = serde_json::json!({
            "committed": report.result.committed,
            "success": report.result.success,
            "imported": report.result.summary.imported_items.annotations,
            "written": report.stats.as_ref().map(|s| s.annotation_count),
            "issueCodes": report.preview.issues.iter().map(|i| i.code).collect::<Vec<_>>(),
            "issuesTruncated": report.preview.issues_truncated,
        });
        assert_eq!(&got, expect, "{name}");
    }
}

#[test]
fn error_scenarios() {
    let doc = scenarios("errors.json");
    let dir = tempfile::tempdir().unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let input = &case["input"];
        let path = if input["missing"] == true {
            dir.path().join("missing.jsonl")
        } else if input["folder"] == true {
            dir.path().to_path_buf()
        } else {
            let path = dir.path().join("in.jsonl");
            write_lines(&path, &input["lines"]);
            path
        };
        let existing = dir.path().join("existing.jsonl");
        write_lines(
            &existing,
            case.get("existing").unwrap_or(&serde_json::json!([])),
        );
        let out = dir.path().join("out.jsonl");
        let options = case["options"].clone();
        let files = Files::default();
        let failed = match case["op"].as_str().unwrap() {
            "stats" => ops::stats_file(&files, &path).err(),
            "validate" => serde_json::from_value::<ValidateArgs>(options)
                .unwrap()
                .options()
                .and_then(|o| ops::validate_file(&files, &path, &o))
                .err(),
            "export" => serde_json::from_value::<ExportArgs>(options)
                .unwrap()
                .options()
                .and_then(|o| ops::export_file(&files, &path, &out, o))
                .err(),
            "merge" => serde_json::from_value::<MergeArgs>(options)
                .unwrap()
                .options()
                .and_then(|o| merge_files(&files, Some(&existing), &path, &out, &o))
                .err(),
            other => panic!("{name}: unknown op {other}"),
        };
        let e = failed.unwrap_or_else(|| panic!("{name}: did not fail"));
        let expect = &case["expect"];
        assert_eq!(e.code(), expect["code"], "{name}: {e}");
        assert_eq!(
            e.line().map(|l| l as u64),
            expect["line"].as_u64(),
            "{name}"
        );
        let kind = e
            .io_kind()
            .map(|(kind, _)| fovea_core::codes::io_kind_name(kind));
        assert_eq!(kind.as_deref(), expect["ioKind"].as_str(), "{name}");
    }
}
