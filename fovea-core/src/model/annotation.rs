//! Annotations, FOVEA's `TypeAnnotation | ObjectAnnotation`: a bounding-box sequence on a
//! video, typed by a persona's ontology (`annotationType: "type"`) or linked to a world object
//! (`"object"`).

use super::parse::{finite, required};
use super::raw::{RawSequence, lenient_struct};
use super::serialize::{Fields, WriteFields};
use super::{BoundingBoxSequence, SequenceOut};
use crate::error::Result;
use serde_json::{Map, Value};

lenient_struct! {
    /// An annotation as read: nothing required, frames unchecked (validation reports).
    pub(crate) struct RawAnnotation {
        id: String = "id",
        video_id: String = "videoId",
        annotation_type: String = "annotationType",
        bounding_box_sequence: RawSequence = "boundingBoxSequence",
        persona_id: String = "personaId",
        type_category: String = "typeCategory",
        type_id: String = "typeId",
        linked_entity_id: String = "linkedEntityId",
        linked_event_id: String = "linkedEventId",
        linked_time_id: String = "linkedTimeId",
        linked_location_id: String = "linkedLocationId",
        linked_collection_id: String = "linkedCollectionId",
        linked_collection_type: String = "linkedCollectionType",
        confidence: f64 = "confidence",
        notes: String = "notes",
        metadata: Map<String, Value> = "metadata",
        created_by: String = "createdBy",
        created_at: String = "createdAt",
        updated_at: String = "updatedAt",
    }
}

/// An annotation with a checked sequence.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotation {
    /// Id (any string on import).
    pub id: String,
    /// The video.
    pub video_id: String,
    /// `"type"` or `"object"` (other strings are kept; absent is read by FOVEA as `"type"`).
    pub annotation_type: Option<String>,
    /// The keyframes, segments and visibility.
    pub bounding_box_sequence: BoundingBoxSequence,
    /// Persona whose ontology types the annotation (type annotations).
    pub persona_id: Option<String>,
    /// `entity`, `role` or `event` (type annotations).
    pub type_category: Option<String>,
    /// The assigned type (type annotations).
    pub type_id: Option<String>,
    /// Linked entity (object annotations).
    pub linked_entity_id: Option<String>,
    /// Linked event (object annotations).
    pub linked_event_id: Option<String>,
    /// Linked time (object annotations).
    pub linked_time_id: Option<String>,
    /// Linked location (object annotations).
    pub linked_location_id: Option<String>,
    /// Linked collection (object annotations).
    pub linked_collection_id: Option<String>,
    /// `entity`, `event` or `time`: the kind of the linked collection.
    pub linked_collection_type: Option<String>,
    /// Confidence, 0–1.
    pub confidence: Option<f64>,
    /// Notes.
    pub notes: Option<String>,
    /// Free-form metadata.
    pub metadata: Option<Map<String, Value>>,
    /// Author.
    pub created_by: Option<String>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
    /// Other fields (`time`, `timeSpan`, `_ui`, anything unknown), in their order.
    pub extra: Map<String, Value>,
}

impl Annotation {
    /// Whether this is an object annotation (linked to a world object).
    pub fn is_object(&self) -> bool {
        self.annotation_type.as_deref() == Some("object")
    }

    /// The kind FOVEA files it under: `"object"`, else `"type"` (FOVEA's default).
    pub fn kind(&self) -> &str {
        if self.is_object() { "object" } else { "type" }
    }

    /// The ids of the world objects the annotation links to, with their kinds
    /// (`entity`, `event`, `time`, `location`, `collection`).
    pub fn linked_ids(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("entity", &self.linked_entity_id),
            ("event", &self.linked_event_id),
            ("time", &self.linked_time_id),
            ("location", &self.linked_location_id),
            ("collection", &self.linked_collection_id),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|s| !s.is_empty()).map(|s| (k, s)))
    }

    /// Reads an annotation from JSON text.
    ///
    /// ```
    /// use fovea_core::model::Annotation;
    /// let a = Annotation::from_json(r#"{"id":"a","videoId":"v","annotationType":"type",
    ///   "boundingBoxSequence":{"boxes":[]}}"#).unwrap();
    /// assert_eq!(a.kind(), "type");
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        if let Some(record) = crate::jsonl::fast::annotation_object(text) {
            return record.0.convert();
        }
        super::parse::from_str::<RawAnnotation>(text)?.convert()
    }

    /// Reads an annotation from a parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self> {
        Self::read(|| &value)
    }

    /// Reads an annotation from the deserializers `make` returns, whose errors the model can
    /// type (see [`crate::host`]): a binding reads its host's objects with this. `make` is
    /// called again only when the first reading fails (to name the path).
    pub fn read<'de, D>(make: impl FnMut() -> D) -> Result<Self>
    where
        D: serde::Deserializer<'de>,
        D::Error: crate::host::ReadError,
    {
        super::parse::deserialize::<RawAnnotation, D>(make)?.convert()
    }
}

impl RawAnnotation {
    /// Checks the required fields and the sequence, giving the typed annotation.
    pub(crate) fn convert(self) -> Result<Annotation> {
        let (mut a, sequence) = self.into_parts()?;
        a.bounding_box_sequence = sequence.convert_in_annotation()?;
        Ok(a)
    }

    /// Checks and converts everything but the sequence, which is returned as read (the
    /// annotation's own is left empty): for callers that need the sequence only sometimes.
    pub(crate) fn into_parts(self) -> Result<(Annotation, RawSequence)> {
        let here = String::new;
        let sequence = required(self.bounding_box_sequence, here, "boundingBoxSequence")?;
        let a = Annotation {
            id: required(self.id, here, "id")?,
            video_id: required(self.video_id, here, "videoId")?,
            annotation_type: self.annotation_type,
            bounding_box_sequence: BoundingBoxSequence::default(),
            persona_id: self.persona_id,
            type_category: self.type_category,
            type_id: self.type_id,
            linked_entity_id: self.linked_entity_id,
            linked_event_id: self.linked_event_id,
            linked_time_id: self.linked_time_id,
            linked_location_id: self.linked_location_id,
            linked_collection_id: self.linked_collection_id,
            linked_collection_type: self.linked_collection_type,
            confidence: self
                .confidence
                .map(|c| finite(c, || "confidence".into()))
                .transpose()?,
            notes: self.notes,
            metadata: self.metadata,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            extra: self.extra,
        };
        Ok((a, sequence))
    }
}

/// An annotation written with a chosen rendering of its sequence.
pub(crate) struct AnnotationOut<'a> {
    pub annotation: &'a Annotation,
    pub sequence: SequenceOut<'a>,
}

/// A string field FOVEA writes only when truthy (non-empty).
fn truthy(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

impl WriteFields for AnnotationOut<'_> {
    /// FOVEA's exporter's order: `id, videoId, annotationType, boundingBoxSequence, createdAt,
    /// updatedAt`, the type fields, the links (only when non-empty), `confidence` (0 kept),
    /// `notes` (only when non-empty), `metadata`, `createdBy`, then any other field.
    fn write_fields<F: Fields>(&self, o: &mut F) {
        let a = self.annotation;
        o.str("id", &a.id);
        o.str("videoId", &a.video_id);
        if let Some(t) = &a.annotation_type {
            o.str("annotationType", t);
        }
        o.object("boundingBoxSequence", &self.sequence);
        let present = [
            ("createdAt", &a.created_at),
            ("updatedAt", &a.updated_at),
            ("personaId", &a.persona_id),
            ("typeCategory", &a.type_category),
            ("typeId", &a.type_id),
        ];
        for (key, v) in present {
            if let Some(v) = v {
                o.str(key, v);
            }
        }
        let links = [
            ("linkedEntityId", &a.linked_entity_id),
            ("linkedEventId", &a.linked_event_id),
            ("linkedTimeId", &a.linked_time_id),
            ("linkedLocationId", &a.linked_location_id),
        ];
        for (key, v) in links {
            if let Some(v) = truthy(v) {
                o.str(key, v);
            }
        }
        if let Some(c) = truthy(&a.linked_collection_id) {
            o.str("linkedCollectionId", c);
            if let Some(t) = &a.linked_collection_type {
                o.str("linkedCollectionType", t);
            }
        }
        if let Some(c) = a.confidence {
            o.num("confidence", c);
        }
        if let Some(n) = truthy(&a.notes) {
            o.str("notes", n);
        }
        if let Some(meta) = &a.metadata {
            o.value("metadata", meta);
        }
        if let Some(c) = truthy(&a.created_by) {
            o.str("createdBy", c);
        }
        o.extras(&a.extra);
    }
}

impl WriteFields for Annotation {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        AnnotationOut {
            annotation: self,
            sequence: SequenceOut::stored(&self.bounding_box_sequence),
        }
        .write_fields(o);
    }
}

super::serialize::impl_serialize_via_fields!(Annotation);
