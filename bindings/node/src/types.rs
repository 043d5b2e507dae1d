//! TypeScript interfaces of FOVEA's JSON shapes, declared for `index.d.ts` only.
//!
//! The values themselves cross the boundary as JSON (see `convert`), so these structs carry no
//! conversion code (`object_to_js = false, object_from_js = false`); they exist to give
//! TypeScript users named types. Objects may carry more fields than declared: fovea keeps
//! unknown fields.

// Declarations only: never constructed in Rust.
#![allow(dead_code)]

use napi::bindgen_prelude::{Float64Array, Int32Array};
use napi_derive::napi;

/// A box in FOVEA's shape as fovea returns it: a keyframe with all its stored fields
/// (`isKeyframe: true`), or an interpolated box (`isKeyframe: false`, no other fields).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoundingBox {
    /// Left edge, pixels.
    pub x: f64,
    /// Top edge, pixels.
    pub y: f64,
    /// Width, pixels.
    pub width: f64,
    /// Height, pixels.
    pub height: f64,
    /// Frame (0-based integer).
    pub frame_number: f64,
    /// Whether the box is a keyframe.
    pub is_keyframe: bool,
    /// Model confidence, 0–1.
    pub confidence: Option<f64>,
    /// Free-form metadata.
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// A stored box as input: like [`BoundingBox`], with `isKeyframe` optional (absent = keyframe).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoundingBoxData {
    /// Left edge, pixels.
    pub x: f64,
    /// Top edge, pixels.
    pub y: f64,
    /// Width, pixels.
    pub width: f64,
    /// Height, pixels.
    pub height: f64,
    /// Frame (0-based integer).
    pub frame_number: f64,
    /// Whether the box is a keyframe (absent means keyframe).
    pub is_keyframe: Option<bool>,
    /// Model confidence, 0–1.
    pub confidence: Option<f64>,
    /// Free-form metadata.
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// Box values for `addKeyframe` (other fields are ignored).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoxValues {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Fields to change with `updateKeyframe` (`frameNumber` and `isKeyframe` are ignored: use
/// `moveKeyframe`). Other fields are stored as given.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoxChanges {
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
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// A point of a bezier easing curve: `x` normalised time (0–1), `y` normalised progress.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BezierControlPoint {
    /// Normalised time, 0–1.
    pub x: f64,
    /// Normalised progress.
    pub y: f64,
}

/// Per-property bezier curves of a segment.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ControlPoints {
    /// Curve of `x`.
    pub x: Option<Vec<BezierControlPoint>>,
    /// Curve of `y`.
    pub y: Option<Vec<BezierControlPoint>>,
    /// Curve of `width`.
    pub width: Option<Vec<BezierControlPoint>>,
    /// Curve of `height`.
    pub height: Option<Vec<BezierControlPoint>>,
}

/// A parametric motion function of one property.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ParametricFunction {
    /// `linear`, `quadratic`, `sinusoidal` or `custom`.
    #[napi(js_name = "type")]
    pub kind: String,
    /// Named parameters (`a`, `frequency`, `amplitude`).
    #[napi(ts_type = "Record<string, number>")]
    pub parameters: Option<()>,
    /// Expression of a `custom` function (never evaluated).
    pub expression: Option<String>,
}

/// Per-property parametric functions of a segment.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ParametricSet {
    /// Function of `x`.
    pub x: Option<ParametricFunction>,
    /// Function of `y`.
    pub y: Option<ParametricFunction>,
    /// Function of `width`.
    pub width: Option<ParametricFunction>,
    /// Function of `height`.
    pub height: Option<ParametricFunction>,
}

/// How the frames between two keyframes are interpolated.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct InterpolationSegment {
    /// Frame of the pair's first keyframe.
    pub start_frame: f64,
    /// Frame of the pair's second keyframe.
    pub end_frame: f64,
    /// Interpolation type: `linear`, `bezier`, `ease-in`, `ease-out`, `ease-in-out`, `hold` or `parametric` (others are read as linear).
    #[napi(js_name = "type")]
    pub kind: String,
    /// Per-property bezier curves (for `bezier`).
    pub control_points: Option<ControlPoints>,
    /// Per-property functions (for `parametric`).
    pub parametric: Option<ParametricSet>,
}

/// An inclusive frame range that is visible or hidden.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct VisibilityRange {
    /// First frame.
    pub start_frame: f64,
    /// Last frame (inclusive).
    pub end_frame: f64,
    /// Whether the frames are visible.
    pub visible: bool,
}

/// A FOVEA `BoundingBoxSequence` as input. The counters are accepted and ignored (fovea
/// recomputes them).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceData {
    /// The stored boxes.
    pub boxes: Vec<BoundingBoxData>,
    /// Interpolation segments, each anchored on a keyframe pair.
    pub interpolation_segments: Option<Vec<InterpolationSegment>>,
    /// Visibility ranges (the first range containing a frame decides).
    pub visibility_ranges: Option<Vec<VisibilityRange>>,
    /// Id of the tracking result the sequence came from.
    #[napi(ts_type = "string | number")]
    pub track_id: Option<String>,
    /// Tracking model name.
    pub tracking_source: Option<String>,
    /// Confidence of the track, 0–1.
    pub tracking_confidence: Option<f64>,
    /// Ignored on input.
    pub total_frames: Option<f64>,
    /// Ignored on input.
    pub keyframe_count: Option<f64>,
    /// Ignored on input.
    pub interpolated_frame_count: Option<f64>,
}

/// A sequence as fovea writes it (`toObject()`): keyframes flagged, counters recomputed,
/// unknown fields kept.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceObject {
    /// The stored boxes.
    pub boxes: Vec<BoundingBox>,
    /// Interpolation segments.
    pub interpolation_segments: Vec<InterpolationSegment>,
    /// Visibility ranges.
    pub visibility_ranges: Vec<VisibilityRange>,
    /// Id of the tracking result the sequence came from.
    #[napi(ts_type = "string | number")]
    pub track_id: Option<String>,
    /// Tracking model name.
    pub tracking_source: Option<String>,
    /// Confidence of the track, 0–1.
    pub tracking_confidence: Option<f64>,
    /// Frames the interpolation emits.
    pub total_frames: f64,
    /// Keyframes in `boxes`.
    pub keyframe_count: f64,
    /// `totalFrames` minus the keyframes among them.
    pub interpolated_frame_count: f64,
}

/// A FOVEA annotation holding a sequence (its other fields are kept but not used).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Annotation {
    /// Annotation id.
    pub id: Option<String>,
    /// Video id.
    pub video_id: Option<String>,
    /// `type` or `object`.
    pub annotation_type: Option<String>,
    /// The sequence.
    pub bounding_box_sequence: SequenceData,
}

/// An `annotation` record of FOVEA's JSON Lines export.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct AnnotationLine {
    /// Always `annotation`.
    #[napi(js_name = "type", ts_type = "'annotation'")]
    pub kind: String,
    /// The annotation.
    pub data: Annotation,
}

/// Options of `interpolate`, `boxAt` and the `Sequence` constructors.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceOptions {
    /// `default` (fovea's behaviour: parametric segments honoured, `custom` refused) or `fovea`
    /// (reproduce FOVEA exactly). Default: `default`.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
}

/// Curves for `setInterpolation`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SegmentOptions {
    /// Per-property bezier curves (for `bezier`; kept from the existing segment when absent).
    pub control_points: Option<ControlPoints>,
    /// Per-property functions (for `parametric`; kept from the existing segment when absent).
    pub parametric: Option<ParametricSet>,
}

/// Every visible frame in columnar form (`toTypedArrays()`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TypedArrays {
    /// Frame numbers, ascending.
    pub frames: Int32Array,
    /// `[x, y, width, height]` per frame, row-major (`4 * frames.length` values).
    pub boxes: Float64Array,
}
