//! The Cranelift tier: hot laws whose bytecode computes on small nats are compiled to machine
//! code. The runtime decides when (see `pallas_runtime::native`); this crate decides whether a
//! law is eligible and produces the code.
//!
//! Eligible bytecode uses only moves and forces, the inline arithmetic and comparison
//! operations (`_Add`, `_Sub`, `_Mul`, `_Div`, `_Mod`, `_Eql` … `_Gte`), jumps and switches,
//! returns, self tail loops, saturated self calls and saturated calls of laws that are already
//! native, with small-nat constants. Registers then always hold small
//! nats, which native code keeps decoded in machine registers. Overflow past the small-nat
//! range and recursion deeper than `MAX_NATIVE_DEPTH` return `BAIL`, and the interpreter runs
//! the call instead (law bodies are pure, so the answer is the same). Anything else keeps the
//! law in the interpreter: native code never guesses.

mod act;
mod lower;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use pallas_runtime::bytecode::Bytecode;
use pallas_runtime::native::{ActFn, ActHelpers, NativeCompiler, NativeFn};

/// Counters about the JIT's work.
#[derive(Default, Debug, Clone, Copy)]
pub struct JitStats {
    /// Laws compiled to machine code.
    pub compiled: u64,
    /// Laws looked at and left to the interpreter.
    pub rejected: u64,
    /// Time spent compiling, in nanoseconds.
    pub nanos: u64,
    /// Cranelift IR instructions generated.
    pub instructions: u64,
    /// Laws whose activations were compiled (the tier for any law).
    pub act_compiled: u64,
    /// Laws looked at for that tier and left to the interpreter.
    pub act_rejected: u64,
    /// Time spent compiling for that tier, in nanoseconds.
    pub act_nanos: u64,
    /// Cranelift IR instructions generated for that tier.
    pub act_instructions: u64,
}

/// The JIT compiler: one Cranelift module holding every compiled law.
pub struct Jit {
    module: JITModule,
    /// The module of the activation tier. Its code is mostly loads, stores, tests and
    /// calls, but optimised it keeps the runtime's and the registers' addresses in machine
    /// registers across the calls (about a fifth fewer instructions per activation).
    act_module: JITModule,
    /// The interrupt flags compiled code reads (kept alive as long as the code).
    flags: Vec<Arc<AtomicBool>>,
    /// What it has done so far.
    pub stats: JitStats,
    /// Whether the activation tier compiles every law it can lower, even those it expects
    /// to run no faster than the interpreter (see `act::worth_compiling`): for tests and
    /// `--jit always`, which exercise the machine code of as many laws as possible.
    pub every_law: bool,
    /// When it was made (the report compares compile time with the time since).
    started: Instant,
}

/// Whether this build has a native (JIT) tier for the current machine.
pub fn available() -> bool {
    cranelift_native::builder().is_ok()
}

impl Jit {
    /// A JIT for the host machine; `verify` runs Cranelift's IR verifier on every function
    /// (slower; for tests). `None` when the host is not supported by Cranelift.
    pub fn new(verify: bool) -> Option<Jit> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").ok()?;
        flags
            .set("enable_verifier", if verify { "true" } else { "false" })
            .ok()?;
        let isa = cranelift_native::builder()
            .ok()?
            .finish(settings::Flags::new(flags))
            .ok()?;
        let module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let mut act_flags = settings::builder();
        act_flags.set("opt_level", "speed").ok()?;
        act_flags
            .set("enable_verifier", if verify { "true" } else { "false" })
            .ok()?;
        let act_isa = cranelift_native::builder()
            .ok()?
            .finish(settings::Flags::new(act_flags))
            .ok()?;
        let act_module = JITModule::new(JITBuilder::with_isa(act_isa, default_libcall_names()));
        Some(Jit {
            module,
            act_module,
            flags: Vec::new(),
            stats: JitStats::default(),
            every_law: false,
            started: Instant::now(),
        })
    }

    fn compile_law(&mut self, code: &Bytecode, interrupt: &Arc<AtomicBool>) -> Option<NativeFn> {
        if !lower::eligible(code) {
            return None;
        }
        let name = format!("law{}", self.stats.compiled + self.stats.rejected);
        let mut ctx = self.module.make_context();
        ctx.func.signature = lower::signature(&self.module);
        let id = self
            .module
            .declare_function(&name, Linkage::Local, &ctx.func.signature)
            .ok()?;
        let self_ref = self.module.declare_func_in_func(id, &mut ctx.func);
        self.stats.instructions += lower::lower(
            code,
            &mut ctx.func,
            self_ref,
            Arc::as_ptr(interrupt) as i64,
            self.module.target_config(),
        )? as u64;
        if !self.flags.iter().any(|f| Arc::ptr_eq(f, interrupt)) {
            self.flags.push(interrupt.clone());
        }
        self.module.define_function(id, &mut ctx).ok()?;
        self.module.clear_context(&mut ctx);
        self.module.finalize_definitions().ok()?;
        let ptr = self.module.get_finalized_function(id);
        // SAFETY: the function was generated with the `NativeFn` signature (pointer to the
        // decoded arguments, depth) -> result.
        Some(unsafe { std::mem::transmute::<*const u8, NativeFn>(ptr) })
    }
}

impl Jit {
    fn compile_act(&mut self, code: &Bytecode, helpers: &ActHelpers) -> Option<ActFn> {
        if !self.every_law && !act::worth_compiling(code) {
            return None;
        }
        let name = format!("act{}", self.stats.act_compiled + self.stats.act_rejected);
        let mut ctx = self.act_module.make_context();
        ctx.func.signature = act::signature(self.act_module.target_config().default_call_conv);
        let id = self
            .act_module
            .declare_function(&name, Linkage::Local, &ctx.func.signature)
            .ok()?;
        self.stats.act_instructions += act::lower(
            code,
            &mut ctx.func,
            helpers,
            self.act_module.target_config(),
        )? as u64;
        let defined = self.act_module.define_function(id, &mut ctx);
        self.act_module.clear_context(&mut ctx);
        defined.ok()?;
        self.act_module.finalize_definitions().ok()?;
        let ptr = self.act_module.get_finalized_function(id);
        // SAFETY: the function was generated with the `ActFn` signature.
        Some(unsafe { std::mem::transmute::<*const u8, ActFn>(ptr) })
    }
}

impl NativeCompiler for Jit {
    fn compile_activation(
        &mut self,
        code: &Bytecode,
        helpers: &ActHelpers,
        _interrupt: &Arc<AtomicBool>,
    ) -> Option<ActFn> {
        let t = Instant::now();
        let f = self.compile_act(code, helpers);
        self.stats.act_nanos += t.elapsed().as_nanos() as u64;
        match f {
            Some(_) => self.stats.act_compiled += 1,
            None => self.stats.act_rejected += 1,
        }
        f
    }

    fn compile(&mut self, code: &Bytecode, interrupt: &Arc<AtomicBool>) -> Option<NativeFn> {
        let t = Instant::now();
        let f = self.compile_law(code, interrupt);
        self.stats.nanos += t.elapsed().as_nanos() as u64;
        match f {
            Some(_) => self.stats.compiled += 1,
            None => self.stats.rejected += 1,
        }
        f
    }

    fn report(&self) -> String {
        let s = self.stats;
        let share = |done: u64, all: u64| {
            if all == 0 {
                0.0
            } else {
                100.0 * done as f64 / all as f64
            }
        };
        let compile_ms = (s.nanos + s.act_nanos) as f64 / 1e6;
        let run_ms = self.started.elapsed().as_secs_f64() * 1e3;
        format!(
            "jit: {} laws compiled on small nats ({} IR instructions) in {:.2} ms, {} not ({:.0}% \
             of the hot laws); {} compiled for any value ({} IR instructions) in {:.2} ms, {} \
             left to the interpreter ({:.0}% of the hot laws); compiling took {:.2} ms of \
             {:.2} ms ({:.1}%)",
            s.compiled,
            s.instructions,
            s.nanos as f64 / 1e6,
            s.rejected,
            share(s.compiled, s.compiled + s.rejected),
            s.act_compiled,
            s.act_instructions,
            s.act_nanos as f64 / 1e6,
            s.act_rejected,
            share(s.act_compiled, s.act_compiled + s.act_rejected),
            compile_ms,
            run_ms,
            share((compile_ms * 1e3) as u64, (run_ms * 1e3).max(1.0) as u64),
        )
    }
}
