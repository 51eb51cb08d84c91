//! The module cache: the Sire state after loading a chain of modules, saved as a pod under a
//! key that chains BLAKE3 hashes of the files' contents (and of the compiler that read
//! them). A second load of a file whose predecessors are unchanged starts from the cached
//! state instead of compiling them again.
//!
//! The cache is only an accelerator: an entry that cannot be read or written is reported on
//! stderr and ignored, and entries are written atomically (a temporary file, then a rename),
//! so an interrupted write never leaves a half-written entry behind.

use std::path::{Path, PathBuf};

use pallas_runtime::{seed, Kind, Runtime, Value};

/// A cache key: the chained hash of a module and all its predecessors.
pub type Key = [u8; 32];

/// Where cached module states live.
pub struct ModuleCache {
    dir: PathBuf,
    compiler: Key,
}

/// Bumped whenever the cached state's meaning changes without the binary changing.
const FORMAT: &str = "pallas module cache 1";

impl ModuleCache {
    /// A cache in `dir` (created on first write) for states computed by a runtime configured
    /// as `config` describes (engine, jets): each configuration keeps its own entries, so a
    /// comparison between engines really compiles under each.
    pub fn new(dir: PathBuf, config: &str) -> ModuleCache {
        let mut h = blake3::Hasher::new();
        h.update(&compiler_identity());
        h.update(config.as_bytes());
        ModuleCache {
            dir,
            compiler: *h.finalize().as_bytes(),
        }
    }

    /// The default cache: `$PALLAS_CACHE_DIR`, else `$XDG_CACHE_HOME/pallas/modules`, else
    /// `~/.cache/pallas/modules`. None when no home directory is known.
    pub fn default_location() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("PALLAS_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(Path::new(&d).join("pallas").join("modules"));
        }
        let home = std::env::var_os("HOME")?;
        Some(
            Path::new(&home)
                .join(".cache")
                .join("pallas")
                .join("modules"),
        )
    }

    /// The key of a module whose source is `src`, loaded after the chain keyed `prior`.
    pub fn key(&self, prior: Option<&Key>, src: &[u8]) -> Key {
        let mut h = blake3::Hasher::new();
        h.update(FORMAT.as_bytes());
        h.update(&self.compiler);
        match prior {
            Some(k) => h.update(&[1]).update(k),
            None => h.update(&[0]),
        };
        h.update(&(src.len() as u64).to_le_bytes());
        h.update(src);
        *h.finalize().as_bytes()
    }

    fn path(&self, key: &Key) -> PathBuf {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.pod"))
    }

    /// The cached state for `key`, if there is a readable entry.
    pub fn load(&self, rt: &mut Runtime, key: &Key) -> Option<Value> {
        let path = self.path(key);
        let bytes = std::fs::read(&path).ok()?;
        let loaded = seed::load_pod(rt, &bytes).and_then(|top| match top.deref().kind() {
            Some(Kind::Pin(p)) => Ok(p.item()),
            _ => Err(seed::SeedError {
                offset: 0,
                msg: "the top of the pod is not a pin".into(),
            }),
        });
        match loaded {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!(
                    "pallas: ignoring unreadable module cache entry {}: {e}",
                    path.display()
                );
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Whether there is an entry for `key`.
    pub fn contains(&self, key: &Key) -> bool {
        self.path(key).exists()
    }

    /// Saves `state` under `key`; failures are reported and otherwise ignored.
    /// The state must be fully normal (a Sire state after a block always is).
    pub fn store(&self, rt: &mut Runtime, key: &Key, state: Value) {
        let top = rt.pin(state);
        let Some(bytes) = seed::save_pod(rt, top) else {
            return;
        };
        if let Err(e) = self.write_atomically(key, &bytes) {
            eprintln!(
                "pallas: cannot write the module cache in {}: {e}",
                self.dir.display()
            );
        }
    }

    fn write_atomically(&self, key: &Key, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(key);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }
}

/// Identifies the compiler that produced a cached state: the crate version and the running
/// executable's size and modification time, so a rebuilt binary never reuses old entries.
fn compiler_identity() -> Key {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
        h.update(&meta.len().to_le_bytes());
        if let Ok(t) = meta.modified() {
            if let Ok(d) = t.duration_since(std::time::UNIX_EPOCH) {
                h.update(&d.as_nanos().to_le_bytes());
            }
        }
    }
    *h.finalize().as_bytes()
}
