//! The oracle and the bytecode interpreter agree, with jets on and off, on programs that use
//! the control-flow and arithmetic jets the bytecode compiler turns into jumps and inline
//! operations.

mod common;

use common::{add_law, down_law, fib_law, sub_law};
use pallas::plan_syntax;
use pallas_runtime::{hash, order, print, Config, Engine, Runtime, Value};

/// Evaluates `src` in a runtime with the given engine and jets setting, accepting our own
/// `_Add`/`_Sub` hashes as those jets.
fn run(src: &str, engine: Engine, jets: bool) -> (Runtime, Value) {
    run_with(
        src,
        Config {
            engine,
            jets,
            ..Config::default()
        },
    )
}

/// `run` with any configuration.
fn run_with(src: &str, config: Config) -> (Runtime, Value) {
    let mut rt = Runtime::new(config);
    for (name, law) in [
        ("_Add", add_law()),
        ("_Sub", sub_law()),
        ("_Ifz", common::ifz_law()),
    ] {
        let e = plan_syntax::parse(&law).expect("parse");
        let v = plan_syntax::build(&mut rt, &e);
        let v = rt.normalize(v).expect("law");
        rt.jets.accept(name, hash::hash_item(v));
    }
    let e = plan_syntax::parse(src).expect("parse");
    let v = plan_syntax::build(&mut rt, &e);
    let v = rt.normalize(v).expect("no crash");
    (rt, v)
}

fn all_configs(src: &str) -> String {
    let mut results = Vec::new();
    for engine in [Engine::Oracle, Engine::Bytecode] {
        for jets in [false, true] {
            let (_rt, v) = run(src, engine, jets);
            results.push(((engine, jets), print::show(v)));
        }
    }
    for r in &results[1..] {
        assert_eq!(
            r.1, results[0].1,
            "{:?} disagrees with {:?}",
            r.0, results[0].0
        );
    }
    results[0].1.clone()
}

#[test]
fn fib_agrees_everywhere() {
    let fib = fib_law();
    for (n, want) in [(0, "0"), (1, "1"), (2, "1"), (10, "55"), (15, "610")] {
        assert_eq!(all_configs(&format!("({fib} {n})")), want);
    }
}

#[test]
fn jets_match_our_hashes() {
    let fib = fib_law();
    let (rt, _) = run(&format!("({fib} 3)"), Engine::Bytecode, true);
    let matched: Vec<&str> = rt
        .jets
        .events
        .iter()
        .filter(|e| e.matched)
        .map(|e| e.name.as_str())
        .collect();
    for name in ["_If", "_Add", "_Sub"] {
        assert!(matched.contains(&name), "{name} not matched: {matched:?}");
    }
}

#[test]
fn ifz_sends_non_nats_to_the_else_branch() {
    let ifz = common::ifz_law();
    // Called through a law so that the bytecode compiler sees `_Ifz` in head position.
    let wrap = format!("{{w 1 (0 (0 (0 (2 <{ifz}>) 1) (2 5)) (2 6))}}");
    for (arg, want) in [("0", "5"), ("3", "6"), ("{f 1 0}", "6"), ("(0 1)", "6")] {
        assert_eq!(all_configs(&format!("({wrap} {arg})")), want, "ifz {arg}");
    }
}

#[test]
fn non_nat_arguments_agree() {
    // add and sub of laws and apps read them as 0.
    let add = add_law();
    let sub = sub_law();
    for src in [
        format!("(<{add}> {{f 1 0}} 5)"),
        format!("(<{add}> (0 1) (0 2))"),
        format!("(<{sub}> 3 {{g 2 0}})"),
        format!("(<{sub}> 1000 2)"),
        format!("(<{sub}> 2 1000)"),
    ] {
        all_configs(&src);
    }
}

#[test]
fn bytecode_of_fib_uses_jumps_and_inline_ops() {
    let (mut rt, fib) = run(&fib_law(), Engine::Bytecode, true);
    let r = rt.call(fib, &[Value::small(6)]).expect("ok");
    assert!(order::equal(r, Value::small(8)));
    let Some(pallas_runtime::Kind::Law(l)) = fib.kind() else {
        panic!("not a law")
    };
    let text = l.bytecode.get().map(|b| b.to_string()).unwrap_or_default();
    assert!(text.contains("ifz"), "{text}");
    assert!(text.contains("_Sub"), "{text}");
    assert!(text.contains("_Add"), "{text}");
    assert!(
        !text.contains("call #<"),
        "known jets should be inline: {text}"
    );
}

#[test]
fn constants_live_in_registers_and_disassemble_as_constants() {
    let (mut rt, fib) = run(&fib_law(), Engine::Bytecode, true);
    rt.call(fib, &[Value::small(6)]).expect("ok");
    let Some(pallas_runtime::Kind::Law(l)) = fib.kind() else {
        panic!("not a law")
    };
    let bc = l.bytecode.get().expect("compiled");
    // The code the interpreter runs reads every operand from a register ...
    for ins in &bc.code {
        assert!(!ins.to_string().contains('#'), "a constant operand: {ins}");
    }
    // ... where fib's constants 1 and 2 live, and the disassembly shows them as constants.
    let consts: Vec<u64> = (0..bc.nregs)
        .filter_map(|r| bc.constant(r)?.as_small())
        .collect();
    assert!(consts.contains(&1) && consts.contains(&2), "{consts:?}");
    assert_eq!(bc.constant(1), None, "the argument register is no constant");
    // Temporaries that are never live together share registers: fib needs self, n and two
    // (`fib (n-1)` is live while `fib (n-2)` is computed), not one per intermediate value.
    let constants = (0..bc.nregs).filter(|r| bc.constant(*r).is_some()).count() as u32;
    assert_eq!(bc.nregs - constants, 4, "{bc}");
    let text = bc.to_string();
    assert!(text.contains("#1") && text.contains("#2"), "{text}");
    // The run form also has fib's self calls and subtractions as their own instructions;
    // the plain form (for the JIT and the disassembler) has them as calls and `Op2`s.
    use pallas_runtime::bytecode::Instr;
    let self_call = |i: &Instr| matches!(i, Instr::CallSelf { .. });
    let sub = |i: &Instr| matches!(i, Instr::Sub(_) | Instr::SubLazy(_));
    assert!(
        bc.code.iter().any(self_call) && bc.code.iter().any(sub),
        "{:?}",
        bc.code
    );
    let plain = bc.plain_code();
    assert!(!plain.iter().any(|i| self_call(i) || sub(i)), "{plain:?}");
    assert_eq!(plain.len(), bc.code.len());
}

/// `g n = let m = add n n in add m m`: `m` is used strictly twice.
fn let_used_twice_law() -> String {
    let add = format!("<{}>", add_law());
    format!("{{g 1 (1 (0 (0 (2 {add}) 1) 1) (0 (0 (2 {add}) 2) 2))}}")
}

#[test]
fn a_let_copied_into_a_register_is_read_where_it_lives() {
    let law = let_used_twice_law();
    assert_eq!(all_configs(&format!("({law} 5)")), "20");
    let (mut rt, g) = run(&law, Engine::Bytecode, true);
    rt.call(g, &[Value::small(3)]).expect("ok");
    let text = rt.disassemble(g).expect("a law");
    // Without copy propagation, the first strict use of `m` copies it into a register of its
    // own (`rX = rY`) before the second add.
    assert!(
        !text.lines().any(|l| {
            let rhs = l.rsplit('=').next().unwrap_or("").trim();
            l.contains('=') && rhs.starts_with('r') && rhs[1..].chars().all(|c| c.is_ascii_digit())
        }),
        "{text}"
    );
    assert!(text.matches("_Add").count() == 2, "{text}");
}

#[test]
fn deep_direct_recursion_runs_or_crashes_cleanly() {
    let (mut rt, down) = run(&down_law(), Engine::Bytecode, true);
    let r = rt.call(down, &[Value::small(1_000_000)]).expect("runs");
    assert!(order::equal(r, Value::small(1_000_000)));
    rt.config.max_frames = 10_000;
    let c = rt.call(down, &[Value::small(1_000_000)]).unwrap_err();
    assert_eq!(c.kind, pallas_runtime::CrashKind::StackExhausted);
    let r = rt.call(down, &[Value::small(100)]).expect("still usable");
    assert!(order::equal(r, Value::small(100)));
}

#[test]
fn running_out_of_register_room_is_a_clean_crash() {
    let config = Config {
        max_registers: 10_000,
        ..Config::default()
    };
    let (mut rt, down) = run_with(&down_law(), config);
    let c = rt.call(down, &[Value::small(1_000_000)]).unwrap_err();
    assert_eq!(c.kind, pallas_runtime::CrashKind::StackExhausted);
    let r = rt.call(down, &[Value::small(1000)]).expect("still usable");
    assert!(order::equal(r, Value::small(1000)));
}

#[test]
fn an_endless_self_loop_stops_when_interrupted() {
    // `spin n = spin (add n 1)`: a self tail call, run as a loop.
    let spin = format!("{{spin 1 (0 0 (0 (0 <{}> 1) (2 1)))}}", add_law());
    for engine in [Engine::Oracle, Engine::Bytecode] {
        let (mut rt, f) = run(&spin, engine, true);
        let flag = rt.interrupt.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let c = rt.call(f, &[Value::small(0)]).unwrap_err();
        stopper.join().expect("the stopper thread");
        assert_eq!(c.kind, pallas_runtime::CrashKind::Interrupted, "{engine:?}");
        rt.clear_interrupt();
    }
}

#[test]
fn collection_inside_bytecode_keeps_registers_alive() {
    for engine in [Engine::Oracle, Engine::Bytecode] {
        let (mut rt, fib) = run(&fib_law(), engine, false);
        rt.roots.push(fib);
        rt.heap.threshold = 1 << 14;
        let r = rt.call(fib, &[Value::small(14)]).expect("ok");
        assert!(order::equal(r, Value::small(377)), "{engine:?}");
        assert!(
            rt.heap.collections > 0,
            "{engine:?}: the collector never ran"
        );
    }
}

#[test]
#[ignore]
fn print_fib_bytecode() {
    let (mut rt, fib) = run(&fib_law(), Engine::Bytecode, true);
    rt.call(fib, &[Value::small(3)]).expect("ok");
    if let Some(pallas_runtime::Kind::Law(l)) = fib.kind() {
        println!("{}", l.bytecode.get().expect("compiled"));
    }
}

/// `g n = let m = add n n in if n (add m m) 0`: `m` is used twice, only in the then-arm.
fn sunk_let_law() -> String {
    let (add, iff) = (format!("<{}>", add_law()), format!("<{}>", common::IF));
    format!("{{g 1 (1 (0 (0 (2 {add}) 1) 1) (0 (0 (0 (2 {iff}) 1) (0 (0 (2 {add}) 2) 2)) (2 0)))}}")
}

#[test]
fn a_let_used_in_one_arm_is_built_only_there() {
    let (mut rt, g) = run(&sunk_let_law(), Engine::Bytecode, true);
    let r = rt.call(g, &[Value::small(5)]).expect("ok");
    assert!(order::equal(r, Value::small(20)));
    let r = rt.call(g, &[Value::small(0)]).expect("ok");
    assert!(order::equal(r, Value::small(0)));
    let text = rt.disassemble(g).expect("a law");
    let lines: Vec<&str> = text.lines().collect();
    let jump = lines
        .iter()
        .position(|l| l.contains("if"))
        .unwrap_or_else(|| panic!("no branch in:\n{text}"));
    let first_add = lines
        .iter()
        .position(|l| l.contains("_Add"))
        .expect("an add");
    assert!(
        jump < first_add,
        "the binding should be built after the branch:\n{text}"
    );
    let (mut oracle, g) = run(&sunk_let_law(), Engine::Oracle, true);
    let r = oracle.call(g, &[Value::small(5)]).expect("ok");
    assert!(order::equal(r, Value::small(20)));
}
