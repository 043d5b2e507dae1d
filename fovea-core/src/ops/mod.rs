//! The file workflows every front end offers — export, stats, validate, preview, merge, and
//! reading records in batches with an error policy ([`RecordBatches`]) — each
//! one function with one options type and one serde report, so the CLI, Python and Node only
//! convert arguments, follow their host's conventions and map errors.
//!
//! Each takes the operation's [`Files`]: progress goes to its hook, a stop flag ends it within
//! one buffer, and a file that fails to read fails the operation with the I/O error (never a
//! count of unreadable lines that hides it).

mod args;
mod files;
mod records;

pub use args::{
    ExportArgs, ImportOptionsArg, MergeArgs, PreviewArgs, ReadArgs, SegmentArgs, SequenceArgs,
    ValidateArgs, preview_options,
};
pub use files::{BUFFER, FileReader, FileWriter, Files, Tracked};
pub use records::{OnError, Read, RecordBatches, RecordOut, line_numbering};

use crate::error::{Error, Result};
use crate::import::{Dataset, ImportOptions, ImportResult, Preview, PreviewOptions, Snapshot};
use crate::interp::InterpOptions;
use crate::jsonl::{ExportOptions, ExportStats, FileStats, ReadOptions};
use crate::validate::{Report, ValidateOptions};
use serde::Serialize;
use std::path::Path;

/// Issues a report lists unless told otherwise (the rest are counted).
pub const DEFAULT_MAX_ISSUES: usize = 1000;

/// A line (or row) that could not be read, as reports list it: the message without its line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineError {
    /// The 1-based line, when the error is located on one.
    pub line: Option<usize>,
    /// The error's code.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
    /// The JSON path inside the line, when there is one.
    pub path: Option<String>,
}

impl LineError {
    /// The report entry of `e`.
    pub fn of(e: &Error) -> Self {
        let message = match e {
            Error::AtLine { error, .. } => error.to_string(),
            other => other.to_string(),
        };
        LineError {
            line: e.line(),
            code: e.code(),
            message,
            path: e.path().map(str::to_owned),
        }
    }
}

/// What [`export_file`] reports: the export statistics and the source lines left out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ExportResult")
)]
pub struct ExportReport {
    /// The statistics of what was written.
    #[serde(flatten)]
    pub stats: ExportStats,
    /// Source lines that could not be read or exported, in line order.
    #[serde(rename = "readErrors")]
    pub read_errors: Vec<LineError>,
}

/// Exports (re-exports) the JSON Lines file `source` into `dest` in dependency order, in
/// constant memory: the source is read once per export group (see
/// [`crate::jsonl::export_stream`]). `dest` appears only when the export is complete.
pub fn export_file(
    files: &Files,
    source: &Path,
    dest: &Path,
    opts: ExportOptions,
) -> Result<ExportReport> {
    let (stats, errors) = files.write_atomically(dest, |out| {
        let open = || files.open(source, ReadOptions::default());
        let (out, stats, errors) = crate::jsonl::export_stream(open, out, opts)?;
        Ok((out, (stats, errors)))
    })?;
    Ok(ExportReport {
        stats,
        read_errors: errors.iter().map(LineError::of).collect(),
    })
}

/// Bytes an export of `source` reads (once per export group), for progress totals.
pub fn export_bytes(source: &Path) -> u64 {
    Files::size(source) * crate::jsonl::GROUPS as u64
}

/// What the JSON Lines file at `path` holds (see [`crate::jsonl::stats_reader`]).
pub fn stats_file(files: &Files, path: &Path) -> Result<FileStats> {
    let reader = files.open(path, ReadOptions::default())?;
    let stats = crate::jsonl::stats_reader(reader, Default::default())?;
    files.check()?;
    Ok(stats)
}

/// How [`validate_file`] checks.
#[derive(Debug, Clone)]
pub struct ValidateFileOptions {
    /// The rules (profile, keyframe policy).
    pub validate: ValidateOptions,
    /// Issues listed; the rest are counted (`truncated`).
    pub max_issues: usize,
}

impl Default for ValidateFileOptions {
    fn default() -> Self {
        ValidateFileOptions {
            validate: ValidateOptions::default(),
            max_issues: DEFAULT_MAX_ISSUES,
        }
    }
}

/// Validates every record of the JSON Lines file at `path`; an I/O failure fails the
/// operation instead of counting as an invalid line.
pub fn validate_file(files: &Files, path: &Path, opts: &ValidateFileOptions) -> Result<Report> {
    let reader = files.open(path, ReadOptions::default())?;
    let report = crate::validate::validate_reader(
        reader,
        &opts.validate,
        &Default::default(),
        opts.max_issues,
    );
    files.check()?;
    Ok(report)
}

/// Reads the whole dataset at `path` (`None`: an empty one). The first unreadable record is an
/// error: writing the dataset back would drop it.
pub fn load_dataset(files: &Files, path: Option<&Path>) -> Result<Dataset> {
    let Some(path) = path else {
        return Ok(Dataset::new());
    };
    let (dataset, errors) = Dataset::read(files.open(path, ReadOptions::default())?);
    files.check()?;
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(dataset),
    }
}

/// Previews an import of the JSON Lines file `input` into the dataset at `existing` (`None`:
/// an empty one), writing nothing. Of the existing dataset only what conflict detection needs
/// is kept; its first unreadable record is an error, as for [`load_dataset`]. Boxes are checked
/// against the sizes of its videos, as an import does.
pub fn preview_file(
    files: &Files,
    input: &Path,
    existing: Option<&Path>,
    mut opts: PreviewOptions,
) -> Result<Preview> {
    let snapshot = match existing {
        None => Snapshot::new(),
        Some(path) => {
            let reader = files.open(path, ReadOptions::default())?;
            let (snapshot, errors) = Snapshot::read(reader, opts.validate.keyframes);
            files.check()?;
            if let Some(e) = errors.into_iter().next() {
                return Err(e);
            }
            snapshot
        }
    };
    opts.add_video_sizes(snapshot.video_sizes());
    let reader = files.open(input, ReadOptions::default())?;
    let preview = crate::import::preview_reader(reader, &snapshot, opts);
    files.check()?;
    Ok(preview)
}

/// How [`merge_files`] imports and writes.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// FOVEA's import options (conflict resolution, validation, atomicity).
    pub import: ImportOptions,
    /// How the preview checks (its profile is also the profile the merged dataset is written
    /// with, so a sequence the check accepted is written as it was checked), its issue cap and
    /// its memory.
    pub preview: PreviewOptions,
    /// The metadata line's `exportDate` (default: now).
    pub export_date: Option<String>,
}

/// What [`merge_files`] reports.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "MergeResult")
)]
pub struct MergeReport {
    /// Counts, issues and conflicts of the incoming file against the dataset.
    pub preview: Preview,
    /// What the import did.
    pub result: ImportResult,
    /// The statistics of the written dataset; `None` when nothing was written (an import that
    /// was not committed leaves the destination as it was).
    pub stats: Option<ExportStats>,
}

/// Imports the JSON Lines file `incoming` into the dataset at `existing` (`None`: an empty
/// one) and, when the import is committed, writes the result to `dest` in keyframes mode (it
/// may be `existing` itself).
pub fn merge_files(
    files: &Files,
    existing: Option<&Path>,
    incoming: &Path,
    dest: &Path,
    opts: &MergeOptions,
) -> Result<MergeReport> {
    let mut dataset = load_dataset(files, existing)?;
    let reader = files.open(incoming, ReadOptions::default())?;
    let (preview, result) =
        crate::import::import_reader(&mut dataset, reader, &opts.import, opts.preview.clone())?;
    files.check()?;
    let stats = if result.committed {
        let export = ExportOptions {
            interp: InterpOptions::with_profile(opts.preview.validate.profile),
            export_date: opts.export_date.clone(),
            ..Default::default()
        };
        Some(files.write_atomically(dest, |out| dataset.write(out, export))?)
    } else {
        None
    };
    Ok(MergeReport {
        preview,
        result,
        stats,
    })
}
