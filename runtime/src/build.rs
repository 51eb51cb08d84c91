//! Building and querying sets and tabs (the sorted data-jet shapes) from host code.
//!
//! A set is the law `{1 2 row}` with the row strictly ascending in PLAN order, and a tab is a
//! set applied to a row of values of the same length. These helpers keep the invariants: keys
//! given to them must be fully normal, and results are always canonical.

use std::cmp::Ordering;

use crate::datajet::{self, RowView};
use crate::order::compare;
use crate::runtime::Runtime;
use crate::value::Value;

/// Where `key` (fully normal) is among the strictly ascending normal `keys`: `Ok(i)` when it
/// is element `i`, `Err(i)` where it would go. A binary search on the keys where they are
/// stored.
pub fn search_normal(key: Value, keys: RowView) -> Result<usize, usize> {
    let (mut lo, mut hi) = (0usize, keys.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match compare(key, keys.at(mid)) {
            Ordering::Less => hi = mid,
            Ordering::Equal => return Ok(mid),
            Ordering::Greater => lo = mid + 1,
        }
    }
    Err(lo)
}

/// The elements of `v` with `x` put at index `at` (as stored: last first), for building.
pub fn stored_with(v: RowView, at: usize, x: Value) -> impl Iterator<Item = Value> {
    let cut = v.len() - at;
    let s = v.stored();
    s[..cut]
        .iter()
        .copied()
        .chain(std::iter::once(x))
        .chain(s[cut..].iter().copied())
}

/// The elements of `v` without index `at` (as stored: last first), for building.
pub fn stored_without(v: RowView, at: usize) -> impl Iterator<Item = Value> {
    let cut = v.len() - 1 - at;
    let s = v.stored();
    s[..cut].iter().copied().chain(s[cut + 1..].iter().copied())
}

/// The elements of `v` with index `at` replaced by `x` (as stored: last first).
pub fn stored_replacing(v: RowView, at: usize, x: Value) -> impl Iterator<Item = Value> {
    let hit = v.len() - 1 - at;
    v.stored()
        .iter()
        .enumerate()
        .map(move |(j, &y)| if j == hit { x } else { y })
}

impl Runtime {
    /// The set of the given keys, which must be strictly ascending and fully normal.
    pub fn set_from_sorted(&mut self, keys: &[Value]) -> Value {
        self.set_stored(keys.len(), keys.iter().rev().copied())
    }

    /// The set of `n` keys given as stored (descending), strictly ascending in index order
    /// and fully normal.
    pub fn set_stored(&mut self, n: usize, stored: impl Iterator<Item = Value>) -> Value {
        let row = self.row_stored(n, stored);
        self.set_law(row, n as u64)
    }

    /// The tab with these ascending keys and their values (same length).
    pub fn tab_from_sorted(&mut self, keys: &[Value], vals: &[Value]) -> Value {
        let n = keys.len();
        self.tab_stored(n, keys.iter().rev().copied(), vals.iter().rev().copied())
    }

    /// The tab of `n` keys and values given as stored (last first): the keys strictly
    /// ascending in index order and fully normal.
    pub fn tab_stored(
        &mut self,
        n: usize,
        keys: impl Iterator<Item = Value>,
        vals: impl Iterator<Item = Value>,
    ) -> Value {
        let set = self.set_stored(n, keys);
        let row = self.row_stored(n, vals);
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

    /// The value stored under the normal `key` in `tab`, or `None` (also when `tab` is not a
    /// tab). A binary search: nothing is copied.
    pub fn tab_lookup(&self, tab: Value, key: Value) -> Option<Value> {
        let (keys, vals) = datajet::tab_view(tab)?;
        let i = search_normal(key, keys).ok()?;
        Some(vals.at(i).deref())
    }

    /// `tab` with the normal `key` set to `val` (a new tab, built with one copy of its
    /// parts; `tab` is unchanged). `None` when `tab` is not a tab.
    pub fn tab_insert(&mut self, tab: Value, key: Value, val: Value) -> Option<Value> {
        let (keys, vals) = datajet::tab_view(tab)?;
        Some(match search_normal(key, keys) {
            Ok(i) => {
                // The same keys: the set is shared, only the values are copied.
                let set = datajet::tab_set(tab)?;
                let row = self.row_stored(vals.len(), stored_replacing(vals, i, val));
                self.partial(set, &[row])
            }
            Err(i) => {
                let n = keys.len() + 1;
                self.tab_stored(n, stored_with(keys, i, key), stored_with(vals, i, val))
            }
        })
    }

    /// `tab` without `key`.
    pub fn tab_delete(&mut self, tab: Value, key: Value) -> Option<Value> {
        let (keys, vals) = datajet::tab_view(tab)?;
        Some(match search_normal(key, keys) {
            Ok(i) => {
                let n = keys.len() - 1;
                self.tab_stored(n, stored_without(keys, i), stored_without(vals, i))
            }
            Err(_) => tab.deref(),
        })
    }

    /// The entries of `tab` whose key satisfies `keep`.
    pub fn tab_filter(&mut self, tab: Value, keep: impl Fn(Value) -> bool) -> Option<Value> {
        let (keys, vals) = datajet::tab_view(tab)?;
        let (ks, vs): (Vec<Value>, Vec<Value>) = keys
            .iter()
            .zip(vals.iter())
            .filter(|(k, _)| keep(*k))
            .unzip();
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
        let (lk, lv) = datajet::tab_view(left)?;
        let (rk, rv) = datajet::tab_view(right)?;
        let mut keys = Vec::with_capacity(lk.len() + rk.len());
        let mut vals = Vec::with_capacity(lk.len() + rk.len());
        let (mut i, mut j) = (0, 0);
        while i < lk.len() || j < rk.len() {
            let o = if i == lk.len() {
                Ordering::Greater
            } else if j == rk.len() {
                Ordering::Less
            } else {
                compare(lk.at(i), rk.at(j))
            };
            match o {
                Ordering::Less => {
                    keys.push(lk.at(i));
                    vals.push(lv.at(i));
                    i += 1;
                }
                Ordering::Greater => {
                    keys.push(rk.at(j));
                    vals.push(rv.at(j));
                    j += 1;
                }
                Ordering::Equal => {
                    keys.push(lk.at(i));
                    let v = both(self, lv.at(i), rv.at(j));
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
