//! `fovea plot FILE [--annotation ID] -o OUT.svg|png`: a picture of one annotation's motion
//! path and timeline (keyframes, segment modes, hidden ranges).

mod draw;
mod font;

use crate::failure::{Failure, Outcome};
use fovea_core::interp::{InterpOptions, Profile};
use fovea_core::jsonl::{LineData, Reader};
use fovea_core::model::{BoundingBoxSequence, SequenceInput, SequenceSource};
use fovea_core::plot::PlotData;
use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};
use plotters::style::FontStyle;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Arguments of `fovea plot`.
#[derive(clap::Args)]
pub struct Args {
    /// A JSON Lines dataset, or (`.json`) one sequence, annotation or annotation line.
    file: PathBuf,
    /// The annotation to draw (default: the first annotation of the file).
    #[arg(long)]
    annotation: Option<String>,
    /// The picture to write: `.svg` or `.png`.
    #[arg(short, long)]
    output: PathBuf,
    /// Width in pixels.
    #[arg(long, default_value_t = 1000)]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 720)]
    height: u32,
    /// `default` (parametric segments honoured) or `fovea` (FOVEA's exact behaviour).
    #[arg(long, default_value = "default")]
    profile: String,
}

/// The picture formats, chosen by the output's extension.
#[derive(Clone, Copy)]
enum Format {
    Svg,
    Png,
}

fn format_of(path: &Path) -> Result<Format, Failure> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "svg" => Ok(Format::Svg),
        "png" => Ok(Format::Png),
        _ => Err(Failure::Usage(format!(
            "cannot tell the picture format of {}: use a .svg or .png file name",
            path.display()
        ))),
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Outcome {
    let format = format_of(&args.output)?;
    if !(100..=10_000).contains(&args.width) || !(100..=10_000).contains(&args.height) {
        return Err(Failure::Usage(format!(
            "--width and --height must be 100 to 10000 pixels, got {}x{}",
            args.width, args.height
        )));
    }
    let profile = Profile::parse(&args.profile).map_err(|e| Failure::Usage(e.to_string()))?;
    let (title, seq) = load(&args.file, args.annotation.as_deref())?;
    let compiled = seq.compile(&InterpOptions::with_profile(profile))?;
    let data = PlotData::new(&seq, &compiled)
        .ok_or_else(|| Failure::Usage(format!("{title} has no keyframes to plot")))?;
    plotters::style::register_font(draw::FAMILY, FontStyle::Normal, font::load()?).map_err(
        |_| {
            Failure::Usage(format!(
                "the font named by {} cannot be read",
                font::FONT_ENV
            ))
        },
    )?;
    render(
        &args.output,
        format,
        (args.width, args.height),
        &data,
        &title,
    )?;
    eprintln!("plotted {title} to {}", args.output.display());
    Ok(())
}

/// Draws into a sibling temporary file, renamed over `out` once complete.
fn render(out: &Path, format: Format, size: (u32, u32), data: &PlotData, title: &str) -> Outcome {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("plot");
    let tmp = out.with_file_name(format!(
        ".{name}.{}.tmp.{}",
        std::process::id(),
        match format {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    ));
    let drawn = match format {
        Format::Svg => draw::figure(
            &SVGBackend::new(&tmp, size).into_drawing_area(),
            data,
            title,
        )
        .map_err(|e| e.to_string()),
        Format::Png => draw::figure(
            &BitMapBackend::new(&tmp, size).into_drawing_area(),
            data,
            title,
        )
        .map_err(|e| e.to_string()),
    };
    let done = drawn
        .map_err(|e| {
            Failure::Io(
                format!("cannot draw {}", out.display()),
                std::io::Error::other(e),
            )
        })
        .and_then(|()| {
            std::fs::rename(&tmp, out)
                .map_err(|e| Failure::Io(format!("cannot write {}", out.display()), e))
        });
    if done.is_err() {
        // Best effort: the temporary file may not exist.
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// The sequence to draw and its title.
fn load(path: &Path, wanted: Option<&str>) -> Result<(String, BoundingBoxSequence), Failure> {
    let cannot_read = |e| Failure::Io(format!("cannot read {}", path.display()), e);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let text = std::fs::read_to_string(path).map_err(cannot_read)?;
        let input = SequenceInput::from_json(&text)?;
        let id = match &input.source {
            SequenceSource::Sequence => None,
            SequenceSource::Annotation { id } | SequenceSource::AnnotationLine { id } => id.clone(),
        };
        if let (Some(w), Some(id)) = (wanted, &id)
            && w != id
        {
            return Err(Failure::Usage(format!(
                "{} holds annotation {id}, not {w}",
                path.display()
            )));
        }
        let title = id.map_or_else(|| "sequence".to_owned(), |id| format!("annotation {id}"));
        return Ok((title, input.sequence));
    }
    // A JSON Lines dataset, read until the annotation is found. O(lines read), one in memory.
    let reader = Reader::new(BufReader::with_capacity(
        1 << 16,
        File::open(path).map_err(cannot_read)?,
    ));
    let mut unreadable = 0usize;
    for record in reader {
        let record = match record {
            Ok(r) => r,
            Err(e) if e.is_io() => return Err(e.into()),
            Err(_) => {
                unreadable += 1;
                continue;
            }
        };
        let LineData::Annotation(annotation) = record.data else {
            continue;
        };
        if wanted.is_some_and(|w| annotation.id() != Some(w)) {
            continue;
        }
        let annotation = annotation
            .into_annotation()
            .map_err(|e| e.at_line(record.line))?;
        let title = format!(
            "annotation {} (video {})",
            annotation.id, annotation.video_id
        );
        return Ok((title, annotation.bounding_box_sequence));
    }
    let what = wanted.map_or_else(
        || "no annotation".to_owned(),
        |w| format!("no annotation {w}"),
    );
    let skipped = match unreadable {
        0 => String::new(),
        n => format!(" ({n} unreadable lines skipped; `fovea validate` lists them)"),
    };
    Err(Failure::Usage(format!(
        "{what} in {}{skipped}",
        path.display()
    )))
}
