//! What instructions read, write and where they jump: the facts the compiler's passes over
//! bytecode (strict arguments, copy propagation) work from.

use super::{run_form_ops, Arg, Instr, Reg};

/// The registers an instruction reads.
pub(super) fn reads(i: &Instr) -> Vec<Reg> {
    fn regs<'a>(xs: impl IntoIterator<Item = &'a Arg>) -> Vec<Reg> {
        xs.into_iter()
            .filter_map(|a| match a {
                Arg::Reg(r) => Some(*r),
                Arg::Const(_) => None,
            })
            .collect()
    }
    match i {
        Instr::Lazy { f, args, .. } | Instr::Call { f, args, .. } | Instr::TailCall { f, args } => {
            regs(std::iter::once(f).chain(args.iter()))
        }
        Instr::Fill { hole, f, args } => {
            let mut r = regs(std::iter::once(f).chain(args.iter()));
            r.push(*hole);
            r
        }
        Instr::Move { src, .. }
        | Instr::Force { src, .. }
        | Instr::JumpIfZero { src, .. }
        | Instr::JumpIfNotZero { src, .. }
        | Instr::Switch { src, .. }
        | Instr::SwitchKeys { src, .. }
        | Instr::Return { src } => regs([src]),
        Instr::Op2 { a, b, .. } | Instr::Op2Lazy { a, b, .. } => regs([a, b]),
        run_form_ops!(o) => regs([&o.a, &o.b]),
        Instr::MkRow { elems, .. } | Instr::CallSelf { args: elems, .. } => regs(elems.iter()),
        Instr::Loop { args } => regs(args.iter()),
        Instr::JumpUnlessWhnf { regs, .. } => regs.to_vec(),
        Instr::ForceIfz { reg, .. } => vec![*reg],
        Instr::Holes { .. } | Instr::Jump { .. } => Vec::new(),
    }
}

/// The registers an instruction writes.
pub(super) fn writes(i: &Instr) -> Vec<Reg> {
    match i {
        Instr::Lazy { dst, .. }
        | Instr::Move { dst, .. }
        | Instr::Force { dst, .. }
        | Instr::Call { dst, .. }
        | Instr::CallSelf { dst, .. }
        | Instr::Op2 { dst, .. }
        | Instr::Op2Lazy { dst, .. }
        | Instr::MkRow { dst, .. } => vec![*dst],
        Instr::Holes { first, n } => (*first..*first + *n).collect(),
        Instr::ForceIfz { reg, .. } => vec![*reg],
        run_form_ops!(o) => vec![o.dst],
        _ => Vec::new(),
    }
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
pub(super) fn successors(code: &[Instr], pc: usize) -> Vec<usize> {
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
    super::run_form::for_each_operand(i, |a| {
        if let Arg::Reg(r) = a {
            f(r)
        }
    });
    match i {
        Instr::Lazy { dst, .. }
        | Instr::Move { dst, .. }
        | Instr::Force { dst, .. }
        | Instr::Call { dst, .. }
        | Instr::CallSelf { dst, .. }
        | Instr::Op2 { dst, .. }
        | Instr::Op2Lazy { dst, .. }
        | Instr::MkRow { dst, .. } => f(dst),
        run_form_ops!(o) => f(&mut o.dst),
        Instr::Holes { first: r, .. }
        | Instr::Fill { hole: r, .. }
        | Instr::ForceIfz { reg: r, .. } => f(r),
        Instr::JumpUnlessWhnf { regs, .. } => regs.iter_mut().for_each(f),
        Instr::JumpIfZero { .. }
        | Instr::JumpIfNotZero { .. }
        | Instr::Jump { .. }
        | Instr::Switch { .. }
        | Instr::SwitchKeys { .. }
        | Instr::TailCall { .. }
        | Instr::Return { .. }
        | Instr::Loop { .. } => {}
    }
}
