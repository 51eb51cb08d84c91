//! `pallas prof FILE.sire [EXPR]`: profile loading a Sire file, or evaluating an expression
//! in its scope, and print the hottest laws.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{Failure, RuntimeOpts};
use crate::sire::session::Session;

/// Shown at the end of `--help`.
const PROF_EXAMPLES: &str = "\
Examples:
  # the hottest laws while evaluating `nrev 400`
  pallas prof sire/bench.sire 'nrev 400'
  # also a flamegraph: open fib.svg in a browser
  pallas prof sire/bench.sire 'fib 25' --svg fib.svg
  # interpreted only, sampled every 100 µs
  pallas --jit off --profile-interval-us 100 prof sire/bench.sire 'fib 22'
  # profile loading the file
  pallas prof sire/tab.sire";

/// Arguments of `pallas prof`.
#[derive(Args, Debug)]
#[command(after_help = PROF_EXAMPLES)]
pub struct ProfArgs {
    /// The Sire file to load.
    pub file: PathBuf,
    /// An expression to evaluate in the file's scope; without it the load is profiled.
    pub expr: Option<String>,
    /// How many rows of the table to print.
    #[arg(long, default_value_t = 30)]
    pub top: usize,
    /// Also write the profile as a flamegraph (an SVG file a browser opens) here.
    #[arg(long, value_name = "FILE.svg")]
    pub svg: Option<PathBuf>,
}

/// Runs `pallas prof`.
pub fn run(opts: &RuntimeOpts, a: ProfArgs) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    let interval = Duration::from_micros(opts.profile_interval_us.max(50));
    let mut s = Session::new(&mut rt);
    s.cache = opts.module_cache();
    s.quiet();
    if a.expr.is_none() {
        rt.start_profiling(interval);
    }
    let module = s
        .load_file(&mut rt, &a.file)
        .map_err(|e| Failure::input(super::errors::load(&e, &a.file)))?;
    if let Some(expr) = &a.expr {
        s.enter_repl(&mut rt, Some(&module))
            .map_err(Failure::input)?;
        rt.start_profiling(interval);
        let src = format!("{expr}\n");
        let mut failure = None;
        s.run_source(&mut rt, "<expr>", &src, true, &mut |f| {
            failure = Some(super::errors::sire(f))
        })
        .map_err(|e| Failure::input(super::errors::sire(&e)))?;
        if let Some(f) = failure {
            return Err(Failure::input(f));
        }
    }
    let Some(p) = rt.stop_profiling() else {
        return Ok(());
    };
    let table = p.table();
    let mut lines = table.lines();
    if let Some(h) = lines.next() {
        println!("{h}");
    }
    let rows: Vec<&str> = lines.collect();
    let (body, footer) = rows.split_at(rows.len().saturating_sub(1));
    for l in body.iter().take(a.top) {
        println!("{l}");
    }
    for l in footer {
        println!("{l}");
    }
    if let Some(path) = &opts.profile_output {
        super::profile::write(&p, path)?;
    }
    if let Some(path) = &a.svg {
        super::profile::write_as(&p, path, super::profile::Format::Svg)?;
    }
    Ok(())
}
