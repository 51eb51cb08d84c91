//! The store at scale, with the real binary: start of a machine whose cog holds 1 GiB of
//! pinned bars (time and peak memory before its first step), what a snapshot after one small
//! change writes, the store's size after 200 restarts of the fast counter against one
//! snapshot plus its log, and the pin store alone (commit and read 10k / 100k pins).
//! Run with `cargo bench --bench store` (needs about 3 GB of memory and 2 GB of disk;
//! `PALLAS_BENCH_DATA_MB` sets the size of the data, default 1024).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pallas_runtime::store::pins::PinStore;

const BIN: &str = env!("CARGO_BIN_EXE_pallas");

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn size(dir: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        n += if p.is_dir() {
            size(&p)
        } else {
            std::fs::metadata(&p).expect("meta").len()
        };
    }
    n
}

/// Runs `pallas ARGS` under `/usr/bin/time`: (seconds, peak resident KiB, stderr).
fn timed(args: &[&str]) -> (f64, u64, String) {
    timed_as("PEAK %M", args)
}

/// [`timed`], with the CPU time (`CPU user U s, system S s` on stderr).
fn timed_cpu(args: &[&str]) -> (f64, u64, String) {
    timed_as("PEAK %M\nCPU user %U s, system %S s", args)
}

/// Runs `pallas ARGS` under `/usr/bin/time -f FORMAT` (whose first line is `PEAK %M`).
fn timed_as(format: &str, args: &[&str]) -> (f64, u64, String) {
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", format])
        .arg(BIN)
        .args(args)
        .env("PALLAS_CACHE_DIR", temp("cache"))
        .output()
        .expect("run /usr/bin/time pallas");
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "pallas {args:?}: {err}");
    let peak = err
        .lines()
        .find_map(|l| l.strip_prefix("PEAK "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (secs, peak, err)
}

/// Runs the machine until its first count, then stops it with SIGTERM (it snapshots).
/// Returns its peak resident KiB.
fn one_step_and_stop(dir: &Path) -> u64 {
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "PEAK %M", BIN])
        .args(["start", &dir.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    use std::io::BufRead;
    let out = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(out).lines();
    let _ = lines.next();
    // The machine is /usr/bin/time's child.
    let _ = Command::new("pkill")
        .args(["-TERM", "-P", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    err.lines()
        .find_map(|l| l.strip_prefix("PEAK "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn big_cog(mb: u64) {
    let dir = temp("big");
    let src = temp("big-src");
    std::fs::create_dir_all(&src).expect("dir");
    // depth d gives 2^d bars; 1 MiB each.
    let depth = 64 - mb.max(1).leading_zeros() as u64 - 1;
    let text = std::fs::read_to_string("tests/cog/big_counter.sire").expect("big_counter.sire");
    let main = format!(
        "= main (bigCounter (blobTree {depth} 1048576 0) 0 readCount (v1 (v2 1 newTicker)))"
    );
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("= main ") {
                main.as_str()
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // Its predecessor (`bar`) is found in ./sire/.
    let file = src.join("big_counter.sire");
    std::fs::write(&file, text).expect("write");
    let (boot_s, boot_kb, _) = timed(&["boot", &dir.to_string_lossy(), &file.to_string_lossy()]);
    let data = size(&dir.join("pins"));
    println!(
        "cog with {} MiB of pinned bars: boot {boot_s:.2} s, peak {} MB, pins {:.0} MB",
        1u64 << depth,
        boot_kb / 1024,
        data as f64 / 1e6
    );
    // The first start comes right after a boot that peaked at several GB, so its own pages
    // may have to be read again; the CPU time it used shows the work it did.
    for run in ["first", "second", "third"] {
        let (start_s, start_kb, err) =
            timed_cpu(&["start", &dir.to_string_lossy(), "--print-hash"]);
        println!(
            "  start --print-hash (load the snapshot, no step), {run} run: {start_s:.2} s ({}), peak {} MB (target < 0.5 s and < 100 MB)",
            err.lines().find_map(|l| l.strip_prefix("CPU ")).unwrap_or("?"),
            start_kb / 1024
        );
    }
    let (_, _, err) = timed(&[
        "start",
        &dir.to_string_lossy(),
        "--print-hash",
        "--heap-stats",
    ]);
    if let Some(l) = err.lines().find(|l| l.starts_with("stored pins: ")) {
        println!("  {l}");
    }
    let before = size(&dir.join("pins"));
    let t = Instant::now();
    let peak = one_step_and_stop(&dir);
    let after = size(&dir.join("pins"));
    println!(
        "  start, one step, stop (snapshot): {:.2} s, peak {} MB; the snapshot wrote {} bytes of pins (target < 1 MB)",
        t.elapsed().as_secs_f64(),
        peak / 1024,
        after - before
    );
    let file = temp("big.export");
    let (export_s, export_kb, _) =
        timed(&["export", &dir.to_string_lossy(), &file.to_string_lossy()]);
    println!(
        "  export (reads every pin): {export_s:.2} s, peak {} MB",
        export_kb / 1024
    );
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&src);
}

fn restarts(n: usize) {
    let dir = temp("restarts");
    let (..) = timed(&[
        "boot",
        &dir.to_string_lossy(),
        "tests/cog/fast_counter.sire",
    ]);
    let t = Instant::now();
    for _ in 0..n {
        one_step_and_stop(&dir);
    }
    let secs = t.elapsed().as_secs_f64();
    let file = temp("restarts.export");
    let one = temp("restarts-one");
    timed(&["export", &dir.to_string_lossy(), &file.to_string_lossy()]);
    timed(&["import", &file.to_string_lossy(), &one.to_string_lossy()]);
    let snapshot = size(&one.join("pins"));
    let log = std::fs::metadata(dir.join("log")).expect("log").len();
    let store = size(&dir);
    let files = std::fs::read_dir(dir.join("pins")).expect("pins").count();
    println!(
        "{n} restarts of the fast counter ({secs:.1} s): store {store} B ({files} pack files) against one snapshot {snapshot} B + log {log} B: {:.2}x (target < 2x)",
        store as f64 / (snapshot + log) as f64
    );
    for p in [&dir, &one] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(&file);
}

fn pin_store(n: usize) {
    let dir = temp("pins");
    let mut x: u64 = 12345;
    let pins: Vec<([u8; 32], Vec<u8>)> = (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = 40 + (x >> 33) as usize % 600 + if i % 100 == 0 { 8000 } else { 0 };
            let mut b = 0u64.to_le_bytes().to_vec();
            b.extend((0..len).map(|j| (j as u64 ^ x) as u8));
            (*blake3::hash(&b).as_bytes(), b)
        })
        .collect();
    let t = Instant::now();
    let (mut s, _) = PinStore::open(&dir, true).expect("open");
    s.commit(&pins).expect("commit");
    let write = t.elapsed();
    drop(s);
    let t = Instant::now();
    let (s, _) = PinStore::open(&dir, false).expect("open");
    let open = t.elapsed();
    let t = Instant::now();
    let mut sum = 0usize;
    for i in 0..n {
        let (h, _) = &pins[(i * 7919) % n];
        sum += s.get(h).expect("get").expect("stored").len();
    }
    let read = t.elapsed();
    std::hint::black_box(sum);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "pin store, {n} pins: commit {:.0} ms (one fsync), open {:.2} ms, read each once by hash {:.0} ms ({:.2} us a pin, checksum included), {:.1} MB on disk",
        write.as_secs_f64() * 1e3,
        open.as_secs_f64() * 1e3,
        read.as_secs_f64() * 1e3,
        per(read),
        size(&dir) as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    pin_store(10_000);
    pin_store(100_000);
    restarts(200);
    let mb = std::env::var("PALLAS_BENCH_DATA_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    big_cog(mb);
}
