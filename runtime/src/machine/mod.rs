//! Persistent machines: a cog, its drivers, and the store that makes it survive restarts.
//!
//! A cog `C` is a closure whose last three arguments are its state `S`, its read function `R`
//! and its workers row `W`. One step evaluates `C inputs` (inputs a row of
//! `[workerIdx cmd]`) to `[C' outputs]` (outputs a row of `[workerIdx reqIdx msg]`), fully.
//! Every step's input row is appended to the event log and fsynced before anything the step
//! produced (outputs to drivers, trace lines) is released, so what was seen outside survives
//! `kill -9`. Snapshots store the cog as a pin DAG; a start loads the latest snapshot and
//! replays the log after it.
//!
//! Drivers (`[1 P]` workers) live outside the cog: `P`'s last argument is its request row of
//! `[reqIdx effect]`; each new entry is issued once and a response `x` makes `P' = P reqIdx x`.
//! This module implements the effects `[0 %read q]`, `[0 %write c]`, `[%time %when]`,
//! `[%time %wait t]` and the TCP device (`%mine %hear %open %take %give %shut`, see
//! [`tcp`]); any other effect is answered with 0. EVAL workers (`[0 f args]`) run in threads
//! of their own (see [`jobs`]) and their result comes back as the input `[worker result]`.
//! Inputs are logged as they were given to the cog, so a replay does not run jobs again.

pub mod jobs;
pub mod store;
pub mod tcp;
pub mod watchdog;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::datajet;
use crate::eval::{Crash, CrashKind};
use crate::order;
use crate::runtime::Runtime;
use crate::seed;
use crate::store::log::{self, LogWriter};
use crate::value::{Kind, Value};

pub use store::{MachineStore, SnapshotKind};

/// What can stop a machine.
#[derive(Debug, thiserror::Error)]
pub enum MachineError {
    /// An I/O error on a file of the store.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `boot` on a directory that already holds something.
    #[error("{0} already exists and is not empty; boot refuses to overwrite a machine")]
    Exists(PathBuf),
    /// `start` on a directory that is not a store.
    #[error("{0} is not a machine store (boot one first)")]
    NoStore(PathBuf),
    /// Another process holds the store.
    #[error("{0} is in use by another pallas process")]
    Locked(PathBuf),
    /// The pin store failed.
    #[error("pin store: {0}")]
    Store(String),
    /// A pin the snapshot needs is not in the store.
    #[error("pin {0} is missing from the store")]
    MissingPin(String),
    /// A stored pin does not decode or hash to its name.
    #[error("stored pin {0} is damaged: {1}")]
    BadPin(String, String),
    /// A snapshot record does not parse.
    #[error("{0}: bad snapshot record {1:?}")]
    BadSnapshot(PathBuf, String),
    /// The event log is damaged before its tail, or cannot be written.
    #[error("event log: {0}")]
    Log(#[from] log::LogError),
    /// A logged batch does not decode.
    #[error("event log batch {0}: {1}")]
    BadBatch(u64, String),
    /// The cog is not a closure with state, read function and workers.
    #[error("the cog is not a closure with state, read function and workers: {0}")]
    NotACog(String),
    /// A step crashed; the machine stops and keeps its log.
    #[error("the cog crashed: {0}")]
    Crashed(String),
    /// A step ran past its time limit; the machine stops and keeps its log.
    #[error("a step ran past the limit of {0:?} and was abandoned (nothing of it was committed)")]
    TimedOut(Duration),
    /// A step returned something other than `[cog' outputs]`.
    #[error("a step returned {0} instead of [cog outputs]")]
    BadStep(String),
    /// The machine was asked to stop in the middle of a step (which is dropped).
    #[error("stopped in the middle of a step")]
    Interrupted,
}

/// How a machine run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Asked to stop (SIGINT/SIGTERM).
    Stopped,
    /// The cog has no more workers.
    Finished,
}

/// A request a driver has issued and that is still in its request row.
struct Pending {
    req: u64,
    effect: Value,
    wait: Wait,
    /// Already answered (the driver has not dropped it from its row yet).
    answered: bool,
}

enum Wait {
    /// Answered at once when issued.
    Answered,
    /// Answered by a cog output for this request.
    Cog,
    /// Answered with 0 once the clock reaches this many unix seconds.
    Until(u64),
    /// Answered by the TCP device.
    Tcp(tcp::TcpWait),
}

/// A running driver: its worker entry (to notice changes), its process and open requests.
struct Driver {
    entry: Value,
    proc: Value,
    pending: Vec<Pending>,
}

/// Where trace lines from a step go, once the step is durable.
pub type TracePrinter = Box<dyn FnMut(Value)>;

/// A cog, its drivers and its store.
pub struct Machine {
    /// The runtime the cog runs in.
    pub rt: Runtime,
    store: MachineStore,
    writer: Option<LogWriter>,
    cog: Value,
    /// The last batch applied to `cog`.
    batch: u64,
    /// The batch the latest snapshot follows.
    snapshot_batch: u64,
    /// Take a snapshot every this many batches.
    pub snapshot_every: u64,
    /// How long one step, one driver call or one read may run (not applied to replays).
    pub step_limit: Duration,
    watchdog: watchdog::Watchdog,
    /// Set when the machine is asked to stop (see [`Machine::run`]).
    stop: Arc<AtomicBool>,
    drivers: Vec<Option<Driver>>,
    /// Each worker entry as last started (to notice changes).
    entries: Vec<Option<Value>>,
    jobs: std::collections::HashMap<usize, jobs::Job>,
    tcp: tcp::Tcp,
    inputs: Vec<Value>,
    responses: VecDeque<(usize, u64, Value)>,
    traces: std::rc::Rc<std::cell::RefCell<Vec<Value>>>,
    /// Prints a trace line (released only after its step is durable).
    pub print_trace: TracePrinter,
    /// Prints a message about the machine itself (crashes, replays).
    pub say: Box<dyn FnMut(&str)>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The last argument of an application.
fn last_arg(v: Value) -> Option<Value> {
    match v.deref().kind() {
        Some(Kind::App(a)) => a.args().last().map(|x| x.deref()),
        _ => None,
    }
}

/// The `k`-th argument from the end of an application (0: the last).
fn arg_from_end(v: Value, k: usize) -> Option<Value> {
    match v.deref().kind() {
        Some(Kind::App(a)) => {
            let xs = a.args();
            xs.len().checked_sub(k + 1).map(|i| xs[i].deref())
        }
        _ => None,
    }
}

fn row(v: Value) -> Vec<Value> {
    datajet::row_elems(v.deref())
        .unwrap_or_default()
        .into_iter()
        .map(|x| x.deref())
        .collect()
}

fn nat(v: Value) -> Option<u64> {
    v.deref().as_small()
}

fn is_word(v: Value, w: &str) -> bool {
    let b = w.as_bytes();
    let mut n: u64 = 0;
    for (i, c) in b.iter().enumerate() {
        n |= (*c as u64) << (8 * i);
    }
    nat(v) == Some(n)
}

impl Machine {
    /// Boots a new machine in `dir` with `cog` (fully normal): snapshot 0, an empty log.
    pub fn boot(mut rt: Runtime, dir: &std::path::Path, cog: Value) -> Result<(), MachineError> {
        check_cog(cog)?;
        let store = MachineStore::create(dir)?;
        let hash = store.save_value(&mut rt, cog)?;
        store.write_snapshot(SnapshotKind::Boot, 0, &hash)?;
        store.write_snapshot(SnapshotKind::Latest, 0, &hash)?;
        let opened = log::open(&store.log_path(), 1)?;
        if !opened.records.is_empty() {
            return Err(MachineError::Exists(dir.to_path_buf()));
        }
        std::fs::File::create(store.log_path())
            .and_then(|f| f.sync_all())
            .map_err(|source| MachineError::Io {
                path: store.log_path(),
                source,
            })?;
        Ok(())
    }

    /// Opens the machine in `dir`: loads the latest snapshot (or the boot one with
    /// `replay_all`) and replays the log after it. `say` reports what happened.
    pub fn start(
        rt: Runtime,
        dir: &std::path::Path,
        replay_all: bool,
        mut say: Box<dyn FnMut(&str)>,
        print_trace: TracePrinter,
    ) -> Result<Machine, MachineError> {
        let store = MachineStore::open(dir)?;
        let opened = log::open(&store.log_path(), 1)?;
        if let Some((offset, why)) = &opened.torn_tail {
            say(&format!(
                "the event log had a torn tail at byte {offset} ({why}); it was cut off"
            ));
        }
        let kind = if replay_all {
            SnapshotKind::Boot
        } else {
            SnapshotKind::Latest
        };
        let (snap_batch, hash) = store.read_snapshot(kind)?;
        let last = opened.records.last().map(|r| r.batch).unwrap_or(0);
        if snap_batch > last {
            return Err(MachineError::BadSnapshot(
                dir.join("snapshot"),
                format!("follows batch {snap_batch} but the log ends at batch {last}"),
            ));
        }
        let rt_interrupt = rt.interrupt.clone();
        let mut m = Machine {
            rt,
            store,
            writer: None,
            cog: Value::small(0),
            batch: snap_batch,
            snapshot_batch: snap_batch,
            snapshot_every: 1000,
            step_limit: Duration::from_secs(30),
            watchdog: watchdog::Watchdog::new(rt_interrupt),
            stop: Arc::new(AtomicBool::new(false)),
            drivers: Vec::new(),
            entries: Vec::new(),
            jobs: Default::default(),
            tcp: tcp::Tcp::default(),
            inputs: Vec::new(),
            responses: VecDeque::new(),
            traces: Default::default(),
            print_trace,
            say,
        };
        // Traces are held until they may be shown (see `step` and `respond`).
        let traces = m.traces.clone();
        m.rt.trace_hook = Some(Box::new(move |_, v| traces.borrow_mut().push(v)));
        let cog = m.store.load_value(&mut m.rt, &hash)?;
        m.set_cog(cog);
        check_cog(m.cog)?;
        let to_replay: Vec<_> = opened
            .records
            .into_iter()
            .filter(|r| r.batch > snap_batch)
            .collect();
        if !to_replay.is_empty() {
            (m.say)(&format!(
                "replaying {} batches after batch {snap_batch}",
                to_replay.len()
            ));
        }
        for r in to_replay {
            let inputs = seed::load(&mut m.rt, &r.payload)
                .map_err(|e| MachineError::BadBatch(r.batch, e.to_string()))?;
            m.sync_roots(&[inputs]);
            let (next, _) = m.run_step(inputs)?;
            m.set_cog(next);
            m.batch = r.batch;
        }
        m.traces.borrow_mut().clear();
        m.writer = Some(LogWriter::start(&m.store.log_path(), m.batch + 1)?);
        m.reconcile_workers()?;
        Ok(m)
    }

    /// The hash of the cog as it is now (pinned).
    pub fn cog_hash(&mut self) -> crate::hash::Hash {
        crate::hash::hash_item(self.cog)
    }

    /// The last batch applied.
    pub fn batch(&self) -> u64 {
        self.batch
    }

    fn set_cog(&mut self, cog: Value) {
        self.cog = cog.deref();
    }

    /// Makes the runtime's roots exactly the values the machine holds (plus `extra`), so a
    /// collection during evaluation keeps them.
    fn sync_roots(&mut self, extra: &[Value]) {
        let rt = &mut self.rt;
        rt.roots.clear();
        rt.roots.push(self.cog);
        rt.roots.extend(self.entries.iter().flatten().copied());
        for d in self.drivers.iter().flatten() {
            rt.roots.push(d.entry);
            rt.roots.push(d.proc);
            rt.roots.extend(d.pending.iter().map(|p| p.effect));
        }
        rt.roots.extend(self.inputs.iter().copied());
        rt.roots.extend(self.responses.iter().map(|r| r.2));
        rt.roots.extend(self.traces.borrow().iter().copied());
        rt.roots.extend_from_slice(extra);
    }

    /// Evaluates `f args` fully under the time limit.
    fn call_limited(&mut self, f: Value, args: &[Value]) -> Result<Value, Crash> {
        self.watchdog.arm(self.step_limit);
        let r = self.rt.call_deep(f, args);
        self.watchdog.disarm();
        if !self.stop.load(Ordering::Relaxed) {
            // A late tick of the watchdog must not hit the next evaluation.
            self.rt.clear_interrupt();
        }
        r
    }

    /// Whether a crash means the machine was asked to stop mid-evaluation.
    fn stopping(&self, c: &Crash) -> bool {
        matches!(c.kind, CrashKind::Interrupted) && self.stop.load(Ordering::Relaxed)
    }

    /// Evaluates one step; returns the next cog and the outputs.
    fn run_step(&mut self, inputs: Value) -> Result<(Value, Vec<Value>), MachineError> {
        let r = self.call_limited(self.cog, &[inputs]);
        let r = r.map_err(|c| match c.kind {
            _ if self.stopping(&c) => MachineError::Interrupted,
            CrashKind::Interrupted => MachineError::TimedOut(self.step_limit),
            _ => MachineError::Crashed(c.describe()),
        })?;
        let parts = row(r);
        let [next, outs] = parts.as_slice() else {
            return Err(MachineError::BadStep(crate::print::show_short(r, 300)));
        };
        Ok((*next, row(*outs)))
    }

    /// Runs one step on the queued inputs, logs it and releases what it produced.
    fn step(&mut self) -> Result<(), MachineError> {
        let inputs = std::mem::take(&mut self.inputs);
        let input_row = self.rt.row(&inputs);
        self.sync_roots(&[input_row]);
        let (next, outs) = self.run_step(input_row)?;
        let payload = seed::save(input_row);
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| MachineError::Store("the log writer is closed".into()))?;
        let (batch, receipt) = writer.append(&payload)?;
        receipt.wait()?;
        // Durable: now the step's effects may be seen.
        self.batch = batch;
        self.set_cog(next);
        let traces: Vec<Value> = std::mem::take(&mut *self.traces.borrow_mut());
        for t in traces {
            (self.print_trace)(t);
        }
        for o in outs {
            let f = row(o);
            if let [w, r, msg] = f.as_slice() {
                if let (Some(w), Some(r)) = (nat(*w), nat(*r)) {
                    self.deliver_cog_output(w as usize, r, *msg);
                }
            }
        }
        self.reconcile_workers()?;
        if self.batch - self.snapshot_batch >= self.snapshot_every {
            self.snapshot()?;
        }
        Ok(())
    }

    fn deliver_cog_output(&mut self, w: usize, req: u64, msg: Value) {
        if let Some(Some(d)) = self.drivers.get_mut(w) {
            if let Some(p) = d
                .pending
                .iter_mut()
                .find(|p| p.req == req && !p.answered && matches!(p.wait, Wait::Cog))
            {
                p.answered = true;
                self.responses.push_back((w, req, msg));
            }
        }
    }

    /// Writes a snapshot of the cog as it is now.
    pub fn snapshot(&mut self) -> Result<(), MachineError> {
        let hash = self.store.save_value(&mut self.rt, self.cog)?;
        self.store
            .write_snapshot(SnapshotKind::Latest, self.batch, &hash)?;
        self.snapshot_batch = self.batch;
        Ok(())
    }

    /// Starts, restarts or stops drivers after the workers row changed.
    fn reconcile_workers(&mut self) -> Result<(), MachineError> {
        let workers = row(arg_from_end(self.cog, 0).unwrap_or(Value::small(0)));
        let n = workers.len().max(self.drivers.len());
        self.drivers.resize_with(n, || None);
        self.entries.resize(n, None);
        for i in 0..n {
            let entry = workers.get(i).copied();
            let same = match (entry, self.entries[i]) {
                (Some(e), Some(old)) => order::equal(e, old),
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            // Changed: stop what ran for the old entry, start the new one.
            self.drivers[i] = None;
            self.jobs.remove(&i);
            self.entries[i] = entry;
            let Some(e) = entry else { continue };
            let f = row(e);
            match f.as_slice() {
                [mode, p] if nat(*mode) == Some(1) => {
                    self.drivers[i] = Some(Driver {
                        entry: e,
                        proc: *p,
                        pending: Vec::new(),
                    });
                }
                [mode, _, _] if nat(*mode) == Some(0) => {
                    let parts = row(e);
                    let job_row = self.rt.row(&parts[1..]);
                    let job = jobs::spawn(&self.rt.config, job_row);
                    self.jobs.insert(i, job);
                }
                _ if nat(e) == Some(0) => {}
                _ => (self.say)(&format!(
                    "worker {i}: neither a driver ([1 P]) nor a job ([0 f args]); it stays idle"
                )),
            }
        }
        for i in 0..self.drivers.len() {
            self.issue_requests(i);
        }
        Ok(())
    }

    /// Issues the requests of driver `w` that are new since its last request row.
    fn issue_requests(&mut self, w: usize) {
        let Some(Some(d)) = self.drivers.get_mut(w) else {
            return;
        };
        let reqs = row(last_arg(d.proc).unwrap_or(Value::small(0)));
        let mut old = std::mem::take(&mut d.pending);
        let mut keep: Vec<Pending> = Vec::new();
        let mut fresh: Vec<(u64, Value)> = Vec::new();
        for r in reqs {
            let f = row(r);
            let [idx, effect] = f.as_slice() else {
                continue;
            };
            let Some(idx) = nat(*idx) else { continue };
            match old
                .iter()
                .position(|p| p.req == idx && order::equal(p.effect, *effect))
            {
                Some(i) => keep.push(old.swap_remove(i)),
                None => fresh.push((idx, *effect)),
            }
        }
        if let Some(Some(d)) = self.drivers.get_mut(w) {
            d.pending = keep;
        }
        for (idx, effect) in fresh {
            self.issue(w, idx, effect);
        }
    }

    fn issue(&mut self, w: usize, req: u64, effect: Value) {
        let f = row(effect);
        let wait = match f.as_slice() {
            [db, op, q] if nat(*db) == Some(0) && is_word(*op, "read") => {
                let s = arg_from_end(self.cog, 2).unwrap_or(Value::small(0));
                let r = arg_from_end(self.cog, 1).unwrap_or(Value::small(0));
                let reqv = Value::small(req);
                self.sync_roots(&[effect]);
                let answer = self
                    .call_limited(r, &[s, reqv, *q])
                    .unwrap_or(Value::small(0));
                self.responses.push_back((w, req, answer));
                Wait::Answered
            }
            [db, op, c] if nat(*db) == Some(0) && is_word(*op, "write") => {
                let input = self.rt.row(&[Value::small(w as u64), *c]);
                self.inputs.push(input);
                Wait::Cog
            }
            [dev, op] if is_word(*dev, "time") && is_word(*op, "when") => {
                let now = self.rt.nat_u64(now_secs());
                self.responses.push_back((w, req, now));
                Wait::Answered
            }
            [dev, op, t] if is_word(*dev, "time") && is_word(*op, "wait") => {
                Wait::Until(nat(*t).unwrap_or(u64::MAX))
            }
            [dev, rest @ ..] if is_word(*dev, "tcp") => match self.tcp_request(rest) {
                Some(answer) => {
                    self.responses.push_back((w, req, answer));
                    Wait::Answered
                }
                None => match rest {
                    [op] if is_word(*op, "hear") => Wait::Tcp(tcp::TcpWait::Hear),
                    [op, h] if is_word(*op, "take") => {
                        Wait::Tcp(tcp::TcpWait::Take(nat(*h).unwrap_or(0)))
                    }
                    _ => {
                        self.responses.push_back((w, req, Value::small(0)));
                        Wait::Answered
                    }
                },
            },
            _ => {
                self.responses.push_back((w, req, Value::small(0)));
                Wait::Answered
            }
        };
        let answered = matches!(wait, Wait::Answered);
        if let Some(Some(d)) = self.drivers.get_mut(w) {
            d.pending.push(Pending {
                req,
                effect,
                wait,
                answered,
            });
        }
    }

    /// Answers a TCP request that needs no waiting (`%mine %open %give %shut`); `None` for
    /// the ones that wait (`%hear %take`) or are malformed.
    fn tcp_request(&mut self, rest: &[Value]) -> Option<Value> {
        let maybe = |rt: &mut Runtime, x: Option<u64>| match x {
            Some(v) => {
                let v = rt.nat_u64(v);
                rt.partial(Value::small(0), &[v])
            }
            None => Value::small(0),
        };
        match rest {
            [op] if is_word(*op, "mine") => Some(Value::small(self.tcp.mine() as u64)),
            [op, ip, port] if is_word(*op, "open") => {
                let (ip, port) = (nat(*ip)?, nat(*port)?);
                let h = self.tcp.open(ip as u32, port as u16);
                Some(maybe(&mut self.rt, h))
            }
            [op, h, bar] if is_word(*op, "give") => {
                let sent = datajet::bar_bytes(*bar)
                    .and_then(|b| self.tcp.give(nat(*h)?, &b))
                    .map(|n| n as u64);
                Some(maybe(&mut self.rt, sent))
            }
            [op, h] if is_word(*op, "shut") => {
                self.tcp.shut(nat(*h)?);
                Some(Value::small(0))
            }
            _ => None,
        }
    }

    /// Queues the results of finished jobs as inputs; returns whether any still run.
    fn poll_jobs(&mut self) -> bool {
        let mut done = Vec::new();
        for (&w, job) in &self.jobs {
            if let Some(d) = job.poll() {
                done.push((w, d));
            }
        }
        for (w, d) in done {
            self.jobs.remove(&w);
            let result = match d {
                jobs::JobDone::Result(bytes) => {
                    seed::load(&mut self.rt, &bytes).unwrap_or(Value::small(0))
                }
                jobs::JobDone::TimedOut => self.rt.row(&[]),
            };
            let input = self.rt.row(&[Value::small(w as u64), result]);
            self.inputs.push(input);
        }
        !self.jobs.is_empty()
    }

    /// Answers the TCP requests that can be answered now; returns whether any still wait.
    fn poll_tcp(&mut self) -> bool {
        let mut waiting = false;
        let mut events = Vec::new();
        for (w, d) in self.drivers.iter_mut().enumerate() {
            let Some(d) = d else { continue };
            for p in d.pending.iter_mut().filter(|p| !p.answered) {
                if let Wait::Tcp(t) = p.wait {
                    match self.tcp.poll(t) {
                        Some(ev) => {
                            p.answered = true;
                            events.push((w, p.req, ev));
                        }
                        None => waiting = true,
                    }
                }
            }
        }
        for (w, req, ev) in events {
            let v = match ev {
                tcp::TcpEvent::Heard(h, ip, port) => {
                    let xs = [
                        Value::small(h),
                        Value::small(ip as u64),
                        Value::small(port as u64),
                    ];
                    self.rt.row(&xs)
                }
                tcp::TcpEvent::Took(bytes) => self.rt.bar(&bytes),
            };
            self.responses.push_back((w, req, v));
        }
        waiting
    }

    /// Gives driver `w` the response `x` to request `req`: `P' = P req x`. A crashing driver
    /// restarts from its worker entry.
    fn respond(&mut self, w: usize, req: u64, x: Value) {
        let Some(Some(d)) = self.drivers.get(w) else {
            return;
        };
        let proc = d.proc;
        self.sync_roots(&[x]);
        let result = self.call_limited(proc, &[Value::small(req), x]);
        // Drivers are not persisted: what they trace can be shown at once.
        let traces: Vec<Value> = std::mem::take(&mut *self.traces.borrow_mut());
        for t in traces {
            (self.print_trace)(t);
        }
        match result {
            Ok(p) => {
                if let Some(Some(d)) = self.drivers.get_mut(w) {
                    d.proc = p.deref();
                }
            }
            Err(c) => {
                (self.say)(&format!(
                    "driver {w} crashed ({}); restarting it",
                    c.describe()
                ));
                if let Some(Some(d)) = self.drivers.get_mut(w) {
                    if let [_, p] = row(d.entry).as_slice() {
                        d.proc = *p;
                    }
                    d.pending.clear();
                }
            }
        }
        self.issue_requests(w);
    }

    /// Answers the `%time %wait` requests that are due; returns the next deadline.
    fn fire_timers(&mut self) -> Option<u64> {
        let now = now_secs();
        let mut next: Option<u64> = None;
        for (w, d) in self.drivers.iter_mut().enumerate() {
            let Some(d) = d else { continue };
            for p in d.pending.iter_mut().filter(|p| !p.answered) {
                match p.wait {
                    Wait::Until(t) if t <= now => {
                        p.answered = true;
                        self.responses.push_back((w, p.req, Value::small(0)));
                    }
                    Wait::Until(t) => next = Some(next.map_or(t, |n| n.min(t))),
                    Wait::Answered | Wait::Cog | Wait::Tcp(_) => {}
                }
            }
        }
        next
    }

    /// Runs until `stop` is set or the cog has no workers left; then snapshots (if anything
    /// happened since the last snapshot) and closes the log.
    pub fn run(&mut self, stop: &Arc<AtomicBool>) -> Result<Ended, MachineError> {
        self.stop = stop.clone();
        let ended = loop {
            if stop.load(Ordering::Relaxed) {
                break Ended::Stopped;
            }
            if self.drivers.iter().all(|d| d.is_none())
                && self.jobs.is_empty()
                && row(arg_from_end(self.cog, 0).unwrap_or(Value::small(0)))
                    .iter()
                    .all(|w| nat(*w) == Some(0))
            {
                break Ended::Finished;
            }
            if let Some((w, req, x)) = self.responses.pop_front() {
                self.respond(w, req, x);
                continue;
            }
            if !self.inputs.is_empty() {
                match self.step() {
                    Err(MachineError::Interrupted) => break Ended::Stopped,
                    r => r?,
                }
                continue;
            }
            let next = self.fire_timers();
            let tcp_waiting = self.poll_tcp() | self.poll_jobs();
            if !self.responses.is_empty() {
                continue;
            }
            // Sockets are polled: wait briefly while any request waits on one.
            let idle = if tcp_waiting {
                Duration::from_millis(1)
            } else {
                Duration::from_millis(50)
            };
            let wait = match next {
                Some(t) => Duration::from_secs(t.saturating_sub(now_secs())).min(idle),
                None => idle,
            };
            std::thread::sleep(wait.max(Duration::from_millis(1)));
        };
        self.close()?;
        Ok(ended)
    }

    /// The flag that interrupts the machine's running evaluation (for signal handlers).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.rt.interrupt.clone()
    }

    /// Snapshots if anything happened since the last snapshot, and closes the log.
    pub fn close(&mut self) -> Result<(), MachineError> {
        if self.batch > self.snapshot_batch {
            self.snapshot()?;
        }
        if let Some(w) = self.writer.take() {
            w.close();
        }
        Ok(())
    }
}

/// Checks that `cog` has the shape of a cog (an application with at least three arguments).
fn check_cog(cog: Value) -> Result<(), MachineError> {
    match cog.deref().kind() {
        Some(Kind::App(a)) if a.args().len() >= 3 => Ok(()),
        _ => Err(MachineError::NotACog(crate::print::show_short(cog, 200))),
    }
}
