//! A machine's directory: the pin store, the event log, the boot and latest snapshot
//! records, and a lock that keeps a second process from writing at the same time.
//!
//! Layout: `pins/` (pack files of content-addressed pins, see [`crate::store::pins`]), `log`
//! (the event log, see [`crate::store::log`]), `boot` and `snapshot` (checksummed records,
//! see [`crate::store::record`]), `lock`. A store opened for writing holds the lock
//! exclusively; one opened for reading holds it shared and changes nothing on disk.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::hash::{base58, Hash};
use crate::runtime::Runtime;
use crate::seed;
use crate::store::log::{self, Header};
use crate::store::pack::Written;
use crate::store::pins::{sync_dir, Collected, PinStore};
use crate::store::record::SnapshotRecord;
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
    pins: PinStore,
    access: Access,
    /// How many leftovers of interrupted writes were removed when the store was opened.
    pub cleaned: usize,
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
        Self::lock_and_open(dir, Access::Write)
    }

    /// Opens an existing store, taking its lock (exclusive to write, shared to read).
    pub fn open(dir: &Path, access: Access) -> Result<MachineStore, MachineError> {
        if !dir.is_dir() {
            return Err(MachineError::NoStore(dir.to_path_buf()));
        }
        if !dir.join("boot").exists() {
            if dir.join("log").exists() || dir.join("pins").exists() {
                return Err(MachineError::UnfinishedBoot(dir.to_path_buf()));
            }
            return Err(MachineError::NoStore(dir.to_path_buf()));
        }
        Self::lock_and_open(dir, access)
    }

    fn lock_and_open(dir: &Path, access: Access) -> Result<MachineStore, MachineError> {
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
        let (pins, n) =
            PinStore::open(&dir.join("pins"), access == Access::Write).map_err(store_err)?;
        Ok(MachineStore {
            dir: dir.to_path_buf(),
            pins,
            access,
            cleaned: cleaned + n,
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

    /// The pin store.
    pub fn pins(&self) -> &PinStore {
        &self.pins
    }

    /// Writes a new, empty log with this header.
    pub fn create_log(&self, header: &Header) -> Result<(), MachineError> {
        log::create(&self.log_path(), &self.dir.join("log.tmp"), header)?;
        sync_dir(&self.dir).map_err(io(&self.dir))
    }

    /// Pins `v` and writes every pin it reaches that is not stored yet, as one commit (one
    /// fsync). `v` must be fully normal. Returns the top pin's hash and what was written.
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
        let mut new = Vec::new();
        for pin in seed::pins_postorder(top) {
            let Some(Kind::Pin(pp)) = pin.deref().kind() else {
                continue;
            };
            if self.pins.contains(&pp.hash) {
                continue;
            }
            let blob = seed::stored_pin(pin)
                .ok_or_else(|| MachineError::Store("a pin could not be serialised".into()))?;
            new.push((pp.hash, blob));
        }
        let written = self.pins.commit(&new).map_err(store_err)?;
        Ok((top_hash, written))
    }

    /// Loads the value saved under `hash` (the item of that pin), checking every pin's hash.
    pub fn load_value(&self, rt: &mut Runtime, hash: &Hash) -> Result<Value, MachineError> {
        let mut done: HashMap<Hash, Value> = HashMap::new();
        // Iterative post-order over the pin DAG: (hash, refs loaded?).
        let mut stack: Vec<(Hash, bool)> = vec![(*hash, false)];
        let base = rt.roots.len();
        let result = (|| {
            while let Some((h, ready)) = stack.pop() {
                if done.contains_key(&h) {
                    continue;
                }
                let blob = self
                    .pins
                    .get(&h)
                    .map_err(store_err)?
                    .ok_or_else(|| MachineError::MissingPin(base58(&h)))?;
                let (refs, germ) = seed::parse_stored_pin(blob)
                    .map_err(|e| MachineError::BadPin(base58(&h), e.to_string()))?;
                if !ready {
                    stack.push((h, true));
                    for r in refs.iter().rev() {
                        if !done.contains_key(r) {
                            stack.push((*r, false));
                        }
                    }
                    continue;
                }
                let ref_vals: Vec<Value> =
                    refs.iter().filter_map(|r| done.get(r)).copied().collect();
                if ref_vals.len() != refs.len() {
                    return Err(MachineError::BadPin(base58(&h), "a cycle of pins".into()));
                }
                let pin = seed::load_germ(rt, germ, &ref_vals, Some(&h))
                    .map_err(|e| MachineError::BadPin(base58(&h), e.to_string()))?;
                rt.roots.push(pin);
                done.insert(h, pin);
            }
            match done.get(hash).and_then(|p| p.kind()) {
                Some(Kind::Pin(p)) => Ok(p.item),
                _ => Err(MachineError::MissingPin(base58(hash))),
            }
        })();
        rt.roots.truncate(base);
        result
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

    /// Reclaims every pin that neither `roots` reach.
    pub fn collect(&mut self, roots: &[Hash]) -> Result<Collected, MachineError> {
        self.pins.collect(roots).map_err(store_err)
    }
}
