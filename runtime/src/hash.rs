//! Pin hashing: BLAKE3-256 of the value's encoding (formats.md), and base58 printing.

use crate::datajet::{self, RowView, Shape};
use crate::value::{Kind, Value};

/// A 32-byte pin hash.
pub type Hash = [u8; 32];

fn put_word(h: &mut blake3::Hasher, w: u64) {
    h.update(&w.to_le_bytes());
}

fn put_nat(h: &mut blake3::Hasher, v: Value) {
    let v = v.deref();
    if let Some(n) = v.as_small() {
        if n == 0 {
            put_word(h, 0);
        } else {
            put_word(h, 1);
            put_word(h, n);
        }
        return;
    }
    let digits = crate::nat::as_big(v)
        .map(|n| n.to_u64_digits())
        .unwrap_or_default();
    put_word(h, digits.len() as u64);
    for d in digits {
        put_word(h, d);
    }
}

/// Feeds the encoding of a fully normal value into a hasher.
pub fn encode_into(h: &mut blake3::Hasher, top: Value) {
    let mut stack = vec![top];
    while let Some(v) = stack.pop() {
        let v = v.deref();
        match datajet::shape(v) {
            Shape::Tab => {
                let (keys, vals) = datajet::tab_view(v).unwrap_or((RowView::EMPTY, RowView::EMPTY));
                h.update(&[8]);
                put_word(h, keys.len() as u64);
                // The stack pops the first key first: push values, then keys, last first.
                stack.extend(vals.stored());
                stack.extend(keys.stored());
            }
            Shape::Set => {
                let keys = datajet::set_view(v).unwrap_or(RowView::EMPTY);
                h.update(&[7]);
                put_word(h, keys.len() as u64);
                stack.extend(keys.stored());
            }
            Shape::Row => {
                let elems = datajet::row_view(v).unwrap_or(RowView::EMPTY);
                h.update(&[6]);
                put_word(h, elems.len() as u64);
                stack.extend(elems.stored());
            }
            Shape::Cow(n) => {
                h.update(&[5]);
                if n == 0 {
                    put_word(h, 0);
                } else {
                    put_word(h, 1);
                    put_word(h, n);
                }
            }
            Shape::Bar => {
                h.update(&[4]);
                match datajet::bar_view(v) {
                    Some(bar) => {
                        put_word(h, bar.len() as u64);
                        // In chunks, without a copy of the whole bar.
                        let mut chunk = [0u8; 4096];
                        let mut bytes = bar.bytes_from(0);
                        loop {
                            let mut k = 0;
                            for (slot, b) in chunk.iter_mut().zip(&mut bytes) {
                                *slot = b;
                                k += 1;
                            }
                            if k == 0 {
                                break;
                            }
                            h.update(&chunk[..k]);
                        }
                    }
                    None => put_word(h, 0),
                }
            }
            Shape::Nat => {
                h.update(&[3]);
                put_nat(h, v);
            }
            Shape::App => {
                if let Some(Kind::App(a)) = v.kind() {
                    h.update(&[2]);
                    put_word(h, a.args().len() as u64);
                    stack.extend(a.args().iter().rev());
                    stack.push(a.head);
                }
            }
            Shape::Law => {
                if let Some(Kind::Law(l)) = v.kind() {
                    h.update(&[1]);
                    put_nat(h, l.name);
                    put_nat(h, l.arity_nat);
                    stack.push(l.body);
                }
            }
            Shape::Pin => {
                if let Some(Kind::Pin(p)) = v.kind() {
                    h.update(&[0]);
                    h.update(&p.hash);
                }
            }
        }
    }
}

/// The hash of a pin whose item is this fully normal value.
pub fn hash_item(item: Value) -> Hash {
    let mut h = blake3::Hasher::new();
    encode_into(&mut h, item);
    *h.finalize().as_bytes()
}

/// The hash of a pin value (its stored hash), or the hash of the value as a pin item.
pub fn value_hash(v: Value) -> Hash {
    match v.deref().kind() {
        Some(Kind::Pin(p)) => p.hash,
        _ => hash_item(v),
    }
}

/// A hash in Bitcoin-alphabet base58.
pub fn base58(h: &Hash) -> String {
    bs58::encode(h).into_string()
}

/// Parses a base58 hash.
pub fn from_base58(s: &str) -> Option<Hash> {
    let v = bs58::decode(s).into_vec().ok()?;
    v.try_into().ok()
}

/// A hash as lowercase hex.
pub fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}
