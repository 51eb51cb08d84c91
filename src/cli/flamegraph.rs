//! A profile as a flamegraph: one SVG file (drawn by `inferno`, with its search and zoom
//! script inside) that a browser opens offline. Widths are time: sampled stacks, and the
//! measured time of JIT-compiled calls under a root frame `[machine code]`.

use pallas_runtime::profile::Profiler;

/// The flamegraph of a finished profile, as SVG text. Fails, saying what to do, when the
/// profile holds no time at all (the run was shorter than one sampling interval).
pub fn svg(p: &Profiler) -> Result<String, String> {
    let folded = p.folded_micros();
    if folded.trim().is_empty() {
        return Err(format!(
            "the profile has no samples: no law ran in the interpreter when one of its samples \
             (every {:?}) was due (the run was short, or its time went to native jets, which \
             are not sampled); profile a longer run, or sample more often with \
             --profile-interval-us",
            p.interval()
        ));
    }
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = "pallas profile".into();
    let jit = p.laws.iter().any(|l| l.native_nanos > 0);
    opts.subtitle = Some(format!(
        "{} samples every {:?}, wall time {:.1?}{}",
        p.samples,
        p.interval(),
        p.elapsed(),
        if jit {
            "; [machine code]: JIT-compiled calls, timed per call"
        } else {
            ""
        }
    ));
    opts.count_name = "µs".into();
    opts.name_type = "Law:".into();
    // Colours follow the law's name, so two runs of one program look alike.
    opts.hash = true;
    opts.deterministic = true;
    let mut out = Vec::new();
    inferno::flamegraph::from_lines(&mut opts, folded.lines(), &mut out)
        .map_err(|e| format!("cannot draw the flamegraph: {e}"))?;
    String::from_utf8(out).map_err(|e| format!("the flamegraph is not UTF-8: {e}"))
}
