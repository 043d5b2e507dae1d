//! Writing: any `Serialize` value as a tape of words, numbers and strings (see the module
//! above for the format), which a host's decoder turns into its own values in one pass.

use super::super::{KeySerializer, KeyTarget};
use hashbrown::HashTable;
use serde::ser::{self, Serialize};
use std::fmt;
use std::hash::BuildHasher;

/// Tags of the words of a [`Tape`] (the low 3 bits of each word; the payload is above them).
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
    pub fn of<T: Serialize + ?Sized>(value: &T) -> crate::Result<Self> {
        let mut tape = Tape::new(false);
        tape.push(value)?;
        Ok(tape)
    }

    /// A tape of several values, decoded as an array of them ([`Tape::push`] each).
    pub fn list() -> Self {
        Tape::new(true)
    }

    /// Appends a value.
    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> crate::Result<()> {
        value
            .serialize(&mut *self)
            .map_err(|e| crate::Error::InvalidType {
                path: "$".into(),
                message: e.0,
            })
    }

    /// What a host hands its decoder: the words, the numbers, the joined strings, where each
    /// string ends in UTF-16 units (`units[i]..units[i + 1]` is string `i`), and whether the
    /// words hold several top-level values (the items of an array) or one.
    pub fn parts(&self) -> (&[u32], &[f64], &str, &[u32], bool) {
        (&self.ops, &self.nums, &self.text, &self.units, self.many)
    }

    #[inline]
    fn word(&mut self, tag: u32, payload: u32) -> Result<(), SerFail> {
        if payload >= PAYLOAD_LIMIT {
            return Err(SerFail("a value too large to hand to JavaScript".into()));
        }
        self.ops.push(tag | payload << 3);
        Ok(())
    }

    /// The index of string `s`, stored once. O(|s|).
    #[inline]
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

    #[inline]
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
    #[inline]
    fn open(&mut self, tag: u32) -> usize {
        self.ops.push(tag);
        self.ops.len() - 1
    }

    #[inline]
    fn close(&mut self, at: usize, tag: u32, count: u32) -> Result<(), SerFail> {
        if count >= PAYLOAD_LIMIT {
            return Err(SerFail("a value too large to hand to JavaScript".into()));
        }
        self.ops[at] = tag | count << 3;
        Ok(())
    }

    #[inline]
    fn key(&mut self, k: &str) -> Result<(), SerFail> {
        let i = self.string(k)?;
        // `__proto__` must become an own property, not the prototype.
        self.ops.push(i << 1 | u32::from(k == "__proto__"));
        Ok(())
    }
}

/// A failure while writing a tape (a value beyond its limits, a map key that is not a string).
#[derive(Debug)]
pub struct SerFail(pub String);

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
    #[inline]
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

    #[inline]
    fn key(self, text: &str) -> Result<(), SerFail> {
        Tape::key(self, text)
    }
}
