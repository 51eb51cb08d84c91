//! How the cost of each data-jet family grows with its argument: every native timed on a
//! value of size n and of size 16n (bars of 1 KB and 16 KB, rows, sets and tabs of 1,000 and
//! 16,000 elements, nats of 1 KB and 16 KB), with the growth ratio. A constant-time read may
//! grow by at most 1.5x and a logarithmic one (a binary search) by at most 2x; builders copy
//! their argument once, so they grow about 16x. Run with `cargo bench --bench scaling`
//! (`BENCH_QUICK=1` for shorter runs, `SCALING_ONLY=barIdx,tabIns` for some jets only). Exits
//! with status 1 when a read is over its bound.

#[path = "../runtime/tests/lawdsl/mod.rs"]
#[allow(dead_code)]
mod lawdsl;

use std::time::{Duration, Instant};

use lawdsl::Env;
use pallas_runtime::{Config, JetMismatch, Runtime, Value};

const LAWS: &str = include_str!("../runtime/tests/jet_laws.plan");

// The allocator of the `pallas` binary, so that builders allocate as they do there.
#[global_allocator]
static GLOBAL: pallas::Allocator = pallas::Allocator;

/// How a family's cost may grow from n to 16n.
#[derive(Clone, Copy, PartialEq)]
enum Bound {
    /// A read that does not depend on the size: at most 1.5x.
    Constant,
    /// A binary search: at most 2x.
    Log,
    /// A builder that copies its argument once: about 16x (reported, not bounded).
    Linear,
}

impl Bound {
    fn limit(self) -> Option<f64> {
        match self {
            Bound::Constant => Some(1.5),
            Bound::Log => Some(2.0),
            Bound::Linear => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Bound::Constant => "O(1)",
            Bound::Log => "O(log n)",
            Bound::Linear => "O(n)",
        }
    }
}

/// The values a case is run on at one size: its argument lists, used in turn.
struct Inputs {
    calls: Vec<Vec<Value>>,
}

/// One case: a family, the jet, its bound and how to make its arguments at size `n`.
struct Case {
    family: &'static str,
    jet: &'static str,
    bound: Bound,
    make: fn(&mut Runtime, usize) -> Inputs,
}

fn runtime() -> (Runtime, Env) {
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
    (rt, env)
}

/// Positions spread over `0..n` (a fixed scramble, so that no two calls read the same
/// place in a row).
fn spread(n: usize, count: usize) -> impl Iterator<Item = usize> {
    (0..count).map(move |k| (k * 7919 + 13) % n)
}

const PROBES: usize = 64;

fn nat(i: usize) -> Value {
    Value::small(i as u64)
}

/// A bar of `n` bytes: text with a newline every 16 bytes.
fn text_bar(rt: &mut Runtime, n: usize) -> Value {
    let bytes: Vec<u8> = (0..n)
        .map(|i| {
            if i % 16 == 15 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            }
        })
        .collect();
    rt.bar(&bytes)
}

/// The row `[0 1 ... n-1]`.
fn row(rt: &mut Runtime, n: usize) -> Value {
    let xs: Vec<Value> = (0..n).map(nat).collect();
    rt.row(&xs)
}

/// The keys `0 2 4 ... 2(n-1)` (even, so odd ones are absent).
fn keys(n: usize) -> Vec<Value> {
    (0..n).map(|i| nat(2 * i)).collect()
}

fn set(rt: &mut Runtime, n: usize) -> Value {
    rt.set_from_sorted(&keys(n))
}

fn tab(rt: &mut Runtime, n: usize) -> Value {
    let vals: Vec<Value> = (0..n).map(|i| nat(i + 1)).collect();
    rt.tab_from_sorted(&keys(n), &vals)
}

/// A nat of `n` bytes (all bits set).
fn big_nat(rt: &mut Runtime, n: usize) -> Value {
    rt.nat_bytes(&vec![0xff; n])
}

/// The same argument list for every call.
fn same(args: Vec<Value>) -> Inputs {
    Inputs { calls: vec![args] }
}

/// One call per probe position.
fn each(n: usize, f: impl Fn(usize) -> Vec<Value>) -> Inputs {
    Inputs {
        calls: spread(n, PROBES).map(f).collect(),
    }
}

fn cases() -> Vec<Case> {
    vec![
        // Bars: reads.
        Case {
            family: "bar read",
            jet: "isBar",
            bound: Bound::Constant,
            make: |rt, n| same(vec![text_bar(rt, n)]),
        },
        Case {
            family: "bar read",
            jet: "barLen",
            bound: Bound::Constant,
            make: |rt, n| same(vec![text_bar(rt, n)]),
        },
        Case {
            family: "bar read",
            jet: "barIdx",
            bound: Bound::Constant,
            make: |rt, n| {
                let b = text_bar(rt, n);
                each(n, |i| vec![nat(i), b])
            },
        },
        Case {
            family: "bar read",
            jet: "barElemIndexOff",
            bound: Bound::Constant,
            // The next newline is at most 16 bytes on.
            make: |rt, n| {
                let b = text_bar(rt, n);
                each(n - 16, |i| vec![nat(b'\n' as usize), nat(i), b])
            },
        },
        Case {
            family: "bar read",
            jet: "_BarSliceToNat",
            bound: Bound::Constant,
            make: |rt, n| {
                let b = text_bar(rt, n);
                each(n - 8, |i| vec![nat(i), nat(8), b])
            },
        },
        // Bars: builders.
        Case {
            family: "bar build",
            jet: "barSlice",
            bound: Bound::Constant,
            // A slice of 16 bytes copies 16 bytes, whatever the bar.
            make: |rt, n| {
                let b = text_bar(rt, n);
                each(n - 16, |i| vec![nat(i), nat(16), b])
            },
        },
        Case {
            family: "bar build",
            jet: "barWeld",
            bound: Bound::Linear,
            make: |rt, n| {
                let b = text_bar(rt, n);
                same(vec![b, b])
            },
        },
        Case {
            family: "bar build",
            jet: "barNat",
            bound: Bound::Linear,
            make: |rt, n| same(vec![text_bar(rt, n)]),
        },
        // Nats: reads of a big nat.
        Case {
            family: "nat read",
            jet: "_Met",
            bound: Bound::Constant,
            make: |rt, n| same(vec![big_nat(rt, n)]),
        },
        Case {
            family: "nat read",
            jet: "_TestBit",
            bound: Bound::Constant,
            make: |rt, n| {
                let x = big_nat(rt, n);
                each(8 * n, |i| vec![nat(i), x])
            },
        },
        Case {
            family: "nat read",
            jet: "_BitSlice",
            bound: Bound::Constant,
            make: |rt, n| {
                let x = big_nat(rt, n);
                each(8 * n - 64, |i| vec![nat(i), nat(64), x])
            },
        },
        // Rows.
        Case {
            family: "row read",
            jet: "_Len",
            bound: Bound::Constant,
            make: |rt, n| same(vec![row(rt, n)]),
        },
        Case {
            family: "row read",
            jet: "_Idx",
            bound: Bound::Constant,
            make: |rt, n| {
                let r = row(rt, n);
                each(n, |i| vec![nat(i), r])
            },
        },
        Case {
            family: "row read",
            jet: "_Get",
            bound: Bound::Constant,
            make: |rt, n| {
                let r = row(rt, n);
                each(n, |i| vec![r, nat(i)])
            },
        },
        Case {
            family: "row read",
            jet: "_Last",
            bound: Bound::Constant,
            make: |rt, n| same(vec![row(rt, n)]),
        },
        Case {
            family: "row search",
            jet: "bsearch",
            bound: Bound::Log,
            make: |rt, n| {
                let r = row(rt, n);
                each(n, |i| vec![nat(i), r])
            },
        },
        Case {
            family: "row build",
            jet: "_Put",
            bound: Bound::Linear,
            make: |rt, n| {
                let r = row(rt, n);
                each(n, |i| vec![r, nat(i), nat(7)])
            },
        },
        Case {
            family: "row build",
            jet: "rowSnoc",
            bound: Bound::Linear,
            make: |rt, n| same(vec![row(rt, n), nat(7)]),
        },
        // Sets.
        Case {
            family: "set read",
            jet: "setLen",
            bound: Bound::Constant,
            make: |rt, n| same(vec![set(rt, n)]),
        },
        Case {
            family: "set read",
            jet: "setMin",
            bound: Bound::Constant,
            make: |rt, n| same(vec![set(rt, n)]),
        },
        Case {
            family: "set search",
            jet: "setHas",
            bound: Bound::Log,
            make: |rt, n| {
                let s = set(rt, n);
                each(n, |i| vec![nat(2 * i), s])
            },
        },
        Case {
            family: "set build",
            jet: "setIns",
            bound: Bound::Linear,
            make: |rt, n| {
                let s = set(rt, n);
                each(n, |i| vec![nat(2 * i + 1), s])
            },
        },
        // Tabs.
        Case {
            family: "tab read",
            jet: "_TabLen",
            bound: Bound::Constant,
            make: |rt, n| same(vec![tab(rt, n)]),
        },
        Case {
            family: "tab read",
            jet: "_TabKeys",
            bound: Bound::Constant,
            make: |rt, n| same(vec![tab(rt, n)]),
        },
        Case {
            family: "tab search",
            jet: "tabIdx",
            bound: Bound::Log,
            make: |rt, n| {
                let t = tab(rt, n);
                each(n, |i| vec![nat(2 * i), t])
            },
        },
        Case {
            family: "tab search",
            jet: "_TabHas",
            bound: Bound::Log,
            make: |rt, n| {
                let t = tab(rt, n);
                each(n, |i| vec![nat(2 * i + 1), t])
            },
        },
        Case {
            family: "tab search",
            jet: "_TabLookup",
            bound: Bound::Log,
            make: |rt, n| {
                let t = tab(rt, n);
                each(n, |i| vec![nat(2 * i), t])
            },
        },
        Case {
            family: "tab build",
            jet: "tabIns",
            bound: Bound::Linear,
            make: |rt, n| {
                let t = tab(rt, n);
                each(n, |i| vec![nat(2 * i + 1), nat(0), t])
            },
        },
    ]
}

/// The size `n` of a case: bytes for bars and nats, elements for rows, sets and tabs.
fn base_size(family: &str) -> usize {
    if family.starts_with("bar") || family.starts_with("nat") {
        1024
    } else {
        1000
    }
}

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok()
}

/// The best time per call over several batches of calls of `f` on the inputs in turn.
fn per_call(rt: &mut Runtime, f: Value, inputs: &Inputs) -> Duration {
    let (batches, min) = if quick() {
        (3, Duration::from_millis(10))
    } else {
        (7, Duration::from_millis(40))
    };
    // Calls per batch: enough for `min`.
    let mut calls = inputs.calls.len();
    loop {
        let t = Instant::now();
        run(rt, f, inputs, calls);
        if t.elapsed() >= min || calls >= 1 << 24 {
            break;
        }
        calls *= 2;
    }
    let mut best = Duration::MAX;
    for _ in 0..batches {
        let t = Instant::now();
        run(rt, f, inputs, calls);
        best = best.min(t.elapsed() / calls as u32);
    }
    best
}

fn run(rt: &mut Runtime, f: Value, inputs: &Inputs, calls: usize) {
    for args in inputs.calls.iter().cycle().take(calls) {
        let r = rt.call(f, args).expect("the jet runs");
        std::hint::black_box(r);
    }
}

fn main() {
    pallas::tune_allocator();
    let (mut rt, env) = runtime();
    println!(
        "{:<11} {:<16} {:>7} {:>11} {:>11} {:>7}  {:<9} verdict",
        "family", "jet", "n", "t(n)", "t(16n)", "ratio", "bound"
    );
    let mut over = Vec::new();
    let only = std::env::var("SCALING_ONLY").ok();
    for case in cases() {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|x| x == case.jet))
        {
            continue;
        }
        let f = env.globals[case.jet];
        let n = base_size(case.family);
        let mut times = Vec::new();
        for size in [n, 16 * n] {
            let inputs = (case.make)(&mut rt, size);
            let base = rt.roots.len();
            for args in &inputs.calls {
                rt.roots.extend(args.iter().copied());
            }
            times.push(per_call(&mut rt, f, &inputs));
            rt.roots.truncate(base);
        }
        let ratio = times[1].as_secs_f64() / times[0].as_secs_f64().max(1e-12);
        let verdict = match case.bound.limit() {
            Some(l) if ratio <= l => format!("within {l}x"),
            Some(l) => {
                over.push(case.jet);
                format!("OVER {l}x")
            }
            None => "(copies once)".to_string(),
        };
        println!(
            "{:<11} {:<16} {:>7} {:>11.1?} {:>11.1?} {:>6.2}x  {:<9} {verdict}",
            case.family,
            case.jet,
            n,
            times[0],
            times[1],
            ratio,
            case.bound.name()
        );
    }
    if over.is_empty() {
        println!("every read is within its bound");
    } else {
        println!("over their bound: {}", over.join(", "));
        std::process::exit(1);
    }
}
