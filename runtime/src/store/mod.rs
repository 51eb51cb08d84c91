//! Persistence: the event log (and, later, the pin store and snapshots).

pub mod log;
pub mod pack;
pub mod pins;
pub mod record;
