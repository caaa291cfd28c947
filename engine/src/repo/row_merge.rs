//! Three-way merge of one table's rows, cell by cell, once its schema has merged.
//!
//! 1. Each side is brought to the merged schema. A side whose schema already is the merged one
//!    is used as it is; any other is rewritten in full (columns mapped by id, values widened
//!    where the type changed). So when the schemas are equal, nothing is rewritten and the merge
//!    costs in proportion to the changes.
//! 2. The diffs base→ours and base→theirs of the primary maps are walked together by key, as
//!    `prolly::merge` does. A key changed only by them becomes a [`RowChange`]; a key changed by
//!    both to the same bytes needs nothing; a key changed differently on both sides is merged
//!    cell by cell: per column, a change on one side only is taken, the same change on both is
//!    fine, different changes are a conflict. A delete against a modify, or a row added on both
//!    sides with different values, is a conflict. A conflicted row keeps ours and is recorded
//!    (base, ours and theirs) for the conflict map.
//! 3. The row changes are applied to ours with `Table::apply`, so secondary indexes follow the
//!    merged rows.
//! 4. The rows the merge changed are checked against what the engine can check by itself:
//!    UNIQUE indexes (another row with the same index values) and NOT NULL columns.

use super::conflict::{ConflictEntry, ConstraintViolation, ViolationKind};
use super::schema_merge::convert;
use crate::codec::{encode_key, encode_row};
use crate::error::{Error, Result};
use crate::prolly::{DiffEntry, Map, NodeStore};
use crate::table::{RowChange, Schema, Table};
use crate::value::Value;
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The merged rows of one table.
#[derive(Debug)]
pub(crate) struct RowMerge {
    pub table: Table,
    /// Conflicted rows, in key order.
    pub conflicts: Vec<ConflictEntry>,
    pub violations: Vec<ConstraintViolation>,
    /// Rows of ours changed by the merge.
    pub applied: u64,
    /// Sides rewritten in full because their schema differed from the merged one.
    pub rewritten: u64,
}

/// Merges the rows of `theirs` into `ours` relative to `base` (`None`: no base rows).
pub(crate) fn merge_rows(
    name: &str,
    base: Option<&Table>,
    ours: &Table,
    theirs: &Table,
    target: &Schema,
) -> Result<RowMerge> {
    let ns = ours.rows().node_store();
    let mut rewritten = 0;
    let ours_t = if ours.schema() == target {
        ours.clone()
    } else {
        rewritten += 1;
        rewrite_table(ours, target)?
    };
    let base_map = match base {
        None => Map::empty(ns)?,
        Some(b) if b.schema() == target => b.rows().clone(),
        Some(b) => {
            rewritten += 1;
            rewrite_rows(ns, b, target, true)?
        }
    };
    let theirs_map = if theirs.schema() == target {
        theirs.rows().clone()
    } else {
        rewritten += 1;
        rewrite_rows(ns, theirs, target, false)?
    };
    let walk = walk(&ours_t, &base_map, &theirs_map)?;
    let applied = walk.changes.len() as u64;
    let table = ours_t.apply(walk.changes.iter().cloned())?;
    let violations = check_constraints(name, &table, &walk.changes)?;
    Ok(RowMerge {
        table,
        conflicts: walk.conflicts,
        violations,
        applied,
        rewritten,
    })
}

/// What the three-way walk found.
struct Walk {
    changes: Vec<RowChange>,
    conflicts: Vec<ConflictEntry>,
}

/// Walks base→ours and base→theirs together by key (see the module header, step 2). `ours` has
/// the merged schema, and every map holds rows encoded under it.
fn walk(ours: &Table, base: &Map, theirs: &Map) -> Result<Walk> {
    let mut left = base.diff(ours.rows()).peekable();
    let mut right = base.diff(theirs).peekable();
    let mut out = Walk {
        changes: Vec::new(),
        conflicts: Vec::new(),
    };
    loop {
        let order = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(Ok(l)), Some(Ok(r))) => l.key().cmp(r.key()),
            // Take the error out of whichever side holds it.
            (Some(Err(_)), _) => Ordering::Less,
            (_, Some(Err(_))) => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                left.next().transpose()?;
            }
            Ordering::Greater => {
                if let Some(change) = right.next().transpose()? {
                    out.changes.push(row_change(ours, &change)?);
                }
            }
            Ordering::Equal => {
                let (Some(o), Some(t)) = (left.next().transpose()?, right.next().transpose()?)
                else {
                    continue;
                };
                collide(ours, &o, &t, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// Their one-sided change as a row change.
fn row_change(ours: &Table, change: &DiffEntry) -> Result<RowChange> {
    Ok(match change.new_value() {
        Some(value) => RowChange::Update {
            key: change.key().clone(),
            row: ours.decode(change.key(), value)?,
        },
        None => RowChange::Delete(change.key().clone()),
    })
}

/// A key changed on both sides: merge cell by cell or record a conflict.
fn collide(ours: &Table, o: &DiffEntry, t: &DiffEntry, out: &mut Walk) -> Result<()> {
    if o.new_value() == t.new_value() {
        return Ok(());
    }
    let key = o.key();
    let entry = ConflictEntry {
        key: key.clone(),
        base: o.old().cloned(),
        ours: o.new_value().cloned(),
        theirs: t.new_value().cloned(),
    };
    let (Some(base), Some(mine), Some(their)) = (&entry.base, &entry.ours, &entry.theirs) else {
        // Delete against modify, or added on both sides differently.
        out.conflicts.push(entry);
        return Ok(());
    };
    let decode = |value: &Bytes| ours.decode(key, value);
    let (base_row, our_row, their_row) = (decode(base)?, decode(mine)?, decode(their)?);
    match merge_cells(ours.schema(), &base_row, &our_row, &their_row) {
        None => out.conflicts.push(entry),
        Some(row) if row == our_row => {}
        Some(row) => out.changes.push(RowChange::Update {
            key: key.clone(),
            row,
        }),
    }
    Ok(())
}

/// The cell-wise three-way merge of one row; `None` if some cell changed differently on both
/// sides. Cells compare as the row codec stores them (see `Value::identical`).
pub(crate) fn merge_cells(
    schema: &Schema,
    base: &[Value],
    ours: &[Value],
    theirs: &[Value],
) -> Option<Vec<Value>> {
    let mut row = Vec::with_capacity(ours.len());
    for i in 0..schema.columns.len() {
        let (b, o, t) = (&base[i], &ours[i], &theirs[i]);
        let cell = if o.identical(t) || b.identical(t) {
            o
        } else if b.identical(o) {
            t
        } else {
            return None;
        };
        row.push(cell.clone());
    }
    Some(row)
}

/// The rows of `table` as full rows of `target`: column j of `target` is `table`'s column with
/// the same id (NULL if `table` has none), converted to its type. `lossy`: a value that does not
/// convert becomes NULL (used for the base, which only serves as the comparison point) instead
/// of failing.
fn converted_rows<'a>(
    table: &'a Table,
    target: &'a Schema,
    lossy: bool,
) -> Result<impl Iterator<Item = Result<(Bytes, Vec<Value>)>> + 'a> {
    let from: Vec<Option<usize>> = target
        .columns
        .iter()
        .map(|c| table.schema().position(c.id))
        .collect();
    Ok(table.scan()?.map(move |entry| {
        let (key, old) = entry?;
        let mut row = Vec::with_capacity(from.len());
        for (j, position) in from.iter().enumerate() {
            let value = position.map_or(Value::Null, |p| old[p].clone());
            let ty = &target.columns[j].ty;
            row.push(match convert(value, ty) {
                Some(v) => v,
                None if lossy => Value::Null,
                None => {
                    return Err(Error::InvalidInput(format!(
                        "cannot convert a value of column {} to {ty}",
                        target.columns[j].name
                    )))
                }
            });
        }
        Ok((key, row))
    }))
}

/// `table` rewritten under `target`, with every index rebuilt.
fn rewrite_table(table: &Table, target: &Schema) -> Result<Table> {
    let empty = Table::create(table.rows().node_store(), target.clone())?;
    let changes = converted_rows(table, target, false)?
        .map(|entry| entry.map(|(key, row)| RowChange::Update { key, row }))
        .collect::<Result<Vec<_>>>()?;
    empty.apply(changes)
}

/// Only the primary map of `table` rewritten under `target` (the base and theirs need no
/// indexes: they are only diffed).
fn rewrite_rows(ns: &NodeStore, table: &Table, target: &Schema, lossy: bool) -> Result<Map> {
    let key_pos = target.key_positions();
    let key_types = target.types_at(&key_pos);
    let val_pos = target.value_positions();
    let val_types = target.types_at(&val_pos);
    let rekey = table.schema().primary_key != target.primary_key;
    let mut entries = Vec::with_capacity(table.count() as usize);
    for entry in converted_rows(table, target, lossy)? {
        let (mut key, row) = entry?;
        if rekey {
            let values: Vec<Value> = key_pos.iter().map(|&i| row[i].clone()).collect();
            if values.iter().any(Value::is_null) {
                // A base row that has no key under the merged schema matches no row.
                continue;
            }
            let mut bytes = Vec::new();
            encode_key(&values, &key_types, &mut bytes)?;
            key = Bytes::from(bytes);
        }
        let values: Vec<Value> = val_pos.iter().map(|&i| row[i].clone()).collect();
        let mut value = Vec::new();
        encode_row(&values, &val_types, &mut value)?;
        entries.push((key, Bytes::from(value)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|a, b| a.0 == b.0);
    Map::build(ns, entries)
}

/// UNIQUE and NOT NULL violations among the rows the merge wrote.
fn check_constraints(
    name: &str,
    table: &Table,
    changes: &[RowChange],
) -> Result<Vec<ConstraintViolation>> {
    let schema = table.schema();
    let mut found = BTreeSet::new();
    for change in changes {
        let RowChange::Update { key, row } = change else {
            continue;
        };
        for (i, column) in schema.columns.iter().enumerate() {
            if !column.nullable && row[i].is_null() {
                found.insert(ConstraintViolation {
                    table: name.to_string(),
                    kind: ViolationKind::NotNull {
                        column: column.name.clone(),
                    },
                    key: key.clone(),
                });
            }
        }
        for (i, index) in schema.indexes.iter().enumerate() {
            if !index.unique {
                continue;
            }
            let Some(values) = table.index_values(i, row)? else {
                continue;
            };
            // NULLs collide only in a NULLS NOT DISTINCT index.
            if !index.collides(&values) {
                continue;
            }
            let keys = table.index_lookup(i, &values)?;
            if keys.len() < 2 {
                continue;
            }
            for key in keys {
                found.insert(ConstraintViolation {
                    table: name.to_string(),
                    kind: ViolationKind::Unique {
                        index: index.name.clone(),
                    },
                    key,
                });
            }
        }
    }
    Ok(found.into_iter().collect())
}
