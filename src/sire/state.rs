//! The Sire state as PLAN data (an ABI: macros index into it):
//! `[nextKey context scope modules]`, scope = tab name -> binding pin
//! `<[key value code location name props]>`, modules = tab name -> `<scope>`.

use pallas_runtime::datajet::{row_elems, tab_view};
use pallas_runtime::{nat, Kind, Runtime, Value};

/// The four fields of a state.
#[derive(Copy, Clone, Debug)]
pub struct Fields {
    /// The next fresh binding key (a nat).
    pub next_key: Value,
    /// The current module name (a nat, 0 = none).
    pub context: Value,
    /// The current scope (a tab).
    pub scope: Value,
    /// Loaded modules (a tab of pinned scopes).
    pub modules: Value,
}

/// Reads the fields of a state.
pub fn fields(st: Value) -> Result<Fields, String> {
    let xs = row_elems(st).ok_or("Invalid state object: not a row")?;
    if xs.len() != 4 {
        return Err("Invalid state object: row does not have four fields".into());
    }
    Ok(Fields {
        next_key: xs[0],
        context: xs[1],
        scope: xs[2],
        modules: xs[3],
    })
}

/// Builds a state from its fields.
pub fn make(rt: &mut Runtime, f: Fields) -> Value {
    rt.row(&[f.next_key, f.context, f.scope, f.modules])
}

/// The initial state `[1 0 #[] #[]]`.
pub fn initial(rt: &mut Runtime) -> Value {
    let s = rt.tab_empty();
    let m = rt.tab_empty();
    make(
        rt,
        Fields {
            next_key: Value::small(1),
            context: Value::small(0),
            scope: s,
            modules: m,
        },
    )
}

/// The binding pin of `name` in the scope.
pub fn lookup_bind(rt: &mut Runtime, st: Value, name: Value) -> Result<Option<Value>, String> {
    let f = fields(st)?;
    Ok(rt.tab_lookup(f.scope, name))
}

/// The value bound to `name` in the scope (how runes find their macros).
pub fn lookup_val(rt: &mut Runtime, st: Value, name: &str) -> Result<Option<Value>, String> {
    let k = rt.nat_str(name);
    match lookup_bind(rt, st, k)? {
        None => Ok(None),
        Some(b) => Ok(Some(super::ast::bind_value(b)?.deref())),
    }
}

/// The pinned item, if `v` is a pin.
pub fn pin_item(v: Value) -> Option<Value> {
    match v.deref().kind() {
        Some(Kind::Pin(p)) => Some(p.item()),
        _ => None,
    }
}

/// Inserts a binding. `key` 0 takes the state's next key. `code` is the encoded Sire tree.
pub fn insert_binding(
    rt: &mut Runtime,
    st: Value,
    key: Value,
    props: Value,
    name: Value,
    val: Value,
    code: Value,
) -> Result<Value, String> {
    let mut f = fields(st)?;
    let key = if key.deref().as_small() == Some(0) {
        let n = nat::to_u64(f.next_key.deref()).ok_or("next-key slot in state is not a nat")?;
        f.next_key = rt.nat_u64(n + 1);
        rt.nat_u64(n)
    } else {
        key
    };
    let item = rt.row(&[key, val, code, f.context, name, props]);
    let item = rt.normalize(item).map_err(|c| c.describe())?;
    let bind = rt.pin(item);
    f.scope = rt
        .tab_insert(f.scope, name, bind)
        .ok_or("state.scope slot is not a tab")?;
    Ok(make(rt, f))
}

/// Enters module `ctx`: the old scope (if any module was current) is pinned into modules.
pub fn switch_to_context(rt: &mut Runtime, st: Value, ctx: Value) -> Result<Value, String> {
    let f = fields(st)?;
    let old = f.context.deref();
    if !old.is_nat() {
        return Err("invalid `context` field in state".into());
    }
    let modules = if old.as_small() == Some(0) {
        f.modules
    } else {
        let p = rt.pin(f.scope);
        rt.tab_insert(f.modules, old, p)
            .ok_or("`modules` table is not a tab")?
    };
    let scope = rt.tab_empty();
    Ok(make(
        rt,
        Fields {
            next_key: f.next_key,
            context: ctx,
            scope,
            modules,
        },
    ))
}

/// Keeps only the listed names in scope; every listed name must exist.
pub fn filter_scope(rt: &mut Runtime, st: Value, keep: &[Value]) -> Result<Value, String> {
    let mut f = fields(st)?;
    let bogus: Vec<String> = keep
        .iter()
        .filter(|k| rt.tab_lookup(f.scope, **k).is_none())
        .map(|k| show_key(*k))
        .collect();
    if !bogus.is_empty() {
        return Err(format!(
            "filter for non-existing keys: {}",
            bogus.join(", ")
        ));
    }
    let keep = keep.to_vec();
    f.scope = rt
        .tab_filter(f.scope, |k| {
            keep.iter().any(|w| pallas_runtime::order::equal(*w, k))
        })
        .ok_or("state.scope is not a tab")?;
    Ok(make(rt, f))
}

/// Imports module `modu` (all names, or only `only`): imported names win over the scope's.
pub fn import_module(
    rt: &mut Runtime,
    st: Value,
    modu: Value,
    only: Option<&[Value]>,
) -> Result<Value, String> {
    let mut f = fields(st)?;
    if tab_view(f.modules).is_none() {
        return Err("state.modules is not a tab".into());
    }
    let m = rt
        .tab_lookup(f.modules, modu)
        .ok_or_else(|| format!("Module not loaded: {}", show_key(modu)))?;
    let binds = pin_item(m).ok_or("module is not a pin")?;
    if tab_view(binds).is_none() {
        return Err("module is not a pin".into());
    }
    let binds = match only {
        None => binds,
        Some(ws) => {
            let missing: Vec<String> = ws
                .iter()
                .filter(|w| rt.tab_lookup(binds, **w).is_none())
                .map(|w| show_key(*w))
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "imported symbols do not exist: [{}]",
                    missing.join(",")
                ));
            }
            let ws = ws.to_vec();
            rt.tab_filter(binds, |k| {
                ws.iter().any(|w| pallas_runtime::order::equal(*w, k))
            })
            .ok_or("module is not a tab")?
        }
    };
    f.scope = rt
        .tab_union(binds, f.scope)
        .ok_or("state.scope is not a tab")?;
    Ok(make(rt, f))
}

/// A key (a name nat) for people: its text when printable, else the number.
pub fn show_key(k: Value) -> String {
    let k = k.deref();
    match nat::to_text(k) {
        Some(t)
            if !t.is_empty()
                && t.chars().all(|c| c.is_ascii_graphic())
                && k.as_small() != Some(0) =>
        {
            t
        }
        _ => pallas_runtime::print::show_short(k, 100),
    }
}
