//! Runs `pallas sire` on our own Sire test files: every `=?=` must hold.

use std::process::Command;

fn run_sire(file: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pallas"))
        .args(["sire", "--no-repl", file])
        .output()
        .expect("run pallas")
}

#[test]
fn basic_assertions_hold() {
    let out = run_sire("tests/sire/basic.sire");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn failing_assertion_exits_2() {
    let dir = std::env::temp_dir().join(format!("pallas-sire-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.sire");
    std::fs::write(&f, "#### bad\n\n=?= 1 2\n").unwrap();
    let out = run_sire(f.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ASSERTION FAILURE"), "{err}");
    assert!(err.contains("bad.sire:3"), "{err}");
}
