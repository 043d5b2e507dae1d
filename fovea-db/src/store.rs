//! The store: a connection pool to Postgres (FOVEA's tables) or to an embedded SQLite file,
//! and the operations both answer alike.

use crate::error::{DbError, Result};
use crate::load::{self, RowFilter};
use crate::records::{self, PersonaRow, VideoRow};
use crate::rows::{EncodeOptions, Layout, RowError, encode};
use crate::save::{self, Failure, Row};
use crate::schema::{self, SchemaReport};
use crate::sql::{Arg, Backend, Conn};
use fovea_core::model::{Annotation, Persona, Video};
use sqlx::Connection as _;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;

/// The database used when none is named: an SQLite file in the working directory.
pub const DEFAULT_URL: &str = "sqlite://fovea.db";

/// The file a `sqlite:` URL names (`sqlite://PATH` or `sqlite:PATH`, options after `?`), or
/// `None` for another URL or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.contains("mode=memory");
    (!in_memory).then(|| path.into())
}

/// The user that owns personas and world objects when none is named.
pub const DEFAULT_USER: &str = "default-user";

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The user whose world state and personas imports and exports use (FOVEA keeps one
    /// world-state row per user).
    pub user: String,
    /// The layout annotations are written in (default: the whole annotation, as FOVEA's
    /// importer writes it; [`Layout::Ui`] for rows FOVEA's UI can read).
    pub layout: Layout,
    /// The most connections the pool opens.
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            user: DEFAULT_USER.to_owned(),
            layout: Layout::Whole,
            max_connections: 8,
        }
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// A connection taken from the pool.
pub(crate) enum Held {
    Pg(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

impl Held {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Held::Pg(c) => Conn::Pg(c),
            Held::Sqlite(c) => Conn::Sqlite(c),
        }
    }
}

/// An open transaction.
pub(crate) enum Tx {
    Pg(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Pg(t) => Conn::Pg(t),
            Tx::Sqlite(t) => Conn::Sqlite(t),
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Pg(t) => t.commit().await?,
            Tx::Sqlite(t) => t.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            Tx::Pg(t) => t.rollback().await?,
            Tx::Sqlite(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// What a transaction is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TxKind {
    /// Reads that must see one snapshot.
    Read,
    /// Writes; imports also take the store's import lock (see [`Store::import`]).
    Write,
}

/// Annotations, personas, videos and world state in FOVEA's tables.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use fovea_db::Store;
/// let store = Store::connect("sqlite::memory:").await.unwrap();
/// let a = fovea_core::model::Annotation::from_json(r#"{"id":"a1","videoId":"v1",
///     "annotationType":"type","personaId":"p1","typeId":"t",
///     "boundingBoxSequence":{"boxes":[{"x":1,"y":2,"width":3,"height":4,"frameNumber":0,"isKeyframe":true}]}}"#).unwrap();
/// store.save_videos(&[serde_json::from_str(r#"{"id":"v1"}"#).unwrap()]).await.unwrap();
/// store.save_personas(&[serde_json::from_str(r#"{"id":"p1","name":"Analyst"}"#).unwrap()]).await.unwrap();
/// store.save_annotations(&[a.clone()]).await.unwrap();
/// assert_eq!(store.annotation("a1").await.unwrap(), Some(a));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    options: StoreOptions,
}

impl Store {
    /// Opens the database at `url` with default options: `postgres://…`/`postgresql://…`
    /// (FOVEA's tables must exist: see [`Store::migrate`]) or `sqlite:…` (the file is created,
    /// with its tables, when missing).
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, StoreOptions::default()).await
    }

    /// Opens the database at `url`.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Store> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?;
            // One connection first, so that a wrong address or credentials fail at once (a
            // pool would retry until its acquire timeout, 30 s).
            PgConnection::connect_with(&connect).await?.close().await?;
            Pool::Pg(
                PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .connect_lazy_with(connect),
            )
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With WAL, NORMAL is durable against application crashes (not power loss).
                .synchronous(SqliteSynchronous::Normal)
                // Statement journals (one per upsert batch) stay in memory.
                .pragma("temp_store", "memory")
                .busy_timeout(std::time::Duration::from_secs(60))
                // Rows cross from SQLite's worker thread in large batches, not one wake-up each.
                .row_buffer_size(4096);
            // An in-memory database lives in one connection.
            let max = if url.contains(":memory:") {
                1
            } else {
                options.max_connections
            };
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(max)
                    .connect_with(connect)
                    .await?,
            )
        } else {
            return Err(DbError::Url {
                url: url.to_owned(),
            });
        };
        let store = Store { pool, options };
        if store.backend() == Backend::Sqlite {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// The backend behind this store.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Pg(_) => Backend::Postgres,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Pg(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }

    pub(crate) async fn acquire(&self) -> Result<Held> {
        Ok(match &self.pool {
            Pool::Pg(p) => Held::Pg(p.acquire().await?),
            Pool::Sqlite(p) => Held::Sqlite(p.acquire().await?),
        })
    }

    pub(crate) async fn begin(&self, kind: TxKind) -> Result<Tx> {
        let mut tx = match (&self.pool, kind) {
            (Pool::Pg(p), TxKind::Read) => Tx::Pg(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
            (Pool::Pg(p), TxKind::Write) => Tx::Pg(p.begin().await?),
            (Pool::Sqlite(p), TxKind::Read) => Tx::Sqlite(p.begin().await?),
            // Take the write lock at once: a deferred transaction that reads and then writes
            // fails when another writer came between.
            (Pool::Sqlite(p), TxKind::Write) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        };
        if let Tx::Sqlite(_) = tx {
            // SQLite's page cache (per connection): large for writes, which would otherwise
            // spill mid-transaction; small for reads, which stream (an export's memory).
            let pages = match kind {
                TxKind::Read => "PRAGMA cache_size = -8192",
                TxKind::Write => "PRAGMA cache_size = -65536",
            };
            tx.conn().run(pages).await?;
        }
        Ok(tx)
    }

    /// Creates FOVEA's tables where they are missing, in one transaction, and never alters
    /// one that exists (so a database made by FOVEA's own migrations is used as it is).
    pub async fn migrate(&self) -> Result<SchemaReport> {
        let mut tx = self.begin(TxKind::Write).await?;
        let report = schema::migrate(&mut tx.conn()).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Fails, naming them, when FOVEA's tables are missing or lack columns.
    pub async fn check_schema(&self) -> Result<()> {
        schema::check(&mut self.acquire().await?.conn()).await
    }

    /// The annotation with this id, if a row holds it.
    pub async fn annotation(&self, id: &str) -> Result<Option<Annotation>> {
        let ids = [id.to_owned()];
        let filter = RowFilter {
            ids: Some(&ids),
            ..Default::default()
        };
        let (mut found, mut bad) =
            load::annotations(&mut self.acquire().await?.conn(), &filter).await?;
        match bad.pop() {
            Some(e) => Err(e.into()),
            None => Ok(found.pop()),
        }
    }

    /// The annotations on a video (all when `video_id` is `None`), by id, with the
    /// rows that hold no readable annotation.
    pub async fn annotations(
        &self,
        video_id: Option<&str>,
    ) -> Result<(Vec<Annotation>, Vec<RowError>)> {
        let videos = video_id.map(|v| vec![v.to_owned()]);
        let filter = RowFilter {
            videos: videos.as_deref(),
            ..Default::default()
        };
        load::annotations(&mut self.acquire().await?.conn(), &filter).await
    }

    /// Every video, oldest first.
    pub async fn videos(&self) -> Result<Vec<Video>> {
        load::videos(&mut self.acquire().await?.conn()).await
    }

    /// Stores annotations (inserting or replacing by id) in one transaction, in the store's
    /// layout, with `source = "manual"`. Their videos and (type annotations) personas must
    /// exist (else `missing-dependency`, naming the field and the id, and nothing is written);
    /// object annotations are filed under the user's system persona (see [`object_persona`]).
    pub async fn save_annotations(&self, annotations: &[Annotation]) -> Result<u64> {
        let mut tx = self.begin(TxKind::Write).await?;
        let n = self
            .save_annotations_on(&mut tx.conn(), annotations, |i, field| {
                format!("annotations[{i}].{field}")
            })
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// [`Store::save_annotations`] within the caller's transaction; `path` names the field of
    /// the `i`-th annotation that refers to something missing.
    pub(crate) async fn save_annotations_on(
        &self,
        conn: &mut Conn<'_>,
        annotations: &[Annotation],
        path: impl Fn(usize, &str) -> String,
    ) -> Result<u64> {
        let user = self.options.user.clone();
        crate::references::check(conn, annotations, path).await?;
        self.ensure_user(conn, &user).await?;
        let rows = annotation_rows(annotations, &user, self.options.layout, "manual")?;
        if annotations.iter().any(Annotation::is_object) {
            ensure_object_persona(conn, &user).await?;
        }
        let n = rows.len() as u64;
        save::upsert(conn, &save::ANNOTATIONS, rows, Failure::Abort, &mut |_| {}).await?;
        Ok(n)
    }

    /// Deletes annotations by id; returns how many rows were deleted.
    pub async fn delete_annotations(&self, ids: &[String]) -> Result<u64> {
        let mut tx = self.begin(TxKind::Write).await?;
        let n = delete_annotations(&mut tx.conn(), ids).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Stores personas (inserting or replacing by id) under the store's user.
    pub async fn save_personas(&self, personas: &[Persona]) -> Result<u64> {
        let user = &self.options.user;
        let rows = personas
            .iter()
            .filter_map(|p| p.id.as_deref().map(|id| persona_row(p, id, user)))
            .collect();
        self.write_rows(&save::PERSONAS, rows, Some(user)).await
    }

    /// Stores videos (inserting or replacing by id); the whole line is kept in `metadata`.
    pub async fn save_videos(&self, videos: &[Video]) -> Result<u64> {
        let rows = videos
            .iter()
            .filter_map(|v| v.id.as_deref().map(|id| video_row(v, id)))
            .collect();
        self.write_rows(&save::VIDEOS, rows, None).await
    }

    /// Makes sure a `users` row exists for `user`.
    pub(crate) async fn ensure_user(&self, conn: &mut Conn<'_>, user: &str) -> Result<()> {
        save::upsert(
            conn,
            &save::USERS,
            vec![user_row(user)],
            Failure::Abort,
            &mut |_| {},
        )
        .await?;
        Ok(())
    }

    /// Writes `rows` into `spec`'s table in one transaction, after making sure `user` (when
    /// given) exists; returns how many.
    async fn write_rows(
        &self,
        spec: &save::Upsert,
        rows: Vec<Row<String>>,
        user: Option<&str>,
    ) -> Result<u64> {
        let mut tx = self.begin(TxKind::Write).await?;
        if let Some(user) = user {
            self.ensure_user(&mut tx.conn(), user).await?;
        }
        let n = rows.len() as u64;
        save::upsert(&mut tx.conn(), spec, rows, Failure::Abort, &mut |_| {}).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// The `users` row of `user` (its username and display name are its id): inserted when
/// missing, never changed.
pub(crate) fn user_row(user: &str) -> Row<()> {
    Row {
        key: (),
        values: vec![
            Arg::Text(user.to_owned()),
            Arg::Text(user.to_owned()),
            Arg::Text(user.to_owned()),
            Arg::Time(records::now()),
        ],
    }
}

/// The id of the system persona a user's object annotations are filed under.
///
/// FOVEA's `annotations.personaId` is a non-null foreign key to `personas`, but an object
/// annotation belongs to no persona: FOVEA writes the video id (its UI) or `""` (its importer),
/// so such rows can never be saved. fovea files them under one hidden, system-generated persona
/// per user, `fovea-objects-<user>`; the annotation itself (in the whole layout) keeps no
/// persona, so it reads back exactly as written.
pub fn object_persona(user: &str) -> String {
    format!("fovea-objects-{user}")
}

/// Makes sure the system persona of `user`'s object annotations exists.
pub(crate) async fn ensure_object_persona(conn: &mut Conn<'_>, user: &str) -> Result<()> {
    let id = object_persona(user);
    let persona = Persona {
        name: Some("Object annotations".into()),
        role: Some("system".into()),
        information_need: Some("Files object annotations, which belong to no persona".into()),
        is_system_generated: Some(true),
        hidden: Some(true),
        ..Default::default()
    };
    // Insert only: an existing persona of that id is left as it is.
    let insert = save::Upsert {
        key: None,
        ..save::PERSONAS
    };
    let row = persona_row(&persona, &id, user);
    save::upsert(conn, &insert, vec![row], Failure::Abort, &mut |_| {}).await?;
    Ok(())
}

/// The values of a `personas` row.
pub(crate) fn persona_row(p: &Persona, id: &str, user: &str) -> Row<String> {
    let r = PersonaRow::of(p, id, user);
    let updated = records::parse_time(p.updated_at.as_deref()).unwrap_or_else(records::now);
    Row {
        key: r.id.clone(),
        values: vec![
            Arg::Text(r.id),
            Arg::Text(r.user_id),
            Arg::Text(r.name),
            Arg::Text(r.role),
            Arg::Text(r.information_need),
            Arg::OptText(r.details),
            Arg::Bool(r.is_system_generated),
            Arg::Bool(r.hidden),
            Arg::Time(r.created_at),
            Arg::Time(updated),
        ],
    }
}

/// The values of a `videos` row.
pub(crate) fn video_row(v: &Video, id: &str) -> Row<String> {
    let r = VideoRow::of(v, id);
    Row {
        key: r.id.clone(),
        values: vec![
            Arg::Text(r.id),
            Arg::Text(r.filename),
            Arg::Text(r.path),
            Arg::Float(r.duration),
            Arg::Float(r.frame_rate),
            Arg::OptText(r.resolution),
            Arg::OptJson(r.metadata),
            Arg::Time(records::now()),
        ],
    }
}

/// The rows of annotations (createdAt/updatedAt from the annotation, else now).
pub(crate) fn annotation_rows(
    annotations: &[Annotation],
    user: &str,
    layout: Layout,
    source: &str,
) -> Result<Vec<Row<String>>> {
    let object_persona = object_persona(user);
    let opts = EncodeOptions {
        layout,
        object_persona: &object_persona,
        source,
    };
    annotations
        .iter()
        .map(|a| annotation_row(a, &opts).map_err(DbError::from))
        .collect()
}

/// The values of one `annotations` row.
pub(crate) fn annotation_row(
    a: &Annotation,
    opts: &EncodeOptions<'_>,
) -> Result<Row<String>, RowError> {
    let r = encode(a, opts)?;
    let now = records::now();
    let created = records::parse_time(a.created_at.as_deref()).unwrap_or(now);
    let updated = records::parse_time(a.updated_at.as_deref()).unwrap_or(now);
    Ok(Row {
        key: r.id.clone(),
        values: vec![
            Arg::Text(r.id),
            Arg::Text(r.video_id),
            Arg::Text(r.persona_id),
            Arg::Text(r.kind),
            Arg::Text(r.label),
            Arg::Json(r.frames),
            Arg::Float(r.confidence),
            Arg::Text(r.source),
            Arg::Time(created),
            Arg::Time(updated),
        ],
    })
}

/// Deletes annotation rows by id, in statements of at most 10,000 ids.
pub(crate) async fn delete_annotations(conn: &mut Conn<'_>, ids: &[String]) -> Result<u64> {
    let mut n = 0;
    for chunk in ids.chunks(10_000) {
        let mut sql = crate::sql::Sql::new(
            conn.backend(),
            r#"DELETE FROM "annotations" WHERE "id" IN "#,
        );
        sql.bind_list(chunk.iter().map(String::as_str));
        n += conn.execute(sql).await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;
    use std::path::PathBuf;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://fovea.db"),
            Some(PathBuf::from("fovea.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:/tmp/a.db?mode=rwc"),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://x.db?mode=memory"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
