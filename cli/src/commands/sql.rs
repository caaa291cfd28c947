//! `vdb sql`: runs SQL against the current branch's working set through a `vdb_sql::Session`,
//! from `-q TEXT`, `-f FILE`, standard input (when it is not a terminal) or an interactive
//! shell.
//!
//! Every input goes through one path: the text is cut into statements by
//! [`crate::statements::Splitter`], each statement runs in the session in turn, and its result
//! is printed by [`crate::results::render`]. As in psql, a script stops at its first error
//! (printed as `ERROR:  message` on stderr, exit status 1), while the shell reports the error
//! and reads on (`shell.rs`, tested over a scripted line source). Statements autocommit into
//! the working set unless inside `BEGIN` ... `COMMIT`; a block still open when the input ends
//! is rolled back, as when psql disconnects.

mod shell;

use crate::context::{Context, Reported, Result, VDB_DIR};
use crate::results::{render, ResultFormat};
use crate::statements::Splitter;
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
    /// Run the SQL TEXT (one or more statements) and exit (`-c`, as in psql, works too).
    #[arg(
        short = 'q',
        long = "query",
        visible_short_alias = 'c',
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
    let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
    let mut printer = Printer {
        out: &mut stdout.lock(),
        err: &mut stderr.lock(),
        format,
    };
    for statement in &statements {
        if !printer.run(session, statement)? {
            return Err(Reported.into());
        }
    }
    Ok(())
}

/// Where statements' results and errors go.
pub struct Printer<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub format: ResultFormat,
}

impl std::fmt::Debug for Printer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Printer<'_> {
    /// Runs one statement and prints its notices, then its results or its error, as psql
    /// does; returns whether it succeeded. Only failures to print are errors.
    pub fn run(&mut self, session: &mut Session, statement: &str) -> Result<bool> {
        let outcome = session.execute(statement);
        // NOTICEs and WARNINGs go to stderr as psql prints them, before the result.
        let notices = session.take_notices();
        if !notices.is_empty() {
            self.out.flush()?;
            for notice in notices {
                writeln!(self.err, "{notice}")?;
            }
            self.err.flush()?;
        }
        match outcome {
            Ok(results) => {
                for result in &results {
                    self.out
                        .write_all(render(result, self.format)?.as_bytes())?;
                }
                self.out.flush()?;
                Ok(true)
            }
            Err(e) => {
                self.out.flush()?;
                self.err.write_all(error_text(&e, statement).as_bytes())?;
                self.err.flush()?;
                Ok(false)
            }
        }
    }
}

/// An error as psql prints it: `ERROR:  message`, and for a syntax error with a position the
/// line it is on and a caret under it (`LINE 2: SELEC 1` / `        ^`).
fn error_text(error: &vdb_sql::Error, statement: &str) -> String {
    let mut text = format!("ERROR:  {error}\n");
    if let vdb_sql::Error::Syntax {
        position: Some(position),
        ..
    } = error
    {
        // `position` counts characters from 1; it may point just past the end (at EOF).
        let before: String = statement.chars().take(position.saturating_sub(1)).collect();
        let line_number = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count();
        let line = statement.lines().nth(line_number - 1).unwrap_or("");
        let prefix = format!("LINE {line_number}: ");
        text.push_str(&format!("{prefix}{line}\n"));
        text.push_str(&format!("{}^\n", " ".repeat(prefix.len() + column)));
    }
    text
}

/// The interactive shell over the terminal, with rustyline's line editing and history kept
/// in `.vdb/sql_history`.
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
    let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
    let mut printer = Printer {
        out: &mut stdout.lock(),
        err: &mut stderr.lock(),
        format,
    };
    shell::run(&mut editor, session, &ctx.branch, &mut printer)?;
    editor
        .save_history(&history)
        .map_err(|e| format!("cannot write {}: {e}", history.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_their_line_and_column() {
        let error = vdb_sql::Error::Syntax {
            message: "syntax error at or near \"SELEC\"".into(),
            position: Some(11),
        };
        assert_eq!(
            error_text(&error, "SELECT 1,\nSELEC 2"),
            "ERROR:  syntax error at or near \"SELEC\"\nLINE 2: SELEC 2\n        ^\n"
        );
    }
}
