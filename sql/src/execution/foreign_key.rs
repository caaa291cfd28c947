//! FOREIGN KEY enforcement. As a child: every row written with a complete (NULL-free) foreign
//! key must find its referenced row in the parent (23503). As a parent: after rows are deleted,
//! or updated so that their referenced columns change, each referencing table is scanned for rows
//! that pointed at the old values and the constraint's action runs: NO ACTION / RESTRICT fail
//! the statement (23503), CASCADE deletes or re-points the child rows, SET NULL / SET DEFAULT
//! rewrite them; changes to children cascade further in turn. Everything happens on the
//! statement's copy of the root, so a failure anywhere leaves the database unchanged.
//!
//! A DEFERRABLE foreign key that is deferred (INITIALLY DEFERRED, or SET CONSTRAINTS ..
//! DEFERRED) inside a transaction block is not checked by the statements of the block: they
//! record it in the block's [`Deferral`], and COMMIT checks every row of each recorded table
//! ([`check_deferred`]). NO ACTION is deferred with it; RESTRICT never is, as in PostgreSQL.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{FkAction, ForeignKeyDef, RootValue, RowChange, Schema, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::constraints::{check_local, key_detail};
use crate::execution::insert::{apply, load, store};
use crate::execution::OrdRow;
use crate::expr::Row;
use crate::planner::default_value;
use crate::types::cast;

/// How deep cascades may go before vdb gives up (a cycle of CASCADE constraints).
const MAX_CASCADE_DEPTH: usize = 64;

/// A row change seen by the parent: the old row and the new one (None: deleted).
pub type Removed = (Row, Option<Row>);

/// A transaction block's deferred foreign keys: what SET CONSTRAINTS chose, and the
/// constraints its statements left for COMMIT to check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deferral {
    /// SET CONSTRAINTS ALL DEFERRED (`Some(true)`) or IMMEDIATE (`Some(false)`).
    pub all: Option<bool>,
    /// SET CONSTRAINTS name, ... DEFERRED / IMMEDIATE, by constraint name (after `all`).
    pub named: BTreeMap<String, bool>,
    /// (child table, constraint) left unchecked.
    pub pending: BTreeSet<(String, String)>,
}

impl Deferral {
    /// Whether foreign key `fk` waits for COMMIT.
    fn defers(&self, fk: &ForeignKeyDef) -> bool {
        fk.deferrable
            && self
                .named
                .get(&fk.name)
                .copied()
                .or(self.all)
                .unwrap_or(fk.initially_deferred)
    }
}

thread_local! {
    /// The deferral of the transaction block whose statement is running on this thread; none
    /// outside a block, where every foreign key is checked by its statement.
    static DEFERRAL: RefCell<Option<Deferral>> = const { RefCell::new(None) };
}

/// Runs `f` (a statement of a transaction block) with the block's `deferral`, which comes back
/// with the constraints the statement left for COMMIT.
pub fn with_deferral<T>(deferral: &mut Deferral, f: impl FnOnce() -> T) -> T {
    let outer = DEFERRAL.with(|d| d.replace(Some(std::mem::take(deferral))));
    let result = f();
    if let Some(back) = DEFERRAL.with(|d| d.replace(outer)) {
        *deferral = back;
    }
    result
}

/// Whether the running statement defers `fk` of table `child`; if so, records it.
fn deferred(child: &str, fk: &ForeignKeyDef) -> bool {
    DEFERRAL.with(|d| match d.borrow_mut().as_mut() {
        Some(deferral) if deferral.defers(fk) => {
            deferral
                .pending
                .insert((child.to_string(), fk.name.clone()));
            true
        }
        _ => false,
    })
}

/// COMMIT's check of the deferred foreign keys: every row of each pending table against its
/// parent, as the constraint would have checked it (23503). A table or constraint dropped
/// since is skipped.
pub fn check_deferred(
    pending: &BTreeSet<(String, String)>,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    for (child, constraint) in pending {
        let Some(table) = root
            .get_table(ns, child)
            .map_err(|e| Error::engine(format!("loading table \"{child}\""), e))?
        else {
            continue;
        };
        let Some(fk) = table
            .schema()
            .foreign_keys
            .iter()
            .find(|fk| &fk.name == constraint)
        else {
            continue;
        };
        check_one(child, &table, fk, &all_rows(&table)?, root, ns)?;
    }
    Ok(())
}

/// Whether the running statement's session replicates (`session_replication_role =
/// replica`, as bulk loaders and restores set it): PostgreSQL then fires no ordinary trigger,
/// and so checks no foreign key and runs no referential action, as here.
pub fn replicating() -> bool {
    crate::planner::context::snapshot()
        .is_some_and(|s| s.settings.get("session_replication_role").as_deref() == Some("replica"))
}

/// 23503 if a row written to `name` (now `table`) references a missing parent row.
pub fn check_children(
    name: &str,
    table: &Table,
    written: &[Row],
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    check_children_of(name, table, written, root, ns, |fk| !deferred(name, fk))
}

/// [`check_children`] for the rows an ALTER TABLE rewrote: NOT VALID foreign keys hold only
/// for rows written since they were added, and are left out.
pub fn check_validated_children(
    name: &str,
    table: &Table,
    rows: &[Row],
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    check_children_of(name, table, rows, root, ns, |fk| !fk.not_valid)
}

/// Checks the rows against the foreign keys of `table` that `checked` picks.
fn check_children_of(
    name: &str,
    table: &Table,
    rows: &[Row],
    root: &RootValue,
    ns: &NodeStore,
    checked: impl Fn(&ForeignKeyDef) -> bool,
) -> Result<()> {
    if replicating() {
        return Ok(());
    }
    for fk in table.schema().foreign_keys.iter().filter(|fk| checked(fk)) {
        check_one(name, table, fk, rows, root, ns)?;
    }
    Ok(())
}

/// The primary-map keys of the rows of `table` (named `name`) whose complete foreign key names
/// no parent row, each with the constraint's name (`vdb_verify_constraints`). A missing parent
/// table has no rows.
pub fn missing_parents(
    name: &str,
    table: &Table,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Vec<(bytes::Bytes, String)>> {
    let schema = table.schema();
    let mut out = Vec::new();
    for fk in &schema.foreign_keys {
        let parent = if fk.ref_table == name {
            Some(table.clone())
        } else {
            root.get_table(ns, &fk.ref_table)
                .map_err(|e| Error::engine(format!("loading table \"{}\"", fk.ref_table), e))?
        };
        let positions = schema.positions(&fk.columns);
        for entry in table.scan().map_err(|e| Error::engine("scanning", e))? {
            let (key, row) = entry.map_err(|e| Error::engine("scanning", e))?;
            let values: Vec<Value> = positions.iter().map(|&p| row[p].clone()).collect();
            if values.iter().any(Value::is_null) {
                continue;
            }
            let found = match &parent {
                Some(parent) => parent_has(parent, fk, &values)?,
                None => false,
            };
            if !found {
                out.push((key, fk.name.clone()));
            }
        }
    }
    Ok(out)
}

/// Every row of `table`.
fn all_rows(table: &Table) -> Result<Vec<Row>> {
    table
        .scan()
        .map_err(|e| Error::engine("scanning", e))?
        .map(|entry| {
            entry
                .map(|(_, row)| row)
                .map_err(|e| Error::engine("scanning", e))
        })
        .collect()
}

/// 23503 if a row of `written` references a missing parent row through `fk`.
fn check_one(
    name: &str,
    table: &Table,
    fk: &ForeignKeyDef,
    written: &[Row],
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let schema = table.schema();
    let parent = if fk.ref_table == name {
        table.clone()
    } else {
        load(&fk.ref_table, root, ns)?
    };
    let positions = schema.positions(&fk.columns);
    for row in written {
        let values: Vec<Value> = positions.iter().map(|&p| row[p].clone()).collect();
        if values.iter().any(Value::is_null) {
            continue;
        }
        if !parent_has(&parent, fk, &values)? {
            let names: Vec<String> = positions
                .iter()
                .map(|&p| schema.columns[p].name.clone())
                .collect();
            return Err(Error::ForeignKeyViolation {
                table: name.to_string(),
                constraint: fk.name.clone(),
                message: format!(
                    "insert or update on table \"{name}\" violates foreign key constraint \"{}\"",
                    fk.name
                ),
                detail: key_detail(
                    &names,
                    &values,
                    &format!("is not present in table \"{}\"", fk.ref_table),
                ),
            });
        }
    }
    Ok(())
}

/// Whether `parent` has a row whose referenced columns equal `values`.
fn parent_has(parent: &Table, fk: &ForeignKeyDef, values: &[Value]) -> Result<bool> {
    let schema = parent.schema();
    let positions = ref_positions(schema, fk)?;
    let mut by_position: BTreeMap<usize, Value> = BTreeMap::new();
    for (&p, v) in positions.iter().zip(values) {
        by_position.insert(p, cast(v.clone(), &schema.columns[p].ty)?);
    }
    let key_positions = schema.key_positions();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    let mut key_sorted = key_positions.clone();
    key_sorted.sort_unstable();
    if !key_positions.is_empty() && key_sorted == sorted {
        let key_values: Vec<Value> = key_positions
            .iter()
            .map(|p| by_position[p].clone())
            .collect();
        let key = parent
            .encode_key_values(&key_values)
            .map_err(|e| Error::engine("encoding key", e))?;
        return Ok(parent
            .get(&key)
            .map_err(|e| Error::engine("reading row", e))?
            .is_some());
    }
    for (i, index) in schema.indexes.iter().enumerate() {
        if !index.is_plain() {
            continue;
        }
        let mut cols = schema.positions(&index.columns);
        let ordered: Vec<Value> = cols
            .iter()
            .map(|p| by_position.get(p).cloned().unwrap_or(Value::Null))
            .collect();
        cols.sort_unstable();
        if index.unique && cols == sorted {
            let found = parent
                .index_lookup(i, &ordered)
                .map_err(|e| Error::engine("reading index", e))?;
            return Ok(!found.is_empty());
        }
    }
    for entry in parent.scan().map_err(|e| Error::engine("scanning", e))? {
        let (_, row) = entry.map_err(|e| Error::engine("scanning", e))?;
        if positions
            .iter()
            .zip(values)
            .all(|(&p, v)| row[p].sql_cmp(v).is_eq())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Positions in the parent of the columns a foreign key references.
fn ref_positions(parent: &Schema, fk: &ForeignKeyDef) -> Result<Vec<usize>> {
    fk.ref_columns
        .iter()
        .map(|c| {
            parent
                .columns
                .iter()
                .position(|col| &col.name == c)
                .ok_or_else(|| Error::UndefinedColumn(format!("column \"{c}\" does not exist")))
        })
        .collect()
}

/// Runs the actions of the foreign keys that reference table `parent`, whose rows `removed`
/// were deleted or updated.
pub fn enforce_parent(
    parent: &str,
    removed: &[Removed],
    root: &mut RootValue,
    ns: &NodeStore,
    depth: usize,
) -> Result<()> {
    if removed.is_empty() || replicating() {
        return Ok(());
    }
    if depth > MAX_CASCADE_DEPTH {
        return Err(Error::invalid(
            "54001",
            "foreign key cascades nest too deeply",
        ));
    }
    let parent_schema = load(parent, root, ns)?.schema().clone();
    let names: Vec<String> = root.table_names().map(str::to_string).collect();
    for child_name in names {
        let fks: Vec<ForeignKeyDef> = load(&child_name, root, ns)?
            .schema()
            .foreign_keys
            .iter()
            .filter(|fk| fk.ref_table == parent)
            .cloned()
            .collect();
        let mut changed = false;
        for fk in fks {
            changed |= enforce_one(
                parent,
                &parent_schema,
                &child_name,
                &fk,
                removed,
                root,
                ns,
                depth,
            )?;
        }
        if changed {
            // The rewritten child rows must still find their parents (SET DEFAULT to a missing
            // key fails), judged once every action on this child has run.
            let child = load(&child_name, root, ns)?;
            check_children(&child_name, &child, &all_rows(&child)?, root, ns)?;
        }
    }
    Ok(())
}

/// One foreign key of `child` against the parent's removed rows; returns whether it changed
/// the child.
#[allow(clippy::too_many_arguments)]
fn enforce_one(
    parent: &str,
    parent_schema: &Schema,
    child_name: &str,
    fk: &ForeignKeyDef,
    removed: &[Removed],
    root: &mut RootValue,
    ns: &NodeStore,
    depth: usize,
) -> Result<bool> {
    let ref_pos = ref_positions(parent_schema, fk)?;
    // Old referenced values → new ones (None: the parent row is gone).
    let mut gone: BTreeMap<OrdRow, Option<Row>> = BTreeMap::new();
    for (old, new) in removed {
        let old_values: Row = ref_pos.iter().map(|&p| old[p].clone()).collect();
        if old_values.iter().any(Value::is_null) {
            continue;
        }
        let new_values = new
            .as_ref()
            .map(|n| ref_pos.iter().map(|&p| n[p].clone()).collect::<Row>());
        if new_values
            .as_ref()
            .is_some_and(|n| OrdRow(n.clone()) == OrdRow(old_values.clone()))
        {
            continue;
        }
        gone.insert(OrdRow(old_values), new_values);
    }
    if gone.is_empty() {
        return Ok(false);
    }
    let child = load(child_name, root, ns)?;
    let schema = child.schema().clone();
    let positions = schema.positions(&fk.columns);
    let mut changes = Vec::new();
    let mut cascaded: Vec<Removed> = Vec::new();
    for entry in child.scan().map_err(|e| Error::engine("scanning", e))? {
        let (key, row) = entry.map_err(|e| Error::engine("scanning", e))?;
        let values: Row = positions.iter().map(|&p| row[p].clone()).collect();
        if values.iter().any(Value::is_null) {
            continue;
        }
        let Some(new_values) = gone.get(&OrdRow(values.clone())) else {
            continue;
        };
        let action = if new_values.is_some() {
            fk.on_update
        } else {
            fk.on_delete
        };
        let new_row = match (action, new_values) {
            // A deferred NO ACTION leaves the child row to COMMIT's check.
            (FkAction::NoAction, _) if deferred(child_name, fk) => continue,
            (FkAction::NoAction | FkAction::Restrict, _) => {
                let names: Vec<String> = ref_pos
                    .iter()
                    .map(|&p| parent_schema.columns[p].name.clone())
                    .collect();
                return Err(Error::ForeignKeyViolation {
                    table: child_name.to_string(),
                    constraint: fk.name.clone(),
                    message: format!(
                        "update or delete on table \"{parent}\" violates foreign key constraint \"{}\" on table \"{child_name}\"",
                        fk.name
                    ),
                    detail: key_detail(
                        &names,
                        &values,
                        &format!("is still referenced from table \"{child_name}\""),
                    ),
                });
            }
            (FkAction::Cascade, None) => None,
            (FkAction::Cascade, Some(new_values)) => {
                let mut new_row = row.clone();
                for (&p, v) in positions.iter().zip(new_values) {
                    new_row[p] = cast(v.clone(), &schema.columns[p].ty)?;
                }
                Some(new_row)
            }
            (FkAction::SetNull, _) => {
                let mut new_row = row.clone();
                for &p in &positions {
                    new_row[p] = Value::Null;
                }
                Some(new_row)
            }
            (FkAction::SetDefault, _) => {
                let mut new_row = row.clone();
                for &p in &positions {
                    new_row[p] = default_value(&schema.columns[p])?.eval(&[])?;
                }
                Some(new_row)
            }
        };
        match &new_row {
            None => changes.push(RowChange::Delete(key)),
            Some(new_row) => changes.push(RowChange::Update {
                key,
                row: new_row.clone(),
            }),
        }
        cascaded.push((row, new_row));
    }
    if changes.is_empty() {
        return Ok(false);
    }
    let table = apply(child_name, &child, changes)?;
    let written: Vec<Row> = cascaded.iter().filter_map(|(_, n)| n.clone()).collect();
    check_local(child_name, &table, &written)?;
    store(child_name, &table, root)?;
    enforce_parent(child_name, &cascaded, root, ns, depth + 1)?;
    Ok(true)
}

/// 2BP01 if a table outside `dropping` has a foreign key to `name`.
pub fn refuse_drop_referenced(
    name: &str,
    dropping: &[String],
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    for other in root.table_names() {
        if dropping.iter().any(|d| d == other) {
            continue;
        }
        let table = load(other, root, ns)?;
        if let Some(fk) = table
            .schema()
            .foreign_keys
            .iter()
            .find(|fk| fk.ref_table == name)
        {
            return Err(Error::depended_on(
                &format!("table {name}"),
                &[format!(
                    "constraint {} on table {other} depends on table {name}",
                    fk.name
                )],
            ));
        }
    }
    Ok(())
}
