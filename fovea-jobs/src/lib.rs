//! Tracking jobs for fovea: a job queue with BullMQ's state machine — in process by default —,
//! a worker runtime, and the tracking handler that calls FOVEA's model service and turns its
//! tracks into keyframe sequences.
//!
//! - [`JobQueue`]: the contract (enqueue with idempotent ids, status, progress, results,
//!   cancel, list, retention; claims under leases with fencing tokens).
//! - [`InProcessQueue`]: the default backend, deterministic under a [`FakeClock`].
//! - [`JobView`]: one status view, serialized into each of FOVEA's status shapes.

pub mod args;
mod attempt;
#[cfg(feature = "bullmq")]
pub mod bull;
pub mod clock;
pub mod error;
mod handler;
pub mod host;
pub mod memory;
pub mod options;
pub mod queue;
pub mod tracking;
pub mod view;
mod wait;
pub mod worker;

pub use args::{
    AddArgs, ListArgs, QueueArgs, StatusArgs, TrackingWorkerArgs, TrackingWorkerSetup, WaitArgs,
    WorkerArgs,
};
pub use clock::{Clock, FakeClock, TokioClock};
pub use error::{JobError, Result};
pub use memory::{InProcessQueue, JobEvent, Limiter, QueueSettings, TryClaim};
pub use options::{Backoff, BackoffKind, JobOptions, Keep};
pub use queue::{
    Added, Cancelled, Claim, ClaimQueue, Counts, FailOutcome, Failure, JobQueue, TRACKING_JOB,
    TRACKING_QUEUE,
};
pub use view::{JobState, JobStatus, JobView, Shape, Shaped};
pub use wait::{TICK as WAIT_TICK, wait};
pub use worker::{Handler, JobContext, Worker, WorkerOptions, WorkerReport};
