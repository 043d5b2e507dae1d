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

// ---------------------------------------------------------------------------------------------
// The database store.

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
