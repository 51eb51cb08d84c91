//! The event log: round trips, damaged tails (described, never cut by reading), corruption
//! in the middle, gaps, the header; the pin store's commits.

use std::fs;

use pallas_runtime::store::log::{self, Header, LogError, LogWriter, LOG_HEADER};

const HEADER: Header = Header {
    store_id: [9; 16],
    first_batch: 1,
};

fn new_log(path: &std::path::Path) {
    log::create(path, &path.with_extension("tmp"), &HEADER).expect("create");
}

fn write_batches(path: &std::path::Path, n: u64) {
    new_log(path);
    let mut w = LogWriter::start(path, 1).expect("start");
    let mut receipts = Vec::new();
    for i in 1..=n {
        let payload = format!("batch {i}").repeat(i as usize % 7 + 1);
        receipts.push(w.append(payload.as_bytes()).expect("append").2);
    }
    for r in receipts {
        r.wait().expect("durable");
    }
    w.close();
}

#[test]
fn batches_round_trip_with_their_positions() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    write_batches(&path, 50);
    let o = log::read(&path).expect("open");
    assert_eq!(o.header, HEADER);
    assert!(o.tail.is_none());
    assert_eq!(o.records.len(), 50);
    for (i, r) in o.records.iter().enumerate() {
        assert_eq!(r.batch, i as u64 + 1);
        assert!(String::from_utf8_lossy(&r.payload).starts_with(&format!("batch {}", i + 1)));
    }
    assert_eq!(o.end().end, fs::metadata(&path).expect("meta").len());
    // Appending continues the numbering, and the writer knows where each record goes.
    let mut w = LogWriter::start(&path, 51).expect("restart");
    let (batch, pos, receipt) = w.append(b"more").expect("append");
    receipt.wait().expect("durable");
    w.close();
    let o = log::read(&path).expect("open");
    assert_eq!((batch, o.records.len()), (51, 51));
    assert_eq!(o.records[50].position, pos);
}

#[test]
fn a_batch_with_asks_keeps_its_inputs_and_its_asks_apart() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    new_log(&path);
    let mut w = LogWriter::start(&path, 1).expect("start");
    let (_, p1, r1) = w.append_with_asks(b"inputs", b"asks").expect("append");
    let (_, p2, r2) = w.append_with_asks(b"plain", b"").expect("append");
    let (_, _, r3) = w.append_with_asks(b"", b"x").expect("append");
    for r in [r1, r2, r3] {
        r.wait().expect("durable");
    }
    w.close();
    let o = log::read(&path).expect("open");
    let got: Vec<(&[u8], &[u8])> = o
        .records
        .iter()
        .map(|r| (r.payload.as_slice(), r.asks.as_slice()))
        .collect();
    assert_eq!(
        got,
        [(&b"inputs"[..], &b"asks"[..]), (b"plain", b""), (b"", b"x")]
    );
    assert_eq!((o.records[0].position, o.records[1].position), (p1, p2));
    // A record without asks is the kind an earlier version wrote: byte for byte.
    let plain = log::encode(2, b"plain");
    let bytes = fs::read(&path).expect("read");
    let start = (p1.end) as usize;
    assert_eq!(&bytes[start..start + plain.len()], &plain[..]);
}

#[test]
fn a_damaged_tail_is_described_and_left_alone_until_cut() {
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
        let before = fs::read(&copy).expect("read");
        let o = log::read(&copy).expect("a torn tail is not fatal");
        assert_eq!(o.records.len(), 9, "cut {cut}");
        let t = o.tail.expect("a tail");
        assert_eq!(t.whole_end, None, "a record cut short is not whole");
        assert_eq!(fs::read(&copy).expect("read"), before, "reading wrote");
        log::cut(&copy, t.offset).expect("cut");
        let again = log::read(&copy).expect("reopen");
        assert!(again.tail.is_none());
        assert_eq!(again.records.len(), 9);
    }
    // A flipped byte in the last record: a whole record that does not check.
    let mut bad = fs::read(&path).expect("read");
    let n = bad.len();
    bad[n - 2] ^= 0xff;
    fs::write(&path, &bad).expect("write");
    let o = log::read(&path).expect("open");
    let t = o.tail.expect("a tail");
    assert_eq!(t.whole_end, Some(n as u64));
    assert_eq!(o.records.len(), 9);
}

#[test]
fn corruption_before_the_tail_stops_and_keeps_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    write_batches(&path, 10);
    let bytes = fs::read(&path).expect("read");
    let second = log::read(&path).expect("open").records[0].position.end as usize;
    assert!(second > LOG_HEADER as usize);
    for at in [second + 2, second + 12, second + 30] {
        let mut bad = bytes.clone();
        bad[at] ^= 0xff;
        fs::write(&path, &bad).expect("write");
        match log::read(&path) {
            Err(LogError::Corrupt { offset, .. }) => assert_eq!(offset, second as u64),
            other => panic!("expected corruption, got {other:?}"),
        }
        assert_eq!(fs::read(&path).expect("read"), bad, "nothing cut");
    }
}

#[test]
fn gaps_in_batch_numbers_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    let mut bytes = log::encode_header(&HEADER);
    bytes.extend(log::encode(1, b"a"));
    bytes.extend(log::encode(3, b"b"));
    fs::write(&path, &bytes).expect("write");
    assert!(matches!(
        log::read(&path),
        Err(LogError::Gap { found: 3, .. })
    ));
}

#[test]
fn a_missing_log_or_a_bad_header_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        log::read(&dir.path().join("nope")),
        Err(LogError::Missing(_))
    ));
    assert!(matches!(
        LogWriter::start(&dir.path().join("nope"), 1),
        Err(LogError::Missing(_))
    ));
    assert!(
        !dir.path().join("nope").exists(),
        "the writer created a log"
    );
    let path = dir.path().join("log");
    new_log(&path);
    let good = fs::read(&path).expect("read");
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 4;
        fs::write(&path, &bad).expect("write");
        assert!(
            matches!(log::read(&path), Err(LogError::BadHeader { .. })),
            "flip at {i}"
        );
    }
    fs::write(&path, b"").expect("write");
    assert!(matches!(log::read(&path), Err(LogError::BadHeader { .. })));
}

#[test]
fn a_marker_stands_for_the_record_it_replaced() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("log");
    write_batches(&path, 3);
    let o = log::read(&path).expect("open");
    let third = o.records[2].position;
    log::cut(&path, o.records[1].position.end).expect("cut");
    let pos = log::append_lost(&path, 3, third).expect("marker");
    let o = log::read(&path).expect("open");
    assert_eq!(o.records.len(), 3);
    let r = &o.records[2];
    assert_eq!((r.batch, r.lost, r.position), (3, Some(third), pos));
    assert!(r.stands_at(third) && r.stands_at(pos));
}

#[test]
fn pin_commits_write_each_pin_once_in_one_pack() {
    use pallas_runtime::store::pins::PinStore;
    let dir = tempfile::tempdir().expect("tmp");
    let (mut store, _) = PinStore::open(&dir.path().join("pins"), true).expect("open");
    let pins: Vec<([u8; 32], Vec<u8>)> = (0..1000u32)
        .map(|i| {
            let mut b = 0u64.to_le_bytes().to_vec();
            b.extend_from_slice(&i.to_le_bytes());
            (*blake3::hash(&b).as_bytes(), b)
        })
        .collect();
    let w = store.commit(&pins).expect("commit");
    assert_eq!(w.pins, 1000);
    assert_eq!(store.pack_count(), 1, "one commit, one pack");
    assert_eq!(store.commit(&pins).expect("again").pins, 0);
    assert_eq!(store.pack_count(), 1);
    for (h, b) in &pins {
        assert_eq!(store.get(h).expect("get"), Some(b.as_slice()));
    }
    let missing = *blake3::hash(b"missing").as_bytes();
    assert!(store.get(&missing).expect("get").is_none());
}
