//! The powers `P_k = 10^(LEAF_DIGITS·2^k)` at which decimal reading and printing split a
//! number, with what multiplying and dividing by them needs: products through the transform
//! for large operands, the transforms of the powers themselves (kept for the levels that use
//! them many times) and their reciprocals (Barrett division).

use std::sync::OnceLock;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::One;

use super::ntt::{Spectrum, Tables};

/// Digits of `P_0`: the leaves of the recursion are converted by num-bigint.
pub(super) const LEAF_DIGITS: usize = 1024;

/// Words from which a product goes through the transform (num-bigint's Toom-3 below).
const NTT_WORDS: usize = 1200;

/// Bits from which a reciprocal is refined by Newton's method (num-bigint divides below).
const NEWTON_BITS: u64 = 64 * 1024;

/// An approximation `m` of `2^e / P_k` from below or within a hair above (good to the bits
/// its level needs), with its transform when the level keeps one.
struct Recip {
    m: BigUint,
    e: u64,
    spectrum: Option<Spectrum>,
}

/// The powers for numbers of up to `LEAF_DIGITS·2^levels` digits.
pub(super) struct Powers {
    pows: Vec<BigUint>,
    words: Vec<Vec<u64>>,
    tables: Option<Tables>,
    /// Whether level `k` is split at often enough to keep the transforms of `P_k` and of its
    /// reciprocal.
    keep: Vec<bool>,
    spectra: Vec<OnceLock<Option<Spectrum>>>,
    recips: Vec<OnceLock<Recip>>,
    /// Bits of the largest number to divide (a bound), which sets how precise the top
    /// reciprocal must be.
    max_bits: u64,
}

/// An upper bound on the words of a number of `digits` decimal digits.
fn words_for(digits: usize) -> usize {
    (digits as f64 * std::f64::consts::LOG2_10 / 64.0) as usize + 2
}

/// The transform length for products at level `k`: a number below `P_k` (or its Barrett
/// quotient estimate) times `P_k` (or its reciprocal).
fn full_len(words: usize) -> usize {
    (2 * words + 2).next_power_of_two()
}

pub(super) fn to_words(n: &BigUint) -> Vec<u64> {
    n.to_u64_digits()
}

pub(super) fn from_words(w: &[u64]) -> BigUint {
    let mut halves = Vec::with_capacity(w.len() * 2);
    for &x in w {
        halves.push(x as u32);
        halves.push((x >> 32) as u32);
    }
    BigUint::new(halves)
}

impl Powers {
    /// The levels for numbers of `digits` digits: `LEAF_DIGITS·2^levels >= digits`.
    pub(super) fn levels_for(digits: usize) -> usize {
        let mut levels = 0;
        while LEAF_DIGITS << levels < digits {
            levels += 1;
        }
        levels
    }

    /// `P_0 .. P_(levels-1)`, for numbers of up to `digits` digits.
    pub(super) fn new(digits: usize) -> Powers {
        let levels = Powers::levels_for(digits);
        let top_words = words_for(LEAF_DIGITS << levels.saturating_sub(1));
        let tables = (top_words >= NTT_WORDS).then(|| Tables::new(full_len(top_words)));
        let mut p = Powers {
            pows: Vec::new(),
            words: Vec::new(),
            tables,
            keep: (0..levels)
                .map(|k| digits > 2 * (LEAF_DIGITS << (k + 1)))
                .collect(),
            spectra: (0..levels).map(|_| OnceLock::new()).collect(),
            recips: (0..levels).map(|_| OnceLock::new()).collect(),
            max_bits: (digits as f64 * std::f64::consts::LOG2_10) as u64 + 2,
        };
        for k in 0..levels {
            let next = if k == 0 {
                BigUint::from(10u32).pow(LEAF_DIGITS as u32)
            } else {
                p.mul(&p.pows[k - 1], &p.pows[k - 1])
            };
            p.words.push(to_words(&next));
            p.pows.push(next);
        }
        p
    }

    /// The number of powers (a number below `P_levels` splits at `P_(levels-1)`).
    pub(super) fn levels(&self) -> usize {
        self.pows.len()
    }

    /// `P_k`.
    pub(super) fn pow(&self, k: usize) -> &BigUint {
        &self.pows[k]
    }

    /// `a · b`: num-bigint's for small operands, the transform for large ones.
    pub(super) fn mul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        let big = |n: &BigUint| n.bits() >= 64 * NTT_WORDS as u64;
        match &self.tables {
            Some(t) if big(a) && big(b) => from_words(&t.multiply(&to_words(a), &to_words(b))),
            _ => a * b,
        }
    }

    /// The transform of `P_k` at its level's length, when the level keeps it.
    fn spectrum(&self, k: usize) -> Option<&Spectrum> {
        self.spectra[k]
            .get_or_init(|| {
                let t = self.tables.as_ref()?;
                (self.keep[k] && self.words[k].len() >= NTT_WORDS)
                    .then(|| t.spectrum(&self.words[k], full_len(self.words[k].len())))
            })
            .as_ref()
    }

    /// `a · y` where `s` (if any) is the transform of `y`, used when `a` fills it.
    fn mul_by(&self, a: &BigUint, y: &BigUint, s: Option<&Spectrum>) -> BigUint {
        if let (Some(t), Some(s)) = (&self.tables, s) {
            let x = to_words(a);
            let len = x.len() + s.len();
            if x.len() >= NTT_WORDS && len <= s.n() && len.next_power_of_two() == s.n() {
                return from_words(&t.multiply_by(&x, s));
            }
        }
        self.mul(a, y)
    }

    /// `h · P_k`.
    pub(super) fn times(&self, h: &BigUint, k: usize) -> BigUint {
        self.mul_by(h, &self.pows[k], self.spectrum(k))
    }

    /// `(x / P_k, x % P_k)` for `x < P_k^2`.
    pub(super) fn div_rem(&self, x: &BigUint, k: usize) -> (BigUint, BigUint) {
        let p = &self.pows[k];
        if self.words[k].len() < NTT_WORDS {
            return x.div_rem(p);
        }
        // Barrett: the quotient has about t bits; with x and m cut to t + 64 bits,
        // (x·m) >> e is within a few units of it.
        let r = self.recip(k);
        let t = (x.bits() + 1).saturating_sub(p.bits());
        let a = x.bits().saturating_sub(t + 64);
        let b = r.m.bits().saturating_sub(t + 64);
        let prod = if b == 0 {
            self.mul_by(&(x >> a), &r.m, r.spectrum.as_ref())
        } else {
            self.mul(&(x >> a), &(&r.m >> b))
        };
        let mut q = shift(prod, a as i64 + b as i64 - r.e as i64);
        let mut qp = self.times(&q, k);
        while &qp > x {
            q -= 1u32;
            qp -= p;
        }
        let mut rem = x - qp;
        while &rem >= p {
            rem -= p;
            q += 1u32;
        }
        (q, rem)
    }

    /// The reciprocal of `P_k`: for the top level, by Newton's method at the precision the
    /// largest quotient needs (and the level below); below, from the one above, since
    /// `1/P_k = P_k / P_(k+1)`: one product each.
    fn recip(&self, k: usize) -> &Recip {
        self.recips[k].get_or_init(|| {
            let p = &self.pows[k];
            let s = p.bits();
            let (m, e) = if k + 1 == self.levels() {
                let below = if k == 0 { 0 } else { self.pows[k - 1].bits() };
                let quotient = (self.max_bits + 1).saturating_sub(s);
                let u = s.min(quotient.max(below) + 128);
                let sh = s - u;
                (self.reciprocal(&(p >> sh)), 2 * u + sh)
            } else {
                // m' ~ 2^e' / P_(k+1) gives P_k·m' ~ 2^e' / P_k: cut m' to s + 64 bits.
                let up = self.recip(k + 1);
                let b = up.m.bits().saturating_sub(s + 64);
                let prod = self.mul(p, &(&up.m >> b));
                let m = shift(prod, b as i64 + 2 * s as i64 - up.e as i64);
                let m = if m > BigUint::from(2u32) { m - 2u32 } else { m };
                (m, 2 * s)
            };
            let spectrum = match &self.tables {
                Some(t) if self.keep[k] && self.words[k].len() >= NTT_WORDS => {
                    Some(t.spectrum(&to_words(&m), full_len(self.words[k].len())))
                }
                _ => None,
            };
            Recip { m, e, spectrum }
        })
    }

    /// `floor(2^(2s) / a)` for `a` of `s` bits, or less by at most 8: one step of Newton's
    /// iteration `x + x(2^(2s) - a x) / 2^(2s)` from `x = y·2^(s-h)`, `y` the reciprocal of
    /// `a`'s top `h = s/2 + 32` bits. The step never overshoots and squares the error, so
    /// only the top `s - h` bits of the difference matter.
    fn reciprocal(&self, a: &BigUint) -> BigUint {
        let s = a.bits();
        let one = BigUint::one() << (2 * s);
        if s <= NEWTON_BITS {
            return one / a;
        }
        let h = s / 2 + 32;
        let y = self.reciprocal(&(a >> (s - h)));
        let e = self.mul(a, &y) << (s - h);
        // With d = |2^(2s) - a x| = d'·2^(s-2) + rest, x·d / 2^(2s) = y·d / 2^(s+h), and the
        // rest changes it by less than one.
        let x0 = y.clone() << (s - h);
        if e <= one {
            let d = (one - e) >> (s - 2);
            x0 + (self.mul(&y, &d) >> (h + 2))
        } else {
            let d = ((e - one) >> (s - 2)) + 1u32;
            x0 - ((self.mul(&y, &d) >> (h + 2)) + 1u32)
        }
    }
}

/// `x · 2^by` (a right shift for negative `by`).
fn shift(x: BigUint, by: i64) -> BigUint {
    if by >= 0 {
        x << by as u64
    } else {
        x >> (-by) as u64
    }
}
