//! Moving a machine: `export` writes one file with the cog's latest state (the latest
//! snapshot with the log after it replayed) and the batch it follows; `import` makes a new
//! store from it, anywhere, that goes on from that batch with the same cog.
//!
//! File format: one header line `pallas-export 1 batch=N cog=HASH pod=LEN blake3=SUM`, then
//! `LEN` bytes: the cog as a pod (see [`crate::seed::save_pod`]; every pin's hash is checked
//! again when it is loaded). `HASH` is the cog's pin (base58) and `SUM` the BLAKE3 hash of the
//! pod bytes (hex).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::hash::{base58, from_base58, Hash};
use crate::runtime::Runtime;
use crate::seed;
use crate::value::Kind;

use super::{Access, Machine, MachineError};

/// What an export or import moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// The batch the cog follows.
    pub batch: u64,
    /// The cog's hash.
    pub cog: Hash,
    /// The size of the export file.
    pub bytes: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> MachineError + '_ {
    move |source| MachineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn bad(path: &Path, why: impl Into<String>) -> MachineError {
    MachineError::BadExport(path.to_path_buf(), why.into())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes the latest state of the machine in `dir` to `file` (through `file.tmp`, fsynced
/// and renamed). Reads the store only (a machine that runs holds it: stop it first).
pub fn export(
    rt: Runtime,
    dir: &Path,
    file: &Path,
    say: Box<dyn FnMut(&str)>,
) -> Result<Moved, MachineError> {
    let mut m = Machine::open(rt, dir, false, Access::Read, say, Box::new(|_| {}))?;
    let batch = m.batch();
    let cog = m.cog;
    let top = m.rt.pin(cog);
    let Some(Kind::Pin(p)) = top.kind() else {
        return Err(MachineError::Store("pinning the cog gave no pin".into()));
    };
    let hash = p.hash;
    let pod = seed::save_pod(&mut m.rt, top)
        .ok_or_else(|| MachineError::Store("the cog could not be saved as a pod".into()))?;
    let header = format!(
        "pallas-export 1 batch={batch} cog={} pod={} blake3={}\n",
        base58(&hash),
        pod.len(),
        hex(blake3::hash(&pod).as_bytes())
    );
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(header.as_bytes()).map_err(io(&tmp))?;
    f.write_all(&pod).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, file).map_err(io(file))?;
    Ok(Moved {
        batch,
        cog: hash,
        bytes: (header.len() + pod.len()) as u64,
    })
}

/// Reads an export file: the batch, the cog's hash and the pod, all checked.
fn parse(file: &Path, bytes: &[u8]) -> Result<(u64, Hash, Vec<u8>), MachineError> {
    let nl = bytes
        .iter()
        .take(400)
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad(file, "no header line (is this a pallas export?)"))?;
    let line =
        std::str::from_utf8(&bytes[..nl]).map_err(|_| bad(file, "the header is not text"))?;
    let mut parts = line.split(' ');
    if parts.next() != Some("pallas-export") || parts.next() != Some("1") {
        return Err(bad(file, "not a pallas export (version 1)"));
    }
    let mut field = |name: &str| {
        parts
            .next()
            .and_then(|p| p.strip_prefix(name))
            .map(str::to_string)
            .ok_or_else(|| bad(file, format!("the header has no {name}")))
    };
    let batch: u64 = field("batch=")?
        .parse()
        .map_err(|_| bad(file, "bad batch number"))?;
    let cog = from_base58(&field("cog=")?).ok_or_else(|| bad(file, "bad cog hash"))?;
    let len: usize = field("pod=")?
        .parse()
        .map_err(|_| bad(file, "bad pod length"))?;
    let sum = field("blake3=")?;
    let pod = &bytes[nl + 1..];
    if pod.len() != len {
        return Err(bad(
            file,
            format!(
                "the pod should have {len} bytes but has {} (cut short or padded)",
                pod.len()
            ),
        ));
    }
    if hex(blake3::hash(pod).as_bytes()) != sum {
        return Err(bad(file, "checksum mismatch: the file is damaged"));
    }
    Ok((batch, cog, pod.to_vec()))
}

/// Makes a new store in `dir` from the export `file`: its boot record and snapshot hold the
/// exported cog after the exported batch, and its log goes on from there.
pub fn import(mut rt: Runtime, file: &Path, dir: &Path) -> Result<Moved, MachineError> {
    let bytes = fs::read(file).map_err(io(file))?;
    let (batch, hash, pod) = parse(file, &bytes)?;
    let top = seed::load_pod(&mut rt, &pod).map_err(|e| bad(file, e.to_string()))?;
    let Some(Kind::Pin(p)) = top.kind() else {
        return Err(bad(file, "the pod's top is not a pin"));
    };
    if p.hash != hash {
        return Err(bad(
            file,
            "the pod's cog does not have the hash the header names",
        ));
    }
    let cog = p.item();
    rt.roots.push(cog);
    Machine::boot_at(rt, dir, cog, batch)?;
    Ok(Moved {
        batch,
        cog: hash,
        bytes: bytes.len() as u64,
    })
}
