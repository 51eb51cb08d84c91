//! Building and querying sets and tabs (the sorted data-jet shapes) from host code.
//!
//! A set is the law `{1 2 row}` with the row strictly ascending in PLAN order, and a tab is a
//! set applied to a row of values of the same length. These helpers keep the invariants: keys
//! given to them must be fully normal, and results are always canonical.

use std::cmp::Ordering;

use crate::datajet;
use crate::order::compare;
use crate::runtime::Runtime;
use crate::value::{Kind, LawShape, Value};

/// The keys of a set as stored: application order, that is DESCENDING PLAN order.
fn set_args_desc(set: Value) -> Option<&'static [Value]> {
    match set.deref().kind() {
        Some(Kind::Law(l)) if matches!(l.shape, LawShape::Set(_)) => match l.body.deref().kind() {
            Some(Kind::Law(_)) => Some(&[]),
            Some(Kind::App(a)) => Some(a.args()),
            _ => None,
        },
        _ => None,
    }
}

/// Binary search in a descending slice: `Ok(i)` when found at `i`, else the insertion point.
fn search_desc(keys: &[Value], key: Value) -> Result<usize, usize> {
    keys.binary_search_by(|k| compare(key, *k))
}

impl Runtime {
    /// The set of the given keys, which must be strictly ascending and fully normal.
    pub fn set_from_sorted(&mut self, keys: &[Value]) -> Value {
        let row = self.row(keys);
        self.set_law(row, keys.len() as u64)
    }

    /// The tab with these ascending keys and their values (same length).
    pub fn tab_from_sorted(&mut self, keys: &[Value], vals: &[Value]) -> Value {
        let set = self.set_from_sorted(keys);
        let row = self.row(vals);
        self.partial(set, &[row])
    }

    /// The empty tab `#[]`.
    pub fn tab_empty(&mut self) -> Value {
        self.tab_from_sorted(&[], &[])
    }

    /// A tab from key/value pairs in any order; a later pair wins over an earlier equal key.
    pub fn tab_from_pairs(&mut self, pairs: &[(Value, Value)]) -> Value {
        let mut ps: Vec<(Value, Value)> = pairs.to_vec();
        // Stable sort keeps the original order among equal keys; keep the last of each run.
        ps.sort_by(|a, b| compare(a.0, b.0));
        let mut keys: Vec<Value> = Vec::with_capacity(ps.len());
        let mut vals: Vec<Value> = Vec::with_capacity(ps.len());
        for (k, v) in ps {
            if let Some(last) = keys.last() {
                if compare(*last, k) == Ordering::Equal {
                    *vals.last_mut().expect("same length") = v;
                    continue;
                }
            }
            keys.push(k);
            vals.push(v);
        }
        self.tab_from_sorted(&keys, &vals)
    }

    /// The value stored under `key` in `tab`, or `None` (also when `tab` is not a tab).
    pub fn tab_lookup(&self, tab: Value, key: Value) -> Option<Value> {
        let tab = tab.deref();
        let Some(Kind::App(a)) = tab.kind() else {
            return None;
        };
        let keys = set_args_desc(a.head)?;
        let [vals] = a.args() else {
            return None;
        };
        let vals = match vals.deref().kind() {
            Some(Kind::App(r)) => r.args(),
            Some(Kind::Law(_)) => &[],
            _ => return None,
        };
        if vals.len() != keys.len() {
            return None;
        }
        let i = search_desc(keys, key).ok()?;
        Some(vals[i].deref())
    }

    /// `tab` with `key` set to `val` (a new tab; `tab` is unchanged).
    pub fn tab_insert(&mut self, tab: Value, key: Value, val: Value) -> Option<Value> {
        let (mut keys, mut vals) = datajet::tab_parts(tab)?;
        match keys.binary_search_by(|k| compare(*k, key)) {
            Ok(i) => vals[i] = val,
            Err(i) => {
                keys.insert(i, key);
                vals.insert(i, val);
            }
        }
        Some(self.tab_from_sorted(&keys, &vals))
    }

    /// `tab` without `key`.
    pub fn tab_delete(&mut self, tab: Value, key: Value) -> Option<Value> {
        let (mut keys, mut vals) = datajet::tab_parts(tab)?;
        if let Ok(i) = keys.binary_search_by(|k| compare(*k, key)) {
            keys.remove(i);
            vals.remove(i);
        }
        Some(self.tab_from_sorted(&keys, &vals))
    }

    /// The entries of `tab` whose key satisfies `keep`.
    pub fn tab_filter(&mut self, tab: Value, keep: impl Fn(Value) -> bool) -> Option<Value> {
        let (keys, vals) = datajet::tab_parts(tab)?;
        let (ks, vs): (Vec<Value>, Vec<Value>) =
            keys.into_iter().zip(vals).filter(|(k, _)| keep(*k)).unzip();
        Some(self.tab_from_sorted(&ks, &vs))
    }

    /// The union of two tabs; entries of `left` win.
    pub fn tab_union(&mut self, left: Value, right: Value) -> Option<Value> {
        self.tab_merge(left, right, |_, l, _| l)
    }

    /// The keys of two tabs merged in order; a key in both gets `both(rt, left_value,
    /// right_value)`. `None` when either is not a tab.
    pub fn tab_merge(
        &mut self,
        left: Value,
        right: Value,
        mut both: impl FnMut(&mut Runtime, Value, Value) -> Value,
    ) -> Option<Value> {
        let (lk, lv) = datajet::tab_parts(left)?;
        let (rk, rv) = datajet::tab_parts(right)?;
        let (mut keys, mut vals) = (Vec::new(), Vec::new());
        let (mut i, mut j) = (0, 0);
        while i < lk.len() || j < rk.len() {
            let o = if i == lk.len() {
                Ordering::Greater
            } else if j == rk.len() {
                Ordering::Less
            } else {
                compare(lk[i], rk[j])
            };
            match o {
                Ordering::Less => {
                    keys.push(lk[i]);
                    vals.push(lv[i]);
                    i += 1;
                }
                Ordering::Greater => {
                    keys.push(rk[j]);
                    vals.push(rv[j]);
                    j += 1;
                }
                Ordering::Equal => {
                    keys.push(lk[i]);
                    let v = both(self, lv[i], rv[j]);
                    vals.push(v);
                    i += 1;
                    j += 1;
                }
            }
        }
        Some(self.tab_from_sorted(&keys, &vals))
    }

    /// Adds one to the count of reasons collection is forbidden (see [`Runtime::inhibit_gc`]);
    /// for host code that needs `&mut Runtime` while forbidding collection. Pair it with
    /// [`Runtime::gc_release`].
    pub fn gc_hold(&self) {
        self.gc_inhibit.set(self.gc_inhibit.get() + 1);
    }

    /// Undoes one [`Runtime::gc_hold`].
    pub fn gc_release(&self) {
        let c = &self.gc_inhibit;
        c.set(c.get().saturating_sub(1));
    }

    /// Runs `f` (an evaluation started by a native, which holds values in Rust variables)
    /// while collection may only free what `f` itself allocates.
    pub fn with_gc_held<R>(&mut self, f: impl FnOnce(&mut Runtime) -> R) -> R {
        self.gc_hold();
        let r = f(self);
        self.gc_release();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_lookup_delete() {
        let mut rt = Runtime::default();
        let t = rt.tab_empty();
        let t = rt.tab_insert(t, Value::small(5), Value::small(50)).unwrap();
        let t = rt.tab_insert(t, Value::small(2), Value::small(20)).unwrap();
        let t = rt.tab_insert(t, Value::small(9), Value::small(90)).unwrap();
        assert_eq!(datajet::shape(t), datajet::Shape::Tab);
        assert_eq!(rt.tab_lookup(t, Value::small(2)), Some(Value::small(20)));
        assert_eq!(rt.tab_lookup(t, Value::small(9)), Some(Value::small(90)));
        assert_eq!(rt.tab_lookup(t, Value::small(3)), None);
        let t = rt.tab_delete(t, Value::small(5)).unwrap();
        assert_eq!(rt.tab_lookup(t, Value::small(5)), None);
        let e = rt.tab_empty();
        assert_eq!(rt.tab_lookup(e, Value::small(5)), None);
    }

    #[test]
    fn union_left_wins() {
        let mut rt = Runtime::default();
        let a = rt.tab_from_pairs(&[(Value::small(1), Value::small(10))]);
        let b = rt.tab_from_pairs(&[
            (Value::small(1), Value::small(11)),
            (Value::small(2), Value::small(22)),
        ]);
        let u = rt.tab_union(a, b).unwrap();
        assert_eq!(rt.tab_lookup(u, Value::small(1)), Some(Value::small(10)));
        assert_eq!(rt.tab_lookup(u, Value::small(2)), Some(Value::small(22)));
    }
}
