//! Recognising where a sequence sits in a JSON document: a bare `BoundingBoxSequence`, an
//! annotation (`{…, "boundingBoxSequence": {…}}`) or an annotation JSON Lines record
//! (`{"type": "annotation", "data": {…}}`).

use super::BoundingBoxSequence;
use crate::error::{Error, Result};
use serde_json::Value;

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
        let value: Value = super::parse::from_str(text)?;
        Self::from_value(value)
    }

    /// Like [`SequenceInput::from_json`], from a parsed value.
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(mut obj) = value else {
            return Err(Error::UnrecognisedInput {
                message: format!("expected a JSON object, got {}", kind_of(&value)),
            });
        };
        if obj.contains_key("data") && obj.get("type").is_some_and(Value::is_string) {
            let kind = obj["type"].as_str().unwrap_or_default().to_owned();
            if kind != "annotation" {
                return Err(Error::UnrecognisedInput {
                    message: format!("a `{kind}` line holds no bounding-box sequence"),
                });
            }
            let Some(Value::Object(mut data)) = obj.remove("data") else {
                return Err(Error::InvalidType {
                    path: "data".into(),
                    message: "expected an annotation object".into(),
                });
            };
            let id = id_of(data.get("id"));
            let seq = take_sequence(&mut data, "data.boundingBoxSequence")?;
            return Ok(SequenceInput {
                sequence: seq,
                source: SequenceSource::AnnotationLine { id },
            });
        }
        if obj.contains_key("boundingBoxSequence") {
            let id = id_of(obj.get("id"));
            let seq = take_sequence(&mut obj, "boundingBoxSequence")?;
            return Ok(SequenceInput {
                sequence: seq,
                source: SequenceSource::Annotation { id },
            });
        }
        if ["boxes", "interpolationSegments", "visibilityRanges"]
            .iter()
            .any(|k| obj.contains_key(*k))
        {
            return Ok(SequenceInput {
                sequence: BoundingBoxSequence::from_value(Value::Object(obj))?,
                source: SequenceSource::Sequence,
            });
        }
        Err(Error::UnrecognisedInput {
            message: "expected a bounding-box sequence (with `boxes`), an annotation (with \
                      `boundingBoxSequence`) or an annotation line (`{\"type\":\"annotation\",\"data\":…}`)"
                .into(),
        })
    }
}

fn take_sequence(
    obj: &mut serde_json::Map<String, Value>,
    path: &str,
) -> Result<BoundingBoxSequence> {
    let value = obj
        .remove("boundingBoxSequence")
        .ok_or_else(|| Error::MissingField {
            path: path.rsplit_once('.').map_or("$", |(p, _)| p).to_owned(),
            field: "boundingBoxSequence".into(),
        })?;
    BoundingBoxSequence::from_value(value).map_err(|e| e.at_path(path))
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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
