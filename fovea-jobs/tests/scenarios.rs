//! The shared queue scenario (`testdata/jobs/queue.json`) on an in-process queue, each step's
//! options read from the scenario's JSON into the options types (as Node's options objects
//! are); Python and Node run the same steps and must report the same.

use fovea_jobs::host::{AnyQueue, QueueConfig};
use fovea_jobs::*;
use serde_json::{Value, json};
use std::path::PathBuf;

/// A step's outcome: its value as JSON, or the code it failed with.
type Outcome = Result<Value, &'static str>;

fn args<T: serde::de::DeserializeOwned + Default>(step: &Value) -> T {
    match step.get("options") {
        Some(options) => serde_json::from_value(options.clone()).unwrap(),
        None => T::default(),
    }
}

async fn run(q: &AnyQueue, step: &Value) -> Outcome {
    let id = step["id"].as_str().unwrap_or_default();
    let core = |e: fovea_core::Error| e.code();
    let job = |e: JobError| e.code();
    Ok(match step["call"].as_str().unwrap() {
        "add" => {
            let (name, opts) = args::<AddArgs>(step).options().map_err(job)?;
            json!(
                q.add(&name, step["data"].clone(), opts)
                    .await
                    .map_err(job)?
            )
        }
        "counts" => json!(q.counts().await.map_err(job)?),
        "status" => {
            let shape = args::<StatusArgs>(step).shape().map_err(core)?;
            let view = q.view(id).await.map_err(job)?;
            json!(view.as_ref().map(|v| v.shaped(shape).to_value()))
        }
        "wait" => {
            let (shape, timeout) = args::<WaitArgs>(step).options().map_err(core)?;
            let view = fovea_jobs::wait(q, id, timeout, || false)
                .await
                .map_err(job)?;
            json!(view.as_ref().map(|v| v.shaped(shape).to_value()))
        }
        "list" => {
            let (shape, states, limit) = args::<ListArgs>(step).options().map_err(core)?;
            let views = q.list(&states, limit).await.map_err(job)?;
            Value::Array(views.iter().map(|v| v.shaped(shape).to_value()).collect())
        }
        other => panic!("unknown call {other}"),
    })
}

#[tokio::test]
async fn queue_scenario() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/jobs/queue.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let q = AnyQueue::open(&QueueConfig::default()).await.unwrap();
    for (i, step) in doc["steps"].as_array().unwrap().iter().enumerate() {
        let got = run(&q, step).await;
        if let Some(code) = step.get("code") {
            assert_eq!(got.err(), code.as_str(), "step {i}: {step}");
            continue;
        }
        let got = got.unwrap_or_else(|code| panic!("step {i} failed with {code}: {step}"));
        if let Some(count) = step.get("expectCount") {
            assert_eq!(
                got.as_array().map(Vec::len),
                count.as_u64().map(|n| n as usize)
            );
        } else if step["call"] == "list" {
            // A listing is compared by its ids, in order.
            let ids: Vec<&Value> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|v| &v["jobId"])
                .collect();
            let want: Vec<&Value> = step["expect"].as_array().unwrap().iter().collect();
            assert_eq!(ids, want, "step {i}");
        } else {
            assert_eq!(&got, &step["expect"], "step {i}: {step}");
        }
    }
    q.close().await;
}
