//! A tiny s-expression language for writing PLAN laws in tests (our own, not Sire).
//!
//! Definitions: `(def name (arg ...) body)`; the body may start with
//! `(let ((x e) ...) body)` (one letrec scope). Inside a body: a symbol is the law itself
//! (its own name), an argument, a let binding or an earlier definition (a constant pin); a
//! number or `"text"` is a constant nat; `(f x ...)` is an application; `[a b]` is a row
//! constant of constants; `(quote e)` is the value of `e` as a constant.
//! Top-level expressions (test inputs) use the same syntax and are evaluated with jets off.

use std::collections::HashMap;

use num_bigint::BigUint;
use pallas_runtime::{Runtime, Value};

#[derive(Debug, Clone)]
pub enum S {
    Atom(String),
    Num(BigUint),
    Str(String),
    List(Vec<S>),
    Row(Vec<S>),
}

pub fn parse_all(src: &str) -> Vec<S> {
    let toks = tokenize(src);
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < toks.len() {
        out.push(parse(&toks, &mut pos));
    }
    out
}

fn tokenize(src: &str) -> Vec<String> {
    let mut toks = Vec::new();
    let cs: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c == ';' {
            while i < cs.len() && cs[i] != '\n' {
                i += 1;
            }
        } else if c.is_whitespace() {
            i += 1;
        } else if "()[]".contains(c) {
            toks.push(c.to_string());
            i += 1;
        } else if c == '"' {
            let mut s = String::from("\"");
            i += 1;
            while i < cs.len() && cs[i] != '"' {
                s.push(cs[i]);
                i += 1;
            }
            i += 1;
            toks.push(s);
        } else {
            let mut s = String::new();
            while i < cs.len() && !cs[i].is_whitespace() && !"()[];".contains(cs[i]) {
                s.push(cs[i]);
                i += 1;
            }
            toks.push(s);
        }
    }
    toks
}

fn parse(toks: &[String], pos: &mut usize) -> S {
    let t = &toks[*pos];
    *pos += 1;
    match t.as_str() {
        "(" | "[" => {
            let close = if t == "(" { ")" } else { "]" };
            let mut xs = Vec::new();
            while toks[*pos] != close {
                xs.push(parse(toks, pos));
            }
            *pos += 1;
            if t == "(" {
                S::List(xs)
            } else {
                S::Row(xs)
            }
        }
        _ if t.starts_with('"') => S::Str(t[1..].to_string()),
        _ if t.chars().all(|c| c.is_ascii_digit()) => S::Num(t.parse().unwrap()),
        _ => S::Atom(t.clone()),
    }
}

/// Definitions made so far: name -> pin.
#[derive(Default)]
pub struct Env {
    pub globals: HashMap<String, Value>,
    pub order: Vec<String>,
}

fn app(rt: &mut Runtime, f: Value, x: Value) -> Value {
    rt.partial(Value::small(0), &[f, x])
}

fn quote(rt: &mut Runtime, v: Value) -> Value {
    rt.partial(Value::small(2), &[v])
}

struct Scope<'a> {
    me: &'a str,
    names: Vec<String>,
}

impl Env {
    /// Evaluates a constant expression (jets off) to normal form.
    pub fn value(&self, rt: &mut Runtime, s: &S) -> Value {
        let v = self.lazy(rt, s);
        let jets = rt.config.jets;
        rt.config.jets = false;
        let r = rt.normalize(v).expect("constant crashed");
        rt.config.jets = jets;
        rt.roots.push(r);
        r
    }

    fn lazy(&self, rt: &mut Runtime, s: &S) -> Value {
        match s {
            S::Num(n) => rt.nat_big(n.clone()),
            S::Str(t) => rt.nat_str(t),
            S::Atom(a) => *self
                .globals
                .get(a)
                .unwrap_or_else(|| panic!("unknown name {a}")),
            S::Row(xs) => {
                let vs: Vec<Value> = xs.iter().map(|x| self.value(rt, x)).collect();
                rt.row(&vs)
            }
            S::List(xs) => {
                if let Some(S::Atom(q)) = xs.first() {
                    if q == "quote" {
                        return self.value(rt, &xs[1]);
                    }
                }
                let f = self.lazy(rt, &xs[0]);
                let args: Vec<Value> = xs[1..].iter().map(|x| self.lazy(rt, x)).collect();
                let t = rt.heap.thunk(f, &args);
                rt.normalize(t).expect("constant crashed")
            }
        }
    }

    /// Processes a `(def name (args) body)` form; returns the pin.
    pub fn define(&mut self, rt: &mut Runtime, s: &S) -> Value {
        let S::List(xs) = s else { panic!("not a def") };
        let (S::Atom(name), S::List(args)) = (&xs[1], &xs[2]) else {
            panic!("bad def")
        };
        let mut names: Vec<String> = vec![name.clone()];
        for a in args {
            let S::Atom(a) = a else { panic!("bad arg") };
            names.push(a.clone());
        }
        let mut body = &xs[3];
        let mut lets: Vec<&S> = Vec::new();
        if let S::List(b) = body {
            if matches!(b.first(), Some(S::Atom(l)) if l == "let") {
                let S::List(binds) = &b[1] else {
                    panic!("bad let")
                };
                for bd in binds {
                    let S::List(p) = bd else {
                        panic!("bad binding")
                    };
                    let S::Atom(v) = &p[0] else {
                        panic!("bad binding")
                    };
                    names.push(v.clone());
                    lets.push(&p[1]);
                }
                body = &b[2];
            }
        }
        let sc = Scope { me: name, names };
        let mut b = self.expr(rt, &sc, body);
        for l in lets.iter().rev() {
            let lv = self.expr(rt, &sc, l);
            b = rt.partial(Value::small(1), &[lv, b]);
        }
        let nm = rt.nat_str(name);
        let ar = Value::small(args.len() as u64);
        let law = rt.law(nm, ar, b);
        let pin = rt.pin(law);
        rt.roots.push(pin);
        self.globals.insert(name.clone(), pin);
        self.order.push(name.clone());
        pin
    }

    fn expr(&self, rt: &mut Runtime, sc: &Scope, s: &S) -> Value {
        match s {
            S::Atom(a) => {
                if let Some(i) = sc.names.iter().rposition(|n| n == a) {
                    if i > 0 || a == sc.me {
                        return Value::small(i as u64);
                    }
                }
                let g = self.lazy(rt, s);
                quote(rt, g)
            }
            S::Num(_) | S::Str(_) | S::Row(_) => {
                let v = self.value(rt, s);
                quote(rt, v)
            }
            S::List(xs) => {
                if let Some(S::Atom(q)) = xs.first() {
                    if q == "quote" {
                        let v = self.value(rt, &xs[1]);
                        return quote(rt, v);
                    }
                }
                let mut f = self.expr(rt, sc, &xs[0]);
                for x in &xs[1..] {
                    let xv = self.expr(rt, sc, x);
                    f = app(rt, f, xv);
                }
                f
            }
        }
    }

    /// Loads a file of definitions.
    pub fn load(&mut self, rt: &mut Runtime, src: &str) {
        for s in parse_all(src) {
            self.define(rt, &s);
        }
    }
}
