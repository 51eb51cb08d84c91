//! Seeds from the command line: `plan --seed`, `show`, `save`, and bad files.

mod common;

use common::pallas;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-seed-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d.join(name)
}

#[test]
fn plan_seed_then_show_round_trips() {
    let f = tmp("a.seed");
    let fs = f.to_string_lossy().to_string();
    let expr = "({f 3 (0 1 2)} 5 <{g 1 0}>)";
    let (code, _, err) = pallas(&["plan", "--seed", &fs, expr]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = pallas(&["show", "--plan", &fs]);
    assert_eq!(code, 0, "{err}");
    let (_, direct, _) = pallas(&["plan", expr]);
    assert_eq!(out, direct);
}

#[test]
fn corrupt_seed_is_a_clear_error() {
    let f = tmp("bad.seed");
    std::fs::write(&f, [1u8, 0, 0, 0, 0, 0, 0, 0, 9, 9]).expect("write");
    let (code, _, err) = pallas(&["show", &f.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad seed at byte"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, _, err) = pallas(&["show", "/nonexistent/x.seed"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn save_writes_main_as_a_seed_and_a_pod() {
    let src = tmp("m.sire");
    std::fs::write(&src, "#### m\n\n= main (0 1 2)\n").expect("write");
    for pod in [false, true] {
        let out = tmp(if pod { "m.pod" } else { "m.seed" });
        let outs = out.to_string_lossy().to_string();
        let srcs = src.to_string_lossy().to_string();
        let mut args = vec!["save", &outs, &srcs];
        if pod {
            args.insert(1, "--pod");
        }
        let (code, _, err) = pallas(&args);
        assert_eq!(code, 0, "{err}");
        let (code, shown, err) = pallas(&["show", "--plan", &outs]);
        assert_eq!(code, 0, "{err}");
        let want = if pod { "<(0 1 2)>" } else { "(0 1 2)" };
        assert_eq!(shown.trim(), want);
    }
}

/// Runs `pallas repl SEED` with `input` on stdin.
fn repl_with_input(seed: &str, input: &[u8]) -> (i32, Vec<u8>, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_pallas"))
        .args(["repl", seed])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pallas");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn repl_threads_state_through_chunks_of_input() {
    // `delay` answers each chunk with the previous one (the first with an empty bar), so the
    // whole input comes out only if the state is threaded and the final empty chunk is sent.
    let src = tmp("delay.sire");
    std::fs::write(
        &src,
        "#### delay\n= (delay prev input) | 0 0 3 0 (delay input) prev\n= main (delay (0 1 1 1))\n",
    )
    .expect("write");
    let seed = tmp("delay.seed");
    let seed_s = seed.to_string_lossy().to_string();
    let (code, _, err) = pallas(&["save", &seed_s, &src.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let input: Vec<u8> = (0..500u32).map(|i| b'a' + (i % 26) as u8).collect();
    let (code, out, err) = repl_with_input(&seed_s, &input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, input);
}

#[test]
fn repl_reports_a_program_that_does_not_answer_a_pair() {
    let src = tmp("notpair.sire");
    std::fs::write(&src, "#### notpair\n= main (x & x)\n").expect("write");
    let seed = tmp("notpair.seed");
    let seed_s = seed.to_string_lossy().to_string();
    let (code, _, err) = pallas(&["save", &seed_s, &src.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = repl_with_input(&seed_s, b"hi");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("instead of [output-bar next-program]"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
