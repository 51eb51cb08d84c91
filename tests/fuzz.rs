//! Mutation fuzzing of every reader, in bounded time: the Rex reader and printer, the Sire
//! loader (with a deadline per input), the PLAN syntax and the seed loader, fed mutations of
//! our own Sire files and of seeds made from them.
//!
//! A crash here is a panic (the test fails and names the input) or an abort such as a stack
//! overflow (the test binary dies; the input it was reading is in `fuzz-current.*` under
//! cargo's test temporary directory, and the seed is printed first). Every crash found
//! becomes a regression test in `tests/hostile.rs`.
//!
//! `PALLAS_FUZZ_ITERS` sets the number of inputs per target (default 300, about 20 s in
//! release on two cores); `PALLAS_FUZZ_SEED` the seed (default: fixed, so CI is repeatable).
//! A longer run for developers: `PALLAS_FUZZ_ITERS=20000 PALLAS_FUZZ_SEED=$RANDOM cargo test
//! --release --test fuzz -- --nocapture`.

// Session failures carry text for people; their size does not matter here.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pallas::sire::session::Session;
use pallas_runtime::{Config, Runtime};

/// A small, seedable generator (xorshift64*), so a run is repeatable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations() -> usize {
    std::env::var("PALLAS_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    let s = std::env::var("PALLAS_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_260_101);
    eprintln!(
        "fuzz seed {s} (PALLAS_FUZZ_SEED), {} inputs per target",
        iterations()
    );
    s | 1
}

/// Our Sire files (and the reference's, when PALLAS_REFERENCE names a checkout).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut dirs = vec![PathBuf::from("sire"), PathBuf::from("tests/sire")];
    match std::env::var_os("PALLAS_REFERENCE") {
        Some(r) => dirs.push(Path::new(&r).join("sire")),
        None => eprintln!("PALLAS_REFERENCE not set: fuzzing our own files only"),
    }
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for p in files {
            if p.extension().and_then(|x| x.to_str()) == Some("sire") {
                if let Ok(b) = std::fs::read(&p) {
                    out.push((p.display().to_string(), b));
                }
            }
        }
    }
    assert!(
        !out.is_empty(),
        "no corpus found (run from the repository root)"
    );
    out
}

/// Pieces a mutation inserts: runes, brackets, strings, layout.
const PIECES: &[&[u8]] = &[
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"| ",
    b"= ",
    b"& ",
    b"@ ",
    b"? ",
    b"#",
    b"+",
    b"-",
    b".",
    b",",
    b";",
    b"\n",
    b"\n\n",
    b"  ",
    b"} ",
    b"0",
    b"x",
    b"\t",
    b"\xff",
    b"\x00",
    b"99999999999999999999999999",
    b"^-^ ",
    b"=?= ",
    b"#### ",
    b"<- ",
];

/// One to four random edits of `src`, sometimes splicing in part of `other`; one in eight
/// repeats a piece thousands of times (deep nesting, long chains).
fn mutate(rng: &mut Rng, src: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = src.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(8) {
            0 | 1 => {
                let p = PIECES[rng.below(PIECES.len())];
                v.splice(at..at, p.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(v.len());
                v.drain(at..end);
            }
            3 => {
                if let Some(b) = v.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            4 => {
                let end = (at + 1 + rng.below(40)).min(v.len());
                let chunk: Vec<u8> = v[at.min(end)..end].to_vec();
                for _ in 0..1 + rng.below(4) {
                    v.splice(at..at, chunk.iter().copied());
                }
            }
            5 => {
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(200)).min(other.len());
                v.splice(at..at, other[from..end].iter().copied());
            }
            6 => {
                let p = PIECES[rng.below(PIECES.len())];
                let n = 1 + rng.below(300);
                let rep: Vec<u8> = p.iter().copied().cycle().take(p.len() * n).collect();
                v.splice(at..at, rep);
            }
            _ => {
                if rng.below(8) == 0 {
                    let p = PIECES[rng.below(PIECES.len())];
                    let n = 1_000 + rng.below(60_000);
                    let rep: Vec<u8> = p.iter().copied().cycle().take(p.len() * n).collect();
                    v.splice(at..at, rep);
                }
            }
        }
    }
    v
}

/// Saves the input about to be read, so that an abort leaves it behind.
fn keep(name: &str, bytes: &[u8]) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-current.{name}"));
    std::fs::write(&p, bytes).expect("write the current input");
    p
}

fn run_guarded(what: &str, input: &[u8], f: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-crash.{what}"));
        let _ = std::fs::write(&p, input);
        panic!(
            "{what}: a panic on a fuzzed input, saved as {}",
            p.display()
        );
    }
}

#[test]
fn rex_reader_and_printer_survive_mutations() {
    let corpus = corpus();
    let mut rng = Rng(seed());
    let (mut read, mut blocks_checked) = (0, 0);
    for _ in 0..iterations() {
        let (_, a) = &corpus[rng.below(corpus.len())];
        let (_, b) = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, a, b);
        keep("rex", &input);
        let text = String::from_utf8_lossy(&input).into_owned();
        run_guarded("rex", &input, || {
            let Ok(blocks) = pallas::rex::read_blocks("fuzz", &text) else {
                return;
            };
            read += 1;
            // What reads must print as text that reads back to the same tree.
            for b in &blocks {
                let printed = pallas::rex::print(&b.rex, &|_| String::new());
                let back = pallas::rex::read_blocks("printed", &printed)
                    .unwrap_or_else(|e| panic!("printed block does not read: {e}\n{printed}"));
                assert_eq!(back.len(), 1, "{printed}");
                assert!(
                    back[0].rex == b.rex,
                    "the block at line {} printed as\n{printed}\nreads back as another tree:\n{:?}\ninstead of\n{:?}",
                    b.line,
                    back[0].rex,
                    b.rex
                );
                blocks_checked += 1;
            }
        });
    }
    eprintln!(
        "{read} of {} mutated files read; {blocks_checked} blocks printed and read back the same",
        iterations()
    );
}

/// Runs `f` on `rt` with a watchdog that interrupts evaluation after `limit`.
fn with_deadline<T>(rt: &mut Runtime, limit: Duration, f: impl FnOnce(&mut Runtime) -> T) -> T {
    let flag: Arc<AtomicBool> = rt.interrupt.clone();
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let dog = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while !d2.load(Ordering::Relaxed) {
            if start.elapsed() > limit {
                flag.store(true, Ordering::Relaxed);
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let r = f(rt);
    done.store(true, Ordering::Relaxed);
    let _ = dog.join();
    rt.interrupt.store(false, Ordering::Relaxed);
    r
}

#[test]
fn sire_loader_survives_mutations() {
    // Predecessors resolve from the mutated file's directory: give it our library.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-sire");
    std::fs::create_dir_all(&dir).expect("dir");
    for e in std::fs::read_dir("sire").expect("sire/").flatten() {
        let _ = std::fs::copy(e.path(), dir.join(e.file_name()));
    }
    let corpus = corpus();
    let mut rng = Rng(seed() ^ 0x5151);
    let (mut loaded, mut failed) = (0, 0);
    // Loading runs programs: fewer inputs than the pure readers.
    for _ in 0..iterations() / 3 {
        let (_, a) = &corpus[rng.below(corpus.len())];
        let (_, b) = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, a, b);
        keep("sire", &input);
        let file = dir.join("fuzzed.sire");
        std::fs::write(&file, &input).expect("write");
        run_guarded("sire", &input, || {
            let mut rt = Runtime::new(Config::default());
            let mut s = Session::new(&mut rt);
            rt.trace_hook = Some(Box::new(|_, _| {}));
            s.quiet();
            let r = with_deadline(&mut rt, Duration::from_millis(500), |rt| {
                s.load_file(rt, &file)
            });
            match r {
                Ok(_) => loaded += 1,
                Err(f) => {
                    failed += 1;
                    // Failures are reported with a place and a bounded message.
                    let shown = f.to_string();
                    assert!(
                        shown.len() < 20_000,
                        "a failure message of {} bytes",
                        shown.len()
                    );
                }
            }
        });
    }
    eprintln!("sire: {loaded} loaded, {failed} failed cleanly");
}

#[test]
fn plan_syntax_survives_mutations() {
    let samples = [
        "({f 2 2} 7 8)",
        "{\"_If\" 3 (0 (0 (0 (2 2) 3) (0 {0 2 1} 2)) 1)}",
        "<(0 1 2)>",
        "(0 \"name\" 3 (0 (0 1 2) 3))",
        "((((0 1))))",
    ];
    let mut rng = Rng(seed() ^ 0x9191);
    for _ in 0..iterations() {
        let a = samples[rng.below(samples.len())].as_bytes();
        let b = samples[rng.below(samples.len())].as_bytes();
        let input = mutate(&mut rng, a, b);
        keep("plan", &input);
        let text = String::from_utf8_lossy(&input).into_owned();
        run_guarded("plan", &input, || match pallas::plan_syntax::parse(&text) {
            Ok(e) => {
                let mut rt = Runtime::new(Config::default());
                let v = pallas::plan_syntax::build(&mut rt, &e);
                let r = with_deadline(&mut rt, Duration::from_millis(200), |rt| rt.normalize(v));
                if let Ok(v) = r {
                    let _ = pallas_runtime::print::show_short(v, 10_000);
                }
            }
            Err(e) => {
                let shown = e.show(&text);
                assert!(
                    shown.len() < 1_000,
                    "an error message of {} bytes",
                    shown.len()
                );
            }
        });
    }
}

#[test]
fn seed_loader_survives_mutations() {
    // Seeds of a few values, then mutated bytes.
    let mut rt = Runtime::new(Config::default());
    let mut seeds = Vec::new();
    for src in [
        "(0 1 2)",
        "{f 2 (0 1 2)}",
        "<{g 1 (0 (2 7) 1)}>",
        "({h 3 (0 (0 1 2) 3)} 5 (0 6 7))",
        "\"some text that is long enough\"",
    ] {
        let e = pallas::plan_syntax::parse(src).expect("sample parses");
        let v = pallas::plan_syntax::build(&mut rt, &e);
        let v = rt.normalize(v).expect("sample evaluates");
        seeds.push(pallas_runtime::seed::save(v));
    }
    let mut rng = Rng(seed() ^ 0x7777);
    for _ in 0..iterations() {
        let a = &seeds[rng.below(seeds.len())];
        let mut input = a.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(input.len());
            match rng.below(3) {
                0 => input[at] ^= 1 << rng.below(8),
                1 => input[at] = rng.next() as u8,
                _ => {
                    let end = (at + rng.below(16)).min(input.len());
                    input.drain(at..end);
                }
            }
        }
        keep("seed", &input);
        run_guarded("seed", &input, || {
            let mut rt = Runtime::new(Config::default());
            if let Ok(v) = pallas_runtime::seed::load(&mut rt, &input) {
                let _ = pallas::loot::show(v, 10_000);
                let _ = pallas_runtime::print::show_short(v, 10_000);
            }
        });
    }
}
