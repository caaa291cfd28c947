//! Every distinct statement psql 15, SQLAlchemy 2 (psycopg2 / psycopg 3) and pandas sent to a
//! real PostgreSQL 15 (captured in `tests/clients/*.txt`, from the client research), run against
//! a session holding the research's schema. The statements that succeed are listed in
//! `tests/clients/passing.txt`; a statement on that list that fails is a regression. Run with
//! `VDB_BLESS=1` to rewrite the list after making more statements work.
//!
//! Statements with `$n` parameters are bound by the wire layer and are skipped here, as are the
//! ones only the wire layer handles (COPY, cursors).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_sql::Session;

/// The schema the research captured its statements against (psql's setup, as far as vdb's DDL
/// goes), plus the tables SQLAlchemy and pandas created.
const SCHEMA: &str = "
create table labels(id int primary key, text text not null, label text, score double precision, created_at timestamp);
create table label_votes(id int primary key, label_id int not null, voter text);
create table sa_items (id int NOT NULL, name VARCHAR(50) NOT NULL, score FLOAT, created_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id));
create table sa_children (id int NOT NULL, item_id INTEGER NOT NULL, note VARCHAR(100), PRIMARY KEY (id));
create table pd_frame (id BIGINT, name TEXT, score FLOAT(53), flag BOOLEAN, ts TIMESTAMP WITHOUT TIME ZONE);
create table pd_frame_multi (index BIGINT, id BIGINT, name TEXT, score FLOAT(53), flag BOOLEAN, ts TIMESTAMP WITHOUT TIME ZONE);
create table t_raw (a int, b text);
insert into labels(id, text, label, score) values (1,'hello','greet',0.9),(2,'bye','farewell',0.1),(3,'meh',null,null);
";

/// (file, statement) for every distinct statement of the capture files, in file order.
fn statements() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/clients")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("distinct_"))
        })
        .collect();
    files.sort();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut current: Option<String> = None;
        let mut flush = |current: &mut Option<String>| {
            if let Some(sql) = current.take() {
                let sql = sql.trim().to_string();
                if !sql.is_empty() && seen.insert(sql.clone()) {
                    out.push((name.clone(), sql));
                }
            }
        };
        for line in text.lines() {
            if line.starts_with("--- #") {
                flush(&mut current);
                current = Some(String::new());
            } else if let Some(sql) = &mut current {
                sql.push_str(line);
                sql.push('\n');
            }
        }
        flush(&mut current);
    }
    out
}

/// Whether vdb's SQL layer is expected to take the statement at all.
fn in_scope(sql: &str) -> bool {
    let lower = sql.to_lowercase();
    !(sql.contains("$1")
        || lower.starts_with("copy")
        || lower.starts_with("declare")
        || lower.starts_with("fetch")
        || lower.starts_with("close")
        || lower.contains("pg_sleep"))
}

fn session() -> Session {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Repository::init(store, "main", &signature).expect("init repository");
    let mut session = Session::new(Arc::new(repo), "main");
    session.execute(SCHEMA).expect("schema");
    session
}

/// A short, stable key of a statement for the passing list.
fn key(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let hash = blake3::hash(one_line.as_bytes()).to_hex();
    format!(
        "{} {}",
        &hash[..12],
        one_line.chars().take(80).collect::<String>()
    )
}

#[test]
fn client_statements() {
    let mut passing = BTreeSet::new();
    let mut failing = Vec::new();
    for (file, sql) in statements() {
        if !in_scope(&sql) {
            continue;
        }
        // Each statement runs on a fresh session so that one failure cannot hide another.
        // Inside a block, as the clients send them (savepoints need one).
        let mut s = session();
        s.execute("BEGIN").expect("BEGIN");
        match s.execute(&sql) {
            Ok(_) => {
                passing.insert(key(&sql));
            }
            Err(e) => failing.push(format!("{file}: {} => {e}", key(&sql))),
        }
    }
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/passing.txt");
    if std::env::var_os("VDB_BLESS").is_some() {
        let text: String = passing.iter().map(|k| format!("{k}\n")).collect();
        std::fs::write(&list, text).expect("write passing list");
        for f in &failing {
            eprintln!("FAIL {f}");
        }
        return;
    }
    let expected = std::fs::read_to_string(&list).unwrap_or_default();
    let regressions: Vec<&str> = expected
        .lines()
        .filter(|k| !k.is_empty() && !passing.contains(*k))
        .collect();
    assert!(
        regressions.is_empty(),
        "statements that used to succeed now fail:\n{}\nfailures:\n{}",
        regressions.join("\n"),
        failing.join("\n")
    );
}
