//! Previewing and importing JSON Lines into a store.
//!
//! Both read the source twice. The first pass collects the annotation and video ids the file
//! names; the store then loads only what conflict detection and resolution need — every
//! persona, ontology and video, the user's world objects, and the annotations that share an
//! id or a video with the file — in a handful of queries. fovea-core previews and applies the
//! file to that part of the store; what changed is written back in batches.
//!
//! An import runs in one transaction that first takes the store's import lock (an advisory
//! lock in Postgres, `BEGIN IMMEDIATE` in SQLite), so concurrent imports of the same ids run one
//! after the other, each seeing what the previous one committed: never duplicates, never a
//! half-applied import. Atomic imports (the default) commit everything or nothing; non-atomic
//! ones isolate every row in a savepoint, so a row the database refuses costs only itself and
//! is reported with its line. Every import, failed ones included, leaves an `import_history`
//! row.

use crate::error::{DbError, Result};
use crate::load::{self, RowFilter};
use crate::records;
use crate::rows::{EncodeOptions, RowError};
use crate::save::{self, Failure, Row};
use crate::sql::{Arg, Backend, Conn};
use crate::store::{
    Store, TxKind, annotation_row, delete_annotations, ensure_object_persona, object_persona,
    persona_row, video_row,
};
use fovea_core::import::{
    Dataset, ImportMessage, ImportOptions, ImportResult, Preview, PreviewOptions,
};
use fovea_core::jsonl::{LineData, Reader};
use fovea_core::model::OntologyData;
use sqlx::Row as _;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::OnceLock;

/// JSON Lines to preview or import: a file, or text in memory.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file.
    Path(PathBuf),
    /// Text in memory, with the name an import's history gives it.
    Bytes {
        /// The name recorded as the import's `filename`.
        name: String,
        /// The JSON Lines.
        bytes: Arc<[u8]>,
    },
}

impl Source {
    fn open(&self) -> Result<Box<dyn BufRead + Send>> {
        Ok(match self {
            Source::Path(p) => Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                fovea_core::jsonl::open_file(p)
                    .map_err(|e| fovea_core::Error::io(p.display(), &e))?,
            )),
            Source::Bytes { bytes, .. } => Box::new(std::io::Cursor::new(bytes.clone())),
        })
    }

    /// Checks that the source can be opened (a file that exists and is no directory), so that
    /// a caller can refuse it before it creates or changes anything.
    pub fn check(&self) -> Result<()> {
        self.open().map(drop)
    }

    /// The name an import's history records.
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            Source::Bytes { name, .. } => name.clone(),
        }
    }
}

/// How far an import's writing has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Annotation rows written so far.
    pub written: u64,
    /// Annotation rows to write.
    pub total: u64,
}

/// Options of an import into a store, beside fovea-core's [`ImportOptions`].
#[derive(Default)]
pub struct ImportParams<'a> {
    /// Preview options (validation profile, keyframe policy, reference checks).
    pub preview: PreviewOptions,
    /// The user recorded as `importedBy` and owning imported personas and world objects
    /// (default: the store's user).
    pub user: Option<String>,
    /// Told after each batch of annotation rows is written.
    pub progress: Option<&'a (dyn Fn(ImportProgress) + Send + Sync)>,
}

/// The outcome of an import into a store.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "StoreImportResult")
)]
#[serde(rename_all = "camelCase")]
pub struct StoreImport {
    /// The preview the import resolved.
    pub preview: Preview,
    /// What was committed (counters count only committed rows).
    pub result: ImportResult,
    /// The id of the `import_history` row.
    pub history_id: String,
}

/// What the first pass over a file found.
#[derive(Debug, Default)]
struct Named {
    /// Whether the pass ran (it is skipped when the store holds no annotation: nothing of the
    /// file's can then be loaded).
    scanned: bool,
    annotations: Vec<String>,
    videos: Vec<String>,
    /// The first line of each annotation, video and persona id.
    lines: HashMap<String, usize>,
}

fn scan(source: &Source, nul_stored: bool) -> Result<Named> {
    let mut named = Named::default();
    let mut videos = HashSet::new();
    // An id the store cannot hold names nothing in it (the preview refuses its line).
    let storable = |id: &&str| nul_stored || !id.contains('\0');
    for record in Reader::new(source.open()?) {
        let Ok(record) = record else {
            // Unreadable lines are the preview's to report.
            continue;
        };
        let line = record.line;
        let mut note = |id: &str| {
            named.lines.entry(id.to_owned()).or_insert(line);
        };
        match &record.data {
            LineData::Annotation(a) => {
                if let Some(id) = a.id().filter(storable) {
                    note(id);
                    named.annotations.push(id.to_owned());
                }
                if let Some(v) = a.video_id().filter(storable) {
                    videos.insert(v.to_owned());
                }
            }
            LineData::Video(v) => {
                if let Some(id) = v.id.as_deref().filter(storable) {
                    note(id);
                    videos.insert(id.to_owned());
                }
            }
            LineData::Ontology(o) => {
                for id in o
                    .personas
                    .iter()
                    .flatten()
                    .filter_map(|p| p.id.as_deref())
                    .filter(storable)
                {
                    note(id);
                }
            }
            _ => {}
        }
    }
    named.videos = videos.into_iter().collect();
    named.scanned = true;
    Ok(named)
}

/// The first pass, when the store holds annotations its file may touch.
async fn named(conn: &mut Conn<'_>, source: &Source) -> Result<Named> {
    let sql = crate::sql::Sql::new(conn.backend(), r#"SELECT "id" FROM "annotations" LIMIT 1"#);
    let any = crate::sql::fetch_all!(conn, sql, |r| r.try_get::<String, _>(0))?;
    if any.is_empty() {
        return Ok(Named::default());
    }
    let source = source.clone();
    // Postgres holds no text with NUL, and refuses it even as a query parameter.
    let nul_stored = conn.backend() != Backend::Postgres;
    blocking(move || scan(&source, nul_stored)).await
}

/// The part of the store an import of `named` can see or change.
async fn load_part(conn: &mut Conn<'_>, named: &Named, user: &str) -> Result<Part> {
    let mut part = Dataset::new();
    let personas = load::personas(conn).await?;
    let ontologies = load::ontologies(conn).await?;
    part.insert(LineData::Ontology(OntologyData {
        personas: Some(personas),
        persona_ontologies: Some(ontologies),
        extra: Default::default(),
    }))?;
    let (objects, _) = load::world(conn, user).await?;
    for o in objects {
        part.insert(o)?;
    }
    for v in load::videos(conn).await? {
        part.insert(LineData::Video(v))?;
    }
    // Ids and videos in chunks that stay within every backend's parameter limit.
    const CHUNK: usize = 10_000;
    let mut unreadable: Vec<RowError> = Vec::new();
    for ids in named.annotations.chunks(CHUNK) {
        let filter = RowFilter {
            ids: Some(ids),
            ..Default::default()
        };
        let (found, bad) = load::annotations(conn, &filter).await?;
        unreadable.extend(bad);
        for a in found {
            part.annotations.insert(a.id.clone(), a);
        }
    }
    for videos in named.videos.chunks(CHUNK) {
        let filter = RowFilter {
            videos: Some(videos),
            ..Default::default()
        };
        let (found, bad) = load::annotations(conn, &filter).await?;
        unreadable.extend(bad);
        for a in found {
            part.annotations.insert(a.id.clone(), a);
        }
    }
    let users = load::user_ids(conn).await?;
    // A row the file would overwrite must be readable: the import cannot tell what it
    // would replace. Unreadable rows that only share a video are left alone, with a warning.
    let ids: HashSet<&str> = named.annotations.iter().map(String::as_str).collect();
    if let Some(e) = unreadable.iter().find(|e| ids.contains(e.id())) {
        return Err(DbError::Row(RowError::Unreadable {
            id: e.id().to_owned(),
            reason: format!("{e}; the file has an annotation with this id, which would replace it"),
        }));
    }
    let warnings = unreadable
        .iter()
        .map(|e| format!("{e}; it is left as it is, and overlaps with it are not checked"))
        .collect();
    Ok(Part {
        data: part,
        users,
        warnings,
    })
}

/// The part of the store an import can see or change.
struct Part {
    data: Dataset,
    users: Vec<String>,
    /// Rows on the file's videos that hold no readable annotation.
    warnings: Vec<String>,
}

/// Runs CPU-bound work off the async executor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DbError::Schema(format!("a worker thread failed: {e}")))?
}

impl Store {
    /// Previews an import of `source` against the store: counts, validation issues and
    /// conflicts of every type, nothing written.
    pub async fn preview(&self, source: Source, opts: PreviewOptions) -> Result<Preview> {
        let mut tx = self.begin(TxKind::Read).await?;
        crate::schema::check(&mut tx.conn()).await?;
        let named = named(&mut tx.conn(), &source).await?;
        let part = load_part(&mut tx.conn(), &named, &self.options().user).await?;
        tx.commit().await?;
        let postgres = self.backend() == Backend::Postgres;
        blocking(move || {
            let policy = opts.validate.keyframes;
            let snapshot = part.data.snapshot(policy);
            let mut opts = opts;
            opts.validate.refuse_nul |= postgres;
            opts.add_video_sizes(snapshot.video_sizes());
            let mut preview =
                fovea_core::import::preview_reader(Reader::new(source.open()?), &snapshot, opts);
            preview.warnings.extend(part.warnings);
            Ok(preview)
        })
        .await
    }

    /// Imports `source` into the store with `options` (see the module's documentation for
    /// the transaction, the lock and the history row).
    pub async fn import(
        &self,
        source: Source,
        options: &ImportOptions,
        params: ImportParams<'_>,
    ) -> Result<StoreImport> {
        options.check()?;
        let user = params
            .user
            .clone()
            .unwrap_or_else(|| self.options().user.clone());
        let mut tx = self.begin(TxKind::Write).await?;
        if self.backend() == Backend::Postgres {
            // One import at a time: the key is fovea's own ("fovea" in ASCII).
            tx.conn()
                .run("SELECT pg_advisory_xact_lock(111542773146209)")
                .await?;
        }
        crate::schema::check(&mut tx.conn()).await?;
        let named = named(&mut tx.conn(), &source).await?;
        let Part {
            data: part,
            users,
            warnings,
        } = load_part(&mut tx.conn(), &named, &user).await?;
        let before = part.clone();
        let (opts, mut popts, src) = (options.clone(), params.preview, source.clone());
        popts.validate.refuse_nul |= self.backend() == Backend::Postgres;
        let (after, preview, mut result) = blocking(move || {
            let mut part = part;
            let (preview, result) = fovea_core::import::import_reader(
                &mut part,
                Reader::new(src.open()?),
                &opts,
                popts,
            )?;
            Ok((part, preview, result))
        })
        .await?;
        result
            .warnings
            .extend(warnings.into_iter().map(|message| ImportMessage {
                line: 0,
                kind: "import",
                message,
            }));

        let failure = if options.transaction.atomic {
            Failure::Abort
        } else {
            Failure::Isolate
        };
        let writer = Changes {
            before: &before,
            after: &after,
            user: &user,
            users: users.into_iter().collect(),
            layout: self.options().layout,
            lines: match named.scanned {
                true => named.lines.clone().into(),
                false => Default::default(),
            },
            source: &source,
            progress: params.progress,
        };
        let mut committed = false;
        if result.committed {
            match writer.write(&mut tx.conn(), failure, &mut result).await {
                Ok(()) => committed = true,
                Err(e) => result.roll_back(&e),
            }
        }
        let history_id = uuid::Uuid::new_v4().to_string();
        if committed {
            let history = history_row(&history_id, &source.name(), &user, options, &result);
            let written = async {
                save::upsert(
                    &mut tx.conn(),
                    &save::IMPORT_HISTORY,
                    vec![history],
                    Failure::Abort,
                    &mut |_| {},
                )
                .await?;
                tx.commit().await
            };
            if let Err(e) = written.await {
                // The commit failed: nothing was kept.
                result.roll_back(&e);
                self.record_history(&history_id, &source, &user, options, &result)
                    .await?;
            }
        } else {
            tx.rollback().await?;
            self.record_history(&history_id, &source, &user, options, &result)
                .await?;
        }
        Ok(StoreImport {
            preview,
            result,
            history_id,
        })
    }

    /// Writes an `import_history` row in its own transaction.
    async fn record_history(
        &self,
        id: &str,
        source: &Source,
        user: &str,
        options: &ImportOptions,
        result: &ImportResult,
    ) -> Result<()> {
        let row = history_row(id, &source.name(), user, options, result);
        let mut held = self.acquire().await?;
        save::upsert(
            &mut held.conn(),
            &save::IMPORT_HISTORY,
            vec![row],
            Failure::Abort,
            &mut |_| {},
        )
        .await?;
        Ok(())
    }
}

fn history_row(
    id: &str,
    filename: &str,
    user: &str,
    options: &ImportOptions,
    result: &ImportResult,
) -> Row<()> {
    let json = |v: serde_json::Result<String>| v.unwrap_or_else(|_| "null".into());
    Row {
        key: (),
        values: vec![
            Arg::Text(id.to_owned()),
            Arg::Text(filename.to_owned()),
            Arg::OptText(Some(user.to_owned())),
            Arg::Json(json(serde_json::to_string(options))),
            Arg::Json(json(serde_json::to_string(result))),
            Arg::Bool(result.success && result.committed),
            Arg::Int(result.summary.imported_items.annotations as i64),
            Arg::Int(result.summary.skipped_items.annotations as i64),
            // When it ran, to the millisecond (the column's default is the transaction's start,
            // in SQLite to the second), so the history reads in order.
            Arg::Time(records::now()),
        ],
    }
}

/// What an import changed in the part of the store it loaded, and how to write it.
struct Changes<'a> {
    before: &'a Dataset,
    after: &'a Dataset,
    user: &'a str,
    users: HashSet<String>,
    layout: crate::rows::Layout,
    /// The first line of each id: from the first pass, or (when the store held no annotation
    /// and the pass was skipped) read when a failure needs it.
    lines: OnceLock<HashMap<String, usize>>,
    source: &'a Source,
    progress: Option<&'a (dyn Fn(ImportProgress) + Send + Sync)>,
}

impl Changes<'_> {
    async fn write(
        &self,
        conn: &mut Conn<'_>,
        failure: Failure,
        result: &mut ImportResult,
    ) -> Result<()> {
        let (before, after) = (self.before, self.after);
        save::upsert(
            conn,
            &save::USERS,
            vec![crate::store::user_row(self.user)],
            Failure::Abort,
            &mut |_| {},
        )
        .await?;

        let personas: Vec<Row<String>> = changed(&before.personas, &after.personas)
            .map(|(id, p)| {
                let owner = p
                    .user_id
                    .as_deref()
                    .filter(|u| self.users.contains(*u))
                    .unwrap_or(self.user);
                persona_row(p, id, owner)
            })
            .collect();
        let failed = save::upsert(conn, &save::PERSONAS, personas, failure, &mut |_| {}).await?;
        self.report(result, failed, "persona", |r| {
            &mut r.summary.imported_items.personas
        });

        let ontologies: Vec<Row<String>> = changed(&before.ontologies, &after.ontologies)
            .map(|(persona, o)| ontology_row(persona, o))
            .collect();
        let failed =
            save::upsert(conn, &save::ONTOLOGIES, ontologies, failure, &mut |_| {}).await?;
        self.report(result, failed, "ontology of persona", |r| {
            &mut r.summary.imported_items.ontologies
        });

        if before.objects != after.objects {
            let row = world_row(self.user, after);
            let failed =
                save::upsert(conn, &save::WORLD_STATE, vec![row], failure, &mut |_| {}).await?;
            self.report(result, failed, "world state of user", |r| {
                &mut r.summary.imported_items.entities
            });
        }

        let videos: Vec<Row<String>> = changed(&before.videos, &after.videos)
            .map(|(id, v)| video_row(v, id))
            .collect();
        let failed = save::upsert(conn, &save::VIDEOS, videos, failure, &mut |_| {}).await?;
        self.report(result, failed, "video", |r| {
            &mut r.summary.imported_items.videos
        });

        let changed_annotations: Vec<_> = changed(&before.annotations, &after.annotations)
            .map(|(_, a)| a)
            .collect();
        if changed_annotations.iter().any(|a| a.is_object()) {
            ensure_object_persona(conn, self.user).await?;
        }
        let object_persona = object_persona(self.user);
        let opts = EncodeOptions {
            layout: self.layout,
            object_persona: &object_persona,
            source: "import",
        };
        // Encoded and written a batch at a time: the next batch is encoded (on all cores) while
        // the database writes this one, and at most two batches of rows are ever in memory.
        let per_batch = save::batch_size(conn.backend(), &save::ANNOTATIONS);
        let encode = |batch: &[&fovea_core::model::Annotation]| {
            crate::parallel::map(batch, |a| annotation_row(a, &opts))
        };
        let mut batches = changed_annotations.chunks(per_batch);
        let mut next = batches.next().map(encode);
        let mut total = changed_annotations.len() as u64;
        let mut written = 0;
        let progress = self.progress;
        while let Some(encoded) = next.take() {
            let mut rows = Vec::with_capacity(encoded.len());
            for row in encoded {
                match row {
                    Ok(row) => rows.push(row),
                    Err(e) if failure == Failure::Isolate => {
                        total -= 1;
                        self.fail(result, e.id(), &e.to_string(), |r| {
                            &mut r.summary.imported_items.annotations
                        });
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let mut told = |n| {
                written += n;
                if let Some(p) = progress {
                    p(ImportProgress { written, total });
                }
            };
            let write = save::upsert(conn, &save::ANNOTATIONS, rows, failure, &mut told);
            // `join` polls the write first: its statement is on its way (SQLite's worker
            // thread, or Postgres's socket) before the encoding takes this thread.
            let (failed, following) =
                futures_util::future::join(write, async { batches.next().map(encode) }).await;
            next = following;
            self.report(result, failed?, "annotation", |r| {
                &mut r.summary.imported_items.annotations
            });
        }

        let removed: Vec<String> = before
            .annotations
            .keys()
            .filter(|id| !after.annotations.contains_key(*id))
            .cloned()
            .collect();
        delete_annotations(conn, &removed).await?;
        let unstored = after.other.len().saturating_sub(before.other.len());
        if unstored > 0 {
            result.warnings.push(ImportMessage {
                line: 0,
                kind: "import",
                message: format!(
                    "{unstored} record(s) of unknown kinds or without an id were not stored: \
                     FOVEA's tables have no place for them"
                ),
            });
        }
        Ok(())
    }

    /// Reports rows the database refused (non-atomic imports) and uncounts them.
    fn report(
        &self,
        result: &mut ImportResult,
        failed: Vec<(String, sqlx::Error)>,
        what: &str,
        counter: impl Fn(&mut ImportResult) -> &mut u64,
    ) {
        for (id, e) in failed {
            self.fail(
                result,
                &id,
                &format!("Failed to store {what} {id}: {e}"),
                &counter,
            );
        }
    }

    fn fail(
        &self,
        result: &mut ImportResult,
        id: &str,
        message: &str,
        counter: impl Fn(&mut ImportResult) -> &mut u64,
    ) {
        let c = counter(result);
        *c = c.saturating_sub(1);
        result.summary.processed_lines = result.summary.processed_lines.saturating_sub(1);
        result.success = false;
        result.errors.push(ImportMessage {
            line: self
                .lines
                .get_or_init(|| scan(self.source, true).map(|n| n.lines).unwrap_or_default())
                .get(id)
                .copied()
                .unwrap_or(0),
            kind: "import",
            message: message.to_owned(),
        });
    }
}

/// The entries of `after` that `before` lacks or holds differently.
fn changed<'a, T: PartialEq>(
    before: &'a indexmap::IndexMap<String, T>,
    after: &'a indexmap::IndexMap<String, T>,
) -> impl Iterator<Item = (&'a String, &'a T)> {
    after
        .iter()
        .filter(move |(id, v)| before.get(*id) != Some(*v))
}

fn ontology_row(persona: &str, o: &fovea_core::model::PersonaOntology) -> Row<String> {
    let [entities, events, roles, relation_types] = records::ontology_columns(o);
    let now = records::now();
    Row {
        key: persona.to_owned(),
        values: vec![
            Arg::Text(
                o.id.clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            ),
            Arg::Text(persona.to_owned()),
            Arg::Json(entities),
            Arg::Json(events),
            Arg::Json(roles),
            Arg::Json(relation_types),
            Arg::Time(records::parse_time(o.created_at.as_deref()).unwrap_or(now)),
            Arg::Time(records::parse_time(o.updated_at.as_deref()).unwrap_or(now)),
        ],
    }
}

/// The user's `world_state` row: every world object of the dataset, by kind.
fn world_row(user: &str, data: &Dataset) -> Row<String> {
    let mut values = vec![
        Arg::Text(format!("world-{user}")),
        Arg::Text(user.to_owned()),
    ];
    for (_, kind) in records::WORLD_COLUMNS {
        let items: Vec<String> = data
            .objects
            .values()
            .filter(|o| o.kind() == kind)
            .map(LineData::data_json)
            .collect();
        values.push(Arg::Json(format!("[{}]", items.join(","))));
    }
    values.push(Arg::Time(records::now()));
    Row {
        key: user.to_owned(),
        values,
    }
}

/// One `import_history` row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ImportHistoryEntry")
)]
pub struct HistoryEntry {
    /// Id.
    pub id: String,
    /// The imported file's name.
    pub filename: String,
    /// The importing user.
    pub imported_by: Option<String>,
    /// The options, deep-merged with the defaults.
    pub import_options: serde_json::Value,
    /// The import's whole result (success, summary, warnings, errors, conflicts), as FOVEA's
    /// history rows keep it.
    pub result: serde_json::Value,
    /// Whether the import succeeded and was committed.
    pub success: bool,
    /// Annotations imported.
    pub items_imported: i64,
    /// Annotations skipped.
    pub items_skipped: i64,
    /// When it ran (ISO, UTC).
    pub created_at: String,
}

impl Store {
    /// Every `import_history` row, oldest first.
    pub async fn import_history(&self) -> Result<Vec<HistoryEntry>> {
        let mut held = self.acquire().await?;
        let mut conn = held.conn();
        let b = conn.backend();
        let text = format!(
            r#"SELECT "id", "filename", "importedBy", {}, {}, "success", "itemsImported",
                      "itemsSkipped", "createdAt"
               FROM "import_history" ORDER BY "createdAt", "id""#,
            b.json_text(r#""importOptions""#),
            b.json_text(r#""result""#)
        );
        let json = |t: String| serde_json::from_str(&t).unwrap_or(serde_json::Value::Null);
        Ok(crate::sql::fetch_all!(
            &mut conn,
            crate::sql::Sql::new(b, &text),
            |r| {
                use sqlx::Row;
                Ok(HistoryEntry {
                    id: r.try_get(0)?,
                    filename: r.try_get(1)?,
                    imported_by: r.try_get(2)?,
                    import_options: json(r.try_get(3)?),
                    result: json(r.try_get(4)?),
                    success: r.try_get(5)?,
                    items_imported: r.try_get::<i32, _>(6)?.into(),
                    items_skipped: r.try_get::<i32, _>(7)?.into(),
                    created_at: records::iso(r.try_get(8)?),
                })
            }
        )?)
    }
}
