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

/// Every Sire file of ours gives the same output under every engine, jet and JIT setting.
#[test]
fn our_sire_files_run_identically_under_every_engine() {
    let mut files: Vec<_> = std::fs::read_dir("tests/sire")
        .expect("tests/sire")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("sire"))
        .collect();
    if let Ok(d) = std::fs::read_dir("sire") {
        files.extend(
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("sire")),
        );
    }
    assert!(!files.is_empty());
    for f in files {
        // Files marked `needs-jets` compute on byte strings: their PLAN arithmetic is unary,
        // so without jets it would need more steps than there is time.
        let needs_jets = std::fs::read_to_string(&f)
            .map(|s| s.contains("needs-jets"))
            .unwrap_or(false);
        let mut outputs = Vec::new();
        for flags in [
            &["--engine", "bytecode", "--jit", "off"][..],
            &["--engine", "bytecode", "--jit", "always"][..],
            &["--engine", "bytecode", "--jit", "always", "--jit-any"][..],
            &["--engine", "oracle"][..],
            &["--engine", "bytecode", "--no-jets", "--jit", "off"][..],
            &["--engine", "bytecode", "--no-jets", "--jit", "always"][..],
        ] {
            if needs_jets && flags.contains(&"--no-jets") {
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_pallas"))
                .args(flags)
                .args(["sire", "--no-repl"])
                .arg(&f)
                .output()
                .expect("run pallas");
            assert!(
                out.status.success(),
                "{} {flags:?}: {}",
                f.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            outputs.push(out.stdout);
        }
        assert!(
            outputs.windows(2).all(|w| w[0] == w[1]),
            "{}: engines print different results",
            f.display()
        );
    }
}

/// What `pallas bytecode` prints for a law of tests/sire/inline_and_truth.sire.
fn inline_test_bytecode(law: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pallas"))
        .args(["bytecode", "tests/sire/inline_and_truth.sire", law])
        .output()
        .expect("run pallas");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Calls of tiny laws are compiled into their callers, and the boolean jets into jumps: the
/// bytecode of these laws calls nothing but itself (the values are checked by the file's
/// assertions under every engine, above).
#[test]
fn tiny_laws_and_boolean_jets_compile_inline() {
    for law in [
        "useTwice",
        "useAp",
        "useSwap",
        "useKMore",
        "countDigits",
        "andOf",
        "orOf",
        "notOf",
        "isAppOf",
        "isNatOf",
        "isLawOf",
        "isPinOf",
    ] {
        let text = inline_test_bytecode(law);
        let calls: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("call #") || l.contains("tail #") || l.contains("lazy #"))
            .collect();
        assert!(calls.is_empty(), "{law} still calls: {calls:?}\n{text}");
    }
}

/// Row constructors (jets whose bodies are the rows) are inlined, so no call of them is left;
/// laws that only build a row are marked as constructors (their callers build the row); and
/// inlining a tower of tiny laws, each calling the one below four times, stops at its
/// budget (without one the top law's bytecode has over 4,000 instructions).
#[test]
fn constructors_inline_and_inlining_stops_at_its_budget() {
    let bytecode = inline_test_bytecode;
    for law in ["withSeven", "tag3"] {
        let text = bytecode(law);
        assert!(text.contains("; a constructor"), "{law}:\n{text}");
    }
    assert!(!bytecode("madeAfter").contains("; a constructor"));
    let pair = bytecode("pairUp");
    assert!(!pair.contains("<{v2") && !pair.contains("<{v3"), "{pair}");
    let tower = bytecode("tower6");
    let n = tower.lines().count();
    assert!(n < 400, "tower6 has {n} lines of bytecode");
}
