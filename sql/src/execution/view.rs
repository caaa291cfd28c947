//! View DDL: CREATE [OR REPLACE] VIEW, DROP VIEW, and what dropping or renaming a relation
//! does to the views that use it. A view depends on the relations its query names; dropping
//! one of them is refused (2BP01) unless CASCADE, which drops the dependent views (and theirs).
//! Renaming a relation rewrites the views' query text, since PostgreSQL's views follow the
//! relation by OID.

use std::collections::BTreeSet;

use vdb_engine::table::{RootValue, View};

use crate::error::{Error, Result};
use crate::planner::{parse_view, rename_in_view, view_dependencies};

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

/// DROP VIEW `names`; returns the other views CASCADE dropped with them, described as
/// PostgreSQL's `drop cascades to` notice names them (`view v2`).
pub fn drop_views(
    names: &[String],
    if_exists: bool,
    cascade: bool,
    root: &mut RootValue,
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
    let dependents = dependents(&dropping, root)?;
    refuse_unless_cascade(&dependents, cascade, "view")?;
    for name in dropping.iter().chain(dependents.iter().map(|(v, _)| v)) {
        root.remove_view(name);
    }
    Ok(described(&dependents))
}

/// Before DROP TABLE `names`: refuses (2BP01) when views use them, or with CASCADE drops those
/// views and returns them, described as [`drop_views`] describes them.
pub fn drop_dependent_views(
    names: &[String],
    cascade: bool,
    root: &mut RootValue,
) -> Result<Vec<String>> {
    let dropping: BTreeSet<String> = names.iter().cloned().collect();
    let dependents = dependents(&dropping, root)?;
    refuse_unless_cascade(&dependents, cascade, "table")?;
    for (view, _) in &dependents {
        root.remove_view(view);
    }
    Ok(described(&dependents))
}

/// `view v` for each dependent view (`view s.v` outside `public`, whose keys are bare).
fn described(dependents: &[(String, String)]) -> Vec<String> {
    dependents
        .iter()
        .map(|(v, _)| format!("view {v}"))
        .collect()
}

/// The views outside `dropping` that use one of its relations, directly or through other such
/// views, each with the relation it uses.
fn dependents(dropping: &BTreeSet<String>, root: &RootValue) -> Result<Vec<(String, String)>> {
    let mut gone = dropping.clone();
    let mut found = Vec::new();
    loop {
        let mut added = false;
        for name in root.view_names() {
            if gone.contains(name) {
                continue;
            }
            let Some(view) = root.get_view(name) else {
                continue;
            };
            let uses = view_dependencies(&parse_view(name, view)?);
            if let Some(used) = uses.iter().find(|u| gone.contains(*u)) {
                found.push((name.to_string(), used.clone()));
                gone.insert(name.to_string());
                added = true;
            }
        }
        if !added {
            return Ok(found);
        }
    }
}

fn refuse_unless_cascade(dependents: &[(String, String)], cascade: bool, kind: &str) -> Result<()> {
    match dependents.first() {
        Some((_, used)) if !cascade => Err(Error::invalid(
            "2BP01",
            format!("cannot drop {kind} {used} because other objects depend on it"),
        )),
        _ => Ok(()),
    }
}

/// ALTER VIEW/TABLE `from` RENAME TO `to` of a view.
pub fn rename_view(from: &str, to: &str, root: &mut RootValue) -> Result<()> {
    let Some(view) = root.remove_view(from) else {
        return Err(Error::UndefinedTable(from.to_string()));
    };
    root.put_view(to, view);
    rename_in_views(from, to, root)
}

/// Rewrites the views that name relation `from` to name `to`.
pub fn rename_in_views(from: &str, to: &str, root: &mut RootValue) -> Result<()> {
    let names: Vec<String> = root.view_names().map(str::to_string).collect();
    for name in names {
        let Some(view) = root.get_view(&name).cloned() else {
            continue;
        };
        let query = parse_view(&name, &view)?;
        if view_dependencies(&query).contains(from) {
            let rewritten = View {
                query: rename_in_view(&query, from, to),
                columns: view.columns,
            };
            root.put_view(&name, rewritten);
        }
    }
    Ok(())
}
