//! The in-process queue: the default backend. The same state machine as BullMQ's (wait,
//! prioritized, delayed, active, completed, failed; leases with tokens; stalled jobs
//! redelivered up to a limit; retries with the job's backoff; retention by count and age),
//! in memory, behind one mutex, with time from a [`Clock`] so every path can be driven by a
//! fake clock.
//!
//! Costs: add, claim, complete and fail are O(log n) (ordered sets for delays, priorities and
//! leases; the wait list drops cancelled entries lazily when it reaches them); retention is
//! O(evicted).

use crate::clock::{Clock, TokioClock};
use crate::error::{JobError, Result};
use crate::options::JobOptions;
use crate::queue::{Added, Cancelled, Claim, ClaimQueue, Counts, FailOutcome, Failure, JobQueue};
use crate::view::{JobState, JobView};
use hashbrown::HashMap;
use serde_json::Value;
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;

/// Bytes of `value`'s compact JSON, counted without building the text.
fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` into a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// BullMQ's reason for a job that stalled more often than allowed.
pub const STALLED_REASON: &str = "job stalled more than allowable limit";
/// The reason of a cancelled job.
pub const CANCELLED_REASON: &str = "cancelled";

/// Queue-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// Options for jobs added without their own (FOVEA's defaults).
    pub default_options: JobOptions,
    /// Times a job may stall (its lease expire) and be redelivered before it fails
    /// (BullMQ's `maxStalledCount`, default 1).
    pub max_stalled: u32,
    /// The largest payload, in bytes of JSON, unless a job sets its own `sizeLimit`.
    pub size_limit: usize,
    /// At most `max` claims per `window` across every worker of the queue.
    pub limiter: Option<Limiter>,
}

/// A queue-wide rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limiter {
    /// Claims per window.
    pub max: u32,
    /// The window.
    pub window: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            default_options: JobOptions::default(),
            max_stalled: 1,
            size_limit: 1 << 20,
            limiter: None,
        }
    }
}

/// A job event, as BullMQ's `QueueEvents` reports them.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// A job was added.
    Added(String),
    /// An add with an existing id was ignored.
    Duplicated(String),
    /// A worker claimed the job.
    Active(String),
    /// Progress was recorded.
    Progress(String, Value),
    /// A lease expired: the job was redelivered or failed.
    Stalled(String),
    /// An attempt failed and the job will be retried.
    Retrying(String, Duration),
    /// The job completed.
    Completed(String, Value),
    /// The job failed for good.
    Failed(String, String),
    /// The job was removed (by a caller or by retention).
    Removed(String),
}

impl JobEvent {
    /// The job the event is about.
    pub fn job_id(&self) -> &str {
        match self {
            JobEvent::Added(id)
            | JobEvent::Duplicated(id)
            | JobEvent::Active(id)
            | JobEvent::Progress(id, _)
            | JobEvent::Stalled(id)
            | JobEvent::Retrying(id, _)
            | JobEvent::Completed(id, _)
            | JobEvent::Failed(id, _)
            | JobEvent::Removed(id) => id,
        }
    }
}

type Id = Arc<str>;

#[derive(Debug)]
struct Lease {
    token: String,
    deadline: u64,
    cancel: CancellationToken,
}

#[derive(Debug)]
struct Job {
    id: Id,
    name: String,
    data: Value,
    opts: JobOptions,
    state: JobState,
    /// Identifies the job's current entry in the list or set of its state.
    seq: u64,
    /// For delayed jobs: when they become ready.
    due: u64,
    timestamp: u64,
    processed_on: Option<u64>,
    finished_on: Option<u64>,
    progress: Value,
    result: Option<Value>,
    failed_reason: Option<String>,
    stacktrace: Vec<String>,
    attempts_made: u32,
    attempts_started: u32,
    stalled: u32,
    lease: Option<Lease>,
    cancel_requested: bool,
}

#[derive(Debug, Default)]
struct State {
    jobs: HashMap<Id, Job>,
    /// Ready jobs, next out at the front; entries whose seq no longer matches are skipped.
    wait: VecDeque<(u64, Id)>,
    prioritized: BTreeSet<(u32, u64, Id)>,
    delayed: BTreeSet<(u64, u64, Id)>,
    leases: BTreeSet<(u64, Id)>,
    completed: VecDeque<(u64, u64, Id)>,
    failed: VecDeque<(u64, u64, Id)>,
    next_id: u64,
    next_seq: u64,
    next_token: u64,
    /// Start and count of the limiter's current window.
    window: (u64, u32),
    closed: bool,
}

/// The in-process queue (cheap to clone: clones share the queue).
#[derive(Debug, Clone)]
pub struct InProcessQueue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    settings: QueueSettings,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    ready: Notify,
    events: broadcast::Sender<JobEvent>,
}

/// What [`InProcessQueue::try_claim`] found.
#[derive(Debug)]
pub enum TryClaim {
    /// A job.
    Claimed(Box<Claim>),
    /// Nothing ready; something may become ready at this time (ms), e.g. a delayed job.
    Idle(Option<u64>),
}

impl InProcessQueue {
    /// A queue with FOVEA's defaults on tokio's clock.
    pub fn new(name: &str) -> Self {
        Self::with_settings(name, QueueSettings::default(), Arc::new(TokioClock::new()))
    }

    /// A queue with these settings and clock.
    pub fn with_settings(name: &str, settings: QueueSettings, clock: Arc<dyn Clock>) -> Self {
        InProcessQueue {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                settings,
                clock,
                state: Mutex::new(State::default()),
                ready: Notify::new(),
                events: broadcast::channel(4096).0,
            }),
        }
    }

    /// The queue's settings.
    pub fn settings(&self) -> &QueueSettings {
        &self.inner.settings
    }

    /// Events from now on (a receiver that falls behind skips the oldest).
    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.inner.events.subscribe()
    }

    /// Stops the queue: waiting claims return `None`, later calls fail with
    /// [`JobError::Closed`].
    pub fn close(&self) {
        self.lock().closed = true;
        self.inner.ready.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether anyone listens for events (none are built otherwise: no allocation per job).
    fn listening(&self) -> bool {
        self.inner.events.receiver_count() > 0
    }

    fn emit(&self, event: impl FnOnce() -> JobEvent) {
        if self.listening() {
            let _ = self.inner.events.send(event());
        }
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    /// Adds a job now (see [`JobQueue::add`]).
    pub fn add_now(&self, name: &str, data: Value, opts: JobOptions) -> Result<Added> {
        opts.check()?;
        let now = self.now();
        let mut st = self.lock();
        if st.closed {
            return Err(JobError::Closed);
        }
        st.next_id += 1;
        let id: Id = match &opts.job_id {
            Some(id) => Arc::from(id.as_str()),
            None => Arc::from(st.next_id.to_string()),
        };
        if st.jobs.contains_key(&id) {
            drop(st);
            self.emit(|| JobEvent::Duplicated(id.to_string()));
            return Ok(Added {
                id: id.to_string(),
                duplicate: true,
            });
        }
        let limit = opts.size_limit.unwrap_or(self.inner.settings.size_limit);
        let size = json_size(&data);
        if size > limit {
            return Err(JobError::PayloadTooLarge {
                id: id.to_string(),
                size,
                limit,
            });
        }
        let job = Job {
            id: id.clone(),
            name: name.to_owned(),
            data,
            state: JobState::Waiting,
            seq: 0,
            due: now + opts.delay,
            timestamp: now,
            processed_on: None,
            finished_on: None,
            progress: Value::from(0),
            result: None,
            failed_reason: None,
            stacktrace: Vec::new(),
            attempts_made: 0,
            attempts_started: 0,
            stalled: 0,
            lease: None,
            cancel_requested: false,
            opts,
        };
        let delayed = job.opts.delay > 0;
        st.jobs.insert(id.clone(), job);
        if delayed {
            st.make_delayed(&id);
        } else {
            st.make_ready(&id, false);
        }
        drop(st);
        self.emit(|| JobEvent::Added(id.to_string()));
        self.inner.ready.notify_waiters();
        Ok(Added {
            id: id.to_string(),
            duplicate: false,
        })
    }

    /// Claims the next ready job if there is one, without waiting: first promotes delayed
    /// jobs that are due and sweeps expired leases (redelivering or failing stalled jobs).
    pub fn try_claim(&self, worker: &str, lease: Duration) -> Result<TryClaim> {
        let now = self.now();
        let mut events = Vec::new();
        let mut st = self.lock();
        if st.closed {
            return Err(JobError::Closed);
        }
        st.promote_due(now);
        st.sweep_leases(now, &self.inner.settings, &mut events);
        let claimed = st.claim_next(now, worker, lease, self.inner.settings.limiter);
        let outcome = match claimed {
            Ok(claim) => {
                if self.listening() {
                    events.push(JobEvent::Active(claim.id.clone()));
                }
                TryClaim::Claimed(Box::new(claim))
            }
            Err(wake) => TryClaim::Idle(wake),
        };
        drop(st);
        for e in events {
            self.emit(|| e);
        }
        Ok(outcome)
    }

    /// The job's status now.
    pub fn view_now(&self, id: &str) -> Option<JobView> {
        let st = self.lock();
        st.jobs.get(id).map(|j| self.view_of(j))
    }

    fn view_of(&self, j: &Job) -> JobView {
        JobView {
            job_id: j.id.to_string(),
            queue: self.inner.name.clone(),
            name: j.name.clone(),
            state: j.state,
            status: j.state.status(),
            progress: j.progress.clone(),
            attempts_made: j.attempts_made,
            attempts_started: j.attempts_started,
            stalled_count: j.stalled,
            max_attempts: j.opts.attempts,
            created_at: j.timestamp,
            processed_on: j.processed_on,
            finished_on: j.finished_on,
            result: j.result.clone(),
            error: j.failed_reason.clone(),
            stacktrace: j.stacktrace.clone(),
            data: j.data.clone(),
        }
    }

    /// Runs `f` on the job the claim holds, if the claim still holds it.
    fn with_lease<T>(&self, claim: &Claim, f: impl FnOnce(&mut State, u64) -> T) -> Result<T> {
        let now = self.now();
        let mut st = self.lock();
        let valid = st.jobs.get(claim.id.as_str()).is_some_and(|j| {
            j.state == JobState::Active && j.lease.as_ref().is_some_and(|l| l.token == claim.token)
        });
        if !valid {
            return Err(JobError::StaleLease {
                id: claim.id.clone(),
                token: claim.token.clone(),
            });
        }
        Ok(f(&mut st, now))
    }

    /// See [`ClaimQueue::complete`].
    pub fn complete_now(&self, claim: &Claim, result: Value) -> Result<()> {
        let announced = self.listening().then(|| result.clone());
        let evicted = self.with_lease(claim, |st, now| {
            let keep = {
                let j = st.job(&claim.id);
                j.attempts_made += 1;
                j.result = Some(result);
                j.opts.remove_on_complete
            };
            st.finish(&claim.id, JobState::Completed, now);
            st.retain(JobState::Completed, keep, now)
        })?;
        // Checked again after the change: a listener that subscribed meanwhile (and so may
        // have read the job before it completed) must get the event.
        if self.listening() {
            let result = announced
                .or_else(|| self.view_now(&claim.id).and_then(|v| v.result))
                .unwrap_or(Value::Null);
            self.emit(|| JobEvent::Completed(claim.id.clone(), result));
        }
        for id in evicted {
            self.emit(|| JobEvent::Removed(id.to_string()));
        }
        Ok(())
    }

    /// See [`ClaimQueue::fail`].
    pub fn fail_now(&self, claim: &Claim, failure: Failure) -> Result<FailOutcome> {
        let draw = fastrand::f64();
        let (outcome, evicted) = self.with_lease(claim, |st, now| {
            let j = st.job(&claim.id);
            j.attempts_made += 1;
            j.failed_reason = Some(failure.message.clone());
            j.stacktrace.push(
                failure
                    .detail
                    .clone()
                    .unwrap_or_else(|| failure.message.clone()),
            );
            let retry =
                !failure.unrecoverable && !j.cancel_requested && j.attempts_made < j.opts.attempts;
            if retry {
                let delay = j
                    .opts
                    .backoff
                    .map(|b| b.delay_after(j.attempts_made, draw))
                    .unwrap_or_default();
                j.due = now + delay.as_millis() as u64;
                let id = j.id.clone();
                st.release_lease(&id);
                if delay.is_zero() {
                    st.make_ready(&id, false);
                } else {
                    st.make_delayed(&id);
                }
                (FailOutcome::Retrying { delay }, Vec::new())
            } else {
                let keep = j.opts.remove_on_fail;
                st.finish(&claim.id, JobState::Failed, now);
                (FailOutcome::Failed, st.retain(JobState::Failed, keep, now))
            }
        })?;
        match outcome {
            FailOutcome::Retrying { delay } => {
                self.emit(|| JobEvent::Retrying(claim.id.clone(), delay));
                self.inner.ready.notify_waiters();
            }
            FailOutcome::Failed => {
                self.emit(|| JobEvent::Failed(claim.id.clone(), failure.message))
            }
        }
        for id in evicted {
            self.emit(|| JobEvent::Removed(id.to_string()));
        }
        Ok(outcome)
    }
}

impl State {
    fn job(&mut self, id: &str) -> &mut Job {
        self.jobs.get_mut(id).expect("a listed job exists")
    }

    fn bump(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Puts the job in the wait list (at the front when `next`) or the prioritized set.
    fn make_ready(&mut self, id: &Id, next: bool) {
        let seq = self.bump();
        let j = self.jobs.get_mut(id).expect("job exists");
        j.seq = seq;
        if j.opts.priority > 0 {
            j.state = JobState::Prioritized;
            let p = j.opts.priority;
            self.prioritized.insert((p, seq, id.clone()));
        } else {
            j.state = JobState::Waiting;
            if next || j.opts.lifo {
                self.wait.push_front((seq, id.clone()));
            } else {
                self.wait.push_back((seq, id.clone()));
            }
        }
    }

    fn make_delayed(&mut self, id: &Id) {
        let seq = self.bump();
        let j = self.jobs.get_mut(id).expect("job exists");
        j.seq = seq;
        j.state = JobState::Delayed;
        let due = j.due;
        self.delayed.insert((due, seq, id.clone()));
    }

    /// Takes the job out of the list or set of its current state.
    fn unlist(&mut self, id: &str) {
        let j = self.jobs.get_mut(id).expect("job exists");
        let (seq, due, p) = (j.seq, j.due, j.opts.priority);
        let id = j.id.clone();
        match j.state {
            JobState::Delayed => {
                self.delayed.remove(&(due, seq, id));
            }
            JobState::Prioritized => {
                self.prioritized.remove(&(p, seq, id));
            }
            // Wait entries are skipped lazily once the seq changes.
            JobState::Waiting => self.jobs.get_mut(&*id).expect("job exists").seq = 0,
            _ => {}
        }
    }

    fn promote_due(&mut self, now: u64) {
        while let Some((due, _, _)) = self.delayed.first() {
            if *due > now {
                break;
            }
            let (_, _, id) = self.delayed.pop_first().expect("checked");
            self.make_ready(&id, false);
        }
    }

    fn release_lease(&mut self, id: &str) {
        let j = self.jobs.get_mut(id).expect("job exists");
        if let Some(l) = j.lease.take() {
            self.leases.remove(&(l.deadline, j.id.clone()));
        }
    }

    /// Redelivers (or fails) the jobs whose lease has expired.
    fn sweep_leases(&mut self, now: u64, settings: &QueueSettings, events: &mut Vec<JobEvent>) {
        while let Some((deadline, _)) = self.leases.first() {
            if *deadline > now {
                break;
            }
            let (_, id) = self.leases.pop_first().expect("checked");
            let j = self.jobs.get_mut(&id).expect("leased job exists");
            if let Some(l) = j.lease.take() {
                l.cancel.cancel();
            }
            j.stalled += 1;
            events.push(JobEvent::Stalled(id.to_string()));
            let reason = if j.cancel_requested {
                Some(CANCELLED_REASON)
            } else if j.stalled > settings.max_stalled {
                Some(STALLED_REASON)
            } else {
                None
            };
            match reason {
                Some(reason) => {
                    j.failed_reason = Some(reason.to_owned());
                    j.stacktrace.push(reason.to_owned());
                    let keep = j.opts.remove_on_fail;
                    self.finish(&id, JobState::Failed, now);
                    events.push(JobEvent::Failed(id.to_string(), reason.to_owned()));
                    for gone in self.retain(JobState::Failed, keep, now) {
                        events.push(JobEvent::Removed(gone.to_string()));
                    }
                }
                None => self.make_ready(&id, true),
            }
        }
    }

    /// The next ready job, claimed; or when something may become ready.
    fn claim_next(
        &mut self,
        now: u64,
        worker: &str,
        lease: Duration,
        limiter: Option<Limiter>,
    ) -> std::result::Result<Claim, Option<u64>> {
        let next_wake = || {
            let delayed = self.delayed.first().map(|d| d.0);
            let lease = self.leases.first().map(|l| l.0);
            match (delayed, lease) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        if let Some(limit) = limiter {
            let window = limit.window.as_millis() as u64;
            if now >= self.window.0 + window {
                self.window = (now, 0);
            }
            if self.window.1 >= limit.max {
                let end = self.window.0 + window;
                return Err(Some(next_wake().map_or(end, |w| w.min(end))));
            }
        }
        let id = loop {
            match self.wait.pop_front() {
                Some((seq, id)) => {
                    if self
                        .jobs
                        .get(&id)
                        .is_some_and(|j| j.seq == seq && j.state == JobState::Waiting)
                    {
                        break id;
                    }
                }
                None => match self.prioritized.pop_first() {
                    Some((_, _, id)) => break id,
                    None => return Err(next_wake()),
                },
            }
        };
        if limiter.is_some() {
            self.window.1 += 1;
        }
        self.next_token += 1;
        let token = format!("{worker}:{}", self.next_token);
        let deadline = now + lease.as_millis() as u64;
        let cancel = CancellationToken::new();
        self.leases.insert((deadline, id.clone()));
        let j = self.jobs.get_mut(&id).expect("ready job exists");
        j.state = JobState::Active;
        j.seq = 0;
        j.processed_on = Some(now);
        j.attempts_started += 1;
        j.lease = Some(Lease {
            token: token.clone(),
            deadline,
            cancel: cancel.clone(),
        });
        Ok(Claim {
            id: id.to_string(),
            token,
            name: j.name.clone(),
            data: j.data.clone(),
            opts: j.opts.clone(),
            attempts_made: j.attempts_made,
            attempts_started: j.attempts_started,
            cancelled: cancel,
        })
    }

    /// Moves an active (or not yet started) job to a finished state.
    fn finish(&mut self, id: &str, state: JobState, now: u64) {
        self.release_lease(id);
        self.unlist(id);
        let seq = self.bump();
        let j = self.jobs.get_mut(id).expect("job exists");
        j.state = state;
        j.seq = seq;
        j.finished_on = Some(now);
        let entry = (now, seq, j.id.clone());
        match state {
            JobState::Completed => self.completed.push_back(entry),
            _ => self.failed.push_back(entry),
        }
    }

    /// Applies a retention rule to the completed or failed jobs; returns the evicted ids.
    fn retain(&mut self, state: JobState, keep: crate::options::Keep, now: u64) -> Vec<Id> {
        let list = match state {
            JobState::Completed => &mut self.completed,
            _ => &mut self.failed,
        };
        let mut evicted = Vec::new();
        while let Some(&(finished, seq, ref id)) = list.front() {
            let current = self
                .jobs
                .get(id)
                .is_some_and(|j| j.seq == seq && j.state == state);
            let over_count = keep.count.is_some_and(|n| list.len() as u64 > n);
            let too_old = keep.age_secs.is_some_and(|age| finished + age * 1000 < now);
            if current && !over_count && !too_old {
                break;
            }
            let (_, _, id) = list.pop_front().expect("checked");
            if current {
                self.jobs.remove(&id);
                evicted.push(id);
            }
        }
        evicted
    }
}

impl JobQueue for InProcessQueue {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn add(&self, name: &str, data: Value, opts: JobOptions) -> Result<Added> {
        self.add_now(name, data, opts)
    }

    async fn view(&self, id: &str) -> Result<Option<JobView>> {
        Ok(self.view_now(id))
    }

    async fn list(&self, states: &[JobState], limit: usize) -> Result<Vec<JobView>> {
        let st = self.lock();
        let wanted = |s: JobState| states.is_empty() || states.contains(&s);
        let mut ids: Vec<&Id> = Vec::new();
        if wanted(JobState::Active) {
            ids.extend(st.leases.iter().map(|(_, id)| id));
        }
        if wanted(JobState::Waiting) {
            ids.extend(
                st.wait
                    .iter()
                    .filter(|(seq, id)| st.jobs.get(id).is_some_and(|j| j.seq == *seq))
                    .map(|(_, id)| id),
            );
        }
        if wanted(JobState::Prioritized) {
            ids.extend(st.prioritized.iter().map(|(_, _, id)| id));
        }
        if wanted(JobState::Delayed) {
            ids.extend(st.delayed.iter().map(|(_, _, id)| id));
        }
        for (state, list) in [
            (JobState::Completed, &st.completed),
            (JobState::Failed, &st.failed),
        ] {
            if wanted(state) {
                ids.extend(
                    list.iter()
                        .rev()
                        .filter(|(_, seq, id)| st.jobs.get(id).is_some_and(|j| j.seq == *seq))
                        .map(|(_, _, id)| id),
                );
            }
        }
        Ok(ids
            .into_iter()
            .take(limit)
            .filter_map(|id| st.jobs.get(id))
            .map(|j| self.view_of(j))
            .collect())
    }

    async fn counts(&self) -> Result<Counts> {
        let st = self.lock();
        let mut c = Counts::default();
        for j in st.jobs.values() {
            match j.state {
                JobState::Waiting => c.waiting += 1,
                JobState::Prioritized => c.prioritized += 1,
                JobState::Delayed => c.delayed += 1,
                JobState::Active => c.active += 1,
                JobState::Completed => c.completed += 1,
                JobState::Failed => c.failed += 1,
                JobState::WaitingChildren | JobState::Unknown => {}
            }
        }
        Ok(c)
    }

    async fn cancel(&self, id: &str) -> Result<Cancelled> {
        let now = self.now();
        let mut st = self.lock();
        let Some(j) = st.jobs.get_mut(id) else {
            return Err(JobError::NotFound(id.to_owned()));
        };
        match j.state {
            JobState::Completed | JobState::Failed => Err(JobError::InvalidState {
                id: id.to_owned(),
                state: j.state.as_str(),
                operation: "cancel",
            }),
            JobState::Active => {
                j.cancel_requested = true;
                if let Some(l) = &j.lease {
                    l.cancel.cancel();
                }
                Ok(Cancelled::Signalled)
            }
            _ => {
                j.failed_reason = Some(CANCELLED_REASON.to_owned());
                let keep = j.opts.remove_on_fail;
                st.finish(id, JobState::Failed, now);
                let evicted = st.retain(JobState::Failed, keep, now);
                drop(st);
                self.emit(|| JobEvent::Failed(id.to_owned(), CANCELLED_REASON.to_owned()));
                for gone in evicted {
                    self.emit(|| JobEvent::Removed(gone.to_string()));
                }
                Ok(Cancelled::Failed)
            }
        }
    }

    async fn remove(&self, id: &str) -> Result<bool> {
        let mut st = self.lock();
        let Some(j) = st.jobs.get(id) else {
            return Ok(false);
        };
        if j.state == JobState::Active {
            return Err(JobError::InvalidState {
                id: id.to_owned(),
                state: "active",
                operation: "remove",
            });
        }
        st.unlist(id);
        st.jobs.remove(id);
        drop(st);
        self.emit(|| JobEvent::Removed(id.to_owned()));
        Ok(true)
    }

    async fn finished(&self, id: &str) -> Result<Option<JobView>> {
        let mut events = self.subscribe();
        loop {
            match self.view_now(id) {
                Some(v) if v.state.is_finished() => return Ok(Some(v)),
                None => return Ok(None),
                Some(_) => {}
            }
            loop {
                match events.recv().await {
                    Ok(e) if e.job_id() == id => break,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return Err(JobError::Closed),
                }
            }
        }
    }
}

impl ClaimQueue for InProcessQueue {
    async fn claim(&self, worker: &str, lease: Duration, wait: Duration) -> Result<Option<Claim>> {
        let give_up = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.inner.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wake = match self.try_claim(worker, lease) {
                Ok(TryClaim::Claimed(c)) => return Ok(Some(*c)),
                Ok(TryClaim::Idle(wake)) => wake,
                Err(JobError::Closed) => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut until = give_up;
            if let Some(at) = wake {
                let ms = at.saturating_sub(self.now());
                until = until.min(tokio::time::Instant::now() + Duration::from_millis(ms));
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(until) => {
                    if tokio::time::Instant::now() >= give_up {
                        return match self.try_claim(worker, lease)? {
                            TryClaim::Claimed(c) => Ok(Some(*c)),
                            TryClaim::Idle(_) => Ok(None),
                        };
                    }
                }
            }
        }
    }

    async fn extend(&self, claim: &Claim, lease: Duration) -> Result<()> {
        self.with_lease(claim, |st, now| {
            let deadline = now + lease.as_millis() as u64;
            let j = st.jobs.get_mut(claim.id.as_str()).expect("checked");
            let id = j.id.clone();
            let l = j.lease.as_mut().expect("checked");
            let old = std::mem::replace(&mut l.deadline, deadline);
            st.leases.remove(&(old, id.clone()));
            st.leases.insert((deadline, id));
        })
    }

    async fn progress(&self, claim: &Claim, value: Value) -> Result<()> {
        self.with_lease(claim, |st, _| st.job(&claim.id).progress = value.clone())?;
        self.emit(|| JobEvent::Progress(claim.id.clone(), value));
        Ok(())
    }

    async fn complete(&self, claim: &Claim, result: Value) -> Result<()> {
        self.complete_now(claim, result)
    }

    async fn fail(&self, claim: &Claim, failure: Failure) -> Result<FailOutcome> {
        self.fail_now(claim, failure)
    }

    async fn hand_back(&self, claim: &Claim) -> Result<()> {
        self.with_lease(claim, |st, _| {
            st.release_lease(&claim.id);
            let id = st.job(&claim.id).id.clone();
            st.make_ready(&id, true);
        })?;
        self.inner.ready.notify_waiters();
        Ok(())
    }
}
