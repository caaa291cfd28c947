//! Name resolution against one database state (the session's or transaction's root): tables by
//! name, with an optional `public.` schema prefix. Names are resolved when a statement runs, so
//! a statement always sees the tables of the root it runs against.

use sqlparser::ast::ObjectName;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, Sequence, Table, View};

use crate::error::{Error, Result};
use crate::planner::ident_name;

/// The tables of one root value.
#[derive(Debug)]
pub struct Catalog<'a> {
    root: &'a RootValue,
    ns: &'a NodeStore,
}

impl<'a> Catalog<'a> {
    pub fn new(root: &'a RootValue, ns: &'a NodeStore) -> Catalog<'a> {
        Catalog { root, ns }
    }

    /// Table `name`, if it exists.
    pub fn get_table(&self, name: &str) -> Result<Option<Table>> {
        self.root
            .get_table(self.ns, name)
            .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))
    }

    /// View `name`, if it exists.
    pub fn get_view(&self, name: &str) -> Option<&'a View> {
        self.root.get_view(name)
    }

    /// Sequence `name`, if it exists.
    pub fn get_sequence(&self, name: &str) -> Option<&'a Sequence> {
        self.root.get_sequence(name)
    }

    /// Sequence names, ascending.
    pub fn sequence_names(&self) -> impl Iterator<Item = &'a str> {
        self.root.sequence_names()
    }

    /// Table `name`, or 42P01 naming it (0A000 for a view: vdb does not write through views).
    pub fn must_get_table(&self, name: &str) -> Result<Table> {
        if self.root.get_view(name).is_some() {
            return Err(Error::invalid(
                "0A000",
                format!("cannot change view \"{name}\": writing through views is not supported"),
            ));
        }
        self.get_table(name)?
            .ok_or_else(|| Error::UndefinedTable(name.to_string()))
    }
}

/// What a name in FROM refers to: a system table (schema, table) or a user table.
#[derive(Clone, Debug, PartialEq)]
pub enum TableRef {
    System(String, String),
    User(String),
}

/// Resolves a FROM name as PostgreSQL's default search path does (`pg_catalog` first, then
/// `public`); `information_schema` tables need their schema.
pub fn resolve_table(name: &ObjectName) -> Result<TableRef> {
    match name.0.as_slice() {
        [table] if crate::system::is_pg_catalog_table(&ident_name(table)) => {
            Ok(TableRef::System("pg_catalog".into(), ident_name(table)))
        }
        [schema, table] if crate::system::is_system_schema(&ident_name(schema)) => {
            Ok(TableRef::System(ident_name(schema), ident_name(table)))
        }
        _ => table_name(name).map(TableRef::User),
    }
}

/// The table name an object name refers to: `t` or `public.t` (other schemas do not exist).
pub fn table_name(name: &ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [table] => Ok(ident_name(table)),
        [schema, table] if ident_name(schema) == "public" => Ok(ident_name(table)),
        [schema, _] => Err(Error::invalid(
            "3F000",
            format!("schema \"{}\" does not exist", ident_name(schema)),
        )),
        _ => Err(Error::Unsupported(format!("qualified name {name}"))),
    }
}
