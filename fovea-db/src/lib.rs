//! Persistence for fovea on FOVEA's own tables.
//!
//! This first part is pure: how FOVEA's `annotations` rows hold annotations ([`rows`]: both
//! layouts of the `frames` column, the scalar columns) and how FOVEA names videos
//! ([`video_id`]). The stores (Postgres on FOVEA's schema, SQLite as the embedded default)
//! build on it.

pub mod rows;
mod video;

pub use rows::{AnnotationRow, EncodeOptions, Layout, RowError, decode, encode};
pub use video::video_id;
