//! Synthetic sequences of a given shape, for demos, benchmarks and tests.

use crate::model::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, ControlPoints, Frame,
    InterpolationSegment, InterpolationType,
};

/// Two keyframes spanning `frames` frames (`0` and `frames - 1`) with no segment: implicit
/// linear interpolation. `frames` must be at least 2.
///
/// ```
/// let seq = fovea_core::synth::linear(1_000);
/// assert_eq!(seq.counters(Default::default()).total_frames, 1_000);
/// ```
pub fn linear(frames: Frame) -> BoundingBoxSequence {
    assert!(frames >= 2, "a linear sequence needs at least 2 frames");
    BoundingBoxSequence {
        boxes: vec![
            BoundingBox::keyframe(0, [10.0, 20.0, 100.0, 50.0]),
            BoundingBox::keyframe(frames - 1, [1810.0, 1020.0, 110.0, 60.0]),
        ],
        ..Default::default()
    }
}

/// `keyframes` keyframes spaced evenly over `frames` frames, every pair a `bezier` segment with
/// the CSS ease-in-out curve (0.42, 0)–(0.58, 1) on all four properties. The keyframes wander
/// deterministically. `keyframes` must be at least 2 and `frames` at least `keyframes`.
///
/// ```
/// let seq = fovea_core::synth::bezier(11, 101);
/// assert_eq!(seq.boxes.len(), 11);
/// assert_eq!(seq.interpolation_segments.len(), 10);
/// ```
pub fn bezier(keyframes: usize, frames: Frame) -> BoundingBoxSequence {
    assert!(keyframes >= 2 && frames as usize >= keyframes);
    let last = f64::from(frames - 1);
    let frame_of = |i: usize| (last * i as f64 / (keyframes - 1) as f64).round() as Frame;
    let boxes: Vec<BoundingBox> = (0..keyframes)
        .map(|i| {
            let phase = i as f64;
            BoundingBox::keyframe(
                frame_of(i),
                [
                    500.0 + 300.0 * (phase * 0.7).sin(),
                    300.0 + 200.0 * (phase * 1.3).cos(),
                    80.0 + 20.0 * (phase * 0.5).sin(),
                    60.0 + 15.0 * (phase * 0.9).cos(),
                ],
            )
        })
        .collect();
    let curve = || {
        Some(vec![
            BezierControlPoint {
                x: 0.42,
                y: 0.0,
                extra: Default::default(),
            },
            BezierControlPoint {
                x: 0.58,
                y: 1.0,
                extra: Default::default(),
            },
        ])
    };
    let segments = boxes
        .windows(2)
        .map(|w| {
            let mut s = InterpolationSegment::new(
                w[0].frame_number,
                w[1].frame_number,
                InterpolationType::Bezier,
            );
            s.control_points = Some(Box::new(ControlPoints {
                x: curve(),
                y: curve(),
                width: curve(),
                height: curve(),
                extra: Default::default(),
            }));
            s
        })
        .collect();
    BoundingBoxSequence {
        boxes,
        interpolation_segments: segments,
        ..Default::default()
    }
}

/// The `i`-th of a family of realistic annotations: a type annotation on one of 50 videos by
/// one of 10 personas, `keyframes` keyframes 30 frames apart with eased segments, a visible
/// range over them, FOVEA-style timestamps.
///
/// ```
/// let a = fovea_core::synth::annotation(7, 5);
/// assert_eq!(a.bounding_box_sequence.boxes.len(), 5);
/// assert_eq!(a.bounding_box_sequence.counters(Default::default()).total_frames, 121);
/// ```
pub fn annotation(i: usize, keyframes: usize) -> crate::model::Annotation {
    use crate::model::{Annotation, VisibilityRange};
    let kinds = [
        InterpolationType::Linear,
        InterpolationType::EaseInOut,
        InterpolationType::EaseOut,
        InterpolationType::Hold,
    ];
    let start = (i % 1000) as Frame * 3;
    let boxes: Vec<BoundingBox> = (0..keyframes)
        .map(|k| {
            let t = (i * 7 + k * 13) as f64;
            // Sub-pixel coordinates with two decimals, as drawn boxes have.
            let px = |v: f64| (v * 100.0).round() / 100.0;
            let mut b = BoundingBox::keyframe(
                start + 30 * k as Frame,
                [
                    px(100.0 + (t * 0.37).sin() * 80.0),
                    px(200.0 + (t * 0.11).cos() * 60.0),
                    px(50.0 + (t * 0.05).sin().abs() * 20.0),
                    px(40.0 + (t * 0.07).cos().abs() * 10.0),
                ],
            );
            b.confidence = Some(0.9);
            b
        })
        .collect();
    let segments = boxes
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            InterpolationSegment::new(
                w[0].frame_number,
                w[1].frame_number,
                kinds[(i + k) % 4].clone(),
            )
        })
        .collect();
    let last = boxes.last().map_or(start, |b| b.frame_number);
    Annotation {
        id: format!("ann-{i:08}"),
        video_id: format!("video-{:02}", i % 50),
        annotation_type: Some("type".into()),
        bounding_box_sequence: BoundingBoxSequence {
            boxes,
            interpolation_segments: segments,
            visibility_ranges: vec![VisibilityRange::new(start, last, true)],
            tracking_source: Some("manual".into()),
            ..Default::default()
        },
        persona_id: Some(format!("persona-{}", i % 10)),
        type_category: Some("entity".into()),
        type_id: Some(format!("type-{}", i % 25)),
        created_at: Some("2025-10-01T10:00:00.000Z".into()),
        updated_at: Some("2025-10-01T10:00:00.000Z".into()),
        ..Default::default()
    }
}

/// The records the synthetic annotations refer to: one `ontology` line with their 10
/// personas and 50 `video` lines (640×480 at 30 fps), so a dataset of [`annotation`]s imports
/// without missing dependencies.
///
/// ```
/// let records = fovea_core::synth::references();
/// assert_eq!(records.len(), 51);
/// assert_eq!(records[1].id(), Some("video-00"));
/// ```
pub fn references() -> Vec<crate::jsonl::LineData> {
    use crate::jsonl::LineData;
    use crate::model::{OntologyData, Persona, Video};
    let personas = (0..10)
        .map(|p| Persona {
            id: Some(format!("persona-{p}")),
            name: Some(format!("Analyst {p}")),
            role: Some("analyst".into()),
            information_need: Some("Where do the vessels go?".into()),
            details: Some(String::new()),
            is_system_generated: Some(false),
            hidden: Some(false),
            created_at: Some("2025-10-01T10:00:00.000Z".into()),
            updated_at: Some("2025-10-01T10:00:00.000Z".into()),
            ..Default::default()
        })
        .collect();
    let mut records = vec![LineData::Ontology(OntologyData {
        personas: Some(personas),
        persona_ontologies: Some(Vec::new()),
        extra: Default::default(),
    })];
    records.extend((0..50).map(|v| {
        LineData::Video(Video {
            id: Some(format!("video-{v:02}")),
            title: Some(format!("Harbour camera {v}")),
            width: Some(640.0),
            height: Some(480.0),
            fps: Some(30.0),
            filename: Some(format!("harbour-{v:02}.mp4")),
            ..Default::default()
        })
    }));
    records
}
