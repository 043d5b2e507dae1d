//! The `fovea` command line.
//!
//! A stable contract (other tools call it): machine-readable output is JSON on stdout, human
//! progress and summaries go to stderr; exit status 0 on success, 1 for invalid input or failed
//! work, 2 for usage or I/O errors.

mod demo;
mod failure;
mod interpolate;

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
    /// Walk through fovea's main job on the embedded defaults.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Interpolate(args) => interpolate::run(&args),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("fovea: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
