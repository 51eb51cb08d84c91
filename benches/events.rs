//! Events per second of a persistent machine, every step fsynced before its effects are
//! released: the fast counter (`tests/cog/fast_counter.sire`) run by the real binary, against
//! the event log alone (append + fsync per batch) as the baseline. Ratios from one run.
//! Run with `cargo bench --bench events`.

use std::process::Command;
use std::time::{Duration, Instant};

use pallas_runtime::store::log::{self, LogWriter};

const RUN: Duration = Duration::from_secs(3);

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Steps per second of the fast counter machine.
fn machine_events_per_second() -> f64 {
    let dir = temp("machine");
    let bin = env!("CARGO_BIN_EXE_pallas");
    let st = Command::new(bin)
        .args([
            "boot",
            &dir.to_string_lossy(),
            "tests/cog/fast_counter.sire",
        ])
        .output()
        .expect("boot");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let child = Command::new(bin)
        .args(["start", &dir.to_string_lossy()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let t = Instant::now();
    std::thread::sleep(RUN);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("wait");
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    let batches: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("stopped at batch "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no stop line: {err}"));
    let _ = std::fs::remove_dir_all(&dir);
    batches as f64 / secs
}

/// Batches per second of the event log alone, each waited for (fsynced) in turn.
fn log_events_per_second() -> f64 {
    let dir = temp("log");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("log");
    let header = log::Header {
        store_id: [0; 16],
        first_batch: 1,
    };
    log::create(&path, &dir.join("log.tmp"), &header).expect("log");
    let mut w = LogWriter::start(&path, 1).expect("log");
    let payload = vec![7u8; 48];
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < RUN {
        let (_, _, r) = w.append(&payload).expect("append");
        r.wait().expect("durable");
        n += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    w.close();
    let _ = std::fs::remove_dir_all(&dir);
    n as f64 / secs
}

fn main() {
    let machine = machine_events_per_second();
    let log = log_events_per_second();
    println!(
        "machine (fast counter, fsync per step) {machine:>9.0} events/s  |  log alone {log:>9.0} batches/s  |  machine/log {:.2}",
        machine / log
    );
}
