//! The store's workflows as the CLI and the bindings run them, each with one serializable
//! report (FOVEA's camelCase keys), so that every front end returns the same shape.

use crate::blocking::BlockingStore;
use crate::rows::RowError;
use fovea_core::jsonl::{ExportOptions, ExportStats};
use fovea_core::model::Annotation;
use fovea_core::ops::{Files, LineError};
use serde::Serialize;
use std::path::Path;

/// A row that holds no readable annotation: reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnreadableRow {
    /// The row's id.
    pub id: String,
    /// Why (`unreadable-row`, `invalid-row`, `missing-persona`).
    pub code: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl From<&RowError> for UnreadableRow {
    fn from(e: &RowError) -> Self {
        UnreadableRow {
            id: e.id().to_owned(),
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// The annotations of a video (or of every video), and the rows that hold none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredAnnotations {
    /// The readable annotations.
    pub annotations: Vec<Annotation>,
    /// The rows left out.
    pub unreadable: Vec<UnreadableRow>,
}

/// What an export of a store into a file wrote and left out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "StoreExportResult")
)]
#[serde(rename_all = "camelCase")]
pub struct StoreExportReport {
    /// Exactly what was written.
    #[serde(flatten)]
    pub stats: ExportStats,
    /// Annotation rows that hold no readable annotation (not written).
    pub unreadable: Vec<UnreadableRow>,
    /// World objects of the user that do not read as their kind (not written).
    pub invalid_objects: Vec<LineError>,
}

impl StoreExportReport {
    /// Whether everything in the store was written.
    pub fn complete(&self) -> bool {
        self.unreadable.is_empty() && self.invalid_objects.is_empty()
    }
}

impl BlockingStore {
    /// The annotations on `video_id` (all when `None`), with the rows that hold none.
    pub fn annotations_report(&self, video_id: Option<&str>) -> crate::Result<StoredAnnotations> {
        let (annotations, bad) = self.annotations(video_id)?;
        Ok(StoredAnnotations {
            annotations,
            unreadable: bad.iter().map(UnreadableRow::from).collect(),
        })
    }

    /// Exports the store as JSON Lines into `dest` through `files` (a temporary file renamed
    /// into place when complete; progress and cancellation as `files` says), streaming.
    pub fn export_file(
        &self,
        files: &Files,
        dest: &Path,
        opts: ExportOptions,
    ) -> fovea_core::Result<StoreExportReport> {
        files.write_atomically(dest, |out| {
            let done = self.export(out, opts).map_err(crate::DbError::into_core)?;
            let report = StoreExportReport {
                stats: done.stats,
                unreadable: done.unreadable.iter().map(UnreadableRow::from).collect(),
                invalid_objects: done.invalid_objects.iter().map(LineError::of).collect(),
            };
            Ok((done.out, report))
        })
    }
}
