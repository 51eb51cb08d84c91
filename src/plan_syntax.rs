//! The small PLAN expression syntax of `pallas plan`: nats (`42`), words and quoted strings
//! as nats spelling their UTF-8 (`foo`, `"_If"`), applications `(f x ...)`, laws
//! `{name arity body}` and pins `<x>`. `;` starts a comment to the end of the line.

use num_bigint::BigUint;
use pallas_runtime::{Runtime, Value};

/// A parsed expression. Parsing, building and dropping use work lists, so nesting is
/// limited only by memory.
#[derive(Debug)]
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

impl Drop for PlanExpr {
    fn drop(&mut self) {
        fn take(e: &mut PlanExpr, out: &mut Vec<PlanExpr>) {
            match e {
                PlanExpr::Nat(_) => {}
                PlanExpr::App(xs) => out.append(xs),
                PlanExpr::Law(n, a, b) => {
                    for x in [n, a, b] {
                        out.push(std::mem::replace(&mut **x, PlanExpr::App(Vec::new())));
                    }
                }
                PlanExpr::Pin(x) => {
                    out.push(std::mem::replace(&mut **x, PlanExpr::App(Vec::new())))
                }
            }
        }
        let mut work = Vec::new();
        take(self, &mut work);
        while let Some(mut e) = work.pop() {
            take(&mut e, &mut work);
        }
    }
}

/// An open bracket: its closing byte, where it opened, and the items so far.
struct Open {
    close: u8,
    at: usize,
    items: Vec<PlanExpr>,
}

impl SyntaxError {
    /// The error with the part of `src` around it (at most 60 characters either side) and
    /// a caret under the place.
    pub fn show(&self, src: &str) -> String {
        const SIDE: usize = 60;
        let line = src.split('\n').nth(self.line - 1).unwrap_or("");
        let chars: Vec<char> = line.chars().collect();
        let at = self.col.saturating_sub(1).min(chars.len());
        let from = at.saturating_sub(SIDE);
        let to = (at + SIDE).min(chars.len());
        let pre = if from > 0 { "..." } else { "" };
        let post = if to < chars.len() { "..." } else { "" };
        let shown: String = chars[from..to].iter().collect();
        format!(
            "{self}\n  {pre}{shown}{post}\n  {}^",
            " ".repeat(pre.len() + at - from)
        )
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
        let line_start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        // In characters, so that the caret of `show` lands under non-ASCII text too.
        let col = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
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

    /// Parses one expression, with an explicit stack of open brackets.
    fn expr(&mut self) -> Result<PlanExpr, SyntaxError> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            self.skip_ws();
            let start = self.pos;
            let Some(&c) = self.src.get(self.pos) else {
                return Err(match open.last() {
                    Some(o) => self.err(
                        o.at,
                        format!(
                            "this bracket is never closed (expected `{}`)",
                            o.close as char
                        ),
                    ),
                    None => self.err(start, "expected an expression, found the end of input"),
                });
            };
            let done = match c {
                b'(' | b'{' | b'<' => {
                    self.pos += 1;
                    let close = match c {
                        b'(' => b')',
                        b'{' => b'}',
                        _ => b'>',
                    };
                    open.push(Open {
                        close,
                        at: start,
                        items: Vec::new(),
                    });
                    continue;
                }
                c if open.last().is_some_and(|o| o.close == c) => {
                    self.pos += 1;
                    let Some(o) = open.pop() else { continue };
                    self.close(o)?
                }
                _ => self.atom(c, start)?,
            };
            match open.last_mut() {
                Some(o) => o.items.push(done),
                None => return Ok(done),
            }
        }
    }

    /// The expression a closed bracket makes.
    fn close(&self, o: Open) -> Result<PlanExpr, SyntaxError> {
        let Open { close, at, items } = o;
        match close {
            b')' => match items.len() {
                0 => Err(self.err(at, "empty application `()`")),
                1 => Ok(items.into_iter().next().unwrap_or(PlanExpr::App(vec![]))),
                _ => Ok(PlanExpr::App(items)),
            },
            b'}' => {
                let [n, a, b]: [PlanExpr; 3] = items.try_into().map_err(|v: Vec<_>| {
                    self.err(
                        at,
                        format!("a law needs 3 parts {{name arity body}}, found {}", v.len()),
                    )
                })?;
                Ok(PlanExpr::Law(Box::new(n), Box::new(a), Box::new(b)))
            }
            _ => {
                let [x]: [PlanExpr; 1] = items.try_into().map_err(|v: Vec<_>| {
                    self.err(at, format!("a pin holds one value, found {}", v.len()))
                })?;
                Ok(PlanExpr::Pin(Box::new(x)))
            }
        }
    }

    /// A nat, word or string starting with `c` at `start`.
    fn atom(&mut self, c: u8, start: usize) -> Result<PlanExpr, SyntaxError> {
        match c {
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
                pallas_runtime::decimal::from_decimal(text.as_bytes())
                    .map(PlanExpr::Nat)
                    .ok_or_else(|| self.err(s, format!("`{}` is not a number", clip(text))))
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
                format!(
                    "unexpected character `{}`",
                    String::from_utf8_lossy(&self.src[start..])
                        .chars()
                        .next()
                        .unwrap_or('?')
                ),
            )),
        }
    }
}

/// `text`, or its first 40 characters and `...`.
fn clip(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Parses one expression (the whole input).
pub fn parse(src: &str) -> Result<PlanExpr, SyntaxError> {
    let mut p = Parser {
        src: src.as_bytes(),
        pos: 0,
    };
    let e = p.expr()?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.err(p.pos, "unexpected text after the expression"));
    }
    Ok(e)
}

/// Builds the lazy value of an expression: applications are thunks, `{n a b}` means
/// `(0 n a b)` and `<x>` means `(4 x)`. Post-order with an explicit stack.
pub fn build(rt: &mut Runtime, e: &PlanExpr) -> Value {
    let mut work: Vec<(&PlanExpr, bool)> = vec![(e, false)];
    let mut done: Vec<Value> = Vec::new();
    while let Some((e, ready)) = work.pop() {
        let kids: Vec<&PlanExpr> = match e {
            PlanExpr::Nat(n) => {
                done.push(rt.nat_big(n.clone()));
                continue;
            }
            PlanExpr::App(xs) => xs.iter().collect(),
            PlanExpr::Law(n, a, b) => vec![n, a, b],
            PlanExpr::Pin(x) => vec![x],
        };
        if !ready {
            work.push((e, true));
            work.extend(kids.iter().rev().map(|k| (*k, false)));
            continue;
        }
        let vs = done.split_off(done.len() - kids.len());
        let v = match e {
            PlanExpr::App(_) if vs.is_empty() => Value::small(0),
            PlanExpr::App(_) => rt.apply_lazy(vs[0], &vs[1..]),
            PlanExpr::Law(..) => rt.apply_lazy(Value::small(0), &vs),
            _ => rt.apply_lazy(Value::small(4), &vs),
        };
        done.push(v);
    }
    done.pop().unwrap_or(Value::small(0))
}
