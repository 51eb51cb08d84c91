//! Several cogs in one machine, with the real binary: how much two busy cogs do against one
//! in the same time (each cog runs on a thread and runtime of its own), and how many asks a
//! second cog serves each second (its log fsynced once per step). Run with `cargo bench
//! --bench cogs`; `PALLAS_BENCH_SECS` sets each run's length (default 6). The figures need
//! an otherwise idle machine with at least two cores: the load average is printed with them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pallas");

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn boot(dir: &Path, file: &str) {
    let out = Command::new(BIN)
        .args(["boot", &dir.to_string_lossy(), file])
        .output()
        .expect("run pallas boot");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the machine for `secs` under `/usr/bin/time`, then SIGTERM. Returns its trace lines
/// with the instant each arrived, and the peak resident memory in KiB.
fn run(dir: &Path, secs: f64) -> (Vec<(Instant, String)>, u64) {
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "PEAK %M"])
        .arg(BIN)
        .args(["start", &dir.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pallas start");
    let out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .map(|l| (Instant::now(), l))
            .collect::<Vec<_>>()
    });
    std::thread::sleep(Duration::from_secs_f64(secs));
    // `time` is the child: signal the machine (its only child) through the process group.
    let _ = Command::new("pkill")
        .args(["-TERM", "-P", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    let peak = err
        .lines()
        .find_map(|l| l.strip_prefix("PEAK "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (reader.join().expect("reader"), peak)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Busy steps per second, counted after the first second (start and spin excluded).
fn busy(file: &str, secs: f64) -> (f64, u64) {
    let dir = temp(file);
    boot(&dir, &format!("tests/cog/{file}.sire"));
    let (lines, peak) = run(&dir, secs);
    let steps: Vec<Instant> = lines
        .iter()
        .filter(|(_, l)| l.contains("trk [{busy}"))
        .map(|(t, _)| *t)
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let Some(&first) = steps.first() else {
        return (0.0, peak);
    };
    let from = first + Duration::from_secs(1);
    let counted: Vec<&Instant> = steps.iter().filter(|t| **t >= from).collect();
    let span = counted
        .last()
        .map_or(0.0, |t| t.duration_since(from).as_secs_f64());
    (counted.len() as f64 / span.max(1e-9), peak)
}

/// Asks served per second, from the server's `[served n]` lines after the first second.
fn messages(secs: f64) -> (f64, u64, u64) {
    let dir = temp("pingpong");
    boot(&dir, "tests/cog/pingpong.sire");
    let (lines, peak) = run(&dir, secs);
    let served: Vec<(Instant, u64)> = lines
        .iter()
        .filter_map(|(t, l)| {
            let n = l.split("trk [{served} ").nth(1)?.trim_end_matches(']');
            Some((*t, n.parse().ok()?))
        })
        .collect();
    let batches = std::fs::read_to_string(dir.join("cogs/2/snapshot"))
        .ok()
        .and_then(|s| s.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    let Some(&(t0, _)) = served.first() else {
        return (0.0, peak, batches);
    };
    let after: Vec<&(Instant, u64)> = served
        .iter()
        .filter(|(t, _)| *t >= t0 + Duration::from_secs(1))
        .collect();
    match (after.first(), after.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (
            (b.1 - a.1) as f64 / b.0.duration_since(a.0).as_secs_f64(),
            peak,
            batches,
        ),
        _ => (0.0, peak, batches),
    }
}

fn main() {
    let secs: f64 = std::env::var("PALLAS_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cores: {cores}; load average before: {}", load());
    let (one, p1) = busy("busy1", secs);
    println!("one busy cog:  {one:.1} steps/s (peak {p1} KiB)");
    let (two, p2) = busy("busy2", secs);
    println!(
        "two busy cogs: {two:.1} steps/s (peak {p2} KiB): {:.2}x one (target 1.7x on 2 idle cores)",
        two / one.max(1e-9)
    );
    let (rate, p3, batches) = messages(secs);
    println!(
        "asks between two cogs: {rate:.0}/s, the server's log fsynced per step ({batches} steps; peak {p3} KiB; target 20000/s)"
    );
    println!("load average after: {}", load());
}
