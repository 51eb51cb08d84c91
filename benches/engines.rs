//! Oracle evaluator vs. bytecode interpreter vs. JIT vs. native Rust on the same workloads,
//! as ratios measured in one run (best of several runs each; the JIT compiles each eligible
//! law on its first call, and compile time is included). Run with
//! `cargo bench --bench engines`.

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: pallas::Allocator = pallas::Allocator;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{add_law, fib_law, sub_law, IF};
use pallas::plan_syntax;
use pallas_runtime::{hash, Config, Engine, Runtime, Value};

/// count n = if n (count (sub n 1)) 0: a tight self-tail loop.
fn count_law() -> String {
    let sub = format!("<{}>", sub_law());
    let iff = format!("<{IF}>");
    format!("{{count 1 (0 (0 (0 {iff} 1) (0 0 (0 (0 {sub} 1) (2 1)))) (2 0))}}")
}

fn runtime(engine: Engine, jit: bool) -> Runtime {
    let mut rt = Runtime::new(Config {
        engine,
        jit: if jit {
            pallas_runtime::native::JitMode::After(1)
        } else {
            pallas_runtime::native::JitMode::Off
        },
        ..Config::default()
    });
    if jit {
        rt.native = pallas_jit::Jit::new(false).map(|j| Box::new(j) as _);
    }
    for (name, law) in [("_Add", add_law()), ("_Sub", sub_law())] {
        let e = plan_syntax::parse(&law).expect("parse");
        let v = plan_syntax::build(&mut rt, &e);
        let v = rt.normalize(v).expect("law");
        rt.jets.accept(name, hash::hash_item(v));
    }
    rt
}

fn time_plan(engine: Engine, jit: bool, law: &str, arg: u64, runs: usize) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut out = String::new();
    for _ in 0..runs {
        let mut rt = runtime(engine, jit);
        let e = plan_syntax::parse(law).expect("parse");
        let f = plan_syntax::build(&mut rt, &e);
        let f = rt.normalize(f).expect("law");
        let t = Instant::now();
        let r = rt.call(f, &[Value::small(arg)]).expect("no crash");
        best = best.min(t.elapsed());
        out = pallas_runtime::print::show(r);
    }
    (best, out)
}

fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn count(mut n: u64) -> u64 {
    while std::hint::black_box(n) != 0 {
        n -= 1;
    }
    n
}

fn time_native(f: fn(u64) -> u64, arg: u64, runs: usize) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = f(std::hint::black_box(arg));
        best = best.min(t.elapsed());
    }
    (best, out.to_string())
}

fn report(name: &str, law: &str, arg: u64, native: fn(u64) -> u64) {
    if std::env::var("BENCH_ONLY_BYTECODE").is_ok() {
        let (b, _) = time_plan(Engine::Bytecode, false, law, arg, 3);
        println!("{name:<12} bytecode {b:>9.2?}");
        return;
    }
    let (o, ro) = time_plan(Engine::Oracle, false, law, arg, 3);
    let (b, rb) = time_plan(Engine::Bytecode, false, law, arg, 3);
    let (j, rj) = time_plan(Engine::Bytecode, true, law, arg, 5);
    let (n, rn) = time_native(native, arg, 5);
    assert_eq!(ro, rb, "engines disagree");
    assert_eq!(rb, rj, "the JIT disagrees");
    assert_eq!(ro, rn, "PLAN and native disagree");
    let ns = n.as_secs_f64().max(1e-9);
    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "{name:<10} oracle {o:>9.2?} bytecode {b:>9.2?} jit {j:>9.2?} native {n:>9.2?} | oracle/bytecode {:>5.1}x  bytecode/jit {:>5.1}x  jit/native {:>5.1}x  bytecode/native {:>6.1}x",
        secs(o) / secs(b),
        secs(b) / secs(j),
        secs(j) / ns,
        secs(b) / ns
    );
}

fn main() {
    report("fib 25", &fib_law(), 25, fib);
    report("count 10M", &count_law(), 10_000_000, count);
}
