//! Jobs for hosts that are not Rust programs — the Python and Node bindings: one queue type
//! whatever the backend ([`AnyQueue`], chosen by URL), one worker type ([`AnyWorker`]), and a
//! handler that relays each job to the host's own code ([`relay`]), which finishes it when it
//! is done. The worker runtime (leases, timeouts, cancellation, fencing, shutdown) stays in
//! Rust; the host only runs its function.

mod any;
mod relay;

pub use any::{AnyQueue, AnyWorker, QueueConfig};
pub use relay::{RelayHandler, RelayJob, Relayed, relay};

use crate::tracking::TrackingJob;
use serde_json::Value;

/// Reads and checks a tracking payload as fovea's tracking worker will
/// ([`TrackingJob::from_value_within`]), so a host can refuse a bad job before queueing it: the
/// payload with its defaults filled in, or an `invalid-type` error whose path names the field
/// (`limit-exceeded` when it asks for more than `limits` allow).
///
/// ```
/// use serde_json::json;
/// let job = json!({"schemaVersion": 1, "videoId": "v1", "objects": [
///     {"objectId": 1, "initialBox": {"x": 0, "y": 0, "width": 0, "height": 5}}]});
/// let limits = Default::default();
/// let e = fovea_jobs::host::check_tracking_job(&job, &limits).unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid-type", Some("objects[0].initialBox")));
/// let far = json!({"schemaVersion": 1, "videoId": "v1", "frameRange": {"start": 0, "end": 4000000000u32},
///     "objects": [{"objectId": 1, "initialBox": {"x": 0, "y": 0, "width": 5, "height": 5}}]});
/// let e = fovea_jobs::host::check_tracking_job(&far, &limits).unwrap_err();
/// assert_eq!((e.code(), e.path()), ("limit-exceeded", Some("frameRange")));
/// ```
pub fn check_tracking_job(
    data: &Value,
    limits: &fovea_core::limits::TrackingLimits,
) -> fovea_core::Result<Value> {
    let job = TrackingJob::from_value_within(data, limits)?;
    serde_json::to_value(&job).map_err(|e| fovea_core::Error::InvalidType {
        path: String::new(),
        message: e.to_string(),
    })
}
