//! The response of FOVEA's model service to `POST /api/tracking/track` (frames, each with its
//! objects' COCO RLE masks) and its pivot from frame-major masks into one [`Track`] per object.

use super::convert::{Track, TrackFrame};
use super::rle::RleMask;
use crate::error::{Error, Result};
use crate::model::Frame;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One object's mask at one frame.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServiceMask {
    /// The object (as given in the request's `object_ids`).
    pub object_id: i64,
    /// `{size: [h, w], counts}` (COCO RLE, column-major).
    pub mask_rle: Value,
    /// 0–1.
    pub confidence: f64,
    /// Whether the model considers the object hidden.
    pub is_occluded: bool,
}

/// One frame of the response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServiceFrame {
    /// The frame.
    pub frame_number: Frame,
    /// Seconds (frame / fps).
    #[serde(default)]
    pub timestamp: f64,
    /// The objects' masks.
    pub masks: Vec<ServiceMask>,
}

/// The model service's tracking response (fields fovea reads; others are ignored).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServiceResponse {
    /// The video.
    pub video_id: String,
    /// Frame by frame.
    pub frames: Vec<ServiceFrame>,
    /// Pixels.
    pub video_width: u32,
    /// Pixels.
    pub video_height: u32,
}

impl ServiceResponse {
    /// Reads the response's JSON, naming the field that is wrong.
    pub fn from_json(text: &str) -> Result<Self> {
        crate::model::parse::from_str(text)
    }

    /// Reads the response from a JSON value, naming the field that is wrong.
    pub fn from_value(value: Value) -> Result<Self> {
        crate::model::parse::from_value(value)
    }
}

/// Pivots a response into one track per object, ascending by object id, each with its frames
/// ascending: a mask's bounding box becomes the frame's box; a frame whose mask is empty (the
/// object was lost) is left out of its track; the track's confidence is the mean of its
/// frames'. `label` names each object (default: `object <id>`), `model` becomes the tracks'
/// `model`. O(masks × runs + masks log masks).
///
/// ```
/// use fovea_core::track::{ServiceResponse, tracks_from_response};
/// let r = ServiceResponse::from_json(r#"{"id":"j","video_id":"v","video_width":3,"video_height":4,
///   "frames":[{"frame_number":0,"timestamp":0,"processing_time":0.1,"masks":[
///     {"object_id":1,"mask_rle":{"size":[4,3],"counts":[5,2,5]},"confidence":0.5,"is_occluded":false}]}]}"#).unwrap();
/// let tracks = tracks_from_response(&r, |_| None, "samurai").unwrap();
/// assert_eq!(tracks[0].frames[0].bbox, [1.0, 1.0, 1.0, 2.0]);
/// assert_eq!(tracks[0].label, "object 1");
/// ```
pub fn tracks_from_response(
    response: &ServiceResponse,
    label: impl Fn(i64) -> Option<String>,
    model: &str,
) -> Result<Vec<Track>> {
    let mut by_object: BTreeMap<i64, Vec<TrackFrame>> = BTreeMap::new();
    for (fi, frame) in response.frames.iter().enumerate() {
        for (mi, mask) in frame.masks.iter().enumerate() {
            let at = |e: Error| e.at_path(&format!("frames[{fi}].masks[{mi}].mask_rle"));
            let rle = RleMask::from_value(&mask.mask_rle).map_err(at)?;
            let frames = by_object.entry(mask.object_id).or_default();
            if let Some(bbox) = rle.bbox() {
                frames.push(TrackFrame {
                    frame_number: frame.frame_number,
                    bbox,
                    confidence: mask.confidence,
                    occluded: mask.is_occluded,
                });
            }
        }
    }
    Ok(by_object
        .into_iter()
        .map(|(id, mut frames)| {
            frames.sort_by_key(|f| f.frame_number);
            let confidence = if frames.is_empty() {
                0.0
            } else {
                frames.iter().map(|f| f.confidence).sum::<f64>() / frames.len() as f64
            };
            Track {
                track_id: Value::from(id),
                label: label(id).unwrap_or_else(|| format!("object {id}")),
                confidence,
                model: model.to_owned(),
                frames,
                video_width: response.video_width,
                video_height: response.video_height,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_pivot_into_tracks_and_lost_frames_are_left_out() {
        let mask = |counts: &str| serde_json::json!({"size": [4, 3], "counts": counts});
        let m = |id, counts: &str, conf| ServiceMask {
            object_id: id,
            mask_rle: mask(counts),
            confidence: conf,
            is_occluded: conf < 0.5,
        };
        let response = ServiceResponse {
            video_id: "v".into(),
            video_width: 3,
            video_height: 4,
            frames: vec![
                ServiceFrame {
                    frame_number: 7,
                    timestamp: 0.0,
                    masks: vec![m(2, "0<", 0.9), m(1, "525", 0.6)],
                },
                ServiceFrame {
                    frame_number: 3,
                    timestamp: 0.0,
                    masks: vec![m(1, "0<", 0.2), m(2, "<", 0.4)],
                },
            ],
        };
        let tracks =
            tracks_from_response(&response, |id| (id == 2).then(|| "ship".into()), "sam2").unwrap();
        assert_eq!(tracks.len(), 2);
        let one = &tracks[0];
        assert_eq!(one.track_id, Value::from(1));
        let frames: Vec<_> = one
            .frames
            .iter()
            .map(|f| (f.frame_number, f.bbox, f.occluded))
            .collect();
        // "0<": no zeros, then 12 ones: the whole 3×4 frame. "525": rows 1–2 of column 1.
        assert_eq!(
            frames,
            [
                (3, [0.0, 0.0, 3.0, 4.0], true),
                (7, [1.0, 1.0, 1.0, 2.0], false)
            ]
        );
        assert!((one.confidence - 0.4).abs() < 1e-12);
        // Object 2: lost at frame 3 (an empty mask), so one frame.
        assert_eq!(tracks[1].label, "ship");
        let frames: Vec<_> = tracks[1].frames.iter().map(|f| f.frame_number).collect();
        assert_eq!(frames, [7]);
        let bad = ServiceResponse {
            frames: vec![ServiceFrame {
                frame_number: 0,
                timestamp: 0.0,
                masks: vec![m(1, "1", 1.0)],
            }],
            ..response
        };
        let e = tracks_from_response(&bad, |_| None, "x").unwrap_err();
        assert!(
            e.to_string().starts_with("frames[0].masks[0].mask_rle"),
            "{e}"
        );
    }
}
