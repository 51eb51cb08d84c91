//! `--profile-output FILE`: write a profile of the run, in a format chosen by the extension:
//! `.json` speedscope, `.folded` folded stacks (flamegraph tools), `.svg` a flamegraph a
//! browser opens, anything else a table.

use std::path::Path;
use std::time::Duration;

use pallas_runtime::profile::Profiler;
use pallas_runtime::Runtime;

use super::{Failure, RuntimeOpts};

/// The forms a profile can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// speedscope's JSON file format.
    Speedscope,
    /// Folded stacks (`outer;inner count`), sample counts.
    Folded,
    /// A flamegraph as a self-contained SVG file.
    Svg,
    /// The per-law table `pallas prof` prints.
    Table,
}

impl Format {
    /// The format a file name asks for, by its extension.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Speedscope,
            Some("folded") => Format::Folded,
            Some("svg") => Format::Svg,
            _ => Format::Table,
        }
    }
}

/// Starts profiling if the options ask for it.
pub fn start(opts: &RuntimeOpts, rt: &mut Runtime) {
    if opts.profile_output.is_some() {
        rt.start_profiling(Duration::from_micros(opts.profile_interval_us.max(50)));
    }
}

/// Stops profiling and writes the profile, if one was running.
pub fn finish(opts: &RuntimeOpts, rt: &mut Runtime) -> Result<(), Failure> {
    let (Some(path), Some(p)) = (&opts.profile_output, rt.stop_profiling()) else {
        return Ok(());
    };
    write(&p, path)
}

/// Writes a finished profile in the format its file name asks for.
pub fn write(p: &Profiler, path: &Path) -> Result<(), Failure> {
    write_as(p, path, Format::of(path))
}

/// Writes a finished profile in the given format.
pub fn write_as(p: &Profiler, path: &Path, format: Format) -> Result<(), Failure> {
    let text = match format {
        Format::Speedscope => p.speedscope(),
        Format::Folded => p.folded(),
        Format::Svg => super::flamegraph::svg(p)
            .map_err(|e| Failure::crash(format!("{}: {e}", path.display())))?,
        Format::Table => p.table(),
    };
    std::fs::write(path, text).map_err(|e| {
        Failure::crash(format!(
            "cannot write the profile to {}: {e} (is the directory there and writable?)",
            path.display()
        ))
    })?;
    let native_ms = p.laws.iter().map(|l| l.native_nanos).sum::<u64>() as f64 / 1e6;
    // The flamegraph and the table also hold the measured time of JIT-compiled calls.
    let timed = if native_ms > 0.0 && matches!(format, Format::Svg | Format::Table) {
        format!(" and {native_ms:.1} ms of machine code")
    } else {
        String::new()
    };
    let what = if format == Format::Svg {
        " (a flamegraph: open it in a browser)"
    } else {
        ""
    };
    eprintln!(
        "profile: {} samples{timed} written to {}{what}",
        p.samples,
        path.display()
    );
    Ok(())
}
