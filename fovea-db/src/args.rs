//! The options of the store's operations as a front end hands them over (see
//! `fovea_core::ops` for the file operations' ones): FOVEA's camelCase keys, unknown keys
//! refused, names checked by one method each.

use crate::import::ImportParams;
use crate::rows::Layout;
use crate::store::StoreOptions;
use fovea_core::Error;
use fovea_core::import::{ImportOptions, PreviewOptions};
use fovea_core::ops::{ImportOptionsArg, preview_options};
use serde::Deserialize;
use std::num::NonZeroU32;
use std::path::PathBuf;

/// How a store is opened.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "StoreConnectOptions")
)]
pub struct ConnectArgs {
    /// Whose personas and world state imports and exports use (default `default-user`).
    pub user: Option<String>,
    /// How annotation rows are written: `whole` (the whole annotation, as FOVEA's importer
    /// writes it; the default) or `ui` (the bare sequence FOVEA's UI reads).
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["whole", "ui"])))]
    pub layout: Option<String>,
    /// The most connections the pool opens (default 8).
    pub max_connections: Option<NonZeroU32>,
}

impl ConnectArgs {
    /// The store's options, every name checked.
    pub fn options(self) -> fovea_core::Result<StoreOptions> {
        let mut opts = StoreOptions::default();
        if let Some(user) = self.user {
            if user.is_empty() {
                return Err(Error::InvalidOption {
                    option: "user",
                    value: user,
                    expected: "a non-empty user id",
                });
            }
            opts.user = user;
        }
        if let Some(layout) = &self.layout {
            opts.layout = Layout::parse(layout)?;
        }
        if let Some(n) = self.max_connections {
            opts.max_connections = n.get();
        }
        Ok(opts)
    }
}

/// The options of a preview of an import into a store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "StorePreviewOptions")
)]
pub struct StorePreviewArgs {
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

impl StorePreviewArgs {
    /// The preview's options.
    pub fn options(self) -> fovea_core::Result<PreviewOptions> {
        preview_options(
            self.profile.as_deref(),
            self.max_issues,
            self.memory_budget,
            self.spill_dir,
        )
    }
}

/// The options of an import into a store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "StoreImportOptions")
)]
pub struct StoreImportArgs {
    /// FOVEA's import options (an object or JSON text), deep-merged over its defaults.
    pub options: Option<ImportOptionsArg>,
    /// The validation profile: `default` or `fovea`.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["default", "fovea"])))]
    pub profile: Option<String>,
    /// Issues listed (default 1000); the rest are counted.
    pub max_issues: Option<usize>,
    /// Bytes the in-file tables may hold before they spill to temporary files.
    pub memory_budget: Option<usize>,
    /// Where they spill (an existing directory).
    pub spill_dir: Option<PathBuf>,
    /// Recorded as the importer, and owner of imported personas and world objects (default:
    /// the store's user).
    pub user: Option<String>,
}

impl StoreImportArgs {
    /// FOVEA's import options and the store's import parameters.
    pub fn options(self) -> fovea_core::Result<(ImportOptions, ImportParams<'static>)> {
        let import = ImportOptionsArg::resolve(self.options)?;
        let preview = preview_options(
            self.profile.as_deref(),
            self.max_issues,
            self.memory_budget,
            self.spill_dir,
        )?;
        let params = ImportParams {
            preview,
            user: self.user,
            progress: None,
        };
        Ok((import, params))
    }
}
