//! Running one top-level block: commands (`=`, `*`, `####`, `^-^`, `=?=`, `:|`), macros, and
//! the expression reader that turns Pex into Sire trees.

use std::rc::Rc;

use num_bigint::BigUint;
use pallas_runtime::datajet::row_elems;
use pallas_runtime::{nat, order, Value};

use super::ast::{has_ref_to, to_noun, Lam, Sire, S};
use super::backend::{Backend, EvalError};
use super::pex::{view, PexMaker, RuneShape, TextShape, View};
use super::state;

/// Why a block failed.
#[derive(Debug, Clone)]
pub struct Fail {
    /// The part of the block at fault (a Pex value), if known.
    pub problem: Option<Value>,
    /// What went wrong.
    pub reason: String,
    /// Extra lines (assertion sides, crash details).
    pub details: Vec<String>,
}

/// Something the block wants shown to the user.
pub enum Output {
    /// A new binding: its name and value.
    Bind(String, Value),
    /// The value of a top-level expression.
    Value(Value),
}

type R<T> = Result<T, Fail>;

fn fail<T>(problem: Value, reason: impl Into<String>) -> R<T> {
    Err(Fail {
        problem: Some(problem),
        reason: reason.into(),
        details: Vec::new(),
    })
}

fn bad(reason: impl Into<String>) -> Fail {
    Fail {
        problem: None,
        reason: reason.into(),
        details: Vec::new(),
    }
}

/// One block's worth of compilation: the backend, the state, and what to print.
pub struct Block<'a> {
    /// The backend (and through it, the runtime).
    pub be: Backend<'a>,
    /// Pex constructors.
    pub pex: &'a PexMaker,
    /// The Sire state.
    pub st: state::State,
    /// Results to show, in order.
    pub out: Vec<Output>,
    /// The blocks being executed (outermost first): what the Rust stack holds while a
    /// definition chain collects garbage.
    pub held: Vec<Value>,
    /// Whether nothing outside the block holds values unrooted, so that the block may
    /// collect garbage between definitions (see `Block::collect_if_due`).
    pub may_collect: bool,
}

const EXP_RUNES: [&str; 20] = [
    "|", "#|", "-", "#-", "**", "#**", "@", "#@", "@@", "#@@", "^", "#^", "&", "#&", "?", "#?",
    "??", "#??", ".", "#.",
];

/// A name key read from a leaf: decimal, identifier or text.
fn try_read_key_view(v: &View) -> Option<KeyLeaf> {
    match v {
        View::Leaf {
            shape: TextShape::Text,
            text,
            heir: None,
        } => Some(KeyLeaf::Cord(text.clone())),
        View::Leaf {
            shape: TextShape::Word,
            text,
            heir: None,
        } => {
            let c = text.chars().next()?;
            if c.is_ascii_digit() {
                if text.chars().all(|c| c.is_ascii_digit()) {
                    pallas_runtime::decimal::from_decimal(text.as_bytes()).map(KeyLeaf::Deci)
                } else {
                    None
                }
            } else {
                Some(KeyLeaf::Idnt(text.clone()))
            }
        }
        _ => None,
    }
}

enum KeyLeaf {
    Deci(BigUint),
    Idnt(String),
    Cord(String),
}

fn sons_heir(sons: &[Value], heir: Option<Value>) -> Vec<Value> {
    let mut v = sons.to_vec();
    v.extend(heir);
    v
}

fn rc(s: Sire) -> S {
    Rc::new(s)
}

impl Block<'_> {
    fn eval_err(&self, rex: Value, e: EvalError) -> Fail {
        match e {
            EvalError::Bad(m) => Fail {
                problem: Some(rex),
                reason: m,
                details: Vec::new(),
            },
            EvalError::Crash(c) => Fail {
                problem: Some(rex),
                reason: match c.kind {
                    pallas_runtime::CrashKind::OutOfMemory(_) => "out of memory".into(),
                    _ => "crash".into(),
                },
                details: vec![c.describe()],
            },
        }
    }

    fn st_err(&self, rex: Value) -> impl Fn(String) -> Fail {
        move |m| Fail {
            problem: Some(rex),
            reason: m,
            details: Vec::new(),
        }
    }

    fn leaf_nat(&mut self, k: KeyLeaf) -> Value {
        match k {
            KeyLeaf::Deci(n) => self.be.rt.nat_big(n),
            KeyLeaf::Idnt(s) | KeyLeaf::Cord(s) => self.be.rt.nat_str(&s),
        }
    }

    fn try_read_key(&mut self, rex: Value) -> Option<Value> {
        let k = try_read_key_view(&view(rex))?;
        Some(self.leaf_nat(k))
    }

    fn read_key(&mut self, rex: Value) -> R<Value> {
        match self.try_read_key(rex) {
            Some(k) => Ok(k),
            None => fail(rex, "Bad key: expected something like: 234, foo, 'foo'"),
        }
    }

    fn lookup_macro(&mut self, rune: &str) -> R<Option<Value>> {
        self.st.lookup_val(self.be.rt, rune).map_err(bad)
    }

    /// Calls a macro as `(macro state rex err ok)` and installs the new state.
    fn expand(&mut self, mac: Value, input: Value) -> R<Value> {
        let rt = &mut *self.be.rt;
        let st = self.st.to_plan(rt).map_err(bad)?;
        let c3 = rt.cow(3);
        let on_err = rt.partial(c3, &[Value::small(0)]);
        let on_ok = rt.partial(c3, &[Value::small(1)]);
        let res = rt
            .call_deep(mac, &[st, input, on_err, on_ok])
            .map_err(|c| Fail {
                problem: Some(input),
                reason: "crash during macro expansion".into(),
                details: vec![c.describe()],
            })?;
        let invalid = |why: &str| Fail {
            problem: Some(input),
            reason: format!("Invalid macro expansion result({why})"),
            details: vec![pallas_runtime::print::show_short(res, 2000)],
        };
        let Some(xs) = row_elems(res) else {
            return Err(invalid("not row"));
        };
        if xs.len() != 3 {
            return Err(invalid("not arity = 3"));
        }
        match xs[2].deref().as_small() {
            Some(0) if xs[0].is_nat() => Err(Fail {
                problem: Some(xs[1]),
                reason: format!("Macro Failure: {}", state::show_key(xs[0])),
                details: Vec::new(),
            }),
            Some(1) => {
                self.st = state::State::from_plan(xs[1]).map_err(|e| Fail {
                    problem: Some(input),
                    reason: e,
                    details: Vec::new(),
                })?;
                Ok(xs[0])
            }
            Some(_) => Err(invalid("bad rex")),
            None => Err(invalid("bad tag")),
        }
    }

    // ------------------------------------------------------------------------ commands

    /// Frees what earlier definitions left behind when the heap has grown enough: the
    /// block runs with collection held, and a block of thousands of definitions would
    /// otherwise keep every intermediate state. Roots: the state, the outputs, the blocks
    /// being executed and `next`. The backend's caches are keyed by address, so they go.
    fn collect_if_due(&mut self, next: Value) {
        if !self.may_collect || !self.be.rt.heap.wants_gc() {
            return;
        }
        let mut keep = self.held.clone();
        keep.extend(self.st.roots());
        keep.push(next);
        keep.extend(self.out.iter().map(|o| match o {
            Output::Bind(_, v) | Output::Value(v) => *v,
        }));
        self.be.clear_caches();
        self.be.rt.collect(&keep);
    }

    /// Runs one top-level block.
    pub fn execute(&mut self, rex: Value) -> R<()> {
        self.held.push(rex);
        let r = self.execute_held(rex);
        self.held.pop();
        r
    }

    fn execute_held(&mut self, rex: Value) -> R<()> {
        stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
            let View::Node { rune, .. } = view(rex) else {
                return self.exec_expr(rex);
            };
            if let Some(m) = self.lookup_macro(&rune)? {
                let x = self.expand(m, rex)?;
                return self.execute(x);
            }
            match rune.as_str() {
                "=" | "#=" => self.do_define(&rune, rex),
                "*" | "#*" => {
                    if let View::Node { sons, heir, .. } = view(rex) {
                        for k in sons_heir(&sons, heir) {
                            self.execute(k)?;
                        }
                    }
                    Ok(())
                }
                "####" => self.do_enter(rex),
                "^-^" | "#^-^" => self.do_filter(&rune, rex),
                "=?=" | "#=?=" => self.do_assert(&rune, rex),
                ":|" | "#:|" => self.do_import(&rune, rex, Some(rex)),
                r if EXP_RUNES.contains(&r) => self.exec_expr(rex),
                _ => fail(rex, format!("Unbound rune: {rune}")),
            }
        })
    }

    fn exec_expr(&mut self, rex: Value) -> R<()> {
        let e = self.read_expr(&mut Vec::new(), rex)?;
        let v = self.be.eval(&e).map_err(|x| self.eval_err(rex, x))?;
        self.out.push(Output::Value(v));
        Ok(())
    }

    fn do_enter(&mut self, top: Value) -> R<()> {
        let View::Node { sons, heir, .. } = view(top) else {
            return fail(top, "impossible");
        };
        let kids = sons_heir(&sons, heir);
        let context = self.st.context;
        match kids.as_slice() {
            [enter, from] => {
                let View::Node {
                    rune,
                    sons: fs,
                    heir: None,
                    ..
                } = view(*from)
                else {
                    return fail(
                        top,
                        "Expected something like (#### foo) or (#### foo <- bar)",
                    );
                };
                if rune != "<-" || fs.len() != 1 {
                    return fail(
                        top,
                        "Expected something like (#### foo) or (#### foo <- bar)",
                    );
                }
                let target = self.read_key(*enter)?;
                let was = self.read_key(fs[0])?;
                if !order::equal(was, context) {
                    return fail(top, "That's not where we were");
                }
                self.st.switch_to_context(self.be.rt, target).map_err(bad)?;
                Ok(())
            }
            [enter] => {
                let target = self.read_key(*enter)?;
                let empty = self.st.scope.is_empty();
                if context.deref().as_small() != Some(0) || !empty {
                    return fail(top, "#### without predecessor, but not in initial state");
                }
                self.st.switch_to_context(self.be.rt, target).map_err(bad)?;
                Ok(())
            }
            _ => fail(
                top,
                "Expected something like (#### foo) or (#### foo <- bar)",
            ),
        }
    }

    fn do_filter(&mut self, ryn: &str, rex: Value) -> R<()> {
        let mut acc: Vec<Value> = Vec::new();
        let mut cur = Some(rex);
        while let Some(r) = cur {
            match view(r) {
                View::Node {
                    rune, sons, heir, ..
                } if rune == ryn => {
                    for s in sons {
                        let k = self.read_key(s)?;
                        if !acc.iter().any(|a| order::equal(*a, k)) {
                            acc.push(k);
                        }
                    }
                    cur = heir;
                }
                _ => return fail(r, "Bad export-filter syntax"),
            }
        }
        self.st
            .filter_scope(self.be.rt, &acc)
            .map_err(self.st_err(rex))?;
        Ok(())
    }

    fn do_import(&mut self, run: &str, block: Value, mut cur: Option<Value>) -> R<()> {
        while let Some(r) = cur {
            let View::Node {
                rune, sons, heir, ..
            } = view(r)
            else {
                return fail(r, "Bad import syntax");
            };
            if rune != run {
                return fail(r, "Bad import syntax");
            }
            match sons.as_slice() {
                [m] => {
                    let m = self.read_key(*m)?;
                    self.st
                        .import_module(self.be.rt, m, None)
                        .map_err(self.st_err(block))?;
                }
                [m, syms] => {
                    let View::Node {
                        rune: c,
                        sons: ss,
                        heir: None,
                        ..
                    } = view(*syms)
                    else {
                        return fail(r, "Bad import syntax");
                    };
                    if c != "," {
                        return fail(r, "Bad import syntax");
                    }
                    let m = self.read_key(*m)?;
                    let mut ks = Vec::new();
                    for s in ss {
                        ks.push(self.read_key(s)?);
                    }
                    self.st
                        .import_module(self.be.rt, m, Some(&ks))
                        .map_err(self.st_err(block))?;
                }
                _ => return fail(r, "Bad import syntax"),
            }
            cur = heir;
        }
        Ok(())
    }

    fn do_assert(&mut self, ryn: &str, rex: Value) -> R<()> {
        let View::Node {
            shape,
            rune,
            sons,
            heir,
        } = view(rex)
        else {
            return fail(rex, "impossible");
        };
        if let Some(h) = heir {
            if let View::Node { rune: sr, .. } = view(h) {
                if sr == ryn {
                    let first = self.pex.node(self.be.rt, shape, &rune, &sons, None);
                    self.do_assert(ryn, first)?;
                    return self.do_assert(ryn, h);
                }
            }
        }
        let kids = sons_heir(&sons, heir);
        let [x, y] = kids.as_slice() else {
            return fail(rex, format!("{ryn} expects two parameters"));
        };
        let xe = self.read_expr(&mut Vec::new(), *x)?;
        let ye = self.read_expr(&mut Vec::new(), *y)?;
        let xv = self.be.eval(&xe).map_err(|e| self.eval_err(*x, e))?;
        let yv = self.be.eval(&ye).map_err(|e| self.eval_err(*y, e))?;
        if !order::equal(xv, yv) {
            return Err(Fail {
                problem: Some(rex),
                reason: "ASSERTION FAILURE".into(),
                details: vec![crate::loot::show(xv, 3000), crate::loot::show(yv, 3000)],
            });
        }
        Ok(())
    }

    fn do_define(&mut self, ryn: &str, rex: Value) -> R<()> {
        let mut cur = rex;
        loop {
            let View::Node { sons, heir, .. } = view(cur) else {
                return fail(cur, "impossible");
            };
            if let Some(h) = heir {
                if let View::Node { rune: sub, .. } = view(h) {
                    if sub == ryn {
                        self.define(cur, &sons)?;
                        self.collect_if_due(h);
                        cur = h;
                        continue;
                    }
                }
            }
            return self.define(cur, &sons_heir(&sons, heir));
        }
    }

    fn define(&mut self, rex: Value, kids: &[Value]) -> R<()> {
        let (key, props, binder, body) = match kids {
            [k, p, b, e] => (self.read_key(*k)?, Some(*p), *b, *e),
            [k, b, e] => (self.read_key(*k)?, None, *b, *e),
            [b, e] => (Value::small(0), None, *b, *e),
            _ => return fail(rex, "Define cmd needs two or three parameters"),
        };
        let props = match props {
            Some(p) => Some(self.read_expr(&mut Vec::new(), p)?),
            None => None,
        };
        let (name, expr) = match self.try_read_key(binder) {
            Some(k) => (k, self.read_expr(&mut Vec::new(), body)?),
            None => match self.try_law_binder(binder) {
                Some((mark, name, args)) => {
                    let mut env: Vec<Option<Value>> = vec![Some(name)];
                    env.extend(args.iter().map(|a| Some(*a)));
                    let b = self.read_expr(&mut env, body)?;
                    let n = args.len() as u64;
                    let recr = has_ref_to(n, &b);
                    let lam = Lam {
                        pin: true,
                        mark,
                        recr,
                        tag: name,
                        args: n,
                        body: b,
                    };
                    (name, rc(Sire::F(Rc::new(lam))))
                }
                None => {
                    return fail(
                        binder,
                        "Bad binder: expected foo (foo bar), (**foo bar), etc",
                    )
                }
            },
        };
        let val = self.be.eval(&expr).map_err(|e| self.eval_err(rex, e))?;
        let prp = match props {
            Some(p) => self.be.eval(&p).map_err(|e| self.eval_err(rex, e))?,
            None => Value::small(0),
        };
        let code = to_noun(self.be.rt, &expr);
        self.st
            .insert_binding(self.be.rt, key, prp, name, val, code)
            .map_err(self.st_err(rex))?;
        self.out.push(Output::Bind(state::show_key(name), val));
        Ok(())
    }

    fn try_law_binder(&mut self, rex: Value) -> Option<(bool, Value, Vec<Value>)> {
        let View::Node {
            rune, sons, heir, ..
        } = view(rex)
        else {
            return None;
        };
        if rune != "|" {
            return None;
        }
        let kids = sons_heir(&sons, heir);
        let (h, rest) = kids.split_first()?;
        let (mark, name) = match view(*h) {
            View::Node {
                rune,
                sons,
                heir: None,
                ..
            } if rune == "**" && sons.len() == 1 => (true, self.try_read_key(sons[0])?),
            _ => (false, self.try_read_key(*h)?),
        };
        let mut args = Vec::new();
        for r in rest {
            args.push(self.try_read_key(*r)?);
        }
        Some((mark, name, args))
    }

    // ------------------------------------------------------------------------ expressions

    /// Reads an expression; `env` holds local names, its last entry is variable 0.
    pub fn read_expr(&mut self, env: &mut Vec<Option<Value>>, rex: Value) -> R<S> {
        stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
            if let View::Node { rune, .. } = view(rex) {
                if let Some(m) = self.lookup_macro(&rune)? {
                    let x = self.expand(m, rex)?;
                    return self.read_expr(env, x);
                }
            }
            self.read_prim(env, rex)
        })
    }

    fn read_prim(&mut self, env: &mut Vec<Option<Value>>, rex: Value) -> R<S> {
        match view(rex) {
            View::Embd(v) => Ok(rc(Sire::K(v))),
            View::Evil => fail(rex, "malformed rex"),
            View::Leaf {
                shape: TextShape::Line,
                text,
                heir,
            } => {
                let mut lines = vec![text];
                let mut cur = heir;
                while let Some(h) = cur {
                    match view(h) {
                        View::Leaf {
                            shape: TextShape::Line,
                            text,
                            heir,
                        } => {
                            lines.push(text);
                            cur = heir;
                        }
                        _ => return fail(h, "Mis-matched node in text block"),
                    }
                }
                let n = self.be.rt.nat_str(&lines.join("\n"));
                Ok(rc(Sire::K(n)))
            }
            View::Leaf {
                shape,
                text,
                heir: Some(h),
            } => {
                let Some(hex) = self.lookup_macro("#")? else {
                    return fail(rex, "leaf-juxtaposition, but no # macro");
                };
                let l = self.pex.leaf(self.be.rt, shape, &text, None);
                let x = self
                    .pex
                    .node(self.be.rt, RuneShape::Infx, "#", &[l, h], None);
                let y = self.expand(hex, x)?;
                self.read_expr(env, y)
            }
            v @ View::Leaf { heir: None, .. } => match try_read_key_view(&v) {
                Some(KeyLeaf::Idnt(n)) => {
                    let k = self.be.rt.nat_str(&n);
                    self.resolve(rex, env, k)
                }
                Some(KeyLeaf::Deci(n)) => Ok(rc(Sire::K(self.be.rt.nat_big(n)))),
                Some(KeyLeaf::Cord(s)) => Ok(rc(Sire::K(self.be.rt.nat_str(&s)))),
                None => match self.lookup_macro("#")? {
                    Some(hex) => {
                        let x = self
                            .pex
                            .node(self.be.rt, RuneShape::Pref, "#", &[rex], None);
                        let y = self.expand(hex, x)?;
                        self.read_expr(env, y)
                    }
                    None => fail(rex, "don't know how to parse this leaf"),
                },
            },
            View::Node {
                rune, sons, heir, ..
            } => {
                let ks = sons_heir(&sons, heir);
                let r = rune
                    .strip_prefix('#')
                    .filter(|r| !r.is_empty())
                    .unwrap_or(&rune);
                match r {
                    "|" | "-" => self.read_app(env, rex, &ks),
                    "**" => match ks.as_slice() {
                        [x] => Ok(rc(Sire::M(self.read_expr(env, *x)?))),
                        _ => fail(rex, "This needs to have only one parameter"),
                    },
                    "@" => self.read_let(env, rex, &ks),
                    "@@" => self.read_letrec(env, rex, &ks),
                    "^" => self.read_ket(env, rex, &ks),
                    "&" => self.read_anon(env, rex, &ks),
                    "?" => self.read_lam(env, rex, false, &ks),
                    "??" => self.read_lam(env, rex, true, &ks),
                    "." => self.read_refr(env, rex, &ks),
                    _ => fail(rex, format!("Undefined rune: {rune}")),
                }
            }
        }
    }

    fn read_app(&mut self, env: &mut Vec<Option<Value>>, rex: Value, ks: &[Value]) -> R<S> {
        let Some((f, xs)) = ks.split_first() else {
            return fail(rex, "empty application");
        };
        let mut acc = self.read_expr(env, *f)?;
        for x in xs {
            let x = self.read_expr(env, *x)?;
            acc = rc(Sire::A(acc, x));
        }
        Ok(acc)
    }

    fn with_names<T>(
        &mut self,
        env: &mut Vec<Option<Value>>,
        names: &[Option<Value>],
        f: impl FnOnce(&mut Self, &mut Vec<Option<Value>>) -> T,
    ) -> T {
        let n = env.len();
        env.extend_from_slice(names);
        let r = f(self, env);
        env.truncate(n);
        r
    }

    fn read_let(&mut self, env: &mut Vec<Option<Value>>, rex: Value, ks: &[Value]) -> R<S> {
        let [n, v, b] = ks else {
            return fail(rex, "Three paramaters are required");
        };
        let n = self.read_key(*n)?;
        let v = self.read_expr(env, *v)?;
        let b = self.with_names(env, &[Some(n)], |s, e| s.read_expr(e, *b))?;
        Ok(rc(Sire::L(v, b)))
    }

    fn read_letrec(&mut self, env: &mut Vec<Option<Value>>, rex: Value, ks: &[Value]) -> R<S> {
        let [vsr, br] = ks else {
            return fail(rex, "Two paramaters are required");
        };
        let mut binds: Vec<(Value, Value)> = Vec::new();
        let mut cur = Some(*vsr);
        while let Some(c) = cur {
            match view(c) {
                View::Node {
                    rune, sons, heir, ..
                } if rune == "=" && sons.len() == 2 => {
                    let k = self.read_key(sons[0])?;
                    binds.push((k, sons[1]));
                    cur = heir;
                }
                _ => return fail(rex, "Invalid (=) bind-seq"),
            }
        }
        // binds[0] is variable 0: push in reverse so it ends up last.
        let names: Vec<Option<Value>> = binds.iter().rev().map(|(k, _)| Some(*k)).collect();
        self.with_names(env, &names, |s, e| {
            let mut vs = Vec::new();
            for (_, b) in &binds {
                vs.push(s.read_expr(e, *b)?);
            }
            let b = s.read_expr(e, *br)?;
            Ok(rc(Sire::R(vs, b)))
        })
    }

    fn read_ket(&mut self, env: &mut Vec<Option<Value>>, rex: Value, ks: &[Value]) -> R<S> {
        if ks.len() < 2 {
            return fail(rex, "Needs at least two paramaters");
        }
        let (last, init) = ks.split_last().ok_or_else(|| bad("impossible"))?;
        let v = self.read_expr(env, *last)?;
        let us = self.be.rt.nat_str("_");
        let b = self.with_names(env, &[Some(us)], |s, e| s.read_app(e, rex, init))?;
        Ok(rc(Sire::L(v, b)))
    }

    fn read_anon_sig(&mut self, sig: Value) -> R<Vec<Value>> {
        match view(sig) {
            View::Node {
                rune, sons, heir, ..
            } if rune == "|" => {
                let mut v = Vec::new();
                for k in sons_heir(&sons, heir) {
                    v.push(self.read_key(k)?);
                }
                Ok(v)
            }
            View::Leaf { .. } => Ok(vec![self.read_key(sig)?]),
            _ => fail(sig, "Expected something like: (x y z)"),
        }
    }

    fn read_anon(&mut self, env: &mut Vec<Option<Value>>, rex: Value, ks: &[Value]) -> R<S> {
        let (tag, sig, bod) = match ks {
            [sig, bod] => (Value::small(0), *sig, *bod),
            [t, sig, bod] => (self.read_key(*t)?, *sig, *bod),
            _ => return fail(rex, "Expected two or three parameters"),
        };
        let names = self.read_anon_sig(sig)?;
        let mut ns: Vec<Option<Value>> = vec![None];
        ns.extend(names.iter().map(|n| Some(*n)));
        let body = self.with_names(env, &ns, |s, e| s.read_expr(e, bod))?;
        Ok(rc(Sire::F(Rc::new(Lam {
            pin: false,
            mark: false,
            recr: false,
            tag,
            args: names.len() as u64,
            body,
        }))))
    }

    fn read_wut_sig(&mut self, sig: Value) -> R<(bool, Value, Vec<Value>)> {
        let kids = match view(sig) {
            View::Leaf { .. } => return Ok((false, self.read_key(sig)?, Vec::new())),
            View::Node {
                rune, sons, heir, ..
            } if rune == "|" => sons_heir(&sons, heir),
            _ => return fail(sig, "Expecting something like: (f x y)"),
        };
        let Some((h, xs)) = kids.split_first() else {
            return fail(sig, "Expected at least one parameter");
        };
        let (mark, f) = match view(*h) {
            View::Node {
                rune, sons, heir, ..
            } if rune == "**" => match sons_heir(&sons, heir).as_slice() {
                [x] => (true, self.read_key(*x)?),
                _ => return fail(*h, "Expected something like **x"),
            },
            _ => (false, self.read_key(*h)?),
        };
        let mut args = Vec::new();
        for x in xs {
            args.push(self.read_key(*x)?);
        }
        Ok((mark, f, args))
    }

    fn read_lam(
        &mut self,
        env: &mut Vec<Option<Value>>,
        rex: Value,
        pin: bool,
        ks: &[Value],
    ) -> R<S> {
        let (tag, sig, bod) = match ks {
            [sig, bod] => (None, *sig, *bod),
            [t, sig, bod] => (Some(self.read_key(*t)?), *sig, *bod),
            _ => return fail(rex, "Expected two or three parameters"),
        };
        let (mark, f, args) = self.read_wut_sig(sig)?;
        let mut ns: Vec<Option<Value>> = vec![Some(f)];
        ns.extend(args.iter().map(|n| Some(*n)));
        let body = self.with_names(env, &ns, |s, e| s.read_expr(e, bod))?;
        let n = args.len() as u64;
        let recr = has_ref_to(n, &body);
        Ok(rc(Sire::F(Rc::new(Lam {
            pin,
            mark,
            recr,
            tag: tag.unwrap_or(f),
            args: n,
            body,
        }))))
    }

    fn read_refr(&mut self, env: &mut [Option<Value>], rex: Value, ks: &[Value]) -> R<S> {
        match ks {
            [x] => {
                let n = self.read_key(*x)?;
                self.resolve(rex, env, n)
            }
            [m, n] => {
                let m = self.read_key(*m)?;
                let n = self.read_key(*n)?;
                let found = self
                    .be
                    .rt
                    .tab_lookup(self.st.modules, m)
                    .and_then(state::pin_item)
                    .and_then(|sc| self.be.rt.tab_lookup(sc, n));
                match found {
                    Some(b) => Ok(rc(Sire::G(b))),
                    None => fail(
                        rex,
                        format!(
                            "Unresolved symbol: {}.{}",
                            state::show_key(m),
                            state::show_key(n)
                        ),
                    ),
                }
            }
            _ => fail(rex, "Needs one or two parameters"),
        }
    }

    fn resolve(&mut self, rex: Value, env: &[Option<Value>], sym: Value) -> R<S> {
        if let Some(pos) = env
            .iter()
            .rposition(|n| n.is_some_and(|n| order::equal(n, sym)))
        {
            return Ok(rc(Sire::V((env.len() - 1 - pos) as u64)));
        }
        match self.st.lookup_bind(self.be.rt, sym) {
            Some(b) => Ok(rc(Sire::G(b))),
            None => fail(rex, format!("Unresolved symbol: {}", state::show_key(sym))),
        }
    }
}

/// Whether `v` is a nat (helper for callers).
pub fn is_nat(v: Value) -> bool {
    nat::to_u64(v).is_some() || v.deref().is_nat()
}
