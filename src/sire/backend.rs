//! The Sire backend: inlining, lambda lifting and code generation, producing exactly the laws
//! the reference produces (jets are matched by hash, so any difference loses them).
//!
//! [`Backend::eval`] compiles a closed expression as a one-argument law, applies it to 0 and
//! evaluates the result to normal form. Callers must forbid garbage collection while they
//! hold the values involved (the compiler does so for a whole block).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use pallas_runtime::{Kind, Runtime, Value};

use super::ast::{bind_fields, from_noun, Lam, Sire, S};

/// Why compiling or evaluating failed.
#[derive(Debug, Clone)]
pub enum EvalError {
    /// The expression tree is malformed (bad binding, variable out of range...).
    Bad(String),
    /// Evaluation crashed.
    Crash(pallas_runtime::Crash),
}

impl From<String> for EvalError {
    fn from(s: String) -> Self {
        EvalError::Bad(s)
    }
}

impl From<&str> for EvalError {
    fn from(s: &str) -> Self {
        EvalError::Bad(s.to_string())
    }
}

type R<T> = Result<T, EvalError>;

// ------------------------------------------------------------------------------ inlining

#[derive(Clone)]
struct Arg {
    d: u64,
    x: S,
}

/// A known lambda, possibly partially applied.
#[derive(Clone)]
struct Pot {
    func: Rc<Lam>,
    marked: bool,
    deep: u64,
    need: u64,
    /// Arguments applied so far, oldest first.
    args: Vec<Arg>,
}

type P = Option<Rc<Pot>>;

struct Res {
    out: S,
    pot: P,
}

fn move_to(from: u64, to: u64, bound: u64, e: &S) -> S {
    if from == to {
        return e.clone();
    }
    fn go(from: u64, to: u64, l: u64, e: &S) -> S {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &**e {
            Sire::V(v) if *v >= l => Rc::new(Sire::V((v + to).saturating_sub(from))),
            Sire::M(x) => Rc::new(Sire::M(go(from, to, l, x))),
            Sire::A(f, x) => Rc::new(Sire::A(go(from, to, l, f), go(from, to, l, x))),
            Sire::L(v, b) => Rc::new(Sire::L(go(from, to, l, v), go(from, to, l + 1, b))),
            Sire::R(vs, b) => {
                let l2 = l + vs.len() as u64;
                Rc::new(Sire::R(
                    vs.iter().map(|v| go(from, to, l2, v)).collect(),
                    go(from, to, l2, b),
                ))
            }
            Sire::F(f) => {
                let mut f2 = (**f).clone();
                f2.body = go(from, to, l + 1 + f.args, &f.body);
                Rc::new(Sire::F(Rc::new(f2)))
            }
            _ => e.clone(),
        })
    }
    go(from, to, bound, e)
}

/// Per-block caches and the runtime used to build values.
pub struct Backend<'a> {
    /// The runtime.
    pub rt: &'a mut Runtime,
    code_cache: HashMap<Value, S>,
    pot_cache: HashMap<Value, P>,
}

/// Environment of the inliner: a stack whose LAST entry is variable 0.
type Env = Vec<P>;

fn env_get(env: &Env, v: u64) -> P {
    let n = env.len() as u64;
    if v < n {
        env[(n - 1 - v) as usize].clone()
    } else {
        None
    }
}

impl<'a> Backend<'a> {
    /// A backend with empty caches. Keep it for one block at most (the caches hold values).
    pub fn new(rt: &'a mut Runtime) -> Backend<'a> {
        Backend {
            rt,
            code_cache: HashMap::new(),
            pot_cache: HashMap::new(),
        }
    }

    /// Forgets the decoded code and pots of bindings (before a collection, which may free
    /// the binding pins they are keyed by).
    pub fn clear_caches(&mut self) {
        self.code_cache.clear();
        self.pot_cache.clear();
    }

    /// The decoded code of a binding pin.
    fn bind_code(&mut self, bind: Value) -> R<S> {
        if let Some(c) = self.code_cache.get(&bind) {
            return Ok(c.clone());
        }
        let f = bind_fields(bind)?;
        let c = from_noun(f[2])?;
        self.code_cache.insert(bind, c.clone());
        Ok(c)
    }

    fn bind_value(&mut self, bind: Value) -> R<Value> {
        Ok(bind_fields(bind)?[1].deref())
    }

    /// The pot of a global (what the reference gets from inlining its code, lazily).
    fn global_pot(&mut self, bind: Value) -> R<P> {
        if let Some(p) = self.pot_cache.get(&bind) {
            return Ok(p.clone());
        }
        // A chain of aliases (`= v2 v1`, `= v3 v2`, ...) recurses once per link: grow the
        // stack as needed.
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.global_pot_here(bind))
    }

    fn global_pot_here(&mut self, bind: Value) -> R<P> {
        let code = self.bind_code(bind)?;
        let p = self.pot_of(0, &mut Vec::new(), Vec::new(), &code)?;
        self.pot_cache.insert(bind, p.clone());
        Ok(p)
    }

    fn expand(&self, d: u64, fe: &Pot) -> S {
        let body = move_to(fe.deep, d, 1 + fe.func.args, &fe.func.body);
        let mut lets: Vec<S> = vec![Rc::new(Sire::K(Value::small(0)))];
        for (i, a) in fe.args.iter().enumerate() {
            lets.push(move_to(a.d, d + 1 + i as u64, 0, &a.x));
        }
        lets.into_iter()
            .rev()
            .fold(body, |b, v| Rc::new(Sire::L(v, b)))
    }

    /// Only the pot of `inline d env params inp`, without inlining bodies it does not need.
    fn pot_of(&mut self, d: u64, env: &mut Env, mut params: Vec<Arg>, inp: &S) -> R<P> {
        // Walk the application spine: a head without a pot makes the whole chain pot-less.
        let mut head = inp.clone();
        let mut spine: Vec<S> = Vec::new();
        while let Sire::A(f, x) = &*head {
            spine.push(x.clone());
            head = f.clone();
        }
        let base: P = match &*head {
            Sire::K(_) | Sire::L(..) | Sire::R(..) => None,
            Sire::V(v) => env_get(env, *v),
            Sire::G(b) => self.global_pot(*b)?,
            Sire::M(b) => self.pot_of(d, env, Vec::new(), b)?.map(|p| {
                let mut p = (*p).clone();
                p.marked = true;
                Rc::new(p)
            }),
            Sire::F(f) => self.lam_pot(d, f),
            Sire::A(..) => None,
        };
        if matches!(&*head, Sire::L(..) | Sire::R(..)) || base.is_none() {
            return Ok(None);
        }
        // `spine` holds the outermost argument first; the stack's end is applied first.
        for x in spine {
            let xo = self.inline(d, env, Vec::new(), &x)?.out;
            params.push(Arg { d, x: xo });
        }
        self.reapply_pot(d, env, params, base)
    }

    fn lam_pot(&self, d: u64, f: &Rc<Lam>) -> P {
        if f.recr {
            return None;
        }
        Some(Rc::new(Pot {
            func: f.clone(),
            marked: f.mark,
            deep: d,
            need: f.args,
            args: Vec::new(),
        }))
    }

    fn reapply_pot(&mut self, d: u64, env: &mut Env, mut args: Vec<Arg>, mut me: P) -> R<P> {
        loop {
            if let Some(e) = &me {
                if e.need == 0 && e.marked {
                    let ex = self.expand(d, e);
                    return self.pot_of(d, env, args, &ex);
                }
            }
            let Some(r) = args.pop() else {
                return Ok(me);
            };
            me = me.and_then(|fe| push_arg(&fe, r));
        }
    }

    fn reapply(&mut self, d: u64, env: &mut Env, mut args: Vec<Arg>, mut f: Res) -> R<Res> {
        loop {
            if let Some(e) = &f.pot {
                if e.need == 0 && e.marked {
                    let ex = self.expand(d, e);
                    return self.inline(d, env, args, &ex);
                }
            }
            let Some(r) = args.pop() else {
                return Ok(f);
            };
            let out = Rc::new(Sire::A(f.out, move_to(r.d, d, 0, &r.x)));
            let pot = f.pot.and_then(|fe| push_arg(&fe, r));
            f = Res { out, pot };
        }
    }

    /// The reference's `inline d env params inp`; `params` is a stack whose end is applied
    /// first.
    fn inline(&mut self, d: u64, env: &mut Env, mut params: Vec<Arg>, inp: &S) -> R<Res> {
        stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || match &**inp {
            Sire::K(_) => self.reapply(
                d,
                env,
                params,
                Res {
                    out: inp.clone(),
                    pot: None,
                },
            ),
            Sire::V(v) => {
                let pot = env_get(env, *v);
                self.reapply(
                    d,
                    env,
                    params,
                    Res {
                        out: inp.clone(),
                        pot,
                    },
                )
            }
            Sire::G(b) => {
                let pot = self.global_pot(*b)?;
                self.reapply(
                    d,
                    env,
                    params,
                    Res {
                        out: inp.clone(),
                        pot,
                    },
                )
            }
            Sire::M(b) => {
                let r = self.inline(d, env, Vec::new(), b)?;
                let pot = r.pot.map(|p| {
                    let mut p = (*p).clone();
                    p.marked = true;
                    Rc::new(p)
                });
                self.reapply(d, env, params, Res { out: r.out, pot })
            }
            Sire::F(f) => {
                let need = f.args;
                let n = env.len();
                env.extend(std::iter::repeat_n(None, (1 + need) as usize));
                let body = self.inline(1 + need + d, env, Vec::new(), &f.body);
                env.truncate(n);
                let mut f2 = (**f).clone();
                f2.body = body?.out;
                let out = Rc::new(Sire::F(Rc::new(f2)));
                let pot = self.lam_pot(d, f);
                self.reapply(d, env, params, Res { out, pot })
            }
            Sire::L(v, b) => {
                let vr = self.inline(d, env, Vec::new(), v)?;
                env.push(vr.pot);
                let br = self.inline(d + 1, env, params, b);
                env.pop();
                Ok(Res {
                    out: Rc::new(Sire::L(vr.out, br?.out)),
                    pot: None,
                })
            }
            Sire::R(vs, b) => {
                let d2 = d + vs.len() as u64;
                let n = env.len();
                env.extend(std::iter::repeat_n(None, vs.len()));
                let res = (|| {
                    let mut outs = Vec::with_capacity(vs.len());
                    for v in vs {
                        outs.push(self.inline(d2, env, Vec::new(), v)?.out);
                    }
                    let br = self.inline(d2, env, params, b)?;
                    Ok(Res {
                        out: Rc::new(Sire::R(outs, br.out)),
                        pot: None,
                    })
                })();
                env.truncate(n);
                res
            }
            Sire::A(f, x) => {
                let xo = self.inline(d, env, Vec::new(), x)?.out;
                params.push(Arg { d, x: xo });
                self.inline(d, env, params, f)
            }
        })
    }
}

fn push_arg(fe: &Pot, r: Arg) -> P {
    if fe.need == 0 {
        return None;
    }
    let mut p = fe.clone();
    p.need -= 1;
    p.args.push(r);
    Some(Rc::new(p))
}

// ------------------------------------------------------------------------------ compiling

#[derive(Clone)]
enum Exp {
    Val(Value),
    Var(usize),
    App(Rc<Exp>, Rc<Exp>),
}

type E = Rc<Exp>;

thread_local! {
    /// What a dropped application's parts are replaced with while it is taken apart.
    static HOLE: E = Rc::new(Exp::Var(0));
}

impl Drop for Exp {
    /// Takes application trees apart with a work list (they nest as deeply as the code).
    fn drop(&mut self) {
        let Exp::App(a, b) = self else { return };
        let hole = || {
            HOLE.try_with(|h| h.clone())
                .unwrap_or_else(|_| Rc::new(Exp::Var(0)))
        };
        let mut work = vec![std::mem::replace(a, hole()), std::mem::replace(b, hole())];
        while let Some(rc) = work.pop() {
            let Ok(mut e) = Rc::try_unwrap(rc) else {
                continue;
            };
            if let Exp::App(a, b) = &mut e {
                work.push(std::mem::replace(a, hole()));
                work.push(std::mem::replace(b, hole()));
            }
        }
    }
}

struct Fun {
    pin: bool,
    tag: Value,
    slf: usize,
    arg: Vec<usize>,
    bin: BTreeMap<usize, E>,
    bod: E,
}

struct Stats {
    counts: HashMap<usize, u64>,
    seq: Vec<usize>,
}

fn stats(f: &Fun) -> Stats {
    let mut seen = BTreeSet::new();
    let mut st = Stats {
        counts: HashMap::new(),
        seq: Vec::new(),
    };
    fn go(f: &Fun, e: &E, seen: &mut BTreeSet<usize>, st: &mut Stats) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &**e {
            Exp::Val(_) => {}
            Exp::App(a, b) => {
                go(f, a, seen, st);
                go(f, b, seen, st);
            }
            Exp::Var(k) => {
                if seen.insert(*k) {
                    if let Some(b) = f.bin.get(k) {
                        go(f, b, seen, st);
                    }
                }
                let c = st.counts.entry(*k).or_insert(0);
                if *c == 0 {
                    st.seq.push(*k);
                }
                *c += 1;
            }
        })
    }
    go(f, &f.bod, &mut seen, &mut st);
    st
}

fn is_code_shaped(max_arg: u64, v: Value) -> bool {
    let v = v.deref();
    if v.is_nat() {
        return pallas_runtime::nat::to_u64(v).is_some_and(|n| n <= max_arg);
    }
    match v.kind() {
        Some(Kind::App(a)) => {
            let n = a.args().len();
            match a.head.deref().as_small() {
                Some(0) | Some(1) => n == 2,
                Some(2) => n == 1,
                _ => false,
            }
        }
        _ => false,
    }
}

impl Backend<'_> {
    fn gen(
        &mut self,
        f: &Fun,
        st: &Stats,
        table: &HashMap<usize, u64>,
        max: u64,
        e: &E,
    ) -> R<Value> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &**e {
            Exp::Val(k) => Ok(if is_code_shaped(max, *k) {
                self.rt.partial(Value::small(2), &[*k])
            } else {
                *k
            }),
            Exp::App(a, b) => {
                let a = self.gen(f, st, table, max, a)?;
                let b = self.gen(f, st, table, max, b)?;
                Ok(self.rt.partial(Value::small(0), &[a, b]))
            }
            Exp::Var(v) => match (st.counts.get(v), f.bin.get(v)) {
                (Some(1), Some(bx)) => self.gen(f, st, table, max, bx),
                _ => match table.get(v) {
                    Some(i) => Ok(self.rt.nat_u64(*i)),
                    None => Err(EvalError::Bad(format!("backend: unbound slot {v}"))),
                },
            },
        })
    }

    fn code_gen(&mut self, f: &Fun, st: &Stats) -> R<Value> {
        let keep = |k: &usize| f.bin.contains_key(k) && st.counts.get(k).copied().unwrap_or(0) > 1;
        let binds: Vec<usize> = st.seq.iter().copied().filter(keep).collect();
        let nargs = f.arg.len() as u64;
        let max = nargs + binds.len() as u64;
        let mut table = HashMap::new();
        table.insert(f.slf, 0u64);
        for (i, k) in f.arg.iter().chain(binds.iter()).enumerate() {
            table.insert(*k, i as u64 + 1);
        }
        let mut body = self.gen(f, st, &table, max, &f.bod)?;
        for k in binds.iter().rev() {
            let bx = f.bin.get(k).cloned().ok_or("backend: missing binding")?;
            let v = self.gen(f, st, &table, max, &bx)?;
            body = self.rt.partial(Value::small(1), &[v, body]);
        }
        if nargs == 0 {
            return Err(EvalError::Bad(
                "a law must take at least one argument".into(),
            ));
        }
        let ar = self.rt.nat_u64(nargs);
        let law = self.rt.law(f.tag, ar, body);
        Ok(if f.pin { self.rt.pin(law) } else { law })
    }

    fn compile(&mut self, nex: usize, f1: Fun) -> R<(Value, Vec<usize>)> {
        let st1 = stats(&f1);
        let free: Vec<usize> = st1
            .seq
            .iter()
            .copied()
            .filter(|k| *k != f1.slf && !f1.bin.contains_key(k) && !f1.arg.contains(k))
            .collect();
        if free.is_empty() {
            return Ok((self.code_gen(&f1, &st1)?, free));
        }
        let mut slf_app: E = Rc::new(Exp::Var(nex));
        for k in &free {
            slf_app = Rc::new(Exp::App(slf_app, Rc::new(Exp::Var(*k))));
        }
        let mut bin = f1.bin;
        bin.insert(f1.slf, slf_app);
        let f2 = Fun {
            pin: f1.pin,
            tag: f1.tag,
            slf: nex,
            arg: free.iter().chain(f1.arg.iter()).copied().collect(),
            bin,
            bod: f1.bod,
        };
        let st2 = stats(&f2);
        Ok((self.code_gen(&f2, &st2)?, free))
    }

    /// Turns an inlined Sire tree into an `Exp`; `s` is a stack whose end is variable 0.
    fn ingest(&mut self, s: &mut Vec<E>, ing: &mut Ingest, e: &S) -> R<E> {
        stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || match &**e {
            Sire::V(i) => {
                let n = s.len() as u64;
                if *i >= n {
                    return Err(EvalError::Bad(format!("variable {i} out of scope")));
                }
                Ok(s[(n - 1 - i) as usize].clone())
            }
            Sire::M(x) => self.ingest(s, ing, x),
            Sire::G(g) => Ok(Rc::new(Exp::Val(self.bind_value(*g)?))),
            Sire::K(x) => Ok(Rc::new(Exp::Val(x.deref()))),
            Sire::A(f, x) => {
                let fr = self.ingest(s, ing, f)?;
                let xr = self.ingest(s, ing, x)?;
                if let (Exp::Val(fv), Exp::Val(xv)) = (&*fr, &*xr) {
                    if self.rt.arity(*fv) > 1 {
                        return Ok(Rc::new(Exp::Val(self.rt.partial(*fv, &[*xv]))));
                    }
                }
                Ok(Rc::new(Exp::App(fr, xr)))
            }
            Sire::L(v, b) => {
                let vr = self.ingest(s, ing, v)?;
                let slot = if matches!(*vr, Exp::App(..)) {
                    let k = ing.gensym();
                    ing.bin.insert(k, vr);
                    Rc::new(Exp::Var(k))
                } else {
                    vr
                };
                s.push(slot);
                let r = self.ingest(s, ing, b);
                s.pop();
                r
            }
            Sire::R(vs, b) => {
                let ks: Vec<usize> = vs.iter().map(|_| ing.gensym()).collect();
                let n = s.len();
                for k in ks.iter().rev() {
                    s.push(Rc::new(Exp::Var(*k)));
                }
                let r = (|| {
                    for (v, k) in vs.iter().zip(&ks) {
                        let vr = self.ingest(s, ing, v)?;
                        ing.bin.insert(*k, vr);
                    }
                    self.ingest(s, ing, b)
                })();
                s.truncate(n);
                r
            }
            Sire::F(l) => {
                let slf = ing.gensym();
                let arg: Vec<usize> = (0..l.args).map(|_| ing.gensym()).collect();
                let nex = ing.next;
                let n = s.len();
                s.push(Rc::new(Exp::Var(slf)));
                for a in &arg {
                    s.push(Rc::new(Exp::Var(*a)));
                }
                let mut inner = Ingest {
                    bin: BTreeMap::new(),
                    next: nex,
                };
                let bod = self.ingest(s, &mut inner, &l.body);
                s.truncate(n);
                let bod = bod?;
                let fun = Fun {
                    pin: l.pin,
                    tag: l.tag,
                    slf,
                    arg,
                    bin: inner.bin,
                    bod,
                };
                let (cns, free) = self.compile(inner.next, fun)?;
                let mut out: E = Rc::new(Exp::Val(cns));
                for k in free {
                    out = Rc::new(Exp::App(out, Rc::new(Exp::Var(k))));
                }
                Ok(out)
            }
        })
    }

    /// Compiles a closed expression to the law the reference would build for it (a
    /// one-argument law whose body computes the expression), without running it.
    pub fn compile_top(&mut self, raw: &S) -> R<Value> {
        let inlined = self.inline(0, &mut Vec::new(), Vec::new(), raw)?.out;
        let mut ing = Ingest {
            bin: BTreeMap::new(),
            next: 0,
        };
        let bod = self.ingest(&mut Vec::new(), &mut ing, &inlined)?;
        let n = ing.next;
        let fun = Fun {
            pin: false,
            tag: Value::small(0),
            slf: n,
            arg: vec![n + 1],
            bin: ing.bin,
            bod,
        };
        Ok(self.compile(n + 2, fun)?.0)
    }

    /// Compiles and runs a closed expression, returning its normal form.
    pub fn eval(&mut self, raw: &S) -> R<Value> {
        let law = self.compile_top(raw)?;
        self.rt
            .call_deep(law, &[Value::small(0)])
            .map_err(EvalError::Crash)
    }
}

struct Ingest {
    bin: BTreeMap<usize, E>,
    next: usize,
}

impl Ingest {
    fn gensym(&mut self) -> usize {
        let k = self.next;
        self.next += 1;
        k
    }
}
