//! An interim Rex reader that produces Pex values directly, following the reference's
//! layout mechanism and policy (lexing, clumping, indentation layout, tight/paren/infix
//! rules). It exists only until the `rex` module lands; it does not validate.

use pallas_runtime::{Runtime, Value};

use super::pex::{PexMaker, RuneShape, TextShape};

/// A block of input: its first line number and its Pex.
pub struct RexBlock {
    /// 1-based line number of the block's first line.
    pub line: usize,
    /// The block as Pex.
    pub rex: Value,
}

#[derive(Clone, Debug, PartialEq)]
enum Lx {
    Rune,
    Word,
    Wyte,
    Semi,
    Line(Vec<Vec<u8>>),
    Curly,
    Quoted,
    Para(Vec<Tok>),
    Brak(Vec<Tok>),
    Fail,
    Term,
}

#[derive(Clone, Debug, PartialEq)]
struct Tok {
    line: usize,
    off: usize,
    end: usize,
    text: Vec<u8>,
    x: Lx,
}

const WORDY: &[u8] = b"_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const RUNIC: &[u8] = b"$!#%&*+,-./:<=>?@\\^`'|~";

fn lex(line: usize, b: &[u8]) -> Vec<Tok> {
    let wid = b.len();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let eat = |o: usize, f: &dyn Fn(u8) -> bool| (o..wid).find(|&j| !f(b[j])).unwrap_or(wid);
    let mk = |off: usize, end: usize, x: Lx| Tok {
        line,
        off,
        end,
        text: b[off.min(wid)..end.min(wid)].to_vec(),
        x,
    };
    fn many(i: usize, ctx: u8, one: &dyn Fn(usize, u8) -> Tok) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut i = i;
        loop {
            let t = one(i, ctx);
            let stop = t.x == Lx::Term;
            i = t.end;
            out.push(t);
            if stop {
                return out;
            }
        }
    }
    fn one_impl(b: &[u8], line: usize, i: usize, ctx: u8) -> Tok {
        let wid = b.len();
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        let eat = |o: usize, f: &dyn Fn(u8) -> bool| (o..wid).find(|&j| !f(b[j])).unwrap_or(wid);
        let mk = |off: usize, end: usize, x: Lx| Tok {
            line,
            off,
            end,
            text: b[off.min(wid)..end.min(wid)].to_vec(),
            x,
        };
        let rec = |i: usize, ctx: u8| one_impl(b, line, i, ctx);
        let nest = |closer: u8, i: usize, brak: bool| {
            let ts = many(i + 1, closer, &rec);
            let end = ts.last().map(|t| t.end).unwrap_or(i + 1);
            mk(i, end, if brak { Lx::Brak(ts) } else { Lx::Para(ts) })
        };
        match at(i) {
            b'(' => nest(b')', i, false),
            b'[' => nest(b']', i, true),
            b'"' => mk(i, wid.min(eat(i + 1, &|c| c != b'"') + 1), Lx::Curly),
            b'}' => {
                let c = at(i + 1);
                if c == 0 || c == b' ' {
                    mk(i, wid, Lx::Line(Vec::new()))
                } else {
                    mk(i, wid.min(eat(i + 2, &|x| x != c) + 1), Lx::Quoted)
                }
            }
            b'{' => {
                let mut j = i + 1;
                let mut d: i64 = 1;
                while d != 0 {
                    match b.get(j) {
                        None => break,
                        Some(c) => {
                            d += match c {
                                b'{' => 1,
                                b'}' => -1,
                                _ => 0,
                            };
                            j += 1;
                        }
                    }
                }
                mk(i, j, Lx::Curly)
            }
            0 => mk(i, wid, Lx::Term),
            b';' => mk(i, wid, Lx::Semi),
            b' ' => mk(i, eat(i, &|c| c == b' '), Lx::Wyte),
            c if WORDY.contains(&c) => mk(i, eat(i, &|c| WORDY.contains(&c)), Lx::Word),
            c if RUNIC.contains(&c) => mk(i, eat(i, &|c| RUNIC.contains(&c)), Lx::Rune),
            c if c == ctx => mk(i, i + 1, Lx::Term),
            _ => mk(i, i + 1, Lx::Fail),
        }
    }
    let _ = (at, eat, mk);
    many(0, 0, &|i, ctx| one_impl(b, line, i, ctx))
}

fn multi_line(ts: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < ts.len() {
        if let Lx::Line(acc) = &ts[i].x {
            let mut acc = acc.clone();
            let mut cur = ts[i].clone();
            let mut j = i + 1;
            loop {
                if !(j < ts.len() && ts[j].x == Lx::Term) {
                    break;
                }
                let k = if j + 1 < ts.len() && matches!(ts[j + 1].x, Lx::Line(_)) {
                    j + 1
                } else if j + 2 < ts.len() && ts[j + 1].x == Lx::Wyte && matches!(ts[j + 2].x, Lx::Line(_)) {
                    j + 2
                } else {
                    break;
                };
                if ts[k].off != cur.off {
                    break;
                }
                acc.push(ts[k].text.clone());
                j = k + 1;
            }
            cur.x = Lx::Line(acc);
            out.push(cur);
            i = j;
        } else {
            out.push(ts[i].clone());
            i += 1;
        }
    }
    out
}

type Clump = Vec<Tok>;

fn is_spc(t: &Tok) -> bool {
    matches!(t.x, Lx::Wyte | Lx::Semi | Lx::Term)
}

fn clump(ts: &[Tok]) -> Vec<Clump> {
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut i = 0;
    loop {
        if cur.is_empty() {
            if i == ts.len() {
                return out;
            }
            if is_spc(&ts[i]) {
                i += 1;
                continue;
            }
        } else {
            let rest = &ts[i..];
            let is_end = match rest {
                [] => true,
                [a, ..] if is_spc(a) => true,
                [a] if a.x == Lx::Rune => true,
                [a, b, ..] if a.x == Lx::Rune && is_spc(b) => true,
                _ => false,
            };
            if is_end {
                out.push(std::mem::take(&mut cur));
                continue;
            }
        }
        cur.push(ts[i].clone());
        i += 1;
    }
}

#[derive(Clone)]
enum Frag<A> {
    Wolf(Vec<u8>, A),
    Lamb(A),
}

fn clump_frag(c: Clump) -> (usize, Frag<Clump>) {
    let off = c[0].off;
    if c.len() == 1 && c[0].x == Lx::Rune {
        let r = c[0].text.clone();
        (off + r.len() - 1, Frag::Wolf(r, c))
    } else {
        (off, Frag::Lamb(c))
    }
}

enum Tree {
    Leaf(Clump),
    Node(Vec<u8>, Vec<Tree>, Option<Box<Tree>>),
}

struct Item(Vec<u8>, Vec<Tree>, Option<Tree>);

fn item_tree(i: Item) -> Tree {
    let Item(t, x, k) = i;
    Tree::Node(t, x, k.map(Box::new))
}

fn merge(r: (usize, Tree), i: (usize, Item)) -> Result<(usize, Item), String> {
    let (rp, r) = r;
    let (ip, Item(t, mut cs, k)) = i;
    if rp < ip {
        return Err("bad indentation (impossible merge)".into());
    }
    Ok(match k {
        Some(k) => {
            cs.push(k);
            (ip, Item(t, cs, Some(r)))
        }
        None if rp == ip => (ip, Item(t, cs, Some(r))),
        None => {
            cs.push(r);
            (ip, Item(t, cs, None))
        }
    })
}

fn close(p: usize, mut stack: Vec<(usize, Item)>) -> Result<Vec<(usize, Item)>, String> {
    // The stack's END is the top.
    loop {
        let Some(top) = stack.last() else {
            return Ok(stack);
        };
        if p >= top.0 {
            return Ok(stack);
        }
        if stack.len() < 2 {
            return Err("indent too small".into());
        }
        let (tp, ti) = stack.pop().ok_or("empty")?;
        let j = stack.pop().ok_or("empty")?;
        stack.push(merge((tp, item_tree(ti)), j)?);
    }
}

fn layout(fs: Vec<(usize, Frag<Clump>)>) -> Result<Vec<Tree>, String> {
    let mut out = Vec::new();
    let mut it = fs.into_iter();
    while let Some((p, f)) = it.next() {
        match f {
            Frag::Lamb(c) => out.push(Tree::Leaf(c)),
            Frag::Wolf(r, _) => {
                let mut stack = vec![(p, Item(r, Vec::new(), None))];
                for (fp, f) in it.by_ref() {
                    stack = close(fp, stack)?;
                    match f {
                        Frag::Wolf(r, _) => stack.push((fp, Item(r, Vec::new(), None))),
                        Frag::Lamb(c) => {
                            let top = stack.pop().ok_or("layout: empty stack")?;
                            stack.push(merge((fp, Tree::Leaf(c)), top)?);
                        }
                    }
                }
                while stack.len() > 1 {
                    let (tp, ti) = stack.pop().ok_or("empty")?;
                    let j = stack.pop().ok_or("empty")?;
                    stack.push(merge((tp, item_tree(ti)), j)?);
                }
                let (_, i) = stack.pop().ok_or("empty")?;
                out.push(item_tree(i));
                return Ok(out);
            }
        }
    }
    Ok(out)
}

enum Sub<A> {
    Prefx(Vec<u8>, Vec<Frag<A>>),
    Infix(Vec<A>, Vec<u8>, Box<Sub<A>>),
    Seque(Vec<A>),
}

fn sub_layout<A: Clone>(fs: &[Frag<A>]) -> Sub<A> {
    match fs.split_first() {
        None => Sub::Seque(Vec::new()),
        Some((Frag::Wolf(r, _), rest)) => Sub::Prefx(r.clone(), rest.to_vec()),
        Some((Frag::Lamb(x), rest)) => {
            let mut hed = vec![x.clone()];
            let mut i = 0;
            while i < rest.len() {
                match &rest[i] {
                    Frag::Lamb(y) => hed.push(y.clone()),
                    Frag::Wolf(r, _) => {
                        return Sub::Infix(hed, r.clone(), Box::new(sub_layout(&rest[i + 1..])));
                    }
                }
                i += 1;
            }
            Sub::Seque(hed)
        }
    }
}

fn txt(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Ctx<'a> {
    rt: &'a mut Runtime,
    pm: &'a PexMaker,
}

type R = Result<Value, String>;

impl Ctx<'_> {
    fn node(&mut self, s: RuneShape, r: &[u8], sons: &[Value], heir: Option<Value>) -> Value {
        self.pm.node(self.rt, s, &txt(r), sons, heir)
    }

    fn add_cont(&mut self, x: Value, c: Value) -> R {
        use super::pex::{view, View};
        Ok(match view(x) {
            View::Leaf { shape, text, heir } => {
                let h = match heir {
                    None => c,
                    Some(k) => self.add_cont(k, c)?,
                };
                self.pm.leaf(self.rt, shape, &text, Some(h))
            }
            View::Node { shape, rune, sons, heir } => {
                let h = match heir {
                    None => c,
                    Some(k) => self.add_cont(k, c)?,
                };
                self.pm.node(self.rt, shape, &rune, &sons, Some(h))
            }
            _ => return Err("bad juxtaposition".into()),
        })
    }

    fn heir_seq(&mut self, es: &[Tok]) -> R {
        let mut acc: Option<Value> = None;
        for e in es {
            let r = self.elem(e)?;
            acc = Some(match acc {
                None => r,
                Some(a) => self.add_cont(a, r)?,
            });
        }
        acc.ok_or_else(|| "empty tight sequence".to_string())
    }

    fn tight(&mut self, s: Sub<Tok>) -> R {
        match s {
            Sub::Prefx(r, xs) => {
                let k = self.tight(sub_layout(&xs))?;
                Ok(self.node(RuneShape::Pref, &r, &[k], None))
            }
            Sub::Infix(es, r, xs) => {
                let h = self.heir_seq(&es)?;
                self.eat_infix(r, vec![h], *xs)
            }
            Sub::Seque(xs) => self.heir_seq(&xs),
        }
    }

    fn eat_infix(&mut self, rune: Vec<u8>, mut acc: Vec<Value>, s: Sub<Tok>) -> R {
        match s {
            end @ Sub::Seque(_) => {
                acc.push(self.tight(end)?);
                Ok(self.node(RuneShape::Shut, &rune, &acc, None))
            }
            Sub::Prefx(..) => Err("double tight rune".into()),
            Sub::Infix(es, r, xs) => {
                acc.push(self.heir_seq(&es)?);
                if r == rune {
                    self.eat_infix(rune, acc, *xs)
                } else {
                    let n = self.node(RuneShape::Shut, &rune, &acc, None);
                    self.eat_infix(r, vec![n], *xs)
                }
            }
        }
    }

    fn clump_rex(&mut self, c: &Clump) -> R {
        let fs: Vec<Frag<Tok>> = c
            .iter()
            .map(|e| {
                if e.x == Lx::Rune {
                    Frag::Wolf(e.text.clone(), e.clone())
                } else {
                    Frag::Lamb(e.clone())
                }
            })
            .collect();
        self.tight(sub_layout(&fs))
    }

    fn paren_seq(&mut self, cs: &[Clump]) -> R {
        if let [c] = cs {
            return self.clump_rex(c);
        }
        let mut v = Vec::new();
        for c in cs {
            v.push(self.clump_rex(c)?);
        }
        Ok(self.node(RuneShape::Nest, b"|", &v, None))
    }

    fn paren(&mut self, s: Sub<Clump>) -> R {
        match s {
            Sub::Prefx(r, xs) => self.prefixed(r, Vec::new(), &xs),
            Sub::Infix(es, r, xs) => {
                let rx = self.paren_seq(&es)?;
                self.infixed(r, vec![rx], *xs)
            }
            Sub::Seque(xs) => self.paren_seq(&xs),
        }
    }

    fn prefixed(&mut self, rune: Vec<u8>, mut acc: Vec<Value>, xs: &[Frag<Clump>]) -> R {
        let mut i = 0;
        while i < xs.len() {
            match &xs[i] {
                Frag::Wolf(rx, _) => {
                    let inner = self.prefixed(rx.clone(), Vec::new(), &xs[i + 1..])?;
                    acc.push(inner);
                    break;
                }
                Frag::Lamb(c) => acc.push(self.clump_rex(c)?),
            }
            i += 1;
        }
        Ok(self.node(RuneShape::Nest, &rune, &acc, None))
    }

    fn infixed(&mut self, rune: Vec<u8>, mut acc: Vec<Value>, s: Sub<Clump>) -> R {
        match s {
            end @ Sub::Seque(_) => {
                acc.push(self.paren(end)?);
                Ok(self.node(RuneShape::Infx, &rune, &acc, None))
            }
            Sub::Prefx(r, xs) => {
                acc.push(self.prefixed(r, Vec::new(), &xs)?);
                Ok(self.node(RuneShape::Infx, &rune, &acc, None))
            }
            Sub::Infix(es, r, xs) => {
                acc.push(self.paren_seq(&es)?);
                if r == rune {
                    self.infixed(rune, acc, *xs)
                } else {
                    let n = self.node(RuneShape::Infx, &rune, &acc, None);
                    self.infixed(r, vec![n], *xs)
                }
            }
        }
    }

    fn elem(&mut self, e: &Tok) -> R {
        let b = &e.text;
        match &e.x {
            Lx::Word => Ok(self.pm.leaf(self.rt, TextShape::Word, &txt(b), None)),
            Lx::Line(more) => {
                let mut lines: Vec<&[u8]> = vec![b];
                lines.extend(more.iter().map(|m| m.as_slice()));
                let mut heir = None;
                for l in lines.iter().rev() {
                    let t = txt(l.get(2..).unwrap_or(&[]));
                    heir = Some(self.pm.leaf(self.rt, TextShape::Line, &t, heir));
                }
                heir.ok_or_else(|| "empty line string".to_string())
            }
            Lx::Quoted => {
                let end = b.len().saturating_sub(1).max(2.min(b.len()));
                Ok(self.pm.leaf(self.rt, TextShape::Text, &txt(b.get(2..end).unwrap_or(&[])), None))
            }
            Lx::Curly => {
                let end = b.len().saturating_sub(1).max(1.min(b.len()));
                Ok(self.pm.leaf(self.rt, TextShape::Text, &txt(b.get(1..end).unwrap_or(&[])), None))
            }
            Lx::Para(ts) => {
                let cs = clump(ts);
                let fs: Vec<Frag<Clump>> = cs.into_iter().map(|c| clump_frag(c).1).collect();
                self.paren(sub_layout(&fs))
            }
            Lx::Brak(ts) => {
                let mut v = Vec::new();
                for c in clump(ts) {
                    if let (_, Frag::Lamb(c)) = clump_frag(c) {
                        v.push(self.clump_rex(&c)?);
                    }
                }
                Ok(self.node(RuneShape::Nest, b",", &v, None))
            }
            Lx::Fail => Err(format!("line {}: unexpected character {:?}", e.line, txt(b))),
            _ => Err("impossible token".into()),
        }
    }

    fn tree(&mut self, t: &Tree) -> R {
        match t {
            Tree::Leaf(c) => self.clump_rex(c),
            Tree::Node(r, sons, heir) => {
                let mut v = Vec::new();
                for s in sons {
                    v.push(self.tree(s)?);
                }
                let h = match heir {
                    Some(h) => Some(self.tree(h)?),
                    None => None,
                };
                Ok(self.node(RuneShape::Open, r, &v, h))
            }
        }
    }
}

#[derive(PartialEq)]
enum Cat {
    Void,
    Note,
    Open(usize),
    Text(usize),
    Sing(usize),
}

fn line_cat(ts: &[Tok]) -> Cat {
    let mut i = 0;
    loop {
        let Some(t) = ts.get(i) else {
            return Cat::Void;
        };
        return match &t.x {
            Lx::Term => Cat::Void,
            Lx::Semi => Cat::Note,
            Lx::Line(_) => Cat::Text(t.off),
            Lx::Rune if matches!(ts.get(i + 1).map(|n| &n.x), Some(Lx::Term | Lx::Wyte | Lx::Semi)) => {
                Cat::Open(t.end - 1)
            }
            Lx::Wyte => {
                i += 1;
                continue;
            }
            _ => Cat::Sing(t.off),
        };
    }
}

/// Splits source text into blocks and reads each as Pex.
pub fn read_blocks(rt: &mut Runtime, pm: &PexMaker, src: &str) -> Vec<Result<RexBlock, (usize, String)>> {
    let mut groups: Vec<Vec<Vec<Tok>>> = Vec::new();
    // state: None = woods, Some((lines, deep, texty))
    let mut cur: Option<(Vec<Vec<Tok>>, usize, bool)> = None;
    for (n, l) in src.split('\n').enumerate() {
        let l = l.strip_suffix('\r').unwrap_or(l);
        let toks = lex(n + 1, l.as_bytes());
        let c = line_cat(&toks);
        loop {
            match &mut cur {
                None => {
                    match c {
                        Cat::Text(d) => cur = Some((vec![toks], d, true)),
                        Cat::Open(d) => cur = Some((vec![toks], d, false)),
                        Cat::Void | Cat::Note => {}
                        Cat::Sing(_) => groups.push(vec![toks]),
                    }
                    break;
                }
                Some((ls, deep, texty)) => {
                    let fits = if *texty {
                        matches!(c, Cat::Text(d) if d == *deep)
                    } else {
                        match c {
                            Cat::Note => true,
                            Cat::Text(d) | Cat::Open(d) | Cat::Sing(d) => d >= *deep,
                            Cat::Void => false,
                        }
                    };
                    if fits {
                        ls.push(toks);
                        break;
                    }
                    if let Some((ls, _, _)) = cur.take() {
                        groups.push(ls);
                    }
                }
            }
        }
    }
    if let Some((ls, _, _)) = cur.take() {
        groups.push(ls);
    }
    let mut ctx = Ctx { rt, pm };
    groups
        .into_iter()
        .map(|g| {
            let line = g.first().and_then(|l| l.first()).map(|t| t.line).unwrap_or(0);
            let toks: Vec<Tok> = g.into_iter().flatten().collect();
            let frags: Vec<(usize, Frag<Clump>)> = clump(&multi_line(toks)).into_iter().map(clump_frag).collect();
            let r = (|| {
                let trees = layout(frags)?;
                match trees.as_slice() {
                    [] => Err("empty block".to_string()),
                    [t] => ctx.tree(t),
                    ts => {
                        let mut v = Vec::new();
                        for t in ts {
                            v.push(ctx.tree(t)?);
                        }
                        Ok(ctx.node(RuneShape::Open, b"|", &v, None))
                    }
                }
            })();
            r.map(|rex| RexBlock { line, rex }).map_err(|e| (line, e))
        })
        .collect()
}
