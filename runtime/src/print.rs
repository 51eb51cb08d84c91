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

/// What is left to print: a value, a separator (dropped once the output is cut short) or a
/// closing bracket (always printed, so a cut value still reads as balanced).
enum Task {
    Value(Value),
    Sep(&'static str),
    Close(&'static str),
}

/// Prints with a work list (values of any depth print without recursion); past about
/// `max` characters the rest becomes `...`.
fn print(v: Value, max: usize) -> String {
    let mut out = String::new();
    let mut cut = false;
    let mut work = vec![Task::Value(v)];
    while let Some(t) = work.pop() {
        let v = match t {
            Task::Close(s) => {
                out.push_str(s);
                continue;
            }
            Task::Sep(s) => {
                if !cut {
                    out.push_str(s);
                }
                continue;
            }
            Task::Value(_) if cut => continue,
            Task::Value(v) => v.deref(),
        };
        if out.len() > max {
            out.push_str("...");
            cut = true;
            continue;
        }
        if let Some(n) = v.as_small() {
            let _ = write!(out, "{n}");
            continue;
        }
        match v.kind() {
            Some(Kind::Nat(n)) => out.push_str(&nat::decimal(n)),
            Some(Kind::Pin(p)) => {
                out.push('<');
                work.push(Task::Close(">"));
                work.push(Task::Value(p.item()));
            }
            Some(Kind::Law(l)) => {
                out.push('{');
                work.push(Task::Close("}"));
                work.push(Task::Value(l.body));
                work.push(Task::Sep(" "));
                work.push(Task::Value(l.arity_nat));
                work.push(Task::Sep(" "));
                match word_name(l.name) {
                    Some(w) if l.name.as_small() != Some(0) => out.push_str(&w),
                    _ => work.push(Task::Value(l.name)),
                }
            }
            Some(Kind::App(a)) => {
                out.push('(');
                work.push(Task::Close(")"));
                for &x in a.args().iter().rev() {
                    work.push(Task::Value(x));
                    work.push(Task::Sep(" "));
                }
                work.push(Task::Value(a.head));
            }
            Some(Kind::Thunk(t)) => match t.state() {
                ThunkState::Done(w) => work.push(Task::Value(w)),
                _ => out.push('?'),
            },
            None => {}
        }
    }
    out
}

/// Prints a value (unevaluated thunks print as `?`).
pub fn show(v: Value) -> String {
    print(v, usize::MAX)
}

/// Prints a value, cut short with `...` after about `max` characters.
pub fn show_short(v: Value, max: usize) -> String {
    print(v, max)
}
