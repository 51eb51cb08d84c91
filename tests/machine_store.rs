//! The store at scale and under damage, with real processes: damaged records and logs (the
//! cases D1-D3 of the persistence section), read-only commands that change nothing, what a
//! snapshot writes, pin collection (`pallas gc` and at snapshots), the size of a store after
//! many restarts, kill -9 during snapshots and collection, and moving a machine with
//! `pallas export` / `pallas import`.

mod machine;

use machine::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `pallas ARGS`: (exit status, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = pallas().args(args).output().expect("run pallas");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `start --print-hash` (with `--replay-all` if asked), which must succeed.
fn hash_of(dir: &Path, replay_all: bool) -> String {
    let mut args = vec!["start", "--print-hash"];
    let d = s(dir);
    args.insert(1, &d);
    if replay_all {
        args.push("--replay-all");
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    out
}

/// Every file under `dir` with its contents (the lock file's are always empty).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).expect("prefix").into(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

/// The total size of the files under `dir`.
fn size(dir: &Path) -> u64 {
    tree(dir).values().map(|v| v.len() as u64).sum()
}

/// Starts a machine with extra arguments and environment; its counts come over a channel.
fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Child, mpsc::Receiver<u64>) {
    let mut c = pallas();
    c.args(["start", &s(dir)]).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c
        .env_remove("PALLAS_TCP_PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pallas start");
    let rx = trace_counts(&mut child);
    (child, rx)
}

/// Sends SIGTERM and waits: the machine snapshots and stops.
fn stop(child: Child) -> String {
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(st.success());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "the machine failed to stop cleanly");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Boots the fast counter, runs it until it has counted `n` times, stops it cleanly.
fn counted_store(name: &str, n: u64) -> PathBuf {
    let dir = store(name);
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let (child, counts) = start_with(&dir, &[], &[]);
    for _ in 0..n {
        counts
            .recv_timeout(Duration::from_secs(60))
            .expect("a count");
    }
    stop(child);
    dir
}

fn batch_of_snapshot(dir: &Path) -> u64 {
    let snap = std::fs::read_to_string(dir.join("snapshot")).expect("snapshot");
    snap.split(' ')
        .next()
        .and_then(|b| b.parse().ok())
        .expect("batch")
}

/// D1: an edited batch number in the snapshot record would replay batches a second time.
#[test]
fn d1_an_edited_snapshot_record_is_refused_and_replay_all_recovers() {
    let dir = counted_store("d1", 40);
    let good_hash = hash_of(&dir, false);
    let batch = batch_of_snapshot(&dir);
    assert!(batch >= 40);
    let snap = dir.join("snapshot");
    let text = std::fs::read_to_string(&snap).expect("snapshot");
    let edited = text.replacen(&format!("{batch} "), &format!("{} ", batch - 20), 1);
    std::fs::write(&snap, &edited).expect("edit");
    let before = tree(&dir);
    for args in [vec!["start", "--print-hash"], vec!["start"]] {
        let mut a = args.clone();
        let d = s(&dir);
        a.insert(1, &d);
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(err.contains("--replay-all"), "no way out offered: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(tree(&dir), before, "a refused start changed the store");
    // Replaying the whole log from the boot record reaches the state that was saved.
    assert_eq!(hash_of(&dir, true), good_hash);
    assert_eq!(
        tree(&dir),
        before,
        "--print-hash --replay-all changed the store"
    );
    // Even a record with a matching checksum must agree with the log.
    let (code, _, err) = {
        let body = format!(
            "{} {}",
            batch - 20,
            text.split_once(' ')
                .expect("fields")
                .1
                .rsplit_once(" crc32=")
                .expect("crc")
                .0
        );
        let line = format!("{body} crc32={:08x}\n", crc32fast::hash(body.as_bytes()));
        std::fs::write(&snap, line).expect("write");
        run(&["start", &s(&dir), "--print-hash"])
    };
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the record or the log was changed"), "{err}");
    // A machine started from the boot record replaces the damaged record at once.
    let (mut child, counts) = start_with(&dir, &["--replay-all"], &[]);
    let first = counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    assert!(first > 40, "the count went back to {first}");
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert_eq!(hash_of(&dir, false), hash_of(&dir, true));
    let _ = std::fs::remove_dir_all(&dir);
}

/// D2: a removed log with the snapshot still at batch 0 would restart from the boot state.
#[test]
fn d2_a_removed_log_is_refused() {
    let dir = store("d2");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let (mut child, counts) = start_with(&dir, &[], &[]);
    for _ in 0..30 {
        counts
            .recv_timeout(Duration::from_secs(60))
            .expect("a count");
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert_eq!(
        batch_of_snapshot(&dir),
        0,
        "the snapshot should still be at boot"
    );
    std::fs::remove_file(dir.join("log")).expect("rm log");
    let before = tree(&dir);
    for args in [vec!["start", "--print-hash"], vec!["start"]] {
        let mut a = args.clone();
        let d = s(&dir);
        a.insert(1, &d);
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("log is missing"), "{err}");
    }
    assert_eq!(tree(&dir), before, "a refused start changed the store");
    assert!(!dir.join("log").exists(), "start made a new log");
    // A log from another store is refused too.
    let other = counted_store("d2-other", 3);
    std::fs::copy(other.join("log"), dir.join("log")).expect("copy");
    let (code, _, err) = run(&["start", &s(&dir), "--print-hash"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another store"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

/// D3: one flipped byte in the last record of a cleanly stopped store, whose snapshot holds
/// the whole state.
#[test]
fn d3_a_damaged_last_record_that_the_snapshot_holds_loses_nothing() {
    let dir = counted_store("d3", 40);
    let good_hash = hash_of(&dir, false);
    let log = dir.join("log");
    let mut bytes = std::fs::read(&log).expect("log");
    let n = bytes.len();
    bytes[n - 5] ^= 0x01;
    std::fs::write(&log, &bytes).expect("flip");
    let before = tree(&dir);
    // A read-only command says what is wrong and what start will do, and changes nothing.
    let (code, out, err) = run(&["start", &s(&dir), "--print-hash"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, good_hash, "the snapshot holds the state");
    assert!(err.contains("snapshot at batch"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(tree(&dir), before, "--print-hash changed the store");
    // A replay from boot cannot pass the damaged batch: a clear refusal.
    let (code, _, err) = run(&["start", &s(&dir), "--print-hash", "--replay-all"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot pass it"), "{err}");
    assert_eq!(tree(&dir), before, "a refused start changed the store");
    // A start repairs it, says so, and goes on from the snapshot.
    let (child, counts) = start_with(&dir, &[], &[]);
    let first = counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    assert!(first > 40, "the count went back to {first}");
    let err = stop(child);
    assert!(err.contains("replaced by a marker"), "{err}");
    assert_eq!(hash_of(&dir, false), hash_of(&dir, false));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Damage that only a read would meet: leftovers of interrupted writes, a torn tail. Every
/// read-only command leaves the store as it is.
#[test]
fn read_only_commands_change_nothing() {
    let dir = counted_store("readonly", 20);
    std::fs::write(dir.join("pins/.tmp-1-pack-0000000009.pins"), b"half a pack").expect("tmp");
    std::fs::write(dir.join("snapshot.tmp"), b"half a record").expect("tmp");
    let log = dir.join("log");
    let mut bytes = std::fs::read(&log).expect("log");
    bytes.extend_from_slice(b"PLOG\x30\x00\x00");
    std::fs::write(&log, &bytes).expect("torn");
    let before = tree(&dir);
    let h = hash_of(&dir, false);
    assert_eq!(hash_of(&dir, true), h);
    let file = dir.with_extension("export");
    let (code, _, err) = run(&["export", &s(&dir), &s(&file)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&dir), before, "a read-only command changed the store");
    // A writing command cleans up and says so.
    let (code, _, err) = run(&["gc", &s(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("removed 2 unfinished"), "{err}");
    assert!(!dir.join("snapshot.tmp").exists());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}

/// `pallas export` then `pallas import`: the new store has the same cog, keeps the batch
/// numbers, and goes on counting from where the old one stopped.
#[test]
fn an_exported_machine_goes_on_elsewhere_with_the_same_cog() {
    let dir = store("export");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let (mut child, counts) = start_with(&dir, &[], &[]);
    let mut last = 0;
    for _ in 0..30 {
        last = counts
            .recv_timeout(Duration::from_secs(60))
            .expect("a count");
    }
    // Killed: the latest state is the snapshot plus the log's tail, which export replays.
    child.kill().expect("kill -9");
    let _ = child.wait();
    while let Ok(n) = counts.recv_timeout(Duration::from_millis(200)) {
        last = last.max(n);
    }
    let hash = hash_of(&dir, false);
    let file = dir.with_extension("export");
    let (code, _, err) = run(&["export", &s(&dir), &s(&file)]);
    assert_eq!(code, 0, "{err}");
    let moved = store("imported");
    let (code, _, err) = run(&["import", &s(&file), &s(&moved)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hash_of(&moved, false), hash);
    assert_eq!(hash_of(&moved, true), hash, "the import is its boot record");
    // Importing into an existing store is refused; a damaged file is refused.
    let (code, _, err) = run(&["import", &s(&file), &s(&moved)]);
    assert_eq!(code, 2, "{err}");
    let mut bytes = std::fs::read(&file).expect("export");
    let n = bytes.len();
    bytes[n - 10] ^= 0x40;
    let bad = dir.with_extension("bad");
    std::fs::write(&bad, &bytes).expect("write");
    let (code, _, err) = run(&["import", &s(&bad), &s(&store("imported-bad"))]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("damaged"), "{err}");
    // The moved machine counts on.
    let (child, counts) = start_with(&moved, &[], &[]);
    let first = counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    assert!(
        first > last,
        "the moved machine went back: {first} after {last}"
    );
    stop(child);
    for p in [&dir, &moved] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&bad);
}

/// Pins a store that has been stopped and started many times: bounded by twice one
/// snapshot (the pins of a store imported from it) with collection at snapshots; `pallas
/// gc` then leaves only what the boot record and the snapshot reach.
#[test]
fn many_restarts_and_snapshots_keep_the_store_small() {
    let dir = store("restarts");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let mut seen = 0;
    for round in 0..20 {
        // A snapshot after every batch: hundreds of snapshots per round.
        let (child, counts) = start_with(&dir, &["--snapshot-every", "1"], &[]);
        for _ in 0..10 {
            let n = counts
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("round {round}: no count"));
            assert!(n > seen, "round {round}: {n} after {seen}");
            seen = n;
        }
        stop(child);
    }
    let file = dir.with_extension("export");
    let (code, _, err) = run(&["export", &s(&dir), &s(&file)]);
    assert_eq!(code, 0, "{err}");
    let one = store("restarts-one");
    let (code, _, err) = run(&["import", &s(&file), &s(&one)]);
    assert_eq!(code, 0, "{err}");
    let snapshot = size(&one.join("pins"));
    let pins = size(&dir.join("pins"));
    let log = std::fs::metadata(dir.join("log")).expect("log").len();
    eprintln!("after 20 restarts and {seen} snapshots: pins {pins} B, one snapshot {snapshot} B, log {log} B");
    assert!(
        pins < 2 * snapshot,
        "pins take {pins} bytes, one snapshot {snapshot}"
    );
    assert!(
        size(&dir) < 2 * snapshot + log + 4096,
        "store {}",
        size(&dir)
    );
    let h = hash_of(&dir, false);
    let (code, _, err) = run(&["gc", &s(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("kept"), "{err}");
    assert_eq!(hash_of(&dir, false), h);
    assert_eq!(
        hash_of(&dir, true),
        h,
        "collection lost a pin of the boot record"
    );
    assert!(size(&dir.join("pins")) <= pins);
    for p in [&dir, &one] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(&file);
}

/// A cog with 2 MiB of pinned bars: a snapshot after a step that changes only its count
/// writes a few small pins, not the data.
#[test]
fn a_snapshot_after_a_small_change_writes_only_the_new_pins() {
    let dir = store("bigdata");
    boot_ok(&dir, "tests/cog/big_counter.sire");
    let booted = size(&dir.join("pins"));
    assert!(booted > 2 << 20, "the data was not stored: {booted} bytes");
    let (child, counts) = start_with(&dir, &["--snapshot-every", "1000000"], &[]);
    counts
        .recv_timeout(Duration::from_secs(60))
        .expect("a count");
    stop(child);
    let after = size(&dir.join("pins"));
    let written = after - booted;
    eprintln!("boot wrote {booted} bytes of pins; the snapshot after a step wrote {written}");
    assert!(written > 0, "the snapshot wrote nothing");
    assert!(written < 16 << 10, "the snapshot wrote {written} bytes");
    let _ = std::fs::remove_dir_all(&dir);
}

/// kill -9 at random instants while the machine snapshots after every batch and collects
/// pins often (each step of a pack write or removal slowed down to widen the windows), and
/// while `pallas gc` runs: nothing seen is lost, every start succeeds, snapshot and replay
/// agree.
#[test]
fn kill_9_during_snapshots_and_collection_loses_nothing() {
    let dir = store("kill-gc");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let seed = clock_seed(7);
    eprintln!("kill schedule seed: {seed}");
    let mut rng = Lcg(seed);
    let mut seen = 0u64;
    let pause = [("PALLAS_STORE_TEST_PAUSE_MS", "3")];
    for round in 0..10 {
        let (mut child, counts) = start_with(&dir, &["--snapshot-every", "1"], &pause);
        let first = counts
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("round {round}: no count"));
        assert!(
            first > seen,
            "round {round}: {first} after {seen} before the kill"
        );
        seen = first;
        let t = Instant::now();
        let run_for = Duration::from_millis(30 + rng.next(300));
        while t.elapsed() < run_for {
            if let Ok(n) = counts.recv_timeout(Duration::from_millis(5)) {
                seen = seen.max(n);
            }
        }
        child.kill().expect("kill -9");
        let _ = child.wait();
        while let Ok(n) = counts.recv_timeout(Duration::from_millis(200)) {
            seen = seen.max(n);
        }
        // A collection killed part of the way.
        let mut gc = pallas()
            .args(["gc", &s(&dir)])
            .env(pause[0].0, pause[0].1)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn gc");
        std::thread::sleep(Duration::from_millis(rng.next(25)));
        let _ = gc.kill();
        let _ = gc.wait();
    }
    assert!(seen > 10, "the counter barely ran: {seen}");
    assert_eq!(hash_of(&dir, false), hash_of(&dir, true));
    let (code, _, err) = run(&["gc", &s(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hash_of(&dir, false), hash_of(&dir, true));
    let _ = std::fs::remove_dir_all(&dir);
}

/// What `--heap-stats` says a store's loader did: (pins known, pins loaded, bytes read).
fn loader_stats(err: &str) -> (u64, u64, u64) {
    let line = err
        .lines()
        .find(|l| l.starts_with("stored pins: "))
        .unwrap_or_else(|| panic!("no loader statistics in: {err}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1], nums[2])
}

/// Lazy pins: a start reads the snapshot's top pin and what its first steps touch, never the
/// 2 MiB of bars the cog holds (32 pins of 64 KiB), under every engine; the cog's hash is
/// the same whoever computes it; an export reads every pin, and the import has the same cog.
#[test]
fn a_start_reads_only_the_pins_its_first_steps_touch() {
    let dir = store("lazy");
    boot_ok(&dir, "tests/cog/big_counter.sire");
    let (code, out, err) = run(&["start", &s(&dir), "--print-hash", "--heap-stats"]);
    assert_eq!(code, 0, "{err}");
    let booted_hash = out;
    let (known, loaded, read) = loader_stats(&err);
    assert!(known >= 32, "the bars are not known by hash: {known}");
    assert!(loaded <= 4, "{loaded} pins loaded before any step");
    assert!(read < 16 << 10, "{read} bytes read before any step");
    let mut seen = 0;
    let engines: [&[&str]; 3] = [&[], &["--jit", "always"], &["--engine", "oracle"]];
    for engine in engines {
        let mut args = vec!["--heap-stats", "--snapshot-every", "5"];
        args.extend_from_slice(engine);
        let (child, counts) = start_with(&dir, &args, &[]);
        for _ in 0..20 {
            let n = counts
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("{engine:?}: no count"));
            assert!(n > seen, "{engine:?}: {n} after {seen}");
            seen = n;
        }
        let err = stop(child);
        let (_, loaded, read) = loader_stats(&err);
        assert!(
            read < 64 << 10,
            "{engine:?}: {read} bytes read ({loaded} pins): a bar was loaded"
        );
    }
    // Every engine, from the snapshot or from boot, computes the same cog.
    let now = hash_of(&dir, false);
    assert_ne!(now, booted_hash, "the cog did not change");
    for engine in engines {
        for from_boot in [false, true] {
            let d = s(&dir);
            let mut hargs = vec!["start", d.as_str(), "--print-hash"];
            if from_boot {
                hargs.push("--replay-all");
            }
            hargs.extend_from_slice(engine);
            let (code, out, err) = run(&hargs);
            assert_eq!(code, 0, "{err}");
            assert_eq!(out, now, "{engine:?} (from boot: {from_boot}) disagrees");
        }
    }
    // An export reads every pin (each checked against its hash on the way in and out).
    let file = dir.with_extension("export");
    let (code, _, err) = run(&["export", &s(&dir), &s(&file), "--heap-stats"]);
    assert_eq!(code, 0, "{err}");
    let (known, loaded, read) = loader_stats(&err);
    assert_eq!(known, loaded, "the export left pins unread");
    assert!(read > 2 << 20, "{read}");
    let moved = store("lazy-moved");
    let (code, _, err) = run(&["import", &s(&file), &s(&moved)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hash_of(&moved, false), now);
    for p in [&dir, &moved] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(&file);
}

/// A damaged record of a pin that nothing touches does not stop a start; reading it (an
/// export) says which pin is damaged and exits with status 2.
#[test]
fn a_damaged_pin_is_reported_when_it_is_read() {
    let dir = store("lazy-damage");
    boot_ok(&dir, "tests/cog/big_counter.sire");
    let good = hash_of(&dir, false);
    let pack = std::fs::read_dir(dir.join("pins"))
        .expect("pins")
        .map(|e| e.expect("entry").path())
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("a pack");
    let mut bytes = std::fs::read(&pack).expect("pack");
    // The middle of the pack is inside one of the 32 bars.
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&pack, &bytes).expect("flip");
    assert_eq!(
        hash_of(&dir, false),
        good,
        "the untouched bars changed the cog"
    );
    let file = dir.with_extension("export");
    let (code, _, err) = run(&["export", &s(&dir), &s(&file)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the store is damaged"), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}

/// kill -9 at random instants while a machine whose pins are mostly unloaded snapshots
/// after every batch and collects often: no bar is lost (an export reads every one of
/// them), and snapshot and replay agree.
#[test]
fn kill_9_with_lazy_pins_during_snapshots_and_collection_loses_no_pin() {
    let dir = store("kill-lazy");
    boot_ok(&dir, "tests/cog/big_counter.sire");
    let seed = clock_seed(11);
    eprintln!("kill schedule seed: {seed}");
    let mut rng = Lcg(seed);
    let mut seen = 0u64;
    let pause = [("PALLAS_STORE_TEST_PAUSE_MS", "2")];
    for round in 0..6 {
        let (mut child, counts) = start_with(&dir, &["--snapshot-every", "1"], &pause);
        let first = counts
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("round {round}: no count"));
        assert!(first > seen, "round {round}: {first} after {seen}");
        seen = first;
        let t = Instant::now();
        let run_for = Duration::from_millis(50 + rng.next(300));
        while t.elapsed() < run_for {
            if let Ok(n) = counts.recv_timeout(Duration::from_millis(5)) {
                seen = seen.max(n);
            }
        }
        child.kill().expect("kill -9");
        let _ = child.wait();
        while let Ok(n) = counts.recv_timeout(Duration::from_millis(200)) {
            seen = seen.max(n);
        }
    }
    let h = hash_of(&dir, false);
    assert_eq!(hash_of(&dir, true), h);
    let file = dir.with_extension("export");
    let (code, _, err) = run(&["export", &s(&dir), &s(&file)]);
    assert_eq!(code, 0, "a pin was lost: {err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}
