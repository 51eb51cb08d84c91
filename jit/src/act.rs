//! Lowering any law's run-form bytecode to machine code for its activations (the second
//! tier, [`pallas_runtime::native::ActFn`]).
//!
//! The function is `f(rt, regs, base, pc, depth) -> u64`. Registers stay in memory, on the
//! interpreter's register stack (`regs`), so the collector sees them and the interpreter can
//! take over at any instruction: the entry jumps to instruction `pc` through a table. Moves,
//! jumps, switches, small-nat arithmetic and comparisons (with overflow checks; also for
//! `_Dec`, the increment and `_ToNat`, and on the values of finished thunks), tag tests and
//! forcing values that are already evaluated are inline; building thunks, closures and rows,
//! operations on other values and calls go through the runtime's helpers (the same routines
//! the interpreter uses). Entering a law or evaluating a thunk pushes the activation through
//! a helper and runs it in machine code when it has some; a tail call of a law replaces the
//! activation and returns [`TAIL_CALLED`], so that the caller (machine code or the
//! interpreter) runs the callee next without the machine stack growing. Anything else that
//! needs the evaluator's frame machine exits to the interpreter before the instruction.
//!
//! Only laws expected to run faster in machine code are compiled ([`worth_compiling`]).

use cranelift_codegen::ir::{
    condcodes::IntCC, types, AbiParam, Block, Function, InstBuilder, JumpTableData, MemFlagsData,
    SigRef, Signature, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use pallas_runtime::bytecode::{operation, Arg, BinOp, Bytecode, Instr, Reg};
use pallas_runtime::native::{
    act_exit, ActHelpers, CALL_OTHER, ENTERED_INTERPRETED, EXIT_OTHER, EXIT_SWITCH, INTERRUPTED,
    TAIL_CALLED,
};
use pallas_runtime::value::MAX_SMALL;

/// How many self-loop iterations go between looks at the interrupt flag and the collector
/// (as in the interpreter).
const LOOP_POLL: i64 = 32;

/// How deep machine code calls machine code before leaving calls to the interpreter (whose
/// activations do not use the machine stack).
const MAX_DEPTH: i64 = 1000;

/// The signature of every activation function.
pub fn signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    for _ in 0..5 {
        sig.params.push(AbiParam::new(types::I64));
    }
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

fn helper_sig(call_conv: CallConv, params: usize, ret: bool) -> Signature {
    let mut sig = Signature::new(call_conv);
    for _ in 0..params {
        sig.params.push(AbiParam::new(types::I64));
    }
    if ret {
        sig.returns.push(AbiParam::new(types::I64));
    }
    sig
}

struct Sigs {
    /// `(rt, base, ins)`.
    build: SigRef,
    /// `(v) -> v`.
    unary: SigRef,
    /// `(rt, base, ins) -> v`.
    ternary: SigRef,
    /// `(rt) -> v`.
    poll: SigRef,
    /// `(rt, base, ins, code, pc) -> r`.
    enter: SigRef,
    /// An activation function's.
    act: SigRef,
}

struct Lower<'a, 'b> {
    b: FunctionBuilder<'b>,
    code: &'a Bytecode,
    helpers: &'a ActHelpers,
    sigs: Sigs,
    blocks: Vec<Block>,
    rt: Value,
    regs: Value,
    base: Value,
    depth: Value,
    poll: Variable,
}

fn reg(a: &Arg) -> Reg {
    match a {
        Arg::Reg(r) => *r,
        // The run form has registers only (constants live in registers).
        Arg::Const(_) => u32::MAX,
    }
}

impl Lower<'_, '_> {
    fn load(&mut self, r: Reg) -> Value {
        self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.regs,
            (8 * r) as i32,
        )
    }

    fn store(&mut self, r: Reg, v: Value) {
        self.b
            .ins()
            .store(MemFlagsData::trusted(), v, self.regs, (8 * r) as i32);
    }

    fn iconst(&mut self, n: u64) -> Value {
        self.b.ins().iconst(types::I64, n as i64)
    }

    fn ins_ptr(&mut self, pc: usize) -> Value {
        let p = &self.code.code[pc] as *const Instr as u64;
        self.iconst(p)
    }

    fn call_helper(&mut self, sig: SigRef, addr: usize, args: &[Value]) -> Option<Value> {
        let callee = self.iconst(addr as u64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call).first().copied()
    }

    /// `(rt, base, ins)` helper call; its result.
    fn call3(&mut self, addr: usize, pc: usize) -> Value {
        let ins = self.ins_ptr(pc);
        let (rt, base) = (self.rt, self.base);
        let sig = self.sigs.ternary;
        self.call_helper(sig, addr, &[rt, base, ins])
            .expect("the helper returns a value")
    }

    fn unary(&mut self, addr: usize, v: Value) -> Value {
        let sig = self.sigs.unary;
        self.call_helper(sig, addr, &[v])
            .expect("the helper returns a value")
    }

    /// Returns the exit "interpret instruction `pc`" (plus `extra`).
    fn exit(&mut self, pc: usize, extra: u64) {
        let r = self.iconst(act_exit(pc as u64) | extra);
        self.b.ins().return_(&[r]);
    }

    /// Continues in a new block when `cond` is false, goes to a block that exits at `pc`
    /// when it is true.
    fn exit_if(&mut self, cond: Value, pc: usize) {
        let out = self.b.create_block();
        let go = self.b.create_block();
        self.b.ins().brif(cond, out, &[], go, &[]);
        self.b.switch_to_block(out);
        self.exit(pc, 0);
        self.b.switch_to_block(go);
    }

    /// Whether the word `v` is a small nat.
    fn is_small(&mut self, v: Value) -> Value {
        self.b.ins().band_imm_u(v, 1)
    }

    /// A branch on the word `v`: a small nat jumps to the returned join block (whose one
    /// parameter is the result, `v` here); code for a heap object goes on after this call,
    /// with the object's tag byte (the second value) loaded.
    fn tag_unless_small(&mut self, v: Value) -> (Block, Value) {
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I64);
        let heap = self.b.create_block();
        let small = self.is_small(v);
        self.b.ins().brif(small, join, &[v.into()], heap, &[]);
        self.b.switch_to_block(heap);
        let tag = self
            .b
            .ins()
            .uload8(types::I64, MemFlagsData::trusted(), v, 0);
        (join, tag)
    }

    /// `v` in weak head normal form (following finished thunks), or an exit at `pc` when it
    /// is an unfinished thunk. Small nats and non-thunks are tested inline.
    fn whnf_or_exit(&mut self, v: Value, pc: usize, enter: bool) -> Value {
        let (join, tag) = self.tag_unless_small(v);
        // Tags 2..=4 are the thunk states.
        let t = self.b.ins().iadd_imm_s(tag, -2);
        let thunk = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, t, 3);
        let slow = self.b.create_block();
        self.b.ins().brif(thunk, slow, &[], join, &[v.into()]);
        self.b.switch_to_block(slow);
        let w = self.unary(self.helpers.whnf, v);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, w, 0);
        if enter {
            let eval = self.b.create_block();
            let done = self.b.create_block();
            self.b.ins().brif(zero, eval, &[], done, &[]);
            self.b.switch_to_block(eval);
            let e = self.enter(pc);
            self.b.ins().jump(join, &[e.into()]);
            self.b.switch_to_block(done);
        } else {
            self.exit_if(zero, pc);
        }
        self.b.ins().jump(join, &[w.into()]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// Enters the law called (or the thunk evaluated) at `pc` through the runtime, running
    /// it in machine code when it has some; the value it comes to, or an exit.
    fn enter(&mut self, pc: usize) -> Value {
        let too_deep =
            self.b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, self.depth, MAX_DEPTH);
        self.exit_if(too_deep, pc);
        let ins = self.ins_ptr(pc);
        let code = self.iconst(self.code as *const Bytecode as u64);
        let pcv = self.iconst(pc as u64);
        let (rt, base, sig) = (self.rt, self.base, self.sigs.enter);
        let e = self
            .call_helper(sig, self.helpers.enter, &[rt, base, ins, code, pcv])
            .expect("enter returns");
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I64);
        // 0: not entered.
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, e, 0);
        self.exit_if(zero, pc);
        // A value (a thunk evaluated in place).
        // ENTERED_INTERPRETED (4) and ENTERED_NATIVE (6) are the words with `w & !2 == 4`.
        let masked = self.b.ins().band_imm_s(e, !2);
        let small_code = self.b.ins().icmp_imm_s(IntCC::Equal, masked, 4);
        let entered = self.b.create_block();
        self.b
            .ins()
            .brif(small_code, entered, &[], join, &[e.into()]);
        self.b.switch_to_block(entered);
        let interp = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, e, ENTERED_INTERPRETED as i64);
        let out = self.b.create_block();
        let native = self.b.create_block();
        self.b.ins().brif(interp, out, &[], native, &[]);
        // The entered activation runs in the interpreter: it switches to it.
        self.b.switch_to_block(out);
        let r = self.iconst(act_exit(0) | EXIT_SWITCH);
        self.b.ins().return_(&[r]);
        self.b.switch_to_block(native);
        let run = self.b.create_block();
        self.b.ins().jump(run, &[]);
        // Runs the activation that the runtime's `ActCallee` describes (the one just entered,
        // or the one a tail call put in its place) from its start.
        self.b.switch_to_block(run);
        let off = self.helpers.callee_offset as i32;
        let flags = MemFlagsData::trusted();
        let f = self.b.ins().load(types::I64, flags, rt, off);
        let regs2 = self.b.ins().load(types::I64, flags, rt, off + 8);
        let base2 = self.b.ins().load(types::I64, flags, rt, off + 16);
        let code2 = self.b.ins().load(types::I64, flags, rt, off + 24);
        let start = self.iconst(0);
        let d = self.b.ins().iadd_imm_s(self.depth, 1);
        let sig = self.sigs.act;
        let call = self
            .b
            .ins()
            .call_indirect(sig, f, &[rt, regs2, base2, start, d]);
        let r2 = self.b.inst_results(call)[0];
        let low2 = self.b.ins().band_imm_u(r2, 3);
        let exited = self.b.ins().icmp_imm_s(IntCC::Equal, low2, 2);
        let finished = self.b.create_block();
        let left = self.b.create_block();
        self.b.ins().brif(exited, left, &[], finished, &[]);
        self.b.switch_to_block(finished);
        let sig = self.sigs.build;
        self.call_helper(sig, self.helpers.leave, &[rt, base2, r2]);
        self.b.ins().jump(join, &[r2.into()]);
        self.b.switch_to_block(left);
        // A tail call: the callee's activation replaced the one entered; it runs next, here
        // when it has machine code, else in the interpreter (from its start).
        let tailed = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, r2, TAIL_CALLED as i64);
        let tail = self.b.create_block();
        let other_exit = self.b.create_block();
        self.b.ins().brif(tailed, tail, &[], other_exit, &[]);
        self.b.switch_to_block(tail);
        let f3 = self.b.ins().load(types::I64, flags, rt, off);
        // (`out` hands the activation to the interpreter, as for a callee entered there.)
        self.b.ins().brif(f3, run, &[], out, &[]);
        self.b.switch_to_block(other_exit);
        // An exit further in, or the interrupt: passed on as it is.
        let interrupted = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, r2, INTERRUPTED as i64);
        let sw = self.b.ins().band_imm_u(r2, EXIT_SWITCH as i64);
        let sw = self.b.ins().icmp_imm_s(IntCC::NotEqual, sw, 0);
        let pass = self.b.ins().bor(interrupted, sw);
        let pass_on = self.b.create_block();
        let own = self.b.create_block();
        self.b.ins().brif(pass, pass_on, &[], own, &[]);
        self.b.switch_to_block(pass_on);
        self.b.ins().return_(&[r2]);
        self.b.switch_to_block(own);
        // The callee's own exit: the interpreter goes on with the callee's activation.
        let sig = self.sigs.build;
        self.call_helper(sig, self.helpers.switch, &[rt, code2, base2]);
        let r3 = self.b.ins().bor_imm_u(r2, EXIT_SWITCH as i64);
        self.b.ins().return_(&[r3]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// `v` followed through finished thunks (inline for small nats).
    fn deref(&mut self, v: Value) -> Value {
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I64);
        let heap = self.b.create_block();
        let small = self.is_small(v);
        self.b.ins().brif(small, join, &[v.into()], heap, &[]);
        self.b.switch_to_block(heap);
        let d = self.unary(self.helpers.deref, v);
        self.b.ins().jump(join, &[d.into()]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// `op x y` on two decoded small nats; `None` in the result means "too big", tested by
    /// the caller with the returned flag (1: overflow).
    fn small_op(&mut self, op: BinOp, x: Value, y: Value) -> (Value, Option<Value>) {
        let bit = |b: &mut FunctionBuilder, cc: IntCC| {
            let c = b.ins().icmp(cc, x, y);
            b.ins().uextend(types::I64, c)
        };
        match op {
            BinOp::Add => {
                let s = self.b.ins().iadd(x, y);
                let big = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::UnsignedGreaterThan, s, MAX_SMALL as i64);
                (s, Some(big))
            }
            BinOp::Sub => {
                let d = self.b.ins().isub(x, y);
                let zero = self.iconst(0);
                let ge = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, x, y);
                (self.b.ins().select(ge, d, zero), None)
            }
            BinOp::Mul => {
                let hi = self.b.ins().umulhi(x, y);
                let p = self.b.ins().imul(x, y);
                let big_p =
                    self.b
                        .ins()
                        .icmp_imm_s(IntCC::UnsignedGreaterThan, p, MAX_SMALL as i64);
                let hi_set = self.b.ins().icmp_imm_s(IntCC::NotEqual, hi, 0);
                (p, Some(self.b.ins().bor(big_p, hi_set)))
            }
            BinOp::Div | BinOp::Mod => {
                let join = self.b.create_block();
                self.b.append_block_param(join, types::I64);
                let nonzero = self.b.create_block();
                let by_zero = if op == BinOp::Div { self.iconst(0) } else { x };
                self.b.ins().brif(y, nonzero, &[], join, &[by_zero.into()]);
                self.b.switch_to_block(nonzero);
                let r = if op == BinOp::Div {
                    self.b.ins().udiv(x, y)
                } else {
                    self.b.ins().urem(x, y)
                };
                self.b.ins().jump(join, &[r.into()]);
                self.b.switch_to_block(join);
                (self.b.block_params(join)[0], None)
            }
            BinOp::Eql => (bit(&mut self.b, IntCC::Equal), None),
            BinOp::Neq => (bit(&mut self.b, IntCC::NotEqual), None),
            BinOp::Lth => (bit(&mut self.b, IntCC::UnsignedLessThan), None),
            BinOp::Lte => (bit(&mut self.b, IntCC::UnsignedLessThanOrEqual), None),
            BinOp::Gth => (bit(&mut self.b, IntCC::UnsignedGreaterThan), None),
            BinOp::Gte => (bit(&mut self.b, IntCC::UnsignedGreaterThanOrEqual), None),
            // The row operations and tag tests, which have no small-nat code (Dec, Inc and
            // ToNat are lowered as the binary operation they share code with).
            _ => unreachable!("no small-nat code"),
        }
    }

    /// `v` followed through one finished thunk, inline (the helpers follow longer chains).
    fn deref_once(&mut self, v: Value) -> Value {
        let (join, tag) = self.tag_unless_small(v);
        let done = self.b.ins().icmp_imm_s(IntCC::Equal, tag, 4);
        let follow = self.b.create_block();
        self.b.ins().brif(done, follow, &[], join, &[v.into()]);
        self.b.switch_to_block(follow);
        let w = self.b.ins().load(types::I64, MemFlagsData::trusted(), v, 8);
        self.b.ins().jump(join, &[w.into()]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// An inline operation: quick path on two small nats (also when they are the values of
    /// finished thunks), else the helper (which may leave it to the interpreter).
    fn op2(&mut self, pc: usize, op: BinOp, dst: Reg, a: Reg, b: Reg) {
        let next = self.blocks[pc + 1];
        let (va, vb) = (self.load(a), self.load(b));
        let both = self.b.ins().band(va, vb);
        let small = self.is_small(both);
        let quick = self.b.create_block();
        self.b.append_block_param(quick, types::I64);
        self.b.append_block_param(quick, types::I64);
        let follow = self.b.create_block();
        let slow = self.b.create_block();
        self.b
            .ins()
            .brif(small, quick, &[va.into(), vb.into()], follow, &[]);
        self.b.switch_to_block(follow);
        let (da, db) = (self.deref_once(va), self.deref_once(vb));
        let both = self.b.ins().band(da, db);
        let small = self.is_small(both);
        self.b
            .ins()
            .brif(small, quick, &[da.into(), db.into()], slow, &[]);
        self.b.switch_to_block(quick);
        let (qa, qb) = (self.b.block_params(quick)[0], self.b.block_params(quick)[1]);
        let x = self.b.ins().ushr_imm_u(qa, 1);
        let y = self.b.ins().ushr_imm_u(qb, 1);
        let (r, big) = self.small_op(op, x, y);
        if let Some(big) = big {
            let ok = self.b.create_block();
            self.b.ins().brif(big, slow, &[], ok, &[]);
            self.b.switch_to_block(ok);
        }
        let shifted = self.b.ins().ishl_imm_u(r, 1);
        let tagged = self.b.ins().bor_imm_u(shifted, 1);
        self.store(dst, tagged);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(slow);
        let r = self.call3(self.helpers.op2, pc);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.exit_if(zero, pc);
        self.store(dst, r);
        self.b.ins().jump(next, &[]);
    }

    /// An operation the runtime does (`_Get`, `_Idx`, `_Len`): its value, or an exit when
    /// the interpreter has to do it.
    fn row_op(&mut self, pc: usize, dst: Reg) {
        let next = self.blocks[pc + 1];
        let r = self.call3(self.helpers.op2, pc);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.exit_if(zero, pc);
        self.store(dst, r);
        self.b.ins().jump(next, &[]);
    }

    /// A jump to `targets[i]` for the decoded nat `i` below their number, else to
    /// `default`.
    fn table_jump(&mut self, i: Value, targets: &[u32], default: u32) {
        let def = self.blocks[default as usize];
        let in_range = self.b.create_block();
        let over =
            self.b
                .ins()
                .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, i, targets.len() as i64);
        self.b.ins().brif(over, def, &[], in_range, &[]);
        self.b.switch_to_block(in_range);
        let i32v = self.b.ins().ireduce(types::I32, i);
        let dflt = self.b.func.dfg.block_call(def, &[]);
        let calls: Vec<_> = targets
            .iter()
            .map(|t| self.b.func.dfg.block_call(self.blocks[*t as usize], &[]))
            .collect();
        let jt = self.b.create_jump_table(JumpTableData::new(dflt, &calls));
        self.b.ins().br_table(i32v, jt);
    }

    /// The switch operand `src` decoded when it is a small nat (after following finished
    /// thunks); goes to `default` otherwise.
    fn switch_operand(&mut self, src: Reg, default: u32) -> Value {
        let v = self.load(src);
        let d = self.deref(v);
        let small = self.is_small(d);
        let go = self.b.create_block();
        self.b
            .ins()
            .brif(small, go, &[], self.blocks[default as usize], &[]);
        self.b.switch_to_block(go);
        self.b.ins().ushr_imm_u(d, 1)
    }

    fn instr(&mut self, pc: usize) -> Option<()> {
        let code = self.code;
        let ins = &code.code[pc];
        let next = *self.blocks.get(pc + 1).unwrap_or(&self.blocks[pc]);
        if let Some((op, _lazy, o)) = operation(ins) {
            if op == BinOp::Len {
                self.row_op(pc, o.dst);
            } else {
                // `_Dec`, the increment and `_ToNat` have the inline code of `_Sub` or `_Add`
                // with their constant second operand.
                self.op2(pc, op.inline_as(), o.dst, reg(&o.a), reg(&o.b));
            }
            return Some(());
        }
        match ins {
            Instr::Move { dst, src } => {
                let v = self.load(reg(src));
                self.store(*dst, v);
                self.b.ins().jump(next, &[]);
            }
            Instr::Lazy { .. } | Instr::Holes { .. } | Instr::Fill { .. } | Instr::MkRow { .. } => {
                let ins = self.ins_ptr(pc);
                let (rt, base, sig) = (self.rt, self.base, self.sigs.build);
                self.call_helper(sig, self.helpers.build, &[rt, base, ins]);
                self.b.ins().jump(next, &[]);
            }
            Instr::Force { dst, src } => {
                let v = self.load(reg(src));
                let w = self.whnf_or_exit(v, pc, true);
                self.store(*dst, w);
                self.b.ins().jump(next, &[]);
            }
            Instr::ForceIfz { reg: r, target } => {
                let v = self.load(*r);
                let w = self.whnf_or_exit(v, pc, true);
                self.store(*r, w);
                // The `JumpIfZero` that follows does the test.
                self.b.ins().jump(next, &[]);
                let _ = target;
            }
            Instr::JumpIfZero { src, target } => {
                let v = self.load(reg(src));
                let t = self.blocks[*target as usize];
                let small = self.is_small(v);
                let quick = self.b.create_block();
                let slow = self.b.create_block();
                self.b.ins().brif(small, quick, &[], slow, &[]);
                self.b.switch_to_block(quick);
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, v, 1);
                self.b.ins().brif(zero, t, &[], next, &[]);
                self.b.switch_to_block(slow);
                let z = self.unary(self.helpers.is_zero, v);
                self.b.ins().brif(z, t, &[], next, &[]);
            }
            Instr::JumpIfNotZero { src, target } => {
                let v = self.load(reg(src));
                let d = self.deref(v);
                let t = self.blocks[*target as usize];
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, d, 1);
                self.b.ins().brif(zero, next, &[], t, &[]);
            }
            Instr::JumpUnlessWhnf { target, .. } => {
                let all = self.call3(self.helpers.all_whnf, pc);
                let t = self.blocks[*target as usize];
                self.b.ins().brif(all, next, &[], t, &[]);
            }
            Instr::Jump { target } => {
                let t = self.blocks[*target as usize];
                self.b.ins().jump(t, &[]);
            }
            Instr::Switch {
                src,
                targets,
                default,
            } => {
                let i = self.switch_operand(reg(src), *default);
                self.table_jump(i, targets, *default);
            }
            Instr::SwitchKeys {
                src,
                keys,
                targets,
                default,
            } => {
                let k = self.switch_operand(reg(src), *default);
                for (key, t) in keys.iter().zip(targets.iter()) {
                    let hit = self.b.ins().icmp_imm_s(IntCC::Equal, k, *key as i64);
                    let no = self.b.create_block();
                    self.b
                        .ins()
                        .brif(hit, self.blocks[*t as usize], &[], no, &[]);
                    self.b.switch_to_block(no);
                }
                self.b.ins().jump(self.blocks[*default as usize], &[]);
            }
            Instr::Call { dst, .. } | Instr::CallSelf { dst, .. } => {
                let r = self.call3(self.helpers.call, pc);
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let law = self.b.create_block();
                let not_law = self.b.create_block();
                self.b.ins().brif(zero, law, &[], not_law, &[]);
                self.b.switch_to_block(law);
                let v = self.enter(pc);
                self.store(*dst, v);
                self.b.ins().jump(next, &[]);
                self.b.switch_to_block(not_law);
                let one = self.b.ins().icmp_imm_s(IntCC::Equal, r, CALL_OTHER as i64);
                let other = self.b.create_block();
                let done = self.b.create_block();
                self.b.ins().brif(one, other, &[], done, &[]);
                self.b.switch_to_block(other);
                self.exit(pc, EXIT_OTHER);
                self.b.switch_to_block(done);
                self.store(*dst, r);
                self.b.ins().jump(next, &[]);
            }
            Instr::TailCall { .. } => {
                let r = self.call3(self.helpers.call, pc);
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.exit_if(zero, pc);
                self.b.ins().return_(&[r]);
            }
            Instr::Return { src } => {
                let v = self.load(reg(src));
                let w = self.whnf_or_exit(v, pc, false);
                self.b.ins().return_(&[w]);
            }
            Instr::Loop { args } => {
                // Every new argument is read before any is written.
                let vals: Vec<Value> = args.iter().map(|a| self.load(reg(a))).collect();
                for (i, v) in vals.into_iter().enumerate() {
                    self.store(i as Reg + 1, v);
                }
                let n = self.b.use_var(self.poll);
                let n = self.b.ins().iadd_imm_s(n, -1);
                self.b.def_var(self.poll, n);
                let due = self.b.create_block();
                self.b.ins().brif(n, self.blocks[0], &[], due, &[]);
                self.b.switch_to_block(due);
                let reset = self.iconst(LOOP_POLL as u64);
                self.b.def_var(self.poll, reset);
                let (rt, sig) = (self.rt, self.sigs.poll);
                let stop = self
                    .call_helper(sig, self.helpers.poll, &[rt])
                    .expect("poll returns");
                let out = self.b.create_block();
                self.b.ins().brif(stop, out, &[], self.blocks[0], &[]);
                self.b.switch_to_block(out);
                let r = self.iconst(INTERRUPTED);
                self.b.ins().return_(&[r]);
            }
            Instr::Op2 { dst, .. } | Instr::Op2Lazy { dst, .. } => {
                // `_Get` / `_Idx`: row reads, in the runtime.
                self.row_op(pc, *dst);
            }
            _ => return None,
        }
        Some(())
    }
}

/// Whether machine code for `code`'s activations is likely to run faster than the
/// interpreter. Entering and leaving machine code costs about as much as dispatching ten
/// instructions, and an instruction done by a helper costs more than in the interpreter
/// (the call, and the helper looking at the instruction again); what machine code saves is the
/// dispatch of the instructions it does inline. So a law is worth it when it has a self loop
/// (whose iterations stay in machine code), or when its inline instructions outweigh the entry
/// and its helper calls.
pub fn worth_compiling(code: &Bytecode) -> bool {
    let (mut inline, mut helper) = (0usize, 0usize);
    for ins in &code.code {
        match ins {
            Instr::Loop { .. } => return true,
            Instr::Lazy { .. }
            | Instr::Holes { .. }
            | Instr::Fill { .. }
            | Instr::MkRow { .. }
            | Instr::Call { .. }
            | Instr::CallSelf { .. }
            | Instr::TailCall { .. }
            | Instr::Op2 { .. }
            | Instr::Op2Lazy { .. }
            | Instr::Len(_)
            | Instr::LenLazy(_)
            | Instr::JumpUnlessWhnf { .. } => helper += 1,
            _ => inline += 1,
        }
    }
    inline >= ENTRY_COST + HELPER_COST * helper
}

/// The cost of entering and leaving machine code, in inline instructions (see
/// [`worth_compiling`]).
const ENTRY_COST: usize = 10;

/// What an instruction done by a helper costs machine code more than the interpreter, in
/// inline instructions.
const HELPER_COST: usize = 3;

/// Lowers the run form of `code` into `func` (whose signature is [`signature`]). Returns the
/// number of IR instructions, or `None` when some instruction has no lowering.
pub fn lower(
    code: &Bytecode,
    func: &mut Function,
    helpers: &ActHelpers,
    target: TargetFrontendConfig,
) -> Option<usize> {
    let n = code.code.len();
    if n == 0 || n > 1 << 20 {
        return None;
    }
    let call_conv = target.default_call_conv;
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(func, &mut fctx);
    let sigs = Sigs {
        build: b.import_signature(helper_sig(call_conv, 3, false)),
        unary: b.import_signature(helper_sig(call_conv, 1, true)),
        ternary: b.import_signature(helper_sig(call_conv, 3, true)),
        poll: b.import_signature(helper_sig(call_conv, 1, true)),
        enter: b.import_signature(helper_sig(call_conv, 5, true)),
        act: b.import_signature(signature(call_conv)),
    };
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    let blocks: Vec<Block> = (0..n).map(|_| b.create_block()).collect();
    let poll = b.declare_var(types::I64);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let start = b.ins().iconst(types::I64, LOOP_POLL);
    b.def_var(poll, start);
    // Enter at instruction `pc`.
    let pc32 = b.ins().ireduce(types::I32, params[3]);
    let dflt = b.func.dfg.block_call(blocks[0], &[]);
    let calls: Vec<_> = blocks
        .iter()
        .map(|bl| b.func.dfg.block_call(*bl, &[]))
        .collect();
    let jt = b.create_jump_table(JumpTableData::new(dflt, &calls));
    b.ins().br_table(pc32, jt);
    let mut lw = Lower {
        b,
        code,
        helpers,
        sigs,
        blocks,
        rt: params[0],
        regs: params[1],
        base: params[2],
        depth: params[4],
        poll,
    };
    for pc in 0..n {
        lw.b.switch_to_block(lw.blocks[pc]);
        lw.instr(pc)?;
    }
    lw.b.seal_all_blocks();
    lw.b.finalize(target);
    Some(func.dfg.num_insts())
}
