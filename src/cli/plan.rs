//! `pallas plan`: evaluate, hash or save a PLAN expression.

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::hash;

use super::{Failure, RuntimeOpts};
use crate::plan_syntax;

/// Shown at the end of `--help`.
const PLAN_EXAMPLES: &str = "\
Examples:
  # 8: the law returns its second argument
  pallas plan '({f 2 2} 7 8)'
  # the hash of the pin <{f 2 2}>
  pallas plan --hash '{f 2 2}'
  # save the normal form; `pallas show out.seed` prints it
  pallas plan --seed out.seed '(0 1 2)'";

/// Arguments of `pallas plan`.
#[derive(Args, Debug)]
#[command(after_help = PLAN_EXAMPLES)]
pub struct PlanArgs {
    /// The expression, e.g. `(3 99)` or `{f 2 1}`.
    pub expr: String,
    /// Print the base58 hash of the pin `<EXPR>` instead of the value.
    #[arg(long)]
    pub hash: bool,
    /// Write the value as a seed file.
    #[arg(long, value_name = "OUT")]
    pub seed: Option<PathBuf>,
}

/// Runs `pallas plan`.
pub fn run(opts: &RuntimeOpts, a: PlanArgs) -> Result<(), Failure> {
    let expr = plan_syntax::parse(&a.expr)
        .map_err(|e| Failure::input(format!("<expr>:{}", e.show(&a.expr))))?;
    let mut rt = opts.runtime();
    let v = plan_syntax::build(&mut rt, &expr);
    super::profile::start(opts, &mut rt);
    let result = rt.normalize(v);
    // The value is printed even when the profile cannot be written.
    let profiled = super::profile::finish(opts, &mut rt);
    let v = result.map_err(|c| Failure::crash(c.describe()))?;
    if a.hash {
        println!("{}", hash::base58(&hash::value_hash(v)));
    } else if a.seed.is_none() {
        println!("{}", pallas_runtime::print::show(v));
    }
    if let Some(out) = a.seed {
        let bytes = pallas_runtime::seed::save(v);
        std::fs::write(&out, bytes)
            .map_err(|e| Failure::crash(format!("cannot write {}: {e}", out.display())))?;
    }
    profiled
}
