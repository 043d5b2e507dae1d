//! Conversions between Python objects and fovea's values, with no JSON text and no
//! `serde_json::Value` between them.
//!
//! Rust → Python: [`Converter`], a serde `Serializer` that builds dicts, lists, str, int,
//! float, bool and None directly (what `json.loads` would make of the JSON fovea writes: an
//! integral double is an int, `-0` is `0`, a non-finite number is None). Dict keys come from a
//! process-wide cache of interned strings, created once. [`frame_dicts`] builds FOVEA's boxes
//! for every visible frame straight from the engine's columns.
//!
//! Python → Rust: [`Reader`], a serde `Deserializer` over dict (str keys), list, tuple, str,
//! int, float, bool and None — what `json.dumps` accepts — handed to the core's readers, which
//! name the path of any refusal: a NaN or infinity is `non-finite-number`, anything else
//! unconvertible (a set, a non-str key, a cyclic dict) is `invalid-type`.

use crate::errors::to_pyerr;
use fovea_core::Error;
use fovea_core::host::build::{Build, Emit};
use fovea_core::host::{self, HostError};
use fovea_core::interp::CompiledSequence;
use fovea_core::limits::EAGER_FRAMES;
use fovea_core::model::{Frame, parse_frame};
use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{ffi, intern};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

/// JavaScript writes integral doubles below 10^21 as integers, so `json.loads` reads them as ints.
const JS_INTEGER_LIMIT: f64 = 1e21;

/// 2^53: integral doubles below it in magnitude are written digit for digit.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Deepest nesting read (serde_json's own limit when it reads text); also stops cyclic dicts.
const MAX_DEPTH: usize = 128;

/// The name of a Python value's type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

// --- Rust → Python --------------------------------------------------------------------------

/// Keys longer than this are not cached (they are rare: user metadata).
const MAX_CACHED_KEY: usize = 64;

/// Distinct keys cached at most (the model's field names, and a bounded number of others).
const MAX_CACHED_KEYS: usize = 4096;

/// Dict keys already made, by their text. Only touched with the GIL held, so the lock is never
/// contended; the cache lives as long as the process (a static is never dropped).
static KEYS: LazyLock<Mutex<HashMap<Box<str>, Py<PyString>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Builds Python objects from any serializable value. Holds the key cache for as long as it
/// lives: make one per call and convert everything the call returns with it.
pub(crate) struct Converter<'py> {
    py: Python<'py>,
    keys: MutexGuard<'static, HashMap<Box<str>, Py<PyString>>>,
}

impl<'py> Converter<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
        Converter {
            py,
            keys: KEYS.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// `value` as Python objects.
    pub(crate) fn value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> PyResult<Bound<'py, PyAny>> {
        value.serialize(Emit(self)).map_err(|e| e.0)
    }

    /// The dict key `k`, from the cache when it is there. O(|k|).
    fn cached_key(&mut self, k: &str) -> Bound<'py, PyString> {
        if let Some(s) = self.keys.get(k) {
            return s.bind(self.py).clone();
        }
        if k.len() > MAX_CACHED_KEY || self.keys.len() >= MAX_CACHED_KEYS {
            return PyString::new(self.py, k);
        }
        let s = PyString::intern(self.py, k);
        self.keys.insert(k.into(), s.clone().unbind());
        s
    }
}

/// `value` as Python objects (see [`Converter`]).
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Converter::new(py).value(value)
}

/// A number as `json.loads` reads what fovea writes (JavaScript number formatting spells an
/// integral double below 10^21 without a fraction or exponent): such a double is an int (`-0`
/// is `0`), a non-finite one (written `null`) is None.
fn number<'py>(py: Python<'py>, v: f64) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the GIL is held; `number_ptr` returns a new reference or null with an exception.
    unsafe { Bound::from_owned_ptr_or_err(py, number_ptr(v)) }
}

/// A failure while building Python objects.
#[derive(Debug)]
pub(crate) struct SerFail(PyErr);

impl fmt::Display for SerFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for SerFail {}

impl ser::Error for SerFail {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerFail(PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for SerFail {
    fn from(e: PyErr) -> Self {
        SerFail(e)
    }
}

type Built<'py> = Result<Bound<'py, PyAny>, SerFail>;

/// Python's values: dicts keyed by cached strings, lists, int, float, str, bool and None.
impl<'py> Build for Converter<'py> {
    type Value = Bound<'py, PyAny>;
    type List = Vec<Bound<'py, PyAny>>;
    type Dict = Bound<'py, PyDict>;
    type Key = Bound<'py, PyString>;
    type Error = SerFail;

    fn null(&mut self) -> Built<'py> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn bool(&mut self, v: bool) -> Built<'py> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }

    fn int(&mut self, v: i64) -> Built<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }

    fn uint(&mut self, v: u64) -> Built<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }

    fn float(&mut self, v: f64) -> Built<'py> {
        Ok(number(self.py, v)?)
    }

    fn str(&mut self, v: &str) -> Built<'py> {
        Ok(PyString::new(self.py, v).into_any())
    }

    fn key(&mut self, k: &str) -> Result<Bound<'py, PyString>, SerFail> {
        Ok(self.cached_key(k))
    }

    fn list(&mut self, len: usize) -> Result<Self::List, SerFail> {
        Ok(Vec::with_capacity(len))
    }

    fn push(&mut self, list: &mut Self::List, item: Bound<'py, PyAny>) -> Result<(), SerFail> {
        list.push(item);
        Ok(())
    }

    fn end_list(&mut self, list: Self::List) -> Built<'py> {
        Ok(PyList::new(self.py, list)?.into_any())
    }

    fn dict(&mut self, _: usize) -> Result<Bound<'py, PyDict>, SerFail> {
        Ok(PyDict::new(self.py))
    }

    fn insert(
        &mut self,
        dict: &mut Bound<'py, PyDict>,
        key: Bound<'py, PyString>,
        value: Bound<'py, PyAny>,
    ) -> Result<(), SerFail> {
        Ok(dict.set_item(key, value)?)
    }

    fn end_dict(&mut self, dict: Bound<'py, PyDict>) -> Built<'py> {
        Ok(dict.into_any())
    }
}

/// Every visible frame of `compiled` as a list of FOVEA's box dicts, built straight from the
/// engine's columns (evaluated with the GIL released when large): keyframes with all their
/// fields, interpolated frames `{x, y, width, height, frameNumber, isKeyframe: False}`.
///
/// O(N) for N frames. An interpolated frame's dict is a copy of a template that already holds
/// its six keys (made once) and `isKeyframe: False`: copying keeps the table at its final size
/// (inserting six keys into a new dict would grow it once), and only the five values are set.
pub(crate) fn frame_dicts<'py>(
    py: Python<'py>,
    compiled: &CompiledSequence,
) -> PyResult<Bound<'py, PyList>> {
    compiled.check_eager_limit(EAGER_FRAMES).map_err(to_pyerr)?;
    let big = compiled.len() >= crate::gil::DETACH_AT;
    let (rows, marks) = crate::gil::run(py, big, || compiled.to_rows::<i64>());
    let keys = [
        intern!(py, "x"),
        intern!(py, "y"),
        intern!(py, "width"),
        intern!(py, "height"),
        intern!(py, "frameNumber"),
    ];
    let template = PyDict::new(py);
    for key in keys {
        template.set_item(key, py.None())?;
    }
    template.set_item(intern!(py, "isKeyframe"), false)?;
    let mut c = Converter::new(py);
    let mut keyframes = marks.keyframes.into_iter().peekable();
    // SAFETY (this block): the GIL is held; every object handed to the C API is live; each new
    // reference is handed over (the list steals its items, filled once each) or released once
    // stored.
    unsafe {
        let n = rows.frames.len() as ffi::Py_ssize_t;
        let list = Bound::from_owned_ptr_or_err(py, ffi::PyList_New(n))?;
        for (i, (frame, values)) in rows.frames.iter().zip(&rows.boxes).enumerate() {
            let item = match keyframes.next_if(|(row, _)| *row == i) {
                Some((_, key)) => c.value(key)?,
                None => {
                    let d = Bound::from_owned_ptr_or_err(py, ffi::PyDict_Copy(template.as_ptr()))?;
                    for (key, v) in keys.iter().zip(values) {
                        set(py, &d, key, number_ptr(*v))?;
                    }
                    set(py, &d, keys[4], ffi::PyLong_FromLongLong(*frame))?;
                    d
                }
            };
            ffi::PyList_SetItem(list.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
        }
        Ok(list.cast_into_unchecked())
    }
}

/// `d[key] = value` for a new reference `value` (null when its creation failed), which is
/// released.
///
/// # Safety
/// The GIL is held and `value` is null or a new reference.
unsafe fn set(
    py: Python<'_>,
    d: &Bound<'_, PyAny>,
    key: &Bound<'_, PyString>,
    value: *mut ffi::PyObject,
) -> PyResult<()> {
    // SAFETY: as the caller promises; the dict keeps its own reference to `value`.
    unsafe {
        let value = Bound::from_owned_ptr_or_err(py, value)?;
        if ffi::PyDict_SetItem(d.as_ptr(), key.as_ptr(), value.as_ptr()) != 0 {
            return Err(PyErr::fetch(py));
        }
    }
    Ok(())
}

/// [`number`] as a new reference (null with an exception set when allocation fails).
///
/// # Safety
/// The GIL is held.
unsafe fn number_ptr(v: f64) -> *mut ffi::PyObject {
    // SAFETY: the GIL is held; each call returns a new reference.
    unsafe {
        if v.fract() == 0.0 && v.abs() < MAX_SAFE_INTEGER {
            ffi::PyLong_FromLongLong(v as i64)
        } else if v.fract() == 0.0 && v.abs() < JS_INTEGER_LIMIT {
            // Beyond 2^53 JavaScript writes the shortest digits that read back as the double
            // (9007199254740993 is written 9007199254740992), not its exact value.
            let mut text = fovea_core::json::NumberBuffer::new().format(v).to_owned();
            text.push('\0');
            ffi::PyLong_FromString(text.as_ptr().cast(), std::ptr::null_mut(), 10)
        } else if v.is_finite() {
            ffi::PyFloat_FromDouble(v)
        } else {
            let none = ffi::Py_None();
            ffi::Py_IncRef(none);
            none
        }
    }
}

// --- Python → Rust --------------------------------------------------------------------------

/// Reads a Python value (dict, list, tuple, str, int, float, bool, None) through serde.
pub(crate) struct Reader<'a, 'py> {
    obj: Bound<'py, PyAny>,
    keys: &'a KeyMemo,
    depth: usize,
}

/// The text of the dict keys met so far in one read, by object identity: the boxes of a
/// sequence share their key objects, so each key's text is fetched once. Valid for one read,
/// during which no Python code runs and every key stays referenced by its dict.
pub(crate) struct KeyMemo(RefCell<Vec<(usize, String)>>);

/// Slots of [`KeyMemo`] (direct-mapped by address).
const MEMO_SLOTS: usize = 64;

impl KeyMemo {
    pub(crate) fn new() -> Self {
        KeyMemo(RefCell::new(vec![(0, String::new()); MEMO_SLOTS]))
    }

    /// Calls `f` with the text of `key`.
    fn with<R>(
        &self,
        key: &Bound<'_, PyString>,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R, HostError> {
        let addr = key.as_ptr() as usize;
        let slot = (addr >> 4) % MEMO_SLOTS;
        let mut slots = self.0.borrow_mut();
        let entry = &mut slots[slot];
        if entry.0 != addr {
            let text = key
                .to_cow()
                .map_err(|e| HostError::Invalid(format!("key is not valid UTF-8: {e}")))?;
            entry.1.clear();
            entry.1.push_str(&text);
            entry.0 = addr;
        }
        Ok(f(&entry.1))
    }
}

impl<'a, 'py> Reader<'a, 'py> {
    /// A reader of `obj` at the root.
    pub(crate) fn new(obj: &Bound<'py, PyAny>, keys: &'a KeyMemo) -> Self {
        Reader {
            obj: obj.clone(),
            keys,
            depth: 0,
        }
    }

    fn child(&self, obj: Bound<'py, PyAny>) -> Self {
        Reader {
            obj,
            keys: self.keys,
            depth: self.depth + 1,
        }
    }

    fn nested(&self) -> Result<(), HostError> {
        if self.depth >= MAX_DEPTH {
            return Err(HostError::Invalid(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }
}

/// Reads any deserializable `T` from a Python value, errors typed and located (paths relative
/// to the value).
pub(crate) fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> Result<T, Error> {
    read_with(obj, |make| host::read(make))
}

/// Reads with one of the core's readers (`BoundingBoxSequence::read`, …), which is handed a
/// maker of readers of `obj` (a second reading, with the path tracked, follows a failure).
pub(crate) fn read_with<'py, T>(
    obj: &Bound<'py, PyAny>,
    read: impl for<'a> FnOnce(&mut dyn FnMut() -> Reader<'a, 'py>) -> fovea_core::Result<T>,
) -> Result<T, Error> {
    let memo = KeyMemo::new();
    read(&mut || Reader::new(obj, &memo))
}

fn int<'de, V: Visitor<'de>>(i: &Bound<'_, PyInt>, visitor: V) -> Result<V::Value, HostError> {
    if let Ok(v) = i.extract::<i64>() {
        return visitor.visit_i64(v);
    }
    if let Ok(v) = i.extract::<u64>() {
        return visitor.visit_u64(v);
    }
    // Beyond 64 bits: a float, as a JSON parser reads such a literal.
    match i.extract::<f64>() {
        Ok(v) => visitor.visit_f64(v),
        Err(_) => Err(HostError::Invalid(
            "integer too large to convert to a JSON number".to_owned(),
        )),
    }
}

impl<'de> de::Deserializer<'de> for Reader<'_, '_> {
    type Error = HostError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, HostError> {
        let obj = &self.obj;
        if let Ok(f) = obj.cast::<PyFloat>() {
            let v = f.value();
            return if v.is_finite() {
                visitor.visit_f64(v)
            } else {
                Err(HostError::NonFinite(v))
            };
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if let Ok(i) = obj.cast::<PyInt>() {
            return int(i, visitor);
        }
        if let Ok(s) = obj.cast::<PyString>() {
            let text = s
                .to_cow()
                .map_err(|e| HostError::Invalid(format!("string is not valid UTF-8: {e}")))?;
            return visitor.visit_str(&text);
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            self.nested()?;
            return visitor.visit_map(DictAccess {
                reader: &self,
                items: d.iter(),
                value: None,
            });
        }
        if let Ok(l) = obj.cast::<PyList>() {
            self.nested()?;
            return visitor.visit_seq(SeqAccess {
                reader: &self,
                items: l.iter().collect::<Vec<_>>().into_iter(),
            });
        }
        if obj.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            self.nested()?;
            return visitor.visit_seq(SeqAccess {
                reader: &self,
                items: t.iter().collect::<Vec<_>>().into_iter(),
            });
        }
        Err(HostError::Invalid(format!(
            "expected a JSON-compatible value (dict, list, tuple, str, int, float, bool or \
             None), got {}",
            type_name(obj)
        )))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, HostError> {
        if self.obj.is_none() {
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
        match self.obj.cast::<PyString>() {
            Ok(s) => {
                let name = s
                    .to_cow()
                    .map_err(|e| HostError::Invalid(format!("string is not valid UTF-8: {e}")))?;
                visitor.visit_enum(name.as_ref().into_deserializer())
            }
            Err(_) => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The entries of a dict (str keys only).
struct DictAccess<'r, 'a, 'py> {
    reader: &'r Reader<'a, 'py>,
    items: pyo3::types::iter::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de> de::MapAccess<'de> for DictAccess<'_, '_, '_> {
    type Error = HostError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, HostError> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let Ok(key) = key.cast::<PyString>() else {
            return Err(HostError::Invalid(format!(
                "object keys must be str, got {}",
                type_name(&key)
            )));
        };
        self.reader
            .keys
            .with(key, |text| seed.deserialize(KeyDe(text)))?
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, HostError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| HostError::Message("a dict value read before its key".into()))?;
        seed.deserialize(self.reader.child(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A dict key's text, handed to the key's visitor.
struct KeyDe<'k>(&'k str);

impl<'de> de::Deserializer<'de> for KeyDe<'_> {
    type Error = HostError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, HostError> {
        visitor.visit_str(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The items of a list or tuple.
struct SeqAccess<'r, 'a, 'py> {
    reader: &'r Reader<'a, 'py>,
    items: std::vec::IntoIter<Bound<'py, PyAny>>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, '_, '_> {
    type Error = HostError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, HostError> {
        self.items
            .next()
            .map(|item| seed.deserialize(self.reader.child(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

// --- arguments --------------------------------------------------------------------------------

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
