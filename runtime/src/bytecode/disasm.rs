//! Printing bytecode for people (`pallas bytecode`).

use std::fmt;

use super::{Arg, Bytecode, Instr};
use crate::print::show_short;

struct A<'a>(&'a Arg);

impl fmt::Display for A<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Arg::Reg(r) => write!(f, "r{r}"),
            Arg::Const(c) => write!(f, "#{}", show_short(*c, 60)),
        }
    }
}

fn list(xs: &[Arg]) -> String {
    xs.iter()
        .map(|x| A(x).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::Lazy { dst, f: g, args } => write!(f, "r{dst} = lazy {} {}", A(g), list(args)),
            Instr::Holes { first, n, room } => {
                write!(f, "holes r{first}..r{} room {room}", first + n)
            }
            Instr::Fill { hole, f: g, args } => {
                write!(f, "fill r{hole} = {} {}", A(g), list(args))
            }
            Instr::Move { dst, src } => write!(f, "r{dst} = {}", A(src)),
            Instr::Force { dst, src } => write!(f, "r{dst} = force {}", A(src)),
            Instr::Call { dst, f: g, args } => write!(f, "r{dst} = call {} {}", A(g), list(args)),
            super::run_form_ops!(_o) => match super::run_form::general(self) {
                Some(g) => write!(f, "{g}"),
                None => write!(f, "?"),
            },
            Instr::ForceIfz { reg, target } => {
                write!(f, "r{reg} = force r{reg}, ifz r{reg} goto {target}")
            }
            Instr::CallSelf { dst, args } => write!(f, "r{dst} = call self {}", list(args)),
            Instr::Op2 { dst, op, a, .. } if op.unary_operand().is_some() => {
                write!(f, "r{dst} = {} {}", op.jet_name(), A(a))
            }
            Instr::Op2Lazy { dst, op, a, .. } if op.unary_operand().is_some() => {
                write!(f, "r{dst} = lazy {} {}", op.jet_name(), A(a))
            }
            Instr::Op2 { dst, op, a, b, .. } => {
                write!(f, "r{dst} = {} {} {}", op.jet_name(), A(a), A(b))
            }
            Instr::Op2Lazy { dst, op, a, b, .. } => {
                write!(f, "r{dst} = lazy {} {} {}", op.jet_name(), A(a), A(b))
            }
            Instr::JumpIfZero { src, target } => write!(f, "ifz {} goto {target}", A(src)),
            Instr::JumpIfNotZero { src, target } => {
                write!(f, "unless {} is 0 goto {target}", A(src))
            }
            Instr::Jump { target } => write!(f, "goto {target}"),
            Instr::JumpUnlessWhnf { regs, target } => {
                let rs: Vec<String> = regs.iter().map(|r| format!("r{r}")).collect();
                write!(f, "unless evaluated {} goto {target}", rs.join(" "))
            }
            Instr::Switch {
                src,
                targets,
                default,
            } => write!(f, "switch {} {targets:?} else {default}", A(src)),
            Instr::SwitchKeys {
                src,
                keys,
                targets,
                default,
            } => write!(
                f,
                "switch {} keys {keys:?} {targets:?} else {default}",
                A(src)
            ),
            Instr::MkRow { dst, elems } => write!(f, "r{dst} = row [{}]", list(elems)),
            Instr::TailCall { f: g, args } => write!(f, "tail {} {}", A(g), list(args)),
            Instr::Return { src } => write!(f, "return {}", A(src)),
            Instr::Loop { args } => write!(f, "loop {}", list(args)),
        }
    }
}

impl fmt::Display for Bytecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "; arity {}, {} registers ({} of them constants)",
            self.arity, self.nregs, self.constants
        )?;
        if self.construct.is_some() {
            writeln!(
                f,
                "; a constructor: its callers build the value, with no activation"
            )?;
        }
        for (i, ins) in self.plain_code().iter().enumerate() {
            writeln!(f, "{i:4}  {ins}")?;
        }
        Ok(())
    }
}
