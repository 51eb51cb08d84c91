//! The collector under stress: every Sire file of ours (and the reference's `sire.sire` chain
//! when `PALLAS_REFERENCE` names a checkout) loads with a collection every 64 KB allocated
//! (`PALLAS_GC_STRESS`), once reusing freed memory as usual (emptied blocks, rebuilt free
//! runs) and once with, before each sweep, a check that everything the roots reach is
//! marked and freed memory never reused (`PALLAS_GC_VERIFY`), under the interpreter and the
//! JIT; the output must be what a normal run prints.

mod reference;

use std::path::{Path, PathBuf};
use std::process::Command;

/// How a load is stressed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stress {
    /// Not at all.
    No,
    /// A collection every 64 KB.
    Collect,
    /// A collection every 64 KB, each verified, freed memory never reused.
    Verify,
}

/// Runs `pallas --no-cache --jit JIT sire --no-repl FILE` from `dir`, stressed or not;
/// returns stdout and the number of collections, failing the test on a non-zero exit.
fn load(dir: &Path, file: &Path, jit: &str, stress: Stress) -> (String, usize) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pallas"));
    c.current_dir(dir)
        .args([
            "--no-cache",
            "--jit",
            jit,
            "--heap-stats",
            "sire",
            "--no-repl",
        ])
        .arg(file);
    if stress != Stress::No {
        c.env("PALLAS_GC_STRESS", "1");
    }
    if stress == Stress::Verify {
        c.env("PALLAS_GC_VERIFY", "1");
    }
    let out = c.output().expect("run pallas");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} --jit {jit} (stress: {stress:?}): {stderr}",
        file.display()
    );
    let collections = stderr.matches("collection in").count();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        collections,
    )
}

fn sire_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect(dir)
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("sire"))
        .collect();
    files.sort();
    files
}

#[test]
fn our_sire_files_load_identically_with_a_collection_every_64_kb() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = sire_files("sire");
    files.extend(sire_files("tests/sire"));
    assert!(files.len() > 10, "{files:?}");
    let (mut plain_collections, mut stressed_collections) = (0, 0);
    for f in &files {
        let (plain, n) = load(here, f, "off", Stress::No);
        plain_collections += n;
        for (jit, stress) in [
            ("off", Stress::Collect),
            ("off", Stress::Verify),
            ("always", Stress::Verify),
        ] {
            let (stressed, n) = load(here, f, jit, stress);
            stressed_collections += n;
            assert_eq!(stressed, plain, "{} --jit {jit} {stress:?}", f.display());
        }
    }
    // The stress setting took: many more collections happened (each one verified).
    assert!(
        stressed_collections > 4 * plain_collections,
        "{stressed_collections} collections under stress, {plain_collections} without"
    );
}

#[test]
fn the_reference_compiler_chain_loads_with_a_collection_every_64_kb() {
    let Some(root) =
        reference::checkout("the_reference_compiler_chain_loads_with_a_collection_every_64_kb")
    else {
        return;
    };
    let dir = root.join("sire");
    let f = Path::new("sire.sire");
    let (plain, plain_collections) = load(&dir, f, "off", Stress::No);
    for (jit, stress) in [
        ("off", Stress::Collect),
        ("off", Stress::Verify),
        ("always", Stress::Verify),
    ] {
        let (stressed, n) = load(&dir, f, jit, stress);
        assert_eq!(stressed, plain, "sire.sire --jit {jit} {stress:?}");
        assert!(n > 4 * plain_collections, "{n} collections under stress");
    }
}
