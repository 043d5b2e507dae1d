//! FOVEA's data model: bounding boxes, interpolation segments, visibility ranges and sequences.
//!
//! Field names are FOVEA's camelCase JSON names. Every type keeps the JSON fields it does not
//! know in an `extra` map, so a read-write round trip loses nothing. Reading goes through
//! [`BoundingBoxSequence::from_json`] / [`BoundingBoxSequence::from_value`], which check the
//! data conventions (integer, non-negative frames; finite numbers; right types) and name the
//! offending field. Writing always emits `"isKeyframe": true` on keyframes and recomputes the
//! three counters (`totalFrames`, `keyframeCount`, `interpolatedFrameCount`).

mod annotation;
mod input;
pub(crate) mod parse;
pub(crate) mod raw;
#[cfg(feature = "schema")]
pub mod schema;
mod serialize;
mod world;

use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub use annotation::Annotation;
pub(crate) use annotation::{AnnotationOut, RawAnnotation};
pub use input::{SequenceInput, SequenceSource};
pub use parse::{control_points_from_value, parametric_from_value};
pub use serialize::FrameBoxes;
pub(crate) use serialize::{BoxesOut, SequenceOut, write_object};
pub use world::{
    Entity, EntityCollection, Event, EventCollection, EventInterpretation, EventParticipant,
    ExportMetadata, OntologyData, OntologyRelation, Persona, PersonaOntology, Time, TimeCollection,
    TypeAssignment, Video,
};

pub use crate::frame::{Frame, MAX_FRAME};

/// Checks and converts a frame number given as a number (e.g. by a binding): it must be a
/// finite, non-negative integer no larger than [`MAX_FRAME`]. `name` names it in the error.
///
/// ```
/// use fovea_core::model::parse_frame;
/// assert_eq!(parse_frame(7.0, "frame").unwrap(), 7);
/// assert_eq!(parse_frame(-1.0, "frame").unwrap_err().code(), "frame-negative");
/// ```
pub fn parse_frame(value: f64, name: &str) -> crate::Result<Frame> {
    parse::to_frame(value, || name.to_owned())
}

/// How a box without an `isKeyframe` field is read.
///
/// FOVEA's engine and editor treat an absent flag as a keyframe; its exporter and import
/// validator treat it as not a keyframe. The library defaults to the engine's
/// reading and always writes the flag on keyframes, which satisfies both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum KeyframePolicy {
    /// Absent `isKeyframe` means keyframe (FOVEA's engine).
    #[default]
    AbsentIsKeyframe,
    /// Absent `isKeyframe` means an interpolated box (FOVEA's exporter and validators).
    AbsentIsInterpolated,
}

/// One box: position and size in pixels of the video's native frame, at one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundingBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width (`> 0` for a valid box).
    pub width: f64,
    /// Height (`> 0` for a valid box).
    pub height: f64,
    /// Frame the box belongs to.
    pub frame_number: Frame,
    /// Model confidence, 0–1.
    pub confidence: Option<f64>,
    /// `Some(true)` keyframe, `Some(false)` interpolated, `None` absent (see [`KeyframePolicy`]).
    pub is_keyframe: Option<bool>,
    /// Free-form metadata object.
    pub metadata: Option<Map<String, Value>>,
    /// Fields FOVEA does not define, kept for the round trip.
    pub extra: Map<String, Value>,
}

impl BoundingBox {
    /// A keyframe box with the given values and no optional fields.
    pub fn keyframe(frame_number: Frame, [x, y, width, height]: [f64; 4]) -> Self {
        BoundingBox {
            x,
            y,
            width,
            height,
            frame_number,
            confidence: None,
            is_keyframe: Some(true),
            metadata: None,
            extra: Map::new(),
        }
    }

    /// Whether this box is a keyframe under `policy`.
    pub fn is_keyframe_under(&self, policy: KeyframePolicy) -> bool {
        match self.is_keyframe {
            Some(flag) => flag,
            None => policy == KeyframePolicy::AbsentIsKeyframe,
        }
    }

    /// `[x, y, width, height]`.
    pub fn values(&self) -> [f64; 4] {
        [self.x, self.y, self.width, self.height]
    }

    /// Sets `[x, y, width, height]`.
    pub fn set_values(&mut self, [x, y, width, height]: [f64; 4]) {
        self.x = x;
        self.y = y;
        self.width = width;
        self.height = height;
    }
}

/// The seven interpolation types of FOVEA, plus any other string (kept verbatim and
/// interpolated as linear, as FOVEA's engine does; validation reports it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InterpolationType {
    /// `linear`.
    #[default]
    Linear,
    /// `bezier`: per-property cubic curves from `controlPoints`.
    Bezier,
    /// `ease-in`: `t²`.
    EaseIn,
    /// `ease-out`: `t·(2 − t)`.
    EaseOut,
    /// `ease-in-out`: `2t²` below one half, `−1 + (4 − 2t)·t` above.
    EaseInOut,
    /// `hold`: the start value until the next keyframe.
    Hold,
    /// `parametric`: per-property functions from `parametric`.
    Parametric,
    /// Any other string.
    Other(String),
}

impl InterpolationType {
    /// The names of the known types, in the order FOVEA's messages list them.
    ///
    /// ```
    /// use fovea_core::model::InterpolationType;
    /// for name in InterpolationType::NAMES {
    ///     let t = InterpolationType::parse(name);
    ///     assert!(!matches!(t, InterpolationType::Other(_)));
    ///     assert_eq!(t.as_str(), name);
    /// }
    /// ```
    pub const NAMES: [&'static str; 7] = [
        "linear",
        "bezier",
        "ease-in",
        "ease-out",
        "ease-in-out",
        "hold",
        "parametric",
    ];

    /// The JSON name.
    pub fn as_str(&self) -> &str {
        match self {
            InterpolationType::Linear => "linear",
            InterpolationType::Bezier => "bezier",
            InterpolationType::EaseIn => "ease-in",
            InterpolationType::EaseOut => "ease-out",
            InterpolationType::EaseInOut => "ease-in-out",
            InterpolationType::Hold => "hold",
            InterpolationType::Parametric => "parametric",
            InterpolationType::Other(s) => s,
        }
    }

    /// Parses a JSON name; unknown names become [`InterpolationType::Other`].
    pub fn parse(name: &str) -> Self {
        match name {
            "linear" => InterpolationType::Linear,
            "bezier" => InterpolationType::Bezier,
            "ease-in" => InterpolationType::EaseIn,
            "ease-out" => InterpolationType::EaseOut,
            "ease-in-out" => InterpolationType::EaseInOut,
            "hold" => InterpolationType::Hold,
            "parametric" => InterpolationType::Parametric,
            other => InterpolationType::Other(other.to_owned()),
        }
    }
}

/// A point of a cubic bezier easing curve: `x` normalised time, `y` normalised progress.
#[derive(Debug, Clone, PartialEq)]
pub struct BezierControlPoint {
    /// Normalised time, 0–1.
    pub x: f64,
    /// Normalised progress (values outside 0–1 overshoot).
    pub y: f64,
    /// Unknown fields.
    pub extra: Map<String, Value>,
}

/// One value per box property; used for per-property bezier curves and parametric functions.
#[derive(Debug, Clone, PartialEq)]
pub struct PerProperty<T> {
    /// Curve of `x`.
    pub x: Option<T>,
    /// Curve of `y`.
    pub y: Option<T>,
    /// Curve of `width`.
    pub width: Option<T>,
    /// Curve of `height`.
    pub height: Option<T>,
    /// Unknown fields.
    pub extra: Map<String, Value>,
}

impl<T> Default for PerProperty<T> {
    fn default() -> Self {
        PerProperty {
            x: None,
            y: None,
            width: None,
            height: None,
            extra: Map::new(),
        }
    }
}

impl<T> PerProperty<T> {
    /// The four properties in box order (`x`, `y`, `width`, `height`), with their JSON names.
    pub fn entries(&self) -> [(&'static str, Option<&T>); 4] {
        [
            ("x", self.x.as_ref()),
            ("y", self.y.as_ref()),
            ("width", self.width.as_ref()),
            ("height", self.height.as_ref()),
        ]
    }
}

/// Per-property bezier curves of a segment (`controlPoints`).
pub type ControlPoints = PerProperty<Vec<BezierControlPoint>>;

/// Per-property parametric functions of a segment (`parametric`).
pub type ParametricSet = PerProperty<ParametricFunction>;

/// The kind of a [`ParametricFunction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParametricType {
    /// `linear`.
    Linear,
    /// `quadratic` ("gravity"), parameter `a`.
    Quadratic,
    /// `sinusoidal`, parameters `frequency` and `amplitude`.
    Sinusoidal,
    /// `custom`: an `expression` FOVEA never evaluates.
    Custom,
    /// Any other string (evaluated as linear, as FOVEA does).
    Other(String),
}

impl ParametricType {
    /// The JSON name.
    pub fn as_str(&self) -> &str {
        match self {
            ParametricType::Linear => "linear",
            ParametricType::Quadratic => "quadratic",
            ParametricType::Sinusoidal => "sinusoidal",
            ParametricType::Custom => "custom",
            ParametricType::Other(s) => s,
        }
    }

    /// Parses a JSON name; unknown names become [`ParametricType::Other`].
    pub fn parse(name: &str) -> Self {
        match name {
            "linear" => ParametricType::Linear,
            "quadratic" => ParametricType::Quadratic,
            "sinusoidal" => ParametricType::Sinusoidal,
            "custom" => ParametricType::Custom,
            other => ParametricType::Other(other.to_owned()),
        }
    }
}

/// A parametric motion function of one property.
#[derive(Debug, Clone, PartialEq)]
pub struct ParametricFunction {
    /// The function kind (`type` in JSON).
    pub kind: ParametricType,
    /// Named numeric parameters (`a`, `frequency`, `amplitude`).
    pub parameters: BTreeMap<String, f64>,
    /// Expression text of a `custom` function (never evaluated).
    pub expression: Option<String>,
    /// Unknown fields.
    pub extra: Map<String, Value>,
}

/// How the frames between two keyframes are interpolated.
#[derive(Debug, Clone, PartialEq)]
pub struct InterpolationSegment {
    /// Frame of the pair's first keyframe.
    pub start_frame: Frame,
    /// Frame of the pair's second keyframe.
    pub end_frame: Frame,
    /// Interpolation type (`type` in JSON).
    pub kind: InterpolationType,
    /// Per-property bezier curves, read when `kind` is bezier. Boxed, as is `parametric`:
    /// both are rare and large, and inline they would make every segment ~900 bytes to move.
    pub control_points: Option<Box<ControlPoints>>,
    /// Per-property parametric functions, read when `kind` is parametric.
    pub parametric: Option<Box<ParametricSet>>,
    /// Unknown fields.
    pub extra: Map<String, Value>,
}

impl InterpolationSegment {
    /// A segment of `kind` over the keyframe pair `[start, end]` with no curves.
    pub fn new(start_frame: Frame, end_frame: Frame, kind: InterpolationType) -> Self {
        InterpolationSegment {
            start_frame,
            end_frame,
            kind,
            control_points: None,
            parametric: None,
            extra: Map::new(),
        }
    }

    /// Whether the segment is anchored on exactly the keyframe pair `(start, end)`.
    pub fn spans(&self, start: Frame, end: Frame) -> bool {
        self.start_frame == start && self.end_frame == end
    }
}

/// An inclusive frame range that is visible or hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibilityRange {
    /// First frame.
    pub start_frame: Frame,
    /// Last frame (inclusive).
    pub end_frame: Frame,
    /// Whether the frames are visible.
    pub visible: bool,
    /// Unknown fields.
    pub extra: Map<String, Value>,
}

impl VisibilityRange {
    /// A range with no extra fields.
    pub fn new(start_frame: Frame, end_frame: Frame, visible: bool) -> Self {
        VisibilityRange {
            start_frame,
            end_frame,
            visible,
            extra: Map::new(),
        }
    }
}

/// A keyframe sequence: the boxes an annotator (or a tracker) set, how to interpolate between
/// them, and which frames are visible.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoundingBoxSequence {
    /// The stored boxes: keyframes (and, in data from elsewhere, possibly interpolated boxes).
    pub boxes: Vec<BoundingBox>,
    /// Interpolation segments, each anchored on a keyframe pair.
    pub interpolation_segments: Vec<InterpolationSegment>,
    /// Visibility ranges; the first range containing a frame decides, uncovered frames are visible.
    pub visibility_ranges: Vec<VisibilityRange>,
    /// Id of the tracking result the sequence came from (string or number).
    pub track_id: Option<Value>,
    /// Tracking model name (`manual`, `samurai`, `sam2long`, `sam2`, `yolo11seg`, …).
    pub tracking_source: Option<String>,
    /// Confidence of the track, 0–1.
    pub tracking_confidence: Option<f64>,
    /// Unknown fields.
    pub extra: Map<String, Value>,
}

/// The three informational counters FOVEA stores with a sequence, as fovea recomputes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Frames the eager interpolation emits (visible frames of the keyframe span).
    pub total_frames: usize,
    /// Keyframes in `boxes`, hidden ones included.
    pub keyframe_count: usize,
    /// `total_frames` minus the keyframes among them (never negative).
    pub interpolated_frame_count: usize,
}

impl BoundingBoxSequence {
    /// Indices of the keyframes in `boxes` under `policy`, in stored order.
    pub fn keyframe_indices(&self, policy: KeyframePolicy) -> impl Iterator<Item = usize> + '_ {
        self.boxes
            .iter()
            .enumerate()
            .filter(move |(_, b)| b.is_keyframe_under(policy))
            .map(|(i, _)| i)
    }

    /// The first and last keyframe frames under `policy`, or `None` without keyframes.
    pub fn span(&self, policy: KeyframePolicy) -> Option<(Frame, Frame)> {
        let mut frames = self
            .keyframe_indices(policy)
            .map(|i| self.boxes[i].frame_number);
        let first = frames.next()?;
        Some(frames.fold((first, first), |(lo, hi), f| (lo.min(f), hi.max(f))))
    }
}
