//! The small PLAN expression syntax of `pallas plan`: nats (`42`), words and quoted strings
//! as nats spelling their UTF-8 (`foo`, `"_If"`), applications `(f x ...)`, laws
//! `{name arity body}` and pins `<x>`. `;` starts a comment to the end of the line.

use num_bigint::BigUint;
use pallas_runtime::{Runtime, Value};

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanExpr {
    /// A nat.
    Nat(BigUint),
    /// `(f x ...)`.
    App(Vec<PlanExpr>),
    /// `{name arity body}`.
    Law(Box<PlanExpr>, Box<PlanExpr>, Box<PlanExpr>),
    /// `<x>`.
    Pin(Box<PlanExpr>),
}

/// A syntax error at a 1-based column (and line) of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub msg: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.msg)
    }
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, at: usize, msg: impl Into<String>) -> SyntaxError {
        let before = &self.src[..at.min(self.src.len())];
        let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
        let col = at
            - before
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        SyntaxError {
            line,
            col,
            msg: msg.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b';' => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn expr(&mut self, depth: usize) -> Result<PlanExpr, SyntaxError> {
        if depth > 10_000 {
            return Err(self.err(self.pos, "expression nested too deeply"));
        }
        self.skip_ws();
        let start = self.pos;
        let Some(&c) = self.src.get(self.pos) else {
            return Err(self.err(start, "expected an expression, found the end of input"));
        };
        match c {
            b'(' => {
                self.pos += 1;
                let items = self.until(b')', depth, start)?;
                match items.len() {
                    0 => Err(self.err(start, "empty application `()`")),
                    1 => Ok(items.into_iter().next().unwrap_or(PlanExpr::App(vec![]))),
                    _ => Ok(PlanExpr::App(items)),
                }
            }
            b'{' => {
                self.pos += 1;
                let items = self.until(b'}', depth, start)?;
                let [n, a, b]: [PlanExpr; 3] = items.try_into().map_err(|v: Vec<_>| {
                    self.err(
                        start,
                        format!("a law needs 3 parts {{name arity body}}, found {}", v.len()),
                    )
                })?;
                Ok(PlanExpr::Law(Box::new(n), Box::new(a), Box::new(b)))
            }
            b'<' => {
                self.pos += 1;
                let items = self.until(b'>', depth, start)?;
                let [x]: [PlanExpr; 1] = items.try_into().map_err(|v: Vec<_>| {
                    self.err(start, format!("a pin holds one value, found {}", v.len()))
                })?;
                Ok(PlanExpr::Pin(Box::new(x)))
            }
            b'"' => {
                self.pos += 1;
                let s = self.pos;
                while self.pos < self.src.len() && self.src[self.pos] != b'"' {
                    self.pos += 1;
                }
                if self.pos >= self.src.len() {
                    return Err(self.err(start, "unterminated string"));
                }
                let bytes = &self.src[s..self.pos];
                self.pos += 1;
                Ok(PlanExpr::Nat(BigUint::from_bytes_le(bytes)))
            }
            c if c.is_ascii_digit() => {
                let s = self.pos;
                while self.pos < self.src.len() && self.src[self.pos].is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.src[s..self.pos]).unwrap_or("");
                text.parse::<BigUint>()
                    .map(PlanExpr::Nat)
                    .map_err(|_| self.err(s, format!("`{text}` is not a number")))
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let s = self.pos;
                while self.pos < self.src.len()
                    && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                Ok(PlanExpr::Nat(BigUint::from_bytes_le(
                    &self.src[s..self.pos],
                )))
            }
            b')' | b'}' | b'>' => Err(self.err(start, format!("unexpected `{}`", c as char))),
            _ => Err(self.err(
                start,
                format!("unexpected character `{}`", String::from_utf8_lossy(&[c])),
            )),
        }
    }

    fn until(
        &mut self,
        close: u8,
        depth: usize,
        open_at: usize,
    ) -> Result<Vec<PlanExpr>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.src.get(self.pos) {
                None => {
                    return Err(self.err(
                        open_at,
                        format!(
                            "this bracket is never closed (expected `{}`)",
                            close as char
                        ),
                    ))
                }
                Some(&c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.expr(depth + 1)?),
            }
        }
    }
}

/// Parses one expression (the whole input).
pub fn parse(src: &str) -> Result<PlanExpr, SyntaxError> {
    let mut p = Parser {
        src: src.as_bytes(),
        pos: 0,
    };
    let e = p.expr(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.err(p.pos, "unexpected text after the expression"));
    }
    Ok(e)
}

/// Builds the lazy value of an expression: applications are thunks, `{n a b}` means
/// `(0 n a b)` and `<x>` means `(4 x)`.
pub fn build(rt: &mut Runtime, e: &PlanExpr) -> Value {
    match e {
        PlanExpr::Nat(n) => rt.nat_big(n.clone()),
        PlanExpr::App(xs) => {
            let vs: Vec<Value> = xs.iter().map(|x| build(rt, x)).collect();
            rt.apply_lazy(vs[0], &vs[1..])
        }
        PlanExpr::Law(n, a, b) => {
            let vs = [build(rt, n), build(rt, a), build(rt, b)];
            rt.apply_lazy(Value::small(0), &vs)
        }
        PlanExpr::Pin(x) => {
            let v = build(rt, x);
            rt.apply_lazy(Value::small(4), &[v])
        }
    }
}
