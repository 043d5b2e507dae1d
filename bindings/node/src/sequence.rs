//! The `Sequence` class: a keyframe sequence held in Rust, with its compiled form cached until
//! the next edit.

use crate::convert::{self, Columns, Frames, Js};
use crate::error::{OrThrow, Res};
use fovea_core::edit::{BoxUpdate, box_values_from_value};
use fovea_core::limits::EAGER_FRAMES;
use fovea_core::model::{KeyframePolicy, SequenceInput};
use fovea_core::ops::{SegmentArgs, SequenceArgs};
use fovea_core::{BoundingBox, BoundingBoxSequence, CompiledSequence, InterpOptions, Profile};
use napi::Env;
use napi::bindgen_prelude::{Either, Unknown};
use napi_derive::napi;
use serde_json::Value;
use std::cell::OnceCell;

/// A sequence argument: a `Sequence`, or a plain object / JSON text (a sequence, an annotation
/// or an annotation line).
pub(crate) type Source<'a> = Either<&'a Sequence, Unknown<'a>>;

/// Reads a sequence from a plain object or JSON text (a sequence, an annotation or an
/// annotation line).
pub(crate) fn load(data: &Unknown) -> Res<BoundingBoxSequence> {
    let input = if convert::is_string(data)? {
        SequenceInput::from_json(&convert::string(data, "data")?)?
    } else {
        read_object(data)?
    };
    Ok(input.sequence)
}

/// Reads a sequence, an annotation or an annotation line from a plain object.
fn read_object(data: &Unknown) -> Res<SequenceInput> {
    match convert::read_with(data, "", |make| SequenceInput::read(make))? {
        Some(input) => Ok(input),
        // `undefined` is refused as `null` is.
        None => Ok(SequenceInput::from_value(Value::Null)?),
    }
}

/// The `profile` of an options object, when it names one.
pub(crate) fn profile_option(options: Option<&Unknown>) -> Res<Option<Profile>> {
    Ok(convert::options::<SequenceArgs>(options)?.profile()?)
}

/// Counters of a sequence as fovea writes them.
#[napi(object, object_from_js = false)]
pub struct Counters {
    /// Frames the interpolation emits (visible frames of the keyframe span).
    pub total_frames: f64,
    /// Keyframes in `boxes`, hidden ones included.
    pub keyframe_count: f64,
    /// `totalFrames` minus the keyframes among them.
    pub interpolated_frame_count: f64,
}

/// A FOVEA bounding-box sequence, held natively. Edits change it in place; a refused edit
/// throws and leaves it unchanged. The compiled form used by `interpolate`, `at` and
/// `toTypedArrays` is cached until the next edit.
#[napi]
pub struct Sequence {
    seq: BoundingBoxSequence,
    opts: InterpOptions,
    compiled: OnceCell<CompiledSequence>,
}

impl Sequence {
    pub(crate) fn with(seq: BoundingBoxSequence, profile: Option<Profile>) -> Self {
        Sequence {
            seq,
            opts: InterpOptions::with_profile(profile.unwrap_or_default()),
            compiled: OnceCell::new(),
        }
    }

    /// The compiled form, compiled on first use after an edit.
    pub(crate) fn compiled(&self) -> Res<&CompiledSequence> {
        if let Some(c) = self.compiled.get() {
            return Ok(c);
        }
        let c = self.seq.compile(&self.opts)?;
        Ok(self.compiled.get_or_init(|| c))
    }

    /// The compiled form, refused when evaluating every frame would exceed
    /// [`EAGER_FRAMES`] (a stray keyframe at a huge frame must not exhaust memory).
    pub(crate) fn eager(&self) -> Res<&CompiledSequence> {
        let c = self.compiled()?;
        c.check_eager_limit(EAGER_FRAMES)?;
        Ok(c)
    }

    /// The compiled form under `profile` when it differs from this sequence's own.
    pub(crate) fn compiled_as(&self, profile: Option<Profile>) -> Res<Compiled<'_>> {
        match profile {
            Some(p) if p != self.opts.profile => {
                let opts = InterpOptions {
                    profile: p,
                    ..self.opts
                };
                Ok(Compiled::Owned(self.seq.compile(&opts)?))
            }
            _ => Ok(Compiled::Cached(self.compiled()?)),
        }
    }

    /// Applies an edit result: a successful edit drops the cached compiled form.
    fn edited<T>(&mut self, result: fovea_core::Result<T>) -> Res<T> {
        let value = result?;
        self.compiled = OnceCell::new();
        Ok(value)
    }

    fn from_source(source: Option<Source>, profile: Option<Profile>) -> Res<Self> {
        Ok(match source {
            None => Sequence::with(BoundingBoxSequence::default(), profile),
            Some(Either::A(other)) => {
                Sequence::with(other.seq.clone(), profile.or(Some(other.opts.profile)))
            }
            Some(Either::B(data)) => Sequence::with(load(&data)?, profile),
        })
    }
}

/// A compiled sequence, borrowed from a `Sequence`'s cache or compiled for one call.
pub enum Compiled<'a> {
    /// A `Sequence`'s cached compiled form.
    Cached(&'a CompiledSequence),
    /// Compiled for this call.
    Owned(CompiledSequence),
}

impl std::ops::Deref for Compiled<'_> {
    type Target = CompiledSequence;

    fn deref(&self) -> &CompiledSequence {
        match self {
            Compiled::Cached(c) => c,
            Compiled::Owned(c) => c,
        }
    }
}

#[napi]
impl Sequence {
    /// A sequence from a plain object or JSON text (a sequence, an annotation or an annotation
    /// line), a copy of another `Sequence`, or an empty sequence when `data` is absent.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(
            ts_arg_type = "Sequence | SequenceData | AnnotationData | AnnotationLine | string | null"
        )]
        data: Option<Source>,
        #[napi(ts_arg_type = "SequenceOptions")] options: Option<Unknown>,
    ) -> napi::Result<Self> {
        (|| Sequence::from_source(data, profile_option(options.as_ref())?))().or_throw(env)
    }

    /// A sequence from a plain object: a sequence, an annotation or an annotation line.
    #[napi(factory, catch_unwind, js_name = "fromObject")]
    pub fn from_object(
        env: &Env,
        #[napi(ts_arg_type = "SequenceData | AnnotationData | AnnotationLine")] obj: Unknown,
        #[napi(ts_arg_type = "SequenceOptions")] options: Option<Unknown>,
    ) -> napi::Result<Self> {
        (|| {
            let profile = profile_option(options.as_ref())?;
            Ok(Sequence::with(read_object(&obj)?.sequence, profile))
        })()
        .or_throw(env)
    }

    /// A sequence from JSON text: a sequence, an annotation or an annotation JSON Lines line.
    #[napi(factory, catch_unwind, js_name = "fromJSON")]
    pub fn from_json(
        env: &Env,
        #[napi(ts_arg_type = "string")] text: Unknown,
        #[napi(ts_arg_type = "SequenceOptions")] options: Option<Unknown>,
    ) -> napi::Result<Self> {
        (|| {
            let profile = profile_option(options.as_ref())?;
            let text = convert::string(&text, "text")?;
            Ok(Sequence::with(
                SequenceInput::from_json(&text)?.sequence,
                profile,
            ))
        })()
        .or_throw(env)
    }

    /// The evaluation profile: `default` or `fovea`.
    #[napi(getter, catch_unwind, ts_return_type = "'default' | 'fovea'")]
    pub fn profile(&self) -> &'static str {
        self.opts.profile.as_str()
    }

    /// The keyframes, sorted by frame, with all their fields (`isKeyframe: true`).
    #[napi(getter, catch_unwind, ts_return_type = "BoundingBox[]")]
    pub fn keyframes(&self) -> Js<Vec<BoundingBox>> {
        let keys = self.seq.sorted_keyframes(KeyframePolicy::default());
        Js(keys
            .into_iter()
            .map(|b| {
                let mut k = b.clone();
                k.is_keyframe = Some(true);
                k
            })
            .collect())
    }

    /// `totalFrames`, `keyframeCount` and `interpolatedFrameCount`, as fovea writes them.
    #[napi(getter, catch_unwind)]
    pub fn counters(&self) -> Counters {
        let c = self.seq.counters(KeyframePolicy::default());
        Counters {
            total_frames: c.total_frames as f64,
            keyframe_count: c.keyframe_count as f64,
            interpolated_frame_count: c.interpolated_frame_count as f64,
        }
    }

    /// `[first, last]` keyframe frames, or `null` without keyframes.
    #[napi(getter, catch_unwind, ts_return_type = "[number, number] | null")]
    pub fn span(&self) -> Option<[u32; 2]> {
        self.seq
            .span(KeyframePolicy::default())
            .map(|(a, b)| [a, b])
    }

    /// Number of frames `interpolate()` returns.
    #[napi(getter, catch_unwind)]
    pub fn frame_count(&self) -> f64 {
        self.seq.counters(KeyframePolicy::default()).total_frames as f64
    }

    /// The sequence as a plain object in FOVEA's shape (counters recomputed, unknown fields
    /// kept).
    #[napi(catch_unwind, ts_return_type = "BoundingBoxSequence")]
    pub fn to_object(&self) -> Js<&BoundingBoxSequence> {
        Js(&self.seq)
    }

    /// Same as `toObject()`, so that `JSON.stringify(sequence)` writes the sequence.
    #[napi(
        js_name = "toJSON",
        catch_unwind,
        ts_return_type = "BoundingBoxSequence"
    )]
    pub fn to_json(&self) -> Js<&BoundingBoxSequence> {
        Js(&self.seq)
    }

    /// The sequence as FOVEA's JSON text (numbers formatted as JavaScript does).
    #[napi(catch_unwind)]
    pub fn to_json_string(&self) -> String {
        fovea_core::json::to_string(&self.seq)
    }

    /// Every visible frame, ascending: keyframes with all their fields, interpolated boxes as
    /// `{x, y, width, height, frameNumber, isKeyframe: false}`.
    #[napi(catch_unwind, ts_return_type = "BoundingBox[]")]
    pub fn interpolate(&self, env: &Env) -> napi::Result<Frames<&CompiledSequence>> {
        (|| Ok(Frames(self.eager()?)))().or_throw(env)
    }

    /// The box at `frame`, or `null` outside the keyframe span and on hidden frames.
    #[napi(catch_unwind, ts_return_type = "BoundingBox | null")]
    pub fn at(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "number")] frame: Unknown,
    ) -> napi::Result<Option<Js<BoundingBox>>> {
        (|| {
            let frame = convert::frame(&frame, "frame")?;
            Ok(self.compiled()?.box_at(frame).map(Js))
        })()
        .or_throw(env)
    }

    /// Every visible frame as columns: `frames` (`Int32Array`) and `boxes` (`Float64Array`,
    /// `x, y, width, height` per frame). The core evaluates straight into the typed arrays'
    /// memory: nothing is copied.
    #[napi(catch_unwind, ts_return_type = "TypedArrays")]
    pub fn to_typed_arrays(&self, env: &Env) -> napi::Result<Columns<'_>> {
        (|| Ok(Columns(self.eager()?)))().or_throw(env)
    }

    /// Adds a keyframe at `frame`: with the given values (`{x, y, width, height}` or
    /// `[x, y, width, height]`), or, when `box` is absent, with the interpolated value (the
    /// nearest keyframe's outside the span).
    #[napi(catch_unwind)]
    pub fn add_keyframe(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] frame: Unknown,
        #[napi(ts_arg_type = "BoxValues | [number, number, number, number] | null")] values: Option<
            Unknown,
        >,
    ) -> napi::Result<()> {
        (|| {
            let frame = convert::frame(&frame, "frame")?;
            let values = match values {
                Some(b) if !convert::is_nullish(&b)? => Some(box_values_from_value(
                    convert::from_js(&b, "")?.unwrap_or(Value::Null),
                )?),
                _ => None,
            };
            let opts = self.opts;
            let result = self.seq.add_keyframe(frame, values, &opts);
            self.edited(result)
        })()
        .or_throw(env)
    }

    /// Removes the keyframe at `frame` and returns it. The first and last keyframes cannot be
    /// removed (`end-keyframe`).
    #[napi(catch_unwind, ts_return_type = "BoundingBox")]
    pub fn remove_keyframe(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] frame: Unknown,
    ) -> napi::Result<Js<BoundingBox>> {
        (|| {
            let frame = convert::frame(&frame, "frame")?;
            let opts = self.opts;
            let result = self.seq.remove_keyframe(frame, &opts);
            Ok(Js(self.edited(result)?))
        })()
        .or_throw(env)
    }

    /// Sets fields of the keyframe at `frame` (its frame and keyframe flag do not change).
    #[napi(catch_unwind)]
    pub fn update_keyframe(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] frame: Unknown,
        #[napi(ts_arg_type = "BoxChanges")] changes: Unknown,
    ) -> napi::Result<()> {
        (|| {
            let frame = convert::frame(&frame, "frame")?;
            let changes = convert::from_js(&changes, "")?.unwrap_or(Value::Null);
            let update = BoxUpdate::from_value(changes)?;
            let opts = self.opts;
            let result = self.seq.update_keyframe(frame, &update, &opts);
            self.edited(result)
        })()
        .or_throw(env)
    }

    /// Moves the keyframe at `from` to `to`, keeping its values and fields.
    #[napi(catch_unwind)]
    pub fn move_keyframe(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] from: Unknown,
        #[napi(ts_arg_type = "number")] to: Unknown,
    ) -> napi::Result<()> {
        (|| {
            let from = convert::frame(&from, "from")?;
            let to = convert::frame(&to, "to")?;
            let opts = self.opts;
            let result = self.seq.move_keyframe(from, to, &opts);
            self.edited(result)
        })()
        .or_throw(env)
    }

    /// Sets the interpolation of the keyframe pair containing `frame`, with optional bezier
    /// `controlPoints` or `parametric` functions.
    #[napi(catch_unwind)]
    pub fn set_interpolation(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] frame: Unknown,
        #[napi(
            ts_arg_type = "'linear' | 'bezier' | 'ease-in' | 'ease-out' | 'ease-in-out' | 'hold' | 'parametric'"
        )]
        kind: Unknown,
        #[napi(ts_arg_type = "SegmentOptions")] options: Option<Unknown>,
    ) -> napi::Result<()> {
        (|| {
            let frame = convert::frame(&frame, "frame")?;
            let kind = convert::string(&kind, "type")?;
            let spec = convert::options_at::<SegmentArgs>(options.as_ref(), "")?.spec(&kind)?;
            let opts = self.opts;
            let result = self.seq.set_interpolation(frame, spec, &opts);
            self.edited(result)
        })()
        .or_throw(env)
    }

    /// Makes frames `start..=end` visible or hidden.
    #[napi(catch_unwind)]
    pub fn set_visibility(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] start: Unknown,
        #[napi(ts_arg_type = "number")] end: Unknown,
        #[napi(ts_arg_type = "boolean")] visible: Unknown,
    ) -> napi::Result<()> {
        (|| {
            let start = convert::frame(&start, "start")?;
            let end = convert::frame(&end, "end")?;
            let visible = convert::boolean(&visible, "visible")?;
            let result = self.seq.set_visibility(start, end, visible);
            self.edited(result)
        })()
        .or_throw(env)
    }

    /// Flips the visibility of `frame` alone; returns its new visibility.
    #[napi(catch_unwind)]
    pub fn toggle_visibility(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "number")] frame: Unknown,
    ) -> napi::Result<bool> {
        (|| {
            let frame = convert::frame(&frame, "frame")?;
            let result = self.seq.toggle_visibility(frame);
            self.edited(result)
        })()
        .or_throw(env)
    }

    /// An independent copy (same data, same profile).
    #[napi(catch_unwind)]
    pub fn copy(&self) -> Sequence {
        Sequence {
            seq: self.seq.clone(),
            opts: self.opts,
            compiled: self.compiled.clone(),
        }
    }

    /// Whether `other` is a `Sequence` holding the same data (the profile is not compared).
    #[napi(catch_unwind)]
    pub fn equals(&self, #[napi(ts_arg_type = "Sequence")] other: Source) -> bool {
        match other {
            Either::A(other) => self.seq == other.seq,
            Either::B(_) => false,
        }
    }

    /// A short description, e.g. `Sequence(2 keyframes, 11 frames, profile default)`.
    #[napi(js_name = "toString", catch_unwind)]
    pub fn to_display_string(&self) -> String {
        let c = self.seq.counters(KeyframePolicy::default());
        format!(
            "Sequence({} keyframes, {} frames, profile {})",
            c.keyframe_count,
            c.total_frames,
            self.opts.profile.as_str()
        )
    }
}
