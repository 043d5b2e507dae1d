//! Reading the model from JSON with typed, located errors.
//!
//! Two steps: serde reads the JSON into private "raw" mirrors whose frame numbers are plain
//! `f64` (wrong JSON types and missing fields fail here, with the path tracked by
//! `serde_path_to_error`); then the raw values are converted into the public types, checking the
//! conventions serde cannot express (integer, non-negative, bounded frames; finite numbers).

use super::raw::{
    RawBox, RawControlPoints, RawFunction, RawParametricSet, RawPoint, RawRange, RawSegment,
    RawSequence,
};
use super::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, ControlPoints, Frame,
    InterpolationSegment, InterpolationType, MAX_FRAME, ParametricFunction, ParametricSet,
    ParametricType, PerProperty, VisibilityRange,
};
use crate::error::{Error, Result, join_path};
use crate::serde_errors::ReadError;
pub(crate) use crate::serde_errors::{deserialize, from_str, from_value, json_error};
use serde::de::Deserializer;
use serde_json::Value;

/// A required field's value, or a `missing-field` error naming the object and the field.
pub(crate) fn required<T>(
    value: Option<T>,
    path: impl FnOnce() -> String,
    field: &str,
) -> Result<T> {
    value.ok_or_else(|| {
        let path = path();
        Error::MissingField {
            path: if path.is_empty() {
                "$".to_owned()
            } else {
                path
            },
            field: field.to_owned(),
        }
    })
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

impl RawBox {
    pub(crate) fn convert(self, path: &dyn Fn() -> String) -> Result<BoundingBox> {
        let at = |field: &str| join_path(&path(), field);
        let num = |v: Option<f64>, field: &str| finite(required(v, path, field)?, || at(field));
        Ok(BoundingBox {
            x: num(self.x, "x")?,
            y: num(self.y, "y")?,
            width: num(self.width, "width")?,
            height: num(self.height, "height")?,
            frame_number: to_frame(required(self.frame_number, path, "frameNumber")?, || {
                at("frameNumber")
            })?,
            confidence: finite_opt(self.confidence, || at("confidence"))?,
            is_keyframe: self.is_keyframe,
            metadata: self.metadata,
            extra: self.extra,
        })
    }
}

/// Converts the four optional per-property values with `f`, which receives the property's path.
fn per_property<T, U>(
    [x, y, width, height]: [Option<T>; 4],
    extra: serde_json::Map<String, Value>,
    path: &str,
    mut f: impl FnMut(T, &str) -> Result<U>,
) -> Result<PerProperty<U>> {
    let mut one = |v: Option<T>, name: &str| v.map(|v| f(v, &join_path(path, name))).transpose();
    Ok(PerProperty {
        x: one(x, "x")?,
        y: one(y, "y")?,
        width: one(width, "width")?,
        height: one(height, "height")?,
        extra,
    })
}

impl RawControlPoints {
    pub(crate) fn convert(self, path: &str) -> Result<ControlPoints> {
        per_property(
            [self.x, self.y, self.width, self.height],
            self.extra,
            path,
            convert_points,
        )
    }
}

impl RawParametricSet {
    pub(crate) fn convert(self, path: &str) -> Result<ParametricSet> {
        per_property(
            [self.x, self.y, self.width, self.height],
            self.extra,
            path,
            convert_function,
        )
    }
}

fn convert_points(points: Vec<RawPoint>, path: &str) -> Result<Vec<BezierControlPoint>> {
    points
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let here = || format!("{path}[{i}]");
            let at = |field: &str| format!("{path}[{i}].{field}");
            Ok(BezierControlPoint {
                x: finite(required(p.x, here, "x")?, || at("x"))?,
                y: finite(required(p.y, here, "y")?, || at("y"))?,
                extra: p.extra,
            })
        })
        .collect()
}

fn convert_function(f: RawFunction, path: &str) -> Result<ParametricFunction> {
    let parameters = f.parameters.unwrap_or_default();
    for (name, value) in &parameters {
        finite(*value, || format!("{path}.parameters.{name}"))?;
    }
    Ok(ParametricFunction {
        kind: ParametricType::parse(&required(f.kind, || path.to_owned(), "type")?),
        parameters,
        expression: f.expression,
        extra: f.extra,
    })
}

impl RawSegment {
    /// `path` names the segment in errors (made only when there is one).
    pub(crate) fn convert(self, path: &dyn Fn() -> String) -> Result<InterpolationSegment> {
        let here = path;
        let at = |field: &str| join_path(&path(), field);
        Ok(InterpolationSegment {
            start_frame: to_frame(required(self.start_frame, here, "startFrame")?, || {
                at("startFrame")
            })?,
            end_frame: to_frame(required(self.end_frame, here, "endFrame")?, || {
                at("endFrame")
            })?,
            kind: InterpolationType::parse(&required(self.kind, here, "type")?),
            control_points: self
                .control_points
                .map(|c| c.convert(&at("controlPoints")).map(Box::new))
                .transpose()?,
            parametric: self
                .parametric
                .map(|p| p.convert(&at("parametric")).map(Box::new))
                .transpose()?,
            extra: self.extra,
        })
    }
}

impl RawRange {
    /// `path` names the range in errors (made only when there is one).
    pub(crate) fn convert(self, path: &dyn Fn() -> String) -> Result<VisibilityRange> {
        let here = path;
        let at = |field: &str| join_path(&path(), field);
        Ok(VisibilityRange {
            start_frame: to_frame(required(self.start_frame, here, "startFrame")?, || {
                at("startFrame")
            })?,
            end_frame: to_frame(required(self.end_frame, here, "endFrame")?, || {
                at("endFrame")
            })?,
            visible: required(self.visible, here, "visible")?,
            extra: self.extra,
        })
    }
}

impl RawSequence {
    /// Converts the `boundingBoxSequence` of an annotation (errors located under it).
    pub(crate) fn convert_in_annotation(self) -> Result<BoundingBoxSequence> {
        self.convert().map_err(|e| e.at_path("boundingBoxSequence"))
    }

    pub(crate) fn convert(self) -> Result<BoundingBoxSequence> {
        if let Some(id) = &self.track_id
            && !(id.is_string() || id.is_number())
        {
            return Err(Error::InvalidType {
                path: "trackId".into(),
                message: format!("expected a string or a number, got {id}"),
            });
        }
        let boxes = required(self.boxes, String::new, "boxes")?
            .into_iter()
            .enumerate()
            .map(|(i, b)| b.convert(&|| format!("boxes[{i}]")))
            .collect::<Result<_>>()?;
        let interpolation_segments = self
            .interpolation_segments
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.convert(&|| format!("interpolationSegments[{i}]")))
            .collect::<Result<_>>()?;
        let visibility_ranges = self
            .visibility_ranges
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.convert(&|| format!("visibilityRanges[{i}]")))
            .collect::<Result<_>>()?;
        Ok(BoundingBoxSequence {
            boxes,
            interpolation_segments,
            visibility_ranges,
            track_id: self.track_id,
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
        Self::read(|| &value)
    }

    /// Reads a sequence from the deserializers `make` returns, whose errors the model can type
    /// (see [`crate::host`]): a binding reads its host's objects with this. `make` is called
    /// again, for a reading that names the path, only when the first reading fails.
    pub fn read<'de, D>(make: impl FnMut() -> D) -> Result<Self>
    where
        D: Deserializer<'de>,
        D::Error: ReadError,
    {
        deserialize::<RawSequence, D>(make)?.convert()
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
        from_value::<RawSegment>(value)?.convert(&String::new)
    }
}

/// Reads per-property control points (`{"x": [{"x":…,"y":…}, …], …}`) from a JSON value.
pub fn control_points_from_value(value: Value) -> Result<ControlPoints> {
    from_value::<RawControlPoints>(value)
        .map_err(|e| e.at_path("controlPoints"))?
        .convert("controlPoints")
}

/// Reads per-property parametric functions (`{"y": {"type": "quadratic", …}, …}`) from a JSON value.
pub fn parametric_from_value(value: Value) -> Result<ParametricSet> {
    from_value::<RawParametricSet>(value)
        .map_err(|e| e.at_path("parametric"))?
        .convert("parametric")
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
