//! Progress and Ctrl-C for long calls over files. The files are read through the core's
//! `Watched` reader; its hook, after the first 256 KiB and then at most every 100 ms, takes the GIL back, checks for signals
//! (so Ctrl-C raises `KeyboardInterrupt` in the middle of a call) and reports the bytes read
//! to the caller's `progress`: a function `progress(done, total)`, or `True` for a tqdm bar
//! (`tqdm.auto`, so notebooks get their widget). An exception from either stops the read; it
//! is raised once the call is back in Python, and files being written are not left behind.

use crate::convert::type_name;
use crate::errors::to_pyerr;
use crate::packages::require;
use fovea_core::Error;
use fovea_core::watch::Hook;
use pyo3::prelude::*;
use pyo3::types::PyBool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Longest time between two looks at Python (signals, progress).
const PERIOD: Duration = Duration::from_millis(100);

/// Where progress goes.
enum Sink {
    /// Nowhere (signals are still checked).
    None,
    /// `progress(done, total)`.
    Callback(Py<PyAny>),
    /// A tqdm bar, advanced by the bytes read since its last update.
    Bar(Py<PyAny>),
}

struct Shared {
    sink: Sink,
    total: u64,
    done: AtomicU64,
    /// Bytes the sink has been told of.
    shown: AtomicU64,
    /// When Python was last looked at (None: not yet; the first report comes at once).
    last: Mutex<Option<Instant>>,
    /// The exception that stopped the read.
    error: Mutex<Option<PyErr>>,
}

impl Shared {
    fn advance(&self, n: u64) -> std::io::Result<()> {
        self.done.fetch_add(n, Ordering::Relaxed);
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < PERIOD) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        Python::attach(|py| {
            py.check_signals()?;
            self.report(py)
        })
        .map_err(|e| {
            *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
            std::io::Error::other("interrupted from Python")
        })
    }

    fn report(&self, py: Python<'_>) -> PyResult<()> {
        let done = self.done.load(Ordering::Relaxed).min(self.total);
        match &self.sink {
            Sink::None => {}
            Sink::Callback(f) => {
                f.call1(py, (done, self.total))?;
            }
            Sink::Bar(bar) => {
                let delta = done.saturating_sub(self.shown.swap(done, Ordering::Relaxed));
                if delta > 0 {
                    bar.call_method1(py, "update", (delta,))?;
                }
            }
        }
        Ok(())
    }
}

/// The progress of one call: make it with the GIL, read files with [`Watch::hook`] without
/// it, and pass the call's outcome through [`Watch::finish`].
pub(crate) struct Watch(Arc<Shared>);

impl Watch {
    /// A watch over `total` bytes reported to `progress` (None/False: only Ctrl-C; True: a
    /// tqdm bar titled `desc`; a callable: called with `(done, total)`).
    pub(crate) fn new(
        py: Python<'_>,
        progress: Option<&Bound<'_, PyAny>>,
        total: u64,
        desc: &str,
    ) -> PyResult<Self> {
        let sink = match progress.filter(|p| !p.is_none()) {
            None => Sink::None,
            Some(p) if p.is_instance_of::<PyBool>() => {
                if p.is_truthy()? {
                    let tqdm = require(py, "tqdm.auto", "progress", "progress=True")?;
                    let kwargs = pyo3::types::PyDict::new(py);
                    kwargs.set_item("total", total)?;
                    kwargs.set_item("unit", "B")?;
                    kwargs.set_item("unit_scale", true)?;
                    kwargs.set_item("unit_divisor", 1024)?;
                    kwargs.set_item("desc", desc)?;
                    Sink::Bar(tqdm.getattr("tqdm")?.call((), Some(&kwargs))?.unbind())
                } else {
                    Sink::None
                }
            }
            Some(p) if p.is_callable() => Sink::Callback(p.clone().unbind()),
            Some(p) => {
                return Err(to_pyerr(Error::InvalidType {
                    path: "progress".into(),
                    message: format!(
                        "expected a callable progress(done, total), True, False or None, got {}",
                        type_name(p)
                    ),
                }));
            }
        };
        Ok(Watch(Arc::new(Shared {
            sink,
            total,
            done: AtomicU64::new(0),
            shown: AtomicU64::new(0),
            last: Mutex::new(None),
            error: Mutex::new(None),
        })))
    }

    /// The hook of the files the call reads.
    pub(crate) fn hook(&self) -> Option<Hook> {
        let shared = self.0.clone();
        Some(Arc::new(move |n| shared.advance(n)))
    }

    /// The call's outcome: the exception that stopped it if any, else `outcome` after a last
    /// report (all bytes read when it succeeded). A tqdm bar is closed either way.
    pub(crate) fn finish<T>(self, py: Python<'_>, outcome: PyResult<T>) -> PyResult<T> {
        let stopped = self
            .0
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let last = match (&stopped, &outcome) {
            (None, Ok(_)) => {
                self.0.done.store(self.0.total, Ordering::Relaxed);
                self.0.report(py)
            }
            _ => Ok(()),
        };
        if let Sink::Bar(bar) = &self.0.sink {
            bar.call_method0(py, "close")?;
        }
        match stopped {
            Some(e) => Err(e),
            None => last.and(outcome),
        }
    }
}
