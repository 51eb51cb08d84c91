//! Strict loop arguments (runtime/src/bytecode/strict.rs): the rewrite applies where the law
//! evaluates the argument first, and every engine gives the same value or the same crash.

mod common;

use common::pallas;

const FILE: &str = "tests/sire/strict/loops.sire";

/// What `expr` gives in the scope of the test file: its value, or the crash.
fn outcome(flags: &[&str], expr: &str) -> String {
    let dir = std::env::temp_dir().join(format!("pallas-strict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let src = dir.join(format!("{}.sire", expr.replace(' ', "_")));
    let text = std::fs::read_to_string(FILE).expect("test file");
    let text = text.replacen(
        "#### loops <- order",
        &format!("#### {} <- order", stem(&src)),
        1,
    );
    std::fs::write(&src, format!("{text}\n\nresult=({expr})\n")).expect("write");
    let mut args: Vec<&str> = flags.to_vec();
    let path = src.to_string_lossy().into_owned();
    args.extend(["sire", "--no-repl", &path]);
    let (_, out, err) = pallas(&args);
    let _ = std::fs::remove_file(&src);
    match out.lines().find_map(|l| l.strip_prefix("result=")) {
        Some(v) => v.to_string(),
        None => err
            .lines()
            .find(|l| l.trim_start().starts_with("crash:"))
            .unwrap_or(&err)
            .trim()
            .to_string(),
    }
}

fn stem(p: &std::path::Path) -> String {
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn strict_loop_arguments_keep_values_and_crashes() {
    for (expr, want) in [
        ("ack 2 3", "9"),
        ("ack 3 3", "61"),
        ("skip 3 5", "0"),
        ("o2 2 1", "crash: op 8 with argument 1"),
        ("o3 2 1", "crash: op 9 with argument 1"),
        ("o3 0 1", "0"),
        ("dep 3 2", "20"),
        ("dep2 3 1", "crash: op 9 with argument 3"),
    ] {
        for flags in [
            &["--engine", "oracle"][..],
            &["--jit", "off"][..],
            &["--jit", "always"][..],
        ] {
            assert_eq!(outcome(flags, expr), want, "{expr} with {flags:?}");
        }
    }
}

#[test]
fn the_rewrite_applies_only_where_the_argument_is_evaluated_first() {
    let dis = |name: &str| pallas(&["bytecode", FILE, name]).1;
    assert!(dis("ack").contains("unless evaluated"), "{}", dis("ack"));
    assert!(dis("o3").contains("unless evaluated"), "{}", dis("o3"));
    assert!(dis("dep").contains("unless evaluated"), "{}", dis("dep"));
    assert!(!dis("skip").contains("unless evaluated"), "{}", dis("skip"));
}
