//! Jobs for hosts that are not Rust programs — the Python and Node bindings: one queue type
//! whatever the backend ([`AnyQueue`], chosen by URL), one worker type ([`AnyWorker`]), and a
//! handler that relays each job to the host's own code ([`relay`]), which finishes it when it
//! is done. The worker runtime (leases, timeouts, cancellation, fencing, shutdown) stays in
//! Rust; the host only runs its function.

mod any;
mod relay;

pub use any::{AnyQueue, AnyWorker, QueueConfig};
pub use relay::{RelayHandler, RelayJob, Relayed, relay};
