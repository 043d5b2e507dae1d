//! The built-in tracking handler: reads the job's payload, asks the model service to track,
//! turns its masks into tracks and the tracks into keyframe sequences, saves them as
//! annotations when a store is configured, and returns a small result.

use super::annotate::{Reduction, Target, track_annotation};
use super::client::{ClientOptions, ModelServiceClient, TrackRequest};
use super::payload::{TrackedObject, TrackingJob};
#[cfg(feature = "store")]
use super::stored;
use crate::error::JobError;
use crate::queue::Failure;
use crate::worker::{Handler, JobContext};
use fovea_core::model::{Annotation, BoundingBoxSequence};
use fovea_core::track::{RleMask, Track, tracks_from_response};
use serde_json::{Value, json};
use std::time::Instant;

/// The reducer's default tolerance, in pixels.
pub const DEFAULT_TOLERANCE: f64 = 1.0;

/// Settings of the tracking handler.
#[derive(Debug, Clone)]
pub struct TrackingOptions {
    /// Keyframe tolerance in pixels for jobs that give none.
    pub tolerance: f64,
    /// The per-frame tracks are put in the result only when their JSON is at most this many
    /// bytes (queues keep results in memory or Redis); the keyframe sequences always are.
    pub inline_tracks_limit: usize,
    /// What one job may ask for; a job beyond these fails without retries.
    pub limits: fovea_core::limits::TrackingLimits,
}

impl Default for TrackingOptions {
    fn default() -> Self {
        TrackingOptions {
            tolerance: DEFAULT_TOLERANCE,
            inline_tracks_limit: 256 << 10,
            limits: Default::default(),
        }
    }
}

/// The handler of `track` jobs.
#[derive(Debug, Clone)]
pub struct TrackingHandler {
    client: ModelServiceClient,
    #[cfg(feature = "store")]
    store: Option<fovea_db::Store>,
    options: TrackingOptions,
}

impl TrackingHandler {
    /// A handler calling `client` that saves nothing: the sequences are in each job's result.
    pub fn new(client: ModelServiceClient, options: TrackingOptions) -> Self {
        TrackingHandler {
            client,
            #[cfg(feature = "store")]
            store: None,
            options,
        }
    }

    /// This handler, saving the tracks of jobs that name a type or an entity into `store`
    /// and reading video sizes from it.
    #[cfg(feature = "store")]
    pub fn with_store(mut self, store: fovea_db::Store) -> Self {
        self.store = Some(store);
        self
    }

    /// A handler calling the model service at `model_service`, saving into the database at
    /// `db` when given (opened here: call inside the tokio runtime the worker runs on). A
    /// database needs the `store` feature: without it, `db` is an `invalid-options` error.
    pub async fn connect(
        model_service: &str,
        db: Option<&str>,
        options: TrackingOptions,
    ) -> crate::Result<Self> {
        let client = ModelServiceClient::new(ClientOptions {
            base_url: model_service.to_owned(),
            ..Default::default()
        })
        .map_err(|f| JobError::InvalidOptions {
            field: "modelService",
            message: f.message,
        })?;
        let handler = TrackingHandler::new(client, options);
        match db {
            None => Ok(handler),
            #[cfg(feature = "store")]
            Some(url) => Ok(handler.with_store(stored::connect(url).await?)),
            #[cfg(not(feature = "store"))]
            Some(_) => Err(JobError::InvalidOptions {
                field: "db",
                message: "this build of fovea-jobs has no store (cargo feature `store`)".into(),
            }),
        }
    }

    /// Whether tracks are saved into a store.
    fn saves(&self) -> bool {
        #[cfg(feature = "store")]
        let saves = self.store.is_some();
        #[cfg(not(feature = "store"))]
        let saves = false;
        saves
    }

    /// Saves the annotations and registers every track as a review candidate (those saved as
    /// accepted) when a store is configured; the ids saved.
    async fn save(
        &self,
        job_id: &str,
        video_id: &str,
        tracks: &[Track],
        sequences: Vec<BoundingBoxSequence>,
        annotations: &[Annotation],
    ) -> Result<Vec<String>, Failure> {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            let saved = stored::save(store, annotations).await?;
            let candidates = tracks
                .iter()
                .zip(sequences)
                .map(|(track, sequence)| {
                    let object_id = track.track_id.as_i64().unwrap_or_default();
                    let id = super::annotate::annotation_id(job_id, object_id);
                    fovea_db::NewCandidate {
                        job_id: job_id.to_owned(),
                        object_id,
                        video_id: video_id.to_owned(),
                        track: track.clone(),
                        sequence,
                        annotation_id: saved.contains(&id).then_some(id),
                    }
                })
                .collect::<Vec<_>>();
            stored::register(store, &candidates).await?;
            return Ok(saved);
        }
        let _ = (job_id, video_id, tracks, sequences, annotations);
        Ok(Vec::new())
    }

    /// The video's size: the job's, else the stored video's.
    async fn video_size(&self, job: &TrackingJob) -> Result<(u32, u32), Failure> {
        if let (Some(w), Some(h)) = (job.video_width, job.video_height) {
            return Ok((w, h));
        }
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            return stored::video_size(store, &job.video_id).await;
        }
        Err(Failure::unrecoverable(format!(
            "video {}: size unknown; give videoWidth and videoHeight (or configure a store that holds the video)",
            job.video_id
        )))
    }
}

/// The service request: one raw mask per object, the frames to track.
pub fn service_request(
    job: &TrackingJob,
    width: u32,
    height: u32,
) -> Result<TrackRequest, Failure> {
    let mut masks = Vec::with_capacity(job.objects.len());
    for (i, o) in job.objects.iter().enumerate() {
        let mask = match (&o.initial_box, &o.initial_mask_rle) {
            (Some(b), _) => RleMask::from_box(width, height, [b.x, b.y, b.width, b.height]),
            (None, Some(rle)) => {
                let m = RleMask::from_value(rle).map_err(|e| {
                    Failure::unrecoverable(format!("objects[{i}].initialMaskRle: {e}"))
                })?;
                if (m.width, m.height) != (width, height) {
                    return Err(Failure::unrecoverable(format!(
                        "objects[{i}].initialMaskRle: a {}×{} mask for a {width}×{height} video",
                        m.width, m.height
                    )));
                }
                m
            }
            (None, None) => unreachable!("checked by TrackingJob::from_value"),
        };
        masks.push(TrackRequest::encode_mask(&mask.to_row_major()));
    }
    let frame_numbers = match (&job.frame_numbers, job.frame_range) {
        (Some(list), _) => list.clone(),
        (None, Some(r)) => (r.start..=r.end).collect(),
        (None, None) => Vec::new(),
    };
    Ok(TrackRequest {
        video_id: job.video_id.clone(),
        initial_masks: masks,
        object_ids: job.objects.iter().map(|o| o.object_id).collect(),
        frame_numbers,
    })
}

/// The job's reduction of its tracks: FOVEA's decimation when asked, else the error-bounded
/// reducer (tolerance 0: every tracked frame, FOVEA's plain conversion).
pub fn reduction_for(job: &TrackingJob, default_tolerance: f64) -> Reduction {
    match job.decimation {
        Some(d) => Reduction::Decimation(d),
        None => match job.tolerance.unwrap_or(default_tolerance) {
            t if t <= 0.0 => Reduction::EveryFrame,
            t => Reduction::Tolerance(t),
        },
    }
}

/// A track's keyframe sequence by the job's rule ([`reduction_for`]).
pub fn sequence_for(
    track: &Track,
    job: &TrackingJob,
    default_tolerance: f64,
) -> BoundingBoxSequence {
    reduction_for(job, default_tolerance).apply(track)
}

impl Handler for TrackingHandler {
    async fn handle(&self, ctx: JobContext) -> Result<Value, Failure> {
        let limits = &self.options.limits;
        let job = TrackingJob::from_value_within(ctx.data(), limits)
            .map_err(|m| Failure::unrecoverable(format!("invalid tracking job: {m}")))?;
        ctx.progress(5);
        let (width, height) = self.video_size(&job).await?;
        // A size from the store is checked here (one in the payload was checked with it).
        limits
            .check_request(
                &format!("video {}", job.video_id),
                width,
                height,
                job.objects.len(),
            )
            .map_err(|e| Failure::unrecoverable(format!("tracking job refused: {e}")))?;
        let request = service_request(&job, width, height)?;
        ctx.progress(10);
        let started = Instant::now();
        let response = self.client.track(&request).await?;
        ctx.progress(70);
        let label = |id: i64| {
            job.objects
                .iter()
                .find(|o| o.object_id == id)
                .and_then(|o| o.label.clone())
        };
        let mut tracks = tracks_from_response(&response, label, &job.model)
            .map_err(|e| Failure::unrecoverable(format!("model service response: {e}")))?;
        if let Some(min) = job.confidence_threshold {
            for t in &mut tracks {
                t.frames.retain(|f| f.confidence >= min);
            }
        }
        let mut sequences = Vec::with_capacity(tracks.len());
        let mut reduced = Vec::with_capacity(tracks.len());
        let mut annotations = Vec::new();
        for track in &tracks {
            let seq = sequence_for(track, &job, self.options.tolerance);
            let object_id = track.track_id.as_i64().unwrap_or_default();
            let object = job.objects.iter().find(|o| o.object_id == object_id);
            if let Some(target) = object.and_then(|o| target(&job, o))
                && !seq.boxes.is_empty()
            {
                annotations.push(track_annotation(
                    ctx.id(),
                    object_id,
                    &job.video_id,
                    &target,
                    track,
                    seq.clone(),
                ));
            }
            sequences.push(json!({
                "objectId": object_id,
                "label": track.label,
                "confidence": track.confidence,
                "trackedFrames": track.frames.len(),
                "keyframes": seq.boxes.len(),
                "sequence": seq,
            }));
            reduced.push(seq);
        }
        ctx.progress(85);
        let saved = self
            .save(ctx.id(), &job.video_id, &tracks, reduced, &annotations)
            .await?;
        let mut result = json!({
            "videoId": job.video_id,
            "model": job.model,
            "videoWidth": response.video_width,
            "videoHeight": response.video_height,
            "framesProcessed": response.frames.len(),
            "processingTimeMs": started.elapsed().as_millis() as u64,
            "trackCount": tracks.len(),
            "sequences": sequences,
        });
        if self.saves() {
            result["annotationIds"] = json!(saved);
        }
        let tracks_json = serde_json::to_value(&tracks).expect("tracks serialize");
        if tracks_json.to_string().len() <= self.options.inline_tracks_limit {
            result["tracks"] = tracks_json;
        } else {
            result["tracksOmitted"] = json!(true);
        }
        ctx.progress(100);
        Ok(result)
    }
}

/// What a job's object is saved as: a type annotation (with the job's persona) or an object
/// annotation linked to an entity; `None` when the job named neither.
fn target(job: &TrackingJob, object: &TrackedObject) -> Option<Target> {
    match (&object.type_id, &object.linked_entity_id) {
        (Some(type_id), _) => Some(Target::Type {
            type_id: type_id.clone(),
            persona_id: job.persona_id.clone().unwrap_or_default(),
            type_category: object.type_category.clone(),
        }),
        (None, Some(entity_id)) => Some(Target::Object {
            entity_id: entity_id.clone(),
        }),
        (None, None) => None,
    }
}
