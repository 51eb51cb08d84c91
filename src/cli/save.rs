//! `pallas save OUT.seed FILE.sire`: load a Sire file and save its `main` as a seed.

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::seed;

use super::{Failure, RuntimeOpts};
use crate::sire::state;

/// Shown at the end of `--help`.
const SAVE_EXAMPLES: &str = "\
Examples:
  # the file's `main` as a seed
  pallas save counter.seed sire/demo_counter.sire
  # with every pin it references
  pallas save --pod counter.pod sire/demo_counter.sire";

/// Arguments of `pallas save`.
#[derive(Args, Debug)]
#[command(after_help = SAVE_EXAMPLES)]
pub struct SaveArgs {
    /// Where to write the seed.
    pub out: PathBuf,
    /// The Sire file whose `main` is saved.
    pub file: PathBuf,
    /// Save as a pod (the value pinned, with every pin it references, hashes checked on load).
    #[arg(long)]
    pub pod: bool,
}

/// Runs `pallas save`.
pub fn run(opts: &RuntimeOpts, a: SaveArgs) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    let s = super::load_sire_quietly(opts, &mut rt, &a.file)?;
    let st = s.state(&mut rt);
    let main = state::lookup_val(&mut rt, st, "main")
        .map_err(Failure::input)?
        .ok_or_else(|| Failure::input(format!("{} defines no `main`", a.file.display())))?;
    let main = rt
        .normalize(main)
        .map_err(|c| Failure::crash(format!("main crashed: {}", c.describe())))?;
    let bytes = if a.pod {
        let pin = match main.deref().kind() {
            Some(pallas_runtime::Kind::Pin(_)) => main,
            _ => rt.pin(main),
        };
        seed::save_pod(&mut rt, pin)
            .ok_or_else(|| Failure::crash("could not build the pod".to_string()))?
    } else {
        seed::save(main)
    };
    std::fs::write(&a.out, &bytes)
        .map_err(|e| Failure::crash(format!("cannot write {}: {e}", a.out.display())))?;
    eprintln!("saved {} bytes to {}", bytes.len(), a.out.display());
    Ok(())
}
