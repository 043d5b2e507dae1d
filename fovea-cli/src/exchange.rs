//! The JSON Lines commands: `validate`, `stats`, `export`, `preview`, `merge`.

use crate::args::{CheckArgs, DbArgs};
use crate::failure::{Failure, Outcome};
use crate::progress;
use fovea_core::import::{ImportOptions, PreviewOptions};
use fovea_core::jsonl::ExportOptions;
use fovea_core::ops::{self, Files, ImportOptionsArg, MergeOptions};
use serde::Serialize;
use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The files of an operation over `inputs`, with a progress bar labelled `label`.
fn files(label: &str, inputs: &[&Path]) -> Files {
    progress::files(label, inputs.iter().map(|p| Files::size(p)).sum())
}

/// Prints `value` as JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> Outcome {
    let mut out = io::stdout().lock();
    fovea_core::json::to_writer(&mut out, value)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| Failure::Io("cannot write standard output".into(), e))
}

/// Arguments of `fovea validate`.
#[derive(clap::Args)]
pub struct ValidateArgs {
    /// The JSON Lines file.
    file: PathBuf,
    /// `default` (fovea's rules) or `fovea` (FOVEA's validator and messages).
    #[arg(long, default_value = "default")]
    profile: String,
    /// Most issues listed (the rest are counted).
    #[arg(long, default_value_t = fovea_core::ops::DEFAULT_MAX_ISSUES)]
    max_issues: usize,
}

/// `fovea validate FILE`: the report as JSON; exit 1 when the file is invalid.
pub fn validate(args: &ValidateArgs) -> Outcome {
    let opts = ops::ValidateArgs {
        profile: Some(args.profile.clone()),
        max_issues: Some(args.max_issues),
    }
    .options()
    .map_err(Failure::Option)?;
    let report = ops::validate_file(&files("validating", &[&args.file]), &args.file, &opts)?;
    print_json(&report)?;
    eprintln!(
        "{}: {} lines, {} invalid, {} errors and {} warnings listed",
        args.file.display(),
        report.lines,
        report.invalid_lines,
        report.errors.len(),
        report.warnings.len()
    );
    if report.valid {
        Ok(())
    } else {
        Err(Failure::Silent(1))
    }
}

/// Arguments of `fovea stats`.
#[derive(clap::Args)]
pub struct StatsArgs {
    /// The JSON Lines file.
    file: PathBuf,
}

/// `fovea stats FILE`: what the file holds, as JSON.
pub fn stats(args: &StatsArgs) -> Outcome {
    let stats = ops::stats_file(&files("reading", &[&args.file]), &args.file)?;
    print_json(&stats)
}

/// Arguments of `fovea export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The JSON Lines file to export (re-export) in dependency order; without it, the store
    /// (`--db`) is exported.
    input: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    /// `keyframes` (compact) or `interpolated` (every visible frame).
    #[arg(long, default_value = "keyframes")]
    mode: String,
    /// Keep only annotations typed by these personas.
    #[arg(long = "persona", value_name = "ID")]
    personas: Vec<String>,
    /// Keep only annotations on these videos.
    #[arg(long = "video", value_name = "ID")]
    videos: Vec<String>,
    /// Keep only annotations of these kinds (`type`, `object`).
    #[arg(long = "type", value_name = "KIND")]
    types: Vec<String>,
    /// Interpolation profile (`default` or `fovea`).
    #[arg(long, default_value = "default")]
    profile: String,
    /// The metadata line's `exportDate` (default: now).
    #[arg(long)]
    export_date: Option<String>,
    /// Output file.
    #[arg(short, long)]
    pub output: PathBuf,
}

impl ExportArgs {
    /// The file to export, or `None` for the store; both at once is a usage error.
    pub fn input(&self) -> Result<Option<&Path>, Failure> {
        match (&self.input, &self.db.db) {
            (Some(_), Some(_)) => Err(Failure::Usage(
                "export either a file or a database (--db), not both".into(),
            )),
            (input, _) => Ok(input.as_deref()),
        }
    }
}

fn set(values: &[String]) -> Option<HashSet<String>> {
    (!values.is_empty()).then(|| values.iter().cloned().collect())
}

/// The export options the arguments ask for.
pub fn export_options(args: &ExportArgs) -> Result<ExportOptions, Failure> {
    ops::ExportArgs {
        mode: Some(args.mode.clone()),
        persona_ids: set(&args.personas),
        video_ids: set(&args.videos),
        annotation_types: set(&args.types),
        profile: Some(args.profile.clone()),
        export_date: args.export_date.clone(),
        metadata: None,
    }
    .options()
    .map_err(Failure::Option)
}

/// `fovea export [IN] -o OUT`: streams the file (or, without one, the store) into OUT in
/// constant memory; prints the stats.
pub fn export(args: &ExportArgs, input: &Path) -> Outcome {
    let opts = export_options(args)?;
    let files = progress::files("exporting", ops::export_bytes(input));
    let report = ops::export_file(&files, input, &args.output, opts)?;
    let stats = &report.stats;
    print_json(&report.stats)?;
    for e in &report.read_errors {
        let at = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        eprintln!(
            "fovea: skipped unreadable line: error[{}]: {at}{}",
            e.code, e.message
        );
    }
    eprintln!(
        "exported {} annotations ({} keyframes, {} interpolated frames), {} bytes",
        stats.annotation_count, stats.keyframe_count, stats.interpolated_frame_count, stats.bytes
    );
    if report.read_errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::Silent(1))
    }
}

/// Arguments of `fovea preview`.
#[derive(clap::Args)]
pub struct PreviewArgs {
    /// The existing dataset (JSON Lines); without it, the store (`--db`) is what exists.
    #[arg(long)]
    existing: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub check: CheckArgs,
    /// The file to import.
    pub input: PathBuf,
}

impl PreviewArgs {
    /// The existing dataset, or `None` for the store; both at once is a usage error.
    pub fn existing(&self) -> Result<Option<&Path>, Failure> {
        match (&self.existing, &self.db.db) {
            (Some(_), Some(_)) => Err(Failure::Usage(
                "preview against either a file (--existing) or a database (--db), not both".into(),
            )),
            (existing, _) => Ok(existing.as_deref()),
        }
    }
}

/// `fovea preview [--existing E | --db URL] IN`: counts, issues and conflicts, as JSON.
/// Nothing is written.
pub fn preview(args: &PreviewArgs, existing: &Path) -> Outcome {
    let files = files("previewing", &[existing, &args.input]);
    let opts = args.check.preview_options()?;
    report_preview(&ops::preview_file(
        &files,
        &args.input,
        Some(existing),
        opts,
    )?)
}

/// `fovea preview IN` where no store exists yet: against an empty dataset.
pub fn preview_against_nothing(args: &PreviewArgs, opts: PreviewOptions) -> Outcome {
    let files = files("previewing", &[&args.input]);
    report_preview(&ops::preview_file(&files, &args.input, None, opts)?)
}

/// Prints a preview as JSON, and its summary on stderr.
pub fn report_preview(p: &fovea_core::import::Preview) -> Outcome {
    print_json(p)?;
    eprintln!(
        "{} annotations, {} conflicts, {} invalid and {} unreadable lines",
        p.counts.annotations,
        p.conflicts.len(),
        p.counts.invalid_lines,
        p.counts.unreadable_lines
    );
    Ok(())
}

/// Arguments of `fovea merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// The existing dataset (JSON Lines, the file store).
    existing: PathBuf,
    /// The file to import into it.
    input: PathBuf,
    /// Import options: JSON text, or `@FILE`.
    #[arg(long)]
    options: Option<String>,
    #[command(flatten)]
    check: CheckArgs,
    /// The metadata line's `exportDate` (default: now).
    #[arg(long)]
    export_date: Option<String>,
    /// Output file (may be the existing file).
    #[arg(short, long)]
    output: PathBuf,
}

/// Reads `--options`: JSON text or `@FILE`.
pub fn import_options(arg: Option<&str>) -> Result<ImportOptions, Failure> {
    let text = match arg.map(|a| (a, a.strip_prefix('@'))) {
        None => None,
        Some((_, Some(path))) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Failure::Io(format!("cannot read {path}"), e))?,
        ),
        Some((text, None)) => Some(text.to_owned()),
    };
    ImportOptionsArg::resolve(text.map(ImportOptionsArg::Text)).map_err(Failure::Option)
}

/// `fovea merge EXISTING IN -o OUT`: imports IN into the dataset EXISTING and writes it to OUT.
/// Prints the preview, the result and the written stats; exit 1 when the import failed.
pub fn merge(args: &MergeArgs) -> Outcome {
    let opts = MergeOptions {
        import: import_options(args.options.as_deref())?,
        preview: args.check.preview_options()?,
        export_date: args.export_date.clone(),
    };
    let files = files("merging", &[&args.existing, &args.input]);
    let report = ops::merge_files(
        &files,
        Some(&args.existing),
        &args.input,
        &args.output,
        &opts,
    )?;
    print_json(&report)?;
    report_result(&report.result);
    if report.result.success {
        Ok(())
    } else {
        Err(Failure::Silent(1))
    }
}

/// Prints an import's summary on stderr.
pub fn report_result(result: &fovea_core::import::ImportResult) {
    let items = &result.summary.imported_items;
    eprintln!(
        "{}: {} annotations imported, {} skipped, {} conflicts, {} errors",
        if result.success {
            "imported"
        } else {
            "import failed"
        },
        items.annotations,
        result.summary.skipped_items.annotations,
        result.conflicts.len(),
        result.errors.len()
    );
}
