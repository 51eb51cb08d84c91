//! Decimal text of nats in sub-quadratic time. Reading splits the digits in halves at powers
//! 10^(B·2^k) (computed once) and joins them with multiplications, which for large operands
//! use an exact number-theoretic transform over three primes (num-bigint stops at Toom-3:
//! 3.4 s for two 260,000-word numbers, 0.8 s here), so it takes time about n log² n.
//! Printing is num-bigint's own (divide and conquer with Burnikel-Ziegler division), which
//! measured faster than dividing by the same powers through Barrett reduction on these
//! multiplications (16 s against 64 s for ten million digits).

use num_bigint::BigUint;

/// Digits per leaf of the recursion (converted by num-bigint, which is fast at this size).
const LEAF_DIGITS: usize = 1024;

/// The decimal digits of `n`.
pub fn to_decimal(n: &BigUint) -> String {
    n.to_string()
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
    let pows = Powers::up_to_digits(digits.len());
    Some(parse_rec(digits, &pows))
}

/// `10^(LEAF_DIGITS·2^k)` for each level `k`.
struct Powers {
    pows: Vec<BigUint>,
}

impl Powers {
    /// Enough levels to split `digits` digits.
    fn up_to_digits(digits: usize) -> Powers {
        let mut levels = 1;
        while LEAF_DIGITS << levels < digits {
            levels += 1;
        }
        let mut pows = vec![BigUint::from(10u32).pow(LEAF_DIGITS as u32)];
        while pows.len() < levels {
            let last = &pows[pows.len() - 1];
            pows.push(mul(last, last));
        }
        Powers { pows }
    }
}

fn parse_rec(d: &[u8], pows: &Powers) -> BigUint {
    if d.len() <= 2 * LEAF_DIGITS {
        return BigUint::parse_bytes(d, 10).unwrap_or_default();
    }
    // The largest split `LEAF_DIGITS * 2^k` shorter than the text.
    let mut k = 0;
    while (LEAF_DIGITS << (k + 1)) < d.len() {
        k += 1;
    }
    let low = LEAF_DIGITS << k;
    let (hi, lo) = d.split_at(d.len() - low);
    let h = parse_rec(hi, pows);
    let l = parse_rec(lo, pows);
    mul(&h, &pows.pows[k]) + l
}

/// Words from which a multiplication goes through the transform.
const NTT_WORDS: usize = 1500;

/// `a * b`: num-bigint's for small operands, the transform for large ones.
pub fn mul(a: &BigUint, b: &BigUint) -> BigUint {
    let (x, y) = (a.to_u64_digits(), b.to_u64_digits());
    if x.len().min(y.len()) < NTT_WORDS {
        return a * b;
    }
    let words = ntt::multiply(&x, &y);
    let mut halves = Vec::with_capacity(words.len() * 2);
    for w in words {
        halves.push(w as u32);
        halves.push((w >> 32) as u32);
    }
    BigUint::new(halves)
}

/// Exact convolution of 64-bit words modulo three primes near 2^62 (whose product exceeds
/// every coefficient of a product of up to 2^32 words), joined by the Chinese remainder
/// theorem.
mod ntt {
    /// `(p, generator of the multiplicative group)`; `p - 1` is divisible by 2^55 or more.
    const PRIMES: [(u64, u64); 3] = [
        (4_179_340_454_199_820_289, 3),
        (2_485_986_994_308_513_793, 5),
        (1_945_555_039_024_054_273, 5),
    ];

    /// Arithmetic modulo `p` in Montgomery form (`x` stands for `x·2^64 mod p`).
    #[derive(Clone, Copy)]
    pub(super) struct Field {
        p: u64,
        /// `-p^-1 mod 2^64`.
        neg_inv: u64,
        /// `2^128 mod p`.
        r2: u64,
    }

    impl Field {
        pub(super) fn new(p: u64) -> Field {
            let mut inv: u64 = 1;
            for _ in 0..6 {
                inv = inv.wrapping_mul(2u64.wrapping_sub(p.wrapping_mul(inv)));
            }
            let r = (1u128 << 64) % p as u128;
            let r2 = (r * r % p as u128) as u64;
            Field {
                p,
                neg_inv: inv.wrapping_neg(),
                r2,
            }
        }

        #[inline(always)]
        fn mul(&self, a: u64, b: u64) -> u64 {
            let t = a as u128 * b as u128;
            let m = (t as u64).wrapping_mul(self.neg_inv);
            let u = ((t + m as u128 * self.p as u128) >> 64) as u64;
            if u >= self.p {
                u - self.p
            } else {
                u
            }
        }

        #[inline(always)]
        fn add(&self, a: u64, b: u64) -> u64 {
            let s = a + b;
            if s >= self.p {
                s - self.p
            } else {
                s
            }
        }

        #[inline(always)]
        fn sub(&self, a: u64, b: u64) -> u64 {
            if a >= b {
                a - b
            } else {
                a + self.p - b
            }
        }

        /// Any 64-bit `x` (Montgomery multiplication only needs `x * r2 < p * 2^64`).
        fn enter(&self, x: u64) -> u64 {
            self.mul(x, self.r2)
        }

        fn leave(&self, x: u64) -> u64 {
            self.mul(x, 1)
        }

        fn pow(&self, mut b: u64, mut e: u64) -> u64 {
            let mut r = self.enter(1);
            while e > 0 {
                if e & 1 == 1 {
                    r = self.mul(r, b);
                }
                b = self.mul(b, b);
                e >>= 1;
            }
            r
        }

        /// The transform of `a` (length a power of two) in place; `root` is a primitive
        /// `a.len()`-th root of unity (Montgomery form).
        fn transform(&self, a: &mut [u64], root: u64) {
            let n = a.len();
            let bits = n.trailing_zeros();
            for i in 0..n {
                let j = i.reverse_bits() >> (usize::BITS - bits);
                if i < j {
                    a.swap(i, j);
                }
            }
            let mut roots = vec![0u64; n / 2];
            let mut len = 2;
            while len <= n {
                let w = self.pow(root, (n / len) as u64);
                let half = len / 2;
                roots[0] = self.enter(1);
                for j in 1..half {
                    roots[j] = self.mul(roots[j - 1], w);
                }
                for chunk in a.chunks_exact_mut(len) {
                    let (lo, hi) = chunk.split_at_mut(half);
                    for j in 0..half {
                        let u = lo[j];
                        let v = self.mul(hi[j], roots[j]);
                        lo[j] = self.add(u, v);
                        hi[j] = self.sub(u, v);
                    }
                }
                len *= 2;
            }
        }

        /// The cyclic convolution of `x` and `y` (zero-padded to `n`), modulo `p`.
        fn convolve(&self, g: u64, x: &[u64], y: &[u64], n: usize) -> Vec<u64> {
            let gm = self.enter(g);
            let root = self.pow(gm, (self.p - 1) / n as u64);
            let inv_root = self.pow(root, n as u64 - 1);
            let mut a = vec![0u64; n];
            let mut b = vec![0u64; n];
            for (d, s) in a.iter_mut().zip(x) {
                *d = self.enter(*s);
            }
            for (d, s) in b.iter_mut().zip(y) {
                *d = self.enter(*s);
            }
            self.transform(&mut a, root);
            self.transform(&mut b, root);
            for (p, q) in a.iter_mut().zip(&b) {
                *p = self.mul(*p, *q);
            }
            drop(b);
            self.transform(&mut a, inv_root);
            let n_inv = self.pow(self.enter(n as u64), self.p - 2);
            for v in a.iter_mut() {
                *v = self.leave(self.mul(*v, n_inv));
            }
            a
        }
    }

    fn inv_mod(a: u64, p: u64) -> u64 {
        let f = Field::new(p);
        f.leave(f.pow(f.enter(a), p - 2))
    }

    /// The words of `x * y` (little-endian).
    pub(super) fn multiply(x: &[u64], y: &[u64]) -> Vec<u64> {
        let len = x.len() + y.len();
        let n = len.next_power_of_two();
        // One convolution per prime, each on a thread of its own.
        let res: Vec<Vec<u64>> = std::thread::scope(|s| {
            let hs: Vec<_> = PRIMES
                .iter()
                .map(|&(p, g)| s.spawn(move || Field::new(p).convolve(g, x, y, n)))
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let (p1, p2, p3) = (PRIMES[0].0, PRIMES[1].0, PRIMES[2].0);
        let (f2, f3) = (Field::new(p2), Field::new(p3));
        // Inverses in Montgomery form: f.mul(plain, inverse) is their product, plain.
        let i12 = f2.enter(inv_mod(p1 % p2, p2));
        let i13 = f3.enter(inv_mod(p1 % p3, p3));
        let i23 = f3.enter(inv_mod(p2 % p3, p3));
        let reduce = |mut x: u64, p: u64| {
            while x >= p {
                x -= p;
            }
            x
        };
        let p12 = p1 as u128 * p2 as u128;
        let mut out = vec![0u64; len + 3];
        for i in 0..len {
            // Garner: c = v1 + v2 p1 + v3 p1 p2 with each v below its prime.
            let (r1, r2, r3) = (res[0][i], res[1][i], res[2][i]);
            let v1 = r1;
            let v2 = f2.mul(f2.sub(r2, reduce(v1, p2)), i12);
            let t = f3.mul(f3.sub(r3, reduce(v1, p3)), i13);
            let v3 = f3.mul(f3.sub(t, reduce(v2, p3)), i23);
            // c as three words: v1 + v2 p1 (< 2^125) plus v3 p12 (< 2^187).
            let low = v1 as u128 + v2 as u128 * p1 as u128;
            let hi_lo = (v3 as u128) * (p12 as u64 as u128);
            let hi_hi = (v3 as u128) * (p12 >> 64);
            // Sum = low + hi_lo + (hi_hi << 64).
            let mut acc = [0u64; 3];
            let s0 = low as u64 as u128 + hi_lo as u64 as u128;
            acc[0] = s0 as u64;
            let s1 = (low >> 64) + (hi_lo >> 64) + (hi_hi as u64 as u128) + (s0 >> 64);
            acc[1] = s1 as u64;
            acc[2] = ((hi_hi >> 64) + (s1 >> 64)) as u64;
            let mut carry = 0u128;
            for (j, w) in acc.iter().enumerate() {
                let s = out[i + j] as u128 + *w as u128 + carry;
                out[i + j] = s as u64;
                carry = s >> 64;
            }
            let mut j = i + 3;
            while carry > 0 && j < out.len() {
                let s = out[j] as u128 + carry;
                out[j] = s as u64;
                carry = s >> 64;
                j += 1;
            }
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn is_prime(n: u64) -> bool {
            let f = Field::new(n);
            let (mut d, mut s) = (n - 1, 0);
            while d % 2 == 0 {
                d /= 2;
                s += 1;
            }
            let one = f.enter(1);
            let minus_one = f.enter(n - 1);
            [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
                .iter()
                .all(|&a| {
                    let mut x = f.pow(f.enter(a), d);
                    if x == one || x == minus_one {
                        return true;
                    }
                    for _ in 1..s {
                        x = f.mul(x, x);
                        if x == minus_one {
                            return true;
                        }
                    }
                    false
                })
        }

        #[test]
        fn the_primes_are_primes_with_the_roots_the_transform_needs() {
            for (p, g) in PRIMES {
                assert!(is_prime(p), "{p}");
                assert!((p - 1).trailing_zeros() >= 55);
                // g generates the group: g^((p-1)/q) != 1 for each prime q dividing p - 1.
                let f = Field::new(p);
                let mut m = (p - 1) >> (p - 1).trailing_zeros();
                let mut qs = vec![2u64];
                let mut q = 3;
                while q * q <= m {
                    if m % q == 0 {
                        qs.push(q);
                        while m % q == 0 {
                            m /= q;
                        }
                    }
                    q += 2;
                }
                if m > 1 {
                    qs.push(m);
                }
                for q in qs {
                    assert_ne!(f.pow(f.enter(g), (p - 1) / q), f.enter(1), "{p} {g} {q}");
                }
            }
        }
    }
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

    #[test]
    fn decimal_round_trips_at_random_sizes() {
        let mut seed = 7u64;
        for digits in [
            1, 9, 20, 1023, 1024, 1025, 4097, 9_999, 30_000, 70_001, 150_000,
        ] {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let mut s: Vec<u8> = words(seed, digits)
                .iter()
                .map(|w| b'0' + (w % 10) as u8)
                .collect();
            if s[0] == b'0' && s.len() > 1 {
                s[0] = b'7';
            }
            let n = from_decimal(&s).expect("digits");
            assert!(
                n == BigUint::parse_bytes(&s, 10).expect("num-bigint"),
                "{digits}"
            );
            assert_eq!(to_decimal(&n).as_bytes(), &s[..], "{digits} digits");
        }
        // Zeros inside, powers of ten and their neighbours.
        for e in [5_000u32, 65_536, 100_000] {
            let p = BigUint::from(10u32).pow(e);
            for n in [&p - 1u32, p.clone(), &p + 1u32, &p * 7u32] {
                assert_eq!(to_decimal(&n), n.to_string());
                assert!(from_decimal(to_decimal(&n).as_bytes()) == Some(n));
            }
        }
        assert_eq!(from_decimal(b""), None);
        assert_eq!(from_decimal(b"12a"), None);
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
