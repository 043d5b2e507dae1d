//! Tracking jobs: the payload, the model-service client, the handler that turns a job into
//! keyframe sequences, and a simulated model service for demos and tests.

pub mod annotate;
pub mod client;
pub mod handler;
pub mod payload;
#[cfg(feature = "store")]
pub mod review;
pub mod simulated;
#[cfg(feature = "store")]
mod stored;

pub use client::{ClientOptions, DEFAULT_MODEL_SERVICE_URL, ModelServiceClient, TrackRequest};
pub use handler::{TrackingHandler, TrackingOptions};
pub use payload::{Exceeded, PayloadError, SCHEMA_VERSION, TrackingJob};
pub use simulated::{SimulatedModelService, SimulatedVideo, Simulation, SimulationArgs, VideoArgs};
