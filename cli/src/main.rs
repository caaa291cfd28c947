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
        Command::Sql(args) => on_statement_stack(|| sql::run(args, dir)),
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

/// Runs `f` on a thread with a connection thread's stack: statements recurse through their
/// expressions as deeply as the server allows (`vdb_sql::session::MAX_EXPRESSION_DEPTH`),
/// deeper than a main thread's 8 MiB holds.
fn on_statement_stack(f: impl FnOnce() -> context::Result<()> + Send) -> context::Result<()> {
    // What crosses back: the error's kind and text (the error itself need not be `Send`).
    enum Failure {
        Reported,
        Io(std::io::ErrorKind, String),
        Other(String),
    }
    let outcome = std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("vdb-sql".into())
            .stack_size(256 << 20)
            .spawn_scoped(scope, || {
                f().map_err(|e| {
                    if e.is::<context::Reported>() {
                        Failure::Reported
                    } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
                        Failure::Io(io.kind(), io.to_string())
                    } else {
                        Failure::Other(e.to_string())
                    }
                })
            })?;
        Ok::<_, std::io::Error>(
            thread
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    })?;
    outcome.map_err(|failure| match failure {
        Failure::Reported => Box::new(context::Reported) as Box<dyn std::error::Error>,
        Failure::Io(kind, text) => Box::new(std::io::Error::new(kind, text)),
        Failure::Other(text) => text.into(),
    })
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
