//! Error mapping: a failure of the core becomes a JavaScript `Error` whose `code` is the core's
//! stable code (`Error::code()`), whose `message` is the core's message, and which carries a
//! `path` property when the core error names one and a `line` property when it is located on a
//! line of a JSON Lines file.

use fovea_core::Error as CoreError;
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, JsValue, Object};

/// A failure inside the binding: a typed core error, or an error of Node-API itself (e.g. an
/// exception thrown by a getter of the object being converted, which stays pending).
pub(crate) enum Fail {
    /// An error of `fovea-core` (or one the conversion layer raises with a core code).
    Core(CoreError),
    /// A Node-API failure, passed through unchanged.
    Napi(napi::Error),
}

/// Result of the binding's internal functions.
pub(crate) type Res<T> = std::result::Result<T, Fail>;

impl From<CoreError> for Fail {
    fn from(e: CoreError) -> Self {
        Fail::Core(e)
    }
}

impl From<napi::Error> for Fail {
    fn from(e: napi::Error) -> Self {
        Fail::Napi(e)
    }
}

impl Fail {
    /// The error to hand back to napi-rs, which throws it.
    pub(crate) fn into_js(self, env: &Env) -> napi::Error {
        match self {
            Fail::Napi(e) => e,
            Fail::Core(e) => core_error(env, &e).unwrap_or_else(|failed| failed),
        }
    }
}

/// Builds `new Error(message)` with `code` (and `path`, `line`) set, wrapped so napi-rs throws
/// (or rejects with) this very object.
pub(crate) fn core_error(env: &Env, e: &CoreError) -> napi::Result<napi::Error> {
    Ok(napi::Error::from(error_object(env, e)?.to_unknown()))
}

/// `new Error(message)` with `code` (and `path`, `line`) set.
/// An I/O failure also carries `ioKind` (`not-found`, `permission-denied`, …) and, when the
/// operating system gave one, `errno` (its positive error number).
pub(crate) fn error_object<'env>(env: &'env Env, e: &CoreError) -> napi::Result<Object<'env>> {
    let mut obj = coded_object(env, e.code(), &e.to_string(), e.path(), e.line())?;
    if let Some((kind, errno)) = e.io_kind() {
        obj.set_named_property("ioKind", fovea_core::codes::io_kind_name(kind))?;
        if let Some(errno) = errno {
            obj.set_named_property("errno", errno)?;
        }
    }
    Ok(obj)
}

/// [`core_error`] for any code (the job queue's, `timeout`).
pub(crate) fn coded_error(
    env: &Env,
    code: &str,
    message: &str,
    path: Option<&str>,
    line: Option<usize>,
) -> napi::Result<napi::Error> {
    Ok(napi::Error::from(
        coded_object(env, code, message, path, line)?.to_unknown(),
    ))
}

fn coded_object<'env>(
    env: &'env Env,
    code: &str,
    message: &str,
    path: Option<&str>,
    line: Option<usize>,
) -> napi::Result<Object<'env>> {
    let mut obj = env.create_error(napi::Error::from_reason(message))?;
    obj.set_named_property("code", code)?;
    if let Some(path) = path {
        obj.set_named_property("path", path)?;
    }
    if let Some(line) = line {
        obj.set_named_property("line", line as f64)?;
    }
    Ok(obj)
}

/// Turns an internal result into the `napi::Result` an exported function returns.
pub(crate) trait OrThrow<T> {
    /// Maps the failure to a JavaScript error (see the module docs).
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for Res<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|f| f.into_js(env))
    }
}
