//! The runtime routines that machine code of the activation tier calls (see
//! [`crate::native::ActFn`]): each does what the interpreter does for one instruction, or
//! says that the interpreter has to (native code then exits before the instruction, which has
//! had no effect yet). Instructions are passed as pointers into the law's run-form code,
//! which lives as long as the law.

use super::calls::closure_parts;
use super::ops::{inline_op, nat_of_is_zero, OpResult};
use super::{Entered, Other, SlowOp};
use crate::bytecode::{operation, Bytecode, Instr};
use crate::native::{ActCallee, ActFn, ActHelpers, ActState, JitMode};
use crate::runtime::Runtime;
use crate::value::Value;

/// The helpers' addresses, for the JIT.
pub(crate) fn helpers() -> ActHelpers {
    ActHelpers {
        build: h_build as *const () as usize,
        whnf: h_whnf as *const () as usize,
        is_zero: h_is_zero as *const () as usize,
        deref: h_deref as *const () as usize,
        op2: h_op2 as *const () as usize,
        call: h_call as *const () as usize,
        all_whnf: h_all_whnf as *const () as usize,
        poll: h_poll as *const () as usize,
        enter: h_enter as *const () as usize,
        leave: h_leave as *const () as usize,
        switch: h_switch as *const () as usize,
        callee_offset: std::mem::offset_of!(Runtime, jit_callee),
    }
}

/// `Lazy`, `Holes`, `Fill`, `MkRow`.
unsafe extern "C" fn h_build(rt: *mut Runtime, base: u64, ins: *const Instr) {
    // SAFETY: machine code passes the running runtime and an instruction of its law.
    let (rt, ins) = unsafe { (&mut *rt, &*ins) };
    let base = base as usize;
    match ins {
        Instr::Lazy { dst, f, args } => rt.lazy(base, *dst, f, args),
        Instr::Holes { first, n, room } => rt.holes(base, *first, *n, *room),
        Instr::Fill { hole, f, args } => rt.fill(base, *hole, f, args),
        Instr::MkRow { dst, elems } => rt.mk_row(base, *dst, elems),
        _ => {}
    }
}

extern "C" fn h_whnf(v: u64) -> u64 {
    let v = Value(v).deref();
    if v.is_whnf_derefed() {
        v.0
    } else {
        0
    }
}

extern "C" fn h_is_zero(v: u64) -> u64 {
    nat_of_is_zero(Value(v).deref()) as u64
}

extern "C" fn h_deref(v: u64) -> u64 {
    Value(v).deref().0
}

/// An inline operation that was not on two small nats (or `_Get`/`_Idx`).
unsafe extern "C" fn h_op2(rt: *mut Runtime, base: u64, ins: *const Instr) -> u64 {
    // SAFETY: as for `h_build`.
    let (rt, ins) = unsafe { (&mut *rt, &*ins) };
    let regs = rt.regs(base as usize);
    if let Some((op, lazy, o)) = operation(ins) {
        let (x, y) = (regs.arg(&o.a), regs.arg(&o.b));
        return match rt.op2_slow(op, lazy, o.pin, x, y) {
            SlowOp::Value(v) => v.0,
            SlowOp::Eval(_) | SlowOp::Apply(..) => 0,
        };
    }
    match ins {
        Instr::Op2 { op, a, b, .. } => match inline_op(rt, *op, regs.arg(a), regs.arg(b)) {
            OpResult::Value(v) => v.0,
            OpResult::Lazy(v) => h_whnf(v.0),
            OpResult::Fallback => 0,
        },
        Instr::Op2Lazy { op, pin, a, b, .. } => {
            let (x, y) = (regs.arg(a), regs.arg(b));
            match inline_op(rt, *op, x, y) {
                OpResult::Value(v) | OpResult::Lazy(v) => v.0,
                OpResult::Fallback => rt.apply_lazy(*pin, &op.fallback_args(x, y)).0,
            }
        }
        _ => 0,
    }
}

/// A call done without the frame machine: a law that is native on small nats, a native
/// jet whose arguments are ready, a partial application, or (for a tail call) the callee's
/// activation put in place of the caller's ([`crate::native::TAIL_CALLED`]). 0: the
/// interpreter does it (it enters the law); [`crate::native::CALL_OTHER`]: the outcome is in
/// `rt.jit_other`.
unsafe extern "C" fn h_call(rt: *mut Runtime, base: u64, ins: *const Instr) -> u64 {
    // SAFETY: as for `h_build`.
    let (rt, ins) = unsafe { (&mut *rt, &*ins) };
    let base = base as usize;
    let regs = rt.regs(base);
    match ins {
        Instr::CallSelf { args, .. } => {
            let selfv = regs.get(0);
            crate::native::law_of(selfv)
                .and_then(|l| rt.native_call(selfv, l, &[], args, base))
                .map_or(0, |v| v.0)
        }
        Instr::Call { dst, f, args } => {
            let f = regs.arg(f).deref();
            let (head, pre) = closure_parts(f);
            if let Some((_, selfv, law)) = rt.direct_target(head, pre.len() + args.len()) {
                return rt
                    .native_call(selfv, law, pre, args, base)
                    .map_or(0, |v| v.0);
            }
            match rt.call_other(f, args, base) {
                Other::Value(v) => v.0,
                other => {
                    rt.jit_other = Some((other, *dst));
                    crate::native::CALL_OTHER
                }
            }
        }
        Instr::TailCall { f, args } => {
            let f = regs.arg(f).deref();
            let (head, pre) = closure_parts(f);
            if rt.interrupted() {
                return 0;
            }
            if let Some((callee, selfv, law)) = rt.direct_target(head, pre.len() + args.len()) {
                if let Some(v) = rt.native_call(selfv, law, pre, args, base) {
                    return v.0;
                }
                // The interpreter crashes when there is no room (after dropping this
                // activation, which the room asked for here still counts).
                if !rt.room_for(callee) {
                    return 0;
                }
                let replaced = rt.replace_activation(callee, selfv, pre, args, base);
                debug_assert!(replaced);
                rt.set_callee(callee, base);
                return crate::native::TAIL_CALLED;
            }
            rt.unsaturated(f, args, base).map_or(0, |v| v.0)
        }
        _ => 0,
    }
}

unsafe extern "C" fn h_all_whnf(rt: *mut Runtime, base: u64, ins: *const Instr) -> u64 {
    // SAFETY: as for `h_build`.
    let (rt, ins) = unsafe { (&mut *rt, &*ins) };
    let regs = rt.regs(base as usize);
    match ins {
        Instr::JumpUnlessWhnf { regs: rs, .. } => {
            rs.iter().all(|r| regs.get(*r).deref().is_whnf_derefed()) as u64
        }
        _ => 0,
    }
}

/// A self loop's periodic look at the interrupt flag and the collector (the activation's
/// registers, on the register stack, are roots).
unsafe extern "C" fn h_poll(rt: *mut Runtime) -> u64 {
    // SAFETY: machine code passes the running runtime.
    let rt = unsafe { &mut *rt };
    if rt.interrupted() {
        return 1;
    }
    if rt.heap.wants_gc() {
        rt.gc_now();
    }
    0
}

/// A call of a law, or the evaluation of an unfinished thunk, that needs an activation:
/// the caller (the activation of `code` at `base`, at instruction `pc`) is suspended as the
/// interpreter would suspend it and the new activation is pushed (see
/// [`crate::native::ActHelpers::enter`]).
unsafe extern "C" fn h_enter(
    rt: *mut Runtime,
    base: u64,
    ins: *const Instr,
    code: *const Bytecode,
    pc: u64,
) -> u64 {
    // SAFETY: machine code passes the running runtime, an instruction of its law and that
    // law's bytecode, which lives as long as the law.
    let (rt, ins, code) = unsafe { (&mut *rt, &*ins, &*code) };
    let (base, pc) = (base as usize, pc as usize);
    let regs = rt.regs(base);
    match ins {
        Instr::CallSelf { dst, args } => {
            let selfv = regs.get(0);
            rt.enter_act(code, selfv, &[], args, base, code, pc, *dst)
        }
        Instr::Call { dst, f, args } => {
            let f = regs.arg(f).deref();
            let (head, pre) = closure_parts(f);
            match rt.direct_target(head, pre.len() + args.len()) {
                Some((callee, selfv, _)) => {
                    rt.enter_act(callee, selfv, pre, args, base, code, pc, *dst)
                }
                None => 0,
            }
        }
        Instr::Force {
            dst: r,
            src: crate::bytecode::Arg::Reg(_),
        }
        | Instr::ForceIfz { reg: r, .. } => {
            let src = match ins {
                Instr::Force { src, .. } => regs.arg(src),
                _ => regs.get(*r),
            };
            let v = src.deref();
            if v.is_whnf_derefed() {
                return v.0;
            }
            if rt.frames.len() >= rt.config.max_frames {
                return 0;
            }
            rt.suspend(code, pc + 1, base, *r);
            match rt.enter_thunk(v) {
                Entered::Activation(c, b) => rt.set_callee(c, b),
                Entered::Value(w) => {
                    rt.frames.pop();
                    w.0
                }
                Entered::No => {
                    rt.frames.pop();
                    0
                }
            }
        }
        _ => 0,
    }
}

/// The activation entered at `base` returned `v` (in weak head normal form).
unsafe extern "C" fn h_leave(rt: *mut Runtime, base: u64, v: u64) {
    // SAFETY: machine code passes the running runtime.
    let rt = unsafe { &mut *rt };
    rt.reg_stack.truncate(base as usize);
    // Finishes the thunks the activation updates and pops the caller's own frame.
    let _caller = rt.waiting_activation(Value(v));
}

unsafe extern "C" fn h_switch(rt: *mut Runtime, code: u64, base: u64) {
    // SAFETY: machine code passes the running runtime.
    let rt = unsafe { &mut *rt };
    let regs = rt.regs(base as usize).ptr() as u64;
    rt.jit_callee = ActCallee {
        f: 0,
        regs,
        base,
        code,
    };
}

impl Runtime {
    /// Enters `callee` for a call from machine code (see [`h_enter`]); 0 when the
    /// interpreter has to (it then crashes cleanly, or stops for an interrupt).
    #[allow(clippy::too_many_arguments)]
    fn enter_act(
        &mut self,
        callee: &'static Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[crate::bytecode::Arg],
        base: usize,
        code: &'static Bytecode,
        pc: usize,
        dst: crate::bytecode::Reg,
    ) -> u64 {
        if self.frames.len() >= self.config.max_frames
            || !self.room_for(callee)
            || self.interrupted()
        {
            return 0;
        }
        let new_base = self.push_callee(callee, selfv, pre, args, base);
        self.suspend(code, pc + 1, base, dst);
        self.set_callee(callee, new_base)
    }

    /// Records the activation just entered for machine code.
    fn set_callee(&mut self, callee: &'static Bytecode, base: usize) -> u64 {
        let f = self.act_fn(callee, true);
        self.jit_callee = ActCallee {
            f: f.map_or(0, |f| f as usize as u64),
            regs: self.regs(base).ptr() as u64,
            base: base as u64,
            code: callee as *const Bytecode as u64,
        };
        if f.is_some() {
            crate::native::ENTERED_NATIVE
        } else {
            crate::native::ENTERED_INTERPRETED
        }
    }

    /// The machine code of `code`'s activations, if it has some (or gets it now: each
    /// `start` of an activation counts towards the threshold). Inline: every activation
    /// start and resumption asks, and most laws are decided already.
    #[inline(always)]
    fn act_fn(&mut self, code: &'static Bytecode, start: bool) -> Option<ActFn> {
        let mut slot = code.act.get();
        match slot.state {
            ActState::Native(f) => {
                slot.calls = slot.calls.saturating_add(1);
                code.act.set(slot);
                Some(f)
            }
            ActState::Interpreted => None,
            ActState::Counting if start => self.act_count(code),
            ActState::Counting => None,
        }
    }

    /// Counts a start of an activation of `code`, which has no machine code yet; compiles
    /// it at the threshold.
    #[inline(never)]
    fn act_count(&mut self, code: &'static Bytecode) -> Option<ActFn> {
        let mut slot = code.act.get();
        let JitMode::After(threshold) = self.config.jit else {
            return None;
        };
        slot.calls = slot.calls.saturating_add(1);
        if slot.calls < threshold {
            code.act.set(slot);
            return None;
        }
        let flag = self.interrupt.clone();
        let compiled = self
            .native
            .as_mut()
            .and_then(|c| c.compile_activation(code, &helpers(), &flag));
        slot.state = match compiled {
            Some(f) => ActState::Native(f),
            None => ActState::Interpreted,
        };
        code.act.set(slot);
        compiled
    }

    /// Runs the activation of `code` at `base` in machine code from instruction `pc` when the
    /// law is native (or becomes so now: activations that start count towards the
    /// threshold); `None` means "interpret it". The answer is an [`crate::native::ActFn`]'s.
    #[inline]
    pub(super) fn act_native(
        &mut self,
        code: &'static Bytecode,
        pc: usize,
        base: usize,
    ) -> Option<u64> {
        let f = self.act_fn(code, pc == 0)?;
        // SAFETY: `f` is the machine code of `code` (see above).
        Some(unsafe { self.run_act(f, code, pc, base) })
    }

    /// Runs the machine code `f` of `code` for the activation at `base` from instruction
    /// `pc` (see [`crate::native::ActFn`]).
    ///
    /// # Safety
    /// `f` was compiled for `code`, whose activation is at `base`, and `pc` is an
    /// instruction boundary of it.
    #[inline]
    pub(super) unsafe fn run_act(
        &mut self,
        f: ActFn,
        code: &'static Bytecode,
        pc: usize,
        base: usize,
    ) -> u64 {
        let regs = self.regs(base).ptr();
        // SAFETY: as the caller promises.
        let r = unsafe { f(self, regs, base as u64, pc as u64, 0) };
        if r & 3 == 2 && r & (crate::native::EXIT_SWITCH | crate::native::EXIT_OTHER) == 0 {
            code_exited(code);
        }
        r
    }
}

/// Counts a run of `code`'s machine code that left its own activation to the interpreter;
/// a law whose runs keep doing so stays interpreted (each exit costs more than the
/// interpreter's dispatch that it saves).
#[inline(never)]
fn code_exited(code: &Bytecode) {
    let mut slot = code.act.get();
    slot.exits = slot.exits.saturating_add(1);
    if slot.exits >= MAX_EXITS && slot.exits as u64 * 3 > slot.calls as u64 {
        slot.state = ActState::Interpreted;
    }
    code.act.set(slot);
}

/// Exits past which a law that exits on more than a third of its runs stays interpreted.
const MAX_EXITS: u32 = 256;
