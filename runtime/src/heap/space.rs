//! Where heap objects live: 64 KB blocks, each holding slots of one size class, and large
//! objects allocated one by one. Nothing is kept per object besides the object itself: a
//! block's slots are found by walking it (up to its *top*, past which no slot was ever
//! handed out).
//!
//! Free memory in a block comes in *runs* of consecutive free slots: each size class has a
//! current run, which allocation takes slots from (a pointer bump and a limit check), and a
//! list of further runs, linked through their first slot (which holds the run's end and the
//! next run). Runs freed by the last collection are used first, which keeps the heap near
//! its live size; then a new block (an emptied one if there is one, else one cut from a
//! chunk) is one run of fresh memory.
//!
//! Nats and laws own memory outside the heap (digits, compiled code), which must be dropped
//! when they die; they get size classes of their own, whose blocks are marked as *owning*.
//! The collector counts the objects it marks in each block; a full collection gives a
//! block in which nothing was marked back whole (to any class), without reading its slots
//! unless it is an owning block. Only blocks with live objects are walked, and their free
//! lists are rebuilt from what the walk finds.
//!
//! Blocks come from the system allocator in chunks of 4 MB (64 blocks), not one by one from
//! the global allocator: mimalloc rounds a 64 KB-aligned 64 KB request up to twice that, and
//! the heap's resident memory was 2-3x its size.

use std::alloc::{alloc, dealloc, GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::value::{Obj, Tag};

/// Bytes in a block (blocks are aligned to their size).
pub const BLOCK: usize = 64 * 1024;
/// Bytes at the start of a block kept for its header.
const BLOCK_HEADER: usize = 64;
/// Objects larger than this are allocated on their own.
pub const MAX_SLOT: usize = 4096;
/// Bytes in a chunk of blocks taken from the system at once.
const CHUNK: usize = 64 * BLOCK;

/// The header of a block, in its first bytes.
#[repr(C)]
pub(crate) struct BlockHeader {
    /// The size class of every slot.
    class: u32,
    /// Bytes per slot.
    slot: u32,
    /// The newest epoch any object in the block was allocated in (collections of newer
    /// epochs need not look at older blocks).
    pub(crate) newest: Cell<u32>,
    /// The oldest epoch an object in the block may be of (`u32::MAX` while it holds none).
    pub(crate) oldest: Cell<u32>,
    /// Objects the running collection marked in this block (zero between collections).
    pub(crate) live: Cell<u32>,
    /// Offset of the end of the slots handed out so far (for the block a class is bump
    /// allocating in, only up to date after [`Space::sync_tops`]).
    top: Cell<u32>,
    /// Whether the block's objects own memory outside the heap (nats and laws): a dead
    /// one must be dropped, so the block is walked even when nothing in it lives.
    owns: bool,
}

/// The slot sizes: 16 to 128 bytes by 8, then by 16, 32, 64, 128 and 256 up to 4096.
fn class_sizes() -> Vec<usize> {
    let mut v: Vec<usize> = (2..=16).map(|w| w * 8).collect();
    let mut s = 128;
    for step in [16, 32, 64, 128, 256] {
        for _ in 0..8 {
            s += step;
            v.push(s);
        }
    }
    debug_assert_eq!(*v.last().unwrap(), MAX_SLOT);
    v
}

/// One size class: its blocks, its list of free runs and its current run.
pub(crate) struct Class {
    pub(crate) size: usize,
    /// Whether its objects own memory outside the heap (see [`BlockHeader`]).
    owns: bool,
    /// The current run, in `block`: next slot and end.
    cursor: *mut u8,
    limit: *mut u8,
    /// The block of the current run (null when none).
    block: *mut BlockHeader,
    /// The epoch `block`'s newest epoch is known to be at least (a check on the class
    /// rather than on the block, whose header is further away).
    stamped: u32,
    /// The first further free run (null when none): its first slot holds the run's end
    /// (offset in its block, in the high half of the header word) and the next run.
    free: *mut u8,
    /// Every block of this class.
    pub(crate) blocks: Vec<*mut BlockHeader>,
    /// Slots in the further free runs.
    pub(crate) free_count: usize,
}

impl Class {
    fn new(size: usize, owns: bool) -> Class {
        Class {
            size,
            owns,
            cursor: std::ptr::null_mut(),
            limit: std::ptr::null_mut(),
            block: std::ptr::null_mut(),
            stamped: 0,
            free: std::ptr::null_mut(),
            blocks: Vec::new(),
            free_count: 0,
        }
    }
}

/// A large object: its address and size.
pub(crate) struct Large {
    pub(crate) ptr: *mut u8,
    pub(crate) size: usize,
}

/// What the sweeper makes of one slot in use.
pub(crate) enum Fate {
    /// It stays.
    Keep,
    /// It is dead and its contents dropped: the slot may be reused.
    Free,
    /// It is dead but its memory must not be reused (`PALLAS_GC_VERIFY`).
    Leave,
}

/// What a sweep of the blocks did (deterministic counts, for the statistics).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SweepCounts {
    /// Slots whose header was read.
    pub(crate) slots_read: usize,
    /// Blocks walked.
    pub(crate) blocks_walked: usize,
    /// Blocks given back whole (nothing in them lived).
    pub(crate) blocks_emptied: usize,
}

/// All the memory of the heap.
pub(crate) struct Space {
    pub(crate) classes: Vec<Class>,
    /// Size class of each size in words (index: bytes / 8).
    class_of_words: Vec<u8>,
    pub(crate) large: Vec<Large>,
    /// Bytes in blocks (emptied ones too) and large objects.
    pub(crate) bytes: usize,
    /// Emptied blocks, ready for any class.
    spare: Vec<*mut u8>,
    /// The chunks blocks are cut from, and the unused rest of the newest one.
    chunks: Vec<*mut u8>,
    chunk_next: *mut u8,
    chunk_end: *mut u8,
}

impl Default for Space {
    fn default() -> Self {
        let sizes = class_sizes();
        let mut class_of_words = vec![0u8; MAX_SLOT / 8 + 1];
        let mut c = 0;
        for (w, slot) in class_of_words.iter_mut().enumerate() {
            while sizes[c] < w * 8 {
                c += 1;
            }
            *slot = c as u8;
        }
        Space {
            classes: sizes.into_iter().map(|s| Class::new(s, false)).collect(),
            class_of_words,
            large: Vec::new(),
            bytes: 0,
            spare: Vec::new(),
            chunks: Vec::new(),
            chunk_next: std::ptr::null_mut(),
            chunk_end: std::ptr::null_mut(),
        }
    }
}

fn chunk_layout() -> Layout {
    Layout::from_size_align(CHUNK, BLOCK).expect("chunk layout")
}

fn large_layout(size: usize) -> Layout {
    Layout::from_size_align(size, 16).expect("large layout")
}

/// The block holding a slot (not for large objects).
#[inline]
pub(crate) fn block_of(p: *const u8) -> &'static BlockHeader {
    // SAFETY: slots live in blocks aligned to BLOCK, whose first bytes are the header.
    unsafe { &*(((p as usize) & !(BLOCK - 1)) as *const BlockHeader) }
}

impl Space {
    /// A size class of its own for objects of `size` bytes (at most [`MAX_SLOT`]) that own
    /// memory outside the heap; returns its number, for [`Space::alloc_in`].
    pub(crate) fn owning_class(&mut self, size: usize) -> usize {
        debug_assert!((16..=MAX_SLOT).contains(&size) && size.is_multiple_of(8));
        self.classes.push(Class::new(size, true));
        self.classes.len() - 1
    }

    /// Memory for an object of `size` bytes (a multiple of 8, at least 16), allocated in
    /// `epoch`; its contents are uninitialised. Returns the memory and the bytes it takes.
    #[inline]
    pub(crate) fn alloc(&mut self, size: usize, epoch: u32) -> (*mut u8, usize) {
        if size > MAX_SLOT {
            return (self.alloc_large(size), size);
        }
        self.alloc_in(self.class_of_words[size / 8] as usize, epoch)
    }

    /// [`Space::alloc`] in size class `c`.
    #[inline]
    pub(crate) fn alloc_in(&mut self, c: usize, epoch: u32) -> (*mut u8, usize) {
        let class = &mut self.classes[c];
        if class.cursor < class.limit && class.stamped >= epoch {
            let p = class.cursor;
            // SAFETY: the run has room for this slot.
            class.cursor = unsafe { p.add(class.size) };
            return (p, class.size);
        }
        self.refill(c, epoch);
        self.alloc_in(c, epoch)
    }

    /// Makes class `c`'s current run a non-empty one whose block is marked as holding
    /// objects of `epoch`: the next free run, else a new block.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, c: usize, epoch: u32) {
        let class = &mut self.classes[c];
        if class.cursor >= class.limit {
            self.sync_top(c);
            let class = &mut self.classes[c];
            if class.free.is_null() {
                self.new_block(c);
            } else {
                let p = class.free;
                // SAFETY: `p` is the first slot of a free run.
                let (b, end, next) = unsafe { read_run(p) };
                class.free = next;
                class.free_count -= (end as usize - p as usize) / class.size;
                class.cursor = p;
                class.limit = end;
                class.block = b;
                class.stamped = 0;
            }
        }
        let class = &mut self.classes[c];
        // SAFETY: the current run's block is a live block of this class.
        let b = unsafe { &*class.block };
        if b.newest.get() < epoch {
            b.newest.set(epoch);
        }
        if b.oldest.get() > epoch {
            b.oldest.set(epoch);
        }
        class.stamped = epoch;
    }

    /// A block for a class: an emptied one, else one cut from the newest chunk (a new
    /// chunk when it is used up). The system maps a chunk's pages when they are first
    /// written, so an unused rest costs address space only.
    fn take_block(&mut self) -> *mut u8 {
        if let Some(b) = self.spare.pop() {
            return b;
        }
        if self.chunk_next == self.chunk_end {
            // SAFETY: a nonzero layout; chunks are owned by the space until dropped.
            let c = unsafe { System.alloc(chunk_layout()) };
            if c.is_null() {
                std::alloc::handle_alloc_error(chunk_layout());
            }
            self.chunks.push(c);
            self.chunk_next = c;
            // SAFETY: within the chunk just allocated.
            self.chunk_end = unsafe { c.add(CHUNK) };
        }
        let b = self.chunk_next;
        // SAFETY: the chunk has room for this block.
        self.chunk_next = unsafe { b.add(BLOCK) };
        self.bytes += BLOCK;
        b
    }

    fn new_block(&mut self, c: usize) {
        let b = self.take_block();
        let class = &mut self.classes[c];
        // SAFETY: the block is ours and large enough for its header; no slot is handed out
        // yet (its top is at the start), so the sweeper reads none of them.
        unsafe {
            (b as *mut BlockHeader).write(BlockHeader {
                class: c as u32,
                slot: class.size as u32,
                newest: Cell::new(0),
                oldest: Cell::new(u32::MAX),
                live: Cell::new(0),
                top: Cell::new(BLOCK_HEADER as u32),
                owns: class.owns,
            });
            class.cursor = b.add(BLOCK_HEADER);
            class.limit = b.add(BLOCK_HEADER + slots_per_block(class.size) * class.size);
        }
        class.block = b as *mut BlockHeader;
        class.stamped = 0;
        class.blocks.push(b as *mut BlockHeader);
    }

    /// Records how far class `c` has allocated in its current run's block (a run may end
    /// past the block's top, in memory never handed out before).
    fn sync_top(&self, c: usize) {
        let class = &self.classes[c];
        if !class.block.is_null() {
            // SAFETY: the current block is a live block of this class.
            let b = unsafe { &*class.block };
            let at = (class.cursor as usize - class.block as usize) as u32;
            if at > b.top.get() {
                b.top.set(at);
            }
        }
    }

    /// Brings every block's top up to date (before anything walks the blocks).
    pub(crate) fn sync_tops(&self) {
        for c in 0..self.classes.len() {
            self.sync_top(c);
        }
    }

    fn alloc_large(&mut self, size: usize) -> *mut u8 {
        // SAFETY: a nonzero layout.
        let p = unsafe { alloc(large_layout(size)) };
        if p.is_null() {
            std::alloc::handle_alloc_error(large_layout(size));
        }
        self.bytes += size;
        self.large.push(Large { ptr: p, size });
        p
    }

    /// Frees a dead large object (its contents already dropped).
    pub(crate) fn free_large(&mut self, l: Large) {
        self.bytes -= l.size;
        // SAFETY: allocated by `alloc_large` with this layout.
        unsafe { dealloc(l.ptr, large_layout(l.size)) };
    }

    /// The slots of a block handed out so far (up to its top; call [`Space::sync_tops`]
    /// first): their addresses, one slot size apart.
    pub(crate) fn slots(b: *mut BlockHeader) -> impl Iterator<Item = *mut u8> {
        // SAFETY: `b` is a block this space made.
        let (slot, top) = unsafe { ((*b).slot as usize, (*b).top.get() as usize) };
        let start = b as usize + BLOCK_HEADER;
        (start..b as usize + top)
            .step_by(slot)
            .map(|p| p as *mut u8)
    }

    /// Whether objects of this block own memory outside the heap.
    pub(crate) fn owning(b: *mut BlockHeader) -> bool {
        // SAFETY: `b` is a block this space made.
        unsafe { (*b).owns }
    }

    /// Sweeps the blocks after a collection that freed objects of epoch `w` or newer
    /// (every object, after a full collection: `w` is 0). `fate` decides for each slot in
    /// use of a walked block (it also clears the mark). Blocks without objects of epoch `w`
    /// or newer are left alone. A block in which nothing was marked and that holds no older
    /// object is emptied whole when `reuse`, without reading its slots (unless it owns
    /// memory outside the heap); the other blocks are walked, and the class's free runs
    /// rebuilt (keeping those of blocks left alone). Without `reuse` (`PALLAS_GC_VERIFY`),
    /// nothing is emptied and freed slots are never reused: only the fresh ends of blocks
    /// become runs.
    pub(crate) fn sweep(
        &mut self,
        w: u32,
        reuse: bool,
        mut fate: impl FnMut(*mut u8) -> Fate,
        counts: &mut SweepCounts,
    ) {
        self.sync_tops();
        for c in 0..self.classes.len() {
            let class = &mut self.classes[c];
            // The current run and the free runs of walked blocks are found again by the
            // walk.
            class.cursor = std::ptr::null_mut();
            class.limit = std::ptr::null_mut();
            class.block = std::ptr::null_mut();
            class.stamped = 0;
            let slot = class.size;
            let mut runs = Runs::default();
            let mut r = class.free;
            while !r.is_null() {
                // SAFETY: `r` is the first slot of a free run.
                let (b, end, next) = unsafe { read_run(r) };
                // SAFETY: `b` is a live block of this class.
                if unsafe { (*b).newest.get() } < w {
                    runs.add(b, r, end, slot);
                }
                r = next;
            }
            let blocks = std::mem::take(&mut class.blocks);
            let mut kept = Vec::with_capacity(blocks.len());
            for b in blocks {
                // SAFETY: blocks stay valid while the space lives.
                let h = unsafe { &*b };
                let empty = h.live.get() == 0 && h.oldest.get() >= w;
                h.live.set(0);
                if h.newest.get() < w {
                    // Only older objects here: this collection leaves them alone.
                    kept.push(b);
                    continue;
                }
                if empty && reuse && !h.owns {
                    self.spare.push(b as *mut u8);
                    counts.blocks_emptied += 1;
                    continue;
                }
                counts.blocks_walked += 1;
                let before = runs;
                let mut survivors = 0usize;
                let mut open: *mut u8 = std::ptr::null_mut();
                for p in Space::slots(b) {
                    counts.slots_read += 1;
                    // SAFETY: every slot below the top starts with a header word.
                    let o = unsafe { &*(p as *const Obj) };
                    let reusable = if o.tag() == Tag::Free {
                        reuse
                    } else {
                        match fate(p) {
                            Fate::Keep => {
                                survivors += 1;
                                false
                            }
                            Fate::Free => {
                                o.set_bits(Tag::Free as u64);
                                true
                            }
                            Fate::Leave => false,
                        }
                    };
                    if reusable {
                        if open.is_null() {
                            open = p;
                        }
                    } else if !open.is_null() {
                        runs.add(b, open, p, slot);
                        open = std::ptr::null_mut();
                    }
                }
                // The block's fresh end, never handed out, is free too.
                let top = b as usize + h.top.get() as usize;
                let end = b as usize + BLOCK_HEADER + slots_per_block(slot) * slot;
                if open.is_null() && top < end {
                    open = top as *mut u8;
                }
                if !open.is_null() {
                    runs.add(b, open, end as *mut u8, slot);
                }
                if survivors == 0 && reuse {
                    // Nothing lives here after all: the block goes back whole, and its
                    // runs off the list.
                    runs = before;
                    self.spare.push(b as *mut u8);
                    counts.blocks_emptied += 1;
                } else {
                    if w == 0 {
                        // Every survivor of a full collection is of epoch 0.
                        h.newest.set(0);
                        h.oldest.set(0);
                    }
                    kept.push(b);
                }
            }
            let class = &mut self.classes[c];
            class.blocks = kept;
            class.free = runs.first;
            class.free_count = runs.slots;
        }
    }

    /// Bytes ready for new objects without a new block: free runs, the rest of the
    /// current runs, and emptied blocks.
    pub(crate) fn free_bytes(&self) -> usize {
        self.classes
            .iter()
            .map(|c| c.free_count * c.size + (c.limit as usize - c.cursor as usize))
            .sum::<usize>()
            + self.spare.len() * BLOCK
    }

    /// Blocks in use by some class.
    pub(crate) fn blocks_in_use(&self) -> usize {
        self.classes.iter().map(|c| c.blocks.len()).sum()
    }
}

/// A list of free runs being built.
#[derive(Clone, Copy)]
struct Runs {
    first: *mut u8,
    slots: usize,
}

impl Default for Runs {
    fn default() -> Self {
        Runs {
            first: std::ptr::null_mut(),
            slots: 0,
        }
    }
}

/// The free run starting at slot `p`, as [`Runs::add`] wrote it: its block, its end and the
/// next run (null at the last).
///
/// # Safety
/// `p` is the first slot of a free run of a live block.
unsafe fn read_run(p: *mut u8) -> (*mut BlockHeader, *mut u8, *mut u8) {
    let b = block_of(p) as *const BlockHeader as *mut BlockHeader;
    // SAFETY: a run's first slot holds its end (high half of the header word) and the next
    // run (second word).
    unsafe {
        let end = (b as *mut u8).add((*(p as *const u64) >> 32) as usize);
        (b, end, *(p as *const *mut u8).add(1))
    }
}

impl Runs {
    /// Adds the free slots from `start` to `end` of block `b` as a run (read back by
    /// [`read_run`]).
    fn add(&mut self, b: *mut BlockHeader, start: *mut u8, end: *mut u8, slot: usize) {
        let at = (end as usize - b as usize) as u64;
        // SAFETY: `start` is a free slot of `b`, at least two words long.
        unsafe {
            (start as *mut u64).write(Tag::Free as u64 | (at << 32));
            (start as *mut *mut u8).add(1).write(self.first);
        }
        self.first = start;
        self.slots += (end as usize - start as usize) / slot;
    }
}

/// How many slots of `slot` bytes fit in a block.
fn slots_per_block(slot: usize) -> usize {
    (BLOCK - BLOCK_HEADER) / slot
}

impl Drop for Space {
    fn drop(&mut self) {
        for &c in &self.chunks {
            // SAFETY: every chunk was allocated by `take_block` with this layout; the objects
            // in its blocks were dropped by the heap.
            unsafe { System.dealloc(c, chunk_layout()) };
        }
        for l in self.large.drain(..) {
            // SAFETY: as in `free_large`.
            unsafe { dealloc(l.ptr, large_layout(l.size)) };
        }
    }
}
