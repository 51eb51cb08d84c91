//! The Sire workloads of sire/bench.sire under the reference evaluator (oracle), the
//! bytecode interpreter and the JIT, next to a native Rust version of the same algorithm,
//! as ratios measured in one run (best of several runs each). Also the time to load a large
//! generated Sire file under each engine, and the workloads of sire/bench_jit.sire (written in
//! the style of the reference's library) under the interpreter and the JIT. Then programs on
//! data (see `data_workloads.rs`) at n and 4n. Run with `cargo bench --bench workloads`; set
//! `BENCH_QUICK=1` for one run per mode, `BENCH_DATA_ONLY=1` for the programs on data only.

#[path = "data_workloads.rs"]
mod data_workloads;

use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: pallas::Allocator = pallas::Allocator;

use pallas::sire::session::Session;
use pallas::sire::state;
use pallas_runtime::native::JitMode;
use pallas_runtime::{print, Config, Engine, Runtime, Value};

/// The three ways of running PLAN.
#[derive(Clone, Copy)]
enum Mode {
    Oracle,
    Bytecode,
    Jit,
}

fn runtime(mode: Mode) -> Runtime {
    let jit = matches!(mode, Mode::Jit);
    let mut rt = Runtime::new(Config {
        engine: match mode {
            Mode::Oracle => Engine::Oracle,
            _ => Engine::Bytecode,
        },
        jit: if jit {
            JitMode::After(100)
        } else {
            JitMode::Off
        },
        ..Config::default()
    });
    if jit {
        rt.native = pallas_jit::Jit::new(false).map(|j| Box::new(j) as _);
    }
    rt
}

fn runs() -> usize {
    if std::env::var("BENCH_QUICK").is_ok() {
        1
    } else {
        7
    }
}

/// Loads sire/bench.sire, defines `main` as `expr`, and times calls of it.
fn time_sire(mode: Mode, expr: &str) -> (Duration, String) {
    time_sire_in("sire/bench.sire", mode, expr)
}

/// Loads `file`, defines `main` as `expr`, and times calls of it.
fn time_sire_in(file: &str, mode: Mode, expr: &str) -> (Duration, String) {
    let mut rt = runtime(mode);
    let mut s = Session::new(&mut rt);
    s.quiet();
    s.load_file(&mut rt, Path::new(file))
        .unwrap_or_else(|e| panic!("load {file}: {e}"));
    let src = format!("= (benchMain unused) | {expr}\n");
    s.run_source(&mut rt, "<bench>", &src, true, &mut |_| {})
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    let st = s.state(&mut rt);
    let f = state::lookup_val(&mut rt, st, "benchMain")
        .ok()
        .flatten()
        .expect("benchMain");
    rt.roots.push(f);
    let mut best = Duration::MAX;
    let mut out = String::new();
    for _ in 0..runs() {
        let t = Instant::now();
        let r = rt.call_deep(f, &[Value::small(0)]).expect("no crash");
        best = best.min(t.elapsed());
        out = print::show(r);
    }
    (best, out)
}

fn time_native(f: impl Fn() -> u64) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs() {
        let t = Instant::now();
        out = std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out.to_string())
}

fn report(expr: &str, native: impl Fn() -> u64) {
    let (o, ro) = time_sire(Mode::Oracle, expr);
    let (b, rb) = time_sire(Mode::Bytecode, expr);
    let (j, rj) = time_sire(Mode::Jit, expr);
    let (n, rn) = time_native(native);
    assert_eq!(ro, rb, "{expr}: engines disagree");
    assert_eq!(rb, rj, "{expr}: the JIT disagrees");
    assert_eq!(rb, rn, "{expr}: PLAN and native Rust disagree");
    let s = |d: Duration| d.as_secs_f64().max(1e-9);
    println!(
        "{expr:<18} oracle {o:>9.2?} bytecode {b:>9.2?} jit {j:>9.2?} native {n:>9.2?} | oracle/bytecode {:>5.1}x  bytecode/jit {:>5.1}x  jit/native {:>6.1}x  bytecode/native {:>6.1}x",
        s(o) / s(b),
        s(b) / s(j),
        s(j) / s(n),
        s(b) / s(n)
    );
}

/// A workload of sire/bench_jit.sire (code in the style of the reference's library:
/// arithmetic through names bound to the jets, the increment opcode as a function, folds
/// with closures): the interpreter against the JIT.
fn report_library_style(expr: &str) {
    let file = "sire/bench_jit.sire";
    let (b, rb) = time_sire_in(file, Mode::Bytecode, expr);
    let (j, rj) = time_sire_in(file, Mode::Jit, expr);
    assert_eq!(rb, rj, "{expr}: the JIT disagrees");
    let s = |d: Duration| d.as_secs_f64().max(1e-9);
    println!(
        "{expr:<18} bytecode {b:>9.2?} jit {j:>9.2?} | bytecode/jit {:>5.1}x   (library style)",
        s(b) / s(j)
    );
}

// Native versions of the same algorithms.

fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn ackermann(m: u64, n: u64) -> u64 {
    match (m, n) {
        (0, n) => n + 1,
        (m, 0) => ackermann(m - 1, 1),
        (m, n) => ackermann(m - 1, ackermann(m, n - 1)),
    }
}

/// The sieve on lists: keep the head, filter its multiples out of the rest.
fn primes(n: u64) -> u64 {
    let mut l: Vec<u64> = (2..n).collect();
    let mut count = 0;
    while let Some((&p, rest)) = l.split_first() {
        count += 1;
        l = rest.iter().copied().filter(|x| x % p != 0).collect();
    }
    count
}

/// An immutable cons list, as in PLAN.
enum List {
    Nil,
    Cons(u64, Rc<List>),
}

fn weld(a: &Rc<List>, b: Rc<List>) -> Rc<List> {
    match &**a {
        List::Nil => b,
        List::Cons(h, t) => Rc::new(List::Cons(*h, weld(t, b))),
    }
}

fn nrev_list(l: &Rc<List>) -> Rc<List> {
    match &**l {
        List::Nil => Rc::new(List::Nil),
        List::Cons(h, t) => weld(&nrev_list(t), Rc::new(List::Cons(*h, Rc::new(List::Nil)))),
    }
}

fn nrev(n: u64) -> u64 {
    let mut l = Rc::new(List::Nil);
    for i in (0..n).rev() {
        l = Rc::new(List::Cons(i, l));
    }
    let mut r = nrev_list(&l);
    let mut sum = 0;
    while let List::Cons(h, t) = &*r {
        sum += h;
        r = t.clone();
    }
    sum
}

/// Sorted keys and their values; `i * 7919 mod n` inserted for each `i`.
fn tab_inserts(n: u64) -> u64 {
    let (mut keys, mut vals): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for i in 0..n {
        let k = i * 7919 % n;
        match keys.binary_search(&k) {
            Ok(at) => vals[at] = i,
            Err(at) => {
                keys.insert(at, k);
                vals.insert(at, i);
            }
        }
    }
    keys.len() as u64
}

/// The same fixed-point iteration as `mandelIter`, with signed machine integers.
fn mandel(w: i64, h: i64, max: i64) -> u64 {
    let mut total = 0;
    for py in 0..h {
        for px in 0..w {
            let cx = px * 3072 / w - 2048;
            let cy = py * 2048 / h - 1024;
            let (mut x, mut y, mut i) = (0i64, 0i64, 0);
            loop {
                let (ax, ay) = (x.abs(), y.abs());
                let (x2, y2) = (ax * ax / 1024, ay * ay / 1024);
                if i >= max || x2 + y2 > 4096 {
                    break;
                }
                let xy = 2 * ax * ay / 1024;
                let xy = if (x >= 0) == (y >= 0) { xy } else { -xy };
                (x, y, i) = (x2 - y2 + cx, xy + cy, i + 1);
            }
            total += i as u64;
        }
    }
    total
}

/// A standalone Sire module of `n` definitions, each using the one before, with assertions.
fn large_file(n: usize) -> String {
    let mut s = String::from("#### biggen\n\n= (inc x) | 3 x\n\n= (f0 x) | inc x\n");
    for i in 1..n {
        s += &format!("\n; Step {i}.\n= (f{i} x) | f{} (inc x)\n", i - 1);
        if i % 10 == 0 {
            s += &format!("\n=?= {} | f{i} 0\n", i + 1);
        }
    }
    s
}

fn report_load(n: usize) {
    let dir = std::env::temp_dir().join(format!("pallas-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("biggen.sire");
    std::fs::write(&path, large_file(n)).expect("write");
    let mut times = Vec::new();
    for mode in [Mode::Oracle, Mode::Bytecode, Mode::Jit] {
        let mut best = Duration::MAX;
        for _ in 0..runs() {
            let mut rt = runtime(mode);
            let mut s = Session::new(&mut rt);
            s.quiet();
            let t = Instant::now();
            s.load_file(&mut rt, &path).expect("load");
            best = best.min(t.elapsed());
        }
        times.push(best);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let s = |d: Duration| d.as_secs_f64().max(1e-9);
    println!(
        "{:<18} oracle {:>9.2?} bytecode {:>9.2?} jit {:>9.2?} native       n/a | oracle/bytecode {:>5.1}x  bytecode/jit {:>5.1}x",
        format!("load {n} defs"),
        times[0],
        times[1],
        times[2],
        s(times[0]) / s(times[1]),
        s(times[1]) / s(times[2])
    );
}

fn main() {
    pallas::tune_allocator();
    if data_workloads::child(|| runtime(Mode::Jit)) {
        return;
    }
    if std::env::var("BENCH_DATA_ONLY").is_ok() {
        data_workloads::report(runs().min(3));
        return;
    }
    use std::hint::black_box as bb;
    report("fib 25", || fib(bb(25)));
    report("ackermann 2 300", || ackermann(bb(2), bb(300)));
    report("triangle 0 1000000", || {
        (1..=bb(1_000_000u64)).fold(0, |a, x| bb(a + x))
    });
    report("primes 3000", || primes(bb(3000)));
    report("nrev 400", || nrev(bb(400)));
    report("tabInserts 1000", || tab_inserts(bb(1000)));
    report("mandel 60 40 64", || mandel(bb(60), bb(40), bb(64)));
    for expr in [
        "sumSeq 0 200000",
        "ack 2 300",
        "fibL 22",
        "sumSquares 50000",
        "listWork 50000",
        "tabWork 3000",
    ] {
        report_library_style(expr);
    }
    report_load(3000);
    data_workloads::report(runs().min(3));
}
