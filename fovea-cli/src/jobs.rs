//! The tracking-job commands: `track` (one job on the in-process queue, in this process),
//! `jobs submit|status|list|cancel` and `worker` (a BullMQ queue on Redis, shared with FOVEA's
//! Node backend and Python).

use crate::exchange::print_json;
use crate::failure::{Failure, Outcome};
use crate::interpolate::read_input;
use crate::review;
use fovea_core::limits::TrackingLimits;
use fovea_jobs::bull::{BullOptions, BullQueue, BullWorker};
use fovea_jobs::tracking::{
    DEFAULT_MODEL_SERVICE_URL, SimulatedModelService, SimulatedVideo, Simulation, TrackingHandler,
    TrackingJob, TrackingOptions,
};
use fovea_jobs::{
    InProcessQueue, JobError, JobOptions, JobQueue, JobState, JobView, TRACKING_JOB,
    TRACKING_QUEUE, Worker, WorkerOptions,
};
use fovea_runtime::runtime;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

impl From<JobError> for Failure {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Backend(_) | JobError::Closed => Failure::Usage(e.to_string()),
            other => Failure::Job(other),
        }
    }
}

fn read_json(file: Option<&PathBuf>) -> Result<Value, Failure> {
    let text = read_input(file)?;
    serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("the job is not JSON: {e}")))
}

/// Where the model service is.
#[derive(clap::Args, Clone)]
pub struct ServiceArgs {
    /// FOVEA's model service (its `POST /api/tracking/track`).
    #[arg(long, value_name = "URL", env = "MODEL_SERVICE_URL", default_value = DEFAULT_MODEL_SERVICE_URL)]
    pub model_service: String,
    /// Save the tracks as annotations in this database (postgres://… or sqlite:…).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Keyframe tolerance in pixels for jobs that give none.
    #[arg(long, value_name = "PX", default_value_t = fovea_jobs::tracking::handler::DEFAULT_TOLERANCE)]
    pub tolerance: f64,
    #[command(flatten)]
    pub limits: LimitsArg,
}

/// What one tracking job may ask for.
#[derive(clap::Args, Clone)]
pub struct LimitsArg {
    /// Tracking limits, JSON: {"frames": N, "videoPixels": N, "objects": N, "maskBytes": N};
    /// absent ones keep their defaults (1048576, 67108864, 1024, 268435456).
    #[arg(long, value_name = "JSON", value_parser = parse_limits)]
    limits: Option<TrackingLimits>,
}

impl LimitsArg {
    /// The limits given, or the defaults.
    pub fn get(&self) -> TrackingLimits {
        self.limits.unwrap_or_default()
    }
}

/// A payload the worker would refuse: invalid input (exit status 1), its code and field named.
fn invalid_job(e: fovea_jobs::tracking::PayloadError) -> Failure {
    Failure::Invalid(e.into())
}

fn parse_limits(text: &str) -> Result<TrackingLimits, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    TrackingLimits::from_value(&value).map_err(|e| e.to_string())
}

impl ServiceArgs {
    async fn handler(&self, url: &str) -> Result<TrackingHandler, Failure> {
        let options = TrackingOptions {
            tolerance: self.tolerance,
            limits: self.limits.get(),
            ..Default::default()
        };
        Ok(TrackingHandler::connect(url, self.db.as_deref(), options).await?)
    }
}

/// `fovea track`.
#[derive(clap::Args)]
pub struct TrackArgs {
    /// The tracking job's payload (JSON; `-` or nothing: standard input).
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Track against a simulated model service instead (boxes moving at a constant velocity:
    /// for trying fovea without a GPU model; the job must give videoWidth and videoHeight).
    #[arg(long)]
    pub simulate: bool,
    /// Time limit of the job in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

/// Runs one tracking job on the in-process queue and prints its final status.
pub fn track(args: &TrackArgs) -> Outcome {
    let data = read_json(args.file.as_ref())?;
    let job =
        TrackingJob::from_value_within(&data, &args.service.limits.get()).map_err(invalid_job)?;
    runtime().block_on(async {
        let simulated = match args.simulate {
            true => Some(simulate(&job).await?),
            false => None,
        };
        let url = simulated
            .as_ref()
            .map_or(args.service.model_service.clone(), |s| s.url().to_owned());
        let handler = args.service.handler(&url).await?;
        let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
        let options = WorkerOptions {
            timeout: args.timeout.map(Duration::from_secs),
            ..Default::default()
        };
        let worker = Worker::start(queue.clone(), Arc::new(handler), options);
        let added = queue.add(TRACKING_JOB, data, JobOptions::default()).await?;
        let mut events = queue.subscribe();
        let watch = tokio::spawn(async move {
            while let Ok(e) = events.recv().await {
                match e {
                    fovea_jobs::JobEvent::Progress(_, p) => eprintln!("fovea: progress {p}"),
                    fovea_jobs::JobEvent::Retrying(_, d) => {
                        eprintln!("fovea: attempt failed, retrying in {} ms", d.as_millis())
                    }
                    _ => {}
                }
            }
        });
        let view = queue
            .finished(&added.id)
            .await?
            .expect("a finished job is kept");
        watch.abort();
        worker.shutdown(Duration::from_secs(5)).await;
        finish(&view)
    })
}

/// A simulated service that knows the job's video.
async fn simulate(job: &TrackingJob) -> Result<SimulatedModelService, Failure> {
    let (Some(width), Some(height)) = (job.video_width, job.video_height) else {
        return Err(Failure::Usage(
            "--simulate needs the job's videoWidth and videoHeight".into(),
        ));
    };
    let last = match (&job.frame_numbers, job.frame_range) {
        (Some(list), _) => list.iter().copied().max().unwrap_or(0),
        (None, Some(r)) => r.end,
        (None, None) => 99,
    };
    let simulation = Simulation {
        videos: HashMap::from([(
            job.video_id.clone(),
            SimulatedVideo {
                width,
                height,
                frames: last + 1,
            },
        )]),
        velocity: (1.5, 0.5),
        ..Default::default()
    };
    SimulatedModelService::start(simulation)
        .await
        .map_err(|e| Failure::Io("cannot start the simulated model service".into(), e))
}

/// Prints the canonical view; exit status 1 when the job failed.
fn finish(view: &JobView) -> Outcome {
    print_json(view)?;
    eprintln!("fovea: job {}: {}", view.job_id, view.message());
    match view.state {
        JobState::Failed => Err(Failure::Silent(1)),
        _ => Ok(()),
    }
}

/// Where the queue is.
#[derive(clap::Args, Clone)]
pub struct QueueArgs {
    /// The Redis server of the BullMQ queue.
    #[arg(long, value_name = "URL", env = "FOVEA_REDIS_URL")]
    pub redis: Option<String>,
    /// The queue.
    #[arg(long, default_value = TRACKING_QUEUE)]
    pub queue: String,
    /// BullMQ key prefix.
    #[arg(long, default_value = "bull")]
    pub prefix: String,
}

impl QueueArgs {
    fn options(&self, what: &str) -> Result<BullOptions, Failure> {
        let Some(url) = &self.redis else {
            return Err(Failure::Usage(format!(
                "{what} needs --redis URL (or FOVEA_REDIS_URL): the in-process queue lives inside one process; use `fovea track` to run a job here"
            )));
        };
        Ok(BullOptions {
            prefix: self.prefix.clone(),
            ..BullOptions::new(url)
        })
    }

    pub(crate) async fn connect(&self, what: &str) -> Result<BullQueue, Failure> {
        Ok(BullQueue::connect(&self.queue, self.options(what)?).await?)
    }
}

/// The status shapes `jobs status` prints.
#[derive(clap::ValueEnum, Clone, Copy)]
pub enum Shape {
    /// fovea's canonical view (every field).
    Canonical,
    /// FOVEA's `GET /api/jobs/:id` (raw BullMQ state).
    Summary,
    /// FOVEA's claims and synthesis routes (queued/processing/completed/failed).
    Mapped,
    /// The frontend's `JobStatus` (BullMQ's job JSON).
    Frontend,
}

impl From<&Shape> for fovea_jobs::Shape {
    fn from(shape: &Shape) -> Self {
        match shape {
            Shape::Canonical => fovea_jobs::Shape::Canonical,
            Shape::Summary => fovea_jobs::Shape::Summary,
            Shape::Mapped => fovea_jobs::Shape::Mapped,
            Shape::Frontend => fovea_jobs::Shape::Frontend,
        }
    }
}

/// `fovea jobs …`.
#[derive(clap::Subcommand)]
pub enum JobsCommand {
    /// Queue a tracking job; prints `{jobId, status, duplicate}` (202-style).
    Submit {
        /// The payload (JSON; `-` or nothing: standard input).
        file: Option<PathBuf>,
        /// The job's id (resubmitting an id returns the existing job).
        #[arg(long)]
        id: Option<String>,
        /// Job options as BullMQ names them (JSON), over FOVEA's defaults.
        #[arg(long, value_name = "JSON")]
        options: Option<String>,
        #[command(flatten)]
        limits: LimitsArg,
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// Print a job's status (exit 1 when there is no such job).
    Status {
        /// The job.
        id: String,
        /// The shape to print.
        #[arg(long, value_enum, default_value = "canonical")]
        shape: Shape,
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// Wait until a job has finished; print its status (exit 1 when it failed or is gone).
    Wait {
        /// The job.
        id: String,
        /// Give up after this many seconds (exit 2).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// List jobs (newest finished first).
    List {
        /// Only these states (repeatable): waiting, delayed, active, completed, failed…
        #[arg(long)]
        state: Vec<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// Cancel a job that has not finished.
    Cancel {
        /// The job.
        id: String,
        #[command(flatten)]
        queue: QueueArgs,
    },
    /// List a tracking job's candidates (its tracks, their keyframes and their review) as
    /// JSON; with --redis, a job whose worker had no store is registered from its result.
    Candidates(review::CandidatesCommand),
    /// Accept a candidate: save its track, reduced as asked, as an annotation.
    Accept(review::AcceptCommand),
    /// Reject a candidate (removing the annotation it had been accepted as).
    Reject(review::RejectCommand),
}

/// Runs `fovea jobs …`.
pub fn jobs(command: &JobsCommand) -> Outcome {
    runtime().block_on(async {
        match command {
            JobsCommand::Submit {
                file,
                id,
                options,
                limits,
                queue,
            } => {
                let data = read_json(file.as_ref())?;
                TrackingJob::from_value_within(&data, &limits.get())
                    .map_err(invalid_job)?;
                let mut opts = match options {
                    Some(text) => merged_options(text)?,
                    None => JobOptions::default(),
                };
                if let Some(id) = id {
                    opts.job_id = Some(id.clone());
                }
                let q = queue.connect("jobs submit").await?;
                let added = q.add(TRACKING_JOB, data, opts).await?;
                let status = if added.duplicate { "exists" } else { "queued" };
                print_json(&serde_json::json!({"jobId": added.id, "status": status, "duplicate": added.duplicate}))?;
                q.close().await;
                Ok(())
            }
            JobsCommand::Status { id, shape, queue } => {
                let q = queue.connect("jobs status").await?;
                let view = q.view(id).await?;
                q.close().await;
                let Some(view) = view else {
                    eprintln!("fovea: job {id} not found (never added, removed, or evicted)");
                    return Err(Failure::Silent(1));
                };
                print_json(&view.shaped(shape.into()))
            }
            JobsCommand::Wait { id, timeout, queue } => {
                let q = queue.connect("jobs wait").await?;
                let timeout = timeout.map(Duration::from_secs);
                let view = fovea_jobs::wait(&q, id, timeout, || false).await?;
                q.close().await;
                match view {
                    Some(view) => finish(&view),
                    None => {
                        eprintln!("fovea: job {id} not found (never added, removed, or evicted)");
                        Err(Failure::Silent(1))
                    }
                }
            }
            JobsCommand::List {
                state,
                limit,
                queue,
            } => {
                let states = state
                    .iter()
                    .map(|s| {
                        JobState::parse(s)
                            .ok_or_else(|| Failure::Usage(format!("unknown state {s:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let q = queue.connect("jobs list").await?;
                let views = q.list(&states, *limit).await?;
                q.close().await;
                print_json(&views)
            }
            JobsCommand::Cancel { id, queue } => {
                let q = queue.connect("jobs cancel").await?;
                let outcome = q.cancel(id).await?;
                q.close().await;
                let what = match outcome {
                    fovea_jobs::Cancelled::Failed => "failed",
                    fovea_jobs::Cancelled::Signalled => "signalled",
                    fovea_jobs::Cancelled::Removed => "removed",
                };
                print_json(&serde_json::json!({"jobId": id, "cancelled": what}))
            }
            JobsCommand::Candidates(c) => review::candidates(c).await,
            JobsCommand::Accept(c) => review::accept(c).await,
            JobsCommand::Reject(c) => review::reject(c).await,
        }
    })
}

/// FOVEA's defaults with the given BullMQ-named options (JSON text) over them.
fn merged_options(text: &str) -> Result<JobOptions, Failure> {
    let given: Value = serde_json::from_str(text)
        .map_err(|e| Failure::Usage(format!("--options is not JSON: {e}")))?;
    JobOptions::over_defaults(&given).map_err(|e| Failure::Usage(format!("--options: {e}")))
}

/// `fovea worker`.
#[derive(clap::Args)]
pub struct WorkerArgs {
    /// Jobs run at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Time limit of one attempt, in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// On Ctrl-C or SIGTERM, running jobs get this long to finish before they are handed back.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub grace: u64,
    /// How long a job's lock lasts without renewal (BullMQ's lockDuration): a job whose
    /// worker died is taken up again within this plus half of it.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub lease: f64,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub service: ServiceArgs,
}

fn lease(seconds: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d >= Duration::from_millis(100))
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--lease must be at least 0.1 seconds, not {seconds}"
            ))
        })
}

/// Runs a tracking worker until Ctrl-C or SIGTERM.
pub fn worker(args: &WorkerArgs) -> Outcome {
    let bull = args.queue.options("worker")?;
    runtime().block_on(async {
        let handler = args.service.handler(&args.service.model_service).await?;
        let options = WorkerOptions {
            concurrency: args.concurrency,
            timeout: args.timeout.map(Duration::from_secs),
            lease: lease(args.lease)?,
            ..Default::default()
        };
        let worker =
            BullWorker::start(&args.queue.queue, Arc::new(handler), options, &bull).await?;
        eprintln!(
            "fovea: worker on {} (queue {}, concurrency {}); Ctrl-C to stop",
            bull.url, args.queue.queue, args.concurrency
        );
        shutdown_signal().await;
        eprintln!("fovea: stopping (running jobs get {} s)", args.grace);
        let report = worker.shutdown(Duration::from_secs(args.grace)).await;
        print_json(&report)
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM can be watched");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
