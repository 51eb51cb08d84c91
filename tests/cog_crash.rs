//! A cog whose step crashes, with real processes (`tests/cog/crashy.sire`: its driver
//! writes 5, 0 (a crash), "spin" (past the step limit) and 7 on every start). By default the
//! machine stops, naming the input and the crash, and commits nothing, on every restart;
//! with `start --skip-crashing-inputs` it drops the inputs that fail and goes on, across
//! restarts.

mod machine;

use machine::*;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `pallas start DIR --step-limit 1 ARGS...`, with stderr in `err` and stdout's lines on a
/// channel.
fn start(dir: &Path, args: &[&str], err: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = pallas()
        .args(["start", &dir.to_string_lossy(), "--step-limit", "1"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(err).expect("stderr file"))
        .spawn()
        .expect("spawn pallas start");
    let rx = stdout_lines(&mut child);
    (child, rx)
}

/// Waits (at most a minute) for `child` to exit; its status code.
fn exit_code(child: &mut Child) -> Option<i32> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("the machine did not stop");
}

/// The sums the cog traced, in order.
fn sums(lines: &mpsc::Receiver<String>) -> Vec<u64> {
    lines
        .try_iter()
        .filter(|l| l.contains(" trk "))
        .map(|l| last_number(&l))
        .collect()
}

/// Stops a running machine with SIGTERM; checks it stopped cleanly.
fn terminate(child: &mut Child) {
    let pid = child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(st.success());
    assert_eq!(exit_code(child), Some(0), "a clean stop");
}

#[test]
fn a_crashing_step_commits_nothing_and_is_skipped_only_when_asked() {
    let dir = store("crash");
    let err = dir.with_extension("stderr");
    boot_ok(&dir, "tests/cog/crashy.sire");
    let booted = print_hash(&dir, false);

    // By default: the machine stops and names the input and the crash, on every start.
    for round in 0..2 {
        let (mut child, lines) = start(&dir, &[], &err);
        assert_eq!(exit_code(&mut child), Some(1), "round {round}");
        let stderr = std::fs::read_to_string(&err).expect("stderr");
        for what in [
            "the cog crashed",
            "op 7 with argument 0",
            "on the input [0 [2 0]] (input 2 of the step's 4)",
            "nothing of the step was committed",
            "--skip-crashing-inputs",
        ] {
            assert!(stderr.contains(what), "no {what:?} in:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(sums(&lines), Vec::<u64>::new(), "a failed step traced");
        assert_eq!(
            print_hash(&dir, false),
            booted,
            "round {round} committed something"
        );
    }

    // Skipping: 5 and 7 are committed one at a time, 0 and "spin" are dropped with a message.
    let (mut child, lines) = start(&dir, &["--skip-crashing-inputs"], &err);
    assert_eq!(next_number(&lines, "trk"), 5);
    assert_eq!(next_number(&lines, "trk"), 12);
    terminate(&mut child);
    let stderr = std::fs::read_to_string(&err).expect("stderr");
    for what in [
        "on a step of 4 inputs; running them one at a time",
        "op 7 with argument 0, on the input [0 [2 0]]; the input is dropped",
        "past the limit of 1s and was abandoned (nothing of it was committed), on the input [0 [3 {spin}]]; the input is dropped",
        "stopped at batch 2",
    ] {
        assert!(stderr.contains(what), "no {what:?} in:\n{stderr}");
    }
    let after = print_hash(&dir, false);
    assert_ne!(after, booted);

    // A restart replays what was committed and skips the failing inputs again.
    let (mut child, lines) = start(&dir, &["--skip-crashing-inputs"], &err);
    assert_eq!(next_number(&lines, "trk"), 17, "the sum did not survive");
    assert_eq!(next_number(&lines, "trk"), 24);
    terminate(&mut child);
    let stderr = std::fs::read_to_string(&err).expect("stderr");
    assert!(stderr.contains("started"), "{stderr}");
    assert!(stderr.contains("at batch 2"), "{stderr}");
    assert!(stderr.contains("stopped at batch 4"), "{stderr}");

    // Without the flag, the next start stops again and leaves the state as it was.
    let (mut child, _lines) = start(&dir, &[], &err);
    assert_eq!(exit_code(&mut child), Some(1));
    let stderr = std::fs::read_to_string(&err).expect("stderr");
    assert!(stderr.contains("input 2 of the step's 4"), "{stderr}");
    let (mut child, lines) = start(&dir, &["--skip-crashing-inputs"], &err);
    assert_eq!(
        next_number(&lines, "trk"),
        29,
        "the failed start changed the state"
    );
    terminate(&mut child);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&err);
}

#[test]
fn a_dropped_ask_is_answered_0_and_the_other_asks_keep_their_replies() {
    // tests/cog/skipask.sire: asks of 1, 0 and 3 taken by one step of a server that crashes
    // on 0. The k-th output of a tell answers the k-th ask taken: the dropped ask must
    // leave that count, or the reply to 3 would go to the ask of 0.
    let dir = store("skipask");
    boot_ok(&dir, "tests/cog/skipask.sire");
    let err = dir.with_extension("err");
    let (mut child, lines) = start(&dir, &["--skip-crashing-inputs"], &err);
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(next_trace_pair(&lines));
    }
    terminate(&mut child);
    got.sort_unstable();
    assert_eq!(got, [(2, 2), (3, 99), (4, 6)], "(request, reply; 99: none)");
    let err = std::fs::read_to_string(&err).expect("stderr");
    assert!(err.contains("is dropped (--skip-crashing-inputs)"), "{err}");
}
