//! The pin store: immutable blobs named by their BLAKE3 hash, one file each under `pins/`.
//!
//! A pin is written at most once (deduplicated by name), to a temporary file that is fsynced
//! and renamed into place, and the directory is fsynced, so a pin that is visible is complete
//! and durable before anything that references it is written. Reads map the file with
//! memmap2, so large nats are not copied to be read.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::hash::{base58, Hash};

/// A content-addressed store of pin blobs.
pub struct PinStore {
    dir: PathBuf,
}

/// Errors from the pin store.
#[derive(Debug, thiserror::Error)]
pub enum PinStoreError {
    /// An I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PinStoreError + '_ {
    move |source| PinStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A blob read from the store (memory-mapped).
pub enum Blob {
    /// A mapped file.
    Mapped(Mmap),
    /// An empty file (which cannot be mapped).
    Empty,
}

impl std::ops::Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Blob::Mapped(m) => m,
            Blob::Empty => &[],
        }
    }
}

impl PinStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<PinStore, PinStoreError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        Ok(PinStore {
            dir: dir.to_path_buf(),
        })
    }

    fn path_of(&self, hash: &Hash) -> PathBuf {
        self.dir.join(base58(hash))
    }

    /// Whether a pin is stored.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.path_of(hash).exists()
    }

    /// Stores a blob under its hash, durably, unless it is already there. `hash` must be the
    /// hash the blob is named by (the caller computes it from the pin).
    pub fn put(&self, hash: &Hash, blob: &[u8]) -> Result<bool, PinStoreError> {
        let path = self.path_of(hash);
        if path.exists() {
            return Ok(false);
        }
        let tmp = self
            .dir
            .join(format!(".tmp-{}-{}", std::process::id(), base58(hash)));
        {
            let mut f = File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(blob).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        Ok(true)
    }

    /// Reads a blob, memory-mapped, or `None` if it is not stored.
    pub fn get(&self, hash: &Hash) -> Result<Option<Blob>, PinStoreError> {
        let path = self.path_of(hash);
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        if f.metadata().map_err(io(&path))?.len() == 0 {
            return Ok(Some(Blob::Empty));
        }
        // SAFETY: pin files are immutable once renamed into place; nothing writes them again.
        let m = unsafe { Mmap::map(&f) }.map_err(io(&path))?;
        Ok(Some(Blob::Mapped(m)))
    }

    /// Removes leftovers of interrupted writes.
    pub fn clean_temporaries(&self) -> Result<usize, PinStoreError> {
        let mut n = 0;
        for e in fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let e = e.map_err(io(&self.dir))?;
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                fs::remove_file(e.path()).map_err(io(&e.path()))?;
                n += 1;
            }
        }
        Ok(n)
    }
}
