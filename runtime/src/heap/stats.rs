//! What the heap holds after a collection: live objects and bytes by kind, and which roots
//! hold them (`--heap-stats`).

use crate::value::{AppObj, LawObj, LawShape, Obj, Tag};

/// Objects and bytes of one kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct KindStats {
    /// How many objects.
    pub objects: usize,
    /// Bytes they take.
    pub bytes: usize,
}

/// The kinds counted, in report order.
pub const KINDS: [&str; 14] = [
    "nat",
    "app/1",
    "app/2",
    "app/3",
    "app/4-7",
    "app/8+",
    "thunk",
    "thunk done",
    "law",
    "law bar",
    "law set",
    "law row",
    "pin",
    "row",
];

/// The state of the heap after a collection.
#[derive(Clone, Debug, Default)]
pub struct HeapStats {
    /// Whether it was a young collection (inside a held evaluation: older objects were
    /// neither looked at nor counted).
    pub young: bool,
    /// Live objects and bytes by kind (indexed like [`KINDS`]).
    pub kinds: [KindStats; 14],
    /// Live objects in all.
    pub live_objects: usize,
    /// Live bytes in all.
    pub live_bytes: usize,
    /// Objects freed.
    pub freed_objects: usize,
    /// Bytes first reached from each group of roots (a value held by several groups counts
    /// for the first).
    pub held: Vec<(&'static str, usize)>,
    /// Bytes the heap holds (blocks, large objects, big nats' digits).
    pub heap_bytes: usize,
    /// Bytes of free slots (and unused fresh memory) ready for new objects.
    pub free_bytes: usize,
    /// Blocks in use after the collection.
    pub blocks: usize,
    /// Blocks the sweeper walked (those with live objects, and blocks of nats and laws,
    /// whose dead objects own memory to give back).
    pub blocks_walked: usize,
    /// Blocks given back whole, for any size class to reuse (nothing in them lived).
    pub blocks_emptied: usize,
    /// Slots whose header the sweeper read (a deterministic measure of its work).
    pub slots_read: usize,
    /// Time the collection took.
    pub nanos: u64,
}

impl HeapStats {
    /// Counts a live object.
    pub(crate) fn count(&mut self, o: &Obj, bytes: usize) {
        let k = match o.tag() {
            Tag::Nat => 0,
            Tag::App => {
                let a: &AppObj = o.cast();
                if crate::datajet::row_len(crate::value::Value::from_ptr(
                    a as *const AppObj as *const u8,
                ))
                .is_some()
                {
                    13
                } else {
                    match a.args().len() {
                        0 | 1 => 1,
                        2 => 2,
                        3 => 3,
                        4..=7 => 4,
                        _ => 5,
                    }
                }
            }
            Tag::ThunkPending | Tag::ThunkHole => 6,
            Tag::ThunkDone => 7,
            Tag::Law => match o.cast::<LawObj>().shape {
                LawShape::Plain => 8,
                LawShape::Bar => 9,
                LawShape::Set(_) => 10,
                LawShape::EmptyRow | LawShape::Cow(_) => 11,
            },
            Tag::Pin => 12,
            Tag::Free => return,
        };
        self.kinds[k].add(bytes);
        self.live_objects += 1;
        self.live_bytes += bytes;
    }
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

impl std::fmt::Display for HeapStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "heap: {} collection in {:.1} ms: {} objects live ({:.1} MB), {} freed; heap {:.1} MB, {:.1} MB free",
            if self.young { "young" } else { "full" },
            self.nanos as f64 / 1e6,
            self.live_objects,
            mb(self.live_bytes),
            self.freed_objects,
            mb(self.heap_bytes),
            mb(self.free_bytes),
        )?;
        let kinds: Vec<String> = KINDS
            .iter()
            .zip(&self.kinds)
            .filter(|(_, k)| k.objects > 0)
            .map(|(n, k)| format!("{n} {} ({:.1} MB)", k.objects, mb(k.bytes)))
            .collect();
        writeln!(
            f,
            "  blocks: {} in use, {} swept ({} slots read), {} emptied",
            self.blocks, self.blocks_walked, self.slots_read, self.blocks_emptied
        )?;
        writeln!(f, "  by kind: {}", kinds.join(", "))?;
        let held: Vec<String> = self
            .held
            .iter()
            .filter(|(_, b)| *b > 0)
            .map(|(n, b)| format!("{n} {:.1} MB", mb(*b)))
            .collect();
        write!(f, "  held by: {}", held.join(", "))
    }
}
