//! What a driver's request asks for: the entries `[reqIdx effect]` of its request row,
//! decoded the way the reference decodes them (`lib/Server/Machine.hs` and
//! `lib/Server/Hardware/*.hs` in the reference).
//!
//! - `[0 %read q ...]` and `[0 %write c ...]` talk to the cog (elements after the third are
//!   ignored). Any other effect on device 0, an empty effect and an effect whose device is
//!   not a nat are *dead*: never answered and never live.
//! - `[%time %when]`, `[%time %wait t]` (a `t` past the largest signed 64-bit number never
//!   fires) and the TCP requests have exact shapes; a malformed request to a known device,
//!   and any request to an unknown one, is answered with 0 at once.

use crate::datajet;
use crate::value::Value;

/// A decoded request effect.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// `[0 %read q]`: answer `R S reqIdx q` (0 if that fails).
    Read(Value),
    /// `[0 %write c]`: `c` becomes an input of the cog; the cog's output answers it.
    Write(Value),
    /// `[%time %when]`: the unix time in seconds.
    TimeWhen,
    /// `[%time %wait t]`: 0 once the clock reaches `t` seconds; `None` never fires.
    TimeWait(Option<u64>),
    /// A request to the TCP device.
    Tcp(TcpRequest),
    /// A request to the cog device (see [`super::cogs`]).
    Cog(CogRequest),
    /// Answered with 0 at once (malformed, or an unknown device).
    Zero,
    /// Never answered and never live.
    Dead,
}

/// A well-formed request to the TCP device.
#[derive(Debug, PartialEq, Eq)]
pub enum TcpRequest {
    /// `%mine`: the listening port.
    Mine,
    /// `%hear`: the next connection.
    Hear,
    /// `%open ip port`: a connection to `ip:port`.
    Open(u32, u16),
    /// `%take h`: bytes from a connection.
    Take(u64),
    /// `%give h bar`: send bytes on a connection.
    Give(u64, Vec<u8>),
    /// `%shut h`: close a connection.
    Shut(u64),
}

/// A well-formed request to the cog device. Cog ids and channels are nats; one too big
/// for 64 bits names no cog (it is mapped to `u64::MAX`, which no cog has).
#[derive(Debug, PartialEq, Eq)]
pub enum CogRequest {
    /// `%spin f`: start `f` as a new cog; answers its id.
    Spin(Value),
    /// `%stop c`: stop cog `c` (it stays in the machine, stopped).
    Stop(u64),
    /// `%reap c`: stop cog `c` if it runs and remove it from the machine.
    Reap(u64),
    /// `%wait c`: answer once cog `c` no longer runs.
    Wait(u64),
    /// `%tell chan f`: serve the asks to this cog on channel `chan` through `f`.
    Tell(u64, Value),
    /// `%ask dst chan msg` (and `%ask dst chan msg key`): ask cog `dst` on channel `chan`;
    /// an ask with a key (a nat below 2^63) that comes again is not applied again.
    Ask(u64, u64, Value, Option<u64>),
    /// `%who`: this cog's id.
    Who,
}

/// A small nat that spells `w` (little-endian bytes).
fn word(w: &str) -> u64 {
    w.bytes()
        .enumerate()
        .fold(0, |n, (i, c)| n | (c as u64) << (8 * i))
}

fn is_word(v: Value, w: &str) -> bool {
    v.deref().as_small() == Some(word(w))
}

/// A nat as a `u64`, with nats too big for one mapped to `u64::MAX` (no handle, port or
/// address is that large). `None` for values that are not nats.
fn nat_or_max(v: Value) -> Option<u64> {
    let v = v.deref();
    match v.as_small() {
        Some(n) => Some(n),
        None if v.is_nat() => Some(u64::MAX),
        None => None,
    }
}

/// Decodes one entry `[reqIdx effect]` of a request row: its index and effect, or `None`
/// when the entry is not a pair of a small nat and a row (the entry is skipped).
pub fn decode_entry(entry: Value) -> Option<(u64, Value, Effect)> {
    let parts = datajet::row_elems(entry)?;
    let [idx, effect] = parts.as_slice() else {
        return None;
    };
    let idx = idx.deref().as_small()?;
    let elems = datajet::row_elems(*effect)?;
    Some((idx, effect.deref(), decode(&elems)))
}

/// Decodes the elements of an effect row.
pub fn decode(elems: &[Value]) -> Effect {
    let Some((dev, args)) = elems.split_first() else {
        return Effect::Dead;
    };
    let dev = dev.deref();
    match dev.as_small() {
        Some(0) => match args {
            [op, x, ..] if is_word(*op, "read") => Effect::Read(x.deref()),
            [op, x, ..] if is_word(*op, "write") => Effect::Write(x.deref()),
            _ => Effect::Dead,
        },
        _ if !dev.is_nat() => Effect::Dead,
        _ if is_word(dev, "time") => time(args),
        _ if is_word(dev, "tcp") => tcp(args).map_or(Effect::Zero, Effect::Tcp),
        _ if is_word(dev, "cog") => cog(args).map_or(Effect::Zero, Effect::Cog),
        _ => Effect::Zero,
    }
}

fn time(args: &[Value]) -> Effect {
    match args {
        [op] if is_word(*op, "when") => Effect::TimeWhen,
        [op, t] if is_word(*op, "wait") => match nat_or_max(*t) {
            Some(t) if t <= i64::MAX as u64 => Effect::TimeWait(Some(t)),
            Some(_) => Effect::TimeWait(None),
            None => Effect::Zero,
        },
        _ => Effect::Zero,
    }
}

fn tcp(args: &[Value]) -> Option<TcpRequest> {
    Some(match args {
        [op] if is_word(*op, "mine") => TcpRequest::Mine,
        [op] if is_word(*op, "hear") => TcpRequest::Hear,
        [op, h] if is_word(*op, "take") => TcpRequest::Take(nat_or_max(*h)?),
        [op, h] if is_word(*op, "shut") => TcpRequest::Shut(nat_or_max(*h)?),
        [op, h, bar] if is_word(*op, "give") => {
            TcpRequest::Give(nat_or_max(*h)?, datajet::bar_bytes(*bar)?)
        }
        [op, ip, port] if is_word(*op, "open") => {
            let ip = u32::try_from(nat_or_max(*ip)?).ok()?;
            let port = u16::try_from(nat_or_max(*port)?).ok()?;
            TcpRequest::Open(ip, port)
        }
        _ => return None,
    })
}

fn cog(args: &[Value]) -> Option<CogRequest> {
    Some(match args {
        [op] if is_word(*op, "who") => CogRequest::Who,
        [op, f] if is_word(*op, "spin") => CogRequest::Spin(f.deref()),
        [op, c] if is_word(*op, "stop") => CogRequest::Stop(nat_or_max(*c)?),
        [op, c] if is_word(*op, "reap") => CogRequest::Reap(nat_or_max(*c)?),
        [op, c] if is_word(*op, "wait") => CogRequest::Wait(nat_or_max(*c)?),
        [op, ch, f] if is_word(*op, "tell") => CogRequest::Tell(nat_or_max(*ch)?, f.deref()),
        [op, d, ch, m] if is_word(*op, "ask") => {
            CogRequest::Ask(nat_or_max(*d)?, nat_or_max(*ch)?, m.deref(), None)
        }
        [op, d, ch, m, k] if is_word(*op, "ask") => CogRequest::Ask(
            nat_or_max(*d)?,
            nat_or_max(*ch)?,
            m.deref(),
            Some(k.deref().as_small()?),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Config, Runtime};

    fn w(s: &str) -> Value {
        Value::small(word(s))
    }

    #[test]
    fn cog_requests_ignore_extra_elements_and_other_device_0_requests_are_dead() {
        let (q, c) = (Value::small(5), Value::small(6));
        assert_eq!(decode(&[Value::small(0), w("read"), q]), Effect::Read(q));
        assert_eq!(
            decode(&[Value::small(0), w("write"), c, Value::small(1)]),
            Effect::Write(c)
        );
        assert_eq!(decode(&[Value::small(0), w("read")]), Effect::Dead);
        assert_eq!(decode(&[Value::small(0), w("poke"), q]), Effect::Dead);
        assert_eq!(decode(&[]), Effect::Dead);
    }

    #[test]
    fn devices_answer_malformed_requests_with_zero() {
        let mut rt = Runtime::new(Config::default());
        let row = rt.row(&[]);
        assert_eq!(decode(&[w("time"), w("when")]), Effect::TimeWhen);
        assert_eq!(decode(&[w("time"), w("when"), row]), Effect::Zero);
        assert_eq!(
            decode(&[w("time"), w("wait"), Value::small(9)]),
            Effect::TimeWait(Some(9))
        );
        let huge = rt.nat_u64(u64::MAX);
        assert_eq!(
            decode(&[w("time"), w("wait"), huge]),
            Effect::TimeWait(None)
        );
        assert_eq!(decode(&[w("time"), w("wait"), row]), Effect::Zero);
        assert_eq!(decode(&[w("rand"), w("next")]), Effect::Zero);
        assert_eq!(decode(&[row, w("next")]), Effect::Dead);
        assert_eq!(decode(&[w("tcp"), w("take"), row]), Effect::Zero);
        assert_eq!(
            decode(&[w("tcp"), w("take"), Value::small(0)]),
            Effect::Tcp(TcpRequest::Take(0))
        );
        assert_eq!(
            decode(&[w("tcp"), w("give"), Value::small(0), Value::small(3)]),
            Effect::Zero,
            "a give of something that is not a bar"
        );
        let bar = rt.bar(b"hi");
        assert_eq!(
            decode(&[w("tcp"), w("give"), Value::small(2), bar]),
            Effect::Tcp(TcpRequest::Give(2, b"hi".to_vec()))
        );
        assert_eq!(
            decode(&[w("tcp"), w("open"), Value::small(1), Value::small(70000)]),
            Effect::Zero
        );
    }

    #[test]
    fn cog_requests_have_exact_shapes() {
        let mut rt = Runtime::new(Config::default());
        let row = rt.row(&[]);
        assert_eq!(decode(&[w("cog"), w("who")]), Effect::Cog(CogRequest::Who));
        assert_eq!(decode(&[w("cog"), w("who"), row]), Effect::Zero);
        assert_eq!(
            decode(&[w("cog"), w("ask"), Value::small(2), Value::small(0), row]),
            Effect::Cog(CogRequest::Ask(2, 0, row, None))
        );
        assert_eq!(
            decode(&[
                w("cog"),
                w("ask"),
                Value::small(2),
                Value::small(0),
                row,
                Value::small(9)
            ]),
            Effect::Cog(CogRequest::Ask(2, 0, row, Some(9)))
        );
        assert_eq!(
            decode(&[
                w("cog"),
                w("ask"),
                Value::small(2),
                Value::small(0),
                row,
                row
            ]),
            Effect::Zero,
            "a key is a nat"
        );
        assert_eq!(
            decode(&[w("cog"), w("ask"), row, Value::small(0), row]),
            Effect::Zero
        );
        assert_eq!(
            decode(&[w("cog"), w("reap"), Value::small(7)]),
            Effect::Cog(CogRequest::Reap(7))
        );
        assert_eq!(decode(&[w("cog"), w("spin")]), Effect::Zero);
    }

    #[test]
    fn entries_are_pairs_of_an_index_and_a_row() {
        let mut rt = Runtime::new(Config::default());
        let eff = rt.row(&[w("time"), w("when")]);
        let entry = rt.row(&[Value::small(3), eff]);
        let (idx, _, e) = decode_entry(entry).expect("an entry");
        assert_eq!((idx, e), (3, Effect::TimeWhen));
        let bad = rt.row(&[Value::small(3), Value::small(4)]);
        assert!(decode_entry(bad).is_none());
        let triple = rt.row(&[Value::small(3), eff, eff]);
        assert!(decode_entry(triple).is_none());
    }
}
