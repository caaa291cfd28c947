//! The `vdb` command line. `main` parses arguments with clap and dispatches; each subcommand
//! lives in its own file under `commands/`.
#![forbid(unsafe_code)]

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// vdb: a git-like versioned SQL database.
#[derive(Debug, Parser)]
#[command(name = "vdb", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(commands::demo::Args),
    Fsck(commands::fsck::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(&args),
        Command::Fsck(args) => commands::fsck::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vdb: {e}");
            ExitCode::FAILURE
        }
    }
}
