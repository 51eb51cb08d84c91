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
//! `[reqIdx effect]`, the requests to issue now; a response `x` makes `P' = P reqIdx x` (the
//! rule is in [`driver`]). This module implements the effects `[0 %read q]`,
//! `[0 %write c]`, `[%time %when]`, `[%time %wait t]` and the TCP device
//! (`%mine %hear %open %take %give %shut`, see [`tcp`]); [`effect`] says which requests are
//! malformed (answered 0) or dead (never answered). EVAL workers (`[0 f args]`) run in
//! threads of their own (see [`jobs`]) and their result comes back as the input
//! `[worker result]`. Inputs are logged as they were given to the cog, so a replay does not
//! run jobs again.

pub mod asks;
pub mod check;
pub mod cogdev;
pub mod cogs;
pub mod driver;
pub mod effect;
pub mod envelope;
pub mod export;
pub mod group;
pub mod jobs;
pub mod pinshare;
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
use crate::store::log::{self, Header, LogWriter, Position};
use crate::store::pack::Written;
use crate::store::pins::Collected;
use crate::store::record::SnapshotRecord;
use crate::value::{Kind, Value};
use driver::{Driver, Live, Wait};
use effect::{Effect, TcpRequest};

pub use store::{Access, MachineStore, SnapshotKind};

/// Collect unreachable pins after a snapshot once the store has this many pack files.
pub const GC_PACKS: usize = 8;

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
    /// A directory with a log or pins but no boot record: its boot was cut short.
    #[error("{0} holds an unfinished boot (no boot record); remove it and boot again")]
    UnfinishedBoot(PathBuf),
    /// The records and the log do not agree.
    #[error("{0}")]
    Damaged(String),
    /// An export file that cannot be imported.
    #[error("{0}: {1}")]
    BadExport(PathBuf, String),
    /// A replay reached a batch whose record was lost.
    #[error("batch {0}'s record in the log is damaged (or was replaced by a marker), so a replay cannot pass it; start from the snapshot at batch {0} or later (without --replay-all)")]
    LostBatch(u64),
    /// The pin store failed.
    #[error("pin store: {0}")]
    Store(String),
    /// A pin the snapshot needs is not in the store.
    #[error("pin {0} is missing from the store")]
    MissingPin(String),
    /// A stored pin does not decode or hash to its name.
    #[error("stored pin {0} is damaged: {1}")]
    BadPin(String, String),
    /// A boot or snapshot record is missing, does not parse or fails its checksum.
    #[error("{0}: damaged record ({1})")]
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
    /// A step failed (crashed, ran past its limit, or returned no `[cog outputs]`) on these
    /// inputs; nothing of it was committed.
    #[error("{cause}, on the input {input}{context}; nothing of the step was committed (start with --skip-crashing-inputs to drop the inputs that fail and go on)")]
    FailedOn {
        /// What went wrong.
        cause: String,
        /// The input that fails, printed (cut short when long).
        input: String,
        /// Which of the step's inputs it is.
        context: String,
    },
    /// A step ran past its time limit; the machine stops and keeps its log.
    #[error("a step ran past the limit of {0:?} and was abandoned (nothing of it was committed)")]
    TimedOut(Duration),
    /// A step needed more heap than the limit; the machine stops and keeps its log.
    #[error(
        "a step needed more than the heap limit of {} and was abandoned (nothing of it was \
         committed; raise the limit with --max-heap)",
        crate::heap::show_bytes(*.0)
    )]
    OutOfMemory(usize),
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

/// An answer on its way to a driver.
struct Response {
    /// The driver's worker index.
    worker: usize,
    /// The driver's id: the answer is dropped if another driver took its place.
    driver: u64,
    req: u64,
    /// The live request it answers (`None`: a cog output, which needs none).
    gen: Option<u64>,
    value: Value,
}

/// Where trace lines from a step go, once the step is durable.
pub type TracePrinter = Box<dyn FnMut(Value)>;

/// A cog, its drivers and its store.
pub struct Machine {
    /// The runtime the cog runs in.
    pub rt: Runtime,
    store: MachineStore,
    writer: Option<LogWriter>,
    /// The boot record (its cog is a root of pin collection).
    boot_rec: SnapshotRecord,
    /// The latest snapshot record, once one is known to be good.
    latest_rec: Option<SnapshotRecord>,
    /// Where the record of batch `batch` is in the log.
    log_pos: Position,
    /// What the latest snapshot wrote to the pin store.
    pub last_snapshot: Written,
    /// Collect pins after a snapshot once the store has this many packs.
    pub gc_packs: usize,
    /// The pin store's size after the last collection (or at start).
    gc_base: u64,
    cog: Value,
    /// The last batch applied to `cog`.
    batch: u64,
    /// The batch the latest snapshot follows.
    snapshot_batch: u64,
    /// Take a snapshot every this many batches.
    pub snapshot_every: u64,
    /// How long one step, one driver call or one read may run (not applied to replays).
    pub step_limit: Duration,
    /// When a step fails, run its inputs again one at a time and drop each one that fails
    /// alone (with a message) instead of stopping the machine.
    pub skip_crashing_inputs: bool,
    /// Inputs of a failed step still to run one at a time (and the asks they are).
    retry: VecDeque<(Value, Option<asks::Take>)>,
    /// Prints a value (at most about this many characters) in messages about the machine.
    pub show_value: fn(Value, usize) -> String,
    watchdog: watchdog::Watchdog,
    /// Set when the machine is asked to stop (see [`Machine::run`]).
    stop: Arc<AtomicBool>,
    drivers: Vec<Option<Driver>>,
    /// Each worker entry as last started (to notice changes).
    entries: Vec<Option<Value>>,
    /// Ids for drivers and live requests.
    next_id: u64,
    jobs: std::collections::HashMap<usize, jobs::Job>,
    tcp: tcp::Tcp,
    inputs: Vec<Value>,
    /// For each input, the ask from another cog it is (if it is one).
    takes: Vec<Option<asks::Take>>,
    responses: VecDeque<Response>,
    traces: std::rc::Rc<std::cell::RefCell<Vec<Value>>>,
    /// Prints a trace line (released only after its step is durable).
    pub print_trace: TracePrinter,
    /// Prints a message about the machine itself (crashes, replays).
    pub say: Box<dyn FnMut(&str)>,
    /// Its place among the machine's cogs, when it runs with others.
    link: Option<cogdev::Link>,
    /// The asks it received from other cogs.
    served: cogdev::Served,
    /// The last crash of a step, as a seed of `[op arg]`.
    crash: Option<Vec<u8>>,
    /// The runtime's roots hold every value the machine holds (see `root_more`).
    roots_whole: bool,
    /// How the last failed step failed.
    failure: Option<cogs::EndKind>,
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

impl Machine {
    /// Boots a new machine in `dir` with `cog` (fully normal): snapshot 0, an empty log.
    pub fn boot(rt: Runtime, dir: &std::path::Path, cog: Value) -> Result<(), MachineError> {
        Self::boot_at(rt, dir, cog, 0)
    }

    /// Makes a new store in `dir` whose boot record and snapshot hold `cog` (fully normal)
    /// after batch `batch`, with an empty log that goes on from there (an imported machine
    /// keeps its batch numbers). The boot record comes last, so a store that has one is
    /// complete.
    pub fn boot_at(
        mut rt: Runtime,
        dir: &std::path::Path,
        cog: Value,
        batch: u64,
    ) -> Result<(), MachineError> {
        Self::boot_in(&mut rt, dir, cog, batch)
    }

    /// [`Machine::boot_at`] with a runtime that goes on being used.
    pub fn boot_in(
        rt: &mut Runtime,
        dir: &std::path::Path,
        cog: Value,
        batch: u64,
    ) -> Result<(), MachineError> {
        check_cog(cog)?;
        let store = MachineStore::create(dir)?;
        Self::boot_store(rt, store, cog, batch)
    }

    /// [`Machine::boot_in`] into a new store made by the caller (a spawned cog's, which
    /// uses the machine's pins).
    pub fn boot_store(
        rt: &mut Runtime,
        mut store: MachineStore,
        cog: Value,
        batch: u64,
    ) -> Result<(), MachineError> {
        check_cog(cog)?;
        let dir = store.dir().to_path_buf();
        let dir = dir.as_path();
        let (hash, _) = store.save_value(rt, cog)?;
        let store_id = new_store_id(&hash, dir);
        store.create_log(&Header {
            store_id,
            first_batch: batch + 1,
        })?;
        let rec = SnapshotRecord {
            batch,
            cog: hash,
            store_id,
            log: Position {
                end: log::LOG_HEADER,
                crc: 0,
            },
        };
        store.write_record(SnapshotKind::Latest, &rec)?;
        store.write_record(SnapshotKind::Boot, &rec)?;
        Ok(())
    }

    /// Opens the machine in `dir` to run it: loads the latest snapshot (or the boot one with
    /// `replay_all`), replays the log after it and starts its drivers. `say` reports what
    /// happened.
    pub fn start(
        rt: Runtime,
        dir: &std::path::Path,
        replay_all: bool,
        say: Box<dyn FnMut(&str)>,
        print_trace: TracePrinter,
    ) -> Result<Machine, MachineError> {
        Self::start_linked(rt, dir, replay_all, say, print_trace, None)
    }

    /// [`Machine::start`] for a cog among others: `link` is in place before its drivers
    /// issue their first requests.
    pub fn start_linked(
        rt: Runtime,
        dir: &std::path::Path,
        replay_all: bool,
        say: Box<dyn FnMut(&str)>,
        print_trace: TracePrinter,
        link: Option<cogdev::Link>,
    ) -> Result<Machine, MachineError> {
        let store = MachineStore::open(dir, Access::Write)?;
        Self::start_store(rt, store, replay_all, say, print_trace, link)
    }

    /// [`Machine::start_linked`] on a store opened by the caller (for writing).
    pub fn start_store(
        rt: Runtime,
        store: MachineStore,
        replay_all: bool,
        say: Box<dyn FnMut(&str)>,
        print_trace: TracePrinter,
        link: Option<cogdev::Link>,
    ) -> Result<Machine, MachineError> {
        let mut m = Self::open_store(rt, store, replay_all, say, print_trace)?;
        m.link = link;
        if m.latest_rec.is_none() {
            // The snapshot record was damaged and left out: replace it now.
            m.snapshot()?;
        }
        m.writer = Some(LogWriter::start(&m.store.log_path(), m.batch + 1)?);
        m.reconcile_workers()?;
        Ok(m)
    }

    /// Loads the machine in `dir` and replays its log, without starting anything. With
    /// [`Access::Read`] nothing on disk changes (damage is described, not repaired); with
    /// [`Access::Write`] leftovers of interrupted writes are removed and a damaged log tail
    /// is dealt with as [`check`] says, with a message.
    pub fn open(
        rt: Runtime,
        dir: &std::path::Path,
        replay_all: bool,
        access: Access,
        say: Box<dyn FnMut(&str)>,
        print_trace: TracePrinter,
    ) -> Result<Machine, MachineError> {
        let store = MachineStore::open(dir, access)?;
        Self::open_store(rt, store, replay_all, say, print_trace)
    }

    /// [`Machine::open`] on a store opened by the caller.
    pub fn open_store(
        rt: Runtime,
        store: MachineStore,
        replay_all: bool,
        mut say: Box<dyn FnMut(&str)>,
        print_trace: TracePrinter,
    ) -> Result<Machine, MachineError> {
        let access = store.access();
        if store.cleaned > 0 {
            say(&format!(
                "removed {} unfinished file(s) left by an interrupted write",
                store.cleaned
            ));
        }
        let checked = check::check(&store, replay_all, &mut say)?;
        if let (true, check::TailAction::ReplaceCovered { batch, .. }) = (replay_all, &checked.tail)
        {
            return Err(MachineError::LostBatch(*batch));
        }
        let log_path = store.log_path();
        let opened = checked.log;
        let mut log_pos = opened.end();
        let mut last = opened.last_batch();
        if let Some(msg) = checked.tail.describe(&log_path, access == Access::Write) {
            say(&msg);
        }
        if access == Access::Write {
            match &checked.tail {
                check::TailAction::None => {}
                check::TailAction::CutUnfinished(t)
                | check::TailAction::DropDamaged { tail: t, .. } => {
                    log::cut(&log_path, t.offset)?;
                }
                check::TailAction::ReplaceCovered {
                    tail,
                    batch,
                    replaced,
                } => {
                    log::cut(&log_path, tail.offset)?;
                    log_pos = log::append_lost(&log_path, *batch, *replaced)?;
                    last = *batch;
                }
            }
        } else if let check::TailAction::ReplaceCovered { batch, .. } = &checked.tail {
            last = *batch;
        }
        let from = match (&checked.latest, replay_all) {
            (Some(l), false) => *l,
            _ => checked.boot,
        };
        let snap_batch = from.batch;
        let rt_interrupt = rt.interrupt.clone();
        let mut m = Machine {
            rt,
            store,
            writer: None,
            boot_rec: checked.boot,
            latest_rec: checked.latest,
            log_pos,
            last_snapshot: Written::default(),
            gc_packs: GC_PACKS,
            gc_base: 0,
            cog: Value::small(0),
            batch: snap_batch,
            snapshot_batch: snap_batch,
            snapshot_every: 1000,
            step_limit: Duration::from_secs(30),
            skip_crashing_inputs: false,
            retry: VecDeque::new(),
            show_value: crate::print::show_short,
            watchdog: watchdog::Watchdog::new(rt_interrupt),
            stop: Arc::new(AtomicBool::new(false)),
            drivers: Vec::new(),
            entries: Vec::new(),
            next_id: 0,
            jobs: Default::default(),
            tcp: tcp::Tcp::default(),
            inputs: Vec::new(),
            takes: Vec::new(),
            responses: VecDeque::new(),
            traces: Default::default(),
            print_trace,
            say,
            link: None,
            served: Default::default(),
            crash: None,
            roots_whole: false,
            failure: None,
        };
        // Traces are held until they may be shown (see `step` and `respond`).
        let traces = m.traces.clone();
        m.rt.trace_hook = Some(Box::new(move |_, v| traces.borrow_mut().push(v)));
        let cog = m.store.load_value(&mut m.rt, &from.cog)?;
        m.set_cog(cog);
        if !replay_all {
            if let Some(book) = asks::Book::load(m.store.dir(), from.batch)? {
                m.served.book = book;
            }
        }
        check_cog(m.cog)?;
        let to_replay: Vec<_> = opened
            .records
            .into_iter()
            .filter(|r| r.batch > snap_batch)
            .collect();
        if last > snap_batch && to_replay.last().map(|r| r.batch) != Some(last) {
            // Only with --replay-all past the snapshot's own damaged record.
            return Err(MachineError::LostBatch(last));
        }
        if let Some(r) = to_replay.iter().find(|r| r.lost.is_some()) {
            return Err(MachineError::LostBatch(r.batch));
        }
        if !to_replay.is_empty() {
            (m.say)(&format!(
                "replaying {} batches after batch {snap_batch}",
                to_replay.len()
            ));
        }
        for r in to_replay {
            let inputs = seed::load(&mut m.rt, &r.payload)
                .map_err(|e| MachineError::BadBatch(r.batch, e.to_string()))?;
            let takes = asks::decode_takes(&r.asks)
                .map_err(|e| MachineError::BadBatch(r.batch, format!("its asks: {e}")))?;
            m.sync_roots(&[inputs]);
            let (next, outs) = m.run_step(inputs)?;
            m.set_cog(next);
            m.batch = r.batch;
            // The asks it took and answered, as the live step recorded them.
            m.served.book.commit(&takes);
            let parsed = parse_outputs(&outs).unwrap_or_default();
            m.answer_asks(&parsed);
        }
        m.traces.borrow_mut().clear();
        m.gc_base = m.store.pins().files().1;
        Ok(m)
    }

    /// Queues an input for the next step (`take`: the ask from another cog it is).
    fn push_input(&mut self, input: Value, take: Option<asks::Take>) {
        self.inputs.push(input);
        self.takes.push(take);
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
        self.roots_whole = true;
        let rt = &mut self.rt;
        rt.roots.clear();
        rt.roots.push(self.cog);
        rt.roots.extend(self.entries.iter().flatten().copied());
        for d in self.drivers.iter().flatten() {
            rt.roots.extend(d.values());
        }
        rt.roots.extend(self.inputs.iter().copied());
        rt.roots.extend(self.retry.iter().map(|(v, _)| *v));
        rt.roots.extend(self.responses.iter().map(|r| r.value));
        rt.roots.extend(self.traces.borrow().iter().copied());
        rt.roots.extend_from_slice(extra);
    }

    /// Roots `extra` too: pushes it when the roots already hold everything the machine holds
    /// (every value stored since the last [`Machine::sync_roots`] was pushed as it was
    /// stored), else syncs. Answering a run of responses costs one sync, not one each.
    fn root_more(&mut self, extra: &[Value]) {
        if self.roots_whole {
            self.rt.roots.extend_from_slice(extra);
        } else {
            self.sync_roots(extra);
        }
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

    /// Evaluates one step; returns the next cog and the outputs. A failure is also kept (as
    /// how a cog among others ends, see [`Machine::end_of`]).
    fn run_step(&mut self, inputs: Value) -> Result<(Value, Vec<Value>), MachineError> {
        let r = self.eval_step(inputs);
        if let Err(e) = &r {
            self.failure = self.end_kind(e);
        }
        r
    }

    fn eval_step(&mut self, inputs: Value) -> Result<(Value, Vec<Value>), MachineError> {
        let r = self.call_limited(self.cog, &[inputs]);
        if let Err(c) = &r {
            let pair = self.rt.row(&[c.op, c.arg]);
            self.crash = self.rt.normalize(pair).ok().map(seed::save);
        }
        let r = r.map_err(|c| match c.kind {
            _ if self.stopping(&c) => MachineError::Interrupted,
            CrashKind::Interrupted => MachineError::TimedOut(self.step_limit),
            CrashKind::OutOfMemory(limit) => MachineError::OutOfMemory(limit),
            _ => MachineError::Crashed(c.describe()),
        })?;
        let parts = row(r);
        let [next, outs] = parts.as_slice() else {
            return Err(MachineError::BadStep(crate::print::show_short(r, 300)));
        };
        Ok((*next, row(*outs)))
    }

    /// Runs one step on the queued inputs, logs it and releases what it produced. A step
    /// that fails (see [`failed_step`]) commits nothing. Then, with
    /// [`Machine::skip_crashing_inputs`], its inputs run again one at a time and each one
    /// that fails alone is reported and dropped; without, the machine stops with an error
    /// that names the first input that fails alone (found by running them one at a time
    /// without committing anything).
    fn step(&mut self) -> Result<(), MachineError> {
        let inputs = std::mem::take(&mut self.inputs);
        let takes = std::mem::take(&mut self.takes);
        let Some(cause) = self.try_step(&inputs, &takes)? else {
            return Ok(());
        };
        if !self.skip_crashing_inputs {
            return Err(self.describe_failure(cause, &inputs));
        }
        if inputs.len() == 1 {
            let shown = (self.show_value)(inputs[0], 400);
            (self.say)(&format!(
                "{cause}, on the input {shown}; the input is dropped (--skip-crashing-inputs) and the machine goes on"
            ));
            self.drop_takes(&takes);
            return Ok(());
        }
        (self.say)(&format!(
            "{cause}, on a step of {} inputs; running them one at a time",
            inputs.len()
        ));
        self.retry = inputs.into_iter().zip(takes).collect();
        while let Some((input, take)) = self.retry.pop_front() {
            if let Some(cause) = self.try_step(&[input], &[take])? {
                let shown = (self.show_value)(input, 400);
                (self.say)(&format!(
                    "{cause}, on the input {shown}; the input is dropped (--skip-crashing-inputs) and the machine goes on"
                ));
                self.drop_takes(&[take]);
            }
        }
        Ok(())
    }

    /// The error for a step on `inputs` that failed with `cause`: it names the first input
    /// that fails alone (after the ones before it), running them one at a time from the
    /// cog as it is, committing nothing.
    fn describe_failure(&mut self, cause: MachineError, inputs: &[Value]) -> MachineError {
        let (cause, at) = if inputs.len() == 1 {
            (cause, Some(0))
        } else {
            let saved = self.cog;
            let mut found = None;
            for (k, input) in inputs.iter().enumerate() {
                let one = self.rt.row(&[*input]);
                let all = self.rt.row(inputs);
                self.sync_roots(&[one, all, saved]);
                match self.run_step(one) {
                    Ok((next, _)) => self.set_cog(next),
                    Err(e) if failed_step(&e) => {
                        found = Some((e, k));
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.traces.borrow_mut().clear();
            self.set_cog(saved);
            match found {
                Some((e, k)) => (e, Some(k)),
                None => (cause, None),
            }
        };
        let (input, context) = match at {
            Some(k) if inputs.len() > 1 => (
                inputs[k],
                format!(" (input {} of the step's {})", k + 1, inputs.len()),
            ),
            Some(k) => (inputs[k], String::new()),
            None => {
                let all = self.rt.row(inputs);
                (
                    all,
                    format!(" (the step's {} inputs together)", inputs.len()),
                )
            }
        };
        MachineError::FailedOn {
            cause: cause.to_string(),
            input: (self.show_value)(input, 400),
            context,
        }
    }

    /// Runs one step on `inputs` and commits it: `None`, or the step's failure (see
    /// [`failed_step`]), of which nothing is committed or shown.
    fn try_step(
        &mut self,
        inputs: &[Value],
        takes: &[Option<asks::Take>],
    ) -> Result<Option<MachineError>, MachineError> {
        let input_row = self.rt.row(inputs);
        self.sync_roots(&[input_row]);
        let (next, outs) = match self.run_step(input_row) {
            Ok(r) => r,
            Err(e) if failed_step(&e) => {
                // Nothing of the step is seen: not its traces, not its outputs.
                self.traces.borrow_mut().clear();
                return Ok(Some(e));
            }
            Err(e) => return Err(e),
        };
        let payload = seed::save(input_row);
        let takes: Vec<asks::Take> = takes.iter().flatten().copied().collect();
        let meta = if takes.is_empty() {
            Vec::new()
        } else {
            asks::encode_takes(&takes)
        };
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| MachineError::Store("the log writer is closed".into()))?;
        let (batch, position, receipt) = writer.append_with_asks(&payload, &meta)?;
        receipt.wait()?;
        self.served.book.commit(&takes);
        // Durable: now the step's effects may be seen.
        self.batch = batch;
        self.log_pos = position;
        self.set_cog(next);
        let traces: Vec<Value> = std::mem::take(&mut *self.traces.borrow_mut());
        for t in traces {
            (self.print_trace)(t);
        }
        // Outputs go to the drivers that this step leaves running: each is addressed to the
        // driver that runs now, and dropped if the step restarts or stops it (see
        // `respond`). As in the reference, one malformed output drops them all.
        let parsed = parse_outputs(&outs);
        if parsed.is_none() {
            (self.say)("the step's outputs are not all [worker reqIdx msg]; none was delivered");
        }
        let parsed = parsed.unwrap_or_default();
        self.answer_asks(&parsed);
        for (w, req, msg) in parsed {
            if let Some(Some(d)) = self.drivers.get(w) {
                self.responses.push_back(Response {
                    worker: w,
                    driver: d.id,
                    req,
                    gen: None,
                    value: msg,
                });
            }
        }
        self.reconcile_workers()?;
        if self.batch - self.snapshot_batch >= self.snapshot_every {
            self.snapshot()?;
        }
        Ok(None)
    }

    /// Writes a snapshot of the cog as it is now: the pins not stored yet as one commit,
    /// then the snapshot record. Collects unreachable pins once the store has
    /// [`Machine::gc_packs`] pack files or has grown by half since the last collection.
    pub fn snapshot(&mut self) -> Result<(), MachineError> {
        let (hash, written) = self.store.save_value(&mut self.rt, self.cog)?;
        // The ask book after this batch goes before the record that names the batch.
        self.served.book.save(self.store.dir(), self.batch)?;
        let rec = SnapshotRecord {
            batch: self.batch,
            cog: hash,
            store_id: self.boot_rec.store_id,
            log: self.log_pos,
        };
        self.store.write_record(SnapshotKind::Latest, &rec)?;
        asks::Book::prune(self.store.dir(), self.batch);
        self.latest_rec = Some(rec);
        self.snapshot_batch = self.batch;
        self.last_snapshot = written;
        let (packs, bytes) = self.store.pins().files();
        if packs >= self.gc_packs || bytes > self.gc_base + self.gc_base / 2 {
            // The snapshot is durable: a failed collection costs only space.
            if let Err(e) = self.collect() {
                (self.say)(&format!(
                    "pin collection failed ({e}); the machine goes on without it"
                ));
            }
        }
        Ok(())
    }

    /// Reclaims every stored pin that neither the boot record nor the latest snapshot
    /// reaches. (Logged inputs are seeds that hold their pins whole: they reach no stored
    /// pin.)
    pub fn collect(&mut self) -> Result<Collected, MachineError> {
        let mut roots = vec![self.boot_rec.cog];
        roots.extend(self.latest_rec.map(|r| r.cog));
        let c = self.store.collect(&roots)?;
        self.gc_base = c.bytes_after;
        Ok(c)
    }

    /// The store's pin files: how many, and their total size.
    pub fn pin_files(&self) -> (usize, u64) {
        self.store.pins().files()
    }

    /// Starts, restarts or stops drivers after the workers row changed; a driver that starts
    /// issues its whole request row.
    fn reconcile_workers(&mut self) -> Result<(), MachineError> {
        let workers = row(arg_from_end(self.cog, 0).unwrap_or(Value::small(0)));
        let n = workers.len().max(self.drivers.len());
        self.drivers.resize_with(n, || None);
        self.entries.resize(n, None);
        let mut started = Vec::new();
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
                    self.next_id += 1;
                    self.drivers[i] = Some(Driver::new(self.next_id, e, *p));
                    started.push(i);
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
        for i in started {
            self.issue_requests(i);
        }
        Ok(())
    }

    /// Issues every request in the request row driver `w` shows now (its last argument).
    fn issue_requests(&mut self, w: usize) {
        let Some(Some(d)) = self.drivers.get(w) else {
            return;
        };
        let reqs = row(last_arg(d.proc).unwrap_or(Value::small(0)));
        for r in reqs {
            if let Some((idx, value, effect)) = effect::decode_entry(r) {
                self.issue(w, idx, value, effect);
            }
        }
    }

    /// Queues `value` as the answer to the live request `req` (issued as `gen`) of driver `w`.
    fn answer(&mut self, w: usize, req: u64, gen: u64, value: Value) {
        if self.roots_whole {
            self.rt.roots.push(value);
        }
        if let Some(Some(d)) = self.drivers.get(w) {
            self.responses.push_back(Response {
                worker: w,
                driver: d.id,
                req,
                gen: Some(gen),
                value,
            });
        }
    }

    /// Issues request `req` of driver `w`: `value` is the effect as it came, `effect` what
    /// it asks for. Every request but a write or a dead one becomes live.
    fn issue(&mut self, w: usize, req: u64, value: Value, effect: Effect) {
        self.next_id += 1;
        let gen = self.next_id;
        let wait = match effect {
            Effect::Dead => return,
            Effect::Write(c) => {
                let input = self.rt.row(&[Value::small(w as u64), c]);
                if self.roots_whole {
                    self.rt.roots.push(input);
                }
                self.push_input(input, None);
                return;
            }
            Effect::Read(q) => {
                let s = arg_from_end(self.cog, 2).unwrap_or(Value::small(0));
                let r = arg_from_end(self.cog, 1).unwrap_or(Value::small(0));
                self.sync_roots(&[value]);
                let answer = self
                    .call_limited(r, &[s, Value::small(req), q])
                    .unwrap_or(Value::small(0));
                self.answer(w, req, gen, answer);
                Wait::Answered
            }
            Effect::TimeWhen => {
                let now = self.rt.nat_u64(now_secs());
                self.answer(w, req, gen, now);
                Wait::Answered
            }
            Effect::TimeWait(Some(t)) => Wait::Until(t),
            Effect::TimeWait(None) => Wait::Never,
            Effect::Tcp(t) => match self.tcp_request(t) {
                Ok(answer) => {
                    self.answer(w, req, gen, answer);
                    Wait::Answered
                }
                Err(wait) => Wait::Tcp(wait),
            },
            Effect::Zero => {
                self.answer(w, req, gen, Value::small(0));
                Wait::Answered
            }
            Effect::Cog(c) => self.cog_request(w, req, gen, c),
        };
        if let Some(Some(d)) = self.drivers.get_mut(w) {
            d.insert(
                req,
                Live {
                    gen,
                    effect: value,
                    wait,
                },
            );
        }
    }

    /// `Maybe x`: 0 for none, `(0 x)` for some.
    fn maybe(&mut self, x: Option<u64>) -> Value {
        match x {
            Some(v) => {
                let v = self.rt.nat_u64(v);
                self.rt.partial(Value::small(0), &[v])
            }
            None => Value::small(0),
        }
    }

    /// Answers a TCP request that needs no waiting (`%mine %open %shut`, and a `%give` the
    /// socket takes at once), or says what it waits for.
    fn tcp_request(&mut self, t: TcpRequest) -> Result<Value, tcp::TcpWait> {
        match t {
            TcpRequest::Mine => Ok(Value::small(self.tcp.mine() as u64)),
            TcpRequest::Open(ip, port) => {
                let h = self.tcp.open(ip, port);
                Ok(self.maybe(h))
            }
            TcpRequest::Give(h, bytes) => match self.tcp.give(h, &bytes) {
                Some(sent) => Ok(self.maybe(sent.map(|n| n as u64))),
                None => Err(tcp::TcpWait::Give(h, bytes)),
            },
            TcpRequest::Shut(h) => {
                self.tcp.shut(h);
                Ok(Value::small(0))
            }
            TcpRequest::Hear => Err(tcp::TcpWait::Hear),
            TcpRequest::Take(h) => Err(tcp::TcpWait::Take(h)),
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
            self.push_input(input, None);
        }
        !self.jobs.is_empty()
    }

    /// Answers the TCP requests that can be answered now; returns whether any still wait.
    fn poll_tcp(&mut self) -> bool {
        let mut waiting = false;
        let mut events = Vec::new();
        for (w, d) in self.drivers.iter_mut().enumerate() {
            let Some(d) = d else { continue };
            for (req, l) in d.waiting() {
                if let Wait::Tcp(t) = &l.wait {
                    match self.tcp.poll(t) {
                        Some(ev) => {
                            l.wait = Wait::Answered;
                            events.push((w, req, l.gen, ev));
                        }
                        None => waiting = true,
                    }
                }
            }
        }
        for (w, req, gen, ev) in events {
            let v = match ev {
                tcp::TcpEvent::Heard(h, ip, port) => {
                    let xs = [
                        self.rt.nat_u64(h),
                        Value::small(ip as u64),
                        Value::small(port as u64),
                    ];
                    self.rt.row(&xs)
                }
                tcp::TcpEvent::Took(bytes) => self.rt.bar(&bytes),
                tcp::TcpEvent::Gave(sent) => self.maybe(sent.map(|n| n as u64)),
            };
            self.answer(w, req, gen, v);
        }
        waiting
    }

    /// Gives a driver its next answer: `P' = P req x`. The answer is dropped if the driver
    /// or the request it answers was replaced since. A crashing driver goes back to its
    /// initial `P` (keeping its live requests). Then the driver issues its new row.
    fn respond(&mut self, r: Response) {
        let Some(Some(d)) = self.drivers.get_mut(r.worker) else {
            return;
        };
        if d.id != r.driver {
            return;
        }
        match r.gen {
            Some(gen) => {
                if !d.take_answered(r.req, gen) {
                    return;
                }
            }
            None => d.remove(r.req),
        }
        let proc = d.proc;
        self.root_more(&[r.value]);
        let result = self.call_limited(proc, &[Value::small(r.req), r.value]);
        // Drivers are not persisted: what they trace can be shown at once.
        let traces: Vec<Value> = std::mem::take(&mut *self.traces.borrow_mut());
        for t in traces {
            (self.print_trace)(t);
        }
        let w = r.worker;
        let next = match result {
            Ok(p) => p.deref(),
            Err(c) => {
                (self.say)(&format!(
                    "driver {w} crashed ({}); it goes back to its initial state",
                    c.describe()
                ));
                match self.drivers.get(w) {
                    Some(Some(d)) => d.init,
                    _ => return,
                }
            }
        };
        if let Some(Some(d)) = self.drivers.get_mut(w) {
            d.proc = next;
        }
        if self.roots_whole {
            self.rt.roots.push(next);
        }
        self.issue_requests(w);
    }

    /// Answers the `%time %wait` requests that are due; returns the next deadline.
    fn fire_timers(&mut self) -> Option<u64> {
        let now = now_secs();
        let mut next: Option<u64> = None;
        let mut due = Vec::new();
        for (w, d) in self.drivers.iter_mut().enumerate() {
            let Some(d) = d else { continue };
            for (req, l) in d.waiting() {
                match l.wait {
                    Wait::Until(t) if t <= now => {
                        l.wait = Wait::Answered;
                        due.push((w, req, l.gen));
                    }
                    Wait::Until(t) => next = Some(next.map_or(t, |n| n.min(t))),
                    Wait::Answered | Wait::Never | Wait::Tcp(_) | Wait::Cog | Wait::Tell(..) => {}
                }
            }
        }
        for (w, req, gen) in due {
            self.answer(w, req, gen, Value::small(0));
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
            // The answers that are in now, then one step for the inputs they made, then the
            // devices: a driver that keeps asking cannot hold up the cog or other drivers.
            // The first answer syncs the roots (values stored since were not pushed).
            self.roots_whole = false;
            for _ in 0..self.responses.len() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(r) = self.responses.pop_front() {
                    self.respond(r);
                }
            }
            // Roots pushed while answering are dropped at the next sync.
            self.roots_whole = false;
            if self.link.is_some() {
                // Asks from other cogs become inputs of this step.
                self.poll_mailbox(Duration::ZERO);
                self.serve_asks();
            }
            if !self.inputs.is_empty() && !stop.load(Ordering::Relaxed) {
                match self.step() {
                    Err(MachineError::Interrupted) => break Ended::Stopped,
                    r => r?,
                }
            }
            let next = self.fire_timers();
            let tcp_waiting = self.poll_tcp() | self.poll_jobs();
            if !self.responses.is_empty() || !self.inputs.is_empty() {
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
            // A cog with others wakes as soon as one of them sends it something.
            self.poll_mailbox(wait.max(Duration::from_millis(1)));
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
        if self.writer.is_some() && self.batch > self.snapshot_batch {
            self.snapshot()?;
        }
        if let Some(w) = self.writer.take() {
            w.close();
        }
        Ok(())
    }
}

/// A new store's id: a hash of the booted cog, the directory, the time and the process.
fn new_store_id(cog: &crate::hash::Hash, dir: &std::path::Path) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(cog);
    h.update(dir.as_os_str().as_encoded_bytes());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(&now.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    id
}

/// Opens the store in `dir` for writing and reclaims every pin that neither its boot record
/// nor its latest snapshot reaches (`pallas gc`). The records and the log are checked first,
/// as a start checks them; the log is not changed.
pub fn collect_store(
    dir: &std::path::Path,
    say: &mut dyn FnMut(&str),
) -> Result<Collected, MachineError> {
    let mut store = MachineStore::open(dir, Access::Write)?;
    if store.cleaned > 0 {
        say(&format!(
            "removed {} unfinished file(s) left by an interrupted write",
            store.cleaned
        ));
    }
    let checked = check::check(&store, false, say)?;
    let mut roots = vec![checked.boot.cog];
    roots.extend(checked.latest.map(|r| r.cog));
    // Every cog's records are roots (the machine's pins are shared); a spawned cog's store
    // from an earlier version gives its own pins to the machine's first.
    let (ids, _) = cogs::scan(dir)?;
    for id in ids {
        let d = cogs::cog_dir(dir, id);
        if d.join("boot").exists() {
            let s = MachineStore::open_cog(&d, Access::Write, store.pins().clone())?;
            check::check(&s, false, say)?;
        }
    }
    store.collect(&roots)
}

/// A step's outputs as `(worker, reqIdx, msg)`; `None` if any is not `[worker reqIdx msg]`
/// (then, as in the reference, none is delivered).
fn parse_outputs(outs: &[Value]) -> Option<Vec<(usize, u64, Value)>> {
    outs.iter()
        .map(|o| match row(*o).as_slice() {
            [w, r, msg] => Some((usize::try_from(nat(*w)?).ok()?, nat(*r)?, *msg)),
            _ => None,
        })
        .collect()
}

/// Whether `e` is a failure of the step itself (a crash, the time limit, the heap limit, or
/// a result that is not `[cog outputs]`), which commits nothing, rather than of the machine.
fn failed_step(e: &MachineError) -> bool {
    matches!(
        e,
        MachineError::Crashed(_)
            | MachineError::TimedOut(_)
            | MachineError::OutOfMemory(_)
            | MachineError::BadStep(_)
    )
}

/// Checks that `cog` has the shape of a cog (an application with at least three arguments).
fn check_cog(cog: Value) -> Result<(), MachineError> {
    match cog.deref().kind() {
        Some(Kind::App(a)) if a.args().len() >= 3 => Ok(()),
        _ => Err(MachineError::NotACog(crate::print::show_short(cog, 200))),
    }
}
