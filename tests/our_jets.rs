//! The laws of our own sire/ modules that carry a jet: each is run with its native attached
//! and detached on generated arguments (small nats, non-nats, rows), and the two must agree.
//! This checks that the hashes we added to the jet table (runtime/src/jets/our_hashes.txt)
//! name laws that compute what the natives compute.

use pallas::sire::session::Session;
use pallas::sire::state;
use pallas_runtime::jets::check::{each_combination, native_disagrees};
use pallas_runtime::{Config, Kind, Runtime, Value};

/// Arguments tried in every position.
fn pool(rt: &mut Runtime) -> Vec<Value> {
    let mut v: Vec<Value> = [0u64, 1, 2, 3, 7, 13].map(Value::small).to_vec();
    let law = rt.law(Value::small(5), Value::small(2), Value::small(1));
    v.push(law);
    let app = rt.partial(law, &[Value::small(3)]);
    v.push(app);
    let row = rt.row(&[Value::small(4), Value::small(2)]);
    v.push(row);
    let pin = rt.pin(Value::small(3));
    v.push(pin);
    // A set {1 2 [1 3]} and a tab of it.
    let keys = rt.row(&[Value::small(1), Value::small(3)]);
    let set = rt.law(Value::small(1), Value::small(2), keys);
    v.push(set);
    let vals = rt.row(&[Value::small(7), Value::small(8)]);
    let tab = rt.partial(set, &[vals]);
    v.push(tab);
    let bar = rt.bar(b"hi");
    v.push(bar);
    let empty = rt.bar(b"");
    v.push(empty);
    v
}

#[test]
fn every_jetted_law_of_our_sire_files_agrees_with_its_native() {
    let mut files: Vec<_> = std::fs::read_dir("sire")
        .expect("sire/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sire"))
        .collect();
    files.sort();
    let mut checked = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for file in files {
        let mut rt = Runtime::new(Config {
            max_frames: 2_000_000,
            ..Config::default()
        });
        let mut s = Session::new(&mut rt);
        s.quiet();
        s.load_file(&mut rt, &file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let st = s.state(&mut rt);
        let names: Vec<String> = rt
            .jets
            .events
            .iter()
            .filter(|e| e.matched)
            .map(|e| e.name.clone())
            .collect();
        let pool = pool(&mut rt);
        rt.roots.extend(pool.iter().copied());
        for name in names {
            if checked.contains(&name) {
                continue;
            }
            let Ok(Some(pin)) = state::lookup_val(&mut rt, st, &name) else {
                continue;
            };
            let Some(Kind::Pin(p)) = pin.kind() else {
                continue;
            };
            let Some(jet) = p.jet.get() else { continue };
            if rt.jets.entry(jet).native.is_none() {
                continue;
            }
            let arity = p.arity() as usize;
            assert!(arity <= 3, "{name}: extend the test to arity {arity}");
            checked.insert(name.clone());
            let pools = vec![&pool[..]; arity];
            each_combination(&pools, |args| {
                if let Some(why) = native_disagrees(&mut rt, pin, args) {
                    failures.push(format!("{name} {why}"));
                }
            });
        }
    }
    for must in [
        "_If",
        "_Add",
        "_Sub",
        "_Mul",
        "_Div",
        "_Mod",
        "_Eqz",
        "_Met",
        "_Dis",
        "_Cmp",
        "_Lte",
        "_IsApp",
        "_Car",
        "_Cdr",
        "_Len",
        "_Weld",
        "_Gen",
        "take",
        "bsearch",
        "setIns",
        "tabIns",
        "_TabLookup",
        "barWeld",
        "barTake",
        "natBar",
        "isBar",
    ] {
        assert!(
            checked.contains(must),
            "{must} was not checked: {checked:?}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
