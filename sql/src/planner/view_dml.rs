//! Writing through views: INSERT, UPDATE and DELETE whose target is an automatically updatable
//! view are rewritten into the same statement on the view's base table, as PostgreSQL's rewriter
//! does. A view is automatically updatable when its query is one SELECT from one table (or
//! updatable view) with no WITH, DISTINCT, GROUP BY, HAVING, LIMIT, OFFSET, aggregates, window
//! functions or set-returning functions; its columns that are plain columns of the base table
//! can be written, the others only read. The view's WHERE joins every UPDATE's and DELETE's
//! condition; rows an INSERT or UPDATE makes that the view does not show are allowed unless
//! the view (or, CASCADED, one above it) has `WITH CHECK OPTION`: then each written row must
//! satisfy the views' conditions (44000), which [`Rewritten::checks`] carries to the plan.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use sqlparser::ast::{self, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::View;

use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::planner::aggregate::contains_aggregate;
use crate::planner::expr::ident_name;

/// How deep views over views may nest before the rewrite gives up (PostgreSQL's rewriter
/// reports infinite recursion; a view cannot name itself here, so this only bounds the work).
const MAX_DEPTH: usize = 32;

/// A write through views, rewritten onto the base table.
pub struct Rewritten {
    pub statement: ast::Statement,
    /// The conditions the rows an INSERT or UPDATE writes must satisfy (the views WITH CHECK
    /// OPTION it goes through): each view's name and its WHERE over the base row, which the
    /// statement names `relation`.
    pub checks: Vec<(String, ast::Expr)>,
    pub relation: String,
}

/// `statement` with its view target replaced by the view's base table, or `None` if its
/// target is not a view.
pub fn rewrite(catalog: &Catalog<'_>, statement: &ast::Statement) -> Result<Option<Rewritten>> {
    // Most statements write no view (or nothing): they are not copied.
    let writes_view = target_name(statement)
        .and_then(|target| table_name(&target).ok())
        .is_some_and(|key| catalog.get_view(&key).is_some());
    if !writes_view {
        return Ok(None);
    }
    let mut current = statement.clone();
    let mut rewritten = None;
    let checking = matches!(
        statement,
        ast::Statement::Insert(_) | ast::Statement::Update { .. }
    );
    // A CASCADED check option checks every view below its view too.
    let mut cascade = false;
    let mut checks: Vec<(String, ast::Expr)> = Vec::new();
    for _ in 0..MAX_DEPTH {
        let Some(target) = target_name(&current) else {
            break;
        };
        let Ok(key) = table_name(&target) else {
            break;
        };
        let Some(view) = catalog.get_view(&key) else {
            break;
        };
        let name = vdb_engine::table::split_qualified(&key).1.to_string();
        let updatable = Updatable::of(catalog, &name, view, statement_verb(&current))?;
        let relation = updatable.relation_of(&current);
        // The conditions of the views above are over this view's columns: over its base now.
        for (_, condition) in &mut checks {
            updatable.map_expr(condition, &relation);
        }
        if checking && (cascade || view.check_option.is_some()) {
            if let Some(mut condition) = updatable.condition.clone() {
                requalify(&mut condition, &updatable.base_relation, &relation);
                checks.push((name.clone(), condition));
            }
        }
        cascade |= view.check_option == Some(vdb_engine::table::CheckOption::Cascaded);
        current = updatable.apply(current, &relation)?;
        rewritten = Some(relation);
    }
    Ok(rewritten.map(|relation| Rewritten {
        statement: current,
        checks,
        relation,
    }))
}

/// Refuses (0A000) `WITH CHECK OPTION` on view `key` (being created as `view`) unless it is
/// automatically updatable, as PostgreSQL does.
pub fn check_option_allowed(catalog: &Catalog<'_>, key: &str, view: &View) -> Result<()> {
    let name = vdb_engine::table::split_qualified(key).1;
    match Updatable::of(catalog, name, view, "update") {
        Ok(_) => Ok(()),
        Err(e) if e.sqlstate() == "55000" => {
            let reason = e.detail().map(str::to_string);
            let error = Error::invalid(
                "0A000",
                "WITH CHECK OPTION is supported only on automatically updatable views",
            );
            Err(match reason {
                Some(reason) => error.with_hint(reason),
                None => error,
            })
        }
        Err(e) => Err(e),
    }
}

/// The table or view an INSERT, UPDATE or DELETE writes.
fn target_name(statement: &ast::Statement) -> Option<ast::ObjectName> {
    match statement {
        ast::Statement::Insert(insert) => Some(insert.table_name.clone()),
        ast::Statement::Update { table, .. } => match &table.relation {
            ast::TableFactor::Table { name, .. } => Some(name.clone()),
            _ => None,
        },
        ast::Statement::Delete(delete) => match &delete.from {
            ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from) => {
                match from.first().map(|t| &t.relation) {
                    Some(ast::TableFactor::Table { name, .. }) => Some(name.clone()),
                    _ => None,
                }
            }
        },
        _ => None,
    }
}

fn statement_verb(statement: &ast::Statement) -> &'static str {
    match statement {
        ast::Statement::Insert(_) => "insert into",
        ast::Statement::Update { .. } => "update",
        _ => "delete from",
    }
}

/// An automatically updatable view: its base table, and what each of its columns is.
struct Updatable {
    view: String,
    base: ast::ObjectName,
    /// The name the view's query gives the base table (its alias, else its bare name).
    base_relation: String,
    /// The view's WHERE, over the base table.
    condition: Option<ast::Expr>,
    /// Each view column: its name and the base column it is, or the expression it computes.
    columns: Vec<(String, ViewColumn)>,
}

enum ViewColumn {
    Base(String),
    Computed(Box<ast::Expr>),
}

impl Updatable {
    /// Checks that `view` is automatically updatable, as PostgreSQL's rules say; `verb` words
    /// the 55000 error when it is not.
    fn of(catalog: &Catalog<'_>, name: &str, view: &View, verb: &str) -> Result<Updatable> {
        // PostgreSQL's DETAIL says which rule the view breaks, its HINT what would make the
        // write possible.
        let hint = match verb {
            "insert into" => {
                "To enable inserting into the view, provide an INSTEAD OF INSERT \
                              trigger or an unconditional ON INSERT DO INSTEAD rule."
            }
            "delete from" => {
                "To enable deleting from the view, provide an INSTEAD OF DELETE \
                              trigger or an unconditional ON DELETE DO INSTEAD rule."
            }
            _ => {
                "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an \
                  unconditional ON UPDATE DO INSTEAD rule."
            }
        };
        let refuse = |detail: &str| {
            Error::invalid("55000", format!("cannot {verb} view \"{name}\""))
                .with_detail(detail)
                .with_hint(hint)
        };
        let query = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&view.query)
            .and_then(|mut p| p.parse_query())
            .map_err(|e| {
                Error::invalid(
                    "XX000",
                    format!("stored view \"{name}\" does not parse: {e}"),
                )
            })?;
        if query.with.is_some() {
            return Err(refuse(
                "Views containing WITH are not automatically updatable.",
            ));
        }
        if query.limit.is_some() || query.offset.is_some() || query.fetch.is_some() {
            return Err(refuse(
                "Views containing LIMIT or OFFSET are not automatically updatable.",
            ));
        }
        let ast::SetExpr::Select(select) = query.body.as_ref() else {
            return Err(refuse(
                "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.",
            ));
        };
        if select.distinct.is_some() {
            return Err(refuse(
                "Views containing DISTINCT are not automatically updatable.",
            ));
        }
        let grouped =
            !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty());
        if grouped {
            return Err(refuse(
                "Views containing GROUP BY are not automatically updatable.",
            ));
        }
        if select.having.is_some() {
            return Err(refuse(
                "Views containing HAVING are not automatically updatable.",
            ));
        }
        let [from] = select.from.as_slice() else {
            return Err(refuse(
                "Views that do not select from a single table or view are not automatically \
                 updatable.",
            ));
        };
        let ast::TableFactor::Table {
            name: base,
            alias,
            args: None,
            ..
        } = &from.relation
        else {
            return Err(refuse(
                "Views that do not select from a single table or view are not automatically \
                 updatable.",
            ));
        };
        if !from.joins.is_empty() {
            return Err(refuse(
                "Views that do not select from a single table or view are not automatically \
                 updatable.",
            ));
        }
        let items: Vec<&ast::Expr> = select
            .projection
            .iter()
            .filter_map(|item| match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                _ => None,
            })
            .collect();
        if contains_aggregate(items.iter().copied()) {
            return Err(refuse(
                "Views that return aggregate functions are not automatically updatable.",
            ));
        }
        let windowed = items.iter().any(|e| {
            let mut found = false;
            let _ = ast::visit_expressions(*e, |e| {
                if let ast::Expr::Function(f) = e {
                    found |= f.over.is_some();
                }
                ControlFlow::<()>::Continue(())
            });
            found
        });
        if windowed {
            return Err(refuse(
                "Views that return window functions are not automatically updatable.",
            ));
        }
        let base_relation = alias.as_ref().map_or_else(
            || base.0.last().map(ident_name).unwrap_or_default(),
            |a| ident_name(&a.name),
        );
        // The query's output columns, in order, before the view's own names replace theirs.
        let mut outputs: Vec<ViewColumn> = Vec::new();
        for item in &select.projection {
            match item {
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    // `*` was expanded when the view was made, into the base's columns of
                    // then, which come first in the base's columns of now.
                    let start = outputs.len();
                    let rest = view.columns.len().saturating_sub(start);
                    let names = base_columns(catalog, base)?;
                    outputs.extend(names.into_iter().take(rest).map(ViewColumn::Base));
                }
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                    outputs.push(match column_of(e, &base_relation) {
                        Some(column) => ViewColumn::Base(column),
                        None => ViewColumn::Computed(Box::new(e.clone())),
                    });
                }
            }
        }
        let columns = view
            .columns
            .iter()
            .map(|(name, _)| name.clone())
            .zip(outputs)
            .collect();
        Ok(Updatable {
            view: name.to_string(),
            base: base.clone(),
            base_relation,
            condition: select.selection.clone(),
            columns,
        })
    }

    /// The base column that view column `column` is, or 0A000 if it is computed.
    fn writable(&self, column: &str) -> Result<String> {
        match self.columns.iter().find(|(name, _)| name == column) {
            Some((_, ViewColumn::Base(base))) => Ok(base.clone()),
            Some((_, ViewColumn::Computed(_))) => Err(Error::invalid(
                "0A000",
                format!(
                    "cannot update column \"{column}\" of view \"{}\"",
                    self.view
                ),
            )),
            None => Err(Error::UndefinedColumn(format!(
                "column \"{column}\" of relation \"{}\" does not exist",
                self.view
            ))),
        }
    }

    /// The name a statement on this view gives its target: its alias, else the view's name.
    fn relation_of(&self, statement: &ast::Statement) -> String {
        match statement {
            ast::Statement::Insert(insert) => insert
                .table_alias
                .as_ref()
                .map_or_else(|| self.view.clone(), ident_name),
            ast::Statement::Update { table, .. } => target_relation(&table.relation, &self.view),
            ast::Statement::Delete(delete) => {
                let (ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from)) =
                    &delete.from;
                from.first().map_or_else(
                    || self.view.clone(),
                    |t| target_relation(&t.relation, &self.view),
                )
            }
            _ => self.view.clone(),
        }
    }

    /// The statement on the base table, with `relation` (the target's alias, else the view's
    /// name: [`Updatable::relation_of`]) still naming the target in its expressions.
    fn apply(&self, statement: ast::Statement, relation: &str) -> Result<ast::Statement> {
        match statement {
            ast::Statement::Insert(insert) => {
                self.insert(insert, relation).map(ast::Statement::Insert)
            }
            ast::Statement::Update {
                assignments,
                from,
                selection,
                returning,
                ..
            } => {
                let mut assignments = assignments;
                for a in &mut assignments {
                    self.rename_target(&mut a.target)?;
                    self.map_expr(&mut a.value, relation);
                }
                Ok(ast::Statement::Update {
                    table: self.base_target(relation),
                    assignments,
                    from,
                    selection: self.condition(selection, relation),
                    returning: self.returning(returning, relation),
                })
            }
            ast::Statement::Delete(mut delete) => {
                let (ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from)) =
                    &mut delete.from;
                from[0] = self.base_target(relation);
                delete.selection = self.condition(delete.selection.take(), relation);
                delete.returning = self.returning(delete.returning.take(), relation);
                Ok(ast::Statement::Delete(delete))
            }
            other => Ok(other),
        }
    }

    fn insert(&self, mut insert: ast::Insert, relation: &str) -> Result<ast::Insert> {
        if let Some(on) = insert.on.take() {
            insert.on = Some(self.on_conflict(on, relation)?);
        }
        // Without a column list, values fill the view's columns in order.
        let targets: Vec<String> = if insert.columns.is_empty() {
            let width = insert
                .source
                .as_deref()
                .and_then(source_width)
                .unwrap_or(self.columns.len());
            self.columns
                .iter()
                .take(width)
                .map(|(name, _)| name.clone())
                .collect()
        } else {
            insert.columns.iter().map(ident_name).collect()
        };
        let mut columns = Vec::new();
        for target in &targets {
            let base = match self.writable(target) {
                Err(e) if e.sqlstate() == "0A000" => {
                    return Err(Error::invalid(
                        "0A000",
                        format!(
                            "cannot insert into column \"{target}\" of view \"{}\"",
                            self.view
                        ),
                    ))
                }
                other => other?,
            };
            columns.push(ast::Ident::with_quote('"', base));
        }
        insert.table_name = self.base.clone();
        insert.table_alias = Some(ast::Ident::with_quote('"', relation));
        insert.columns = columns;
        insert.returning = self.returning(insert.returning.take(), relation);
        Ok(insert)
    }

    /// ON CONFLICT of an INSERT into the view: the target's columns and the DO UPDATE's
    /// assignments, condition and `EXCLUDED.column` references become the base table's.
    fn on_conflict(&self, on: ast::OnInsert, relation: &str) -> Result<ast::OnInsert> {
        let ast::OnInsert::OnConflict(mut conflict) = on else {
            return Ok(on);
        };
        match &mut conflict.conflict_target {
            Some(ast::ConflictTarget::Columns(columns)) => {
                for column in columns.iter_mut() {
                    *column = ast::Ident::with_quote('"', self.writable(&ident_name(column))?);
                }
            }
            // An inferred target of expressions or with a predicate, read into a marked name.
            Some(ast::ConflictTarget::OnConstraint(name))
                if name
                    .to_string()
                    .contains(crate::planner::on_conflict::INFER_MARKER) =>
            {
                return Err(Error::Unsupported(format!(
                    "an ON CONFLICT target of expressions or with WHERE on view \"{}\"",
                    self.view
                )));
            }
            // A view has no constraints of its own to name.
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                return Err(Error::invalid(
                    "42704",
                    format!(
                        "constraint \"{}\" for table \"{}\" does not exist",
                        name.0.last().map(ident_name).unwrap_or_default(),
                        self.view
                    ),
                ));
            }
            None => {}
        }
        if let ast::OnConflictAction::DoUpdate(update) = &mut conflict.action {
            for a in &mut update.assignments {
                self.rename_target(&mut a.target)?;
                self.map_expr(&mut a.value, relation);
                self.map_expr(&mut a.value, "excluded");
            }
            if let Some(selection) = &mut update.selection {
                self.map_expr(selection, relation);
                self.map_expr(selection, "excluded");
            }
        }
        Ok(ast::OnInsert::OnConflict(conflict))
    }

    fn rename_target(&self, target: &mut ast::AssignmentTarget) -> Result<()> {
        let names: Vec<&mut ast::ObjectName> = match target {
            ast::AssignmentTarget::ColumnName(name) => vec![name],
            ast::AssignmentTarget::Tuple(names) => names.iter_mut().collect(),
        };
        for name in names {
            let column = name.0.last().map(ident_name).unwrap_or_default();
            let base = self.writable(&column)?;
            *name = ast::ObjectName(vec![ast::Ident::with_quote('"', base)]);
        }
        Ok(())
    }

    /// `FROM base AS relation`.
    fn base_target(&self, relation: &str) -> ast::TableWithJoins {
        ast::TableWithJoins {
            relation: ast::TableFactor::Table {
                name: self.base.clone(),
                alias: Some(ast::TableAlias {
                    name: ast::Ident::with_quote('"', relation),
                    columns: Vec::new(),
                }),
                args: None,
                with_hints: Vec::new(),
                version: None,
                with_ordinality: false,
                partitions: Vec::new(),
            },
            joins: Vec::new(),
        }
    }

    /// The view's WHERE (over the base table, now named `relation`) AND the statement's.
    fn condition(&self, selection: Option<ast::Expr>, relation: &str) -> Option<ast::Expr> {
        let mut selection = selection;
        if let Some(s) = &mut selection {
            self.map_expr(s, relation);
        }
        let view = self.condition.clone().map(|mut c| {
            requalify(&mut c, &self.base_relation, relation);
            c
        });
        match (view, selection) {
            (Some(v), Some(s)) => Some(ast::Expr::BinaryOp {
                left: Box::new(ast::Expr::Nested(Box::new(v))),
                op: ast::BinaryOperator::And,
                right: Box::new(ast::Expr::Nested(Box::new(s))),
            }),
            (v, s) => v.or(s),
        }
    }

    /// RETURNING over the view's columns: `*` and `relation.*` are the view's columns, each
    /// computed from the base row.
    fn returning(
        &self,
        returning: Option<Vec<ast::SelectItem>>,
        relation: &str,
    ) -> Option<Vec<ast::SelectItem>> {
        let items = returning?;
        let mut out = Vec::new();
        for item in items {
            if crate::planner::statement::returns_whole_target(&item, relation) {
                for (name, column) in &self.columns {
                    out.push(ast::SelectItem::ExprWithAlias {
                        expr: self.column_expr(column, relation),
                        alias: ast::Ident::with_quote('"', name),
                    });
                }
                continue;
            }
            out.push(match item {
                ast::SelectItem::UnnamedExpr(mut e) => {
                    let alias = crate::planner::expr::output_name(&e);
                    self.map_expr(&mut e, relation);
                    ast::SelectItem::ExprWithAlias {
                        expr: e,
                        alias: ast::Ident::with_quote('"', alias),
                    }
                }
                ast::SelectItem::ExprWithAlias { mut expr, alias } => {
                    self.map_expr(&mut expr, relation);
                    ast::SelectItem::ExprWithAlias { expr, alias }
                }
                other => other,
            });
        }
        Some(out)
    }

    /// A view column as an expression over the base row named `relation`.
    fn column_expr(&self, column: &ViewColumn, relation: &str) -> ast::Expr {
        match column {
            ViewColumn::Base(base) => ast::Expr::CompoundIdentifier(vec![
                ast::Ident::with_quote('"', relation),
                ast::Ident::with_quote('"', base),
            ]),
            ViewColumn::Computed(e) => {
                let mut e = e.clone();
                requalify(&mut e, &self.base_relation, relation);
                ast::Expr::Nested(e)
            }
        }
    }

    /// Rewrites references to the view's columns in a statement's expression (bare, or
    /// qualified by `relation`) into expressions over the base row.
    fn map_expr(&self, expr: &mut ast::Expr, relation: &str) {
        let by_name: BTreeMap<&str, ast::Expr> = self
            .columns
            .iter()
            .map(|(name, column)| (name.as_str(), self.column_expr(column, relation)))
            .collect();
        struct Mapper<'a> {
            relation: &'a str,
            by_name: &'a BTreeMap<&'a str, ast::Expr>,
        }
        impl VisitorMut for Mapper<'_> {
            type Break = ();
            fn post_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
                let column = match expr {
                    ast::Expr::Identifier(ident) => Some(ident_name(ident)),
                    ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                        [q, c] if ident_name(q) == self.relation => Some(ident_name(c)),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(mapped) = column.and_then(|c| self.by_name.get(c.as_str())) {
                    *expr = mapped.clone();
                }
                ControlFlow::Continue(())
            }
        }
        let _ = expr.visit(&mut Mapper {
            relation,
            by_name: &by_name,
        });
    }
}

/// For the catalog: whether each column of view `key` can be written through it, or `None`
/// if the view is not automatically updatable (or is not a view).
pub fn writable_columns(catalog: &Catalog<'_>, key: &str) -> Option<Vec<bool>> {
    let view = catalog.get_view(key)?;
    let name = vdb_engine::table::split_qualified(key).1;
    let updatable = Updatable::of(catalog, name, view, "update").ok()?;
    Some(
        updatable
            .columns
            .iter()
            .map(|(_, column)| matches!(column, ViewColumn::Base(_)))
            .collect(),
    )
}

/// The name a DML target goes by: its alias, else the view's name.
fn target_relation(relation: &ast::TableFactor, view: &str) -> String {
    match relation {
        ast::TableFactor::Table { alias: Some(a), .. } => ident_name(&a.name),
        _ => view.to_string(),
    }
}

/// The base column a view's select item is (`c` or `base.c`), if it is one.
fn column_of(expr: &ast::Expr, base_relation: &str) -> Option<String> {
    match expr {
        ast::Expr::Identifier(ident) => Some(ident_name(ident)),
        ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [q, c] if ident_name(q) == base_relation => Some(ident_name(c)),
            [_, q, c] if ident_name(q) == base_relation => Some(ident_name(c)),
            _ => None,
        },
        ast::Expr::Nested(inner) => column_of(inner, base_relation),
        _ => None,
    }
}

/// The column names of a view's base table or view.
fn base_columns(catalog: &Catalog<'_>, base: &ast::ObjectName) -> Result<Vec<String>> {
    let key = table_name(base)?;
    if let Some(view) = catalog.get_view(&key) {
        return Ok(view.columns.iter().map(|(name, _)| name.clone()).collect());
    }
    let table = catalog
        .get_table(&key)?
        .ok_or_else(|| Error::UndefinedTable(key.clone()))?;
    Ok(table
        .schema()
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect())
}

/// Replaces the qualifier `from` with `to` in column references (`from.c` → `to.c`).
fn requalify(expr: &mut ast::Expr, from: &str, to: &str) {
    struct Requalify<'a> {
        from: &'a str,
        to: &'a str,
    }
    impl VisitorMut for Requalify<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
            if let ast::Expr::CompoundIdentifier(parts) = expr {
                let n = parts.len();
                if n >= 2 && ident_name(&parts[n - 2]) == self.from {
                    let column = parts[n - 1].clone();
                    *parts = vec![ast::Ident::with_quote('"', self.to), column];
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = expr.visit(&mut Requalify { from, to });
}

/// How many columns an INSERT's source gives, when it can be told without planning.
fn source_width(query: &ast::Query) -> Option<usize> {
    match query.body.as_ref() {
        ast::SetExpr::Values(values) => values.rows.first().map(Vec::len),
        ast::SetExpr::Select(select)
            if !select.projection.iter().any(|item| {
                matches!(
                    item,
                    ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..)
                )
            }) =>
        {
            Some(select.projection.len())
        }
        _ => None,
    }
}
