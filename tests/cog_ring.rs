//! Several cogs in one machine, with real processes: the token ring of sire/demo_ring.sire
//! killed with SIGKILL at random instants and restarted, many times. No token may be lost
//! (the ring goes on after every restart) and none may be taken twice (the token numbers
//! printed over the whole test only increase, each one once); at the end the tokens each cog
//! counted add up to the last token, and a replay of every cog's whole log gives the hashes
//! that the snapshots and logs give. `PALLAS_RING_KILLS` sets the number of kills (100).
//! The ring's cogs take every token they are given: only the machine's keyed asks keep a
//! token repeated after a restart from being taken twice. Also: an ask taken by one step and
//! answered by a later one, with a kill -9 (or a stop) in between; every request's answer;
//! the web demo across kill -9.

mod machine;

use machine::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A token taken: by which cog, its number, and how many that cog has taken.
#[derive(Clone, Copy, Debug)]
struct Taken {
    cog: u64,
    token: u64,
    count: u64,
}

/// Reads `[cog N ]TIME trk [{token} n count]`.
fn parse(line: &str) -> Option<Taken> {
    let (head, rest) = line.split_once(" trk [{token} ")?;
    let cog = match head.strip_prefix("cog ") {
        Some(r) => r.split(' ').next()?.parse().ok()?,
        None => 1,
    };
    let mut nums = rest.trim_end_matches(']').split(' ');
    Some(Taken {
        cog,
        token: nums.next()?.parse().ok()?,
        count: nums.next()?.parse().ok()?,
    })
}

fn start(dir: &Path) -> (Child, mpsc::Receiver<Taken>) {
    let mut child = pallas()
        .args(["start", &dir.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pallas start");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Some(t) = parse(&line) {
                if tx.send(t).is_err() {
                    break;
                }
            }
        }
    });
    (child, rx)
}

/// What the test has seen: the last token, and each cog's last count.
#[derive(Default)]
struct Seen {
    last: u64,
    counts: std::collections::BTreeMap<u64, u64>,
}

impl Seen {
    fn take(&mut self, t: Taken, when: &str) {
        assert!(
            t.token > self.last,
            "{when}: token {} printed after token {} (taken twice, or out of order)",
            t.token,
            self.last
        );
        if let Some(&c) = self.counts.get(&t.cog) {
            assert!(
                t.count > c,
                "{when}: cog {}'s count went from {c} to {}",
                t.cog,
                t.count
            );
        }
        self.last = t.token;
        self.counts.insert(t.cog, t.count);
    }
}

#[test]
fn a_token_ring_of_three_cogs_loses_no_token_across_kill_9() {
    let kills: u64 = std::env::var("PALLAS_RING_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let dir = store("ring");
    boot_ok(&dir, "sire/demo_ring.sire");
    let seed = clock_seed(7);
    eprintln!("kill schedule seed: {seed}; {kills} kills");
    let mut rng = Lcg(seed);
    let mut seen = Seen::default();
    let t0 = Instant::now();
    for round in 0..kills {
        let when = format!("round {round}");
        let (mut child, tokens) = start(&dir);
        // The ring goes on after every restart: no token was lost.
        let first = tokens
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!(
                    "{when}: no token taken after the restart (lost?) after token {}",
                    seen.last
                )
            });
        seen.take(first, &when);
        let run_for = Duration::from_millis(rng.next(150));
        let t = Instant::now();
        while t.elapsed() < run_for {
            if let Ok(x) = tokens.recv_timeout(Duration::from_millis(2)) {
                seen.take(x, &when);
            }
        }
        child.kill().expect("kill -9");
        let _ = child.wait();
        while let Ok(x) = tokens.recv_timeout(Duration::from_millis(50)) {
            seen.take(x, &when);
        }
    }
    eprintln!(
        "{kills} kills in {:?}; last token {}",
        t0.elapsed(),
        seen.last
    );
    // A clean run until every cog has taken two more tokens, then SIGTERM.
    let (child, tokens) = start(&dir);
    let mut fresh: std::collections::BTreeMap<u64, u32> = Default::default();
    while fresh.len() < 3 || fresh.values().any(|&n| n < 2) {
        let x = tokens
            .recv_timeout(Duration::from_secs(30))
            .expect("the ring runs after the last kill");
        seen.take(x, "final run");
        *fresh.entry(x.cog).or_default() += 1;
    }
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(st.success());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(x) = parse(line) {
            seen.take(x, "final run");
        }
    }
    // Tokens 1..=last were each taken once, by one of the three cogs.
    let ring: Vec<u64> = seen.counts.keys().copied().collect();
    assert_eq!(ring.len(), 3, "three cogs took tokens: {ring:?}");
    let total: u64 = seen.counts.values().sum();
    assert_eq!(
        total, seen.last,
        "the counts {:?} add up to the last token",
        seen.counts
    );
    let h = print_hash(&dir, false);
    assert!(h.lines().count() >= 3, "a hash per cog: {h}");
    assert_eq!(
        h,
        print_hash(&dir, true),
        "snapshots and logs against whole replays"
    );
}

#[test]
fn every_cog_request_gets_its_documented_answer() {
    let dir = store("protocol");
    boot_ok(&dir, "tests/cog/protocol.sire");
    let (mut child, lines) = start_lines(&dir);
    let mut got = Vec::new();
    while got.len() < 13 {
        got.push(next_trace_pair(&lines));
    }
    let _ = child.kill();
    let _ = child.wait();
    // (request, answer): who 1; spin 2; wait on a finished cog: tag 1; spin 3; ask 3 -> 42;
    // ask a cog that does not exist: none; stop 3: tag 4; ask a stopped cog: none; reap 3:
    // tag 4; reap again: 0; spin 4 (it crashes); wait on it: tag 2; stop cog 1: 0.
    let want = [
        (1, 1),
        (2, 2),
        (3, 1),
        (4, 3),
        (5, 42),
        (6, 99),
        (7, 4),
        (8, 99),
        (9, 4),
        (10, 0),
        (11, 4),
        (12, 2),
        (13, 0),
    ];
    assert_eq!(got, want);
    assert!(dir.join("cogs/3.reaped").exists() && !dir.join("cogs/3").exists());
    let ps = pallas()
        .args(["ps", &dir.to_string_lossy()])
        .output()
        .expect("ps");
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(ps.contains("finished") && ps.contains("crashed"), "{ps}");
}

#[test]
fn a_web_cog_hands_each_request_to_a_worker_cog_across_kill_9() {
    let dir = store("workers");
    boot_ok(&dir, "sire/demo_workers.sire");
    let (mut child, lines) = start_lines(&dir);
    let port = last_number(&wait_line(&lines, "port", Duration::from_secs(30))) as u16;
    assert!(http_get_path(port, "/a").ends_with("/a: 1\n"));
    assert!(http_get_path(port, "/a").ends_with("/a: 2\n"));
    assert!(http_get_path(port, "/b").ends_with("/b: 1\n"));
    child.kill().expect("kill -9");
    let _ = child.wait();
    let (mut child, lines) = start_lines(&dir);
    let port = last_number(&wait_line(&lines, "port", Duration::from_secs(30))) as u16;
    let r = http_get_path(port, "/a");
    assert!(r.ends_with("/a: 3\n"), "{r}");
    let _ = child.kill();
    let _ = child.wait();
    let (ids, _) = (
        std::fs::read_dir(dir.join("cogs")).expect("cogs").count(),
        0,
    );
    assert_eq!(ids, 1, "one worker, spawned once");
}

#[test]
fn an_ask_taken_before_kill_9_is_answered_after_it_and_not_taken_again() {
    // The ask book comes back from the log.
    ask_answered_after_a_restart(true);
}

#[test]
fn an_ask_taken_before_a_stop_is_answered_after_it_and_not_taken_again() {
    // The ask book comes back from the one the stop's snapshot wrote.
    ask_answered_after_a_restart(false);
}

/// tests/cog/later.sire: the server takes the ask (key 77) in one step and answers it in a
/// step two seconds after each start; the machine is killed (or stopped) in between.
fn ask_answered_after_a_restart(kill: bool) {
    let dir = store(if kill { "later-kill" } else { "later-stop" });
    boot_ok(&dir, "tests/cog/later.sire");
    let (mut child, lines) = start_lines(&dir);
    let took = wait_line(&lines, "[{took} 5 ", Duration::from_secs(30));
    assert!(took.ends_with("[{took} 5 1]"), "{took}");
    if kill {
        child.kill().expect("kill -9");
    } else {
        let st = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(st.success());
    }
    let _ = child.wait();
    let books = std::fs::read_dir(dir.join("cogs/2"))
        .expect("the server's store")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("asks."))
        .count();
    assert_eq!(books, usize::from(!kill), "an ask book after a stop only");
    let before: Vec<String> = lines.try_iter().collect();
    assert!(
        !before.iter().any(|l| l.contains("{got}")),
        "answered before the release: {before:?}"
    );
    let (mut child, lines) = start_lines(&dir);
    // Every line of the second run up to the reply, and half a second after it.
    let mut seen = Vec::new();
    let t = Instant::now();
    while !seen.iter().any(|l: &String| l.contains("[{got} ")) {
        assert!(t.elapsed() < Duration::from_secs(30), "no reply: {seen:?}");
        if let Ok(l) = lines.recv_timeout(Duration::from_millis(50)) {
            seen.push(l);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();
    seen.extend(lines.try_iter());
    assert!(
        seen.iter().any(|l| l.ends_with("[{got} 50]")),
        "the release's reply: {seen:?}"
    );
    assert!(
        !seen.iter().any(|l| l.contains("{took}")),
        "the repeated ask was taken again: {seen:?}"
    );
    let h = print_hash(&dir, false);
    assert_eq!(
        h,
        print_hash(&dir, true),
        "snapshots and logs against whole replays"
    );
}
