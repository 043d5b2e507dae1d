//! The store commands: `db migrate`, `import`, `export --db`, `preview --db`, on the embedded
//! SQLite default and, when FOVEA_TEST_DATABASE_URL names a server, on a fresh Postgres database.

mod common;

use common::{json, testdata};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fovea_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fovea"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run fovea")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-cli-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh Postgres database on the test server, if there is one.
fn postgres(dir: &Path) -> Option<String> {
    let server = match std::env::var("FOVEA_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("FOVEA_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres")
        }
        _ => {
            eprintln!("skipping the Postgres half: FOVEA_TEST_DATABASE_URL is not set");
            return None;
        }
    };
    let name = format!(
        "fovea_cli_{}",
        dir.file_name().unwrap().to_string_lossy().replace('-', "_")
    );
    let status = Command::new("psql")
        .args([&server, "-qc", &format!("CREATE DATABASE \"{name}\"")])
        .status()
        .expect("psql");
    assert!(status.success());
    let (base, _) = server.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

/// Import, export and preview through one database.
fn round_trip(dir: &Path, db: &[&str]) {
    let file = testdata("export/fovea-stored-annotations.jsonl");
    let file = file.to_str().unwrap();
    let with =
        |args: &[&str]| -> Vec<String> { args.iter().chain(db).map(|s| s.to_string()).collect() };
    let out = fovea_in(dir, &with(&["db", "migrate"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json(&out)["existing"].is_array());

    // Without placeholders the file's videos and personas are missing: skipped, exit 0.
    let skipped = json(&fovea_in(dir, &with(&["import", file])));
    assert_eq!(
        skipped["result"]["summary"]["importedItems"]["annotations"],
        0
    );
    let opts = r#"{"conflictResolution":{"missingDependencies":"create-placeholder"}}"#;
    let out = fovea_in(dir, &with(&["import", file, "--options", opts]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let imported = json(&out);
    assert_eq!(
        imported["result"]["summary"]["importedItems"]["annotations"],
        3
    );
    assert!(
        imported["historyId"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );

    let exported = dir.join("export.jsonl");
    let args = ["export", "--export-date", "2026-01-01T00:00:00.000Z", "-o"];
    let out = fovea_in(
        dir,
        &with(&[&args[..], &[exported.to_str().unwrap()]].concat()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["annotationCount"], 3);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains(r#""id":"obj-1""#), "{text}");

    let preview = json(&fovea_in(dir, &with(&["preview", file])));
    let duplicates = preview["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "duplicate-sequence")
        .count();
    assert_eq!(duplicates, 3, "{preview}");

    // A failing atomic import exits 1 and keeps nothing.
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        r#"{"type":"annotation","data":{"id":"orphan","videoId":"test-video-1","annotationType":"type","personaId":"nobody","typeId":"t","typeCategory":"entity","boundingBoxSequence":{"boxes":[{"x":1,"y":1,"width":5,"height":5,"frameNumber":0,"isKeyframe":true}]}}}"#,
    )
    .unwrap();
    let no_refs = r#"{"validation":{"validateReferences":false}}"#;
    let out = fovea_in(
        dir,
        &with(&["import", bad.to_str().unwrap(), "--options", no_refs]),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["result"]["committed"], false);
}

#[test]
fn the_embedded_store_is_the_default() {
    let dir = scratch("embedded");
    round_trip(&dir, &[]);
    assert!(dir.join("fovea.db").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_postgres_store_works_the_same() {
    let dir = scratch("postgres");
    if let Some(url) = postgres(&dir) {
        round_trip(&dir, &["--db", &url]);
        assert!(!dir.join("fovea.db").exists());
        let (server, name) = url.rsplit_once('/').unwrap();
        let drop = format!("DROP DATABASE \"{name}\" WITH (FORCE)");
        let admin = std::env::var("FOVEA_TEST_DATABASE_URL").unwrap();
        assert!(server.len() < admin.len());
        let status = Command::new("psql").args([&admin, "-qc", &drop]).status();
        assert!(status.unwrap().success());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_urls_and_both_sources_are_usage_errors() {
    let dir = scratch("usage");
    let out = fovea_in(&dir, &["db", "migrate", "--db", "mysql://x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
    let file = testdata("export/fovea-stored-annotations.jsonl");
    let out = fovea_in(
        &dir,
        &[
            "export",
            file.to_str().unwrap(),
            "--db",
            "sqlite://x.db",
            "-o",
            "o.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
