//! Conversions between JavaScript values and fovea's values, with no JSON text and no
//! `serde_json::Value` between them, and of scalar arguments.
//!
//! Values cross as tapes (see `convert.js`, the JavaScript half, evaluated once per
//! environment): Rust → JavaScript, any serializable value is written by a serde `Serializer`
//! into a [`Tape`] — on the libuv thread pool for results computed there — and JavaScript
//! builds the objects from it; JavaScript → Rust, JavaScript writes a tape of the value as
//! `JSON.stringify` would see it, and a serde `Deserializer` over it ([`Cursor`]) feeds the
//! core's readers, which name the path of whatever they refuse (`non-finite-number`,
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
use fovea_core::host::{self, HostError, KeySerializer, KeyTarget};
use fovea_core::model::{BoundingBox, Frame, parse_frame};
use hashbrown::HashTable;
use napi::bindgen_prelude::{JsValue, ToNapiValue, TypeName, Unknown};
use napi::{Env, ValueType, check_status, sys};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use serde_json::Value;
use std::ffi::c_char;
use std::fmt;
use std::hash::BuildHasher;
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

/// Tags of the words of a [`Tape`] (`convert.js` reads them).
const NUM: u32 = 0;
const STR: u32 = 1;
const OBJ: u32 = 2;
const ARR: u32 = 3;
const TRUE: u32 = 4;
const FALSE: u32 = 5;
const NULL: u32 = 6;
const INT: u32 = 7;

/// Payloads (counts, string indices, small integers) must stay below this.
const PAYLOAD_LIMIT: u32 = 1 << 29;

/// Serializable values written for `convert.js`'s `decode`: words (tag and payload), numbers,
/// and strings — each distinct string once, all in one text. Built anywhere (a thread of the
/// pool), turned into JavaScript values on the main thread. O(values + string bytes).
pub struct Tape {
    ops: Vec<u32>,
    nums: Vec<f64>,
    text: String,
    /// Where each string starts in `text`: in bytes, and in UTF-16 units (JavaScript's).
    starts: Vec<u32>,
    units: Vec<u32>,
    /// The strings by content (indices into `starts`).
    index: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Whether the values are the items of an array (several top-level values) or one value.
    many: bool,
}

impl Tape {
    fn new(many: bool) -> Self {
        Tape {
            ops: Vec::new(),
            nums: Vec::new(),
            text: String::new(),
            starts: vec![0],
            units: vec![0],
            index: HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            many,
        }
    }

    /// The tape of one value.
    pub(crate) fn of<T: Serialize + ?Sized>(value: &T) -> fovea_core::Result<Self> {
        let mut tape = Tape::new(false);
        tape.push(value)?;
        Ok(tape)
    }

    /// A tape of several values, decoded as an array of them ([`Tape::push`] each).
    pub(crate) fn list() -> Self {
        Tape::new(true)
    }

    /// Appends a value.
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> fovea_core::Result<()> {
        value
            .serialize(&mut *self)
            .map_err(|e| CoreError::InvalidType {
                path: "$".into(),
                message: e.0,
            })
    }

    fn word(&mut self, tag: u32, payload: u32) -> Result<(), SerFail> {
        if payload >= PAYLOAD_LIMIT {
            return Err(SerFail("a value too large to hand to JavaScript".into()));
        }
        self.ops.push(tag | payload << 3);
        Ok(())
    }

    /// The index of string `s`, stored once. O(|s|).
    fn string(&mut self, s: &str) -> Result<u32, SerFail> {
        let hash = self.hasher.hash_one(s);
        let (text, starts) = (&self.text, &self.starts);
        let stored = |i: &u32| {
            let i = *i as usize;
            &text[starts[i] as usize..starts[i + 1] as usize]
        };
        if let Some(i) = self.index.find(hash, |i| stored(i) == s) {
            return Ok(*i);
        }
        let i = self.starts.len() as u32 - 1;
        if i >= PAYLOAD_LIMIT || self.text.len() + s.len() >= u32::MAX as usize {
            return Err(SerFail("too many strings to hand to JavaScript".into()));
        }
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.text.push_str(s);
        self.starts.push(self.text.len() as u32);
        let last = *self.units.last().unwrap_or(&0);
        self.units.push(last + units as u32);
        let hasher = &self.hasher;
        let (text, starts) = (&self.text, &self.starts);
        self.index.insert_unique(hash, i, |j| {
            let j = *j as usize;
            hasher.hash_one(&text[starts[j] as usize..starts[j + 1] as usize])
        });
        Ok(i)
    }

    fn number(&mut self, v: f64) -> Result<(), SerFail> {
        if v.fract() == 0.0 && (0.0..f64::from(PAYLOAD_LIMIT)).contains(&v) {
            // Exact, and `-0` becomes `0` (JSON's text of it is `0`).
            self.word(INT, v as u32)
        } else if v.is_finite() {
            self.nums.push(v);
            self.word(NUM, 0)
        } else {
            self.word(NULL, 0)
        }
    }

    /// A word to be patched once its count is known; returns its position.
    fn open(&mut self, tag: u32) -> usize {
        self.ops.push(tag);
        self.ops.len() - 1
    }

    fn close(&mut self, at: usize, tag: u32, count: u32) -> Result<(), SerFail> {
        if count >= PAYLOAD_LIMIT {
            return Err(SerFail("a value too large to hand to JavaScript".into()));
        }
        self.ops[at] = tag | count << 3;
        Ok(())
    }

    fn key(&mut self, k: &str) -> Result<(), SerFail> {
        let i = self.string(k)?;
        // `__proto__` must become an own property, not the prototype.
        self.ops.push(i << 1 | u32::from(k == "__proto__"));
        Ok(())
    }

    /// The JavaScript value(s) of the tape.
    ///
    /// # Safety
    /// `env` must be the current callback's environment.
    pub(crate) unsafe fn to_js(&self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        unsafe {
            let ops = typed_array_of(env, sys::TypedarrayType::uint32_array, &self.ops)?;
            let nums = typed_array_of(env, sys::TypedarrayType::float64_array, &self.nums)?;
            let offsets = typed_array_of(env, sys::TypedarrayType::uint32_array, &self.units)?;
            let mut text = ptr::null_mut();
            if self.text.is_ascii() {
                check_status!(sys::napi_create_string_latin1(
                    env,
                    self.text.as_ptr().cast::<c_char>(),
                    self.text.len() as isize,
                    &mut text
                ))?;
            } else {
                text = create_string(env, &self.text)?;
            }
            let mut many = ptr::null_mut();
            check_status!(sys::napi_get_boolean(env, self.many, &mut many))?;
            call(env, |h| h.decode, &[ops, nums, text, offsets, many])
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

/// A failure while writing a tape (a value beyond its limits, a map key that is not a string).
#[derive(Debug)]
pub struct SerFail(String);

impl fmt::Display for SerFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerFail {}

impl ser::Error for SerFail {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerFail(msg.to_string())
    }
}

impl<'t> ser::Serializer for &'t mut Tape {
    type Ok = ();
    type Error = SerFail;
    type SerializeSeq = Container<'t>;
    type SerializeTuple = Container<'t>;
    type SerializeTupleStruct = Container<'t>;
    type SerializeTupleVariant = Container<'t>;
    type SerializeMap = Container<'t>;
    type SerializeStruct = Container<'t>;
    type SerializeStructVariant = Container<'t>;

    fn serialize_bool(self, v: bool) -> Result<(), SerFail> {
        self.word(if v { TRUE } else { FALSE }, 0)
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerFail> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerFail> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerFail> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerFail> {
        // A JavaScript number: the nearest double, as JSON.parse reads the integer's text.
        self.number(v as f64)
    }

    fn serialize_u8(self, v: u8) -> Result<(), SerFail> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerFail> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerFail> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerFail> {
        self.number(v as f64)
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerFail> {
        self.number(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerFail> {
        self.number(v)
    }

    fn serialize_char(self, v: char) -> Result<(), SerFail> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), SerFail> {
        let i = self.string(v)?;
        self.word(STR, i)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerFail> {
        // As serde_json writes bytes: an array of numbers.
        self.word(ARR, v.len() as u32)?;
        for b in v {
            self.word(INT, u32::from(*b))?;
        }
        Ok(())
    }

    fn serialize_none(self) -> Result<(), SerFail> {
        self.word(NULL, 0)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerFail> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), SerFail> {
        self.word(NULL, 0)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerFail> {
        self.word(NULL, 0)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerFail> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerFail> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerFail> {
        // serde_json's shape: `{variant: value}`.
        self.word(OBJ, 1)?;
        self.key(variant)?;
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, ARR, None))
    }

    fn serialize_tuple(self, _: usize) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, ARR, None))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, ARR, None))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, ARR, Some(variant)))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, OBJ, None))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, OBJ, None))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Container<'t>, SerFail> {
        Ok(Container::open(self, OBJ, Some(variant)))
    }
}

/// An object or array being written: its word is patched with its count at the end.
pub struct Container<'t> {
    tape: &'t mut Tape,
    at: usize,
    tag: u32,
    count: u32,
}

impl<'t> Container<'t> {
    fn open(tape: &'t mut Tape, tag: u32, variant: Option<&'static str>) -> Self {
        if let Some(variant) = variant {
            // serde_json's shape: `{variant: …}`; a variant name is always a short string.
            tape.ops.push(OBJ | 1 << 3);
            let _ = tape.key(variant);
        }
        let at = tape.open(tag);
        Container {
            tape,
            at,
            tag,
            count: 0,
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerFail> {
        self.count += 1;
        value.serialize(&mut *self.tape)
    }

    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), SerFail> {
        self.tape.key(key)?;
        self.item(value)
    }

    fn end(self) -> Result<(), SerFail> {
        self.tape.close(self.at, self.tag, self.count)
    }
}

macro_rules! impl_items {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Container<'_> {
            type Ok = ();
            type Error = SerFail;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerFail> {
                self.item(value)
            }
            fn end(self) -> Result<(), SerFail> {
                Container::end(self)
            }
        }
    )*};
}

impl_items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! impl_fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Container<'_> {
            type Ok = ();
            type Error = SerFail;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerFail> {
                self.entry(key, value)
            }
            fn end(self) -> Result<(), SerFail> {
                Container::end(self)
            }
        }
    )*};
}

impl_fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Container<'_> {
    type Ok = ();
    type Error = SerFail;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerFail> {
        // The key's entry counts with its value (`serialize_value`).
        key.serialize(KeySerializer(&mut *self.tape))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerFail> {
        self.item(value)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), SerFail> {
        key.serialize(KeySerializer(&mut *self.tape))?;
        self.item(value)
    }

    fn end(self) -> Result<(), SerFail> {
        Container::end(self)
    }
}

/// Map keys become strings of the tape.
impl KeyTarget for &mut Tape {
    type Ok = ();
    type Error = SerFail;

    fn key(self, text: &str) -> Result<(), SerFail> {
        Tape::key(self, text)
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

/// Tags of a tape written by `convert.js`'s `encode`.
const IN_NUM: u8 = 0;
const IN_STR: u8 = 1;
const IN_OBJ: u8 = 2;
const IN_ARR: u8 = 3;
const IN_TRUE: u8 = 4;
const IN_FALSE: u8 = 5;
const IN_NULL: u8 = 6;
const IN_NON_FINITE: u8 = 7;

/// Integers up to this magnitude are exact in an `f64` (`2^53`).
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// JavaScript writes integral numbers below 10^21 as integers.
const JS_INTEGER_LIMIT: f64 = 1e21;

/// A JavaScript number read as an integer.
enum Integer {
    Unsigned(u64),
    Signed(i64),
}

/// The integer a JSON reader makes of the text JavaScript writes for `n`, when it makes one:
/// integral numbers below 10^21 are written as digits — beyond 2^53 the shortest digits that
/// read back as `n`, not its exact value — and read as integers when they fit 64 bits.
fn integer(n: f64) -> Option<Integer> {
    if n.fract() != 0.0 || n.abs() >= JS_INTEGER_LIMIT {
        return None;
    }
    if n.abs() <= EXACT_INTEGER {
        // Exact (and `-0` is `0`).
        return Some(if n >= 0.0 {
            Integer::Unsigned(n as u64)
        } else {
            Integer::Signed(n as i64)
        });
    }
    let text = fovea_core::json::NumberBuffer::new().format(n).to_owned();
    if n > 0.0 {
        text.parse().ok().map(Integer::Unsigned)
    } else {
        text.parse().ok().map(Integer::Signed)
    }
}

/// Reads a tape written by `convert.js`'s `encode`, as a serde `Deserializer`. Its strings are
/// borrowed from the tape's text (UTF-8, as Node-API hands it over), so object keys are not
/// copied.
pub(crate) struct Cursor<'a> {
    tags: &'a [u8],
    sizes: &'a [u32],
    nums: &'a [f64],
    text: &'a str,
    /// Whether `text` is ASCII (a string's length in UTF-16 units is then its length in bytes).
    ascii: bool,
    /// Positions in `tags`, `sizes`, `nums` and `text` (bytes).
    at: (usize, usize, usize, usize),
}

fn ended() -> HostError {
    HostError::Message("the value ended early".into())
}

impl<'a> Cursor<'a> {
    fn tag(&mut self) -> Result<u8, HostError> {
        let t = *self.tags.get(self.at.0).ok_or_else(ended)?;
        self.at.0 += 1;
        Ok(t)
    }

    fn peek(&self) -> Option<u8> {
        self.tags.get(self.at.0).copied()
    }

    fn size(&mut self) -> Result<usize, HostError> {
        let s = *self.sizes.get(self.at.1).ok_or_else(ended)?;
        self.at.1 += 1;
        Ok(s as usize)
    }

    fn num(&mut self) -> Result<f64, HostError> {
        let n = *self.nums.get(self.at.2).ok_or_else(ended)?;
        self.at.2 += 1;
        Ok(n)
    }

    /// The next string (its tag already read): `len` UTF-16 units of JavaScript, the bytes
    /// that spell them here (a lone surrogate came as U+FFFD, one unit). O(len).
    fn string(&mut self) -> Result<&'a str, HostError> {
        let units = self.size()?;
        let rest = self.text.get(self.at.3..).ok_or_else(ended)?;
        let bytes = if self.ascii {
            units
        } else {
            let mut counted = 0;
            let mut bytes = 0;
            for c in rest.chars() {
                if counted >= units {
                    break;
                }
                counted += c.len_utf16();
                bytes += c.len_utf8();
            }
            bytes
        };
        let s = rest.get(..bytes).ok_or_else(ended)?;
        self.at.3 += bytes;
        Ok(s)
    }

    /// What a meaningless value (tag 8) was.
    fn meaningless(&mut self) -> HostError {
        let what = match self.size() {
            Ok(0) => "a function",
            Ok(1) => "a symbol",
            Ok(2) => "a bigint",
            _ => {
                return HostError::Invalid(
                    "nested more than 128 levels deep (is the object cyclic?)".into(),
                );
            }
        };
        HostError::Invalid(format!("expected a JSON value, got {what}"))
    }
}

impl<'de> de::Deserializer<'de> for &mut Cursor<'de> {
    type Error = HostError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, HostError> {
        match self.tag()? {
            IN_NUM => {
                let n = self.num()?;
                match integer(n) {
                    Some(Integer::Unsigned(u)) => visitor.visit_u64(u),
                    Some(Integer::Signed(i)) => visitor.visit_i64(i),
                    None => visitor.visit_f64(n),
                }
            }
            IN_STR => visitor.visit_borrowed_str(self.string()?),
            IN_OBJ => {
                let remaining = self.size()?;
                visitor.visit_map(Entries {
                    cursor: self,
                    remaining,
                })
            }
            IN_ARR => {
                let remaining = self.size()?;
                visitor.visit_seq(Items {
                    cursor: self,
                    remaining,
                })
            }
            IN_TRUE => visitor.visit_bool(true),
            IN_FALSE => visitor.visit_bool(false),
            IN_NULL => visitor.visit_unit(),
            IN_NON_FINITE => Err(HostError::NonFinite(self.num()?)),
            _ => Err(self.meaningless()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, HostError> {
        if self.peek() == Some(IN_NULL) {
            self.at.0 += 1;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, HostError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, HostError> {
        // Unit variants, named by a string (the only enums fovea reads from hosts).
        if self.peek() == Some(IN_STR) {
            self.at.0 += 1;
            let name = self.string()?;
            visitor.visit_enum(name.into_deserializer())
        } else {
            self.deserialize_any(visitor)
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A reading from the start of a tape (what the core's readers are handed).
impl<'de> de::Deserializer<'de> for Cursor<'de> {
    type Error = HostError;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, HostError> {
        (&mut self).deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, HostError> {
        (&mut self).deserialize_option(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        mut self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, HostError> {
        (&mut self).deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, HostError> {
        (&mut self).deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The entries of an object.
struct Entries<'c, 'a> {
    cursor: &'c mut Cursor<'a>,
    remaining: usize,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = HostError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, HostError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        // `encode` writes every key as a string.
        self.cursor.tag()?;
        let key = self.cursor.string()?;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, HostError> {
        seed.deserialize(&mut *self.cursor)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

/// The items of an array.
struct Items<'c, 'a> {
    cursor: &'c mut Cursor<'a>,
    remaining: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = HostError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, HostError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        seed.deserialize(&mut *self.cursor).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

/// A tape `encode` returned: typed arrays whose memory stays valid while they are referenced
/// (they are, by the current scope), and the joined strings as UTF-8.
struct Received<'a> {
    tags: &'a [u8],
    sizes: &'a [u32],
    nums: &'a [f64],
    text: String,
    ascii: bool,
}

impl Received<'_> {
    /// A reader from the start of the tape.
    fn cursor(&self) -> Cursor<'_> {
        Cursor {
            tags: self.tags,
            sizes: self.sizes,
            nums: self.nums,
            text: &self.text,
            ascii: self.ascii,
            at: (0, 0, 0, 0),
        }
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
            ascii: text.is_ascii(),
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
    match value {
        Some(v) if !is_nullish(v)? => {
            Ok(
                read_leaving_out(v, Some("signal"), "options", |make| host::read(make))?
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

/// The property `name` of an options object (`undefined` and `null` options have none, and a
/// `null` property is absent).
pub(crate) fn option_field(
    options: Option<&Unknown>,
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
            // SAFETY: `field` is a live value of `raw.env`.
            let field = unsafe { Unknown::from_raw_unchecked(raw.env, field) };
            let path = if root.is_empty() {
                name.to_owned()
            } else {
                format!("{root}.{name}")
            };
            Ok(from_js::<Value>(&field, &path)?.filter(|v| !v.is_null()))
        }
        other => Err(invalid_type(
            root,
            format!("expected an options object, got {}", describe(other)),
        )),
    }
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
