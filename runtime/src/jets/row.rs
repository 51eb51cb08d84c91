//! Row jets. Each handles proper rows natively and falls back to the PLAN code for any
//! other shape (the PLAN definitions work on arbitrary closures, which we do not copy).

use super::natives::{bit, W1, W2};
use super::{JetOut, Native};
use crate::datajet::row_elems;
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

fn ret_row(rt: &mut Runtime, xs: &[Value]) -> JetOut {
    JetOut::Ret(rt.row(xs))
}

/// `_Put row k v` (and `_Mut k v row`): replace element k; out of range leaves the row.
fn put(rt: &mut Runtime, row: Value, k: Value, v: Value) -> JetOut {
    let Some(mut xs) = row_elems(row) else {
        return JetOut::Fallback;
    };
    match index(k) {
        Some(i) if (i as usize) < xs.len() && i < xs.len() as u64 => {
            xs[i as usize] = v;
            ret_row(rt, &xs)
        }
        _ => JetOut::Ret(row.deref()),
    }
}

/// `_Switch ix fallback branches`.
fn switch(_: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_elems(a[2]) else {
        return JetOut::Fallback;
    };
    let ix = a[0].deref();
    if !ix.is_nat() {
        // `gte ix (len branches)`: any non-nat is above every nat.
        return JetOut::Eval(a[1]);
    }
    match to_u64(ix) {
        Some(i) if i < xs.len() as u64 => JetOut::Eval(xs[i as usize]),
        _ => JetOut::Eval(a[1]),
    }
}

fn weld(rt: &mut Runtime, x: Value, y: Value) -> JetOut {
    match (row_elems(x), row_elems(y)) {
        (Some(mut a), Some(b)) => {
            a.extend(b);
            ret_row(rt, &a)
        }
        _ => JetOut::Fallback,
    }
}

fn map(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_elems(a[1]) else {
        return JetOut::Fallback;
    };
    let f = a[0];
    let ys: Vec<Value> = xs.iter().map(|&x| rt.apply_lazy(f, &[x])).collect();
    ret_row(rt, &ys)
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
    ret_row(rt, &ys)
}

/// `sumOf f v`: the sum of `f x` over the row (non-nats count as 0), evaluated last element
/// first as the PLAN `foldr` with a strict `add` does.
fn sum_of(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_elems(a[1]) else {
        return JetOut::Fallback;
    };
    let mut total = num_bigint::BigUint::default();
    for x in xs.iter().rev() {
        match rt.with_gc_held(|rt| rt.call(a[0], &[*x])) {
            Ok(v) => total += crate::nat::nat_or_zero(v).into_owned(),
            Err(c) => return JetOut::Fail(c),
        }
    }
    JetOut::Ret(rt.nat_big(total))
}

fn rev(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(mut xs) = row_elems(a[0]) else {
        return JetOut::Fallback;
    };
    xs.reverse();
    ret_row(rt, &xs)
}

/// `sum`: the elements evaluated in order and added (non-nats count as 0).
fn sum(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_elems(a[0]) else {
        return JetOut::Fallback;
    };
    let mut small: u64 = 0;
    let mut big = num_bigint::BigUint::default();
    for x in xs {
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
    let Some(rows) = row_elems(a[0]) else {
        return JetOut::Fallback;
    };
    let mut out = Vec::new();
    for r in rows {
        match row_elems(r) {
            Some(xs) => out.extend(xs),
            None => return JetOut::Fallback,
        }
    }
    ret_row(rt, &out)
}

fn zip(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (Some(xs), Some(ys)) = (row_elems(a[0]), row_elems(a[1])) else {
        return JetOut::Fallback;
    };
    let pairs: Vec<Value> = xs
        .iter()
        .zip(ys.iter())
        .map(|(&x, &y)| rt.row(&[x, y]))
        .collect();
    ret_row(rt, &pairs)
}

/// `take n row` / `drop n row` for a nat `n`; other `n` use the PLAN code.
fn take_drop(rt: &mut Runtime, a: &[Value], take: bool) -> JetOut {
    let Some(xs) = row_elems(a[1]) else {
        return JetOut::Fallback;
    };
    let n = a[0].deref();
    if !n.is_nat() {
        return JetOut::Fallback;
    }
    let k = to_u64(n).map_or(xs.len(), |k| k.min(xs.len() as u64) as usize);
    if take {
        ret_row(rt, &xs[..k])
    } else {
        ret_row(rt, &xs[k..])
    }
}

/// `bsearch key row`: `2*i+1` when found at i, else `2*i` for the insertion point; we answer
/// when every probed element is evaluated (the comparison is deep).
fn bsearch(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_elems(a[1]) else {
        return JetOut::Fallback;
    };
    let key = a[0];
    let (mut lo, mut hi) = (0usize, xs.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let e = xs[mid];
        if !super::natives::is_normal(e) || !super::natives::is_normal(key) {
            return JetOut::Fallback;
        }
        match crate::order::compare(key, e) {
            std::cmp::Ordering::Less => hi = mid,
            std::cmp::Ordering::Equal => return found(rt, mid as u64),
            std::cmp::Ordering::Greater => lo = mid + 1,
        }
    }
    not_found(rt, lo as u64)
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
        let one = rt.row(&[a[0]]);
        weld(rt, one, a[1])
    });
    put_("rowSnoc", &[Whnf, Lazy], |rt, a| {
        let one = rt.row(&[a[1]]);
        weld(rt, a[0], one)
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
