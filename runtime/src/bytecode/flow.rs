//! What instructions read, write and where they jump: the facts the compiler's passes over
//! bytecode (strict arguments, copy propagation) work from.

use super::{run_form_ops, Arg, Instr, Operation, Reg};

/// Calls `$f` on every operand of the instruction `$i` (a `&Instr` or a `&mut Instr`: the
/// operands come as `&Arg` or `&mut Arg`).
macro_rules! each_operand {
    ($i:expr, $f:expr) => {{
        let f = &mut $f;
        match $i {
            Instr::Lazy { f: g, args, .. }
            | Instr::Fill { f: g, args, .. }
            | Instr::Call { f: g, args, .. }
            | Instr::TailCall { f: g, args } => {
                f(g);
                for a in args {
                    f(a);
                }
            }
            Instr::Move { src, .. }
            | Instr::Force { src, .. }
            | Instr::JumpIfZero { src, .. }
            | Instr::JumpIfNotZero { src, .. }
            | Instr::Switch { src, .. }
            | Instr::SwitchKeys { src, .. }
            | Instr::Return { src } => f(src),
            Instr::Op2 { a, b, .. }
            | Instr::Op2Lazy { a, b, .. }
            | run_form_ops!(Operation { a, b, .. }) => {
                f(a);
                f(b);
            }
            Instr::MkRow { elems: xs, .. }
            | Instr::Loop { args: xs }
            | Instr::CallSelf { args: xs, .. } => {
                for a in xs {
                    f(a);
                }
            }
            Instr::Holes { .. }
            | Instr::Jump { .. }
            | Instr::JumpUnlessWhnf { .. }
            | Instr::ForceIfz { .. } => {}
        }
    }};
}

/// Calls `$f` on every register the instruction `$i` names other than through an operand
/// (its destination, and the registers it tests or fills), with `true` for those it writes.
macro_rules! each_named_reg {
    ($i:expr, $f:expr) => {{
        let f = &mut $f;
        match $i {
            Instr::Lazy { dst, .. }
            | Instr::Move { dst, .. }
            | Instr::Force { dst, .. }
            | Instr::Call { dst, .. }
            | Instr::CallSelf { dst, .. }
            | Instr::Op2 { dst, .. }
            | Instr::Op2Lazy { dst, .. }
            | Instr::MkRow { dst, .. }
            | run_form_ops!(Operation { dst, .. }) => f(dst, true),
            Instr::ForceIfz { reg, .. } => f(reg, true),
            Instr::Holes { first, .. } => f(first, true),
            Instr::Fill { hole, .. } => f(hole, false),
            Instr::JumpUnlessWhnf { regs, .. } => {
                for r in regs {
                    f(r, false);
                }
            }
            Instr::JumpIfZero { .. }
            | Instr::JumpIfNotZero { .. }
            | Instr::Jump { .. }
            | Instr::Switch { .. }
            | Instr::SwitchKeys { .. }
            | Instr::TailCall { .. }
            | Instr::Return { .. }
            | Instr::Loop { .. } => {}
        }
    }};
}

/// Calls `f` on every operand of an instruction.
pub(super) fn for_each_operand(i: &mut Instr, mut f: impl FnMut(&mut Arg)) {
    each_operand!(i, |a: &mut Arg| f(a))
}

/// The registers an instruction reads.
pub(super) fn reads(i: &Instr) -> Vec<Reg> {
    let mut out = Vec::new();
    each_operand!(i, |a: &Arg| {
        if let Arg::Reg(r) = a {
            out.push(*r)
        }
    });
    each_named_reg!(i, |r: &Reg, written: bool| {
        // `force r; ifz r` reads the register it forces.
        if !written || matches!(i, Instr::ForceIfz { .. }) {
            out.push(*r)
        }
    });
    out
}

/// The registers an instruction writes.
pub(super) fn writes(i: &Instr) -> Vec<Reg> {
    let mut out = Vec::new();
    each_named_reg!(i, |r: &Reg, written: bool| {
        if written {
            match i {
                Instr::Holes { first, n, .. } => out.extend(*first..*first + *n),
                _ => out.push(*r),
            }
        }
    });
    out
}

/// Where an instruction may jump.
pub(super) fn jump_targets(i: &Instr) -> Vec<u32> {
    match i {
        Instr::JumpIfZero { target, .. }
        | Instr::JumpIfNotZero { target, .. }
        | Instr::JumpUnlessWhnf { target, .. }
        | Instr::ForceIfz { target, .. }
        | Instr::Jump { target } => vec![*target],
        Instr::Switch {
            targets, default, ..
        }
        | Instr::SwitchKeys {
            targets, default, ..
        } => targets.iter().copied().chain([*default]).collect(),
        _ => Vec::new(),
    }
}

/// The jump targets of an instruction, to be rewritten.
pub(super) fn targets_mut(i: &mut Instr) -> Vec<&mut u32> {
    match i {
        Instr::JumpIfZero { target, .. }
        | Instr::JumpIfNotZero { target, .. }
        | Instr::JumpUnlessWhnf { target, .. }
        | Instr::ForceIfz { target, .. }
        | Instr::Jump { target } => vec![target],
        Instr::Switch {
            targets, default, ..
        }
        | Instr::SwitchKeys {
            targets, default, ..
        } => targets.iter_mut().chain([default]).collect(),
        _ => Vec::new(),
    }
}

/// Removes the instructions marked in `drop` (which must not be jumps), sending jumps that
/// went to a removed instruction to the next one kept.
pub(super) fn remove(code: Vec<Instr>, drop: &[bool]) -> Vec<Instr> {
    // Where each old index lands (the end, `code.len()`, included).
    let mut new_index = Vec::with_capacity(code.len() + 1);
    let mut kept = 0u32;
    for d in drop {
        new_index.push(kept);
        if !d {
            kept += 1;
        }
    }
    new_index.push(kept);
    code.into_iter()
        .zip(drop)
        .filter(|(_, d)| !**d)
        .map(|(mut ins, _)| {
            for t in targets_mut(&mut ins) {
                *t = new_index[*t as usize];
            }
            ins
        })
        .collect()
}

/// Whether execution can go on to the next instruction after `i`.
fn falls_through(i: &Instr) -> bool {
    !matches!(
        i,
        Instr::Jump { .. }
            | Instr::Return { .. }
            | Instr::TailCall { .. }
            | Instr::Loop { .. }
            | Instr::Switch { .. }
            | Instr::SwitchKeys { .. }
    )
}

/// The instructions that can run right after the one at `pc` (a self loop starts over).
pub fn successors(code: &[Instr], pc: usize) -> Vec<usize> {
    let i = &code[pc];
    let mut out: Vec<usize> = jump_targets(i).into_iter().map(|t| t as usize).collect();
    if matches!(i, Instr::Loop { .. }) {
        out.push(0);
    }
    if falls_through(i) && pc + 1 < code.len() {
        out.push(pc + 1);
    }
    out
}

/// Calls `f` on every register an instruction names (read or written).
pub(super) fn for_each_reg(i: &mut Instr, mut f: impl FnMut(&mut Reg)) {
    for_each_operand(i, |a| {
        if let Arg::Reg(r) = a {
            f(r)
        }
    });
    each_named_reg!(i, |r: &mut Reg, _written: bool| f(r));
}
