//! What conflict detection knows of one annotation or world object: who owns an annotation's
//! track ([`Owner`]), its keyframe span and pairs ([`AnnotationSummary`]), an object's kind
//! ([`ObjectKind`]).

use crate::jsonl::LineData;
use crate::model::{Annotation, Frame, InterpolationType, KeyframePolicy};

/// What an annotation belongs to, for overlap detection: one tracked thing of a persona's type,
/// or a world object.
///
/// Several type annotations of one type overlapping on a video are normal (two cars at once),
/// so a type annotation has an owner only when it carries a `trackId`: two annotations of the
/// same persona, type and track on one video describe the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A tracked type annotation: persona, type and track.
    Type {
        /// The persona.
        persona_id: String,
        /// The type.
        type_id: String,
        /// The track id (as JSON text: `7` and `"7"` differ).
        track: String,
    },
    /// An object annotation: its first link (`entity`, `event`, `time`, `location`,
    /// `collection`) and the linked id.
    Object {
        /// Kind of the link.
        link: &'static str,
        /// The linked id.
        id: String,
    },
}

impl Owner {
    /// The owner of an annotation, when it has one.
    pub fn of(a: &Annotation) -> Option<Owner> {
        if a.is_object() {
            let (link, id) = a.linked_ids().next()?;
            Some(Owner::Object {
                link,
                id: id.to_owned(),
            })
        } else {
            Some(Owner::Type {
                persona_id: a.persona_id.clone()?,
                type_id: a.type_id.clone()?,
                track: a.bounding_box_sequence.track_id.as_ref()?.to_string(),
            })
        }
    }
}

/// What conflict detection needs to know about an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationSummary {
    /// Id.
    pub id: String,
    /// Video.
    pub video_id: String,
    /// Persona/type or linked object.
    pub owner: Option<Owner>,
    /// First and last keyframe.
    pub span: Option<(Frame, Frame)>,
    /// Consecutive keyframe pairs with the mode that governs each (`linear` without a segment).
    pub pairs: Vec<(Frame, Frame, InterpolationType)>,
}

impl AnnotationSummary {
    /// Summarises an annotation. O(K log K + S).
    pub fn of(a: &Annotation, policy: KeyframePolicy) -> Self {
        let seq = &a.bounding_box_sequence;
        let keys = seq.sorted_keyframes(policy);
        let pairs = keys
            .windows(2)
            .map(|w| {
                let (s, e) = (w[0].frame_number, w[1].frame_number);
                let kind = crate::interp::segment_for(&seq.interpolation_segments, s, e)
                    .map_or(InterpolationType::Linear, |i| {
                        seq.interpolation_segments[i].kind.clone()
                    });
                (s, e, kind)
            })
            .collect();
        AnnotationSummary {
            id: a.id.clone(),
            video_id: a.video_id.clone(),
            owner: Owner::of(a),
            span: seq.span(policy),
            pairs,
        }
    }
}

/// The kinds of world object (and videos) an id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// An entity or location.
    Entity,
    /// An event.
    Event,
    /// A time.
    Time,
    /// An entity collection.
    EntityCollection,
    /// An event collection.
    EventCollection,
    /// A time collection.
    TimeCollection,
    /// A relation.
    Relation,
}

impl ObjectKind {
    /// Human name, as in messages (`entity`, `eventCollection`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Entity => "entity",
            ObjectKind::Event => "event",
            ObjectKind::Time => "time",
            ObjectKind::EntityCollection => "entityCollection",
            ObjectKind::EventCollection => "eventCollection",
            ObjectKind::TimeCollection => "timeCollection",
            ObjectKind::Relation => "relation",
        }
    }
}

/// The world-object kind of a line, if it is a world object.
pub fn object_kind(data: &LineData) -> Option<ObjectKind> {
    Some(match data {
        LineData::Entity(_) => ObjectKind::Entity,
        LineData::Event(_) => ObjectKind::Event,
        LineData::Time(_) => ObjectKind::Time,
        LineData::EntityCollection(_) => ObjectKind::EntityCollection,
        LineData::EventCollection(_) => ObjectKind::EventCollection,
        LineData::TimeCollection(_) => ObjectKind::TimeCollection,
        LineData::Relation(_) => ObjectKind::Relation,
        _ => return None,
    })
}
