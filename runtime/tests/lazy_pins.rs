//! Lazy pins: a value saved to a machine store and loaded back is read one pin at a time, as
//! its parts are touched, and is the same value (printing, hashing, ordering, evaluation).

use std::cmp::Ordering;

use pallas_runtime::machine::store::MachineStore;
use pallas_runtime::machine::Access;
use pallas_runtime::{hash, order, print, Kind, Runtime, Value};

/// A value with pins inside pins: `[<bar0> <bar1> ... <law> <{a set of pins}>]`, with a pin
/// holding a partial application of a pinned law, and a pin nested four deep.
fn sample(rt: &mut Runtime) -> Value {
    let mut items = Vec::new();
    for i in 0..8u8 {
        let bar = rt.bar(&vec![i; 1000 + i as usize]);
        items.push(rt.pin(bar));
    }
    // {K 2 1}, pinned, and <(K 7)>.
    let name = rt.nat_str("K");
    let k = rt.law(name, Value::small(2), Value::small(1));
    let k = rt.pin(k);
    let k7 = rt.partial(k, &[Value::small(7)]);
    items.push(rt.pin(k7));
    // A set of pinned bars (its shape is found by comparing pins, so loading it compares
    // unloaded pins).
    let mut keys: Vec<Value> = (0..5u8)
        .map(|i| {
            let b = rt.bar(&[b'k', i]);
            rt.pin(b)
        })
        .collect();
    keys.sort_by(|a, b| order::compare(*a, *b));
    let set = rt.set_from_sorted(&keys);
    items.push(rt.pin(set));
    let mut deep = Value::small(5);
    for _ in 0..4 {
        let r = rt.row(&[deep]);
        deep = rt.pin(r);
    }
    items.push(deep);
    rt.row(&items)
}

/// Opens a store that has pins only (a store needs a boot record to be opened: an empty
/// one will do here, where no record is read).
fn open_read(
    path: &std::path::Path,
) -> Result<MachineStore, pallas_runtime::machine::MachineError> {
    std::fs::write(path.join("boot"), b"").expect("boot");
    MachineStore::open(path, Access::Read)
}

#[test]
fn a_loaded_value_reads_its_pins_only_when_touched_and_is_the_same_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let mut rt = Runtime::default();
    let v = sample(&mut rt);
    let shown = print::show(v);
    let (top, written) = {
        let mut st = MachineStore::create(&path).expect("create");
        st.save_value(&mut rt, v).expect("save")
    };
    assert!(written.pins >= 20, "{written:?}");
    drop(rt);

    let mut rt = Runtime::default();
    let st = open_read(&path).expect("open");
    let w = st.load_value(&mut rt, &top).expect("load");
    let s = st.loader_stats();
    assert_eq!(s.loaded, 1, "only the top pin is read: {s}");
    assert_eq!(s.known, 12, "the top pin's refs are known by hash: {s}");
    assert!(s.bytes_read < 1000, "{s}");
    // Hashing needs no loading: sub-pins hash by their hashes.
    assert_eq!(hash::hash_item(w), top);
    assert_eq!(st.loader_stats().loaded, 1);
    // Touching one bar loads that pin only.
    let row = pallas_runtime::datajet::row_view(w).expect("a row");
    let bar3 = row.at(3);
    let Some(Kind::Pin(p)) = bar3.kind() else {
        panic!("a pin")
    };
    assert!(!p.is_loaded());
    assert_eq!(
        pallas_runtime::datajet::bar_bytes(p.item()).map(|b| b.len()),
        Some(1003)
    );
    assert_eq!(st.loader_stats().loaded, 2);
    // Comparing two unloaded pins loads them; the order is the same as in memory.
    let (a, b) = (row.at(5), row.at(6));
    assert_eq!(order::compare(a, b), Ordering::Less);
    assert_eq!(st.loader_stats().loaded, 4);
    // A call of the pinned partial application (K 7) loads it and K.
    let k7 = row.at(8);
    let r = rt.call(k7, &[Value::small(9)]).expect("call");
    assert_eq!(r, Value::small(7));
    // Printing reads everything; the value is the one saved.
    assert_eq!(print::show(w), shown);
    let s = st.loader_stats();
    assert_eq!(s.loaded, s.known, "{s}");
    assert_eq!(hash::hash_item(w), top);
}

#[test]
fn a_damaged_pin_is_found_when_it_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let mut rt = Runtime::default();
    let v = sample(&mut rt);
    let (top, _) = {
        let mut st = MachineStore::create(&path).expect("create");
        st.save_value(&mut rt, v).expect("save")
    };
    // Flip a byte of the top pin's record: loading the value reports it.
    let pack = std::fs::read_dir(path.join("pins"))
        .expect("pins")
        .next()
        .expect("a pack")
        .expect("entry")
        .path();
    let mut bytes = std::fs::read(&pack).expect("read");
    let at = bytes
        .windows(32)
        .position(|w| w == top)
        .expect("the top record")
        + 40;
    bytes[at] ^= 1;
    std::fs::write(&pack, &bytes).expect("write");
    let mut rt = Runtime::default();
    let st = open_read(&path).expect("open");
    let Err(e) = st.load_value(&mut rt, &top) else {
        panic!("the damage was not found")
    };
    assert!(e.to_string().contains("checksum"), "{e}");
}
