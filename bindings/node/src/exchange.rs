//! JSON Lines exchange: reading a file record by record (`JsonlReader`, wrapped as an async
//! iterator by `readJsonl` in `fovea.js`), export, statistics, validation, import preview and
//! merge. Every call returns a Promise and runs on the libuv thread pool (see `task`); results
//! are the core's `Serialize` output (FOVEA's camelCase keys), written to a tape on the pool and
//! turned into plain objects by `convert`.

use crate::convert::{self, Tape};
use crate::error::{self, OrThrow, Res};
use crate::task::{Cancel, Job, Listener, Work, listen, spawn, tape};
use fovea_core::Error as CoreError;
use fovea_core::jsonl::ReadOptions;
use fovea_core::ops::{
    self, ExportArgs, Files, MergeArgs, OnError, PreviewArgs, Read, ReadArgs, RecordBatches,
    RecordOut, ValidateArgs,
};
use napi::bindgen_prelude::{AsyncTask, JsValue, ToNapiValue, TypeName, Unknown};
use napi::{Env, ValueType, check_status, sys};
use napi_derive::napi;
use std::path::PathBuf;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes of input beyond which `nextBatch` stops adding records.
const BATCH_BYTES: u64 = 4 << 20;

pub(crate) fn invalid_type(path: &str, message: impl Into<String>) -> CoreError {
    CoreError::InvalidType {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// A file path argument (a string).
pub(crate) fn path_arg(value: &Unknown, name: &str) -> Res<PathBuf> {
    Ok(PathBuf::from(convert::string(value, name)?))
}

/// `existing`: a path, or `null`/`undefined` for an empty store.
fn optional_path(value: Option<&Unknown>, name: &str) -> Res<Option<PathBuf>> {
    match value {
        Some(v) if !convert::is_nullish(v)? => Ok(Some(path_arg(v, name)?)),
        _ => Ok(None),
    }
}

/// Exports the JSON Lines file `source` to `destination` in dependency order, streaming
/// (constant memory: the source is read once per export group), through a temporary file
/// renamed into place.
///
/// Resolves to the export statistics (`lines` per type, counts, `bytes`, `filteredOut`) and
/// `readErrors`: the lines that could not be read (left out). Options: `mode` (`keyframes`, the
/// default, or `interpolated`: every visible frame), filters `personaIds`, `videoIds`,
/// `annotationTypes` (`type`, `object`), `profile`, `exportDate` (of the final metadata line;
/// default now), `metadata: false` (no metadata line), `signal`.
#[napi(catch_unwind, ts_return_type = "Promise<ExportResult>")]
pub fn export_jsonl(
    env: &Env,
    #[napi(ts_arg_type = "string")] source: Unknown,
    #[napi(ts_arg_type = "string")] destination: Unknown,
    #[napi(ts_arg_type = "ExportJsonlOptions")] options: Option<Unknown>,
) -> napi::Result<AsyncTask<Job<Tape>>> {
    let options = options.as_ref();
    spawn(env, options, || {
        let source = path_arg(&source, "source")?;
        let destination = path_arg(&destination, "destination")?;
        let opts = convert::options::<ExportArgs>(options)?.options()?;
        Ok(tape(move |files| {
            ops::export_file(files, &source, &destination, opts)
        }))
    })
}

/// What a JSON Lines file holds (lines per type, annotations, keyframes, the frames an
/// interpolated export would write, unreadable lines, bytes), streaming. Options: `signal`.
#[napi(catch_unwind, ts_return_type = "Promise<FileStats>")]
pub fn stats_jsonl(
    env: &Env,
    #[napi(ts_arg_type = "string")] path: Unknown,
    #[napi(ts_arg_type = "CallOptions")] options: Option<Unknown>,
) -> napi::Result<AsyncTask<Job<Tape>>> {
    spawn(env, options.as_ref(), || {
        let path = path_arg(&path, "path")?;
        Ok(tape(move |files| ops::stats_file(files, &path)))
    })
}

/// Validates every record of a JSON Lines file, streaming. Options: `profile` (`default`:
/// fovea's rules and codes; `fovea`: FOVEA's validator and its exact messages), `maxIssues`
/// (issues listed, default 1000; the rest are counted in `truncated`), `signal`.
#[napi(catch_unwind, ts_return_type = "Promise<ValidationReport>")]
pub fn validate_jsonl(
    env: &Env,
    #[napi(ts_arg_type = "string")] path: Unknown,
    #[napi(ts_arg_type = "ValidateJsonlOptions")] options: Option<Unknown>,
) -> napi::Result<AsyncTask<Job<Tape>>> {
    let options = options.as_ref();
    spawn(env, options, || {
        let path = path_arg(&path, "path")?;
        let opts = convert::options::<ValidateArgs>(options)?.options()?;
        Ok(tape(move |files| ops::validate_file(files, &path, &opts)))
    })
}

/// Previews an import of the JSON Lines file `path`: counts, validation issues and conflicts
/// against `options.existing` (the path of a JSON Lines dataset; absent: an empty store), with
/// boxes checked against the sizes of its videos (as `mergeJsonl` does). Nothing is written.
/// Options: `existing`, `profile`, `maxIssues`, `memoryBudget` (bytes the in-file tables may
/// hold before they spill to temporary files), `spillDir` (where; it must exist), `signal`.
#[napi(catch_unwind, ts_return_type = "Promise<ImportPreview>")]
pub fn preview_import(
    env: &Env,
    #[napi(ts_arg_type = "string")] path: Unknown,
    #[napi(ts_arg_type = "PreviewImportOptions")] options: Option<Unknown>,
) -> napi::Result<AsyncTask<Job<Tape>>> {
    let options = options.as_ref();
    spawn(env, options, || {
        let path = path_arg(&path, "path")?;
        let mut args = convert::options::<PreviewArgs>(options)?;
        let existing = args.existing.take();
        let opts = args.options()?;
        Ok(tape(move |files| {
            ops::preview_file(files, &path, existing.as_deref(), opts)
        }))
    })
}

/// Imports the JSON Lines file `incoming` into the dataset `existing` (a JSON Lines file, or
/// `null` for an empty store) and, when the import is committed, writes the result to
/// `destination` (keyframes mode, through a temporary file renamed into place; it may be
/// `existing` itself). A failed atomic import writes nothing (`stats: null`).
///
/// Options: `options` (FOVEA's `ImportOptions`, an object or JSON text, deep-merged over
/// FOVEA's defaults; unknown keys reject with `invalid-option`), `profile` (validation),
/// `maxIssues`, `memoryBudget`, `spillDir` (as `previewImport` takes them; the profile also
/// writes the result), `exportDate` (of the metadata line), `signal`. The existing file must read without errors (a merge would
/// drop its unreadable lines).
#[napi(catch_unwind, ts_return_type = "Promise<MergeResult>")]
pub fn merge_jsonl(
    env: &Env,
    #[napi(ts_arg_type = "string | null")] existing: Option<Unknown>,
    #[napi(ts_arg_type = "string")] incoming: Unknown,
    #[napi(ts_arg_type = "string")] destination: Unknown,
    #[napi(ts_arg_type = "MergeJsonlOptions")] options: Option<Unknown>,
) -> napi::Result<AsyncTask<Job<Tape>>> {
    let options = options.as_ref();
    spawn(env, options, || {
        let existing = optional_path(existing.as_ref(), "existing")?;
        let incoming = path_arg(&incoming, "incoming")?;
        let destination = path_arg(&destination, "destination")?;
        let opts = convert::options::<MergeArgs>(options)?.options()?;
        Ok(tape(move |files| {
            ops::merge_files(files, existing.as_deref(), &incoming, &destination, &opts)
        }))
    })
}

/// The state of a reader, shared with the batch running on the pool.
struct ReaderState {
    path: PathBuf,
    opts: ReadOptions,
    batches: Option<RecordBatches>,
    started: bool,
}

/// Up to `max` records read from a file, `{line, type, data}`, with the line errors collected
/// and the error that ends the iteration, if any.
pub struct Batch {
    records: Tape,
    errors: Vec<CoreError>,
    error: Option<CoreError>,
    done: bool,
}

impl TypeName for Batch {
    fn type_name() -> &'static str {
        "JsonlBatch"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Batch {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let wrapped = Env::from_raw(env);
        let mut out = ptr::null_mut();
        // SAFETY: `env` is the current callback's environment; every value is created in it
        // and stored into `out` before the callback returns.
        unsafe {
            check_status!(sys::napi_create_object(env, &mut out))?;
            let records = val.records.to_js(env)?;
            check_status!(sys::napi_set_named_property(
                env,
                out,
                c"records".as_ptr(),
                records
            ))?;
            let mut errors = ptr::null_mut();
            check_status!(sys::napi_create_array_with_length(
                env,
                val.errors.len(),
                &mut errors
            ))?;
            for (i, e) in val.errors.iter().enumerate() {
                let obj = error::error_object(&wrapped, e)?;
                check_status!(sys::napi_set_element(
                    env,
                    errors,
                    i as u32,
                    obj.value().value
                ))?;
            }
            check_status!(sys::napi_set_named_property(
                env,
                out,
                c"errors".as_ptr(),
                errors
            ))?;
            if let Some(e) = &val.error {
                let obj = error::error_object(&wrapped, e)?;
                check_status!(sys::napi_set_named_property(
                    env,
                    out,
                    c"error".as_ptr(),
                    obj.value().value
                ))?;
            }
            let done = ToNapiValue::to_napi_value(env, val.done)?;
            check_status!(sys::napi_set_named_property(
                env,
                out,
                c"done".as_ptr(),
                done
            ))?;
        }
        Ok(out)
    }
}

/// Reads the next batch: at most `max` records, or about [`BATCH_BYTES`] of input.
fn read_batch(
    state: &mut ReaderState,
    files: &Files,
    closed: &AtomicBool,
    on_error: OnError,
    max: usize,
) -> Batch {
    let mut batch = Batch {
        records: Tape::list(),
        errors: Vec::new(),
        error: None,
        done: false,
    };
    if !state.started {
        state.started = true;
        match RecordBatches::open(files, &state.path, state.opts, on_error) {
            Ok(batches) => state.batches = Some(batches),
            Err(e) => batch.error = Some(e),
        }
    }
    if let Some(batches) = state.batches.as_mut() {
        let (records, errors) = (&mut batch.records, &mut batch.errors);
        batch.error = batches.next_batch(max, BATCH_BYTES, |read| match read {
            Read::Record(record) => records.push(&RecordOut::of(&record)),
            Read::Skipped(e) => {
                errors.push(e);
                Ok(())
            }
        });
        if batches.is_done() || closed.load(Ordering::Relaxed) {
            state.batches = None;
        }
    }
    batch.done = state.batches.is_none() && state.started;
    batch
}

/// A JSON Lines file read record by record on the libuv thread pool; the engine of
/// `readJsonl` (use that: it adds `for await` and the error modes' bookkeeping).
///
/// The file is opened by the first `nextBatch` (an unreadable file rejects there, code `io`)
/// and closed at the end, on an I/O failure or by `close()`. Options: `onError` (`throw`,
/// `skip`, `collect`), `maxLineBytes` (longest accepted line, default 64 MiB; longer lines are
/// `line-too-long` errors), `lineNumbers` (`physical`, the default, counts every line;
/// `nonBlank` counts non-blank lines as FOVEA's importer does), `signal`.
#[napi]
pub struct JsonlReader {
    state: Arc<Mutex<ReaderState>>,
    files: Files,
    cancel: Cancel,
    closed: Arc<AtomicBool>,
    on_error: OnError,
    listener: Option<Listener>,
}

#[napi]
impl JsonlReader {
    /// A reader of the file at `path` (nothing is read until `nextBatch`).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: &Env,
        #[napi(ts_arg_type = "string")] path: Unknown,
        #[napi(ts_arg_type = "ReadJsonlOptions")] options: Option<Unknown>,
    ) -> napi::Result<Self> {
        let options = options.as_ref();
        (|| {
            let path = path_arg(&path, "path")?;
            let (on_error, opts) = convert::options::<ReadArgs>(options)?.options()?;
            let cancel = Cancel::default();
            let listener = listen(env, options, &cancel)?;
            Ok(JsonlReader {
                state: Arc::new(Mutex::new(ReaderState {
                    path,
                    opts,
                    batches: None,
                    started: false,
                })),
                files: cancel.files(),
                cancel,
                closed: Arc::default(),
                on_error,
                listener,
            })
        })()
        .or_throw(env)
    }

    /// How lines that cannot be read are handled: `throw`, `skip` or `collect`.
    #[napi(getter, catch_unwind, ts_return_type = "'throw' | 'skip' | 'collect'")]
    pub fn on_error(&self) -> &'static str {
        match self.on_error {
            OnError::Raise => "throw",
            OnError::Skip => "skip",
            OnError::Collect => "collect",
        }
    }

    /// Reads up to `max` records (fewer when their JSON passes 4 MiB). Resolves to `records`
    /// (`{ line, type, data }`), `errors` (line errors, with `onError: 'collect'`), `error`
    /// (the error that ends the iteration: the first line error with `onError: 'throw'`, or an
    /// I/O failure) and `done` (the file is finished or closed). One call at a time.
    #[napi(catch_unwind, ts_return_type = "Promise<JsonlBatch>")]
    pub fn next_batch(&self, max: u32) -> AsyncTask<Job<Batch>> {
        let state = Arc::clone(&self.state);
        let files = self.files.clone();
        let closed = Arc::clone(&self.closed);
        let on_error = self.on_error;
        let max = max.max(1) as usize;
        let work: Work<Batch> = Box::new(move |_| {
            // I/O failures and aborts arrive as line errors of the reader, so the batch reports
            // them itself (an abort then rejects the call).
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            Ok(read_batch(&mut state, &files, &closed, on_error, max))
        });
        AsyncTask::new(Job::with_cancel(work, self.cancel.clone()))
    }

    /// Closes the file (a batch in flight finishes first) and stops listening to the signal.
    /// Later batches are empty and `done`.
    #[napi(catch_unwind)]
    pub fn close(&mut self, env: &Env) {
        self.closed.store(true, Ordering::Relaxed);
        if let Ok(mut state) = self.state.try_lock() {
            state.batches = None;
            state.started = true;
        }
        if let Some(listener) = self.listener.take() {
            listener.remove(env);
        }
    }
}
