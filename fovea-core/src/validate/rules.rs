//! The default validation profile: FOVEA's rules where they are right, fixed where they are not.
//!
//! | code | severity | rule |
//! |---|---|---|
//! | `missing-field` | error | an annotation without `id`, `videoId` or `boundingBoxSequence`; a type annotation without `personaId`, `typeId` or `typeCategory`; a box without a coordinate or frame; a world object, persona or video without `id`; an entity or event without `name` |
//! | `no-linked-object` | warning | an object annotation linked to nothing |
//! | `no-keyframes` | error | a sequence without keyframes |
//! | `duplicate-keyframe` | error | two keyframes at one frame |
//! | `keyframes-unsorted` | warning | keyframes stored out of order (the engine sorts them; fovea writes them sorted) |
//! | `frame-negative`, `frame-not-integer`, `frame-too-large` | error | a frame number of a box, segment or range that is not a non-negative integer below 2³¹ |
//! | `invalid-box-size` | error | `width <= 0` or `height <= 0` |
//! | `box-outside-frame` | warning | a box reaching outside the frame (`x < 0`, `y < 0`, or past the video's size when known): objects entering or leaving the picture do that |
//! | `invalid-range` | error | a segment or visibility range whose start is after its end |
//! | `segment-overlap` | error | two segments overlapping by more than a shared boundary keyframe (`[0,10]`, `[10,20]` is valid) |
//! | `segment-not-anchored` | warning | a segment whose ends are not a consecutive keyframe pair: the engine ignores it |
//! | `duplicate-segment` | warning | a second segment on the same keyframe pair: only the first is used |
//! | `unsupported-interpolation` | error | a type other than FOVEA's seven |
//! | `invalid-control-point` | error | a bezier control point with time `x` outside [0, 1] (progress `y` may overshoot) |
//! | `control-point-count` | warning | a bezier property curve without exactly two points: it is linear |
//! | `unsupported-parametric` | error | a `custom` parametric function, which has no defined evaluation |
//! | `visibility-overlap` | warning | overlapping visibility ranges (the first in array order decides) |
//! | `keyframe-hidden` | warning | a keyframe on a hidden frame: it is kept but not shown |
//! | `unknown-tracking-source` | warning | a `trackingSource` outside FOVEA's list (its tracker writes other model names too) |
//! | `invalid-tracking-confidence` | error | `trackingConfidence` outside [0, 1] |
//! | `unknown-line-type` | warning | a line type fovea does not know (kept verbatim) |
//! | `nul-in-text` | error | a string (or key) holding the NUL character, when the target is Postgres ([`super::ValidateOptions::refuse_nul`]; any profile) |

use super::{SOURCES, SUPPORTED, Sink, VideoSizes, js};
use crate::error::join_path;
use crate::jsonl::LineData;
use crate::model::raw::{RawBox, RawSequence};
use crate::model::{KeyframePolicy, MAX_FRAME};

fn present(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

fn missing(out: &mut Sink, path: impl std::fmt::Display, field: &str) {
    let path = path.to_string();
    let shown = if path.is_empty() { "data" } else { &path };
    out.error(
        "missing-field",
        format!("{shown}: missing required field `{field}`"),
        Some(join_path(&path, field)),
    );
}

/// The path of an element of an array, `{base}.{array}[{index}]`, formatted only when an issue
/// needs it (validating a valid line allocates no path).
#[derive(Clone, Copy)]
struct At<'a> {
    base: &'a str,
    array: &'static str,
    index: usize,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}[{}]", self.base, self.array, self.index)
    }
}

pub(super) fn validate_line(
    data: &LineData,
    policy: KeyframePolicy,
    videos: &VideoSizes,
    out: &mut Sink,
) {
    match data {
        LineData::Annotation(rec) => {
            let a = &rec.0;
            for (field, v) in [("id", &a.id), ("videoId", &a.video_id)] {
                if !present(v) {
                    missing(out, "data", field);
                }
            }
            match &a.bounding_box_sequence {
                None => missing(out, "data", "boundingBoxSequence"),
                Some(seq) => {
                    let size = a
                        .video_id
                        .as_ref()
                        .and_then(|v| videos.get(v))
                        .map(|s| (s.width, s.height));
                    validate_sequence(seq, policy, size, "data.boundingBoxSequence", out);
                }
            }
            match a.annotation_type.as_deref() {
                Some("object") => {
                    let links = [
                        &a.linked_entity_id,
                        &a.linked_event_id,
                        &a.linked_time_id,
                        &a.linked_location_id,
                        &a.linked_collection_id,
                    ];
                    if !links.into_iter().any(present) {
                        out.warning(
                            "no-linked-object",
                            "object annotation is linked to no object".into(),
                            None,
                        );
                    }
                }
                // FOVEA reads an absent type as "type".
                _ => {
                    for (field, v) in [
                        ("personaId", &a.persona_id),
                        ("typeId", &a.type_id),
                        ("typeCategory", &a.type_category),
                    ] {
                        if !present(v) {
                            missing(out, "data", field);
                        }
                    }
                }
            }
        }
        LineData::Entity(o) => require(out, &[("id", &o.id), ("name", &o.name)]),
        LineData::Event(o) => require(out, &[("id", &o.id), ("name", &o.name)]),
        LineData::Time(o) => require(out, &[("id", &o.id)]),
        LineData::EntityCollection(o) => require(out, &[("id", &o.id)]),
        LineData::EventCollection(o) => require(out, &[("id", &o.id)]),
        LineData::TimeCollection(o) => require(out, &[("id", &o.id)]),
        LineData::Relation(o) => require(out, &[("id", &o.id)]),
        LineData::Video(o) => require(out, &[("id", &o.id)]),
        LineData::Ontology(o) => {
            match &o.personas {
                None => missing(out, "data", "personas"),
                Some(ps) => {
                    for (i, p) in ps.iter().enumerate() {
                        if !present(&p.id) {
                            missing(out, format!("data.personas[{i}]"), "id");
                        }
                    }
                }
            }
            if o.persona_ontologies.is_none() {
                missing(out, "data", "personaOntologies");
            }
        }
        LineData::Metadata(_) => {}
        LineData::Unknown { kind, .. } => out.warning(
            "unknown-line-type",
            format!("unknown line type `{kind}` (kept as it is)"),
            Some("type".into()),
        ),
    }
}

fn require(out: &mut Sink, fields: &[(&str, &Option<String>)]) {
    for (field, v) in fields {
        if !present(v) {
            missing(out, "data", field);
        }
    }
}

/// Checks a frame number; returns it as an integer when valid.
fn frame(out: &mut Sink, v: Option<f64>, path: impl Fn() -> String) -> Option<u32> {
    let v = v?;
    let (code, what) = if v < 0.0 {
        ("frame-negative", "must be >= 0")
    } else if v.fract() != 0.0 {
        ("frame-not-integer", "must be an integer")
    } else if v > f64::from(MAX_FRAME) {
        ("frame-too-large", "must be below 2^31")
    } else {
        return Some(v as u32);
    };
    let path = path();
    out.error(
        code,
        format!("{path}: frame number {what}, got {}", js(v)),
        Some(path),
    );
    None
}

pub(super) fn validate_sequence(
    seq: &RawSequence,
    policy: KeyframePolicy,
    video: Option<(f64, f64)>,
    path: &str,
    out: &mut Sink,
) {
    let Some(boxes) = &seq.boxes else {
        return missing(out, path, "boxes");
    };
    let is_key = |b: &RawBox| match b.is_keyframe {
        Some(flag) => flag,
        None => policy == KeyframePolicy::AbsentIsKeyframe,
    };
    // Keyframe frames (valid ones), in stored order.
    let mut keys: Vec<(u32, usize)> = Vec::with_capacity(boxes.len());
    for (i, b) in boxes.iter().enumerate() {
        let here = || format!("{path}.boxes[{i}]");
        for (field, v) in [
            ("x", b.x),
            ("y", b.y),
            ("width", b.width),
            ("height", b.height),
            ("frameNumber", b.frame_number),
        ] {
            if v.is_none() {
                missing(out, here(), field);
            }
        }
        let f = frame(out, b.frame_number, || format!("{}.frameNumber", here()));
        if let (Some(w), Some(h)) = (b.width, b.height)
            && (w <= 0.0 || h <= 0.0)
        {
            out.error(
                "invalid-box-size",
                format!(
                    "{}: width and height must be > 0, got {}×{}",
                    here(),
                    js(w),
                    js(h)
                ),
                Some(here()),
            );
        }
        if let (Some(x), Some(y), Some(w), Some(h)) = (b.x, b.y, b.width, b.height) {
            let beyond = video.is_some_and(|(vw, vh)| x + w > vw || y + h > vh);
            if x < 0.0 || y < 0.0 || beyond {
                let size = video.map_or(String::new(), |(vw, vh)| {
                    format!(" of the {}×{} video", js(vw), js(vh))
                });
                out.warning(
                    "box-outside-frame",
                    format!(
                        "{}: box ({}, {}, {}×{}) reaches outside the frame{size}",
                        here(),
                        js(x),
                        js(y),
                        js(w),
                        js(h)
                    ),
                    Some(here()),
                );
            }
        }
        if is_key(b)
            && let Some(f) = f
        {
            keys.push((f, i));
        }
    }
    if keys.is_empty() {
        out.error(
            "no-keyframes",
            format!("{path}: the sequence has no keyframe"),
            Some(join_path(path, "boxes")),
        );
    }
    if keys.windows(2).any(|w| w[1].0 < w[0].0) {
        out.warning(
            "keyframes-unsorted",
            format!("{path}: keyframes are not stored in frame order (they are sorted when read)"),
            Some(join_path(path, "boxes")),
        );
    }
    let mut sorted: Vec<u32> = keys.iter().map(|k| k.0).collect();
    sorted.sort_unstable();
    for w in sorted.windows(2).filter(|w| w[0] == w[1]) {
        out.error(
            "duplicate-keyframe",
            format!("{path}: two keyframes at frame {}", w[0]),
            Some(join_path(path, "boxes")),
        );
    }
    sorted.dedup();
    segments(seq, &sorted, path, out);
    visibility(seq, &sorted, path, out);
    if let Some(src) = seq.tracking_source.as_deref()
        && !SOURCES.contains(&src)
    {
        out.warning(
            "unknown-tracking-source",
            format!(
                "{path}.trackingSource: `{src}` is not one of {}",
                SOURCES.join(", ")
            ),
            Some(join_path(path, "trackingSource")),
        );
    }
    if let Some(c) = seq.tracking_confidence
        && !(0.0..=1.0).contains(&c)
    {
        out.error(
            "invalid-tracking-confidence",
            format!(
                "{path}.trackingConfidence: must lie in [0, 1], got {}",
                js(c)
            ),
            Some(join_path(path, "trackingConfidence")),
        );
    }
}

fn segments(seq: &RawSequence, keys: &[u32], path: &str, out: &mut Sink) {
    let Some(segs) = &seq.interpolation_segments else {
        return;
    };
    let mut spans: Vec<(u32, u32, usize)> = Vec::with_capacity(segs.len());
    // The first segment on each keyframe pair, by the index of the pair's first keyframe.
    let mut first_on_pair: Vec<Option<usize>> = vec![None; keys.len()];
    for (i, s) in segs.iter().enumerate() {
        let here = At {
            base: path,
            array: "interpolationSegments",
            index: i,
        };
        for (field, v) in [
            ("startFrame", s.start_frame.is_some()),
            ("endFrame", s.end_frame.is_some()),
            ("type", s.kind.is_some()),
        ] {
            if !v {
                missing(out, here, field);
            }
        }
        let kind = s.kind.as_deref().unwrap_or("linear");
        if !SUPPORTED.contains(&kind) {
            out.error(
                "unsupported-interpolation",
                format!(
                    "{here}.type: unsupported interpolation type `{kind}` (expected one of {})",
                    SUPPORTED.join(", ")
                ),
                Some(format!("{here}.type")),
            );
        }
        if kind == "bezier"
            && let Some(cps) = &s.control_points
        {
            for (name, points) in [
                ("x", &cps.x),
                ("y", &cps.y),
                ("width", &cps.width),
                ("height", &cps.height),
            ] {
                let Some(points) = points else { continue };
                if points.len() != 2 {
                    out.warning(
                        "control-point-count",
                        format!("{here}.controlPoints.{name}: {} points instead of 2, so the property is linear", points.len()),
                        Some(format!("{here}.controlPoints.{name}")),
                    );
                }
                for (j, p) in points.iter().enumerate() {
                    if let Some(x) = p.x.filter(|x| !(0.0..=1.0).contains(x)) {
                        let at = format!("{here}.controlPoints.{name}[{j}].x");
                        out.error(
                            "invalid-control-point",
                            format!("{at}: time must lie in [0, 1], got {}", js(x)),
                            Some(at),
                        );
                    }
                }
            }
        }
        if kind == "parametric"
            && let Some(set) = &s.parametric
        {
            for (name, f) in [
                ("x", &set.x),
                ("y", &set.y),
                ("width", &set.width),
                ("height", &set.height),
            ] {
                if f.as_ref()
                    .is_some_and(|f| f.kind.as_deref() == Some("custom"))
                {
                    let at = format!("{here}.parametric.{name}");
                    out.error(
                        "unsupported-parametric",
                        format!("{at}: `custom` functions cannot be evaluated (FOVEA never implemented them)"),
                        Some(at),
                    );
                }
            }
        }
        let start = frame(out, s.start_frame, || format!("{here}.startFrame"));
        let end = frame(out, s.end_frame, || format!("{here}.endFrame"));
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        if start > end {
            out.error(
                "invalid-range",
                format!("{here}: starts at {start}, after its end {end}"),
                Some(here.to_string()),
            );
            continue;
        }
        let pair = keys
            .binary_search(&start)
            .ok()
            .filter(|k| keys.get(k + 1) == Some(&end));
        let Some(pair) = pair else {
            out.warning(
                "segment-not-anchored",
                format!("{here}: [{start}, {end}] is not a pair of consecutive keyframes, so it is ignored"),
                Some(here.to_string()),
            );
            spans.push((start, end, i));
            continue;
        };
        match first_on_pair[pair] {
            Some(first) => out.warning(
                "duplicate-segment",
                format!("{here}: keyframe pair [{start}, {end}] already has segment {first}; only the first is used"),
                Some(here.to_string()),
            ),
            None => first_on_pair[pair] = Some(i),
        }
        spans.push((start, end, i));
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        let ((s, e, i), (ns, ne, j)) = (w[0], w[1]);
        // Sharing a boundary keyframe is FOVEA's own layout; only a true overlap is an error.
        if e > ns && !(s == ns && e == ne) {
            out.error(
                "segment-overlap",
                format!("{path}.interpolationSegments: [{s}, {e}] (segment {i}) and [{ns}, {ne}] (segment {j}) overlap"),
                Some(format!("{path}.interpolationSegments[{j}]")),
            );
        }
    }
}

fn visibility(seq: &RawSequence, keys: &[u32], path: &str, out: &mut Sink) {
    let Some(ranges) = &seq.visibility_ranges else {
        return;
    };
    let mut checked = Vec::with_capacity(ranges.len());
    for (i, r) in ranges.iter().enumerate() {
        let here = At {
            base: path,
            array: "visibilityRanges",
            index: i,
        };
        for (field, v) in [
            ("startFrame", r.start_frame.is_some()),
            ("endFrame", r.end_frame.is_some()),
            ("visible", r.visible.is_some()),
        ] {
            if !v {
                missing(out, here, field);
            }
        }
        let start = frame(out, r.start_frame, || format!("{here}.startFrame"));
        let end = frame(out, r.end_frame, || format!("{here}.endFrame"));
        let (Some(start), Some(end), Some(visible)) = (start, end, r.visible) else {
            continue;
        };
        if start > end {
            out.error(
                "invalid-range",
                format!("{here}: starts at {start}, after its end {end}"),
                Some(here.to_string()),
            );
            continue;
        }
        checked.push(crate::model::VisibilityRange::new(start, end, visible));
    }
    let mut by_start: Vec<&crate::model::VisibilityRange> = checked.iter().collect();
    by_start.sort_by_key(|r| r.start_frame);
    if by_start
        .windows(2)
        .any(|w| w[0].end_frame >= w[1].start_frame)
    {
        out.warning(
            "visibility-overlap",
            format!("{path}.visibilityRanges: ranges overlap; the first in array order decides each frame"),
            Some(format!("{path}.visibilityRanges")),
        );
    }
    if keys.len() >= 2 {
        let hidden = crate::interp::hidden_intervals(&checked);
        for &k in keys {
            if !crate::interp::is_visible(&hidden, k) {
                out.warning(
                    "keyframe-hidden",
                    format!("{path}: the keyframe at frame {k} is hidden (kept, but not shown)"),
                    Some(format!("{path}.visibilityRanges")),
                );
            }
        }
    }
}
