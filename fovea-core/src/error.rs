//! The error type of `fovea-core`.
//!
//! Every failure is a variant of [`Error`] with a stable, machine-readable [`Error::code`]
//! (the bindings map codes to exception classes in Python and to the `code` property of a
//! JavaScript `Error`) and a message that names what was wrong and where: the JSON path of
//! the offending field (`boxes[3].frameNumber`) or the frame an edit was refused at.

use crate::frame::Frame;

/// Displays a number as JavaScript prints it (`NaN`, `Infinity`, `1e-7`, `50`), so messages
/// read the same in every binding.
pub struct JsNum(pub f64);

impl std::fmt::Display for JsNum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "Infinity" } else { "-Infinity" })
        } else {
            f.write_str(crate::json::NumberBuffer::new().format(v))
        }
    }
}

/// A specialised `Result` for fovea-core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `fovea-core`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not syntactically valid JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// A value has the wrong JSON type (a string where a number belongs, …).
    #[error("{path}: {message}")]
    InvalidType {
        /// JSON path of the value, e.g. `boxes[0].x`.
        path: String,
        /// What was found and what was expected.
        message: String,
    },
    /// An options object has a key no option is named (options refuse what they do not know,
    /// where FOVEA's data keeps unknown fields).
    #[error("{path}: unknown option ({expected})")]
    UnknownKey {
        /// The key's path, e.g. `options.maxIssue`.
        path: String,
        /// The names it accepts, as serde lists them.
        expected: String,
    },
    /// A required field is absent.
    #[error("{path}: missing required field `{field}`")]
    MissingField {
        /// JSON path of the object that lacks the field.
        path: String,
        /// Name of the missing field.
        field: String,
    },
    /// A frame number has a fractional part.
    #[error("{path}: frame number must be an integer, got {}", JsNum(*value))]
    FrameNotInteger {
        /// JSON path of the value.
        path: String,
        /// The value found.
        value: f64,
    },
    /// A frame number is below zero.
    #[error("{path}: frame number must be >= 0, got {}", JsNum(*value))]
    FrameNegative {
        /// JSON path of the value.
        path: String,
        /// The value found.
        value: f64,
    },
    /// A frame number is larger than [`crate::frame::MAX_FRAME`].
    #[error("{path}: frame number {} exceeds the maximum {max}", JsNum(*value), max = crate::frame::MAX_FRAME)]
    FrameTooLarge {
        /// JSON path of the value.
        path: String,
        /// The value found.
        value: f64,
    },
    /// A number is NaN or infinite.
    #[error("{path}: number must be finite, got {}", JsNum(*value))]
    NonFinite {
        /// JSON path of the value.
        path: String,
        /// The value found.
        value: f64,
    },
    /// The input is valid JSON but neither a sequence, an annotation nor an annotation line.
    #[error("unrecognised input: {message}")]
    UnrecognisedInput {
        /// What was found instead.
        message: String,
    },
    /// A value of an option (profile, policy, …) is unknown.
    #[error("unknown {option} `{value}` (expected one of: {expected})")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// The value given.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// A segment uses a `custom` parametric function, which has no defined evaluation.
    #[error(
        "{path}: parametric function type `custom` cannot be evaluated (FOVEA never implemented \
         it); use the `fovea` profile to evaluate it as linear"
    )]
    UnsupportedParametric {
        /// JSON path of the parametric function.
        path: String,
    },
    /// An interpolation type outside the seven FOVEA knows was requested.
    #[error(
        "unsupported interpolation type `{value}` (expected one of: linear, bezier, ease-in, \
         ease-out, ease-in-out, hold, parametric)"
    )]
    UnsupportedInterpolation {
        /// The type given.
        value: String,
    },
    /// A bezier control point's time coordinate lies outside [0, 1].
    #[error("{path}: bezier control point x must lie in [0, 1], got {}", JsNum(*value))]
    InvalidControlPoint {
        /// JSON path of the control point.
        path: String,
        /// The x value found.
        value: f64,
    },
    /// A frame range has its start after its end.
    #[error("invalid frame range [{start}, {end}]: start is after end")]
    InvalidRange {
        /// First frame of the range.
        start: Frame,
        /// Last frame of the range.
        end: Frame,
    },
    /// An output buffer is shorter than the number of frames to write.
    #[error("output buffer too small: {needed} frames needed, room for {available}")]
    BufferTooSmall {
        /// Frames to be written.
        needed: usize,
        /// Frames the buffer can hold.
        available: usize,
    },
    /// An edit was refused; the sequence is unchanged.
    #[error("edit refused: {0}")]
    Refused(#[from] Refusal),
    /// A JSON Lines record is not `{"type": <string>, "data": <non-empty value>}`.
    #[error("line must have \"type\" and \"data\" fields: {message}")]
    InvalidEnvelope {
        /// What is wrong.
        message: String,
    },
    /// A JSON Lines record is longer than the reader's limit.
    #[error("line is longer than the limit of {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A line is not valid UTF-8.
    #[error("line is not valid UTF-8 (byte {offset})")]
    InvalidUtf8 {
        /// Offset of the first invalid byte in the line.
        offset: usize,
    },
    /// Reading or writing failed.
    #[error("I/O error: {message}")]
    Io {
        /// What was being done, and the operating system's message.
        message: String,
        /// The kind of failure (`NotFound`, `PermissionDenied`, `IsADirectory`, …): hosts map
        /// it onto their own classes (Python's `FileNotFoundError`, …).
        kind: std::io::ErrorKind,
        /// The operating system's error number, when it gave one.
        errno: Option<i32>,
    },
    /// A store (a database) failed or refused an operation: a connection that cannot be made,
    /// a URL no backend speaks, a schema that is not FOVEA's, a row that does not read, a
    /// constraint the data breaks. The store's own code is kept (see [`crate::codes`]).
    #[error("{message}")]
    Database {
        /// The store's code: `database`, `unsupported-url`, `schema`, `unreadable-row`, ….
        code: &'static str,
        /// What the database or the store said.
        message: String,
        /// The field at fault, when the store names one (`annotations[2].videoId` for a video
        /// that does not exist).
        path: Option<String>,
    },
    /// An eager evaluation would produce more frames than the caller's limit (a keyframe at a
    /// huge frame number, usually a data error, would otherwise exhaust memory).
    #[error(
        "the sequence spans {frames} frames, more than the limit of {limit} for evaluating every frame"
    )]
    TooManyFrames {
        /// Frames the evaluation would produce.
        frames: usize,
        /// The limit.
        limit: usize,
    },
    /// A value in the input asks for more work than a limit allows (see [`crate::limits`]).
    #[error("{path}: {value} exceeds the {limit_name} limit of {limit}")]
    LimitExceeded {
        /// The field holding (or giving rise to) the value.
        path: String,
        /// The limit's name, as it is set (e.g. `frames`, `videoPixels`).
        limit_name: &'static str,
        /// The value asked for.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// An error on a given line of a JSON Lines file.
    #[error("line {line}{}", at_line_detail(error))]
    AtLine {
        /// Physical 1-based line number.
        line: usize,
        /// The error.
        error: Box<Error>,
    },
}

/// Why an edit of a sequence was refused. A refused edit leaves the sequence untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A keyframe already exists at the frame.
    #[error("a keyframe already exists at frame {frame}")]
    KeyframeExists {
        /// The frame.
        frame: Frame,
    },
    /// There is no keyframe at the frame.
    #[error("there is no keyframe at frame {frame}")]
    NotAKeyframe {
        /// The frame.
        frame: Frame,
    },
    /// The first and last keyframes bound the sequence and cannot be removed.
    #[error(
        "the keyframe at frame {frame} is the first or last keyframe and cannot be removed \
         (move it instead)"
    )]
    EndKeyframe {
        /// The frame.
        frame: Frame,
    },
    /// The sequence has no keyframe to take a value from; give the box explicitly.
    #[error("the sequence has no keyframes to interpolate frame {frame} from; pass the box values")]
    NoKeyframes {
        /// The frame.
        frame: Frame,
    },
    /// The frame is not between two keyframes, so it belongs to no interpolation segment.
    #[error("frame {frame} lies outside every keyframe pair (the keyframes span {span})")]
    OutsideSpan {
        /// The frame.
        frame: Frame,
        /// The keyframe span, e.g. `[0, 120]`, or `no pair` with fewer than two keyframes.
        span: String,
    },
}

impl Error {
    /// The stable machine-readable code of this error, e.g. `frame-not-integer`.
    ///
    /// Codes never change meaning; bindings expose them (`FoveaError.code` in Python, the
    /// `code` property of the thrown `Error` in Node).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidJson { .. } => "invalid-json",
            Error::InvalidType { .. } => "invalid-type",
            Error::MissingField { .. } => "missing-field",
            Error::FrameNotInteger { .. } => "frame-not-integer",
            Error::FrameNegative { .. } => "frame-negative",
            Error::FrameTooLarge { .. } => "frame-too-large",
            Error::NonFinite { .. } => "non-finite-number",
            Error::UnrecognisedInput { .. } => "unrecognised-input",
            Error::InvalidOption { .. } | Error::UnknownKey { .. } => "invalid-option",
            Error::UnsupportedParametric { .. } => "unsupported-parametric",
            Error::UnsupportedInterpolation { .. } => "unsupported-interpolation",
            Error::InvalidControlPoint { .. } => "invalid-control-point",
            Error::InvalidRange { .. } => "invalid-range",
            Error::BufferTooSmall { .. } => "buffer-too-small",
            Error::Refused(r) => r.code(),
            Error::InvalidEnvelope { .. } => "invalid-envelope",
            Error::LineTooLong { .. } => "line-too-long",
            Error::InvalidUtf8 { .. } => "invalid-utf8",
            Error::Io { .. } => "io",
            Error::Database { code, .. } => code,
            Error::TooManyFrames { .. } => "too-many-frames",
            Error::LimitExceeded { .. } => "limit-exceeded",
            Error::AtLine { error, .. } => error.code(),
        }
    }

    /// Whether this is an I/O failure (possibly located at a line): reading cannot go on past it,
    /// so whatever consumes the reader must stop rather than report one unreadable line.
    pub fn is_io(&self) -> bool {
        match self {
            Error::Io { .. } => true,
            Error::AtLine { error, .. } => error.is_io(),
            _ => false,
        }
    }

    /// The line number of a line-located error.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::AtLine { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// This error, located at `line` of a JSON Lines file.
    pub fn at_line(self, line: usize) -> Self {
        match self {
            located @ Error::AtLine { .. } => located,
            other => Error::AtLine {
                line,
                error: Box::new(other),
            },
        }
    }

    /// The JSON path the error refers to, when it refers to one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::InvalidType { path, .. }
            | Error::UnknownKey { path, .. }
            | Error::MissingField { path, .. }
            | Error::FrameNotInteger { path, .. }
            | Error::FrameNegative { path, .. }
            | Error::FrameTooLarge { path, .. }
            | Error::NonFinite { path, .. }
            | Error::UnsupportedParametric { path, .. }
            | Error::InvalidControlPoint { path, .. }
            | Error::LimitExceeded { path, .. } => Some(path),
            Error::Database {
                path: Some(path), ..
            } => Some(path),
            Error::AtLine { error, .. } => error.path(),
            _ => None,
        }
    }

    /// Every code [`Error::code`] can return, for bindings that declare one class per code.
    pub const CODES: &'static [&'static str] = &[
        "invalid-json",
        "invalid-type",
        "missing-field",
        "frame-not-integer",
        "frame-negative",
        "frame-too-large",
        "non-finite-number",
        "unrecognised-input",
        "invalid-option",
        "unsupported-parametric",
        "unsupported-interpolation",
        "invalid-control-point",
        "invalid-range",
        "buffer-too-small",
        "keyframe-exists",
        "not-a-keyframe",
        "end-keyframe",
        "no-keyframes",
        "outside-span",
        "invalid-envelope",
        "line-too-long",
        "invalid-utf8",
        "io",
        "database",
        "too-many-frames",
        "limit-exceeded",
    ];

    /// Prefixes the JSON path of a path-carrying error with `prefix` (e.g. `data.boundingBoxSequence`).
    pub fn at_path(mut self, prefix: &str) -> Self {
        if prefix.is_empty() {
            return self;
        }
        if let Error::AtLine { error, .. } = &mut self {
            let inner = std::mem::replace(
                error.as_mut(),
                Error::UnrecognisedInput {
                    message: String::new(),
                },
            );
            **error = inner.at_path(prefix);
            return self;
        }
        if let Error::InvalidType { path, .. }
        | Error::UnknownKey { path, .. }
        | Error::MissingField { path, .. }
        | Error::FrameNotInteger { path, .. }
        | Error::FrameNegative { path, .. }
        | Error::FrameTooLarge { path, .. }
        | Error::NonFinite { path, .. }
        | Error::UnsupportedParametric { path, .. }
        | Error::InvalidControlPoint { path, .. }
        | Error::LimitExceeded { path, .. } = &mut self
        {
            *path = join_path(prefix, path);
        }
        self
    }
}

impl Refusal {
    /// Every code [`Refusal::code`] can return (a subset of [`Error::CODES`]).
    pub const CODES: &'static [&'static str] = &[
        "keyframe-exists",
        "not-a-keyframe",
        "end-keyframe",
        "no-keyframes",
        "outside-span",
    ];

    /// The stable machine-readable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::KeyframeExists { .. } => "keyframe-exists",
            Refusal::NotAKeyframe { .. } => "not-a-keyframe",
            Refusal::EndKeyframe { .. } => "end-keyframe",
            Refusal::NoKeyframes { .. } => "no-keyframes",
            Refusal::OutsideSpan { .. } => "outside-span",
        }
    }
}

/// The part of a line-located message after the line number: a JSON syntax error gives its
/// column (the line is the record's), anything else its own message.
fn at_line_detail(error: &Error) -> String {
    match error {
        Error::InvalidJson {
            column, message, ..
        } => format!(", column {column}: invalid JSON: {message}"),
        other => format!(": {other}"),
    }
}

/// Joins two JSON path fragments: `a` + `b` → `a.b`, `a` + `[0]` → `a[0]`, `a` + `` → `a`.
pub(crate) fn join_path(prefix: &str, rest: &str) -> String {
    // `$` (and `.`) name the root: under a prefix, the prefix itself.
    if rest.is_empty() || rest == "." || rest == "$" {
        prefix.to_owned()
    } else if prefix.is_empty() {
        rest.to_owned()
    } else if rest.starts_with('[') {
        format!("{prefix}{rest}")
    } else {
        format!("{prefix}.{rest}")
    }
}

impl Error {
    /// An I/O failure while doing `what` (e.g. `cannot read data.jsonl`): the message is
    /// `what: <the OS's message>`, the kind and error number are kept.
    pub fn io(what: impl std::fmt::Display, e: &std::io::Error) -> Self {
        Error::Io {
            message: format!("{what}: {e}"),
            kind: e.kind(),
            errno: e.raw_os_error(),
        }
    }

    /// The kind and OS error number of an I/O failure (possibly located at a line).
    pub fn io_kind(&self) -> Option<(std::io::ErrorKind, Option<i32>)> {
        match self {
            Error::Io { kind, errno, .. } => Some((*kind, *errno)),
            Error::AtLine { error, .. } => error.io_kind(),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io {
            message: e.to_string(),
            kind: e.kind(),
            errno: e.raw_os_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_code_is_listed() {
        let samples = [
            Error::InvalidRange { start: 2, end: 1 },
            Error::Refused(Refusal::OutsideSpan {
                frame: 3,
                span: "no pair".into(),
            }),
            Error::BufferTooSmall {
                needed: 2,
                available: 1,
            },
            Error::Database {
                code: "database",
                message: "refused".into(),
                path: None,
            },
        ];
        for e in samples {
            assert!(Error::CODES.contains(&e.code()), "{}", e.code());
        }
    }

    #[test]
    fn io_errors_keep_their_kind_and_number() {
        let os = std::io::Error::from_raw_os_error(2);
        let e = Error::io("cannot read a.jsonl", &os).at_line(7);
        assert_eq!(e.code(), "io");
        assert!(e.is_io());
        assert_eq!(e.io_kind(), Some((std::io::ErrorKind::NotFound, Some(2))));
        assert!(e.to_string().contains("cannot read a.jsonl: "), "{e}");
        let plain: Error = std::io::Error::other("boom").into();
        assert_eq!(plain.io_kind(), Some((std::io::ErrorKind::Other, None)));
        assert_eq!(Error::InvalidRange { start: 2, end: 1 }.io_kind(), None);
    }

    #[test]
    fn paths_join() {
        assert_eq!(join_path("a", "b"), "a.b");
        assert_eq!(join_path("a", "[0].x"), "a[0].x");
        assert_eq!(join_path("", "x"), "x");
        assert_eq!(join_path("a", ""), "a");
        assert_eq!(join_path("a[0]", "$"), "a[0]");
        let e = Error::NonFinite {
            path: "boxes[0].x".into(),
            value: f64::NAN,
        }
        .at_path("data.boundingBoxSequence");
        assert_eq!(e.path(), Some("data.boundingBoxSequence.boxes[0].x"));
    }
}
