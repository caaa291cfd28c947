//! Schema (namespace) DDL against the root: CREATE SCHEMA adds a name to the root's schema set;
//! DROP SCHEMA removes it, refusing (2BP01) while objects are keyed under it unless CASCADE,
//! which drops them; ALTER SCHEMA .. RENAME TO re-keys every table, view and sequence of the
//! schema and rewrites what names them (foreign keys, sequence owners, SERIAL defaults).

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{qualified, split_qualified, RootValue, PUBLIC_SCHEMA};

use crate::error::{Error, Result};
use crate::execution::insert::load;

/// CREATE SCHEMA `name`: 42P06 if it exists (unless `if_not_exists`), 42939 for reserved names.
pub fn create_schema(name: &str, if_not_exists: bool, root: &mut RootValue) -> Result<()> {
    if name.starts_with("pg_") {
        return Err(Error::invalid(
            "42939",
            format!("unacceptable schema name \"{name}\""),
        ));
    }
    if root.has_schema(name) || crate::system::is_system_schema(name) {
        if if_not_exists {
            crate::notice::skipping_existing("42P06", format!("schema \"{name}\""));
            return Ok(());
        }
        return Err(Error::invalid(
            "42P06",
            format!("schema \"{name}\" already exists"),
        ));
    }
    if name.contains('.') {
        return Err(Error::Unsupported("schema names containing \".\"".into()));
    }
    root.put_schema(name);
    Ok(())
}

/// DROP SCHEMA `names`: all are checked before any is dropped.
pub fn drop_schemas(
    names: &[String],
    if_exists: bool,
    cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let mut dropping = Vec::new();
    for name in names {
        if name == PUBLIC_SCHEMA || crate::system::is_system_schema(name) {
            return Err(Error::Unsupported(format!("DROP SCHEMA {name}")));
        }
        if !root.has_schema(name) {
            if if_exists {
                crate::notice::skipping_missing(format!("schema \"{name}\""));
                continue;
            }
            return Err(missing(name));
        }
        let objects = objects_in(root, name);
        if !objects.is_empty() && !cascade {
            let lines: Vec<String> = objects
                .iter()
                .map(|key| format!("{} depends on schema {name}", describe(root, key)))
                .collect();
            return Err(Error::depended_on(&format!("schema {name}"), &lines));
        }
        dropping.push((name.clone(), objects));
    }
    // What the `drop cascades to` notice lists: the schemas' own objects, then what else
    // depended on them (foreign keys and views elsewhere).
    let mut cascaded = Vec::new();
    let mut elsewhere = Vec::new();
    for (name, _) in &dropping {
        let prefix = format!("{name}.");
        let views: Vec<String> = keys(root.view_names(), &prefix);
        let tables: Vec<String> = keys(root.table_names(), &prefix);
        let sequences: Vec<String> = keys(root.sequence_names(), &prefix);
        cascaded.extend(tables.iter().map(|t| format!("table {t}")));
        cascaded.extend(views.iter().map(|v| format!("view {v}")));
        cascaded.extend(
            sequences
                .iter()
                .filter(|q| root.get_sequence(q).is_some_and(|q| q.owned_by.is_none()))
                .map(|q| format!("sequence {q}")),
        );
        let mut dependents = super::view::drop_views(&views, true, true, root, ns)?;
        dependents.extend(super::ddl::drop_tables_cascade(
            &tables, true, None, root, ns,
        )?);
        let inside = |d: &String| {
            d.rsplit(' ')
                .next()
                .is_some_and(|key| key.starts_with(&prefix))
        };
        elsewhere.extend(dependents.into_iter().filter(|d| !inside(d)));
        for sequence in sequences {
            super::sequence::forget_dropped(&sequence);
            root.remove_sequence(&sequence);
        }
        for key in keys(root.function_names(), &prefix) {
            for function in root
                .remove_functions(&key)
                .map(|o| o.functions)
                .unwrap_or_default()
            {
                let types: Vec<String> = function
                    .arg_types()
                    .iter()
                    .map(crate::types::type_name)
                    .collect();
                cascaded.push(format!("function {key}({})", types.join(",")));
            }
        }
        root.remove_schema(name);
    }
    cascaded.extend(elsewhere);
    crate::notice::drop_cascades(&cascaded);
    Ok(())
}

/// ALTER SCHEMA `from` RENAME TO `to` (`from` = `to`: only checks that it exists).
pub fn rename_schema(from: &str, to: &str, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    if !root.has_schema(from) {
        return Err(missing(from));
    }
    if from == to {
        return Ok(());
    }
    if from == PUBLIC_SCHEMA {
        return Err(Error::Unsupported("renaming schema public".into()));
    }
    if to.starts_with("pg_") {
        return Err(Error::invalid(
            "42939",
            format!("unacceptable schema name \"{to}\""),
        ));
    }
    if root.has_schema(to) || crate::system::is_system_schema(to) {
        return Err(Error::invalid(
            "42P06",
            format!("schema \"{to}\" already exists"),
        ));
    }
    let prefix = format!("{from}.");
    let rekey = |key: &str| -> String {
        match key.strip_prefix(&prefix) {
            Some(rest) => qualified(to, rest),
            None => key.to_string(),
        }
    };
    root.put_schema(to);
    for key in keys(root.view_names(), &prefix) {
        if let Some(view) = root.remove_view(&key) {
            root.put_view(&rekey(&key), view);
        }
    }
    for key in keys(root.sequence_names(), &prefix) {
        if let Some(sequence) = root.remove_sequence(&key) {
            super::sequence::forget_mark(&key);
            super::sequence::forget_mark(&rekey(&key));
            root.put_sequence(&rekey(&key), sequence);
        }
    }
    for key in keys(root.function_names(), &prefix) {
        if let Some(functions) = root.remove_functions(&key) {
            root.put_functions(&rekey(&key), functions);
        }
    }
    for key in keys(root.table_names(), &prefix) {
        let table = load(&key, root, ns)?;
        root.remove_table(&key);
        root.put_table(&rekey(&key), &table)
            .map_err(|e| Error::engine(format!("saving table \"{key}\""), e))?;
    }
    // What names the schema's objects follows them: foreign keys, SERIAL defaults, owners.
    follow_renames(root, ns, &rekey)?;
    root.remove_schema(from);
    Ok(())
}

/// Makes what names a relation by its key follow a rename, `rekey` mapping each old key to its
/// new one (and any other key to itself): foreign keys' referenced tables, the sequences of
/// `nextval` defaults, and the tables sequences are owned by.
pub(super) fn follow_renames(
    root: &mut RootValue,
    ns: &NodeStore,
    rekey: &dyn Fn(&str) -> String,
) -> Result<()> {
    let names: Vec<String> = root.table_names().map(str::to_string).collect();
    for name in names {
        let table = load(&name, root, ns)?;
        let mut schema = table.schema().clone();
        let mut changed = false;
        for fk in &mut schema.foreign_keys {
            let renamed = rekey(&fk.ref_table);
            changed |= renamed != fk.ref_table;
            fk.ref_table = renamed;
        }
        for column in &mut schema.columns {
            let Some(seq) = column
                .default
                .as_deref()
                .and_then(crate::system::nextval_sequence)
            else {
                continue;
            };
            let renamed = rekey(&seq);
            if renamed != seq {
                column.default = Some(crate::planner::nextval_default(&renamed));
                changed = true;
            }
        }
        if changed {
            let table = table
                .with_schema(schema)
                .map_err(|e| Error::engine(format!("rebuilding table \"{name}\""), e))?;
            root.put_table(&name, &table)
                .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))?;
        }
    }
    let sequences: Vec<String> = root.sequence_names().map(str::to_string).collect();
    for name in sequences {
        if let Some(owner) = root
            .get_sequence_mut(&name)
            .and_then(|s| s.owned_by.as_mut())
        {
            owner.0 = rekey(&owner.0);
        }
    }
    Ok(())
}

/// The keys of the tables, views, sequences and functions in schema `name`.
fn objects_in(root: &RootValue, name: &str) -> Vec<String> {
    let prefix = format!("{name}.");
    let mut all = keys(root.table_names(), &prefix);
    all.extend(keys(root.view_names(), &prefix));
    all.extend(keys(root.sequence_names(), &prefix));
    all.extend(keys(root.function_names(), &prefix));
    all
}

/// How PostgreSQL names object `key` in a dependency message: `table s.t`, `view s.v`...
fn describe(root: &RootValue, key: &str) -> String {
    let kind = if root.get_view(key).is_some() {
        "view"
    } else if root.get_sequence(key).is_some() {
        "sequence"
    } else if root.function_names().any(|f| f == key) {
        "function"
    } else {
        "table"
    };
    format!("{kind} {key}")
}

fn keys<'a>(names: impl Iterator<Item = &'a str>, prefix: &str) -> Vec<String> {
    names
        .filter(|k| k.starts_with(prefix) && !split_qualified(k).1.is_empty())
        .map(str::to_string)
        .collect()
}

fn missing(name: &str) -> Error {
    Error::invalid("3F000", format!("schema \"{name}\" does not exist"))
}
