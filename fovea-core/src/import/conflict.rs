//! FOVEA's `Conflict` record, kept field for field so previews and results read as FOVEA's.

use serde::{Deserialize, Serialize};

/// The seven conflict types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ConflictKind {
    /// A persona id exists.
    DuplicatePersona,
    /// A world object (or video) id exists.
    DuplicateObject,
    /// A referenced video, persona or object exists neither in the store nor in the file.
    MissingDependency,
    /// An id repeated in the file, or used by another kind of object.
    IdConflict,
    /// An annotation id exists.
    DuplicateSequence,
    /// Another annotation of the same object on the same video overlaps the keyframe span.
    OverlappingFrames,
    /// The same keyframe pair has different modes in the imported and existing sequence.
    InterpolationConflict,
}

impl ConflictKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::DuplicatePersona => "duplicate-persona",
            ConflictKind::DuplicateObject => "duplicate-object",
            ConflictKind::MissingDependency => "missing-dependency",
            ConflictKind::IdConflict => "id-conflict",
            ConflictKind::DuplicateSequence => "duplicate-sequence",
            ConflictKind::OverlappingFrames => "overlapping-frames",
            ConflictKind::InterpolationConflict => "interpolation-conflict",
        }
    }
}

/// An inclusive frame range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FrameRange {
    /// First frame.
    pub start: u32,
    /// Last frame.
    pub end: u32,
}

/// One conflict between the imported data and what exists (or the file itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conflict {
    /// The conflict type.
    #[serde(rename = "type")]
    pub kind: ConflictKind,
    /// Physical line of the imported record.
    pub line: usize,
    /// Id of the imported object.
    pub original_id: String,
    /// Id of the existing (or earlier) object it conflicts with, or of the missing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
    /// What the conflict is.
    pub details: String,
    /// The frames concerned (keyframe span, overlap, or keyframe pair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_range: Option<FrameRange>,
    /// The interpolation type concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpolation_type: Option<String>,
    /// The strategy chosen for it (set by an import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}
