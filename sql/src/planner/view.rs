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
use vdb_engine::table::{CheckOption, View};

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
    options: &ast::CreateTableOptions,
) -> Result<Planned> {
    let check_option = check_option(options)?;
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
        check_option,
    };
    if view.check_option.is_some() {
        crate::planner::view_dml::check_option_allowed(catalog, &name, &view)?;
    }
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

/// The `check_option` of a view's `WITH (...)` options (`WITH CHECK OPTION` is read as one);
/// other options are accepted and ignored, as PostgreSQL's `security_barrier` changes nothing
/// vdb does.
fn check_option(options: &ast::CreateTableOptions) -> Result<Option<CheckOption>> {
    let (ast::CreateTableOptions::With(options) | ast::CreateTableOptions::Options(options)) =
        options
    else {
        return Ok(None);
    };
    let mut found = None;
    for option in options {
        let ast::SqlOption::KeyValue { key, value } = option else {
            continue;
        };
        if ident_name(key) != "check_option" {
            continue;
        }
        let text = match value {
            ast::Expr::Value(
                ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s),
            ) => s.to_lowercase(),
            ast::Expr::Identifier(ident) => ident_name(ident),
            other => other.to_string().to_lowercase(),
        };
        found = Some(match text.as_str() {
            "local" => CheckOption::Local,
            "cascaded" => CheckOption::Cascaded,
            _ => {
                return Err(Error::invalid(
                    "22023",
                    format!("invalid value for enum option \"check_option\": {text}"),
                )
                .with_detail("Valid values are \"local\" and \"cascaded\"."))
            }
        });
    }
    Ok(found)
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
pub(super) fn uses_temporary(query: &ast::Query) -> bool {
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

/// An identifier spelled so that it reads back as `name`: bare when it may be, else quoted.
pub(super) fn spelled(name: &str) -> ast::Ident {
    let plain = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        ast::Ident::new(name)
    } else {
        ast::Ident::with_quote('"', name)
    }
}

/// The view's query text with the relation `from` renamed to `to` (what ALTER ... RENAME TO
/// does to the views that use a relation, which PostgreSQL tracks by OID): in FROM, and where
/// a column is qualified by the relation's own (unaliased) name.
pub fn rename_relation(query: &ast::Query, from: &str, to: &str) -> String {
    struct Renamer<'a> {
        from: &'a str,
        to: &'a str,
        /// Whether columns are qualified by the relation's name (it has no alias).
        columns: bool,
    }
    impl ast::VisitorMut for Renamer<'_> {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &mut ast::ObjectName) -> ControlFlow<()> {
            if let Some(last) = relation.0.last_mut() {
                if ident_name(last) == self.from {
                    *last = spelled(self.to);
                }
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
            if let ast::Expr::CompoundIdentifier(parts) = expr {
                let at = parts.len().saturating_sub(2);
                if self.columns && parts.len() >= 2 && ident_name(&parts[at]) == self.from {
                    parts[at] = spelled(self.to);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let from = vdb_engine::table::split_qualified(from).1;
    let mut renamer = Renamer {
        from,
        to: vdb_engine::table::split_qualified(to).1,
        columns: qualifiers(query, from) == BTreeSet::from([from.to_string()]),
    };
    let mut query = query.clone();
    let _ = ast::VisitMut::visit(&mut query, &mut renamer);
    query.to_string()
}

/// The names a view's query qualifies table `table`'s columns by: its alias, or its own name
/// where it has none; empty when the query does not read the table.
fn qualifiers(query: &ast::Query, table: &str) -> BTreeSet<String> {
    struct Qualifiers<'a> {
        table: &'a str,
        found: BTreeSet<String>,
    }
    impl Visitor for Qualifiers<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &ast::TableFactor) -> ControlFlow<()> {
            if let ast::TableFactor::Table { name, alias, .. } = factor {
                if name.0.last().map(ident_name).as_deref() == Some(self.table) {
                    self.found.insert(
                        alias
                            .as_ref()
                            .map_or_else(|| self.table.to_string(), |a| ident_name(&a.name)),
                    );
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut q = Qualifiers {
        table,
        found: BTreeSet::new(),
    };
    let _ = query.visit(&mut q);
    q.found
}

/// Whether `expr` names column `column` of a table qualified by one of `qualifiers`
/// (`unqualified`: also a bare `column`, when no other table of the query has one).
fn names_column(
    expr: &ast::Expr,
    qualifiers: &BTreeSet<String>,
    column: &str,
    unqualified: bool,
) -> bool {
    match expr {
        ast::Expr::Identifier(i) => unqualified && ident_name(i) == column,
        ast::Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let n = parts.len();
            ident_name(&parts[n - 1]) == column && qualifiers.contains(&ident_name(&parts[n - 2]))
        }
        _ => false,
    }
}

/// Whether a view's query uses column `column` of table `table` (bare name): names it, or
/// takes the table's columns with `*`. `unqualified` says whether a bare `column` may be the
/// table's (no other table the query reads has such a column).
pub fn uses_column(query: &ast::Query, table: &str, column: &str, unqualified: bool) -> bool {
    struct Uses<'a> {
        qualifiers: BTreeSet<String>,
        column: &'a str,
        unqualified: bool,
    }
    impl Visitor for Uses<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
            if names_column(expr, &self.qualifiers, self.column, self.unqualified) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
            if let ast::SetExpr::Select(select) = query.body.as_ref() {
                let star = select.projection.iter().any(|item| match item {
                    ast::SelectItem::Wildcard(_) => true,
                    ast::SelectItem::QualifiedWildcard(q, _) => {
                        q.0.last()
                            .is_some_and(|n| self.qualifiers.contains(&ident_name(n)))
                    }
                    _ => false,
                });
                if star {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let qualifiers = qualifiers(query, table);
    if qualifiers.is_empty() {
        return false;
    }
    query
        .visit(&mut Uses {
            qualifiers,
            column,
            unqualified,
        })
        .is_break()
}

/// The view's query text with column `from` of table `table` (bare name) renamed to `to`, or
/// `None` when the query does not name it (`unqualified` as in [`uses_column`]).
pub fn rename_column(
    query: &ast::Query,
    table: &str,
    from: &str,
    to: &str,
    unqualified: bool,
) -> Option<String> {
    struct Renamer<'a> {
        qualifiers: BTreeSet<String>,
        from: &'a str,
        to: &'a str,
        unqualified: bool,
        changed: bool,
    }
    impl ast::VisitorMut for Renamer<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
            if names_column(expr, &self.qualifiers, self.from, self.unqualified) {
                match expr {
                    ast::Expr::Identifier(i) => *i = spelled(self.to),
                    ast::Expr::CompoundIdentifier(parts) => {
                        if let Some(last) = parts.last_mut() {
                            *last = spelled(self.to);
                        }
                    }
                    _ => {}
                }
                self.changed = true;
            }
            ControlFlow::Continue(())
        }
    }
    let qualifiers = qualifiers(query, table);
    if qualifiers.is_empty() {
        return None;
    }
    let mut query = query.clone();
    let mut renamer = Renamer {
        qualifiers,
        from,
        to,
        unqualified,
        changed: false,
    };
    let _ = ast::VisitMut::visit(&mut query, &mut renamer);
    renamer.changed.then(|| query.to_string())
}
