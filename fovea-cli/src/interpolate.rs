//! `fovea interpolate [FILE|-] [--frame N] [--profile default|fovea]`.

use crate::failure::{Failure, Outcome};
use fovea_core::interp::{FrameSink, InterpOptions, Profile, interpolated_box};
use fovea_core::model::{BoundingBox, Frame, SequenceInput, parse_frame};
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

/// Arguments of `fovea interpolate`.
#[derive(clap::Args)]
pub struct Args {
    /// Input file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// Print only the box at this frame (or `null`).
    #[arg(long, allow_negative_numbers = true)]
    frame: Option<f64>,
    /// `default` (parametric segments honoured) or `fovea` (FOVEA's exact behaviour).
    #[arg(long, default_value = "default")]
    profile: String,
}

/// Reads the whole input named by `file` (`-` or `None`: standard input).
pub fn read_input(file: Option<&PathBuf>) -> Result<String, Failure> {
    let mut text = String::new();
    match file.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Io(format!("cannot read {}", path.display()), e))?;
        }
        None => {
            io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::Io("cannot read standard input".into(), e))?;
        }
    }
    Ok(text)
}

/// Streams boxes into a JSON array as the engine produces them.
struct JsonArray<W: Write> {
    out: W,
    first: bool,
    error: Option<io::Error>,
}

impl<W: Write> JsonArray<W> {
    fn push(&mut self, b: &BoundingBox) {
        if self.error.is_some() {
            return;
        }
        let sep: &[u8] = if self.first { b"[" } else { b"," };
        self.first = false;
        let written = self
            .out
            .write_all(sep)
            .and_then(|()| fovea_core::json::to_writer(&mut self.out, b));
        if let Err(e) = written {
            self.error = Some(e);
        }
    }
}

impl<W: Write> FrameSink for JsonArray<W> {
    fn keyframe(&mut self, key: &BoundingBox) {
        self.push(key);
    }

    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.push(&interpolated_box(frame, values));
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Outcome {
    let profile = Profile::parse(&args.profile).map_err(|e| Failure::Usage(e.to_string()))?;
    let frame = args
        .frame
        .map(|f| parse_frame(f, "--frame"))
        .transpose()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let text = read_input(args.file.as_ref())?;
    let input = SequenceInput::from_json(&text)?;
    let compiled = input
        .sequence
        .compile(&InterpOptions::with_profile(profile))?;
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let io_err = |e| Failure::Io("cannot write standard output".into(), e);
    match frame {
        Some(f) => match compiled.box_at(f) {
            Some(b) => fovea_core::json::to_writer(&mut out, &b).map_err(io_err)?,
            None => out.write_all(b"null").map_err(io_err)?,
        },
        None => {
            let mut sink = JsonArray {
                out: &mut out,
                first: true,
                error: None,
            };
            compiled.visit(&mut sink);
            if let Some(e) = sink.error {
                return Err(io_err(e));
            }
            let close: &[u8] = if sink.first { b"[]" } else { b"]" };
            out.write_all(close).map_err(io_err)?;
        }
    }
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(io_err)
}
