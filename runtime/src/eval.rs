//! The reference evaluator: graph reduction of PLAN with an explicit frame stack.
//!
//! Nothing here recurses on the Rust stack per PLAN call, so deep recursion in user programs
//! is limited only by [`crate::Config::max_frames`] (then a clean "stack exhausted" crash).
//! Thunks are updated in place and black-holed while running. The top of the loop is the only
//! place the collector runs; every live value is then in `Runtime::frames` or the state.

use std::rc::Rc;

use num_bigint::BigUint;

use crate::jets::{JetId, JetOut};
use crate::law::{self, Expr, LawCode};
use crate::nat;
use crate::runtime::Runtime;
use crate::value::{Kind, LawObj, ThunkState, Value};

/// Why an evaluation stopped without a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrashKind {
    /// A PLAN crash: a non-opcode nat was called, or an opcode got an impossible argument.
    Plan,
    /// A thunk demanded its own value.
    InfiniteLoop,
    /// The evaluator ran out of frames.
    StackExhausted,
    /// The evaluation was stopped from outside (a time limit, a signal).
    Interrupted,
    /// A jet refused to run (for example a hash mismatch under the strict policy).
    Jet(String),
    /// The heap needed more than its limit (in bytes) even after a collection.
    OutOfMemory(usize),
}

/// A crash carrying `(op, value)`.
#[derive(Clone, Debug)]
pub struct Crash {
    /// What kind of crash.
    pub kind: CrashKind,
    /// The crashing opcode (a nat).
    pub op: Value,
    /// The offending value (normal).
    pub arg: Value,
}

impl Crash {
    fn plan(op: Value, arg: Value) -> Crash {
        Crash {
            kind: CrashKind::Plan,
            op,
            arg,
        }
    }

    pub(crate) fn stack_exhausted() -> Crash {
        Crash::special(CrashKind::StackExhausted)
    }

    pub(crate) fn interrupted() -> Crash {
        Crash::special(CrashKind::Interrupted)
    }

    pub(crate) fn out_of_memory(limit: usize) -> Crash {
        Crash::special(CrashKind::OutOfMemory(limit))
    }

    fn special(kind: CrashKind) -> Crash {
        Crash {
            kind,
            op: Value::small(0),
            arg: Value::small(0),
        }
    }

    /// A human-readable account of the crash.
    pub fn describe(&self) -> String {
        match &self.kind {
            CrashKind::Plan => format!(
                "crash: op {} with argument {}",
                crate::print::show(self.op),
                crate::print::show_short(self.arg, 2000)
            ),
            CrashKind::InfiniteLoop => "crash: infinite loop (a value depends on itself)".into(),
            CrashKind::StackExhausted => "crash: stack exhausted (recursion too deep)".into(),
            CrashKind::Interrupted => "interrupted (time limit or signal)".into(),
            CrashKind::Jet(m) => format!("crash: {m}"),
            CrashKind::OutOfMemory(limit) => format!(
                "out of memory: the heap needs more than its limit of {} (raise it with \
                 --max-heap)",
                crate::heap::show_bytes(*limit)
            ),
        }
    }
}

/// How strictly a primitive wants each argument.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Strict {
    /// Not forced.
    Lazy,
    /// Forced to weak head normal form.
    Whnf,
    /// Forced to full normal form.
    Deep,
}

#[derive(Copy, Clone, Debug)]
pub(crate) enum Prim {
    Op(u64),
    /// A nat that is not an opcode: deep-force the argument, then crash.
    BadOp(Value),
    Jet(JetId, Value),
}

/// One frame of the evaluator's stack.
#[repr(u8)]
pub(crate) enum Frame {
    /// Write the returned value into this thunk (black-holed while it runs; a crash makes it
    /// pending again).
    Update { thunk: Value },
    /// Apply the returned function to these arguments.
    Apply(Box<[Value]>),
    /// Forcing the arguments of a primitive; `next` is the one being forced.
    Strict {
        prim: Prim,
        args: Vec<Value>,
        next: usize,
    },
    /// Normalising `top`: `(value, children_done)` pairs still to visit.
    Norm {
        top: Value,
        stack: Vec<(Value, bool)>,
    },
    /// A bytecode activation waiting for a value.
    Interp(crate::bytecode::interp::Activation),
    /// A comparison jet waiting for a value it needs (see [`crate::order::Comparison`]);
    /// `x` and `y` are the jet's arguments, `verdict` what it answers.
    Compare {
        cmp: Box<crate::order::Comparison>,
        verdict: crate::order::Verdict,
        x: Value,
        y: Value,
    },
}

impl Frame {
    fn values(&self, out: &mut Vec<Value>) {
        match self {
            Frame::Update { thunk } => out.push(*thunk),
            Frame::Apply(args) => out.extend_from_slice(args),
            Frame::Strict { prim, args, .. } => {
                if let Prim::Jet(_, p) | Prim::BadOp(p) = prim {
                    out.push(*p);
                }
                out.extend_from_slice(args);
            }
            Frame::Norm { top, stack } => {
                out.push(*top);
                out.extend(stack.iter().map(|(v, _)| *v));
            }
            // Its registers are on the register stack, which is scanned whole.
            Frame::Interp(_) => {}
            Frame::Compare { cmp, x, y, .. } => {
                out.push(*x);
                out.push(*y);
                cmp.values(out);
            }
        }
    }
}

pub(crate) enum State {
    Eval(Value),
    Ret(Value),
    /// Apply a (possibly unevaluated) function to arguments.
    Apply(Value, Box<[Value]>),
}

pub(crate) type Step = Result<State, Crash>;

fn op_strictness(op: u64) -> &'static [Strict] {
    use Strict::*;
    match op {
        0 => &[Whnf, Whnf, Deep],
        1 => &[Lazy, Lazy, Lazy, Lazy, Whnf],
        2 => &[Lazy, Lazy, Whnf],
        3 => &[Whnf],
        _ => &[Deep],
    }
}

impl Runtime {
    /// Evaluates a value to weak head normal form.
    pub fn whnf(&mut self, v: Value) -> Result<Value, Crash> {
        self.run(State::Eval(v))
    }

    /// Evaluates a value to full normal form (every thunk inside forced).
    pub fn normalize(&mut self, v: Value) -> Result<Value, Crash> {
        self.frames.push(Frame::Norm {
            top: v,
            stack: vec![(v, false)],
        });
        let base = self.frames.len() - 1;
        match self.norm_step() {
            Ok(st) => self.run_from(st, base),
            Err(c) => {
                self.unwind(base, &c);
                Err(c)
            }
        }
    }

    /// Applies `f` to `args` and evaluates the result to weak head normal form.
    pub fn call(&mut self, f: Value, args: &[Value]) -> Result<Value, Crash> {
        let t = self.heap.thunk(f, args);
        self.whnf(t)
    }

    /// Applies `f` to `args` and evaluates the result to full normal form.
    pub fn call_deep(&mut self, f: Value, args: &[Value]) -> Result<Value, Crash> {
        let t = self.heap.thunk(f, args);
        self.normalize(t)
    }

    fn run(&mut self, st: State) -> Result<Value, Crash> {
        let base = self.frames.len();
        self.run_from(st, base)
    }

    fn unwind(&mut self, base: usize, _c: &Crash) {
        while self.frames.len() > base {
            match self.frames.pop() {
                Some(Frame::Update { thunk }) => {
                    if let Some(t) = thunk.thunk() {
                        t.restore();
                    }
                }
                Some(Frame::Norm { stack, .. }) => {
                    for (v, post) in stack {
                        if post {
                            if let Some(o) = v.deref().obj() {
                                o.set_visiting(false);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn run_from(&mut self, st: State, base: usize) -> Result<Value, Crash> {
        let outer = std::mem::replace(&mut self.run_base, base);
        // An evaluation others wait on starts an epoch: its collections may free only what
        // it allocates.
        let epoch = if self.gc_allowed() {
            0
        } else {
            self.heap.new_epoch()
        };
        let mark = std::mem::replace(&mut self.run_watermark, epoch);
        let regs_height = self.reg_stack.len();
        let r = self.run_loop(st, base);
        // A crash leaves the registers of the activations it unwound (and of the one that
        // crashed); a finished evaluation has popped all of its own.
        debug_assert!(r.is_err() || self.reg_stack.len() == regs_height);
        self.reg_stack.truncate(regs_height);
        self.run_base = outer;
        self.run_watermark = mark;
        r
    }

    fn run_loop(&mut self, mut st: State, base: usize) -> Result<Value, Crash> {
        loop {
            let step = match st {
                State::Eval(v) => {
                    if self.heap.wants_gc() {
                        self.gc_at_safe_point(v);
                    }
                    if self.interrupted() {
                        let c = self.stop_crash();
                        self.unwind(base, &c);
                        return Err(c);
                    }
                    self.eval_step(v)
                }
                State::Ret(v) => {
                    if self.frames.len() == base {
                        return Ok(v);
                    }
                    // Returns from a chain of thunks (each the argument of a jet that
                    // allocates, as a tab built by inserts is) evaluate nothing: collect here
                    // too, or their garbage waits for the end of the chain.
                    if self.heap.wants_gc() {
                        self.gc_at_safe_point(v);
                    }
                    self.ret_step(v)
                }
                State::Apply(h, args) => {
                    // A chain of tail calls may never evaluate anything: look here too.
                    if self.interrupted() {
                        let c = self.stop_crash();
                        self.unwind(base, &c);
                        return Err(c);
                    }
                    let h = h.deref();
                    if h.is_whnf() {
                        self.apply(h, args)
                    } else {
                        self.frames.push(Frame::Apply(args));
                        Ok(State::Eval(h))
                    }
                }
            };
            match step {
                Ok(s) => st = s,
                Err(c) => {
                    self.unwind(base, &c);
                    return Err(c);
                }
            }
            if self.frames.len() > self.config.max_frames {
                let c = Crash::special(crate::eval::CrashKind::StackExhausted);
                self.unwind(base, &c);
                return Err(c);
            }
        }
    }

    /// Collects now, with the frame stack as roots (callers make sure every live value is
    /// in a frame, a registered root or the runtime's caches).
    pub(crate) fn gc_now(&mut self) {
        self.gc_at_safe_point(Value::small(0));
    }

    /// Collects at a safe point: everything, or, while the host holds values (see
    /// [`Runtime::inhibit_gc`]), only what the running evaluation allocated.
    fn gc_at_safe_point(&mut self, v: Value) {
        let young_from = if self.gc_allowed() {
            None
        } else if self.run_watermark == crate::heap::NO_COLLECTION {
            self.check_heap_limit();
            return;
        } else {
            Some(self.run_watermark)
        };
        let mut frames = vec![v];
        for f in &self.frames {
            f.values(&mut frames);
        }
        let groups: [(&'static str, &[Value]); 4] = [
            ("roots", &self.roots),
            ("row constructors", &self.cows),
            ("evaluation", &frames),
            ("interpreter registers", &self.reg_stack),
        ];
        self.heap.collect_groups(&groups, young_from);
        self.check_heap_limit();
    }

    fn eval_step(&mut self, v: Value) -> Step {
        let v = v.deref();
        if let Some(t) = v.thunk() {
            return match t.begin() {
                Some((h, args)) => {
                    self.frames.push(Frame::Update { thunk: v });
                    self.apply_start(h, args.into())
                }
                None => match t.state() {
                    ThunkState::Done(w) => Ok(State::Ret(w)),
                    _ => Err(Crash::special(CrashKind::InfiniteLoop)),
                },
            };
        }
        Ok(State::Ret(v))
    }

    fn ret_step(&mut self, v: Value) -> Step {
        match self.frames.pop() {
            None => Ok(State::Ret(v)),
            Some(Frame::Update { thunk }) => {
                if let Some(t) = thunk.thunk() {
                    self.heap.finish(t, v);
                }
                Ok(State::Ret(v))
            }
            Some(Frame::Apply(args)) => self.apply(v, args),
            Some(Frame::Strict {
                prim,
                mut args,
                next,
            }) => {
                args[next] = v;
                self.prim_continue(prim, args, next + 1)
            }
            Some(f @ Frame::Norm { .. }) => {
                self.frames.push(f);
                self.norm_step()
            }
            Some(Frame::Interp(act)) => self.interp_resume(act, v),
            // The value it needed is now evaluated in place; go on comparing.
            Some(Frame::Compare { cmp, verdict, x, y }) => self.compare_step(cmp, verdict, x, y),
        }
    }

    /// Runs a comparison jet's comparison as far as it goes; when it needs a value evaluated,
    /// waits for it in a [`Frame::Compare`].
    pub(crate) fn compare_step(
        &mut self,
        mut cmp: Box<crate::order::Comparison>,
        verdict: crate::order::Verdict,
        x: Value,
        y: Value,
    ) -> Step {
        use crate::order::Progress;
        let next = match cmp.run(crate::order::STEPS_PER_RUN) {
            Progress::Done(o) => return Ok(State::Ret(verdict.answer(o, x.deref(), y.deref()))),
            Progress::Need(v) => v,
            // Evaluating a nat goes through the top of the loop, which looks for interrupts
            // and due collections, and comes straight back here.
            Progress::Pause => Value::small(0),
        };
        if cmp.pending() > self.config.max_frames {
            return Err(Crash::stack_exhausted());
        }
        self.frames.push(Frame::Compare { cmp, verdict, x, y });
        Ok(State::Eval(next))
    }

    /// Starts evaluating `h args...`, where `h` may be unevaluated.
    fn apply_start(&mut self, h: Value, args: Box<[Value]>) -> Step {
        if args.is_empty() {
            return Ok(State::Eval(h));
        }
        Ok(State::Apply(h, args))
    }

    /// Applies a function in weak head normal form to arguments.
    fn apply(&mut self, h: Value, args: Box<[Value]>) -> Step {
        let h = h.deref();
        let (head, all): (Value, Vec<Value>) = match h.kind() {
            Some(Kind::App(a)) => (
                a.head,
                a.args().iter().chain(args.iter()).copied().collect(),
            ),
            _ => (h, args.into_vec()),
        };
        let ar = self.arity(head);
        let n = all.len() as u64;
        if n < ar {
            return Ok(State::Ret(self.partial(head, &all)));
        }
        if n > ar {
            let ar = ar as usize;
            let rest: Box<[Value]> = all[ar..].into();
            self.frames.push(Frame::Apply(rest));
            let mut first = all;
            first.truncate(ar);
            return self.exec(head, first);
        }
        self.exec(head, all)
    }

    /// Runs a saturated call of `f` (a nat, law or pin) with exactly its arity in arguments.
    fn exec(&mut self, f: Value, args: Vec<Value>) -> Step {
        if let Some(op) = f.as_small() {
            return self.prim_continue(
                if op <= 4 {
                    Prim::Op(op)
                } else {
                    Prim::BadOp(f)
                },
                args,
                0,
            );
        }
        match f.kind() {
            Some(Kind::Nat(_)) => self.prim_continue(Prim::BadOp(f), args, 0),
            Some(Kind::Law(l)) => self.exec_law(f, l, &args),
            Some(Kind::Pin(p)) => {
                if let Some(j) = self.native_jet_of(p) {
                    if self.profiling() {
                        self.profile_call(f, true, None);
                    }
                    return self.prim_continue(Prim::Jet(j, f), args, 0);
                }
                self.exec_pin_code(f, args)
            }
            _ => Err(Crash::special(CrashKind::Jet(
                "internal: bad function head".into(),
            ))),
        }
    }

    fn exec_pin_code(&mut self, pin: Value, args: Vec<Value>) -> Step {
        let Some(Kind::Pin(p)) = pin.kind() else {
            return Err(Crash::special(CrashKind::Jet("internal: not a pin".into())));
        };
        match p.item().kind() {
            Some(Kind::Law(l)) => self.exec_law(pin, l, &args),
            _ => Ok(State::Apply(p.item(), args.into())),
        }
    }

    fn exec_law(&mut self, selfv: Value, l: &'static LawObj, args: &[Value]) -> Step {
        if self.config.engine == crate::runtime::Engine::Bytecode {
            if let Some(v) = self.try_native(selfv, l, args) {
                return Ok(State::Ret(v));
            }
        }
        if self.profiling() {
            self.profile_call(selfv, false, Some(selfv));
        }
        if self.config.engine == crate::runtime::Engine::Bytecode {
            let bc = self.law_bytecode(l);
            return self.interp_start(bc, selfv, args);
        }
        let code: Rc<LawCode> = l
            .code
            .get_or_init(|| Rc::new(law::compile(l.arity, l.body)))
            .clone();
        let mut env: Vec<Value> = Vec::with_capacity(code.env_size());
        env.push(selfv);
        env.extend_from_slice(args);
        if !code.lets.is_empty() {
            let first = env.len();
            for e in code.lets.iter() {
                let room = match e {
                    Expr::Call(_, xs) => xs.len(),
                    _ => 0,
                };
                let t = self.heap.hole(room);
                env.push(t);
            }
            for (i, e) in code.lets.iter().enumerate() {
                let Some(slot) = env[first + i].thunk() else {
                    continue;
                };
                match e {
                    Expr::Ref(j) => {
                        let target = env[*j as usize];
                        self.heap.fill(slot, target, &[]);
                    }
                    Expr::Const(c) => self.heap.fill_done(slot, *c),
                    Expr::Call(h, xs) => {
                        let hv = self.inst(h, &env);
                        let xv: Vec<Value> = xs.iter().map(|x| self.inst(x, &env)).collect();
                        if hv.is_whnf() && (xv.len() as u64) < self.arity(hv) {
                            let p = self.partial(hv, &xv);
                            self.heap.fill_done(slot, p);
                        } else {
                            self.heap.fill(slot, hv, &xv);
                        }
                    }
                }
            }
        }
        match &code.body {
            Expr::Ref(j) => Ok(State::Eval(env[*j as usize])),
            Expr::Const(c) => Ok(State::Ret(*c)),
            Expr::Call(h, xs) => {
                let hv = self.inst(h, &env);
                let xv: Box<[Value]> = xs.iter().map(|x| self.inst(x, &env)).collect();
                self.apply_start(hv, xv)
            }
        }
    }

    /// A law's bytecode, compiled on first use.
    #[inline]
    pub(crate) fn law_bytecode<'a>(&self, l: &'a LawObj) -> &'a crate::bytecode::Bytecode {
        match l.bytecode.get() {
            Some(bc) => bc,
            None => self.compile_law_bytecode(l),
        }
    }

    /// Compiles a law's bytecode (first use).
    #[inline(never)]
    fn compile_law_bytecode<'a>(&self, l: &'a LawObj) -> &'a crate::bytecode::Bytecode {
        let started = std::time::Instant::now();
        let code = l
            .code
            .get_or_init(|| Rc::new(law::compile(l.arity, l.body)))
            .clone();
        let bc = Rc::new(crate::bytecode::compile(
            &code,
            &self.jets,
            self.config.jets,
        ));
        let bc = l.bytecode.get_or_init(|| bc);
        let s = &self.stats;
        s.laws_compiled.set(s.laws_compiled.get() + 1);
        s.compile_nanos
            .set(s.compile_nanos.get() + started.elapsed().as_nanos() as u64);
        bc
    }

    /// Builds the (lazy) value of an expression in an environment.
    fn inst(&mut self, e: &Expr, env: &[Value]) -> Value {
        match e {
            Expr::Ref(j) => env[*j as usize],
            Expr::Const(c) => *c,
            Expr::Call(h, xs) => stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                let hv = self.inst(h, env);
                let xv: Vec<Value> = xs.iter().map(|x| self.inst(x, env)).collect();
                self.apply_lazy(hv, &xv)
            }),
        }
    }

    fn strictness(&self, prim: Prim) -> &'static [Strict] {
        match prim {
            Prim::Op(op) => op_strictness(op),
            Prim::BadOp(_) => &[Strict::Deep],
            Prim::Jet(j, _) => self.jets.strictness(j),
        }
    }

    /// Forces the next strict argument of a primitive, or runs it when all are ready.
    fn prim_continue(&mut self, prim: Prim, args: Vec<Value>, from: usize) -> Step {
        let strict = self.strictness(prim);
        let mut i = from;
        while i < args.len() {
            let s = strict.get(i).copied().unwrap_or(Strict::Lazy);
            match s {
                Strict::Lazy => i += 1,
                Strict::Whnf => {
                    let a = args[i].deref();
                    if a.is_whnf() {
                        i += 1;
                        continue;
                    }
                    self.frames.push(Frame::Strict {
                        prim,
                        args,
                        next: i,
                    });
                    return Ok(State::Eval(a));
                }
                Strict::Deep => {
                    let a = args[i].deref();
                    if a.obj().is_none_or(|o| {
                        o.normal() || !matches!(o.kind(), Kind::App(_) | Kind::Thunk(_))
                    }) {
                        i += 1;
                        continue;
                    }
                    self.frames.push(Frame::Strict {
                        prim,
                        args,
                        next: i,
                    });
                    self.frames.push(Frame::Norm {
                        top: a,
                        stack: vec![(a, false)],
                    });
                    return self.norm_step();
                }
            }
        }
        self.prim_run(prim, args)
    }

    fn norm_step(&mut self) -> Step {
        let Some(Frame::Norm { top, mut stack }) = self.frames.pop() else {
            return Err(Crash::special(CrashKind::Jet(
                "internal: norm frame".into(),
            )));
        };
        while let Some(&(x, post)) = stack.last() {
            let x = x.deref();
            if post {
                stack.pop();
                if let Some(o) = x.obj() {
                    o.set_visiting(false);
                    if let Kind::App(a) = o.kind() {
                        for (i, arg) in a.args().iter().enumerate() {
                            let d = arg.deref();
                            if d != *arg {
                                self.heap.set_arg(a, i, d);
                            }
                        }
                    }
                    o.set_normal();
                }
                continue;
            }
            match x.obj().map(|o| (o, o.kind())) {
                Some((_, Kind::Thunk(_))) => {
                    self.frames.push(Frame::Norm { top, stack });
                    return Ok(State::Eval(x));
                }
                Some((o, Kind::App(a))) if !o.normal() => {
                    if o.visiting() {
                        // The value contains itself: its normal form is infinite.
                        for (v, post) in &stack {
                            if *post {
                                if let Some(o) = v.deref().obj() {
                                    o.set_visiting(false);
                                }
                            }
                        }
                        return Err(Crash::special(CrashKind::InfiniteLoop));
                    }
                    o.set_visiting(true);
                    stack.pop();
                    stack.push((x, true));
                    for &arg in a.args().iter().rev() {
                        stack.push((arg, false));
                    }
                }
                _ => {
                    stack.pop();
                }
            }
        }
        Ok(State::Ret(top.deref()))
    }

    fn prim_run(&mut self, prim: Prim, args: Vec<Value>) -> Step {
        match prim {
            Prim::Op(0) => {
                let name = args[0].deref();
                let name = if name.is_nat() { name } else { Value::small(0) };
                let arity = args[1].deref();
                let arity = if arity.is_nat() {
                    arity
                } else {
                    Value::small(0)
                };
                if arity.as_small() == Some(0) {
                    return Err(Crash::plan(Value::small(0), Value::small(0)));
                }
                Ok(State::Ret(self.law(name, arity, args[2])))
            }
            Prim::Op(1) => {
                let x = args[4].deref();
                let (p, l, a, n) = (args[0], args[1], args[2], args[3]);
                if x.is_small() {
                    return self.apply_start(n, Box::new([x]));
                }
                match x.kind() {
                    Some(Kind::Nat(_)) => self.apply_start(n, Box::new([x])),
                    Some(Kind::Pin(pin)) => self.apply_start(p, Box::new([pin.item()])),
                    Some(Kind::Law(law)) => {
                        self.apply_start(l, Box::new([law.name, law.arity_nat, law.body]))
                    }
                    Some(Kind::App(app)) => {
                        let xs = app.args();
                        let last = xs[xs.len() - 1];
                        let init = if xs.len() == 1 {
                            app.head
                        } else {
                            self.partial(app.head, &xs[..xs.len() - 1])
                        };
                        self.apply_start(a, Box::new([init, last]))
                    }
                    _ => Err(Crash::special(CrashKind::Jet("internal: op 1".into()))),
                }
            }
            Prim::Op(2) => {
                let k = args[2].deref();
                let (z, p) = (args[0], args[1]);
                if let Some(k) = k.as_small() {
                    if k == 0 {
                        return Ok(State::Eval(z));
                    }
                    return self.apply_start(p, Box::new([Value::small(k - 1)]));
                }
                match k.kind() {
                    Some(Kind::Nat(n)) => {
                        let m = self.nat_big(n - 1u32);
                        self.apply_start(p, Box::new([m]))
                    }
                    _ => Ok(State::Eval(z)),
                }
            }
            Prim::Op(3) => {
                let x = args[0].deref();
                let r = match x.as_small() {
                    Some(n) => self.nat_u64(n + 1),
                    None => match nat::as_big(x) {
                        Some(n) => self.nat_big(n.into_owned() + 1u32),
                        None => Value::small(1),
                    },
                };
                Ok(State::Ret(r))
            }
            Prim::Op(4) => match self.pin_checked(args[0]) {
                Ok(v) => Ok(State::Ret(v)),
                Err((_, msg)) => Err(Crash::special(CrashKind::Jet(msg))),
            },
            Prim::Op(op) => Err(Crash::plan(Value::small(op), args[0].deref())),
            Prim::BadOp(op) => Err(Crash::plan(op, args[0].deref())),
            Prim::Jet(j, pin) => {
                let out = self.run_jet(j, &args);
                self.jet_step(out, pin, args)
            }
        }
    }

    /// What the evaluator does next with a native jet's outcome (`pin` and `args` are the
    /// call, for running the PLAN code instead).
    pub(crate) fn jet_step(&mut self, out: JetOut, pin: Value, args: Vec<Value>) -> Step {
        match out {
            // A native that hands back something unevaluated gets it evaluated.
            JetOut::Ret(v) if v.deref().is_whnf() => Ok(State::Ret(v)),
            JetOut::Ret(v) | JetOut::Eval(v) => Ok(State::Eval(v)),
            JetOut::Apply(f, xs) => self.apply_start(f, xs.into()),
            JetOut::Crash(op, arg) => Err(Crash::plan(op, arg)),
            JetOut::Fail(c) => Err(c),
            JetOut::Fallback => self.exec_pin_code(pin, args),
            JetOut::Compare(cmp, verdict) => self.compare_step(cmp, verdict, args[0], args[1]),
        }
    }
}

/// `n - 1` for a positive bignum (helper kept for jets).
pub fn big_dec(n: &BigUint) -> BigUint {
    n - 1u32
}
