//! SQL that runs on both backends: a statement builder that writes each dialect's placeholders
//! and JSON casts, the values it binds, and the connection it runs on.
//!
//! FOVEA's tables read the same in Postgres and SQLite (quoted camelCase columns, `INSERT … ON
//! CONFLICT … DO UPDATE SET c = excluded.c`, `SAVEPOINT`), so one statement text serves both
//! but for two details: placeholders (`$1` / `?`) and JSON columns (`JSONB`, bound as text and
//! cast, in Postgres; `TEXT` in SQLite). Every value is bound, never spliced into the text.

use chrono::NaiveDateTime;
use sqlx::{PgConnection, SqliteConnection};

/// The two databases a store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Postgres on FOVEA's schema.
    Postgres,
    /// An embedded SQLite file.
    Sqlite,
}

impl Backend {
    /// How a `SELECT` reads a JSON column as text.
    pub(crate) fn json_text(self, column: &str) -> String {
        match self {
            Backend::Postgres => format!("{column}::text"),
            Backend::Sqlite => column.to_owned(),
        }
    }
}

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Float(Option<f64>),
    Bool(bool),
    Int(i64),
    Time(NaiveDateTime),
    /// JSON text for a JSON column.
    Json(String),
    OptJson(Option<String>),
}

/// A statement being built: its text and the values it binds, in order.
#[derive(Debug)]
pub(crate) struct Sql {
    backend: Backend,
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(backend: Backend, text: &str) -> Self {
        Sql {
            backend,
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends statement text (never data: data is bound).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds a value and appends its placeholder.
    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        use std::fmt::Write;
        let json = matches!(arg, Arg::Json(_) | Arg::OptJson(_));
        self.args.push(arg);
        match self.backend {
            Backend::Postgres => {
                write!(self.text, "${}", self.args.len()).expect("a String takes writes");
                if json {
                    self.text.push_str("::jsonb");
                }
            }
            Backend::Sqlite => self.text.push('?'),
        }
        self
    }

    /// Appends `(?, ?, …)`, binding `values`.
    pub(crate) fn bind_list<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) -> &mut Self {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Arg::Text(v.to_owned()));
        }
        self.push(")")
    }

    /// The statement's text.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

/// A connection of either backend (a pooled one or a transaction's).
pub(crate) enum Conn<'a> {
    Pg(&'a mut PgConnection),
    Sqlite(&'a mut SqliteConnection),
}

/// Binds every value of `args` to a query of either backend; the expansion is the same text
/// for both, type-checked against each.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::Text(v) | Arg::Json(v) => q.bind(v),
                Arg::OptText(v) | Arg::OptJson(v) => q.bind(v),
                Arg::Float(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Time(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Runs the same code on the connection of either backend: `$c` is the
/// `&mut PgConnection` or `&mut SqliteConnection`.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::sql::Conn::Pg($c) => $body,
            $crate::sql::Conn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_conn;

impl Conn<'_> {
    /// The backend of this connection.
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Conn::Pg(_) => Backend::Postgres,
            Conn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Runs a statement; returns the rows it affected.
    pub(crate) async fn execute(&mut self, sql: Sql) -> sqlx::Result<u64> {
        let text = sqlx::AssertSqlSafe(sql.text);
        Ok(on_conn!(self, |c| bind_args!(sqlx::query(text), sql.args)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }

    /// Runs statement text that binds nothing (DDL, savepoints).
    pub(crate) async fn run(&mut self, text: &str) -> sqlx::Result<()> {
        let text = sqlx::AssertSqlSafe(text.to_owned());
        on_conn!(self, |c| sqlx::raw_sql(text)
            .execute(&mut **c)
            .await
            .map(drop))
    }
}

/// Fetches every row of a statement on either backend and maps each with `$map` (a closure
/// over the backend's row type, written once: `row.try_get(i)` reads both).
macro_rules! fetch_all {
    ($conn:expr, $sql:expr, |$row:ident| $map:expr) => {{
        let sql: $crate::sql::Sql = $sql;
        let (text, args) = sql.into_parts();
        let text = sqlx::AssertSqlSafe(text);
        $crate::sql::on_conn!($conn, |c| {
            let rows = $crate::sql::bind_args!(sqlx::query(text), args)
                .fetch_all(&mut **c)
                .await?;
            rows.iter()
                .map(|$row| -> sqlx::Result<_> { $map })
                .collect::<sqlx::Result<Vec<_>>>()
        })
    }};
}
pub(crate) use bind_args;
pub(crate) use fetch_all;

impl Sql {
    /// The statement's text and values.
    pub(crate) fn into_parts(self) -> (String, Vec<Arg>) {
        (self.text, self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_json_casts_follow_the_backend() {
        let build = |backend| {
            let mut s = Sql::new(backend, "INSERT INTO t (a, b) VALUES (");
            s.bind(Arg::Text("x".into()))
                .push(", ")
                .bind(Arg::Json("{}".into()))
                .push(") AND c IN ")
                .bind_list(["p", "q"]);
            s.text().to_owned()
        };
        assert_eq!(
            build(Backend::Postgres),
            "INSERT INTO t (a, b) VALUES ($1, $2::jsonb) AND c IN ($3, $4)"
        );
        assert_eq!(
            build(Backend::Sqlite),
            "INSERT INTO t (a, b) VALUES (?, ?) AND c IN (?, ?)"
        );
    }
}
