//! The HTTP library's server driver (`sire/http.sire`) with real processes: the web demo
//! serves 100 concurrent requests while one connection sends nothing and another sends its
//! request a byte at a time; malformed requests get `400 Bad Request`; the idle connection is
//! closed after the library's time limit.

mod machine;

use machine::*;
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The library's time limit (`httpTimeLimit` in sire/http.sire), in seconds.
const LIMIT: f64 = 10.0;

/// The body of a `200 OK` answer to a GET of `path`.
fn get_body(port: u16, path: &str) -> String {
    let out = http_get_path(port, path);
    assert!(out.starts_with("HTTP/1.0 200 OK\r\n"), "{out:?}");
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Whether the server still holds `s` open (nothing to read and no end of stream).
fn still_open(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).expect("nonblocking");
    let mut b = [0u8; 16];
    let open = matches!(s.read(&mut b), Err(e) if e.kind() == ErrorKind::WouldBlock);
    s.set_nonblocking(false).expect("blocking");
    open
}

#[test]
fn many_connections_at_once_while_one_is_idle_and_one_is_slow() {
    let dir = store("httpd");
    boot_ok(&dir, "sire/demo_web.sire");
    let (mut child, lines) = start_lines(&dir);
    let port = next_number(&lines, "port") as u16;

    // A connection that never sends anything, opened first.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let idle_opened = Instant::now();

    // A connection that sends its request a byte every 40 ms (about a second in all).
    let slow = std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        for b in b"GET /slow HTTP/1.0\r\nHost: x\r\n\r\n" {
            s.write_all(&[*b]).expect("write");
            std::thread::sleep(Duration::from_millis(40));
        }
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    });

    // 100 requests at once, on 10 paths.
    let t = Instant::now();
    let clients: Vec<_> = (0..100)
        .map(|i| std::thread::spawn(move || (i % 10, get_body(port, &format!("/c{}", i % 10)))))
        .collect();
    let mut counts: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for c in clients {
        let (k, body) = c.join().expect("a client failed");
        assert!(body.starts_with(&format!("/c{k}: ")), "{body:?}");
        counts.entry(k).or_default().push(last_number(&body));
    }
    let all = t.elapsed();
    eprintln!("100 concurrent requests answered in {all:?}");
    for (k, mut ns) in counts {
        ns.sort_unstable();
        assert_eq!(ns, (1..=10).collect::<Vec<u64>>(), "visits of /c{k}");
    }
    assert!(
        idle_opened.elapsed().as_secs_f64() < LIMIT - 1.0,
        "the requests took so long that the idle connection may have been closed already"
    );
    assert!(
        still_open(&mut idle),
        "the idle connection was closed early"
    );

    let slow = slow.join().expect("the slow client failed");
    assert!(slow.starts_with("HTTP/1.0 200 OK\r\n"), "{slow:?}");
    assert!(slow.ends_with("/slow: 1\n"), "{slow:?}");

    // Malformed requests.
    for bad in [
        "GET / HTTP/1.0 extra\r\n\r\n".to_string(),
        "get / HTTP/1.0\r\n\r\n".into(),
        "GET nopath HTTP/1.0\r\n\r\n".into(),
        "\r\n\r\n".into(),
        format!("GET /{} HTTP/1.0\r\n", "a".repeat(20_000)),
    ] {
        let out = http_raw(port, &bad);
        assert!(
            out.starts_with("HTTP/1.0 400 Bad Request\r\n"),
            "{:?} got {out:?}",
            &bad[..bad.len().min(40)]
        );
    }
    assert_eq!(
        get_body(port, "/c3"),
        "/c3: 11\n",
        "malformed requests were counted"
    );

    // The idle connection is closed after the time limit (whole seconds: within one more).
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut rest = Vec::new();
    let got = idle.read_to_end(&mut rest);
    let closed = idle_opened.elapsed().as_secs_f64();
    eprintln!("the idle connection was closed after {closed:.2} s");
    assert!(got.is_ok() && rest.is_empty(), "{got:?} {rest:?}");
    assert!(
        (LIMIT..LIMIT + 2.0).contains(&closed),
        "closed after {closed:.2} s, not within [{LIMIT}, {}) s",
        LIMIT + 2.0
    );

    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
