//! Bar jets: byte strings stored as the law `{1 1 n}` whose body is the bytes (little end
//! first) followed by a 1 byte. Each jet handles proper bars (and nat counts) natively and
//! runs the PLAN code for anything else.

use super::{JetOut, Native};
use crate::datajet::{bar_bytes, row_elems};
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

/// The bytes of a proper bar, or a fallback to the PLAN code.
macro_rules! bytes_or_fallback {
    ($v:expr) => {
        match bar_bytes($v) {
            Some(b) => b,
            None => return JetOut::Fallback,
        }
    };
}

fn is_bar(_: &mut Runtime, a: &[Value]) -> JetOut {
    let _ = bytes_or_fallback!(a[0]);
    JetOut::Ret(Value::small(1))
}

fn bar_len(_: &mut Runtime, a: &[Value]) -> JetOut {
    let b = bytes_or_fallback!(a[0]);
    JetOut::Ret(Value::small(b.len() as u64))
}

fn bar_is_empty(_: &mut Runtime, a: &[Value]) -> JetOut {
    let b = bytes_or_fallback!(a[0]);
    JetOut::Ret(Value::small(b.is_empty() as u64))
}

fn bar_nat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = bytes_or_fallback!(a[0]);
    JetOut::Ret(rt.nat_bytes(&b))
}

fn nat_bar(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let x = a[0].deref();
    if !x.is_nat() {
        return JetOut::Fallback;
    }
    let mut b = crate::nat::to_bytes(x).unwrap_or_default();
    while b.last() == Some(&0) {
        b.pop();
    }
    JetOut::Ret(rt.bar(&b))
}

/// `barIdx i bar`: byte `i`, or 0 past the end.
fn bar_idx(_: &mut Runtime, a: &[Value]) -> JetOut {
    let b = bytes_or_fallback!(a[1]);
    let byte = match count(a[0]) {
        Some(i) => b.get(i as usize).copied().unwrap_or(0),
        None => 0,
    };
    JetOut::Ret(Value::small(byte as u64))
}

fn bar_take(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = bytes_or_fallback!(a[1]);
    let n = count(a[0]).unwrap_or(u64::MAX).min(b.len() as u64) as usize;
    JetOut::Ret(rt.bar(&b[..n]))
}

fn bar_drop(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let b = bytes_or_fallback!(a[1]);
    let n = count(a[0]).unwrap_or(u64::MAX).min(b.len() as u64) as usize;
    JetOut::Ret(rt.bar(&b[n..]))
}

fn bar_weld(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let mut x = bytes_or_fallback!(a[0]);
    let y = bytes_or_fallback!(a[1]);
    x.extend_from_slice(&y);
    JetOut::Ret(rt.bar(&x))
}

/// `barCat row`: the bars of a row, one after another.
fn bar_cat(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(xs) = row_elems(a[0].deref()) else {
        return JetOut::Fallback;
    };
    let mut out = Vec::new();
    for x in xs {
        out.extend_from_slice(&bytes_or_fallback!(x));
    }
    JetOut::Ret(rt.bar(&out))
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
    ]
}
