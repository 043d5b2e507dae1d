//! Writing the model as FOVEA's JSON: field order as FOVEA writes it, optional fields omitted
//! when absent, keyframes flagged, counters recomputed, unknown fields appended.

use super::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, InterpolationSegment, KeyframePolicy,
    ParametricFunction, PerProperty, VisibilityRange,
};
use crate::interp::{CompiledSequence, FrameSink, interpolated_box};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

fn extras<M: SerializeMap>(map: &mut M, extra: &Map<String, Value>) -> Result<(), M::Error> {
    for (k, v) in extra {
        map.serialize_entry(k, v)?;
    }
    Ok(())
}

/// Writes a box with the given `isKeyframe` flag (omitted when `None`).
fn write_box<S: Serializer>(b: &BoundingBox, flag: Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    m.serialize_entry("x", &b.x)?;
    m.serialize_entry("y", &b.y)?;
    m.serialize_entry("width", &b.width)?;
    m.serialize_entry("height", &b.height)?;
    m.serialize_entry("frameNumber", &b.frame_number)?;
    if let Some(k) = flag {
        m.serialize_entry("isKeyframe", &k)?;
    }
    if let Some(c) = b.confidence {
        m.serialize_entry("confidence", &c)?;
    }
    if let Some(meta) = &b.metadata {
        m.serialize_entry("metadata", meta)?;
    }
    extras(&mut m, &b.extra)?;
    m.end()
}

impl Serialize for BoundingBox {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_box(self, self.is_keyframe, s)
    }
}

/// A stored box as a sequence writes it: an absent flag (a keyframe under the default
/// policy) is written `isKeyframe: true`, as the data conventions require.
struct Flagged<'a>(&'a BoundingBox);

impl Serialize for Flagged<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_box(self.0, Some(self.0.is_keyframe.unwrap_or(true)), s)
    }
}

impl Serialize for BezierControlPoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("x", &self.x)?;
        m.serialize_entry("y", &self.y)?;
        extras(&mut m, &self.extra)?;
        m.end()
    }
}

impl<T: Serialize> Serialize for PerProperty<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (name, value) in self.entries() {
            if let Some(v) = value {
                m.serialize_entry(name, v)?;
            }
        }
        extras(&mut m, &self.extra)?;
        m.end()
    }
}

impl Serialize for ParametricFunction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.kind.as_str())?;
        m.serialize_entry("parameters", &self.parameters)?;
        if let Some(e) = &self.expression {
            m.serialize_entry("expression", e)?;
        }
        extras(&mut m, &self.extra)?;
        m.end()
    }
}

impl Serialize for InterpolationSegment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("startFrame", &self.start_frame)?;
        m.serialize_entry("endFrame", &self.end_frame)?;
        m.serialize_entry("type", self.kind.as_str())?;
        if let Some(c) = &self.control_points {
            m.serialize_entry("controlPoints", c)?;
        }
        if let Some(p) = &self.parametric {
            m.serialize_entry("parametric", p)?;
        }
        extras(&mut m, &self.extra)?;
        m.end()
    }
}

impl Serialize for VisibilityRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("startFrame", &self.start_frame)?;
        m.serialize_entry("endFrame", &self.end_frame)?;
        m.serialize_entry("visible", &self.visible)?;
        extras(&mut m, &self.extra)?;
        m.end()
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

/// A sequence as written: its boxes rendered per [`BoxesOut`], counters recomputed.
pub(crate) struct SequenceOut<'a> {
    pub seq: &'a BoundingBoxSequence,
    pub boxes: BoxesOut<'a>,
}

impl<'a> SequenceOut<'a> {
    /// The sequence as stored.
    pub(crate) fn stored(seq: &'a BoundingBoxSequence) -> Self {
        SequenceOut {
            seq,
            boxes: BoxesOut::Stored,
        }
    }
}

/// Streams the engine's frames into a JSON array.
struct FramesOut<'a>(&'a CompiledSequence);

impl Serialize for FramesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Sink<Q: SerializeSeq> {
            seq: Q,
            error: Option<Q::Error>,
        }
        impl<Q: SerializeSeq> FrameSink for Sink<Q> {
            fn keyframe(&mut self, key: &BoundingBox) {
                if self.error.is_none() {
                    self.error = self.seq.serialize_element(key).err();
                }
            }
            fn interpolated(&mut self, frame: crate::model::Frame, values: [f64; 4]) {
                if self.error.is_none() {
                    self.error = self
                        .seq
                        .serialize_element(&interpolated_box(frame, values))
                        .err();
                }
            }
        }
        let mut sink = Sink {
            seq: s.serialize_seq(Some(self.0.len()))?,
            error: None,
        };
        self.0.visit(&mut sink);
        match sink.error {
            Some(e) => Err(e),
            None => sink.seq.end(),
        }
    }
}

impl Serialize for SequenceOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let seq = self.seq;
        let mut m = s.serialize_map(None)?;
        let counters = match self.boxes {
            BoxesOut::Stored => {
                m.serialize_entry("boxes", &Seq(seq.boxes.iter().map(Flagged)))?;
                seq.counters(KeyframePolicy::AbsentIsKeyframe)
            }
            BoxesOut::Keyframes(policy) => {
                let keys = seq
                    .boxes
                    .iter()
                    .filter(move |b| b.is_keyframe_under(policy));
                m.serialize_entry("boxes", &Seq(keys.map(KeyframeOut)))?;
                seq.counters(policy)
            }
            BoxesOut::Interpolated(compiled) => {
                m.serialize_entry("boxes", &FramesOut(compiled))?;
                compiled.counters()
            }
        };
        m.serialize_entry("interpolationSegments", &seq.interpolation_segments)?;
        m.serialize_entry("visibilityRanges", &seq.visibility_ranges)?;
        if let Some(id) = &seq.track_id {
            m.serialize_entry("trackId", id)?;
        }
        if let Some(src) = &seq.tracking_source {
            m.serialize_entry("trackingSource", src)?;
        }
        if let Some(c) = seq.tracking_confidence {
            m.serialize_entry("trackingConfidence", &c)?;
        }
        m.serialize_entry("totalFrames", &counters.total_frames)?;
        m.serialize_entry("keyframeCount", &counters.keyframe_count)?;
        m.serialize_entry("interpolatedFrameCount", &counters.interpolated_frame_count)?;
        extras(&mut m, &seq.extra)?;
        m.end()
    }
}

/// A keyframe written with `isKeyframe: true` whatever its stored flag.
struct KeyframeOut<'a>(&'a BoundingBox);

impl Serialize for KeyframeOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_box(self.0, Some(true), s)
    }
}

impl Serialize for BoundingBoxSequence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SequenceOut::stored(self).serialize(s)
    }
}

/// Serializes an iterator as a JSON array without collecting it.
struct Seq<I>(I);

impl<I> Serialize for Seq<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}
