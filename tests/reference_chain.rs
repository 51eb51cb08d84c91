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
    if let Some((ok, err)) = load_with(&["--jit", "always"], "sire/sire.sire") {
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
