//! `pallas repl SEED`: run a seed as an interactive program. The seed's value is a function
//! of one bar (up to 80 bytes of standard input; empty at end of input) that returns
//! `[output st']`, where `output` is a bar written out and `st'` the function for the next
//! chunk. After the empty chunk has been answered the program ends.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::Args;
use pallas_runtime::{datajet, Value};

use super::{Failure, RuntimeOpts};

/// The most bytes of input given to the program at once.
const CHUNK: usize = 80;

/// Shown at the end of `--help`.
const REPL_EXAMPLES: &str = "\
Examples:
  # prog.sire's `main` answers each chunk of input with [output-bar next-program]
  pallas save prog.seed prog.sire && printf 'hi' | pallas repl prog.seed
  # write the output to a file
  pallas repl prog.seed --save out.txt < in.txt";

/// Arguments of `pallas repl`.
#[derive(Args, Debug)]
#[command(after_help = REPL_EXAMPLES)]
pub struct ReplArgs {
    /// The seed (or pod) holding the program.
    pub seed: PathBuf,
    /// Write the program's output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

/// Splits a step's result into its output bytes and the next program.
fn split_result(v: Value) -> Option<(Vec<u8>, Value)> {
    let elems = datajet::row_elems(v.deref())?;
    match elems.as_slice() {
        [out, next] => Some((datajet::bar_bytes(out.deref())?, *next)),
        _ => None,
    }
}

/// Reads up to [`CHUNK`] bytes, returning an empty vector at end of input.
fn read_chunk(input: &mut impl Read) -> Result<Vec<u8>, Failure> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match input.read(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::input(format!("cannot read standard input: {e}"))),
        }
    }
}

/// Runs `pallas repl`.
pub fn run(opts: &RuntimeOpts, a: ReplArgs) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    let program = super::read_seed_file(&mut rt, &a.seed)?;

    let mut out: Box<dyn Write> = match &a.save {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| Failure::input(format!("cannot create {}: {e}", p.display())))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();

    // The current program lives in a root so that collections during a step keep it.
    rt.roots.push(program);
    let slot = rt.roots.len() - 1;
    loop {
        let chunk = read_chunk(&mut input)?;
        let arg = rt.bar(&chunk);
        let st = rt.roots[slot];
        let result = rt
            .call_deep(st, &[arg])
            .map_err(|c| Failure::crash(format!("the program crashed: {}", c.describe())))?;
        let Some((output, next)) = split_result(result) else {
            return Err(Failure::crash(format!(
                "the program returned {} instead of [output-bar next-program]",
                crate::loot::show(result, 2000)
            )));
        };
        rt.roots[slot] = next;
        out.write_all(&output)
            .and_then(|_| out.flush())
            .map_err(|e| Failure::input(format!("cannot write output: {e}")))?;
        if chunk.is_empty() {
            return Ok(());
        }
    }
}
