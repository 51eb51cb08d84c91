//! Every native jet against its PLAN law: the same pin is run with its native attached and
//! with it detached (its helpers keep their natives, as in the reference), on generated
//! inputs; results (or crashes) must agree. A native without a law here fails the suite.

mod lawdsl;

use std::collections::BTreeSet;

use lawdsl::{parse_all, Env};
use pallas_runtime::jets::check::{each_combination, native_disagrees};
use pallas_runtime::{Config, CrashKind, JetMismatch, Kind, Runtime, Value};

const LAWS: &str = include_str!("jet_laws.plan");

/// Input pools, in the DSL's expression syntax.
fn pool(name: &str) -> &'static str {
    match name {
        // small counters (the PLAN code is unary in these) and non-nats
        "ns" => "0 1 2 5 13 64 k1 [1 2] (4 k1)",
        "nm" => "0 1 2 7 100 1000 k1 [3]",
        "nb" => {
            "0 1 7 255 9223372036854775807 9223372036854775808 18446744073709551621
                 1267650600228229401496703205379 k1 [1 2]"
        }
        "v" => {
            "0 3 18446744073709551621 [] [1] [1 2] [2 1] [[1] 2] k1 k2 (4 k1) (4 k2) (k3 1)
                (k3 [1]) (k3 1 2) (quote (0 7 2 [1 2]))"
        }
        "r" => "[] [1] [1 2 3] [[1] 2] [5 4 3 2 1] [0 1 2 3 4 5 6 7 8 9] 0 7 k1 (4 k1) (k3 1 2)",
        "rs" => "[] [1 3 5 7] [0 2 4 6 8 10] [[1] [2]] 0 k1",
        "rr" => "[] [[1] [2 3]] [[] []] [[1 2] [] [3]] [[1] 2] [1 2] 0 k1",
        "i" => "0 1 2 5 1267650600228229401496703205379 k1 [1]",
        "f" => "(_Add 1) v1 k1 (k2 3)",
        "x" => "0 9 [1 2] k1",
        "w" => {
            "0 1 5 2147483648 4294967295 4294967303 9223372036854775808 18446744073709551615
                18446744073709551619 1180591620717411303425 k1"
        }
        "sh32" => "0 1 5 31 32 4294967303 k1",
        // shift amounts whose powers of two the PLAN code can still build
        "sh" => "0 1 5 31 32 63 64 65 k1 [1]",
        "sh64" => "0 1 5 63 64 18446744073709551623 k1",
        "c" => "0 47 48 53 57 58 1267650600228229401496703205379 k1 [1]",
        // bars (empty, "a", "a\0", three zero bytes, nine zero bytes, "hello") and non-bars
        // (a law whose body is not a bar body, another arity, a nat, a closure)
        "b" => {
            "(0 1 1 1) (0 1 1 353) (0 1 1 65633) (0 1 1 16777216) (0 1 1 4722366482869645213696)
                (0 1 1 1578072040808) (0 1 1 5) (0 1 2 353) 7 k1"
        }
        "rb" => "[] [(0 1 1 353)] [(0 1 1 353) (0 1 1 1) (0 1 1 65633)] [(0 1 1 353) 7] 0 k1",
        // sets (empty, nats, rows) and non-sets (a law of another shape, a row, a nat)
        // (the fourth mixes small nats with a big nat and rows: a search by small nats
        // meets the others on the way)
        "s" => {
            "(0 1 2 []) (0 1 2 [1 3 5]) (0 1 2 [0 2 4 6 8]) (0 1 2 [[1] [2 3]])
                (0 1 2 [1 5 18446744073709551621 [1] [2 3]]) k1 [1 2] 0"
        }
        // pads (1 is empty; 0 and non-nats read as empty) and rows and trees of them
        "pad" => "0 1 2 5 6 13 255 256 1267650600228229401496703205379 k1 [1]",
        "pads" => {
            "[] [5 6] [1 0 13] [[5 6] 2 [[3] 13]] [k1 5] 7 0 (k3 5 6)
                [1267650600228229401496703205379 5 18446744073709551621]
                [[1267650600228229401496703205379] 13 [9223372036854775809 [3]]]"
        }
        // hex texts: "deadbeef", "abc" (odd), "0\n1", "Zz:~/ G" (not hex), "ff\n\n00", "7"
        "hex" => {
            "0 7378415037781730660 6513249 3213872 20020111699769946 52982885017190 55 k1 [1]"
        }
        // rows of text nats
        "strs" => "[] [104 105] [26984 0 33] [256 1] [k1 97] 0 [1267650600228229401496703205379 0 33]",
        // trees of bars
        "btree" => {
            "(0 1 1 353) [(0 1 1 353) (0 1 1 65633)] [[(0 1 1 353)] 7 (0 1 1 1)] (k3 (0 1 1 353))
                [] 5 k1"
        }
        // lists (cells `[x rest]`, 0 at the end) and things that are not
        "lists" => "0 [1 0] [1 [2 0]] [[5] [6 [7 0]]] [4 [5 [6 [7 [8 [9 0]]]]]]",
        // one value of every data type, and look-alikes
        "types" => {
            "(0 1 1 353) (0 1 1 0) [] [1 2] (0 0 3 0) (0 0 3 0 1) (0 1 2 [1 3]) (0 1 2 [3 1])
                ((0 1 2 [1 3]) [7 8]) ((0 1 2 [1 3]) [7]) 5 k1 (4 k1) (k3 1)"
        }
        // three-argument functions, and functions of a maybe
        "f3" => "k2 _Put tfAdd3",
        "falt" => "altDel altSet7 altInc",
        "funf" => "upTo5 noneAlways oneThenNone",
        // two-argument functions
        "f2" => "_Add k2 (k3 7) _Weld",
        // rows of pairs (later ones win) and rows of other things
        "ps" => "[] [[1 2]] [[3 4] [1 2] [3 5]] [[[1] 2] [0 0]] [1 2] [[1]] 0",
        // rows of sets
        "ss" => "[] [(0 1 2 [1 2]) (0 1 2 [5])] [(0 1 2 []) (0 1 2 [3])] [(0 1 2 [4]) (0 1 2 [1])] [1] 0",
        // tabs and non-tabs
        "t" => {
            "((0 1 2 []) []) ((0 1 2 [1 3]) [7 8]) ((0 1 2 [0 2 4]) [[1] 5 k1]) ((0 1 2 [[1]]) [2])
                ((0 1 2 [2 18446744073709551621 [1]]) [4 5 6]) (k3 1) [1 2] 0"
        }
        other => panic!("no pool {other}"),
    }
}

/// Every native jet and the input pools for its arguments.
fn specs() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut s: Vec<(&'static str, Vec<&'static str>)> = vec![
        ("_If", vec!["v", "x", "x"]),
        ("_Seq", vec!["v", "x"]),
        ("_Trace", vec!["x", "v"]),
        ("_IsNat", vec!["v"]),
        ("_PinItem", vec!["v"]),
        ("_Eqz", vec!["v"]),
        ("_Not", vec!["v"]),
        ("_Bit", vec!["v"]),
        ("_And", vec!["v", "v"]),
        ("_Or", vec!["v", "v"]),
        ("_Dec", vec!["nb"]),
        ("_Add", vec!["ns", "nb"]),
        ("_Sub", vec!["nb", "ns"]),
        ("_Mul", vec!["ns", "nb"]),
        ("_Div", vec!["nm", "nm"]),
        ("_Mod", vec!["nb", "nb"]),
        ("_DivMod", vec!["nb", "nb"]),
        ("_Bex", vec!["nm"]),
        ("_Lsh", vec!["nb", "ns"]),
        ("_Rsh", vec!["nb", "ns"]),
        ("_Met", vec!["nb"]),
        ("_Dis", vec!["nb", "nb"]),
        ("_Con", vec!["nb", "nb"]),
        ("_Mix", vec!["nb", "nb"]),
        ("isBar", vec!["b"]),
        ("barLen", vec!["b"]),
        ("barIsEmpty", vec!["b"]),
        ("barNat", vec!["b"]),
        ("natBar", vec!["nb"]),
        ("barIdx", vec!["i", "b"]),
        ("barTake", vec!["i", "b"]),
        ("barDrop", vec!["i", "b"]),
        ("barWeld", vec!["b", "b"]),
        ("barCat", vec!["rb"]),
        ("_Len", vec!["r"]),
        ("_Get", vec!["r", "i"]),
        ("_Idx", vec!["i", "r"]),
        ("_Put", vec!["r", "i", "x"]),
        ("_Mut", vec!["i", "x", "r"]),
        ("_Switch", vec!["i", "x", "r"]),
        ("_Weld", vec!["r", "r"]),
        ("_Map", vec!["f", "r"]),
        ("_Gen", vec!["ns", "f"]),
        ("_IsPin", vec!["v"]),
        ("_IsLaw", vec!["v"]),
        ("_IsApp", vec!["v"]),
        ("_PlanTag", vec!["v"]),
        ("_LawName", vec!["v"]),
        ("_LawArgs", vec!["v"]),
        ("_LawBody", vec!["v"]),
        ("_Car", vec!["v"]),
        ("_Cdr", vec!["v"]),
        ("_Xor", vec!["x", "x"]),
        ("_Nand", vec!["x", "x"]),
        ("_Nor", vec!["x", "x"]),
        ("_Xnor", vec!["x", "x"]),
        ("_Ifz", vec!["v", "x", "x"]),
        ("_ToNat", vec!["v"]),
        ("_Force", vec!["v"]),
        ("_Min", vec!["v", "v"]),
        ("_Max", vec!["v", "v"]),
        ("_Bix", vec!["sh", "w"]),
        ("_TestBit", vec!["sh", "w"]),
        ("_Trunc", vec!["sh", "w"]),
        ("_BitSlice", vec!["sh", "sh", "w"]),
        ("_SetBit", vec!["sh", "nm"]),
        ("_ClearBit", vec!["sh", "nm"]),
        ("_PopCount", vec!["w"]),
        ("_Pow", vec!["ns", "ns"]),
        ("_Null", vec!["v"]),
        ("_Arity", vec!["v"]),
        ("_IsCow", vec!["v"]),
        ("_CowSize", vec!["v"]),
        ("_IsRow", vec!["r"]),
        ("_Last", vec!["r"]),
        ("_SetToRow", vec!["s"]),
        ("_TabKeysRow", vec!["t"]),
        ("setHas", vec!["v", "s"]),
        ("setIns", vec!["v", "s"]),
        ("setDel", vec!["v", "s"]),
        ("setWeld", vec!["s", "s"]),
        ("setLen", vec!["s"]),
        ("setIsEmpty", vec!["s"]),
        ("setMin", vec!["s"]),
        ("setSing", vec!["v"]),
        ("tabSing", vec!["v", "x"]),
        ("_TabLen", vec!["t"]),
        ("_TabIsEmpty", vec!["t"]),
        ("tabIdx", vec!["v", "t"]),
        ("_TabHas", vec!["v", "t"]),
        ("_TabLookup", vec!["v", "t"]),
        ("tabIns", vec!["v", "x", "t"]),
        ("_TabKeys", vec!["t"]),
        ("_TabVals", vec!["t"]),
        ("setTake", vec!["nm", "s"]),
        ("setDrop", vec!["nm", "s"]),
        ("setSplitAt", vec!["nm", "s"]),
        ("setIntersect", vec!["s", "s"]),
        ("setSub", vec!["s", "s"]),
        ("isSet", vec!["s"]),
        ("isTab", vec!["t"]),
        ("tabToPairs", vec!["t"]),
        ("tabMinKey", vec!["t"]),
        ("tabElemIdx", vec!["nm", "t"]),
        ("tabSplitAt", vec!["nm", "t"]),
        ("tabWeld", vec!["t", "t"]),
        ("tabMap", vec!["f", "t"]),
        ("_MkSet", vec!["rs"]),
        ("sumOf", vec!["f", "r"]),
        ("unfoldr", vec!["funf", "nm"]),
        ("tabFoldlWithKey", vec!["f3", "x", "t"]),
        ("tabAlter", vec!["falt", "v", "t"]),
        ("_TypeTag", vec!["types"]),
        ("_SizedListToRow", vec!["ns", "lists"]),
        ("_SizedListToRowRev", vec!["ns", "lists"]),
        ("padWeld", vec!["pad", "pad"]),
        ("padCat", vec!["pads"]),
        ("padFlat", vec!["pads"]),
        ("implode", vec!["strs"]),
        ("barFlat", vec!["btree"]),
        ("tabMapWithKey", vec!["f2", "t"]),
        ("tabUnionWith", vec!["f2", "t", "t"]),
        ("tabFromPairs", vec!["ps"]),
        ("_Times", vec!["f", "x", "ns"]),
        ("_MkTab", vec!["rs", "r"]),
        ("_TabKeysList", vec!["t"]),
        ("tabToPairList", vec!["t"]),
        ("setCatRowAsc", vec!["ss"]),
        ("setSplitLT", vec!["v", "s"]),
        ("tabSplitLT", vec!["v", "t"]),
        ("tabSwitch", vec!["v", "x", "t"]),
        ("_Head", vec!["v"]),
        ("par", vec!["x", "x"]),
        ("pseq", vec!["x", "x"]),
        ("_DeepTrace", vec!["x", "v"]),
        ("_DataTag", vec!["v"]),
        ("_Cow", vec!["ns"]),
        ("_Bar", vec!["c"]),
        ("_NatToSizedBar", vec!["sh", "c"]),
        ("_BarSliceToNat", vec!["nm", "nm", "b"]),
        ("barSlice", vec!["nm", "nm", "b"]),
        ("explode", vec!["nb"]),
        ("barFromHex", vec!["hex"]),
        ("barElemIndexEnd", vec!["c", "b"]),
        ("barElemIndexOff", vec!["c", "nm", "b"]),
        ("_Rev", vec!["r"]),
        ("rowCons", vec!["x", "r"]),
        ("rowSnoc", vec!["r", "x"]),
        ("sum", vec!["r"]),
        ("cat", vec!["rr"]),
        ("zip", vec!["r", "r"]),
        ("take", vec!["i", "r"]),
        ("drop", vec!["i", "r"]),
        ("bsearch", vec!["nm", "rs"]),
        ("isDigit", vec!["c"]),
        ("iDiv64", vec!["w", "w"]),
    ];
    for c in ["_Cmp", "_Eql", "_Neq", "_Lth", "_Lte", "_Gth", "_Gte"] {
        s.push((c, vec!["v", "v"]));
    }
    for (w, sh) in [("32", "sh32"), ("64", "sh64")] {
        let leak = |p: String| -> &'static str { Box::leak(p.into_boxed_str()) };
        s.push((leak(format!("w{w}")), vec!["w"]));
        for op in ["add", "mul", "div", "and", "or", "xor", "sub"] {
            s.push((leak(format!("{op}{w}")), vec!["w", "w"]));
        }
        for op in ["lsh", "rsh", "ror", "rol"] {
            s.push((leak(format!("{op}{w}")), vec!["w", sh]));
        }
    }
    s
}

fn setup() -> (Runtime, Env) {
    let mut rt = Runtime::new(Config {
        jets: true,
        jet_mismatch: JetMismatch::Ignore,
        max_frames: 2_000_000,
        ..Config::default()
    });
    let mut env = Env::default();
    env.load(&mut rt, LAWS);
    for name in env.order.clone() {
        rt.force_jet(env.globals[&name], &name);
    }
    (rt, env)
}

fn set_jet(pin: Value, j: Option<u16>) {
    if let Some(Kind::Pin(p)) = pin.kind() {
        p.jet.set(j);
    }
}

#[test]
fn every_native_agrees_with_its_law() {
    let (mut rt, env) = setup();
    let mut failures = Vec::new();
    let mut cases = 0;
    // `JETS_ONLY=a,b` checks only those (for debugging one native).
    let only = std::env::var("JETS_ONLY").ok();
    for (name, pools) in specs() {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|x| x == name))
        {
            continue;
        }
        let pin = env.globals[name];
        let jet = match pin.kind() {
            Some(Kind::Pin(p)) => p.jet.get(),
            _ => None,
        };
        assert!(jet.is_some(), "{name}: no native attached");
        let vals: Vec<Vec<Value>> = pools
            .iter()
            .map(|p| {
                parse_all(pool(p))
                    .iter()
                    .map(|s| env.value(&mut rt, s))
                    .collect()
            })
            .collect();
        let pools: Vec<&[Value]> = vals.iter().map(|v| &v[..]).collect();
        each_combination(&pools, |args| {
            cases += 1;
            if let Some(why) = native_disagrees(&mut rt, pin, args) {
                failures.push(format!("{name} {why}"));
            }
        });
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Natives whose PLAN code is the reference's own Sire serialiser, too large to restate in
/// the harness. They are checked instead by `runtime/tests/seed.rs` (the reference's iSeed and
/// iGerm bytes, round trips) and, when a reference checkout is present, by
/// `tests/reference_chain.rs`: sire_22_seed.sire asserts `iSeed == _SaveSeed I`,
/// `I == _LoadSeed iSeed`, and the same for germs, which then run on these natives.
/// The hashing natives (`_Blake3`, `_PlanHash`, `_PinHash`) wrap the `blake3` crate and our pin
/// hash; `hashing_natives_agree_with_blake3_and_pin_hashes` below checks them directly.
const CHECKED_AGAINST_THE_REFERENCE: &[&str] = &[
    // Its PLAN code is a PLAN interpreter written in PLAN (the reference's plan.sire, whose
    // `=?=` tests run on this native when the reference chain loads through prelude.sire);
    // `try_catches_plan_crashes` below checks it directly.
    "_Try",
    "_SaveSeed",
    "_LoadSeed",
    "_SaveGerm",
    "_LoadGerm",
    "_Blake3",
    "_PlanHash",
    "_PinHash",
];

/// Runs the native of the named jet directly on already-evaluated arguments.
fn run_native(rt: &mut Runtime, name: &str, args: &[Value]) -> Value {
    let run = rt
        .jets
        .entries()
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.native.as_ref())
        .map(|n| n.run)
        .expect("native exists");
    match run(rt, args) {
        pallas_runtime::jets::JetOut::Ret(v) => v,
        _ => panic!("{name}: expected a direct result"),
    }
}

/// A bar (law 1 1 n) holding these bytes.
fn make_bar(rt: &mut Runtime, bytes: &[u8]) -> Value {
    let mut b = bytes.to_vec();
    b.push(1);
    let n = rt.nat_bytes(&b);
    rt.law(Value::small(1), Value::small(1), n)
}

fn bar_contents(v: Value) -> Vec<u8> {
    pallas_runtime::datajet::bar_bytes(v.deref()).expect("a bar")
}

#[test]
fn hashing_natives_agree_with_blake3_and_pin_hashes() {
    let mut rt = Runtime::default();
    // A bar tree: the row [b"ab" (k b"cd" b"ef") 7] flattens to "abcdef" (a row in index
    // order, an application's arguments in the same row order, nats contribute nothing).
    let ab = make_bar(&mut rt, b"ab");
    let cd = make_bar(&mut rt, b"cd");
    let ef = make_bar(&mut rt, b"ef");
    let k = rt.law(Value::small(9), Value::small(3), Value::small(0));
    // Row order of (k ef cd) is [cd ef]: the last argument applied comes first.
    let inner = rt.partial(k, &[ef, cd]);
    let row = rt.row(&[ab, inner, Value::small(7)]);
    let got = run_native(&mut rt, "_Blake3", &[row]);
    assert_eq!(
        bar_contents(got),
        blake3::hash(b"abcdef").as_bytes().to_vec()
    );
    let empty = run_native(&mut rt, "_Blake3", &[Value::small(5)]);
    assert_eq!(bar_contents(empty), blake3::hash(b"").as_bytes().to_vec());

    // _PinHash of a pin is its hash; of anything else 0. _PlanHash of the item is the same.
    let item = rt.row(&[Value::small(1), Value::small(2)]);
    let pin = rt.pin(item);
    let want = match pin.kind() {
        Some(Kind::Pin(p)) => p.hash.to_vec(),
        _ => unreachable!(),
    };
    let got = run_native(&mut rt, "_PinHash", &[pin]);
    assert_eq!(bar_contents(got), want);
    let got = run_native(&mut rt, "_PlanHash", &[item]);
    assert_eq!(bar_contents(got), want);
    assert_eq!(run_native(&mut rt, "_PinHash", &[item]).as_small(), Some(0));
}

#[test]
fn every_native_is_covered() {
    let rt = Runtime::default();
    let mut covered: BTreeSet<&str> = specs().iter().map(|(n, _)| *n).collect();
    covered.extend(CHECKED_AGAINST_THE_REFERENCE);
    let missing: Vec<&str> = rt
        .jets
        .entries()
        .iter()
        .filter(|e| e.native.is_some() && !covered.contains(e.name.as_str()))
        .map(|e| e.name.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "natives without a PLAN law in the harness: {missing:?}"
    );
}

/// The `_If` law built exactly as the reference has it hashes to the table's hash, so it
/// matches by itself (no forcing).
fn reference_if(rt: &mut Runtime) -> Value {
    let k = rt.law(Value::small(0), Value::small(2), Value::small(1));
    let q2 = rt.partial(Value::small(2), &[Value::small(2)]);
    let a = rt.partial(Value::small(0), &[q2, Value::small(3)]);
    let b = rt.partial(Value::small(0), &[k, Value::small(2)]);
    let c = rt.partial(Value::small(0), &[a, b]);
    let body = rt.partial(Value::small(0), &[c, Value::small(1)]);
    let name = rt.nat_str("_If");
    rt.law(name, Value::small(3), body)
}

#[test]
fn if_law_matches_by_hash() {
    let mut rt = Runtime::default();
    let law = reference_if(&mut rt);
    let pin = rt.pin(law);
    let Some(Kind::Pin(p)) = pin.kind() else {
        panic!("not a pin")
    };
    assert!(
        p.jet.get().is_some(),
        "the reference _If law did not match its jet"
    );
    assert!(rt.jets.events.iter().any(|e| e.name == "_If" && e.matched));
    for c in [0u64, 1, 9] {
        let r = rt.call_deep(pin, &[Value::small(c), Value::small(10), Value::small(20)]);
        assert_eq!(r.ok(), Some(Value::small(if c != 0 { 10 } else { 20 })));
    }
}

#[test]
fn mismatch_crash_policy_crashes_pin_creation() {
    for (policy, crashes) in [(JetMismatch::Crash, true), (JetMismatch::Ignore, false)] {
        let mut rt = Runtime::new(Config {
            jet_mismatch: policy,
            ..Config::default()
        });
        let name = rt.nat_str("_If");
        let law = rt.law(name, Value::small(3), Value::small(1));
        let r = rt.call(Value::small(4), &[law]);
        match r {
            Err(c) => assert!(crashes && matches!(c.kind, CrashKind::Jet(_)), "{c:?}"),
            Ok(_) => assert!(!crashes),
        }
    }
}

/// `_Try [f x ...]` gives `[1 result]`, or `[0 [op arg]]` when the call crashes; a value that
/// is not a row is left to the law (here: a law answering the constant 5).
#[test]
fn try_catches_plan_crashes() {
    let mut rt = Runtime::default();
    let name = rt.nat_str("_Try");
    let law = rt.law(name, Value::small(1), Value::small(5));
    let pin = rt.pin(law);
    assert!(rt.force_jet(pin, "_Try"));
    let show = |rt: &mut Runtime, args: &[Value]| {
        let row = rt.row(args);
        let r = rt.call_deep(pin, &[row]).expect("no crash escapes _Try");
        pallas_runtime::print::show(r)
    };
    // 3 is increment: [3 4] -> [1 5]
    assert_eq!(
        show(&mut rt, &[Value::small(3), Value::small(4)]),
        show_row(&mut rt, 1, 5)
    );
    // 7 is not an opcode: it crashes with op 7 and its argument
    let inner = rt.row(&[Value::small(7), Value::small(5)]);
    let want = {
        let outer = rt.row(&[Value::small(0), inner]);
        pallas_runtime::print::show(outer)
    };
    assert_eq!(show(&mut rt, &[Value::small(7), Value::small(5)]), want);
    // not a row: the law's own answer
    let r = rt.call_deep(pin, &[Value::small(99)]).expect("ok");
    assert_eq!(pallas_runtime::print::show(r), "5");
}

fn show_row(rt: &mut Runtime, a: u64, b: u64) -> String {
    let r = rt.row(&[Value::small(a), Value::small(b)]);
    pallas_runtime::print::show(r)
}

/// `sum` of a row whose elements are unevaluated (as `_Gen` makes them) is computed by the
/// native, which evaluates them, and agrees with its PLAN law.
#[test]
fn sum_evaluates_unevaluated_elements() {
    let (mut rt, env) = setup();
    let (gen, add, sum) = (env.globals["_Gen"], env.globals["_Add"], env.globals["sum"]);
    let inc = rt.partial(add, &[Value::small(1)]);
    let row = rt.call(gen, &[Value::small(100), inc]).expect("a row");
    rt.roots.push(row);
    let elems = pallas_runtime::datajet::row_elems(row).expect("a row");
    assert!(
        elems.iter().any(|x| !x.deref().is_whnf()),
        "the elements should still be unevaluated"
    );
    let on = rt.call_deep(sum, &[row]).expect("sum");
    let jet = match sum.kind() {
        Some(Kind::Pin(p)) => p.jet.get(),
        _ => None,
    };
    set_jet(sum, None);
    let off = rt.call_deep(sum, &[row]).expect("sum");
    set_jet(sum, jet);
    assert_eq!(pallas_runtime::print::show(on), "5050");
    assert_eq!(pallas_runtime::print::show(off), "5050");
}
