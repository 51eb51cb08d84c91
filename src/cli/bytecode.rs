//! `pallas bytecode FILE.sire NAME`: load a Sire file and print the bytecode of a law.

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::Kind;

use super::{Failure, RuntimeOpts};
use crate::sire::state;

/// Shown at the end of `--help`.
const BYTECODE_EXAMPLES: &str = "\
Examples:
  # the bytecode of the law `fib`
  pallas bytecode sire/bench.sire fib";

/// Arguments of `pallas bytecode`.
#[derive(Args, Debug)]
#[command(after_help = BYTECODE_EXAMPLES)]
pub struct BytecodeArgs {
    /// The Sire file to load.
    pub file: PathBuf,
    /// The name of the law (a binding in the file's scope).
    pub name: String,
}

/// Runs `pallas bytecode`.
pub fn run(opts: &RuntimeOpts, a: BytecodeArgs) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    let s = super::load_sire_quietly(opts, &mut rt, &a.file)?;
    let st = s.state(&mut rt);
    let v = state::lookup_val(&mut rt, st, &a.name)
        .map_err(Failure::input)?
        .ok_or_else(|| {
            Failure::input(format!("{} is not defined in {}", a.name, a.file.display()))
        })?;
    let law = match v.deref().kind() {
        Some(Kind::Pin(p)) => p.item(),
        _ => v,
    };
    let Some(text) = rt.disassemble(law) else {
        return Err(Failure::input(format!(
            "{} is not a law (it is {})",
            a.name,
            crate::loot::show(v, 200)
        )));
    };
    println!("; {}", a.name);
    print!("{text}");
    Ok(())
}
