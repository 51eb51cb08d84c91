//! `pallas show FILE.seed`: load a seed (or a pod) and print the value.

use std::path::PathBuf;

use clap::Args;

use super::{Failure, RuntimeOpts};

/// Shown at the end of `--help`.
const SHOW_EXAMPLES: &str = "\
Examples:
  # the value, readably
  pallas show out.seed
  # in `pallas plan` syntax
  pallas show --plan out.seed";

/// Arguments of `pallas show`.
#[derive(Args, Debug)]
#[command(after_help = SHOW_EXAMPLES)]
pub struct ShowArgs {
    /// The seed or pod file.
    pub file: PathBuf,
    /// Print in the `pallas plan` syntax instead of the readable Sire-like form.
    #[arg(long)]
    pub plan: bool,
}

/// Runs `pallas show`.
pub fn run(opts: &RuntimeOpts, a: ShowArgs) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    let v = super::read_seed_file(&mut rt, &a.file)?;
    if a.plan {
        println!("{}", pallas_runtime::print::show(v));
    } else {
        println!("{}", crate::loot::show(v, usize::MAX));
    }
    Ok(())
}
