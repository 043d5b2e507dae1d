//! Frame tables for Arrow consumers: `Sequence.frames()` and `frames_jsonl(path)` return a
//! `FrameTable`, which hands its rows over through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`), so `pyarrow.table(t)`, `polars.DataFrame(t)` and
//! `pandas.DataFrame(pyarrow.table(t))` take the columns the core built, without copying them
//! in Python. A file's table is read a chunk of annotations at a time while the consumer
//! pulls record batches: memory is bounded by a chunk.

use crate::errors::to_pyerr;
use crate::exchange::{Fail, export_options, open_file, path_arg};
use crate::packages::require;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    RecordBatchReader, StringArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use fovea_core::interp::CompiledSequence;
use fovea_core::jsonl::{ExportMode, ExportOptions, FrameChunks, FrameColumns};
use fovea_core::ops::BUFFER;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

/// Rows per record batch of a file's table (whole annotations; a batch may exceed it by one
/// annotation's frames).
const CHUNK_ROWS: usize = 1 << 16;

/// The columns of a table: `annotationId` and `videoId` (dictionary-encoded) for a file's
/// table, then `frame`, `x`, `y`, `width`, `height`, `isKeyframe`.
fn schema(with_ids: bool) -> SchemaRef {
    let dict = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let mut fields = Vec::with_capacity(8);
    if with_ids {
        fields.push(Field::new("annotationId", dict(), false));
        fields.push(Field::new("videoId", dict(), false));
    }
    fields.push(Field::new("frame", DataType::Int64, false));
    for name in ["x", "y", "width", "height"] {
        fields.push(Field::new(name, DataType::Float64, false));
    }
    fields.push(Field::new("isKeyframe", DataType::Boolean, false));
    Arc::new(Schema::new(fields))
}

/// A record batch of `cols`, taking over its vectors (no copy of the numeric columns).
fn batch(cols: FrameColumns, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(8);
    if schema.fields().len() == 8 {
        let ids = Arc::new(StringArray::from(cols.ids));
        let videos = Arc::new(StringArray::from(cols.video_ids));
        let annotation = Int32Array::from(cols.annotation);
        let video = Int32Array::from(cols.video);
        arrays.push(Arc::new(DictionaryArray::<Int32Type>::try_new(
            annotation, ids,
        )?));
        arrays.push(Arc::new(DictionaryArray::<Int32Type>::try_new(
            video, videos,
        )?));
    }
    arrays.push(Arc::new(Int64Array::from(cols.frame)));
    for column in [cols.x, cols.y, cols.width, cols.height] {
        arrays.push(Arc::new(Float64Array::from(column)));
    }
    arrays.push(Arc::new(BooleanArray::from(cols.keyframe)));
    RecordBatch::try_new(schema.clone(), arrays)
}

/// Record batches of a file's table, read as they are pulled.
struct FileBatches {
    chunks: FrameChunks<BufReader<File>>,
    schema: SchemaRef,
}

impl Iterator for FileBatches {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let chunk = self.chunks.next()?;
        Some(
            chunk
                .map_err(|e| ArrowError::ExternalError(Box::new(e)))
                .and_then(|cols| batch(cols, &self.schema)),
        )
    }
}

impl RecordBatchReader for FileBatches {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A one-batch reader (a sequence's table).
struct OneBatch {
    batch: Option<Result<RecordBatch, ArrowError>>,
    schema: SchemaRef,
}

impl Iterator for OneBatch {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.batch.take()
    }
}

impl RecordBatchReader for OneBatch {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Where a table's rows come from.
enum Source {
    /// One compiled sequence.
    Sequence(Arc<CompiledSequence>),
    /// The annotations of a JSON Lines file kept by the filters.
    File { path: PathBuf, opts: ExportOptions },
}

/// A table of boxes: one row per frame (every visible frame, or keyframes only), with columns
/// `frame`, `x`, `y`, `width`, `height`, `isKeyframe` — and, for a file's table, first
/// `annotationId` and `videoId`.
///
/// An Arrow stream (`__arrow_c_stream__`): `pyarrow.table(t)`, `polars.DataFrame(t)` and
/// `duckdb` read it directly; `to_arrow()` and `to_pandas()` do it for you. Each read walks
/// the source again (a file's table rereads the file), so a table can be read many times.
#[pyclass(module = "fovea._fovea", name = "FrameTable", frozen)]
pub struct FrameTable {
    source: Source,
    mode: ExportMode,
}

impl FrameTable {
    /// The table of one compiled sequence.
    pub(crate) fn of_sequence(compiled: Arc<CompiledSequence>, mode: &str) -> PyResult<Self> {
        Ok(FrameTable {
            source: Source::Sequence(compiled),
            mode: ExportMode::parse(mode).map_err(to_pyerr)?,
        })
    }

    fn reader(&self, py: Python<'_>) -> PyResult<Box<dyn RecordBatchReader + Send>> {
        match &self.source {
            Source::Sequence(compiled) => {
                let schema = schema(false);
                let mut cols = FrameColumns::default();
                let mode = self.mode;
                py.detach(|| cols.push_sequence(compiled, mode, 0, 0));
                Ok(Box::new(OneBatch {
                    batch: Some(batch(cols, &schema)),
                    schema,
                }))
            }
            Source::File { path, opts } => {
                let file = py
                    .detach(|| open_file(path))
                    .map_err(|e: Fail| e.into_pyerr())?;
                Ok(Box::new(FileBatches {
                    chunks: FrameChunks::new(
                        BufReader::with_capacity(BUFFER, file),
                        opts.clone(),
                        CHUNK_ROWS,
                    ),
                    schema: schema(true),
                }))
            }
        }
    }
}

#[pymethods]
impl FrameTable {
    /// The Arrow PyCapsule stream of the rows (`requested_schema` is not supported: the
    /// columns are always those above).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = FFI_ArrowArrayStream::new(self.reader(py)?);
        // The consumer moves the stream out (leaving it released); the capsule drops what is left.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// "keyframes" or "interpolated".
    #[getter]
    fn mode(&self) -> &'static str {
        match self.mode {
            ExportMode::Keyframes => "keyframes",
            ExportMode::Interpolated => "interpolated",
        }
    }

    /// The rows as a `pyarrow.Table` (needs `pip install fovea[arrow]`).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pa = require(slf.py(), "pyarrow", "arrow", "FrameTable.to_arrow()")?;
        pa.call_method1("table", (slf,))
    }

    /// The rows as a `pandas.DataFrame` (needs `pip install fovea[pandas]`); the id columns
    /// become categoricals.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        require(py, "pandas", "pandas", "FrameTable.to_pandas()")?;
        let pa = require(py, "pyarrow", "pandas", "FrameTable.to_pandas()")?;
        pa.call_method1("table", (slf,))?.call_method0("to_pandas")
    }

    fn __repr__(&self) -> String {
        match &self.source {
            Source::Sequence(c) => format!(
                "FrameTable(sequence of {} keyframes, mode={:?})",
                c.keyframes().len(),
                self.mode()
            ),
            Source::File { path, .. } => {
                format!(
                    "FrameTable({:?}, mode={:?})",
                    path.display().to_string(),
                    self.mode()
                )
            }
        }
    }
}

/// The boxes of a JSON Lines file's annotations as a `FrameTable`: keyframes only (`mode=
/// "keyframes"`, the default) or every visible frame (`"interpolated"`), with the export
/// filters (`persona_ids`, `video_ids`, `annotation_types`). Nothing is read until the table
/// is; an unreadable line then raises its error (naming the line) from the consumer.
#[pyfunction]
#[pyo3(signature = (path, *, mode = "keyframes", persona_ids = None, video_ids = None, annotation_types = None, profile = "default"))]
pub fn frames_jsonl(
    path: &Bound<'_, PyAny>,
    mode: &str,
    persona_ids: Option<&Bound<'_, PyAny>>,
    video_ids: Option<&Bound<'_, PyAny>>,
    annotation_types: Option<&Bound<'_, PyAny>>,
    profile: &str,
) -> PyResult<FrameTable> {
    let opts = export_options(
        mode,
        persona_ids,
        video_ids,
        annotation_types,
        profile,
        None,
        false,
    )?;
    Ok(FrameTable {
        mode: opts.mode,
        source: Source::File {
            path: path_arg(path, "path")?,
            opts,
        },
    })
}
