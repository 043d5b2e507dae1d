//! Tracking candidates: the tracks of finished tracking jobs waiting for review, and the
//! review each received (accepted as an annotation, or rejected with a reason).
//!
//! They live in fovea's own table, beside FOVEA's: `fovea.tracking_candidates` in Postgres (a
//! schema of its own, so that Prisma's drift check on FOVEA's `public` schema never sees it)
//! and `fovea_tracking_candidates` in SQLite. A candidate keeps its whole track (every tracked
//! frame), so a reviewer can pick another reduction than the worker's, long after the job has
//! left the queue.
//!
//! Reviews are optimistic: every candidate has a `version`, raised by each review; a review
//! that names the version it saw fails with `conflict` when another review came first. Within
//! one review, the candidate's row is locked (Postgres `FOR UPDATE`; SQLite's write
//! transactions are exclusive), its annotation is written or deleted, and its state changes,
//! all in one transaction.

use crate::error::{DbError, Result};
use crate::sql::{Arg, Backend, Conn, Sql, fetch_all};
use crate::store::{Store, TxKind};
use chrono::NaiveDateTime;
use fovea_core::model::{Annotation, BoundingBoxSequence};
use fovea_core::track::Track;
use serde::Serialize;
use sqlx::Row;

/// The Postgres DDL (the schema and its table).
const POSTGRES_DDL: &str = r#"CREATE SCHEMA IF NOT EXISTS "fovea";
CREATE TABLE IF NOT EXISTS "fovea"."tracking_candidates" (
    "jobId" TEXT NOT NULL,
    "objectId" BIGINT NOT NULL,
    "videoId" TEXT NOT NULL,
    "label" TEXT,
    "confidence" DOUBLE PRECISION NOT NULL,
    "model" TEXT NOT NULL,
    "trackedFrames" INTEGER NOT NULL,
    "track" JSONB NOT NULL,
    "sequence" JSONB NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "annotationId" TEXT,
    "reason" TEXT,
    "reviewedBy" TEXT,
    "reviewedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tracking_candidates_pkey" PRIMARY KEY ("jobId", "objectId")
);
CREATE INDEX IF NOT EXISTS "tracking_candidates_videoId_idx" ON "fovea"."tracking_candidates"("videoId");"#;

/// The SQLite DDL.
const SQLITE_DDL: &str = r#"CREATE TABLE IF NOT EXISTS "fovea_tracking_candidates" (
    "jobId" TEXT NOT NULL,
    "objectId" INTEGER NOT NULL,
    "videoId" TEXT NOT NULL,
    "label" TEXT,
    "confidence" REAL NOT NULL,
    "model" TEXT NOT NULL,
    "trackedFrames" INTEGER NOT NULL,
    "track" TEXT NOT NULL,
    "sequence" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "annotationId" TEXT,
    "reason" TEXT,
    "reviewedBy" TEXT,
    "reviewedAt" DATETIME,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY ("jobId", "objectId")
);
CREATE INDEX IF NOT EXISTS "fovea_tracking_candidates_videoId_idx" ON "fovea_tracking_candidates"("videoId");"#;

/// The table's name as the schema report gives it.
pub(crate) const TABLE: &str = "fovea.tracking_candidates";

/// The table's name in statements.
fn table(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => r#""fovea"."tracking_candidates""#,
        Backend::Sqlite => r#""fovea_tracking_candidates""#,
    }
}

/// Whether the table exists.
pub(crate) async fn exists(conn: &mut Conn<'_>) -> Result<bool> {
    let backend = conn.backend();
    let sql = match backend {
        Backend::Postgres => Sql::new(
            backend,
            "SELECT 1 FROM information_schema.tables \
             WHERE table_schema = 'fovea' AND table_name = 'tracking_candidates'",
        ),
        Backend::Sqlite => Sql::new(
            backend,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' \
             AND name = 'fovea_tracking_candidates'",
        ),
    };
    Ok(!fetch_all!(conn, sql, |row| row.try_get::<i32, _>(0))?.is_empty())
}

/// Creates the table where it is missing.
pub(crate) async fn create(conn: &mut Conn<'_>) -> Result<()> {
    let ddl = match conn.backend() {
        Backend::Postgres => POSTGRES_DDL,
        Backend::Sqlite => SQLITE_DDL,
    };
    Ok(conn.run(ddl).await?)
}

/// A candidate as a finished tracking job hands it over.
#[derive(Debug, Clone)]
pub struct NewCandidate {
    /// The tracking job.
    pub job_id: String,
    /// The tracked object's id (unique within the job).
    pub object_id: i64,
    /// The video tracked.
    pub video_id: String,
    /// Every tracked frame.
    pub track: Track,
    /// The worker's keyframe sequence of the track.
    pub sequence: BoundingBoxSequence,
    /// The annotation the worker already saved it as (the job named a type or an entity):
    /// the candidate is then registered as accepted.
    pub annotation_id: Option<String>,
}

/// Where a candidate's review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum CandidateState {
    /// Not reviewed yet.
    Pending,
    /// Kept as an annotation.
    Accepted,
    /// Rejected; not offered again.
    Rejected,
}

impl CandidateState {
    fn as_str(self) -> &'static str {
        match self {
            CandidateState::Pending => "pending",
            CandidateState::Accepted => "accepted",
            CandidateState::Rejected => "rejected",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> fovea_core::Result<Self> {
        match name {
            "pending" => Ok(CandidateState::Pending),
            "accepted" => Ok(CandidateState::Accepted),
            "rejected" => Ok(CandidateState::Rejected),
            _ => Err(fovea_core::Error::InvalidOption {
                option: "state",
                value: name.to_owned(),
                expected: "pending, accepted or rejected",
            }),
        }
    }
}

/// A tracking candidate and its review.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Candidate {
    /// The tracking job.
    pub job_id: String,
    /// The tracked object's id.
    pub object_id: i64,
    /// The video tracked.
    pub video_id: String,
    /// What the object is.
    pub label: Option<String>,
    /// The track's confidence (the mean of its frames').
    pub confidence: f64,
    /// The model that tracked it.
    pub model: String,
    /// Frames tracked.
    pub tracked_frames: u32,
    /// Keyframes of the worker's sequence.
    pub keyframes: u32,
    /// The worker's keyframe sequence.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "fovea_core::model::schema::SequenceData")
    )]
    pub sequence: BoundingBoxSequence,
    /// Where its review stands.
    pub state: CandidateState,
    /// The annotation it was accepted as.
    pub annotation_id: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Who reviewed it last.
    pub reviewed_by: Option<String>,
    /// When it was reviewed last (UTC, ISO 8601).
    pub reviewed_at: Option<String>,
    /// Raised by every review; a review that names another version than the stored one is a
    /// `conflict`.
    pub version: u32,
}

/// Which candidates to list.
#[derive(Debug, Clone, Default)]
pub struct CandidateFilter<'a> {
    /// Those of this job.
    pub job_id: Option<&'a str>,
    /// Those on this video.
    pub video_id: Option<&'a str>,
    /// Those in this state.
    pub state: Option<CandidateState>,
}

/// What a review does.
#[derive(Debug, Clone)]
pub enum Review {
    /// Saves the annotation (inserted or replaced by id) and marks the candidate accepted.
    Accept(Box<Annotation>),
    /// Marks the candidate rejected (deleting the annotation it had been accepted as).
    Reject {
        /// Why.
        reason: Option<String>,
    },
}

/// A candidate's columns as read (with its track, when asked for).
struct RawCandidate {
    job_id: String,
    object_id: i64,
    video_id: String,
    label: Option<String>,
    confidence: f64,
    model: String,
    tracked_frames: i32,
    sequence: String,
    state: String,
    annotation_id: Option<String>,
    reason: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<NaiveDateTime>,
    version: i32,
    track: Option<String>,
}

impl RawCandidate {
    /// The candidate, and its track when it was read.
    fn convert(self) -> Result<(Candidate, Option<Track>)> {
        let sequence = BoundingBoxSequence::from_json(&self.sequence)?;
        let track = self.track.as_deref().map(Track::from_json).transpose()?;
        let candidate = Candidate {
            job_id: self.job_id,
            object_id: self.object_id,
            video_id: self.video_id,
            label: self.label,
            confidence: self.confidence,
            model: self.model,
            tracked_frames: self.tracked_frames.max(0) as u32,
            keyframes: sequence.boxes.len() as u32,
            sequence,
            state: CandidateState::parse(&self.state)?,
            annotation_id: self.annotation_id,
            reason: self.reason,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at.map(|t| {
                t.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }),
            version: self.version.max(0) as u32,
        };
        Ok((candidate, track))
    }
}

/// The candidates `filter` selects, by job and object, with their tracks when `track` is set;
/// `lock` holds their rows until the transaction ends (Postgres; SQLite's write transactions
/// are exclusive already).
async fn select(
    conn: &mut Conn<'_>,
    filter: &CandidateFilter<'_>,
    object_id: Option<i64>,
    track: bool,
    lock: bool,
) -> Result<Vec<(Candidate, Option<Track>)>> {
    let backend = conn.backend();
    let track_column = if track {
        backend.json_text(r#""track""#)
    } else {
        "NULL".to_owned()
    };
    let mut sql = Sql::new(
        backend,
        &format!(
            r#"SELECT "jobId", "objectId", "videoId", "label", "confidence", "model", "trackedFrames", {}, "state", "annotationId", "reason", "reviewedBy", "reviewedAt", "version", {track_column} FROM {} WHERE 1 = 1"#,
            backend.json_text(r#""sequence""#),
            table(backend)
        ),
    );
    if let Some(job) = filter.job_id {
        sql.push(r#" AND "jobId" = "#)
            .bind(Arg::Text(job.to_owned()));
    }
    if let Some(object) = object_id {
        sql.push(r#" AND "objectId" = "#).bind(Arg::Int(object));
    }
    if let Some(video) = filter.video_id {
        sql.push(r#" AND "videoId" = "#)
            .bind(Arg::Text(video.to_owned()));
    }
    if let Some(state) = filter.state {
        sql.push(r#" AND "state" = "#)
            .bind(Arg::Text(state.as_str().to_owned()));
    }
    sql.push(r#" ORDER BY "jobId", "objectId""#);
    if lock && backend == Backend::Postgres {
        sql.push(" FOR UPDATE");
    }
    // In a block of its own, so that the statement's failure can be told apart.
    let rows = async {
        fetch_all!(conn, sql, |r| Ok(RawCandidate {
            job_id: r.try_get(0)?,
            object_id: r.try_get(1)?,
            video_id: r.try_get(2)?,
            label: r.try_get(3)?,
            confidence: r.try_get(4)?,
            model: r.try_get(5)?,
            tracked_frames: r.try_get(6)?,
            sequence: r.try_get(7)?,
            state: r.try_get(8)?,
            annotation_id: r.try_get(9)?,
            reason: r.try_get(10)?,
            reviewed_by: r.try_get(11)?,
            reviewed_at: r.try_get(12)?,
            version: r.try_get(13)?,
            track: r.try_get(14)?,
        }))
    }
    .await
    .map_err(missing_table)?;
    rows.into_iter().map(RawCandidate::convert).collect()
}

/// One candidate (locked, with its track, as asked).
async fn one(
    conn: &mut Conn<'_>,
    job_id: &str,
    object_id: i64,
    track: bool,
    lock: bool,
) -> Result<Option<(Candidate, Option<Track>)>> {
    let filter = CandidateFilter {
        job_id: Some(job_id),
        ..Default::default()
    };
    Ok(select(conn, &filter, Some(object_id), track, lock)
        .await?
        .pop())
}

/// A statement on the candidates' table that failed because the table is missing (a Postgres
/// database migrated by an older fovea) says what to do.
fn missing_table(e: sqlx::Error) -> DbError {
    let undefined = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "42P01")
        || e.to_string().contains("no such table");
    if undefined {
        DbError::Schema(format!(
            "the database lacks the table {TABLE}; run `fovea db migrate` (or Store::migrate)"
        ))
    } else {
        DbError::Sql(e)
    }
}

impl Store {
    /// Registers a finished job's candidates. A candidate already registered keeps its review;
    /// one still pending takes the new track (a job run again). O(candidates).
    pub async fn register_candidates(&self, candidates: &[NewCandidate]) -> Result<u64> {
        let mut tx = self.begin(TxKind::Write).await?;
        let backend = tx.conn().backend();
        let mut n = 0;
        for c in candidates {
            let track = serde_json::to_string(&c.track).expect("tracks serialize");
            let sequence = serde_json::to_string(&c.sequence).expect("sequences serialize");
            let state = if c.annotation_id.is_some() {
                "accepted"
            } else {
                "pending"
            };
            let mut sql = Sql::new(
                backend,
                &format!(
                    r#"INSERT INTO {} ("jobId", "objectId", "videoId", "label", "confidence", "model", "trackedFrames", "track", "sequence", "state", "annotationId") VALUES ("#,
                    table(backend)
                ),
            );
            sql.bind(Arg::Text(c.job_id.clone()))
                .push(", ")
                .bind(Arg::Int(c.object_id))
                .push(", ")
                .bind(Arg::Text(c.video_id.clone()))
                .push(", ")
                .bind(Arg::OptText(Some(c.track.label.clone())))
                .push(", ")
                .bind(Arg::Float(Some(c.track.confidence)))
                .push(", ")
                .bind(Arg::Text(c.track.model.clone()))
                .push(", ")
                .bind(Arg::Int(c.track.frames.len() as i64))
                .push(", ")
                .bind(Arg::Json(track))
                .push(", ")
                .bind(Arg::Json(sequence))
                .push(", ")
                .bind(Arg::Text(state.to_owned()))
                .push(", ")
                .bind(Arg::OptText(c.annotation_id.clone()))
                .push(&format!(
                    r#") ON CONFLICT ("jobId", "objectId") DO UPDATE SET "track" = excluded."track", "sequence" = excluded."sequence", "label" = excluded."label", "confidence" = excluded."confidence", "trackedFrames" = excluded."trackedFrames", "state" = excluded."state", "annotationId" = excluded."annotationId" WHERE {}."state" = 'pending'"#,
                    table(backend)
                ));
            n += tx.conn().execute(sql).await.map_err(missing_table)?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// The candidates `filter` selects, by job and object id.
    pub async fn candidates(&self, filter: &CandidateFilter<'_>) -> Result<Vec<Candidate>> {
        let found = select(
            &mut self.acquire().await?.conn(),
            filter,
            None,
            false,
            false,
        )
        .await?;
        Ok(found.into_iter().map(|(c, _)| c).collect())
    }

    /// One candidate with its whole track; `None` when there is no such candidate.
    pub async fn candidate_track(
        &self,
        job_id: &str,
        object_id: i64,
    ) -> Result<Option<(Candidate, Track)>> {
        let found = one(
            &mut self.acquire().await?.conn(),
            job_id,
            object_id,
            true,
            false,
        )
        .await?;
        Ok(found.and_then(|(c, t)| t.map(|t| (c, t))))
    }

    /// Reviews a candidate in one transaction: accepting saves its annotation (whose video
    /// and, for a type annotation, persona must exist: `missing-dependency`), rejecting
    /// deletes the annotation it had been accepted as; either raises its version. With
    /// `expected_version`, a candidate reviewed meanwhile (another version) is a `conflict`
    /// and nothing changes. `reviewer`: who reviews (default: the store's user).
    pub async fn review_candidate(
        &self,
        job_id: &str,
        object_id: i64,
        review: Review,
        expected_version: Option<u32>,
        reviewer: Option<&str>,
    ) -> Result<Candidate> {
        let user = self.options().user.clone();
        let mut tx = self.begin(TxKind::Write).await?;
        let found = one(&mut tx.conn(), job_id, object_id, false, true).await?;
        let Some((current, _)) = found else {
            return Err(DbError::CandidateNotFound {
                job_id: job_id.to_owned(),
                object_id,
            });
        };
        if let Some(expected) = expected_version
            && expected != current.version
        {
            return Err(DbError::Conflict {
                job_id: job_id.to_owned(),
                object_id,
                expected,
                found: current.version,
            });
        }
        let (state, annotation_id, reason) = match review {
            Review::Accept(annotation) => {
                // A missing video or persona is named by its field of the annotation.
                self.save_annotations_on(
                    &mut tx.conn(),
                    std::slice::from_ref(&annotation),
                    |_, field| field.to_owned(),
                )
                .await?;
                (CandidateState::Accepted, Some(annotation.id.clone()), None)
            }
            Review::Reject { reason } => {
                if let Some(id) = current.annotation_id.clone() {
                    crate::store::delete_annotations(&mut tx.conn(), &[id]).await?;
                }
                (CandidateState::Rejected, None, reason)
            }
        };
        let backend = tx.conn().backend();
        let mut sql = Sql::new(
            backend,
            &format!(r#"UPDATE {} SET "state" = "#, table(backend)),
        );
        sql.bind(Arg::Text(state.as_str().to_owned()))
            .push(r#", "annotationId" = "#)
            .bind(Arg::OptText(annotation_id))
            .push(r#", "reason" = "#)
            .bind(Arg::OptText(reason))
            .push(r#", "reviewedBy" = "#)
            .bind(Arg::OptText(Some(reviewer.unwrap_or(&user).to_owned())))
            .push(r#", "reviewedAt" = "#)
            .bind(Arg::Time(chrono::Utc::now().naive_utc()))
            .push(r#", "version" = "version" + 1 WHERE "jobId" = "#)
            .bind(Arg::Text(job_id.to_owned()))
            .push(r#" AND "objectId" = "#)
            .bind(Arg::Int(object_id))
            .push(r#" AND "version" = "#)
            .bind(Arg::Int(i64::from(current.version)));
        if tx.conn().execute(sql).await? != 1 {
            // Only a review outside the lock (none in fovea) could come between.
            return Err(DbError::Conflict {
                job_id: job_id.to_owned(),
                object_id,
                expected: current.version,
                found: current.version + 1,
            });
        }
        let after = one(&mut tx.conn(), job_id, object_id, false, false).await?;
        tx.commit().await?;
        after.map(|(c, _)| c).ok_or(DbError::CandidateNotFound {
            job_id: job_id.to_owned(),
            object_id,
        })
    }
}
