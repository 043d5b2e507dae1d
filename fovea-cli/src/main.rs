//! The `fovea` command line.
//!
//! A stable contract (other tools call it): machine-readable output is JSON on stdout, human
//! progress and summaries go to stderr; exit status 0 on success, 1 for invalid input or failed
//! work, 2 for usage or I/O errors.

mod args;
mod demo;
mod exchange;
mod failure;
mod interpolate;
mod jobs;
mod plot;
mod progress;
mod review;
mod store;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// fovea: keyframe interpolation and FOVEA-compatible annotation data.
#[derive(Parser)]
#[command(name = "fovea", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Interpolate a sequence, an annotation or an `annotation` JSON Lines record: print every
    /// visible frame as a JSON array of boxes, or with --frame the box at one frame (or null).
    Interpolate(interpolate::Args),
    /// Validate a JSON Lines file: a JSON report on stdout, exit 1 when invalid.
    Validate(exchange::ValidateArgs),
    /// Count what a JSON Lines file holds.
    Stats(exchange::StatsArgs),
    /// Export a JSON Lines file (re-export) or a database in dependency order: keyframes only
    /// or every frame, filtered.
    Export(exchange::ExportArgs),
    /// Preview importing a file into a database or a JSON Lines dataset: counts, issues,
    /// conflicts.
    Preview(exchange::PreviewArgs),
    /// Import a file into a database (default: the embedded SQLite file `fovea.db`).
    Import(store::ImportArgs),
    /// Database maintenance.
    #[command(subcommand)]
    Db(store::DbCommand),
    /// Import a file into a JSON Lines dataset (the file store) and write the result.
    Merge(exchange::MergeArgs),
    /// Run one tracking job here (the in-process queue) and print its final status.
    Track(jobs::TrackArgs),
    /// Tracking jobs on a BullMQ queue (Redis): submit, status, list, cancel.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Process tracking jobs from a BullMQ queue (Redis) until Ctrl-C or SIGTERM.
    Worker(jobs::WorkerArgs),
    /// Draw an annotation's motion path and timeline (keyframes, segment modes, hidden
    /// ranges) as an SVG or PNG picture.
    Plot(plot::Args),
    /// Walk through fovea's main job on the embedded defaults.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Interpolate(args) => interpolate::run(&args),
        Command::Plot(args) => plot::run(&args),
        Command::Validate(args) => exchange::validate(&args),
        Command::Stats(args) => exchange::stats(&args),
        Command::Export(args) => match args.input() {
            Ok(Some(input)) => exchange::export(&args, input),
            Ok(None) => store::export(&args),
            Err(usage) => Err(usage),
        },
        Command::Preview(args) => match args.existing() {
            Ok(Some(existing)) => exchange::preview(&args, existing),
            Ok(None) => store::preview(&args),
            Err(usage) => Err(usage),
        },
        Command::Merge(args) => exchange::merge(&args),
        Command::Import(args) => store::import(&args),
        Command::Db(command) => store::db(&command),
        Command::Track(args) => jobs::track(&args),
        Command::Jobs(command) => jobs::jobs(&command),
        Command::Worker(args) => jobs::worker(&args),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure::Failure::Silent(code)) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("fovea: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
