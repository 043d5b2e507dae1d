//! JSON Lines exchange: FOVEA's `{"type": …, "data": …}` records, read and written one line at a
//! time.

mod line;
mod read;
mod write;

pub use line::{AnnotationRecord, LineData, LineKind};
pub use read::{LineNumbering, ReadOptions, Reader, Record};
pub use write::{ExportMode, Writer};
