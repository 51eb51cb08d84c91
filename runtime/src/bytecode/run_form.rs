//! The form of the code the interpreter runs, made by the last steps of compiling a law:
//!
//! - Constants in registers: every distinct constant operand gets a register of its own,
//!   filled when an activation starts (from the law's register template, which also zeroes
//!   the temporaries), so the interpreter reads every operand the same way, with one load,
//!   instead of testing for a constant first. Constant registers are never written: every
//!   instruction that writes a register writes a temporary or an argument, and constants are
//!   normal, so nothing evaluates them in place.
//! - Self calls marked: a saturated call of register 0 becomes [`Instr::CallSelf`].
//! - A register forced in place and then tested by `JumpIfZero` becomes [`Instr::ForceIfz`].
//! - Operators in the instruction: `Op2`/`Op2Lazy` of an arithmetic or comparison jet, or of
//!   `_Dec`, the increment opcode, `_ToNat` and `_Len`, become `Add`, `SubLazy`, `Dec`, ...
//!   (see [`Operation`]), so running one takes one dispatch, not two.
//!
//! Tools that want the plain form (the disassembler, the JIT) read the code through
//! [`super::Bytecode::plain_code`].

use std::collections::HashMap;

use super::flow::for_each_operand;
use super::{Arg, BinOp, Instr, Operation, Reg};
use crate::value::Value;

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

/// The run-form instruction for `op` (`lazy` or not) on `o`, or `o` back when `op` has none
/// (`_Get`, `_Idx`).
fn specialised(op: BinOp, lazy: bool, o: Operation) -> Result<Instr, Operation> {
    Ok(match (op, lazy) {
        (BinOp::Add, false) => Instr::Add(o),
        (BinOp::Sub, false) => Instr::Sub(o),
        (BinOp::Mul, false) => Instr::Mul(o),
        (BinOp::Div, false) => Instr::Div(o),
        (BinOp::Mod, false) => Instr::Mod(o),
        (BinOp::Eql, false) => Instr::Eql(o),
        (BinOp::Neq, false) => Instr::Neq(o),
        (BinOp::Lth, false) => Instr::Lth(o),
        (BinOp::Lte, false) => Instr::Lte(o),
        (BinOp::Gth, false) => Instr::Gth(o),
        (BinOp::Gte, false) => Instr::Gte(o),
        (BinOp::Add, true) => Instr::AddLazy(o),
        (BinOp::Sub, true) => Instr::SubLazy(o),
        (BinOp::Mul, true) => Instr::MulLazy(o),
        (BinOp::Div, true) => Instr::DivLazy(o),
        (BinOp::Mod, true) => Instr::ModLazy(o),
        (BinOp::Eql, true) => Instr::EqlLazy(o),
        (BinOp::Neq, true) => Instr::NeqLazy(o),
        (BinOp::Lth, true) => Instr::LthLazy(o),
        (BinOp::Lte, true) => Instr::LteLazy(o),
        (BinOp::Gth, true) => Instr::GthLazy(o),
        (BinOp::Gte, true) => Instr::GteLazy(o),
        (BinOp::Dec, false) => Instr::Dec(o),
        (BinOp::Inc, false) => Instr::Inc(o),
        (BinOp::ToNat, false) => Instr::ToNat(o),
        (BinOp::Len, false) => Instr::Len(o),
        (BinOp::Dec, true) => Instr::DecLazy(o),
        (BinOp::Inc, true) => Instr::IncLazy(o),
        (BinOp::ToNat, true) => Instr::ToNatLazy(o),
        (BinOp::Len, true) => Instr::LenLazy(o),
        (
            BinOp::Get | BinOp::Idx | BinOp::IsApp | BinOp::IsNat | BinOp::IsLaw | BinOp::IsPin,
            _,
        ) => return Err(o),
    })
}

/// Puts the operator of each `Op2`/`Op2Lazy` into its instruction (see the module
/// documentation).
pub(super) fn specialise_ops(code: &mut [Instr]) {
    for ins in code.iter_mut() {
        let (op, lazy, o) = match ins {
            Instr::Op2 { dst, op, pin, a, b } => (
                *op,
                false,
                Operation {
                    dst: *dst,
                    pin: *pin,
                    a: *a,
                    b: *b,
                },
            ),
            Instr::Op2Lazy { dst, op, pin, a, b } => (
                *op,
                true,
                Operation {
                    dst: *dst,
                    pin: *pin,
                    a: *a,
                    b: *b,
                },
            ),
            _ => continue,
        };
        if let Ok(s) = specialised(op, lazy, o) {
            *ins = s;
        }
    }
}

/// The operator, laziness and operands of a run-form inline operation (`Add` ...
/// `GteLazy`).
pub fn operation(ins: &Instr) -> Option<(BinOp, bool, &Operation)> {
    Some(match ins {
        Instr::Add(o) => (BinOp::Add, false, o),
        Instr::Sub(o) => (BinOp::Sub, false, o),
        Instr::Mul(o) => (BinOp::Mul, false, o),
        Instr::Div(o) => (BinOp::Div, false, o),
        Instr::Mod(o) => (BinOp::Mod, false, o),
        Instr::Eql(o) => (BinOp::Eql, false, o),
        Instr::Neq(o) => (BinOp::Neq, false, o),
        Instr::Lth(o) => (BinOp::Lth, false, o),
        Instr::Lte(o) => (BinOp::Lte, false, o),
        Instr::Gth(o) => (BinOp::Gth, false, o),
        Instr::Gte(o) => (BinOp::Gte, false, o),
        Instr::AddLazy(o) => (BinOp::Add, true, o),
        Instr::SubLazy(o) => (BinOp::Sub, true, o),
        Instr::MulLazy(o) => (BinOp::Mul, true, o),
        Instr::DivLazy(o) => (BinOp::Div, true, o),
        Instr::ModLazy(o) => (BinOp::Mod, true, o),
        Instr::EqlLazy(o) => (BinOp::Eql, true, o),
        Instr::NeqLazy(o) => (BinOp::Neq, true, o),
        Instr::LthLazy(o) => (BinOp::Lth, true, o),
        Instr::LteLazy(o) => (BinOp::Lte, true, o),
        Instr::GthLazy(o) => (BinOp::Gth, true, o),
        Instr::GteLazy(o) => (BinOp::Gte, true, o),
        Instr::Dec(o) => (BinOp::Dec, false, o),
        Instr::Inc(o) => (BinOp::Inc, false, o),
        Instr::ToNat(o) => (BinOp::ToNat, false, o),
        Instr::Len(o) => (BinOp::Len, false, o),
        Instr::DecLazy(o) => (BinOp::Dec, true, o),
        Instr::IncLazy(o) => (BinOp::Inc, true, o),
        Instr::ToNatLazy(o) => (BinOp::ToNat, true, o),
        Instr::LenLazy(o) => (BinOp::Len, true, o),
        _ => return None,
    })
}

/// The plain `Op2`/`Op2Lazy` for a run-form inline operation.
pub(super) fn general(ins: &Instr) -> Option<Instr> {
    let (op, lazy, o) = operation(ins)?;
    let Operation { dst, pin, a, b } = o.clone();
    Some(if lazy {
        Instr::Op2Lazy { dst, op, pin, a, b }
    } else {
        Instr::Op2 { dst, op, pin, a, b }
    })
}

/// Turns each `r = force r` followed by `ifz r goto t` into [`Instr::ForceIfz`] (the
/// `JumpIfZero` stays, for resuming and for jumps to it).
pub(super) fn fuse_force_ifz(code: &mut [Instr]) {
    for p in 0..code.len().saturating_sub(1) {
        let (
            Instr::Force {
                dst,
                src: Arg::Reg(s),
            },
            Instr::JumpIfZero {
                src: Arg::Reg(t),
                target,
            },
        ) = (&code[p], &code[p + 1])
        else {
            continue;
        };
        if dst == s && s == t {
            code[p] = Instr::ForceIfz {
                reg: *dst,
                target: *target,
            };
        }
    }
}
