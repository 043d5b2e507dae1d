//! `fovea.Store`: FOVEA's tables in Postgres or an embedded SQLite file (`fovea-db`).
//!
//! Every method blocks with the GIL released (other Python threads run meanwhile); the
//! `fovea` package adds `*_async` twins that run them on a worker thread. Results are the
//! store's `Serialize` output (FOVEA's camelCase keys) as plain dicts and lists; failures raise
//! the exception class of their code (`DatabaseError` for what the database refused).

use crate::convert::{from_py, read_with, to_py, type_name};
use crate::errors::{job_error, to_pyerr};
use crate::exchange::{
    Fail, Outcome, export_options, import_options_arg, optional_path, path_arg, preview_args,
};
use crate::jobs::JobQueue;
use fovea_core::Error;
use fovea_core::model::Annotation;
use fovea_core::ops::Files;
use fovea_db::{BlockingStore, ConnectArgs, DEFAULT_URL, Source, StoreImportArgs};
use fovea_jobs::tracking::payload::FrameRange;
use fovea_jobs::tracking::review::{self, AcceptArgs, CandidatesArgs, RejectArgs};
use fovea_runtime::runtime;
use pyo3::prelude::*;
use pyo3::types::PyString;
use serde::Serialize;

impl From<fovea_db::DbError> for Fail {
    fn from(e: fovea_db::DbError) -> Self {
        Fail(e.into_core())
    }
}

/// Annotations given as a list of dicts (or JSON text of one annotation each).
fn annotations_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Annotation>> {
    let items = obj.try_iter().map_err(|_| {
        to_pyerr(Error::InvalidType {
            path: "annotations".into(),
            message: format!("expected a list of annotations, got {}", type_name(obj)),
        })
    })?;
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        let item = item?;
        let parsed = match item.cast::<PyString>() {
            Ok(text) => Annotation::from_json(&text.to_cow()?),
            Err(_) => read_with(&item, |make| Annotation::read(make)),
        };
        out.push(parsed.map_err(|e| to_pyerr(e.at_path(&format!("annotations[{i}]"))))?);
    }
    Ok(out)
}

/// Annotations, personas, videos and world state in FOVEA's tables: Postgres
/// (`postgres://…`, the tables FOVEA's migrations create, used as they are) or an SQLite file
/// (`sqlite:…`, created with its tables when missing; the default `sqlite://fovea.db`).
///
/// `user`: whose personas and world state imports and exports use. `layout`: how annotation
/// rows are written — "whole" (the whole annotation, as FOVEA's importer writes it) or "ui"
/// (the bare sequence FOVEA's UI reads). Use it as a context manager to close it.
#[pyclass(module = "fovea._fovea", subclass, frozen)]
pub struct Store {
    store: BlockingStore,
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (url = None, *, user = None, layout = "whole"))]
    fn new(
        py: Python<'_>,
        url: Option<String>,
        user: Option<String>,
        layout: &str,
    ) -> PyResult<Self> {
        let options = ConnectArgs {
            user,
            layout: Some(layout.to_owned()),
            max_connections: None,
        }
        .options()
        .map_err(to_pyerr)?;
        let url = url.unwrap_or_else(|| DEFAULT_URL.to_owned());
        let store = py
            .detach(|| BlockingStore::connect(&url, options).map_err(Fail::from))
            .map_err(|e| e.into_pyerr())?;
        Ok(Store { store })
    }

    /// "postgres" or "sqlite".
    #[getter]
    fn backend(&self) -> &'static str {
        match self.store.backend() {
            fovea_db::Backend::Postgres => "postgres",
            fovea_db::Backend::Sqlite => "sqlite",
        }
    }

    /// Closes every connection (the store cannot be used afterwards).
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.store.close());
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    /// Creates FOVEA's tables where they are missing (existing ones are never altered).
    /// Returns `{created, existing, foveaMigrations}`.
    fn migrate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| Ok(s.migrate()?))
    }

    /// The annotation with this id (a dict), or None.
    fn annotation<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| Ok(s.annotation(&id)?))
    }

    /// The annotations on a video (all when None), by id: `{annotations, unreadable}` where
    /// `unreadable` lists the rows that hold no readable annotation (`{id, code, message}`).
    #[pyo3(signature = (video_id = None))]
    fn annotations<'py>(
        &self,
        py: Python<'py>,
        video_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| Ok(s.annotations_report(video_id.as_deref())?))
    }

    /// Stores annotations (dicts in FOVEA's shape), inserting or replacing by id, in one
    /// transaction. Their videos and (type annotations) personas must exist. Returns how many.
    fn save_annotations(&self, py: Python<'_>, annotations: &Bound<'_, PyAny>) -> PyResult<u64> {
        let annotations = annotations_arg(annotations)?;
        py.detach(|| {
            self.store
                .save_annotations(&annotations)
                .map_err(Fail::from)
        })
        .map_err(|e| e.into_pyerr())
    }

    /// Deletes annotations by id; returns how many rows were deleted.
    fn delete_annotations(&self, py: Python<'_>, ids: Vec<String>) -> PyResult<u64> {
        py.detach(|| self.store.delete_annotations(&ids).map_err(Fail::from))
            .map_err(|e| e.into_pyerr())
    }

    /// Exports the store as JSON Lines into `destination` (through a temporary file renamed
    /// into place), streaming, with the options of `export_jsonl`. Returns the export
    /// statistics with `unreadable` (rows left out, `{id, code, message}`) and
    /// `invalidObjects` (world objects left out).
    #[pyo3(signature = (destination, *, mode = "keyframes", persona_ids = None, video_ids = None, annotation_types = None, profile = "default", export_date = None, metadata = true))]
    #[allow(clippy::too_many_arguments)]
    fn export<'py>(
        &self,
        py: Python<'py>,
        destination: &Bound<'py, PyAny>,
        mode: &str,
        persona_ids: Option<&Bound<'py, PyAny>>,
        video_ids: Option<&Bound<'py, PyAny>>,
        annotation_types: Option<&Bound<'py, PyAny>>,
        profile: &str,
        export_date: Option<String>,
        metadata: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
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
        self.run(py, |s| {
            Ok(s.export_file(&Files::default(), &destination, opts)?)
        })
    }

    /// Previews an import of the JSON Lines file `path` against the store: counts, issues
    /// and conflicts (as `preview_import` reports them). Nothing is written.
    #[pyo3(signature = (path, *, profile = "default", max_issues = 1000, memory_budget = None, spill_dir = None))]
    fn preview<'py>(
        &self,
        py: Python<'py>,
        path: &Bound<'py, PyAny>,
        profile: &str,
        max_issues: usize,
        memory_budget: Option<usize>,
        spill_dir: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = path_arg(path, "path")?;
        let opts = preview_args(profile, max_issues, memory_budget, spill_dir)?;
        self.run(py, |s| Ok(s.preview(Source::Path(path), opts)?))
    }

    /// Imports the JSON Lines file `path` into the store: one transaction (atomic, the
    /// default) or a savepoint per row (`{"transaction": {"atomic": False}}`), and an
    /// `import_history` row either way. `options`: FOVEA's import options (dict or JSON
    /// text), deep-merged over its defaults. Returns `{preview, result, historyId}`; counters
    /// count only what was committed.
    #[pyo3(signature = (path, *, options = None, profile = "default", max_issues = 1000, user = None, memory_budget = None, spill_dir = None))]
    #[allow(clippy::too_many_arguments)]
    fn import_jsonl<'py>(
        &self,
        py: Python<'py>,
        path: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
        profile: &str,
        max_issues: usize,
        user: Option<String>,
        memory_budget: Option<usize>,
        spill_dir: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = path_arg(path, "path")?;
        let (options, params) = StoreImportArgs {
            options: import_options_arg(options)?,
            profile: Some(profile.to_owned()),
            max_issues: Some(max_issues),
            memory_budget,
            spill_dir: optional_path(spill_dir, "spill_dir")?,
            user,
        }
        .options()
        .map_err(to_pyerr)?;
        self.run(py, |s| {
            Ok(s.import(Source::Path(path), &options, params)?)
        })
    }

    /// Tracking candidates — what tracking jobs found, with their review — as dicts, by job
    /// and object: those of `job_id`, on `video_id`, in `state` ("pending", "accepted",
    /// "rejected"). `queue` (a `JobQueue`): where `job_id` ran, when its worker had no store;
    /// its result registers the candidates on first look.
    #[pyo3(signature = (job_id = None, *, video_id = None, state = None, queue = None))]
    fn candidates<'py>(
        &self,
        py: Python<'py>,
        job_id: Option<String>,
        video_id: Option<String>,
        state: Option<String>,
        queue: Option<Bound<'py, JobQueue>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = CandidatesArgs {
            job_id,
            video_id,
            state,
        };
        let queue = queue.as_ref().map(|q| q.get().any());
        self.review(py, review::candidates(self.store.store(), queue, &args))
    }

    /// Accepts a candidate: its track becomes an annotation (id `{job_id}-obj{object_id}`;
    /// accepting again replaces it), saved with the review in one transaction. A type
    /// annotation (`type_id`, `persona_id`, `type_category`) or an object annotation
    /// (`entity_id`); keyframes by `tolerance` (pixels, default 1), `decimation` (N or
    /// "auto", FOVEA's) or `every_frame`; `frames=(start, end)` keeps only those tracked
    /// frames. `version`: the candidate's version the reviewer saw (another raises
    /// `ConflictError`). A missing video or persona raises `MissingDependencyError`. With
    /// `queue`, the review is also written to the job's log. Returns the candidate.
    #[pyo3(signature = (job_id, object_id, *, type_id = None, persona_id = None, type_category = None, entity_id = None, tolerance = None, decimation = None, every_frame = false, frames = None, version = None, reviewer = None, queue = None))]
    #[allow(clippy::too_many_arguments)]
    fn accept_candidate<'py>(
        &self,
        py: Python<'py>,
        job_id: String,
        object_id: i64,
        type_id: Option<String>,
        persona_id: Option<String>,
        type_category: Option<String>,
        entity_id: Option<String>,
        tolerance: Option<f64>,
        decimation: Option<&Bound<'py, PyAny>>,
        every_frame: bool,
        frames: Option<(u32, u32)>,
        version: Option<u32>,
        reviewer: Option<String>,
        queue: Option<Bound<'py, JobQueue>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let accept = AcceptArgs {
            type_id,
            persona_id,
            type_category,
            entity_id,
            tolerance,
            decimation: decimation
                .map(from_py)
                .transpose()
                .map_err(|e| to_pyerr(e.at_path("decimation")))?,
            every_frame: Some(every_frame),
            frames: frames.map(|(start, end)| FrameRange { start, end }),
            version,
            reviewer,
        }
        .options()
        .map_err(job_error)?;
        let queue = queue.as_ref().map(|q| q.get().any());
        let store = self.store.store();
        self.review(py, review::accept(store, queue, &job_id, object_id, accept))
    }

    /// Rejects a candidate (deleting the annotation it had been accepted as), with an
    /// optional `reason`; `version`, `reviewer` and `queue` as for `accept_candidate`.
    /// Returns the candidate.
    #[pyo3(signature = (job_id, object_id, *, reason = None, version = None, reviewer = None, queue = None))]
    #[allow(clippy::too_many_arguments)]
    fn reject_candidate<'py>(
        &self,
        py: Python<'py>,
        job_id: String,
        object_id: i64,
        reason: Option<String>,
        version: Option<u32>,
        reviewer: Option<String>,
        queue: Option<Bound<'py, JobQueue>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let reject = RejectArgs {
            reason,
            version,
            reviewer,
        };
        let queue = queue.as_ref().map(|q| q.get().any());
        let store = self.store.store();
        self.review(py, review::reject(store, queue, &job_id, object_id, reject))
    }

    /// Every `import_history` row, oldest first.
    fn import_history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| Ok(s.import_history()?))
    }
}

impl Store {
    /// Runs a review of tracking candidates with the GIL released, and converts its result.
    fn review<'py, T: Serialize + Send>(
        &self,
        py: Python<'py>,
        work: impl Future<Output = fovea_jobs::Result<T>> + Send,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value = py.detach(|| runtime().block_on(work)).map_err(job_error)?;
        to_py(py, &value)
    }

    /// Runs `f` on the store with the GIL released, and converts its result.
    fn run<'py, T: Serialize + Send>(
        &self,
        py: Python<'py>,
        f: impl FnOnce(&BlockingStore) -> Outcome<T> + Send,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value = py.detach(|| f(&self.store)).map_err(|e| e.into_pyerr())?;
        to_py(py, &value)
    }
}
