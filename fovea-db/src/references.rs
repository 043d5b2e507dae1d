//! What annotations refer to, checked before they are written: the database's foreign keys
//! would refuse a missing video or persona with a driver message that names neither (SQLite's
//! names no column at all), so the store looks first and names the field and the id.

use crate::error::{DbError, Result};
use crate::sql::{Arg, Conn, Sql, fetch_all};
use fovea_core::model::Annotation;
use sqlx::Row;
use std::collections::{BTreeSet, HashSet};

/// Ids bound per query (below every backend's limit on bound values).
const CHUNK: usize = 500;

/// The ids among `ids` that `table` (one of FOVEA's, keyed by `id`) holds. One query per
/// `CHUNK` distinct ids.
async fn existing<'a>(
    conn: &mut Conn<'_>,
    table: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashSet<String>> {
    let wanted: Vec<&str> = ids.collect::<BTreeSet<_>>().into_iter().collect();
    let mut found = HashSet::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let mut sql = Sql::new(
            conn.backend(),
            &format!(r#"SELECT "id" FROM "{table}" WHERE "id" IN "#),
        );
        sql.bind_list(chunk.iter().copied());
        found.extend(fetch_all!(conn, sql, |r| r.try_get::<String, _>(0))?);
    }
    Ok(found)
}

/// Fails with `missing-dependency`, naming the field (`path(i, "videoId")`,
/// `path(i, "personaId")`) and the id, at the first annotation whose video — or, for a type
/// annotation, persona — the store lacks (object annotations are filed under the user's own
/// persona). O(annotations), two queries per 500 distinct ids.
pub(crate) async fn check(
    conn: &mut Conn<'_>,
    annotations: &[Annotation],
    path: impl Fn(usize, &str) -> String,
) -> Result<()> {
    let typed = || annotations.iter().filter(|a| !a.is_object());
    let videos = existing(
        conn,
        "videos",
        annotations.iter().map(|a| a.video_id.as_str()),
    )
    .await?;
    let personas = existing(
        conn,
        "personas",
        typed().filter_map(|a| a.persona_id.as_deref()),
    )
    .await?;
    for (i, a) in annotations.iter().enumerate() {
        if !videos.contains(&a.video_id) {
            return Err(DbError::MissingDependency {
                what: "video",
                id: a.video_id.clone(),
                path: Some(path(i, "videoId")),
            });
        }
        if let Some(persona) = a.persona_id.as_deref()
            && !a.is_object()
            && !personas.contains(persona)
        {
            return Err(DbError::MissingDependency {
                what: "persona",
                id: persona.to_owned(),
                path: Some(path(i, "personaId")),
            });
        }
    }
    Ok(())
}
