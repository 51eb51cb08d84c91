//! `pallas boot STORE FILE.sire`, `pallas start STORE`, `pallas gc STORE`, `pallas export
//! STORE FILE` and `pallas import FILE STORE`: persistent machines.
//!
//! A STORE that is a bare name (no `/`) lives in `$PALLAS_HOME` (default `~/.pallas`); any
//! other STORE is a directory path.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Args;
use pallas_runtime::machine::group::{self, Group, GroupConfig};
use pallas_runtime::machine::{self, Access, Ended, Machine};

use super::{Failure, RuntimeOpts};

/// Shown at the end of `--help`.
const BOOT_EXAMPLES: &str = "\
Examples:
  # a machine in ./counter; then `pallas start ./counter`
  pallas boot ./counter sire/demo_counter.sire";

/// Arguments of `pallas boot`.
#[derive(Args, Debug)]
#[command(after_help = BOOT_EXAMPLES)]
pub struct BootArgs {
    /// The machine's store: a directory, or a bare name under `~/.pallas`.
    pub store: String,
    /// The Sire file whose `main` is the cog.
    pub file: PathBuf,
}

/// Shown at the end of `--help`.
const START_EXAMPLES: &str = "\
Examples:
  # replay the log, then run until Ctrl-C
  pallas start ./counter
  # load and replay, print the cog's hash, stop
  pallas start ./counter --print-hash
  # an HTTP server on port 8080 (try `curl localhost:8080/`)
  pallas boot ./web sire/demo_http.sire && PALLAS_TCP_PORT=8080 pallas start ./web
  # drop the inputs that crash the cog (with a message) instead of stopping
  pallas start ./web --skip-crashing-inputs";

/// Arguments of `pallas start`.
#[derive(Args, Debug)]
#[command(after_help = START_EXAMPLES)]
pub struct StartArgs {
    /// The machine's store: a directory, or a bare name under `~/.pallas`.
    pub store: String,
    /// Replay the whole log from the booted cog instead of the latest snapshot.
    #[arg(long)]
    pub replay_all: bool,
    /// Take a snapshot every this many batches.
    #[arg(long, default_value_t = 1000)]
    pub snapshot_every: u64,
    /// Print the cog's hash after loading and replaying, then stop (for checking replays).
    /// Reads the store only: nothing on disk changes, damage is described, not repaired.
    #[arg(long)]
    pub print_hash: bool,
    /// How many seconds one step (or one driver call, or one read) may run. A step past it
    /// stops the machine without committing the step; a driver past it restarts.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub step_limit: f64,
    /// When a step fails (the cog crashes, runs past --step-limit or returns no
    /// `[cog outputs]`), run its inputs again one at a time and drop each one that fails
    /// alone, with a message, instead of stopping the machine. Nothing of a failed step is
    /// committed either way.
    #[arg(long)]
    pub skip_crashing_inputs: bool,
}

/// Where a STORE argument points.
pub fn store_path(store: &str) -> PathBuf {
    if store.contains(std::path::MAIN_SEPARATOR) || store.contains('/') || store.starts_with('.') {
        return PathBuf::from(store);
    }
    let home = std::env::var_os("PALLAS_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pallas")))
        .unwrap_or_else(|| PathBuf::from(".pallas"));
    home.join(store)
}

/// Runs `pallas boot`.
pub fn boot(opts: &RuntimeOpts, a: BootArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let mut rt = opts.runtime();
    let s = super::load_sire_quietly(opts, &mut rt, &a.file)?;
    let st = s.state(&mut rt);
    let main = crate::sire::state::lookup_val(&mut rt, st, "main")
        .map_err(Failure::input)?
        .ok_or_else(|| Failure::input(format!("{} defines no `main`", a.file.display())))?;
    let cog = rt
        .normalize(main)
        .map_err(|c| Failure::crash(format!("main crashed: {}", c.describe())))?;
    Machine::boot(rt, &dir, cog).map_err(|e| Failure::input(e.to_string()))?;
    eprintln!("booted {} from {}", dir.display(), a.file.display());
    Ok(())
}

/// The console line for a trace: a timestamp, then the value.
fn trace_line(v: pallas_runtime::Value) -> String {
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now());
    format!("{now} trk {}", crate::loot::show(v, 4000))
}

/// How the cogs of a machine run from the command line: each its own runtime; messages
/// and trace lines of spawned cogs name the cog.
fn group_config(opts: &RuntimeOpts, a: &StartArgs) -> Result<GroupConfig, Failure> {
    let step_limit = std::time::Duration::try_from_secs_f64(a.step_limit)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Failure::input(format!(
                "--step-limit {}: not a positive number of seconds",
                a.step_limit
            ))
        })?;
    let o = opts.clone();
    Ok(GroupConfig {
        runtime: Arc::new(move || o.runtime()),
        say: Arc::new(|id, m| match id {
            machine::cogs::ROOT => eprintln!("pallas: {m}"),
            id => eprintln!("pallas: cog {id}: {m}"),
        }),
        trace: Arc::new(|id, v| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed stdout must not stop the machine.
            let _ = match id {
                machine::cogs::ROOT => writeln!(out, "{}", trace_line(v)),
                id => writeln!(out, "cog {id} {}", trace_line(v)),
            };
            let _ = out.flush();
        }),
        replay_all: a.replay_all,
        snapshot_every: a.snapshot_every.max(1),
        step_limit,
        skip_crashing_inputs: a.skip_crashing_inputs,
        show_value: crate::loot::show,
    })
}

/// Runs `pallas start`.
pub fn start(opts: &RuntimeOpts, a: StartArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let cfg = group_config(opts, &a)?;
    if a.print_hash {
        // Reads only: nothing in the store changes.
        let (say, print) = (cfg.say.clone(), cfg.trace.clone());
        let mut m = Machine::open(
            (cfg.runtime)(),
            &dir,
            a.replay_all,
            Access::Read,
            Box::new(move |m| say(1, m)),
            Box::new(move |v| print(1, v)),
        )
        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
        println!("{}", pallas_runtime::hash::base58(&m.cog_hash()));
        // Then each spawned cog, if any: `cog ID HASH`.
        let others = group::spawned_hashes(&cfg, &dir, a.replay_all)
            .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
        for (id, h) in others {
            println!("cog {id} {}", pallas_runtime::hash::base58(&h));
        }
        return Ok(());
    }
    let mut g = Group::start(&dir, a.replay_all, cfg)
        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The stop flag ends the run loop; the interrupt flag cuts short a running step.
        for flag in [stop.clone(), g.root.interrupt_flag()] {
            signal_hook::flag::register(sig, flag)
                .map_err(|e| Failure::input(format!("cannot handle signals: {e}")))?;
        }
    }
    eprintln!("started {} at batch {}", dir.display(), g.root.batch());
    match g.run(&stop) {
        Ok(Ended::Stopped) => {
            eprintln!("stopped at batch {}", g.root.batch());
            Ok(())
        }
        Ok(Ended::Finished) => {
            eprintln!(
                "the cog finished (no workers left) at batch {}",
                g.root.batch()
            );
            Ok(())
        }
        Err(e) => {
            let _ = g.root.close();
            let others = spawned_not_ended(&dir);
            if !others.is_empty() {
                // The booted cog is the machine: its failure stops the machine, not the cogs.
                eprintln!(
                    "pallas: the booted cog (cog 1) failed, so the machine stops; {} {} stopped with it and snapshotted, not ended: {} again at the next start",
                    cog_list(&others),
                    if others.len() == 1 { "was" } else { "were" },
                    if others.len() == 1 { "it runs" } else { "they run" },
                );
            }
            Err(Failure::crash(format!("{}: {e}", dir.display())))
        }
    }
}

/// The spawned cogs of the machine in `dir` that have not ended (they run at a start).
fn spawned_not_ended(dir: &Path) -> Vec<u64> {
    let (ids, _) = pallas_runtime::machine::cogs::scan(dir).unwrap_or_default();
    ids.into_iter()
        .filter(|&id| {
            let d = pallas_runtime::machine::cogs::cog_dir(dir, id);
            d.join("boot").exists() && !d.join("ended").exists()
        })
        .collect()
}

/// `cog 2`, `cogs 2, 3`.
fn cog_list(ids: &[u64]) -> String {
    let names: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    match ids.len() {
        1 => format!("cog {}", names[0]),
        _ => format!("cogs {}", names.join(", ")),
    }
}

/// Shown at the end of `--help`.
const PS_EXAMPLES: &str = "\
Examples:
  # the cogs of ./counter: id, state, last batch, latest snapshot (works while it runs)
  pallas ps ./counter";

/// Arguments of `pallas ps`.
#[derive(Args, Debug)]
#[command(after_help = PS_EXAMPLES)]
pub struct PsArgs {
    /// The machine's store: a directory, or a bare name under `~/.pallas`.
    pub store: String,
}

/// Runs `pallas ps`: one line per cog (it reads only, and works while the machine runs).
pub fn ps(opts: &RuntimeOpts, a: PsArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let mut rt = opts.runtime();
    let cogs =
        group::ps(&mut rt, &dir).map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    println!(
        "{:>4}  {:<16} {:>10}  {:>10}  SNAPSHOT COG",
        "ID", "STATE", "BATCH", "SNAPSHOT"
    );
    for c in cogs {
        println!(
            "{:>4}  {:<16} {:>10}  {:>10}  {}",
            c.id,
            c.state,
            c.batch,
            c.snapshot.0,
            pallas_runtime::hash::base58(&c.snapshot.1)
        );
    }
    Ok(())
}

/// Shown at the end of `--help`.
const GC_EXAMPLES: &str = "\
Examples:
  # reclaim what ./counter no longer reaches (stop the machine first)
  pallas gc ./counter";

/// Arguments of `pallas gc`.
#[derive(Args, Debug)]
#[command(after_help = GC_EXAMPLES)]
pub struct GcArgs {
    /// The machine's store: a directory, or a bare name under `~/.pallas`.
    pub store: String,
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

/// Runs `pallas gc`: keeps the pins that the boot record and the latest snapshot of every cog
/// of the machine reach.
pub fn gc(a: GcArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let (ids, _) = pallas_runtime::machine::cogs::scan(&dir).unwrap_or_default();
    if ids.is_empty() {
        eprintln!("collecting {} ...", dir.display());
    } else {
        eprintln!(
            "collecting {} (the pins of cog 1 and {}) ...",
            dir.display(),
            cog_list(&ids)
        );
    }
    let c = machine::collect_store(&dir, &mut |m| eprintln!("pallas: {m}"))
        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    eprintln!(
        "kept {} pins, reclaimed {} ({} packs rewritten or removed); pins take {} (were {})",
        c.live,
        c.reclaimed,
        c.packs_removed,
        mb(c.bytes_after),
        mb(c.bytes_before)
    );
    Ok(())
}

/// Shown at the end of `--help`.
const EXPORT_EXAMPLES: &str = "\
Examples:
  # the latest state of ./counter in one file (stop the machine first)
  pallas export ./counter counter.export
  # ... and on another machine: pallas import counter.export ./counter";

/// Arguments of `pallas export`.
#[derive(Args, Debug)]
#[command(after_help = EXPORT_EXAMPLES)]
pub struct ExportArgs {
    /// The machine's store: a directory, or a bare name under `~/.pallas`.
    pub store: String,
    /// The file to write.
    pub file: PathBuf,
    /// Export the booted cog (cog 1) alone from a machine that has spawned cogs (which an
    /// export does not carry).
    #[arg(long)]
    pub booted_cog_only: bool,
}

/// Runs `pallas export`.
pub fn export(opts: &RuntimeOpts, a: ExportArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let (ids, _) = pallas_runtime::machine::cogs::scan(&dir).unwrap_or_default();
    if !ids.is_empty() {
        if !a.booted_cog_only {
            return Err(Failure::input(format!(
                "{}: the machine has spawned cogs ({}); an export carries the booted cog (cog 1) only, so they would not come along. Pass --booted-cog-only to export cog 1 alone",
                dir.display(),
                cog_list(&ids)
            )));
        }
        eprintln!(
            "pallas: exporting cog 1 alone: {} {} not exported",
            cog_list(&ids),
            if ids.len() == 1 { "is" } else { "are" }
        );
    }
    eprintln!("exporting {} ...", dir.display());
    let say: Box<dyn FnMut(&str)> = Box::new(|m| eprintln!("pallas: {m}"));
    let moved = machine::export::export(opts.runtime(), &dir, &a.file, say)
        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    eprintln!(
        "wrote {} ({}): cog {} after batch {}",
        a.file.display(),
        mb(moved.bytes),
        pallas_runtime::hash::base58(&moved.cog),
        moved.batch
    );
    Ok(())
}

/// Shown at the end of `--help`.
const IMPORT_EXAMPLES: &str = "\
Examples:
  # a new machine in ./moved from what `pallas export` wrote; then `pallas start ./moved`
  pallas import counter.export ./moved";

/// Arguments of `pallas import`.
#[derive(Args, Debug)]
#[command(after_help = IMPORT_EXAMPLES)]
pub struct ImportArgs {
    /// A file written by `pallas export`.
    pub file: PathBuf,
    /// The new machine's store (must not exist yet): a directory, or a bare name.
    pub store: String,
}

/// Runs `pallas import`.
pub fn import(opts: &RuntimeOpts, a: ImportArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let moved = machine::export::import(opts.runtime(), &a.file, &dir)
        .map_err(|e| Failure::input(e.to_string()))?;
    eprintln!(
        "imported {} into {}: cog {} after batch {}",
        a.file.display(),
        dir.display(),
        pallas_runtime::hash::base58(&moved.cog),
        moved.batch
    );
    Ok(())
}
