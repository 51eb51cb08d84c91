//! Set and tab jets. A set is the law `{1 2 keys}` whose body is a strictly ascending row
//! (PLAN order); a tab is a set applied to a row of as many values. Each native handles
//! proper sets and tabs (their keys are a law's body, so always fully evaluated) and a fully
//! evaluated key to look for, and falls back to the PLAN code for anything else.

use std::cmp::Ordering;

use super::natives::{bit, cdr_of, is_normal, some, W1, W2};
use super::{JetOut, Native};
use crate::build::{search_normal, stored_replacing, stored_with, stored_without};
use crate::datajet::{set_view, tab_set, tab_view, RowView};
use crate::eval::Crash;
use crate::eval::Strict::{Deep, Lazy, Whnf};
use crate::order::compare;
use crate::runtime::Runtime;
use crate::value::Value;

/// The value of a fallible step of a native, or its crash as the native's outcome.
macro_rules! or_fail {
    ($e:expr) => {
        match $e {
            Ok(x) => x,
            Err(c) => return JetOut::Fail(c),
        }
    };
}

/// `key`, fully evaluated (a set's keys are a law's body, which is always normal), for
/// inserting it; a nested evaluation.
fn normal_key(rt: &mut Runtime, key: Value) -> Result<Value, Crash> {
    if is_normal(key) {
        return Ok(key.deref());
    }
    rt.with_gc_held(|rt| rt.normalize(key))
}

fn set_has(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(keys) = set_view(a[1]) else {
        return JetOut::Fallback;
    };
    bit(or_fail!(rt.search_lazy(a[0], keys)).is_ok())
}

fn set_ins(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(keys) = set_view(a[1]) else {
        return JetOut::Fallback;
    };
    match or_fail!(rt.search_lazy(a[0], keys)) {
        Ok(_) => JetOut::Ret(a[1]),
        Err(at) => {
            let key = or_fail!(normal_key(rt, a[0]));
            JetOut::Ret(rt.set_stored(keys.len() + 1, stored_with(keys, at, key)))
        }
    }
}

fn set_del(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(keys) = set_view(a[1]) else {
        return JetOut::Fallback;
    };
    match or_fail!(rt.search_lazy(a[0], keys)) {
        Ok(at) => JetOut::Ret(rt.set_stored(keys.len() - 1, stored_without(keys, at))),
        Err(_) => JetOut::Ret(a[1]),
    }
}

fn set_weld(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (Some(xs), Some(ys)) = (set_view(a[0]), set_view(a[1])) else {
        return JetOut::Fallback;
    };
    let mut out = Vec::with_capacity(xs.len() + ys.len());
    let (mut i, mut j) = (0, 0);
    while i < xs.len() && j < ys.len() {
        match compare(xs.at(i), ys.at(j)) {
            Ordering::Less => {
                out.push(xs.at(i));
                i += 1;
            }
            Ordering::Greater => {
                out.push(ys.at(j));
                j += 1;
            }
            Ordering::Equal => {
                out.push(xs.at(i));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend(xs.slice(i, xs.len()).iter());
    out.extend(ys.slice(j, ys.len()).iter());
    JetOut::Ret(rt.set_from_sorted(&out))
}

fn tab_idx(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((keys, vals)) = tab_view(a[1]) else {
        return JetOut::Fallback;
    };
    match or_fail!(rt.search_lazy(a[0], keys)) {
        Ok(at) => JetOut::Eval(vals.at(at)),
        Err(_) => JetOut::Ret(Value::small(0)),
    }
}

fn tab_has(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((keys, _)) = tab_view(a[1]) else {
        return JetOut::Fallback;
    };
    bit(or_fail!(rt.search_lazy(a[0], keys)).is_ok())
}

fn tab_lookup(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((keys, vals)) = tab_view(a[1]) else {
        return JetOut::Fallback;
    };
    match or_fail!(rt.search_lazy(a[0], keys)) {
        Ok(at) => JetOut::Ret(some(rt, vals.at(at))),
        Err(_) => JetOut::Ret(Value::small(0)),
    }
}

/// `tabIns k v t`: one copy of the tab's rows (the keys are shared when `k` is there).
fn tab_ins(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (key, val, tab) = (a[0], a[1], a[2]);
    let (Some((keys, vals)), Some(set)) = (tab_view(tab), tab_set(tab)) else {
        return JetOut::Fallback;
    };
    match or_fail!(rt.search_lazy(key, keys)) {
        Ok(at) => {
            let row = rt.row_stored(vals.len(), stored_replacing(vals, at, val));
            JetOut::Ret(rt.partial(set, &[row]))
        }
        Err(at) => {
            let key = or_fail!(normal_key(rt, key));
            let n = keys.len() + 1;
            JetOut::Ret(rt.tab_stored(n, stored_with(keys, at, key), stored_with(vals, at, val)))
        }
    }
}

/// The set of the keys of `from` whose membership in `other` is `member`.
fn set_filter(rt: &mut Runtime, from: Value, other: Value, member: bool) -> JetOut {
    let (Some(xs), Some(ys)) = (set_view(from), set_view(other)) else {
        return JetOut::Fallback;
    };
    let kept: Vec<Value> = xs
        .iter()
        .filter(|x| search_normal(*x, ys).is_ok() == member)
        .collect();
    JetOut::Ret(rt.set_from_sorted(&kept))
}

/// `N(x)` as a count, when it is a small nat (other counts are left to the PLAN code).
fn count(x: Value) -> Option<usize> {
    let x = x.deref();
    x.as_small().map(|k| k.min(usize::MAX as u64) as usize)
}

/// `setTake`/`setDrop`/`setSplitAt`: the first `k` keys and the rest, as sets.
fn set_split(
    rt: &mut Runtime,
    a: &[Value],
    parts: fn(&mut Runtime, Value, Value) -> Value,
) -> JetOut {
    let (Some(k), Some(keys)) = (count(a[0]), set_view(a[1])) else {
        return JetOut::Fallback;
    };
    let (left, right) = split_set(rt, keys, k.min(keys.len()));
    JetOut::Ret(parts(rt, left, right))
}

/// The sets of keys `..at` and `at..`.
fn split_set(rt: &mut Runtime, keys: RowView, at: usize) -> (Value, Value) {
    let (l, r) = (keys.slice(0, at), keys.slice(at, keys.len()));
    let left = rt.set_stored(l.len(), l.stored().iter().copied());
    let right = rt.set_stored(r.len(), r.stored().iter().copied());
    (left, right)
}

/// The tabs of entries `..at` and `at..`, as a row of two.
fn split_tab(rt: &mut Runtime, keys: RowView, vals: RowView, at: usize) -> Value {
    let n = keys.len();
    let part = |rt: &mut Runtime, from: usize, to: usize| {
        let (k, v) = (keys.slice(from, to), vals.slice(from, to));
        rt.tab_stored(
            k.len(),
            k.stored().iter().copied(),
            v.stored().iter().copied(),
        )
    };
    let left = part(rt, 0, at);
    let right = part(rt, at, n);
    rt.row(&[left, right])
}

/// The list (`[x [y ... 0]]`) of some values.
fn list(rt: &mut Runtime, xs: impl DoubleEndedIterator<Item = Value>) -> Value {
    let mut l = Value::small(0);
    for x in xs.rev() {
        l = rt.row(&[x, l]);
    }
    l
}

/// The `[key value]` pairs of a tab.
fn pairs(rt: &mut Runtime, keys: RowView, vals: RowView) -> Vec<Value> {
    keys.iter()
        .zip(vals.iter())
        .map(|(k, v)| rt.row(&[k, v]))
        .collect()
}

/// `tabWeld`/`tabUnionWith`: [`Runtime::tab_merge`], falling back for non-tabs.
fn tab_merge(
    rt: &mut Runtime,
    x: Value,
    y: Value,
    both: impl FnMut(&mut Runtime, Value, Value) -> Value,
) -> JetOut {
    match rt.tab_merge(x, y, both) {
        Some(t) => JetOut::Ret(t),
        None => JetOut::Fallback,
    }
}

/// `tabFromPairs pairs`: the tab of `[key value]` rows, later pairs winning; natively when
/// every pair is an evaluated row of two with a normal key.
fn tab_from_pairs(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(ps) = crate::datajet::row_view(a[0]) else {
        return JetOut::Fallback;
    };
    let mut pairs = Vec::with_capacity(ps.len());
    for p in ps.iter() {
        let Some(kv) = crate::datajet::row_view(p).filter(|kv| kv.len() == 2) else {
            return JetOut::Fallback;
        };
        let (k, v) = (kv.at(0), kv.at(1));
        if !is_normal(k) {
            return JetOut::Fallback;
        }
        pairs.push((k.deref(), v));
    }
    JetOut::Ret(rt.tab_from_pairs(&pairs))
}

/// `tabFoldlWithKey f z t`: `f (... (f z k0 v0) ...) kn vn`, each step evaluated (the PLAN
/// `foldl` is strict).
fn tab_foldl_with_key(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((ks, vs)) = tab_view(a[2]) else {
        return JetOut::Fallback;
    };
    if ks.is_empty() {
        return JetOut::Eval(a[1]);
    }
    let mut acc = a[1];
    for (k, v) in ks.iter().zip(vs.iter()) {
        acc = or_fail!(rt.with_gc_held(|rt| rt.call(a[0], &[acc, k, v])));
    }
    JetOut::Ret(acc)
}

/// `tabAlter f k t`: `f NONE` or `f (SOME v)` decides: a nat removes (or keeps absent) the
/// key, `(x y)` sets it to `y`.
fn tab_alter(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (f, key, tab) = (a[0], a[1], a[2]);
    let (Some((ks, vs)), Some(set)) = (tab_view(tab), tab_set(tab)) else {
        return JetOut::Fallback;
    };
    let at = or_fail!(rt.search_lazy(key, ks));
    let arg = match at {
        Ok(i) => some(rt, vs.at(i)),
        Err(_) => Value::small(0),
    };
    let r = or_fail!(rt.with_gc_held(|rt| rt.call(f, &[arg]))).deref();
    // `maybeCase`: a nat is `NONE`, anything else carries its value as its `cdr`.
    let new = (!r.is_nat()).then(|| cdr_of(r));
    let n = ks.len();
    JetOut::Ret(match (at, new) {
        (Ok(i), Some(v)) => {
            let row = rt.row_stored(n, stored_replacing(vs, i, v));
            rt.partial(set, &[row])
        }
        (Ok(i), None) => rt.tab_stored(n - 1, stored_without(ks, i), stored_without(vs, i)),
        (Err(i), Some(v)) => {
            let key = or_fail!(normal_key(rt, key));
            rt.tab_stored(n + 1, stored_with(ks, i, key), stored_with(vs, i, v))
        }
        (Err(_), None) => tab,
    })
}

/// `unfoldr f seed`: the row of `x0 x1 ...` while `f` answers `SOME [x seed']` (anything
/// but a nat), ending at the first nat (`NONE`). The elements stay unevaluated.
fn unfoldr(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (f, mut seed) = (a[0], a[1]);
    let mut out = Vec::new();
    loop {
        if rt.interrupted() {
            return JetOut::Fail(rt.stop_crash());
        }
        let r = or_fail!(rt.with_gc_held(|rt| rt.call(f, &[seed]))).deref();
        let pair = match r.kind() {
            _ if r.is_nat() => break,
            Some(crate::value::Kind::App(app)) => app.args()[app.args().len() - 1],
            _ => return JetOut::Fallback,
        };
        let pair = or_fail!(rt.with_gc_held(|rt| rt.whnf(pair)));
        let Some(p) = crate::datajet::row_view(pair).filter(|p| p.len() == 2) else {
            return JetOut::Fallback;
        };
        out.push(p.at(0));
        seed = p.at(1);
    }
    JetOut::Ret(rt.row(&out))
}

/// The set and tab natives.
pub fn table() -> Vec<(&'static str, Native)> {
    let mut t: Vec<(&'static str, Native)> = Vec::new();
    let mut put = |name, strict, run| t.push((name, Native { strict, run }));
    put("setHas", W2, set_has);
    put("setIns", W2, set_ins);
    put("setDel", W2, set_del);
    put("setWeld", W2, set_weld);
    put("setLen", W1, |rt, a| match set_view(a[0]) {
        Some(ks) => JetOut::Ret(rt.nat_u64(ks.len() as u64)),
        None => JetOut::Fallback,
    });
    put("setIsEmpty", W1, |_, a| match set_view(a[0]) {
        Some(ks) => bit(ks.is_empty()),
        None => JetOut::Fallback,
    });
    put("setMin", W1, |_, a| match set_view(a[0]) {
        Some(ks) => JetOut::Ret(ks.get(0).unwrap_or(Value::small(0))),
        None => JetOut::Fallback,
    });
    put("setSing", &[Deep], |rt, a| {
        JetOut::Ret(rt.set_from_sorted(&[a[0]]))
    });
    put("tabSing", &[Deep, Lazy], |rt, a| {
        JetOut::Ret(rt.tab_from_sorted(&[a[0]], &[a[1]]))
    });
    put("_TabLen", W1, |rt, a| match tab_view(a[0]) {
        Some((ks, _)) => JetOut::Ret(rt.nat_u64(ks.len() as u64)),
        None => JetOut::Fallback,
    });
    put("_TabIsEmpty", W1, |_, a| match tab_view(a[0]) {
        Some((ks, _)) => bit(ks.is_empty()),
        None => JetOut::Fallback,
    });
    put("tabIdx", W2, tab_idx);
    put("_TabHas", W2, tab_has);
    put("_TabLookup", W2, tab_lookup);
    put("tabIns", &[Whnf, Lazy, Whnf], tab_ins);
    put("setTake", W2, |rt, a| set_split(rt, a, |_, l, _| l));
    put("setDrop", W2, |rt, a| set_split(rt, a, |_, _, r| r));
    put("setSplitAt", W2, |rt, a| {
        set_split(rt, a, |rt, l, r| rt.row(&[l, r]))
    });
    // `setIntersect a b`: the keys of b that are in a; `setSub a b`: those of a not in b.
    put("setIntersect", W2, |rt, a| set_filter(rt, a[1], a[0], true));
    put("setSub", W2, |rt, a| set_filter(rt, a[0], a[1], false));
    put("isSet", W1, |_, a| match set_view(a[0]) {
        Some(_) => bit(true),
        None => JetOut::Fallback,
    });
    put("isTab", W1, |_, a| match tab_view(a[0]) {
        Some(_) => bit(true),
        None => JetOut::Fallback,
    });
    put("tabToPairs", W1, |rt, a| match tab_view(a[0]) {
        Some((ks, vs)) => {
            let ps = pairs(rt, ks, vs);
            JetOut::Ret(rt.row(&ps))
        }
        None => JetOut::Fallback,
    });
    put("tabMinKey", W1, |_, a| match tab_view(a[0]) {
        Some((ks, _)) => JetOut::Ret(ks.get(0).unwrap_or(Value::small(0))),
        None => JetOut::Fallback,
    });
    put("tabElemIdx", W2, |rt, a| {
        match (count(a[0]), tab_view(a[1])) {
            (Some(i), Some((ks, vs))) => JetOut::Ret(match (ks.get(i), vs.get(i)) {
                (Some(k), Some(v)) => rt.row(&[k, v]),
                _ => Value::small(0),
            }),
            _ => JetOut::Fallback,
        }
    });
    put("tabSplitAt", W2, |rt, a| {
        match (count(a[0]), tab_view(a[1])) {
            (Some(i), Some((ks, vs))) => JetOut::Ret(split_tab(rt, ks, vs, i.min(ks.len()))),
            _ => JetOut::Fallback,
        }
    });
    // Left-biased: a key in both keeps the first tab's value.
    put("tabWeld", W2, |rt, a| {
        tab_merge(rt, a[0], a[1], |_, x, _| x)
    });
    // Higher-order: the function's results stay unevaluated, as in the PLAN code.
    put("tabMapWithKey", &[Lazy, Whnf], |rt, a| {
        let (Some((ks, vs)), Some(set)) = (tab_view(a[1]), tab_set(a[1])) else {
            return JetOut::Fallback;
        };
        let f = a[0];
        let mapped: Vec<Value> = ks
            .iter()
            .zip(vs.iter())
            .map(|(k, v)| rt.apply_lazy(f, &[k, v]))
            .collect();
        let row = rt.row(&mapped);
        JetOut::Ret(rt.partial(set, &[row]))
    });
    // `tabUnionWith f a b`: a key in both gets `f va vb` (unevaluated).
    put("tabUnionWith", &[Lazy, Whnf, Whnf], |rt, a| {
        let f = a[0];
        tab_merge(rt, a[1], a[2], |rt, x, y| rt.apply_lazy(f, &[x, y]))
    });
    put("tabFromPairs", W1, tab_from_pairs);
    put("tabFoldlWithKey", &[Lazy, Lazy, Whnf], tab_foldl_with_key);
    put("tabAlter", &[Lazy, Whnf, Whnf], tab_alter);
    put("unfoldr", &[Lazy, Lazy], unfoldr);
    // Construction: opcode 0 makes the law, fully evaluating its body.
    put("_MkSet", &[Deep], |rt, a| {
        JetOut::Ret(rt.law(Value::small(1), Value::small(2), a[0]))
    });
    put("_MkTab", &[Deep, Lazy], |rt, a| {
        let set = rt.law(Value::small(1), Value::small(2), a[0]);
        JetOut::Ret(rt.partial(set, &[a[1]]))
    });
    put("_TabKeysList", W1, |rt, a| match tab_view(a[0]) {
        Some((ks, _)) => JetOut::Ret(list(rt, ks.iter())),
        None => JetOut::Fallback,
    });
    put("tabToPairList", W1, |rt, a| match tab_view(a[0]) {
        Some((ks, vs)) => {
            let ps = pairs(rt, ks, vs);
            JetOut::Ret(list(rt, ps.into_iter()))
        }
        None => JetOut::Fallback,
    });
    put("setCatRowAsc", W1, |rt, a| {
        let Some(sets) = crate::datajet::row_view(a[0]) else {
            return JetOut::Fallback;
        };
        let mut keys = Vec::new();
        for s in sets.iter() {
            match set_view(s) {
                Some(ks) => keys.extend(ks.iter()),
                None => return JetOut::Fallback,
            }
        }
        // The sets may not come in ascending order: the result is then a plain law, as the
        // PLAN code makes it, so its shape is checked here.
        let row = rt.row(&keys);
        JetOut::Ret(rt.law(Value::small(1), Value::small(2), row))
    });
    put("setSplitLT", W2, |rt, a| {
        let Some(keys) = set_view(a[1]) else {
            return JetOut::Fallback;
        };
        let (Ok(at) | Err(at)) = or_fail!(rt.search_lazy(a[0], keys));
        let (left, right) = split_set(rt, keys, at);
        JetOut::Ret(rt.row(&[left, right]))
    });
    put("tabSplitLT", W2, |rt, a| {
        let Some((ks, vs)) = tab_view(a[1]) else {
            return JetOut::Fallback;
        };
        let (Ok(at) | Err(at)) = or_fail!(rt.search_lazy(a[0], ks));
        JetOut::Ret(split_tab(rt, ks, vs, at))
    });
    put("tabSwitch", &[Whnf, Lazy, Whnf], |rt, a| {
        let Some((ks, vs)) = tab_view(a[2]) else {
            return JetOut::Fallback;
        };
        match or_fail!(rt.search_lazy(a[0], ks)) {
            Ok(i) => JetOut::Eval(vs.at(i)),
            Err(_) => JetOut::Eval(a[1]),
        }
    });
    put("tabMap", &[Lazy, Whnf], |rt, a| {
        let (Some((_, vs)), Some(set)) = (tab_view(a[1]), tab_set(a[1])) else {
            return JetOut::Fallback;
        };
        let f = a[0];
        let mapped: Vec<Value> = vs.iter().map(|v| rt.apply_lazy(f, &[v])).collect();
        let row = rt.row(&mapped);
        JetOut::Ret(rt.partial(set, &[row]))
    });
    t
}
