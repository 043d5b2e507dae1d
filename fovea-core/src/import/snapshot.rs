//! What exists, as conflict detection needs it: an [`Existing`] trait that stores implement,
//! and [`Snapshot`], an in-memory implementation built from a dataset or filled by a store
//! with a few queries.

use super::dataset::Loaded;
use crate::jsonl::{LineData, Reader};
use crate::model::{Annotation, Frame, InterpolationType, KeyframePolicy};
// foldhash (hashbrown's default): the lookups run once per incoming line.
use hashbrown::{HashMap, HashSet};
use std::io::BufRead;

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

/// What exists in a store, as far as conflict detection asks.
pub trait Existing {
    /// Whether a persona with this id exists.
    fn has_persona(&self, id: &str) -> bool;
    /// Whether a video with this id exists.
    fn has_video(&self, id: &str) -> bool;
    /// The kind of the world object with this id, if one exists.
    fn object_kind(&self, id: &str) -> Option<ObjectKind>;
    /// The annotation with this id, if one exists.
    fn annotation(&self, id: &str) -> Option<AnnotationSummary>;
    /// The annotations of `owner` on `video_id`.
    fn annotations_of(&self, video_id: &str, owner: &Owner) -> Vec<AnnotationSummary>;
}

/// An in-memory [`Existing`]. Its annotations are held compactly (about 30 bytes besides
/// their ids, video, owner and keyframe pairs as text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    personas: HashSet<String>,
    videos: HashSet<String>,
    objects: HashMap<String, ObjectKind>,
    video_sizes: crate::validate::VideoSizes,
    annotations: super::summaries::Summaries,
}

impl Snapshot {
    /// An empty snapshot (importing into an empty store).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a persona.
    pub fn add_persona(&mut self, id: impl Into<String>) {
        self.personas.insert(id.into());
    }

    /// Records a video.
    pub fn add_video(&mut self, id: impl Into<String>) {
        self.videos.insert(id.into());
    }

    /// Records the size of a video, for bounds checks.
    pub fn add_video_size(&mut self, id: impl Into<String>, size: crate::validate::VideoSize) {
        self.video_sizes.insert(id.into(), size);
    }

    /// The sizes of the videos that declared one.
    pub fn video_sizes(&self) -> &crate::validate::VideoSizes {
        &self.video_sizes
    }

    /// Records a world object.
    pub fn add_object(&mut self, id: impl Into<String>, kind: ObjectKind) {
        self.objects.insert(id.into(), kind);
    }

    /// Records an annotation (replacing one with the same id).
    pub fn add_annotation(&mut self, summary: AnnotationSummary) {
        self.annotations.add(&summary);
    }

    /// Records what one record of a dataset adds: the ids of its personas, its video or its
    /// world object, or an annotation's summary. Metadata and unknown lines add nothing.
    pub fn add_record(&mut self, data: LineData, policy: KeyframePolicy) -> crate::Result<()> {
        match data {
            LineData::Ontology(o) => {
                for id in o.personas.iter().flatten().filter_map(|p| p.id.clone()) {
                    self.add_persona(id);
                }
            }
            LineData::Video(v) => {
                if let Some(id) = &v.id {
                    self.add_video(id.clone());
                    if let Some(size) = super::dataset::video_size(&v) {
                        self.add_video_size(id.clone(), size);
                    }
                }
            }
            LineData::Annotation(a) => {
                let a = a.into_annotation()?;
                self.add_annotation(AnnotationSummary::of(&a, policy));
            }
            other => {
                if let (Some(kind), Some(id)) = (super::dataset::object_kind(&other), other.id()) {
                    self.add_object(id, kind);
                }
            }
        }
        Ok(())
    }

    /// The snapshot of a JSON Lines dataset, read streaming: only ids and annotation summaries
    /// are kept, never the dataset (what `Dataset::read(..).snapshot(..)` gives, in a fraction
    /// of the memory). Annotations are converted and summarised on all cores. Records that
    /// cannot be read and invalid annotations are returned as errors and left out.
    pub fn read<R: BufRead>(
        reader: Reader<R>,
        policy: KeyframePolicy,
    ) -> (Snapshot, Vec<crate::Error>) {
        let mut snapshot = Snapshot::new();
        let errors = super::dataset::read_records(
            reader,
            |a| AnnotationSummary::of(&a, policy),
            |item| {
                match item {
                    Loaded::Annotation(summary) => snapshot.add_annotation(summary),
                    Loaded::Record(data) => snapshot.add_record(data, policy)?,
                }
                Ok(())
            },
        );
        (snapshot, errors)
    }

    /// Number of annotations recorded.
    pub fn annotation_count(&self) -> usize {
        self.annotations.len()
    }
}

impl Existing for Snapshot {
    fn has_persona(&self, id: &str) -> bool {
        self.personas.contains(id)
    }

    fn has_video(&self, id: &str) -> bool {
        self.videos.contains(id)
    }

    fn object_kind(&self, id: &str) -> Option<ObjectKind> {
        self.objects.get(id).copied()
    }

    fn annotation(&self, id: &str) -> Option<AnnotationSummary> {
        self.annotations.get(id)
    }

    fn annotations_of(&self, video_id: &str, owner: &Owner) -> Vec<AnnotationSummary> {
        self.annotations.of_owner(video_id, owner)
    }
}
