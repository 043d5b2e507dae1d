//! What exists, as conflict detection needs it: an [`Existing`] trait that stores implement,
//! and [`Snapshot`], an in-memory implementation built from a dataset or filled by a store
//! with a few queries.

use super::dataset::{Dataset, Loaded, object_kind, video_size};
pub use super::summary::{AnnotationSummary, ObjectKind, Owner};
use crate::jsonl::{LineData, Reader};
use crate::model::KeyframePolicy;
// foldhash (hashbrown's default): the lookups run once per incoming line.
use hashbrown::{HashMap, HashSet};
use std::io::BufRead;

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

// Built here rather than in `dataset`, which the snapshot's loading reads with.
impl Dataset {
    /// What conflict detection needs to know of this dataset.
    pub fn snapshot(&self, policy: KeyframePolicy) -> Snapshot {
        let mut s = Snapshot::new();
        for id in self.personas.keys() {
            s.add_persona(id.clone());
        }
        for (id, v) in &self.videos {
            s.add_video(id.clone());
            if let Some(size) = video_size(v) {
                s.add_video_size(id.clone(), size);
            }
        }
        for (id, o) in &self.objects {
            if let Some(kind) = object_kind(o) {
                s.add_object(id.clone(), kind);
            }
        }
        for a in self.annotations.values() {
            s.add_annotation(AnnotationSummary::of(a, policy));
        }
        s
    }
}
