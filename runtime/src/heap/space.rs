//! Where heap objects live: 64 KB blocks, each holding slots of one size class, and large
//! objects allocated one by one. Nothing is kept per object besides the object itself: a
//! block's slots are found by walking it, free slots are linked through their second word.
//!
//! Allocation takes a slot from the size class's free list (memory freed by the last
//! collection is reused first, which keeps the heap near its live size), else the next slot
//! of the class's run of fresh memory (a pointer bump and a limit check), else a new block.
//!
//! Blocks come from the system allocator in chunks of 4 MB (64 blocks), not one by one from
//! the global allocator: mimalloc rounds a 64 KB-aligned 64 KB request up to twice that, and
//! the heap's resident memory was 2-3x its size.

use std::alloc::{alloc, dealloc, GlobalAlloc, Layout, System};

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
    pub(crate) newest: std::cell::Cell<u32>,
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

/// One size class: its blocks, its free list and its current run of fresh memory.
pub(crate) struct Class {
    pub(crate) size: usize,
    /// Bump allocation in the newest block: next slot and end.
    cursor: *mut u8,
    limit: *mut u8,
    /// Free slots, linked through their second word.
    free: *mut u8,
    /// Every block of this class.
    pub(crate) blocks: Vec<*mut BlockHeader>,
    /// Slots on the free list.
    pub(crate) free_count: usize,
}

/// A large object: its address and size.
pub(crate) struct Large {
    pub(crate) ptr: *mut u8,
    pub(crate) size: usize,
}

/// All the memory of the heap.
pub(crate) struct Space {
    pub(crate) classes: Vec<Class>,
    /// Size class of each size in words (index: bytes / 8).
    class_of_words: Vec<u8>,
    pub(crate) large: Vec<Large>,
    /// Bytes in blocks and large objects.
    pub(crate) bytes: usize,
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
            classes: sizes
                .into_iter()
                .map(|size| Class {
                    size,
                    cursor: std::ptr::null_mut(),
                    limit: std::ptr::null_mut(),
                    free: std::ptr::null_mut(),
                    blocks: Vec::new(),
                    free_count: 0,
                })
                .collect(),
            class_of_words,
            large: Vec::new(),
            bytes: 0,
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
    /// Memory for an object of `size` bytes (a multiple of 8, at least 16), allocated in
    /// `epoch`; its contents are uninitialised. Returns the memory and the bytes it takes.
    #[inline]
    pub(crate) fn alloc(&mut self, size: usize, epoch: u32) -> (*mut u8, usize) {
        if size > MAX_SLOT {
            return (self.alloc_large(size), size);
        }
        let c = self.class_of_words[size / 8] as usize;
        let class = &mut self.classes[c];
        let slot = class.size;
        if !class.free.is_null() {
            let p = class.free;
            // SAFETY: free slots hold the next free slot in their second word.
            class.free = unsafe { *(p as *const *mut u8).add(1) };
            class.free_count -= 1;
            let b = block_of(p);
            if b.newest.get() < epoch {
                b.newest.set(epoch);
            }
            return (p, slot);
        }
        if class.cursor < class.limit {
            let p = class.cursor;
            // SAFETY: the run has room for this slot.
            class.cursor = unsafe { p.add(slot) };
            let b = block_of(p);
            if b.newest.get() < epoch {
                b.newest.set(epoch);
            }
            return (p, slot);
        }
        self.new_block(c, epoch);
        self.alloc(size, epoch)
    }

    /// A fresh block, cut from the newest chunk (a new chunk when it is used up). The
    /// system maps a chunk's pages when they are first written, so an unused rest costs
    /// address space only.
    fn take_block(&mut self) -> *mut u8 {
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
        b
    }

    fn new_block(&mut self, c: usize, epoch: u32) {
        let b = self.take_block();
        self.bytes += BLOCK;
        let class = &mut self.classes[c];
        // SAFETY: the block is fresh and large enough for its header.
        unsafe {
            (b as *mut BlockHeader).write(BlockHeader {
                class: c as u32,
                slot: class.size as u32,
                newest: std::cell::Cell::new(epoch),
            });
            // Slots not yet handed out read as free to the sweeper.
            let mut p = b.add(BLOCK_HEADER);
            let end = b.add(BLOCK);
            while p.add(class.size) <= end {
                (*(p as *const Obj)).set_bits(Tag::Free as u64);
                p = p.add(class.size);
            }
            class.cursor = b.add(BLOCK_HEADER);
            class.limit = b.add(BLOCK_HEADER + slots_per_block(class.size) * class.size);
        }
        class.blocks.push(b as *mut BlockHeader);
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

    /// Puts a dead slot (its contents already dropped) on its class's free list.
    pub(crate) fn free_slot(&mut self, p: *mut u8) {
        let b = block_of(p);
        let class = &mut self.classes[b.class as usize];
        // SAFETY: the slot is dead and at least two words long.
        unsafe {
            (*(p as *const Obj)).set_bits(Tag::Free as u64);
            *(p as *mut *mut u8).add(1) = class.free;
        }
        class.free = p;
        class.free_count += 1;
    }

    /// Frees a dead large object (its contents already dropped).
    pub(crate) fn free_large(&mut self, l: Large) {
        self.bytes -= l.size;
        // SAFETY: allocated by `alloc_large` with this layout.
        unsafe { dealloc(l.ptr, large_layout(l.size)) };
    }

    /// The slots of a block: their addresses, one slot size apart.
    pub(crate) fn slots(b: *mut BlockHeader) -> impl Iterator<Item = *mut u8> {
        // SAFETY: `b` is a block this space made.
        let slot = unsafe { (*b).slot as usize };
        let start = b as usize + BLOCK_HEADER;
        (0..slots_per_block(slot)).map(move |i| (start + i * slot) as *mut u8)
    }

    /// Slots handed out by bump allocation that are still in the current run (they read as
    /// free, so the sweeper leaves them alone; this only says how many there are).
    pub(crate) fn unused_run_bytes(&self) -> usize {
        self.classes
            .iter()
            .map(|c| c.limit as usize - c.cursor as usize)
            .sum()
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
