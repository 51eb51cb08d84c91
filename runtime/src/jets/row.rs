//! Row jets. Each handles proper rows natively and falls back to the PLAN code for any
//! other shape (the PLAN definitions work on arbitrary closures, which we do not copy).

use super::natives::{bit, W1, W2};
use super::{JetOut, Native};
use crate::build::stored_replacing;
use crate::datajet::{row_view, RowView};
use crate::eval::Strict::{Lazy, Whnf};
use crate::nat::to_u64;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// `N(x)` as an index: `Some(n)` for a nat that fits, `Some(0)` for a non-nat, `None` for a
/// nat too big for memory (every such index is out of range).
fn index(x: Value) -> Option<u64> {
    let x = x.deref();
    if x.is_nat() {
        to_u64(x)
    } else {
        Some(0)
    }
}

/// A proper row's elements where they are stored, or a fallback to the PLAN code.
macro_rules! row_or_fallback {
    ($v:expr) => {
        match row_view($v) {
            Some(r) => r,
            None => return JetOut::Fallback,
        }
    };
}

/// `_Put row k v` (and `_Mut k v row`): replace element k; out of range leaves the row.
fn put(rt: &mut Runtime, row: Value, k: Value, v: Value) -> JetOut {
    let xs = row_or_fallback!(row);
    match index(k) {
        Some(i) if i < xs.len() as u64 => {
            JetOut::Ret(rt.row_stored(xs.len(), stored_replacing(xs, i as usize, v)))
        }
        _ => JetOut::Ret(row.deref()),
    }
}

/// `_Switch ix fallback branches`.
fn switch(_: &mut Runtime, a: &[Value]) -> JetOut {
    let xs = row_or_fallback!(a[2]);
    let ix = a[0].deref();
    if !ix.is_nat() {
        // `gte ix (len branches)`: any non-nat is above every nat.
        return JetOut::Eval(a[1]);
    }
    match to_u64(ix) {
        Some(i) if i < xs.len() as u64 => JetOut::Eval(xs.at(i as usize)),
        _ => JetOut::Eval(a[1]),
    }
}

/// The row of `x`'s elements then `y`'s (one copy of each).
fn welded(rt: &mut Runtime, x: RowView, y: RowView) -> Value {
    let stored = y.stored().iter().chain(x.stored()).copied();
    rt.row_stored(x.len() + y.len(), stored)
}

fn weld(rt: &mut Runtime, x: Value, y: Value) -> JetOut {
    let (a, b) = (row_or_fallback!(x), row_or_fallback!(y));
    JetOut::Ret(welded(rt, a, b))
}

fn map(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let xs = row_or_fallback!(a[1]);
    let f = a[0];
    let ys: Vec<Value> = xs.iter().map(|x| rt.apply_lazy(f, &[x])).collect();
    JetOut::Ret(rt.row(&ys))
}

/// Rows this long or longer are left to the PLAN code (which will not manage either).
const MAX_GEN: u64 = 1 << 32;

/// `_Gen n f`: the row `[f 0 ... f (n-1)]`, elements unevaluated as in the PLAN code.
fn gen(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let n = match index(a[0]) {
        Some(n) if n < MAX_GEN => n,
        _ => return JetOut::Fallback,
    };
    let f = a[1];
    let ys: Vec<Value> = (0..n)
        .map(|i| rt.apply_lazy(f, &[Value::small(i)]))
        .collect();
    JetOut::Ret(rt.row(&ys))
}

/// `sumOf f v`: the sum of `f x` over the row (non-nats count as 0), evaluated last element
/// first as the PLAN `foldr` with a strict `add` does.
fn sum_of(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let xs = row_or_fallback!(a[1]);
    let mut total = num_bigint::BigUint::default();
    for x in xs.iter().rev() {
        match rt.with_gc_held(|rt| rt.call(a[0], &[x])) {
            Ok(v) => total += crate::nat::nat_or_zero(v).into_owned(),
            Err(c) => return JetOut::Fail(c),
        }
    }
    JetOut::Ret(rt.nat_big(total))
}

fn rev(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let xs = row_or_fallback!(a[0]);
    // The reversed row stores the elements first to last.
    JetOut::Ret(rt.row_stored(xs.len(), xs.iter()))
}

/// `sum`: the elements evaluated in order and added (non-nats count as 0).
fn sum(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let xs = row_or_fallback!(a[0]);
    let mut small: u64 = 0;
    let mut big = num_bigint::BigUint::default();
    for x in xs.iter() {
        let mut x = x.deref();
        if !x.is_whnf() {
            // `foldr _Add 0` evaluates the elements first to last; so does this loop.
            x = match rt.with_gc_held(|rt| rt.whnf(x)) {
                Ok(v) => v.deref(),
                Err(c) => return JetOut::Fail(c),
            };
        }
        if let Some(s) = x.as_small() {
            match small.checked_add(s) {
                Some(t) => small = t,
                None => {
                    big += small;
                    small = s;
                }
            }
        } else if let Some(Kind::Nat(n)) = x.kind() {
            big += n;
        }
    }
    big += small;
    JetOut::Ret(rt.nat_big(big))
}

/// `cat`: natively when the outer row's elements are all evaluated rows.
fn cat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let rows = row_or_fallback!(a[0]);
    let mut views = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        views.push(row_or_fallback!(r));
    }
    let total = views.iter().map(|v| v.len()).sum();
    let stored = views.iter().rev().flat_map(|v| v.stored().iter().copied());
    JetOut::Ret(rt.row_stored(total, stored))
}

fn zip(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (xs, ys) = (row_or_fallback!(a[0]), row_or_fallback!(a[1]));
    let pairs: Vec<Value> = xs
        .iter()
        .zip(ys.iter())
        .map(|(x, y)| rt.row(&[x, y]))
        .collect();
    JetOut::Ret(rt.row(&pairs))
}

/// `take n row` / `drop n row` for a nat `n`; other `n` use the PLAN code.
fn take_drop(rt: &mut Runtime, a: &[Value], take: bool) -> JetOut {
    let xs = row_or_fallback!(a[1]);
    let n = a[0].deref();
    if !n.is_nat() {
        return JetOut::Fallback;
    }
    let k = to_u64(n).map_or(xs.len(), |k| k.min(xs.len() as u64) as usize);
    let part = if take {
        xs.slice(0, k)
    } else {
        xs.slice(k, xs.len())
    };
    JetOut::Ret(rt.row_stored(part.len(), part.stored().iter().copied()))
}

/// `bsearch key row`: `2*i+1` when found at i, else `2*i` for the insertion point; both the
/// key and the probed elements are evaluated only as far as the comparisons need.
fn bsearch(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let xs = row_or_fallback!(a[1]);
    match rt.search_lazy(a[0], xs) {
        Ok(Ok(i)) => found(rt, i as u64),
        Ok(Err(i)) => not_found(rt, i as u64),
        Err(c) => JetOut::Fail(c),
    }
}

fn found(rt: &mut Runtime, i: u64) -> JetOut {
    JetOut::Ret(rt.nat_u64(i.saturating_mul(2).saturating_add(1)))
}

fn not_found(rt: &mut Runtime, i: u64) -> JetOut {
    JetOut::Ret(rt.nat_u64(i.saturating_mul(2)))
}

/// The row jets.
pub fn table() -> Vec<(&'static str, Native)> {
    let mut t: Vec<(&'static str, Native)> = Vec::new();
    let mut put_ = |name, strict, run| t.push((name, Native { strict, run }));
    put_("_Put", &[Whnf, Whnf, Lazy], |rt, a| {
        put(rt, a[0], a[1], a[2])
    });
    put_("_Mut", &[Whnf, Lazy, Whnf], |rt, a| {
        put(rt, a[2], a[0], a[1])
    });
    put_("_Switch", &[Whnf, Lazy, Whnf], switch);
    put_("_Weld", W2, |rt, a| weld(rt, a[0], a[1]));
    put_("_Map", &[Lazy, Whnf], map);
    put_("_Rev", W1, rev);
    put_("_Gen", &[Whnf, Lazy], gen);
    put_("sumOf", &[Lazy, Whnf], sum_of);
    put_("rowCons", &[Lazy, Whnf], |rt, a| {
        let xs = row_or_fallback!(a[1]);
        let stored = xs.stored().iter().copied().chain(std::iter::once(a[0]));
        JetOut::Ret(rt.row_stored(xs.len() + 1, stored))
    });
    put_("rowSnoc", &[Whnf, Lazy], |rt, a| {
        let xs = row_or_fallback!(a[0]);
        let stored = std::iter::once(a[1]).chain(xs.stored().iter().copied());
        JetOut::Ret(rt.row_stored(xs.len() + 1, stored))
    });
    put_("sum", W1, sum);
    put_("cat", W1, cat);
    put_("zip", W2, zip);
    put_("take", W2, |rt, a| take_drop(rt, a, true));
    put_("drop", W2, |rt, a| take_drop(rt, a, false));
    put_("bsearch", &[Whnf, Whnf], bsearch);
    put_("isDigit", W1, |_, a| {
        let c = a[0].deref();
        bit(c.is_nat() && to_u64(c).is_some_and(|c| (48..=57).contains(&c)))
    });
    t
}
