//! The heap limit (`--max-heap`): past it, after a collection, a command stops with an
//! out-of-memory error and exit status 1, and a machine abandons the step without committing
//! anything of it; never an abort, a panic or the system's out-of-memory killer.

mod machine;

use machine::*;
use std::time::{Duration, Instant};

/// Runs `pallas ARGS` and returns (exit status, stderr).
fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = pallas().args(args).output().expect("run pallas");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_sire_file_past_the_heap_limit_stops_with_out_of_memory() {
    for jit in ["off", "always"] {
        let t = Instant::now();
        let (code, err) = run(&[
            "--jit",
            jit,
            "--max-heap",
            "64MiB",
            "sire",
            "--no-repl",
            "tests/limits/heap_limit.sire",
        ]);
        assert_eq!(code, Some(1), "--jit {jit}: {err}");
        assert!(err.contains("out of memory"), "--jit {jit}: {err}");
        assert!(err.contains("64 MB") && err.contains("--max-heap"), "{err}");
        assert!(err.contains("heap_limit.sire:"), "names the place: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    }
}

#[test]
fn a_nat_bigger_than_the_limit_is_refused_before_it_is_made() {
    let t = Instant::now();
    let (code, err) = run(&[
        "--max-heap",
        "64MiB",
        "sire",
        "--no-repl",
        "tests/limits/heap_limit_bex.sire",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("out of memory"), "{err}");
    // Refused at once, not after building half a gigabyte.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn the_same_file_runs_under_a_limit_it_fits() {
    let (code, err) = run(&["--max-heap", "256MiB", "sire", "--no-repl", "sire/tab.sire"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_bad_size_is_refused_with_an_example() {
    let (code, err) = run(&["--max-heap", "lots", "plan", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("512MB"), "{err}");
}

#[test]
fn a_step_past_the_heap_limit_is_abandoned_and_nothing_of_it_committed() {
    let dir = std::env::temp_dir().join(format!("pallas-hog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    boot_ok(&dir, "tests/cog/hog.sire");
    let store = dir.to_string_lossy().into_owned();
    let booted = print_hash(&dir, false);
    let (code, err) = run(&["--max-heap", "64MiB", "start", &store]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("heap limit of 64 MB"), "{err}");
    assert!(err.contains("nothing of it was"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        print_hash(&dir, false),
        booted,
        "the abandoned step was not committed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Garbage made while a chain of thunks returns (each one a jet's argument) is collected
/// as it goes: 4,000 lazy tab inserts, 130 MB of intermediate tabs in all, run in well under
/// 100 MB (peak resident memory of the process). Collections ran only when something was
/// evaluated, so this peaked at 160 MB before.
#[test]
// The child is waited for with `wait4`, which also gives its peak memory.
#[allow(clippy::zombie_processes)]
fn garbage_of_returning_thunk_chains_is_collected_on_the_way() {
    for jit in ["off", "always"] {
        let child = pallas()
            .args([
                "--jit",
                jit,
                "sire",
                "--no-repl",
                "tests/limits/thunk_chain.sire",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("run pallas");
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, with valid pointers.
        let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
        assert_eq!(pid, child.id() as i32);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "--jit {jit}"
        );
        let peak_mb = usage.ru_maxrss / 1024;
        assert!(peak_mb < 100, "--jit {jit}: peak {peak_mb} MB");
    }
}
