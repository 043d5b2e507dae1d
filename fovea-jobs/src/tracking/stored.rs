//! What the tracking handler asks of a store (feature `store`): a video's size, and saving
//! the annotations a job's tracks became.

use crate::error::JobError;
use crate::queue::Failure;
use fovea_core::model::Annotation;
use fovea_db::Store;

/// Opens the store at `url`.
pub(super) async fn connect(url: &str) -> crate::Result<Store> {
    Store::connect(url)
        .await
        .map_err(|e| JobError::Backend(format!("database {url}: {e}")))
}

/// The stored video's size; a missing video, or one without a size, fails the job at once.
pub(super) async fn video_size(store: &Store, video_id: &str) -> Result<(u32, u32), Failure> {
    let videos = store
        .videos()
        .await
        .map_err(|e| Failure::retryable(format!("reading video {video_id}: {e}")))?;
    let video = videos
        .iter()
        .find(|v| v.id.as_deref() == Some(video_id))
        .ok_or_else(|| {
            Failure::unrecoverable(format!("video {video_id} not found in the store"))
        })?;
    match (video.width, video.height) {
        (Some(w), Some(h)) if w >= 1.0 && h >= 1.0 => Ok((w as u32, h as u32)),
        _ => Err(Failure::unrecoverable(format!(
            "video {video_id}: its size is not stored; give videoWidth and videoHeight"
        ))),
    }
}

/// Saves the annotations in one batch; their ids.
pub(super) async fn save(
    store: &Store,
    annotations: &[Annotation],
) -> Result<Vec<String>, Failure> {
    if annotations.is_empty() {
        return Ok(Vec::new());
    }
    store
        .save_annotations(annotations)
        .await
        .map_err(|e| Failure::retryable(format!("saving the tracks: {e}")))?;
    Ok(annotations.iter().map(|a| a.id.clone()).collect())
}

/// Registers a job's tracks as review candidates.
pub(super) async fn register(
    store: &Store,
    candidates: &[fovea_db::NewCandidate],
) -> Result<(), Failure> {
    store
        .register_candidates(candidates)
        .await
        .map_err(|e| Failure::retryable(format!("registering the tracks for review: {e}")))?;
    Ok(())
}
