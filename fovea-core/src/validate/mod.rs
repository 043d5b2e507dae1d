//! Validation of JSON Lines records, with typed issue codes and two profiles.
//!
//! * [`Profile::Default`] fixes FOVEA's defects: segments sharing a boundary keyframe
//!   (`[0,10]`, `[10,20]`, the layout FOVEA itself writes) are valid; true overlaps, segments
//!   anchored on no keyframe pair, duplicate keyframes, bad boxes, bad bezier points, unknown
//!   types and hidden keyframes are reported as errors or warnings — see [`rules`] for the
//!   table of codes and severities.
//! * [`Profile::Fovea`] reproduces FOVEA's import validator (`validateLine` and
//!   `SequenceValidator`), including its exact messages and its defects.
//!
//! A box is checked against its video's size when the size is known.
//!
//! ```
//! use fovea_core::jsonl::Reader;
//! use fovea_core::validate::{validate_record, ValidateOptions};
//! let line = r#"{"type":"annotation","data":{"id":"a","videoId":"v","personaId":"p","typeId":"t",
//!   "typeCategory":"entity","boundingBoxSequence":{"boxes":[
//!   {"x":0,"y":0,"width":10,"height":10,"frameNumber":0,"isKeyframe":true},
//!   {"x":5,"y":0,"width":10,"height":10,"frameNumber":10,"isKeyframe":true},
//!   {"x":9,"y":0,"width":10,"height":10,"frameNumber":20,"isKeyframe":true}],
//!   "interpolationSegments":[{"startFrame":0,"endFrame":10,"type":"linear"},
//!                            {"startFrame":10,"endFrame":20,"type":"hold"}],
//!   "visibilityRanges":[{"startFrame":0,"endFrame":20,"visible":true}]}}}"#.replace('\n', "");
//! let record = Reader::new(line.as_bytes()).next().unwrap().unwrap();
//! let issues = validate_record(&record, &ValidateOptions::default(), &Default::default());
//! assert!(issues.is_empty()); // FOVEA's own validator rejects this ("Overlapping interpolation segments")
//! ```

mod fovea;
pub mod rules;
mod text;

use crate::interp::Profile;
use crate::jsonl::Record;
use crate::model::KeyframePolicy;
use serde::Serialize;
use std::collections::HashMap;

/// FOVEA's interpolation types, in the order its messages list them.
pub(crate) const SUPPORTED: [&str; 7] = crate::model::InterpolationType::NAMES;

/// FOVEA's tracking sources, in the order its messages list them.
pub(crate) const SOURCES: [&str; 5] = ["manual", "samurai", "sam2long", "sam2", "yolo11seg"];

/// How serious an issue is. Errors make a line invalid; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Severity {
    /// The line is invalid.
    Error,
    /// The line is valid but suspicious.
    Warning,
}

/// One problem found in one line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Issue {
    /// Physical line number.
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine-readable code (see [`rules`]).
    pub code: &'static str,
    /// Human-readable message (FOVEA's exact text under the `fovea` profile).
    pub message: String,
    /// JSON path of the offending value inside the line, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Options of validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ValidateOptions {
    /// Default (fixed) or FOVEA (exact reproduction).
    pub profile: Profile,
    /// How a box without `isKeyframe` is read (the `fovea` profile always reads it as FOVEA's
    /// validator does: not a keyframe).
    pub keyframes: KeyframePolicy,
    /// Refuse strings holding the NUL character (`nul-in-text`): Postgres cannot store them.
    /// Set by a store on Postgres; SQLite and files hold them as they are.
    pub refuse_nul: bool,
}

/// The frame size of a video, for bounds checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoSize {
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
}

/// Known video sizes by video id.
pub type VideoSizes = HashMap<String, VideoSize>;

/// Validates one record. Returns its issues, errors first within each check's order.
pub fn validate_record(record: &Record, opts: &ValidateOptions, videos: &VideoSizes) -> Vec<Issue> {
    let mut out = Sink {
        line: record.line,
        issues: Vec::new(),
    };
    match opts.profile {
        Profile::Fovea => fovea::validate_line(&record.data, videos, &mut out),
        Profile::Default => rules::validate_line(&record.data, opts.keyframes, videos, &mut out),
    }
    if opts.refuse_nul
        && let Some(path) = text::find_nul(&record.data)
    {
        out.error(
            "nul-in-text",
            format!("{path}: holds a NUL character (U+0000), which Postgres cannot store"),
            Some(path),
        );
    }
    out.issues
}

/// Validates a bare sequence (FOVEA's `validateSequence`), optionally against a video size.
/// Issues carry line 0; paths are relative to the sequence.
pub fn validate_sequence(
    sequence: serde_json::Value,
    opts: &ValidateOptions,
    video: Option<VideoSize>,
) -> crate::Result<Vec<Issue>> {
    let raw: crate::model::raw::RawSequence = crate::model::parse::from_value(sequence)?;
    let mut out = Sink {
        line: 0,
        issues: Vec::new(),
    };
    let size = video.map(|v| (v.width, v.height));
    match opts.profile {
        Profile::Fovea => fovea::validate_sequence(&raw, size, &mut out),
        Profile::Default => rules::validate_sequence(&raw, opts.keyframes, size, "", &mut out),
    }
    Ok(out.issues)
}

/// Collects the issues of one line.
pub(crate) struct Sink {
    line: usize,
    issues: Vec<Issue>,
}

impl Sink {
    pub(crate) fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: String,
        path: Option<String>,
    ) {
        self.issues.push(Issue {
            line: self.line,
            severity,
            code,
            message,
            path,
        });
    }

    pub(crate) fn error(&mut self, code: &'static str, message: String, path: Option<String>) {
        self.push(Severity::Error, code, message, path);
    }

    pub(crate) fn warning(&mut self, code: &'static str, message: String, path: Option<String>) {
        self.push(Severity::Warning, code, message, path);
    }
}

/// `value` as JavaScript prints it (FOVEA's messages interpolate numbers that way).
pub(crate) fn js(value: f64) -> String {
    crate::json::NumberBuffer::new().format(value).to_owned()
}

/// The validation report of a whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ValidationReport")
)]
pub struct Report {
    /// No errors and no unreadable lines.
    pub valid: bool,
    /// Records read.
    pub lines: u64,
    /// Lines with at least one error (unreadable lines included).
    pub invalid_lines: u64,
    /// Errors (up to the cap), unreadable lines included (as errors with their read codes).
    pub errors: Vec<Issue>,
    /// Warnings (up to the cap).
    pub warnings: Vec<Issue>,
    /// Issues left out beyond the cap.
    pub truncated: u64,
}

/// Validates every record of a JSON Lines source, streaming; lists up to `max_issues` issues
/// and counts the rest.
///
/// ```
/// use fovea_core::jsonl::Reader;
/// use fovea_core::validate::{validate_reader, ValidateOptions};
/// let report = validate_reader(Reader::new(&b"{bad\n{\"type\":\"video\",\"data\":{}}\n"[..]), &ValidateOptions::default(), &Default::default(), 100);
/// assert!(!report.valid);
/// assert_eq!(report.errors.iter().map(|i| (i.line, i.code)).collect::<Vec<_>>(),
///            vec![(1, "invalid-json"), (2, "missing-field")]);
/// ```
pub fn validate_reader<R: std::io::BufRead>(
    reader: crate::jsonl::Reader<R>,
    opts: &ValidateOptions,
    videos: &VideoSizes,
    max_issues: usize,
) -> Report {
    let mut report = Report::default();
    let keep = |report: &mut Report, issue: Issue| {
        if report.errors.len() + report.warnings.len() >= max_issues {
            report.truncated += 1;
        } else if issue.severity == Severity::Error {
            report.errors.push(issue);
        } else {
            report.warnings.push(issue);
        }
    };
    crate::jsonl::par_records(
        reader,
        |item| item.map(|record| validate_record(&record, opts, videos)),
        |item| {
            report.lines += 1;
            match item {
                Ok(issues) => {
                    if issues.iter().any(|i| i.severity == Severity::Error) {
                        report.invalid_lines += 1;
                    }
                    for i in issues {
                        keep(&mut report, i);
                    }
                }
                Err(e) => {
                    report.invalid_lines += 1;
                    let message = match &e {
                        crate::Error::AtLine { error, .. } => error.to_string(),
                        other => other.to_string(),
                    };
                    let issue = Issue {
                        line: e.line().unwrap_or(0),
                        severity: Severity::Error,
                        code: e.code(),
                        message,
                        path: e.path().map(str::to_owned),
                    };
                    keep(&mut report, issue);
                }
            }
        },
    );
    report.valid = report.invalid_lines == 0;
    report
}
