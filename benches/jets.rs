//! Jets on vs. off: the same pinned PLAN laws (the test suite's definitions) run with their
//! natives attached and detached. Prints the off/on time ratio of each operation.

#[path = "../runtime/tests/lawdsl/mod.rs"]
#[allow(dead_code)]
mod lawdsl;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use lawdsl::{parse_all, Env};
use pallas_runtime::{Config, JetMismatch, Runtime, Value};

const LAWS: &str = include_str!("../runtime/tests/jet_laws.plan");

fn runtime(jets: bool) -> (Runtime, Env) {
    let mut rt = Runtime::new(Config {
        jets: true,
        jet_mismatch: JetMismatch::Ignore,
        ..Config::default()
    });
    let mut env = Env::default();
    env.load(&mut rt, LAWS);
    for name in env.order.clone() {
        rt.force_jet(env.globals[&name], &name);
    }
    rt.config.jets = jets;
    (rt, env)
}

const CASES: &[(&str, &str)] = &[
    ("_Add", "1000 123456789"),
    ("_Mul", "30 1000"),
    ("_Cmp", "[1 2 [3 4] 5 6] [1 2 [3 4] 5 7]"),
    ("_Weld", "[1 2 3 4 5 6 7 8] [9 10 11 12 13 14 15 16]"),
    ("bsearch", "13 [1 3 5 7 9 11 13 15 17 19 21 23]"),
    (
        "tabIns",
        "6 60 ((0 1 2 [1 3 5 7 9 11]) [10 30 50 70 90 110])",
    ),
    ("tabIdx", "9 ((0 1 2 [1 3 5 7 9 11]) [10 30 50 70 90 110])"),
    ("setHas", "[2 3] (0 1 2 [[1] [2] [2 3] [4 5] [6]])"),
];

fn time(rt: &mut Runtime, f: Value, args: &[Value], iters: u32) -> Duration {
    let t = Instant::now();
    for _ in 0..iters {
        let r = rt.call_deep(f, args);
        assert!(r.is_ok());
    }
    t.elapsed()
}

fn bench(c: &mut Criterion) {
    for &(name, args) in CASES {
        let mut per_mode = Vec::new();
        for jets in [true, false] {
            let (mut rt, env) = runtime(jets);
            let f = env.globals[name];
            let xs: Vec<Value> = parse_all(args)
                .iter()
                .map(|s| env.value(&mut rt, s))
                .collect();
            let label = format!("{name} jets={}", if jets { "on" } else { "off" });
            c.bench_function(&label, |b| b.iter(|| rt.call_deep(f, &xs).is_ok()));
            per_mode.push(time(&mut rt, f, &xs, 200));
        }
        let ratio = per_mode[1].as_secs_f64() / per_mode[0].as_secs_f64().max(1e-9);
        println!("{name}: jets off / jets on = {ratio:.1}x");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(800));
    targets = bench
}
criterion_main!(benches);
