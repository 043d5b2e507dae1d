//! Reading: a tape a host wrote from its own values (what `JSON.stringify` would see of them)
//! as a serde `Deserializer`, whose errors the core's readers type and locate.

use super::super::HostError;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

/// Tags of a tape a host writes (one byte each).
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
#[inline]
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
    let text = crate::json::NumberBuffer::new().format(n).to_owned();
    if n > 0.0 {
        text.parse().ok().map(Integer::Unsigned)
    } else {
        text.parse().ok().map(Integer::Signed)
    }
}

/// Reads a tape a host wrote, as a serde `Deserializer`. Its strings are
/// borrowed from the tape's text (UTF-8, as Node-API hands it over), so object keys are not
/// copied.
pub struct Cursor<'a> {
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
    /// A reader from the start of a tape: its tags, sizes (string lengths in UTF-16 units,
    /// counts of entries and items) and numbers, and its strings joined as UTF-8 text.
    #[inline]
    pub fn new(tags: &'a [u8], sizes: &'a [u32], nums: &'a [f64], text: &'a str) -> Self {
        Cursor {
            tags,
            sizes,
            nums,
            text,
            ascii: text.is_ascii(),
            at: (0, 0, 0, 0),
        }
    }

    #[inline]
    fn tag(&mut self) -> Result<u8, HostError> {
        let t = *self.tags.get(self.at.0).ok_or_else(ended)?;
        self.at.0 += 1;
        Ok(t)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.tags.get(self.at.0).copied()
    }

    #[inline]
    fn size(&mut self) -> Result<usize, HostError> {
        let s = *self.sizes.get(self.at.1).ok_or_else(ended)?;
        self.at.1 += 1;
        Ok(s as usize)
    }

    #[inline]
    fn num(&mut self) -> Result<f64, HostError> {
        let n = *self.nums.get(self.at.2).ok_or_else(ended)?;
        self.at.2 += 1;
        Ok(n)
    }

    /// The next string (its tag already read): `len` UTF-16 units of JavaScript, the bytes
    /// that spell them here (a lone surrogate came as U+FFFD, one unit). O(len).
    #[inline]
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
