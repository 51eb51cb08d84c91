//! Programs on data from sire/bench.sire (a lexer over a bar, a tab built and read key by key,
//! a row sorted, text built by welding), each at an input of size n and 4n: time, growth
//! ratio and peak memory, and the same program with the data natives left to their PLAN
//! laws (at a smaller size, where that finishes). Each measurement runs in a child process
//! of its own (this bench run again with `PALLAS_DATA_CHILD` set), so that its peak resident
//! memory is its own.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pallas::sire::session::Session;
use pallas::sire::state;
use pallas_runtime::{print, Runtime};

/// The natives the workloads lean on; `PALLAS_PLAN_ONLY` with these runs their PLAN laws.
const DATA_NATIVES: &str = "barIdx,barLen,barElemIndexOff,barSlice,barCat,barWeld,barTake,\
barDrop,barNat,natBar,isBar,tabIdx,tabIns,tabFromPairs,_TabHas,_TabLen,setHas,bsearch,take,\
drop,_SizedListToRow,sum,_Len,_Idx,_Get,_Map,_Gen,_Weld";

/// One workload: a name, the Sire expression making its input from `n` (evaluated before
/// the clock starts), the expression run on it (`input` names the input), and its size.
struct Workload {
    name: &'static str,
    input: &'static str,
    run: &'static str,
    n: u64,
    /// A size the PLAN laws of the data natives finish in a few seconds at.
    plan_n: u64,
    /// The growth allowed from n to 4n.
    limit: f64,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "lexer (bar of ~100 KB)",
        input: "mkDoc N",
        run: "lexDoc input",
        n: 6000,
        plan_n: 60,
        limit: 5.0,
    },
    Workload {
        name: "tab: build, read each key",
        input: "N",
        run: "tabBuildRead input",
        n: 20000,
        plan_n: 200,
        limit: 5.0,
    },
    Workload {
        name: "row sort (n log n)",
        input: "gen N (i & _Mod (_Mul i 7919) 100003)",
        run: "(s & v2 (ascendingFrom s 0) (sum s)) (sortRow input)",
        n: 10000,
        plan_n: 100,
        limit: 5.0,
    },
    Workload {
        name: "text by welding",
        input: "N",
        run: "reportText input",
        n: 10000,
        plan_n: 100,
        limit: 5.0,
    },
];

/// What a child measured.
struct Measured {
    time: Duration,
    peak_kb: u64,
    base_kb: u64,
    result: String,
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In a child: loads sire/bench.sire, makes the input (fully evaluated), runs the workload
/// once and prints `time_ns peak_kb base_kb result`. Returns false when this process is no
/// child.
pub fn child(make_rt: fn() -> Runtime) -> bool {
    let Ok(spec) = std::env::var("PALLAS_DATA_CHILD") else {
        return false;
    };
    let (idx, n) = spec.split_once(':').expect("index:n");
    let w = &WORKLOADS[idx.parse::<usize>().expect("index")];
    let n: u64 = n.parse().expect("n");
    let mut rt = make_rt();
    let mut s = Session::new(&mut rt);
    s.quiet();
    s.load_file(&mut rt, Path::new("sire/bench.sire"))
        .unwrap_or_else(|e| panic!("load sire/bench.sire: {e}"));
    let input = w.input.replace('N', &n.to_string());
    let src = format!("input=({input})\n\n= (benchMain input) | {}\n", w.run);
    s.run_source(&mut rt, "<bench>", &src, true, &mut |_| {})
        .unwrap_or_else(|e| panic!("{}: {e}", w.name));
    let st = s.state(&mut rt);
    let f = state::lookup_val(&mut rt, st, "benchMain")
        .ok()
        .flatten()
        .expect("benchMain");
    let x = state::lookup_val(&mut rt, st, "input")
        .ok()
        .flatten()
        .expect("input");
    let x = rt.normalize(x).expect("the input");
    rt.roots.push(f);
    rt.roots.push(x);
    let base_kb = peak_rss_kb();
    let t = Instant::now();
    let r = rt.call_deep(f, &[x]).expect("no crash");
    let time = t.elapsed();
    println!(
        "{} {} {} {}",
        time.as_nanos(),
        peak_rss_kb(),
        base_kb,
        print::show(r)
    );
    true
}

/// Runs workload `idx` at size `n` in a child (with the data natives off when `plan`).
fn measure(idx: usize, n: u64, plan: bool, timeout: Duration) -> Option<Measured> {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(exe);
    cmd.env("PALLAS_DATA_CHILD", format!("{idx}:{n}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if plan {
        cmd.env("PALLAS_PLAN_ONLY", DATA_NATIVES);
    }
    let mut child = cmd.spawn().expect("spawn a child");
    let start = Instant::now();
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => break,
            None if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let mut out = String::new();
    use std::io::Read;
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    let line = out.lines().last()?;
    let mut parts = line.splitn(4, ' ');
    let time = Duration::from_nanos(parts.next()?.parse().ok()?);
    let peak_kb = parts.next()?.parse().ok()?;
    let base_kb = parts.next()?.parse().ok()?;
    let result = parts.next()?.to_string();
    Some(Measured {
        time,
        peak_kb,
        base_kb,
        result,
    })
}

/// The best of `runs` children (each one run), by time; the peak memory is that run's.
fn best(idx: usize, n: u64, plan: bool, runs: usize, timeout: Duration) -> Option<Measured> {
    let mut out: Option<Measured> = None;
    for _ in 0..runs {
        let m = measure(idx, n, plan, timeout)?;
        if out.as_ref().is_none_or(|o| m.time < o.time) {
            out = Some(m);
        }
    }
    out
}

/// Prints every workload at n and 4n, and with the data natives off at a smaller size.
pub fn report(runs: usize) {
    println!();
    println!("programs on data (sire/bench.sire), one child process per run, best of {runs}:");
    println!(
        "{:<26} {:>6} {:>10} {:>10} {:>6} {:>8}  {:>9} {:>9}",
        "workload", "n", "t(n)", "t(4n)", "ratio", "bound", "peak(n)", "peak(4n)"
    );
    let timeout = Duration::from_secs(120);
    let mut over = Vec::new();
    for (i, w) in WORKLOADS.iter().enumerate() {
        let (Some(a), Some(b)) = (
            best(i, w.n, false, runs, timeout),
            best(i, 4 * w.n, false, runs, timeout),
        ) else {
            println!("{:<26} failed or timed out", w.name);
            over.push(w.name);
            continue;
        };
        let ratio = b.time.as_secs_f64() / a.time.as_secs_f64().max(1e-9);
        if ratio > w.limit {
            over.push(w.name);
        }
        println!(
            "{:<26} {:>6} {:>10.2?} {:>10.2?} {:>5.2}x {:>7}x  {:>6} MB {:>6} MB  (base {} MB; {} / {})",
            w.name,
            w.n,
            a.time,
            b.time,
            ratio,
            w.limit,
            a.peak_kb / 1024,
            b.peak_kb / 1024,
            a.base_kb / 1024,
            short(&a.result),
            short(&b.result),
        );
    }
    println!();
    println!("the same with the data natives run as their PLAN laws (PALLAS_PLAN_ONLY), at n/100:");
    println!(
        "{:<26} {:>6} {:>10} {:>10} {:>8}",
        "workload", "n", "natives", "PLAN laws", "ratio"
    );
    for (i, w) in WORKLOADS.iter().enumerate() {
        let on = best(i, w.plan_n, false, runs, timeout);
        let off = best(i, w.plan_n, true, 1, Duration::from_secs(60));
        match (on, off) {
            (Some(a), Some(b)) => {
                assert_eq!(a.result, b.result, "{}: natives and laws disagree", w.name);
                println!(
                    "{:<26} {:>6} {:>10.2?} {:>10.2?} {:>7.0}x",
                    w.name,
                    w.plan_n,
                    a.time,
                    b.time,
                    b.time.as_secs_f64() / a.time.as_secs_f64().max(1e-9)
                );
            }
            (Some(a), None) => println!(
                "{:<26} {:>6} {:>10.2?} {:>10}",
                w.name, w.plan_n, a.time, "> 60 s"
            ),
            _ => println!("{:<26} failed", w.name),
        }
    }
    if over.is_empty() {
        println!("every workload grows within its bound from n to 4n");
    } else {
        println!("over their bound: {}", over.join(", "));
    }
}

fn short(s: &str) -> String {
    if s.len() > 40 {
        format!("{}...", &s[..40])
    } else {
        s.to_string()
    }
}
