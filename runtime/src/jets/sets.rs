//! Set and tab jets. A set is the law `{1 2 keys}` whose body is a strictly ascending row
//! (PLAN order); a tab is a set applied to a row of as many values. Each native handles
//! proper sets and tabs (their keys are a law's body, so always fully evaluated) and a fully
//! evaluated key to look for, and falls back to the PLAN code for anything else.

use std::cmp::Ordering;

use super::natives::{bit, cdr_of, is_normal, some, W1, W2};
use super::{JetOut, Native};
use crate::datajet::{set_keys, tab_parts};
use crate::eval::Strict::{Deep, Lazy, Whnf};
use crate::order::compare;
use crate::runtime::Runtime;
use crate::value::Value;

/// Where `key` is in the ascending `keys`: `Ok(i)` when it is element `i`, `Err(i)` where it
/// would go. `None` when a comparison would need evaluation.
fn search(key: Value, keys: &[Value]) -> Option<Result<usize, usize>> {
    if !is_normal(key) {
        return None;
    }
    let (mut lo, mut hi) = (0usize, keys.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match compare(key, keys[mid]) {
            Ordering::Less => hi = mid,
            Ordering::Equal => return Some(Ok(mid)),
            Ordering::Greater => lo = mid + 1,
        }
    }
    Some(Err(lo))
}

fn set_has(_: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(keys) = set_keys(a[1]) else {
        return JetOut::Fallback;
    };
    match search(a[0], &keys) {
        Some(r) => bit(r.is_ok()),
        None => JetOut::Fallback,
    }
}

fn set_ins(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(mut keys) = set_keys(a[1]) else {
        return JetOut::Fallback;
    };
    match search(a[0], &keys) {
        Some(Ok(_)) => JetOut::Ret(a[1]),
        Some(Err(at)) => {
            keys.insert(at, a[0].deref());
            JetOut::Ret(rt.set_from_sorted(&keys))
        }
        None => JetOut::Fallback,
    }
}

fn set_del(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(mut keys) = set_keys(a[1]) else {
        return JetOut::Fallback;
    };
    match search(a[0], &keys) {
        Some(Ok(at)) => {
            keys.remove(at);
            JetOut::Ret(rt.set_from_sorted(&keys))
        }
        Some(Err(_)) => JetOut::Ret(a[1]),
        None => JetOut::Fallback,
    }
}

fn set_weld(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (Some(xs), Some(ys)) = (set_keys(a[0]), set_keys(a[1])) else {
        return JetOut::Fallback;
    };
    let mut out = Vec::with_capacity(xs.len() + ys.len());
    let (mut i, mut j) = (0, 0);
    while i < xs.len() && j < ys.len() {
        match compare(xs[i], ys[j]) {
            Ordering::Less => {
                out.push(xs[i]);
                i += 1;
            }
            Ordering::Greater => {
                out.push(ys[j]);
                j += 1;
            }
            Ordering::Equal => {
                out.push(xs[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&xs[i..]);
    out.extend_from_slice(&ys[j..]);
    JetOut::Ret(rt.set_from_sorted(&out))
}

fn tab_idx(_: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((keys, vals)) = tab_parts(a[1]) else {
        return JetOut::Fallback;
    };
    match search(a[0], &keys) {
        Some(Ok(at)) => JetOut::Eval(vals[at]),
        Some(Err(_)) => JetOut::Ret(Value::small(0)),
        None => JetOut::Fallback,
    }
}

fn tab_has(_: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((keys, _)) = tab_parts(a[1]) else {
        return JetOut::Fallback;
    };
    match search(a[0], &keys) {
        Some(r) => bit(r.is_ok()),
        None => JetOut::Fallback,
    }
}

fn tab_lookup(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some((keys, vals)) = tab_parts(a[1]) else {
        return JetOut::Fallback;
    };
    match search(a[0], &keys) {
        Some(Ok(at)) => JetOut::Ret(some(rt, vals[at])),
        Some(Err(_)) => JetOut::Ret(Value::small(0)),
        None => JetOut::Fallback,
    }
}

fn tab_ins(rt: &mut Runtime, a: &[Value]) -> JetOut {
    if !is_normal(a[0]) {
        return JetOut::Fallback;
    }
    // `tab_insert` reads the tab's parts (and is `None` for anything that is not a tab).
    match rt.tab_insert(a[2], a[0].deref(), a[1]) {
        Some(t) => JetOut::Ret(t),
        None => JetOut::Fallback,
    }
}

/// The set of the keys of `from` whose membership in `other` is `member`.
fn set_filter(rt: &mut Runtime, from: Value, other: Value, member: bool) -> JetOut {
    let (Some(xs), Some(ys)) = (set_keys(from), set_keys(other)) else {
        return JetOut::Fallback;
    };
    let kept: Vec<Value> = xs
        .into_iter()
        .filter(|x| ys.binary_search_by(|y| compare(*y, *x)).is_ok() == member)
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
    let (Some(k), Some(keys)) = (count(a[0]), set_keys(a[1])) else {
        return JetOut::Fallback;
    };
    let k = k.min(keys.len());
    let left = rt.set_from_sorted(&keys[..k]);
    let right = rt.set_from_sorted(&keys[k..]);
    JetOut::Ret(parts(rt, left, right))
}

/// The list (`[x [y ... 0]]`) of some values.
fn list(rt: &mut Runtime, xs: &[Value]) -> Value {
    let mut l = Value::small(0);
    for x in xs.iter().rev() {
        l = rt.row(&[*x, l]);
    }
    l
}

/// The `[key value]` pairs of a tab.
fn pairs(rt: &mut Runtime, keys: &[Value], vals: &[Value]) -> Vec<Value> {
    keys.iter()
        .zip(vals)
        .map(|(k, v)| rt.row(&[*k, *v]))
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
    let Some(ps) = crate::datajet::row_elems(a[0]) else {
        return JetOut::Fallback;
    };
    let mut pairs = Vec::with_capacity(ps.len());
    for p in ps {
        let Some([k, v]) =
            crate::datajet::row_elems(p).and_then(|kv| <[Value; 2]>::try_from(kv).ok())
        else {
            return JetOut::Fallback;
        };
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
    let Some((ks, vs)) = tab_parts(a[2]) else {
        return JetOut::Fallback;
    };
    if ks.is_empty() {
        return JetOut::Eval(a[1]);
    }
    let mut acc = a[1];
    for (k, v) in ks.iter().zip(&vs) {
        acc = match rt.with_gc_held(|rt| rt.call(a[0], &[acc, *k, *v])) {
            Ok(x) => x,
            Err(c) => return JetOut::Fail(c),
        };
    }
    JetOut::Ret(acc)
}

/// `tabAlter f k t`: `f NONE` or `f (SOME v)` decides: a nat removes (or keeps absent) the
/// key, `(x y)` sets it to `y`.
fn tab_alter(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (f, key) = (a[0], a[1]);
    let Some((mut ks, mut vs)) = tab_parts(a[2]) else {
        return JetOut::Fallback;
    };
    let Some(at) = search(key, &ks) else {
        return JetOut::Fallback;
    };
    let arg = match at {
        Ok(i) => some(rt, vs[i]),
        Err(_) => Value::small(0),
    };
    let r = match rt.with_gc_held(|rt| rt.call(f, &[arg])) {
        Ok(r) => r.deref(),
        Err(c) => return JetOut::Fail(c),
    };
    // `maybeCase`: a nat is `NONE`, anything else carries its value as its `cdr`.
    let new = (!r.is_nat()).then(|| cdr_of(r));
    match (at, new) {
        (Ok(i), Some(v)) => vs[i] = v,
        (Ok(i), None) => {
            ks.remove(i);
            vs.remove(i);
        }
        (Err(i), Some(v)) => {
            ks.insert(i, key.deref());
            vs.insert(i, v);
        }
        (Err(_), None) => return JetOut::Ret(a[2]),
    }
    JetOut::Ret(rt.tab_from_sorted(&ks, &vs))
}

/// `unfoldr f seed`: the row of `x0 x1 ...` while `f` answers `SOME [x seed']` (anything
/// but a nat), ending at the first nat (`NONE`). The elements stay unevaluated.
fn unfoldr(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (f, mut seed) = (a[0], a[1]);
    let mut out = Vec::new();
    loop {
        if rt.interrupted() {
            return JetOut::Fail(crate::eval::Crash::interrupted());
        }
        let r = match rt.with_gc_held(|rt| rt.call(f, &[seed])) {
            Ok(r) => r.deref(),
            Err(c) => return JetOut::Fail(c),
        };
        let pair = match r.kind() {
            _ if r.is_nat() => break,
            Some(crate::value::Kind::App(app)) => app.args()[app.args().len() - 1],
            _ => return JetOut::Fallback,
        };
        let pair = match rt.with_gc_held(|rt| rt.whnf(pair)) {
            Ok(p) => p,
            Err(c) => return JetOut::Fail(c),
        };
        let Some([x, next]) =
            crate::datajet::row_elems(pair).and_then(|p| <[Value; 2]>::try_from(p).ok())
        else {
            return JetOut::Fallback;
        };
        out.push(x);
        seed = next;
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
    put("setLen", W1, |rt, a| match set_keys(a[0]) {
        Some(ks) => JetOut::Ret(rt.nat_u64(ks.len() as u64)),
        None => JetOut::Fallback,
    });
    put("setIsEmpty", W1, |_, a| match set_keys(a[0]) {
        Some(ks) => bit(ks.is_empty()),
        None => JetOut::Fallback,
    });
    put("setMin", W1, |_, a| match set_keys(a[0]) {
        Some(ks) => JetOut::Ret(ks.first().copied().unwrap_or(Value::small(0))),
        None => JetOut::Fallback,
    });
    put("setSing", &[Deep], |rt, a| {
        JetOut::Ret(rt.set_from_sorted(&[a[0]]))
    });
    put("tabSing", &[Deep, Lazy], |rt, a| {
        JetOut::Ret(rt.tab_from_sorted(&[a[0]], &[a[1]]))
    });
    put("_TabLen", W1, |rt, a| match tab_parts(a[0]) {
        Some((ks, _)) => JetOut::Ret(rt.nat_u64(ks.len() as u64)),
        None => JetOut::Fallback,
    });
    put("_TabIsEmpty", W1, |_, a| match tab_parts(a[0]) {
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
    put("isSet", W1, |_, a| match set_keys(a[0]) {
        Some(_) => bit(true),
        None => JetOut::Fallback,
    });
    put("isTab", W1, |_, a| match tab_parts(a[0]) {
        Some(_) => bit(true),
        None => JetOut::Fallback,
    });
    put("tabToPairs", W1, |rt, a| match tab_parts(a[0]) {
        Some((ks, vs)) => {
            let ps = pairs(rt, &ks, &vs);
            JetOut::Ret(rt.row(&ps))
        }
        None => JetOut::Fallback,
    });
    put("tabMinKey", W1, |_, a| match tab_parts(a[0]) {
        Some((ks, _)) => JetOut::Ret(ks.first().copied().unwrap_or(Value::small(0))),
        None => JetOut::Fallback,
    });
    put("tabElemIdx", W2, |rt, a| {
        match (count(a[0]), tab_parts(a[1])) {
            (Some(i), Some((ks, vs))) => JetOut::Ret(match (ks.get(i), vs.get(i)) {
                (Some(k), Some(v)) => rt.row(&[*k, *v]),
                _ => Value::small(0),
            }),
            _ => JetOut::Fallback,
        }
    });
    put("tabSplitAt", W2, |rt, a| {
        match (count(a[0]), tab_parts(a[1])) {
            (Some(i), Some((ks, vs))) => {
                let i = i.min(ks.len());
                let left = rt.tab_from_sorted(&ks[..i], &vs[..i]);
                let right = rt.tab_from_sorted(&ks[i..], &vs[i..]);
                JetOut::Ret(rt.row(&[left, right]))
            }
            _ => JetOut::Fallback,
        }
    });
    // Left-biased: a key in both keeps the first tab's value.
    put("tabWeld", W2, |rt, a| {
        tab_merge(rt, a[0], a[1], |_, x, _| x)
    });
    // Higher-order: the function's results stay unevaluated, as in the PLAN code.
    put("tabMapWithKey", &[Lazy, Whnf], |rt, a| {
        match tab_parts(a[1]) {
            Some((ks, vs)) => {
                let f = a[0];
                let mapped: Vec<Value> = ks
                    .iter()
                    .zip(&vs)
                    .map(|(k, v)| rt.apply_lazy(f, &[*k, *v]))
                    .collect();
                JetOut::Ret(rt.tab_from_sorted(&ks, &mapped))
            }
            None => JetOut::Fallback,
        }
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
    put("_TabKeysList", W1, |rt, a| match tab_parts(a[0]) {
        Some((ks, _)) => JetOut::Ret(list(rt, &ks)),
        None => JetOut::Fallback,
    });
    put("tabToPairList", W1, |rt, a| match tab_parts(a[0]) {
        Some((ks, vs)) => {
            let ps = pairs(rt, &ks, &vs);
            JetOut::Ret(list(rt, &ps))
        }
        None => JetOut::Fallback,
    });
    put("setCatRowAsc", W1, |rt, a| {
        let Some(sets) = crate::datajet::row_elems(a[0]) else {
            return JetOut::Fallback;
        };
        let mut keys = Vec::new();
        for s in sets {
            match set_keys(s) {
                Some(ks) => keys.extend(ks),
                None => return JetOut::Fallback,
            }
        }
        // The sets may not come in ascending order: the result is then a plain law, as the
        // PLAN code makes it, so its shape is checked here.
        let row = rt.row(&keys);
        JetOut::Ret(rt.law(Value::small(1), Value::small(2), row))
    });
    put("setSplitLT", W2, |rt, a| {
        let Some(keys) = set_keys(a[1]) else {
            return JetOut::Fallback;
        };
        let at = match search(a[0], &keys) {
            Some(Ok(i) | Err(i)) => i,
            None => return JetOut::Fallback,
        };
        let left = rt.set_from_sorted(&keys[..at]);
        let right = rt.set_from_sorted(&keys[at..]);
        JetOut::Ret(rt.row(&[left, right]))
    });
    put("tabSplitLT", W2, |rt, a| {
        let Some((ks, vs)) = tab_parts(a[1]) else {
            return JetOut::Fallback;
        };
        let at = match search(a[0], &ks) {
            Some(Ok(i) | Err(i)) => i,
            None => return JetOut::Fallback,
        };
        let left = rt.tab_from_sorted(&ks[..at], &vs[..at]);
        let right = rt.tab_from_sorted(&ks[at..], &vs[at..]);
        JetOut::Ret(rt.row(&[left, right]))
    });
    put("tabSwitch", &[Whnf, Lazy, Whnf], |_, a| {
        let Some((ks, vs)) = tab_parts(a[2]) else {
            return JetOut::Fallback;
        };
        match search(a[0], &ks) {
            Some(Ok(i)) => JetOut::Eval(vs[i]),
            Some(Err(_)) => JetOut::Eval(a[1]),
            None => JetOut::Fallback,
        }
    });
    put("tabMap", &[Lazy, Whnf], |rt, a| match tab_parts(a[1]) {
        Some((ks, vs)) => {
            let f = a[0];
            let mapped: Vec<Value> = vs.iter().map(|v| rt.apply_lazy(f, &[*v])).collect();
            JetOut::Ret(rt.tab_from_sorted(&ks, &mapped))
        }
        None => JetOut::Fallback,
    });
    t
}
