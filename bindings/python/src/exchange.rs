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
use crate::progress::{Watch, file_size};
use fovea_core::Error;
use fovea_core::import::{
    Dataset, ImportOptions, PreviewOptions, Snapshot, import_reader, preview_reader,
};
use fovea_core::interp::{InterpOptions, Profile};
use fovea_core::jsonl::{
    ExportMode, ExportOptions, LineData, LineNumbering, ReadOptions, Reader, Record, export_stream,
    stats_reader,
};
use fovea_core::model::KeyframePolicy;
use fovea_core::staged::StagedFile;
use fovea_core::validate::{ValidateOptions, validate_reader};
use fovea_core::watch::{Hook, Watched};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

type FileReader = Reader<BufReader<Watched<File>>>;

/// Buffer size of file readers and writers.
pub(crate) const BUF_BYTES: usize = 1 << 16;
/// Most records the reader reads ahead in one batch…
const BATCH_RECORDS: usize = 1024;
/// …and most bytes.
const BATCH_BYTES: u64 = 1 << 20;

/// A failure while the GIL is released, turned into a Python exception afterwards.
pub(crate) enum Fail {
    /// A core error.
    Core(Error),
    /// Opening, creating or renaming a file failed: an `IoError` with `errno` set.
    File { path: PathBuf, err: std::io::Error },
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Core(e)
    }
}

impl Fail {
    fn file(path: &Path, err: std::io::Error) -> Self {
        Fail::File {
            path: path.to_owned(),
            err,
        }
    }

    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Fail::Core(e) => to_pyerr(e),
            Fail::File { path, err } => {
                let pyerr = to_pyerr(Error::Io {
                    message: format!("{}: {err}", path.display()),
                });
                if let Some(errno) = err.raw_os_error() {
                    // Best effort: the message stays the core's.
                    let _ = pyerr.value(py).setattr("errno", errno);
                }
                pyerr
            }
        }
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

pub(crate) fn profile_arg(name: &str) -> PyResult<Profile> {
    Profile::parse(name).map_err(to_pyerr)
}

pub(crate) fn open_file(path: &Path) -> Outcome<File> {
    fovea_core::jsonl::open_file(path).map_err(|e| Fail::file(path, e))
}

fn file_reader(file: File, opts: ReadOptions, hook: Option<Hook>) -> FileReader {
    Reader::with_options(
        BufReader::with_capacity(BUF_BYTES, Watched::new(file, hook)),
        opts,
    )
}

/// A line that could not be read, as a dict: `{line, code, message, path}` (the message
/// without its line).
#[derive(Serialize)]
pub(crate) struct LineError {
    line: Option<usize>,
    code: &'static str,
    message: String,
    path: Option<String>,
}

impl LineError {
    pub(crate) fn of(e: &Error) -> Self {
        let message = match e {
            Error::AtLine { error, .. } => error.to_string(),
            other => other.to_string(),
        };
        LineError {
            line: e.line(),
            code: e.code(),
            message,
            path: e.path().map(str::to_owned),
        }
    }
}

/// A report with the lines of its source that could not be read (`readErrors`).
#[derive(Serialize)]
pub(crate) struct WithReadErrors<T> {
    #[serde(flatten)]
    pub(crate) report: T,
    #[serde(rename = "readErrors")]
    pub(crate) read_errors: Vec<LineError>,
}

impl<T> WithReadErrors<T> {
    pub(crate) fn new(report: T, errors: &[Error]) -> Self {
        WithReadErrors {
            report,
            read_errors: errors.iter().map(LineError::of).collect(),
        }
    }
}

/// Writes `dest` through a [`StagedFile`] in its folder, synced and renamed into place when
/// `write` succeeds, removed when anything fails.
pub(crate) fn write_atomically<T>(
    dest: &Path,
    write: impl FnOnce(BufWriter<File>) -> Outcome<(BufWriter<File>, T)>,
) -> Outcome<T> {
    let (stage, file) = StagedFile::create(dest).map_err(|e| Fail::file(dest, e))?;
    let (w, t) = write(BufWriter::with_capacity(BUF_BYTES, file))?;
    let file = w
        .into_inner()
        .map_err(|e| Fail::file(dest, e.into_error()))?;
    stage.commit(file).map_err(|e| Fail::file(dest, e))?;
    Ok(t)
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

/// Import options: None (FOVEA's defaults), a dict or JSON text with FOVEA's option names.
pub(crate) fn import_options(obj: Option<&Bound<'_, PyAny>>) -> PyResult<ImportOptions> {
    let options = match obj.filter(|o| !o.is_none()) {
        None => ImportOptions::default(),
        Some(o) => match o.cast::<PyString>() {
            Ok(text) => ImportOptions::from_json(&text.to_cow()?),
            Err(_) => from_py(o).and_then(ImportOptions::from_value),
        }
        .map_err(to_pyerr)?,
    };
    options.check().map_err(to_pyerr)?;
    Ok(options)
}

/// Reads a whole dataset; the first unreadable record is an error (rewriting the dataset
/// would otherwise drop it).
fn load_dataset(file: Option<File>, hook: Option<Hook>) -> Outcome<Dataset> {
    let Some(file) = file else {
        return Ok(Dataset::new());
    };
    let (dataset, errors) = Dataset::read(file_reader(file, ReadOptions::default(), hook));
    match errors.into_iter().next() {
        Some(e) => Err(Fail::Core(e)),
        None => Ok(dataset),
    }
}

/// What conflict detection needs of a dataset, read streaming; the first unreadable record is
/// an error, as for [`load_dataset`].
fn load_snapshot(
    file: Option<File>,
    policy: KeyframePolicy,
    hook: Option<Hook>,
) -> Outcome<Snapshot> {
    let Some(file) = file else {
        return Ok(Snapshot::new());
    };
    let (snapshot, errors) =
        Snapshot::read(file_reader(file, ReadOptions::default(), hook), policy);
    match errors.into_iter().next() {
        Some(e) => Err(Fail::Core(e)),
        None => Ok(snapshot),
    }
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
/// a path or None, checked here).
pub(crate) fn preview_options(
    profile: Profile,
    max_issues: usize,
    memory_budget: Option<usize>,
    spill_dir: Option<&Bound<'_, PyAny>>,
) -> PyResult<PreviewOptions> {
    let mut opts = PreviewOptions {
        validate: ValidateOptions {
            profile,
            ..Default::default()
        },
        max_issues,
        ..Default::default()
    };
    opts.limit_memory(memory_budget, optional_path(spill_dir, "spill_dir")?)
        .map_err(to_pyerr)?;
    Ok(opts)
}

// --- reading --------------------------------------------------------------------------------

/// What the reader does with a line that cannot be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnError {
    Raise,
    Skip,
    Collect,
}

/// A record read ahead, or the error.
type Item = Result<Record, Error>;

/// A record as `read_jsonl` yields it: `{line, type, data}`.
#[derive(Serialize)]
struct RecordOut<'a> {
    line: usize,
    #[serde(flatten)]
    data: &'a LineData,
}

/// An iterator over the records of a JSON Lines file (from `read_jsonl`).
///
/// Yields `{"line": n, "type": ..., "data": {...}}` dicts. A line that cannot be read raises
/// its error class (with `.line`), or is skipped, or skipped and kept in `errors`, as chosen
/// with `on_error`; iteration can go on after a raise. An I/O error always raises and ends
/// the iteration. A context manager: leaving the `with` block closes the file.
#[pyclass(module = "fovea._fovea", name = "JsonlReader")]
pub struct JsonlReader {
    reader: Option<FileReader>,
    on_error: OnError,
    detach: bool,
    closed: bool,
    pending: VecDeque<Item>,
    errors: Vec<LineError>,
}

/// Reads up to a batch of records ahead.
fn read_batch(reader: &mut FileReader, pending: &mut VecDeque<Item>) -> bool {
    let start = reader.bytes_read();
    for _ in 0..BATCH_RECORDS {
        let Some(item) = reader.next() else {
            return false;
        };
        pending.push_back(item);
        if reader.bytes_read() - start >= BATCH_BYTES {
            break;
        }
    }
    true
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
            let Some(item) = self.pending.pop_front() else {
                let Some(reader) = self.reader.as_mut() else {
                    return Ok(None);
                };
                let pending = &mut self.pending;
                if !run(py, self.detach, || read_batch(reader, pending)) {
                    // End of file: close it now.
                    self.reader = None;
                }
                continue;
            };
            match item {
                Ok(rec) => {
                    let out = RecordOut {
                        line: rec.line,
                        data: &rec.data,
                    };
                    return to_py(py, &out).map(Some);
                }
                Err(e) if self.on_error == OnError::Raise || e.code() == "io" => {
                    return Err(to_pyerr(e));
                }
                Err(e) => {
                    if self.on_error == OnError::Collect {
                        self.errors.push(LineError::of(&e));
                    }
                }
            }
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
        self.reader = None;
        self.pending.clear();
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
    let on_error = match on_error {
        "raise" => OnError::Raise,
        "skip" => OnError::Skip,
        "collect" => OnError::Collect,
        other => {
            return Err(to_pyerr(Error::InvalidOption {
                option: "on_error",
                value: other.to_owned(),
                expected: "raise, skip, collect",
            }));
        }
    };
    let numbering = match line_numbers {
        "physical" => LineNumbering::Physical,
        "non-blank" => LineNumbering::NonBlank,
        other => {
            return Err(to_pyerr(Error::InvalidOption {
                option: "line_numbers",
                value: other.to_owned(),
                expected: "physical, non-blank",
            }));
        }
    };
    let (file, len) = py
        .detach(|| {
            let file = open_file(&path)?;
            let len = file.metadata().map_or(0, |m| m.len());
            Ok((file, len))
        })
        .map_err(|e: Fail| e.into_pyerr(py))?;
    let opts = ReadOptions {
        max_line_bytes,
        numbering,
    };
    Ok(JsonlReader {
        reader: Some(file_reader(file, opts, None)),
        on_error,
        detach: len / 16 >= DETACH_AT as u64,
        closed: false,
        pending: VecDeque::new(),
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
    let annotation_types = id_set(annotation_types, "annotation_types")?;
    for t in annotation_types.iter().flatten() {
        if t != "type" && t != "object" {
            return Err(to_pyerr(Error::InvalidOption {
                option: "annotation type",
                value: t.clone(),
                expected: "type, object",
            }));
        }
    }
    Ok(ExportOptions {
        mode: ExportMode::parse(mode).map_err(to_pyerr)?,
        interp: InterpOptions::with_profile(profile_arg(profile)?),
        persona_ids: id_set(persona_ids, "persona_ids")?,
        video_ids: id_set(video_ids, "video_ids")?,
        annotation_types,
        export_date,
        no_metadata: !metadata,
    })
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
    let passes = fovea_core::jsonl::GROUPS as u64;
    let watch = Watch::new(py, progress, file_size(&source) * passes, "export")?;
    let hook = watch.hook();
    let value = py
        .detach(|| -> Outcome<_> {
            let mut first = Some(open_file(&source)?);
            let open = || -> fovea_core::Result<FileReader> {
                let file = match first.take() {
                    Some(f) => f,
                    None => fovea_core::jsonl::open_file(&source).map_err(|e| Error::Io {
                        message: format!("{}: {e}", source.display()),
                    })?,
                };
                Ok(file_reader(file, ReadOptions::default(), hook.clone()))
            };
            let (stats, errors) = write_atomically(&destination, |out| {
                let (out, stats, errors) = export_stream(open, out, opts)?;
                Ok((out, (stats, errors)))
            })?;
            Ok(WithReadErrors::new(stats, &errors))
        })
        .map_err(|e| e.into_pyerr(py));
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
    let watch = Watch::new(py, progress, file_size(&path), "stats")?;
    let hook = watch.hook();
    let value = py
        .detach(|| {
            let reader = file_reader(open_file(&path)?, ReadOptions::default(), hook);
            Ok::<_, Fail>(stats_reader(reader, KeyframePolicy::default())?)
        })
        .map_err(|e| e.into_pyerr(py));
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
    let opts = ValidateOptions {
        profile: profile_arg(profile)?,
        ..Default::default()
    };
    let watch = Watch::new(py, progress, file_size(&path), "validate")?;
    let hook = watch.hook();
    let value = py
        .detach(|| {
            let reader = file_reader(open_file(&path)?, ReadOptions::default(), hook);
            Ok::<_, Fail>(validate_reader(
                reader,
                &opts,
                &Default::default(),
                max_issues,
            ))
        })
        .map_err(|e| e.into_pyerr(py));
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
    let opts = preview_options(profile_arg(profile)?, max_issues, memory_budget, spill_dir)?;
    let total = file_size(&path) + existing.as_deref().map_or(0, file_size);
    let watch = Watch::new(py, progress, total, "preview")?;
    let hook = watch.hook();
    let value = py
        .detach(|| {
            let store = existing.as_deref().map(open_file).transpose()?;
            let incoming = file_reader(open_file(&path)?, ReadOptions::default(), hook.clone());
            let snapshot = load_snapshot(store, opts.validate.keyframes, hook)?;
            // Boxes are checked against the sizes of the store's videos, as an import does.
            let mut opts = opts;
            opts.add_video_sizes(snapshot.video_sizes());
            Ok::<_, Fail>(preview_reader(incoming, &snapshot, opts))
        })
        .map_err(|e| e.into_pyerr(py));
    to_py(py, &watch.finish(py, value)?)
}

/// What `merge_jsonl` returns.
#[derive(Serialize)]
struct MergeReport<P, R, S> {
    preview: P,
    result: R,
    stats: Option<S>,
}

/// Imports `incoming` into the dataset `existing` (a JSON Lines file, or None for an empty
/// one) and writes the result to `destination` in keyframes mode (it may be `existing`).
///
/// `options`: a dict or JSON text with FOVEA's import option names, deep-merged over its
/// defaults. The destination is written only when the import is committed (a failed atomic
/// import changes nothing); then `stats` holds the export statistics, else None. Returns
/// `{"preview": ..., "result": ..., "stats": ...}`.
#[pyfunction]
#[pyo3(signature = (existing, incoming, destination, *, options = None, profile = "default", export_date = None, memory_budget = None, spill_dir = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn merge_jsonl<'py>(
    py: Python<'py>,
    existing: Option<&Bound<'py, PyAny>>,
    incoming: &Bound<'py, PyAny>,
    destination: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyAny>>,
    profile: &str,
    export_date: Option<String>,
    memory_budget: Option<usize>,
    spill_dir: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let existing = optional_path(existing, "existing")?;
    let incoming = path_arg(incoming, "incoming")?;
    let destination = path_arg(destination, "destination")?;
    let options = import_options(options)?;
    let profile = profile_arg(profile)?;
    let preview_opts = preview_options(profile, 1000, memory_budget, spill_dir)?;
    let total = file_size(&incoming) + existing.as_deref().map_or(0, file_size);
    let watch = Watch::new(py, progress, total, "merge")?;
    let hook = watch.hook();
    let value = py
        .detach(|| {
            let store = existing.as_deref().map(open_file).transpose()?;
            let reader = file_reader(open_file(&incoming)?, ReadOptions::default(), hook.clone());
            let mut dataset = load_dataset(store, hook)?;
            let (preview, result) = import_reader(&mut dataset, reader, &options, preview_opts)?;
            let stats = if result.committed {
                let opts = ExportOptions {
                    interp: InterpOptions::with_profile(profile),
                    export_date,
                    ..Default::default()
                };
                Some(write_atomically(&destination, |out| {
                    Ok(dataset.write(out, opts)?)
                })?)
            } else {
                None
            };
            Ok(MergeReport {
                preview,
                result,
                stats,
            })
        })
        .map_err(|e: Fail| e.into_pyerr(py));
    to_py(py, &watch.finish(py, value)?)
}
