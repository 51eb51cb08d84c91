//! Seeds: the serialised form of PLAN values, bit for bit as the reference writes them.
//!
//! A value is turned into a binary tree of cells whose leaves are nats (deduplicated) and,
//! for germs, holes standing for pins stored elsewhere. Cells are hash-consed. A cell becomes
//! a *fragment* when it is the top or when it occurs on more tree paths than its parent;
//! fragments are written in post-order (head first), each as a bit string. Layout:
//! five u64 (holes, big nats, word nats, byte nats, fragments), the word width of each big
//! nat, the big nats' words, the word nats, the byte nats, then the fragments' bits (LSB
//! first), the whole padded to a multiple of 8 bytes. Atoms are stored in descending order.

use std::collections::HashMap;

use num_bigint::BigUint;

use crate::datajet::{self, Shape};
use crate::hash::Hash;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// Why a seed could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad seed at byte {offset}: {msg}")]
pub struct SeedError {
    /// Where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub msg: String,
}

fn err<T>(offset: usize, msg: impl Into<String>) -> Result<T, SeedError> {
    Err(SeedError {
        offset,
        msg: msg.into(),
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Node {
    Hole(u32),
    Atom(u32),
    Cell(u32, u32),
}

struct Builder {
    nodes: Vec<Node>,
    cons: HashMap<(u32, u32), u32>,
    atoms: Vec<BigUint>,
    atom_ids: HashMap<BigUint, u32>,
    atom_node: HashMap<u32, u32>,
    hole_node: Vec<u32>,
    holes: HashMap<Hash, u32>,
}

impl Builder {
    fn atom(&mut self, n: BigUint) -> u32 {
        let id = match self.atom_ids.get(&n) {
            Some(&i) => i,
            None => {
                let i = self.atoms.len() as u32;
                self.atoms.push(n.clone());
                self.atom_ids.insert(n, i);
                i
            }
        };
        if let Some(&x) = self.atom_node.get(&id) {
            return x;
        }
        let x = self.nodes.len() as u32;
        self.nodes.push(Node::Atom(id));
        self.atom_node.insert(id, x);
        x
    }

    fn small(&mut self, n: u64) -> u32 {
        self.atom(BigUint::from(n))
    }

    fn cell(&mut self, h: u32, t: u32) -> u32 {
        if let Some(&x) = self.cons.get(&(h, t)) {
            return x;
        }
        let x = self.nodes.len() as u32;
        self.nodes.push(Node::Cell(h, t));
        self.cons.insert((h, t), x);
        x
    }

    fn cells(&mut self, head: u32, args: &[u32]) -> u32 {
        args.iter().fold(head, |acc, &a| self.cell(acc, a))
    }

    fn nat_of(&mut self, v: Value) -> u32 {
        let n = crate::nat::as_big(v)
            .map(|c| c.into_owned())
            .unwrap_or_default();
        self.atom(n)
    }

    /// The tree of a normal value (memoised per heap object).
    fn value(&mut self, top: Value, memo: &mut HashMap<u64, u32>) -> u32 {
        // Post-order with an explicit stack: (value, expanded?).
        let mut stack: Vec<(Value, bool)> = vec![(top.deref(), false)];
        let mut done: Vec<u32> = Vec::new();
        while let Some((v, expanded)) = stack.pop() {
            let v = v.deref();
            if let Some(&x) = memo.get(&v.0) {
                if !v.is_small() {
                    done.push(x);
                    continue;
                }
            }
            let kids = self.children(v);
            match kids {
                Kids::Leaf(x) => {
                    done.push(x);
                }
                Kids::Spine(head_node, args) => {
                    if !expanded {
                        stack.push((v, true));
                        for &a in args.iter().rev() {
                            stack.push((a, false));
                        }
                        continue;
                    }
                    let n = args.len();
                    let start = done.len() - n;
                    let arg_nodes: Vec<u32> = done.drain(start..).collect();
                    let x = self.cells(head_node, &arg_nodes);
                    if !v.is_small() {
                        memo.insert(v.0, x);
                    }
                    done.push(x);
                }
            }
        }
        done.pop().unwrap_or(0)
    }

    fn children(&mut self, v: Value) -> Kids {
        match datajet::shape(v) {
            Shape::Nat => Kids::Leaf(self.nat_of(v)),
            Shape::Pin => {
                let Some(Kind::Pin(p)) = v.kind() else {
                    return Kids::Leaf(self.small(0));
                };
                if let Some(&h) = self.holes.get(&p.hash) {
                    return Kids::Leaf(self.hole_node[h as usize]);
                }
                let four = self.small(4);
                Kids::Spine(four, vec![p.item()])
            }
            Shape::Law | Shape::Bar | Shape::Cow(_) | Shape::Set | Shape::Row
                if matches!(v.kind(), Some(Kind::Law(_))) =>
            {
                let Some(Kind::Law(l)) = v.kind() else {
                    return Kids::Leaf(self.small(0));
                };
                let zero = self.small(0);
                let name = self.nat_of(l.name);
                let arity = self.nat_of(l.arity_nat);
                let head = self.cells(zero, &[name, arity]);
                Kids::Spine(head, vec![l.body])
            }
            _ => match v.kind() {
                Some(Kind::App(a)) => {
                    let head = a.head.deref();
                    let hn = {
                        let mut memo = HashMap::new();
                        self.value(head, &mut memo)
                    };
                    Kids::Spine(hn, a.args().to_vec())
                }
                _ => Kids::Leaf(self.small(0)),
            },
        }
    }
}

enum Kids {
    Leaf(u32),
    Spine(u32, Vec<Value>),
}

fn bit_width(n: u64) -> u32 {
    64 - n.leading_zeros()
}

struct Bits {
    out: Vec<u8>,
    acc: u64,
    fil: u32,
    total: u64,
}

impl Bits {
    fn push(&mut self, value: u64, width: u32) {
        let mut value = value;
        let mut width = width;
        while width > 0 {
            let room = 64 - self.fil;
            let take = width.min(room);
            let chunk = if take == 64 {
                value
            } else {
                value & ((1u64 << take) - 1)
            };
            self.acc |= chunk << self.fil;
            self.fil += take;
            self.total += take as u64;
            width -= take;
            value = if take == 64 { 0 } else { value >> take };
            if self.fil == 64 {
                self.out.extend_from_slice(&self.acc.to_le_bytes());
                self.acc = 0;
                self.fil = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let bytes = self.total.div_ceil(8) as usize;
        let have = self.out.len();
        let acc = self.acc.to_le_bytes();
        self.out.extend_from_slice(&acc[..(bytes - have).min(8)]);
        self.out
    }
}

/// Serialises a fully normal value as a seed with no holes.
pub fn save(v: Value) -> Vec<u8> {
    save_with_holes(v, &[])
}

/// Serialises a fully normal value whose pins with the given hashes are holes (a germ's
/// holes are its pin's direct references, in order).
pub fn save_with_holes(v: Value, holes: &[Hash]) -> Vec<u8> {
    let mut b = Builder {
        nodes: Vec::new(),
        cons: HashMap::new(),
        atoms: Vec::new(),
        atom_ids: HashMap::new(),
        atom_node: HashMap::new(),
        hole_node: Vec::new(),
        holes: HashMap::new(),
    };
    for (i, h) in holes.iter().enumerate() {
        let x = b.nodes.len() as u32;
        b.nodes.push(Node::Hole(i as u32));
        b.hole_node.push(x);
        b.holes.insert(*h, i as u32);
    }
    let mut memo = HashMap::new();
    let top = b.value(v, &mut memo);

    // Number of tree paths to each node (top = 1).
    let n = b.nodes.len();
    let mut paths = vec![0u64; n];
    paths[top as usize] = 1;
    // Nodes are created children-first, so parents have larger indices.
    for i in (0..n).rev() {
        if let Node::Cell(h, t) = b.nodes[i] {
            let p = paths[i];
            if p > 0 {
                paths[h as usize] += p;
                paths[t as usize] += p;
            }
        }
    }

    // Fragments: the top, and every cell with more paths than its parent (on that path),
    // in post-order, head first.
    let mut frag_of: HashMap<u32, u32> = HashMap::new();
    let mut frags: Vec<u32> = Vec::new();
    if let Node::Cell(..) = b.nodes[top as usize] {
        // (node, parent paths, children done?)
        let mut stack: Vec<(u32, u64, bool)> = vec![(top, u64::MAX, false)];
        while let Some((x, parent_paths, expanded)) = stack.pop() {
            if frag_of.contains_key(&x) {
                continue;
            }
            let Node::Cell(h, t) = b.nodes[x as usize] else {
                continue;
            };
            if !expanded {
                stack.push((x, parent_paths, true));
                let p = paths[x as usize];
                stack.push((t, p, false));
                stack.push((h, p, false));
                continue;
            }
            if x == top || paths[x as usize] > parent_paths {
                frag_of.insert(x, frags.len() as u32);
                frags.push(x);
            }
        }
    }

    // Atoms in descending order.
    let mut order: Vec<u32> = (0..b.atoms.len() as u32).collect();
    order.sort_by(|&x, &y| b.atoms[y as usize].cmp(&b.atoms[x as usize]));
    let mut rank = vec![0u32; b.atoms.len()];
    for (r, &a) in order.iter().enumerate() {
        rank[a as usize] = r as u32;
    }
    let (mut bigs, mut words, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
    for &a in &order {
        let n = &b.atoms[a as usize];
        let ds = n.to_u64_digits();
        match ds.len() {
            0 => bytes.push(0u8),
            1 if ds[0] < 256 => bytes.push(ds[0] as u8),
            1 => words.push(ds[0]),
            _ => bigs.push(ds),
        }
    }

    let mut out = Vec::new();
    let header = [
        holes.len() as u64,
        bigs.len() as u64,
        words.len() as u64,
        bytes.len() as u64,
        frags.len() as u64,
    ];
    for h in header {
        out.extend_from_slice(&h.to_le_bytes());
    }
    for big in &bigs {
        out.extend_from_slice(&(big.len() as u64).to_le_bytes());
    }
    for big in &bigs {
        for w in big {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    for w in &words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&bytes);

    let nholes = holes.len() as u64;
    let nleaves = nholes + b.atoms.len() as u64;
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        fil: 0,
        total: 0,
    };
    for (fi, &f) in frags.iter().enumerate() {
        let refbits = bit_width((nleaves + fi as u64).saturating_sub(1));
        let Node::Cell(h, t) = b.nodes[f as usize] else {
            continue;
        };
        // Write head then tail; inner cells are 1 then head and tail; leaves 0 then index.
        let mut stack = vec![t, h];
        while let Some(x) = stack.pop() {
            let leaf = |x: u32| -> Option<u64> {
                match b.nodes[x as usize] {
                    Node::Hole(i) => Some(i as u64),
                    Node::Atom(a) => Some(nholes + rank[a as usize] as u64),
                    Node::Cell(..) => frag_of.get(&x).map(|&k| nleaves + k as u64),
                }
            };
            match leaf(x) {
                Some(idx) => {
                    bits.push(0, 1);
                    bits.push(idx, refbits);
                }
                None => {
                    if let Node::Cell(hh, tt) = b.nodes[x as usize] {
                        bits.push(1, 1);
                        stack.push(tt);
                        stack.push(hh);
                    }
                }
            }
        }
    }
    out.extend(bits.finish());
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn word(&mut self) -> Result<u64, SeedError> {
        let Some(s) = self.b.get(self.pos..self.pos + 8) else {
            return err(self.pos, "unexpected end of seed");
        };
        self.pos += 8;
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        Ok(u64::from_le_bytes(w))
    }
}

/// Loads a seed with no holes.
pub fn load(rt: &mut Runtime, bytes: &[u8]) -> Result<Value, SeedError> {
    load_with_holes(rt, bytes, &[])
}

/// Loads a seed whose holes are filled with the given values (pins).
///
/// A cell that saturates its function (which a normal value never holds, and the reference's
/// native loader refuses, leaving it to its PLAN code) is the application it describes, as
/// PLAN reads it: it is evaluated where a normal form is needed (a law's body, a pin's item,
/// the result), and a crash while evaluating it is a load error.
pub fn load_with_holes(
    rt: &mut Runtime,
    bytes: &[u8],
    holes: &[Value],
) -> Result<Value, SeedError> {
    // `table` holds values across those evaluations: they may only collect what they make.
    rt.with_gc_held(|rt| load_held(rt, bytes, holes))
}

/// What a seed reader builds its values with: nats, and the value of each cell `(f x)`.
pub(crate) trait Build {
    /// A nat of at least 2^64 (the digits are in normal form).
    fn big(&mut self, n: BigUint) -> Value;
    /// A nat below 2^64.
    fn word(&mut self, w: u64) -> Value;
    /// The cell `(f x)`.
    fn cell(&mut self, f: Value, x: Value) -> Result<Value, String>;
    /// The cells `(..((f x0) x1).. xn)`, as many [`Build::cell`]s give them; builders
    /// override it to skip the partial applications in between (a row of n elements
    /// would otherwise leave n of them behind, n²/2 words in all).
    fn spine(&mut self, f: Value, xs: &[Value]) -> Result<Value, String> {
        xs.iter().try_fold(f, |f, &x| self.cell(f, x))
    }
}

/// The runtime's builder: cells are applications as PLAN reads them (see
/// [`load_with_holes`]); `lazy` is set once one of them had to be left unevaluated.
struct RtBuild<'a> {
    rt: &'a mut Runtime,
    lazy: bool,
}

impl Build for RtBuild<'_> {
    fn big(&mut self, n: BigUint) -> Value {
        self.rt.nat_big(n)
    }
    fn word(&mut self, w: u64) -> Value {
        self.rt.nat_u64(w)
    }
    fn cell(&mut self, f: Value, x: Value) -> Result<Value, String> {
        apply_loaded(self.rt, f, &[x], &mut self.lazy)
    }
    fn spine(&mut self, f: Value, xs: &[Value]) -> Result<Value, String> {
        apply_loaded(self.rt, f, xs, &mut self.lazy)
    }
}

fn load_held(rt: &mut Runtime, bytes: &[u8], holes: &[Value]) -> Result<Value, SeedError> {
    let mut b = RtBuild { rt, lazy: false };
    let top = read_seed(&mut b, bytes, holes)?;
    if !b.lazy {
        return Ok(top);
    }
    // Whoever loads a seed gets a normal value, as from any other seed.
    b.rt.normalize(top).map_err(|c| SeedError {
        offset: 0,
        msg: format!("evaluating the applications it holds: {}", c.describe()),
    })
}

/// Reads a seed whose holes are `holes`, building its values with `b`.
pub(crate) fn read_seed(
    build: &mut impl Build,
    bytes: &[u8],
    holes: &[Value],
) -> Result<Value, SeedError> {
    let mut r = Reader { b: bytes, pos: 0 };
    let nholes = r.word()?;
    let nbigs = r.word()?;
    let nwords = r.word()?;
    let nbytes = r.word()?;
    let nfrags = r.word()?;
    if nholes != holes.len() as u64 {
        return err(
            0,
            format!("seed has {nholes} holes but {} were given", holes.len()),
        );
    }
    let limit = bytes.len() as u64;
    if nbigs > limit || nwords > limit || nbytes > limit || nfrags > limit * 8 {
        return err(8, "counts larger than the seed itself");
    }
    let mut table: Vec<Value> = holes.to_vec();
    let mut widths = Vec::new();
    for _ in 0..nbigs {
        let w = r.word()?;
        if w > limit / 8 {
            return err(r.pos - 8, format!("big nat of {w} words cannot fit"));
        }
        widths.push(w);
    }
    for w in widths {
        let at = r.pos;
        let mut ds = Vec::with_capacity(w as usize);
        for _ in 0..w {
            ds.push(r.word()?);
        }
        if ds.last() == Some(&0) || ds.len() < 2 {
            return err(at, "big nat is not in normal form");
        }
        let n = BigUint::from_slice(
            &ds.iter()
                .flat_map(|d| [*d as u32, (*d >> 32) as u32])
                .collect::<Vec<u32>>(),
        );
        table.push(build.big(n));
    }
    for _ in 0..nwords {
        let w = r.word()?;
        table.push(build.word(w));
    }
    for _ in 0..nbytes {
        let Some(&b) = bytes.get(r.pos) else {
            return err(r.pos, "unexpected end of seed in byte atoms");
        };
        r.pos += 1;
        table.push(Value::small(b as u64));
    }
    let nleaves = table.len() as u64;
    // The bit stream.
    let start = r.pos;
    let total_bits = ((bytes.len() - start) as u64) * 8;
    let mut bitpos: u64 = 0;
    let bit = |bitpos: &mut u64| -> Result<u64, SeedError> {
        if *bitpos >= total_bits {
            return err(
                start + (*bitpos / 8) as usize,
                "unexpected end of fragment bits",
            );
        }
        let byte = bytes[start + (*bitpos / 8) as usize];
        let b = (byte >> (*bitpos % 8)) & 1;
        *bitpos += 1;
        Ok(b as u64)
    };
    for fi in 0..nfrags {
        let refbits = bit_width((nleaves + fi).saturating_sub(1));
        // Read a tree: returns a value. Explicit stack of partial cells.
        let read_leaf = |bitpos: &mut u64, table: &Vec<Value>| -> Result<Value, SeedError> {
            let mut idx = 0u64;
            for i in 0..refbits {
                idx |= bit(bitpos)? << i;
            }
            table.get(idx as usize).copied().ok_or(SeedError {
                offset: start + (*bitpos / 8) as usize,
                msg: format!("reference {idx} out of range"),
            })
        };
        // Open cells (the fragment itself is one, without a tag bit), each waiting for
        // its head (None) or its tail (Some(head)). A head is kept as a spine, its first
        // value and the tails applied to it so far, and built when it is complete: when
        // it becomes a tail itself or the fragment's value.
        let mut open: Vec<Option<Spine>> = vec![None];
        let mut result: Option<Value> = None;
        while result.is_none() {
            if bit(&mut bitpos)? == 1 {
                open.push(None);
                continue;
            }
            let mut v = Spine(read_leaf(&mut bitpos, &table)?, Vec::new());
            loop {
                let mut built = |v: Spine, bitpos: u64| {
                    build.spine(v.0, &v.1).map_err(|m| SeedError {
                        offset: start + (bitpos / 8) as usize,
                        msg: m,
                    })
                };
                match open.last_mut() {
                    None => {
                        result = Some(built(v, bitpos)?);
                        break;
                    }
                    Some(slot @ None) => {
                        *slot = Some(v);
                        break;
                    }
                    Some(Some(_)) => {
                        let Some(Some(mut h)) = open.pop() else {
                            unreachable!("the last open cell has its head")
                        };
                        h.1.push(built(v, bitpos)?);
                        v = h;
                    }
                }
            }
        }
        match result {
            Some(v) => table.push(v),
            None => return err(start, "fragment did not close"),
        }
    }
    table.last().copied().ok_or(SeedError {
        offset: 0,
        msg: "empty seed".into(),
    })
}

/// A head read from a seed and the tails applied to it so far, in order.
struct Spine(Value, Vec<Value>);

/// Applies `f` to each of `xs` in turn as the cells `(f x)` of a seed say: saturating
/// opcode 0 builds a law, opcode 4 a pin, fewer arguments than the function's arity a
/// partial application (built once, when no more arguments follow or the next one
/// saturates it); any other saturated call becomes a lazy application (and sets `lazy`).
fn apply_loaded(
    rt: &mut Runtime,
    f: Value,
    xs: &[Value],
    lazy: &mut bool,
) -> Result<Value, String> {
    let flat = |f: Value| {
        let f = f.deref();
        match f.kind() {
            Some(Kind::App(a)) => (a.head, a.args().to_vec()),
            _ => (f, Vec::new()),
        }
    };
    let (mut head, mut args) = flat(f);
    for &x in xs {
        args.push(x);
        let ar = if head.is_whnf() { rt.arity(head) } else { 0 };
        if (args.len() as u64) < ar {
            continue;
        }
        let v = saturate_loaded(rt, head, &args, lazy)?;
        (head, args) = flat(v);
    }
    if args.is_empty() {
        return Ok(head);
    }
    Ok(rt.partial(head, &args))
}

/// The call of `head` on as many arguments as its arity (or more) in a seed's cells: a law
/// or a pin when it builds one, else a lazy application (and sets `lazy`).
fn saturate_loaded(
    rt: &mut Runtime,
    head: Value,
    args: &[Value],
    lazy: &mut bool,
) -> Result<Value, String> {
    let normal = |rt: &mut Runtime, v: Value, lazy: bool| -> Result<Value, String> {
        if !lazy {
            return Ok(v);
        }
        rt.normalize(v)
            .map_err(|c| format!("evaluating an application it holds: {}", c.describe()))
    };
    match head.as_small() {
        Some(0) if args.len() == 3 => {
            let (n, a) = (args[0].deref(), args[1].deref());
            if !n.is_nat() || !a.is_nat() || a.as_small() == Some(0) {
                return Err("a law needs a nat name and a positive nat arity".into());
            }
            let b = normal(rt, args[2], *lazy)?;
            Ok(rt.law(n, a, b))
        }
        Some(4) if args.len() == 1 => {
            let item = normal(rt, args[0], *lazy)?;
            Ok(rt.pin(item))
        }
        _ => {
            *lazy = true;
            Ok(rt.apply_lazy(head, args))
        }
    }
}

/// A pin's direct sub-pins, deduplicated, in first-occurrence order (pre-order, head first,
/// not descending into pins).
pub fn pin_refs(item: Value) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen: std::collections::HashSet<Hash> = std::collections::HashSet::new();
    let mut visited: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut stack = vec![item.deref()];
    while let Some(v) = stack.pop() {
        let v = v.deref();
        if v.is_small() || !visited.insert(v.0) {
            continue;
        }
        match v.kind() {
            Some(Kind::Pin(p)) if seen.insert(p.hash) => out.push(v),
            Some(Kind::Law(l)) => {
                stack.push(l.body);
            }
            Some(Kind::App(a)) => {
                for &x in a.args().iter().rev() {
                    stack.push(x);
                }
                stack.push(a.head);
            }
            _ => {}
        }
    }
    out
}

fn pin_hash(v: Value) -> Option<Hash> {
    match v.deref().kind() {
        Some(Kind::Pin(p)) => Some(p.hash),
        _ => None,
    }
}

/// A pin's germ (its item as a seed whose holes are its refs) and the refs' hashes.
pub fn save_germ(pin: Value) -> Option<(Vec<u8>, Vec<Hash>)> {
    let Some(Kind::Pin(p)) = pin.deref().kind() else {
        return None;
    };
    let refs: Vec<Hash> = pin_refs(p.item())
        .into_iter()
        .filter_map(pin_hash)
        .collect();
    Some((save_with_holes(p.item(), &refs), refs))
}

/// A pin as stored in a pin store: u64 ref count, the refs' 32-byte hashes, the germ.
pub fn stored_pin(pin: Value) -> Option<Vec<u8>> {
    let (germ, refs) = save_germ(pin)?;
    let mut out = Vec::with_capacity(8 + 32 * refs.len() + germ.len());
    out.extend_from_slice(&(refs.len() as u64).to_le_bytes());
    for r in &refs {
        out.extend_from_slice(r);
    }
    out.extend_from_slice(&germ);
    Some(out)
}

/// Splits a stored pin into its refs' hashes and its germ.
pub fn parse_stored_pin(bytes: &[u8]) -> Result<(Vec<Hash>, &[u8]), SeedError> {
    let mut r = Reader { b: bytes, pos: 0 };
    let n = r.word()?;
    if n > (bytes.len() as u64) / 32 {
        return err(0, format!("{n} refs cannot fit in {} bytes", bytes.len()));
    }
    let mut refs = Vec::new();
    for i in 0..n as usize {
        let at = 8 + 32 * i;
        let Some(h) = bytes.get(at..at + 32) else {
            return err(at, "truncated ref hash");
        };
        let mut a = [0u8; 32];
        a.copy_from_slice(h);
        refs.push(a);
    }
    Ok((refs, &bytes[8 + 32 * n as usize..]))
}

/// Rebuilds a pin from its germ and its refs (already loaded), checking its hash.
pub fn load_germ(
    rt: &mut Runtime,
    germ: &[u8],
    refs: &[Value],
    expected: Option<&Hash>,
) -> Result<Value, SeedError> {
    let item = load_with_holes(rt, germ, refs)?;
    let pin = rt.pin(item);
    if let (Some(want), Some(got)) = (expected, pin_hash(pin)) {
        if &got != want {
            return err(
                0,
                format!(
                    "pin hashes to {} but was stored as {}",
                    crate::hash::base58(&got),
                    crate::hash::base58(want)
                ),
            );
        }
    }
    Ok(pin)
}

const POD_MAGIC: &[u8] = b"SEEDPOD:";

/// Every pin reachable from `v` (through pins' items), dependencies first, `v` last if it
/// is a pin.
pub fn pins_postorder(v: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut done: std::collections::HashSet<Hash> = std::collections::HashSet::new();
    // (pin, children pushed?)
    let mut stack: Vec<(Value, bool)> = Vec::new();
    match pin_hash(v) {
        Some(_) => stack.push((v, false)),
        None => {
            for r in pin_refs(v).into_iter().rev() {
                stack.push((r, false));
            }
        }
    }
    while let Some((p, expanded)) = stack.pop() {
        let Some(h) = pin_hash(p) else { continue };
        if done.contains(&h) {
            continue;
        }
        if expanded {
            done.insert(h);
            out.push(p);
            continue;
        }
        stack.push((p, true));
        if let Some(Kind::Pin(pp)) = p.deref().kind() {
            for r in pin_refs(pp.item()).into_iter().rev() {
                stack.push((r, false));
            }
        }
    }
    out
}

/// Saves a pin and everything it references as a pod: `SEEDPOD:` then a seed of
/// `[topHashBar, [[germBar, [refIdx...]]...]]` in dependency order, top last.
pub fn save_pod(rt: &mut Runtime, top: Value) -> Option<Vec<u8>> {
    let top_hash = pin_hash(top)?;
    let pins = pins_postorder(top);
    let index: HashMap<Hash, usize> = pins
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| pin_hash(p).map(|h| (h, i)))
        .collect();
    let mut entries = Vec::new();
    for &p in &pins {
        let (germ, refs) = save_germ(p)?;
        let idxs: Vec<Value> = refs
            .iter()
            .filter_map(|h| index.get(h))
            .map(|&i| rt.nat_u64(i as u64))
            .collect();
        let germ_bar = rt.bar(&germ);
        let idx_row = rt.row(&idxs);
        entries.push(rt.row(&[germ_bar, idx_row]));
    }
    let hash_bar = rt.bar(&top_hash);
    let list = rt.row(&entries);
    let pod = rt.row(&[hash_bar, list]);
    let mut out = POD_MAGIC.to_vec();
    out.extend(save(pod));
    Some(out)
}

/// Whether these bytes are a pod.
pub fn is_pod(bytes: &[u8]) -> bool {
    bytes.starts_with(POD_MAGIC)
}

/// Loads a pod, re-checking every pin's hash; returns the top pin.
pub fn load_pod(rt: &mut Runtime, bytes: &[u8]) -> Result<Value, SeedError> {
    let Some(body) = bytes.strip_prefix(POD_MAGIC) else {
        return err(0, "not a pod (no SEEDPOD: prefix)");
    };
    let pod = load(rt, body)?;
    let shape = |m: &str| SeedError {
        offset: POD_MAGIC.len(),
        msg: format!("pod is not [hash [[germ refs]...]]: {m}"),
    };
    let parts = datajet::row_elems(pod).ok_or_else(|| shape("top is not a row"))?;
    let [hash_bar, list] = parts.as_slice() else {
        return Err(shape("top row must have two entries"));
    };
    let top_hash = datajet::bar_bytes(*hash_bar).ok_or_else(|| shape("hash is not a bar"))?;
    let entries = datajet::row_elems(*list).ok_or_else(|| shape("pin list is not a row"))?;
    let mut pins: Vec<Value> = Vec::new();
    let _keep = rt.roots.len();
    for e in entries {
        let pair = datajet::row_elems(e).ok_or_else(|| shape("entry is not a row"))?;
        let [germ, idxs] = pair.as_slice() else {
            return Err(shape("entry must be [germ refs]"));
        };
        let germ = datajet::bar_bytes(*germ).ok_or_else(|| shape("germ is not a bar"))?;
        let idxs = datajet::row_elems(*idxs).ok_or_else(|| shape("refs is not a row"))?;
        let mut refs = Vec::new();
        for i in idxs {
            let i = i
                .as_small()
                .ok_or_else(|| shape("ref index is not a small nat"))?;
            refs.push(
                *pins
                    .get(i as usize)
                    .ok_or_else(|| shape("ref index points forward"))?,
            );
        }
        let pin = load_germ(rt, &germ, &refs, None)?;
        pins.push(pin);
    }
    let top = *pins.last().ok_or_else(|| shape("no pins"))?;
    if pin_hash(top).map(|h| h.to_vec()) != Some(top_hash) {
        return err(POD_MAGIC.len(), "top pin does not hash to the pod's hash");
    }
    Ok(top)
}
