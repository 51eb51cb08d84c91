//! Recognising the data-jet shapes (rows, bars, sets, tabs, cows) in ordinary PLAN values.
//!
//! Rows, sets and tabs are not separate representations: a row is the partial application of
//! a cow law to its elements (last element applied first), a set is a law whose body is a
//! sorted row, a tab a set applied to a row of values. Laws record their shape when built, so
//! recognising any of these is a constant-time check.

use crate::nat;
use crate::value::{Kind, LawShape, Value};

/// What a normal value is, as the hash and seed encodings classify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A nat.
    Nat,
    /// A pin.
    Pin,
    /// A law with no data-jet shape.
    Law,
    /// An application that is no row or tab.
    App,
    /// A bar (`{1 1 N}`).
    Bar,
    /// A row constructor `{0 n+1 0}`, n >= 1.
    Cow(u64),
    /// A row (including the empty row `{0 1 0}`).
    Row,
    /// A set (`{1 2 row}`).
    Set,
    /// A tab (`(set row)` of equal lengths).
    Tab,
}

/// Classifies a value (following finished thunks).
pub fn shape(v: Value) -> Shape {
    let v = v.deref();
    if v.is_small() {
        return Shape::Nat;
    }
    match v.kind() {
        Some(Kind::Nat(_)) | None => Shape::Nat,
        Some(Kind::Pin(_)) => Shape::Pin,
        Some(Kind::Law(l)) => match l.shape {
            LawShape::Plain => Shape::Law,
            LawShape::EmptyRow => Shape::Row,
            LawShape::Cow(n) => Shape::Cow(n),
            LawShape::Bar => Shape::Bar,
            LawShape::Set(_) => Shape::Set,
        },
        Some(Kind::App(a)) => {
            if is_tab_parts(a.head, a.args()) {
                Shape::Tab
            } else if is_row_parts(a.head, a.args()) {
                Shape::Row
            } else {
                Shape::App
            }
        }
        Some(Kind::Thunk(_)) => Shape::App,
    }
}

fn law_shape(v: Value) -> Option<LawShape> {
    match v.deref().kind() {
        Some(Kind::Law(l)) => Some(l.shape),
        _ => None,
    }
}

fn is_row_parts(head: Value, args: &[Value]) -> bool {
    matches!(law_shape(head), Some(LawShape::Cow(n)) if n == args.len() as u64)
}

fn is_tab_parts(head: Value, args: &[Value]) -> bool {
    match (law_shape(head), args) {
        (Some(LawShape::Set(n)), [vals]) => row_len(*vals) == Some(n),
        _ => false,
    }
}

/// The length of a row, or `None` if the value is not a row.
pub fn row_len(v: Value) -> Option<u64> {
    let v = v.deref();
    match v.kind() {
        Some(Kind::Law(l)) if l.shape == LawShape::EmptyRow => Some(0),
        Some(Kind::App(a)) if is_row_parts(a.head, a.args()) => Some(a.args().len() as u64),
        _ => None,
    }
}

/// The elements of a row in index order (index 0 is the last applied argument).
pub fn row_elems(v: Value) -> Option<Vec<Value>> {
    let v = v.deref();
    match v.kind() {
        Some(Kind::Law(l)) if l.shape == LawShape::EmptyRow => Some(Vec::new()),
        Some(Kind::App(a)) if is_row_parts(a.head, a.args()) => {
            Some(a.args().iter().rev().map(|x| x.deref()).collect())
        }
        _ => None,
    }
}

/// The keys of a set in ascending order.
pub fn set_keys(v: Value) -> Option<Vec<Value>> {
    match v.deref().kind() {
        Some(Kind::Law(l)) if matches!(l.shape, LawShape::Set(_)) => row_elems(l.body),
        _ => None,
    }
}

/// The keys (ascending) and values of a tab.
pub fn tab_parts(v: Value) -> Option<(Vec<Value>, Vec<Value>)> {
    match v.deref().kind() {
        Some(Kind::App(a)) if is_tab_parts(a.head, a.args()) => {
            Some((set_keys(a.head)?, row_elems(a.args()[0])?))
        }
        _ => None,
    }
}

/// Whether a nat is a valid bar body: nonzero, and its bit width minus one is a multiple of 8.
pub fn is_bar_nat(v: Value) -> bool {
    let v = v.deref();
    if !v.is_nat() {
        return false;
    }
    let w = nat::bit_width(v);
    w > 0 && (w - 1).is_multiple_of(8)
}

/// The bytes of a bar.
pub fn bar_bytes(v: Value) -> Option<Vec<u8>> {
    match v.deref().kind() {
        Some(Kind::Law(l)) if l.shape == LawShape::Bar => {
            let mut b = nat::to_bytes(l.body)?;
            b.pop();
            Some(b)
        }
        _ => None,
    }
}
