//! Text jets: laws of the reference's `sire/` that take a text nat (its bytes little end
//! first) apart byte by byte. As PLAN code they divide the whole nat by 256 for every byte,
//! so a text of n bytes costs n copies of up to n bytes (and, while the lazy list they build
//! is live, that much memory: a 15 KB hex literal took 700 MB). Natively they read the
//! bytes where they are stored, once.

use super::{JetOut, Native};
use crate::eval::Strict::Whnf;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// The bytes of a nat, least significant first, up to its highest non-zero byte (none for
/// 0); `None` for a value that is not a nat.
fn nat_bytes(v: Value) -> Option<Box<dyn Iterator<Item = u8>>> {
    let v = v.deref();
    if let Some(x) = v.as_small() {
        let n = (64 - x.leading_zeros() as usize).div_ceil(8);
        return Some(Box::new((0..n).map(move |i| (x >> (8 * i)) as u8)));
    }
    match v.kind() {
        Some(Kind::Nat(n)) => {
            let n: &'static num_bigint::BigUint = n;
            let len = (n.bits() as usize).div_ceil(8);
            Some(Box::new(
                n.iter_u64_digits().flat_map(|w| w.to_le_bytes()).take(len),
            ))
        }
        _ => None,
    }
}

/// `explode str`: the row of a text's bytes (the law: `listToRow (strToList str)`).
fn explode(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(bytes) = nat_bytes(a[0]) else {
        return JetOut::Fallback;
    };
    let elems: Vec<Value> = bytes.map(|b| Value::small(u64::from(b))).collect();
    JetOut::Ret(rt.row_iter(elems.into_iter()))
}

/// The reference's `hexCharToNat`: digits and letters of either case as hex digits; any
/// other byte reads as 0 (below `9`), 10 (between `9` and `a`, after lowering) or 15 (past
/// `f`), as its saturating arithmetic gives.
fn hex_digit(c: u8) -> u8 {
    if c <= b'9' {
        return c.saturating_sub(b'0');
    }
    let c = if c.is_ascii_uppercase() { c + 32 } else { c };
    10 + c.min(b'f').saturating_sub(b'a')
}

/// `barFromHex str`: the bar whose bytes the text spells in hex, newlines left out, an odd
/// count of digits read with a leading 0 (its law folds over the exploded digits pairwise).
fn bar_from_hex(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(bytes) = nat_bytes(a[0]) else {
        return JetOut::Fallback;
    };
    let mut digits: Vec<u8> = bytes.filter(|&c| c != b'\n').map(hex_digit).collect();
    if digits.len() % 2 == 1 {
        digits.insert(0, 0);
    }
    let out: Vec<u8> = digits.chunks(2).map(|p| 16 * p[0] + p[1]).collect();
    JetOut::Ret(rt.bar_from_vec(out))
}

/// The natives of this family.
pub(super) fn table() -> Vec<(&'static str, Native)> {
    vec![
        (
            "explode",
            Native {
                strict: &[Whnf],
                run: explode,
            },
        ),
        (
            "barFromHex",
            Native {
                strict: &[Whnf],
                run: bar_from_hex,
            },
        ),
    ]
}
