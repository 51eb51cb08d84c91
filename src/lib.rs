//! The pallas front end: the PLAN expression syntax, the Rex reader and printer, the Sire
//! compiler, and the command line.

pub mod cli;
pub mod loot;
pub mod plan_syntax;
pub mod rex;
pub mod sire;

/// mimalloc's `purge_delay` option (its index in mimalloc's option enum, v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets up mimalloc (the global allocator of our binaries and benchmarks) for our heap.
///
/// The collector frees memory in bulk and the evaluator soon allocates it again; returning it
/// to the OS at once (mimalloc's default, after 10 ms) makes every reuse fault in fresh pages
/// (17,000-20,000 page faults instead of about 400 for `bench 'nrev 400' --runs 10`, and a
/// one-second delay still purged between runs). Freed memory is kept for ten seconds.
pub fn tune_allocator() {
    // SAFETY: setting an allocator option; mimalloc allows it at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10_000) };
}

/// The global allocator of our binaries and benchmarks: mimalloc, through its plain entry
/// points whenever the alignment asked for is one every mimalloc block of that size has (the
/// `mimalloc` crate's own wrapper always takes the aligned ones, which cost more per call; our
/// heap allocates an object per thunk or application).
pub struct Allocator;

/// Whether mimalloc's plain `malloc` already gives a block of this layout its alignment
/// (every mimalloc block is aligned to a word, 8 bytes).
fn plain_alignment_suffices(layout: std::alloc::Layout) -> bool {
    layout.align() <= 8
}

// SAFETY: every entry point hands the layout's size and alignment to mimalloc (the aligned
// entry points whenever the plain ones might not align enough), and frees with `mi_free`,
// which takes blocks from any of them.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        if plain_alignment_suffices(layout) {
            mi::mi_malloc(layout.size()) as *mut u8
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        if plain_alignment_suffices(layout) {
            mi::mi_zalloc(layout.size()) as *mut u8
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        libmimalloc_sys::mi_free(ptr as *mut std::ffi::c_void)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys as mi;
        if plain_alignment_suffices(layout) {
            mi::mi_realloc(ptr as *mut std::ffi::c_void, new_size) as *mut u8
        } else {
            mi::mi_realloc_aligned(ptr as *mut std::ffi::c_void, new_size, layout.align())
                as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Allocator;
    use std::alloc::{GlobalAlloc, Layout};

    /// Every block is aligned as asked, zeroed blocks are zero, and reallocation keeps the
    /// contents, for alignments from 1 to 64 and sizes from 1 to 300.
    #[test]
    fn allocator_blocks_are_aligned_and_keep_their_contents() {
        for align in [1usize, 2, 4, 8, 16, 32, 64] {
            for size in (1..300).step_by(7) {
                let layout = Layout::from_size_align(size, align).expect("a layout");
                // SAFETY: non-zero sizes; each block is written within its size, reallocated
                // with its own layout and freed once.
                unsafe {
                    let z = Allocator.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed {size}/{align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    Allocator.dealloc(z, layout);
                    let p = Allocator.alloc(layout);
                    assert_eq!(p as usize % align, 0, "{size}/{align}");
                    for i in 0..size {
                        *p.add(i) = i as u8;
                    }
                    let q = Allocator.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc {size}/{align}");
                    assert!((0..size).all(|i| *q.add(i) == i as u8));
                    Allocator.dealloc(
                        q,
                        Layout::from_size_align(size * 3, align).expect("a layout"),
                    );
                }
            }
        }
    }
}
