//! Exchanging values with a host (Python objects, JavaScript values) without JSON text or a
//! `serde_json::Value` between. Writing: a binding implements [`build::Build`] for its values
//! (or uses the core's [`tape::Tape`]) and serializes any `Serialize` value with
//! [`build::Emit`], which turns map keys into text with [`KeySerializer`] (serde_json's
//! rules). Reading: a binding implements a serde `Deserializer` over its
//! values with [`HostError`] as the error type, and hands it to a model type's `read`
//! ([`BoundingBoxSequence::read`](crate::model::BoundingBoxSequence::read),
//! [`SequenceInput::read`](crate::model::SequenceInput::read),
//! [`Annotation::read`](crate::model::Annotation::read)), which names the path of whatever it
//! refuses, as it does for JSON text.

use crate::error::Error;
pub use crate::serde_errors::ReadError;
use crate::serde_errors::{data_error, deserialize, root_if_empty};
use std::fmt;

pub mod build;
pub mod tape;

/// What a host-value deserializer reports. Wrong types and missing fields use serde's own
/// messages ([`serde::de::Error`]); the two other cases are a host's own.
#[derive(Debug, Clone, PartialEq)]
pub enum HostError {
    /// serde's message (a wrong type, a missing field, …).
    Message(String),
    /// A NaN or infinite number, which JSON cannot hold.
    NonFinite(f64),
    /// A host value with no JSON meaning (a function, a set, a cyclic object, …): what it is.
    Invalid(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Message(m) | HostError::Invalid(m) => f.write_str(m),
            HostError::NonFinite(v) => write!(f, "non-finite number {v}"),
        }
    }
}

impl std::error::Error for HostError {}

impl serde::de::Error for HostError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        HostError::Message(msg.to_string())
    }
}

impl ReadError for HostError {
    fn into_error(self, path: String) -> Error {
        match self {
            HostError::Message(m) => data_error(path, m),
            HostError::NonFinite(value) => Error::NonFinite {
                path: root_if_empty(path),
                value,
            },
            HostError::Invalid(message) => Error::InvalidType {
                path: root_if_empty(path),
                message,
            },
        }
    }
}

/// Reads any `T` (a JSON value, an options object, …) from the host deserializers `make`
/// returns, its errors typed and located as the model's readers type and locate them (`make`
/// is called again only when the first reading fails, to name the path).
pub fn read<'de, T, D>(make: impl FnMut() -> D) -> crate::Result<T>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de, Error = HostError>,
{
    deserialize(make)
}

/// Where a map key goes once it is text: a binding's dict key, a string on a tape.
pub trait KeyTarget {
    /// What the key becomes.
    type Ok;
    /// The binding's serializer error.
    type Error: serde::ser::Error;
    /// Takes the key's text.
    fn key(self, text: &str) -> Result<Self::Ok, Self::Error>;
}

/// Serializes a map key as serde_json does, for the serializers that build host values: a
/// string as it is (no allocation), an integer, a boolean or a char as its text, a unit
/// variant as its name; anything else is refused.
pub struct KeySerializer<T>(pub T);

impl<T: KeyTarget> KeySerializer<T> {
    fn text(self, t: impl fmt::Display) -> Result<T::Ok, T::Error> {
        self.0.key(&t.to_string())
    }
}

fn not_a_key<E: serde::ser::Error>() -> E {
    E::custom("a map key must be a string")
}

/// The key serializer's refusals of whole kinds of value.
macro_rules! refuse_keys {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<T::Ok, T::Error> {
            Err(not_a_key())
        }
    )*};
}

/// The key serializer's numbers, booleans and chars: their text.
macro_rules! key_as_text {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<T::Ok, T::Error> {
            self.text(v)
        }
    )*};
}

impl<T: KeyTarget> serde::Serializer for KeySerializer<T> {
    type Ok = T::Ok;
    type Error = T::Error;
    type SerializeSeq = serde::ser::Impossible<T::Ok, T::Error>;
    type SerializeTuple = serde::ser::Impossible<T::Ok, T::Error>;
    type SerializeTupleStruct = serde::ser::Impossible<T::Ok, T::Error>;
    type SerializeTupleVariant = serde::ser::Impossible<T::Ok, T::Error>;
    type SerializeMap = serde::ser::Impossible<T::Ok, T::Error>;
    type SerializeStruct = serde::ser::Impossible<T::Ok, T::Error>;
    type SerializeStructVariant = serde::ser::Impossible<T::Ok, T::Error>;

    fn serialize_str(self, v: &str) -> Result<T::Ok, T::Error> {
        self.0.key(v)
    }

    key_as_text!(
        serialize_char(char),
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
    );

    refuse_keys!(
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );

    fn serialize_some<V: serde::Serialize + ?Sized>(self, value: &V) -> Result<T::Ok, T::Error> {
        value.serialize(self)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<T::Ok, T::Error> {
        self.0.key(variant)
    }

    fn serialize_newtype_struct<V: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<T::Ok, T::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<V: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<T::Ok, T::Error> {
        Err(not_a_key())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, T::Error> {
        Err(not_a_key())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, T::Error> {
        Err(not_a_key())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, T::Error> {
        Err(not_a_key())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, T::Error> {
        Err(not_a_key())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, T::Error> {
        Err(not_a_key())
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, T::Error> {
        Err(not_a_key())
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, T::Error> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BoundingBoxSequence, SequenceInput};
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Value, json};

    /// A stand-in host: walks a JSON value as a binding walks its host's objects; the strings
    /// `"!nan"` and `"!function"` stand for a NaN and a function.
    struct Host(Value);

    impl<'de> Deserializer<'de> for Host {
        type Error = HostError;
        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, HostError> {
            match self.0 {
                Value::Null => v.visit_unit(),
                Value::Bool(b) => v.visit_bool(b),
                Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => v.visit_u64(u),
                    (_, Some(i)) => v.visit_i64(i),
                    _ => v.visit_f64(n.as_f64().unwrap_or_default()),
                },
                Value::String(s) if s == "!nan" => Err(HostError::NonFinite(f64::NAN)),
                Value::String(s) if s == "!function" => Err(HostError::Invalid(
                    "expected a JSON value, got a function".into(),
                )),
                Value::String(s) => v.visit_string(s),
                Value::Array(items) => v.visit_seq(Items(items.into_iter())),
                Value::Object(map) => v.visit_map(Entries(map.into_iter(), None)),
            }
        }
        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, HostError> {
            match self.0 {
                Value::Null => v.visit_none(),
                other => v.visit_some(Host(other)),
            }
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map struct
            enum identifier ignored_any
        }
    }

    struct Items(std::vec::IntoIter<Value>);

    impl<'de> SeqAccess<'de> for Items {
        type Error = HostError;
        fn next_element_seed<T: serde::de::DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, HostError> {
            self.0.next().map(|v| seed.deserialize(Host(v))).transpose()
        }
    }

    struct Entries(serde_json::map::IntoIter, Option<Value>);

    impl<'de> MapAccess<'de> for Entries {
        type Error = HostError;
        fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, HostError> {
            let Some((k, v)) = self.0.next() else {
                return Ok(None);
            };
            self.1 = Some(v);
            seed.deserialize(Host(Value::String(k))).map(Some)
        }
        fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
            &mut self,
            seed: V,
        ) -> Result<V::Value, HostError> {
            seed.deserialize(Host(self.1.take().unwrap_or(Value::Null)))
        }
    }

    /// Keys become owned strings.
    struct Text;

    impl KeyTarget for Text {
        type Ok = String;
        type Error = serde_json::Error;
        fn key(self, text: &str) -> Result<String, serde_json::Error> {
            Ok(text.to_owned())
        }
    }

    #[test]
    fn map_keys_become_text_as_serde_json_writes_them() {
        use serde::Serialize;
        let key = |k: &dyn erased::Key| k.text();
        assert_eq!(key(&"a"), Ok("a".into()));
        assert_eq!(key(&42u32), Ok("42".into()));
        assert_eq!(key(&-7i64), Ok("-7".into()));
        assert_eq!(key(&true), Ok("true".into()));
        assert_eq!(key(&'x'), Ok("x".into()));
        assert_eq!(key(&Some("b")), Ok("b".into()));
        assert!(key(&1.5f64).is_err());
        assert!(key(&()).is_err());
        assert!(key(&vec![1]).is_err());
        // What serde_json writes for the same map.
        let map: std::collections::BTreeMap<i32, u8> = [(-1, 0), (3, 1)].into();
        let written = serde_json::to_value(&map).unwrap();
        let keys: Vec<String> = map
            .keys()
            .map(|k| k.serialize(KeySerializer(Text)).unwrap())
            .collect();
        assert_eq!(
            keys,
            written
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        );
    }

    /// Keys of different types behind one trait, for the table above.
    mod erased {
        pub trait Key {
            fn text(&self) -> Result<String, String>;
        }
        impl<T: serde::Serialize> Key for T {
            fn text(&self) -> Result<String, String> {
                self.serialize(super::KeySerializer(super::Text))
                    .map_err(|e| e.to_string())
            }
        }
    }

    fn box_with_x(x: Value) -> Value {
        json!({"boxes": [{"x": x, "y": 0, "width": 1, "height": 1, "frameNumber": 0}]})
    }

    #[test]
    fn host_errors_become_typed_errors_at_their_path() {
        let read = |v: Value| BoundingBoxSequence::read(|| Host(v.clone())).unwrap_err();
        let e = read(box_with_x(json!("!nan")));
        assert_eq!(
            (e.code(), e.path()),
            ("non-finite-number", Some("boxes[0].x"))
        );
        let e = read(box_with_x(json!("!function")));
        assert_eq!((e.code(), e.path()), ("invalid-type", Some("boxes[0].x")));
        assert!(e.to_string().contains("a function"), "{e}");
        let e = read(json!({"boxes": [{"x": 1, "y": 0, "width": 1, "frameNumber": 0}]}));
        assert_eq!((e.code(), e.path()), ("missing-field", Some("boxes[0]")));
        let e = read(box_with_x(json!("left")));
        assert_eq!((e.code(), e.path()), ("invalid-type", Some("boxes[0].x")));
    }

    #[test]
    fn documents_read_from_a_host_equal_documents_read_from_text() {
        let seq = box_with_x(json!(2.5));
        let docs = [
            seq.clone(),
            json!({"id": "a", "boundingBoxSequence": seq, "videoId": "v"}),
            // A line whose `data` comes before its `type`.
            json!({"data": {"boundingBoxSequence": seq, "id": "a"}, "type": "annotation"}),
            // A bare sequence whose unknown fields are named like a line's.
            json!({"id": 7, "boxes": [], "data": {"boundingBoxSequence": 1}, "type": 3, "zz": null}),
            json!([1, 2]),
            json!({"type": "video", "data": {}}),
            json!({"type": "annotation", "data": 5}),
            json!({"data": {"id": "x"}, "type": "annotation"}),
        ];
        for doc in docs {
            let text = doc.to_string();
            let from_text = SequenceInput::from_json(&text);
            let from_host = SequenceInput::read(|| Host(doc.clone()));
            match (from_text, from_host) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                (a, b) => panic!("{text}: {a:?} / {b:?}"),
            }
        }
    }
}
