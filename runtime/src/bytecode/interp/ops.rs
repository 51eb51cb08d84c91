//! Inline operations on nats and rows, done without calling a jet when the operands allow.

use crate::bytecode::BinOp;
use crate::datajet;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// Whether `N(v)` is 0 for `v` in weak head normal form (non-nats count as 0).
#[inline(always)]
pub(super) fn nat_of_is_zero(v: Value) -> bool {
    match v.as_small() {
        Some(n) => n == 0,
        None => !matches!(v.kind(), Some(Kind::Nat(_))),
    }
}

/// `op x y` when both are small nats (as stored: no thunk to follow) and the result is a
/// small nat; `None` for anything else.
#[inline(always)]
pub(super) fn small_op(op: BinOp, x: Value, y: Value) -> Option<Value> {
    let (x, y) = (x.as_small()?, y.as_small()?);
    let op = op.inline_as();
    let bit = |c: bool| Some(Value::small(c as u64));
    match op {
        BinOp::Add => x
            .checked_add(y)
            .filter(|s| *s <= crate::value::MAX_SMALL)
            .map(Value::small),
        BinOp::Sub => Some(Value::small(x.saturating_sub(y))),
        BinOp::Mul => x
            .checked_mul(y)
            .filter(|p| *p <= crate::value::MAX_SMALL)
            .map(Value::small),
        BinOp::Div => Some(Value::small(x.checked_div(y).unwrap_or(0))),
        BinOp::Mod => Some(Value::small(x.checked_rem(y).unwrap_or(x))),
        BinOp::Eql => bit(x == y),
        BinOp::Neq => bit(x != y),
        BinOp::Lth => bit(x < y),
        BinOp::Lte => bit(x <= y),
        BinOp::Gth => bit(x > y),
        BinOp::Gte => bit(x >= y),
        // Row operations and tag tests have code of their own in `inline_op`.
        BinOp::Get
        | BinOp::Idx
        | BinOp::Len
        | BinOp::Dec
        | BinOp::Inc
        | BinOp::ToNat
        | BinOp::IsApp
        | BinOp::IsNat
        | BinOp::IsLaw
        | BinOp::IsPin => None,
    }
}

/// The result of an inline operation on two values.
pub(super) enum OpResult {
    /// Done: this value (in weak head normal form).
    Value(Value),
    /// Done, but the value may still need evaluating (a row element).
    Lazy(Value),
    /// Not handled inline.
    Fallback,
}

/// A tag test on `x` (passed through `deref`): its answer when `x` is evaluated; the
/// fallback for a thunk still pending (the lazy form of the operation then builds one).
#[inline(always)]
fn tag_test(op: BinOp, x: Value) -> OpResult {
    if x.is_small() {
        return OpResult::Value(Value::small((op == BinOp::IsNat) as u64));
    }
    let is = match x.kind() {
        Some(Kind::App(_)) => op == BinOp::IsApp,
        Some(Kind::Nat(_)) => op == BinOp::IsNat,
        Some(Kind::Law(_)) => op == BinOp::IsLaw,
        Some(Kind::Pin(_)) => op == BinOp::IsPin,
        _ => return OpResult::Fallback,
    };
    OpResult::Value(Value::small(is as u64))
}

pub(super) fn small_nat(v: Value) -> Option<u64> {
    v.deref().as_small()
}

#[inline(always)]
pub(super) fn inline_op(rt: &mut Runtime, op: BinOp, a: Value, b: Value) -> OpResult {
    let (row, idx) = match op {
        BinOp::Get => (a, b),
        BinOp::Idx => (b, a),
        BinOp::Len => {
            return match datajet::row_len(a.deref()) {
                Some(k) => OpResult::Value(rt.nat_u64(k)),
                None => OpResult::Fallback,
            }
        }
        op if op.is_tag_test() => return tag_test(op, a.deref()),
        _ => {
            let (a, b) = (a.deref(), b.deref());
            if let Some(v) = small_op(op, a, b) {
                return OpResult::Value(v);
            }
            // A sum or product of two small nats past the small range (up to 2^64 - 1).
            let (Some(x), Some(y)) = (a.as_small(), b.as_small()) else {
                return OpResult::Fallback;
            };
            let wide = match op.inline_as() {
                BinOp::Add => x.checked_add(y),
                BinOp::Mul => x.checked_mul(y),
                _ => None,
            };
            return match wide {
                Some(n) => OpResult::Value(rt.nat_u64(n)),
                None => OpResult::Fallback,
            };
        }
    };
    let row = row.deref();
    let (Some(i), Some(len)) = (small_nat(idx), datajet::row_len(row)) else {
        return OpResult::Fallback;
    };
    if i >= len {
        return OpResult::Value(Value::small(0));
    }
    match row.kind() {
        Some(Kind::App(app)) => {
            let xs = app.args();
            OpResult::Lazy(xs[xs.len() - 1 - i as usize])
        }
        _ => OpResult::Fallback,
    }
}
