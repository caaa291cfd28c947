//! Planning statements: DDL (CREATE TABLE, DROP TABLE) and DML (INSERT, UPDATE, DELETE), and
//! dispatch of queries to `query.rs`. Values written to a table are coerced to the column types
//! here (assignment casts), so the executors only check constraints.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::{Column, Identity, Schema};
use vdb_engine::value::{Type, Value};

use super::domain::assign_column;
use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::alter;
use crate::planner::constraint;
use crate::planner::expr::{bind, boolean, ident_name, output_name, Scope, ScopeColumn, Typed};
use crate::planner::join::join_on_where;
use crate::planner::on_conflict::plan_on_conflict;
use crate::planner::plan::{KeyRange, Plan, Planned};
use crate::planner::query::plan_query;
use crate::planner::relation::plan_from;
use crate::planner::schema_change::SchemaChange;
use crate::planner::sequence;
use crate::types::{assignment_cast, sql_type, type_name};

/// `plan` (a write on a view's base table) checking each row it writes against the
/// conditions of the views WITH CHECK OPTION it went through (RETURNING stays on top).
fn with_check_option(
    catalog: &Catalog<'_>,
    plan: Plan,
    on_base: &crate::planner::view_dml::Rewritten,
) -> Result<Plan> {
    match plan {
        Plan::Returning { source, exprs } => Ok(Plan::Returning {
            source: Box::new(with_check_option(catalog, *source, on_base)?),
            exprs,
        }),
        Plan::Insert { ref table, .. } | Plan::Update { ref table, .. } => {
            let schema = catalog.must_get_table(table)?.schema().clone();
            let scope = table_scope(&schema, &on_base.relation);
            let checks = on_base
                .checks
                .iter()
                .map(|(view, condition)| Ok((view.clone(), bind(condition, &scope)?.expr)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Plan::CheckOption {
                source: Box::new(plan),
                checks,
            })
        }
        other => Ok(other),
    }
}

/// Plans one statement against `catalog`.
pub fn plan_statement(catalog: &Catalog<'_>, statement: &ast::Statement) -> Result<Planned> {
    if let Some(on_base) = crate::planner::view_dml::rewrite(catalog, statement)? {
        let mut planned = plan_statement(catalog, &on_base.statement)?;
        if !on_base.checks.is_empty() {
            planned.plan = with_check_option(catalog, planned.plan, &on_base)?;
        }
        return Ok(planned);
    }
    match statement {
        ast::Statement::Query(query) if crate::dml_cte::statement(query).is_some() => {
            let ctes = match &query.with {
                Some(with) => crate::planner::query::with_ctes_of(catalog, with)?,
                None => Vec::new(),
            };
            let inner = crate::dml_cte::statement(query).cloned();
            crate::planner::context::with_ctes(ctes, || match &inner {
                Some(inner) => plan_statement(catalog, inner),
                None => Err(Error::Unsupported("this statement".into())),
            })
        }
        ast::Statement::Query(query) => {
            if let Some(create) = select_into(query)? {
                return create_table(catalog, &create);
            }
            let (plan, mut columns) = plan_query(catalog, query)?;
            let plan = crate::planner::system::name_reg_columns(plan, &mut columns);
            Ok(Planned {
                plan,
                columns: Some(columns),
                tag: "SELECT",
            })
        }
        ast::Statement::CreateTable(create) => match super::domain::plan_create(create) {
            Some(planned) => planned,
            None => create_table(catalog, create),
        },
        ast::Statement::CreateSchema {
            schema_name,
            if_not_exists,
        } => crate::planner::namespace::plan_create_schema(schema_name, *if_not_exists),
        ast::Statement::Drop {
            object_type: ast::ObjectType::Schema,
            if_exists,
            names,
            cascade,
            purge: false,
            temporary: false,
            ..
        } => crate::planner::namespace::plan_drop_schemas(names, *if_exists, *cascade),
        ast::Statement::Drop {
            object_type: ast::ObjectType::Type,
            if_exists,
            names,
            cascade,
            purge: false,
            temporary: false,
            ..
        } => crate::planner::enum_type::plan_drop_types(names, *if_exists, *cascade),
        ast::Statement::Drop {
            object_type: ast::ObjectType::Type,
            if_exists,
            names,
            cascade,
            purge: true,
            temporary: false,
            ..
        } => super::domain::plan_drop(names, *if_exists, *cascade),
        ast::Statement::CreateType {
            name,
            representation,
        } => crate::planner::enum_type::plan_create_type(name, representation),
        ast::Statement::Drop {
            object_type: ast::ObjectType::View,
            if_exists,
            names,
            purge: false,
            temporary: false,
            cascade,
            ..
        } => crate::planner::view::plan_drop_views(names, *if_exists, *cascade),
        ast::Statement::Drop {
            object_type: ast::ObjectType::Table,
            if_exists,
            names,
            cascade: true,
            purge,
            temporary: false,
            ..
        } => {
            let names = names.iter().map(table_name).collect::<Result<Vec<_>>>()?;
            Ok(Planned {
                plan: Plan::SchemaChange(SchemaChange::DropTables {
                    names,
                    if_exists: *if_exists,
                    cascade: true,
                    materialized: *purge,
                }),
                columns: None,
                tag: if *purge {
                    "DROP MATERIALIZED VIEW"
                } else {
                    "DROP TABLE"
                },
            })
        }
        ast::Statement::DropFunction {
            if_exists,
            func_desc,
            ..
        } => crate::planner::function_ddl::plan_drop_functions(func_desc, *if_exists, false),
        ast::Statement::Call(call) => match crate::planner::user_function::plan_call(call) {
            Some(planned) => planned,
            None => Err(Error::undefined_function(format!(
                "procedure {}() does not exist",
                call.name
            ))),
        },
        ast::Statement::CreateTrigger { .. } => {
            crate::planner::trigger_ddl::plan_create_trigger(statement)
        }
        ast::Statement::DropTrigger {
            if_exists,
            trigger_name,
            table_name,
            ..
        } => crate::planner::trigger_ddl::plan_drop_trigger(
            catalog,
            *if_exists,
            trigger_name,
            table_name,
        ),
        ast::Statement::CreateFunction {
            or_replace,
            temporary: false,
            if_not_exists: false,
            name,
            args,
            return_type,
            function_body,
            behavior,
            called_on_null,
            language,
            using: None,
            remote_connection: None,
            ..
        } => crate::planner::function_ddl::plan_create_function(
            &crate::planner::function_ddl::CreateFunction {
                or_replace: *or_replace,
                name,
                args: args.as_deref(),
                return_type: return_type.as_ref(),
                body: function_body.as_ref(),
                language: language.as_ref(),
                behavior: behavior.as_ref(),
                called_on_null: called_on_null.as_ref(),
            },
        ),
        ast::Statement::DropProcedure {
            if_exists,
            proc_desc,
            ..
        } => crate::planner::function_ddl::plan_drop_functions(proc_desc, *if_exists, true),
        ast::Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade: false,
            purge,
            temporary: false,
            ..
        } if !*purge || *object_type == ast::ObjectType::Table => {
            plan_drop(*object_type, names, *if_exists, *purge)
        }
        ast::Statement::CreateView {
            or_replace,
            materialized: false,
            name,
            columns,
            query,
            temporary,
            if_not_exists: false,
            to: None,
            options,
            ..
        } => crate::planner::view::plan_create_view(
            catalog,
            *or_replace,
            name,
            columns,
            query,
            *temporary,
            options,
        ),
        ast::Statement::CreateView {
            materialized: true, ..
        } => super::matview::plan(catalog, statement),
        ast::Statement::CreateSequence {
            if_not_exists,
            name,
            data_type,
            sequence_options,
            owned_by,
            ..
        } if name
            .0
            .first()
            .is_some_and(|m| m.value.starts_with(sequence::ALTER_SEQUENCE_MARKER)) =>
        {
            sequence::plan_alter_sequence(
                catalog,
                *if_not_exists,
                name,
                data_type.as_ref(),
                sequence_options,
                owned_by.as_ref(),
            )
        }
        ast::Statement::CreateSequence {
            temporary,
            if_not_exists,
            name,
            data_type,
            sequence_options,
            owned_by,
        } => sequence::plan_create_sequence(
            catalog,
            (*temporary, *if_not_exists),
            name,
            data_type.as_ref(),
            sequence_options,
            owned_by.as_ref(),
        ),
        ast::Statement::CreateIndex(create) => plan_create_index(catalog, create),
        ast::Statement::AlterIndex {
            name,
            operation: ast::AlterIndexOperation::RenameIndex { index_name },
        } => {
            let from = crate::catalog::index_name(name)?;
            let to = index_name.0.last().map(ident_name).unwrap_or_default();
            Ok(Planned {
                plan: Plan::SchemaChange(SchemaChange::RenameIndex { from, to }),
                columns: None,
                tag: "ALTER INDEX",
            })
        }
        ast::Statement::AlterTable {
            name,
            if_exists,
            only: false,
            operations,
            location: None,
            on_cluster: None,
        } => match crate::planner::namespace::plan_alter_schema(name, operations)
            .or_else(|| crate::planner::enum_type::plan_alter_type(name, operations))
            .or_else(|| super::domain::plan_alter(name, operations))
        {
            Some(planned) => planned,
            None => alter::plan_alter_table(catalog, name, *if_exists, operations),
        },
        ast::Statement::Insert(insert) => {
            let planned = plan_insert(catalog, insert)?;
            let name = table_name(&insert.table_name)?;
            let relation = insert.table_alias.as_ref().map_or_else(
                || vdb_engine::table::split_qualified(&name).1.to_string(),
                ident_name,
            );
            with_returning(
                catalog,
                planned,
                (&name, &relation),
                &[],
                insert.returning.as_deref(),
            )
        }
        ast::Statement::Update {
            table,
            assignments,
            from,
            selection,
            returning,
        } => {
            let from: Vec<ast::TableWithJoins> = from.iter().cloned().collect();
            let (planned, from_columns) =
                plan_update(catalog, table, assignments, &from, selection.as_ref())?;
            let (name, relation) = target_names(&table.relation)?;
            with_returning(
                catalog,
                planned,
                (&name, &relation),
                &from_columns,
                returning.as_deref(),
            )
        }
        ast::Statement::Delete(delete) => {
            let (planned, using_columns) = plan_delete(catalog, delete)?;
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
                (&name, &relation),
                &using_columns,
                delete.returning.as_deref(),
            )
        }
        ast::Statement::Merge {
            table,
            source,
            on,
            clauses,
            ..
        } => crate::planner::merge::plan_merge(catalog, table, source, on, clauses),
        ast::Statement::Truncate {
            table_names,
            partitions: None,
            identity,
            cascade,
            only: false,
            ..
        } => plan_truncate(
            catalog,
            table_names,
            identity.as_ref(),
            matches!(cascade, Some(ast::TruncateCascadeOption::Cascade)),
        ),
        ast::Statement::Comment {
            object_type,
            object_name,
            comment,
            if_exists: false,
        } => plan_comment(catalog, object_type, object_name, comment.as_deref()),
        other => Err(Error::Unsupported(statement_name(other))),
    }
}

/// COMMENT ON TABLE t / COLUMN t.c IS 'text' (or NULL, which removes the comment).
fn plan_comment(
    catalog: &Catalog<'_>,
    object_type: &ast::CommentObject,
    object_name: &ast::ObjectName,
    comment: Option<&str>,
) -> Result<Planned> {
    let (table, column) = match object_type {
        ast::CommentObject::Table => (table_name(object_name)?, None),
        ast::CommentObject::Column => {
            let Some((column, relation)) = object_name.0.split_last() else {
                return Err(Error::invalid("42601", "column name must be qualified"));
            };
            if relation.is_empty() {
                return Err(Error::invalid("42601", "column name must be qualified"));
            }
            let relation = ast::ObjectName(relation.to_vec());
            (table_name(&relation)?, Some(ident_name(column)))
        }
        ast::CommentObject::Extension => {
            return Err(Error::Unsupported("COMMENT ON EXTENSION".into()))
        }
    };
    let schema = catalog.must_get_table(&table)?.schema().clone();
    let column = match column {
        Some(name) => match schema.get_column(&name) {
            Some(c) => Some(c.id),
            None => {
                return Err(Error::UndefinedColumn(format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    vdb_engine::table::split_qualified(&table).1
                )))
            }
        },
        None => None,
    };
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::Comment {
            table,
            column,
            comment: comment.filter(|c| !c.is_empty()).map(str::to_string),
        }),
        columns: None,
        tag: "COMMENT",
    })
}

/// DROP TABLE / SEQUENCE / INDEX.
/// DROP TABLE / SEQUENCE / INDEX; DROP MATERIALIZED VIEW arrives as DROP TABLE with
/// `materialized` (see [`crate::planner::matview::parse`]).
fn plan_drop(
    object_type: ast::ObjectType,
    names: &[ast::ObjectName],
    if_exists: bool,
    materialized: bool,
) -> Result<Planned> {
    let names = names
        .iter()
        .map(|n| match object_type {
            ast::ObjectType::Index => crate::catalog::index_name(n),
            _ => table_name(n),
        })
        .collect::<Result<Vec<_>>>()?;
    let (change, tag) = match object_type {
        ast::ObjectType::Table => (
            SchemaChange::DropTables {
                names,
                if_exists,
                cascade: false,
                materialized,
            },
            if materialized {
                "DROP MATERIALIZED VIEW"
            } else {
                "DROP TABLE"
            },
        ),
        ast::ObjectType::Sequence => (
            SchemaChange::DropSequences { names, if_exists },
            "DROP SEQUENCE",
        ),
        ast::ObjectType::Index => (SchemaChange::DropIndexes { names, if_exists }, "DROP INDEX"),
        other => return Err(Error::Unsupported(format!("DROP {other}"))),
    };
    Ok(Planned {
        plan: Plan::SchemaChange(change),
        columns: None,
        tag,
    })
}

/// CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON t (columns).
fn plan_create_index(catalog: &Catalog<'_>, create: &ast::CreateIndex) -> Result<Planned> {
    let table = table_name(&create.table_name)?;
    let schema = catalog.must_get_table(&table)?.schema().clone();
    let index = constraint::index_def(&schema, &table, create)?;
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateIndex {
            table,
            index,
            if_not_exists: create.if_not_exists,
        }),
        columns: None,
        tag: "CREATE INDEX",
    })
}

/// The table name and the name it goes by (its alias) of a DML target.
pub(super) fn target_names(relation: &ast::TableFactor) -> Result<(String, String)> {
    let ast::TableFactor::Table { name, alias, .. } = relation else {
        return Err(Error::Unsupported(format!("target {relation}")));
    };
    let table = table_name(name)?;
    let relation = alias.as_ref().map_or_else(
        || vdb_engine::table::split_qualified(&table).1.to_string(),
        |a| ident_name(&a.name),
    );
    Ok((table, relation))
}

/// Wraps a write in RETURNING: its items bound over the written rows of `table` (named
/// `relation` in the statement), followed by the columns of an UPDATE's FROM or a DELETE's
/// USING (`joined`), which the write returns beside each row. `*` is every column of them all,
/// `name.*` those of one relation, as in PostgreSQL.
fn with_returning(
    catalog: &Catalog<'_>,
    planned: Planned,
    (table, relation): (&str, &str),
    joined: &[ScopeColumn],
    items: Option<&[ast::SelectItem]>,
) -> Result<Planned> {
    let Some(items) = items else {
        return Ok(planned);
    };
    let schema = catalog.must_get_table(table)?.schema().clone();
    let mut scope = table_scope(&schema, relation);
    scope.columns.extend(joined.iter().cloned());
    // The written row's system columns follow everything else (`execution::execute` appends
    // their values), unless the table has columns of those names.
    for name in [super::expr::XMIN, super::expr::XMAX] {
        if schema.get_column(name).is_none() {
            scope.columns.push(ScopeColumn {
                relation: Some(relation.to_string()),
                name: name.to_string(),
                ty: Type::Int8,
                hidden: true,
                scalar_function: false,
            });
        }
    }
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for item in items {
        let wildcard = match item {
            ast::SelectItem::Wildcard(_) => Some(None),
            ast::SelectItem::QualifiedWildcard(name, _) => Some(name.0.last().map(ident_name)),
            _ => None,
        };
        if let Some(only) = wildcard {
            let before = exprs.len();
            for (i, c) in scope.columns.iter().enumerate() {
                if c.hidden || (only.is_some() && c.relation != only) {
                    continue;
                }
                exprs.push(Expr::Column(i));
                columns.push((c.name.clone(), c.ty.clone()));
            }
            if let (Some(name), true) = (&only, exprs.len() == before) {
                return Err(Error::invalid(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{name}\""),
                ));
            }
            continue;
        }
        match item {
            // A whole-row reference prints as a record, `(1,x)`, as in a select list.
            ast::SelectItem::UnnamedExpr(e) => {
                let t = super::expr::whole_row_as_record(bind(e, &scope)?);
                columns.push((output_name(e), t.resolved_type()));
                exprs.push(t.expr);
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                let t = super::expr::whole_row_as_record(bind(expr, &scope)?);
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

/// Whether a RETURNING item is `*` or `relation.*`: the target's whole row.
pub(super) fn returns_whole_target(item: &ast::SelectItem, relation: &str) -> bool {
    match item {
        ast::SelectItem::Wildcard(_) => true,
        ast::SelectItem::QualifiedWildcard(name, _) => {
            name.0.last().map(ident_name).as_deref() == Some(relation)
        }
        _ => false,
    }
}

/// TRUNCATE [TABLE] t [, ...] [RESTART IDENTITY | CONTINUE IDENTITY] [RESTRICT]: every table
/// emptied at once, reported as `TRUNCATE TABLE`.
fn plan_truncate(
    catalog: &Catalog<'_>,
    targets: &[ast::TruncateTableTarget],
    identity: Option<&ast::TruncateIdentityOption>,
    cascade: bool,
) -> Result<Planned> {
    let mut names = Vec::new();
    for target in targets {
        let table = table_name(&target.name)?;
        if catalog
            .must_get_table(&table)?
            .schema()
            .materialized
            .is_some()
        {
            return Err(Error::invalid(
                "42809",
                format!(
                    "\"{}\" is not a table",
                    vdb_engine::table::split_qualified(&table).1
                ),
            ));
        }
        if !names.contains(&table) {
            names.push(table);
        }
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::Truncate {
            names,
            restart_identity: matches!(identity, Some(ast::TruncateIdentityOption::Restart)),
            cascade,
        }),
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

/// `SELECT ... INTO [TEMP] [TABLE] t FROM ...` as the `CREATE [TEMP] TABLE t AS SELECT ...` it
/// means; `None` for a query without INTO.
fn select_into(query: &ast::Query) -> Result<Option<ast::CreateTable>> {
    let ast::SetExpr::Select(select) = query.body.as_ref() else {
        return Ok(None);
    };
    let Some(into) = &select.into else {
        return Ok(None);
    };
    let text = format!(
        "CREATE {}TABLE {} AS SELECT 1",
        if into.temporary { "TEMPORARY " } else { "" },
        into.name
    );
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, &text)
        .map_err(|e| Error::Unsupported(format!("SELECT INTO {}: {e}", into.name)))?;
    let Some(ast::Statement::CreateTable(mut create)) = statements.into_iter().next() else {
        return Ok(None);
    };
    let mut query = query.clone();
    if let ast::SetExpr::Select(select) = query.body.as_mut() {
        select.into = None;
    }
    create.query = Some(Box::new(query));
    Ok(Some(create))
}

/// The schema of a keyless table holding a query's output `columns` (CREATE TABLE AS, CREATE
/// MATERIALIZED VIEW): nullable columns of the output's names and types.
pub(super) fn output_schema(columns: impl IntoIterator<Item = (String, Type)>) -> Result<Schema> {
    let mut schema = Schema::new(&[], &[]).map_err(|e| Error::engine("creating schema", e))?;
    for (column, ty) in columns {
        if schema.get_column(&column).is_some() {
            return Err(Error::DuplicateColumn(column));
        }
        check_not_system(&column)?;
        schema
            .add_column(&column, ty, true, None)
            .map_err(|e| Error::engine("adding column", e))?;
    }
    Ok(schema)
}

/// CREATE TABLE t AS query: a keyless table with the query's columns, filled with its rows.
fn create_table_as(
    catalog: &Catalog<'_>,
    create: &ast::CreateTable,
    query: &ast::Query,
) -> Result<Planned> {
    let name = created_table_name(create)?;
    if !create.columns.is_empty() || !create.constraints.is_empty() {
        return Err(Error::Unsupported(
            "CREATE TABLE AS with a column list".into(),
        ));
    }
    let (source, columns) = plan_query(catalog, query)?;
    let schema = output_schema(columns)?;
    if !create.if_not_exists && catalog.get_table(&name)?.is_some() {
        return Err(Error::DuplicateTable(name));
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateTableAs {
            name,
            schema,
            source: Box::new(source),
            if_not_exists: create.if_not_exists,
            populate: true,
        }),
        columns: None,
        tag: "SELECT",
    })
}

/// The key of the table a CREATE TABLE makes: in `pg_temp` for a temporary table (see
/// `crate::temp`); ON COMMIT is for temporary tables only (42P16).
fn created_table_name(create: &ast::CreateTable) -> Result<String> {
    let name = if create.temporary {
        crate::catalog::create_temp_name(&create.name)?
    } else {
        crate::catalog::create_name(&create.name)?
    };
    if create.on_commit.is_some() && !crate::temp::is_temp_key(&name) {
        return Err(Error::invalid(
            "42P16",
            "ON COMMIT can only be used on temporary tables",
        ));
    }
    Ok(name)
}

fn create_table(catalog: &Catalog<'_>, create: &ast::CreateTable) -> Result<Planned> {
    if super::like::has_like(create) {
        return create_table_like(catalog, create);
    }
    if let Some(query) = &create.query {
        if !create.or_replace && !create.external {
            return create_table_as(catalog, create, query);
        }
    }
    let name = created_table_name(create)?;
    if create.or_replace
        || create.external
        || create.query.is_some()
        || create.like.is_some()
        || create.clone.is_some()
    {
        return Err(Error::Unsupported("this form of CREATE TABLE".into()));
    }
    check_storage_parameters(&create.with_options)?;
    let mut schema = Schema {
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        checks: Vec::new(),
        foreign_keys: Vec::new(),
        comments: Default::default(),
        primary_key_name: None,
        materialized: None,
        triggers: Vec::new(),
    };
    let mut primary: Option<(Option<String>, Vec<String>)> = None;
    let mut sequences = Vec::new();
    // Constraints are added once every column exists, in the order PostgreSQL names them.
    let mut uniques: Vec<(Option<String>, Vec<String>)> = Vec::new();
    let mut checks: Vec<(Option<String>, ast::Expr)> = Vec::new();
    type Fk<'x> = (
        Option<String>,
        Vec<String>,
        &'x ast::ObjectName,
        &'x [ast::Ident],
        (
            Option<ast::ReferentialAction>,
            Option<ast::ReferentialAction>,
        ),
        (bool, bool),
    );
    let mut foreign_keys: Vec<Fk<'_>> = Vec::new();
    let mut generated = Vec::new();
    for def in &create.columns {
        let column = ident_name(&def.name);
        let serial = sequence::serial_type(&def.data_type);
        let ty = match &serial {
            Some(ty) => ty.clone(),
            None => sql_type(&def.data_type)?,
        };
        check_collation(def)?;
        let mut nullable = true;
        let mut default = None;
        if serial.is_some() {
            let seq_name = sequence::implicit_name(&name, &column);
            sequences.push((
                seq_name.clone(),
                sequence::implicit_sequence(&ty, &name, &column, None, &[])?,
            ));
            default = Some(sequence::nextval_default(&seq_name));
            nullable = false;
        }
        for option in &def.options {
            let constraint_name = option.name.as_ref().map(ident_name);
            match &option.option {
                ast::ColumnOption::Null => nullable = true,
                ast::ColumnOption::NotNull => nullable = false,
                ast::ColumnOption::Default(e) => {
                    assign(bind_default(e)?, &column, &ty)?;
                    default = stored_default(e);
                }
                ast::ColumnOption::Unique {
                    is_primary: true,
                    characteristics: None,
                } => set_primary(&mut primary, &name, constraint_name, vec![column.clone()])?,
                ast::ColumnOption::Unique {
                    is_primary: false,
                    characteristics: None,
                } => uniques.push((constraint_name, vec![column.clone()])),
                ast::ColumnOption::Check(e) => {
                    checks.push((constraint_name, e.clone()));
                }
                ast::ColumnOption::ForeignKey {
                    foreign_table,
                    referred_columns,
                    on_delete,
                    on_update,
                    characteristics,
                } => foreign_keys.push((
                    constraint_name,
                    vec![column.clone()],
                    foreign_table,
                    referred_columns,
                    (*on_delete, *on_update),
                    constraint::timing(characteristics.as_ref())?,
                )),
                ast::ColumnOption::Generated {
                    generation_expr: Some(expr),
                    generation_expr_mode,
                    ..
                } => generated.push((column.clone(), expr, generation_expr_mode.as_ref())),
                ast::ColumnOption::Generated {
                    generated_as,
                    sequence_options,
                    generation_expr: None,
                    ..
                } => {
                    let seq_name = sequence::implicit_name(&name, &column);
                    sequences.push((
                        seq_name.clone(),
                        sequence::identity_sequence(
                            &ty,
                            &name,
                            &column,
                            generated_as,
                            sequence_options.as_deref(),
                        )?,
                    ));
                    default = Some(sequence::nextval_default(&seq_name));
                    nullable = false;
                }
                other => return Err(Error::Unsupported(format!("column constraint {other}"))),
            }
        }
        if schema.get_column(&column).is_some() {
            return Err(Error::DuplicateColumn(column));
        }
        check_not_system(&column)?;
        let id = schema
            .add_column(&column, ty, nullable, default)
            .map_err(|e| Error::engine("adding column", e))?;
        if let Some(added) = schema.column_mut(id) {
            added.precision = crate::types::time_precision(&def.data_type);
            added.domain = crate::catalog::domain_of(&def.data_type).map(|(key, _)| key);
        }
    }
    // Every generated column is marked before any expression is checked, so that reading
    // one that comes later is refused too.
    for (column, ..) in &generated {
        if let Some(c) = schema.columns.iter_mut().find(|c| &c.name == column) {
            c.generated = Some(String::new());
        }
    }
    for (column, expr, mode) in generated {
        let position = schema
            .columns
            .iter()
            .position(|c| c.name == column)
            .ok_or_else(|| Error::UndefinedColumn(column.clone()))?;
        let text = super::generated::definition(&name, &schema, position, expr, mode)?;
        schema.columns[position].generated = Some(text);
    }
    for constraint in &create.constraints {
        match constraint {
            ast::TableConstraint::PrimaryKey {
                name: constraint_name,
                columns,
                index_type: None,
                index_options,
                characteristics: None,
                ..
            } if index_options.is_empty() => {
                set_primary(
                    &mut primary,
                    &name,
                    constraint_name.as_ref().map(ident_name),
                    columns.iter().map(ident_name).collect(),
                )?;
            }
            ast::TableConstraint::Unique {
                name: constraint_name,
                columns,
                index_type: None,
                index_options,
                characteristics: None,
                ..
            } if index_options.is_empty() => uniques.push((
                constraint_name.as_ref().map(ident_name),
                columns.iter().map(ident_name).collect(),
            )),
            ast::TableConstraint::Check {
                name: constraint_name,
                expr,
            } => checks.push((constraint_name.as_ref().map(ident_name), (**expr).clone())),
            ast::TableConstraint::ForeignKey {
                name: constraint_name,
                columns,
                foreign_table,
                referred_columns,
                on_delete,
                on_update,
                characteristics,
            } => foreign_keys.push((
                constraint_name.as_ref().map(ident_name),
                columns.iter().map(ident_name).collect(),
                foreign_table,
                referred_columns,
                (*on_delete, *on_update),
                constraint::timing(characteristics.as_ref())?,
            )),
            other => return Err(Error::Unsupported(format!("table constraint {other}"))),
        }
    }
    let (primary_name, primary) = primary.unwrap_or_default();
    schema.primary_key_name = primary_key_name(&name, primary_name);
    for key in primary {
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
    for (constraint_name, expr) in checks {
        let mut check = constraint::check_constraint(&schema, &name, &expr, constraint_name)?;
        check.not_valid = false;
        schema.checks.push(check);
    }
    for (constraint_name, columns) in uniques {
        let index = constraint::unique_constraint(&schema, &name, &columns, constraint_name)?;
        if schema.indexes.iter().any(|ix| ix.columns == index.columns) {
            continue;
        }
        schema.indexes.push(index);
    }
    for (constraint_name, columns, ref_table, ref_columns, actions, timing) in foreign_keys {
        let mut fk = constraint::foreign_key(
            catalog,
            &schema,
            &name,
            &columns,
            ref_table,
            ref_columns,
            constraint_name,
            actions,
        )?;
        (fk.deferrable, fk.initially_deferred) = timing;
        // The new table has no rows: a constraint declared NOT VALID is valid.
        fk.not_valid = false;
        schema.foreign_keys.push(fk);
    }
    if !create.if_not_exists && catalog.get_table(&name)?.is_some() {
        return Err(Error::DuplicateTable(name));
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateTable {
            name,
            schema,
            if_not_exists: create.if_not_exists,
            sequences,
        }),
        columns: None,
        tag: "CREATE TABLE",
    })
}

/// CREATE TABLE with LIKE elements: planned as the statement they expand to, then given the
/// copied indexes and comments that have no syntax inside CREATE TABLE.
fn create_table_like(catalog: &Catalog<'_>, create: &ast::CreateTable) -> Result<Planned> {
    let (expanded, extras) = super::like::expand(catalog, create)?;
    let mut planned = create_table(catalog, &expanded)?;
    if let Plan::SchemaChange(SchemaChange::CreateTable { name, schema, .. }) = &mut planned.plan {
        for (columns, unique) in extras.indexes {
            let ids = columns
                .iter()
                .filter_map(|c| schema.get_column(c).map(|c| c.id))
                .collect::<Vec<_>>();
            if schema.indexes.iter().any(|ix| ix.columns == ids) {
                continue;
            }
            let index_name = constraint::choose_name(name, &columns, "idx", |n| {
                constraint::name_in_schema(schema, n)
            });
            schema.indexes.push(vdb_engine::table::IndexDef {
                name: index_name,
                columns: ids,
                unique,
                constraint: false,
                ..Default::default()
            });
        }
        for (column, text) in extras.comments {
            if let Some(id) = schema.get_column(&column).map(|c| c.id) {
                schema.comments.columns.insert(id, text);
            }
        }
    }
    Ok(planned)
}

/// 42701 for a column named as one of PostgreSQL's system columns, which every table has.
pub(super) fn check_not_system(column: &str) -> Result<()> {
    if matches!(
        column,
        "tableoid" | "xmin" | "xmax" | "cmin" | "cmax" | "ctid"
    ) {
        return Err(Error::invalid(
            "42701",
            format!("column name \"{column}\" conflicts with a system column name"),
        ));
    }
    Ok(())
}

/// Records the primary key and its constraint name if given (42P16 if the table already has
/// one).
fn set_primary(
    primary: &mut Option<(Option<String>, Vec<String>)>,
    table: &str,
    name: Option<String>,
    columns: Vec<String>,
) -> Result<()> {
    if primary.is_some() {
        return Err(Error::invalid(
            "42P16",
            format!("multiple primary keys for table \"{table}\" are not allowed"),
        ));
    }
    *primary = Some((name, columns));
    Ok(())
}

/// What `Schema::primary_key_name` records for a primary key of table `table` named `name`:
/// nothing when it is the default `<table>_pkey`, so such tables keep their chunk bytes.
pub(super) fn primary_key_name(table: &str, name: Option<String>) -> Option<String> {
    let default = format!("{}_pkey", vdb_engine::table::split_qualified(table).1);
    name.filter(|n| *n != default)
}

/// Coerces a value for column `column` of type `ty` (PostgreSQL's assignment cast).
pub(super) fn assign(t: Typed, column: &str, ty: &Type) -> Result<Expr> {
    match &t.ty {
        // A literal converts now, so `SET a = 'z'` fails even where no row is updated.
        None if matches!(t.expr, Expr::Literal(Value::Text(_))) => t.coerce(ty, column),
        Some(from) if from == ty => Ok(t.expr),
        Some(from) if !assignment_cast(from, ty) => Err(Error::mismatch(format!(
            "column \"{column}\" is of type {} but expression is of type {}",
            type_name(ty),
            type_name(from)
        ))),
        _ => Ok(Expr::Cast(Box::new(t.expr), ty.clone())),
    }
}

/// A column's `DEFAULT e` bound with no columns in scope: naming one is 0A000, as in
/// PostgreSQL. A sequence it names must exist now (42P01), as PostgreSQL resolves the
/// `regclass` when the default is defined, not when it is first used.
pub(super) fn bind_default(e: &ast::Expr) -> Result<Typed> {
    let bound = bind(e, &Scope::default()).map_err(|err| match err {
        Error::UndefinedColumn(_) => {
            Error::invalid("0A000", "cannot use column reference in DEFAULT expression")
        }
        other => other,
    })?;
    if let Some(snapshot) = super::context::snapshot() {
        let mut missing = None;
        bound.expr.walk(&mut |x| match x {
            Expr::Function(f, args) if f.touches_sequence() => {
                if let Some(Expr::Literal(Value::Text(name))) = args.first() {
                    if missing.is_none()
                        && !crate::temp::is_temp_key(name)
                        && snapshot.root.get_sequence(name).is_none()
                    {
                        missing = Some(name.clone());
                    }
                }
            }
            _ => {}
        });
        if let Some(name) = missing {
            return Err(Error::UndefinedTable(name));
        }
    }
    Ok(bound)
}

/// The text to store for `DEFAULT e`: none for `DEFAULT NULL`, which PostgreSQL does not keep.
/// sqlparser prints the `regclass` type in capitals; it is kept as PostgreSQL prints it
/// (`nextval('s'::regclass)`).
pub(super) fn stored_default(e: &ast::Expr) -> Option<String> {
    (!matches!(e, ast::Expr::Value(ast::Value::Null)))
        .then(|| e.to_string().replace("::REGCLASS", "::regclass"))
}

/// The bound default of a column (NULL if it has none).
/// A column of a domain without a default of its own takes the domain's; either way the value
/// goes through the domain's checks (a NOT NULL domain refuses a missing value).
pub fn default_value(column: &Column) -> Result<Expr> {
    let domain_default = || {
        column
            .domain
            .as_deref()
            .and_then(crate::catalog::domain_by_key)
            .and_then(|d| d.default)
    };
    let Some(text) = column.default.clone().or_else(domain_default) else {
        return match &column.domain {
            Some(key) => super::domain::checked(Expr::Literal(Value::Null), key),
            None => Ok(Expr::Literal(Value::Null)),
        };
    };
    let expr = constraint::parse_stored(&text, "default")?;
    assign_column(bind(&expr, &Scope::default())?, column)
}

/// Whether an expression is the `DEFAULT` keyword (sqlparser reads it as an identifier).
pub(super) fn is_default(expr: &ast::Expr) -> bool {
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
    {
        return Err(Error::Unsupported("this form of INSERT".into()));
    }
    let name = table_name(&insert.table_name)?;
    let schema = catalog.writable_table(&name)?.schema().clone();
    let relation = insert.table_alias.as_ref().map_or_else(
        || vdb_engine::table::split_qualified(&name).1.to_string(),
        ident_name,
    );
    let on_conflict = plan_on_conflict(insert.on.as_ref(), &name, &relation, &schema)?;
    let explicit = !insert.columns.is_empty();
    let targets = insert_targets(&insert.columns, &name, &schema)?;
    let overriding = Overriding::of(insert);
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
                on_conflict,
            },
            columns: None,
            tag: "INSERT",
        });
    };
    let source = match source.body.as_ref() {
        ast::SetExpr::Values(values)
            if source.order_by.is_none() && source.limit.is_none() && source.offset.is_none() =>
        {
            let width = values.rows.first().map_or(0, Vec::len);
            if values.rows.iter().any(|row| row.len() != width) {
                return Err(Error::invalid(
                    "42601",
                    "VALUES lists must all be the same length",
                ));
            }
            check_width(width, targets.len(), explicit)?;
            let mut rows = Vec::with_capacity(values.rows.len());
            for row in &values.rows {
                let mut full = defaults.clone();
                for (e, &i) in row.iter().zip(&targets) {
                    let c = &schema.columns[i];
                    if !is_default(e) && explicit_value(catalog, c, overriding)? {
                        full[i] = assign_column(bind(e, &Scope::default())?, c)?;
                    }
                }
                rows.push(full);
            }
            Plan::Values { rows }
        }
        _ => {
            let (plan, columns) = plan_query(catalog, source)?;
            check_width(columns.len(), targets.len(), explicit)?;
            let unknown = unknown_select_items(source, columns.len());
            let mut full = defaults;
            for (j, &i) in targets.iter().take(columns.len()).enumerate() {
                let c = &schema.columns[i];
                if !explicit_value(catalog, c, overriding)? {
                    continue;
                }
                full[i] = assign_column(
                    Typed {
                        expr: Expr::Column(j),
                        // An unknown literal takes the column's type, as in VALUES.
                        ty: (!unknown.contains(&j)).then(|| columns[j].1.clone()),
                    },
                    c,
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
            on_conflict,
        },
        columns: None,
        tag: "INSERT",
    })
}

/// The select-list positions of an INSERT's `SELECT` source that are literals of unknown type
/// (a bare `NULL` or string), which PostgreSQL types by the target columns: `INSERT INTO t
/// SELECT id, NULL FROM s` puts a NULL in a timestamp column. A SELECT DISTINCT or a set
/// operation resolves them to text first, as PostgreSQL does.
/// `width` is the number of output columns: an item before every `*` is at its own position,
/// one after every `*` that far from the end.
fn unknown_select_items(source: &ast::Query, width: usize) -> Vec<usize> {
    let ast::SetExpr::Select(select) = source.body.as_ref() else {
        return Vec::new();
    };
    if select.distinct.is_some() {
        return Vec::new();
    }
    let items = &select.projection;
    let is_wildcard = |item: &ast::SelectItem| {
        matches!(
            item,
            ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..)
        )
    };
    let first_wildcard = items.iter().position(is_wildcard).unwrap_or(items.len());
    let last_wildcard = items.iter().rposition(is_wildcard);
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let expr = match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
                _ => return None,
            };
            let unknown = matches!(
                expr,
                ast::Expr::Value(ast::Value::Null | ast::Value::SingleQuotedString(_))
            );
            match (unknown, last_wildcard) {
                (false, _) => None,
                (true, _) if i < first_wildcard => Some(i),
                (true, Some(last)) if i > last => width.checked_sub(items.len() - i),
                _ => None,
            }
        })
        .collect()
}

/// The positions of an INSERT's target columns: those listed, or every column in order.
pub(super) fn insert_targets(
    columns: &[ast::Ident],
    table: &str,
    schema: &Schema,
) -> Result<Vec<usize>> {
    if columns.is_empty() {
        return Ok((0..schema.columns.len()).collect());
    }
    let mut targets = Vec::new();
    for ident in columns {
        let column = ident_name(ident);
        let Some(i) = schema.columns.iter().position(|c| c.name == column) else {
            return Err(Error::UndefinedColumn(format!(
                "column \"{column}\" of relation \"{table}\" does not exist"
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
    Ok(targets)
}

/// An INSERT's `OVERRIDING {SYSTEM | USER} VALUE`. sqlparser 0.52 reads neither: the session's
/// parser fallback removes the words and records them in the statement's (MySQL-only, never
/// set by PostgreSQL syntax) priority field: HIGH_PRIORITY for SYSTEM, LOW_PRIORITY for USER.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Overriding {
    None,
    /// Values given for `GENERATED ALWAYS AS IDENTITY` columns are taken.
    System,
    /// Values given for identity columns are ignored: the sequence supplies them.
    User,
}

impl Overriding {
    fn of(insert: &ast::Insert) -> Overriding {
        match insert.priority {
            Some(ast::MysqlInsertPriority::HighPriority) => Overriding::System,
            Some(ast::MysqlInsertPriority::LowPriority) => Overriding::User,
            _ => Overriding::None,
        }
    }
}

/// Whether an explicit value given for `column` is inserted (`false`: its default is, as
/// OVERRIDING USER VALUE asks for an identity column); 428C9 for a generated column, and for a
/// `GENERATED ALWAYS AS IDENTITY` one without OVERRIDING SYSTEM VALUE.
pub(super) fn explicit_value(
    catalog: &Catalog<'_>,
    column: &Column,
    overriding: Overriding,
) -> Result<bool> {
    let refuse = || {
        Err(Error::invalid(
            "428C9",
            format!(
                "cannot insert a non-DEFAULT value into column \"{}\"",
                column.name
            ),
        ))
    };
    if column.generated.is_some() {
        return refuse();
    }
    match (identity_of(catalog, column), overriding) {
        (Some(_), Overriding::User) => Ok(false),
        (Some(Identity::Always), Overriding::None) => refuse(),
        _ => Ok(true),
    }
}

/// The kind of identity column `column` is, if it is one: its default draws from an identity
/// sequence.
fn identity_of(catalog: &Catalog<'_>, column: &Column) -> Option<Identity> {
    let default = column.default.as_ref()?;
    catalog
        .sequence_names()
        .filter(|s| &sequence::nextval_default(s) == default)
        .find_map(|s| catalog.get_sequence(s).and_then(|q| q.identity))
}

/// Whether `column` is `GENERATED ALWAYS AS IDENTITY`, which an UPDATE may only set to DEFAULT.
fn identity_always(column: &Column) -> bool {
    let Some(snapshot) = super::context::snapshot() else {
        return false;
    };
    let catalog = Catalog::new(&snapshot.root, &snapshot.ns);
    identity_of(&catalog, column) == Some(Identity::Always)
}

/// Checks the number of values against the target columns; without a column list, fewer values
/// fill the first columns.
pub(super) fn check_width(values: usize, targets: usize, explicit: bool) -> Result<()> {
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

/// A scan of one table with its key column, joined with the FROM / USING relations and
/// filtered by WHERE: the source of UPDATE and DELETE. Rows are the table's columns, then the
/// other relations' columns, then the key (which the executors take off the end).
fn keyed_source(
    catalog: &Catalog<'_>,
    relation: &ast::TableFactor,
    from: &[ast::TableWithJoins],
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
    let schema = catalog.writable_table(&table)?.schema().clone();
    let relation_name = alias.as_ref().map_or_else(
        || vdb_engine::table::split_qualified(&table).1.to_string(),
        |a| ident_name(&a.name),
    );
    let mut scope = table_scope(&schema, &relation_name);
    let mut plan = Plan::Scan {
        table: table.clone(),
        schema: schema.clone(),
        range: KeyRange::All,
        with_key: true,
        reverse: false,
    };
    if !from.is_empty() {
        let (other, other_scope) = plan_from(catalog, from, selection)?;
        let width = schema.columns.len();
        let other_width = other_scope.columns.len();
        let mut keyed = scope.clone();
        keyed.columns.push(key_column());
        let other_columns = other_scope.columns.clone();
        (plan, _) = join_on_where((plan, keyed), (other, other_scope), selection)?;
        let mut exprs: Vec<Expr> = (0..width).map(Expr::Column).collect();
        exprs.extend((width + 1..=width + other_width).map(Expr::Column));
        exprs.push(Expr::Column(width));
        plan = Plan::Project {
            source: Box::new(plan),
            exprs,
        };
        scope.columns.extend(other_columns);
    }
    if let Some(selection) = selection {
        let predicate = boolean(bind(selection, &scope)?, "WHERE")?;
        plan = Plan::Filter {
            source: Box::new(plan),
            predicate,
        };
    }
    Ok((table, schema, plan, scope))
}

/// The columns of table `schema` under the name `relation`.
pub(super) fn table_scope(schema: &Schema, relation: &str) -> Scope {
    Scope {
        columns: schema
            .columns
            .iter()
            .map(|c| ScopeColumn {
                hidden: false,
                scalar_function: false,
                relation: Some(relation.to_string()),
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect(),
    }
}

/// The key a write's target rows carry after their columns; it takes no part in names.
pub(super) fn key_column() -> ScopeColumn {
    ScopeColumn {
        relation: None,
        name: String::new(),
        ty: Type::Bytea,
        hidden: true,
        scalar_function: false,
    }
}

/// An UPDATE, and the columns of its FROM list, which each updated row carries after its new
/// values for RETURNING.
fn plan_update(
    catalog: &Catalog<'_>,
    table: &ast::TableWithJoins,
    assignments: &[ast::Assignment],
    from: &[ast::TableWithJoins],
    selection: Option<&ast::Expr>,
) -> Result<(Planned, Vec<ScopeColumn>)> {
    if !table.joins.is_empty() {
        return Err(Error::Unsupported("UPDATE with joins".into()));
    }
    let (name, schema, source, scope) = keyed_source(catalog, &table.relation, from, selection)?;
    let bound = bind_assignments(assignments, &name, &schema, &scope)?;
    let from_columns = scope.columns[schema.columns.len()..].to_vec();
    let planned = Planned {
        plan: Plan::Update {
            table: name,
            source: Box::new(source),
            assignments: bound,
        },
        columns: None,
        tag: "UPDATE",
    };
    Ok((planned, from_columns))
}

/// A DELETE, and the columns of its USING list, which each deleted row carries after its own
/// for RETURNING.
fn plan_delete(catalog: &Catalog<'_>, delete: &ast::Delete) -> Result<(Planned, Vec<ScopeColumn>)> {
    let from = match &delete.from {
        ast::FromTable::WithFromKeyword(from) => from,
        ast::FromTable::WithoutKeyword(_) => {
            return Err(Error::Unsupported("DELETE without FROM".into()))
        }
    };
    if !delete.tables.is_empty() || !delete.order_by.is_empty() || delete.limit.is_some() {
        return Err(Error::Unsupported("this form of DELETE".into()));
    }
    let [target] = from.as_slice() else {
        return Err(Error::Unsupported("DELETE from several tables".into()));
    };
    if !target.joins.is_empty() {
        return Err(Error::Unsupported("DELETE with joins".into()));
    }
    let using = delete.using.as_deref().unwrap_or_default();
    let (name, schema, source, scope) =
        keyed_source(catalog, &target.relation, using, delete.selection.as_ref())?;
    let using_columns = scope.columns[schema.columns.len()..].to_vec();
    let planned = Planned {
        plan: Plan::Delete {
            table: name,
            source: Box::new(source),
        },
        columns: None,
        tag: "DELETE",
    };
    Ok((planned, using_columns))
}

/// Binds UPDATE-style `SET col = expr` assignments against `schema` (the table is `table`):
/// each to its column's position, DEFAULT to the column default, a column named twice refused.
pub(super) fn bind_assignments(
    assignments: &[ast::Assignment],
    table: &str,
    schema: &Schema,
    scope: &Scope,
) -> Result<Vec<(usize, Expr)>> {
    let mut bound: Vec<(usize, Expr)> = Vec::new();
    for (column, value) in &single_column_assignments(assignments)? {
        let Some(i) = schema.columns.iter().position(|c| &c.name == column) else {
            return Err(Error::UndefinedColumn(format!(
                "column \"{column}\" of relation \"{table}\" does not exist"
            )));
        };
        if bound.iter().any(|(j, _)| *j == i) {
            return Err(Error::invalid(
                "42601",
                format!("multiple assignments to same column \"{column}\""),
            ));
        }
        let c = &schema.columns[i];
        let expr = if is_default(value) {
            default_value(c)?
        } else if c.generated.is_some() || identity_always(c) {
            return Err(Error::invalid(
                "428C9",
                format!("column \"{column}\" can only be updated to DEFAULT"),
            ));
        } else {
            assign_column(bind(value, scope)?, c)?
        };
        bound.push((i, expr));
    }
    Ok(bound)
}

/// `SET col = expr` and `SET (a, b) = (x, y)` / `= ROW(x, y)` / `= (SELECT x, y ...)` as one
/// (column, value) per column. A sub-SELECT gives each column a scalar subquery picking its
/// field, so that no row gives NULLs and two rows give 21000, as in PostgreSQL.
fn single_column_assignments(assignments: &[ast::Assignment]) -> Result<Vec<(String, ast::Expr)>> {
    let mut out = Vec::new();
    for a in assignments {
        let targets = match &a.target {
            ast::AssignmentTarget::ColumnName(target) => {
                let column = target.0.last().map(ident_name).unwrap_or_default();
                out.push((column, a.value.clone()));
                continue;
            }
            ast::AssignmentTarget::Tuple(targets) => targets
                .iter()
                .map(|t| t.0.last().map(ident_name).unwrap_or_default())
                .collect::<Vec<_>>(),
        };
        let values = match crate::planner::expr::row_items(&a.value) {
            Some(items) => items,
            None => match &a.value {
                ast::Expr::Subquery(query) => subquery_fields(query, targets.len())?,
                _ if targets.len() == 1 => vec![a.value.clone()],
                _ => {
                    return Err(Error::invalid(
                        "42601",
                        "source for a multiple-column UPDATE item must be a sub-SELECT or \
                         ROW() expression",
                    ))
                }
            },
        };
        if values.len() != targets.len() {
            return Err(Error::invalid(
                "42601",
                "number of columns does not match number of values",
            ));
        }
        out.extend(targets.into_iter().zip(values));
    }
    Ok(out)
}

/// For `SET (a, b) = (SELECT ...)`: one scalar subquery per target column, each taking its
/// field of the sub-SELECT's single row.
fn subquery_fields(query: &ast::Query, width: usize) -> Result<Vec<ast::Expr>> {
    if let ast::SetExpr::Select(select) = &*query.body {
        let wildcard = select.projection.iter().any(|item| {
            matches!(
                item,
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..)
            )
        });
        if !wildcard && select.projection.len() != width {
            return Err(Error::invalid(
                "42601",
                "number of columns does not match number of values",
            ));
        }
    }
    let names: Vec<String> = (1..=width).map(|i| format!("\"#field {i}\"")).collect();
    (0..width)
        .map(|i| {
            let text = format!(
                "(SELECT {} FROM ({query}) AS \"#row\"({}))",
                names[i],
                names.join(", ")
            );
            Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&text)
                .and_then(|mut p| p.parse_expr())
                .map_err(|e| Error::Unsupported(format!("multiple-column UPDATE: {e}")))
        })
        .collect()
}

/// PostgreSQL's table storage parameters other than `autovacuum_*` and `toast.*`.
const STORAGE_PARAMETERS: &[&str] = &[
    "fillfactor",
    "toast_tuple_target",
    "parallel_workers",
    "autovacuum_enabled",
    "vacuum_index_cleanup",
    "vacuum_truncate",
    "user_catalog_table",
    "log_autovacuum_min_duration",
];

/// PostgreSQL's table storage parameters (`WITH (fillfactor = 90)`): accepted and ignored,
/// since they tune a heap vdb does not have; an unknown one is 22023, as in PostgreSQL.
fn check_storage_parameters(options: &[ast::SqlOption]) -> Result<()> {
    let names = options
        .iter()
        .map(|option| match option {
            ast::SqlOption::KeyValue { key, .. } => Ok(key.value.to_lowercase()),
            ast::SqlOption::Ident(name) => Ok(name.value.to_lowercase()),
            other => Err(Error::Unsupported(format!("table option {other}"))),
        })
        .collect::<Result<Vec<_>>>()?;
    check_storage_parameter_names(&names)
}

/// 22023 for a name (lower case) that is not one of PostgreSQL's table storage parameters.
pub fn check_storage_parameter_names(names: &[String]) -> Result<()> {
    for name in names {
        let known = STORAGE_PARAMETERS.contains(&name.as_str())
            || name.starts_with("autovacuum_")
            || name.starts_with("toast.");
        if !known {
            return Err(Error::invalid(
                "22023",
                format!("unrecognized parameter \"{name}\""),
            ));
        }
    }
    Ok(())
}

/// Refuses a column COLLATE other than byte order. vdb compares text by its UTF-8 bytes, which
/// is what the "C" collation (and "POSIX", "ucs_basic", and "default" in a C-locale database)
/// means; any other collation would sort differently, so it is not accepted.
pub(super) fn check_collation(def: &ast::ColumnDef) -> Result<()> {
    let Some(collation) = &def.collation else {
        return Ok(());
    };
    let name = collation
        .0
        .last()
        .map(|ident| ident.value.clone())
        .unwrap_or_default();
    let byte_order = ["C", "POSIX", "ucs_basic", "default", "C.UTF-8", "C.utf8"];
    if byte_order.contains(&name.as_str()) {
        return Ok(());
    }
    Err(Error::Unsupported(format!(
        "collation \"{name}\" (vdb sorts text by its bytes, as the \"C\" collation does)"
    )))
}
