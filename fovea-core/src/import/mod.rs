//! Import: preview (validation and conflict detection against a snapshot of what exists),
//! options and per-conflict resolution, keyframe merging, and application to a dataset.
//!
//! ```
//! use fovea_core::import::{Dataset, ImportOptions, PreviewOptions, Previewer, apply};
//! use fovea_core::jsonl::Reader;
//! let file = r#"{"type":"video","data":{"id":"v1"}}
//! {"type":"annotation","data":{"id":"a1","videoId":"v1","annotationType":"type","personaId":"p","typeId":"t","typeCategory":"entity","boundingBoxSequence":{"boxes":[{"x":1,"y":2,"width":3,"height":4,"frameNumber":0}]}}}"#;
//! let mut store = Dataset::new();
//! let snapshot = store.snapshot(Default::default());
//! let mut preview = Previewer::new(&snapshot, PreviewOptions::default());
//! let checked: Vec<_> = Reader::new(file.as_bytes()).map(|r| preview.add(r.unwrap())).collect();
//! let preview = preview.finish();
//! // The persona "p" exists nowhere: a missing dependency, skipped by default.
//! assert_eq!(preview.conflicts[0].details, "Persona p does not exist");
//! let options = ImportOptions::from_json(r#"{"conflictResolution":{"missingDependencies":"create-placeholder"}}"#).unwrap();
//! let result = apply(&mut store, checked, &preview, &options, Default::default()).unwrap();
//! assert!(result.success);
//! assert_eq!(result.summary.imported_items.annotations, 1);
//! assert!(store.personas.contains_key("p"));
//! ```

mod apply;
mod codec;
mod conflict;
mod dataset;
mod examine;
mod infile;
mod merge;
mod options;
mod preview;
mod snapshot;
mod spill;
mod summaries;
mod summary;

pub use apply::{ImportMessage, ImportResult, ImportSummary, ImportedItems, SkippedItems, apply};
pub use conflict::{Conflict, ConflictKind, FrameRange};
pub use dataset::{Dataset, object_kind};
pub use examine::{Examined, Examiner};
pub use merge::{Side, merge_keyframes};
pub use options::{
    ConflictChoice, ConflictResolution, DuplicateIdStrategy, ImportOptions, InterpolationStrategy,
    MissingDependencyStrategy, ObjectScope, OverlapStrategy, PersonaStrategy, Scope,
    SequenceResolution, SequenceStrategy, TransactionOptions, ValidationOptions,
    WorldObjectStrategy,
};
pub use preview::{
    Checked, CheckedData, DEFAULT_MEMORY_BUDGET, LineProblem, Preview, PreviewCounts,
    PreviewOptions, Previewer,
};
pub use snapshot::{AnnotationSummary, Existing, ObjectKind, Owner, Snapshot};

/// Previews an import of a JSON Lines source against `existing`, streaming: lines are
/// examined (validated, converted when needed, checked against the store) on all cores and
/// their in-file conflicts found in file order.
pub fn preview_reader<R: std::io::BufRead, E: Existing + Sync + ?Sized>(
    reader: crate::jsonl::Reader<R>,
    existing: &E,
    opts: PreviewOptions,
) -> Preview {
    let mut p = Previewer::new(existing, opts);
    // Nothing is applied: the records are dropped where they were examined.
    let examiner = p.examiner().facts_only();
    crate::jsonl::par_records(
        reader,
        |item| item.map(|rec| examiner.examine(rec)),
        |item| match item {
            Ok(e) => {
                p.add_examined(e);
            }
            Err(e) => p.unreadable(&e),
        },
    );
    p.finish()
}

/// Imports a JSON Lines source into a dataset: preview against the dataset, then apply with
/// `options`. Returns the preview (counts, issues, conflicts) and the result. A source that
/// fails to read (an I/O error) fails the import and leaves the dataset unchanged.
pub fn import_reader<R: std::io::BufRead>(
    dataset: &mut Dataset,
    reader: crate::jsonl::Reader<R>,
    options: &ImportOptions,
    preview_opts: PreviewOptions,
) -> crate::Result<(Preview, ImportResult)> {
    options.check()?;
    let mut preview_opts = preview_opts;
    preview_opts.check_references &= options.validation.validate_references;
    let policy = preview_opts.validate.keyframes;
    let snapshot = dataset.snapshot(policy);
    if options.validation.validate_bounding_box_ranges {
        preview_opts.add_video_sizes(snapshot.video_sizes());
    }
    let mut p = Previewer::new(&snapshot, preview_opts);
    let mut checked = Vec::new();
    let mut io_failure = None;
    let examiner = p.examiner();
    crate::jsonl::par_records(
        reader,
        |item| item.map(|rec| examiner.examine(rec)),
        |item| match item {
            Ok(e) => checked.extend(p.add_examined(e)),
            // The source failed: the rest of it is unknown, so nothing may be applied.
            Err(e) if e.is_io() => io_failure = Some(e),
            Err(e) => p.unreadable(&e),
        },
    );
    if let Some(e) = io_failure {
        return Err(e);
    }
    let preview = p.try_finish()?;
    let result = apply(dataset, checked, &preview, options, policy)?;
    Ok((preview, result))
}
