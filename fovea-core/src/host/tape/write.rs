//! Writing: any `Serialize` value as a tape of words, numbers and strings (see the module
//! above for the format), which a host's decoder turns into its own values in one pass.

use super::super::build::{Build, Emit};
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
            .serialize(Emit(self))
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

    /// A word to be patched once its count is known.
    #[inline]
    fn open(&mut self, tag: u32) -> Open {
        self.ops.push(tag);
        Open {
            at: self.ops.len() - 1,
            count: 0,
        }
    }

    #[inline]
    fn close(&mut self, open: Open, tag: u32) -> Result<(), SerFail> {
        if open.count >= PAYLOAD_LIMIT {
            return Err(SerFail("a value too large to hand to JavaScript".into()));
        }
        self.ops[open.at] = tag | open.count << 3;
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

/// An object or array being written: where its word is, patched with its count at the end.
pub struct Open {
    at: usize,
    count: u32,
}

impl Build for Tape {
    type Value = ();
    type List = Open;
    type Dict = Open;
    type Key = ();
    type Error = SerFail;

    fn null(&mut self) -> Result<(), SerFail> {
        self.word(NULL, 0)
    }

    fn bool(&mut self, v: bool) -> Result<(), SerFail> {
        self.word(if v { TRUE } else { FALSE }, 0)
    }

    fn int(&mut self, v: i64) -> Result<(), SerFail> {
        // A JavaScript number: the nearest double, as JSON.parse reads the integer's text.
        self.number(v as f64)
    }

    fn uint(&mut self, v: u64) -> Result<(), SerFail> {
        self.number(v as f64)
    }

    fn float(&mut self, v: f64) -> Result<(), SerFail> {
        self.number(v)
    }

    fn str(&mut self, v: &str) -> Result<(), SerFail> {
        let i = self.string(v)?;
        self.word(STR, i)
    }

    #[inline]
    fn key(&mut self, k: &str) -> Result<(), SerFail> {
        let i = self.string(k)?;
        // `__proto__` must become an own property, not the prototype.
        self.ops.push(i << 1 | u32::from(k == "__proto__"));
        Ok(())
    }

    fn list(&mut self, _: usize) -> Result<Open, SerFail> {
        Ok(self.open(ARR))
    }

    #[inline]
    fn push(&mut self, list: &mut Open, _: ()) -> Result<(), SerFail> {
        list.count += 1;
        Ok(())
    }

    fn end_list(&mut self, list: Open) -> Result<(), SerFail> {
        self.close(list, ARR)
    }

    fn dict(&mut self, _: usize) -> Result<Open, SerFail> {
        Ok(self.open(OBJ))
    }

    #[inline]
    fn insert(&mut self, dict: &mut Open, _: (), _: ()) -> Result<(), SerFail> {
        dict.count += 1;
        Ok(())
    }

    fn end_dict(&mut self, dict: Open) -> Result<(), SerFail> {
        self.close(dict, OBJ)
    }
}
