//! The exception tree, built at import from the registry of codes (`fovea_core::codes`) so no
//! code goes without a class: `FoveaError(Exception)`, `EditRefusedError(FoveaError)`, one class
//! per registered code whose bases follow the code's family, and `UnrecoverableError(FoveaError)`,
//! which a job handler raises to fail its job without retries (BullMQ's name for it).
//!
//! * refusals subclass `EditRefusedError`; input errors also `ValueError` (`invalid-type` also
//!   `TypeError`); `io` also `OSError`; lookups (`job-not-found`) also `LookupError`; `timeout`
//!   also `TimeoutError`; state and backend codes (`database`, `schema`, `queue-closed`, …)
//!   only `FoveaError`;
//! * an I/O failure of a kind Python has a class for is raised as a subclass of both `IoError`
//!   and that class (`IoFileNotFoundError(IoError, FileNotFoundError)`, …), with `errno` and
//!   `strerror` set, as Python's own `open()` raises.
//!
//! Every raised instance carries `code` (the stable code), `path` (the JSON path or argument
//! name the error refers to, or `None`) and `line` (the 1-based line of a JSON Lines input,
//! or `None`).

use fovea_core::Error;
use fovea_core::codes::{Family, REGISTRY};
use fovea_jobs::JobError;
use pyo3::exceptions::{
    PyBrokenPipeError, PyConnectionAbortedError, PyConnectionRefusedError, PyConnectionResetError,
    PyException, PyFileExistsError, PyFileNotFoundError, PyInterruptedError, PyIsADirectoryError,
    PyLookupError, PyNotADirectoryError, PyOSError, PyPermissionError, PyTimeoutError, PyTypeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// Codes of refused edits (the sequence is left unchanged): [`fovea_core::Refusal::CODES`].
pub const REFUSAL_CODES: &[&str] = fovea_core::Refusal::CODES;

const MODULE: &str = "fovea._fovea";

/// The `OSError` subclasses an I/O failure maps onto, by kind: (kind, class name, base).
fn io_kinds(py: Python<'_>) -> [(std::io::ErrorKind, &'static str, Bound<'_, PyType>); 11] {
    use std::io::ErrorKind as K;
    macro_rules! kinds {
        ($($kind:ident => $name:literal, $base:ty;)*) => { [$((K::$kind, $name, py.get_type::<$base>())),*] };
    }
    kinds! {
        NotFound => "IoFileNotFoundError", PyFileNotFoundError;
        PermissionDenied => "IoPermissionError", PyPermissionError;
        IsADirectory => "IoIsADirectoryError", PyIsADirectoryError;
        NotADirectory => "IoNotADirectoryError", PyNotADirectoryError;
        AlreadyExists => "IoFileExistsError", PyFileExistsError;
        Interrupted => "IoInterruptedError", PyInterruptedError;
        TimedOut => "IoTimeoutError", PyTimeoutError;
        BrokenPipe => "IoBrokenPipeError", PyBrokenPipeError;
        ConnectionRefused => "IoConnectionRefusedError", PyConnectionRefusedError;
        ConnectionReset => "IoConnectionResetError", PyConnectionResetError;
        ConnectionAborted => "IoConnectionAbortedError", PyConnectionAbortedError;
    }
}

struct Classes {
    base: Py<PyType>,
    refused: Py<PyType>,
    unrecoverable: Py<PyType>,
    by_code: Vec<(&'static str, Py<PyType>)>,
    by_io_kind: Vec<(std::io::ErrorKind, &'static str, Py<PyType>)>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// Python's own exception names a code's class must not take: `from fovea import *` would
/// shadow the builtin (`timeout` → `FoveaTimeoutError`, not `TimeoutError`).
const BUILTIN_NAMES: &[&str] = &["TimeoutError"];

/// `frame-not-integer` → `FrameNotIntegerError`; a builtin's name gets the prefix `Fovea`.
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
    if BUILTIN_NAMES.contains(&name.as_str()) {
        name.insert_str(0, "Fovea");
    }
    name
}

/// The family of each code as Python sees it (`ERROR_FAMILIES`): `input`, `type`, `refusal`,
/// `io`, `state`, `lookup` or `timeout`.
pub fn family_name(family: Family) -> &'static str {
    match family {
        Family::Input => "input",
        Family::Type => "type",
        Family::Refusal => "refusal",
        Family::Io => "io",
        Family::State => "state",
        Family::Lookup => "lookup",
        Family::Timeout => "timeout",
    }
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

fn build<'py>(py: Python<'py>) -> PyResult<Classes> {
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
    let mut by_code = Vec::with_capacity(REGISTRY.len());
    for entry in REGISTRY {
        let extra = |ty: Bound<'py, PyType>| PyTuple::new(py, [base.bind(py).clone(), ty]);
        let bases = match entry.family {
            Family::Refusal => PyTuple::new(py, [refused.bind(py)])?,
            Family::Input => extra(py.get_type::<PyValueError>())?,
            Family::Type => PyTuple::new(
                py,
                [
                    base.bind(py).clone(),
                    py.get_type::<PyValueError>(),
                    py.get_type::<PyTypeError>(),
                ],
            )?,
            Family::Io => extra(py.get_type::<PyOSError>())?,
            Family::Lookup => extra(py.get_type::<PyLookupError>())?,
            Family::Timeout => extra(py.get_type::<PyTimeoutError>())?,
            // Not the input's fault alone: a connection, a schema, a constraint, a job's state.
            Family::State => PyTuple::new(py, [base.bind(py)])?,
        };
        let code = entry.code;
        let doc = format!("Raised with code '{code}'.");
        let cls = new_class(py, &class_name(code), bases, &doc, &[("code", Some(code))])?;
        by_code.push((code, cls));
    }
    let io = by_code
        .iter()
        .find(|(code, _)| *code == "io")
        .map(|(_, cls)| cls.clone_ref(py))
        .expect("the registry holds `io`");
    let mut by_io_kind = Vec::new();
    for (kind, name, os_class) in io_kinds(py) {
        let bases = PyTuple::new(py, [io.bind(py).clone(), os_class])?;
        let doc = "Raised with code 'io' for a failure of this kind.";
        let cls = new_class(py, name, bases, doc, &[("code", Some("io"))])?;
        by_io_kind.push((kind, name, cls));
    }
    Ok(Classes {
        base,
        refused,
        unrecoverable,
        by_code,
        by_io_kind,
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
    for (_, name, cls) in &c.by_io_kind {
        m.add(*name, cls.bind(py))?;
    }
    Ok(())
}

/// The Python exception for a core error: the class of its code, with `code` and `path` set.
pub fn to_pyerr(err: Error) -> PyErr {
    let message = err.to_string();
    raise_as(err.code(), &message, err.path(), err.line(), err.io_kind())
}

/// The Python exception for a job queue error (`path`: the option at fault, if any).
pub fn job_error(err: JobError) -> PyErr {
    let path = match &err {
        JobError::InvalidOptions { field, .. } => Some(*field),
        JobError::Timeout { .. } => Some("timeout"),
        _ => None,
    };
    raise_as(err.code(), &err.to_string(), path, None, None)
}

/// Whether `err` is the `UnrecoverableError` a handler raised (or a subclass of it).
pub fn is_unrecoverable(py: Python<'_>, err: &PyErr) -> bool {
    classes(py).is_ok_and(|c| err.is_instance(py, c.unrecoverable.bind(py)))
}

/// The exception of `code`: the class of the code, or for an I/O failure (`io`: its kind and
/// OS error number) the class of its kind when Python has one, with `errno` and `strerror` set.
fn raise_as(
    code: &str,
    message: &str,
    path: Option<&str>,
    line: Option<usize>,
    io: Option<(std::io::ErrorKind, Option<i32>)>,
) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let c = classes(py)?;
            let of_kind = io.and_then(|(kind, _)| {
                c.by_io_kind
                    .iter()
                    .find(|(known, ..)| *known == kind)
                    .map(|(.., cls)| cls)
            });
            let cls = of_kind
                .or_else(|| {
                    c.by_code
                        .iter()
                        .find(|(known, _)| *known == code)
                        .map(|(_, cls)| cls)
                })
                .unwrap_or(&c.base);
            let err = instance(cls.bind(py), code, message, path, line)?;
            if let Some((_, errno)) = io {
                let value = err.value(py);
                value.setattr("errno", errno)?;
                value.setattr("strerror", message)?;
            }
            Ok(err)
        };
        build().unwrap_or_else(|e| e)
    })
}

/// `cls(message)` with `code`, `path` and `line` set.
fn instance(
    cls: &Bound<'_, PyType>,
    code: &str,
    message: &str,
    path: Option<&str>,
    line: Option<usize>,
) -> PyResult<PyErr> {
    let exc = cls.call1((message,))?;
    exc.setattr("code", code)?;
    exc.setattr("path", path)?;
    exc.setattr("line", line)?;
    Ok(PyErr::from_value(exc))
}
