//! Property tests of the evaluator over generated values.

use pallas_runtime::{hash, order, Runtime, Value};
use proptest::prelude::*;

/// A recipe for a normal value, built inside a runtime.
#[derive(Debug, Clone)]
enum Gen {
    Nat(u64),
    Big(Vec<u64>),
    Law(u64, u64, Box<Gen>),
    Pin(Box<Gen>),
    Row(Vec<Gen>),
    Partial(Box<Gen>),
}

fn gen() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        (0u64..1000).prop_map(Gen::Nat),
        any::<u64>().prop_map(Gen::Nat),
        proptest::collection::vec(any::<u64>(), 1..4).prop_map(Gen::Big),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            (0u64..5, 1u64..4, inner.clone()).prop_map(|(n, a, b)| Gen::Law(n, a, Box::new(b))),
            inner.clone().prop_map(|x| Gen::Pin(Box::new(x))),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Gen::Row),
            inner.prop_map(|x| Gen::Partial(Box::new(x))),
        ]
    })
}

fn build(rt: &mut Runtime, g: &Gen) -> Value {
    match g {
        Gen::Nat(n) => rt.nat_u64(*n),
        Gen::Big(ws) => {
            let mut bytes = Vec::new();
            for w in ws {
                bytes.extend_from_slice(&w.to_le_bytes());
            }
            rt.nat_bytes(&bytes)
        }
        Gen::Law(n, a, b) => {
            // A law whose body is the constant (2 b) never runs anything.
            let b = build(rt, b);
            let body = rt.partial(Value::small(2), &[b]);
            let name = rt.nat_u64(*n);
            let ar = rt.nat_u64(*a);
            rt.law(name, ar, body)
        }
        Gen::Pin(x) => {
            let x = build(rt, x);
            rt.pin(x)
        }
        Gen::Row(xs) => {
            let vs: Vec<Value> = xs.iter().map(|x| build(rt, x)).collect();
            rt.row(&vs)
        }
        Gen::Partial(x) => {
            // (0 x): opcode 0 waiting for two more arguments.
            let x = build(rt, x);
            rt.partial(Value::small(0), &[x])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Building the same recipe twice gives equal values with equal hashes.
    #[test]
    fn equal_recipes_are_equal(g in gen()) {
        let mut rt = Runtime::default();
        let a = build(&mut rt, &g);
        let b = build(&mut rt, &g);
        prop_assert!(order::equal(a, b));
        prop_assert_eq!(hash::hash_item(a), hash::hash_item(b));
    }

    /// Order is antisymmetric and agrees with equality.
    #[test]
    fn order_is_consistent(g in gen(), h in gen()) {
        let mut rt = Runtime::default();
        let a = build(&mut rt, &g);
        let b = build(&mut rt, &h);
        let ab = order::compare(a, b);
        let ba = order::compare(b, a);
        prop_assert_eq!(ab, ba.reverse());
        if ab == std::cmp::Ordering::Equal {
            prop_assert_eq!(hash::hash_item(a), hash::hash_item(b));
        }
    }

    /// Taking a value apart with opcode 1 and rebuilding it gives the same value:
    /// pins through `(4 item)`, laws through `(0 n a b)`, apps through `(f x)`.
    #[test]
    fn reflection_rebuilds(g in gen()) {
        let mut rt = Runtime::default();
        let x = build(&mut rt, &g);
        // {ap 2 (0 1 2)} applies its first argument to its second.
        let body = rt.partial(Value::small(0), &[Value::small(1), Value::small(2)]);
        let ap = rt.law(Value::small(0), Value::small(2), body);
        let args = [Value::small(4), Value::small(0), ap, Value::small(0), x];
        let r = rt.call_deep(Value::small(1), &args);
        // Nats go to (0 x) here, a partial application; compare the rest.
        let r = r.expect("no crash");
        if x.is_nat() {
            let want = rt.partial(Value::small(0), &[x]);
            prop_assert!(order::equal(r, want));
        } else {
            prop_assert!(order::equal(r, x), "{:?} vs {:?}", r, x);
        }
    }

    /// Applying arguments one at a time or all at once gives the same result.
    #[test]
    fn currying(a in 0u64..50, b in 0u64..50, c in 0u64..50) {
        let mut rt = Runtime::default();
        // {0 3 (0 (0 (2 cow2) 3) 1)}: returns the row [a c].
        let cow = rt.cow(2);
        let kc = rt.partial(Value::small(2), &[cow]);
        let r1 = rt.partial(Value::small(0), &[kc, Value::small(3)]);
        let body = rt.partial(Value::small(0), &[r1, Value::small(1)]);
        let f = rt.law(Value::small(0), Value::small(3), body);
        let (va, vb, vc) = (Value::small(a), Value::small(b), Value::small(c));
        let all = rt.call_deep(f, &[va, vb, vc]).expect("ok");
        let fa = rt.call(f, &[va]).expect("ok");
        let fab = rt.call(fa, &[vb]).expect("ok");
        let one = rt.call_deep(fab, &[vc]).expect("ok");
        let pinned = rt.pin(f);
        let via_pin = rt.call_deep(pinned, &[va, vb, vc]).expect("ok");
        let want = rt.row(&[va, vc]);
        prop_assert!(order::equal(all, want));
        prop_assert!(order::equal(one, want));
        prop_assert!(order::equal(via_pin, want));
    }
}
