//! Conformance with the reference: with `$PALLAS_REFERENCE` naming a checkout of the
//! reference implementation (it never enters this repository), its Sire chain `sire_01_fan`
//! ... `sire.sire` (and on to `prelude.sire`) must load with every assertion passing, under
//! both engines. Skipped, with a SKIPPED line, when the variable is not set.

mod reference;

use std::process::Command;

fn load(engine: &str, file: &str) -> Option<(bool, String)> {
    load_with(&["--engine", engine], file)
}

fn load_with(flags: &[&str], file: &str) -> Option<(bool, String)> {
    let root = reference::checkout(&format!("loading the reference's {file}"))?;
    let out = Command::new(env!("CARGO_BIN_EXE_pallas"))
        .current_dir(&root)
        .args(flags)
        .args([
            "--jet-mismatch-ignore",
            "--no-cache",
            "sire",
            "--no-repl",
            file,
        ])
        .output()
        .expect("run pallas");
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn reference_chain_loads_with_bytecode() {
    if let Some((ok, err)) = load("bytecode", "sire/sire.sire") {
        assert!(ok, "{err}");
    }
}

#[test]
fn reference_chain_loads_with_the_oracle() {
    if let Some((ok, err)) = load("oracle", "sire/sire.sire") {
        assert!(ok, "{err}");
    }
}

#[test]
fn reference_chain_loads_with_the_jit_compiling_everything_it_can() {
    if let Some((ok, err)) = load_with(&["--jit", "always", "--jit-any"], "sire/sire.sire") {
        assert!(ok, "{err}");
    }
}

/// Further up the chain (blake3, json, kern, datom, ... prelude.sire): more of the
/// reference's assertions run on our natives.
#[test]
fn reference_chain_loads_through_the_prelude() {
    if let Some((ok, err)) = load("bytecode", "sire/prelude.sire") {
        assert!(ok, "{err}");
    }
}

/// The reference's own files that it fails itself: each uses names defined nowhere in its
/// tree (`fork`, `myThreadId`, ...), so loading stops at that name, there as here.
const FAILING_IN_THE_REFERENCE: [&str; 5] = [
    "demo.sire",
    "test_kern_var.sire",
    "test_laws.sire",
    "test_ordering.sire",
    "two_cog_sandbox.sire",
];

/// Every file of the reference's `sire/` that is not a demo: each loads with all of its
/// assertions passing, with the JIT off and with it compiling everything it can (one module
/// cache per mode, so each file's predecessors are compiled once).
#[test]
fn every_non_demo_reference_file_loads_under_both_jit_modes() {
    let Some(root) = reference::checkout("loading every non-demo file of the reference") else {
        return;
    };
    let mut files: Vec<String> = std::fs::read_dir(root.join("sire"))
        .expect("reference sire/")
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sire") && !n.starts_with("demo_"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut passed = 0;
    for jit in ["off", "always"] {
        let cache = tempfile::tempdir().expect("cache dir");
        for f in &files {
            let out = Command::new(env!("CARGO_BIN_EXE_pallas"))
                .current_dir(root.join("sire"))
                .env("PALLAS_CACHE_DIR", cache.path())
                .args([
                    "--jit",
                    jit,
                    "--jet-mismatch-ignore",
                    "sire",
                    "--no-repl",
                    f,
                ])
                .stdin(std::process::Stdio::null())
                .output()
                .expect("run pallas");
            let err = String::from_utf8_lossy(&out.stderr);
            if FAILING_IN_THE_REFERENCE.contains(&f.as_str()) {
                // These must still fail, and for the reason the reference fails them.
                if out.status.success() || err.contains("ASSERTION FAILURE") {
                    failures.push(format!("{f} (--jit {jit}): expected an unresolved name"));
                }
            } else if out.status.success() {
                passed += 1;
            } else {
                let tail: Vec<&str> = err.lines().rev().take(6).collect();
                failures.push(format!("{f} (--jit {jit}): {}", tail.join(" | ")));
            }
        }
    }
    eprintln!("reference files loaded with every assertion passing: {passed} (both modes)");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
