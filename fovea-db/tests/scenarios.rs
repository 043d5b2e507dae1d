//! The shared import scenarios (`testdata/import/scenarios.json`, which the core runs against
//! a JSON Lines dataset) against a store: the existing lines imported into a fresh SQLite file
//! and a fresh Postgres database, then each scenario's lines with its options. The store must
//! resolve every conflict as the dataset does.

mod common;

use common::databases;
use fovea_core::import::ImportOptions;
use fovea_db::{ImportParams, Source, Store};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/import/scenarios.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn source(lines: &Value) -> Source {
    let text: String = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    Source::Bytes {
        name: "scenario.jsonl".into(),
        bytes: Arc::from(text.into_bytes()),
    }
}

async fn import(store: &Store, lines: &Value, options: &ImportOptions) -> fovea_db::StoreImport {
    store
        .import(source(lines), options, ImportParams::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn import_scenarios_resolve_in_a_store_as_in_a_dataset() {
    let fx = fixture();
    for s in fx["scenarios"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let want = &s["expect"];
        let options = ImportOptions::from_value(s["options"].clone()).unwrap();
        for db in databases().await {
            let store = Store::connect(&db.url).await.unwrap();
            store.migrate().await.unwrap();
            let setup = import(&store, &fx["existing"], &ImportOptions::default()).await;
            assert!(setup.result.committed, "{name}: the existing lines import");
            let result = import(&store, &s["lines"], &options).await.result;
            let ctx = format!(
                "{name} ({}): {}",
                db.name,
                serde_json::to_string(&result).unwrap()
            );
            assert_eq!(Value::from(result.success), want["success"], "{ctx}");
            assert_eq!(Value::from(result.committed), want["committed"], "{ctx}");
            let items = &result.summary.imported_items;
            assert_eq!(Value::from(items.annotations), want["imported"], "{ctx}");
            let skipped = &result.summary.skipped_items;
            let or_zero = |v: &Value| v.as_u64().unwrap_or(0);
            assert_eq!(
                skipped.annotations,
                or_zero(&want["skippedAnnotations"]),
                "{ctx}"
            );
            assert_eq!(
                skipped.world_objects,
                or_zero(&want["skippedWorld"]),
                "{ctx}"
            );
            assert_eq!(items.placeholders, or_zero(&want["placeholders"]), "{ctx}");
            let conflicts: Vec<Value> = result
                .conflicts
                .iter()
                .map(|c| serde_json::json!([c.kind.as_str(), c.line, c.resolution]))
                .collect();
            assert_eq!(Value::from(conflicts), want["conflicts"], "{ctx}");
            let (stored, bad) = store.annotations(None).await.unwrap();
            assert!(bad.is_empty(), "{ctx}: {bad:?}");
            if let Some(after) = want["after"].as_array() {
                let mut ids: Vec<&str> = stored.iter().map(|a| a.id.as_str()).collect();
                let mut expected: Vec<&str> = after.iter().filter_map(Value::as_str).collect();
                ids.sort_unstable();
                expected.sort_unstable();
                assert_eq!(ids, expected, "{ctx}");
            }
            if let Some(n) = want["afterCount"].as_u64() {
                assert_eq!(stored.len() as u64, n, "{ctx}");
            }
            for (id, frames) in want["keyframes"].as_object().into_iter().flatten() {
                let a = stored.iter().find(|a| &a.id == id).unwrap();
                let got: Vec<u64> = a
                    .bounding_box_sequence
                    .boxes
                    .iter()
                    .filter(|b| b.is_keyframe != Some(false))
                    .map(|b| u64::from(b.frame_number))
                    .collect();
                assert_eq!(Value::from(got), *frames, "{ctx}: keyframes of {id}");
            }
            store.close().await;
        }
    }
}
