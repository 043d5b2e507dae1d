//! Conversions between Python objects and `serde_json::Value`, and of frame arguments.
//!
//! Python → JSON accepts what `json.dumps` would write (dict with str keys, list, tuple, str,
//! int, float, bool, None) and fails with the core's typed errors, located by a JSON path
//! relative to the converted argument (`boxes[0].x`): a NaN or infinity is
//! `non-finite-number`, anything else unconvertible is `invalid-type`.

use fovea_core::model::{Frame, parse_frame};
use fovea_core::{BoundingBox, Error};
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deepest nesting accepted (serde_json's own recursion limit when it reads text).
const MAX_DEPTH: usize = 128;

/// One step of a JSON path.
enum Step {
    Key(String),
    Index(usize),
}

/// A conversion failure; `steps` is the path from the failing value up to the root (reversed).
struct Fail {
    steps: Vec<Step>,
    kind: FailKind,
}

enum FailKind {
    NonFinite(f64),
    Invalid(String),
}

impl Fail {
    fn invalid(message: String) -> Self {
        Fail {
            steps: Vec::new(),
            kind: FailKind::Invalid(message),
        }
    }

    fn at(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    fn into_error(self) -> Error {
        let mut path = String::new();
        for step in self.steps.iter().rev() {
            match step {
                Step::Key(k) if path.is_empty() => path.push_str(k),
                Step::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        if path.is_empty() {
            path.push('$');
        }
        match self.kind {
            FailKind::NonFinite(value) => Error::NonFinite { path, value },
            FailKind::Invalid(message) => Error::InvalidType { path, message },
        }
    }
}

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// Converts a Python value to JSON, or names what could not be converted and where.
pub fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, Error> {
    walk(obj, 0).map_err(Fail::into_error)
}

fn walk(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Fail> {
    if depth > MAX_DEPTH {
        return Err(Fail::invalid(format!(
            "nested deeper than {MAX_DEPTH} levels"
        )));
    }
    if obj.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if let Ok(i) = obj.cast::<PyInt>() {
        int_value(i)
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        Number::from_f64(v).map(Value::Number).ok_or(Fail {
            steps: Vec::new(),
            kind: FailKind::NonFinite(v),
        })
    } else if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|e| Fail::invalid(format!("string is not valid UTF-8: {e}")))
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(Fail::invalid(format!(
                    "object keys must be str, got {}",
                    type_name(&k)
                )));
            };
            let key = key
                .to_cow()
                .map_err(|e| Fail::invalid(format!("key is not valid UTF-8: {e}")))?
                .into_owned();
            match walk(&v, depth + 1) {
                Ok(value) => {
                    map.insert(key, value);
                }
                Err(fail) => return Err(fail.at(Step::Key(key))),
            }
        }
        Ok(Value::Object(map))
    } else if let Ok(l) = obj.cast::<PyList>() {
        seq_value(l.iter(), l.len(), depth)
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        seq_value(t.iter(), t.len(), depth)
    } else {
        Err(Fail::invalid(format!(
            "expected a JSON-compatible value (dict, list, tuple, str, int, float, bool or \
             None), got {}",
            type_name(obj)
        )))
    }
}

fn seq_value<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    len: usize,
    depth: usize,
) -> Result<Value, Fail> {
    let mut out = Vec::with_capacity(len);
    for (i, item) in items.enumerate() {
        out.push(walk(&item, depth + 1).map_err(|f| f.at(Step::Index(i)))?);
    }
    Ok(Value::Array(out))
}

fn int_value(i: &Bound<'_, PyInt>) -> Result<Value, Fail> {
    if let Ok(v) = i.extract::<i64>() {
        return Ok(Value::from(v));
    }
    if let Ok(v) = i.extract::<u64>() {
        return Ok(Value::from(v));
    }
    // Beyond 64 bits: a float, as a JSON parser reads such a literal.
    match i.extract::<f64>() {
        Ok(v) => Ok(Number::from_f64(v).map_or(Value::Null, Value::Number)),
        Err(_) => Err(Fail::invalid(
            "integer too large to convert to a JSON number".to_owned(),
        )),
    }
}

/// 2^53: doubles below it in magnitude are exact integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Converts JSON to Python: dicts (key order kept), lists, ints stay ints, floats floats
/// except integral ones, which become ints (as `json.loads` reads fovea's output).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // As `json.loads` reads what fovea writes: JavaScript number formatting writes
                // an integral double as an integer (`3.0` as `3`).
                if f.fract() == 0.0 && f.abs() < MAX_SAFE_INTEGER {
                    (f as i64).into_pyobject(py)?.into_any()
                } else {
                    PyFloat::new(py, f).into_any()
                }
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => PyList::new(
            py,
            items
                .iter()
                .map(|v| to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?,
        )?
        .into_any(),
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(k, to_py(py, v)?)?;
            }
            d.into_any()
        }
    })
}

/// Any serializable core value (a box, a sequence) as Python objects.
pub fn serialize_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    to_py(py, &value)
}

/// A box in FOVEA's shape as a dict.
pub fn box_to_py<'py>(py: Python<'py>, b: &BoundingBox) -> PyResult<Bound<'py, PyAny>> {
    serialize_to_py(py, b)
}

/// Reads a frame argument (int, float or anything with `__index__`) and checks it with the
/// core's [`parse_frame`], so `-1`, `2.5` and `1e12` give the typed errors. `name` is the
/// argument's name, used as the error's path.
pub fn frame_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<Frame, Error> {
    let invalid = || Error::InvalidType {
        path: name.to_owned(),
        message: format!("expected an integer frame number, got {}", type_name(obj)),
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(invalid());
    }
    let value = if let Ok(f) = obj.cast::<PyFloat>() {
        f.value()
    } else {
        match obj.extract::<i64>() {
            // Exact up to 2^53, far beyond the largest frame; larger values stay too large.
            Ok(i) => i as f64,
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
                obj.extract::<f64>().unwrap_or_else(|_| {
                    if obj.lt(0).unwrap_or(false) {
                        f64::MIN
                    } else {
                        f64::MAX
                    }
                })
            }
            // Other real numbers (numpy.float32, Decimal, …) through `__float__`.
            Err(_) => obj.extract::<f64>().map_err(|_| invalid())?,
        }
    };
    parse_frame(value, name)
}
