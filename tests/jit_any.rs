//! The JIT's tier for any law (`--jit-any`): the laws of tests/sire/jit_any/data.sire (tail
//! calls between laws, `_Dec`, the increment, `_ToNat` and `_Len` at the edges of small nats and
//! on other values, thunks as operands, crashes) give the same value or the same crash under
//! the oracle, the interpreter, and the JIT compiling every law it can or only those it
//! expects to pay.

mod common;

const FILE: &str = "tests/sire/jit_any/data.sire";

/// The any-law tier with every law hot from its first call, and its statistics.
const HOT_AT_ONCE: &[&str] = &[
    "--jit",
    "on",
    "--jit-threshold",
    "1",
    "--jit-any",
    "--jit-stats",
];

/// What `expr` gives in the scope of the test file under `flags`: its value, or the crash,
/// and the JIT's report (with `--jit-stats`).
fn outcome(flags: &[&str], expr: &str) -> (String, String) {
    let (out, err) = common::run_with_result(FILE, flags, expr);
    let report = err
        .lines()
        .find(|l| l.starts_with("jit:"))
        .unwrap_or("")
        .to_string();
    let result = common::result_or_crash(&out, &err);
    (result, report)
}

/// How many laws the report says were compiled for any value, and how many were left to the
/// interpreter.
fn any_tier(report: &str) -> (u64, u64) {
    let before = |marker: &str| -> u64 {
        let head = &report[..report.find(marker).unwrap_or_else(|| panic!("{report}"))];
        let word = head.split_whitespace().last().expect("a count");
        word.parse().unwrap_or_else(|_| panic!("{report}"))
    };
    (
        before(" compiled for any value"),
        before(" left to the interpreter"),
    )
}

const MODES: [&[&str]; 5] = [
    &["--engine", "oracle"],
    &["--jit", "off"],
    &["--jit", "on", "--jit-any"],
    &["--jit", "on", "--jit-threshold", "1", "--jit-any"],
    &["--jit", "always", "--jit-any"],
];

#[test]
fn every_engine_agrees_on_tail_calls_and_crashes() {
    for (expr, want) in [
        // 100000 hops: more than machine code could nest if a tail call grew its stack.
        ("hops 100000", "100000"),
        ("hopSum 1000", "500500"),
        ("pingPong 1001", "1501"),
        ("hopCrash 6", "crash: op 9 with argument 0"),
        ("hopCrash 5", "crash: op 8 with argument 0"),
        ("thunkSum 300", "45150"),
        ("crashIn 3", "crash: op 9 with argument 3"),
    ] {
        for flags in MODES {
            assert_eq!(outcome(flags, expr).0, want, "{expr} with {flags:?}");
        }
    }
}

#[test]
fn every_engine_agrees_on_unary_operations_at_the_edges() {
    for (expr, want) in [
        // Across 2^63 - 1, the largest small nat, both ways.
        ("incs 9223372036854775805 5", "9223372036854775810"),
        ("incS 9223372036854775805 5", "9223372036854775810"),
        ("incS 9223372036854775806 1", "9223372036854775807"),
        ("decs 9223372036854775810 10", "9223372036854775800"),
        ("decS 9223372036854775810 10", "9223372036854775800"),
        ("decS 9223372036854775808 1", "9223372036854775807"),
        // Below zero stays zero.
        ("decS 3 10", "0"),
        ("incS 0 200", "200"),
        // `_Len` of rows and of other values, `_ToNat` of nats (small, 2^64 + 1), a row, a
        // law and finished and unfinished thunks.
        ("lens 7", "5"),
        ("mixed 4", "18446744073709551631"),
    ] {
        for flags in MODES {
            assert_eq!(outcome(flags, expr).0, want, "{expr} with {flags:?}");
        }
    }
}

#[test]
fn always_compiles_every_law_and_on_only_those_expected_to_pay() {
    let (v, always) = outcome(
        &["--jit", "always", "--jit-any", "--jit-stats"],
        "hopSum 300",
    );
    assert_eq!(v, "45150");
    let (compiled, left) = any_tier(&always);
    assert!(compiled >= 3 && left == 0, "{always}");
    // `hop` and the list laws are mostly calls and allocation: the interpreter keeps them.
    let (v, on) = outcome(HOT_AT_ONCE, "hopSum 300");
    assert_eq!(v, "45150");
    let (_, left) = any_tier(&on);
    assert!(left >= 3, "{on}");
    // A self loop (on rows: not for the small-nat tier) goes to machine code.
    let (v, on) = outcome(HOT_AT_ONCE, "lens 7");
    assert_eq!(v, "5");
    let (compiled, _) = any_tier(&on);
    assert!(compiled >= 1, "{on}");
}
