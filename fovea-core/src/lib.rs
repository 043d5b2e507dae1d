//! # fovea-core
//!
//! The pure-Rust core of fovea, a library that does the data work of a video-annotation tool
//! and speaks FOVEA's data exactly: its JSON shapes, its interpolation formulas, its quirks
//! where existing data depends on them — and fixes its defects elsewhere.
//!
//! * [`model`] — serde types of FOVEA's data model, unknown fields preserved, typed errors.
//! * [`interp`] — compile a keyframe sequence once; evaluate every frame into columnar buffers
//!   or FOVEA-shaped boxes, or any single frame in O(log K).
//! * [`edit`] — add, remove, update and move keyframes; set interpolation; edit visibility.
//! * [`host`] — reading the model from a binding's host values (what their deserializers report).
//! * [`json`] — JSON output with JavaScript number formatting.
//! * [`jsonl`] — streaming JSON Lines reader and writer, export modes.
//! * [`import`] — import preview, conflict resolution, keyframe merge, the in-memory dataset.
//! * [`time`] — ISO timestamps as FOVEA writes them.
//! * [`validate`] — validation with typed codes; default and FOVEA profiles.
//! * [`synth`] — synthetic sequences for demos, benchmarks and tests.
//! * [`plot`] — what a picture of a sequence shows (path, keyframes, modes, hidden ranges).
//! * [`watch`] — readers that report progress to a hook, which can also stop them.
//! * [`staged`] — output files that appear whole or not at all (temporary file, then rename).
//!
//! The core has no async, network or database code; it reads and writes through `std::io`,
//! and touches the filesystem only in [`staged`], which every front end shares.
//!
//! ```
//! use fovea_core::interp::InterpOptions;
//! use fovea_core::model::BoundingBoxSequence;
//!
//! let seq = BoundingBoxSequence::from_json(r#"{
//!   "boxes": [
//!     {"x": 0, "y": 0, "width": 100, "height": 100, "frameNumber": 0, "isKeyframe": true},
//!     {"x": 100, "y": 100, "width": 200, "height": 200, "frameNumber": 10, "isKeyframe": true}
//!   ],
//!   "interpolationSegments": [{"startFrame": 0, "endFrame": 10, "type": "ease-in"}],
//!   "visibilityRanges": []
//! }"#)?;
//! let frames = seq.compile(&InterpOptions::default())?;
//! assert_eq!(frames.values_at(5), Some([25.0, 25.0, 125.0, 125.0]));
//! # Ok::<(), fovea_core::Error>(())
//! ```

pub mod codes;
pub mod edit;
pub mod error;
mod frame;
pub mod host;
pub mod import;
pub mod interp;
pub mod json;
pub mod jsonl;
pub mod limits;
pub mod model;
pub mod ops;
pub mod plot;
mod serde_errors;
pub mod staged;
pub mod synth;
pub mod time;
pub mod track;
pub mod validate;
pub mod watch;

pub use error::{Error, Refusal, Result};
pub use interp::{CompiledSequence, InterpOptions, Profile};
pub use model::{BoundingBox, BoundingBoxSequence, Frame, KeyframePolicy};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
