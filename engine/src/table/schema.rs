//! Table schemas. Columns carry stable ids that survive renames and reordering, so that diffs and
//! merges can follow a column across versions; the primary key, indexes and constraints name
//! columns by id.
//!
//! A column's id is derived from its definition when it is added (as Dolt derives column tags),
//! not allocated from a per-table counter: the first 4 bytes, big-endian, of
//! `blake3("vdb-column-id-v1" | 0x00 | name | 0x00 | type's Display text)`, rehashed with a
//! counter while the id is 0 or taken by another column of the schema (`column_id` below). So:
//!
//! - the same column (same name and type) added on two branches gets the same id on both, and a
//!   three-way merge sees one column;
//! - different columns get different ids (up to a 32-bit hash collision, which the counter
//!   resolves within one schema);
//! - the id is stored, never recomputed: a rename or retype keeps it.
//!
//! A column dropped and later added again with the same name and type gets its old id back, so
//! history sees one column whose values went NULL, not a new column.

use crate::error::{Error, Result};
use crate::value::Type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Stable id, unique within the table and non-zero, derived from the column's name and type
    /// when it was added (see the module header); kept across renames and retypes.
    pub id: u32,
    pub name: String,
    pub ty: Type,
    pub nullable: bool,
    /// The default as SQL expression text (evaluated by the SQL layer).
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression's SQL text, which the SQL layer
    /// evaluates over each written row. Not part of the encoded schema: the table chunk stores
    /// it after the schema, only when a column has one (see `Table::save`), so tables without
    /// generated columns keep their hashes.
    #[serde(skip)]
    pub generated: Option<String>,
    /// Fractional-second digits kept by a `time(p)`, `timestamp(p)` or `timestamptz(p)`
    /// column (0 to 5; `None` keeps all six). Written values are rounded to it. Not part of
    /// the encoded schema: the table chunk stores it after the schema, only when set.
    #[serde(skip)]
    pub precision: Option<u8>,
    /// The domain the column was declared with (its key in the root), whose constraints the SQL
    /// layer checks on each value written; `ty` is the domain's base type. Not part of the
    /// encoded schema: the table chunk stores it after the schema, only when set.
    #[serde(skip)]
    pub domain: Option<String>,
}

/// A secondary index (unique ones enforce UNIQUE constraints).
///
/// An index part is a column or an expression over the row (`CREATE INDEX ON t (lower(x))`),
/// and a partial index holds only the rows its predicate is true for. The engine does not
/// evaluate SQL: expressions and predicates are SQL text that a registered
/// [`IndexEvaluator`](super::IndexEvaluator) computes. The fields after `constraint` are not
/// part of the encoded schema: the table chunk stores them after it, only when an index has
/// one (see `Table::save`), so tables of plain indexes keep their hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    /// Indexed columns by id, in index order; 0 marks an expression part, whose expression is
    /// the next one of `expressions`.
    pub columns: Vec<u32>,
    pub unique: bool,
    /// Whether the index backs a UNIQUE constraint (rather than CREATE UNIQUE INDEX).
    pub constraint: bool,
    /// The expressions of the parts marked 0 in `columns`, in order.
    #[serde(skip)]
    pub expressions: Vec<IndexExpr>,
    /// A partial index's `WHERE` condition as SQL text: rows for which it is not true have no
    /// entry.
    #[serde(skip)]
    pub predicate: Option<String>,
    /// Per part, PostgreSQL's `indoption` bits as declared: [`INDEX_DESC`] and
    /// [`INDEX_NULLS_FIRST`] (empty: every part ASC NULLS LAST). Recorded for the catalog only:
    /// entries are kept in ascending order, which serves scans in either direction.
    #[serde(skip)]
    pub options: Vec<u8>,
    /// `INCLUDE` columns by id. Recorded for the catalog only: entries hold the row's key, and
    /// the row holds these.
    #[serde(skip)]
    pub include: Vec<u32>,
    /// `UNIQUE NULLS NOT DISTINCT`: rows whose values are NULL in the same parts collide.
    #[serde(skip)]
    pub nulls_not_distinct: bool,
}

/// An index part's `options` bit: declared DESC.
pub const INDEX_DESC: u8 = 1;
/// An index part's `options` bit: NULLs sort first (the default of DESC).
pub const INDEX_NULLS_FIRST: u8 = 2;

/// An expression part of an index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexExpr {
    /// SQL text over the table's columns.
    pub sql: String,
    /// The type of its value (fixed when the index is created).
    pub ty: Type,
}

impl IndexDef {
    /// Whether every part is a column and every row has an entry: what lookups by column
    /// values and uniqueness by column values can use.
    pub fn is_plain(&self) -> bool {
        self.expressions.is_empty() && self.predicate.is_none()
    }

    /// Whether two rows with index values `values` collide in this unique index: NULLs are
    /// distinct from each other unless the index is NULLS NOT DISTINCT.
    pub fn collides(&self, values: &[crate::value::Value]) -> bool {
        self.nulls_not_distinct || !values.iter().any(crate::value::Value::is_null)
    }

    /// Whether any of `expressions`, `predicate`, `options` or `include` is set: what the
    /// table chunk stores after the schema.
    pub fn has_extras(&self) -> bool {
        !self.is_plain() || self.options.iter().any(|o| *o != 0) || !self.include.is_empty()
    }
}

/// A CHECK constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDef {
    pub name: String,
    /// The condition as SQL expression text.
    pub expr: String,
    /// Added `NOT VALID`: rows written since are checked, the rows before were not (until
    /// `VALIDATE CONSTRAINT`). Not part of the encoded schema: the table chunk stores it
    /// after the schema, only when set.
    #[serde(skip)]
    pub not_valid: bool,
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
    /// DEFERRABLE: SET CONSTRAINTS may put off its check to COMMIT. Not part of the encoded
    /// schema: the table chunk stores it after the schema, only when set.
    #[serde(skip)]
    pub deferrable: bool,
    /// INITIALLY DEFERRED: a transaction block checks it at COMMIT (implies `deferrable`).
    #[serde(skip)]
    pub initially_deferred: bool,
    /// Added `NOT VALID` (see [`CheckDef::not_valid`]).
    #[serde(skip)]
    pub not_valid: bool,
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
    /// `COMMENT ON` texts. Not part of the encoded schema: the table chunk stores them after
    /// it, and only when there are any, so tables without comments keep their hashes.
    #[serde(skip)]
    pub comments: Comments,
    /// The primary key's constraint name when it is not the default `<table>_pkey`
    /// (`CONSTRAINT name PRIMARY KEY`). Not part of the encoded schema: the table chunk stores
    /// it after it, only when set.
    #[serde(skip)]
    pub primary_key_name: Option<String>,
    /// Set when the table is a materialized view: its rows are the stored query's, as of the
    /// last refresh. Not part of the encoded schema: the table chunk stores it after it, only
    /// when set.
    #[serde(skip)]
    pub materialized: Option<Materialized>,
    /// The table's triggers, in creation order. Not part of the encoded schema: the table chunk
    /// stores them after it, only when there are any.
    #[serde(skip)]
    pub triggers: Vec<TriggerDef>,
}

/// A trigger (`CREATE TRIGGER`): a function the SQL layer runs when rows of the table are
/// written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerDef {
    pub name: String,
    /// True for BEFORE, false for AFTER.
    pub before: bool,
    pub events: Vec<TriggerEvent>,
    /// FOR EACH ROW (true) or FOR EACH STATEMENT (false).
    pub for_each_row: bool,
    /// The WHEN condition, as SQL text over NEW and OLD.
    pub when: Option<String>,
    /// The key of the function it runs (a PL/pgSQL function returning trigger).
    pub function: String,
    /// The arguments given to the function (`TG_ARGV`).
    pub args: Vec<String>,
}

/// What a trigger fires on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerEvent {
    Insert,
    /// UPDATE, or `UPDATE OF` the listed columns (by name).
    Update(Vec<String>),
    Delete,
    Truncate,
}

/// What makes a table a materialized view (`CREATE MATERIALIZED VIEW`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Materialized {
    /// The query, as SQL text; its output columns are the table's, in order.
    pub query: String,
    /// False after `WITH NO DATA`: the rows are not the query's until a refresh.
    pub populated: bool,
}

/// The comments of a table and of its columns (`COMMENT ON TABLE / COLUMN`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comments {
    pub table: Option<String>,
    /// By column id.
    pub columns: BTreeMap<u32, String>,
}

impl Comments {
    /// Whether there is no comment at all.
    pub fn is_empty(&self) -> bool {
        self.table.is_none() && self.columns.is_empty()
    }
}

/// Domain-separation tag of the column-id derivation; a different derivation needs a new tag.
const COLUMN_ID_TAG: &[u8] = b"vdb-column-id-v1";

/// The `attempt`-th candidate id for a column `name` of type `ty`: attempt 0 first, then 1, 2, …
/// while the candidate is 0 or taken. The bytes hashed (blake3), then the id:
///
/// ```text
/// "vdb-column-id-v1" | 0x00 | name (UTF-8) | 0x00 | ty's Display text (UTF-8)
///                    [ | 0x00 | attempt: u32 big-endian ]      only when attempt > 0
/// id = first 4 bytes of the hash as a big-endian u32
/// ```
fn column_id(name: &str, ty: &Type, attempt: u32) -> u32 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(COLUMN_ID_TAG);
    hasher.update(&[0]);
    hasher.update(name.as_bytes());
    hasher.update(&[0]);
    hasher.update(ty.to_string().as_bytes());
    if attempt > 0 {
        hasher.update(&[0]);
        hasher.update(&attempt.to_be_bytes());
    }
    let hash = hasher.finalize();
    let first: [u8; 4] = hash.as_bytes()[..4]
        .try_into()
        .expect("a hash has 32 bytes");
    u32::from_be_bytes(first)
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
            comments: Comments::default(),
            primary_key_name: None,
            materialized: None,
            triggers: Vec::new(),
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

    /// The primary key's constraint (and index) name in table `table` (its bare name):
    /// the name it was given, or PostgreSQL's default `<table>_pkey`.
    pub fn primary_key_name(&self, table: &str) -> String {
        self.primary_key_name
            .clone()
            .unwrap_or_else(|| format!("{table}_pkey"))
    }

    /// Checks that every index part names a column of the schema or has its expression: what
    /// a loaded table needs before its indexes can be read (the rest of [`Schema::validate`]
    /// was checked when the table was written).
    pub fn check_index_parts(&self) -> Result<()> {
        for index in &self.indexes {
            let parts = index.columns.iter().filter(|id| **id == 0).count();
            if parts != index.expressions.len() {
                return Err(Error::InvalidInput(format!(
                    "index \"{}\" has {parts} expression parts but {} expressions",
                    index.name,
                    index.expressions.len()
                )));
            }
            if let Some(id) = index
                .columns
                .iter()
                .find(|id| **id != 0 && self.column_by_id(**id).is_none())
            {
                return Err(Error::InvalidInput(format!(
                    "index \"{}\" names unknown column id {id}",
                    index.name
                )));
            }
        }
        Ok(())
    }

    /// Appends a column with an id derived from `name` and `ty` (see the module header); returns
    /// the id.
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
        let id = (0..)
            .map(|attempt| column_id(name, &ty, attempt))
            .find(|&id| id != 0 && self.column_by_id(id).is_none())
            .expect("a 32-bit id space has a free id");
        self.columns.push(Column {
            id,
            name: name.to_string(),
            ty,
            nullable,
            default,
            generated: None,
            precision: None,
            domain: None,
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

    pub fn column_mut(&mut self, id: u32) -> Option<&mut Column> {
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

    /// Checks internal consistency: unique names, unique non-zero ids, keys and indexes naming
    /// columns.
    pub fn validate(&self) -> Result<()> {
        for (i, c) in self.columns.iter().enumerate() {
            let earlier = &self.columns[..i];
            if earlier.iter().any(|d| d.name == c.name) {
                return Err(Error::InvalidInput(format!(
                    "column \"{}\" specified more than once",
                    c.name
                )));
            }
            if let Some(d) = earlier.iter().find(|d| d.id == c.id) {
                return Err(Error::InvalidInput(format!(
                    "columns \"{}\" and \"{}\" have the same id {}",
                    d.name, c.name, c.id
                )));
            }
            if c.id == 0 {
                return Err(Error::InvalidInput(format!(
                    "column \"{}\" has id 0",
                    c.name
                )));
            }
        }
        self.check_index_parts()?;
        let all_ids = self.primary_key.iter().chain(
            self.indexes
                .iter()
                .flat_map(|x| x.columns.iter().chain(&x.include))
                .filter(|id| **id != 0),
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the derivation (tag, separators, name, type text, byte order): changing any of them
    /// would give every existing column a different id than the same column added from now on.
    #[test]
    fn golden_column_id() {
        let schema = Schema::new(&[("label", Type::Int4, true)], &[]).unwrap();
        assert_eq!(schema.must_get_column("label").unwrap().id, 0x212d_1ef4);
        // The same, from the layout written above `column_id`.
        let hash = blake3::hash(b"vdb-column-id-v1\x00label\x00integer");
        assert_eq!(&hash.as_bytes()[..4], &0x212d_1ef4_u32.to_be_bytes());
        let mut retry = b"vdb-column-id-v1\x00label\x00integer\x00".to_vec();
        retry.extend_from_slice(&1u32.to_be_bytes());
        let hash = blake3::hash(&retry);
        let want = u32::from_be_bytes(hash.as_bytes()[..4].try_into().unwrap());
        assert_eq!(column_id("label", &Type::Int4, 1), want);
    }

    #[test]
    fn ids_depend_on_name_and_type_only() {
        let mut a = Schema::new(&[("id", Type::Int8, false)], &["id"]).unwrap();
        let mut b = Schema::new(
            &[("id", Type::Int8, false), ("x", Type::Text, true)],
            &["id"],
        )
        .unwrap();
        let in_a = a.add_column("note", Type::Text, true, None).unwrap();
        let in_b = b
            .add_column("note", Type::Text, false, Some("'-'".into()))
            .unwrap();
        assert_eq!(
            in_a, in_b,
            "position, nullability and default do not matter"
        );
        assert_ne!(in_a, column_id("note", &Type::Varchar(None), 0));
        assert_ne!(in_a, column_id("notes", &Type::Text, 0));
    }

    #[test]
    fn taken_id_is_rehashed_with_a_counter() {
        let mut schema = Schema::new(&[("a", Type::Text, true)], &[]).unwrap();
        schema.columns[0].id = column_id("x", &Type::Int4, 0);
        let id = schema.add_column("x", Type::Int4, true, None).unwrap();
        assert_eq!(id, column_id("x", &Type::Int4, 1));
        assert_ne!(id, schema.columns[0].id);
        schema.validate().unwrap();
    }

    #[test]
    fn validate_rejects_duplicate_and_zero_ids() {
        let mut schema =
            Schema::new(&[("a", Type::Int8, false), ("b", Type::Int8, true)], &["a"]).unwrap();
        schema.validate().unwrap();
        schema.columns[1].id = schema.columns[0].id;
        let err = schema.validate().unwrap_err().to_string();
        assert!(err.contains("have the same id"), "{err}");
        schema.columns[1].id = 0;
        let err = schema.validate().unwrap_err().to_string();
        assert!(err.contains("has id 0"), "{err}");
    }
}
