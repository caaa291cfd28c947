//! The `vdb` command line. `main` parses arguments with clap and dispatches; each subcommand
//! lives in its own file under `commands/`. Commands other than `init`, `demo` and `fsck` find
//! the repository from the current directory upwards (or from `-C DIR`), see `context.rs`.
#![forbid(unsafe_code)]

mod commands;
mod config;
mod context;
mod progress;
mod render;
mod results;
mod statements;

use clap::{Parser, Subcommand};

/// Many small, short-lived allocations (rows, values, tree nodes): see the workspace manifest.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use commands::*;
use std::path::PathBuf;
use std::process::ExitCode;

/// vdb: a git-like versioned SQL database.
#[derive(Debug, Parser)]
#[command(
    name = "vdb",
    version,
    about = "vdb: a git-like versioned SQL database",
    after_help = "Example: vdb init && vdb table import --create --pk id people people.csv\nEvery command: docs/cli.md, or vdb COMMAND --help."
)]
struct Cli {
    /// Run as if vdb was started in DIR: the repository is looked for from DIR upwards.
    #[arg(short = 'C', long = "data-dir", value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::Args),
    Config(commands::config::Args),
    Table(table::Args),
    Status(status::Args),
    Add(add::Args),
    Commit(commit::Args),
    Log(log::Args),
    Show(show::Args),
    Reflog(reflog::Args),
    Blame(blame::Args),
    Diff(diff::Args),
    Branch(branch::Args),
    Checkout(checkout::Args),
    Tag(tag::Args),
    Reset(reset::Args),
    Stash(stash::Args),
    Clean(clean::Args),
    Merge(merge::Args),
    Conflicts(conflicts::Args),
    Constraints(constraints::Args),
    Sql(sql::Args),
    Revert(revert::Args),
    CherryPick(cherry_pick::Args),
    Demo(demo::Args),
    Fsck(fsck::Args),
    Gc(gc::Args),
    Serve(serve::Args),
    Remote(remote::Args),
    Clone(clone::Args),
    Fetch(fetch::Args),
    Pull(pull::Args),
    Push(push::Args),
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let dir = cli.dir.as_deref();
    let result = match &cli.command {
        Command::Init(args) => init::run(args, dir),
        Command::Config(args) => commands::config::run(args, dir),
        Command::Table(args) => table::run(args, dir),
        Command::Status(args) => status::run(args, dir),
        Command::Add(args) => add::run(args, dir),
        Command::Commit(args) => commit::run(args, dir),
        Command::Log(args) => log::run(args, dir),
        Command::Show(args) => show::run(args, dir),
        Command::Reflog(args) => reflog::run(args, dir),
        Command::Blame(args) => blame::run(args, dir),
        Command::Diff(args) => diff::run(args, dir),
        Command::Branch(args) => branch::run(args, dir),
        Command::Checkout(args) => checkout::run(args, dir),
        Command::Tag(args) => tag::run(args, dir),
        Command::Reset(args) => reset::run(args, dir),
        Command::Stash(args) => stash::run(args, dir),
        Command::Clean(args) => clean::run(args, dir),
        Command::Merge(args) => merge::run(args, dir),
        Command::Conflicts(args) => conflicts::run(args, dir),
        Command::Constraints(args) => constraints::run(args, dir),
        Command::Sql(args) => sql::run(args, dir),
        Command::Revert(args) => revert::run(args, dir),
        Command::CherryPick(args) => cherry_pick::run(args, dir),
        Command::Demo(args) => demo::run(args),
        Command::Fsck(args) => fsck::run(args, dir),
        Command::Gc(args) => gc::run(args, dir),
        Command::Serve(args) => serve::run(args, dir),
        Command::Remote(args) => remote::run(args, dir),
        Command::Clone(args) => clone::run(args, dir),
        Command::Fetch(args) => fetch::run(args, dir),
        Command::Pull(args) => pull::run(args, dir),
        Command::Push(args) => push::run(args, dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<context::Reported>() => ExitCode::FAILURE,
        // Output written with `write!` (not `println!`) reports a closed stdout as an error:
        // exit quietly as below.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::from(141)
        }
        Err(e) => {
            eprintln!("vdb: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Exits quietly, as git does on SIGPIPE (status 141), when stdout is closed early, as in
/// `vdb log | head`; Rust's `println!` would otherwise panic with a backtrace.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
