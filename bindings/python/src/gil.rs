//! When work releases the GIL: large compilations, evaluations and reads run detached, so
//! other Python threads go on; small ones keep it (two hand-overs cost more than the work).

use pyo3::marker::Ungil;
use pyo3::prelude::*;

/// Work at least this large (frames, stored items, bytes of JSON / 16) runs with the GIL
/// released; smaller work is not worth the two GIL hand-overs.
pub(crate) const DETACH_AT: usize = 4096;

/// Runs `f`, with the GIL released when `big`.
pub(crate) fn run<T: Ungil>(py: Python<'_>, big: bool, f: impl Ungil + FnOnce() -> T) -> T {
    if big { py.detach(f) } else { f() }
}
