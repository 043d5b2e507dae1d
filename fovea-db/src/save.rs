//! Writing to FOVEA's tables in batches of `INSERT … ON CONFLICT … DO UPDATE`: on Postgres
//! one statement per batch of 5,000 rows (one array per column), on SQLite one multi-row
//! statement per batch of up to 1,000 rows (within its parameter limit).
//!
//! In [`Failure::Abort`] mode the first failing statement fails the write (the caller's
//! transaction then rolls everything back). In [`Failure::Isolate`] mode each batch runs in a
//! savepoint; a batch that fails is rolled back to it and retried row by row, each row in its own
//! savepoint, so one bad row costs only itself and is reported with its key.

use crate::error::Result;
use crate::sql::{Arg, Backend, Conn, Sql};

/// A table written by upsert.
pub(crate) struct Upsert {
    /// The table.
    pub table: &'static str,
    /// The columns written, in the order of each row's values.
    pub columns: &'static [&'static str],
    /// The conflict target (`ON CONFLICT (…)`); `None`: insert, ignoring rows that conflict.
    pub key: Option<&'static str>,
    /// The columns an existing row takes from the new one.
    pub update: &'static [&'static str],
}

pub(crate) const ANNOTATIONS: Upsert = Upsert {
    table: "annotations",
    columns: &[
        "id",
        "videoId",
        "personaId",
        "type",
        "label",
        "frames",
        "confidence",
        "source",
        "createdAt",
        "updatedAt",
    ],
    key: Some("id"),
    update: &[
        "videoId",
        "personaId",
        "type",
        "label",
        "frames",
        "confidence",
        "source",
        "updatedAt",
    ],
};

pub(crate) const PERSONAS: Upsert = Upsert {
    table: "personas",
    columns: &[
        "id",
        "userId",
        "name",
        "role",
        "informationNeed",
        "details",
        "isSystemGenerated",
        "hidden",
        "createdAt",
        "updatedAt",
    ],
    key: Some("id"),
    update: &[
        "name",
        "role",
        "informationNeed",
        "details",
        "isSystemGenerated",
        "hidden",
        "updatedAt",
    ],
};

pub(crate) const ONTOLOGIES: Upsert = Upsert {
    table: "ontologies",
    columns: &[
        "id",
        "personaId",
        "entityTypes",
        "eventTypes",
        "roleTypes",
        "relationTypes",
        "createdAt",
        "updatedAt",
    ],
    key: Some("personaId"),
    update: &[
        "entityTypes",
        "eventTypes",
        "roleTypes",
        "relationTypes",
        "updatedAt",
    ],
};

pub(crate) const VIDEOS: Upsert = Upsert {
    table: "videos",
    columns: &[
        "id",
        "filename",
        "path",
        "duration",
        "frameRate",
        "resolution",
        "metadata",
        "updatedAt",
    ],
    key: Some("id"),
    update: &[
        "filename",
        "path",
        "duration",
        "frameRate",
        "resolution",
        "metadata",
        "updatedAt",
    ],
};

pub(crate) const WORLD_STATE: Upsert = Upsert {
    table: "world_state",
    columns: &[
        "id",
        "userId",
        "entities",
        "events",
        "times",
        "entityCollections",
        "eventCollections",
        "timeCollections",
        "relations",
        "updatedAt",
    ],
    key: Some("userId"),
    update: &[
        "entities",
        "events",
        "times",
        "entityCollections",
        "eventCollections",
        "timeCollections",
        "relations",
        "updatedAt",
    ],
};

pub(crate) const USERS: Upsert = Upsert {
    table: "users",
    columns: &["id", "username", "displayName", "updatedAt"],
    key: None,
    update: &[],
};

pub(crate) const IMPORT_HISTORY: Upsert = Upsert {
    table: "import_history",
    columns: &[
        "id",
        "filename",
        "importedBy",
        "importOptions",
        "result",
        "success",
        "itemsImported",
        "itemsSkipped",
        "createdAt",
    ],
    key: None,
    update: &[],
};

/// What a failing statement does to the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Fail the write.
    Abort,
    /// Isolate failing rows in savepoints; report them and go on.
    Isolate,
}

/// A row to write: a key naming it in reports, and its values in column order.
pub(crate) struct Row<K> {
    pub key: K,
    pub values: Vec<Arg>,
}

/// Rows per statement of [`upsert`] into `spec`'s table.
pub(crate) fn batch_size(backend: Backend, spec: &Upsert) -> usize {
    match backend {
        // One array per column: no parameter limit.
        Backend::Postgres => 5000,
        // Within SQLite's 32,766 parameters.
        Backend::Sqlite => (32_766 / spec.columns.len()).clamp(1, 1000),
    }
}

/// Writes `rows` into `spec`'s table; returns the rows that failed (only in
/// [`Failure::Isolate`] mode) with the database's reason. `written` is told the number of rows
/// written after each batch.
pub(crate) async fn upsert<K>(
    conn: &mut Conn<'_>,
    spec: &Upsert,
    rows: Vec<Row<K>>,
    failure: Failure,
    written: &mut (dyn FnMut(u64) + Send),
) -> Result<Vec<(K, sqlx::Error)>> {
    let per_batch = batch_size(conn.backend(), spec);
    let mut failed = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Row<K>> = rows.by_ref().take(per_batch).collect();
        let n = batch.len() as u64;
        match failure {
            Failure::Abort => {
                run_batch(conn, spec, batch.into_iter().map(|r| r.values).collect()).await?;
            }
            Failure::Isolate => failed.extend(isolated(conn, spec, batch).await?),
        }
        written(n);
    }
    Ok(failed)
}

/// Runs one batch in a savepoint, and row by row when the batch fails.
async fn isolated<K>(
    conn: &mut Conn<'_>,
    spec: &Upsert,
    batch: Vec<Row<K>>,
) -> Result<Vec<(K, sqlx::Error)>> {
    conn.run("SAVEPOINT fovea_batch").await?;
    let all = statement(conn.backend(), spec, batch.iter().map(|r| r.values.clone()));
    if conn.execute(all).await.is_ok() {
        conn.run("RELEASE SAVEPOINT fovea_batch").await?;
        return Ok(Vec::new());
    }
    conn.run("ROLLBACK TO SAVEPOINT fovea_batch").await?;
    let mut failed = Vec::new();
    for row in batch {
        conn.run("SAVEPOINT fovea_row").await?;
        match conn
            .execute(statement(conn.backend(), spec, std::iter::once(row.values)))
            .await
        {
            Ok(_) => conn.run("RELEASE SAVEPOINT fovea_row").await?,
            Err(e) => {
                conn.run("ROLLBACK TO SAVEPOINT fovea_row").await?;
                failed.push((row.key, e));
            }
        }
    }
    conn.run("RELEASE SAVEPOINT fovea_batch").await?;
    Ok(failed)
}

/// Writes one batch: on Postgres as one array per column through `UNNEST` (one short
/// statement, prepared once, whatever the batch size), on SQLite as a multi-row `VALUES`.
async fn run_batch(conn: &mut Conn<'_>, spec: &Upsert, rows: Vec<Vec<Arg>>) -> sqlx::Result<u64> {
    match conn {
        Conn::Pg(c) => unnest(c, spec, rows).await,
        // One multi-row statement: single-row statements would each write SQLite's statement
        // journal (an upsert may fail halfway), costing more than the rows themselves.
        Conn::Sqlite(_) => {
            let sql = statement(Backend::Sqlite, spec, rows.into_iter());
            conn.execute(sql).await
        }
    }
}

/// One column of a batch, as the array Postgres receives.
enum Column {
    Text(Vec<Option<String>>),
    Json(Vec<Option<String>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Time(Vec<chrono::NaiveDateTime>),
}

impl Column {
    fn new(first: &Arg, n: usize) -> Self {
        match first {
            Arg::Text(_) | Arg::OptText(_) => Column::Text(Vec::with_capacity(n)),
            Arg::Json(_) | Arg::OptJson(_) => Column::Json(Vec::with_capacity(n)),
            Arg::Float(_) => Column::Float(Vec::with_capacity(n)),
            Arg::Bool(_) => Column::Bool(Vec::with_capacity(n)),
            Arg::Int(_) => Column::Int(Vec::with_capacity(n)),
            Arg::Time(_) => Column::Time(Vec::with_capacity(n)),
        }
    }

    fn push(&mut self, arg: Arg) {
        match (self, arg) {
            (Column::Text(v), Arg::Text(t)) | (Column::Json(v), Arg::Json(t)) => v.push(Some(t)),
            (Column::Text(v), Arg::OptText(t)) | (Column::Json(v), Arg::OptJson(t)) => v.push(t),
            (Column::Float(v), Arg::Float(f)) => v.push(f),
            (Column::Bool(v), Arg::Bool(b)) => v.push(b),
            (Column::Int(v), Arg::Int(i)) => v.push(i),
            (Column::Time(v), Arg::Time(t)) => v.push(t),
            _ => unreachable!("every row of a table binds the same types"),
        }
    }

    /// The array's SQL type.
    fn array_type(&self) -> &'static str {
        match self {
            Column::Text(_) | Column::Json(_) => "text[]",
            Column::Float(_) => "float8[]",
            Column::Bool(_) => "bool[]",
            Column::Int(_) => "int8[]",
            Column::Time(_) => "timestamp[]",
        }
    }
}

/// `INSERT INTO t (…) SELECT … FROM UNNEST($1::text[], …) ON CONFLICT …` on Postgres.
async fn unnest(
    c: &mut sqlx::PgConnection,
    spec: &Upsert,
    rows: Vec<Vec<Arg>>,
) -> sqlx::Result<u64> {
    let Some(first) = rows.first() else {
        return Ok(0);
    };
    let mut columns: Vec<Column> = first.iter().map(|a| Column::new(a, rows.len())).collect();
    for row in rows {
        for (column, arg) in columns.iter_mut().zip(row) {
            column.push(arg);
        }
    }
    let quoted: Vec<String> = spec.columns.iter().map(|c| format!("\"{c}\"")).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}", i + 1, c.array_type()))
        .collect();
    let selected: Vec<String> = columns
        .iter()
        .zip(&quoted)
        .map(|(c, name)| match c {
            Column::Json(_) => format!("u.{name}::jsonb"),
            _ => format!("u.{name}"),
        })
        .collect();
    let text = format!(
        "INSERT INTO \"{}\" ({}) SELECT {} FROM UNNEST({}) AS u({}){}",
        spec.table,
        quoted.join(", "),
        selected.join(", "),
        arrays.join(", "),
        quoted.join(", "),
        on_conflict(spec)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
    for column in columns {
        q = match column {
            Column::Text(v) | Column::Json(v) => q.bind(v),
            Column::Float(v) => q.bind(v),
            Column::Bool(v) => q.bind(v),
            Column::Int(v) => q.bind(v),
            Column::Time(v) => q.bind(v),
        };
    }
    Ok(q.execute(c).await?.rows_affected())
}

/// The statement's `ON CONFLICT` clause.
fn on_conflict(spec: &Upsert) -> String {
    match spec.key {
        Some(key) => {
            let sets: Vec<String> = spec
                .update
                .iter()
                .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
                .collect();
            format!(" ON CONFLICT (\"{key}\") DO UPDATE SET {}", sets.join(", "))
        }
        None => " ON CONFLICT DO NOTHING".to_owned(),
    }
}

/// `INSERT INTO t (…) VALUES (…), (…) ON CONFLICT …` for the given rows.
fn statement(backend: Backend, spec: &Upsert, rows: impl Iterator<Item = Vec<Arg>>) -> Sql {
    let quoted: Vec<String> = spec.columns.iter().map(|c| format!("\"{c}\"")).collect();
    let mut sql = Sql::new(
        backend,
        &format!(
            "INSERT INTO \"{}\" ({}) VALUES ",
            spec.table,
            quoted.join(", ")
        ),
    );
    for (i, values) in rows.enumerate() {
        debug_assert_eq!(values.len(), spec.columns.len());
        sql.push(if i == 0 { "(" } else { ", (" });
        for (j, v) in values.into_iter().enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.bind(v);
        }
        sql.push(")");
    }
    sql.push(&on_conflict(spec));
    sql
}
