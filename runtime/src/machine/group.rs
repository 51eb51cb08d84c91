//! A machine with all its cogs: the booted cog on the calling thread, each spawned cog on a
//! thread of its own with its own runtime, started from its own store under `cogs/`.
//!
//! The machine runs until it is asked to stop, the booted cog fails, or no cog runs any
//! more. A stop reaches every cog (each finishes or drops its step, snapshots and closes
//! its log); a cog spawned cog that ends on its own is recorded as ended (see
//! [`super::cogs`]) and the others go on.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::cogdev::Link;
use super::cogs::{self, CogId, EndKind, Event, Hub, ROOT};
use super::store::{Access, MachineStore};
use super::{Ended, Machine, MachineError};
use crate::runtime::Runtime;
use crate::value::Value;

/// Makes a runtime for a cog (each cog has its own).
pub type RuntimeFactory = Arc<dyn Fn() -> Runtime + Send + Sync>;

/// Prints a message about a cog.
pub type CogSay = Arc<dyn Fn(CogId, &str) + Send + Sync>;

/// Prints a trace line of a cog.
pub type CogTrace = Arc<dyn Fn(CogId, Value) + Send + Sync>;

/// How the cogs of a machine run.
#[derive(Clone)]
pub struct GroupConfig {
    /// Makes each cog's runtime.
    pub runtime: RuntimeFactory,
    /// Prints a message about cog `id`.
    pub say: CogSay,
    /// Prints a trace line of cog `id` (once its step is on disk).
    pub trace: CogTrace,
    /// Replay spawned cogs from their boot records.
    pub replay_all: bool,
    /// Snapshot every this many batches (each cog).
    pub snapshot_every: u64,
    /// The time limit of a step.
    pub step_limit: Duration,
    /// Drop the inputs that fail alone instead of stopping (see [`Machine::skip_crashing_inputs`]).
    pub skip_crashing_inputs: bool,
    /// Prints a value in messages about a cog.
    pub show_value: fn(Value, usize) -> String,
}

/// A running machine and its cogs.
pub struct Group {
    /// The booted cog.
    pub root: Machine,
    /// What the cogs share.
    pub hub: Arc<Hub>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

fn say_for(cfg: &GroupConfig, id: CogId) -> Box<dyn FnMut(&str)> {
    let say = cfg.say.clone();
    Box::new(move |m| say(id, m))
}

fn trace_for(cfg: &GroupConfig, id: CogId) -> super::TracePrinter {
    let t = cfg.trace.clone();
    Box::new(move |v| t(id, v))
}

impl Group {
    /// Starts the machine in `dir`: the booted cog as [`Machine::start`] does (with
    /// `replay_all` as given), then every spawned cog that has not ended, each on its thread.
    pub fn start(dir: &Path, replay_all: bool, cfg: GroupConfig) -> Result<Group, MachineError> {
        let rt = (cfg.runtime)();
        let (ids, max) = cogs::scan(dir)?;
        // The booted cog's store first: its lock guards the machine's pins, which every
        // cog's store uses.
        let root_store = MachineStore::open(dir, Access::Write)?;
        let hub = Hub::new(dir, max, root_store.pins().clone());
        let threads: Arc<Mutex<Vec<JoinHandle<()>>>> = Default::default();
        let (t, c) = (threads.clone(), cfg.clone());
        hub.set_launcher(Box::new(move |hub, id, dir| {
            let stop = Arc::new(AtomicBool::new(false));
            let interrupt = Arc::new(AtomicBool::new(false));
            let mailbox = hub.register(id, stop.clone(), interrupt.clone());
            let cfg = c.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("cog-{id}"))
                .spawn(move || run_spawned(cfg, hub, id, dir, mailbox, stop, interrupt));
            match spawned {
                Ok(h) => t.lock().unwrap_or_else(|e| e.into_inner()).push(h),
                Err(e) => (c.say)(id, &format!("cannot start a thread for it: {e}")),
            }
        }));
        let mailbox = hub.register(ROOT, Arc::new(AtomicBool::new(false)), rt.interrupt.clone());
        let link = Link {
            id: ROOT,
            hub: hub.clone(),
            mailbox,
            stop: Arc::new(AtomicBool::new(false)),
        };
        // Every cog is in the hub before any driver asks anything.
        let mut rt2 = (cfg.runtime)();
        for id in ids {
            let d = cogs::cog_dir(dir, id);
            if !d.join("boot").exists() {
                // A spin cut short: its id was never answered.
                std::fs::remove_dir_all(&d)
                    .map_err(|source| MachineError::Io { path: d, source })?;
                continue;
            }
            match cogs::read_ended(&mut rt2, &d)? {
                Some(kind) => hub.register_ended(id, kind),
                None => hub.launch(id, d),
            }
        }
        drop(rt2);
        let started = Machine::start_store(
            rt,
            root_store,
            replay_all,
            say_for(&cfg, ROOT),
            trace_for(&cfg, ROOT),
            Some(link),
        );
        let mut root = match started {
            Ok(m) => m,
            Err(e) => {
                hub.stop_all();
                join(&threads);
                return Err(e);
            }
        };
        root.snapshot_every = cfg.snapshot_every.max(1);
        root.step_limit = cfg.step_limit;
        root.skip_crashing_inputs = cfg.skip_crashing_inputs;
        root.show_value = cfg.show_value;
        Ok(Group { root, hub, threads })
    }

    /// Runs until `stop` is set, the booted cog fails, or no cog runs; then stops every cog.
    pub fn run(&mut self, stop: &Arc<AtomicBool>) -> Result<Ended, MachineError> {
        let r = self.root.run(stop);
        self.hub.left(ROOT, EndKind::Finished);
        if matches!(r, Ok(Ended::Finished)) {
            // The booted cog finished: the machine goes on while other cogs run.
            while self.hub.any_running() && !stop.load(Ordering::Relaxed) {
                self.root.poll_mailbox(Duration::from_millis(50));
            }
        }
        self.hub.stop_all();
        self.join();
        r
    }

    fn join(&self) {
        join(&self.threads);
    }
}

/// Waits for every cog thread (including those started meanwhile).
fn join(threads: &Mutex<Vec<JoinHandle<()>>>) {
    loop {
        let h = threads.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match h {
            Some(h) => {
                let _ = h.join();
            }
            None => break,
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.hub.stop_all();
        self.join();
    }
}

/// The thread of a spawned cog.
fn run_spawned(
    cfg: GroupConfig,
    hub: Arc<Hub>,
    id: CogId,
    dir: PathBuf,
    mailbox: Receiver<Event>,
    stop: Arc<AtomicBool>,
    interrupt: Arc<AtomicBool>,
) {
    let say = cfg.say.clone();
    let mut rt = (cfg.runtime)();
    rt.interrupt = interrupt;
    let link = Link {
        id,
        hub: hub.clone(),
        mailbox,
        stop: stop.clone(),
    };
    let started =
        MachineStore::open_cog(&dir, Access::Write, hub.store_pins.clone()).and_then(|s| {
            Machine::start_store(
                rt,
                s,
                cfg.replay_all,
                say_for(&cfg, id),
                trace_for(&cfg, id),
                Some(link),
            )
        });
    let mut m = match started {
        Ok(m) => m,
        Err(e) => {
            say(id, &format!("cannot start: {e}"));
            hub.left(id, EndKind::Crashed(crate::seed::save(Value::small(0))));
            return;
        }
    };
    m.snapshot_every = cfg.snapshot_every.max(1);
    m.step_limit = cfg.step_limit;
    m.skip_crashing_inputs = cfg.skip_crashing_inputs;
    m.show_value = cfg.show_value;
    let r = m.run(&stop);
    let kind = match r {
        Ok(Ended::Finished) => Some(EndKind::Finished),
        Ok(Ended::Stopped) if hub.stopping() => None,
        Ok(Ended::Stopped) => Some(EndKind::Stopped),
        Err(e) => {
            say(id, &format!("{e}"));
            let k = m.end_of(&e);
            if let Err(e) = m.close() {
                say(id, &format!("{e}"));
            }
            k
        }
    };
    match kind {
        Some(k) => {
            if let Err(e) = m.end_cog(k) {
                say(id, &format!("recording its end failed: {e}"));
                hub.left(id, EndKind::Stopped);
            }
        }
        None => hub.left(id, EndKind::Stopped),
    }
}

/// What `pallas ps` shows of one cog.
pub struct CogInfo {
    /// Its id.
    pub id: CogId,
    /// `running`, `idle` (the machine is not running), or how it ended.
    pub state: String,
    /// The last batch in its log.
    pub batch: u64,
    /// The batch its latest snapshot follows, and that snapshot's cog.
    pub snapshot: (u64, crate::hash::Hash),
}

/// Reads what `pallas ps` shows, without a lock and without changing anything (a running
/// machine's records are replaced atomically and its log only grows, so what is read is
/// consistent or a little behind).
pub fn ps(rt: &mut Runtime, dir: &Path) -> Result<Vec<CogInfo>, MachineError> {
    if !dir.join("boot").exists() {
        return Err(MachineError::NoStore(dir.to_path_buf()));
    }
    let running =
        MachineStore::open(dir, Access::Read).is_err_and(|e| matches!(e, MachineError::Locked(_)));
    let (ids, _) = cogs::scan(dir)?;
    let mut out = Vec::new();
    for (id, d) in std::iter::once((ROOT, dir.to_path_buf()))
        .chain(ids.into_iter().map(|i| (i, cogs::cog_dir(dir, i))))
    {
        let rec_path = d.join("snapshot");
        let text = std::fs::read_to_string(&rec_path).map_err(|source| MachineError::Io {
            path: rec_path.clone(),
            source,
        })?;
        let rec = crate::store::record::SnapshotRecord::decode(&text)
            .map_err(|why| MachineError::BadSnapshot(rec_path, why))?;
        let batch = crate::store::log::read(&d.join("log"))
            .map(|o| o.last_batch())
            .unwrap_or(rec.batch);
        let state = match cogs::read_ended(rt, &d)? {
            Some(k) => match k {
                EndKind::TimedOut(t) => format!("timed-out ({t} s)"),
                k => k.word().to_string(),
            },
            None if running => "running".into(),
            None => "idle".into(),
        };
        out.push(CogInfo {
            id,
            state,
            batch,
            snapshot: (rec.batch, rec.cog),
        });
    }
    Ok(out)
}

/// The hash of every spawned cog after its log (`start --print-hash`), reading only.
pub fn spawned_hashes(
    cfg: &GroupConfig,
    dir: &Path,
    replay_all: bool,
) -> Result<Vec<(CogId, crate::hash::Hash)>, MachineError> {
    let (ids, _) = cogs::scan(dir)?;
    let mut out = Vec::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (pins, _) = super::pinshare::SharedPins::open(dir, false)?;
    for id in ids {
        let d = cogs::cog_dir(dir, id);
        if !d.join("boot").exists() {
            continue;
        }
        let store = MachineStore::open_cog(&d, Access::Read, pins.clone())?;
        let mut m = Machine::open_store(
            (cfg.runtime)(),
            store,
            replay_all,
            say_for(cfg, id),
            trace_for(cfg, id),
        )?;
        out.push((id, m.cog_hash()));
    }
    Ok(out)
}
