//! What the crash test's child does and what the parent expects of it, in one place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The branch the child works on.
pub const BRANCH: &str = "main";

/// The store inside the crash test's repository directory.
pub fn store_dir(dir: &Path) -> PathBuf {
    dir.join("store")
}

/// The SQL of step `i` (one transaction).
pub fn step_sql(i: u64) -> String {
    let mut sql = format!("BEGIN; INSERT INTO t VALUES ({i}, 'row {i}');");
    if i / 2 >= 1 {
        sql.push_str(&format!(
            " UPDATE t SET v = v || '+{i}' WHERE k = {};",
            i / 2
        ));
    }
    sql.push_str(" COMMIT");
    sql
}

/// Table `t` after steps 1..=n: key → value.
pub fn expected_rows(n: u64) -> BTreeMap<i64, String> {
    let mut rows = BTreeMap::new();
    for i in 1..=n {
        rows.insert(i as i64, format!("row {i}"));
        if i / 2 >= 1 {
            if let Some(v) = rows.get_mut(&((i / 2) as i64)) {
                v.push_str(&format!("+{i}"));
            }
        }
    }
    rows
}
