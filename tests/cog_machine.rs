//! Persistent machines with real processes: boot, start, kill -9 at random instants,
//! restart, and check that nothing seen outside is ever lost; damaged logs; the store lock.

mod machine;

use machine::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts the machine with its trace lines readable through a channel.
fn start(dir: &Path) -> (Child, mpsc::Receiver<u64>) {
    let mut child = pallas()
        .args(["start", &dir.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pallas start");
    let rx = trace_counts(&mut child);
    (child, rx)
}

#[test]
fn counter_survives_kill_9_at_random_instants() {
    let dir = store("kill");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let seed = clock_seed(7);
    eprintln!("kill schedule seed: {seed}");
    let mut rng = Lcg(seed);
    let mut seen_max = 0u64;
    for round in 0..12 {
        let (mut child, counts) = start(&dir);
        // The first count after a restart continues from everything printed before.
        let first = counts
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("round {round}: no count printed"));
        assert!(
            first > seen_max,
            "round {round}: count went back: printed {seen_max} before the kill, {first} after"
        );
        seen_max = first;
        let run_for = Duration::from_millis(20 + rng.next(400));
        let t = Instant::now();
        while t.elapsed() < run_for {
            if let Ok(n) = counts.recv_timeout(Duration::from_millis(5)) {
                assert!(n > seen_max, "counts must increase: {n} after {seen_max}");
                seen_max = n;
            }
        }
        child.kill().expect("kill -9");
        let _ = child.wait();
        // Lines already in the pipe were printed before the kill: they count as seen.
        while let Ok(n) = counts.recv_timeout(Duration::from_millis(200)) {
            seen_max = seen_max.max(n);
        }
    }
    assert!(seen_max > 12, "the counter barely ran: {seen_max}");
    // Snapshot + tail and a replay of the whole log give the same cog.
    assert_eq!(print_hash(&dir, false), print_hash(&dir, true));
}

#[test]
fn clean_stop_snapshots_and_replays_agree() {
    let dir = store("clean");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let (child, counts) = start(&dir);
    let _ = counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    std::thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    let st = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(st.success());
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap = std::fs::read_to_string(dir.join("snapshot")).expect("snapshot");
    let err = String::from_utf8_lossy(&out.stderr);
    let stopped: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("stopped at batch "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no stop line in {err}"));
    assert!(
        snap.starts_with(&format!("{stopped} ")),
        "the clean stop should snapshot at batch {stopped}: {snap}"
    );
    assert_eq!(print_hash(&dir, false), print_hash(&dir, true));
}

#[test]
fn boot_refuses_an_existing_store_and_two_starts_never_share_one() {
    let dir = store("lock");
    boot_ok(&dir, "sire/demo_counter.sire");
    let again = boot(&dir, "sire/demo_counter.sire");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let (mut first, counts) = start(&dir);
    let _ = counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    let second = pallas()
        .args(["start", &dir.to_string_lossy()])
        .output()
        .expect("second start");
    first.kill().expect("kill");
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another pallas process"), "{err}");
}

#[test]
fn a_torn_tail_is_cut_and_mid_log_corruption_stops_the_start() {
    let dir = store("torn");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let (mut child, counts) = start(&dir);
    for _ in 0..50 {
        counts
            .recv_timeout(Duration::from_secs(60))
            .expect("a count");
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let log = dir.join("log");
    let good = std::fs::read(&log).expect("log");
    // A torn tail: half a record at the end.
    let mut torn = good.clone();
    torn.extend_from_slice(&good[..good.len().min(30) / 2]);
    torn.extend_from_slice(b"PLOG\x10\x00");
    std::fs::write(&log, &torn).expect("write");
    // A read-only command describes the tail and leaves it.
    let out = pallas()
        .args(["start", &dir.to_string_lossy(), "--print-hash"])
        .output()
        .expect("start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("never finished"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(
        std::fs::read(&log).expect("log"),
        torn,
        "--print-hash wrote"
    );
    // A start cuts it exactly, then appends after the good records.
    let (mut child, counts) = start(&dir);
    counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    child.kill().expect("kill");
    let _ = child.wait();
    let now = std::fs::read(&log).expect("log");
    assert_eq!(&now[..good.len()], &good[..], "the good records changed");
    assert_eq!(
        &now[good.len()..good.len() + 4],
        b"PLOG",
        "the tail was not cut exactly"
    );
    let good = now;
    // Corruption before the tail: flip a byte inside the first record's payload.
    let mut bad = good.clone();
    bad[70] ^= 0xff;
    std::fs::write(&log, &bad).expect("write");
    let out = pallas()
        .args(["start", &dir.to_string_lossy()])
        .output()
        .expect("start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("event log"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read(&log).expect("log"),
        bad,
        "a refused start must not touch the log"
    );
}

/// One HTTP GET of `/` on loopback; the whole response.
fn http_get(port: u16) -> String {
    http_get_path(port, "/")
}

/// Boots (unless `file` is `None`) and starts a machine that serves HTTP; returns it, its
/// output lines and the port it listens on.
fn serving(dir: &Path, file: Option<&str>) -> (Child, mpsc::Receiver<String>, u16) {
    if let Some(file) = file {
        boot_ok(dir, file);
    }
    let (child, lines) = start_lines(dir);
    let port = next_number(&lines, "port") as u16;
    (child, lines, port)
}

#[test]
fn http_hello_world_serves_and_its_count_survives_kill_9() {
    let dir = store("http");
    let (mut child, lines, port) = serving(&dir, Some("sire/demo_http.sire"));
    for i in 1..=3u64 {
        let resp = http_get(port);
        assert!(resp.starts_with("HTTP/1.1 200 OK"), "{resp}");
        assert!(resp.ends_with("hello, world\n"), "{resp}");
        assert_eq!(next_number(&lines, "trk"), i, "request {i} was not counted");
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    let (mut child, lines, port) = serving(&dir, None);
    let resp = http_get(port);
    assert!(resp.contains("hello, world"), "{resp}");
    assert_eq!(
        next_number(&lines, "trk"),
        4,
        "the count did not survive kill -9"
    );
    child.kill().expect("kill");
    let _ = child.wait();
}

#[test]
fn eval_jobs_return_their_result_or_their_crash_as_inputs() {
    let dir = store("jobs");
    boot_ok(&dir, "tests/cog/jobs.sire");
    let out = pallas()
        .args(["start", &dir.to_string_lossy()])
        .output()
        .expect("run pallas start");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    let traces: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once(" trk ").map(|(_, v)| v))
        .collect();
    let mut seen = traces.join(" ");
    seen.retain(|c| c != ' ');
    assert!(seen.contains("[0[500500]]"), "the job's result: {traces:?}");
    assert!(seen.contains("[1[742]]"), "the job's crash: {traces:?}");
    assert!(stderr.contains("finished"), "{stderr}");
    // The results were logged: a replay from boot reaches the same cog without running jobs.
    let again = pallas()
        .args([
            "start",
            &dir.to_string_lossy(),
            "--replay-all",
            "--print-hash",
        ])
        .output()
        .expect("replay");
    assert!(again.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_step_past_the_time_limit_stops_the_machine_without_committing_it() {
    for jit in ["off", "always"] {
        let dir = store(&format!("spin-{jit}"));
        boot_ok(&dir, "tests/cog/spin.sire");
        let t = Instant::now();
        let out = pallas()
            .args([
                "--jit",
                jit,
                "start",
                &dir.to_string_lossy(),
                "--step-limit",
                "0.5",
            ])
            .output()
            .expect("run pallas start");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--jit {jit}: {stderr}");
        assert!(
            stderr.contains("ran past the limit"),
            "--jit {jit}: {stderr}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "--jit {jit}: took {:?}",
            t.elapsed()
        );
        // Nothing was committed: the cog is still the booted one.
        let hash_now = print_hash(&dir, false);
        let hash_boot = print_hash(&dir, true);
        assert_eq!(hash_now, hash_boot);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn sigint_in_the_middle_of_a_step_stops_the_machine_cleanly() {
    let dir = store("spin-sigint");
    boot_ok(&dir, "tests/cog/spin.sire");
    let child = pallas()
        .args(["--jit", "always", "start", &dir.to_string_lossy()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pallas start");
    // Let the first step start spinning.
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stopped at batch 0"), "{stderr}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One HTTP GET of `path` on loopback; the body of the `200 OK` response.
fn http_get_body(port: u16, path: &str) -> String {
    let out = http_get_path(port, path);
    assert!(out.starts_with("HTTP/1.0 200 OK\r\n"), "{out}");
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

#[test]
fn the_web_demo_counts_visits_per_path_across_kill_9() {
    let dir = store("web");
    let (mut child, _lines, port) = serving(&dir, Some("sire/demo_web.sire"));
    assert_eq!(http_get_body(port, "/a"), "/a: 1\n");
    assert_eq!(http_get_body(port, "/a"), "/a: 2\n");
    assert_eq!(http_get_body(port, "/b/c"), "/b/c: 1\n");
    child.kill().expect("kill -9");
    let _ = child.wait();
    let (mut child, _lines, port) = serving(&dir, None);
    assert_eq!(
        http_get_body(port, "/a"),
        "/a: 3\n",
        "visits lost across kill -9"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends `msg` on a new connection to `port` and reads until the server closes it.
fn echo_of(port: u16, msg: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(msg.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The request row a driver shows after a response lists the requests to issue now; a
/// request stays live until it is answered (see tests/cog/drivers.sire). Each check fails
/// under the rule "the row is the set of live requests".
#[test]
fn drivers_issue_their_row_after_every_answer_and_requests_stay_live_until_answered() {
    let dir = store("drivers");
    boot_ok(&dir, "tests/cog/drivers.sire");
    let (mut child, lines) = start_lines(&dir);
    let mut seen = Vec::new();
    let mut port = None;
    let t = Instant::now();
    // "survived" needs a two-second wait; the rest comes at once.
    let wanted = ["nodev", "twice", "delivered", "survived"];
    while !wanted
        .iter()
        .all(|w| seen.iter().any(|l: &String| l.contains(w)))
    {
        let left = Duration::from_secs(30).saturating_sub(t.elapsed());
        match lines.recv_timeout(left) {
            Ok(l) => {
                if l.contains("{port}") {
                    port = Some(last_number(&l) as u16);
                }
                seen.push(l);
            }
            Err(_) => panic!("missing some of {wanted:?} in {seen:#?}"),
        }
    }
    let all = seen.join("\n");
    assert!(
        !all.contains("bogus"),
        "a dead request was answered:\n{all}"
    );
    // A pending `%take` survives the answer to another request that empties the row.
    let port = port.expect("the echo driver's port");
    assert_eq!(echo_of(port, "ping"), "ping");
    wait_line(&lines, "echoed", Duration::from_secs(20));
    assert_eq!(echo_of(port, "again"), "again", "the driver listens again");
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
