//! The job's state and one canonical status view, with serializers for every shape FOVEA's
//! clients read (its three status routes and its frontend disagree): the summary route's raw
//! BullMQ state, the claims and synthesis routes' mapped status, and the frontend's
//! `JobStatus` (BullMQ's own job JSON).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A job's state as BullMQ's `getState()` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// Ready, in the wait list.
    Waiting,
    /// Ready, ordered by priority.
    Prioritized,
    /// Waiting for its delay or backoff to pass.
    Delayed,
    /// Claimed by a worker.
    Active,
    /// A parent waiting for its children (BullMQ flows; fovea never creates these).
    WaitingChildren,
    /// Finished with a result.
    Completed,
    /// Finished with an error after its last attempt (or an unrecoverable one).
    Failed,
    /// Not in any list: evicted, removed or orphaned.
    Unknown,
}

impl JobState {
    /// BullMQ's name for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Waiting => "waiting",
            JobState::Prioritized => "prioritized",
            JobState::Delayed => "delayed",
            JobState::Active => "active",
            JobState::WaitingChildren => "waiting-children",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Unknown => "unknown",
        }
    }

    /// Parses BullMQ's name for a state.
    pub fn parse(name: &str) -> Option<JobState> {
        Some(match name {
            "waiting" | "wait" => JobState::Waiting,
            "prioritized" => JobState::Prioritized,
            "delayed" => JobState::Delayed,
            "active" => JobState::Active,
            "waiting-children" => JobState::WaitingChildren,
            "completed" => JobState::Completed,
            "failed" => JobState::Failed,
            "unknown" => JobState::Unknown,
            _ => return None,
        })
    }

    /// The claims route's mapping: `completed`, `failed`, `active` → `processing`, anything
    /// else → `queued`.
    pub fn status(self) -> JobStatus {
        match self {
            JobState::Completed => JobStatus::Completed,
            JobState::Failed => JobStatus::Failed,
            JobState::Active => JobStatus::Processing,
            _ => JobStatus::Queued,
        }
    }

    /// Whether the job has finished (completed or failed).
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Completed | JobState::Failed)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// FOVEA's mapped status (claims and synthesis routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Not yet claimed (waiting, prioritized, delayed…).
    Queued,
    /// Claimed by a worker.
    Processing,
    /// Finished with a result.
    Completed,
    /// Finished with an error.
    Failed,
}

/// Everything known about a job, in one place: what the status shapes are made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// The job's id.
    pub job_id: String,
    /// The queue.
    pub queue: String,
    /// The job's name (`track`).
    pub name: String,
    /// The raw state.
    pub state: JobState,
    /// The mapped status.
    pub status: JobStatus,
    /// A number 0–100, or JSON (e.g. `{framesDone, framesTotal}`).
    pub progress: Value,
    /// Attempts that ended (completed, failed, or retried).
    pub attempts_made: u32,
    /// Attempts that started (claims, including those lost to a stall).
    pub attempts_started: u32,
    /// Times the job's worker stopped renewing its lease.
    pub stalled_count: u32,
    /// The job's `attempts` option.
    pub max_attempts: u32,
    /// Enqueue time, milliseconds since the Unix epoch.
    pub created_at: u64,
    /// When it was last claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_on: Option<u64>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<u64>,
    /// The handler's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The last failure's message (BullMQ's `failedReason`; kept after a successful retry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failures' stack traces or details, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacktrace: Vec<String>,
    /// The payload.
    pub data: Value,
}

/// The shapes a status is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// fovea's canonical view ([`JobView`] itself, every field).
    Canonical,
    /// FOVEA's `GET /api/jobs/:jobId` ([`JobView::to_summary_route`]).
    Summary,
    /// FOVEA's claims and synthesis routes ([`JobView::to_mapped_route`]).
    Mapped,
    /// The frontend's `JobStatus` ([`JobView::to_frontend`]).
    Frontend,
}

impl Shape {
    /// Every shape's name, as [`Shape::parse`] reads them.
    pub const NAMES: &'static [&'static str] = &["canonical", "summary", "mapped", "frontend"];

    /// The shape called `name` (one of [`Shape::NAMES`]).
    pub fn parse(name: &str) -> Option<Shape> {
        match name {
            "canonical" => Some(Shape::Canonical),
            "summary" => Some(Shape::Summary),
            "mapped" => Some(Shape::Mapped),
            "frontend" => Some(Shape::Frontend),
            _ => None,
        }
    }
}

/// A [`JobView`] in one of its [`Shape`]s, serialized as that shape.
#[derive(Debug, Clone, Copy)]
pub struct Shaped<'a> {
    view: &'a JobView,
    shape: Shape,
}

impl Shaped<'_> {
    /// The shape as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a job view serializes")
    }
}

/// The route bodies' `status`: the raw state or the mapped status.
#[derive(Serialize)]
#[serde(untagged)]
enum RouteStatus {
    State(&'static str),
    Mapped(JobStatus),
}

/// The body of FOVEA's job routes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RouteBody<'a> {
    job_id: &'a str,
    status: RouteStatus,
    progress: Option<&'a Value>,
    result: Option<&'a Value>,
    error: Option<&'a str>,
}

/// The frontend's `JobStatus`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FrontendStatus<'a> {
    id: &'a str,
    state: &'static str,
    progress: &'a Value,
    data: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    returnvalue: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_on: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processed_on: Option<u64>,
}

impl Serialize for Shaped<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.view;
        let route = |status| RouteBody {
            job_id: &v.job_id,
            status,
            progress: Some(&v.progress).filter(|p| p.is_number()),
            result: match v.state {
                JobState::Completed => v.result.as_ref(),
                _ => None,
            },
            error: match v.state {
                JobState::Failed => Some(
                    v.error
                        .as_deref()
                        .filter(|e| !e.is_empty())
                        .unwrap_or("Job failed"),
                ),
                _ => None,
            },
        };
        match self.shape {
            Shape::Canonical => v.serialize(s),
            Shape::Summary => route(RouteStatus::State(v.state.as_str())).serialize(s),
            Shape::Mapped => route(RouteStatus::Mapped(v.status)).serialize(s),
            Shape::Frontend => FrontendStatus {
                id: &v.job_id,
                state: v.state.as_str(),
                progress: &v.progress,
                data: &v.data,
                returnvalue: v.result.as_ref(),
                failed_reason: v.error.as_deref(),
                finished_on: v.finished_on,
                processed_on: v.processed_on,
            }
            .serialize(s),
        }
    }
}

impl JobView {
    /// The view in the given shape, for any serializer (a binding builds its host's objects
    /// from it directly; `serde_json::to_value` makes JSON of it).
    pub fn shaped(&self, shape: Shape) -> Shaped<'_> {
        Shaped { view: self, shape }
    }

    /// FOVEA's `GET /api/jobs/:jobId` body: `{jobId, status (raw state), progress, result,
    /// error}`; `progress` is a number or null, `result` only when completed, `error`
    /// (`failedReason` or "Job failed") only when failed.
    pub fn to_summary_route(&self) -> Value {
        self.shaped(Shape::Summary).to_value()
    }

    /// FOVEA's `GET /api/jobs/claims/:jobId` and `/api/jobs/synthesis/:jobId` body: the same
    /// keys with the mapped status (`queued`, `processing`, `completed`, `failed`).
    pub fn to_mapped_route(&self) -> Value {
        self.shaped(Shape::Mapped).to_value()
    }

    /// The frontend's `JobStatus` (`annotation-tool/src/api/client.ts`), which is BullMQ's job
    /// JSON: `{id, state, progress, data, returnvalue?, failedReason?, finishedOn?,
    /// processedOn?}`. With it `useJobStatus` stops polling at `completed` or `failed`.
    pub fn to_frontend(&self) -> Value {
        self.shaped(Shape::Frontend).to_value()
    }

    /// The frontend's status line (`getJobStatusMessage`), for CLIs and logs.
    pub fn message(&self) -> String {
        match self.state {
            JobState::Waiting | JobState::Prioritized => "Waiting in queue...".into(),
            JobState::Delayed => "Delayed, will retry soon...".into(),
            JobState::Active => match self.progress.as_f64() {
                Some(p) if p > 0.0 => format!("Processing... {}%", p.round()),
                _ => "Processing...".into(),
            },
            JobState::Completed => "Completed successfully".into(),
            JobState::Failed => format!(
                "Failed: {}",
                self.error.as_deref().unwrap_or("Unknown error")
            ),
            JobState::WaitingChildren | JobState::Unknown => format!("{}", self.state),
        }
    }
}

impl JobView {
    /// Reads a job from BullMQ's job hash (`bull:<queue>:<id>`) as any BullMQ client wrote it
    /// (Node, Python or Rust): JSON fields that do not parse are
    /// kept as strings, missing counters read as 0, the legacy `attemptsMade` is accepted,
    /// unknown fields are ignored (and left untouched in Redis).
    pub fn from_bullmq_hash(
        queue: &str,
        id: &str,
        state: JobState,
        hash: &std::collections::HashMap<String, String>,
    ) -> JobView {
        let get = |k: &str| hash.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let json =
            |k: &str| get(k).map(|v| serde_json::from_str(v).unwrap_or_else(|_| Value::from(v)));
        let int = |k: &str| get(k).and_then(|v| v.parse::<f64>().ok()).map(|v| v as u64);
        let opts = json("opts").unwrap_or(Value::Null);
        let stacktrace = match json("stacktrace") {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        JobView {
            job_id: id.to_owned(),
            queue: queue.to_owned(),
            name: get("name").unwrap_or_default().to_owned(),
            state,
            status: state.status(),
            progress: json("progress").unwrap_or(Value::from(0)),
            attempts_made: int("atm").or_else(|| int("attemptsMade")).unwrap_or(0) as u32,
            attempts_started: int("ats").unwrap_or(0) as u32,
            stalled_count: int("stc").unwrap_or(0) as u32,
            max_attempts: opts["attempts"].as_u64().unwrap_or(1) as u32,
            created_at: int("timestamp").unwrap_or(0),
            processed_on: int("processedOn"),
            finished_on: int("finishedOn"),
            result: if state == JobState::Completed {
                json("returnvalue")
            } else {
                None
            },
            error: get("failedReason").map(str::to_owned),
            stacktrace,
            data: json("data").unwrap_or(Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn hash(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_job_hash_written_by_node_bullmq_reads_with_its_foreign_fields_ignored() {
        // Fields as Node bullmq 5.59 writes them for a job that failed twice then completed.
        let h = hash(&[
            ("name", "track"),
            ("data", r#"{"videoId":"v1","schemaVersion":1}"#),
            (
                "opts",
                r#"{"attempts":3,"backoff":{"type":"exponential","delay":2000},"removeOnComplete":100,"removeOnFail":100,"jobId":"track-v1"}"#,
            ),
            ("timestamp", "1733240000000"),
            ("delay", "0"),
            ("priority", "0"),
            ("processedOn", "1733240006010"),
            ("finishedOn", "1733240006100"),
            ("progress", r#"{"framesDone":50,"framesTotal":50}"#),
            ("returnvalue", r#"{"trackCount":1}"#),
            ("failedReason", "Model service error (503): busy"),
            (
                "stacktrace",
                r#"["Error: busy\n    at a.js:1","Error: busy\n    at a.js:1"]"#,
            ),
            ("atm", "3"),
            ("ats", "3"),
            ("pb", "worker-1"),
            ("tm", "{}"),
            ("someOtherClientField", "x"),
        ]);
        let v = JobView::from_bullmq_hash("object-tracking", "track-v1", JobState::Completed, &h);
        assert_eq!(v.name, "track");
        assert_eq!(v.data["videoId"], "v1");
        assert_eq!(
            (v.attempts_made, v.attempts_started, v.max_attempts),
            (3, 3, 3)
        );
        assert_eq!(v.created_at, 1_733_240_000_000);
        assert_eq!(v.result, Some(json!({"trackCount": 1})));
        assert_eq!(v.progress["framesDone"], 50);
        assert_eq!(v.stacktrace.len(), 2);
        assert_eq!(v.error.as_deref(), Some("Model service error (503): busy"));
        let front = v.to_frontend();
        assert_eq!(front["returnvalue"], json!({"trackCount": 1}));
        assert_eq!(front["finishedOn"], 1_733_240_006_100u64);
    }

    #[test]
    fn legacy_and_damaged_fields_still_read() {
        // `attemptsMade` (old clients), progress written by the Rust port as 50.0, data that
        // is not JSON: kept as a string rather than dropped.
        let h = hash(&[
            ("name", "track"),
            ("data", "not json"),
            ("attemptsMade", "2"),
            ("progress", "50.0"),
            ("timestamp", "17"),
        ]);
        let v = JobView::from_bullmq_hash("q", "7", JobState::Waiting, &h);
        assert_eq!(v.attempts_made, 2);
        assert_eq!(v.progress.as_f64(), Some(50.0));
        assert_eq!(v.data, json!("not json"));
        assert_eq!(v.max_attempts, 1, "BullMQ's default");
        assert_eq!(v.result, None);
        assert_eq!(v.to_summary_route()["progress"].as_f64(), Some(50.0));
    }
}
