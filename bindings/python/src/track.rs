//! Tracks (FOVEA's `TrackingResult`, in pixels with the video's size) into keyframe
//! sequences: FOVEA's conversion and decimation, and the error-bounded reducer; the model
//! service's response pivoted into tracks; COCO RLE mask boxes.

use crate::convert::{Converter, from_py, to_py};
use crate::errors::to_pyerr;
use crate::sequence::Sequence;
use fovea_core::Error;
use fovea_core::interp::InterpOptions;
use fovea_core::track::{
    RleMask, ServiceResponse, Track, decimate_keyframes, optimal_decimation, reduce_track,
    track_to_sequence, tracks_from_response,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use std::collections::HashMap;

/// A dict read directly, or JSON text read by `from_json` (errors name the field).
fn dict_or_json<T: serde::de::DeserializeOwned>(
    obj: &Bound<'_, PyAny>,
    from_json: fn(&str) -> fovea_core::Result<T>,
) -> PyResult<T> {
    match obj.cast::<PyString>() {
        Ok(s) => from_json(&s.to_cow()?),
        Err(_) => from_py(obj),
    }
    .map_err(to_pyerr)
}

fn track_arg(obj: &Bound<'_, PyAny>) -> PyResult<Track> {
    dict_or_json(obj, Track::from_json)
}

fn sequence(seq: fovea_core::model::BoundingBoxSequence) -> Sequence {
    Sequence::with(seq, InterpOptions::default())
}

/// FOVEA's `convertTrackToSequence`: every tracked frame a keyframe, linear segments between
/// neighbours, gaps hidden. `track` is a dict (or JSON text) with `trackId`, `label`,
/// `confidence`, `model`, `frames` ([{frameNumber, box {x, y, width, height}, confidence,
/// occluded}]), `videoWidth` and `videoHeight`.
#[pyfunction(name = "track_to_sequence")]
pub fn track_to_sequence_py(track: &Bound<'_, PyAny>) -> PyResult<Sequence> {
    let track = track_arg(track)?;
    Ok(sequence(track_to_sequence(&track)))
}

/// The fewest keyframes such that interpolation reproduces every tracked box within
/// `tolerance` pixels, never bridging a hidden gap. O(frames).
#[pyfunction(name = "reduce_track")]
#[pyo3(signature = (track, tolerance = 1.0))]
pub fn reduce_track_py(
    py: Python<'_>,
    track: &Bound<'_, PyAny>,
    tolerance: f64,
) -> PyResult<Sequence> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(to_pyerr(Error::InvalidOption {
            option: "tolerance",
            value: tolerance.to_string(),
            expected: "a number of pixels >= 0",
        }));
    }
    let track = track_arg(track)?;
    let seq = py.detach(|| reduce_track(&track, tolerance));
    Ok(sequence(seq))
}

/// FOVEA's `decimateKeyframes` after its conversion: every `every`-th tracked box by index,
/// plus the last (None: FOVEA's `calculateOptimalDecimation`).
#[pyfunction]
#[pyo3(signature = (track, every = None))]
pub fn decimate_track(track: &Bound<'_, PyAny>, every: Option<usize>) -> PyResult<Sequence> {
    let track = track_arg(track)?;
    let mut seq = track_to_sequence(&track);
    let n = every.unwrap_or_else(|| optimal_decimation(seq.boxes.len()));
    decimate_keyframes(&mut seq, n);
    Ok(sequence(seq))
}

/// The model service's `/api/tracking/track` response pivoted into one track per object
/// (a list of track dicts, in pixels); `labels` names objects by id.
#[pyfunction]
#[pyo3(signature = (response, *, model = "samurai", labels = None))]
pub fn tracks_from_service<'py>(
    py: Python<'py>,
    response: &Bound<'py, PyAny>,
    model: &str,
    labels: Option<HashMap<i64, String>>,
) -> PyResult<Bound<'py, PyList>> {
    let response = dict_or_json(response, ServiceResponse::from_json)?;
    let labels = labels.unwrap_or_default();
    let tracks =
        tracks_from_response(&response, |id| labels.get(&id).cloned(), model).map_err(to_pyerr)?;
    let mut c = Converter::new(py);
    let items = tracks
        .iter()
        .map(|t| c.value(t))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// The box `(x, y, width, height)` of a COCO RLE mask (`{size: [h, w], counts}`, counts as
/// pycocotools' compressed string or a list), or None for an empty mask.
#[pyfunction]
pub fn rle_bbox(mask: &Bound<'_, PyAny>) -> PyResult<Option<(f64, f64, f64, f64)>> {
    let value = from_py(mask).map_err(to_pyerr)?;
    let mask = RleMask::from_value(&value).map_err(to_pyerr)?;
    Ok(mask.bbox().map(|b| (b[0], b[1], b[2], b[3])))
}

/// Reads and checks a tracking job payload (a dict) as fovea's tracking worker will, so a bad
/// job can be refused before it is queued: returns it with its defaults filled in, or raises
/// `InvalidTypeError` whose `path` names the field (`objects[0].initialBox`), or
/// `LimitExceededError` for a job that asks for more than `limits` allow (a dict of `frames`,
/// `videoPixels`, `objects`, `maskBytes`; absent ones keep their defaults).
#[pyfunction]
#[pyo3(signature = (payload, *, limits = None))]
pub fn check_tracking_job<'py>(
    py: Python<'py>,
    payload: &Bound<'py, PyAny>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let value = from_py(payload).map_err(to_pyerr)?;
    let limits = tracking_limits(limits)?;
    let job = fovea_jobs::host::check_tracking_job(&value, &limits).map_err(to_pyerr)?;
    to_py(py, &job)
}

/// Tracking limits from an optional dict (`None`: the defaults).
pub(crate) fn tracking_limits(
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<fovea_core::limits::TrackingLimits> {
    match limits {
        None => Ok(Default::default()),
        Some(l) => {
            let value = from_py(l).map_err(to_pyerr)?;
            fovea_core::limits::TrackingLimits::from_value(&value).map_err(to_pyerr)
        }
    }
}
