//! The interpolation engine: compile a sequence once, then evaluate every frame (eager) or any
//! single frame (O(log K)).
//!
//! Compiling sorts the keyframes (stably, as FOVEA does), resolves the segment of every
//! keyframe pair (the first segment in array order anchored exactly on the pair, else implicit
//! linear) and resolves visibility into sorted hidden intervals. Evaluation then never sorts,
//! scans or allocates per frame.
//!
//! Behaviour is that of FOVEA's eager and single-frame interpolation, with two differences:
//! * only keyframes (boxes that are keyframes under the [`KeyframePolicy`]) take part; FOVEA's
//!   eager function takes whatever boxes it is handed, its single-frame query only keyframes;
//! * parametric segments follow `segment.parametric[prop]` (FOVEA evaluates them as linear);
//!   `custom` functions are an error. [`Profile::Fovea`] reproduces FOVEA on both counts.
//!
//! ```
//! use fovea_core::interp::{CompiledSequence, InterpOptions};
//! use fovea_core::model::BoundingBoxSequence;
//! let seq = BoundingBoxSequence::from_json(r#"{"boxes":[
//!     {"x":0,"y":0,"width":100,"height":100,"frameNumber":0,"isKeyframe":true},
//!     {"x":100,"y":100,"width":200,"height":200,"frameNumber":10,"isKeyframe":true}]}"#).unwrap();
//! let compiled = CompiledSequence::new(&seq, &InterpOptions::default()).unwrap();
//! assert_eq!(compiled.len(), 11);
//! assert_eq!(compiled.values_at(5), Some([50.0, 50.0, 150.0, 150.0]));
//! assert_eq!(compiled.values_at(11), None);
//! let dense = compiled.to_dense();
//! assert_eq!(dense.frames[5], 5);
//! ```

mod curve;
mod eval;
mod visibility;

use crate::error::{Error, Result};
use crate::model::{
    BoundingBox, BoundingBoxSequence, Counters, Frame, InterpolationSegment, KeyframePolicy,
};
use curve::Kernel;
use std::collections::HashMap;

pub use eval::{Dense, FrameIndex, FrameSink, RowMarks};
pub(crate) use visibility::{Piece, hidden_intervals, is_visible, resolve as resolve_visibility};

/// Which behaviour to follow where FOVEA's is defective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Profile {
    /// fovea's behaviour: FOVEA's where it is right, fixed where it is not.
    #[default]
    Default,
    /// Reproduce FOVEA exactly, defects included (for interoperability checks).
    Fovea,
}

impl Profile {
    /// Parses `"default"` or `"fovea"`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "default" => Ok(Profile::Default),
            "fovea" => Ok(Profile::Fovea),
            other => Err(Error::InvalidOption {
                option: "profile",
                value: other.to_owned(),
                expected: "default, fovea",
            }),
        }
    }

    /// The name [`Profile::parse`] accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Fovea => "fovea",
        }
    }
}

/// Options of compilation and evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct InterpOptions {
    /// Default (parametric honoured, `custom` refused) or FOVEA (both linear).
    pub profile: Profile,
    /// How boxes without `isKeyframe` are read.
    pub keyframes: KeyframePolicy,
}

impl InterpOptions {
    /// Options with the given profile and the default keyframe policy.
    pub fn with_profile(profile: Profile) -> Self {
        InterpOptions {
            profile,
            ..Self::default()
        }
    }
}

/// The frame skeleton of a sequence: sorted keyframe frames and hidden intervals. Enough to
/// count frames; curves are not needed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timeline {
    /// Keyframe frames, ascending (duplicates kept).
    pub frames: Vec<Frame>,
    /// Hidden frames as sorted disjoint inclusive intervals.
    pub hidden: Vec<(Frame, Frame)>,
}

impl Timeline {
    pub(crate) fn new(seq: &BoundingBoxSequence, policy: KeyframePolicy) -> Self {
        let mut frames: Vec<Frame> = seq
            .boxes
            .iter()
            .filter(|b| b.is_keyframe_under(policy))
            .map(|b| b.frame_number)
            .collect();
        frames.sort_unstable();
        Timeline {
            frames,
            hidden: visibility::hidden_intervals(&seq.visibility_ranges),
        }
    }

    pub(crate) fn is_visible(&self, frame: Frame) -> bool {
        visibility::is_visible(&self.hidden, frame)
    }

    pub(crate) fn keyframe_count(&self) -> usize {
        self.frames.len()
    }

    /// Frames the eager evaluation emits. O(K + log H + hidden intervals in the span).
    pub(crate) fn visible_count(&self) -> usize {
        match self.frames.as_slice() {
            [] => 0,
            // A lone keyframe is emitted even when hidden (FOVEA's rule).
            [_] => 1,
            [first, .., last] => {
                let span = (last - first) as usize + 1;
                let duplicates = self
                    .frames
                    .windows(2)
                    .filter(|w| w[0] == w[1] && self.is_visible(w[1]))
                    .count();
                span - visibility::hidden_within(&self.hidden, *first, *last) + duplicates
            }
        }
    }

    /// Keyframes among the emitted frames.
    pub(crate) fn visible_keyframe_count(&self) -> usize {
        match self.frames.len() {
            0 | 1 => self.frames.len(),
            _ => self.frames.iter().filter(|&&f| self.is_visible(f)).count(),
        }
    }
}

/// The keyframes of `seq` under `policy` with their indices in `seq.boxes`, stably sorted by
/// frame. O(K log K).
pub(crate) fn sorted_keyframes(seq: &BoundingBoxSequence, policy: KeyframePolicy) -> Vec<usize> {
    let mut keys: Vec<usize> = seq.keyframe_indices(policy).collect();
    keys.sort_by_key(|&i| seq.boxes[i].frame_number);
    keys
}

/// Index of the segment governing the keyframe pair `(start, end)`: the first in array order
/// anchored exactly on it.
pub(crate) fn segment_for(
    segments: &[InterpolationSegment],
    start: Frame,
    end: Frame,
) -> Option<usize> {
    segments.iter().position(|s| s.spans(start, end))
}

/// The value at `frame` between keyframes `left` and `right` of `seq`, by the segment
/// governing that pair (visibility ignored). Resolves only this pair's curves.
pub(crate) fn pair_value(
    seq: &BoundingBoxSequence,
    left: &BoundingBox,
    right: &BoundingBox,
    frame: Frame,
    opts: &InterpOptions,
) -> Result<[f64; 4]> {
    let idx = segment_for(
        &seq.interpolation_segments,
        left.frame_number,
        right.frame_number,
    );
    let kernel = Kernel::resolve(idx.map(|i| &seq.interpolation_segments[i]), opts, || {
        format!("interpolationSegments[{}]", idx.unwrap_or_default())
    })?;
    let t =
        f64::from(frame - left.frame_number) / f64::from(right.frame_number - left.frame_number);
    Ok(kernel.values(&left.values(), &right.values(), t))
}

/// Whether `frame` is visible under `ranges` (first match decides, uncovered is visible).
pub(crate) fn is_frame_visible(ranges: &[crate::model::VisibilityRange], frame: Frame) -> bool {
    visibility::is_visible(&visibility::hidden_intervals(ranges), frame)
}

/// A sequence compiled for evaluation. Owns its data; compile once, evaluate many times.
#[derive(Debug, Clone)]
pub struct CompiledSequence {
    /// Sorted keyframes, flagged `isKeyframe: true`, with all their fields.
    keys: Vec<BoundingBox>,
    /// `[x, y, width, height]` of each keyframe.
    values: Vec<[f64; 4]>,
    /// Curves of each keyframe pair (`keys.len() - 1` of them).
    kernels: Vec<Kernel>,
    timeline: Timeline,
    len: usize,
}

impl CompiledSequence {
    /// Compiles `seq`. O(K log K + S + R log R) for K keyframes, S segments, R ranges.
    ///
    /// Fails only when a segment that governs a keyframe pair uses a `custom` parametric
    /// function under [`Profile::Default`].
    pub fn new(seq: &BoundingBoxSequence, opts: &InterpOptions) -> Result<Self> {
        let order = sorted_keyframes(seq, opts.keyframes);
        let keys: Vec<BoundingBox> = order
            .iter()
            .map(|&i| {
                let mut b = seq.boxes[i].clone();
                b.is_keyframe = Some(true);
                b
            })
            .collect();
        // First segment per exact pair, in array order: O(S) to build, O(1) per pair.
        let mut by_pair: HashMap<(Frame, Frame), usize> =
            HashMap::with_capacity(seq.interpolation_segments.len());
        for (i, s) in seq.interpolation_segments.iter().enumerate() {
            by_pair.entry((s.start_frame, s.end_frame)).or_insert(i);
        }
        let kernels = keys
            .windows(2)
            .map(|w| {
                let idx = by_pair
                    .get(&(w[0].frame_number, w[1].frame_number))
                    .copied();
                Kernel::resolve(idx.map(|i| &seq.interpolation_segments[i]), opts, || {
                    format!("interpolationSegments[{}]", idx.unwrap_or_default())
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let timeline = Timeline {
            frames: keys.iter().map(|b| b.frame_number).collect(),
            hidden: visibility::hidden_intervals(&seq.visibility_ranges),
        };
        let len = timeline.visible_count();
        Ok(CompiledSequence {
            values: keys.iter().map(BoundingBox::values).collect(),
            keys,
            kernels,
            timeline,
            len,
        })
    }

    /// Number of frames the eager evaluation emits (visible frames of the keyframe span; a lone
    /// keyframe counts even when hidden).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Refuses eager evaluation beyond `limit` frames with [`Error::TooManyFrames`]. Bindings
    /// that materialise every frame call it (with [`crate::limits::EAGER_FRAMES`] unless told otherwise)
    /// so that a stray keyframe at frame 2,000,000,000 is an error, not an aborted process.
    pub fn check_eager_limit(&self, limit: usize) -> Result<()> {
        if self.len > limit {
            return Err(Error::TooManyFrames {
                frames: self.len,
                limit,
            });
        }
        Ok(())
    }

    /// Whether the eager evaluation emits nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The counters of the evaluated sequence (as written with every frame).
    pub fn counters(&self) -> crate::model::Counters {
        crate::model::Counters {
            total_frames: self.len,
            keyframe_count: self.keys.len(),
            interpolated_frame_count: self.len - self.timeline.visible_keyframe_count(),
        }
    }

    /// The keyframes, sorted by frame.
    pub fn keyframes(&self) -> &[BoundingBox] {
        &self.keys
    }

    /// The index in [`CompiledSequence::keyframes`] of `key`, one of them (the eager walk
    /// hands out references into that slice). O(1).
    fn key_index(&self, key: &BoundingBox) -> usize {
        let size = std::mem::size_of::<BoundingBox>();
        let offset = (key as *const BoundingBox as usize).wrapping_sub(self.keys.as_ptr() as usize);
        let index = offset / size;
        debug_assert!(offset.is_multiple_of(size) && index < self.keys.len());
        index.min(self.keys.len().saturating_sub(1))
    }

    /// Whether `frame` is visible (first-match rule, uncovered frames visible). O(log H).
    pub fn is_visible(&self, frame: Frame) -> bool {
        self.timeline.is_visible(frame)
    }

    /// The first and last keyframe frames.
    pub fn span(&self) -> Option<(Frame, Frame)> {
        Some((
            *self.timeline.frames.first()?,
            *self.timeline.frames.last()?,
        ))
    }

    /// Locates `frame`: `Ok(k)` if keyframe `k` sits there (the first of duplicates), `Err(i)`
    /// if it lies strictly inside pair `i`, `None` outside the span. O(log K).
    fn locate(&self, frame: Frame) -> Option<Result<usize, usize>> {
        let frames = &self.timeline.frames;
        let i = frames.partition_point(|&f| f < frame);
        if frames.get(i) == Some(&frame) {
            Some(Ok(i))
        } else if i == 0 || i == frames.len() {
            None
        } else {
            // The pair is (last keyframe before, first after): with duplicates, i - 1 is the
            // last of them, as in the eager walk.
            Some(Err(i - 1))
        }
    }

    /// The curve value at `frame` inside pair `pair`.
    fn pair_values(&self, pair: usize, frame: Frame) -> [f64; 4] {
        let (s, e) = (self.timeline.frames[pair], self.timeline.frames[pair + 1]);
        let t = f64::from(frame - s) / f64::from(e - s);
        self.kernels[pair].values(&self.values[pair], &self.values[pair + 1], t)
    }

    /// The box values at `frame`, or `None` outside the keyframe span or on a hidden frame.
    /// O(log K + log H), no allocation.
    pub fn values_at(&self, frame: Frame) -> Option<[f64; 4]> {
        if !self.is_visible(frame) {
            return None;
        }
        Some(match self.locate(frame)? {
            Ok(k) => self.values[k],
            Err(pair) => self.pair_values(pair, frame),
        })
    }

    /// The box at `frame` in FOVEA's shape: a keyframe with all its fields, or an interpolated
    /// box (`isKeyframe: false`); `None` outside the span or on a hidden frame.
    pub fn box_at(&self, frame: Frame) -> Option<BoundingBox> {
        if !self.is_visible(frame) {
            return None;
        }
        Some(match self.locate(frame)? {
            Ok(k) => self.keys[k].clone(),
            Err(pair) => interpolated_box(frame, self.pair_values(pair, frame)),
        })
    }

    /// The curve value at `frame` ignoring visibility: keyframe values on keyframes, the
    /// pair's curve between them, `None` outside the span.
    pub fn curve_at(&self, frame: Frame) -> Option<[f64; 4]> {
        Some(match self.locate(frame)? {
            Ok(k) => self.values[k],
            Err(pair) => self.pair_values(pair, frame),
        })
    }

    /// Every visible frame in FOVEA's box shape, ascending.
    pub fn boxes(&self) -> Vec<BoundingBox> {
        struct Collect(Vec<BoundingBox>);
        impl FrameSink for Collect {
            fn keyframe(&mut self, key: &BoundingBox) {
                self.0.push(key.clone());
            }
            fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
                self.0.push(interpolated_box(frame, values));
            }
        }
        let mut out = Collect(Vec::with_capacity(self.len));
        self.visit(&mut out);
        out.0
    }
}

/// An interpolated box as FOVEA's engine makes it: values, frame, `isKeyframe: false`.
pub fn interpolated_box(frame: Frame, values: [f64; 4]) -> BoundingBox {
    let mut b = BoundingBox::keyframe(frame, values);
    b.is_keyframe = Some(false);
    b
}

impl BoundingBoxSequence {
    /// Compiles the sequence for evaluation (see [`CompiledSequence::new`]).
    pub fn compile(&self, opts: &InterpOptions) -> Result<CompiledSequence> {
        CompiledSequence::new(self, opts)
    }
}

// The model's questions that the engine's timeline answers (kept here so that the model does
// not depend on the engine).
impl BoundingBoxSequence {
    /// The keyframes under `policy`, stably sorted by frame. O(K log K); needs no compilation.
    pub fn sorted_keyframes(&self, policy: KeyframePolicy) -> Vec<&BoundingBox> {
        sorted_keyframes(self, policy)
            .into_iter()
            .map(|i| &self.boxes[i])
            .collect()
    }

    /// The counters as fovea writes them, under `policy`.
    ///
    /// O(K log K + R log R) for K keyframes and R visibility ranges; needs no curve, so it
    /// succeeds even for sequences the engine would refuse to evaluate.
    pub fn counters(&self, policy: KeyframePolicy) -> Counters {
        let timeline = Timeline::new(self, policy);
        let total = timeline.visible_count();
        Counters {
            total_frames: total,
            keyframe_count: timeline.keyframe_count(),
            interpolated_frame_count: total - timeline.visible_keyframe_count(),
        }
    }
}
