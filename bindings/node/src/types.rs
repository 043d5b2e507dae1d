//! TypeScript interfaces of FOVEA's JSON shapes, declared for `index.d.ts` only.
//!
//! The values themselves cross the boundary through `convert` (tapes), so these structs carry no
//! conversion code (`object_to_js = false, object_from_js = false`); they exist to give
//! TypeScript users named types. Objects may carry more fields than declared: fovea keeps
//! unknown fields.

// Declarations only: never constructed in Rust.
#![allow(dead_code)]

use napi::bindgen_prelude::{Float64Array, Int32Array};
use napi_derive::napi;

/// Box values for `addKeyframe` (other fields are ignored).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoxValues {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Fields to change with `updateKeyframe` (`frameNumber` and `isKeyframe` are ignored: use
/// `moveKeyframe`). Other fields are stored as given.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoxChanges {
    /// New left edge.
    pub x: Option<f64>,
    /// New top edge.
    pub y: Option<f64>,
    /// New width.
    pub width: Option<f64>,
    /// New height.
    pub height: Option<f64>,
    /// New confidence.
    pub confidence: Option<f64>,
    /// New metadata (replaces the old object).
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// Options of `interpolate`, `boxAt` and the `Sequence` constructors.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceOptions {
    /// `default` (fovea's behaviour: parametric segments honoured, `custom` refused) or `fovea`
    /// (reproduce FOVEA exactly). Default: `default`.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
}

/// Curves for `setInterpolation`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SegmentOptions {
    /// Per-property bezier curves (for `bezier`; kept from the existing segment when absent).
    #[napi(ts_type = "ControlPoints")]
    pub control_points: Option<()>,
    /// Per-property functions (for `parametric`; kept from the existing segment when absent).
    #[napi(ts_type = "ParametricSet")]
    pub parametric: Option<()>,
}

/// Every visible frame in columnar form (`toTypedArrays()`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TypedArrays {
    /// Frame numbers, ascending.
    pub frames: Int32Array,
    /// `[x, y, width, height]` per frame, row-major (`4 * frames.length` values).
    pub boxes: Float64Array,
}

// ---------------------------------------------------------------------------------------------
// JSON Lines exchange.

/// Options of every Promise-returning call.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct CallOptions {
    /// Aborts the call: the Promise rejects with an `AbortError` (`code: 'ABORT_ERR'`).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `readJsonl` (and `JsonlReader`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ReadJsonlOptions {
    /// A line that cannot be read: `throw` ends the iteration with its error (default), `skip`
    /// leaves it out, `collect` leaves it out and keeps the error in `errors`. An I/O failure
    /// always ends the iteration.
    #[napi(ts_type = "'throw' | 'skip' | 'collect'")]
    pub on_error: Option<String>,
    /// Longest accepted line in bytes (default 64 MiB); longer lines are `line-too-long` errors
    /// and are never held in memory.
    pub max_line_bytes: Option<f64>,
    /// `physical` (default): every line counts, blank ones included; `nonBlank`: only non-blank
    /// lines count (FOVEA's importer).
    #[napi(ts_type = "'physical' | 'nonBlank'")]
    pub line_numbers: Option<String>,
    /// Aborts the reading: the pending `next()` rejects with an `AbortError`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// One record of a JSON Lines file.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JsonlRecord {
    /// Its line number (see `lineNumbers`).
    pub line: f64,
    /// Its `type`: `ontology`, `entity`, `event`, `time`, `entityCollection`, `eventCollection`,
    /// `timeCollection`, `relation`, `annotation`, `video`, `metadata`, or another kind (kept).
    #[napi(
        js_name = "type",
        ts_type = "'ontology' | 'entity' | 'event' | 'time' | 'entityCollection' | 'eventCollection' | 'timeCollection' | 'relation' | 'annotation' | 'video' | 'metadata' | (string & {})"
    )]
    pub kind: String,
    /// Its `data`, as the core read it (unknown fields kept).
    #[napi(ts_type = "Record<string, unknown>")]
    pub data: (),
}

/// What `JsonlReader.nextBatch` resolves to.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JsonlBatch {
    /// The records read.
    pub records: Vec<JsonlRecord>,
    /// Line errors left out (with `onError: 'collect'`).
    #[napi(ts_type = "Array<Error & FoveaErrorFields>")]
    pub errors: (),
    /// The error that ends the iteration, after `records`.
    #[napi(ts_type = "Error & FoveaErrorFields")]
    pub error: Option<()>,
    /// Whether the file is finished (or closed).
    pub done: bool,
}

/// An error of fovea: an `Error` with the core's `code`, and `path` / `line` when it names a
/// field or a line.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FoveaErrorFields {
    /// The core's stable code (`ERROR_CODES`).
    pub code: String,
    /// The JSON path of the offending value, when there is one.
    pub path: Option<String>,
    /// The line of the JSON Lines file, when located on one.
    pub line: Option<f64>,
}

/// Options of `exportJsonl`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ExportJsonlOptions {
    /// `keyframes` (default: keyframes, segments and visibility) or `interpolated` (every
    /// visible frame; generated boxes are `isKeyframe: false`).
    #[napi(ts_type = "'keyframes' | 'interpolated'")]
    pub mode: Option<String>,
    /// Only annotations typed by these personas (and only these personas in ontology lines).
    pub persona_ids: Option<Vec<String>>,
    /// Only annotations on these videos (and only these video lines).
    pub video_ids: Option<Vec<String>>,
    /// Only annotations of these kinds.
    #[napi(ts_type = "Array<'type' | 'object'>")]
    pub annotation_types: Option<Vec<String>>,
    /// Interpolation profile of the `interpolated` mode.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// The `exportDate` of the metadata line (default: now); fixed dates make exports
    /// reproducible byte for byte.
    pub export_date: Option<String>,
    /// `false`: no final metadata line (default `true`).
    pub metadata: Option<bool>,
    /// Aborts the export (the destination is left untouched).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `validateJsonl`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ValidateJsonlOptions {
    /// `default` (fovea's rules, typed codes) or `fovea` (FOVEA's validator, its exact
    /// messages).
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed (default 1000); the rest are counted.
    pub max_issues: Option<f64>,
    /// Aborts the validation.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `previewImport`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct PreviewImportOptions {
    /// Path of the existing dataset (JSON Lines); absent: an empty store.
    pub existing: Option<String>,
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed (default 1000); the rest are counted.
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// Aborts the preview.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `mergeJsonl`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct MergeJsonlOptions {
    /// Import options: an object or JSON text with FOVEA's names.
    #[napi(ts_type = "ImportOptions | string")]
    pub options: Option<()>,
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed in the preview (default 1000).
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// The `exportDate` of the destination's metadata line (default: now).
    pub export_date: Option<String>,
    /// Aborts the merge (the destination is left untouched).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

// ---------------------------------------------------------------------------------------------
// The database store.

/// Options of `Store.connect`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoreConnectOptions {
    /// The user whose world state and personas imports and exports use (default
    /// `default-user`).
    pub user: Option<String>,
    /// How annotation rows are written: `whole` (default: the whole annotation, as FOVEA's
    /// importer writes it) or `ui` (the bare sequence, as FOVEA's UI writes it).
    #[napi(ts_type = "'whole' | 'ui'")]
    pub layout: Option<String>,
    /// The most connections the store opens (default 8).
    pub max_connections: Option<f64>,
    /// Aborts the connection.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `Store.preview`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StorePreviewOptions {
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed (default 1000); the rest are counted.
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// Aborts the preview.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `Store.import`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoreImportOptions {
    /// Import options: an object or JSON text with FOVEA's names.
    #[napi(ts_type = "ImportOptions | string")]
    pub options: Option<()>,
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed in the preview (default 1000).
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// The importing user, owning imported personas and world objects (default: the store's).
    pub user: Option<String>,
    /// Aborts the import if it has not started yet (a running import finishes, committed or
    /// rolled back, and its outcome is reported).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `JobQueue.open`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobQueueOptions {
    /// The queue (default `object-tracking`).
    pub name: Option<String>,
    /// BullMQ's key prefix (default `bull`).
    pub prefix: Option<String>,
    /// Allow pausing a queue that BullMQ 5 clients share (they lose jobs).
    pub allow_cross_major: Option<bool>,
}

/// Options of `JobQueue.add`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobAddOptions {
    /// The job's id (adding an id that exists adds nothing: `duplicate`).
    pub id: Option<String>,
    /// The job's name (default `track`).
    pub name: Option<String>,
    /// BullMQ's job options (`attempts`, `backoff`, `delay`, `priority`, `removeOnComplete`,
    /// `removeOnFail`, `lifo`, `sizeLimit`, fovea's `timeout`) over FOVEA's defaults.
    #[napi(ts_type = "Record<string, unknown>")]
    pub job_options: Option<()>,
}

/// A status shape.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobShapeOptions {
    /// `canonical` (default: every field), `summary` (FOVEA's `GET /api/jobs/:id`),
    /// `mapped` (its claims and synthesis routes), `frontend` (its `JobStatus`).
    #[napi(ts_type = "'canonical' | 'summary' | 'mapped' | 'frontend'")]
    pub shape: Option<String>,
}

/// Options of `JobQueue.wait`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobWaitOptions {
    /// As in `JobShapeOptions`.
    #[napi(ts_type = "'canonical' | 'summary' | 'mapped' | 'frontend'")]
    pub shape: Option<String>,
    /// Reject with code `timeout` after this many milliseconds.
    pub timeout_ms: Option<f64>,
}

/// Options of `JobQueue.list`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobListOptions {
    /// As in `JobShapeOptions`.
    #[napi(ts_type = "'canonical' | 'summary' | 'mapped' | 'frontend'")]
    pub shape: Option<String>,
    /// Only these states (`waiting`, `prioritized`, `delayed`, `active`, `completed`,
    /// `failed`, `waiting-children`); all when absent.
    pub states: Option<Vec<String>>,
    /// At most this many (default 100).
    pub limit: Option<f64>,
}

/// A job's status in the shape asked for (see `JobShapeOptions`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobStatusView {
    /// The job (canonical, summary and mapped shapes).
    pub job_id: Option<String>,
    /// The job (frontend shape).
    pub id: Option<String>,
    /// BullMQ's raw state (canonical and frontend shapes).
    pub state: Option<String>,
    /// The status: the raw state (summary) or `queued` / `processing` / `completed` /
    /// `failed` (canonical, mapped).
    pub status: Option<String>,
    /// A number 0–100 or JSON.
    #[napi(ts_type = "unknown")]
    pub progress: Option<()>,
    /// The handler's result.
    #[napi(ts_type = "unknown")]
    pub result: Option<()>,
    /// The failure's message.
    pub error: Option<String>,
}

/// Options of `JobQueue.worker`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct WorkerOptions {
    /// Jobs handled at once (default 1).
    pub concurrency: Option<f64>,
    /// Time limit of an attempt for jobs that set none.
    pub timeout_ms: Option<f64>,
    /// How long a claim stays valid without renewal (default 30000; renewed every second).
    pub lease_ms: Option<f64>,
    /// The worker's name (lease tokens start with it).
    pub name: Option<String>,
}

/// Options of `JobQueue.trackingWorker`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TrackingWorkerOptions {
    /// FOVEA's model service (its `POST /api/tracking/track`).
    pub model_service: String,
    /// Save the tracks as annotations in this database (`postgres://…` or `sqlite:…`).
    pub db: Option<String>,
    /// Keyframe tolerance in pixels for jobs that give none (default 1).
    pub tolerance: Option<f64>,
    /// Jobs handled at once (default 1).
    pub concurrency: Option<f64>,
    /// Time limit of an attempt for jobs that set none.
    pub timeout_ms: Option<f64>,
    /// How long a claim stays valid without renewal (default 30000).
    pub lease_ms: Option<f64>,
    /// The worker's name.
    pub name: Option<String>,
    /// What one job may ask for (defaults: see `TrackingLimits`); a job beyond them fails
    /// without retries.
    pub limits: Option<TrackingLimits>,
}

/// What one tracking job may ask for; each absent field keeps its default.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TrackingLimits {
    /// Frames one job tracks (default 1,048,576).
    pub frames: Option<f64>,
    /// `videoWidth × videoHeight` (default 2^26).
    pub video_pixels: Option<f64>,
    /// Objects one job follows (default 1,024).
    pub objects: Option<f64>,
    /// Initial-mask bytes of one request, objects × pixels (default 256 MiB).
    pub mask_bytes: Option<f64>,
}

/// What `SimulatedModelService.start` simulates.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SimulationOptions {
    /// The videos it knows, by id: `{ width, height, frames }`.
    #[napi(ts_type = "Record<string, { width: number; height: number; frames: number }>")]
    pub videos: (),
    /// Pixels per frame each box moves by (default `[1.5, 0.5]`).
    #[napi(ts_type = "[number, number]")]
    pub velocity: Option<()>,
    /// Frame ranges `[first, last]` where every object is lost.
    #[napi(ts_type = "Array<[number, number]>")]
    pub lost: Option<()>,
}
