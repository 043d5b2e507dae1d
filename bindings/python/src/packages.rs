//! The optional Python packages fovea calls into (pyarrow, tqdm, …): imported when first
//! needed, with an error that says which extra installs them.

use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;

/// Imports `module`, or raises ImportError naming the extra that installs it.
pub(crate) fn require<'py>(
    py: Python<'py>,
    module: &str,
    extra: &str,
    what: &str,
) -> PyResult<Bound<'py, PyModule>> {
    py.import(module).map_err(|cause| {
        let err = PyImportError::new_err(format!(
            "{what} needs {module}, which could not be imported; install it with: \
             pip install fovea[{extra}]"
        ));
        err.set_cause(py, Some(cause));
        err
    })
}
