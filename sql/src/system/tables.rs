//! The rows of the pg_catalog and information_schema tables, computed from the [`Objects`] of
//! the statement's root (and the session's settings). Each generator names only the columns it
//! knows; the others get their type's neutral value (false, 0, or NULL for text and arrays), so
//! every table has all of PostgreSQL 15's columns and clients that select a column vdb does not
//! model still get a well-formed answer.

use std::collections::BTreeMap;

use vdb_engine::value::{Type, Value};

use crate::error::Result;
use crate::system::columns::SYSTEM_TABLES;
use crate::system::deparse::column_default;
use crate::system::objects::*;
use crate::system::types::{
    column_modifier, system_column_type, type_modifier, type_oid, BUILTIN_TYPES,
};
use crate::system::Snapshot;
use crate::types::enums;
use vdb_engine::table::{split_qualified, Identity, Sequence as SequenceDefinition};

/// A system table's columns and rows.
pub type TableRows = (Vec<(String, Type)>, Vec<Vec<Value>>);

/// One row by column name.
type Row = BTreeMap<&'static str, Value>;

/// The table `schema.name` if it is a system table.
pub fn system_table(snapshot: &Snapshot, schema: &str, name: &str) -> Result<Option<TableRows>> {
    if schema == "vdb" {
        return crate::vc::tables::table(snapshot.must_vc()?, name);
    }
    let Some((_, _, columns)) = SYSTEM_TABLES
        .iter()
        .find(|(s, n, _)| *s == schema && *n == name)
    else {
        return Ok(None);
    };
    let objects = snapshot.objects()?;
    let rows = match (schema, name) {
        ("pg_catalog", "pg_namespace") => pg_namespace(snapshot.objects()?),
        ("pg_catalog", "pg_class") => pg_class(objects),
        ("pg_catalog", "pg_attribute") => pg_attribute(objects),
        ("pg_catalog", "pg_attrdef") => pg_attrdef(objects),
        ("pg_catalog", "pg_description") => pg_description(objects),
        ("pg_catalog", "pg_type") => pg_type(snapshot, objects),
        ("pg_catalog", "pg_enum") => pg_enum(snapshot),
        ("pg_catalog", "pg_index") => pg_index(objects),
        ("pg_catalog", "pg_constraint") => {
            let mut rows = pg_constraint(objects);
            rows.extend(domain_constraints(snapshot, objects));
            rows
        }
        ("pg_catalog", "pg_am") => pg_am(),
        ("pg_catalog", "pg_language") => pg_language(),
        ("pg_catalog", "pg_extension") => pg_extension(),
        ("pg_catalog", "pg_opclass") => pg_opclass(),
        ("pg_catalog", "pg_database") => pg_database(snapshot),
        ("pg_catalog", "pg_sequence") => pg_sequence(objects),
        ("pg_catalog", "pg_sequences") => pg_sequences(objects),
        ("information_schema", "sequences") => is_sequences(snapshot, objects),
        ("information_schema", "domains") => is_domains(snapshot),
        ("pg_catalog", "pg_collation") => pg_collation(),
        ("pg_catalog", "pg_tablespace") => pg_tablespace(),
        ("pg_catalog", "pg_roles" | "pg_user") => pg_roles(snapshot),
        ("pg_catalog", "pg_stat_activity") => pg_stat_activity(),
        ("pg_catalog", "pg_settings") => pg_settings(snapshot),
        ("pg_catalog", "pg_proc") => pg_proc(snapshot)?,
        ("pg_catalog", "pg_tables") => pg_tables(objects),
        ("pg_catalog", "pg_indexes") => pg_indexes(objects),
        ("pg_catalog", "pg_views") => pg_views(objects),
        ("pg_catalog", "pg_matviews") => pg_matviews(objects),
        ("information_schema", "views") => is_views(snapshot, objects),
        ("information_schema", "schemata") => schemata(snapshot, snapshot.objects()?),
        ("information_schema", "tables") => is_tables(snapshot, objects),
        ("information_schema", "columns") => is_columns(snapshot, objects),
        ("information_schema", "table_constraints") => table_constraints(snapshot, objects),
        ("information_schema", "key_column_usage") => key_column_usage(snapshot, objects),
        ("information_schema", "constraint_column_usage") => {
            constraint_column_usage(snapshot, objects)
        }
        ("information_schema", "constraint_table_usage") => {
            constraint_table_usage(snapshot, objects)
        }
        ("information_schema", "referential_constraints") => {
            referential_constraints(snapshot, objects)
        }
        ("information_schema", "check_constraints") => check_constraints(snapshot, objects),
        ("pg_catalog", "pg_trigger") => super::triggers::pg_trigger(snapshot, objects),
        ("information_schema", "triggers") => {
            super::triggers::information_schema_triggers(snapshot, objects)
        }
        _ => Vec::new(),
    };
    let types: Vec<(String, Type)> = columns
        .iter()
        .map(|(n, pg)| (n.to_string(), system_column_type(pg)))
        .collect();
    let rows = rows
        .into_iter()
        .map(|mut row| {
            types
                .iter()
                .map(|(n, ty)| row.remove(n.as_str()).unwrap_or_else(|| neutral(ty)))
                .collect()
        })
        .collect();
    Ok(Some((types, rows)))
}

/// The value of a column a generator does not name.
fn neutral(ty: &Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(false),
        Type::Int2 => Value::Int2(0),
        Type::Int4 => Value::Int4(0),
        Type::Int8 => Value::Int8(0),
        Type::Float4 => Value::Float4(0.0),
        _ => Value::Null,
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn oid(o: u32) -> Value {
    Value::Int4(i32::try_from(o).unwrap_or(i32::MAX))
}

fn int2s(v: &[i16]) -> Value {
    Value::array(v.iter().map(|n| Value::Int2(*n)).collect())
}

/// An int2vector or oidvector: an array whose subscripts start at 0, as PostgreSQL's do (so
/// `generate_subscripts(indkey, 1)` counts from 0, as clients' index queries expect).
pub(super) fn vector(values: impl IntoIterator<Item = Value>) -> Value {
    let values: Vec<Value> = values.into_iter().collect();
    let dims = vec![vdb_engine::array::Dim {
        len: values.len(),
        lower: 0,
    }];
    match vdb_engine::array::Array::with_dims(values, dims) {
        Ok(array) => Value::Array(array),
        Err(_) => Value::array(Vec::new()),
    }
}

fn row<const N: usize>(cells: [(&'static str, Value); N]) -> Row {
    cells.into_iter().collect()
}

fn pg_namespace(objects: &Objects) -> Vec<Row> {
    [
        (PG_CATALOG_OID, "pg_catalog"),
        (PUBLIC_OID, "public"),
        (INFORMATION_SCHEMA_OID, "information_schema"),
        (PG_TOAST_OID, "pg_toast"),
        (VDB_NAMESPACE_OID, "vdb"),
    ]
    .into_iter()
    .chain(
        objects
            .namespaces
            .iter()
            .map(|(o, n)| (*o, crate::temp::display_schema(n))),
    )
    .map(|(o, n)| {
        // PostgreSQL 15's public schema belongs to pg_database_owner.
        let owner = if o == PUBLIC_OID {
            DATABASE_OWNER_OID
        } else {
            SUPERUSER_OID
        };
        row([
            ("oid", oid(o)),
            ("nspname", text(n)),
            ("nspowner", oid(owner)),
        ])
    })
    .collect()
}

fn class_row(o: u32, name: &str, kind: &str, natts: usize) -> Row {
    row([
        ("oid", oid(o)),
        ("relname", text(name)),
        ("relnamespace", oid(PUBLIC_OID)),
        ("relowner", oid(SUPERUSER_OID)),
        ("relpersistence", text("p")),
        ("relkind", text(kind)),
        (
            "relnatts",
            Value::Int2(i16::try_from(natts).unwrap_or(i16::MAX)),
        ),
        (
            "relreplident",
            text(if matches!(kind, "r" | "m") { "d" } else { "n" }),
        ),
        ("relispopulated", Value::Bool(true)),
        ("reltuples", Value::Float4(-1.0)),
    ])
}

fn pg_class(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        let persistence = text(if Objects::is_temporary(r) { "t" } else { "p" });
        if r.view.is_some() {
            let mut t = class_row(r.oid, &r.name, "v", r.schema.columns.len());
            t.insert("relnamespace", oid(r.namespace));
            t.insert("relam", oid(0));
            t.insert("relpersistence", persistence);
            rows.push(t);
            continue;
        }
        let materialized = r.schema.materialized.as_ref();
        let kind = if materialized.is_some() { "m" } else { "r" };
        let mut t = class_row(r.oid, &r.name, kind, r.schema.columns.len());
        t.insert("relnamespace", oid(r.namespace));
        t.insert(
            "relispopulated",
            Value::Bool(materialized.is_none_or(|m| m.populated)),
        );
        t.insert("relpersistence", persistence.clone());
        t.insert("relam", oid(HEAP_AM_OID));
        t.insert("relhasindex", Value::Bool(!r.indexes.is_empty()));
        let checks = r.constraints.iter().filter(|c| c.kind == 'c').count();
        t.insert("relchecks", Value::Int2(i16::try_from(checks).unwrap_or(0)));
        // PostgreSQL enforces a foreign key with triggers on both tables, and psql's \d asks
        // for foreign keys and "Referenced by" only when this is set.
        let in_foreign_key = objects.relations.iter().any(|other| {
            other
                .constraints
                .iter()
                .any(|c| c.kind == 'f' && (other.oid == r.oid || c.ref_table_oid == r.oid))
        });
        let triggers = !r.schema.triggers.is_empty();
        t.insert("relhastriggers", Value::Bool(in_foreign_key || triggers));
        rows.push(t);
        for i in &r.indexes {
            let mut t = class_row(i.oid, &i.name, "i", i.attnums.len());
            t.insert("relnamespace", oid(r.namespace));
            t.insert("relpersistence", persistence.clone());
            t.insert("relam", oid(BTREE_AM_OID));
            rows.push(t);
        }
    }
    for s in &objects.sequences {
        let mut t = class_row(s.oid, &s.name, "S", 3);
        t.insert("relnamespace", oid(objects.namespace_oid(&s.nspname)));
        if s.nspname == crate::temp::TEMP_SCHEMA {
            t.insert("relpersistence", text("t"));
        }
        rows.push(t);
    }
    rows
}

/// Whether a column of type `ty` has a collation: the string types and arrays of them (not
/// json or jsonb, which SQLAlchemy's reflection would otherwise try to give one).
fn collatable(ty: &Type) -> bool {
    match ty {
        Type::Text | Type::Varchar(_) | Type::Char(_) => true,
        Type::Array(element) => collatable(element),
        _ => false,
    }
}

/// One row per `COMMENT ON` text: a table's (objsubid 0) and its columns' (their attnum).
fn pg_description(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    let describe = |relation: u32, subid: i32, comment: &str| {
        row([
            ("objoid", oid(relation)),
            ("classoid", oid(PG_CLASS_OID)),
            ("objsubid", Value::Int4(subid)),
            ("description", text(comment)),
        ])
    };
    for r in &objects.relations {
        let comments = &r.schema.comments;
        if let Some(comment) = &comments.table {
            rows.push(describe(r.oid, 0, comment));
        }
        for (i, c) in r.schema.columns.iter().enumerate() {
            if let Some(comment) = comments.columns.get(&c.id) {
                rows.push(describe(r.oid, i32::from(attnum(i)), comment));
            }
        }
    }
    rows
}

fn pg_attribute(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for (i, c) in r.schema.columns.iter().enumerate() {
            let identity = objects.identity(r.oid, attnum(i));
            let collation = if collatable(&c.ty) {
                DEFAULT_COLLATION_OID
            } else {
                0
            };
            rows.push(row([
                ("attrelid", oid(r.oid)),
                ("attname", text(&c.name)),
                (
                    "atttypid",
                    oid(c
                        .domain
                        .as_deref()
                        .map_or_else(|| type_oid(&c.ty), crate::system::domains::domain_oid)),
                ),
                ("attnum", Value::Int2(attnum(i))),
                (
                    "atttypmod",
                    Value::Int4(if c.domain.is_some() {
                        -1
                    } else {
                        column_modifier(c)
                    }),
                ),
                ("attnotnull", Value::Bool(!c.nullable)),
                (
                    "atthasdef",
                    Value::Bool(
                        (c.default.is_some() && identity.is_none()) || c.generated.is_some(),
                    ),
                ),
                ("attidentity", text(identity.map_or("", identity_code))),
                (
                    "attgenerated",
                    text(if c.generated.is_some() { "s" } else { "" }),
                ),
                ("attcompression", text("")),
                ("attstorage", text(storage(&c.ty))),
                ("attislocal", Value::Bool(true)),
                ("attcollation", oid(collation)),
                ("attstattarget", Value::Int4(-1)),
                (
                    "attlen",
                    Value::Int2(
                        crate::system::types::builtin_by_oid(type_oid(&c.ty)).map_or(-1, |b| b.len),
                    ),
                ),
                (
                    "attndims",
                    Value::Int4(i32::from(matches!(c.ty, Type::Array(_)))),
                ),
            ]));
        }
        for ix in &r.indexes {
            for (k, (name, ty)) in ix.attributes.iter().enumerate() {
                rows.push(row([
                    ("attrelid", oid(ix.oid)),
                    ("attname", text(name)),
                    ("atttypid", oid(type_oid(ty))),
                    ("attnum", Value::Int2(attnum(k))),
                    ("atttypmod", Value::Int4(type_modifier(ty))),
                    ("attidentity", text("")),
                    ("attgenerated", text("")),
                ]));
            }
        }
    }
    rows
}

/// `attidentity`: 'a' for GENERATED ALWAYS, 'd' for BY DEFAULT.
fn identity_code(sequence: &SequenceDefinition) -> &'static str {
    match sequence.identity {
        Some(Identity::Always) => "a",
        Some(Identity::ByDefault) => "d",
        None => "",
    }
}

/// `attstorage`: plain for fixed-length types (an enum is a 4-byte OID in PostgreSQL), main for
/// numeric, extended for the others (`character(n)` is variable-length, as bpchar).
fn storage(ty: &Type) -> &'static str {
    match ty {
        Type::Bool
        | Type::Int2
        | Type::Int4
        | Type::Int8
        | Type::Float4
        | Type::Float8
        | Type::Date
        | Type::Time
        | Type::Timestamp
        | Type::TimestampTz
        | Type::Interval
        | Type::Uuid
        | Type::Enum(_) => "p",
        Type::Numeric { .. } => "m",
        _ => "x",
    }
}

/// `adbin` holds the default's SQL text, so `pg_get_expr(adbin, adrelid)` returns it as is; a
/// generated column's row holds its generation expression, as PostgreSQL prints it.
fn pg_attrdef(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for (i, c) in r.schema.columns.iter().enumerate() {
            let identity = objects.identity(r.oid, attnum(i)).is_some();
            let expr = match (&c.generated, &c.default) {
                (Some(generated), _) => Some(crate::planner::generation_display(generated)),
                (None, Some(default)) if !identity => Some(column_default(default, &c.ty)),
                (None, _) => None,
            };
            if let Some(default) = &expr {
                rows.push(row([
                    (
                        "oid",
                        oid(r.oid.wrapping_add(u32::try_from(i).unwrap_or(0) + 1)),
                    ),
                    ("adrelid", oid(r.oid)),
                    ("adnum", Value::Int2(attnum(i))),
                    ("adbin", text(crate::temp::display_default(default))),
                ]));
            }
        }
    }
    rows
}

/// One row per label of each enum type, `enumsortorder` counting from 1 in label order.
fn pg_enum(snapshot: &Snapshot) -> Vec<Row> {
    let mut rows = Vec::new();
    for key in snapshot.root.type_names() {
        let Some(ty) = snapshot.root.get_type(key) else {
            continue;
        };
        for (i, label) in ty.labels.iter().enumerate() {
            rows.push(row([
                ("oid", oid(enums::label_oid(key, label))),
                ("enumtypid", oid(enums::type_oid(key))),
                ("enumsortorder", Value::Float4(i as f32 + 1.0)),
                ("enumlabel", text(label)),
            ]));
        }
    }
    rows
}

/// The enum types' pg_type rows (`typtype` 'e', no array type).
fn enum_types(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    snapshot
        .root
        .type_names()
        .map(|key| {
            let (schema, name) = split_qualified(key);
            row([
                ("oid", oid(enums::type_oid(key))),
                ("typname", text(name)),
                ("typnamespace", oid(objects.namespace_oid(schema))),
                ("typowner", oid(SUPERUSER_OID)),
                ("typlen", Value::Int2(4)),
                ("typbyval", Value::Bool(true)),
                ("typtype", text("e")),
                ("typcategory", text("E")),
                ("typisdefined", Value::Bool(true)),
                ("typdelim", text(",")),
                ("typelem", oid(0)),
                ("typarray", oid(0)),
                ("typalign", text("i")),
                ("typstorage", text("p")),
                ("typcollation", oid(0)),
                ("typtypmod", Value::Int4(-1)),
            ])
        })
        .collect()
}

/// The domains' pg_type rows (`typtype` 'd', the base type's OID and modifier).
fn domain_types(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let root = &snapshot.root;
    root.domain_names()
        .filter_map(|key| Some((key, root.get_domain(key)?)))
        .map(|(key, domain)| {
            let (schema, name) = split_qualified(key);
            let base = type_oid(&domain.base);
            let category = crate::system::types::builtin_by_oid(base).map_or('U', |b| b.category);
            row([
                ("oid", oid(crate::system::domains::domain_oid(key))),
                ("typname", text(name)),
                ("typnamespace", oid(objects.namespace_oid(schema))),
                ("typowner", oid(SUPERUSER_OID)),
                ("typlen", Value::Int2(-1)),
                ("typbyval", Value::Bool(false)),
                ("typtype", text("d")),
                ("typcategory", text(category.to_string())),
                ("typisdefined", Value::Bool(true)),
                ("typdelim", text(",")),
                ("typelem", oid(0)),
                ("typarray", oid(0)),
                ("typalign", text("i")),
                ("typstorage", text("p")),
                ("typnotnull", Value::Bool(domain.not_null)),
                ("typbasetype", oid(base)),
                ("typtypmod", Value::Int4(type_modifier(&domain.base))),
                ("typndims", Value::Int4(0)),
                (
                    "typcollation",
                    oid(if collatable(&domain.base) {
                        DEFAULT_COLLATION_OID
                    } else {
                        0
                    }),
                ),
                (
                    "typdefault",
                    domain
                        .default
                        .as_deref()
                        .map_or(Value::Null, |d| text(column_default(d, &domain.base))),
                ),
            ])
        })
        .collect()
}

/// The domains' CHECK constraints (`contypid` the domain, `conrelid` 0).
fn domain_constraints(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let root = &snapshot.root;
    let mut rows = Vec::new();
    for key in root.domain_names() {
        let Some(domain) = root.get_domain(key) else {
            continue;
        };
        let (schema, _) = split_qualified(key);
        for check in &domain.checks {
            rows.push(row([
                (
                    "oid",
                    oid(crate::system::domains::constraint_oid(key, &check.name)),
                ),
                ("conname", text(&check.name)),
                ("connamespace", oid(objects.namespace_oid(schema))),
                ("contype", text("c")),
                ("convalidated", Value::Bool(true)),
                ("conrelid", oid(0)),
                ("contypid", oid(crate::system::domains::domain_oid(key))),
                ("condeferrable", Value::Bool(false)),
                ("condeferred", Value::Bool(false)),
                ("conindid", oid(0)),
                ("confrelid", oid(0)),
                ("confupdtype", text(" ")),
                ("confdeltype", text(" ")),
                ("confmatchtype", text(" ")),
                ("conislocal", Value::Bool(true)),
                ("connoinherit", Value::Bool(false)),
                ("conbin", text(&check.expr)),
            ]));
        }
    }
    rows
}

fn pg_type(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = enum_types(snapshot, objects);
    rows.extend(domain_types(snapshot, objects));
    for b in BUILTIN_TYPES {
        let collation = if matches!(b.oid, 25 | 1042 | 1043) {
            DEFAULT_COLLATION_OID
        } else {
            0
        };
        let common = |o: u32, name: String, len: i16, category: char, elem: u32, array: u32| {
            row([
                ("oid", oid(o)),
                ("typname", text(name)),
                ("typnamespace", oid(PG_CATALOG_OID)),
                ("typowner", oid(SUPERUSER_OID)),
                ("typlen", Value::Int2(len)),
                ("typbyval", Value::Bool(matches!(len, 1 | 2 | 4 | 8))),
                ("typtype", text("b")),
                ("typcategory", text(category.to_string())),
                ("typisdefined", Value::Bool(true)),
                ("typdelim", text(",")),
                ("typelem", oid(elem)),
                ("typarray", oid(array)),
                ("typalign", text("i")),
                ("typstorage", text("p")),
                ("typcollation", oid(collation)),
                ("typtypmod", Value::Int4(-1)),
            ])
        };
        rows.push(common(
            b.oid,
            b.name.to_string(),
            b.len,
            b.category,
            0,
            b.array,
        ));
        if b.array != 0 {
            rows.push(common(b.array, format!("_{}", b.name), -1, 'A', b.oid, 0));
        }
    }
    rows
}

fn pg_index(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for i in &r.indexes {
            let n = i16::try_from(i.attnums.len()).unwrap_or(0);
            let keys = i16::try_from(i.parts.len()).unwrap_or(0);
            let options: Vec<String> = i.options().iter().map(i16::to_string).collect();
            rows.push(row([
                ("indexrelid", oid(i.oid)),
                ("indrelid", oid(r.oid)),
                ("indnatts", Value::Int2(n)),
                ("indnkeyatts", Value::Int2(keys)),
                ("indisunique", Value::Bool(i.unique)),
                ("indnullsnotdistinct", Value::Bool(i.nulls_not_distinct)),
                ("indisprimary", Value::Bool(i.primary)),
                ("indimmediate", Value::Bool(true)),
                ("indisvalid", Value::Bool(true)),
                ("indcheckxmin", Value::Bool(false)),
                ("indisready", Value::Bool(true)),
                ("indislive", Value::Bool(true)),
                ("indkey", vector(i.attnums.iter().map(|n| Value::Int2(*n)))),
                ("indcollation", vector(vec![oid(0); i.parts.len()])),
                ("indclass", vector(vec![oid(1978); i.parts.len()])),
                ("indoption", Value::Text(options.join(" "))),
                (
                    "indexprs",
                    i.expressions.clone().map_or(Value::Null, Value::Text),
                ),
                (
                    "indpred",
                    i.predicate.clone().map_or(Value::Null, Value::Text),
                ),
            ]));
        }
    }
    rows
}

fn pg_constraint(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for c in &r.constraints {
            let refs = if c.kind == 'f' {
                int2s(&c.ref_attnums)
            } else {
                Value::Null
            };
            rows.push(row([
                ("oid", oid(c.oid)),
                ("conname", text(&c.name)),
                ("connamespace", oid(r.namespace)),
                ("contype", text(c.kind.to_string())),
                ("convalidated", Value::Bool(c.validated)),
                ("conrelid", oid(r.oid)),
                ("condeferrable", Value::Bool(c.deferrable)),
                ("condeferred", Value::Bool(c.deferred)),
                ("conindid", oid(c.index_oid)),
                ("confrelid", oid(c.ref_table_oid)),
                ("confupdtype", text(c.on_update.to_string())),
                ("confdeltype", text(c.on_delete.to_string())),
                ("confmatchtype", text(if c.kind == 'f' { "s" } else { " " })),
                ("conislocal", Value::Bool(true)),
                ("connoinherit", Value::Bool(c.kind == 'p' || c.kind == 'u')),
                ("conkey", int2s(&c.attnums)),
                ("confkey", refs),
                ("conbin", text(&c.definition)),
            ]));
        }
    }
    rows
}

fn pg_am() -> Vec<Row> {
    [
        (HEAP_AM_OID, "heap", "t"),
        (BTREE_AM_OID, "btree", "i"),
        (405, "hash", "i"),
        (783, "gist", "i"),
        (2742, "gin", "i"),
        (4000, "spgist", "i"),
        (3580, "brin", "i"),
    ]
    .into_iter()
    .map(|(o, n, t)| row([("oid", oid(o)), ("amname", text(n)), ("amtype", text(t))]))
    .collect()
}

/// The languages PostgreSQL 15 has out of the box (vdb runs only `sql` functions).
/// The extensions vdb has built in, installed in `public` as CREATE EXTENSION would put them.
fn pg_extension() -> Vec<Row> {
    (13_600..)
        .zip(crate::admin::BUILT_IN_EXTENSIONS)
        .map(|(o, (name, version))| {
            row([
                ("oid", oid(o)),
                ("extname", text(*name)),
                ("extowner", oid(SUPERUSER_OID)),
                ("extnamespace", oid(PUBLIC_OID)),
                ("extrelocatable", Value::Bool(true)),
                ("extversion", text(*version)),
                ("extconfig", Value::Null),
                ("extcondition", Value::Null),
            ])
        })
        .collect()
}

fn pg_language() -> Vec<Row> {
    [
        (12, "internal", false),
        (13, "c", false),
        (14, "sql", true),
        (super::functions::PLPGSQL_LANGUAGE_OID, "plpgsql", true),
    ]
    .into_iter()
    .map(|(o, n, trusted)| {
        row([
            ("oid", oid(o)),
            ("lanname", text(n)),
            ("lanowner", oid(SUPERUSER_OID)),
            ("lanispl", Value::Bool(n == "plpgsql")),
            ("lanpltrusted", Value::Bool(trusted)),
            ("lanplcallfoid", oid(0)),
            ("laninline", oid(0)),
            ("lanvalidator", oid(0)),
        ])
    })
    .collect()
}

/// The default btree operator classes of the built-in types.
fn pg_opclass() -> Vec<Row> {
    [
        (1978, "int4_ops", 23),
        (1979, "int8_ops", 20),
        (1976, "int2_ops", 21),
        (3126, "text_ops", 25),
        (1970, "float4_ops", 700),
        (1971, "float8_ops", 701),
        (3125, "numeric_ops", 1700),
        (3122, "date_ops", 1082),
        (3128, "timestamp_ops", 1114),
        (3127, "timestamptz_ops", 1184),
        (424, "bool_ops", 16),
        (2969, "uuid_ops", 2950),
    ]
    .into_iter()
    .map(|(o, n, t)| {
        row([
            ("oid", oid(o)),
            ("opcmethod", oid(BTREE_AM_OID)),
            ("opcname", text(n)),
            ("opcnamespace", oid(PG_CATALOG_OID)),
            ("opcowner", oid(SUPERUSER_OID)),
            ("opcintype", oid(t)),
            ("opcdefault", Value::Bool(true)),
        ])
    })
    .collect()
}

fn pg_database(snapshot: &Snapshot) -> Vec<Row> {
    vec![row([
        ("oid", oid(FIRST_USER_OID - 1)),
        ("datname", text(snapshot.database())),
        ("datdba", oid(SUPERUSER_OID)),
        ("encoding", Value::Int4(6)),
        ("datlocprovider", text("c")),
        ("datallowconn", Value::Bool(true)),
        ("datconnlimit", Value::Int4(-1)),
        ("dattablespace", oid(1663)),
        ("datcollate", text("C.UTF-8")),
        ("datctype", text("C.UTF-8")),
    ])]
}

fn pg_sequence(objects: &Objects) -> Vec<Row> {
    objects
        .sequences
        .iter()
        .filter_map(|s| {
            let d = s.definition.as_ref()?;
            Some(row([
                ("seqrelid", oid(s.oid)),
                ("seqtypid", oid(sequence_type_oid(d))),
                ("seqstart", Value::Int8(d.start)),
                ("seqincrement", Value::Int8(d.increment)),
                ("seqmax", Value::Int8(d.max)),
                ("seqmin", Value::Int8(d.min)),
                ("seqcache", Value::Int8(1)),
                ("seqcycle", Value::Bool(d.cycle)),
            ]))
        })
        .collect()
}

/// The OID of a sequence's data type: smallint, integer or bigint.
fn sequence_type_oid(d: &SequenceDefinition) -> u32 {
    match d.data_type.as_str() {
        "smallint" => 21,
        "integer" => 23,
        _ => 20,
    }
}

/// `pg_sequences`: `last_value` is NULL until the sequence is first used.
fn pg_sequences(objects: &Objects) -> Vec<Row> {
    objects
        .sequences
        .iter()
        .filter_map(|s| {
            let d = s.definition.as_ref()?;
            Some(row([
                ("schemaname", text(&s.nspname)),
                ("sequencename", text(&s.name)),
                ("sequenceowner", text("postgres")),
                ("data_type", text(&d.data_type)),
                ("start_value", Value::Int8(d.start)),
                ("min_value", Value::Int8(d.min)),
                ("max_value", Value::Int8(d.max)),
                ("increment_by", Value::Int8(d.increment)),
                ("cycle", Value::Bool(d.cycle)),
                ("cache_size", Value::Int8(1)),
                (
                    "last_value",
                    if d.is_called {
                        Value::Int8(d.last_value)
                    } else {
                        Value::Null
                    },
                ),
            ]))
        })
        .collect()
}

/// `information_schema.sequences`: the bounds as text, the precision of the data type; an
/// identity column's sequence is not listed, as in PostgreSQL.
fn is_domains(snapshot: &Snapshot) -> Vec<Row> {
    let root = &snapshot.root;
    root.domain_names()
        .filter_map(|key| Some((key, root.get_domain(key)?)))
        .map(|(key, domain)| {
            let (schema, name) = split_qualified(key);
            row([
                ("domain_catalog", text(snapshot.database())),
                ("domain_schema", text(schema)),
                ("domain_name", text(name)),
                ("data_type", text(data_type(&domain.base))),
                (
                    "domain_default",
                    domain
                        .default
                        .as_deref()
                        .map_or(Value::Null, |d| text(column_default(d, &domain.base))),
                ),
                ("udt_catalog", text(snapshot.database())),
                ("udt_schema", text(udt_schema(&domain.base))),
                ("udt_name", text(udt_name(&domain.base))),
                ("dtd_identifier", text("1")),
            ])
        })
        .collect()
}

fn is_sequences(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    objects
        .sequences
        .iter()
        .filter_map(|s| {
            let d = s.definition.as_ref().filter(|d| d.identity.is_none())?;
            let precision = match d.data_type.as_str() {
                "smallint" => 16,
                "integer" => 32,
                _ => 64,
            };
            Some(row([
                ("sequence_catalog", text(snapshot.database())),
                ("sequence_schema", text(&s.nspname)),
                ("sequence_name", text(&s.name)),
                ("data_type", text(&d.data_type)),
                ("numeric_precision", Value::Int4(precision)),
                ("numeric_precision_radix", Value::Int4(2)),
                ("numeric_scale", Value::Int4(0)),
                ("start_value", text(d.start.to_string())),
                ("minimum_value", text(d.min.to_string())),
                ("maximum_value", text(d.max.to_string())),
                ("increment", text(d.increment.to_string())),
                ("cycle_option", yes_no(d.cycle)),
            ]))
        })
        .collect()
}

fn pg_collation() -> Vec<Row> {
    [
        (DEFAULT_COLLATION_OID, "default", "d"),
        (950, "C", "c"),
        (951, "POSIX", "c"),
    ]
    .into_iter()
    .map(|(o, n, p)| {
        row([
            ("oid", oid(o)),
            ("collname", text(n)),
            ("collnamespace", oid(PG_CATALOG_OID)),
            ("collowner", oid(SUPERUSER_OID)),
            ("collprovider", text(p)),
            ("collisdeterministic", Value::Bool(true)),
            ("collencoding", Value::Int4(-1)),
        ])
    })
    .collect()
}

fn pg_tablespace() -> Vec<Row> {
    [(1663, "pg_default"), (1664, "pg_global")]
        .into_iter()
        .map(|(o, n)| {
            row([
                ("oid", oid(o)),
                ("spcname", text(n)),
                ("spcowner", oid(SUPERUSER_OID)),
            ])
        })
        .collect()
}

fn pg_roles(snapshot: &Snapshot) -> Vec<Row> {
    let name = snapshot.user();
    vec![row([
        ("rolname", text(&name)),
        ("usename", text(&name)),
        ("rolsuper", Value::Bool(true)),
        ("usesuper", Value::Bool(true)),
        ("rolinherit", Value::Bool(true)),
        ("rolcreaterole", Value::Bool(true)),
        ("rolcreatedb", Value::Bool(true)),
        ("usecreatedb", Value::Bool(true)),
        ("rolcanlogin", Value::Bool(true)),
        ("rolreplication", Value::Bool(true)),
        ("userepl", Value::Bool(true)),
        ("rolbypassrls", Value::Bool(true)),
        ("usebypassrls", Value::Bool(true)),
        ("rolconnlimit", Value::Int4(-1)),
        ("rolpassword", text("********")),
        ("passwd", text("********")),
        ("oid", oid(SUPERUSER_OID)),
        ("usesysid", oid(SUPERUSER_OID)),
    ])]
}

/// The server's client backends ([`crate::activity`]).
fn pg_stat_activity() -> Vec<Row> {
    let time = |t: Option<i64>| t.map_or(Value::Null, Value::TimestampTz);
    crate::activity::list()
        .into_iter()
        .map(|b| {
            let (address, port) = match b.client {
                Some((address, port)) => (text(address), Value::Int4(port)),
                None => (Value::Null, Value::Int4(-1)),
            };
            row([
                ("datid", oid(FIRST_USER_OID - 1)),
                ("datname", text(b.database)),
                ("pid", Value::Int4(b.pid)),
                ("leader_pid", Value::Null),
                ("usesysid", oid(SUPERUSER_OID)),
                ("usename", text(b.user)),
                ("application_name", text(b.application_name)),
                ("client_addr", address),
                ("client_port", port),
                ("backend_start", Value::TimestampTz(b.backend_start)),
                ("xact_start", time(b.xact_start)),
                ("query_start", time(b.query_start)),
                ("state_change", Value::TimestampTz(b.state_change)),
                ("wait_event_type", Value::Null),
                ("wait_event", Value::Null),
                ("state", text(b.state)),
                ("backend_xid", Value::Null),
                ("backend_xmin", Value::Null),
                ("query_id", Value::Null),
                ("query", text(b.query)),
                ("backend_type", text("client backend")),
            ])
        })
        .collect()
}

fn pg_settings(snapshot: &Snapshot) -> Vec<Row> {
    let opt_text = |v: Option<String>| v.map_or(Value::Null, text);
    snapshot
        .settings
        .describe()
        .into_iter()
        .map(|d| {
            let (min, max) = d
                .range
                .map_or((None, None), |(lo, hi)| (Some(lo), Some(hi)));
            let enumvals = d.enumvals.map_or(Value::Null, |words| {
                Value::Array(words.into_iter().map(text).collect())
            });
            let source = if d.session { "session" } else { "default" };
            row([
                ("name", text(d.name)),
                ("setting", text(d.setting)),
                ("unit", opt_text(d.unit.map(str::to_string))),
                ("short_desc", text(d.description)),
                ("context", text(d.context)),
                ("vartype", text(d.vartype)),
                ("source", text(source)),
                ("min_val", opt_text(min)),
                ("max_val", opt_text(max)),
                ("enumvals", enumvals),
                ("boot_val", opt_text(d.boot.clone())),
                ("reset_val", opt_text(d.boot)),
                ("pending_restart", Value::Bool(false)),
            ])
        })
        .collect()
}

/// A minimal pg_proc: the catalog functions vdb implements, so `\df`-style lookups by name see
/// them, then the user-defined functions.
fn pg_proc(snapshot: &Snapshot) -> Result<Vec<Row>> {
    let builtin: Vec<Row> = [
        (89, "version", 25),
        (1402, "current_schema", 19),
        (861, "current_database", 19),
        (1081, "format_type", 25),
        (1716, "pg_get_expr", 25),
        (1643, "pg_get_indexdef", 25),
        (1387, "pg_get_constraintdef", 25),
        (2079, "pg_table_is_visible", 16),
        (1642, "pg_get_userbyid", 19),
    ]
    .into_iter()
    .map(|(o, n, r)| {
        row([
            ("oid", oid(o)),
            ("proname", text(n)),
            ("pronamespace", oid(PG_CATALOG_OID)),
            ("proowner", oid(SUPERUSER_OID)),
            ("prolang", oid(12)),
            ("prokind", text("f")),
            ("provolatile", text("s")),
            ("proparallel", text("s")),
            ("prorettype", oid(r)),
        ])
    })
    .collect();
    let user = super::functions::pg_proc_rows(snapshot)?
        .into_iter()
        .map(|cells| cells.into_iter().collect());
    Ok(builtin.into_iter().chain(user).collect())
}

fn pg_tables(objects: &Objects) -> Vec<Row> {
    objects
        .relations
        .iter()
        .filter(|r| r.view.is_none() && r.schema.materialized.is_none())
        .map(|r| {
            row([
                ("schemaname", text(Objects::schema_name(r))),
                ("tablename", text(&r.name)),
                ("tableowner", text("postgres")),
                ("hasindexes", Value::Bool(!r.indexes.is_empty())),
            ])
        })
        .collect()
}

fn pg_indexes(objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in objects.relations.iter().filter(|r| r.view.is_none()) {
        for i in &r.indexes {
            let definition = i.definition(&format!(
                "{}.{}",
                quote_ident(&r.nspname),
                quote_ident(&r.name)
            ));
            rows.push(row([
                ("schemaname", text(Objects::schema_name(r))),
                ("tablename", text(&r.name)),
                ("indexname", text(&i.name)),
                ("tablespace", Value::Null),
                ("indexdef", text(definition)),
            ]));
        }
    }
    rows
}

/// The text `pg_get_viewdef` and the view catalogs show for a view's query.
pub fn view_definition(query: &str) -> String {
    format!(" {query};")
}

fn pg_views(objects: &Objects) -> Vec<Row> {
    objects
        .relations
        .iter()
        .filter_map(|r| {
            let query = r.view.as_ref()?;
            Some(row([
                ("schemaname", text(Objects::schema_name(r))),
                ("viewname", text(&r.name)),
                ("viewowner", text("postgres")),
                ("definition", text(view_definition(query))),
            ]))
        })
        .collect()
}

fn pg_matviews(objects: &Objects) -> Vec<Row> {
    objects
        .relations
        .iter()
        .filter_map(|r| {
            let materialized = r.schema.materialized.as_ref()?;
            Some(row([
                ("schemaname", text(Objects::schema_name(r))),
                ("matviewname", text(&r.name)),
                ("matviewowner", text("postgres")),
                ("tablespace", Value::Null),
                ("hasindexes", Value::Bool(!r.indexes.is_empty())),
                ("ispopulated", Value::Bool(materialized.populated)),
                ("definition", text(view_definition(&materialized.query))),
            ]))
        })
        .collect()
}

fn is_views(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    objects
        .relations
        .iter()
        .filter_map(|r| {
            let query = r.view.as_ref()?;
            let updatable = view_writable_columns(snapshot, r).is_some();
            Some(row([
                ("table_catalog", text(snapshot.database())),
                ("table_schema", text(Objects::schema_name(r))),
                ("table_name", text(&r.name)),
                ("view_definition", text(view_definition(query))),
                (
                    "check_option",
                    text(
                        match snapshot
                            .root
                            .get_view(&vdb_engine::table::qualified(&r.nspname, &r.name))
                            .and_then(|v| v.check_option)
                        {
                            Some(vdb_engine::table::CheckOption::Local) => "LOCAL",
                            Some(vdb_engine::table::CheckOption::Cascaded) => "CASCADED",
                            None => "NONE",
                        },
                    ),
                ),
                ("is_updatable", yes_no(updatable)),
                ("is_insertable_into", yes_no(updatable)),
                ("is_trigger_updatable", yes_no(false)),
                ("is_trigger_deletable", yes_no(false)),
                ("is_trigger_insertable_into", yes_no(false)),
            ]))
        })
        .collect()
}

fn yes_no(b: bool) -> Value {
    text(if b { "YES" } else { "NO" })
}

fn schemata(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    [
        "information_schema",
        "pg_catalog",
        "pg_toast",
        "public",
        "vdb",
    ]
    .into_iter()
    .chain(
        objects
            .namespaces
            .iter()
            .map(|(_, n)| crate::temp::display_schema(n)),
    )
    .map(|s| {
        row([
            ("catalog_name", text(snapshot.database())),
            ("schema_name", text(s)),
            ("schema_owner", text(snapshot.user())),
        ])
    })
    .collect()
}

fn is_tables(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    objects
        .relations
        .iter()
        .filter(|r| r.schema.materialized.is_none())
        .map(|r| {
            row([
                ("table_catalog", text(snapshot.database())),
                ("table_schema", text(Objects::schema_name(r))),
                ("table_name", text(&r.name)),
                (
                    "table_type",
                    text(if r.view.is_some() {
                        "VIEW"
                    } else if Objects::is_temporary(r) {
                        "LOCAL TEMPORARY"
                    } else {
                        "BASE TABLE"
                    }),
                ),
                (
                    "is_insertable_into",
                    yes_no(
                        r.namespace != VDB_NAMESPACE_OID
                            && (r.view.is_none() || view_writable_columns(snapshot, r).is_some()),
                    ),
                ),
                ("is_typed", yes_no(false)),
            ])
        })
        .collect()
}

/// `information_schema.columns.data_type`: the SQL name without modifiers, `ARRAY` for arrays.
fn data_type(ty: &Type) -> String {
    match ty {
        Type::Enum(_) => "USER-DEFINED".into(),
        Type::Array(_) => "ARRAY".into(),
        Type::Char(_) => "character".into(),
        Type::Varchar(_) => "character varying".into(),
        Type::Numeric { .. } => "numeric".into(),
        other => crate::system::types::format_type(type_oid(other), None).unwrap_or_default(),
    }
}

/// `udt_schema`: the enum type's schema, `pg_catalog` for the built-in types.
/// information_schema's `udt_name`: the type's pg_type name (`int4`, `_text`, an enum's name).
fn udt_name(ty: &Type) -> String {
    if let Type::Enum(key) = ty {
        return split_qualified(key).1.to_string();
    }
    crate::system::types::builtin_by_oid(type_oid(ty))
        .map(|b| b.name.to_string())
        .or_else(|| {
            crate::system::types::element_of_array(type_oid(ty)).map(|b| format!("_{}", b.name))
        })
        .unwrap_or_default()
}

fn udt_schema(ty: &Type) -> String {
    match ty {
        Type::Enum(key) => split_qualified(key).0.to_string(),
        _ => "pg_catalog".into(),
    }
}

fn is_columns(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    // As in PostgreSQL, the standard's catalog leaves materialized views out.
    for r in objects
        .relations
        .iter()
        .filter(|r| r.schema.materialized.is_none())
    {
        let writable = match &r.view {
            Some(_) => view_writable_columns(snapshot, r).unwrap_or_default(),
            None => vec![true; r.schema.columns.len()],
        };
        for (i, c) in r.schema.columns.iter().enumerate() {
            let identity = objects.identity(r.oid, attnum(i));
            let mut cells = row([
                ("table_catalog", text(snapshot.database())),
                ("table_schema", text(Objects::schema_name(r))),
                ("table_name", text(&r.name)),
                ("column_name", text(&c.name)),
                ("ordinal_position", Value::Int4(i32::from(attnum(i)))),
                ("is_nullable", yes_no(c.nullable)),
                ("data_type", text(data_type(&c.ty))),
                ("is_self_referencing", yes_no(false)),
                ("is_identity", yes_no(identity.is_some())),
                (
                    "is_generated",
                    text(if c.generated.is_some() {
                        "ALWAYS"
                    } else {
                        "NEVER"
                    }),
                ),
                (
                    "is_updatable",
                    yes_no(writable.get(i).copied().unwrap_or(false)),
                ),
                ("dtd_identifier", text((i + 1).to_string())),
                ("udt_catalog", text(snapshot.database())),
                ("udt_schema", text(udt_schema(&c.ty))),
                ("udt_name", text(udt_name(&c.ty))),
            ]);
            if let Some(key) = &c.domain {
                let (schema, name) = split_qualified(key);
                cells.insert("domain_catalog", text(snapshot.database()));
                cells.insert("domain_schema", text(schema));
                cells.insert("domain_name", text(name));
            }
            for (k, v) in identity_columns(identity) {
                cells.insert(k, v);
            }
            if let Some(d) = c.default.as_ref().filter(|_| identity.is_none()) {
                cells.insert(
                    "column_default",
                    text(crate::temp::display_default(&column_default(d, &c.ty))),
                );
            } else {
                cells.insert("column_default", Value::Null);
            }
            cells.insert(
                "generation_expression",
                c.generated
                    .as_deref()
                    .map_or(Value::Null, |g| text(crate::planner::generation_display(g))),
            );
            for (k, v) in column_sizes(&c.ty) {
                cells.insert(k, v);
            }
            if let Some(digits) = c.precision {
                cells.insert("datetime_precision", Value::Int4(i32::from(digits)));
            }
            for k in [
                "character_maximum_length",
                "character_octet_length",
                "numeric_precision",
                "numeric_precision_radix",
                "numeric_scale",
                "datetime_precision",
            ] {
                cells.entry(k).or_insert(Value::Null);
            }
            rows.push(cells);
        }
    }
    rows
}

/// The identity_* columns of information_schema.columns: NULL unless the column is an
/// identity column, but for identity_cycle, NO then.
fn identity_columns(identity: Option<&SequenceDefinition>) -> [(&'static str, Value); 6] {
    let number = |n: i64| identity.map_or(Value::Null, |_| text(n.to_string()));
    let s = identity
        .cloned()
        .unwrap_or_else(|| SequenceDefinition::new("bigint", 0, 0, 0, 0));
    [
        (
            "identity_generation",
            match s.identity {
                Some(Identity::Always) => text("ALWAYS"),
                Some(Identity::ByDefault) => text("BY DEFAULT"),
                None => Value::Null,
            },
        ),
        ("identity_start", number(s.start)),
        ("identity_increment", number(s.increment)),
        ("identity_maximum", number(s.max)),
        ("identity_minimum", number(s.min)),
        ("identity_cycle", yes_no(s.cycle)),
    ]
}

/// The length, precision and scale columns of information_schema.columns.
fn column_sizes(ty: &Type) -> Vec<(&'static str, Value)> {
    let int = |n: i64| Value::Int4(i32::try_from(n).unwrap_or(i32::MAX));
    match ty {
        Type::Varchar(Some(n)) | Type::Char(n) => vec![
            ("character_maximum_length", int(i64::from(*n))),
            ("character_octet_length", int(i64::from(*n) * 4)),
        ],
        Type::Varchar(None) | Type::Text => {
            vec![("character_octet_length", int(1_073_741_824))]
        }
        Type::Int2 => vec![
            ("numeric_precision", int(16)),
            ("numeric_precision_radix", int(2)),
            ("numeric_scale", int(0)),
        ],
        Type::Int4 => vec![
            ("numeric_precision", int(32)),
            ("numeric_precision_radix", int(2)),
            ("numeric_scale", int(0)),
        ],
        Type::Int8 => vec![
            ("numeric_precision", int(64)),
            ("numeric_precision_radix", int(2)),
            ("numeric_scale", int(0)),
        ],
        Type::Float4 => vec![
            ("numeric_precision", int(24)),
            ("numeric_precision_radix", int(2)),
        ],
        Type::Float8 => vec![
            ("numeric_precision", int(53)),
            ("numeric_precision_radix", int(2)),
        ],
        Type::Numeric {
            precision_scale: Some((p, s)),
        } => vec![
            ("numeric_precision", int(i64::from(*p))),
            ("numeric_precision_radix", int(10)),
            ("numeric_scale", int(i64::from(*s))),
        ],
        Type::Numeric {
            precision_scale: None,
        } => vec![("numeric_precision_radix", int(10))],
        Type::Date => vec![("datetime_precision", int(0))],
        Type::Time | Type::Timestamp | Type::TimestampTz | Type::Interval => {
            vec![("datetime_precision", int(6))]
        }
        _ => Vec::new(),
    }
}

fn constraint_type(kind: char) -> &'static str {
    match kind {
        'p' => "PRIMARY KEY",
        'u' => "UNIQUE",
        'f' => "FOREIGN KEY",
        _ => "CHECK",
    }
}

/// PostgreSQL lists each NOT NULL column as a CHECK constraint named
/// `<namespace oid>_<table oid>_<attnum>_not_null` in information_schema.
fn not_null_constraints(r: &Relation) -> impl Iterator<Item = (String, String)> + '_ {
    r.schema
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.nullable)
        .map(move |(i, c)| {
            (
                format!("{}_{}_{}_not_null", r.namespace, r.oid, attnum(i)),
                format!("{} IS NOT NULL", quote_ident(&c.name)),
            )
        })
}

fn table_constraints(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for (name, _) in not_null_constraints(r) {
            rows.push(row([
                ("constraint_catalog", text(snapshot.database())),
                ("constraint_schema", text(Objects::schema_name(r))),
                ("constraint_name", text(name)),
                ("table_catalog", text(snapshot.database())),
                ("table_schema", text(Objects::schema_name(r))),
                ("table_name", text(&r.name)),
                ("constraint_type", text("CHECK")),
                ("is_deferrable", yes_no(false)),
                ("initially_deferred", yes_no(false)),
                ("enforced", yes_no(true)),
            ]));
        }
        for c in &r.constraints {
            rows.push(row([
                ("constraint_catalog", text(snapshot.database())),
                ("constraint_schema", text(Objects::schema_name(r))),
                ("constraint_name", text(&c.name)),
                ("table_catalog", text(snapshot.database())),
                ("table_schema", text(Objects::schema_name(r))),
                ("table_name", text(&r.name)),
                ("constraint_type", text(constraint_type(c.kind))),
                ("is_deferrable", yes_no(c.deferrable)),
                ("initially_deferred", yes_no(c.deferred)),
                ("enforced", yes_no(true)),
                (
                    "nulls_distinct",
                    if c.kind == 'u' {
                        yes_no(true)
                    } else {
                        Value::Null
                    },
                ),
            ]));
        }
    }
    rows
}

fn key_column_usage(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for c in r.constraints.iter().filter(|c| c.kind != 'c') {
            for (k, n) in c.attnums.iter().enumerate() {
                let Some(col) = usize::try_from(*n - 1)
                    .ok()
                    .and_then(|p| r.schema.columns.get(p))
                else {
                    continue;
                };
                let position = Value::Int4(i32::from(attnum(k)));
                rows.push(row([
                    ("constraint_catalog", text(snapshot.database())),
                    ("constraint_schema", text(Objects::schema_name(r))),
                    ("constraint_name", text(&c.name)),
                    ("table_catalog", text(snapshot.database())),
                    ("table_schema", text(Objects::schema_name(r))),
                    ("table_name", text(&r.name)),
                    ("column_name", text(&col.name)),
                    ("ordinal_position", position.clone()),
                    (
                        "position_in_unique_constraint",
                        if c.kind == 'f' { position } else { Value::Null },
                    ),
                ]));
            }
        }
    }
    rows
}

/// The table a constraint constrains, or, for a foreign key, the table it references, with
/// the columns it uses there (check columns, key columns, referenced columns).
fn constraint_targets<'a>(
    objects: &'a Objects,
    r: &'a Relation,
    c: &'a Constraint,
) -> Option<(&'a Relation, &'a [i16])> {
    if c.kind == 'f' {
        objects
            .relation(c.ref_table_oid)
            .map(|t| (t, c.ref_attnums.as_slice()))
    } else {
        Some((r, c.attnums.as_slice()))
    }
}

/// A row of constraint_column_usage (with `column`) or constraint_table_usage: the table (and
/// column) used, then constraint `c` of relation `r`.
fn usage_row(
    snapshot: &Snapshot,
    target: &Relation,
    column: Option<&str>,
    r: &Relation,
    c: &Constraint,
) -> Row {
    let mut fields = vec![
        ("table_catalog", text(snapshot.database())),
        ("table_schema", text(Objects::schema_name(target))),
        ("table_name", text(&target.name)),
    ];
    fields.extend(column.map(|name| ("column_name", text(name))));
    fields.extend([
        ("constraint_catalog", text(snapshot.database())),
        ("constraint_schema", text(Objects::schema_name(r))),
        ("constraint_name", text(&c.name)),
    ]);
    fields.into_iter().collect()
}

fn constraint_column_usage(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for c in &r.constraints {
            let Some((target, attnums)) = constraint_targets(objects, r, c) else {
                continue;
            };
            let mut attnums = attnums.to_vec();
            attnums.sort_unstable();
            for n in attnums {
                let Some(col) = usize::try_from(n - 1)
                    .ok()
                    .and_then(|p| target.schema.columns.get(p))
                else {
                    continue;
                };
                rows.push(usage_row(snapshot, target, Some(&col.name), r, c));
            }
        }
    }
    rows
}

fn constraint_table_usage(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        // As in PostgreSQL, key constraints only.
        for c in r
            .constraints
            .iter()
            .filter(|c| matches!(c.kind, 'p' | 'u' | 'f'))
        {
            let Some((target, _)) = constraint_targets(objects, r, c) else {
                continue;
            };
            rows.push(usage_row(snapshot, target, None, r, c));
        }
    }
    rows
}

fn referential_constraints(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let rule = |code: char| match code {
        'c' => "CASCADE",
        'n' => "SET NULL",
        'd' => "SET DEFAULT",
        'r' => "RESTRICT",
        _ => "NO ACTION",
    };
    let mut rows = Vec::new();
    for r in &objects.relations {
        for c in r.constraints.iter().filter(|c| c.kind == 'f') {
            let unique = objects.relation(c.ref_table_oid).and_then(|t| {
                t.constraints
                    .iter()
                    .find(|u| matches!(u.kind, 'p' | 'u') && u.attnums == c.ref_attnums)
            });
            rows.push(row([
                ("constraint_catalog", text(snapshot.database())),
                ("constraint_schema", text(Objects::schema_name(r))),
                ("constraint_name", text(&c.name)),
                ("unique_constraint_catalog", text(snapshot.database())),
                (
                    "unique_constraint_schema",
                    text(
                        objects
                            .relation(c.ref_table_oid)
                            .map_or("public", Objects::schema_name),
                    ),
                ),
                (
                    "unique_constraint_name",
                    unique.map_or(Value::Null, |u| text(&u.name)),
                ),
                ("match_option", text("NONE")),
                ("update_rule", text(rule(c.on_update))),
                ("delete_rule", text(rule(c.on_delete))),
            ]));
        }
    }
    rows
}

fn check_constraints(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let mut rows = Vec::new();
    for r in &objects.relations {
        for (name, clause) in not_null_constraints(r) {
            rows.push(row([
                ("constraint_catalog", text(snapshot.database())),
                ("constraint_schema", text(Objects::schema_name(r))),
                ("constraint_name", text(name)),
                ("check_clause", text(clause)),
            ]));
        }
        for c in r.constraints.iter().filter(|c| c.kind == 'c') {
            rows.push(row([
                ("constraint_catalog", text(snapshot.database())),
                ("constraint_schema", text(Objects::schema_name(r))),
                ("constraint_name", text(&c.name)),
                (
                    "check_clause",
                    text(c.definition.trim_start_matches("CHECK ").to_string()),
                ),
            ]));
        }
    }
    rows
}

/// Which columns of view `r` can be written through it (`None`: not automatically updatable).
fn view_writable_columns(snapshot: &Snapshot, r: &Relation) -> Option<Vec<bool>> {
    let catalog = crate::catalog::Catalog::new(&snapshot.root, &snapshot.ns);
    let key = vdb_engine::table::qualified(&r.nspname, &r.name);
    crate::planner::view_writable_columns(&catalog, &key)
}
