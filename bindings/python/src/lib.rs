//! `fovea._fovea`: the Python extension module of fovea (re-exported by the `fovea` package).
//!
//! A thin layer over `fovea-core`: conversion between Python objects and the core's types,
//! error mapping (one exception class per error code, under `fovea.FoveaError`) and GIL
//! handling (large compilations and evaluations, and file work, run with the GIL released;
//! Python objects are built afterwards).

mod arrow;
mod convert;
mod errors;
mod exchange;
mod gil;
mod jobs;
mod packages;
mod progress;
mod sequence;
mod store;
mod track;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Keyframe interpolation of FOVEA bounding-box sequences (native part of `fovea`).
#[pymodule]
fn _fovea(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<sequence::Sequence>()?;
    m.add_function(wrap_pyfunction!(sequence::interpolate, m)?)?;
    m.add_function(wrap_pyfunction!(sequence::box_at, m)?)?;
    m.add_class::<arrow::FrameTable>()?;
    m.add_function(wrap_pyfunction!(arrow::frames_jsonl, m)?)?;
    m.add_class::<exchange::JsonlReader>()?;
    m.add_function(wrap_pyfunction!(exchange::read_jsonl, m)?)?;
    m.add_function(wrap_pyfunction!(exchange::export_jsonl, m)?)?;
    m.add_function(wrap_pyfunction!(exchange::stats_jsonl, m)?)?;
    m.add_function(wrap_pyfunction!(exchange::validate_jsonl, m)?)?;
    m.add_function(wrap_pyfunction!(exchange::preview_import, m)?)?;
    m.add_function(wrap_pyfunction!(exchange::merge_jsonl, m)?)?;
    m.add_class::<store::Store>()?;
    m.add_function(wrap_pyfunction!(track::track_to_sequence_py, m)?)?;
    m.add_function(wrap_pyfunction!(track::reduce_track_py, m)?)?;
    m.add_function(wrap_pyfunction!(track::decimate_track, m)?)?;
    m.add_function(wrap_pyfunction!(track::tracks_from_service, m)?)?;
    m.add_function(wrap_pyfunction!(track::rle_bbox, m)?)?;
    m.add_function(wrap_pyfunction!(track::check_tracking_job, m)?)?;
    m.add_class::<jobs::JobQueue>()?;
    m.add_class::<jobs::Worker>()?;
    m.add_class::<jobs::Job>()?;
    m.add_class::<jobs::SimulatedModelService>()?;
    errors::register(m)?;
    let registry = fovea_core::codes::REGISTRY;
    m.add(
        "ERROR_CODES",
        PyTuple::new(py, registry.iter().map(|c| c.code))?,
    )?;
    let families = pyo3::types::PyDict::new(py);
    for c in registry {
        families.set_item(c.code, errors::family_name(c.family))?;
    }
    m.add("ERROR_FAMILIES", families)?;
    m.add("REFUSAL_CODES", PyTuple::new(py, errors::REFUSAL_CODES)?)?;
    m.add(
        "JOB_ERROR_CODES",
        PyTuple::new(py, fovea_jobs::JobError::CODES)?,
    )?;
    // Not in `__all__`.
    m.setattr("__version__", env!("CARGO_PKG_VERSION"))?;
    m.setattr("_stop_workers", wrap_pyfunction!(jobs::stop_workers, m)?)?;
    Ok(())
}
