//! Values on their way from one cog's runtime to another's.
//!
//! Each cog has a heap of its own, so a message is serialised: the value outside its pins
//! as a seed whose holes are the pins it reaches first, and each pin it reaches (directly or
//! through other pins) by its hash. A pin's stored form (its refs' hashes and its germ, as in
//! the pin store) is made once per machine and shared through a [`PinTable`]: a message that
//! carries a large pinned value again carries only hashes and shared references to bytes
//! already made, and the receiver checks every pin's hash as it rebuilds it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::hash::{base58, Hash};
use crate::runtime::Runtime;
use crate::seed;
use crate::value::{Kind, Value};

/// The stored forms of pins sent between cogs, by hash, shared by every cog of a machine.
#[derive(Default)]
pub struct PinTable {
    pins: Mutex<HashMap<Hash, Arc<[u8]>>>,
}

/// The table is a cache: past this many bytes it is emptied (messages hold what they use).
const TABLE_LIMIT: usize = 256 << 20;

/// A value in transit: a small nat as it is, or a seed with holes and every pin it reaches.
#[derive(Clone)]
pub enum Envelope {
    /// A nat below 2^63 (most messages and answers): no seed at all.
    Small(u64),
    /// Anything else.
    Packed {
        /// The value outside its pins.
        seed: Vec<u8>,
        /// The pins it reaches first (the seed's holes).
        holes: Vec<Hash>,
        /// Every pin it reaches, dependencies first.
        pins: Vec<(Hash, Arc<[u8]>)>,
    },
}

fn pin_hash(v: Value) -> Option<Hash> {
    match v.deref().kind() {
        Some(Kind::Pin(p)) => Some(p.hash),
        _ => None,
    }
}

impl PinTable {
    /// The stored form of `pin` (made now if no cog sent it before).
    fn stored(&self, hash: Hash, pin: Value, bytes: &mut usize) -> Option<Arc<[u8]>> {
        let mut map = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = map.get(&hash) {
            return Some(b.clone());
        }
        let blob: Arc<[u8]> = seed::stored_pin(pin)?.into();
        *bytes += blob.len();
        if *bytes > TABLE_LIMIT {
            map.clear();
            *bytes = 0;
        }
        map.insert(hash, blob.clone());
        Some(blob)
    }

    /// Packs the fully normal value `v`.
    pub fn pack(&self, v: Value) -> Envelope {
        let v = v.deref();
        if let Some(n) = v.as_small() {
            return Envelope::Small(n);
        }
        let tops = seed::pin_refs(v);
        let holes: Vec<Hash> = tops.iter().filter_map(|p| pin_hash(*p)).collect();
        let mut pins = Vec::new();
        let mut made = 0usize;
        if !tops.is_empty() {
            for p in seed::pins_postorder(v) {
                if let Some(h) = pin_hash(p) {
                    if let Some(b) = self.stored(h, p.deref(), &mut made) {
                        pins.push((h, b));
                    }
                }
            }
        }
        Envelope::Packed {
            seed: seed::save_with_holes(v, &holes),
            holes,
            pins,
        }
    }
}

impl Envelope {
    /// A small nat (needs no runtime to pack).
    pub fn nat(n: u64) -> Envelope {
        Envelope::Small(n)
    }

    /// Rebuilds the value in `rt`, checking each pin's hash.
    pub fn unpack(&self, rt: &mut Runtime) -> Result<Value, String> {
        let (seed, holes, pins) = match self {
            Envelope::Small(n) => return Ok(rt.nat_u64(*n)),
            Envelope::Packed { seed, holes, pins } => (seed, holes, pins),
        };
        let blobs: HashMap<Hash, &Arc<[u8]>> = pins.iter().map(|(h, b)| (*h, b)).collect();
        let mut done: HashMap<Hash, Value> = HashMap::new();
        let base = rt.roots.len();
        let r = (|| {
            // Pins arrive dependencies first.
            for (h, _) in pins {
                if done.contains_key(h) {
                    continue;
                }
                let blob = blobs[h];
                let (refs, germ) =
                    seed::parse_stored_pin(blob).map_err(|e| format!("{}: {e}", base58(h)))?;
                let vals: Vec<Value> = refs.iter().filter_map(|r| done.get(r)).copied().collect();
                if vals.len() != refs.len() {
                    return Err(format!("{}: a ref arrived after it", base58(h)));
                }
                let pin = seed::load_germ(rt, germ, &vals, Some(h))
                    .map_err(|e| format!("{}: {e}", base58(h)))?;
                rt.roots.push(pin);
                done.insert(*h, pin);
            }
            let holes: Vec<Value> = holes
                .iter()
                .map(|h| done.get(h).copied().ok_or_else(|| base58(h)))
                .collect::<Result<_, _>>()
                .map_err(|h| format!("pin {h} is missing from the message"))?;
            seed::load_with_holes(rt, seed, &holes).map_err(|e| e.to_string())
        })();
        rt.roots.truncate(base);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Config;

    #[test]
    fn a_value_with_pins_crosses_to_another_runtime_and_keeps_its_hash() {
        let table = PinTable::default();
        let mut a = Runtime::new(Config::default());
        let big = a.nat_str("a pinned payload");
        let inner = a.pin(big);
        let r = a.row(&[Value::small(3), inner]);
        let outer = a.pin(r);
        let msg = a.row(&[outer, inner, Value::small(7)]);
        let want = crate::hash::hash_item(msg);
        let env = table.pack(msg);
        let (Envelope::Packed { pins: p1, .. }, Envelope::Packed { pins: p2, .. }) =
            (&env, &table.pack(msg))
        else {
            panic!("a row with pins is packed");
        };
        assert_eq!(p1.len(), 2);
        assert!(Arc::ptr_eq(&p1[0].1, &p2[0].1), "made once");
        let mut b = Runtime::new(Config::default());
        let got = env.unpack(&mut b).expect("unpacks");
        assert_eq!(crate::hash::hash_item(got), want);
        assert_eq!(Envelope::nat(5).unpack(&mut b).unwrap().as_small(), Some(5));
    }
}
