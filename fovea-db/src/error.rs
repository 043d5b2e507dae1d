//! The error type of `fovea-db`.

use crate::rows::RowError;

/// A specialised `Result` for store operations.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The database URL names no backend this store speaks.
    #[error("unsupported database URL {url:?}: expected postgres://…, postgresql://… or sqlite:…")]
    Url {
        /// The URL as given.
        url: String,
    },
    /// The database's tables are not FOVEA's (a table lacks a column fovea needs), or are
    /// missing and the operation does not create them.
    #[error("schema: {0}")]
    Schema(String),
    /// The database refused or failed an operation.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Input that fovea-core rejects (unreadable JSON Lines, invalid options, I/O).
    #[error(transparent)]
    Core(#[from] fovea_core::Error),
    /// A row that does not hold an annotation, or an annotation that cannot be a row.
    #[error(transparent)]
    Row(#[from] RowError),
}

impl DbError {
    /// The error as fovea-core's, for callers that report one error type (the bindings):
    /// core errors as they are, an unsupported URL as `invalid-option`, everything else as
    /// `database` with this error's message.
    pub fn into_core(self) -> fovea_core::Error {
        match self {
            DbError::Core(e) => e,
            DbError::Url { url } => fovea_core::Error::InvalidOption {
                option: "database URL",
                value: url,
                expected: "postgres://…, postgresql://… or sqlite:…",
            },
            other => fovea_core::Error::Database {
                message: match &other {
                    DbError::Sql(e) => e.to_string(),
                    _ => other.to_string(),
                },
            },
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DbError::Url { .. } => "unsupported-url",
            DbError::Schema(_) => "schema",
            DbError::Sql(_) => "database",
            DbError::Core(e) => e.code(),
            DbError::Row(e) => e.code(),
        }
    }
}
