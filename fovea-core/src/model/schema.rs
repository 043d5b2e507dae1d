//! JSON Schemas of FOVEA's data shapes (feature `schema`), from which the bindings' TypeScript
//! declarations and Python stub types are generated.
//!
//! The model types read and write themselves by hand (`raw`, `serialize`) to keep unknown
//! fields and to avoid per-field allocation, so their schemas are written here, beside that
//! code, rather than derived. What a box, segment or sequence looks like on the way out (every
//! counter present, `isKeyframe` always written) and on the way in (most fields optional)
//! differs; the input shapes are named `…Data`. Every object keeps unknown fields (`open`).

use super::{
    Annotation, BezierControlPoint, BoundingBox, BoundingBoxSequence, InterpolationSegment,
    InterpolationType, ParametricFunction, SequenceInput, VisibilityRange,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// Implements `JsonSchema` for `$ty` under `$name`, with the schema `$body` builds.
macro_rules! schema {
    ($ty:ty, $name:literal, |$generator:ident| $body:expr) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

/// A frame number: a 0-based integer.
fn frame() -> Schema {
    json_schema!({ "type": "integer", "minimum": 0, "maximum": i32::MAX })
}

/// The four box values and the frame, shared by the output and input boxes.
fn box_schema(description: &str, keyframe_required: bool) -> Schema {
    let mut required = vec!["x", "y", "width", "height", "frameNumber"];
    if keyframe_required {
        required.push("isKeyframe");
    }
    json_schema!({
        "description": description,
        "type": "object",
        "additionalProperties": true,
        "properties": {
            "x": { "type": "number", "description": "Left edge, pixels." },
            "y": { "type": "number", "description": "Top edge, pixels." },
            "width": { "type": "number", "description": "Width, pixels." },
            "height": { "type": "number", "description": "Height, pixels." },
            "frameNumber": frame(),
            "isKeyframe": { "type": "boolean", "description": "Whether the box is a keyframe." },
            "confidence": { "type": "number", "description": "Model confidence, 0–1." },
            "metadata": { "type": "object", "description": "Free-form metadata." },
        },
        "required": required,
    })
}

schema!(BoundingBox, "BoundingBox", |_g| box_schema(
    "A box as fovea returns it: a keyframe with all its stored fields (`isKeyframe: true`), \
     or an interpolated box (`isKeyframe: false`, no other fields).",
    true
));

/// A stored box as input: `isKeyframe` may be absent (a keyframe).
pub struct BoundingBoxData;
schema!(BoundingBoxData, "BoundingBoxData", |_g| box_schema(
    "A stored box as input: like `BoundingBox`, with `isKeyframe` optional (absent = keyframe).",
    false
));

schema!(
    BezierControlPoint,
    "BezierControlPoint",
    |_g| json_schema!({
        "description": "A point of a bezier easing curve: `x` normalised time (0–1), `y` normalised progress.",
        "type": "object",
        "additionalProperties": true,
        "properties": { "x": { "type": "number" }, "y": { "type": "number" } },
        "required": ["x", "y"],
    })
);

/// One optional value per box property.
fn per_property(description: &str, value: Schema) -> Schema {
    json_schema!({
        "description": description,
        "type": "object",
        "additionalProperties": true,
        "properties": { "x": value, "y": value, "width": value, "height": value },
    })
}

/// Per-property bezier curves of a segment.
pub struct ControlPoints;
schema!(ControlPoints, "ControlPoints", |g| per_property(
    "Per-property bezier curves of a segment.",
    json_schema!({ "type": "array", "items": g.subschema_for::<BezierControlPoint>() })
));

/// Per-property motion functions of a segment.
pub struct ParametricSet;
schema!(ParametricSet, "ParametricSet", |g| per_property(
    "Per-property motion functions of a parametric segment.",
    g.subschema_for::<ParametricFunction>()
));

schema!(
    ParametricFunction,
    "ParametricFunction",
    |_g| json_schema!({
        "description": "A parametric motion function of one property.",
        "type": "object",
        "additionalProperties": true,
        "properties": {
            "type": {
                "description": "`linear`, `quadratic`, `sinusoidal` or `custom`.",
                "enum": ["linear", "quadratic", "sinusoidal", "custom"],
            },
            "parameters": {
                "description": "Named parameters (`a`, `frequency`, `amplitude`).",
                "type": "object",
                "additionalProperties": { "type": "number" },
            },
            "expression": { "type": "string" },
        },
        "required": ["type"],
    })
);

schema!(InterpolationType, "InterpolationType", |_g| json_schema!({
    "description": "How a segment moves between its keyframes.",
    "enum": InterpolationType::NAMES,
}));

schema!(
    InterpolationSegment,
    "InterpolationSegment",
    |g| json_schema!({
        "description": "How the boxes move between two keyframes.",
        "type": "object",
        "additionalProperties": true,
        "properties": {
            "startFrame": frame(),
            "endFrame": frame(),
            "type": g.subschema_for::<InterpolationType>(),
            "controlPoints": g.subschema_for::<ControlPoints>(),
            "parametric": g.subschema_for::<ParametricSet>(),
        },
        "required": ["startFrame", "endFrame", "type"],
    })
);

schema!(VisibilityRange, "VisibilityRange", |_g| json_schema!({
    "description": "A range of frames where the object is visible or hidden.",
    "type": "object",
    "additionalProperties": true,
    "properties": {
        "startFrame": frame(),
        "endFrame": frame(),
        "visible": { "type": "boolean" },
    },
    "required": ["startFrame", "endFrame", "visible"],
}));

/// The fields of a sequence; `out` says whether it is the output shape (every list and
/// counter present) or the input one.
fn sequence(g: &mut SchemaGenerator, description: &str, out: bool) -> Schema {
    let boxes = if out {
        g.subschema_for::<BoundingBox>()
    } else {
        g.subschema_for::<BoundingBoxData>()
    };
    let count = json_schema!({ "type": "integer", "minimum": 0 });
    let required: &[&str] = if out {
        &[
            "boxes",
            "interpolationSegments",
            "visibilityRanges",
            "totalFrames",
            "keyframeCount",
            "interpolatedFrameCount",
        ]
    } else {
        &["boxes"]
    };
    json_schema!({
        "description": description,
        "type": "object",
        "additionalProperties": true,
        "properties": {
            "boxes": { "type": "array", "items": boxes },
            "interpolationSegments": {
                "type": "array",
                "items": g.subschema_for::<InterpolationSegment>(),
            },
            "visibilityRanges": {
                "type": "array",
                "items": g.subschema_for::<VisibilityRange>(),
            },
            "trackId": { "type": ["string", "number"] },
            "trackingSource": { "type": "string" },
            "trackingConfidence": { "type": "number" },
            "totalFrames": count,
            "keyframeCount": count,
            "interpolatedFrameCount": count,
        },
        "required": required,
    })
}

schema!(BoundingBoxSequence, "BoundingBoxSequence", |g| sequence(
    g,
    "A sequence as fovea returns it: its boxes, segments, visibility and counters.",
    true
));

/// A stored sequence as input.
pub struct SequenceData;
schema!(SequenceData, "SequenceData", |g| sequence(
    g,
    "A sequence as input: `boxes` and whatever else is stored (counters are recomputed).",
    false
));

/// The annotation's own fields (besides the sequence), all optional.
fn annotation(g: &mut SchemaGenerator, description: &str, out: bool) -> Schema {
    let text = json_schema!({ "type": "string" });
    let sequence = if out {
        g.subschema_for::<BoundingBoxSequence>()
    } else {
        g.subschema_for::<SequenceData>()
    };
    let required: &[&str] = if out {
        &["id", "videoId", "boundingBoxSequence"]
    } else {
        &["boundingBoxSequence"]
    };
    json_schema!({
        "description": description,
        "type": "object",
        "additionalProperties": true,
        "properties": {
            "id": text,
            "videoId": text,
            "annotationType": {
                "description": "`type` or `object` (absent is read as `type`).",
                "type": "string",
            },
            "boundingBoxSequence": sequence,
            "personaId": text,
            "typeCategory": text,
            "typeId": text,
            "linkedEntityId": text,
            "linkedEventId": text,
            "linkedTimeId": text,
            "linkedLocationId": text,
            "linkedCollectionId": text,
            "linkedCollectionType": text,
            "confidence": { "type": "number" },
            "notes": text,
            "metadata": { "type": "object" },
            "createdBy": text,
            "createdAt": text,
            "updatedAt": text,
        },
        "required": required,
    })
}

schema!(Annotation, "Annotation", |g| annotation(
    g,
    "An annotation as fovea returns it (from a store, or a checked import).",
    true
));

/// An annotation as input.
pub struct AnnotationData;
schema!(AnnotationData, "AnnotationData", |g| annotation(
    g,
    "An annotation as input: its sequence, and whatever else FOVEA stores.",
    false
));

/// An annotation record of a JSON Lines file.
pub struct AnnotationLine;
schema!(AnnotationLine, "AnnotationLine", |g| json_schema!({
    "description": "An `annotation` record of a JSON Lines file.",
    "type": "object",
    "additionalProperties": true,
    "properties": {
        "type": { "const": "annotation" },
        "data": g.subschema_for::<AnnotationData>(),
    },
    "required": ["type", "data"],
}));

schema!(SequenceInput, "SequenceInput", |g| json_schema!({
    "description": "Where a sequence may be read from: the sequence itself, an annotation, or an annotation record.",
    "anyOf": [
        g.subschema_for::<SequenceData>(),
        g.subschema_for::<AnnotationData>(),
        g.subschema_for::<AnnotationLine>(),
    ],
}));
