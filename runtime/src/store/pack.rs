//! One pack file: an immutable, checksummed batch of pins with a sorted index at its end.
//!
//! Layout (integers little-endian):
//!
//! ```text
//! header  "PALPACK1" | u64 0                                   16 bytes
//! record  "PPIN" | u32 crc | hash (32) | u64 len | blob        48 + len bytes, per pin
//! index   hash (32) | u64 record offset | u64 blob len         48 bytes per pin, by hash
//! footer  u64 pins | u64 index offset | u32 index crc | u32 footer crc | "PALPEND1"
//! ```
//!
//! A record's crc is the CRC-32 of its hash, its length and its blob; the footer's crc covers
//! the footer's first 20 bytes. A pack is written whole to a temporary file, fsynced and only
//! then renamed into place ([`write()`]), so a pack with a visible name is complete.
//! [`Pack::open`] maps the file and checks the header, the footer and the index (cost in
//! proportion to the number of pins, not their size); [`Pack::get`] finds a pin by binary
//! search in the mapped index and checks that one record, so a pin is read without reading
//! the rest of the pack.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use crate::hash::Hash;

const MAGIC: &[u8; 8] = b"PALPACK1";
const END: &[u8; 8] = b"PALPEND1";
const RECORD: &[u8; 4] = b"PPIN";
const HEADER: usize = 16;
/// Bytes of a record before its blob.
pub const RECORD_HEADER: usize = 48;
const ENTRY: usize = 48;
const FOOTER: usize = 32;

/// Why a pack could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a whole, undamaged pack.
    #[error("{path}: damaged pack file ({why})")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PackError + '_ {
    move |source| PackError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

fn record_crc(hash: &[u8], blob: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(hash);
    h.update(&(blob.len() as u64).to_le_bytes());
    h.update(blob);
    h.finalize()
}

/// An open pack: the mapped file and where its index starts. A clone shares the map (and
/// keeps it readable after the file is removed).
#[derive(Clone)]
pub struct Pack {
    path: PathBuf,
    map: Arc<Mmap>,
    index: usize,
    count: usize,
}

impl Pack {
    /// Maps a pack and checks its header, footer and index.
    pub fn open(path: &Path) -> Result<Pack, PackError> {
        let f = File::open(path).map_err(io(path))?;
        let damaged = |why: String| PackError::Damaged {
            path: path.to_path_buf(),
            why,
        };
        let len = f.metadata().map_err(io(path))?.len() as usize;
        if len < HEADER + FOOTER {
            return Err(damaged(format!("{len} bytes is too short")));
        }
        // SAFETY: pack files are never written again once renamed into place (collection
        // removes whole files, which leaves existing maps intact).
        let map = unsafe { Mmap::map(&f) }.map_err(io(path))?;
        if &map[..8] != MAGIC || u64_at(&map, 8) != 0 {
            return Err(damaged("bad header".into()));
        }
        let foot = len - FOOTER;
        if &map[foot + 24..] != END {
            return Err(damaged("no end marker (an unfinished write?)".into()));
        }
        if crc32fast::hash(&map[foot..foot + 20]) != u32_at(&map, foot + 20) {
            return Err(damaged("footer checksum mismatch".into()));
        }
        let count = u64_at(&map, foot) as usize;
        let index = u64_at(&map, foot + 8) as usize;
        if count.checked_mul(ENTRY).and_then(|n| n.checked_add(index)) != Some(foot)
            || index < HEADER
        {
            return Err(damaged(format!(
                "index of {count} entries at byte {index} does not end at the footer"
            )));
        }
        if crc32fast::hash(&map[index..foot]) != u32_at(&map, foot + 16) {
            return Err(damaged("index checksum mismatch".into()));
        }
        for i in 1..count {
            let a = &map[index + (i - 1) * ENTRY..][..32];
            let b = &map[index + i * ENTRY..][..32];
            if a >= b {
                return Err(damaged(format!("index not sorted at entry {i}")));
            }
        }
        Ok(Pack {
            path: path.to_path_buf(),
            map: Arc::new(map),
            index,
            count,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many pins it holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it holds no pins.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The file's size in bytes.
    pub fn bytes(&self) -> u64 {
        self.map.len() as u64
    }

    /// The `i`-th index entry: hash, record offset, blob length.
    fn entry(&self, i: usize) -> (&[u8], usize, usize) {
        let e = &self.map[self.index + i * ENTRY..][..ENTRY];
        (&e[..32], u64_at(e, 32) as usize, u64_at(e, 40) as usize)
    }

    /// Every pin's hash, in index order.
    pub fn hashes(&self) -> impl Iterator<Item = Hash> + '_ {
        (0..self.count).map(|i| {
            let mut h = [0u8; 32];
            h.copy_from_slice(self.entry(i).0);
            h
        })
    }

    /// Where a pin's blob is: its byte range in the file, if the index has it.
    fn find(&self, hash: &Hash) -> Option<(usize, usize)> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.entry(mid).0.cmp(&hash[..]) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let (_, off, len) = self.entry(mid);
                    return Some((off, len));
                }
            }
        }
        None
    }

    /// Whether the index lists `hash`.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.find(hash).is_some()
    }

    /// A pin's blob, read from the map and checked against its record's checksum; `None` if
    /// the pack does not hold it.
    pub fn get(&self, hash: &Hash) -> Result<Option<&[u8]>, PackError> {
        let Some(blob) = self.get_unchecked(hash)? else {
            return Ok(None);
        };
        let off = blob.as_ptr() as usize - self.map.as_ptr() as usize - RECORD_HEADER;
        if record_crc(hash, blob) != u32_at(&self.map[off..], 4) {
            return Err(PackError::Damaged {
                path: self.path.clone(),
                why: format!("checksum mismatch in the record at byte {off}"),
            });
        }
        Ok(Some(blob))
    }

    /// A pin's blob, read from the map, its record checked against the index but not its
    /// checksum, so that reading a part of it (a collection reads only the refs at its
    /// start) touches only that part of the file.
    pub fn get_unchecked(&self, hash: &Hash) -> Result<Option<&[u8]>, PackError> {
        let Some((off, len)) = self.find(hash) else {
            return Ok(None);
        };
        let damaged = |why: String| PackError::Damaged {
            path: self.path.clone(),
            why,
        };
        let end = off
            .checked_add(RECORD_HEADER)
            .and_then(|s| s.checked_add(len))
            .filter(|&e| e <= self.index && off >= HEADER)
            .ok_or_else(|| damaged(format!("record at byte {off} lies outside the pack")))?;
        let rec = &self.map[off..end];
        if &rec[..4] != RECORD || &rec[8..40] != hash || u64_at(rec, 40) as usize != len {
            return Err(damaged(format!(
                "record at byte {off} does not match the index"
            )));
        }
        Ok(Some(&rec[RECORD_HEADER..]))
    }

    /// The length of a pin's blob as the index gives it.
    pub fn blob_len(&self, hash: &Hash) -> Option<usize> {
        self.find(hash).map(|(_, len)| len)
    }

    /// A pin's blob (checked as in [`Pack::get`]) that keeps the map alive, for readers that
    /// hold it beyond the life of this `Pack`.
    pub fn get_shared(&self, hash: &Hash) -> Result<Option<SharedBlob>, PackError> {
        let base = self.map.as_ptr() as usize;
        Ok(self.get(hash)?.map(|b| {
            let start = b.as_ptr() as usize - base;
            SharedBlob {
                map: self.map.clone(),
                range: start..start + b.len(),
            }
        }))
    }
}

/// A pin's blob in a mapped pack, holding the map (a removed pack's map stays valid).
#[derive(Clone)]
pub struct SharedBlob {
    map: Arc<Mmap>,
    range: std::ops::Range<usize>,
}

impl std::ops::Deref for SharedBlob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }
}

/// What writing a pack did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Pins written.
    pub pins: usize,
    /// Bytes in the file.
    pub bytes: u64,
}

/// Writes `pins` (hash, blob; hashes distinct) as the pack `path`: to `tmp` first, fsynced,
/// then renamed. The caller fsyncs the directory. `pause` runs between the steps (a test hook
/// that widens the window for kill -9).
pub fn write<'a>(
    path: &Path,
    tmp: &Path,
    pins: impl Iterator<Item = (Hash, &'a [u8])>,
    pause: &dyn Fn(),
) -> Result<Written, PackError> {
    let f = File::create(tmp).map_err(io(tmp))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut at = HEADER as u64;
    let mut index: Vec<(Hash, u64, u64)> = Vec::new();
    (|| {
        w.write_all(MAGIC)?;
        w.write_all(&0u64.to_le_bytes())?;
        for (hash, blob) in pins {
            w.write_all(RECORD)?;
            w.write_all(&record_crc(&hash, blob).to_le_bytes())?;
            w.write_all(&hash)?;
            w.write_all(&(blob.len() as u64).to_le_bytes())?;
            w.write_all(blob)?;
            index.push((hash, at, blob.len() as u64));
            at += (RECORD_HEADER + blob.len()) as u64;
        }
        index.sort_unstable_by_key(|e| e.0);
        let mut ix = Vec::with_capacity(index.len() * ENTRY);
        for (h, off, len) in &index {
            ix.extend_from_slice(h);
            ix.extend_from_slice(&off.to_le_bytes());
            ix.extend_from_slice(&len.to_le_bytes());
        }
        w.write_all(&ix)?;
        let mut foot = Vec::with_capacity(FOOTER);
        foot.extend_from_slice(&(index.len() as u64).to_le_bytes());
        foot.extend_from_slice(&at.to_le_bytes());
        foot.extend_from_slice(&crc32fast::hash(&ix).to_le_bytes());
        let c = crc32fast::hash(&foot);
        foot.extend_from_slice(&c.to_le_bytes());
        foot.extend_from_slice(END);
        w.write_all(&foot)?;
        w.flush()
    })()
    .map_err(io(tmp))?;
    let f = w.into_inner().map_err(|e| io(tmp)(e.into_error()))?;
    pause();
    f.sync_all().map_err(io(tmp))?;
    pause();
    fs::rename(tmp, path).map_err(io(path))?;
    let bytes = at + (index.len() * ENTRY + FOOTER) as u64;
    Ok(Written {
        pins: index.len(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u8) -> Hash {
        *blake3::hash(&[i]).as_bytes()
    }

    #[test]
    fn a_pack_gives_back_what_was_written_and_finds_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.pins");
        let blobs: Vec<(Hash, Vec<u8>)> = (0..50u8).map(|i| (h(i), vec![i; i as usize])).collect();
        let w = write(
            &p,
            &d.path().join(".tmp"),
            blobs.iter().map(|(h, b)| (*h, b.as_slice())),
            &|| {},
        )
        .unwrap();
        assert_eq!(w.pins, 50);
        assert_eq!(w.bytes, fs::metadata(&p).unwrap().len());
        let pack = Pack::open(&p).unwrap();
        for (hh, b) in &blobs {
            assert_eq!(pack.get(hh).unwrap(), Some(b.as_slice()));
        }
        assert_eq!(pack.get(&h(200)).unwrap(), None);
    }

    #[test]
    fn every_flipped_byte_is_caught_at_open_or_at_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.pins");
        let blobs: Vec<(Hash, Vec<u8>)> = (0..3u8).map(|i| (h(i), vec![i + 1; 5])).collect();
        write(
            &p,
            &d.path().join(".tmp"),
            blobs.iter().map(|(h, b)| (*h, b.as_slice())),
            &|| {},
        )
        .unwrap();
        let good = fs::read(&p).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            fs::write(&p, &bad).unwrap();
            let caught = match Pack::open(&p) {
                Err(_) => true,
                Ok(pack) => blobs.iter().any(|(hh, b)| match pack.get(hh) {
                    Ok(Some(x)) => x != b.as_slice(),
                    _ => true,
                }),
            };
            assert!(caught, "a flip at byte {i} went unnoticed");
        }
        // A file cut short is refused.
        fs::write(&p, &good[..good.len() - 1]).unwrap();
        assert!(Pack::open(&p).is_err());
    }
}
