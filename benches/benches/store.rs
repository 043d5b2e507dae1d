//! Store benchmarks (issue 4's figures): atomic import of 100,000 annotations × 5 keyframes into
//! an empty store, and streaming export of them, on SQLite and on Postgres over loopback
//! (`FOVEA_BENCH_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`; the
//! benchmark creates and drops databases of its own there).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fovea_core::import::ImportOptions;
use fovea_core::jsonl::{ExportOptions, Writer};
use fovea_core::synth;
use fovea_db::{ImportParams, Source, Store};
use sqlx::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};

const N: usize = 100_000;

fn file() -> Arc<[u8]> {
    let mut w = Writer::new(Vec::with_capacity(130 << 20));
    for r in synth::references() {
        w.write(&r).unwrap();
    }
    for i in 0..N {
        w.write_annotation(
            &synth::annotation(i, 5),
            Default::default(),
            &Default::default(),
        )
        .unwrap();
    }
    w.into_inner().unwrap().into()
}

fn server() -> String {
    std::env::var("FOVEA_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database: an SQLite file, or a new Postgres database.
async fn fresh(backend: &str, n: usize) -> String {
    match backend {
        "sqlite" => {
            let path =
                std::env::temp_dir().join(format!("fovea-bench-{}-{n}.db", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite://{}", path.display())
        }
        _ => {
            let server = server();
            let db = format!("fovea_bench_{n}");
            let mut c = sqlx::PgConnection::connect(&server).await.unwrap();
            for sql in [
                format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                format!("CREATE DATABASE {db}"),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            let (base, _) = server.rsplit_once('/').unwrap();
            format!("{base}/{db}")
        }
    }
}

async fn import(url: &str, bytes: Arc<[u8]>) -> (Store, Duration) {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let t = Instant::now();
    let out = store
        .import(
            Source::Bytes {
                name: "bench.jsonl".into(),
                bytes,
            },
            &ImportOptions::default(),
            ImportParams::default(),
        )
        .await
        .unwrap();
    let took = t.elapsed();
    assert_eq!(out.result.summary.imported_items.annotations, N as u64);
    (store, took)
}

fn store(c: &mut Criterion) {
    let bytes = file();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for backend in ["sqlite", "postgres"] {
        let mut g = c.benchmark_group(format!("store_100k_x5_{backend}"));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(30));
        g.throughput(Throughput::Elements(N as u64));
        let mut n = 0;
        g.bench_function("import_atomic", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Two names, dropped and made again: the benchmark leaves no pile behind.
                    n = n % 2 + 1;
                    total += rt.block_on(async {
                        let url = fresh(backend, n).await;
                        let (store, took) = import(&url, bytes.clone()).await;
                        store.close().await;
                        took
                    });
                }
                total
            })
        });
        let store = rt.block_on(async {
            let url = fresh(backend, 0).await;
            import(&url, bytes.clone()).await.0
        });
        g.bench_function("export_stream", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let out = std::io::BufWriter::new(std::io::sink());
                    let e = store.export(out, ExportOptions::default()).await.unwrap();
                    assert_eq!(e.stats.annotation_count, N as u64);
                })
            })
        });
        g.finish();
        rt.block_on(async {
            store.close().await;
            clean_up(backend).await;
        });
    }
}

/// Drops the benchmark's databases and files.
async fn clean_up(backend: &str) {
    for n in 0..3 {
        if backend == "sqlite" {
            let path =
                std::env::temp_dir().join(format!("fovea-bench-{}-{n}.db", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        } else if let Ok(mut c) = sqlx::PgConnection::connect(&server()).await {
            let sql = format!("DROP DATABASE IF EXISTS fovea_bench_{n} WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
        }
    }
}

criterion_group!(benches, store);
criterion_main!(benches);
