//! Our own heap: non-moving allocation of [`Obj`]s and a mark-and-sweep collector.
//!
//! Root discipline: the collector only runs at *safe points*, which are chosen by the
//! evaluator (the top of its loop, where every live value is in its frame stack) and only
//! when no host code has inhibited collection (see [`crate::Runtime::inhibit_gc`]). Host code
//! that keeps values across an evaluation registers them in [`crate::Runtime::roots`].
//! Because objects never move, a JIT can hold raw words across calls that cannot collect.

use std::cell::{Cell, OnceCell, UnsafeCell};

use crate::value::{Args, Kind, Obj, Thunk, ThunkCell, Value};

/// Owner of every heap object.
pub struct Heap {
    objects: Vec<*mut Obj>,
    /// Memory of collected objects, reused by the next allocations (every object has the
    /// same size, so this saves the allocator a round trip per object).
    free: Vec<*mut Obj>,
    /// Approximate bytes allocated since the last collection.
    allocated_since_gc: usize,
    /// Collect when `allocated_since_gc` passes this.
    pub threshold: usize,
    /// Number of collections so far.
    pub collections: u64,
    /// Total number of objects ever allocated.
    pub total_allocs: u64,
    /// How many collections were young-only (inside a host's hold).
    pub young_collections: u64,
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            objects: Vec::new(),
            free: Vec::new(),
            allocated_since_gc: 0,
            // Small enough that freed memory is reused while it is still mapped and cached
            // (tabInserts 2000: 127 -> 40 ms, peak memory 270 -> 72 MB against 256 MB); the
            // threshold then grows with the live heap.
            threshold: 32 << 20,
            collections: 0,
            total_allocs: 0,
            young_collections: 0,
        }
    }
}

fn approx_size(kind: &Kind) -> usize {
    let base = std::mem::size_of::<Obj>() + 16;
    base + match kind {
        Kind::Nat(n) => (n.bits() as usize) / 8,
        Kind::App(a) => a.args().len() * 8,
        Kind::Thunk(t) => match t.get() {
            Thunk::Pending(_, a) => a.len() * 8,
            _ => 0,
        },
        _ => 0,
    }
}

impl Heap {
    /// Allocates an object and returns the value pointing to it.
    pub fn alloc(&mut self, kind: Kind) -> Value {
        self.allocated_since_gc += approx_size(&kind);
        let obj = Obj {
            mark: Cell::new(false),
            normal: Cell::new(false),
            visiting: Cell::new(false),
            serial: self.total_allocs,
            kind,
        };
        self.total_allocs += 1;
        let p = match self.free.pop() {
            // SAFETY: a free slot is the memory of a collected object (from `Box::new`, so
            // with `Obj`'s layout) whose contents were already dropped.
            Some(p) => unsafe {
                p.write(obj);
                p
            },
            None => Box::into_raw(Box::new(obj)),
        };
        self.objects.push(p);
        Value::from_obj(p)
    }

    /// Allocates a thunk for the pending application `head args...`.
    pub fn thunk(&mut self, head: Value, args: Box<[Value]>) -> Value {
        self.thunk_args(head, Args::from_box(args))
    }

    /// Allocates a thunk for the pending application `head args...`.
    pub fn thunk_args(&mut self, head: Value, args: Args) -> Value {
        self.alloc(Kind::Thunk(ThunkCell(UnsafeCell::new(Thunk::Pending(
            head, args,
        )))))
    }

    /// Number of live objects (after the last collection, plus new ones).
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// How many collected objects' memory is waiting to be reused.
    pub fn free_slots(&self) -> usize {
        self.free.len()
    }

    /// Whether enough has been allocated that a collection is due.
    #[inline]
    pub fn wants_gc(&self) -> bool {
        self.allocated_since_gc > self.threshold
    }

    /// Marks everything reachable from `roots` and frees the rest.
    pub fn collect<'a>(&mut self, roots: impl IntoIterator<Item = &'a Value>) {
        self.collect_from(roots, 0);
    }

    /// Frees objects allocated at or after serial `watermark` that are unreachable from
    /// `roots` and from every older object (older objects all stay: host code may hold them
    /// in Rust variables). With a watermark of 0 this is a full collection.
    pub fn collect_from<'a>(&mut self, roots: impl IntoIterator<Item = &'a Value>, watermark: u64) {
        let mut stack: Vec<Value> = roots.into_iter().copied().collect();
        let first_young = self.objects.partition_point(|&p| {
            // SAFETY: every pointer in `objects` is live until swept.
            unsafe { (*p).serial < watermark }
        });
        for &p in &self.objects[..first_young] {
            // SAFETY: as above.
            push_children(unsafe { &*p }, &mut stack);
        }
        while let Some(v) = stack.pop() {
            let Some(o) = v.obj() else { continue };
            if o.serial < watermark || o.mark.get() {
                continue;
            }
            o.mark.set(true);
            push_children(o, &mut stack);
        }
        // Compact the survivors in place: the list keeps its capacity, so it does not have
        // to grow (and be copied) again after every collection.
        let mut kept = first_young;
        for i in first_young..self.objects.len() {
            let p = self.objects[i];
            // SAFETY: every pointer in `objects` came from Box::into_raw and is freed once.
            let o = unsafe { &*p };
            if o.mark.get() {
                o.mark.set(false);
                self.objects[kept] = p;
                kept += 1;
            } else if self.free.len() < MAX_FREE_SLOTS {
                // SAFETY: unreachable, so nothing refers to it; its memory is kept for reuse.
                unsafe { std::ptr::drop_in_place(p) };
                self.free.push(p);
            } else {
                drop(unsafe { Box::from_raw(p) });
            }
        }
        self.objects.truncate(kept);
        self.allocated_since_gc = 0;
        self.collections += 1;
        if watermark > 0 {
            self.young_collections += 1;
        }
        // Grow the threshold with the live heap so collection stays amortised.
        let live = self.objects.len() * 64;
        self.threshold = self.threshold.max(live * 2);
    }
}

/// At most this many collected objects' memory is kept for reuse (56 MB).
const MAX_FREE_SLOTS: usize = 1 << 20;

impl Drop for Heap {
    fn drop(&mut self) {
        for &p in &self.objects {
            // SAFETY: see `collect`.
            drop(unsafe { Box::from_raw(p) });
        }
        for &p in &self.free {
            // SAFETY: free slots were allocated by `Box::new` with `Obj`'s layout, and their
            // contents were already dropped.
            unsafe { std::alloc::dealloc(p.cast::<u8>(), std::alloc::Layout::new::<Obj>()) };
        }
    }
}

fn push_children(o: &Obj, stack: &mut Vec<Value>) {
    match &o.kind {
        Kind::Nat(_) => {}
        Kind::Pin(p) => stack.push(p.item),
        Kind::Law(l) => {
            stack.push(l.name);
            stack.push(l.arity_nat);
            stack.push(l.body);
        }
        Kind::App(a) => {
            stack.push(a.head);
            stack.extend_from_slice(a.args());
        }
        Kind::Thunk(t) => match t.get() {
            Thunk::Pending(h, a) => {
                stack.push(*h);
                stack.extend_from_slice(a);
            }
            Thunk::BlackHole => {}
            Thunk::Done(w) => stack.push(*w),
        },
    }
}

/// A fresh, empty compiled-code slot for a new law.
pub(crate) fn empty_code() -> OnceCell<std::rc::Rc<crate::law::LawCode>> {
    OnceCell::new()
}
