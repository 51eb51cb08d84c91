//! Reading a law body into an executable expression tree (PLAN's law-body rules).
//!
//! The environment of a law call is: index 0 = self, 1..=a = arguments, a+1..=a+k = the let
//! bindings of the top-level `(1 v b)` chain, which together form one letrec scope. Inside an
//! expression, a nat `i <= a+k` is a reference, `(0 f x)` an application, `(2 x)` the constant
//! `x`, and anything else a constant.

use crate::value::{Kind, Value};

/// An expression of a law body. Law bodies can nest arbitrarily deep, so cloning grows the
/// stack as needed and dropping takes the tree apart with a work list.
#[derive(Debug)]
pub enum Expr {
    /// A reference into the environment.
    Ref(u32),
    /// A constant value (fully normal).
    Const(Value),
    /// An application with its spine flattened: the head is never a `Call`.
    Call(Box<Expr>, Vec<Expr>),
}

impl Clone for Expr {
    fn clone(&self) -> Expr {
        match self {
            Expr::Ref(r) => Expr::Ref(*r),
            Expr::Const(c) => Expr::Const(*c),
            Expr::Call(h, xs) => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || Expr::Call(h.clone(), xs.clone()))
            }
        }
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        let Expr::Call(h, xs) = self else { return };
        let mut work = std::mem::take(xs);
        work.push(std::mem::replace(&mut **h, Expr::Ref(0)));
        while let Some(mut e) = work.pop() {
            if let Expr::Call(h, xs) = &mut e {
                work.append(xs);
                work.push(std::mem::replace(&mut **h, Expr::Ref(0)));
            }
        }
    }
}

/// A law body ready to run.
#[derive(Debug)]
pub struct LawCode {
    /// Number of arguments.
    pub arity: u64,
    /// Let bindings in binding order (environment slots a+1 ...).
    pub lets: Vec<Expr>,
    /// The result expression.
    pub body: Expr,
}

impl LawCode {
    /// Size of the environment: self, arguments and lets.
    pub fn env_size(&self) -> usize {
        1 + self.arity as usize + self.lets.len()
    }
}

/// If `v` is the partial application `(op x y ...)` of the small opcode `op` with exactly
/// `n` arguments, returns those arguments.
pub(crate) fn op_args(v: Value, op: u64, n: usize) -> Option<&'static [Value]> {
    match v.deref().kind() {
        Some(Kind::App(a)) if a.head.as_small() == Some(op) && a.args().len() == n => {
            Some(a.args())
        }
        _ => None,
    }
}

/// Compiles a law body. `arity` is the law's arity (laws with more arguments than fit in
/// memory can never be called, so callers only compile laws with small arities).
pub fn compile(arity: u64, body: Value) -> LawCode {
    let mut binds = Vec::new();
    let mut cur = body;
    while let Some(a) = op_args(cur, 1, 2) {
        binds.push(a[0]);
        cur = a[1];
    }
    let max_ref = arity.saturating_add(binds.len() as u64);
    let lets = binds.iter().map(|&b| expr(max_ref, b)).collect();
    LawCode {
        arity,
        lets,
        body: expr(max_ref, cur),
    }
}

/// A constant partial application of a law or pin, `(f a b)`, applied to more arguments is
/// the call of `f` on all of them: spreading it lets the compilers see the known function
/// (a jet, an inline operation, a direct call) and its full argument count.
pub(crate) fn spread(f: Expr) -> Expr {
    let Expr::Const(c) = &f else { return f };
    match c.deref().kind() {
        Some(Kind::App(a))
            if matches!(a.head.deref().kind(), Some(Kind::Pin(_) | Kind::Law(_))) =>
        {
            Expr::Call(
                Box::new(Expr::Const(a.head.deref())),
                a.args().iter().map(|x| Expr::Const(x.deref())).collect(),
            )
        }
        _ => f,
    }
}

fn expr(max_ref: u64, v: Value) -> Expr {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        let v = v.deref();
        if let Some(n) = v.as_small() {
            if n <= max_ref {
                return Expr::Ref(n as u32);
            }
            return Expr::Const(v);
        }
        if let Some(a) = op_args(v, 0, 2) {
            let mut f = spread(expr(max_ref, a[0]));
            let x = expr(max_ref, a[1]);
            if let Expr::Call(_, xs) = &mut f {
                xs.push(x);
                return f;
            }
            return Expr::Call(Box::new(f), vec![x]);
        }
        if let Some(a) = op_args(v, 2, 1) {
            return Expr::Const(a[0].deref());
        }
        Expr::Const(v)
    })
}

/// When `body` only puts parameters and constants into a partial application of a constant
/// law (a row or tuple maker: `v2 x y` is `{0 3 0} y x`), that law and the arguments (each
/// an `Expr::Ref` of a parameter, 1..=`arity`, or an `Expr::Const`).
pub(crate) fn construction(arity: u64, body: &Expr) -> Option<(Value, &[Expr])> {
    let Expr::Call(h, xs) = body else {
        return None;
    };
    let Expr::Const(c) = **h else { return None };
    let Some(crate::value::Kind::Law(l)) = c.deref().kind() else {
        return None;
    };
    let plain = |x: &Expr| match x {
        Expr::Ref(i) => (1..=arity).contains(&u64::from(*i)),
        Expr::Const(_) => true,
        Expr::Call(..) => false,
    };
    (l.arity > xs.len() as u64 && xs.iter().all(plain)).then_some((c.deref(), &xs[..]))
}
