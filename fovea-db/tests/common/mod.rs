//! The databases the store suite runs against: a fresh SQLite file, and a fresh Postgres
//! database on the server `FOVEA_TEST_DATABASE_URL` names (scripts/test starts a throwaway one).
//! Without that variable the Postgres half is skipped, saying so — unless
//! `FOVEA_REQUIRE_SERVICES=1` (set by scripts/test), where a missing server fails the test.

#![allow(dead_code)]

use fovea_core::jsonl::Writer;
use sqlx::Connection;
use std::path::PathBuf;

/// A database made for one test, dropped (Postgres) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    pub name: &'static str,
    admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, db)) = self.admin.take() {
            // Best effort, on a runtime of its own (the test's may be gone).
            let _ = std::thread::spawn(move || {
                tokio::runtime::Runtime::new().unwrap().block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                })
            })
            .join();
        }
    }
}

/// The server URL for Postgres tests, or `None` (with the reason printed) when there is none.
pub fn postgres_server() -> Option<String> {
    match std::env::var("FOVEA_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("FOVEA_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres")
        }
        _ => {
            eprintln!("skipping the Postgres half: FOVEA_TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{db}{query}")
}

/// A fresh, empty Postgres database.
pub async fn fresh_postgres(server: &str) -> TestDb {
    let db = format!("fovea_t_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to FOVEA_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
        .execute(&mut c)
        .await
        .expect("create a test database");
    TestDb {
        url: with_database(server, &db),
        name: "postgres",
        admin: Some((server.to_owned(), db)),
        _dir: None,
    }
}

/// A fresh SQLite file.
pub fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("fovea.db");
    TestDb {
        url: format!("sqlite://{}", path.display()),
        name: "sqlite",
        admin: None,
        _dir: Some(dir),
    }
}

/// Fresh databases of every backend available.
pub async fn databases() -> Vec<TestDb> {
    let mut all = vec![fresh_sqlite()];
    if let Some(server) = postgres_server() {
        all.push(fresh_postgres(&server).await);
    }
    all
}

/// A dataset of `n` synthetic annotations with their personas and videos, as JSON Lines.
pub fn synthetic_file(n: usize) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    for r in fovea_core::synth::references() {
        w.write(&r).unwrap();
    }
    for i in 0..n {
        w.write_annotation(
            &fovea_core::synth::annotation(i, 5),
            Default::default(),
            &Default::default(),
        )
        .unwrap();
    }
    w.into_inner().unwrap()
}
