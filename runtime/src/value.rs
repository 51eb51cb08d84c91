//! The one-word value representation and the heap objects it points to.
//!
//! A [`Value`] is a 64-bit word. When its low bit is 1 it is a small nat (the value shifted left
//! by one, so small nats are below 2^63 and never allocate). Otherwise it is a pointer to a heap
//! object owned by the [`crate::heap::Heap`]: one header word (kind, flags, length, birth
//! epoch; see [`Obj`]) followed by the object's content, sized by what it holds: an
//! application's or a thunk's arguments are inline. Objects never move; the collector frees
//! objects unreachable from the roots (see `heap/` for the root discipline).

use std::cell::{Cell, OnceCell};
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

    pub(crate) fn from_ptr(p: *const u8) -> Value {
        Value(p as u64)
    }

    /// Follows finished thunks to the value they computed (no evaluation happens).
    #[inline]
    pub fn deref(self) -> Value {
        let mut v = self;
        while let Some(o) = v.obj() {
            if o.tag() != Tag::ThunkDone {
                break;
            }
            // SAFETY: a finished thunk's first word is its value.
            v = unsafe { o.word(1) };
        }
        v
    }

    /// The value's kind, after following finished thunks. Small nats give `None`.
    #[inline]
    pub fn kind(self) -> Option<Kind> {
        self.deref().obj().map(Obj::kind)
    }

    /// The thunk this value points to, as it is (finished or not: no thunk is followed).
    #[inline]
    pub(crate) fn thunk(self) -> Option<&'static ThunkObj> {
        match self.obj() {
            Some(o) if o.tag().is_thunk() => Some(o.cast()),
            _ => None,
        }
    }

    /// Whether this value, already passed through [`Value::deref`], is in weak head normal
    /// form (is not an unfinished thunk).
    #[inline]
    pub fn is_whnf_derefed(self) -> bool {
        !matches!(
            self.obj().map(Obj::tag),
            Some(Tag::ThunkPending | Tag::ThunkHole)
        )
    }

    /// Whether this value is a nat (small or big), after following finished thunks.
    pub fn is_nat(self) -> bool {
        let v = self.deref();
        v.is_small() || matches!(v.obj().map(Obj::tag), Some(Tag::Nat))
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

/// What a heap object is (the low byte of its header).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    /// A slot on a free list (never seen through a value).
    Free = 0,
    /// A partial application ([`AppObj`]).
    App = 1,
    /// A thunk not yet evaluated ([`ThunkObj`]).
    ThunkPending = 2,
    /// A thunk being evaluated (its pending content is kept, for a crash to restore).
    ThunkHole = 3,
    /// A thunk evaluated to its first word.
    ThunkDone = 4,
    /// A nat of 2^63 or more ([`NatObj`]).
    Nat = 5,
    /// A law ([`LawObj`]).
    Law = 6,
    /// A pin ([`PinObj`]).
    Pin = 7,
}

impl Tag {
    /// Any of the three thunk states.
    #[inline]
    pub fn is_thunk(self) -> bool {
        matches!(self, Tag::ThunkPending | Tag::ThunkHole | Tag::ThunkDone)
    }

    fn from_byte(b: u8) -> Tag {
        match b {
            1 => Tag::App,
            2 => Tag::ThunkPending,
            3 => Tag::ThunkHole,
            4 => Tag::ThunkDone,
            5 => Tag::Nat,
            6 => Tag::Law,
            7 => Tag::Pin,
            _ => Tag::Free,
        }
    }
}

/// Header flag: reached by the running collection.
pub(crate) const MARK: u64 = 1 << 8;
/// Header flag: every value reachable from this object is known to be normal.
pub(crate) const NORMAL: u64 = 1 << 9;
/// Header flag: the normaliser is inside this object (to detect cyclic values).
pub(crate) const VISITING: u64 = 1 << 10;
/// Header flag: this object is in the collector's remembered set.
pub(crate) const REMEMBERED: u64 = 1 << 11;
/// Header flag: the object belongs to a store's loader (see [`crate::stored`]): never
/// collected, and the collector does not look inside it (it points only at such objects).
pub(crate) const STORED: u64 = 1 << 12;
/// Header flag: the object is too large for a block's slot and was allocated on its own.
pub(crate) const LARGE: u64 = 1 << 13;
/// The length field's value when the length is in the word after the first one.
pub(crate) const LONG_LEN: u64 = 0xFFFF;

/// Every heap object starts with this header word: the [`Tag`] in bits 0-7, flags in bits
/// 8-15, a length in bits 16-31 (arguments of an application or thunk; `LONG_LEN` means
/// the length is stored further on) and the epoch the object was allocated in, bits 32-63
/// (collections during an evaluation that others wait on may only free objects of its own
/// epochs).
#[repr(C)]
pub struct Obj {
    header: Cell<u64>,
}

impl Obj {
    #[inline]
    pub(crate) fn bits(&self) -> u64 {
        self.header.get()
    }

    #[inline]
    pub(crate) fn set_bits(&self, b: u64) {
        self.header.set(b)
    }

    /// The object's tag.
    #[inline]
    pub fn tag(&self) -> Tag {
        Tag::from_byte(self.bits() as u8)
    }

    #[inline]
    pub(crate) fn set_tag(&self, t: Tag) {
        self.set_bits((self.bits() & !0xFF) | t as u64);
    }

    #[inline]
    pub(crate) fn flag(&self, f: u64) -> bool {
        self.bits() & f != 0
    }

    #[inline]
    pub(crate) fn set_flag(&self, f: u64, on: bool) {
        let b = self.bits();
        self.set_bits(if on { b | f } else { b & !f });
    }

    /// The epoch the object was allocated in.
    #[inline]
    pub(crate) fn epoch(&self) -> u32 {
        (self.bits() >> 32) as u32
    }

    #[inline]
    pub(crate) fn set_epoch(&self, e: u32) {
        self.set_bits((self.bits() & 0xFFFF_FFFF) | ((e as u64) << 32));
    }

    /// Whether every value reachable from this object is known to be normal.
    #[inline]
    pub fn normal(&self) -> bool {
        self.flag(NORMAL)
    }

    #[inline]
    pub(crate) fn set_normal(&self) {
        self.set_flag(NORMAL, true)
    }

    #[inline]
    pub(crate) fn visiting(&self) -> bool {
        self.flag(VISITING)
    }

    #[inline]
    pub(crate) fn set_visiting(&self, on: bool) {
        self.set_flag(VISITING, on)
    }

    /// Word `i` of the object (word 0 is the header).
    ///
    /// # Safety
    /// The object must have at least `i + 1` words, and word `i` must hold a value.
    #[inline]
    pub(crate) unsafe fn word(&self, i: usize) -> Value {
        *(self as *const Obj as *const Value).add(i)
    }

    /// The number of arguments of an application or thunk.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        let n = (self.bits() >> 16) & 0xFFFF;
        if n == LONG_LEN {
            // SAFETY: long objects keep their length in word 2.
            unsafe { *(self as *const Obj as *const u64).add(2) as usize }
        } else {
            n as usize
        }
    }

    /// The object's arguments (application or thunk): after the header and the head, and
    /// after the long length word if there is one.
    #[inline]
    pub(crate) fn args_ptr(&self) -> *mut Value {
        let long = (self.bits() >> 16) & 0xFFFF == LONG_LEN;
        let words = if long { 3 } else { 2 };
        // SAFETY: applications and thunks have their arguments from here on.
        unsafe { (self as *const Obj as *mut Value).add(words) }
    }

    #[inline]
    pub(crate) fn cast<T>(&self) -> &T {
        // SAFETY: callers check the tag; every object type starts with the header.
        unsafe { &*(self as *const Obj as *const T) }
    }

    /// What the object is.
    #[inline]
    pub fn kind(&'static self) -> Kind {
        match self.tag() {
            Tag::App => Kind::App(self.cast()),
            Tag::Nat => Kind::Nat(&self.cast::<NatObj>().n),
            Tag::Law => Kind::Law(self.cast()),
            Tag::Pin => Kind::Pin(self.cast()),
            _ => Kind::Thunk(self.cast()),
        }
    }
}

/// What a heap object is, with its content.
#[derive(Copy, Clone)]
pub enum Kind {
    /// A nat of 2^63 or more (never smaller: those are immediate).
    Nat(&'static BigUint),
    /// A pin `<item>`.
    Pin(&'static PinObj),
    /// A law `{name arity body}`.
    Law(&'static LawObj),
    /// A partial application in weak head normal form: the head is a nat, law or pin (never
    /// an app) and there are fewer arguments than the head's arity. Arguments may be thunks.
    App(&'static AppObj),
    /// A suspended computation, updated in place with its result.
    Thunk(&'static ThunkObj),
}

/// Arity of a function value, saturating at `u64::MAX` for absurdly large stated arities.
pub type Arity = u64;

/// A big nat: the header, then the number.
#[repr(C)]
pub struct NatObj {
    pub(crate) obj: Obj,
    /// The number (at least 2^63).
    pub n: BigUint,
}

/// A pin: an immutable, content-addressed value.
///
/// A pin read from a machine's store may be *unloaded*: its hash is known (and its jet, which
/// is matched by hash), but its item is still in the store's mapped pack file. The first
/// look at its item or arity ([`PinObj::item`], [`PinObj::arity`]) loads it (see
/// [`crate::stored`]); nothing else changes, so every engine sees an ordinary pin.
#[repr(C)]
pub struct PinObj {
    pub(crate) obj: Obj,
    /// The pinned value, fully normal; while unloaded, the address of the loader with
    /// [`UNLOADED`] set (never a valid value: values are small nats or aligned pointers).
    pub(crate) item: Cell<Value>,
    /// BLAKE3 of the item's encoding (see `hash.rs`).
    pub hash: [u8; 32],
    /// The item's arity (meaningful once loaded).
    pub(crate) arity: Cell<Arity>,
    /// The jet matched for this pin, if any.
    pub jet: Cell<Option<crate::jets::JetId>>,
}

/// The low bits of an unloaded pin's item word.
pub(crate) const UNLOADED: u64 = 2;

impl PinObj {
    /// The pinned value (fully normal), loaded from the store first if it is not yet.
    #[inline]
    pub fn item(&self) -> Value {
        let v = self.item.get();
        if v.0 & 3 == UNLOADED {
            return crate::stored::load_or_exit(self);
        }
        v
    }

    /// The item's arity (loading the item first if it is not yet).
    #[inline]
    pub fn arity(&self) -> Arity {
        if !self.is_loaded() {
            self.item();
        }
        self.arity.get()
    }

    /// Whether the item is in memory (always, except for pins read from a store and not
    /// yet touched).
    #[inline]
    pub fn is_loaded(&self) -> bool {
        self.item.get().0 & 3 != UNLOADED
    }
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
#[repr(C)]
pub struct LawObj {
    pub(crate) obj: Obj,
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
    pub native: Cell<crate::native::NativeSlot>,
}

/// A partial application: the header, the head, then the arguments.
#[repr(C)]
pub struct AppObj {
    pub(crate) obj: Obj,
    /// The head: a nat, law or pin.
    pub head: Value,
}

impl AppObj {
    /// The arguments in application order (may contain thunks).
    #[inline]
    pub fn args(&self) -> &'static [Value] {
        // SAFETY: an application holds `len` arguments from `args_ptr`; they are only ever
        // replaced by equal values (finished thunks by their results), never resized.
        unsafe { std::slice::from_raw_parts(self.obj.args_ptr(), self.obj.len()) }
    }

    /// Replaces argument `i` by a value that is semantically identical (a finished thunk by
    /// its result). Callers tell the heap's write barrier (see
    /// [`crate::heap::Heap::note_write`]).
    #[inline]
    pub(crate) fn set_arg_raw(&self, i: usize, v: Value) {
        debug_assert!(i < self.obj.len());
        // SAFETY: in range; single-threaded; no slice of the arguments is held across it
        // by callers that rely on the old value.
        unsafe { *self.obj.args_ptr().add(i) = v }
    }

    /// The object's header.
    #[inline]
    pub fn obj(&self) -> &Obj {
        &self.obj
    }
}

/// A thunk: the header (its tag is the state), a first word (the head while pending, the
/// result once done), then the arguments of the pending application.
#[repr(C)]
pub struct ThunkObj {
    pub(crate) obj: Obj,
    first: Cell<Value>,
}

/// What a thunk holds.
#[derive(Copy, Clone, Debug)]
pub enum ThunkState {
    /// Not yet evaluated: the application `head args...` (with no args: evaluate `head`).
    Pending(Value, &'static [Value]),
    /// Being evaluated; forcing it again is an infinite loop.
    BlackHole,
    /// Evaluated to this value (in weak head normal form).
    Done(Value),
}

impl ThunkObj {
    /// The thunk's state.
    #[inline]
    pub fn state(&self) -> ThunkState {
        match self.obj.tag() {
            Tag::ThunkPending => ThunkState::Pending(self.first.get(), self.args()),
            Tag::ThunkDone => ThunkState::Done(self.first.get()),
            _ => ThunkState::BlackHole,
        }
    }

    /// The pending application's arguments (meaningful while pending or black-holed).
    #[inline]
    pub(crate) fn args(&self) -> &'static [Value] {
        // SAFETY: a thunk holds `len` arguments from `args_ptr`.
        unsafe { std::slice::from_raw_parts(self.obj.args_ptr(), self.obj.len()) }
    }

    /// The head of the pending application (meaningful while pending or black-holed).
    #[inline]
    pub(crate) fn head(&self) -> Value {
        self.first.get()
    }

    /// How many arguments the thunk has room for.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.obj.len()
    }

    /// Starts evaluating a pending thunk: it becomes a black hole (its content stays for a
    /// crash to restore) and its head and arguments are returned.
    #[inline]
    pub(crate) fn begin(&self) -> Option<(Value, &'static [Value])> {
        if self.obj.tag() != Tag::ThunkPending {
            return None;
        }
        self.obj.set_tag(Tag::ThunkHole);
        Some((self.first.get(), self.args()))
    }

    /// Undoes [`ThunkObj::begin`] after a crash: the thunk is pending again.
    #[inline]
    pub(crate) fn restore(&self) {
        if self.obj.tag() == Tag::ThunkHole {
            self.obj.set_tag(Tag::ThunkPending);
        }
    }

    /// The thunk's value is `v`. Callers tell the heap's write barrier.
    #[inline]
    pub(crate) fn finish_raw(&self, v: Value) {
        self.first.set(v);
        self.obj.set_tag(Tag::ThunkDone);
    }

    /// A placeholder's content becomes the pending application `head args...`; `args` must
    /// fit its capacity. Callers tell the heap's write barrier.
    #[inline]
    pub(crate) fn fill_raw(&self, head: Value, args: &[Value]) {
        debug_assert!(args.len() <= self.capacity());
        let n = args.len();
        // SAFETY: within capacity; the length field shrinks to `n` (long thunks keep their
        // length word, which is rewritten).
        unsafe {
            std::ptr::copy_nonoverlapping(args.as_ptr(), self.obj.args_ptr(), n);
            let b = self.obj.bits();
            if (b >> 16) & 0xFFFF == LONG_LEN {
                *(self as *const ThunkObj as *mut u64).add(2) = n as u64;
            } else {
                self.obj
                    .set_bits((b & !(0xFFFF << 16)) | ((n as u64) << 16));
            }
        }
        self.first.set(head);
        self.obj.set_tag(Tag::ThunkPending);
    }

    /// The object's header.
    #[inline]
    pub fn obj(&self) -> &Obj {
        &self.obj
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
