//! `pallas plan` as a user runs it: results, hashes, and errors for malformed input.

mod common;

use common::pallas;

#[test]
fn increments() {
    let (code, out, _) = pallas(&["plan", "(3 99)"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "100");
}

#[test]
fn law_application() {
    let (code, out, _) = pallas(&["plan", "({f 2 2} 7 8)"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "8");
}

#[test]
fn hash_of_if_law() {
    let (code, out, _) = pallas(&[
        "plan",
        "--hash",
        r#"{"_If" 3 (0 (0 (0 (2 2) 3) (0 {0 2 1} 2)) 1)}"#,
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "CGWi51frV26N7KUBbso2WzBad8W2mbix6HaejVem5YaZ");
}

#[test]
fn malformed_input_names_position_and_exits_2() {
    for (src, want) in [
        ("(3 99", "1:1"),
        ("(3 99))", "1:7"),
        ("{f 2}", "1:1"),
        ("(3 #)", "1:4"),
        ("()", "1:1"),
    ] {
        let (code, _, err) = pallas(&["plan", src]);
        assert_eq!(code, 2, "{src}: {err}");
        assert!(err.contains(want), "{src}: {err}");
        assert!(!err.contains("panicked"), "{src}: {err}");
    }
}

#[test]
fn crash_is_reported_with_op_and_value() {
    let (code, _, err) = pallas(&["plan", "(7 (3 4))"]);
    assert_eq!(code, 1);
    assert!(err.contains("op 7") && err.contains("5"), "{err}");
}

#[test]
fn cyclic_value_is_reported_not_looped() {
    // let a = (0 5 a) in a: a value that contains itself has no normal form.
    for engine in ["bytecode", "oracle"] {
        let (code, _, err) = pallas(&[
            "--engine",
            engine,
            "plan",
            "({f 1 (1 (0 (2 (0 5)) 2) 2)} 0)",
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("infinite"), "{err}");
    }
}

#[test]
fn profile_names_the_hot_laws_in_every_format() {
    let dir = std::env::temp_dir().join(format!("pallas-prof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let prog = format!("({} 20)", common::fib_law());
    for (file, check) in [
        ("p.txt", "calls"),
        ("p.folded", "fib"),
        ("p.json", "\"type\":\"sampled\""),
    ] {
        let out = dir.join(file);
        let out_s = out.to_string_lossy().to_string();
        let (code, stdout, err) = pallas(&[
            "--jet-mismatch-ignore",
            "--profile-interval-us",
            "200",
            "--profile-output",
            &out_s,
            "plan",
            &prog,
        ]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(stdout.trim(), "6765");
        let text = std::fs::read_to_string(&out).expect("profile written");
        assert!(text.contains(check), "{file}: {text}");
        if file == "p.txt" {
            // The recursion itself and the arithmetic it calls are the hot laws.
            let fib_row = text
                .lines()
                .find(|l| l.starts_with("fib "))
                .expect("fib row");
            let calls: u64 = fib_row
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .expect("calls");
            assert_eq!(calls, 21891, "fib 20 makes 21891 calls: {fib_row}");
            assert!(text.contains("_Add@") && text.contains("_Sub@"), "{text}");
        }
    }
}

#[test]
fn bench_json_is_parseable_and_modes_agree() {
    let prog = format!("({} 12)", common::fib_law());
    let (code, out, err) = pallas(&["bench", "--json", "--runs", "2", "--with-no-jets", &prog]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let modes = v["modes"].as_array().expect("modes");
    assert_eq!(modes.len(), 4);
    for m in modes {
        assert_eq!(m["result"], "144");
        assert!(m["min_s"].as_f64().expect("min") > 0.0);
        assert!(m["median_s"].as_f64().expect("median") >= m["min_s"].as_f64().expect("min"));
    }
    assert!(
        modes[1]["laws_compiled"].as_u64().expect("laws") > 0,
        "bytecode compiles laws"
    );
}

#[test]
fn bench_of_a_sire_loop_compiles_it_natively_and_agrees() {
    let (code, out, err) = pallas(&[
        "bench",
        "--json",
        "--runs",
        "3",
        "--jit-threshold",
        "50",
        "--sire",
        "sire/bench.sire",
        "countDown 20000",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let modes = v["modes"].as_array().expect("modes");
    let names: Vec<&str> = modes.iter().filter_map(|m| m["mode"].as_str()).collect();
    assert_eq!(names, ["jit off", "jit on"]);
    for m in modes {
        assert_eq!(m["result"], "0");
    }
    assert!(modes[0]["jit"].is_null(), "the JIT ran with --jit off");
    let report = modes[1]["jit"].as_str().expect("a JIT report");
    let compiled: u64 = report
        .strip_prefix("jit: ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(compiled >= 1, "the loop was never compiled: {report}");
}
