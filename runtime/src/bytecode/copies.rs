//! Copy propagation: a temporary whose one definition is `t = x` (a let that names another
//! value) is replaced by `x` wherever it is read, and the move goes.
//!
//! This keeps meaning when `x` holds the same value at every read of `t` as at the move. A
//! constant does. A register does when nothing but value-keeping writes change it: forcing it
//! in place (the same value, evaluated), or a self loop's new arguments (after which the law
//! starts over and runs the move again before any read of `t`, because the move, `t`'s only
//! definition, comes before every read of `t` on every path from the start).

use std::collections::HashMap;

use super::flow::for_each_operand;
use super::flow::{reads, remove, writes};
use super::{Arg, Instr, Reg};

/// Whether `i` writes register `r` with anything other than the value it holds.
fn changes(i: &Instr, r: Reg) -> bool {
    match i {
        Instr::Force {
            dst,
            src: Arg::Reg(s),
        } if dst == s => false,
        Instr::Loop { .. } => false,
        _ => writes(i).contains(&r),
    }
}

/// Propagates the copies of a law's code (see the module documentation); registers up to
/// `arity` (self and the arguments) are never replaced.
pub(super) fn propagate_copies(mut code: Vec<Instr>, arity: u32) -> Vec<Instr> {
    // How many instructions define each register, and how many change it.
    let mut defs: HashMap<Reg, usize> = HashMap::new();
    let mut changing: HashMap<Reg, usize> = HashMap::new();
    // How many times each register is read, and how many of those are operands.
    let mut all_reads: HashMap<Reg, usize> = HashMap::new();
    let mut operand_reads: HashMap<Reg, usize> = HashMap::new();
    for ins in &mut code {
        for r in writes(ins) {
            *defs.entry(r).or_default() += 1;
            if changes(ins, r) {
                *changing.entry(r).or_default() += 1;
            }
        }
        for r in reads(ins) {
            *all_reads.entry(r).or_default() += 1;
        }
        for_each_operand(ins, |a| {
            if let Arg::Reg(r) = a {
                *operand_reads.entry(*r).or_default() += 1;
            }
        });
    }
    let mut drop = vec![false; code.len()];
    for k in 0..code.len() {
        let Instr::Move { dst, src } = code[k] else {
            continue;
        };
        let only_def = defs.get(&dst) == Some(&1);
        // Every read of `dst` is an operand (where a constant can stand too).
        let operands_only = all_reads.get(&dst) == operand_reads.get(&dst);
        let stable = match src {
            Arg::Const(_) => true,
            // A temporary's one definition comes before the move; an argument has none.
            Arg::Reg(s) => {
                s != dst && changing.get(&s).copied().unwrap_or(0) <= usize::from(s > arity)
            }
        };
        if dst <= arity || !only_def || !operands_only || !stable {
            continue;
        }
        for ins in &mut code {
            for_each_operand(ins, |a| {
                if matches!(a, Arg::Reg(r) if *r == dst) {
                    *a = src;
                }
            });
        }
        if let Arg::Reg(s) = src {
            let n = operand_reads.remove(&dst).unwrap_or(0);
            *operand_reads.entry(s).or_default() += n;
            *all_reads.entry(s).or_default() += n;
        }
        drop[k] = true;
    }
    if drop.contains(&true) {
        code = remove(code, &drop);
    }
    code
}
