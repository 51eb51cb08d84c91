//! The cogs of one machine: their ids, their states, and the mailboxes between them.
//!
//! Cog 1 is the booted cog (the store's top level). Cogs spawned with `[%cog %spin f]` get
//! the next unused id (2, 3, ...) and a directory `cogs/ID` of their own (boot and snapshot
//! records, event log, ask book; see [`super::store`]; their pins are in the machine's pin
//! store, see [`super::pinshare`]); each runs in a thread with a runtime of its own. A cog that finishes, crashes, runs past its step limit or is stopped writes
//! `cogs/ID/ended` before anyone is told, and does not run again; a reaped cog's directory
//! is removed, leaving `cogs/ID.reaped` so that its id is never given again.
//!
//! The [`Hub`] is what the cogs' threads share. A request to another cog goes to that cog's
//! mailbox ([`Event`]); answers go back the same way, as [`Envelope`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};

use super::envelope::{Envelope, PinTable};
use super::pinshare::Pins;
use super::store::MachineStore;
use super::MachineError;
use crate::runtime::Runtime;
use crate::seed;
use crate::value::Value;

/// A cog's id.
pub type CogId = u64;

/// The booted cog's id.
pub const ROOT: CogId = 1;

/// Where an answer goes: a live request of a driver of a cog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    /// The asking cog.
    pub cog: CogId,
    /// Its driver's worker index.
    pub worker: usize,
    /// The request's index.
    pub req: u64,
    /// Which issue of that request (see [`super::driver::Live::gen`]).
    pub gen: u64,
}

/// What arrives in a cog's mailbox.
pub enum Event {
    /// `[%cog %ask dst chan msg]` from cog `from`, to be answered at `reply`.
    Ask {
        /// The asking cog.
        from: CogId,
        /// The channel.
        chan: u64,
        /// The message.
        msg: Envelope,
        /// Where the answer goes.
        reply: Addr,
        /// The asker's key for it (an ask that comes again with its key is not applied
        /// again).
        key: Option<u64>,
    },
    /// The answer to one of this cog's requests.
    Answer {
        /// The request.
        to: Addr,
        /// The answer (its `x` when `some`).
        value: Envelope,
        /// The answer is `(0 x)`.
        some: bool,
    },
}

/// How a cog ended (the tag of its state row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndKind {
    /// Its workers row has no worker left: `[1 cog]`.
    Finished,
    /// A step crashed: `[2 op arg cog]` (`op` and `arg` as a seed of `[op arg]`).
    Crashed(Vec<u8>),
    /// A step ran past the limit of this many seconds: `[3 secs cog]`.
    TimedOut(u64),
    /// Stopped by `%stop` or `%reap`: `[4 cog]`.
    Stopped,
}

impl EndKind {
    /// The word `pallas ps` shows.
    pub fn word(&self) -> &'static str {
        match self {
            EndKind::Finished => "finished",
            EndKind::Crashed(_) => "crashed",
            EndKind::TimedOut(_) => "timed-out",
            EndKind::Stopped => "stopped",
        }
    }

    /// The `ended` file's bytes: a seed of `[tag x]`.
    fn encode(&self, rt: &mut Runtime) -> Vec<u8> {
        let (tag, x) = match self {
            EndKind::Finished => (1, Value::small(0)),
            EndKind::Crashed(s) => (2, seed::load(rt, s).unwrap_or(Value::small(0))),
            EndKind::TimedOut(t) => (3, Value::small(*t)),
            EndKind::Stopped => (4, Value::small(0)),
        };
        seed::save(rt.row(&[Value::small(tag), x]))
    }

    /// Reads an `ended` file.
    pub fn decode(rt: &mut Runtime, bytes: &[u8]) -> Option<EndKind> {
        let v = seed::load(rt, bytes).ok()?;
        let parts = crate::datajet::row_elems(v)?;
        let [tag, x] = parts.as_slice() else {
            return None;
        };
        Some(match tag.deref().as_small()? {
            1 => EndKind::Finished,
            2 => EndKind::Crashed(seed::save(x.deref())),
            3 => EndKind::TimedOut(x.deref().as_small()?),
            4 => EndKind::Stopped,
            _ => return None,
        })
    }

    /// The state row `[tag ... cog]` for the final cog `cog`, in `rt`.
    pub fn state_row(&self, rt: &mut Runtime, cog: Value) -> Value {
        match self {
            EndKind::Finished => rt.row(&[Value::small(1), cog]),
            EndKind::Crashed(s) => {
                let pair = seed::load(rt, s).unwrap_or(Value::small(0));
                let xs = crate::datajet::row_elems(pair).unwrap_or_default();
                let op = xs.first().copied().unwrap_or(Value::small(0));
                let arg = xs.get(1).copied().unwrap_or(Value::small(0));
                rt.row(&[Value::small(2), op, arg, cog])
            }
            EndKind::TimedOut(t) => rt.row(&[Value::small(3), Value::small(*t), cog]),
            EndKind::Stopped => rt.row(&[Value::small(4), cog]),
        }
    }
}

/// What `%stop`, `%reap` and `%wait` wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// `%stop`.
    Stop,
    /// `%reap`.
    Reap,
    /// `%wait`.
    Wait,
}

enum Status {
    Running {
        mailbox: Sender<Event>,
        stop: Arc<AtomicBool>,
        interrupt: Arc<AtomicBool>,
    },
    Ended {
        kind: EndKind,
        /// `(0 state)` as the cog's own thread made it (none after a restart).
        answer: Option<Envelope>,
    },
    /// Being reaped or reaped: it answers nothing any more.
    Gone,
}

struct Entry {
    status: Status,
    waiters: Vec<(Until, Addr)>,
}

/// Starts a thread for a spawned cog (given its id and directory).
pub type Launcher = Box<dyn Fn(Arc<Hub>, CogId, PathBuf) + Send + Sync>;

/// What every cog's thread shares.
pub struct Hub {
    dir: PathBuf,
    cogs: Mutex<BTreeMap<CogId, Entry>>,
    next: Mutex<CogId>,
    /// Pins sent between cogs, by hash.
    pub pins: PinTable,
    /// The machine's pin store, which every cog's store uses.
    pub store_pins: Pins,
    launcher: Mutex<Option<Launcher>>,
    stopping: AtomicBool,
}

/// What the hub says to a `%stop`, `%reap` or `%wait`.
pub enum EndReply {
    /// No such cog (or one that may not be asked this): answer 0.
    Zero,
    /// The answer comes later, as an [`Event::Answer`].
    Later,
    /// The cog had ended: answer `(0 state)` from this (or from its store, when `None`).
    Ended(EndKind, Option<Envelope>, PathBuf),
}

/// The directory of spawned cog `id` under the machine's store.
pub fn cog_dir(store: &Path, id: CogId) -> PathBuf {
    store.join("cogs").join(id.to_string())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> MachineError + '_ {
    move |source| MachineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The spawned cogs found in a store's `cogs/`: their ids (sorted), and the largest id
/// ever given (reaped ones included).
pub fn scan(store: &Path) -> Result<(Vec<CogId>, CogId), MachineError> {
    let dir = store.join("cogs");
    let mut ids = Vec::new();
    let mut max = ROOT;
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((ids, max)),
        Err(e) => return Err(io(&dir)(e)),
    };
    for e in entries {
        let e = e.map_err(io(&dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let (num, reaped) = match name.strip_suffix(".reaped") {
            Some(n) => (n, true),
            None => (name.as_str(), false),
        };
        let Ok(id) = num.parse::<CogId>() else {
            continue;
        };
        max = max.max(id);
        if !reaped && e.path().is_dir() {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok((ids, max))
}

impl Hub {
    /// A hub for the machine in `store` whose largest id so far is `max_id`, and whose pin
    /// store is `pins`.
    pub fn new(store: &Path, max_id: CogId, store_pins: Pins) -> Arc<Hub> {
        Arc::new(Hub {
            dir: store.to_path_buf(),
            cogs: Mutex::new(BTreeMap::new()),
            next: Mutex::new(max_id + 1),
            pins: PinTable::default(),
            store_pins,
            launcher: Mutex::new(None),
            stopping: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<CogId, Entry>> {
        self.cogs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets what starts the threads of spawned cogs.
    pub fn set_launcher(&self, l: Launcher) {
        *self.launcher.lock().unwrap_or_else(|e| e.into_inner()) = Some(l);
    }

    /// Registers a running cog; returns its mailbox.
    pub fn register(
        &self,
        id: CogId,
        stop: Arc<AtomicBool>,
        interrupt: Arc<AtomicBool>,
    ) -> Receiver<Event> {
        let (tx, rx) = channel();
        self.lock().insert(
            id,
            Entry {
                status: Status::Running {
                    mailbox: tx,
                    stop,
                    interrupt,
                },
                waiters: Vec::new(),
            },
        );
        rx
    }

    /// Registers a cog that had ended before the machine started.
    pub fn register_ended(&self, id: CogId, kind: EndKind) {
        self.lock().insert(
            id,
            Entry {
                status: Status::Ended { kind, answer: None },
                waiters: Vec::new(),
            },
        );
    }

    /// The ids and states of every cog (`None`: running).
    pub fn list(&self) -> Vec<(CogId, Option<EndKind>)> {
        self.lock()
            .iter()
            .filter_map(|(id, e)| match &e.status {
                Status::Running { .. } => Some((*id, None)),
                Status::Ended { kind, .. } => Some((*id, Some(kind.clone()))),
                Status::Gone => None,
            })
            .collect()
    }

    /// Whether any cog runs.
    pub fn any_running(&self) -> bool {
        self.lock()
            .values()
            .any(|e| matches!(e.status, Status::Running { .. }))
    }

    /// Whether the machine is stopping (a cog that stops now has not ended).
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Starts the thread of spawned cog `id`, whose store is `dir`.
    pub fn launch(self: &Arc<Self>, id: CogId, dir: PathBuf) {
        let launcher = self.launcher.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = launcher.as_ref() {
            l(self.clone(), id, dir);
        }
    }

    /// Asks every running cog to stop (the machine stops; nothing is marked ended).
    pub fn stop_all(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for e in self.lock().values() {
            if let Status::Running {
                stop, interrupt, ..
            } = &e.status
            {
                stop.store(true, Ordering::SeqCst);
                interrupt.store(true, Ordering::SeqCst);
            }
        }
    }

    /// `%spin f`: boots `f` (a cog, fully normal) as a new cog in its own directory, durably,
    /// and starts it. Returns its id.
    pub fn spin(self: &Arc<Self>, rt: &mut Runtime, f: Value) -> Result<CogId, MachineError> {
        let id = {
            let mut n = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let id = *n;
            *n += 1;
            id
        };
        let dir = cog_dir(&self.dir, id);
        let parent = self.dir.join("cogs");
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let store = MachineStore::create_cog(&dir, self.store_pins.clone())?;
        super::Machine::boot_store(rt, store, f, 0)?;
        crate::store::pins::sync_dir(&parent).map_err(io(&parent))?;
        self.launch(id, dir);
        Ok(id)
    }

    /// Puts an event in the mailbox of running cog `to`; false if it does not run.
    pub fn send(&self, to: CogId, ev: Event) -> bool {
        match self.lock().get(&to).map(|e| &e.status) {
            Some(Status::Running { mailbox, .. }) => mailbox.send(ev).is_ok(),
            _ => false,
        }
    }

    /// Delivers an answer (dropped if the asking cog no longer runs).
    pub fn answer(&self, to: Addr, value: Envelope) {
        self.send(
            to.cog,
            Event::Answer {
                to,
                value,
                some: false,
            },
        );
    }

    /// Delivers the answer `(0 x)`, `x` packed.
    pub fn answer_some(&self, to: Addr, x: Envelope) {
        self.send(
            to.cog,
            Event::Answer {
                to,
                value: x,
                some: true,
            },
        );
    }

    /// `%stop`, `%reap` or `%wait` of cog `target` by cog `me`, answered at `reply`. A cog
    /// may wait for itself (it never answers) but not stop or reap itself or the booted cog.
    pub fn until(&self, me: CogId, target: CogId, what: Until, reply: Addr) -> EndReply {
        if what != Until::Wait && (target == me || target == ROOT) {
            return EndReply::Zero;
        }
        let mut cogs = self.lock();
        let Some(e) = cogs.get_mut(&target) else {
            return EndReply::Zero;
        };
        match &e.status {
            Status::Gone => EndReply::Zero,
            Status::Running {
                stop, interrupt, ..
            } => {
                if what != Until::Wait {
                    stop.store(true, Ordering::SeqCst);
                    interrupt.store(true, Ordering::SeqCst);
                }
                e.waiters.push((what, reply));
                EndReply::Later
            }
            Status::Ended { kind, answer } => {
                let r = EndReply::Ended(kind.clone(), answer.clone(), cog_dir(&self.dir, target));
                if what == Until::Reap {
                    e.status = Status::Gone;
                }
                r
            }
        }
    }

    /// Removes a reaped cog's directory, leaving its tombstone.
    pub fn bury(&self, id: CogId) -> Result<(), MachineError> {
        let dir = cog_dir(&self.dir, id);
        let stone = self.dir.join("cogs").join(format!("{id}.reaped"));
        std::fs::write(&stone, b"").map_err(io(&stone))?;
        let parent = self.dir.join("cogs");
        crate::store::pins::sync_dir(&parent).map_err(io(&parent))?;
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        self.store_pins.forget(&dir);
        Ok(())
    }

    /// Records that running cog `id` ended as `kind` (durably, in `cogs/ID/ended`), then
    /// answers its waiters with `answer` (`(0 state)`) and buries it if one reaped it.
    /// Returns the events still in its mailbox (to be answered by the caller).
    pub fn ended(
        &self,
        rt: &mut Runtime,
        id: CogId,
        kind: EndKind,
        answer: Envelope,
    ) -> Result<(), MachineError> {
        let dir = cog_dir(&self.dir, id);
        write_file(&dir, "ended", &kind.encode(rt))?;
        let waiters = {
            let mut cogs = self.lock();
            let Some(e) = cogs.get_mut(&id) else {
                return Ok(());
            };
            let reaped = e.waiters.iter().any(|(w, _)| *w == Until::Reap);
            e.status = if reaped {
                Status::Gone
            } else {
                Status::Ended {
                    kind,
                    answer: Some(answer.clone()),
                }
            };
            std::mem::take(&mut e.waiters)
        };
        let reaped = waiters.iter().any(|(w, _)| *w == Until::Reap);
        for (_, a) in waiters {
            self.answer(a, answer.clone());
        }
        if reaped {
            self.bury(id)?;
        }
        Ok(())
    }

    /// Marks running cog `id` as no longer running without recording an end (the machine
    /// stops, or the cog's store failed): its waiters are never answered.
    pub fn left(&self, id: CogId, kind: EndKind) {
        if let Some(e) = self.lock().get_mut(&id) {
            e.status = Status::Ended { kind, answer: None };
            e.waiters.clear();
        }
    }
}

/// Writes `dir/name` durably (temporary file, fsync, rename, directory fsync).
pub(super) fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), MachineError> {
    use std::io::Write;
    let tmp = dir.join(format!("{name}.tmp"));
    let path = dir.join(name);
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    crate::store::pins::sync_dir(dir).map_err(io(dir))
}

/// How spawned cog `dir` ended, if it did (`cogs/ID/ended`).
pub fn read_ended(rt: &mut Runtime, dir: &Path) -> Result<Option<EndKind>, MachineError> {
    let path = dir.join("ended");
    match std::fs::read(&path) {
        Ok(b) => EndKind::decode(rt, &b)
            .map(Some)
            .ok_or_else(|| MachineError::BadSnapshot(path, "not an end record".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}
