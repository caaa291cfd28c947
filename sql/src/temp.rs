//! Temporary tables: a session's private objects, never part of a version.
//!
//! A temporary table lives in schema `pg_temp` ([`TEMP_SCHEMA`]), keyed `pg_temp.t` as any
//! schema's objects are keyed, with the sequences of its serial columns, its indexes and the
//! temporary views over it. The catalogs call the schema `pg_temp_3` ([`TEMP_SCHEMA_DISPLAY`],
//! the name PostgreSQL gives the first backend's), and `pg_temp.t`, `pg_temp_3.t` and (the
//! temporary schema being searched first) a bare `t` all name the table.
//!
//! The session keeps these objects in a root value of its own, [`TempObjects`]. Around each
//! statement:
//!
//! 1. [`TempObjects::overlay`] lays them over the root the statement reads (the working root,
//!    or the transaction block's root), so planning, execution, indexes and the system catalogs
//!    treat them as ordinary tables: there is no temp-specific executor path.
//! 2. After the statement, [`split`] takes every `pg_temp` object off the root again, before the
//!    root is compared, merged or written to the branch's working set. So commits, `vdb status`,
//!    `vdb_diff`, merges and other sessions on the branch never see them.
//! 3. The session keeps what was split off. A transaction block saves the [`TempState`] at
//!    BEGIN and at each savepoint and puts it back on ROLLBACK, so a temporary table created or
//!    filled in a rolled-back block is gone, as in PostgreSQL; at each commit (each autocommit
//!    statement, or COMMIT) the `ON COMMIT DELETE ROWS` tables are emptied and the
//!    `ON COMMIT DROP` tables dropped ([`TempObjects::on_commit_statements`]).
//!
//! Their chunks are written to the repository's chunk store, where no root references them.
//! While the session has any, it keeps a garbage-collection hold (taken before the statement
//! that made the first one) so that `vdb gc` does not remove chunks written since.

use std::collections::BTreeMap;

use sqlparser::ast;
use vdb_engine::store::WriteHold;
use vdb_engine::table::{qualified, split_qualified, RootValue};

use crate::planner::ident_name;
use crate::system::quote_ident;

/// The schema temporary objects are keyed in (`pg_temp.t`); PostgreSQL's alias for the
/// session's temporary schema.
pub const TEMP_SCHEMA: &str = "pg_temp";

/// The temporary schema's name in the catalogs (`pg_namespace`, `information_schema`).
pub const TEMP_SCHEMA_DISPLAY: &str = "pg_temp_3";

/// Whether `schema` names the session's temporary schema (`pg_temp` or `pg_temp_3`).
pub fn is_temp_schema(schema: &str) -> bool {
    schema == TEMP_SCHEMA || schema == TEMP_SCHEMA_DISPLAY
}

/// The schema part of an object key for schema name `schema`: `pg_temp` for either spelling
/// of the temporary schema, the name itself otherwise.
pub fn key_schema(schema: &str) -> &str {
    if is_temp_schema(schema) {
        TEMP_SCHEMA
    } else {
        schema
    }
}

/// The name the catalogs show for the schema keyed `schema`.
pub fn display_schema(schema: &str) -> &str {
    if schema == TEMP_SCHEMA {
        TEMP_SCHEMA_DISPLAY
    } else {
        schema
    }
}

/// Whether object key `key` is a temporary object's.
pub fn is_temp_key(key: &str) -> bool {
    key.contains('.') && split_qualified(key).0 == TEMP_SCHEMA
}

/// A column default as the catalogs show it: a temporary sequence unqualified
/// (`nextval('t_id_seq'::regclass)`), as PostgreSQL prints a relation its search path finds.
pub fn display_default(default: &str) -> String {
    default.replace(&format!("nextval('{TEMP_SCHEMA}."), "nextval('")
}

/// Takes the temporary objects off `root` (step 2 of the module doc).
pub fn split(root: &mut RootValue) -> RootValue {
    root.take_schema(TEMP_SCHEMA)
}

/// What a temporary table does when a transaction commits (`ON COMMIT ...`); PRESERVE ROWS,
/// the default, does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnCommit {
    DeleteRows,
    Drop,
}

/// The session's temporary objects at one moment: what a transaction block or a savepoint
/// saves and ROLLBACK restores.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TempState {
    /// Only `pg_temp` objects (and the `pg_temp` schema, while there are any).
    root: RootValue,
    /// The tables created with ON COMMIT DELETE ROWS or DROP, by key.
    on_commit: BTreeMap<String, OnCommit>,
}

/// A session's temporary objects (see the module doc).
#[derive(Debug, Default)]
pub struct TempObjects {
    state: TempState,
    /// Keeps garbage collection off the chunks of the temporary objects while there are any.
    hold: Option<WriteHold>,
}

impl TempObjects {
    /// Lays the temporary objects over `root` (step 1 of the module doc).
    pub fn overlay(&self, root: &mut RootValue) {
        if !self.state.root.is_empty() {
            root.overlay(&self.state.root);
        }
    }

    /// The current state, to restore on ROLLBACK.
    pub fn state(&self) -> TempState {
        self.state.clone()
    }

    /// Whether the session has any temporary object (the temporary schema, as in
    /// PostgreSQL, stays once made, but holds no chunks).
    pub fn is_empty(&self) -> bool {
        let root = &self.state.root;
        root.table_names().next().is_none()
            && root.sequence_names().next().is_none()
            && root.view_names().next().is_none()
            && root.type_names().next().is_none()
    }

    /// Makes `state` current (a rollback, or DISCARD TEMP with an empty state).
    pub fn restore(&mut self, state: TempState) {
        self.state = state;
        if self.is_empty() {
            self.hold = None;
        }
    }

    /// Makes `root` (what [`split`] took off a statement's root) the temporary objects, after
    /// `statement` ran. `statement` may set an ON COMMIT action. `hold` is a garbage-collection hold taken before the statement: it is
    /// kept if the session now has temporary objects and held none.
    pub fn update(
        &mut self,
        root: RootValue,
        statement: Option<&ast::Statement>,
        hold: Option<WriteHold>,
    ) {
        if let Some((key, action)) = statement.and_then(on_commit_of) {
            if self.state.root.table_addr(&key).is_none() && root.table_addr(&key).is_some() {
                self.state.on_commit.insert(key, action);
            }
        }
        self.state.root = root;
        let TempState { root, on_commit } = &mut self.state;
        on_commit.retain(|key, _| root.table_addr(key).is_some());
        self.keep_hold(hold);
    }

    /// Keeps `hold` if the session has temporary objects and no hold yet; lets go of the hold
    /// once it has none.
    pub fn keep_hold(&mut self, hold: Option<WriteHold>) {
        if self.is_empty() {
            self.hold = None;
        } else if self.hold.is_none() {
            self.hold = hold;
        }
    }

    /// The statements a commit runs on the temporary objects: TRUNCATE of the ON COMMIT
    /// DELETE ROWS tables, then DROP of the ON COMMIT DROP tables.
    pub fn on_commit_statements(&self) -> Vec<String> {
        let names = |wanted: OnCommit| -> Vec<String> {
            self.state
                .on_commit
                .iter()
                .filter(|(_, action)| **action == wanted)
                .map(|(key, _)| {
                    let (_, name) = split_qualified(key);
                    format!("{TEMP_SCHEMA}.{}", quote_ident(name))
                })
                .collect()
        };
        let mut statements = Vec::new();
        let truncate = names(OnCommit::DeleteRows);
        if !truncate.is_empty() {
            statements.push(format!("TRUNCATE {}", truncate.join(", ")));
        }
        let drop = names(OnCommit::Drop);
        if !drop.is_empty() {
            statements.push(format!("DROP TABLE IF EXISTS {} CASCADE", drop.join(", ")));
        }
        statements
    }

    /// The temporary objects alone, as a root (what the commit statements run on).
    pub fn root(&self) -> RootValue {
        self.state.root.clone()
    }
}

/// The key and ON COMMIT action of a CREATE TEMPORARY TABLE with ON COMMIT DELETE ROWS or
/// DROP.
fn on_commit_of(statement: &ast::Statement) -> Option<(String, OnCommit)> {
    let ast::Statement::CreateTable(create) = statement else {
        return None;
    };
    let action = match create.on_commit? {
        ast::OnCommit::DeleteRows => OnCommit::DeleteRows,
        ast::OnCommit::Drop => OnCommit::Drop,
        ast::OnCommit::PreserveRows => return None,
    };
    let name = create.name.0.last().map(ident_name)?;
    Some((qualified(TEMP_SCHEMA, &name), action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_name_the_temporary_schema() {
        assert_eq!(key_schema("pg_temp_3"), TEMP_SCHEMA);
        assert_eq!(key_schema("pg_temp"), TEMP_SCHEMA);
        assert_eq!(key_schema("sales"), "sales");
        assert_eq!(display_schema(TEMP_SCHEMA), TEMP_SCHEMA_DISPLAY);
        assert!(is_temp_key("pg_temp.t") && !is_temp_key("t") && !is_temp_key("s.t"));
        assert_eq!(
            display_default("nextval('pg_temp.t_id_seq'::regclass)"),
            "nextval('t_id_seq'::regclass)"
        );
    }

    /// ON COMMIT actions are remembered for the table a CREATE made, and forgotten with it.
    #[test]
    fn on_commit_actions_follow_their_tables() {
        let parse = |sql: &str| crate::parse(sql).expect(sql).remove(0);
        let create = parse("CREATE TEMP TABLE \"T\" (a int) ON COMMIT DELETE ROWS");
        let ns = vdb_engine::prolly::NodeStore::new(std::sync::Arc::new(
            vdb_engine::store::MemoryStore::new(),
        ));
        let schema =
            vdb_engine::table::Schema::new(&[("a", vdb_engine::value::Type::Int4, true)], &[])
                .expect("schema");
        let table = vdb_engine::table::Table::create(&ns, schema).expect("table");
        let mut root = RootValue::empty();
        root.put_table("pg_temp.T", &table).expect("put");
        let mut temp = TempObjects::default();
        temp.update(root.clone(), Some(&create), None);
        assert_eq!(temp.on_commit_statements(), ["TRUNCATE pg_temp.\"T\""]);
        assert!(!temp.is_empty());
        root.remove_table("pg_temp.T");
        temp.update(root, None, None);
        assert!(temp.on_commit_statements().is_empty() && temp.is_empty());
    }
}
