//! The shared merge scenarios (`testdata/ops/merge.json`) through `ops::merge_files`; the CLI,
//! Python and Node run the same file and must report the same.

use fovea_core::interp::Profile;
use fovea_core::ops::{Files, MergeOptions, merge_files};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn scenarios() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/ops/merge.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
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

#[test]
fn merge_scenarios() {
    let doc = scenarios();
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing.jsonl");
    write_lines(&existing, &doc["existing"]);
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let incoming = dir.path().join("incoming.jsonl");
        write_lines(&incoming, &case["incoming"]);
        let out = dir.path().join("out.jsonl");
        let mut opts = MergeOptions::default();
        if let Some(p) = case["options"]["profile"].as_str() {
            opts.preview.validate.profile = Profile::parse(p).unwrap();
        }
        if let Some(n) = case["options"]["maxIssues"].as_u64() {
            opts.preview.max_issues = n as usize;
        }
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
