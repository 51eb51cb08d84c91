//! `pallas show FILE.seed`: load a seed (or a pod) and print the value.

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::seed;

use super::{Failure, RuntimeOpts};

/// Arguments of `pallas show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The seed or pod file.
    pub file: PathBuf,
    /// Print in the `pallas plan` syntax instead of the readable Sire-like form.
    #[arg(long)]
    pub plan: bool,
}

/// Runs `pallas show`.
pub fn run(opts: &RuntimeOpts, a: ShowArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&a.file)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", a.file.display())))?;
    let mut rt = opts.runtime();
    let v = if seed::is_pod(&bytes) {
        seed::load_pod(&mut rt, &bytes)
    } else {
        seed::load(&mut rt, &bytes)
    }
    .map_err(|e| Failure::input(format!("{}: {e}", a.file.display())))?;
    if a.plan {
        println!("{}", pallas_runtime::print::show(v));
    } else {
        println!("{}", crate::loot::show(v, usize::MAX));
    }
    Ok(())
}
