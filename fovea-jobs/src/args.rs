//! The options of the queue's operations as a front end hands them over: FOVEA's camelCase
//! keys (times in milliseconds, as BullMQ's), unknown keys refused, every value checked by
//! one method each. Argument errors are the core's (`invalid-option`, `invalid-type`).

use crate::host::QueueConfig;
use crate::options::JobOptions;
use crate::tracking::TrackingOptions;
use crate::view::{JobState, Shape};
use crate::worker::WorkerOptions;
use fovea_core::Error;
use fovea_core::limits::TrackingLimits;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

type Result<T> = fovea_core::Result<T>;

/// A status shape by name (`canonical` when absent).
fn shape(name: Option<&str>) -> Result<Shape> {
    let Some(name) = name else {
        return Ok(Shape::Canonical);
    };
    Shape::parse(name).ok_or_else(|| Error::InvalidOption {
        option: "shape",
        value: name.to_owned(),
        expected: "canonical, summary, mapped, frontend",
    })
}

/// A time in milliseconds: finite and not negative.
fn millis(ms: f64, option: &'static str) -> Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| Error::InvalidOption {
        option,
        value: ms.to_string(),
        expected: "a number of milliseconds >= 0",
    })
}

/// How a queue is opened.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobQueueOptions")
)]
pub struct QueueArgs {
    /// The queue (default `object-tracking`, FOVEA's).
    pub name: Option<String>,
    /// BullMQ's key prefix (default `bull`).
    pub prefix: Option<String>,
    /// Allow pausing a queue that BullMQ 5 clients share (they lose jobs).
    pub allow_cross_major: Option<bool>,
}

impl QueueArgs {
    /// The queue's configuration at `url` (`None`: in this process).
    pub fn config(self, url: Option<String>) -> QueueConfig {
        let defaults = QueueConfig::default();
        QueueConfig {
            url,
            name: self.name.unwrap_or(defaults.name),
            prefix: self.prefix.unwrap_or(defaults.prefix),
            allow_cross_major: self.allow_cross_major.unwrap_or(defaults.allow_cross_major),
        }
    }
}

/// How a job is queued.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobAddOptions")
)]
pub struct AddArgs {
    /// The job's id (default: one the queue makes); a job whose id exists is not added again.
    pub id: Option<String>,
    /// The job's name (default `track`).
    pub name: Option<String>,
    /// BullMQ's option names over FOVEA's defaults (3 attempts, exponential backoff from 2 s,
    /// keep the last 100 finished).
    pub job_options: Option<serde_json::Map<String, Value>>,
}

impl AddArgs {
    /// The job's name and options.
    pub fn options(self) -> crate::Result<(String, JobOptions)> {
        let given = Value::Object(self.job_options.unwrap_or_default());
        let mut opts = JobOptions::over_defaults(&given)?;
        if let Some(id) = self.id {
            opts = opts.with_id(id);
        }
        let name = self.name.unwrap_or_else(|| crate::TRACKING_JOB.into());
        Ok((name, opts))
    }
}

/// The shape a job's status is given in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobShapeOptions")
)]
pub struct StatusArgs {
    /// `canonical` (the default), `summary`, `mapped` or `frontend` (FOVEA's shapes).
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["canonical", "summary", "mapped", "frontend"]))
    )]
    pub shape: Option<String>,
}

impl StatusArgs {
    /// The shape.
    pub fn shape(self) -> Result<Shape> {
        shape(self.shape.as_deref())
    }
}

/// How a wait for a job ends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobWaitOptions")
)]
pub struct WaitArgs {
    /// The status's shape, as for a status.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["canonical", "summary", "mapped", "frontend"]))
    )]
    pub shape: Option<String>,
    /// Milliseconds before the wait fails with `timeout` (default: no limit).
    pub timeout_ms: Option<f64>,
}

impl WaitArgs {
    /// The shape and the time limit.
    pub fn options(self) -> Result<(Shape, Option<Duration>)> {
        let timeout = self
            .timeout_ms
            .map(|ms| millis(ms, "timeoutMs"))
            .transpose()?;
        Ok((shape(self.shape.as_deref())?, timeout))
    }
}

/// Which jobs a listing gives.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "JobListOptions")
)]
pub struct ListArgs {
    /// The statuses' shape, as for a status.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["canonical", "summary", "mapped", "frontend"]))
    )]
    pub shape: Option<String>,
    /// The states listed (all when absent): `waiting`, `prioritized`, `delayed`, `active`,
    /// `completed`, `failed`, `waiting-children`.
    pub states: Option<Vec<String>>,
    /// At most this many (default 100).
    pub limit: Option<usize>,
}

impl ListArgs {
    /// The shape, the states and the limit.
    pub fn options(self) -> Result<(Shape, Vec<JobState>, usize)> {
        let states = self
            .states
            .unwrap_or_default()
            .iter()
            .map(|s| {
                JobState::parse(s).ok_or_else(|| Error::InvalidOption {
                    option: "states",
                    value: s.clone(),
                    expected: "waiting, prioritized, delayed, active, completed, failed, \
                               waiting-children",
                })
            })
            .collect::<Result<_>>()?;
        Ok((
            shape(self.shape.as_deref())?,
            states,
            self.limit.unwrap_or(100),
        ))
    }
}

/// How a worker runs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "WorkerOptions")
)]
pub struct WorkerArgs {
    /// Jobs run at once (default 1).
    pub concurrency: Option<usize>,
    /// Milliseconds an attempt may run, for jobs that set none (default: no limit).
    pub timeout_ms: Option<f64>,
    /// Milliseconds a claim stays valid without renewal (default 30000).
    pub lease_ms: Option<f64>,
    /// The worker's name (default: a fresh id).
    pub name: Option<String>,
}

/// The worker options of `WorkerArgs` and `TrackingWorkerArgs`.
fn worker_options(
    concurrency: Option<usize>,
    timeout_ms: Option<f64>,
    lease_ms: Option<f64>,
    name: Option<String>,
) -> Result<WorkerOptions> {
    let mut opts = WorkerOptions::default();
    match concurrency {
        Some(0) => {
            return Err(Error::InvalidOption {
                option: "concurrency",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        Some(n) => opts.concurrency = n,
        None => {}
    }
    opts.timeout = timeout_ms.map(|ms| millis(ms, "timeoutMs")).transpose()?;
    if let Some(ms) = lease_ms {
        opts.lease = millis(ms, "leaseMs")?;
    }
    if let Some(name) = name {
        opts.name = name;
    }
    Ok(opts)
}

impl WorkerArgs {
    /// The worker's options.
    pub fn options(self) -> Result<WorkerOptions> {
        worker_options(self.concurrency, self.timeout_ms, self.lease_ms, self.name)
    }
}

/// How fovea's own tracking worker runs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "TrackingWorkerOptions")
)]
pub struct TrackingWorkerArgs {
    /// FOVEA's model service (`POST /api/tracking/track` under it).
    pub model_service: String,
    /// A store the tracks are saved into as annotations, when the job names a type or an
    /// entity (`postgres://…`, `sqlite:…`).
    pub db: Option<String>,
    /// Keyframe tolerance in pixels for jobs that give none (default 1).
    pub tolerance: Option<f64>,
    /// What one job may ask for (`frames`, `videoPixels`, `objects`, `maskBytes`); a job beyond
    /// them fails without retries.
    pub limits: Option<TrackingLimits>,
    /// Jobs run at once (default 1).
    pub concurrency: Option<usize>,
    /// Milliseconds an attempt may run, for jobs that set none (default: no limit).
    pub timeout_ms: Option<f64>,
    /// Milliseconds a claim stays valid without renewal (default 30000).
    pub lease_ms: Option<f64>,
    /// The worker's name (default: a fresh id).
    pub name: Option<String>,
}

/// What a tracking worker is started with.
#[derive(Debug, Clone)]
pub struct TrackingWorkerSetup {
    /// The model service's URL.
    pub model_service: String,
    /// The store's URL.
    pub db: Option<String>,
    /// The tracking handler's options.
    pub tracking: TrackingOptions,
    /// The worker's options.
    pub worker: WorkerOptions,
}

impl TrackingWorkerArgs {
    /// The worker's setup, every value checked.
    pub fn options(self) -> Result<TrackingWorkerSetup> {
        let tolerance = self
            .tolerance
            .unwrap_or(TrackingOptions::default().tolerance);
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(Error::InvalidOption {
                option: "tolerance",
                value: tolerance.to_string(),
                expected: "a number of pixels >= 0",
            });
        }
        Ok(TrackingWorkerSetup {
            model_service: self.model_service,
            db: self.db,
            tracking: TrackingOptions {
                tolerance,
                limits: self.limits.unwrap_or_default(),
                ..Default::default()
            },
            worker: worker_options(self.concurrency, self.timeout_ms, self.lease_ms, self.name)?,
        })
    }
}
