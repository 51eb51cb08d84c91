//! Inlining tiny laws: a saturated call of a constant law (or pinned law) whose body is a
//! small expression without let bindings, that never refers to itself and has no jet (or
//! whose body only builds a row or tuple of its arguments: see [`law::construction`]), is
//! replaced by that body with the call's arguments in place of the parameters (the
//! reference library's `flip`, `compose`, `const`, accessors, `isUpper`-style tests). The
//! interpreter then runs the body inside the caller's activation instead of entering a new
//! one, and the inline operations and jumps it contains (`_Add`, `_If`, `_And`, ...) are
//! compiled into the caller.
//!
//! PLAN's meaning is kept exactly: the body is evaluated where and when the call would have
//! been (a strict call strictly, a lazy one lazily), and an argument used more than once is
//! bound once as a let of the caller, so it is still evaluated at most once.

use std::rc::Rc;

use crate::law::{self, Expr, LawCode};
use crate::value::{Kind, LawShape, Value};

/// Body size (expression nodes) up to which a law is inlined.
const MAX_BODY: usize = 16;

/// How many times inlined bodies are inlined into again (bodies of tiny laws calling tiny
/// laws: a list's case law, the step it calls, the constructor that step calls, the row
/// that constructor builds).
const ROUNDS: usize = 6;

/// How many expression nodes inlining may add to one law in all (bodies calling several
/// tiny laws that call several more would otherwise grow exponentially with the rounds).
const GROWTH: usize = 256;

/// Arities up to which a law is inlined.
const MAX_ARITY: u64 = 6;

/// `code` with its calls of tiny laws inlined, or `None` when there are none.
pub(super) fn inline_tiny_laws(code: &LawCode) -> Option<LawCode> {
    let mut out = LawCode {
        arity: code.arity,
        lets: code.lets.clone(),
        body: code.body.clone(),
    };
    let mut changed = false;
    let mut cx = Inliner {
        next_let: 0,
        new_lets: Vec::new(),
        changed: false,
        budget: GROWTH,
    };
    for _ in 0..ROUNDS {
        cx.next_let = (out.arity as usize + 1 + out.lets.len()) as u32;
        cx.changed = false;
        for e in out.lets.iter_mut() {
            cx.walk(e);
        }
        cx.walk(&mut out.body);
        out.lets.append(&mut cx.new_lets);
        if !cx.changed {
            break;
        }
        changed = true;
    }
    changed.then_some(out)
}

/// A tiny law (see the module documentation): its code, and how many times its body refers
/// to each parameter (index 1..=arity).
struct Tiny {
    code: Rc<LawCode>,
    uses: Vec<usize>,
    /// Expression nodes in the body.
    size: usize,
}

/// The tiny law `v` is, if it is one.
fn tiny_law(v: Value) -> Option<Tiny> {
    let v = v.deref();
    let mut jetted = false;
    let law = match v.kind()? {
        Kind::Pin(p) => {
            // A pin not read from the store yet stays a call: compiling never loads pins.
            if !p.is_loaded() {
                return None;
            }
            jetted = p.jet.get().is_some();
            match p.item().deref().kind()? {
                Kind::Law(l) => l,
                _ => return None,
            }
        }
        Kind::Law(l) => l,
        _ => return None,
    };
    if law.arity == 0 || law.arity > MAX_ARITY || law.shape != LawShape::Plain {
        return None;
    }
    // Cheap checks first: the body as a value, before building its expression.
    if law::op_args(law.body, 1, 2).is_some() || !small_value(law.body, 4 * MAX_BODY) {
        return None;
    }
    // The same expression the evaluators run, made once per law.
    let code = law
        .code
        .get_or_init(|| Rc::new(law::compile(law.arity, law.body)))
        .clone();
    // A row or tuple maker is inlined even when it has a jet: its body is the value itself,
    // so a lazy call then builds the row at once instead of a thunk for the jet.
    if !code.lets.is_empty() || (jetted && law::construction(code.arity, &code.body).is_none()) {
        return None;
    }
    let mut uses = vec![0; code.arity as usize + 1];
    let mut size = 0;
    let mut work = vec![&code.body];
    while let Some(e) = work.pop() {
        size += 1;
        match e {
            // A reference to itself: not inlined.
            Expr::Ref(0) => return None,
            Expr::Ref(i) => uses[*i as usize] += 1,
            Expr::Const(_) => {}
            Expr::Call(h, xs) => {
                work.push(h);
                work.extend(xs.iter());
            }
        }
        if size > MAX_BODY {
            return None;
        }
    }
    Some(Tiny { code, uses, size })
}

/// Whether `v` is a tree of at most `limit` nodes (heads and arguments of applications).
fn small_value(v: Value, limit: usize) -> bool {
    let mut seen = 0;
    let mut work = vec![v];
    while let Some(v) = work.pop() {
        seen += 1;
        if seen > limit {
            return false;
        }
        if let Some(Kind::App(a)) = v.deref().kind() {
            work.push(a.head);
            work.extend(a.args().iter().copied());
        }
    }
    true
}

/// `body` with each parameter `i` replaced by `args[i - 1]`.
fn substitute(body: &Expr, args: &[Expr]) -> Expr {
    match body {
        Expr::Ref(i) => args[*i as usize - 1].clone(),
        Expr::Const(c) => Expr::Const(*c),
        Expr::Call(h, xs) => {
            let h = substitute(h, args);
            let xs: Vec<Expr> = xs.iter().map(|x| substitute(x, args)).collect();
            apply(h, xs)
        }
    }
}

/// The application of `h` to `xs`, its spine kept flat (the head is never a call).
fn apply(h: Expr, mut xs: Vec<Expr>) -> Expr {
    if xs.is_empty() {
        return h;
    }
    // A constant partial application in head position shows its function (see `law`).
    let mut h = law::spread(h);
    if let Expr::Call(_, ys) = &mut h {
        ys.append(&mut xs);
        return h;
    }
    Expr::Call(Box::new(h), xs)
}

struct Inliner {
    /// The environment index the next new let binding gets.
    next_let: u32,
    /// Let bindings added for arguments used more than once.
    new_lets: Vec<Expr>,
    changed: bool,
    /// Expression nodes inlining may still add (see [`GROWTH`]).
    budget: usize,
}

impl Inliner {
    fn walk(&mut self, e: &mut Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.walk_here(e))
    }

    fn walk_here(&mut self, e: &mut Expr) {
        let Expr::Call(h, xs) = e else { return };
        for x in xs.iter_mut() {
            self.walk(x);
        }
        self.walk(h);
        let Expr::Const(c) = **h else { return };
        let Some(Tiny {
            code: callee,
            uses,
            size,
        }) = tiny_law(c)
        else {
            return;
        };
        let arity = callee.arity as usize;
        if xs.len() < arity || size > self.budget {
            return;
        }
        self.budget -= size;
        let rest = xs.split_off(arity);
        let args: Vec<Expr> = std::mem::take(xs)
            .into_iter()
            .enumerate()
            .map(|(i, x)| match x {
                // Shared already, or evaluated at most once by the body.
                Expr::Ref(_) | Expr::Const(_) => x,
                x if uses[i + 1] <= 1 => x,
                x => {
                    let r = self.next_let;
                    self.next_let += 1;
                    self.new_lets.push(x);
                    Expr::Ref(r)
                }
            })
            .collect();
        *e = apply(substitute(&callee.body, &args), rest);
        self.changed = true;
    }
}
