//! The event log: an append-only file of checksummed batch records.
//!
//! Record layout (little-endian): `magic "PLOG"` (4) | payload length u32 | batch number u64 |
//! CRC-32 of (batch number ++ payload) u32 | reserved u32 | payload. Batch numbers are
//! contiguous. Opening a log validates every record: a damaged record with nothing valid after
//! it is a torn tail (a write cut short by a crash) and is cut off with a message; a damaged
//! record followed by valid ones is corruption and stops the open without touching the file.
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
const HEADER: usize = 24;
/// Largest payload accepted (guards against absurd lengths in damaged headers).
pub const MAX_PAYLOAD: usize = 1 << 30;

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

/// One record read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The batch number.
    pub batch: u64,
    /// The payload.
    pub payload: Vec<u8>,
}

/// What opening a log found.
#[derive(Debug)]
pub struct Opened {
    /// Every valid record, in order.
    pub records: Vec<Record>,
    /// If a torn tail was cut: the offset it started at and why it was bad.
    pub torn_tail: Option<(u64, String)>,
}

fn checksum(batch: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&batch.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Encodes one record.
pub fn encode(batch: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&batch.to_le_bytes());
    out.extend_from_slice(&checksum(batch, payload).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(payload);
    out
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

/// Tries to decode a record at `at`: `Ok((record, next_offset))` or why it is bad.
fn decode_at(bytes: &[u8], at: usize) -> Result<(Record, usize), String> {
    if bytes.len() - at < HEADER {
        return Err("truncated header".into());
    }
    if &bytes[at..at + 4] != MAGIC {
        return Err("bad magic".into());
    }
    let len = u32_at(bytes, at + 4) as usize;
    if len > MAX_PAYLOAD {
        return Err(format!("impossible length {len}"));
    }
    let batch = u64_at(bytes, at + 8);
    let crc = u32_at(bytes, at + 16);
    if u32_at(bytes, at + 20) != 0 {
        return Err("bad reserved field".into());
    }
    let start = at + HEADER;
    if bytes.len() - start < len {
        return Err("truncated payload".into());
    }
    let payload = &bytes[start..start + len];
    if checksum(batch, payload) != crc {
        return Err("checksum mismatch".into());
    }
    Ok((
        Record {
            batch,
            payload: payload.to_vec(),
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

/// Reads and validates a log, cutting a torn tail off the file. `first_batch` is the number
/// the first record must have (1 for a fresh log).
pub fn open(path: &Path, first_batch: u64) -> Result<Opened, LogError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(io(path))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(path)(e)),
    }
    let mut records = Vec::new();
    let mut at = 0usize;
    let mut torn_tail = None;
    let mut expect = first_batch;
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
            Err(why) => {
                if valid_record_after(&bytes, at) {
                    return Err(LogError::Corrupt {
                        path: path.to_path_buf(),
                        offset: at as u64,
                        why,
                    });
                }
                torn_tail = Some((at as u64, why));
                break;
            }
        }
    }
    if let Some((off, _)) = &torn_tail {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        f.set_len(*off).map_err(io(path))?;
        f.sync_all().map_err(io(path))?;
    }
    Ok(Opened { records, torn_tail })
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
    /// Number of fsyncs done (shared with the writer thread through the join result).
    path: PathBuf,
}

impl LogWriter {
    /// Starts a writer appending to `path`; the next batch written gets number `next_batch`.
    pub fn start(path: &Path, next_batch: u64) -> Result<LogWriter, LogError> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io(path))?;
        file.seek(SeekFrom::End(0)).map_err(io(path))?;
        let (tx, rx) = channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || writer_loop(file, rx))
            .map_err(io(path))?;
        Ok(LogWriter {
            tx: Some(tx),
            thread: Some(thread),
            next_batch,
            path: path.to_path_buf(),
        })
    }

    /// The number the next appended batch will get.
    pub fn next_batch(&self) -> u64 {
        self.next_batch
    }

    /// Queues a batch; returns its number and a receipt that resolves once it is durable.
    pub fn append(&mut self, payload: &[u8]) -> Result<(u64, Receipt), LogError> {
        let batch = self.next_batch;
        let (done, wait) = channel();
        let job = Job {
            bytes: encode(batch, payload),
            done,
        };
        self.tx
            .as_ref()
            .ok_or_else(|| LogError::WriterGone("closed".into()))?
            .send(job)
            .map_err(|_| LogError::WriterGone(format!("{}", self.path.display())))?;
        self.next_batch += 1;
        Ok((batch, Receipt(wait)))
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
