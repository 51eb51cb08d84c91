//! Cranelift JIT tier for hot laws. Not implemented yet: every law runs in the runtime's
//! evaluator, and this crate only reports that no native tier is available.

/// Whether this build has a native (JIT) tier. Always `false` until the JIT lands.
pub fn available() -> bool {
    false
}
