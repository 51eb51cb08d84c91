//! PLAN programs shared by the integration tests, in the `pallas plan` text syntax: our own
//! definitions of `_Add` and `_Sub` by natural-number recursion, the reference's `_If`, and
//! programs built from them.
#![allow(dead_code)]

/// Our own PLAN definitions of `_Add` and `_Sub` (by natural-number recursion) and the
/// reference's `_If`, as text in the `pallas plan` syntax.
pub const C: &str = "{C 3 (0 1 (0 2 3))}";

pub fn add_law() -> String {
    let tn = "(0 (0 (0 (2 2) (2 0)) (2 3)) 1)";
    format!("{{_Add 2 (0 (0 (0 (2 2) {tn}) (0 (0 (2 {C}) (2 3)) (0 0 1))) 2)}}")
}

pub fn sub_law() -> String {
    let tn = "(0 (0 (0 (2 2) (2 0)) (2 3)) 1)";
    format!("{{_Sub 2 (0 (0 (0 (2 2) {tn}) (0 (0 (2 {C}) (2 (2 0 {{I 1 1}}))) (0 0 1))) 2)}}")
}

/// `_Dec x = 2 0 id x`.
pub fn dec_law() -> String {
    "{_Dec 1 (0 (0 (0 (2 2) (2 0)) (2 {I 1 1})) 1)}".to_string()
}

/// `_ToNat x = 2 0 3 x`.
pub fn tonat_law() -> String {
    "{_ToNat 1 (0 (0 (0 (2 2) (2 0)) (2 3)) 1)}".to_string()
}

/// `_Not x = _If x 0 1`.
pub fn not_law() -> String {
    format!("{{_Not 1 (0 (0 (0 <{IF}> 1) (2 0)) (2 1))}}")
}

/// `_Bit x = _If x 1 0`.
pub fn bit_law() -> String {
    format!("{{_Bit 1 (0 (0 (0 <{IF}> 1) (2 1)) (2 0))}}")
}

/// `_And x y = _If x (_Bit y) 0`.
pub fn and_law() -> String {
    format!(
        "{{_And 2 (0 (0 (0 <{IF}> 1) (0 <{}> 2)) (2 0))}}",
        bit_law()
    )
}

/// `_Or x y = _If x 1 (_Bit y)`.
pub fn or_law() -> String {
    format!("{{_Or 2 (0 (0 (0 <{IF}> 1) (2 1)) (0 <{}> 2))}}", bit_law())
}

pub const IF: &str = r#"{"_If" 3 (0 (0 (0 (2 2) 3) (0 {0 2 1} 2)) 1)}"#;

/// fib n = if n (if (sub n 1) (add (fib (sub n 1)) (fib (sub n 2))) 1) 0
pub fn fib_law() -> String {
    let (add, sub, iff) = (
        format!("<{}>", add_law()),
        format!("<{}>", sub_law()),
        format!("<{IF}>"),
    );
    let n1 = format!("(0 (0 {sub} 1) (2 1))");
    let n2 = format!("(0 (0 {sub} 1) (2 2))");
    let rec = format!("(0 (0 {add} (0 0 {n1})) (0 0 {n2}))");
    let inner = format!("(0 (0 (0 {iff} {n1}) {rec}) (2 1))");
    format!("{{fib 1 (0 (0 (0 {iff} 1) {inner}) (2 0))}}")
}

/// down n = if n (add 1 (down (sub n 1))) 0: non-tail recursion through direct calls.
pub fn down_law() -> String {
    let (add, sub, iff) = (
        format!("<{}>", add_law()),
        format!("<{}>", sub_law()),
        format!("<{IF}>"),
    );
    let rec = format!("(0 (0 {add} (2 1)) (0 0 (0 (0 {sub} 1) (2 1))))");
    format!("{{down 1 (0 (0 (0 {iff} 1) {rec}) (2 0))}}")
}

/// `_Eqz x`: 1 for the nat 0, else 0 (non-nats give 0).
pub fn eqz_law() -> String {
    "{_Eqz 1 (0 (0 (0 (0 (0 (2 1) (2 {0 1 (2 0)})) (2 {0 3 (2 0)})) (2 {0 2 (2 0)})) (2 (2 1 {0 1 (2 0)}))) 1)}".to_string()
}

/// `_Ifz x t e = _If (_Eqz x) t e`.
pub fn ifz_law() -> String {
    format!(
        "{{_Ifz 3 (0 (0 (0 (2 <{IF}>) (0 (2 <{}>) 1)) 2) 3)}}",
        eqz_law()
    )
}

/// Runs the built binary with `args`: (exit status, stdout, stderr).
pub fn pallas(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pallas"))
        .args(args)
        .output()
        .expect("run pallas");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tag test by the elimination opcode: `1 (const p) (const3 l) (const2 a) (const n) x`,
/// answering `p`, `l`, `a` or `n` for a pin, law, app or nat `x` (`_IsPin` ... `_IsNat`).
fn tag_law(name: &str, [p, l, a, n]: [u64; 4]) -> String {
    let k = |arity: u64, v: u64| format!("(2 ({{K {} 1}} {v}))", arity + 1);
    format!(
        "{{{name} 1 (0 (0 (0 (0 (0 (2 1) {}) {}) {}) {}) 1)}}",
        k(1, p),
        k(3, l),
        k(2, a),
        k(1, n)
    )
}

/// `_IsApp x`.
pub fn isapp_law() -> String {
    tag_law("_IsApp", [0, 0, 1, 0])
}

/// `_IsNat x`.
pub fn isnat_law() -> String {
    tag_law("_IsNat", [0, 0, 0, 1])
}

/// `_IsLaw x`.
pub fn islaw_law() -> String {
    tag_law("_IsLaw", [0, 1, 0, 0])
}

/// `_IsPin x`.
pub fn ispin_law() -> String {
    tag_law("_IsPin", [1, 0, 0, 0])
}

/// What a `pallas sire` run of a file defining `result` printed: the value after `result=`,
/// or else its crash line (else all of its standard error).
pub fn result_or_crash(out: &str, err: &str) -> String {
    match out.lines().find_map(|l| l.strip_prefix("result=")) {
        Some(v) => v.to_string(),
        None => err
            .lines()
            .find(|l| l.trim_start().starts_with("crash:"))
            .unwrap_or(err)
            .trim()
            .to_string(),
    }
}

/// Runs `pallas FLAGS sire --no-repl COPY`, where COPY is the Sire test file `file` with the
/// line `result=(expr)` added, written to a temporary directory under a module name made
/// from `expr` (the file's first line, `#### NAME <- DEP`, is renamed to match). Returns its
/// standard output and standard error.
pub fn run_with_result(file: &str, flags: &[&str], expr: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("pallas-result-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let stem: String = expr
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let src = dir.join(format!("{stem}.sire"));
    let text = std::fs::read_to_string(file).expect("test file");
    let (first, rest) = text.split_once('\n').expect("a header line");
    let dep = first
        .split_once(" <- ")
        .map(|(_, d)| d)
        .expect("#### NAME <- DEP");
    std::fs::write(
        &src,
        format!("#### {stem} <- {dep}\n{rest}\n\nresult=({expr})\n"),
    )
    .expect("write");
    let mut args: Vec<&str> = flags.to_vec();
    let path = src.to_string_lossy().into_owned();
    args.extend(["sire", "--no-repl", &path]);
    let (_, out, err) = pallas(&args);
    let _ = std::fs::remove_file(&src);
    (out, err)
}
