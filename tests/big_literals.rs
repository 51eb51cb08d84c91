//! A nat literal of ten million digits is read (`pallas save`) and printed (`pallas show
//! --plan`) through the real binary, in time that grows about like n log² n: the CPU time
//! of 4n digits against n digits (n = 2.5 million). n log² n predicts a ratio near 5
//! (measured: 4.7 reading, 4.7 printing); quadratic code gives 16 and num-bigint's
//! printing, which this replaced, 8.0, so the test fails at 7.5 or more. It measures CPU
//! time (of the children, from `getrusage`), not the wall clock, so that a loaded machine
//! does not decide; this file holds one test so that no other test's children are counted.

use std::path::{Path, PathBuf};
use std::process::Command;

/// User plus system CPU seconds of this process's waited-for children so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    assert_eq!(rc, 0, "getrusage");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// Runs `pallas args`, checks it succeeded and returns (stdout, CPU seconds it took).
fn run(args: &[&str]) -> (Vec<u8>, f64) {
    let before = children_cpu();
    let out = Command::new(env!("CARGO_BIN_EXE_pallas"))
        .args(args)
        .output()
        .expect("run pallas");
    let cpu = children_cpu() - before;
    assert!(
        out.status.success(),
        "pallas {:?}: {}",
        &args[..1],
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, cpu)
}

/// Pseudo-random digits, the first not zero.
fn digits(n: usize) -> String {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i == 0 {
                char::from(b'1' + (x % 9) as u8)
            } else {
                char::from(b'0' + (x % 10) as u8)
            }
        })
        .collect()
}

/// CPU seconds to read a literal of `n` digits into a seed and to print the seed back.
fn read_and_print(dir: &Path, n: usize) -> (f64, f64) {
    let text = digits(n);
    let file: PathBuf = dir.join(format!("big{n}.sire"));
    std::fs::write(&file, format!("#### big{n}\n\n= main {text}\n")).expect("write");
    let seed = dir.join(format!("big{n}.seed"));
    let (s, f) = (seed.display().to_string(), file.display().to_string());
    let (_, read) = run(&["--no-cache", "save", &s, &f]);
    let (out, print) = run(&["show", "--plan", &s]);
    let shown: Vec<u8> = out
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    assert!(
        shown == text.as_bytes(),
        "{n} digits: printed {} bytes, not the literal",
        shown.len()
    );
    eprintln!("{n} digits: read {read:.2} s CPU, print {print:.2} s CPU");
    (read, print)
}

#[test]
fn ten_million_digit_literals_read_and_print_in_n_log2_n() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("big_literals");
    std::fs::create_dir_all(&dir).expect("dir");
    let (read1, print1) = read_and_print(&dir, 2_500_000);
    let (read4, print4) = read_and_print(&dir, 10_000_000);
    // Startup and the file itself cost the same small amount at both sizes; the floor
    // keeps a tiny measurement from making the ratio meaningless.
    let ratio = |a: f64, b: f64| b / a.max(0.05);
    assert!(
        ratio(read1, read4) < 7.5,
        "reading grew {:.1}x from 2.5M to 10M digits ({read1:.2} s, {read4:.2} s CPU)",
        ratio(read1, read4)
    );
    assert!(
        ratio(print1, print4) < 7.5,
        "printing grew {:.1}x from 2.5M to 10M digits ({print1:.2} s, {print4:.2} s CPU)",
        ratio(print1, print4)
    );
    // And a generous absolute bound (about 2 s and 4 s on the development machine).
    assert!(
        read4 < 30.0 && print4 < 30.0,
        "{read4:.2} s, {print4:.2} s CPU"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
