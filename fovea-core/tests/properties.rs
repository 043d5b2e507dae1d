//! Property tests of the engine and the edits against a literal model of FOVEA's algorithm.

use fovea_core::edit::{BoxUpdate, SegmentSpec};
use fovea_core::interp::{InterpOptions, Profile};
use fovea_core::model::{
    BoundingBox, BoundingBoxSequence, Frame, InterpolationSegment, InterpolationType,
    ParametricType, VisibilityRange,
};
use proptest::prelude::*;

mod common;
use common::arb_sequence;

// ---------------------------------------------------------------------------------------------
// A literal transcription of FOVEA's eager interpolation: sort on every call, find the
// segment by linear search, decide visibility per frame by the first matching range.

fn fovea_visible(ranges: &[VisibilityRange], f: Frame) -> bool {
    ranges
        .iter()
        .find(|r| r.start_frame <= f && f <= r.end_frame)
        .is_none_or(|r| r.visible)
}

fn fovea_newton(x: f64, p1x: f64, p2x: f64) -> f64 {
    let mut t = x;
    for _ in 0..10 {
        let mt = 1.0 - t;
        let cx = 3.0 * mt * mt * t * p1x + 3.0 * mt * t * t * p2x + t * t * t;
        let err = cx - x;
        if err.abs() < 0.0001 {
            break;
        }
        let d = 3.0 * mt * mt * p1x + 6.0 * mt * t * (p2x - p1x) + 3.0 * t * t * (1.0 - p2x);
        if d.abs() < 0.0001 {
            break;
        }
        t -= err / d;
        t = t.clamp(0.0, 1.0);
    }
    t
}

fn fovea_property(
    s: f64,
    e: f64,
    t: f64,
    seg: Option<&InterpolationSegment>,
    prop: usize,
    profile: Profile,
) -> f64 {
    let lin = |g: f64| s + (e - s) * g;
    let Some(seg) = seg else { return lin(t) };
    match &seg.kind {
        InterpolationType::EaseIn => lin(t * t),
        InterpolationType::EaseOut => lin(t * (2.0 - t)),
        InterpolationType::EaseInOut => lin(if t < 0.5 {
            2.0 * t * t
        } else {
            -1.0 + (4.0 - 2.0 * t) * t
        }),
        InterpolationType::Hold => s,
        InterpolationType::Bezier => {
            match seg
                .control_points
                .as_ref()
                .and_then(|c| c.entries()[prop].1)
            {
                Some(pts) if pts.len() == 2 => {
                    let u = fovea_newton(t, pts[0].x, pts[1].x);
                    let mt = 1.0 - u;
                    lin(3.0 * mt * mt * u * pts[0].y + 3.0 * mt * u * u * pts[1].y + u * u * u)
                }
                _ => lin(t),
            }
        }
        InterpolationType::Parametric if profile == Profile::Default => {
            match seg.parametric.as_ref().and_then(|p| p.entries()[prop].1) {
                Some(f) => {
                    let p = |k: &str, d: f64| {
                        f.parameters
                            .get(k)
                            .copied()
                            .filter(|v| *v != 0.0)
                            .unwrap_or(d)
                    };
                    match f.kind {
                        ParametricType::Quadratic => {
                            let a = p("a", 9.8);
                            s + ((e - s) - 0.5 * a) * t + 0.5 * a * t * t
                        }
                        ParametricType::Sinusoidal => {
                            let (fr, am) = (p("frequency", 1.0), p("amplitude", 0.2));
                            s + (e - s) * t
                                + am * (2.0 * std::f64::consts::PI * fr * t).sin() * (e - s)
                        }
                        _ => lin(t),
                    }
                }
                None => lin(t),
            }
        }
        _ => lin(t),
    }
}

/// FOVEA's eager `interpolate(keyframes, segments, visibilityRanges)` on the keyframes.
fn fovea_eager(seq: &BoundingBoxSequence, profile: Profile) -> Vec<(Frame, [f64; 4], bool)> {
    let mut keys: Vec<&BoundingBox> = seq
        .boxes
        .iter()
        .filter(|b| b.is_keyframe != Some(false))
        .collect();
    if keys.is_empty() {
        return vec![];
    }
    if keys.len() == 1 {
        return vec![(keys[0].frame_number, keys[0].values(), true)];
    }
    keys.sort_by_key(|b| b.frame_number);
    let ranges = &seq.visibility_ranges;
    let mut out = vec![];
    for w in keys.windows(2) {
        let (a, b) = (w[0], w[1]);
        let seg = seq
            .interpolation_segments
            .iter()
            .find(|s| s.start_frame == a.frame_number && s.end_frame == b.frame_number);
        if fovea_visible(ranges, a.frame_number) {
            out.push((a.frame_number, a.values(), true));
        }
        for f in a.frame_number + 1..b.frame_number {
            if !fovea_visible(ranges, f) {
                continue;
            }
            let t = f64::from(f - a.frame_number) / f64::from(b.frame_number - a.frame_number);
            let (sv, ev) = (a.values(), b.values());
            let v = std::array::from_fn(|p| fovea_property(sv[p], ev[p], t, seg, p, profile));
            out.push((f, v, false));
        }
    }
    let last = keys[keys.len() - 1];
    if fovea_visible(ranges, last.frame_number) {
        out.push((last.frame_number, last.values(), true));
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn keyframes_of(seq: &BoundingBoxSequence) -> Vec<(Frame, [u64; 4])> {
    let mut k: Vec<_> = seq
        .boxes
        .iter()
        .filter(|b| b.is_keyframe != Some(false))
        .map(|b| (b.frame_number, b.values().map(f64::to_bits)))
        .collect();
    k.sort();
    k
}

fn assert_disjoint_sorted(ranges: &[VisibilityRange]) {
    for w in ranges.windows(2) {
        assert!(
            w[0].end_frame < w[1].start_frame,
            "overlap or unsorted: {ranges:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The eager output is FOVEA's, frame for frame, to 1e-9, in both profiles.
    #[test]
    fn eager_matches_fovea(seq in arb_sequence(), fovea in any::<bool>()) {
        let profile = if fovea { Profile::Fovea } else { Profile::Default };
        let compiled = seq.compile(&InterpOptions::with_profile(profile)).unwrap();
        let ours = compiled.boxes();
        let theirs = fovea_eager(&seq, profile);
        prop_assert_eq!(ours.len(), theirs.len());
        prop_assert_eq!(compiled.len(), theirs.len());
        for (o, (f, v, key)) in ours.iter().zip(&theirs) {
            prop_assert_eq!(o.frame_number, *f);
            prop_assert_eq!(o.is_keyframe, Some(*key));
            for (p, (got, want)) in o.values().iter().zip(v).enumerate() {
                prop_assert!(close(*got, *want), "frame {} prop {}: {} vs {}", f, p, got, want);
            }
            if *key {
                // Keyframes are reproduced exactly.
                prop_assert_eq!(o.values().map(f64::to_bits), v.map(f64::to_bits));
            }
        }
        // Columnar output: the same frames and values.
        let dense = compiled.to_dense();
        prop_assert_eq!(dense.frames, ours.iter().map(|b| b.frame_number).collect::<Vec<_>>());
        // The same columns with their keyframe rows: exactly the rows that are keyframes, each
        // with the keyframe written there.
        let (rows, marks) = compiled.to_rows::<i64>();
        prop_assert_eq!(rows.boxes, compiled.to_dense().boxes);
        let want: Vec<(usize, &BoundingBox)> = ours.iter().enumerate().filter(|(_, b)| b.is_keyframe == Some(true)).collect();
        prop_assert_eq!(marks.keyframes, want);
        prop_assert!(marks.all_finite);
    }

    /// The eager length is the number of visible frames in the keyframe span, and `at(f)`
    /// equals the eager box at every frame (FOVEA's lone-hidden-keyframe exception aside).
    #[test]
    fn at_frame_agrees_with_eager(seq in arb_sequence()) {
        let compiled = seq.compile(&InterpOptions::default()).unwrap();
        let eager = compiled.boxes();
        let keys = keyframes_of(&seq);
        if keys.len() >= 2 {
            let (first, last) = (keys[0].0, keys[keys.len() - 1].0);
            let visible = (first..=last).filter(|&f| fovea_visible(&seq.visibility_ranges, f)).count();
            prop_assert_eq!(eager.len(), visible);
        }
        for f in 0..140 {
            let at = compiled.box_at(f);
            let from_eager = eager.iter().find(|b| b.frame_number == f);
            let lone_hidden = keys.len() == 1 && !fovea_visible(&seq.visibility_ranges, f);
            if lone_hidden {
                prop_assert!(at.is_none());
                continue;
            }
            prop_assert_eq!(at.as_ref(), from_eager, "frame {}", f);
        }
    }

    /// Text round trip: write, read back, equal.
    #[test]
    fn json_round_trip(seq in arb_sequence()) {
        let text = fovea_core::json::to_string(&seq);
        let back = BoundingBoxSequence::from_json(&text).unwrap();
        prop_assert_eq!(&back, &seq);
        prop_assert_eq!(fovea_core::json::to_string(&back), text);
    }

    /// Edits never lose a keyframe; refused edits change nothing; visibility edits never create
    /// overlapping ranges and change only the frames they name.
    #[test]
    fn edits_never_lose_keyframes(seq in arb_sequence(), ops in proptest::collection::vec((0u8..7, 0u32..130, 0u32..130, any::<bool>()), 1..12)) {
        let opts = InterpOptions::default();
        let mut seq = seq;
        for (op, a, b, flag) in ops {
            let before = seq.clone();
            let keys = keyframes_of(&seq);
            let frames: Vec<Frame> = keys.iter().map(|k| k.0).collect();
            let result = match op {
                0 => seq.add_keyframe(a, None, &opts),
                1 => seq.remove_keyframe(a, &opts).map(drop),
                2 => seq.update_keyframe(a, &BoxUpdate { x: Some(f64::from(b)), ..Default::default() }, &opts),
                3 => seq.move_keyframe(a, b, &opts),
                4 => seq.set_interpolation(a, SegmentSpec { kind: InterpolationType::EaseOut, ..Default::default() }, &opts),
                5 => seq.set_visibility(a.min(b), a.max(b), flag),
                _ => seq.toggle_visibility(a).map(drop),
            };
            let after = keyframes_of(&seq);
            if result.is_err() {
                prop_assert_eq!(&seq, &before, "a refused edit changes nothing");
                continue;
            }
            match op {
                0 => {
                    prop_assert_eq!(after.len(), keys.len() + 1);
                    prop_assert!(keys.iter().all(|k| after.contains(k)));
                    prop_assert!(seq.compile(&opts).unwrap().box_at(a).is_some(), "the new keyframe is visible");
                }
                1 => {
                    prop_assert_eq!(after.len(), keys.len() - 1);
                    prop_assert!(after.iter().all(|k| keys.contains(k)));
                    prop_assert!(frames.first() != Some(&a) && frames.last() != Some(&a));
                }
                2 | 3 => {
                    prop_assert_eq!(after.len(), keys.len());
                    let untouched: Vec<_> = keys.iter().filter(|k| k.0 != a).collect();
                    prop_assert!(untouched.iter().all(|k| after.contains(k)));
                }
                _ => prop_assert_eq!(&after, &keys),
            }
            if op >= 5 || seq.visibility_ranges != before.visibility_ranges {
                assert_disjoint_sorted(&seq.visibility_ranges);
            }
            if op == 5 {
                let (lo, hi) = (a.min(b), a.max(b));
                for f in 0..140 {
                    let want = if (lo..=hi).contains(&f) { flag } else { fovea_visible(&before.visibility_ranges, f) };
                    prop_assert_eq!(fovea_visible(&seq.visibility_ranges, f), want, "frame {}", f);
                }
            }
            if op == 0 || op == 3 {
                // Adding or moving a keyframe un-hides only the keyframe's own frame, never others.
                for f in 0..140 {
                    if f != a && f != b && !fovea_visible(&before.visibility_ranges, f) {
                        prop_assert!(!fovea_visible(&seq.visibility_ranges, f), "frame {} un-hidden", f);
                    }
                }
            }
        }
    }

    /// Adding a keyframe inside the span and removing it again restores the keyframes (and the
    /// anchored segments).
    #[test]
    fn add_then_remove_restores(seq in arb_sequence(), f in 0u32..120) {
        let opts = InterpOptions::default();
        let keys = keyframes_of(&seq);
        prop_assume!(keys.len() >= 2 && keys[0].0 < f && f < keys[keys.len() - 1].0);
        prop_assume!(keys.iter().all(|k| k.0 != f));
        let mut edited = seq.clone();
        edited.add_keyframe(f, None, &opts).unwrap();
        edited.remove_keyframe(f, &opts).unwrap();
        prop_assert_eq!(keyframes_of(&edited), keys.clone());
        let before = seq.compile(&opts).unwrap();
        let after = edited.compile(&opts).unwrap();
        // Same curves wherever the original segment on f's pair was unique and anchored.
        let (lo, hi) = (keys.iter().rev().find(|k| k.0 < f).unwrap().0, keys.iter().find(|k| k.0 > f).unwrap().0);
        let anchored = seq.interpolation_segments.iter().filter(|s| s.start_frame < f && f < s.end_frame).all(|s| s.start_frame == lo && s.end_frame == hi);
        let unique = seq.interpolation_segments.iter().filter(|s| s.spans(lo, hi)).count() <= 1;
        if anchored && unique {
            for g in lo..=hi {
                prop_assert_eq!(before.curve_at(g), after.curve_at(g), "frame {}", g);
            }
        }
    }
}
