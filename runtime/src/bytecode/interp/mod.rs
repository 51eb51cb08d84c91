//! The bytecode interpreter. It runs inside the evaluator's frame machine: when an
//! instruction needs a value evaluated, the activation is saved as a frame and the machine
//! evaluates; the result comes back into the destination register and execution resumes.

mod calls;
mod glue;
mod ops;
mod regs;
mod stack;

use super::{Arg, BinOp, Bytecode, Instr, Operation, Reg};
use crate::eval::{State, Step};
use crate::runtime::Runtime;
use crate::value::Value;

use calls::closure_parts;
use ops::{inline_op, nat_of_is_zero, small_op, OpResult};
pub(crate) use regs::Activation;
pub(crate) use stack::RegStack;

/// Where execution goes after `v` was written to `dst` by the instruction before `ip`: when
/// the next instruction jumps on `dst` being zero (`_If` on what was just forced or
/// compared), it is done at once (one dispatch instead of two).
///
/// # Safety
/// `ip` points at an instruction of `code` (it follows one that is not the last).
#[inline(always)]
unsafe fn next_after(code: &Bytecode, ip: *const Instr, dst: Reg, v: Value) -> *const Instr {
    match &*ip {
        Instr::JumpIfZero {
            src: Arg::Reg(r),
            target,
        } if *r == dst => {
            if nat_of_is_zero(v) {
                code.code.as_ptr().add(*target as usize)
            } else {
                ip.add(1)
            }
        }
        _ => ip,
    }
}

/// How many self-loop iterations go between looks at the interrupt flag and the collector
/// (a loop's own allocations between two looks are bounded by this many iterations').
const LOOP_POLL: u32 = 32;

/// The outcome of a call that is not a saturated call of a law.
pub(crate) enum Other {
    /// The call's value, in weak head normal form.
    Value(Value),
    /// A native jet ran on these arguments; the evaluator takes its outcome from here.
    Jet(crate::jets::JetOut, Value, Vec<Value>),
    /// The evaluator applies the function to the arguments.
    Apply(Value, Box<[Value]>),
    /// The (unevaluated) value in this register has to be evaluated first; then the call
    /// runs again.
    ForceArg(Reg, Value),
}

/// What came of trying to run a native jet straight from the interpreter.
enum JetCall {
    /// It ran (on the call's operands).
    Ran(crate::jets::JetOut),
    /// This register's value has to be evaluated first.
    Force(Reg, Value),
    /// The evaluator has to do it.
    No,
}

/// What became of a thunk the interpreter tried to evaluate in place.
enum Entered {
    /// Its law now runs as a new activation (its update frame is pushed): code and base.
    Activation(&'static Bytecode, usize),
    /// Its law ran natively; the thunk holds this value.
    Value(Value),
    /// Not a saturated call of a law: the evaluator has to do it.
    No,
}

/// What the slow path of an inline operation came to.
enum SlowOp {
    /// The result (in weak head normal form unless the operation is lazy).
    Value(Value),
    /// The result is this value, once evaluated.
    Eval(Value),
    /// The result is this application (the jet's pin on the operands), evaluated.
    Apply(Value, Box<[Value]>),
}

impl Runtime {
    /// An inline operation `op x y` that is not on two small nats: done inline where it can
    /// be (big nats, rows), else through its jet's pin `pin` (lazily if `lazy`).
    #[inline(never)]
    fn op2_slow(&mut self, op: BinOp, lazy: bool, pin: Value, x: Value, y: Value) -> SlowOp {
        match inline_op(self, op, x, y) {
            OpResult::Value(v) => SlowOp::Value(v),
            OpResult::Lazy(v) if lazy => SlowOp::Value(v),
            OpResult::Fallback if lazy => {
                SlowOp::Value(self.apply_lazy(pin, &op.fallback_args(x, y)))
            }
            OpResult::Lazy(v) => {
                let v = v.deref();
                if v.is_whnf_derefed() {
                    SlowOp::Value(v)
                } else {
                    SlowOp::Eval(v)
                }
            }
            OpResult::Fallback => SlowOp::Apply(pin, op.fallback_args(x, y)),
        }
    }

    /// `Lazy`: `f args...` unevaluated in register `dst`.
    #[inline(never)]
    fn lazy(&mut self, base: usize, dst: Reg, f: &Arg, args: &[Arg]) {
        let regs = self.regs(base);
        let f = regs.arg(f).deref();
        let v = if f.is_whnf_derefed() && (args.len() as u64) < self.arity(f) {
            let xs = regs.values(args);
            self.partial(f, &xs)
        } else {
            self.heap
                .thunk_iter(f, args.len(), args.iter().map(|a| regs.arg(a)))
        };
        self.regs(base).set(dst, v);
    }

    /// `Holes`: empty thunks (letrec placeholders, each with room for `room` arguments) in
    /// `count` registers from `first`.
    #[inline(never)]
    fn holes(&mut self, base: usize, first: Reg, count: u32, room: u32) {
        for r in first..first + count {
            let t = self.heap.hole(room as usize);
            self.regs(base).set(r, t);
        }
    }

    /// `Fill`: the placeholder in register `hole` becomes `f args...`.
    #[inline(never)]
    fn fill(&mut self, base: usize, hole: Reg, f: &Arg, args: &[Arg]) {
        let regs = self.regs(base);
        let f = regs.arg(f);
        let xs = regs.values(args);
        let Some(hole) = regs.get(hole).thunk() else {
            return;
        };
        if !xs.is_empty() && f.is_whnf() && (xs.len() as u64) < self.arity(f) {
            let p = self.partial(f, &xs);
            self.heap.fill_done(hole, p);
        } else {
            self.heap.fill(hole, f, &xs);
        }
    }

    /// `MkRow`: the row of `elems` in register `dst`.
    #[inline(never)]
    fn mk_row(&mut self, base: usize, dst: Reg, elems: &[Arg]) {
        let xs = self.regs(base).values(elems);
        let v = self.row(&xs);
        self.regs(base).set(dst, v);
    }

    /// A saturated tail call of `callee` (whose `self` is `selfv`, with a closure's `pre`
    /// then the operands `args`): its registers replace those of the activation at `base`,
    /// the last one on the register stack. The operands are read first (most calls have a
    /// few), or, for many, the callee's registers are built above this activation and moved
    /// down. `false` when there is no room for them (the caller crashes).
    #[inline(always)]
    fn replace_activation(
        &mut self,
        callee: &'static Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> bool {
        let regs = self.regs(base);
        let mut few = [Value::small(0); 8];
        if args.len() <= few.len() {
            for (slot, a) in few.iter_mut().zip(args.iter()) {
                *slot = regs.arg(a);
            }
            self.reg_stack.truncate(base);
            if !self.room_for(callee) {
                return false;
            }
            let b = self.push_callee_values(callee, selfv, pre, &few[..args.len()]);
            debug_assert_eq!(b, base);
        } else {
            if !self.room_for(callee) {
                return false;
            }
            let above = self.push_callee(callee, selfv, pre, args, base);
            let len = callee.nregs as usize;
            self.reg_stack.copy_down(above, base, len);
            self.reg_stack.truncate(base + len);
        }
        true
    }

    /// Runs the activation of `code` at `base` from instruction `pc` (and whatever it
    /// enters) until the evaluation that started it has its value.
    fn interp_run(&mut self, code: &'static Bytecode, pc: usize, base: usize) -> Step {
        // Activations may run in machine code (the activation tier; not while profiling,
        // whose samples come from the interpreter). The interpreter without that tier is a
        // separate instance, so that it pays nothing for it.
        if self.config.jit_act
            && self.config.jit != crate::native::JitMode::Off
            && self.native.is_some()
            && !self.profiling()
        {
            self.interp_run_g::<true>(code, pc, base)
        } else {
            self.interp_run_g::<false>(code, pc, base)
        }
    }

    #[allow(unused_assignments)] // `switch_to!` sets `native_in`, which some callers then refine
    fn interp_run_g<const NATIVE: bool>(
        &mut self,
        mut code: &'static Bytecode,
        pc: usize,
        mut base: usize,
    ) -> Step {
        // The next instruction. It always points into `code`: bytecode ends with a return and
        // no jump goes past it (checked when it is compiled), and every instruction but the
        // last has one after it.
        debug_assert!(pc < code.code.len());
        // SAFETY: activations only resume inside their code.
        let mut ip: *const Instr = unsafe { code.code.as_ptr().add(pc) };
        // The running activation's registers (the register stack never moves; this changes
        // with `base`).
        let mut regs = self.regs(base);
        // Whether self loops have to tell the profiler or the JIT about each iteration (the
        // host sets these between runs, never during one).
        let loop_hooks = self.profiling() || self.config.jit != crate::native::JitMode::Off;
        // Whether activations may run in machine code, and when to look: 1 before the next
        // instruction (an activation starts or resumes), 2 after it (machine code left that
        // instruction to the interpreter).
        let native_on = NATIVE;
        let mut native_in: u8 = native_on as u8;
        // Self loops look for an interrupt or a due collection every `LOOP_POLL` iterations.
        let mut poll = LOOP_POLL;
        // The instruction index of `ip` (for frames that resume here).
        macro_rules! pc {
            () => {
                // SAFETY: `ip` points into `code` (see above).
                unsafe { ip.offset_from(code.code.as_ptr()) as usize }
            };
        }
        // Continues at instruction `target` of `code`.
        macro_rules! goto {
            ($target:expr) => {
                // SAFETY: jump targets are inside the code (checked when it is compiled).
                ip = unsafe { code.code.as_ptr().add($target as usize) }
            };
        }
        // Goes on running the activation of `$code` at `$base`, at instruction `$pc` (its
        // register pointer follows its base).
        macro_rules! switch_to {
            ($code:expr, $pc:expr, $base:expr) => {
                code = $code;
                goto!($pc);
                base = $base;
                regs = self.regs(base);
                native_in = native_on as u8;
            };
        }
        // Hands the finished value `v` to the activation waiting for it and goes on running
        // that one, or returns `v` when none is waiting here.
        macro_rules! resume_waiting {
            ($v:expr) => {
                let Some(act) = self.waiting_activation($v) else {
                    return Ok(State::Ret($v));
                };
                switch_to!(act.code, act.pc, act.base as usize);
                regs.set(act.dst, $v);
            };
        }
        // Evaluates the thunk `v` for register `reg` (resuming at `pc`): in place when it is a
        // saturated call of a law, else by the evaluator.
        macro_rules! evaluate_into {
            ($reg:expr, $v:expr) => {
                self.suspend(code, pc!(), base, $reg);
                match self.enter_thunk($v) {
                    Entered::Activation(c, b) => {
                        switch_to!(c, 0, b);
                    }
                    Entered::Value(w) => {
                        self.frames.pop();
                        regs.set($reg, w);
                    }
                    Entered::No => return Ok(State::Eval($v)),
                }
            };
        }
        // Finishes an instruction whose call went through `call_other`, with its result for
        // register `dst`.
        macro_rules! on_other {
            ($other:expr, $dst:expr) => {
                match $other {
                    Other::Value(v) => regs.set($dst, v),
                    Other::Jet(out, pin, vals) => {
                        self.suspend(code, pc!(), base, $dst);
                        return self.jet_step(out, pin, vals);
                    }
                    Other::Apply(f, xs) => {
                        self.suspend(code, pc!(), base, $dst);
                        return Ok(State::Apply(f, xs));
                    }
                    Other::ForceArg(r, v) => {
                        // Evaluate the argument into its register, then run this instruction
                        // again.
                        // SAFETY: the instruction that ran is the one before `ip`.
                        ip = unsafe { ip.sub(1) };
                        evaluate_into!(r, v);
                    }
                }
            };
        }
        // Runs `callee` (whose `self` is `selfv`) on `pre` then the operands `args` as a new
        // activation; its result goes to register `dst` of this one.
        macro_rules! enter_law {
            ($callee:expr, $selfv:expr, $pre:expr, $args:expr, $dst:expr) => {
                let callee: &'static Bytecode = $callee;
                if self.frames.len() >= self.config.max_frames || !self.room_for(callee) {
                    return Err(crate::eval::Crash::stack_exhausted());
                }
                if self.interrupted() {
                    return Err(self.stop_crash());
                }
                let new_base = self.push_callee(callee, $selfv, $pre, $args, base);
                self.suspend(code, pc!(), base, $dst);
                if self.profiling() {
                    self.profile_call($selfv, false, Some($selfv));
                }
                switch_to!(callee, 0, new_base);
                continue;
            };
        }
        // An inline operation that needs more than the quick path (out of line).
        macro_rules! op2_slow {
            ($op:expr, $lazy:expr, $dst:expr, $pin:expr, $a:expr, $b:expr) => {
                let (x, y) = (regs.arg($a), regs.arg($b));
                match self.op2_slow($op, $lazy, $pin, x, y) {
                    SlowOp::Value(v) => {
                        regs.set($dst, v);
                        if !$lazy {
                            // SAFETY: the instruction that ran is not the last (a return).
                            ip = unsafe { next_after(code, ip, $dst, v) };
                        }
                    }
                    SlowOp::Eval(v) => {
                        self.suspend(code, pc!(), base, $dst);
                        return Ok(State::Eval(v));
                    }
                    SlowOp::Apply(f, xs) => {
                        self.suspend(code, pc!(), base, $dst);
                        return Ok(State::Apply(f, xs));
                    }
                }
            };
        }
        // An inline operation on two small nats giving a small nat is done at once (the
        // operator is known here, so no second dispatch on it).
        macro_rules! op2 {
            ($op:expr, $o:expr) => {{
                let o: &Operation = $o;
                if let Some(v) = small_op($op, regs.arg(&o.a), regs.arg(&o.b)) {
                    regs.set(o.dst, v);
                    // SAFETY: the instruction that ran is not the last (a return).
                    ip = unsafe { next_after(code, ip, o.dst, v) };
                } else {
                    op2_slow!($op, false, o.dst, o.pin, &o.a, &o.b);
                }
            }};
        }
        macro_rules! op2_lazy {
            ($op:expr, $o:expr) => {{
                let o: &Operation = $o;
                if let Some(v) = small_op($op, regs.arg(&o.a), regs.arg(&o.b)) {
                    regs.set(o.dst, v);
                } else {
                    op2_slow!($op, true, o.dst, o.pin, &o.a, &o.b);
                }
            }};
        }
        loop {
            if NATIVE && native_in != 0 {
                if native_in == 2 {
                    native_in = 1;
                } else {
                    native_in = 0;
                    if let Some(mut r) = self.act_native(code, pc!(), base) {
                        // A tail call in machine code: the callee's activation replaced
                        // this one; it runs next, in machine code while it has some.
                        while r == crate::native::TAIL_CALLED {
                            let c = self.jit_callee;
                            // SAFETY: machine code recorded the callee's bytecode, which
                            // lives as long as its law (held by the activation's `self`).
                            let callee: &'static Bytecode =
                                unsafe { &*(c.code as *const Bytecode) };
                            switch_to!(callee, 0, c.base as usize);
                            if c.f == 0 {
                                break;
                            }
                            // SAFETY: `c.f` is the machine code of `callee` (the call
                            // helper took it from the law's slot).
                            let f: crate::native::ActFn = unsafe { std::mem::transmute(c.f) };
                            // SAFETY: the callee's activation is at `base`, from its start.
                            r = unsafe { self.run_act(f, callee, 0, base) };
                        }
                        if r == crate::native::TAIL_CALLED {
                            // The callee runs interpreted (it was counted as started).
                            native_in = 0;
                            continue;
                        }
                        if r & 3 != 2 {
                            // The activation finished in machine code.
                            let v = Value(r);
                            self.reg_stack.truncate(base);
                            resume_waiting!(v);
                            continue;
                        }
                        if r == crate::native::INTERRUPTED {
                            return Err(crate::eval::Crash::interrupted());
                        }
                        if r & crate::native::EXIT_SWITCH != 0 {
                            // The exit of an activation that machine code entered (the ones
                            // between are suspended).
                            let c = self.jit_callee;
                            // SAFETY: machine code recorded a live activation's bytecode.
                            let callee: &'static Bytecode =
                                unsafe { &*(c.code as *const Bytecode) };
                            switch_to!(callee, r >> 4, c.base as usize);
                        } else {
                            goto!(r >> 4);
                        }
                        if r & crate::native::EXIT_OTHER != 0 {
                            // A call that machine code began: its outcome is waiting.
                            let Some((other, dst)) = self.jit_other.take() else {
                                unreachable!("machine code left no call outcome")
                            };
                            // SAFETY: the call is not the last instruction (a return).
                            ip = unsafe { ip.add(1) };
                            on_other!(other, dst);
                            native_in = 1;
                            continue;
                        }
                        native_in = 2;
                    }
                }
            }
            debug_assert!(pc!() < code.code.len());
            // SAFETY: `ip` points into `code` (see above).
            let ins = unsafe { &*ip };
            // SAFETY: at most one past the last instruction, which returns.
            ip = unsafe { ip.add(1) };
            match ins {
                Instr::Move { dst, src } => {
                    regs.set(*dst, regs.arg(src));
                }
                Instr::Lazy { dst, f, args } => self.lazy(base, *dst, f, args),
                Instr::Holes {
                    first,
                    n: count,
                    room,
                } => self.holes(base, *first, *count, *room),
                Instr::Fill { hole, f, args } => self.fill(base, *hole, f, args),
                Instr::ForceIfz { reg, target } => {
                    let v = regs.get(*reg);
                    // Most often a small nat, already there.
                    if let Some(n) = v.as_small() {
                        // SAFETY: the `JumpIfZero` after this is not the last instruction.
                        ip = unsafe { ip.add(1) };
                        if n == 0 {
                            goto!(*target);
                        }
                        continue;
                    }
                    let v = v.deref();
                    if v.is_whnf_derefed() {
                        regs.set(*reg, v);
                        // SAFETY: the `JumpIfZero` after this is not the last instruction.
                        ip = unsafe { ip.add(1) };
                        if nat_of_is_zero(v) {
                            goto!(*target);
                        }
                        continue;
                    }
                    // Evaluated, it comes back to the `JumpIfZero` (at `ip`).
                    evaluate_into!(*reg, v);
                }
                Instr::Force { dst, src } => {
                    let v = regs.arg(src).deref();
                    if v.is_whnf_derefed() {
                        regs.set(*dst, v);
                        // SAFETY: the instruction that ran is not the last (a return).
                        ip = unsafe { next_after(code, ip, *dst, v) };
                        continue;
                    }
                    evaluate_into!(*dst, v);
                }
                Instr::CallSelf { dst, args } => {
                    // The same bytecode runs again (even where `self` is a pin with a native
                    // jet: the law computes the same).
                    let selfv = regs.get(0);
                    if self.config.jit != crate::native::JitMode::Off {
                        if let Some(v) = crate::native::law_of(selfv)
                            .and_then(|l| self.native_call(selfv, l, &[], args, base))
                        {
                            regs.set(*dst, v);
                            continue;
                        }
                    }
                    enter_law!(code, selfv, &[], args, *dst);
                }
                Instr::Call { dst, f, args } => {
                    let f = regs.arg(f).deref();
                    // A closure (a law partly applied) that these arguments saturate is called
                    // as directly as the law itself: its arguments come first.
                    let (head, pre) = closure_parts(f);
                    if let Some((callee, selfv, law)) =
                        self.direct_target(head, pre.len() + args.len())
                    {
                        if let Some(c) = &callee.construct {
                            if !self.profiling() {
                                let v = self.construct(c, pre, args, base);
                                regs.set(*dst, v);
                                continue;
                            }
                        }
                        if self.config.jit != crate::native::JitMode::Off {
                            if let Some(v) = self.native_call(selfv, law, pre, args, base) {
                                regs.set(*dst, v);
                                continue;
                            }
                        }
                        enter_law!(callee, selfv, pre, args, *dst);
                    }
                    let other = self.call_other(f, args, base);
                    on_other!(other, *dst);
                }
                // Row operations (`_Get`, `_Idx`: the operators without an instruction of
                // their own), done inline.
                Instr::Op2 { dst, op, pin, a, b } => {
                    let (x, y) = (regs.arg(a), regs.arg(b));
                    match inline_op(self, *op, x, y) {
                        OpResult::Value(v) => {
                            regs.set(*dst, v);
                            // SAFETY: the instruction that ran is not the last (a return).
                            ip = unsafe { next_after(code, ip, *dst, v) };
                        }
                        OpResult::Lazy(v) => {
                            let v = v.deref();
                            if v.is_whnf_derefed() {
                                regs.set(*dst, v);
                            } else {
                                self.suspend(code, pc!(), base, *dst);
                                return Ok(State::Eval(v));
                            }
                        }
                        OpResult::Fallback => {
                            let pin = *pin;
                            self.suspend(code, pc!(), base, *dst);
                            return Ok(State::Apply(pin, op.fallback_args(x, y)));
                        }
                    }
                }
                Instr::Op2Lazy { dst, op, pin, a, b } => {
                    let (x, y) = (regs.arg(a), regs.arg(b));
                    let v = match inline_op(self, *op, x, y) {
                        OpResult::Value(v) | OpResult::Lazy(v) => v,
                        OpResult::Fallback => self.apply_lazy(*pin, &op.fallback_args(x, y)),
                    };
                    regs.set(*dst, v);
                }
                Instr::Add(o) => op2!(BinOp::Add, o),
                Instr::Sub(o) => op2!(BinOp::Sub, o),
                Instr::Mul(o) => op2!(BinOp::Mul, o),
                Instr::Div(o) => op2!(BinOp::Div, o),
                Instr::Mod(o) => op2!(BinOp::Mod, o),
                Instr::Eql(o) => op2!(BinOp::Eql, o),
                Instr::Neq(o) => op2!(BinOp::Neq, o),
                Instr::Lth(o) => op2!(BinOp::Lth, o),
                Instr::Lte(o) => op2!(BinOp::Lte, o),
                Instr::Gth(o) => op2!(BinOp::Gth, o),
                Instr::Gte(o) => op2!(BinOp::Gte, o),
                Instr::AddLazy(o) => op2_lazy!(BinOp::Add, o),
                Instr::SubLazy(o) => op2_lazy!(BinOp::Sub, o),
                Instr::MulLazy(o) => op2_lazy!(BinOp::Mul, o),
                Instr::DivLazy(o) => op2_lazy!(BinOp::Div, o),
                Instr::ModLazy(o) => op2_lazy!(BinOp::Mod, o),
                Instr::EqlLazy(o) => op2_lazy!(BinOp::Eql, o),
                Instr::NeqLazy(o) => op2_lazy!(BinOp::Neq, o),
                Instr::LthLazy(o) => op2_lazy!(BinOp::Lth, o),
                Instr::LteLazy(o) => op2_lazy!(BinOp::Lte, o),
                Instr::GthLazy(o) => op2_lazy!(BinOp::Gth, o),
                Instr::GteLazy(o) => op2_lazy!(BinOp::Gte, o),
                Instr::Dec(o) => op2!(BinOp::Dec, o),
                Instr::Inc(o) => op2!(BinOp::Inc, o),
                Instr::ToNat(o) => op2!(BinOp::ToNat, o),
                Instr::Len(o) => op2!(BinOp::Len, o),
                Instr::DecLazy(o) => op2_lazy!(BinOp::Dec, o),
                Instr::IncLazy(o) => op2_lazy!(BinOp::Inc, o),
                Instr::ToNatLazy(o) => op2_lazy!(BinOp::ToNat, o),
                Instr::LenLazy(o) => op2_lazy!(BinOp::Len, o),
                Instr::JumpIfZero { src, target } => {
                    if nat_of_is_zero(regs.arg(src).deref()) {
                        goto!(*target);
                    }
                }
                Instr::JumpIfNotZero { src, target } => {
                    if regs.arg(src).deref().as_small() != Some(0) {
                        goto!(*target);
                    }
                }
                Instr::Jump { target } => goto!(*target),
                Instr::JumpUnlessWhnf { regs: rs, target } => {
                    if !rs.iter().all(|r| regs.get(*r).deref().is_whnf_derefed()) {
                        goto!(*target);
                    }
                }
                Instr::Switch {
                    src,
                    targets,
                    default,
                } => {
                    // `_Switch ix fb arms` is `if (gte ix (len arms)) fb (get arms ix)`, and in
                    // PLAN order anything that is not a nat is above every nat.
                    let v = regs.arg(src).deref();
                    let i = v.as_small().unwrap_or(u64::MAX);
                    let target = usize::try_from(i)
                        .ok()
                        .and_then(|i| targets.get(i))
                        .copied()
                        .unwrap_or(*default);
                    goto!(target);
                }
                Instr::SwitchKeys {
                    src,
                    keys,
                    targets,
                    default,
                } => {
                    let v = regs.arg(src).deref();
                    let target = v
                        .as_small()
                        .and_then(|k| keys.iter().position(|&x| x == k))
                        .and_then(|i| targets.get(i))
                        .copied()
                        .unwrap_or(*default);
                    goto!(target);
                }
                Instr::MkRow { dst, elems } => self.mk_row(base, *dst, elems),
                Instr::TailCall { f, args } => {
                    let f = regs.arg(f).deref();
                    // A known law or a closure that these arguments saturate replaces this
                    // activation (no frame grows); anything else goes through `apply`.
                    let (head, pre) = closure_parts(f);
                    let count = pre.len() + args.len();
                    if !self.interrupted() {
                        if let Some((callee, selfv, law)) = self.direct_target(head, count) {
                            if let Some(c) = &callee.construct {
                                if !self.profiling() {
                                    let v = self.construct(c, pre, args, base);
                                    self.reg_stack.truncate(base);
                                    resume_waiting!(v);
                                    continue;
                                }
                            }
                            if let Some(v) = self.native_call(selfv, law, pre, args, base) {
                                self.reg_stack.truncate(base);
                                return Ok(State::Ret(v));
                            }
                            if !self.replace_activation(callee, selfv, pre, args, base) {
                                return Err(crate::eval::Crash::stack_exhausted());
                            }
                            if self.profiling() {
                                self.profile_call(selfv, false, Some(selfv));
                            }
                            code = callee;
                            goto!(0);
                            native_in = native_on as u8;
                            continue;
                        }
                    }
                    if let Some(v) = self.unsaturated(f, args, base) {
                        self.reg_stack.truncate(base);
                        resume_waiting!(v);
                        continue;
                    }
                    let xs = regs.args(args);
                    self.reg_stack.truncate(base);
                    return Ok(State::Apply(f, xs));
                }
                Instr::Return { src } => {
                    let v = regs.arg(src).deref();
                    self.reg_stack.truncate(base);
                    if v.is_whnf_derefed() {
                        // Fast path: hand a finished value straight to a waiting activation.
                        resume_waiting!(v);
                        continue;
                    }
                    // The result is a thunk: evaluate it in this activation's place.
                    match self.enter_thunk(v) {
                        Entered::Activation(c, b) => {
                            switch_to!(c, 0, b);
                        }
                        Entered::Value(w) => {
                            resume_waiting!(w);
                        }
                        Entered::No => return Ok(State::Eval(v)),
                    }
                }
                Instr::Loop { args } => {
                    // The new arguments are all read before any is written.
                    match &args[..] {
                        [a] => regs.set(1, regs.arg(a)),
                        [a, b] => {
                            let (x, y) = (regs.arg(a), regs.arg(b));
                            regs.set(1, x);
                            regs.set(2, y);
                        }
                        _ => {
                            let mut xs = std::mem::take(&mut self.scratch);
                            xs.clear();
                            xs.extend(args.iter().map(|a| regs.arg(a)));
                            for (i, x) in xs.iter().enumerate() {
                                regs.set(i as Reg + 1, *x);
                            }
                            self.scratch = xs;
                        }
                    }
                    if loop_hooks {
                        if self.profiling() {
                            let selfv = self.reg_stack[base];
                            self.profile_tick(Some(selfv));
                        }
                        // A self tail call is a fresh call of this law: once the law is
                        // native (each iteration counts as a call), the rest of the loop runs
                        // there.
                        if self.config.jit != crate::native::JitMode::Off {
                            if let Some(v) = self.native_loop(base, args.len()) {
                                self.reg_stack.truncate(base);
                                return Ok(State::Ret(v));
                            }
                        }
                    }
                    goto!(0);
                    native_in = native_on as u8;
                    poll -= 1;
                    if poll == 0 {
                        poll = LOOP_POLL;
                        if self.interrupted() {
                            return Err(self.stop_crash());
                        }
                        if self.heap.wants_gc() {
                            // This activation's registers are on the register stack, a root.
                            self.gc_now();
                        }
                    }
                }
            }
        }
    }
}
