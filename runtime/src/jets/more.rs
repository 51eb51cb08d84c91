//! Smaller jets: boolean connectives, more bit operations on nats, min/max in PLAN order,
//! closure arity and the row/cow predicates, and the set/tab accessors. Each computes what
//! its PLAN law computes; where that needs evaluation a native cannot do, it falls back.

use num_bigint::BigUint;
use num_traits::{ToPrimitive, Zero};

use super::natives::{bit, compare_jet, law_body, n, nat_ret, nb, plan_tag, truthy, W1, W2};
use super::{JetOut, Native};
use crate::datajet::{row_elems, row_view};
use crate::eval::Strict::{Deep, Lazy, Whnf};
use crate::nat::nat_or_zero;
use crate::order::Verdict;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// `N(x)` as a shift or width: `None` when it is too large to act on natively.
fn width(x: Value) -> Option<u64> {
    nat_or_zero(x).to_u64().filter(|w| *w < (1 << 32))
}

/// Bits `from .. from + w` of `x` as a nat (`(x >> from) mod 2^w`), reading only the
/// digits they lie in: the cost is the result's size, not `x`'s.
fn bit_range(x: Value, from: u64, w: u64) -> BigUint {
    if let Some(s) = x.deref().as_small() {
        let v = s.checked_shr(from.min(64) as u32).unwrap_or(0);
        let v = if w < 64 { v & ((1u64 << w) - 1) } else { v };
        return BigUint::from(v);
    }
    let x = nb(x);
    let bits = x.bits();
    if from >= bits || w == 0 {
        return BigUint::zero();
    }
    let end = bits.min(from.saturating_add(w));
    let (first, last) = (from / 64, (end - 1) / 64);
    let mut words = Bits::default();
    for d in x
        .iter_u64_digits()
        .skip(first as usize)
        .take((last - first + 1) as usize)
    {
        words.push_word(d, 64);
    }
    let mut r = words.into_nat() >> (from % 64);
    let keep = end - from;
    if r.bits() > keep {
        r &= (BigUint::from(1u32) << keep) - 1u32;
    }
    r
}

/// A growing string of bits (least significant first), for building pads and bit slices
/// with one pass over their parts.
#[derive(Default)]
struct Bits {
    words: Vec<u64>,
    len: u64,
}

impl Bits {
    /// Appends the low `n` bits of `w` (1 <= n <= 64).
    fn push_word(&mut self, w: u64, n: u32) {
        let w = if n < 64 { w & ((1u64 << n) - 1) } else { w };
        let off = (self.len % 64) as u32;
        if off == 0 {
            self.words.push(w);
        } else {
            *self.words.last_mut().expect("a partial word") |= w << off;
            if off + n > 64 {
                self.words.push(w >> (64 - off));
            }
        }
        self.len += n as u64;
    }

    /// Appends the bits of the pad `p` below its top 1 bit (nothing for the empty pad 1;
    /// 0 and non-nats are the empty pad).
    fn push_pad(&mut self, p: Value) {
        let p = p.deref();
        if let Some(s) = p.as_small() {
            let n = (64 - s.leading_zeros()).saturating_sub(1);
            if n > 0 {
                self.push_word(s, n);
            }
            return;
        }
        let Some(Kind::Nat(big)) = p.kind() else {
            return;
        };
        let mut left = big.bits() - 1;
        for d in big.iter_u64_digits() {
            if left == 0 {
                break;
            }
            let n = left.min(64) as u32;
            self.push_word(d, n);
            left -= n as u64;
        }
    }

    /// The bits as a nat (high zero bits vanish).
    fn into_nat(self) -> BigUint {
        let mut digits = Vec::with_capacity(self.words.len() * 2);
        for w in self.words {
            digits.push(w as u32);
            digits.push((w >> 32) as u32);
        }
        BigUint::new(digits)
    }

    /// The pad of these bits: they, then a 1 bit.
    fn into_pad(mut self) -> BigUint {
        self.push_word(1, 1);
        self.into_nat()
    }
}

/// The arity of a value as PLAN counts it (`None` when it does not fit a machine word).
fn arity(x: Value) -> Option<u64> {
    let x = x.deref();
    if let Some(k) = x.as_small() {
        return Some(match k {
            0 | 2 => 3,
            1 => 5,
            _ => 1,
        });
    }
    match x.kind() {
        Some(Kind::Pin(p)) => arity(p.item()),
        Some(Kind::Law(l)) => l.arity_nat.as_small(),
        Some(Kind::App(a)) => Some(arity(a.head)?.saturating_sub(a.args().len() as u64)),
        _ => Some(1),
    }
}

/// Whether a value is a cow (a law named 0 with body 0).
fn is_cow(x: Value) -> bool {
    match x.deref().kind() {
        Some(Kind::Law(l)) => l.name.as_small() == Some(0) && l.body.as_small() == Some(0),
        _ => false,
    }
}

/// `padWeld x y`: the bits of pad `x` followed by those of pad `y` (a pad is a nat whose
/// highest 1 bit marks its length; 0 and non-nats are the empty pad 1).
fn pad_weld(x: Value, y: Value) -> BigUint {
    let mut out = Bits::default();
    out.push_pad(x);
    out.push_pad(y);
    out.into_pad()
}

/// The elements of a row when all are evaluated (a native cannot evaluate them).
fn evaluated_elems(x: Value) -> Option<crate::datajet::RowView> {
    row_view(x).filter(|xs| xs.iter().all(|v| v.is_whnf()))
}

/// `padFlat x`: a nat is itself; a row's elements are flattened and welded, in one pass
/// over the tree (any depth). `None` for anything a native leaves to the PLAN code
/// (unevaluated parts, other closures).
fn pad_flat(x: Value) -> Option<BigUint> {
    let x = x.deref();
    if x.is_nat() {
        return Some(n(x));
    }
    let mut out = Bits::default();
    let mut stack = vec![(evaluated_elems(x)?, 0usize)];
    while let Some((row, i)) = stack.last_mut() {
        let Some(e) = row.get(*i) else {
            stack.pop();
            continue;
        };
        *i += 1;
        let e = e.deref();
        if e.is_nat() {
            out.push_pad(e);
        } else {
            stack.push((evaluated_elems(e)?, 0));
        }
    }
    Some(out.into_pad())
}

/// `_Bix i n` and `_TestBit i n`: bit `i` of `n` (0 for a non-nat, or past its end).
fn test_bit(_: &mut Runtime, a: &[Value]) -> JetOut {
    match width(a[0]) {
        Some(i) => bit(bit_range(a[1], i, 1).bit(0)),
        None => JetOut::Ret(Value::small(0)),
    }
}

/// The first `sz` elements of the list `l` (cells `[x rest]`, 0 at the end), padded with
/// zeros; `None` when a cell is unevaluated or not a list cell.
fn sized_list(sz: usize, mut l: Value) -> Option<Vec<Value>> {
    let mut out = Vec::with_capacity(sz);
    while out.len() < sz {
        let cell = l.deref();
        if cell.as_small() == Some(0) {
            break;
        }
        let xs = row_view(cell).filter(|xs| xs.len() == 2)?;
        out.push(xs.at(0));
        l = xs.at(1);
    }
    out.resize(sz, Value::small(0));
    Some(out)
}

/// `_SizedListToRow` (and `...Rev` when `rev`): the row of the first `sz` list elements.
fn sized_list_to_row(rt: &mut Runtime, a: &[Value], rev: bool) -> JetOut {
    let sz = if a[0].is_nat() {
        match a[0].deref().as_small().filter(|s| *s < (1 << 32)) {
            Some(s) => s as usize,
            None => return JetOut::Fallback,
        }
    } else {
        0
    };
    match sized_list(sz, a[1]) {
        Some(mut xs) => {
            if rev {
                xs.reverse();
            }
            JetOut::Ret(rt.row(&xs))
        }
        None => JetOut::Fallback,
    }
}

/// The natives of this module.
pub fn table() -> Vec<(&'static str, Native)> {
    let mut t: Vec<(&'static str, Native)> = Vec::new();
    let mut put = |name, strict, run| t.push((name, Native { strict, run }));
    put("_Xor", W2, |_, a| bit(truthy(a[0]) != truthy(a[1])));
    put("_Xnor", W2, |_, a| bit(truthy(a[0]) == truthy(a[1])));
    // Lazy in the second argument, like their PLAN code.
    put("_Nand", &[Whnf, Lazy], |_, a| {
        if truthy(a[0]) {
            JetOut::Fallback
        } else {
            bit(true)
        }
    });
    put("_Nor", &[Whnf, Lazy], |_, a| {
        if truthy(a[0]) {
            bit(false)
        } else {
            JetOut::Fallback
        }
    });
    put("_Ifz", &[Whnf, Lazy, Lazy], |_, a| {
        let zero = a[0].deref().as_small() == Some(0);
        JetOut::Eval(if zero { a[1] } else { a[2] })
    });
    put("_ToNat", W1, |_, a| {
        JetOut::Ret(if a[0].is_nat() { a[0] } else { Value::small(0) })
    });
    put("_Force", &[Deep], |_, a| JetOut::Ret(a[0]));
    put("_Min", W2, |_, a| compare_jet(a, Verdict::Min));
    put("_Max", W2, |_, a| compare_jet(a, Verdict::Max));
    put("_Bix", W2, test_bit);
    put("_TestBit", W2, test_bit);
    put("_Trunc", W2, |rt, a| match width(a[0]) {
        Some(w) => nat_ret(rt, bit_range(a[1], 0, w)),
        None => JetOut::Fallback,
    });
    put("_BitSlice", &[Whnf, Whnf, Whnf], |rt, a| {
        match (width(a[0]), width(a[1])) {
            (Some(o), Some(w)) => nat_ret(rt, bit_range(a[2], o, w)),
            (None, _) => JetOut::Ret(Value::small(0)),
            _ => JetOut::Fallback,
        }
    });
    put("_SetBit", W2, |rt, a| match width(a[0]) {
        Some(i) => {
            let mut x = n(a[1]);
            x.set_bit(i, true);
            nat_ret(rt, x)
        }
        None => JetOut::Fallback,
    });
    put("_ClearBit", W2, |rt, a| match width(a[0]) {
        Some(i) if a[1].is_nat() => {
            let mut x = n(a[1]);
            x.set_bit(i, false);
            nat_ret(rt, x)
        }
        // No bit to clear: the argument itself, nat or not.
        _ => JetOut::Ret(a[1]),
    });
    put("_PopCount", W1, |rt, a| {
        let c: u64 = nb(a[0])
            .iter_u64_digits()
            .map(|d| d.count_ones() as u64)
            .sum();
        JetOut::Ret(rt.nat_u64(c))
    });
    put("_Pow", W2, |rt, a| {
        let (b, p) = (n(a[0]), n(a[1]));
        match p.to_u32() {
            _ if b.is_zero() || b == BigUint::from(1u32) => {
                nat_ret(rt, if p.is_zero() { 1u32.into() } else { b })
            }
            Some(p) if (b.bits() as u128) * (p as u128) < (1 << 32) => nat_ret(rt, b.pow(p)),
            _ => JetOut::Fallback,
        }
    });
    put("_Null", W1, |_, a| bit(plan_tag(a[0]) != 2));
    put("_Arity", W1, |rt, a| match arity(a[0]) {
        Some(k) => JetOut::Ret(rt.nat_u64(k)),
        None => JetOut::Fallback,
    });
    put("_IsCow", W1, |_, a| bit(is_cow(a[0])));
    put("_CowSize", W1, |rt, a| match a[0].deref().kind() {
        Some(Kind::Law(l)) => nat_ret(rt, {
            let k = nat_or_zero(l.arity_nat).into_owned();
            if k.is_zero() {
                k
            } else {
                k - 1u32
            }
        }),
        _ => JetOut::Ret(Value::small(0)),
    });
    put("_IsRow", W1, |_, a| match row_view(a[0]) {
        Some(_) => bit(true),
        None => JetOut::Fallback,
    });
    put("_Last", W1, |_, a| match row_view(a[0]) {
        Some(xs) => JetOut::Eval(
            xs.len()
                .checked_sub(1)
                .map_or(Value::small(0), |i| xs.at(i)),
        ),
        None => JetOut::Fallback,
    });
    // `f (f ... (f z))`, `x` times, left unevaluated until the tail call (as the PLAN code).
    put("_Times", &[Lazy, Lazy, Whnf], |rt, a| {
        let Some(times) = (if a[2].is_nat() {
            a[2].deref().as_small().filter(|t| *t < (1 << 24))
        } else {
            Some(0)
        }) else {
            return JetOut::Fallback;
        };
        let mut acc = a[1];
        for _ in 0..times {
            acc = rt.apply_lazy(a[0], &[acc]);
        }
        JetOut::Eval(acc)
    });
    put("padWeld", W2, |rt, a| nat_ret(rt, pad_weld(a[0], a[1])));
    // One pass over the pads (welding them one by one would copy the result each time).
    put("padCat", W1, |rt, a| match evaluated_elems(a[0]) {
        Some(xs) => {
            let mut out = Bits::default();
            for x in xs.iter() {
                out.push_pad(x);
            }
            nat_ret(rt, out.into_pad())
        }
        None => JetOut::Fallback,
    });
    put("padFlat", W1, |rt, a| match pad_flat(a[0]) {
        Some(p) => nat_ret(rt, p),
        None => JetOut::Fallback,
    });
    // `implode cs`: the bytes of the nats of a row, each welded after the whole bytes of the
    // ones before.
    // (The bytes of each nat, without its high zero bytes, appended: one copy.)
    put("implode", W1, |rt, a| match evaluated_elems(a[0]) {
        Some(xs) => {
            let mut bytes = Vec::new();
            for c in xs.iter() {
                bytes.extend(crate::nat::to_bytes(c).unwrap_or_default());
            }
            JetOut::Ret(rt.nat_bytes(&bytes))
        }
        None => JetOut::Fallback,
    });
    put("_SizedListToRow", W2, |rt, a| {
        sized_list_to_row(rt, a, false)
    });
    put("_SizedListToRowRev", W2, |rt, a| {
        sized_list_to_row(rt, a, true)
    });
    // `_TypeTag x`: bar 4, row 5, tab 6, cow 7, set 8 (checked in that order), else the
    // reflective tag (pin 0, law 1, app 2, nat 3).
    put("_TypeTag", W1, |_, a| {
        let x = a[0];
        let tag = if crate::datajet::bar_view(x).is_some() {
            4
        } else if row_view(x).is_some() {
            5
        } else if crate::datajet::tab_view(x).is_some() {
            6
        } else if is_cow(x) {
            7
        } else if crate::datajet::set_view(x).is_some() {
            8
        } else {
            u64::from(plan_tag(x))
        };
        JetOut::Ret(Value::small(tag))
    });
    // `_Try [f x y ...]`: `[1 r]` with `r` the normal form of `f x y ...`, or `[0 [op arg]]`
    // when that crashes. (Its PLAN code runs an interpreter of PLAN written in PLAN.) Other
    // failures (stack exhausted, interrupted) are not caught. Collection during the inner
    // evaluation keeps everything older, so the caller's values survive it.
    put("_Try", &[Deep], |rt, a| {
        let Some(xs) = row_elems(a[0]) else {
            return JetOut::Fallback;
        };
        let Some((&f, args)) = xs.split_first() else {
            return JetOut::Fallback;
        };
        match rt.with_gc_held(|rt| rt.call_deep(f, args)) {
            Ok(v) => JetOut::Ret(rt.row(&[Value::small(1), v])),
            Err(c) if matches!(c.kind, crate::eval::CrashKind::Plan) => {
                let err = rt.row(&[c.op, c.arg]);
                JetOut::Ret(rt.row(&[Value::small(0), err]))
            }
            Err(c) => JetOut::Fail(c),
        }
    });
    put("_Head", W1, |_, a| {
        let mut x = a[0].deref();
        while let Some(Kind::App(app)) = x.kind() {
            x = app.head.deref();
        }
        JetOut::Ret(x)
    });
    put("par", &[Lazy, Lazy], |_, a| JetOut::Eval(a[1]));
    put("pseq", &[Whnf, Lazy], |_, a| JetOut::Eval(a[1]));
    // Like `_Trace`, but the message is fully evaluated first (as its PLAN code does).
    put("_DeepTrace", &[Deep, Lazy], |rt, a| {
        rt.emit_trace(a[0]);
        JetOut::Eval(a[1])
    });
    put("_DataTag", W1, |_, a| {
        if a[0].is_nat() {
            return JetOut::Ret(a[0]);
        }
        match row_view(a[0]) {
            Some(xs) => JetOut::Eval(xs.get(0).unwrap_or(Value::small(0))),
            None => JetOut::Fallback,
        }
    });
    put("_Cow", W1, |rt, a| match nat_or_zero(a[0]).to_u64() {
        Some(k) if k < u64::MAX => {
            let arity = rt.nat_u64(k + 1);
            JetOut::Ret(rt.law(Value::small(0), arity, Value::small(0)))
        }
        _ => JetOut::Fallback,
    });
    // Set and tab accessors: a set's keys are its law body; a tab is `(set vals)`.
    put("_SetToRow", W1, law_body);
    put("_TabKeysRow", W1, |_, a| match a[0].deref().kind() {
        Some(Kind::App(app)) if app.args().len() == 1 => match app.head.deref().kind() {
            Some(Kind::Law(l)) => JetOut::Ret(l.body),
            _ => JetOut::Fallback,
        },
        _ => JetOut::Fallback,
    });
    t
}
