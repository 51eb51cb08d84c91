//! The bytecode interpreter. It runs inside the evaluator's frame machine: when an
//! instruction needs a value evaluated, the activation is saved as a frame and the machine
//! evaluates; the result comes back into the destination register and execution resumes.

use std::rc::Rc;

use super::{Arg, BinOp, Bytecode, Instr, Reg};
use crate::datajet;
use crate::eval::{Frame, State, Step};
use crate::runtime::Runtime;
use crate::value::{Kind, Thunk, Value};

/// A suspended activation.
pub(crate) struct Activation {
    pub code: Rc<Bytecode>,
    pub pc: usize,
    pub regs: Vec<Value>,
    pub dst: Reg,
}

#[inline]
fn get(regs: &[Value], a: &Arg) -> Value {
    match a {
        Arg::Reg(r) => regs[*r as usize],
        Arg::Const(c) => *c,
    }
}

fn args_of(regs: &[Value], xs: &[Arg]) -> Box<[Value]> {
    xs.iter().map(|a| get(regs, a)).collect()
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

fn inline_op(rt: &mut Runtime, op: BinOp, a: Value, b: Value) -> OpResult {
    let (row, idx) = match op {
        BinOp::Get => (a, b),
        BinOp::Idx => (b, a),
        _ => {
            let (Some(x), Some(y)) = (small_nat(a), small_nat(b)) else {
                return OpResult::Fallback;
            };
            let bit = |c: bool| OpResult::Value(Value::small(c as u64));
            return match op {
                BinOp::Add => OpResult::Value(match x.checked_add(y) {
                    Some(s) => rt.nat_u64(s),
                    None => return OpResult::Fallback,
                }),
                BinOp::Sub => OpResult::Value(Value::small(x.saturating_sub(y))),
                BinOp::Mul => match x.checked_mul(y) {
                    Some(p) => OpResult::Value(rt.nat_u64(p)),
                    None => OpResult::Fallback,
                },
                BinOp::Div => OpResult::Value(Value::small(x.checked_div(y).unwrap_or(0))),
                BinOp::Mod => OpResult::Value(Value::small(x.checked_rem(y).unwrap_or(x))),
                BinOp::Eql => bit(x == y),
                BinOp::Neq => bit(x != y),
                BinOp::Lth => bit(x < y),
                BinOp::Lte => bit(x <= y),
                BinOp::Gth => bit(x > y),
                BinOp::Gte => bit(x >= y),
                BinOp::Get | BinOp::Idx => OpResult::Fallback,
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

impl Runtime {
    /// Starts running a law's bytecode with `selfv` and `args` (exactly its arity).
    pub(crate) fn interp_start(
        &mut self,
        code: Rc<Bytecode>,
        selfv: Value,
        args: &[Value],
    ) -> Step {
        let mut regs = self.fresh_regs(code.nregs as usize);
        regs[0] = selfv;
        regs[1..=args.len()].copy_from_slice(args);
        self.interp_run(code, 0, regs)
    }

    /// Resumes a suspended activation with the value it was waiting for.
    pub(crate) fn interp_resume(&mut self, mut act: Activation, v: Value) -> Step {
        act.regs[act.dst as usize] = v;
        self.interp_run(act.code, act.pc, act.regs)
    }

    /// The bytecode and `self` value for a saturated call of `f` that can skip the generic
    /// application path: a law, or a pin of a law with no native jet in use.
    fn direct_target(
        &mut self,
        f: Value,
        nargs: usize,
    ) -> Option<(Rc<Bytecode>, Value, &'static crate::value::LawObj)> {
        let law = match f.kind()? {
            Kind::Law(l) => l,
            Kind::Pin(p) => {
                if self.config.jets {
                    if let Some(j) = p.jet.get() {
                        if self.jets.entry(j).native.is_some() {
                            return None;
                        }
                    }
                }
                match p.item.kind()? {
                    Kind::Law(l) => l,
                    _ => return None,
                }
            }
            _ => return None,
        };
        if law.arity != nargs as u64 {
            return None;
        }
        Some((self.law_bytecode(law), f, law))
    }

    /// Runs a saturated call natively when the JIT is on and the law is (or now becomes)
    /// native: `pre` are a closure's arguments, `args` the call's operands.
    fn native_call(
        &mut self,
        selfv: Value,
        law: &crate::value::LawObj,
        pre: &[Value],
        args: &[Arg],
        regs: &[Value],
    ) -> Option<Value> {
        let n = pre.len() + args.len();
        if self.config.jit == crate::native::JitMode::Off || n > crate::native::MAX_NATIVE_ARGS {
            return None;
        }
        let mut vals = [Value::small(0); crate::native::MAX_NATIVE_ARGS];
        vals[..pre.len()].copy_from_slice(pre);
        for (v, a) in vals[pre.len()..].iter_mut().zip(args.iter()) {
            *v = get(regs, a);
        }
        self.try_native(selfv, law, &vals[..n])
    }

    /// The registers of a new activation of `callee`: self, a closure's arguments `pre`, then
    /// the call's operands.
    fn callee_regs(
        &mut self,
        callee: &Bytecode,
        selfv: Value,
        pre: &[Value],
        args: &[Arg],
        regs: &[Value],
    ) -> Vec<Value> {
        let mut new_regs = self.fresh_regs(callee.nregs as usize);
        new_regs[0] = selfv;
        new_regs[1..=pre.len()].copy_from_slice(pre);
        for (i, a) in args.iter().enumerate() {
            new_regs[pre.len() + i + 1] = get(regs, a);
        }
        new_regs
    }

    /// Runs the rest of a self loop natively if this law is (or now becomes) native: `regs`
    /// holds `self` and the new arguments.
    fn native_loop(&mut self, regs: &[Value], nargs: usize) -> Option<Value> {
        let selfv = regs[0].deref();
        let law = crate::native::law_of(selfv)?;
        self.try_native(selfv, law, &regs[1..=nargs])
    }

    fn fresh_regs(&mut self, n: usize) -> Vec<Value> {
        let mut r = self.reg_pool.pop().unwrap_or_default();
        r.clear();
        r.resize(n, Value::small(0));
        r
    }

    fn recycle(&mut self, regs: Vec<Value>) {
        if self.reg_pool.len() < 256 {
            self.reg_pool.push(regs);
        }
    }

    fn suspend(&mut self, code: Rc<Bytecode>, pc: usize, regs: Vec<Value>, dst: Reg) {
        self.frames.push(Frame::Interp(Activation {
            code,
            pc,
            regs,
            dst,
        }));
    }

    fn interp_run(&mut self, mut code: Rc<Bytecode>, mut pc: usize, mut regs: Vec<Value>) -> Step {
        loop {
            let Some(ins) = code.code.get(pc) else {
                return Ok(State::Ret(Value::small(0)));
            };
            pc += 1;
            match ins {
                Instr::Move { dst, src } => regs[*dst as usize] = get(&regs, src),
                Instr::Lazy { dst, f, args } => {
                    let f = get(&regs, f);
                    let xs = args_of(&regs, args);
                    regs[*dst as usize] = self.apply_lazy(f, &xs);
                }
                Instr::Holes { first, n } => {
                    for r in *first..*first + *n {
                        regs[r as usize] = self.heap.thunk(Value::small(0), Box::new([]));
                    }
                }
                Instr::Fill { hole, f, args } => {
                    let f = get(&regs, f);
                    let xs = args_of(&regs, args);
                    let state =
                        if !xs.is_empty() && f.is_whnf() && (xs.len() as u64) < self.arity(f) {
                            Thunk::Done(self.partial(f, &xs))
                        } else {
                            Thunk::Pending(f, xs)
                        };
                    if let Some(Kind::Thunk(t)) = regs[*hole as usize].kind() {
                        t.set(state);
                    }
                }
                Instr::Force { dst, src } => {
                    let v = get(&regs, src).deref();
                    if v.is_whnf() {
                        regs[*dst as usize] = v;
                    } else {
                        self.suspend(code.clone(), pc, regs, *dst);
                        return Ok(State::Eval(v));
                    }
                }
                Instr::Call { dst, f, args } => {
                    let f = get(&regs, f).deref();
                    // A closure (a law partly applied) that these arguments saturate is called
                    // as directly as the law itself: its arguments come first.
                    let (head, pre) = closure_parts(f);
                    if let Some((callee, selfv, law)) =
                        self.direct_target(head, pre.len() + args.len())
                    {
                        if let Some(v) = self.native_call(selfv, law, pre, args, &regs) {
                            regs[*dst as usize] = v;
                            continue;
                        }
                        let new_regs = self.callee_regs(&callee, selfv, pre, args, &regs);
                        if self.frames.len() >= self.config.max_frames {
                            return Err(crate::eval::Crash::stack_exhausted());
                        }
                        if self.interrupted() {
                            return Err(crate::eval::Crash::interrupted());
                        }
                        self.suspend(code.clone(), pc, regs, *dst);
                        if self.profiling() {
                            self.profile_call(selfv, false, Some(selfv));
                        }
                        code = callee;
                        pc = 0;
                        regs = new_regs;
                        continue;
                    }
                    let xs = args_of(&regs, args);
                    self.suspend(code.clone(), pc, regs, *dst);
                    return Ok(State::Apply(f, xs));
                }
                Instr::Op2 { dst, op, pin, a, b } => {
                    let (x, y) = (get(&regs, a), get(&regs, b));
                    match inline_op(self, *op, x, y) {
                        OpResult::Value(v) => regs[*dst as usize] = v,
                        OpResult::Lazy(v) => {
                            let v = v.deref();
                            if v.is_whnf() {
                                regs[*dst as usize] = v;
                            } else {
                                self.suspend(code.clone(), pc, regs, *dst);
                                return Ok(State::Eval(v));
                            }
                        }
                        OpResult::Fallback => {
                            let pin = *pin;
                            self.suspend(code.clone(), pc, regs, *dst);
                            return Ok(State::Apply(pin, Box::new([x, y])));
                        }
                    }
                }
                Instr::Op2Lazy { dst, op, pin, a, b } => {
                    let (x, y) = (get(&regs, a), get(&regs, b));
                    regs[*dst as usize] = match inline_op(self, *op, x, y) {
                        OpResult::Value(v) | OpResult::Lazy(v) => v,
                        OpResult::Fallback => self.apply_lazy(*pin, &[x, y]),
                    };
                }
                Instr::JumpIfZero { src, target } => {
                    let v = get(&regs, src).deref();
                    let zero = match v.as_small() {
                        Some(n) => n == 0,
                        None => !matches!(v.kind(), Some(Kind::Nat(_))),
                    };
                    if zero {
                        pc = *target as usize;
                    }
                }
                Instr::JumpIfNotZero { src, target } => {
                    if get(&regs, src).deref().as_small() != Some(0) {
                        pc = *target as usize;
                    }
                }
                Instr::Jump { target } => pc = *target as usize,
                Instr::Switch {
                    src,
                    targets,
                    default,
                } => {
                    // `_Switch ix fb arms` is `if (gte ix (len arms)) fb (get arms ix)`, and in
                    // PLAN order anything that is not a nat is above every nat.
                    let v = get(&regs, src).deref();
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
                    let v = get(&regs, src).deref();
                    pc = v
                        .as_small()
                        .and_then(|k| keys.iter().position(|&x| x == k))
                        .and_then(|i| targets.get(i))
                        .copied()
                        .unwrap_or(*default) as usize;
                }
                Instr::MkRow { dst, elems } => {
                    let xs = args_of(&regs, elems);
                    regs[*dst as usize] = self.row(&xs);
                }
                Instr::TailCall { f, args } => {
                    let f = get(&regs, f).deref();
                    // A known law or a closure that these arguments saturate replaces this
                    // activation (no frame grows); anything else goes through `apply`.
                    let (head, pre) = closure_parts(f);
                    let n = pre.len() + args.len();
                    if !self.interrupted() {
                        if let Some((callee, selfv, law)) = self.direct_target(head, n) {
                            if let Some(v) = self.native_call(selfv, law, pre, args, &regs) {
                                self.recycle(regs);
                                return Ok(State::Ret(v));
                            }
                            let new_regs = self.callee_regs(&callee, selfv, pre, args, &regs);
                            self.recycle(std::mem::replace(&mut regs, new_regs));
                            if self.profiling() {
                                self.profile_call(selfv, false, Some(selfv));
                            }
                            code = callee;
                            pc = 0;
                            continue;
                        }
                    }
                    let xs = args_of(&regs, args);
                    self.recycle(regs);
                    return Ok(State::Apply(f, xs));
                }
                Instr::Return { src } => {
                    let v = get(&regs, src).deref();
                    self.recycle(regs);
                    // Fast path: hand a finished value straight to a waiting activation.
                    if v.is_whnf() && self.frames.len() > self.run_base {
                        if let Some(Frame::Interp(_)) = self.frames.last() {
                            if let Some(Frame::Interp(act)) = self.frames.pop() {
                                code = act.code;
                                pc = act.pc;
                                regs = act.regs;
                                regs[act.dst as usize] = v;
                                continue;
                            }
                        }
                    }
                    return Ok(State::Eval(v));
                }
                Instr::Loop { args } => {
                    // The new arguments are all read before any is written.
                    match &args[..] {
                        [a] => regs[1] = get(&regs, a),
                        [a, b] => {
                            let (x, y) = (get(&regs, a), get(&regs, b));
                            regs[1] = x;
                            regs[2] = y;
                        }
                        _ => {
                            let mut xs = std::mem::take(&mut self.scratch);
                            xs.clear();
                            xs.extend(args.iter().map(|a| get(&regs, a)));
                            regs[1..=xs.len()].copy_from_slice(&xs);
                            self.scratch = xs;
                        }
                    }
                    if self.profiling() {
                        self.profile_tick(Some(regs[0]));
                    }
                    // A self tail call is a fresh call of this law: once the law is native
                    // (each iteration counts as a call), the rest of the loop runs there.
                    if self.config.jit != crate::native::JitMode::Off {
                        if let Some(v) = self.native_loop(&regs, args.len()) {
                            self.recycle(regs);
                            return Ok(State::Ret(v));
                        }
                    }
                    pc = 0;
                    if self.interrupted() {
                        return Err(crate::eval::Crash::interrupted());
                    }
                    if self.heap.wants_gc() {
                        self.suspend(code.clone(), 0, regs, 0);
                        self.gc_now();
                        match self.frames.pop() {
                            Some(Frame::Interp(a)) => regs = a.regs,
                            _ => unreachable!("the activation pushed just above"),
                        }
                    }
                }
            }
        }
    }
}
