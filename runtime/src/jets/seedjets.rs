//! Jets for serialisation: `_SaveSeed`, `_LoadSeed`, `_SaveGerm`, `_LoadGerm`, using
//! [`crate::seed`]. Anything unusual (a malformed seed, refs that are not pins) runs the PLAN
//! code instead.

use super::{JetOut, Native};
use crate::datajet;
use crate::eval::Strict::Deep;
use crate::runtime::Runtime;
use crate::seed;
use crate::value::{Kind, Value};

fn bar(rt: &mut Runtime, bytes: &[u8]) -> Value {
    let mut b = bytes.to_vec();
    b.push(1);
    let n = rt.nat_bytes(&b);
    rt.law(Value::small(1), Value::small(1), n)
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
    let refs = seed::pin_refs(p.item);
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

/// The serialisation jets.
pub fn table() -> Vec<(&'static str, Native)> {
    vec![
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
