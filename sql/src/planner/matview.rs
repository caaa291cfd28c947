//! Materialized views: reading `CREATE MATERIALIZED VIEW`, `REFRESH MATERIALIZED VIEW`,
//! `ALTER MATERIALIZED VIEW` (read as ALTER TABLE) and `DROP MATERIALIZED VIEW` (sqlparser
//! reads only the first, without IF NOT EXISTS or WITH [NO] DATA), and planning the first two. A materialized view is a keyless table whose schema
//! keeps the query ([`vdb_engine::table::Materialized`]), so its rows are committed, diffed
//! and merged like any table's; a refresh replaces them with the query's.
//!
//! The statements sqlparser cannot express travel in fields PostgreSQL's grammar never sets:
//! `CreateView::if_not_exists` for IF NOT EXISTS, `with_no_schema_binding` for WITH NO DATA,
//! a first name part [`REFRESH_MARKER`] (and `or_replace` for CONCURRENTLY) for a refresh,
//! and `Drop::purge` on a DROP TABLE for DROP MATERIALIZED VIEW.

use sqlparser::ast::{self, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;
use vdb_engine::table::{Materialized, View};

use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::planner::context;
use crate::planner::expr::ident_name;
use crate::planner::plan::{Plan, Planned};
use crate::planner::query::plan_query;
use crate::planner::schema_change::SchemaChange;
use crate::tokens::{is_word, significant};

/// The first name part of a `CREATE MATERIALIZED VIEW` that stands for a REFRESH.
const REFRESH_MARKER: &str = "#refresh";

/// The three materialized-view statements sqlparser does not read (or not in full), as the
/// statements that carry them; `None` when `sql` is not one of them.
pub fn parse(sql: &str) -> Option<Result<Vec<Statement>>> {
    let (tokens, at) = significant(sql)?;
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    let mut end = at.len();
    while end > 0 && tokens[at[end - 1]] == Token::SemiColon {
        end -= 1;
    }
    // Several statements are read one at a time (see `crate::session::parse`).
    if at[..end].iter().any(|&i| tokens[i] == Token::SemiColon) {
        return None;
    }
    let text = |from: usize, to: usize| -> String {
        match (at.get(from), to.checked_sub(1).and_then(|t| at.get(t))) {
            (Some(&a), Some(&b)) if a <= b => tokens[a..=b].iter().map(|t| t.to_string()).collect(),
            _ => String::new(),
        }
    };
    // A trailing `WITH [NO] DATA`: (where the statement ends without it, whether NO).
    let data = |end: usize| -> Option<(usize, bool)> {
        if end >= 2 && word(end - 1, "data") {
            if word(end - 2, "with") {
                return Some((end - 2, false));
            }
            if end >= 3 && word(end - 2, "no") && word(end - 3, "with") {
                return Some((end - 3, true));
            }
        }
        None
    };
    if word(0, "create") && word(1, "materialized") && word(2, "view") {
        let if_not_exists = word(3, "if") && word(4, "not") && word(5, "exists");
        let name_at = if if_not_exists { 6 } else { 3 };
        let (end, no_data) = data(end).unwrap_or((end, false));
        let rewritten = format!("CREATE MATERIALIZED VIEW {}", text(name_at, end));
        return Some(single(&rewritten).map(|mut statement| {
            if let Statement::CreateView {
                if_not_exists: ine,
                with_no_schema_binding,
                ..
            } = &mut statement
            {
                *ine = if_not_exists;
                *with_no_schema_binding = no_data;
            }
            vec![statement]
        }));
    }
    if word(0, "refresh") && word(1, "materialized") && word(2, "view") {
        let concurrently = word(3, "concurrently");
        let name_at = if concurrently { 4 } else { 3 };
        let (end, no_data) = data(end).unwrap_or((end, false));
        let rewritten = format!(
            "CREATE MATERIALIZED VIEW {} AS SELECT 1",
            text(name_at, end)
        );
        return Some(single(&rewritten).map(|mut statement| {
            if let Statement::CreateView {
                name,
                or_replace,
                with_no_schema_binding,
                ..
            } = &mut statement
            {
                name.0
                    .insert(0, ast::Ident::with_quote('"', REFRESH_MARKER));
                *or_replace = concurrently;
                *with_no_schema_binding = no_data;
            }
            vec![statement]
        }));
    }
    if word(0, "alter") && word(1, "materialized") && word(2, "view") {
        return Some(
            Parser::parse_sql(
                &PostgreSqlDialect {},
                &format!("ALTER TABLE {}", text(3, end)),
            )
            .map_err(|e| Error::invalid("42601", e.to_string())),
        );
    }
    if word(0, "drop") && word(1, "materialized") && word(2, "view") {
        let rewritten = format!("DROP TABLE {}", text(3, end));
        return Some(single(&rewritten).map(|mut statement| {
            if let Statement::Drop { purge, .. } = &mut statement {
                *purge = true;
            }
            vec![statement]
        }));
    }
    None
}

/// The one statement `sql` holds; a syntax error otherwise.
fn single(sql: &str) -> Result<Statement> {
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| Error::invalid("42601", e.to_string()))?;
    match (statements.pop(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        _ => Err(Error::invalid("42601", "syntax error")),
    }
}

/// A `CREATE MATERIALIZED VIEW` statement (or a refresh, as [`parse`] gives it) planned.
pub fn plan(catalog: &Catalog<'_>, statement: &Statement) -> Result<Planned> {
    let Statement::CreateView {
        name,
        columns,
        query,
        or_replace,
        if_not_exists,
        with_no_schema_binding: no_data,
        temporary,
        ..
    } = statement
    else {
        return Err(Error::Unsupported(statement.to_string()));
    };
    if name
        .0
        .first()
        .is_some_and(|p| p.quote_style == Some('"') && p.value == REFRESH_MARKER)
    {
        let name = ast::ObjectName(name.0[1..].to_vec());
        return plan_refresh(catalog, &name, *or_replace, !no_data);
    }
    if *or_replace {
        return Err(Error::invalid(
            "42601",
            "syntax error at or near \"MATERIALIZED\"",
        ));
    }
    if *temporary || super::view::uses_temporary(query) {
        return Err(Error::invalid(
            "0A000",
            "materialized views must not use temporary tables or views",
        ));
    }
    let name = crate::catalog::create_name(name)?;
    let (source, output) = context::isolated(|| plan_query(catalog, query))?;
    if columns.len() > output.len() {
        return Err(Error::invalid(
            "42601",
            "too many column names were specified",
        ));
    }
    let names = columns
        .iter()
        .map(|c| ident_name(&c.name))
        .chain(output.iter().skip(columns.len()).map(|(n, _)| n.clone()));
    let mut schema =
        super::statement::output_schema(names.zip(output.iter().map(|(_, ty)| ty.clone())))?;
    schema.materialized = Some(Materialized {
        query: query.to_string(),
        populated: !no_data,
    });
    let exists = catalog.relation_exists(&name);
    if exists && !if_not_exists {
        return Err(Error::DuplicateTable(name));
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateTableAs {
            name,
            schema,
            source: Box::new(source),
            if_not_exists: *if_not_exists,
            populate: !no_data,
        }),
        columns: None,
        tag: if *no_data || exists {
            "CREATE MATERIALIZED VIEW"
        } else {
            "SELECT"
        },
    })
}

/// REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA].
fn plan_refresh(
    catalog: &Catalog<'_>,
    name: &ast::ObjectName,
    concurrently: bool,
    populate: bool,
) -> Result<Planned> {
    let name = table_name(name)?;
    let bare = vdb_engine::table::split_qualified(&name).1.to_string();
    let Some(table) = catalog.get_table(&name)? else {
        if catalog.get_view(&name).is_some() {
            return Err(not_materialized(&bare));
        }
        return Err(Error::UndefinedTable(bare));
    };
    let schema = table.schema();
    let Some(definition) = &schema.materialized else {
        return Err(not_materialized(&bare));
    };
    if concurrently {
        if !populate {
            return Err(Error::invalid(
                "42601",
                "REFRESH options CONCURRENTLY and WITH NO DATA cannot be used together",
            ));
        }
        if !definition.populated {
            return Err(Error::invalid(
                "0A000",
                "CONCURRENTLY cannot be used when the materialized view is not populated",
            ));
        }
        if !schema.indexes.iter().any(|i| i.unique && i.is_plain()) {
            let (schema_name, bare) = vdb_engine::table::split_qualified(&name);
            return Err(Error::invalid(
                "55000",
                format!("cannot refresh materialized view \"{schema_name}.{bare}\" concurrently"),
            ));
        }
    }
    let source = if populate {
        let view = View {
            query: definition.query.clone(),
            columns: Vec::new(),
            check_option: None,
        };
        let query = super::view::parse_view(&name, &view)?;
        let (source, output) = context::isolated(|| plan_query(catalog, &query))?;
        let matches = output.len() == schema.columns.len()
            && output
                .iter()
                .zip(&schema.columns)
                .all(|((_, ty), column)| *ty == column.ty);
        if !matches {
            return Err(Error::invalid(
                "0A000",
                format!(
                    "materialized view \"{bare}\" no longer matches its query's columns; drop and create it again"
                ),
            ));
        }
        Some(Box::new(source))
    } else {
        None
    };
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::RefreshMaterialized { name, source }),
        columns: None,
        tag: "REFRESH MATERIALIZED VIEW",
    })
}

fn not_materialized(name: &str) -> Error {
    Error::invalid("0A000", format!("\"{name}\" is not a materialized view"))
}
