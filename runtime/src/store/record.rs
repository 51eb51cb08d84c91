//! Boot and snapshot records: one checksummed line each, naming the batch a saved cog
//! follows, the cog's pin, the store it belongs to and where that batch's record is in the
//! log.
//!
//! Format: `BATCH HASH store=ID log=END:CRC crc32=SUM` and a newline, where `HASH` is the
//! cog's pin in base58, `ID` the store's id (32 hex digits, also in the log's header), `END`
//! the offset just past batch `BATCH`'s record in the log and `CRC` that record's checksum
//! (8 hex digits), and `SUM` the CRC-32 of everything before ` crc32=`. Start checks the sum,
//! the store id, and that the log's record for `BATCH` is where the record says.

use crate::hash::{base58, from_base58, Hash};
use crate::store::log::Position;

/// A parsed boot or snapshot record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRecord {
    /// The batch the saved cog follows.
    pub batch: u64,
    /// The cog's pin.
    pub cog: Hash,
    /// The store's id.
    pub store_id: [u8; 16],
    /// Where batch `batch`'s record is in the log.
    pub log: Position,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

impl SnapshotRecord {
    /// The record as a line.
    pub fn encode(&self) -> String {
        let body = format!(
            "{} {} store={} log={}:{:08x}",
            self.batch,
            base58(&self.cog),
            hex(&self.store_id),
            self.log.end,
            self.log.crc
        );
        let sum = crc32fast::hash(body.as_bytes());
        format!("{body} crc32={sum:08x}\n")
    }

    /// Parses a record, checking its sum; the error says what is wrong.
    pub fn decode(text: &str) -> Result<SnapshotRecord, String> {
        let line = text
            .strip_suffix('\n')
            .ok_or("the line is cut short (no newline at its end)")?;
        let (body, sum) = line
            .rsplit_once(" crc32=")
            .ok_or("no checksum (crc32=) on the line")?;
        let sum = u32::from_str_radix(sum, 16).map_err(|_| format!("bad checksum {sum:?}"))?;
        if crc32fast::hash(body.as_bytes()) != sum {
            return Err("checksum mismatch: the record was edited or damaged".into());
        }
        let bad = |what: &str| format!("bad {what}");
        let mut parts = body.split(' ');
        let batch = parts
            .next()
            .and_then(|b| b.parse().ok())
            .ok_or_else(|| bad("batch number"))?;
        let cog = parts
            .next()
            .and_then(from_base58)
            .ok_or_else(|| bad("cog hash"))?;
        let store_id: [u8; 16] = parts
            .next()
            .and_then(|s| s.strip_prefix("store="))
            .and_then(unhex)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("store id"))?;
        let (end, crc) = parts
            .next()
            .and_then(|s| s.strip_prefix("log="))
            .and_then(|s| s.split_once(':'))
            .and_then(|(e, c)| Some((e.parse().ok()?, u32::from_str_radix(c, 16).ok()?)))
            .ok_or_else(|| bad("log position"))?;
        if parts.next().is_some() {
            return Err("unexpected fields".into());
        }
        Ok(SnapshotRecord {
            batch,
            cog,
            store_id,
            log: Position { end, crc },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_any_edit_is_caught() {
        let r = SnapshotRecord {
            batch: 472,
            cog: *blake3::hash(b"cog").as_bytes(),
            store_id: [7; 16],
            log: Position {
                end: 12345,
                crc: 0xdeadbeef,
            },
        };
        let line = r.encode();
        assert!(line.starts_with("472 "));
        assert_eq!(SnapshotRecord::decode(&line), Ok(r));
        let edited = line.replacen("472 ", "400 ", 1);
        assert!(SnapshotRecord::decode(&edited)
            .unwrap_err()
            .contains("checksum mismatch"));
        for i in 0..line.len() - 1 {
            let mut b = line.clone().into_bytes();
            b[i] ^= 1;
            if let Ok(s) = String::from_utf8(b) {
                assert!(SnapshotRecord::decode(&s).is_err(), "flip at {i}");
            }
        }
        assert!(SnapshotRecord::decode(line.trim_end()).is_err());
    }
}
