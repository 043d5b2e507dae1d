//! The options of each file workflow as a front end hands them over: an object with FOVEA's
//! camelCase keys (Node's options objects; the CLI's flags and Python's keywords filled in
//! field by field), read the same way by every host — unknown keys refused with their path —
//! and checked into the operation's own options by one method each.
//!
//! Names of profiles, modes and policies stay strings here, so that an unknown one is an
//! `invalid-option` error listing the accepted names, in every front end alike.

use super::{DEFAULT_MAX_ISSUES, MergeOptions, OnError, ValidateFileOptions, line_numbering};
use crate::edit::SegmentSpec;
use crate::error::Result;
use crate::import::{ImportOptions, PreviewOptions};
use crate::interp::{InterpOptions, Profile};
use crate::jsonl::{ExportMode, ExportOptions, ReadOptions};
use crate::model::{InterpolationType, control_points_from_value, parametric_from_value};
use crate::validate::ValidateOptions;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// The profile named `name` (the default when absent).
fn profile(name: Option<&str>) -> Result<Profile> {
    name.map_or(Ok(Profile::default()), Profile::parse)
}

/// The options of an export of a JSON Lines file or a store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ExportJsonlOptions")
)]
pub struct ExportArgs {
    /// `keyframes` (the default) or `interpolated` (every visible frame).
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["keyframes", "interpolated"])))]
    pub mode: Option<String>,
    /// Only the annotations and world state of these personas.
    pub persona_ids: Option<HashSet<String>>,
    /// Only the annotations of these videos.
    pub video_ids: Option<HashSet<String>>,
    /// Only these kinds of annotation: `type`, `object`.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("items" = { "enum": ["type", "object"] }))
    )]
    pub annotation_types: Option<HashSet<String>>,
    /// The interpolation profile: `default` or `fovea`.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["default", "fovea"])))]
    pub profile: Option<String>,
    /// The date of the final metadata line (default: now).
    pub export_date: Option<String>,
    /// `false`: no metadata line.
    pub metadata: Option<bool>,
}

impl ExportArgs {
    /// The export's options, every name checked.
    pub fn options(self) -> Result<ExportOptions> {
        Ok(ExportOptions {
            mode: self
                .mode
                .as_deref()
                .map_or(Ok(ExportMode::default()), ExportMode::parse)?,
            interp: InterpOptions::with_profile(profile(self.profile.as_deref())?),
            persona_ids: self.persona_ids,
            video_ids: self.video_ids,
            annotation_types: self
                .annotation_types
                .map(ExportOptions::annotation_kinds)
                .transpose()?,
            export_date: self.export_date,
            no_metadata: !self.metadata.unwrap_or(true),
        })
    }
}

/// The options of reading and evaluating a sequence.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SequenceOptions")
)]
pub struct SequenceArgs {
    /// The interpolation profile: `default` or `fovea` (absent: the sequence's own, or
    /// `default`).
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["default", "fovea"])))]
    pub profile: Option<String>,
}

impl SequenceArgs {
    /// The profile named, if one is.
    pub fn profile(self) -> Result<Option<Profile>> {
        self.profile.as_deref().map(Profile::parse).transpose()
    }
}

/// The options of giving a keyframe pair an interpolation: its curves or functions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "SegmentOptions")
)]
pub struct SegmentArgs {
    /// Per-property bezier curves (for `bezier`; kept from the existing segment when absent).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::model::schema::ControlPoints>")
    )]
    pub control_points: Option<Value>,
    /// Per-property functions (for `parametric`; kept from the existing segment when absent).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::model::schema::ParametricSet>")
    )]
    pub parametric: Option<Value>,
}

impl SegmentArgs {
    /// The interpolation `kind` (one of FOVEA's names) with these curves or functions.
    pub fn spec(self, kind: &str) -> Result<SegmentSpec> {
        Ok(SegmentSpec {
            kind: InterpolationType::parse(kind),
            control_points: self
                .control_points
                .map(control_points_from_value)
                .transpose()?,
            parametric: self.parametric.map(parametric_from_value).transpose()?,
        })
    }
}

/// The options of a validation of a JSON Lines file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ValidateJsonlOptions")
)]
pub struct ValidateArgs {
    /// `default` (fovea's rules and codes) or `fovea` (FOVEA's validator and its messages).
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["default", "fovea"])))]
    pub profile: Option<String>,
    /// Issues listed (default 1000); the rest are counted.
    pub max_issues: Option<usize>,
}

impl ValidateArgs {
    /// The validation's options.
    pub fn options(self) -> Result<ValidateFileOptions> {
        Ok(ValidateFileOptions {
            validate: ValidateOptions {
                profile: profile(self.profile.as_deref())?,
                ..Default::default()
            },
            max_issues: self.max_issues.unwrap_or(DEFAULT_MAX_ISSUES),
        })
    }
}

/// The options every preview takes: the validation profile, the issue cap, and the memory the
/// in-file tables may hold before they spill to temporary files in `spill_dir` (checked here).
pub fn preview_options(
    profile_name: Option<&str>,
    max_issues: Option<usize>,
    memory_budget: Option<usize>,
    spill_dir: Option<PathBuf>,
) -> Result<PreviewOptions> {
    let mut opts = PreviewOptions {
        validate: ValidateOptions {
            profile: profile(profile_name)?,
            ..Default::default()
        },
        max_issues: max_issues.unwrap_or(DEFAULT_MAX_ISSUES),
        ..Default::default()
    };
    opts.limit_memory(memory_budget, spill_dir)?;
    Ok(opts)
}

/// The options of a preview of an import into a JSON Lines dataset.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "PreviewImportOptions")
)]
pub struct PreviewArgs {
    /// The dataset imported into (a JSON Lines file; absent: an empty store).
    pub existing: Option<PathBuf>,
    /// The validation profile: `default` or `fovea`.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["default", "fovea"])))]
    pub profile: Option<String>,
    /// Issues listed (default 1000); the rest are counted.
    pub max_issues: Option<usize>,
    /// Bytes the in-file tables may hold before they spill to temporary files.
    pub memory_budget: Option<usize>,
    /// Where they spill (an existing directory).
    pub spill_dir: Option<PathBuf>,
}

impl PreviewArgs {
    /// The preview's options.
    pub fn options(self) -> Result<PreviewOptions> {
        preview_options(
            self.profile.as_deref(),
            self.max_issues,
            self.memory_budget,
            self.spill_dir,
        )
    }
}

/// FOVEA's import options as a front end takes them: an object, or JSON text of one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ImportOptionsArg {
    /// JSON text.
    Text(String),
    /// An object.
    Object(serde_json::Map<String, Value>),
}

impl ImportOptionsArg {
    /// The options deep-merged over FOVEA's defaults and checked (the defaults when absent).
    pub fn resolve(arg: Option<Self>) -> Result<ImportOptions> {
        (|| {
            let options = match arg {
                None => ImportOptions::default(),
                Some(ImportOptionsArg::Text(text)) => ImportOptions::from_json(&text)?,
                Some(ImportOptionsArg::Object(object)) => {
                    ImportOptions::from_value(Value::Object(object))?
                }
            };
            options.check()?;
            Ok(options)
        })()
        .map_err(|e: crate::Error| e.at_path("options"))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for ImportOptionsArg {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ImportOptionsArg".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [generator.subschema_for::<ImportOptions>(), { "type": "string" }],
        })
    }
}

/// The options of a merge of a JSON Lines file into a dataset.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "MergeJsonlOptions")
)]
pub struct MergeArgs {
    /// FOVEA's import options (an object or JSON text), deep-merged over its defaults.
    pub options: Option<ImportOptionsArg>,
    /// The validation profile (it also writes the result): `default` or `fovea`.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["default", "fovea"])))]
    pub profile: Option<String>,
    /// Issues listed (default 1000); the rest are counted.
    pub max_issues: Option<usize>,
    /// Bytes the in-file tables may hold before they spill to temporary files.
    pub memory_budget: Option<usize>,
    /// Where they spill (an existing directory).
    pub spill_dir: Option<PathBuf>,
    /// The date of the result's metadata line (default: now).
    pub export_date: Option<String>,
}

impl MergeArgs {
    /// The merge's options.
    pub fn options(self) -> Result<MergeOptions> {
        Ok(MergeOptions {
            import: ImportOptionsArg::resolve(self.options)?,
            preview: preview_options(
                self.profile.as_deref(),
                self.max_issues,
                self.memory_budget,
                self.spill_dir,
            )?,
            export_date: self.export_date,
        })
    }
}

/// The options of a record-by-record reading of a JSON Lines file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ReadJsonlOptions")
)]
pub struct ReadArgs {
    /// What a line that cannot be read does: `throw` (or `raise`; the default), `skip`,
    /// `collect`.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["throw", "raise", "skip", "collect"]))
    )]
    pub on_error: Option<String>,
    /// Longest accepted line in bytes (default 64 MiB); longer lines are `line-too-long`.
    pub max_line_bytes: Option<NonZeroUsize>,
    /// `physical` (every line counted; the default) or `nonBlank` (as FOVEA's importer counts).
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["physical", "nonBlank", "non-blank"]))
    )]
    pub line_numbers: Option<String>,
}

impl ReadArgs {
    /// The error policy and the reader's options.
    pub fn options(self) -> Result<(OnError, ReadOptions)> {
        let mut read = ReadOptions::default();
        if let Some(bytes) = self.max_line_bytes {
            read.max_line_bytes = bytes.get();
        }
        if let Some(name) = &self.line_numbers {
            read.numbering = line_numbering(name, "lineNumbers")?;
        }
        let on_error = match &self.on_error {
            Some(name) => OnError::parse(name, "onError")?,
            None => OnError::default(),
        };
        Ok((on_error, read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse::from_str;

    #[test]
    fn unknown_keys_are_refused_with_their_path() {
        let e = from_str::<ExportArgs>(r#"{"mode":"keyframes","maxIssues":3}"#).unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid-option", Some("maxIssues")));
        assert!(e.to_string().contains("personaIds"), "{e}");
        let e = from_str::<MergeArgs>(r#"{"options":{"scope":{"everything":true}}}"#)
            .and_then(MergeArgs::options)
            .unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            ("invalid-option", Some("options.scope.everything"))
        );
    }

    #[test]
    fn names_and_values_are_checked_once() {
        let opts = from_str::<ExportArgs>(
            r#"{"mode":"interpolated","annotationTypes":["object"],"metadata":false}"#,
        )
        .and_then(ExportArgs::options)
        .unwrap();
        assert_eq!(opts.mode, ExportMode::Interpolated);
        assert!(opts.no_metadata);
        let bad = from_str::<ExportArgs>(r#"{"mode":"every"}"#).and_then(ExportArgs::options);
        assert_eq!(bad.unwrap_err().code(), "invalid-option");
        let e = from_str::<ReadArgs>(r#"{"maxLineBytes":0}"#).unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid-type", Some("maxLineBytes")));
        let (on_error, read) =
            from_str::<ReadArgs>(r#"{"onError":"collect","lineNumbers":"nonBlank"}"#)
                .and_then(ReadArgs::options)
                .unwrap();
        assert_eq!(on_error, OnError::Collect);
        assert_eq!(read.numbering, crate::jsonl::LineNumbering::NonBlank);
        let v = from_str::<ValidateArgs>("{}")
            .and_then(ValidateArgs::options)
            .unwrap();
        assert_eq!(v.max_issues, DEFAULT_MAX_ISSUES);
    }
}
