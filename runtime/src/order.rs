//! PLAN order and equality: nat < pin < law < app; nats by value; pins equal by hash,
//! otherwise by item; laws by (name, arity, body); apps by (argument count, head, arguments
//! in application order). Data jets compare as the PLAN they stand for.
//!
//! Comparison is lazy, as the reference's `_Cmp` law is: both values are evaluated to weak
//! head normal form only; a closure against a non-closure, closures with different numbers of
//! arguments or different heads are decided without evaluating any argument; closures of equal
//! size and head compare their arguments one at a time in application order (depth first),
//! stopping at the first difference. Nothing is normalised as a whole, so `eql 0 (1, inf)`
//! answers at once for an infinite `inf`.
//!
//! A [`Comparison`] is a resumable walk: [`Comparison::run`] goes as far as it can and says
//! which unevaluated thunk it needs next. The evaluator keeps a comparison in a frame and
//! evaluates what it asks for (so collection and interrupts work as everywhere else);
//! natives that compare inside their own work use [`Runtime::compare_lazy`], which evaluates
//! the needed values in nested evaluations.

use std::cmp::Ordering;

use crate::eval::Crash;
use crate::nat;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

fn rank(v: Value) -> u8 {
    if v.is_small() {
        return 0;
    }
    match v.kind() {
        Some(Kind::Nat(_)) | None => 0,
        Some(Kind::Pin(_)) => 1,
        Some(Kind::Law(_)) => 2,
        Some(Kind::App(_)) | Some(Kind::Thunk(_)) => 3,
    }
}

/// What a comparison is for: equality may stop at the first difference without ordering it
/// (two pins with different hashes are unequal without looking inside).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The full PLAN order.
    Order,
    /// Only whether the values are equal (an unequal answer is reported as `Less`).
    Equality,
}

/// How far a [`Comparison`] got.
#[derive(Copy, Clone, Debug)]
pub enum Progress {
    /// Finished with this answer.
    Done(Ordering),
    /// This value (an unfinished thunk) must be evaluated to weak head normal form first.
    Need(Value),
    /// Ran for its allotted steps; call [`Comparison::run`] again.
    Pause,
}

/// A comparison in progress: the pairs still to compare, the next one last.
pub struct Comparison {
    work: Vec<(Value, Value)>,
    purpose: Purpose,
}

/// How many pairs [`Comparison::run`] compares before it pauses (so that an endless
/// comparison of two infinite values can be interrupted).
pub const STEPS_PER_RUN: u32 = 1 << 16;

impl Comparison {
    /// A comparison of `a` with `b`.
    pub fn new(a: Value, b: Value, purpose: Purpose) -> Comparison {
        Comparison {
            work: vec![(a, b)],
            purpose,
        }
    }

    /// Starts over on another pair (keeping the work list's memory).
    pub fn restart(&mut self, a: Value, b: Value) {
        self.work.clear();
        self.work.push((a, b));
    }

    /// Number of pairs waiting (a measure of the comparison's depth).
    pub fn pending(&self) -> usize {
        self.work.len()
    }

    /// Every value the comparison still refers to (collection roots).
    pub fn values(&self, out: &mut Vec<Value>) {
        for &(x, y) in &self.work {
            out.push(x);
            out.push(y);
        }
    }

    /// Compares until the answer is known, an unevaluated value is needed, or `steps` pairs
    /// have been compared. When a value is needed, evaluate it and call `run` again: the
    /// comparison resumes where it stopped.
    pub fn run(&mut self, steps: u32) -> Progress {
        let mut left = steps;
        while let Some(&(x, y)) = self.work.last() {
            if left == 0 {
                return Progress::Pause;
            }
            left -= 1;
            let (x, y) = (x.deref(), y.deref());
            if x == y {
                self.work.pop();
                continue;
            }
            // The first value is evaluated first, as the PLAN code does.
            if !x.is_whnf_derefed() {
                return Progress::Need(x);
            }
            if !y.is_whnf_derefed() {
                return Progress::Need(y);
            }
            self.work.pop();
            let (rx, ry) = (rank(x), rank(y));
            if rx != ry {
                return Progress::Done(rx.cmp(&ry));
            }
            match (x.kind(), y.kind()) {
                (Some(Kind::Pin(p)), Some(Kind::Pin(q))) => {
                    if p.hash != q.hash {
                        if self.purpose == Purpose::Equality {
                            return Progress::Done(Ordering::Less);
                        }
                        self.work.push((p.item(), q.item()));
                    }
                }
                (Some(Kind::Law(l)), Some(Kind::Law(m))) => {
                    self.work.push((l.body, m.body));
                    self.work.push((l.arity_nat, m.arity_nat));
                    self.work.push((l.name, m.name));
                }
                (Some(Kind::App(f)), Some(Kind::App(g))) => {
                    let (fa, ga) = (f.args(), g.args());
                    if fa.len() != ga.len() {
                        return Progress::Done(fa.len().cmp(&ga.len()));
                    }
                    for i in (0..fa.len()).rev() {
                        self.work.push((fa[i], ga[i]));
                    }
                    self.work.push((f.head, g.head));
                }
                _ => {
                    // Both nats.
                    let o = match (x.as_small(), y.as_small()) {
                        (Some(m), Some(n)) => m.cmp(&n),
                        _ => nat::nat_or_zero(x).cmp(&nat::nat_or_zero(y)),
                    };
                    if o != Ordering::Equal {
                        return Progress::Done(o);
                    }
                }
            }
        }
        Progress::Done(Ordering::Equal)
    }
}

/// What a comparison jet answers, given the order of its two arguments.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `_Eql`: 1 when equal.
    Eql,
    /// `_Neq`: 1 when unequal.
    Neq,
    /// `_Cmp`: 0, 1 or 2 for less, equal, greater.
    Cmp,
    /// `_Lth`.
    Lth,
    /// `_Lte`.
    Lte,
    /// `_Gth`.
    Gth,
    /// `_Gte`.
    Gte,
    /// `_Min`: the first argument unless it is greater.
    Min,
    /// `_Max`: the first argument unless it is less.
    Max,
}

impl Verdict {
    /// What this verdict needs of the comparison.
    pub fn purpose(self) -> Purpose {
        match self {
            Verdict::Eql | Verdict::Neq => Purpose::Equality,
            _ => Purpose::Order,
        }
    }

    /// The jet's result for arguments `x` and `y` whose order is `o`.
    pub fn answer(self, o: Ordering, x: Value, y: Value) -> Value {
        let bit = |b: bool| Value::small(b as u64);
        match self {
            Verdict::Eql => bit(o == Ordering::Equal),
            Verdict::Neq => bit(o != Ordering::Equal),
            Verdict::Cmp => Value::small(match o {
                Ordering::Less => 0,
                Ordering::Equal => 1,
                Ordering::Greater => 2,
            }),
            Verdict::Lth => bit(o == Ordering::Less),
            Verdict::Lte => bit(o != Ordering::Greater),
            Verdict::Gth => bit(o == Ordering::Greater),
            Verdict::Gte => bit(o != Ordering::Less),
            Verdict::Min => {
                if o == Ordering::Greater {
                    y
                } else {
                    x
                }
            }
            Verdict::Max => {
                if o == Ordering::Less {
                    y
                } else {
                    x
                }
            }
        }
    }
}

/// Compares two fully normal values in PLAN order. (An unevaluated part, which callers never
/// pass, makes the answer unspecified.)
pub fn compare(a: Value, b: Value) -> Ordering {
    let mut c = Comparison::new(a, b, Purpose::Order);
    loop {
        match c.run(u32::MAX) {
            Progress::Done(o) => return o,
            Progress::Pause => {}
            Progress::Need(_) => return Ordering::Less,
        }
    }
}

/// Structural equality of two fully normal values (pins by hash).
pub fn equal(a: Value, b: Value) -> bool {
    let mut c = Comparison::new(a, b, Purpose::Equality);
    loop {
        match c.run(u32::MAX) {
            Progress::Done(o) => return o == Ordering::Equal,
            Progress::Pause => {}
            Progress::Need(_) => return false,
        }
    }
}

/// Whether the values are strictly ascending in PLAN order.
pub fn strictly_ascending(vs: &[Value]) -> bool {
    vs.windows(2).all(|w| compare(w[0], w[1]) == Ordering::Less)
}

/// Whether a row's elements (fully normal) are strictly ascending in PLAN order.
pub fn ascending_view(v: crate::datajet::RowView) -> bool {
    (1..v.len()).all(|i| compare(v.at(i - 1), v.at(i)) == Ordering::Less)
}

impl Runtime {
    /// Compares two values lazily (see the module documentation), evaluating what the
    /// comparison needs in nested evaluations. For natives that compare inside their own work;
    /// the comparison jets use the evaluator's comparison frame instead.
    pub fn compare_lazy(
        &mut self,
        a: Value,
        b: Value,
        purpose: Purpose,
    ) -> Result<Ordering, Crash> {
        let mut c = Comparison::new(a, b, purpose);
        self.finish_comparison(&mut c)
    }

    /// Where `key` is among the strictly ascending `keys`: `Ok(i)` when it is element `i`,
    /// `Err(i)` where it would go; comparing lazily, so only the parts of `key` (and of the
    /// keys) that the search looks at are evaluated.
    pub fn search_lazy(
        &mut self,
        key: Value,
        keys: crate::datajet::RowView,
    ) -> Result<Result<usize, usize>, Crash> {
        let (mut lo, mut hi) = (0usize, keys.len());
        // A small nat key among small nat keys (most tabs' keys): compared as numbers. A key
        // of another kind on the way hands the rest of the search to the general comparison.
        if let Some(k) = key.deref().as_small() {
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let Some(m) = keys.at(mid).deref().as_small() else {
                    break;
                };
                match k.cmp(&m) {
                    Ordering::Less => hi = mid,
                    Ordering::Equal => return Ok(Ok(mid)),
                    Ordering::Greater => lo = mid + 1,
                }
            }
        }
        let mut c = Comparison::new(key, key, Purpose::Order);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            c.restart(key, keys.at(mid));
            match self.finish_comparison(&mut c)? {
                Ordering::Less => hi = mid,
                Ordering::Equal => return Ok(Ok(mid)),
                Ordering::Greater => lo = mid + 1,
            }
        }
        Ok(Err(lo))
    }

    /// Runs a comparison to its end, evaluating what it needs in nested evaluations.
    fn finish_comparison(&mut self, c: &mut Comparison) -> Result<Ordering, Crash> {
        loop {
            match c.run(STEPS_PER_RUN) {
                Progress::Done(o) => return Ok(o),
                Progress::Need(v) => {
                    // The pairs still to compare are older than the nested evaluation, which
                    // may only collect what it allocates itself.
                    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                        self.with_gc_held(|rt| rt.whnf(v))
                    })?;
                }
                Progress::Pause => {
                    if self.interrupted() {
                        return Err(self.stop_crash());
                    }
                }
            }
            if c.pending() > self.config.max_frames {
                return Err(Crash::stack_exhausted());
            }
        }
    }
}
