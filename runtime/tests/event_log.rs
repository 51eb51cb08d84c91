//! The event log: round trips, torn tails, corruption in the middle, gaps.

use std::fs;

use pallas_runtime::store::log::{self, LogError, LogWriter};

fn write_batches(path: &std::path::Path, n: u64) {
    let mut w = LogWriter::start(path, 1).expect("start");
    let mut receipts = Vec::new();
    for i in 1..=n {
        let payload = format!("batch {i}").repeat(i as usize % 7 + 1);
        receipts.push(w.append(payload.as_bytes()).expect("append").1);
    }
    for r in receipts {
        r.wait().expect("durable");
    }
    w.close();
}

#[test]
fn batches_round_trip() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    write_batches(&path, 50);
    let o = log::open(&path, 1).expect("open");
    assert!(o.torn_tail.is_none());
    assert_eq!(o.records.len(), 50);
    for (i, r) in o.records.iter().enumerate() {
        assert_eq!(r.batch, i as u64 + 1);
        assert!(String::from_utf8_lossy(&r.payload).starts_with(&format!("batch {}", i + 1)));
    }
    // Appending continues the numbering.
    let mut w = LogWriter::start(&path, 51).expect("restart");
    w.append(b"more")
        .expect("append")
        .1
        .wait()
        .expect("durable");
    w.close();
    assert_eq!(log::open(&path, 1).expect("open").records.len(), 51);
}

#[test]
fn torn_tail_is_cut_with_a_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    write_batches(&path, 10);
    let full = fs::metadata(&path).expect("meta").len();
    for cut in [1u64, 5, 23, 30] {
        let copy = dir.path().join(format!("log{cut}"));
        fs::copy(&path, &copy).expect("copy");
        let f = fs::OpenOptions::new()
            .write(true)
            .open(&copy)
            .expect("open");
        f.set_len(full - cut).expect("truncate");
        drop(f);
        let o = log::open(&copy, 1).expect("a torn tail is not fatal");
        assert_eq!(o.records.len(), 9, "cut {cut}");
        assert!(o.torn_tail.is_some());
        // The file was truncated to the good prefix: reopening finds no damage.
        let again = log::open(&copy, 1).expect("reopen");
        assert!(again.torn_tail.is_none());
        assert_eq!(again.records.len(), 9);
    }
}

#[test]
fn corruption_before_the_tail_stops_and_keeps_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    write_batches(&path, 10);
    let bytes = fs::read(&path).expect("read");
    let before = bytes.clone();
    for at in [60usize, 70, 40] {
        let mut bad = bytes.clone();
        bad[at] ^= 0xff; // inside the second record (header or payload)
        fs::write(&path, &bad).expect("write");
        match log::open(&path, 1) {
            Err(LogError::Corrupt { offset, .. }) => assert_eq!(offset, 38),
            other => panic!("expected corruption, got {other:?}"),
        }
    }
    assert_eq!(
        fs::read(&path).expect("read").len(),
        before.len(),
        "nothing cut"
    );
}

#[test]
fn gaps_in_batch_numbers_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    let mut bytes = log::encode(1, b"a");
    bytes.extend(log::encode(3, b"b"));
    fs::write(&path, &bytes).expect("write");
    assert!(matches!(
        log::open(&path, 1),
        Err(LogError::Gap { found: 3, .. })
    ));
}

#[test]
fn missing_file_is_an_empty_log() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = log::open(&dir.path().join("nope"), 1).expect("open");
    assert!(o.records.is_empty());
}

#[test]
fn pin_store_writes_once_and_reads_back() {
    use pallas_runtime::store::pins::PinStore;
    let dir = tempfile::tempdir().expect("tmp");
    let store = PinStore::open(&dir.path().join("pins")).expect("open");
    let h = *blake3::hash(b"hello").as_bytes();
    assert!(!store.contains(&h));
    assert!(store.put(&h, b"hello").expect("put"));
    assert!(!store.put(&h, b"hello").expect("second put is a no-op"));
    assert_eq!(&*store.get(&h).expect("get").expect("present"), b"hello");
    let e = *blake3::hash(b"").as_bytes();
    store.put(&e, b"").expect("put empty");
    assert!(store.get(&e).expect("get").expect("present").is_empty());
    let missing = *blake3::hash(b"missing").as_bytes();
    assert!(store.get(&missing).expect("get").is_none());
}
