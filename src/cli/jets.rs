//! `pallas jets`: the jet table (name, accepted hashes, whether a native exists), and, for a
//! Sire file, which jets matched while loading it.

use std::path::PathBuf;

use clap::Args;
use pallas_runtime::hash;

use super::{Failure, RuntimeOpts};

/// Shown at the end of `--help`.
const JETS_EXAMPLES: &str = "\
Examples:
  # the jet table
  pallas jets
  # which jet-named pins matched while loading the file
  pallas jets sire/tab.sire";

/// Arguments of `pallas jets`.
#[derive(Args, Debug)]
#[command(after_help = JETS_EXAMPLES)]
pub struct JetsArgs {
    /// A .sire file: list the jets matched (or mismatched) while loading it.
    pub file: Option<PathBuf>,
}

/// Runs `pallas jets`.
pub fn run(opts: &RuntimeOpts, a: JetsArgs) -> Result<(), Failure> {
    if let Some(f) = a.file {
        return matched_in(opts, &f);
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

/// Loads a Sire file and lists every pin that had a jet's name: matched (with or without
/// native code) or not matched (a hash the table does not accept).
fn matched_in(opts: &RuntimeOpts, file: &std::path::Path) -> Result<(), Failure> {
    let mut rt = opts.runtime();
    rt.config.jet_mismatch = pallas_runtime::JetMismatch::Ignore;
    let _scope = super::load_sire_quietly(opts, &mut rt, file)?;
    let mut seen = std::collections::BTreeMap::new();
    for e in &rt.jets.events {
        seen.entry((e.name.clone(), e.hash)).or_insert(e.matched);
    }
    let (mut matched, mut native) = (0, 0);
    for ((name, h), ok) in &seen {
        let has_native = rt
            .jets
            .lookup(name)
            .is_some_and(|j| rt.jets.entry(j).native.is_some());
        let status = match (ok, has_native) {
            (true, true) => "matched, native",
            (true, false) => "matched, plan",
            (false, _) => "NOT MATCHED",
        };
        if *ok {
            matched += 1;
            if has_native {
                native += 1;
            }
        }
        println!("{name:<24} {status:<16} {}", hash::base58(h));
    }
    println!(
        "; {} jet-named pins while loading {}: {matched} matched ({native} run natively), {} not matched",
        seen.len(),
        file.display(),
        seen.len() - matched
    );
    Ok(())
}
