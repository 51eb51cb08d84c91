//! A machine's directory: the pin store, the event log, the boot and latest snapshot
//! records, and a lock that keeps a second process from writing at the same time.
//!
//! Layout: `pins/` (pack files of content-addressed pins, see [`crate::store::pins`]), `log`
//! (the event log, see [`crate::store::log`]), `boot` and `snapshot` (checksummed records,
//! see [`crate::store::record`]), `lock`. A store opened for writing holds the lock
//! exclusively; one opened for reading holds it shared and changes nothing on disk.
//!
//! A spawned cog's store (`cogs/ID`) has no `pins/`: it uses the machine's (see
//! [`super::pinshare`]). A spawned cog's store from before (with a `pins/` of its own) has
//! its pins moved into the machine's when it is opened for writing.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::hash::{base58, Hash};
use crate::runtime::Runtime;
use crate::seed;
use crate::store::log::{self, Header};
use crate::store::pack::Written;
use crate::store::pins::{sync_dir, Collected, PinStore};

use super::pinshare::{Pins, SharedPins};
use crate::store::record::SnapshotRecord;
use crate::stored::{Loader, LoaderStats};
use crate::value::{Kind, Value};

use super::MachineError;

/// How a store is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Shared lock; nothing on disk changes.
    Read,
    /// Exclusive lock; leftovers of interrupted writes are removed.
    Write,
}

/// An open, locked machine directory.
pub struct MachineStore {
    dir: PathBuf,
    pins: Pins,
    access: Access,
    /// How many leftovers of interrupted writes were removed when the store was opened.
    pub cleaned: usize,
    /// Reads this store's pins when they are first touched (made by the first load).
    loader: OnceCell<Rc<Loader>>,
    _lock: File,
}

/// Which snapshot record.
#[derive(Clone, Copy, Debug)]
pub enum SnapshotKind {
    /// The cog as booted (or imported); never rewritten.
    Boot,
    /// The latest snapshot.
    Latest,
}

impl SnapshotKind {
    fn file(self) -> &'static str {
        match self {
            SnapshotKind::Boot => "boot",
            SnapshotKind::Latest => "snapshot",
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> MachineError + '_ {
    move |source| MachineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn store_err(e: impl std::fmt::Display) -> MachineError {
    MachineError::Store(e.to_string())
}

/// Writes `bytes` to `dir/name` through `dir/name.tmp`: fsynced, renamed, directory fsynced.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), MachineError> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, &path).map_err(io(&path))?;
    sync_dir(dir).map_err(io(dir))
}

impl MachineStore {
    /// Creates a new store in `dir`, which must not exist or be empty.
    pub fn create(dir: &Path) -> Result<MachineStore, MachineError> {
        if let Ok(mut entries) = fs::read_dir(dir) {
            if entries.next().is_some() {
                return Err(MachineError::Exists(dir.to_path_buf()));
            }
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        Self::lock_and_open(dir, Access::Write, None)
    }

    /// Creates a new spawned cog's store in `dir`, using the machine's pins.
    pub fn create_cog(dir: &Path, pins: Pins) -> Result<MachineStore, MachineError> {
        if let Ok(mut entries) = fs::read_dir(dir) {
            if entries.next().is_some() {
                return Err(MachineError::Exists(dir.to_path_buf()));
            }
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        Self::lock_and_open(dir, Access::Write, Some(pins))
    }

    /// Opens an existing spawned cog's store in `dir`, using the machine's pins `pins`.
    /// A store with pins of its own (made by an earlier version) has them moved into the
    /// machine's when opened for writing, and is read with its own when opened for reading.
    pub fn open_cog(dir: &Path, access: Access, pins: Pins) -> Result<MachineStore, MachineError> {
        Self::check_dir(dir)?;
        let own = dir.join("pins");
        if !own.is_dir() {
            return Self::lock_and_open(dir, access, Some(pins));
        }
        if access == Access::Read {
            return Self::lock_and_open(dir, access, None);
        }
        let store = Self::lock_and_open(dir, access, Some(pins.clone()))?;
        let (old, _) = PinStore::open(&own, true).map_err(store_err)?;
        let all = old.all().map_err(store_err)?;
        pins.lock().store.commit(&all).map_err(store_err)?;
        drop(old);
        // Durable in the machine's store: now the cog's own copy may go.
        fs::remove_dir_all(&own).map_err(io(&own))?;
        sync_dir(dir).map_err(io(dir))?;
        Ok(store)
    }

    fn check_dir(dir: &Path) -> Result<(), MachineError> {
        if !dir.is_dir() {
            return Err(MachineError::NoStore(dir.to_path_buf()));
        }
        if !dir.join("boot").exists() {
            if dir.join("log").exists() || dir.join("pins").exists() {
                return Err(MachineError::UnfinishedBoot(dir.to_path_buf()));
            }
            return Err(MachineError::NoStore(dir.to_path_buf()));
        }
        Ok(())
    }

    /// Opens an existing store, taking its lock (exclusive to write, shared to read).
    pub fn open(dir: &Path, access: Access) -> Result<MachineStore, MachineError> {
        Self::check_dir(dir)?;
        Self::lock_and_open(dir, access, None)
    }

    /// Takes the lock; opens `dir`'s own pins unless `pins` are given.
    fn lock_and_open(
        dir: &Path,
        access: Access,
        pins: Option<Pins>,
    ) -> Result<MachineStore, MachineError> {
        let lock_path = dir.join("lock");
        let lock = match access {
            Access::Write => OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path),
            Access::Read => File::open(&lock_path),
        }
        .map_err(io(&lock_path))?;
        let locked = match access {
            Access::Write => lock.try_lock(),
            Access::Read => lock.try_lock_shared(),
        };
        match locked {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(MachineError::Locked(dir.to_path_buf()))
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        let mut cleaned = 0;
        if access == Access::Write {
            for name in ["boot.tmp", "snapshot.tmp", "log.tmp"] {
                let p = dir.join(name);
                if p.exists() {
                    fs::remove_file(&p).map_err(io(&p))?;
                    cleaned += 1;
                }
            }
        }
        let (pins, n) = match pins {
            Some(p) => (p, 0),
            None => SharedPins::open(dir, access == Access::Write)?,
        };
        Ok(MachineStore {
            dir: dir.to_path_buf(),
            pins,
            access,
            cleaned: cleaned + n,
            loader: OnceCell::new(),
            _lock: lock,
        })
    }

    /// How the store was opened.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The event log's path.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// The pin store (the machine's, shared by its cogs).
    pub fn pins(&self) -> &Pins {
        &self.pins
    }

    /// Writes a new, empty log with this header.
    pub fn create_log(&self, header: &Header) -> Result<(), MachineError> {
        log::create(&self.log_path(), &self.dir.join("log.tmp"), header)?;
        sync_dir(&self.dir).map_err(io(&self.dir))
    }

    /// Pins `v` and writes every pin it reaches that is not stored yet, as one commit (one
    /// fsync). `v` must be fully normal. Returns the top pin's hash and what was written.
    /// The walk stops at stored pins (whatever they reach is stored too), so pins read
    /// from the store stay unloaded.
    pub fn save_value(
        &mut self,
        rt: &mut Runtime,
        v: Value,
    ) -> Result<(Hash, Written), MachineError> {
        let top = rt.pin(v);
        let Some(Kind::Pin(p)) = top.kind() else {
            return Err(MachineError::Store("pinning the cog gave no pin".into()));
        };
        let top_hash = p.hash;
        // From the walk to the commit, no collection runs (see `pinshare`).
        let mut g = self.pins.lock();
        let mut new = Vec::new();
        let mut seen: HashSet<Hash> = HashSet::new();
        let mut stack = vec![top];
        while let Some(pin) = stack.pop() {
            let Some(Kind::Pin(pp)) = pin.deref().kind() else {
                continue;
            };
            if !seen.insert(pp.hash) || g.store.contains(&pp.hash) {
                continue;
            }
            stack.extend(seed::pin_refs(pp.item()));
            let blob = seed::stored_pin(pin)
                .ok_or_else(|| MachineError::Store("a pin could not be serialised".into()))?;
            new.push((pp.hash, blob));
        }
        let written = g.store.commit(&new).map_err(store_err)?;
        let unloaded = self.loader.get().map(|l| l.unloaded());
        g.saved(&self.dir, top_hash, unloaded);
        let reader = g.store.reader();
        drop(g);
        if let Some(l) = self.loader.get() {
            l.set_reader(reader);
        }
        Ok((top_hash, written))
    }

    /// The loader of this store's pins, made on first use and kept by `rt` too (its values
    /// may point at them).
    fn loader_for(&self, rt: &mut Runtime) -> Rc<Loader> {
        let l = self
            .loader
            .get_or_init(|| Loader::new(self.pins.lock().store.reader(), &rt.jets))
            .clone();
        if !rt.loaders.iter().any(|k| Rc::ptr_eq(k, &l)) {
            rt.loaders.push(l.clone());
        }
        l
    }

    /// The value saved under `hash` (the item of that pin). Only that pin is read (its
    /// record checked, its item's hash checked); the pins it holds stay in the store until
    /// they are touched (see [`crate::stored`]).
    pub fn load_value(&self, rt: &mut Runtime, hash: &Hash) -> Result<Value, MachineError> {
        let loader = self.loader_for(rt);
        if !self.pins.lock().store.contains(hash) {
            return Err(MachineError::MissingPin(base58(hash)));
        }
        let top = loader.pin(hash);
        let Some(Kind::Pin(p)) = top.kind() else {
            return Err(MachineError::MissingPin(base58(hash)));
        };
        loader
            .load(p)
            .map_err(|e| MachineError::BadPin(base58(hash), e))
    }

    /// What the loader of this store's pins has done (nothing before a load).
    pub fn loader_stats(&self) -> LoaderStats {
        self.loader.get().map(|l| l.stats()).unwrap_or_default()
    }

    /// Writes a boot or snapshot record (atomically: a crash leaves the old one or the new).
    pub fn write_record(
        &self,
        kind: SnapshotKind,
        rec: &SnapshotRecord,
    ) -> Result<(), MachineError> {
        if self.access != Access::Write {
            return Err(MachineError::Store("the store was opened read-only".into()));
        }
        write_atomically(&self.dir, kind.file(), rec.encode().as_bytes())
    }

    /// Reads and checks a boot or snapshot record.
    pub fn read_record(&self, kind: SnapshotKind) -> Result<SnapshotRecord, MachineError> {
        let path = self.dir.join(kind.file());
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(MachineError::BadSnapshot(
                    path,
                    "the file is missing".into(),
                ))
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| MachineError::BadSnapshot(path.clone(), "not text".into()))?;
        SnapshotRecord::decode(&text).map_err(|why| MachineError::BadSnapshot(path, why))
    }

    /// Reclaims every pin that `roots` do not reach, nor any pin read from the store and
    /// not loaded yet (values in memory may point at those), nor anything another cog of
    /// the machine may need (see [`super::pinshare`]).
    pub fn collect(&mut self, roots: &[Hash]) -> Result<Collected, MachineError> {
        let unloaded = self.loader.get().map(|l| l.unloaded());
        let c = self.pins.collect(&self.dir, roots, unloaded);
        if let Some(l) = self.loader.get() {
            l.set_reader(self.pins.lock().store.reader());
        }
        c
    }
}
