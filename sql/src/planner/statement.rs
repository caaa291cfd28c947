//! Planning statements: DDL (CREATE TABLE, DROP TABLE) and DML (INSERT, UPDATE, DELETE), and
//! dispatch of queries to `query.rs`. Values written to a table are coerced to the column types
//! here (assignment casts), so the executors only check constraints.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::{Column, Schema};
use vdb_engine::value::{Type, Value};

use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::expr::{bind, boolean, ident_name, output_name, Scope, ScopeColumn, Typed};
use crate::planner::plan::{KeyRange, Plan, Planned};
use crate::planner::query::plan_query;
use crate::types::{assignment_cast, sql_type, type_name};

/// Plans one statement against `catalog`.
pub fn plan_statement(catalog: &Catalog<'_>, statement: &ast::Statement) -> Result<Planned> {
    match statement {
        ast::Statement::Query(query) => {
            let (plan, columns) = plan_query(catalog, query)?;
            Ok(Planned {
                plan,
                columns: Some(columns),
                tag: "SELECT",
            })
        }
        ast::Statement::CreateTable(create) => create_table(catalog, create),
        ast::Statement::Drop {
            object_type: ast::ObjectType::Table,
            if_exists,
            names,
            cascade: false,
            purge: false,
            temporary: false,
            ..
        } => {
            let names = names.iter().map(table_name).collect::<Result<Vec<_>>>()?;
            Ok(Planned {
                plan: Plan::DropTable {
                    names,
                    if_exists: *if_exists,
                },
                columns: None,
                tag: "DROP TABLE",
            })
        }
        ast::Statement::Insert(insert) => {
            let planned = plan_insert(catalog, insert)?;
            let name = table_name(&insert.table_name)?;
            with_returning(catalog, planned, &name, &name, insert.returning.as_deref())
        }
        ast::Statement::Update {
            table,
            assignments,
            from: None,
            selection,
            returning,
        } => {
            let planned = plan_update(catalog, table, assignments, selection.as_ref())?;
            let (name, relation) = target_names(&table.relation)?;
            with_returning(catalog, planned, &name, &relation, returning.as_deref())
        }
        ast::Statement::Delete(delete) => {
            let planned = plan_delete(catalog, delete)?;
            let relation = match &delete.from {
                ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from) => {
                    from.first().map(|f| &f.relation)
                }
            };
            let Some(relation) = relation else {
                return Ok(planned);
            };
            let (name, relation) = target_names(relation)?;
            with_returning(
                catalog,
                planned,
                &name,
                &relation,
                delete.returning.as_deref(),
            )
        }
        ast::Statement::Truncate {
            table_names,
            partitions: None,
            identity: None,
            cascade: None,
            ..
        } => plan_truncate(catalog, table_names),
        other => Err(Error::Unsupported(statement_name(other))),
    }
}

/// The table name and the name it goes by (its alias) of a DML target.
fn target_names(relation: &ast::TableFactor) -> Result<(String, String)> {
    let ast::TableFactor::Table { name, alias, .. } = relation else {
        return Err(Error::Unsupported(format!("target {relation}")));
    };
    let table = table_name(name)?;
    let relation = alias
        .as_ref()
        .map_or(table.clone(), |a| ident_name(&a.name));
    Ok((table, relation))
}

/// Wraps a write in RETURNING: its items bound over the written table's rows.
fn with_returning(
    catalog: &Catalog<'_>,
    planned: Planned,
    table: &str,
    relation: &str,
    items: Option<&[ast::SelectItem]>,
) -> Result<Planned> {
    let Some(items) = items else {
        return Ok(planned);
    };
    let schema = catalog.must_get_table(table)?.schema().clone();
    let scope = Scope {
        columns: schema
            .columns
            .iter()
            .map(|c| ScopeColumn {
                relation: Some(relation.to_string()),
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect(),
    };
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for item in items {
        match item {
            ast::SelectItem::Wildcard(_) => {
                for (i, c) in scope.columns.iter().enumerate() {
                    exprs.push(Expr::Column(i));
                    columns.push((c.name.clone(), c.ty.clone()));
                }
            }
            ast::SelectItem::UnnamedExpr(e) => {
                let t = bind(e, &scope)?;
                columns.push((output_name(e), t.resolved_type()));
                exprs.push(t.expr);
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                let t = bind(expr, &scope)?;
                columns.push((ident_name(alias), t.resolved_type()));
                exprs.push(t.expr);
            }
            other => return Err(Error::Unsupported(format!("RETURNING {other}"))),
        }
    }
    Ok(Planned {
        plan: Plan::Returning {
            source: Box::new(planned.plan),
            exprs,
        },
        columns: Some(columns),
        tag: planned.tag,
    })
}

/// TRUNCATE: a DELETE of every row of each table, reported as `TRUNCATE TABLE`.
fn plan_truncate(catalog: &Catalog<'_>, targets: &[ast::TruncateTableTarget]) -> Result<Planned> {
    let [target] = targets else {
        return Err(Error::Unsupported("TRUNCATE of several tables".into()));
    };
    let table = table_name(&target.name)?;
    let schema = catalog.must_get_table(&table)?.schema().clone();
    let scan = Plan::Scan {
        table: table.clone(),
        schema,
        range: KeyRange::All,
        with_key: true,
    };
    Ok(Planned {
        plan: Plan::Delete {
            table,
            source: Box::new(scan),
        },
        columns: None,
        tag: "TRUNCATE TABLE",
    })
}

/// A short name for an unsupported statement: its first words.
fn statement_name(statement: &ast::Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    words.join(" ")
}

fn create_table(catalog: &Catalog<'_>, create: &ast::CreateTable) -> Result<Planned> {
    let name = table_name(&create.name)?;
    if create.or_replace
        || create.temporary
        || create.external
        || create.query.is_some()
        || create.like.is_some()
        || create.clone.is_some()
        || !create.with_options.is_empty()
    {
        return Err(Error::Unsupported("this form of CREATE TABLE".into()));
    }
    let mut schema = Schema {
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    };
    let mut primary: Option<Vec<String>> = None;
    let mut set_primary = |cols: Vec<String>| -> Result<()> {
        if primary.is_some() {
            return Err(Error::invalid(
                "42P16",
                format!("multiple primary keys for table \"{name}\" are not allowed"),
            ));
        }
        primary = Some(cols);
        Ok(())
    };
    for def in &create.columns {
        let column = ident_name(&def.name);
        let ty = sql_type(&def.data_type)?;
        if def.collation.is_some() {
            return Err(Error::Unsupported("COLLATE".into()));
        }
        let mut nullable = true;
        let mut default = None;
        for option in &def.options {
            match &option.option {
                ast::ColumnOption::Null => nullable = true,
                ast::ColumnOption::NotNull => nullable = false,
                ast::ColumnOption::Default(e) => {
                    assign(bind(e, &Scope::default())?, &column, &ty)?;
                    default = Some(e.to_string());
                }
                ast::ColumnOption::Unique {
                    is_primary: true,
                    characteristics: None,
                } => set_primary(vec![column.clone()])?,
                other => return Err(Error::Unsupported(format!("column constraint {other}"))),
            }
        }
        if schema.get_column(&column).is_some() {
            return Err(Error::DuplicateColumn(column));
        }
        schema
            .add_column(&column, ty, nullable, default)
            .map_err(|e| Error::engine("adding column", e))?;
    }
    for constraint in &create.constraints {
        match constraint {
            ast::TableConstraint::PrimaryKey {
                columns,
                index_type: None,
                index_options,
                characteristics: None,
                ..
            } if index_options.is_empty() => {
                set_primary(columns.iter().map(ident_name).collect())?;
            }
            other => return Err(Error::Unsupported(format!("table constraint {other}"))),
        }
    }
    for key in primary.unwrap_or_default() {
        let Some(column) = schema.columns.iter_mut().find(|c| c.name == key) else {
            return Err(Error::UndefinedColumn(format!(
                "column \"{key}\" named in key does not exist"
            )));
        };
        if schema.primary_key.contains(&column.id) {
            return Err(Error::invalid(
                "42701",
                format!("column \"{key}\" appears twice in primary key constraint"),
            ));
        }
        column.nullable = false;
        schema.primary_key.push(column.id);
    }
    if !create.if_not_exists && catalog.get_table(&name)?.is_some() {
        return Err(Error::DuplicateTable(name));
    }
    Ok(Planned {
        plan: Plan::CreateTable {
            name,
            schema,
            if_not_exists: create.if_not_exists,
        },
        columns: None,
        tag: "CREATE TABLE",
    })
}

/// Coerces a value for column `column` of type `ty` (PostgreSQL's assignment cast).
fn assign(t: Typed, column: &str, ty: &Type) -> Result<Expr> {
    match &t.ty {
        Some(from) if from == ty => Ok(t.expr),
        Some(from) if !assignment_cast(from, ty) => Err(Error::mismatch(format!(
            "column \"{column}\" is of type {} but expression is of type {}",
            type_name(ty),
            type_name(from)
        ))),
        _ => Ok(Expr::Cast(Box::new(t.expr), ty.clone())),
    }
}

/// The bound default of a column (NULL if it has none).
pub fn default_value(column: &Column) -> Result<Expr> {
    let Some(text) = &column.default else {
        return Ok(Expr::Literal(Value::Null));
    };
    let expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| {
            Error::invalid(
                "XX000",
                format!("stored default of \"{}\" does not parse: {e}", column.name),
            )
        })?;
    assign(bind(&expr, &Scope::default())?, &column.name, &column.ty)
}

/// Whether an expression is the `DEFAULT` keyword (sqlparser reads it as an identifier).
fn is_default(expr: &ast::Expr) -> bool {
    matches!(expr, ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"))
}

fn plan_insert(catalog: &Catalog<'_>, insert: &ast::Insert) -> Result<Planned> {
    if insert.or.is_some()
        || insert.ignore
        || insert.overwrite
        || insert.partitioned.is_some()
        || !insert.after_columns.is_empty()
        || insert.replace_into
        || insert.insert_alias.is_some()
        || insert.table_alias.is_some()
    {
        return Err(Error::Unsupported("this form of INSERT".into()));
    }
    let name = table_name(&insert.table_name)?;
    let schema = catalog.must_get_table(&name)?.schema().clone();
    let skip_conflicts = on_conflict(insert.on.as_ref(), &schema)?;
    let explicit = !insert.columns.is_empty();
    let targets: Vec<usize> = if !explicit {
        (0..schema.columns.len()).collect()
    } else {
        let mut targets = Vec::new();
        for ident in &insert.columns {
            let column = ident_name(ident);
            let Some(i) = schema.columns.iter().position(|c| c.name == column) else {
                return Err(Error::UndefinedColumn(format!(
                    "column \"{column}\" of relation \"{name}\" does not exist"
                )));
            };
            if targets.contains(&i) {
                return Err(Error::invalid(
                    "42701",
                    format!("column \"{column}\" specified more than once"),
                ));
            }
            targets.push(i);
        }
        targets
    };
    let defaults = schema
        .columns
        .iter()
        .map(default_value)
        .collect::<Result<Vec<_>>>()?;
    let Some(source) = &insert.source else {
        // INSERT ... DEFAULT VALUES
        let plan = Plan::Values {
            rows: vec![defaults],
        };
        return Ok(Planned {
            plan: Plan::Insert {
                table: name,
                source: Box::new(plan),
                skip_conflicts,
            },
            columns: None,
            tag: "INSERT",
        });
    };
    let source = match source.body.as_ref() {
        ast::SetExpr::Values(values)
            if source.order_by.is_none() && source.limit.is_none() && source.offset.is_none() =>
        {
            let mut rows = Vec::new();
            for row in &values.rows {
                if values.rows.iter().any(|r| r.len() != row.len()) {
                    return Err(Error::invalid(
                        "42601",
                        "VALUES lists must all be the same length",
                    ));
                }
                check_width(row.len(), targets.len(), explicit)?;
                let mut full = defaults.clone();
                for (e, &i) in row.iter().zip(&targets) {
                    if !is_default(e) {
                        let c = &schema.columns[i];
                        full[i] = assign(bind(e, &Scope::default())?, &c.name, &c.ty)?;
                    }
                }
                rows.push(full);
            }
            Plan::Values { rows }
        }
        _ => {
            let (plan, columns) = plan_query(catalog, source)?;
            check_width(columns.len(), targets.len(), explicit)?;
            let mut full = defaults;
            for (j, &i) in targets.iter().take(columns.len()).enumerate() {
                let c = &schema.columns[i];
                full[i] = assign(
                    Typed {
                        expr: Expr::Column(j),
                        ty: Some(columns[j].1.clone()),
                    },
                    &c.name,
                    &c.ty,
                )?;
            }
            Plan::Project {
                source: Box::new(plan),
                exprs: full,
            }
        }
    };
    Ok(Planned {
        plan: Plan::Insert {
            table: name,
            source: Box::new(source),
            skip_conflicts,
        },
        columns: None,
        tag: "INSERT",
    })
}

/// Whether the insert skips rows that conflict: `ON CONFLICT [(primary key)] DO NOTHING`.
fn on_conflict(on: Option<&ast::OnInsert>, schema: &Schema) -> Result<bool> {
    let Some(on) = on else {
        return Ok(false);
    };
    let ast::OnInsert::OnConflict(ast::OnConflict {
        conflict_target,
        action: ast::OnConflictAction::DoNothing,
    }) = on
    else {
        return Err(Error::Unsupported("ON CONFLICT DO UPDATE".into()));
    };
    match conflict_target {
        None => Ok(true),
        Some(ast::ConflictTarget::Columns(columns)) => {
            let mut named: Vec<String> = columns.iter().map(ident_name).collect();
            let mut key: Vec<String> = schema
                .key_positions()
                .iter()
                .map(|&i| schema.columns[i].name.clone())
                .collect();
            named.sort();
            key.sort();
            if named != key || key.is_empty() {
                return Err(Error::invalid(
                    "42P10",
                    "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                ));
            }
            Ok(true)
        }
        Some(ast::ConflictTarget::OnConstraint(_)) => {
            Err(Error::Unsupported("ON CONFLICT ON CONSTRAINT".into()))
        }
    }
}

/// Checks the number of values against the target columns; without a column list, fewer values
/// fill the first columns.
fn check_width(values: usize, targets: usize, explicit: bool) -> Result<()> {
    if values > targets {
        return Err(Error::invalid(
            "42601",
            "INSERT has more expressions than target columns",
        ));
    }
    if values < targets && explicit {
        return Err(Error::invalid(
            "42601",
            "INSERT has more target columns than expressions",
        ));
    }
    Ok(())
}

/// A scan of one table with its key column, filtered by WHERE: the source of UPDATE and DELETE.
fn keyed_source(
    catalog: &Catalog<'_>,
    relation: &ast::TableFactor,
    selection: Option<&ast::Expr>,
) -> Result<(String, Schema, Plan, Scope)> {
    let ast::TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = relation
    else {
        return Err(Error::Unsupported(format!("target {relation}")));
    };
    let table = table_name(name)?;
    let schema = catalog.must_get_table(&table)?.schema().clone();
    let relation_name = alias
        .as_ref()
        .map_or(table.clone(), |a| ident_name(&a.name));
    let scope = Scope {
        columns: schema
            .columns
            .iter()
            .map(|c| ScopeColumn {
                relation: Some(relation_name.clone()),
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect(),
    };
    let mut plan = Plan::Scan {
        table: table.clone(),
        schema: schema.clone(),
        range: KeyRange::All,
        with_key: true,
    };
    if let Some(selection) = selection {
        let predicate = boolean(bind(selection, &scope)?, "WHERE")?;
        plan = Plan::Filter {
            source: Box::new(plan),
            predicate,
        };
    }
    Ok((table, schema, plan, scope))
}

fn plan_update(
    catalog: &Catalog<'_>,
    table: &ast::TableWithJoins,
    assignments: &[ast::Assignment],
    selection: Option<&ast::Expr>,
) -> Result<Planned> {
    if !table.joins.is_empty() {
        return Err(Error::Unsupported("UPDATE with joins".into()));
    }
    let (name, schema, source, scope) = keyed_source(catalog, &table.relation, selection)?;
    let mut bound = Vec::new();
    for a in assignments {
        let ast::AssignmentTarget::ColumnName(target) = &a.target else {
            return Err(Error::Unsupported("multiple-column assignment".into()));
        };
        let column = target.0.last().map(ident_name).unwrap_or_default();
        let Some(i) = schema.columns.iter().position(|c| c.name == column) else {
            return Err(Error::UndefinedColumn(format!(
                "column \"{column}\" of relation \"{name}\" does not exist"
            )));
        };
        if bound.iter().any(|(j, _)| *j == i) {
            return Err(Error::invalid(
                "42601",
                format!("multiple assignments to same column \"{column}\""),
            ));
        }
        let c = &schema.columns[i];
        let expr = if is_default(&a.value) {
            default_value(c)?
        } else {
            assign(bind(&a.value, &scope)?, &c.name, &c.ty)?
        };
        bound.push((i, expr));
    }
    Ok(Planned {
        plan: Plan::Update {
            table: name,
            source: Box::new(source),
            assignments: bound,
        },
        columns: None,
        tag: "UPDATE",
    })
}

fn plan_delete(catalog: &Catalog<'_>, delete: &ast::Delete) -> Result<Planned> {
    let from = match &delete.from {
        ast::FromTable::WithFromKeyword(from) => from,
        ast::FromTable::WithoutKeyword(_) => {
            return Err(Error::Unsupported("DELETE without FROM".into()))
        }
    };
    if !delete.tables.is_empty()
        || delete.using.is_some()
        || !delete.order_by.is_empty()
        || delete.limit.is_some()
    {
        return Err(Error::Unsupported("this form of DELETE".into()));
    }
    let [target] = from.as_slice() else {
        return Err(Error::Unsupported("DELETE from several tables".into()));
    };
    if !target.joins.is_empty() {
        return Err(Error::Unsupported("DELETE with joins".into()));
    }
    let (name, _, source, _) = keyed_source(catalog, &target.relation, delete.selection.as_ref())?;
    Ok(Planned {
        plan: Plan::Delete {
            table: name,
            source: Box::new(source),
        },
        columns: None,
        tag: "DELETE",
    })
}
