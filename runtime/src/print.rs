//! Printing PLAN values in the syntax `pallas plan` reads: nats in decimal, `(f x ...)`,
//! `{name arity body}` (names that are identifiers print as words), `<item>`.

use std::fmt::Write;

use crate::nat;
use crate::value::{Kind, ThunkState, Value};

/// Whether a law name prints as a bare word: an identifier that does not start with a digit.
fn word_name(v: Value) -> Option<String> {
    let t = nat::to_text(v)?;
    let mut cs = t.chars();
    let first = cs.next()?;
    let ok = (first.is_ascii_alphabetic() || first == '_')
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(t)
}

fn go(out: &mut String, v: Value, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    if out.len() > *budget {
        out.push_str("...");
        *budget = 0;
        return;
    }
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        let v = v.deref();
        if let Some(n) = v.as_small() {
            let _ = write!(out, "{n}");
            return;
        }
        match v.kind() {
            Some(Kind::Nat(n)) => {
                let _ = write!(out, "{n}");
            }
            Some(Kind::Pin(p)) => {
                out.push('<');
                go(out, p.item, budget);
                out.push('>');
            }
            Some(Kind::Law(l)) => {
                out.push('{');
                match word_name(l.name) {
                    Some(w) if l.name.as_small() != Some(0) => out.push_str(&w),
                    _ => go(out, l.name, budget),
                }
                out.push(' ');
                go(out, l.arity_nat, budget);
                out.push(' ');
                go(out, l.body, budget);
                out.push('}');
            }
            Some(Kind::App(a)) => {
                out.push('(');
                go(out, a.head, budget);
                for &x in a.args() {
                    out.push(' ');
                    go(out, x, budget);
                }
                out.push(')');
            }
            Some(Kind::Thunk(t)) => match t.state() {
                ThunkState::Done(w) => go(out, w, budget),
                _ => out.push('?'),
            },
            None => {}
        }
    })
}

/// Prints a value (unevaluated thunks print as `?`).
pub fn show(v: Value) -> String {
    let mut s = String::new();
    let mut budget = usize::MAX;
    go(&mut s, v, &mut budget);
    s
}

/// Prints a value, cut short with `...` after about `max` characters.
pub fn show_short(v: Value, max: usize) -> String {
    let mut s = String::new();
    let mut budget = max;
    go(&mut s, v, &mut budget);
    s
}
