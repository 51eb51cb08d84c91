//! The pin store of a machine, shared by all its cogs.
//!
//! The machine's `pins/` holds the pins of every cog (a spawned cog's `cogs/ID` keeps only
//! its records, log and ask book). Pins are immutable and named by their hash, so two cogs
//! that store the same pin write it once, and a cog's snapshot writes only the pins no cog
//! has stored. One lock makes each save (the walk that finds the pins not stored yet and
//! their commit) and each collection exclusive, so a collection never removes a pin that a
//! save counted as stored.
//!
//! A collection keeps what any cog may still need: what every cog's boot and snapshot
//! records reach (read from disk at the moment of the collection, so a cog that has not
//! started yet counts too), the cog each running cog saved last (its record may not be
//! written yet), and the pins each running cog's heap holds unloaded, as it said at its
//! last save or collection (pins it loads later are reachable from those).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::hash::Hash;
use crate::store::pins::{Collected, PinStore};
use crate::store::record::SnapshotRecord;

use super::MachineError;

/// What a running cog needs kept beyond its records.
#[derive(Default)]
struct Held {
    /// The cog it saved last.
    saved: Option<Hash>,
    /// The pins its heap holds unloaded.
    unloaded: Vec<Hash>,
}

/// The pin store and what the running cogs hold.
pub struct Inner {
    /// The pin store.
    pub store: PinStore,
    held: HashMap<PathBuf, Held>,
}

/// A machine's pin store, shared by its cogs (see the module's documentation).
pub struct SharedPins {
    /// The machine's directory (its `pins/` is the store).
    top: PathBuf,
    inner: Mutex<Inner>,
}

/// A handle on a machine's pin store.
pub type Pins = Arc<SharedPins>;

fn store_err(e: impl std::fmt::Display) -> MachineError {
    MachineError::Store(e.to_string())
}

impl SharedPins {
    /// Opens the pin store of the machine in `top` (`top/pins`); for writing, leftovers of
    /// interrupted writes are removed and their number returned.
    pub fn open(top: &Path, writable: bool) -> Result<(Pins, usize), MachineError> {
        let (store, cleaned) = PinStore::open(&top.join("pins"), writable).map_err(store_err)?;
        Ok((
            Arc::new(SharedPins {
                top: top.to_path_buf(),
                inner: Mutex::new(Inner {
                    store,
                    held: HashMap::new(),
                }),
            }),
            cleaned,
        ))
    }

    /// The machine's directory.
    pub fn top(&self) -> &Path {
        &self.top
    }

    /// The store, locked.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The number of pack files and their total size.
    pub fn files(&self) -> (usize, u64) {
        let g = self.lock();
        (g.store.pack_count(), g.store.bytes())
    }

    /// Forgets what the cog in `dir` held (it was removed).
    pub fn forget(&self, dir: &Path) {
        self.lock().held.remove(dir);
    }

    /// Reclaims every pin that no cog may need (see the module's documentation), `roots`
    /// and `unloaded` (what the calling cog in `dir` holds now) included.
    pub fn collect(
        &self,
        dir: &Path,
        roots: &[Hash],
        unloaded: Option<Vec<Hash>>,
    ) -> Result<Collected, MachineError> {
        let mut g = self.lock();
        if let Some(u) = unloaded {
            g.held.entry(dir.to_path_buf()).or_default().unloaded = u;
        }
        let mut all = roots.to_vec();
        all.extend(recorded_roots(&self.top)?);
        for h in g.held.values() {
            all.extend(h.saved);
            all.extend_from_slice(&h.unloaded);
        }
        g.store.collect(&all).map_err(store_err)
    }
}

impl Inner {
    /// Records that the cog in `dir` saved `top` and holds `unloaded` (call with the lock
    /// held from the save's walk on).
    pub fn saved(&mut self, dir: &Path, top: Hash, unloaded: Option<Vec<Hash>>) {
        let h = self.held.entry(dir.to_path_buf()).or_default();
        h.saved = Some(top);
        if let Some(u) = unloaded {
            h.unloaded = u;
        }
    }
}

/// The cogs named by the boot and snapshot records of every cog of the machine in `top`
/// (a damaged record stops the collection: it could name anything).
fn recorded_roots(top: &Path) -> Result<Vec<Hash>, MachineError> {
    let (ids, _) = super::cogs::scan(top)?;
    let dirs = std::iter::once(top.to_path_buf()).chain(
        ids.into_iter()
            .map(|i| super::cogs::cog_dir(top, i))
            .filter(|d| d.join("boot").exists()),
    );
    let mut out = Vec::new();
    for d in dirs {
        for name in ["boot", "snapshot"] {
            let path = d.join(name);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && name == "snapshot" => {
                    continue
                }
                Err(source) => return Err(MachineError::Io { path, source }),
            };
            let rec = SnapshotRecord::decode(&text)
                .map_err(|why| MachineError::BadSnapshot(path, why))?;
            out.push(rec.cog);
        }
    }
    Ok(out)
}
