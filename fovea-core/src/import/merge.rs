//! `merge-keyframes`: uniting an imported sequence with an existing one.
//!
//! The semantics (checked by property tests):
//! 1. **Keyframes** — the union by frame; where both sides have a keyframe at a frame, the
//!    imported one wins (values and fields). Every merged keyframe is flagged `isKeyframe: true`;
//!    stored non-keyframe boxes are derived data and are not carried over.
//! 2. **Segments** — for each consecutive pair of merged keyframes: if the pair is also a
//!    consecutive pair of one side only, that side's segment (if it has one) is kept; if it is a
//!    consecutive pair of both sides, the side chosen by the interpolation-conflict strategy
//!    gives it (use-existing by default); a pair joining keyframes that were not neighbours on
//!    either side has no segment (linear).
//! 3. **Visibility** — the existing ranges, with the imported ranges painted over them (the
//!    imported side decides the frames it covers), then every keyframe that would be hidden is
//!    made visible on its own frame: no keyframe is hidden, ranges never overlap.
//! 4. **Other fields** — `trackId`, `trackingSource`, `trackingConfidence` and unknown fields
//!    come from the imported side when it has them, else from the existing one.

use crate::interp::{resolve_visibility, segment_for};
use crate::model::{BoundingBox, BoundingBoxSequence, Frame, InterpolationSegment, KeyframePolicy};
use std::collections::{BTreeMap, HashMap};

/// Which side wins where both have something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The existing sequence.
    Existing,
    /// The imported sequence.
    Imported,
}

/// Consecutive keyframe pairs of a sequence with the segment governing each (if any).
fn pairs(
    seq: &BoundingBoxSequence,
    policy: KeyframePolicy,
) -> HashMap<(Frame, Frame), Option<&InterpolationSegment>> {
    let keys = seq.sorted_keyframes(policy);
    keys.windows(2)
        .map(|w| {
            let (s, e) = (w[0].frame_number, w[1].frame_number);
            let seg = segment_for(&seq.interpolation_segments, s, e)
                .map(|i| &seq.interpolation_segments[i]);
            ((s, e), seg)
        })
        .collect()
}

/// Merges `imported` into `existing` (see the module documentation). `pairs_from` decides the
/// segment of a keyframe pair both sides have.
///
/// ```
/// use fovea_core::import::{merge_keyframes, Side};
/// use fovea_core::model::{BoundingBoxSequence, KeyframePolicy};
/// let a = BoundingBoxSequence::from_json(r#"{"boxes":[
///   {"x":0,"y":0,"width":1,"height":1,"frameNumber":0},{"x":9,"y":0,"width":1,"height":1,"frameNumber":10}]}"#).unwrap();
/// let b = BoundingBoxSequence::from_json(r#"{"boxes":[
///   {"x":5,"y":0,"width":1,"height":1,"frameNumber":10},{"x":7,"y":0,"width":1,"height":1,"frameNumber":20}]}"#).unwrap();
/// let m = merge_keyframes(&a, &b, Side::Existing, KeyframePolicy::default());
/// let frames: Vec<_> = m.boxes.iter().map(|k| (k.frame_number, k.x)).collect();
/// assert_eq!(frames, vec![(0, 0.0), (10, 5.0), (20, 7.0)]);
/// ```
pub fn merge_keyframes(
    existing: &BoundingBoxSequence,
    imported: &BoundingBoxSequence,
    pairs_from: Side,
    policy: KeyframePolicy,
) -> BoundingBoxSequence {
    let mut keys: BTreeMap<Frame, BoundingBox> = BTreeMap::new();
    for b in existing
        .sorted_keyframes(policy)
        .into_iter()
        .chain(imported.sorted_keyframes(policy))
    {
        let mut k = b.clone();
        k.is_keyframe = Some(true);
        keys.insert(k.frame_number, k);
    }
    let (mine, theirs) = (pairs(existing, policy), pairs(imported, policy));
    let frames: Vec<Frame> = keys.keys().copied().collect();
    let segments = frames
        .windows(2)
        .filter_map(|w| {
            let pair = (w[0], w[1]);
            let seg = match (mine.get(&pair), theirs.get(&pair), pairs_from) {
                (Some(e), Some(_), Side::Existing) | (Some(e), None, _) => *e,
                (Some(_), Some(i), Side::Imported) | (None, Some(i), _) => *i,
                (None, None, _) => None,
            };
            seg.cloned()
        })
        .collect();
    let mut merged = BoundingBoxSequence {
        boxes: keys.into_values().collect(),
        interpolation_segments: segments,
        visibility_ranges: existing.visibility_ranges.clone(),
        track_id: imported
            .track_id
            .clone()
            .or_else(|| existing.track_id.clone()),
        tracking_source: imported
            .tracking_source
            .clone()
            .or_else(|| existing.tracking_source.clone()),
        tracking_confidence: imported
            .tracking_confidence
            .or(existing.tracking_confidence),
        extra: existing.extra.clone(),
    };
    merged.extra.extend(imported.extra.clone());
    for p in resolve_visibility(&imported.visibility_ranges) {
        let extra = imported.visibility_ranges[p.src].extra.clone();
        merged.paint(p.start, p.end, p.visible, extra);
    }
    let hidden = crate::interp::hidden_intervals(&merged.visibility_ranges);
    for f in frames {
        if !crate::interp::is_visible(&hidden, f) {
            merged.paint(f, f, true, Default::default());
        }
    }
    merged
}
