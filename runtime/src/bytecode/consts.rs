//! Constants in registers: the last step of compiling a law gives every distinct constant
//! operand a register of its own, filled when an activation starts (from the law's register
//! template, which also zeroes the temporaries). The interpreter then reads every operand the
//! same way, with one load, instead of testing for a constant first.
//!
//! Constant registers are never written: every instruction that writes a register writes a
//! temporary or an argument, and constants are normal, so nothing evaluates them in place.
//! Tools that want to see constants as constants (the disassembler, the JIT) read the code
//! through [`super::Bytecode::with_constants`].

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
        Instr::MkRow { elems: xs, .. } | Instr::Loop { args: xs } => xs.iter_mut().for_each(f),
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
