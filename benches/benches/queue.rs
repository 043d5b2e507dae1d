//! Queue throughput, side by side in one run (issue 5's figures):
//! - the in-process queue: jobs enqueued and completed per second by a worker with a no-op
//!   handler (target ≥ 200,000/s);
//! - the BullMQ backend on a loopback redis-server: jobs per second end to end with 4
//!   concurrent no-op handlers (target ≥ 3,000/s), next to Node `bullmq` (5.59.0 and 6) doing
//!   the same on the same server when the peers in `interop/` are installed.
//!
//! `cargo bench -p fovea-benches --bench queue` (release); `FOVEA_BENCH_JOBS` sets N.

#[path = "../../fovea-jobs/tests/common/mod.rs"]
mod redis_server;

use fovea_jobs::bull::{BullOptions, BullQueue, BullWorker};
use fovea_jobs::{
    InProcessQueue, JobContext, JobOptions, JobQueue, Keep, TRACKING_JOB, Worker, WorkerOptions,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn noop() -> impl fovea_jobs::Handler {
    |_job: JobContext| async { Ok(Value::Null) }
}

fn options() -> JobOptions {
    JobOptions {
        remove_on_complete: Keep::last(100),
        ..JobOptions::default()
    }
}

/// Median of `runs` measurements of `n` jobs through the in-process queue, in jobs/s.
async fn in_process(n: usize, concurrency: usize) -> f64 {
    let mut rates = Vec::new();
    for _ in 0..5 {
        let queue = Arc::new(InProcessQueue::new("bench"));
        let worker = Worker::start(
            queue.clone(),
            Arc::new(noop()),
            WorkerOptions {
                concurrency,
                ..Default::default()
            },
        );
        let t = Instant::now();
        let mut last = String::new();
        for i in 0..n {
            last = queue
                .add(TRACKING_JOB, json!(i), options())
                .await
                .unwrap()
                .id;
        }
        queue.finished(&last).await.unwrap();
        loop {
            let c = queue.counts().await.unwrap();
            if c.waiting + c.active == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        rates.push(n as f64 / t.elapsed().as_secs_f64());
        worker.shutdown(Duration::from_secs(1)).await;
    }
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// `n` jobs through BullMQ on `url` with 4 handlers, in jobs/s (adds 500 at a time, in
/// parallel, as Node's addBulk does).
async fn bullmq(url: &str, n: usize) -> f64 {
    let name = format!("bench-rust-{}", std::process::id());
    let bull = BullOptions::new(url);
    let queue = BullQueue::connect(&name, bull.clone()).await.unwrap();
    let t = Instant::now();
    let worker = BullWorker::start(
        &name,
        Arc::new(noop()),
        WorkerOptions {
            concurrency: 4,
            ..Default::default()
        },
        &bull,
    )
    .await
    .unwrap();
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let adds = chunk
            .iter()
            .map(|&i| queue.add(TRACKING_JOB, json!({"i": i}), options()));
        for added in futures_util::future::join_all(adds).await {
            ids.push(added.unwrap().id);
        }
    }
    loop {
        let c = queue.counts().await.unwrap();
        if c.waiting + c.active + c.delayed + c.prioritized == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    worker.shutdown(Duration::from_secs(1)).await;
    queue.obliterate().await.unwrap();
    queue.close().await;
    rate
}

fn node(pkg: &str, url: &str, n: usize) -> Option<f64> {
    let dir = std::env::var("FOVEA_INTEROP_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../interop").into());
    if !std::path::Path::new(&dir)
        .join("node_modules")
        .join(pkg)
        .exists()
    {
        return None;
    }
    let queue = format!("bench-{pkg}-{}", std::process::id());
    let out = std::process::Command::new("node")
        .args(["bench_node.js", pkg, url, &queue, &n.to_string()])
        .current_dir(&dir)
        .output()
        .ok()?;
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    v["perSecond"].as_f64()
}

fn main() {
    let n: usize = std::env::var("FOVEA_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let one = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = one.block_on(in_process(100_000, 1));
    let local4 = rt.block_on(in_process(100_000, 4));
    println!(
        "in-process queue, 100,000 jobs, no-op handler: {local:.0} jobs/s (producer and worker on one thread), {local4:.0} jobs/s (multi-thread runtime, concurrency 4)   [target >= 200,000]"
    );
    let Some(server) = redis_server::RedisServer::start() else {
        println!("BullMQ: skipped (no redis-server)");
        return;
    };
    let url = server.url();
    let rust = rt.block_on(bullmq(&url, n));
    println!(
        "BullMQ backend (Rust), {n} jobs, 4 handlers, loopback Redis: {rust:.0} jobs/s   [target >= 3,000]"
    );
    for pkg in ["bullmq5", "bullmq6"] {
        match node(pkg, &url, n) {
            Some(rate) => println!("Node {pkg} (same work, same server): {rate:.0} jobs/s"),
            None => println!("Node {pkg}: skipped (interop/node_modules missing)"),
        }
    }
}
