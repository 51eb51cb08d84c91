//! Core evaluator tests: opcodes, laws, laziness, crashes, deep recursion, collection.

use pallas_runtime::{hash, order, print, Config, CrashKind, Engine, Runtime, Value};

/// Runs a test body once per engine (the oracle and the bytecode interpreter).
fn engines() -> [Engine; 2] {
    [Engine::Oracle, Engine::Bytecode]
}

fn rt_for(engine: Engine) -> Runtime {
    Runtime::new(Config {
        engine,
        ..Config::default()
    })
}

fn n(v: u64) -> Value {
    Value::small(v)
}

/// `(f x ...)` lazily.
fn app(rt: &mut Runtime, f: Value, xs: &[Value]) -> Value {
    rt.apply_lazy(f, xs)
}

/// Builds a law from a body value that is already normal.
fn law(rt: &mut Runtime, name: &str, arity: u64, body: Value) -> Value {
    let nm = rt.nat_str(name);
    rt.law(nm, n(arity), body)
}

fn eval(rt: &mut Runtime, v: Value) -> Value {
    rt.normalize(v).expect("no crash")
}

/// `(0 f x)` inside a law body: application.
fn ap(rt: &mut Runtime, f: Value, x: Value) -> Value {
    rt.partial(n(0), &[f, x])
}

/// `(2 x)` inside a law body: constant.
fn k(rt: &mut Runtime, x: Value) -> Value {
    rt.partial(n(2), &[x])
}

#[test]
fn increment_and_opcodes() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let v = app(&mut rt, n(3), &[n(99)]);
        assert_eq!(eval(&mut rt, v), n(100));
        // natCase: (2 z p 0) = z ; (2 z p 5) = p 4
        let v = app(&mut rt, n(2), &[n(7), n(3), n(0)]);
        assert_eq!(eval(&mut rt, v), n(7));
        let v = app(&mut rt, n(2), &[n(7), n(3), n(5)]);
        assert_eq!(eval(&mut rt, v), n(5));
        // increment of a non-nat is 1
        let l = law(&mut rt, "f", 1, n(0));
        let v = app(&mut rt, n(3), &[l]);
        assert_eq!(eval(&mut rt, v), n(1));
    }
}

#[test]
fn increment_crosses_into_bignats() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let big = rt.nat_u64(u64::MAX);
        let v = app(&mut rt, n(3), &[big]);
        let r = eval(&mut rt, v);
        assert_eq!(print::show(r), "18446744073709551616");
        let small_max = rt.nat_u64((1 << 63) - 1);
        let v = app(&mut rt, n(3), &[small_max]);
        let r = eval(&mut rt, v);
        assert_eq!(print::show(r), "9223372036854775808");
        assert!(!r.is_small());
    }
}

#[test]
fn reflection_with_op1() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // (1 p l a n x) on a nat calls (n x)
        let v = app(&mut rt, n(1), &[n(0), n(0), n(0), n(3), n(7)]);
        assert_eq!(eval(&mut rt, v), n(8));
        // on an app (0 7 9) calls (a (0 7) 9); with a = {r 2 1} that gives back (0 7).
        let x = rt.partial(n(0), &[n(7), n(9)]);
        let r = law(&mut rt, "r", 2, n(1));
        let v = app(&mut rt, n(1), &[n(0), n(0), r, n(0), x]);
        let got = eval(&mut rt, v);
        let want = rt.partial(n(0), &[n(7)]);
        assert!(order::equal(got, want), "{got:?}");
        // on a law calls (l name arity body)
        let l = law(&mut rt, "q", 3, n(0));
        let third = law(&mut rt, "t", 3, n(2));
        let v = app(&mut rt, n(1), &[n(0), third, n(0), n(0), l]);
        assert_eq!(eval(&mut rt, v), n(3));
    }
}

#[test]
fn arity_zero_law_crashes() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let v = app(&mut rt, n(0), &[n(1), n(0), n(0)]);
        let c = rt.normalize(v).unwrap_err();
        assert_eq!(c.kind, CrashKind::Plan);
        assert_eq!(c.op, n(0));
    }
}

#[test]
fn high_opcode_crashes_with_forced_argument() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let inner = app(&mut rt, n(3), &[n(4)]);
        let v = app(&mut rt, n(9), &[inner]);
        let c = rt.normalize(v).unwrap_err();
        assert_eq!(c.op, n(9));
        assert_eq!(c.arg, n(5));
    }
}

#[test]
fn law_call_and_self_reference() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // {f 2 2} returns its second argument.
        let f = law(&mut rt, "f", 2, n(2));
        let v = app(&mut rt, f, &[n(7), n(8)]);
        assert_eq!(eval(&mut rt, v), n(8));
        // {f 1 0} returns itself.
        let g = law(&mut rt, "g", 1, n(0));
        let v = app(&mut rt, g, &[n(1)]);
        let r = eval(&mut rt, v);
        assert!(order::equal(r, g));
    }
}

#[test]
fn letrec_bindings_see_each_other() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // {f 1 (1 (0 (2 3) 1) (1 (0 (2 3) 2) 3))}: let a = inc x ; b = inc a ; result b => x+2
        let k3 = k(&mut rt, n(3));
        let inc1 = ap(&mut rt, k3, n(1));
        let inc2 = ap(&mut rt, k3, n(2));
        let inner = rt.partial(n(1), &[inc2, n(3)]);
        let body = rt.partial(n(1), &[inc1, inner]);
        let f = law(&mut rt, "f", 1, body);
        let v = app(&mut rt, f, &[n(40)]);
        assert_eq!(eval(&mut rt, v), n(42));
    }
}

#[test]
fn laziness_unused_crash_is_not_forced() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // {k 2 1} ignores its second argument.
        let kk = law(&mut rt, "k", 2, n(1));
        let boom = app(&mut rt, n(9), &[n(9)]);
        let v = app(&mut rt, kk, &[n(5), boom]);
        assert_eq!(eval(&mut rt, v), n(5));
    }
}

#[test]
fn self_dependent_value_is_reported() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // {f 1 (1 (0 (2 3) 2) 2)}: let a = inc a ; a
        let k3 = k(&mut rt, n(3));
        let inc_a = ap(&mut rt, k3, n(2));
        let body = rt.partial(n(1), &[inc_a, n(2)]);
        let f = law(&mut rt, "f", 1, body);
        let v = app(&mut rt, f, &[n(0)]);
        let c = rt.normalize(v).unwrap_err();
        assert_eq!(c.kind, CrashKind::InfiniteLoop);
    }
}

/// `{f 1 (2 0 (C 3 f) x)}`: a non-tail recursion counting down to zero, adding one per level.
fn count_law(rt: &mut Runtime) -> Value {
    // C f g x = f (g x)
    let gx = ap(rt, n(2), n(3));
    let body_c = ap(rt, n(1), gx);
    let c = law(rt, "C", 3, body_c);
    let kc = k(rt, c);
    let k3 = k(rt, n(3));
    let c3 = ap(rt, kc, k3);
    let p = ap(rt, c3, n(0));
    let k2 = k(rt, n(2));
    let k0 = k(rt, n(0));
    let h = ap(rt, k2, k0);
    let h = ap(rt, h, p);
    let body = ap(rt, h, n(1));
    law(rt, "f", 1, body)
}

#[test]
fn million_deep_recursion_runs() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let f = count_law(&mut rt);
        let v = app(&mut rt, f, &[n(1_000_000)]);
        assert_eq!(eval(&mut rt, v), n(1_000_000));
    }
}

#[test]
fn too_deep_recursion_is_a_clean_crash() {
    for engine in engines() {
        let mut rt = Runtime::new(Config {
            max_frames: 100_000,
            engine,
            ..Config::default()
        });
        let f = count_law(&mut rt);
        let v = app(&mut rt, f, &[n(1_000_000)]);
        let c = rt.normalize(v).unwrap_err();
        assert_eq!(c.kind, CrashKind::StackExhausted);
        // The runtime stays usable after the crash, and the thunk can be re-run.
        let w = app(&mut rt, f, &[n(10)]);
        assert_eq!(eval(&mut rt, w), n(10));
    }
}

#[test]
fn collection_during_evaluation_keeps_live_values() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        rt.heap.threshold = 1 << 16;
        let f = count_law(&mut rt);
        rt.roots.push(f);
        for i in 0..20 {
            let v = app(&mut rt, f, &[n(20_000 + i)]);
            assert_eq!(eval(&mut rt, v), n(20_000 + i));
        }
        assert!(rt.heap.collections > 0, "the collector never ran");
    }
}

#[test]
fn if_law_hash_matches_the_reference() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // {"_If" 3 (0 (0 (0 (2 2) 3) (0 {0 2 1} 2)) 1)}
        let k2 = k(&mut rt, n(2));
        let a = ap(&mut rt, k2, n(3));
        let l021 = rt.law(n(0), n(2), n(1));
        let b = ap(&mut rt, l021, n(2));
        let ab = ap(&mut rt, a, b);
        let body = ap(&mut rt, ab, n(1));
        let f = law(&mut rt, "_If", 3, body);
        let p = rt.pin(f);
        assert_eq!(
            hash::base58(&hash::value_hash(p)),
            "CGWi51frV26N7KUBbso2WzBad8W2mbix6HaejVem5YaZ"
        );
    }
}

#[test]
fn row_hash_vector() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let r = rt.row(&[n(3), n(4)]);
        let h = hash::hex(&hash::hash_item(r));
        assert!(h.starts_with("c19ce7d1"), "{h}");
        assert!(h.ends_with("2572"), "{h}");
    }
}

#[test]
fn order_nat_pin_law_app() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        let l = law(&mut rt, "a", 1, n(0));
        let p = rt.pin(n(5));
        let a = rt.partial(n(0), &[n(1)]);
        let big = rt.nat_u64(u64::MAX);
        let sorted = [n(0), n(7), big, p, l, a];
        for i in 0..sorted.len() {
            for j in 0..sorted.len() {
                assert_eq!(
                    order::compare(sorted[i], sorted[j]),
                    i.cmp(&j),
                    "{i} vs {j}"
                );
            }
        }
        // Apps compare by arity first: (0 9) < (0 1 1)
        let short = rt.partial(n(0), &[n(9)]);
        let long = rt.partial(n(0), &[n(1), n(1)]);
        assert_eq!(order::compare(short, long), std::cmp::Ordering::Less);
    }
}

#[test]
fn row_constructors_built_by_opcode_zero_are_shared() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // `0 0 3 0 b a` builds the cow of size 2 and applies it: the row [a b].
        let v = app(&mut rt, n(0), &[n(0), n(3), n(0), n(8), n(7)]);
        let row = eval(&mut rt, v);
        assert_eq!(print::show(row), print::show(rt.row(&[n(7), n(8)])));
        let head = match row.kind() {
            Some(pallas_runtime::Kind::App(a)) => a.head,
            _ => panic!("a row is an application"),
        };
        // The constructor is the runtime's shared one, not a fresh law per call.
        assert_eq!(head, rt.cow(2));
        let v = app(&mut rt, n(0), &[n(0), n(3), n(0)]);
        assert_eq!(eval(&mut rt, v), rt.cow(2));
        // Other laws are still built fresh.
        let v = app(&mut rt, n(0), &[n(1), n(3), n(0)]);
        assert_ne!(eval(&mut rt, v), rt.cow(2));
    }
}

#[test]
fn thunks_of_any_number_of_arguments_evaluate() {
    for engine in engines() {
        let mut rt = rt_for(engine);
        // A law of arity k returning its last argument, applied lazily to k arguments: the
        // arguments live inside the thunk object, with the length in the header word or,
        // from 65535 arguments on, in a word of its own.
        for k in [1, 2, 3, 4, 9, 65534, 65535, 65536, 70000] {
            let l = law(&mut rt, "last", k, n(k));
            let xs: Vec<Value> = (0..k).map(|i| n(i + 10)).collect();
            let t = rt.heap.thunk(l, &xs);
            assert_eq!(eval(&mut rt, t), n(k + 9), "{k} arguments");
            // And a partial application of as many.
            let l = law(&mut rt, "more", k + 1, n(k));
            let p = rt.partial(l, &xs);
            match p.kind() {
                Some(pallas_runtime::Kind::App(a)) => assert_eq!(a.args(), &xs[..]),
                _ => panic!("not an application"),
            }
        }
    }
}

/// Whether freed memory is never reused (`PALLAS_GC_VERIFY`, a debugging mode): tests of
/// reuse say so and skip.
fn reuse_disabled(test: &str) -> bool {
    let off = std::env::var_os("PALLAS_GC_VERIFY").is_some();
    if off {
        eprintln!("*** SKIPPED {test}: PALLAS_GC_VERIFY never reuses freed memory");
    }
    off
}

#[test]
fn collected_memory_is_reused_by_new_objects() {
    if reuse_disabled("collected_memory_is_reused_by_new_objects") {
        return;
    }
    let mut rt = rt_for(Engine::Bytecode);
    let keep = rt.row(&[n(1), n(2), n(3)]);
    // Garbage: rows nothing refers to, some next to a live one of their size.
    let mut live = Vec::new();
    for i in 0..3000 {
        let r = rt.row(&[n(i), n(i + 1)]);
        if i % 1000 == 999 {
            live.push(r);
        }
    }
    live.push(keep);
    rt.collect(&live);
    let bytes = rt.heap.bytes();
    // New objects take the freed memory, and old and new values read back intact.
    let fresh: Vec<Value> = (0..2500).map(|i| rt.row(&[n(i), n(7)])).collect();
    assert_eq!(rt.heap.bytes(), bytes, "new blocks were taken");
    assert_eq!(print::show(keep), "({0 4 0} 3 2 1)");
    assert_eq!(print::show(live[0]), "({0 3 0} 1000 999)");
    for (i, v) in fresh.iter().enumerate() {
        assert_eq!(print::show(*v), format!("({{0 3 0}} 7 {i})"));
    }
}

#[test]
fn a_full_collection_gives_back_blocks_where_nothing_lives_without_reading_them() {
    if reuse_disabled("a_full_collection_gives_back_blocks_where_nothing_lives") {
        return;
    }
    let mut rt = rt_for(Engine::Bytecode);
    rt.collect(&[]);
    let base = rt.heap.last_stats.clone().expect("collected");
    // About 40 blocks of two-element rows (32-byte slots), of which one row is kept.
    let rows = 40 * 2000;
    let mut keep = Value::small(0);
    for i in 0..rows {
        let r = rt.row(&[n(i), n(i + 1)]);
        if i == rows / 2 {
            keep = r;
        }
    }
    rt.collect(&[keep]);
    let st = rt.heap.last_stats.clone().expect("collected");
    assert!(
        st.blocks_emptied >= 38,
        "{} blocks emptied",
        st.blocks_emptied
    );
    // Only blocks with something live are walked: the runtime's own objects and the one
    // row (plus the block the rows were being allocated in).
    assert!(
        st.blocks_walked <= base.blocks_walked + 2,
        "{} blocks walked, {} before the garbage",
        st.blocks_walked,
        base.blocks_walked
    );
    assert!(
        st.slots_read <= base.slots_read + 2 * 2046,
        "{} slots read, {} before the garbage",
        st.slots_read,
        base.slots_read
    );
    // The emptied blocks serve any size: 35 blocks' worth of five-element rows (56-byte
    // slots) takes no new memory from the system.
    let bytes = rt.heap.bytes();
    for i in 0..rows / 2 {
        rt.row(&[n(i), n(1), n(2), n(3), n(4)]);
    }
    assert_eq!(rt.heap.bytes(), bytes, "new blocks were taken");
    assert_eq!(
        print::show(keep),
        format!("({{0 3 0}} {} {})", rows / 2 + 1, rows / 2)
    );
}
