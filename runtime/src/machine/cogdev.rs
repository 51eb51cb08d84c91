//! The cog device: a driver's `[%cog ...]` requests (see [`super::effect::CogRequest`]) and
//! the messages between the cogs of a machine.
//!
//! - `%spin f` answers the new cog's id once its boot record is on disk (0 if `f` is not a
//!   cog, or a pin of one). `%who` answers this cog's id.
//! - `%stop c` stops cog `c` (it stays in the machine, stopped, and never runs again) and
//!   answers `(0 state)` once it has stopped; `%reap c` does the same and removes it; `%wait
//!   c` answers `(0 state)` once `c` no longer runs. `state` is `[1 cog]` (finished), `[2 op
//!   arg cog]` (crashed), `[3 secs cog]` (past its step limit) or `[4 cog]` (stopped), `cog`
//!   being its last committed cog. Asked about a cog that does not exist (or was reaped), or
//!   to stop or reap itself or the booted cog (id 1), they answer 0.
//! - `%tell chan f` makes this cog serve channel `chan`: each `%ask` to it on `chan` from cog
//!   `a` with message `m` becomes the input `[w (f a m)]` of this cog (`w` the telling
//!   driver's worker index), and the cog's output `[w tellIdx reply]` answers the ask with
//!   `(0 reply)`, the k-th such output the k-th ask served, once the step that made it is
//!   on disk. The output also goes to the driver as the answer to its tell (which then
//!   stops serving until the driver issues it again). If `f a m` crashes the ask is
//!   answered 0 and the tell goes on serving.
//! - `%ask dst chan m` waits until `dst` serves `chan`; it is answered 0 if `dst` does not
//!   exist, has ended or ends before it answers. `%ask dst chan m key` names the ask: one
//!   that comes again from the same cog with the same key is not taken again but gets the
//!   first one's answer (see [`super::asks`]), so a driver restarted after a crash can
//!   repeat what it asked without the message being applied twice.
//!
//! Which asks a cog took and which of them its outputs answered is logged with its steps
//! (the ask book, [`super::asks`]): after a restart, an output still answers the ask it
//! answered before the crash.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use super::asks::{Book, Known, Take};
use super::cogs::{Addr, CogId, EndKind, EndReply, Event, Hub, Until};
use super::driver::Wait;
use super::effect::CogRequest;
use super::envelope::Envelope;
use super::store::{Access, MachineStore, SnapshotKind};
use super::{check_cog, Machine, MachineError};
use crate::value::Value;

/// A machine's place among the cogs of its store.
pub struct Link {
    /// This cog's id.
    pub id: CogId,
    /// What the cogs share.
    pub hub: Arc<Hub>,
    /// This cog's mailbox.
    pub mailbox: Receiver<Event>,
    /// Set by `%stop`/`%reap` of this cog (and when the machine stops).
    pub stop: Arc<AtomicBool>,
}

/// An ask waiting for a tell.
struct Pending {
    from: CogId,
    msg: Envelope,
    reply: Addr,
    key: Option<u64>,
}

/// The asks a cog has received and not yet answered.
#[derive(Default)]
pub struct Served {
    /// By channel: asks no tell has taken yet.
    pending: BTreeMap<u64, VecDeque<Pending>>,
    /// The asks taken, and the answers to keyed ones (on disk with the steps).
    pub book: Book,
}

impl Machine {
    /// This cog's id among the machine's cogs (1 when it runs alone).
    pub fn cog_id(&self) -> CogId {
        self.link.as_ref().map_or(super::cogs::ROOT, |l| l.id)
    }

    /// `(0 x)`.
    fn some(&mut self, x: Value) -> Value {
        self.rt.partial(Value::small(0), &[x])
    }

    /// Issues a request to the cog device; says how it will be answered.
    pub(super) fn cog_request(&mut self, w: usize, req: u64, gen: u64, c: CogRequest) -> Wait {
        let Some(link) = &self.link else {
            self.answer(w, req, gen, Value::small(0));
            return Wait::Answered;
        };
        let (me, hub) = (link.id, link.hub.clone());
        let reply = Addr {
            cog: me,
            worker: w,
            req,
            gen,
        };
        match c {
            CogRequest::Who => {
                let v = self.rt.nat_u64(me);
                self.answer(w, req, gen, v);
                Wait::Answered
            }
            CogRequest::Spin(f) => {
                // A cog defined at the top level of a Sire file arrives pinned.
                let f = match f.deref().kind() {
                    Some(crate::value::Kind::Pin(p)) => p.item().deref(),
                    _ => f,
                };
                let id = match check_cog(f) {
                    Err(_) => 0,
                    Ok(()) => match hub.spin(&mut self.rt, f) {
                        Ok(id) => id,
                        Err(e) => {
                            (self.say)(&format!("%spin failed ({e}); answered 0"));
                            0
                        }
                    },
                };
                let v = self.rt.nat_u64(id);
                self.answer(w, req, gen, v);
                Wait::Answered
            }
            CogRequest::Stop(c) => self.until(&hub, me, c, Until::Stop, reply),
            CogRequest::Reap(c) => self.until(&hub, me, c, Until::Reap, reply),
            CogRequest::Wait(c) => self.until(&hub, me, c, Until::Wait, reply),
            CogRequest::Tell(chan, f) => Wait::Tell(chan, f),
            CogRequest::Ask(dst, chan, msg, key) => {
                let msg = hub.pins.pack(msg);
                let sent = hub.send(
                    dst,
                    Event::Ask {
                        from: me,
                        chan,
                        msg,
                        reply,
                        key,
                    },
                );
                if sent {
                    Wait::Cog
                } else {
                    self.answer(w, req, gen, Value::small(0));
                    Wait::Answered
                }
            }
        }
    }

    fn until(&mut self, hub: &Arc<Hub>, me: CogId, c: CogId, what: Until, reply: Addr) -> Wait {
        let v = match hub.until(me, c, what, reply) {
            EndReply::Later => return Wait::Cog,
            EndReply::Zero => Value::small(0),
            EndReply::Ended(kind, env, dir) => {
                let v = match env {
                    Some(e) => e.unpack(&mut self.rt).map_err(MachineError::Store),
                    None => self.load_final(&dir, &kind, hub.store_pins.clone()),
                };
                if what == Until::Reap {
                    if let Err(e) = hub.bury(c) {
                        (self.say)(&format!("reaping cog {c}: {e}"));
                    }
                }
                v.unwrap_or_else(|e| {
                    (self.say)(&format!("cog {c}'s final state cannot be read ({e})"));
                    Value::small(0)
                })
            }
        };
        self.answer(reply.worker, reply.req, reply.gen, v);
        Wait::Answered
    }

    /// `(0 state)` for a cog that ended as `kind`, its final cog read from its store.
    fn load_final(
        &mut self,
        dir: &std::path::Path,
        kind: &EndKind,
        pins: super::pinshare::Pins,
    ) -> Result<Value, MachineError> {
        let store = MachineStore::open_cog(dir, Access::Read, pins)?;
        let rec = store.read_record(SnapshotKind::Latest)?;
        let cog = store.load_value(&mut self.rt, &rec.cog)?;
        self.rt.roots.push(cog);
        let st = kind.state_row(&mut self.rt, cog);
        self.rt.roots.pop();
        Ok(self.some(st))
    }

    /// Takes what is in the mailbox, waiting up to `wait` for the first event. Returns
    /// whether anything came.
    pub(super) fn poll_mailbox(&mut self, wait: Duration) -> bool {
        let Some(link) = &self.link else {
            std::thread::sleep(wait);
            return false;
        };
        let mut events = Vec::new();
        if !wait.is_zero() {
            match link.mailbox.recv_timeout(wait) {
                Ok(e) => events.push(e),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
        }
        while let Ok(e) = link.mailbox.try_recv() {
            events.push(e);
        }
        let any = !events.is_empty();
        for e in events {
            match e {
                Event::Answer { to, value, some } => match value.unpack(&mut self.rt) {
                    Ok(v) => {
                        let v = if some { self.some(v) } else { v };
                        self.answer(to.worker, to.req, to.gen, v)
                    }
                    Err(e) => (self.say)(&format!("an answer from another cog is damaged: {e}")),
                },
                Event::Ask {
                    from,
                    chan,
                    msg,
                    reply,
                    key,
                } => {
                    if !self.known_ask(from, key, reply) {
                        self.served
                            .pending
                            .entry(chan)
                            .or_default()
                            .push_back(Pending {
                                from,
                                msg,
                                reply,
                                key,
                            })
                    }
                }
            }
        }
        any
    }

    /// Deals with an ask that came before (its key is in the book): answers it with the
    /// recorded answer, or sends it the answer of the ask taken with its key. Returns
    /// false for an ask to take.
    fn known_ask(&mut self, from: CogId, key: Option<u64>, reply: Addr) -> bool {
        let Some(k) = key else { return false };
        match self.served.book.known(from, k) {
            None => false,
            Some(Known::Taken(seq)) => {
                let seq = *seq;
                self.served.book.also_answer(seq, reply);
                true
            }
            Some(Known::Answered(x)) => {
                let x = x.clone();
                match crate::seed::load(&mut self.rt, &x) {
                    Ok(v) => self.reply_some(reply, v),
                    Err(e) => {
                        (self.say)(&format!("a recorded answer is damaged ({e}); answered 0"));
                        self.reply(reply, Value::small(0));
                    }
                }
                true
            }
        }
    }

    /// Answers 0 to the asks whose inputs were dropped (their step failed).
    pub(super) fn drop_takes(&mut self, takes: &[Option<Take>]) {
        for t in takes.iter().flatten() {
            for a in self.served.book.drop_take(t.seq) {
                self.reply(a, Value::small(0));
            }
        }
    }

    /// Answers ask `a` from this cog with `v` (packed).
    fn reply(&mut self, a: Addr, v: Value) {
        if let Some(l) = &self.link {
            let env = l.hub.pins.pack(v);
            l.hub.answer(a, env);
        }
    }

    /// Answers ask `a` from this cog with `(0 x)`.
    fn reply_some(&mut self, a: Addr, x: Value) {
        if let Some(l) = &self.link {
            let env = l.hub.pins.pack(x);
            l.hub.answer_some(a, env);
        }
    }

    /// Makes inputs of the asks that a live tell takes.
    pub(super) fn serve_asks(&mut self) {
        if self.served.pending.values().all(|q| q.is_empty()) {
            return;
        }
        let mut tells = Vec::new();
        for (w, d) in self.drivers.iter_mut().enumerate() {
            let Some(d) = d else { continue };
            for (req, l) in d.waiting() {
                if let Wait::Tell(chan, f) = l.wait {
                    tells.push((w, req, chan, f));
                }
            }
        }
        self.sync_roots(&[]);
        for (w, req, chan, f) in tells {
            let Some(q) = self.served.pending.get_mut(&chan) else {
                continue;
            };
            let asks: Vec<Pending> = q.drain(..).collect();
            self.rt.roots.push(f);
            for p in asks {
                // The same key twice before either was taken: the second waits.
                if self.known_ask(p.from, p.key, p.reply) {
                    continue;
                }
                let msg = match p.msg.unpack(&mut self.rt) {
                    Ok(m) => m,
                    Err(e) => {
                        (self.say)(&format!("an ask from cog {} is damaged: {e}", p.from));
                        self.reply(p.reply, Value::small(0));
                        continue;
                    }
                };
                let from = self.rt.nat_u64(p.from);
                self.rt.roots.push(msg);
                let r = self.call_limited(f, &[from, msg]);
                self.rt.roots.pop();
                match r {
                    Ok(c) => {
                        let input = self.rt.row(&[Value::small(w as u64), c.deref()]);
                        // Rooted from here on (a later call may collect).
                        self.rt.roots.push(input);
                        let take = self.served.book.take(p.from, p.key, (w, req), p.reply);
                        self.push_input(input, Some(take));
                    }
                    Err(_) => self.reply(p.reply, Value::small(0)),
                }
            }
        }
    }

    /// Answers the asks that the durable step's outputs answer (the k-th output to a tell
    /// the k-th ask it took), and records the answers to keyed asks. Also run by a replay,
    /// where nobody waits.
    pub(super) fn answer_asks(&mut self, outs: &[(usize, u64, Value)]) {
        if !self.served.book.any_open() {
            return;
        }
        for &(w, req, msg) in outs {
            let to = self.served.book.answer((w, req), || crate::seed::save(msg));
            for a in to {
                self.reply_some(a, msg);
            }
        }
    }

    /// Answers 0 to every ask this cog holds or will receive (it ends).
    fn refuse_asks(&mut self) {
        let pending: Vec<Addr> = self
            .served
            .pending
            .values_mut()
            .flat_map(|q| q.drain(..).map(|p| p.reply))
            .chain(self.served.book.refuse_all())
            .collect();
        for a in pending {
            self.reply(a, Value::small(0));
        }
    }

    /// Records that this spawned cog ended as `kind`, answers whoever waits for that, and
    /// answers 0 to every ask it has not answered.
    pub fn end_cog(&mut self, kind: EndKind) -> Result<(), MachineError> {
        let Some(link) = &self.link else {
            return Ok(());
        };
        let (id, hub) = (link.id, link.hub.clone());
        self.refuse_asks();
        let cog = self.cog;
        self.sync_roots(&[]);
        let st = kind.state_row(&mut self.rt, cog);
        let ans = self.some(st);
        let env = hub.pins.pack(ans);
        hub.ended(&mut self.rt, id, kind, env)?;
        self.poll_mailbox(Duration::ZERO);
        self.refuse_asks();
        Ok(())
    }

    /// How a step that failed with `e` ends a cog (`None`: `e` is no failure of a step).
    pub(super) fn end_kind(&self, e: &MachineError) -> Option<EndKind> {
        match e {
            MachineError::Crashed(_) | MachineError::BadStep(_) | MachineError::OutOfMemory(_) => {
                Some(EndKind::Crashed(
                    self.crash
                        .clone()
                        .unwrap_or_else(|| crate::seed::save(Value::small(0))),
                ))
            }
            MachineError::TimedOut(d) => Some(EndKind::TimedOut(d.as_secs())),
            _ => None,
        }
    }

    /// How the machine's error `e` ends this cog: a failed step (also when it is named
    /// by the input that fails alone) ends it as that step failed; other errors do not.
    pub fn end_of(&self, e: &MachineError) -> Option<EndKind> {
        match e {
            MachineError::FailedOn { .. } => self.failure.clone(),
            e => self.end_kind(e),
        }
    }
}
