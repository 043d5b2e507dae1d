//! Job options with BullMQ's names and FOVEA's queue defaults, stored in the job hash as BullMQ
//! stores them: they travel with the job, so every worker applies the producer's retry policy.

use crate::error::{JobError, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The largest priority BullMQ accepts (2^21).
pub const MAX_PRIORITY: u32 = 1 << 21;

/// How long to wait before a retry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    /// `fixed` or `exponential`.
    #[serde(rename = "type")]
    pub kind: BackoffKind,
    /// Milliseconds: the fixed delay, or the first exponential one.
    pub delay: u64,
    /// 0–1: the delay is drawn uniformly from `[delay × (1 − jitter), delay]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<f64>,
}

/// The kinds of [`Backoff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackoffKind {
    /// The same delay before every retry.
    Fixed,
    /// `delay × 2^(attemptsMade − 1)`: 2 s, 4 s, 8 s… from 2 s.
    Exponential,
}

impl Backoff {
    /// The delay after the `attempts_made`-th failed attempt (1-based); `unit` is a draw in
    /// [0, 1) for the jitter.
    pub fn delay_after(&self, attempts_made: u32, unit: f64) -> Duration {
        let base = match self.kind {
            BackoffKind::Fixed => self.delay as f64,
            BackoffKind::Exponential => {
                self.delay as f64 * 2f64.powi(attempts_made.saturating_sub(1).min(62) as i32)
            }
        };
        let jitter = self.jitter.unwrap_or(0.0).clamp(0.0, 1.0);
        let ms = base * (1.0 - jitter * unit);
        Duration::from_millis(ms.round().min(u64::MAX as f64) as u64)
    }
}

/// Which finished jobs to keep (BullMQ's `removeOnComplete` / `removeOnFail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Keep {
    /// Keep at most this many (the newest); `None`: no count limit.
    pub count: Option<u64>,
    /// Keep only those finished within this many seconds; `None`: no age limit.
    pub age_secs: Option<u64>,
}

impl Keep {
    /// Keep every finished job (`false`).
    pub const ALL: Keep = Keep {
        count: None,
        age_secs: None,
    };
    /// Remove jobs as soon as they finish (`true`).
    pub const NONE: Keep = Keep {
        count: Some(0),
        age_secs: None,
    };

    /// Keep the newest `n` (a number).
    pub const fn last(n: u64) -> Keep {
        Keep {
            count: Some(n),
            age_secs: None,
        }
    }
}

impl Serialize for Keep {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match (self.count, self.age_secs) {
            (None, None) => s.serialize_bool(false),
            (Some(0), None) => s.serialize_bool(true),
            (Some(n), None) => s.serialize_u64(n),
            (count, Some(age)) => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("age", &age)?;
                if let Some(n) = count {
                    m.serialize_entry("count", &n)?;
                }
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Keep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Flag(bool),
            Count(u64),
            Limits {
                age: Option<u64>,
                count: Option<u64>,
            },
        }
        Ok(match Wire::deserialize(d)? {
            Wire::Flag(true) => Keep::NONE,
            Wire::Flag(false) => Keep::ALL,
            Wire::Count(n) => Keep::last(n),
            Wire::Limits { age, count } => Keep {
                count,
                age_secs: age,
            },
        })
    }
}

/// One job's options. Field names are BullMQ's (`opts` in its job hash); fovea's own additions
/// (`timeout`) are ignored by other BullMQ clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOptions {
    /// The caller's id: adding a job whose id exists returns the existing job (idempotent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// How many times the job may be attempted in all (≥ 1).
    pub attempts: u32,
    /// The delay before each retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// Completed jobs to keep.
    pub remove_on_complete: Keep,
    /// Failed jobs to keep.
    pub remove_on_fail: Keep,
    /// Milliseconds before the job becomes ready.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay: u64,
    /// 0: none; otherwise 1 (highest) to 2^21.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub priority: u32,
    /// Take this job before those already waiting.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lifo: bool,
    /// The largest payload accepted, in bytes of JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<usize>,
    /// Milliseconds one attempt may run before it is cancelled and counted as failed
    /// (BullMQ has no job timeout; fovea's workers enforce this one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

impl Default for JobOptions {
    /// FOVEA's queue defaults: 3 attempts, exponential backoff from 2 s, keep the last 100
    /// completed and the last 100 failed jobs.
    fn default() -> Self {
        JobOptions {
            job_id: None,
            attempts: 3,
            backoff: Some(Backoff {
                kind: BackoffKind::Exponential,
                delay: 2000,
                jitter: None,
            }),
            remove_on_complete: Keep::last(100),
            remove_on_fail: Keep::last(100),
            delay: 0,
            priority: 0,
            lifo: false,
            size_limit: None,
            timeout: None,
        }
    }
}

impl JobOptions {
    /// These options with the caller's job id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.job_id = Some(id.into());
        self
    }

    /// FOVEA's defaults with `given` (BullMQ's option names, as a JSON object) over them,
    /// checked. Unknown names are refused, so a misspelt option is never silently ignored.
    ///
    /// ```
    /// let opts = fovea_jobs::JobOptions::over_defaults(&serde_json::json!({"priority": 2})).unwrap();
    /// assert_eq!((opts.priority, opts.attempts), (2, 3));
    /// ```
    pub fn over_defaults(given: &serde_json::Value) -> Result<JobOptions> {
        let invalid = |message: String| JobError::InvalidOptions {
            field: "options",
            message,
        };
        let serde_json::Value::Object(given) = given else {
            return Err(invalid(format!("expected an object, got {given}")));
        };
        let mut base = serde_json::to_value(JobOptions::default()).expect("options serialize");
        for (name, value) in given {
            if !KNOWN_OPTIONS.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "unknown option {name:?} (known: {})",
                    KNOWN_OPTIONS.join(", ")
                )));
            }
            base[name] = value.clone();
        }
        let opts: JobOptions = serde_path_to_error::deserialize(base)
            .map_err(|e| invalid(format!("{}: {}", e.path(), e.inner())))?;
        opts.check()?;
        Ok(opts)
    }

    /// Checks the options and the caller's id as BullMQ's client does.
    pub fn check(&self) -> Result<()> {
        if self.attempts == 0 {
            return Err(JobError::InvalidOptions {
                field: "attempts",
                message: "must be at least 1".into(),
            });
        }
        if self.priority > MAX_PRIORITY {
            return Err(JobError::InvalidOptions {
                field: "priority",
                message: format!("{} exceeds the maximum {MAX_PRIORITY}", self.priority),
            });
        }
        if let Some(b) = &self.backoff
            && let Some(j) = b.jitter
            && !(0.0..=1.0).contains(&j)
        {
            return Err(JobError::InvalidOptions {
                field: "backoff.jitter",
                message: format!("{j} is not within 0–1"),
            });
        }
        if let Some(id) = &self.job_id {
            check_id(id)?;
        }
        Ok(())
    }
}

/// The option names [`JobOptions::over_defaults`] accepts.
const KNOWN_OPTIONS: &[&str] = &[
    "jobId",
    "attempts",
    "backoff",
    "removeOnComplete",
    "removeOnFail",
    "delay",
    "priority",
    "lifo",
    "sizeLimit",
    "timeout",
];

/// The names of a BullMQ queue's own keys (`bull:<queue>:<name>`): a job with one of these ids
/// would have its hash stored over the queue's list or set.
pub const RESERVED_IDS: &[&str] = &[
    "id",
    "wait",
    "paused",
    "active",
    "prioritized",
    "pc",
    "delayed",
    "completed",
    "failed",
    "waiting-children",
    "stalled",
    "stalled-check",
    "marker",
    "limiter",
    "meta",
    "events",
    "repeat",
    "metrics",
    "de",
];

/// BullMQ's rules for a caller's job id: not empty, not an integer (those are its own ids),
/// no `:` (its key separator); and not the name of one of the queue's keys (BullMQ does not
/// check this; such a job corrupts the queue).
pub fn check_id(id: &str) -> Result<()> {
    let reason = if id.is_empty() {
        "it is empty"
    } else if RESERVED_IDS.contains(&id) {
        "it is the name of one of the queue's own Redis keys"
    } else if id.bytes().all(|b| b.is_ascii_digit()) {
        "an integer id is reserved for the queue's own ids"
    } else if id.contains(':') {
        "it contains ':'"
    } else {
        return Ok(());
    };
    Err(JobError::InvalidId {
        id: id.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serialize_as_fovea_stores_them() {
        let opts = serde_json::to_value(JobOptions::default()).unwrap();
        assert_eq!(
            opts,
            serde_json::json!({"attempts":3,"backoff":{"type":"exponential","delay":2000},
                "removeOnComplete":100,"removeOnFail":100})
        );
        let back: JobOptions = serde_json::from_value(opts).unwrap();
        assert_eq!(back, JobOptions::default());
    }

    #[test]
    fn over_defaults_merges_and_names_what_is_wrong() {
        let opts = JobOptions::over_defaults(
            &serde_json::json!({"jobId": "a", "attempts": 1, "removeOnComplete": true}),
        )
        .unwrap();
        assert_eq!(opts.job_id.as_deref(), Some("a"));
        assert_eq!(opts.attempts, 1);
        assert_eq!(opts.remove_on_complete, Keep::NONE);
        assert_eq!(opts.remove_on_fail, Keep::last(100));
        for (given, needle) in [
            (
                serde_json::json!({"atempts": 2}),
                "unknown option \"atempts\"",
            ),
            (serde_json::json!({"attempts": "two"}), "attempts:"),
            (serde_json::json!({"attempts": 0}), "at least 1"),
            (serde_json::json!({"jobId": "12"}), "integer"),
            (serde_json::json!([1]), "expected an object"),
        ] {
            let e = JobOptions::over_defaults(&given).unwrap_err().to_string();
            assert!(e.contains(needle), "{given}: {e}");
        }
    }

    #[test]
    fn keep_reads_every_bullmq_form() {
        for (text, keep) in [
            ("true", Keep::NONE),
            ("false", Keep::ALL),
            ("7", Keep::last(7)),
            (
                r#"{"age":60,"count":5}"#,
                Keep {
                    count: Some(5),
                    age_secs: Some(60),
                },
            ),
        ] {
            let k: Keep = serde_json::from_str(text).unwrap();
            assert_eq!(k, keep, "{text}");
            assert_eq!(
                serde_json::from_value::<Keep>(serde_json::to_value(k).unwrap()).unwrap(),
                k
            );
        }
    }

    #[test]
    fn exponential_backoff_doubles_and_jitter_shortens() {
        let b = JobOptions::default().backoff.unwrap();
        let ms: Vec<u128> = (1..=3).map(|n| b.delay_after(n, 0.0).as_millis()).collect();
        assert_eq!(ms, [2000, 4000, 8000]);
        let j = Backoff {
            jitter: Some(0.5),
            ..b
        };
        assert_eq!(j.delay_after(1, 0.5).as_millis(), 1500);
    }

    #[test]
    fn ids_and_options_are_checked() {
        for bad in ["", "42", "a:b", "delayed", "meta"] {
            let e = JobOptions::default().with_id(bad).check().unwrap_err();
            assert_eq!(e.code(), "invalid-job-id", "{bad}");
        }
        assert!(
            JobOptions::default()
                .with_id("track-v1-abc")
                .check()
                .is_ok()
        );
        let e = JobOptions {
            attempts: 0,
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert!(e.to_string().contains("attempts"));
    }
}
