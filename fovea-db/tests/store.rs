//! The store suite: every test runs on a fresh SQLite file and a fresh Postgres database.

mod common;

use common::{TestDb, databases, synthetic_file};
use fovea_core::import::{ImportOptions, PreviewOptions};
use fovea_core::jsonl::{ExportOptions, LineData, Reader};
use fovea_core::model::Annotation;
use fovea_db::{Backend, ImportParams, Source, Store, object_persona};
use std::sync::Arc;

fn source(name: &str, bytes: Vec<u8>) -> Source {
    Source::Bytes {
        name: name.into(),
        bytes: Arc::from(bytes),
    }
}

fn fixed_date() -> ExportOptions {
    ExportOptions {
        export_date: Some("2026-01-01T00:00:00.000Z".into()),
        ..Default::default()
    }
}

async fn export(store: &Store, opts: ExportOptions) -> String {
    let e = store.export(Vec::new(), opts).await.unwrap();
    assert!(e.unreadable.is_empty(), "{:?}", e.unreadable);
    String::from_utf8(e.out).unwrap()
}

async fn open(db: &TestDb) -> Store {
    let store = Store::connect(&db.url).await.unwrap();
    if store.backend() == Backend::Postgres {
        store.migrate().await.unwrap();
    }
    store
}

async fn count(store: &Store) -> usize {
    let (all, bad) = store.annotations(None).await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    all.len()
}

#[tokio::test]
async fn migrate_creates_fovea_s_tables_once_and_never_alters_them() {
    for db in databases().await {
        let store = Store::connect(&db.url).await.unwrap();
        let first = store.migrate().await.unwrap();
        if db.name == "postgres" {
            assert_eq!(first.created.len(), 8, "{}: {first:?}", db.name);
        } else {
            // SQLite files are migrated on connect.
            assert_eq!(first.existing.len(), 8, "{}: {first:?}", db.name);
        }
        let again = store.migrate().await.unwrap();
        assert!(again.created.is_empty(), "{}", db.name);
        assert!(!again.fovea_migrations);
        store.check_schema().await.unwrap();
    }
}

#[tokio::test]
async fn a_postgres_database_without_tables_is_refused_until_migrated() {
    let Some(server) = common::postgres_server() else {
        return;
    };
    let db = common::fresh_postgres(&server).await;
    let store = Store::connect(&db.url).await.unwrap();
    let e = store
        .export(Vec::new(), ExportOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "schema");
    assert!(e.to_string().contains("fovea db migrate"), "{e}");
}

#[tokio::test]
async fn export_import_export_is_byte_identical() {
    for db in databases().await {
        let store = open(&db).await;
        let file = synthetic_file(300);
        let first = store
            .import(
                source("a.jsonl", file),
                &ImportOptions::default(),
                ImportParams::default(),
            )
            .await
            .unwrap();
        assert!(
            first.result.success,
            "{}: {:?}",
            db.name, first.result.errors
        );
        assert_eq!(first.result.summary.imported_items.annotations, 300);
        assert_eq!(first.result.summary.imported_items.videos, 50);
        assert_eq!(first.result.summary.imported_items.personas, 10);
        let once = export(&store, fixed_date()).await;

        let other = common::fresh_sqlite();
        let copy = open(&other).await;
        copy.import(
            source("b.jsonl", once.clone().into_bytes()),
            &ImportOptions::default(),
            ImportParams::default(),
        )
        .await
        .unwrap();
        let twice = export(&copy, fixed_date()).await;
        assert_eq!(once, twice, "{}", db.name);
        assert_eq!(once.lines().count(), 1 + 50 + 300 + 1);
    }
}

#[tokio::test]
async fn annotations_of_both_kinds_are_stored_and_read_back() {
    let text = include_str!("../../testdata/export/fovea-stored-annotations.jsonl");
    let annotations: Vec<Annotation> = Reader::new(text.as_bytes())
        .filter_map(|r| match r.unwrap().data {
            LineData::Annotation(a) => Some(a.into_annotation().unwrap()),
            _ => None,
        })
        .collect();
    assert!(annotations.iter().any(Annotation::is_object));
    for db in databases().await {
        let store = open(&db).await;
        let videos: Vec<_> = annotations
            .iter()
            .map(|a| serde_json::from_value(serde_json::json!({"id": a.video_id})).unwrap())
            .collect();
        store.save_videos(&videos).await.unwrap();
        let personas: Vec<_> = annotations
            .iter()
            .filter_map(|a| a.persona_id.clone())
            .map(|p| serde_json::from_value(serde_json::json!({"id": p, "name": "P"})).unwrap())
            .collect();
        store.save_personas(&personas).await.unwrap();
        store.save_annotations(&annotations).await.unwrap();
        for a in &annotations {
            let back = store.annotation(&a.id).await.unwrap().unwrap();
            let canonical = Annotation::from_json(&serde_json::to_string(a).unwrap()).unwrap();
            assert_eq!(back, canonical, "{}: {}", db.name, a.id);
        }
        let (all, bad) = store.annotations(None).await.unwrap();
        assert_eq!((all.len(), bad.len()), (annotations.len(), 0));
        // The object annotation is filed under the user's system persona.
        let ontology = export(&store, fixed_date()).await;
        assert!(
            ontology.contains(&object_persona("default-user")),
            "{}",
            db.name
        );
        assert_eq!(
            store
                .delete_annotations(&[annotations[0].id.clone()])
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.annotation(&annotations[0].id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn an_atomic_import_with_a_refused_line_keeps_nothing_and_is_recorded() {
    for db in databases().await {
        let store = open(&db).await;
        let mut file = synthetic_file(5);
        // References unchecked: the database's foreign key refuses the unknown persona.
        file.extend_from_slice(
            br#"{"type":"annotation","data":{"id":"orphan","videoId":"video-00","annotationType":"type","personaId":"nobody","typeId":"t","typeCategory":"entity","boundingBoxSequence":{"boxes":[{"x":1,"y":1,"width":5,"height":5,"frameNumber":0,"isKeyframe":true}]}}}"#,
        );
        file.push(b'\n');
        let options =
            ImportOptions::from_json(r#"{"validation":{"validateReferences":false}}"#).unwrap();
        let out = store
            .import(
                source("bad.jsonl", file.clone()),
                &options,
                ImportParams::default(),
            )
            .await
            .unwrap();
        assert!(!out.result.success && !out.result.committed, "{}", db.name);
        assert_eq!(out.result.summary.imported_items.annotations, 0);
        assert!(
            out.result.errors.iter().any(|e| e.kind == "execution"),
            "{:?}",
            out.result.errors
        );
        assert_eq!(count(&store).await, 0, "{}", db.name);
        assert_eq!(
            history(&store).await,
            vec![(out.history_id.clone(), false, 0)],
            "{}",
            db.name
        );

        // Non-atomic: the refused line costs only itself, and says where it was.
        let options = ImportOptions::from_json(
            r#"{"validation":{"validateReferences":false},"transaction":{"atomic":false}}"#,
        )
        .unwrap();
        let out = store
            .import(source("bad.jsonl", file), &options, ImportParams::default())
            .await
            .unwrap();
        assert!(!out.result.success && out.result.committed, "{}", db.name);
        assert_eq!(out.result.summary.imported_items.annotations, 5);
        let refused: Vec<_> = out
            .result
            .errors
            .iter()
            .filter(|e| e.kind == "import")
            .collect();
        assert_eq!(refused.len(), 1, "{:?}", out.result.errors);
        assert_eq!(refused[0].line, 57);
        assert!(
            refused[0].message.contains("orphan"),
            "{}",
            refused[0].message
        );
        assert_eq!(count(&store).await, 5, "{}", db.name);
        assert_eq!(history(&store).await.len(), 2);
    }
}

/// The `import_history` rows: id, success, itemsImported, oldest first.
async fn history(store: &Store) -> Vec<(String, bool, i64)> {
    store
        .import_history()
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.id, h.success, h.items_imported))
        .collect()
}

#[tokio::test]
async fn concurrent_imports_of_the_same_ids_never_duplicate() {
    for db in databases().await {
        let store = open(&db).await;
        let file = synthetic_file(400);
        let run = |store: Store, file: Vec<u8>| async move {
            store
                .import(
                    source("same.jsonl", file),
                    &ImportOptions::default(),
                    ImportParams::default(),
                )
                .await
                .unwrap()
        };
        let (a, b) = tokio::join!(
            tokio::spawn(run(store.clone(), file.clone())),
            tokio::spawn(run(store.clone(), file))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.result.success && b.result.success, "{}", db.name);
        let imported = a.result.summary.imported_items.annotations
            + b.result.summary.imported_items.annotations;
        assert_eq!(
            imported, 400,
            "{}: one import wrote them, the other saw them",
            db.name
        );
        assert_eq!(count(&store).await, 400);
    }
}

#[tokio::test]
async fn progress_counts_every_batch_written_and_all_rows_arrive() {
    // 2,500 rows: three SQLite batches of up to 1,000, one Postgres batch of up to 5,000; each
    // batch is written while the next is encoded.
    for db in databases().await {
        let store = open(&db).await;
        let told = std::sync::Mutex::new(Vec::new());
        let note = |p: fovea_db::ImportProgress| told.lock().unwrap().push((p.written, p.total));
        let out = store
            .import(
                source("batches.jsonl", common::synthetic_file(2500)),
                &ImportOptions::default(),
                ImportParams {
                    progress: Some(&note),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(out.result.committed, "{}", db.name);
        let told = told.into_inner().unwrap();
        let expected: Vec<(u64, u64)> = match db.name {
            "sqlite" => vec![(1000, 2500), (2000, 2500), (2500, 2500)],
            _ => vec![(2500, 2500)],
        };
        assert_eq!(told, expected, "{}", db.name);
        assert_eq!(count(&store).await, 2500, "{}", db.name);
    }
}

#[tokio::test]
async fn a_connection_killed_mid_import_leaves_nothing() {
    let Some(server) = common::postgres_server() else {
        return;
    };
    let db = common::fresh_postgres(&server).await;
    let store = open(&db).await;
    let admin = db.url.clone();
    let killed = std::sync::atomic::AtomicBool::new(false);
    // After the first batch of rows, every other connection to the database is terminated:
    // the import's among them.
    let kill = |_| {
        if killed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let admin = admin.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
                .execute(&mut c)
                .await
                .unwrap();
            })
        })
        .join()
        .unwrap();
    };
    let out = store
        .import(
            source("killed.jsonl", synthetic_file(2500)),
            &ImportOptions::default(),
            ImportParams {
                progress: Some(&kill),
                ..Default::default()
            },
        )
        .await;
    assert!(killed.load(std::sync::atomic::Ordering::SeqCst));
    if let Ok(out) = &out {
        assert!(!out.result.committed, "{:?}", out.result);
    }
    let fresh = Store::connect(&db.url).await.unwrap();
    assert_eq!(count(&fresh).await, 0);
}

#[tokio::test]
async fn sql_in_ids_and_filters_is_data() {
    let evil = r#"x'); DROP TABLE "annotations"; --"#;
    for db in databases().await {
        let store = open(&db).await;
        // Distinct ids per kind: one id shared by two kinds is an id conflict.
        let (v, p) = (format!("{evil}-video"), format!("{evil}-persona"));
        let line = format!(
            r#"{{"type":"video","data":{{"id":{v}}}}}
{{"type":"ontology","data":{{"personas":[{{"id":{p},"name":"n"}}],"personaOntologies":[]}}}}
{{"type":"annotation","data":{{"id":{a},"videoId":{v},"annotationType":"type","personaId":{p},"typeId":"t","typeCategory":"entity","boundingBoxSequence":{{"boxes":[{{"x":1,"y":1,"width":5,"height":5,"frameNumber":0,"isKeyframe":true}}]}}}}}}
"#,
            v = serde_json::to_string(&v).unwrap(),
            p = serde_json::to_string(&p).unwrap(),
            a = serde_json::to_string(evil).unwrap(),
        );
        let out = store
            .import(
                source(evil, line.into_bytes()),
                &ImportOptions::default(),
                ImportParams::default(),
            )
            .await
            .unwrap();
        assert!(out.result.success, "{}: {:?}", db.name, out.result.errors);
        let a = store.annotation(evil).await.unwrap().unwrap();
        assert_eq!((a.id.as_str(), a.video_id.as_str()), (evil, v.as_str()));
        let opts = ExportOptions {
            persona_ids: Some([p.clone()].into()),
            video_ids: Some([v.clone()].into()),
            ..fixed_date()
        };
        let text = export(&store, opts).await;
        assert_eq!(text.lines().count(), 4, "{}: {text}", db.name);
        assert!(
            text.contains(r#"DROP TABLE \"annotations\""#),
            "{}",
            db.name
        );
        let e = store.export(Vec::new(), fixed_date()).await.unwrap();
        assert_eq!(e.stats.annotation_count, 1);
        assert_eq!(store.import_history().await.unwrap()[0].filename, evil);
    }
}

#[tokio::test]
async fn preview_sees_the_store() {
    for db in databases().await {
        let store = open(&db).await;
        let file = synthetic_file(20);
        store
            .import(
                source("a.jsonl", file.clone()),
                &ImportOptions::default(),
                ImportParams::default(),
            )
            .await
            .unwrap();
        let preview = store
            .preview(source("a.jsonl", file), PreviewOptions::default())
            .await
            .unwrap();
        let duplicates = preview
            .conflicts
            .iter()
            .filter(|c| c.kind.as_str() == "duplicate-sequence")
            .count();
        assert_eq!(duplicates, 20, "{}", db.name);
        assert!(
            preview
                .conflicts
                .iter()
                .any(|c| c.kind.as_str() == "duplicate-persona"),
            "{}",
            db.name
        );
    }
}

/// Runs a fixture's SQL on a database.
async fn run_sql(url: &str, sql: &str) {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn a_fovea_database_is_used_as_it_is_and_both_layouts_read() {
    let rows = include_str!("../../testdata/db/fovea-rows.sql");
    for db in databases().await {
        if db.name == "postgres" {
            run_sql(
                &db.url,
                include_str!("../../testdata/db/fovea-schema.postgres.sql"),
            )
            .await;
        } else {
            // An SQLite file gets fovea's tables first.
            Store::connect(&db.url).await.unwrap().close().await;
        }
        run_sql(&db.url, rows).await;
        let store = Store::connect(&db.url).await.unwrap();
        let report = store.migrate().await.unwrap();
        // None of FOVEA's tables is created; only fovea's own (in a schema of its own).
        let created: Vec<_> = report.created.iter().map(String::as_str).collect();
        let own: &[&str] = if db.name == "postgres" {
            &["fovea.tracking_candidates"]
        } else {
            &[]
        };
        assert_eq!(created, own, "{}: {report:?}", db.name);
        assert_eq!(report.fovea_migrations, db.name == "postgres");
        assert_eq!(fovea_db::video_id("harbour.mp4"), "6f34ae7440ec7ff7");

        let e = store.export(Vec::new(), fixed_date()).await.unwrap();
        // The legacy row is reported by id; the others are exported.
        let bad: Vec<_> = e.unreadable.iter().map(|r| (r.code(), r.id())).collect();
        assert_eq!(bad, [("unreadable-row", "legacy-1")], "{}", db.name);
        assert_eq!(e.stats.annotation_count, 2);
        let ui = store.annotation("ui-1").await.unwrap().unwrap();
        // Read back as FOVEA's UI rebuilds it.
        assert_eq!(ui.type_id.as_deref(), Some("vessel-type"));
        assert_eq!(ui.type_category.as_deref(), Some("entity"));
        assert_eq!(ui.persona_id.as_deref(), Some("persona-1"));
        assert_eq!(ui.confidence, Some(0.9));
        let imported = store.annotation("import-1").await.unwrap().unwrap();
        assert_eq!(imported.notes.as_deref(), Some("kept whole"));
        let text = String::from_utf8(e.out).unwrap();
        let video = text
            .lines()
            .find(|l| l.starts_with(r#"{"type":"video""#))
            .unwrap();
        assert!(
            video.contains(r#""width":640"#) && video.contains(r#""filename":"harbour.mp4""#),
            "{video}"
        );

        // An import next to FOVEA's rows: an annotation on FOVEA's video and persona.
        let line = br#"{"type":"annotation","data":{"id":"new-1","videoId":"6f34ae7440ec7ff7","annotationType":"type","personaId":"persona-1","typeId":"vessel-type","typeCategory":"entity","boundingBoxSequence":{"boxes":[{"x":600,"y":1,"width":100,"height":5,"frameNumber":0,"isKeyframe":true}]}}}"#;
        let out = store
            .import(
                source("one.jsonl", line.to_vec()),
                &ImportOptions::default(),
                ImportParams::default(),
            )
            .await
            .unwrap();
        // 600 + 100 > 640: the box leaves the video, whose size FOVEA's sidecar gives.
        assert!(out.result.success, "{}: {:?}", db.name, out.result.errors);
        assert_eq!(
            out.result.summary.imported_items.annotations, 1,
            "{}",
            db.name
        );
        assert!(
            out.preview
                .issues
                .iter()
                .any(|i| i.code == "box-outside-frame" && i.message.contains("640×480")),
            "{}: {:?}",
            db.name,
            out.preview.issues
        );
        // The legacy row shares the video: left alone, and said so.
        assert!(
            out.result
                .warnings
                .iter()
                .any(|w| w.message.contains("legacy-1"))
        );
        assert!(store.annotation("new-1").await.unwrap().is_some());
    }
}

#[tokio::test]
async fn store_failures_keep_their_code_on_the_way_to_the_core() {
    // Nothing listens on port 1: the first connection fails at once.
    let e = Store::connect("postgres://fovea@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "database");
    assert_eq!(e.into_core().code(), "database");
    let e = Store::connect("mysql://x").await.unwrap_err();
    assert_eq!(e.into_core().code(), "unsupported-url");
}

#[tokio::test]
async fn the_ui_layout_writes_the_bare_sequence_fovea_s_ui_reads() {
    for db in databases().await {
        let options = fovea_db::StoreOptions {
            layout: fovea_db::Layout::Ui,
            ..Default::default()
        };
        let store = Store::connect_with(&db.url, options).await.unwrap();
        store.migrate().await.unwrap();
        let file = synthetic_file(3);
        let out = store
            .import(
                source("ui.jsonl", file),
                &ImportOptions::default(),
                ImportParams::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            out.result.summary.imported_items.annotations, 3,
            "{}",
            db.name
        );
        let mut a = fovea_core::synth::annotation(1, 5);
        let back = store.annotation(&a.id).await.unwrap().unwrap();
        // What the UI layout keeps: the sequence, type and persona; not the timestamps.
        assert_eq!(
            back.bounding_box_sequence, a.bounding_box_sequence,
            "{}",
            db.name
        );
        assert_eq!(
            (back.type_id, back.persona_id),
            (a.type_id.take(), a.persona_id.take())
        );
        assert_eq!(back.created_at, None);
    }
}

#[tokio::test]
async fn saving_what_refers_to_a_missing_video_or_persona_names_the_field_and_writes_nothing() {
    for db in databases().await {
        let store = open(&db).await;
        store
            .save_videos(&[serde_json::from_str(r#"{"id":"v1"}"#).unwrap()])
            .await
            .unwrap();
        store
            .save_personas(&[serde_json::from_str(r#"{"id":"p1","name":"Analyst"}"#).unwrap()])
            .await
            .unwrap();
        let annotation = |id: &str, video: &str, persona: &str| {
            Annotation::from_json(&format!(
                r#"{{"id":"{id}","videoId":"{video}","annotationType":"type","personaId":"{persona}",
                "typeId":"t","boundingBoxSequence":{{"boxes":[{{"x":1,"y":2,"width":3,"height":4,
                "frameNumber":0,"isKeyframe":true}}]}}}}"#
            ))
            .unwrap()
        };
        for (batch, path, message) in [
            (
                vec![annotation("a", "v1", "p1"), annotation("b", "v9", "p1")],
                "annotations[1].videoId",
                "the video \"v9\" does not exist",
            ),
            (
                vec![annotation("c", "v1", "p9")],
                "annotations[0].personaId",
                "the persona \"p9\" does not exist",
            ),
        ] {
            let e = store.save_annotations(&batch).await.unwrap_err();
            assert_eq!(e.code(), "missing-dependency", "{}: {e}", db.name);
            assert!(e.to_string().contains(message), "{e}");
            let core = e.into_core();
            assert_eq!(
                (core.code(), core.path()),
                ("missing-dependency", Some(path))
            );
        }
        assert_eq!(count(&store).await, 0, "{}: nothing written", db.name);
        // An object annotation needs no persona of its own.
        let object = Annotation::from_json(
            r#"{"id":"o","videoId":"v1","annotationType":"object","linkedEntityId":"e",
            "boundingBoxSequence":{"boxes":[{"x":1,"y":2,"width":3,"height":4,"frameNumber":0,"isKeyframe":true}]}}"#,
        )
        .unwrap();
        assert_eq!(store.save_annotations(&[object]).await.unwrap(), 1);
    }
}
