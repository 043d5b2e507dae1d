//! Promise-returning calls: the work runs on the libuv thread pool (napi-rs `AsyncTask`), off
//! the JavaScript thread, and can be cancelled by an `AbortSignal`.
//!
//! * Failures of the core reject with the binding's `Error` (`code`, `path`, `line`); so do
//!   invalid arguments, so that a Promise-returning function never throws for them.
//! * A panic on the pool thread is caught and rejects (it must not unwind into libuv).
//! * An `AbortSignal` is listened to with `addEventListener('abort', …)` (its `onabort` is left
//!   alone) and the listener is removed when the call settles. Aborting sets a flag that every
//!   read and write of the call checks, so a running call stops within one buffer (64 KiB);
//!   the Promise then rejects with an `Error` named `AbortError` (`code: 'ABORT_ERR'`, `cause`:
//!   the signal's `reason`), as Node's own APIs do. A signal already aborted rejects at once.
//!   Calls that write to a database honour the signal only until their work starts
//!   ([`Abort::BeforeStart`]): a transaction is not interrupted half-way, and its outcome is
//!   reported.
//! * Files are read and written through the core's [`Files`], stopped by the call's flag: an
//!   I/O failure of a file rejects with code `io` even where the core counts unreadable lines
//!   and goes on.

use crate::convert::Tape;
use crate::error::{self, Fail, Res};
use fovea_core::Error as CoreError;
use fovea_core::ops::Files;
use napi::bindgen_prelude::{JsObjectValue, JsValue, ToNapiValue, TypeName, Unknown};
use napi::{Env, Task, ValueType, check_status, sys};
use serde::Serialize;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The cancellation flag of one call.
#[derive(Clone, Default)]
pub(crate) struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Whether the call was aborted.
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// The files of a call, stopped when this flag is set.
    pub(crate) fn files(&self) -> Files {
        Files::default().with_stop_flag(self.0.clone())
    }
}

/// The work of a call, run on the pool thread with the call's files.
pub(crate) type Work<T> = Box<dyn FnOnce(&Files) -> fovea_core::Result<T> + Send>;

/// The work `f`, whose failures become the core's errors.
pub(crate) fn work<T, E: Into<CoreError>>(
    f: impl FnOnce(&Files) -> Result<T, E> + Send + 'static,
) -> Work<T> {
    Box::new(move |files| f(files).map_err(Into::into))
}

/// The work `f`, whose result is written as a tape on the pool thread (JavaScript builds the
/// objects from it when the Promise settles).
pub(crate) fn tape<T: Serialize, E: Into<CoreError>>(
    f: impl FnOnce(&Files) -> Result<T, E> + Send + 'static,
) -> Work<Tape> {
    Box::new(move |files| Tape::of(&f(files).map_err(Into::into)?))
}

/// How the work ended.
pub enum Outcome<T> {
    /// The result.
    Done(T),
    /// A failure of the core (or of a file).
    Failed(CoreError),
    /// The call was aborted.
    Aborted,
    /// The work panicked (with this message).
    Panicked(String),
}

/// When an `AbortSignal` can stop a call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abort {
    /// At any time: an abort while the work runs stops its reads and writes and discards its
    /// result (files are written through a temporary file, so nothing is left behind).
    Anytime,
    /// Only before the work starts: once it runs, its outcome stands and is reported (database
    /// writes, which commit or roll back as a whole and cannot be interrupted half-way).
    BeforeStart,
}

/// A call running on the libuv thread pool.
pub struct Job<T> {
    work: Option<Work<T>>,
    cancel: Cancel,
    abort: Abort,
    signal: Option<Listener>,
}

impl<T> Job<T> {
    /// A job that rejects with `e` (an invalid argument).
    fn failed(e: CoreError) -> Self {
        Job {
            work: Some(Box::new(move |_| Err(e))),
            cancel: Cancel::default(),
            abort: Abort::Anytime,
            signal: None,
        }
    }

    /// A job running `work`, cancelled through `cancel` (no signal of its own).
    pub(crate) fn with_cancel(work: Work<T>, cancel: Cancel) -> Self {
        Job {
            work: Some(work),
            cancel,
            abort: Abort::Anytime,
            signal: None,
        }
    }
}

/// Starts a Promise-returning call: `prepare` reads the arguments (on the JavaScript thread)
/// and returns the work; `options.signal`, when given, can abort it. Argument errors of the
/// core reject; Node-API failures (an exception thrown by a getter) throw.
pub(crate) fn spawn<T: Send + 'static + ToNapiValue + TypeName>(
    env: &Env,
    options: Option<&Unknown>,
    prepare: impl FnOnce() -> Res<Work<T>>,
) -> napi::Result<napi::bindgen_prelude::AsyncTask<Job<T>>> {
    spawn_with(env, options, Abort::Anytime, prepare)
}

/// [`spawn`], with the signal honoured as `abort` says.
pub(crate) fn spawn_with<T: Send + 'static + ToNapiValue + TypeName>(
    env: &Env,
    options: Option<&Unknown>,
    abort: Abort,
    prepare: impl FnOnce() -> Res<Work<T>>,
) -> napi::Result<napi::bindgen_prelude::AsyncTask<Job<T>>> {
    let cancel = Cancel::default();
    let job = prepare().and_then(|work| {
        let signal = listen(env, options, &cancel)?;
        Ok(Job {
            work: Some(work),
            cancel,
            abort,
            signal,
        })
    });
    match job {
        Ok(job) => Ok(napi::bindgen_prelude::AsyncTask::new(job)),
        Err(Fail::Core(e)) => Ok(napi::bindgen_prelude::AsyncTask::new(Job::failed(e))),
        Err(Fail::Napi(e)) => Err(e),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("panic in fovea: {text}")
}

impl<T: Send + 'static + ToNapiValue + TypeName> Task for Job<T> {
    type Output = Outcome<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Outcome<T>> {
        let Some(work) = self.work.take() else {
            return Ok(Outcome::Panicked("the task ran twice".into()));
        };
        if self.cancel.is_set() {
            return Ok(Outcome::Aborted);
        }
        // Work that cannot be interrupted runs with a flag of its own, which no signal sets.
        let running = match self.abort {
            Abort::Anytime => self.cancel.clone(),
            Abort::BeforeStart => Cancel::default(),
        };
        let files = running.files();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            work(&files).and_then(|value| files.check().map(|()| value))
        }));
        Ok(match result {
            _ if running.is_set() => Outcome::Aborted,
            Ok(Ok(value)) => Outcome::Done(value),
            Ok(Err(e)) => Outcome::Failed(e),
            Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
        })
    }

    fn resolve(&mut self, env: Env, output: Outcome<T>) -> napi::Result<T> {
        match output {
            Outcome::Done(value) => Ok(value),
            Outcome::Failed(e) => Err(error::core_error(&env, &e).unwrap_or_else(|f| f)),
            Outcome::Aborted => Err(abort_error(&env, self.signal.as_ref()).unwrap_or_else(|f| f)),
            Outcome::Panicked(message) => Err(napi::Error::from_reason(message)),
        }
    }

    fn finally(self, env: Env) -> napi::Result<()> {
        if let Some(signal) = self.signal {
            signal.remove(&env);
        }
        Ok(())
    }
}

/// The rejection of an aborted call: `Error` named `AbortError`, `code: 'ABORT_ERR'`, with the
/// signal's `reason` as `cause` when known.
pub(crate) fn abort_error(env: &Env, signal: Option<&Listener>) -> napi::Result<napi::Error> {
    let mut obj = env.create_error(napi::Error::from_reason("The operation was aborted"))?;
    obj.set_named_property("name", "AbortError")?;
    obj.set_named_property("code", "ABORT_ERR")?;
    if let Some(reason) = signal.and_then(|s| s.reason(env)) {
        let raw = obj.value();
        // SAFETY: `obj` and `reason` are live values of `env`, on the JavaScript thread.
        check_status!(unsafe {
            sys::napi_set_named_property(raw.env, raw.value, c"cause".as_ptr(), reason)
        })?;
    }
    Ok(napi::Error::from(obj.to_unknown()))
}

/// An abort listener registered on an `AbortSignal`: references to the signal and to the
/// listener function, released when the call settles.
pub(crate) struct Listener {
    env: sys::napi_env,
    signal: sys::napi_ref,
    listener: sys::napi_ref,
}

// SAFETY: a `Listener` is created, used and released on the JavaScript thread only (in the
// exported function, `resolve` and `finally`); the pool thread merely carries it.
unsafe impl Send for Listener {}

/// Reads a named property.
///
/// # Safety
/// `object` must be a live object of `env`, on the JavaScript thread.
unsafe fn property(
    env: sys::napi_env,
    object: sys::napi_value,
    name: &std::ffi::CStr,
) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_named_property(env, object, name.as_ptr(), &mut out) })?;
    Ok(out)
}

/// # Safety
/// `value` must be a live value of `env`.
unsafe fn type_of(env: sys::napi_env, value: sys::napi_value) -> napi::Result<i32> {
    let mut t = 0;
    check_status!(unsafe { sys::napi_typeof(env, value, &mut t) })?;
    Ok(t)
}

fn not_a_signal() -> Fail {
    CoreError::InvalidType {
        path: "options.signal".into(),
        message: "expected an AbortSignal".into(),
    }
    .into()
}

/// Listens to `options.signal`, when there is one: its abort sets `cancel`. A signal already
/// aborted sets it at once.
pub(crate) fn listen(
    env: &Env,
    options: Option<&Unknown>,
    cancel: &Cancel,
) -> Res<Option<Listener>> {
    let Some(options) = options else {
        return Ok(None);
    };
    if options.get_type()? != ValueType::Object {
        return Ok(None);
    }
    let raw = options.value();
    let e = raw.env;
    // SAFETY: `raw` is a live object of `e`; every value read below is used inside this
    // callback, and the references created outlive it.
    unsafe {
        let signal = property(e, raw.value, c"signal")?;
        match type_of(e, signal)? {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => return Ok(None),
            sys::ValueType::napi_object => {}
            _ => return Err(not_a_signal()),
        }
        let aborted = property(e, signal, c"aborted")?;
        if type_of(e, aborted)? != sys::ValueType::napi_boolean {
            return Err(not_a_signal());
        }
        let mut is_aborted = false;
        check_status!(sys::napi_get_value_bool(e, aborted, &mut is_aborted))?;
        let mut signal_ref = ptr::null_mut();
        check_status!(sys::napi_create_reference(e, signal, 1, &mut signal_ref))?;
        let mut out = Listener {
            env: e,
            signal: signal_ref,
            listener: ptr::null_mut(),
        };
        if is_aborted {
            cancel.set();
            return Ok(Some(out));
        }
        let add = property(e, signal, c"addEventListener")?;
        if type_of(e, add)? != sys::ValueType::napi_function {
            out.remove(env);
            return Err(not_a_signal());
        }
        let flag = cancel.clone();
        let listener = env.create_function_from_closure::<(), (), _>("onAbort", move |_| {
            flag.set();
            Ok(())
        })?;
        let listener = listener.value().value;
        let mut listener_ref = ptr::null_mut();
        check_status!(sys::napi_create_reference(
            e,
            listener,
            1,
            &mut listener_ref
        ))?;
        out.listener = listener_ref;
        let mut once = ptr::null_mut();
        check_status!(sys::napi_create_object(e, &mut once))?;
        let mut yes = ptr::null_mut();
        check_status!(sys::napi_get_boolean(e, true, &mut yes))?;
        check_status!(sys::napi_set_named_property(e, once, c"once".as_ptr(), yes))?;
        let args = [ToNapiValue::to_napi_value(e, "abort")?, listener, once];
        let mut result = ptr::null_mut();
        let status = sys::napi_call_function(e, signal, add, 3, args.as_ptr(), &mut result);
        if let Err(failed) = check_status!(status) {
            out.remove(env);
            return Err(failed.into());
        }
        Ok(Some(out))
    }
}

impl Listener {
    /// The signal's `reason`, if it can be read.
    fn reason(&self, _env: &Env) -> Option<sys::napi_value> {
        // SAFETY: on the JavaScript thread; the reference is alive until `remove`.
        unsafe {
            let mut signal = ptr::null_mut();
            if sys::napi_get_reference_value(self.env, self.signal, &mut signal)
                != sys::Status::napi_ok
                || signal.is_null()
            {
                return None;
            }
            let mut reason = ptr::null_mut();
            (sys::napi_get_named_property(self.env, signal, c"reason".as_ptr(), &mut reason)
                == sys::Status::napi_ok)
                .then_some(reason)
        }
    }

    /// Removes the listener from the signal and releases the references (best effort: a
    /// failure leaves a listener that sets a flag nobody reads).
    pub(crate) fn remove(self, _env: &Env) {
        let e = self.env;
        // SAFETY: on the JavaScript thread; each reference is deleted exactly once, here.
        unsafe {
            let mut signal = ptr::null_mut();
            let mut listener = ptr::null_mut();
            if !self.listener.is_null()
                && sys::napi_get_reference_value(e, self.signal, &mut signal)
                    == sys::Status::napi_ok
                && sys::napi_get_reference_value(e, self.listener, &mut listener)
                    == sys::Status::napi_ok
                && !signal.is_null()
                && !listener.is_null()
            {
                let mut remove = ptr::null_mut();
                if sys::napi_get_named_property(
                    e,
                    signal,
                    c"removeEventListener".as_ptr(),
                    &mut remove,
                ) == sys::Status::napi_ok
                    && type_of(e, remove).ok() == Some(sys::ValueType::napi_function)
                    && let Ok(name) = ToNapiValue::to_napi_value(e, "abort")
                {
                    let args = [name, listener];
                    let mut result = ptr::null_mut();
                    let status =
                        sys::napi_call_function(e, signal, remove, 2, args.as_ptr(), &mut result);
                    if status == sys::Status::napi_pending_exception {
                        // A throwing removeEventListener must not surface later.
                        let mut ignored = ptr::null_mut();
                        sys::napi_get_and_clear_last_exception(e, &mut ignored);
                    }
                }
            }
            if !self.listener.is_null() {
                sys::napi_delete_reference(e, self.listener);
            }
            sys::napi_delete_reference(e, self.signal);
        }
    }
}
