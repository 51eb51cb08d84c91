//! Native implementations of jets. Each must return exactly what the law's PLAN code returns
//! (non-nats read as 0 where the law does `N(x)`), or ask for the PLAN code (`Fallback`).

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

use super::{JetOut, Native};
use crate::datajet;
use crate::eval::Strict::{self, Deep, Lazy, Whnf};
use crate::nat::{as_big, nat_or_zero};
use crate::order::{Comparison, Progress, Verdict};
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// One argument forced to WHNF.
pub(super) const W1: &[Strict] = &[Whnf];
/// Two arguments forced to WHNF.
pub(super) const W2: &[Strict] = &[Whnf, Whnf];

/// `N(x)` as an owned bignum (a copy of a big nat: for results built from it).
pub(super) fn n(x: Value) -> BigUint {
    nat_or_zero(x).into_owned()
}

/// `N(x)` as a bignum, borrowed where it is stored (no copy of a big nat).
pub(super) fn nb(x: Value) -> std::borrow::Cow<'static, BigUint> {
    nat_or_zero(x)
}

/// `N(x)` as a machine word, `None` when it does not fit.
fn count(x: Value) -> Option<u64> {
    if x.is_nat() {
        crate::nat::to_u64(x)
    } else {
        Some(0)
    }
}

fn small(x: Value) -> u64 {
    // N(x) as a machine word when it fits; callers only use it where that is checked.
    x.deref().as_small().unwrap_or(0)
}

pub(super) fn bit(b: bool) -> JetOut {
    JetOut::Ret(Value::small(b as u64))
}

pub(super) fn nat_ret(rt: &mut Runtime, x: BigUint) -> JetOut {
    JetOut::Ret(rt.nat_big(x))
}

pub(super) fn truthy(x: Value) -> bool {
    let x = x.deref();
    match x.as_small() {
        Some(k) => k != 0,
        None => matches!(x.kind(), Some(Kind::Nat(_))),
    }
}

/// Both arguments as small nats (non-nats read as 0), when both are small.
fn smalls(a: Value, b: Value) -> Option<(u64, u64)> {
    let (a, b) = (a.deref(), b.deref());
    let sa = if a.is_nat() { a.as_small()? } else { 0 };
    let sb = if b.is_nat() { b.as_small()? } else { 0 };
    Some((sa, sb))
}

fn add(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if let Some((x, y)) = smalls(a[0], a[1]) {
        return JetOut::Ret(rt.nat_u64(x + y));
    }
    nat_ret(rt, &*nb(a[0]) + &*nb(a[1]))
}

fn sub(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if let Some((x, y)) = smalls(a[0], a[1]) {
        return JetOut::Ret(Value::small(x.saturating_sub(y)));
    }
    let (x, y) = (nb(a[0]), nb(a[1]));
    nat_ret(rt, if x > y { &*x - &*y } else { BigUint::zero() })
}

/// A result too big for the heap's limit: refused before it is made.
fn out_of_memory(rt: &mut Runtime) -> JetOut {
    rt.heap.out_of_memory = true;
    JetOut::Fail(crate::eval::Crash::out_of_memory(rt.heap.max_bytes))
}

fn mul(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if let Some((x, y)) = smalls(a[0], a[1]) {
        if let Some(p) = x.checked_mul(y) {
            return JetOut::Ret(rt.nat_u64(p));
        }
    }
    let bytes = (crate::nat::bit_width(a[0]) + crate::nat::bit_width(a[1])) / 8;
    if rt.heap.would_exceed(bytes as usize) {
        return out_of_memory(rt);
    }
    nat_ret(rt, &*nb(a[0]) * &*nb(a[1]))
}

fn div(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if let Some((x, y)) = smalls(a[0], a[1]) {
        return JetOut::Ret(Value::small(x.checked_div(y).unwrap_or(0)));
    }
    let (x, y) = (nb(a[0]), nb(a[1]));
    nat_ret(
        rt,
        if y.is_zero() {
            BigUint::zero()
        } else {
            &*x / &*y
        },
    )
}

fn modulo(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if let Some((x, y)) = smalls(a[0], a[1]) {
        return JetOut::Ret(Value::small(x.checked_rem(y).unwrap_or(x)));
    }
    let (x, y) = (nb(a[0]), nb(a[1]));
    nat_ret(
        rt,
        if y.is_zero() {
            x.into_owned()
        } else {
            &*x % &*y
        },
    )
}

/// `_Car` (and `_TabKeys`): opcode 1's first part of a value: the pin opcode 4 for a pin,
/// `0 name arity` for a law, the head of an app, 0 for a nat.
fn car(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let x = a[0].deref();
    JetOut::Ret(match x.kind() {
        Some(Kind::Pin(_)) => Value::small(4),
        Some(Kind::Law(l)) => rt.partial(Value::small(0), &[l.name, l.arity_nat]),
        Some(Kind::App(app)) => {
            let xs = app.args();
            if xs.len() == 1 {
                app.head
            } else {
                rt.partial(app.head, &xs[..xs.len() - 1])
            }
        }
        _ => Value::small(0),
    })
}

/// Opcode 1's second part of a value in weak head normal form: the item of a pin, the body
/// of a law, the last argument of an app (possibly unevaluated), 0 for a nat.
pub(super) fn cdr_of(x: Value) -> Value {
    match x.deref().kind() {
        Some(Kind::Pin(p)) => p.item(),
        Some(Kind::Law(l)) => l.body,
        Some(Kind::App(app)) => app.args()[app.args().len() - 1],
        _ => Value::small(0),
    }
}

/// `_Cdr` (and `_TabVals`): [`cdr_of`], evaluated as the tail.
fn cdr(_: &mut Runtime, a: &[Value]) -> JetOut {
    JetOut::Eval(cdr_of(a[0]))
}

/// `_LawBody` (and `_SetToRow`): the body of a law, 0 for anything else.
pub(super) fn law_body(_: &mut Runtime, a: &[Value]) -> JetOut {
    match a[0].deref().kind() {
        Some(Kind::Law(l)) => JetOut::Ret(l.body),
        _ => JetOut::Ret(Value::small(0)),
    }
}

/// `SOME x`, which is `(0 x)`.
pub(super) fn some(rt: &mut Runtime, x: Value) -> Value {
    rt.partial(Value::small(0), &[x])
}

/// The reflective tag of a value in weak head normal form: pin 0, law 1, app 2, nat 3.
pub(super) fn plan_tag(x: Value) -> u8 {
    let x = x.deref();
    if x.is_small() {
        return 3;
    }
    match x.kind() {
        Some(Kind::Pin(_)) => 0,
        Some(Kind::Law(_)) => 1,
        Some(Kind::App(_)) => 2,
        _ => 3,
    }
}

fn dec(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if let Some((x, _)) = smalls(a[0], Value::small(0)) {
        return JetOut::Ret(Value::small(x.saturating_sub(1)));
    }
    let x = n(a[0]);
    nat_ret(rt, if x.is_zero() { x } else { x - 1u32 })
}

/// A comparison jet on its two arguments (in weak head normal form): answered at once when
/// the comparison needs no evaluation, else handed to the evaluator to go on with.
pub(super) fn compare_jet(a: &[Value], verdict: Verdict) -> JetOut {
    let (x, y) = (a[0].deref(), a[1].deref());
    if let (Some(m), Some(n)) = (x.as_small(), y.as_small()) {
        return JetOut::Ret(verdict.answer(m.cmp(&n), x, y));
    }
    let mut cmp = Comparison::new(x, y, verdict.purpose());
    match cmp.run(crate::order::STEPS_PER_RUN) {
        Progress::Done(o) => JetOut::Ret(verdict.answer(o, x, y)),
        _ => JetOut::Compare(Box::new(cmp), verdict),
    }
}

fn table_core() -> Vec<(&'static str, Native)> {
    let mut t: Vec<(&'static str, Native)> = Vec::new();
    let mut put = |name, strict, run| t.push((name, Native { strict, run }));
    put("_Add", W2, add);
    put("_Sub", W2, sub);
    put("_Mul", W2, mul);
    put("_Div", W2, div);
    put("_Mod", W2, modulo);
    put("_Dec", W1, dec);
    put("_Seq", &[Whnf, Lazy], |_, a| JetOut::Eval(a[1]));
    put("_Trace", &[Deep, Lazy], |rt, a| {
        rt.emit_trace(a[0]);
        JetOut::Eval(a[1])
    });
    put("_IsNat", W1, |_, a| bit(a[0].is_nat()));
    put("_Eqz", W1, |_, a| bit(a[0].deref().as_small() == Some(0)));
    put("_If", &[Whnf, Lazy, Lazy], |_, a| {
        JetOut::Eval(if truthy(a[0]) { a[1] } else { a[2] })
    });
    put("_Not", W1, |_, a| bit(!truthy(a[0])));
    put("_Bit", W1, |_, a| bit(truthy(a[0])));
    // Lazy in the second argument, like their PLAN code (`_And x y = _If x (_Bit y) 0`):
    // when the first argument does not decide, run the PLAN code.
    put("_And", &[Whnf, Lazy], |_, a| {
        if truthy(a[0]) {
            JetOut::Fallback
        } else {
            bit(false)
        }
    });
    put("_Or", &[Whnf, Lazy], |_, a| {
        if truthy(a[0]) {
            bit(true)
        } else {
            JetOut::Fallback
        }
    });
    put("_Eql", W2, |_, a| compare_jet(a, Verdict::Eql));
    put("_Neq", W2, |_, a| compare_jet(a, Verdict::Neq));
    put("_Cmp", W2, |_, a| compare_jet(a, Verdict::Cmp));
    put("_Lth", W2, |_, a| compare_jet(a, Verdict::Lth));
    put("_Lte", W2, |_, a| compare_jet(a, Verdict::Lte));
    put("_Gth", W2, |_, a| compare_jet(a, Verdict::Gth));
    put("_Gte", W2, |_, a| compare_jet(a, Verdict::Gte));
    put("_Bex", W1, |rt, a| {
        match as_big(a[0]).and_then(|x| x.to_u64()) {
            Some(k) if rt.heap.would_exceed(k as usize / 8) => out_of_memory(rt),
            Some(k) if k < (1 << 32) => nat_ret(rt, BigUint::from(1u32) << k),
            _ if !a[0].is_nat() => JetOut::Ret(Value::small(1)),
            _ => JetOut::Fallback,
        }
    });
    put("_Lsh", W2, |rt, a| {
        if let Some((x, k)) = smalls(a[0], a[1]) {
            if k < 64 && (x == 0 || x.leading_zeros() as u64 >= k) {
                return JetOut::Ret(rt.nat_u64(x << k));
            }
        }
        match count(a[1]) {
            Some(k) if rt.heap.would_exceed(k as usize / 8) => out_of_memory(rt),
            Some(k) if k < (1 << 32) => nat_ret(rt, &*nb(a[0]) << k),
            _ => JetOut::Fallback,
        }
    });
    put("_Rsh", W2, |rt, a| {
        if let Some((x, k)) = smalls(a[0], a[1]) {
            return JetOut::Ret(Value::small(x.checked_shr(k.min(64) as u32).unwrap_or(0)));
        }
        match count(a[1]) {
            Some(k) => nat_ret(rt, &*nb(a[0]) >> k),
            None => JetOut::Ret(Value::small(0)),
        }
    });
    // The bit width is kept with the nat: no copy.
    put("_Met", W1, |rt, a| {
        let b = if a[0].is_nat() {
            crate::nat::bit_width(a[0])
        } else {
            0
        };
        JetOut::Ret(rt.nat_u64(b))
    });
    put("_Mix", W2, |rt, a| match smalls(a[0], a[1]) {
        Some((x, y)) => JetOut::Ret(Value::small(x ^ y)),
        None => nat_ret(rt, &*nb(a[0]) ^ &*nb(a[1])),
    });
    put("_Dis", W2, |rt, a| match smalls(a[0], a[1]) {
        Some((x, y)) => JetOut::Ret(Value::small(x | y)),
        None => nat_ret(rt, &*nb(a[0]) | &*nb(a[1])),
    });
    put("_Con", W2, |rt, a| match smalls(a[0], a[1]) {
        Some((x, y)) => JetOut::Ret(Value::small(x & y)),
        None => nat_ret(rt, &*nb(a[0]) & &*nb(a[1])),
    });
    put("_DivMod", W2, |rt, a| {
        let (x, y) = (n(a[0]), n(a[1]));
        let (d, m) = if y.is_zero() {
            (BigUint::zero(), x)
        } else {
            x.div_mod_floor(&y)
        };
        let (d, m) = (rt.nat_big(d), rt.nat_big(m));
        JetOut::Ret(rt.row(&[d, m]))
    });
    // Reflection: what kind of value, and its parts.
    put("_IsPin", W1, |_, a| bit(plan_tag(a[0]) == 0));
    put("_IsLaw", W1, |_, a| bit(plan_tag(a[0]) == 1));
    put("_IsApp", W1, |_, a| bit(plan_tag(a[0]) == 2));
    put("_PlanTag", W1, |_, a| {
        JetOut::Ret(Value::small(plan_tag(a[0]) as u64))
    });
    put("_LawName", W1, |_, a| match a[0].deref().kind() {
        Some(Kind::Law(l)) => JetOut::Ret(l.name),
        _ => JetOut::Ret(Value::small(0)),
    });
    put("_LawArgs", W1, |_, a| match a[0].deref().kind() {
        Some(Kind::Law(l)) => JetOut::Ret(l.arity_nat),
        _ => JetOut::Ret(Value::small(0)),
    });
    put("_LawBody", W1, law_body);
    put("_Car", W1, car);
    put("_TabKeys", W1, car);
    put("_Cdr", W1, cdr);
    put("_TabVals", W1, cdr);
    put("_PinItem", W1, |_, a| match a[0].deref().kind() {
        Some(Kind::Pin(p)) => JetOut::Ret(p.item()),
        _ => JetOut::Ret(Value::small(0)),
    });
    put("_Len", W1, |rt, a| match datajet::row_len(a[0]) {
        Some(k) => JetOut::Ret(rt.nat_u64(k)),
        None => JetOut::Fallback,
    });
    put("_Get", W2, |_, a| get(a[0], a[1]));
    put("_Idx", W2, |_, a| get(a[1], a[0]));
    let _ = small;
    t
}

/// `_Get row i`: the element, or 0 when out of range; other shapes use the PLAN code.
fn get(row: Value, i: Value) -> JetOut {
    let row = row.deref();
    let Some(len) = datajet::row_len(row) else {
        return JetOut::Fallback;
    };
    // `N(i)` as an index (no bignum made for a small one).
    let idx = if i.is_nat() {
        crate::nat::to_u64(i)
    } else {
        Some(0)
    };
    match idx {
        Some(k) if k < len => match row.kind() {
            Some(Kind::App(app)) => {
                let args = app.args();
                JetOut::Eval(args[args.len() - 1 - k as usize])
            }
            _ => JetOut::Ret(Value::small(0)),
        },
        _ => JetOut::Ret(Value::small(0)),
    }
}

/// Every native jet.
pub fn table() -> Vec<(&'static str, Native)> {
    let mut t = table_core();
    t.extend(super::word::table());
    t.extend(super::row::table());
    t.extend(super::sets::table());
    t.extend(super::more::table());
    t.extend(super::seedjets::table());
    t.extend(super::bars::table());
    t.extend(super::text::table());
    t
}

/// Whether a value is fully normal already (no thunk anywhere inside), without evaluating.
pub(super) fn is_normal(v: Value) -> bool {
    // Most values answer at once: nats, laws, pins, and applications already known normal.
    match v.deref().obj().map(|o| (o, o.kind())) {
        None => return true,
        Some((_, Kind::Thunk(_))) => return false,
        Some((o, Kind::App(_))) if !o.normal() => {}
        Some(_) => return true,
    }
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        let x = x.deref();
        match x.obj() {
            None => {}
            Some(o) => match o.kind() {
                Kind::Thunk(_) => return false,
                Kind::App(a) if !o.normal() => stack.extend(a.args().iter().copied()),
                _ => {}
            },
        }
    }
    true
}
