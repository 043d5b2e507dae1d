//! Writing the model as FOVEA's JSON: field order as FOVEA writes it, optional fields omitted
//! when absent, keyframes flagged, counters recomputed, unknown fields appended.
//!
//! Each type describes its fields once ([`WriteFields`]) to a [`Fields`] target. Two targets
//! exist: JSON text appended to a buffer (the export hot path: no serde machinery per field),
//! and any serde `Serializer` (the `Serialize` impls), which is how `serde_json::to_value` and
//! the Python and Node bindings build host objects field by field, with no JSON text between.

use super::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, Counters, Frame, InterpolationSegment,
    KeyframePolicy, ParametricFunction, PerProperty, VisibilityRange,
};
use crate::interp::{CompiledSequence, FrameSink};
use crate::json::{JsonBuf, JsonObj};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

/// A value written as a JSON object, its fields described once for every target.
pub(crate) trait WriteFields {
    /// Writes this object's fields, in order, to `out`.
    fn write_fields<F: Fields>(&self, out: &mut F);
}

/// Where the fields of one object go. Keys are the model's own field names, except in
/// [`Fields::extras`].
pub(crate) trait Fields {
    /// A number.
    fn num(&mut self, key: &'static str, v: f64);
    /// An unsigned integer.
    fn uint(&mut self, key: &'static str, v: u64);
    /// A string.
    fn str(&mut self, key: &'static str, v: &str);
    /// A boolean.
    fn flag(&mut self, key: &'static str, v: bool);
    /// Any serde value (metadata, ids, parameters).
    fn value<V: Serialize + ?Sized>(&mut self, key: &'static str, v: &V);
    /// A nested model object.
    fn object<T: WriteFields + ?Sized>(&mut self, key: &'static str, v: &T);
    /// An array of model objects.
    fn list<L: ListSource + ?Sized>(&mut self, key: &'static str, items: &L);
    /// The entries of a map of unknown fields.
    fn extras(&mut self, extra: &Map<String, Value>);
}

/// The items of an array of model objects, pushed into an [`Items`] target.
pub(crate) trait ListSource {
    /// Pushes every item, in order.
    fn each<I: Items>(&self, items: &mut I);
}

/// Where the items of an array of model objects go.
pub(crate) trait Items {
    /// One item.
    fn item<T: WriteFields + ?Sized>(&mut self, v: &T);

    /// One interpolated box (a target may write this, the most frequent item, directly).
    #[inline]
    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.item(&InterpolatedBox { frame, values });
    }
}

/// A slice of model objects as an array.
impl<T: WriteFields> ListSource for [T] {
    fn each<I: Items>(&self, items: &mut I) {
        for v in self {
            items.item(v);
        }
    }
}

// --- the JSON text target -------------------------------------------------------------------

impl Fields for JsonObj<'_, '_> {
    #[inline(always)]
    fn num(&mut self, key: &'static str, v: f64) {
        self.key(key).num(v);
    }

    #[inline(always)]
    fn uint(&mut self, key: &'static str, v: u64) {
        self.key(key).uint(v);
    }

    #[inline(always)]
    fn str(&mut self, key: &'static str, v: &str) {
        self.key(key).str(v);
    }

    #[inline(always)]
    fn flag(&mut self, key: &'static str, v: bool) {
        self.key(key)
            .0
            .extend_from_slice(if v { b"true" } else { b"false" });
    }

    fn value<V: Serialize + ?Sized>(&mut self, key: &'static str, v: &V) {
        self.key(key).value(v);
    }

    #[inline(always)]
    fn object<T: WriteFields + ?Sized>(&mut self, key: &'static str, v: &T) {
        write_object(self.key(key), v);
    }

    #[inline(always)]
    fn list<L: ListSource + ?Sized>(&mut self, key: &'static str, items: &L) {
        let out = self.key(key);
        out.0.push(b'[');
        items.each(&mut TextItems { out, first: true });
        out.0.push(b']');
    }

    fn extras(&mut self, extra: &Map<String, Value>) {
        JsonObj::extras(self, extra);
    }
}

/// The items of a JSON text array.
struct TextItems<'b, 'a> {
    out: &'b mut JsonBuf<'a>,
    first: bool,
}

impl Items for TextItems<'_, '_> {
    #[inline]
    fn item<T: WriteFields + ?Sized>(&mut self, v: &T) {
        if !self.first {
            self.out.0.push(b',');
        }
        self.first = false;
        write_object(self.out, v);
        self.out.maybe_spill();
    }

    #[inline]
    fn interpolated(&mut self, frame: Frame, [x, y, width, height]: [f64; 4]) {
        // The export's hot path: the constant parts of the object in one piece each.
        let out = &mut *self.out;
        out.0
            .extend_from_slice(if self.first { b"{\"x\":" } else { b",{\"x\":" });
        self.first = false;
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
        out.maybe_spill();
    }
}

/// Appends `v` as a JSON object to `out`.
#[inline]
pub(crate) fn write_object<T: WriteFields + ?Sized>(out: &mut JsonBuf<'_>, v: &T) {
    let mut o = out.obj();
    v.write_fields(&mut o);
    o.end();
}

// --- the serde target -----------------------------------------------------------------------

/// Serializes `v` as a map with any serde serializer.
pub(crate) fn serialize_object<S: Serializer, T: WriteFields + ?Sized>(
    s: S,
    v: &T,
) -> Result<S::Ok, S::Error> {
    let mut fields = SerdeFields {
        map: s.serialize_map(None)?,
        error: None,
    };
    v.write_fields(&mut fields);
    match fields.error {
        Some(e) => Err(e),
        None => fields.map.end(),
    }
}

/// The fields of a map being serialized; keeps the first error (later fields are skipped).
struct SerdeFields<M: SerializeMap> {
    map: M,
    error: Option<M::Error>,
}

impl<M: SerializeMap> SerdeFields<M> {
    #[inline]
    fn entry<V: Serialize + ?Sized>(&mut self, key: &str, v: &V) {
        if self.error.is_none()
            && let Err(e) = self.map.serialize_entry(key, v)
        {
            self.error = Some(e);
        }
    }
}

impl<M: SerializeMap> Fields for SerdeFields<M> {
    fn num(&mut self, key: &'static str, v: f64) {
        self.entry(key, &v);
    }

    fn uint(&mut self, key: &'static str, v: u64) {
        self.entry(key, &v);
    }

    fn str(&mut self, key: &'static str, v: &str) {
        self.entry(key, v);
    }

    fn flag(&mut self, key: &'static str, v: bool) {
        self.entry(key, &v);
    }

    fn value<V: Serialize + ?Sized>(&mut self, key: &'static str, v: &V) {
        self.entry(key, v);
    }

    fn object<T: WriteFields + ?Sized>(&mut self, key: &'static str, v: &T) {
        self.entry(key, &AsMap(v));
    }

    fn list<L: ListSource + ?Sized>(&mut self, key: &'static str, items: &L) {
        self.entry(key, &AsSeq(items));
    }

    fn extras(&mut self, extra: &Map<String, Value>) {
        for (k, v) in extra {
            self.entry(k, v);
        }
    }
}

/// A model object as a serde map.
struct AsMap<'a, T: ?Sized>(&'a T);

impl<T: WriteFields + ?Sized> Serialize for AsMap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_object(s, self.0)
    }
}

/// An array of model objects as a serde sequence.
struct AsSeq<'a, L: ?Sized>(&'a L);

impl<L: ListSource + ?Sized> Serialize for AsSeq<'_, L> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut items = SerdeItems {
            seq: s.serialize_seq(None)?,
            error: None,
        };
        self.0.each(&mut items);
        match items.error {
            Some(e) => Err(e),
            None => items.seq.end(),
        }
    }
}

/// The items of a sequence being serialized; keeps the first error.
struct SerdeItems<Q: SerializeSeq> {
    seq: Q,
    error: Option<Q::Error>,
}

impl<Q: SerializeSeq> Items for SerdeItems<Q> {
    fn item<T: WriteFields + ?Sized>(&mut self, v: &T) {
        if self.error.is_none()
            && let Err(e) = self.seq.serialize_element(&AsMap(v))
        {
            self.error = Some(e);
        }
    }
}

// --- the model ------------------------------------------------------------------------------

/// A box written with a chosen `isKeyframe` flag (omitted when `None`).
struct BoxOut<'a> {
    b: &'a BoundingBox,
    flag: Option<bool>,
}

impl WriteFields for BoxOut<'_> {
    #[inline]
    fn write_fields<F: Fields>(&self, o: &mut F) {
        let b = self.b;
        o.num("x", b.x);
        o.num("y", b.y);
        o.num("width", b.width);
        o.num("height", b.height);
        o.uint("frameNumber", u64::from(b.frame_number));
        if let Some(k) = self.flag {
            o.flag("isKeyframe", k);
        }
        if let Some(c) = b.confidence {
            o.num("confidence", c);
        }
        if let Some(meta) = &b.metadata {
            o.value("metadata", meta);
        }
        o.extras(&b.extra);
    }
}

impl WriteFields for BoundingBox {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        BoxOut {
            b: self,
            flag: self.is_keyframe,
        }
        .write_fields(o);
    }
}

/// FOVEA's interpolated box: values, frame, `isKeyframe: false`, nothing else.
struct InterpolatedBox {
    frame: Frame,
    values: [f64; 4],
}

impl WriteFields for InterpolatedBox {
    #[inline]
    fn write_fields<F: Fields>(&self, o: &mut F) {
        let [x, y, width, height] = self.values;
        o.num("x", x);
        o.num("y", y);
        o.num("width", width);
        o.num("height", height);
        o.uint("frameNumber", u64::from(self.frame));
        o.flag("isKeyframe", false);
    }
}

impl WriteFields for BezierControlPoint {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        o.num("x", self.x);
        o.num("y", self.y);
        o.extras(&self.extra);
    }
}

impl WriteFields for PerProperty<Vec<BezierControlPoint>> {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        for (name, value) in self.entries() {
            if let Some(points) = value {
                o.list(name, points.as_slice());
            }
        }
        o.extras(&self.extra);
    }
}

impl WriteFields for PerProperty<ParametricFunction> {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        for (name, value) in self.entries() {
            if let Some(function) = value {
                o.object(name, function);
            }
        }
        o.extras(&self.extra);
    }
}

impl WriteFields for ParametricFunction {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        o.str("type", self.kind.as_str());
        o.value("parameters", &self.parameters);
        if let Some(e) = &self.expression {
            o.str("expression", e);
        }
        o.extras(&self.extra);
    }
}

impl WriteFields for InterpolationSegment {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        o.uint("startFrame", u64::from(self.start_frame));
        o.uint("endFrame", u64::from(self.end_frame));
        o.str("type", self.kind.as_str());
        if let Some(c) = &self.control_points {
            o.object("controlPoints", &**c);
        }
        if let Some(p) = &self.parametric {
            o.object("parametric", &**p);
        }
        o.extras(&self.extra);
    }
}

impl WriteFields for VisibilityRange {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        o.uint("startFrame", u64::from(self.start_frame));
        o.uint("endFrame", u64::from(self.end_frame));
        o.flag("visible", self.visible);
        o.extras(&self.extra);
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

/// The `boxes` array of a written sequence.
struct BoxList<'a>(&'a BoundingBoxSequence, BoxesOut<'a>);

impl ListSource for BoxList<'_> {
    fn each<I: Items>(&self, items: &mut I) {
        let BoxList(seq, boxes) = *self;
        match boxes {
            BoxesOut::Stored => {
                for b in &seq.boxes {
                    // An absent flag (a keyframe under the default policy) is written `true`.
                    let flag = Some(b.is_keyframe.unwrap_or(true));
                    items.item(&BoxOut { b, flag });
                }
            }
            BoxesOut::Keyframes(policy) => {
                for b in seq.boxes.iter().filter(|b| b.is_keyframe_under(policy)) {
                    items.item(&BoxOut {
                        b,
                        flag: Some(true),
                    });
                }
            }
            BoxesOut::Interpolated(compiled) => compiled.visit(&mut FrameItems(items)),
        }
    }
}

/// Turns the engine's eager walk into array items.
struct FrameItems<'i, I>(&'i mut I);

impl<I: Items> FrameSink for FrameItems<'_, I> {
    #[inline]
    fn keyframe(&mut self, key: &BoundingBox) {
        self.0.item(&BoxOut {
            b: key,
            flag: Some(true),
        });
    }

    #[inline]
    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.0.interpolated(frame, values);
    }
}

/// Every visible frame of a compiled sequence, as written (FOVEA's box shapes).
pub struct FrameBoxes<'a>(
    /// The compiled sequence.
    pub &'a CompiledSequence,
);

impl ListSource for FrameBoxes<'_> {
    fn each<I: Items>(&self, items: &mut I) {
        self.0.visit(&mut FrameItems(items));
    }
}

impl Serialize for FrameBoxes<'_> {
    /// An array of boxes: keyframes with all their fields, interpolated frames
    /// `{x, y, width, height, frameNumber, isKeyframe: false}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AsSeq(self).serialize(s)
    }
}

impl WriteFields for SequenceOut<'_> {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        let seq = self.seq;
        let counters = self.counters;
        o.list("boxes", &BoxList(seq, self.boxes));
        o.list(
            "interpolationSegments",
            seq.interpolation_segments.as_slice(),
        );
        o.list("visibilityRanges", seq.visibility_ranges.as_slice());
        if let Some(id) = &seq.track_id {
            o.value("trackId", id);
        }
        if let Some(src) = &seq.tracking_source {
            o.str("trackingSource", src);
        }
        if let Some(c) = seq.tracking_confidence {
            o.num("trackingConfidence", c);
        }
        o.uint("totalFrames", counters.total_frames as u64);
        o.uint("keyframeCount", counters.keyframe_count as u64);
        o.uint(
            "interpolatedFrameCount",
            counters.interpolated_frame_count as u64,
        );
        o.extras(&seq.extra);
    }
}

impl WriteFields for BoundingBoxSequence {
    fn write_fields<F: Fields>(&self, o: &mut F) {
        SequenceOut::stored(self).write_fields(o);
    }
}

/// `Serialize` for model types, through their [`WriteFields`] description.
macro_rules! impl_serialize_via_fields {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::model::serialize::serialize_object(s, self)
            }
        }
    )*};
}
pub(crate) use impl_serialize_via_fields;

impl_serialize_via_fields!(
    BoundingBox,
    BezierControlPoint,
    ParametricFunction,
    InterpolationSegment,
    VisibilityRange,
    BoundingBoxSequence,
    PerProperty<Vec<BezierControlPoint>>,
    PerProperty<ParametricFunction>
);
