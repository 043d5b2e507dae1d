//! Handlers the worker tests share (included with `#[path]`): ones that hold a job running
//! until the test lets it go, signalling through `Notify` (events, never sleeps).
#![allow(dead_code)]

use fovea_jobs::{Failure, Handler, JobContext};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::Notify;

/// Counts its runs, signals `entered` as each job starts, then never finishes (until the
/// attempt is cancelled, timed out or abandoned).
pub fn hangs(entered: Arc<Notify>, runs: Arc<AtomicUsize>) -> impl Handler {
    move |_job: JobContext| {
        let (entered, runs) = (entered.clone(), runs.clone());
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            entered.notify_one();
            std::future::pending::<Result<Value, Failure>>().await
        }
    }
}

/// The first attempt of job `id` signals `entered` and waits for `release`; every attempt
/// returns the job's id.
pub fn first_attempt_of_waits(
    id: &'static str,
    entered: Arc<Notify>,
    release: Arc<Notify>,
) -> impl Handler {
    let first = Arc::new(AtomicBool::new(true));
    move |job: JobContext| {
        let (entered, release) = (entered.clone(), release.clone());
        let blocks = job.id() == id && first.swap(false, Ordering::SeqCst);
        async move {
            if blocks {
                entered.notify_one();
                release.notified().await;
            }
            Ok(json!(job.id()))
        }
    }
}
