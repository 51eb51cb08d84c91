//! Seeds from the command line: `plan --seed`, `show`, `save`, and bad files.

mod common;

use common::pallas;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pallas-seed-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d.join(name)
}

#[test]
fn plan_seed_then_show_round_trips() {
    let f = tmp("a.seed");
    let fs = f.to_string_lossy().to_string();
    let expr = "({f 3 (0 1 2)} 5 <{g 1 0}>)";
    let (code, _, err) = pallas(&["plan", "--seed", &fs, expr]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = pallas(&["show", "--plan", &fs]);
    assert_eq!(code, 0, "{err}");
    let (_, direct, _) = pallas(&["plan", expr]);
    assert_eq!(out, direct);
}

#[test]
fn corrupt_seed_is_a_clear_error() {
    let f = tmp("bad.seed");
    std::fs::write(&f, [1u8, 0, 0, 0, 0, 0, 0, 0, 9, 9]).expect("write");
    let (code, _, err) = pallas(&["show", &f.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad seed at byte"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, _, err) = pallas(&["show", "/nonexistent/x.seed"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn save_writes_main_as_a_seed_and_a_pod() {
    let src = tmp("m.sire");
    std::fs::write(&src, "#### m\n\n= main (0 1 2)\n").expect("write");
    for pod in [false, true] {
        let out = tmp(if pod { "m.pod" } else { "m.seed" });
        let outs = out.to_string_lossy().to_string();
        let srcs = src.to_string_lossy().to_string();
        let mut args = vec!["save", &outs, &srcs];
        if pod {
            args.insert(1, "--pod");
        }
        let (code, _, err) = pallas(&args);
        assert_eq!(code, 0, "{err}");
        let (code, shown, err) = pallas(&["show", "--plan", &outs]);
        assert_eq!(code, 0, "{err}");
        let want = if pod { "<(0 1 2)>" } else { "(0 1 2)" };
        assert_eq!(shown.trim(), want);
    }
}
