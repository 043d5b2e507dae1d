//! Import options: FOVEA's `ImportOptions` names and defaults, deep-merged with what the caller
//! gives (FOVEA merges shallowly and loses nested defaults), unknown keys refused, plus
//! per-conflict choices that override the per-type defaults.

use super::conflict::ConflictKind;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! strategy {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant,)+
        }
        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
        impl $name {
            /// The option's JSON name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
    };
}

strategy! {
    /// What to do with a persona whose id exists.
    PersonaStrategy {
        /// Keep the existing persona; drop the imported one (and its ontology).
        Skip = "skip",
        /// The imported persona and ontology replace the existing ones.
        Replace = "replace",
        /// Fields of the imported persona override, ontology types are united by id.
        Merge = "merge",
        /// Import under a new id (name suffixed ` (imported)`); the file's references follow.
        Rename = "rename",
    } default Skip
}

strategy! {
    /// What to do with a world object (or video) whose id exists.
    WorldObjectStrategy {
        /// Keep the existing object.
        Skip = "skip",
        /// The imported object replaces it.
        Replace = "replace",
        /// Keep the existing object and add the imported type assignments and interpretations.
        MergeAssignments = "merge-assignments",
    } default Skip
}

strategy! {
    /// What to do when a line references something that exists neither in the store nor in the file.
    MissingDependencyStrategy {
        /// Do not import the line.
        SkipItem = "skip-item",
        /// Create a minimal placeholder for each missing object, then import the line.
        CreatePlaceholder = "create-placeholder",
        /// Fail the import (the line, when not atomic).
        FailImport = "fail-import",
    } default SkipItem
}

strategy! {
    /// What to do with an id repeated in the file or used by another kind of object.
    DuplicateIdStrategy {
        /// Keep the id: the later line is handled as a duplicate of the earlier one.
        PreserveId = "preserve-id",
        /// Give the later line a new id.
        RegenerateId = "regenerate-id",
    } default PreserveId
}

strategy! {
    /// What to do with an annotation whose id exists.
    SequenceStrategy {
        /// Keep the existing annotation.
        Skip = "skip",
        /// The imported annotation replaces it.
        Replace = "replace",
        /// Unite the keyframes (see [`crate::import::merge_keyframes`]).
        MergeKeyframes = "merge-keyframes",
        /// Import under a new id.
        CreateNew = "create-new",
    } default Skip
}

strategy! {
    /// What to do when an annotation overlaps another of the same object on the same video.
    OverlapStrategy {
        /// Import it with the overlapping frames hidden, so each frame shows one box.
        SplitRanges = "split-ranges",
        /// Merge it into the existing annotation, extending its range.
        ExtendRange = "extend-range",
        /// Replace the existing annotation's keyframes inside the imported span.
        ReplaceOverlap = "replace-overlap",
        /// Fail the import (the line, when not atomic).
        FailImport = "fail-import",
    } default FailImport
}

strategy! {
    /// Which segment wins when merged sequences give one keyframe pair different modes.
    InterpolationStrategy {
        /// The imported segment.
        UseImported = "use-imported",
        /// The existing segment.
        UseExisting = "use-existing",
        /// Fail the import (the line, when not atomic).
        FailImport = "fail-import",
    } default UseExisting
}

/// Strategies for sequence conflicts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Read deep-merged over the defaults: every key may be left out.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(default))]
pub struct SequenceResolution {
    /// `duplicate-sequence`.
    pub duplicate_sequence_ids: SequenceStrategy,
    /// `overlapping-frames`.
    pub overlapping_frame_ranges: OverlapStrategy,
    /// `interpolation-conflict`.
    pub interpolation_conflicts: InterpolationStrategy,
}

/// Strategies per conflict type.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Read deep-merged over the defaults: every key may be left out.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(default))]
pub struct ConflictResolution {
    /// `duplicate-persona`.
    pub personas: PersonaStrategy,
    /// `duplicate-object`.
    pub world_objects: WorldObjectStrategy,
    /// `missing-dependency`.
    pub missing_dependencies: MissingDependencyStrategy,
    /// `id-conflict`.
    pub duplicate_ids: DuplicateIdStrategy,
    /// Sequence conflicts.
    pub sequences: SequenceResolution,
}

/// Object kinds `scope.specificObjectTypes` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ObjectScope {
    /// Entities (and locations).
    Entity,
    /// Events.
    Event,
    /// Times.
    Time,
    /// Collections of any kind.
    Collection,
}

/// What to import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Read deep-merged over the defaults: every key may be left out.
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ImportScope"),
    schemars(default)
)]
pub struct Scope {
    /// Ontology lines.
    pub include_personas: bool,
    /// World object lines.
    pub include_world_state: bool,
    /// Annotation lines.
    pub include_annotations: bool,
    /// Only these personas (and annotations typed by them), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_persona_ids: Option<Vec<String>>,
    /// Only these world object kinds, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_object_types: Option<Vec<ObjectScope>>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            include_personas: true,
            include_world_state: true,
            include_annotations: true,
            specific_persona_ids: None,
            specific_object_types: None,
        }
    }
}

/// Validation switches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Read deep-merged over the defaults: every key may be left out.
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ImportValidation"),
    schemars(default)
)]
pub struct ValidationOptions {
    /// An invalid line fails (the import when atomic) instead of being skipped with a warning.
    pub strict_mode: bool,
    /// Check references (missing dependencies); off: no `missing-dependency` conflicts.
    pub validate_references: bool,
    /// Run the sequence validator.
    pub validate_sequence_integrity: bool,
    /// Refuse unknown interpolation types (part of the sequence validator).
    pub validate_interpolation_types: bool,
    /// Check boxes against known video sizes.
    pub validate_bounding_box_ranges: bool,
    /// Rewrite counters from the keyframes (fovea always does).
    pub recompute_interpolation: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            strict_mode: false,
            validate_references: true,
            validate_sequence_integrity: true,
            validate_interpolation_types: true,
            validate_bounding_box_ranges: true,
            recompute_interpolation: false,
        }
    }
}

/// Transaction mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Read deep-merged over the defaults: every key may be left out.
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ImportTransaction"),
    schemars(default)
)]
pub struct TransactionOptions {
    /// All or nothing (default); off: each line on its own.
    pub atomic: bool,
}

impl Default for TransactionOptions {
    fn default() -> Self {
        TransactionOptions { atomic: true }
    }
}

/// A choice for one conflict, overriding its type's strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConflictChoice {
    /// The conflict's line.
    pub line: usize,
    /// The conflict's type.
    #[serde(rename = "type")]
    pub kind: ConflictKind,
    /// The strategy (one of the type's option values).
    pub resolution: String,
}

/// Everything an import can be told.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Read deep-merged over the defaults: every key may be left out.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(default))]
pub struct ImportOptions {
    /// Strategies per conflict type.
    pub conflict_resolution: ConflictResolution,
    /// What to import.
    pub scope: Scope,
    /// Validation switches.
    pub validation: ValidationOptions,
    /// Transaction mode.
    pub transaction: TransactionOptions,
    /// Choices for single conflicts (by line and type), overriding the strategies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolutions: Vec<ConflictChoice>,
}

/// Merges `patch` into `base`: objects key by key, recursively; anything else replaces.
fn deep_merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(slot) => deep_merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

impl ImportOptions {
    /// Reads options from JSON, deep-merged over the defaults: `{"validation":{"strictMode":true}}`
    /// changes only that flag. Unknown keys and unknown strategy names are errors naming them.
    ///
    /// ```
    /// use fovea_core::import::ImportOptions;
    /// let o = ImportOptions::from_json(r#"{"validation":{"strictMode":true}}"#).unwrap();
    /// assert!(o.validation.strict_mode && o.validation.validate_references);
    /// let e = ImportOptions::from_json(r#"{"validation":{"strict":true}}"#).unwrap_err();
    /// assert!(e.to_string().contains("strict"));
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let patch: Value = crate::model::parse::from_str(text)?;
        Self::from_value(patch)
    }

    /// Like [`ImportOptions::from_json`], from a parsed value.
    pub fn from_value(patch: Value) -> Result<Self> {
        if !patch.is_object() {
            return Err(Error::InvalidType {
                path: "$".into(),
                message: "import options must be a JSON object".into(),
            });
        }
        let mut merged = serde_json::to_value(ImportOptions::default()).expect("options serialize");
        deep_merge(&mut merged, patch);
        crate::model::parse::from_value(merged).map_err(|e| match e {
            Error::InvalidType { path, message } => Error::InvalidOption {
                option: "import option",
                value: format!("{path}: {message}"),
                expected: "the names and values of FOVEA's ImportOptions",
            },
            other => other,
        })
    }

    /// The strategy name chosen for a conflict: its per-conflict choice, else its type's.
    pub fn resolution_for(&self, kind: ConflictKind, line: usize) -> &str {
        if let Some(c) = self
            .resolutions
            .iter()
            .find(|c| c.kind == kind && c.line == line)
        {
            return &c.resolution;
        }
        let r = &self.conflict_resolution;
        match kind {
            ConflictKind::DuplicatePersona => r.personas.as_str(),
            ConflictKind::DuplicateObject => r.world_objects.as_str(),
            ConflictKind::MissingDependency => r.missing_dependencies.as_str(),
            ConflictKind::IdConflict => r.duplicate_ids.as_str(),
            ConflictKind::DuplicateSequence => r.sequences.duplicate_sequence_ids.as_str(),
            ConflictKind::OverlappingFrames => r.sequences.overlapping_frame_ranges.as_str(),
            ConflictKind::InterpolationConflict => r.sequences.interpolation_conflicts.as_str(),
        }
    }

    /// Checks that every per-conflict choice names a strategy its type has.
    pub fn check(&self) -> Result<()> {
        for c in &self.resolutions {
            let value = Value::String(c.resolution.clone());
            let ok = match c.kind {
                ConflictKind::DuplicatePersona => {
                    serde_json::from_value::<PersonaStrategy>(value).is_ok()
                }
                ConflictKind::DuplicateObject => {
                    serde_json::from_value::<WorldObjectStrategy>(value).is_ok()
                }
                ConflictKind::MissingDependency => {
                    serde_json::from_value::<MissingDependencyStrategy>(value).is_ok()
                }
                ConflictKind::IdConflict => {
                    serde_json::from_value::<DuplicateIdStrategy>(value).is_ok()
                }
                ConflictKind::DuplicateSequence => {
                    serde_json::from_value::<SequenceStrategy>(value).is_ok()
                }
                ConflictKind::OverlappingFrames => {
                    serde_json::from_value::<OverlapStrategy>(value).is_ok()
                }
                ConflictKind::InterpolationConflict => {
                    serde_json::from_value::<InterpolationStrategy>(value).is_ok()
                }
            };
            if !ok {
                return Err(Error::InvalidOption {
                    option: "conflict resolution",
                    value: format!(
                        "{} for {} on line {}",
                        c.resolution,
                        c.kind.as_str(),
                        c.line
                    ),
                    expected: "a strategy of that conflict type",
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_fovea_s() {
        let o = ImportOptions::default();
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(
            v["conflictResolution"]["sequences"]["overlappingFrameRanges"],
            "fail-import"
        );
        assert_eq!(
            v["conflictResolution"]["sequences"]["interpolationConflicts"],
            "use-existing"
        );
        assert_eq!(v["conflictResolution"]["missingDependencies"], "skip-item");
        assert_eq!(v["transaction"]["atomic"], true);
        assert_eq!(v["validation"]["validateReferences"], true);
    }

    #[test]
    fn deep_merge_keeps_sibling_defaults_and_refuses_unknowns() {
        let o = ImportOptions::from_json(
            r#"{"conflictResolution":{"sequences":{"duplicateSequenceIds":"replace"}}}"#,
        )
        .unwrap();
        assert_eq!(
            o.conflict_resolution.sequences.duplicate_sequence_ids,
            SequenceStrategy::Replace
        );
        assert_eq!(
            o.conflict_resolution.sequences.overlapping_frame_ranges,
            OverlapStrategy::FailImport
        );
        let e = ImportOptions::from_json(
            r#"{"conflictResolution":{"sequences":{"duplicateSequenceIds":"overwrite"}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid-option");
        assert!(e.to_string().contains("overwrite"), "{e}");
        assert!(ImportOptions::from_json("[1]").is_err());
        let o = ImportOptions::from_json(
            r#"{"resolutions":[{"line":3,"type":"duplicate-sequence","resolution":"merge-keyframes"}]}"#,
        )
        .unwrap();
        assert_eq!(
            o.resolution_for(ConflictKind::DuplicateSequence, 3),
            "merge-keyframes"
        );
        assert_eq!(o.resolution_for(ConflictKind::DuplicateSequence, 4), "skip");
        let bad = ImportOptions::from_json(
            r#"{"resolutions":[{"line":3,"type":"duplicate-sequence","resolution":"rename"}]}"#,
        )
        .unwrap();
        assert_eq!(bad.check().unwrap_err().code(), "invalid-option");
    }
}
