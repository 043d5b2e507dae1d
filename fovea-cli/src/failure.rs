//! How a command fails, and the exit status each failure maps to.

use std::fmt;

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// The input is invalid (exit status 1).
    Invalid(fovea_core::Error),
    /// The command line is wrong (exit status 2).
    Usage(String),
    /// An option's value is refused by the library (exit status 2, printed with its code, as
    /// the bindings raise it).
    Option(fovea_core::Error),
    /// Reading or writing failed (exit status 2).
    Io(String, std::io::Error),
    /// The database failed or refused (exit status 2 when it cannot be reached or used,
    /// 1 when what it holds or was given is invalid).
    Db(fovea_db::DbError),
    /// A queue refused (exit status 1: the job or its options are invalid).
    Job(fovea_jobs::JobError),
    /// The command already reported why (on stdout and stderr); only the exit status is left.
    Silent(u8),
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            // A core error can be an I/O failure met while reading: that is no invalid input.
            Failure::Invalid(e) if e.is_io() => 2,
            Failure::Invalid(_) => 1,
            Failure::Usage(_) | Failure::Io(..) | Failure::Option(_) => 2,
            Failure::Job(
                fovea_jobs::JobError::Timeout { .. } | fovea_jobs::JobError::InvalidOptions { .. },
            ) => 2,
            Failure::Db(fovea_db::DbError::Core(e)) => Failure::Invalid(e.clone()).exit_code(),
            Failure::Db(fovea_db::DbError::Row(_) | fovea_db::DbError::Schema(_)) => 1,
            Failure::Db(_) => 2,
            Failure::Job(_) => 1,
            Failure::Silent(code) => *code,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invalid(e) => write!(f, "error[{}]: {e}", e.code()),
            Failure::Usage(m) => write!(f, "usage: {m}"),
            Failure::Option(e) => write!(f, "error[{}]: {e}", e.code()),
            Failure::Io(what, e) => write!(f, "error[io]: {what}: {e}"),
            Failure::Db(e) => write!(f, "error[{}]: {e}", e.code()),
            Failure::Job(e) => write!(f, "error[{}]: {e}", e.code()),
            Failure::Silent(code) => write!(f, "exit status {code}"),
        }
    }
}

impl From<fovea_core::Error> for Failure {
    fn from(e: fovea_core::Error) -> Self {
        Failure::Invalid(e)
    }
}

impl From<fovea_db::DbError> for Failure {
    fn from(e: fovea_db::DbError) -> Self {
        Failure::Db(e)
    }
}

/// Shorthand for command results.
pub type Outcome = Result<(), Failure>;
