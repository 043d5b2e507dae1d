//! The multi-thread tokio runtime that fovea's blocking callers run their async work on: the
//! blocking store, and the CLI's and the bindings' queues and workers. Database pools and Redis
//! connections are bound to the runtime that made them, so every caller in a process shares
//! this one.
//!
//! A forked child (Python's `multiprocessing` with the `fork` start method, say) inherits the
//! parent's runtime without its worker threads: work handed to it would never run. [`runtime`]
//! notices the new process id and starts a fresh runtime for the child; the parent's copy is
//! left alone (dropping it would wait for threads that do not exist in the child).

#![warn(missing_docs)]

use std::sync::Mutex;
use tokio::runtime::Runtime;

/// The runtime of this process and the id of the process that started it.
static CURRENT: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// This process's shared runtime, started on first use (and again in a forked child).
///
/// One uncontended lock and a `getpid` per call: callers use it once per blocking operation,
/// never per record.
///
/// ```
/// let answer = fovea_runtime::runtime().block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
///
/// # Panics
/// When the operating system refuses the runtime's threads (out of memory or thread limit),
/// as `tokio::runtime::Runtime::new` does: nothing async could run in such a process.
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    let mut current = CURRENT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match *current {
        Some((owner, runtime)) if owner == pid => runtime,
        _ => {
            let runtime: &'static Runtime = Box::leak(Box::new(
                tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("fovea")
                    .build()
                    .expect("the async runtime starts"),
            ));
            *current = Some((pid, runtime));
            runtime
        }
    }
}

#[cfg(test)]
mod tests {
    use super::runtime;

    #[test]
    fn one_runtime_per_process() {
        assert!(std::ptr::eq(runtime(), runtime()));
        assert_eq!(runtime().block_on(async { 1 + 1 }), 2);
    }
}
