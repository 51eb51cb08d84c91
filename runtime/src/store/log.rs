//! The event log: a checksummed header, then an append-only series of checksummed batch
//! records.
//!
//! Layout (little-endian). Header, 40 bytes: `magic "PALLOG01"` (8) | store id (16) | first
//! batch number u64 | CRC-32 of the previous 32 bytes u32 | reserved u32 (0). Record: `magic
//! "PLOG"` (4) | payload length u32 | batch number u64 | CRC-32 of (batch number ++ kind ++
//! payload) u32 | kind u32 | payload. Kind 0 is a batch of inputs (a seed); kind 1 marks a
//! batch whose record was damaged and whose effect a snapshot holds (its payload is the end
//! offset u64 and checksum u32 of the record it replaced). Batch numbers are contiguous from
//! the header's first batch.
//!
//! [`read`] validates everything and never writes: damage with nothing valid after it is a
//! [`Tail`] (described, not cut); damage followed by valid records is corruption. Cutting is
//! the caller's decision ([`cut`]), made with what the snapshot holds in view.
//!
//! Durability: [`LogWriter::append`] hands a batch to a writer thread that writes every batch
//! waiting, fsyncs once (group commit) and only then acknowledges them. A batch is durable
//! when its [`Receipt::wait`] returns.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

const MAGIC: &[u8; 4] = b"PLOG";
const FILE_MAGIC: &[u8; 8] = b"PALLOG01";
/// Bytes of the log's header.
pub const LOG_HEADER: u64 = 40;
const HEADER: usize = 24;
/// Largest payload accepted (guards against absurd lengths in damaged headers).
pub const MAX_PAYLOAD: usize = 1 << 30;
const KIND_INPUT: u32 = 0;
const KIND_LOST: u32 = 1;
const KIND_ASKS: u32 = 2;

/// Errors opening or writing a log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The log file does not exist.
    #[error("{0} is missing: every store has a log from its boot on, so the batches after the latest snapshot are gone. Restore the file from a backup; start refuses to go on without it.")]
    Missing(PathBuf),
    /// The header is damaged or not a log's.
    #[error("{path}: bad log header ({why}); refusing to start. Restore the file from a backup.")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Damage in the middle of the log: valid records follow a bad one.
    #[error("{path}: corrupt record at byte {offset} ({why}), with valid records after it; refusing to start so that nothing is lost. Restore the file from a backup or move it aside.")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the bad record starts.
        offset: u64,
        /// What is wrong with it.
        why: String,
    },
    /// Batch numbers are not contiguous.
    #[error(
        "{path}: batch {found} at byte {offset} follows batch {prev} (batches must be contiguous)"
    )]
    Gap {
        /// The file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// Previous batch number.
        prev: u64,
        /// The batch number found.
        found: u64,
    },
    /// The writer thread is gone.
    #[error("the log writer stopped: {0}")]
    WriterGone(String),
}

/// The log's header: which store it belongs to and the number of its first batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The store's id (also in its boot and snapshot records).
    pub store_id: [u8; 16],
    /// The number the first record has.
    pub first_batch: u64,
}

impl Header {
    fn encode(&self) -> Vec<u8> {
        let mut out = FILE_MAGIC.to_vec();
        out.extend_from_slice(&self.store_id);
        out.extend_from_slice(&self.first_batch.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out
    }

    fn decode(b: &[u8]) -> Result<Header, String> {
        if b.len() < LOG_HEADER as usize {
            return Err(format!("{} bytes, shorter than a header", b.len()));
        }
        if &b[..8] != FILE_MAGIC {
            return Err("not a pallas event log (bad magic)".into());
        }
        if crc32fast::hash(&b[..32]) != u32_at(b, 32) || u32_at(b, 36) != 0 {
            return Err("checksum mismatch".into());
        }
        let mut store_id = [0u8; 16];
        store_id.copy_from_slice(&b[8..24]);
        Ok(Header {
            store_id,
            first_batch: u64_at(b, 24),
        })
    }
}

/// Where a record sits in the log: the offset just past it and its checksum. A snapshot
/// names the position of the batch it follows, so that start can check the two agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The offset just past the record (the header's size for "before the first record").
    pub end: u64,
    /// The record's checksum (0 before the first record).
    pub crc: u32,
}

/// One record read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The batch number.
    pub batch: u64,
    /// The payload (empty for a lost batch).
    pub payload: Vec<u8>,
    /// What the machine recorded of the asks among the inputs (empty: none).
    pub asks: Vec<u8>,
    /// For a batch whose record was damaged and replaced: the position of the record it
    /// replaced.
    pub lost: Option<Position>,
    /// Where the record is.
    pub position: Position,
}

impl Record {
    /// Whether this record stands at `p`: it is there, or it replaced the record that was.
    pub fn stands_at(&self, p: Position) -> bool {
        self.position == p || self.lost == Some(p)
    }
}

/// Damage at the end of the log, with nothing valid after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// Where the damage starts (the end of the last valid record).
    pub offset: u64,
    /// How many bytes follow.
    pub len: u64,
    /// What is wrong with the first bad record.
    pub why: String,
    /// If the bad record is whole (its full length is there, but it does not check): the
    /// offset just past it. A whole record was fsynced and acknowledged once; a partial one
    /// is a write that a crash cut short.
    pub whole_end: Option<u64>,
}

/// What reading a log found.
#[derive(Debug)]
pub struct Opened {
    /// The header.
    pub header: Header,
    /// Every valid record, in order.
    pub records: Vec<Record>,
    /// Damage at the end, if any (not cut: see [`cut`]).
    pub tail: Option<Tail>,
}

impl Opened {
    /// The position of the last valid record (or of the header).
    pub fn end(&self) -> Position {
        self.records.last().map_or(
            Position {
                end: LOG_HEADER,
                crc: 0,
            },
            |r| r.position,
        )
    }

    /// The number of the last valid batch.
    pub fn last_batch(&self) -> u64 {
        self.records
            .last()
            .map_or(self.header.first_batch.saturating_sub(1), |r| r.batch)
    }
}

fn checksum(batch: u64, kind: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&batch.to_le_bytes());
    h.update(&kind.to_le_bytes());
    h.update(payload);
    h.finalize()
}

fn encode_kind(batch: u64, kind: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&batch.to_le_bytes());
    out.extend_from_slice(&checksum(batch, kind, payload).to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Encodes one record of inputs.
pub fn encode(batch: u64, payload: &[u8]) -> Vec<u8> {
    encode_kind(batch, KIND_INPUT, payload)
}

/// Encodes one record of inputs with what the machine records of the asks among them (a
/// record of kind 0 when `asks` is empty).
pub fn encode_with_asks(batch: u64, payload: &[u8], asks: &[u8]) -> Vec<u8> {
    if asks.is_empty() {
        return encode(batch, payload);
    }
    let mut both = Vec::with_capacity(4 + payload.len() + asks.len());
    both.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    both.extend_from_slice(payload);
    both.extend_from_slice(asks);
    encode_kind(batch, KIND_ASKS, &both)
}

/// Encodes the header of a new log.
pub fn encode_header(h: &Header) -> Vec<u8> {
    h.encode()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Tries to decode a record at `at`: `Ok((record, next_offset))`, or why it is bad and,
/// when its whole length is present, where it ends.
fn decode_at(bytes: &[u8], at: usize) -> Result<(Record, usize), (String, Option<usize>)> {
    if bytes.len() - at < HEADER {
        return Err(("truncated header".into(), None));
    }
    let len = u32_at(bytes, at + 4) as usize;
    let start = at + HEADER;
    let whole = (len <= MAX_PAYLOAD && bytes.len() - start >= len).then_some(start + len);
    if &bytes[at..at + 4] != MAGIC {
        return Err(("bad magic".into(), whole));
    }
    if len > MAX_PAYLOAD {
        return Err((format!("impossible length {len}"), None));
    }
    let batch = u64_at(bytes, at + 8);
    let crc = u32_at(bytes, at + 16);
    let kind = u32_at(bytes, at + 20);
    if bytes.len() - start < len {
        return Err(("truncated payload".into(), None));
    }
    let payload = &bytes[start..start + len];
    if checksum(batch, kind, payload) != crc {
        return Err(("checksum mismatch".into(), whole));
    }
    let position = Position {
        end: (start + len) as u64,
        crc,
    };
    let (payload, asks, lost) = match kind {
        KIND_INPUT => (payload.to_vec(), Vec::new(), None),
        KIND_ASKS if len >= 4 && (u32_at(payload, 0) as usize) <= len - 4 => {
            let n = u32_at(payload, 0) as usize;
            (payload[4..4 + n].to_vec(), payload[4 + n..].to_vec(), None)
        }
        KIND_ASKS => {
            return Err((
                "a record of inputs and asks whose seed length does not fit it".into(),
                whole,
            ))
        }
        KIND_LOST if len == 12 => (
            Vec::new(),
            Vec::new(),
            Some(Position {
                end: u64_at(payload, 0),
                crc: u32_at(payload, 8),
            }),
        ),
        _ => return Err((format!("unknown record kind {kind}"), whole)),
    };
    Ok((
        Record {
            batch,
            payload,
            asks,
            lost,
            position,
        },
        start + len,
    ))
}

/// Whether any valid record starts anywhere after `from`.
fn valid_record_after(bytes: &[u8], from: usize) -> bool {
    let mut i = from + 1;
    while i + HEADER <= bytes.len() {
        if &bytes[i..i + 4] == MAGIC && decode_at(bytes, i).is_ok() {
            return true;
        }
        i += 1;
    }
    false
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a new log holding only its header (to `tmp`, fsynced, then renamed to `path`; the
/// caller fsyncs the directory).
pub fn create(path: &Path, tmp: &Path, header: &Header) -> Result<(), LogError> {
    let mut f = File::create(tmp).map_err(io(tmp))?;
    f.write_all(&header.encode()).map_err(io(tmp))?;
    f.sync_all().map_err(io(tmp))?;
    std::fs::rename(tmp, path).map_err(io(path))
}

/// Reads and validates a log. Never writes to it.
pub fn read(path: &Path) -> Result<Opened, LogError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(io(path))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LogError::Missing(path.to_path_buf()))
        }
        Err(e) => return Err(io(path)(e)),
    }
    let header = Header::decode(&bytes).map_err(|why| LogError::BadHeader {
        path: path.to_path_buf(),
        why,
    })?;
    let mut records = Vec::new();
    let mut at = LOG_HEADER as usize;
    let mut tail = None;
    let mut expect = header.first_batch;
    while at < bytes.len() {
        match decode_at(&bytes, at) {
            Ok((r, next)) => {
                if r.batch != expect {
                    return Err(LogError::Gap {
                        path: path.to_path_buf(),
                        offset: at as u64,
                        prev: expect.wrapping_sub(1),
                        found: r.batch,
                    });
                }
                expect += 1;
                records.push(r);
                at = next;
            }
            Err((why, whole)) => {
                if valid_record_after(&bytes, at) {
                    return Err(LogError::Corrupt {
                        path: path.to_path_buf(),
                        offset: at as u64,
                        why,
                    });
                }
                tail = Some(Tail {
                    offset: at as u64,
                    len: (bytes.len() - at) as u64,
                    why,
                    whole_end: whole.map(|w| w as u64),
                });
                break;
            }
        }
    }
    Ok(Opened {
        header,
        records,
        tail,
    })
}

/// Cuts the log at `offset` (the start of a damaged tail) and fsyncs it.
pub fn cut(path: &Path, offset: u64) -> Result<(), LogError> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io(path))?;
    f.set_len(offset).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Appends, durably, the record that stands for batch `batch` whose own record (at
/// `replaced`) was damaged, and returns its position. Only for a batch a snapshot holds.
pub fn append_lost(path: &Path, batch: u64, replaced: Position) -> Result<Position, LogError> {
    let mut payload = replaced.end.to_le_bytes().to_vec();
    payload.extend_from_slice(&replaced.crc.to_le_bytes());
    let rec = encode_kind(batch, KIND_LOST, &payload);
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io(path))?;
    let start = f.seek(SeekFrom::End(0)).map_err(io(path))?;
    f.write_all(&rec).map_err(io(path))?;
    f.sync_data().map_err(io(path))?;
    Ok(Position {
        end: start + rec.len() as u64,
        crc: u32_at(&rec, 16),
    })
}

/// A promise that a batch becomes durable.
pub struct Receipt(Receiver<Result<(), String>>);

impl Receipt {
    /// Blocks until the batch is on disk (fsynced).
    pub fn wait(self) -> Result<(), LogError> {
        match self.0.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LogError::WriterGone(e)),
            Err(_) => Err(LogError::WriterGone("writer thread ended".into())),
        }
    }
}

struct Job {
    bytes: Vec<u8>,
    done: Sender<Result<(), String>>,
}

/// Appends batches with group commit on a background thread.
pub struct LogWriter {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    next_batch: u64,
    /// Where the next record will start.
    end: u64,
    path: PathBuf,
}

impl LogWriter {
    /// Starts a writer appending to the existing log `path`; the next batch written gets
    /// number `next_batch`.
    pub fn start(path: &Path, next_batch: u64) -> Result<LogWriter, LogError> {
        let mut file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => LogError::Missing(path.to_path_buf()),
                _ => io(path)(e),
            })?;
        let end = file.seek(SeekFrom::End(0)).map_err(io(path))?;
        let (tx, rx) = channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || writer_loop(file, rx))
            .map_err(io(path))?;
        Ok(LogWriter {
            tx: Some(tx),
            thread: Some(thread),
            next_batch,
            end,
            path: path.to_path_buf(),
        })
    }

    /// The number the next appended batch will get.
    pub fn next_batch(&self) -> u64 {
        self.next_batch
    }

    /// Queues a batch; returns its number, where its record will be, and a receipt that
    /// resolves once it is durable.
    pub fn append(&mut self, payload: &[u8]) -> Result<(u64, Position, Receipt), LogError> {
        self.append_with_asks(payload, &[])
    }

    /// [`LogWriter::append`] with what the machine records of the asks among the inputs.
    pub fn append_with_asks(
        &mut self,
        payload: &[u8],
        asks: &[u8],
    ) -> Result<(u64, Position, Receipt), LogError> {
        let batch = self.next_batch;
        let (done, wait) = channel();
        let bytes = encode_with_asks(batch, payload, asks);
        let position = Position {
            end: self.end + bytes.len() as u64,
            crc: u32_at(&bytes, 16),
        };
        self.tx
            .as_ref()
            .ok_or_else(|| LogError::WriterGone("closed".into()))?
            .send(Job { bytes, done })
            .map_err(|_| LogError::WriterGone(format!("{}", self.path.display())))?;
        self.next_batch += 1;
        self.end = position.end;
        Ok((batch, position, Receipt(wait)))
    }

    /// Flushes everything queued and stops the writer.
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn writer_loop(mut file: File, rx: Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while let Ok(more) = rx.try_recv() {
            jobs.push(more);
        }
        let mut buf = Vec::new();
        for j in &jobs {
            buf.extend_from_slice(&j.bytes);
        }
        let res = file
            .write_all(&buf)
            .and_then(|_| file.sync_data())
            .map_err(|e| e.to_string());
        for j in jobs {
            let _ = j.done.send(res.clone());
        }
        if res.is_err() {
            return;
        }
    }
}
