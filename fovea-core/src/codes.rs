//! The registry of error codes: every code any part of fovea fails with — the core's, the
//! store's and the job queue's — once, with the family that decides
//! how each host presents it.
//!
//! A code never changes meaning. The CLI prints it (`error[code]`), Node puts it on the thrown
//! `Error` (`code`), and Python raises the class named after it (`frame-not-integer` →
//! `FrameNotIntegerError`), whose bases follow the [`Family`]. Tests of each crate check that
//! the codes its errors return are registered here, and the Python package's class list and
//! stubs are checked against [`REGISTRY`].

/// What kind of failure a code reports, and so which host classes it also belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// The caller's input or options are invalid (Python: also `ValueError`).
    Input,
    /// A value has the wrong type (Python: also `ValueError` and `TypeError`).
    Type,
    /// An edit was refused and the sequence left unchanged (Python: `EditRefusedError`).
    Refusal,
    /// Reading or writing failed (Python: also `OSError`, and the `OSError` subclass of the
    /// failure's kind where there is one, e.g. `FileNotFoundError`).
    Io,
    /// Not the input alone: a database, a connection, a schema, a job's state (Python: only
    /// `FoveaError`).
    State,
    /// Something looked up does not exist (Python: also `LookupError`).
    Lookup,
    /// A wait ran out of time (Python: also `TimeoutError`).
    Timeout,
}

/// One registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The stable code, kebab-case.
    pub code: &'static str,
    /// Its family.
    pub family: Family,
    /// Which part of fovea raises it: `core`, `store` or `jobs`.
    pub origin: &'static str,
}

const fn code(code: &'static str, family: Family, origin: &'static str) -> Code {
    Code {
        code,
        family,
        origin,
    }
}

use Family::*;

/// Every code, grouped by origin.
pub const REGISTRY: &[Code] = &[
    code("invalid-json", Input, "core"),
    code("invalid-type", Type, "core"),
    code("missing-field", Input, "core"),
    code("frame-not-integer", Input, "core"),
    code("frame-negative", Input, "core"),
    code("frame-too-large", Input, "core"),
    code("non-finite-number", Input, "core"),
    code("unrecognised-input", Input, "core"),
    code("invalid-option", Input, "core"),
    code("unsupported-parametric", Input, "core"),
    code("unsupported-interpolation", Input, "core"),
    code("invalid-control-point", Input, "core"),
    code("invalid-range", Input, "core"),
    code("buffer-too-small", Input, "core"),
    code("keyframe-exists", Refusal, "core"),
    code("not-a-keyframe", Refusal, "core"),
    code("end-keyframe", Refusal, "core"),
    code("no-keyframes", Refusal, "core"),
    code("outside-span", Refusal, "core"),
    code("invalid-envelope", Input, "core"),
    code("line-too-long", Input, "core"),
    code("invalid-utf8", Input, "core"),
    code("io", Io, "core"),
    code("too-many-frames", Input, "core"),
    code("limit-exceeded", Input, "core"),
    code("database", State, "store"),
    code("unsupported-url", Input, "store"),
    code("schema", State, "store"),
    code("unreadable-row", State, "store"),
    code("invalid-row", Input, "store"),
    code("missing-persona", Input, "store"),
    code("candidate-not-found", Lookup, "store"),
    code("conflict", State, "store"),
    code("missing-dependency", Lookup, "store"),
    code("invalid-job-id", Input, "jobs"),
    code("payload-too-large", Input, "jobs"),
    code("job-not-found", Lookup, "jobs"),
    code("stale-lease", State, "jobs"),
    code("invalid-state", State, "jobs"),
    code("operation-refused", State, "jobs"),
    code("timeout", Timeout, "jobs"),
    code("aborted", State, "jobs"),
    code("queue-closed", State, "jobs"),
    code("queue-backend", State, "jobs"),
];

/// The registered code `name`, if it is one.
pub fn lookup(name: &str) -> Option<&'static Code> {
    REGISTRY.iter().find(|c| c.code == name)
}

/// The family of `name`; an unregistered code (none should exist) counts as [`Family::State`].
pub fn family(name: &str) -> Family {
    lookup(name).map_or(Family::State, |c| c.family)
}

/// The kind of an I/O failure as hosts show it, kebab-case: `not-found`, `permission-denied`,
/// `is-a-directory`, … (Node's `ioKind`).
pub fn io_kind_name(kind: std::io::ErrorKind) -> String {
    let debug = format!("{kind:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for c in REGISTRY {
            assert!(seen.insert(c.code), "{} registered twice", c.code);
            assert!(
                c.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                c.code
            );
        }
    }

    #[test]
    fn io_kinds_read_as_kebab_case() {
        use std::io::ErrorKind as K;
        assert_eq!(io_kind_name(K::NotFound), "not-found");
        assert_eq!(io_kind_name(K::IsADirectory), "is-a-directory");
        assert_eq!(io_kind_name(K::PermissionDenied), "permission-denied");
    }

    #[test]
    fn every_core_code_is_registered_with_its_family() {
        for code in crate::Error::CODES {
            assert!(lookup(code).is_some(), "{code} is not registered");
        }
        for code in crate::Refusal::CODES {
            assert_eq!(family(code), Family::Refusal, "{code}");
        }
        assert_eq!(family("io"), Family::Io);
        assert_eq!(family("no-such-code"), Family::State);
    }
}
