//! Writing to FOVEA's tables in batches: multi-row `INSERT … ON CONFLICT … DO UPDATE`, as
//! many rows per statement as the backend's parameter limit allows (at most 1,000).
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
    let per_batch = (conn.backend().max_params() / spec.columns.len()).clamp(1, 1000);
    let mut failed = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Row<K>> = rows.by_ref().take(per_batch).collect();
        let n = batch.len() as u64;
        match failure {
            Failure::Abort => {
                conn.execute(statement(
                    conn.backend(),
                    spec,
                    batch.into_iter().map(|r| r.values),
                ))
                .await?;
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
    match spec.key {
        Some(key) => {
            let sets: Vec<String> = spec
                .update
                .iter()
                .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
                .collect();
            sql.push(&format!(
                " ON CONFLICT (\"{key}\") DO UPDATE SET {}",
                sets.join(", ")
            ))
        }
        None => sql.push(" ON CONFLICT DO NOTHING"),
    };
    sql
}
