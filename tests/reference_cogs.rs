//! The reference's own cogs, booted unchanged from `$PALLAS_REFERENCE/sire` (its kernel
//! `kern.sire` and HTTP driver `proc_http.sire` drive our machine): the notepad serves its
//! page and its note over HTTP, and a note that was acknowledged survives `kill -9` in the
//! middle of another post; the file pad serves what its code serves, across `kill -9`.
//! Skipped, with a SKIPPED line, when `PALLAS_REFERENCE` is not set.

mod machine;
mod reference;

use machine::*;
use std::path::Path;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

/// One boot at a time: the first compiles the reference's Sire chain (over a gigabyte at its
/// peak) and caches it for the next.
static BOOTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Boots `file` of the reference in a fresh store named `name`.
fn boot_reference(root: &Path, file: &str, name: &str) -> std::path::PathBuf {
    let dir = store(name);
    let _one = BOOTING.lock().unwrap_or_else(|e| e.into_inner());
    boot_ok(&dir, &root.join("sire").join(file).to_string_lossy());
    dir
}

/// Starts the machine in `dir` and returns it, its output and its port (the reference's
/// HTTP driver prints `visit http://localhost:PORT` once it listens).
fn serve(dir: &Path) -> (Child, mpsc::Receiver<String>, u16) {
    let (child, lines) = start_lines(dir);
    let port = last_number(&wait_line(&lines, "httpRunning", Duration::from_secs(120)));
    (child, lines, port as u16)
}

/// The status line and the body of an HTTP response.
fn split(resp: &str) -> (&str, &str) {
    let status = resp.lines().next().unwrap_or("");
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body)
}

/// The note the notepad serves at `/note`.
fn note(port: u16) -> String {
    let resp = http_get_path(port, "/note");
    let (status, body) = split(&resp);
    assert_eq!(status, "HTTP/1.0 200 OK", "{resp}");
    body.to_string()
}

/// Posts a new note; true once the notepad acknowledged it.
fn post_note(port: u16, text: &str) -> bool {
    http_post(port, "/changed", &format!("{{\"newNote\":\"{text}\"}}"))
        .is_some_and(|resp| resp.starts_with("HTTP/1.0 200 OK"))
}

fn kill_9(mut child: Child) {
    child.kill().expect("kill -9");
    let _ = child.wait();
}

#[test]
fn the_reference_notepad_serves_http_and_keeps_its_note_across_kill_9() {
    let Some(root) = reference::checkout("the reference's demo_cog_notepad over HTTP") else {
        return;
    };
    let dir = boot_reference(&root, "demo_cog_notepad.sire", "ref-notepad");
    let (child, _lines, port) = serve(&dir);
    assert!(
        note(port).contains("Pallas Notepad"),
        "the first note is the notepad's welcome text"
    );
    let page = http_get_path(port, "/");
    let (status, body) = split(&page);
    assert_eq!(status, "HTTP/1.0 200 OK", "{page}");
    assert!(body.contains("<title>Pallas Notepad</title>"), "{page}");
    assert!(
        post_note(port, "first note"),
        "the post was not acknowledged"
    );
    assert_eq!(note(port), r#"{"note":"first note"}"#);
    // A second post, cut short by kill -9 in the middle: whichever note is there after the
    // restart, an acknowledged one must be.
    let poster = std::thread::spawn(move || post_note(port, "second note"));
    std::thread::sleep(Duration::from_millis(5));
    kill_9(child);
    let acked = poster.join().expect("the poster");
    let (child, _lines, port) = serve(&dir);
    let after = note(port);
    if acked {
        assert_eq!(
            after, r#"{"note":"second note"}"#,
            "an acknowledged post was lost"
        );
    } else {
        assert!(
            after == r#"{"note":"first note"}"# || after == r#"{"note":"second note"}"#,
            "{after}"
        );
    }
    assert!(post_note(port, "third note"));
    kill_9(child);
    let (child, _lines, port) = serve(&dir);
    assert_eq!(
        note(port),
        r#"{"note":"third note"}"#,
        "lost across kill -9"
    );
    kill_9(child);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The file pad is a sketch: its handler treats every request as a GET and answers only
/// `/files` (with a fixed body); everything else is a 404.
#[test]
fn the_reference_file_pad_serves_what_its_code_serves_across_kill_9() {
    let Some(root) = reference::checkout("the reference's demo_cog_filepad over HTTP") else {
        return;
    };
    let dir = boot_reference(&root, "demo_cog_filepad.sire", "ref-filepad");
    for round in 0..2 {
        let (child, _lines, port) = serve(&dir);
        let files = http_get_path(port, "/files");
        assert_eq!(
            split(&files),
            ("HTTP/1.0 200 Okkkk", "body"),
            "round {round}"
        );
        for path in ["/", "/note"] {
            let resp = http_get_path(port, path);
            assert_eq!(split(&resp).0, "HTTP/1.0 404 Not found", "{path}: {resp}");
        }
        let resp = http_post(port, "/changed", r#"{"newNote":"x"}"#).expect("an answer");
        assert_eq!(split(&resp).0, "HTTP/1.0 404 Not found", "{resp}");
        kill_9(child);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
