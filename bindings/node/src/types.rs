//! TypeScript interfaces of FOVEA's JSON shapes, declared for `index.d.ts` only.
//!
//! The values themselves cross the boundary through `convert` (tapes), so these structs carry no
//! conversion code (`object_to_js = false, object_from_js = false`); they exist to give
//! TypeScript users named types. Objects may carry more fields than declared: fovea keeps
//! unknown fields.

// Declarations only: never constructed in Rust.
#![allow(dead_code)]

use napi::bindgen_prelude::{Float64Array, Int32Array};
use napi_derive::napi;

/// A box in FOVEA's shape as fovea returns it: a keyframe with all its stored fields
/// (`isKeyframe: true`), or an interpolated box (`isKeyframe: false`, no other fields).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoundingBox {
    /// Left edge, pixels.
    pub x: f64,
    /// Top edge, pixels.
    pub y: f64,
    /// Width, pixels.
    pub width: f64,
    /// Height, pixels.
    pub height: f64,
    /// Frame (0-based integer).
    pub frame_number: f64,
    /// Whether the box is a keyframe.
    pub is_keyframe: bool,
    /// Model confidence, 0–1.
    pub confidence: Option<f64>,
    /// Free-form metadata.
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// A stored box as input: like [`BoundingBox`], with `isKeyframe` optional (absent = keyframe).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoundingBoxData {
    /// Left edge, pixels.
    pub x: f64,
    /// Top edge, pixels.
    pub y: f64,
    /// Width, pixels.
    pub width: f64,
    /// Height, pixels.
    pub height: f64,
    /// Frame (0-based integer).
    pub frame_number: f64,
    /// Whether the box is a keyframe (absent means keyframe).
    pub is_keyframe: Option<bool>,
    /// Model confidence, 0–1.
    pub confidence: Option<f64>,
    /// Free-form metadata.
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// Box values for `addKeyframe` (other fields are ignored).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoxValues {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Fields to change with `updateKeyframe` (`frameNumber` and `isKeyframe` are ignored: use
/// `moveKeyframe`). Other fields are stored as given.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BoxChanges {
    /// New left edge.
    pub x: Option<f64>,
    /// New top edge.
    pub y: Option<f64>,
    /// New width.
    pub width: Option<f64>,
    /// New height.
    pub height: Option<f64>,
    /// New confidence.
    pub confidence: Option<f64>,
    /// New metadata (replaces the old object).
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
}

/// A point of a bezier easing curve: `x` normalised time (0–1), `y` normalised progress.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct BezierControlPoint {
    /// Normalised time, 0–1.
    pub x: f64,
    /// Normalised progress.
    pub y: f64,
}

/// Per-property bezier curves of a segment.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ControlPoints {
    /// Curve of `x`.
    pub x: Option<Vec<BezierControlPoint>>,
    /// Curve of `y`.
    pub y: Option<Vec<BezierControlPoint>>,
    /// Curve of `width`.
    pub width: Option<Vec<BezierControlPoint>>,
    /// Curve of `height`.
    pub height: Option<Vec<BezierControlPoint>>,
}

/// A parametric motion function of one property.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ParametricFunction {
    /// `linear`, `quadratic`, `sinusoidal` or `custom`.
    #[napi(js_name = "type")]
    pub kind: String,
    /// Named parameters (`a`, `frequency`, `amplitude`).
    #[napi(ts_type = "Record<string, number>")]
    pub parameters: Option<()>,
    /// Expression of a `custom` function (never evaluated).
    pub expression: Option<String>,
}

/// Per-property parametric functions of a segment.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ParametricSet {
    /// Function of `x`.
    pub x: Option<ParametricFunction>,
    /// Function of `y`.
    pub y: Option<ParametricFunction>,
    /// Function of `width`.
    pub width: Option<ParametricFunction>,
    /// Function of `height`.
    pub height: Option<ParametricFunction>,
}

/// How the frames between two keyframes are interpolated.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct InterpolationSegment {
    /// Frame of the pair's first keyframe.
    pub start_frame: f64,
    /// Frame of the pair's second keyframe.
    pub end_frame: f64,
    /// Interpolation type: `linear`, `bezier`, `ease-in`, `ease-out`, `ease-in-out`, `hold` or `parametric` (others are read as linear).
    #[napi(js_name = "type")]
    pub kind: String,
    /// Per-property bezier curves (for `bezier`).
    pub control_points: Option<ControlPoints>,
    /// Per-property functions (for `parametric`).
    pub parametric: Option<ParametricSet>,
}

/// An inclusive frame range that is visible or hidden.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct VisibilityRange {
    /// First frame.
    pub start_frame: f64,
    /// Last frame (inclusive).
    pub end_frame: f64,
    /// Whether the frames are visible.
    pub visible: bool,
}

/// A FOVEA `BoundingBoxSequence` as input. The counters are accepted and ignored (fovea
/// recomputes them).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceData {
    /// The stored boxes.
    pub boxes: Vec<BoundingBoxData>,
    /// Interpolation segments, each anchored on a keyframe pair.
    pub interpolation_segments: Option<Vec<InterpolationSegment>>,
    /// Visibility ranges (the first range containing a frame decides).
    pub visibility_ranges: Option<Vec<VisibilityRange>>,
    /// Id of the tracking result the sequence came from.
    #[napi(ts_type = "string | number")]
    pub track_id: Option<String>,
    /// Tracking model name.
    pub tracking_source: Option<String>,
    /// Confidence of the track, 0–1.
    pub tracking_confidence: Option<f64>,
    /// Ignored on input.
    pub total_frames: Option<f64>,
    /// Ignored on input.
    pub keyframe_count: Option<f64>,
    /// Ignored on input.
    pub interpolated_frame_count: Option<f64>,
}

/// A sequence as fovea writes it (`toObject()`): keyframes flagged, counters recomputed,
/// unknown fields kept.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceObject {
    /// The stored boxes.
    pub boxes: Vec<BoundingBox>,
    /// Interpolation segments.
    pub interpolation_segments: Vec<InterpolationSegment>,
    /// Visibility ranges.
    pub visibility_ranges: Vec<VisibilityRange>,
    /// Id of the tracking result the sequence came from.
    #[napi(ts_type = "string | number")]
    pub track_id: Option<String>,
    /// Tracking model name.
    pub tracking_source: Option<String>,
    /// Confidence of the track, 0–1.
    pub tracking_confidence: Option<f64>,
    /// Frames the interpolation emits.
    pub total_frames: f64,
    /// Keyframes in `boxes`.
    pub keyframe_count: f64,
    /// `totalFrames` minus the keyframes among them.
    pub interpolated_frame_count: f64,
}

/// A FOVEA annotation holding a sequence (its other fields are kept but not used).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Annotation {
    /// Annotation id.
    pub id: Option<String>,
    /// Video id.
    pub video_id: Option<String>,
    /// `type` or `object`.
    pub annotation_type: Option<String>,
    /// The sequence.
    pub bounding_box_sequence: SequenceData,
}

/// An `annotation` record of FOVEA's JSON Lines export.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct AnnotationLine {
    /// Always `annotation`.
    #[napi(js_name = "type", ts_type = "'annotation'")]
    pub kind: String,
    /// The annotation.
    pub data: Annotation,
}

/// Options of `interpolate`, `boxAt` and the `Sequence` constructors.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceOptions {
    /// `default` (fovea's behaviour: parametric segments honoured, `custom` refused) or `fovea`
    /// (reproduce FOVEA exactly). Default: `default`.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
}

/// Curves for `setInterpolation`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SegmentOptions {
    /// Per-property bezier curves (for `bezier`; kept from the existing segment when absent).
    pub control_points: Option<ControlPoints>,
    /// Per-property functions (for `parametric`; kept from the existing segment when absent).
    pub parametric: Option<ParametricSet>,
}

/// Every visible frame in columnar form (`toTypedArrays()`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TypedArrays {
    /// Frame numbers, ascending.
    pub frames: Int32Array,
    /// `[x, y, width, height]` per frame, row-major (`4 * frames.length` values).
    pub boxes: Float64Array,
}

// ---------------------------------------------------------------------------------------------
// JSON Lines exchange.

/// Options of every Promise-returning call.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct CallOptions {
    /// Aborts the call: the Promise rejects with an `AbortError` (`code: 'ABORT_ERR'`).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `readJsonl` (and `JsonlReader`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ReadJsonlOptions {
    /// A line that cannot be read: `throw` ends the iteration with its error (default), `skip`
    /// leaves it out, `collect` leaves it out and keeps the error in `errors`. An I/O failure
    /// always ends the iteration.
    #[napi(ts_type = "'throw' | 'skip' | 'collect'")]
    pub on_error: Option<String>,
    /// Longest accepted line in bytes (default 64 MiB); longer lines are `line-too-long` errors
    /// and are never held in memory.
    pub max_line_bytes: Option<f64>,
    /// `physical` (default): every line counts, blank ones included; `nonBlank`: only non-blank
    /// lines count (FOVEA's importer).
    #[napi(ts_type = "'physical' | 'nonBlank'")]
    pub line_numbers: Option<String>,
    /// Aborts the reading: the pending `next()` rejects with an `AbortError`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// One record of a JSON Lines file.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JsonlRecord {
    /// Its line number (see `lineNumbers`).
    pub line: f64,
    /// Its `type`: `ontology`, `entity`, `event`, `time`, `entityCollection`, `eventCollection`,
    /// `timeCollection`, `relation`, `annotation`, `video`, `metadata`, or another kind (kept).
    #[napi(
        js_name = "type",
        ts_type = "'ontology' | 'entity' | 'event' | 'time' | 'entityCollection' | 'eventCollection' | 'timeCollection' | 'relation' | 'annotation' | 'video' | 'metadata' | (string & {})"
    )]
    pub kind: String,
    /// Its `data`, as the core read it (unknown fields kept).
    #[napi(ts_type = "Record<string, unknown>")]
    pub data: (),
}

/// What `JsonlReader.nextBatch` resolves to.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JsonlBatch {
    /// The records read.
    pub records: Vec<JsonlRecord>,
    /// Line errors left out (with `onError: 'collect'`).
    #[napi(ts_type = "Array<Error & FoveaErrorFields>")]
    pub errors: (),
    /// The error that ends the iteration, after `records`.
    #[napi(ts_type = "Error & FoveaErrorFields")]
    pub error: Option<()>,
    /// Whether the file is finished (or closed).
    pub done: bool,
}

/// An error of fovea: an `Error` with the core's `code`, and `path` / `line` when it names a
/// field or a line.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FoveaErrorFields {
    /// The core's stable code (`ERROR_CODES`).
    pub code: String,
    /// The JSON path of the offending value, when there is one.
    pub path: Option<String>,
    /// The line of the JSON Lines file, when located on one.
    pub line: Option<f64>,
}

/// A line that could not be read, as a plain object.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct LineError {
    /// Its line (`null`: not line-specific).
    #[napi(ts_type = "number | null")]
    pub line: Option<f64>,
    /// The error code.
    pub code: String,
    /// The message (without the `line N:` prefix).
    pub message: String,
    /// The JSON path of the offending value (`null` when there is none).
    #[napi(ts_type = "string | null")]
    pub path: Option<String>,
}

/// Options of `exportJsonl`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ExportJsonlOptions {
    /// `keyframes` (default: keyframes, segments and visibility) or `interpolated` (every
    /// visible frame; generated boxes are `isKeyframe: false`).
    #[napi(ts_type = "'keyframes' | 'interpolated'")]
    pub mode: Option<String>,
    /// Only annotations typed by these personas (and only these personas in ontology lines).
    pub persona_ids: Option<Vec<String>>,
    /// Only annotations on these videos (and only these video lines).
    pub video_ids: Option<Vec<String>>,
    /// Only annotations of these kinds.
    #[napi(ts_type = "Array<'type' | 'object'>")]
    pub annotation_types: Option<Vec<String>>,
    /// Interpolation profile of the `interpolated` mode.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// The `exportDate` of the metadata line (default: now); fixed dates make exports
    /// reproducible byte for byte.
    pub export_date: Option<String>,
    /// `false`: no final metadata line (default `true`).
    pub metadata: Option<bool>,
    /// Aborts the export (the destination is left untouched).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// What an export wrote.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ExportStats {
    /// Lines written per line type (the metadata line included).
    #[napi(ts_type = "Record<string, number>")]
    pub lines: (),
    /// Annotation lines written.
    pub annotation_count: f64,
    /// Sequences written (one per annotation).
    pub sequence_count: f64,
    /// Keyframe boxes written.
    pub keyframe_count: f64,
    /// Interpolated boxes written.
    pub interpolated_frame_count: f64,
    /// Bytes written.
    pub bytes: f64,
    /// Records left out by the filters.
    pub filtered_out: f64,
}

/// What `exportJsonl` resolves to: the export statistics and the lines that could not be read.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ExportResult {
    /// Lines written per line type (the metadata line included).
    #[napi(ts_type = "Record<string, number>")]
    pub lines: (),
    /// Annotation lines written.
    pub annotation_count: f64,
    /// Sequences written (one per annotation).
    pub sequence_count: f64,
    /// Keyframe boxes written.
    pub keyframe_count: f64,
    /// Interpolated boxes written.
    pub interpolated_frame_count: f64,
    /// Bytes written.
    pub bytes: f64,
    /// Records left out by the filters.
    pub filtered_out: f64,
    /// Lines of the source that could not be read (not written).
    pub read_errors: Vec<LineError>,
}

/// What a JSON Lines file holds (`statsJsonl`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FileStats {
    /// Records per line type.
    #[napi(ts_type = "Record<string, number>")]
    pub lines: (),
    /// Annotation records.
    pub annotations: f64,
    /// Keyframes in them.
    pub keyframes: f64,
    /// Frames an interpolated export would write for them (visible frames).
    pub frames: f64,
    /// Interpolated frames among those.
    pub interpolated_frames: f64,
    /// Annotations with exactly one keyframe.
    pub single_keyframe_sequences: f64,
    /// Annotations whose sequence cannot be read (invalid frames, missing fields).
    pub invalid_annotations: f64,
    /// Lines that could not be read.
    pub unreadable_lines: f64,
    /// Bytes read.
    pub bytes: f64,
}

/// Options of `validateJsonl`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ValidateJsonlOptions {
    /// `default` (fovea's rules, typed codes) or `fovea` (FOVEA's validator, its exact
    /// messages).
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed (default 1000); the rest are counted.
    pub max_issues: Option<f64>,
    /// Aborts the validation.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// One problem found in one line.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Issue {
    /// Its line.
    pub line: f64,
    /// Errors make a line invalid; warnings do not.
    #[napi(ts_type = "'error' | 'warning'")]
    pub severity: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable message (FOVEA's exact text under the `fovea` profile).
    pub message: String,
    /// JSON path of the offending value inside the line, when there is one.
    pub path: Option<String>,
}

/// The validation report of a file (`validateJsonl`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ValidationReport {
    /// No errors and no unreadable lines.
    pub valid: bool,
    /// Records read.
    pub lines: f64,
    /// Lines with at least one error (unreadable lines included).
    pub invalid_lines: f64,
    /// Errors (up to `maxIssues`), unreadable lines included with their read codes.
    pub errors: Vec<Issue>,
    /// Warnings (up to `maxIssues`).
    pub warnings: Vec<Issue>,
    /// Issues left out beyond `maxIssues`.
    pub truncated: f64,
}

/// Options of `previewImport`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct PreviewImportOptions {
    /// Path of the existing dataset (JSON Lines); absent: an empty store.
    pub existing: Option<String>,
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed (default 1000); the rest are counted.
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// Aborts the preview.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// An inclusive frame range.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FrameRange {
    /// First frame.
    pub start: f64,
    /// Last frame.
    pub end: f64,
}

/// One conflict between imported data and what exists (or the file itself).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Conflict {
    /// The conflict type.
    #[napi(
        js_name = "type",
        ts_type = "'duplicate-persona' | 'duplicate-object' | 'missing-dependency' | 'id-conflict' | 'duplicate-sequence' | 'overlapping-frames' | 'interpolation-conflict'"
    )]
    pub kind: String,
    /// Line of the imported record.
    pub line: f64,
    /// Id of the imported object.
    pub original_id: String,
    /// Id of the existing (or earlier) object it conflicts with, or of the missing one.
    pub existing_id: Option<String>,
    /// What the conflict is.
    pub details: String,
    /// The frames concerned (keyframe span, overlap, or keyframe pair).
    pub frame_range: Option<FrameRange>,
    /// The interpolation type concerned.
    pub interpolation_type: Option<String>,
    /// The strategy chosen for it (set by an import).
    pub resolution: Option<String>,
}

/// Counts of a preview.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct PreviewCounts {
    /// Annotation lines.
    pub annotations: f64,
    /// Keyframes in them.
    pub total_keyframes: f64,
    /// Annotations with exactly one keyframe.
    pub single_keyframe_sequences: f64,
    /// Lines per type.
    #[napi(ts_type = "Record<string, number>")]
    pub lines: (),
    /// Lines with validation errors.
    pub invalid_lines: f64,
    /// Lines that could not be read.
    pub unreadable_lines: f64,
}

/// A line that could not be read (in a preview).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct LineProblem {
    /// Its line (0: not line-specific).
    pub line: f64,
    /// The error code.
    pub code: String,
    /// The message.
    pub message: String,
}

/// What `previewImport` resolves to: counts, issues and conflicts. Nothing is written.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportPreview {
    /// Counts.
    pub counts: PreviewCounts,
    /// Conflicts, in line order.
    pub conflicts: Vec<Conflict>,
    /// FOVEA's warnings (`Line {n}: …`).
    pub warnings: Vec<String>,
    /// Validation issues (up to `maxIssues`).
    pub issues: Vec<Issue>,
    /// Issues left out beyond `maxIssues`.
    pub issues_truncated: f64,
    /// Lines that could not be read.
    pub errors: Vec<LineProblem>,
}

/// Items imported, by kind.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportedItems {
    /// Personas.
    pub personas: f64,
    /// Persona ontologies.
    pub ontologies: f64,
    /// Entities.
    pub entities: f64,
    /// Events.
    pub events: f64,
    /// Times.
    pub times: f64,
    /// Entity collections.
    pub entity_collections: f64,
    /// Event collections.
    pub event_collections: f64,
    /// Time collections.
    pub time_collections: f64,
    /// Relations.
    pub relations: f64,
    /// Videos.
    pub videos: f64,
    /// Annotations.
    pub annotations: f64,
    /// Keyframes of the imported annotations.
    pub total_keyframes: f64,
    /// Interpolated frames of the imported annotations.
    pub total_interpolated_frames: f64,
    /// Imported annotations with exactly one keyframe.
    pub single_keyframe_sequences: f64,
    /// Placeholders created for missing references.
    pub placeholders: f64,
}

/// Items skipped, by kind.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SkippedItems {
    /// Personas (and their ontologies).
    pub personas: f64,
    /// World objects and videos.
    pub world_objects: f64,
    /// Annotations.
    pub annotations: f64,
    /// Annotations skipped as duplicate sequences.
    pub sequence_annotations: f64,
}

/// Counts of an import.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportSummary {
    /// Records read.
    pub total_lines: f64,
    /// Records applied.
    pub processed_lines: f64,
    /// What was imported.
    pub imported_items: ImportedItems,
    /// What was skipped.
    pub skipped_items: SkippedItems,
}

/// A warning or error of an import.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportMessage {
    /// Its line (0: not line-specific).
    pub line: f64,
    /// FOVEA's message types.
    #[napi(
        js_name = "type",
        ts_type = "'validation' | 'import' | 'execution' | 'conflict'"
    )]
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// The result of an import.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportResult {
    /// Whether every line was applied or deliberately skipped (no line failed).
    pub success: bool,
    /// Whether the changes were kept (always for non-atomic imports; on success for atomic
    /// ones).
    pub committed: bool,
    /// Counts of what was applied.
    pub summary: ImportSummary,
    /// Warnings.
    pub warnings: Vec<ImportMessage>,
    /// Errors.
    pub errors: Vec<ImportMessage>,
    /// Every conflict with the strategy chosen for it.
    pub conflicts: Vec<Conflict>,
}

/// What `mergeJsonl` resolves to.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct MergeResult {
    /// The preview of the import against the existing dataset.
    pub preview: ImportPreview,
    /// The import's result.
    pub result: ImportResult,
    /// What was written to the destination; `null` when the import was not committed (nothing
    /// written).
    #[napi(ts_type = "ExportStats | null")]
    pub stats: (),
}

/// Strategies for sequence conflicts (FOVEA's names).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SequenceResolution {
    /// `duplicate-sequence` (default `skip`).
    #[napi(ts_type = "'skip' | 'replace' | 'merge-keyframes' | 'create-new'")]
    pub duplicate_sequence_ids: Option<String>,
    /// `overlapping-frames` (default `fail-import`).
    #[napi(ts_type = "'split-ranges' | 'extend-range' | 'replace-overlap' | 'fail-import'")]
    pub overlapping_frame_ranges: Option<String>,
    /// `interpolation-conflict` (default `use-existing`).
    #[napi(ts_type = "'use-imported' | 'use-existing' | 'fail-import'")]
    pub interpolation_conflicts: Option<String>,
}

/// Strategies per conflict type (FOVEA's names).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ConflictResolution {
    /// `duplicate-persona` (default `skip`).
    #[napi(ts_type = "'skip' | 'replace' | 'merge' | 'rename'")]
    pub personas: Option<String>,
    /// `duplicate-object` (default `skip`).
    #[napi(ts_type = "'skip' | 'replace' | 'merge-assignments'")]
    pub world_objects: Option<String>,
    /// `missing-dependency` (default `skip-item`).
    #[napi(ts_type = "'skip-item' | 'create-placeholder' | 'fail-import'")]
    pub missing_dependencies: Option<String>,
    /// `id-conflict` (default `preserve-id`).
    #[napi(ts_type = "'preserve-id' | 'regenerate-id'")]
    pub duplicate_ids: Option<String>,
    /// Sequence conflicts.
    pub sequences: Option<SequenceResolution>,
}

/// What to import.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportScope {
    /// Ontology lines (default `true`).
    pub include_personas: Option<bool>,
    /// World object lines (default `true`).
    pub include_world_state: Option<bool>,
    /// Annotation lines (default `true`).
    pub include_annotations: Option<bool>,
    /// Only these personas (and annotations typed by them).
    pub specific_persona_ids: Option<Vec<String>>,
    /// Only these world object kinds.
    #[napi(ts_type = "Array<'entity' | 'event' | 'time' | 'collection'>")]
    pub specific_object_types: Option<Vec<String>>,
}

/// Validation switches of an import.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportValidation {
    /// An invalid line fails (the import, when atomic) instead of being skipped (default
    /// `false`).
    pub strict_mode: Option<bool>,
    /// Report missing references (default `true`).
    pub validate_references: Option<bool>,
    /// Run the sequence validator (default `true`).
    pub validate_sequence_integrity: Option<bool>,
    /// Refuse unknown interpolation types (default `true`).
    pub validate_interpolation_types: Option<bool>,
    /// Check boxes against known video sizes (default `true`).
    pub validate_bounding_box_ranges: Option<bool>,
    /// Rewrite counters from the keyframes (default `false`).
    pub recompute_interpolation: Option<bool>,
}

/// Transaction mode of an import.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportTransaction {
    /// All or nothing (default `true`); `false`: each line on its own.
    pub atomic: Option<bool>,
}

/// A choice for one conflict, overriding its type's strategy.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ConflictChoice {
    /// The conflict's line.
    pub line: f64,
    /// The conflict's type.
    #[napi(
        js_name = "type",
        ts_type = "'duplicate-persona' | 'duplicate-object' | 'missing-dependency' | 'id-conflict' | 'duplicate-sequence' | 'overlapping-frames' | 'interpolation-conflict'"
    )]
    pub kind: String,
    /// A strategy of that type.
    pub resolution: String,
}

/// FOVEA's import options; every field is optional and deep-merged over FOVEA's defaults.
/// Unknown keys are refused (`invalid-option`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportOptions {
    /// Strategies per conflict type.
    pub conflict_resolution: Option<ConflictResolution>,
    /// What to import.
    pub scope: Option<ImportScope>,
    /// Validation switches.
    pub validation: Option<ImportValidation>,
    /// Transaction mode.
    pub transaction: Option<ImportTransaction>,
    /// Choices for single conflicts (by line and type).
    pub resolutions: Option<Vec<ConflictChoice>>,
}

/// Options of `mergeJsonl`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct MergeJsonlOptions {
    /// Import options: an object or JSON text with FOVEA's names.
    #[napi(ts_type = "ImportOptions | string")]
    pub options: Option<()>,
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed in the preview (default 1000).
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// The `exportDate` of the destination's metadata line (default: now).
    pub export_date: Option<String>,
    /// Aborts the merge (the destination is left untouched).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

// ---------------------------------------------------------------------------------------------
// The database store.

/// Options of `Store.connect`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoreConnectOptions {
    /// The user whose world state and personas imports and exports use (default
    /// `default-user`).
    pub user: Option<String>,
    /// How annotation rows are written: `whole` (default: the whole annotation, as FOVEA's
    /// importer writes it) or `ui` (the bare sequence, as FOVEA's UI writes it).
    #[napi(ts_type = "'whole' | 'ui'")]
    pub layout: Option<String>,
    /// The most connections the store opens (default 8).
    pub max_connections: Option<f64>,
    /// Aborts the connection.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// What `Store.migrate` found and did.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SchemaReport {
    /// Tables that were missing and are now created.
    pub created: Vec<String>,
    /// Tables that existed, with the columns fovea needs, and were left as they were.
    pub existing: Vec<String>,
    /// Whether FOVEA's own (Prisma) migrations made this database.
    pub fovea_migrations: bool,
}

/// An annotation as a store holds it: FOVEA's fields (unknown fields are kept too).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoredAnnotation {
    /// Annotation id.
    pub id: String,
    /// Video id (the video must exist in the store).
    pub video_id: String,
    /// `type` (typed by a persona's ontology) or `object` (linked to a world object).
    #[napi(ts_type = "'type' | 'object' | (string & {})")]
    pub annotation_type: Option<String>,
    /// The sequence.
    pub bounding_box_sequence: SequenceData,
    /// Persona whose ontology types the annotation (type annotations; it must exist).
    pub persona_id: Option<String>,
    /// `entity`, `role` or `event` (type annotations).
    pub type_category: Option<String>,
    /// The assigned type (type annotations).
    pub type_id: Option<String>,
    /// Linked entity (object annotations).
    pub linked_entity_id: Option<String>,
    /// Linked event (object annotations).
    pub linked_event_id: Option<String>,
    /// Linked time (object annotations).
    pub linked_time_id: Option<String>,
    /// Linked location (object annotations).
    pub linked_location_id: Option<String>,
    /// Linked collection (object annotations).
    pub linked_collection_id: Option<String>,
    /// `entity`, `event` or `time`: the kind of the linked collection.
    pub linked_collection_type: Option<String>,
    /// Confidence, 0–1.
    pub confidence: Option<f64>,
    /// Notes.
    pub notes: Option<String>,
    /// Free-form metadata.
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: Option<()>,
    /// Author.
    pub created_by: Option<String>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
}

/// An annotation row that holds no readable annotation.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct UnreadableRow {
    /// The row's id.
    pub id: String,
    /// `unreadable-row` (`frames` in neither layout) or `invalid-row` (invalid content).
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// What `Store.annotations` resolves to.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoredAnnotations {
    /// The annotations, by id.
    pub annotations: Vec<StoredAnnotation>,
    /// Rows that hold no readable annotation (left out of `annotations`).
    pub unreadable: Vec<UnreadableRow>,
}

/// A world object of the store that does not read as its kind (left out of an export).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct InvalidObject {
    /// The error code.
    pub code: String,
    /// The message.
    pub message: String,
    /// The JSON path of the offending value, when there is one.
    pub path: Option<String>,
}

/// What `Store.export` resolves to: the export statistics and what could not be read.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoreExportResult {
    /// Lines written per line type (the metadata line included).
    #[napi(ts_type = "Record<string, number>")]
    pub lines: (),
    /// Annotation lines written.
    pub annotation_count: f64,
    /// Sequences written (one per annotation).
    pub sequence_count: f64,
    /// Keyframe boxes written.
    pub keyframe_count: f64,
    /// Interpolated boxes written.
    pub interpolated_frame_count: f64,
    /// Bytes written.
    pub bytes: f64,
    /// Records left out by the filters.
    pub filtered_out: f64,
    /// Annotation rows that hold no readable annotation (not written).
    pub unreadable: Vec<UnreadableRow>,
    /// World objects of the user that do not read as their kind (not written).
    pub invalid_objects: Vec<InvalidObject>,
}

/// Options of `Store.preview`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StorePreviewOptions {
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed (default 1000); the rest are counted.
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// Aborts the preview.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// Options of `Store.import`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoreImportOptions {
    /// Import options: an object or JSON text with FOVEA's names.
    #[napi(ts_type = "ImportOptions | string")]
    pub options: Option<()>,
    /// Validation profile.
    #[napi(ts_type = "'default' | 'fovea'")]
    pub profile: Option<String>,
    /// Most issues listed in the preview (default 1000).
    pub max_issues: Option<f64>,
    /// Bytes of memory the preview's in-file tables (ids, references, keyframe spans) may
    /// hold before they spill to temporary files (default 24 MiB).
    pub memory_budget: Option<f64>,
    /// Where spilled tables go (default: the system's temporary directory); it must exist.
    pub spill_dir: Option<String>,
    /// The importing user, owning imported personas and world objects (default: the store's).
    pub user: Option<String>,
    /// Aborts the import if it has not started yet (a running import finishes, committed or
    /// rolled back, and its outcome is reported).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<()>,
}

/// What `Store.import` resolves to.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoreImportResult {
    /// The preview the import resolved.
    pub preview: ImportPreview,
    /// What was committed (`committed: false` for a failed atomic import).
    pub result: ImportResult,
    /// The id of the import's history row.
    pub history_id: String,
}

/// One row of a store's import history.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ImportHistoryEntry {
    /// Id (`historyId` of the import).
    pub id: String,
    /// The imported file's name.
    pub filename: String,
    /// The importing user.
    #[napi(ts_type = "string | null")]
    pub imported_by: (),
    /// The options, deep-merged with the defaults.
    #[napi(ts_type = "Record<string, unknown>")]
    pub import_options: (),
    /// The import's result.
    #[napi(ts_type = "Record<string, unknown>")]
    pub result: (),
    /// Whether the import succeeded and was committed.
    pub success: bool,
    /// Annotations imported.
    pub items_imported: f64,
    /// Annotations skipped.
    pub items_skipped: f64,
    /// When it ran (ISO, UTC).
    pub created_at: String,
}

/// Options of `JobQueue.open`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobQueueOptions {
    /// The queue (default `object-tracking`).
    pub name: Option<String>,
    /// BullMQ's key prefix (default `bull`).
    pub prefix: Option<String>,
    /// Allow pausing a queue that BullMQ 5 clients share (they lose jobs).
    pub allow_cross_major: Option<bool>,
}

/// Options of `JobQueue.add`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobAddOptions {
    /// The job's id (adding an id that exists adds nothing: `duplicate`).
    pub id: Option<String>,
    /// The job's name (default `track`).
    pub name: Option<String>,
    /// BullMQ's job options (`attempts`, `backoff`, `delay`, `priority`, `removeOnComplete`,
    /// `removeOnFail`, `lifo`, `sizeLimit`, fovea's `timeout`) over FOVEA's defaults.
    #[napi(ts_type = "Record<string, unknown>")]
    pub job_options: Option<()>,
}

/// What `JobQueue.add` resolves to.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobAdded {
    /// The job's id.
    pub job_id: String,
    /// True when a job with this id existed: nothing was added.
    pub duplicate: bool,
}

/// A status shape.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobShapeOptions {
    /// `canonical` (default: every field), `summary` (FOVEA's `GET /api/jobs/:id`),
    /// `mapped` (its claims and synthesis routes), `frontend` (its `JobStatus`).
    #[napi(ts_type = "'canonical' | 'summary' | 'mapped' | 'frontend'")]
    pub shape: Option<String>,
}

/// Options of `JobQueue.wait`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobWaitOptions {
    /// As in `JobShapeOptions`.
    #[napi(ts_type = "'canonical' | 'summary' | 'mapped' | 'frontend'")]
    pub shape: Option<String>,
    /// Reject with code `timeout` after this many milliseconds.
    pub timeout_ms: Option<f64>,
}

/// Options of `JobQueue.list`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobListOptions {
    /// As in `JobShapeOptions`.
    #[napi(ts_type = "'canonical' | 'summary' | 'mapped' | 'frontend'")]
    pub shape: Option<String>,
    /// Only these states (`waiting`, `prioritized`, `delayed`, `active`, `completed`,
    /// `failed`, `waiting-children`); all when absent.
    pub states: Option<Vec<String>>,
    /// At most this many (default 100).
    pub limit: Option<f64>,
}

/// A job's status in the shape asked for (see `JobShapeOptions`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobStatusView {
    /// The job (canonical, summary and mapped shapes).
    pub job_id: Option<String>,
    /// The job (frontend shape).
    pub id: Option<String>,
    /// BullMQ's raw state (canonical and frontend shapes).
    pub state: Option<String>,
    /// The status: the raw state (summary) or `queued` / `processing` / `completed` /
    /// `failed` (canonical, mapped).
    pub status: Option<String>,
    /// A number 0–100 or JSON.
    #[napi(ts_type = "unknown")]
    pub progress: Option<()>,
    /// The handler's result.
    #[napi(ts_type = "unknown")]
    pub result: Option<()>,
    /// The failure's message.
    pub error: Option<String>,
}

/// How many jobs are in each state.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct JobCounts {
    /// Waiting.
    pub waiting: f64,
    /// Prioritized.
    pub prioritized: f64,
    /// Delayed.
    pub delayed: f64,
    /// Active.
    pub active: f64,
    /// Completed (kept).
    pub completed: f64,
    /// Failed (kept).
    pub failed: f64,
}

/// Options of `JobQueue.worker`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct WorkerOptions {
    /// Jobs handled at once (default 1).
    pub concurrency: Option<f64>,
    /// Time limit of an attempt for jobs that set none.
    pub timeout_ms: Option<f64>,
    /// How long a claim stays valid without renewal (default 30000; renewed every second).
    pub lease_ms: Option<f64>,
    /// The worker's name (lease tokens start with it).
    pub name: Option<String>,
}

/// What a worker did.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct WorkerReport {
    /// Attempts that completed their job.
    pub completed: f64,
    /// Attempts that failed their job for good.
    pub failed: f64,
    /// Attempts that failed and will be retried.
    pub retried: f64,
    /// Jobs handed back at shutdown.
    pub handed_back: f64,
    /// Results refused because the lease had been lost.
    pub stale: f64,
    /// Errors of the queue's backend.
    pub backend_errors: f64,
}

/// Options of `JobQueue.trackingWorker`.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TrackingWorkerOptions {
    /// FOVEA's model service (its `POST /api/tracking/track`).
    pub model_service: String,
    /// Save the tracks as annotations in this database (`postgres://…` or `sqlite:…`).
    pub db: Option<String>,
    /// Keyframe tolerance in pixels for jobs that give none (default 1).
    pub tolerance: Option<f64>,
    /// Jobs handled at once (default 1).
    pub concurrency: Option<f64>,
    /// Time limit of an attempt for jobs that set none.
    pub timeout_ms: Option<f64>,
    /// How long a claim stays valid without renewal (default 30000).
    pub lease_ms: Option<f64>,
    /// The worker's name.
    pub name: Option<String>,
    /// What one job may ask for (defaults: see `TrackingLimits`); a job beyond them fails
    /// without retries.
    pub limits: Option<TrackingLimits>,
}

/// What one tracking job may ask for; each absent field keeps its default.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TrackingLimits {
    /// Frames one job tracks (default 1,048,576).
    pub frames: Option<f64>,
    /// `videoWidth × videoHeight` (default 2^26).
    pub video_pixels: Option<f64>,
    /// Objects one job follows (default 1,024).
    pub objects: Option<f64>,
    /// Initial-mask bytes of one request, objects × pixels (default 256 MiB).
    pub mask_bytes: Option<f64>,
}

/// What `SimulatedModelService.start` simulates.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SimulationOptions {
    /// The videos it knows, by id: `{ width, height, frames }`.
    #[napi(ts_type = "Record<string, { width: number; height: number; frames: number }>")]
    pub videos: (),
    /// Pixels per frame each box moves by (default `[1.5, 0.5]`).
    #[napi(ts_type = "[number, number]")]
    pub velocity: Option<()>,
    /// Frame ranges `[first, last]` where every object is lost.
    #[napi(ts_type = "Array<[number, number]>")]
    pub lost: Option<()>,
}
