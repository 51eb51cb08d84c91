//! The register stack and the frames of bytecode activations.

use crate::bytecode::{Arg, Bytecode, Reg};
use crate::eval::{Frame, Step};
use crate::runtime::Runtime;
use crate::value::{Thunk, Value};

/// A suspended activation. Its registers are `Runtime::reg_stack[base .. base + nregs]`.
#[derive(Clone, Copy)]
pub(crate) struct Activation {
    /// The law's bytecode. It lives as long as the law object, which register 0 (`self`)
    /// keeps reachable.
    pub code: &'static Bytecode,
    pub pc: u32,
    pub base: u32,
    pub dst: Reg,
}

/// Copies `src` to the start of `dst`: a plain loop, as the slices are short (a few
/// arguments), where a call of `memcpy` would cost more than the copy.
#[inline(always)]
pub(super) fn copy_values(dst: &mut [Value], src: &[Value]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// The registers of the running activation: a pointer to the first of them on the register
/// stack. Take it afresh (`Runtime::regs`) after anything that can push onto the register
/// stack (which may move it). Register numbers come from the compiler, which only emits
/// registers below the law's `nregs`.
#[derive(Clone, Copy)]
pub(super) struct Regs(*mut Value);

impl Regs {
    /// The registers starting at `regs[0]` (which holds the activation's registers).
    #[inline(always)]
    pub(super) fn of(regs: &mut [Value]) -> Regs {
        Regs(regs.as_mut_ptr())
    }

    /// The value of an operand.
    #[inline(always)]
    pub(super) fn arg(self, a: &Arg) -> Value {
        match a {
            // SAFETY: see the type's documentation.
            Arg::Reg(r) => unsafe { *self.0.add(*r as usize) },
            Arg::Const(c) => *c,
        }
    }

    /// The values of operands.
    pub(super) fn args(self, xs: &[Arg]) -> Box<[Value]> {
        xs.iter().map(|a| self.arg(a)).collect()
    }

    /// Register `r`.
    #[inline(always)]
    pub(super) fn get(self, r: Reg) -> Value {
        // SAFETY: see the type's documentation.
        unsafe { *self.0.add(r as usize) }
    }

    /// Sets register `r`.
    #[inline(always)]
    pub(super) fn set(self, r: Reg, v: Value) {
        // SAFETY: see the type's documentation.
        unsafe { *self.0.add(r as usize) = v }
    }
}

impl Runtime {
    /// Starts running a law's bytecode with `selfv` and `args` (exactly its arity).
    pub(crate) fn interp_start(
        &mut self,
        code: &'static Bytecode,
        selfv: Value,
        args: &[Value],
    ) -> Step {
        let base = self.push_regs(code.nregs as usize);
        self.reg_stack[base] = selfv;
        copy_values(&mut self.reg_stack[base + 1..], args);
        self.interp_run(code, 0, base)
    }

    /// Resumes a suspended activation with the value it was waiting for.
    pub(crate) fn interp_resume(&mut self, act: Activation, v: Value) -> Step {
        let base = act.base as usize;
        debug_assert_eq!(self.reg_stack.len(), base + act.code.nregs as usize);
        self.reg_stack[base + act.dst as usize] = v;
        self.interp_run(act.code, act.pc as usize, base)
    }

    /// Pushes `n` registers (holding 0) for a new activation; returns where they start.
    #[inline(always)]
    pub(super) fn push_regs(&mut self, n: usize) -> usize {
        let base = self.reg_stack.len();
        self.reg_stack.reserve(n);
        // SAFETY: `n` slots were reserved just above; each is written before the length
        // covers it.
        unsafe {
            let p = self.reg_stack.as_mut_ptr().add(base);
            for i in 0..n {
                p.add(i).write(Value::small(0));
            }
            self.reg_stack.set_len(base + n);
        }
        base
    }

    /// Pushes the registers of a new activation of `callee` on top of the register stack:
    /// self, a closure's arguments `pre`, then the call's operands read from the activation
    /// at `base`. Returns the new activation's base.
    #[inline(always)]
    pub(super) fn push_callee(
        &mut self,
        callee: &Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> usize {
        let new_base = self.push_regs(callee.nregs as usize);
        let (caller, new) = self.reg_stack.split_at_mut(new_base);
        let caller = Regs::of(&mut caller[base..]);
        new[0] = selfv;
        copy_values(&mut new[1..], pre);
        for (slot, a) in new[pre.len() + 1..].iter_mut().zip(args.iter()) {
            *slot = caller.arg(a);
        }
        new_base
    }

    /// Pushes an activation of `callee` whose arguments are values (a closure's `pre`, then
    /// `args`) and returns its base.
    #[inline]
    pub(super) fn push_callee_values(
        &mut self,
        callee: &Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[Value],
    ) -> usize {
        let new_base = self.push_regs(callee.nregs as usize);
        let new = &mut self.reg_stack[new_base..];
        new[0] = selfv;
        copy_values(&mut new[1..], pre);
        copy_values(&mut new[pre.len() + 1..], args);
        new_base
    }

    /// Hands the finished value `v` to the activation waiting for it, if that is the next
    /// frame (after the update frames of thunks that evaluate to `v`, which it finishes).
    #[inline(always)]
    pub(super) fn waiting_activation(&mut self, v: Value) -> Option<Activation> {
        while self.frames.len() > self.run_base {
            match self.frames.last() {
                Some(Frame::Interp(act)) => {
                    let act = *act;
                    let len = self.frames.len();
                    // SAFETY: the last frame is an activation, which owns nothing to drop.
                    unsafe { self.frames.set_len(len - 1) };
                    return Some(act);
                }
                Some(Frame::Update { thunk, .. }) => {
                    if let Some(t) = thunk.thunk_cell() {
                        t.set(Thunk::Done(v));
                    }
                    self.frames.pop();
                }
                _ => return None,
            }
        }
        None
    }

    #[inline(always)]
    pub(super) fn suspend(&mut self, code: &'static Bytecode, pc: usize, base: usize, dst: Reg) {
        self.push_frame(Frame::Interp(Activation {
            code,
            pc: pc as u32,
            base: base as u32,
            dst,
        }));
    }

    /// Pushes a frame, written straight into the frame stack (`Vec::push` copies it through
    /// a temporary and is not inlined here).
    #[inline(always)]
    pub(super) fn push_frame(&mut self, frame: Frame) {
        self.frames.reserve(1);
        let len = self.frames.len();
        // SAFETY: capacity for one more frame was reserved just above.
        unsafe {
            self.frames.as_mut_ptr().add(len).write(frame);
            self.frames.set_len(len + 1);
        }
    }

    /// The registers of the activation whose first register is `reg_stack[base]`.
    #[inline(always)]
    pub(super) fn regs(&mut self, base: usize) -> Regs {
        debug_assert!(base < self.reg_stack.len());
        // SAFETY: `base` is the start of a live activation, inside the register stack.
        Regs(unsafe { self.reg_stack.as_mut_ptr().add(base) })
    }
}
