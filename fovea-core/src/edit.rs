//! Editing a sequence: add, remove, update and move keyframes; set a keyframe pair's
//! interpolation; set and toggle visibility.
//!
//! FOVEA's behaviours that existing data depends on are kept: a new keyframe takes
//! the interpolated value (or copies the nearest keyframe outside the span), segments containing
//! it are split into two copies, removing a keyframe merges its two segments keeping the left
//! one's type, an update cannot move a keyframe. FOVEA's defects are fixed:
//!
//! * no keyframe is ever dropped (FOVEA drops keyframes that end up hidden);
//! * visibility is changed only where it must be, by painting frames onto the resolved ranges:
//!   no hidden range is un-hidden and no overlapping ranges are created (FOVEA widens the first
//!   visible range over every keyframe, un-hiding the hidden ranges inside);
//! * segments are merged by keyframe pair, not by array adjacency (FOVEA merges a segment with
//!   the next one in the array, the wrong neighbour when segments are unsorted);
//! * explicit `isKeyframe: false` boxes are never taken for keyframes (FOVEA's add takes them
//!   for keyframes); they are left in place, except one at the frame a keyframe is added or
//!   moved to, which it replaces;
//! * a pair without a segment can be given one (FOVEA cannot create segments);
//! * refused edits (removing an end keyframe, adding over a keyframe, …) return a typed
//!   [`Refusal`] and leave the sequence untouched;
//! * end keyframes can be moved (FOVEA duplicates them).
//!
//! After every successful edit `boxes` is sorted by frame (stably). Counters are not stored:
//! they are recomputed whenever the sequence is written.

use crate::error::{Error, Refusal, Result};
use crate::interp::{
    InterpOptions, Piece, Profile, resolve_visibility, segment_for, sorted_keyframes,
};
use crate::model::parse::{finite, from_value, to_frame};
use crate::model::{
    BoundingBox, BoundingBoxSequence, ControlPoints, Frame, InterpolationSegment,
    InterpolationType, KeyframePolicy, MAX_FRAME, ParametricSet, ParametricType, VisibilityRange,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

/// New values for some fields of a keyframe ([`BoundingBoxSequence::update_keyframe`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoxUpdate {
    /// New left edge.
    pub x: Option<f64>,
    /// New top edge.
    pub y: Option<f64>,
    /// New width.
    pub width: Option<f64>,
    /// New height.
    pub height: Option<f64>,
    /// New confidence.
    pub confidence: Option<f64>,
    /// New metadata (replaces the old object).
    pub metadata: Option<Map<String, Value>>,
    /// Other fields to set.
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUpdate {
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    width: Option<f64>,
    #[serde(default)]
    height: Option<f64>,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
    // A keyframe's frame and flag are not updatable, as in FOVEA: use move_keyframe.
    #[serde(default)]
    #[allow(dead_code)]
    frame_number: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    is_keyframe: Option<IgnoredAny>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl BoxUpdate {
    /// Reads a partial box (`{"x": 10, "confidence": 0.9, …}`). `frameNumber` and `isKeyframe`
    /// are accepted and ignored, as in FOVEA: an update never moves or demotes a keyframe.
    pub fn from_value(value: Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::InvalidType {
                path: "$".into(),
                message: format!(
                    "expected an object of box fields (x, y, width, height, …), got {value}"
                ),
            });
        }
        let raw: RawUpdate = from_value(value)?;
        Ok(BoxUpdate {
            x: raw.x,
            y: raw.y,
            width: raw.width,
            height: raw.height,
            confidence: raw.confidence,
            metadata: raw.metadata,
            extra: raw.extra,
        })
    }

    fn check(&self) -> Result<()> {
        for (name, v) in [
            ("x", self.x),
            ("y", self.y),
            ("width", self.width),
            ("height", self.height),
            ("confidence", self.confidence),
        ] {
            if let Some(v) = v {
                finite(v, || name.to_owned())?;
            }
        }
        Ok(())
    }
}

/// The interpolation to give a keyframe pair ([`BoundingBoxSequence::set_interpolation`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SegmentSpec {
    /// The type; must be one of FOVEA's seven.
    pub kind: InterpolationType,
    /// Per-property curves for `bezier` (kept from the existing segment when `None`).
    pub control_points: Option<ControlPoints>,
    /// Per-property functions for `parametric` (kept from the existing segment when `None`).
    pub parametric: Option<ParametricSet>,
}

impl SegmentSpec {
    fn check(&self, profile: Profile) -> Result<()> {
        if let InterpolationType::Other(name) = &self.kind {
            return Err(Error::UnsupportedInterpolation {
                value: name.clone(),
            });
        }
        if let Some(cps) = &self.control_points {
            for (name, points) in cps.entries() {
                for (i, p) in points.into_iter().flatten().enumerate() {
                    if !(0.0..=1.0).contains(&p.x) {
                        return Err(Error::InvalidControlPoint {
                            path: format!("controlPoints.{name}[{i}]"),
                            value: p.x,
                        });
                    }
                }
            }
        }
        if let Some(set) = &self.parametric
            && profile == Profile::Default
        {
            for (name, f) in set.entries() {
                if f.is_some_and(|f| f.kind == ParametricType::Custom) {
                    return Err(Error::UnsupportedParametric {
                        path: format!("parametric.{name}"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Reads box values for [`BoundingBoxSequence::add_keyframe`] from `{"x", "y", "width",
/// "height"}` (other fields ignored) or `[x, y, width, height]`.
///
/// ```
/// use fovea_core::edit::box_values_from_value;
/// let v = box_values_from_value(serde_json::json!({"x": 1, "y": 2, "width": 3, "height": 4})).unwrap();
/// assert_eq!(v, [1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(box_values_from_value(serde_json::json!([1, 2, 3])).unwrap_err().code(), "invalid-type");
/// ```
pub fn box_values_from_value(value: Value) -> Result<[f64; 4]> {
    #[derive(Deserialize)]
    struct Named {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    }
    let values = match value {
        Value::Array(_) => from_value::<[f64; 4]>(value)?,
        other => {
            let n: Named = from_value(other)?;
            [n.x, n.y, n.width, n.height]
        }
    };
    check_values(values)
}

fn check_frame(frame: Frame, name: &str) -> Result<Frame> {
    to_frame(f64::from(frame), || name.to_owned())
}

/// Refuses a box with a value that is not finite, its path made from the value's name by
/// `path`.
fn check_values_at(values: [f64; 4], path: impl Fn(&str) -> String) -> Result<[f64; 4]> {
    for (name, v) in ["x", "y", "width", "height"].into_iter().zip(values) {
        finite(v, || path(name))?;
    }
    Ok(values)
}

fn check_values(values: [f64; 4]) -> Result<[f64; 4]> {
    check_values_at(values, str::to_owned)
}

/// Refuses an interpolated box with a value that is not finite as a keyframe (a segment's curve
/// can overflow between finite keyframes; exports write such values as `null`, but a keyframe
/// must hold numbers). The path names the value and the frame.
fn check_interpolated(values: [f64; 4], frame: Frame) -> Result<[f64; 4]> {
    check_values_at(values, |name| {
        format!("{name} interpolated at frame {frame}")
    })
}

/// `[first, last]` of sorted frames, for messages.
fn span_text(frames: &[Frame]) -> String {
    match frames {
        [first, .., last] => format!("[{first}, {last}]"),
        _ => "no pair".to_owned(),
    }
}

impl BoundingBoxSequence {
    /// Keyframe frames under `policy`, ascending.
    fn keyframe_frames(&self, policy: KeyframePolicy) -> Vec<Frame> {
        sorted_keyframes(self, policy)
            .into_iter()
            .map(|i| self.boxes[i].frame_number)
            .collect()
    }

    /// Stable sort of `boxes` by frame.
    fn sort_boxes(&mut self) {
        self.boxes.sort_by_key(|b| b.frame_number);
    }

    /// Removes non-keyframe boxes at `frame` (a keyframe placed there supersedes them).
    fn drop_interpolated_at(&mut self, frame: Frame, policy: KeyframePolicy) {
        self.boxes
            .retain(|b| b.frame_number != frame || b.is_keyframe_under(policy));
    }

    /// Adds a keyframe at `frame`.
    ///
    /// With `values`, the keyframe takes them. Without, it takes the interpolated value at
    /// `frame` (the pair's curve, ignoring visibility), or outside the keyframe span a copy of
    /// the nearest keyframe with its confidence and metadata (FOVEA's rule). Segments containing
    /// `frame` are split into two copies. If `frame` would not be visible, the smallest change
    /// that makes it visible is painted onto the visibility ranges (an uncovered gap is closed
    /// by extending the nearest visible range, as FOVEA widens its range; a hidden frame is
    /// carved out alone). A sequence without ranges gets one visible range over the keyframes.
    ///
    /// ```
    /// use fovea_core::model::BoundingBoxSequence;
    /// use fovea_core::interp::InterpOptions;
    /// let mut seq = BoundingBoxSequence::from_json(r#"{"boxes":[
    ///   {"x":0,"y":0,"width":100,"height":100,"frameNumber":0},
    ///   {"x":100,"y":100,"width":100,"height":100,"frameNumber":20}]}"#).unwrap();
    /// seq.add_keyframe(5, None, &InterpOptions::default()).unwrap();
    /// assert_eq!(seq.boxes[1].x, 25.0);
    /// let refused = seq.add_keyframe(5, None, &InterpOptions::default()).unwrap_err();
    /// assert_eq!(refused.code(), "keyframe-exists");
    /// ```
    pub fn add_keyframe(
        &mut self,
        frame: Frame,
        values: Option<[f64; 4]>,
        opts: &InterpOptions,
    ) -> Result<()> {
        check_frame(frame, "frame")?;
        let keys = sorted_keyframes(self, opts.keyframes);
        let frames: Vec<Frame> = keys.iter().map(|&i| self.boxes[i].frame_number).collect();
        if frames.binary_search(&frame).is_ok() {
            return Err(Refusal::KeyframeExists { frame }.into());
        }
        let new_box = match values {
            Some(v) => BoundingBox::keyframe(frame, check_values(v)?),
            None => {
                let i = frames.partition_point(|&f| f < frame);
                let (Some(&first), Some(&last)) = (keys.first(), keys.last()) else {
                    return Err(Refusal::NoKeyframes { frame }.into());
                };
                if i == 0 || i == keys.len() {
                    // Outside the span: copy the nearest keyframe, extra fields included.
                    let mut b = self.boxes[if i == 0 { first } else { last }].clone();
                    b.frame_number = frame;
                    b.is_keyframe = Some(true);
                    b
                } else {
                    let (left, right) = (&self.boxes[keys[i - 1]], &self.boxes[keys[i]]);
                    let v = crate::interp::pair_value(self, left, right, frame, opts)?;
                    BoundingBox::keyframe(frame, check_interpolated(v, frame)?)
                }
            }
        };
        let first = frames.first().map_or(frame, |&f| f.min(frame));
        let last = frames.last().map_or(frame, |&f| f.max(frame));
        self.drop_interpolated_at(frame, opts.keyframes);
        self.boxes.push(new_box);
        self.sort_boxes();
        self.split_segments_at(frame);
        self.ensure_visible(frame, first, last);
        Ok(())
    }

    /// Removes the keyframe at `frame` and returns it. The segments of its two pairs become one
    /// segment over the new pair with the left segment's type and curves (none, i.e. linear,
    /// when the left pair had no segment). Visibility is unchanged.
    ///
    /// Refused for a frame without a keyframe and for the first and last keyframes.
    pub fn remove_keyframe(&mut self, frame: Frame, opts: &InterpOptions) -> Result<BoundingBox> {
        check_frame(frame, "frame")?;
        let frames = self.keyframe_frames(opts.keyframes);
        if frames.binary_search(&frame).is_err() {
            return Err(Refusal::NotAKeyframe { frame }.into());
        }
        let (prev, next) = neighbours(&frames, frame);
        let (Some(prev), Some(next)) = (prev, next) else {
            return Err(Refusal::EndKeyframe { frame }.into());
        };
        self.detach_segments(Some(prev), frame, Some(next));
        let index = self
            .boxes
            .iter()
            .position(|b| b.frame_number == frame && b.is_keyframe_under(opts.keyframes))
            .expect("a keyframe at frame was found above");
        let removed = self.boxes.remove(index);
        self.boxes
            .retain(|b| b.frame_number != frame || !b.is_keyframe_under(opts.keyframes));
        self.sort_boxes();
        Ok(removed)
    }

    /// Sets fields of the keyframe at `frame`. The frame and the keyframe flag do not change.
    pub fn update_keyframe(
        &mut self,
        frame: Frame,
        update: &BoxUpdate,
        opts: &InterpOptions,
    ) -> Result<()> {
        check_frame(frame, "frame")?;
        update.check()?;
        let b = self
            .boxes
            .iter_mut()
            .find(|b| b.frame_number == frame && b.is_keyframe_under(opts.keyframes))
            .ok_or(Refusal::NotAKeyframe { frame })?;
        let fields = [
            (&mut b.x, update.x),
            (&mut b.y, update.y),
            (&mut b.width, update.width),
            (&mut b.height, update.height),
        ];
        for (slot, value) in fields {
            if let Some(v) = value {
                *slot = v;
            }
        }
        if update.confidence.is_some() {
            b.confidence = update.confidence;
        }
        if update.metadata.is_some() {
            b.metadata.clone_from(&update.metadata);
        }
        for (k, v) in &update.extra {
            b.extra.insert(k.clone(), v.clone());
        }
        b.is_keyframe = Some(true);
        self.sort_boxes();
        Ok(())
    }

    /// Moves the keyframe at `from` to `to`, keeping its values and fields.
    ///
    /// If `to` lies between the same neighbours, the two segments anchored on the keyframe
    /// follow it (types unchanged). Otherwise the keyframe leaves its pairs as in
    /// [`BoundingBoxSequence::remove_keyframe`] (an end keyframe simply drops its segment) and
    /// joins its new place as in [`BoundingBoxSequence::add_keyframe`]. `to` is made visible.
    pub fn move_keyframe(&mut self, from: Frame, to: Frame, opts: &InterpOptions) -> Result<()> {
        check_frame(from, "from")?;
        check_frame(to, "to")?;
        let frames = self.keyframe_frames(opts.keyframes);
        if frames.binary_search(&from).is_err() {
            return Err(Refusal::NotAKeyframe { frame: from }.into());
        }
        if from == to {
            return Ok(());
        }
        if frames.binary_search(&to).is_ok() {
            return Err(Refusal::KeyframeExists { frame: to }.into());
        }
        let (prev, next) = neighbours(&frames, from);
        let stays_between = prev.is_none_or(|p| p < to) && next.is_none_or(|n| to < n);
        if stays_between {
            for s in &mut self.interpolation_segments {
                if prev.is_some_and(|p| s.spans(p, from)) {
                    s.end_frame = to;
                } else if next.is_some_and(|n| s.spans(from, n)) {
                    s.start_frame = to;
                }
            }
        } else {
            self.detach_segments(prev, from, next);
            self.split_segments_at(to);
        }
        self.drop_interpolated_at(to, opts.keyframes);
        for b in &mut self.boxes {
            if b.frame_number == from && b.is_keyframe_under(opts.keyframes) {
                b.frame_number = to;
                b.is_keyframe = Some(true);
            }
        }
        self.sort_boxes();
        let moved = self.keyframe_frames(opts.keyframes);
        self.ensure_visible(to, moved[0], moved[moved.len() - 1]);
        Ok(())
    }

    /// Sets the interpolation of the keyframe pair containing `frame` (the pair `[k, k']` with
    /// `k <= frame < k'`), creating its segment when it has none. A non-bezier type drops the
    /// segment's control points, a non-parametric type its parametric functions.
    pub fn set_interpolation(
        &mut self,
        frame: Frame,
        spec: SegmentSpec,
        opts: &InterpOptions,
    ) -> Result<()> {
        check_frame(frame, "frame")?;
        spec.check(opts.profile)?;
        let frames = self.keyframe_frames(opts.keyframes);
        let i = frames.partition_point(|&f| f <= frame);
        if i == 0 || i >= frames.len() {
            return Err(Refusal::OutsideSpan {
                frame,
                span: span_text(&frames),
            }
            .into());
        }
        let (start, end) = (frames[i - 1], frames[i]);
        let index = match segment_for(&self.interpolation_segments, start, end) {
            Some(index) => index,
            None => {
                let at = self
                    .interpolation_segments
                    .partition_point(|s| s.start_frame <= start);
                let kind = spec.kind.clone();
                self.interpolation_segments
                    .insert(at, InterpolationSegment::new(start, end, kind));
                at
            }
        };
        let seg = &mut self.interpolation_segments[index];
        seg.control_points = match spec.kind {
            InterpolationType::Bezier => spec
                .control_points
                .map(Box::new)
                .or(seg.control_points.take()),
            _ => None,
        };
        seg.parametric = match spec.kind {
            InterpolationType::Parametric => {
                spec.parametric.map(Box::new).or(seg.parametric.take())
            }
            _ => None,
        };
        seg.kind = spec.kind;
        Ok(())
    }

    /// Makes frames `start..=end` visible or hidden, leaving every other frame as it was.
    pub fn set_visibility(&mut self, start: Frame, end: Frame, visible: bool) -> Result<()> {
        check_frame(start, "start")?;
        check_frame(end, "end")?;
        if start > end {
            return Err(Error::InvalidRange { start, end });
        }
        self.paint(start, end, visible, Map::new());
        Ok(())
    }

    /// Flips the visibility of `frame` alone and returns its new visibility.
    pub fn toggle_visibility(&mut self, frame: Frame) -> Result<bool> {
        check_frame(frame, "frame")?;
        let visible = !crate::interp::is_frame_visible(&self.visibility_ranges, frame);
        self.paint(frame, frame, visible, Map::new());
        Ok(visible)
    }

    /// Splits every segment strictly containing `frame` into two copies (FOVEA's rule). Each
    /// half is placed before any other segment on the same pair, so that a stray segment the new
    /// keyframe happens to anchor cannot take over the split segment's motion.
    fn split_segments_at(&mut self, frame: Frame) {
        if !self
            .interpolation_segments
            .iter()
            .any(|s| s.start_frame < frame && frame < s.end_frame)
        {
            return;
        }
        let old = std::mem::take(&mut self.interpolation_segments);
        let mut halves = Vec::new();
        for s in old {
            if s.start_frame < frame && frame < s.end_frame {
                let mut right = s.clone();
                right.start_frame = frame;
                let mut left = s;
                left.end_frame = frame;
                halves.push(self.interpolation_segments.len());
                self.interpolation_segments.push(left);
                halves.push(self.interpolation_segments.len());
                self.interpolation_segments.push(right);
            } else {
                self.interpolation_segments.push(s);
            }
        }
        // Halves are visited in ascending position; moving one earlier shifts only positions
        // before the later halves' targets, so their recorded positions stay right.
        for &at in &halves {
            let (start, end) = {
                let h = &self.interpolation_segments[at];
                (h.start_frame, h.end_frame)
            };
            if let Some(first) = segment_for(&self.interpolation_segments, start, end)
                && first < at
            {
                let half = self.interpolation_segments.remove(at);
                self.interpolation_segments.insert(first, half);
            }
        }
    }

    /// Rewrites the segments when the keyframe at `frame` leaves the pairs `(prev, frame)` and
    /// `(frame, next)`: both become one segment `(prev, next)` with the left one's type (or
    /// none when the left pair had none); stale segments on these pairs are removed.
    fn detach_segments(&mut self, prev: Option<Frame>, frame: Frame, next: Option<Frame>) {
        let left = prev.and_then(|p| segment_for(&self.interpolation_segments, p, frame));
        let old = std::mem::take(&mut self.interpolation_segments);
        for (i, mut s) in old.into_iter().enumerate() {
            if Some(i) == left {
                match next {
                    Some(n) => s.end_frame = n,
                    None => continue,
                }
                self.interpolation_segments.push(s);
                continue;
            }
            let stale = prev.is_some_and(|p| s.spans(p, frame))
                || next.is_some_and(|n| s.spans(frame, n))
                || prev.zip(next).is_some_and(|(p, n)| s.spans(p, n));
            if !stale {
                self.interpolation_segments.push(s);
            }
        }
    }

    /// Makes `frame` visible with the smallest change (see [`BoundingBoxSequence::add_keyframe`]).
    fn ensure_visible(&mut self, frame: Frame, first: Frame, last: Frame) {
        if self.visibility_ranges.is_empty() {
            self.visibility_ranges = vec![VisibilityRange::new(first, last, true)];
            return;
        }
        let pieces = resolve_visibility(&self.visibility_ranges);
        let i = pieces.partition_point(|p| p.end < frame);
        match pieces.get(i) {
            Some(p) if p.start <= frame => {
                if !p.visible {
                    self.paint(frame, frame, true, Map::new());
                }
            }
            right => {
                // Uncovered (visible by default): extend the nearest visible neighbour over the
                // uncovered gap, as FOVEA widens its visible range to the new keyframe.
                let left = i.checked_sub(1).map(|j| pieces[j]).filter(|p| p.visible);
                let right = right.copied().filter(|p| p.visible);
                let gap = |p: &Piece| {
                    if p.end < frame {
                        frame - p.end
                    } else {
                        p.start - frame
                    }
                };
                let nearest = match (left, right) {
                    (Some(l), Some(r)) => Some(if gap(&r) < gap(&l) { r } else { l }),
                    (l, r) => l.or(r),
                };
                match nearest {
                    Some(p) => {
                        let extra = self.visibility_ranges[p.src].extra.clone();
                        if p.end < frame {
                            self.paint(p.end + 1, frame, true, extra);
                        } else {
                            self.paint(frame, p.start - 1, true, extra);
                        }
                    }
                    None => self.paint(frame, frame, true, Map::new()),
                }
            }
        }
    }

    /// Paints `start..=end` with `visible` onto the resolved ranges; the result is sorted and
    /// disjoint, with contiguous equal neighbours merged. O(R log R).
    pub(crate) fn paint(
        &mut self,
        start: Frame,
        end: Frame,
        visible: bool,
        extra: Map<String, Value>,
    ) {
        debug_assert!(start <= end && end <= MAX_FRAME);
        let pieces: Vec<VisibilityRange> = resolve_visibility(&self.visibility_ranges)
            .into_iter()
            .map(|p| VisibilityRange {
                start_frame: p.start,
                end_frame: p.end,
                visible: p.visible,
                extra: self.visibility_ranges[p.src].extra.clone(),
            })
            .collect();
        let painted = VisibilityRange {
            start_frame: start,
            end_frame: end,
            visible,
            extra,
        };
        let mut out: Vec<VisibilityRange> = Vec::with_capacity(pieces.len() + 2);
        let mut painted = Some(painted);
        for p in pieces {
            if p.end_frame < start {
                out.push(p);
                continue;
            }
            if p.start_frame < start {
                let mut head = p.clone();
                head.end_frame = start - 1;
                out.push(head);
            }
            out.extend(painted.take());
            if p.end_frame > end {
                let mut tail = p;
                tail.start_frame = tail.start_frame.max(end + 1);
                out.push(tail);
            }
        }
        out.extend(painted);
        let mut merged: Vec<VisibilityRange> = Vec::with_capacity(out.len());
        for r in out {
            match merged.last_mut() {
                Some(m)
                    if m.end_frame + 1 == r.start_frame
                        && m.visible == r.visible
                        && m.extra == r.extra =>
                {
                    m.end_frame = r.end_frame;
                }
                _ => merged.push(r),
            }
        }
        self.visibility_ranges = merged;
    }
}

/// The keyframe frames just before and just after `frame` in sorted `frames`.
fn neighbours(frames: &[Frame], frame: Frame) -> (Option<Frame>, Option<Frame>) {
    let lo = frames.partition_point(|&f| f < frame);
    let hi = frames.partition_point(|&f| f <= frame);
    (
        lo.checked_sub(1).map(|i| frames[i]),
        frames.get(hi).copied(),
    )
}
