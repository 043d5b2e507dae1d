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
    /// No tracking candidate has this job and object.
    #[error("no tracking candidate for object {object_id} of job {job_id:?}")]
    CandidateNotFound {
        /// The job.
        job_id: String,
        /// The object.
        object_id: i64,
    },
    /// A review named a version of the candidate that another review has replaced.
    #[error(
        "the candidate for object {object_id} of job {job_id:?} was reviewed meanwhile (version {found}, not {expected}); list it again"
    )]
    Conflict {
        /// The job.
        job_id: String,
        /// The object.
        object_id: i64,
        /// The version the review named.
        expected: u32,
        /// The version stored.
        found: u32,
    },
    /// What an annotation refers to is not stored.
    #[error("{}the {what} {id:?} does not exist", path.as_deref().map(|p| format!("{p}: ")).unwrap_or_default())]
    MissingDependency {
        /// `video` or `persona`.
        what: &'static str,
        /// Its id.
        id: String,
        /// The field that refers to it (`annotations[2].videoId`).
        path: Option<String>,
    },
}

impl From<DbError> for fovea_core::Error {
    fn from(e: DbError) -> Self {
        e.into_core()
    }
}

impl DbError {
    /// The error as fovea-core's, for callers that report one error type (the bindings, the
    /// store operations): core errors as they are, everything else as
    /// [`fovea_core::Error::Database`] with this error's code and message, so every front end
    /// reports the same code (`unsupported-url`, `schema`, `database`, a row's code).
    pub fn into_core(self) -> fovea_core::Error {
        match self {
            DbError::Core(e) => e,
            other => fovea_core::Error::Database {
                code: other.code(),
                message: other.to_string(),
                path: match &other {
                    DbError::MissingDependency { path, .. } => path.clone(),
                    _ => None,
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
            DbError::CandidateNotFound { .. } => "candidate-not-found",
            DbError::Conflict { .. } => "conflict",
            DbError::MissingDependency { .. } => "missing-dependency",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DbError;
    use fovea_core::codes::{Family, family, lookup};

    /// Every code a store error can have is registered, and keeps it on the way to the core.
    #[test]
    fn store_codes_are_registered_and_kept() {
        let errors = [
            DbError::Url { url: "x://".into() },
            DbError::Schema("no column".into()),
            DbError::Sql(sqlx::Error::PoolClosed),
            DbError::Row(crate::rows::RowError::MissingPersona { id: "a".into() }),
            DbError::Row(crate::rows::RowError::Unreadable {
                id: "a".into(),
                reason: "r".into(),
            }),
            DbError::CandidateNotFound {
                job_id: "j".into(),
                object_id: 1,
            },
            DbError::Conflict {
                job_id: "j".into(),
                object_id: 1,
                expected: 1,
                found: 2,
            },
            DbError::MissingDependency {
                what: "video",
                id: "v".into(),
                path: Some("annotations[0].videoId".into()),
            },
        ];
        for e in errors {
            let code = e.code();
            assert!(lookup(code).is_some(), "{code} is not registered");
            let message = e.to_string();
            let core = e.into_core();
            assert_eq!((core.code(), core.to_string()), (code, message));
        }
        assert_eq!(family("unsupported-url"), Family::Input);
        assert_eq!(family("schema"), Family::State);
    }
}
