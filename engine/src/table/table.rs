//! A table: schema, primary map and secondary-index maps, and row changes that keep them in
//! step.
//!
//! Primary map: key = the primary-key columns through the order-preserving key codec (or, for a
//! keyless table, a hidden 16-byte row id), value = the other columns through the row codec, in
//! SQL order. Index map i: key = the index columns through the key codec followed by the row's
//! primary-map key, value = empty; so entries are unique even when index values repeat, and an
//! index lookup is a prefix range scan.
//!
//! Hidden row ids (keyless tables): 8 bytes of microseconds since the Unix epoch, big-endian,
//! then 8 bytes of a per-process random value plus a per-process counter, big-endian. Ids sort
//! by insertion time, stay with a row when it is updated (so diffs show cell changes), and two
//! branches inserting rows at once cannot pick the same id.

use super::index_expr::evaluate;
use super::schema::{Comments, IndexExpr, Schema};
use crate::codec::{
    decode_key, decode_key_with, decode_row_select, decode_row_with, encode_key, encode_row,
};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::prolly::{Map, MapBuilder, NodeStore, Range};
use crate::value::{Type, Value};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Length of a keyless table's hidden row id.
pub const HIDDEN_KEY_LEN: usize = 16;

const TABLE_TAG: u8 = b'T';
const TABLE_VERSION: u8 = 1;
/// Version 2: the version-1 body, then `postcard(Comments)`; written only when the table or a
/// column has a comment.
const TABLE_VERSION_COMMENTS: u8 = 2;
/// Version 3: the version-2 body (its comments possibly empty), then
/// `postcard(map column id → generation expression)`; written only when a column is generated.
const TABLE_VERSION_GENERATED: u8 = 3;
/// Version 4: the version-3 body (its maps possibly empty), then `postcard(TableExtras)`;
/// written only when an index has an expression part, a predicate, a DESC part or INCLUDE
/// columns, or the primary key has a name of its own.
const TABLE_VERSION_INDEX_EXTRAS: u8 = 4;
/// Version 5: the version-4 body (its extras possibly empty), then `postcard(TableMore)`;
/// written only when the table is a materialized view or a column has a time precision.
const TABLE_VERSION_MATERIALIZED: u8 = 5;
/// Version 6: the version-5 body (its trailer possibly empty), then `postcard(TableLater)`;
/// written only when a column is of a domain or a foreign key is DEFERRABLE.
const TABLE_VERSION_DOMAINS: u8 = 6;
/// Version 7: the version-6 body (its trailer possibly empty), then `postcard(Vec<TriggerDef>)`;
/// written only when the table has a trigger.
const TABLE_VERSION_TRIGGERS: u8 = 7;
/// Version 8: the version-7 body (its triggers possibly empty), then `postcard(TableFlags)`;
/// written only when a constraint is NOT VALID or a unique index is NULLS NOT DISTINCT.
const TABLE_VERSION_FLAGS: u8 = 8;

/// The version-8 trailer: positions in the schema's lists.
#[derive(Serialize, Deserialize)]
struct TableFlags {
    /// CHECK constraints added NOT VALID.
    unvalidated_checks: Vec<u32>,
    /// Foreign keys added NOT VALID.
    unvalidated_foreign_keys: Vec<u32>,
    /// Unique indexes that are NULLS NOT DISTINCT.
    nulls_not_distinct: Vec<u32>,
}

impl TableFlags {
    fn of(schema: &Schema) -> TableFlags {
        fn positions<T>(items: &[T], set: impl Fn(&T) -> bool) -> Vec<u32> {
            (0u32..)
                .zip(items)
                .filter(|(_, x)| set(x))
                .map(|(i, _)| i)
                .collect()
        }
        TableFlags {
            unvalidated_checks: positions(&schema.checks, |c| c.not_valid),
            unvalidated_foreign_keys: positions(&schema.foreign_keys, |f| f.not_valid),
            nulls_not_distinct: positions(&schema.indexes, |ix| ix.nulls_not_distinct),
        }
    }

    fn is_empty(&self) -> bool {
        self.unvalidated_checks.is_empty()
            && self.unvalidated_foreign_keys.is_empty()
            && self.nulls_not_distinct.is_empty()
    }

    /// Sets the flags on `schema`; `None` if a position is past its list.
    fn apply(&self, schema: &mut Schema) -> Option<()> {
        for &i in &self.unvalidated_checks {
            schema.checks.get_mut(usize::try_from(i).ok()?)?.not_valid = true;
        }
        for &i in &self.unvalidated_foreign_keys {
            schema
                .foreign_keys
                .get_mut(usize::try_from(i).ok()?)?
                .not_valid = true;
        }
        for &i in &self.nulls_not_distinct {
            schema
                .indexes
                .get_mut(usize::try_from(i).ok()?)?
                .nulls_not_distinct = true;
        }
        Some(())
    }
}

/// The version-6 trailer.
#[derive(Serialize, Deserialize)]
struct TableLater {
    /// Column id → the domain it was declared with.
    domains: BTreeMap<u32, String>,
    /// Foreign key position → whether it is INITIALLY DEFERRED (each listed one is
    /// DEFERRABLE).
    deferrable: BTreeMap<u32, bool>,
}

/// The version-4 trailer.
#[derive(Serialize, Deserialize)]
struct TableExtras {
    /// By index position.
    indexes: BTreeMap<u32, IndexExtras>,
    primary_key_name: Option<String>,
}

/// The version-5 trailer.
#[derive(Serialize, Deserialize)]
struct TableMore {
    materialized: Option<super::Materialized>,
    /// Column id → fractional-second digits (`timestamp(p)`).
    precisions: BTreeMap<u32, u8>,
}

/// What an index records beyond the encoded [`IndexDef`](super::IndexDef).
#[derive(Serialize, Deserialize)]
struct IndexExtras {
    expressions: Vec<IndexExpr>,
    predicate: Option<String>,
    options: Vec<u8>,
    include: Vec<u32>,
}

/// One change to a table's rows.
#[derive(Clone, Debug, PartialEq)]
pub enum RowChange {
    /// Insert a row (replacing any row with the same primary key). Keyless tables give it a new
    /// hidden id.
    Insert(Vec<Value>),
    /// Replace the row at primary-map key `key` with `row` (which may have a different primary
    /// key: the row moves).
    Update { key: Bytes, row: Vec<Value> },
    /// Delete the row at primary-map key `key`.
    Delete(Bytes),
}

/// Where each column goes, derived from the schema once.
#[derive(Debug)]
struct Layout {
    key_pos: Vec<usize>,
    key_types: Vec<Type>,
    val_pos: Vec<usize>,
    val_types: Vec<Type>,
    indexes: Vec<IndexLayout>,
    /// (position, fractional-second digits) of each `time(p)` / `timestamp(p)` column.
    precisions: Vec<(usize, u8)>,
}

/// Where an index's entry comes from.
#[derive(Debug)]
struct IndexLayout {
    parts: Vec<IndexPart>,
    /// The parts' types, for the key codec.
    types: Vec<Type>,
    /// A partial index's predicate (SQL text).
    predicate: Option<String>,
}

#[derive(Debug)]
enum IndexPart {
    /// The column at this position.
    Column(usize),
    /// This SQL text over the row.
    Expr(String),
}

impl Layout {
    fn new(schema: &Schema) -> Layout {
        let key_pos = schema.key_positions();
        let val_pos = schema.value_positions();
        let indexes = schema
            .indexes
            .iter()
            .map(|ix| {
                let mut expressions = ix.expressions.iter();
                let mut parts = Vec::with_capacity(ix.columns.len());
                let mut types = Vec::with_capacity(ix.columns.len());
                for &id in &ix.columns {
                    // `Schema::validate` saw one expression per 0 part.
                    match (id, schema.position(id)) {
                        (0, _) | (_, None) => {
                            let expr = expressions.next().expect("validated schema");
                            parts.push(IndexPart::Expr(expr.sql.clone()));
                            types.push(expr.ty.clone());
                        }
                        (_, Some(p)) => {
                            parts.push(IndexPart::Column(p));
                            types.push(schema.columns[p].ty.clone());
                        }
                    }
                }
                IndexLayout {
                    parts,
                    types,
                    predicate: ix.predicate.clone(),
                }
            })
            .collect();
        Layout {
            key_types: schema.types_at(&key_pos),
            val_types: schema.types_at(&val_pos),
            key_pos,
            val_pos,
            indexes,
            precisions: schema
                .columns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| Some((i, c.precision?)))
                .collect(),
        }
    }
}

// Table chunk layout, version 1: u8 'T' (0x54) | u8 version 1 | postcard(TableRecord).
#[derive(Serialize, Deserialize)]
struct TableRecord {
    schema: Schema,
    rows: Hash,
    indexes: Vec<Hash>,
}

/// Which columns [`Table::decode_selected_into`] builds: the key's (all or none), and each value
/// column's.
#[derive(Clone, Debug)]
pub struct ColumnSelection {
    key: bool,
    values: Vec<bool>,
}

/// What a table chunk decodes to: the record without its maps opened (so that the record
/// cache of a node store holds no reference to the store).
struct TableParts {
    schema: Arc<Schema>,
    layout: Arc<Layout>,
    rows: Hash,
    indexes: Vec<Hash>,
}

/// A table at one version. Immutable: changes return a new `Table`.
#[derive(Clone, Debug)]
pub struct Table {
    schema: Arc<Schema>,
    layout: Arc<Layout>,
    rows: Map,
    indexes: Vec<Map>,
}

impl Table {
    /// An empty table with `schema`.
    pub fn create(ns: &NodeStore, schema: Schema) -> Result<Table> {
        schema.validate()?;
        let empty = Map::empty(ns)?;
        let indexes = vec![empty.clone(); schema.indexes.len()];
        Ok(Table {
            layout: Arc::new(Layout::new(&schema)),
            schema: Arc::new(schema),
            rows: empty,
            indexes,
        })
    }

    /// Loads the table chunk at `addr` (its record decoded once per node store, see
    /// [`NodeStore::load_record`]).
    pub fn load(ns: &NodeStore, addr: Hash) -> Result<Table> {
        let parts = ns.load_record(&addr, |bytes| Table::decode_chunk(addr, &bytes))?;
        let indexes = parts
            .indexes
            .iter()
            .map(|h| Map::load(ns, *h))
            .collect::<Result<_>>()?;
        Ok(Table {
            schema: parts.schema.clone(),
            layout: parts.layout.clone(),
            rows: Map::load(ns, parts.rows)?,
            indexes,
        })
    }

    /// Decodes a table chunk's bytes into its parts.
    fn decode_chunk(addr: Hash, bytes: &[u8]) -> Result<TableParts> {
        if bytes.len() < 2
            || bytes[0] != TABLE_TAG
            || !matches!(
                bytes[1],
                TABLE_VERSION
                    | TABLE_VERSION_COMMENTS
                    | TABLE_VERSION_GENERATED
                    | TABLE_VERSION_INDEX_EXTRAS
                    | TABLE_VERSION_MATERIALIZED
                    | TABLE_VERSION_DOMAINS
                    | TABLE_VERSION_TRIGGERS
                    | TABLE_VERSION_FLAGS
            )
        {
            return Err(Error::corrupted(
                addr,
                "not a table chunk of a known version",
            ));
        }
        let malformed =
            |e: postcard::Error| Error::corrupted(addr, format!("malformed table chunk: {e}"));
        let (mut record, rest): (TableRecord, &[u8]) =
            postcard::take_from_bytes(&bytes[2..]).map_err(malformed)?;
        let mut flags: Option<TableFlags> = None;
        if bytes[1] == TABLE_VERSION_COMMENTS {
            record.schema.comments = postcard::from_bytes(rest).map_err(malformed)?;
        } else if bytes[1] != TABLE_VERSION {
            let (comments, rest) = postcard::take_from_bytes(rest).map_err(malformed)?;
            record.schema.comments = comments;
            let (generated, rest): (BTreeMap<u32, String>, _) =
                postcard::take_from_bytes(rest).map_err(malformed)?;
            let extras = if bytes[1] == TABLE_VERSION_INDEX_EXTRAS {
                postcard::from_bytes(rest).map_err(malformed)?
            } else if bytes[1] >= TABLE_VERSION_MATERIALIZED {
                let (extras, rest) = postcard::take_from_bytes(rest).map_err(malformed)?;
                let (more, rest): (TableMore, _) =
                    postcard::take_from_bytes(rest).map_err(malformed)?;
                let later: TableLater = if bytes[1] == TABLE_VERSION_DOMAINS {
                    postcard::from_bytes(rest).map_err(malformed)?
                } else if bytes[1] == TABLE_VERSION_TRIGGERS {
                    let (later, rest) = postcard::take_from_bytes(rest).map_err(malformed)?;
                    record.schema.triggers = postcard::from_bytes(rest).map_err(malformed)?;
                    later
                } else if bytes[1] == TABLE_VERSION_FLAGS {
                    let (later, rest) = postcard::take_from_bytes(rest).map_err(malformed)?;
                    let (triggers, rest) = postcard::take_from_bytes(rest).map_err(malformed)?;
                    record.schema.triggers = triggers;
                    flags = Some(postcard::from_bytes(rest).map_err(malformed)?);
                    later
                } else if rest.is_empty() {
                    TableLater {
                        domains: BTreeMap::new(),
                        deferrable: BTreeMap::new(),
                    }
                } else {
                    return Err(Error::corrupted(
                        addr,
                        "trailing bytes after the table record",
                    ));
                };
                for (i, deferred) in later.deferrable {
                    let Some(fk) = usize::try_from(i)
                        .ok()
                        .and_then(|i| record.schema.foreign_keys.get_mut(i))
                    else {
                        return Err(Error::corrupted(
                            addr,
                            format!("timing of unknown foreign key {i}"),
                        ));
                    };
                    fk.deferrable = true;
                    fk.initially_deferred = deferred;
                }
                for (id, domain) in later.domains {
                    let Some(column) = record.schema.columns.iter_mut().find(|c| c.id == id) else {
                        return Err(Error::corrupted(
                            addr,
                            format!("domain of unknown column {id}"),
                        ));
                    };
                    column.domain = Some(domain);
                }
                record.schema.materialized = more.materialized;
                for (id, digits) in more.precisions {
                    let Some(column) = record.schema.columns.iter_mut().find(|c| c.id == id) else {
                        return Err(Error::corrupted(
                            addr,
                            format!("precision of unknown column {id}"),
                        ));
                    };
                    column.precision = Some(digits);
                }
                extras
            } else if rest.is_empty() {
                TableExtras {
                    indexes: BTreeMap::new(),
                    primary_key_name: None,
                }
            } else {
                return Err(Error::corrupted(
                    addr,
                    "trailing bytes after the table record",
                ));
            };
            record.schema.primary_key_name = extras.primary_key_name;
            for (i, extras) in extras.indexes {
                let Some(index) = record.schema.indexes.get_mut(i as usize) else {
                    return Err(Error::corrupted(
                        addr,
                        format!("extras of unknown index {i}"),
                    ));
                };
                index.expressions = extras.expressions;
                index.predicate = extras.predicate;
                index.options = extras.options;
                index.include = extras.include;
            }
            for (id, expr) in generated {
                let Some(column) = record.schema.columns.iter_mut().find(|c| c.id == id) else {
                    return Err(Error::corrupted(
                        addr,
                        format!("generation expression of unknown column {id}"),
                    ));
                };
                column.generated = Some(expr);
            }
        } else if !rest.is_empty() {
            return Err(Error::corrupted(
                addr,
                "trailing bytes after the table record",
            ));
        }
        if let Some(flags) = flags {
            flags
                .apply(&mut record.schema)
                .ok_or_else(|| Error::corrupted(addr, "flags of unknown constraints"))?;
        }
        record
            .schema
            .check_index_parts()
            .map_err(|e| Error::corrupted(addr, e.to_string()))?;
        if record.indexes.len() != record.schema.indexes.len() {
            return Err(Error::corrupted(
                addr,
                "index count differs from the schema's",
            ));
        }
        Ok(TableParts {
            layout: Arc::new(Layout::new(&record.schema)),
            schema: Arc::new(record.schema),
            rows: record.rows,
            indexes: record.indexes,
        })
    }

    /// Writes the table chunk; returns its address.
    pub fn save(&self) -> Result<Hash> {
        let record = TableRecord {
            schema: (*self.schema).clone(),
            rows: self.rows.root(),
            indexes: self.indexes.iter().map(Map::root).collect(),
        };
        let encode = |e: postcard::Error| Error::InvalidInput(e.to_string());
        // Comments of dropped columns go with them.
        let mut comments = self.schema.comments.clone();
        comments
            .columns
            .retain(|id, _| self.schema.columns.iter().any(|c| c.id == *id));
        let generated: BTreeMap<u32, &str> = self
            .schema
            .columns
            .iter()
            .filter_map(|c| Some((c.id, c.generated.as_deref()?)))
            .collect();
        let indexes: BTreeMap<u32, IndexExtras> = self
            .schema
            .indexes
            .iter()
            .enumerate()
            .filter(|(_, ix)| ix.has_extras())
            .map(|(i, ix)| {
                let extras = IndexExtras {
                    expressions: ix.expressions.clone(),
                    predicate: ix.predicate.clone(),
                    options: ix.options.clone(),
                    include: ix.include.clone(),
                };
                (i as u32, extras)
            })
            .collect();
        let extras = TableExtras {
            indexes,
            primary_key_name: self.schema.primary_key_name.clone(),
        };
        let more = TableMore {
            materialized: self.schema.materialized.clone(),
            precisions: self
                .schema
                .columns
                .iter()
                .filter_map(|c| Some((c.id, c.precision?)))
                .collect(),
        };
        let later = TableLater {
            domains: self
                .schema
                .columns
                .iter()
                .filter_map(|c| Some((c.id, c.domain.clone()?)))
                .collect(),
            deferrable: (0u32..)
                .zip(&self.schema.foreign_keys)
                .filter(|(_, fk)| fk.deferrable)
                .map(|(i, fk)| (i, fk.initially_deferred))
                .collect(),
        };
        let flags = TableFlags::of(&self.schema);
        let version = if !flags.is_empty() {
            TABLE_VERSION_FLAGS
        } else if !self.schema.triggers.is_empty() {
            TABLE_VERSION_TRIGGERS
        } else if !later.domains.is_empty() || !later.deferrable.is_empty() {
            TABLE_VERSION_DOMAINS
        } else if more.materialized.is_some() || !more.precisions.is_empty() {
            TABLE_VERSION_MATERIALIZED
        } else if !extras.indexes.is_empty() || extras.primary_key_name.is_some() {
            TABLE_VERSION_INDEX_EXTRAS
        } else if !generated.is_empty() {
            TABLE_VERSION_GENERATED
        } else if !comments.is_empty() {
            TABLE_VERSION_COMMENTS
        } else {
            TABLE_VERSION
        };
        let mut bytes = vec![TABLE_TAG, version];
        bytes.extend(postcard::to_stdvec(&record).map_err(encode)?);
        if version != TABLE_VERSION {
            bytes.extend(postcard::to_stdvec(&comments).map_err(encode)?);
        }
        if version >= TABLE_VERSION_GENERATED {
            bytes.extend(postcard::to_stdvec(&generated).map_err(encode)?);
        }
        if version >= TABLE_VERSION_INDEX_EXTRAS {
            bytes.extend(postcard::to_stdvec(&extras).map_err(encode)?);
        }
        if version >= TABLE_VERSION_MATERIALIZED {
            bytes.extend(postcard::to_stdvec(&more).map_err(encode)?);
        }
        if version >= TABLE_VERSION_DOMAINS {
            bytes.extend(postcard::to_stdvec(&later).map_err(encode)?);
        }
        if version >= TABLE_VERSION_TRIGGERS {
            bytes.extend(postcard::to_stdvec(&self.schema.triggers).map_err(encode)?);
        }
        if version == TABLE_VERSION_FLAGS {
            bytes.extend(postcard::to_stdvec(&flags).map_err(encode)?);
        }
        self.rows.node_store().store().put(Bytes::from(bytes))
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The primary map (encoded key → encoded row).
    pub fn rows(&self) -> &Map {
        &self.rows
    }

    /// The map of index `i` (in `schema().indexes` order).
    pub fn index_map(&self, i: usize) -> &Map {
        &self.indexes[i]
    }

    /// Number of rows: O(1).
    pub fn count(&self) -> u64 {
        self.rows.count()
    }

    /// The primary-map key of a full row (keyed tables only).
    pub fn key_of(&self, row: &[Value]) -> Result<Bytes> {
        if self.schema.is_keyless() {
            return Err(Error::InvalidInput(
                "a keyless table's rows have hidden keys".into(),
            ));
        }
        let values: Vec<&Value> = self.layout.key_pos.iter().map(|&i| &row[i]).collect();
        self.encode_key_values(&values)
    }

    /// The primary-map key for primary-key values (in key order).
    pub fn encode_key_values<V: std::borrow::Borrow<Value>>(&self, values: &[V]) -> Result<Bytes> {
        if values.iter().any(|v| v.borrow().is_null()) {
            return Err(Error::InvalidInput(
                "primary key values must not be null".into(),
            ));
        }
        let mut key = Vec::new();
        encode_key(values, &self.layout.key_types, &mut key)?;
        Ok(Bytes::from(key))
    }

    /// The full row (SQL order) stored at primary-map key `key` with stored value `value`.
    pub fn decode(&self, key: &[u8], value: &[u8]) -> Result<Vec<Value>> {
        let mut row = vec![Value::Null; self.schema.columns.len()];
        // Each value goes straight to its column: one allocation per row, not three.
        if !self.schema.is_keyless() {
            let positions = &self.layout.key_pos;
            decode_key_with(key, &self.layout.key_types, |k, v| row[positions[k]] = v)?;
        }
        let positions = &self.layout.val_pos;
        decode_row_with(value, &self.layout.val_types, |k, v| row[positions[k]] = v)?;
        Ok(row)
    }

    /// The columns a scan decodes, from `wanted` (by SQL position; missing entries are not
    /// wanted), for [`Table::decode_selected_into`].
    pub fn select_columns(&self, wanted: &[bool]) -> ColumnSelection {
        let want = |position: usize| wanted.get(position).copied().unwrap_or(false);
        ColumnSelection {
            key: !self.schema.is_keyless() && self.layout.key_pos.iter().any(|&p| want(p)),
            values: self.layout.val_pos.iter().map(|&p| want(p)).collect(),
        }
    }

    /// [`Table::decode`] of the columns `selection` holds into `row` (one value per column,
    /// reused from row to row): those columns are overwritten, the others left as they are
    /// (NULL when `row` starts so). What a scan reads when the plan above it uses only some
    /// columns.
    pub fn decode_selected_into(
        &self,
        key: &[u8],
        value: &[u8],
        selection: &ColumnSelection,
        row: &mut [Value],
    ) -> Result<()> {
        if row.len() != self.schema.columns.len() {
            return Err(Error::InvalidInput(format!(
                "a row buffer of {} values for {} columns",
                row.len(),
                self.schema.columns.len()
            )));
        }
        // A NULL is not written by the decoder: the selected values go back to NULL first.
        for (wanted, &p) in selection.values.iter().zip(&self.layout.val_pos) {
            if *wanted {
                row[p] = Value::Null;
            }
        }
        if selection.key {
            let positions = &self.layout.key_pos;
            decode_key_with(key, &self.layout.key_types, |k, v| row[positions[k]] = v)?;
        }
        let positions = &self.layout.val_pos;
        decode_row_select(value, &self.layout.val_types, &selection.values, |k, v| {
            row[positions[k]] = v;
        })
    }

    /// The row at primary-map key `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<Value>>> {
        match self.rows.get(key)? {
            Some(value) => self.decode(key, &value).map(Some),
            None => Ok(None),
        }
    }

    /// Every row with its primary-map key, in key order.
    pub fn scan(&self) -> Result<impl Iterator<Item = Result<(Bytes, Vec<Value>)>> + '_> {
        Ok(self.rows.iter()?.map(move |entry| {
            let (key, value) = entry?;
            let row = self.decode(&key, &value)?;
            Ok((key, row))
        }))
    }

    /// Primary-map keys of the rows whose index-`i` columns equal `values` (a prefix of the
    /// index's columns is allowed), in index order.
    pub fn index_lookup(&self, i: usize, values: &[Value]) -> Result<Vec<Bytes>> {
        self.index_prefixes(i, &[values.to_vec()])?.collect()
    }

    /// The primary-map keys of the rows whose leading index-`i` columns equal one of
    /// `prefixes`, in index order, each row once however often its prefix is given.
    pub fn index_prefixes(&self, i: usize, prefixes: &[Vec<Value>]) -> Result<IndexKeys> {
        let types = &self.layout.indexes[i].types;
        Ok(IndexKeys {
            entries: PrefixRanges::new(&self.indexes[i], prefixes, types)?,
            table: self.clone(),
            index: i,
        })
    }

    /// The primary-map entries whose leading primary-key columns equal one of `prefixes`, in
    /// key order, each once (keyed tables only).
    pub fn key_prefix_ranges(&self, prefixes: &[Vec<Value>]) -> Result<PrefixRanges> {
        if self.schema.is_keyless() {
            return Err(Error::InvalidInput(
                "a keyless table has no primary-key prefixes".into(),
            ));
        }
        PrefixRanges::new(&self.rows, prefixes, &self.layout.key_types)
    }

    /// The primary-map key at the end of an index key.
    fn primary_key_in_index(&self, i: usize, index_key: &[u8]) -> Result<Bytes> {
        if self.schema.is_keyless() {
            let start = index_key.len().checked_sub(HIDDEN_KEY_LEN).ok_or_else(|| {
                Error::InvalidInput("index key shorter than a hidden row id".into())
            })?;
            return Ok(Bytes::copy_from_slice(&index_key[start..]));
        }
        let types = &self.layout.indexes[i].types;
        let all: Vec<Type> = types
            .iter()
            .chain(&self.layout.key_types)
            .cloned()
            .collect();
        let values = decode_key(index_key, &all)?;
        self.encode_key_values(&values[types.len()..])
    }

    /// The values `row` has in index `i` (its columns, or its expressions computed), or None
    /// when `i` is a partial index whose predicate is not true for `row`.
    pub fn index_values(&self, i: usize, row: &[Value]) -> Result<Option<Vec<Value>>> {
        let layout = &self.layout.indexes[i];
        if let Some(predicate) = &layout.predicate {
            if evaluate(&self.schema, predicate, row)? != Value::Bool(true) {
                return Ok(None);
            }
        }
        layout
            .parts
            .iter()
            .map(|part| match part {
                IndexPart::Column(p) => Ok(row[*p].clone()),
                IndexPart::Expr(sql) => evaluate(&self.schema, sql, row),
            })
            .collect::<Result<_>>()
            .map(Some)
    }

    /// `row`'s entry in index `i` (None: a partial index leaves it out).
    fn index_key(&self, i: usize, row: &[Value], primary: &[u8]) -> Result<Option<Bytes>> {
        let Some(values) = self.index_values(i, row)? else {
            return Ok(None);
        };
        let mut key = Vec::new();
        encode_key(&values, &self.layout.indexes[i].types, &mut key)?;
        key.extend_from_slice(primary);
        Ok(Some(Bytes::from(key)))
    }

    fn encode_value(&self, row: &[Value]) -> Result<Bytes> {
        let values: Vec<&Value> = self.layout.val_pos.iter().map(|&i| &row[i]).collect();
        let mut out = Vec::new();
        encode_row(&values, &self.layout.val_types, &mut out)?;
        Ok(Bytes::from(out))
    }

    fn check_row(&self, row: &[Value]) -> Result<()> {
        if row.len() != self.schema.columns.len() {
            return Err(Error::InvalidInput(format!(
                "row has {} values but the table has {} columns",
                row.len(),
                self.schema.columns.len()
            )));
        }
        Ok(())
    }

    /// Applies row changes in order, keeping every index in step; one batch edit per map.
    pub fn apply(&self, changes: impl IntoIterator<Item = RowChange>) -> Result<Table> {
        // Each change as the rows it puts, in order: key → new row (None = deleted).
        let mut puts: Vec<(Bytes, Option<Vec<Value>>)> = Vec::new();
        for change in changes {
            let (old_key, new) = match change {
                RowChange::Insert(row) => {
                    let row = self.fit_precision(row);
                    self.check_row(&row)?;
                    let key = if self.schema.is_keyless() {
                        new_hidden_key()
                    } else {
                        self.key_of(&row)?
                    };
                    puts.push((key, Some(row)));
                    continue;
                }
                RowChange::Update { key, row } => (key, Some(row)),
                RowChange::Delete(key) => (key, None),
            };
            match new {
                Some(row) => {
                    let row = self.fit_precision(row);
                    self.check_row(&row)?;
                    let new_key = if self.schema.is_keyless() {
                        old_key.clone()
                    } else {
                        self.key_of(&row)?
                    };
                    if new_key != old_key {
                        puts.push((old_key, None));
                    }
                    puts.push((new_key, Some(row)));
                }
                None => puts.push((old_key, None)),
            }
        }
        let mut index_edits: Vec<BTreeMap<Bytes, Option<Bytes>>> =
            vec![BTreeMap::new(); self.indexes.len()];
        let mut edits: Vec<(Bytes, Option<Bytes>)> = Vec::with_capacity(puts.len());
        if self.indexes.is_empty() {
            // Sorted by key, the later put of a key replacing the earlier (a stable sort keeps
            // their order); a load in key order is already sorted.
            puts.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, row) in puts {
                let value = row.map(|row| self.encode_value(&row)).transpose()?;
                match edits.last_mut() {
                    Some(last) if last.0 == key => last.1 = value,
                    _ => edits.push((key, value)),
                }
            }
        } else {
            // The batch's view of changed rows, which the index entries of each later put
            // need.
            let mut pending: BTreeMap<Bytes, Option<Vec<Value>>> = BTreeMap::new();
            for (key, row) in puts {
                self.put_row(&mut pending, &mut index_edits, key, row)?;
            }
            for (key, row) in pending {
                let value = row.map(|row| self.encode_value(&row)).transpose()?;
                edits.push((key, value));
            }
        }
        self.edited(edits, index_edits)
    }

    /// This table with `edits` (sorted, one per key) made to its rows and `index_edits` to its
    /// indexes.
    fn edited(
        &self,
        edits: Vec<(Bytes, Option<Bytes>)>,
        index_edits: Vec<BTreeMap<Bytes, Option<Bytes>>>,
    ) -> Result<Table> {
        let rows = self.rows.edit(edits)?;
        let indexes = self
            .indexes
            .iter()
            .zip(index_edits)
            .map(|(map, edits)| map.edit(edits))
            .collect::<Result<_>>()?;
        Ok(Table {
            schema: self.schema.clone(),
            layout: self.layout.clone(),
            rows,
            indexes,
        })
    }

    /// Inserts `rows`, all of which must be new: `Ok(Err(i))` when row `i` is the first (in
    /// the order given) whose primary key the table already holds or an earlier row repeats,
    /// and then nothing is written. The rows are borrowed and each is encoded once, so a bulk
    /// load costs one sort of its keys and one batch edit per map.
    pub fn insert_new(&self, rows: &[Vec<Value>]) -> Result<std::result::Result<Table, usize>> {
        let mut keyed: Vec<(Bytes, usize)> = Vec::with_capacity(rows.len());
        let fitted: Vec<std::borrow::Cow<'_, [Value]>> =
            rows.iter().map(|r| self.fitted(r)).collect();
        for (i, row) in fitted.iter().enumerate() {
            self.check_row(row)?;
            let key = if self.schema.is_keyless() {
                new_hidden_key()
            } else {
                self.key_of(row)?
            };
            keyed.push((key, i));
        }
        // Stable: the rows of one key stay in the order given.
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut first_taken: Option<usize> = None;
        let mut taken = |i: usize| first_taken = Some(first_taken.map_or(i, |f| f.min(i)));
        // Hidden keys are new by construction; only a primary key can be taken already.
        let none_taken = self.rows.is_empty() || self.schema.is_keyless();
        for (n, (key, i)) in keyed.iter().enumerate() {
            match n.checked_sub(1).map(|p| &keyed[p].0) {
                Some(previous) if previous == key => taken(*i),
                _ if !none_taken && self.rows.get(key)?.is_some() => taken(*i),
                _ => {}
            }
        }
        if let Some(i) = first_taken {
            return Ok(Err(i));
        }
        let mut index_edits: Vec<BTreeMap<Bytes, Option<Bytes>>> =
            vec![BTreeMap::new(); self.indexes.len()];
        let mut edits = Vec::with_capacity(keyed.len());
        for (key, i) in keyed {
            let row = &fitted[i];
            for (index, entries) in index_edits.iter_mut().enumerate() {
                if let Some(entry) = self.index_key(index, row, &key)? {
                    entries.insert(entry, Some(Bytes::new()));
                }
            }
            edits.push((key, Some(self.encode_value(row)?)));
        }
        self.edited(edits, index_edits).map(Ok)
    }

    /// `row` as [`Table::fit_precision`] stores it, borrowed when no column rounds.
    fn fitted<'r>(&self, row: &'r [Value]) -> std::borrow::Cow<'r, [Value]> {
        if self.layout.precisions.is_empty() {
            std::borrow::Cow::Borrowed(row)
        } else {
            std::borrow::Cow::Owned(self.fit_precision(row.to_vec()))
        }
    }

    /// Records that the row at `key` becomes `row`, with the index entries that follow.
    fn put_row(
        &self,
        pending: &mut BTreeMap<Bytes, Option<Vec<Value>>>,
        index_edits: &mut [BTreeMap<Bytes, Option<Bytes>>],
        key: Bytes,
        row: Option<Vec<Value>>,
    ) -> Result<()> {
        if !self.indexes.is_empty() {
            let old = match pending.get(&key) {
                Some(row) => row.clone(),
                None => self.get(&key)?,
            };
            for (i, edits) in index_edits.iter_mut().enumerate() {
                if let Some(old) = &old {
                    if let Some(entry) = self.index_key(i, old, &key)? {
                        edits.insert(entry, None);
                    }
                }
                if let Some(new) = &row {
                    if let Some(entry) = self.index_key(i, new, &key)? {
                        edits.insert(entry, Some(Bytes::new()));
                    }
                }
            }
        }
        pending.insert(key, row);
        Ok(())
    }

    /// `row` with the values of `time(p)` / `timestamp(p)` columns rounded to their precision
    /// (the SQL layer rounds before writing; this keeps every other writer, imports and
    /// merges included, to the column's type).
    fn fit_precision(&self, mut row: Vec<Value>) -> Vec<Value> {
        for &(position, digits) in &self.layout.precisions {
            if let Some(Value::Time(t) | Value::Timestamp(t) | Value::TimestampTz(t)) =
                row.get_mut(position)
            {
                *t = crate::value::round_fraction(*t, digits);
            }
        }
        row
    }

    /// The same table with `triggers` in place of its triggers: no row is touched.
    pub fn with_triggers(&self, triggers: Vec<super::TriggerDef>) -> Table {
        self.with_schema_edit(|schema| schema.triggers = triggers)
    }

    /// The same table with other `COMMENT ON` texts (no row is touched).
    pub fn with_comments(&self, comments: Comments) -> Table {
        self.with_schema_edit(|schema| schema.comments = comments)
    }

    /// The same table with its columns of domain `from` declared of domain `to` (ALTER
    /// DOMAIN .. RENAME TO): no row is touched.
    pub fn with_domain_renamed(&self, from: &str, to: &str) -> Table {
        self.with_schema_edit(|schema| {
            for column in &mut schema.columns {
                if column.domain.as_deref() == Some(from) {
                    column.domain = Some(to.to_string());
                }
            }
        })
    }

    /// The same table with another materialized-view definition (no row is touched): a
    /// refresh's populated flag, or a query rewritten for a renamed relation.
    pub fn with_materialized(&self, materialized: Option<super::Materialized>) -> Table {
        self.with_schema_edit(|schema| schema.materialized = materialized)
    }

    /// The same table with `edit` applied to a copy of its schema, for the edits that leave
    /// rows and indexes as they are (names, comments, triggers, the stored extras).
    fn with_schema_edit(&self, edit: impl FnOnce(&mut Schema)) -> Table {
        let mut schema = (*self.schema).clone();
        edit(&mut schema);
        Table {
            schema: Arc::new(schema),
            ..self.clone()
        }
    }

    /// The same table under `schema`, which differs from its own only in index names and the
    /// primary key's name (ALTER INDEX ... RENAME TO): no map is rebuilt.
    pub fn with_index_names(&self, schema: Schema) -> Result<Table> {
        let mut probe = schema.clone();
        probe
            .primary_key_name
            .clone_from(&self.schema.primary_key_name);
        if probe.indexes.len() != self.schema.indexes.len() {
            return Err(Error::InvalidInput(
                "renaming indexes cannot add or drop one".into(),
            ));
        }
        for (index, old) in probe.indexes.iter_mut().zip(&self.schema.indexes) {
            index.name.clone_from(&old.name);
        }
        if probe != *self.schema {
            return Err(Error::InvalidInput(
                "renaming indexes can change only their names".into(),
            ));
        }
        Ok(Table {
            schema: Arc::new(schema),
            ..self.clone()
        })
    }

    /// The same rows under a new schema: columns are matched by id (new ones are NULL, dropped
    /// ones vanish, values of retyped ones must already fit), and the primary map and every index
    /// are rebuilt. Costs a full scan; ALTER TABLE uses it.
    pub fn with_schema(&self, schema: Schema) -> Result<Table> {
        schema.validate()?;
        let ns = self.rows.node_store();
        let target = Table::create(ns, schema)?;
        let map: Vec<Option<usize>> = target
            .schema
            .columns
            .iter()
            .map(|c| self.schema.position(c.id))
            .collect();
        let mut rows = Vec::with_capacity(self.count() as usize);
        for entry in self.scan()? {
            let (key, old) = entry?;
            let row: Vec<Value> = map
                .iter()
                .map(|p| p.map_or(Value::Null, |i| old[i].clone()))
                .collect();
            let key = match (self.schema.is_keyless(), target.schema.is_keyless()) {
                (true, true) => key,
                (_, true) => new_hidden_key(),
                (_, false) => target.key_of(&row)?,
            };
            rows.push((key, row));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::InvalidInput(format!(
                "could not create unique primary key: duplicate key {:?}",
                target.decode(&w[0].0, &target.encode_value(&w[0].1)?)?
            )));
        }
        target.bulk_load(&rows)
    }

    /// Builds the maps from rows sorted by primary-map key (an empty table's fast path).
    fn bulk_load(&self, rows: &[(Bytes, Vec<Value>)]) -> Result<Table> {
        let ns = self.rows.node_store();
        let mut index_entries: Vec<Vec<Bytes>> = vec![Vec::new(); self.indexes.len()];
        for (key, row) in rows {
            for (i, entries) in index_entries.iter_mut().enumerate() {
                entries.extend(self.index_key(i, row, key)?);
            }
        }
        let encoded = rows
            .iter()
            .map(|(key, row)| Ok((key.clone(), self.encode_value(row)?)))
            .collect::<Result<Vec<_>>>()?;
        let primary = Map::build(ns, encoded)?;
        let mut indexes = Vec::with_capacity(index_entries.len());
        for mut entries in index_entries {
            entries.sort();
            indexes.push(Map::build(
                ns,
                entries.into_iter().map(|k| (k, Bytes::new())),
            )?);
        }
        Ok(Table {
            schema: self.schema.clone(),
            layout: self.layout.clone(),
            rows: primary,
            indexes,
        })
    }
}

/// How many out-of-order rows a [`TableLoader`] gathers into one batch edit.
const LOAD_BATCH: usize = 50_000;

/// Fills a table that starts empty from a stream of rows (a file import), writing each chunk
/// once where it can. While primary keys arrive in increasing order (a file sorted by its key,
/// or a keyless table's hidden ids) rows go straight into a bottom-up [`MapBuilder`]: no batch
/// edit, no sort, no chunk rewritten. The first key not above the one before ends that: the
/// tree built so far becomes the table, and the remaining rows are applied in batches as
/// [`Table::apply`] applies inserts (so a repeated key replaces the earlier row). Index entries
/// of the streamed rows are gathered and sorted into their maps when streaming ends.
#[derive(Debug)]
pub struct TableLoader {
    /// The empty table: schema, layout and (until streaming ends) nothing else.
    table: Table,
    streaming: Option<Streaming>,
    batch: Vec<RowChange>,
}

/// A [`TableLoader`]'s state while keys keep increasing.
#[derive(Debug)]
struct Streaming {
    rows: MapBuilder,
    last_key: Option<Bytes>,
    index_entries: Vec<Vec<Bytes>>,
}

impl TableLoader {
    /// A loader of a new, empty table with `schema`.
    pub fn new(ns: &NodeStore, schema: Schema) -> Result<TableLoader> {
        let table = Table::create(ns, schema)?;
        let streaming = Streaming {
            rows: MapBuilder::new(ns),
            last_key: None,
            index_entries: vec![Vec::new(); table.indexes.len()],
        };
        Ok(TableLoader {
            table,
            streaming: Some(streaming),
            batch: Vec::new(),
        })
    }

    /// The table's schema.
    pub fn schema(&self) -> &Schema {
        &self.table.schema
    }

    /// Adds a row (replacing any earlier row with the same primary key).
    pub fn push(&mut self, row: Vec<Value>) -> Result<()> {
        let row = self.table.fit_precision(row);
        if let Some(streaming) = &mut self.streaming {
            self.table.check_row(&row)?;
            let key = if self.table.schema.is_keyless() {
                new_hidden_key()
            } else {
                self.table.key_of(&row)?
            };
            if streaming.last_key.as_ref().is_none_or(|last| key > *last) {
                for (i, entries) in streaming.index_entries.iter_mut().enumerate() {
                    entries.extend(self.table.index_key(i, &row, &key)?);
                }
                let value = self.table.encode_value(&row)?;
                streaming.rows.push(key.clone(), value)?;
                streaming.last_key = Some(key);
                return Ok(());
            }
            self.end_streaming()?;
        }
        self.batch.push(RowChange::Insert(row));
        if self.batch.len() >= LOAD_BATCH {
            self.table = self.table.apply(std::mem::take(&mut self.batch))?;
        }
        Ok(())
    }

    /// Whether every row so far came in increasing key order (and so was streamed).
    pub fn streamed(&self) -> bool {
        self.streaming.is_some()
    }

    /// The loaded table.
    pub fn finish(mut self) -> Result<Table> {
        self.end_streaming()?;
        if self.batch.is_empty() {
            return Ok(self.table);
        }
        self.table.apply(self.batch)
    }

    /// Turns what was streamed into the table that later rows are applied to.
    fn end_streaming(&mut self) -> Result<()> {
        let Some(streaming) = self.streaming.take() else {
            return Ok(());
        };
        let ns = self.table.rows.node_store().clone();
        self.table.rows = streaming.rows.finish()?;
        for (map, mut entries) in self.table.indexes.iter_mut().zip(streaming.index_entries) {
            entries.sort();
            *map = Map::build(&ns, entries.into_iter().map(|k| (k, Bytes::new())))?;
        }
        Ok(())
    }
}

/// The smallest byte string greater than every string starting with `prefix`, if any.
/// The entries of a map whose keys begin with one of a set of prefixes (values through the key
/// codec), prefix after prefix in key order; each prefix's range is opened when reached.
#[derive(Debug)]
pub struct PrefixRanges {
    map: Map,
    /// Encoded prefixes not yet opened, sorted, distinct, and none a prefix of another.
    prefixes: std::vec::IntoIter<Vec<u8>>,
    current: Option<Range>,
}

impl PrefixRanges {
    fn new(map: &Map, prefixes: &[Vec<Value>], types: &[Type]) -> Result<PrefixRanges> {
        let mut encoded = Vec::with_capacity(prefixes.len());
        for values in prefixes {
            if values.len() > types.len() {
                return Err(Error::InvalidInput("more values than key columns".into()));
            }
            let mut prefix = Vec::new();
            encode_key(values, &types[..values.len()], &mut prefix)?;
            encoded.push(prefix);
        }
        encoded.sort();
        // A prefix that extends a kept one adds nothing (and would repeat its rows).
        let mut kept: Vec<Vec<u8>> = Vec::with_capacity(encoded.len());
        for prefix in encoded {
            if !kept.last().is_some_and(|k| prefix.starts_with(k)) {
                kept.push(prefix);
            }
        }
        Ok(PrefixRanges {
            map: map.clone(),
            prefixes: kept.into_iter(),
            current: None,
        })
    }
}

impl Iterator for PrefixRanges {
    type Item = Result<(Bytes, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(range) = &mut self.current {
                if let Some(entry) = range.next() {
                    return Some(entry);
                }
            }
            let prefix = self.prefixes.next()?;
            let hi = prefix_successor(&prefix);
            let hi = match &hi {
                Some(h) => Bound::Excluded(&h[..]),
                None => Bound::Unbounded,
            };
            match self.map.range(Bound::Included(&prefix), hi) {
                Ok(range) => self.current = Some(range),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Primary-map keys from index ranges (`Table::index_prefixes`), in index order.
#[derive(Debug)]
pub struct IndexKeys {
    entries: PrefixRanges,
    table: Table,
    index: usize,
}

impl Iterator for IndexKeys {
    type Item = Result<Bytes>;

    fn next(&mut self) -> Option<Result<Bytes>> {
        let entry = self.entries.next()?;
        Some(
            entry
                .and_then(|(index_key, _)| self.table.primary_key_in_index(self.index, &index_key)),
        )
    }
}

fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xff {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// A new hidden row id (see the module header).
pub fn new_hidden_key() -> Bytes {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(std::process::id().into());
        h.finish()
    });
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let low = seed.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut key = [0u8; HIDDEN_KEY_LEN];
    key[..8].copy_from_slice(&micros.to_be_bytes());
    key[8..].copy_from_slice(&low.to_be_bytes());
    Bytes::copy_from_slice(&key)
}
