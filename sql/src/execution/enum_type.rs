//! Enum type DDL against the root: CREATE TYPE .. AS ENUM, DROP TYPE and ALTER TYPE. Columns
//! hold labels as text, so renaming a label rewrites the rows that hold it, and renaming a type
//! rewrites the column types (and view columns) that name it; adding a label touches only the
//! type. Every change is checked before the root is touched.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{qualified, split_qualified, EnumType, RootValue, RowChange};
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::execution::insert::load;
use crate::planner::TypeChange;
use crate::types::enums::display_name;

/// PostgreSQL's limit on a label's length in bytes (NAMEDATALEN - 1).
const MAX_LABEL_BYTES: usize = 63;

/// CREATE TYPE `name` AS ENUM (`labels`).
pub fn create_type(name: &str, labels: Vec<String>, root: &mut RootValue) -> Result<()> {
    if root.get_type(name).is_some() || super::ddl::relation_exists(root, name) {
        return Err(already_exists(name));
    }
    for (i, label) in labels.iter().enumerate() {
        check_label(label)?;
        if labels[..i].contains(label) {
            return Err(Error::invalid(
                "23505",
                "duplicate key value violates unique constraint \"pg_enum_typid_label_index\"",
            ));
        }
    }
    root.put_type(name, EnumType::new(labels));
    Ok(())
}

/// DROP TYPE `names`: all are checked before any is dropped. A type a column uses is 2BP01,
/// CASCADE included (vdb does not drop the columns).
pub fn drop_types(
    names: &[String],
    if_exists: bool,
    cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let mut dropping = Vec::new();
    let mut domains = Vec::new();
    for name in names {
        if root.get_domain(name).is_some() {
            // DROP TYPE drops a domain as DROP DOMAIN does.
            domains.push(name.clone());
            continue;
        }
        if root.get_type(name).is_none() {
            if if_exists {
                skip_missing_type(name, root);
                continue;
            }
            return Err(missing(name));
        }
        if !columns_using(name, root, ns)?.is_empty() {
            return Err(depended_on(name));
        }
        dropping.push(name);
    }
    super::domain::drop_domains(&domains, false, cascade, root, ns)?;
    for name in dropping {
        root.remove_type(name);
    }
    Ok(())
}

/// ALTER TYPE `name`.
pub fn alter_type(
    name: &str,
    change: TypeChange,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let Some(ty) = root.get_type(name).cloned() else {
        return Err(missing(name));
    };
    match change {
        TypeChange::AddValue {
            label,
            if_not_exists,
            neighbor,
        } => add_value(name, ty, label, if_not_exists, neighbor, root),
        TypeChange::RenameValue { from, to } => rename_value(name, ty, &from, &to, root, ns),
        TypeChange::Rename { to } => rename_type(name, ty, &to, root, ns),
        TypeChange::Owner => Ok(()),
    }
}

fn add_value(
    name: &str,
    mut ty: EnumType,
    label: String,
    if_not_exists: bool,
    neighbor: Option<(String, bool)>,
    root: &mut RootValue,
) -> Result<()> {
    check_label(&label)?;
    if ty.position(&label).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(label_exists(&label));
    }
    let at = match neighbor {
        None => ty.labels.len(),
        Some((other, before)) => {
            let i = ty.position(&other).ok_or_else(|| not_a_label(&other))?;
            if before {
                i
            } else {
                i + 1
            }
        }
    };
    ty.labels.insert(at, label);
    root.put_type(name, ty);
    Ok(())
}

fn rename_value(
    name: &str,
    mut ty: EnumType,
    from: &str,
    to: &str,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    check_label(to)?;
    let i = ty.position(from).ok_or_else(|| not_a_label(from))?;
    if from == to {
        return Ok(());
    }
    if ty.position(to).is_some() {
        return Err(label_exists(to));
    }
    ty.labels[i] = to.to_string();
    for (table, columns) in columns_using(name, root, ns)? {
        relabel_rows(&table, &columns, from, to, root, ns)?;
    }
    root.put_type(name, ty);
    Ok(())
}

/// Rewrites the rows of `table` whose `columns` (positions) hold `from` to hold `to`.
fn relabel_rows(
    table: &str,
    columns: &[usize],
    from: &str,
    to: &str,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let loaded = load(table, root, ns)?;
    let engine = |e| Error::engine(format!("rewriting table \"{table}\""), e);
    let mut changes = Vec::new();
    for entry in loaded.scan().map_err(engine)? {
        let (key, mut row) = entry.map_err(engine)?;
        let mut changed = false;
        for &c in columns {
            changed |= relabel(&mut row[c], from, to);
        }
        if changed {
            changes.push(RowChange::Update { key, row });
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let rewritten = loaded.apply(changes).map_err(engine)?;
    root.put_table(table, &rewritten)
        .map_err(|e| Error::engine(format!("saving table \"{table}\""), e))
}

/// Replaces label `from` by `to` in a value (an array's elements too); whether it changed.
fn relabel(value: &mut Value, from: &str, to: &str) -> bool {
    match value {
        Value::Text(label) if label == from => {
            *label = to.to_string();
            true
        }
        Value::Array(array) => {
            let mut changed = false;
            for element in array.elements_mut() {
                changed |= relabel(element, from, to);
            }
            changed
        }
        _ => false,
    }
}

fn rename_type(
    name: &str,
    ty: EnumType,
    to: &str,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let new_name = qualified(split_qualified(name).0, to);
    if new_name == name {
        return Ok(());
    }
    if root.get_type(&new_name).is_some() || super::ddl::relation_exists(root, &new_name) {
        return Err(already_exists(&new_name));
    }
    let (old_ty, new_ty) = (Type::Enum(name.to_string()), Type::Enum(new_name.clone()));
    for (table, _) in columns_using(name, root, ns)? {
        let mut schema = load(&table, root, ns)?.schema().clone();
        for column in &mut schema.columns {
            column.ty = retype(&column.ty, &old_ty, &new_ty);
        }
        super::ddl::replace_schema(&table, schema, root, ns)?;
    }
    let views: Vec<String> = root.view_names().map(str::to_string).collect();
    for view_name in views {
        if let Some(view) = root.get_view(&view_name) {
            let mut view = view.clone();
            for (_, column_ty) in &mut view.columns {
                *column_ty = retype(column_ty, &old_ty, &new_ty);
            }
            root.put_view(&view_name, view);
        }
    }
    root.remove_type(name);
    root.put_type(&new_name, ty);
    Ok(())
}

/// `ty` with enum type `from` replaced by `to` (in array element types too).
fn retype(ty: &Type, from: &Type, to: &Type) -> Type {
    match ty {
        t if t == from => to.clone(),
        Type::Array(element) => Type::Array(Box::new(retype(element, from, to))),
        t => t.clone(),
    }
}

/// The tables with columns of enum type `name` (or arrays of it), with those columns'
/// positions.
fn columns_using(
    name: &str,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Vec<(String, Vec<usize>)>> {
    let target = Type::Enum(name.to_string());
    columns_where(root, ns, |c| {
        c.ty == target || c.ty.element() == Some(&target)
    })
}

/// The tables with columns that `uses` is true for, and those columns' positions.
pub(super) fn columns_where(
    root: &RootValue,
    ns: &NodeStore,
    uses: impl Fn(&vdb_engine::table::Column) -> bool,
) -> Result<Vec<(String, Vec<usize>)>> {
    let mut found = Vec::new();
    for table in root.table_names() {
        let loaded = root
            .must_get_table(ns, table)
            .map_err(|e| Error::engine(format!("loading table \"{table}\""), e))?;
        let columns: Vec<usize> = loaded
            .schema()
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| uses(c))
            .map(|(i, _)| i)
            .collect();
        if !columns.is_empty() {
            found.push((table.to_string(), columns));
        }
    }
    Ok(found)
}

/// NOTICE for DROP TYPE / DOMAIN IF EXISTS of a missing type: the type, or its schema when
/// that is missing too.
pub(super) fn skip_missing_type(name: &str, root: &RootValue) {
    let (schema, _) = split_qualified(name);
    if root.has_schema(schema) || crate::system::is_system_schema(schema) {
        crate::notice::skipping_missing(format!("type \"{}\"", display_name(name)));
    } else {
        crate::notice::skipping_missing(format!("schema \"{schema}\""));
    }
}

/// 2BP01 for dropping a type a column still uses.
pub(super) fn depended_on(name: &str) -> Error {
    Error::depended_on(&format!("type {}", display_name(name)), &[])
}

fn check_label(label: &str) -> Result<()> {
    if label.is_empty() || label.len() > MAX_LABEL_BYTES {
        return Err(Error::invalid(
            "42602",
            format!("invalid enum label \"{label}\""),
        ));
    }
    Ok(())
}

fn already_exists(name: &str) -> Error {
    Error::invalid(
        "42710",
        format!("type \"{}\" already exists", split_qualified(name).1),
    )
}

fn missing(name: &str) -> Error {
    Error::invalid(
        "42704",
        format!("type \"{}\" does not exist", display_name(name)),
    )
}

fn label_exists(label: &str) -> Error {
    Error::invalid("42710", format!("enum label \"{label}\" already exists"))
}

fn not_a_label(label: &str) -> Error {
    Error::invalid(
        "22023",
        format!("\"{label}\" is not an existing enum label"),
    )
}
