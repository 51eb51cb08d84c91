//! Where the tests that compare with the reference implementation find its checkout: the
//! directory named by `$PALLAS_REFERENCE` (a work tree of github.com/operating-function/pallas;
//! it never enters this repository). Without it, those tests print a SKIPPED line and pass.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// The reference checkout, or `None` (after a loud SKIPPED line naming `test`) when
/// `$PALLAS_REFERENCE` is not set. A set variable that does not name a checkout with a
/// `sire/` directory fails the test: whoever set it meant the test to run.
pub fn checkout(test: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("PALLAS_REFERENCE").filter(|d| !d.is_empty()) else {
        // Straight to stderr, in one write: the test harness captures `eprintln!` of
        // passing tests, and tests run in parallel.
        let line = format!(
            "\n*** SKIPPED {test}: set PALLAS_REFERENCE to a checkout of the reference \
             implementation to run it ***\n"
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        return None;
    };
    let dir = std::fs::canonicalize(&dir)
        .unwrap_or_else(|e| panic!("PALLAS_REFERENCE={}: {e}", PathBuf::from(&dir).display()));
    assert!(
        dir.join("sire").is_dir(),
        "PALLAS_REFERENCE={} has no sire/ directory: not a checkout of the reference",
        dir.display()
    );
    Some(dir)
}
