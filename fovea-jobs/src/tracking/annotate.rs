//! What a track becomes when it is kept: its keyframes (by a chosen reduction) and the
//! annotation that holds them, named after the job and the object so that saving it again
//! replaces it.

use super::payload::{Decimation, FrameRange};
use crate::error::{JobError, Result};
use fovea_core::model::{Annotation, BoundingBoxSequence};
use fovea_core::track::{
    Track, decimate_keyframes, optimal_decimation, reduce_track, track_to_sequence,
};
use serde_json::json;

/// The id of the annotation a job's object becomes.
pub fn annotation_id(job_id: &str, object_id: i64) -> String {
    format!("{job_id}-obj{object_id}")
}

/// What an accepted track becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A type annotation of `persona_id`'s ontology.
    Type {
        /// The type.
        type_id: String,
        /// The persona whose ontology holds the type.
        persona_id: String,
        /// `entity`, `role` or `event` (default `entity`).
        type_category: Option<String>,
    },
    /// An object annotation linked to a world object.
    Object {
        /// The entity.
        entity_id: String,
    },
}

/// How a track is turned into keyframes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reduction {
    /// The fewest keyframes that keep every tracked box within this many pixels.
    Tolerance(f64),
    /// FOVEA's decimation: every N-th box, or the count FOVEA picks for the track's length.
    Decimation(Decimation),
    /// Every tracked frame a keyframe.
    EveryFrame,
}

impl Reduction {
    /// `track`'s keyframes. O(tracked frames).
    pub fn apply(self, track: &Track) -> BoundingBoxSequence {
        match self {
            Reduction::Tolerance(t) => reduce_track(track, t),
            Reduction::EveryFrame => track_to_sequence(track),
            Reduction::Decimation(d) => {
                let mut seq = track_to_sequence(track);
                let n = match d {
                    Decimation::Every(n) => n as usize,
                    Decimation::Auto(_) => optimal_decimation(seq.boxes.len()),
                };
                decimate_keyframes(&mut seq, n);
                seq
            }
        }
    }
}

/// `track` with only its frames in `frames`; none there is an error naming what it covers.
pub fn trim(track: &Track, frames: FrameRange) -> Result<Track> {
    let mut t = track.clone();
    t.frames
        .retain(|f| (frames.start..=frames.end).contains(&f.frame_number));
    if t.frames.is_empty() {
        return Err(JobError::InvalidOptions {
            field: "frames",
            message: format!(
                "no tracked frame in {}..{} (the track covers {})",
                frames.start,
                frames.end,
                covered(track)
            ),
        });
    }
    Ok(t)
}

/// The frames a track covers, for messages.
fn covered(track: &Track) -> String {
    match (track.frames.first(), track.frames.last()) {
        (Some(a), Some(b)) => format!("{}..{}", a.frame_number, b.frame_number),
        _ => "no frame".into(),
    }
}

/// The annotation a track becomes: its id fixed by job and object, its metadata naming the
/// job, the object, the label and the model.
pub fn track_annotation(
    job_id: &str,
    object_id: i64,
    video_id: &str,
    target: &Target,
    track: &Track,
    sequence: BoundingBoxSequence,
) -> Annotation {
    let mut metadata = serde_json::Map::new();
    metadata.insert("trackingJobId".into(), json!(job_id));
    metadata.insert("objectId".into(), json!(object_id));
    metadata.insert("label".into(), json!(track.label));
    metadata.insert("model".into(), json!(track.model));
    let mut a = Annotation {
        id: annotation_id(job_id, object_id),
        video_id: video_id.to_owned(),
        bounding_box_sequence: sequence,
        confidence: Some(track.confidence),
        metadata: Some(metadata),
        ..Default::default()
    };
    match target {
        Target::Type {
            type_id,
            persona_id,
            type_category,
        } => {
            a.annotation_type = Some("type".into());
            a.persona_id = Some(persona_id.clone());
            a.type_id = Some(type_id.clone());
            a.type_category = Some(type_category.clone().unwrap_or_else(|| "entity".into()));
        }
        Target::Object { entity_id } => {
            a.annotation_type = Some("object".into());
            a.linked_entity_id = Some(entity_id.clone());
        }
    }
    a
}
