//! The plan of a statement that changes the database's schema objects rather than rows: tables,
//! sequences, indexes and schemas. One [`SchemaChange`] per statement, executed by `execution/ddl.rs`.

use std::fmt;

use vdb_engine::table::{Function, IndexDef, Schema, Sequence, View};

use crate::planner::alter::AlterTable;
use crate::planner::Plan;

/// A change to the schema objects of the root.
#[derive(Clone, Debug, PartialEq)]
pub enum SchemaChange {
    /// CREATE TABLE, with the sequences of its SERIAL and identity columns.
    CreateTable {
        name: String,
        schema: Schema,
        if_not_exists: bool,
        sequences: Vec<(String, Sequence)>,
    },
    /// CREATE TABLE .. AS query: the table, then the query's rows inserted.
    CreateTableAs {
        name: String,
        schema: Schema,
        source: Box<Plan>,
        if_not_exists: bool,
        /// False for a materialized view created WITH NO DATA: the query is not run.
        populate: bool,
    },
    /// DROP TABLE (the sequences the tables own go with them; with CASCADE, the views that
    /// use them too).
    DropTables {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
        /// DROP MATERIALIZED VIEW: every name must be one (and DROP TABLE's must not).
        materialized: bool,
    },
    /// REFRESH MATERIALIZED VIEW: the table's rows replaced by its query's (`source`), or
    /// emptied and marked unpopulated (`WITH NO DATA`, no source).
    RefreshMaterialized {
        name: String,
        source: Option<Box<Plan>>,
    },
    /// CREATE [OR REPLACE] VIEW.
    CreateView {
        name: String,
        view: View,
        or_replace: bool,
    },
    /// CREATE [OR REPLACE] FUNCTION: one overload of `name`.
    CreateFunction {
        name: String,
        function: Function,
        or_replace: bool,
    },
    /// CREATE [OR REPLACE] TRIGGER on table `table`.
    CreateTrigger {
        table: String,
        trigger: vdb_engine::table::TriggerDef,
        or_replace: bool,
    },
    /// DROP TRIGGER [IF EXISTS] `name` ON `table`.
    DropTrigger {
        table: String,
        name: String,
        if_exists: bool,
    },
    /// DROP FUNCTION: each function's key and argument types (`None`: its only overload).
    DropFunctions {
        functions: Vec<(String, Option<Vec<vdb_engine::value::Type>>)>,
        if_exists: bool,
        /// DROP PROCEDURE: each must be a procedure (otherwise, none may be).
        procedures: bool,
    },
    /// DROP VIEW (with CASCADE, the views that use them too).
    DropViews {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    CreateSequence {
        name: String,
        sequence: Sequence,
        if_not_exists: bool,
    },
    DropSequences {
        names: Vec<String>,
        if_exists: bool,
    },
    /// ALTER SEQUENCE [IF EXISTS]: `alter` applied to the sequence's current state. With
    /// `identity_column`, `name` is a table and the sequence is that identity column's
    /// (`ALTER TABLE t ALTER COLUMN c RESTART`).
    AlterSequence {
        name: String,
        identity_column: Option<String>,
        alter: crate::planner::sequence::SequenceAlter,
        if_exists: bool,
    },
    /// CREATE [UNIQUE] INDEX: adds the index to the table's schema and builds it.
    CreateIndex {
        table: String,
        index: IndexDef,
        if_not_exists: bool,
    },
    /// DROP INDEX: the index's table is found at execution.
    DropIndexes {
        names: Vec<String>,
        if_exists: bool,
    },
    /// ALTER INDEX `from` RENAME TO `to` (`from` qualified as DROP INDEX names it; `to` bare,
    /// in the same schema). A primary key's index is renamed with its constraint.
    RenameIndex {
        from: String,
        to: String,
    },
    /// CREATE/DROP INDEX's rebuild: the table's new schema, rows carried over by column id.
    ReplaceSchema {
        table: String,
        schema: Schema,
    },
    /// ALTER TABLE (other than RENAME TO): a new schema and how rows carry over.
    AlterTable(Box<AlterTable>),
    /// TRUNCATE: the tables emptied; with RESTART IDENTITY their owned sequences start over;
    /// with CASCADE the tables whose foreign keys reference them are emptied too.
    Truncate {
        names: Vec<String>,
        restart_identity: bool,
        cascade: bool,
    },
    /// COMMENT ON TABLE / COLUMN (column by id); `None` removes the comment.
    Comment {
        table: String,
        column: Option<u32>,
        comment: Option<String>,
    },
    /// ALTER TABLE IF EXISTS on a missing table.
    Nothing,
    /// ALTER TABLE .. RENAME TO.
    RenameTable {
        from: String,
        to: String,
    },
    /// ALTER SEQUENCE (or ALTER TABLE) .. RENAME TO of a sequence.
    RenameSequence {
        from: String,
        to: String,
    },
    /// CREATE SCHEMA.
    CreateSchema {
        name: String,
        if_not_exists: bool,
    },
    /// DROP SCHEMA (with CASCADE, the objects in them too).
    DropSchemas {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    /// ALTER SCHEMA .. RENAME TO (`from` = `to`: OWNER TO, which only checks the schema).
    RenameSchema {
        from: String,
        to: String,
    },
    /// CREATE TYPE .. AS ENUM.
    CreateType {
        name: String,
        labels: Vec<String>,
    },
    /// DROP TYPE.
    DropTypes {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    /// ALTER TYPE.
    AlterType {
        name: String,
        change: TypeChange,
    },
    /// CREATE DOMAIN.
    CreateDomain {
        name: String,
        domain: vdb_engine::table::Domain,
    },
    /// DROP DOMAIN.
    DropDomains {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    /// ALTER DOMAIN.
    AlterDomain {
        name: String,
        change: DomainChange,
    },
}

/// What an ALTER DOMAIN does.
#[derive(Clone, Debug, PartialEq)]
pub enum DomainChange {
    /// ADD [CONSTRAINT name] CHECK (expr): existing column values must satisfy it.
    AddCheck { name: String, expr: String },
    /// DROP CONSTRAINT [IF EXISTS] name.
    DropConstraint { name: String, if_exists: bool },
    /// RENAME CONSTRAINT from TO to.
    RenameConstraint { from: String, to: String },
    /// SET DEFAULT e / DROP DEFAULT.
    SetDefault(Option<String>),
    /// SET NOT NULL (existing column values must not be NULL) / DROP NOT NULL.
    NotNull(bool),
    /// RENAME TO (a bare name, in the domain's schema).
    Rename { to: String },
    /// OWNER TO: vdb has one role; only checks that the domain exists.
    Owner,
}

/// What an ALTER TYPE does to an enum type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeChange {
    /// ADD VALUE, at the end or next to `neighbor` (label, whether before it).
    AddValue {
        label: String,
        if_not_exists: bool,
        neighbor: Option<(String, bool)>,
    },
    /// RENAME VALUE.
    RenameValue { from: String, to: String },
    /// RENAME TO (a bare name, in the type's schema).
    Rename { to: String },
    /// OWNER TO: vdb has one role; only checks that the type exists.
    Owner,
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaChange::CreateTable { name, .. } => write!(f, "CreateTable: {name}"),
            SchemaChange::DropTables { names, .. } => write!(f, "DropTable: {}", names.join(", ")),
            SchemaChange::RefreshMaterialized { name, .. } => {
                write!(f, "RefreshMaterializedView: {name}")
            }
            SchemaChange::CreateSequence { name, .. } => write!(f, "CreateSequence: {name}"),
            SchemaChange::AlterSequence { name, .. } => write!(f, "AlterSequence: {name}"),
            SchemaChange::DropSequences { names, .. } => {
                write!(f, "DropSequence: {}", names.join(", "))
            }
            SchemaChange::CreateIndex { table, index, .. } => {
                write!(f, "CreateIndex: {} on {table}", index.name)
            }
            SchemaChange::DropIndexes { names, .. } => {
                write!(f, "DropIndex: {}", names.join(", "))
            }
            SchemaChange::RenameIndex { from, to } => write!(f, "RenameIndex: {from} to {to}"),
            SchemaChange::ReplaceSchema { table, .. } => write!(f, "RebuildTable: {table}"),
            SchemaChange::AlterTable(alter) => write!(f, "AlterTable: {}", alter.table),
            SchemaChange::Nothing => write!(f, "Nothing"),
            SchemaChange::Comment { table, .. } => write!(f, "Comment: {table}"),
            SchemaChange::CreateTableAs { name, .. } => write!(f, "CreateTableAs: {name}"),
            SchemaChange::Truncate { names, .. } => write!(f, "Truncate: {}", names.join(", ")),
            SchemaChange::RenameTable { from, to } => write!(f, "RenameTable: {from} to {to}"),
            SchemaChange::RenameSequence { from, to } => {
                write!(f, "RenameSequence: {from} to {to}")
            }
            SchemaChange::CreateView { name, .. } => write!(f, "CreateView: {name}"),
            SchemaChange::CreateFunction { name, .. } => write!(f, "CreateFunction: {name}"),
            SchemaChange::CreateTrigger { table, trigger, .. } => {
                write!(f, "CreateTrigger: {} on {table}", trigger.name)
            }
            SchemaChange::DropTrigger { table, name, .. } => {
                write!(f, "DropTrigger: {name} on {table}")
            }
            SchemaChange::DropFunctions { functions, .. } => {
                let names: Vec<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
                write!(f, "DropFunction: {}", names.join(", "))
            }
            SchemaChange::DropViews { names, .. } => write!(f, "DropView: {}", names.join(", ")),
            SchemaChange::CreateSchema { name, .. } => write!(f, "CreateSchema: {name}"),
            SchemaChange::DropSchemas { names, .. } => {
                write!(f, "DropSchema: {}", names.join(", "))
            }
            SchemaChange::RenameSchema { from, to } => {
                write!(f, "RenameSchema: {from} to {to}")
            }
            SchemaChange::CreateType { name, .. } => write!(f, "CreateType: {name}"),
            SchemaChange::DropTypes { names, .. } => write!(f, "DropType: {}", names.join(", ")),
            SchemaChange::AlterType { name, .. } => write!(f, "AlterType: {name}"),
            SchemaChange::CreateDomain { name, .. } => write!(f, "CreateDomain: {name}"),
            SchemaChange::DropDomains { names, .. } => {
                write!(f, "DropDomain: {}", names.join(", "))
            }
            SchemaChange::AlterDomain { name, .. } => write!(f, "AlterDomain: {name}"),
        }
    }
}
