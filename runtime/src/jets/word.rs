//! 32- and 64-bit word jets (`w32 add32 ... rol64 iDiv64`), following the PLAN definitions
//! literally: operands are reduced mod 2^n first, `div` by zero is 0, shifts of n bits or
//! more give 0, and `sub` on an underflow computes `2^n + x - y` from the *unreduced*
//! operands (as the PLAN code does), so it can exceed the word size.

use num_bigint::BigUint;

use super::natives::{nat_ret, W1, W2};
use super::{JetOut, Native};
use crate::nat::as_big;
use crate::runtime::Runtime;
use crate::value::Value;

/// `N(x) mod 2^bits` (bits is 32 or 64).
fn w(x: Value, bits: u32) -> u64 {
    let x = x.deref();
    let raw = match x.as_small() {
        Some(s) => s,
        None => match as_big(x) {
            Some(b) => b.iter_u64_digits().next().unwrap_or(0),
            None => 0,
        },
    };
    if bits == 64 {
        raw
    } else {
        raw & ((1u64 << bits) - 1)
    }
}

fn mask(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

fn ret(rt: &mut Runtime, v: u128) -> JetOut {
    match u64::try_from(v) {
        Ok(s) => JetOut::Ret(rt.nat_u64(s)),
        Err(_) => nat_ret(rt, BigUint::from(v)),
    }
}

/// `sub` as the PLAN code has it; the result is a nat (possibly wider than the word).
fn sub_raw(x: Value, y: Value, bits: u32) -> BigUint {
    let (wx, wy) = (w(x, bits), w(y, bits));
    if wy <= wx {
        return BigUint::from(wx - wy);
    }
    let big = (BigUint::from(1u32) << bits) + crate::nat::nat_or_zero(x.deref()).into_owned();
    let y = crate::nat::nat_or_zero(y.deref()).into_owned();
    if big > y {
        big - y
    } else {
        BigUint::default()
    }
}

fn low(n: &BigUint, bits: u32) -> u64 {
    let d = n.iter_u64_digits().next().unwrap_or(0);
    if bits == 64 {
        d
    } else {
        d & ((1u64 << bits) - 1)
    }
}

fn lsh(x: u64, k: u64, bits: u32) -> u128 {
    if k >= bits as u64 {
        0
    } else {
        ((x as u128) << k) & mask(bits)
    }
}

fn rsh(x: u64, k: u64, bits: u32) -> u128 {
    if k >= bits as u64 {
        0
    } else {
        (x >> k) as u128
    }
}

fn binop(bits: u32, a: &[Value], f: fn(u128, u128) -> u128) -> u128 {
    f(w(a[0], bits) as u128, w(a[1], bits) as u128)
}

macro_rules! family {
    ($t:ident, $bits:expr) => {
        fn $t(t: &mut Vec<(&'static str, Native)>, names: [&'static str; 13]) {
            const B: u32 = $bits;
            let mut put = |name, strict, run| t.push((name, Native { strict, run }));
            put(names[0], W1, |rt, a| ret(rt, w(a[0], B) as u128));
            put(names[1], W2, |rt, a| {
                ret(rt, binop(B, a, |x, y| (x + y) & mask(B)))
            });
            put(names[2], W2, |rt, a| {
                ret(rt, binop(B, a, |x, y| (x * y) & mask(B)))
            });
            put(names[3], W2, |rt, a| {
                ret(rt, binop(B, a, |x, y| x.checked_div(y).unwrap_or(0)))
            });
            put(names[4], W2, |rt, a| ret(rt, binop(B, a, |x, y| x & y)));
            put(names[5], W2, |rt, a| ret(rt, binop(B, a, |x, y| x | y)));
            put(names[6], W2, |rt, a| ret(rt, binop(B, a, |x, y| x ^ y)));
            put(names[7], W2, |rt, a| {
                ret(rt, lsh(w(a[0], B), w(a[1], B), B))
            });
            put(names[8], W2, |rt, a| {
                ret(rt, rsh(w(a[0], B), w(a[1], B), B))
            });
            put(names[9], W2, |rt, a| {
                let (x, y) = (a[0].deref(), a[1].deref());
                let (wx, wy) = (w(x, B), w(y, B));
                if wy <= wx {
                    return ret(rt, (wx - wy) as u128);
                }
                let r = sub_raw(x, y, B);
                nat_ret(rt, r)
            });
            // ror x y = or (rsh x y) (lsh x (sub 32 y))
            put(names[10], W2, |rt, a| {
                let (wx, wy) = (w(a[0], B), w(a[1], B));
                let k = low(&sub_raw(Value::small(B as u64), a[1], B), B);
                ret(rt, rsh(wx, wy, B) | lsh(wx, k, B))
            });
            // rol x y = or (lsh x y) (rsh x (sub 32 y))
            put(names[11], W2, |rt, a| {
                let (wx, wy) = (w(a[0], B), w(a[1], B));
                let k = low(&sub_raw(Value::small(B as u64), a[1], B), B);
                ret(rt, lsh(wx, wy, B) | rsh(wx, k, B))
            });
            let _ = names[12];
        }
    };
}

family!(fam32, 32);
family!(fam64, 64);

/// Two's-complement negation mod 2^64 (`iNeg64`).
fn ineg64(x: u64) -> u64 {
    x.wrapping_neg()
}

fn idiv64(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (x, y) = (w(a[0], 64), w(a[1], 64));
    let (nx, ny) = (x > i64::MAX as u64, y > i64::MAX as u64);
    let ax = if nx { ineg64(x) } else { x };
    let ay = if ny { ineg64(y) } else { y };
    let res = ax.checked_div(ay).unwrap_or(0);
    ret(rt, if nx != ny { ineg64(res) } else { res } as u128)
}

/// The word jets.
pub fn table() -> Vec<(&'static str, Native)> {
    let mut t = Vec::new();
    fam32(
        &mut t,
        [
            "w32", "add32", "mul32", "div32", "and32", "or32", "xor32", "lsh32", "rsh32", "sub32",
            "ror32", "rol32", "",
        ],
    );
    fam64(
        &mut t,
        [
            "w64", "add64", "mul64", "div64", "and64", "or64", "xor64", "lsh64", "rsh64", "sub64",
            "ror64", "rol64", "",
        ],
    );
    t.push((
        "iDiv64",
        Native {
            strict: W2,
            run: idiv64,
        },
    ));
    t
}
