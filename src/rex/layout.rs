//! Splitting a file into blocks, and the layout of a block into trees of clumps.
//!
//! A block starts at a line that opens a rune (`= ...`), a line string, or any other
//! non-blank line (a one-line block). Lines indented at least as deep as the opening rune
//! continue the block; a blank line or a shallower line ends it. Within a block, whitespace
//! separates clumps; a clump that is a lone rune opens a node at the column of its last
//! character: deeper items become its sons, an item in the same column its heir.

use super::lex::{lex_line, Kind, Lexeme, Pos};

/// One element of a clump: a token whose bracketed contents are grouped into clumps.
#[derive(Debug)]
pub struct Elem {
    /// Where it is.
    pub pos: Pos,
    /// What it is.
    pub kind: Kind<Vec<Clump>>,
}

impl Drop for Elem {
    /// Takes nested brackets apart with a work list: dropping them recursively could
    /// overflow the stack.
    fn drop(&mut self) {
        fn take(k: &mut Kind<Vec<Clump>>, out: &mut Vec<Elem>) {
            if let Kind::Para(cs) | Kind::Brak(cs) = k {
                for c in cs.iter_mut() {
                    out.append(&mut c.elems);
                }
            }
        }
        let mut work = Vec::new();
        take(&mut self.kind, &mut work);
        while let Some(mut e) = work.pop() {
            take(&mut e.kind, &mut work);
        }
    }
}

/// A run of elements without whitespace between them.
#[derive(Debug, Default)]
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
#[derive(Debug)]
pub enum Frag<T> {
    /// A lone rune.
    Wolf(String, T),
    /// Anything else.
    Lamb(T),
}

/// A layout tree.
#[derive(Debug)]
pub enum Tree {
    /// A clump.
    Leaf(Clump),
    /// An open rune with sons and heir.
    Node {
        /// The rune.
        rune: String,
        /// Where the rune is.
        pos: Pos,
        /// Items in deeper columns.
        sons: Vec<Tree>,
        /// The item that follows in the same column.
        heir: Option<Box<Tree>>,
    },
}

impl Drop for Tree {
    /// Takes sons and heir chains apart with a work list (a block of 40,000 definitions is a
    /// chain of 40,000 heirs; dropping it recursively would overflow the stack).
    fn drop(&mut self) {
        fn take(t: &mut Tree, out: &mut Vec<Tree>) {
            if let Tree::Node { sons, heir, .. } = t {
                out.append(sons);
                if let Some(h) = heir.take() {
                    out.push(*h);
                }
            }
        }
        let mut work = Vec::new();
        take(self, &mut work);
        while let Some(mut t) = work.pop() {
            take(&mut t, &mut work);
        }
    }
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

/// Joins each line string with the line strings that continue it in the same column on the
/// following lines (`LINE TERM [WYTE] LINE`), in one pass.
fn multi_line(ls: Vec<Lexeme>) -> Vec<Lexeme> {
    let n = ls.len();
    // For each line string that absorbs others: the spans it absorbs, in order.
    let mut absorbs: Vec<(usize, Vec<Pos>)> = Vec::new();
    let mut dropped = vec![false; n];
    let mut i = 0;
    while i < n {
        if !matches!(ls[i].kind, Kind::Line(_)) {
            i += 1;
            continue;
        }
        let col = ls[i].pos.off;
        let mut more = Vec::new();
        let mut last = i;
        loop {
            let mut j = last + 1;
            if !matches!(ls.get(j).map(|l| &l.kind), Some(Kind::Term)) {
                break;
            }
            j += 1;
            if matches!(ls.get(j).map(|l| &l.kind), Some(Kind::Wyte)) {
                j += 1;
            }
            match ls.get(j) {
                Some(next) if matches!(next.kind, Kind::Line(_)) && next.pos.off == col => {
                    more.push(next.pos);
                    for d in &mut dropped[last + 1..=j] {
                        *d = true;
                    }
                    last = j;
                }
                _ => break,
            }
        }
        if !more.is_empty() {
            absorbs.push((i, more));
        }
        i = last + 1;
    }
    let mut absorbs = absorbs.into_iter().peekable();
    let mut out = Vec::with_capacity(n);
    for (i, mut l) in ls.into_iter().enumerate() {
        if dropped[i] {
            continue;
        }
        if absorbs.peek().is_some_and(|(k, _)| *k == i) {
            if let (Some((_, more)), Kind::Line(acc)) = (absorbs.next(), &mut l.kind) {
                // Latest first.
                let mut spans: Vec<Pos> = more.into_iter().rev().collect();
                spans.append(acc);
                *acc = spans;
            }
        }
        out.push(l);
    }
    out
}

fn is_space(k: &Kind<Vec<Clump>>) -> bool {
    matches!(k, Kind::Wyte | Kind::Semi | Kind::Term)
}

fn to_elem(mut l: Lexeme) -> Elem {
    let kind = match std::mem::replace(&mut l.kind, Kind::Term) {
        Kind::Para(ts) => Kind::Para(stacker::maybe_grow(64 * 1024, 1024 * 1024, || clump(ts))),
        Kind::Brak(ts) => Kind::Brak(stacker::maybe_grow(64 * 1024, 1024 * 1024, || clump(ts))),
        Kind::Rune => Kind::Rune,
        Kind::Word => Kind::Word,
        Kind::Wyte => Kind::Wyte,
        Kind::Semi => Kind::Semi,
        Kind::Line(x) => Kind::Line(x),
        Kind::Cord(s) => Kind::Cord(s),
        Kind::Fail => Kind::Fail,
        Kind::Deep => Kind::Deep,
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

/// The lone rune a clump is, if it is one.
pub fn lone_rune(c: &Clump) -> Option<&Elem> {
    match c.elems.as_slice() {
        [e] if matches!(e.kind, Kind::Rune) => Some(e),
        _ => None,
    }
}

/// The fragment a clump makes, with its layout column.
pub fn clump_frag(c: Clump, lines: &[&[u8]]) -> (usize, Frag<Clump>) {
    if let Some(e) = lone_rune(&c) {
        let rune = String::from_utf8_lossy(span_text(lines, &e.pos)).into_owned();
        let col = c.off() + rune.len().saturating_sub(1);
        return (col, Frag::Wolf(rune, c));
    }
    (c.off(), Frag::Lamb(c))
}

struct Item {
    rune: String,
    pos: Pos,
    sons: Vec<Tree>,
    heir: Option<Tree>,
}

impl Item {
    fn new(rune: String, c: &Clump) -> Item {
        Item {
            rune,
            pos: c.elems.first().map_or(
                Pos {
                    line: 0,
                    off: 0,
                    end: 0,
                },
                |e| e.pos,
            ),
            sons: Vec::new(),
            heir: None,
        }
    }
}

fn item_tree(i: Item) -> Tree {
    Tree::Node {
        rune: i.rune,
        pos: i.pos,
        sons: i.sons,
        heir: i.heir.map(Box::new),
    }
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
            Frag::Wolf(r, c) => {
                let mut stack = vec![(p, Item::new(r, &c))];
                for (fp, f) in it.by_ref() {
                    stack = close(fp, stack);
                    match f {
                        Frag::Wolf(r, c) => stack.push((fp, Item::new(r, &c))),
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
