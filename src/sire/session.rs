//! A Sire session: the state kept between blocks (rooted in the runtime), loading files and
//! their `####` predecessors in batch mode, and running REPL input.

// A failure is built once per run and carries text for people; boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use pallas_runtime::{Runtime, Value};

use super::backend::Backend;
use super::cache::{Key, ModuleCache};
use super::compile::{Block, Fail, Output};
use super::pex::{self, view, PexMaker, View};
use super::state::State;

/// A failed block, ready to show: where, what and why.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The file (or "REPL").
    pub file: String,
    /// The block's first line.
    pub line: usize,
    /// The block, printed.
    pub block: String,
    /// The failing part, printed.
    pub problem: String,
    /// The reason.
    pub reason: String,
    /// Further lines of detail.
    pub details: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}:{}", self.file, self.line)?;
        writeln!(f, "block:   {}", self.block)?;
        if !self.problem.is_empty() {
            writeln!(f, "problem: {}", self.problem)?;
        }
        write!(f, "reason:  {}", self.reason)?;
        for d in &self.details {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

/// One file of a module chain.
struct Module {
    name: String,
    file: String,
    src: String,
}

/// A Sire session over a runtime.
pub struct Session {
    /// Where loaded module chains are cached (none: always compile).
    pub cache: Option<ModuleCache>,
    /// Pex constructors.
    pub pm: PexMaker,
    /// Index of the state in `rt.roots`.
    root: usize,
    /// Where block results go.
    pub print: Box<dyn FnMut(&str)>,
}

fn show_output(o: &Output) -> String {
    match o {
        Output::Bind(n, v) => format!("{n}={}", crate::loot::show(*v, 300)),
        Output::Value(v) => crate::loot::show(*v, 2000),
    }
}

impl Session {
    /// A session in the initial state.
    pub fn new(rt: &mut Runtime) -> Session {
        rt.trace_hook = Some(Box::new(|_, v| {
            eprintln!("trace: {}", crate::loot::show(v, 2000));
        }));
        let pm = PexMaker::new(rt);
        let st = State::initial(rt).to_root(rt);
        rt.roots.push(st);
        Session {
            cache: None,
            pm,
            root: rt.roots.len() - 1,
            print: Box::new(|s| println!("{s}")),
        }
    }

    /// Stops printing bindings and results (for commands that only want the loaded scope).
    pub fn quiet(&mut self) {
        self.print = Box::new(|_| {});
    }

    /// The current state as PLAN data (`[nextKey context scope modules]`, what macros see).
    /// Costs the scope's size the first time after a definition.
    pub fn state(&self, rt: &mut Runtime) -> Value {
        let mut st = self.compiler_state(rt);
        rt.gc_hold();
        let plan = st.to_plan(rt);
        let root = st.to_root(rt);
        rt.roots[self.root] = root;
        rt.gc_release();
        // The root is always a state that `to_plan` accepts: its scope levels are tabs.
        plan.expect("the session's scope is made of tabs")
    }

    /// Replaces the state with a PLAN state (as [`Session::state`] returns).
    pub fn set_state(&self, rt: &mut Runtime, st: Value) -> Result<(), String> {
        let st = State::from_plan(st)?;
        self.set_compiler_state(rt, &st);
        Ok(())
    }

    fn compiler_state(&self, rt: &Runtime) -> State {
        State::from_root(rt.roots[self.root])
    }

    fn set_compiler_state(&self, rt: &mut Runtime, st: &State) {
        rt.gc_hold();
        let root = st.to_root(rt);
        rt.roots[self.root] = root;
        rt.gc_release();
    }

    /// Runs one block against the current state; on success the state advances.
    pub fn run_block(
        &mut self,
        rt: &mut Runtime,
        file: &str,
        line: usize,
        rex: Value,
    ) -> Result<(), Failure> {
        // Whether anything outside this call holds values unrooted; if not, the block may
        // collect garbage between the definitions of a long chain.
        let may_collect = rt.gc_allowed();
        rt.gc_hold();
        let st = self.compiler_state(rt);
        let (res, st2, outs) = {
            let mut b = Block {
                be: Backend::new(rt),
                pex: &self.pm,
                st,
                out: Vec::new(),
                held: Vec::new(),
                may_collect,
            };
            let r = b.execute(rex);
            (r, b.st, b.out)
        };
        let res = match res {
            Ok(()) => {
                self.set_compiler_state(rt, &st2);
                for o in &outs {
                    let s = show_output(o);
                    (self.print)(&s);
                }
                Ok(())
            }
            Err(Fail {
                problem,
                reason,
                details,
            }) => Err(Failure {
                file: file.to_string(),
                line,
                block: pex::show(rex),
                problem: problem.map(pex::show).unwrap_or_default(),
                reason,
                details,
            }),
        };
        rt.gc_release();
        res
    }

    /// Runs every block of `src` in order. In batch mode the first failure stops the run;
    /// otherwise failures are reported through `report` and the run continues.
    pub fn run_source(
        &mut self,
        rt: &mut Runtime,
        file: &str,
        src: &str,
        batch: bool,
        report: &mut dyn FnMut(&Failure),
    ) -> Result<(), Failure> {
        let base = rt.roots.len();
        rt.gc_hold();
        let blocks = read_pex_blocks(rt, &self.pm, file, src);
        for b in blocks.iter().flatten() {
            rt.roots.push(b.1);
        }
        rt.gc_release();
        let mut result = Ok(());
        for b in blocks {
            let r = match b {
                Ok((line, rex)) => self.run_block(rt, file, line, rex),
                Err(e) => Err(Failure {
                    file: file.to_string(),
                    line: e.line,
                    block: String::new(),
                    problem: String::new(),
                    reason: format!("bad Rex: {e}"),
                    details: Vec::new(),
                }),
            };
            if let Err(f) = r {
                if batch {
                    result = Err(f);
                    break;
                }
                report(&f);
                if rt.heap.out_of_memory {
                    // The block was abandoned; what it allocated is garbage now.
                    rt.clear_interrupt();
                    rt.collect(&[]);
                }
            }
            // Blocks run with collection held (they keep values in Rust variables), so the
            // states they leave behind are only freed here, between blocks.
            // (Young collections inside blocks reset `wants_gc`; what they cannot free, the
            // old states, counts towards `wants_full_gc`.)
            if rt.gc_allowed() && rt.heap.wants_full_gc() {
                rt.collect(&[]);
            }
        }
        rt.roots.truncate(base);
        result
    }

    /// Loads a `.sire` file and (first) the chain of modules it names with `#### m <- prev`,
    /// each from `prev.sire` in the same directory (or `./sire/`). Returns the module name.
    /// With a module cache, the predecessors start from the newest cached state of the
    /// chain; the file itself always runs (its output and assertions are seen), and the
    /// states after its predecessor and after it are cached for next time.
    pub fn load_file(&mut self, rt: &mut Runtime, path: &Path) -> Result<String, Failure> {
        let chain = self.resolve_chain(rt, path)?;
        let keys: Vec<Key> = match &self.cache {
            Some(c) => {
                let mut prior: Option<Key> = None;
                chain
                    .iter()
                    .map(|m| {
                        let k = c.key(prior.as_ref(), m.src.as_bytes());
                        prior = Some(k);
                        k
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let mut first = 0;
        if let Some(c) = &self.cache {
            for i in (0..chain.len() - 1).rev() {
                if let Some(st) = c.load(rt, &keys[i]) {
                    if self.set_state(rt, st).is_ok() {
                        first = i + 1;
                        break;
                    }
                }
            }
        }
        if first == 0 {
            let st = State::initial(rt);
            self.set_compiler_state(rt, &st);
        }
        for (i, m) in chain.iter().enumerate().skip(first) {
            // Only the file itself prints its bindings: predecessors are quiet, whether they
            // run or come from the cache.
            let last = i + 1 == chain.len();
            let print = (!last).then(|| std::mem::replace(&mut self.print, Box::new(|_| {})));
            let r = self.run_source(rt, &m.file, &m.src, true, &mut |_| {});
            if let Some(p) = print {
                self.print = p;
            }
            r?;
            // Saving a state costs about as much as compiling a small module, so only the
            // states a later load can start from are saved: the file's and its predecessor's.
            if let Some(c) = &self.cache {
                if i + 2 >= chain.len() && !c.contains(&keys[i]) {
                    let st = self.state(rt);
                    c.store(rt, &keys[i], st);
                }
            }
        }
        Ok(chain.last().map(|m| m.name.clone()).unwrap_or_default())
    }

    /// The chain of modules ending in `path`, first predecessor first.
    fn resolve_chain(&mut self, rt: &mut Runtime, path: &Path) -> Result<Vec<Module>, Failure> {
        let mut chain: Vec<Module> = Vec::new();
        let mut path = path.to_path_buf();
        loop {
            let file = path.display().to_string();
            let io_fail = |m: String| Failure {
                file: file.clone(),
                line: 0,
                block: String::new(),
                problem: String::new(),
                reason: m,
                details: Vec::new(),
            };
            let src =
                std::fs::read_to_string(&path).map_err(|e| io_fail(format!("cannot read: {e}")))?;
            // Look at the first block to find the module and its predecessor.
            rt.gc_hold();
            let header = read_pex_blocks(rt, &self.pm, &file, first_block(&src))
                .into_iter()
                .next()
                .and_then(|b| b.ok())
                .map(|b| module_header(b.1));
            rt.gc_release();
            let (name, prior) = match header {
                Some(Some(h)) => h,
                _ => {
                    return Err(io_fail(
                        "All files must start with a module declaration (#### name)".into(),
                    ))
                }
            };
            if chain.iter().any(|m| m.name == name) {
                return Err(io_fail(format!(
                    "module {name} is its own predecessor (a cycle of `<-`)"
                )));
            }
            chain.push(Module { name, file, src });
            match prior {
                Some(p) => path = predecessor_path(&path, &p),
                None => break,
            }
        }
        chain.reverse();
        Ok(chain)
    }

    /// Switches to the `REPL` module and imports `module` (if given), as the reference does
    /// before reading REPL input.
    pub fn enter_repl(&mut self, rt: &mut Runtime, module: Option<&str>) -> Result<(), String> {
        rt.gc_hold();
        let r = (|| {
            let mut st = self.compiler_state(rt);
            let ctx = rt.nat_str("REPL");
            st.switch_to_context(rt, ctx)?;
            if let Some(m) = module {
                let m = rt.nat_str(m);
                st.import_module(rt, m, None)?;
            }
            self.set_compiler_state(rt, &st);
            Ok(())
        })();
        rt.gc_release();
        r
    }
}

/// The text of the first block (up to the first blank line), enough to read the header.
fn first_block(src: &str) -> &str {
    let mut end = 0;
    let mut seen = false;
    for l in src.split_inclusive('\n') {
        let t = l.trim();
        if t.is_empty() && seen {
            break;
        }
        if !t.is_empty() && !t.starts_with(';') {
            seen = true;
        }
        end += l.len();
    }
    &src[..end]
}

fn word(v: Value) -> Option<String> {
    match view(v) {
        View::Leaf {
            text, heir: None, ..
        } => Some(text),
        _ => None,
    }
}

/// `#### name` or `#### name <- prior` (no heir): the module and its predecessor.
fn module_header(rex: Value) -> Option<(String, Option<String>)> {
    let View::Node {
        rune,
        sons,
        heir: None,
        ..
    } = view(rex)
    else {
        return None;
    };
    if rune != "####" {
        return None;
    }
    match sons.as_slice() {
        [n] => Some((word(*n)?, None)),
        [n, arrow] => {
            let View::Node {
                rune,
                sons: ps,
                heir: None,
                ..
            } = view(*arrow)
            else {
                return None;
            };
            if rune != "<-" || ps.len() != 1 {
                return None;
            }
            Some((word(*n)?, Some(word(ps[0])?)))
        }
        _ => None,
    }
}

fn predecessor_path(path: &Path, name: &str) -> PathBuf {
    let file = format!("{name}.sire");
    let dir = path.parent().unwrap_or(Path::new(""));
    let p = dir.join(&file);
    if p.exists() {
        return p;
    }
    Path::new("sire").join(file)
}

/// Reads the blocks of `src` as Pex, in order; a syntax error ends the list.
fn read_pex_blocks(
    rt: &mut Runtime,
    pm: &PexMaker,
    file: &str,
    src: &str,
) -> Vec<Result<(usize, Value), crate::rex::RexError>> {
    let mut r = crate::rex::BlockReader::new(file);
    let mut out = Vec::new();
    let lines = src.split('\n').map(Some).chain(std::iter::once(None));
    for line in lines {
        let line = line.map(|l| l.strip_suffix('\r').unwrap_or(l));
        for b in r.push(line) {
            match b {
                Ok(b) => {
                    let v = pex::from_rex(rt, pm, &b.rex, &|_: &()| Value::small(0));
                    out.push(Ok((b.line, v)));
                }
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }
    out
}
