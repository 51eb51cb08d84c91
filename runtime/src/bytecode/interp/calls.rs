//! Calls from the interpreter: direct calls of laws, native code and native jets, partial
//! applications, and thunks evaluated in place.

use super::{Entered, JetCall, Other};
use crate::bytecode::{Arg, Bytecode};
use crate::eval::Frame;
use crate::runtime::Runtime;
use crate::value::{Kind, ThunkState, Value};

use super::regs::copy_values;

/// A function value split into its head and the arguments it already has (none unless it
/// is a closure).
#[inline]
pub(super) fn closure_parts(f: Value) -> (Value, &'static [Value]) {
    match f.kind() {
        Some(Kind::App(app)) => (app.head.deref(), app.args()),
        _ => (f, &[]),
    }
}

/// `pre` then `rest` in one buffer for native code, and how many they are; `None` when there
/// are more than native code takes.
#[inline]
fn native_buffer(
    pre: &[Value],
    rest: impl ExactSizeIterator<Item = Value>,
) -> Option<([Value; crate::native::MAX_NATIVE_ARGS], usize)> {
    let n = pre.len() + rest.len();
    if n > crate::native::MAX_NATIVE_ARGS {
        return None;
    }
    let mut vals = [Value::small(0); crate::native::MAX_NATIVE_ARGS];
    copy_values(&mut vals, pre);
    for (v, x) in vals[pre.len()..].iter_mut().zip(rest) {
        *v = x;
    }
    Some((vals, n))
}

impl Runtime {
    /// The bytecode and `self` value for a saturated call of `f` that can skip the generic
    /// application path: a law, or a pin of a law with no native jet in use.
    #[inline]
    pub(super) fn direct_target(
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
    pub(super) fn bytecode_law(&self, f: Value) -> Option<&'static crate::value::LawObj> {
        match f.obj()?.kind() {
            Kind::Law(l) => Some(l),
            Kind::Pin(p) => {
                if self.native_jet_of(p).is_some() {
                    return None;
                }
                match p.item().kind()? {
                    Kind::Law(l) => Some(l),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The value of a saturated call of a law that only builds a partial application (see
    /// [`crate::bytecode::Construct`]): `pre` are a closure's arguments, then the operands
    /// `args` read from the activation at `base`.
    #[inline]
    pub(super) fn construct(
        &mut self,
        c: &crate::bytecode::Construct,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> Value {
        let regs = self.regs(base);
        let param = |i: u32| match (i as usize - 1).checked_sub(pre.len()) {
            None => pre[i as usize - 1],
            Some(k) => regs.arg(&args[k]),
        };
        let mut xs = [Value::small(0); crate::bytecode::MAX_CONSTRUCT];
        for (x, a) in xs.iter_mut().zip(c.args.iter()) {
            *x = match *a {
                Arg::Const(v) => v,
                Arg::Reg(i) => param(i),
            };
        }
        self.heap.app(c.head, &xs[..c.args.len()])
    }

    /// The native jet to run for a saturated call of `f` with `nargs` arguments, if `f` is a
    /// pin with one (and jets are on).
    #[inline]
    pub(super) fn native_jet(&self, f: Value, nargs: usize) -> Option<crate::jets::JetId> {
        let Some(Kind::Pin(p)) = f.obj().map(|o| o.kind()) else {
            return None;
        };
        let j = self.native_jet_of(p)?;
        (p.arity() == nargs as u64).then_some(j)
    }

    /// Runs the native jet `j` of the pin `pin` on the operands `args` when every argument it
    /// is strict in is already evaluated as far as it needs (so no evaluation has to happen
    /// first). When an argument in a register still has to be evaluated, says which.
    pub(super) fn try_jet(
        &mut self,
        j: crate::jets::JetId,
        pin: Value,
        args: &[Arg],
        base: usize,
    ) -> JetCall {
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
                    o.normal() || !matches!(o.kind(), Kind::App(_) | Kind::Thunk(_))
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
    pub(super) fn call_other(&mut self, f: Value, args: &[Arg], base: usize) -> Other {
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
    pub(super) fn unsaturated(&mut self, f: Value, args: &[Arg], base: usize) -> Option<Value> {
        if !f.is_whnf_derefed() || args.len() as u64 >= self.arity(f) {
            return None;
        }
        let xs = self.regs(base).values(args);
        Some(self.partial(f, &xs))
    }

    /// Runs a saturated call natively when the JIT is on and the law is (or now becomes)
    /// native: `pre` are a closure's arguments, `args` the call's operands read from `base`.
    #[inline(always)]
    pub(super) fn native_call(
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
    pub(super) fn native_args(
        &mut self,
        pre: &[Value],
        args: &[Arg],
        base: usize,
    ) -> Option<([Value; crate::native::MAX_NATIVE_ARGS], usize)> {
        let regs = self.regs(base);
        native_buffer(pre, args.iter().map(|a| regs.arg(a)))
    }

    /// Evaluates the unfinished thunk `t` without leaving the interpreter when it is a
    /// saturated call of a law: like the evaluator, it black-holes the thunk and pushes an
    /// update frame, then starts the law's activation (or runs it natively).
    pub(super) fn enter_thunk(&mut self, t: Value) -> Entered {
        let Some(cell) = t.thunk() else {
            return Entered::No;
        };
        let ThunkState::Pending(h, args) = cell.state() else {
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
        if crate::native::may_go_native(self.config.jit, law) {
            if let Some((vals, n)) = native_buffer(pre, args.iter().copied()) {
                if let Some(v) = self.try_native(selfv, law, &vals[..n]) {
                    self.heap.finish(cell, v);
                    return Entered::Value(v);
                }
            }
        }
        if !self.room_for(callee) {
            // The evaluator takes it, and crashes cleanly when it runs the law.
            return Entered::No;
        }
        let Some((_, args)) = cell.begin() else {
            unreachable!("the state was just seen pending")
        };
        let base = self.push_callee_values(callee, selfv, pre, args);
        self.push_frame(Frame::Update { thunk: t });
        if self.profiling() {
            self.profile_call(selfv, false, Some(selfv));
        }
        Entered::Activation(callee, base)
    }

    /// Runs the rest of a self loop natively if this law is (or now becomes) native: the
    /// activation at `base` holds `self` and the new arguments.
    pub(super) fn native_loop(&mut self, base: usize, nargs: usize) -> Option<Value> {
        let selfv = self.reg_stack[base].deref();
        let law = crate::native::law_of(selfv)?;
        if !crate::native::may_go_native(self.config.jit, law) {
            return None;
        }
        let (vals, n) =
            native_buffer(&[], self.reg_stack[base + 1..=base + nargs].iter().copied())?;
        self.try_native(selfv, law, &vals[..n])
    }
}
