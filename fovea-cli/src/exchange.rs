//! The JSON Lines commands: `validate`, `stats`, `export`, `preview`, `merge`.

use crate::args::{CheckArgs, DbArgs, profile};
use crate::failure::{Failure, Outcome};
use crate::progress;
use fovea_core::import::{
    Dataset, ImportOptions, PreviewOptions, Snapshot, import_reader, preview_reader,
};
use fovea_core::interp::InterpOptions;
use fovea_core::jsonl::{ExportMode, ExportOptions, Reader, export_stream, stats_reader};
use fovea_core::model::KeyframePolicy;
use fovea_core::staged::StagedFile;
use fovea_core::validate::{ValidateOptions, validate_reader};
use serde::Serialize;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

type FileReader = Reader<BufReader<fovea_core::watch::Watched<File>>>;

fn open(path: &Path, label: &str) -> Result<FileReader, Failure> {
    let file = progress::open(path, label)
        .map_err(|e| Failure::Io(format!("cannot read {}", path.display()), e))?;
    Ok(Reader::new(BufReader::with_capacity(1 << 16, file)))
}

/// Prints `value` as JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> Outcome {
    let mut out = io::stdout().lock();
    fovea_core::json::to_writer(&mut out, value)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| Failure::Io("cannot write standard output".into(), e))
}

/// Writes through a [`StagedFile`] in the destination's folder, renamed into place at the end,
/// so that a failure never leaves a half-written file.
pub fn write_atomically<T>(
    dest: &Path,
    write: impl FnOnce(BufWriter<File>) -> Result<(BufWriter<File>, T), Failure>,
) -> Result<T, Failure> {
    let io_err = |e| Failure::Io(format!("cannot write {}", dest.display()), e);
    let (stage, file) = StagedFile::create(dest).map_err(io_err)?;
    let (w, t) = write(BufWriter::with_capacity(1 << 16, file))?;
    let file = w.into_inner().map_err(|e| io_err(e.into_error()))?;
    stage.commit(file).map_err(io_err)?;
    Ok(t)
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
    #[arg(long, default_value_t = 1000)]
    max_issues: usize,
}

/// `fovea validate FILE`: the report as JSON; exit 1 when the file is invalid.
pub fn validate(args: &ValidateArgs) -> Outcome {
    let opts = ValidateOptions {
        profile: profile(&args.profile)?,
        ..Default::default()
    };
    let report = validate_reader(
        open(&args.file, "validating")?,
        &opts,
        &Default::default(),
        args.max_issues,
    );
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
    let stats = stats_reader(open(&args.file, "reading")?, KeyframePolicy::default())
        .map_err(Failure::Invalid)?;
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
    for t in &args.types {
        if t != "type" && t != "object" {
            return Err(Failure::Usage(format!(
                "--type must be `type` or `object`, not `{t}`"
            )));
        }
    }
    Ok(ExportOptions {
        mode: ExportMode::parse(&args.mode).map_err(|e| Failure::Usage(e.to_string()))?,
        interp: InterpOptions::with_profile(profile(&args.profile)?),
        persona_ids: set(&args.personas),
        video_ids: set(&args.videos),
        annotation_types: set(&args.types),
        export_date: args.export_date.clone(),
        no_metadata: false,
    })
}

/// `fovea export [IN] -o OUT`: streams the file (or, without one, the store) into OUT in
/// constant memory; prints the stats.
pub fn export(args: &ExportArgs, input: &Path) -> Outcome {
    let opts = export_options(args)?;
    let mut pass = 0;
    let (stats, errors) = write_atomically(&args.output, |out| {
        // The file is read once per export group (constant memory), each pass with its bar.
        let open_pass = || {
            pass += 1;
            let label = format!("exporting, pass {pass}/{}", fovea_core::jsonl::GROUPS);
            let file = progress::open(input, &label).map_err(|e| fovea_core::Error::Io {
                message: format!("{}: {e}", input.display()),
            })?;
            Ok(Reader::new(BufReader::with_capacity(1 << 16, file)))
        };
        let (out, stats, errors) = export_stream(open_pass, out, opts).map_err(Failure::Invalid)?;
        Ok((out, (stats, errors)))
    })?;
    print_json(&stats)?;
    for e in &errors {
        eprintln!("fovea: skipped unreadable line: error[{}]: {e}", e.code());
    }
    eprintln!(
        "exported {} annotations ({} keyframes, {} interpolated frames), {} bytes",
        stats.annotation_count, stats.keyframe_count, stats.interpolated_frame_count, stats.bytes
    );
    if errors.is_empty() {
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

fn load(existing: Option<&PathBuf>) -> Result<Dataset, Failure> {
    let Some(path) = existing else {
        return Ok(Dataset::new());
    };
    let (ds, errors) = Dataset::read(open(path, "loading")?);
    if let Some(e) = errors.first() {
        return Err(Failure::Invalid(e.clone()));
    }
    Ok(ds)
}

/// `fovea preview [--existing E | --db URL] IN`: counts, issues and conflicts, as JSON.
/// Nothing is written.
pub fn preview(args: &PreviewArgs, path: &Path) -> Outcome {
    // Only what conflict detection needs is kept of the existing dataset.
    let (snapshot, errors) = Snapshot::read(open(path, "loading")?, KeyframePolicy::default());
    if let Some(e) = errors.into_iter().next() {
        return Err(Failure::Invalid(e));
    }
    // Boxes are checked against the sizes of the store's videos, as an import does.
    let mut opts = args.check.preview_options()?;
    opts.add_video_sizes(snapshot.video_sizes());
    report_preview(&preview_reader(
        open(&args.input, "previewing")?,
        &snapshot,
        opts,
    ))
}

/// `fovea preview IN` where no store exists yet: against an empty dataset.
pub fn preview_against_nothing(args: &PreviewArgs, opts: PreviewOptions) -> Outcome {
    let nothing = Dataset::new().snapshot(KeyframePolicy::default());
    report_preview(&preview_reader(
        open(&args.input, "previewing")?,
        &nothing,
        opts,
    ))
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
    let Some(arg) = arg else {
        return Ok(ImportOptions::default());
    };
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::Io(format!("cannot read {path}"), e))?,
        None => arg.to_owned(),
    };
    let options =
        ImportOptions::from_json(&text).map_err(|e| Failure::Usage(format!("--options: {e}")))?;
    options
        .check()
        .map_err(|e| Failure::Usage(format!("--options: {e}")))?;
    Ok(options)
}

#[derive(Serialize)]
struct MergeOutput<'a> {
    preview: &'a fovea_core::import::Preview,
    result: &'a fovea_core::import::ImportResult,
    stats: Option<&'a fovea_core::jsonl::ExportStats>,
}

/// `fovea merge EXISTING IN -o OUT`: imports IN into the dataset EXISTING and writes it to OUT.
/// Prints the preview, the result and the written stats; exit 1 when the import failed.
pub fn merge(args: &MergeArgs) -> Outcome {
    let options = import_options(args.options.as_deref())?;
    let mut dataset = load(Some(&args.existing))?;
    let reader = open(&args.input, "importing")?;
    let (preview, result) = import_reader(
        &mut dataset,
        reader,
        &options,
        args.check.preview_options()?,
    )
    .map_err(Failure::Invalid)?;
    let stats = if result.committed {
        let opts = ExportOptions {
            export_date: args.export_date.clone(),
            ..Default::default()
        };
        Some(write_atomically(&args.output, |out| {
            dataset.write(out, opts).map_err(Failure::Invalid)
        })?)
    } else {
        None
    };
    print_json(&MergeOutput {
        preview: &preview,
        result: &result,
        stats: stats.as_ref(),
    })?;
    report_result(&result);
    if result.success {
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
