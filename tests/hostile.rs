//! Hostile input: nesting, chains and sizes a person can write. Every command either works
//! or stops with a clear error (a place and a limit) and exit status 2; none aborts.
//! F1-F5 are the first cases found; the rest are larger variants and
//! what fuzzing (tests/fuzz.rs) found.

mod common;

use std::path::PathBuf;

use common::pallas;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// Runs `pallas --no-cache sire --no-repl FILE` on `text`.
fn sire(name: &str, text: &str) -> (i32, String, String) {
    let p = write(name, text);
    pallas(&["--no-cache", "sire", "--no-repl", &p.display().to_string()])
}

/// Neither an abort nor a panic: exit status 0 or 2, nothing about the stack.
fn clean(what: &str, (code, out, err): &(i32, String, String)) {
    assert!(
        *code == 0 || *code == 2,
        "{what}: exit {code}\n{}",
        &err[..err.len().min(2000)]
    );
    for bad in ["overflowed its stack", "panicked", "fatal runtime error"] {
        assert!(!err.contains(bad), "{what}: {bad}");
    }
    let _ = out;
    assert!(
        err.len() < 20_000,
        "{what}: {} bytes of messages",
        err.len()
    );
}

fn prefix_chain(rune: &str, n: usize) -> String {
    format!("#### p\n\n= x {}1\n", rune.repeat(n))
}

#[test]
fn f1_prefix_rune_chains_compile_or_stop_at_the_limit() {
    let r = sire("f1.sire", &prefix_chain("| ", 20_000));
    clean("F1", &r);
    assert_eq!((r.0, r.1.trim()), (0, "x=1"), "{}", r.2);
    // Past the reader's limit: an error at the place, naming the limit.
    let r = sire("f1big.sire", &prefix_chain("| ", 150_000));
    clean("F1 x 150,000", &r);
    assert_eq!(r.0, 2);
    assert!(r.2.contains("f1big.sire:3:"), "{}", r.2);
    assert!(r.2.contains("more than 100000 levels deep"), "{}", r.2);
    for rune in ["& ", "@ ", "f|"] {
        let r = sire("f1r.sire", &prefix_chain(rune, 30_000));
        clean(&format!("F1 {rune:?} x 30,000"), &r);
        assert_eq!(r.0, 2, "{rune:?} is not a valid program");
    }
}

#[test]
fn f2_infix_rune_chains_are_errors_not_aborts() {
    for n in [15_000, 200_000] {
        let r = sire("f2.sire", &format!("#### p\n\n= x {}1\n", "1+".repeat(n)));
        clean(&format!("F2 x {n}"), &r);
        assert_eq!(r.0, 2);
        assert!(r.2.contains("Undefined rune: +"), "{}", &r.2[..500]);
    }
    // Alternating runes nest one level per change: past the limit, an error for the block.
    let r = sire(
        "f2alt.sire",
        &format!("#### p\n\n= x {}1\n", "1+1-".repeat(60_000)),
    );
    clean("F2 alternating", &r);
    assert!(r.2.contains("f2alt.sire:3:"), "{}", r.2);
    assert!(r.2.contains("levels deep"), "{}", r.2);
}

#[test]
fn f3_many_definitions_in_one_block_load() {
    let mut src = String::from("#### d\n\n");
    for i in 0..10_000 {
        src.push_str(&format!("= v{i} {i}\n"));
    }
    let r = sire("f3.sire", &src);
    clean("F3", &r);
    assert_eq!(r.0, 0, "{}", r.2);
    assert!(r.1.trim_end().ends_with("v9999=9999"));
    assert_eq!(r.1.lines().count(), 10_000);
}

#[test]
fn f4_f5_deep_plan_expressions_evaluate() {
    let deep_parens = format!("{}0 1{}", "(".repeat(50_000), ")".repeat(50_000));
    let r = pallas(&["plan", &deep_parens]);
    clean("F4", &r);
    assert_eq!((r.0, r.1.trim()), (0, "(0 1)"));
    let unbalanced = format!("{}0 1{}", "(".repeat(50_000), ")".repeat(49_999));
    let r = pallas(&["plan", &unbalanced]);
    clean("F4 unbalanced", &r);
    assert_eq!(r.0, 2);
    assert!(r.2.contains("never closed") && r.2.len() < 1000, "{}", r.2);
    let laws = format!("{}0{}", "{f 1 ".repeat(10_000), "}".repeat(10_000));
    let r = pallas(&["plan", &laws]);
    clean("F5", &r);
    assert_eq!(r.0, 0);
    assert!(r.1.starts_with("{f 1 {f 1 {f 1 "));
}

#[test]
fn deep_brackets_and_nested_calls_compile() {
    // 90,000 nested calls: reader, compiler, bytecode compiler and evaluation.
    let n = 90_000;
    let src = format!(
        "#### p\n\n= (f x) x\n= y {}1{}\n",
        "(f ".repeat(n),
        ")".repeat(n)
    );
    let r = sire("calls.sire", &src);
    clean("nested calls", &r);
    assert_eq!(r.0, 0, "{}", r.2);
    assert!(r.1.contains("y=1"));
    // Brackets past the limit: an error at the first one too deep.
    let src = format!(
        "#### p\n\n= y {}1{}\n",
        "(".repeat(120_000),
        ")".repeat(120_000)
    );
    let r = sire("brackets.sire", &src);
    clean("deep brackets", &r);
    assert_eq!(r.0, 2);
    assert!(r.2.contains("brackets.sire:3:100005:"), "{}", r.2);
}

#[test]
fn long_heir_chains_of_applications_compile() {
    // Found while hardening: 200,000 `| f` lines in one block are an application 200,000
    // deep, whose Sire tree overflowed the stack when dropped.
    let mut src = String::from("#### p\n\n= (f x) x\n= y\n  f 1\n");
    for _ in 0..200_000 {
        src.push_str("| f\n");
    }
    let r = sire("heirs.sire", &src);
    clean("heir chain", &r);
}

#[test]
fn long_line_strings_read_in_linear_time() {
    let mut src = String::from("#### p\n\n= t\n");
    for i in 0..50_000 {
        src.push_str(&format!("}} line {i}\n"));
    }
    let start = std::time::Instant::now();
    let r = sire("lines.sire", &src);
    clean("line strings", &r);
    assert_eq!(r.0, 0, "{}", r.2);
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
}

#[test]
fn deep_values_made_at_run_time_save_and_show() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::copy("sire/arith.sire", dir.join("arith.sire")).expect("copy arith");
    let p = write(
        "deepval.sire",
        "#### deepval <- arith\n\n= (nest n) | 2 0 (m & (0 0 2 0 (nest m))) n\n\n= main | nest 300000\n",
    );
    let seed = dir.join("deep.seed");
    let r = pallas(&[
        "--no-cache",
        "save",
        &seed.display().to_string(),
        &p.display().to_string(),
    ]);
    clean("save", &r);
    assert_eq!(r.0, 0, "{}", r.2);
    for args in [vec!["show"], vec!["show", "--plan"]] {
        let mut a = args.clone();
        let s = seed.display().to_string();
        a.push(&s);
        let (code, out, err) = pallas(&a);
        assert_eq!(code, 0, "{err}");
        assert!(out.len() > 300_000, "{args:?}");
        assert!(!err.contains("overflowed"));
    }
}

#[test]
fn library_readers_take_deep_input_on_a_small_stack() {
    // Test threads have 2 MB stacks: the readers must not depend on the main thread's 8 MB.
    let t = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let src = format!("= x {}1\n", "| ".repeat(50_000));
            let b = pallas::rex::read_blocks("t", &src).expect("reads");
            let printed = pallas::rex::print(&b[0].rex, &|_| String::new());
            let back = pallas::rex::read_blocks("p", &printed).expect("reads back");
            assert!(back[0].rex == b[0].rex);
            assert_eq!(b[0].rex.depth(), 50_002);
            let deep = format!("{}0{}", "<(0 ".repeat(200_000), ")>".repeat(200_000));
            let e = pallas::plan_syntax::parse(&deep).expect("parses");
            drop(e);
        })
        .expect("spawn");
    t.join().expect("no overflow");
}

/// A chain of aliases, each definition naming the one before (`= v2 v1`), compiles on a
/// 1 MB stack: the compiler follows such chains through each link, which overflowed the
/// stack (an abort) at 2,000 links there and at about 20,000 on the usual 8 MB.
#[test]
fn alias_chains_compile_on_a_small_stack() {
    let mut src = String::from("#### al <- tab\n\n:| tab\n\n= v0 5\n\n");
    for i in 1..=2000 {
        src.push_str(&format!("= v{i} v{}\n\n", i - 1));
    }
    src.push_str("=?= 5 v2000\n");
    let p = write("alias_chain.sire", &src);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -s 1024 && exec \"$0\" --no-cache sire --no-repl '{}'",
            p.display()
        ))
        .arg(env!("CARGO_BIN_EXE_pallas"))
        .output()
        .expect("run sh");
    let code = out.status.code().unwrap_or(-1);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    clean("2,000 aliases on a 1 MB stack", &(code, String::new(), err));
    assert_eq!(code, 0);
}
