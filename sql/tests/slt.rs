//! Runs every `tests/slt/*.slt` file in-process, each against a fresh repository on a
//! `MemoryStore`, one session per file. Expected results come from PostgreSQL 15.
//!
//! The format (a subset of sqllogictest):
//!
//! ```text
//! # a comment
//! statement ok
//! CREATE TABLE t (id int PRIMARY KEY)
//!
//! statement error 23505
//! INSERT INTO t VALUES (1), (1)
//!
//! query IT rowsort
//! SELECT id, name FROM t
//! ----
//! 1 a
//! ```
//!
//! A record's SQL runs until a blank line (or `----`). `statement error` names the SQLSTATE
//! expected. `query` takes one type letter per column (checked as a column count) and
//! optionally `rowsort`; its rows are values joined by single spaces, as
//! `psql -X -A -t -F ' ' -P null=NULL` prints them, NULL as `NULL`.

use std::path::Path;
use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_sql::types::to_pg_text;
use vdb_sql::{Session, StatementResult};

/// One record of a script.
#[derive(Debug)]
enum Record {
    Statement {
        line: usize,
        sql: String,
        error: Option<String>,
    },
    Query {
        line: usize,
        sql: String,
        types: String,
        rowsort: bool,
        expected: Vec<String>,
    },
}

fn parse_script(text: &str) -> Vec<Record> {
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let header = lines[i].trim();
        let line = i + 1;
        i += 1;
        if header.is_empty() || header.starts_with('#') {
            continue;
        }
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].trim() != "----" {
            sql.push(lines[i]);
            i += 1;
        }
        let sql = sql.join("\n");
        let words: Vec<&str> = header.split_whitespace().collect();
        match words.as_slice() {
            ["statement", "ok"] => records.push(Record::Statement {
                line,
                sql,
                error: None,
            }),
            ["statement", "error", state] => {
                records.push(Record::Statement {
                    line,
                    sql,
                    error: Some((*state).to_string()),
                });
            }
            ["query", types, rest @ ..] => {
                let mut expected = Vec::new();
                if i < lines.len() && lines[i].trim() == "----" {
                    i += 1;
                    while i < lines.len() && !lines[i].trim().is_empty() {
                        expected.push(lines[i].trim_end().to_string());
                        i += 1;
                    }
                }
                let rowsort = rest.contains(&"rowsort");
                records.push(Record::Query {
                    line,
                    sql,
                    types: (*types).to_string(),
                    rowsort,
                    expected,
                });
            }
            _ => panic!("line {line}: unknown record header {header:?}"),
        }
    }
    records
}

fn new_session() -> Session {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("slt", "slt@example.invalid", 0);
    let repo = Repository::init(store, "main", &signature).expect("init repository");
    Session::new(Arc::new(repo), "main")
}

fn render(rows: &[Vec<vdb_sql::engine::value::Value>]) -> Vec<String> {
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .map(|v| to_pg_text(v).unwrap_or_else(|| "NULL".into()))
                .collect();
            cells.join(" ").trim_end().to_string()
        })
        .collect()
}

/// Runs one script; returns its failures.
fn run_script(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read script");
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let mut session = new_session();
    let mut failures = Vec::new();
    for record in parse_script(&text) {
        match record {
            Record::Statement { line, sql, error } => match (session.execute(&sql), error) {
                (Ok(_), None) => {}
                (Ok(_), Some(state)) => failures.push(format!(
                    "{name}:{line}: expected error {state}, got success\n  {sql}"
                )),
                (Err(e), None) => failures.push(format!(
                    "{name}:{line}: unexpected error {} {e}\n  {sql}",
                    e.sqlstate()
                )),
                (Err(e), Some(state)) if e.sqlstate() != state => {
                    failures.push(format!(
                        "{name}:{line}: expected error {state}, got {} {e}\n  {sql}",
                        e.sqlstate()
                    ));
                }
                (Err(_), Some(_)) => {}
            },
            Record::Query {
                line,
                sql,
                types,
                rowsort,
                expected,
            } => {
                let result = match session.execute(&sql) {
                    Ok(mut results) => results.pop(),
                    Err(e) => {
                        failures.push(format!(
                            "{name}:{line}: query failed: {} {e}\n  {sql}",
                            e.sqlstate()
                        ));
                        continue;
                    }
                };
                let Some(StatementResult::Rows { columns, rows, .. }) = result else {
                    failures.push(format!(
                        "{name}:{line}: query returned no rows result\n  {sql}"
                    ));
                    continue;
                };
                if columns.len() != types.len() {
                    failures.push(format!(
                        "{name}:{line}: expected {} columns, got {}\n  {sql}",
                        types.len(),
                        columns.len()
                    ));
                }
                let mut actual = render(&rows);
                let mut expected = expected;
                if rowsort {
                    actual.sort();
                    expected.sort();
                }
                if actual != expected {
                    failures.push(format!(
                        "{name}:{line}: wrong rows\n  {sql}\n  expected:\n    {}\n  actual:\n    {}",
                        expected.join("\n    "),
                        actual.join("\n    ")
                    ));
                }
            }
        }
    }
    failures
}

#[test]
fn slt_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        // SLT_FILTER=name runs only the files whose name contains `name`.
        .filter(|p| std::env::var("SLT_FILTER").map_or(true, |f| p.to_string_lossy().contains(&f)))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no .slt files in {}", dir.display());
    let failures: Vec<String> = paths.iter().flat_map(|p| run_script(p)).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
