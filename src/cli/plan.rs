//! `pallas plan`: evaluate, hash or save a PLAN expression.

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::hash;

use super::{Failure, RuntimeOpts};
use crate::plan_syntax;

/// Arguments of `pallas plan`.
#[derive(Args, Debug)]
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
        .map_err(|e| Failure::input(format!("<expr>:{e}\n  {}", a.expr)))?;
    let mut rt = opts.runtime();
    let v = plan_syntax::build(&mut rt, &expr);
    let v = rt.normalize(v).map_err(|c| Failure::crash(c.describe()))?;
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
    Ok(())
}
