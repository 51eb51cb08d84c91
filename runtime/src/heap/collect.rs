//! The collector: marks what the roots reach, counting the marked objects of each block,
//! then sweeps the blocks (and large objects): it gives back whole every block in which
//! nothing was marked and walks only the others, rebuilding their free runs. A young
//! collection (inside a held evaluation) marks and frees only objects of its epochs and
//! newer; older objects stay (blocks holding them are walked, or left alone when they hold
//! nothing newer), and those of them in the remembered set are scanned as roots.

use super::space::{block_of, Fate, Large, Space, SweepCounts};
use super::stats::{HeapStats, KindStats};
use super::Heap;
use crate::value::{
    AppObj, LawObj, NatObj, Obj, Tag, ThunkObj, Value, LARGE, MARK, REMEMBERED, STORED,
};

/// Whether the object belongs to a store loader's heap (never collected; it points only at
/// objects of that heap, so the collector need not look inside).
#[inline]
fn stored(o: &Obj) -> bool {
    o.flag(STORED) && o.tag() != Tag::Free
}

/// The values an object points at (for marking), with finished thunks among an
/// application's or thunk's arguments replaced by their results when `shorten`.
fn push_children(o: &Obj, stack: &mut Vec<Value>, shorten: bool) {
    match o.tag() {
        Tag::App => {
            let a: &AppObj = o.cast();
            stack.push(a.head);
            for (i, &x) in a.args().iter().enumerate() {
                if shorten {
                    let y = x.deref();
                    if y != x {
                        a.set_arg_raw(i, y);
                    }
                    stack.push(y);
                } else {
                    stack.push(x);
                }
            }
        }
        Tag::ThunkPending | Tag::ThunkHole => {
            let t: &ThunkObj = o.cast();
            stack.push(t.head());
            stack.extend_from_slice(t.args());
        }
        Tag::ThunkDone => {
            let t: &ThunkObj = o.cast();
            stack.push(t.head());
        }
        Tag::Law => {
            let l: &LawObj = o.cast();
            stack.push(l.name);
            stack.push(l.arity_nat);
            stack.push(l.body);
        }
        Tag::Pin => {
            let p: &crate::value::PinObj = o.cast();
            if p.is_loaded() {
                stack.push(p.item.get());
            }
        }
        Tag::Nat | Tag::Free => {}
    }
}

/// Drops what an object owns outside the heap (a big nat's digits, a law's compiled code).
/// Returns the bytes of big-nat digits it gave back.
///
/// # Safety
/// The object is dead: nothing refers to it any more.
unsafe fn drop_contents(p: *mut u8) -> usize {
    let o = &*(p as *const Obj);
    match o.tag() {
        Tag::Nat => {
            let n = std::ptr::read(std::ptr::addr_of!((*(p as *const NatObj)).n));
            let bytes = n.bits().div_ceil(64) as usize * 8;
            drop(n);
            bytes
        }
        Tag::Law => {
            std::ptr::drop_in_place(p as *mut LawObj);
            0
        }
        _ => 0,
    }
}

impl Heap {
    /// Collects: marks everything reachable from the groups of roots (named, for the
    /// statistics) and frees the rest. With `young_from: Some(w)`, only objects of epoch `w`
    /// or newer are freed, and older objects are taken as alive (those in the remembered
    /// set are scanned as roots).
    pub fn collect_groups(&mut self, groups: &[(&'static str, &[Value])], young_from: Option<u32>) {
        let started = std::time::Instant::now();
        let full = young_from.is_none();
        let w = young_from.unwrap_or(0);
        let mut stack: Vec<Value> = Vec::new();
        let mut held = Vec::with_capacity(groups.len() + 1);
        let mut marked = 0usize;
        let trace = |stack: &mut Vec<Value>, marked: &mut usize| {
            while let Some(v) = stack.pop() {
                let Some(o) = v.obj() else { continue };
                if o.epoch() < w || o.flag(MARK) || stored(o) {
                    continue;
                }
                o.set_flag(MARK, true);
                if !o.flag(LARGE) {
                    let b = block_of(o as *const Obj as *const u8);
                    b.live.set(b.live.get() + 1);
                }
                *marked += object_bytes(o);
                push_children(o, stack, full);
            }
        };
        for (name, roots) in groups {
            let before = marked;
            stack.extend_from_slice(roots);
            trace(&mut stack, &mut marked);
            held.push((*name, marked - before));
        }
        if !full {
            let before = marked;
            for r in &self.remembered {
                if let Some(o) = r.obj() {
                    if o.epoch() < w {
                        push_children(o, &mut stack, false);
                    }
                }
            }
            trace(&mut stack, &mut marked);
            held.push(("older objects", marked - before));
        }
        if self.verify {
            verify(groups, &self.remembered, w);
        }
        if !full {
            // Remembered objects this collection frees leave the set: their memory may be
            // reused by anything (a whole emptied block goes to any size class).
            self.remembered.retain(|r| {
                r.obj()
                    .is_some_and(|o| o.epoch() < w || o.flag(MARK) || stored(o))
            });
        }
        let mut stats = HeapStats {
            young: !full,
            held,
            ..HeapStats::default()
        };
        self.sweep(w, full, &mut stats);
        if full {
            // Every survivor is now of epoch 0 and nothing is remembered.
            self.remembered.clear();
            self.epoch = 1;
            self.used_epoch = false;
            self.live_after_full = stats.live_bytes;
            self.allocated_since_full = 0;
        } else {
            self.young_collections += 1;
        }
        self.live_after_gc = stats.live_bytes;
        self.objects = if full {
            stats.live_objects
        } else {
            self.objects.saturating_sub(stats.freed_objects)
        };
        self.allocated_since_gc = 0;
        self.collections += 1;
        // Collect again once as much as is live now has been allocated (under
        // `PALLAS_GC_STRESS`, every 64 KB whatever the live size).
        self.threshold = if self.stress {
            self.min_threshold
        } else {
            stats.live_bytes.max(self.min_threshold)
        };
        stats.heap_bytes = self.bytes();
        stats.free_bytes = self.space.free_bytes();
        stats.blocks = self.space.blocks_in_use();
        stats.nanos = started.elapsed().as_nanos() as u64;
        if self.report {
            eprintln!("{stats}");
        }
        self.last_stats = Some(stats);
    }

    /// Frees every unmarked object of epoch `w` or newer and clears the marks; counts the
    /// survivors.
    fn sweep(&mut self, w: u32, full: bool, stats: &mut HeapStats) {
        let mut freed_digits = 0usize;
        let mut freed = 0usize;
        let verify = self.verify;
        let mut counts = SweepCounts::default();
        let fate = |p: *mut u8| {
            // SAFETY: a slot in use starts with a header word.
            let o = unsafe { &*(p as *const Obj) };
            if o.flag(MARK) {
                o.set_flag(MARK, false);
                if full {
                    o.set_flag(REMEMBERED, false);
                    o.set_epoch(0);
                }
                stats.count(o, object_bytes(o));
                Fate::Keep
            } else if !full && o.epoch() < w {
                stats.count(o, object_bytes(o));
                Fate::Keep
            } else if verify {
                freed += 1;
                verify_freed(o);
                Fate::Leave
            } else {
                freed += 1;
                // SAFETY: unmarked and of a freed epoch: unreachable.
                freed_digits += unsafe { drop_contents(p) };
                Fate::Free
            }
        };
        self.space.sweep(w, !verify, fate, &mut counts);
        let space: &mut Space = &mut self.space;
        let mut large = std::mem::take(&mut space.large);
        large.retain(|l| {
            // SAFETY: large objects start with a header word.
            let o = unsafe { &*(l.ptr as *const Obj) };
            if o.flag(MARK) || (!full && o.epoch() < w) {
                o.set_flag(MARK, false);
                if full {
                    o.set_flag(REMEMBERED, false);
                    o.set_epoch(0);
                }
                stats.count(o, l.size);
                true
            } else if verify {
                // As for slots: kept, marked free, never reused (the memory leaks on purpose).
                verify_freed(o);
                freed += 1;
                false
            } else {
                // SAFETY: unreachable.
                freed_digits += unsafe { drop_contents(l.ptr) };
                freed += 1;
                space.free_large(Large {
                    ptr: l.ptr,
                    size: l.size,
                });
                false
            }
        });
        space.large = large;
        stats.freed_objects = freed;
        stats.slots_read = counts.slots_read;
        stats.blocks_walked = counts.blocks_walked;
        stats.blocks_emptied = counts.blocks_emptied;
        self.big_bytes = self.big_bytes.saturating_sub(freed_digits);
    }
}

/// Debugging (`PALLAS_GC_VERIFY`): a freed object keeps its memory, marked free with its
/// old tag in bits 12-15, so that a use after free is a clear "bad function head" rather
/// than a reuse.
fn verify_freed(o: &Obj) {
    o.set_bits((o.bits() & !0xFFFF) | ((o.tag() as u64) << 12));
}

/// The bytes an object takes (its slot's content; a big nat's digits too).
fn object_bytes(o: &Obj) -> usize {
    match o.tag() {
        Tag::App | Tag::ThunkPending | Tag::ThunkHole | Tag::ThunkDone => {
            super::spine_words(o.len()) * 8
        }
        Tag::Nat => {
            let n: &NatObj = o.cast();
            std::mem::size_of::<NatObj>() + n.n.bits().div_ceil(64) as usize * 8
        }
        Tag::Law => std::mem::size_of::<LawObj>(),
        Tag::Pin => std::mem::size_of::<crate::value::PinObj>(),
        Tag::Free => 0,
    }
}

impl KindStats {
    /// Adds one object of `bytes` bytes.
    pub(crate) fn add(&mut self, bytes: usize) {
        self.objects += 1;
        self.bytes += bytes;
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        // Free what objects own outside the heap (only objects of owning blocks do); the
        // space frees the blocks.
        self.space.sync_tops();
        for c in &self.space.classes {
            for &b in c.blocks.iter().filter(|&&b| Space::owning(b)) {
                for p in Space::slots(b) {
                    // SAFETY: the heap is going away: no object is reachable any more.
                    unsafe {
                        if (*(p as *const Obj)).tag() != Tag::Free {
                            drop_contents(p);
                        }
                    }
                }
            }
        }
        for l in &self.space.large {
            // SAFETY: as above.
            unsafe { drop_contents(l.ptr) };
        }
    }
}

/// Debugging: every object of the collected epochs that the roots reach (through older
/// objects too) must be marked; panics naming the first one that is not.
fn verify(groups: &[(&'static str, &[Value])], remembered: &[Value], w: u32) {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(Value, Value, &'static str)> = Vec::new();
    for (name, roots) in groups {
        for &r in roots.iter() {
            stack.push((r, Value::small(0), name));
        }
    }
    while let Some((v, parent, name)) = stack.pop() {
        let Some(o) = v.obj() else { continue };
        if stored(o) || !seen.insert(v.0) {
            continue;
        }
        if o.epoch() >= w && !o.flag(MARK) {
            let p = parent.obj();
            panic!(
                "collector: a reachable {:?} of epoch {} (collecting from {w}) is not marked; \
                 reached from {name} through a {:?} of epoch {:?} (remembered: {})",
                o.tag(),
                o.epoch(),
                p.map(|p| p.tag()),
                p.map(|p| p.epoch()),
                remembered.contains(&parent)
            );
        }
        let mut kids = Vec::new();
        push_children(o, &mut kids, false);
        stack.extend(kids.into_iter().map(|k| (k, v, name)));
    }
}
