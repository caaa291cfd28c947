//! Table scans over the prolly tree: the whole table in key order, one key (point lookup), or a
//! key range. With `with_key`, each row ends with its primary-map key as `bytea`, which UPDATE
//! and DELETE use to address the row.

use std::ops::Bound;

use bytes::Bytes;

use vdb_engine::prolly::NodeStore;
use vdb_engine::prolly::Range;
use vdb_engine::table::{RootValue, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::Rows;
use crate::expr::Row;
use crate::planner::KeyRange;

/// The scan operator: owns the table and a cursor range over its primary map.
struct Scan {
    table: Table,
    range: Range,
    with_key: bool,
}

impl Iterator for Scan {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let entry = self.range.next()?;
        Some(
            entry
                .map_err(|e| Error::engine("scanning table", e))
                .and_then(|(key, value)| {
                    let mut row = self
                        .table
                        .decode(&key, &value)
                        .map_err(|e| Error::engine("decoding row", e))?;
                    if self.with_key {
                        row.push(Value::Bytea(key.to_vec()));
                    }
                    Ok(row)
                }),
        )
    }
}

/// Takes the primary-map key that a scan `with_key` appended to `row`, the inverse of the push
/// above: how UPDATE and DELETE find the rows they change.
pub(super) fn take_key(row: &mut Row) -> Result<Bytes> {
    match row.pop() {
        Some(Value::Bytea(key)) => Ok(Bytes::from(key)),
        _ => Err(Error::invalid(
            "XX000",
            "internal error: scan row without key",
        )),
    }
}

/// Rows of table `name` within `range`.
pub fn scan(
    name: &str,
    range: &KeyRange,
    with_key: bool,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Rows> {
    let table = root
        .get_table(ns, name)
        .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?
        .ok_or_else(|| Error::UndefinedTable(name.to_string()))?;
    table_rows(table, range, with_key)
}

/// Rows of `table` within `range`.
pub fn table_rows(table: Table, range: &KeyRange, with_key: bool) -> Result<Rows> {
    let encode = |v: &Value| -> Result<Bytes> {
        table
            .encode_key_values(std::slice::from_ref(v))
            .map_err(|e| Error::engine("encoding key", e))
    };
    let bound = |b: &Bound<Value>| -> Result<Bound<Bytes>> {
        Ok(match b {
            Bound::Included(v) => Bound::Included(encode(v)?),
            Bound::Excluded(v) => Bound::Excluded(encode(v)?),
            Bound::Unbounded => Bound::Unbounded,
        })
    };
    let (lo, hi) = match range {
        KeyRange::All => (Bound::Unbounded, Bound::Unbounded),
        KeyRange::Point(v) => {
            let key = encode(v)?;
            (Bound::Included(key.clone()), Bound::Included(key))
        }
        KeyRange::Range(lo, hi) => (bound(lo)?, bound(hi)?),
    };
    let range = table
        .rows()
        .range(as_slice(&lo), as_slice(&hi))
        .map_err(|e| Error::engine("scanning table", e))?;
    Ok(Box::new(Scan {
        table,
        range,
        with_key,
    }))
}

fn as_slice(b: &Bound<Bytes>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(&k[..]),
        Bound::Excluded(k) => Bound::Excluded(&k[..]),
        Bound::Unbounded => Bound::Unbounded,
    }
}
