//! # fovea-node
//!
//! The Node binding of fovea (napi-rs): keyframe interpolation and editing of FOVEA's
//! bounding-box sequences, backed by `fovea-core`. The binding only converts values, maps
//! errors and hands buffers over; all behaviour is the core's.
//!
//! * `interpolate(seq, options?)`, `boxAt(seq, frame, options?)` — one-shot evaluation of a
//!   plain object, JSON text or `Sequence`.
//! * `Sequence` — a sequence held natively: evaluation (cached compiled form), columnar output
//!   as typed arrays without copying, and in-place edits.
//! * `ERROR_CODES` — every `code` a thrown `Error` can carry.
//! * JSON Lines exchange (`exchange`): `exportJsonl`, `statsJsonl`, `validateJsonl`,
//!   `previewImport`, `mergeJsonl` and the `JsonlReader` behind `readJsonl` (`fovea.js`) —
//!   Promise-returning, run on the libuv thread pool, cancellable by an `AbortSignal` (`task`).
//! * `Store` (`store`): FOVEA's tables in Postgres or SQLite (`fovea-db`) — `Store.connect`,
//!   migrate, read, save and delete annotations, export, preview and import JSON Lines, the
//!   import history — every operation Promise-returning, on the same thread pool.
//! * Tracking jobs (`jobs`): `JobQueue` (in-process or BullMQ on Redis), the native side of
//!   workers whose handler is a JavaScript function (`fovea.js` runs the handler loop), and
//!   the track converters and reducer (`track`).
//!
//! Every failure throws (or rejects with) a JavaScript `Error` whose `code` is the core's stable
//! code (`frame-not-integer`, `keyframe-exists`, …), whose `message` is the core's message, with
//! a `path` property (e.g. `boxes[0].x`) when the error names a field and a `line` property when
//! it is located on a line of a JSON Lines file.

mod convert;
mod error;
mod exchange;
mod jobs;
mod sequence;
mod store;
mod task;
mod track;
mod types;

use convert::{Frames, Js};
use error::OrThrow;
use napi::Env;
use napi::bindgen_prelude::{Either, Unknown};
use napi_derive::napi;
use sequence::{Compiled, Source, load, profile_option};

pub use exchange::{
    JsonlReader, export_jsonl, merge_jsonl, preview_import, stats_jsonl, validate_jsonl,
};
pub use jobs::{JOB_ERROR_CODES, Job, JobQueue, JobWorker, SimulatedModelService};
pub use store::Store;
pub use track::{
    check_tracking_job, decimate_track, reduce_track, rle_bbox, track_to_sequence,
    tracks_from_service,
};

const CODE_COUNT: usize = fovea_core::codes::REGISTRY.len();

/// Every `code` a thrown `Error` can carry: the registry of codes of the core, the store, the
/// job queue and the hosts (`timeout`). An aborted call rejects as Node's own APIs do
/// (`AbortError`, `code: 'ABORT_ERR'`).
#[napi]
pub const ERROR_CODES: [&str; CODE_COUNT] = {
    let mut codes = [""; CODE_COUNT];
    let mut i = 0;
    while i < CODE_COUNT {
        codes[i] = fovea_core::codes::REGISTRY[i].code;
        i += 1;
    }
    codes
};

/// Every visible frame of a sequence, ascending, in FOVEA's box shape: keyframes with all their
/// fields (`isKeyframe: true`), interpolated frames as `{x, y, width, height, frameNumber,
/// isKeyframe: false}`.
///
/// `seq` is a `Sequence`, or a plain object or JSON text holding a sequence, an annotation or an
/// annotation JSON Lines record.
#[napi(catch_unwind, ts_return_type = "BoundingBox[]")]
pub fn interpolate<'a>(
    env: &Env,
    #[napi(ts_arg_type = "Sequence | SequenceData | AnnotationData | AnnotationLine | string")]
    seq: Source<'a>,
    #[napi(ts_arg_type = "SequenceOptions")] options: Option<Unknown>,
) -> napi::Result<Frames<Compiled<'a>>> {
    (|| {
        let profile = profile_option(options.as_ref())?;
        let compiled = match seq {
            Either::A(s) => s.compiled_as(profile)?,
            Either::B(data) => Compiled::Owned(load(&data)?.compile(
                &fovea_core::InterpOptions::with_profile(profile.unwrap_or_default()),
            )?),
        };
        compiled.check_eager_limit(fovea_core::limits::EAGER_FRAMES)?;
        Ok(Frames(compiled))
    })()
    .or_throw(env)
}

/// The box at `frame` in FOVEA's shape, or `null` outside the keyframe span and on hidden
/// frames. `seq` as for `interpolate`.
#[napi(catch_unwind, ts_return_type = "BoundingBox | null")]
pub fn box_at(
    env: &Env,
    #[napi(ts_arg_type = "Sequence | SequenceData | AnnotationData | AnnotationLine | string")]
    seq: Source,
    #[napi(ts_arg_type = "number")] frame: Unknown,
    #[napi(ts_arg_type = "SequenceOptions")] options: Option<Unknown>,
) -> napi::Result<Option<Js<fovea_core::BoundingBox>>> {
    (|| {
        let profile = profile_option(options.as_ref())?;
        let frame = convert::frame(&frame, "frame")?;
        let found = match seq {
            Either::A(s) => s.compiled_as(profile)?.box_at(frame),
            Either::B(data) => load(&data)?
                .compile(&fovea_core::InterpOptions::with_profile(
                    profile.unwrap_or_default(),
                ))?
                .box_at(frame),
        };
        Ok(found.map(Js))
    })()
    .or_throw(env)
}
