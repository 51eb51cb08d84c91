//! What start trusts, checked before anything is loaded: the boot and snapshot records (their
//! checksums), the log's header (the same store, the batch it starts after), where each
//! record's batch is in the log, and what to do with damage at the log's end.
//!
//! Damage at the end of the log is one of three things, told apart with the snapshot in
//! view: an unfinished write (a record cut short: it was never committed, so cutting it loses
//! nothing); the snapshot's own batch, whose record is damaged while the snapshot holds its
//! effect (it is replaced by a marker, so nothing is lost and the log stays contiguous); or a
//! committed batch that nothing else holds (dropped, saying which). Anything else that does
//! not agree stops the start with a message and changes nothing.

use crate::store::log::{self, Opened, Position, Tail, LOG_HEADER};
use crate::store::record::SnapshotRecord;

use super::store::{MachineStore, SnapshotKind};
use super::MachineError;

/// What to do about damage at the end of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailAction {
    /// Nothing is damaged.
    None,
    /// Cut an unfinished write.
    CutUnfinished(Tail),
    /// Cut the damaged record of the snapshot's own batch and put a marker in its place.
    ReplaceCovered {
        /// The damage.
        tail: Tail,
        /// The batch (the snapshot's).
        batch: u64,
        /// Where the snapshot says its record was.
        replaced: Position,
    },
    /// Cut a damaged, committed batch that no snapshot holds.
    DropDamaged {
        /// The damage.
        tail: Tail,
        /// The batch dropped.
        batch: u64,
    },
}

impl TailAction {
    /// What the action does (or, with `done` false, would do), in words.
    pub fn describe(&self, log: &std::path::Path, done: bool) -> Option<String> {
        let act = |did: &str, will: &str| {
            if done {
                did.to_string()
            } else {
                format!("nothing was changed (a read-only command); `pallas start` will {will}")
            }
        };
        Some(match self {
            TailAction::None => return None,
            TailAction::CutUnfinished(t) => format!(
                "{}: the last {} bytes (from byte {}: {}) are a write that never finished; it was never committed, so nothing is lost; {}",
                log.display(), t.len, t.offset, t.why,
                act("they were cut off", "cut them off")
            ),
            TailAction::ReplaceCovered { tail, batch, .. } => format!(
                "{}: the record of batch {batch} (from byte {}: {}) is damaged, but the snapshot at batch {batch} holds its effect, so nothing is lost; {} (a replay from an earlier point, such as --replay-all, can no longer pass batch {batch})",
                log.display(), tail.offset, tail.why,
                act("the record was replaced by a marker", "replace the record by a marker")
            ),
            TailAction::DropDamaged { tail, batch } => format!(
                "{}: the record of batch {batch} (bytes {}..{}: {}) is damaged and no snapshot holds it: the inputs of batch {batch} are lost and the machine goes on from batch {}; {}",
                log.display(), tail.offset, tail.whole_end.unwrap_or(tail.offset + tail.len), tail.why, batch - 1,
                act("the record was cut off", "cut it off")
            ),
        })
    }
}

/// The records and the log, checked against each other.
pub struct Checked {
    /// The boot record.
    pub boot: SnapshotRecord,
    /// The latest snapshot (`None` when it is damaged and the start replays from boot).
    pub latest: Option<SnapshotRecord>,
    /// The log as read.
    pub log: Opened,
    /// What to do about damage at its end.
    pub tail: TailAction,
}

fn damaged(msg: String) -> MachineError {
    MachineError::Damaged(msg)
}

/// Whether `rec` agrees with the log: its batch's record is where it says (or, at the
/// log's damaged end, could be). Returns whether the record's batch lies in the damaged tail.
fn place(
    store: &MachineStore,
    what: &str,
    rec: &SnapshotRecord,
    log: &Opened,
) -> Result<bool, MachineError> {
    let path = store.log_path();
    let first = log.header.first_batch;
    if rec.store_id != log.header.store_id {
        return Err(damaged(format!(
            "{what} belongs to another store than {} (their store ids differ); refusing to start. Put back this store's own files.",
            path.display()
        )));
    }
    if rec.batch + 1 < first {
        return Err(damaged(format!(
            "{what} follows batch {}, but {} starts after batch {}; refusing to start",
            rec.batch,
            path.display(),
            first - 1
        )));
    }
    if rec.batch + 1 == first {
        let at_start = Position {
            end: LOG_HEADER,
            crc: 0,
        };
        if rec.log != at_start {
            return Err(damaged(format!(
                "{what} follows batch {} but names log position {}:{:08x} instead of the log's start; refusing to start",
                rec.batch, rec.log.end, rec.log.crc
            )));
        }
        return Ok(false);
    }
    let i = (rec.batch - first) as usize;
    if let Some(r) = log.records.get(i) {
        if !r.stands_at(rec.log) {
            return Err(damaged(format!(
                "{what} says batch {} ends at byte {} of {} with checksum {:08x}, but there it ends at byte {} with checksum {:08x}: the record or the log was changed; refusing to start",
                rec.batch,
                rec.log.end,
                path.display(),
                rec.log.crc,
                r.position.end,
                r.position.crc
            )));
        }
        return Ok(false);
    }
    // Past the valid records: only the damaged record right after them can be this batch's.
    let last = log.last_batch();
    if let Some(t) = &log.tail {
        if rec.batch == last + 1 && rec.log.end > t.offset && rec.log.end <= t.offset + t.len {
            return Ok(true);
        }
    }
    Err(damaged(format!(
        "{what} follows batch {}, but {} holds batches up to {last} only: the log was cut or replaced, and the batches in between are gone; refusing to start. Restore the log from a backup.",
        rec.batch,
        path.display()
    )))
}

/// Reads and checks the records and the log. `replay_all`: the start replays from boot, so a
/// damaged latest snapshot is reported (through `say`) and left out instead of stopping it.
pub fn check(
    store: &MachineStore,
    replay_all: bool,
    say: &mut dyn FnMut(&str),
) -> Result<Checked, MachineError> {
    let boot = store.read_record(SnapshotKind::Boot)?;
    let latest = match store.read_record(SnapshotKind::Latest) {
        Ok(r) => Some(r),
        Err(e) if replay_all => {
            say(&format!(
                "{e}; replaying from the boot record instead (the next snapshot replaces it)"
            ));
            None
        }
        Err(e) => {
            return Err(damaged(format!(
                "{e}; refusing to start, since the state it names cannot be trusted. Restore the file from a backup, or run `pallas start --replay-all` to replay the whole log from the boot record (the next snapshot then replaces this one)"
            )))
        }
    };
    let log = log::read(&store.log_path())?;
    place(store, "the boot record", &boot, &log)?;
    if boot.batch + 1 != log.header.first_batch {
        return Err(damaged(format!(
            "the boot record follows batch {} but the log starts after batch {}; refusing to start",
            boot.batch,
            log.header.first_batch - 1
        )));
    }
    let mut covered = false;
    let mut latest = latest;
    if let Some(l) = latest {
        let placed = if l.batch < boot.batch {
            Err(damaged(format!(
                "the snapshot follows batch {}, before the boot record's batch {}; refusing to start",
                l.batch, boot.batch
            )))
        } else {
            place(store, "the snapshot record", &l, &log)
        };
        match placed {
            Ok(c) => covered = c,
            Err(e) if replay_all => {
                let e = e.to_string().replace("; refusing to start", "");
                say(&format!(
                    "{e}; replaying from the boot record instead (the next snapshot replaces it)"
                ));
                latest = None;
            }
            Err(e) => return Err(e),
        }
    }
    let tail = match (&log.tail, &latest) {
        (None, _) => TailAction::None,
        (Some(t), Some(l)) if covered => TailAction::ReplaceCovered {
            tail: t.clone(),
            batch: l.batch,
            replaced: l.log,
        },
        (Some(t), _) if t.whole_end.is_none() => TailAction::CutUnfinished(t.clone()),
        (Some(t), _) => TailAction::DropDamaged {
            tail: t.clone(),
            batch: log.last_batch() + 1,
        },
    };
    Ok(Checked {
        boot,
        latest,
        log,
        tail,
    })
}
