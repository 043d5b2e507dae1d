//! JSON Lines exchange: `read_jsonl` (a streaming `JsonlReader`), `export_jsonl`,
//! `stats_jsonl`, `validate_jsonl`, `preview_import` and `merge_jsonl`.
//!
//! Results are the core's `Serialize` output (FOVEA's camelCase keys) as plain dicts and
//! lists. Work on files runs with the GIL released, as Python's own file I/O does; the
//! reader releases it per batch of lines on files of 64 KiB or more. Files are written
//! through a temporary file in the destination's folder, renamed into place once complete,
//! so a failure never leaves a half-written file.

use crate::convert::{from_py, to_py, type_name};
use crate::errors::to_pyerr;
use crate::gil::{DETACH_AT, run};
use crate::progress::Watch;
use fovea_core::Error;
use fovea_core::import::PreviewOptions;
use fovea_core::jsonl::ExportOptions;
use fovea_core::ops::{
    self, ExportArgs, Files, ImportOptionsArg, LineError, MergeArgs, Read, ReadArgs, RecordBatches,
    RecordOut, ValidateArgs,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

// The signatures below spell the core's default issue cap as a literal (a Python signature
// shows only literals): it must stay the core's.
const _: () = assert!(ops::DEFAULT_MAX_ISSUES == 1000);

/// Most records the reader reads ahead in one batch…
const BATCH_RECORDS: usize = 1024;
/// …and most bytes.
const BATCH_BYTES: u64 = 1 << 20;

/// A failure while the GIL is released, turned into a Python exception afterwards.
pub(crate) struct Fail(pub(crate) Error);

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail(e)
    }
}

impl Fail {
    /// Opening, creating or renaming `path` failed.
    fn file(path: &Path, err: std::io::Error) -> Self {
        Fail(Error::io(path.display(), &err))
    }

    pub(crate) fn into_pyerr(self) -> PyErr {
        to_pyerr(self.0)
    }
}

pub(crate) type Outcome<T> = Result<T, Fail>;

/// A path argument (`str` or `os.PathLike`), else `invalid-type` naming the argument.
pub(crate) fn path_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>().map_err(|_| {
        to_pyerr(Error::InvalidType {
            path: name.to_owned(),
            message: format!(
                "expected a path (str or os.PathLike), got {}",
                type_name(obj)
            ),
        })
    })
}

pub(crate) fn open_file(path: &Path) -> Outcome<File> {
    fovea_core::jsonl::open_file(path).map_err(|e| Fail::file(path, e))
}

/// An optional collection of ids (any iterable of str, not a str itself).
pub(crate) fn id_set(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<HashSet<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let invalid = |path: String, message: String| to_pyerr(Error::InvalidType { path, message });
    if obj.is_instance_of::<PyString>() {
        return Err(invalid(
            name.to_owned(),
            "expected a collection of str, got a single str".into(),
        ));
    }
    let items = obj.try_iter().map_err(|_| {
        invalid(
            name.to_owned(),
            format!("expected a collection of str, got {}", type_name(obj)),
        )
    })?;
    let mut set = HashSet::new();
    for (i, item) in items.enumerate() {
        let item = item?;
        let id = item.extract::<String>().map_err(|_| {
            invalid(
                format!("{name}[{i}]"),
                format!("expected a str, got {}", type_name(&item)),
            )
        })?;
        set.insert(id);
    }
    Ok(Some(set))
}

/// FOVEA's import options as given: a dict or JSON text (None: the defaults).
pub(crate) fn import_options_arg(
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<ImportOptionsArg>> {
    obj.filter(|o| !o.is_none())
        .map(|o| from_py(o).map_err(|e| to_pyerr(e.at_path("options"))))
        .transpose()
}

/// An optional path argument: None (or absent) is `None`.
pub(crate) fn optional_path(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<PathBuf>> {
    obj.filter(|o| !o.is_none())
        .map(|o| path_arg(o, name))
        .transpose()
}

/// A preview's options: profile, issue cap, memory budget and spill directory (`spill_dir`,
/// a path or None, checked by the core).
pub(crate) fn preview_args(
    profile: &str,
    max_issues: usize,
    memory_budget: Option<usize>,
    spill_dir: Option<&Bound<'_, PyAny>>,
) -> PyResult<PreviewOptions> {
    ops::preview_options(
        Some(profile),
        Some(max_issues),
        memory_budget,
        optional_path(spill_dir, "spill_dir")?,
    )
    .map_err(to_pyerr)
}

// --- reading --------------------------------------------------------------------------------

/// An iterator over the records of a JSON Lines file (from `read_jsonl`).
///
/// Yields `{"line": n, "type": ..., "data": {...}}` dicts. A line that cannot be read raises
/// its error class (with `.line`), or is skipped, or skipped and kept in `errors`, as chosen
/// with `on_error`; iteration can go on after a raise. An I/O error always raises and ends
/// the iteration. A context manager: leaving the `with` block closes the file.
#[pyclass(module = "fovea._fovea", name = "JsonlReader")]
pub struct JsonlReader {
    batches: Option<RecordBatches>,
    detach: bool,
    closed: bool,
    /// Records (and collected errors) read ahead…
    pending: VecDeque<Read>,
    /// …and the error that stopped their batch, raised after them.
    stop: Option<Error>,
    errors: Vec<LineError>,
}

#[pymethods]
impl JsonlReader {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.closed {
            return Err(PyValueError::new_err(
                "I/O operation on a closed JSON Lines reader",
            ));
        }
        loop {
            match self.pending.pop_front() {
                Some(Read::Record(record)) => return to_py(py, &RecordOut::of(&record)).map(Some),
                Some(Read::Skipped(e)) => {
                    self.errors.push(LineError::of(&e));
                    continue;
                }
                None => {}
            }
            if let Some(e) = self.stop.take() {
                return Err(to_pyerr(e));
            }
            let Some(batches) = self.batches.as_mut().filter(|b| !b.is_done()) else {
                // End of file: close it now.
                self.batches = None;
                return Ok(None);
            };
            let pending = &mut self.pending;
            self.stop = run(py, self.detach, || {
                batches.next_batch(BATCH_RECORDS, BATCH_BYTES, |read| {
                    pending.push_back(read);
                    Ok(())
                })
            });
        }
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __exit__(
        &mut self,
        _exc_type: &Bound<'_, PyAny>,
        _exc_value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> bool {
        self.close();
        false
    }

    /// Closes the file; iterating afterwards raises ValueError.
    fn close(&mut self) {
        self.batches = None;
        self.pending.clear();
        self.stop = None;
        self.closed = true;
    }

    /// Whether `close()` was called (or the `with` block left).
    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    /// Lines skipped so far with `on_error="collect"`: dicts `{line, code, message, path}`.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.errors)
    }
}

/// Iterates over the records of a JSON Lines file, one line in memory at a time.
///
/// `on_error`: "raise" (the error's class, with `.line`; iteration can go on), "skip" or
/// "collect" (skipped and kept in the reader's `errors`). `max_line_bytes`: longer lines are
/// `line-too-long` errors. `line_numbers`: "physical" (blank lines counted) or "non-blank"
/// (FOVEA's importer numbering).
#[pyfunction]
#[pyo3(signature = (path, *, on_error = "raise", max_line_bytes = 67108864, line_numbers = "physical"))]
pub fn read_jsonl(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    on_error: &str,
    max_line_bytes: usize,
    line_numbers: &str,
) -> PyResult<JsonlReader> {
    let path = path_arg(path, "path")?;
    let (on_error, opts) = ReadArgs {
        on_error: Some(on_error.to_owned()),
        max_line_bytes: Some(NonZeroUsize::new(max_line_bytes).ok_or_else(|| {
            to_pyerr(Error::InvalidType {
                path: "max_line_bytes".into(),
                message: "expected an integer >= 1, got 0".into(),
            })
        })?),
        line_numbers: Some(line_numbers.to_owned()),
    }
    .options()
    .map_err(to_pyerr)?;
    let (batches, len) = py
        .detach(|| {
            let batches = RecordBatches::open(&Files::default(), &path, opts, on_error)?;
            Ok((batches, Files::size(&path)))
        })
        .map_err(to_pyerr)?;
    Ok(JsonlReader {
        batches: Some(batches),
        detach: len / 16 >= DETACH_AT as u64,
        closed: false,
        pending: VecDeque::new(),
        stop: None,
        errors: Vec::new(),
    })
}

// --- whole-file operations ------------------------------------------------------------------

/// The export options of `export_jsonl` and `Store.export`'s keyword arguments.
pub(crate) fn export_options(
    mode: &str,
    persona_ids: Option<&Bound<'_, PyAny>>,
    video_ids: Option<&Bound<'_, PyAny>>,
    annotation_types: Option<&Bound<'_, PyAny>>,
    profile: &str,
    export_date: Option<String>,
    metadata: bool,
) -> PyResult<ExportOptions> {
    ExportArgs {
        mode: Some(mode.to_owned()),
        persona_ids: id_set(persona_ids, "persona_ids")?,
        video_ids: id_set(video_ids, "video_ids")?,
        annotation_types: id_set(annotation_types, "annotation_types")?,
        profile: Some(profile.to_owned()),
        export_date,
        metadata: Some(metadata),
    }
    .options()
    .map_err(to_pyerr)
}

/// Exports (re-exports) a JSON Lines file in dependency order, streaming: the source is read
/// once per export group, and a final metadata line with the real counts is written.
///
/// `mode`: "keyframes" or "interpolated" (every visible frame). `persona_ids`, `video_ids`,
/// `annotation_types` ("type", "object"): filters. `profile`: interpolation profile.
/// `export_date`: the metadata line's date (default: now); `metadata=False` leaves it out.
/// Returns the export statistics with `readErrors`, the source lines that could not be read
/// (and were left out).
///
/// `progress`: None (Ctrl-C still interrupts the call), True (a tqdm bar, `pip install
/// fovea[progress]`) or a function called as `progress(done, total)` in bytes read, at most
/// every 100 ms and once at the end; an exception it raises stops the call. The source is read
/// once per export group, so `total` is its size times the number of groups.
#[pyfunction]
#[pyo3(signature = (source, destination, *, mode = "keyframes", persona_ids = None, video_ids = None, annotation_types = None, profile = "default", export_date = None, metadata = true, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn export_jsonl<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    destination: &Bound<'py, PyAny>,
    mode: &str,
    persona_ids: Option<&Bound<'py, PyAny>>,
    video_ids: Option<&Bound<'py, PyAny>>,
    annotation_types: Option<&Bound<'py, PyAny>>,
    profile: &str,
    export_date: Option<String>,
    metadata: bool,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let source = path_arg(source, "source")?;
    let destination = path_arg(destination, "destination")?;
    let opts = export_options(
        mode,
        persona_ids,
        video_ids,
        annotation_types,
        profile,
        export_date,
        metadata,
    )?;
    let watch = Watch::new(py, progress, ops::export_bytes(&source), "export")?;
    let files = Files::new(watch.hook());
    let value = py
        .detach(|| ops::export_file(&files, &source, &destination, opts))
        .map_err(to_pyerr);
    to_py(py, &watch.finish(py, value)?)
}

/// What a JSON Lines file holds: lines per type, annotations, keyframes, frames an
/// interpolated export would write, unreadable lines, bytes. `progress`: as for
/// `export_jsonl`.
#[pyfunction]
#[pyo3(signature = (path, *, progress = None))]
pub fn stats_jsonl<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let path = path_arg(path, "path")?;
    let watch = Watch::new(py, progress, Files::size(&path), "stats")?;
    let files = Files::new(watch.hook());
    let value = py
        .detach(|| ops::stats_file(&files, &path))
        .map_err(to_pyerr);
    to_py(py, &watch.finish(py, value)?)
}

/// Validates every record of a JSON Lines file. Returns the report: `valid`, `lines`,
/// `invalidLines`, `errors` and `warnings` (issues `{line, severity, code, message, path}`,
/// unreadable lines included as errors), `truncated` (issues beyond `max_issues`).
/// `profile`: "default" (fovea's rules) or "fovea" (FOVEA's validator and messages).
#[pyfunction]
#[pyo3(signature = (path, *, profile = "default", max_issues = 1000, progress = None))]
pub fn validate_jsonl<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    profile: &str,
    max_issues: usize,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let path = path_arg(path, "path")?;
    let opts = ValidateArgs {
        profile: Some(profile.to_owned()),
        max_issues: Some(max_issues),
    }
    .options()
    .map_err(to_pyerr)?;
    let watch = Watch::new(py, progress, Files::size(&path), "validate")?;
    let files = Files::new(watch.hook());
    let value = py
        .detach(|| ops::validate_file(&files, &path, &opts))
        .map_err(to_pyerr);
    to_py(py, &watch.finish(py, value)?)
}

/// Previews an import of a JSON Lines file into `existing` (the path of a JSON Lines
/// dataset, or None for an empty store). Nothing is written. Returns `counts`, `conflicts`
/// (FOVEA's Conflict shape), `warnings` (FOVEA's texts), `issues`, `issuesTruncated` and
/// `errors` (unreadable lines).
#[pyfunction]
#[pyo3(signature = (path, *, existing = None, profile = "default", max_issues = 1000, memory_budget = None, spill_dir = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn preview_import<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    existing: Option<&Bound<'py, PyAny>>,
    profile: &str,
    max_issues: usize,
    memory_budget: Option<usize>,
    spill_dir: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let path = path_arg(path, "path")?;
    let existing = optional_path(existing, "existing")?;
    let opts = preview_args(profile, max_issues, memory_budget, spill_dir)?;
    let total = Files::size(&path) + existing.as_deref().map_or(0, Files::size);
    let watch = Watch::new(py, progress, total, "preview")?;
    let files = Files::new(watch.hook());
    let value = py
        .detach(|| ops::preview_file(&files, &path, existing.as_deref(), opts))
        .map_err(to_pyerr);
    to_py(py, &watch.finish(py, value)?)
}

/// Imports `incoming` into the dataset `existing` (a JSON Lines file, or None for an empty
/// one) and writes the result to `destination` in keyframes mode (it may be `existing`).
///
/// `options`: a dict or JSON text with FOVEA's import option names, deep-merged over its
/// defaults. `profile`, `max_issues`, `memory_budget`, `spill_dir`: as `preview_import` takes
/// them (the profile also writes the result). The destination is written only when the import
/// is committed (a failed atomic import changes nothing); then `stats` holds the export
/// statistics, else None. Returns `{"preview": ..., "result": ..., "stats": ...}`.
#[pyfunction]
#[pyo3(signature = (existing, incoming, destination, *, options = None, profile = "default", max_issues = 1000, export_date = None, memory_budget = None, spill_dir = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn merge_jsonl<'py>(
    py: Python<'py>,
    existing: Option<&Bound<'py, PyAny>>,
    incoming: &Bound<'py, PyAny>,
    destination: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyAny>>,
    profile: &str,
    max_issues: usize,
    export_date: Option<String>,
    memory_budget: Option<usize>,
    spill_dir: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let existing = optional_path(existing, "existing")?;
    let incoming = path_arg(incoming, "incoming")?;
    let destination = path_arg(destination, "destination")?;
    let opts = MergeArgs {
        options: import_options_arg(options)?,
        profile: Some(profile.to_owned()),
        max_issues: Some(max_issues),
        memory_budget,
        spill_dir: optional_path(spill_dir, "spill_dir")?,
        export_date,
    }
    .options()
    .map_err(to_pyerr)?;
    let total = Files::size(&incoming) + existing.as_deref().map_or(0, Files::size);
    let watch = Watch::new(py, progress, total, "merge")?;
    let files = Files::new(watch.hook());
    let value = py
        .detach(|| ops::merge_files(&files, existing.as_deref(), &incoming, &destination, &opts))
        .map_err(to_pyerr);
    to_py(py, &watch.finish(py, value)?)
}
