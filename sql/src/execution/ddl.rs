//! DDL: executes a [`SchemaChange`] against the root's tables, sequences and indexes. Every
//! change is checked before the root is touched, so a failed statement changes nothing.

use std::collections::BTreeSet;

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{split_qualified, RootValue, Schema, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::constraints::check_existing_rows;
use crate::execution::foreign_key::refuse_drop_referenced;
use crate::execution::insert::load;
use crate::execution::OrdRow;
use crate::execution::{insert, sequence};
use crate::notice;
use crate::planner::{Plan, SchemaChange};

/// Applies `change` to `root`.
pub fn schema_change(change: SchemaChange, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    match change {
        SchemaChange::CreateTable {
            name,
            schema,
            if_not_exists,
            sequences,
        } => create_table(&name, schema, if_not_exists, sequences, root, ns),
        SchemaChange::DropTables {
            names,
            if_exists,
            cascade,
            materialized,
        } => {
            let kind = Some(materialized);
            let cascaded = if cascade {
                drop_tables_cascade(&names, if_exists, kind, root, ns)?
            } else {
                drop_tables(&names, if_exists, false, kind, root, ns)?
            };
            notice::drop_cascades(&cascaded);
            Ok(())
        }
        SchemaChange::CreateView {
            name,
            view,
            or_replace,
        } => super::view::create_view(&name, view, or_replace, root),
        SchemaChange::CreateFunction {
            name,
            function,
            or_replace,
        } => super::function::create_function(&name, function, or_replace, root),
        SchemaChange::DropFunctions {
            functions,
            if_exists,
            procedures,
        } => super::function::drop_functions(&functions, if_exists, procedures, root, ns),
        SchemaChange::CreateTrigger {
            table,
            trigger,
            or_replace,
        } => super::trigger::add(&table, trigger, or_replace, root, ns),
        SchemaChange::DropTrigger {
            table,
            name,
            if_exists,
        } => super::trigger::remove(&table, &name, if_exists, root, ns),
        SchemaChange::DropViews {
            names,
            if_exists,
            cascade,
        } => {
            let cascaded = super::view::drop_views(&names, if_exists, cascade, root, ns)?;
            notice::drop_cascades(&cascaded);
            Ok(())
        }
        SchemaChange::CreateSequence {
            name,
            sequence,
            if_not_exists,
        } => {
            if relation_exists(root, &name) {
                let bare = split_qualified(&name).1.to_string();
                if if_not_exists {
                    skip_existing_relation(&bare);
                    return Ok(());
                }
                return Err(Error::DuplicateTable(name));
            }
            sequence::forget_mark(&name);
            root.put_sequence(&name, sequence);
            Ok(())
        }
        SchemaChange::AlterSequence {
            name,
            identity_column,
            alter,
            if_exists,
        } => {
            let name = match identity_column {
                Some(column) if relation_exists(root, &name) || !if_exists => {
                    identity_sequence(&name, &column, root, ns)?
                }
                _ => name,
            };
            let Some(sequence) = root.get_sequence(&name) else {
                if if_exists {
                    skip_missing_relation("relation", &name, root);
                    return Ok(());
                }
                let bare = split_qualified(&name).1;
                return Err(Error::invalid(
                    "42P01",
                    format!("relation \"{bare}\" does not exist"),
                ));
            };
            let altered = alter.apply(sequence)?;
            sequence::forget_mark(&name);
            root.put_sequence(&name, altered);
            Ok(())
        }
        SchemaChange::DropSequences { names, if_exists } => {
            drop_sequences(&names, if_exists, root, ns)
        }
        SchemaChange::CreateIndex {
            table,
            index,
            if_not_exists,
        } => {
            let key = vdb_engine::table::qualified(split_qualified(&table).0, &index.name);
            if relation_exists(root, &key) || index_table(root, ns, &key)?.is_some() {
                if if_not_exists {
                    skip_existing_relation(&index.name);
                    return Ok(());
                }
                return Err(Error::DuplicateTable(index.name));
            }
            let mut schema = load(&table, root, ns)?.schema().clone();
            schema.indexes.push(index);
            replace_schema(&table, schema, root, ns)
        }
        SchemaChange::DropIndexes { names, if_exists } => drop_indexes(&names, if_exists, root, ns),
        SchemaChange::RenameIndex { from, to } => rename_index(&from, &to, root, ns),
        SchemaChange::ReplaceSchema { table, schema } => replace_schema(&table, schema, root, ns),
        SchemaChange::Comment {
            table,
            column,
            comment,
        } => {
            let loaded = load(&table, root, ns)?;
            let mut comments = loaded.schema().comments.clone();
            match (column, comment) {
                (None, comment) => comments.table = comment,
                (Some(id), Some(comment)) => {
                    comments.columns.insert(id, comment);
                }
                (Some(id), None) => {
                    comments.columns.remove(&id);
                }
            }
            root.put_table(&table, &loaded.with_comments(comments))
                .map_err(|e| Error::engine(format!("saving table \"{table}\""), e))
        }
        SchemaChange::RenameTable { from, to } => rename_table(&from, &to, root, ns),
        SchemaChange::RenameSequence { from, to } => rename_sequence(&from, &to, root, ns),
        SchemaChange::AlterTable(alter) => super::alter::alter_table(&alter, root, ns),
        SchemaChange::Nothing => Ok(()),
        SchemaChange::CreateTableAs {
            name,
            schema,
            source,
            if_not_exists,
            populate,
        } => create_table_as(&name, schema, *source, if_not_exists, populate, root, ns).map(|_| ()),
        SchemaChange::RefreshMaterialized { name, source } => {
            super::matview::refresh(&name, source.map(|s| *s), root, ns)
        }
        SchemaChange::Truncate {
            names,
            restart_identity,
            cascade,
        } => truncate(names, restart_identity, cascade, root, ns),
        SchemaChange::CreateSchema {
            name,
            if_not_exists,
        } => super::namespace::create_schema(&name, if_not_exists, root),
        SchemaChange::DropSchemas {
            names,
            if_exists,
            cascade,
        } => super::namespace::drop_schemas(&names, if_exists, cascade, root, ns),
        SchemaChange::RenameSchema { from, to } => {
            super::namespace::rename_schema(&from, &to, root, ns)
        }
        SchemaChange::CreateType { name, labels } => {
            super::enum_type::create_type(&name, labels, root)
        }
        SchemaChange::DropTypes {
            names,
            if_exists,
            cascade,
        } => super::enum_type::drop_types(&names, if_exists, cascade, root, ns),
        SchemaChange::AlterType { name, change } => {
            super::enum_type::alter_type(&name, change, root, ns)
        }
        SchemaChange::CreateDomain { name, domain } => {
            super::domain::create_domain(&name, domain, root)
        }
        SchemaChange::DropDomains {
            names,
            if_exists,
            cascade,
        } => super::domain::drop_domains(&names, if_exists, cascade, root, ns),
        SchemaChange::AlterDomain { name, change } => {
            super::domain::alter_domain(&name, change, root, ns)
        }
    }
}

/// NOTICE `<kind> "x" does not exist, skipping` for a DROP ... IF EXISTS of the missing
/// relation `key` (`x`, `s.x`), or `schema "s" does not exist, skipping` when its schema is
/// missing, as PostgreSQL reports the first name it cannot find.
pub(super) fn skip_missing_relation(kind: &str, key: &str, root: &RootValue) {
    let (schema, name) = split_qualified(key);
    if !root.has_schema(schema) && !crate::system::is_system_schema(schema) {
        notice::skipping_missing(format!("schema \"{schema}\""));
    } else {
        notice::skipping_missing(format!("{kind} \"{name}\""));
    }
}

/// NOTICE 42P07 `relation "x" already exists, skipping` for a CREATE ... IF NOT EXISTS.
pub(super) fn skip_existing_relation(name: &str) {
    notice::skipping_existing("42P07", format!("relation \"{name}\""));
}

/// Whether a table, sequence or view (PostgreSQL's relations share one namespace) is named
/// `name`.
pub(super) fn relation_exists(root: &RootValue, name: &str) -> bool {
    root.table_addr(name).is_some()
        || root.get_sequence(name).is_some()
        || root.get_view(name).is_some()
}

fn create_table(
    name: &str,
    schema: Schema,
    if_not_exists: bool,
    sequences: Vec<(String, vdb_engine::table::Sequence)>,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    if relation_exists(root, name) {
        if if_not_exists {
            skip_existing_relation(split_qualified(name).1);
            return Ok(());
        }
        return Err(Error::DuplicateTable(split_qualified(name).1.to_string()));
    }
    let schema_name = split_qualified(name).0;
    // The session's temporary schema comes into being with its first table.
    if schema_name == crate::temp::TEMP_SCHEMA {
        root.put_schema(schema_name);
    }
    if !root.has_schema(schema_name) {
        return Err(Error::invalid(
            "3F000",
            format!("schema \"{schema_name}\" does not exist"),
        ));
    }
    if let Some((taken, _)) = sequences.iter().find(|(s, _)| relation_exists(root, s)) {
        return Err(Error::DuplicateTable(taken.clone()));
    }
    for index in &schema.indexes {
        let key = vdb_engine::table::qualified(split_qualified(name).0, &index.name);
        if index_table(root, ns, &key)?.is_some() {
            return Err(Error::DuplicateTable(index.name.clone()));
        }
    }
    let table = Table::create(ns, schema)
        .map_err(|e| Error::engine(format!("creating table \"{name}\""), e))?;
    root.put_table(name, &table)
        .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))?;
    for (sequence_name, sequence) in sequences {
        sequence::forget_mark(&sequence_name);
        root.put_sequence(&sequence_name, sequence);
    }
    Ok(())
}

/// CREATE TABLE .. AS (and CREATE MATERIALIZED VIEW): creates the table and inserts the
/// query's rows unless not `populate`; returns how many (None when the table existed and
/// `if_not_exists`, or was not populated).
pub fn create_table_as(
    name: &str,
    schema: Schema,
    source: Plan,
    if_not_exists: bool,
    populate: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Option<u64>> {
    if relation_exists(root, name) && if_not_exists {
        skip_existing_relation(split_qualified(name).1);
        return Ok(None);
    }
    create_table(name, schema, false, Vec::new(), root, ns)?;
    if !populate {
        return Ok(None);
    }
    let rows = sequence::rows(source, root, ns)?;
    let written = insert::insert(name, rows, None, root, ns)?;
    Ok(Some(written.len() as u64))
}

/// DROP ... CASCADE's drop of tables: foreign keys into them from other tables are dropped
/// (as PostgreSQL's CASCADE drops those constraints), then the tables and the views that use
/// them. Returns what else went, described for the `drop cascades to` notice (`constraint
/// c_x_fkey on table c`, `view v`).
pub fn drop_tables_cascade(
    names: &[String],
    if_exists: bool,
    kind: Option<bool>,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    check_droppable_tables(names, if_exists, kind, root, ns)?;
    let mut cascaded = Vec::new();
    let others: Vec<String> = root
        .table_names()
        .filter(|t| !names.iter().any(|n| n == t))
        .map(str::to_string)
        .collect();
    for other in others {
        let table = load(&other, root, ns)?;
        if !table
            .schema()
            .foreign_keys
            .iter()
            .any(|fk| names.contains(&fk.ref_table))
        {
            continue;
        }
        let mut schema = table.schema().clone();
        for fk in schema
            .foreign_keys
            .iter()
            .filter(|fk| names.contains(&fk.ref_table))
        {
            cascaded.push(format!("constraint {} on table {other}", fk.name));
        }
        schema
            .foreign_keys
            .retain(|fk| !names.contains(&fk.ref_table));
        let table = table
            .with_schema(schema)
            .map_err(|e| Error::engine(format!("rebuilding table \"{other}\""), e))?;
        root.put_table(&other, &table)
            .map_err(|e| Error::engine(format!("saving table \"{other}\""), e))?;
    }
    cascaded.extend(drop_tables(names, if_exists, true, kind, root, ns)?);
    Ok(cascaded)
}

/// Drops the tables and the sequences they own; a missing table is an error unless
/// `if_exists`. Checks all before dropping any, so a failed DROP changes nothing. Returns the
/// views CASCADE dropped, described for the `drop cascades to` notice.
fn drop_tables(
    names: &[String],
    if_exists: bool,
    cascade: bool,
    kind: Option<bool>,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    check_droppable_tables(names, if_exists, kind, root, ns)?;
    if if_exists {
        let noun = if kind == Some(true) {
            "materialized view"
        } else {
            "table"
        };
        for missing in names.iter().filter(|n| root.table_addr(n).is_none()) {
            skip_missing_relation(noun, missing, root);
        }
    }
    for name in names {
        refuse_drop_referenced(name, names, root, ns)?;
    }
    let present: Vec<String> = names
        .iter()
        .filter(|n| root.table_addr(n).is_some())
        .cloned()
        .collect();
    let cascaded = super::view::drop_dependent_views(&present, cascade, root, ns)?;
    for name in names {
        root.remove_table(name);
        let owned: Vec<String> = root
            .sequence_names()
            .filter(|s| {
                root.get_sequence(s)
                    .and_then(|q| q.owned_by.as_ref())
                    .is_some_and(|(t, _)| t == name)
            })
            .map(str::to_string)
            .collect();
        for sequence in owned {
            sequence::forget_dropped(&sequence);
            root.remove_sequence(&sequence);
        }
    }
    Ok(cascaded)
}

/// 42809 if one of `names` is a view, or of the other `kind` (`Some(true)`: materialized
/// views only, `Some(false)`: plain tables only, `None`: either); 42P01 if one is missing,
/// unless `if_exists`.
fn check_droppable_tables(
    names: &[String],
    if_exists: bool,
    kind: Option<bool>,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let not = |name: &str| {
        let noun = if kind == Some(true) {
            "materialized view"
        } else {
            "table"
        };
        Error::invalid("42809", format!("\"{name}\" is not a {noun}"))
    };
    if let Some(view) = names.iter().find(|n| root.get_view(n).is_some()) {
        return Err(not(view));
    }
    for name in names.iter().filter(|n| root.table_addr(n).is_some()) {
        if let Some(kind) = kind {
            if load(name, root, ns)?.schema().materialized.is_some() != kind {
                return Err(not(split_qualified(name).1));
            }
        }
    }
    if !if_exists {
        if let Some(missing) = names.iter().find(|n| root.table_addr(n).is_none()) {
            let noun = if kind == Some(true) {
                "materialized view"
            } else {
                "table"
            };
            return Err(Error::invalid(
                "42P01",
                format!("{noun} \"{missing}\" does not exist"),
            ));
        }
    }
    Ok(())
}

/// Drops the sequences; one a column default still draws from is refused (2BP01), as
/// PostgreSQL refuses without CASCADE, whether the column owns the sequence (serial,
/// identity) or only names it (`DEFAULT nextval('s')`).
fn drop_sequences(
    names: &[String],
    if_exists: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    if !if_exists {
        if let Some(missing) = names.iter().find(|n| root.get_sequence(n).is_none()) {
            return Err(Error::invalid(
                "42P01",
                format!("sequence \"{missing}\" does not exist"),
            ));
        }
    }
    for missing in names.iter().filter(|n| root.get_sequence(n).is_none()) {
        skip_missing_relation("sequence", missing, root);
    }
    let dropped: Vec<&String> = names
        .iter()
        .filter(|n| root.get_sequence(n).is_some())
        .collect();
    if !dropped.is_empty() {
        let tables: Vec<String> = root.table_names().map(str::to_string).collect();
        for table in tables {
            let loaded = load(&table, root, ns)?;
            for column in &loaded.schema().columns {
                let Some(drawn) = column
                    .default
                    .as_deref()
                    .and_then(crate::system::nextval_sequence)
                else {
                    continue;
                };
                if let Some(name) = dropped.iter().find(|n| ***n == drawn) {
                    return Err(Error::depended_on(
                        &format!("sequence {name}"),
                        &[format!(
                            "default value for column {} of table {table} depends on sequence {name}",
                            column.name
                        )],
                    ));
                }
            }
        }
    }
    for name in names {
        sequence::forget_dropped(name);
        root.remove_sequence(name);
    }
    Ok(())
}

/// The table that holds index `key` (`s.i`: index `i` of a table in schema `s`), if any.
fn index_table(root: &RootValue, ns: &NodeStore, key: &str) -> Result<Option<String>> {
    crate::catalog::index_table(root, ns, key)
}

fn drop_indexes(
    names: &[String],
    if_exists: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let mut by_table: Vec<(String, String)> = Vec::new();
    for key in names {
        let name = &split_qualified(key).1.to_string();
        match index_table(root, ns, key)? {
            Some(table) => {
                let schema = load(&table, root, ns)?.schema().clone();
                if schema
                    .indexes
                    .iter()
                    .any(|ix| &ix.name == name && ix.constraint)
                {
                    return Err(Error::invalid(
                        "2BP01",
                        format!(
                            "cannot drop index {name} because constraint {name} on table {table} requires it"
                        ),
                    ));
                }
                by_table.push((table, name.clone()));
            }
            None if if_exists => skip_missing_relation("index", key, root),
            None => {
                return Err(Error::invalid(
                    "42704",
                    format!("index \"{name}\" does not exist"),
                ))
            }
        }
    }
    for (table, name) in by_table {
        let mut schema = load(&table, root, ns)?.schema().clone();
        schema.indexes.retain(|ix| ix.name != name);
        replace_schema(&table, schema, root, ns)?;
    }
    Ok(())
}

/// ALTER INDEX `from` RENAME TO `to`: the index (or primary key) of whichever table of `from`'s
/// schema has it takes the new name; its maps stay as they are.
fn rename_index(from: &str, to: &str, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    let (schema_name, old) = split_qualified(from);
    let new_key = vdb_engine::table::qualified(schema_name, to);
    if relation_exists(root, &new_key) || index_table(root, ns, &new_key)?.is_some() {
        return Err(Error::DuplicateTable(to.to_string()));
    }
    let tables: Vec<String> = root
        .table_names()
        .filter(|t| split_qualified(t).0 == schema_name)
        .map(str::to_string)
        .collect();
    for name in tables {
        let table = load(&name, root, ns)?;
        let mut schema = table.schema().clone();
        let bare = split_qualified(&name).1.to_string();
        if let Some(index) = schema.indexes.iter_mut().find(|ix| ix.name == old) {
            index.name = to.to_string();
        } else if !schema.is_keyless() && schema.primary_key_name(&bare) == old {
            schema.primary_key_name = (to != format!("{bare}_pkey")).then(|| to.to_string());
        } else {
            continue;
        }
        let renamed = table
            .with_index_names(schema)
            .map_err(|e| Error::engine(format!("renaming index \"{old}\""), e))?;
        return root
            .put_table(&name, &renamed)
            .map_err(|e| Error::engine(format!("saving table \"{name}\""), e));
    }
    Err(Error::UndefinedTable(old.to_string()))
}

/// The sequence behind identity column `column` of `table`: 42P01 without the table,
/// 42703 without the column, 55000 when the column is not an identity column.
fn identity_sequence(
    table: &str,
    column: &str,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<String> {
    let loaded = load(table, root, ns)?;
    let bare = split_qualified(table).1;
    let Some(col) = loaded.schema().columns.iter().find(|c| c.name == column) else {
        return Err(Error::UndefinedColumn(format!(
            "column \"{column}\" of relation \"{bare}\" does not exist"
        )));
    };
    col.default
        .as_deref()
        .and_then(crate::system::nextval_sequence)
        .filter(|s| root.get_sequence(s).is_some_and(|s| s.identity.is_some()))
        .ok_or_else(|| {
            Error::invalid(
                "55000",
                format!("column \"{column}\" of relation \"{bare}\" is not an identity column"),
            )
        })
}

/// Rebuilds table `name` under `schema` (rows carried over by column id), checking that the
/// existing rows satisfy the new schema's constraints.
pub fn replace_schema(
    name: &str,
    schema: Schema,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let table = load(name, root, ns)?;
    let pkey = schema.primary_key_name(split_qualified(name).1);
    let rebuilt = table.with_schema(schema).map_err(|e| match e {
        vdb_engine::Error::InvalidInput(m) if m.contains("duplicate key") => {
            Error::invalid("23505", format!("could not create unique index \"{pkey}\""))
        }
        e => Error::engine(format!("rebuilding table \"{name}\""), e),
    })?;
    check_unique_indexes(&rebuilt, table.schema())?;
    check_existing_rows(name, &rebuilt, root, ns)?;
    root.put_table(name, &rebuilt)
        .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))
}

/// 23505 `could not create unique index` if two rows of `table` (rebuilt under its new schema)
/// share the values of a unique index that `old` did not have.
fn check_unique_indexes(table: &Table, old: &Schema) -> Result<()> {
    let schema = table.schema();
    for (i, index) in schema.indexes.iter().enumerate() {
        if !index.unique || old.indexes.iter().any(|ix| ix == index) {
            continue;
        }
        let mut seen = BTreeSet::new();
        for entry in table.scan().map_err(|e| Error::engine("scanning", e))? {
            let (_, row) = entry.map_err(|e| Error::engine("scanning", e))?;
            let values = table
                .index_values(i, &row)
                .map_err(|e| Error::engine("computing index values", e))?;
            let Some(values) = values.filter(|v| !v.iter().any(Value::is_null)) else {
                continue;
            };
            if !seen.insert(OrdRow(values)) {
                return Err(Error::invalid(
                    "23505",
                    format!("could not create unique index \"{}\"", index.name),
                ));
            }
        }
    }
    Ok(())
}

/// Empties the tables (0A000 if a table outside the list references one of them, as
/// PostgreSQL refuses without CASCADE; with CASCADE those tables are emptied too, each with a
/// `truncate cascades to table` notice); RESTART IDENTITY resets the sequences they own.
fn truncate(
    mut names: Vec<String>,
    restart_identity: bool,
    cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    if cascade {
        names = with_referencing_tables(names, root, ns)?;
    }
    let names = &names;
    for other in root.table_names() {
        if names.iter().any(|n| n == other) {
            continue;
        }
        let table = load(other, root, ns)?;
        if let Some(fk) = table
            .schema()
            .foreign_keys
            .iter()
            .find(|fk| names.contains(&fk.ref_table))
        {
            return Err(Error::invalid(
                "0A000",
                format!(
                    "cannot truncate a table referenced in a foreign key constraint (table \"{other}\" references \"{}\")",
                    fk.ref_table
                ),
            ));
        }
    }
    for name in names {
        let schema = load(name, root, ns)?.schema().clone();
        let empty = Table::create(ns, schema)
            .map_err(|e| Error::engine(format!("truncating table \"{name}\""), e))?;
        root.put_table(name, &empty)
            .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))?;
    }
    if restart_identity {
        let owned: Vec<String> = root
            .sequence_names()
            .filter(|s| {
                root.get_sequence(s)
                    .and_then(|q| q.owned_by.as_ref())
                    .is_some_and(|(t, _)| names.contains(t))
            })
            .map(str::to_string)
            .collect();
        for name in owned {
            if let Some(sequence) = root.get_sequence_mut(&name) {
                let start = sequence.start;
                sequence.set(start, false);
                sequence::forget_mark(&name);
            }
        }
    }
    Ok(())
}

/// `names` and, transitively, every table whose foreign keys reference one of them, each
/// added with NOTICE `truncate cascades to table "x"`.
fn with_referencing_tables(
    mut names: Vec<String>,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    loop {
        let mut added = Vec::new();
        for other in root.table_names() {
            if names.iter().any(|n| n == other) {
                continue;
            }
            let table = load(other, root, ns)?;
            if table
                .schema()
                .foreign_keys
                .iter()
                .any(|fk| names.contains(&fk.ref_table))
            {
                added.push(other.to_string());
            }
        }
        if added.is_empty() {
            return Ok(names);
        }
        for table in added {
            notice::raise(notice::Notice::new(
                "00000",
                format!("truncate cascades to table \"{table}\""),
            ));
            names.push(table);
        }
    }
}

fn rename_table(from: &str, to: &str, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    if relation_exists(root, to) {
        return Err(Error::DuplicateTable(to.to_string()));
    }
    if root.get_view(from).is_some() {
        return super::view::rename_view(from, to, root, ns);
    }
    super::view::rename_in_views(from, to, root, ns)?;
    let table = load(from, root, ns)?;
    root.remove_table(from);
    root.put_table(to, &table)
        .map_err(|e| Error::engine(format!("saving table \"{to}\""), e))?;
    // Foreign keys name the table they reference and sequences their owner; they follow.
    super::namespace::follow_renames(root, ns, &|key| renamed(key, from, to))
}

/// ALTER SEQUENCE / ALTER TABLE `from` RENAME TO `to` of a sequence: the `nextval` defaults
/// that draw from it follow (PostgreSQL's name the sequence by its OID).
fn rename_sequence(from: &str, to: &str, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    if relation_exists(root, to) {
        return Err(Error::DuplicateTable(to.to_string()));
    }
    let sequence = root
        .remove_sequence(from)
        .ok_or_else(|| Error::UndefinedTable(from.to_string()))?;
    sequence::forget_mark(from);
    sequence::forget_mark(to);
    root.put_sequence(to, sequence);
    super::namespace::follow_renames(root, ns, &|key| renamed(key, from, to))
}

/// `key`, or `to` if it is `from`.
fn renamed(key: &str, from: &str, to: &str) -> String {
    if key == from { to } else { key }.to_string()
}
