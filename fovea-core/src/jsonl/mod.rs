//! JSON Lines exchange: FOVEA's `{"type": …, "data": …}` records, read and written one line at a
//! time.

mod export;
pub(crate) mod fast;
mod frames;
mod line;
mod open;
mod read;
mod write;

pub use export::{
    EXPORT_VERSION, ExportOptions, ExportStats, Exporter, FileStats, GROUPS, export_stream,
    group_of, stats_reader,
};
pub use frames::{FrameChunks, FrameColumns};
pub use line::{AnnotationRecord, LineData, LineKind};
pub use open::open_file;
pub use read::{LineNumbering, ReadOptions, Reader, Record, par_records};
pub use write::{ExportMode, Writer};
