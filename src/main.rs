//! The `pallas` command line.
use clap::Parser;
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc's `purge_delay` option (its index in mimalloc's option enum, v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // The collector frees memory in bulk and the evaluator soon allocates it again; returning
    // it to the OS at once (mimalloc's default, after 10 ms) makes every reuse fault in fresh
    // pages (17,000-20,000 page faults instead of about 400 for `bench 'nrev 400' --runs 10`,
    // and a second delay still purged between runs). Keep freed memory for ten seconds.
    // SAFETY: setting an allocator option; mimalloc allows it at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10_000) };
    let cli = pallas::cli::Cli::parse();
    if let Err(f) = pallas::cli::run(cli) {
        eprintln!("pallas: {}", f.message);
        std::process::exit(f.status);
    }
}
