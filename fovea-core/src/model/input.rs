//! Recognising where a sequence sits in a JSON document: a bare `BoundingBoxSequence`, an
//! annotation (`{…, "boundingBoxSequence": {…}}`) or an annotation JSON Lines record
//! (`{"type": "annotation", "data": {…}}`).

use super::BoundingBoxSequence;
use super::raw::{Key, RawSequence};
use crate::error::{Error, Result};
use crate::host::ReadError;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// What kind of document a sequence was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceSource {
    /// The document was the sequence itself.
    Sequence,
    /// The document was an annotation; its `id`, when it has one.
    Annotation {
        /// The annotation's id.
        id: Option<String>,
    },
    /// The document was an `annotation` JSON Lines record; the annotation's `id`.
    AnnotationLine {
        /// The annotation's id.
        id: Option<String>,
    },
}

/// A sequence read from a document of any accepted kind.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceInput {
    /// The sequence.
    pub sequence: BoundingBoxSequence,
    /// Where it was found.
    pub source: SequenceSource,
}

impl SequenceInput {
    /// Reads JSON text holding a sequence, an annotation, or an annotation line.
    ///
    /// ```
    /// use fovea_core::model::{SequenceInput, SequenceSource};
    /// let line = r#"{"type":"annotation","data":{"id":"a1","boundingBoxSequence":{"boxes":[]}}}"#;
    /// let input = SequenceInput::from_json(line).unwrap();
    /// assert_eq!(input.source, SequenceSource::AnnotationLine { id: Some("a1".into()) });
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        super::parse::from_str::<RawInput>(text)?.into_input()
    }

    /// Like [`SequenceInput::from_json`], from a parsed value.
    pub fn from_value(value: Value) -> Result<Self> {
        Self::read(|| &value)
    }

    /// Like [`SequenceInput::from_json`], from the deserializers `make` returns, whose errors
    /// the model can type (see [`crate::host`]): a binding reads its host's objects with this.
    /// `make` is called again only when the first reading fails (to name the path).
    pub fn read<'de, D>(make: impl FnMut() -> D) -> Result<Self>
    where
        D: Deserializer<'de>,
        D::Error: ReadError,
    {
        super::parse::deserialize::<RawInput, D>(make)?.into_input()
    }
}

/// A document that may hold a sequence, read in one pass (no intermediate JSON value): the
/// fields of a bare sequence, an annotation's `boundingBoxSequence` and `id`, a line's `type`
/// and `data`. Which of them counts is decided at the end, as the keys may come in any order:
/// a line (`data` with a string `type`) first, then an annotation (`boundingBoxSequence`),
/// then a bare sequence (`boxes`, `interpolationSegments` or `visibilityRanges`). Every part is
/// read as what it would be, so a part that turns out unused must still be well-formed (a
/// bare sequence whose unknown `data` field holds a `boundingBoxSequence` that is not an
/// object is refused).
enum RawInput {
    /// Not an object: what it was.
    NotObject(&'static str),
    /// An object.
    Object(Box<RawObject>),
}

/// The parts of an object [`RawInput`] looks at.
#[derive(Default)]
struct RawObject {
    /// The fields of a bare sequence; every other key is among its extras, in order.
    bare: RawSequence,
    /// `boundingBoxSequence`.
    nested: Option<RawSequence>,
    /// `id`.
    id: Option<Value>,
    /// `type`.
    kind: Option<Value>,
    /// `data` (a placeholder holds its place among the bare sequence's extras).
    data: Option<RawData>,
}

/// The `data` of what may be an annotation line.
enum RawData {
    /// An object: its `id`, its `boundingBoxSequence` and its other fields.
    Object {
        id: Option<Value>,
        sequence: Option<Box<RawSequence>>,
        rest: Map<String, Value>,
    },
    /// Anything else.
    Other(Value),
}

impl RawInput {
    fn into_input(self) -> Result<SequenceInput> {
        let obj = match self {
            RawInput::NotObject(kind) => {
                return Err(Error::UnrecognisedInput {
                    message: format!("expected a JSON object, got {kind}"),
                });
            }
            RawInput::Object(obj) => *obj,
        };
        let line_kind = obj.kind.as_ref().and_then(Value::as_str);
        if let (Some(data), Some(kind)) = (obj.data.as_ref(), line_kind) {
            if kind != "annotation" {
                return Err(Error::UnrecognisedInput {
                    message: format!("a `{kind}` line holds no bounding-box sequence"),
                });
            }
            let RawData::Object { id, .. } = data else {
                return Err(Error::InvalidType {
                    path: "data".into(),
                    message: "expected an annotation object".into(),
                });
            };
            let id = id_of(id.as_ref());
            let Some(RawData::Object { sequence, .. }) = obj.data else {
                unreachable!("matched above")
            };
            return Ok(SequenceInput {
                sequence: nested_sequence(sequence.map(|s| *s), "data")?,
                source: SequenceSource::AnnotationLine { id },
            });
        }
        if obj.nested.is_some() {
            return Ok(SequenceInput {
                sequence: nested_sequence(obj.nested, "")?,
                source: SequenceSource::Annotation {
                    id: id_of(obj.id.as_ref()),
                },
            });
        }
        let mut bare = obj.bare;
        if bare.boxes.is_none()
            && bare.interpolation_segments.is_none()
            && bare.visibility_ranges.is_none()
        {
            return Err(Error::UnrecognisedInput {
                message: "expected a bounding-box sequence (with `boxes`), an annotation (with \
                          `boundingBoxSequence`) or an annotation line (`{\"type\":\"annotation\",\"data\":…}`)"
                    .into(),
            });
        }
        if let Some(data) = obj.data
            && let Some(slot) = bare.extra.get_mut("data")
        {
            // `data` was an unknown field of a bare sequence after all.
            *slot = data.into_value();
        }
        Ok(SequenceInput {
            sequence: bare.convert()?,
            source: SequenceSource::Sequence,
        })
    }
}

impl RawData {
    /// The value as read (the fields of a `boundingBoxSequence` in their written order).
    fn into_value(self) -> Value {
        match self {
            RawData::Other(v) => v,
            RawData::Object { id, sequence, rest } => {
                let mut map = Map::new();
                if let Some(id) = id {
                    map.insert("id".into(), id);
                }
                if let Some(seq) = sequence {
                    let seq = serde_json::to_value(*seq).unwrap_or(Value::Null);
                    map.insert("boundingBoxSequence".into(), seq);
                }
                map.extend(rest);
                Value::Object(map)
            }
        }
    }
}

/// The `boundingBoxSequence` of an annotation under `parent` (`""` at the root), required.
fn nested_sequence(seq: Option<RawSequence>, parent: &str) -> Result<BoundingBoxSequence> {
    let seq = seq.ok_or_else(|| Error::MissingField {
        path: if parent.is_empty() { "$" } else { parent }.to_owned(),
        field: "boundingBoxSequence".into(),
    })?;
    let path = if parent.is_empty() {
        "boundingBoxSequence".to_owned()
    } else {
        format!("{parent}.boundingBoxSequence")
    };
    seq.convert().map_err(|e| e.at_path(&path))
}

/// What a non-object document is, for [`RawInput::NotObject`].
macro_rules! not_an_object {
    ($($method:ident($($arg:ty)?) => $kind:literal),*) => {$(
        fn $method<E: de::Error>(self $(, _: $arg)?) -> std::result::Result<RawInput, E> {
            Ok(RawInput::NotObject($kind))
        }
    )*};
}

impl<'de> Deserialize<'de> for RawInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawInput, A::Error> {
                let mut obj = RawObject::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let key = key.as_str();
                    match key {
                        "boundingBoxSequence" => obj.nested = Some(map.next_value()?),
                        "data" => {
                            obj.data = Some(map.next_value()?);
                            obj.bare.extra.insert(key.to_owned(), Value::Null);
                        }
                        "id" | "type" => {
                            let value: Value = map.next_value()?;
                            let slot = if key == "id" {
                                &mut obj.id
                            } else {
                                &mut obj.kind
                            };
                            *slot = Some(value.clone());
                            obj.bare.extra.insert(key.to_owned(), value);
                        }
                        _ => {
                            if !obj.bare.read_field(key, &mut map)? {
                                let value: Value = map.next_value()?;
                                obj.bare.extra.insert(key.to_owned(), value);
                            }
                        }
                    }
                }
                Ok(RawInput::Object(Box::new(obj)))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<RawInput, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawInput::NotObject("an array"))
            }
            not_an_object!(
                visit_unit() => "null",
                visit_bool(bool) => "a boolean",
                visit_i64(i64) => "a number",
                visit_u64(u64) => "a number",
                visit_f64(f64) => "a number",
                visit_str(&str) => "a string"
            );
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // An object is read field by field; anything else as a JSON value.
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawData, A::Error> {
                let (mut id, mut sequence, mut rest) = (None, None, Map::new());
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "id" => id = Some(map.next_value()?),
                        "boundingBoxSequence" => sequence = Some(map.next_value()?),
                        _ => {
                            let value: Value = map.next_value()?;
                            rest.insert(key.into_owned(), value);
                        }
                    }
                }
                Ok(RawData::Object { id, sequence, rest })
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<RawData, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(RawData::Other)
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<RawData, E> {
                Ok(RawData::Other(Value::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<RawData, E> {
                Ok(RawData::Other(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<RawData, E> {
                Ok(RawData::Other(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<RawData, E> {
                Ok(RawData::Other(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<RawData, E> {
                Ok(RawData::Other(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<RawData, E> {
                Ok(RawData::Other(v.into()))
            }
        }
        d.deserialize_any(V)
    }
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_three_shapes_and_locates_errors() {
        let seq = r#"{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":0}]}"#;
        assert_eq!(
            SequenceInput::from_json(seq).unwrap().source,
            SequenceSource::Sequence
        );
        let ann = format!(r#"{{"id":"a","boundingBoxSequence":{seq}}}"#);
        assert_eq!(
            SequenceInput::from_json(&ann).unwrap().source,
            SequenceSource::Annotation {
                id: Some("a".into())
            }
        );
        let bad = r#"{"type":"annotation","data":{"boundingBoxSequence":{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":-1}]}}}"#;
        let e = SequenceInput::from_json(bad).unwrap_err();
        assert_eq!(
            e.path(),
            Some("data.boundingBoxSequence.boxes[0].frameNumber")
        );
        let e = SequenceInput::from_json(r#"{"type":"video","data":{}}"#).unwrap_err();
        assert_eq!(e.code(), "unrecognised-input");
        let e = SequenceInput::from_json("[1]").unwrap_err();
        assert_eq!(e.code(), "unrecognised-input");
        let e = SequenceInput::from_json(r#"{"type":"annotation","data":{"id":"x"}}"#).unwrap_err();
        assert_eq!(e.code(), "missing-field");
    }
}
