//! Views: planning CREATE [OR REPLACE] VIEW and DROP VIEW into [`SchemaChange`]s, and a view
//! named in FROM. A view is stored as its query's SQL text and output columns
//! ([`vdb_engine::table::View`]); each use parses and plans the text again against the
//! statement's root, isolated from the using query's CTEs and outer scopes, and keeps the
//! columns the view had when it was created (as PostgreSQL expands `*` once, at creation).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{self, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::View;

use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::context;
use crate::planner::expr::{ident_name, Scope, ScopeColumn};
use crate::planner::plan::{Plan, Planned};
use crate::planner::query::plan_query;
use crate::planner::schema_change::SchemaChange;
use crate::planner::select::Output;

/// CREATE [OR REPLACE] VIEW name [(columns)] AS query.
pub fn plan_create_view(
    catalog: &Catalog<'_>,
    or_replace: bool,
    name: &ast::ObjectName,
    columns: &[ast::ViewColumnDef],
    query: &ast::Query,
    temporary: bool,
) -> Result<Planned> {
    // As in PostgreSQL, a view over a temporary table is temporary itself: a permanent view
    // would be part of the branch's versions, where the table is not.
    let name = if temporary || uses_temporary(query) {
        crate::catalog::create_temp_name(name)?
    } else {
        crate::catalog::create_name(name)?
    };
    let (_, mut output) = context::isolated(|| plan_query(catalog, query))?;
    if columns.len() > output.len() {
        return Err(Error::invalid(
            "42601",
            "CREATE VIEW specifies more column names than columns",
        ));
    }
    for (column, def) in output.iter_mut().zip(columns) {
        column.0 = ident_name(&def.name);
    }
    let mut seen = BTreeSet::new();
    for (column, _) in &output {
        if !seen.insert(column.as_str()) {
            return Err(Error::invalid(
                "42701",
                format!("column \"{column}\" specified more than once"),
            ));
        }
    }
    let view = View {
        query: query.to_string(),
        columns: output,
    };
    if let Some(old) = catalog.get_view(&name).filter(|_| or_replace) {
        check_replacement(old, &view)?;
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateView {
            name,
            view,
            or_replace,
        }),
        columns: None,
        tag: "CREATE VIEW",
    })
}

/// CREATE OR REPLACE VIEW may add columns at the end, nothing else (42P16).
fn check_replacement(old: &View, new: &View) -> Result<()> {
    if new.columns.len() < old.columns.len() {
        return Err(Error::invalid("42P16", "cannot drop columns from view"));
    }
    for ((old_name, old_ty), (new_name, new_ty)) in old.columns.iter().zip(&new.columns) {
        if old_name != new_name {
            return Err(Error::invalid(
                "42P16",
                format!("cannot change name of view column \"{old_name}\" to \"{new_name}\""),
            ));
        }
        if old_ty != new_ty {
            return Err(Error::invalid(
                "42P16",
                format!(
                    "cannot change data type of view column \"{old_name}\" from {old_ty} to {new_ty}"
                ),
            ));
        }
    }
    Ok(())
}

/// DROP VIEW [IF EXISTS] names [CASCADE].
pub fn plan_drop_views(
    names: &[ast::ObjectName],
    if_exists: bool,
    cascade: bool,
) -> Result<Planned> {
    let names = names.iter().map(table_name).collect::<Result<Vec<_>>>()?;
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::DropViews {
            names,
            if_exists,
            cascade,
        }),
        columns: None,
        tag: "DROP VIEW",
    })
}

/// Parses a stored view's query.
pub fn parse_view(name: &str, view: &View) -> Result<ast::Query> {
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, &view.query).map_err(|e| {
        Error::invalid(
            "XX000",
            format!("view \"{name}\" has an unreadable query: {e}"),
        )
    })?;
    crate::ast_repair::repair(&mut statements);
    match statements.as_slice() {
        [ast::Statement::Query(query)] => Ok((**query).clone()),
        _ => Err(Error::invalid(
            "XX000",
            format!("view \"{name}\" does not hold one query"),
        )),
    }
}

/// A view named in FROM: its query planned now, under the reference's alias or the view's name,
/// with the view's columns.
pub fn plan_view_ref(
    catalog: &Catalog<'_>,
    name: &str,
    view: &View,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let query = parse_view(name, view)?;
    let (plan, output): Output =
        context::expanding_view(name, || context::isolated(|| plan_query(catalog, &query)))?;
    let width = view.columns.len();
    if output.len() < width {
        return Err(Error::invalid(
            "XX000",
            format!("view \"{name}\" no longer has the columns it was created with"),
        ));
    }
    let plan = if output.len() == width {
        plan
    } else {
        Plan::Project {
            source: Box::new(plan),
            exprs: (0..width).map(Expr::Column).collect(),
        }
    };
    let relation = alias.map_or_else(
        || vdb_engine::table::split_qualified(name).1.to_string(),
        |a| ident_name(&a.name),
    );
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    if renames.len() > width {
        return Err(Error::invalid(
            "42P10",
            format!(
                "table \"{relation}\" has {width} columns available but {} columns specified",
                renames.len()
            ),
        ));
    }
    let columns = view
        .columns
        .iter()
        .zip(output)
        .enumerate()
        .map(|(i, ((column, _), (_, ty)))| ScopeColumn {
            relation: Some(relation.clone()),
            name: renames.get(i).cloned().unwrap_or_else(|| column.clone()),
            ty,
            hidden: false,
            scalar_function: false,
        })
        .collect();
    Ok((plan, Scope { columns }))
}

/// Whether a query names a temporary relation.
fn uses_temporary(query: &ast::Query) -> bool {
    struct Temporary;
    impl Visitor for Temporary {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &ast::ObjectName) -> ControlFlow<()> {
            match table_name(relation) {
                Ok(key) if crate::temp::is_temp_key(&key) => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    query.visit(&mut Temporary).is_break()
}

/// The relations a view's query names (single names, or `public.` ones): what it depends on.
pub fn dependencies(query: &ast::Query) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &ast::ObjectName) -> ControlFlow<()> {
            match relation.0.as_slice() {
                [single] => {
                    self.0.insert(ident_name(single));
                    // A bare name the search path finds in the temporary schema names that.
                    if let Ok(key) = table_name(relation) {
                        if crate::temp::is_temp_key(&key) {
                            self.0.insert(key);
                        }
                    }
                }
                [schema, name] => {
                    let key = vdb_engine::table::qualified(
                        crate::temp::key_schema(&ident_name(schema)),
                        &ident_name(name),
                    );
                    self.0.insert(key);
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut names = Names(BTreeSet::new());
    let _ = query.visit(&mut names);
    names.0
}

/// The view's query text with the relation `from` renamed to `to` (what ALTER ... RENAME TO
/// does to the views that use a relation, which PostgreSQL tracks by OID).
pub fn rename_relation(query: &ast::Query, from: &str, to: &str) -> String {
    struct Renamer<'a> {
        from: &'a str,
        to: &'a str,
    }
    impl ast::VisitorMut for Renamer<'_> {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &mut ast::ObjectName) -> ControlFlow<()> {
            if let Some(last) = relation.0.last_mut() {
                if ident_name(last) == self.from {
                    let plain = self
                        .to
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                    *last = if plain {
                        ast::Ident::new(self.to)
                    } else {
                        ast::Ident::with_quote('"', self.to)
                    };
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut query = query.clone();
    let _ = ast::VisitMut::visit(&mut query, &mut Renamer { from, to });
    query.to_string()
}
