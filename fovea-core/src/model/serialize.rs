//! Writing the model as FOVEA's JSON: field order as FOVEA writes it, optional fields omitted
//! when absent, keyframes flagged, counters recomputed, unknown fields appended.
//!
//! The writers append JSON text to a buffer directly (the export hot path: no serde machinery per
//! field); the `Serialize` impls hand that text to serde as a raw value, so `serde_json` users
//! (`to_value`, `to_writer`) see exactly the same JSON.

use super::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, Counters, InterpolationSegment,
    KeyframePolicy, ParametricFunction, PerProperty, VisibilityRange,
};
use crate::interp::{CompiledSequence, FrameSink};
use crate::json::{JsonBuf, serialize_written};
use serde::ser::{Serialize, Serializer};

/// The model's direct JSON writers.
pub(crate) trait WriteJson {
    /// Appends this value's JSON to `out`.
    fn write_json(&self, out: &mut JsonBuf<'_>);
}

/// Writes a box with the given `isKeyframe` flag (omitted when `None`).
fn write_box(b: &BoundingBox, flag: Option<bool>, out: &mut JsonBuf<'_>) {
    let mut o = out.obj();
    o.key("x").num(b.x);
    o.key("y").num(b.y);
    o.key("width").num(b.width);
    o.key("height").num(b.height);
    o.key("frameNumber").uint(u64::from(b.frame_number));
    if let Some(k) = flag {
        o.key("isKeyframe").value(&k);
    }
    if let Some(c) = b.confidence {
        o.key("confidence").num(c);
    }
    if let Some(meta) = &b.metadata {
        o.key("metadata").value(meta);
    }
    o.extras(&b.extra);
    o.end();
}

/// Writes `items` as a JSON array.
fn write_array<T>(
    out: &mut JsonBuf<'_>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(T, &mut JsonBuf<'_>),
) {
    out.0.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.0.push(b',');
        }
        each(item, out);
    }
    out.0.push(b']');
}

impl WriteJson for BoundingBox {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        write_box(self, self.is_keyframe, out);
    }
}

impl WriteJson for BezierControlPoint {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        let mut o = out.obj();
        o.key("x").num(self.x);
        o.key("y").num(self.y);
        o.extras(&self.extra);
        o.end();
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        write_array(out, self, |item, out| item.write_json(out));
    }
}

impl<T: WriteJson> WriteJson for PerProperty<T> {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        let mut o = out.obj();
        for (name, value) in self.entries() {
            if let Some(v) = value {
                v.write_json(o.key(name));
            }
        }
        o.extras(&self.extra);
        o.end();
    }
}

impl WriteJson for ParametricFunction {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        let mut o = out.obj();
        o.key("type").str(self.kind.as_str());
        o.key("parameters").value(&self.parameters);
        if let Some(e) = &self.expression {
            o.key("expression").str(e);
        }
        o.extras(&self.extra);
        o.end();
    }
}

impl WriteJson for InterpolationSegment {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        let mut o = out.obj();
        o.key("startFrame").uint(u64::from(self.start_frame));
        o.key("endFrame").uint(u64::from(self.end_frame));
        o.key("type").str(self.kind.as_str());
        if let Some(c) = &self.control_points {
            c.write_json(o.key("controlPoints"));
        }
        if let Some(p) = &self.parametric {
            p.write_json(o.key("parametric"));
        }
        o.extras(&self.extra);
        o.end();
    }
}

impl WriteJson for VisibilityRange {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        let mut o = out.obj();
        o.key("startFrame").uint(u64::from(self.start_frame));
        o.key("endFrame").uint(u64::from(self.end_frame));
        o.key("visible").value(&self.visible);
        o.extras(&self.extra);
        o.end();
    }
}

/// Which boxes a written sequence carries.
#[derive(Clone, Copy)]
pub(crate) enum BoxesOut<'a> {
    /// The stored boxes (keyframes flagged).
    Stored,
    /// The keyframes only, flagged.
    Keyframes(KeyframePolicy),
    /// Every visible frame from the engine: keyframes with their fields, generated frames
    /// `isKeyframe: false`.
    Interpolated(&'a CompiledSequence),
}

/// A sequence as written: its boxes rendered per [`BoxesOut`], counters recomputed (once, when
/// the rendering is chosen).
pub(crate) struct SequenceOut<'a> {
    pub seq: &'a BoundingBoxSequence,
    pub boxes: BoxesOut<'a>,
    pub counters: Counters,
}

impl<'a> SequenceOut<'a> {
    /// The sequence rendered per `boxes`.
    pub(crate) fn new(seq: &'a BoundingBoxSequence, boxes: BoxesOut<'a>) -> Self {
        let counters = match boxes {
            BoxesOut::Stored => seq.counters(KeyframePolicy::AbsentIsKeyframe),
            BoxesOut::Keyframes(policy) => seq.counters(policy),
            BoxesOut::Interpolated(compiled) => compiled.counters(),
        };
        SequenceOut {
            seq,
            boxes,
            counters,
        }
    }

    /// The sequence as stored.
    pub(crate) fn stored(seq: &'a BoundingBoxSequence) -> Self {
        Self::new(seq, BoxesOut::Stored)
    }
}

/// Streams the engine's frames into a JSON array.
struct FramesOut<'b, 'a> {
    out: &'b mut JsonBuf<'a>,
    first: bool,
}

impl FramesOut<'_, '_> {
    fn separator(&mut self) {
        if !self.first {
            self.out.0.push(b',');
        }
        self.first = false;
    }
}

impl FrameSink for FramesOut<'_, '_> {
    fn keyframe(&mut self, key: &BoundingBox) {
        self.separator();
        write_box(key, Some(true), self.out);
    }

    fn interpolated(&mut self, frame: crate::model::Frame, [x, y, width, height]: [f64; 4]) {
        // FOVEA's interpolated box: values, frame, `isKeyframe: false`, nothing else.
        self.separator();
        let out = &mut *self.out;
        out.0.extend_from_slice(b"{\"x\":");
        out.num(x);
        out.0.extend_from_slice(b",\"y\":");
        out.num(y);
        out.0.extend_from_slice(b",\"width\":");
        out.num(width);
        out.0.extend_from_slice(b",\"height\":");
        out.num(height);
        out.0.extend_from_slice(b",\"frameNumber\":");
        out.uint(u64::from(frame));
        out.0.extend_from_slice(b",\"isKeyframe\":false}");
    }
}

impl WriteJson for SequenceOut<'_> {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        let seq = self.seq;
        let counters = self.counters;
        let mut o = out.obj();
        match self.boxes {
            BoxesOut::Stored => {
                // An absent flag (a keyframe under the default policy) is written `true`.
                write_array(o.key("boxes"), &seq.boxes, |b, out| {
                    write_box(b, Some(b.is_keyframe.unwrap_or(true)), out)
                });
            }
            BoxesOut::Keyframes(policy) => {
                let keys = seq
                    .boxes
                    .iter()
                    .filter(move |b| b.is_keyframe_under(policy));
                write_array(o.key("boxes"), keys, |b, out| write_box(b, Some(true), out));
            }
            BoxesOut::Interpolated(compiled) => {
                let out = o.key("boxes");
                out.0.push(b'[');
                compiled.visit(&mut FramesOut { out, first: true });
                out.0.push(b']');
            }
        }
        seq.interpolation_segments
            .write_json(o.key("interpolationSegments"));
        seq.visibility_ranges.write_json(o.key("visibilityRanges"));
        if let Some(id) = &seq.track_id {
            o.key("trackId").value(id);
        }
        if let Some(src) = &seq.tracking_source {
            o.key("trackingSource").str(src);
        }
        if let Some(c) = seq.tracking_confidence {
            o.key("trackingConfidence").num(c);
        }
        o.key("totalFrames").uint(counters.total_frames as u64);
        o.key("keyframeCount").uint(counters.keyframe_count as u64);
        o.key("interpolatedFrameCount")
            .uint(counters.interpolated_frame_count as u64);
        o.extras(&seq.extra);
        o.end();
    }
}

impl WriteJson for BoundingBoxSequence {
    fn write_json(&self, out: &mut JsonBuf<'_>) {
        SequenceOut::stored(self).write_json(out);
    }
}

/// `Serialize` for types with a direct writer.
macro_rules! impl_serialize_via_writer {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_written(s, |out| self.write_json(out))
            }
        }
    )*};
}
pub(crate) use impl_serialize_via_writer;

impl_serialize_via_writer!(
    BoundingBox,
    BezierControlPoint,
    ParametricFunction,
    InterpolationSegment,
    VisibilityRange,
    BoundingBoxSequence,
    PerProperty<Vec<BezierControlPoint>>,
    PerProperty<ParametricFunction>
);
