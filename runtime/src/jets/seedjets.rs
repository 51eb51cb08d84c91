//! Jets for serialisation and hashing: `_SaveSeed`, `_LoadSeed`, `_SaveGerm`, `_LoadGerm`
//! (on [`crate::seed`]), `_Blake3` (BLAKE3 of the bytes of a tree of bars), `_PlanHash` and
//! `_PinHash` (the pin hash of [`crate::hash`]). Anything unusual (a malformed seed, refs that
//! are not pins) runs the PLAN code instead.

use super::{JetOut, Native};
use crate::datajet;
use crate::eval::Strict::Deep;
use crate::runtime::Runtime;
use crate::seed;
use crate::value::{Kind, Value};

fn bar(rt: &mut Runtime, bytes: &[u8]) -> Value {
    rt.bar(bytes)
}

fn save_seed(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let bytes = seed::save(a[0]);
    JetOut::Ret(bar(rt, &bytes))
}

fn load_seed(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let Some(bytes) = datajet::bar_bytes(a[0]) else {
        return JetOut::Fallback;
    };
    match seed::load(rt, &bytes) {
        Ok(v) => JetOut::Ret(v),
        Err(_) => JetOut::Fallback,
    }
}

fn save_germ(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let pin = a[0].deref();
    let Some(Kind::Pin(p)) = pin.kind() else {
        return JetOut::Ret(Value::small(0));
    };
    let refs = seed::pin_refs(p.item());
    let Some((germ, _)) = seed::save_germ(pin) else {
        return JetOut::Fallback;
    };
    let refs_row = rt.row(&refs);
    let germ_bar = bar(rt, &germ);
    JetOut::Ret(rt.row(&[refs_row, germ_bar]))
}

fn load_germ(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let (Some(refs), Some(bytes)) = (datajet::row_elems(a[0]), datajet::bar_bytes(a[1])) else {
        return JetOut::Fallback;
    };
    if !refs
        .iter()
        .all(|r| matches!(r.deref().kind(), Some(Kind::Pin(_))))
    {
        return JetOut::Fallback;
    }
    match seed::load_with_holes(rt, &bytes, &refs) {
        Ok(item) => JetOut::Ret(rt.pin(item)),
        Err(_) => JetOut::Fallback,
    }
}

/// The bytes of a tree of bars: a bar is its bytes, an application the concatenation of its
/// arguments in row order (the last applied first), anything else nothing.
fn bar_tree_bytes(v: Value, out: &mut Vec<u8>) {
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        let x = x.deref();
        if let Some(b) = datajet::bar_view(x) {
            b.copy_into(0, b.len(), out);
            continue;
        }
        if let Some(Kind::App(a)) = x.kind() {
            // Row index 0 is the last argument applied: push the first-applied first.
            stack.extend(a.args().iter().copied());
        }
    }
}

fn blake3_jet(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let mut bytes = Vec::new();
    bar_tree_bytes(a[0], &mut bytes);
    let h = blake3::hash(&bytes);
    JetOut::Ret(bar(rt, h.as_bytes()))
}

fn plan_hash(rt: &mut Runtime, a: &[Value]) -> JetOut {
    let h = crate::hash::hash_item(a[0]);
    JetOut::Ret(bar(rt, &h))
}

fn pin_hash(rt: &mut Runtime, a: &[Value]) -> JetOut {
    match a[0].deref().kind() {
        Some(Kind::Pin(p)) => {
            let h = p.hash;
            JetOut::Ret(bar(rt, &h))
        }
        _ => JetOut::Ret(Value::small(0)),
    }
}

/// The serialisation and hashing jets.
pub fn table() -> Vec<(&'static str, Native)> {
    vec![
        (
            "_Blake3",
            Native {
                strict: &[Deep],
                run: blake3_jet,
            },
        ),
        (
            "_PlanHash",
            Native {
                strict: &[Deep],
                run: plan_hash,
            },
        ),
        (
            "_PinHash",
            Native {
                strict: &[Deep],
                run: pin_hash,
            },
        ),
        (
            "_SaveSeed",
            Native {
                strict: &[Deep],
                run: save_seed,
            },
        ),
        (
            "_LoadSeed",
            Native {
                strict: &[Deep],
                run: load_seed,
            },
        ),
        (
            "_SaveGerm",
            Native {
                strict: &[Deep],
                run: save_germ,
            },
        ),
        (
            "_LoadGerm",
            Native {
                strict: &[Deep, Deep],
                run: load_germ,
            },
        ),
    ]
}
