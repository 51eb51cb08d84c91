//! Strict loop arguments (runtime/src/bytecode/strict.rs): the rewrite applies where the law
//! evaluates the argument first, and every engine gives the same value or the same crash.

mod common;

use common::pallas;

const FILE: &str = "tests/sire/strict/loops.sire";

/// What `expr` gives in the scope of the test file: its value, or the crash.
fn outcome(flags: &[&str], expr: &str) -> String {
    let (out, err) = common::run_with_result(FILE, flags, expr);
    common::result_or_crash(&out, &err)
}

#[test]
fn strict_loop_arguments_keep_values_and_crashes() {
    for (expr, want) in [
        ("ack 2 3", "9"),
        ("ack 3 3", "61"),
        ("skip 3 5", "0"),
        ("o2 2 1", "crash: op 8 with argument 1"),
        ("o3 2 1", "crash: op 9 with argument 1"),
        ("o3 0 1", "0"),
        ("dep 3 2", "20"),
        ("dep2 3 1", "crash: op 9 with argument 3"),
    ] {
        for flags in [
            &["--engine", "oracle"][..],
            &["--jit", "off"][..],
            &["--jit", "always"][..],
            &["--jit", "always", "--jit-any"][..],
        ] {
            assert_eq!(outcome(flags, expr), want, "{expr} with {flags:?}");
        }
    }
}

#[test]
fn the_rewrite_applies_only_where_the_argument_is_evaluated_first() {
    let dis = |name: &str| pallas(&["bytecode", FILE, name]).1;
    assert!(dis("ack").contains("unless evaluated"), "{}", dis("ack"));
    assert!(dis("o3").contains("unless evaluated"), "{}", dis("o3"));
    assert!(dis("dep").contains("unless evaluated"), "{}", dis("dep"));
    assert!(!dis("skip").contains("unless evaluated"), "{}", dis("skip"));
}

/// Every combination of a few shapes of self-recursive law (which argument is evaluated
/// first, what the recursive call passes, what the base case returns), on ordinary and
/// crashing arguments: the oracle, the interpreter (with strict arguments) and the JIT agree
/// on every value and every crash.
#[test]
fn generated_self_recursive_laws_agree_everywhere() {
    use pallas::sire::session::Session;
    use pallas_runtime::native::JitMode;
    use pallas_runtime::{Config, Engine, Runtime};

    // How the law starts: which arguments it evaluates before looking at `a`.
    let firsts = [
        "",
        "_Seq b | ",
        "_Seq a | ",
        "_Seq b | _Seq a | ",
        "_Seq a | _Seq b | ",
    ];
    // The recursive call's arguments (the second is built lazily unless it is a nat op).
    let calls = [
        "(_Sub a 1) (9 b)",
        "(_Sub a 1) (k b)",
        "(9 a) (8 b)",
        "(_Sub a 1) (_Add b 1)",
        "(_Sub a 1) (k (k b))",
    ];
    // Tail call, or not.
    let wraps = [("", ""), ("_Add 1 (", ")")];
    let bases = ["b", "0", "a"];
    let inputs = ["0 1", "2 1", "2 (9 5)", "(9 4) 1"];
    let mut laws = Vec::new();
    for first in firsts {
        for call in calls {
            for (open, close) in wraps {
                for base in bases {
                    laws.push(format!(
                        "= (f a b) | {first}_If a ({open}f {call}{close}) {base}"
                    ));
                }
            }
        }
    }
    let configs = [
        (Engine::Oracle, JitMode::Off),
        (Engine::Bytecode, JitMode::Off),
        (Engine::Bytecode, JitMode::After(1)),
    ];
    let mut checked = 0;
    let mut rewritten = 0;
    for law in &laws {
        let mut seen: Vec<Vec<String>> = Vec::new();
        for (engine, jit) in configs {
            let mut rt = Runtime::new(Config {
                engine,
                jit,
                ..Config::default()
            });
            if jit != JitMode::Off {
                rt.native = pallas_jit::Jit::new(false).map(|j| Box::new(j) as _);
            }
            let mut s = Session::new(&mut rt);
            s.quiet();
            s.load_file(&mut rt, std::path::Path::new("sire/order.sire"))
                .expect("load order.sire");
            let src = format!("= (k x) | _Add x 1\n\n{law}\n");
            s.run_source(&mut rt, "<law>", &src, true, &mut |_| {})
                .unwrap_or_else(|f| panic!("{law}: {}", f.reason));
            if engine == Engine::Bytecode && jit == JitMode::Off {
                let st = s.state(&mut rt);
                let f = pallas::sire::state::lookup_val(&mut rt, st, "f")
                    .ok()
                    .flatten()
                    .expect("f");
                let law_value = match f.kind() {
                    Some(pallas_runtime::Kind::Pin(p)) => p.item(),
                    _ => f,
                };
                if rt
                    .disassemble(law_value)
                    .is_some_and(|d| d.contains("unless evaluated"))
                {
                    rewritten += 1;
                }
            }
            let results = inputs
                .iter()
                .map(|input| {
                    let expr = format!("\nresult=(f {input})\n");
                    match s.run_source(&mut rt, "<expr>", &expr, true, &mut |_| {}) {
                        Ok(()) => {
                            let st = s.state(&mut rt);
                            let v = pallas::sire::state::lookup_val(&mut rt, st, "result")
                                .ok()
                                .flatten()
                                .expect("result");
                            pallas_runtime::print::show(v)
                        }
                        Err(f) => format!("{} {}", f.reason, f.details.join(" ")),
                    }
                })
                .collect();
            seen.push(results);
        }
        for (i, r) in seen.iter().enumerate().skip(1) {
            assert_eq!(
                r, &seen[0],
                "{law}: {:?} disagrees with the oracle",
                configs[i]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, laws.len());
    // The rewrite must have been exercised, not just the lazy path.
    eprintln!("{rewritten} of {checked} laws got strict arguments");
    assert!(
        rewritten >= 12,
        "only {rewritten} laws got strict arguments"
    );
}
