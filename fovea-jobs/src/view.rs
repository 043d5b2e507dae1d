//! The job's state and one canonical status view, with serializers for every shape FOVEA's
//! clients read (spec `tracking-jobs.md` §1.4–1.5): the summary route's raw BullMQ state, the
//! claims and synthesis routes' mapped status, and the frontend's `JobStatus` (BullMQ's own
//! job JSON).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

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

impl JobView {
    /// FOVEA's `GET /api/jobs/:jobId` body: `{jobId, status (raw state), progress, result,
    /// error}`; `progress` is a number or null, `result` only when completed, `error`
    /// (`failedReason` or "Job failed") only when failed.
    pub fn to_summary_route(&self) -> Value {
        self.route_body(Value::from(self.state.as_str()))
    }

    /// FOVEA's `GET /api/jobs/claims/:jobId` and `/api/jobs/synthesis/:jobId` body: the same
    /// keys with the mapped status (`queued`, `processing`, `completed`, `failed`).
    pub fn to_mapped_route(&self) -> Value {
        self.route_body(serde_json::to_value(self.status).expect("a status serializes"))
    }

    fn route_body(&self, status: Value) -> Value {
        let progress = if self.progress.is_number() {
            self.progress.clone()
        } else {
            Value::Null
        };
        let result = match self.state {
            JobState::Completed => self.result.clone().unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let error = match self.state {
            JobState::Failed => Value::from(
                self.error
                    .as_deref()
                    .filter(|e| !e.is_empty())
                    .unwrap_or("Job failed"),
            ),
            _ => Value::Null,
        };
        json!({"jobId": self.job_id, "status": status, "progress": progress, "result": result, "error": error})
    }

    /// The frontend's `JobStatus` (`annotation-tool/src/api/client.ts`), which is BullMQ's job
    /// JSON: `{id, state, progress, data, returnvalue?, failedReason?, finishedOn?,
    /// processedOn?}`. With it `useJobStatus` stops polling at `completed` or `failed`.
    pub fn to_frontend(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.job_id.as_str()));
        m.insert("state".into(), Value::from(self.state.as_str()));
        m.insert("progress".into(), self.progress.clone());
        m.insert("data".into(), self.data.clone());
        if let Some(r) = &self.result {
            m.insert("returnvalue".into(), r.clone());
        }
        if let Some(e) = &self.error {
            m.insert("failedReason".into(), Value::from(e.as_str()));
        }
        if let Some(t) = self.finished_on {
            m.insert("finishedOn".into(), Value::from(t));
        }
        if let Some(t) = self.processed_on {
            m.insert("processedOn".into(), Value::from(t));
        }
        Value::Object(m)
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
