//! Conversions between JavaScript values and fovea's values, with no JSON text and no
//! `serde_json::Value` between them, and of scalar arguments.
//!
//! Values cross as tapes (see `convert.js`, the JavaScript half, evaluated once per
//! environment; the Rust half is the core's `host::tape`): Rust → JavaScript, any
//! serializable value is written into a [`Tape`] — on the libuv thread pool for results
//! computed there — and JavaScript builds the objects from it; JavaScript → Rust, JavaScript
//! writes a tape of the value as `JSON.stringify` would see it, and the core's reader of it
//! ([`Cursor`]) feeds the core's readers, which name the path of whatever they refuse (`non-finite-number`,
//! `invalid-type`). Creating objects property by property through Node-API costs several
//! times what JavaScript pays; a tape costs about what `JSON.parse` does.
//!
//! Numbers follow what the JSON path gave: every number is a JavaScript number, `-0` is `0`,
//! a non-finite number (JSON's `null`) is `null`; from JavaScript, an integral number is read
//! as an integer (as `JSON.parse` of its text would be).
//!
//! Two outputs need no tape: [`Frames`] has the core evaluate every frame into typed arrays
//! that JavaScript turns into box objects of one shape, and [`Columns`] hands those typed
//! arrays over as they are.

use crate::error::{Fail, Res};
use fovea_core::Error as CoreError;
use fovea_core::host;
use fovea_core::host::tape::{self, Cursor};
use fovea_core::model::{BoundingBox, Frame, parse_frame};
use napi::bindgen_prelude::{JsValue, ToNapiValue, TypeName, Unknown};
use napi::{Env, ValueType, check_status, sys};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::ffi::c_char;
use std::mem::MaybeUninit;
use std::ptr;

/// The JavaScript half of the conversions.
const SCRIPT: &str = include_str!("convert.js");

// --- the JavaScript helpers -------------------------------------------------------------------

/// References to `convert.js`'s functions, kept with the environment.
struct Helpers {
    decode: sys::napi_ref,
    boxes: sys::napi_ref,
    encode: sys::napi_ref,
}

/// One of the helpers of `env`, evaluating `convert.js` on first use.
///
/// # Safety
/// `env` must be the current callback's environment.
unsafe fn helper(
    env: sys::napi_env,
    which: fn(&Helpers) -> sys::napi_ref,
) -> napi::Result<sys::napi_value> {
    let wrapped = Env::from_raw(env);
    let helpers = match wrapped.get_instance_data::<Helpers>()? {
        Some(h) => h,
        None => {
            let helpers = unsafe { load_helpers(env)? };
            wrapped.set_instance_data(helpers, (), |ctx| {
                let h = ctx.value;
                for r in [h.decode, h.boxes, h.encode] {
                    // SAFETY: the references were made on this environment, which is being
                    // torn down; each is deleted once.
                    unsafe { sys::napi_delete_reference(ctx.env.raw(), r) };
                }
            })?;
            wrapped
                .get_instance_data::<Helpers>()?
                .ok_or_else(|| napi::Error::from_reason("conversion helpers missing"))?
        }
    };
    let mut out = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_reference_value(env, which(helpers), &mut out) })?;
    Ok(out)
}

/// Evaluates `convert.js` and keeps references to its functions.
///
/// # Safety
/// `env` must be the current callback's environment.
unsafe fn load_helpers(env: sys::napi_env) -> napi::Result<Helpers> {
    unsafe {
        let source = create_string(env, SCRIPT)?;
        let mut exports = ptr::null_mut();
        check_status!(sys::napi_run_script(env, source, &mut exports))?;
        let reference = |name: &std::ffi::CStr| -> napi::Result<sys::napi_ref> {
            let mut f = ptr::null_mut();
            check_status!(sys::napi_get_named_property(
                env,
                exports,
                name.as_ptr(),
                &mut f
            ))?;
            let mut r = ptr::null_mut();
            check_status!(sys::napi_create_reference(env, f, 1, &mut r))?;
            Ok(r)
        };
        Ok(Helpers {
            decode: reference(c"decode")?,
            boxes: reference(c"boxes")?,
            encode: reference(c"encode")?,
        })
    }
}

/// Calls a helper with `args`.
///
/// # Safety
/// `env` must be the current callback's environment and `args` live values of it.
unsafe fn call(
    env: sys::napi_env,
    which: fn(&Helpers) -> sys::napi_ref,
    args: &[sys::napi_value],
) -> napi::Result<sys::napi_value> {
    unsafe {
        let f = helper(env, which)?;
        let mut this = ptr::null_mut();
        check_status!(sys::napi_get_undefined(env, &mut this))?;
        let mut out = ptr::null_mut();
        check_status!(sys::napi_call_function(
            env,
            this,
            f,
            args.len(),
            args.as_ptr(),
            &mut out
        ))?;
        Ok(out)
    }
}

// --- Rust → JavaScript ------------------------------------------------------------------------

/// A value on its way to JavaScript: the core's tape, decoded by `convert.js`. Built anywhere
/// (a thread of the pool), turned into JavaScript values on the main thread.
pub struct Tape(tape::Tape);

impl Tape {
    /// The tape of one value.
    pub(crate) fn of<T: Serialize + ?Sized>(value: &T) -> fovea_core::Result<Self> {
        tape::Tape::of(value).map(Tape)
    }

    /// A tape of several values, decoded as an array of them ([`Tape::push`] each).
    pub(crate) fn list() -> Self {
        Tape(tape::Tape::list())
    }

    /// Appends a value.
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> fovea_core::Result<()> {
        self.0.push(value)
    }

    /// The JavaScript value(s) of the tape.
    ///
    /// # Safety
    /// `env` must be the current callback's environment.
    pub(crate) unsafe fn to_js(&self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let (ops, nums, text, units, many) = self.0.parts();
        unsafe {
            let ops = typed_array_of(env, sys::TypedarrayType::uint32_array, ops)?;
            let nums = typed_array_of(env, sys::TypedarrayType::float64_array, nums)?;
            let offsets = typed_array_of(env, sys::TypedarrayType::uint32_array, units)?;
            let mut js_text = ptr::null_mut();
            if text.is_ascii() {
                check_status!(sys::napi_create_string_latin1(
                    env,
                    text.as_ptr().cast::<c_char>(),
                    text.len() as isize,
                    &mut js_text
                ))?;
            } else {
                js_text = create_string(env, text)?;
            }
            let mut js_many = ptr::null_mut();
            check_status!(sys::napi_get_boolean(env, many, &mut js_many))?;
            call(env, |h| h.decode, &[ops, nums, js_text, offsets, js_many])
        }
    }
}

impl TypeName for Tape {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Tape {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        unsafe { val.to_js(env) }
    }
}

/// A serializable value returned to JavaScript (through a [`Tape`]).
pub struct Js<T>(
    /// The value.
    pub T,
);

impl<T> TypeName for Js<T> {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl<T: Serialize> ToNapiValue for Js<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let tape = Tape::of(&val.0).map_err(|e| napi::Error::from_reason(e.to_string()))?;
        unsafe { tape.to_js(env) }
    }
}

// --- frames -----------------------------------------------------------------------------------

/// Every visible frame of a compiled sequence as an array of FOVEA's boxes: the core evaluates
/// into typed arrays (JavaScript-owned memory), keyframes are written to a tape, and
/// `convert.js`'s `boxes` builds one object per frame, all of one shape. O(N) for N frames.
pub struct Frames<C>(
    /// The compiled sequence (borrowed from a cache or owned).
    pub C,
);

impl<C> TypeName for Frames<C> {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<C: std::ops::Deref<Target = fovea_core::CompiledSequence>> ToNapiValue for Frames<C> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let compiled = &*val.0;
        let n = compiled.len();
        unsafe {
            let (frames, frames_data) = typed_array(env, sys::TypedarrayType::int32_array, n, 4)?;
            let (values, values_data) =
                typed_array(env, sys::TypedarrayType::float64_array, 4 * n, 8)?;
            // SAFETY: each buffer holds `n` elements of its type (unused when n == 0), suitably
            // aligned, not aliased until the typed arrays are handed to JavaScript below.
            let frames_slice =
                std::slice::from_raw_parts_mut(frames_data.cast::<MaybeUninit<i32>>(), n);
            let values_slice =
                std::slice::from_raw_parts_mut(values_data.cast::<MaybeUninit<[f64; 4]>>(), n);
            let marks = compiled
                .write_rows_uninit(frames_slice, values_slice)
                .map_err(|e| napi::Error::from_reason(e.to_string()))?;
            let rows: Vec<u32> = marks.keyframes.iter().map(|(row, _)| *row as u32).collect();
            let rows = typed_array_of(env, sys::TypedarrayType::uint32_array, &rows)?;
            let keys: Vec<&BoundingBox> = marks.keyframes.iter().map(|(_, key)| *key).collect();
            let keys = Tape::of(&keys)
                .map_err(|e| napi::Error::from_reason(e.to_string()))?
                .to_js(env)?;
            let checked = !marks.all_finite;
            let mut checked_js = ptr::null_mut();
            check_status!(sys::napi_get_boolean(env, checked, &mut checked_js))?;
            call(env, |h| h.boxes, &[frames, values, rows, keys, checked_js])
        }
    }
}

/// Every visible frame of a compiled sequence as `{ frames: Int32Array, boxes: Float64Array }`,
/// evaluated straight into JavaScript-owned buffers (no copy, no external memory).
pub struct Columns<'a>(
    /// The sequence to evaluate.
    pub &'a fovea_core::CompiledSequence,
);

impl ToNapiValue for Columns<'_> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let n = val.0.len();
        let (frames, frames_data) =
            unsafe { typed_array(env, sys::TypedarrayType::int32_array, n, 4)? };
        let (boxes, boxes_data) =
            unsafe { typed_array(env, sys::TypedarrayType::float64_array, 4 * n, 8)? };
        // SAFETY: each buffer holds `n` elements of the element type (or is unused when n == 0),
        // is suitably aligned (ArrayBuffer storage is malloc-aligned) and is not aliased until
        // the typed arrays are returned.
        let (frames_slice, boxes_slice) = unsafe {
            (
                std::slice::from_raw_parts_mut(frames_data.cast::<MaybeUninit<i32>>(), n),
                std::slice::from_raw_parts_mut(boxes_data.cast::<MaybeUninit<[f64; 4]>>(), n),
            )
        };
        val.0
            .write_uninit(frames_slice, boxes_slice)
            .map_err(|e| napi::Error::from_reason(e.to_string()))?;
        let mut out = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_object(env, &mut out) })?;
        check_status!(unsafe {
            sys::napi_set_named_property(env, out, c"frames".as_ptr(), frames)
        })?;
        check_status!(unsafe { sys::napi_set_named_property(env, out, c"boxes".as_ptr(), boxes) })?;
        Ok(out)
    }
}

/// A new typed array of `len` elements of `size` bytes and its data pointer (dangling, aligned
/// when empty).
///
/// # Safety
/// `env` must be the current callback's environment.
unsafe fn typed_array(
    env: sys::napi_env,
    kind: sys::napi_typedarray_type,
    len: usize,
    size: usize,
) -> napi::Result<(sys::napi_value, *mut u8)> {
    let mut buffer = ptr::null_mut();
    let mut data = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_arraybuffer(env, len * size, &mut data, &mut buffer)
    })?;
    let mut array = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_typedarray(env, kind, len, buffer, 0, &mut array) })?;
    let data = if len == 0 || data.is_null() {
        std::ptr::NonNull::<f64>::dangling().as_ptr().cast::<u8>()
    } else if data.align_offset(size) != 0 {
        return Err(napi::Error::from_reason(
            "ArrayBuffer storage is not aligned",
        ));
    } else {
        data.cast::<u8>()
    };
    Ok((array, data))
}

/// A new typed array holding a copy of `items`.
///
/// # Safety
/// `env` must be the current callback's environment; `kind` must be the typed array type of
/// `T` (a plain number type).
unsafe fn typed_array_of<T: Copy>(
    env: sys::napi_env,
    kind: sys::napi_typedarray_type,
    items: &[T],
) -> napi::Result<sys::napi_value> {
    let size = std::mem::size_of::<T>();
    unsafe {
        let (array, data) = typed_array(env, kind, items.len(), size)?;
        if !items.is_empty() {
            ptr::copy_nonoverlapping(items.as_ptr(), data.cast::<T>(), items.len());
        }
        Ok(array)
    }
}

// --- JavaScript → Rust ------------------------------------------------------------------------

/// A tape `encode` returned: typed arrays whose memory stays valid while they are referenced
/// (they are, by the current scope), and the joined strings as UTF-8.
struct Received<'a> {
    tags: &'a [u8],
    sizes: &'a [u32],
    nums: &'a [f64],
    text: String,
}

impl Received<'_> {
    /// A reader from the start of the tape.
    fn cursor(&self) -> Cursor<'_> {
        Cursor::new(self.tags, self.sizes, self.nums, &self.text)
    }
}

/// The parts of a tape `encode` returned.
///
/// # Safety
/// `env` must be the current callback's environment and `tape` the array `encode` returned.
unsafe fn tape_parts<'a>(env: sys::napi_env, tape: sys::napi_value) -> napi::Result<Received<'a>> {
    unsafe {
        let element = |i: u32| -> napi::Result<sys::napi_value> {
            let mut v = ptr::null_mut();
            check_status!(sys::napi_get_element(env, tape, i, &mut v))?;
            Ok(v)
        };
        let tags = typed_slice::<u8>(env, element(0)?)?;
        let sizes = typed_slice::<u32>(env, element(1)?)?;
        let nums = typed_slice::<f64>(env, element(2)?)?;
        let text = element(3)?;
        let mut len = 0;
        check_status!(sys::napi_get_value_string_utf8(
            env,
            text,
            ptr::null_mut(),
            0,
            &mut len
        ))?;
        let mut bytes: Vec<u8> = Vec::with_capacity(len + 1);
        let mut written = 0;
        check_status!(sys::napi_get_value_string_utf8(
            env,
            text,
            bytes.as_mut_ptr().cast::<c_char>(),
            len + 1,
            &mut written
        ))?;
        // SAFETY: Node-API wrote `written` bytes (plus a terminator we do not keep).
        bytes.set_len(written);
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Received {
            tags,
            sizes,
            nums,
            text,
        })
    }
}

/// The elements of a typed array.
///
/// # Safety
/// `env` must be the current callback's environment; `array` a typed array of `T`s that stays
/// referenced for `'a`.
unsafe fn typed_slice<'a, T>(env: sys::napi_env, array: sys::napi_value) -> napi::Result<&'a [T]> {
    let mut kind = 0;
    let mut len = 0;
    let mut data = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    let mut offset = 0;
    check_status!(unsafe {
        sys::napi_get_typedarray_info(
            env,
            array,
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    })?;
    if len == 0 || data.is_null() {
        return Ok(&[]);
    }
    // SAFETY: the typed array holds `len` elements of `T` at `data` (a view of JavaScript
    // memory kept alive by the array).
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<T>(), len) })
}

/// Reads a JavaScript value with one of the core's readers (`BoundingBoxSequence::read`, …),
/// handed a maker of readers of its tape (a second reading, with the path tracked, follows a
/// failure); `None` for `undefined`. Errors are located under `root` (`""` at the argument
/// itself).
pub(crate) fn read_with<T>(
    value: &Unknown,
    root: &str,
    read: impl for<'a> FnOnce(&mut dyn FnMut() -> Cursor<'a>) -> fovea_core::Result<T>,
) -> Res<Option<T>> {
    read_leaving_out(value, None, root, read)
}

/// [`read_with`], leaving out the key `leave_out` of the value itself.
fn read_leaving_out<T>(
    value: &Unknown,
    leave_out: Option<&str>,
    root: &str,
    read: impl for<'a> FnOnce(&mut dyn FnMut() -> Cursor<'a>) -> fovea_core::Result<T>,
) -> Res<Option<T>> {
    let raw = value.value();
    let env = raw.env;
    // SAFETY: `raw` is a live value of `env`, inside the current callback; the tape's arrays
    // stay referenced by the current scope while the cursors read them, and no JavaScript runs
    // meanwhile (so `encode` does not reuse its buffers).
    unsafe {
        let tape = match leave_out {
            Some(key) => call(env, |h| h.encode, &[raw.value, create_string(env, key)?])?,
            None => call(env, |h| h.encode, &[raw.value])?,
        };
        let mut t = 0;
        check_status!(sys::napi_typeof(env, tape, &mut t))?;
        if t == sys::ValueType::napi_undefined {
            return Ok(None);
        }
        let received = tape_parts(env, tape)?;
        read(&mut || received.cursor())
            .map(Some)
            .map_err(|e| if root.is_empty() { e } else { e.at_path(root) }.into())
    }
}

/// Reads any deserializable value (a JSON value, options) from a JavaScript value; `None` for
/// `undefined`. Errors are located under `root`.
pub(crate) fn from_js<T: DeserializeOwned>(value: &Unknown, root: &str) -> Res<Option<T>> {
    read_with(value, root, |make| host::read(make))
}

/// Reads an options object into one of the libraries' options types (which refuse unknown
/// keys), leaving out its `signal` (the task takes it); the defaults when it is absent,
/// `undefined` or `null`. Errors are located under `options`.
pub(crate) fn options<T: DeserializeOwned + Default>(value: Option<&Unknown>) -> Res<T> {
    options_at(value, "options")
}

/// [`options`], with errors located under `root` (`""`: at the object's own keys, as a
/// sequence edit names the fields of its arguments).
pub(crate) fn options_at<T: DeserializeOwned + Default>(
    value: Option<&Unknown>,
    root: &str,
) -> Res<T> {
    match value {
        Some(v) if !is_nullish(v)? => {
            Ok(
                read_leaving_out(v, Some("signal"), root, |make| host::read(make))?
                    .unwrap_or_default(),
            )
        }
        _ => Ok(T::default()),
    }
}

// --- arguments --------------------------------------------------------------------------------

/// How a value of this JavaScript type is named in messages.
pub(crate) fn describe(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::BigInt => "a bigint",
        _ => "an external value",
    }
}

fn invalid_type(path: &str, message: String) -> Fail {
    CoreError::InvalidType {
        path: path.to_owned(),
        message,
    }
    .into()
}

/// A frame-number argument: a JavaScript number checked by the core (`parse_frame`).
pub(crate) fn frame(value: &Unknown, name: &str) -> Res<Frame> {
    match value.get_type()? {
        // SAFETY: the value is a number.
        ValueType::Number => Ok(parse_frame(unsafe { value.cast::<f64>()? }, name)?),
        other => Err(invalid_type(
            name,
            format!("expected a frame number, got {}", describe(other)),
        )),
    }
}

/// A number argument.
pub(crate) fn number(value: &Unknown, name: &str) -> Res<f64> {
    match value.get_type()? {
        // SAFETY: the value is a number.
        ValueType::Number => Ok(unsafe { value.cast::<f64>()? }),
        other => Err(invalid_type(
            name,
            format!("expected a number, got {}", describe(other)),
        )),
    }
}

/// A boolean argument.
pub(crate) fn boolean(value: &Unknown, name: &str) -> Res<bool> {
    match value.get_type()? {
        // SAFETY: the value is a boolean.
        ValueType::Boolean => Ok(unsafe { value.cast::<bool>()? }),
        other => Err(invalid_type(
            name,
            format!("expected a boolean, got {}", describe(other)),
        )),
    }
}

/// A string argument.
pub(crate) fn string(value: &Unknown, name: &str) -> Res<String> {
    match value.get_type()? {
        // SAFETY: the value is a string.
        ValueType::String => Ok(unsafe { value.cast::<String>()? }),
        other => Err(invalid_type(
            name,
            format!("expected a string, got {}", describe(other)),
        )),
    }
}

/// Whether the value is a string (JSON text) rather than an object.
pub(crate) fn is_string(value: &Unknown) -> Res<bool> {
    Ok(value.get_type()? == ValueType::String)
}

/// Whether the value is `undefined` or `null`.
pub(crate) fn is_nullish(value: &Unknown) -> Res<bool> {
    Ok(matches!(
        value.get_type()?,
        ValueType::Undefined | ValueType::Null
    ))
}

/// # Safety
/// `env` must be the current callback's environment.
unsafe fn create_string(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_string_utf8(env, s.as_ptr().cast::<c_char>(), s.len() as isize, &mut out)
    })?;
    Ok(out)
}
