//! Tracks and their conversion into keyframe sequences with the rules of FOVEA's front end
//! (`convertTrackToSequence`), and FOVEA's decimation (`decimateKeyframes`).
//!
//! A [`Track`] holds one object's boxes in video pixels, frame by frame, with the video's
//! size (FOVEA's frontend mixes normalised, percent and pixel units; fovea keeps pixels and
//! says so). [`track_to_sequence`] makes every tracked frame a keyframe, joins every adjacent
//! pair with a linear segment (also across a hidden gap, as FOVEA does) and hides the gaps;
//! [`decimate_keyframes`] keeps every N-th box by array index, as FOVEA does.

use crate::error::Result;
use crate::model::{
    BoundingBox, BoundingBoxSequence, Frame, InterpolationSegment, InterpolationType,
    VisibilityRange,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A box at one frame of a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackFrame {
    /// The frame.
    pub frame_number: Frame,
    /// `[x, y, width, height]` in video pixels.
    #[serde(rename = "box", with = "xywh")]
    pub bbox: [f64; 4],
    /// The tracker's confidence for this frame (0–1).
    pub confidence: f64,
    /// Whether the tracker considers the object hidden here.
    pub occluded: bool,
}

/// One tracked object (FOVEA's `TrackingResult`, in pixels, with the video's size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Track {
    /// The object's id (a string or a number).
    pub track_id: Value,
    /// What the object is.
    pub label: String,
    /// The track's confidence: the mean of its frames'.
    pub confidence: f64,
    /// The model that tracked it (becomes `trackingSource`).
    pub model: String,
    /// The frames, ascending.
    pub frames: Vec<TrackFrame>,
    /// The video's width in pixels.
    pub video_width: u32,
    /// The video's height in pixels.
    pub video_height: u32,
}

impl Track {
    /// Reads a track's JSON (FOVEA's `TrackingResult` with the video's size), naming the
    /// field that is wrong.
    pub fn from_json(text: &str) -> Result<Self> {
        crate::model::parse::from_str(text)
    }

    /// Reads a track from a JSON value, naming the field that is wrong.
    pub fn from_value(value: Value) -> Result<Self> {
        crate::model::parse::from_value(value)
    }
}

/// `{x, y, width, height}` for `[f64; 4]`.
mod xywh {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Xywh {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    }

    pub fn serialize<S: Serializer>(b: &[f64; 4], s: S) -> Result<S::Ok, S::Error> {
        Xywh {
            x: b[0],
            y: b[1],
            width: b[2],
            height: b[3],
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 4], D::Error> {
        let b = Xywh::deserialize(d)?;
        Ok([b.x, b.y, b.width, b.height])
    }
}

/// FOVEA's `detectVisibilityRanges`: the visible runs of consecutive frames and the hidden
/// gaps between them, over the frames sorted (a repeated frame continues its run). O(n log n).
///
/// ```
/// use fovea_core::track::visibility_ranges;
/// let r = visibility_ranges(&[0, 1, 5, 6]);
/// let spans: Vec<_> = r.iter().map(|r| (r.start_frame, r.end_frame, r.visible)).collect();
/// assert_eq!(spans, [(0, 1, true), (2, 4, false), (5, 6, true)]);
/// ```
pub fn visibility_ranges(frames: &[Frame]) -> Vec<VisibilityRange> {
    let mut sorted = frames.to_vec();
    sorted.sort_unstable();
    ranges_in_order(sorted.len(), |i| sorted[i])
}

/// The visibility ranges of `n` frames given in ascending order by `frame(i)`. O(n).
pub(crate) fn ranges_in_order(n: usize, frame: impl Fn(usize) -> Frame) -> Vec<VisibilityRange> {
    let mut ranges = Vec::new();
    if n == 0 {
        return ranges;
    }
    let (mut start, mut prev) = (frame(0), frame(0));
    for i in 1..n {
        let f = frame(i);
        if f > prev + 1 {
            ranges.push(VisibilityRange::new(start, prev, true));
            ranges.push(VisibilityRange::new(prev + 1, f - 1, false));
            start = f;
        }
        prev = f;
    }
    ranges.push(VisibilityRange::new(start, prev, true));
    ranges
}

/// FOVEA's `createInterpolationSegments`: a linear segment between every adjacent pair of
/// boxes (none for fewer than two).
pub fn linear_segments(boxes: &[BoundingBox]) -> Vec<InterpolationSegment> {
    boxes
        .windows(2)
        .map(|w| {
            InterpolationSegment::new(
                w[0].frame_number,
                w[1].frame_number,
                InterpolationType::Linear,
            )
        })
        .collect()
}

/// FOVEA's `convertTrackToSequence`: every tracked frame a keyframe (with its confidence),
/// sorted by frame; linear segments between all adjacent keyframes; the gaps hidden;
/// `trackId`, `trackingSource` (the model) and `trackingConfidence` copied. Masks and
/// occlusion flags are not kept (as in FOVEA). O(n log n).
pub fn track_to_sequence(track: &Track) -> BoundingBoxSequence {
    let mut boxes: Vec<BoundingBox> = track
        .frames
        .iter()
        .map(|f| {
            let mut b = BoundingBox::keyframe(f.frame_number, f.bbox);
            b.confidence = Some(f.confidence);
            b
        })
        .collect();
    boxes.sort_by_key(|b| b.frame_number);
    let frames: Vec<Frame> = boxes.iter().map(|b| b.frame_number).collect();
    BoundingBoxSequence {
        interpolation_segments: linear_segments(&boxes),
        visibility_ranges: visibility_ranges(&frames),
        boxes,
        track_id: Some(track.track_id.clone()),
        tracking_source: Some(track.model.clone()),
        tracking_confidence: Some(track.confidence),
        ..Default::default()
    }
}

/// FOVEA's `decimateKeyframes`: keeps box 0, then boxes N, 2N, … below the last index, then
/// the last box — by index in the boxes array, not by frame (with gaps, the kept frames are
/// not multiples of N) — and recomputes the linear segments; visibility is left as it is.
/// Nothing changes for `n <= 1` or up to two boxes.
///
/// ```
/// use fovea_core::track::{decimate_keyframes, linear_segments};
/// use fovea_core::model::{BoundingBox, BoundingBoxSequence};
/// let boxes: Vec<_> = (0..6).map(|f| BoundingBox::keyframe(f, [0.0; 4])).collect();
/// let mut seq = BoundingBoxSequence { interpolation_segments: linear_segments(&boxes), boxes, ..Default::default() };
/// decimate_keyframes(&mut seq, 2);
/// let kept: Vec<u32> = seq.boxes.iter().map(|b| b.frame_number).collect();
/// assert_eq!(kept, [0, 2, 4, 5]);
/// ```
pub fn decimate_keyframes(seq: &mut BoundingBoxSequence, n: usize) {
    let len = seq.boxes.len();
    if n <= 1 || len <= 2 {
        return;
    }
    let last = len - 1;
    let keep = |i: usize| i == last || (i < last && i.is_multiple_of(n));
    let mut i = 0;
    seq.boxes.retain(|_| {
        let kept = keep(i);
        i += 1;
        kept
    });
    seq.interpolation_segments = linear_segments(&seq.boxes);
}

/// FOVEA's `calculateOptimalDecimation`: aims at 40 keyframes, at most every 20th box.
///
/// ```
/// use fovea_core::track::optimal_decimation;
/// let got: Vec<usize> = [30, 40, 100, 200, 400, 1000].map(optimal_decimation).to_vec();
/// assert_eq!(got, [1, 1, 3, 5, 10, 20]);
/// ```
pub fn optimal_decimation(boxes: usize) -> usize {
    if boxes <= 40 {
        1
    } else {
        boxes.div_ceil(40).min(20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(seq: &BoundingBoxSequence) -> Vec<Frame> {
        seq.boxes.iter().map(|b| b.frame_number).collect()
    }

    fn seq_of(fs: &[Frame]) -> BoundingBoxSequence {
        let track = Track {
            track_id: Value::from(7),
            label: "ship".into(),
            confidence: 0.8,
            model: "samurai".into(),
            frames: fs
                .iter()
                .map(|&f| TrackFrame {
                    frame_number: f,
                    bbox: [f as f64, 1.0, 2.0, 3.0],
                    confidence: 0.5,
                    occluded: false,
                })
                .collect(),
            video_width: 640,
            video_height: 480,
        };
        track_to_sequence(&track)
    }

    #[test]
    fn fovea_s_vectors() {
        // detectVisibilityRanges.
        let spans = |fs: &[Frame]| -> Vec<(Frame, Frame, bool)> {
            visibility_ranges(fs)
                .iter()
                .map(|r| (r.start_frame, r.end_frame, r.visible))
                .collect()
        };
        assert_eq!(
            spans(&[0, 1, 5]),
            [(0, 1, true), (2, 4, false), (5, 5, true)]
        );
        assert_eq!(spans(&[9]), [(9, 9, true)]);
        assert_eq!(spans(&[]), []);
        assert_eq!(spans(&[3, 3, 4]), [(3, 4, true)]);
        // createInterpolationSegments.
        let seq = seq_of(&[10, 0, 5]);
        assert_eq!(frames(&seq), [0, 5, 10]);
        let segs: Vec<_> = seq
            .interpolation_segments
            .iter()
            .map(|s| (s.start_frame, s.end_frame))
            .collect();
        assert_eq!(segs, [(0, 5), (5, 10)]);
        assert!(seq.boxes.iter().all(|b| b.is_keyframe == Some(true)));
        assert_eq!(seq.tracking_source.as_deref(), Some("samurai"));
        assert_eq!(seq.track_id, Some(Value::from(7)));
        assert_eq!(seq_of(&[4]).interpolation_segments, []);
        // decimateKeyframes.
        for (n, len, kept) in [
            (3, 10, vec![0, 3, 6, 9]),
            (2, 4, vec![0, 2, 3]),
            (1, 4, vec![0, 1, 2, 3]),
            (5, 2, vec![0, 1]),
        ] {
            let fs: Vec<Frame> = (0..len).collect();
            let mut seq = seq_of(&fs);
            decimate_keyframes(&mut seq, n);
            assert_eq!(frames(&seq), kept, "n={n} len={len}");
            assert_eq!(seq.interpolation_segments.len(), kept.len() - 1);
        }
        // By index, not by frame: with a gap the kept frames are not multiples of N.
        let mut seq = seq_of(&[0, 1, 2, 10, 11, 12]);
        let ranges = seq.visibility_ranges.clone();
        decimate_keyframes(&mut seq, 2);
        assert_eq!(frames(&seq), [0, 2, 11, 12]);
        assert_eq!(seq.visibility_ranges, ranges);
    }

    #[test]
    fn tracks_read_and_write_fovea_s_shape() {
        let text = r#"{"trackId":"t1","label":"car","confidence":0.9,"model":"sam2",
            "frames":[{"frameNumber":3,"box":{"x":1,"y":2,"width":3,"height":4},
                       "confidence":0.9,"occluded":false}],
            "videoWidth":640,"videoHeight":480}"#;
        let t: Track = serde_json::from_str(text).unwrap();
        assert_eq!(t.frames[0].bbox, [1.0, 2.0, 3.0, 4.0]);
        let back: Track = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
