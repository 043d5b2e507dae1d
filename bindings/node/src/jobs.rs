//! Tracking jobs: `JobQueue` (the in-process queue, or a BullMQ queue on Redis shared with
//! FOVEA's Node backend and BullMQ's own clients), the native side of workers whose handler is
//! a JavaScript function (`JobWorker`, `Job`; the loop that calls the handler is `fovea.js`'s
//! `Worker`), and FOVEA's status shapes.
//!
//! Every call returns a Promise whose work runs on fovea's own async runtime (not the libuv
//! thread pool, which a worker waiting for jobs would otherwise occupy); it settles on the
//! JavaScript thread. Failures reject with an `Error` whose `code` is the queue's stable code
//! (`invalid-job-id`, `job-not-found`, `queue-backend`, … — `JOB_ERROR_CODES`) or, for bad
//! arguments, the core's (`invalid-type`, `invalid-option`, `non-finite-number`).

use crate::convert::{self, Js, Tape};
use crate::error::{Fail, Res, coded_error};
use fovea_core::Error as CoreError;
use fovea_jobs::host::{AnyQueue, AnyWorker, QueueConfig, RelayJob, Relayed, relay};
use fovea_jobs::tracking::{SimulatedModelService as Service, Simulation, TrackingHandler};
use fovea_jobs::{
    AddArgs, Cancelled, Failure, JobError, JobQueue as _, ListArgs, QueueArgs, Shape, StatusArgs,
    TrackingWorkerArgs, TrackingWorkerSetup, WaitArgs, WorkerArgs, WorkerOptions,
};
use fovea_runtime::runtime;
use napi::Env;
use napi::bindgen_prelude::{Object, Unknown};
use napi_derive::napi;
use serde_json::Value;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const JOB_CODE_COUNT: usize = JobError::CODES.len();

/// Every `code` a job-queue failure can carry (`JobError::CODES`).
#[napi]
pub const JOB_ERROR_CODES: [&str; JOB_CODE_COUNT] =
    match JobError::CODES.first_chunk::<JOB_CODE_COUNT>() {
        Some(codes) => *codes,
        None => unreachable!(),
    };

/// A failure of a job call: a bad argument (the core's codes) or the queue's.
pub(crate) enum JobFail {
    Core(CoreError),
    Job(JobError),
}

impl From<JobError> for JobFail {
    fn from(e: JobError) -> Self {
        JobFail::Job(e)
    }
}

impl From<CoreError> for JobFail {
    fn from(e: CoreError) -> Self {
        JobFail::Core(e)
    }
}

impl JobFail {
    fn into_js(self, env: &Env) -> napi::Error {
        let made = match &self {
            JobFail::Core(e) | JobFail::Job(JobError::Core(e)) => {
                coded_error(env, e.code(), &e.to_string(), e.path(), e.line())
            }
            JobFail::Job(e) => {
                let path = match e {
                    JobError::InvalidOptions { field, .. } => Some(*field),
                    JobError::Timeout { .. } => Some("timeoutMs"),
                    _ => None,
                };
                coded_error(env, e.code(), &e.to_string(), path, None)
            }
        };
        made.unwrap_or_else(|failed| failed)
    }
}

/// Runs `work` on fovea's runtime and returns a Promise of its result (written to a tape on
/// the runtime's thread). Argument errors found before (`prepared`) reject the Promise too, so
/// these calls never throw for them.
pub(crate) fn promise<F>(env: &Env, prepared: Result<F, Fail>) -> napi::Result<Object<'_>>
where
    F: Future<Output = Result<Tape, JobFail>> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred::<Tape, _>()?;
    match prepared {
        Ok(work) => {
            runtime().spawn(async move {
                let outcome = work.await;
                deferred.resolve(move |env| match outcome {
                    Ok(value) => Ok(value),
                    Err(fail) => Err(fail.into_js(&env)),
                });
            });
        }
        Err(Fail::Core(e)) => deferred.reject(JobFail::Core(e).into_js(env)),
        Err(Fail::Napi(e)) => return Err(e),
    }
    Ok(promise)
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms / 1000.0)
}

/// The tape of a job result.
pub(crate) fn tape<T: serde::Serialize + ?Sized>(value: &T) -> Result<Tape, JobFail> {
    Ok(Tape::of(value)?)
}

/// A job's status in `shape`, or `null`.
fn shaped(view: Option<fovea_jobs::JobView>, shape: Shape) -> Result<Tape, JobFail> {
    tape(&view.as_ref().map(|v| v.shaped(shape)))
}

/// A job queue: the in-process queue (no URL; it lives in this Node process) or a BullMQ
/// queue on Redis (`redis://…`). Open one with `await JobQueue.open(url?, options?)`.
#[napi]
pub struct JobQueue {
    queue: AnyQueue,
}

impl JobQueue {
    /// The queue.
    pub(crate) fn any(&self) -> &AnyQueue {
        &self.queue
    }
}

#[napi]
impl JobQueue {
    /// Opens a queue. Options: `name` (default `object-tracking`), `prefix` (BullMQ's key
    /// prefix, default `bull`), `allowCrossMajor` (allow pausing a queue BullMQ 5 clients
    /// share). A URL of another scheme rejects with `invalid-option`; an unreachable Redis
    /// with `queue-backend`.
    #[napi(catch_unwind, ts_return_type = "Promise<JobQueue>")]
    pub fn open<'env>(
        env: &'env Env,
        #[napi(ts_arg_type = "string | null")] url: Option<Unknown>,
        #[napi(ts_arg_type = "JobQueueOptions")] options: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let prepared = (|| -> Res<QueueConfig> {
            let url = match &url {
                Some(u) if !convert::is_nullish(u)? => Some(convert::string(u, "url")?),
                _ => None,
            };
            Ok(convert::options::<QueueArgs>(options.as_ref())?.config(url))
        })();
        let (deferred, promise) = env.create_deferred::<JobQueue, _>()?;
        match prepared {
            Ok(config) => {
                runtime().spawn(async move {
                    let opened = AnyQueue::open(&config).await;
                    deferred.resolve(move |env| match opened {
                        Ok(queue) => Ok(JobQueue { queue }),
                        Err(e) => Err(JobFail::Job(e).into_js(&env)),
                    });
                });
            }
            Err(Fail::Core(e)) => deferred.reject(JobFail::Core(e).into_js(env)),
            Err(Fail::Napi(e)) => return Err(e),
        }
        Ok(promise)
    }

    /// `in-process` or `bullmq`.
    #[napi(getter, ts_return_type = "'in-process' | 'bullmq'")]
    pub fn backend(&self) -> &'static str {
        self.queue.backend()
    }

    /// The queue's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.queue.name().to_owned()
    }

    /// Queues a job; resolves to `{ jobId, duplicate }` (a job whose `id` exists is not added
    /// again). Options: `id`, `name` (default `track`), `jobOptions` (BullMQ's option names
    /// over FOVEA's defaults: 3 attempts, exponential backoff from 2 s, keep the last 100).
    #[napi(catch_unwind, ts_return_type = "Promise<JobAdded>")]
    pub fn add<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "unknown")] data: Unknown,
        #[napi(ts_arg_type = "JobAddOptions")] options: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        let prepared = (|| -> Res<_> {
            let data = convert::from_js(&data, "data")?.unwrap_or(Value::Null);
            let args = convert::options::<AddArgs>(options.as_ref())?;
            Ok(async move {
                let (name, opts) = args.options()?;
                let added = queue.add(&name, data, opts).await?;
                tape(&added)
            })
        })();
        promise(env, prepared)
    }

    /// The job's status in `options.shape` (`canonical`, `summary`, `mapped`, `frontend`), or
    /// `null` when there is no such job.
    #[napi(catch_unwind, ts_return_type = "Promise<JobStatusView | null>")]
    pub fn status<'env>(
        &self,
        env: &'env Env,
        id: String,
        #[napi(ts_arg_type = "JobShapeOptions")] options: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        let prepared = (|| -> Res<_> {
            let shape = convert::options::<StatusArgs>(options.as_ref())?.shape()?;
            Ok(async move { shaped(queue.view(&id).await?, shape) })
        })();
        promise(env, prepared)
    }

    /// Resolves when the job has finished, to its status (`null` when there is no such job).
    /// Options: `shape`, `timeoutMs` (then rejects with an `Error` whose code is `timeout`).
    #[napi(catch_unwind, ts_return_type = "Promise<JobStatusView | null>")]
    pub fn wait<'env>(
        &self,
        env: &'env Env,
        id: String,
        #[napi(ts_arg_type = "JobWaitOptions")] options: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        let prepared = (|| -> Res<_> {
            let (shape, timeout) = convert::options::<WaitArgs>(options.as_ref())?.options()?;
            Ok(async move {
                let view = fovea_jobs::wait(&queue, &id, timeout, || false).await?;
                shaped(view, shape)
            })
        })();
        promise(env, prepared)
    }

    /// Statuses of the jobs in `options.states` (all when absent), newest finished first;
    /// at most `options.limit` (default 100); in `options.shape`.
    #[napi(catch_unwind, ts_return_type = "Promise<JobStatusView[]>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "JobListOptions")] options: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        let prepared = (|| -> Res<_> {
            let (shape, states, limit) =
                convert::options::<ListArgs>(options.as_ref())?.options()?;
            Ok(async move {
                let views = queue.list(&states, limit).await?;
                tape(&views.iter().map(|v| v.shaped(shape)).collect::<Vec<_>>())
            })
        })();
        promise(env, prepared)
    }

    /// How many jobs are in each state.
    #[napi(catch_unwind, ts_return_type = "Promise<JobCounts>")]
    pub fn counts<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        promise(env, Ok(async move { tape(&queue.counts().await?) }))
    }

    /// Cancels a job that has not finished: resolves to `failed` (not started: failed with
    /// reason "cancelled"), `removed` (BullMQ: a queued job is removed) or `signalled` (it
    /// runs: its worker stops and fails it).
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<'failed' | 'removed' | 'signalled'>"
    )]
    pub fn cancel<'env>(&self, env: &'env Env, id: String) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        promise(
            env,
            Ok(async move {
                tape(match queue.cancel(&id).await? {
                    Cancelled::Failed => "failed",
                    Cancelled::Removed => "removed",
                    Cancelled::Signalled => "signalled",
                })
            }),
        )
    }

    /// Removes a job that is not running; resolves to false when there was none.
    #[napi(catch_unwind, ts_return_type = "Promise<boolean>")]
    pub fn remove<'env>(&self, env: &'env Env, id: String) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        promise(env, Ok(async move { tape(&queue.remove(&id).await?) }))
    }

    /// Closes the queue (an in-process queue refuses further work; Redis connections close).
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let queue = self.queue.clone();
        promise(
            env,
            Ok(async move {
                queue.close().await;
                tape(&())
            }),
        )
    }

    /// Starts the native side of a worker (use `queue.worker(handler, options)` of
    /// `fovea.js`, which calls the handler). Options: `concurrency` (default 1), `timeoutMs`
    /// (per attempt, for jobs that set none), `leaseMs` (default 30000), `name`.
    #[napi(catch_unwind, ts_return_type = "Promise<JobWorker>")]
    pub fn start_worker<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "WorkerOptions")] options: Option<Unknown>,
    ) -> napi::Result<Object<'env>> {
        let prepared = (|| -> Res<WorkerOptions> {
            Ok(convert::options::<WorkerArgs>(options.as_ref())?.options()?)
        })();
        let queue = self.queue.clone();
        start_worker(env, prepared, move |opts| async move {
            let (handler, relayed) = relay();
            let worker = queue.start_worker(Arc::new(handler), opts).await?;
            Ok((worker, Some(Arc::new(relayed))))
        })
    }

    /// Starts fovea's own tracking worker (use `queue.trackingWorker(options)` of
    /// `fovea.js`): each `track` job goes to FOVEA's model service at `options.modelService`
    /// (`POST /api/tracking/track`); its tracks become keyframe sequences (the fewest within
    /// `options.tolerance` pixels, default 1) and, with `options.db`, are saved as
    /// annotations. Runs natively; other options as for `startWorker`.
    #[napi(catch_unwind, ts_return_type = "Promise<JobWorker>")]
    pub fn start_tracking_worker<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "TrackingWorkerOptions")] options: Unknown,
    ) -> napi::Result<Object<'env>> {
        let prepared = (|| -> Res<TrackingWorkerSetup> {
            Ok(convert::options::<TrackingWorkerArgs>(Some(&options))?.options()?)
        })();
        let queue = self.queue.clone();
        let (prepared, setup) = match prepared {
            Ok(setup) => (Ok(setup.worker.clone()), Some(setup)),
            Err(e) => (Err(e), None),
        };
        start_worker(env, prepared, move |opts| async move {
            let setup = setup.expect("set up with the options");
            let handler =
                TrackingHandler::connect(&setup.model_service, setup.db.as_deref(), setup.tracking)
                    .await?;
            let worker = queue.start_worker(Arc::new(handler), opts).await?;
            Ok((worker, None))
        })
    }
}

/// A Promise of the `JobWorker` that `start` makes on fovea's runtime.
fn start_worker<'env, F, Fut>(
    env: &'env Env,
    prepared: Res<WorkerOptions>,
    start: F,
) -> napi::Result<Object<'env>>
where
    F: FnOnce(WorkerOptions) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(AnyWorker, Option<Arc<Relayed>>), JobError>> + Send,
{
    let (deferred, promise) = env.create_deferred::<JobWorker, _>()?;
    match prepared {
        Ok(opts) => {
            runtime().spawn(async move {
                let started = start(opts).await;
                deferred.resolve(move |env| match started {
                    Ok((worker, relayed)) => Ok(JobWorker {
                        worker: Arc::new(Mutex::new(Some(worker))),
                        relayed,
                    }),
                    Err(e) => Err(JobFail::Job(e).into_js(&env)),
                });
            });
        }
        Err(Fail::Core(e)) => deferred.reject(JobFail::Core(e).into_js(env)),
        Err(Fail::Napi(e)) => return Err(e),
    }
    Ok(promise)
}

/// The native side of a worker: the Rust worker claims jobs and keeps their leases; `next`
/// hands them to JavaScript.
#[napi]
pub struct JobWorker {
    worker: Arc<Mutex<Option<AnyWorker>>>,
    /// The jobs for JavaScript (none for a native handler's worker).
    relayed: Option<Arc<Relayed>>,
}

#[napi]
impl JobWorker {
    /// The next claimed job, or `null` when none came within `waitMs` (always `null` for a
    /// worker with a native handler).
    #[napi(catch_unwind, ts_return_type = "Promise<Job | null>")]
    pub fn next<'env>(&self, env: &'env Env, wait_ms: f64) -> napi::Result<Object<'env>> {
        let relayed = self.relayed.clone();
        let wait = millis(wait_ms.max(0.0));
        let (deferred, promise) = env.create_deferred::<Option<Job>, _>()?;
        runtime().spawn(async move {
            let job = match relayed {
                Some(relayed) => relayed.next(wait).await,
                None => None,
            };
            deferred.resolve(move |_| Ok(job.map(|job| Job { job: Arc::new(job) })));
        });
        Ok(promise)
    }

    /// Whether the worker runs.
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// What the worker has done: `{ completed, failed, retried, handedBack, stale,
    /// backendErrors }`; `null` once closed.
    #[napi(ts_return_type = "WorkerReport | null")]
    pub fn report(&self) -> Option<Js<fovea_jobs::WorkerReport>> {
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        worker.as_ref().map(|w| Js(w.report()))
    }

    /// Stops claiming; running jobs get `graceMs` to finish, the rest go back to the queue.
    /// Resolves to the final report (`null` when already closed).
    #[napi(catch_unwind, ts_return_type = "Promise<WorkerReport | null>")]
    pub fn close<'env>(&self, env: &'env Env, grace_ms: f64) -> napi::Result<Object<'env>> {
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        let grace = millis(grace_ms.max(0.0));
        promise(
            env,
            Ok(async move {
                match worker {
                    Some(w) => tape(&w.shutdown(grace).await),
                    None => tape(&()),
                }
            }),
        )
    }
}

/// A job handed to a handler.
#[napi]
pub struct Job {
    job: Arc<RelayJob>,
}

#[napi]
impl Job {
    /// The job's id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.job.context().id().to_owned()
    }

    /// The job's name (`track`).
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.job.context().name().to_owned()
    }

    /// The payload (a new object on each access).
    #[napi(getter, ts_return_type = "any")]
    pub fn data(&self) -> Js<&Value> {
        Js(self.job.context().data())
    }

    /// Attempts that ended before this one (0 on the first).
    #[napi(getter)]
    pub fn attempts_made(&self) -> u32 {
        self.job.context().attempts_made()
    }

    /// True once the job is cancelled, has timed out or lost its lease: the handler should
    /// return (its result will not be recorded).
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.job.is_over()
    }

    /// Reports progress: a number 0–100 or JSON (written at most every 250 ms).
    #[napi(catch_unwind)]
    pub fn progress(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "number | object")] value: Unknown,
    ) -> napi::Result<()> {
        let value = convert::from_js(&value, "value")
            .map_err(|f| f.into_js(env))?
            .unwrap_or(Value::Null);
        self.job.context().progress(value);
        Ok(())
    }

    /// Completes the job with `result` (JSON); false when its attempt had already ended
    /// (cancelled, timed out) or it was finished before.
    #[napi(catch_unwind)]
    pub fn complete(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "unknown")] result: Unknown,
    ) -> napi::Result<bool> {
        let outcome = match convert::from_js(&result, "result") {
            Ok(value) => Ok(value.unwrap_or(Value::Null)),
            Err(Fail::Core(e)) => Err(Failure::unrecoverable(format!(
                "the handler's result is not JSON: {e}"
            ))),
            Err(Fail::Napi(e)) => return Err(Fail::Napi(e).into_js(env)),
        };
        Ok(self.job.finish(outcome).is_ok())
    }

    /// Fails the attempt: retried while attempts remain, unless `unrecoverable`. `stack` is
    /// kept as the job's stack trace. False as for `complete`.
    #[napi]
    pub fn fail(&self, message: String, unrecoverable: bool, stack: Option<String>) -> bool {
        let failure = Failure {
            message,
            detail: stack,
            unrecoverable,
        };
        self.job.finish(Err(failure)).is_ok()
    }
}

/// A stand-in for FOVEA's model service on a loopback port, for trying tracking without a
/// GPU model: it speaks `POST /api/tracking/track` exactly and "tracks" each object by moving
/// its initial box at a constant velocity. Start one with `await
/// SimulatedModelService.start({ videos: { <id>: { width, height, frames } }, velocity?:
/// [dx, dy], lost?: [[first, last]] })`; other videos answer 404.
#[napi]
pub struct SimulatedModelService {
    service: Mutex<Option<Service>>,
    url: String,
}

#[napi]
impl SimulatedModelService {
    /// Starts the service on a free loopback port.
    #[napi(catch_unwind, ts_return_type = "Promise<SimulatedModelService>")]
    pub fn start<'env>(
        env: &'env Env,
        #[napi(ts_arg_type = "SimulationOptions")] simulation: Unknown,
    ) -> napi::Result<Object<'env>> {
        let prepared = (|| -> Res<Value> {
            Ok(convert::from_js(&simulation, "simulation")?.unwrap_or(Value::Null))
        })();
        let (deferred, promise) = env.create_deferred::<SimulatedModelService, _>()?;
        match prepared {
            Ok(value) => {
                runtime().spawn(async move {
                    let started = match Simulation::from_value(value) {
                        Ok(simulation) => Service::start(simulation).await.map_err(|e| {
                            JobFail::Core(CoreError::io(
                                "cannot start the simulated model service",
                                &e,
                            ))
                        }),
                        Err(e) => Err(JobFail::Job(e)),
                    };
                    deferred.resolve(move |env| match started {
                        Ok(service) => Ok(SimulatedModelService {
                            url: service.url().to_owned(),
                            service: Mutex::new(Some(service)),
                        }),
                        Err(fail) => Err(fail.into_js(&env)),
                    });
                });
            }
            Err(Fail::Core(e)) => deferred.reject(JobFail::Core(e).into_js(env)),
            Err(Fail::Napi(e)) => return Err(e),
        }
        Ok(promise)
    }

    /// `http://127.0.0.1:<port>`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Requests received so far.
    #[napi(getter)]
    pub fn requests(&self) -> f64 {
        self.service
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0.0, |s| s.requests() as f64)
    }

    /// Stops the service.
    #[napi]
    pub fn close(&self) {
        self.service
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }
}
