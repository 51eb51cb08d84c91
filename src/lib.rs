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
