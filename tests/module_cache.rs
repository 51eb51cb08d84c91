//! The module cache: a second load of a chain starts from the cached state, gives the same
//! results, notices edited predecessors, and survives a corrupt entry.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-cache-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("sire")).expect("mkdir");
    d
}

/// Runs `pallas sire --no-repl top.sire` in `root` with the cache in `root/cache`.
fn load(root: &Path) -> (i32, String, String) {
    load_with(root, &[])
}

/// [`load`] with extra global flags.
fn load_with(root: &Path, flags: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pallas"))
        .args(flags)
        .args(["sire", "--no-repl", "sire/top.sire"])
        .current_dir(root)
        .env("PALLAS_CACHE_DIR", root.join("cache"))
        .output()
        .expect("run pallas");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A chain base <- middle <- top; `base` defines `k` and traces when its block runs.
fn write_chain(root: &Path, base_value: u32) {
    let s = root.join("sire");
    std::fs::write(
        s.join("base.sire"),
        format!(
            "#### base\n\n= (_Trace msg x) | 2 x (_ & x) (4 msg)\n\n= (k a b) | a\n\n\
             = seven | _Trace {{base ran}} {base_value}\n\n^-^ k seven\n"
        ),
    )
    .expect("write");
    std::fs::write(
        s.join("middle.sire"),
        "#### middle <- base\n\n:| base\n\n= (twice f x) | f (f x)\n\n^-^ k seven twice\n",
    )
    .expect("write");
    std::fs::write(
        s.join("top.sire"),
        "#### top <- middle\n\n:| middle\n\n= answer | twice (k seven) 0\n",
    )
    .expect("write");
}

fn entries(root: &Path) -> usize {
    std::fs::read_dir(root.join("cache"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn second_load_uses_the_cache_and_gives_the_same_output() {
    let root = dir("same");
    write_chain(&root, 7);
    let (code, first, err) = load(&root);
    assert_eq!(code, 0, "{err}");
    assert!(first.contains("answer=7"), "{first}");
    // Predecessors do not print their bindings; base's trace shows that it ran.
    assert!(!first.contains("seven=7"), "{first}");
    assert!(err.contains("base ran"), "{err}");
    // The states after `middle` (the predecessor) and `top` are saved.
    assert_eq!(entries(&root), 2, "{err}");
    let (code, second, err) = load(&root);
    assert_eq!(code, 0, "{err}");
    // The file itself always runs; its predecessors came from the cache.
    assert_eq!(first, second);
    assert!(
        !err.contains("base ran"),
        "base ran again despite the cache: {err}"
    );
    // Another engine keeps its own entries: it compiles the chain itself.
    let (code, oracle, err) = load_with(&root, &["--engine", "oracle"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(first, oracle);
    assert!(err.contains("base ran"), "{err}");
    assert_eq!(entries(&root), 4);
}

#[test]
fn an_edited_predecessor_is_compiled_again() {
    let root = dir("edit");
    write_chain(&root, 7);
    let (code, out, err) = load(&root);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("answer=7"), "{out}");
    write_chain(&root, 9);
    let (code, out, err) = load(&root);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("answer=9"), "stale cache used: {out}");
}

#[test]
fn a_corrupt_entry_is_reported_and_ignored() {
    let root = dir("corrupt");
    write_chain(&root, 7);
    let (code, _, err) = load(&root);
    assert_eq!(code, 0, "{err}");
    for e in std::fs::read_dir(root.join("cache")).expect("cache dir") {
        let p = e.expect("entry").path();
        std::fs::write(&p, b"SEEDPOD:garbage").expect("corrupt");
    }
    let (code, out, err) = load(&root);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("answer=7"), "{out}");
    assert!(
        err.contains("ignoring unreadable module cache entry"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_cycle_of_predecessors_is_an_error() {
    let root = dir("cycle");
    let s = root.join("sire");
    std::fs::write(s.join("top.sire"), "#### top <- other\n").expect("write");
    std::fs::write(s.join("other.sire"), "#### other <- top\n").expect("write");
    let (code, _, err) = load(&root);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("its own predecessor"), "{err}");
}
