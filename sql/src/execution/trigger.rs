//! Triggers at execution: CREATE and DROP TRIGGER change a table's list of them, and the
//! writes of INSERT (ON CONFLICT too), UPDATE and DELETE call the triggers of their table here,
//! as PostgreSQL does.
//!
//! - BEFORE ... FOR EACH ROW: for each row about to be written, before generated columns and
//!   constraints; the function's result replaces the new row, and NULL skips the row.
//! - AFTER ... FOR EACH ROW: for each row written, once the statement's rows are stored (and
//!   its foreign-key actions done), in the order the rows were written.
//! - FOR EACH STATEMENT: once, before the first row or after the last, even when no row is
//!   written.
//!
//! A table's triggers fire in the order of their names. A trigger function runs against the
//! root the statement is writing, so what it writes to other tables is part of the statement;
//! its statements fire triggers in turn, as deep as functions may nest (54001 beyond).

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{
    split_qualified, Column, FunctionReturns, RootValue, Schema, Table, TriggerDef, TriggerEvent,
};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::expr::Row;
use crate::plpgsql::function::{call_trigger, TriggerCall};

/// The write a trigger fires on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Insert => "INSERT",
            Op::Update => "UPDATE",
            Op::Delete => "DELETE",
        }
    }
}

/// The triggers of one table for one write, sorted by name (copied out of the table's schema,
/// so that the write may load the table again after a trigger wrote to it).
pub struct Triggers {
    table: String,
    columns: Vec<Column>,
    op: Op,
    list: Vec<TriggerDef>,
}

impl Triggers {
    /// The triggers of table `table` (schema `schema`) that fire on `op`; an UPDATE assigns the
    /// columns at positions `assigned`.
    pub fn new(table: &str, schema: &Schema, op: Op, assigned: &[usize]) -> Triggers {
        let mut triggers = Triggers {
            table: table.to_string(),
            columns: Vec::new(),
            op,
            list: Vec::new(),
        };
        // A replicating session (`session_replication_role = replica`, as bulk loaders and
        // restores set it) fires no trigger, as PostgreSQL fires no ordinary one then.
        if schema.triggers.is_empty() || super::foreign_key::replicating() {
            return triggers;
        }
        let assigned: Vec<&str> = assigned
            .iter()
            .filter_map(|&i| schema.columns.get(i).map(|c| c.name.as_str()))
            .collect();
        triggers.list = schema
            .triggers
            .iter()
            .filter(|t| {
                t.events.iter().any(|e| match (e, op) {
                    (TriggerEvent::Insert, Op::Insert) | (TriggerEvent::Delete, Op::Delete) => true,
                    (TriggerEvent::Update(columns), Op::Update) => {
                        columns.is_empty() || columns.iter().any(|c| assigned.contains(&c.as_str()))
                    }
                    _ => false,
                })
            })
            .cloned()
            .collect();
        triggers.list.sort_by(|a, b| a.name.cmp(&b.name));
        if !triggers.list.is_empty() {
            triggers.columns = schema.columns.clone();
        }
        triggers
    }

    /// Whether no trigger fires.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Runs the BEFORE ... FOR EACH ROW triggers on a row: the row to write (the new row; the
    /// old one for DELETE), or `None` when a trigger skips it. Each trigger sees the row as the
    /// one before it left it as NEW, and the original row as OLD. Such a trigger may not write
    /// the table itself (0A000): the statement is writing it.
    pub fn before_row(
        &self,
        old: Option<&[Value]>,
        new: Option<Row>,
        root: &mut RootValue,
    ) -> Result<Option<Row>> {
        let mut row = match self.op {
            Op::Delete => old.map(<[Value]>::to_vec),
            _ => new,
        };
        for trigger in self.list.iter().filter(|t| t.before && t.for_each_row) {
            let Some(current) = row else {
                return Ok(None);
            };
            let new = (self.op != Op::Delete).then_some(current);
            let before = root.table_addr(&self.table);
            let fired = self.fire(trigger, old, new, root)?;
            if root.table_addr(&self.table) != before {
                return Err(Error::invalid(
                    "0A000",
                    format!(
                        "BEFORE trigger \"{}\" wrote to table \"{}\", which its statement is \
                         writing: vdb does not support that; use an AFTER trigger",
                        trigger.name,
                        split_qualified(&self.table).1
                    ),
                ));
            }
            row = match (self.op, fired) {
                // A DELETE trigger's non-NULL result only says to go on.
                (Op::Delete, Some(_)) => old.map(<[Value]>::to_vec),
                (_, fired) => fired,
            };
        }
        Ok(row)
    }

    /// Runs the AFTER ... FOR EACH ROW triggers on each written row: `(old, new)` pairs.
    pub fn after_rows(
        &self,
        rows: &[(Option<Row>, Option<Row>)],
        root: &mut RootValue,
    ) -> Result<()> {
        for (old, new) in rows {
            for trigger in self.list.iter().filter(|t| !t.before && t.for_each_row) {
                self.fire(trigger, old.as_deref(), new.clone(), root)?;
            }
        }
        Ok(())
    }

    /// Runs the BEFORE ... FOR EACH STATEMENT triggers; `table` is loaded again when they wrote
    /// to it.
    pub fn before_statement(
        &self,
        table: &mut Table,
        root: &mut RootValue,
        ns: &NodeStore,
    ) -> Result<()> {
        if !self.list.iter().any(|t| t.before && !t.for_each_row) {
            return Ok(());
        }
        let before = root.table_addr(&self.table);
        self.statement(true, root)?;
        if root.table_addr(&self.table) != before {
            *table = super::insert::load(&self.table, root, ns)?;
        }
        Ok(())
    }

    /// Runs the AFTER ... FOR EACH STATEMENT triggers.
    pub fn after_statement(&self, root: &mut RootValue) -> Result<()> {
        self.statement(false, root)
    }

    /// Runs the FOR EACH STATEMENT triggers of one timing.
    fn statement(&self, before: bool, root: &mut RootValue) -> Result<()> {
        for trigger in self
            .list
            .iter()
            .filter(|t| t.before == before && !t.for_each_row)
        {
            self.fire(trigger, None, None, root)?;
        }
        Ok(())
    }

    fn fire(
        &self,
        trigger: &TriggerDef,
        old: Option<&[Value]>,
        new: Option<Row>,
        root: &mut RootValue,
    ) -> Result<Option<Row>> {
        let function = trigger_function(root, &trigger.function)?;
        let snapshot = crate::planner::context::snapshot()
            .ok_or_else(|| Error::Unsupported("firing a trigger outside a SQL statement".into()))?;
        crate::expr::nested_function(|| {
            call_trigger(
                &function,
                &TriggerCall {
                    trigger,
                    table: &self.table,
                    columns: &self.columns,
                    op: self.op.name(),
                    old,
                    new,
                },
                root,
                &snapshot,
            )
        })
    }
}

/// CREATE [OR REPLACE] TRIGGER: `trigger` added to table `table` (42710 when it has one of that
/// name, unless `or_replace`, which replaces it).
pub fn add(
    table: &str,
    trigger: TriggerDef,
    or_replace: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    change_triggers(table, root, ns, |triggers| {
        match triggers.iter().position(|t| t.name == trigger.name) {
            Some(at) if or_replace => triggers[at] = trigger,
            Some(_) => {
                return Err(Error::invalid(
                    "42710",
                    format!(
                        "trigger \"{}\" for relation \"{}\" already exists",
                        trigger.name,
                        split_qualified(table).1
                    ),
                ))
            }
            None => triggers.push(trigger),
        }
        Ok(())
    })
}

/// DROP TRIGGER [IF EXISTS] `name` ON `table` (42704 when it has none of that name).
pub fn remove(
    table: &str,
    name: &str,
    if_exists: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    change_triggers(table, root, ns, |triggers| {
        if let Some(at) = triggers.iter().position(|t| t.name == name) {
            triggers.remove(at);
            return Ok(());
        }
        let message = format!(
            "trigger \"{name}\" for table \"{}\" does not exist",
            split_qualified(table).1
        );
        if !if_exists {
            return Err(Error::invalid("42704", message));
        }
        crate::notice::raise(crate::notice::Notice::new(
            "00000",
            format!("{message}, skipping"),
        ));
        Ok(())
    })
}

/// Stores table `table` with its triggers as `change` leaves them (no row is touched).
fn change_triggers(
    table: &str,
    root: &mut RootValue,
    ns: &NodeStore,
    change: impl FnOnce(&mut Vec<TriggerDef>) -> Result<()>,
) -> Result<()> {
    let loaded = super::insert::load(table, root, ns)?;
    let mut triggers = loaded.schema().triggers.clone();
    change(&mut triggers)?;
    super::insert::store(table, &loaded.with_triggers(triggers), root)
}

/// The function trigger `key` runs: a function of that name taking no arguments and
/// returning trigger.
pub fn trigger_function(root: &RootValue, key: &str) -> Result<vdb_engine::table::Function> {
    root.get_functions(key)
        .and_then(|o| o.get(&[]))
        .filter(|f| f.returns == FunctionReturns::Trigger)
        .cloned()
        .ok_or_else(|| {
            Error::invalid(
                "42883",
                format!("function {key}() does not exist or does not return trigger"),
            )
        })
}
