//! `vdb-bench-embedded`: runs the benchmark's workloads on vdb in-process, through
//! `vdb_sql::Session` for SQL and `vdb_engine::repo::Repository` for version control, so the
//! figures measure the engine and not process start-up or a socket.
//!
//! `bench/bench.py` starts one process per (size, round) and talks to it over stdin/stdout:
//! one JSON object per line each way. A request is `{"op": NAME, ...}`; the answer is a JSON
//! object, with `"s"` (seconds, `Instant` around the operation only) for timed operations, or
//! `{"error": TEXT}`. Preparation (reading the CSV, formatting SQL text) happens before the
//! clock starts. Requests:
//!
//! - `open {dir}`: a fresh repository (a `DiskStore`, fsync on flush) in the empty `dir`.
//! - `load {csv, batch}`: `BEGIN`, `CREATE TABLE labels ...`, `COPY labels FROM STDIN (FORMAT
//!   csv)` with the file's bytes (one COPY per `batch` lines when `batch` > 0), `COMMIT`, stage
//!   all, commit. Answers `s`, `copy_s`, `commit_s`, `commit`.
//! - `point_select {ids}`: `SELECT ... WHERE id = N` per id; answers `lat` (seconds per call).
//! - `update_commit {updates, msg, branch}`: `BEGIN`, one `UPDATE labels ... WHERE id = N`
//!   per update in one `execute`, `COMMIT`, then stage and commit on `branch` (default main).
//!   Answers `s`, `update_s`, `commit_s`, `commit`.
//! - `head`, `branch {name}`, `drop_branch {name}`, `diff {from, to}` (counts row changes of
//!   `labels`), `merge {branch}` (three-way into main, must make a merge commit), `scan`
//!   (the GROUP BY), `count_matching {updates}` (untimed check), `quit`.

use serde_json::{json, Map, Value as Json};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use vdb_engine::repo::{CommitOptions, MergeOptions, MergeOutcome, Repository, Signature};
use vdb_engine::store::{DiskStore, DiskStoreOptions};
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};

const DDL: &str =
    "CREATE TABLE labels (id bigint PRIMARY KEY, text text, label int, score double precision)";
const SCAN: &str = "SELECT label, count(*), avg(score) FROM labels GROUP BY label";

/// The allocator `vdb` itself uses, so that the runner measures what the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Res<T> = Result<T, String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

struct Runner {
    repo: Option<Arc<Repository>>,
}

fn signature() -> Signature {
    Signature::now("vdb bench", "bench@vdb.invalid")
}

fn str_arg<'a>(req: &'a Map<String, Json>, key: &str) -> Res<&'a str> {
    req.get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| format!("missing string field {key:?}"))
}

/// The `(id, label, score)` triples of a request.
fn updates(req: &Map<String, Json>) -> Res<Vec<(i64, i64, f64)>> {
    let list = req
        .get("updates")
        .and_then(Json::as_array)
        .ok_or("missing array field \"updates\"")?;
    let mut out = Vec::with_capacity(list.len());
    for u in list {
        let triple = match u.as_array().map(Vec::as_slice) {
            Some([id, label, score]) => (id.as_i64(), label.as_i64(), score.as_f64()),
            _ => (None, None, None),
        };
        match triple {
            (Some(id), Some(label), Some(score)) => out.push((id, label, score)),
            _ => return Err(format!("bad update {u}")),
        }
    }
    Ok(out)
}

fn select(id: i64) -> String {
    format!("SELECT id, text, label, score FROM labels WHERE id = {id}")
}

fn rows(results: Vec<StatementResult>) -> Res<Vec<Vec<Value>>> {
    match results.into_iter().last() {
        Some(StatementResult::Rows { rows, .. }) => Ok(rows),
        other => Err(format!("expected rows, got {other:?}")),
    }
}

/// `data` cut after every `batch` lines (all of it in one piece when `batch` is 0).
fn csv_chunks(data: &[u8], batch: u64) -> Vec<&[u8]> {
    if batch == 0 {
        return vec![data];
    }
    let mut chunks = Vec::new();
    let (mut start, mut lines) = (0, 0);
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            lines += 1;
            if lines == batch {
                chunks.push(&data[start..=i]);
                (start, lines) = (i + 1, 0);
            }
        }
    }
    if start < data.len() {
        chunks.push(&data[start..]);
    }
    chunks
}

impl Runner {
    fn repo(&self) -> Res<Arc<Repository>> {
        self.repo
            .clone()
            .ok_or_else(|| "no repository: send open first".into())
    }

    fn session(&self, branch: &str) -> Res<Session> {
        Ok(Session::new(self.repo()?, branch))
    }

    fn commit(&self, branch: &str, msg: &str) -> Res<String> {
        let repo = self.repo()?;
        repo.stage(branch, None).map_err(err)?;
        let opts = CommitOptions::new(msg, signature());
        Ok(repo.commit(branch, &opts).map_err(err)?.to_hex())
    }

    fn handle(&mut self, req: &Map<String, Json>) -> Res<Json> {
        match str_arg(req, "op")? {
            "open" => {
                let dir = Path::new(str_arg(req, "dir")?).join("store");
                std::fs::create_dir_all(&dir).map_err(err)?;
                let store = DiskStore::open(&dir, DiskStoreOptions::default()).map_err(err)?;
                let repo = Repository::init(Arc::new(store), "main", &signature()).map_err(err)?;
                self.repo = Some(Arc::new(repo));
                Ok(json!({}))
            }
            "load" => {
                let data = std::fs::read(str_arg(req, "csv")?).map_err(err)?;
                let batch = req.get("batch").and_then(Json::as_u64).unwrap_or(0);
                let chunks = csv_chunks(&data, batch);
                let mut session = self.session("main")?;
                let t0 = Instant::now();
                session.execute("BEGIN").map_err(err)?;
                session.execute(DDL).map_err(err)?;
                for chunk in chunks {
                    let copy = match session
                        .execute("COPY labels FROM STDIN (FORMAT csv)")
                        .map_err(err)?
                        .pop()
                    {
                        Some(StatementResult::CopyIn(copy)) => copy,
                        other => return Err(format!("COPY did not ask for data: {other:?}")),
                    };
                    session.copy_in(&copy, chunk).map_err(err)?;
                }
                session.execute("COMMIT").map_err(err)?;
                let t1 = Instant::now();
                let commit = self.commit("main", "W1 load")?;
                let t2 = Instant::now();
                Ok(json!({
                    "s": (t2 - t0).as_secs_f64(),
                    "copy_s": (t1 - t0).as_secs_f64(),
                    "commit_s": (t2 - t1).as_secs_f64(),
                    "commit": commit,
                }))
            }
            "point_select" => {
                let ids = req
                    .get("ids")
                    .and_then(Json::as_array)
                    .ok_or("missing array field \"ids\"")?;
                let texts: Vec<String> = ids
                    .iter()
                    .map(|id| id.as_i64().map(select).ok_or(format!("bad id {id}")))
                    .collect::<Res<_>>()?;
                let mut session = self.session("main")?;
                let mut lat = Vec::with_capacity(texts.len());
                let mut found = 0usize;
                for text in &texts {
                    let t0 = Instant::now();
                    let r = session.execute(text).map_err(err)?;
                    lat.push(t0.elapsed().as_secs_f64());
                    found += rows(r)?.len();
                }
                Ok(json!({"lat": lat, "found": found}))
            }
            "update_commit" => {
                let branch = req.get("branch").and_then(Json::as_str).unwrap_or("main");
                let msg = req.get("msg").and_then(Json::as_str).unwrap_or("update");
                let sql: Vec<String> = updates(req)?
                    .iter()
                    .map(|(id, label, score)| {
                        format!(
                            "UPDATE labels SET label = {label}, score = {score:?} WHERE id = {id}"
                        )
                    })
                    .collect();
                let sql = sql.join("; ");
                let mut session = self.session(branch)?;
                let t0 = Instant::now();
                session.execute("BEGIN").map_err(err)?;
                session.execute(&sql).map_err(err)?;
                session.execute("COMMIT").map_err(err)?;
                let t1 = Instant::now();
                let commit = self.commit(branch, msg)?;
                let t2 = Instant::now();
                Ok(json!({
                    "s": (t2 - t0).as_secs_f64(),
                    "update_s": (t1 - t0).as_secs_f64(),
                    "commit_s": (t2 - t1).as_secs_f64(),
                    "commit": commit,
                }))
            }
            "head" => {
                let head = self.repo()?.branch_head("main").map_err(err)?;
                Ok(json!({"commit": head.to_hex()}))
            }
            "branch" => {
                let name = str_arg(req, "name")?;
                let repo = self.repo()?;
                let t0 = Instant::now();
                repo.branch_create(name, "main", false).map_err(err)?;
                Ok(json!({"s": t0.elapsed().as_secs_f64()}))
            }
            "drop_branch" => {
                self.repo()?
                    .branch_delete(str_arg(req, "name")?, true)
                    .map_err(err)?;
                Ok(json!({}))
            }
            "diff" => {
                let (from, to) = (str_arg(req, "from")?, str_arg(req, "to")?);
                let repo = self.repo()?;
                let t0 = Instant::now();
                let mut n = 0u64;
                for table in repo.diff(from, to).map_err(err)? {
                    if table.name == "labels" {
                        for change in table.rows(repo.node_store()).map_err(err)? {
                            change.map_err(err)?;
                            n += 1;
                        }
                    }
                }
                Ok(json!({"s": t0.elapsed().as_secs_f64(), "rows": n}))
            }
            "merge" => {
                let branch = str_arg(req, "branch")?;
                let repo = self.repo()?;
                let opts = MergeOptions::new(signature());
                let t0 = Instant::now();
                let outcome = repo.merge("main", branch, &opts).map_err(err)?;
                let s = t0.elapsed().as_secs_f64();
                match outcome {
                    MergeOutcome::Merged { commit } => {
                        Ok(json!({"s": s, "commit": commit.to_hex()}))
                    }
                    other => Err(format!("merge did not make a merge commit: {other:?}")),
                }
            }
            "scan" => {
                let mut session = self.session("main")?;
                let t0 = Instant::now();
                let r = rows(session.execute(SCAN).map_err(err)?)?;
                Ok(json!({"s": t0.elapsed().as_secs_f64(), "rows": r.len()}))
            }
            "count_matching" => {
                let branch = req.get("branch").and_then(Json::as_str).unwrap_or("main");
                let mut session = self.session(branch)?;
                let mut n = 0u64;
                for (id, label, score) in updates(req)? {
                    let found = rows(session.execute(&select(id)).map_err(err)?)?;
                    if let Some([_, _, Value::Int4(l), Value::Float8(s)]) =
                        found.first().map(Vec::as_slice)
                    {
                        n += u64::from(i64::from(*l) == label && *s == score);
                    }
                }
                Ok(json!({"n": n}))
            }
            other => Err(format!("unknown op {other:?}")),
        }
    }
}

fn main() {
    let mut runner = Runner { repo: None };
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let answer = match serde_json::from_str::<Json>(&line) {
            Ok(Json::Object(req)) if req.get("op").and_then(Json::as_str) == Some("quit") => break,
            Ok(Json::Object(req)) => runner
                .handle(&req)
                .unwrap_or_else(|e| json!({ "error": e })),
            _ => json!({"error": format!("not a JSON object: {line}")}),
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::csv_chunks;

    #[test]
    fn chunks_cut_after_every_batch_lines_and_keep_every_byte() {
        let data = b"1,a\n2,b\n3,c\n4,d\n5,e";
        assert_eq!(csv_chunks(data, 0), vec![&data[..]]);
        let two = csv_chunks(data, 2);
        assert_eq!(two, vec![&b"1,a\n2,b\n"[..], b"3,c\n4,d\n", b"5,e"]);
        assert_eq!(two.concat(), data);
        assert_eq!(csv_chunks(b"1,a\n2,b\n", 2), vec![&b"1,a\n2,b\n"[..]]);
        assert_eq!(csv_chunks(b"", 3), Vec::<&[u8]>::new());
    }
}
