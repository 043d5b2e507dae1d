//! Generators shared by the property tests.

#![allow(dead_code)]

use fovea_core::model::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, ControlPoints, Frame,
    InterpolationSegment, InterpolationType, ParametricFunction, ParametricSet, ParametricType,
    VisibilityRange,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn arb_box(frame: Frame) -> impl Strategy<Value = BoundingBox> {
    (
        -500.0..2000.0f64,
        -500.0..2000.0f64,
        0.5..500.0f64,
        0.5..500.0f64,
    )
        .prop_map(move |(x, y, w, h)| BoundingBox::keyframe(frame, [x, y, w, h]))
}

fn arb_points() -> impl Strategy<Value = Option<Vec<BezierControlPoint>>> {
    prop_oneof![
        Just(None),
        (0.0..=1.0f64, -0.5..1.5f64, 0.0..=1.0f64, -0.5..1.5f64).prop_map(|(x1, y1, x2, y2)| {
            let p = |x, y| BezierControlPoint {
                x,
                y,
                extra: Default::default(),
            };
            Some(vec![p(x1, y1), p(x2, y2)])
        }),
    ]
}

fn arb_function() -> impl Strategy<Value = Option<ParametricFunction>> {
    prop_oneof![
        Just(None),
        (0.0..50.0f64).prop_map(|a| Some(func(ParametricType::Quadratic, &[("a", a)]))),
        (0.0..3.0f64, 0.0..0.5f64).prop_map(|(f, a)| {
            Some(func(
                ParametricType::Sinusoidal,
                &[("frequency", f), ("amplitude", a)],
            ))
        }),
        Just(Some(func(ParametricType::Linear, &[]))),
    ]
}

fn func(kind: ParametricType, params: &[(&str, f64)]) -> ParametricFunction {
    ParametricFunction {
        kind,
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
        expression: None,
        extra: Default::default(),
    }
}

fn arb_kind() -> impl Strategy<Value = InterpolationType> {
    prop_oneof![
        Just(InterpolationType::Linear),
        Just(InterpolationType::EaseIn),
        Just(InterpolationType::EaseOut),
        Just(InterpolationType::EaseInOut),
        Just(InterpolationType::Hold),
        Just(InterpolationType::Bezier),
        Just(InterpolationType::Parametric),
        Just(InterpolationType::Other("step".into())),
    ]
}

fn arb_segment(start: Frame, end: Frame) -> impl Strategy<Value = InterpolationSegment> {
    (
        arb_kind(),
        [arb_points(), arb_points(), arb_points(), arb_points()],
        [
            arb_function(),
            arb_function(),
            arb_function(),
            arb_function(),
        ],
    )
        .prop_map(move |(kind, [px, py, pw, ph], [fx, fy, fw, fh])| {
            let mut s = InterpolationSegment::new(start, end, kind);
            s.control_points = Some(Box::new(ControlPoints {
                x: px,
                y: py,
                width: pw,
                height: ph,
                extra: Default::default(),
            }));
            s.parametric = Some(Box::new(ParametricSet {
                x: fx,
                y: fy,
                width: fw,
                height: fh,
                extra: Default::default(),
            }));
            s
        })
}

/// Sequences with 0–7 keyframes at distinct frames in 0..120 (stored unsorted), a random
/// segment on most pairs (plus stray unanchored ones), and random, possibly overlapping ranges.
pub fn arb_sequence() -> impl Strategy<Value = BoundingBoxSequence> {
    proptest::collection::btree_set(0u32..120, 0..8)
        .prop_flat_map(|frames| {
            let frames: Vec<Frame> = frames.into_iter().collect();
            let boxes: Vec<_> = frames.iter().map(|&f| arb_box(f)).collect();
            let pairs: Vec<_> = frames
                .windows(2)
                .map(|w| proptest::option::weighted(0.8, arb_segment(w[0], w[1])))
                .collect();
            let stray = proptest::collection::vec((0u32..120, 0u32..120, arb_kind()), 0..2);
            let ranges = proptest::collection::vec((0u32..130, 0u32..40, any::<bool>()), 0..5);
            (boxes, pairs, stray, ranges)
        })
        .prop_flat_map(|(boxes, pairs, stray, ranges)| {
            let mut segments: Vec<InterpolationSegment> = pairs.into_iter().flatten().collect();
            segments.extend(
                stray
                    .into_iter()
                    .map(|(s, e, k)| InterpolationSegment::new(s, e, k)),
            );
            let ranges: Vec<VisibilityRange> = ranges
                .into_iter()
                .map(|(s, len, v)| VisibilityRange::new(s, s + len, v))
                .collect();
            (
                Just(boxes).prop_shuffle(),
                Just(segments).prop_shuffle(),
                Just(ranges),
            )
        })
        .prop_map(|(boxes, segs, ranges)| BoundingBoxSequence {
            boxes,
            interpolation_segments: segs,
            visibility_ranges: ranges,
            ..Default::default()
        })
}
