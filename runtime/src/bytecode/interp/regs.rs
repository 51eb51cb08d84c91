//! The register stack and the frames of bytecode activations.

use crate::bytecode::{Arg, Bytecode, Reg, TEMPLATE_BLOCK};
use crate::eval::{Frame, Step};
use crate::runtime::Runtime;
use crate::value::Value;

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

/// How many operand values [`Regs::values`] keeps without allocating.
const FEW: usize = 8;

/// Operand values read by [`Regs::values`].
pub(super) enum OperandValues {
    /// Up to `FEW`, on the stack: the first `.1` of them.
    Few([Value; FEW], usize),
    /// More, on the heap.
    Many(Box<[Value]>),
}

impl std::ops::Deref for OperandValues {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        match self {
            OperandValues::Few(xs, n) => &xs[..*n],
            OperandValues::Many(xs) => xs,
        }
    }
}

/// The registers of the running activation: a pointer to the first of them on the register
/// stack (which never moves, see `stack.rs`), valid while the activation lives. Register
/// numbers come from the compiler, which only emits
/// registers below the law's `nregs`.
#[derive(Clone, Copy)]
pub(super) struct Regs(*mut Value);

impl Regs {
    /// The value of an operand: a register (the compiler puts constants in registers, see
    /// `bytecode::run_form`).
    #[inline(always)]
    pub(super) fn arg(self, a: &Arg) -> Value {
        match a {
            // SAFETY: see the type's documentation.
            Arg::Reg(r) => unsafe { *self.0.add(*r as usize) },
            Arg::Const(_) => {
                debug_assert!(false, "a constant operand in compiled bytecode");
                // SAFETY: compiled bytecode has no constant operands (`Bytecode` is only
                // built by `bytecode::compile`, which moves every constant into a register).
                unsafe { std::hint::unreachable_unchecked() }
            }
        }
    }

    /// The values of operands.
    pub(super) fn args(self, xs: &[Arg]) -> Box<[Value]> {
        xs.iter().map(|a| self.arg(a)).collect()
    }

    /// The values of operands, without allocating for a few of them (for callees that only
    /// borrow them).
    #[inline]
    pub(super) fn values(self, xs: &[Arg]) -> OperandValues {
        let mut few = [Value::small(0); FEW];
        if xs.len() > FEW {
            return OperandValues::Many(self.args(xs));
        }
        for (slot, a) in few.iter_mut().zip(xs) {
            *slot = self.arg(a);
        }
        OperandValues::Few(few, xs.len())
    }

    /// The first register.
    #[inline(always)]
    pub(super) fn ptr(self) -> *mut Value {
        self.0
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
        if !self.room_for(code) {
            return Err(crate::eval::Crash::stack_exhausted());
        }
        let base = self.push_callee_values(code, selfv, &[], args);
        self.interp_run(code, 0, base)
    }

    /// Resumes a suspended activation with the value it was waiting for.
    pub(crate) fn interp_resume(&mut self, act: Activation, v: Value) -> Step {
        let base = act.base as usize;
        debug_assert_eq!(self.reg_stack.len(), base + act.code.nregs as usize);
        self.reg_stack.set(base + act.dst as usize, v);
        self.interp_run(act.code, act.pc as usize, base)
    }

    /// Whether the register stack has room for an activation of `callee` (callers check
    /// before pushing one, and crash cleanly when there is none).
    #[inline(always)]
    pub(super) fn room_for(&self, callee: &Bytecode) -> bool {
        // The template's last block may write past the activation's end.
        self.reg_stack
            .has_room(callee.nregs as usize + TEMPLATE_BLOCK - 1)
    }

    /// Pushes the registers of a new activation of `callee` on top of the register stack:
    /// self, a closure's arguments `pre`, then `args` (`arg` reads each), then the callee's
    /// register template. Returns the new activation's base.
    #[inline(always)]
    fn push_activation<T>(
        &mut self,
        callee: &Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[T],
        arg: impl Fn(*mut Value, &T) -> Value,
    ) -> usize {
        let n = callee.nregs as usize;
        let (template, template_len) = callee.template();
        let base = self.reg_stack.len();
        // What makes the writes below stay inside the room (callers check both first).
        assert!(
            1 + pre.len() + args.len() + template_len == n && self.room_for(callee),
            "an activation pushed without its arity or room checked"
        );
        // SAFETY: there is room for `n` registers plus the padding of the template's last
        // block (checked just above), and each of the `n` is written (self, `pre`, `args`, the
        // template) before the length covers it; `arg` gets the start of the register stack
        // and only reads below `base`.
        unsafe {
            let stack = self.reg_stack.as_mut_ptr();
            let p = stack.add(base);
            p.write(selfv);
            let mut k = 1;
            for v in pre {
                p.add(k).write(*v);
                k += 1;
            }
            // Most calls pass one to three operands: copied one by one, without the set-up
            // of the general (vectorised) loop.
            match args {
                [a] => p.add(k).write(arg(stack, a)),
                [a, b] => {
                    p.add(k).write(arg(stack, a));
                    p.add(k + 1).write(arg(stack, b));
                }
                [a, b, c] => {
                    p.add(k).write(arg(stack, a));
                    p.add(k + 1).write(arg(stack, b));
                    p.add(k + 2).write(arg(stack, c));
                }
                _ => {
                    for (i, a) in args.iter().enumerate() {
                        p.add(k + i).write(arg(stack, a));
                    }
                }
            }
            k += args.len();
            // Block by block; a law rarely has more than three (and the general loop's
            // unrolled set-up costs more than the copy).
            let blocks = p.add(k) as *mut [Value; TEMPLATE_BLOCK];
            match template {
                [] => {}
                [a] => blocks.write(*a),
                [a, b] => {
                    blocks.write(*a);
                    blocks.add(1).write(*b);
                }
                [a, b, c] => {
                    blocks.write(*a);
                    blocks.add(1).write(*b);
                    blocks.add(2).write(*c);
                }
                _ => {
                    for (i, b) in template.iter().enumerate() {
                        blocks.add(i).write(*b);
                    }
                }
            }
            self.reg_stack.set_len(base + n);
        }
        base
    }

    /// Pushes an activation of `callee` whose arguments after `pre` are the call's operands,
    /// read from the activation at `base`; returns the new activation's base.
    #[inline(always)]
    pub(super) fn push_callee(
        &mut self,
        callee: &Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> usize {
        self.push_activation(callee, selfv, pre, args, |stack, a| {
            // SAFETY: `base` is the running activation, below the new one.
            Regs(unsafe { stack.add(base) }).arg(a)
        })
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
        self.push_activation(callee, selfv, pre, args, |_, v| *v)
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
                Some(&Frame::Update { thunk }) => {
                    if let Some(t) = thunk.thunk() {
                        self.heap.finish(t, v);
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
