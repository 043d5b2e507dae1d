//! Reading annotation rows from SQLite through its C API, on the connection sqlx holds.
//!
//! sqlx's SQLite driver steps statements on a worker thread and sends every row, its values
//! copied, through a channel: per row a copy, a cross-thread allocation and free (contending on
//! SQLite's allocator mutex) and often a thread wake-up — most of an export's time. Here the
//! connection is locked (`lock_handle`) and the statement stepped on the calling thread; each
//! value is copied once, into the [`AnnotationRow`]. O(rows), no per-row synchronisation.

use crate::error::{DbError, Result};
use crate::rows::AnnotationRow;
use crate::sql::Arg;
use libsqlite3_sys as ffi;
use std::ffi::{CStr, c_int};
use std::ptr::NonNull;

/// A prepared statement, finalized on drop.
struct Statement {
    db: NonNull<ffi::sqlite3>,
    stmt: *mut ffi::sqlite3_stmt,
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: `stmt` came from `sqlite3_prepare_v2` on `db` and is finalized once.
        unsafe { ffi::sqlite3_finalize(self.stmt) };
    }
}

impl Statement {
    fn error(&self, rc: c_int) -> DbError {
        // SAFETY: `db` is an open connection; the message is copied before the next call.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db.as_ptr())) };
        DbError::Sql(sqlx::Error::Protocol(format!(
            "SQLite error {rc}: {}",
            message.to_string_lossy()
        )))
    }

    /// Column `i` of the current row as text (`None` for NULL).
    fn text(&self, i: c_int) -> Result<Option<String>> {
        // SAFETY: the statement has a current row and `i` is one of its columns; the pointer
        // is valid for `bytes` bytes until the next step, and is copied before that.
        unsafe {
            if ffi::sqlite3_column_type(self.stmt, i) == ffi::SQLITE_NULL {
                return Ok(None);
            }
            let ptr = ffi::sqlite3_column_text(self.stmt, i);
            let len = ffi::sqlite3_column_bytes(self.stmt, i);
            let bytes = std::slice::from_raw_parts(ptr, usize::try_from(len).unwrap_or(0));
            String::from_utf8(bytes.to_vec()).map(Some).map_err(|_| {
                DbError::Sql(sqlx::Error::Protocol(format!(
                    "column {i} of an annotation row is not UTF-8"
                )))
            })
        }
    }

    fn real(&self, i: c_int) -> Option<f64> {
        // SAFETY: as in `text`.
        unsafe {
            (ffi::sqlite3_column_type(self.stmt, i) != ffi::SQLITE_NULL)
                .then(|| ffi::sqlite3_column_double(self.stmt, i))
        }
    }
}

impl Statement {
    /// Prepares `sql` on `db`.
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Self> {
        let mut stmt = Statement {
            db,
            stmt: std::ptr::null_mut(),
        };
        let len =
            c_int::try_from(sql.len()).map_err(|_| DbError::Schema("statement too long".into()))?;
        // SAFETY: `db` is an open connection locked for this thread; `sql` is valid for `len`
        // bytes; the statement is finalized by `Statement::drop`.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                &mut stmt.stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(stmt.error(rc));
        }
        Ok(stmt)
    }

    /// Binds `arg` to parameter `i` (1-based); text is copied by SQLite.
    fn bind(&self, i: c_int, arg: &Arg) -> Result<()> {
        let text = |s: &str| -> Result<c_int> {
            let n =
                c_int::try_from(s.len()).map_err(|_| DbError::Schema("value too long".into()))?;
            // SAFETY: SQLITE_TRANSIENT makes SQLite copy the value before the call returns.
            Ok(unsafe {
                ffi::sqlite3_bind_text(self.stmt, i, s.as_ptr().cast(), n, ffi::SQLITE_TRANSIENT())
            })
        };
        // SAFETY (the calls below): the statement is prepared and `i` is one of its parameters.
        let rc = match arg {
            Arg::Text(s) | Arg::Json(s) => text(s)?,
            Arg::OptText(None) | Arg::OptJson(None) | Arg::Float(None) => unsafe {
                ffi::sqlite3_bind_null(self.stmt, i)
            },
            Arg::OptText(Some(s)) | Arg::OptJson(Some(s)) => text(s)?,
            Arg::Float(Some(v)) => unsafe { ffi::sqlite3_bind_double(self.stmt, i, *v) },
            Arg::Bool(b) => unsafe { ffi::sqlite3_bind_int64(self.stmt, i, i64::from(*b)) },
            Arg::Int(v) => unsafe { ffi::sqlite3_bind_int64(self.stmt, i, *v) },
            // As sqlx writes (and reads back) a NaiveDateTime in SQLite.
            Arg::Time(t) => text(&t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())?,
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(rc));
        }
        Ok(())
    }
}

/// Runs `sql` (the `SELECT` of [`crate::load::annotation_query`], whose values are all text)
/// on `db` and gives every row to `each`, stopping at the first error.
pub(crate) fn for_each(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    args: &[Arg],
    mut each: impl FnMut(AnnotationRow) -> Result<()>,
) -> Result<()> {
    let stmt = Statement::prepare(db, sql)?;
    for (i, arg) in args.iter().enumerate() {
        stmt.bind(i as c_int + 1, arg)?;
    }
    loop {
        // SAFETY: the statement is prepared and bound.
        match unsafe { ffi::sqlite3_step(stmt.stmt) } {
            ffi::SQLITE_ROW => {
                let text = |i| stmt.text(i).map(Option::unwrap_or_default);
                each(AnnotationRow {
                    id: text(0)?,
                    video_id: text(1)?,
                    persona_id: text(2)?,
                    kind: text(3)?,
                    label: text(4)?,
                    frames: text(5)?,
                    confidence: stmt.real(6),
                    source: text(7)?,
                })?;
            }
            ffi::SQLITE_DONE => return Ok(()),
            rc => return Err(stmt.error(rc)),
        }
    }
}
