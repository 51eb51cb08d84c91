//! Register allocation: temporaries that are never live at the same time share a register,
//! so activations are smaller (fewer registers to fill on every call, fewer stale values
//! kept alive for the collector).
//!
//! A register is live after an instruction when some path from there reads it before writing
//! it. Two temporaries interfere when one is written where the other is live; each temporary
//! then takes the lowest register above the arguments that no interfering temporary has.
//! Self and the arguments keep their registers. Laws with letrec placeholders (`Holes`, which
//! needs a block of consecutive registers) are left as they are.

use super::flow::{for_each_reg, reads, successors, writes};
use super::{Instr, Reg};

/// A set of registers.
#[derive(Clone, PartialEq)]
struct Set(Vec<u64>);

impl Set {
    fn new(n: usize) -> Set {
        Set(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, r: Reg) {
        self.0[r as usize / 64] |= 1 << (r % 64);
    }
    fn remove(&mut self, r: Reg) {
        self.0[r as usize / 64] &= !(1 << (r % 64));
    }
    fn union_with(&mut self, o: &Set) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            *a |= b;
        }
    }
    fn iter(&self) -> impl Iterator<Item = Reg> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1u64 << b) != 0)
                .map(move |b| (w * 64 + b) as Reg)
        })
    }
}

/// The registers live after each instruction.
fn live_out(code: &[Instr], nregs: usize) -> Vec<Set> {
    let succ: Vec<Vec<usize>> = (0..code.len()).map(|pc| successors(code, pc)).collect();
    let mut live_in = vec![Set::new(nregs); code.len()];
    let mut out = vec![Set::new(nregs); code.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..code.len()).rev() {
            let mut o = Set::new(nregs);
            for s in &succ[pc] {
                o.union_with(&live_in[*s]);
            }
            let mut i = o.clone();
            for w in writes(&code[pc]) {
                i.remove(w);
            }
            for r in reads(&code[pc]) {
                i.insert(r);
            }
            if i != live_in[pc] {
                live_in[pc] = i;
                changed = true;
            }
            out[pc] = o;
        }
    }
    out
}

/// Laws whose code length times register count passes this keep their registers: the
/// liveness sets and the interference graph take time and memory in that product (a law of
/// 30,000 nested calls took 10 s and 2 GB), and allocation only saves room.
const MAX_WORK: u64 = 1 << 26;

/// Allocates the temporaries of a law's code (registers above `arity`, below `nregs`);
/// returns the new number of registers.
pub(super) fn allocate(code: &mut [Instr], arity: u32, nregs: u32) -> u32 {
    if code.iter().any(|i| matches!(i, Instr::Holes { .. }))
        || nregs <= arity + 2
        || code.len() as u64 * nregs as u64 > MAX_WORK
    {
        return nregs;
    }
    let n = nregs as usize;
    let live = live_out(code, n);
    let mut interferes = vec![Set::new(n); n];
    for (pc, ins) in code.iter().enumerate() {
        for d in writes(ins) {
            for l in live[pc].iter().filter(|l| *l != d) {
                interferes[d as usize].insert(l);
                interferes[l as usize].insert(d);
            }
        }
    }
    let first_temp = arity + 1;
    let mut color: Vec<Reg> = (0..nregs).collect();
    let mut next = first_temp;
    for t in first_temp..nregs {
        let taken: Vec<Reg> = interferes[t as usize]
            .iter()
            .filter(|o| *o < t || *o <= arity)
            .map(|o| color[o as usize])
            .collect();
        let c = (first_temp..).find(|c| !taken.contains(c)).unwrap_or(t);
        color[t as usize] = c;
        next = next.max(c + 1);
    }
    for ins in code.iter_mut() {
        for_each_reg(ins, |r| *r = color[*r as usize]);
    }
    next
}
