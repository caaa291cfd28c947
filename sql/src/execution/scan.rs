//! Table scans over the prolly tree: the whole table in key order, one key (point lookup), a
//! key range, a key prefix, or the rows a secondary index finds for its leading columns. With `with_key`, each row ends with its primary-map key as `bytea`, which UPDATE
//! and DELETE use to address the row.

use std::ops::Bound;

use bytes::Bytes;

use vdb_engine::prolly::NodeStore;
use vdb_engine::prolly::Range;
use vdb_engine::table::{PrefixRanges, RootValue, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::Rows;
use crate::expr::Row;
use crate::planner::KeyRange;

/// The scan operator: owns the table and the entries of its primary map it reads.
struct Scan {
    table: Table,
    range: Entries,
    with_key: bool,
}

/// Primary-map entries: one cursor range, or the ranges of several key prefixes.
enum Entries {
    Range(Range),
    Prefixes(PrefixRanges),
}

impl Iterator for Entries {
    type Item = vdb_engine::Result<(Bytes, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Entries::Range(range) => range.next(),
            Entries::Prefixes(prefixes) => prefixes.next(),
        }
    }
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
    reverse: bool,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Rows> {
    let table = root
        .get_table(ns, name)
        .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?
        .ok_or_else(|| Error::UndefinedTable(name.to_string()))?;
    if reverse {
        return key_range_rows(table, range, with_key, true);
    }
    table_rows(table, range, with_key)
}

/// Rows of `table` within `range`.
pub fn table_rows(table: Table, range: &KeyRange, with_key: bool) -> Result<Rows> {
    match range {
        KeyRange::Prefix {
            index: None,
            prefixes,
        } => {
            let entries = table
                .key_prefix_ranges(prefixes)
                .map_err(|e| Error::engine("scanning table", e))?;
            Ok(Box::new(Scan {
                table,
                range: Entries::Prefixes(entries),
                with_key,
            }))
        }
        KeyRange::Prefix {
            index: Some(index),
            prefixes,
        } => match index_keys(&table, index, prefixes)? {
            Some(keys) => Ok(Box::new(IndexScan {
                table,
                keys: keys.into_iter(),
                with_key,
            })),
            None => table_rows(table, &KeyRange::All, with_key),
        },
        _ => key_range_rows(table, range, with_key, false),
    }
}

/// The primary-map bounds of a one-column key's range.
fn bounds(table: &Table, range: &KeyRange) -> Result<(Bound<Bytes>, Bound<Bytes>)> {
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
    Ok(match range {
        KeyRange::All => (Bound::Unbounded, Bound::Unbounded),
        KeyRange::Point(v) => {
            let key = encode(v)?;
            (Bound::Included(key.clone()), Bound::Included(key))
        }
        KeyRange::Range(lo, hi) => (bound(lo)?, bound(hi)?),
        KeyRange::Prefix { .. } => {
            return Err(Error::invalid(
                "XX000",
                "internal error: a prefix scan has no single key range",
            ))
        }
    })
}

/// The most rows an index scan fetches one by one before a full scan is cheaper: a sixteenth
/// of the table, and never fewer than this many.
const INDEX_SCAN_FLOOR: u64 = 1024;

/// The primary-map keys of the rows whose leading `index` columns equal one of `prefixes`, or
/// None when the index is gone (the plan is older than the schema) or matches so many rows
/// that fetching each is slower than reading the table in order.
fn index_keys(table: &Table, index: &str, prefixes: &[Vec<Value>]) -> Result<Option<Vec<Bytes>>> {
    let Some(i) = table
        .schema()
        .indexes
        .iter()
        .position(|ix| ix.name == index)
    else {
        return Ok(None);
    };
    let limit = (table.count() / 16).max(INDEX_SCAN_FLOOR);
    let mut keys = Vec::new();
    for key in table
        .index_prefixes(i, prefixes)
        .map_err(|e| Error::engine("reading index", e))?
    {
        if keys.len() as u64 >= limit {
            return Ok(None);
        }
        keys.push(key.map_err(|e| Error::engine("reading index", e))?);
    }
    Ok(Some(keys))
}

/// The index-scan operator: fetches the row at each primary-map key, in index order.
struct IndexScan {
    table: Table,
    keys: std::vec::IntoIter<Bytes>,
    with_key: bool,
}

impl Iterator for IndexScan {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let key = self.keys.next()?;
        Some(match self.table.get(&key) {
            Ok(Some(mut row)) => {
                if self.with_key {
                    row.push(Value::Bytea(key.to_vec()));
                }
                Ok(row)
            }
            // The index and the rows are one version: a key without a row is corruption.
            Ok(None) => Err(Error::invalid("XX001", "index entry without a row")),
            Err(e) => Err(Error::engine("reading row", e)),
        })
    }
}

/// Rows of `table` within a one-column key's `range`, in ascending or (`reverse`) descending
/// key order.
fn key_range_rows(table: Table, range: &KeyRange, with_key: bool, reverse: bool) -> Result<Rows> {
    let (lo, hi) = bounds(&table, range)?;
    let (lo, hi) = (as_slice(&lo), as_slice(&hi));
    let range = if reverse {
        table.rows().range_rev(lo, hi)
    } else {
        table.rows().range(lo, hi)
    }
    .map_err(|e| Error::engine("scanning table", e))?;
    Ok(Box::new(Scan {
        table,
        range: Entries::Range(range),
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
