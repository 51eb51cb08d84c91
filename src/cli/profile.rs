//! `--profile-output FILE`: write a profile of the run, in a format chosen by the extension:
//! `.json` speedscope, `.folded` folded stacks (flamegraph tools), anything else a table.

use std::path::Path;
use std::time::Duration;

use pallas_runtime::Runtime;

use super::{Failure, RuntimeOpts};

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
pub fn write(p: &pallas_runtime::profile::Profiler, path: &Path) -> Result<(), Failure> {
    let text = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => p.speedscope(),
        Some("folded") => p.folded(),
        _ => p.table(),
    };
    std::fs::write(path, text)
        .map_err(|e| Failure::crash(format!("cannot write profile {}: {e}", path.display())))?;
    eprintln!(
        "profile: {} samples written to {}",
        p.samples,
        path.display()
    );
    Ok(())
}
