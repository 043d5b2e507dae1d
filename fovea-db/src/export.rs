//! Exporting a store as JSON Lines, streaming: personas and ontologies, the user's world
//! objects, annotations (read from a cursor in batches, in both export modes and with every
//! filter), videos and the final metadata line — all from one consistent snapshot.

use crate::error::Result;
use crate::load::{self, RowFilter};
use crate::rows::{AnnotationRow, RowError, decode};
use crate::store::{Store, TxKind};
use fovea_core::jsonl::{ExportOptions, ExportStats, Exporter, LineData};
use fovea_core::model::{Annotation, OntologyData};
use std::io::Write;

/// Rows decoded and written together (the exporter serialises a batch on all cores).
const BATCH: usize = 1024;

/// What an export from a store wrote and what it could not read.
#[derive(Debug)]
pub struct StoreExport<W> {
    /// The output, flushed.
    pub out: W,
    /// Exactly what was written.
    pub stats: ExportStats,
    /// Annotation rows that hold no readable annotation (reported, not written: one bad row
    /// never fails the export).
    pub unreadable: Vec<RowError>,
    /// World objects of the user that do not read as their kind.
    pub invalid_objects: Vec<fovea_core::Error>,
}

impl Store {
    /// Exports the store into `out` (see [`fovea_core::jsonl::Exporter`] for the order and
    /// the metadata line); annotations come in storage order (for a store filled by one
    /// import, the file's order). Memory stays constant in the number of annotations: rows are read
    /// from a cursor a batch at a time. The persona, video and type filters of `opts` are
    /// also pushed down into SQL.
    pub async fn export<W: Write>(&self, out: W, opts: ExportOptions) -> Result<StoreExport<W>> {
        let mut tx = self.begin(TxKind::Read).await?;
        let mut conn = tx.conn();
        crate::schema::check(&mut conn).await?;
        let mut exporter = Exporter::new(out, opts.clone());

        let personas = load::personas(&mut conn).await?;
        let ontologies = load::ontologies(&mut conn).await?;
        if !personas.is_empty() || !ontologies.is_empty() {
            exporter.record(&LineData::Ontology(OntologyData {
                personas: Some(personas),
                persona_ontologies: Some(ontologies),
                extra: Default::default(),
            }))?;
        }
        let (objects, invalid_objects) = load::world(&mut conn, &self.options().user).await?;
        for object in &objects {
            exporter.record(object)?;
        }

        let sorted = |set: &Option<std::collections::HashSet<String>>| {
            set.as_ref().map(|s| {
                let mut v: Vec<String> = s.iter().cloned().collect();
                v.sort();
                v
            })
        };
        let (personas, videos, types) = (
            sorted(&opts.persona_ids),
            sorted(&opts.video_ids),
            sorted(&opts.annotation_types),
        );
        let filter = RowFilter {
            ids: None,
            videos: videos.as_deref(),
            personas: personas.as_deref(),
            types: types.as_deref(),
            storage_order: true,
        };
        let mut unreadable = Vec::new();
        let sql = load::annotation_query(conn.backend(), &filter);
        let mut batch: Vec<AnnotationRow> = Vec::with_capacity(BATCH);
        load::each_annotation_row(&mut conn, sql, |row| {
            batch.push(row);
            if batch.len() == BATCH {
                write_batch(&mut exporter, &mut batch, &mut unreadable)?;
            }
            Ok(())
        })
        .await?;
        write_batch(&mut exporter, &mut batch, &mut unreadable)?;

        for video in load::videos(&mut conn).await? {
            exporter.record(&LineData::Video(video))?;
        }
        tx.commit().await?;
        let (out, stats) = exporter.finish()?;
        Ok(StoreExport {
            out,
            stats,
            unreadable,
            invalid_objects,
        })
    }
}

/// Decodes a batch of rows on all cores and writes the annotations (the exporter serialises
/// them on all cores too); rows that do not read are set aside.
fn write_batch<W: Write>(
    exporter: &mut Exporter<W>,
    batch: &mut Vec<AnnotationRow>,
    unreadable: &mut Vec<RowError>,
) -> Result<()> {
    let mut annotations = Vec::with_capacity(batch.len());
    for decoded in crate::parallel::map(batch, decode) {
        match decoded {
            Ok(a) => annotations.push(a),
            Err(e) => unreadable.push(e),
        }
    }
    let refs: Vec<&Annotation> = annotations.iter().collect();
    exporter.annotations(&refs)?;
    batch.clear();
    Ok(())
}
