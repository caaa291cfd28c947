//! Version control from SQL, end to end through `Session`: procedures (`vdb_commit`,
//! `vdb_merge`...), the `vdb.*` tables, `AS OF`, the per-table history and diff tables, the
//! diff table functions, read-only revision sessions, and their errors' SQLSTATEs.

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};

fn repo() -> Arc<Repository> {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    Arc::new(Repository::init(store, "main", &signature).expect("init"))
}

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn columns(session: &mut Session, sql: &str) -> Vec<String> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { columns, .. }) => columns.into_iter().map(|c| c.0).collect(),
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

/// The single value of a one-row, one-column result, as text.
fn one(session: &mut Session, sql: &str) -> String {
    let rows = rows(session, sql);
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    vdb_sql::types::to_pg_text(&rows[0][0]).unwrap_or_else(|| "NULL".into())
}

fn fails(session: &mut Session, sql: &str) -> (String, String) {
    match session.execute(sql) {
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
        Err(e) => (e.sqlstate().to_string(), e.to_string()),
    }
}

fn text(rows: &[Vec<Value>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|v| vdb_sql::types::to_pg_text(v).unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}

/// A labels table with three rows, committed as "load" and tagged v1.
fn labelled() -> (Arc<Repository>, Session, String) {
    let repo = repo();
    let mut s = Session::new(repo.clone(), "main");
    s.execute(
        "CREATE TABLE labels (id bigint PRIMARY KEY, label int, note text);
         INSERT INTO labels VALUES (1, 0, 'a'), (2, 1, 'b'), (3, 2, 'c')",
    )
    .expect("setup");
    let hash = one(&mut s, "SELECT vdb_commit('-Am', 'load')");
    one(&mut s, "SELECT vdb_tag('v1')");
    (repo, s, hash)
}

#[test]
fn commit_returns_the_hash_that_log_and_hashof_show() {
    let (_, mut s, hash) = labelled();
    assert_eq!(hash.len(), 40);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(one(&mut s, "SELECT vdb_hashof('HEAD')"), hash);
    assert_eq!(one(&mut s, "SELECT vdb_hashof('v1')"), hash);
    assert_eq!(one(&mut s, "SELECT active_branch()"), "main");
    let log = text(&rows(&mut s, "SELECT commit_hash, message FROM vdb.log"));
    assert_eq!(log[0], vec![hash.clone(), "load".to_string()]);
    assert_eq!(log.len(), 2, "the load and the initial commit");
    assert_eq!(
        text(&rows(&mut s, "SELECT tag_name, tag_hash FROM vdb.tags")),
        vec![vec!["v1".to_string(), hash.clone()]]
    );
    // Nothing is left to commit, so status is empty and an empty commit is refused.
    assert!(rows(&mut s, "SELECT * FROM vdb.status").is_empty());
    let (state, _) = fails(&mut s, "SELECT vdb_commit('-am', 'nothing')");
    assert_eq!(state, "22023");
    // A change shows in status, unstaged, then staged.
    s.execute("UPDATE labels SET label = 9 WHERE id = 2")
        .unwrap();
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT table_name, staged, status FROM vdb.status"
        )),
        vec![vec!["labels", "f", "modified"]]
    );
    one(&mut s, "SELECT vdb_add('labels')");
    assert_eq!(
        text(&rows(&mut s, "SELECT table_name, staged FROM vdb.status")),
        vec![vec!["labels", "t"]]
    );
    let second = one(
        &mut s,
        "SELECT vdb_commit('-m', 'relabel 2', '--author', 'Ada <ada@x.org>')",
    );
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT author, author_email, parents FROM vdb.log LIMIT 1"
        )),
        vec![vec!["Ada", "ada@x.org", "1"]]
    );
    assert_eq!(one(&mut s, "SELECT vdb_hashof('HEAD~1')"), hash);
    assert_ne!(second, hash);
}

#[test]
fn as_of_reads_past_revisions_and_joins_two_of_them() {
    let (_, mut s, first) = labelled();
    s.execute("UPDATE labels SET label = 7 WHERE id IN (1, 3)")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'relabel')");
    assert_eq!(
        one(&mut s, "SELECT label FROM labels AS OF 'v1' WHERE id = 1"),
        "0"
    );
    assert_eq!(
        one(&mut s, "SELECT label FROM labels AS OF 'HEAD' WHERE id = 1"),
        "7"
    );
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT count(*) FROM labels AS OF '{first}'")
        ),
        "3"
    );
    // FOR SYSTEM_TIME AS OF and the revision-qualified name mean the same.
    assert_eq!(
        one(
            &mut s,
            "SELECT label FROM labels FOR SYSTEM_TIME AS OF 'HEAD~1' WHERE id = 3"
        ),
        "2"
    );
    assert_eq!(
        one(
            &mut s,
            "SELECT label FROM \"vdb/v1\".public.labels WHERE id = 3"
        ),
        "2"
    );
    // One query compares two revisions of the table, row by row.
    let changed = rows(
        &mut s,
        "SELECT old.id, old.label, new.label FROM labels AS OF 'v1' old \
         JOIN labels AS OF 'main' AS new ON old.id = new.id \
         WHERE old.label <> new.label ORDER BY old.id",
    );
    assert_eq!(
        text(&changed),
        vec![vec!["1", "0", "7"], vec!["3", "2", "7"]]
    );
    // A key filter on a past revision is a point lookup.
    let plan = text(&rows(
        &mut s,
        "EXPLAIN SELECT * FROM labels AS OF 'v1' WHERE id = 2",
    ));
    assert!(
        plan.iter()
            .any(|l| l[0].contains("VersionScan") && l[0].contains("key = 2")),
        "{plan:?}"
    );
    // An unknown revision names itself.
    let (state, message) = fails(&mut s, "SELECT * FROM labels AS OF 'nope'");
    assert_eq!(state, "42704", "{message}");
    assert!(message.contains("nope"), "{message}");
    // A table that did not exist then is 42P01.
    s.execute("CREATE TABLE later (id int PRIMARY KEY)")
        .unwrap();
    assert_eq!(fails(&mut s, "SELECT * FROM later AS OF 'v1'").0, "42P01");
}

#[test]
fn branches_merge_cleanly_and_conflicts_resolve() {
    let (_, mut s, _) = labelled();
    one(&mut s, "SELECT vdb_branch('feature')");
    assert_eq!(
        text(&rows(&mut s, "SELECT * FROM vdb_checkout('feature')")),
        vec![vec!["0", "Switched to branch 'feature'"]]
    );
    assert_eq!(one(&mut s, "SELECT active_branch()"), "feature");
    s.execute("UPDATE labels SET label = 5 WHERE id = 1")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'feature relabels 1')");
    one(&mut s, "SELECT vdb_checkout('main')");
    assert_eq!(one(&mut s, "SELECT label FROM labels WHERE id = 1"), "0");
    s.execute("UPDATE labels SET note = 'z' WHERE id = 3")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'main edits 3')");
    let merged = rows(&mut s, "SELECT * FROM vdb_merge('feature')");
    assert_eq!(text(&merged)[0][1..], ["f", "0", "merge successful"]);
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT id, label, note FROM labels ORDER BY id"
        )),
        vec![
            vec!["1", "5", "a"],
            vec!["2", "1", "b"],
            vec!["3", "2", "z"]
        ]
    );
    let base = one(&mut s, "SELECT vdb_merge_base('main', 'feature')");
    assert_eq!(base, one(&mut s, "SELECT vdb_hashof('feature')"));
    // Now a conflict: both sides change row 2's label.
    one(&mut s, "CALL vdb_checkout('feature')");
    s.execute("UPDATE labels SET label = 100 WHERE id = 2")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'theirs')");
    one(&mut s, "SELECT vdb_checkout('main')");
    s.execute("UPDATE labels SET label = 200 WHERE id = 2")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'ours')");
    let merged = text(&rows(
        &mut s,
        "SELECT hash, conflicts FROM vdb_merge('feature')",
    ));
    assert_eq!(merged, vec![vec!["NULL", "1"]]);
    assert_eq!(
        text(&rows(&mut s, "SELECT * FROM vdb.conflicts")),
        vec![vec!["labels", "1"]]
    );
    assert_eq!(one(&mut s, "SELECT is_merging FROM vdb.merge_status"), "t");
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT base_label, our_label, their_label, our_diff_type FROM vdb_conflicts_labels"
        )),
        vec![vec!["1", "200", "100", "modified"]]
    );
    assert_eq!(
        fails(&mut s, "SELECT vdb_commit('-am', 'too early')").0,
        "55000"
    );
    one(&mut s, "SELECT vdb_conflicts_resolve('--theirs', 'labels')");
    assert!(rows(&mut s, "SELECT * FROM vdb.conflicts").is_empty());
    assert_eq!(one(&mut s, "SELECT label FROM labels WHERE id = 2"), "100");
    one(&mut s, "SELECT vdb_commit('-m', 'merge feature')");
    assert_eq!(one(&mut s, "SELECT parents FROM vdb.log LIMIT 1"), "2");
    assert_eq!(one(&mut s, "SELECT is_merging FROM vdb.merge_status"), "f");
    let branches = text(&rows(
        &mut s,
        "SELECT name, is_current FROM vdb.branches ORDER BY name",
    ));
    assert_eq!(branches, vec![vec!["feature", "f"], vec!["main", "t"]]);
}

/// Two conflicting rows (2 and 3) on main after merging `feature`: both sides changed `label`.
fn two_conflicts() -> Session {
    let (_, mut s, _) = labelled();
    one(&mut s, "SELECT vdb_checkout('-b', 'feature')");
    s.execute("UPDATE labels SET label = label + 100 WHERE id IN (2, 3)")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'theirs')");
    one(&mut s, "SELECT vdb_checkout('main')");
    s.execute("UPDATE labels SET label = label + 200 WHERE id IN (2, 3)")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'ours')");
    assert_eq!(
        one(&mut s, "SELECT conflicts FROM vdb_merge('feature')"),
        "2"
    );
    s
}

#[test]
fn deleting_from_the_conflicts_table_resolves_rows_as_the_table_stands() {
    let mut s = two_conflicts();
    // Edit the table by hand, then mark row 2 resolved: the hand edit stays.
    s.execute("UPDATE labels SET label = 7 WHERE id = 2")
        .unwrap();
    assert_eq!(
        s.execute("DELETE FROM vdb_conflicts_labels WHERE our_id = 2")
            .unwrap(),
        vec![StatementResult::Command {
            tag: "DELETE 1".into()
        }]
    );
    assert_eq!(
        text(&rows(&mut s, "SELECT our_id FROM vdb_conflicts_labels")),
        vec![vec!["3"]]
    );
    assert_eq!(one(&mut s, "SELECT label FROM labels WHERE id = 2"), "7");
    assert_eq!(
        fails(&mut s, "SELECT vdb_commit('-am', 'one is left')").0,
        "55000"
    );
    // Nothing matches: DELETE 0, and the conflict stays.
    assert_eq!(
        s.execute("DELETE FROM vdb_conflicts_labels WHERE our_id = 99")
            .unwrap(),
        vec![StatementResult::Command {
            tag: "DELETE 0".into()
        }]
    );
    s.execute("DELETE FROM vdb_conflicts_labels").unwrap();
    assert!(rows(&mut s, "SELECT * FROM vdb.conflicts").is_empty());
    one(&mut s, "SELECT vdb_commit('-am', 'merged by hand')");
    assert_eq!(
        text(&rows(&mut s, "SELECT id, label FROM labels ORDER BY id")),
        vec![vec!["1", "0"], vec!["2", "7"], vec!["3", "202"]]
    );
}

#[test]
fn updating_our_columns_writes_through_and_checks_constraints() {
    let mut s = two_conflicts();
    s.execute("BEGIN").unwrap();
    assert_eq!(
        s.execute("UPDATE vdb_conflicts_labels SET our_label = their_label + 1 WHERE our_id = 3")
            .unwrap(),
        vec![StatementResult::Command {
            tag: "UPDATE 1".into()
        }]
    );
    assert_eq!(one(&mut s, "SELECT label FROM labels WHERE id = 3"), "103");
    assert_eq!(
        one(
            &mut s,
            "SELECT our_label FROM vdb_conflicts_labels WHERE our_id = 3"
        ),
        "103"
    );
    s.execute("COMMIT").unwrap();
    // Only our_ columns can be set; the table's constraints hold.
    assert_eq!(
        fails(&mut s, "UPDATE vdb_conflicts_labels SET their_label = 1").0,
        "0A000"
    );
    assert_eq!(
        fails(&mut s, "UPDATE vdb_conflicts_labels SET our_nope = 1").0,
        "42703"
    );
    s.execute("ALTER TABLE labels ALTER COLUMN note SET NOT NULL")
        .unwrap();
    assert_eq!(
        fails(&mut s, "UPDATE vdb_conflicts_labels SET our_note = NULL").0,
        "23502"
    );
    s.execute("DELETE FROM vdb_conflicts_labels").unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'resolved')");
    assert_eq!(
        text(&rows(&mut s, "SELECT id, label FROM labels ORDER BY id")),
        vec![vec!["1", "0"], vec!["2", "201"], vec!["3", "103"]]
    );
}

#[test]
fn diff_tables_and_functions_show_cell_changes_and_prune_by_commit() {
    let (_, mut s, first) = labelled();
    s.execute("UPDATE labels SET label = 4 WHERE id = 2; DELETE FROM labels WHERE id = 3; INSERT INTO labels VALUES (4, 4, 'd')")
        .unwrap();
    let second = one(&mut s, "SELECT vdb_commit('-am', 'second')");
    s.execute("UPDATE labels SET note = 'w' WHERE id = 1")
        .unwrap();
    let diff = text(&rows(
        &mut s,
        "SELECT to_id, from_id, from_label, to_label, diff_type FROM vdb_diff('v1', 'HEAD', 'labels') ORDER BY coalesce(to_id, from_id)",
    ));
    assert_eq!(
        diff,
        vec![
            vec!["2", "2", "1", "4", "modified"],
            vec!["NULL", "3", "2", "NULL", "removed"],
            vec!["4", "NULL", "NULL", "4", "added"],
        ]
    );
    // The range form, and WORKING.
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM vdb_diff('v1..HEAD', 'labels')"
        ),
        "3"
    );
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT to_note, to_commit FROM vdb_diff('HEAD', 'WORKING', 'labels')"
        )),
        vec![vec!["w", "WORKING"]]
    );
    // vdb_diff_labels walks the history; the working change leads.
    let all = text(&rows(
        &mut s,
        "SELECT to_commit, from_commit, count(*) FROM vdb_diff_labels GROUP BY to_commit, from_commit ORDER BY 3",
    ));
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.contains(&vec![
        "WORKING".to_string(),
        second.clone(),
        "1".to_string()
    ]));
    assert!(all.contains(&vec![second.clone(), first, "3".to_string()]));
    // A filter on to_commit diffs one pair of versions.
    let explain = text(&rows(
        &mut s,
        &format!("EXPLAIN SELECT * FROM vdb_diff_labels WHERE to_commit = '{second}'"),
    ));
    assert!(
        explain
            .iter()
            .any(|l| l[0].contains("RowDiff: vdb_diff_labels (1 version pairs)")),
        "{explain:?}"
    );
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT count(*) FROM vdb_diff_labels WHERE to_commit = '{second}'")
        ),
        "3"
    );
    // Stat, summary, patch and schema diff.
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT table_name, rows_unmodified, rows_added, rows_deleted, rows_modified, cells_modified, old_row_count, new_row_count FROM vdb_diff_stat('v1', 'HEAD')"
        )),
        vec![vec!["labels", "1", "1", "1", "1", "1", "3", "3"]]
    );
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT * FROM vdb_diff_summary('v1', 'HEAD')"
        )),
        vec![vec!["labels", "labels", "modified", "t", "f"]]
    );
    let patch = text(&rows(
        &mut s,
        "SELECT statement FROM vdb_patch('v1', 'HEAD') ORDER BY statement_order",
    ));
    assert_eq!(
        patch,
        vec![
            vec!["UPDATE labels SET label = 4 WHERE id = 2;"],
            vec!["DELETE FROM labels WHERE id = 3;"],
            vec!["INSERT INTO labels (id, label, note) VALUES (4, 4, 'd');"],
        ]
    );
    s.execute("ALTER TABLE labels ADD COLUMN score float8")
        .unwrap();
    let schema = text(&rows(
        &mut s,
        "SELECT to_create_statement FROM vdb_schema_diff('HEAD', 'WORKING')",
    ));
    assert_eq!(schema.len(), 1);
    assert!(
        schema[0][0].contains("score double precision"),
        "{schema:?}"
    );
    assert_eq!(one(&mut s, "SELECT count(*) FROM vdb_log('v1..HEAD')"), "1");
    assert_eq!(one(&mut s, "SELECT count(*) FROM vdb_log()"), "3");
}

#[test]
fn history_lists_rows_per_commit_and_prunes_by_hash() {
    let (_, mut s, first) = labelled();
    s.execute("UPDATE labels SET label = 8 WHERE id = 1")
        .unwrap();
    let second = one(&mut s, "SELECT vdb_commit('-am', 'second')");
    assert_eq!(
        columns(&mut s, "SELECT * FROM vdb_history_labels")[3..],
        ["commit_hash", "committer", "commit_date"]
    );
    assert_eq!(one(&mut s, "SELECT count(*) FROM vdb_history_labels"), "6");
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT commit_hash, label FROM vdb_history_labels WHERE id = 1 ORDER BY label DESC"
        )),
        vec![
            vec![second, "8".to_string()],
            vec![first.clone(), "0".to_string()]
        ]
    );
    let explain = text(&rows(
        &mut s,
        &format!(
            "EXPLAIN SELECT * FROM vdb_history_labels WHERE commit_hash = '{first}' AND id = 1"
        ),
    ));
    assert!(
        explain
            .iter()
            .any(|l| l[0].contains("(1 versions) key = 1")),
        "{explain:?}"
    );
}

#[test]
fn revision_sessions_are_read_only() {
    let (repo, mut s, _) = labelled();
    s.execute("UPDATE labels SET label = 3 WHERE id = 1")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'later')");
    let mut old = Session::at_revision(repo.clone(), "main", "v1").expect("v1");
    assert_eq!(one(&mut old, "SELECT label FROM labels WHERE id = 1"), "0");
    assert_eq!(one(&mut old, "SELECT active_branch()"), "NULL");
    let (state, message) = fails(&mut old, "INSERT INTO labels VALUES (9, 9, 'x')");
    assert_eq!(state, "25006", "{message}");
    assert!(message.contains("read-only"), "{message}");
    assert_eq!(fails(&mut old, "SELECT vdb_commit('-am', 'x')").0, "25006");
    assert_eq!(fails(&mut old, "CREATE TABLE x (id int)").0, "25006");
    // Nothing was written: the branch still has three rows.
    assert_eq!(one(&mut s, "SELECT count(*) FROM labels"), "3");
    // Checking out a branch leaves the pinned revision.
    one(&mut old, "SELECT vdb_checkout('main')");
    assert_eq!(one(&mut old, "SELECT label FROM labels WHERE id = 1"), "3");
    assert!(Session::at_revision(repo, "main", "no-such-rev").is_err());
}

#[test]
fn procedures_in_a_transaction_commit_its_changes() {
    let (_, mut s, _) = labelled();
    s.execute("BEGIN; INSERT INTO labels VALUES (4, 4, 'd')")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-Am', 'inside a block')");
    s.execute("ROLLBACK").unwrap();
    assert_eq!(one(&mut s, "SELECT count(*) FROM labels"), "4");
    assert_eq!(
        one(&mut s, "SELECT message FROM vdb.log LIMIT 1"),
        "inside a block"
    );
    // Switching branches with changes pending in a block is refused.
    s.execute("BEGIN").unwrap();
    one(&mut s, "SELECT vdb_branch('other')");
    s.execute("DELETE FROM labels WHERE id = 4").unwrap();
    assert_eq!(fails(&mut s, "SELECT vdb_checkout('other')").0, "25001");
    s.execute("ROLLBACK").unwrap();
}

#[test]
fn bad_arguments_are_usage_errors() {
    let (_, mut s, _) = labelled();
    for (sql, state) in [
        ("SELECT vdb_commit()", "22023"),
        ("SELECT vdb_commit('--bogus')", "22023"),
        ("SELECT vdb_checkout('no-such-branch')", "22023"),
        ("SELECT vdb_merge('no-such-branch')", "42704"),
        ("SELECT vdb_branch()", "22023"),
        ("SELECT vdb_branch('-d', 'main')", "22023"),
        ("SELECT vdb_commit(NULL)", "22004"),
        ("SELECT vdb_commit('-am', 'x') FROM labels", "0A000"),
        ("SELECT 'x' || vdb_hashof('nope')", "42704"),
        ("SELECT * FROM vdb_diff('v1')", "22023"),
        ("SELECT * FROM vdb_diff('v1', 'HEAD', 'missing')", "42P01"),
        ("SELECT * FROM vdb.nope", "42P01"),
    ] {
        let (got, message) = fails(&mut s, sql);
        assert_eq!(got, state, "{sql}: {message}");
    }
    // The session is still usable.
    assert_eq!(one(&mut s, "SELECT count(*) FROM labels"), "3");
}

#[test]
fn remotes_push_fetch_and_pull_from_sql() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("remote").display());
    let (_, mut a, _) = labelled();
    one(
        &mut a,
        &format!("SELECT vdb_remote('add', 'origin', '{url}')"),
    );
    assert_eq!(
        text(&rows(&mut a, "SELECT name, url FROM vdb.remotes")),
        vec![vec!["origin".to_string(), url.clone()]]
    );
    let pushed = text(&rows(
        &mut a,
        "SELECT remote_branch, old, forced FROM vdb_push('origin', 'main')",
    ));
    assert_eq!(pushed, vec![vec!["origin/main", "NULL", "f"]]);
    // A second repository fetches and pulls what the first pushed.
    let (_, mut b, _) = {
        let repo = repo();
        let s = Session::new(repo.clone(), "main");
        (repo, s, ())
    };
    one(
        &mut b,
        &format!("SELECT vdb_remote('add', 'origin', '{url}')"),
    );
    let fetched = text(&rows(
        &mut b,
        "SELECT remote, updated_branches FROM vdb_fetch('origin')",
    ));
    assert_eq!(fetched, vec![vec!["origin", "1"]]);
    assert_eq!(
        one(
            &mut b,
            "SELECT name FROM vdb.branches WHERE name LIKE 'remotes/%'"
        ),
        "remotes/origin/main"
    );
    assert_eq!(
        one(&mut b, "SELECT count(*) FROM labels AS OF 'origin/main'"),
        "3"
    );
    let pulled = text(&rows(
        &mut b,
        "SELECT conflicts FROM vdb_pull('origin', 'main')",
    ));
    assert_eq!(pulled, vec![vec!["0"]]);
    assert_eq!(one(&mut b, "SELECT count(*) FROM labels"), "3");
    // A non-fast-forward push is refused.
    b.execute("INSERT INTO labels VALUES (10, 1, 'b')").unwrap();
    one(&mut b, "SELECT vdb_commit('-am', 'b adds 10')");
    a.execute("INSERT INTO labels VALUES (11, 1, 'a')").unwrap();
    one(&mut a, "SELECT vdb_commit('-am', 'a adds 11')");
    one(&mut a, "SELECT * FROM vdb_push('origin', 'main')");
    assert_eq!(
        fails(&mut b, "SELECT * FROM vdb_push('origin', 'main')").0,
        "55000"
    );
    assert_eq!(
        fails(
            &mut b,
            "SELECT vdb_remote('add', 'bad', 'file://relative/../x')"
        )
        .0,
        "22023"
    );
    assert_eq!(fails(&mut b, "SELECT vdb_clone('x')").0, "0A000");
}

#[test]
fn multidimensional_arrays_survive_commit_as_of_and_diff() {
    let repo = repo();
    let mut s = Session::new(repo, "main");
    s.execute("CREATE TABLE grids (id int PRIMARY KEY, g int[], t text[])")
        .expect("create");
    s.execute(
        "INSERT INTO grids VALUES (1, '{{1,2},{3,4}}', '[0:1]={\"a b\",NULL}'), (2, '{5}', '{}')",
    )
    .expect("insert");
    let first = one(&mut s, "SELECT vdb_commit('-Am', 'grids')");
    s.execute("UPDATE grids SET g = g || array[[5,6]] WHERE id = 1")
        .expect("update");
    let diff = rows(
        &mut s,
        "SELECT from_g, to_g, diff_type FROM vdb_diff('HEAD', 'WORKING', 'grids')",
    );
    assert_eq!(
        text(&diff),
        vec![vec!["{{1,2},{3,4}}", "{{1,2},{3,4},{5,6}}", "modified"]]
    );
    one(&mut s, "SELECT vdb_commit('-am', 'grow')");
    let old = rows(
        &mut s,
        &format!("SELECT g, t, array_dims(t) FROM grids AS OF '{first}' ORDER BY id"),
    );
    assert_eq!(
        text(&old),
        vec![
            vec!["{{1,2},{3,4}}", "[0:1]={\"a b\",NULL}", "[0:1]"],
            vec!["{5}", "{}", "NULL"],
        ]
    );
    assert_eq!(
        one(&mut s, "SELECT g FROM grids WHERE id = 1"),
        "{{1,2},{3,4},{5,6}}"
    );
}

/// A filter on the diff table's key (`to_id = k` or `from_id = k`) compares only that key's
/// rows in each pair of versions, by point lookups: the answer is the whole diff's, filtered,
/// and the chunks read do not grow with the number of rows each commit changed.
#[test]
fn diff_filters_on_the_key_look_up_only_that_key() {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store, "main", &signature).expect("init"));
    let mut s = Session::new(repo.clone(), "main");
    s.execute(
        "CREATE TABLE labels (id bigint PRIMARY KEY, label int, note text);
         INSERT INTO labels SELECT g, g % 7, repeat('x', 40) FROM generate_series(1, 20000) g",
    )
    .unwrap();
    one(&mut s, "SELECT vdb_commit('-Am', 'load')");
    // Every row changes, then one row goes and one comes, uncommitted.
    s.execute("UPDATE labels SET label = label + 1").unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'relabel')");
    s.execute("DELETE FROM labels WHERE id = 5; INSERT INTO labels VALUES (20001, 1, 'new')")
        .unwrap();

    let query = |filter: &str| {
        format!(
            "SELECT to_id, from_id, from_label, to_label, to_commit, diff_type \
             FROM vdb_diff_labels WHERE {filter} ORDER BY to_commit, diff_type"
        )
    };
    let explain = text(&rows(&mut s, &format!("EXPLAIN {}", query("to_id = 5"))));
    assert!(
        explain.iter().any(|l| l[0].contains("key = 5")),
        "{explain:?}"
    );
    let loads = |s: &mut Session, sql: &str| {
        let before = repo.node_store().stats().loads;
        let rows = text(&rows(s, sql));
        (rows, repo.node_store().stats().loads - before)
    };
    let (pushed, pushed_loads) = loads(&mut s, &query("from_id = 5"));
    // The same rows as the whole diff filtered (`+ 0` keeps the filter from being pushed).
    let (whole, whole_loads) = loads(&mut s, &query("from_id + 0 = 5"));
    assert_eq!(pushed, whole);
    assert_eq!(pushed.len(), 2, "{pushed:?}"); // removed (working), modified (relabel)
    assert!(pushed
        .iter()
        .any(|r| r[5] == "removed" && r[4] == "WORKING"));
    assert_eq!(
        text(&rows(&mut s, &query("to_id = 20001"))),
        text(&rows(&mut s, &query("to_id + 0 = 20001")))
    );
    // Three version pairs, each two lookups down trees a few levels deep (and the commits and
    // roots); the relabelling commit alone changed every leaf of a table of hundreds.
    assert!(pushed_loads < 40, "{pushed_loads} nodes loaded");
    assert!(whole_loads > 400, "{whole_loads} nodes loaded");
}

/// A table in a schema has its per-table system tables beside it: `s.vdb_diff_t`,
/// `s.vdb_history_t`, and `s.vdb_conflicts_t`, whose DELETE and UPDATE resolve the table's
/// conflicts.
#[test]
fn per_table_system_tables_live_beside_a_table_in_a_schema() {
    let mut s = Session::new(repo(), "main");
    s.execute(
        "CREATE SCHEMA ml; CREATE TABLE ml.labels (id int PRIMARY KEY, label int);
         INSERT INTO ml.labels VALUES (1, 0), (2, 0)",
    )
    .unwrap();
    let first = one(&mut s, "SELECT vdb_commit('-Am', 'load')");
    one(&mut s, "SELECT vdb_checkout('-b', 'feature')");
    s.execute("UPDATE ml.labels SET label = 1").unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'theirs')");
    one(&mut s, "SELECT vdb_checkout('main')");
    s.execute("UPDATE ml.labels SET label = 2 WHERE id = 1")
        .unwrap();
    let ours = one(&mut s, "SELECT vdb_commit('-am', 'ours')");
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT to_id, from_label, to_label, diff_type FROM ml.vdb_diff_labels \
             WHERE to_commit = (SELECT vdb_hashof('HEAD')) ORDER BY to_id"
        )),
        vec![vec!["1", "0", "2", "modified"]]
    );
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT commit_hash, count(*) FROM ml.vdb_history_labels GROUP BY 1 ORDER BY 2, 1"
        ))
        .len(),
        2
    );
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT count(*) FROM ml.vdb_history_labels WHERE commit_hash = '{first}'")
        ),
        "2"
    );
    assert_ne!(first, ours);
    assert_eq!(
        one(&mut s, "SELECT conflicts FROM vdb_merge('feature')"),
        "1"
    );
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT our_id, our_label, their_label FROM ml.vdb_conflicts_labels"
        )),
        vec![vec!["1", "2", "1"]]
    );
    s.execute("UPDATE ml.vdb_conflicts_labels SET our_label = 3")
        .unwrap();
    s.execute("DELETE FROM ml.vdb_conflicts_labels").unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'merged')");
    assert_eq!(
        text(&rows(&mut s, "SELECT id, label FROM ml.labels ORDER BY id")),
        vec![vec!["1", "3"], vec!["2", "1"]]
    );
}

#[test]
fn blame_names_the_commit_that_last_changed_each_row() {
    let (_repo, mut s, load) = labelled();
    s.execute("UPDATE labels SET label = 7 WHERE id = 2")
        .unwrap();
    let fix = one(&mut s, "SELECT vdb_commit('-am', 'fix 2')");
    one(&mut s, "SELECT vdb_branch('more')");
    one(&mut s, "SELECT vdb_checkout('more')");
    s.execute("INSERT INTO labels (id, label) VALUES (9, 4)")
        .unwrap();
    let added = one(&mut s, "SELECT vdb_commit('-am', 'add 9')");
    one(&mut s, "SELECT vdb_checkout('main')");
    one(&mut s, "SELECT hash FROM vdb_merge('more', '--no-ff')");
    // Uncommitted edits are not blamed: blame reads HEAD.
    s.execute("UPDATE labels SET label = 8 WHERE id = 1")
        .unwrap();

    assert_eq!(
        columns(&mut s, "SELECT * FROM vdb_blame_labels"),
        [
            "id",
            "commit",
            "commit_date",
            "committer",
            "email",
            "message"
        ]
    );
    let blamed = text(&rows(
        &mut s,
        "SELECT id, commit, message FROM vdb_blame_labels ORDER BY id",
    ));
    let row = |id: &str, commit: &str, message: &str| {
        vec![id.to_string(), commit.to_string(), message.to_string()]
    };
    assert_eq!(
        blamed,
        [
            row("1", &load, "load"),
            row("2", &fix, "fix 2"),
            row("3", &load, "load"),
            row("9", &added, "add 9"),
        ]
    );
    // A filter on the commit works as on any table.
    assert_eq!(
        one(
            &mut s,
            &format!("SELECT count(*) FROM vdb_blame_labels WHERE commit = '{load}'")
        ),
        "2"
    );
    assert_eq!(fails(&mut s, "SELECT * FROM vdb_blame_nope").0, "42P01");
}

#[test]
fn vdb_diff_table_lists_the_tables_each_commit_changed() {
    let (_repo, mut s, load) = labelled();
    s.execute("CREATE TABLE notes (id int PRIMARY KEY)")
        .unwrap();
    let notes = one(&mut s, "SELECT vdb_commit('-Am', 'notes')");
    s.execute("UPDATE labels SET label = 9 WHERE id = 1")
        .unwrap();
    let relabel = one(&mut s, "SELECT vdb_commit('-am', 'relabel')");
    s.execute("ALTER TABLE notes ADD COLUMN t text").unwrap();
    one(&mut s, "SELECT vdb_add('notes')");
    s.execute("INSERT INTO labels (id, label) VALUES (4, 1)")
        .unwrap();

    let listed = text(&rows(
        &mut s,
        "SELECT commit_hash, table_name, message, data_change, schema_change FROM vdb.diff",
    ));
    let row = |c: &str, t: &str, m: &str, data: &str, schema: &str| {
        [c, t, m, data, schema].map(String::from).to_vec()
    };
    assert_eq!(
        listed,
        [
            row("WORKING", "labels", "NULL", "t", "f"),
            row("STAGED", "notes", "NULL", "f", "t"),
            row(&relabel, "labels", "relabel", "t", "f"),
            row(&notes, "notes", "notes", "f", "t"),
            row(&load, "labels", "load", "t", "t"),
        ]
    );
    // Filters work as on any table: the commits that changed labels' rows.
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM vdb.diff WHERE table_name = 'labels' AND data_change \
             AND commit_hash NOT IN ('WORKING', 'STAGED')"
        ),
        "2"
    );
}

#[test]
fn preview_merge_counts_conflicts_and_changes_nothing() {
    let (repo, mut s, _load) = labelled();
    one(&mut s, "SELECT vdb_checkout('-b', 'other')");
    s.execute(
        "UPDATE labels SET label = 7 WHERE id IN (1, 2); UPDATE labels SET note = 'x' WHERE id = 3",
    )
    .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'theirs')");
    one(&mut s, "SELECT vdb_checkout('main')");
    s.execute("UPDATE labels SET label = 8 WHERE id IN (1, 2, 3)")
        .unwrap();
    let head = one(&mut s, "SELECT vdb_commit('-am', 'ours')");
    let working = repo.working_set("main").unwrap();

    let preview = text(&rows(
        &mut s,
        "SELECT \"table\", num_data_conflicts, num_schema_conflicts \
         FROM vdb_preview_merge_conflicts_summary('main', 'other')",
    ));
    // Rows 1 and 2 changed the same cell both ways; row 3 changed different cells.
    assert_eq!(preview, [["labels", "2", "0"].map(String::from).to_vec()]);
    assert_eq!(one(&mut s, "SELECT vdb_hashof('main')"), head);
    assert_eq!(repo.working_set("main").unwrap(), working);
    assert_eq!(one(&mut s, "SELECT count(*) FROM vdb.conflicts"), "0");

    // No conflict: no row. Bad arguments: 22023; an unknown revision: 42704.
    assert!(rows(
        &mut s,
        "SELECT * FROM vdb_preview_merge_conflicts_summary('other', 'other')"
    )
    .is_empty());
    assert_eq!(
        fails(
            &mut s,
            "SELECT * FROM vdb_preview_merge_conflicts_summary('main')"
        )
        .0,
        "22023"
    );
    assert_eq!(
        fails(
            &mut s,
            "SELECT * FROM vdb_preview_merge_conflicts_summary('main', 'nope')"
        )
        .0,
        "42704"
    );
}

#[test]
fn blame_of_a_keyless_table_shows_whole_rows() {
    let (_repo, mut s, _load) = labelled();
    s.execute("CREATE TABLE tally (a int, b text); INSERT INTO tally VALUES (1, 'x'), (2, 'y')")
        .unwrap();
    let first = one(&mut s, "SELECT vdb_commit('-Am', 'tally')");
    s.execute("UPDATE tally SET b = 'z' WHERE a = 2").unwrap();
    let second = one(&mut s, "SELECT vdb_commit('-am', 'z')");
    assert_eq!(
        columns(&mut s, "SELECT * FROM vdb_blame_tally")[..3],
        ["a", "b", "commit"]
    );
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT a, b, commit FROM vdb_blame_tally ORDER BY a"
        )),
        [
            ["1".to_string(), "x".to_string(), first],
            ["2".to_string(), "z".to_string(), second],
        ]
    );
}

#[test]
fn stash_from_sql_puts_a_block_of_edits_aside_and_pops_it_back() {
    let (_repo, mut s, _load) = labelled();
    s.execute("UPDATE labels SET label = 9 WHERE id = 1")
        .unwrap();
    let pushed = text(&rows(&mut s, "SELECT * FROM vdb_stash('-m', 'relabel')"));
    assert_eq!(pushed[0][0], "stash@{0}");
    assert_eq!(one(&mut s, "SELECT label FROM labels WHERE id = 1"), "0");
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT name, branch, commit_message, stash_hash FROM vdb.stashes"
        )),
        [[
            "stash@{0}",
            "main",
            "On main: relabel",
            pushed[0][1].as_str()
        ]]
    );
    let (state, message) = fails(&mut s, "SELECT vdb_stash('pop', 'stash@{3}')");
    assert_eq!(state, "42704", "{message}");
    assert!(message.contains("there are 1 stashes"), "{message}");
    let (state, _) = fails(&mut s, "SELECT vdb_stash('shelve')");
    assert_eq!(state, "22023");

    // A conflicting edit blocks the pop; undoing it lets the pop through.
    s.execute("UPDATE labels SET label = 5 WHERE id = 1")
        .unwrap();
    let (state, message) = fails(&mut s, "SELECT vdb_stash('pop')");
    assert_eq!(state, "22023", "{message}");
    assert!(message.contains("labels"), "{message}");
    s.execute("UPDATE labels SET label = 0 WHERE id = 1")
        .unwrap();
    one(&mut s, "SELECT vdb_stash('pop')");
    assert_eq!(one(&mut s, "SELECT label FROM labels WHERE id = 1"), "9");
    assert_eq!(one(&mut s, "SELECT count(*) FROM vdb.stashes"), "0");
}

#[test]
fn reflog_lists_branch_moves_newest_first() {
    let (_repo, mut s, load) = labelled();
    s.execute("UPDATE labels SET label = 9 WHERE id = 1")
        .unwrap();
    let second = one(&mut s, "SELECT vdb_commit('-am', 'second')");
    one(&mut s, "SELECT vdb_reset('--hard', 'HEAD~1')");
    assert_eq!(
        columns(&mut s, "SELECT * FROM vdb_reflog('main')"),
        ["ref", "ref_timestamp", "commit_hash", "commit_message"]
    );
    let moves = text(&rows(
        &mut s,
        "SELECT ref, commit_hash, commit_message FROM vdb_reflog('main') LIMIT 3",
    ));
    assert_eq!(
        moves,
        [
            ["refs/heads/main", load.as_str(), "load"],
            ["refs/heads/main", second.as_str(), "second"],
            ["refs/heads/main", load.as_str(), "load"],
        ]
    );
    // The undone commit is reachable by name again.
    assert_eq!(one(&mut s, "SELECT vdb_hashof('main@{1}')"), second);
    let tags = one(
        &mut s,
        "SELECT count(*) FROM vdb_reflog() WHERE ref = 'refs/tags/v1'",
    );
    assert_eq!(tags, "1");
    let (state, _) = fails(&mut s, "SELECT * FROM vdb_reflog('nope')");
    assert_eq!(state, "42704");
}

#[test]
fn column_diff_names_the_columns_each_commit_changed() {
    let (_repo, mut s, load) = labelled();
    s.execute("UPDATE labels SET label = 7 WHERE id = 2; ALTER TABLE labels ADD COLUMN score real")
        .unwrap();
    let second = one(&mut s, "SELECT vdb_commit('-am', 'relabel, add score')");
    // Uncommitted: a deleted row's non-NULL cells count, its NULL ones do not.
    s.execute("DELETE FROM labels WHERE id = 3").unwrap();
    let got = text(&rows(
        &mut s,
        "SELECT commit_hash, column_name, diff_type, message FROM vdb.column_diff \
         WHERE table_name = 'labels'",
    ));
    let row =
        |c: &str, col: &str, kind: &str, m: &str| [c, col, kind, m].map(str::to_string).to_vec();
    assert_eq!(
        got,
        [
            row("WORKING", "id", "modified", "NULL"),
            row("WORKING", "label", "modified", "NULL"),
            row("WORKING", "note", "modified", "NULL"),
            row(&second, "label", "modified", "relabel, add score"),
            row(&second, "score", "added", "relabel, add score"),
            row(&load, "id", "added", "load"),
            row(&load, "label", "added", "load"),
            row(&load, "note", "added", "load"),
        ]
    );
}

#[test]
fn a_merge_stops_on_foreign_keys_and_checks_it_breaks_and_verify_finds_them() {
    let repo = repo();
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE p (id int PRIMARY KEY);
         CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p (id), lo int, hi int,
                         CONSTRAINT ordered CHECK (lo < hi));
         INSERT INTO p VALUES (1), (2);
         INSERT INTO c VALUES (1, 1, 1, 10)",
    )
    .unwrap();
    one(&mut s, "SELECT vdb_commit('-Am', 'base')");
    one(&mut s, "SELECT vdb_branch('b')");
    one(&mut s, "SELECT vdb_checkout('b')");
    s.execute("DELETE FROM p WHERE id = 2; UPDATE c SET hi = 3 WHERE id = 1")
        .unwrap();
    one(
        &mut s,
        "SELECT vdb_commit('-am', 'drop parent 2, lower hi')",
    );
    one(&mut s, "SELECT vdb_checkout('main')");
    s.execute("INSERT INTO c VALUES (2, 2, 0, 1); UPDATE c SET lo = 5 WHERE id = 1")
        .unwrap();
    one(&mut s, "SELECT vdb_commit('-am', 'child of 2, raise lo')");
    // Each side was valid; merged, the rows break both constraints, so the merge stops with
    // them recorded instead of committing.
    let merged = text(&rows(&mut s, "SELECT hash, conflicts FROM vdb_merge('b')"));
    assert_eq!(merged, [["NULL", "2"]]);
    assert_eq!(one(&mut s, "SELECT is_merging FROM vdb.merge_status"), "t");
    let recorded = "SELECT num_violations FROM vdb.constraint_violations";
    assert_eq!(one(&mut s, recorded), "2");
    // Checking again finds the same two, whether recorded or only counted.
    assert_eq!(one(&mut s, "SELECT vdb_verify_constraints('-o')"), "2");
    assert_eq!(one(&mut s, "SELECT vdb_verify_constraints('c')"), "2");
    assert_eq!(one(&mut s, recorded), "2");
    assert_eq!(
        text(&rows(
            &mut s,
            "SELECT violation_type, id, violation_info FROM vdb_constraint_violations_c \
             ORDER BY 1, 2"
        )),
        [
            ["check constraint", "1", "ordered"],
            ["foreign key", "2", "c_pid_fkey"],
        ]
    );
    let (state, _) = fails(&mut s, "SELECT vdb_commit('-am', 'too early')");
    assert_ne!(state, "00000");
    // Fixed and checked again: the earlier findings for c are replaced, and the merge commits.
    s.execute("DELETE FROM c WHERE id = 2; UPDATE c SET hi = 9 WHERE id = 1")
        .unwrap();
    assert_eq!(one(&mut s, "SELECT vdb_verify_constraints()"), "0");
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM vdb.constraint_violations"),
        "0"
    );
    one(&mut s, "SELECT vdb_commit('-am', 'merge b, fixed')");
    assert_eq!(one(&mut s, "SELECT parents FROM vdb.log LIMIT 1"), "2");
    let (state, _) = fails(&mut s, "SELECT vdb_verify_constraints('nope')");
    assert_eq!(state, "42P01");
}
