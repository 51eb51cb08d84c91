//! The bytecode interpreter. It runs inside the evaluator's frame machine: when an
//! instruction needs a value evaluated, the activation is saved as a frame and the machine
//! evaluates; the result comes back into the destination register and execution resumes.

use super::{Arg, BinOp, Bytecode, Instr, Reg};
use crate::datajet;
use crate::eval::{Frame, State, Step};
use crate::runtime::Runtime;
use crate::value::{Args, Kind, Thunk, Value};

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

#[inline]
fn get(regs: &[Value], a: &Arg) -> Value {
    match a {
        // SAFETY: the compiler only emits registers below the law's `nregs`, and `regs`
        // always holds the running activation's `nregs` registers.
        Arg::Reg(r) => unsafe { *regs.get_unchecked(*r as usize) },
        Arg::Const(c) => *c,
    }
}

/// Copies `src` to the start of `dst`: a plain loop, as the slices are short (a few
/// arguments), where a call of `memcpy` would cost more than the copy.
#[inline(always)]
fn copy_values(dst: &mut [Value], src: &[Value]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Where execution goes after `v` was written to `dst` by the instruction before `pc`: when
/// the next instruction jumps on `dst` being zero (`_If` on what was just forced or
/// compared), it is done at once (one dispatch instead of two).
#[inline(always)]
fn next_after(code: &Bytecode, pc: usize, dst: Reg, v: Value) -> usize {
    match code.code.get(pc) {
        Some(Instr::JumpIfZero {
            src: Arg::Reg(r),
            target,
        }) if *r == dst => {
            if nat_of_is_zero(v) {
                *target as usize
            } else {
                pc + 1
            }
        }
        _ => pc,
    }
}

/// Whether `N(v)` is 0 for `v` in weak head normal form (non-nats count as 0).
#[inline(always)]
fn nat_of_is_zero(v: Value) -> bool {
    match v.as_small() {
        Some(n) => n == 0,
        None => !matches!(v.kind(), Some(Kind::Nat(_))),
    }
}

/// `op x y` when both are small nats (as stored: no thunk to follow) and the result is a
/// small nat; `None` for anything else.
#[inline(always)]
fn small_op(op: BinOp, x: Value, y: Value) -> Option<Value> {
    let (x, y) = (x.as_small()?, y.as_small()?);
    let bit = |c: bool| Some(Value::small(c as u64));
    match op {
        BinOp::Add => x
            .checked_add(y)
            .filter(|s| *s <= crate::value::MAX_SMALL)
            .map(Value::small),
        BinOp::Sub => Some(Value::small(x.saturating_sub(y))),
        BinOp::Mul => x
            .checked_mul(y)
            .filter(|p| *p <= crate::value::MAX_SMALL)
            .map(Value::small),
        BinOp::Div => Some(Value::small(x.checked_div(y).unwrap_or(0))),
        BinOp::Mod => Some(Value::small(x.checked_rem(y).unwrap_or(x))),
        BinOp::Eql => bit(x == y),
        BinOp::Neq => bit(x != y),
        BinOp::Lth => bit(x < y),
        BinOp::Lte => bit(x <= y),
        BinOp::Gth => bit(x > y),
        BinOp::Gte => bit(x >= y),
        BinOp::Get | BinOp::Idx => None,
    }
}

/// The result of an inline operation on two values.
enum OpResult {
    /// Done: this value (in weak head normal form).
    Value(Value),
    /// Done, but the value may still need evaluating (a row element).
    Lazy(Value),
    /// Not handled inline.
    Fallback,
}

fn small_nat(v: Value) -> Option<u64> {
    v.deref().as_small()
}

/// A function value split into its head and the arguments it already has (none unless it
/// is a closure).
fn closure_parts(f: Value) -> (Value, &'static [Value]) {
    match f.kind() {
        Some(Kind::App(app)) => (app.head.deref(), app.args()),
        _ => (f, &[]),
    }
}

#[inline(always)]
fn inline_op(rt: &mut Runtime, op: BinOp, a: Value, b: Value) -> OpResult {
    let (row, idx) = match op {
        BinOp::Get => (a, b),
        BinOp::Idx => (b, a),
        _ => {
            let (a, b) = (a.deref(), b.deref());
            if let Some(v) = small_op(op, a, b) {
                return OpResult::Value(v);
            }
            // A sum or product of two small nats past the small range (up to 2^64 - 1).
            let (Some(x), Some(y)) = (a.as_small(), b.as_small()) else {
                return OpResult::Fallback;
            };
            let wide = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Mul => x.checked_mul(y),
                _ => None,
            };
            return match wide {
                Some(n) => OpResult::Value(rt.nat_u64(n)),
                None => OpResult::Fallback,
            };
        }
    };
    let row = row.deref();
    let (Some(i), Some(len)) = (small_nat(idx), datajet::row_len(row)) else {
        return OpResult::Fallback;
    };
    if i >= len {
        return OpResult::Value(Value::small(0));
    }
    match row.kind() {
        Some(Kind::App(app)) => {
            let xs = app.args();
            OpResult::Lazy(xs[xs.len() - 1 - i as usize])
        }
        _ => OpResult::Fallback,
    }
}

/// The outcome of a call that is not a saturated call of a law.
enum Other {
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

/// The registers of the running activation: a pointer to the first of them on the register
/// stack. Take it afresh (`Runtime::regs`) after anything that can push onto the register
/// stack (which may move it). Register numbers come from the compiler, which only emits
/// registers below the law's `nregs`.
#[derive(Clone, Copy)]
struct Regs(*mut Value);

impl Regs {
    /// The value of an operand.
    #[inline(always)]
    fn arg(self, a: &Arg) -> Value {
        match a {
            // SAFETY: see the type's documentation.
            Arg::Reg(r) => unsafe { *self.0.add(*r as usize) },
            Arg::Const(c) => *c,
        }
    }

    /// The values of operands.
    fn args(self, xs: &[Arg]) -> Box<[Value]> {
        xs.iter().map(|a| self.arg(a)).collect()
    }

    /// Register `r`.
    #[inline(always)]
    fn get(self, r: Reg) -> Value {
        // SAFETY: see the type's documentation.
        unsafe { *self.0.add(r as usize) }
    }

    /// Sets register `r`.
    #[inline(always)]
    fn set(self, r: Reg, v: Value) {
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

    /// The bytecode and `self` value for a saturated call of `f` that can skip the generic
    /// application path: a law, or a pin of a law with no native jet in use.
    #[inline]
    fn direct_target(
        &mut self,
        f: Value,
        nargs: usize,
    ) -> Option<(&'static Bytecode, Value, &'static crate::value::LawObj)> {
        let law = self.bytecode_law(f)?;
        if law.arity != nargs as u64 {
            return None;
        }
        Some((self.law_bytecode(law), f, law))
    }

    /// The law whose bytecode a call of `f` (already passed through `deref`) runs: `f` itself,
    /// or the law in the pin `f`, unless that pin's native jet runs instead.
    #[inline(always)]
    fn bytecode_law(&self, f: Value) -> Option<&'static crate::value::LawObj> {
        match &f.obj()?.kind {
            Kind::Law(l) => Some(l),
            Kind::Pin(p) => {
                if self.config.jets {
                    if let Some(j) = p.jet.get() {
                        if self.jets.entry(j).native.is_some() {
                            return None;
                        }
                    }
                }
                match p.item.kind()? {
                    Kind::Law(l) => Some(l),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The native jet to run for a saturated call of `f` with `nargs` arguments, if `f` is a
    /// pin with one (and jets are on).
    #[inline]
    fn native_jet(&self, f: Value, nargs: usize) -> Option<crate::jets::JetId> {
        if !self.config.jets {
            return None;
        }
        let Some(Kind::Pin(p)) = f.obj().map(|o| &o.kind) else {
            return None;
        };
        let j = p.jet.get()?;
        (p.arity == nargs as u64 && self.jets.entry(j).native.is_some()).then_some(j)
    }

    /// Runs the native jet `j` of the pin `pin` on the operands `args` when every argument it
    /// is strict in is already evaluated as far as it needs (so no evaluation has to happen
    /// first). When an argument in a register still has to be evaluated, says which.
    fn try_jet(&mut self, j: crate::jets::JetId, pin: Value, args: &[Arg], base: usize) -> JetCall {
        use crate::eval::Strict;
        let regs = self.regs(base);
        let strict = self.jets.strictness(j);
        let mut buf = [Value::small(0); 8];
        let mut long = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let v = regs.arg(a);
            let ready = match strict.get(i).copied().unwrap_or(Strict::Lazy) {
                Strict::Lazy => true,
                Strict::Whnf => v.deref().is_whnf_derefed(),
                Strict::Deep => v.deref().obj().is_none_or(|o| {
                    o.normal.get() || !matches!(o.kind, Kind::App(_) | Kind::Thunk(_))
                }),
            };
            if !ready {
                return match (a, strict.get(i)) {
                    (Arg::Reg(r), Some(Strict::Whnf)) => JetCall::Force(*r, v.deref()),
                    _ => JetCall::No,
                };
            }
            match buf.get_mut(i) {
                Some(slot) => *slot = v,
                None => long.push(v),
            }
        }
        if self.profiling() {
            self.profile_call(pin, true, None);
        }
        let out = if args.len() <= buf.len() {
            self.run_jet(j, &buf[..args.len()])
        } else {
            let mut vals = buf.to_vec();
            vals.extend(long);
            self.run_jet(j, &vals)
        };
        JetCall::Ran(out)
    }

    /// A call that is not a saturated call of a law: a native jet whose arguments are ready,
    /// a partial application, or else the evaluator's work. `Other::Value` is the call's value.
    /// Otherwise it says what the evaluator must do (after the caller suspends its
    /// activation).
    #[inline(never)]
    fn call_other(&mut self, f: Value, args: &[Arg], base: usize) -> Other {
        let (head, pre) = closure_parts(f);
        if pre.is_empty() {
            if let Some(j) = self.native_jet(head, args.len()) {
                match self.try_jet(j, head, args, base) {
                    JetCall::Ran(out) => {
                        if let crate::jets::JetOut::Ret(v) = out {
                            let v = v.deref();
                            if v.is_whnf_derefed() {
                                return Other::Value(v);
                            }
                        }
                        // The registers still hold the arguments the jet was given.
                        let vals = self.regs(base).args(args).into_vec();
                        return Other::Jet(out, head, vals);
                    }
                    JetCall::Force(r, v) => return Other::ForceArg(r, v),
                    JetCall::No => {}
                }
            }
        }
        if let Some(v) = self.unsaturated(f, args, base) {
            return Other::Value(v);
        }
        Other::Apply(f, self.regs(base).args(args))
    }

    /// `f args...` when `f` (already passed through `deref`) is a function in weak head
    /// normal form that these arguments do not saturate: the partial application, built
    /// without going through the evaluator.
    fn unsaturated(&mut self, f: Value, args: &[Arg], base: usize) -> Option<Value> {
        if !f.is_whnf_derefed() || args.len() as u64 >= self.arity(f) {
            return None;
        }
        let xs = self.regs(base).args(args);
        Some(self.partial(f, &xs))
    }

    /// Runs a saturated call natively when the JIT is on and the law is (or now becomes)
    /// native: `pre` are a closure's arguments, `args` the call's operands read from `base`.
    #[inline(always)]
    fn native_call(
        &mut self,
        selfv: Value,
        law: &crate::value::LawObj,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> Option<Value> {
        if !crate::native::may_go_native(self.config.jit, law) {
            return None;
        }
        let (vals, n) = self.native_args(pre, args, base)?;
        self.try_native(selfv, law, &vals[..n])
    }

    /// The arguments of a native call (a closure's `pre`, then the operands `args` read from
    /// the activation at `base`) and how many there are; `None` when there are too many.
    #[inline(never)]
    fn native_args(
        &self,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> Option<([Value; crate::native::MAX_NATIVE_ARGS], usize)> {
        let n = pre.len() + args.len();
        if n > crate::native::MAX_NATIVE_ARGS {
            return None;
        }
        let mut vals = [Value::small(0); crate::native::MAX_NATIVE_ARGS];
        copy_values(&mut vals, pre);
        let regs = &self.reg_stack[base..];
        for (v, a) in vals[pre.len()..].iter_mut().zip(args.iter()) {
            *v = get(regs, a);
        }
        Some((vals, n))
    }

    /// Pushes `n` registers (holding 0) for a new activation; returns where they start.
    #[inline(always)]
    fn push_regs(&mut self, n: usize) -> usize {
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
    fn push_callee(
        &mut self,
        callee: &Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> usize {
        let new_base = self.push_regs(callee.nregs as usize);
        let (caller, new) = self.reg_stack.split_at_mut(new_base);
        let caller = &caller[base..];
        new[0] = selfv;
        copy_values(&mut new[1..], pre);
        for (slot, a) in new[pre.len() + 1..].iter_mut().zip(args.iter()) {
            *slot = get(caller, a);
        }
        new_base
    }

    /// Pushes an activation of `callee` whose arguments are values (a closure's `pre`, then
    /// `args`) and returns its base.
    #[inline]
    fn push_callee_values(
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

    /// Evaluates the unfinished thunk `t` without leaving the interpreter when it is a
    /// saturated call of a law: like the evaluator, it black-holes the thunk and pushes an
    /// update frame, then starts the law's activation (or runs it natively).
    fn enter_thunk(&mut self, t: Value) -> Entered {
        let Some(Kind::Thunk(cell)) = t.kind() else {
            return Entered::No;
        };
        let Thunk::Pending(h, args) = cell.get() else {
            return Entered::No;
        };
        let f = h.deref();
        if !f.is_whnf() {
            return Entered::No;
        }
        let (head, pre) = closure_parts(f);
        let n = pre.len() + args.len();
        let Some((callee, selfv, law)) = self.direct_target(head, n) else {
            return Entered::No;
        };
        if self.frames.len() >= self.config.max_frames || self.interrupted() {
            return Entered::No;
        }
        if crate::native::may_go_native(self.config.jit, law) && n <= crate::native::MAX_NATIVE_ARGS
        {
            let mut vals = [Value::small(0); crate::native::MAX_NATIVE_ARGS];
            copy_values(&mut vals, pre);
            copy_values(&mut vals[pre.len()..], args);
            if let Some(v) = self.try_native(selfv, law, &vals[..n]) {
                cell.set(Thunk::Done(v));
                return Entered::Value(v);
            }
        }
        let Thunk::Pending(head_v, args) = cell.take_for_eval() else {
            unreachable!("the state was just seen pending")
        };
        let base = self.push_callee_values(callee, selfv, pre, &args);
        self.push_frame(Frame::Update {
            thunk: t,
            head: head_v,
            args,
        });
        if self.profiling() {
            self.profile_call(selfv, false, Some(selfv));
        }
        Entered::Activation(callee, base)
    }

    /// Hands the finished value `v` to the activation waiting for it, if that is the next
    /// frame (after the update frames of thunks that evaluate to `v`, which it finishes).
    #[inline(always)]
    fn waiting_activation(&mut self, v: Value) -> Option<Activation> {
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
                    if let Some(Kind::Thunk(t)) = thunk.obj().map(|o| &o.kind) {
                        t.set(Thunk::Done(v));
                    }
                    self.frames.pop();
                }
                _ => return None,
            }
        }
        None
    }

    /// Runs the rest of a self loop natively if this law is (or now becomes) native: the
    /// activation at `base` holds `self` and the new arguments.
    fn native_loop(&mut self, base: usize, nargs: usize) -> Option<Value> {
        let selfv = self.reg_stack[base].deref();
        let law = crate::native::law_of(selfv)?;
        if nargs > crate::native::MAX_NATIVE_ARGS
            || !crate::native::may_go_native(self.config.jit, law)
        {
            return None;
        }
        let mut vals = [Value::small(0); crate::native::MAX_NATIVE_ARGS];
        copy_values(&mut vals, &self.reg_stack[base + 1..=base + nargs]);
        self.try_native(selfv, law, &vals[..nargs])
    }

    #[inline(always)]
    fn suspend(&mut self, code: &'static Bytecode, pc: usize, base: usize, dst: Reg) {
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
    fn push_frame(&mut self, frame: Frame) {
        self.frames.reserve(1);
        let len = self.frames.len();
        // SAFETY: capacity for one more frame was reserved just above.
        unsafe {
            self.frames.as_mut_ptr().add(len).write(frame);
            self.frames.set_len(len + 1);
        }
    }

    /// `Lazy`: `f args...` unevaluated in register `dst`.
    #[inline(never)]
    fn lazy(&mut self, base: usize, dst: Reg, f: &Arg, args: &[Arg]) {
        let regs = self.regs(base);
        let f = regs.arg(f).deref();
        let v = if f.is_whnf_derefed() && (args.len() as u64) < self.arity(f) {
            let xs = regs.args(args);
            self.partial(f, &xs)
        } else {
            let xs = match args {
                [a] => Args::Inline(1, [regs.arg(a), Value::small(0)]),
                [a, b] => Args::Inline(2, [regs.arg(a), regs.arg(b)]),
                _ => Args::from_box(regs.args(args)),
            };
            self.heap.thunk_args(f, xs)
        };
        self.regs(base).set(dst, v);
    }

    /// `Holes`: empty thunks (letrec placeholders) in `count` registers from `first`.
    #[inline(never)]
    fn holes(&mut self, base: usize, first: Reg, count: u32) {
        for r in first..first + count {
            let t = self.heap.thunk(Value::small(0), Box::new([]));
            self.regs(base).set(r, t);
        }
    }

    /// `Fill`: the placeholder in register `hole` becomes `f args...`.
    #[inline(never)]
    fn fill(&mut self, base: usize, hole: Reg, f: &Arg, args: &[Arg]) {
        let regs = self.regs(base);
        let f = regs.arg(f);
        let xs = regs.args(args);
        let hole = regs.get(hole);
        let state = if !xs.is_empty() && f.is_whnf() && (xs.len() as u64) < self.arity(f) {
            Thunk::Done(self.partial(f, &xs))
        } else {
            Thunk::Pending(f, Args::from_box(xs))
        };
        if let Some(Kind::Thunk(t)) = hole.kind() {
            t.set(state);
        }
    }

    /// `MkRow`: the row of `elems` in register `dst`.
    #[inline(never)]
    fn mk_row(&mut self, base: usize, dst: Reg, elems: &[Arg]) {
        let xs = self.regs(base).args(elems);
        let v = self.row(&xs);
        self.regs(base).set(dst, v);
    }

    /// The registers of the activation whose first register is `reg_stack[base]`.
    #[inline(always)]
    fn regs(&mut self, base: usize) -> Regs {
        debug_assert!(base < self.reg_stack.len());
        // SAFETY: `base` is the start of a live activation, inside the register stack.
        Regs(unsafe { self.reg_stack.as_mut_ptr().add(base) })
    }

    fn interp_run(&mut self, mut code: &'static Bytecode, mut pc: usize, mut base: usize) -> Step {
        // Hands the finished value `v` to the activation waiting for it and goes on running
        // that one, or returns `v` when none is waiting here.
        macro_rules! resume_waiting {
            ($v:expr) => {
                let Some(act) = self.waiting_activation($v) else {
                    return Ok(State::Ret($v));
                };
                code = act.code;
                pc = act.pc as usize;
                base = act.base as usize;
                self.regs(base).set(act.dst, $v);
            };
        }
        // Evaluates the thunk `v` for register `reg` (resuming at `pc`): in place when it is a
        // saturated call of a law, else by the evaluator.
        macro_rules! evaluate_into {
            ($reg:expr, $v:expr) => {
                self.suspend(code, pc, base, $reg);
                match self.enter_thunk($v) {
                    Entered::Activation(c, b) => {
                        code = c;
                        pc = 0;
                        base = b;
                    }
                    Entered::Value(w) => {
                        self.frames.pop();
                        self.regs(base).set($reg, w);
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
                    Other::Value(v) => self.regs(base).set($dst, v),
                    Other::Jet(out, pin, vals) => {
                        self.suspend(code, pc, base, $dst);
                        return self.jet_step(out, pin, vals);
                    }
                    Other::Apply(f, xs) => {
                        self.suspend(code, pc, base, $dst);
                        return Ok(State::Apply(f, xs));
                    }
                    Other::ForceArg(r, v) => {
                        // Evaluate the argument into its register, then run this instruction
                        // again.
                        pc -= 1;
                        evaluate_into!(r, v);
                    }
                }
            };
        }
        loop {
            debug_assert!(pc < code.code.len());
            // SAFETY: bytecode ends with a return and no jump goes past it (checked when it
            // is compiled), so `pc` is always in range.
            let ins = unsafe { code.code.get_unchecked(pc) };
            pc += 1;
            match ins {
                Instr::Move { dst, src } => {
                    let regs = self.regs(base);
                    regs.set(*dst, regs.arg(src));
                }
                Instr::Lazy { dst, f, args } => self.lazy(base, *dst, f, args),
                Instr::Holes { first, n: count } => self.holes(base, *first, *count),
                Instr::Fill { hole, f, args } => self.fill(base, *hole, f, args),
                Instr::Force { dst, src } => {
                    let regs = self.regs(base);
                    let v = regs.arg(src).deref();
                    if v.is_whnf_derefed() {
                        regs.set(*dst, v);
                        pc = next_after(code, pc, *dst, v);
                        continue;
                    }
                    evaluate_into!(*dst, v);
                }
                Instr::Call { dst, f, args } => {
                    let regs = self.regs(base);
                    // A saturated call of `self` runs this same bytecode again (even where
                    // `self` is a pin with a native jet: the law computes the same).
                    let target = match f {
                        Arg::Reg(0) if args.len() == code.arity as usize => {
                            Some((code, regs.get(0), None))
                        }
                        _ => None,
                    };
                    let f = regs.arg(f).deref();
                    // A closure (a law partly applied) that these arguments saturate is called
                    // as directly as the law itself: its arguments come first.
                    let (head, pre) = match target {
                        Some(_) => (f, &[][..]),
                        None => closure_parts(f),
                    };
                    if let Some((callee, selfv, law)) = target.or_else(|| {
                        self.direct_target(head, pre.len() + args.len())
                            .map(|(c, s, l)| (c, s, Some(l)))
                    }) {
                        if self.config.jit != crate::native::JitMode::Off {
                            let law = law.or_else(|| crate::native::law_of(selfv));
                            if let Some(v) =
                                law.and_then(|l| self.native_call(selfv, l, pre, args, base))
                            {
                                self.regs(base).set(*dst, v);
                                continue;
                            }
                        }
                        if self.frames.len() >= self.config.max_frames {
                            return Err(crate::eval::Crash::stack_exhausted());
                        }
                        if self.interrupted() {
                            return Err(crate::eval::Crash::interrupted());
                        }
                        let new_base = self.push_callee(callee, selfv, pre, args, base);
                        self.suspend(code, pc, base, *dst);
                        code = callee;
                        if self.profiling() {
                            self.profile_call(selfv, false, Some(selfv));
                        }
                        pc = 0;
                        base = new_base;
                        continue;
                    }
                    let other = self.call_other(f, args, base);
                    on_other!(other, *dst);
                }
                Instr::Op2 { dst, op, pin, a, b } => {
                    let regs = self.regs(base);
                    let (x, y) = (regs.arg(a), regs.arg(b));
                    let quick = small_op(*op, x, y).map(OpResult::Value);
                    match quick.unwrap_or_else(|| inline_op(self, *op, x, y)) {
                        OpResult::Value(v) => {
                            self.regs(base).set(*dst, v);
                            pc = next_after(code, pc, *dst, v);
                        }
                        OpResult::Lazy(v) => {
                            let v = v.deref();
                            if v.is_whnf_derefed() {
                                self.regs(base).set(*dst, v);
                            } else {
                                self.suspend(code, pc, base, *dst);
                                return Ok(State::Eval(v));
                            }
                        }
                        OpResult::Fallback => {
                            let pin = *pin;
                            self.suspend(code, pc, base, *dst);
                            return Ok(State::Apply(pin, Box::new([x, y])));
                        }
                    }
                }
                Instr::Op2Lazy { dst, op, pin, a, b } => {
                    let regs = self.regs(base);
                    let (x, y) = (regs.arg(a), regs.arg(b));
                    if let Some(v) = small_op(*op, x, y) {
                        regs.set(*dst, v);
                        continue;
                    }
                    let v = match inline_op(self, *op, x, y) {
                        OpResult::Value(v) | OpResult::Lazy(v) => v,
                        OpResult::Fallback => self.apply_lazy(*pin, &[x, y]),
                    };
                    self.regs(base).set(*dst, v);
                }
                Instr::JumpIfZero { src, target } => {
                    if nat_of_is_zero(self.regs(base).arg(src).deref()) {
                        pc = *target as usize;
                    }
                }
                Instr::JumpIfNotZero { src, target } => {
                    if self.regs(base).arg(src).deref().as_small() != Some(0) {
                        pc = *target as usize;
                    }
                }
                Instr::Jump { target } => pc = *target as usize,
                Instr::JumpUnlessWhnf { regs: rs, target } => {
                    let regs = self.regs(base);
                    if !rs.iter().all(|r| regs.get(*r).deref().is_whnf_derefed()) {
                        pc = *target as usize;
                    }
                }
                Instr::Switch {
                    src,
                    targets,
                    default,
                } => {
                    // `_Switch ix fb arms` is `if (gte ix (len arms)) fb (get arms ix)`, and in
                    // PLAN order anything that is not a nat is above every nat.
                    let v = self.regs(base).arg(src).deref();
                    let i = v.as_small().unwrap_or(u64::MAX);
                    pc = usize::try_from(i)
                        .ok()
                        .and_then(|i| targets.get(i))
                        .copied()
                        .unwrap_or(*default) as usize;
                }
                Instr::SwitchKeys {
                    src,
                    keys,
                    targets,
                    default,
                } => {
                    let v = self.regs(base).arg(src).deref();
                    pc = v
                        .as_small()
                        .and_then(|k| keys.iter().position(|&x| x == k))
                        .and_then(|i| targets.get(i))
                        .copied()
                        .unwrap_or(*default) as usize;
                }
                Instr::MkRow { dst, elems } => self.mk_row(base, *dst, elems),
                Instr::TailCall { f, args } => {
                    let f = self.regs(base).arg(f).deref();
                    // A known law or a closure that these arguments saturate replaces this
                    // activation (no frame grows); anything else goes through `apply`.
                    let (head, pre) = closure_parts(f);
                    let count = pre.len() + args.len();
                    if !self.interrupted() {
                        if let Some((callee, selfv, law)) = self.direct_target(head, count) {
                            if let Some(v) = self.native_call(selfv, law, pre, args, base) {
                                self.reg_stack.truncate(base);
                                return Ok(State::Ret(v));
                            }
                            // Build the callee's registers above this activation, then move
                            // them down over it.
                            let above = self.push_callee(callee, selfv, pre, args, base);
                            let len = callee.nregs as usize;
                            self.reg_stack.copy_within(above..above + len, base);
                            self.reg_stack.truncate(base + len);
                            if self.profiling() {
                                self.profile_call(selfv, false, Some(selfv));
                            }
                            code = callee;
                            pc = 0;
                            continue;
                        }
                    }
                    if let Some(v) = self.unsaturated(f, args, base) {
                        self.reg_stack.truncate(base);
                        resume_waiting!(v);
                        continue;
                    }
                    let xs = self.regs(base).args(args);
                    self.reg_stack.truncate(base);
                    return Ok(State::Apply(f, xs));
                }
                Instr::Return { src } => {
                    let v = self.regs(base).arg(src).deref();
                    self.reg_stack.truncate(base);
                    if v.is_whnf_derefed() {
                        // Fast path: hand a finished value straight to a waiting activation.
                        resume_waiting!(v);
                        continue;
                    }
                    // The result is a thunk: evaluate it in this activation's place.
                    match self.enter_thunk(v) {
                        Entered::Activation(c, b) => {
                            code = c;
                            pc = 0;
                            base = b;
                        }
                        Entered::Value(w) => {
                            resume_waiting!(w);
                        }
                        Entered::No => return Ok(State::Eval(v)),
                    }
                }
                Instr::Loop { args } => {
                    let regs = self.regs(base);
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
                    if self.profiling() {
                        let selfv = self.reg_stack[base];
                        self.profile_tick(Some(selfv));
                    }
                    // A self tail call is a fresh call of this law: once the law is native
                    // (each iteration counts as a call), the rest of the loop runs there.
                    if self.config.jit != crate::native::JitMode::Off {
                        if let Some(v) = self.native_loop(base, args.len()) {
                            self.reg_stack.truncate(base);
                            return Ok(State::Ret(v));
                        }
                    }
                    pc = 0;
                    if self.interrupted() {
                        return Err(crate::eval::Crash::interrupted());
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
