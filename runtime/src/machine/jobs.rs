//! EVAL workers: `[0 f args]` evaluates `f` applied to the elements of the row `args` in a
//! thread of its own, with a runtime of its own (values cross as seeds), so jobs run in
//! parallel with each other and with the cog. The result is `[r]`, `[op e]` for a crash, or
//! `[]` when the job runs past its time limit. A job that times out or is dropped (its
//! worker entry changed) is interrupted, and its thread ends soon after.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runtime::{Config, Runtime};
use crate::seed;
use crate::value::Value;

/// How long a job may run.
pub const JOB_LIMIT: Duration = Duration::from_secs(30);

/// A job under way.
pub struct Job {
    rx: Receiver<Vec<u8>>,
    started: Instant,
    interrupt: Arc<AtomicBool>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.interrupt.store(true, Ordering::Relaxed);
    }
}

/// What a finished job gives: the result row as a seed, or a timeout.
pub enum JobDone {
    /// The seed of `[r]` or `[op e]`.
    Result(Vec<u8>),
    /// Ran past [`JOB_LIMIT`].
    TimedOut,
}

/// Starts evaluating `f args...` where `job` is the fully normal row `[f args]`.
pub fn spawn(config: &Config, job: Value) -> Job {
    let bytes = seed::save(job);
    let mut config = config.clone();
    // The JIT belongs to the machine's runtime; jobs interpret.
    config.jit = crate::native::JitMode::Off;
    let (tx, rx) = channel();
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = interrupt.clone();
    let _ = std::thread::Builder::new()
        .name("eval-job".into())
        .spawn(move || {
            let mut rt = Runtime::new(config);
            rt.interrupt = flag;
            let out = run(&mut rt, &bytes);
            let _ = tx.send(out);
        });
    Job {
        rx,
        started: Instant::now(),
        interrupt,
    }
}

fn run(rt: &mut Runtime, bytes: &[u8]) -> Vec<u8> {
    let crash_row = |rt: &mut Runtime, op: Value, e: Value| seed::save(rt.row(&[op, e]));
    let Ok(job) = seed::load(rt, bytes) else {
        let msg = rt.nat_str("bad job");
        return crash_row(rt, Value::small(0), msg);
    };
    rt.roots.push(job);
    let parts = crate::datajet::row_elems(job).unwrap_or_default();
    let f = parts.first().copied().unwrap_or(Value::small(0));
    let args = parts
        .get(1)
        .and_then(|a| crate::datajet::row_elems(a.deref()))
        .unwrap_or_default();
    match rt.call_deep(f, &args) {
        Ok(r) => {
            let row = rt.row(&[r]);
            seed::save(row)
        }
        Err(c) => crash_row(rt, c.op, c.arg),
    }
}

impl Job {
    /// The outcome, once there is one.
    pub fn poll(&self) -> Option<JobDone> {
        match self.rx.try_recv() {
            Ok(bytes) => Some(JobDone::Result(bytes)),
            Err(TryRecvError::Disconnected) => Some(JobDone::TimedOut),
            Err(TryRecvError::Empty) if self.started.elapsed() > JOB_LIMIT => {
                Some(JobDone::TimedOut)
            }
            Err(TryRecvError::Empty) => None,
        }
    }
}
