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
    /// The queue has been closed.
    #[error("the queue is closed")]
    Closed,
    /// The backend (Redis, the network) failed.
    #[error("queue backend: {0}")]
    Backend(String),
}

impl JobError {
    /// A stable machine-readable code (the bindings put it on their exceptions).
    pub fn code(&self) -> &'static str {
        match self {
            JobError::InvalidId { .. } => "invalid_job_id",
            JobError::InvalidOptions { .. } => "invalid_option",
            JobError::PayloadTooLarge { .. } => "payload_too_large",
            JobError::NotFound(_) => "job_not_found",
            JobError::StaleLease { .. } => "stale_lease",
            JobError::InvalidState { .. } => "invalid_state",
            JobError::Refused { .. } => "refused",
            JobError::Closed => "queue_closed",
            JobError::Backend(_) => "queue_backend",
        }
    }
}

/// `Result` with a [`JobError`].
pub type Result<T, E = JobError> = std::result::Result<T, E>;
