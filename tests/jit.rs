//! The JIT against the interpreter: the same laws, the same arguments, the same results, on
//! nat recursion, tight loops, overflow past the small-nat range (native code bails and the
//! interpreter finishes) and recursion deeper than native code may go.

mod common;

use common::{add_law, down_law, fib_law, sub_law, IF};
use pallas::plan_syntax;
use pallas_runtime::native::JitMode;
use pallas_runtime::{hash, print, Config, Runtime, Value};

/// A runtime that accepts our `_Add`/`_Sub` as jets, with or without the JIT (compiling
/// every eligible law on its first call, verifier on).
fn runtime(jit: bool) -> Runtime {
    let mut rt = Runtime::new(Config {
        jit: if jit { JitMode::After(1) } else { JitMode::Off },
        ..Config::default()
    });
    if jit {
        rt.native = Some(Box::new(
            pallas_jit::Jit::new(true).expect("a JIT for this host"),
        ));
    }
    for (name, law) in [("_Add", add_law()), ("_Sub", sub_law())] {
        let e = plan_syntax::parse(&law).expect("parse");
        let v = plan_syntax::build(&mut rt, &e);
        let v = rt.normalize(v).expect("law");
        rt.jets.accept(name, hash::hash_item(v));
    }
    rt
}

/// Calls `law` on `arg` with and without the JIT; returns both results as text and the JIT's
/// report.
fn both(law: &str, arg: u64) -> (String, String, String) {
    let mut out = Vec::new();
    let mut report = String::new();
    for jit in [false, true] {
        let mut rt = runtime(jit);
        let e = plan_syntax::parse(law).expect("parse");
        let f = plan_syntax::build(&mut rt, &e);
        let f = rt.normalize(f).expect("law");
        rt.roots.push(f);
        let r = rt.call_deep(f, &[Value::small(arg)]).expect("no crash");
        out.push(print::show(r));
        if let Some(n) = &rt.native {
            report = n.report();
        }
    }
    (out[0].clone(), out[1].clone(), report)
}

fn compiled(report: &str) -> u64 {
    report
        .strip_prefix("jit: ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected report: {report}"))
}

#[test]
fn fib_runs_natively_and_agrees() {
    let (interp, jit, report) = both(&fib_law(), 22);
    assert_eq!(interp, "17711");
    assert_eq!(jit, interp);
    assert!(compiled(&report) >= 1, "fib was not compiled: {report}");
}

/// count n = if n (count (sub n 1)) 0: a self tail loop.
fn count_law() -> String {
    let sub = format!("<{}>", sub_law());
    let iff = format!("<{IF}>");
    format!("{{count 1 (0 (0 (0 {iff} 1) (0 0 (0 (0 {sub} 1) (2 1)))) (2 0))}}")
}

#[test]
fn a_tight_loop_runs_natively_and_agrees() {
    let (interp, jit, report) = both(&count_law(), 1_000_000);
    assert_eq!(interp, "0");
    assert_eq!(jit, interp);
    assert!(compiled(&report) >= 1, "{report}");
}

/// dbl n x = if n (dbl (sub n 1) (add x x)) x: leaves the small-nat range for large n.
fn dbl_law() -> String {
    let (add, sub, iff) = (
        format!("<{}>", add_law()),
        format!("<{}>", sub_law()),
        format!("<{IF}>"),
    );
    format!("{{dbl 2 (0 (0 (0 {iff} 1) (0 (0 0 (0 (0 {sub} 1) (2 1))) (0 (0 {add} 2) 2))) 2)}}")
}

#[test]
fn overflow_bails_to_the_interpreter_with_the_same_result() {
    for n in [10u64, 62, 63, 64, 100] {
        let mut results = Vec::new();
        for jit in [false, true] {
            let mut rt = runtime(jit);
            let e = plan_syntax::parse(&dbl_law()).expect("parse");
            let f = plan_syntax::build(&mut rt, &e);
            let f = rt.normalize(f).expect("law");
            rt.roots.push(f);
            let r = rt
                .call_deep(f, &[Value::small(n), Value::small(1)])
                .expect("no crash");
            results.push(print::show(r));
            let want = num_bigint::BigUint::from(1u8) << n;
            assert_eq!(print::show(r), want.to_string(), "n={n} jit={jit}");
        }
        assert_eq!(results[0], results[1]);
    }
}

#[test]
fn recursion_deeper_than_native_code_may_go_finishes_in_the_interpreter() {
    let (interp, jit, _) = both(&down_law(), 200_000);
    assert_eq!(interp, "200000");
    assert_eq!(jit, interp);
}

#[test]
fn non_nat_arguments_stay_in_the_interpreter() {
    // fib applied to a row: the interpreter's answer (here 0 via the `_If` on a non-nat).
    for jit in [false, true] {
        let mut rt = runtime(jit);
        let e = plan_syntax::parse(&fib_law()).expect("parse");
        let f = plan_syntax::build(&mut rt, &e);
        let f = rt.normalize(f).expect("law");
        rt.roots.push(f);
        let row = rt.row(&[Value::small(1)]);
        let r = rt.call_deep(f, &[row]).expect("no crash");
        assert_eq!(print::show(r), "0", "jit={jit}");
    }
}

/// sumDbl n = if n (add (twice n) (sumDbl (sub n 1))) 0, where twice x = add x x is another
/// law: native code calls the other law's native code.
fn sum_dbl_law() -> String {
    let (add, sub, iff) = (
        format!("<{}>", add_law()),
        format!("<{}>", sub_law()),
        format!("<{IF}>"),
    );
    // With a let binding, so that the bytecode compiler does not inline it as a tiny law.
    let twice = format!("<{{twice 1 (1 (0 (0 {add} 1) 1) 2)}}>");
    format!(
        "{{sumDbl 1 (0 (0 (0 {iff} 1) (0 (0 {add} (0 {twice} 1)) (0 0 (0 (0 {sub} 1) (2 1))))) (2 0))}}"
    )
}

#[test]
fn native_code_calls_other_native_laws() {
    let (interp, jit, report) = both(&sum_dbl_law(), 3000);
    // 2 * (1 + 2 + ... + 3000)
    assert_eq!(interp, "9003000");
    assert_eq!(jit, interp);
    // twice, then sumDbl (which could only be compiled because twice was native first).
    assert_eq!(compiled(&report), 2, "{report}");
}
