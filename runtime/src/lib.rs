//! PLAN runtime: values and heap, the evaluator, data jets, jets, hashing and seeds.
//!
//! The runtime knows nothing of Rex or Sire. Start with [`Runtime`]: it owns the heap, makes
//! values ([`Runtime::nat_u64`], [`Runtime::law`], [`Runtime::pin`], [`Runtime::row`]...)
//! and evaluates them ([`Runtime::whnf`], [`Runtime::normalize`], [`Runtime::call`]).

pub mod build;
pub mod bytecode;
pub mod datajet;
pub mod decimal;
pub mod eval;
pub mod hash;
pub mod heap;
pub mod jets;
pub mod law;
pub mod machine;
pub mod nat;
pub mod native;
pub mod order;
pub mod print;
pub mod profile;
pub mod runtime;
pub mod seed;
pub mod store;
pub mod stored;
pub mod value;

pub use eval::{Crash, CrashKind, Strict};
pub use runtime::{Config, Engine, JetMismatch, Runtime};
pub use value::{Kind, Value};
