//! Comparisons are lazy, as the reference's `_Cmp` law is: both arguments go to weak head
//! normal form only, and parts are evaluated one at a time in application order, only as far
//! as the answer needs. Every comparison native is run against its PLAN law on arguments that
//! hold unevaluated, crashing, infinite and cyclic parts (built afresh for each run, so one
//! run's evaluation cannot help the other); the outcomes, crashes included, must agree.

mod lawdsl;

use lawdsl::{parse_all, Env};
use pallas_runtime::{Config, CrashKind, JetMismatch, Kind, Runtime, Value};

const LAWS: &str = include_str!("jet_laws.plan");

/// Laws for building lazy test values (our own).
const EXTRA: &str = "
(def rep (x) ((0 0 3 0) (rep x) x))
(def cyc (x) (let ((r ((0 0 3 0) r x))) r))
(def boom (x) (7 x))
";

const COMPARISONS: [&str; 9] = [
    "_Cmp", "_Eql", "_Neq", "_Lth", "_Lte", "_Gth", "_Gte", "_Min", "_Max",
];

fn setup() -> (Runtime, Env) {
    let mut rt = Runtime::new(Config {
        jets: true,
        jet_mismatch: JetMismatch::Ignore,
        max_frames: 20_000,
        ..Config::default()
    });
    let mut env = Env::default();
    env.load(&mut rt, LAWS);
    env.load(&mut rt, EXTRA);
    for name in env.order.clone() {
        rt.force_jet(env.globals[&name], &name);
    }
    (rt, env)
}

fn g(env: &Env, name: &str) -> Value {
    env.globals[name]
}

/// How many values [`pool`] builds.
const POOL: usize = 16;

/// Test arguments, built afresh (every thunk unevaluated). Entry 0-5 are finite and cannot
/// crash; the others hold a crash, an infinite or a cyclic part somewhere.
fn pool(rt: &mut Runtime, env: &Env) -> Vec<Value> {
    let lazy = |rt: &mut Runtime, f: Value, xs: &[Value]| rt.heap.thunk(f, xs);
    let boom = g(env, "boom");
    let rep = g(env, "rep");
    let cyc = g(env, "cyc");
    let k3 = g(env, "k3");
    let crash1 = lazy(rt, boom, &[Value::small(1)]);
    let crash2 = lazy(rt, boom, &[Value::small(2)]);
    let crash3 = lazy(rt, boom, &[Value::small(3)]);
    let inf = lazy(rt, rep, &[Value::small(3)]);
    let inf2 = lazy(rt, rep, &[Value::small(4)]);
    let cyc3 = lazy(rt, cyc, &[Value::small(3)]);
    let one = lazy(rt, g(env, "_Add"), &[Value::small(0), Value::small(1)]);
    let two = lazy(rt, g(env, "_Add"), &[Value::small(1), Value::small(1)]);
    let row12 = rt.row(&[one, two]);
    let row1c = rt.row(&[Value::small(1), crash1]);
    let rowc1 = rt.row(&[crash2, Value::small(1)]);
    let row_inf = rt.row(&[Value::small(1), inf]);
    let row2_inf = rt.row(&[Value::small(2), inf2]);
    let k3c = rt.partial(k3, &[crash3]);
    let k3one = rt.partial(k3, &[Value::small(1)]);
    let lazy_row = lazy(rt, g(env, "_Weld"), &[row12, row12]);
    let v = vec![
        Value::small(0),
        Value::small(1),
        row12,
        k3one,
        lazy_row,
        g(env, "k3"),
        crash1,
        row1c,
        rowc1,
        inf,
        row_inf,
        row2_inf,
        cyc3,
        k3c,
        crash2,
        one,
    ];
    assert_eq!(v.len(), POOL);
    v
}

/// The outcome of `f x y` to weak head normal form: the value's index in the pool when it
/// is one of the arguments (`_Min` and `_Max` answer one of them), its normal form when it is
/// a nat, or the crash.
fn outcome(rt: &mut Runtime, f: Value, x: Value, y: Value) -> String {
    match rt.call(f, &[x, y]) {
        Ok(v) if v.is_nat() => format!("{v:?}"),
        Ok(v) if v.deref() == x.deref() => "first".into(),
        Ok(v) if v.deref() == y.deref() => "second".into(),
        Ok(v) => format!("{v:?}"),
        Err(c) => match c.kind {
            CrashKind::Plan => format!("crash {:?} {:?}", c.op, c.arg),
            k => format!("{k:?}"),
        },
    }
}

fn jet_of(pin: Value) -> Option<u16> {
    match pin.kind() {
        Some(Kind::Pin(p)) => p.jet.get(),
        _ => None,
    }
}

fn set_jet(pin: Value, j: Option<u16>) {
    if let Some(Kind::Pin(p)) = pin.kind() {
        p.jet.set(j);
    }
}

#[test]
fn comparison_natives_agree_with_their_laws_on_lazy_arguments() {
    let (mut rt, env) = setup();
    let mut failures = Vec::new();
    let mut cases = 0;
    for name in COMPARISONS {
        let pin = g(&env, name);
        let jet = jet_of(pin);
        assert!(jet.is_some(), "{name}: no native attached");
        for i in 0..POOL {
            for j in 0..POOL {
                // A value compared with itself is equal at once natively (without looking
                // inside, as the reference's jet does), where the law walks it and meets
                // whatever crash or endless part it holds: such pairs are checked below.
                if i == j {
                    continue;
                }
                cases += 1;
                let held = rt.roots.len();
                let p = pool(&mut rt, &env);
                rt.roots.extend_from_slice(&p);
                let on = outcome(&mut rt, pin, p[i], p[j]);
                let p = pool(&mut rt, &env);
                rt.roots.extend_from_slice(&p);
                set_jet(pin, None);
                let off = outcome(&mut rt, pin, p[i], p[j]);
                set_jet(pin, jet);
                rt.roots.truncate(held);
                if on != off {
                    failures.push(format!("{name} #{i} #{j}: native {on}, law {off}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs `name x y` natively, each value given in the test DSL or as `#i`, entry `i` of one
/// [`pool`] (so `#i` twice is one value).
fn run(name: &str, x: &str, y: &str) -> String {
    let (mut rt, env) = setup();
    let p = pool(&mut rt, &env);
    rt.roots.extend_from_slice(&p);
    let build = |rt: &mut Runtime, src: &str| -> Value {
        match src.strip_prefix('#') {
            Some(i) => p[i.parse::<usize>().unwrap()],
            None => env.value(rt, &parse_all(src)[0]),
        }
    };
    let (xv, yv) = (build(&mut rt, x), build(&mut rt, y));
    rt.roots.extend([xv, yv]);
    outcome(&mut rt, g(&env, name), xv, yv)
}

#[test]
fn the_reference_rules_hold() {
    // A nat against a closure: decided without looking inside (#10 is `[1 (rep 3)]`).
    assert_eq!(run("_Eql", "0", "#10"), "0");
    assert_eq!(run("_Cmp", "0", "#10"), "0");
    // Closures of different sizes: no argument is evaluated (#7 holds a crash).
    assert_eq!(run("_Cmp", "#7", "[1 2 3]"), "0");
    // Different heads: no argument is evaluated (#13 is `k3 crash`).
    assert_eq!(run("_Eql", "#13", "[1]"), "0");
    // Equal heads and sizes: arguments in application order, the first difference wins. A
    // row's last element is its first argument: `[crash 1]` (#8) against `[9 2]` decides on
    // 1 < 2 and never evaluates the crash; `[1 crash]` (#7) against `[1 2]` meets the crash
    // first.
    assert_eq!(run("_Cmp", "#8", "[9 2]"), "0");
    assert_eq!(run("_Cmp", "#7", "[1 2]"), "crash 7 1");
    // A cyclic value against itself is equal without walking it; against a different
    // value, the first difference answers.
    assert_eq!(run("_Eql", "#12", "#12"), "1");
    assert_eq!(run("_Eql", "#7", "#7"), "1");
    assert_eq!(run("_Cmp", "#13", "#13"), "1");
    assert_eq!(run("_Eql", "#12", "[3 0]"), "0");
    assert_eq!(run("_Min", "#9", "#9"), "first");
    // `rep 3` against `[1 (rep 3)]`: rows compare their last elements first, so this walks
    // two infinite lists and stops at the depth limit (as the law does).
    assert_eq!(run("_Eql", "#9", "#10"), "StackExhausted");
}

#[test]
fn an_endless_comparison_can_be_interrupted() {
    let (mut rt, env) = setup();
    rt.config.max_frames = usize::MAX;
    let p = pool(&mut rt, &env);
    let q = pool(&mut rt, &env);
    rt.roots.extend(p.iter().chain(&q));
    let flag = rt.interrupt.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    // Two distinct cyclic lists of 3s are equal forever.
    let r = rt.call(g(&env, "_Eql"), &[p[12], q[12]]);
    stopper.join().unwrap();
    assert!(
        matches!(&r, Err(c) if c.kind == CrashKind::Interrupted),
        "{r:?}"
    );
}
