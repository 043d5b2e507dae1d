//! Reviewing what a tracking job found (feature `store`): its tracks become candidates in the
//! store, which a reviewer lists, accepts as annotations or rejects.
//!
//! A tracking worker with a store registers the candidates of every job it finishes. For a
//! job whose worker had none, the candidates are registered from the job's result the first
//! time they are listed (the result holds the tracks when they fit the worker's inline limit;
//! a job past it must be tracked by a worker with a store).
//!
//! Accepting makes the candidate an annotation — a type annotation (type and persona) or an
//! object annotation (a linked entity) — from its whole track, reduced as the reviewer asks
//! (an error bound in pixels, FOVEA's decimation, or every tracked frame) and optionally
//! trimmed to a frame range. Its id is fixed by the job and the object (`{job}-obj{object}`,
//! as the worker names what it saves), so accepting again replaces it; its metadata names the
//! job, the object, the label and the model.

use super::annotate::{Reduction, Target, annotation_id, track_annotation, trim};
use super::handler::DEFAULT_TOLERANCE;
use super::payload::{Decimation, FrameRange};
use crate::error::{JobError, Result};
use crate::queue::JobQueue;
use crate::view::JobState;
use fovea_core::model::BoundingBoxSequence;
use fovea_core::track::{Track, reduce_track};
use fovea_db::{Candidate, CandidateFilter, CandidateState, NewCandidate, Review, Store};
use serde::Deserialize;
use serde_json::{Value, json};

fn invalid(field: &'static str, message: impl Into<String>) -> JobError {
    JobError::InvalidOptions {
        field,
        message: message.into(),
    }
}

/// The options of accepting a candidate, with FOVEA's camelCase keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "AcceptCandidateOptions")
)]
pub struct AcceptArgs {
    /// The type of a type annotation (with `personaId`).
    pub type_id: Option<String>,
    /// The persona whose ontology holds `typeId`.
    pub persona_id: Option<String>,
    /// `entity` (default), `role` or `event`.
    pub type_category: Option<String>,
    /// The world object of an object annotation (instead of a type).
    pub entity_id: Option<String>,
    /// Keep every tracked box within this many pixels (the default: 1).
    pub tolerance: Option<f64>,
    /// FOVEA's decimation: every N-th box, or `"auto"`.
    pub decimation: Option<Decimation>,
    /// Every tracked frame a keyframe.
    pub every_frame: Option<bool>,
    /// Only the tracked frames in this range (inclusive).
    pub frames: Option<FrameRange>,
    /// The candidate's version the reviewer saw: another is a `conflict`.
    pub version: Option<u32>,
    /// Who reviews (default: the store's user).
    pub reviewer: Option<String>,
}

/// An accepting review, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Accept {
    /// What the candidate becomes.
    pub target: Target,
    /// How its track is reduced.
    pub reduction: Reduction,
    /// The tracked frames kept.
    pub frames: Option<FrameRange>,
    /// The version the reviewer saw.
    pub version: Option<u32>,
    /// Who reviews.
    pub reviewer: Option<String>,
}

impl AcceptArgs {
    /// Checks the options: a type with its persona or an entity, one reduction at most.
    pub fn options(self) -> Result<Accept> {
        let target = match (self.type_id, self.persona_id, self.entity_id) {
            (Some(type_id), Some(persona_id), None) => Target::Type {
                type_id,
                persona_id,
                type_category: self.type_category,
            },
            (None, None, Some(entity_id)) => Target::Object { entity_id },
            (Some(_), None, None) => return Err(invalid("personaId", "a type needs its persona")),
            (None, None, None) => {
                return Err(invalid(
                    "typeId",
                    "give typeId and personaId (a type annotation) or entityId (an object annotation)",
                ));
            }
            _ => {
                return Err(invalid(
                    "entityId",
                    "give typeId and personaId, or entityId, not both",
                ));
            }
        };
        let every = self.every_frame == Some(true);
        let reduction = match (self.tolerance, self.decimation, every) {
            (None, None, false) => Reduction::Tolerance(DEFAULT_TOLERANCE),
            (Some(t), None, false) if t.is_finite() && t >= 0.0 => Reduction::Tolerance(t),
            (Some(t), None, false) => {
                return Err(invalid(
                    "tolerance",
                    format!("{t} is not a number of pixels ≥ 0"),
                ));
            }
            (None, Some(Decimation::Every(0)), false) => {
                return Err(invalid(
                    "decimation",
                    "0 keeps no box; give N ≥ 1 or \"auto\"",
                ));
            }
            (None, Some(d), false) => Reduction::Decimation(d),
            (None, None, true) => Reduction::EveryFrame,
            _ => {
                return Err(invalid(
                    "tolerance",
                    "give one reduction at most: tolerance, decimation or everyFrame",
                ));
            }
        };
        if let Some(r) = self.frames
            && r.start > r.end
        {
            return Err(invalid(
                "frames",
                format!("{}..{} ends before it starts", r.start, r.end),
            ));
        }
        Ok(Accept {
            target,
            reduction,
            frames: self.frames,
            version: self.version,
            reviewer: self.reviewer,
        })
    }
}

/// The options of rejecting a candidate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "RejectCandidateOptions")
)]
pub struct RejectArgs {
    /// Why.
    pub reason: Option<String>,
    /// The candidate's version the reviewer saw: another is a `conflict`.
    pub version: Option<u32>,
    /// Who reviews (default: the store's user).
    pub reviewer: Option<String>,
}

/// The candidates a finished job's result holds: one per track, with the worker's sequence
/// and, for a track the worker saved, its annotation (registered as accepted).
pub fn candidates_from_result(job_id: &str, result: &Value) -> Result<Vec<NewCandidate>> {
    let bad = |what: &str| JobError::InvalidState {
        id: job_id.to_owned(),
        state: "completed",
        operation: if what == "tracks" {
            "list candidates: its result does not hold its tracks (beyond the worker's inline \
             limit); track it with a worker that has a store"
        } else {
            "list candidates: its result is not a tracking result"
        },
    };
    let video_id = result["videoId"].as_str().ok_or_else(|| bad("videoId"))?;
    let tracks: Vec<Track> = match result.get("tracks") {
        Some(t) => serde_json::from_value(t.clone()).map_err(|_| bad("tracks"))?,
        None => return Err(bad("tracks")),
    };
    let saved: Vec<&str> = result["annotationIds"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let sequences = result["sequences"].as_array();
    tracks
        .into_iter()
        .map(|track| {
            let object_id = track.track_id.as_i64().ok_or_else(|| bad("trackId"))?;
            let sequence = sequences
                .and_then(|s| s.iter().find(|s| s["objectId"].as_i64() == Some(object_id)))
                .and_then(|s| BoundingBoxSequence::from_value(s["sequence"].clone()).ok())
                .unwrap_or_else(|| reduce_track(&track, DEFAULT_TOLERANCE));
            let id = annotation_id(job_id, object_id);
            Ok(NewCandidate {
                job_id: job_id.to_owned(),
                object_id,
                video_id: video_id.to_owned(),
                annotation_id: saved.contains(&id.as_str()).then_some(id),
                sequence,
                track,
            })
        })
        .collect()
}

/// Which candidates to list, with FOVEA's camelCase keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "CandidatesOptions")
)]
pub struct CandidatesArgs {
    /// Those of this tracking job.
    pub job_id: Option<String>,
    /// Those on this video.
    pub video_id: Option<String>,
    /// Those in this state.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["pending", "accepted", "rejected"]))
    )]
    pub state: Option<String>,
}

/// The candidates `args` selects, by job and object id. For a job of which the store holds
/// none, `queue` (when given) holds the job: its result registers them first (a job whose
/// worker had no store).
pub async fn candidates<Q: JobQueue>(
    store: &Store,
    queue: Option<&Q>,
    args: &CandidatesArgs,
) -> Result<Vec<Candidate>> {
    let state = args
        .state
        .as_deref()
        .map(CandidateState::parse)
        .transpose()?;
    let filter = CandidateFilter {
        job_id: args.job_id.as_deref(),
        video_id: args.video_id.as_deref(),
        state,
    };
    if let (Some(queue), Some(job_id)) = (queue, filter.job_id) {
        let of_job = CandidateFilter {
            job_id: Some(job_id),
            ..Default::default()
        };
        if store.candidates(&of_job).await?.is_empty() {
            register_from_queue(store, queue, job_id).await?;
        }
    }
    Ok(store.candidates(&filter).await?)
}

/// Registers a finished job's candidates from its result.
async fn register_from_queue<Q: JobQueue>(store: &Store, queue: &Q, job_id: &str) -> Result<()> {
    let view = queue
        .view(job_id)
        .await?
        .ok_or_else(|| JobError::NotFound(job_id.to_owned()))?;
    if view.state != JobState::Completed {
        return Err(JobError::InvalidState {
            id: job_id.to_owned(),
            state: view.state.as_str(),
            operation: "list candidates before it has completed",
        });
    }
    let result = view.result.unwrap_or(Value::Null);
    store
        .register_candidates(&candidates_from_result(job_id, &result)?)
        .await?;
    Ok(())
}

/// Writes a review into the job's log when `queue` holds the job, for the queue's other
/// clients (BullMQ's `getJobLogs`): one JSON line per review. Best effort: the store holds
/// the review, and a job evicted from the queue has no log.
async fn log_review<Q: JobQueue>(queue: Option<&Q>, c: &Candidate) {
    if let Some(queue) = queue {
        let line = json!({
            "fovea": "review",
            "objectId": c.object_id,
            "state": c.state,
            "annotationId": c.annotation_id,
            "reason": c.reason,
            "version": c.version,
            "reviewedBy": c.reviewed_by,
            "reviewedAt": c.reviewed_at,
        });
        let _ = queue.add_log(&c.job_id, &line.to_string()).await;
    }
}

/// Accepts a candidate: its track, reduced and trimmed as `accept` says, becomes an annotation
/// saved in the same transaction as the review (then logged on the job when `queue` is given).
pub async fn accept<Q: JobQueue>(
    store: &Store,
    queue: Option<&Q>,
    job_id: &str,
    object_id: i64,
    accept: Accept,
) -> Result<Candidate> {
    let (candidate, track) = store
        .candidate_track(job_id, object_id)
        .await?
        .ok_or_else(|| fovea_db::DbError::CandidateNotFound {
            job_id: job_id.to_owned(),
            object_id,
        })?;
    let track = match accept.frames {
        Some(frames) => trim(&track, frames)?,
        None => track,
    };
    let sequence = accept.reduction.apply(&track);
    let annotation = track_annotation(
        job_id,
        object_id,
        &candidate.video_id,
        &accept.target,
        &track,
        sequence,
    );
    let reviewed = store
        .review_candidate(
            job_id,
            object_id,
            Review::Accept(Box::new(annotation)),
            accept.version,
            accept.reviewer.as_deref(),
        )
        .await?;
    log_review(queue, &reviewed).await;
    Ok(reviewed)
}

/// Rejects a candidate, removing the annotation it had been accepted as (then logged on the
/// job when `queue` is given).
pub async fn reject<Q: JobQueue>(
    store: &Store,
    queue: Option<&Q>,
    job_id: &str,
    object_id: i64,
    reject: RejectArgs,
) -> Result<Candidate> {
    let reviewed = store
        .review_candidate(
            job_id,
            object_id,
            Review::Reject {
                reason: reject.reason,
            },
            reject.version,
            reject.reviewer.as_deref(),
        )
        .await?;
    log_review(queue, &reviewed).await;
    Ok(reviewed)
}
