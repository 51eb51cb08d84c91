//! Bar jets: byte strings stored as the law `{1 1 n}` whose body is the bytes (little end
//! first) followed by a 1 byte. Each jet handles proper bars (and nat counts) natively and
//! runs the PLAN code for anything else.

use super::{JetOut, Native};
use crate::datajet::{bar_view, row_view, BarView};
use crate::eval::Strict::{Deep, Whnf};
use crate::nat::to_u64;
use crate::runtime::Runtime;
use crate::value::Value;

/// `N(x)` as a count: a nat that fits in memory, 0 for a non-nat; `None` for a nat too big.
fn count(x: Value) -> Option<u64> {
    let x = x.deref();
    if x.is_nat() {
        to_u64(x)
    } else {
        Some(0)
    }
}

/// A count clamped to `len` (a nat too big for memory is past every end).
fn clamp(x: Value, len: usize) -> usize {
    count(x).unwrap_or(u64::MAX).min(len as u64) as usize
}

/// A proper bar's bytes where they are stored, or a fallback to the PLAN code.
macro_rules! view_or_fallback {
    ($v:expr) => {
        match bar_view($v) {
            Some(b) => b,
            None => return JetOut::Fallback,
        }
    };
}

fn is_bar(_: &mut Runtime, a: &[Value]) -> JetOut {
    let _ = view_or_fallback!(a[0]);
    JetOut::Ret(Value::small(1))
}

fn bar_len(_: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[0]);
    JetOut::Ret(Value::small(b.len() as u64))
}

fn bar_is_empty(_: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[0]);
    JetOut::Ret(Value::small(b.is_empty() as u64))
}

fn bar_nat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[0]);
    JetOut::Ret(rt.nat_big(b.to_nat()))
}

fn nat_bar(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let x = a[0].deref();
    if !x.is_nat() {
        return JetOut::Fallback;
    }
    let b = crate::nat::to_bytes(x).unwrap_or_default();
    JetOut::Ret(rt.bar_from_vec(b))
}

/// `barIdx i bar`: byte `i`, or 0 past the end.
fn bar_idx(_: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[1]);
    let byte = match count(a[0]) {
        Some(i) => usize::try_from(i).ok().and_then(|i| b.get(i)).unwrap_or(0),
        None => 0,
    };
    JetOut::Ret(Value::small(byte as u64))
}

/// Bytes `from..to` of `b` as a new bar (one copy).
fn sub_bar(rt: &mut Runtime, b: BarView, from: usize, to: usize) -> Value {
    let mut out = Vec::with_capacity(to.saturating_sub(from) + 1);
    b.copy_into(from, to, &mut out);
    rt.bar_from_vec(out)
}

fn bar_take(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[1]);
    let n = clamp(a[0], b.len());
    JetOut::Ret(sub_bar(rt, b, 0, n))
}

fn bar_drop(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[1]);
    let n = clamp(a[0], b.len());
    JetOut::Ret(sub_bar(rt, b, n, b.len()))
}

/// `barSlice off wid bar`: bytes `off .. off+wid` (clamped), copied once. (Its law is
/// `barTake wid (barDrop off bar)`, which would copy the whole rest of the bar first.)
fn bar_slice(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[2]);
    let from = clamp(a[0], b.len());
    let to = from + clamp(a[1], b.len() - from);
    JetOut::Ret(sub_bar(rt, b, from, to))
}

fn bar_weld(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let x = view_or_fallback!(a[0]);
    let y = view_or_fallback!(a[1]);
    let mut out = Vec::with_capacity(x.len() + y.len() + 1);
    x.copy_into(0, x.len(), &mut out);
    y.copy_into(0, y.len(), &mut out);
    JetOut::Ret(rt.bar_from_vec(out))
}

/// `barCat row`: the bars of a row, one after another.
fn bar_cat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_view(a[0].deref()) else {
        return JetOut::Fallback;
    };
    let mut views = Vec::with_capacity(xs.len());
    for x in xs.iter() {
        views.push(view_or_fallback!(x));
    }
    let total: usize = views.iter().map(|v| v.len()).sum();
    let mut out = Vec::with_capacity(total + 1);
    for v in views {
        v.copy_into(0, v.len(), &mut out);
    }
    JetOut::Ret(rt.bar_from_vec(out))
}

/// `SOME i` or `NONE` (0).
fn maybe(rt: &mut Runtime, x: Option<u64>) -> Value {
    match x {
        Some(i) => super::natives::some(rt, Value::small(i)),
        None => Value::small(0),
    }
}

/// The byte a nat stands for when looking for it in a bar (`None`: no byte matches).
fn byte_of(x: Value) -> Option<u8> {
    x.deref().as_small().and_then(|e| u8::try_from(e).ok())
}

/// `barElemIndexEnd e b`: `SOME` the last index of byte `e` in `b`, or `NONE`.
fn bar_elem_index_end(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[1]);
    let at = byte_of(a[0]).and_then(|e| b.rposition(e));
    JetOut::Ret(maybe(rt, at.map(|i| i as u64)))
}

/// `barElemIndexOff byte off bar`: the first index from `off` holding `byte`, or the length.
/// Reads from `off` on only.
fn bar_elem_index_off(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[2]);
    let off = if a[1].is_nat() { count(a[1]) } else { None };
    let found = match (off, byte_of(a[0])) {
        (Some(o), Some(e)) if o < b.len() as u64 => b.position_from(o as usize, e),
        _ => None,
    };
    JetOut::Ret(rt.nat_u64(found.unwrap_or(b.len()) as u64))
}

/// `_BarSliceToNat off wid bar`: the nat of bytes `off .. off+wid` of the bar.
fn bar_slice_to_nat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = view_or_fallback!(a[2]);
    let (Some(off), Some(wid)) = (a[0].deref().as_small(), a[1].deref().as_small()) else {
        return JetOut::Fallback;
    };
    let start = off.min(b.len() as u64) as usize;
    let end = start + (wid.min((b.len() - start) as u64) as usize);
    let mut bytes = Vec::with_capacity(end - start);
    b.copy_into(start, end, &mut bytes);
    JetOut::Ret(rt.nat_bytes(&bytes))
}

/// `_NatToSizedBar sz nat`: the law `{1 1 (2^(8 sz) + nat)}` (a bar of `sz` bytes when `nat`
/// fits).
fn nat_to_sized_bar(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(sz) = a[0].deref().as_small().filter(|s| *s < (1 << 28)) else {
        return if a[0].is_nat() {
            JetOut::Fallback
        } else {
            JetOut::Ret(bar_law(rt, 0, a[1]))
        };
    };
    JetOut::Ret(bar_law(rt, sz, a[1]))
}

fn bar_law(rt: &mut Runtime, sz: u64, nat: Value) -> Value {
    let body = (num_bigint::BigUint::from(1u32) << (8 * sz)) + super::natives::n(nat);
    let body = rt.nat_big(body);
    rt.law(Value::small(1), Value::small(1), body)
}

/// `barFlat x`: the bars in a tree of rows (and other applications) welded in order; nats,
/// laws and pins that are not bars add nothing. Falls back on unevaluated parts.
fn bar_flat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let mut out = Vec::new();
    let mut stack = vec![a[0]];
    while let Some(x) = stack.pop() {
        let x = x.deref();
        if !x.is_whnf() {
            return JetOut::Fallback;
        }
        if let Some(b) = bar_view(x) {
            b.copy_into(0, b.len(), &mut out);
        } else if let Some(crate::value::Kind::App(app)) = x.kind() {
            // Element 0 is the last argument: push so that it is popped first.
            stack.extend(app.args().iter().copied());
        }
    }
    JetOut::Ret(rt.bar_from_vec(out))
}

/// The bar jets.
pub fn table() -> Vec<(&'static str, Native)> {
    const W1: &[crate::eval::Strict] = &[Whnf];
    const W2: &[crate::eval::Strict] = &[Whnf, Whnf];
    const D1: &[crate::eval::Strict] = &[Deep];
    vec![
        (
            "isBar",
            Native {
                strict: W1,
                run: is_bar,
            },
        ),
        (
            "barLen",
            Native {
                strict: W1,
                run: bar_len,
            },
        ),
        (
            "barIsEmpty",
            Native {
                strict: W1,
                run: bar_is_empty,
            },
        ),
        (
            "barNat",
            Native {
                strict: W1,
                run: bar_nat,
            },
        ),
        (
            "natBar",
            Native {
                strict: W1,
                run: nat_bar,
            },
        ),
        (
            "barIdx",
            Native {
                strict: W2,
                run: bar_idx,
            },
        ),
        (
            "barTake",
            Native {
                strict: W2,
                run: bar_take,
            },
        ),
        (
            "barDrop",
            Native {
                strict: W2,
                run: bar_drop,
            },
        ),
        (
            "barSlice",
            Native {
                strict: &[Whnf, Whnf, Whnf],
                run: bar_slice,
            },
        ),
        (
            "barWeld",
            Native {
                strict: W2,
                run: bar_weld,
            },
        ),
        (
            "barCat",
            Native {
                strict: D1,
                run: bar_cat,
            },
        ),
        (
            "barElemIndexEnd",
            Native {
                strict: W2,
                run: bar_elem_index_end,
            },
        ),
        (
            "barElemIndexOff",
            Native {
                strict: &[Whnf, Whnf, Whnf],
                run: bar_elem_index_off,
            },
        ),
        (
            "_BarSliceToNat",
            Native {
                strict: &[Whnf, Whnf, Whnf],
                run: bar_slice_to_nat,
            },
        ),
        (
            "_NatToSizedBar",
            Native {
                strict: W2,
                run: nat_to_sized_bar,
            },
        ),
        (
            "_Bar",
            Native {
                strict: D1,
                run: |rt, a| JetOut::Ret(rt.law(Value::small(1), Value::small(1), a[0])),
            },
        ),
        (
            "barFlat",
            Native {
                strict: W1,
                run: bar_flat,
            },
        ),
    ]
}
