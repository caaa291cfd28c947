//! Differences between two database states: per table, whether it was added, dropped or
//! modified, its schema changes (matched by stable column id, so a rename is a rename), and a
//! streaming row diff with the old and new value of every changed cell.
//!
//! Tables with the same chunk address on both sides are skipped without being read. The row
//! diff is `Map::diff` over the primary maps, so it loads only the nodes on the paths to the
//! changes; rows whose bytes differ but whose cells are all equal (a row rewritten by a schema
//! change) are left out.

use crate::error::Result;
use crate::prolly::{Diff, DiffEntry, Map, NodeStore};
use crate::table::{RootValue, Schema, Table};
use crate::value::{Type, Value};
use bytes::Bytes;
use std::collections::BTreeSet;
use std::fmt;

/// How a table changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableChange {
    Added,
    Dropped,
    Modified,
}

/// One change to a table's schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaChange {
    ColumnAdded {
        name: String,
        ty: Type,
    },
    ColumnDropped {
        name: String,
    },
    ColumnRenamed {
        from: String,
        to: String,
    },
    ColumnRetyped {
        name: String,
        from: Type,
        to: Type,
    },
    NullabilityChanged {
        name: String,
        nullable: bool,
    },
    DefaultChanged {
        name: String,
        from: Option<String>,
        to: Option<String>,
    },
    PrimaryKeyChanged {
        from: Vec<String>,
        to: Vec<String>,
    },
    IndexAdded {
        name: String,
    },
    IndexDropped {
        name: String,
    },
    IndexChanged {
        name: String,
    },
    ConstraintAdded {
        name: String,
    },
    ConstraintDropped {
        name: String,
    },
    ConstraintChanged {
        name: String,
    },
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SchemaChange::*;
        match self {
            ColumnAdded { name, ty } => write!(f, "column {name} {ty} added"),
            ColumnDropped { name } => write!(f, "column {name} dropped"),
            ColumnRenamed { from, to } => write!(f, "column {from} renamed to {to}"),
            ColumnRetyped { name, from, to } => {
                write!(f, "column {name} changed type from {from} to {to}")
            }
            NullabilityChanged { name, nullable } => {
                let what = if *nullable { "nullable" } else { "NOT NULL" };
                write!(f, "column {name} made {what}")
            }
            DefaultChanged { name, from, to } => write!(
                f,
                "column {name} default changed from {} to {}",
                from.as_deref().unwrap_or("none"),
                to.as_deref().unwrap_or("none")
            ),
            PrimaryKeyChanged { from, to } => write!(
                f,
                "primary key changed from ({}) to ({})",
                from.join(", "),
                to.join(", ")
            ),
            IndexAdded { name } => write!(f, "index {name} added"),
            IndexDropped { name } => write!(f, "index {name} dropped"),
            IndexChanged { name } => write!(f, "index {name} changed"),
            ConstraintAdded { name } => write!(f, "constraint {name} added"),
            ConstraintDropped { name } => write!(f, "constraint {name} dropped"),
            ConstraintChanged { name } => write!(f, "constraint {name} changed"),
        }
    }
}

/// One table's differences between two states.
#[derive(Clone, Debug)]
pub struct TableDiff {
    pub name: String,
    pub change: TableChange,
    /// The table in the first state (`None` if added).
    pub from: Option<Table>,
    /// The table in the second state (`None` if dropped).
    pub to: Option<Table>,
    pub schema_changes: Vec<SchemaChange>,
}

impl TableDiff {
    /// Whether any row differs (by stored bytes; O(1)).
    pub fn data_changed(&self) -> bool {
        let root = |t: &Option<Table>| t.as_ref().map(|t| t.rows().root());
        let count = |t: &Option<Table>| t.as_ref().map_or(0, Table::count);
        root(&self.from) != root(&self.to) && (count(&self.from) > 0 || count(&self.to) > 0)
    }

    /// The row differences in primary-key order, streaming.
    pub fn rows(&self, ns: &NodeStore) -> Result<RowDiffs> {
        let map = |t: &Option<Table>| -> Result<Map> {
            match t {
                Some(t) => Ok(t.rows().clone()),
                None => Map::empty(ns),
            }
        };
        let (from, to) = (map(&self.from)?, map(&self.to)?);
        let columns = match (&self.from, &self.to) {
            (Some(a), Some(b)) => column_pairs(a.schema(), b.schema()),
            _ => Vec::new(),
        };
        Ok(RowDiffs {
            diff: from.diff(&to),
            from: self.from.clone(),
            to: self.to.clone(),
            columns,
        })
    }
}

/// A changed row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowDiff {
    /// A row only in the second state (a full row of the new schema).
    Added { key: Bytes, row: Vec<Value> },
    /// A row only in the first state (a full row of the old schema).
    Deleted { key: Bytes, row: Vec<Value> },
    /// A row in both with some cells changed.
    Modified {
        key: Bytes,
        old: Vec<Value>,
        new: Vec<Value>,
        cells: Vec<CellChange>,
    },
}

/// One changed cell; a column missing on one side reads as NULL there.
#[derive(Clone, Debug, PartialEq)]
pub struct CellChange {
    /// The column's name in the second state (in the first, if it was dropped).
    pub column: String,
    pub old: Value,
    pub new: Value,
}

/// Per column (new schema's order, then dropped ones): name and position in old and new rows.
type ColumnPair = (String, Option<usize>, Option<usize>);

fn column_pairs(from: &Schema, to: &Schema) -> Vec<ColumnPair> {
    let mut pairs: Vec<ColumnPair> = to
        .columns
        .iter()
        .enumerate()
        .map(|(j, c)| (c.name.clone(), from.position(c.id), Some(j)))
        .collect();
    for (i, c) in from.columns.iter().enumerate() {
        if to.column_by_id(c.id).is_none() {
            pairs.push((c.name.clone(), Some(i), None));
        }
    }
    pairs
}

/// Streams a table's row differences (see [`TableDiff::rows`]).
#[derive(Debug)]
pub struct RowDiffs {
    diff: Diff,
    from: Option<Table>,
    to: Option<Table>,
    columns: Vec<ColumnPair>,
}

impl RowDiffs {
    fn decode(table: &Option<Table>, key: &[u8], value: &[u8]) -> Result<Vec<Value>> {
        match table {
            Some(t) => t.decode(key, value),
            None => Ok(Vec::new()),
        }
    }

    fn convert(&self, entry: DiffEntry) -> Result<Option<RowDiff>> {
        Ok(Some(match entry {
            DiffEntry::Added { key, new } => RowDiff::Added {
                row: Self::decode(&self.to, &key, &new)?,
                key,
            },
            DiffEntry::Removed { key, old } => RowDiff::Deleted {
                row: Self::decode(&self.from, &key, &old)?,
                key,
            },
            DiffEntry::Modified { key, old, new } => {
                let old = Self::decode(&self.from, &key, &old)?;
                let new = Self::decode(&self.to, &key, &new)?;
                let cells = self.cells(&old, &new);
                if cells.is_empty() {
                    return Ok(None);
                }
                RowDiff::Modified {
                    key,
                    old,
                    new,
                    cells,
                }
            }
        }))
    }

    fn cells(&self, old: &[Value], new: &[Value]) -> Vec<CellChange> {
        let at = |row: &[Value], p: Option<usize>| p.map_or(Value::Null, |p| row[p].clone());
        self.columns
            .iter()
            .filter_map(|(name, i, j)| {
                let (a, b) = (at(old, *i), at(new, *j));
                (!a.identical(&b)).then(|| CellChange {
                    column: name.clone(),
                    old: a,
                    new: b,
                })
            })
            .collect()
    }
}

impl Iterator for RowDiffs {
    type Item = Result<RowDiff>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = match self.diff.next()? {
                Ok(entry) => entry,
                Err(e) => return Some(Err(e)),
            };
            match self.convert(entry) {
                Ok(Some(row)) => return Some(Ok(row)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The differences from state `a` to state `b`, one entry per table that differs, by name.
pub fn diff_roots(ns: &NodeStore, a: &RootValue, b: &RootValue) -> Result<Vec<TableDiff>> {
    let names: BTreeSet<&str> = a.table_names().chain(b.table_names()).collect();
    let mut out = Vec::new();
    for name in names {
        let (x, y) = (a.table_addr(name), b.table_addr(name));
        if x == y {
            continue;
        }
        let from = x.map(|addr| Table::load(ns, addr)).transpose()?;
        let to = y.map(|addr| Table::load(ns, addr)).transpose()?;
        let (change, schema_changes) = match (&from, &to) {
            (None, _) => (TableChange::Added, Vec::new()),
            (_, None) => (TableChange::Dropped, Vec::new()),
            (Some(f), Some(t)) => (
                TableChange::Modified,
                schema_changes(f.schema(), t.schema()),
            ),
        };
        out.push(TableDiff {
            name: name.to_string(),
            change,
            from,
            to,
            schema_changes,
        });
    }
    Ok(out)
}

/// The schema changes from `a` to `b`, columns matched by id.
pub fn schema_changes(a: &Schema, b: &Schema) -> Vec<SchemaChange> {
    use SchemaChange::*;
    let mut out = Vec::new();
    for old in &a.columns {
        let Some(new) = b.column_by_id(old.id) else {
            out.push(ColumnDropped {
                name: old.name.clone(),
            });
            continue;
        };
        let name = new.name.clone();
        if old.name != new.name {
            out.push(ColumnRenamed {
                from: old.name.clone(),
                to: name.clone(),
            });
        }
        if old.ty != new.ty {
            out.push(ColumnRetyped {
                name: name.clone(),
                from: old.ty.clone(),
                to: new.ty.clone(),
            });
        }
        if old.nullable != new.nullable {
            out.push(NullabilityChanged {
                name: name.clone(),
                nullable: new.nullable,
            });
        }
        if old.default != new.default {
            out.push(DefaultChanged {
                name,
                from: old.default.clone(),
                to: new.default.clone(),
            });
        }
    }
    for new in &b.columns {
        if a.column_by_id(new.id).is_none() {
            out.push(ColumnAdded {
                name: new.name.clone(),
                ty: new.ty.clone(),
            });
        }
    }
    if a.primary_key != b.primary_key {
        let names = |s: &Schema| -> Vec<String> {
            s.primary_key
                .iter()
                .filter_map(|id| s.column_by_id(*id).map(|c| c.name.clone()))
                .collect()
        };
        out.push(PrimaryKeyChanged {
            from: names(a),
            to: names(b),
        });
    }
    named_changes(
        &a.indexes,
        &b.indexes,
        |x| &x.name,
        &mut out,
        |name, how| match how {
            Named::Added => IndexAdded { name },
            Named::Dropped => IndexDropped { name },
            Named::Changed => IndexChanged { name },
        },
    );
    let constraint = |name: String, how: Named| match how {
        Named::Added => ConstraintAdded { name },
        Named::Dropped => ConstraintDropped { name },
        Named::Changed => ConstraintChanged { name },
    };
    named_changes(&a.checks, &b.checks, |x| &x.name, &mut out, constraint);
    named_changes(
        &a.foreign_keys,
        &b.foreign_keys,
        |x| &x.name,
        &mut out,
        constraint,
    );
    out
}

/// How a named definition (index, constraint) changed.
enum Named {
    Added,
    Dropped,
    Changed,
}

/// The named definitions added, dropped and changed from `a` to `b`.
fn named_changes<T: PartialEq>(
    a: &[T],
    b: &[T],
    name: impl Fn(&T) -> &String,
    out: &mut Vec<SchemaChange>,
    make: impl Fn(String, Named) -> SchemaChange,
) {
    for x in a {
        match b.iter().find(|y| name(y) == name(x)) {
            None => out.push(make(name(x).clone(), Named::Dropped)),
            Some(y) if y != x => out.push(make(name(x).clone(), Named::Changed)),
            Some(_) => {}
        }
    }
    for y in b {
        if !a.iter().any(|x| name(x) == name(y)) {
            out.push(make(name(y).clone(), Named::Added));
        }
    }
}
