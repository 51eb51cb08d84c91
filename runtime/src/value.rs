//! The one-word value representation and the heap objects it points to.
//!
//! A [`Value`] is a 64-bit word. When its low bit is 1 it is a small nat (the value shifted left
//! by one, so small nats are below 2^63 and never allocate). Otherwise it is a pointer to an
//! [`Obj`] owned by the [`crate::heap::Heap`]. Objects never move; the collector frees objects
//! that are unreachable from the roots (see `heap.rs` for the root discipline).

use std::cell::{Cell, OnceCell, UnsafeCell};
use std::rc::Rc;

use num_bigint::BigUint;

use crate::law::LawCode;

/// A PLAN value: an immediate small nat or a pointer to a heap object.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Value(pub(crate) u64);

/// The largest nat stored immediately in a [`Value`].
pub const MAX_SMALL: u64 = (1u64 << 63) - 1;

impl Value {
    /// The small nat `n`. Panics in debug builds if `n > MAX_SMALL`; use
    /// [`crate::Runtime::nat_u64`] for arbitrary `u64`s.
    #[inline]
    pub const fn small(n: u64) -> Value {
        debug_assert!(n <= MAX_SMALL);
        Value((n << 1) | 1)
    }

    /// Whether this is an immediate small nat.
    #[inline]
    pub fn is_small(self) -> bool {
        self.0 & 1 == 1
    }

    /// The immediate small nat, if this is one.
    #[inline]
    pub fn as_small(self) -> Option<u64> {
        if self.is_small() {
            Some(self.0 >> 1)
        } else {
            None
        }
    }

    /// The heap object this value points to, if it is not a small nat.
    #[inline]
    pub fn obj(self) -> Option<&'static Obj> {
        if self.is_small() {
            None
        } else {
            // SAFETY: non-small values are always pointers to live objects allocated by the
            // heap; the root discipline guarantees a reachable value is never freed.
            Some(unsafe { &*(self.0 as *const Obj) })
        }
    }

    pub(crate) fn from_obj(p: *mut Obj) -> Value {
        Value(p as u64)
    }

    /// Follows finished thunks to the value they computed (no evaluation happens).
    #[inline]
    pub fn deref(self) -> Value {
        let mut v = self;
        while let Some(Obj {
            kind: Kind::Thunk(t),
            ..
        }) = v.obj()
        {
            match t.get() {
                Thunk::Done(w) => v = *w,
                _ => return v,
            }
        }
        v
    }

    /// The value's kind, after following finished thunks. Small nats give `None`.
    #[inline]
    pub fn kind(self) -> Option<&'static Kind> {
        self.deref().obj().map(|o| &o.kind)
    }

    /// The thunk this value points to, as it is (finished or not: no thunk is followed).
    #[inline]
    pub(crate) fn thunk_cell(self) -> Option<&'static ThunkCell> {
        match self.obj() {
            Some(Obj {
                kind: Kind::Thunk(t),
                ..
            }) => Some(t),
            _ => None,
        }
    }

    /// Whether this value, already passed through [`Value::deref`], is in weak head normal
    /// form (is not an unfinished thunk).
    #[inline]
    pub fn is_whnf_derefed(self) -> bool {
        !matches!(
            self.obj(),
            Some(Obj {
                kind: Kind::Thunk(_),
                ..
            })
        )
    }

    /// Whether this value is a nat (small or big), after following finished thunks.
    pub fn is_nat(self) -> bool {
        let v = self.deref();
        v.is_small() || matches!(v.kind(), Some(Kind::Nat(_)))
    }

    /// Whether this value is in weak head normal form (not an unfinished thunk).
    #[inline]
    pub fn is_whnf(self) -> bool {
        self.deref().is_whnf_derefed()
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::print::show(*self))
    }
}

/// A heap object: a header used by the collector and the object itself.
pub struct Obj {
    pub(crate) mark: Cell<bool>,
    /// Set once every value reachable from this object is known to be normal.
    pub(crate) normal: Cell<bool>,
    /// Set while the normaliser is inside this object (to detect cyclic values).
    pub(crate) visiting: Cell<bool>,
    /// Allocation serial number (objects older than an evaluation are roots for it).
    pub(crate) serial: u64,
    /// What the object is.
    pub kind: Kind,
}

/// The kinds of heap objects.
pub enum Kind {
    /// A nat of 2^63 or more (never smaller: those are immediate).
    Nat(BigUint),
    /// A pin `<item>` (boxed: pins and laws are rare next to thunks and applications, which
    /// keeps every object small).
    Pin(Box<PinObj>),
    /// A law `{name arity body}` (boxed, like pins).
    Law(Box<LawObj>),
    /// A partial application in weak head normal form: `head` is a nat, law or pin (never an
    /// app) and `args` has fewer entries than the head's arity. Arguments may be thunks.
    App(AppObj),
    /// A suspended computation, updated in place with its result.
    Thunk(ThunkCell),
}

/// Arity of a function value, saturating at `u64::MAX` for absurdly large stated arities.
pub type Arity = u64;

/// A pin: an immutable, content-addressed value.
pub struct PinObj {
    /// The pinned value, fully normal.
    pub item: Value,
    /// BLAKE3 of the item's encoding (see `hash.rs`).
    pub hash: [u8; 32],
    /// The item's arity.
    pub arity: Arity,
    /// The jet matched for this pin, if any.
    pub jet: Cell<Option<crate::jets::JetId>>,
}

/// What kind of data jet a law is, recognised once at construction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LawShape {
    /// An ordinary law.
    Plain,
    /// `{0 1 0}`: the empty row.
    EmptyRow,
    /// `{0 n+1 0}` with n >= 1: the row constructor for n elements.
    Cow(u64),
    /// `{1 1 N}` with N a valid bar encoding.
    Bar,
    /// `{1 2 row}` with the row strictly ascending: a set of this many keys.
    Set(u64),
}

/// A law `{name arity body}`.
pub struct LawObj {
    /// The name, a nat.
    pub name: Value,
    /// The stated arity as a nat (kept exactly, for hashing and reflection).
    pub arity_nat: Value,
    /// The arity as a machine number (saturating).
    pub arity: Arity,
    /// The body, fully normal.
    pub body: Value,
    /// Data-jet shape.
    pub shape: LawShape,
    /// The body compiled for execution, built on first call.
    pub code: OnceCell<Rc<LawCode>>,
    /// The body compiled to bytecode, built on first call.
    pub bytecode: OnceCell<Rc<crate::bytecode::Bytecode>>,
    /// Call counting and machine code for the native tier.
    pub native: std::cell::Cell<crate::native::NativeSlot>,
}

/// A partial application.
pub struct AppObj {
    /// The head: a nat, law or pin.
    pub head: Value,
    pub(crate) args: UnsafeCell<Args>,
}

impl AppObj {
    /// The arguments in application order (may contain thunks).
    #[inline]
    pub fn args(&self) -> &[Value] {
        // SAFETY: args are only replaced by equal values (thunks by their results) through
        // `set_arg`, never resized; the runtime is single-threaded.
        unsafe { &*self.args.get() }
    }

    /// Replaces an argument by a value that is semantically identical (a finished thunk by
    /// its result). Used to shorten indirections during normalisation.
    #[inline]
    pub(crate) fn set_arg(&self, i: usize, v: Value) {
        // SAFETY: single-threaded; no outstanding borrow is held across this call by callers.
        unsafe {
            match &mut *self.args.get() {
                Args::Inline(_, xs) => xs[i] = v,
                Args::Heap(xs) => xs[i] = v,
            }
        }
    }
}

/// The arguments of a pending or partial application. Up to two are kept in the object
/// itself, so most thunks and applications take one allocation rather than two.
#[derive(Clone)]
pub enum Args {
    /// The first `len` (at most two) of these.
    Inline(u8, [Value; 2]),
    /// Three or more, on the heap.
    Heap(Box<[Value]>),
}

impl Args {
    /// The `n` arguments `xs` yields.
    #[inline]
    pub fn collect(n: usize, xs: impl Iterator<Item = Value>) -> Args {
        if n > 2 {
            return Args::Heap(xs.collect());
        }
        let mut inline = [Value::small(0); 2];
        for (slot, x) in inline.iter_mut().zip(xs) {
            *slot = x;
        }
        Args::Inline(n as u8, inline)
    }

    /// The arguments `xs`.
    #[inline]
    pub fn from_slice(xs: &[Value]) -> Args {
        Args::collect(xs.len(), xs.iter().copied())
    }

    /// The arguments in `xs` (keeping the box when they do not fit inline).
    #[inline]
    pub fn from_box(xs: Box<[Value]>) -> Args {
        if xs.len() <= 2 {
            Args::from_slice(&xs)
        } else {
            Args::Heap(xs)
        }
    }
}

impl std::ops::Deref for Args {
    type Target = [Value];

    #[inline]
    fn deref(&self) -> &[Value] {
        match self {
            Args::Inline(n, xs) => &xs[..*n as usize],
            Args::Heap(xs) => xs,
        }
    }
}

/// The state of a thunk.
#[derive(Clone)]
pub enum Thunk {
    /// Not yet evaluated: the application `head args...` (with no args: evaluate `head`).
    Pending(Value, Args),
    /// Being evaluated; forcing it again is an infinite loop.
    BlackHole,
    /// Evaluated to this value (in weak head normal form).
    Done(Value),
}

/// Interior-mutable thunk state.
pub struct ThunkCell(pub(crate) UnsafeCell<Thunk>);

impl ThunkCell {
    /// The current state.
    #[inline]
    pub fn get(&self) -> &Thunk {
        // SAFETY: single-threaded; states are replaced whole via `set`, and callers copy what
        // they need out before any `set`.
        unsafe { &*self.0.get() }
    }

    /// Marks the thunk as being evaluated and returns its previous state.
    #[inline]
    pub(crate) fn take_for_eval(&self) -> Thunk {
        // SAFETY: see `get`; no reference to the old state outlives this call.
        unsafe { std::mem::replace(&mut *self.0.get(), Thunk::BlackHole) }
    }

    /// Replaces the state.
    #[inline]
    pub(crate) fn set(&self, t: Thunk) {
        // SAFETY: see `get`.
        unsafe {
            *self.0.get() = t;
        }
    }
}

/// Arity of an opcode nat when used as a function.
#[inline]
pub fn op_arity(op: u64) -> Arity {
    match op {
        0 => 3,
        1 => 5,
        2 => 3,
        _ => 1,
    }
}
