//! PLAN order and equality on normal values: nat < pin < law < app; nats by value; pins equal
//! by hash, otherwise by item; laws by (name, arity, body); apps by (argument count, head,
//! arguments in application order). Data jets compare as the PLAN they stand for.

use std::cmp::Ordering;

use crate::nat;
use crate::value::{Kind, Value};

fn rank(v: Value) -> u8 {
    if v.is_small() {
        return 0;
    }
    match v.kind() {
        Some(Kind::Nat(_)) | None => 0,
        Some(Kind::Pin(_)) => 1,
        Some(Kind::Law(_)) => 2,
        Some(Kind::App(_)) | Some(Kind::Thunk(_)) => 3,
    }
}

/// Compares two fully normal values in PLAN order.
pub fn compare(a: Value, b: Value) -> Ordering {
    let mut work: Vec<(Value, Value)> = vec![(a, b)];
    while let Some((x, y)) = work.pop() {
        let (x, y) = (x.deref(), y.deref());
        if x == y {
            continue;
        }
        let (rx, ry) = (rank(x), rank(y));
        if rx != ry {
            return rx.cmp(&ry);
        }
        match (x.kind(), y.kind()) {
            (Some(Kind::Pin(p)), Some(Kind::Pin(q))) => {
                if p.hash != q.hash {
                    work.push((p.item, q.item));
                }
            }
            (Some(Kind::Law(l)), Some(Kind::Law(m))) => {
                work.push((l.body, m.body));
                work.push((l.arity_nat, m.arity_nat));
                work.push((l.name, m.name));
            }
            (Some(Kind::App(f)), Some(Kind::App(g))) => {
                let (fa, ga) = (f.args(), g.args());
                if fa.len() != ga.len() {
                    return fa.len().cmp(&ga.len());
                }
                for i in (0..fa.len()).rev() {
                    work.push((fa[i], ga[i]));
                }
                work.push((f.head, g.head));
            }
            _ => {
                // Both nats.
                let o = match (x.as_small(), y.as_small()) {
                    (Some(m), Some(n)) => m.cmp(&n),
                    _ => nat::nat_or_zero(x).cmp(&nat::nat_or_zero(y)),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
    Ordering::Equal
}

/// Structural equality of two fully normal values (pins by hash).
pub fn equal(a: Value, b: Value) -> bool {
    compare(a, b) == Ordering::Equal
}

/// Whether the values are strictly ascending in PLAN order.
pub fn strictly_ascending(vs: &[Value]) -> bool {
    vs.windows(2).all(|w| compare(w[0], w[1]) == Ordering::Less)
}
