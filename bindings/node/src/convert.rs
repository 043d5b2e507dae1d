//! Conversions between JavaScript values and `serde_json::Value`, and of scalar arguments.
//!
//! JavaScript → JSON follows `JSON.stringify`: own enumerable string-keyed properties in
//! `Object.keys` order, `undefined` properties skipped (`undefined` array items become `null`),
//! `toJSON()` honoured. Where `JSON.stringify` would write something that is not the value
//! (`NaN`/`±Infinity` → `null`) or drop it silently (functions, symbols) or throw (bigint), the
//! conversion fails with a core error naming the JSON path: `non-finite-number` or
//! `invalid-type`.
//!
//! JSON → JavaScript writes every number as a JavaScript number, as `JSON.parse` does.
//!
//! Two outputs skip JSON: [`Frames`] writes the core's eager walk straight into an array of
//! box objects, and [`Columns`] has the core evaluate straight into the memory of a new
//! `Int32Array` and `Float64Array` (allocated by V8, so the garbage collector owns and accounts
//! them).

use crate::error::{Fail, Res};
use fovea_core::Error as CoreError;
use fovea_core::model::{BoundingBox, BoundingBoxSequence, Frame, parse_frame};
use napi::bindgen_prelude::{JsValue, ToNapiValue, TypeName, Unknown};
use napi::{ValueType, check_status, sys};
use serde_json::{Map, Number, Value};
use std::ffi::c_char;
use std::ptr;

/// Deepest nesting accepted, as for JSON text (serde_json's limit); also stops cyclic objects.
const MAX_DEPTH: usize = 128;

/// Integers up to this magnitude are exact in an `f64` (`2^53`).
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A JavaScript number as a JSON number: integral values become integers (as `JSON.parse` of
/// their text would), others stay floats. `-0` becomes `0`.
fn json_number(n: f64) -> Number {
    if n.fract() == 0.0 && n.abs() <= EXACT_INTEGER {
        if n >= 0.0 {
            Number::from(n as u64)
        } else {
            Number::from(n as i64)
        }
    } else {
        // Finite (checked by the caller), so `from_f64` succeeds.
        Number::from_f64(n).unwrap_or_else(|| Number::from(0))
    }
}

/// How a value of this JavaScript type is named in messages.
fn describe(t: ValueType) -> &'static str {
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

/// Converts a JavaScript value to JSON; `None` for `undefined`. `root` is the JSON path the
/// value sits at (`""` for an argument whose fields the core names without a prefix).
pub(crate) fn from_js(value: &Unknown, root: &str) -> Res<Option<Value>> {
    let raw = value.value();
    let mut reader = Reader {
        env: raw.env,
        path: root.to_owned(),
        depth: 0,
    };
    // SAFETY: `raw` is a live value of `env`, inside the current callback.
    unsafe { reader.read(raw.value, Key::Root, true) }
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

/// The property `name` of an options object (`undefined` and `null` options have none).
pub(crate) fn option_field<'env>(
    options: Option<&Unknown<'env>>,
    root: &str,
    name: &str,
) -> Res<Option<Value>> {
    let Some(options) = options else {
        return Ok(None);
    };
    match options.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        ValueType::Object => {
            let raw = options.value();
            let key = std::ffi::CString::new(name).map_err(napi::Error::from)?;
            let mut field = ptr::null_mut();
            // SAFETY: `raw` is a live object of `raw.env`; `key` is NUL-terminated.
            check_status!(unsafe {
                sys::napi_get_named_property(raw.env, raw.value, key.as_ptr(), &mut field)
            })?;
            let mut reader = Reader {
                env: raw.env,
                path: if root.is_empty() {
                    name.to_owned()
                } else {
                    format!("{root}.{name}")
                },
                depth: 0,
            };
            // SAFETY: `field` is a live value of `raw.env`.
            Ok(unsafe { reader.read(field, Key::Root, true)? }.filter(|v| !v.is_null()))
        }
        other => Err(invalid_type(
            root,
            format!("expected an options object, got {}", describe(other)),
        )),
    }
}

/// The key a value was reached by, passed to its `toJSON` as `JSON.stringify` does.
#[derive(Clone, Copy)]
enum Key {
    Root,
    Index(u32),
    Name(sys::napi_value),
}

/// Closes a handle scope when dropped.
struct Scope {
    env: sys::napi_env,
    scope: sys::napi_handle_scope,
}

impl Scope {
    /// Opens a handle scope.
    ///
    /// # Safety
    /// `env` must be the current callback's environment.
    unsafe fn open(env: sys::napi_env) -> napi::Result<Self> {
        let mut scope = ptr::null_mut();
        check_status!(unsafe { sys::napi_open_handle_scope(env, &mut scope) })?;
        Ok(Scope { env, scope })
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        // SAFETY: the scope was opened on this env and scopes are closed in reverse order.
        unsafe { sys::napi_close_handle_scope(self.env, self.scope) };
    }
}

/// Walks a JavaScript value into JSON, tracking the JSON path for errors.
struct Reader {
    env: sys::napi_env,
    path: String,
    depth: usize,
}

impl Reader {
    fn here(&self) -> &str {
        if self.path.is_empty() {
            "$"
        } else {
            &self.path
        }
    }

    fn invalid(&self, message: String) -> Fail {
        invalid_type(self.here(), message)
    }

    /// # Safety
    /// `v` must be a live value of `self.env`.
    unsafe fn read(&mut self, v: sys::napi_value, key: Key, to_json: bool) -> Res<Option<Value>> {
        let env = self.env;
        let mut t = 0;
        check_status!(unsafe { sys::napi_typeof(env, v, &mut t) })?;
        let value = match t {
            sys::ValueType::napi_undefined => return Ok(None),
            sys::ValueType::napi_null => Value::Null,
            sys::ValueType::napi_boolean => {
                let mut b = false;
                check_status!(unsafe { sys::napi_get_value_bool(env, v, &mut b) })?;
                Value::Bool(b)
            }
            sys::ValueType::napi_number => {
                let mut n = 0.0;
                check_status!(unsafe { sys::napi_get_value_double(env, v, &mut n) })?;
                if !n.is_finite() {
                    return Err(CoreError::NonFinite {
                        path: self.here().to_owned(),
                        value: n,
                    }
                    .into());
                }
                Value::Number(json_number(n))
            }
            sys::ValueType::napi_string => Value::String(unsafe { read_string(env, v)? }),
            sys::ValueType::napi_object => {
                if to_json && let Some(replaced) = unsafe { self.call_to_json(v, key)? } {
                    return unsafe { self.read(replaced, key, false) };
                }
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.invalid(format!(
                        "nested more than {MAX_DEPTH} levels deep (is the object cyclic?)"
                    )));
                }
                let mut is_array = false;
                check_status!(unsafe { sys::napi_is_array(env, v, &mut is_array) })?;
                let value = if is_array {
                    unsafe { self.read_array(v)? }
                } else {
                    unsafe { self.read_object(v)? }
                };
                self.depth -= 1;
                value
            }
            other => {
                let kind = match other {
                    sys::ValueType::napi_function => ValueType::Function,
                    sys::ValueType::napi_symbol => ValueType::Symbol,
                    sys::ValueType::napi_bigint => ValueType::BigInt,
                    _ => ValueType::External,
                };
                return Err(self.invalid(format!("expected a JSON value, got {}", describe(kind))));
            }
        };
        Ok(Some(value))
    }

    /// Calls `v.toJSON(key)` when `v` has such a method.
    ///
    /// # Safety
    /// `v` must be a live object of `self.env`.
    unsafe fn call_to_json(&self, v: sys::napi_value, key: Key) -> Res<Option<sys::napi_value>> {
        let env = self.env;
        let mut method = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_get_named_property(env, v, c"toJSON".as_ptr(), &mut method)
        })?;
        let mut t = 0;
        check_status!(unsafe { sys::napi_typeof(env, method, &mut t) })?;
        if t != sys::ValueType::napi_function {
            return Ok(None);
        }
        let key = match key {
            Key::Name(name) => name,
            Key::Root => unsafe { create_string(env, "")? },
            Key::Index(i) => unsafe { create_string(env, &i.to_string())? },
        };
        let mut result = ptr::null_mut();
        check_status!(unsafe { sys::napi_call_function(env, v, method, 1, &key, &mut result) })?;
        Ok(Some(result))
    }

    /// # Safety
    /// `v` must be a live array of `self.env`.
    unsafe fn read_array(&mut self, v: sys::napi_value) -> Res<Value> {
        let env = self.env;
        let mut len = 0;
        check_status!(unsafe { sys::napi_get_array_length(env, v, &mut len) })?;
        let mut items = Vec::with_capacity(len as usize);
        let base = self.path.len();
        for i in 0..len {
            let _scope = unsafe { Scope::open(env)? };
            let mut item = ptr::null_mut();
            check_status!(unsafe { sys::napi_get_element(env, v, i, &mut item) })?;
            self.path.push_str(&format!("[{i}]"));
            let value = unsafe { self.read(item, Key::Index(i), true)? };
            self.path.truncate(base);
            items.push(value.unwrap_or(Value::Null));
        }
        Ok(Value::Array(items))
    }

    /// # Safety
    /// `v` must be a live object of `self.env`.
    unsafe fn read_object(&mut self, v: sys::napi_value) -> Res<Value> {
        let env = self.env;
        let mut keys = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_get_all_property_names(
                env,
                v,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut keys,
            )
        })?;
        let mut len = 0;
        check_status!(unsafe { sys::napi_get_array_length(env, keys, &mut len) })?;
        let mut map = Map::new();
        let base = self.path.len();
        for i in 0..len {
            let _scope = unsafe { Scope::open(env)? };
            let mut key = ptr::null_mut();
            check_status!(unsafe { sys::napi_get_element(env, keys, i, &mut key) })?;
            let name = unsafe { read_string(env, key)? };
            let mut item = ptr::null_mut();
            check_status!(unsafe { sys::napi_get_property(env, v, key, &mut item) })?;
            if base > 0 {
                self.path.push('.');
            }
            self.path.push_str(&name);
            let value = unsafe { self.read(item, Key::Name(key), true)? };
            self.path.truncate(base);
            if let Some(value) = value {
                map.insert(name, value);
            }
        }
        Ok(Value::Object(map))
    }
}

/// # Safety
/// `v` must be a live string of `env`.
unsafe fn read_string(env: sys::napi_env, v: sys::napi_value) -> napi::Result<String> {
    let mut len = 0;
    check_status!(unsafe {
        sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len)
    })?;
    let mut buf: Vec<u8> = Vec::with_capacity(len + 1);
    let mut written = 0;
    check_status!(unsafe {
        sys::napi_get_value_string_utf8(
            env,
            v,
            buf.as_mut_ptr().cast::<c_char>(),
            len + 1,
            &mut written,
        )
    })?;
    // SAFETY: Node-API wrote `written` bytes (plus a NUL terminator we do not keep).
    unsafe { buf.set_len(written) };
    Ok(String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
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

/// Writes a JSON value as a JavaScript value.
///
/// # Safety
/// `env` must be the current callback's environment.
unsafe fn to_js(env: sys::napi_env, v: &Value) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    match v {
        Value::Null => check_status!(unsafe { sys::napi_get_null(env, &mut out) })?,
        Value::Bool(b) => check_status!(unsafe { sys::napi_get_boolean(env, *b, &mut out) })?,
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            check_status!(unsafe { sys::napi_create_double(env, n, &mut out) })?;
        }
        Value::String(s) => out = unsafe { create_string(env, s)? },
        Value::Array(items) => {
            check_status!(unsafe {
                sys::napi_create_array_with_length(env, items.len(), &mut out)
            })?;
            for (i, item) in items.iter().enumerate() {
                let _scope = unsafe { Scope::open(env)? };
                let item = unsafe { to_js(env, item)? };
                check_status!(unsafe { sys::napi_set_element(env, out, i as u32, item) })?;
            }
        }
        Value::Object(map) => {
            check_status!(unsafe { sys::napi_create_object(env, &mut out) })?;
            for (k, item) in map {
                let key = unsafe { create_string(env, k)? };
                let item = unsafe { to_js(env, item)? };
                if k == "__proto__" {
                    // Assigning `__proto__` would replace the prototype and lose the key; define
                    // it as an own data property, as JSON.parse does.
                    let desc = sys::napi_property_descriptor {
                        utf8name: ptr::null(),
                        name: key,
                        method: None,
                        getter: None,
                        setter: None,
                        value: item,
                        attributes: sys::PropertyAttributes::writable
                            | sys::PropertyAttributes::enumerable
                            | sys::PropertyAttributes::configurable,
                        data: ptr::null_mut(),
                    };
                    check_status!(unsafe { sys::napi_define_properties(env, out, 1, &desc) })?;
                } else {
                    check_status!(unsafe { sys::napi_set_property(env, out, key, item) })?;
                }
            }
        }
    }
    Ok(out)
}

/// A JSON value returned to JavaScript (numbers become JavaScript numbers).
pub struct Json(
    /// The value.
    pub Value,
);

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        unsafe { to_js(env, &val.0) }
    }
}

/// JSON text returned to JavaScript as the value `JSON.parse` makes of it: V8's parser builds
/// large results faster than property-by-property Node-API calls, and keeps keys such as
/// `__proto__` as own properties. The text comes from the core's writer, which spells numbers
/// as JavaScript does, so they parse back exactly.
pub struct JsonText(
    /// The JSON text.
    pub String,
);

impl TypeName for JsonText {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for JsonText {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        unsafe { parse_json(env, &val.0) }
    }
}

/// `JSON.parse(text)` with the realm's own `JSON` object.
///
/// # Safety
/// `env` must be the current callback's environment.
pub(crate) unsafe fn parse_json(env: sys::napi_env, text: &str) -> napi::Result<sys::napi_value> {
    let mut global = ptr::null_mut();
    let mut json = ptr::null_mut();
    let mut parse = ptr::null_mut();
    let mut out = ptr::null_mut();
    unsafe {
        check_status!(sys::napi_get_global(env, &mut global))?;
        check_status!(sys::napi_get_named_property(
            env,
            global,
            c"JSON".as_ptr(),
            &mut json
        ))?;
        check_status!(sys::napi_get_named_property(
            env,
            json,
            c"parse".as_ptr(),
            &mut parse
        ))?;
        let arg = create_string(env, text)?;
        check_status!(sys::napi_call_function(env, json, parse, 1, &arg, &mut out))?;
    }
    Ok(out)
}

/// Boxes returned to JavaScript as an array of FOVEA-shaped objects, converted one at a time.
pub struct BoxList(
    /// The boxes.
    pub Vec<BoundingBox>,
);

impl ToNapiValue for BoxList {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_array_with_length(env, val.0.len(), &mut out) })?;
        for (i, b) in val.0.iter().enumerate() {
            let _scope = unsafe { Scope::open(env)? };
            let item = unsafe { to_js(env, &serde_json::to_value(b)?)? };
            check_status!(unsafe { sys::napi_set_element(env, out, i as u32, item) })?;
        }
        Ok(out)
    }
}

/// A box as a JSON value (FOVEA's shape, from the core's serializer).
pub(crate) fn box_json(b: &BoundingBox) -> Res<Json> {
    Ok(Json(serde_json::to_value(b).map_err(napi::Error::from)?))
}

/// A sequence as a JSON value (FOVEA's shape, counters recomputed, unknown fields kept).
pub(crate) fn sequence_json(seq: &BoundingBoxSequence) -> Res<Json> {
    Ok(Json(serde_json::to_value(seq).map_err(napi::Error::from)?))
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
                std::slice::from_raw_parts_mut(frames_data.cast::<std::mem::MaybeUninit<i32>>(), n),
                std::slice::from_raw_parts_mut(
                    boxes_data.cast::<std::mem::MaybeUninit<[f64; 4]>>(),
                    n,
                ),
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

/// Every visible frame of a compiled sequence as an array of FOVEA-shaped boxes, written
/// straight from the core's eager walk ([`FrameSink`]): keyframes as the core serializes them,
/// interpolated frames as `{x, y, width, height, frameNumber, isKeyframe: false}`.
pub struct Frames<C>(
    /// The compiled sequence (borrowed from a cache or owned).
    pub C,
);

impl<C: std::ops::Deref<Target = fovea_core::CompiledSequence>> ToNapiValue for Frames<C> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let compiled = &*val.0;
        let mut array = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_array_with_length(env, compiled.len(), &mut array)
        })?;
        // Property keys are created once and reused for every box.
        let mut keys = [ptr::null_mut(); 6];
        for (slot, name) in keys.iter_mut().zip(INTERPOLATED_KEYS) {
            *slot = unsafe { create_string(env, name)? };
        }
        let mut sink = JsSink {
            env,
            array,
            keys,
            index: 0,
            error: None,
        };
        compiled.visit(&mut sink);
        match sink.error {
            Some(e) => Err(e),
            None => Ok(array),
        }
    }
}

/// The fields of an interpolated box, in the order the core writes them.
const INTERPOLATED_KEYS: [&str; 6] = ["x", "y", "width", "height", "frameNumber", "isKeyframe"];

/// Appends the frames of an eager walk to a JavaScript array; keeps the first failure.
struct JsSink {
    env: sys::napi_env,
    array: sys::napi_value,
    keys: [sys::napi_value; 6],
    index: u32,
    error: Option<napi::Error>,
}

impl JsSink {
    fn push(&mut self, make: impl FnOnce(&Self) -> napi::Result<sys::napi_value>) {
        if self.error.is_some() {
            return;
        }
        let result = (|| {
            // SAFETY: `env` is the current callback's environment; `array` lives in the
            // enclosing scope, so it outlives this per-item scope.
            let _scope = unsafe { Scope::open(self.env)? };
            let item = make(self)?;
            check_status!(unsafe { sys::napi_set_element(self.env, self.array, self.index, item) })
        })();
        match result {
            Ok(()) => self.index += 1,
            Err(e) => self.error = Some(e),
        }
    }
}

impl fovea_core::interp::FrameSink for JsSink {
    fn keyframe(&mut self, key: &BoundingBox) {
        self.push(|sink| {
            let value = serde_json::to_value(key)?;
            // SAFETY: `env` is the current callback's environment.
            unsafe { to_js(sink.env, &value) }
        });
    }

    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.push(|sink| {
            let env = sink.env;
            let mut obj = ptr::null_mut();
            let mut fields = [ptr::null_mut(); 6];
            // SAFETY: `env` is the current callback's environment; every value is created in
            // the per-item scope and stored into `obj` before it closes.
            unsafe {
                check_status!(sys::napi_create_object(env, &mut obj))?;
                for (slot, v) in fields.iter_mut().zip(values) {
                    check_status!(sys::napi_create_double(env, v, slot))?;
                }
                check_status!(sys::napi_create_uint32(env, frame, &mut fields[4]))?;
                check_status!(sys::napi_get_boolean(env, false, &mut fields[5]))?;
                for (key, value) in sink.keys.iter().zip(fields) {
                    check_status!(sys::napi_set_property(env, obj, *key, value))?;
                }
            }
            Ok(obj)
        });
    }
}
