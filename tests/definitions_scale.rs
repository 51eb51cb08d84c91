//! Loading a file of n definitions does work about linear in n: each definition inserts
//! into the scope, which must not copy it (that made loading 20,000 definitions take
//! minutes). Measured deterministically, as the bytes the heap allocated.

use pallas::sire::session::Session;
use pallas_runtime::{Config, Runtime};

/// A module after our `arith`, then `n` definitions, one per block; each but the first uses
/// the one before (as `scripts/gen-defs.py --chain` writes them).
fn definitions(n: usize) -> String {
    let mut s = String::from("#### defs <- arith\n\n:| arith\n\n= v0 0\n\n");
    for i in 1..n {
        s.push_str(&format!("= v{i} (_Add v{} {i})\n\n", i - 1));
    }
    s
}

/// The bytes allocated while loading [`definitions`]`(n)`, after checking the last binding.
fn bytes_to_load(n: usize) -> u64 {
    let mut rt = Runtime::new(Config::default());
    let mut s = Session::new(&mut rt);
    s.quiet();
    s.load_file(&mut rt, std::path::Path::new("sire/arith.sire"))
        .unwrap_or_else(|f| panic!("{f}"));
    let before = rt.heap.total_bytes;
    s.run_source(&mut rt, "defs.sire", &definitions(n), true, &mut |_| {})
        .unwrap_or_else(|f| panic!("{f}"));
    let used = rt.heap.total_bytes - before;
    let st = s.state(&mut rt);
    let last = pallas::sire::state::lookup_val(&mut rt, st, &format!("v{}", n - 1))
        .expect("a state")
        .expect("the last definition is bound");
    let want = (n * (n - 1) / 2) as u64;
    assert_eq!(
        last.as_small(),
        Some(want),
        "v{} is the sum below {n}",
        n - 1
    );
    used
}

#[test]
fn loading_four_times_the_definitions_allocates_about_four_times_the_bytes() {
    let small = bytes_to_load(2_000);
    let large = bytes_to_load(8_000);
    let ratio = large as f64 / small as f64;
    println!("2,000 definitions: {small} bytes; 8,000: {large} bytes; ratio {ratio:.2}");
    // Linear growth gives 4, n log n about 4.7; copying the scope at every definition
    // (n²) gave about 16.
    assert!(
        ratio < 6.0,
        "allocation grows faster than n log n: ratio {ratio:.2}"
    );
}
