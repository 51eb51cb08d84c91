//! Splitting a file into blocks, and the layout of a block into trees of clumps.
//!
//! A block starts at a line that opens a rune (`= ...`), a line string, or any other
//! non-blank line (a one-line block). Lines indented at least as deep as the opening rune
//! continue the block; a blank line or a shallower line ends it. Within a block, whitespace
//! separates clumps; a clump that is a lone rune opens a node at the column of its last
//! character: deeper items become its sons, an item in the same column its heir.

use super::lex::{lex_line, Kind, Lexeme, Pos};

/// One element of a clump: a token whose bracketed contents are grouped into clumps.
#[derive(Clone, Debug)]
pub struct Elem {
    /// Where it is.
    pub pos: Pos,
    /// What it is.
    pub kind: Kind<Vec<Clump>>,
}

/// A run of elements without whitespace between them.
#[derive(Clone, Debug)]
pub struct Clump {
    /// The elements (never empty).
    pub elems: Vec<Elem>,
}

impl Clump {
    /// Start offset.
    pub fn off(&self) -> usize {
        self.elems.first().map_or(0, |e| e.pos.off)
    }

    /// End offset.
    pub fn end(&self) -> usize {
        self.elems.last().map_or(0, |e| e.pos.end)
    }
}

/// A fragment: a lone rune ("wolf") or anything else ("lamb").
#[derive(Clone, Debug)]
pub enum Frag<T> {
    /// A lone rune.
    Wolf(String, T),
    /// Anything else.
    Lamb(T),
}

/// A layout tree.
#[derive(Clone, Debug)]
pub enum Tree {
    /// A clump.
    Leaf(Clump),
    /// An open rune with sons and heir.
    Node(String, Vec<Tree>, Option<Box<Tree>>),
}

/// The text of a span of a line.
pub fn span_text<'a>(lines: &'a [&[u8]], p: &Pos) -> &'a [u8] {
    lines
        .get(p.line)
        .and_then(|l| l.get(p.off.min(l.len())..p.end.min(l.len())))
        .unwrap_or(&[])
}

/// What kind of line this is, for block splitting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineCat {
    Void,
    Note,
    Open(usize),
    Text(usize),
    Sing(usize),
}

fn line_cat(ls: &[Lexeme]) -> LineCat {
    let mut i = 0;
    loop {
        match ls.get(i).map(|l| &l.kind) {
            None | Some(Kind::Term) => return LineCat::Void,
            Some(Kind::Semi) => return LineCat::Note,
            Some(Kind::Line(_)) => return LineCat::Text(ls[i].pos.off),
            Some(Kind::Rune)
                if matches!(
                    ls.get(i + 1).map(|l| &l.kind),
                    Some(Kind::Term) | Some(Kind::Wyte) | Some(Kind::Semi)
                ) =>
            {
                return LineCat::Open(ls[i].pos.end - 1)
            }
            Some(Kind::Wyte) => i += 1,
            Some(_) => return LineCat::Sing(ls[i].pos.off),
        }
    }
}

/// A block of lines as split from the input.
#[derive(Clone, Debug)]
pub struct RawBlock {
    /// 1-based line number of its first line.
    pub first_line: usize,
    /// The lines.
    pub lines: Vec<Vec<u8>>,
}

enum Buf {
    Woods,
    Texty(Vec<Vec<u8>>, usize, usize),
    Block(Vec<Vec<u8>>, usize, usize),
}

/// Splits lines into blocks, one line at a time (so a REPL can use it).
pub struct Splitter {
    line_no: usize,
    buf: Buf,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            line_no: 1,
            buf: Buf::Woods,
        }
    }
}

impl Splitter {
    /// Feeds one line (`None` at the end of input); returns the blocks it completes.
    pub fn push(&mut self, line: Option<&[u8]>) -> Vec<RawBlock> {
        let mut out = Vec::new();
        let Some(line) = line else {
            self.flush(&mut out);
            return out;
        };
        let cat = line_cat(&lex_line(line, 0));
        loop {
            let n = self.line_no;
            match (&mut self.buf, cat) {
                (Buf::Woods, LineCat::Text(d)) => {
                    self.buf = Buf::Texty(vec![line.to_vec()], d, n);
                }
                (Buf::Woods, LineCat::Open(d)) => {
                    self.buf = Buf::Block(vec![line.to_vec()], d, n);
                }
                (Buf::Woods, LineCat::Void | LineCat::Note) => {}
                (Buf::Woods, LineCat::Sing(_)) => out.push(RawBlock {
                    first_line: n,
                    lines: vec![line.to_vec()],
                }),
                (Buf::Texty(ls, deep, _), LineCat::Text(d)) if d == *deep => ls.push(line.to_vec()),
                (Buf::Block(ls, _, _), LineCat::Note) => ls.push(line.to_vec()),
                (
                    Buf::Block(ls, deep, _),
                    LineCat::Text(d) | LineCat::Open(d) | LineCat::Sing(d),
                ) if d >= *deep => ls.push(line.to_vec()),
                _ => {
                    self.flush(&mut out);
                    continue;
                }
            }
            break;
        }
        self.line_no += 1;
        out
    }

    fn flush(&mut self, out: &mut Vec<RawBlock>) {
        match std::mem::replace(&mut self.buf, Buf::Woods) {
            Buf::Woods => {}
            Buf::Texty(lines, _, first_line) | Buf::Block(lines, _, first_line) => {
                out.push(RawBlock { first_line, lines })
            }
        }
    }
}

/// Lexes every line of a block and joins line strings that continue in the same column.
pub fn lex_block(lines: &[&[u8]]) -> Vec<Lexeme> {
    let mut all = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        all.extend(lex_line(l, i));
    }
    multi_line(all)
}

fn multi_line(ls: Vec<Lexeme>) -> Vec<Lexeme> {
    let mut out: Vec<Lexeme> = Vec::with_capacity(ls.len());
    let mut i = 0;
    while i < ls.len() {
        let cur = ls[i].clone();
        if let Kind::Line(mut acc) = cur.kind.clone() {
            // LINE, TERM, [WYTE], LINE at the same column: merge.
            let mut j = i + 1;
            let mut merged = false;
            if matches!(ls.get(j).map(|l| &l.kind), Some(Kind::Term)) {
                j += 1;
                if matches!(ls.get(j).map(|l| &l.kind), Some(Kind::Wyte)) {
                    j += 1;
                }
                if let Some(next) = ls.get(j) {
                    if matches!(next.kind, Kind::Line(_)) && next.pos.off == cur.pos.off {
                        acc.insert(0, next.pos);
                        let mut rest = vec![Lexeme {
                            pos: cur.pos,
                            kind: Kind::Line(acc),
                        }];
                        rest.extend_from_slice(&ls[j + 1..]);
                        let tail = multi_line(rest);
                        out.extend(tail);
                        merged = true;
                    }
                }
            }
            if merged {
                return out;
            }
        }
        out.push(cur);
        i += 1;
    }
    out
}

fn is_space(k: &Kind<Vec<Clump>>) -> bool {
    matches!(k, Kind::Wyte | Kind::Semi | Kind::Term)
}

fn to_elem(l: Lexeme) -> Elem {
    let kind = match l.kind {
        Kind::Para(ts) => Kind::Para(clump(ts)),
        Kind::Brak(ts) => Kind::Brak(clump(ts)),
        Kind::Rune => Kind::Rune,
        Kind::Word => Kind::Word,
        Kind::Wyte => Kind::Wyte,
        Kind::Semi => Kind::Semi,
        Kind::Line(x) => Kind::Line(x),
        Kind::Cord(s) => Kind::Cord(s),
        Kind::Fail => Kind::Fail,
        Kind::Term => Kind::Term,
    };
    Elem { pos: l.pos, kind }
}

/// Groups tokens into clumps: runs without whitespace, where a rune followed by whitespace
/// (or the end) is split off into a clump of its own.
pub fn clump(ls: Vec<Lexeme>) -> Vec<Clump> {
    let all: Vec<Elem> = ls.into_iter().map(to_elem).collect();
    let n = all.len();
    let space: Vec<bool> = all.iter().map(|e| is_space(&e.kind)).collect();
    let rune: Vec<bool> = all.iter().map(|e| matches!(e.kind, Kind::Rune)).collect();
    // Whether the input from `i` on ends the current clump.
    let is_end = |i: usize| -> bool { space[i] || (rune[i] && (i + 1 == n || space[i + 1])) };
    let mut out = Vec::new();
    let mut cur: Vec<Elem> = Vec::new();
    let mut all = all.into_iter().enumerate().peekable();
    while let Some(&(i, _)) = all.peek() {
        if cur.is_empty() {
            if let Some((_, e)) = all.next() {
                if !space[i] {
                    cur.push(e);
                }
            }
        } else if is_end(i) {
            out.push(Clump {
                elems: std::mem::take(&mut cur),
            });
        } else if let Some((_, e)) = all.next() {
            cur.push(e);
        }
    }
    if !cur.is_empty() {
        out.push(Clump { elems: cur });
    }
    out
}

/// The fragment a clump makes, with its layout column.
pub fn clump_frag(c: Clump, lines: &[&[u8]]) -> (usize, Frag<Clump>) {
    if c.elems.len() == 1 && matches!(c.elems[0].kind, Kind::Rune) {
        let rune = String::from_utf8_lossy(span_text(lines, &c.elems[0].pos)).into_owned();
        let col = c.off() + rune.len().saturating_sub(1);
        return (col, Frag::Wolf(rune, c));
    }
    (c.off(), Frag::Lamb(c))
}

struct Item {
    rune: String,
    sons: Vec<Tree>,
    heir: Option<Tree>,
}

fn item_tree(i: Item) -> Tree {
    Tree::Node(i.rune, i.sons, i.heir.map(Box::new))
}

fn merge(rp: usize, r: Tree, ip: usize, mut i: Item) -> (usize, Item) {
    match i.heir.take() {
        Some(k) => {
            i.sons.push(k);
            i.heir = Some(r);
        }
        None => {
            if rp == ip {
                i.heir = Some(r);
            } else {
                i.sons.push(r);
            }
        }
    }
    (ip, i)
}

fn close(p: usize, mut stack: Vec<(usize, Item)>) -> Vec<(usize, Item)> {
    while stack.len() >= 2 && stack[stack.len() - 1].0 > p {
        let Some((tp, top)) = stack.pop() else { break };
        let Some((np, next)) = stack.pop() else { break };
        stack.push(merge(tp, item_tree(top), np, next));
    }
    stack
}

/// Lays out the fragments of a block into trees.
pub fn layout(frags: Vec<(usize, Frag<Clump>)>) -> Vec<Tree> {
    let mut out = Vec::new();
    let mut it = frags.into_iter();
    while let Some((p, f)) = it.next() {
        match f {
            Frag::Lamb(c) => out.push(Tree::Leaf(c)),
            Frag::Wolf(r, _) => {
                let mut stack = vec![(
                    p,
                    Item {
                        rune: r,
                        sons: Vec::new(),
                        heir: None,
                    },
                )];
                for (fp, f) in it.by_ref() {
                    stack = close(fp, stack);
                    match f {
                        Frag::Wolf(r, _) => stack.push((
                            fp,
                            Item {
                                rune: r,
                                sons: Vec::new(),
                                heir: None,
                            },
                        )),
                        Frag::Lamb(c) => {
                            if let Some((ip, item)) = stack.pop() {
                                stack.push(merge(fp, Tree::Leaf(c), ip, item));
                            }
                        }
                    }
                }
                // Fold everything into the bottom item.
                while stack.len() >= 2 {
                    let Some((tp, top)) = stack.pop() else { break };
                    let Some((np, next)) = stack.pop() else { break };
                    stack.push(merge(tp, item_tree(top), np, next));
                }
                if let Some((_, i)) = stack.pop() {
                    out.push(item_tree(i));
                }
            }
        }
    }
    out
}
