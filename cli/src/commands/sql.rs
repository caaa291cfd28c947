//! `vdb sql`: runs SQL against the current branch's working set through a `vdb_sql::Session`,
//! from `-q TEXT`, `-f FILE`, standard input (when it is not a terminal) or an interactive
//! shell.
//!
//! Every input goes through one path: the text is cut into statements by
//! [`crate::statements::Splitter`], each statement runs in the session in turn, and its result
//! is printed by [`crate::results::render`]. As in psql, a script stops at its first error
//! (printed as `ERROR:  message` on stderr, exit status 1), while the shell reports the error
//! and reads on. Statements autocommit into the working set unless inside `BEGIN` ... `COMMIT`;
//! a block still open when the input ends is rolled back, as when psql disconnects.

use crate::context::{Context, Reported, Result, VDB_DIR};
use crate::fail;
use crate::results::{render, ResultFormat};
use crate::statements::Splitter;
use rustyline::error::ReadlineError;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use vdb_sql::Session;

/// Run SQL on the current branch: `-q`, `-f`, standard input, or an interactive shell.
///
/// Results print as psql prints them (aligned tables, command tags such as `INSERT 0 1`), or as
/// CSV or JSON. A script stops at its first error (`ERROR:  message`, exit status 1). Changes
/// land in the working set: stage and commit them with `vdb add` and `vdb commit`. In the shell
/// a statement ends at `;`; `\q` or Ctrl-D quits; history is kept in `.vdb/sql_history`.
///
/// Example: `vdb sql -q "CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'a')"`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run the SQL TEXT (one or more statements) and exit.
    #[arg(
        short = 'q',
        long = "query",
        value_name = "TEXT",
        conflicts_with = "file"
    )]
    query: Option<String>,
    /// Run the SQL script in FILE and exit.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// How to print query results.
    #[arg(long, value_enum, default_value = "aligned")]
    format: ResultFormat,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let mut session = Session::new(ctx.repo.clone(), &ctx.branch);
    let script = if let Some(text) = &args.query {
        text.clone()
    } else if let Some(file) = &args.file {
        std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read SQL script {}: {e}", file.display()))?
    } else if !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read SQL from standard input: {e}"))?;
        text
    } else {
        return shell(&ctx, &mut session, args.format);
    };
    run_script(&mut session, &script, args.format)
}

/// Runs a whole script, stopping at the first failing statement.
fn run_script(session: &mut Session, script: &str, format: ResultFormat) -> Result<()> {
    let mut splitter = Splitter::new();
    let mut statements = splitter.push(script);
    statements.extend(splitter.finish());
    for statement in &statements {
        if !run_statement(session, statement, format)? {
            return Err(Reported.into());
        }
    }
    Ok(())
}

/// Runs one statement and prints its results, or its error as psql does; returns whether it
/// succeeded. Only failures to print are errors.
fn run_statement(session: &mut Session, statement: &str, format: ResultFormat) -> Result<bool> {
    match session.execute(statement) {
        Ok(results) => {
            let mut out = std::io::stdout().lock();
            for result in &results {
                out.write_all(render(result, format)?.as_bytes())?;
            }
            out.flush()?;
            Ok(true)
        }
        Err(e) => {
            std::io::stdout().flush()?;
            eprintln!("ERROR:  {e}");
            Ok(false)
        }
    }
}

/// The interactive shell: reads lines until a statement is complete, runs it, and goes on
/// after errors. History is loaded from and saved to `.vdb/sql_history`.
fn shell(ctx: &Context, session: &mut Session, format: ResultFormat) -> Result<()> {
    let history = ctx.top.join(VDB_DIR).join("sql_history");
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| format!("cannot start the interactive shell: {e}"))?;
    if history.exists() {
        editor
            .load_history(&history)
            .map_err(|e| format!("cannot read {}: {e}", history.display()))?;
    }
    println!(
        "vdb sql on branch {}; end statements with ;, \\q quits.",
        ctx.branch
    );
    let mut splitter = Splitter::new();
    loop {
        let prompt = if splitter.is_empty() {
            format!("vdb:{}> ", ctx.branch)
        } else {
            format!("vdb:{}-> ", ctx.branch)
        };
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            // Ctrl-C drops the statement being typed, as in psql.
            Err(ReadlineError::Interrupted) => {
                splitter.finish();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => fail!("cannot read the next line: {e}"),
        };
        if !line.trim().is_empty() {
            // Failing to record history must not stop the shell.
            let _ = editor.add_history_entry(line.as_str());
        }
        if splitter.is_empty() {
            if let Some(command) = line.trim().strip_prefix('\\') {
                match command.trim() {
                    "q" => break,
                    other => eprintln!("invalid command \\{other}; \\q quits"),
                }
                continue;
            }
        }
        for statement in splitter.push(&line) {
            run_statement(session, &statement, format)?;
        }
        splitter.push("\n");
    }
    editor
        .save_history(&history)
        .map_err(|e| format!("cannot write {}: {e}", history.display()))?;
    Ok(())
}
