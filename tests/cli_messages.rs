//! What `pallas` tells a person: every command's `--help` ends with examples that work as
//! written, and errors name the file (and line) and say what to do.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::pallas;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pallas-messages-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The subcommands `pallas --help` lists.
fn subcommands() -> Vec<String> {
    let (code, out, err) = pallas(&["--help"]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

/// The example command lines at the end of a `--help` text.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Examples:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn every_command_has_examples_that_work() {
    let commands = subcommands();
    assert!(commands.len() >= 10, "{commands:?}");
    let dir = scratch("examples");
    // The examples name files of the repository (sire/...) and a few of their own.
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sire"),
        dir.join("sire"),
    )
    .expect("link sire/");
    std::fs::write(
        dir.join("prog.sire"),
        "#### prog\n= (echo input) | 0 0 3 0 echo input\n= main echo\n",
    )
    .expect("prog.sire");
    std::fs::write(dir.join("in.txt"), "hello").expect("in.txt");
    let bin = Path::new(env!("CARGO_BIN_EXE_pallas"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for c in &commands {
        let (code, help, err) = pallas(&[c, "--help"]);
        assert_eq!(code, 0, "{c}: {err}");
        let ex = examples(&help);
        assert!(
            !ex.is_empty(),
            "`pallas {c} --help` has no examples:\n{help}"
        );
        for line in ex {
            assert!(
                line.contains(&format!("pallas {c}")) || line.contains(&format!(" {c} ")),
                "{c}: {line}"
            );
            // A machine that runs until it is stopped is not run here.
            if line.contains("pallas start") && !line.contains("--print-hash") {
                continue;
            }
            let out = Command::new("sh")
                .args(["-c", &line])
                .current_dir(&dir)
                .env("PATH", &path)
                .env("PALLAS_CACHE_DIR", dir.join("cache"))
                .stdin(Stdio::null())
                .output()
                .expect("run the example");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "`{line}` failed:\n{stderr}");
            // The REPL reports a failing block and goes on; an example must have none.
            assert!(
                !stderr.contains("hint:") && !stderr.contains("REPL:"),
                "`{line}`:\n{stderr}"
            );
            ran += 1;
        }
    }
    assert!(ran >= 20, "{ran} examples ran");
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `pallas` and returns (status, stderr), checking that it did not panic.
fn fails(args: &[&str]) -> (i32, String) {
    let (code, _, err) = pallas(args);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (code, err)
}

#[test]
fn a_missing_file_is_named_with_what_to_do() {
    let dir = scratch("missing");
    let f = dir.join("nowhere.sire");
    let f = f.to_str().expect("path");
    for args in [
        vec!["sire", "--no-repl", f],
        vec!["prof", f, "1"],
        vec!["save", "out.seed", f],
        vec!["bench", "--sire", f, "1"],
    ] {
        let (code, err) = fails(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{f}: cannot read")) && err.contains("hint: check the path"),
            "{args:?}: {err}"
        );
    }
    let (code, err) = fails(&["show", dir.join("none.seed").to_str().expect("path")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("none.seed") && err.contains("check the path"),
        "{err}"
    );
}

#[test]
fn a_bad_sire_file_is_named_with_its_line() {
    let dir = scratch("bad");
    let cases = [
        (
            "syntax.sire",
            "#### syntax\n\n= (f x) | x\n= (g y | y\n",
            "syntax.sire:4: bad Rex",
            "hint: fix the syntax",
        ),
        (
            "unbound.sire",
            "#### unbound\n\n= (f x) | undefinedThing x\n",
            "unbound.sire:3: Unresolved symbol: undefinedThing",
            "hint: define `undefinedThing`",
        ),
        (
            "assert.sire",
            "#### assert\n\n=?= 1 2\n",
            "assert.sire:3: ASSERTION FAILURE",
            "left:  1",
        ),
        (
            "noheader.sire",
            "= x 3\n",
            "noheader.sire: All files must start",
            "hint: make the first line",
        ),
    ];
    for (name, src, want, hint) in cases {
        let f = dir.join(name);
        std::fs::write(&f, src).expect("write");
        let (code, err) = fails(&["sire", "--no-repl", f.to_str().expect("path")]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(want) && err.contains(hint), "{name}: {err}");
    }
    // A missing predecessor: the message names both files.
    let f = dir.join("child.sire");
    std::fs::write(&f, "#### child <- nothere\n\n= x 3\n").expect("write");
    let (code, err) = fails(&["sire", "--no-repl", f.to_str().expect("path")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nothere.sire: cannot read")
            && err.contains("while loading")
            && err.contains("child.sire"),
        "{err}"
    );
}

#[test]
fn a_bad_seed_is_named_with_what_it_should_be() {
    let dir = scratch("seed");
    let f = dir.join("bad.seed");
    std::fs::write(&f, b"not a seed").expect("write");
    for cmd in ["show", "repl"] {
        let (code, err) = fails(&[cmd, f.to_str().expect("path")]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains("bad.seed: bad seed"), "{cmd}: {err}");
        assert!(
            err.contains("hint:") && err.contains("pallas save"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn an_unwritable_output_says_where_and_why() {
    let dir = scratch("unwritable");
    let page = dir.join("no/such/dir/bench.html");
    let (code, err) = fails(&[
        "bench",
        "--runs",
        "1",
        "--html",
        page.to_str().expect("path"),
        "(3 4)",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("bench.html") && err.contains("is the directory there"),
        "{err}"
    );
    let svg = dir.join("no/such/dir/p.svg");
    let (code, err) = fails(&[
        "--jit",
        "always",
        "prof",
        concat!(env!("CARGO_MANIFEST_DIR"), "/sire/bench.sire"),
        "fib 18",
        "--svg",
        svg.to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("p.svg") && err.contains("is the directory there"),
        "{err}"
    );
}

/// A reader that goes away (`pallas jets | head -0`) ends the command quietly: no panic
/// from a write to the closed pipe.
#[test]
fn a_closed_stdout_ends_a_command_without_a_panic() {
    for args in [&["jets"][..], &["plan", "(0 1 2 3)"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pallas"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pallas");
        // Close our end before the command writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}
