//! Tracks (FOVEA's `TrackingResult`, in pixels with the video's size) into keyframe
//! sequences: FOVEA's conversion and decimation, the error-bounded reducer, the model
//! service's response pivoted into tracks, and COCO RLE mask boxes. Inputs are plain objects
//! or their JSON text; bad input throws an `Error` whose `path` names the field.

use crate::convert::{self, Js};
use crate::error::{OrThrow, Res};
use crate::exchange::invalid_type;
use crate::sequence::Sequence;
use fovea_core::Error as CoreError;
use fovea_core::track::{
    self as core_track, RleMask, ServiceResponse, Track, decimate_keyframes, optimal_decimation,
    tracks_from_response,
};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::Value;
use std::collections::HashMap;

/// An object read directly, or its JSON text read by `from_json`.
fn read<T: serde::de::DeserializeOwned>(
    value: &Unknown,
    name: &str,
    from_json: fn(&str) -> fovea_core::Result<T>,
) -> Res<T> {
    if convert::is_string(value)? {
        return Ok(from_json(&convert::string(value, name)?)?);
    }
    match convert::from_js(value, "")? {
        Some(v) => Ok(v),
        // `undefined` is refused as `null` is.
        None => Ok(fovea_core::host::read(
            serde::de::value::UnitDeserializer::new,
        )?),
    }
}

fn track_arg(value: &Unknown) -> Res<Track> {
    read(value, "track", Track::from_json)
}

/// FOVEA's `convertTrackToSequence`: every tracked frame a keyframe, linear segments between
/// neighbours, gaps hidden. `track`: `{ trackId, label, confidence, model, frames: [{
/// frameNumber, box: { x, y, width, height }, confidence, occluded }], videoWidth,
/// videoHeight }`.
#[napi(catch_unwind)]
pub fn track_to_sequence(
    env: &Env,
    #[napi(ts_arg_type = "object | string")] track: Unknown,
) -> napi::Result<Sequence> {
    (|| {
        Ok(Sequence::with(
            core_track::track_to_sequence(&track_arg(&track)?),
            None,
        ))
    })()
    .or_throw(env)
}

/// The fewest keyframes such that interpolation reproduces every tracked box within
/// `tolerance` pixels (default 1), never bridging a hidden gap. O(frames).
#[napi(catch_unwind)]
pub fn reduce_track(
    env: &Env,
    #[napi(ts_arg_type = "object | string")] track: Unknown,
    tolerance: Option<f64>,
) -> napi::Result<Sequence> {
    (|| {
        let tolerance = tolerance.unwrap_or(1.0);
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(CoreError::InvalidOption {
                option: "tolerance",
                value: tolerance.to_string(),
                expected: "a number of pixels >= 0",
            }
            .into());
        }
        Ok(Sequence::with(
            core_track::reduce_track(&track_arg(&track)?, tolerance),
            None,
        ))
    })()
    .or_throw(env)
}

/// FOVEA's `decimateKeyframes` after its conversion: every `every`-th tracked box by index,
/// plus the last (absent: FOVEA's `calculateOptimalDecimation`).
#[napi(catch_unwind)]
pub fn decimate_track(
    env: &Env,
    #[napi(ts_arg_type = "object | string")] track: Unknown,
    every: Option<u32>,
) -> napi::Result<Sequence> {
    (|| {
        let mut seq = core_track::track_to_sequence(&track_arg(&track)?);
        let n = every.map_or_else(|| optimal_decimation(seq.boxes.len()), |n| n as usize);
        decimate_keyframes(&mut seq, n);
        Ok(Sequence::with(seq, None))
    })()
    .or_throw(env)
}

/// The model service's `/api/tracking/track` response pivoted into one track per object
/// (pixels). Options: `model` (default `samurai`), `labels` (object id → label).
#[napi(catch_unwind, ts_return_type = "object[]")]
pub fn tracks_from_service(
    env: &Env,
    #[napi(ts_arg_type = "object | string")] response: Unknown,
    #[napi(ts_arg_type = "{ model?: string; labels?: Record<string, string> }")] options: Option<
        Unknown,
    >,
) -> napi::Result<Js<Vec<core_track::Track>>> {
    (|| {
        let response = read(&response, "response", ServiceResponse::from_json)?;
        let options = match &options {
            Some(o) => convert::from_js(o, "options")?.unwrap_or(Value::Null),
            None => Value::Null,
        };
        let model = match &options["model"] {
            Value::Null => "samurai".to_owned(),
            Value::String(s) => s.clone(),
            other => {
                return Err(invalid_type(
                    "options.model",
                    format!("expected a string, got {other}"),
                )
                .into());
            }
        };
        let mut labels = HashMap::new();
        if let Value::Object(given) = &options["labels"] {
            for (id, label) in given {
                let (Ok(id), Some(label)) = (id.parse::<i64>(), label.as_str()) else {
                    return Err(invalid_type(
                        &format!("options.labels.{id}"),
                        "expected an integer object id naming a string label",
                    )
                    .into());
                };
                labels.insert(id, label.to_owned());
            }
        }
        let tracks = tracks_from_response(&response, |id| labels.get(&id).cloned(), &model)?;
        Ok(Js(tracks))
    })()
    .or_throw(env)
}

/// The box `[x, y, width, height]` of a COCO RLE mask (`{ size: [h, w], counts }`, counts as
/// pycocotools' compressed string or an array), or `null` for an empty mask.
#[napi(
    catch_unwind,
    ts_return_type = "[number, number, number, number] | null"
)]
pub fn rle_bbox(
    env: &Env,
    #[napi(ts_arg_type = "{ size: [number, number]; counts: string | number[] }")] mask: Unknown,
) -> napi::Result<Option<Vec<f64>>> {
    (|| {
        let value = convert::from_js(&mask, "mask")?.unwrap_or(Value::Null);
        let mask = RleMask::from_value(&value)?;
        Ok(mask.bbox().map(|b| b.to_vec()))
    })()
    .or_throw(env)
}

/// Reads and checks a tracking job payload as fovea's tracking worker will, so a bad job can be
/// refused before it is queued: the payload with its defaults filled in, or an `Error` with
/// code `invalid-type` whose `path` names the field (`objects[0].initialBox`), or
/// `limit-exceeded` for a job that asks for more than `limits` allow (`{frames, videoPixels,
/// objects, maskBytes}`; absent ones keep their defaults).
#[napi(catch_unwind, ts_return_type = "object")]
pub fn check_tracking_job(
    env: &Env,
    #[napi(ts_arg_type = "object")] payload: Unknown,
    #[napi(ts_arg_type = "TrackingLimits")] limits: Option<Unknown>,
) -> napi::Result<Js<Value>> {
    (|| {
        let value = convert::from_js(&payload, "")?.unwrap_or(Value::Null);
        let limits = tracking_limits(limits.as_ref())?;
        Ok(Js(fovea_jobs::host::check_tracking_job(&value, &limits)?))
    })()
    .or_throw(env)
}

/// Tracking limits from an optional object (absent or `undefined`: the defaults).
pub(crate) fn tracking_limits(
    limits: Option<&Unknown>,
) -> crate::error::Res<fovea_core::limits::TrackingLimits> {
    match limits
        .map(|l| convert::from_js(l, "limits"))
        .transpose()?
        .flatten()
    {
        None => Ok(Default::default()),
        Some(value) => Ok(fovea_core::limits::TrackingLimits::from_value(&value)?),
    }
}
