//! The interactive loop of `vdb sql`: reads lines from a [`LineSource`] until a statement is
//! complete, runs it, and goes on after errors, as psql does.
//!
//! The prompt is `vdb:BRANCH> ` at the start of a statement and `vdb:BRANCH-> ` while one is
//! incomplete; a `*` before the `>` says a transaction block is open (psql's `=*>`). A line
//! starting with `\` at the start of a statement is a shell command: only `\q` (quit) exists.
//! Ctrl-C drops the statement being typed; Ctrl-D (end of input) quits. History keeps each
//! statement whole (its lines joined), as psql does. The terminal's line source is rustyline's
//! editor; the tests use a scripted list of lines.

use super::Printer;
use crate::context::Result;
use crate::fail;
use crate::statements::Splitter;
use rustyline::error::ReadlineError;
use rustyline::history::History;
use vdb_sql::Session;

/// What the user typed in answer to a prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C.
    Interrupted,
    /// Ctrl-D or the end of the input.
    End,
}

/// Lines typed at prompts.
pub trait LineSource {
    /// Shows `prompt` and reads one line.
    fn read(&mut self, prompt: &str) -> Result<Line>;
    /// Records a line in the history.
    fn remember(&mut self, line: &str);
}

impl<H: History> LineSource for rustyline::Editor<(), H> {
    fn read(&mut self, prompt: &str) -> Result<Line> {
        match self.readline(prompt) {
            Ok(line) => Ok(Line::Text(line)),
            Err(ReadlineError::Interrupted) => Ok(Line::Interrupted),
            Err(ReadlineError::Eof) => Ok(Line::End),
            Err(e) => fail!("cannot read the next line: {e}"),
        }
    }

    fn remember(&mut self, line: &str) {
        // Failing to record history must not stop the shell.
        let _ = self.add_history_entry(line);
    }
}

/// Runs the shell until `\q` or the end of input.
pub fn run(
    input: &mut dyn LineSource,
    session: &mut Session,
    branch: &str,
    printer: &mut Printer<'_>,
) -> Result<()> {
    let mut splitter = Splitter::new();
    // The lines of the statement being typed: history keeps each statement whole, as psql's.
    let mut typed: Vec<String> = Vec::new();
    loop {
        let open = if session.in_transaction() { "*" } else { "" };
        let prompt = if splitter.is_empty() {
            format!("vdb:{branch}{open}> ")
        } else {
            format!("vdb:{branch}{open}-> ")
        };
        let line = match input.read(&prompt)? {
            Line::Text(line) => line,
            Line::Interrupted => {
                splitter.finish();
                typed.clear();
                continue;
            }
            Line::End => return Ok(()),
        };
        if splitter.is_empty() {
            if let Some(command) = line.trim().strip_prefix('\\') {
                input.remember(line.trim());
                match command.trim() {
                    "q" => return Ok(()),
                    other => writeln!(printer.err, "invalid command \\{other}; \\q quits")?,
                }
                continue;
            }
        }
        if !line.trim().is_empty() || !typed.is_empty() {
            typed.push(line.clone());
        }
        for statement in splitter.push(&line) {
            printer.run(session, &statement)?;
        }
        splitter.push("\n");
        if splitter.is_empty() && !typed.is_empty() {
            input.remember(&typed.join("\n"));
            typed.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::ResultFormat;
    use std::sync::Arc;
    use vdb_engine::repo::{Repository, Signature};
    use vdb_engine::store::MemoryStore;

    /// A line source for tests: the given lines, then the end of input; it keeps the prompts
    /// shown and the lines remembered.
    #[derive(Debug, Default)]
    struct Scripted {
        lines: std::collections::VecDeque<Line>,
        prompts: Vec<String>,
        remembered: Vec<String>,
    }

    impl LineSource for Scripted {
        fn read(&mut self, prompt: &str) -> Result<Line> {
            self.prompts.push(prompt.to_string());
            Ok(self.lines.pop_front().unwrap_or(Line::End))
        }

        fn remember(&mut self, line: &str) {
            self.remembered.push(line.to_string());
        }
    }

    /// What a shell run showed: prompts, stdout, stderr, and the history it kept.
    type Run = (Vec<String>, String, String, Vec<String>);

    /// Runs the shell over `lines` on a fresh in-memory repository.
    fn session(lines: Vec<Line>) -> Run {
        let repo = Repository::init(
            Arc::new(MemoryStore::new()),
            "main",
            &Signature::now("t", "t@example.com"),
        )
        .unwrap();
        let mut session = Session::new(Arc::new(repo), "main");
        let mut input = Scripted {
            lines: lines.into(),
            ..Scripted::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut printer = Printer {
            out: &mut out,
            err: &mut err,
            format: ResultFormat::Aligned,
        };
        run(&mut input, &mut session, "main", &mut printer).unwrap();
        (
            input.prompts,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            input.remembered,
        )
    }

    fn text(line: &str) -> Line {
        Line::Text(line.to_string())
    }

    #[test]
    fn statements_span_lines_and_errors_do_not_stop_the_shell() {
        let (prompts, out, err, history) = session(vec![
            text("CREATE TABLE t (id int PRIMARY KEY,"),
            text("  name text);"),
            text("SELECT * FROM nope;"),
            text("INSERT INTO t VALUES (1, 'a'); SELECT name"),
            text("FROM t;"),
            text("\\q"),
            text("SELECT 'never run';"),
        ]);
        assert_eq!(
            prompts,
            [
                "vdb:main> ",
                "vdb:main-> ",
                "vdb:main> ",
                "vdb:main> ",
                "vdb:main-> ",
                "vdb:main> "
            ]
        );
        assert_eq!(
            out,
            "CREATE TABLE\nINSERT 0 1\n name \n------\n a\n(1 row)\n\n"
        );
        assert_eq!(err, "ERROR:  relation \"nope\" does not exist\n");
        // History keeps whole statements, however many lines they took.
        assert_eq!(
            history,
            [
                "CREATE TABLE t (id int PRIMARY KEY,\n  name text);",
                "SELECT * FROM nope;",
                "INSERT INTO t VALUES (1, 'a'); SELECT name\nFROM t;",
                "\\q"
            ]
        );
    }

    #[test]
    fn interrupt_drops_the_statement_and_the_prompt_shows_a_transaction() {
        let (prompts, out, err, history) = session(vec![
            text("SELECT 'dropped"),
            Line::Interrupted,
            text("BEGIN;"),
            text("\\x"),
            text("ROLLBACK;"),
        ]);
        assert_eq!(
            prompts,
            [
                "vdb:main> ",
                "vdb:main-> ",
                "vdb:main> ",
                "vdb:main*> ",
                "vdb:main*> ",
                "vdb:main> "
            ]
        );
        assert_eq!(out, "BEGIN\nROLLBACK\n");
        assert_eq!(err, "invalid command \\x; \\q quits\n");
        assert_eq!(history, ["BEGIN;", "\\x", "ROLLBACK;"]);
    }
}
