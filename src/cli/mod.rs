//! The command line: one module per subcommand.

pub mod jets;
pub mod plan;

use clap::{Args, Parser, Subcommand};
use pallas_runtime::{Config, JetMismatch, Runtime};

/// pallas: PLAN, Sire and persistent cogs.
#[derive(Parser, Debug)]
#[command(name = "pallas", version, about)]
pub struct Cli {
    /// Runtime options shared by every command.
    #[command(flatten)]
    pub runtime: RuntimeOpts,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that configure the runtime.
#[derive(Args, Debug, Clone)]
pub struct RuntimeOpts {
    /// Run every law as PLAN code, ignoring native jets.
    #[arg(long, global = true)]
    pub no_jets: bool,
    /// Crash when a pin has a jet's name but not its hash (default: warn).
    #[arg(long, global = true)]
    pub jet_mismatch_crash: bool,
    /// Say nothing when a pin has a jet's name but not its hash.
    #[arg(long, global = true, conflicts_with = "jet_mismatch_crash")]
    pub jet_mismatch_ignore: bool,
}

impl RuntimeOpts {
    /// A runtime configured by these options.
    pub fn runtime(&self) -> Runtime {
        let jet_mismatch = if self.jet_mismatch_crash {
            JetMismatch::Crash
        } else if self.jet_mismatch_ignore {
            JetMismatch::Ignore
        } else {
            JetMismatch::Warn
        };
        Runtime::new(Config {
            jets: !self.no_jets,
            jet_mismatch,
            ..Config::default()
        })
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate a PLAN expression and print its normal form.
    Plan(plan::PlanArgs),
    /// List the jet table, or the jets matched while loading a file.
    Jets(jets::JetsArgs),
}

/// An error for the user: the message and the exit status.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, for a person.
    pub message: String,
    /// Process exit status (2 for bad input).
    pub status: i32,
}

impl Failure {
    /// Bad input from the user (exit status 2).
    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: 2,
        }
    }

    /// The program ran and crashed (exit status 1).
    pub fn crash(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: 1,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Plan(a) => plan::run(&cli.runtime, a),
        Command::Jets(a) => jets::run(&cli.runtime, a),
    }
}
