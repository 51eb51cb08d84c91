//! The pin store: immutable blobs named by their BLAKE3 hash, kept in append-only pack files
//! (`pins/pack-N.pins`, see [`crate::store::pack`]).
//!
//! Writing: [`PinStore::commit`] writes every pin of a batch that is not stored yet as one
//! new pack, with one fsync for the whole batch (and one of the directory), so pins are
//! durable before the record that refers to them is written. Reading: [`PinStore::get`]
//! finds a pin through the mapped index of each pack (newest first) and returns its bytes
//! from the map, checked against the record's checksum, without reading anything else.
//! Collection: [`PinStore::collect`] keeps the pins reachable from the given roots and
//! rewrites the packs that are mostly garbage (or small) into one; a pack is removed only
//! after the pack that replaces it is durable, so a kill at any instant leaves at worst a pin
//! stored twice. Interrupted writes leave `.tmp-*` files, removed when the store is opened
//! for writing.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hash::{base58, Hash};
use crate::seed;
use crate::store::pack::{self, Pack, PackError, SharedBlob, Written, RECORD_HEADER};

/// Packs smaller than this are merged at every collection.
const SMALL_PACK: u64 = 1 << 20;

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
    /// A pack file is damaged.
    #[error("{0}")]
    Pack(#[from] PackError),
    /// A file in the pin directory that is no pack.
    #[error("{0}: not a pack file; this store was written by an older pallas (one file per pin) or by something else, and cannot be read")]
    Foreign(PathBuf),
    /// A pin that a root reaches is not stored (collection stops before removing anything).
    #[error("pin {0} is missing from the store")]
    Missing(String),
    /// A stored pin's bytes do not parse.
    #[error("stored pin {0} is damaged: {1}")]
    BadBlob(String, String),
    /// A write on a store opened for reading only.
    #[error("the pin store was opened read-only")]
    ReadOnly,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PinStoreError + '_ {
    move |source| PinStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a collection did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Collected {
    /// Pins reachable from the roots.
    pub live: usize,
    /// Stored pins that were removed (counting a pin stored twice once per copy).
    pub reclaimed: usize,
    /// Packs rewritten or removed.
    pub packs_removed: usize,
    /// Bytes of pack files before and after.
    pub bytes_before: u64,
    /// Bytes of pack files after.
    pub bytes_after: u64,
    /// Bytes written (the new pack).
    pub bytes_written: u64,
}

/// The packs of a [`PinStore`] at one moment, for reading pins when they are first touched
/// (maps are shared: a pack removed by a later collection stays readable through them).
#[derive(Clone, Default)]
pub struct PinReader {
    packs: Vec<Pack>,
}

impl PinReader {
    /// A pin's stored bytes, checked against its record's checksum (as [`PinStore::get`]).
    pub fn get(&self, hash: &Hash) -> Result<Option<SharedBlob>, PinStoreError> {
        for p in &self.packs {
            if let Some(b) = p.get_shared(hash)? {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// A content-addressed store of pin blobs.
pub struct PinStore {
    dir: PathBuf,
    /// Open packs with their sequence numbers, oldest first.
    packs: Vec<(u64, Pack)>,
    writable: bool,
    /// Test hook: a sleep between the steps of a write (`PALLAS_STORE_TEST_PAUSE_MS`).
    pause: Option<Duration>,
    /// What this process has written so far.
    pub written: Written,
}

fn pack_name(seq: u64) -> String {
    format!("pack-{seq:010}.pins")
}

fn pack_seq(name: &str) -> Option<u64> {
    name.strip_prefix("pack-")?
        .strip_suffix(".pins")?
        .parse()
        .ok()
}

/// Fsyncs a directory (so that renames and removals in it are durable).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl PinStore {
    /// Opens the store in `dir`. For writing, the directory is created if needed and the
    /// leftovers of interrupted writes are removed (their number is returned); for reading,
    /// nothing on disk changes.
    pub fn open(dir: &Path, writable: bool) -> Result<(PinStore, usize), PinStoreError> {
        if writable {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut seqs = Vec::new();
        let mut cleaned = 0;
        for e in fs::read_dir(dir).map_err(io(dir))? {
            let e = e.map_err(io(dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(".tmp-") {
                if writable {
                    fs::remove_file(e.path()).map_err(io(&e.path()))?;
                    cleaned += 1;
                }
                continue;
            }
            match pack_seq(&name) {
                Some(s) => seqs.push(s),
                None => return Err(PinStoreError::Foreign(e.path())),
            }
        }
        if cleaned > 0 {
            sync_dir(dir).map_err(io(dir))?;
        }
        seqs.sort_unstable();
        let mut packs = Vec::with_capacity(seqs.len());
        for s in seqs {
            packs.push((s, Pack::open(&dir.join(pack_name(s)))?));
        }
        let pause = std::env::var("PALLAS_STORE_TEST_PAUSE_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_millis);
        Ok((
            PinStore {
                dir: dir.to_path_buf(),
                packs,
                writable,
                pause,
                written: Written::default(),
            },
            cleaned,
        ))
    }

    fn pause(&self) {
        if let Some(d) = self.pause {
            std::thread::sleep(d);
        }
    }

    /// Whether a pin is stored.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.packs.iter().rev().any(|(_, p)| p.contains(hash))
    }

    /// A pin's stored bytes (refs and germ, see [`seed::stored_pin`]), read from the mapped
    /// pack and checked, or `None` if it is not stored.
    pub fn get(&self, hash: &Hash) -> Result<Option<&[u8]>, PinStoreError> {
        for (_, p) in self.packs.iter().rev() {
            if let Some(b) = p.get(hash)? {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// Like [`PinStore::get`], but the map is shared, so the bytes outlive the store (for a
    /// heap that materialises pins from the map when they are first touched).
    pub fn get_shared(&self, hash: &Hash) -> Result<Option<SharedBlob>, PinStoreError> {
        for (_, p) in self.packs.iter().rev() {
            if let Some(b) = p.get_shared(hash)? {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// The packs as they are now, newest first, sharing their maps: a reader that stays
    /// valid after this store writes or collects (see [`PinReader`]).
    pub fn reader(&self) -> PinReader {
        PinReader {
            packs: self.packs.iter().rev().map(|(_, p)| p.clone()).collect(),
        }
    }

    /// Every stored pin (hash, stored bytes), each once, checked.
    pub fn all(&self) -> Result<Vec<(Hash, Vec<u8>)>, PinStoreError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (_, p) in &self.packs {
            for h in p.hashes() {
                if seen.insert(h) {
                    if let Some(b) = p.get(&h)? {
                        out.push((h, b.to_vec()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The number of pack files.
    pub fn pack_count(&self) -> usize {
        self.packs.len()
    }

    /// The total size of the pack files.
    pub fn bytes(&self) -> u64 {
        self.packs.iter().map(|(_, p)| p.bytes()).sum()
    }

    fn next_seq(&self) -> u64 {
        self.packs.last().map_or(1, |(s, _)| s + 1)
    }

    /// Writes a new pack of `pins` (distinct hashes, none stored yet) and fsyncs the
    /// directory; the pack is then open for reading.
    fn write_pack<'a>(
        &mut self,
        pins: impl Iterator<Item = (Hash, &'a [u8])>,
    ) -> Result<Written, PinStoreError> {
        let seq = self.next_seq();
        let path = self.dir.join(pack_name(seq));
        let tmp = self
            .dir
            .join(format!(".tmp-{}-{}", std::process::id(), pack_name(seq)));
        let pause = || self.pause();
        let w = pack::write(&path, &tmp, pins, &pause)?;
        sync_dir(&self.dir).map_err(io(&self.dir))?;
        self.packs.push((seq, Pack::open(&path)?));
        self.written.pins += w.pins;
        self.written.bytes += w.bytes;
        Ok(w)
    }

    /// Stores every pin of `pins` (hash, stored bytes) that is not stored yet, as one pack
    /// with one fsync. Writes nothing when every pin is stored already.
    pub fn commit(&mut self, pins: &[(Hash, Vec<u8>)]) -> Result<Written, PinStoreError> {
        if !self.writable {
            return Err(PinStoreError::ReadOnly);
        }
        let mut seen = HashSet::new();
        let new: Vec<(Hash, &[u8])> = pins
            .iter()
            .filter(|(h, _)| !self.contains(h) && seen.insert(*h))
            .map(|(h, b)| (*h, b.as_slice()))
            .collect();
        if new.is_empty() {
            return Ok(Written::default());
        }
        self.write_pack(new.into_iter())
    }

    /// Every pin reachable from `roots`, following the refs stored with each pin. A missing
    /// pin, or one whose refs do not parse, is an error. Only the refs at the start of each
    /// record are read (records are not checksummed here: a pin's checksum is checked when
    /// it is loaded, and when a collection copies it).
    pub fn reachable(&self, roots: &[Hash]) -> Result<HashSet<Hash>, PinStoreError> {
        let mut live = HashSet::new();
        let mut stack: Vec<Hash> = roots.to_vec();
        while let Some(h) = stack.pop() {
            if !live.insert(h) {
                continue;
            }
            let mut found = None;
            for (_, p) in self.packs.iter().rev() {
                if let Some(b) = p.get_unchecked(&h)? {
                    found = Some(b);
                    break;
                }
            }
            let blob = found.ok_or_else(|| PinStoreError::Missing(base58(&h)))?;
            let (refs, _) = seed::parse_stored_pin(blob)
                .map_err(|e| PinStoreError::BadBlob(base58(&h), e.to_string()))?;
            stack.extend(refs.into_iter().filter(|r| !live.contains(r)));
        }
        Ok(live)
    }

    /// Reclaims every pin not reachable from `roots`: packs that are less than half live, or
    /// small, are rewritten into one new pack holding their live pins (or removed when
    /// nothing in them lives); the others stay as they are.
    pub fn collect(&mut self, roots: &[Hash]) -> Result<Collected, PinStoreError> {
        if !self.writable {
            return Err(PinStoreError::ReadOnly);
        }
        let live = self.reachable(roots)?;
        let bytes_before = self.bytes();
        let mut rewrite = Vec::new();
        let mut keep = Vec::new();
        let mut dead_pins = 0;
        for (i, (_, p)) in self.packs.iter().enumerate() {
            let mut live_bytes = 0u64;
            let mut live_pins = 0;
            for h in p.hashes() {
                if live.contains(&h) {
                    live_pins += 1;
                    let len = p.blob_len(&h).unwrap_or(0);
                    live_bytes += (RECORD_HEADER + len) as u64;
                }
            }
            if live_bytes * 2 < p.bytes() || p.bytes() < SMALL_PACK {
                dead_pins += p.len() - live_pins;
                rewrite.push((i, live_pins == p.len()));
            } else {
                keep.push(i);
            }
        }
        // Nothing to gain: no garbage and at most one small pack.
        if rewrite.len() <= 1 && rewrite.iter().all(|&(_, all_live)| all_live) {
            return Ok(Collected {
                live: live.len(),
                bytes_before,
                bytes_after: bytes_before,
                ..Collected::default()
            });
        }
        // The live pins of the rewritten packs that no kept pack holds, each once.
        let mut emitted = HashSet::new();
        let mut moved: Vec<(Hash, Vec<u8>)> = Vec::new();
        let mut reclaimed = dead_pins;
        for &(i, _) in &rewrite {
            let p = &self.packs[i].1;
            for h in p.hashes() {
                if !live.contains(&h) {
                    continue;
                }
                if keep.iter().any(|&k| self.packs[k].1.contains(&h)) || !emitted.insert(h) {
                    reclaimed += 1;
                    continue;
                }
                if let Some(b) = p.get(&h)? {
                    moved.push((h, b.to_vec()));
                }
            }
        }
        let old: Vec<PathBuf> = rewrite
            .iter()
            .map(|&(i, _)| self.packs[i].1.path().to_path_buf())
            .collect();
        let mut bytes_written = 0;
        if !moved.is_empty() {
            bytes_written = self
                .write_pack(moved.iter().map(|(h, b)| (*h, b.as_slice())))?
                .bytes;
        }
        // The replacement is durable: now the old packs may go.
        for p in &old {
            self.pause();
            fs::remove_file(p).map_err(io(p))?;
        }
        sync_dir(&self.dir).map_err(io(&self.dir))?;
        self.packs
            .retain(|(_, p)| !old.iter().any(|o| o == p.path()));
        Ok(Collected {
            live: live.len(),
            reclaimed,
            packs_removed: old.len(),
            bytes_before,
            bytes_after: self.bytes(),
            bytes_written,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored pin with the given refs and a germ of `tag` bytes.
    fn blob(refs: &[Hash], tag: u8) -> Vec<u8> {
        let mut b = (refs.len() as u64).to_le_bytes().to_vec();
        for r in refs {
            b.extend_from_slice(r);
        }
        b.extend_from_slice(&[tag; 24]);
        b
    }

    fn h(i: u8) -> Hash {
        *blake3::hash(&[i]).as_bytes()
    }

    #[test]
    fn a_commit_writes_only_new_pins_and_collection_keeps_what_roots_reach() {
        let d = tempfile::tempdir().unwrap();
        let (mut s, _) = PinStore::open(d.path(), true).unwrap();
        let leaf = (h(1), blob(&[], 1));
        let mid = (h(2), blob(&[h(1)], 2));
        let top = (h(3), blob(&[h(2)], 3));
        let w = s.commit(&[leaf.clone(), mid.clone(), top.clone()]).unwrap();
        assert_eq!(w.pins, 3);
        // Stored pins are not written again; nothing new, no pack.
        assert_eq!(s.commit(&[leaf.clone(), mid.clone()]).unwrap().pins, 0);
        assert_eq!(s.pack_count(), 1);
        let other = (h(4), blob(&[h(1)], 4));
        assert_eq!(s.commit(&[other.clone(), leaf.clone()]).unwrap().pins, 1);
        assert_eq!(s.pack_count(), 2);
        // Only `other` and what it reaches stay.
        let c = s.collect(&[h(4)]).unwrap();
        assert_eq!(c.live, 2);
        assert_eq!(c.reclaimed, 2);
        assert!(s.get(&h(3)).unwrap().is_none());
        assert!(s.get(&h(2)).unwrap().is_none());
        assert_eq!(s.get(&h(1)).unwrap(), Some(leaf.1.as_slice()));
        assert_eq!(s.get(&h(4)).unwrap(), Some(other.1.as_slice()));
        assert_eq!(s.pack_count(), 1);
        // Reopened, the store has the same pins; a missing root is an error.
        drop(s);
        let (mut s, _) = PinStore::open(d.path(), true).unwrap();
        assert!(s.contains(&h(1)) && s.contains(&h(4)) && !s.contains(&h(2)));
        assert!(matches!(s.collect(&[h(9)]), Err(PinStoreError::Missing(_))));
        assert!(s.contains(&h(4)), "a failed collection removed something");
    }

    #[test]
    fn leftovers_are_removed_for_writing_and_left_alone_for_reading() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(".tmp-1-pack-0000000001.pins"), b"half").unwrap();
        let (_, cleaned) = PinStore::open(d.path(), false).unwrap();
        assert_eq!(cleaned, 0);
        assert!(d.path().join(".tmp-1-pack-0000000001.pins").exists());
        let (_, cleaned) = PinStore::open(d.path(), true).unwrap();
        assert_eq!(cleaned, 1);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
        fs::write(d.path().join("5Hq2x"), b"old layout").unwrap();
        assert!(matches!(
            PinStore::open(d.path(), false),
            Err(PinStoreError::Foreign(_))
        ));
    }
}
