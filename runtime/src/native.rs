//! The hook for a native tier (the JIT in crate `pallas-jit`): the runtime counts calls of
//! each law and, past a threshold, asks a [`NativeCompiler`] for machine code. It never
//! depends on the compiler itself: arrows point from the JIT to the runtime.
//!
//! Native code handles a narrow, common case exactly: every argument is a small nat and the
//! law computes on small nats only. It receives the arguments decoded (`n`, not the tagged
//! word) and returns the result decoded, or [`BAIL`] when it meets anything else (an overflow,
//! recursion too deep for the machine stack). Law bodies are pure, so after a bail the
//! interpreter runs the same call from the start and the result is the same; a law that bails
//! often is sent back to the interpreter for good.

use std::cell::Cell;

use crate::bytecode::Bytecode;
use crate::value::{LawObj, Value, MAX_SMALL};

/// Machine code for a law: `f(args, depth)`; `args` points at `arity` decoded small nats.
pub type NativeFn = unsafe extern "C" fn(*const u64, u64) -> u64;

/// What native code returns when it cannot finish; the interpreter then runs the call.
pub const BAIL: u64 = u64::MAX;

/// How deep native calls may nest before bailing (the machine stack is finite).
pub const MAX_NATIVE_DEPTH: u64 = 10_000;

/// Laws with more arguments than this stay in the interpreter.
pub const MAX_NATIVE_ARGS: usize = 16;

/// After this many bails a law stays in the interpreter.
const MAX_BAILS: u32 = 16;

/// When laws go native.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitMode {
    /// Never.
    Off,
    /// After this many calls.
    After(u32),
}

/// Compiles bytecode to machine code.
pub trait NativeCompiler {
    /// Machine code for `code`, or `None` when the law uses anything native code does not
    /// handle. Called at most once per law.
    /// The code must return [`BAIL`] soon after `interrupt` becomes true (it checks at
    /// entry and on every loop iteration); the flag outlives the code.
    fn compile(
        &mut self,
        code: &Bytecode,
        interrupt: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Option<NativeFn>;
    /// Machine code that runs an activation of any law (see [`ActFn`]), calling `helpers`
    /// for whatever it does not do inline; `None` to leave the law to the interpreter.
    /// Called at most once per law.
    fn compile_activation(
        &mut self,
        _code: &Bytecode,
        _helpers: &ActHelpers,
        _interrupt: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Option<ActFn> {
        None
    }
    /// Counts an activation that ran in machine code and how it ended (for the report).
    fn count_run(&mut self, _exited: bool) {}
    /// A one-line account of the work done (laws compiled, time spent).
    fn report(&self) -> String;
}

/// Machine code for the activations of one law (the second native tier, for laws that do
/// not compute on small nats only): `f(rt, regs, base, pc, depth)` runs the activation whose
/// registers are `regs` (= the register stack at `base`) from instruction `pc` of its run
/// form. Registers stay on the register stack, so the collector's roots, interrupts and the
/// frame machine are what they are in the interpreter. It returns a finished value (weak head
/// normal form; a small nat or a pointer, so never `2` mod 4) or an exit, [`act_exit`]: the
/// interpreter then goes on with the activation at that instruction, which native code has
/// not started (or, for [`EXIT_OTHER`], a call whose outcome is in the runtime).
pub type ActFn = unsafe extern "C" fn(*mut crate::Runtime, *mut Value, u64, u64, u64) -> u64;

/// An exit of an [`ActFn`]: go on interpreting at `pc`.
pub const fn act_exit(pc: u64) -> u64 {
    (pc << 4) | 2
}

/// Added to an exit: the call at its pc has an outcome waiting in the runtime.
pub const EXIT_OTHER: u64 = 4;

/// Added to an exit: it is the exit of the activation described by the runtime's
/// [`ActCallee`] (one that machine code entered), not of the function's own.
pub const EXIT_SWITCH: u64 = 8;

/// What the call helper returns when it entered a law that runs interpreted (the caller is
/// suspended; [`ActCallee`] says where the new activation is).
pub const ENTERED_INTERPRETED: u64 = 4;

/// What the call helper returns when it entered a law with machine code ([`ActCallee`]
/// says which and where).
pub const ENTERED_NATIVE: u64 = 6;

/// The activation that a call helper just entered, where machine code reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ActCallee {
    /// Its machine code (an [`ActFn`]), or 0.
    pub f: u64,
    /// Its first register.
    pub regs: u64,
    /// Its base on the register stack.
    pub base: u64,
    /// Its bytecode (`*const Bytecode`).
    pub code: u64,
}

/// The exit of an [`ActFn`] that says the evaluation was interrupted.
pub const INTERRUPTED: u64 = act_exit(u32::MAX as u64);

/// What an [`ActFn`] returns after a tail call of a law: the callee's activation has
/// replaced the function's own (same base), [`ActCallee`] describes it, and it runs from its
/// first instruction (in machine code when `ActCallee::f` is set). Never counted as an exit.
pub const TAIL_CALLED: u64 = act_exit(u32::MAX as u64 - 1) | EXIT_SWITCH;

/// What the call helper returns when the call's outcome waits in the runtime (never a
/// value: an even word that is no object's address).
pub const CALL_OTHER: u64 = 2;

/// The runtime routines machine code calls (addresses of `extern "C"` functions); see
/// `bytecode::interp::glue` for what each does.
#[derive(Clone, Copy, Debug)]
pub struct ActHelpers {
    /// `(rt, base, ins)`: runs a `Lazy`, `Holes`, `Fill` or `MkRow` as the interpreter does.
    pub build: usize,
    /// `(v) -> v'`: `v` followed through finished thunks when that is in weak head normal
    /// form, else 0.
    pub whnf: usize,
    /// `(v) -> 0/1`: whether `N(v)` is zero (`v` in weak head normal form).
    pub is_zero: usize,
    /// `(v) -> v'`: `v` followed through finished thunks.
    pub deref: usize,
    /// `(rt, base, ins) -> v`: an inline operation the quick path did not do: its value, or 0
    /// (the interpreter does it).
    pub op2: usize,
    /// `(rt, base, ins) -> v`: a call (`Call`, `CallSelf`, `TailCall`) done without the
    /// frame machine: its value; 0 (not done: a law to enter) or [`CALL_OTHER`] (its outcome is waiting,
    /// [`EXIT_OTHER`]).
    pub call: usize,
    /// `(rt, base, ins) -> 0/1`: `JumpUnlessWhnf`'s test (1: all are evaluated).
    pub all_whnf: usize,
    /// `(rt) -> 0/1`: a self loop's look at the interrupt flag and the collector (1:
    /// interrupted).
    pub poll: usize,
    /// `(rt, base, ins, code, pc) -> r`: a call of a law or the evaluation of a thunk that
    /// needs an activation: 0 (the interpreter does it), a value (a thunk evaluated in
    /// place), [`ENTERED_INTERPRETED`] or [`ENTERED_NATIVE`].
    pub enter: usize,
    /// `(rt, base, v)`: the activation entered at `base` returned `v`: pops it and the
    /// caller's frame (finishing the thunks it updates).
    pub leave: usize,
    /// `(rt, code, base)`: sets [`ActCallee`] (for an exit of an activation entered by
    /// machine code).
    pub switch: usize,
    /// Where [`ActCallee`] is inside the runtime (bytes from its address).
    pub callee_offset: usize,
}

/// Per-law state of the activation tier, kept in the law's bytecode.
#[derive(Clone, Copy, Default)]
pub struct ActSlot {
    pub(crate) calls: u32,
    pub(crate) exits: u32,
    pub(crate) state: ActState,
}

#[derive(Clone, Copy, Default)]
pub(crate) enum ActState {
    #[default]
    Counting,
    Native(ActFn),
    Interpreted,
}

impl std::fmt::Debug for ActSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.state {
            ActState::Counting => "counting",
            ActState::Native(_) => "native",
            ActState::Interpreted => "interpreted",
        };
        write!(f, "{s} ({} calls)", self.calls)
    }
}

/// Per-law tiering state, kept in the law object.
#[derive(Clone, Copy, Default)]
pub struct NativeSlot {
    calls: u32,
    bails: u32,
    state: SlotState,
}

#[derive(Clone, Copy, Default)]
enum SlotState {
    #[default]
    Counting,
    Native(NativeFn),
    Interpreted,
}

/// The machine code of a law (or a pin of one) that is already native, with its arity; JIT
/// code calls it directly. The code stays valid for the life of the process.
pub fn native_code(v: Value) -> Option<(NativeFn, u64)> {
    let law = law_of(v)?;
    match law.native.get().state {
        SlotState::Native(f) => Some((f, law.arity)),
        _ => None,
    }
}

/// The law a value runs when called: itself, or the item of a pin of a law.
pub(crate) fn law_of(v: Value) -> Option<&'static LawObj> {
    match v.deref().kind()? {
        crate::value::Kind::Law(l) => Some(l),
        crate::value::Kind::Pin(p) => match p.item().kind()? {
            crate::value::Kind::Law(l) => Some(l),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a call of `law` may run natively: the JIT is on and the law has not been left to
/// the interpreter for good.
#[inline(always)]
pub(crate) fn may_go_native(jit: JitMode, law: &LawObj) -> bool {
    jit != JitMode::Off && !matches!(law.native.get().state, SlotState::Interpreted)
}

/// A fresh slot for a new law.
pub fn new_slot() -> Cell<NativeSlot> {
    Cell::new(NativeSlot::default())
}

impl crate::Runtime {
    /// Compiles `l` (whose bytecode is `code`) to machine code and records the outcome in
    /// its slot.
    fn compile_native(&mut self, l: &LawObj, code: &Bytecode) -> Option<NativeFn> {
        let flag = self.interrupt.clone();
        let compiled = self.native.as_mut().and_then(|c| c.compile(code, &flag));
        let mut slot = l.native.get();
        slot.state = match compiled {
            Some(f) => SlotState::Native(f),
            None => SlotState::Interpreted,
        };
        l.native.set(slot);
        compiled
    }

    /// Compiles the laws that `code` calls directly and that are still only counting calls.
    fn compile_callees(&mut self, code: &Bytecode) {
        for ins in code.plain_code().iter() {
            let crate::bytecode::Instr::Call {
                f: crate::bytecode::Arg::Const(c),
                ..
            } = ins
            else {
                continue;
            };
            let Some(law) = law_of(*c) else {
                continue;
            };
            if matches!(law.native.get().state, SlotState::Counting) {
                let callee = self.law_bytecode(law);
                self.compile_native(law, callee);
            }
        }
    }

    /// Runs `l` natively on `args` if it is (or now becomes) native and every argument is a
    /// small nat in weak head normal form; `None` means "interpret it".
    #[inline]
    pub(crate) fn try_native(&mut self, selfv: Value, l: &LawObj, args: &[Value]) -> Option<Value> {
        let JitMode::After(threshold) = self.config.jit else {
            return None;
        };
        let mut slot = l.native.get();
        let f = match slot.state {
            SlotState::Interpreted => return None,
            SlotState::Native(f) => f,
            SlotState::Counting => {
                slot.calls = slot.calls.saturating_add(1);
                if slot.calls < threshold {
                    l.native.set(slot);
                    return None;
                }
                let code = self.law_bytecode(l);
                // Laws this one calls directly go native first, so that its code can call
                // theirs (native code only calls laws that are already native).
                self.compile_callees(code);
                let compiled = self.compile_native(l, code);
                slot.state = l.native.get().state;
                l.native.set(slot);
                compiled?
            }
        };
        let mut buf = [0u64; MAX_NATIVE_ARGS];
        if args.len() > buf.len() {
            return None;
        }
        for (b, a) in buf.iter_mut().zip(args) {
            *b = a.deref().as_small()?;
        }
        // SAFETY: `f` was compiled for this law's bytecode, whose arity is `args.len()`; it
        // reads exactly that many words from `buf` and touches nothing else.
        let started = self.profiling().then(std::time::Instant::now);
        let r = unsafe { f(buf.as_ptr(), 0) };
        if let Some(t) = started {
            self.profile_native(selfv, t.elapsed());
        }
        if r == BAIL || r > MAX_SMALL {
            slot.bails += 1;
            if slot.bails >= MAX_BAILS {
                slot.state = SlotState::Interpreted;
            }
            l.native.set(slot);
            return None;
        }
        Some(Value::small(r))
    }
}
