//! FOVEA's `annotations` rows: the `frames` JSONB column holds one of two layouts,
//! and the scalar columns repeat part of the annotation.
//!
//! * Layout A (FOVEA's UI): `frames` is the bare `BoundingBoxSequence`; the annotation's other
//!   fields live only in the scalar columns, and most are lost (`typeCategory`, notes,
//!   metadata, location and collection links).
//! * Layout B (FOVEA's importer): `frames` is the whole annotation object.
//!
//! [`decode`] reads both (`frames.boundingBoxSequence` an object: B; `frames.boxes` an array:
//! A; anything else, such as the legacy `{keyframes, interpolationMode}` shapes, is unreadable)
//! and names the row in every error, so a store can report bad rows instead of failing a
//! whole export. The row's `id` and `videoId` columns are authoritative over what `frames`
//! says. From layout A the annotation is rebuilt as FOVEA's UI rebuilds it on reload: a type
//! annotation gets `typeId` = `label` and `typeCategory: "entity"`, an object annotation
//! `linkedEntityId` = `label` (`"unlabeled"` means none).
//!
//! [`encode`] writes either layout and always fills the scalar columns by FOVEA's rule for that
//! layout. `personaId` is a non-null foreign key to `personas`: a type annotation must have a
//! persona; an object annotation has none of its own, so the caller names the persona its row
//! is filed under ([`EncodeOptions::object_persona`] — the stores use one system persona per
//! user; FOVEA writes the video id or `""`, which violates the key).

use fovea_core::model::{Annotation, BoundingBoxSequence};
use serde_json::Value;

/// The layout of the `frames` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// FOVEA's UI: the bare sequence.
    Ui,
    /// FOVEA's importer: the whole annotation (fovea's default: nothing is lost).
    #[default]
    Whole,
}

impl Layout {
    /// `whole` or `ui`; another name is an `invalid-option` error naming it.
    pub fn parse(name: &str) -> fovea_core::Result<Self> {
        match name {
            "whole" => Ok(Layout::Whole),
            "ui" => Ok(Layout::Ui),
            other => Err(fovea_core::Error::InvalidOption {
                option: "layout",
                value: other.to_owned(),
                expected: "whole, ui",
            }),
        }
    }
}

/// One row of FOVEA's `annotations` table, without its timestamps (which the store sets).
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationRow {
    /// `id`.
    pub id: String,
    /// `videoId`.
    pub video_id: String,
    /// `personaId` (a foreign key to `personas`).
    pub persona_id: String,
    /// `type`: `"type"` or `"object"`.
    pub kind: String,
    /// `label`.
    pub label: String,
    /// `frames`, as JSON text.
    pub frames: String,
    /// `confidence`.
    pub confidence: Option<f64>,
    /// `source`: `"manual"` or `"import"` in FOVEA's rows.
    pub source: String,
}

/// A row that does not hold a readable annotation, or an annotation that cannot be a row.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// `frames` is in neither layout.
    #[error("annotation row {id}: {reason}")]
    Unreadable {
        /// The row's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// `frames` is in a layout but its content is invalid.
    #[error("annotation row {id}: {error}")]
    Invalid {
        /// The row's id.
        id: String,
        /// The error, with the path inside `frames`.
        error: fovea_core::Error,
    },
    /// A type annotation without a persona cannot be stored (`personaId` is a foreign key).
    #[error("annotation {id}: a type annotation needs a personaId to be stored")]
    MissingPersona {
        /// The annotation's id.
        id: String,
    },
}

impl RowError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RowError::Unreadable { .. } => "unreadable-row",
            RowError::Invalid { .. } => "invalid-row",
            RowError::MissingPersona { .. } => "missing-persona",
        }
    }

    /// The id of the row or annotation concerned.
    pub fn id(&self) -> &str {
        match self {
            RowError::Unreadable { id, .. }
            | RowError::Invalid { id, .. }
            | RowError::MissingPersona { id } => id,
        }
    }
}

/// The label FOVEA's UI writes when there is nothing better.
const UNLABELED: &str = "unlabeled";

/// Reads the annotation a row holds, in either layout.
///
/// ```
/// use fovea_db::{AnnotationRow, decode};
/// let row = AnnotationRow {
///     id: "a1".into(), video_id: "v1".into(), persona_id: "p1".into(),
///     kind: "type".into(), label: "car".into(), confidence: None, source: "manual".into(),
///     frames: r#"{"boxes": [
///         {"x": 1, "y": 2, "width": 3, "height": 4, "frameNumber": 0, "isKeyframe": true}
///     ]}"#.into(),
/// };
/// let a = decode(&row).unwrap();
/// assert_eq!((a.type_id.as_deref(), a.persona_id.as_deref()), (Some("car"), Some("p1")));
/// ```
pub fn decode(row: &AnnotationRow) -> Result<Annotation, RowError> {
    // The whole layout, the common case, straight from its text.
    if let Ok(mut a) = Annotation::from_json(&row.frames) {
        a.id.clone_from(&row.id);
        a.video_id.clone_from(&row.video_id);
        return Ok(a);
    }
    let invalid = |error| RowError::Invalid {
        id: row.id.clone(),
        error,
    };
    let frames = match serde_json::from_str::<Value>(&row.frames) {
        Ok(Value::Object(frames)) => frames,
        Ok(_) => return Err(unreadable(row, "frames is not a JSON object")),
        Err(e) => return Err(unreadable(row, &format!("frames is not JSON: {e}"))),
    };
    if frames
        .get("boundingBoxSequence")
        .is_some_and(Value::is_object)
    {
        let mut whole = frames;
        whole.insert("id".into(), Value::from(row.id.as_str()));
        whole.insert("videoId".into(), Value::from(row.video_id.as_str()));
        return Annotation::from_value(Value::Object(whole)).map_err(invalid);
    }
    if !frames.get("boxes").is_some_and(Value::is_array) {
        return Err(unreadable(
            row,
            "frames is neither a sequence (an array `boxes`) nor a whole annotation \
             (an object `boundingBoxSequence`)",
        ));
    }
    let sequence = BoundingBoxSequence::from_value(Value::Object(frames)).map_err(invalid)?;
    let label = Some(row.label.clone()).filter(|l| !l.is_empty() && l != UNLABELED);
    let object = row.kind == "object";
    Ok(Annotation {
        id: row.id.clone(),
        video_id: row.video_id.clone(),
        annotation_type: Some(row.kind.clone()),
        bounding_box_sequence: sequence,
        // An object row's personaId column is not the annotation's (FOVEA writes the video id).
        persona_id: (!object).then(|| row.persona_id.clone()),
        type_category: (!object).then(|| "entity".to_owned()),
        type_id: if object { None } else { label.clone() },
        linked_entity_id: if object { label } else { None },
        confidence: row.confidence,
        ..Default::default()
    })
}

fn unreadable(row: &AnnotationRow, reason: &str) -> RowError {
    RowError::Unreadable {
        id: row.id.clone(),
        reason: reason.to_owned(),
    }
}

/// How [`encode`] writes a row.
#[derive(Debug, Clone, Copy)]
pub struct EncodeOptions<'a> {
    /// Layout of `frames`.
    pub layout: Layout,
    /// The persona an object annotation's row is filed under.
    pub object_persona: &'a str,
    /// The `source` column.
    pub source: &'a str,
}

/// Makes the row that stores `a`. The scalar columns follow FOVEA's rule for the layout:
/// `label` is, for layout A, the type id (type annotations) or the first linked entity, event
/// or time (object annotations), else `"unlabeled"`; for layout B, `typeId`, else
/// `linkedEntityId`, else `""`.
pub fn encode(a: &Annotation, opts: &EncodeOptions<'_>) -> Result<AnnotationRow, RowError> {
    let object = a.is_object();
    let persona_id = if object {
        opts.object_persona.to_owned()
    } else {
        a.persona_id
            .clone()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| RowError::MissingPersona { id: a.id.clone() })?
    };
    let (label, frames) = match opts.layout {
        Layout::Ui => {
            let label = if object {
                [&a.linked_entity_id, &a.linked_event_id, &a.linked_time_id]
                    .into_iter()
                    .find_map(|l| l.clone().filter(|l| !l.is_empty()))
            } else {
                a.type_id.clone().filter(|t| !t.is_empty())
            };
            (
                label.unwrap_or_else(|| UNLABELED.to_owned()),
                serde_json::to_string(&a.bounding_box_sequence),
            )
        }
        Layout::Whole => (
            a.type_id
                .clone()
                .or_else(|| a.linked_entity_id.clone())
                .unwrap_or_default(),
            serde_json::to_string(a),
        ),
    };
    Ok(AnnotationRow {
        id: a.id.clone(),
        video_id: a.video_id.clone(),
        persona_id,
        kind: a.kind().to_owned(),
        label,
        frames: frames.expect("annotations serialize to JSON"),
        confidence: a.confidence,
        source: opts.source.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fovea_core::jsonl::{LineData, Reader};

    /// The annotations of the shared fixture of stored annotations.
    fn stored() -> Vec<Annotation> {
        let text = include_str!("../../testdata/export/fovea-stored-annotations.jsonl");
        Reader::new(text.as_bytes())
            .filter_map(|r| match r.unwrap().data {
                LineData::Annotation(a) => Some(a.into_annotation().unwrap()),
                _ => None,
            })
            .collect()
    }

    /// What `a` reads back as once written (a keyframe without `isKeyframe` is written with
    /// it: DESIGN's write convention).
    fn canonical(a: &Annotation) -> Annotation {
        Annotation::from_value(serde_json::to_value(a).unwrap()).unwrap()
    }

    const OPTS: EncodeOptions<'static> = EncodeOptions {
        layout: Layout::Whole,
        object_persona: "system-objects",
        source: "import",
    };

    #[test]
    fn the_whole_layout_round_trips_everything() {
        for a in stored() {
            let row = encode(&a, &OPTS).unwrap();
            assert_eq!(decode(&row).unwrap(), canonical(&a), "{}", a.id);
            assert_eq!(row.kind, a.kind());
            if a.is_object() {
                assert_eq!(row.persona_id, "system-objects");
            }
        }
    }

    #[test]
    fn the_ui_layout_keeps_what_fovea_s_ui_keeps() {
        let ui = EncodeOptions {
            layout: Layout::Ui,
            ..OPTS
        };
        for a in stored() {
            let row = encode(&a, &ui).unwrap();
            assert!(row.frames.starts_with(r#"{"boxes":"#), "{}", row.frames);
            let back = decode(&row).unwrap();
            assert_eq!(
                back.bounding_box_sequence,
                canonical(&a).bounding_box_sequence
            );
            assert_eq!((back.id, back.video_id), (a.id.clone(), a.video_id.clone()));
            // Lost on the way, as in FOVEA: metadata, notes, creator.
            assert_eq!((back.metadata, back.created_by), (None, None));
            if a.is_object() {
                // The fixture's object links an event: the UI's label is its id, read back
                // (as FOVEA's UI does) as a linked entity.
                assert_eq!(row.label, a.linked_event_id.clone().unwrap());
                assert_eq!(back.persona_id, None);
            } else {
                assert_eq!(back.type_id, a.type_id);
                assert_eq!(back.persona_id, a.persona_id);
                assert_eq!(back.notes, None);
            }
        }
    }

    #[test]
    fn columns_win_over_frames_and_bad_rows_are_named() {
        let a = &stored()[0];
        let mut row = encode(a, &OPTS).unwrap();
        row.frames = row
            .frames
            .replacen(&format!(r#""id":"{}""#, a.id), r#""id":"stale""#, 1);
        assert!(row.frames.contains("stale"));
        row.video_id = "other-video".into();
        let back = decode(&row).unwrap();
        assert_eq!(
            (back.id.as_str(), back.video_id.as_str()),
            (a.id.as_str(), "other-video")
        );

        let legacy = AnnotationRow {
            frames: r#"{"keyframes": [], "interpolationMode": "linear",
                        "visibilityRanges": [[0, 100]]}"#
                .into(),
            ..row.clone()
        };
        let e = decode(&legacy).unwrap_err();
        assert_eq!((e.code(), e.id()), ("unreadable-row", a.id.as_str()));
        let not_object = AnnotationRow {
            frames: r#""x""#.into(),
            ..row.clone()
        };
        assert_eq!(decode(&not_object).unwrap_err().code(), "unreadable-row");
        let bad_frame = AnnotationRow {
            frames: r#"{"boxes": [{"x": 0, "y": 0, "width": 1, "height": 1,
                                  "frameNumber": 2.5}]}"#
                .into(),
            ..row
        };
        let e = decode(&bad_frame).unwrap_err();
        assert_eq!(e.code(), "invalid-row");
        assert!(e.to_string().contains("boxes[0].frameNumber"), "{e}");
    }

    #[test]
    fn a_type_annotation_needs_a_persona() {
        let mut a = stored()[0].clone();
        a.persona_id = None;
        let e = encode(&a, &OPTS).unwrap_err();
        assert_eq!((e.code(), e.id()), ("missing-persona", a.id.as_str()));
    }
}
