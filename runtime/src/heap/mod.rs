//! Our own heap: objects sized by their content in size-classed blocks (`space.rs`), a
//! non-moving mark-and-sweep collector (`collect.rs`) and its statistics ([`stats`]).
//!
//! Root discipline: the collector only runs at *safe points*, chosen by the evaluator (the
//! top of its loop, where every live value is in its frames, the register stack or the
//! runtime's roots). Host code that holds values in Rust variables across an evaluation
//! either registers them in [`crate::Runtime::roots`] or holds collection back
//! ([`crate::Runtime::with_gc_held`]); an evaluation started while collection is held may
//! only free what it allocated itself: objects carry the *epoch* they were allocated in, a
//! held evaluation starts a new epoch, and its collections free only objects of that epoch
//! or newer. An older object that is made to point at newer ones (a thunk's result, a
//! letrec placeholder, a shortened argument) goes into the remembered set, whose objects
//! such collections scan as roots. Because objects never move, interpreted and native code
//! may hold raw words across calls that cannot collect.
//!
//! Reuse: marking counts the marked objects of each block (large objects carry
//! [`crate::value::LARGE`] and are not in blocks). The sweep gives a block in which nothing
//! was marked back whole, for any size class, reading none of its slots (nats and laws,
//! which own memory outside the heap, have size classes of their own, whose blocks are
//! always walked to drop their dead); the other blocks are walked up to their top (slots past
//! it were never handed out) and their free runs rebuilt. A young collection leaves alone
//! the blocks that hold no object of its epochs, and empties only blocks that hold no older
//! object either (each block knows the oldest and newest epochs it may hold). Under
//! `PALLAS_GC_VERIFY` no freed memory is reused: only fresh memory is handed out.
//! `--heap-stats` counts the blocks walked and emptied and the slots read.

mod collect;
pub(crate) mod space;
pub mod stats;

use num_bigint::BigUint;

use crate::value::{
    LawObj, NatObj, Obj, PinObj, Tag, ThunkObj, Value, LARGE, LONG_LEN, REMEMBERED,
};

pub use stats::HeapStats;

/// Owner of every heap object.
pub struct Heap {
    pub(crate) space: space::Space,
    /// The size classes of big nats and of laws, which own memory outside the heap.
    nat_class: usize,
    law_class: usize,
    /// The epoch objects are allocated in now.
    epoch: u32,
    /// Whether anything was allocated in the current epoch.
    used_epoch: bool,
    /// Objects older than an epoch that were made to point at newer objects.
    pub(crate) remembered: Vec<Value>,
    /// Bytes allocated since the last collection.
    allocated_since_gc: usize,
    /// Bytes allocated since the last full collection.
    allocated_since_full: usize,
    /// Bytes live after the last full collection.
    live_after_full: usize,
    /// Bytes live after the last collection.
    live_after_gc: usize,
    /// Big nats' digits, which live outside the blocks.
    pub(crate) big_bytes: usize,
    /// Collect when this many bytes were allocated since the last collection (it grows
    /// with the live heap so that collection stays amortised).
    pub threshold: usize,
    /// The heap may hold at most this many bytes; past it evaluations stop with an
    /// out-of-memory crash at their next safe point.
    pub max_bytes: usize,
    /// Set when a collection left the heap over [`Heap::max_bytes`]: the running evaluation
    /// stops with an out-of-memory crash.
    pub out_of_memory: bool,
    /// Number of collections so far.
    pub collections: u64,
    /// How many collections were young (inside a held evaluation).
    pub young_collections: u64,
    /// Total number of objects ever allocated.
    pub total_allocs: u64,
    /// Total bytes ever allocated (objects' slots and big nats' digits): a deterministic
    /// measure of the work a computation did with memory.
    pub total_bytes: u64,
    /// Objects allocated since the last collection, plus those live after it.
    objects: usize,
    /// Print statistics after every collection (`--heap-stats`).
    pub report: bool,
    /// Statistics of the last collection.
    pub last_stats: Option<HeapStats>,
    /// The lower bound of [`Heap::threshold`].
    pub(crate) min_threshold: usize,
    /// Debugging (`PALLAS_GC_VERIFY`): before each sweep, check that everything the roots
    /// reach is marked, and never reuse freed memory (a freed object stays recognisable).
    pub(crate) verify: bool,
    /// Debugging (`PALLAS_GC_STRESS`): collect every 64 KB allocated, at every safe point
    /// that allows it.
    pub(crate) stress: bool,
    /// Flags every object of this heap carries from its allocation ([`crate::value::STORED`]
    /// for a store loader's heap, which is never collected).
    pub(crate) stamp: u64,
}

/// A byte count for people: `512 MB`, `1.5 GB` (powers of 1024).
pub fn show_bytes(n: usize) -> String {
    const MB: f64 = (1u64 << 20) as f64;
    let mb = n as f64 / MB;
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.0} MB")
    }
}

/// The watermark of an evaluation that must not collect at all.
pub(crate) const NO_COLLECTION: u32 = u32::MAX;

/// The smallest collection threshold: collecting more often than every this many bytes
/// costs more than the memory it saves.
const MIN_THRESHOLD: usize = 8 << 20;

impl Default for Heap {
    fn default() -> Self {
        let mut space = space::Space::default();
        let nat_class = space.owning_class(words_of::<NatObj>() * 8);
        let law_class = space.owning_class(words_of::<LawObj>() * 8);
        Heap {
            space,
            nat_class,
            law_class,
            epoch: 1,
            used_epoch: false,
            remembered: Vec::new(),
            allocated_since_gc: 0,
            allocated_since_full: 0,
            live_after_full: 0,
            live_after_gc: 0,
            big_bytes: 0,
            threshold: if std::env::var_os("PALLAS_GC_STRESS").is_some() {
                64 << 10
            } else {
                MIN_THRESHOLD
            },
            max_bytes: usize::MAX,
            out_of_memory: false,
            collections: 0,
            young_collections: 0,
            total_allocs: 0,
            total_bytes: 0,
            objects: 0,
            report: false,
            last_stats: None,
            // Debugging (`PALLAS_GC_STRESS`): collect every 64 KB.
            min_threshold: if std::env::var_os("PALLAS_GC_STRESS").is_some() {
                64 << 10
            } else {
                MIN_THRESHOLD
            },
            verify: std::env::var_os("PALLAS_GC_VERIFY").is_some(),
            stress: std::env::var_os("PALLAS_GC_STRESS").is_some(),
            stamp: 0,
        }
    }
}

/// Words an object of type `T` takes.
const fn words_of<T>() -> usize {
    std::mem::size_of::<T>().div_ceil(8)
}

/// Words of an application or thunk with `n` arguments: header, head, arguments (and the
/// length word when it does not fit the header).
fn spine_words(n: usize) -> usize {
    if n as u64 >= LONG_LEN {
        n + 3
    } else {
        (n + 2).max(2)
    }
}

impl Heap {
    /// Memory for an object of `words` words with this header (its tag and length), in
    /// the current epoch.
    #[inline]
    fn alloc_obj(&mut self, words: usize, tag: Tag, len: u64) -> *mut u8 {
        let (p, bytes) = self.space.alloc(words * 8, self.epoch);
        let large = if bytes > space::MAX_SLOT { LARGE } else { 0 };
        self.init_obj(p, bytes, tag as u64 | large, len)
    }

    /// [`Heap::alloc_obj`] in size class `c` (of big nats or laws).
    fn alloc_obj_in(&mut self, c: usize, tag: Tag) -> *mut u8 {
        let (p, bytes) = self.space.alloc_in(c, self.epoch);
        self.init_obj(p, bytes, tag as u64, 0)
    }

    /// Counts the new object at `p` of `bytes` bytes and writes its header: the tag and
    /// flags `tag`, length `len`, the current epoch.
    #[inline]
    fn init_obj(&mut self, p: *mut u8, bytes: usize, tag: u64, len: u64) -> *mut u8 {
        self.allocated_since_gc += bytes;
        self.allocated_since_full += bytes;
        self.total_allocs += 1;
        self.total_bytes += bytes as u64;
        self.objects += 1;
        self.used_epoch = true;
        let len = len.min(LONG_LEN);
        // SAFETY: `p` is fresh memory of at least one word.
        unsafe {
            (*(p as *const Obj))
                .set_bits(tag | self.stamp | (len << 16) | ((self.epoch as u64) << 32))
        };
        p
    }

    /// An application or thunk object `head args...` (`n` arguments from `args`).
    #[inline]
    fn spine(
        &mut self,
        tag: Tag,
        head: Value,
        n: usize,
        args: impl Iterator<Item = Value>,
    ) -> Value {
        let p = self.alloc_obj(spine_words(n), tag, n as u64);
        // SAFETY: the object has room for the head, the long length and `n` arguments.
        unsafe {
            let w = p as *mut Value;
            w.add(1).write(head);
            let mut a = w.add(2);
            if n as u64 >= LONG_LEN {
                (a as *mut u64).write(n as u64);
                a = a.add(1);
            }
            // `fold` rather than a `for` loop: chained iterators (a row with one element
            // inserted) then copy each part in a loop of its own.
            let k = args.take(n).fold(0, |k, x| {
                a.add(k).write(x);
                k + 1
            });
            debug_assert_eq!(k, n, "fewer arguments than announced");
            for i in k..n {
                a.add(i).write(Value::small(0));
            }
        }
        Value::from_ptr(p)
    }

    /// The partial application `head args...` (the caller guarantees it is one: `head` is
    /// a nat, law or pin with more arity than there are arguments).
    #[inline]
    pub fn app(&mut self, head: Value, args: &[Value]) -> Value {
        self.spine(Tag::App, head, args.len(), args.iter().copied())
    }

    /// [`Heap::app`] with the `n` arguments from an iterator.
    #[inline]
    pub fn app_iter(&mut self, head: Value, n: usize, args: impl Iterator<Item = Value>) -> Value {
        self.spine(Tag::App, head, n, args)
    }

    /// A thunk for the pending application `head args...` (no arguments: evaluate `head`).
    #[inline]
    pub fn thunk(&mut self, head: Value, args: &[Value]) -> Value {
        self.spine(Tag::ThunkPending, head, args.len(), args.iter().copied())
    }

    /// [`Heap::thunk`] with the `n` arguments from an iterator.
    #[inline]
    pub fn thunk_iter(
        &mut self,
        head: Value,
        n: usize,
        args: impl Iterator<Item = Value>,
    ) -> Value {
        self.spine(Tag::ThunkPending, head, n, args)
    }

    /// A letrec placeholder with room for `capacity` arguments, to be filled with
    /// `Heap::fill` before anything evaluates it.
    pub fn hole(&mut self, capacity: usize) -> Value {
        self.spine(
            Tag::ThunkPending,
            Value::small(0),
            capacity,
            std::iter::empty(),
        )
    }

    /// A big nat (at least 2^63: smaller nats are immediate).
    pub fn nat(&mut self, n: BigUint) -> Value {
        debug_assert!(n.bits() > 63);
        // The digits live outside the blocks but count towards the next collection.
        let digits = n.bits().div_ceil(64) as usize * 8;
        self.big_bytes += digits;
        self.allocated_since_gc += digits;
        self.allocated_since_full += digits;
        self.total_bytes += digits as u64;
        let p = self.alloc_obj_in(self.nat_class, Tag::Nat);
        // SAFETY: the slot has room for a NatObj; its header is written.
        unsafe { std::ptr::addr_of_mut!((*(p as *mut NatObj)).n).write(n) };
        Value::from_ptr(p)
    }

    /// A law object with these parts (the header is the heap's).
    pub(crate) fn law(&mut self, parts: impl FnOnce(Obj) -> LawObj) -> Value {
        let p = self.alloc_obj_in(self.law_class, Tag::Law);
        // SAFETY: the slot has room for a LawObj; `parts` gets the header to keep.
        unsafe {
            let hdr = std::ptr::read(p as *const Obj);
            (p as *mut LawObj).write(parts(hdr));
        }
        Value::from_ptr(p)
    }

    /// A pin object with these parts (the header is the heap's).
    pub(crate) fn pin(&mut self, parts: impl FnOnce(Obj) -> PinObj) -> Value {
        let p = self.alloc_obj(words_of::<PinObj>(), Tag::Pin, 0);
        // SAFETY: as in `law`.
        unsafe {
            let hdr = std::ptr::read(p as *const Obj);
            (p as *mut PinObj).write(parts(hdr));
        }
        Value::from_ptr(p)
    }

    /// The write barrier: `o` now points at `v`. An object older than the current epoch
    /// joins the remembered set, so collections of newer epochs see what it points at.
    #[inline]
    pub(crate) fn note_write(&mut self, o: &Obj, v: Value) {
        if v.is_small() || o.epoch() >= self.epoch || o.flag(REMEMBERED) {
            return;
        }
        o.set_flag(REMEMBERED, true);
        self.remembered
            .push(Value::from_ptr(o as *const Obj as *const u8));
    }

    /// The thunk `t` evaluated to `v`.
    #[inline]
    pub(crate) fn finish(&mut self, t: &ThunkObj, v: Value) {
        t.finish_raw(v);
        self.note_write(t.obj(), v);
    }

    /// The letrec placeholder `hole` becomes the pending application `head args...`, in
    /// place when it has room, else through a new thunk it then stands for.
    pub(crate) fn fill(&mut self, hole: &ThunkObj, head: Value, args: &[Value]) {
        if args.len() <= hole.capacity() {
            hole.fill_raw(head, args);
            self.note_write(hole.obj(), head);
            for &a in args {
                self.note_write(hole.obj(), a);
            }
        } else {
            let t = self.thunk(head, args);
            hole.fill_raw(t, &[]);
            self.note_write(hole.obj(), t);
        }
    }

    /// The letrec placeholder `hole` holds the value `v` (already evaluated).
    pub(crate) fn fill_done(&mut self, hole: &ThunkObj, v: Value) {
        hole.finish_raw(v);
        self.note_write(hole.obj(), v);
    }

    /// Argument `i` of the application `a` is replaced by the equal value `v`.
    #[inline]
    pub(crate) fn set_arg(&mut self, a: &crate::value::AppObj, i: usize, v: Value) {
        a.set_arg_raw(i, v);
        self.note_write(a.obj(), v);
    }

    /// Starts a new epoch for an evaluation that others wait on (when anything was
    /// allocated in the current one); returns the first epoch that evaluation's
    /// collections may free, or [`NO_COLLECTION`] when epochs have run out (collection then
    /// waits for the next full collection, which renumbers them).
    pub(crate) fn new_epoch(&mut self) -> u32 {
        if self.used_epoch {
            if self.epoch >= NO_COLLECTION - 1 {
                return NO_COLLECTION;
            }
            self.epoch += 1;
            self.used_epoch = false;
        }
        self.epoch
    }

    /// Number of live objects (after the last collection, plus new ones).
    pub fn object_count(&self) -> usize {
        self.objects
    }

    /// How many freed slots wait in free runs to be reused (emptied blocks and the current
    /// runs not counted).
    pub fn free_slots(&self) -> usize {
        self.space.classes.iter().map(|c| c.free_count).sum()
    }

    /// Bytes the heap holds: blocks, large objects and big nats' digits.
    pub fn bytes(&self) -> usize {
        self.space.bytes + self.big_bytes
    }

    /// Whether the heap is over its limit ([`Heap::max_bytes`]).
    #[inline]
    pub fn over_limit(&self) -> bool {
        self.bytes() > self.max_bytes
    }

    /// Whether a new object of `extra` bytes could not fit under the limit even if the
    /// heap held only what was live at the last collection (refused before it is made).
    pub fn would_exceed(&self, extra: usize) -> bool {
        extra > self.max_bytes.saturating_sub(self.live_after_gc)
    }

    /// Whether enough has been allocated that a collection is due.
    #[inline]
    pub fn wants_gc(&self) -> bool {
        self.allocated_since_gc > self.threshold || (self.over_limit() && !self.out_of_memory)
    }

    /// Whether a full collection is due: more has been allocated since the last one than
    /// was live after it (and at least the minimum threshold).
    pub fn wants_full_gc(&self) -> bool {
        let due = if self.stress {
            self.min_threshold
        } else {
            self.live_after_full.max(self.min_threshold)
        };
        self.allocated_since_full > due
    }

    /// Bytes live after the last collection.
    pub fn live_bytes(&self) -> usize {
        self.live_after_gc
    }
}
