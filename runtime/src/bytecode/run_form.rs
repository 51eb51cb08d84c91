//! The form of the code the interpreter runs, made by the last steps of compiling a law:
//!
//! - Constants in registers: every distinct constant operand gets a register of its own,
//!   filled when an activation starts (from the law's register template, which also zeroes
//!   the temporaries), so the interpreter reads every operand the same way, with one load,
//!   instead of testing for a constant first. Constant registers are never written: every
//!   instruction that writes a register writes a temporary or an argument, and constants are
//!   normal, so nothing evaluates them in place.
//! - Self calls marked: a saturated call of register 0 becomes [`Instr::CallSelf`].
//!
//! Tools that want the plain form (the disassembler, the JIT) read the code through
//! [`super::Bytecode::plain_code`].

use std::collections::HashMap;

use super::{Arg, Instr, Reg};
use crate::value::Value;

/// Calls `f` on every operand of an instruction.
pub(super) fn for_each_operand(i: &mut Instr, mut f: impl FnMut(&mut Arg)) {
    match i {
        Instr::Lazy { f: g, args, .. }
        | Instr::Fill { f: g, args, .. }
        | Instr::Call { f: g, args, .. }
        | Instr::TailCall { f: g, args } => {
            f(g);
            args.iter_mut().for_each(f);
        }
        Instr::Move { src, .. }
        | Instr::Force { src, .. }
        | Instr::JumpIfZero { src, .. }
        | Instr::JumpIfNotZero { src, .. }
        | Instr::Switch { src, .. }
        | Instr::SwitchKeys { src, .. }
        | Instr::Return { src } => f(src),
        Instr::Op2 { a, b, .. } | Instr::Op2Lazy { a, b, .. } => {
            f(a);
            f(b);
        }
        Instr::MkRow { elems: xs, .. }
        | Instr::Loop { args: xs }
        | Instr::CallSelf { args: xs, .. } => xs.iter_mut().for_each(f),
        Instr::Holes { .. } | Instr::Jump { .. } | Instr::JumpUnlessWhnf { .. } => {}
    }
}

/// Rewrites every constant operand of `code` into a register numbered from `first` on (one
/// register per distinct constant) and returns the constants in register order.
pub(super) fn constants_to_registers(code: &mut [Instr], first: Reg) -> Vec<Value> {
    let mut consts: Vec<Value> = Vec::new();
    let mut index: HashMap<Value, Reg> = HashMap::new();
    for ins in code.iter_mut() {
        for_each_operand(ins, |a| {
            if let Arg::Const(c) = *a {
                let r = *index.entry(c).or_insert_with(|| {
                    consts.push(c);
                    first + consts.len() as Reg - 1
                });
                *a = Arg::Reg(r);
            }
        });
    }
    consts
}

/// Turns saturated calls of register 0 (`self`) into [`Instr::CallSelf`], which the
/// interpreter runs without looking at the callee.
pub(super) fn mark_self_calls(code: &mut [Instr], arity: u32) {
    for ins in code.iter_mut() {
        if let Instr::Call {
            dst,
            f: Arg::Reg(0),
            args,
        } = ins
        {
            if args.len() == arity as usize {
                *ins = Instr::CallSelf {
                    dst: *dst,
                    args: std::mem::take(args),
                };
            }
        }
    }
}
