//! Error-bounded keyframe reduction: of a tracked sequence (every frame a keyframe), keep
//! keyframes so that linear interpolation between the kept ones reproduces every tracked box
//! within a tolerance, without ever interpolating across hidden frames.
//!
//! Each visible run is reduced on its own (both its ends are kept). From a kept keyframe `a`,
//! the slopes of lines through `a` that stay within the tolerance of every box seen so far form
//! an interval per coordinate (x, y, width, height) that only narrows; a later box `j` can be
//! the next keyframe when its own slope lies in all four intervals (every box between is then
//! reproduced). The farthest such `j` is kept — the greedy farthest reach, O(n) per scan and
//! near O(n) overall on real tracks (a box is rescanned only between the kept keyframe and the
//! point where the intervals closed). It is not guaranteed minimal: the reachable set from a
//! keyframe need not be an interval, which an exact shortest-path search would exploit.

use super::convert::{Track, linear_segments, ranges_in_order};
use crate::model::{BoundingBox, BoundingBoxSequence};

/// Slack on comparisons, so that boxes exactly at the tolerance are kept within it.
const EPS: f64 = 1e-9;

fn values(b: &BoundingBox) -> [f64; 4] {
    [b.x, b.y, b.width, b.height]
}

/// Whether a hidden frame lies strictly between frames `a` and `b` (`a < b`). O(log ranges)
/// over `hidden`, sorted and non-overlapping.
fn hidden_between(hidden: &[(u32, u32)], a: u32, b: u32) -> bool {
    // The first range ending after `a`.
    let i = hidden.partition_point(|&(_, end)| end <= a);
    hidden.get(i).is_some_and(|&(start, _)| start < b)
}

/// Reduces the keyframes of `seq` (boxes sorted by frame, every box a keyframe, as
/// [`super::track_to_sequence`] makes them) to those linear interpolation needs to stay within
/// `tolerance` pixels of every original box on x, y, width and height; segments are recomputed
/// (linear between adjacent keyframes), visibility is left as it is. Returns the number of
/// keyframes kept.
///
/// ```
/// use fovea_core::model::{BoundingBox, BoundingBoxSequence};
/// use fovea_core::track::reduce_keyframes;
/// // A box moving right at 2 px per frame, with a 0.3 px wobble.
/// let boxes = (0..100).map(|f| {
///     BoundingBox::keyframe(f, [2.0 * f as f64 + if f % 2 == 0 { 0.3 } else { 0.0 }, 10.0, 40.0, 30.0])
/// }).collect();
/// let mut seq = BoundingBoxSequence { boxes, ..Default::default() };
/// assert_eq!(reduce_keyframes(&mut seq, 0.5), 2);
/// ```
pub fn reduce_keyframes(seq: &mut BoundingBoxSequence, tolerance: f64) -> usize {
    let hidden: Vec<(u32, u32)> = {
        let mut h: Vec<(u32, u32)> = seq
            .visibility_ranges
            .iter()
            .filter(|r| !r.visible)
            .map(|r| (r.start_frame, r.end_frame))
            .collect();
        h.sort_unstable();
        h
    };
    let boxes = &seq.boxes;
    let n = boxes.len();
    if n <= 2 {
        seq.interpolation_segments = linear_segments(&seq.boxes);
        return n;
    }
    let mut keep = vec![false; n];
    let mut run_start = 0;
    for i in 1..=n {
        let run_ends = i == n || {
            let (a, b) = (boxes[i - 1].frame_number, boxes[i].frame_number);
            b > a + 1 && hidden_between(&hidden, a, b)
        };
        if run_ends {
            let point = |k: usize| (boxes[k].frame_number, values(&boxes[k]));
            reduce_run(point, run_start, i - 1, tolerance, &mut keep);
            run_start = i;
        }
    }
    let mut i = 0;
    seq.boxes.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
    seq.interpolation_segments = linear_segments(&seq.boxes);
    seq.boxes.len()
}

/// Marks the keyframes of points `first..=last` (one visible run); `point(i)` is the frame
/// and `[x, y, width, height]` of point `i`.
fn reduce_run(
    point: impl Fn(usize) -> (u32, [f64; 4]),
    first: usize,
    last: usize,
    tol: f64,
    keep: &mut [bool],
) {
    keep[first] = true;
    keep[last] = true;
    let mut anchor = first;
    while anchor < last {
        let (fa, a) = point(anchor);
        let fa = f64::from(fa);
        let (mut lo, mut hi) = ([f64::NEG_INFINITY; 4], [f64::INFINITY; 4]);
        let mut next = anchor + 1;
        for j in anchor + 1..=last {
            let (fj, v) = point(j);
            let dt = f64::from(fj) - fa;
            if dt <= 0.0 {
                // A repeated frame: it cannot be reached by a line through the anchor.
                break;
            }
            let mut reachable = true;
            let mut open = true;
            for d in 0..4 {
                let slope = (v[d] - a[d]) / dt;
                reachable &= lo[d] <= slope + EPS && slope <= hi[d] + EPS;
                lo[d] = lo[d].max((v[d] - tol - a[d]) / dt);
                hi[d] = hi[d].min((v[d] + tol - a[d]) / dt);
                open &= lo[d] <= hi[d] + EPS;
            }
            if reachable {
                next = j;
            }
            if !open {
                break;
            }
        }
        keep[next] = true;
        anchor = next;
    }
}

/// FOVEA's conversion ([`super::track_to_sequence`]) and [`reduce_keyframes`] in one pass over
/// the track, building boxes only for the keyframes kept: O(n) time (frames already in order
/// are not sorted again) and no allocation per tracked frame.
///
/// ```
/// use fovea_core::track::{Track, TrackFrame, reduce_track};
/// let track = Track {
///     track_id: 1.into(), label: "ship".into(), confidence: 0.9, model: "samurai".into(),
///     frames: (0..1000).map(|f| TrackFrame {
///         frame_number: f, bbox: [0.5 * f as f64, 5.0, 40.0, 30.0], confidence: 0.9, occluded: false,
///     }).collect(),
///     video_width: 640, video_height: 480,
/// };
/// assert_eq!(reduce_track(&track, 0.5).boxes.len(), 2);
/// ```
pub fn reduce_track(track: &Track, tolerance: f64) -> BoundingBoxSequence {
    let mut order: Option<Vec<u32>> = None;
    if !track.frames.is_sorted_by_key(|f| f.frame_number) {
        let mut idx: Vec<u32> = (0..track.frames.len() as u32).collect();
        idx.sort_by_key(|&i| track.frames[i as usize].frame_number);
        order = Some(idx);
    }
    let at = |i: usize| -> &super::convert::TrackFrame {
        match &order {
            Some(idx) => &track.frames[idx[i] as usize],
            None => &track.frames[i],
        }
    };
    let n = track.frames.len();
    let mut keep = vec![false; n];
    let mut run_start = 0;
    for i in 1..=n {
        // Tracked frames are the visible ones: a jump of more than one frame is a hidden gap.
        if i == n || at(i).frame_number > at(i - 1).frame_number + 1 {
            if n > 0 {
                reduce_run(
                    |k| (at(k).frame_number, at(k).bbox),
                    run_start,
                    i - 1,
                    tolerance,
                    &mut keep,
                );
            }
            run_start = i;
        }
    }
    let boxes: Vec<BoundingBox> = (0..n)
        .filter(|&i| keep[i])
        .map(|i| {
            let f = at(i);
            let mut b = BoundingBox::keyframe(f.frame_number, f.bbox);
            b.confidence = Some(f.confidence);
            b
        })
        .collect();
    BoundingBoxSequence {
        interpolation_segments: linear_segments(&boxes),
        visibility_ranges: ranges_in_order(n, |i| at(i).frame_number),
        boxes,
        track_id: Some(track.track_id.clone()),
        tracking_source: Some(track.model.clone()),
        tracking_confidence: Some(track.confidence),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::InterpOptions;
    use crate::track::{Track, TrackFrame, track_to_sequence};
    use proptest::prelude::*;

    fn track(frames: &[(u32, [f64; 4])]) -> BoundingBoxSequence {
        track_to_sequence(&Track {
            track_id: 1.into(),
            label: "x".into(),
            confidence: 1.0,
            model: "m".into(),
            frames: frames
                .iter()
                .map(|&(f, bbox)| TrackFrame {
                    frame_number: f,
                    bbox,
                    confidence: 1.0,
                    occluded: false,
                })
                .collect(),
            video_width: 100,
            video_height: 100,
        })
    }

    #[test]
    fn hidden_gaps_are_never_bridged() {
        // Two straight runs on one line: 0..=4 and 10..=14, hidden 5..=9.
        let frames: Vec<(u32, [f64; 4])> = (0..5)
            .chain(10..15)
            .map(|f| (f, [f as f64, 0.0, 1.0, 1.0]))
            .collect();
        let mut seq = track(&frames);
        assert_eq!(reduce_keyframes(&mut seq, 0.1), 4);
        let kept: Vec<u32> = seq.boxes.iter().map(|b| b.frame_number).collect();
        assert_eq!(kept, [0, 4, 10, 14]);
        assert!(!hidden_between(&[(5, 9)], 0, 4));
        assert!(hidden_between(&[(5, 9)], 4, 10));
    }

    proptest! {
        #[test]
        fn every_tracked_box_stays_within_the_tolerance(
            steps in proptest::collection::vec((1u32..3, -5.0f64..5.0, -3.0f64..3.0), 2..80),
            tol in 0.0f64..4.0,
        ) {
            let mut frame = 0;
            let mut x = 50.0;
            let mut frames = Vec::new();
            for (gap, dx, dw) in steps {
                frame += gap;
                x += dx;
                frames.push((frame, [x, 20.0 + dx, 30.0 + dw, 10.0]));
            }
            let original = track(&frames);
            let mut reduced = original.clone();
            let kept = reduce_keyframes(&mut reduced, tol);
            prop_assert!(kept <= original.boxes.len());
            let compiled = reduced.compile(&InterpOptions::default()).unwrap();
            for b in &original.boxes {
                let got = compiled.values_at(b.frame_number).expect("a tracked frame is visible");
                for (g, w) in got.iter().zip(values(b)) {
                    prop_assert!((g - w).abs() <= tol + 1e-6, "frame {}: {} vs {}", b.frame_number, g, w);
                }
            }
            // The one-pass path gives the same sequence.
            let t = Track {
                track_id: 1.into(), label: "x".into(), confidence: 1.0, model: "m".into(),
                frames: frames.iter().rev().map(|&(f, bbox)| TrackFrame {
                    frame_number: f, bbox, confidence: 1.0, occluded: false,
                }).collect(),
                video_width: 100, video_height: 100,
            };
            prop_assert_eq!(&reduce_track(&t, tol), &reduced);
            // The ends of every visible run are kept.
            for r in original.visibility_ranges.iter().filter(|r| r.visible) {
                for f in [r.start_frame, r.end_frame] {
                    prop_assert!(reduced.boxes.iter().any(|b| b.frame_number == f));
                }
            }
        }
    }
}
