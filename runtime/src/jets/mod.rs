//! Jets: native implementations of pinned laws, matched by name and BLAKE3 hash.
//!
//! A pin is matched once, when it is created or loaded: the law's name selects a table entry
//! and the pin's hash must be one of that entry's accepted hashes. A matched pin whose entry
//! has a native implementation runs it (unless jets are disabled); a native implementation
//! may still ask to fall back to the PLAN code for inputs it does not handle.

mod bars;
pub mod check;
mod more;
mod natives;
mod row;
mod seedjets;
mod sets;
mod text;
mod word;

use std::collections::HashMap;

use crate::eval::{Crash, Strict};
use crate::hash::{base58, from_base58, Hash};
use crate::runtime::{JetMismatch, Runtime};
use crate::value::{Kind, Value};

/// Index of an entry in the jet table.
pub type JetId = u16;

/// What a native jet produced.
pub enum JetOut {
    /// This value, already in weak head normal form.
    Ret(Value),
    /// Evaluate this value (a tail call).
    Eval(Value),
    /// Apply this function to these arguments (a tail call).
    Apply(Value, Vec<Value>),
    /// A PLAN crash `(op, arg)`.
    Crash(Value, Value),
    /// Another kind of crash.
    Fail(Crash),
    /// Run the law's PLAN code instead.
    Fallback,
    /// Go on with this comparison of the jet's two arguments (it needs a value evaluated),
    /// then answer as the verdict says.
    Compare(Box<crate::order::Comparison>, crate::order::Verdict),
}

/// A native jet: receives exactly the pin's arity in arguments, forced as its strictness says.
pub type JetFn = fn(&mut Runtime, &[Value]) -> JetOut;

/// A native implementation and how strict it is in each argument.
#[derive(Clone, Copy)]
pub struct Native {
    /// Strictness per argument (missing entries are lazy).
    pub strict: &'static [Strict],
    /// The implementation.
    pub run: JetFn,
}

/// One entry of the jet table.
pub struct JetEntry {
    /// The law's name.
    pub name: String,
    /// Accepted pin hashes.
    pub hashes: Vec<Hash>,
    /// The native implementation, if there is one.
    pub native: Option<Native>,
}

/// A record of one pin that matched (or mismatched) a jet name.
#[derive(Clone, Debug)]
pub struct MatchEvent {
    /// The law name.
    pub name: String,
    /// The pin's hash.
    pub hash: Hash,
    /// Whether the hash was accepted.
    pub matched: bool,
}

/// The jet table.
pub struct JetTable {
    entries: Vec<JetEntry>,
    by_name: HashMap<String, JetId>,
    /// Every match attempt on a known jet name, in order (for `pallas jets FILE`).
    pub events: Vec<MatchEvent>,
}

impl JetTable {
    /// The reference's table (names and hashes from its lib/Fan/JetHash.hs) with our natives.
    pub fn reference() -> JetTable {
        let mut t = JetTable {
            entries: Vec::new(),
            by_name: HashMap::new(),
            events: Vec::new(),
        };
        // The reference's hashes, those of our own sire/ laws where they differ, and those
        // of reference laws we jet beyond its table.
        let tables = [
            include_str!("reference_hashes.txt"),
            include_str!("our_hashes.txt"),
            include_str!("extra_hashes.txt"),
        ];
        for line in tables
            .iter()
            .flat_map(|t| t.lines())
            .filter(|l| !l.starts_with(';'))
        {
            let mut parts = line.split_whitespace();
            if let (Some(name), Some(h)) = (parts.next(), parts.next()) {
                if let Some(h) = from_base58(h) {
                    t.accept(name, h);
                }
            }
        }
        // `PALLAS_PLAN_ONLY=a,b` runs the named jets as PLAN code (to find a faulty native).
        let plan_only = std::env::var("PALLAS_PLAN_ONLY").unwrap_or_default();
        let plan_only: Vec<&str> = plan_only.split(',').map(str::trim).collect();
        for (name, native) in natives::table() {
            if !plan_only.contains(&name) {
                t.set_native(name, native);
            }
        }
        t
    }

    fn entry_id(&mut self, name: &str) -> JetId {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        let i = self.entries.len() as JetId;
        self.entries.push(JetEntry {
            name: name.to_string(),
            hashes: Vec::new(),
            native: None,
        });
        self.by_name.insert(name.to_string(), i);
        i
    }

    /// Adds an accepted hash for a name.
    pub fn accept(&mut self, name: &str, hash: Hash) {
        let i = self.entry_id(name) as usize;
        if !self.entries[i].hashes.contains(&hash) {
            self.entries[i].hashes.push(hash);
        }
    }

    /// Sets the native implementation for a name.
    pub fn set_native(&mut self, name: &str, native: Native) {
        let i = self.entry_id(name) as usize;
        self.entries[i].native = Some(native);
    }

    /// All entries.
    pub fn entries(&self) -> &[JetEntry] {
        &self.entries
    }

    /// The entry for an id.
    pub fn entry(&self, j: JetId) -> &JetEntry {
        &self.entries[j as usize]
    }

    /// Looks up a name.
    pub fn lookup(&self, name: &str) -> Option<JetId> {
        self.by_name.get(name).copied()
    }

    /// Strictness of a jet's native implementation.
    pub fn strictness(&self, j: JetId) -> &'static [Strict] {
        self.entries[j as usize]
            .native
            .map(|n| n.strict)
            .unwrap_or(&[])
    }
}

/// The text of a law name as the jet table spells it (`_` for 0... kept as raw UTF-8).
fn law_name_text(name: Value) -> Option<String> {
    crate::nat::to_text(name)
}

fn jet_like(name: &str) -> bool {
    let mut cs = name.chars();
    cs.next() == Some('_') && cs.next().is_some_and(|c| c.is_ascii_uppercase())
}

impl Runtime {
    /// Matches a freshly made pin against the jet table. Returns an error message when the
    /// pin has a jet's name but not its hash and the policy is [`JetMismatch::Crash`].
    pub(crate) fn match_jet(&mut self, pin: Value) -> Result<(), String> {
        let Some(Kind::Pin(p)) = pin.kind() else {
            return Ok(());
        };
        let Some(Kind::Law(l)) = p.item().kind() else {
            return Ok(());
        };
        let Some(name) = law_name_text(l.name) else {
            return Ok(());
        };
        match self.jets.lookup(&name) {
            Some(j) => {
                let ok = self.jets.entry(j).hashes.contains(&p.hash);
                self.jets.events.push(MatchEvent {
                    name: name.clone(),
                    hash: p.hash,
                    matched: ok,
                });
                if ok {
                    p.jet.set(Some(j));
                    Ok(())
                } else {
                    self.jet_mismatch(&name, &p.hash)
                }
            }
            None if jet_like(&name) => {
                self.jets.events.push(MatchEvent {
                    name: name.clone(),
                    hash: p.hash,
                    matched: false,
                });
                self.jet_mismatch(&name, &p.hash)
            }
            None => Ok(()),
        }
    }

    fn jet_mismatch(&mut self, name: &str, hash: &Hash) -> Result<(), String> {
        match self.config.jet_mismatch {
            JetMismatch::Ignore => Ok(()),
            JetMismatch::Warn => {
                eprintln!("warning: jet {name} not matched (hash {})", base58(hash));
                Ok(())
            }
            JetMismatch::Crash => Err(format!(
                "jet {name} not matched (hash {}), and jet mismatches are fatal",
                base58(hash)
            )),
        }
    }

    /// Test hook: attaches the native implementation named `name` to `pin`, whatever its
    /// hash. Returns false (and changes nothing) if `pin` is no pin or the name has no native.
    pub fn force_jet(&mut self, pin: Value, name: &str) -> bool {
        let Some(Kind::Pin(p)) = pin.deref().kind() else {
            return false;
        };
        match self.jets.lookup(name) {
            Some(j) if self.jets.entry(j).native.is_some() => {
                p.jet.set(Some(j));
                true
            }
            _ => false,
        }
    }

    /// The jet whose native runs for calls of the pin `p`, when jets are on and it has one.
    #[inline]
    pub(crate) fn native_jet_of(&self, p: &crate::value::PinObj) -> Option<JetId> {
        if !self.config.jets {
            return None;
        }
        let j = p.jet.get()?;
        self.jets.entry(j).native.is_some().then_some(j)
    }

    pub(crate) fn run_jet(&mut self, j: JetId, args: &[Value]) -> JetOut {
        match self.jets.entry(j).native {
            Some(n) => (n.run)(self, args),
            None => JetOut::Fallback,
        }
    }
}
