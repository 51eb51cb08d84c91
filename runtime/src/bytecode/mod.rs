//! The bytecode tier: laws compile once, lazily, to a register bytecode that the interpreter
//! in `interp/` runs inside the evaluator's frame machine.
//!
//! Registers of a law activation: 0 = self, 1..=arity = arguments, then let bindings and
//! temporaries (shared by values never live together, `regalloc.rs`), then constants
//! (`run_form.rs`). Values in registers may be thunks; `Force` and `Call` put weak head normal
//! forms in their destination. Control-flow jets (`_If`, `_Ifz`, `_Seq`, `_Switch`, ...) are
//! recognised by hash and become jumps; arithmetic and comparison jets become inline
//! operations on small nats that fall back to the jet (or its PLAN code) for anything else.
//!
//! Compiling a law: tiny laws it calls are inlined (`inline.rs`); `compile.rs` emits the plain form; then copy propagation (`copies.rs`),
//! strict self-call arguments (`strict.rs`), register allocation (`regalloc.rs`) and the run
//! form the interpreter executes (`run_form.rs`). [`Bytecode::plain_code`] gives the plain
//! form back for the disassembler and the JIT.

mod compile;
mod copies;
mod disasm;
mod flow;
mod inline;
pub(crate) mod interp;
mod regalloc;
mod run_form;
mod strict;

use crate::value::Value;

pub use compile::compile;
pub use flow::successors;
pub use run_form::operation;

/// A register index.
pub type Reg = u32;

/// An operand: a register or a constant.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    /// The value in a register.
    Reg(Reg),
    /// A constant (fully normal).
    Const(Value),
}

/// Binary operations done inline on small nats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `_Add`.
    Add,
    /// `_Sub` (saturating).
    Sub,
    /// `_Mul`.
    Mul,
    /// `_Div` (0 for a zero divisor).
    Div,
    /// `_Mod` (the dividend for a zero divisor).
    Mod,
    /// `_Eql`.
    Eql,
    /// `_Neq`.
    Neq,
    /// `_Lth`.
    Lth,
    /// `_Lte`.
    Lte,
    /// `_Gth`.
    Gth,
    /// `_Gte`.
    Gte,
    /// `_Get row i`.
    Get,
    /// `_Idx i row`.
    Idx,
    /// `_Dec a`: compiled with the constant 1 as second operand, so its inline code is that
    /// of `_Sub a 1`; the fallback applies the jet to `a` alone.
    Dec,
    /// The increment opcode `3 a` (the reference library's `inc`): compiled with the
    /// constant 1 as second operand (inline code of `_Add a 1`); the fallback is `3 a`.
    Inc,
    /// `_ToNat a`: compiled with the constant 0 as second operand (inline code of
    /// `_Add a 0`); the fallback applies the jet to `a` alone.
    ToNat,
    /// `_Len row`: the length of a row, read inline (compiled with the constant 0 as second
    /// operand; the fallback applies the jet to the value alone).
    Len,
    /// `_IsApp x`: 1 when `x` is an application (a closure, a row, a cons cell), else 0; a
    /// tag test, compiled with the constant 0 as second operand.
    IsApp,
    /// `_IsNat x`: 1 when `x` is a nat (as [`BinOp::IsApp`]).
    IsNat,
    /// `_IsLaw x`: 1 when `x` is a law (as [`BinOp::IsApp`]).
    IsLaw,
    /// `_IsPin x`: 1 when `x` is a pin (as [`BinOp::IsApp`]).
    IsPin,
}

impl BinOp {
    /// The jet name this operation stands for.
    pub fn jet_name(self) -> &'static str {
        match self {
            BinOp::Add => "_Add",
            BinOp::Sub => "_Sub",
            BinOp::Mul => "_Mul",
            BinOp::Div => "_Div",
            BinOp::Mod => "_Mod",
            BinOp::Eql => "_Eql",
            BinOp::Neq => "_Neq",
            BinOp::Lth => "_Lth",
            BinOp::Lte => "_Lte",
            BinOp::Gth => "_Gth",
            BinOp::Gte => "_Gte",
            BinOp::Get => "_Get",
            BinOp::Idx => "_Idx",
            BinOp::Dec => "_Dec",
            BinOp::Inc => "3",
            BinOp::ToNat => "_ToNat",
            BinOp::Len => "_Len",
            BinOp::IsApp => "_IsApp",
            BinOp::IsNat => "_IsNat",
            BinOp::IsLaw => "_IsLaw",
            BinOp::IsPin => "_IsPin",
        }
    }

    /// The operand a unary operation is compiled with as its second one (`None` for the
    /// binary operations).
    pub fn unary_operand(self) -> Option<u64> {
        match self {
            BinOp::Dec | BinOp::Inc => Some(1),
            BinOp::ToNat | BinOp::Len => Some(0),
            BinOp::IsApp | BinOp::IsNat | BinOp::IsLaw | BinOp::IsPin => Some(0),
            _ => None,
        }
    }

    /// The binary operation whose inline code a unary one shares (with its
    /// [`BinOp::unary_operand`]); the operation itself for the others.
    pub fn inline_as(self) -> BinOp {
        // (The tag tests have no binary operation: their inline code is their own.)
        match self {
            BinOp::Dec => BinOp::Sub,
            BinOp::Inc | BinOp::ToNat => BinOp::Add,
            op => op,
        }
    }

    /// Whether this is one of the tag tests (`_IsApp`, `_IsNat`, `_IsLaw`, `_IsPin`).
    pub fn is_tag_test(self) -> bool {
        matches!(
            self,
            BinOp::IsApp | BinOp::IsNat | BinOp::IsLaw | BinOp::IsPin
        )
    }

    /// The arguments the fallback applies the jet to: both operands, or only the first for a
    /// unary operation.
    pub fn fallback_args(
        self,
        x: crate::value::Value,
        y: crate::value::Value,
    ) -> Box<[crate::value::Value]> {
        if self.unary_operand().is_some() {
            Box::new([x])
        } else {
            Box::new([x, y])
        }
    }

    /// The operation for a jet name.
    pub fn from_jet_name(n: &str) -> Option<BinOp> {
        Some(match n {
            "_Add" => BinOp::Add,
            "_Sub" => BinOp::Sub,
            "_Mul" => BinOp::Mul,
            "_Div" => BinOp::Div,
            "_Mod" => BinOp::Mod,
            "_Eql" => BinOp::Eql,
            "_Neq" => BinOp::Neq,
            "_Lth" => BinOp::Lth,
            "_Lte" => BinOp::Lte,
            "_Gth" => BinOp::Gth,
            "_Gte" => BinOp::Gte,
            "_Get" => BinOp::Get,
            "_Idx" => BinOp::Idx,
            "_Dec" => BinOp::Dec,
            "_ToNat" => BinOp::ToNat,
            "_Len" => BinOp::Len,
            "_IsApp" => BinOp::IsApp,
            "_IsNat" => BinOp::IsNat,
            "_IsLaw" => BinOp::IsLaw,
            "_IsPin" => BinOp::IsPin,
            _ => return None,
        })
    }
}

/// The parts of an inline operation whose operator is in the instruction itself (the run
/// form's `Add`, `SubLazy`, ...: one dispatch instead of two).
#[derive(Clone, Debug)]
pub struct Operation {
    /// Destination.
    pub dst: Reg,
    /// The jet's pin (for the fallback).
    pub pin: Value,
    /// Operands.
    pub a: Arg,
    /// Operands.
    pub b: Arg,
}

/// A pattern matching every run-form inline operation (`Add` ... `GteLazy`) whose
/// [`Operation`] matches `$o`.
macro_rules! run_form_ops {
    ($o:pat) => {
        Instr::Add($o)
            | Instr::Sub($o)
            | Instr::Mul($o)
            | Instr::Div($o)
            | Instr::Mod($o)
            | Instr::Eql($o)
            | Instr::Neq($o)
            | Instr::Lth($o)
            | Instr::Lte($o)
            | Instr::Gth($o)
            | Instr::Gte($o)
            | Instr::AddLazy($o)
            | Instr::SubLazy($o)
            | Instr::MulLazy($o)
            | Instr::DivLazy($o)
            | Instr::ModLazy($o)
            | Instr::EqlLazy($o)
            | Instr::NeqLazy($o)
            | Instr::LthLazy($o)
            | Instr::LteLazy($o)
            | Instr::GthLazy($o)
            | Instr::GteLazy($o)
            | Instr::Dec($o)
            | Instr::Inc($o)
            | Instr::ToNat($o)
            | Instr::Len($o)
            | Instr::DecLazy($o)
            | Instr::IncLazy($o)
            | Instr::ToNatLazy($o)
            | Instr::LenLazy($o)
    };
}
pub(crate) use run_form_ops;

/// One instruction.
#[derive(Clone, Debug)]
#[repr(u8)]
pub enum Instr {
    /// `dst := f args...` built lazily (a partial application or a thunk).
    Lazy {
        /// Destination.
        dst: Reg,
        /// Function.
        f: Arg,
        /// Arguments.
        args: Box<[Arg]>,
    },
    /// Allocate empty thunks in registers `first .. first+n` (letrec placeholders).
    Holes {
        /// First register.
        first: Reg,
        /// How many.
        n: u32,
        /// Room for arguments in each (the `Fill` that follows has at most this many).
        room: u32,
    },
    /// Fill a placeholder with the lazy application `f args...` (no args: an alias of `f`).
    Fill {
        /// The placeholder register.
        hole: Reg,
        /// Function or aliased value.
        f: Arg,
        /// Arguments.
        args: Box<[Arg]>,
    },
    /// `dst := src`.
    Move {
        /// Destination.
        dst: Reg,
        /// Source.
        src: Arg,
    },
    /// `dst := whnf(src)`.
    Force {
        /// Destination.
        dst: Reg,
        /// Source.
        src: Arg,
    },
    /// `reg := whnf(reg)`, then the `JumpIfZero` on `reg` that follows it at once (run form:
    /// the pair `Force`, `JumpIfZero` on one register; that `JumpIfZero` stays in the code,
    /// where the activation resumes when `reg` had to be evaluated).
    ForceIfz {
        /// The register.
        reg: Reg,
        /// The jump's target.
        target: u32,
    },
    /// `dst := whnf(f args...)`.
    Call {
        /// Destination.
        dst: Reg,
        /// Function.
        f: Arg,
        /// Arguments.
        args: Box<[Arg]>,
    },
    /// `dst := whnf(self args...)`, a saturated call of the running law: its own code runs
    /// again. Only in the code the interpreter runs (the last step of compiling turns
    /// `Call { f: r0, .. }` into this); [`Bytecode::plain_code`] shows it as that call.
    CallSelf {
        /// Destination.
        dst: Reg,
        /// Arguments (exactly the law's arity).
        args: Box<[Arg]>,
    },
    /// `dst := whnf(op a b)`: inline on small nats, otherwise a call of the jet pin.
    Op2 {
        /// Destination.
        dst: Reg,
        /// Operation.
        op: BinOp,
        /// The jet's pin (for the fallback).
        pin: Value,
        /// Operands.
        a: Arg,
        /// Operands.
        b: Arg,
    },
    /// `dst := op a b` computed now when both operands are already small nats, otherwise a
    /// lazy application of the jet pin (never forces anything).
    Op2Lazy {
        /// Destination.
        dst: Reg,
        /// Operation.
        op: BinOp,
        /// The jet's pin.
        pin: Value,
        /// Operands.
        a: Arg,
        /// Operands.
        b: Arg,
    },
    /// `Op2` of `_Add` (run form).
    Add(Operation),
    /// `Op2` of `_Sub` (run form).
    Sub(Operation),
    /// `Op2` of `_Mul` (run form).
    Mul(Operation),
    /// `Op2` of `_Div` (run form).
    Div(Operation),
    /// `Op2` of `_Mod` (run form).
    Mod(Operation),
    /// `Op2` of `_Eql` (run form).
    Eql(Operation),
    /// `Op2` of `_Neq` (run form).
    Neq(Operation),
    /// `Op2` of `_Lth` (run form).
    Lth(Operation),
    /// `Op2` of `_Lte` (run form).
    Lte(Operation),
    /// `Op2` of `_Gth` (run form).
    Gth(Operation),
    /// `Op2` of `_Gte` (run form).
    Gte(Operation),
    /// `Op2Lazy` of `_Add` (run form).
    AddLazy(Operation),
    /// `Op2Lazy` of `_Sub` (run form).
    SubLazy(Operation),
    /// `Op2Lazy` of `_Mul` (run form).
    MulLazy(Operation),
    /// `Op2Lazy` of `_Div` (run form).
    DivLazy(Operation),
    /// `Op2Lazy` of `_Mod` (run form).
    ModLazy(Operation),
    /// `Op2Lazy` of `_Eql` (run form).
    EqlLazy(Operation),
    /// `Op2Lazy` of `_Neq` (run form).
    NeqLazy(Operation),
    /// `Op2Lazy` of `_Lth` (run form).
    LthLazy(Operation),
    /// `Op2Lazy` of `_Lte` (run form).
    LteLazy(Operation),
    /// `Op2Lazy` of `_Gth` (run form).
    GthLazy(Operation),
    /// `Op2Lazy` of `_Gte` (run form).
    GteLazy(Operation),
    /// `Op2` of `_Dec` (run form; its second operand is the constant 1).
    Dec(Operation),
    /// `Op2` of the increment opcode (run form; its second operand is the constant 1).
    Inc(Operation),
    /// `Op2` of `_ToNat` (run form; its second operand is the constant 0).
    ToNat(Operation),
    /// `Op2` of `_Len` (run form; its second operand is the constant 0).
    Len(Operation),
    /// `Op2Lazy` of `_Dec` (run form).
    DecLazy(Operation),
    /// `Op2Lazy` of the increment opcode (run form).
    IncLazy(Operation),
    /// `Op2Lazy` of `_ToNat` (run form).
    ToNatLazy(Operation),
    /// `Op2Lazy` of `_Len` (run form).
    LenLazy(Operation),
    /// Jump when `N(src)` (src in weak head normal form) is zero.
    JumpIfZero {
        /// The tested value.
        src: Arg,
        /// Target instruction.
        target: u32,
    },
    /// Jump unless `src` (in weak head normal form) is the nat 0.
    JumpIfNotZero {
        /// The tested value.
        src: Arg,
        /// Target instruction.
        target: u32,
    },
    /// Jump unless every one of these registers holds a value in weak head normal form.
    JumpUnlessWhnf {
        /// The registers.
        regs: Box<[Reg]>,
        /// Target instruction.
        target: u32,
    },
    /// Jump.
    Jump {
        /// Target instruction.
        target: u32,
    },
    /// Jump to `targets[N(src)]`, or `default` when out of range.
    Switch {
        /// The tested value (weak head normal form).
        src: Arg,
        /// Targets by index.
        targets: Box<[u32]>,
        /// Target when out of range.
        default: u32,
    },
    /// Jump to the target of the key equal to `src` (a small nat), or `default`.
    SwitchKeys {
        /// The tested value (weak head normal form).
        src: Arg,
        /// Keys (small nats).
        keys: Box<[u64]>,
        /// Targets, one per key.
        targets: Box<[u32]>,
        /// Target when no key matches.
        default: u32,
    },
    /// Build a row of the given elements (index order).
    MkRow {
        /// Destination.
        dst: Reg,
        /// Elements.
        elems: Box<[Arg]>,
    },
    /// The result is `whnf(f args...)` (a tail call).
    TailCall {
        /// Function.
        f: Arg,
        /// Arguments.
        args: Box<[Arg]>,
    },
    /// The result is `whnf(src)`.
    Return {
        /// The result.
        src: Arg,
    },
    /// A saturated self tail call: new arguments, then back to instruction 0.
    Loop {
        /// New arguments.
        args: Box<[Arg]>,
    },
}

impl crate::Runtime {
    /// The bytecode of a law, as text (compiling it if needed); `None` if `v` is no law.
    pub fn disassemble(&self, v: crate::Value) -> Option<String> {
        match v.deref().kind() {
            Some(crate::Kind::Law(l)) => Some(self.law_bytecode(l).to_string()),
            _ => None,
        }
    }
}

/// The compiled form of one law. Only [`compile`] builds one: the interpreter relies on
/// what it guarantees (the code ends with a return, no jump goes past it, every operand is a
/// register).
#[derive(Debug)]
pub struct Bytecode {
    /// Number of arguments.
    pub arity: u32,
    /// Number of registers (self, arguments, temporaries, then constants).
    pub nregs: u32,
    /// The instructions. Constant operands are registers from `nregs - constants` on; see
    /// [`Bytecode::plain_code`].
    pub code: Vec<Instr>,
    /// What an activation's registers after its arguments start as: zeros for the
    /// temporaries, then the constants; in blocks of [`TEMPLATE_BLOCK`] (the last one padded
    /// with zeros), which the interpreter copies whole.
    template: Box<[[Value; TEMPLATE_BLOCK]]>,
    /// How many registers the template fills (without the padding).
    template_len: u32,
    /// How many constant registers there are (the last ones of the template).
    constants: u32,
    /// The activation tier's state for this law (see [`crate::native::ActFn`]).
    pub(crate) act: std::cell::Cell<crate::native::ActSlot>,
    /// Set when the whole law builds a partial application (see [`Construct`]).
    pub construct: Option<Construct>,
}

/// A law whose body only puts its parameters and constants into a partial application of a
/// constant law (`cons x xs = {0 3 0} xs x`, a row or tuple maker, a step `acc x & cons x
/// acc`): a saturated call is that application, built by the caller without an activation.
#[derive(Clone, Debug)]
pub struct Construct {
    /// The head (a law of more arity than there are arguments).
    pub head: Value,
    /// The arguments in application order: parameter `i` (1-based) or a constant.
    pub args: Box<[Arg]>,
}

/// The most arguments a [`Construct`] has (they are gathered on the machine stack).
pub const MAX_CONSTRUCT: usize = 8;

impl Construct {
    /// The construction a law's code (its tiny calls inlined) does, if that is all it does
    /// (see [`crate::law::construction`]), with at most [`MAX_CONSTRUCT`] arguments.
    fn of(code: &crate::law::LawCode) -> Option<Construct> {
        let (head, xs) = crate::law::construction(code.arity, &code.body)?;
        if xs.len() > MAX_CONSTRUCT {
            return None;
        }
        let args = xs
            .iter()
            .map(|x| match x {
                crate::law::Expr::Ref(i) => Arg::Reg(*i),
                crate::law::Expr::Const(v) => Arg::Const(*v),
                crate::law::Expr::Call(..) => unreachable!("a construction's arguments are plain"),
            })
            .collect();
        Some(Construct { head, args })
    }
}

/// The registers of a law's template are copied in blocks of this many (so a new activation
/// may write up to `TEMPLATE_BLOCK - 1` registers past its end, which it reserves).
pub(crate) const TEMPLATE_BLOCK: usize = 4;

impl Bytecode {
    /// The first register holding a constant.
    fn first_constant(&self) -> Reg {
        self.nregs - self.constants
    }

    /// Builds the compiled form from its code, the number of argument and temporary
    /// registers (`nregs` without the constants), the constants (registers from `nregs`
    /// on) and the construction the law does, if that is all it does.
    fn new(
        arity: u32,
        code: Vec<Instr>,
        nregs: u32,
        constants: Vec<Value>,
        construct: Option<Construct>,
    ) -> Bytecode {
        let temporaries = (nregs - arity - 1) as usize;
        let len = temporaries + constants.len();
        let mut flat = vec![Value::small(0); len.next_multiple_of(TEMPLATE_BLOCK)];
        flat[temporaries..len].copy_from_slice(&constants);
        let template = flat
            .chunks_exact(TEMPLATE_BLOCK)
            .map(|c| std::array::from_fn(|i| c[i]))
            .collect();
        Bytecode {
            arity,
            nregs: nregs + constants.len() as u32,
            code,
            template,
            template_len: len as u32,
            constants: constants.len() as u32,
            act: Default::default(),
            construct,
        }
    }

    /// The constant held in register `r`, if `r` is a constant register.
    pub fn constant(&self, r: Reg) -> Option<Value> {
        let i = r.checked_sub(self.first_constant())?;
        let k = (self.template_len - self.constants + i) as usize;
        (k < self.template_len as usize)
            .then(|| self.template[k / TEMPLATE_BLOCK][k % TEMPLATE_BLOCK])
    }

    /// The instructions in their plain form (for the disassembler and the JIT): operands
    /// that read constant registers written as the constants themselves, self calls as calls
    /// of register 0, inline operations as `Op2`/`Op2Lazy`, `ForceIfz` as `Force`.
    pub fn plain_code(&self) -> Vec<Instr> {
        let mut code = self.code.clone();
        for ins in &mut code {
            if let Some(g) = run_form::general(ins) {
                *ins = g;
            }
            if let Instr::ForceIfz { reg, .. } = *ins {
                *ins = Instr::Force {
                    dst: reg,
                    src: Arg::Reg(reg),
                };
            }
            if let Instr::CallSelf { dst, args } = ins {
                *ins = Instr::Call {
                    dst: *dst,
                    f: Arg::Reg(0),
                    args: std::mem::take(args),
                };
            }
            flow::for_each_operand(ins, |a| {
                if let Arg::Reg(r) = *a {
                    if let Some(c) = self.constant(r) {
                        *a = Arg::Const(c);
                    }
                }
            });
        }
        code
    }

    /// The initial values of the registers after self and the arguments, in blocks (the
    /// last padded), and how many registers they are.
    #[inline(always)]
    pub(crate) fn template(&self) -> (&[[Value; TEMPLATE_BLOCK]], usize) {
        (&self.template, self.template_len as usize)
    }
}
