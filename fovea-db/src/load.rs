//! Reading FOVEA's tables into fovea's model.

use crate::error::Result;
use crate::records::{PersonaRow, VideoRow, WORLD_COLUMNS, ontology_of, world_items};
use crate::rows::{AnnotationRow, RowError, decode};
use crate::sql::{Arg, Backend, Conn, Sql, fetch_all};
use chrono::NaiveDateTime;
use fovea_core::jsonl::LineData;
use fovea_core::model::{Annotation, Persona, PersonaOntology, Video};
use futures_util::StreamExt;
use sqlx::Row;

/// The ids of every user.
pub(crate) async fn user_ids(conn: &mut Conn<'_>) -> Result<Vec<String>> {
    let sql = Sql::new(conn.backend(), r#"SELECT "id" FROM "users""#);
    Ok(fetch_all!(conn, sql, |r| r.try_get::<String, _>(0))?)
}

/// Every persona, oldest first.
pub(crate) async fn personas(conn: &mut Conn<'_>) -> Result<Vec<Persona>> {
    let sql = Sql::new(
        conn.backend(),
        r#"SELECT "id", "userId", "name", "role", "informationNeed", "details",
                  "isSystemGenerated", "hidden", "createdAt", "updatedAt"
           FROM "personas" ORDER BY "createdAt", "id""#,
    );
    let rows = fetch_all!(conn, sql, |r| Ok((
        PersonaRow {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            name: r.try_get(2)?,
            role: r.try_get(3)?,
            information_need: r.try_get(4)?,
            details: r.try_get(5)?,
            is_system_generated: r.try_get(6)?,
            hidden: r.try_get(7)?,
            created_at: r.try_get(8)?,
        },
        r.try_get::<NaiveDateTime, _>(9)?
    )))?;
    Ok(rows
        .into_iter()
        .map(|(p, updated)| p.persona(updated))
        .collect())
}

/// Every persona's ontology, in the order of their personas.
pub(crate) async fn ontologies(conn: &mut Conn<'_>) -> Result<Vec<PersonaOntology>> {
    let b = conn.backend();
    let text = format!(
        r#"SELECT o."id", o."personaId", {}, {}, {}, {}, o."createdAt", o."updatedAt"
           FROM "ontologies" o JOIN "personas" p ON p."id" = o."personaId"
           ORDER BY p."createdAt", p."id""#,
        b.json_text(r#"o."entityTypes""#),
        b.json_text(r#"o."eventTypes""#),
        b.json_text(r#"o."roleTypes""#),
        b.json_text(r#"o."relationTypes""#),
    );
    Ok(fetch_all!(conn, Sql::new(b, &text), |r| Ok(ontology_of(
        r.try_get(0)?,
        r.try_get(1)?,
        [r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?],
        r.try_get(6)?,
        r.try_get(7)?,
    )))?)
}

/// Every video, oldest first.
pub(crate) async fn videos(conn: &mut Conn<'_>) -> Result<Vec<Video>> {
    let b = conn.backend();
    let text = format!(
        r#"SELECT "id", "filename", "path", "duration", "frameRate", "resolution", {}
           FROM "videos" ORDER BY "createdAt", "id""#,
        b.json_text(r#""metadata""#)
    );
    let rows = fetch_all!(conn, Sql::new(b, &text), |r| Ok(VideoRow {
        id: r.try_get(0)?,
        filename: r.try_get(1)?,
        path: r.try_get(2)?,
        duration: r.try_get(3)?,
        frame_rate: r.try_get(4)?,
        resolution: r.try_get(5)?,
        metadata: r.try_get(6)?,
    }))?;
    Ok(rows.into_iter().map(VideoRow::video).collect())
}

/// The world objects of `user` (kind by kind, in the table's column order), with the errors of
/// items that do not read as their kind.
pub(crate) async fn world(
    conn: &mut Conn<'_>,
    user: &str,
) -> Result<(Vec<LineData>, Vec<fovea_core::Error>)> {
    let b = conn.backend();
    let columns: Vec<String> = WORLD_COLUMNS
        .iter()
        .map(|(c, _)| b.json_text(&format!("\"{c}\"")))
        .collect();
    let mut sql = Sql::new(
        b,
        &format!(
            r#"SELECT {} FROM "world_state" WHERE "userId" = "#,
            columns.join(", ")
        ),
    );
    sql.bind(Arg::Text(user.to_owned()));
    let rows = fetch_all!(conn, sql, |r| (0..WORLD_COLUMNS.len())
        .map(|i| r.try_get::<String, _>(i))
        .collect::<sqlx::Result<Vec<String>>>())?;
    let (mut objects, mut errors) = (Vec::new(), Vec::new());
    for row in rows {
        for ((_, kind), column) in WORLD_COLUMNS.iter().zip(row) {
            for item in world_items(&column) {
                match LineData::parse(kind.clone(), &item) {
                    Ok(data) => objects.push(data),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    Ok((objects, errors))
}

/// Which annotation rows a query reads (every filter given must hold; lists longer than a
/// statement's parameters allow are the caller's to split).
#[derive(Debug, Clone, Default)]
pub(crate) struct RowFilter<'a> {
    /// Only these ids.
    pub ids: Option<&'a [String]>,
    /// Only rows on these videos.
    pub videos: Option<&'a [String]>,
    /// Only rows of these personas (the `personaId` column).
    pub personas: Option<&'a [String]>,
    /// Only rows of these types (the `type` column).
    pub types: Option<&'a [String]>,
    /// In storage order (a table scan) rather than by id (an index scan): what a whole export
    /// reads, about a quarter faster on Postgres. A store filled by one import holds its rows
    /// in the file's order; updated rows move.
    pub storage_order: bool,
}

/// The `SELECT` of annotation rows matching `filter`, by id or in storage order.
pub(crate) fn annotation_query(b: Backend, filter: &RowFilter<'_>) -> Sql {
    let mut sql = Sql::new(
        b,
        &format!(
            r#"SELECT "id", "videoId", "personaId", "type", "label", {}, "confidence", "source"
               FROM "annotations" WHERE TRUE"#,
            b.json_text(r#""frames""#)
        ),
    );
    let list = |sql: &mut Sql, column: &str, values: &[String]| {
        if values.is_empty() {
            sql.push(" FALSE");
        } else {
            sql.push(&format!(" \"{column}\" IN "))
                .bind_list(values.iter().map(String::as_str));
        }
    };
    let filters = [
        ("id", filter.ids),
        ("videoId", filter.videos),
        ("personaId", filter.personas),
        ("type", filter.types),
    ];
    for (column, values) in filters {
        if let Some(values) = values {
            sql.push(" AND");
            list(&mut sql, column, values);
        }
    }
    if !filter.storage_order {
        // The primary key's index gives a stable order without sorting the table.
        sql.push(r#" ORDER BY "id""#);
    }
    sql
}

/// Gives every annotation row a statement selects to `each`, in order, with constant memory:
/// Postgres rows are read from the connection as they arrive; SQLite rows are stepped on this
/// thread through SQLite's C API (see [`crate::sqlite_rows`]), which blocks it meanwhile.
pub(crate) async fn each_annotation_row(
    conn: &mut Conn<'_>,
    sql: Sql,
    mut each: impl FnMut(AnnotationRow) -> Result<()>,
) -> Result<()> {
    let (text, args) = sql.into_parts();
    match conn {
        Conn::Sqlite(c) => {
            let mut handle = c.lock_handle().await?;
            crate::sqlite_rows::for_each(handle.as_raw_handle(), &text, &args, each)
        }
        Conn::Pg(c) => {
            let text = sqlx::AssertSqlSafe(text);
            let mut rows = crate::sql::bind_args!(sqlx::query(text), args).fetch(&mut **c);
            while let Some(row) = rows.next().await {
                let r = row?;
                each(AnnotationRow {
                    id: r.try_get(0)?,
                    video_id: r.try_get(1)?,
                    persona_id: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    label: r.try_get(4)?,
                    frames: r.try_get(5)?,
                    confidence: r.try_get(6)?,
                    source: r.try_get(7)?,
                })?;
            }
            Ok(())
        }
    }
}

/// Every annotation a filter selects, by id, with the rows that do not read.
pub(crate) async fn annotations(
    conn: &mut Conn<'_>,
    filter: &RowFilter<'_>,
) -> Result<(Vec<Annotation>, Vec<RowError>)> {
    let sql = annotation_query(conn.backend(), filter);
    let (mut found, mut bad) = (Vec::new(), Vec::new());
    each_annotation_row(conn, sql, |row| {
        match decode(&row) {
            Ok(a) => found.push(a),
            Err(e) => bad.push(e),
        }
        Ok(())
    })
    .await?;
    Ok((found, bad))
}
