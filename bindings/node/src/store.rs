//! The database `Store`: FOVEA's tables in Postgres or in an embedded SQLite file, through
//! `fovea-db`'s `BlockingStore`. Every operation returns a Promise and runs on the libuv thread
//! pool (see `task`); results are FOVEA's camelCase JSON, as the exchange functions return.
//!
//! Failures reject with the binding's `Error`: the store's errors become the core's
//! (`DbError::into_core`: code `database` for what the database refused or failed, including
//! an unreachable server; `invalid-option` for a URL no backend speaks), then are mapped as
//! every other error is.
//!
//! An `AbortSignal` (`options.signal`) stops a read at any time (an export's destination is then
//! left untouched); operations that write to the database — `migrate`, `saveAnnotations`,
//! `deleteAnnotations`, `import` — honour it only until they start, since a transaction is not
//! interrupted half-way and its outcome is always reported.

use crate::convert;
use crate::convert::Tape;
use crate::error::Res;
use crate::exchange::{invalid_type, path_arg};
use crate::jobs::{self, JobQueue};
use crate::task::{Abort, Job, spawn, spawn_with, tape, work};
use fovea_core::Error as CoreError;
use fovea_core::model::Annotation;
use fovea_core::ops::ExportArgs;
use fovea_db::{Backend, BlockingStore, ConnectArgs, Source, StoreImportArgs, StorePreviewArgs};
use fovea_jobs::tracking::review::{self, AcceptArgs, CandidatesArgs, RejectArgs};
use napi::bindgen_prelude::{AsyncTask, JsValue, Object, Unknown};
use napi::{Env, check_status, sys};
use napi_derive::napi;

/// What the Promise of most store calls resolves to (built on the pool, as a tape).
type Reply = AsyncTask<Job<Tape>>;

/// A tracked object's id: a whole number.
fn object_arg(value: &Unknown) -> Res<i64> {
    let n = convert::number(value, "objectId")?;
    if n.fract() != 0.0 || n.abs() > 9_007_199_254_740_991.0 {
        return Err(invalid_type("objectId", format!("expected a whole number, got {n}")).into());
    }
    Ok(n as i64)
}

/// An optional string argument (`undefined` and `null` are absent).
fn optional_string(value: Option<&Unknown>, name: &str) -> Res<Option<String>> {
    match value {
        Some(v) if !convert::is_nullish(v)? => Ok(Some(convert::string(v, name)?)),
        _ => Ok(None),
    }
}

/// The annotations of an array argument, each read directly (errors located under
/// `annotations[i]`).
fn annotations_arg(value: &Unknown) -> Res<Vec<Annotation>> {
    let raw = value.value();
    let mut is_array = false;
    // SAFETY: `raw` is a live value of its environment, inside the current callback.
    check_status!(unsafe { sys::napi_is_array(raw.env, raw.value, &mut is_array) })?;
    if !is_array {
        return Err(invalid_type(
            "annotations",
            format!(
                "expected an array of annotations, got {}",
                convert::describe(value.get_type()?)
            ),
        )
        .into());
    }
    let mut len = 0;
    // SAFETY: as above; `raw` is an array.
    check_status!(unsafe { sys::napi_get_array_length(raw.env, raw.value, &mut len) })?;
    (0..len)
        .map(|i| {
            let mut item = std::ptr::null_mut();
            // SAFETY: as above; `i` is within the array.
            check_status!(unsafe { sys::napi_get_element(raw.env, raw.value, i, &mut item) })?;
            // SAFETY: `item` is a live value of the environment.
            let item = unsafe { Unknown::from_raw_unchecked(raw.env, item) };
            let path = format!("annotations[{i}]");
            match convert::read_with(&item, &path, |make| Annotation::read(make))? {
                Some(a) => Ok(a),
                None => Err(invalid_type(&path, "expected an annotation, got undefined").into()),
            }
        })
        .collect()
}

/// A database of FOVEA's tables: Postgres (`postgres://…`, the schema FOVEA's migrations create)
/// or an embedded SQLite file (`sqlite:…`, created with its tables when missing). Open one with
/// `await Store.connect(url)`; every operation returns a Promise.
#[napi]
pub struct Store {
    inner: BlockingStore,
}

#[napi]
impl Store {
    /// Opens the database at `url` (default `sqlite://fovea.db`, in the working directory).
    /// Options: `user` (whose world state and personas imports and exports use; default
    /// `default-user`), `layout` (how annotation rows are written: `whole`, the default, keeps
    /// the whole annotation; `ui` writes rows FOVEA's UI reads), `maxConnections` (default 8),
    /// `signal`. A URL of another scheme rejects with `invalid-option`; a database that cannot
    /// be reached with `database`.
    #[napi(catch_unwind, ts_return_type = "Promise<Store>")]
    pub fn connect(
        env: &Env,
        #[napi(ts_arg_type = "string | null")] url: Option<Unknown>,
        #[napi(ts_arg_type = "StoreConnectOptions")] options: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<Store>>> {
        let options = options.as_ref();
        spawn(env, options, || {
            let url = optional_string(url.as_ref(), "url")?
                .unwrap_or_else(|| fovea_db::DEFAULT_URL.to_owned());
            let opts = convert::options::<ConnectArgs>(options)?.options()?;
            Ok(work(move |_| {
                BlockingStore::connect(&url, opts).map(|inner| Store { inner })
            }))
        })
    }

    /// The database behind the store: `postgres` or `sqlite`.
    #[napi(getter, catch_unwind, ts_return_type = "'postgres' | 'sqlite'")]
    pub fn backend(&self) -> &'static str {
        match self.inner.backend() {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }

    /// Creates FOVEA's tables where they are missing (never altering one that exists) and
    /// resolves to what it found: `{ created, existing, foveaMigrations }`. Options: `signal`
    /// (only before it starts).
    #[napi(catch_unwind, ts_return_type = "Promise<SchemaReport>")]
    pub fn migrate(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        spawn_with(env, options.as_ref(), Abort::BeforeStart, || {
            Ok(tape(move |_| store.migrate()))
        })
    }

    /// The annotation with this id, or `null`. A row that holds no readable annotation
    /// rejects with code `database`. Options: `signal`.
    #[napi(catch_unwind, ts_return_type = "Promise<Annotation | null>")]
    pub fn annotation(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "string")] id: Unknown,
        #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        spawn(env, options.as_ref(), || {
            let id = convert::string(&id, "id")?;
            Ok(tape(move |_| store.annotation(&id)))
        })
    }

    /// The annotations on the video `videoId` (every annotation when it is absent or `null`),
    /// by id: `{ annotations, unreadable }`, where `unreadable` lists the rows that hold no
    /// readable annotation as `{ id, code, message }` (left out of `annotations`). Options:
    /// `signal`.
    #[napi(catch_unwind, ts_return_type = "Promise<StoredAnnotations>")]
    pub fn annotations(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "string | null")] video_id: Option<Unknown>,
        #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        spawn(env, options.as_ref(), || {
            let video_id = optional_string(video_id.as_ref(), "videoId")?;
            Ok(tape(move |_| store.annotations_report(video_id.as_deref())))
        })
    }

    /// Stores annotations (FOVEA's shape; inserted or replaced by id) in one transaction and
    /// resolves to how many were written. Their videos and (type annotations) personas must
    /// exist, else the database refuses them (code `database`) and nothing is written. An
    /// annotation that does not read rejects with its path (`annotations[1].videoId`).
    /// Options: `signal` (only before it starts).
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn save_annotations(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "ReadonlyArray<AnnotationData & { id: string; videoId: string }>")]
        annotations: Unknown,
        #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<f64>>> {
        let store = self.inner.clone();
        spawn_with(env, options.as_ref(), Abort::BeforeStart, || {
            let list = annotations_arg(&annotations)?;
            Ok(work(move |_| {
                store.save_annotations(&list).map(|n| n as f64)
            }))
        })
    }

    /// Deletes annotations by id and resolves to how many rows were deleted (ids not found
    /// are not counted). Options: `signal` (only before it starts).
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn delete_annotations(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "ReadonlyArray<string>")] ids: Unknown,
        #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<f64>>> {
        let store = self.inner.clone();
        spawn_with(env, options.as_ref(), Abort::BeforeStart, || {
            let ids: Vec<String> = convert::from_js(&ids, "ids")?.ok_or_else(|| {
                invalid_type("ids", "expected an array of strings, got undefined")
            })?;
            Ok(work(move |_| {
                store.delete_annotations(&ids).map(|n| n as f64)
            }))
        })
    }

    /// Exports the store as FOVEA's JSON Lines to `destination`, streaming from one consistent
    /// snapshot, through a temporary file renamed into place (as `exportJsonl` writes).
    /// Options as `exportJsonl`'s: `mode`, `personaIds`, `videoIds`, `annotationTypes`,
    /// `profile`, `exportDate`, `metadata`, `signal`. Resolves to the export statistics plus
    /// `unreadable` (annotation rows that hold no readable annotation, not written: `{ id, code,
    /// message }`) and `invalidObjects` (world objects of the user that do not read: `{ code,
    /// message, path? }`).
    #[napi(catch_unwind, ts_return_type = "Promise<StoreExportResult>")]
    pub fn export(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "string")] destination: Unknown,
        #[napi(ts_arg_type = "ExportJsonlOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        let options = options.as_ref();
        spawn(env, options, || {
            let destination = path_arg(&destination, "destination")?;
            let opts = convert::options::<ExportArgs>(options)?.options()?;
            Ok(tape(move |files| {
                store.export_file(files, &destination, opts)
            }))
        })
    }

    /// Previews an import of the JSON Lines file `path` against the store: counts, validation
    /// issues and conflicts, nothing written (the shape of `previewImport`'s result). Options:
    /// `profile`, `maxIssues`, `memoryBudget`, `spillDir` (as `previewImport` takes them),
    /// `signal`.
    #[napi(catch_unwind, ts_return_type = "Promise<ImportPreview>")]
    pub fn preview(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "string")] path: Unknown,
        #[napi(ts_arg_type = "StorePreviewOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        let options = options.as_ref();
        spawn(env, options, || {
            let path = path_arg(&path, "path")?;
            let opts = convert::options::<StorePreviewArgs>(options)?.options()?;
            Ok(tape(move |_| store.preview(Source::Path(path), opts)))
        })
    }

    /// Imports the JSON Lines file `path` into the store in one transaction (atomic imports
    /// commit all or nothing) and records it in the import history. Resolves to `{ preview,
    /// result, historyId }`: a failed atomic import resolves too, with `result.committed`
    /// false. Options: `options` (FOVEA's `ImportOptions`, an object or JSON text, as
    /// `mergeJsonl` takes), `profile`, `maxIssues`, `memoryBudget`, `spillDir`, `user`
    /// (recorded as the importer and owning imported personas and world objects; default: the
    /// store's user), `signal` (only before it starts).
    #[napi(catch_unwind, ts_return_type = "Promise<StoreImportResult>")]
    pub fn import(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "string")] path: Unknown,
        #[napi(ts_arg_type = "StoreImportOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        let options = options.as_ref();
        spawn_with(env, options, Abort::BeforeStart, || {
            let path = path_arg(&path, "path")?;
            let (import_options, params) =
                convert::options::<StoreImportArgs>(options)?.options()?;
            Ok(tape(move |_| {
                store.import(Source::Path(path), &import_options, params)
            }))
        })
    }

    /// Tracking candidates — what tracking jobs found, with their review — by job and
    /// object. Options: `jobId`, `videoId`, `state` (`pending`, `accepted`, `rejected`).
    /// `queue`: where `jobId` ran, when its worker had no store (its result registers the
    /// candidates on first look).
    #[napi(catch_unwind, ts_return_type = "Promise<Candidate[]>")]
    pub fn candidates<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "CandidatesOptions")] options: Option<Unknown>,
        queue: Option<&JobQueue>,
    ) -> napi::Result<Object<'env>> {
        let store = self.inner.store().clone();
        let queue = queue.map(|q| q.any().clone());
        let prepared =
            convert::options::<CandidatesArgs>(options.as_ref()).map(|args| async move {
                jobs::tape(&review::candidates(&store, queue.as_ref(), &args).await?)
            });
        jobs::promise(env, prepared)
    }

    /// Accepts a candidate: its track becomes an annotation (id `{jobId}-obj{objectId}`;
    /// accepting again replaces it), saved with the review in one transaction. Options:
    /// `typeId` and `personaId` (a type annotation; `typeCategory`) or `entityId` (an object
    /// annotation); `tolerance` (pixels, default 1), `decimation` (N or `'auto'`) or
    /// `everyFrame`; `frames` (`{ start, end }`); `version` (the version the reviewer saw:
    /// another rejects with `conflict`); `reviewer`. A missing video or persona rejects with
    /// `missing-dependency`. With `queue`, the review is also written to the job's log.
    /// Resolves to the candidate.
    #[napi(catch_unwind, ts_return_type = "Promise<Candidate>")]
    pub fn accept_candidate<'env>(
        &self,
        env: &'env Env,
        job_id: String,
        #[napi(ts_arg_type = "number")] object_id: Unknown,
        #[napi(ts_arg_type = "AcceptCandidateOptions")] options: Unknown,
        queue: Option<&JobQueue>,
    ) -> napi::Result<Object<'env>> {
        let store = self.inner.store().clone();
        let queue = queue.map(|q| q.any().clone());
        let prepared = (|| {
            let object_id = object_arg(&object_id)?;
            let args = convert::options::<AcceptArgs>(Some(&options))?;
            Ok(async move {
                let accept = args.options()?;
                let c = review::accept(&store, queue.as_ref(), &job_id, object_id, accept).await?;
                jobs::tape(&c)
            })
        })();
        jobs::promise(env, prepared)
    }

    /// Rejects a candidate (deleting the annotation it had been accepted as). Options:
    /// `reason`, `version`, `reviewer` (as `acceptCandidate` takes them); `queue` as there.
    /// Resolves to the candidate.
    #[napi(catch_unwind, ts_return_type = "Promise<Candidate>")]
    pub fn reject_candidate<'env>(
        &self,
        env: &'env Env,
        job_id: String,
        #[napi(ts_arg_type = "number")] object_id: Unknown,
        #[napi(ts_arg_type = "RejectCandidateOptions")] options: Option<Unknown>,
        queue: Option<&JobQueue>,
    ) -> napi::Result<Object<'env>> {
        let store = self.inner.store().clone();
        let queue = queue.map(|q| q.any().clone());
        let prepared = (|| {
            let object_id = object_arg(&object_id)?;
            let args = convert::options::<RejectArgs>(options.as_ref())?;
            Ok(async move {
                let c = review::reject(&store, queue.as_ref(), &job_id, object_id, args).await?;
                jobs::tape(&c)
            })
        })();
        jobs::promise(env, prepared)
    }

    /// Every row of the import history, oldest first. Options: `signal`.
    #[napi(catch_unwind, ts_return_type = "Promise<ImportHistoryEntry[]>")]
    pub fn import_history(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
    ) -> napi::Result<Reply> {
        let store = self.inner.clone();
        spawn(env, options.as_ref(), || {
            Ok(tape(move |_| store.import_history()))
        })
    }

    /// Closes every connection (waiting for those in use to be returned). Later operations
    /// reject with code `database`.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close(&self, env: &Env) -> napi::Result<AsyncTask<Job<()>>> {
        let store = self.inner.clone();
        spawn(env, None, || {
            Ok(work(move |_| {
                store.close();
                Ok::<_, CoreError>(())
            }))
        })
    }
}
