//! `pallas sire [FILES...]`: load Sire files in batch mode, then read REPL input from stdin.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Args;

use super::{Failure, RuntimeOpts};
use crate::sire::session::Session;

/// Arguments of `pallas sire`.
#[derive(Args, Debug)]
pub struct SireArgs {
    /// Sire files to load (each starts with `#### name`); the last one is imported into the REPL.
    pub files: Vec<PathBuf>,
    /// Do not read REPL input after loading.
    #[arg(long)]
    pub no_repl: bool,
}

/// Runs `pallas sire`.
pub fn run(opts: &RuntimeOpts, a: SireArgs) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    super::profile::start(opts, &mut rt);
    let r = run_with(opts, &mut rt, a);
    super::profile::finish(opts, &mut rt)?;
    r
}

fn run_with(
    _opts: &RuntimeOpts,
    rt: &mut pallas_runtime::Runtime,
    a: SireArgs,
) -> Result<(), Failure> {
    let mut s = Session::new(rt);
    let mut module = None;
    for f in &a.files {
        match s.load_file(rt, f) {
            Ok(m) => module = Some(m),
            Err(e) => return Err(Failure::input(format!("\n{e}"))),
        }
    }
    if a.no_repl {
        return Ok(());
    }
    s.enter_repl(rt, module.as_deref())
        .map_err(Failure::input)?;
    let stdin = std::io::stdin();
    let mut buf = String::new();
    let mut start = 1;
    let flush =
        |s: &mut Session, rt: &mut pallas_runtime::Runtime, buf: &mut String, start: usize| {
            if buf.trim().is_empty() {
                buf.clear();
                return;
            }
            let pad = "\n".repeat(start.saturating_sub(1));
            let src = format!("{pad}{buf}");
            let _ = s.run_source(rt, "REPL", &src, false, &mut |f| eprintln!("\n{f}\n"));
            buf.clear();
        };
    for (line_no, line) in (1..).zip(stdin.lock().lines()) {
        let Ok(line) = line else { break };
        if buf.is_empty() {
            start = line_no;
        }
        if line.trim().is_empty() {
            flush(&mut s, rt, &mut buf, start);
        } else {
            buf.push_str(&line);
            buf.push('\n');
        }
    }
    flush(&mut s, rt, &mut buf, start);
    Ok(())
}
