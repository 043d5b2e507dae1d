//! Persistence for fovea on FOVEA's own tables: Postgres (the schema FOVEA's migrations
//! create, used as it is) or an embedded SQLite file with the same tables, behind one
//! [`Store`].
//!
//! * [`rows`]: how FOVEA's `annotations` rows hold annotations (both layouts of `frames`).
//! * [`Store`]: connect, migrate, read and write annotations, personas and videos; export a
//!   store as JSON Lines (streaming); preview and import JSON Lines (batched, atomic or with
//!   per-row savepoints, with an `import_history` row).
//! * [`BlockingStore`]: the same operations for callers without an async runtime.
//! * [`video_id`]: FOVEA's video ids.

mod args;
mod blocking;
mod candidates;
mod error;
mod export;
mod import;
mod load;
mod ops;
mod parallel;
mod records;
mod references;
pub mod rows;
mod save;
mod schema;
mod sql;
mod sqlite_rows;
mod store;
mod video;

pub use args::{ConnectArgs, StoreImportArgs, StorePreviewArgs};
pub use blocking::BlockingStore;
pub use candidates::{Candidate, CandidateFilter, CandidateState, NewCandidate, Review};
pub use error::{DbError, Result};
pub use export::StoreExport;
pub use import::{HistoryEntry, ImportParams, ImportProgress, Source, StoreImport};
pub use ops::{StoreExportReport, StoredAnnotations, UnreadableRow};
pub use rows::{AnnotationRow, EncodeOptions, Layout, RowError, decode, encode};
pub use schema::SchemaReport;
pub use sql::Backend;
pub use store::{DEFAULT_URL, DEFAULT_USER, Store, StoreOptions, object_persona, sqlite_file};
pub use video::video_id;
