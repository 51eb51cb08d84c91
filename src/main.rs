//! The `pallas` command line.
use clap::Parser;

#[global_allocator]
static GLOBAL: pallas::Allocator = pallas::Allocator;

fn main() {
    pallas::tune_allocator();
    let cli = pallas::cli::Cli::parse();
    if !cli.command.runs_a_machine() {
        pallas::cli::quiet_on_closed_pipe();
    }
    if let Err(f) = pallas::cli::run(cli) {
        eprintln!("pallas: {}", f.message);
        std::process::exit(f.status);
    }
}
