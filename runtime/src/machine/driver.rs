//! A running driver (a `[1 P]` worker) and its table of live requests.
//!
//! The rule is the reference's (`runResponse` and `parseRequests` in its
//! `lib/Server/Proc.hs`): the request row that `P` shows (its last argument) lists the
//! requests to issue *now*. When the driver starts, and after every response it is given,
//! every entry of its current row is issued and becomes live under its index (replacing a
//! live request with that index, whose answer is then never delivered). A live request stays
//! live until it is answered, whether or not later rows still show it. A response to request
//! `k` removes `k` from the table and makes `P' = P k x`; if that crashes or runs past its
//! limit, the driver goes back to its initial `P` and keeps its live requests. A cog output
//! for `k` is delivered whether or not `k` is live (it removes `k` if it is). `%write`
//! requests and dead requests (see [`super::effect`]) are never live.

use std::collections::BTreeMap;

use super::tcp::TcpWait;
use crate::value::Value;

/// How a live request will be answered.
pub enum Wait {
    /// Its answer is already on the way.
    Answered,
    /// Never (a `%time %wait` too far away).
    Never,
    /// With 0 once the clock reaches this many unix seconds.
    Until(u64),
    /// By the TCP device.
    Tcp(TcpWait),
    /// By another cog (an answer in this cog's mailbox).
    Cog,
    /// Never: a `%tell` on this channel through this function, which stays live and serves
    /// every ask on the channel until a cog output answers it.
    Tell(u64, Value),
}

/// A live request.
pub struct Live {
    /// Tells this request from a later one with the same index.
    pub gen: u64,
    /// The effect as issued (kept alive for the collector).
    pub effect: Value,
    /// How it will be answered.
    pub wait: Wait,
}

/// A running driver.
pub struct Driver {
    /// Tells this driver from a later one at the same worker index.
    pub id: u64,
    /// Its worker entry `[1 P]`, to notice changes.
    pub entry: Value,
    /// The `P` it started with (and goes back to when `P` crashes).
    pub init: Value,
    /// The `P` it is now.
    pub proc: Value,
    live: BTreeMap<u64, Live>,
}

impl Driver {
    /// A driver that starts as `proc`.
    pub fn new(id: u64, entry: Value, proc: Value) -> Driver {
        Driver {
            id,
            entry,
            init: proc,
            proc,
            live: BTreeMap::new(),
        }
    }

    /// Makes `live` the live request `req`, replacing any other.
    pub fn insert(&mut self, req: u64, live: Live) {
        self.live.insert(req, live);
    }

    /// Removes the answered request `req` issued as `gen`; false if `req` is no longer that
    /// request (it was replaced or removed since: its answer is dropped).
    pub fn take_answered(&mut self, req: u64, gen: u64) -> bool {
        match self.live.get(&req) {
            Some(l) if l.gen == gen => {
                self.live.remove(&req);
                true
            }
            _ => false,
        }
    }

    /// Removes `req`, if live (a cog output answered it).
    pub fn remove(&mut self, req: u64) {
        self.live.remove(&req);
    }

    /// The live requests still waiting for an answer, by index.
    pub fn waiting(&mut self) -> impl Iterator<Item = (u64, &mut Live)> {
        self.live
            .iter_mut()
            .filter(|(_, l)| !matches!(l.wait, Wait::Answered))
            .map(|(k, l)| (*k, l))
    }

    /// Every value the driver holds (for the collector's roots).
    pub fn values(&self) -> impl Iterator<Item = Value> + '_ {
        [self.entry, self.init, self.proc]
            .into_iter()
            .chain(self.live.values().map(|l| l.effect))
    }

    /// How many requests are live.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(gen: u64, wait: Wait) -> Live {
        Live {
            gen,
            effect: Value::small(0),
            wait,
        }
    }

    #[test]
    fn an_answer_is_dropped_once_its_request_was_replaced() {
        let mut d = Driver::new(1, Value::small(0), Value::small(0));
        d.insert(4, live(1, Wait::Answered));
        d.insert(4, live(2, Wait::Until(9)));
        assert!(!d.take_answered(4, 1), "the first request was replaced");
        assert_eq!(d.waiting().count(), 1);
        assert!(d.take_answered(4, 2));
        assert_eq!(d.live_count(), 0);
        assert!(!d.take_answered(4, 2), "answered once only");
    }

    #[test]
    fn only_unanswered_requests_wait() {
        let mut d = Driver::new(1, Value::small(0), Value::small(0));
        d.insert(1, live(1, Wait::Answered));
        d.insert(2, live(2, Wait::Never));
        d.insert(3, live(3, Wait::Until(5)));
        let waiting: Vec<u64> = d.waiting().map(|(k, _)| k).collect();
        assert_eq!(waiting, vec![2, 3]);
        d.remove(2);
        assert_eq!(d.live_count(), 2);
    }
}
