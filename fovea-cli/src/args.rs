//! Arguments several commands share: where the store is (`--db`, `--user`) and how a preview
//! checks and how much memory it holds (`--profile`, `--memory-budget`, `--spill-dir`).

use crate::failure::Failure;
use fovea_core::import::PreviewOptions;
use fovea_db::{BlockingStore, ConnectArgs, DEFAULT_URL, Layout, Store, StoreOptions};
use std::path::PathBuf;

/// Where the store is.
#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// The database: postgres://… (FOVEA's tables) or sqlite:… (default: the embedded file
    /// `fovea.db` in the working directory).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// The user whose personas and world state are used (FOVEA keeps world state per user).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
}

impl DbArgs {
    /// The store's URL and options, with the given layout of FOVEA's tables.
    fn options(&self, layout: Layout) -> Result<(&str, StoreOptions), Failure> {
        let url = self.db.as_deref().unwrap_or(DEFAULT_URL);
        let mut options = ConnectArgs {
            user: self.user.clone(),
            ..Default::default()
        }
        .options()
        .map_err(Failure::Option)?;
        options.layout = layout;
        Ok((url, options))
    }

    /// Opens the store with the given layout of FOVEA's tables.
    pub fn open(&self, layout: Layout) -> Result<BlockingStore, Failure> {
        let (url, options) = self.options(layout)?;
        Ok(BlockingStore::connect(url, options)?)
    }

    /// Opens the store, for async code.
    pub async fn connect(&self, layout: Layout) -> Result<Store, Failure> {
        let (url, options) = self.options(layout)?;
        Ok(Store::connect_with(url, options).await?)
    }

    /// The embedded file the URL names, when that file does not exist: the reading commands
    /// (`preview`, `export`) do not create it.
    pub fn missing_file(&self) -> Option<PathBuf> {
        fovea_db::sqlite_file(self.db.as_deref().unwrap_or(DEFAULT_URL)).filter(|p| !p.exists())
    }
}

/// How a preview checks and how much memory it holds: the flags `preview`, `merge` and
/// `import` share.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Validation profile.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Memory the preview's in-file tables (ids, references, keyframe spans) may hold before
    /// they spill to temporary files: bytes, or with a K, M or G suffix (binary units; default
    /// 24M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_budget: Option<usize>,
    /// Where spilled tables go (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    spill_dir: Option<PathBuf>,
    /// Most issues listed (the rest are counted).
    #[arg(long, default_value_t = fovea_core::ops::DEFAULT_MAX_ISSUES)]
    max_issues: usize,
}

impl CheckArgs {
    /// The preview's options.
    pub fn preview_options(&self) -> Result<PreviewOptions, Failure> {
        fovea_core::ops::preview_options(
            Some(&self.profile),
            Some(self.max_issues),
            self.memory_budget,
            self.spill_dir.clone(),
        )
        .map_err(Failure::Option)
    }
}

/// A size in bytes: digits, optionally followed by `K`, `M` or `G` (binary units, `iB` or `B`
/// allowed after them).
fn parse_size(text: &str) -> Result<usize, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let not_a_size = || format!("`{text}` is not a size (e.g. 64M)");
    if digits.is_empty() {
        return Err(not_a_size());
    }
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(format!("unknown unit `{unit}` (expected K, M or G)")),
    };
    let n: usize = digits.parse().map_err(|_| not_a_size())?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("24M"), Ok(24 << 20));
        assert_eq!(parse_size("24MiB"), Ok(24 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("M").unwrap_err().contains("not a size"));
        assert!(parse_size("1.5G").unwrap_err().contains("not a size"));
        assert!(parse_size("3T").unwrap_err().contains("unknown unit `T`"));
        assert!(parse_size(&format!("{}G", usize::MAX)).is_err());
    }
}
