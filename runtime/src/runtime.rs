//! The runtime: the heap, its roots, configuration, and constructors for every kind of value.

use std::cell::Cell;

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use crate::heap::Heap;
use crate::jets::JetTable;
use crate::value::{op_arity, Arity, Kind, LawObj, LawShape, PinObj, Value, MAX_SMALL};

/// How to react to a jet whose name matches but whose hash does not.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum JetMismatch {
    /// Print a warning on stderr and run the PLAN code.
    Warn,
    /// Crash the evaluation that created the pin.
    Crash,
    /// Say nothing.
    Ignore,
}

/// Which engine runs law bodies.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The simple graph-reduction evaluator (the test oracle).
    Oracle,
    /// The bytecode interpreter.
    Bytecode,
}

/// Runtime settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Whether matched jets run natively.
    pub jets: bool,
    /// Reaction to a jet name with a wrong hash.
    pub jet_mismatch: JetMismatch,
    /// Maximum number of evaluator frames before a "stack exhausted" crash.
    pub max_frames: usize,
    /// Room for the registers of bytecode activations (address space reserved once; a call
    /// that finds no room left is a "stack exhausted" crash).
    pub max_registers: usize,
    /// Which engine runs law bodies.
    pub engine: Engine,
    /// When laws run as machine code (needs [`Runtime::native`]).
    pub jit: crate::native::JitMode,
    /// Whether hot laws that the small-nat tier does not take get machine code for their
    /// activations (the tier for any law, [`crate::native::ActFn`]); off by default, as it
    /// is slower than the interpreter on most workloads for now.
    pub jit_act: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            jets: true,
            jet_mismatch: JetMismatch::Warn,
            max_frames: 20_000_000,
            max_registers: 1 << 26,
            engine: Engine::Bytecode,
            jit: crate::native::JitMode::Off,
            jit_act: false,
        }
    }
}

/// A function receiving `_Trace` output.
pub type TraceHook = Box<dyn FnMut(&Runtime, Value)>;

/// A PLAN runtime: one heap and everything needed to evaluate in it.
pub struct Runtime {
    /// The heap.
    pub heap: Heap,
    /// Values the host keeps alive across evaluations (collection roots).
    pub roots: Vec<Value>,
    pub(crate) gc_inhibit: Cell<u32>,
    /// Settings.
    pub config: Config,
    /// The jet table.
    pub jets: JetTable,
    pub(crate) cows: Vec<Value>,
    /// Where `_Trace` output goes; stderr when unset.
    pub trace_hook: Option<TraceHook>,
    /// Count of pins created (for statistics).
    pub pins_made: u64,
    pub(crate) frames: Vec<crate::eval::Frame>,
    pub(crate) scratch: Vec<Value>,
    /// Frame-stack height below which the current evaluation must not pop.
    pub(crate) run_base: usize,
    /// The epoch the innermost running evaluation started, when it runs with collection
    /// held: its collections free only objects of that epoch or newer (0: it may collect
    /// everything).
    pub(crate) run_watermark: u32,
    /// The registers of every bytecode activation, innermost last (each activation's
    /// frame records where its registers start).
    pub(crate) reg_stack: crate::bytecode::interp::RegStack,
    /// The profiler, when profiling.
    pub profiler: Option<Box<crate::profile::Profiler>>,
    /// Counters about compilation.
    pub stats: Stats,
    /// The native-code compiler (the JIT), when one is installed.
    pub native: Option<Box<dyn crate::native::NativeCompiler>>,
    /// Set from anywhere (a watchdog, a signal handler) to make the running evaluation stop
    /// with an [`Interrupted`](crate::eval::CrashKind::Interrupted) crash.
    pub interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The outcome of a call made by machine code that the interpreter finishes, and the
    /// register it is for (see [`crate::native::EXIT_OTHER`]).
    pub(crate) jit_other: Option<(crate::bytecode::interp::Other, crate::bytecode::Reg)>,
    /// The activation machine code just entered (see [`crate::native::ActCallee`]).
    pub(crate) jit_callee: crate::native::ActCallee,
    /// The store loaders whose pins this runtime's values may point at (kept alive with
    /// the runtime; last, so that they outlive the heap when it drops).
    pub(crate) loaders: Vec<std::rc::Rc<crate::stored::Loader>>,
}

/// Counters kept by the runtime.
#[derive(Default, Debug)]
pub struct Stats {
    /// Laws compiled to bytecode.
    pub laws_compiled: Cell<u64>,
    /// Time spent compiling laws to bytecode, in nanoseconds.
    pub compile_nanos: Cell<u64>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new(Config::default())
    }
}

/// Row constructors for rows of fewer elements than this are made once and shared.
const COW_CACHE: u64 = 64;

impl Runtime {
    /// A runtime with the given settings.
    pub fn new(config: Config) -> Runtime {
        let registers = config.max_registers;
        Runtime {
            heap: Heap::default(),
            roots: Vec::new(),
            gc_inhibit: Cell::new(0),
            config,
            jets: JetTable::reference(),
            cows: Vec::new(),
            trace_hook: None,
            pins_made: 0,
            frames: Vec::new(),
            scratch: Vec::new(),
            run_base: 0,
            run_watermark: 0,
            reg_stack: crate::bytecode::interp::RegStack::new(registers),
            profiler: None,
            stats: Stats::default(),
            native: None,
            interrupt: Default::default(),
            jit_other: None,
            jit_callee: Default::default(),
            loaders: Vec::new(),
        }
    }

    /// Whether someone asked the running evaluation to stop.
    #[inline]
    pub fn interrupted(&self) -> bool {
        self.interrupt.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets evaluations run again after an interrupt (or running out of memory: the next
    /// collection decides again).
    pub fn clear_interrupt(&mut self) {
        self.heap.out_of_memory = false;
        self.interrupt
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// The crash an evaluation stops with when [`Runtime::interrupted`] says so: out of
    /// memory if the heap is over its limit, else interrupted.
    pub(crate) fn stop_crash(&self) -> crate::eval::Crash {
        if self.heap.out_of_memory {
            crate::eval::Crash::out_of_memory(self.heap.max_bytes)
        } else {
            crate::eval::Crash::interrupted()
        }
    }

    /// After a collection: a heap still over its limit stops the running evaluation at its
    /// next safe point (through the interrupt flag, which native code reads too).
    pub(crate) fn check_heap_limit(&mut self) {
        if self.heap.over_limit() {
            self.heap.out_of_memory = true;
            self.interrupt
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Protects the caller's values until the returned guard is dropped. Host code holding
    /// values in Rust variables across an evaluation must either root them or hold this
    /// guard: while it is held, an evaluation may only collect objects it allocated itself.
    pub fn inhibit_gc(&self) -> GcGuard<'_> {
        self.gc_inhibit.set(self.gc_inhibit.get() + 1);
        GcGuard(self)
    }

    /// Whether collection may run at a safe point now.
    pub fn gc_allowed(&self) -> bool {
        self.gc_inhibit.get() == 0
    }

    /// Collects garbage now, keeping `extra` and the registered roots alive.
    pub fn collect(&mut self, extra: &[Value]) {
        self.collect_groups(&[("host", extra)], None);
    }

    /// Collects with the runtime's own roots and the given groups of roots; with
    /// `young_from`, only objects of that epoch or newer are freed (see `heap/`).
    pub(crate) fn collect_groups(
        &mut self,
        groups: &[(&'static str, &[Value])],
        young_from: Option<u32>,
    ) {
        let mut all: Vec<(&'static str, &[Value])> =
            vec![("roots", &self.roots), ("row constructors", &self.cows)];
        all.extend_from_slice(groups);
        self.heap.collect_groups(&all, young_from);
        self.check_heap_limit();
    }

    /// Sends a `_Trace` message to the trace hook (stderr by default).
    pub fn emit_trace(&mut self, msg: Value) {
        if let Some(mut hook) = self.trace_hook.take() {
            hook(self, msg);
            self.trace_hook = Some(hook);
        } else {
            eprintln!("trace: {}", crate::print::show_short(msg, 4000));
        }
    }

    // ---------------------------------------------------------------- nats

    /// The nat `n`.
    pub fn nat_u64(&mut self, n: u64) -> Value {
        if n <= MAX_SMALL {
            Value::small(n)
        } else {
            self.heap.nat(BigUint::from(n))
        }
    }

    /// The nat `n`, immediate when small.
    pub fn nat_big(&mut self, n: BigUint) -> Value {
        match n.to_u64() {
            Some(s) if s <= MAX_SMALL => Value::small(s),
            _ => self.heap.nat(n),
        }
    }

    /// The nat whose little-endian bytes are `bytes` (how text is stored).
    pub fn nat_bytes(&mut self, bytes: &[u8]) -> Value {
        self.nat_big(BigUint::from_bytes_le(bytes))
    }

    /// The nat spelling `s` in UTF-8.
    pub fn nat_str(&mut self, s: &str) -> Value {
        self.nat_bytes(s.as_bytes())
    }

    // ---------------------------------------------------------------- laws

    /// A law from normal parts. `arity` must be a nonzero nat and `body` fully normal; the
    /// evaluator's opcode 0 checks both before calling this.
    pub fn law(&mut self, name: Value, arity: Value, body: Value) -> Value {
        let name = name.deref();
        let body = body.deref();
        let arity_nat = arity.deref();
        let ar: Arity = crate::nat::to_u64(arity_nat).unwrap_or(u64::MAX);
        // Row constructors come from the cache (`0 0 3 0` in a law builds one on every call).
        if name == Value::small(0) && body == Value::small(0) && (1..=COW_CACHE).contains(&ar) {
            return self.cow(ar - 1);
        }
        self.new_law(name, arity_nat, ar, body)
    }

    fn new_law(&mut self, name: Value, arity_nat: Value, ar: Arity, body: Value) -> Value {
        let shape = law_shape(name, ar, body);
        self.alloc_law(name, arity_nat, ar, body, shape)
    }

    /// The set law `{1 2 keys}` for a row of `n` keys that the caller knows to be strictly
    /// ascending (so the shape need not be checked key by key).
    pub(crate) fn set_law(&mut self, keys: Value, n: u64) -> Value {
        debug_assert_eq!(law_shape(Value::small(1), 2, keys), LawShape::Set(n));
        self.alloc_law(Value::small(1), Value::small(2), 2, keys, LawShape::Set(n))
    }

    pub(crate) fn alloc_law(
        &mut self,
        name: Value,
        arity_nat: Value,
        ar: Arity,
        body: Value,
        shape: LawShape,
    ) -> Value {
        self.heap.law(|obj| LawObj {
            obj,
            name,
            arity_nat,
            arity: ar,
            body,
            shape,
            code: std::cell::OnceCell::new(),
            bytecode: std::cell::OnceCell::new(),
            native: crate::native::new_slot(),
        })
    }

    /// The row constructor for `n` elements (`{0 n+1 0}`); `n = 0` gives the empty row.
    pub fn cow(&mut self, n: u64) -> Value {
        if let Some(&c) = self.cows.get(n as usize) {
            return c;
        }
        if n < COW_CACHE {
            while self.cows.len() <= n as usize {
                let k = self.cows.len() as u64;
                let c = self.new_law(Value::small(0), Value::small(k + 1), k + 1, Value::small(0));
                self.cows.push(c);
            }
            return self.cows[n as usize];
        }
        let ar = self.nat_u64(n + 1);
        self.law(Value::small(0), ar, Value::small(0))
    }

    /// A row of the given elements (index 0 first).
    pub fn row(&mut self, elems: &[Value]) -> Value {
        self.row_stored(elems.len(), elems.iter().rev().copied())
    }

    /// A row of `n` elements given as a row stores them, last element first: the iterator's
    /// values go straight into the row (one copy).
    pub fn row_stored(&mut self, n: usize, stored: impl Iterator<Item = Value>) -> Value {
        let c = self.cow(n as u64);
        if n == 0 {
            return c;
        }
        self.heap.app_iter(c, n, stored)
    }

    /// A row of the elements of `xs`, in order (one copy, into the row).
    pub fn row_iter<I>(&mut self, xs: I) -> Value
    where
        I: DoubleEndedIterator<Item = Value> + ExactSizeIterator,
    {
        let n = xs.len();
        self.row_stored(n, xs.rev())
    }

    /// A bar holding `bytes`: the law `{1 1 n}` where `n` is the bytes followed by a 1 byte.
    pub fn bar(&mut self, bytes: &[u8]) -> Value {
        let mut b = Vec::with_capacity(bytes.len() + 1);
        b.extend_from_slice(bytes);
        self.bar_from_vec(b)
    }

    /// A bar of the bytes in `b` (taking the buffer: no copy of the bytes before the nat is
    /// made from them).
    pub fn bar_from_vec(&mut self, mut b: Vec<u8>) -> Value {
        b.push(1);
        let n = self.nat_bytes(&b);
        let bits = crate::nat::bit_width(n);
        debug_assert!(bits > 0 && (bits - 1).is_multiple_of(8));
        self.alloc_law(Value::small(1), Value::small(1), 1, n, LawShape::Bar)
    }

    // ---------------------------------------------------------------- pins

    /// A pin of a fully normal item: hashes it and matches jets (a jet mismatch under the
    /// crash policy is reported as a warning here; see [`Runtime::pin_checked`]).
    pub fn pin(&mut self, item: Value) -> Value {
        match self.pin_checked(item) {
            Ok(v) => v,
            Err((v, msg)) => {
                eprintln!("warning: {msg}");
                v
            }
        }
    }

    /// A pin of a fully normal item; `Err` carries the pin and a message when its name
    /// matches a jet with a wrong hash and the policy is [`JetMismatch::Crash`].
    pub fn pin_checked(&mut self, item: Value) -> Result<Value, (Value, String)> {
        let item = item.deref();
        let hash = crate::hash::hash_item(item);
        let arity = self.arity(item);
        self.pins_made += 1;
        let v = self.heap.pin(|obj| PinObj {
            obj,
            item: Cell::new(item),
            hash,
            arity: Cell::new(arity),
            jet: Cell::new(None),
        });
        match self.match_jet(v) {
            Ok(()) => Ok(v),
            Err(m) => Err((v, m)),
        }
    }

    // ---------------------------------------------------------------- apps

    /// Arity of a value in weak head normal form (0 for a thunk, which is never asked).
    pub fn arity(&self, v: Value) -> Arity {
        arity_of(v)
    }

    /// The partial application `head args...`. The caller guarantees that `head` is in weak
    /// head normal form and that there are fewer arguments than its arity.
    pub fn partial(&mut self, head: Value, args: &[Value]) -> Value {
        let head = head.deref();
        match head.kind() {
            Some(Kind::App(a)) => {
                let old = a.args();
                let n = old.len() + args.len();
                self.heap
                    .app_iter(a.head, n, old.iter().chain(args).copied())
            }
            _ => self.heap.app(head, args),
        }
    }

    /// The lazy application `f args...`: a partial application when `f` is known to need
    /// more arguments, otherwise a thunk.
    pub fn apply_lazy(&mut self, f: Value, args: &[Value]) -> Value {
        let f = f.deref();
        if f.is_whnf() && (args.len() as u64) < self.arity(f) {
            return self.partial(f, args);
        }
        self.heap.thunk(f, args)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // `--heap-stats`: what is live at the end (only the host's registered roots hold
        // anything now).
        if self.heap.report {
            eprintln!("heap at exit:");
            self.collect(&[]);
            for l in &self.loaders {
                eprintln!("{}", l.stats());
            }
        }
    }
}

/// Arity of a value in weak head normal form (0 for a thunk); an unloaded pin is loaded.
pub(crate) fn arity_of(v: Value) -> Arity {
    let v = v.deref();
    if let Some(n) = v.as_small() {
        return op_arity(n);
    }
    match v.kind() {
        Some(Kind::Nat(_)) => 1,
        Some(Kind::Pin(p)) => p.arity(),
        Some(Kind::Law(l)) => l.arity,
        Some(Kind::App(a)) => arity_of(a.head).saturating_sub(a.args().len() as u64),
        Some(Kind::Thunk(_)) | None => 0,
    }
}

/// Forbids collection while alive; see [`Runtime::inhibit_gc`].
pub struct GcGuard<'a>(&'a Runtime);

impl Drop for GcGuard<'_> {
    fn drop(&mut self) {
        let c = &self.0.gc_inhibit;
        c.set(c.get().saturating_sub(1));
    }
}

/// Whether every law inside the normal value `v` carries the data-jet shape its parts give
/// (natives that build sets and rows trust their own ordering; tests check them with this).
pub fn shapes_consistent(v: Value) -> bool {
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        match x.kind() {
            Some(Kind::Law(l)) => {
                if l.shape != law_shape(l.name, l.arity, l.body) {
                    return false;
                }
                stack.push(l.body);
            }
            Some(Kind::App(a)) => {
                stack.push(a.head);
                stack.extend_from_slice(a.args());
            }
            Some(Kind::Pin(p)) => stack.push(p.item()),
            _ => {}
        }
    }
    true
}

/// Recognises the data-jet shape of a law from its normal parts.
pub(crate) fn law_shape(name: Value, arity: Arity, body: Value) -> LawShape {
    match (name.as_small(), arity) {
        (Some(0), 1) if body.as_small() == Some(0) => LawShape::EmptyRow,
        (Some(0), a) if a >= 2 && a != u64::MAX && body.as_small() == Some(0) => {
            LawShape::Cow(a - 1)
        }
        (Some(1), 1) if crate::datajet::is_bar_nat(body) => LawShape::Bar,
        (Some(1), 2) => match crate::datajet::row_view(body) {
            Some(keys) if crate::order::ascending_view(keys) => LawShape::Set(keys.len() as u64),
            _ => LawShape::Plain,
        },
        _ => LawShape::Plain,
    }
}
