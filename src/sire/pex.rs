//! Rex as PLAN data ("Pex"), exactly as the reference encodes it: what the compiler walks,
//! and what macros receive and return.
//!
//! Nodes are pinned laws `{##OPEN 4 0}` (and `##NEST ##INFX ##PREF ##SHUT`) applied to the rune,
//! a row of sons and the heir (0 = none); leaves `{##WORD 3 0}` (`##TEXT ##LINE`) applied to
//! the text and the heir; embeds `{##EMBD 2 0}` applied to the value. Text is UTF-8 in a nat.

use pallas_runtime::datajet::row_elems;
use pallas_runtime::{nat, Kind, Runtime, Value};

/// The shape of a node's rune.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RuneShape {
    /// A rune followed by indented layout.
    Open,
    /// `(...)` or `[...]`.
    Nest,
    /// `(a + b)`.
    Infx,
    /// `-x`.
    Pref,
    /// `a-b`.
    Shut,
}

/// The shape of a leaf.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TextShape {
    /// A bare word.
    Word,
    /// A quoted string.
    Text,
    /// A line string.
    Line,
}

const RUNE_SHAPES: [(RuneShape, &str); 5] = [
    (RuneShape::Open, "##OPEN"),
    (RuneShape::Nest, "##NEST"),
    (RuneShape::Infx, "##INFX"),
    (RuneShape::Pref, "##PREF"),
    (RuneShape::Shut, "##SHUT"),
];

const TEXT_SHAPES: [(TextShape, &str); 3] = [
    (TextShape::Word, "##WORD"),
    (TextShape::Text, "##TEXT"),
    (TextShape::Line, "##LINE"),
];

/// A decoded Pex node: the parts are still PLAN values (sons and heirs are Pex values).
#[derive(Clone, Debug)]
pub enum View {
    /// A rune node.
    Node {
        /// Shape.
        shape: RuneShape,
        /// The rune.
        rune: String,
        /// The sons.
        sons: Vec<Value>,
        /// The heir, if any.
        heir: Option<Value>,
    },
    /// A leaf.
    Leaf {
        /// Shape.
        shape: TextShape,
        /// The text.
        text: String,
        /// The heir, if any.
        heir: Option<Value>,
    },
    /// An embedded PLAN value.
    Embd(Value),
    /// Not a Rex value.
    Evil,
}

/// The name of a constructor pin `<{name n 0}>`, if `v` is one with arity `n`.
fn constructor_name(v: Value, arity: u64) -> Option<String> {
    let Some(Kind::Pin(p)) = v.deref().kind() else {
        return None;
    };
    let Some(Kind::Law(l)) = p.item().deref().kind() else {
        return None;
    };
    if l.arity != arity || l.body.deref().as_small() != Some(0) {
        return None;
    }
    nat::to_text(l.name.deref())
}

fn heir_of(v: Value) -> Option<Value> {
    let v = v.deref();
    (v.as_small() != Some(0)).then_some(v)
}

/// Decodes one level of a Pex value (which must be normal).
pub fn view(v: Value) -> View {
    let v = v.deref();
    let Some(Kind::App(a)) = v.kind() else {
        return View::Evil;
    };
    let args = a.args();
    match args.len() {
        1 => match constructor_name(a.head, 2) {
            Some(n) if n == "##EMBD" => View::Embd(args[0].deref()),
            _ => View::Evil,
        },
        2 => {
            let Some(n) = constructor_name(a.head, 3) else {
                return View::Evil;
            };
            let Some(&(shape, _)) = TEXT_SHAPES.iter().find(|(_, s)| *s == n) else {
                return View::Evil;
            };
            let t = args[0].deref();
            if !t.is_nat() {
                return View::Evil;
            }
            match nat::to_text(t) {
                Some(text) => View::Leaf {
                    shape,
                    text,
                    heir: heir_of(args[1]),
                },
                None => View::Evil,
            }
        }
        3 => {
            let Some(n) = constructor_name(a.head, 4) else {
                return View::Evil;
            };
            let Some(&(shape, _)) = RUNE_SHAPES.iter().find(|(_, s)| *s == n) else {
                return View::Evil;
            };
            let r = args[0].deref();
            let (Some(rune), Some(sons)) = (
                r.is_nat().then(|| nat::to_text(r)).flatten(),
                row_elems(args[1]),
            ) else {
                return View::Evil;
            };
            View::Node {
                shape,
                rune,
                sons,
                heir: heir_of(args[2]),
            }
        }
        _ => View::Evil,
    }
}

/// Builds Pex values. The constructor pins are made once and kept in the runtime's roots.
pub struct PexMaker {
    nodes: [Value; 5],
    leaves: [Value; 3],
    embd: Value,
}

fn cons(rt: &mut Runtime, name: &str, arity: u64) -> Value {
    let n = rt.nat_str(name);
    let law = rt.law(n, Value::small(arity), Value::small(0));
    let p = rt.pin(law);
    rt.roots.push(p);
    p
}

impl PexMaker {
    /// Makes the constructors (rooting them in `rt`).
    pub fn new(rt: &mut Runtime) -> PexMaker {
        PexMaker {
            nodes: RUNE_SHAPES.map(|(_, n)| cons(rt, n, 4)),
            leaves: TEXT_SHAPES.map(|(_, n)| cons(rt, n, 3)),
            embd: cons(rt, "##EMBD", 2),
        }
    }

    /// A node.
    pub fn node(
        &self,
        rt: &mut Runtime,
        shape: RuneShape,
        rune: &str,
        sons: &[Value],
        heir: Option<Value>,
    ) -> Value {
        let i = RUNE_SHAPES
            .iter()
            .position(|(s, _)| *s == shape)
            .unwrap_or(0);
        let r = rt.nat_str(rune);
        let row = rt.row(sons);
        rt.partial(self.nodes[i], &[r, row, heir.unwrap_or(Value::small(0))])
    }

    /// A leaf.
    pub fn leaf(
        &self,
        rt: &mut Runtime,
        shape: TextShape,
        text: &str,
        heir: Option<Value>,
    ) -> Value {
        let i = TEXT_SHAPES
            .iter()
            .position(|(s, _)| *s == shape)
            .unwrap_or(0);
        let t = rt.nat_str(text);
        rt.partial(self.leaves[i], &[t, heir.unwrap_or(Value::small(0))])
    }

    /// A word leaf without heir.
    pub fn word(&self, rt: &mut Runtime, text: &str) -> Value {
        self.leaf(rt, TextShape::Word, text, None)
    }

    /// An embedded value.
    pub fn embed(&self, rt: &mut Runtime, v: Value) -> Value {
        rt.partial(self.embd, &[v])
    }
}

/// Prints a Pex value on one line (for error messages; not the full Rex printer), cut
/// short with `...` after about 4,000 characters or 200 levels.
pub fn show(v: Value) -> String {
    let mut p = Show {
        out: String::new(),
        cut: false,
    };
    p.go(v, 0);
    p.out
}

struct Show {
    out: String,
    cut: bool,
}

impl Show {
    const MAX_LEN: usize = 4000;
    const MAX_DEPTH: usize = 200;

    /// Whether the budget is spent (saying so once, with `...`).
    fn spent(&mut self, depth: usize) -> bool {
        if !self.cut && (depth > Self::MAX_DEPTH || self.out.len() > Self::MAX_LEN) {
            self.out.push_str("...");
            self.cut = true;
        }
        self.cut
    }

    fn kids(&mut self, sons: &[Value], sep: &str, depth: usize) {
        for (i, k) in sons.iter().enumerate() {
            if self.cut {
                return;
            }
            if i > 0 {
                self.out.push_str(sep);
            }
            self.go(*k, depth + 1);
        }
    }

    /// Prints `v` and its heir chain (in a loop).
    fn go(&mut self, v: Value, depth: usize) {
        let mut next = Some(v);
        while let Some(v) = next.take() {
            if self.spent(depth) {
                return;
            }
            next = self.one(v, depth);
        }
    }

    /// Prints one node without its heir; returns the heir.
    fn one(&mut self, v: Value, depth: usize) -> Option<Value> {
        match view(v) {
            View::Node {
                shape,
                rune,
                sons,
                heir,
            } => {
                match shape {
                    RuneShape::Nest if rune == "|" => {
                        self.out.push('(');
                        self.kids(&sons, " ", depth);
                        self.out.push(')');
                    }
                    RuneShape::Nest if rune == "," => {
                        self.out.push('[');
                        self.kids(&sons, " ", depth);
                        self.out.push(']');
                    }
                    RuneShape::Infx => {
                        self.out.push('(');
                        self.kids(&sons, &format!(" {rune} "), depth);
                        self.out.push(')');
                    }
                    RuneShape::Shut => self.kids(&sons, &rune, depth),
                    RuneShape::Pref => {
                        self.out.push_str(&rune);
                        self.kids(&sons, " ", depth);
                    }
                    _ => {
                        self.out.push('(');
                        self.out.push_str(&rune);
                        if !sons.is_empty() {
                            self.out.push(' ');
                        }
                        self.kids(&sons, " ", depth);
                        self.out.push(')');
                    }
                }
                heir
            }
            View::Leaf { shape, text, heir } => {
                match shape {
                    TextShape::Word => self.out.push_str(&text),
                    TextShape::Text => {
                        self.out.push('{');
                        self.out.push_str(&text);
                        self.out.push('}');
                    }
                    TextShape::Line => {
                        self.out.push_str("} ");
                        self.out.push_str(&text);
                    }
                }
                heir
            }
            View::Embd(x) => {
                self.out.push_str(&format!(
                    "(↓ {})",
                    pallas_runtime::print::show_short(x, 300)
                ));
                None
            }
            View::Evil => {
                self.out.push_str(&format!(
                    "(EVIL {})",
                    pallas_runtime::print::show_short(v, 300)
                ));
                None
            }
        }
    }
}

/// Converts a Rex tree (as read) into Pex: sons recursively (the stack grows as needed),
/// each heir chain in a loop from its end.
pub fn from_rex<E>(
    rt: &mut Runtime,
    pm: &PexMaker,
    rex: &crate::rex::Rex<E>,
    embed: &dyn Fn(&E) -> Value,
) -> Value {
    use crate::rex::{Rex, RuneShape as RS, TextShape as TS};
    let mut chain = vec![rex];
    while let Some(h) = chain.last().and_then(|r| r.heir()) {
        chain.push(h);
    }
    let mut heir: Option<Value> = None;
    for r in chain.into_iter().rev() {
        heir = Some(match r {
            Rex::Node {
                shape, rune, sons, ..
            } => {
                let shape = match shape {
                    RS::Open => RuneShape::Open,
                    RS::Nest => RuneShape::Nest,
                    RS::Infx => RuneShape::Infx,
                    RS::Pref => RuneShape::Pref,
                    RS::Shut => RuneShape::Shut,
                };
                let ss: Vec<Value> = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    sons.iter().map(|s| from_rex(rt, pm, s, embed)).collect()
                });
                pm.node(rt, shape, rune, &ss, heir)
            }
            Rex::Leaf { shape, text, .. } => {
                let shape = match shape {
                    TS::Word => TextShape::Word,
                    TS::Text => TextShape::Text,
                    TS::Line => TextShape::Line,
                };
                pm.leaf(rt, shape, text, heir)
            }
            Rex::Embed(e) => {
                let v = embed(e);
                pm.embed(rt, v)
            }
        });
    }
    heir.unwrap_or(Value::small(0))
}
