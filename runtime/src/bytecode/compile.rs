//! Compiling a law body ([`LawCode`]) to [`Bytecode`].
//!
//! - Let bindings not reachable from the result are dropped; bindings that are constants or
//!   aliases of arguments cost nothing; bindings used exactly once outside any cycle are
//!   substituted at their use. Bindings in a cycle (a recursive component) become letrec
//!   placeholders filled at entry. The other bindings are sunk to their first use on each
//!   path: built there (as a thunk, or computed directly when that use is strict), and
//!   forgotten again at the end of a branch arm, so a binding used only in one arm of an
//!   `_If` costs nothing on the other.
//! - Expressions are compiled in three modes: *tail* (the law's result), *strict* (a value
//!   that is certainly demanded, e.g. the condition of `_If` in a strict position), and *lazy*
//!   (everything else: thunks). Strictness only flows where the PLAN code itself would force.
//! - `_If`, `_Ifz` and `_Seq` (recognised by hash through the jet table) become jumps;
//!   `_Add`, `_Sub`, `_Mul`, comparisons, `_Get` and `_Idx` become inline operations; a
//!   saturated self call in tail position becomes a loop.

use crate::jets::JetTable;
use crate::law::{Expr, LawCode};
use crate::value::{Kind, Value};

use super::{Arg, BinOp, Bytecode, Instr, Reg};

/// What a let binding became.
#[derive(Clone)]
enum LetPlan {
    /// Not reachable from the result.
    Dropped,
    /// Replaced by an operand (a constant or an argument register).
    Alias(Arg),
    /// Substituted at its single use.
    Inline,
    /// A letrec placeholder in this register.
    Slot(Reg),
    /// Not built yet on this path: built at its first use.
    Pending,
}

struct Cx<'a> {
    code: &'a LawCode,
    jets: &'a JetTable,
    use_jets: bool,
    arity: u32,
    out: Vec<Instr>,
    next_reg: Reg,
    plans: Vec<LetPlan>,
    /// Registers known to hold a value in weak head normal form on the current path.
    whnf: Vec<bool>,
}

/// A control or inline jet recognised in head position.
enum Known {
    If,
    Ifz,
    Seq,
    Switch,
    TabSwitch,
    Op(BinOp, Value),
    /// `_Not`, `_Bit`, `_And`, `_Or`: tests of truth, compiled as jumps (`_And` and `_Or`
    /// evaluate their second argument only when the first does not decide).
    Truth(Truth),
    Other,
}

/// The boolean jets compiled as control flow (their PLAN code is `_If` on the arguments).
#[derive(Clone, Copy)]
enum Truth {
    Not,
    Bit,
    And,
    Or,
}

fn refs(e: &Expr, out: &mut Vec<u32>) {
    let mut work = vec![e];
    while let Some(e) = work.pop() {
        match e {
            Expr::Ref(i) => out.push(*i),
            Expr::Const(_) => {}
            Expr::Call(h, xs) => {
                work.extend(xs.iter().rev());
                work.push(h);
            }
        }
    }
}

/// The element expressions (index order) of a row literal `(cow_n x_{n-1} ... x_0)` or a
/// constant row.
fn row_literal(e: &Expr) -> Option<Vec<Expr>> {
    match e {
        Expr::Call(h, xs) => match &**h {
            Expr::Const(c) => match c.deref().kind() {
                Some(Kind::Law(l)) if l.shape == crate::value::LawShape::Cow(xs.len() as u64) => {
                    Some(xs.iter().rev().cloned().collect())
                }
                _ => None,
            },
            _ => None,
        },
        Expr::Const(c) => {
            crate::datajet::row_elems(*c).map(|es| es.into_iter().map(Expr::Const).collect())
        }
        _ => None,
    }
}

/// The keys (all small nats) and value expressions of a tab literal `(set row)` or a
/// constant tab.
fn tab_literal(e: &Expr) -> Option<(Vec<u64>, Vec<Expr>)> {
    let (keys, vals) = match e {
        Expr::Call(h, xs) => {
            let (Expr::Const(set), [vals]) = (&**h, xs.as_slice()) else {
                return None;
            };
            (crate::datajet::set_keys(*set)?, row_literal(vals)?)
        }
        Expr::Const(t) => {
            let (k, v) = crate::datajet::tab_parts(*t)?;
            (k, v.into_iter().map(Expr::Const).collect())
        }
        _ => return None,
    };
    let keys: Option<Vec<u64>> = keys.iter().map(|k| k.as_small()).collect();
    let keys = keys?;
    (keys.len() == vals.len()).then_some((keys, vals))
}

/// Compiles a law body. `use_jets` enables recognising jets (off under `--no-jets`).
pub fn compile(code: &LawCode, jets: &JetTable, use_jets: bool) -> Bytecode {
    let inlined = if use_jets {
        super::inline::inline_tiny_laws(code)
    } else {
        None
    };
    let code = inlined.as_ref().unwrap_or(code);
    let arity = code.arity as u32;
    let k = code.lets.len();
    let first_let = arity + 1;
    let mut cx = Cx {
        code,
        jets,
        use_jets,
        arity,
        out: Vec::new(),
        next_reg: first_let,
        plans: vec![LetPlan::Dropped; k],
        // `self` (register 0) is a law or a pin.
        whnf: vec![true],
    };
    cx.plan_lets();
    let body = &code.body;
    cx.tail(body);
    cx.out = super::copies::propagate_copies(std::mem::take(&mut cx.out), arity);
    cx.out = super::strict::strict_loop_args(std::mem::take(&mut cx.out), arity);
    // Falling off the end returns 0; an explicit last instruction lets the interpreter fetch
    // instructions without checking the index (every jump target is at most this one).
    let end = cx.out.len() as u32;
    // Checked in every build: the interpreter relies on it.
    assert!(
        cx.out
            .iter()
            .all(|i| super::flow::jump_targets(i).iter().all(|&t| t <= end)),
        "bytecode compiler: a jump past the end"
    );
    cx.out.push(Instr::Return {
        src: Arg::Const(Value::small(0)),
    });
    let nregs = super::regalloc::allocate(&mut cx.out, arity, cx.next_reg);
    let constants = super::run_form::constants_to_registers(&mut cx.out, nregs);
    super::run_form::mark_self_calls(&mut cx.out, arity);
    super::run_form::specialise_ops(&mut cx.out);
    super::run_form::fuse_force_ifz(&mut cx.out);
    let construct = super::Construct::of(code);
    Bytecode::new(arity, cx.out, nregs, constants, construct)
}

impl Cx<'_> {
    fn let_index(&self, r: u32) -> Option<usize> {
        if r > self.arity {
            Some((r - self.arity - 1) as usize)
        } else {
            None
        }
    }

    fn temp(&mut self) -> Reg {
        let r = self.next_reg;
        self.next_reg += 1;
        r
    }

    /// Decides what each let binding becomes and emits the placeholders and fills.
    fn plan_lets(&mut self) {
        let k = self.code.lets.len();
        if k == 0 {
            return;
        }
        // Reachability and use counts from the result.
        let mut uses = vec![0usize; k];
        let mut reached = vec![false; k];
        let mut stack = Vec::new();
        refs(&self.code.body, &mut stack);
        while let Some(r) = stack.pop() {
            if let Some(i) = self.let_index(r) {
                uses[i] += 1;
                if !reached[i] {
                    reached[i] = true;
                    refs(&self.code.lets[i], &mut stack);
                }
            }
        }
        // A binding is in a cycle if it can reach itself.
        let cyclic: Vec<bool> = (0..k).map(|i| reached[i] && self.reaches(i, i)).collect();
        for i in 0..k {
            if !reached[i] {
                continue;
            }
            self.plans[i] = match &self.code.lets[i] {
                Expr::Const(c) => LetPlan::Alias(Arg::Const(*c)),
                Expr::Ref(j) if *j <= self.arity => LetPlan::Alias(Arg::Reg(*j)),
                _ if uses[i] == 1 && !cyclic[i] => LetPlan::Inline,
                _ if !cyclic[i] => LetPlan::Pending,
                _ => LetPlan::Slot(0),
            };
        }
        // Allocate registers for the slots, then fill them in binding order.
        let mut slots = Vec::new();
        for i in 0..k {
            if let LetPlan::Slot(_) = self.plans[i] {
                let r = self.temp();
                self.plans[i] = LetPlan::Slot(r);
                slots.push((i, r));
            }
        }
        for &(i, r) in &slots {
            let room = match &self.code.lets[i] {
                Expr::Call(_, xs) => xs.len() as u32,
                _ => 0,
            };
            self.out.push(Instr::Holes {
                first: r,
                n: 1,
                room,
            });
        }
        for (i, r) in slots {
            let e = &self.code.lets[i];
            match e {
                Expr::Call(h, xs) => {
                    let f = self.lazy(h);
                    let args: Box<[Arg]> = xs.iter().map(|x| self.lazy(x)).collect();
                    self.out.push(Instr::Fill { hole: r, f, args });
                }
                other => {
                    let f = self.lazy(other);
                    self.out.push(Instr::Fill {
                        hole: r,
                        f,
                        args: Box::new([]),
                    });
                }
            }
        }
    }

    fn reaches(&self, from: usize, target: usize) -> bool {
        let k = self.code.lets.len();
        let mut seen = vec![false; k];
        let mut stack = Vec::new();
        refs(&self.code.lets[from], &mut stack);
        while let Some(r) = stack.pop() {
            if let Some(i) = self.let_index(r) {
                if i == target {
                    return true;
                }
                if i < k && !seen[i] {
                    seen[i] = true;
                    refs(&self.code.lets[i], &mut stack);
                }
            }
        }
        false
    }

    /// The let binding a reference is substituted by, if it is an inlined one.
    fn inlined(&self, r: u32) -> Option<&Expr> {
        let i = self.let_index(r)?;
        match self.plans.get(i)? {
            LetPlan::Inline => self.code.lets.get(i),
            _ => None,
        }
    }

    /// The pending binding a reference names, if any.
    fn pending(&self, r: u32) -> Option<usize> {
        let i = self.let_index(r)?;
        matches!(self.plans.get(i)?, LetPlan::Pending).then_some(i)
    }

    /// Builds a pending binding as a lazy value here; later uses on this path share it.
    fn build_lazily(&mut self, i: usize) -> Arg {
        let e = self.code.lets[i].clone();
        let a = self.lazy(&e);
        self.plans[i] = LetPlan::Alias(a);
        a
    }

    /// Runs `arm` (code on one branch of a jump), then forgets the bindings it built: other
    /// paths, and the code after a join, have not built them.
    fn branch(&mut self, arm: impl FnOnce(&mut Self)) {
        let (plans, whnf) = (self.plans.clone(), self.whnf.clone());
        arm(self);
        self.plans = plans;
        self.whnf = whnf;
    }

    fn is_whnf(&self, r: Reg) -> bool {
        self.whnf.get(r as usize).copied().unwrap_or(false)
    }

    fn mark_whnf(&mut self, r: Reg) {
        let i = r as usize;
        if self.whnf.len() <= i {
            self.whnf.resize(i + 1, false);
        }
        self.whnf[i] = true;
    }

    /// Emits code for a value of `e` that is certainly demanded and returns where it is: a
    /// constant, a register already known to be evaluated, a register forced in place (the
    /// same value, evaluated, so later uses on this path need no force), or a new one.
    fn strict_operand(&mut self, e: &Expr) -> Arg {
        match e {
            Expr::Const(c) => return Arg::Const(*c),
            Expr::Ref(r) if self.inlined(*r).is_none() && self.pending(*r).is_none() => {
                match self.operand(*r) {
                    Arg::Const(c) => return Arg::Const(c),
                    Arg::Reg(x) => {
                        if !self.is_whnf(x) {
                            self.out.push(Instr::Force {
                                dst: x,
                                src: Arg::Reg(x),
                            });
                            self.mark_whnf(x);
                        }
                        return Arg::Reg(x);
                    }
                }
            }
            _ => {}
        }
        let t = self.temp();
        self.strict(e, t);
        self.mark_whnf(t);
        Arg::Reg(t)
    }

    fn operand(&mut self, r: u32) -> Arg {
        if let Some(i) = self.pending(r) {
            return self.build_lazily(i);
        }
        match self.let_index(r).and_then(|i| self.plans.get(i)) {
            Some(LetPlan::Alias(a)) => *a,
            Some(LetPlan::Slot(s)) => Arg::Reg(*s),
            // Dropped bindings are never referenced from reachable code; inline ones are
            // handled by the callers.
            _ => Arg::Reg(r),
        }
    }

    fn known(&self, h: &Expr, nargs: usize) -> Option<Known> {
        if !self.use_jets {
            return None;
        }
        let Expr::Const(c) = h else { return None };
        // The increment opcode called as a function (the reference library's `inc`).
        if nargs == 1 && c.deref().as_small() == Some(3) {
            return Some(Known::Op(BinOp::Inc, c.deref()));
        }
        let Some(Kind::Pin(p)) = c.deref().kind() else {
            return None;
        };
        let j = p.jet.get()?;
        if p.arity() != nargs as u64 {
            return None;
        }
        let name = self.jets.entry(j).name.as_str();
        Some(match name {
            "_If" => Known::If,
            "_Ifz" => Known::Ifz,
            "_Seq" => Known::Seq,
            "_Not" => Known::Truth(Truth::Not),
            "_Bit" => Known::Truth(Truth::Bit),
            "_And" => Known::Truth(Truth::And),
            "_Or" => Known::Truth(Truth::Or),
            "_Switch" => Known::Switch,
            "tabSwitch" => Known::TabSwitch,
            n => match BinOp::from_jet_name(n) {
                Some(op) if self.jets.entry(j).native.is_some() => Known::Op(op, c.deref()),
                _ => Known::Other,
            },
        })
    }

    /// Emits code leaving a lazy value of `e` in an operand.
    fn lazy(&mut self, e: &Expr) -> Arg {
        // Law bodies nest as deeply as their authors like: grow the stack as needed.
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.lazy_here(e))
    }

    fn lazy_here(&mut self, e: &Expr) -> Arg {
        match e {
            Expr::Ref(r) => match self.inlined(*r) {
                Some(x) => {
                    let x = x.clone();
                    self.lazy(&x)
                }
                None => self.operand(*r),
            },
            Expr::Const(c) => Arg::Const(*c),
            Expr::Call(h, xs) => {
                if let Some(Known::Op(op, pin)) = self.known(h, xs.len()) {
                    let a = self.lazy(&xs[0]);
                    let b = match op.unary_operand() {
                        Some(k) => Arg::Const(Value::small(k)),
                        None => self.lazy(&xs[1]),
                    };
                    let dst = self.temp();
                    self.out.push(Instr::Op2Lazy { dst, op, pin, a, b });
                    return Arg::Reg(dst);
                }
                let f = self.lazy(h);
                let args: Box<[Arg]> = xs.iter().map(|x| self.lazy(x)).collect();
                let dst = self.temp();
                self.out.push(Instr::Lazy { dst, f, args });
                Arg::Reg(dst)
            }
        }
    }

    /// Emits code leaving the weak head normal form of `e` in `dst`.
    fn strict(&mut self, e: &Expr, dst: Reg) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.strict_here(e, dst))
    }

    fn strict_here(&mut self, e: &Expr, dst: Reg) {
        match e {
            Expr::Ref(r) => match self.inlined(*r) {
                Some(x) => {
                    let x = x.clone();
                    self.strict(&x, dst)
                }
                None => match self.pending(*r) {
                    // The first use on this path is strict: compute the value directly.
                    Some(i) => {
                        let e = self.code.lets[i].clone();
                        let t = self.temp();
                        self.strict(&e, t);
                        self.mark_whnf(t);
                        self.plans[i] = LetPlan::Alias(Arg::Reg(t));
                        self.out.push(Instr::Move {
                            dst,
                            src: Arg::Reg(t),
                        });
                    }
                    None => {
                        let src = self.operand(*r);
                        let known = match src {
                            Arg::Reg(x) => self.is_whnf(x),
                            Arg::Const(_) => true,
                        };
                        if known {
                            self.out.push(Instr::Move { dst, src });
                        } else {
                            self.out.push(Instr::Force { dst, src });
                        }
                    }
                },
            },
            Expr::Const(c) => self.out.push(Instr::Move {
                dst,
                src: Arg::Const(*c),
            }),
            Expr::Call(h, xs) => match self.known(h, xs.len()) {
                Some(Known::If) | Some(Known::Ifz) => {
                    let ifz = matches!(self.known(h, xs.len()), Some(Known::Ifz));
                    let c = self.strict_operand(&xs[0]);
                    self.strict_branches(
                        ifz,
                        c,
                        |cx| cx.strict(&xs[1], dst),
                        |cx| cx.strict(&xs[2], dst),
                    );
                }
                Some(Known::Seq) => {
                    self.strict_operand(&xs[0]);
                    self.strict(&xs[1], dst);
                }
                Some(Known::Truth(t)) => self.truth(t, xs, dst),
                Some(k @ (Known::Switch | Known::TabSwitch))
                    if self.switch_arms(&k, xs).is_some() =>
                {
                    let (keys, arms) = self.switch_arms(&k, xs).unwrap_or_default();
                    let c = self.strict_operand(&xs[0]);
                    let at = self.out.len();
                    self.out.push(Instr::Jump { target: 0 });
                    let mut ends = Vec::new();
                    let mut targets = Vec::new();
                    for arm in &arms {
                        targets.push(self.out.len() as u32);
                        self.branch(|cx| cx.strict(arm, dst));
                        ends.push(self.out.len());
                        self.out.push(Instr::Jump { target: 0 });
                    }
                    let default = self.out.len() as u32;
                    self.branch(|cx| cx.strict(&xs[1], dst));
                    let end = self.out.len() as u32;
                    for e in ends {
                        self.patch(e, end);
                    }
                    self.out[at] = Self::switch_instr(c, keys, targets, default);
                }
                Some(Known::Op(op, pin)) => {
                    let a = self.strict_operand(&xs[0]);
                    let b = match op.unary_operand() {
                        Some(k) => Arg::Const(Value::small(k)),
                        None => self.strict_operand(&xs[1]),
                    };
                    self.out.push(Instr::Op2 { dst, op, pin, a, b });
                }
                _ => {
                    let f = self.lazy(h);
                    let args: Box<[Arg]> = xs.iter().map(|x| self.lazy(x)).collect();
                    self.out.push(Instr::Call { dst, f, args });
                }
            },
        }
    }

    /// The two arms of a test of `c` (evaluated) in a strict position, each in a branch of
    /// its own: `then` runs unless `jump_to_else(ifz, c)` jumps, `els` when it does.
    fn strict_branches(
        &mut self,
        ifz: bool,
        c: Arg,
        then: impl FnOnce(&mut Self),
        els: impl FnOnce(&mut Self),
    ) {
        let jump_at = self.out.len();
        self.out.push(Self::jump_to_else(ifz, c));
        self.branch(then);
        let skip_at = self.out.len();
        self.out.push(Instr::Jump { target: 0 });
        let else_at = self.out.len() as u32;
        self.branch(els);
        let end = self.out.len() as u32;
        self.patch(jump_at, else_at);
        self.patch(skip_at, end);
    }

    /// `dst := k`, a small nat.
    fn move_small(&mut self, dst: Reg, k: u64) {
        self.out.push(Instr::Move {
            dst,
            src: Arg::Const(Value::small(k)),
        });
    }

    /// `dst := if_true` when `N(c)` is not 0, else `if_false` (`c` evaluated; non-nats count
    /// as 0, as for `_If`).
    fn select_truth(&mut self, c: Arg, dst: Reg, if_true: u64, if_false: u64) {
        self.strict_branches(
            false,
            c,
            |cx| cx.move_small(dst, if_true),
            |cx| cx.move_small(dst, if_false),
        );
    }

    /// A boolean jet in a strict position, as its PLAN code does it: `_Not x = _If x 0 1`,
    /// `_Bit x = _If x 1 0`, `_And x y = _If x (_Bit y) 0`, `_Or x y = _If x 1 (_Bit y)`.
    fn truth(&mut self, t: Truth, xs: &[Expr], dst: Reg) {
        let c = self.strict_operand(&xs[0]);
        let bit_of_y = |cx: &mut Self| {
            let y = cx.strict_operand(&xs[1]);
            cx.select_truth(y, dst, 1, 0);
        };
        match t {
            Truth::Not => self.select_truth(c, dst, 0, 1),
            Truth::Bit => self.select_truth(c, dst, 1, 0),
            Truth::And => self.strict_branches(false, c, bit_of_y, |cx| cx.move_small(dst, 0)),
            Truth::Or => self.strict_branches(false, c, |cx| cx.move_small(dst, 1), bit_of_y),
        }
    }

    /// Emits code producing `e` as the law's result.
    fn tail(&mut self, e: &Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.tail_here(e))
    }

    fn tail_here(&mut self, e: &Expr) {
        match e {
            Expr::Ref(r) => match self.inlined(*r) {
                Some(x) => {
                    let x = x.clone();
                    self.tail(&x)
                }
                None => match self.pending(*r) {
                    // Used last on this path: no need to build a shared value.
                    Some(i) => {
                        let e = self.code.lets[i].clone();
                        self.tail(&e);
                    }
                    None => {
                        let src = self.operand(*r);
                        self.out.push(Instr::Return { src });
                    }
                },
            },
            Expr::Const(c) => self.out.push(Instr::Return {
                src: Arg::Const(*c),
            }),
            Expr::Call(h, xs) => match self.known(h, xs.len()) {
                Some(Known::If) | Some(Known::Ifz) => {
                    let ifz = matches!(self.known(h, xs.len()), Some(Known::Ifz));
                    let c = self.strict_operand(&xs[0]);
                    let jump_at = self.out.len();
                    self.out.push(Self::jump_to_else(ifz, c));
                    self.branch(|cx| cx.tail(&xs[1]));
                    let else_at = self.out.len() as u32;
                    self.branch(|cx| cx.tail(&xs[2]));
                    self.patch(jump_at, else_at);
                }
                Some(Known::Seq) => {
                    self.strict_operand(&xs[0]);
                    self.tail(&xs[1]);
                }
                Some(k @ (Known::Switch | Known::TabSwitch))
                    if self.switch_arms(&k, xs).is_some() =>
                {
                    let (keys, arms) = self.switch_arms(&k, xs).unwrap_or_default();
                    let c = self.strict_operand(&xs[0]);
                    let at = self.out.len();
                    self.out.push(Instr::Jump { target: 0 });
                    let mut targets = Vec::new();
                    for arm in &arms {
                        targets.push(self.out.len() as u32);
                        self.branch(|cx| cx.tail(arm));
                    }
                    let default = self.out.len() as u32;
                    self.branch(|cx| cx.tail(&xs[1]));
                    self.out[at] = Self::switch_instr(c, keys, targets, default);
                }
                Some(Known::Op(..) | Known::Truth(_)) => {
                    let t = self.temp();
                    self.strict(e, t);
                    self.out.push(Instr::Return { src: Arg::Reg(t) });
                }
                _ => {
                    let is_self = matches!(**h, Expr::Ref(0)) && xs.len() == self.arity as usize;
                    let args: Box<[Arg]> = xs.iter().map(|x| self.lazy(x)).collect();
                    if is_self {
                        self.out.push(Instr::Loop { args });
                    } else {
                        let f = self.lazy(h);
                        self.out.push(Instr::TailCall { f, args });
                    }
                }
            },
        }
    }

    /// The keys (`None`: the arm index) and arm expressions of a switch whose arms are
    /// written out literally.
    fn switch_arms(&self, k: &Known, xs: &[Expr]) -> Option<(Option<Vec<u64>>, Vec<Expr>)> {
        match k {
            Known::Switch => row_literal(&xs[2]).map(|arms| (None, arms)),
            Known::TabSwitch => tab_literal(&xs[2]).map(|(keys, arms)| (Some(keys), arms)),
            _ => None,
        }
    }

    fn switch_instr(c: Arg, keys: Option<Vec<u64>>, targets: Vec<u32>, default: u32) -> Instr {
        match keys {
            None => Instr::Switch {
                src: c,
                targets: targets.into(),
                default,
            },
            Some(keys) => Instr::SwitchKeys {
                src: c,
                keys: keys.into(),
                targets: targets.into(),
                default,
            },
        }
    }

    /// The jump to the else branch: `_If c t e` takes `e` when `N(c)` is 0 (non-nats too);
    /// `_Ifz c t e` takes `t` only when `c` is the nat 0, so non-nats go to `e`.
    fn jump_to_else(ifz: bool, c: Arg) -> Instr {
        if ifz {
            Instr::JumpIfNotZero { src: c, target: 0 }
        } else {
            Instr::JumpIfZero { src: c, target: 0 }
        }
    }

    fn patch(&mut self, at: usize, target: u32) {
        match &mut self.out[at] {
            Instr::JumpIfZero { target: t, .. }
            | Instr::JumpIfNotZero { target: t, .. }
            | Instr::Jump { target: t } => *t = target,
            _ => {}
        }
    }
}
