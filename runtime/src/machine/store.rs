//! A machine's directory: the pin store, the event log, the boot and latest snapshot
//! records, and a lock that keeps a second process from writing at the same time.
//!
//! Layout: `pins/` (content-addressed pins, see [`crate::store::pins`]), `log` (the event
//! log, see [`crate::store::log`]), `boot` and `snapshot` (one line each: the batch number the
//! snapshot follows and the base58 hash of the pinned cog), `lock`.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::hash::{base58, from_base58, Hash};
use crate::runtime::Runtime;
use crate::seed;
use crate::store::pins::PinStore;
use crate::value::{Kind, Value};

use super::MachineError;

/// An open, locked machine directory.
pub struct MachineStore {
    dir: PathBuf,
    pins: PinStore,
    _lock: File,
}

/// Which snapshot record.
#[derive(Clone, Copy, Debug)]
pub enum SnapshotKind {
    /// The cog as booted (batch 0); never rewritten.
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

impl MachineStore {
    /// Creates a new store in `dir`, which must not exist or be empty.
    pub fn create(dir: &Path) -> Result<MachineStore, MachineError> {
        if let Ok(mut entries) = fs::read_dir(dir) {
            if entries.next().is_some() {
                return Err(MachineError::Exists(dir.to_path_buf()));
            }
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        Self::open(dir)
    }

    /// Opens an existing store, taking its lock.
    pub fn open(dir: &Path) -> Result<MachineStore, MachineError> {
        if !dir.is_dir() {
            return Err(MachineError::NoStore(dir.to_path_buf()));
        }
        let lock_path = dir.join("lock");
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(MachineError::Locked(dir.to_path_buf()))
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        let pins =
            PinStore::open(&dir.join("pins")).map_err(|e| MachineError::Store(e.to_string()))?;
        Ok(MachineStore {
            dir: dir.to_path_buf(),
            pins,
            _lock: lock,
        })
    }

    /// The event log's path.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// Pins `v` and writes it and every pin it reaches to the pin store (dependencies
    /// first, each fsynced before anything referencing it). `v` must be fully normal.
    pub fn save_value(&self, rt: &mut Runtime, v: Value) -> Result<Hash, MachineError> {
        let top = rt.pin(v);
        let Some(Kind::Pin(p)) = top.kind() else {
            return Err(MachineError::Store("pinning the cog gave no pin".into()));
        };
        let top_hash = p.hash;
        for pin in seed::pins_postorder(top) {
            let Some(Kind::Pin(pp)) = pin.deref().kind() else {
                continue;
            };
            if self.pins.contains(&pp.hash) {
                continue;
            }
            let blob = seed::stored_pin(pin)
                .ok_or_else(|| MachineError::Store("a pin could not be serialised".into()))?;
            self.pins
                .put(&pp.hash, &blob)
                .map_err(|e| MachineError::Store(e.to_string()))?;
        }
        Ok(top_hash)
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
                    .map_err(|e| MachineError::Store(e.to_string()))?
                    .ok_or_else(|| MachineError::MissingPin(base58(&h)))?;
                let (refs, germ) = seed::parse_stored_pin(&blob)
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

    /// Records a snapshot: the cog saved under `hash` follows batch `batch`. Written to a
    /// temporary file, fsynced and renamed, so a crash leaves the old record or the new one.
    pub fn write_snapshot(
        &self,
        kind: SnapshotKind,
        batch: u64,
        hash: &Hash,
    ) -> Result<(), MachineError> {
        let path = self.dir.join(kind.file());
        let tmp = self.dir.join(format!("{}.tmp", kind.file()));
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        writeln!(f, "{batch} {}", base58(hash)).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        Ok(())
    }

    /// Reads a snapshot record: the batch it follows and the cog's hash.
    pub fn read_snapshot(&self, kind: SnapshotKind) -> Result<(u64, Hash), MachineError> {
        let path = self.dir.join(kind.file());
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let bad = || MachineError::BadSnapshot(path.clone(), text.trim().to_string());
        let mut parts = text.split_whitespace();
        let batch = parts.next().and_then(|b| b.parse().ok()).ok_or_else(bad)?;
        let hash = parts.next().and_then(from_base58).ok_or_else(bad)?;
        Ok((batch, hash))
    }
}
