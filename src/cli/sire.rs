//! `pallas sire [FILES...]`: load Sire files in batch mode, then read REPL input from stdin.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Args;

use super::{Failure, RuntimeOpts};
use crate::sire::session::Session;

/// Shown at the end of `--help`.
const SIRE_EXAMPLES: &str = "\
Examples:
  # load the file, then a REPL (a blank line ends a block)
  pallas sire sire/tab.sire
  # evaluate input in its scope
  echo 'tabIdx 3 (tabFromPairs [[1 2] [3 4]])' | pallas sire sire/rex.sire
  # check a file: stop at the first failure, exit 2
  pallas sire --no-repl sire/tab.sire";

/// Arguments of `pallas sire`.
#[derive(Args, Debug)]
#[command(after_help = SIRE_EXAMPLES)]
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
    opts: &RuntimeOpts,
    rt: &mut pallas_runtime::Runtime,
    a: SireArgs,
) -> Result<(), Failure> {
    let mut s = Session::new(rt);
    s.cache = opts.module_cache();
    let mut module = None;
    for f in &a.files {
        match s.load_file(rt, f) {
            Ok(m) => module = Some(m),
            Err(e) => return Err(super::load_failure(rt, &e, f)),
        }
    }
    if a.no_repl {
        return Ok(());
    }
    s.enter_repl(rt, module.as_deref())
        .map_err(Failure::input)?;
    let mut lines = ReplInput::new();
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
            let _ = s.run_source(rt, "REPL", &src, false, &mut |f| {
                eprintln!("{}\n", super::errors::sire(f))
            });
            buf.clear();
        };
    let mut line_no = 0;
    while let Some(line) = lines.next(buf.is_empty()) {
        line_no += 1;
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

/// Where REPL lines come from: a line editor with history when stdin is a terminal,
/// plain lines otherwise.
enum ReplInput {
    Editor(Box<rustyline::DefaultEditor>, Option<PathBuf>),
    Plain(std::io::Lines<std::io::StdinLock<'static>>),
}

impl ReplInput {
    fn new() -> ReplInput {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            if let Ok(mut ed) = rustyline::DefaultEditor::new() {
                let history =
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pallas_history"));
                if let Some(h) = &history {
                    let _ = ed.load_history(h);
                }
                eprintln!("Sire REPL: a blank line ends a block; Ctrl-D quits.");
                return ReplInput::Editor(Box::new(ed), history);
            }
        }
        ReplInput::Plain(std::io::stdin().lock().lines())
    }

    /// The next line, or `None` at the end of input. `fresh`: no block is being typed.
    fn next(&mut self, fresh: bool) -> Option<String> {
        match self {
            ReplInput::Plain(lines) => lines.next().and_then(|l| l.ok()),
            ReplInput::Editor(ed, history) => {
                let prompt = if fresh { "sire> " } else { "....> " };
                match ed.readline(prompt) {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            let _ = ed.add_history_entry(line.as_str());
                            if let Some(h) = history {
                                let _ = ed.save_history(h);
                            }
                        }
                        Some(line)
                    }
                    // Ctrl-C abandons the block being typed.
                    Err(rustyline::error::ReadlineError::Interrupted) => Some(String::new()),
                    Err(_) => None,
                }
            }
        }
    }
}
