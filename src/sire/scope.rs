//! The scope as the compiler keeps it: a few PLAN tabs of decreasing size, newest last,
//! where a newer tab's names win. Inserting a binding adds a one-entry tab and merges the
//! newest tabs while the last is at least half the size of the one before it, so each
//! binding is copied O(log n) times over a load (a single tab would be copied at every
//! insert: loading n definitions would take time in n²). The one tab that the state's ABI
//! (and so every macro) sees is made only when something asks for it, and then replaces
//! the levels until the next insert.

use pallas_runtime::datajet::tab_view;
use pallas_runtime::{Runtime, Value};

/// A scope: tabs, oldest (largest) first; names in later tabs win.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    levels: Vec<Value>,
}

/// The error when a scope level is not a tab (a macro returned a bad state).
const NOT_A_TAB: &str = "state.scope slot is not a tab";

fn size(tab: Value) -> Result<usize, String> {
    tab_view(tab).map(|(k, _)| k.len()).ok_or(NOT_A_TAB.into())
}

impl Scope {
    /// The scope holding the bindings of `tab` (not checked here: a value that is no tab
    /// makes later lookups find nothing and inserts fail, as a single tab would).
    pub fn from_tab(tab: Value) -> Scope {
        Scope { levels: vec![tab] }
    }

    /// The scope whose levels are `levels` (as [`Scope::levels`] gave them).
    pub fn from_levels(levels: &[Value]) -> Scope {
        Scope {
            levels: levels.to_vec(),
        }
    }

    /// The tabs, oldest first (to root them, or to keep them in a PLAN value).
    pub fn levels(&self) -> &[Value] {
        &self.levels
    }

    /// The binding of `name`, if any: the newest level that has it wins.
    pub fn lookup(&self, rt: &Runtime, name: Value) -> Option<Value> {
        self.levels
            .iter()
            .rev()
            .find_map(|t| rt.tab_lookup(*t, name))
    }

    /// Whether no level binds anything (also true of a scope with no levels).
    pub fn is_empty(&self) -> bool {
        self.levels
            .iter()
            .all(|t| tab_view(*t).is_some_and(|(k, _)| k.is_empty()))
    }

    /// Binds `name` (a normal nat) to `bind`, replacing an older binding.
    pub fn insert(&mut self, rt: &mut Runtime, name: Value, bind: Value) -> Result<(), String> {
        let one = rt.tab_from_sorted(&[name], &[bind]);
        self.push(rt, one)
    }

    /// Adds the bindings of `tab`, which win over the scope's.
    pub fn push(&mut self, rt: &mut Runtime, tab: Value) -> Result<(), String> {
        size(tab)?;
        self.levels.push(tab);
        while let [.., older, newer] = self.levels[..] {
            if size(newer)? * 2 < size(older)? {
                break;
            }
            let merged = rt.tab_union(newer, older).ok_or(NOT_A_TAB)?;
            self.levels.pop();
            *self.levels.last_mut().expect("two levels") = merged;
        }
        Ok(())
    }

    /// The scope as one tab (what the state's ABI holds), which then becomes its only level.
    pub fn tab(&mut self, rt: &mut Runtime) -> Result<Value, String> {
        let mut acc = match self.levels.pop() {
            Some(t) => t,
            None => rt.tab_empty(),
        };
        // Newest first: the small tabs are merged before the large one is copied.
        while let Some(older) = self.levels.pop() {
            acc = match rt.tab_union(acc, older) {
                Some(t) => t,
                None => {
                    self.levels.push(older);
                    self.levels.push(acc);
                    return Err(NOT_A_TAB.into());
                }
            };
        }
        self.levels.push(acc);
        Ok(acc)
    }
}
