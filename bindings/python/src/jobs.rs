//! `fovea.JobQueue`, `fovea.Worker` and `fovea.Job`: tracking jobs from Python.
//!
//! A `JobQueue` is the in-process queue (no URL: it lives in this Python process) or a BullMQ
//! queue on Redis (`redis://…`, shared with FOVEA's Node backend, Python `bullmq` and fovea's
//! own workers). Calls block with the GIL released; `wait` wakes every 100 ms to let Ctrl-C
//! through. Statuses are dicts in one of four shapes (`canonical`, `summary`, `mapped`,
//! `frontend`: FOVEA's routes and its frontend's `JobStatus`).
//!
//! `JobQueue.worker(handler)` runs a Python function on each job: the Rust worker claims jobs
//! and keeps their leases, timeouts and cancellation; `concurrency` threads take the claimed
//! jobs, call `handler(job)` with the GIL (an `async def` handler runs on an event loop of its
//! thread) and finish the job with what it returns (JSON-like data) or raises (`fovea.UnrecoverableError`: failed at once; any other exception: retried
//! while attempts remain). Its message is `"<ExceptionType>: <message>"` and the traceback is
//! kept as the job's stack trace.

use crate::convert::{from_py, to_py};
use crate::errors::{is_unrecoverable, job_error, to_pyerr};
use fovea_core::Error;
use fovea_jobs::host::{AnyQueue, AnyWorker, RelayJob, Relayed, relay};
use fovea_jobs::tracking::{SimulatedModelService as Service, Simulation, TrackingHandler};
use fovea_jobs::{
    AddArgs, Cancelled, Failure, JobQueue as _, JobView, ListArgs, QueueArgs, Shape, StatusArgs,
    TrackingWorkerArgs, WaitArgs, WorkerArgs,
};
use fovea_runtime::runtime;
use pyo3::prelude::*;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a blocking wait runs before it checks for Ctrl-C, and a worker thread for a stop.
const TICK: Duration = Duration::from_millis(100);

/// The status shape named `name`.
fn shape_arg(name: &str) -> PyResult<Shape> {
    StatusArgs {
        shape: Some(name.to_owned()),
    }
    .shape()
    .map_err(to_pyerr)
}

/// A time in seconds (finite, not negative).
fn seconds_arg(value: f64, option: &'static str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        to_pyerr(Error::InvalidOption {
            option,
            value: value.to_string(),
            expected: "a number of seconds ≥ 0",
        })
    })
}

/// Seconds as the libraries' milliseconds.
fn millis(seconds: f64) -> f64 {
    seconds * 1000.0
}

fn view_to_py<'py>(py: Python<'py>, view: &JobView, shape: Shape) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &view.shaped(shape))
}

/// A job queue: in this process (no URL) or BullMQ on Redis (`redis://…`).
///
/// `name`: the queue (FOVEA's `object-tracking`); `prefix`: BullMQ's key prefix;
/// `allow_cross_major`: allow pausing a queue that BullMQ 5 clients share (they lose jobs).
#[pyclass(module = "fovea._fovea", subclass, frozen)]
pub struct JobQueue {
    queue: AnyQueue,
}

impl JobQueue {
    /// The queue.
    pub(crate) fn any(&self) -> &AnyQueue {
        &self.queue
    }

    fn block<T: Send>(
        &self,
        py: Python<'_>,
        work: impl Future<Output = fovea_jobs::Result<T>> + Send,
    ) -> PyResult<T> {
        py.detach(|| runtime().block_on(work)).map_err(job_error)
    }
}

#[pymethods]
impl JobQueue {
    #[new]
    #[pyo3(signature = (url = None, *, name = "object-tracking", prefix = "bull", allow_cross_major = false))]
    fn new(
        py: Python<'_>,
        url: Option<String>,
        name: &str,
        prefix: &str,
        allow_cross_major: bool,
    ) -> PyResult<Self> {
        let config = QueueArgs {
            name: Some(name.to_owned()),
            prefix: Some(prefix.to_owned()),
            allow_cross_major: Some(allow_cross_major),
        }
        .config(url);
        let queue = py
            .detach(|| runtime().block_on(AnyQueue::open(&config)))
            .map_err(job_error)?;
        Ok(JobQueue { queue })
    }

    /// "in-process" or "bullmq".
    #[getter]
    fn backend(&self) -> &'static str {
        self.queue.backend()
    }

    /// The queue's name.
    #[getter]
    fn name(&self) -> &str {
        self.queue.name()
    }

    /// Queues a job; returns `{"jobId", "duplicate"}` (a job whose `id` exists is not added
    /// again: `duplicate` is then true). `options`: BullMQ's option names over FOVEA's
    /// defaults (3 attempts, exponential backoff from 2 s, keep the last 100 finished).
    #[pyo3(signature = (data, *, id = None, name = "track", options = None))]
    fn add<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        id: Option<String>,
        name: &str,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data: Value = from_py(data).map_err(|e| to_pyerr(e.at_path("data")))?;
        let job_options = options
            .map(from_py)
            .transpose()
            .map_err(|e| to_pyerr(e.at_path("options")))?;
        let (name, opts) = AddArgs {
            id,
            name: Some(name.to_owned()),
            job_options,
        }
        .options()
        .map_err(job_error)?;
        let added = self.block(py, self.queue.add(&name, data, opts))?;
        to_py(py, &added)
    }

    /// The job's status in `shape`, or None when there is no such job.
    #[pyo3(signature = (id, *, shape = "canonical"))]
    fn status<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        shape: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let shape = shape_arg(shape)?;
        let view = self.block(py, self.queue.view(id))?;
        view.map(|v| view_to_py(py, &v, shape)).transpose()
    }

    /// Waits until the job has finished and returns its status (None when there is no such
    /// job). Raises `FoveaTimeoutError` (a `TimeoutError`) after `timeout` seconds; Ctrl-C
    /// interrupts it.
    #[pyo3(signature = (id, *, timeout = None, shape = "canonical"))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        timeout: Option<f64>,
        shape: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (shape, timeout) = WaitArgs {
            shape: Some(shape.to_owned()),
            timeout_ms: timeout.map(millis),
        }
        .options()
        .map_err(to_pyerr)?;
        // Ctrl-C is looked for between ticks; the KeyboardInterrupt is raised as it is.
        let mut signal = None;
        let done = py.detach(|| {
            runtime().block_on(fovea_jobs::wait(&self.queue, id, timeout, || {
                signal = Python::attach(|py| py.check_signals()).err();
                signal.is_some()
            }))
        });
        if let Some(e) = signal {
            return Err(e);
        }
        let view = done.map_err(job_error)?;
        view.map(|v| view_to_py(py, &v, shape)).transpose()
    }

    /// Statuses of the jobs in `states` (all when None: waiting, prioritized, delayed,
    /// active, completed, failed…), newest finished first; at most `limit`.
    #[pyo3(signature = (states = None, *, limit = 100, shape = "canonical"))]
    fn list<'py>(
        &self,
        py: Python<'py>,
        states: Option<Vec<String>>,
        limit: usize,
        shape: &str,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let (shape, states, limit) = ListArgs {
            shape: Some(shape.to_owned()),
            states,
            limit: Some(limit),
        }
        .options()
        .map_err(to_pyerr)?;
        let views = self.block(py, self.queue.list(&states, limit))?;
        views.iter().map(|v| view_to_py(py, v, shape)).collect()
    }

    /// How many jobs are in each state.
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let counts = self.block(py, self.queue.counts())?;
        to_py(py, &counts)
    }

    /// Cancels a job that has not finished: "failed" (it had not started: failed with reason
    /// "cancelled"), "removed" (BullMQ: a queued job is removed) or "signalled" (it runs: its
    /// worker stops it and fails it).
    fn cancel(&self, py: Python<'_>, id: &str) -> PyResult<&'static str> {
        Ok(match self.block(py, self.queue.cancel(id))? {
            Cancelled::Failed => "failed",
            Cancelled::Signalled => "signalled",
            Cancelled::Removed => "removed",
        })
    }

    /// Removes a job that is not running; False when there was none.
    fn remove(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        self.block(py, self.queue.remove(id))
    }

    /// Starts a worker that runs `handler(job)` on each job of this queue (see `Worker`).
    /// `timeout`: seconds an attempt may run (for jobs that set none); `lease`: seconds a
    /// claim stays valid without renewal (renewed every second while the handler runs).
    #[pyo3(signature = (handler, *, concurrency = 1, timeout = None, lease = 30.0, name = None))]
    fn worker(
        &self,
        py: Python<'_>,
        handler: Py<PyAny>,
        concurrency: usize,
        timeout: Option<f64>,
        lease: f64,
        name: Option<String>,
    ) -> PyResult<Worker> {
        if !handler.bind(py).is_callable() {
            return Err(to_pyerr(Error::InvalidType {
                path: "handler".into(),
                message: "expected a function of one job".into(),
            }));
        }
        let options = WorkerArgs {
            concurrency: Some(concurrency),
            timeout_ms: timeout.map(millis),
            lease_ms: Some(millis(lease)),
            name,
        }
        .options()
        .map_err(to_pyerr)?;
        let (relay_handler, relayed) = relay();
        let worker = self.block(
            py,
            self.queue.start_worker(Arc::new(relay_handler), options),
        )?;
        Ok(Worker::start(worker, Some((relayed, handler)), concurrency))
    }

    /// Starts fovea's own tracking worker on this queue: each `track` job is sent to FOVEA's
    /// model service at `model_service` (`POST /api/tracking/track`), its tracks become
    /// keyframe sequences (the fewest within `tolerance` pixels, unless the job asks for
    /// FOVEA's decimation) and, with `db`, are saved as annotations. Runs natively (no
    /// Python threads); options as for `worker`. `limits`: what one job may ask for, as for
    /// `check_tracking_job` (a job beyond them fails without retries).
    #[pyo3(signature = (model_service, *, db = None, tolerance = 1.0, concurrency = 1, timeout = None, lease = 30.0, name = None, limits = None))]
    #[allow(clippy::too_many_arguments)]
    fn tracking_worker(
        &self,
        py: Python<'_>,
        model_service: &str,
        db: Option<&str>,
        tolerance: f64,
        concurrency: usize,
        timeout: Option<f64>,
        lease: f64,
        name: Option<String>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Worker> {
        let setup = TrackingWorkerArgs {
            model_service: model_service.to_owned(),
            db: db.map(str::to_owned),
            tolerance: Some(tolerance),
            limits: Some(crate::track::tracking_limits(limits)?),
            concurrency: Some(concurrency),
            timeout_ms: timeout.map(millis),
            lease_ms: Some(millis(lease)),
            name,
        }
        .options()
        .map_err(to_pyerr)?;
        let worker = self.block(py, async {
            let handler =
                TrackingHandler::connect(&setup.model_service, setup.db.as_deref(), setup.tracking)
                    .await?;
            self.queue
                .start_worker(Arc::new(handler), setup.worker)
                .await
        })?;
        Ok(Worker::start(worker, None, 0))
    }

    /// Closes the queue (an in-process queue refuses further work and its jobs are gone).
    fn close(&self, py: Python<'_>) {
        py.detach(|| runtime().block_on(self.queue.close()));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!(
            "JobQueue(name={:?}, backend={:?})",
            self.queue.name(),
            self.queue.backend()
        )
    }
}

/// A running worker: `concurrency` threads call the handler. Stop it with `close(grace)`
/// (or leave its `with` block): it stops claiming, running jobs get `grace` seconds to
/// finish, the rest go back to the queue.
#[pyclass(module = "fovea._fovea", frozen)]
pub struct Worker {
    inner: Arc<Slot>,
}

/// A worker's running state; `None` once stopped.
type Slot = Mutex<Option<Running>>;

struct Running {
    worker: AnyWorker,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops claiming, gives running jobs `grace`, hands the rest back and joins the
    /// handler threads. Call without the GIL (the threads need it to finish).
    fn stop(self, grace: Duration) -> fovea_jobs::WorkerReport {
        let report = runtime().block_on(self.worker.shutdown(grace));
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
        report
    }
}

/// Every worker started, so the interpreter's exit can stop those still running before
/// their threads lose Python.
static LIVE: Mutex<Vec<Weak<Slot>>> = Mutex::new(Vec::new());

fn take(slot: &Slot) -> Option<Running> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// Registered with `atexit`: stops every worker still running (no grace: their jobs go
/// back to the queue).
#[pyfunction]
#[pyo3(name = "_stop_workers")]
pub fn stop_workers(py: Python<'_>) {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|p| p.into_inner()));
    let running: Vec<Running> = live
        .iter()
        .filter_map(|w| w.upgrade())
        .filter_map(|s| take(&s))
        .collect();
    py.detach(|| {
        for r in running {
            r.stop(Duration::ZERO);
        }
    });
}

impl Worker {
    /// A worker; with a Python handler, `threads` threads call it on the relayed jobs.
    fn start(worker: AnyWorker, python: Option<(Relayed, Py<PyAny>)>, threads: usize) -> Worker {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = match python {
            None => Vec::new(),
            Some((relayed, handler)) => {
                let (relayed, handler) = (Arc::new(relayed), Arc::new(handler));
                (0..threads)
                    .map(|i| {
                        let (stop, relayed, handler) =
                            (stop.clone(), relayed.clone(), handler.clone());
                        std::thread::Builder::new()
                            .name(format!("fovea-worker-{i}"))
                            .spawn(move || serve(&stop, &relayed, &handler))
                            .expect("a worker thread starts")
                    })
                    .collect()
            }
        };
        let inner = Arc::new(Mutex::new(Some(Running {
            worker,
            stop,
            threads,
        })));
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&inner));
        Worker { inner }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One handler thread: takes relayed jobs until told to stop.
fn serve(stop: &AtomicBool, relayed: &Relayed, handler: &Py<PyAny>) {
    while !stop.load(Ordering::Relaxed) {
        let Some(job) = runtime().block_on(relayed.next(TICK)) else {
            continue;
        };
        let job = Arc::new(job);
        let outcome = Python::attach(|py| run_handler(py, handler, &job));
        // Refused only when the attempt already ended (cancelled, timed out): it is recorded.
        let _ = job.finish(outcome);
    }
}

fn run_handler(py: Python<'_>, handler: &Py<PyAny>, job: &Arc<RelayJob>) -> Result<Value, Failure> {
    let handed = Py::new(py, Job { job: job.clone() })
        .map_err(|e| Failure::retryable(format!("cannot pass the job to Python: {e}")))?;
    match handler.call1(py, (handed,)).and_then(|r| settle(py, r)) {
        Ok(result) => from_py(result.bind(py))
            .map_err(|e| Failure::unrecoverable(format!("the handler's result is not JSON: {e}"))),
        Err(err) => Err(failure_of(py, &err)),
    }
}

/// The handler's result; a coroutine (an `async def` handler) is run to its end on an event
/// loop of this worker thread (`asyncio.run`).
fn settle(py: Python<'_>, result: Py<PyAny>) -> PyResult<Py<PyAny>> {
    let is_coroutine = py
        .import("inspect")?
        .call_method1("iscoroutine", (&result,))?
        .is_truthy()?;
    if !is_coroutine {
        return Ok(result);
    }
    Ok(py
        .import("asyncio")?
        .call_method1("run", (result,))?
        .unbind())
}

/// The job failure for an exception the handler raised.
fn failure_of(py: Python<'_>, err: &PyErr) -> Failure {
    let kind = err
        .get_type(py)
        .name()
        .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
    let message = format!("{kind}: {}", err.value(py));
    let detail = err.traceback(py).and_then(|tb| tb.format().ok());
    Failure {
        message,
        detail,
        unrecoverable: is_unrecoverable(py, err),
    }
}

#[pymethods]
impl Worker {
    /// Whether the worker is running.
    #[getter]
    fn running(&self) -> bool {
        self.state().is_some()
    }

    /// What the worker has done: `{completed, failed, retried, handedBack, stale,
    /// backendErrors}` (of the worker; the queue keeps each job's status).
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let report = self.state().as_ref().map(|r| r.worker.report());
        report.map(|r| to_py(py, &r)).transpose()
    }

    /// Stops the worker (see the class) and returns its final report; None when it was
    /// already stopped.
    #[pyo3(signature = (grace = 30.0))]
    fn close<'py>(&self, py: Python<'py>, grace: f64) -> PyResult<Option<Bound<'py, PyAny>>> {
        let grace = seconds_arg(grace, "grace")?;
        let Some(running) = take(&self.inner) else {
            return Ok(None);
        };
        let report = py.detach(|| running.stop(grace));
        to_py(py, &report).map(Some)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        self.close(py, 30.0).map(|_| ())
    }
}

impl Drop for Worker {
    /// A worker dropped while running stops at once: its jobs go back to the queue.
    fn drop(&mut self) {
        if let Some(running) = take(&self.inner) {
            running.stop.store(true, Ordering::Relaxed);
            runtime().spawn(running.worker.shutdown(Duration::ZERO));
        }
    }
}

/// A job given to a handler.
#[pyclass(module = "fovea._fovea", frozen)]
pub struct Job {
    job: Arc<RelayJob>,
}

#[pymethods]
impl Job {
    /// The job's id.
    #[getter]
    fn id(&self) -> &str {
        self.job.context().id()
    }

    /// The job's name (`track`).
    #[getter]
    fn name(&self) -> &str {
        self.job.context().name()
    }

    /// The payload (a new dict on each access).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.job.context().data())
    }

    /// Attempts that ended before this one (0 on the first).
    #[getter]
    fn attempts_made(&self) -> u32 {
        self.job.context().attempts_made()
    }

    /// True once the job is cancelled, has timed out or lost its lease: the handler should
    /// return (its result will not be recorded).
    #[getter]
    fn cancelled(&self) -> bool {
        self.job.is_over()
    }

    /// Reports progress: a number 0–100 or JSON-like data (written at most every 250 ms).
    fn progress(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value: Value = from_py(value).map_err(|e| to_pyerr(e.at_path("value")))?;
        self.job.context().progress(value);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("Job(id={:?}, name={:?})", self.id(), self.name())
    }
}

/// A stand-in for FOVEA's model service on a loopback port, for trying tracking without a
/// GPU model: it speaks `POST /api/tracking/track` exactly and "tracks" each object by moving
/// its initial box at a constant velocity. `videos`: `{id: {"width", "height", "frames"}}`
/// (other videos answer 404); `velocity`: pixels per frame `(dx, dy)`; `lost`: frame ranges
/// `(first, last)` where every object is lost. Stopped by `close()` or its `with` block.
#[pyclass(module = "fovea._fovea", frozen)]
pub struct SimulatedModelService {
    service: Mutex<Option<Service>>,
    url: String,
}

#[pymethods]
impl SimulatedModelService {
    #[new]
    #[pyo3(signature = (videos, *, velocity = (1.5, 0.5), lost = Vec::new()))]
    fn new(
        py: Python<'_>,
        videos: &Bound<'_, PyAny>,
        velocity: (f64, f64),
        lost: Vec<(u32, u32)>,
    ) -> PyResult<Self> {
        let videos: Value = from_py(videos).map_err(|e| to_pyerr(e.at_path("videos")))?;
        let simulation =
            Simulation::from_value(json!({"videos": videos, "velocity": velocity, "lost": lost}))
                .map_err(job_error)?;
        let service = py
            .detach(|| runtime().block_on(Service::start(simulation)))
            .map_err(|e| to_pyerr(Error::io("cannot start the simulated model service", &e)))?;
        Ok(SimulatedModelService {
            url: service.url().to_owned(),
            service: Mutex::new(Some(service)),
        })
    }

    /// `http://127.0.0.1:<port>`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Requests received so far.
    #[getter]
    fn requests(&self) -> u64 {
        self.service
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0, Service::requests)
    }

    /// Stops the service.
    fn close(&self) {
        self.service
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close();
    }
}
