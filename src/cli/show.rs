//! `pallas show FILE.seed`: load a seed (or a pod) and print the value.

use std::path::PathBuf;

use clap::Args;

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
    let mut rt = opts.runtime();
    let v = super::read_seed_file(&mut rt, &a.file)?;
    if a.plan {
        println!("{}", pallas_runtime::print::show(v));
    } else {
        println!("{}", crate::loot::show(v, usize::MAX));
    }
    Ok(())
}
