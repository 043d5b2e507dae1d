//! The exception tree: `FoveaError(Exception)`, `EditRefusedError(FoveaError)` and one class
//! per code of [`Error::CODES`] and of the job queue's [`JobError::CODES`], built from those
//! lists at import so no code goes without one; and `UnrecoverableError(FoveaError)`, which a
//! job handler raises to fail its job without retries (BullMQ's name for it).
//!
//! * the five refusal codes subclass `EditRefusedError`;
//! * `io` subclasses `OSError`; `database` (what a store's database refused) and the queue's
//!   state and backend codes (`stale-lease`, `invalid-state`, `operation-refused`,
//!   `queue-closed`, `queue-backend`) only `FoveaError`; `job-not-found` also `LookupError`;
//! * every other code is an input/data error and also subclasses `ValueError`
//!   (`invalid-type` also `TypeError`, since it is raised for arguments of the wrong type).
//!
//! Every raised instance carries `code` (the stable code), `path` (the JSON path or argument
//! name the error refers to, or `None`) and `line` (the 1-based line of a JSON Lines input,
//! or `None`).

use fovea_core::Error;
use fovea_jobs::JobError;
use pyo3::exceptions::{PyException, PyLookupError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// Codes of refused edits (the sequence is left unchanged): [`fovea_core::Refusal::CODES`].
pub const REFUSAL_CODES: &[&str] = fovea_core::Refusal::CODES;

const MODULE: &str = "fovea._fovea";

/// Codes whose errors are about state or a backend, not the caller's input: their classes
/// subclass only `FoveaError`.
const STATE_CODES: &[&str] = &[
    "database",
    "stale-lease",
    "invalid-state",
    "operation-refused",
    "queue-closed",
    "queue-backend",
];

struct Classes {
    base: Py<PyType>,
    refused: Py<PyType>,
    unrecoverable: Py<PyType>,
    by_code: Vec<(&'static str, Py<PyType>)>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// `frame-not-integer` → `FrameNotIntegerError`.
pub fn class_name(code: &str) -> String {
    let mut name: String = code
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect();
    name.push_str("Error");
    name
}

fn new_class(
    py: Python<'_>,
    name: &str,
    bases: Bound<'_, PyTuple>,
    doc: &str,
    attrs: &[(&str, Option<&str>)],
) -> PyResult<Py<PyType>> {
    let ns = PyDict::new(py);
    ns.set_item("__module__", MODULE)?;
    ns.set_item("__doc__", doc)?;
    for (k, v) in attrs {
        ns.set_item(*k, *v)?;
    }
    let cls = py.get_type::<PyType>().call1((name, bases, ns))?;
    Ok(cls.cast_into::<PyType>()?.unbind())
}

fn build(py: Python<'_>) -> PyResult<Classes> {
    let base = new_class(
        py,
        "FoveaError",
        PyTuple::new(py, [py.get_type::<PyException>()])?,
        "Base class of every error raised by fovea.\n\n`code` is the stable machine-readable \
         code (e.g. 'frame-not-integer'); `path` the JSON path or argument the error refers \
         to, or None; `line` the 1-based line of a JSON Lines input, or None.",
        &[("code", None), ("path", None), ("line", None)],
    )?;
    let refused = new_class(
        py,
        "EditRefusedError",
        PyTuple::new(py, [base.bind(py)])?,
        "An edit was refused; the sequence is unchanged.",
        &[],
    )?;
    let unrecoverable = new_class(
        py,
        "UnrecoverableError",
        PyTuple::new(py, [base.bind(py)])?,
        "Raised by a job handler to fail its job at once, without the retries other \
         exceptions get.",
        &[],
    )?;
    let codes = Error::CODES
        .iter()
        .chain(JobError::CODES.iter().filter(|c| !Error::CODES.contains(c)));
    let mut by_code = Vec::with_capacity(Error::CODES.len() + JobError::CODES.len());
    for &code in codes {
        let bases = if REFUSAL_CODES.contains(&code) {
            PyTuple::new(py, [refused.bind(py)])?
        } else if code == "io" {
            PyTuple::new(py, [base.bind(py).clone(), py.get_type::<PyOSError>()])?
        } else if STATE_CODES.contains(&code) {
            // Not the input's fault alone: a connection, a schema, a constraint, a job's state.
            PyTuple::new(py, [base.bind(py).clone()])?
        } else if code == "job-not-found" {
            PyTuple::new(py, [base.bind(py).clone(), py.get_type::<PyLookupError>()])?
        } else if code == "invalid-type" {
            PyTuple::new(
                py,
                [
                    base.bind(py).clone(),
                    py.get_type::<PyValueError>(),
                    py.get_type::<PyTypeError>(),
                ],
            )?
        } else {
            PyTuple::new(py, [base.bind(py).clone(), py.get_type::<PyValueError>()])?
        };
        let doc = format!("Raised with code '{code}'.");
        let cls = new_class(py, &class_name(code), bases, &doc, &[("code", Some(code))])?;
        by_code.push((code, cls));
    }
    Ok(Classes {
        base,
        refused,
        unrecoverable,
        by_code,
    })
}

fn classes(py: Python<'_>) -> PyResult<&'static Classes> {
    CLASSES.get_or_try_init(py, || build(py))
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let c = classes(py)?;
    m.add("FoveaError", c.base.bind(py))?;
    m.add("EditRefusedError", c.refused.bind(py))?;
    m.add("UnrecoverableError", c.unrecoverable.bind(py))?;
    for (code, cls) in &c.by_code {
        m.add(class_name(code), cls.bind(py))?;
    }
    Ok(())
}

/// The Python exception for a core error: the class of its code, with `code` and `path` set.
pub fn to_pyerr(err: Error) -> PyErr {
    raise(err.code(), &err.to_string(), err.path(), err.line())
}

/// The Python exception for a job queue error (`path`: the option at fault, if any).
pub fn job_error(err: JobError) -> PyErr {
    let path = match &err {
        JobError::InvalidOptions { field, .. } => Some(*field),
        _ => None,
    };
    raise(err.code(), &err.to_string(), path, None)
}

/// Whether `err` is the `UnrecoverableError` a handler raised (or a subclass of it).
pub fn is_unrecoverable(py: Python<'_>, err: &PyErr) -> bool {
    classes(py).is_ok_and(|c| err.is_instance(py, c.unrecoverable.bind(py)))
}

fn raise(code: &str, message: &str, path: Option<&str>, line: Option<usize>) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let c = classes(py)?;
            let cls = c
                .by_code
                .iter()
                .find(|(known, _)| *known == code)
                .map_or(&c.base, |(_, cls)| cls);
            let exc = cls.bind(py).call1((message,))?;
            exc.setattr("code", code)?;
            exc.setattr("path", path)?;
            exc.setattr("line", line)?;
            Ok(PyErr::from_value(exc))
        };
        build().unwrap_or_else(|e| e)
    })
}
