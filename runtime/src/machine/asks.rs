//! The ask book: what a cog that serves asks remembers of them, on disk.
//!
//! Every ask a cog takes (makes into an input of one of its steps) gets a sequence number
//! and is recorded with that step's inputs in the event log: its number, the asking cog,
//! its key (if the asker gave one) and the tell that took it. The k-th output of a tell
//! answers the k-th ask it took, so the asks taken and not yet answered (per tell) and the
//! answers to keyed asks follow from the log, and a replay rebuilds them exactly. A
//! snapshot writes the book as it stands after its batch next to the snapshot record
//! (`asks.BATCH`), so a start need not replay from the boot record.
//!
//! A keyed ask names itself: an ask from cog `a` with key `k` that comes again (a driver
//! restarted after a crash asks what it asked before) is not taken again. If its answer is
//! committed it gets that answer at once; if it is taken and not answered yet it gets the
//! answer when the step that makes it is on disk. The book keeps the last [`KEEP_KEYS`]
//! answered keys of each asking cog.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

use super::cogs::{Addr, CogId};
use super::MachineError;

/// Answered keys remembered per asking cog (the oldest are forgotten first).
pub const KEEP_KEYS: usize = 4096;

/// An ask taken by a step, as the log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Take {
    /// Its number in this cog (from 1).
    pub seq: u64,
    /// The asking cog.
    pub from: CogId,
    /// The asker's key, if any.
    pub key: Option<u64>,
    /// The tell that took it: the telling driver's worker index and the tell's index.
    pub tell: (usize, u64),
}

/// What the book knows of a keyed ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known {
    /// Taken as ask `seq`, not answered yet.
    Taken(u64),
    /// Answered with `(0 x)`: `x` as a seed.
    Answered(Vec<u8>),
}

struct Open {
    from: CogId,
    key: Option<u64>,
    /// Its step is on disk.
    committed: bool,
}

/// The asks a serving cog has taken and the answers to keyed ones.
#[derive(Default)]
pub struct Book {
    next_seq: u64,
    /// Taken asks not answered yet, by number.
    open: HashMap<u64, Open>,
    /// Committed takes not answered yet, per tell, oldest first.
    queues: BTreeMap<(usize, u64), VecDeque<u64>>,
    /// Keyed asks, by asker and key.
    keys: HashMap<(CogId, u64), Known>,
    /// Each asker's answered keys, oldest first (to forget the oldest).
    answered: BTreeMap<CogId, VecDeque<u64>>,
    /// Where the answer to an open ask goes (this run only: asks that came again included).
    addrs: HashMap<u64, Vec<Addr>>,
}

impl Book {
    /// What is known of the ask with key `key` from cog `from`.
    pub fn known(&self, from: CogId, key: u64) -> Option<&Known> {
        self.keys.get(&(from, key))
    }

    /// Sends the answer of open ask `seq` to `a` too.
    pub fn also_answer(&mut self, seq: u64, a: Addr) {
        self.addrs.entry(seq).or_default().push(a);
    }

    /// Takes an ask (its step not yet on disk); the answer goes to `reply`.
    pub fn take(&mut self, from: CogId, key: Option<u64>, tell: (usize, u64), reply: Addr) -> Take {
        self.next_seq += 1;
        let seq = self.next_seq;
        self.open.insert(
            seq,
            Open {
                from,
                key,
                committed: false,
            },
        );
        if let Some(k) = key {
            self.keys.insert((from, k), Known::Taken(seq));
        }
        self.addrs.insert(seq, vec![reply]);
        Take {
            seq,
            from,
            key,
            tell,
        }
    }

    /// Forgets an ask whose input was dropped (its step failed); returns who waits for it.
    pub fn drop_take(&mut self, seq: u64) -> Vec<Addr> {
        if let Some(o) = self.open.remove(&seq) {
            if let Some(k) = o.key {
                if self.keys.get(&(o.from, k)) == Some(&Known::Taken(seq)) {
                    self.keys.remove(&(o.from, k));
                }
            }
        }
        self.addrs.remove(&seq).unwrap_or_default()
    }

    /// The step that took `takes` is on disk (also: replays it from the log).
    pub fn commit(&mut self, takes: &[Take]) {
        for t in takes {
            self.next_seq = self.next_seq.max(t.seq);
            let o = self.open.entry(t.seq).or_insert(Open {
                from: t.from,
                key: t.key,
                committed: true,
            });
            o.committed = true;
            if let Some(k) = t.key {
                self.keys.insert((t.from, k), Known::Taken(t.seq));
            }
            self.queues.entry(t.tell).or_default().push_back(t.seq);
        }
    }

    /// A committed output of `tell` answers its oldest open ask, with `(0 x)` (`save`
    /// makes `x`'s seed, needed for a keyed ask only). Returns who waits for the answer.
    pub fn answer(&mut self, tell: (usize, u64), save: impl FnOnce() -> Vec<u8>) -> Vec<Addr> {
        let Some(q) = self.queues.get_mut(&tell) else {
            return Vec::new();
        };
        let Some(seq) = q.pop_front() else {
            return Vec::new();
        };
        if q.is_empty() {
            self.queues.remove(&tell);
        }
        if let Some(o) = self.open.remove(&seq) {
            if let Some(k) = o.key {
                self.keys.insert((o.from, k), Known::Answered(save()));
                let order = self.answered.entry(o.from).or_default();
                order.push_back(k);
                while order.len() > KEEP_KEYS {
                    if let Some(old) = order.pop_front() {
                        if matches!(self.keys.get(&(o.from, old)), Some(Known::Answered(_))) {
                            self.keys.remove(&(o.from, old));
                        }
                    }
                }
            }
        }
        self.addrs.remove(&seq).unwrap_or_default()
    }

    /// Whether any tell has committed asks to answer.
    pub fn any_open(&self) -> bool {
        !self.queues.is_empty() || !self.addrs.is_empty()
    }

    /// Everyone waiting for an answer (the cog ends: they get 0).
    pub fn refuse_all(&mut self) -> Vec<Addr> {
        self.addrs.drain().flat_map(|(_, a)| a).collect()
    }

    /// Forgets the asks not on disk (their inputs were not logged).
    pub fn drop_uncommitted(&mut self) -> Vec<Addr> {
        let seqs: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, o)| !o.committed)
            .map(|(s, _)| *s)
            .collect();
        seqs.into_iter().flat_map(|s| self.drop_take(s)).collect()
    }

    /// The book's committed part as the bytes of an `asks.BATCH` file.
    pub fn encode(&self, batch: u64) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        put(&mut out, batch);
        put(&mut out, self.next_seq);
        put(&mut out, self.queues.len() as u64);
        for (&(w, r), q) in &self.queues {
            put(&mut out, w as u64);
            put(&mut out, r);
            put(&mut out, q.len() as u64);
            for s in q {
                let o = &self.open[s];
                put(&mut out, *s);
                put(&mut out, o.from);
                put_key(&mut out, o.key);
            }
        }
        put(&mut out, self.answered.len() as u64);
        for (&from, order) in &self.answered {
            put(&mut out, from);
            let kept: Vec<(u64, &Vec<u8>)> = order
                .iter()
                .filter_map(|k| match self.keys.get(&(from, *k)) {
                    Some(Known::Answered(x)) => Some((*k, x)),
                    _ => None,
                })
                .collect();
            put(&mut out, kept.len() as u64);
            for (k, x) in kept {
                put(&mut out, k);
                put(&mut out, x.len() as u64);
                out.extend_from_slice(x);
            }
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads an `asks.BATCH` file made by [`Book::encode`]; checks that it is for `batch`.
    pub fn decode(bytes: &[u8], batch: u64) -> Result<Book, String> {
        let body_len = bytes
            .len()
            .checked_sub(4)
            .ok_or_else(|| "shorter than its checksum".to_string())?;
        let (body, crc) = bytes.split_at(body_len);
        if crc32fast::hash(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
            return Err("checksum mismatch".into());
        }
        let mut r = Reader(body.strip_prefix(MAGIC).ok_or("not an ask book")?);
        let b = r.num()?;
        if b != batch {
            return Err(format!("it is for batch {b}, not {batch}"));
        }
        let mut book = Book {
            next_seq: r.num()?,
            ..Book::default()
        };
        for _ in 0..r.num()? {
            let tell = (r.usize()?, r.num()?);
            for _ in 0..r.num()? {
                let (seq, from, key) = (r.num()?, r.num()?, r.key()?);
                book.commit(&[Take {
                    seq,
                    from,
                    key,
                    tell,
                }]);
            }
        }
        for _ in 0..r.num()? {
            let from = r.num()?;
            for _ in 0..r.num()? {
                let k = r.num()?;
                let n = r.usize()?;
                let x = r.bytes(n)?.to_vec();
                book.keys.insert((from, k), Known::Answered(x));
                book.answered.entry(from).or_default().push_back(k);
            }
        }
        if !r.0.is_empty() {
            return Err("bytes after the end".into());
        }
        Ok(book)
    }

    /// Whether the book holds anything a start would need.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.answered.is_empty()
    }

    /// Writes the book after `batch` to `dir/asks.BATCH` (durably), if it holds anything.
    /// [`Book::prune`] removes the older ones once the snapshot record names `batch`.
    pub fn save(&self, dir: &Path, batch: u64) -> Result<(), MachineError> {
        if self.is_empty() {
            return Ok(());
        }
        super::cogs::write_file(dir, &format!("asks.{batch}"), &self.encode(batch))
    }

    /// Removes every ask book in `dir` but the one after `keep` (a failure costs space).
    pub fn prune(dir: &Path, keep: u64) {
        let keep = format!("asks.{keep}");
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("asks.") && name != keep {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// The book after `batch` from `dir/asks.BATCH`: `Ok(None)` if there is none.
    pub fn load(dir: &Path, batch: u64) -> Result<Option<Book>, MachineError> {
        let path = dir.join(format!("asks.{batch}"));
        match std::fs::read(&path) {
            Ok(b) => Book::decode(&b, batch)
                .map(Some)
                .map_err(|why| MachineError::BadSnapshot(path, why)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(MachineError::Io { path, source }),
        }
    }
}

const MAGIC: &[u8] = b"PASK01";

/// The takes of one batch as the log records them.
pub fn encode_takes(takes: &[Take]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 * takes.len() + 1);
    put(&mut out, takes.len() as u64);
    for t in takes {
        put(&mut out, t.seq);
        put(&mut out, t.from);
        put_key(&mut out, t.key);
        put(&mut out, t.tell.0 as u64);
        put(&mut out, t.tell.1);
    }
    out
}

/// Reads what [`encode_takes`] wrote.
pub fn decode_takes(bytes: &[u8]) -> Result<Vec<Take>, String> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader(bytes);
    let n = r.num()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Take {
            seq: r.num()?,
            from: r.num()?,
            key: r.key()?,
            tell: (r.usize()?, r.num()?),
        });
    }
    if !r.0.is_empty() {
        return Err("bytes after the asks".into());
    }
    Ok(out)
}

/// LEB128.
fn put(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_key(out: &mut Vec<u8>, key: Option<u64>) {
    match key {
        None => out.push(0),
        Some(k) => {
            out.push(1);
            put(out, k);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn num(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first().ok_or("cut short")?;
            self.0 = rest;
            n |= u64::from(b & 0x7f)
                .checked_shl(shift)
                .filter(|v| v >> shift == u64::from(b & 0x7f))
                .ok_or("a number too large")?;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a number too long".into())
    }

    fn usize(&mut self) -> Result<usize, String> {
        usize::try_from(self.num()?).map_err(|_| "a number too large".into())
    }

    fn key(&mut self) -> Result<Option<u64>, String> {
        let (&b, rest) = self.0.split_first().ok_or("cut short")?;
        self.0 = rest;
        match b {
            0 => Ok(None),
            1 => Ok(Some(self.num()?)),
            _ => Err(format!("bad key flag {b}")),
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err("cut short".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(req: u64) -> Addr {
        Addr {
            cog: 2,
            worker: 0,
            req,
            gen: req,
        }
    }

    #[test]
    fn a_keyed_ask_is_answered_once_and_remembered_through_a_saved_book() {
        let mut b = Book::default();
        let t1 = b.take(2, Some(7), (1, 1), addr(1));
        let t2 = b.take(3, None, (1, 1), addr(2));
        assert_eq!(b.known(2, 7), Some(&Known::Taken(t1.seq)));
        b.commit(&[t1, t2]);
        let bytes = b.encode(5);
        let mut c = Book::decode(&bytes, 5).expect("decodes");
        assert!(Book::decode(&bytes, 6).is_err(), "another batch's book");
        // The k-th output answers the k-th ask taken, in both books; only the live one
        // knows where the answers go.
        assert_eq!(b.answer((1, 1), || vec![42]), vec![addr(1)]);
        assert_eq!(c.answer((1, 1), || vec![42]), vec![]);
        for book in [&mut b, &mut c] {
            assert_eq!(book.known(2, 7), Some(&Known::Answered(vec![42])));
            book.answer((1, 1), || panic!("an ask with no key keeps no answer"));
            assert!(book.queues.is_empty());
            assert_eq!(
                book.answer((1, 1), || vec![1]),
                vec![],
                "nothing left to answer"
            );
        }
        let d = Book::decode(&b.encode(9), 9).expect("decodes");
        assert_eq!(d.known(2, 7), Some(&Known::Answered(vec![42])));
        let mut bad = b.encode(9);
        bad[7] ^= 1;
        assert!(Book::decode(&bad, 9).is_err(), "a damaged book is refused");
    }

    #[test]
    fn a_dropped_take_leaves_no_trace_and_the_log_form_round_trips() {
        let mut b = Book::default();
        let t = b.take(2, Some(1), (0, 3), addr(1));
        assert_eq!(b.drop_take(t.seq), vec![addr(1)]);
        assert_eq!(b.known(2, 1), None);
        let takes = vec![
            t,
            Take {
                seq: 300,
                from: u64::MAX,
                key: Some(u64::MAX),
                tell: (5, 1 << 40),
            },
        ];
        assert_eq!(decode_takes(&encode_takes(&takes)).unwrap(), takes);
        assert!(decode_takes(&[5, 1]).is_err());
    }

    #[test]
    fn only_the_last_answered_keys_are_kept() {
        let mut b = Book::default();
        for k in 0..(KEEP_KEYS as u64 + 10) {
            let t = b.take(2, Some(k), (0, 1), addr(k));
            b.commit(&[t]);
            b.answer((0, 1), || vec![1]);
        }
        assert_eq!(b.known(2, 0), None);
        assert!(b.known(2, KEEP_KEYS as u64 + 9).is_some());
        assert_eq!(b.answered[&2].len(), KEEP_KEYS);
    }
}
