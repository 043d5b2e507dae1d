//! `fovea.Store`: FOVEA's tables in Postgres or an embedded SQLite file (`fovea-db`).
//!
//! Every method blocks with the GIL released (other Python threads run meanwhile); the
//! `fovea` package adds `*_async` twins that run them on a worker thread. Results are the
//! store's `Serialize` output (FOVEA's camelCase keys) as plain dicts and lists; failures raise
//! the exception class of their code (`DatabaseError` for what the database refused).

use crate::convert::{read_with, to_py, type_name};
use crate::errors::to_pyerr;
use crate::exchange::{
    Fail, Outcome, export_options, import_options_arg, optional_path, path_arg, preview_args,
};
use fovea_core::Error;
use fovea_core::model::Annotation;
use fovea_core::ops::Files;
use fovea_db::{BlockingStore, ConnectArgs, DEFAULT_URL, Source, StoreImportArgs};
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

    /// Every `import_history` row, oldest first.
    fn import_history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| Ok(s.import_history()?))
    }
}

impl Store {
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
