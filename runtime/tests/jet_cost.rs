//! The cost of a read jet must not grow with its argument. Timings cannot decide that in a
//! test, so this counts what a call allocates (Rust allocations and their bytes, through a
//! counting allocator, and heap objects): a read of a bar of 16 KB, a row, set or tab of
//! 16,000 elements or a nat of 16 KB must allocate exactly what the same read of one sixteen
//! times smaller does. A copy of the argument, the thing this guards against, allocates in
//! proportion to it; the builders checked at the end do, which shows that the counts see it.

mod lawdsl;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use lawdsl::Env;
use pallas_runtime::{Config, JetMismatch, Runtime, Value};

/// Counts the allocations of the thread that turned counting on.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: every call is passed to the system allocator unchanged; counting only adds to
// two atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if ON.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(new as u64, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const LAWS: &str = include_str!("jet_laws.plan");

fn runtime() -> (Runtime, Env) {
    let mut rt = Runtime::new(Config {
        jets: true,
        jet_mismatch: JetMismatch::Ignore,
        ..Config::default()
    });
    // No collection during the test (one in a counted window would count its own
    // allocations), whatever the environment asks for (`PALLAS_GC_STRESS`).
    rt.heap.threshold = usize::MAX;
    let mut env = Env::default();
    env.load(&mut rt, LAWS);
    for name in env.order.clone() {
        rt.force_jet(env.globals[&name], &name);
    }
    (rt, env)
}

/// What some calls allocated: Rust allocations, their bytes, heap objects.
#[derive(Debug, PartialEq, Clone, Copy)]
struct Cost {
    allocs: u64,
    bytes: u64,
    objects: u64,
}

/// Calls `f` on each argument list (after one call that is not counted, so that buffers the
/// evaluator keeps are grown already) and counts what the calls allocate.
fn cost(rt: &mut Runtime, f: Value, calls: &[Vec<Value>]) -> Cost {
    for args in calls {
        rt.roots.extend(args.iter().copied());
    }
    rt.call(f, &calls[0]).expect("warm-up call");
    let objects = rt.heap.total_allocs;
    ALLOCS.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
    ON.with(|c| c.set(true));
    for args in calls {
        std::hint::black_box(rt.call(f, args).expect("the jet runs"));
    }
    ON.with(|c| c.set(false));
    Cost {
        allocs: ALLOCS.load(Ordering::Relaxed),
        bytes: BYTES.load(Ordering::Relaxed),
        objects: rt.heap.total_allocs - objects,
    }
}

fn nat(i: usize) -> Value {
    Value::small(i as u64)
}

/// A jet and how to make its calls on an argument of size `n`.
type Case = (&'static str, fn(&mut Runtime, usize) -> Vec<Vec<Value>>);

fn bar(rt: &mut Runtime, n: usize) -> Value {
    let bytes: Vec<u8> = (0..n)
        .map(|i| if i % 16 == 15 { b'\n' } else { b'a' })
        .collect();
    rt.bar(&bytes)
}

fn row(rt: &mut Runtime, n: usize) -> Value {
    let xs: Vec<Value> = (0..n).map(nat).collect();
    rt.row(&xs)
}

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

fn big(rt: &mut Runtime, n: usize) -> Value {
    rt.nat_bytes(&vec![0xa5; n])
}

/// Positions to read at: the same count at every size, spread over the argument.
fn at(n: usize) -> impl Iterator<Item = usize> {
    (0..8).map(move |k| (k * 7919 + 13) % n)
}

fn reads() -> Vec<Case> {
    vec![
        ("isBar", |rt, n| vec![vec![bar(rt, n)]]),
        ("barLen", |rt, n| vec![vec![bar(rt, n)]]),
        ("barIsEmpty", |rt, n| vec![vec![bar(rt, n)]]),
        ("barIdx", |rt, n| {
            let b = bar(rt, n);
            at(n).map(|i| vec![nat(i), b]).collect()
        }),
        ("barElemIndexOff", |rt, n| {
            let b = bar(rt, n);
            at(n - 16).map(|i| vec![nat(10), nat(i), b]).collect()
        }),
        ("barSlice", |rt, n| {
            let b = bar(rt, n);
            at(n - 16).map(|i| vec![nat(i), nat(16), b]).collect()
        }),
        ("_BarSliceToNat", |rt, n| {
            let b = bar(rt, n);
            at(n - 8).map(|i| vec![nat(i), nat(6), b]).collect()
        }),
        ("_Met", |rt, n| vec![vec![big(rt, n)]]),
        ("_TestBit", |rt, n| {
            let x = big(rt, n);
            at(8 * n).map(|i| vec![nat(i), x]).collect()
        }),
        ("_BitSlice", |rt, n| {
            let x = big(rt, n);
            at(8 * n - 64).map(|i| vec![nat(i), nat(60), x]).collect()
        }),
        ("_Len", |rt, n| vec![vec![row(rt, n)]]),
        ("_Idx", |rt, n| {
            let r = row(rt, n);
            at(n).map(|i| vec![nat(i), r]).collect()
        }),
        ("_Get", |rt, n| {
            let r = row(rt, n);
            at(n).map(|i| vec![r, nat(i)]).collect()
        }),
        ("_Last", |rt, n| vec![vec![row(rt, n)]]),
        ("_DataTag", |rt, n| vec![vec![row(rt, n)]]),
        ("bsearch", |rt, n| {
            let r = row(rt, n);
            at(n).map(|i| vec![nat(i), r]).collect()
        }),
        ("setLen", |rt, n| vec![vec![set(rt, n)]]),
        ("setMin", |rt, n| vec![vec![set(rt, n)]]),
        ("setHas", |rt, n| {
            let s = set(rt, n);
            at(n).map(|i| vec![nat(i), s]).collect()
        }),
        ("_TabLen", |rt, n| vec![vec![tab(rt, n)]]),
        ("_TabKeys", |rt, n| vec![vec![tab(rt, n)]]),
        ("tabIdx", |rt, n| {
            let t = tab(rt, n);
            at(n).map(|i| vec![nat(2 * i), t]).collect()
        }),
        ("_TabHas", |rt, n| {
            let t = tab(rt, n);
            at(n).map(|i| vec![nat(i), t]).collect()
        }),
        ("_TabLookup", |rt, n| {
            let t = tab(rt, n);
            at(n).map(|i| vec![nat(2 * i), t]).collect()
        }),
    ]
}

/// Builders, which copy their argument: their counts must grow (so the counts can fail).
fn builders() -> Vec<Case> {
    vec![
        ("barWeld", |rt, n| {
            let b = bar(rt, n);
            vec![vec![b, b]]
        }),
        ("barNat", |rt, n| vec![vec![bar(rt, n)]]),
        ("tabIns", |rt, n| {
            let t = tab(rt, n);
            at(n).map(|i| vec![nat(2 * i + 1), nat(0), t]).collect()
        }),
    ]
}

fn size(name: &str) -> usize {
    if name.starts_with("bar") || name.starts_with("_B") || name == "_Met" || name == "_TestBit" {
        1024
    } else {
        1000
    }
}

#[test]
fn read_jets_allocate_the_same_whatever_the_size_of_their_argument() {
    let (mut rt, env) = runtime();
    let mut grew = Vec::new();
    for (name, make) in reads() {
        let f = env.globals[name];
        let n = size(name);
        let calls = make(&mut rt, n);
        let small = cost(&mut rt, f, &calls);
        let calls = make(&mut rt, 16 * n);
        let large = cost(&mut rt, f, &calls);
        if small != large {
            grew.push(format!("{name}: {small:?} at n = {n}, {large:?} at 16n"));
        }
    }
    assert!(
        grew.is_empty(),
        "reads whose cost grows with the argument:\n{}",
        grew.join("\n")
    );
    for (name, make) in builders() {
        let f = env.globals[name];
        let n = size(name);
        let calls = make(&mut rt, n);
        let small = cost(&mut rt, f, &calls);
        let calls = make(&mut rt, 16 * n);
        let large = cost(&mut rt, f, &calls);
        assert!(
            large.bytes >= 8 * small.bytes.max(1),
            "{name} copies its argument, so its bytes should grow: {small:?} then {large:?}"
        );
    }
}
