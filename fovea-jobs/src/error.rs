//! What can go wrong with a queue operation.

/// A queue error. Every variant names the job or the field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// A caller-chosen job id that BullMQ would refuse.
    #[error("invalid job id {id:?}: {reason}")]
    InvalidId {
        /// The id.
        id: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A job option out of range.
    #[error("invalid job option {field}: {message}")]
    InvalidOptions {
        /// The option (BullMQ's name, e.g. `attempts`).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The payload is larger than the queue accepts.
    #[error(
        "job {id}: payload of {size} bytes exceeds the limit of {limit} bytes (store large data elsewhere and pass a reference)"
    )]
    PayloadTooLarge {
        /// The job.
        id: String,
        /// UTF-8 length of the payload's JSON.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// No job has this id (never added, removed, or evicted by retention).
    #[error("job {0} not found")]
    NotFound(String),
    /// The caller's lease on the job is no longer valid: it expired and the job was handed
    /// to another worker, or the job finished. Fencing: the write was refused.
    #[error("job {id}: lease {token} is no longer valid (the job was redelivered or finished)")]
    StaleLease {
        /// The job.
        id: String,
        /// The refused token.
        token: String,
    },
    /// The operation does not apply to the job's current state.
    #[error("job {id} is {state}: cannot {operation}")]
    InvalidState {
        /// The job.
        id: String,
        /// Its state.
        state: &'static str,
        /// What was attempted.
        operation: &'static str,
    },
    /// The operation is refused because it would lose jobs (e.g. pausing a queue that
    /// BullMQ 5 clients share with this BullMQ 6 client) unless explicitly allowed.
    #[error("{operation} refused: {reason}")]
    Refused {
        /// What was attempted.
        operation: &'static str,
        /// Why, and how to allow it.
        reason: String,
    },
    /// A wait ran out of time; the job goes on.
    #[error("job {id} did not finish within the timeout of {} s", after.as_secs_f64())]
    Timeout {
        /// The job waited for.
        id: String,
        /// How long it was waited for.
        after: std::time::Duration,
    },
    /// A wait was interrupted by its caller (Ctrl-C in Python).
    #[error("waiting for job {id} was interrupted")]
    Interrupted {
        /// The job waited for.
        id: String,
    },
    /// The queue has been closed.
    #[error("the queue is closed")]
    Closed,
    /// The backend (Redis, the network) failed.
    #[error("queue backend: {0}")]
    Backend(String),
    /// A failure of the core or of a store (reviewing tracking candidates), with its own code.
    #[error(transparent)]
    Core(#[from] fovea_core::Error),
}

#[cfg(feature = "store")]
impl From<fovea_db::DbError> for JobError {
    fn from(e: fovea_db::DbError) -> Self {
        JobError::Core(e.into_core())
    }
}

impl JobError {
    /// Every code [`JobError::code`] returns (kebab-case, as the core's error codes).
    pub const CODES: &'static [&'static str] = &[
        "invalid-job-id",
        "invalid-option",
        "payload-too-large",
        "job-not-found",
        "stale-lease",
        "invalid-state",
        "operation-refused",
        "timeout",
        "aborted",
        "queue-closed",
        "queue-backend",
    ];

    /// A stable machine-readable code (the bindings put it on their exceptions).
    pub fn code(&self) -> &'static str {
        match self {
            JobError::InvalidId { .. } => "invalid-job-id",
            JobError::InvalidOptions { .. } => "invalid-option",
            JobError::PayloadTooLarge { .. } => "payload-too-large",
            JobError::NotFound(_) => "job-not-found",
            JobError::StaleLease { .. } => "stale-lease",
            JobError::InvalidState { .. } => "invalid-state",
            JobError::Refused { .. } => "operation-refused",
            JobError::Timeout { .. } => "timeout",
            JobError::Interrupted { .. } => "aborted",
            JobError::Closed => "queue-closed",
            JobError::Backend(_) => "queue-backend",
            JobError::Core(e) => e.code(),
        }
    }
}

/// `Result` with a [`JobError`].
pub type Result<T, E = JobError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed() {
        let all = [
            JobError::InvalidId {
                id: "1".into(),
                reason: "r",
            },
            JobError::InvalidOptions {
                field: "f",
                message: "m".into(),
            },
            JobError::PayloadTooLarge {
                id: "j".into(),
                size: 2,
                limit: 1,
            },
            JobError::NotFound("j".into()),
            JobError::StaleLease {
                id: "j".into(),
                token: "t".into(),
            },
            JobError::InvalidState {
                id: "j".into(),
                state: "active",
                operation: "remove",
            },
            JobError::Refused {
                operation: "pause",
                reason: "r".into(),
            },
            JobError::Timeout {
                id: "j".into(),
                after: std::time::Duration::from_millis(50),
            },
            JobError::Interrupted { id: "j".into() },
            JobError::Closed,
            JobError::Backend("b".into()),
        ];
        let codes: Vec<_> = all.iter().map(JobError::code).collect();
        assert_eq!(codes, JobError::CODES);
        for code in codes {
            assert!(
                fovea_core::codes::lookup(code).is_some(),
                "{code} is not registered"
            );
        }
    }
}
