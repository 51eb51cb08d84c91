//! The errors a Rex block can have: unexpected characters, unterminated brackets and
//! strings, line strings without a space, runes inside `[...]`, and layout or brackets
//! nested more than [`MAX_DEPTH`] levels deep.

use super::layout::{lone_rune, span_text, Clump, Elem, Tree};
use super::lex::{Kind, Pos, StrType};
use super::MAX_DEPTH;

/// A problem found in a block, at a position of one of its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub pos: Pos,
    /// What.
    pub msg: String,
}

struct Check<'a> {
    lines: &'a [&'a [u8]],
    out: Vec<Problem>,
}

impl Check<'_> {
    fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.out.push(Problem {
            pos,
            msg: msg.into(),
        });
    }

    fn byte(&self, pos: &Pos, i: usize) -> Option<u8> {
        self.lines.get(pos.line).and_then(|l| l.get(i)).copied()
    }

    fn curl(&mut self, e: &Elem) {
        if self.byte(&e.pos, e.pos.off) == Some(b'"') {
            if e.pos.end < e.pos.off + 2 || self.byte(&e.pos, e.pos.end - 1) != Some(b'"') {
                self.err(e.pos, "unterminated string");
            }
            return;
        }
        let mut d = 1i64;
        let mut i = e.pos.off + 1;
        while d != 0 {
            match self.byte(&e.pos, i) {
                None => {
                    self.err(e.pos, "unterminated string");
                    return;
                }
                Some(b'{') => d += 1,
                Some(b'}') => d -= 1,
                Some(_) => {}
            }
            i += 1;
        }
    }

    fn elem(&mut self, e: &Elem) {
        match &e.kind {
            Kind::Para(cs) => self.nest(e, cs, b')'),
            Kind::Brak(cs) => {
                self.nest(e, cs, b']');
                for c in cs {
                    if let Some(r) = lone_rune(c) {
                        self.err(r.pos, "brackets may not contain runes");
                    }
                }
            }
            Kind::Cord(StrType::Curly) => self.curl(e),
            Kind::Cord(StrType::Quoted) => {
                let bar = span_text(self.lines, &e.pos);
                let w = bar.len();
                if w < 3 || bar.get(1) != bar.get(w - 1) {
                    self.err(e.pos, "unterminated string");
                }
            }
            Kind::Fail => {
                let c = self.byte(&e.pos, e.pos.off).unwrap_or(0);
                let shown = match c {
                    b'\t' => "a tab (indent with spaces)".to_string(),
                    c if c.is_ascii_graphic() => format!("`{}`", c as char),
                    c => format!("byte 0x{c:02x} (non-ASCII text belongs in a string)"),
                };
                self.err(e.pos, format!("unexpected character: {shown}"));
            }
            Kind::Deep => self.err(
                Pos {
                    end: e.pos.off + 1,
                    ..e.pos
                },
                too_deep(),
            ),
            Kind::Line(more) => {
                for p in std::iter::once(&e.pos).chain(more.iter()) {
                    match self.byte(p, p.off + 1) {
                        None | Some(b' ') => {}
                        Some(_) => self.err(*p, "a } line string must start with a space"),
                    }
                }
            }
            _ => {}
        }
    }

    fn nest(&mut self, e: &Elem, cs: &[Clump], close: u8) {
        // The lexer bounds bracket depth; deep brackets still must not exhaust the stack.
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            for c in cs {
                self.clump(c);
            }
        });
        let last = if e.pos.end > e.pos.off {
            self.byte(&e.pos, e.pos.end - 1)
        } else {
            None
        };
        let open = if close == b')' { '(' } else { '[' };
        if last != Some(close) || cs.last().is_some_and(|c| c.end() == e.pos.end) {
            self.err(
                Pos {
                    end: e.pos.off + 1,
                    ..e.pos
                },
                format!("unterminated `{open}` (expected `{}`)", close as char),
            );
        }
    }

    fn clump(&mut self, c: &Clump) {
        for e in &c.elems {
            self.elem(e);
        }
    }

    /// Checks a tree whose nodes are `depth` levels deep: sons one level deeper, each heir
    /// in a chain at the same level (walked in a loop, as chains can be very long).
    fn tree(&mut self, t: &Tree, depth: usize) {
        let mut cur = Some(t);
        while let Some(t) = cur {
            cur = None;
            match t {
                Tree::Leaf(c) => self.clump(c),
                Tree::Node {
                    pos, sons, heir, ..
                } => {
                    if depth > MAX_DEPTH {
                        self.err(*pos, too_deep());
                        return;
                    }
                    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                        for s in sons {
                            self.tree(s, depth + 1);
                        }
                    });
                    cur = heir.as_deref();
                }
            }
        }
    }
}

/// The message for nesting past [`MAX_DEPTH`].
pub fn too_deep() -> String {
    format!("nested more than {MAX_DEPTH} levels deep (the reader's limit)")
}

/// Every problem in a block's trees, in order.
pub fn check(lines: &[&[u8]], trees: &[Tree]) -> Vec<Problem> {
    let mut c = Check {
        lines,
        out: Vec::new(),
    };
    for t in trees {
        c.tree(t, 1);
    }
    c.out
}
