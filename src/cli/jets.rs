//! `pallas jets`: the jet table (name, accepted hashes, whether a native exists), and, for a
//! Sire file, which jets matched while loading it (needs the Sire loader: not available yet).

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::hash;

use super::{Failure, RuntimeOpts};

/// Arguments of `pallas jets`.
#[derive(Args, Debug)]
pub struct JetsArgs {
    /// A .sire file: list the jets matched (or mismatched) while loading it.
    pub file: Option<PathBuf>,
}

/// Runs `pallas jets`.
pub fn run(opts: &RuntimeOpts, a: JetsArgs) -> Result<(), Failure> {
    if let Some(f) = a.file {
        return Err(Failure::input(format!(
            "{}: listing matched jets needs the Sire loader, which is not available yet",
            f.display()
        )));
    }
    let rt = opts.runtime();
    let entries = rt.jets.entries();
    let natives = entries.iter().filter(|e| e.native.is_some()).count();
    for e in entries {
        let hashes: Vec<String> = e.hashes.iter().map(hash::base58).collect();
        let hashes = if hashes.is_empty() {
            "-".to_string()
        } else {
            hashes.join(",")
        };
        let kind = if e.native.is_some() { "native" } else { "plan" };
        println!("{:<24} {:<6} {}", e.name, kind, hashes);
    }
    println!(
        "; {} jets, {} with native code{}",
        entries.len(),
        natives,
        if rt.config.jets {
            ""
        } else {
            " (disabled by --no-jets)"
        }
    );
    Ok(())
}
