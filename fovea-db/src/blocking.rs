//! The store for callers without an async runtime — the CLI and the Python and Node bindings:
//! each operation runs on the process's shared runtime (`fovea_runtime::runtime`) and blocks the calling thread until
//! it is done. (Do not call it from inside an async runtime: use [`Store`] there.)

use crate::error::Result;
use crate::export::StoreExport;
use crate::import::{HistoryEntry, ImportParams, Source, StoreImport};
use crate::rows::RowError;
use crate::schema::SchemaReport;
use crate::sql::Backend;
use crate::store::{Store, StoreOptions};
use fovea_core::import::{ImportOptions, Preview, PreviewOptions};
use fovea_core::jsonl::ExportOptions;
use fovea_core::model::{Annotation, Persona, Video};
use fovea_runtime::runtime;
use std::io::Write;

/// A [`Store`] whose operations block.
///
/// ```
/// let store = fovea_db::BlockingStore::connect("sqlite::memory:", Default::default()).unwrap();
/// assert_eq!(store.import_history().unwrap().len(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct BlockingStore {
    store: Store,
}

impl BlockingStore {
    /// Opens the database at `url` (see [`Store::connect`]).
    pub fn connect(url: &str, options: StoreOptions) -> Result<Self> {
        let store = runtime().block_on(Store::connect_with(url, options))?;
        Ok(BlockingStore { store })
    }

    /// The async store behind this one.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// See [`Store::backend`].
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// See [`Store::migrate`].
    pub fn migrate(&self) -> Result<SchemaReport> {
        runtime().block_on(self.store.migrate())
    }

    /// See [`Store::annotation`].
    pub fn annotation(&self, id: &str) -> Result<Option<Annotation>> {
        runtime().block_on(self.store.annotation(id))
    }

    /// See [`Store::annotations`].
    pub fn annotations(&self, video_id: Option<&str>) -> Result<(Vec<Annotation>, Vec<RowError>)> {
        runtime().block_on(self.store.annotations(video_id))
    }

    /// See [`Store::save_annotations`].
    pub fn save_annotations(&self, annotations: &[Annotation]) -> Result<u64> {
        runtime().block_on(self.store.save_annotations(annotations))
    }

    /// See [`Store::delete_annotations`].
    pub fn delete_annotations(&self, ids: &[String]) -> Result<u64> {
        runtime().block_on(self.store.delete_annotations(ids))
    }

    /// See [`Store::save_personas`].
    pub fn save_personas(&self, personas: &[Persona]) -> Result<u64> {
        runtime().block_on(self.store.save_personas(personas))
    }

    /// See [`Store::save_videos`].
    pub fn save_videos(&self, videos: &[Video]) -> Result<u64> {
        runtime().block_on(self.store.save_videos(videos))
    }

    /// See [`Store::export`].
    pub fn export<W: Write>(&self, out: W, opts: ExportOptions) -> Result<StoreExport<W>> {
        runtime().block_on(self.store.export(out, opts))
    }

    /// See [`Store::preview`].
    pub fn preview(&self, source: Source, opts: PreviewOptions) -> Result<Preview> {
        runtime().block_on(self.store.preview(source, opts))
    }

    /// See [`Store::import`].
    pub fn import(
        &self,
        source: Source,
        options: &ImportOptions,
        params: ImportParams<'_>,
    ) -> Result<StoreImport> {
        runtime().block_on(self.store.import(source, options, params))
    }

    /// See [`Store::import_history`].
    pub fn import_history(&self) -> Result<Vec<HistoryEntry>> {
        runtime().block_on(self.store.import_history())
    }

    /// Closes every connection.
    pub fn close(&self) {
        runtime().block_on(self.store.close())
    }
}
