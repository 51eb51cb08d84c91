//! `pallas bench`: time one expression under several engine settings in one process, after a
//! warm-up, and report min/median per mode, ratios, and compile statistics.

use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pallas_runtime::{print, Config, Engine, Runtime, Value};
use serde::Serialize;

use super::{Failure, RuntimeOpts};
use crate::plan_syntax::{self, PlanExpr};

/// Arguments of `pallas bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The expression to time (PLAN syntax, e.g. `({f 1 ...} 25)`).
    pub expr: String,
    /// Timed runs per mode (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Also run every mode with jets disabled.
    #[arg(long)]
    pub with_no_jets: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
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
    /// Time spent compiling, in seconds.
    pub compile_s: f64,
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

fn modes(a: &BenchArgs, opts: &RuntimeOpts) -> Vec<(String, Engine, bool)> {
    let mut m = vec![
        ("oracle".to_string(), Engine::Oracle, !opts.no_jets),
        ("bytecode".to_string(), Engine::Bytecode, !opts.no_jets),
    ];
    if a.with_no_jets && !opts.no_jets {
        m.push(("oracle --no-jets".into(), Engine::Oracle, false));
        m.push(("bytecode --no-jets".into(), Engine::Bytecode, false));
    }
    m
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
    let expr = plan_syntax::parse(&a.expr)
        .map_err(|e| Failure::input(format!("<expr>:{e}\n  {}", a.expr)))?;
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
    for (name, engine, jets) in modes {
        bar.set_message(name.clone());
        let mut rt = Runtime::new(Config {
            engine,
            jets,
            jet_mismatch: pallas_runtime::JetMismatch::Ignore,
            ..Config::default()
        });
        let (head, args) = prepare(&mut rt, &expr)?;
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
            result: shown,
        });
    }
    bar.finish_and_clear();
    let report = Report {
        expr: a.expr.clone(),
        runs,
        modes: results,
    };
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
        if let Some(m) = report.modes.first() {
            println!("result: {}", m.result);
        }
        println!(
            "(no JIT tier yet: modes compare the reference evaluator and the bytecode interpreter)"
        );
    }
    Ok(())
}
