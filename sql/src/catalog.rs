//! Name resolution against one database state (the session's or transaction's root): tables,
//! views, sequences and indexes by name, qualified by a schema (`s.t`) or found along the
//! session's `search_path`. Names are resolved when a statement runs, so a statement always sees
//! the objects of the root it runs against.
//!
//! A resolved name is the object's key in the root value: the bare name in `public`, `s.t` in
//! any other schema (see `vdb_engine::table::qualified`). An unqualified name is the first
//! object of that name along the search path; when none exists (CREATE, or a missing object),
//! it names the first existing schema of the path, where PostgreSQL would create it.

use sqlparser::ast::ObjectName;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{qualified, RootValue, Sequence, Table, View, PUBLIC_SCHEMA};

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

    /// Whether a table, view or sequence is named `name` (relations share one namespace).
    pub fn relation_exists(&self, name: &str) -> bool {
        relation_exists(self.root, self.ns, name)
    }

    /// Whether `key` names a relation or an index (which share a schema's namespace).
    pub fn relation_or_index_exists(&self, key: &str) -> bool {
        self.relation_exists(key) || index_exists(self.root, self.ns, key)
    }

    /// Table `name` for a write (INSERT, UPDATE, DELETE, MERGE, COPY FROM): 42809 for a
    /// materialized view, whose rows only a refresh changes, and for a sequence.
    pub fn writable_table(&self, name: &str) -> Result<Table> {
        if self.get_sequence(name).is_some() {
            return Err(Error::invalid(
                "42809",
                format!(
                    "cannot change sequence \"{}\"",
                    vdb_engine::table::split_qualified(name).1
                ),
            ));
        }
        let table = self.must_get_table(name)?;
        if table.schema().materialized.is_some() {
            return Err(Error::invalid(
                "42809",
                format!(
                    "cannot change materialized view \"{}\"",
                    vdb_engine::table::split_qualified(name).1
                ),
            ));
        }
        Ok(table)
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

/// Resolves a FROM name as PostgreSQL's search path does (`pg_catalog` first, then the
/// session's `search_path`); `information_schema` and `vdb` tables need their schema.
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

/// The key of the relation (table, view or sequence) an object name refers to: `s.t` in schema
/// `s` (which, like a missing relation, is 42P01 when looked up), or an unqualified name found
/// along the search path.
pub fn table_name(name: &ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [table] => Ok(resolve_unqualified(&ident_name(table), relation_exists)),
        [schema, table] | [_, schema, table] => Ok(qualified(
            crate::temp::key_schema(&ident_name(schema)),
            &ident_name(table),
        )),
        _ => Err(Error::Unsupported(format!("qualified name {name}"))),
    }
}

/// The key a CREATE TEMPORARY of `name` makes: `pg_temp.t`. A name qualified by another
/// schema is 42P16 (3F000 if that schema does not exist), as in PostgreSQL.
pub fn create_temp_name(name: &ObjectName) -> Result<String> {
    let key = create_name(name)?;
    let (schema, table) = vdb_engine::table::split_qualified(&key);
    match name.0.as_slice() {
        [_] => Ok(qualified(crate::temp::TEMP_SCHEMA, table)),
        _ if crate::temp::is_temp_key(&key) => Ok(key),
        _ => Err(Error::invalid(
            "42P16",
            format!("cannot create temporary relation in non-temporary schema \"{schema}\""),
        )),
    }
}

/// The key a CREATE of `name` makes: `s.t` for a qualified name, else the name in the first
/// existing schema of the search path (3F000 when no schema of the path exists).
pub fn create_name(name: &ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [table] => {
            let table = ident_name(table);
            match creation_schema() {
                Some(schema) => Ok(qualified(&schema, &table)),
                None => Err(Error::invalid(
                    "3F000",
                    "no schema has been selected to create in",
                )),
            }
        }
        [schema, table] | [_, schema, table] => qualify(&ident_name(schema), &ident_name(table)),
        _ => table_name(name),
    }
}

/// The key of the enum type an object name refers to, if that type exists: `s.kind`, or the
/// first type of that name along the search path.
pub fn enum_type_name(name: &ObjectName) -> Option<String> {
    let snapshot = crate::planner::context::snapshot()?;
    let key = type_name(name).ok()?;
    snapshot.root.get_type(&key).map(|_| key)
}

/// The domain a data type names, with its key, if it is one that exists.
pub fn domain_of(dt: &sqlparser::ast::DataType) -> Option<(String, vdb_engine::table::Domain)> {
    let sqlparser::ast::DataType::Custom(name, _) = dt else {
        return None;
    };
    let key = type_name(name).ok()?;
    domain_by_key(&key).map(|domain| (key, domain))
}

/// Domain `key` as the statement's snapshot has it.
pub fn domain_by_key(key: &str) -> Option<vdb_engine::table::Domain> {
    let snapshot = crate::planner::context::snapshot()?;
    snapshot.root.get_domain(key).cloned()
}

/// The key of the type an object name refers to (existing or not), as [`table_name`] resolves
/// relations.
pub fn type_name(name: &ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [ty] => Ok(resolve_unqualified(&ident_name(ty), type_exists)),
        [schema, ty] | [_, schema, ty] => Ok(qualified(
            crate::temp::key_schema(&ident_name(schema)),
            &ident_name(ty),
        )),
        _ => Err(Error::Unsupported(format!("qualified name {name}"))),
    }
}

/// Whether an enum type has key `key`.
fn type_exists(root: &RootValue, _ns: &NodeStore, key: &str) -> bool {
    root.get_type(key).is_some() || root.get_domain(key).is_some()
}

/// The key of the index an object name refers to: `s.i`, or the first index of that name
/// along the search path.
pub fn index_name(name: &ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [index] => Ok(resolve_unqualified(&ident_name(index), index_exists)),
        _ => table_name(name),
    }
}

/// `s.t` for schema `s`, or 3F000 if `s` does not exist.
fn qualify(schema: &str, table: &str) -> Result<String> {
    if schema == PUBLIC_SCHEMA {
        return Ok(table.to_string());
    }
    // The temporary schema exists whenever it is named.
    if crate::temp::is_temp_schema(schema) {
        return Ok(qualified(crate::temp::TEMP_SCHEMA, table));
    }
    match crate::planner::context::snapshot() {
        Some(snapshot) if !snapshot.root.has_schema(schema) => Err(Error::invalid(
            "3F000",
            format!("schema \"{schema}\" does not exist"),
        )),
        _ => Ok(qualified(schema, table)),
    }
}

/// The first key along the search path for which `exists` holds; else the key in the first
/// existing schema of the path (where a CREATE would put it).
fn resolve_unqualified(name: &str, exists: fn(&RootValue, &NodeStore, &str) -> bool) -> String {
    let Some(snapshot) = crate::planner::context::snapshot() else {
        return name.to_string();
    };
    let path = snapshot.search_path();
    path.iter()
        .map(|schema| qualified(schema, name))
        .find(|key| exists(&snapshot.root, &snapshot.ns, key))
        .or_else(|| path.first().map(|schema| qualified(schema, name)))
        .unwrap_or_else(|| name.to_string())
}

/// The first existing schema of the search path as set (not the temporary schema searched
/// first without being named), if any.
fn creation_schema() -> Option<String> {
    match crate::planner::context::snapshot() {
        Some(snapshot) => snapshot.explicit_search_path().into_iter().next(),
        None => Some(PUBLIC_SCHEMA.to_string()),
    }
}

/// Whether a table, view or sequence has key `key`.
pub fn relation_exists(root: &RootValue, _ns: &NodeStore, key: &str) -> bool {
    root.table_addr(key).is_some()
        || root.get_view(key).is_some()
        || root.get_sequence(key).is_some()
}

/// Whether a table of `key`'s schema has an index named like `key`'s bare name.
fn index_exists(root: &RootValue, ns: &NodeStore, key: &str) -> bool {
    index_table(root, ns, key).ok().flatten().is_some()
}

/// The key of the table holding index `key` (`s.i` looks in the tables of schema `s`).
pub fn index_table(root: &RootValue, ns: &NodeStore, key: &str) -> Result<Option<String>> {
    let (schema, index) = vdb_engine::table::split_qualified(key);
    for table in root.table_names() {
        if vdb_engine::table::split_qualified(table).0 != schema {
            continue;
        }
        let t = root
            .must_get_table(ns, table)
            .map_err(|e| Error::engine(format!("loading table \"{table}\""), e))?;
        if t.schema().indexes.iter().any(|ix| ix.name == index) {
            return Ok(Some(table.to_string()));
        }
    }
    Ok(None)
}

/// The schemas a `search_path` value names, in order, as written (`$user` included).
pub fn search_path_names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .map_or_else(|| s.to_lowercase(), |q| q.replace("\"\"", "\""))
        })
        .map(|s| crate::temp::key_schema(&s).to_string())
        .collect()
}
