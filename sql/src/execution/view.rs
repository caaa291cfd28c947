//! View DDL: CREATE [OR REPLACE] VIEW, DROP VIEW, and what dropping or renaming a relation
//! does to the views that use it. A view depends on the relations its query names; dropping
//! one of them is refused (2BP01) unless CASCADE, which drops the dependent views (and theirs).
//! Renaming a relation rewrites the views' query text, since PostgreSQL's views follow the
//! relation by OID; so does renaming a column, and dropping a column a view uses is refused
//! (2BP01) unless CASCADE.

use std::collections::BTreeSet;

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{split_qualified, Materialized, RootValue, View};

use crate::error::{Error, Result};
use crate::planner::{
    parse_view, rename_column_in_view, rename_in_view, view_dependencies, view_uses_column,
};

/// CREATE [OR REPLACE] VIEW `name`.
pub fn create_view(name: &str, view: View, or_replace: bool, root: &mut RootValue) -> Result<()> {
    if root.get_view(name).is_some() {
        if !or_replace {
            return Err(Error::DuplicateTable(name.to_string()));
        }
    } else if root.table_addr(name).is_some() || root.get_sequence(name).is_some() {
        if or_replace {
            return Err(Error::invalid("42809", format!("\"{name}\" is not a view")));
        }
        return Err(Error::DuplicateTable(name.to_string()));
    }
    root.put_view(name, view);
    Ok(())
}

/// DROP VIEW `names`; returns the other views and materialized views CASCADE dropped with
/// them, described as PostgreSQL's `drop cascades to` notice names them (`view v2`).
pub fn drop_views(
    names: &[String],
    if_exists: bool,
    cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    let mut dropping = BTreeSet::new();
    for name in names {
        if root.get_view(name).is_some() {
            dropping.insert(name.clone());
        } else if root.table_addr(name).is_some() {
            return Err(Error::invalid("42809", format!("\"{name}\" is not a view")));
        } else if !if_exists {
            return Err(Error::invalid(
                "42P01",
                format!("view \"{name}\" does not exist"),
            ));
        } else {
            super::ddl::skip_missing_relation("view", name, root);
        }
    }
    let dependents = dependents(&dropping, &stored_queries(root, ns)?);
    refuse_unless_cascade(&dependents, cascade, "view")?;
    for name in &dropping {
        root.remove_view(name);
    }
    Ok(remove(&dependents, root))
}

/// Before DROP TABLE (or DROP MATERIALIZED VIEW) `names`: refuses (2BP01) when views or
/// materialized views use them, or with CASCADE drops those and returns them, described as
/// [`drop_views`] describes them.
pub fn drop_dependent_views(
    names: &[String],
    cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    let dropping: BTreeSet<String> = names.iter().cloned().collect();
    let dependents = dependents(&dropping, &stored_queries(root, ns)?);
    refuse_unless_cascade(&dependents, cascade, "table")?;
    Ok(remove(&dependents, root))
}

/// A relation whose stored query uses a relation being dropped.
struct Dependent {
    name: String,
    /// The dropped relation it uses.
    uses: String,
    materialized: bool,
}

/// A view or materialized view: its name, parsed query, and whether it is materialized.
type StoredQuery = (String, sqlparser::ast::Query, bool);

/// The views and materialized views of `root`, with their queries.
fn stored_queries(root: &RootValue, ns: &NodeStore) -> Result<Vec<StoredQuery>> {
    let mut found = Vec::new();
    for name in root.view_names() {
        if let Some(view) = root.get_view(name) {
            found.push((name.to_string(), parse_view(name, view)?, false));
        }
    }
    for name in root.table_names() {
        if let Some(view) = materialized_query(name, root, ns)? {
            found.push((name.to_string(), parse_view(name, &view)?, true));
        }
    }
    Ok(found)
}

/// Table `name`'s query as a [`View`] when it is a materialized view.
fn materialized_query(name: &str, root: &RootValue, ns: &NodeStore) -> Result<Option<View>> {
    let table = super::insert::load(name, root, ns)?;
    Ok(table.schema().materialized.as_ref().map(|m| View {
        query: m.query.clone(),
        columns: Vec::new(),
        check_option: None,
    }))
}

/// The views and materialized views outside `dropping` that use one of its relations,
/// directly or through others of them, each with the relation it uses.
fn dependents(dropping: &BTreeSet<String>, stored: &[StoredQuery]) -> Vec<Dependent> {
    let mut gone = dropping.clone();
    let mut found = Vec::new();
    loop {
        let mut added = false;
        for (name, query, materialized) in stored {
            if gone.contains(name) {
                continue;
            }
            let uses = view_dependencies(query);
            if let Some(used) = uses.iter().find(|u| gone.contains(*u)) {
                found.push(Dependent {
                    name: name.clone(),
                    uses: used.clone(),
                    materialized: *materialized,
                });
                gone.insert(name.clone());
                added = true;
            }
        }
        if !added {
            return found;
        }
    }
}

fn refuse_unless_cascade(dependents: &[Dependent], cascade: bool, kind: &str) -> Result<()> {
    match dependents.first() {
        Some(first) if !cascade => {
            let lines: Vec<String> = dependents
                .iter()
                .map(|d| {
                    let dependent = if d.materialized {
                        "materialized view"
                    } else {
                        "view"
                    };
                    format!("{dependent} {} depends on {kind} {}", d.name, d.uses)
                })
                .collect();
            Err(Error::depended_on(
                &format!("{kind} {}", first.uses),
                &lines,
            ))
        }
        _ => Ok(()),
    }
}

/// Drops `dependents`; returns them as the `drop cascades to` notice names them (`view v`,
/// `materialized view m`; `s.v` outside `public`, whose keys are bare).
fn remove(dependents: &[Dependent], root: &mut RootValue) -> Vec<String> {
    dependents
        .iter()
        .map(|d| {
            if d.materialized {
                root.remove_table(&d.name);
                format!("materialized view {}", d.name)
            } else {
                root.remove_view(&d.name);
                format!("view {}", d.name)
            }
        })
        .collect()
}

/// ALTER VIEW/TABLE `from` RENAME TO `to` of a view.
pub fn rename_view(from: &str, to: &str, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    let Some(view) = root.remove_view(from) else {
        return Err(Error::UndefinedTable(from.to_string()));
    };
    root.put_view(to, view);
    rename_in_views(from, to, root, ns)
}

/// Rewrites the views and materialized views that name relation `from` to name `to`.
pub fn rename_in_views(from: &str, to: &str, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    for (name, query, materialized) in stored_queries(root, ns)? {
        if !view_dependencies(&query).contains(from) {
            continue;
        }
        let rewritten = rename_in_view(&query, from, to);
        if materialized {
            let table = super::insert::load(&name, root, ns)?;
            let definition = table.schema().materialized.clone().map(|m| Materialized {
                query: rewritten,
                ..m
            });
            super::insert::store(&name, &table.with_materialized(definition), root)?;
        } else if let Some(view) = root.get_view(&name).cloned() {
            root.put_view(
                &name,
                View {
                    query: rewritten,
                    ..view
                },
            );
        }
    }
    Ok(())
}

/// The views whose query reads table `table`, each with its parsed query and whether a bare
/// `column` in it can only be the table's (no other relation it reads has such a column).
fn views_reading(
    table: &str,
    column: &str,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Vec<(String, View, sqlparser::ast::Query, bool)>> {
    let has_column = |relation: &str| -> Result<bool> {
        if let Some(view) = root.get_view(relation) {
            return Ok(view.columns.iter().any(|(c, _)| c == column));
        }
        Ok(match root.table_addr(relation) {
            Some(_) => super::insert::load(relation, root, ns)?
                .schema()
                .get_column(column)
                .is_some(),
            None => false,
        })
    };
    let mut found = Vec::new();
    for name in root.view_names() {
        let Some(view) = root.get_view(name).cloned() else {
            continue;
        };
        let query = parse_view(name, &view)?;
        let uses = view_dependencies(&query);
        if !uses.contains(table) {
            continue;
        }
        let mut unqualified = true;
        for other in uses.iter().filter(|u| u.as_str() != table) {
            if has_column(other)? {
                unqualified = false;
            }
        }
        found.push((name.to_string(), view, query, unqualified));
    }
    Ok(found)
}

/// Before ALTER TABLE `table` DROP COLUMN `columns`: refuses (2BP01) when a view uses one of
/// them, or with CASCADE drops those views (and the views that use them); returns what went,
/// described for the `drop cascades to` notice.
pub fn drop_column_dependents(
    table: &str,
    columns: &[String],
    cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    let bare = split_qualified(table).1;
    let mut dropping = BTreeSet::new();
    for column in columns {
        for (name, _, query, unqualified) in views_reading(table, column, root, ns)? {
            if view_uses_column(&query, bare, column, unqualified) {
                if !cascade {
                    return Err(Error::depended_on(
                        &format!("column {column} of table {bare}"),
                        &[format!(
                            "view {name} depends on column {column} of table {bare}"
                        )],
                    ));
                }
                dropping.insert(name);
            }
        }
    }
    let more = dependents(&dropping, &stored_queries(root, ns)?);
    for name in &dropping {
        root.remove_view(name);
    }
    Ok(dropping
        .iter()
        .map(|v| format!("view {v}"))
        .chain(remove(&more, root))
        .collect())
}

/// After ALTER TABLE `table` RENAME COLUMN: rewrites the views that name the renamed columns.
pub fn rename_columns_in_views(
    table: &str,
    renamed: &[(String, String)],
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let bare = split_qualified(table).1;
    for (from, to) in renamed {
        for (name, view, query, unqualified) in views_reading(table, from, root, ns)? {
            if let Some(text) = rename_column_in_view(&query, bare, from, to, unqualified) {
                root.put_view(
                    &name,
                    View {
                        query: text,
                        ..view
                    },
                );
            }
        }
    }
    Ok(())
}
