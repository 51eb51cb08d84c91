//! Sire expression trees (what the expression reader produces and the backend consumes), and
//! their encoding as PLAN data, which is how bindings store their code in the Sire state.

use std::rc::Rc;

use pallas_runtime::datajet::row_elems;
use pallas_runtime::{Kind, Runtime, Value};

/// A shared Sire expression.
pub type S = Rc<Sire>;

/// A Sire expression. Variables are de Bruijn indices (0 = innermost binder).
#[derive(Clone, Debug)]
pub enum Sire {
    /// A local variable.
    V(u64),
    /// A constant.
    K(Value),
    /// A global: the binding pin `<[key value code location name props]>`.
    G(Value),
    /// Application.
    A(S, S),
    /// `L v b`: let (binds one variable in `b`).
    L(S, S),
    /// `R vs b`: letrec (binds `vs.len()` variables in every `vs` and in `b`; `vs[0]` is 0).
    R(Vec<S>, S),
    /// Inline mark.
    M(S),
    /// A lambda.
    F(Rc<Lam>),
}

thread_local! {
    /// What a dropped node's sons are replaced with while it is taken apart.
    static HOLE: S = Rc::new(Sire::V(0));
}

impl Drop for Sire {
    /// Takes the tree apart with a work list: expressions nest as deeply as their source
    /// (a chain of 200,000 `|` lines is an application 200,000 deep), and a recursive drop
    /// would overflow the stack.
    fn drop(&mut self) {
        fn take(s: &mut Sire, out: &mut Vec<S>) {
            let hole = || {
                HOLE.try_with(|h| h.clone())
                    .unwrap_or_else(|_| Rc::new(Sire::V(0)))
            };
            match s {
                Sire::A(a, b) | Sire::L(a, b) => {
                    out.push(std::mem::replace(a, hole()));
                    out.push(std::mem::replace(b, hole()));
                }
                Sire::R(vs, b) => {
                    out.append(vs);
                    out.push(std::mem::replace(b, hole()));
                }
                Sire::M(x) => out.push(std::mem::replace(x, hole())),
                Sire::F(l) => {
                    if let Some(l) = Rc::get_mut(l) {
                        out.push(std::mem::replace(&mut l.body, hole()));
                    }
                }
                Sire::V(_) | Sire::K(_) | Sire::G(_) => {}
            }
        }
        let mut work = Vec::new();
        take(self, &mut work);
        while let Some(rc) = work.pop() {
            if let Ok(mut s) = Rc::try_unwrap(rc) {
                take(&mut s, &mut work);
            }
        }
    }
}

/// A lambda: binds itself (index `args`) and its arguments (the last one is 0) in `body`.
#[derive(Clone, Debug)]
pub struct Lam {
    /// Whether the law is pinned.
    pub pin: bool,
    /// Whether it is marked for inlining.
    pub mark: bool,
    /// Whether the body refers to the lambda itself.
    pub recr: bool,
    /// The law's name (a nat).
    pub tag: Value,
    /// Number of arguments.
    pub args: u64,
    /// The body.
    pub body: S,
}

/// Shorthand constructors.
pub fn app(f: S, x: S) -> S {
    Rc::new(Sire::A(f, x))
}

/// Whether `e` refers to the variable that is `d` at its top (the reference's `hasRefTo`).
pub fn has_ref_to(d: u64, e: &Sire) -> bool {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
        Sire::V(v) => *v == d,
        Sire::L(v, b) => has_ref_to(d, v) || has_ref_to(d + 1, b),
        Sire::R(vs, b) => {
            let d2 = d + vs.len() as u64;
            has_ref_to(d2, b) || vs.iter().any(|v| has_ref_to(d2, v))
        }
        Sire::A(f, x) => has_ref_to(d, f) || has_ref_to(d, x),
        Sire::M(x) => has_ref_to(d, x),
        Sire::F(l) => has_ref_to(d + 1 + l.args, &l.body),
        Sire::K(_) | Sire::G(_) => false,
    })
}

fn tag(rt: &mut Runtime, t: &str) -> Value {
    rt.nat_str(t)
}

/// Encodes a Sire tree as PLAN data: a nat for `V`, rows `[K x]`, `[G bind]`, `[A f x]`,
/// `[L v b]`, `[R binds b]`, `[M x]`, `[F pin mark recr tag args body]`.
pub fn to_noun(rt: &mut Runtime, e: &Sire) -> Value {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
        Sire::V(n) => rt.nat_u64(*n),
        Sire::K(x) => {
            let t = tag(rt, "K");
            rt.row(&[t, *x])
        }
        Sire::G(b) => {
            let t = tag(rt, "G");
            rt.row(&[t, *b])
        }
        Sire::A(f, x) => {
            let t = tag(rt, "A");
            let (f, x) = (to_noun(rt, f), to_noun(rt, x));
            rt.row(&[t, f, x])
        }
        Sire::L(v, b) => {
            let t = tag(rt, "L");
            let (v, b) = (to_noun(rt, v), to_noun(rt, b));
            rt.row(&[t, v, b])
        }
        Sire::R(vs, b) => {
            let t = tag(rt, "R");
            let vs: Vec<Value> = vs.iter().map(|v| to_noun(rt, v)).collect();
            let vs = rt.row(&vs);
            let b = to_noun(rt, b);
            rt.row(&[t, vs, b])
        }
        Sire::M(x) => {
            let t = tag(rt, "M");
            let x = to_noun(rt, x);
            rt.row(&[t, x])
        }
        Sire::F(l) => {
            let t = tag(rt, "F");
            let args = rt.nat_u64(l.args);
            let body = to_noun(rt, &l.body);
            let b = |x: bool| Value::small(x as u64);
            rt.row(&[t, b(l.pin), b(l.mark), b(l.recr), l.tag, args, body])
        }
    })
}

fn small(v: Value) -> Option<u64> {
    pallas_runtime::nat::to_u64(v.deref())
}

fn is_nat(v: Value) -> bool {
    v.deref().is_nat()
}

fn bit(v: Value) -> Result<bool, String> {
    match small(v) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(format!(
            "bad flag in lambda: {}",
            pallas_runtime::print::show_short(v, 200)
        )),
    }
}

/// Decodes PLAN data into a Sire tree (the inverse of [`to_noun`]).
pub fn from_noun(v: Value) -> Result<S, String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        let v = v.deref();
        if is_nat(v) {
            return small(v)
                .map(|n| Rc::new(Sire::V(n)))
                .ok_or_else(|| "variable index too large".to_string());
        }
        let bad = || {
            format!(
                "bad Sire AST: {}",
                pallas_runtime::print::show_short(v, 300)
            )
        };
        let xs = row_elems(v).ok_or_else(bad)?;
        let t = xs.first().and_then(|t| small(*t)).ok_or_else(bad)?;
        let t = char::from_u32(t as u32)
            .filter(|_| t < 128)
            .ok_or_else(bad)?;
        Ok(Rc::new(match (t, xs.len()) {
            ('K', 2) => Sire::K(xs[1]),
            ('G', 2) => Sire::G(xs[1]),
            ('A', 3) => Sire::A(from_noun(xs[1])?, from_noun(xs[2])?),
            ('L', 3) => Sire::L(from_noun(xs[1])?, from_noun(xs[2])?),
            ('R', 3) => {
                let bs = row_elems(xs[1]).ok_or("let binder seq is not a row")?;
                let bs = bs
                    .into_iter()
                    .map(from_noun)
                    .collect::<Result<Vec<_>, _>>()?;
                Sire::R(bs, from_noun(xs[2])?)
            }
            ('M', 2) => Sire::M(from_noun(xs[1])?),
            ('F', 7) => {
                if !is_nat(xs[4]) {
                    return Err("lambda tag is not a nat".into());
                }
                Sire::F(Rc::new(Lam {
                    pin: bit(xs[1])?,
                    mark: bit(xs[2])?,
                    recr: bit(xs[3])?,
                    tag: xs[4].deref(),
                    args: small(xs[5]).ok_or("lambda args is not a small nat")?,
                    body: from_noun(xs[6])?,
                }))
            }
            _ => return Err(bad()),
        }))
    })
}

/// The fields of a binding pin `<[key value code location name props]>`.
pub fn bind_fields(bind: Value) -> Result<[Value; 6], String> {
    let bad = || {
        format!(
            "malformed binding: {}",
            pallas_runtime::print::show_short(bind, 300)
        )
    };
    let item = match bind.deref().kind() {
        Some(Kind::Pin(p)) => p.item(),
        _ => return Err(bad()),
    };
    let xs = row_elems(item).ok_or_else(bad)?;
    <[Value; 6]>::try_from(xs).map_err(|_| bad())
}

/// The value of a binding pin.
pub fn bind_value(bind: Value) -> Result<Value, String> {
    Ok(bind_fields(bind)?[1])
}
