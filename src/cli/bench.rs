//! `pallas bench`: time one expression under several settings in one process (the bytecode
//! interpreter with the JIT off, with the JIT on, and on request the reference evaluator and
//! the same without jets), after a warm-up, and report min/median per mode, ratios, and
//! compile statistics (bytecode and native).
//!
//! The expression is PLAN text, or with `--sire FILE` a Sire expression in that file's scope,
//! compiled once as the body of a one-argument law that each run calls.

use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pallas_runtime::{print, Runtime, Value};
use serde::Serialize;

use super::{EngineArg, Failure, JitArg, RuntimeOpts};
use crate::plan_syntax::{self, PlanExpr};

/// Shown at the end of `--help`.
const BENCH_EXAMPLES: &str = "\
Examples:
  # JIT off vs on: min/median, ratios
  pallas bench --sire sire/bench.sire 'fib 25'
  # also the reference evaluator; a page with a chart
  pallas bench --sire sire/bench.sire 'fib 20' --with-oracle --html bench.html
  # a PLAN expression; JSON for scripts
  pallas bench --json '({f 2 2} 7 8)'";

/// Arguments of `pallas bench`.
#[derive(Args, Debug)]
#[command(after_help = BENCH_EXAMPLES)]
pub struct BenchArgs {
    /// The expression to time: PLAN syntax (e.g. `({f 1 ...} 25)`), or Sire with `--sire`.
    pub expr: String,
    /// Evaluate EXPR as Sire in the scope of this file.
    #[arg(long, value_name = "FILE.sire")]
    pub sire: Option<std::path::PathBuf>,
    /// Also time the reference evaluator (the test oracle).
    #[arg(long)]
    pub with_oracle: bool,
    /// Timed runs per mode (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Also run every mode with jets disabled.
    #[arg(long)]
    pub with_no_jets: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the results as an HTML page with a chart (self-contained: opens offline).
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<std::path::PathBuf>,
}

/// One mode's results.
#[derive(Serialize, Debug)]
pub struct ModeResult {
    /// The mode's name.
    pub mode: String,
    /// Fastest run, in seconds.
    pub min_s: f64,
    /// Median run, in seconds.
    pub median_s: f64,
    /// Median relative to the first mode's median.
    pub ratio_to_first: f64,
    /// Laws compiled to bytecode in this mode.
    pub laws_compiled: u64,
    /// Time spent compiling to bytecode, in seconds.
    pub compile_s: f64,
    /// What the JIT did in this mode (laws compiled to machine code, time), if it ran.
    pub jit: Option<String>,
    /// The result, printed (the same in every mode).
    pub result: String,
}

/// The whole report.
#[derive(Serialize, Debug)]
pub struct Report {
    /// The expression.
    pub expr: String,
    /// Runs per mode.
    pub runs: usize,
    /// Results per mode.
    pub modes: Vec<ModeResult>,
}

/// One mode: its name and the options it runs with.
fn modes(a: &BenchArgs, opts: &RuntimeOpts) -> Vec<(String, RuntimeOpts)> {
    let with = |engine: EngineArg, jit: JitArg, no_jets: bool| {
        let mut o = opts.clone();
        o.engine = engine;
        o.jit = jit;
        o.no_jets = no_jets;
        o.jit_stats = false;
        o
    };
    let jit_on = if opts.jit == JitArg::Always {
        JitArg::Always
    } else {
        JitArg::On
    };
    let mut jet_settings = vec![opts.no_jets];
    if a.with_no_jets && !opts.no_jets {
        jet_settings.push(true);
    }
    let mut m = Vec::new();
    for no_jets in jet_settings {
        let tag = if no_jets { " --no-jets" } else { "" };
        m.push((
            format!("jit off{tag}"),
            with(EngineArg::Bytecode, JitArg::Off, no_jets),
        ));
        m.push((
            format!(
                "jit {}{tag}",
                if jit_on == JitArg::Always {
                    "always"
                } else {
                    "on"
                }
            ),
            with(EngineArg::Bytecode, jit_on, no_jets),
        ));
        if a.with_oracle {
            m.push((
                format!("oracle{tag}"),
                with(EngineArg::Oracle, JitArg::Off, no_jets),
            ));
        }
    }
    m
}

/// The function and arguments each run calls: the parts of a PLAN application, or the
/// Sire expression compiled as a one-argument law (called with 0).
fn prepare_any(
    mode_opts: &RuntimeOpts,
    rt: &mut Runtime,
    a: &BenchArgs,
    plan: Option<&PlanExpr>,
) -> Result<(Value, Vec<Value>), Failure> {
    if let Some(e) = plan {
        return prepare(rt, e);
    }
    let file = a.sire.as_deref().unwrap_or(std::path::Path::new(""));
    // The definition joins the file's own scope.
    let mut s = super::load_sire_quietly(mode_opts, rt, file)?;
    let src = format!("= (pallasBenchMain pallasBenchArg) | {}\n", a.expr);
    s.run_source(rt, "<expr>", &src, true, &mut |_| {})
        .map_err(|f| Failure::input(super::errors::sire(&f)))?;
    let st = s.state(rt);
    let f = crate::sire::state::lookup_val(rt, st, "pallasBenchMain")
        .map_err(Failure::input)?
        .ok_or_else(|| Failure::input("the expression did not compile"))?;
    rt.roots.push(f);
    Ok((f, vec![Value::small(0)]))
}

/// Splits `(f x ...)` into its evaluated parts, so that each run is only the call.
fn prepare(rt: &mut Runtime, e: &PlanExpr) -> Result<(Value, Vec<Value>), Failure> {
    let parts: Vec<&PlanExpr> = match e {
        PlanExpr::App(xs) => xs.iter().collect(),
        other => vec![other],
    };
    let mut vals = Vec::new();
    for p in parts {
        let v = plan_syntax::build(rt, p);
        let v = rt.normalize(v).map_err(|c| Failure::crash(c.describe()))?;
        vals.push(v);
    }
    let head = vals.remove(0);
    rt.roots.push(head);
    rt.roots.extend(vals.iter().copied());
    Ok((head, vals))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

/// Runs `pallas bench`.
pub fn run(opts: &RuntimeOpts, a: BenchArgs) -> Result<(), Failure> {
    let expr = match a.sire {
        Some(_) => None,
        None => Some(
            plan_syntax::parse(&a.expr)
                .map_err(|e| Failure::input(format!("<expr>:{e}\n  {}", a.expr)))?,
        ),
    };
    let modes = modes(&a, opts);
    let runs = a.runs.max(1);
    let bar = if a.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new((modes.len() * (runs + 1)) as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<24} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut results: Vec<ModeResult> = Vec::new();
    for (name, mode_opts) in modes {
        bar.set_message(name.clone());
        let mut rt = mode_opts.runtime();
        rt.config.jet_mismatch = pallas_runtime::JetMismatch::Ignore;
        let (head, args) = prepare_any(&mode_opts, &mut rt, &a, expr.as_ref())?;
        let mut times = Vec::new();
        let mut shown = String::new();
        for i in 0..=runs {
            let t = Instant::now();
            let r = if args.is_empty() {
                rt.normalize(head)
            } else {
                rt.call_deep(head, &args)
            }
            .map_err(|c| Failure::crash(format!("{name}: {}", c.describe())))?;
            let d = t.elapsed();
            if i > 0 {
                times.push(d);
            } else {
                shown = print::show_short(r, 200);
            }
            bar.inc(1);
        }
        if let Some(first) = results.first() {
            if first.result != shown {
                return Err(Failure::crash(format!(
                    "modes disagree: {} gave {} but {name} gave {shown}",
                    first.mode, first.result
                )));
            }
        }
        let med = median(times.clone());
        let min = times.iter().min().copied().unwrap_or_default();
        let base = results.first().map_or(med.as_secs_f64(), |f| f.median_s);
        results.push(ModeResult {
            mode: name,
            min_s: min.as_secs_f64(),
            median_s: med.as_secs_f64(),
            ratio_to_first: med.as_secs_f64() / base.max(1e-12),
            laws_compiled: rt.stats.laws_compiled.get(),
            compile_s: rt.stats.compile_nanos.get() as f64 / 1e9,
            jit: rt.native.as_ref().map(|n| n.report()),
            result: shown,
        });
    }
    bar.finish_and_clear();
    let report = Report {
        expr: a.expr.clone(),
        runs,
        modes: results,
    };
    if let Some(path) = &a.html {
        std::fs::write(path, super::bench_page::html(&report)).map_err(|e| {
            Failure::crash(format!(
                "cannot write the page to {}: {e} (is the directory there and writable?)",
                path.display()
            ))
        })?;
        eprintln!(
            "bench: page written to {} (open it in a browser)",
            path.display()
        );
    }
    if a.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::crash(format!("cannot format JSON: {e}")))?;
        println!("{text}");
    } else {
        println!(
            "{:<22} {:>12} {:>12} {:>9} {:>8} {:>11}",
            "mode", "min", "median", "ratio", "laws", "compile"
        );
        for m in &report.modes {
            println!(
                "{:<22} {:>12.3?} {:>12.3?} {:>8.2}x {:>8} {:>11.3?}",
                m.mode,
                Duration::from_secs_f64(m.min_s),
                Duration::from_secs_f64(m.median_s),
                m.ratio_to_first,
                m.laws_compiled,
                Duration::from_secs_f64(m.compile_s)
            );
        }
        for m in &report.modes {
            if let Some(j) = &m.jit {
                println!("{}: {j}", m.mode);
            }
        }
        if let Some(m) = report.modes.first() {
            println!("result: {}", m.result);
        }
    }
    Ok(())
}
