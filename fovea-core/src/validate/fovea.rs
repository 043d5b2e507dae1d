//! FOVEA's import validator, reproduced message for message: `validateLine` and
//! `SequenceValidator.validateSequence`, defects included — shared-boundary segments are
//! "overlapping", a box without `isKeyframe` is not a keyframe, JavaScript's `undefined`
//! comparisons are false.

use super::{SOURCES, SUPPORTED, Sink, VideoSizes, js};
use crate::jsonl::LineData;
use crate::model::raw::{RawBox, RawSequence};

/// `${value}` of a number that may be `undefined`.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_owned(), js)
}

/// JavaScript's truthiness of an optional string.
fn truthy(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

/// `a < b` in JavaScript, where `undefined` compares false.
fn lt(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| a < b)
}

pub(super) fn validate_line(data: &LineData, videos: &VideoSizes, out: &mut Sink) {
    let missing = |out: &mut Sink, what: &str, field: &str| {
        out.error(
            "missing-field",
            format!("{what} missing required field: {field}"),
            None,
        );
    };
    match data {
        LineData::Annotation(rec) => {
            let a = &rec.0;
            if !truthy(&a.id) {
                missing(out, "Annotation", "id");
            }
            if !truthy(&a.video_id) {
                missing(out, "Annotation", "videoId");
            }
            match &a.bounding_box_sequence {
                None => missing(out, "Annotation", "boundingBoxSequence"),
                Some(seq) => {
                    let size = a.video_id.as_ref().and_then(|v| videos.get(v));
                    validate_sequence(seq, size.map(|s| (s.width, s.height)), out);
                }
            }
            match a.annotation_type.as_deref() {
                Some("type") => {
                    for (field, v) in [
                        ("personaId", &a.persona_id),
                        ("typeId", &a.type_id),
                        ("typeCategory", &a.type_category),
                    ] {
                        if !truthy(v) {
                            missing(out, "Type annotation", field);
                        }
                    }
                }
                Some("object") => {
                    let links = [
                        &a.linked_entity_id,
                        &a.linked_event_id,
                        &a.linked_time_id,
                        &a.linked_location_id,
                        &a.linked_collection_id,
                    ];
                    if !links.into_iter().any(truthy) {
                        out.warning(
                            "no-linked-object",
                            "Object annotation has no linked object".into(),
                            None,
                        );
                    }
                }
                _ => {}
            }
        }
        LineData::Entity(o) => named(out, "entity", &o.id, Some(&o.name)),
        LineData::Event(o) => named(out, "event", &o.id, Some(&o.name)),
        LineData::Time(o) => named(out, "time", &o.id, None),
        LineData::Ontology(o) => {
            if o.personas.is_none() {
                missing(out, "Ontology", "personas (array)");
            }
            if o.persona_ontologies.is_none() {
                missing(out, "Ontology", "personaOntologies (array)");
            }
        }
        LineData::Video(v) => {
            if !truthy(&v.id) {
                missing(out, "Video", "id");
            }
        }
        LineData::Metadata(_) => {}
        other => out.warning(
            "unknown-line-type",
            format!("Unknown line type: {}", other.kind().as_str()),
            None,
        ),
    }
}

fn named(out: &mut Sink, kind: &str, id: &Option<String>, name: Option<&Option<String>>) {
    if !truthy(id) {
        out.error(
            "missing-field",
            format!("{kind} missing required field: id"),
            None,
        );
    }
    if name.is_some_and(|n| !truthy(n)) {
        out.error(
            "missing-field",
            format!("{kind} missing required field: name"),
            None,
        );
    }
}

/// `SequenceValidator.validateSequence(sequence, videoMeta?)`.
pub(super) fn validate_sequence(seq: &RawSequence, video: Option<(f64, f64)>, out: &mut Sink) {
    let empty = Vec::new();
    let boxes = seq.boxes.as_ref().unwrap_or(&empty);
    // FOVEA: a keyframe is a box with a truthy isKeyframe, in stored order.
    let keys: Vec<&RawBox> = boxes
        .iter()
        .filter(|b| b.is_keyframe == Some(true))
        .collect();
    let frame = |b: &RawBox| b.frame_number;
    if keys.is_empty() {
        out.error(
            "no-keyframes",
            "Sequence must have at least 1 keyframe".into(),
            None,
        );
    }
    for w in keys.windows(2) {
        let (prev, cur) = (frame(w[0]), frame(w[1]));
        // `cur <= prev` is false when either is undefined.
        if let (Some(p), Some(c)) = (prev, cur)
            && c <= p
        {
            out.error(
                "keyframes-unsorted",
                format!("Keyframes not sorted: frame {} >= {}", js(p), js(c)),
                None,
            );
        }
    }
    let mut seen: Vec<Option<u64>> = Vec::with_capacity(keys.len());
    for k in &keys {
        // A JavaScript Set compares numbers by value (and undefined with undefined).
        let id = frame(k).map(|f| if f == 0.0 { 0 } else { f.to_bits() });
        if seen.contains(&id) {
            out.error(
                "duplicate-keyframe",
                format!("Duplicate keyframe at frame {}", num(frame(k))),
                None,
            );
        }
        seen.push(id);
    }
    segments(seq, &keys, out);
    visibility(seq, &keys, out);
    for b in boxes {
        let f = num(b.frame_number);
        if lt(b.frame_number, 0.0) {
            out.error(
                "frame-negative",
                format!("Invalid frame number: {f} (must be >= 0)"),
                None,
            );
        }
        if !b.frame_number.is_some_and(|v| v.fract() == 0.0) {
            out.error(
                "frame-not-integer",
                format!("Frame number must be an integer: {f}"),
                None,
            );
        }
        if b.width.is_some_and(|w| w <= 0.0) || b.height.is_some_and(|h| h <= 0.0) {
            out.error(
                "invalid-box-size",
                format!(
                    "Invalid box dimensions at frame {f}: width={}, height={} (must be > 0)",
                    num(b.width),
                    num(b.height)
                ),
                None,
            );
        }
        if lt(b.x, 0.0) || lt(b.y, 0.0) {
            out.error(
                "box-outside-frame",
                format!(
                    "Invalid box position at frame {f}: x={}, y={} (must be >= 0)",
                    num(b.x),
                    num(b.y)
                ),
                None,
            );
        }
        if let Some((w, h)) = video {
            if let (Some(x), Some(bw)) = (b.x, b.width)
                && x + bw > w
            {
                out.error(
                    "box-outside-frame",
                    format!(
                        "Box at frame {f} exceeds video width: x={}, width={}, videoWidth={}",
                        js(x),
                        js(bw),
                        js(w)
                    ),
                    None,
                );
            }
            if let (Some(y), Some(bh)) = (b.y, b.height)
                && y + bh > h
            {
                out.error(
                    "box-outside-frame",
                    format!(
                        "Box at frame {f} exceeds video height: y={}, height={}, videoHeight={}",
                        js(y),
                        js(bh),
                        js(h)
                    ),
                    None,
                );
            }
        }
    }
    if let Some(src) = seq.tracking_source.as_deref().filter(|s| !s.is_empty())
        && !SOURCES.contains(&src)
    {
        out.error(
            "unknown-tracking-source",
            format!(
                "Invalid trackingSource: {src}. Valid values: {}",
                SOURCES.join(", ")
            ),
            None,
        );
    }
    if let Some(c) = seq.tracking_confidence
        && !(0.0..=1.0).contains(&c)
    {
        out.error(
            "invalid-tracking-confidence",
            format!(
                "Invalid trackingConfidence: {} (must be in range [0, 1])",
                js(c)
            ),
            None,
        );
    }
}

fn segments(seq: &RawSequence, keys: &[&RawBox], out: &mut Sink) {
    match (keys, &seq.interpolation_segments) {
        ([first, .., last], Some(segs)) => {
            let (first, last) = (first.frame_number, last.frame_number);
            let mut sorted: Vec<_> = segs.iter().collect();
            // Array.prototype.sort with `a.startFrame - b.startFrame` is stable.
            sorted.sort_by(|a, b| {
                a.start_frame
                    .partial_cmp(&b.start_frame)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let mut expected = first;
            for (i, s) in sorted.iter().enumerate() {
                let (start, end) = (s.start_frame, s.end_frame);
                let before = matches!((start, first), (Some(s), Some(f)) if s < f);
                let after = matches!((end, last), (Some(e), Some(l)) if e > l);
                if before || after {
                    out.error(
                        "segment-outside-keyframes",
                        format!(
                            "Interpolation segment [{}, {}] outside keyframe range [{}, {}]",
                            num(start),
                            num(end),
                            num(first),
                            num(last)
                        ),
                        None,
                    );
                }
                if let (Some(st), Some(ex)) = (start, expected)
                    && st > ex
                {
                    out.error(
                        "segment-gap",
                        format!(
                            "Gap in interpolation segments: expected frame {}, got {}",
                            js(ex),
                            js(st)
                        ),
                        None,
                    );
                }
                if let Some(next) = sorted.get(i + 1)
                    && let (Some(e), Some(ns)) = (end, next.start_frame)
                    && e >= ns
                {
                    out.error(
                        "segment-overlap",
                        format!(
                            "Overlapping interpolation segments: [{}, {}] and [{}, {}]",
                            num(start),
                            num(end),
                            num(next.start_frame),
                            num(next.end_frame)
                        ),
                        None,
                    );
                }
                let kind = s.kind.as_deref().unwrap_or("undefined");
                if !SUPPORTED.contains(&kind) {
                    out.error(
                        "unsupported-interpolation",
                        format!(
                            "Unsupported interpolation type: {kind}. Supported types: {}",
                            SUPPORTED.join(", ")
                        ),
                        None,
                    );
                }
                if kind == "bezier"
                    && let Some(cps) = &s.control_points
                {
                    for points in [&cps.x, &cps.y, &cps.width, &cps.height]
                        .into_iter()
                        .flatten()
                    {
                        for p in points {
                            let outside =
                                |v: Option<f64>| v.is_some_and(|v| !(0.0..=1.0).contains(&v));
                            if outside(p.x) || outside(p.y) {
                                out.error(
                                    "invalid-control-point",
                                    format!(
                                        "Bezier control point out of range [0, 1]: x={}, y={}",
                                        num(p.x),
                                        num(p.y)
                                    ),
                                    None,
                                );
                            }
                        }
                    }
                }
                expected = end.map(|e| e + 1.0);
            }
            if sorted.is_empty() {
                out.warning(
                    "no-segments",
                    "No interpolation segments defined for multi-keyframe sequence. Consider adding interpolation configuration.".into(),
                    None,
                );
            }
        }
        ([_], Some(segs)) if !segs.is_empty() => out.warning(
            "single-keyframe-segments",
            "Single-keyframe sequence has interpolation segments. These will be ignored.".into(),
            None,
        ),
        _ => {}
    }
}

fn visibility(seq: &RawSequence, keys: &[&RawBox], out: &mut Sink) {
    let empty = Vec::new();
    let ranges = seq.visibility_ranges.as_ref().unwrap_or(&empty);
    let mut sorted: Vec<_> = ranges.iter().collect();
    sorted.sort_by(|a, b| {
        a.start_frame
            .partial_cmp(&b.start_frame)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for w in sorted.windows(2) {
        if let (Some(e), Some(ns)) = (w[0].end_frame, w[1].start_frame)
            && e >= ns
        {
            out.error(
                "visibility-overlap",
                format!(
                    "Overlapping visibility ranges: [{}, {}] and [{}, {}]",
                    num(w[0].start_frame),
                    js(e),
                    js(ns),
                    num(w[1].end_frame)
                ),
                None,
            );
        }
    }
    for k in keys {
        let inside = ranges.iter().any(|r| {
            r.visible == Some(true)
                && matches!((k.frame_number, r.start_frame, r.end_frame), (Some(f), Some(s), Some(e)) if f >= s && f <= e)
        });
        if !inside && !ranges.is_empty() {
            out.error(
                "keyframe-hidden",
                format!(
                    "Keyframe at frame {} is not in a visible range",
                    num(k.frame_number)
                ),
                None,
            );
        }
    }
    if ranges.is_empty() && !keys.is_empty() {
        out.warning(
            "no-visibility-ranges",
            "No visibility ranges defined. Consider adding visibility ranges for discontiguous sequences.".into(),
            None,
        );
    }
}
