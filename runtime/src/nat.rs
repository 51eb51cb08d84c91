//! Reading nats out of values.

use std::borrow::Cow;

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use crate::value::{Kind, Value};

/// The nat as a `u64`, if it is a nat that fits.
pub fn to_u64(v: Value) -> Option<u64> {
    let v = v.deref();
    if let Some(n) = v.as_small() {
        return Some(n);
    }
    match v.kind() {
        Some(Kind::Nat(n)) => n.to_u64(),
        _ => None,
    }
}

/// The nat as a bignum, or `None` if the value is not a nat.
pub fn as_big(v: Value) -> Option<Cow<'static, BigUint>> {
    let v = v.deref();
    if let Some(n) = v.as_small() {
        return Some(Cow::Owned(BigUint::from(n)));
    }
    match v.kind() {
        Some(Kind::Nat(n)) => Some(Cow::Borrowed(n)),
        _ => None,
    }
}

/// PLAN's `N(x)` on a value already in weak head normal form: the nat, or 0 for anything else.
pub fn nat_or_zero(v: Value) -> Cow<'static, BigUint> {
    as_big(v).unwrap_or(Cow::Owned(BigUint::default()))
}

/// The little-endian bytes of a nat (empty for 0), or `None` for a non-nat.
pub fn to_bytes(v: Value) -> Option<Vec<u8>> {
    let v = v.deref();
    if let Some(n) = v.as_small() {
        let mut b = n.to_le_bytes().to_vec();
        while b.last() == Some(&0) {
            b.pop();
        }
        return Some(b);
    }
    match v.kind() {
        Some(Kind::Nat(n)) => Some(n.to_bytes_le()),
        _ => None,
    }
}

/// The UTF-8 text a nat spells, if it is a nat whose bytes are valid UTF-8.
pub fn to_text(v: Value) -> Option<String> {
    String::from_utf8(to_bytes(v)?).ok()
}

/// The 64-bit little-endian words of a nat (empty for 0).
pub fn to_words(n: &BigUint) -> Vec<u64> {
    n.to_u64_digits()
}

/// Number of bits needed for a nat (0 for 0).
pub fn bit_width(v: Value) -> u64 {
    let v = v.deref();
    if let Some(n) = v.as_small() {
        return 64 - n.leading_zeros() as u64;
    }
    match v.kind() {
        Some(Kind::Nat(n)) => n.bits(),
        _ => 0,
    }
}

/// The decimal digits of a nat (in time about n log² n, see [`crate::decimal`]).
pub fn decimal(n: &BigUint) -> String {
    crate::decimal::to_decimal(n)
}
