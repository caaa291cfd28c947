//! Operators over other versions of a table: the version scan (`AS OF`, `vdb_history_t`) reads
//! each version's rows in turn; the row diff (`vdb_diff_t`, `vdb_diff`) streams the prolly diff
//! of each version pair, so its cost follows the number of changed rows, not the table size.
//! Both map each version's columns onto the output columns (a column the version lacks reads
//! as NULL) and append the version's tags.

use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::{RowDiff, TableChange, TableDiff};
use vdb_engine::table::Table;
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::scan::table_rows;
use crate::execution::Rows;
use crate::expr::Row;
use crate::planner::{DiffPair, KeyRange, TableVersion};

fn load(ns: &NodeStore, version: &TableVersion) -> Result<Option<Table>> {
    version
        .table
        .map(|addr| Table::load(ns, addr).map_err(|e| Error::engine("loading a table version", e)))
        .transpose()
}

/// `row` (a row of `version`'s table) as output columns.
fn map_row(version: &TableVersion, row: &[Value]) -> Row {
    version
        .columns
        .iter()
        .map(|p| p.map_or(Value::Null, |p| row[p].clone()))
        .collect()
}

/// Each version's rows within `range` (where the version's key can encode the range's values;
/// otherwise all of them: the filter above still applies), then its tags.
pub fn version_scan(versions: Vec<TableVersion>, range: KeyRange, ns: &NodeStore) -> Result<Rows> {
    let ns = ns.clone();
    let rows = versions.into_iter().map(move |version| -> Result<Rows> {
        let Some(table) = load(&ns, &version)? else {
            return Ok(Box::new(std::iter::empty()));
        };
        let rows = match table_rows(table.clone(), &range, false) {
            Ok(rows) => rows,
            Err(_) => table_rows(table, &KeyRange::All, false)?,
        };
        Ok(Box::new(rows.map(move |row| {
            let mut out = map_row(&version, &row?);
            out.extend(version.tags.iter().cloned());
            Ok(out)
        })))
    });
    Ok(Box::new(rows.flat_map(|r| match r {
        Ok(rows) => rows,
        Err(e) => Box::new(std::iter::once(Err(e))),
    })))
}

/// The changed rows of each pair: `to` columns, `to` tags, `from` columns, `from` tags, type.
/// With `key`, only that key's row is compared in each pair (two point lookups), where both
/// versions encode rows alike (the same schema); other pairs are diffed whole.
pub fn row_diff(pairs: Vec<DiffPair>, key: Option<Value>, ns: &NodeStore) -> Result<Rows> {
    let ns = ns.clone();
    let rows = pairs.into_iter().map(move |pair| -> Result<Rows> {
        let diff = TableDiff {
            name: String::new(),
            change: TableChange::Modified,
            from: load(&ns, &pair.from)?,
            to: load(&ns, &pair.to)?,
            schema_changes: Vec::new(),
        };
        let changes: Box<dyn Iterator<Item = Result<Change>>> = match key
            .as_ref()
            .and_then(|k| point_diff(&diff, k).transpose())
        {
            Some(change) => Box::new(
                change
                    .map_err(|e| Error::engine("reading a table version", e))?
                    .into_iter()
                    .map(Ok),
            ),
            None => Box::new(
                diff.rows(&ns)
                    .map_err(|e| Error::engine("diffing table versions", e))?
                    .map(|change| {
                        Ok(
                            match change.map_err(|e| Error::engine("diffing table versions", e))? {
                                RowDiff::Added { row, .. } => Change::Added(row),
                                RowDiff::Deleted { row, .. } => Change::Removed(row),
                                RowDiff::Modified { old, new, .. } => Change::Modified(old, new),
                            },
                        )
                    }),
            ),
        };
        Ok(Box::new(changes.map(move |change| {
            let nulls = |v: &TableVersion| vec![Value::Null; v.columns.len()];
            let (to, from, kind) = match &change? {
                Change::Added(row) => (map_row(&pair.to, row), nulls(&pair.from), "added"),
                Change::Removed(row) => (nulls(&pair.to), map_row(&pair.from, row), "removed"),
                Change::Modified(old, new) => {
                    (map_row(&pair.to, new), map_row(&pair.from, old), "modified")
                }
            };
            let mut out = to;
            out.extend(pair.to.tags.iter().cloned());
            out.extend(from);
            out.extend(pair.from.tags.iter().cloned());
            out.push(Value::Text(kind.into()));
            Ok(out)
        })))
    });
    Ok(Box::new(rows.flat_map(|r| match r {
        Ok(rows) => rows,
        Err(e) => Box::new(std::iter::once(Err(e))),
    })))
}

/// A changed row: the new row, the old one, or both.
enum Change {
    Added(Vec<Value>),
    Removed(Vec<Value>),
    Modified(Vec<Value>, Vec<Value>),
}

/// The change of the row with key `key` between the diff's two versions: `Some(None)` when it
/// did not change, `None` when the versions do not encode rows alike (the caller diffs them
/// whole) or the key does not encode.
fn point_diff(diff: &TableDiff, key: &Value) -> vdb_engine::Result<Option<Option<Change>>> {
    let (from, to) = (diff.from.as_ref(), diff.to.as_ref());
    if let (Some(f), Some(t)) = (from, to) {
        if f.schema() != t.schema() {
            return Ok(None);
        }
    }
    let Some(any) = to.or(from) else {
        return Ok(Some(None));
    };
    let Ok(encoded) = any.encode_key_values(std::slice::from_ref(key)) else {
        return Ok(None);
    };
    // One lookup per side: the raw bytes compare, and decode only when the row changed.
    let raw = |t: Option<&Table>| t.map_or(Ok(None), |t| t.rows().get(&encoded));
    let (old, new) = (raw(from)?, raw(to)?);
    let decode = |t: Option<&Table>, bytes: &[u8]| match t {
        Some(t) => t.decode(&encoded, bytes),
        None => Ok(Vec::new()),
    };
    Ok(Some(match (&old, &new) {
        (None, None) => None,
        (Some(a), Some(b)) if a == b => None,
        (None, Some(b)) => Some(Change::Added(decode(to, b)?)),
        (Some(a), None) => Some(Change::Removed(decode(from, a)?)),
        (Some(a), Some(b)) => Some(Change::Modified(decode(from, a)?, decode(to, b)?)),
    }))
}
