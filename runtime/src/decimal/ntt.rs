//! Exact products of large nats (little-endian 64-bit words) through a number-theoretic
//! transform modulo three primes below 2^62, joined by the Chinese remainder theorem (their
//! product exceeds every coefficient of a product of up to 2^32 words).
//!
//! The forward transform is decimation in frequency (natural order in, bit-reversed out) and
//! the inverse decimation in time (bit-reversed in, natural order out), so no permutation is
//! ever done. Both recurse on halves, which keeps the small stages in cache. Butterflies
//! reduce lazily (Harvey): values stay in [0, 2p) or [0, 4p), and twiddle factors are
//! multiplied by Shoup's method with a precomputed quotient, from a table that holds every
//! root of each stage contiguously.

/// `(p, generator of the multiplicative group)`; `p - 1` is divisible by 2^55 or more and
/// `4p < 2^64`.
const PRIMES: [(u64, u64); 3] = [
    (4_179_340_454_199_820_289, 3),
    (2_485_986_994_308_513_793, 5),
    (1_945_555_039_024_054_273, 5),
];

/// Transforms this short or shorter are done stage by stage (they fit in the L1/L2 cache).
const ITERATIVE: usize = 1 << 10;

/// From this length a product runs its three primes on threads of their own.
const THREADED: usize = 1 << 13;

/// `a * b mod p` for a fixed `b`, by Shoup's method: `(b, floor(b·2^64 / p))`.
#[derive(Clone, Copy)]
struct Shoup(u64, u64);

/// Arithmetic modulo one prime.
#[derive(Clone, Copy)]
struct Prime {
    p: u64,
    two_p: u64,
    /// `-p^-1 mod 2^64` (Montgomery multiplication of two transforms).
    neg_inv: u64,
}

impl Prime {
    fn new(p: u64) -> Prime {
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p.wrapping_mul(inv)));
        }
        Prime {
            p,
            two_p: 2 * p,
            neg_inv: inv.wrapping_neg(),
        }
    }

    /// `a·b mod p` (slow; for constants).
    fn mul_slow(&self, a: u64, b: u64) -> u64 {
        (a as u128 * b as u128 % self.p as u128) as u64
    }

    fn pow(&self, mut b: u64, mut e: u64) -> u64 {
        let mut r = 1;
        while e > 0 {
            if e & 1 == 1 {
                r = self.mul_slow(r, b);
            }
            b = self.mul_slow(b, b);
            e >>= 1;
        }
        r
    }

    fn shoup(&self, w: u64) -> Shoup {
        Shoup(w, (((w as u128) << 64) / self.p as u128) as u64)
    }

    /// `x·w mod p` in [0, 2p), for any 64-bit `x`.
    #[inline(always)]
    fn mul_lazy(&self, x: u64, w: Shoup) -> u64 {
        let q = ((x as u128 * w.1 as u128) >> 64) as u64;
        x.wrapping_mul(w.0).wrapping_sub(q.wrapping_mul(self.p))
    }

    /// `x·w mod p` in [0, p).
    #[inline(always)]
    fn mul_full(&self, x: u64, w: Shoup) -> u64 {
        self.below(self.mul_lazy(x, w), self.p)
    }

    /// `x - m` if `x >= m`, else `x`.
    #[inline(always)]
    fn below(&self, x: u64, m: u64) -> u64 {
        if x >= m {
            x - m
        } else {
            x
        }
    }

    /// `a·b·2^-64 mod p` in [0, p), for `a, b < p`.
    #[inline(always)]
    fn mul_mont(&self, a: u64, b: u64) -> u64 {
        let t = a as u128 * b as u128;
        let m = (t as u64).wrapping_mul(self.neg_inv);
        let u = ((t + m as u128 * self.p as u128) >> 64) as u64;
        self.below(u, self.p)
    }
}

/// The roots of unity of every stage for one prime: entry `h + j` is `w^j` with `w` a
/// primitive `2h`-th root, for `j < h` and each power of two `h` up to the table's size.
struct Roots {
    prime: Prime,
    table: Vec<Shoup>,
}

impl Roots {
    fn new(index: usize, half: usize) -> Roots {
        let (p, g) = PRIMES[index];
        let prime = Prime::new(p);
        let mut table = vec![Shoup(0, 0); 2 * half.max(1)];
        let mut h = 1;
        while h <= half {
            let w = prime.shoup(prime.pow(g, (p - 1) / (2 * h as u64)));
            table[h] = prime.shoup(1);
            for j in 1..h {
                if j % 2 == 0 {
                    table[h + j] = table[h / 2 + j / 2];
                } else {
                    table[h + j] = prime.shoup(prime.mul_full(table[h + j - 1].0, w));
                }
            }
            h *= 2;
        }
        Roots { prime, table }
    }

    /// Forward transform in place (length a power of two within the table); values in
    /// [0, 2p) stay in [0, 2p); the output is in bit-reversed order.
    fn forward(&self, a: &mut [u64]) {
        let n = a.len();
        if n <= ITERATIVE {
            let mut h = n / 2;
            while h >= 1 {
                for block in a.chunks_exact_mut(2 * h) {
                    self.forward_stage(block, h);
                }
                h /= 2;
            }
            return;
        }
        self.forward_stage(a, n / 2);
        let (lo, hi) = a.split_at_mut(n / 2);
        self.forward(lo);
        self.forward(hi);
    }

    #[inline(always)]
    fn forward_stage(&self, block: &mut [u64], h: usize) {
        let pr = self.prime;
        let (lo, hi) = block.split_at_mut(h);
        let roots = &self.table[h..2 * h];
        for ((x, y), &w) in lo.iter_mut().zip(hi.iter_mut()).zip(roots) {
            let (a, b) = (*x, *y);
            *x = pr.below(a + b, pr.two_p);
            *y = pr.mul_lazy(a + pr.two_p - b, w);
        }
    }

    /// Inverse transform (without the division by the length) in place, from bit-reversed
    /// order to natural order; values in [0, 4p) stay in [0, 4p).
    fn inverse(&self, a: &mut [u64]) {
        let n = a.len();
        if n <= ITERATIVE {
            let mut h = 1;
            while h < n {
                for block in a.chunks_exact_mut(2 * h) {
                    self.inverse_stage(block, h);
                }
                h *= 2;
            }
            return;
        }
        let (lo, hi) = a.split_at_mut(n / 2);
        self.inverse(lo);
        self.inverse(hi);
        self.inverse_stage(a, n / 2);
    }

    /// One inverse stage: the root `w^-j` is `-w^(h-j)`, so it reads the forward table
    /// backwards and swaps the sum and the difference.
    #[inline(always)]
    fn inverse_stage(&self, block: &mut [u64], h: usize) {
        let pr = self.prime;
        let (lo, hi) = block.split_at_mut(h);
        {
            let a = pr.below(lo[0], pr.two_p);
            let t = pr.below(hi[0], pr.two_p);
            lo[0] = a + t;
            hi[0] = a + pr.two_p - t;
        }
        let roots = &self.table[h + 1..2 * h];
        for ((x, y), &w) in lo[1..]
            .iter_mut()
            .zip(hi[1..].iter_mut())
            .zip(roots.iter().rev())
        {
            let a = pr.below(*x, pr.two_p);
            let t = pr.mul_lazy(*y, w);
            *x = a + pr.two_p - t;
            *y = a + t;
        }
    }

    /// The transform of `x` zero-padded to `n`, each value in [0, p).
    fn spectrum(&self, x: &[u64], n: usize) -> Vec<u64> {
        let pr = self.prime;
        let one = pr.shoup(1);
        let mut a = vec![0u64; n];
        for (d, &s) in a.iter_mut().zip(x) {
            *d = pr.mul_lazy(s, one);
        }
        self.forward(&mut a);
        for v in a.iter_mut() {
            *v = pr.below(*v, pr.p);
        }
        a
    }

    /// The cyclic convolution of `x` (zero-padded) with the spectrum `s`, modulo `p`, each
    /// value in [0, p).
    fn convolve(&self, x: &[u64], s: &[u64]) -> Vec<u64> {
        let a = self.spectrum(x, s.len());
        self.finish(a, s)
    }

    /// The cyclic convolution of `x` (zero-padded to `n`) with itself.
    fn square(&self, x: &[u64], n: usize) -> Vec<u64> {
        let a = self.spectrum(x, n);
        let b = a.clone();
        self.finish(a, &b)
    }

    /// The inverse transform of the product of two spectra, `a` and `s`.
    fn finish(&self, mut a: Vec<u64>, s: &[u64]) -> Vec<u64> {
        let pr = self.prime;
        let n = s.len();
        for (v, &w) in a.iter_mut().zip(s) {
            *v = pr.mul_mont(*v, w);
        }
        self.inverse(&mut a);
        // Undo the Montgomery factor 2^-64 and divide by n.
        let r = pr.pow(2, 64);
        let scale = pr.shoup(pr.mul_slow(r, pr.pow(n as u64 % pr.p, pr.p - 2)));
        for v in a.iter_mut() {
            *v = pr.mul_full(*v, scale);
        }
        a
    }
}

/// Root tables for the three primes, for transforms up to a given length.
pub(super) struct Tables {
    roots: [Roots; 3],
}

impl Tables {
    /// Tables for transforms of length up to `n` (a power of two).
    pub(super) fn new(n: usize) -> Tables {
        let half = n / 2;
        let roots = if n >= THREADED {
            std::thread::scope(|s| {
                let hs = [0, 1, 2].map(|i| s.spawn(move || Roots::new(i, half)));
                hs.map(|h| h.join().expect("root table"))
            })
        } else {
            [0, 1, 2].map(|i| Roots::new(i, half))
        };
        Tables { roots }
    }

    /// The longest transform these tables serve.
    pub(super) fn max_len(&self) -> usize {
        self.roots[0].table.len()
    }

    /// Runs `f` for each prime (on threads for long transforms).
    fn each<T: Send>(&self, n: usize, f: impl Fn(&Roots, usize) -> T + Sync) -> [T; 3] {
        if n >= THREADED {
            std::thread::scope(|s| {
                let f = &f;
                let hs = [0, 1, 2].map(|i| s.spawn(move || f(&self.roots[i], i)));
                hs.map(|h| h.join().expect("transform thread"))
            })
        } else {
            [0, 1, 2].map(|i| f(&self.roots[i], i))
        }
    }

    /// The transform of `y` at length `n`, to multiply many numbers by `y`.
    pub(super) fn spectrum(&self, y: &[u64], n: usize) -> Spectrum {
        assert!(n.is_power_of_two() && n <= self.max_len() && y.len() <= n);
        Spectrum {
            len: y.len(),
            parts: self.each(n, |r, _| r.spectrum(y, n)),
        }
    }

    /// `x · y` where `s` is the spectrum of `y`; `x.len() + y.len()` must not exceed the
    /// spectrum's length.
    pub(super) fn multiply_by(&self, x: &[u64], s: &Spectrum) -> Vec<u64> {
        let n = s.parts[0].len();
        assert!(x.len() + s.len <= n);
        let res = self.each(n, |r, i| r.convolve(x, &s.parts[i]));
        join(&res, x.len() + s.len)
    }

    /// `x · y`.
    pub(super) fn multiply(&self, x: &[u64], y: &[u64]) -> Vec<u64> {
        let n = (x.len() + y.len()).next_power_of_two();
        assert!(n <= self.max_len(), "a product longer than the root tables");
        let res = if x == y {
            self.each(n, |r, _| r.square(x, n))
        } else {
            self.each(n, |r, _| r.convolve(x, &r.spectrum(y, n)))
        };
        join(&res, x.len() + y.len())
    }
}

/// The transform of a number at one length, modulo each prime.
pub(super) struct Spectrum {
    /// Words of the number transformed.
    len: usize,
    parts: [Vec<u64>; 3],
}

impl Spectrum {
    /// Words of the number transformed.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The transform length.
    pub(super) fn n(&self) -> usize {
        self.parts[0].len()
    }
}

/// The words of `sum c_i 2^(64 i)` (trailing zeros removed), where `c_i` is given by its
/// residues modulo the three primes (Garner's form of the Chinese remainder theorem).
fn join(res: &[Vec<u64>; 3], len: usize) -> Vec<u64> {
    let (p1, p2, p3) = (PRIMES[0].0, PRIMES[1].0, PRIMES[2].0);
    let (f2, f3) = (Prime::new(p2), Prime::new(p3));
    let i12 = f2.shoup(f2.pow(p1 % p2, p2 - 2));
    let p1_3 = f3.shoup(p1 % p3);
    let i123 = f3.shoup(f3.pow(f3.mul_slow(p1 % p3, p2 % p3), p3 - 2));
    let p12 = p1 as u128 * p2 as u128;
    let (p12_lo, p12_hi) = (p12 as u64 as u128, p12 >> 64);
    let mut out = vec![0u64; len + 1];
    // Carry into the word at i: below 2^125, since each coefficient is below 2^187.
    let mut carry: u128 = 0;
    for i in 0..len.min(res[0].len()) {
        let (r1, r2, r3) = (res[0][i], res[1][i], res[2][i]);
        // c = v1 + v2 p1 + v3 p1 p2 with each v below its prime.
        let v1 = r1;
        let v2 = f2.mul_full(r2 + p2 - f2.below(v1, p2), i12);
        let low = v1 as u128 + v2 as u128 * p1 as u128;
        let low3 = f3.below(f3.below(v1, p3), p3) + f3.mul_full(v2, p1_3);
        let v3 = f3.mul_full(r3 + p3 - f3.below(low3, p3), i123);
        // c + carry as three words.
        let hi_lo = v3 as u128 * p12_lo;
        let hi_hi = v3 as u128 * p12_hi;
        let s0 = (low as u64 as u128) + (hi_lo as u64 as u128) + (carry as u64 as u128);
        out[i] = s0 as u64;
        let s1 = (low >> 64) + (hi_lo >> 64) + (hi_hi as u64 as u128) + (carry >> 64) + (s0 >> 64);
        carry = (s1 as u64 as u128) | (((hi_hi >> 64) + (s1 >> 64)) << 64);
    }
    let mut i = len.min(res[0].len());
    while carry > 0 && i < out.len() {
        out[i] = carry as u64;
        carry >>= 64;
        i += 1;
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
        let f = Prime::new(n);
        let (mut d, mut s) = (n - 1, 0);
        while d % 2 == 0 {
            d /= 2;
            s += 1;
        }
        [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
            .iter()
            .all(|&a| {
                let mut x = f.pow(a, d);
                if x == 1 || x == n - 1 {
                    return true;
                }
                for _ in 1..s {
                    x = f.mul_slow(x, x);
                    if x == n - 1 {
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
            assert!(p < 1 << 62);
            // g generates the group: g^((p-1)/q) != 1 for each prime q dividing p - 1.
            let f = Prime::new(p);
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
                assert_ne!(f.pow(g, (p - 1) / q), 1, "{p} {g} {q}");
            }
        }
    }

    /// The schoolbook product, to check the transform against.
    fn schoolbook(x: &[u64], y: &[u64]) -> Vec<u64> {
        let mut out = vec![0u64; x.len() + y.len()];
        for (i, &a) in x.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &b) in y.iter().enumerate() {
                let t = a as u128 * b as u128 + out[i + j] as u128 + carry;
                out[i + j] = t as u64;
                carry = t >> 64;
            }
            out[i + y.len()] = carry as u64;
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        out
    }

    #[test]
    fn products_agree_with_the_schoolbook_at_every_small_length() {
        let t = Tables::new(1 << 12);
        let mut seed = 1u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (a, b) in [
            (1, 1),
            (1, 2),
            (2, 2),
            (3, 5),
            (7, 9),
            (100, 31),
            (600, 1400),
        ] {
            let x: Vec<u64> = (0..a).map(|_| next()).collect();
            let y: Vec<u64> = (0..b).map(|_| next()).collect();
            assert_eq!(t.multiply(&x, &y), schoolbook(&x, &y), "{a} x {b}");
            let s = t.spectrum(&y, (a + b as usize).next_power_of_two() * 2);
            assert_eq!(t.multiply_by(&x, &s), schoolbook(&x, &y), "{a} x {b}");
        }
        // Every word all ones: the largest coefficients and carries.
        let ones = vec![u64::MAX; 1000];
        assert_eq!(t.multiply(&ones, &ones), schoolbook(&ones, &ones));
    }
}
