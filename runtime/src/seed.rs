//! Seeds: the serialised form of PLAN values (save is a placeholder until implemented).

use crate::value::Value;

/// Serialises a fully normal value as a seed. Not implemented yet: returns no bytes.
pub fn save(_v: Value) -> Vec<u8> {
    Vec::new()
}
