//! `pallas boot STORE FILE.sire` and `pallas start STORE`: persistent machines.
//!
//! A STORE that is a bare name (no `/`) lives in `$PALLAS_HOME` (default `~/.pallas`); any
//! other STORE is a directory path.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Args;
use pallas_runtime::machine::{Ended, Machine};

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
  pallas boot ./web sire/demo_http.sire && PALLAS_TCP_PORT=8080 pallas start ./web";

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
    #[arg(long)]
    pub print_hash: bool,
    /// How many seconds one step (or one driver call, or one read) may run. A step past it
    /// stops the machine without committing the step; a driver past it restarts.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub step_limit: f64,
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
    let st = s.state(&rt);
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

/// Runs `pallas start`.
pub fn start(opts: &RuntimeOpts, a: StartArgs) -> Result<(), Failure> {
    let dir = store_path(&a.store);
    let rt = opts.runtime();
    let say: Box<dyn FnMut(&str)> = Box::new(|m| eprintln!("pallas: {m}"));
    let print: Box<dyn FnMut(pallas_runtime::Value)> = Box::new(|v| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // A closed stdout must not stop the machine.
        let _ = writeln!(out, "{}", trace_line(v));
        let _ = out.flush();
    });
    let mut m = Machine::start(rt, &dir, a.replay_all, say, print)
        .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
    m.snapshot_every = a.snapshot_every.max(1);
    m.step_limit = std::time::Duration::try_from_secs_f64(a.step_limit)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Failure::input(format!(
                "--step-limit {}: not a positive number of seconds",
                a.step_limit
            ))
        })?;
    if a.print_hash {
        println!("{}", pallas_runtime::hash::base58(&m.cog_hash()));
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The stop flag ends the run loop; the interrupt flag cuts short a running step.
        for flag in [stop.clone(), m.interrupt_flag()] {
            signal_hook::flag::register(sig, flag)
                .map_err(|e| Failure::input(format!("cannot handle signals: {e}")))?;
        }
    }
    eprintln!("started {} at batch {}", dir.display(), m.batch());
    match m.run(&stop) {
        Ok(Ended::Stopped) => {
            eprintln!("stopped at batch {}", m.batch());
            Ok(())
        }
        Ok(Ended::Finished) => {
            eprintln!("the cog finished (no workers left) at batch {}", m.batch());
            Ok(())
        }
        Err(e) => {
            let _ = m.close();
            Err(Failure::crash(format!("{}: {e}", dir.display())))
        }
    }
}
