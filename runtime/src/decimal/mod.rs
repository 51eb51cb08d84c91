//! Decimal text of nats in time about n log² n, in both directions, by divide and conquer at
//! the powers `P_k = 10^(1024·2^k)` (see `powers.rs`). Reading joins the two halves of the
//! digits as `high · P_k + low`; printing splits a number as `(x / P_k, x % P_k)` by Barrett
//! division (a reciprocal of each power, by Newton's method). Large products go through an
//! exact number-theoretic transform over three primes (`ntt.rs`); num-bigint stops at Toom-3.
//! The halves of the largest numbers are done on two threads.

mod ntt;
mod powers;

use num_bigint::BigUint;
use num_traits::Zero;

use powers::{Powers, LEAF_DIGITS};

/// The decimal digits of `n`.
pub fn to_decimal(n: &BigUint) -> String {
    let bits = n.bits();
    if bits < 4 * 3 * LEAF_DIGITS as u64 {
        return n.to_string();
    }
    let digits = (bits as f64 * std::f64::consts::LOG10_2) as usize + 1;
    let pw = Powers::new(digits);
    let mut out = Vec::with_capacity(digits);
    write_top(n, pw.levels(), &pw, 0, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The nat that ASCII decimal `digits` spell (`None` if any byte is not a digit, or there
/// are none).
pub fn from_decimal(digits: &[u8]) -> Option<BigUint> {
    if digits.is_empty() || !digits.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() <= 4 * LEAF_DIGITS {
        return BigUint::parse_bytes(digits, 10);
    }
    let pw = Powers::new(digits.len());
    Some(parse(digits, pw.levels(), &pw, 0))
}

/// Whether the two halves of a node this deep and this long are worth two threads.
fn parallel(depth: usize, digits: usize) -> bool {
    depth < 3 && digits >= 1 << 18
}

/// `(fa(), fb())`, on two threads when `par`.
fn both<A: Send, B: Send>(
    par: bool,
    fa: impl FnOnce() -> A + Send,
    fb: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !par {
        return (fa(), fb());
    }
    std::thread::scope(|s| {
        let h = s.spawn(fa);
        let b = fb();
        let a = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (a, b)
    })
}

/// The value of the digits `d`, at most `LEAF_DIGITS·2^level` of them.
fn parse(d: &[u8], level: usize, pw: &Powers, depth: usize) -> BigUint {
    if level == 0 || d.len() <= LEAF_DIGITS {
        return BigUint::parse_bytes(d, 10).unwrap_or_default();
    }
    let half = LEAF_DIGITS << (level - 1);
    if d.len() <= half {
        return parse(d, level - 1, pw, depth);
    }
    let (hi, lo) = d.split_at(d.len() - half);
    let (h, l) = both(
        parallel(depth, d.len()),
        || parse(hi, level - 1, pw, depth + 1),
        || parse(lo, level - 1, pw, depth + 1),
    );
    pw.times(&h, level - 1) + l
}

/// Appends the digits of `x < P_level` to `out` (no leading zeros).
fn write_top(x: &BigUint, level: usize, pw: &Powers, depth: usize, out: &mut Vec<u8>) {
    if level == 0 {
        out.extend_from_slice(x.to_string().as_bytes());
        return;
    }
    let k = level - 1;
    if x < pw.pow(k) {
        return write_top(x, k, pw, depth, out);
    }
    let (q, r) = pw.div_rem(x, k);
    let mut low = vec![b'0'; LEAF_DIGITS << k];
    both(
        parallel(depth, LEAF_DIGITS << level),
        || write_top(&q, k, pw, depth + 1, out),
        || write_padded(&r, k, pw, depth + 1, &mut low),
    );
    out.extend_from_slice(&low);
}

/// Writes the digits of `x < P_level` into `out` (`LEAF_DIGITS·2^level` bytes, all `0`),
/// with leading zeros.
fn write_padded(x: &BigUint, level: usize, pw: &Powers, depth: usize, out: &mut [u8]) {
    if x.is_zero() {
        return;
    }
    if level == 0 {
        let s = x.to_string();
        let at = out.len() - s.len();
        out[at..].copy_from_slice(s.as_bytes());
        return;
    }
    let (q, r) = pw.div_rem(x, level - 1);
    let (hi, lo) = out.split_at_mut(LEAF_DIGITS << (level - 1));
    both(
        parallel(depth, LEAF_DIGITS << level),
        || write_padded(&q, level - 1, pw, depth + 1, hi),
        || write_padded(&r, level - 1, pw, depth + 1, lo),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random words.
    fn words(seed: u64, n: usize) -> Vec<u32> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u32
            })
            .collect()
    }

    #[test]
    fn transform_multiplication_agrees_with_num_bigint() {
        let pw = Powers::new(400_000);
        let mul = |a: &BigUint, b: &BigUint| pw.mul(a, b);
        for (i, (na, nb)) in [(3000, 3000), (1600, 5000), (4097, 2049), (6000, 1500)]
            .into_iter()
            .enumerate()
        {
            let a = BigUint::new(words(i as u64 + 1, na));
            let b = BigUint::new(words(i as u64 + 100, nb));
            assert!(mul(&a, &b) == &a * &b, "{na} x {nb} words");
        }
        let all_ones = BigUint::new(vec![u32::MAX; 8000]);
        assert!(mul(&all_ones, &all_ones) == &all_ones * &all_ones);
    }

    /// Pseudo-random digits, the first not zero.
    fn digits(seed: u64, n: usize) -> Vec<u8> {
        let mut s: Vec<u8> = words(seed, n)
            .iter()
            .map(|w| b'0' + (w % 10) as u8)
            .collect();
        if s[0] == b'0' {
            s[0] = b'7';
        }
        s
    }

    /// Reads `s` and prints it back, against num-bigint both ways.
    fn check(s: &[u8], what: &str) {
        let n = from_decimal(s).expect("digits");
        let expected = BigUint::parse_bytes(s, 10).expect("num-bigint");
        assert!(n == expected, "reading {what}");
        let text = to_decimal(&n);
        assert!(text == expected.to_string(), "printing {what}");
        let trimmed = match s.iter().position(|&b| b != b'0') {
            Some(i) => &s[i..],
            None => b"0",
        };
        assert!(text.as_bytes() == trimmed, "round trip of {what}");
    }

    #[test]
    fn decimal_agrees_with_num_bigint_around_every_threshold() {
        // Each level's split size, one less and one more: 1024·2^k digits, past the leaves,
        // the transform's threshold (level 5) and the threads' (2^18 digits).
        let mut seed = 7u64;
        for k in 0..=8 {
            for d in [
                (LEAF_DIGITS << k) - 1,
                LEAF_DIGITS << k,
                (LEAF_DIGITS << k) + 1,
            ] {
                seed += 1;
                check(&digits(seed, d), &format!("{d} random digits"));
            }
        }
        for d in [
            1, 9, 10, 19, 20, 21, 4095, 4096, 4097, 12_289, 100_003, 300_007,
        ] {
            seed += 1;
            check(&digits(seed, d), &format!("{d} random digits"));
        }
    }

    #[test]
    fn decimal_agrees_with_num_bigint_on_zeros_nines_and_powers_of_ten() {
        for e in [
            1u32, 1023, 1024, 1025, 4096, 5_000, 32_767, 32_768, 32_769, 65_536, 100_000, 200_000,
        ] {
            let p = BigUint::from(10u32).pow(e);
            for n in [&p - 1u32, p.clone(), &p + 1u32, &p * 7u32, &p * &p - 1u32] {
                check(n.to_string().as_bytes(), &format!("10^{e} and around"));
            }
        }
        // Runs of zeros inside, aligned with the splits and not; leading zeros; all zeros.
        let mut s = digits(3, 150_000);
        for (at, len) in [
            (1, 40_000),
            (50_000, 32_768),
            (100_000, 1024),
            (140_000, 9_999),
        ] {
            s[at..at + len].fill(b'0');
        }
        check(&s, "runs of zeros");
        let mut z = vec![b'0'; 70_000];
        check(&z, "70,000 zeros");
        z[69_999] = b'5';
        check(&z, "zeros then 5");
        z[0] = b'1';
        check(&z, "1, zeros, 5");
        check(&vec![b'9'; 140_000], "140,000 nines");
        assert_eq!(from_decimal(b""), None);
        assert_eq!(from_decimal(b"12a"), None);
        assert_eq!(to_decimal(&BigUint::default()), "0");
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// Four million digits each way, well inside the bound (in release builds; a debug build
    /// only checks correctness at a smaller size). Quadratic reading took 54 s at this size.
    #[test]
    fn millions_of_digits_parse_and_print_in_seconds() {
        let digits = if cfg!(debug_assertions) {
            200_000
        } else {
            4_000_000
        };
        let s: Vec<u8> = (0..digits)
            .map(|i: usize| b'0' + ((i.wrapping_mul(2654435761) >> 7) % 10) as u8)
            .map(|b| if b == b'0' { b'3' } else { b })
            .collect();
        let t = std::time::Instant::now();
        let n = from_decimal(&s).expect("digits");
        let parse = t.elapsed();
        let t = std::time::Instant::now();
        let back = to_decimal(&n);
        let print = t.elapsed();
        eprintln!("{digits} digits: parse {parse:?}, print {print:?}");
        assert!(back.as_bytes() == &s[..]);
        if !cfg!(debug_assertions) {
            assert!(parse.as_secs_f64() < 20.0, "parse took {parse:?}");
            assert!(print.as_secs_f64() < 20.0, "print took {print:?}");
        }
    }
}
