//! Time limits on evaluations: a thread that sets a runtime's interrupt flag when the
//! evaluation it watches runs past its deadline. One thread serves every evaluation of a
//! machine; arming and disarming are two atomic stores.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the watchdog looks at the clock.
const TICK: Duration = Duration::from_millis(20);

/// Watches one runtime's evaluations.
pub struct Watchdog {
    /// Milliseconds after `base` at which to interrupt; 0 when disarmed.
    deadline: Arc<AtomicU64>,
    base: Instant,
}

impl Watchdog {
    /// A watchdog that sets `flag` when an armed deadline passes. Its thread ends once the
    /// watchdog is dropped.
    pub fn new(flag: Arc<AtomicBool>) -> Watchdog {
        let deadline = Arc::new(AtomicU64::new(0));
        let base = Instant::now();
        let watched = deadline.clone();
        let _ = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                // The machine holds the other reference; alone, the thread has nothing to do.
                while Arc::strong_count(&watched) > 1 {
                    std::thread::sleep(TICK);
                    let d = watched.load(Ordering::Relaxed);
                    if d != 0 && base.elapsed().as_millis() as u64 >= d {
                        flag.store(true, Ordering::Relaxed);
                    }
                }
            });
        Watchdog { deadline, base }
    }

    /// Interrupts whatever runs `limit` from now, unless [`disarm`](Self::disarm)ed first.
    pub fn arm(&self, limit: Duration) {
        let at = self.base.elapsed() + limit;
        self.deadline
            .store((at.as_millis() as u64).max(1), Ordering::Relaxed);
    }

    /// Cancels the deadline.
    pub fn disarm(&self) {
        self.deadline.store(0, Ordering::Relaxed);
    }
}
