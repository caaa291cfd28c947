//! Table schemas. Columns carry stable ids that survive renames and reordering, so that diffs and
//! merges can follow a column across versions; the primary key, indexes and constraints name
//! columns by id.

use crate::error::{Error, Result};
use crate::value::Type;
use serde::{Deserialize, Serialize};

/// A column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Stable id, unique within the table, never reused.
    pub id: u32,
    pub name: String,
    pub ty: Type,
    pub nullable: bool,
    /// The default as SQL expression text (evaluated by the SQL layer).
    pub default: Option<String>,
}

/// A secondary index (unique ones enforce UNIQUE constraints).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    /// Indexed columns by id, in index order.
    pub columns: Vec<u32>,
    pub unique: bool,
    /// Whether the index backs a UNIQUE constraint (rather than CREATE UNIQUE INDEX).
    pub constraint: bool,
}

/// A CHECK constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDef {
    pub name: String,
    /// The condition as SQL expression text.
    pub expr: String,
}

/// What a foreign key does when the referenced row changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// A FOREIGN KEY constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKeyDef {
    pub name: String,
    /// Referencing columns by id.
    pub columns: Vec<u32>,
    pub ref_table: String,
    /// Referenced columns by name (the other table's ids are not ours to keep).
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

/// A table's schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Columns in their SQL order.
    pub columns: Vec<Column>,
    /// Primary-key columns by id, in key order. Empty: the table is keyless.
    pub primary_key: Vec<u32>,
    pub indexes: Vec<IndexDef>,
    pub checks: Vec<CheckDef>,
    pub foreign_keys: Vec<ForeignKeyDef>,
    /// The id the next added column gets.
    pub next_column_id: u32,
}

impl Schema {
    /// A schema of `(name, type, nullable)` columns with the named primary-key columns (which
    /// are made NOT NULL).
    pub fn new(columns: &[(&str, Type, bool)], primary_key: &[&str]) -> Result<Schema> {
        let mut schema = Schema {
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            next_column_id: 1,
        };
        for (name, ty, nullable) in columns {
            schema.add_column(name, ty.clone(), *nullable, None)?;
        }
        for name in primary_key {
            let id = schema.must_get_column(name)?.id;
            if schema.primary_key.contains(&id) {
                return Err(Error::InvalidInput(format!(
                    "column \"{name}\" appears twice in primary key"
                )));
            }
            schema.primary_key.push(id);
            schema.column_mut(id).expect("found above").nullable = false;
        }
        Ok(schema)
    }

    /// Appends a column with a fresh id; returns the id.
    pub fn add_column(
        &mut self,
        name: &str,
        ty: Type,
        nullable: bool,
        default: Option<String>,
    ) -> Result<u32> {
        if self.get_column(name).is_some() {
            return Err(Error::InvalidInput(format!(
                "column \"{name}\" specified more than once"
            )));
        }
        let id = self.next_column_id;
        self.next_column_id += 1;
        self.columns.push(Column {
            id,
            name: name.to_string(),
            ty,
            nullable,
            default,
        });
        Ok(id)
    }

    /// The column named `name`.
    pub fn get_column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column named `name`, or an error naming it.
    pub fn must_get_column(&self, name: &str) -> Result<&Column> {
        self.get_column(name)
            .ok_or_else(|| Error::NotFound(format!("column \"{name}\" does not exist")))
    }

    /// The column with id `id`.
    pub fn column_by_id(&self, id: u32) -> Option<&Column> {
        self.columns.iter().find(|c| c.id == id)
    }

    fn column_mut(&mut self, id: u32) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.id == id)
    }

    /// The position of column `id` in SQL order.
    pub fn position(&self, id: u32) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// Whether the table has no primary key (and so a hidden row id).
    pub fn is_keyless(&self) -> bool {
        self.primary_key.is_empty()
    }

    /// Positions (in SQL order) of the primary-key columns, in key order.
    pub fn key_positions(&self) -> Vec<usize> {
        self.positions(&self.primary_key)
    }

    /// Positions of the columns stored in the row (every column not in the primary key).
    pub fn value_positions(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| !self.primary_key.contains(&self.columns[i].id))
            .collect()
    }

    /// Positions of the given column ids.
    pub fn positions(&self, ids: &[u32]) -> Vec<usize> {
        ids.iter().filter_map(|&id| self.position(id)).collect()
    }

    /// The types at the given positions.
    pub fn types_at(&self, positions: &[usize]) -> Vec<Type> {
        positions
            .iter()
            .map(|&i| self.columns[i].ty.clone())
            .collect()
    }

    /// Checks internal consistency: unique names and ids, keys and indexes naming columns.
    pub fn validate(&self) -> Result<()> {
        for (i, c) in self.columns.iter().enumerate() {
            if self.columns[..i]
                .iter()
                .any(|d| d.name == c.name || d.id == c.id)
            {
                return Err(Error::InvalidInput(format!(
                    "column \"{}\" specified more than once",
                    c.name
                )));
            }
            if c.id >= self.next_column_id {
                return Err(Error::InvalidInput(format!(
                    "column \"{}\" has an unassigned id",
                    c.name
                )));
            }
        }
        let all_ids = self
            .primary_key
            .iter()
            .chain(self.indexes.iter().flat_map(|x| &x.columns));
        for id in all_ids {
            if self.column_by_id(*id).is_none() {
                return Err(Error::InvalidInput(format!(
                    "key or index names unknown column id {id}"
                )));
            }
        }
        Ok(())
    }
}
