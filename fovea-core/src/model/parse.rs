//! Reading the model from JSON with typed, located errors.
//!
//! Two steps: serde reads the JSON into private "raw" mirrors whose frame numbers are plain
//! `f64` (wrong JSON types and missing fields fail here, with the path tracked by
//! `serde_path_to_error`); then the raw values are converted into the public types, checking the
//! conventions serde cannot express (integer, non-negative, bounded frames; finite numbers).

use super::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, Frame, InterpolationSegment,
    InterpolationType, MAX_FRAME, ParametricFunction, ParametricType, PerProperty, VisibilityRange,
};
use crate::error::{Error, Result, join_path};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBox {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    frame_number: f64,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    is_keyframe: Option<bool>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawPoint {
    x: f64,
    y: f64,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawPerProperty<T> {
    #[serde(default = "none")]
    x: Option<T>,
    #[serde(default = "none")]
    y: Option<T>,
    #[serde(default = "none")]
    width: Option<T>,
    #[serde(default = "none")]
    height: Option<T>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Deserialize)]
struct RawFunction {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    parameters: BTreeMap<String, f64>,
    #[serde(default)]
    expression: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSegment {
    start_frame: f64,
    end_frame: f64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    control_points: Option<RawPerProperty<Vec<RawPoint>>>,
    #[serde(default)]
    parametric: Option<RawPerProperty<RawFunction>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRange {
    start_frame: f64,
    end_frame: f64,
    visible: bool,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSequence {
    boxes: Vec<RawBox>,
    #[serde(default)]
    interpolation_segments: Vec<RawSegment>,
    #[serde(default)]
    visibility_ranges: Vec<RawRange>,
    #[serde(default)]
    track_id: Option<Value>,
    #[serde(default)]
    tracking_source: Option<String>,
    #[serde(default)]
    tracking_confidence: Option<f64>,
    // The counters are recomputed on write and never trusted on read.
    #[serde(default)]
    #[allow(dead_code)]
    total_frames: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    keyframe_count: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    interpolated_frame_count: Option<IgnoredAny>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Converts a JSON number read as `f64` into a frame, or names why it is not one.
pub(crate) fn to_frame(value: f64, path: impl FnOnce() -> String) -> Result<Frame> {
    if !value.is_finite() {
        Err(Error::NonFinite {
            path: path(),
            value,
        })
    } else if value < 0.0 {
        Err(Error::FrameNegative {
            path: path(),
            value,
        })
    } else if value.fract() != 0.0 {
        Err(Error::FrameNotInteger {
            path: path(),
            value,
        })
    } else if value > f64::from(MAX_FRAME) {
        Err(Error::FrameTooLarge {
            path: path(),
            value,
        })
    } else {
        // In range and integral: the cast is exact.
        Ok(value as Frame)
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(value: f64, path: impl FnOnce() -> String) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NonFinite {
            path: path(),
            value,
        })
    }
}

fn finite_opt(value: Option<f64>, path: impl FnOnce() -> String) -> Result<Option<f64>> {
    value.map(|v| finite(v, path)).transpose()
}

/// Deserializes `T` from JSON text, mapping serde errors to typed, located errors.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(located)?;
    de.end().map_err(|e| json_error(&e))?;
    Ok(value)
}

/// Deserializes `T` from a JSON value, mapping serde errors to typed, located errors.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(located)
}

fn located(err: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return json_error(&inner);
    }
    classify_data_error(path, &inner)
}

/// Turns a serde data error (wrong type, missing field) found at `path` into a typed error.
fn classify_data_error(path: String, err: &serde_json::Error) -> Error {
    let text = err.to_string();
    // serde_json appends " at line L column C" when reading text; the path says where.
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    let path = if path == "." { String::new() } else { path };
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return Error::MissingField {
            path: if path.is_empty() {
                "$".to_owned()
            } else {
                path
            },
            field: field.to_owned(),
        };
    }
    Error::InvalidType {
        path: if path.is_empty() {
            "$".to_owned()
        } else {
            path
        },
        message,
    }
}

pub(crate) fn json_error(err: &serde_json::Error) -> Error {
    let text = err.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    Error::InvalidJson {
        line: err.line(),
        column: err.column(),
        message,
    }
}

impl RawBox {
    pub(super) fn convert(self, path: &dyn Fn() -> String) -> Result<BoundingBox> {
        let at = |field: &str| join_path(&path(), field);
        Ok(BoundingBox {
            x: finite(self.x, || at("x"))?,
            y: finite(self.y, || at("y"))?,
            width: finite(self.width, || at("width"))?,
            height: finite(self.height, || at("height"))?,
            frame_number: to_frame(self.frame_number, || at("frameNumber"))?,
            confidence: finite_opt(self.confidence, || at("confidence"))?,
            is_keyframe: self.is_keyframe,
            metadata: self.metadata,
            extra: self.extra,
        })
    }
}

impl<T> RawPerProperty<T> {
    fn convert<U>(
        self,
        path: &str,
        mut f: impl FnMut(T, &str) -> Result<U>,
    ) -> Result<PerProperty<U>> {
        let mut one =
            |v: Option<T>, name: &str| v.map(|v| f(v, &join_path(path, name))).transpose();
        Ok(PerProperty {
            x: one(self.x, "x")?,
            y: one(self.y, "y")?,
            width: one(self.width, "width")?,
            height: one(self.height, "height")?,
            extra: self.extra,
        })
    }
}

fn convert_points(points: Vec<RawPoint>, path: &str) -> Result<Vec<BezierControlPoint>> {
    points
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let at = |field: &str| format!("{path}[{i}].{field}");
            Ok(BezierControlPoint {
                x: finite(p.x, || at("x"))?,
                y: finite(p.y, || at("y"))?,
                extra: p.extra,
            })
        })
        .collect()
}

fn convert_function(f: RawFunction, path: &str) -> Result<ParametricFunction> {
    for (name, value) in &f.parameters {
        finite(*value, || format!("{path}.parameters.{name}"))?;
    }
    Ok(ParametricFunction {
        kind: ParametricType::parse(&f.kind),
        parameters: f.parameters,
        expression: f.expression,
        extra: f.extra,
    })
}

impl RawSegment {
    fn convert(self, path: &str) -> Result<InterpolationSegment> {
        let at = |field: &str| join_path(path, field);
        Ok(InterpolationSegment {
            start_frame: to_frame(self.start_frame, || at("startFrame"))?,
            end_frame: to_frame(self.end_frame, || at("endFrame"))?,
            kind: InterpolationType::parse(&self.kind),
            control_points: self
                .control_points
                .map(|c| c.convert(&at("controlPoints"), convert_points))
                .transpose()?,
            parametric: self
                .parametric
                .map(|p| p.convert(&at("parametric"), convert_function))
                .transpose()?,
            extra: self.extra,
        })
    }
}

impl RawRange {
    fn convert(self, path: &str) -> Result<VisibilityRange> {
        let at = |field: &str| join_path(path, field);
        Ok(VisibilityRange {
            start_frame: to_frame(self.start_frame, || at("startFrame"))?,
            end_frame: to_frame(self.end_frame, || at("endFrame"))?,
            visible: self.visible,
            extra: self.extra,
        })
    }
}

impl RawSequence {
    fn convert(self) -> Result<BoundingBoxSequence> {
        if let Some(id) = &self.track_id
            && !(id.is_string() || id.is_number() || id.is_null())
        {
            return Err(Error::InvalidType {
                path: "trackId".into(),
                message: format!("expected a string or a number, got {id}"),
            });
        }
        let boxes = self
            .boxes
            .into_iter()
            .enumerate()
            .map(|(i, b)| b.convert(&|| format!("boxes[{i}]")))
            .collect::<Result<_>>()?;
        let interpolation_segments = self
            .interpolation_segments
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.convert(&format!("interpolationSegments[{i}]")))
            .collect::<Result<_>>()?;
        let visibility_ranges = self
            .visibility_ranges
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.convert(&format!("visibilityRanges[{i}]")))
            .collect::<Result<_>>()?;
        Ok(BoundingBoxSequence {
            boxes,
            interpolation_segments,
            visibility_ranges,
            track_id: self.track_id.filter(|v| !v.is_null()),
            tracking_source: self.tracking_source,
            tracking_confidence: finite_opt(self.tracking_confidence, || {
                "trackingConfidence".into()
            })?,
            extra: self.extra,
        })
    }
}

impl BoundingBoxSequence {
    /// Reads a sequence from JSON text (FOVEA's `BoundingBoxSequence` shape).
    ///
    /// ```
    /// use fovea_core::model::BoundingBoxSequence;
    /// let seq = BoundingBoxSequence::from_json(
    ///     r#"{"boxes":[{"x":0,"y":0,"width":10,"height":10,"frameNumber":0}],
    ///        "interpolationSegments":[],"visibilityRanges":[]}"#,
    /// ).unwrap();
    /// assert_eq!(seq.boxes[0].frame_number, 0);
    ///
    /// let err = BoundingBoxSequence::from_json(
    ///     r#"{"boxes":[{"x":0,"y":0,"width":10,"height":10,"frameNumber":2.5}]}"#,
    /// ).unwrap_err();
    /// assert_eq!(err.code(), "frame-not-integer");
    /// assert_eq!(err.path(), Some("boxes[0].frameNumber"));
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        from_str::<RawSequence>(text)?.convert()
    }

    /// Reads a sequence from a parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self> {
        from_value::<RawSequence>(value)?.convert()
    }
}

impl BoundingBox {
    /// Reads a box from a parsed JSON value (FOVEA's `BoundingBox` shape).
    pub fn from_value(value: Value) -> Result<Self> {
        from_value::<RawBox>(value)?.convert(&String::new)
    }
}

impl InterpolationSegment {
    /// Reads a segment from a parsed JSON value (FOVEA's `InterpolationSegment` shape).
    pub fn from_value(value: Value) -> Result<Self> {
        from_value::<RawSegment>(value)?.convert("")
    }
}

/// Reads per-property control points (`{"x": [{"x":…,"y":…}, …], …}`) from a JSON value.
pub fn control_points_from_value(value: Value) -> Result<super::ControlPoints> {
    from_value::<RawPerProperty<Vec<RawPoint>>>(value)?.convert("controlPoints", convert_points)
}

/// Reads per-property parametric functions (`{"y": {"type": "quadratic", …}, …}`) from a JSON value.
pub fn parametric_from_value(value: Value) -> Result<super::ParametricSet> {
    from_value::<RawPerProperty<RawFunction>>(value)?.convert("parametric", convert_function)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(text: &str) -> Result<BoundingBoxSequence> {
        BoundingBoxSequence::from_json(text)
    }

    #[test]
    fn frames_must_be_non_negative_integers() {
        let e =
            seq(r#"{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":-3}]}"#).unwrap_err();
        assert_eq!(e.code(), "frame-negative");
        assert!(e.to_string().contains("boxes[0].frameNumber"), "{e}");
        assert!(e.to_string().contains("-3"), "{e}");
        let e = seq(
            r#"{"boxes":[],"visibilityRanges":[{"startFrame":0,"endFrame":1e12,"visible":true}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), "frame-too-large");
        assert_eq!(e.path(), Some("visibilityRanges[0].endFrame"));
        // An integral float is an integer.
        let s = seq(r#"{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":4.0}]}"#).unwrap();
        assert_eq!(s.boxes[0].frame_number, 4);
    }

    #[test]
    fn wrong_types_and_missing_fields_are_located() {
        let e = seq(r#"{"boxes":[{"x":"left","y":0,"width":1,"height":1,"frameNumber":0}]}"#)
            .unwrap_err();
        assert_eq!(e.code(), "invalid-type");
        assert_eq!(e.path(), Some("boxes[0].x"));
        assert!(e.to_string().contains("\"left\""), "{e}");
        let e = seq(r#"{"boxes":[{"x":1,"y":0,"width":1,"frameNumber":0}]}"#).unwrap_err();
        assert_eq!(e.code(), "missing-field");
        assert!(e.to_string().contains("height"), "{e}");
        let e = seq(r#"{"interpolationSegments":[]}"#).unwrap_err();
        assert_eq!(e.code(), "missing-field");
        let e = seq(r#"{"boxes":[], "trackId": {"a":1}}"#).unwrap_err();
        assert_eq!(e.path(), Some("trackId"));
        let e = seq(r#"{"boxes":[}"#).unwrap_err();
        assert_eq!(e.code(), "invalid-json");
        let e = seq(r#"{"boxes":[]} trailing"#).unwrap_err();
        assert_eq!(e.code(), "invalid-json");
    }

    #[test]
    fn nested_curve_paths() {
        let e = seq(
            r#"{"boxes":[],"interpolationSegments":[{"startFrame":0,"endFrame":1,"type":"bezier",
                "controlPoints":{"y":[{"x":0.1,"y":0},{"x":"a","y":1}]}}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.path(),
            Some("interpolationSegments[0].controlPoints.y[1].x")
        );
        let e = seq(
            r#"{"boxes":[],"interpolationSegments":[{"startFrame":0,"endFrame":1.5,"type":"hold"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), Some("interpolationSegments[0].endFrame"));
    }

    #[test]
    fn non_finite_values_are_rejected_in_conversions() {
        assert_eq!(
            to_frame(f64::NAN, || "f".into()).unwrap_err().code(),
            "non-finite-number"
        );
        assert_eq!(
            finite(f64::INFINITY, || "x".into()).unwrap_err().code(),
            "non-finite-number"
        );
    }
}
