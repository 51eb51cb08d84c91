//! Differential testing: generated laws run under the oracle and the bytecode interpreter,
//! with jets on and off, and with the JIT compiling every eligible law on its first call,
//! must give the same normal form or the same kind of crash.

mod common;

use common::{
    add_law, and_law, bit_law, dec_law, isapp_law, islaw_law, isnat_law, ispin_law, not_law,
    or_law, sub_law, tonat_law,
};
use pallas::plan_syntax;
use pallas_runtime::{hash, print, Config, CrashKind, Engine, Runtime};
use proptest::prelude::*;

/// A generated expression of a law body, as PLAN text, over `nrefs` environment slots
/// (1..=nrefs; self is never referenced, so nothing recurses).
fn expr(nrefs: u64, depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (1..=nrefs).prop_map(|i| i.to_string()),
        (0u64..20).prop_map(|n| format!("(2 {n})")),
    ]
    .boxed();
    if depth == 0 {
        return leaf;
    }
    let sub = expr(nrefs, depth - 1);
    let add = format!("<{}>", add_law());
    let subl = format!("<{}>", sub_law());
    let dec = format!("<{}>", dec_law());
    let tonat = format!("<{}>", tonat_law());
    let not = format!("<{}>", not_law());
    let bit = format!("<{}>", bit_law());
    let and = format!("<{}>", and_law());
    let or = format!("<{}>", or_law());
    let tag = prop_oneof![
        Just(format!("<{}>", isapp_law())),
        Just(format!("<{}>", isnat_law())),
        Just(format!("<{}>", islaw_law())),
        Just(format!("<{}>", ispin_law())),
    ];
    prop_oneof![
        3 => leaf,
        // inc
        1 => sub.clone().prop_map(|x| format!("(0 (2 3) {x})")),
        // natCase with a function from a small set
        1 => (sub.clone(), sub.clone(), prop_oneof![Just("3"), Just("2"), Just("{I 1 1}"), Just("9")])
            .prop_map(|(z, x, p)| format!("(0 (0 (0 (2 2) {z}) (2 {p})) {x})")),
        1 => (sub.clone(), sub.clone()).prop_map(move |(a, b)| format!("(0 (0 {add} {a}) {b})")),
        1 => (sub.clone(), sub.clone()).prop_map(move |(a, b)| format!("(0 (0 {subl} {a}) {b})")),
        1 => sub.clone().prop_map(move |x| format!("(0 {dec} {x})")),
        1 => sub.clone().prop_map(move |x| format!("(0 {tonat} {x})")),
        1 => sub.clone().prop_map(move |x| format!("(0 {not} {x})")),
        1 => sub.clone().prop_map(move |x| format!("(0 {bit} {x})")),
        1 => (sub.clone(), sub.clone()).prop_map(move |(a, b)| format!("(0 (0 {and} {a}) {b})")),
        1 => (sub.clone(), sub.clone()).prop_map(move |(a, b)| format!("(0 (0 {or} {a}) {b})")),
        // a tag test of an expression (a nat, partial application, law or pin, evaluated
        // or lazy) or of a constant law or closure
        1 => (tag, prop_oneof![
            3 => sub.clone(),
            1 => Just("(2 {I 1 1})".to_string()),
            1 => Just("(2 ({K 2 1} 5))".to_string()),
        ])
            .prop_map(|(t, x)| format!("(0 {t} {x})")),
        1 => (sub.clone(), sub.clone(), sub.clone())
            .prop_map(|(c, t, e)| format!("(0 (0 (0 <{}> {c}) {t}) {e})", common::IF)),
        // apply a slot (which may hold a nat: opcodes and crashes) to an expression
        1 => ((1..=nrefs), sub.clone()).prop_map(|(i, x)| format!("(0 {i} {x})")),
        // a pin of a value
        1 => sub.prop_map(|x| format!("(0 (2 4) {x})")),
    ]
    .boxed()
}

/// A law of arity `a` with `k` let bindings and the arguments to call it with.
fn program() -> impl Strategy<Value = String> {
    (1u64..4, 0u64..4).prop_flat_map(|(a, k)| {
        let n = a + k;
        (
            proptest::collection::vec(expr(n, 3), k as usize),
            expr(n, 3),
            proptest::collection::vec(0u64..12, a as usize),
        )
            .prop_map(move |(lets, body, args)| {
                let mut b = body;
                for l in lets.iter().rev() {
                    b = format!("(1 {l} {b})");
                }
                let args: Vec<String> = args.iter().map(|x| x.to_string()).collect();
                format!("({{g {a} {b}}} {})", args.join(" "))
            })
    })
}

fn outcome(src: &str, engine: Engine, jets: bool) -> Result<String, CrashKind> {
    outcome_with(src, engine, jets, false, false)
}

/// [`outcome`], optionally with the JIT compiling every eligible law on its first call (with
/// Cranelift's IR verifier on), and with its tier for any law (`jit_any`) or without.
fn outcome_with(
    src: &str,
    engine: Engine,
    jets: bool,
    jit: bool,
    jit_any: bool,
) -> Result<String, CrashKind> {
    let mut rt = Runtime::new(Config {
        engine,
        jets,
        max_frames: 200_000,
        jit: if jit {
            pallas_runtime::native::JitMode::After(1)
        } else {
            pallas_runtime::native::JitMode::Off
        },
        jit_act: jit_any,
        ..Config::default()
    });
    if jit {
        let mut j = pallas_jit::Jit::new(true).expect("a JIT for this host");
        j.every_law = true;
        rt.native = Some(Box::new(j));
    }
    for (name, law) in [
        ("_Add", add_law()),
        ("_Sub", sub_law()),
        ("_Dec", dec_law()),
        ("_ToNat", tonat_law()),
        ("_Not", not_law()),
        ("_Bit", bit_law()),
        ("_And", and_law()),
        ("_Or", or_law()),
        ("_IsApp", isapp_law()),
        ("_IsNat", isnat_law()),
        ("_IsLaw", islaw_law()),
        ("_IsPin", ispin_law()),
    ] {
        let e = plan_syntax::parse(&law).expect("parse");
        let v = plan_syntax::build(&mut rt, &e);
        let v = rt.normalize(v).expect("law");
        rt.jets.accept(name, hash::hash_item(v));
    }
    if std::env::var("DIFF_TRACE").is_ok() {
        eprintln!("CASE {engine:?} {jets} {src}");
    }
    let e = plan_syntax::parse(src).expect("generated text parses");
    let v = plan_syntax::build(&mut rt, &e);
    rt.normalize(v).map(print::show).map_err(|c| c.kind)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Oracle and bytecode agree exactly (value or crash kind) under the same jet setting;
    /// with jets on and off the values agree and a crash is a crash (a jet may force its
    /// arguments in another order than its PLAN code, so which crash comes first may differ).
    #[test]
    fn engines_agree_on_generated_laws(src in program()) {
        let mut by_jets = Vec::new();
        for jets in [false, true] {
            let oracle = outcome(&src, Engine::Oracle, jets);
            let bytecode = outcome(&src, Engine::Bytecode, jets);
            prop_assert_eq!(&bytecode, &oracle, "jets={} on {}", jets, src);
            for jit_any in [false, true] {
                let jitted = outcome_with(&src, Engine::Bytecode, jets, true, jit_any);
                prop_assert_eq!(
                    &jitted, &oracle, "jit, any={}, jets={} on {}", jit_any, jets, src
                );
            }
            by_jets.push(oracle);
        }
        match (&by_jets[0], &by_jets[1]) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "jets on/off on {}", src),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "jets off {:?} vs on {:?} on {}", a, b, src),
        }
    }
}
