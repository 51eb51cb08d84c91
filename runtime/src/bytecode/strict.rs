//! Strict loop arguments: a self loop `loop ... r ...` (or a saturated call of `self`) whose
//! argument `r` was just built as a lazy application, where the law's first act on every path
//! is to evaluate that argument
//! (after only looking at other arguments that are already evaluated), gets the application
//! evaluated at once instead of a thunk built and forced a moment later (ackermann's inner
//! call is the model).
//!
//! This keeps PLAN's order of evaluation exactly: between building the argument and forcing
//! it, only instructions that cannot crash or evaluate anything run, and the guard (every
//! other argument already evaluated, checked when the code runs) makes the law's forcing of
//! those arguments no-ops. When the guard fails, the thunk is built as before.
//!
//! The rewrite replaces `dst = lazy f args` by
//! `unless-whnf guards goto L; dst = call f args; goto E; L: dst = lazy f args; E: ...`.

use std::collections::HashSet;

use super::flow::{jump_targets, reads, targets_mut, writes};
use super::{Arg, Instr, Reg};

/// Instructions that neither crash nor evaluate anything (they only build values).
fn inert(i: &Instr) -> bool {
    matches!(
        i,
        Instr::Lazy { .. } | Instr::Op2Lazy { .. } | Instr::Move { .. } | Instr::MkRow { .. }
    )
}

/// Whether, on every path from the law's entry, argument register `t` is evaluated before
/// anything happens other than forcing (in place) and branching on the registers in `whnf`
/// (a bit per register), which are already evaluated.
fn forced_first(code: &[Instr], whnf: u64, t: Reg) -> bool {
    let ready = |r: Reg| r < 64 && whnf & (1 << r) != 0;
    let mut todo = vec![0usize];
    let mut seen = HashSet::new();
    while let Some(pc) = todo.pop() {
        if !seen.insert(pc) {
            continue;
        }
        match code.get(pc) {
            Some(Instr::Force {
                src: Arg::Reg(r), ..
            }) if *r == t => {}
            Some(Instr::Force {
                dst,
                src: Arg::Reg(r),
            }) if dst == r && ready(*r) => todo.push(pc + 1),
            Some(Instr::JumpIfZero {
                src: Arg::Reg(r),
                target,
            })
            | Some(Instr::JumpIfNotZero {
                src: Arg::Reg(r),
                target,
            }) if ready(*r) => {
                todo.push(*target as usize);
                todo.push(pc + 1);
            }
            Some(Instr::Jump { target }) => todo.push(*target as usize),
            _ => return false,
        }
    }
    true
}

/// One rewrite: the lazy application at `at` becomes strict when `guards` are evaluated.
struct Rewrite {
    at: usize,
    guards: Vec<Reg>,
}

/// Finds the lazy applications that can be strict (see the module documentation).
fn find(code: &[Instr], arity: u32) -> Vec<Rewrite> {
    if arity == 0 || arity >= 63 {
        return Vec::new();
    }
    let landing: HashSet<u32> = code.iter().flat_map(jump_targets).collect();
    let mut read_count = std::collections::HashMap::new();
    for i in code {
        for r in reads(i) {
            *read_count.entry(r).or_insert(0usize) += 1;
        }
    }
    let mut out = Vec::new();
    for (at_loop, ins) in code.iter().enumerate() {
        // A self loop, or a saturated call of `self` (which runs this same code).
        let args = match ins {
            Instr::Loop { args } => args,
            Instr::Call {
                f: Arg::Reg(0),
                args,
                ..
            }
            | Instr::TailCall {
                f: Arg::Reg(0),
                args,
            } if args.len() == arity as usize => args,
            _ => continue,
        };
        for (pos, a) in args.iter().enumerate() {
            let Arg::Reg(d) = *a else { continue };
            if read_count.get(&d) != Some(&1) {
                continue;
            }
            // The lazy application defining `d`, with only inert instructions after it.
            let mut p = at_loop;
            let found = loop {
                if p == 0 || landing.contains(&(p as u32)) {
                    break None;
                }
                p -= 1;
                match &code[p] {
                    Instr::Lazy { dst, .. } if *dst == d => break Some(p),
                    i if inert(i) && !writes(i).contains(&d) => {}
                    _ => break None,
                }
            };
            let Some(p) = found else { continue };
            // The other arguments, evaluated when this runs, and not changed after it.
            let guards: Vec<Reg> = args
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != pos)
                .filter_map(|(_, a)| match a {
                    Arg::Reg(r) => Some(*r),
                    Arg::Const(_) => None,
                })
                .collect();
            let later_writes: Vec<Reg> = code[p + 1..at_loop].iter().flat_map(writes).collect();
            if guards.iter().any(|g| *g == d || later_writes.contains(g)) {
                continue;
            }
            let target = pos as Reg + 1;
            let whnf = (1..=arity as u64)
                .filter(|&r| r != target as u64)
                .fold(0u64, |m, r| m | (1 << r));
            if forced_first(code, whnf, target) {
                out.push(Rewrite { at: p, guards });
            }
        }
    }
    out.sort_by_key(|r| r.at);
    out.dedup_by_key(|r| r.at);
    out
}

/// Applies the strict-argument rewrite to a law's code (see the module documentation).
pub(super) fn strict_loop_args(code: Vec<Instr>, arity: u32) -> Vec<Instr> {
    let rewrites = find(&code, arity);
    if rewrites.is_empty() {
        return code;
    }
    // Where each old instruction lands (each rewrite adds three instructions before it).
    let mut new_index = Vec::with_capacity(code.len() + 1);
    let mut shift = 0u32;
    let mut next = rewrites.iter().peekable();
    for k in 0..=code.len() {
        if next.peek().is_some_and(|r| r.at == k) {
            next.next();
            new_index.push(k as u32 + shift);
            shift += 3;
        } else {
            new_index.push(k as u32 + shift);
        }
    }
    let mut out = Vec::with_capacity(code.len() + 3 * rewrites.len());
    let mut next = rewrites.into_iter().peekable();
    for (k, mut ins) in code.into_iter().enumerate() {
        for t in targets_mut(&mut ins) {
            *t = new_index[*t as usize];
        }
        if next.peek().is_some_and(|r| r.at == k) {
            let r = next.next().expect("peeked");
            let Instr::Lazy { dst, f, args } = &ins else {
                unreachable!("rewrites are at lazy applications")
            };
            let start = out.len() as u32;
            out.push(Instr::JumpUnlessWhnf {
                regs: r.guards.into(),
                target: start + 3,
            });
            out.push(Instr::Call {
                dst: *dst,
                f: *f,
                args: args.clone(),
            });
            out.push(Instr::Jump { target: start + 4 });
        }
        out.push(ins);
    }
    out
}
