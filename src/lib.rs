//! The pallas front end: the PLAN expression syntax, the Rex reader and printer, the Sire
//! compiler, and the command line.

pub mod cli;
pub mod loot;
pub mod plan_syntax;
pub mod rex;
pub mod sire;
