//! Checking a native jet against its own PLAN law: the same call is run with the native
//! attached and detached, and the two outcomes must agree. The jet test suites use this on
//! generated arguments.

use crate::eval::CrashKind;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// A call's outcome as text comparable across the two runs: the normal form, or the crash.
fn outcome(rt: &mut Runtime, f: Value, args: &[Value]) -> Result<Value, String> {
    rt.call_deep(f, args).map_err(|c| match c.kind {
        CrashKind::Plan => format!("crash {:?} {:?}", c.op, c.arg),
        k => format!("{k:?}"),
    })
}

/// Runs the pin `pin` on `args` with its native jet, then as its PLAN law, and says how they
/// differ (`None` when they agree): the results must be equal values (or the same crash), and
/// every law in the native's result must carry the data-jet shape its parts give.
pub fn native_disagrees(rt: &mut Runtime, pin: Value, args: &[Value]) -> Option<String> {
    let Some(Kind::Pin(p)) = pin.kind() else {
        return Some(format!("{pin:?} is not a pin"));
    };
    let jet = p.jet.get();
    let on = outcome(rt, pin, args);
    // The first result must survive collections during the second evaluation.
    let held = rt.roots.len();
    if let Ok(v) = on {
        rt.roots.push(v);
    }
    p.jet.set(None);
    let off = outcome(rt, pin, args);
    p.jet.set(jet);
    rt.roots.truncate(held);
    let same = match (&on, &off) {
        (Ok(x), Ok(y)) => crate::order::equal(*x, *y),
        (Err(x), Err(y)) => x == y,
        _ => false,
    };
    if !same {
        return Some(format!("{args:?}: native {on:?}, law {off:?}"));
    }
    match on {
        Ok(v) if !crate::runtime::shapes_consistent(v) => {
            Some(format!("{args:?}: a law in {v:?} has the wrong shape"))
        }
        _ => None,
    }
}

/// Calls `f` with every combination of one value from each pool (the last pool varies
/// fastest); nothing when a pool is empty.
pub fn each_combination(pools: &[&[Value]], mut f: impl FnMut(&[Value])) {
    if pools.iter().any(|p| p.is_empty()) {
        return;
    }
    let mut idx = vec![0usize; pools.len()];
    loop {
        let args: Vec<Value> = idx.iter().zip(pools).map(|(&i, p)| p[i]).collect();
        f(&args);
        let mut k = pools.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < pools[k].len() {
                break;
            }
            idx[k] = 0;
        }
    }
}
