//! A queue and a worker whose backend is chosen at run time.

#[cfg(feature = "bullmq")]
use crate::bull::{BullOptions, BullQueue, BullWorker};
use crate::error::{JobError, Result};
use crate::memory::InProcessQueue;
use crate::options::JobOptions;
use crate::queue::{Added, Cancelled, Counts, JobQueue, TRACKING_QUEUE};
use crate::view::{JobState, JobView};
use crate::worker::{Handler, Worker, WorkerOptions, WorkerReport};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Which queue to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// `redis://…` or `rediss://…`: a BullMQ queue on that server (cargo feature `bullmq`);
    /// `None`: a new in-process queue.
    pub url: Option<String>,
    /// The queue's name (default `object-tracking`).
    pub name: String,
    /// BullMQ's key prefix (default `bull`).
    pub prefix: String,
    /// Allow operations that lose jobs across BullMQ majors (see [`BullOptions`]).
    pub allow_cross_major: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            url: None,
            name: TRACKING_QUEUE.into(),
            prefix: "bull".into(),
            allow_cross_major: false,
        }
    }
}

/// The in-process queue or a BullMQ queue, behind one type.
#[derive(Debug, Clone)]
pub enum AnyQueue {
    /// In this process.
    InProcess(Arc<InProcessQueue>),
    /// On Redis, shared with BullMQ clients.
    #[cfg(feature = "bullmq")]
    Bull(Arc<BullQueue>),
}

impl AnyQueue {
    /// Opens the queue `config` names (connecting to Redis for a `redis://` URL).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use fovea_jobs::host::{AnyQueue, QueueConfig};
    /// let q = AnyQueue::open(&QueueConfig::default()).await.unwrap();
    /// assert_eq!(q.backend(), "in-process");
    /// # });
    /// ```
    pub async fn open(config: &QueueConfig) -> Result<AnyQueue> {
        let url = match config.url.as_deref() {
            None => {
                return Ok(AnyQueue::InProcess(Arc::new(InProcessQueue::new(
                    &config.name,
                ))));
            }
            Some(url) => url,
        };
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(JobError::InvalidOptions {
                field: "url",
                message: format!(
                    "{url:?}: expected redis://… or rediss://… (a BullMQ queue), or no URL for the in-process queue"
                ),
            });
        }
        Self::open_bull(url, config).await
    }

    #[cfg(feature = "bullmq")]
    async fn open_bull(url: &str, config: &QueueConfig) -> Result<AnyQueue> {
        let options = BullOptions {
            prefix: config.prefix.clone(),
            allow_cross_major: config.allow_cross_major,
            ..BullOptions::new(url)
        };
        Ok(AnyQueue::Bull(Arc::new(
            BullQueue::connect(&config.name, options).await?,
        )))
    }

    #[cfg(not(feature = "bullmq"))]
    async fn open_bull(url: &str, _config: &QueueConfig) -> Result<AnyQueue> {
        Err(JobError::InvalidOptions {
            field: "url",
            message: format!(
                "{url:?}: this build of fovea has no BullMQ backend (cargo feature `bullmq`)"
            ),
        })
    }

    /// `in-process` or `bullmq`.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyQueue::InProcess(_) => "in-process",
            #[cfg(feature = "bullmq")]
            AnyQueue::Bull(_) => "bullmq",
        }
    }

    /// Closes the queue: an in-process queue refuses further work; a BullMQ queue closes
    /// its connections (the jobs stay in Redis).
    pub async fn close(&self) {
        match self {
            AnyQueue::InProcess(q) => q.close(),
            #[cfg(feature = "bullmq")]
            AnyQueue::Bull(q) => q.close().await,
        }
    }

    /// Starts a worker on this queue (on the current tokio runtime).
    pub async fn start_worker<H: Handler>(
        &self,
        handler: Arc<H>,
        options: WorkerOptions,
    ) -> Result<AnyWorker> {
        match self {
            AnyQueue::InProcess(q) => Ok(AnyWorker::InProcess(Worker::start(
                q.clone(),
                handler,
                options,
            ))),
            #[cfg(feature = "bullmq")]
            AnyQueue::Bull(q) => Ok(AnyWorker::Bull(Box::new(
                BullWorker::start(q.name(), handler, options, q.options()).await?,
            ))),
        }
    }
}

/// Calls `$call` on whichever queue `$self` holds.
macro_rules! each {
    ($self:ident, $q:ident => $call:expr) => {
        match $self {
            AnyQueue::InProcess($q) => $call,
            #[cfg(feature = "bullmq")]
            AnyQueue::Bull($q) => $call,
        }
    };
}

impl JobQueue for AnyQueue {
    fn name(&self) -> &str {
        each!(self, q => q.name())
    }

    async fn add(&self, name: &str, data: Value, opts: JobOptions) -> Result<Added> {
        each!(self, q => q.add(name, data, opts).await)
    }

    async fn view(&self, id: &str) -> Result<Option<JobView>> {
        each!(self, q => q.view(id).await)
    }

    async fn list(&self, states: &[JobState], limit: usize) -> Result<Vec<JobView>> {
        each!(self, q => q.list(states, limit).await)
    }

    async fn counts(&self) -> Result<Counts> {
        each!(self, q => q.counts().await)
    }

    async fn cancel(&self, id: &str) -> Result<Cancelled> {
        each!(self, q => q.cancel(id).await)
    }

    async fn remove(&self, id: &str) -> Result<bool> {
        each!(self, q => q.remove(id).await)
    }

    async fn finished(&self, id: &str) -> Result<Option<JobView>> {
        each!(self, q => q.finished(id).await)
    }

    async fn add_log(&self, id: &str, line: &str) -> Result<bool> {
        each!(self, q => q.add_log(id, line).await)
    }
}

/// A worker on an [`AnyQueue`].
#[derive(Debug)]
pub enum AnyWorker {
    /// On the in-process queue.
    InProcess(Worker),
    /// On a BullMQ queue.
    #[cfg(feature = "bullmq")]
    Bull(Box<BullWorker>),
}

impl AnyWorker {
    /// What the worker has done so far.
    pub fn report(&self) -> WorkerReport {
        match self {
            AnyWorker::InProcess(w) => w.report(),
            #[cfg(feature = "bullmq")]
            AnyWorker::Bull(w) => w.report(),
        }
    }

    /// Stops claiming; running jobs get `grace` to finish, then are handed back.
    pub async fn shutdown(self, grace: Duration) -> WorkerReport {
        match self {
            AnyWorker::InProcess(w) => w.shutdown(grace).await,
            #[cfg(feature = "bullmq")]
            AnyWorker::Bull(w) => w.shutdown(grace).await,
        }
    }
}
