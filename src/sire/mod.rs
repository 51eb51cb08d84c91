//! The Sire compiler: reads Rex blocks, runs commands and macros against the Sire state, and
//! compiles expressions to PLAN laws exactly as the reference does.

pub mod ast;
pub mod backend;
pub mod cache;
pub mod compile;
pub mod pex;
mod scope;
pub mod session;
pub mod state;
