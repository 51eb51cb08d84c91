//! Persistence on disk: the event log, pack files of pins and the pin store over them, and
//! the boot and snapshot records. Bytes only: values become bytes through [`crate::seed`].

pub mod log;
pub mod pack;
pub mod pins;
pub mod record;
