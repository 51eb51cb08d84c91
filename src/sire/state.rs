//! The Sire state. As PLAN data it is an ABI (macros index into it):
//! `[nextKey context scope modules]`, scope = tab name -> binding pin
//! `<[key value code location name props]>`, modules = tab name -> `<scope>`. The compiler
//! keeps it as a [`State`], whose scope does not need copying at every definition.

use pallas_runtime::datajet::{row_elems, tab_view};
use pallas_runtime::{nat, Kind, Runtime, Value};

pub use super::scope::Scope;

/// The four fields of a state, as PLAN values.
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

/// The binding pin of `name` in the scope of a state given as PLAN data.
pub fn lookup_bind(rt: &mut Runtime, st: Value, name: Value) -> Result<Option<Value>, String> {
    let f = fields(st)?;
    Ok(rt.tab_lookup(f.scope, name))
}

/// The value bound to `name` in the scope of a state given as PLAN data.
pub fn lookup_val(rt: &mut Runtime, st: Value, name: &str) -> Result<Option<Value>, String> {
    let k = rt.nat_str(name);
    bind_val(lookup_bind(rt, st, k)?)
}

fn bind_val(b: Option<Value>) -> Result<Option<Value>, String> {
    match b {
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

/// The state as the compiler keeps it: the fields of the PLAN state, with the scope as a
/// [`Scope`] so that a definition does not copy it. [`State::to_plan`] gives the PLAN
/// state (the ABI macros see); [`State::to_root`] a PLAN value that holds everything, in a
/// private layout, for rooting between blocks.
#[derive(Clone, Debug)]
pub struct State {
    /// The next fresh binding key (a nat).
    pub next_key: Value,
    /// The current module name (a nat, 0 = none).
    pub context: Value,
    /// The current scope.
    pub scope: Scope,
    /// Loaded modules (a tab of pinned scopes).
    pub modules: Value,
    /// The PLAN state last made from (or read into) this one, if any: given to the next
    /// macro again while the fields are unchanged, so a macro sees the very state value
    /// that the one before it returned (already normal: nothing to walk again).
    plan: Option<Value>,
}

impl State {
    /// The initial state `[1 0 #[] #[]]`.
    pub fn initial(rt: &mut Runtime) -> State {
        let s = rt.tab_empty();
        let m = rt.tab_empty();
        State {
            next_key: Value::small(1),
            context: Value::small(0),
            scope: Scope::from_tab(s),
            modules: m,
            plan: None,
        }
    }

    /// The state held by a PLAN state `[nextKey context scope modules]`.
    pub fn from_plan(st: Value) -> Result<State, String> {
        let f = fields(st)?;
        Ok(State {
            next_key: f.next_key,
            context: f.context,
            scope: Scope::from_tab(f.scope),
            modules: f.modules,
            plan: Some(st),
        })
    }

    /// The PLAN state (its scope made into one tab, which the scope then keeps).
    pub fn to_plan(&mut self, rt: &mut Runtime) -> Result<Value, String> {
        let scope = self.scope.tab(rt)?;
        let fields = [self.next_key, self.context, scope, self.modules];
        if let Some(p) = self.plan {
            let same = pallas_runtime::datajet::row_view(p)
                .is_some_and(|xs| xs.len() == 4 && xs.iter().eq(fields.iter().copied()));
            if same {
                return Ok(p);
            }
        }
        let p = rt.row(&fields);
        self.plan = Some(p);
        Ok(p)
    }

    /// A PLAN value holding the whole state (read back by [`State::from_root`]): costs the
    /// number of scope levels, not the scope's size.
    pub fn to_root(&self, rt: &mut Runtime) -> Value {
        let plan = self.plan.unwrap_or(Value::small(0));
        let mut xs = vec![self.next_key, self.context, self.modules, plan];
        xs.extend_from_slice(self.scope.levels());
        rt.row(&xs)
    }

    /// The state that [`State::to_root`] made `v` from.
    pub fn from_root(v: Value) -> State {
        let xs = row_elems(v).expect("a state root is a row of at least four");
        State {
            next_key: xs[0],
            context: xs[1],
            modules: xs[2],
            plan: (!xs[3].is_nat()).then_some(xs[3]),
            scope: Scope::from_levels(&xs[4..]),
        }
    }

    /// Every value the state holds (roots for a collection).
    pub fn roots(&self) -> Vec<Value> {
        let mut xs = vec![self.next_key, self.context, self.modules];
        xs.extend(self.plan);
        xs.extend_from_slice(self.scope.levels());
        xs
    }

    /// The binding pin of `name` in the scope.
    pub fn lookup_bind(&self, rt: &Runtime, name: Value) -> Option<Value> {
        self.scope.lookup(rt, name)
    }

    /// The value bound to `name` in the scope (how runes find their macros).
    pub fn lookup_val(&self, rt: &mut Runtime, name: &str) -> Result<Option<Value>, String> {
        let k = rt.nat_str(name);
        bind_val(self.lookup_bind(rt, k))
    }

    /// Inserts a binding. `key` 0 takes the state's next key. `code` is the encoded Sire
    /// tree.
    pub fn insert_binding(
        &mut self,
        rt: &mut Runtime,
        key: Value,
        props: Value,
        name: Value,
        val: Value,
        code: Value,
    ) -> Result<(), String> {
        let key = if key.deref().as_small() == Some(0) {
            let n =
                nat::to_u64(self.next_key.deref()).ok_or("next-key slot in state is not a nat")?;
            self.next_key = rt.nat_u64(n + 1);
            rt.nat_u64(n)
        } else {
            key
        };
        let item = rt.row(&[key, val, code, self.context, name, props]);
        let item = rt.normalize(item).map_err(|c| c.describe())?;
        let bind = rt.pin(item);
        self.scope.insert(rt, name, bind)
    }

    /// Enters module `ctx`: the old scope (if any module was current) is pinned into
    /// modules.
    pub fn switch_to_context(&mut self, rt: &mut Runtime, ctx: Value) -> Result<(), String> {
        let old = self.context.deref();
        if !old.is_nat() {
            return Err("invalid `context` field in state".into());
        }
        if old.as_small() != Some(0) {
            let scope = self.scope.tab(rt)?;
            let p = rt.pin(scope);
            self.modules = rt
                .tab_insert(self.modules, old, p)
                .ok_or("`modules` table is not a tab")?;
        }
        let scope = rt.tab_empty();
        self.scope = Scope::from_tab(scope);
        self.context = ctx;
        Ok(())
    }

    /// Keeps only the listed names in scope; every listed name must exist.
    pub fn filter_scope(&mut self, rt: &mut Runtime, keep: &[Value]) -> Result<(), String> {
        let bogus: Vec<String> = keep
            .iter()
            .filter(|k| self.scope.lookup(rt, **k).is_none())
            .map(|k| show_key(*k))
            .collect();
        if !bogus.is_empty() {
            return Err(format!(
                "filter for non-existing keys: {}",
                bogus.join(", ")
            ));
        }
        let scope = self.scope.tab(rt)?;
        let scope = tab_keeping(rt, scope, keep).ok_or("state.scope is not a tab")?;
        self.scope = Scope::from_tab(scope);
        Ok(())
    }

    /// Imports module `modu` (all names, or only `only`): imported names win over the
    /// scope's.
    pub fn import_module(
        &mut self,
        rt: &mut Runtime,
        modu: Value,
        only: Option<&[Value]>,
    ) -> Result<(), String> {
        if tab_view(self.modules).is_none() {
            return Err("state.modules is not a tab".into());
        }
        let m = rt
            .tab_lookup(self.modules, modu)
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
                tab_keeping(rt, binds, ws).ok_or("module is not a tab")?
            }
        };
        self.scope
            .push(rt, binds)
            .map_err(|_| "state.scope is not a tab".into())
    }
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

/// The entries of the tab `tab` whose keys are among `keys` (`None` if it is not a tab).
fn tab_keeping(rt: &mut Runtime, tab: Value, keys: &[Value]) -> Option<Value> {
    let keys = keys.to_vec();
    rt.tab_filter(tab, |k| {
        keys.iter().any(|w| pallas_runtime::order::equal(*w, k))
    })
}
