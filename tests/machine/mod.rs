//! Helpers for tests that run persistent machines as real processes: fresh stores, `boot`,
//! `start` with its output lines on a channel, and HTTP requests on loopback.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A fresh, empty store path for one test.
pub fn store(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-cog-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The `pallas` binary, with a module cache of this test process's own.
pub fn pallas() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pallas"));
    c.env(
        "PALLAS_CACHE_DIR",
        std::env::temp_dir().join(format!("pallas-cog-cache-{}", std::process::id())),
    );
    c
}

/// Runs `pallas boot DIR FILE`.
pub fn boot(dir: &Path, file: &str) -> std::process::Output {
    pallas()
        .args(["boot", &dir.to_string_lossy(), file])
        .output()
        .expect("run pallas boot")
}

/// Boots a machine and checks that it booted, showing boot's errors if not.
pub fn boot_ok(dir: &Path, file: &str) {
    let out = boot(dir, file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a machine (on any free TCP port) and hands its stdout lines over a channel.
pub fn start_lines(dir: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = pallas()
        .args(["start", &dir.to_string_lossy()])
        .env_remove("PALLAS_TCP_PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pallas start");
    let rx = stdout_lines(&mut child);
    (child, rx)
}

/// Hands the lines a child (spawned with piped stdout) prints over a channel, read on a
/// thread of their own.
pub fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Sends `request` as it is on a new loopback connection to `port` and returns everything
/// the server sends back before it closes the connection; `None` if the connection fails.
pub fn try_http_raw(port: u16, request: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    s.write_all(request.as_bytes()).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// [`try_http_raw`], which must succeed.
pub fn http_raw(port: u16, request: &str) -> String {
    try_http_raw(port, request).unwrap_or_else(|| panic!("no answer on port {port} to {request:?}"))
}

/// One HTTP/1.0 GET of `path` on loopback; the whole response.
pub fn http_get_path(port: u16, path: &str) -> String {
    http_raw(
        port,
        &format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"),
    )
}

/// One HTTP/1.0 POST of `body` (as JSON) to `path` on loopback; the whole response, or
/// `None` if the connection failed.
pub fn http_post(port: u16, path: &str, body: &str) -> Option<String> {
    try_http_raw(
        port,
        &format!(
            "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Waits up to `limit` for an output line that contains `what`; returns it.
pub fn wait_line(lines: &mpsc::Receiver<String>, what: &str, limit: Duration) -> String {
    let t = Instant::now();
    loop {
        let left = limit.checked_sub(t.elapsed()).unwrap_or_default();
        match lines.recv_timeout(left) {
            Ok(l) if l.contains(what) => return l,
            Ok(_) => {}
            Err(_) => panic!("no line with {what:?} within {limit:?}"),
        }
    }
}

/// The last number in a line.
pub fn last_number(l: &str) -> u64 {
    let digits: String = l
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {l:?}"))
}

/// Waits up to 30 s for a trace line `... trk [a b ...]` and returns its first two numbers.
pub fn next_trace_pair(lines: &mpsc::Receiver<String>) -> (u64, u64) {
    let l = wait_line(lines, " trk [", Duration::from_secs(30));
    let nums: Vec<u64> = l
        .rsplit_once(" trk [")
        .map(|(_, r)| r.trim_end_matches(']'))
        .unwrap_or("")
        .split(' ')
        .filter_map(|n| n.parse().ok())
        .collect();
    match nums[..] {
        [a, b, ..] => (a, b),
        _ => panic!("no pair of numbers in {l:?}"),
    }
}

/// Waits for a line that contains `what` and returns its last number.
pub fn next_number(lines: &mpsc::Receiver<String>, what: &str) -> u64 {
    last_number(&wait_line(lines, what, Duration::from_secs(60)))
}

/// Hands the counts a child's `trk` lines end in (a line `... trk N`) over a channel.
pub fn trace_counts(child: &mut Child) -> mpsc::Receiver<u64> {
    let lines = stdout_lines(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines {
            if let Some(n) = line.rsplit(" trk ").next().and_then(|n| n.parse().ok()) {
                if tx.send(n).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// The hash `pallas start DIR --print-hash` reports (with `--replay-all` if asked), which
/// must succeed.
pub fn print_hash(dir: &Path, replay_all: bool) -> String {
    let mut args = vec![
        "start".to_string(),
        dir.to_string_lossy().into(),
        "--print-hash".into(),
    ];
    if replay_all {
        args.push("--replay-all".into());
    }
    let out = pallas().args(&args).output().expect("run pallas start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A small deterministic generator for the kill instants of the kill -9 tests.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number below `below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// A seed from the clock (`fallback` if the clock is before 1970); tests print it.
pub fn clock_seed(fallback: u64) -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(fallback)
}
