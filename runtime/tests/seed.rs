//! Seeds: the reference's test vectors and round trips over generated values.

use pallas_runtime::{hash, order, seed, Runtime, Value};
use proptest::prelude::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `I = <(S K K)>` as the reference's sire_22_seed.sire builds it: S and K are the pinned
/// laws `{S 3 ((1 3) (2 3))}` and `{K 2 1}`.
fn s_k_k(rt: &mut Runtime) -> Value {
    let n = |x: u64| Value::small(x);
    let ap = |rt: &mut Runtime, f: Value, x: Value| rt.partial(n(0), &[f, x]);
    let s_name = rt.nat_str("S");
    let k_name = rt.nat_str("K");
    let b13 = ap(rt, n(1), n(3));
    let b23 = ap(rt, n(2), n(3));
    let body = ap(rt, b13, b23);
    let s = rt.law(s_name, n(3), body);
    let s = rt.pin(s);
    let k = rt.law(k_name, n(2), n(1));
    let k = rt.pin(k);
    let skk = rt.partial(s, &[k, k]);
    rt.pin(skk)
}

#[test]
fn i_seed_matches_the_reference_bytes() {
    let mut rt = Runtime::default();
    let i = s_k_k(&mut rt);
    let bytes = seed::save(i);
    // The reference's iSeed (sire_22_seed.sire), as one hex string.
    let want = concat!(
        "0000000000000000",
        "0000000000000000",
        "0000000000000000",
        "0700000000000000",
        "0200000000000000",
        "534b040302010074",
        "16543a9dc1e6596d",
        "4673070000000000"
    );
    assert_eq!(hex(&bytes), want);
    let back = seed::load(&mut rt, &bytes).expect("loads");
    assert!(order::equal(back, i));
}

#[test]
fn i_germ_matches_the_reference_bytes() {
    let mut rt = Runtime::default();
    let i = s_k_k(&mut rt);
    let Some(pallas_runtime::Kind::Pin(p)) = i.kind() else {
        panic!("pin")
    };
    let refs: Vec<hash::Hash> = match p.item().kind() {
        Some(pallas_runtime::Kind::App(a)) => {
            let mut hs: Vec<hash::Hash> = Vec::new();
            for v in std::iter::once(a.head).chain(a.args().iter().copied()) {
                if let Some(pallas_runtime::Kind::Pin(q)) = v.deref().kind() {
                    if !hs.contains(&q.hash) {
                        hs.push(q.hash);
                    }
                }
            }
            hs
        }
        _ => Vec::new(),
    };
    let germ = seed::save_with_holes(p.item(), &refs);
    let want = concat!(
        "0200000000000000",
        "0000000000000000",
        "0000000000000000",
        "0000000000000000",
        "0100000000000000",
        "5100000000000000"
    );
    assert_eq!(hex(&germ), want);
}

#[test]
fn malformed_seeds_are_errors_not_panics() {
    let mut rt = Runtime::default();
    for bad in [
        vec![],
        vec![1, 2, 3],
        vec![0u8; 40],
        {
            let mut v = vec![0u8; 40];
            v[32] = 1; // one fragment, no bits
            v
        },
        {
            let mut v = vec![0u8; 48];
            v[8] = 0xff; // absurd count of big nats
            v
        },
    ] {
        let _ = seed::load(&mut rt, &bad);
    }
}

#[derive(Debug, Clone)]
enum Gen {
    Nat(u64),
    Big(Vec<u64>),
    Law(u64, u64, Box<Gen>),
    Pin(Box<Gen>),
    Row(Vec<Gen>),
    Bar(Vec<u8>),
    Pair(Box<Gen>, Box<Gen>),
}

fn gen() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        (0u64..300).prop_map(Gen::Nat),
        any::<u64>().prop_map(Gen::Nat),
        proptest::collection::vec(any::<u64>(), 1..4).prop_map(Gen::Big),
        proptest::collection::vec(any::<u8>(), 0..10).prop_map(Gen::Bar),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            (0u64..5, 1u64..4, inner.clone()).prop_map(|(n, a, b)| Gen::Law(n, a, Box::new(b))),
            inner.clone().prop_map(|x| Gen::Pin(Box::new(x))),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Gen::Row),
            (inner.clone(), inner).prop_map(|(a, b)| Gen::Pair(Box::new(a), Box::new(b))),
        ]
    })
}

fn build(rt: &mut Runtime, g: &Gen) -> Value {
    match g {
        Gen::Nat(n) => rt.nat_u64(*n),
        Gen::Big(ws) => {
            let bytes: Vec<u8> = ws.iter().flat_map(|w| w.to_le_bytes()).collect();
            rt.nat_bytes(&bytes)
        }
        Gen::Law(n, a, b) => {
            let b = build(rt, b);
            let body = rt.partial(Value::small(2), &[b]);
            rt.law(Value::small(*n), Value::small(*a), body)
        }
        Gen::Pin(x) => {
            let x = build(rt, x);
            rt.pin(x)
        }
        Gen::Row(xs) => {
            let vs: Vec<Value> = xs.iter().map(|x| build(rt, x)).collect();
            rt.row(&vs)
        }
        Gen::Bar(bytes) => {
            let mut b = bytes.clone();
            b.push(1);
            let n = rt.nat_bytes(&b);
            rt.law(Value::small(1), Value::small(1), n)
        }
        Gen::Pair(a, b) => {
            let a = build(rt, a);
            let b = build(rt, b);
            // A row that repeats a shared value, to exercise fragments.
            rt.row(&[a, b, a])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn save_load_round_trips(g in gen()) {
        let mut rt = Runtime::default();
        let v = build(&mut rt, &g);
        let bytes = seed::save(v);
        prop_assert_eq!(bytes.len() % 8, 0);
        let back = seed::load(&mut rt, &bytes).expect("loads");
        prop_assert!(order::equal(back, v), "{:?} vs {:?}", back, v);
        prop_assert_eq!(hash::hash_item(back), hash::hash_item(v));
        prop_assert_eq!(seed::save(back), bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn pods_and_stored_pins_round_trip(g in gen()) {
        let mut rt = Runtime::default();
        let v = build(&mut rt, &g);
        let top = rt.pin(v);
        let pod = seed::save_pod(&mut rt, top).expect("pod");
        prop_assert!(seed::is_pod(&pod));
        let mut rt2 = Runtime::default();
        let back = seed::load_pod(&mut rt2, &pod).expect("loads");
        prop_assert_eq!(hash::value_hash(back), hash::value_hash(top));
        let stored = seed::stored_pin(top).expect("stored");
        let (refs, germ) = seed::parse_stored_pin(&stored).expect("parses");
        prop_assert_eq!(refs.len(), seed::pin_refs(v).len());
        prop_assert!(germ.len() % 8 == 0);
    }
}

#[test]
fn a_corrupt_pod_is_refused() {
    let mut rt = Runtime::default();
    let v = rt.nat_u64(42);
    let inner = rt.pin(v);
    let row = rt.row(&[inner, inner]);
    let top = rt.pin(row);
    let mut pod = seed::save_pod(&mut rt, top).expect("pod");
    let last = pod.len() - 9;
    pod[last] ^= 0x10;
    let mut rt2 = Runtime::default();
    assert!(seed::load_pod(&mut rt2, &pod).is_err());
}

/// A seed may hold cells that saturate their function (a normal value never does; our
/// writer makes one here from an application object built on purpose). Such a cell is the
/// application it describes: loading gives its normal form, inside laws and pins too, and a
/// crash while evaluating it is a load error, not a panic.
#[test]
fn saturated_applications_in_a_seed_are_evaluated() {
    let mut rt = Runtime::default();
    let n = Value::small;
    let k_name = rt.nat_str("k");
    let k = rt.law(k_name, n(2), n(1));
    // (k 5 6) is 5; (3 5) is 6.
    let sat = rt.partial(k, &[n(5), n(6)]);
    let inc = rt.partial(n(3), &[n(5)]);
    let row = rt.row(&[inc, sat]);
    let pin = rt.pin(k);
    let boxed = rt.partial(pin, &[row]);
    let loaded = seed::load(&mut rt, &seed::save(boxed)).expect("loads");
    let expect = {
        let r = rt.row(&[n(6), n(5)]);
        rt.partial(pin, &[r])
    };
    assert!(order::equal(loaded, expect), "{loaded:?}");
    // Inside a law's body and a pin's item.
    let body = rt.partial(n(2), &[sat]);
    let law_name = rt.nat_str("f");
    let quoted = rt.law(law_name, n(1), body);
    let in_pin = rt.pin(quoted);
    let loaded = seed::load(&mut rt, &seed::save(in_pin)).expect("loads");
    assert_eq!(rt.call(loaded, &[n(0)]).unwrap(), n(5));
    // A crashing application: op 7 on 9.
    let boom = rt.partial(n(7), &[n(9)]);
    let row = rt.row(&[boom]);
    let e = seed::load(&mut rt, &seed::save(row)).expect_err("crashes");
    assert!(e.to_string().contains("op 7"), "{e}");
}

/// A row is a spine of cells in a seed; reading it builds the row once, not each partial
/// application on the way (a row of n elements left n²/2 words behind: 100 MB for 5,000,
/// which a module-cache pod of the reference's prelude, a row of 3,600 pins, paid in full).
#[test]
fn loading_a_long_row_allocates_about_its_size() {
    let n = 5_000u64;
    let mut rt = Runtime::default();
    let elems: Vec<Value> = (0..n).map(|i| Value::small(1_000 + i)).collect();
    let row = rt.row(&elems);
    let top = rt.pin(row);
    let bytes = seed::save(row);
    let pod = seed::save_pod(&mut rt, top).expect("pod");
    for (what, load) in [
        ("seed", seed::load as fn(&mut Runtime, &[u8]) -> _),
        ("pod", seed::load_pod),
    ] {
        let input = if what == "seed" { &bytes } else { &pod };
        let mut rt2 = Runtime::default();
        let before = rt2.heap.total_bytes;
        let v = load(&mut rt2, input).expect("loads");
        let used = rt2.heap.total_bytes - before;
        let row = match v.kind() {
            Some(pallas_runtime::Kind::Pin(p)) => p.item(),
            _ => v,
        };
        let len = pallas_runtime::datajet::row_len(row);
        assert_eq!(len, Some(n), "{what}: the row comes back");
        // The row itself takes 8 bytes an element; allow a few copies.
        assert!(
            used < 64 * n + 65_536,
            "{what}: {used} bytes allocated to load a row of {n}"
        );
    }
}
