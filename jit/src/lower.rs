//! Lowering eligible bytecode to Cranelift IR.
//!
//! The function is `f(args: *const u64, depth: u64) -> u64`. Every bytecode register becomes
//! a Cranelift variable holding a decoded small nat; every instruction gets its own block
//! (Cranelift merges straight-line blocks), so jumps map one to one.

use cranelift_codegen::ir::{
    condcodes::IntCC, types, AbiParam, Block, FuncRef, Function, InstBuilder, MemFlagsData,
    Signature, StackSlotData, StackSlotKind, Value,
};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::Module;
use pallas_runtime::bytecode::{successors, Arg, BinOp, Bytecode, Instr};
use pallas_runtime::native::{native_code, BAIL, MAX_NATIVE_DEPTH};
use pallas_runtime::value::MAX_SMALL;

/// The signature of every compiled law.
pub fn signature(module: &impl Module) -> Signature {
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

/// Goes to `bail` when the interrupt flag (an `AtomicBool` at address `flag`) is set, to
/// `go` otherwise. An atomic load (a plain load on common machines), since a plain one would
/// be merged with the check before it: nothing in the loop stores to memory.
fn interrupt_check(b: &mut FunctionBuilder, flag: Value, bail: Block, go: Block) {
    let set = b
        .ins()
        .atomic_load(types::I8, MemFlagsData::trusted(), flag);
    b.ins().brif(set, bail, &[], go, &[]);
}

/// Whether an operand can live in a native register: a register other than `self`, or a
/// small-nat constant.
fn small_operand(a: &Arg) -> bool {
    match a {
        Arg::Reg(r) => *r != 0,
        Arg::Const(c) => c.deref().as_small().is_some(),
    }
}

/// Whether native code can run this bytecode exactly (see the crate documentation).
pub fn eligible(code: &Bytecode) -> bool {
    eligible_code(code.arity, &code.plain_code())
}

/// Whether native code can run these instructions (constants written as constants) of a law
/// of this arity exactly.
fn eligible_code(arity: u32, code: &[Instr]) -> bool {
    let arity = arity as usize;
    if arity == 0 || arity > pallas_runtime::native::MAX_NATIVE_ARGS {
        return false;
    }
    let live = reachable(code);
    code.iter()
        .zip(&live)
        .filter(|(_, l)| **l)
        .all(|(ins, _)| match ins {
            Instr::Move { src, .. } | Instr::Force { src, .. } => small_operand(src),
            Instr::Op2 { op, a, b, .. } | Instr::Op2Lazy { op, a, b, .. } => {
                !matches!(op, BinOp::Get | BinOp::Idx | BinOp::Len)
                    && !op.is_tag_test()
                    && small_operand(a)
                    && small_operand(b)
            }
            Instr::JumpIfZero { src, .. }
            | Instr::JumpIfNotZero { src, .. }
            | Instr::Switch { src, .. }
            | Instr::SwitchKeys { src, .. }
            | Instr::Return { src } => small_operand(src),
            Instr::Jump { .. } | Instr::JumpUnlessWhnf { .. } => true,
            Instr::Loop { args } => args.iter().all(small_operand),
            Instr::Call { f, args, .. } => {
                let callee_ok = match f {
                    Arg::Reg(0) => args.len() == arity,
                    Arg::Const(c) => native_code(*c).is_some_and(|(_, a)| a == args.len() as u64),
                    Arg::Reg(_) => false,
                };
                callee_ok && args.iter().all(small_operand)
            }
            _ => false,
        })
}

/// Which instructions native code can reach from the entry: every register holds a small
/// nat, which is evaluated, so a `JumpUnlessWhnf` never jumps (the lazy fallbacks the strict
/// argument rewrite leaves behind it are dead here).
fn reachable(code: &[Instr]) -> Vec<bool> {
    let mut live = vec![false; code.len()];
    let mut todo = vec![0usize];
    while let Some(pc) = todo.pop() {
        if pc >= code.len() || live[pc] {
            continue;
        }
        live[pc] = true;
        match &code[pc] {
            Instr::JumpUnlessWhnf { .. } => todo.push(pc + 1),
            _ => todo.extend(successors(code, pc)),
        }
    }
    live
}

/// `v cc k` as a Cranelift boolean.
fn cmp_const(b: &mut FunctionBuilder, cc: IntCC, v: Value, k: u64) -> Value {
    let c = b.ins().iconst(types::I64, k as i64);
    b.ins().icmp(cc, v, c)
}

struct Lowering<'a, 'b> {
    b: FunctionBuilder<'b>,
    vars: Vec<Variable>,
    blocks: Vec<Block>,
    bail: Block,
    _code: &'a Bytecode,
}

impl Lowering<'_, '_> {
    fn get(&mut self, a: &Arg) -> Value {
        match a {
            Arg::Reg(r) => self.b.use_var(self.vars[*r as usize]),
            Arg::Const(c) => {
                let n = c.deref().as_small().unwrap_or(0);
                self.b.ins().iconst(types::I64, n as i64)
            }
        }
    }

    fn set(&mut self, r: u32, v: Value) {
        self.b.def_var(self.vars[r as usize], v);
    }

    /// Bails when `v` is above the small-nat range.
    fn check_small(&mut self, v: Value) {
        let too_big = cmp_const(&mut self.b, IntCC::UnsignedGreaterThan, v, MAX_SMALL);
        let ok = self.b.create_block();
        self.b.ins().brif(too_big, self.bail, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    fn op2(&mut self, op: BinOp, x: Value, y: Value) -> Value {
        let ins = self.b.ins();
        let bit = |b: &mut FunctionBuilder, cc: IntCC| {
            let c = b.ins().icmp(cc, x, y);
            b.ins().uextend(types::I64, c)
        };
        match op {
            BinOp::Add => {
                // Both operands are below 2^63, so the sum fits in 64 bits.
                let s = ins.iadd(x, y);
                self.check_small(s);
                s
            }
            BinOp::Sub => {
                let d = ins.isub(x, y);
                let zero = self.b.ins().iconst(types::I64, 0);
                let ge = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, x, y);
                self.b.ins().select(ge, d, zero)
            }
            BinOp::Mul => {
                let hi = ins.umulhi(x, y);
                let ok = self.b.create_block();
                self.b.ins().brif(hi, self.bail, &[], ok, &[]);
                self.b.switch_to_block(ok);
                let p = self.b.ins().imul(x, y);
                self.check_small(p);
                p
            }
            BinOp::Div | BinOp::Mod => {
                // Cranelift's division traps on a zero divisor: branch around it.
                let zero = self.b.ins().iconst(types::I64, 0);
                let nonzero = self.b.create_block();
                let join = self.b.create_block();
                self.b.append_block_param(join, types::I64);
                let by_zero = if op == BinOp::Div { zero } else { x };
                self.b.ins().brif(y, nonzero, &[], join, &[by_zero.into()]);
                self.b.switch_to_block(nonzero);
                let r = if op == BinOp::Div {
                    self.b.ins().udiv(x, y)
                } else {
                    self.b.ins().urem(x, y)
                };
                self.b.ins().jump(join, &[r.into()]);
                self.b.switch_to_block(join);
                self.b.block_params(join)[0]
            }
            BinOp::Eql => bit(&mut self.b, IntCC::Equal),
            BinOp::Neq => bit(&mut self.b, IntCC::NotEqual),
            BinOp::Lth => bit(&mut self.b, IntCC::UnsignedLessThan),
            BinOp::Lte => bit(&mut self.b, IntCC::UnsignedLessThanOrEqual),
            BinOp::Gth => bit(&mut self.b, IntCC::UnsignedGreaterThan),
            BinOp::Gte => bit(&mut self.b, IntCC::UnsignedGreaterThanOrEqual),
            // The row operations and tag tests: not eligible (see `eligible`); Dec, Inc and
            // ToNat are lowered as the binary operation they share code with (see
            // `BinOp::inline_as`). Bail to be safe.
            _ => {
                self.b.ins().jump(self.bail, &[]);
                let dead = self.b.create_block();
                self.b.switch_to_block(dead);
                self.b.ins().iconst(types::I64, 0)
            }
        }
    }

    /// Jumps to `targets[i]` when `v == keys[i]`, else to `default`.
    fn switch(&mut self, v: Value, keys: &[u64], targets: &[u32], default: u32) {
        for (k, t) in keys.iter().zip(targets) {
            let hit = cmp_const(&mut self.b, IntCC::Equal, v, *k);
            let next = self.b.create_block();
            self.b
                .ins()
                .brif(hit, self.blocks[*t as usize], &[], next, &[]);
            self.b.switch_to_block(next);
        }
        self.b.ins().jump(self.blocks[default as usize], &[]);
    }
}

/// Lowers `code` into `func` (whose signature is [`signature`]); `self_ref` calls the function
/// itself. Returns the number of IR instructions, or `None` if the code is not eligible.
pub fn lower(
    code: &Bytecode,
    func: &mut Function,
    self_ref: FuncRef,
    interrupt: i64,
    target: TargetFrontendConfig,
) -> Option<usize> {
    // Constants as constants: they become immediates, their registers go unused.
    let instrs = code.plain_code();
    if !eligible_code(code.arity, &instrs) {
        return None;
    }
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    let vars: Vec<Variable> = (0..code.nregs.max(1))
        .map(|_| b.declare_var(types::I64))
        .collect();
    let blocks: Vec<Block> = (0..instrs.len() + 1).map(|_| b.create_block()).collect();
    let bail = b.create_block();
    let arity = code.arity as usize;
    // Room for the arguments of the widest call (self calls pass `arity`).
    let widest = code
        .code
        .iter()
        .map(|ins| match ins {
            Instr::Call { args, .. } => args.len(),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
        .max(arity);
    let args_slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        (widest * 8) as u32,
        3,
    ));
    // Calls of other native laws go through a pointer, with the same signature as this one.
    let law_sig = b.func.signature.clone();
    let law_sig = b.import_signature(law_sig);

    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (args_ptr, depth) = (params[0], params[1]);
    let zero = b.ins().iconst(types::I64, 0);
    for v in &vars {
        b.def_var(*v, zero);
    }
    for i in 0..arity {
        let x = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            args_ptr,
            (8 * i) as i32,
        );
        b.def_var(vars[i + 1], x);
    }
    let too_deep = cmp_const(&mut b, IntCC::UnsignedGreaterThan, depth, MAX_NATIVE_DEPTH);
    let checked = b.create_block();
    b.ins().brif(too_deep, bail, &[], checked, &[]);
    b.switch_to_block(checked);
    let flag = b.ins().iconst(types::I64, interrupt);
    interrupt_check(&mut b, flag, bail, blocks[0]);

    let mut lw = Lowering {
        b,
        vars,
        blocks,
        bail,
        _code: code,
    };
    let live = reachable(&instrs);
    for (pc, ins) in instrs.iter().enumerate() {
        lw.b.switch_to_block(lw.blocks[pc]);
        let next = lw.blocks[pc + 1];
        if !live[pc] {
            // Never runs (see `reachable`).
            lw.b.ins().jump(lw.bail, &[]);
            continue;
        }
        match ins {
            Instr::JumpUnlessWhnf { .. } => {
                lw.b.ins().jump(next, &[]);
            }
            Instr::Move { dst, src } | Instr::Force { dst, src } => {
                let v = lw.get(src);
                lw.set(*dst, v);
                lw.b.ins().jump(next, &[]);
            }
            Instr::Op2 { dst, op, a, b, .. } | Instr::Op2Lazy { dst, op, a, b, .. } => {
                let (x, y) = (lw.get(a), lw.get(b));
                let v = lw.op2(op.inline_as(), x, y);
                lw.set(*dst, v);
                lw.b.ins().jump(next, &[]);
            }
            Instr::JumpIfZero { src, target } => {
                let v = lw.get(src);
                let t = lw.blocks[*target as usize];
                lw.b.ins().brif(v, next, &[], t, &[]);
            }
            Instr::JumpIfNotZero { src, target } => {
                let v = lw.get(src);
                let t = lw.blocks[*target as usize];
                lw.b.ins().brif(v, t, &[], next, &[]);
            }
            Instr::Jump { target } => {
                let t = lw.blocks[*target as usize];
                lw.b.ins().jump(t, &[]);
            }
            Instr::Switch {
                src,
                targets,
                default,
            } => {
                let v = lw.get(src);
                let keys: Vec<u64> = (0..targets.len() as u64).collect();
                lw.switch(v, &keys, targets, *default);
            }
            Instr::SwitchKeys {
                src,
                keys,
                targets,
                default,
            } => {
                let v = lw.get(src);
                lw.switch(v, keys, targets, *default);
            }
            Instr::Return { src } => {
                let v = lw.get(src);
                lw.b.ins().return_(&[v]);
            }
            Instr::Loop { args } => {
                let vals: Vec<Value> = args.iter().map(|a| lw.get(a)).collect();
                for (i, v) in vals.into_iter().enumerate() {
                    lw.set(i as u32 + 1, v);
                }
                let flag = lw.b.ins().iconst(types::I64, interrupt);
                interrupt_check(&mut lw.b, flag, lw.bail, lw.blocks[0]);
            }
            Instr::Call { dst, f, args } => {
                let vals: Vec<Value> = args.iter().map(|a| lw.get(a)).collect();
                for (i, v) in vals.into_iter().enumerate() {
                    lw.b.ins()
                        .stack_store(types::I64, v, args_slot, (8 * i) as i32);
                }
                let ptr = lw.b.ins().stack_addr(types::I64, args_slot, 0);
                let one = lw.b.ins().iconst(types::I64, 1);
                let d = lw.b.ins().iadd(depth, one);
                let call = match f {
                    Arg::Const(c) => {
                        // Checked by `eligible`: the callee is native and takes these args.
                        let (code_ptr, _) = native_code(*c)?;
                        let callee = lw.b.ins().iconst(types::I64, code_ptr as usize as i64);
                        lw.b.ins().call_indirect(law_sig, callee, &[ptr, d])
                    }
                    _ => lw.b.ins().call(self_ref, &[ptr, d]),
                };
                let r = lw.b.inst_results(call)[0];
                let failed = cmp_const(&mut lw.b, IntCC::Equal, r, BAIL);
                let ok = lw.b.create_block();
                lw.b.ins().brif(failed, lw.bail, &[], ok, &[]);
                lw.b.switch_to_block(ok);
                lw.set(*dst, r);
                lw.b.ins().jump(next, &[]);
            }
            _ => return None,
        }
    }
    // Falling off the end returns 0, as the interpreter does.
    lw.b.switch_to_block(lw.blocks[instrs.len()]);
    let z = lw.b.ins().iconst(types::I64, 0);
    lw.b.ins().return_(&[z]);
    lw.b.switch_to_block(lw.bail);
    let bail_v = lw.b.ins().iconst(types::I64, BAIL as i64);
    lw.b.ins().return_(&[bail_v]);
    lw.b.seal_all_blocks();
    lw.b.finalize(target);
    Some(func.dfg.num_insts())
}
