//! The command line: one module per subcommand.

pub mod bench;
pub mod bench_page;
pub mod bytecode;
pub mod errors;
pub mod flamegraph;
pub mod jets;
pub mod machine;
pub mod plan;
pub mod prof;
pub mod profile;
pub mod repl;
pub mod save;
pub mod show;
pub mod sire;

use clap::{Args, Parser, Subcommand};
use pallas_runtime::{Config, Engine, JetMismatch, Runtime};

/// Shown at the end of `pallas --help`.
const EXAMPLES: &str = "\
Examples:
  # evaluate a PLAN expression
  pallas plan '({f 2 2} 7 8)'
  # load a Sire file, then type Sire in a REPL
  pallas sire sire/tab.sire
  # where the time goes, as a table and as a flamegraph to open in a browser
  pallas prof sire/bench.sire 'fib 25' --svg fib.svg
  # a persistent counter: boot it once, start it again after any stop
  pallas boot ./counter sire/demo_counter.sire && pallas start ./counter

Each command's --help has its options and more examples.";

/// pallas: PLAN, Sire and persistent cogs.
#[derive(Parser, Debug)]
#[command(name = "pallas", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Runtime options shared by every command.
    #[command(flatten)]
    pub runtime: RuntimeOpts,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that configure the runtime.
#[derive(Args, Debug, Clone)]
pub struct RuntimeOpts {
    /// Run every law as PLAN code, ignoring native jets.
    #[arg(long, global = true)]
    pub no_jets: bool,
    /// Crash when a pin has a jet's name but not its hash (default: warn).
    #[arg(long, global = true)]
    pub jet_mismatch_crash: bool,
    /// Say nothing when a pin has a jet's name but not its hash.
    #[arg(long, global = true, conflicts_with = "jet_mismatch_crash")]
    pub jet_mismatch_ignore: bool,
    /// Which engine runs laws: the bytecode interpreter, or the simple reference evaluator.
    #[arg(long, global = true, value_enum, default_value_t = EngineArg::Bytecode)]
    pub engine: EngineArg,
    /// Profile the run and write the profile here (`.json`: speedscope, `.folded`: folded
    /// stacks for flamegraph tools, `.svg`: a flamegraph to open in a browser, otherwise a
    /// table).
    #[arg(long, global = true, value_name = "FILE")]
    pub profile_output: Option<std::path::PathBuf>,
    /// Compile every Sire module from source instead of reusing the module cache
    /// (`$PALLAS_CACHE_DIR`, else `~/.cache/pallas/modules`).
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// When laws run as machine code: `off`, `on` (after --jit-threshold calls) or `always`
    /// (from the first call; with --jit-any, every law that can be, even where machine code
    /// is not expected to be faster).
    #[arg(long, global = true, value_enum, default_value_t = JitArg::On)]
    pub jit: JitArg,
    /// Calls of a law before `--jit on` compiles it.
    #[arg(long, global = true, default_value_t = 100)]
    pub jit_threshold: u32,
    /// Print what the JIT did (laws compiled, time spent) when the command ends.
    #[arg(long, global = true)]
    pub jit_stats: bool,
    /// With `--jit on` or `--jit always`, also compile the activations of hot laws that do
    /// not compute on small nats only (off by default: it is slower than the interpreter on
    /// most workloads for now)
    #[arg(long, global = true)]
    pub jit_any: bool,
    /// Sampling interval of the profiler, in microseconds.
    #[arg(long, global = true, default_value_t = 1000)]
    pub profile_interval_us: u64,
    /// Print what the heap holds (live objects and bytes by kind, and which roots hold
    /// them) after every collection and when the command ends.
    #[arg(long, global = true)]
    pub heap_stats: bool,
    /// The most memory the heap may hold (for example `512MB`, `4GiB`); past it, after a
    /// collection, the command stops with an out-of-memory error (exit status 1) and a machine
    /// abandons the step. Default: 3/4 of the machine's memory, at most 16 GiB.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_heap: Option<u64>,
}

/// A size given as `--max-heap`: a number of bytes with an optional unit (`KB`, `MiB`, `G`...).
fn parse_size(s: &str) -> Result<u64, String> {
    let b: bytesize::ByteSize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a size (for example 512MB or 4GiB)"))?;
    if b.as_u64() < (1 << 20) {
        return Err(format!("`{s}` is too small for a heap (at least 1 MiB)"));
    }
    Ok(b.as_u64())
}

/// The default heap limit: three quarters of the machine's memory (from `/proc/meminfo`), at
/// most 16 GiB; 8 GiB where the machine's memory cannot be read.
pub fn default_max_heap() -> u64 {
    const GIB: u64 = 1 << 30;
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    });
    match total {
        Some(t) => (t / 4 * 3).min(16 * GIB),
        None => 8 * GIB,
    }
}

/// The `--jit` choices.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitArg {
    /// Interpret every law.
    Off,
    /// Compile a law to machine code once it has been called `--jit-threshold` times.
    On,
    /// Compile every eligible law on its first call.
    Always,
}

/// The JIT as the runtime sees it, reporting its work when dropped if asked to.
struct ReportingJit {
    jit: pallas_jit::Jit,
    report: bool,
}

impl pallas_runtime::native::NativeCompiler for ReportingJit {
    fn compile(
        &mut self,
        code: &pallas_runtime::bytecode::Bytecode,
        interrupt: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Option<pallas_runtime::native::NativeFn> {
        self.jit.compile(code, interrupt)
    }

    fn compile_activation(
        &mut self,
        code: &pallas_runtime::bytecode::Bytecode,
        helpers: &pallas_runtime::native::ActHelpers,
        interrupt: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Option<pallas_runtime::native::ActFn> {
        self.jit.compile_activation(code, helpers, interrupt)
    }

    fn report(&self) -> String {
        self.jit.report()
    }
}

impl Drop for ReportingJit {
    fn drop(&mut self) {
        if self.report {
            eprintln!(
                "{}",
                pallas_runtime::native::NativeCompiler::report(&self.jit)
            );
        }
    }
}

/// The `--engine` choices.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineArg {
    /// The bytecode interpreter (default).
    Bytecode,
    /// The simple graph-reduction evaluator used as the test oracle.
    Oracle,
}

impl RuntimeOpts {
    /// The module cache to load Sire files with, unless `--no-cache`.
    pub fn module_cache(&self) -> Option<crate::sire::cache::ModuleCache> {
        if self.no_cache {
            return None;
        }
        let config = format!("engine={:?} jets={}", self.engine, !self.no_jets);
        crate::sire::cache::ModuleCache::default_location()
            .map(|dir| crate::sire::cache::ModuleCache::new(dir, &config))
    }

    /// A runtime configured by these options.
    pub fn runtime(&self) -> Runtime {
        let jet_mismatch = if self.jet_mismatch_crash {
            JetMismatch::Crash
        } else if self.jet_mismatch_ignore {
            JetMismatch::Ignore
        } else {
            JetMismatch::Warn
        };
        use pallas_runtime::native::JitMode;
        let jit = match self.jit {
            JitArg::Off => JitMode::Off,
            JitArg::On => JitMode::After(self.jit_threshold.max(1)),
            JitArg::Always => JitMode::After(1),
        };
        let mut rt = Runtime::new(Config {
            jets: !self.no_jets,
            jet_mismatch,
            engine: match self.engine {
                EngineArg::Bytecode => Engine::Bytecode,
                EngineArg::Oracle => Engine::Oracle,
            },
            jit,
            jit_act: self.jit_any,
            ..Config::default()
        });
        rt.heap.report = self.heap_stats;
        rt.heap.max_bytes = self.max_heap.unwrap_or_else(default_max_heap) as usize;
        if jit != JitMode::Off {
            // The IR verifier doubles compile time; it runs in debug builds (tests of the JIT
            // itself turn it on through the library).
            match pallas_jit::Jit::new(cfg!(debug_assertions)) {
                Some(mut j) => {
                    // `always` runs every law it can as machine code, even where that is not
                    // expected to be faster (the mode that tests compare with `off`).
                    j.every_law = self.jit == JitArg::Always;
                    rt.native = Some(Box::new(ReportingJit {
                        jit: j,
                        report: self.jit_stats,
                    }))
                }
                None => rt.config.jit = JitMode::Off,
            }
        }
        rt
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate a PLAN expression and print its normal form.
    Plan(plan::PlanArgs),
    /// Time an expression under each engine (and without jets) and compare.
    Bench(bench::BenchArgs),
    /// Print a seed or pod file.
    Show(show::ShowArgs),
    /// Save a Sire file's `main` as a seed (or a pod).
    Save(save::SaveArgs),
    /// Run a seed as an interactive program over standard input.
    Repl(repl::ReplArgs),
    /// Print the bytecode of a law defined in a Sire file.
    Bytecode(bytecode::BytecodeArgs),
    /// Profile a Sire file (or an expression in its scope) and print the hottest laws.
    Prof(prof::ProfArgs),
    /// Load Sire files, then read Sire blocks from stdin.
    Sire(sire::SireArgs),
    /// List the jet table, or the jets matched while loading a file.
    Jets(jets::JetsArgs),
    /// Create a persistent machine whose cog is a Sire file's `main`.
    Boot(machine::BootArgs),
    /// Run a persistent machine until SIGINT/SIGTERM (replaying its log first).
    Start(machine::StartArgs),
    /// Reclaim the stored pins that a machine no longer reaches.
    Gc(machine::GcArgs),
    /// List a machine's cogs and their states.
    Ps(machine::PsArgs),
    /// Write a machine's latest state to one file, to move it elsewhere.
    Export(machine::ExportArgs),
    /// Make a new machine from a file that `pallas export` wrote.
    Import(machine::ImportArgs),
}

impl Command {
    /// Whether the command runs a machine (whose drivers write to sockets and pipes that may
    /// close at any time, and must see that as an error, not end the process).
    pub fn runs_a_machine(&self) -> bool {
        matches!(self, Command::Boot(_) | Command::Start(_))
    }
}

/// Makes a write to a closed stdout end the process quietly, as for other command-line
/// tools (`pallas prof ... | head`), instead of a panic in `println!`: the default action
/// of SIGPIPE, which Rust programs otherwise ignore.
pub fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to its default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// An error for the user: the message and the exit status.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, for a person.
    pub message: String,
    /// Process exit status (2 for bad input).
    pub status: i32,
}

impl Failure {
    /// Bad input from the user (exit status 2).
    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: 2,
        }
    }

    /// The program ran and crashed (exit status 1).
    pub fn crash(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: 1,
        }
    }
}

/// A Sire file that did not load: bad input (exit status 2), or, when the heap ran out,
/// not the file's fault (exit status 1, as for crashes).
pub fn load_failure(
    rt: &Runtime,
    e: &crate::sire::session::Failure,
    file: &std::path::Path,
) -> Failure {
    if rt.heap.out_of_memory {
        Failure::crash(errors::load(e, file))
    } else {
        Failure::input(errors::load(e, file))
    }
}

/// Loads a Sire file (and its predecessors, through the module cache) without printing its
/// bindings; returns the session holding the file's scope.
pub fn load_sire_quietly(
    opts: &RuntimeOpts,
    rt: &mut Runtime,
    file: &std::path::Path,
) -> Result<crate::sire::session::Session, Failure> {
    let mut s = crate::sire::session::Session::new(rt);
    s.cache = opts.module_cache();
    s.quiet();
    s.load_file(rt, file)
        .map_err(|e| load_failure(rt, &e, file))?;
    Ok(s)
}

/// Reads a seed or a pod file and loads its value.
pub fn read_seed_file(
    rt: &mut Runtime,
    path: &std::path::Path,
) -> Result<pallas_runtime::Value, Failure> {
    use pallas_runtime::seed;
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::input(format!(
            "cannot read {}: {e} (check the path)",
            path.display()
        ))
    })?;
    if seed::is_pod(&bytes) {
        seed::load_pod(rt, &bytes)
    } else {
        seed::load(rt, &bytes)
    }
    .map_err(|e| {
        Failure::input(format!(
            "{}: {e}\n  hint: this is not a seed or pod as `pallas save OUT.seed FILE.sire` or \
             `pallas plan --seed` writes them (was it cut short, or is it another file?)",
            path.display()
        ))
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Plan(a) => plan::run(&cli.runtime, a),
        Command::Bench(a) => bench::run(&cli.runtime, a),
        Command::Bytecode(a) => bytecode::run(&cli.runtime, a),
        Command::Show(a) => show::run(&cli.runtime, a),
        Command::Save(a) => save::run(&cli.runtime, a),
        Command::Repl(a) => repl::run(&cli.runtime, a),
        Command::Prof(a) => prof::run(&cli.runtime, a),
        Command::Sire(a) => sire::run(&cli.runtime, a),
        Command::Jets(a) => jets::run(&cli.runtime, a),
        Command::Boot(a) => machine::boot(&cli.runtime, a),
        Command::Start(a) => machine::start(&cli.runtime, a),
        Command::Gc(a) => machine::gc(a),
        Command::Ps(a) => machine::ps(&cli.runtime, a),
        Command::Export(a) => machine::export(&cli.runtime, a),
        Command::Import(a) => machine::import(&cli.runtime, a),
    }
}
