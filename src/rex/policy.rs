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

enum Sub<T> {
    Prefix(String, Vec<Frag<T>>),
    Infix(Vec<T>, String, Box<Sub<T>>),
    Seq(Vec<T>),
}

fn sub_layout<T>(frags: Vec<Frag<T>>) -> Sub<T> {
    let mut it = frags.into_iter();
    match it.next() {
        None => Sub::Seq(Vec::new()),
        Some(Frag::Wolf(r, _)) => Sub::Prefix(r, it.collect()),
        Some(Frag::Lamb(x)) => {
            let mut head = vec![x];
            loop {
                match it.next() {
                    None => return Sub::Seq(head),
                    Some(Frag::Lamb(y)) => head.push(y),
                    Some(Frag::Wolf(r, _)) => {
                        return Sub::Infix(head, r, Box::new(sub_layout(it.collect())))
                    }
                }
            }
        }
    }
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
        let mut it = es.into_iter();
        let mut acc = match it.next() {
            Some(e) => self.elem_rex(e),
            None => Rex::node(RuneShape::Nest, "|", Vec::new()),
        };
        for e in it {
            acc.add_heir(self.elem_rex(e));
        }
        acc
    }

    fn tight(&self, s: Sub<Elem>) -> Tex {
        match s {
            Sub::Prefix(r, xs) => Rex::node(RuneShape::Pref, &r, vec![self.tight(sub_layout(xs))]),
            Sub::Infix(es, r, xs) => {
                let first = self.heir_seq(es);
                self.eat_infix(r, vec![first], *xs)
            }
            Sub::Seq(xs) => self.heir_seq(xs),
        }
    }

    fn eat_infix(&self, mut rune: String, mut acc: Vec<Tex>, mut rest: Sub<Elem>) -> Tex {
        loop {
            match rest {
                Sub::Infix(es, r, xs) => {
                    let seq = self.heir_seq(es);
                    if r == rune {
                        acc.push(seq);
                    } else {
                        acc.push(seq);
                        let node = Rex::node(RuneShape::Shut, &rune, acc);
                        acc = vec![node];
                        rune = r;
                    }
                    rest = *xs;
                }
                end => {
                    acc.push(self.tight(end));
                    return Rex::node(RuneShape::Shut, &rune, acc);
                }
            }
        }
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
        match s {
            Sub::Prefix(r, xs) => self.prefixed(r, xs),
            Sub::Infix(es, r, xs) => {
                let first = self.paren_seq(es);
                self.infixed(r, vec![first], *xs)
            }
            Sub::Seq(xs) => self.paren_seq(xs),
        }
    }

    fn prefixed(&self, rune: String, frags: Vec<Frag<Clump>>) -> Tex {
        let mut acc = Vec::new();
        let mut it = frags.into_iter();
        while let Some(f) = it.next() {
            match f {
                Frag::Wolf(rx, _) => {
                    acc.push(self.prefixed(rx, it.collect()));
                    break;
                }
                Frag::Lamb(cl) => acc.push(self.clump_rex(cl)),
            }
        }
        Rex::node(RuneShape::Nest, &rune, acc)
    }

    fn infixed(&self, mut rune: String, mut acc: Vec<Tex>, mut rest: Sub<Clump>) -> Tex {
        loop {
            match rest {
                Sub::Seq(xs) => {
                    acc.push(self.paren(Sub::Seq(xs)));
                    return Rex::node(RuneShape::Infx, &rune, acc);
                }
                Sub::Prefix(r, xs) => {
                    acc.push(self.prefixed(r, xs));
                    return Rex::node(RuneShape::Infx, &rune, acc);
                }
                Sub::Infix(es, r, xs) => {
                    let rx = self.paren_seq(es);
                    acc.push(rx);
                    if r != rune {
                        let node = Rex::node(RuneShape::Infx, &rune, acc);
                        acc = vec![node];
                        rune = r;
                    }
                    rest = *xs;
                }
            }
        }
    }

    fn elem_rex(&self, e: Elem) -> Tex {
        let bar = self.bar(&e).to_vec();
        match e.kind {
            Kind::Word => Rex::leaf(TextShape::Word, &text(&bar)),
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
                let inner = bar.get(2..bar.len().saturating_sub(1)).unwrap_or(&[]);
                Rex::leaf(TextShape::Text, &text(inner))
            }
            Kind::Cord(StrType::Curly) => {
                let inner = bar.get(1..bar.len().saturating_sub(1)).unwrap_or(&[]);
                Rex::leaf(TextShape::Text, &text(inner))
            }
            Kind::Para(cs) => {
                let frags = cs
                    .into_iter()
                    .map(|c| clump_frag(c, self.lines).1)
                    .collect();
                self.paren(sub_layout(frags))
            }
            Kind::Brak(cs) => {
                let sons = cs
                    .into_iter()
                    .filter_map(|c| match clump_frag(c, self.lines).1 {
                        Frag::Lamb(c) => Some(self.clump_rex(c)),
                        Frag::Wolf(..) => None,
                    })
                    .collect();
                Rex::node(RuneShape::Nest, ",", sons)
            }
            // Validation rejects these before the policy runs; read them as runes.
            Kind::Rune | Kind::Fail | Kind::Wyte | Kind::Semi | Kind::Term => {
                Rex::node(RuneShape::Pref, &text(&bar), Vec::new())
            }
        }
    }

    fn tree(&self, t: Tree) -> Tex {
        match t {
            Tree::Leaf(c) => self.clump_rex(c),
            Tree::Node(rune, sons, heir) => Rex::Node {
                shape: RuneShape::Open,
                rune,
                sons: sons.into_iter().map(|s| self.tree(s)).collect(),
                heir: heir.map(|h| Box::new(self.tree(*h))),
            },
        }
    }
}

/// Turns the layout trees of a block into one Rex (several trees wrap in an OPEN `|`).
pub fn trees_rex(lines: &[&[u8]], trees: Vec<Tree>) -> Option<Tex> {
    let p = Policy { lines };
    match trees.len() {
        0 => None,
        1 => trees.into_iter().next().map(|t| p.tree(t)),
        _ => Some(p.tree(Tree::Node("|".into(), trees, None))),
    }
}
