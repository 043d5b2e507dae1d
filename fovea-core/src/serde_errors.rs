//! serde's failures as the core's typed errors, located by their JSON path: every reader of
//! JSON text, JSON values and a binding's host values goes through [`deserialize`].

use crate::error::{Error, Result};
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::Value;

/// Deserializer errors the model's readers turn into typed errors, given the path at which
/// they happened (`""` at the root).
pub trait ReadError: serde::de::Error {
    /// The typed error this one is at `path`.
    fn into_error(self, path: String) -> Error;
}

/// `$` for the root, as every error path names it.
pub(crate) fn root_if_empty(path: String) -> String {
    if path.is_empty() {
        "$".to_owned()
    } else {
        path
    }
}

/// Deserializes `T` from JSON text, mapping serde errors to typed, located errors.
///
/// The text is read once without path tracking (the fast path); only when that fails is it
/// read again with `serde_path_to_error` to name the offending field.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => Err(located(e)),
                Ok(_) => Err(json_error(&first)),
            }
        }
    }
}

/// Deserializes `T` from a JSON value, mapping serde errors to typed, located errors.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    deserialize(|| &value)
}

/// Deserializes `T` from the deserializers `make` returns (JSON text, a JSON value, a binding's
/// host values), naming the path of a failure: the value is read once without tracking the
/// path (which costs an allocation per key); only when that fails is it read again, from a new
/// deserializer, with the path tracked.
pub(crate) fn deserialize<'de, T, D>(mut make: impl FnMut() -> D) -> Result<T>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
    D::Error: ReadError,
{
    match T::deserialize(make()) {
        Ok(value) => Ok(value),
        Err(first) => match serde_path_to_error::deserialize::<_, T>(make()) {
            Err(e) => Err(located(e)),
            // The second reading saw what the first did: not expected, but the first error
            // still stands (at the root, its path unknown).
            Ok(_) => Err(first.into_error(String::new())),
        },
    }
}

fn located<E: ReadError>(err: serde_path_to_error::Error<E>) -> Error {
    let path = err.path().to_string();
    // A key that failed to read is an unknown segment (`?`): the error is the object's.
    let path = path
        .strip_suffix('?')
        .map_or(path.as_str(), |p| p.trim_end_matches('.'));
    let path = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    err.into_inner().into_error(path)
}

impl ReadError for serde_json::Error {
    fn into_error(self, path: String) -> Error {
        if self.is_syntax() || self.is_eof() {
            return json_error(&self);
        }
        let text = self.to_string();
        // serde_json appends " at line L column C" when reading text; the path says where.
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_owned(),
            None => text,
        };
        data_error(path, message)
    }
}

/// Turns serde's message for a data error (wrong type, missing field) found at `path` into a
/// typed error.
pub(crate) fn data_error(path: String, message: String) -> Error {
    // serde's `deny_unknown_fields`: "unknown field `k`, expected one of `a`, `b`".
    if let Some((key, expected)) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once("`, "))
    {
        // The path names the key when the reader tracked it, its object otherwise.
        let path = if path == key || path.ends_with(&format!(".{key}")) {
            path
        } else if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        };
        return Error::UnknownKey {
            path,
            expected: expected.replace('`', ""),
        };
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return Error::MissingField {
            path: root_if_empty(path),
            field: field.to_owned(),
        };
    }
    Error::InvalidType {
        path: root_if_empty(path),
        message,
    }
}

pub(crate) fn json_error(err: &serde_json::Error) -> Error {
    let text = err.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    Error::InvalidJson {
        line: err.line(),
        column: err.column(),
        message,
    }
}
