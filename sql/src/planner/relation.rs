//! Planning FROM items: tables become scans; subqueries, CTEs, functions and system tables their
//! plans; joins are planned in `join.rs`. The result is a plan and the [`Scope`] its rows expose.

use sqlparser::ast;
use vdb_engine::value::{Type, Value};

use crate::catalog::{resolve_table, Catalog, TableRef};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::context;
use crate::planner::expr::{ast_call, bind, ident_name, Scope, ScopeColumn};
use crate::planner::join::{plan_comma, plan_join};
use crate::planner::plan::{KeyRange, Plan};
use crate::planner::record_function;

/// Plans a FROM list (comma-separated items are cross joins).
/// `selection`, the WHERE clause, lends its equalities between FROM items to their joins (see
/// `join::where_keys`).
pub fn plan_from(
    catalog: &Catalog<'_>,
    from: &[ast::TableWithJoins],
    selection: Option<&ast::Expr>,
) -> Result<(Plan, Scope)> {
    let mut acc: Option<(Plan, Scope)> = None;
    for item in from {
        let current = match acc.take() {
            None => {
                let mut current = plan_factor(catalog, &item.relation)?;
                for join in &item.joins {
                    current = plan_join(catalog, current, join)?;
                }
                current
            }
            Some(left) => plan_comma(catalog, left, item, selection)?,
        };
        acc = Some(current);
    }
    acc.ok_or_else(|| Error::invalid("42601", "empty FROM clause"))
}

/// A scan of the named table, exposing its columns under its name or alias.
pub fn plan_factor(catalog: &Catalog<'_>, factor: &ast::TableFactor) -> Result<(Plan, Scope)> {
    if let ast::TableFactor::Derived {
        subquery, alias, ..
    } = factor
    {
        return plan_derived(catalog, subquery, alias.as_ref());
    }
    if let ast::TableFactor::Function {
        name, args, alias, ..
    } = factor
    {
        // `LATERAL f(...)`: a function in FROM (always lateral in PostgreSQL).
        let exprs = args
            .iter()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                other => Err(Error::Unsupported(format!("function argument {other}"))),
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(planned) =
            crate::planner::user_function::from_clause(name, &exprs, alias.as_ref())?
        {
            return Ok(planned);
        }
        let fname = name.0.last().map(ident_name).unwrap_or_default();
        if let Some(planned) = record_function::plan(catalog, &fname, &exprs, alias.as_ref())? {
            return Ok(planned);
        }
        return plan_table_function(&fname, &exprs, false, alias.as_ref());
    }
    if let ast::TableFactor::NestedJoin {
        table_with_joins,
        alias: None,
    } = factor
    {
        return plan_from(catalog, std::slice::from_ref(table_with_joins), None);
    }
    if let ast::TableFactor::NestedJoin {
        table_with_joins,
        alias: Some(alias),
    } = factor
    {
        // `(a JOIN b) AS j (x, y, ...)`: the join's columns under the one name `j`, the
        // visible ones renamed in order; the names inside are hidden behind it.
        let (plan, scope) = plan_from(catalog, std::slice::from_ref(table_with_joins), None)?;
        let relation = ident_name(&alias.name);
        let visible = scope.columns.iter().filter(|c| !c.hidden).count();
        if alias.columns.len() > visible {
            return Err(Error::invalid(
                "42P10",
                format!(
                    "table \"{relation}\" has {visible} columns available but {} columns specified",
                    alias.columns.len()
                ),
            ));
        }
        let mut names = alias.columns.iter();
        let columns = scope
            .columns
            .into_iter()
            .map(|mut column| {
                // A column merged away by USING is reachable only by its table's name, which
                // the alias hides: it is not reachable at all.
                column.relation = (!column.hidden).then(|| relation.clone());
                if !column.hidden {
                    if let Some(name) = names.next() {
                        column.name = ident_name(name);
                    }
                }
                column
            })
            .collect();
        return Ok((plan, Scope { columns }));
    }
    match factor {
        ast::TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_ordinality,
            ..
        } if args.settings.is_none() => {
            let exprs = args
                .args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                    other => Err(Error::Unsupported(format!("function argument {other}"))),
                })
                .collect::<Result<Vec<_>>>()?;
            if let Some(planned) =
                crate::planner::user_function::from_clause(name, &exprs, alias.as_ref())?
            {
                if *with_ordinality {
                    return Err(Error::Unsupported(
                        "WITH ORDINALITY of a user function".into(),
                    ));
                }
                return Ok(planned);
            }
            let parts: Vec<String> = name.0.iter().map(ident_name).collect();
            let fname = match parts.as_slice() {
                [n] => n.clone(),
                [schema, n] if schema == "pg_catalog" || schema == "vdb" => n.clone(),
                _ => return Err(Error::Unsupported(format!("FROM item {factor}"))),
            };
            if crate::vc::procedures::is_procedure(&fname) {
                return Err(Error::invalid(
                    "0A000",
                    format!("{fname}() must be called on its own: SELECT * FROM {fname}(...)"),
                ));
            }
            if let Some(relation) = crate::vc::history::table_function(&fname, &exprs)? {
                return Ok(relation_scope(relation, alias.as_ref()));
            }
            if let Some(planned) = record_function::plan(catalog, &fname, &exprs, alias.as_ref())? {
                if *with_ordinality {
                    return Err(Error::Unsupported(format!("{fname} WITH ORDINALITY")));
                }
                return Ok(planned);
            }
            return plan_table_function(&fname, &exprs, *with_ordinality, alias.as_ref());
        }
        ast::TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_offset_alias: None,
            with_ordinality,
        } => {
            return plan_table_function("unnest", array_exprs, *with_ordinality, alias.as_ref());
        }
        _ => {}
    }
    let ast::TableFactor::Table {
        name,
        alias,
        args: None,
        with_hints,
        version: None,
        with_ordinality: false,
        partitions,
    } = factor
    else {
        return Err(Error::Unsupported(format!("FROM item {factor}")));
    };
    if !with_hints.is_empty() || !partitions.is_empty() {
        return Err(Error::Unsupported(format!("FROM item {factor}")));
    }
    if let [single] = name.0.as_slice() {
        if let Some(work) = context::work_table(&ident_name(single)) {
            return Ok(crate::planner::recursive::work_table_scope(
                work,
                alias.as_ref(),
            ));
        }
        if let Some((index, cte)) = context::cte(&ident_name(single)) {
            return plan_cte(catalog, index, &cte, alias.as_ref());
        }
    }
    if let Some((rev, table)) = revision_qualified(name) {
        let relation = crate::vc::history::as_of(&table, &rev)?;
        return Ok(relation_scope(relation, alias.as_ref()));
    }
    let table = match resolve_table(name)? {
        TableRef::User(table) => table,
        TableRef::System(schema, table) => {
            return plan_system_table(&schema, &table, alias.as_ref());
        }
    };
    if let Some(view) = catalog.get_view(&table) {
        return crate::planner::view::plan_view_ref(catalog, &table, view, alias.as_ref());
    }
    if catalog.get_sequence(&table).is_some() {
        return plan_sequence_ref(catalog, &table, alias.as_ref());
    }
    let Some(found) = catalog.get_table(&table)? else {
        if let Some(relation) = crate::vc::history::per_table(&table)? {
            return Ok(relation_scope(relation, alias.as_ref()));
        }
        return Err(Error::UndefinedTable(table));
    };
    let schema = found.schema().clone();
    if schema.materialized.as_ref().is_some_and(|m| !m.populated) {
        return Err(Error::invalid(
            "55000",
            format!(
                "materialized view \"{}\" has not been populated",
                vdb_engine::table::split_qualified(&table).1
            ),
        ));
    }
    let relation = alias.as_ref().map_or_else(
        || vdb_engine::table::split_qualified(&table).1.to_string(),
        |a| ident_name(&a.name),
    );
    let renames: Vec<String> = alias
        .as_ref()
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    if renames.len() > schema.columns.len() {
        return Err(Error::invalid(
            "42P10",
            format!(
                "table \"{relation}\" has {} columns available but {} columns specified",
                schema.columns.len(),
                renames.len()
            ),
        ));
    }
    let columns = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation.clone()),
            name: renames.get(i).cloned().unwrap_or_else(|| c.name.clone()),
            ty: c.ty.clone(),
        })
        .collect();
    let plan = Plan::Scan {
        table,
        schema,
        range: KeyRange::All,
        with_key: false,
        reverse: false,
    };
    Ok((plan, Scope { columns }))
}

/// A sequence named in FROM: its one row of state, as PostgreSQL shows it (`last_value`, the
/// start value until the first nextval; `log_cnt`, always 0 here, as vdb logs no values ahead;
/// `is_called`), read from `pg_sequences` so it includes this transaction's nextval calls.
fn plan_sequence_ref(
    catalog: &Catalog<'_>,
    key: &str,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let (schema, name) = vdb_engine::table::split_qualified(key);
    let quote = |s: &str| s.replace('\'', "''");
    let view = vdb_engine::table::View {
        query: format!(
            "SELECT coalesce(last_value, start_value) AS last_value, 0::bigint AS log_cnt, \
             last_value IS NOT NULL AS is_called FROM pg_catalog.pg_sequences \
             WHERE schemaname = '{}' AND sequencename = '{}'",
            quote(crate::temp::display_schema(schema)),
            quote(name)
        ),
        columns: vec![
            ("last_value".into(), Type::Int8),
            ("log_cnt".into(), Type::Int8),
            ("is_called".into(), Type::Bool),
        ],
        check_option: None,
    };
    let alias = alias.cloned().unwrap_or_else(|| ast::TableAlias {
        name: ast::Ident::new(name),
        columns: Vec::new(),
    });
    crate::planner::view::plan_view_ref(catalog, key, &view, Some(&alias))
}

/// A set-returning function in FROM (`unnest(a) AS x`, `generate_series(1, 3) s`,
/// `... WITH ORDINALITY AS a(v, n)`): one row per result. Its arguments may name enclosing
/// queries' columns (a correlated subquery's FROM), not sibling FROM items (no LATERAL).
fn plan_table_function(
    name: &str,
    args: &[ast::Expr],
    ordinality: bool,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let empty = Scope::default();
    let bound = args
        .iter()
        .map(|a| bind(a, &empty))
        .collect::<Result<Vec<_>>>()?;
    if let Some(columns) = crate::planner::builtin::json_each_columns(name, &bound)? {
        return Ok(multi_column_function(name, columns, alias));
    }
    // `unnest(a, b, ...)` (only in FROM): one column per array, shorter arrays padded with
    // NULLs, as the set functions of one ProjectSet are.
    let mut calls = Vec::new();
    match (name, bound.len()) {
        ("unnest", 2..) => {
            for arg in bound {
                calls.extend(crate::planner::function::set_function(name, vec![arg])?);
            }
        }
        _ => calls.extend(crate::planner::function::set_function(name, bound)?),
    }
    if calls.is_empty() {
        return scalar_function_relation(name, args, ordinality, alias);
    }
    let relation = alias.map_or(name.to_string(), |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    // A scalar function's column is named after the alias, as in PostgreSQL; a function with
    // a named OUT parameter keeps that name.
    let out_name = match name {
        "jsonb_array_elements"
        | "jsonb_array_elements_text"
        | "json_array_elements"
        | "json_array_elements_text" => Some("value".to_string()),
        _ => None,
    };
    let single = calls.len() == 1;
    let mut columns = Vec::new();
    let mut exprs = Vec::new();
    for (i, call) in calls.into_iter().enumerate() {
        let default = match single {
            true => out_name.clone().unwrap_or_else(|| relation.clone()),
            false => name.to_string(),
        };
        columns.push(ScopeColumn {
            hidden: false,
            scalar_function: single && !ordinality,
            relation: Some(relation.clone()),
            name: renames.get(i).cloned().unwrap_or(default),
            ty: call.resolved_type(),
        });
        exprs.push(call.expr);
    }
    if ordinality {
        columns.push(ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation),
            name: renames
                .get(exprs.len())
                .cloned()
                .unwrap_or_else(|| "ordinality".into()),
            ty: Type::Int8,
        });
        exprs.push(Expr::SetReturning(
            crate::expr::SetFunction::Ordinality,
            Vec::new(),
        ));
    }
    let plan = Plan::ProjectSet {
        source: Box::new(Plan::Values {
            rows: vec![Vec::new()],
        }),
        exprs,
    };
    Ok((plan, Scope { columns }))
}

/// A function that returns one value, in FROM (`SELECT * FROM lower('A')`, which psycopg2's
/// `callproc` sends): one row of one column named after the function (or the alias).
fn scalar_function_relation(
    name: &str,
    args: &[ast::Expr],
    ordinality: bool,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let call = ast_call(name, args);
    let typed = bind(&call, &Scope::default())?;
    let bare = name.rsplit('.').next().unwrap_or(name);
    let relation = alias.map_or(bare.to_string(), |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    let mut row = vec![typed.expr.clone()];
    let mut columns = vec![ScopeColumn {
        hidden: false,
        scalar_function: !ordinality,
        relation: Some(relation.clone()),
        name: renames.first().cloned().unwrap_or_else(|| relation.clone()),
        ty: typed.resolved_type(),
    }];
    if ordinality {
        row.push(Expr::Literal(Value::Int8(1)));
        columns.push(ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation),
            name: renames
                .get(1)
                .cloned()
                .unwrap_or_else(|| "ordinality".into()),
            ty: Type::Int8,
        });
    }
    Ok((Plan::Values { rows: vec![row] }, Scope { columns }))
}

/// A set-returning function of several columns in FROM (`json_each(doc)`: key, value), each
/// column its own set function over the same arguments, expanded in lockstep.
fn multi_column_function(
    name: &str,
    columns: Vec<(&'static str, Expr, Type)>,
    alias: Option<&ast::TableAlias>,
) -> (Plan, Scope) {
    let relation = alias.map_or(name.to_string(), |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    let mut scope = Vec::new();
    let mut exprs = Vec::new();
    for (i, (column, expr, ty)) in columns.into_iter().enumerate() {
        scope.push(ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation.clone()),
            name: renames
                .get(i)
                .cloned()
                .unwrap_or_else(|| column.to_string()),
            ty,
        });
        exprs.push(expr);
    }
    let plan = Plan::ProjectSet {
        source: Box::new(Plan::Values {
            rows: vec![Vec::new()],
        }),
        exprs,
    };
    (plan, Scope { columns: scope })
}

/// A name qualified by a revision-qualified database, `"db/rev".public.t` or `"db/rev".t`: the
/// revision and the table.
fn revision_qualified(name: &ast::ObjectName) -> Option<(String, String)> {
    let parts: Vec<String> = name.0.iter().map(ident_name).collect();
    let (database, table) = match parts.as_slice() {
        [db, schema, table] if schema == "public" => (db, table),
        [db, table] => (db, table),
        _ => return None,
    };
    let (_, rev) = database.split_once('/')?;
    Some((rev.to_string(), table.clone()))
}

/// The scope of a planned version-control relation, under its name or `alias`.
fn relation_scope(
    relation: crate::vc::history::Relation,
    alias: Option<&ast::TableAlias>,
) -> (Plan, Scope) {
    let name = alias.map_or(relation.name.clone(), |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    let columns = relation
        .columns
        .into_iter()
        .enumerate()
        .map(|(i, (column, ty))| ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(name.clone()),
            name: renames.get(i).cloned().unwrap_or(column),
            ty,
        })
        .collect();
    (relation.plan, Scope { columns })
}

/// A pg_catalog or information_schema table: its rows, computed now from the statement's
/// snapshot, as literal rows.
fn plan_system_table(
    schema: &str,
    table: &str,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let Some(snapshot) = context::snapshot() else {
        return Err(Error::Unsupported(format!(
            "system table {schema}.{table} outside a session"
        )));
    };
    let Some((columns, rows)) = crate::system::system_table(&snapshot, schema, table)? else {
        return Err(Error::UndefinedTable(format!("{schema}.{table}")));
    };
    // A catalog table (not a view) has PostgreSQL's system column tableoid: its own OID.
    let tableoid = (schema == "pg_catalog")
        .then(|| crate::system::catalog_table_oid(table))
        .flatten();
    let rows = rows
        .into_iter()
        .map(|r| {
            let mut row: Vec<Expr> = r.into_iter().map(Expr::Literal).collect();
            if let Some(oid) = tableoid {
                row.push(Expr::Literal(Value::Int4(oid)));
            }
            row
        })
        .collect();
    let relation = crate::vc::history::Relation {
        plan: Plan::Values { rows },
        columns,
        name: table.to_string(),
    };
    let (plan, mut scope) = relation_scope(relation, alias);
    if tableoid.is_some() {
        let relation = scope.columns.first().and_then(|c| c.relation.clone());
        scope.columns.push(ScopeColumn {
            hidden: true,
            scalar_function: false,
            relation,
            name: crate::planner::expr::TABLEOID.into(),
            ty: Type::Int4,
        });
    }
    Ok((plan, scope))
}

/// A reference to a WITH query: its query planned here (it sees only the CTEs before it),
/// under the reference's alias or the CTE's name, with the CTE's column names.
fn plan_cte(
    catalog: &Catalog<'_>,
    index: usize,
    cte: &context::Cte,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let (plan, columns) = context::with_cte_body(index, || {
        if let Some(done) = &cte.materialized {
            let rows = done
                .rows
                .iter()
                .map(|row| row.iter().cloned().map(Expr::Literal).collect())
                .collect();
            Ok((Plan::Values { rows }, done.columns.clone()))
        } else if cte.recursive {
            crate::planner::recursive::plan_recursive_cte(catalog, cte)
        } else {
            let (plan, columns) = crate::planner::query::plan_query(catalog, &cte.query)?;
            Ok((shared_if_volatile(plan, cte), columns))
        }
    })?;
    if cte.columns.len() > columns.len() {
        return Err(Error::invalid(
            "42P10",
            format!(
                "WITH query \"{}\" has {} columns available but {} columns specified",
                cte.name,
                columns.len(),
                cte.columns.len()
            ),
        ));
    }
    let relation = alias.map_or(cte.name.clone(), |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    let columns = columns
        .into_iter()
        .enumerate()
        .map(|(i, (name, ty))| ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation.clone()),
            name: renames
                .get(i)
                .or_else(|| cte.columns.get(i))
                .cloned()
                .unwrap_or(name),
            ty,
        })
        .collect();
    Ok((plan, Scope { columns }))
}

/// A WITH query's plan, evaluated once for all its references (`Plan::SharedCte`) if it calls
/// a volatile function and reads nothing of an enclosing query's row; as it is otherwise (its
/// rows are then the same at every reference).
fn shared_if_volatile(plan: Plan, cte: &context::Cte) -> Plan {
    let (mut volatile, mut correlated) = (false, false);
    plan.walk_exprs(&mut |e: &Expr| {
        e.walk(&mut |x| match x {
            Expr::Function(f, _) if f.is_volatile() => volatile = true,
            Expr::Outer { .. } => correlated = true,
            _ => {}
        });
    });
    if !volatile || correlated {
        return plan;
    }
    Plan::SharedCte {
        name: cte.name.clone(),
        source: Box::new(plan),
        slot: cte.slot.clone(),
    }
}

/// A subquery in FROM: its rows under its alias (which PostgreSQL 15 requires).
fn plan_derived(
    catalog: &Catalog<'_>,
    subquery: &ast::Query,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    let Some(alias) = alias else {
        return Err(Error::invalid(
            "42601",
            "subquery in FROM must have an alias",
        ));
    };
    let (plan, columns) = crate::planner::query::plan_query(catalog, subquery)?;
    let relation = ident_name(&alias.name);
    if alias.columns.len() > columns.len() {
        return Err(Error::invalid(
            "42P10",
            format!(
                "table \"{relation}\" has {} columns available but {} columns specified",
                columns.len(),
                alias.columns.len()
            ),
        ));
    }
    let columns = columns
        .into_iter()
        .enumerate()
        .map(|(i, (name, ty))| ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation.clone()),
            name: alias.columns.get(i).map_or(name, ident_name),
            ty,
        })
        .collect();
    Ok((plan, Scope { columns }))
}
