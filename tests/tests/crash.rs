//! Crash safety: a child process (`crash_child`) runs SQL transactions and version commits in a
//! loop, printing an acknowledgement once each is durable; this test kills it with SIGKILL at
//! random moments, and after every kill opens the repository, runs fsck, and checks that every
//! acknowledged transaction and commit is there with its exact data.
//!
//! `VDB_CRASH_KILLS` sets the number of kills (default 12, about 10 s; run hundreds locally),
//! `VDB_CRASH_SEED` the seed of the kill delays (printed, so a failure can be replayed).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use vdb_engine::repo::{is_ancestor, Commit, Repository};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::table::RootValue;
use vdb_engine::value::Value;
use vdb_engine::Hash;
use vdb_tests::crash::{expected_rows, store_dir, BRANCH};

const DEFAULT_KILLS: u64 = 12;
/// Kill delays are drawn from 0..MAX_DELAY_MS after the child starts (its start-up, including
/// the store's replay, takes part of that window, so some kills land inside replay).
const MAX_DELAY_MS: u64 = 300;

/// What the parent knows the child acknowledged, over all rounds.
#[derive(Debug, Default)]
struct Acked {
    ready: bool,
    steps: u64,
    commits: Vec<(u64, Hash)>,
}

#[test]
fn acknowledged_work_survives_sigkill() {
    let kills = env_u64("VDB_CRASH_KILLS", DEFAULT_KILLS);
    let seed = env_u64("VDB_CRASH_SEED", seed_from_clock());
    eprintln!("crash test: {kills} kills, VDB_CRASH_SEED={seed}");
    let mut rng = SplitMix(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Acked::default();
    let mut checked_commits = 0;
    for round in 0..kills {
        let delay = Duration::from_millis(rng.next() % MAX_DELAY_MS);
        let lines = run_and_kill(dir.path(), delay);
        record(&mut acked, &lines);
        check(dir.path(), &mut acked, checked_commits, round);
        checked_commits = acked.commits.len();
    }
    eprintln!(
        "crash test: {} steps and {} commits acknowledged, all present after {kills} kills",
        acked.steps,
        acked.commits.len()
    );
    assert!(acked.steps > 0, "the child never acknowledged a step");
}

/// Runs the child for `delay`, kills it with SIGKILL, and returns the lines it printed.
fn run_and_kill(dir: &Path, delay: Duration) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash_child"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    std::thread::sleep(delay);
    let exited = child.try_wait().unwrap();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    if let Some(status) = exited {
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        panic!("the child exited by itself ({status}): {err}");
    }
    reader.join().unwrap()
}

/// Adds what the child acknowledged to `acked`. A partial last line (cut by the kill) is not an
/// acknowledgement.
fn record(acked: &mut Acked, lines: &[String]) {
    for line in lines {
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["ready"] => acked.ready = true,
            ["tx", i] => acked.steps = acked.steps.max(i.parse().unwrap()),
            // A hash cut short by the kill does not parse: not acknowledged.
            ["commit", i, hash] => {
                if let Some(hash) = Hash::from_hex(hash) {
                    acked.commits.push((i.parse().unwrap(), hash));
                }
            }
            _ => {}
        }
    }
}

/// Opens the repository after a kill and checks it: fsck passes; the working table holds every
/// acknowledged step (and perhaps the one in flight), with exact values; every acknowledged
/// commit holds the table as of its step and is in the branch's history.
fn check(dir: &Path, acked: &mut Acked, checked_commits: usize, round: u64) {
    let store = Arc::new(DiskStore::open(store_dir(dir), DiskStoreOptions::default()).unwrap());
    let store: Arc<dyn ChunkStore> = store;
    let Ok(repo) = Repository::open(store) else {
        assert!(!acked.ready, "round {round}: the repository is gone");
        return;
    };
    let report = repo.fsck().unwrap();
    assert!(
        report.is_ok(),
        "round {round}: fsck found problems:\n{}",
        report
            .problems
            .iter()
            .map(|p| format!("  {p}\n"))
            .collect::<String>()
    );
    let working = repo.working_root(BRANCH).unwrap();
    let Some(rows) = table_rows(&repo, &working) else {
        assert!(!acked.ready, "round {round}: table t is gone");
        return;
    };
    let n = rows.len() as u64;
    assert!(
        n == acked.steps || n == acked.steps + 1,
        "round {round}: the table has {n} rows, but {} steps were acknowledged",
        acked.steps
    );
    assert_eq!(rows, expected_rows(n), "round {round}: rows after step {n}");
    // A step that landed without its acknowledgement is durable now: the child resumes after it.
    acked.steps = n;
    let head = repo.branch_head(BRANCH).unwrap();
    for (i, hash) in &acked.commits[checked_commits..] {
        let commit = Commit::load(&**repo.store(), *hash).unwrap();
        let root = repo.root_value(commit.root).unwrap();
        let rows = table_rows(&repo, &root).expect("committed table");
        assert_eq!(
            rows,
            expected_rows(*i),
            "round {round}: commit {hash} of step {i}"
        );
    }
    for (i, hash) in &acked.commits {
        assert!(
            *hash == head || is_ancestor(&**repo.store(), *hash, head).unwrap(),
            "round {round}: acknowledged commit {hash} of step {i} is not in {BRANCH}'s history"
        );
    }
}

/// Table `t` of `root` as key → value, or `None` if it has no table `t`.
fn table_rows(
    repo: &Repository,
    root: &RootValue,
) -> Option<std::collections::BTreeMap<i64, String>> {
    let table = root.get_table(repo.node_store(), "t").unwrap()?;
    let mut rows = std::collections::BTreeMap::new();
    for row in table.scan().unwrap() {
        let (_, row) = row.unwrap();
        match &row[..] {
            [Value::Int4(k), Value::Text(v)] => rows.insert(i64::from(*k), v.clone()),
            other => panic!("unexpected row {other:?}"),
        };
    }
    Some(rows)
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

/// SplitMix64: a small, seedable generator for the kill delays.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
