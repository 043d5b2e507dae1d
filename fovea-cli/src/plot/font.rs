//! The TrueType font the plot's text is drawn with: `FOVEA_FONT`, else the first of the usual
//! system fonts that exists, else the first `.ttf` found under the system font folders.

use crate::failure::Failure;
use std::path::{Path, PathBuf};

/// The environment variable naming a `.ttf` file to draw text with.
pub const FONT_ENV: &str = "FOVEA_FONT";

/// Fonts tried first, in order (Debian/Ubuntu, Fedora, Arch, macOS, Windows).
const KNOWN: [&str; 8] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Folders searched (two levels deep) when no known font exists.
const FOLDERS: [&str; 3] = [
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
];

/// Reads the font to draw with, or says how to provide one.
pub fn load() -> Result<&'static [u8], Failure> {
    let path = match std::env::var_os(FONT_ENV) {
        Some(p) => PathBuf::from(p),
        None => find().ok_or_else(|| {
            Failure::Usage(format!(
                "no TrueType font found for the plot's text; set {FONT_ENV}=/path/to/font.ttf"
            ))
        })?,
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| Failure::Io(format!("cannot read the font {}", path.display()), e))?;
    // Registered fonts must live as long as the process: the plot is drawn once per run.
    Ok(Box::leak(bytes.into_boxed_slice()))
}

fn find() -> Option<PathBuf> {
    KNOWN
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| FOLDERS.iter().find_map(|d| ttf_under(Path::new(d), 2)))
}

/// The first `.ttf` file under `dir`, `depth` folder levels deep, in name order.
fn ttf_under(dir: &Path, depth: usize) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let is_ttf = |p: &PathBuf| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ttf"));
    entries
        .iter()
        .find(|p| is_ttf(p) && p.is_file())
        .cloned()
        .or_else(|| {
            (depth > 0)
                .then(|| {
                    entries
                        .iter()
                        .filter(|p| p.is_dir())
                        .find_map(|d| ttf_under(d, depth - 1))
                })
                .flatten()
        })
}
