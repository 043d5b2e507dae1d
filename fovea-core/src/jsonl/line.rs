//! The JSON Lines record FOVEA reads and writes: `{"type": <kind>, "data": <object>}`.

use crate::error::Result;
use crate::model::{
    Annotation, Entity, EntityCollection, Event, EventCollection, ExportMetadata, OntologyData,
    OntologyRelation, RawAnnotation, Time, TimeCollection, Video,
};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// The kinds of line FOVEA's importer knows, and any other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineKind {
    /// `ontology`: personas and their ontologies.
    Ontology,
    /// `entity`.
    Entity,
    /// `event`.
    Event,
    /// `time`.
    Time,
    /// `entityCollection`.
    EntityCollection,
    /// `eventCollection`.
    EventCollection,
    /// `timeCollection`.
    TimeCollection,
    /// `relation`.
    Relation,
    /// `annotation`.
    Annotation,
    /// `video`.
    Video,
    /// `metadata`.
    Metadata,
    /// Anything else (kept verbatim, reported as a warning).
    Unknown(String),
}

impl LineKind {
    /// Parses a `type` value.
    pub fn parse(name: &str) -> Self {
        match name {
            "ontology" => LineKind::Ontology,
            "entity" => LineKind::Entity,
            "event" => LineKind::Event,
            "time" => LineKind::Time,
            "entityCollection" => LineKind::EntityCollection,
            "eventCollection" => LineKind::EventCollection,
            "timeCollection" => LineKind::TimeCollection,
            "relation" => LineKind::Relation,
            "annotation" => LineKind::Annotation,
            "video" => LineKind::Video,
            "metadata" => LineKind::Metadata,
            other => LineKind::Unknown(other.to_owned()),
        }
    }

    /// The `type` value.
    pub fn as_str(&self) -> &str {
        match self {
            LineKind::Ontology => "ontology",
            LineKind::Entity => "entity",
            LineKind::Event => "event",
            LineKind::Time => "time",
            LineKind::EntityCollection => "entityCollection",
            LineKind::EventCollection => "eventCollection",
            LineKind::TimeCollection => "timeCollection",
            LineKind::Relation => "relation",
            LineKind::Annotation => "annotation",
            LineKind::Video => "video",
            LineKind::Metadata => "metadata",
            LineKind::Unknown(s) => s,
        }
    }
}

/// An annotation as read from a line: required fields and frames not yet checked, so that
/// validation can report every problem. [`AnnotationRecord::to_annotation`] checks them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnnotationRecord(pub(crate) RawAnnotation);

impl AnnotationRecord {
    /// The `id`, if present.
    pub fn id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }

    /// The `videoId`, if present.
    pub fn video_id(&self) -> Option<&str> {
        self.0.video_id.as_deref()
    }

    /// The typed annotation, or the first problem found (a typed, located error).
    pub fn to_annotation(&self) -> Result<Annotation> {
        self.0.clone().convert()
    }

    /// Like [`AnnotationRecord::to_annotation`], consuming the record.
    pub fn into_annotation(self) -> Result<Annotation> {
        self.0.convert()
    }

    /// The annotation without its sequence (left empty), and the sequence as read.
    pub(crate) fn into_parts(self) -> Result<(Annotation, crate::model::raw::RawSequence)> {
        self.0.into_parts()
    }

    /// The boxes that are keyframes under `policy`, counted as read.
    pub fn keyframe_count(&self, policy: crate::model::KeyframePolicy) -> u64 {
        let absent = policy == crate::model::KeyframePolicy::AbsentIsKeyframe;
        self.0
            .bounding_box_sequence
            .as_ref()
            .and_then(|s| s.boxes.as_ref())
            .map_or(0, |b| {
                b.iter().filter(|b| b.is_keyframe.unwrap_or(absent)).count() as u64
            })
    }
}

impl From<Annotation> for AnnotationRecord {
    fn from(a: Annotation) -> Self {
        // The typed annotation always re-reads as its own raw mirror.
        let value = serde_json::to_value(&a).expect("annotations serialize");
        AnnotationRecord(serde_json::from_value(value).expect("written annotations read back"))
    }
}

/// The data of one line, typed by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum LineData {
    /// `ontology`.
    Ontology(OntologyData),
    /// `entity`.
    Entity(Entity),
    /// `event`.
    Event(Event),
    /// `time`.
    Time(Time),
    /// `entityCollection`.
    EntityCollection(EntityCollection),
    /// `eventCollection`.
    EventCollection(EventCollection),
    /// `timeCollection`.
    TimeCollection(TimeCollection),
    /// `relation`.
    Relation(OntologyRelation),
    /// `annotation`.
    Annotation(Box<AnnotationRecord>),
    /// `video`.
    Video(Video),
    /// `metadata`.
    Metadata(ExportMetadata),
    /// A line of a kind fovea does not know, kept verbatim.
    Unknown {
        /// Its `type`.
        kind: String,
        /// Its `data`.
        data: Value,
    },
}

impl LineData {
    /// The line's kind.
    pub fn kind(&self) -> LineKind {
        match self {
            LineData::Ontology(_) => LineKind::Ontology,
            LineData::Entity(_) => LineKind::Entity,
            LineData::Event(_) => LineKind::Event,
            LineData::Time(_) => LineKind::Time,
            LineData::EntityCollection(_) => LineKind::EntityCollection,
            LineData::EventCollection(_) => LineKind::EventCollection,
            LineData::TimeCollection(_) => LineKind::TimeCollection,
            LineData::Relation(_) => LineKind::Relation,
            LineData::Annotation(_) => LineKind::Annotation,
            LineData::Video(_) => LineKind::Video,
            LineData::Metadata(_) => LineKind::Metadata,
            LineData::Unknown { kind, .. } => LineKind::Unknown(kind.clone()),
        }
    }

    /// The `id` of the object the line carries, for kinds that have one.
    pub fn id(&self) -> Option<&str> {
        match self {
            LineData::Entity(o) => o.id.as_deref(),
            LineData::Event(o) => o.id.as_deref(),
            LineData::Time(o) => o.id.as_deref(),
            LineData::EntityCollection(o) => o.id.as_deref(),
            LineData::EventCollection(o) => o.id.as_deref(),
            LineData::TimeCollection(o) => o.id.as_deref(),
            LineData::Relation(o) => o.id.as_deref(),
            LineData::Annotation(a) => a.id(),
            LineData::Video(o) => o.id.as_deref(),
            LineData::Ontology(_) | LineData::Metadata(_) | LineData::Unknown { .. } => None,
        }
    }

    /// Reads the `data` of a line of `kind` from its JSON text (stores keep a line's `data`
    /// alone, without the envelope).
    ///
    /// ```
    /// use fovea_core::jsonl::{LineData, LineKind};
    /// let e = LineData::parse(LineKind::Entity, r#"{"id":"e1","name":"Ann"}"#).unwrap();
    /// assert_eq!(e.id(), Some("e1"));
    /// assert_eq!(e.data_json(), r#"{"id":"e1","name":"Ann"}"#);
    /// ```
    pub fn parse(kind: LineKind, data: &str) -> Result<LineData> {
        use crate::model::parse::from_str;
        Ok(match kind {
            LineKind::Ontology => LineData::Ontology(from_str(data)?),
            LineKind::Entity => LineData::Entity(from_str(data)?),
            LineKind::Event => LineData::Event(from_str(data)?),
            LineKind::Time => LineData::Time(from_str(data)?),
            LineKind::EntityCollection => LineData::EntityCollection(from_str(data)?),
            LineKind::EventCollection => LineData::EventCollection(from_str(data)?),
            LineKind::TimeCollection => LineData::TimeCollection(from_str(data)?),
            LineKind::Relation => LineData::Relation(from_str(data)?),
            LineKind::Annotation => {
                LineData::Annotation(Box::new(AnnotationRecord(from_str(data)?)))
            }
            LineKind::Video => LineData::Video(from_str(data)?),
            LineKind::Metadata => LineData::Metadata(from_str(data)?),
            LineKind::Unknown(kind) => LineData::Unknown {
                kind,
                data: from_str(data)?,
            },
        })
    }
}

impl LineData {
    /// The line's `data` as JSON text, without the envelope.
    pub fn data_json(&self) -> String {
        serde_json::to_string(&DataOut(self)).expect("line data serializes to JSON")
    }
}

/// Writes a line's `data`.
struct DataOut<'a>(&'a LineData);

impl Serialize for DataOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0 {
            LineData::Ontology(o) => o.serialize(s),
            LineData::Entity(o) => o.serialize(s),
            LineData::Event(o) => o.serialize(s),
            LineData::Time(o) => o.serialize(s),
            LineData::EntityCollection(o) => o.serialize(s),
            LineData::EventCollection(o) => o.serialize(s),
            LineData::TimeCollection(o) => o.serialize(s),
            LineData::Relation(o) => o.serialize(s),
            LineData::Annotation(a) => a.0.serialize(s),
            LineData::Video(o) => o.serialize(s),
            LineData::Metadata(o) => o.serialize(s),
            LineData::Unknown { data, .. } => data.serialize(s),
        }
    }
}

impl Serialize for LineData {
    /// The whole line: `{"type": …, "data": …}`.
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", self.kind().as_str())?;
        m.serialize_entry("data", &DataOut(self))?;
        m.end()
    }
}
