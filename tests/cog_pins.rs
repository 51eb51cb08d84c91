//! The pin store of a machine with several cogs, with real processes: spawned cogs keep no
//! pins of their own (the machine's `pins/` holds every cog's), `pallas gc` keeps what every
//! cog needs, and a spawned cog's store from an earlier version (pins of its own) has them
//! moved into the machine's.

mod machine;

use machine::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs the machine until `n` trace lines of `who` (`cog ID ` or "" for any) came, then
/// stops it with SIGTERM (cleanly: every cog snapshots).
fn run_until(dir: &Path, who: &str, n: usize) {
    let (mut child, lines) = start_lines(dir);
    let mut got = 0;
    while got < n {
        let l = wait_line(&lines, " trk ", Duration::from_secs(30));
        got += usize::from(l.starts_with(who));
    }
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(st.success());
    assert!(child.wait().expect("wait").success(), "a clean stop");
}

fn gc(dir: &Path) -> String {
    let out = pallas()
        .args(["gc", &dir.to_string_lossy()])
        .output()
        .expect("run pallas gc");
    assert!(
        out.status.success(),
        "gc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pack_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().count())
        .unwrap_or(0)
}

#[test]
fn spawned_cogs_keep_no_pins_of_their_own_and_gc_keeps_every_cogs() {
    let dir = store("sharedpins");
    boot_ok(&dir, "sire/demo_ring.sire");
    run_until(&dir, "", 12);
    for id in [2, 3] {
        let d = dir.join(format!("cogs/{id}"));
        assert!(d.join("boot").exists(), "cog {id} was spawned");
        assert!(!d.join("pins").exists(), "cog {id} has a pins/ of its own");
    }
    let before = print_hash(&dir, false);
    assert_eq!(before.lines().count(), 3, "{before}");
    // Several small packs (each cog's boot and snapshots): gc rewrites them into one,
    // keeping only what the records of some cog reach.
    assert!(pack_files(&dir.join("pins")) > 1);
    gc(&dir);
    assert_eq!(pack_files(&dir.join("pins")), 1);
    assert_eq!(print_hash(&dir, false), before, "every cog loads after gc");
    assert_eq!(print_hash(&dir, true), before, "and replays from its boot");
    // Restarts, each ending in a snapshot of every cog: the packs pile up until a cog
    // collects while the others run; every cog still loads, and the ring goes on.
    for _ in 0..10 {
        run_until(&dir, "", 3);
    }
    assert!(pack_files(&dir.join("pins")) < 8, "collected while running");
    let h = print_hash(&dir, false);
    assert_eq!(h, print_hash(&dir, true));
    run_until(&dir, "", 3);
}

#[test]
fn a_spawned_cogs_own_pins_move_into_the_machines() {
    // A spawned cog's store as an earlier version made it has the layout of a whole
    // store: make one with `boot` and put it where cog 2 lives.
    let dir = store("legacypins");
    boot_ok(&dir, "tests/cog/fast_counter.sire");
    let cog2 = store("legacypins-cog");
    boot_ok(&cog2, "tests/cog/fast_counter.sire");
    run_until(&cog2, "", 3);
    std::fs::create_dir_all(dir.join("cogs")).expect("mkdir");
    std::fs::rename(&cog2, dir.join("cogs/2")).expect("move");
    assert!(dir.join("cogs/2/pins").is_dir());
    // Read as it is (nothing changes), then started: cog 2 runs from the machine's pins.
    let before = print_hash(&dir, false);
    assert!(before.lines().any(|l| l.starts_with("cog 2 ")), "{before}");
    assert!(dir.join("cogs/2/pins").is_dir(), "a read moved nothing");
    run_until(&dir, "cog 2 ", 6);
    assert!(
        !dir.join("cogs/2/pins").exists(),
        "cog 2's pins were not moved"
    );
    gc(&dir);
    let after = print_hash(&dir, true);
    assert_eq!(after.lines().count(), 2, "{after}");
    assert_eq!(print_hash(&dir, false), after);
}

#[test]
fn export_refuses_to_leave_spawned_cogs_behind_unless_told() {
    let dir = store("exportcogs");
    boot_ok(&dir, "sire/demo_ring.sire");
    run_until(&dir, "", 3);
    let file = dir.with_extension("export");
    let out = pallas()
        .args(["export", &dir.to_string_lossy(), &file.to_string_lossy()])
        .output()
        .expect("export");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("spawned cogs (cogs 2, 3)") && err.contains("--booted-cog-only"));
    assert!(!file.exists());
    let out = pallas()
        .args(["export", &dir.to_string_lossy(), &file.to_string_lossy()])
        .arg("--booted-cog-only")
        .output()
        .expect("export");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("cogs 2, 3 are not exported"), "{err}");
    let gc_err = pallas()
        .args(["gc", &dir.to_string_lossy()])
        .output()
        .expect("gc");
    assert!(String::from_utf8_lossy(&gc_err.stderr).contains("the pins of cog 1 and cogs 2, 3"));
}

#[test]
fn a_crash_of_the_booted_cog_stops_the_machine_but_ends_no_other_cog() {
    let dir = store("rootcrash");
    boot_ok(&dir, "tests/cog/rootcrash.sire");
    let out = pallas()
        .args(["start", &dir.to_string_lossy()])
        .output()
        .expect("start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the machine stops: {err}");
    assert!(
        err.contains("cog 2 was stopped with it and snapshotted, not ended"),
        "{err}"
    );
    assert!(dir.join("cogs/2/boot").exists() && !dir.join("cogs/2/ended").exists());
    let ps = pallas()
        .args(["ps", &dir.to_string_lossy()])
        .output()
        .expect("ps");
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(
        ps.lines()
            .any(|l| l.trim_start().starts_with("2 ") && l.contains("idle")),
        "{ps}"
    );
    // Dropping the input that crashes cog 1, the machine runs, cog 2 with it (not
    // spawned again: cog 1 kept its id).
    let mut child = pallas()
        .args(["start", &dir.to_string_lossy(), "--skip-crashing-inputs"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let lines = stdout_lines(&mut child);
    wait_line(&lines, "cog 2 ", Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    assert!(!dir.join("cogs/3").exists(), "spawned again");
}
