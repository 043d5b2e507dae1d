//! `fovea jobs candidates|accept|reject`: reviewing what a tracking job found. The candidates
//! live in the store (`--db`); `candidates` registers them from the job's result first when
//! the job's worker had no store (then `--redis` names the queue that holds the job); with
//! `--redis`, `accept` and `reject` also write the review to the job's log.

use crate::args::DbArgs;
use crate::exchange::print_json;
use crate::failure::{Failure, Outcome};
use crate::jobs::QueueArgs;
use fovea_db::Layout;
use fovea_jobs::bull::BullQueue;
use fovea_jobs::tracking::payload::{Decimation, FrameRange};
use fovea_jobs::tracking::review::{self, AcceptArgs, CandidatesArgs, RejectArgs};

/// `fovea jobs candidates`.
#[derive(clap::Args)]
pub struct CandidatesCommand {
    /// The tracking job.
    id: String,
    /// Only those in this state: pending, accepted or rejected.
    #[arg(long)]
    state: Option<String>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    queue: QueueArgs,
}

/// Who reviews, and which version of the candidate they saw.
#[derive(clap::Args)]
pub struct ReviewArgs {
    /// The tracked object.
    #[arg(long, value_name = "N")]
    object: i64,
    /// Refuse (`conflict`) when the candidate is no longer at this version (`candidates`
    /// prints it).
    #[arg(long, value_name = "N")]
    expect_version: Option<u32>,
    /// Who reviews (default: the store's user).
    #[arg(long, value_name = "NAME")]
    reviewer: Option<String>,
    #[command(flatten)]
    db: DbArgs,
    /// With --redis: the review is also written to the job's log, for BullMQ's clients.
    #[command(flatten)]
    queue: QueueArgs,
}

/// `fovea jobs accept`.
#[derive(clap::Args)]
pub struct AcceptCommand {
    /// The tracking job.
    id: String,
    #[command(flatten)]
    review: ReviewArgs,
    /// Save a type annotation of this type (with --persona).
    #[arg(long = "type", value_name = "TYPE")]
    type_id: Option<String>,
    /// The persona whose ontology holds the type.
    #[arg(long, value_name = "ID")]
    persona: Option<String>,
    /// The type's category: entity (default), role or event.
    #[arg(long, value_name = "CATEGORY")]
    category: Option<String>,
    /// Save an object annotation linked to this world object (instead of a type).
    #[arg(long, value_name = "ID")]
    entity: Option<String>,
    /// Keep every tracked box within this many pixels (default 1).
    #[arg(long, value_name = "PX")]
    tolerance: Option<f64>,
    /// FOVEA's decimation: every N-th box, or `auto`.
    #[arg(long, value_name = "N|auto", value_parser = parse_decimation)]
    decimation: Option<Decimation>,
    /// Every tracked frame a keyframe.
    #[arg(long)]
    every_frame: bool,
    /// Only the tracked frames A..B (inclusive).
    #[arg(long, value_name = "A..B", value_parser = parse_frames)]
    frames: Option<FrameRange>,
}

/// `fovea jobs reject`.
#[derive(clap::Args)]
pub struct RejectCommand {
    /// The tracking job.
    id: String,
    #[command(flatten)]
    review: ReviewArgs,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

fn parse_decimation(text: &str) -> Result<Decimation, String> {
    serde_json::from_str::<Decimation>(text)
        .or_else(|_| serde_json::from_value(serde_json::Value::from(text)))
        .map_err(|_| format!("expected a whole number or `auto`, got {text:?}"))
}

fn parse_frames(text: &str) -> Result<FrameRange, String> {
    let bad = || format!("expected A..B (frame numbers), got {text:?}");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    Ok(FrameRange {
        start: a.trim().parse().map_err(|_| bad())?,
        end: b.trim().parse().map_err(|_| bad())?,
    })
}

/// The queue named by `--redis`, if one is.
async fn queue(args: &QueueArgs, what: &str) -> Result<Option<BullQueue>, Failure> {
    match &args.redis {
        Some(_) => Ok(Some(args.connect(what).await?)),
        None => Ok(None),
    }
}

/// Prints a job's candidates as a JSON array.
pub async fn candidates(c: &CandidatesCommand) -> Outcome {
    let args = CandidatesArgs {
        job_id: Some(c.id.clone()),
        video_id: None,
        state: c.state.clone(),
    };
    let store = c.db.connect(Layout::default()).await?;
    let queue = queue(&c.queue, "jobs candidates").await?;
    let listed = review::candidates(&store, queue.as_ref(), &args).await;
    if let Some(q) = queue {
        q.close().await;
    }
    store.close().await;
    print_json(&listed?)
}

/// Accepts a candidate; prints it, reviewed.
pub async fn accept(c: &AcceptCommand) -> Outcome {
    let accept = AcceptArgs {
        type_id: c.type_id.clone(),
        persona_id: c.persona.clone(),
        type_category: c.category.clone(),
        entity_id: c.entity.clone(),
        tolerance: c.tolerance,
        decimation: c.decimation,
        every_frame: c.every_frame.then_some(true),
        frames: c.frames,
        version: c.review.expect_version,
        reviewer: c.review.reviewer.clone(),
    }
    .options()?;
    let store = c.review.db.connect(Layout::default()).await?;
    let queue = queue(&c.review.queue, "jobs accept").await?;
    let reviewed = review::accept(&store, queue.as_ref(), &c.id, c.review.object, accept).await;
    if let Some(q) = queue {
        q.close().await;
    }
    store.close().await;
    print_json(&reviewed?)
}

/// Rejects a candidate; prints it, reviewed.
pub async fn reject(c: &RejectCommand) -> Outcome {
    let reject = RejectArgs {
        reason: c.reason.clone(),
        version: c.review.expect_version,
        reviewer: c.review.reviewer.clone(),
    };
    let store = c.review.db.connect(Layout::default()).await?;
    let queue = queue(&c.review.queue, "jobs reject").await?;
    let reviewed = review::reject(&store, queue.as_ref(), &c.id, c.review.object, reject).await;
    if let Some(q) = queue {
        q.close().await;
    }
    store.close().await;
    print_json(&reviewed?)
}
