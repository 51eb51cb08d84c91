//! A sampling profiler for PLAN programs.
//!
//! Calls are counted exactly (per law, and whether the call ran a native jet). Time and
//! allocation are sampled: a timer thread raises a flag every interval, and the evaluator,
//! at its next call or loop, records the stack of running laws (from its frames). A sample
//! adds one interval of *self* time to the law on top and of *total* time to every law on the
//! stack, and the allocations since the previous sample to the law on top. When no profiler
//! is installed the evaluator pays one predictable branch per call.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::eval::Frame;
use crate::hash::base58;
use crate::runtime::Runtime;
use crate::value::{Kind, Value};

/// Deepest stack recorded by one sample (the rest is cut, marked `...`).
const MAX_DEPTH: usize = 256;

/// What is known about one law.
#[derive(Clone, Debug, Default)]
pub struct LawStats {
    /// Display name: the law's name, with a short hash when it is pinned.
    pub name: String,
    /// Calls of the law's code (bytecode or oracle).
    pub calls: u64,
    /// Calls answered by a native jet.
    pub jet_calls: u64,
    /// Calls run as machine code compiled by the JIT.
    pub native_calls: u64,
    /// Time spent in those calls (measured, not sampled; shown as self time).
    pub native_nanos: u64,
    /// Samples with this law on top.
    pub self_samples: u64,
    /// Samples with this law anywhere on the stack.
    pub total_samples: u64,
    /// Heap allocations attributed to this law (sampled).
    pub allocs: u64,
}

/// A running profile.
pub struct Profiler {
    interval: Duration,
    flag: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    timer: Option<JoinHandle<()>>,
    started: Instant,
    last_allocs: u64,
    keys: HashMap<usize, usize>,
    by_name: HashMap<String, usize>,
    /// Per-law statistics, indexed by law id.
    pub laws: Vec<LawStats>,
    /// Sample counts per stack (law ids, outermost first).
    pub stacks: HashMap<Vec<usize>, u64>,
    /// Number of samples taken.
    pub samples: u64,
    /// Engine label for the report ("bytecode" or "oracle").
    pub engine: &'static str,
}

impl Profiler {
    /// Starts a profiler sampling every `interval`.
    pub fn start(interval: Duration) -> Profiler {
        let flag = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (flag.clone(), stop.clone());
        let timer = std::thread::Builder::new()
            .name("profiler".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(interval);
                    f.store(true, Ordering::Relaxed);
                }
            })
            .ok();
        Profiler {
            interval,
            flag,
            stop,
            timer,
            started: Instant::now(),
            last_allocs: 0,
            keys: HashMap::new(),
            by_name: HashMap::new(),
            laws: Vec::new(),
            stacks: HashMap::new(),
            samples: 0,
            engine: "bytecode",
        }
    }

    /// Whether a sample is due.
    #[inline]
    pub fn due(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    fn id_of(&mut self, f: Value) -> usize {
        let f = f.deref();
        let key = f.0 as usize;
        if let Some(&i) = self.keys.get(&key) {
            return i;
        }
        // Laws are reported by name (pins carry a hash in theirs), so equal laws built
        // separately share one row.
        let name = law_display_name(f);
        let i = match self.by_name.get(&name) {
            Some(&i) => i,
            None => {
                let i = self.laws.len();
                self.by_name.insert(name.clone(), i);
                self.laws.push(LawStats {
                    name,
                    ..LawStats::default()
                });
                i
            }
        };
        self.keys.insert(key, i);
        i
    }

    /// Seconds per sample.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Wall time since the profile started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stops the timer thread.
    pub fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.timer.take() {
            let _ = t.join();
        }
    }

    /// The per-law table, hottest (by self time) first.
    pub fn table(&self) -> String {
        let ms = self.interval.as_secs_f64() * 1000.0;
        let mut rows: Vec<&LawStats> = self.laws.iter().collect();
        let self_ms = |r: &LawStats| r.self_samples as f64 * ms + r.native_nanos as f64 / 1e6;
        rows.sort_by(|a, b| {
            self_ms(b)
                .total_cmp(&self_ms(a))
                .then((b.total_samples, b.calls).cmp(&(a.total_samples, a.calls)))
        });
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<40} {:>12} {:>10} {:>10} {:>10} {:>6} {:>9}",
            "law", "calls", "self ms", "total ms", "allocs", "jet", "engine"
        );
        for r in rows {
            let jet = if r.jet_calls > 0 { "native" } else { "-" };
            let engine = match (r.calls > 0, r.native_calls > 0) {
                (true, true) => format!("{}+jit", self.engine),
                (false, true) => "jit".to_string(),
                (true, false) => self.engine.to_string(),
                (false, false) => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "{:<40} {:>12} {:>10.1} {:>10.1} {:>10} {:>6} {:>9}",
                truncate(&r.name, 40),
                r.calls + r.jet_calls + r.native_calls,
                self_ms(r),
                (r.total_samples as f64 * ms).max(self_ms(r)),
                r.allocs,
                jet,
                engine
            );
        }
        let _ = writeln!(
            out,
            "{} samples every {:?}; wall time {:.1?}",
            self.samples,
            self.interval,
            self.elapsed()
        );
        out
    }

    /// Folded stacks (`outer;inner count` per line), as flamegraph tools read them.
    pub fn folded(&self) -> String {
        let mut lines: Vec<String> = self
            .stacks
            .iter()
            .map(|(stack, n)| {
                let names: Vec<String> = stack.iter().map(|&i| self.frame_name(i)).collect();
                format!("{} {n}", names.join(";"))
            })
            .collect();
        lines.sort();
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    /// Folded stacks weighted by time in microseconds, for a flamegraph whose widths are
    /// time: each sampled stack weighs its samples times the interval, and the measured time
    /// of each law's JIT-compiled calls (which take no samples) is a stack of its own,
    /// `[machine code];law`. So the total is the table's total self time.
    pub fn folded_micros(&self) -> String {
        let us = self.interval.as_micros().max(1) as u64;
        let mut lines: Vec<String> = self
            .stacks
            .iter()
            .map(|(stack, n)| {
                let names: Vec<String> = stack.iter().map(|&i| self.frame_name(i)).collect();
                format!("{} {}", names.join(";"), n * us)
            })
            .collect();
        for (i, l) in self.laws.iter().enumerate() {
            if l.native_nanos > 0 {
                let micros = l.native_nanos.div_ceil(1000);
                lines.push(format!("[machine code];{} {micros}", self.frame_name(i)));
            }
        }
        lines.sort();
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    fn frame_name(&self, i: usize) -> String {
        if i == usize::MAX {
            return "...".into();
        }
        self.laws
            .get(i)
            .map(|l| l.name.replace([';', ' '], "_"))
            .unwrap_or_default()
    }

    /// The profile in speedscope's file format (a sampled profile).
    pub fn speedscope(&self) -> String {
        let ms = self.interval.as_secs_f64() * 1000.0;
        let mut frames = String::new();
        for (i, l) in self.laws.iter().enumerate() {
            if i > 0 {
                frames.push(',');
            }
            let _ = write!(frames, "{{\"name\":{}}}", json_string(&l.name));
        }
        let cut = self.laws.len();
        let _ = write!(
            frames,
            "{}{{\"name\":\"...\"}}",
            if cut > 0 { "," } else { "" }
        );
        let mut samples = String::new();
        let mut weights = String::new();
        let mut total = 0.0;
        for (k, (stack, n)) in self.stacks.iter().enumerate() {
            if k > 0 {
                samples.push(',');
                weights.push(',');
            }
            let ids: Vec<String> = stack
                .iter()
                .map(|&i| if i == usize::MAX { cut } else { i }.to_string())
                .collect();
            let _ = write!(samples, "[{}]", ids.join(","));
            let w = *n as f64 * ms;
            total += w;
            let _ = write!(weights, "{w}");
        }
        format!(
            "{{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\
\"shared\":{{\"frames\":[{frames}]}},\
\"profiles\":[{{\"type\":\"sampled\",\"name\":\"pallas\",\"unit\":\"milliseconds\",\
\"startValue\":0,\"endValue\":{total},\"samples\":[{samples}],\"weights\":[{weights}]}}],\
\"name\":\"pallas profile\",\"exporter\":\"pallas\"}}\n"
        )
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        self.finish();
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A readable name for a called function: the law's name (or its number), and for a pin a
/// short hash so that laws with the same name stay apart.
pub fn law_display_name(f: Value) -> String {
    let f = f.deref();
    let (law, pin_hash) = match f.kind() {
        Some(Kind::Pin(p)) => (p.item(), Some(p.hash)),
        _ => (f, None),
    };
    let name = match law.kind() {
        Some(Kind::Law(l)) => match crate::nat::to_text(l.name) {
            Some(t) if !t.is_empty() && t.chars().all(|c| !c.is_control()) => t,
            _ => crate::print::show(l.name),
        },
        _ => crate::print::show_short(law, 30),
    };
    match pin_hash {
        Some(h) => format!("{name}@{}", &base58(&h)[..6]),
        None => name,
    }
}

impl Runtime {
    /// Whether a profiler is installed. Builds with the `no-profiler` feature have no
    /// profiling hooks at all (to measure what the hooks cost when profiling is off).
    #[inline(always)]
    pub(crate) fn profiling(&self) -> bool {
        !cfg!(feature = "no-profiler") && self.profiler.is_some()
    }

    /// Installs a profiler (replacing any previous one).
    pub fn start_profiling(&mut self, interval: Duration) {
        let mut p = Profiler::start(interval);
        p.engine = match self.config.engine {
            crate::runtime::Engine::Bytecode => "bytecode",
            crate::runtime::Engine::Oracle => "oracle",
        };
        p.last_allocs = self.heap.total_allocs;
        self.profiler = Some(Box::new(p));
    }

    /// Removes and returns the profiler, stopping its timer.
    pub fn stop_profiling(&mut self) -> Option<Box<Profiler>> {
        let mut p = self.profiler.take()?;
        p.finish();
        Some(p)
    }

    /// Counts a call of `f`'s code (and takes a sample if one is due).
    #[inline]
    pub(crate) fn profile_call(&mut self, f: Value, jet: bool, running: Option<Value>) {
        if let Some(p) = self.profiler.as_mut() {
            let i = p.id_of(f);
            if jet {
                p.laws[i].jet_calls += 1;
            } else {
                p.laws[i].calls += 1;
            }
            if p.due() {
                self.take_sample(running);
            }
        }
    }

    /// Counts a call of `f` that ran as JIT-compiled code for `took`.
    pub(crate) fn profile_native(&mut self, f: Value, took: Duration) {
        if let Some(p) = self.profiler.as_mut() {
            let i = p.id_of(f);
            p.laws[i].native_calls += 1;
            p.laws[i].native_nanos += took.as_nanos() as u64;
        }
    }

    /// Takes a sample if one is due (called at loops).
    #[inline]
    pub(crate) fn profile_tick(&mut self, running: Option<Value>) {
        if self.profiling() && self.profiler.as_ref().is_some_and(|p| p.due()) {
            self.take_sample(running);
        }
    }

    fn take_sample(&mut self, running: Option<Value>) {
        let mut selves: Vec<Value> = Vec::new();
        for f in self.frames.iter().rev() {
            if let Frame::Interp(a) = f {
                selves.push(self.reg_stack[a.base as usize]);
                if selves.len() >= MAX_DEPTH {
                    break;
                }
            }
        }
        selves.reverse();
        if let Some(r) = running {
            selves.push(r);
        }
        let allocs = self.heap.total_allocs;
        let Some(p) = self.profiler.as_mut() else {
            return;
        };
        p.flag.store(false, Ordering::Relaxed);
        p.samples += 1;
        let mut ids: Vec<usize> = selves.iter().map(|&v| p.id_of(v)).collect();
        if ids.len() >= MAX_DEPTH {
            ids.insert(0, usize::MAX);
        }
        let mut seen = std::collections::HashSet::new();
        for &i in &ids {
            if i != usize::MAX && seen.insert(i) {
                p.laws[i].total_samples += 1;
            }
        }
        if let Some(&top) = ids.last() {
            if top != usize::MAX {
                p.laws[top].self_samples += 1;
                p.laws[top].allocs += allocs - p.last_allocs;
            }
        }
        p.last_allocs = allocs;
        *p.stacks.entry(ids).or_insert(0) += 1;
    }
}
