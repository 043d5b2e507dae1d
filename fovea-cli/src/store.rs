//! The store commands: `db migrate`, `import`, and `export`/`preview` from a database
//! (`--db URL`, default the embedded SQLite file `fovea.db`).

use crate::args::{CheckArgs, DbArgs};
use crate::exchange::{ExportArgs, PreviewArgs, export_options, import_options, print_json};
use crate::failure::{Failure, Outcome};
use fovea_db::{ImportParams, ImportProgress, Layout, Source};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// `fovea db …`.
#[derive(clap::Subcommand)]
pub enum DbCommand {
    /// Create FOVEA's tables where they are missing (existing ones are never altered); prints
    /// what was created and what was found.
    Migrate(DbArgs),
}

/// Runs `fovea db …`.
pub fn db(command: &DbCommand) -> Outcome {
    match command {
        DbCommand::Migrate(args) => {
            let store = args.open(Layout::default())?;
            let report = store.migrate()?;
            store.close();
            print_json(&report)?;
            eprintln!(
                "created {} table(s), found {}{}",
                report.created.len(),
                report.existing.len(),
                if report.fovea_migrations {
                    " (a database made by FOVEA's migrations: used as it is)"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

/// `fovea export --db URL -o OUT`: streams the store into OUT; prints the stats.
pub fn export(args: &ExportArgs) -> Outcome {
    let db = &args.db;
    let opts = export_options(args)?;
    if let Some(path) = db.missing_file() {
        return Err(Failure::Io(
            format!("cannot export {}", path.display()),
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such database file"),
        ));
    }
    let store = db.open(Layout::default())?;
    let report = store.export_file(&Default::default(), &args.output, opts);
    store.close();
    let report = report?;
    let stats = &report.stats;
    print_json(stats)?;
    for e in &report.unreadable {
        eprintln!(
            "fovea: skipped unreadable row: error[{}]: {}",
            e.code, e.message
        );
    }
    for e in &report.invalid_objects {
        eprintln!(
            "fovea: skipped a world object: error[{}]: {}",
            e.code, e.message
        );
    }
    eprintln!(
        "exported {} annotations ({} keyframes, {} interpolated frames), {} bytes",
        stats.annotation_count, stats.keyframe_count, stats.interpolated_frame_count, stats.bytes
    );
    if report.complete() {
        Ok(())
    } else {
        Err(Failure::Silent(1))
    }
}

/// `fovea preview --db URL IN`: counts, issues and conflicts against the store, as JSON.
pub fn preview(args: &PreviewArgs) -> Outcome {
    let db = &args.db;
    let opts = args.check.preview_options()?;
    let source = Source::Path(args.input.clone());
    source.check()?;
    if db.missing_file().is_some() {
        // Nothing exists yet, and a preview writes nothing: the store's file is not created.
        return crate::exchange::preview_against_nothing(args, opts);
    }
    let store = db.open(Layout::default())?;
    let p = store.preview(source, opts)?;
    store.close();
    crate::exchange::report_preview(&p)
}

/// Arguments of `fovea import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The JSON Lines file to import.
    input: PathBuf,
    #[command(flatten)]
    db: DbArgs,
    /// Import options: JSON text, or `@FILE`.
    #[arg(long)]
    options: Option<String>,
    #[command(flatten)]
    check: CheckArgs,
    /// The layout annotation rows are written in: `whole` (the whole annotation, as FOVEA's
    /// importer writes it) or `ui` (the bare sequence FOVEA's UI reads).
    #[arg(long, default_value = "whole")]
    layout: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportOutput<'a> {
    preview: &'a fovea_core::import::Preview,
    result: &'a fovea_core::import::ImportResult,
    history_id: &'a str,
}

/// A progress bar for the rows an import writes, on stderr when it is a terminal.
fn progress_bar(p: ImportProgress) {
    if !std::io::stderr().is_terminal() || p.total < 10_000 {
        return;
    }
    let pct = p.written as f64 * 100.0 / p.total.max(1) as f64;
    let mut err = std::io::stderr().lock();
    // Best effort: a closed stderr must not fail the import.
    let _ = write!(
        err,
        "\rwriting [{pct:5.1}%] {} of {} rows",
        p.written, p.total
    );
    if p.written == p.total {
        let _ = writeln!(err);
    }
}

/// `fovea import IN --db URL`: imports into the store; prints the preview, the result and the
/// history row's id; exit 1 when the import failed.
pub fn import(args: &ImportArgs) -> Outcome {
    let options = import_options(args.options.as_deref())?;
    let layout = Layout::parse(&args.layout).map_err(Failure::Option)?;
    let preview_opts = args.check.preview_options()?;
    // The input first: a store is neither created nor touched for an input that cannot be read.
    let source = Source::Path(args.input.clone());
    source.check()?;
    let store = args.db.open(layout)?;
    let params = ImportParams {
        preview: preview_opts,
        user: args.db.user.clone(),
        progress: Some(&progress_bar),
    };
    let out = store.import(source, &options, params)?;
    store.close();
    print_json(&ImportOutput {
        preview: &out.preview,
        result: &out.result,
        history_id: &out.history_id,
    })?;
    crate::exchange::report_result(&out.result);
    if out.result.success {
        Ok(())
    } else {
        Err(Failure::Silent(1))
    }
}
