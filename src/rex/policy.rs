//! Giving meaning to juxtaposition and nesting: layout trees of clumps become Rex.
//!
//! Inside a clump, a leading rune is a prefix (`-x`), inner runes are infixes grouped left
//! when the rune changes (`a+b*c` is `(* (+ a b) c)`), and juxtaposed elements chain as heirs
//! (`f(x)`). Inside parentheses, clumps separated by space form an application (`(f x)`),
//! a leading lone rune a prefix form (`(+ a b)`), and lone runes between clumps an infix form
//! (`(a + b)`); brackets make a `,` node.

use super::layout::{clump_frag, span_text, Clump, Elem, Frag, Tree};
use super::lex::{Kind, StrType};
use super::tree::{Rex, RuneShape, TextShape};

/// The Rex tree type read from text (nothing embedded).
pub type Tex = Rex<()>;

/// A sequence of fragments grouped by its runes: `parts[i].1` is the infix rune after the
/// items `parts[i].0`; then the end. Flat, so that a long chain costs no recursion.
struct Sub<T> {
    parts: Vec<(Vec<T>, String)>,
    end: End<T>,
}

/// How a fragment sequence ends: items, or a rune that starts it or follows an infix rune.
enum End<T> {
    Seq(Vec<T>),
    Prefix(String, Vec<Frag<T>>),
}

fn sub_layout<T>(frags: Vec<Frag<T>>) -> Sub<T> {
    let mut parts = Vec::new();
    let mut head = Vec::new();
    let mut it = frags.into_iter();
    loop {
        match it.next() {
            None => {
                return Sub {
                    parts,
                    end: End::Seq(head),
                }
            }
            Some(Frag::Wolf(r, _)) if head.is_empty() => {
                return Sub {
                    parts,
                    end: End::Prefix(r, it.collect()),
                }
            }
            Some(Frag::Wolf(r, _)) => parts.push((std::mem::take(&mut head), r)),
            Some(Frag::Lamb(x)) => head.push(x),
        }
    }
}

/// Groups the items of a rune chain: a node per run of the same rune, each run's node the
/// first son of the next (`a+b*c` is `(* (+ a b) c)`); `last` is the son after the chain.
fn chain<T, X>(
    parts: Vec<(Vec<T>, String)>,
    last: X,
    mut item: impl FnMut(Vec<T>) -> X,
    node: impl Fn(&str, Vec<X>) -> X,
) -> X {
    let mut it = parts.into_iter();
    let Some((first, mut rune)) = it.next() else {
        return last;
    };
    let mut acc = vec![item(first)];
    for (xs, r) in it {
        acc.push(item(xs));
        if r != rune {
            acc = vec![node(&rune, acc)];
            rune = r;
        }
    }
    acc.push(last);
    node(&rune, acc)
}

struct Policy<'a> {
    lines: &'a [&'a [u8]],
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Policy<'_> {
    fn bar(&self, e: &Elem) -> &[u8] {
        span_text(self.lines, &e.pos)
    }

    fn span_frag(&self, e: Elem) -> Frag<Elem> {
        if matches!(e.kind, Kind::Rune) {
            Frag::Wolf(text(self.bar(&e)), e)
        } else {
            Frag::Lamb(e)
        }
    }

    fn heir_seq(&self, es: Vec<Elem>) -> Tex {
        // Built from the end, so each element's own chain is walked once.
        let mut tail: Option<Tex> = None;
        for e in es.into_iter().rev() {
            let mut r = self.elem_rex(e);
            if let Some(t) = tail {
                r.add_heir(t);
            }
            tail = Some(r);
        }
        tail.unwrap_or_else(|| Rex::node(RuneShape::Nest, "|", Vec::new()))
    }

    fn tight(&self, s: Sub<Elem>) -> Tex {
        let last = match s.end {
            End::Seq(xs) => self.heir_seq(xs),
            // Runes are never adjacent inside a clump, so this recursion is one level.
            End::Prefix(r, xs) => Rex::node(RuneShape::Pref, &r, vec![self.tight(sub_layout(xs))]),
        };
        if s.parts.is_empty() {
            return last;
        }
        chain(
            s.parts,
            last,
            |es| self.heir_seq(es),
            |r, sons| Rex::node(RuneShape::Shut, r, sons),
        )
    }

    fn clump_rex(&self, c: Clump) -> Tex {
        let frags = c.elems.into_iter().map(|e| self.span_frag(e)).collect();
        self.tight(sub_layout(frags))
    }

    fn paren_seq(&self, cs: Vec<Clump>) -> Tex {
        if cs.len() == 1 {
            if let Some(c) = cs.into_iter().next() {
                return self.clump_rex(c);
            }
            return Rex::node(RuneShape::Nest, "|", Vec::new());
        }
        let sons = cs.into_iter().map(|c| self.clump_rex(c)).collect();
        Rex::node(RuneShape::Nest, "|", sons)
    }

    fn paren(&self, s: Sub<Clump>) -> Tex {
        let last = match s.end {
            End::Seq(xs) => self.paren_seq(xs),
            End::Prefix(r, xs) => self.prefixed(r, xs),
        };
        if s.parts.is_empty() {
            return last;
        }
        chain(
            s.parts,
            last,
            |es| self.paren_seq(es),
            |r, sons| Rex::node(RuneShape::Infx, r, sons),
        )
    }

    /// `(r a b s c d)` where `s` is a lone rune: `(r a b (s c d))`, for any number of runes.
    fn prefixed(&self, rune: String, frags: Vec<Frag<Clump>>) -> Tex {
        let mut outer: Vec<(String, Vec<Tex>)> = Vec::new();
        let mut rune = rune;
        let mut acc = Vec::new();
        for f in frags {
            match f {
                Frag::Wolf(rx, _) => {
                    outer.push((std::mem::replace(&mut rune, rx), std::mem::take(&mut acc)))
                }
                Frag::Lamb(cl) => acc.push(self.clump_rex(cl)),
            }
        }
        let mut node = Rex::node(RuneShape::Nest, &rune, acc);
        for (r, mut sons) in outer.into_iter().rev() {
            sons.push(node);
            node = Rex::node(RuneShape::Nest, &r, sons);
        }
        node
    }

    fn elem_rex(&self, mut e: Elem) -> Tex {
        // The element's text (a bracketed one spans to its end: only leaves look at it).
        let lines = self.lines;
        let pos = e.pos;
        let bar = || span_text(lines, &pos);
        match std::mem::replace(&mut e.kind, Kind::Term) {
            Kind::Word => Rex::leaf(TextShape::Word, &text(bar())),
            Kind::Line(more) => {
                // The first line, then the continuation lines in order.
                let mut spans = vec![e.pos];
                spans.extend(more.iter().rev().copied());
                let mut it = spans.into_iter().rev();
                let mut acc: Option<Tex> = None;
                for p in it.by_ref() {
                    let t = span_text(self.lines, &p);
                    let s = text(t.get(2..).unwrap_or(&[]));
                    acc = Some(Rex::Leaf {
                        shape: TextShape::Line,
                        text: s,
                        heir: acc.map(Box::new),
                    });
                }
                acc.unwrap_or_else(|| Rex::leaf(TextShape::Line, ""))
            }
            Kind::Cord(StrType::Quoted) => {
                let bar = bar();
                let inner = bar.get(2..bar.len().saturating_sub(1)).unwrap_or(&[]);
                Rex::leaf(TextShape::Text, &text(inner))
            }
            Kind::Cord(StrType::Curly) => {
                let bar = bar();
                let inner = bar.get(1..bar.len().saturating_sub(1)).unwrap_or(&[]);
                Rex::leaf(TextShape::Text, &text(inner))
            }
            Kind::Para(cs) => stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                let frags = cs
                    .into_iter()
                    .map(|c| clump_frag(c, self.lines).1)
                    .collect();
                self.paren(sub_layout(frags))
            }),
            Kind::Brak(cs) => stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                let sons = cs
                    .into_iter()
                    .filter_map(|c| match clump_frag(c, self.lines).1 {
                        Frag::Lamb(c) => Some(self.clump_rex(c)),
                        Frag::Wolf(..) => None,
                    })
                    .collect();
                Rex::node(RuneShape::Nest, ",", sons)
            }),
            // Validation rejects these before the policy runs; read them as runes.
            Kind::Rune | Kind::Fail | Kind::Deep | Kind::Wyte | Kind::Semi | Kind::Term => {
                Rex::node(RuneShape::Pref, &text(bar()), Vec::new())
            }
        }
    }

    /// A layout tree as Rex: sons recursively (validation bounds their depth), the heir
    /// chain in a loop.
    fn tree(&self, t: Tree) -> Tex {
        let mut chain: Vec<Tex> = Vec::new();
        let mut cur = Some(t);
        while let Some(mut t) = cur.take() {
            match &mut t {
                Tree::Leaf(c) => chain.push(self.clump_rex(std::mem::take(c))),
                Tree::Node {
                    rune, sons, heir, ..
                } => {
                    let sons = std::mem::take(sons);
                    let sons = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                        sons.into_iter().map(|s| self.tree(s)).collect()
                    });
                    chain.push(Rex::node(RuneShape::Open, rune, sons));
                    cur = heir.take().map(|h| *h);
                }
            }
        }
        let mut tail: Option<Tex> = None;
        for mut r in chain.into_iter().rev() {
            if let Some(t) = tail {
                r.add_heir(t);
            }
            tail = Some(r);
        }
        tail.unwrap_or_else(|| Rex::node(RuneShape::Nest, "|", Vec::new()))
    }
}

/// Turns the layout trees of a block into one Rex (several trees wrap in an OPEN `|`).
pub fn trees_rex(lines: &[&[u8]], trees: Vec<Tree>) -> Option<Tex> {
    let p = Policy { lines };
    match trees.len() {
        0 => None,
        1 => trees.into_iter().next().map(|t| p.tree(t)),
        _ => {
            let sons = trees.into_iter().map(|t| p.tree(t)).collect();
            Some(Rex::node(RuneShape::Open, "|", sons))
        }
    }
}
