//! Validation against `testdata/validate/cases.json`: FOVEA's own validator test cases,
//! shared-boundary segments and boxes without `isKeyframe` under the `fovea` profile (exact
//! messages), and the default profile's codes.

use fovea_core::interp::Profile;
use fovea_core::jsonl::Reader;
use fovea_core::validate::{
    Issue, Severity, ValidateOptions, VideoSize, validate_record, validate_sequence,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

fn cases() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/validate/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn split(issues: &[Issue], severity: Severity) -> Vec<&Issue> {
    issues.iter().filter(|i| i.severity == severity).collect()
}

#[test]
fn validation_cases() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let opts = ValidateOptions {
            profile: Profile::parse(case["profile"].as_str().unwrap()).unwrap(),
            ..Default::default()
        };
        let video = case.get("video").map(|v| VideoSize {
            width: v["width"].as_f64().unwrap(),
            height: v["height"].as_f64().unwrap(),
        });
        let issues = if let Some(seq) = case.get("sequence") {
            validate_sequence(seq.clone(), &opts, video).unwrap()
        } else {
            let text = case["line"].to_string();
            let record = Reader::new(text.as_bytes()).next().unwrap().unwrap();
            let mut videos = HashMap::new();
            if let Some(v) = video {
                videos.insert(
                    case["line"]["data"]["videoId"].as_str().unwrap().to_owned(),
                    v,
                );
            }
            validate_record(&record, &opts, &videos)
        };
        let (errors, warnings) = (
            split(&issues, Severity::Error),
            split(&issues, Severity::Warning),
        );
        assert_eq!(
            errors.is_empty(),
            case["valid"].as_bool().unwrap(),
            "{name}: {issues:#?}"
        );
        let texts = |v: &[&Issue]| {
            v.iter()
                .map(|i| Value::from(i.message.clone()))
                .collect::<Vec<_>>()
        };
        let codes = |v: &[&Issue]| v.iter().map(|i| Value::from(i.code)).collect::<Vec<_>>();
        if let Some(want) = case.get("errors") {
            assert_eq!(&Value::from(texts(&errors)), want, "{name}");
            assert_eq!(&Value::from(texts(&warnings)), &case["warnings"], "{name}");
        }
        if let Some(want) = case.get("errorCodes") {
            assert_eq!(&Value::from(codes(&errors)), want, "{name}: {issues:#?}");
            assert_eq!(
                &Value::from(codes(&warnings)),
                &case["warningCodes"],
                "{name}: {issues:#?}"
            );
        }
        for i in &issues {
            assert!(!i.message.is_empty() && !i.code.is_empty(), "{name}");
        }
    }
}
