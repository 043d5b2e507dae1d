//! Writing any `Serialize` value as a host's values: [`Emit`] is serde's serializer over a
//! host's [`Build`]er (Python objects, a tape for JavaScript). It follows serde_json's shapes —
//! a unit is null, a variant with data is `{variant: data}`, bytes are a list of numbers, a map
//! key is text — so a host gets what its own JSON reader would make of the JSON fovea writes.
//! One pass over the value; the builder decides what a number becomes.

use super::{KeySerializer, KeyTarget};
use serde::ser::{self, Serialize};

/// A host's constructor of JSON-like values, called in document order: a container is opened,
/// then each of its entries is built (a dict's key before its value) and added, then it is
/// closed. A builder that writes in order (a tape) can make its values `()`.
pub trait Build {
    /// A finished value.
    type Value;
    /// A list being filled.
    type List;
    /// A dict being filled.
    type Dict;
    /// A dict key.
    type Key;
    /// What the builder fails with.
    type Error: ser::Error;

    /// JSON's null.
    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    /// A boolean.
    fn bool(&mut self, v: bool) -> Result<Self::Value, Self::Error>;
    /// A signed integer.
    fn int(&mut self, v: i64) -> Result<Self::Value, Self::Error>;
    /// An unsigned integer.
    fn uint(&mut self, v: u64) -> Result<Self::Value, Self::Error>;
    /// A double (maybe integral, maybe not finite: the host follows its JSON reading).
    fn float(&mut self, v: f64) -> Result<Self::Value, Self::Error>;
    /// A string.
    fn str(&mut self, v: &str) -> Result<Self::Value, Self::Error>;
    /// A dict key.
    fn key(&mut self, k: &str) -> Result<Self::Key, Self::Error>;
    /// Opens a list of `len` items (a hint: 0 when unknown).
    fn list(&mut self, len: usize) -> Result<Self::List, Self::Error>;
    /// Adds the item just built.
    fn push(&mut self, list: &mut Self::List, item: Self::Value) -> Result<(), Self::Error>;
    /// Closes a list.
    fn end_list(&mut self, list: Self::List) -> Result<Self::Value, Self::Error>;
    /// Opens a dict of `len` entries (a hint: 0 when unknown).
    fn dict(&mut self, len: usize) -> Result<Self::Dict, Self::Error>;
    /// Adds the entry just built.
    fn insert(
        &mut self,
        dict: &mut Self::Dict,
        key: Self::Key,
        value: Self::Value,
    ) -> Result<(), Self::Error>;
    /// Closes a dict.
    fn end_dict(&mut self, dict: Self::Dict) -> Result<Self::Value, Self::Error>;
}

/// serde's serializer into a [`Build`]er: `value.serialize(Emit(&mut builder))`.
pub struct Emit<'b, B>(pub &'b mut B);

/// The `{variant: …}` dict around a variant's data, opened before the data.
type Wrapper<B> = Option<(<B as Build>::Dict, <B as Build>::Key)>;

/// The dict `{variant: …}` opened, with its key.
fn wrap<B: Build>(b: &mut B, variant: &'static str) -> Result<Wrapper<B>, B::Error> {
    let dict = b.dict(1)?;
    let key = b.key(variant)?;
    Ok(Some((dict, key)))
}

/// `value`, inside its variant's dict when it has one.
fn unwrap<B: Build>(b: &mut B, wrapper: Wrapper<B>, value: B::Value) -> Result<B::Value, B::Error> {
    match wrapper {
        None => Ok(value),
        Some((mut dict, key)) => {
            b.insert(&mut dict, key, value)?;
            b.end_dict(dict)
        }
    }
}

/// serde's methods that only widen their number.
macro_rules! widen {
    ($($method:ident($ty:ty) => $build:ident($wide:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<B::Value, B::Error> {
            self.0.$build(<$wide>::from(v))
        }
    )*};
}

impl<'b, B: Build> ser::Serializer for Emit<'b, B> {
    type Ok = B::Value;
    type Error = B::Error;
    type SerializeSeq = Items<'b, B>;
    type SerializeTuple = Items<'b, B>;
    type SerializeTupleStruct = Items<'b, B>;
    type SerializeTupleVariant = Items<'b, B>;
    type SerializeMap = Entries<'b, B>;
    type SerializeStruct = Entries<'b, B>;
    type SerializeStructVariant = Entries<'b, B>;

    widen!(
        serialize_bool(bool) => bool(bool),
        serialize_i8(i8) => int(i64),
        serialize_i16(i16) => int(i64),
        serialize_i32(i32) => int(i64),
        serialize_i64(i64) => int(i64),
        serialize_u8(u8) => uint(u64),
        serialize_u16(u16) => uint(u64),
        serialize_u32(u32) => uint(u64),
        serialize_u64(u64) => uint(u64),
        serialize_f32(f32) => float(f64),
        serialize_f64(f64) => float(f64),
    );

    fn serialize_char(self, v: char) -> Result<B::Value, B::Error> {
        self.0.str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<B::Value, B::Error> {
        self.0.str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<B::Value, B::Error> {
        let mut list = self.0.list(v.len())?;
        for byte in v {
            let item = self.0.uint(u64::from(*byte))?;
            self.0.push(&mut list, item)?;
        }
        self.0.end_list(list)
    }

    fn serialize_none(self) -> Result<B::Value, B::Error> {
        self.0.null()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<B::Value, B::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<B::Value, B::Error> {
        self.0.null()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<B::Value, B::Error> {
        self.0.null()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<B::Value, B::Error> {
        self.0.str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<B::Value, B::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<B::Value, B::Error> {
        let wrapper = wrap(self.0, variant)?;
        let value = value.serialize(Emit(&mut *self.0))?;
        unwrap(self.0, wrapper, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'b, B>, B::Error> {
        Items::open(self.0, None, len.unwrap_or(0))
    }

    fn serialize_tuple(self, len: usize) -> Result<Items<'b, B>, B::Error> {
        Items::open(self.0, None, len)
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items<'b, B>, B::Error> {
        Items::open(self.0, None, len)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items<'b, B>, B::Error> {
        let wrapper = wrap(self.0, variant)?;
        Items::open(self.0, wrapper, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Entries<'b, B>, B::Error> {
        Entries::open(self.0, None, len.unwrap_or(0))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Entries<'b, B>, B::Error> {
        Entries::open(self.0, None, len)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Entries<'b, B>, B::Error> {
        let wrapper = wrap(self.0, variant)?;
        Entries::open(self.0, wrapper, len)
    }
}

/// A list being serialized.
pub struct Items<'b, B: Build> {
    b: &'b mut B,
    list: B::List,
    wrapper: Wrapper<B>,
}

impl<'b, B: Build> Items<'b, B> {
    fn open(b: &'b mut B, wrapper: Wrapper<B>, len: usize) -> Result<Self, B::Error> {
        let list = b.list(len)?;
        Ok(Items { b, list, wrapper })
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), B::Error> {
        let item = value.serialize(Emit(&mut *self.b))?;
        self.b.push(&mut self.list, item)
    }

    fn close(self) -> Result<B::Value, B::Error> {
        let list = self.b.end_list(self.list)?;
        unwrap(self.b, self.wrapper, list)
    }
}

macro_rules! impl_items {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<B: Build> ser::$trait for Items<'_, B> {
            type Ok = B::Value;
            type Error = B::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), B::Error> {
                self.item(value)
            }
            fn end(self) -> Result<B::Value, B::Error> {
                self.close()
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

/// A dict being serialized.
pub struct Entries<'b, B: Build> {
    b: &'b mut B,
    dict: B::Dict,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<B::Key>,
    wrapper: Wrapper<B>,
}

impl<'b, B: Build> Entries<'b, B> {
    fn open(b: &'b mut B, wrapper: Wrapper<B>, len: usize) -> Result<Self, B::Error> {
        let dict = b.dict(len)?;
        Ok(Entries {
            b,
            dict,
            key: None,
            wrapper,
        })
    }

    fn entry<T: Serialize + ?Sized>(&mut self, key: B::Key, value: &T) -> Result<(), B::Error> {
        let value = value.serialize(Emit(&mut *self.b))?;
        self.b.insert(&mut self.dict, key, value)
    }

    fn map_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<B::Key, B::Error> {
        key.serialize(KeySerializer(Keys(&mut *self.b)))
    }

    fn close(self) -> Result<B::Value, B::Error> {
        let dict = self.b.end_dict(self.dict)?;
        unwrap(self.b, self.wrapper, dict)
    }
}

macro_rules! impl_fields {
    ($($trait:ident),*) => {$(
        impl<B: Build> ser::$trait for Entries<'_, B> {
            type Ok = B::Value;
            type Error = B::Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), B::Error> {
                let key = self.b.key(key)?;
                self.entry(key, value)
            }
            fn end(self) -> Result<B::Value, B::Error> {
                self.close()
            }
        }
    )*};
}

impl_fields!(SerializeStruct, SerializeStructVariant);

impl<B: Build> ser::SerializeMap for Entries<'_, B> {
    type Ok = B::Value;
    type Error = B::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), B::Error> {
        self.key = Some(self.map_key(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), B::Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <B::Error as ser::Error>::custom("a map value without a key"))?;
        self.entry(key, value)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), B::Error> {
        let key = self.map_key(key)?;
        self.entry(key, value)
    }

    fn end(self) -> Result<B::Value, B::Error> {
        self.close()
    }
}

/// Map keys, once text, become the builder's keys.
struct Keys<'b, B>(&'b mut B);

impl<B: Build> KeyTarget for Keys<'_, B> {
    type Ok = B::Key;
    type Error = B::Error;

    #[inline]
    fn key(self, text: &str) -> Result<B::Key, B::Error> {
        self.0.key(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};
    use std::collections::BTreeMap;

    /// Builds `serde_json::Value`s, to compare `Emit`'s shapes with serde_json's own.
    struct Json;

    impl Build for Json {
        type Value = Value;
        type List = Vec<Value>;
        type Dict = Map<String, Value>;
        type Key = String;
        type Error = serde_json::Error;

        fn null(&mut self) -> Result<Value, Self::Error> {
            Ok(Value::Null)
        }
        fn bool(&mut self, v: bool) -> Result<Value, Self::Error> {
            Ok(v.into())
        }
        fn int(&mut self, v: i64) -> Result<Value, Self::Error> {
            Ok(v.into())
        }
        fn uint(&mut self, v: u64) -> Result<Value, Self::Error> {
            Ok(v.into())
        }
        fn float(&mut self, v: f64) -> Result<Value, Self::Error> {
            Ok(v.into())
        }
        fn str(&mut self, v: &str) -> Result<Value, Self::Error> {
            Ok(v.into())
        }
        fn key(&mut self, k: &str) -> Result<String, Self::Error> {
            Ok(k.to_owned())
        }
        fn list(&mut self, len: usize) -> Result<Vec<Value>, Self::Error> {
            Ok(Vec::with_capacity(len))
        }
        fn push(&mut self, list: &mut Vec<Value>, item: Value) -> Result<(), Self::Error> {
            list.push(item);
            Ok(())
        }
        fn end_list(&mut self, list: Vec<Value>) -> Result<Value, Self::Error> {
            Ok(Value::Array(list))
        }
        fn dict(&mut self, _: usize) -> Result<Map<String, Value>, Self::Error> {
            Ok(Map::new())
        }
        fn insert(
            &mut self,
            dict: &mut Map<String, Value>,
            key: String,
            value: Value,
        ) -> Result<(), Self::Error> {
            dict.insert(key, value);
            Ok(())
        }
        fn end_dict(&mut self, dict: Map<String, Value>) -> Result<Value, Self::Error> {
            Ok(Value::Object(dict))
        }
    }

    #[derive(serde::Serialize)]
    enum Shapes {
        Unit,
        Newtype(u8),
        Tuple(i32, char),
        Struct { a: Option<f32>, b: () },
    }

    #[derive(serde::Serialize)]
    struct Everything<'a> {
        shapes: Vec<Shapes>,
        #[serde(with = "serde_bytes_as_seq")]
        bytes: &'a [u8],
        by_number: BTreeMap<i64, bool>,
        nested: (String, Option<Vec<u64>>),
        #[serde(flatten)]
        extra: BTreeMap<&'a str, Value>,
    }

    /// Bytes through `serialize_bytes` (serde writes a `&[u8]` field as a sequence).
    mod serde_bytes_as_seq {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    #[test]
    fn values_take_serde_json_shapes() {
        let value = Everything {
            shapes: vec![
                Shapes::Unit,
                Shapes::Newtype(7),
                Shapes::Tuple(-3, 'é'),
                Shapes::Struct {
                    a: Some(0.5),
                    b: (),
                },
            ],
            bytes: &[0, 255],
            by_number: BTreeMap::from([(-1, true), (2, false)]),
            nested: ("x".into(), Some(vec![u64::MAX])),
            extra: BTreeMap::from([("k", json!({"deep": [1, "two"]}))]),
        };
        let built = value.serialize(Emit(&mut Json)).unwrap();
        assert_eq!(built, serde_json::to_value(&value).unwrap());
        assert_eq!(built["shapes"][2], json!({"Tuple": [-3, "é"]}));
        assert_eq!(built["by_number"], json!({"-1": true, "2": false}));
    }

    #[test]
    fn a_map_key_that_is_not_text_is_refused() {
        let map = BTreeMap::from([((1, 2), 3)]);
        let e = map.serialize(Emit(&mut Json)).unwrap_err();
        assert!(e.to_string().contains("map key must be a string"), "{e}");
    }
}
