//! Planning table constraints: UNIQUE (a unique index marked as a constraint), CHECK, FOREIGN
//! KEY and secondary indexes, with the names PostgreSQL chooses (`<table>_<columns>_key`,
//! `<table>_<column>_check`, `<table>_<columns>_fkey`, `<table>_<columns>_idx`, a number appended while a name is taken).
//! CHECK conditions are stored as SQL text and bound again over the table's columns when a write
//! checks them (`bind_check`).

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::{
    CheckDef, FkAction, ForeignKeyDef, IndexDef, IndexExpr, Schema, INDEX_DESC, INDEX_NULLS_FIRST,
};
use vdb_engine::value::Type;

use crate::catalog::{table_name, Catalog};

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::expr::{bind, boolean, ident_name, Scope, ScopeColumn, Typed};

/// PostgreSQL's ChooseConstraintName: `<table>_<columns joined by _>_<suffix>`, then with 1, 2,
/// ... appended to the last part while `taken` says the name is used.
pub fn choose_name(
    table: &str,
    columns: &[String],
    suffix: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut base = vdb_engine::table::split_qualified(table).1.to_string();
    for column in columns {
        base.push('_');
        base.push_str(column);
    }
    let first = format!("{base}_{suffix}");
    if !taken(&first) {
        return first;
    }
    (1..)
        .map(|n| format!("{base}_{suffix}{n}"))
        .find(|name| !taken(name))
        .expect("some numbered name is free")
}

/// Whether a constraint or index of `schema` is named `name`.
pub fn name_in_schema(schema: &Schema, name: &str) -> bool {
    schema.indexes.iter().any(|ix| ix.name == name)
        || schema.checks.iter().any(|c| c.name == name)
        || schema.foreign_keys.iter().any(|f| f.name == name)
        || schema.primary_key_name.as_deref() == Some(name)
}

/// The ids of the named columns (42703 for a missing one).
pub fn column_ids(schema: &Schema, columns: &[String]) -> Result<Vec<u32>> {
    columns
        .iter()
        .map(|name| {
            schema.get_column(name).map(|c| c.id).ok_or_else(|| {
                Error::UndefinedColumn(format!("column \"{name}\" named in key does not exist"))
            })
        })
        .collect()
}

/// A UNIQUE constraint over `columns`, named `name` or as PostgreSQL would.
pub fn unique_constraint(
    schema: &Schema,
    table: &str,
    columns: &[String],
    name: Option<String>,
) -> Result<IndexDef> {
    let ids = column_ids(schema, columns)?;
    let (name, marks) = unmark(name);
    let name =
        name.unwrap_or_else(|| choose_name(table, columns, "key", |n| name_in_schema(schema, n)));
    Ok(IndexDef {
        name,
        columns: ids,
        unique: true,
        constraint: true,
        nulls_not_distinct: marks.nulls_not_distinct,
        ..Default::default()
    })
}

/// What a rewrite of syntax sqlparser does not read marked on a constraint, in its name (see
/// `tokens::mark_constraint`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// `NOT VALID` (ALTER TABLE ADD CONSTRAINT).
    pub not_valid: bool,
    /// `UNIQUE NULLS NOT DISTINCT`.
    pub nulls_not_distinct: bool,
}

/// The marker of a constraint added `NOT VALID`.
pub const NOT_VALID_MARKER: &str = "\u{3}vdb not valid\u{3}";
/// The marker of a `UNIQUE NULLS NOT DISTINCT` constraint.
pub const NULLS_NOT_DISTINCT_MARKER: &str = "\u{3}vdb nulls not distinct\u{3}";
/// What `ALTER TABLE t VALIDATE CONSTRAINT c` is read as: `RENAME CONSTRAINT c TO` this.
pub const VALIDATE_MARKER: &str = "\u{3}vdb validate\u{3}";

/// A constraint's name without the marks a rewrite put on it, and the marks; an unnamed
/// constraint's name is `None` again.
pub fn unmark(name: Option<String>) -> (Option<String>, Marks) {
    let mut marks = Marks::default();
    let Some(mut name) = name else {
        return (None, marks);
    };
    loop {
        if let Some(rest) = name.strip_prefix(NOT_VALID_MARKER) {
            marks.not_valid = true;
            name = rest.to_string();
        } else if let Some(rest) = name.strip_prefix(NULLS_NOT_DISTINCT_MARKER) {
            marks.nulls_not_distinct = true;
            name = rest.to_string();
        } else {
            break;
        }
    }
    ((!name.is_empty()).then_some(name), marks)
}

/// A CHECK constraint, named `name` or as PostgreSQL names it: after its column when the
/// condition reads exactly one column (`t_qty_check`), else `t_check`, whether it was written as
/// a column or a table constraint.
pub fn check_constraint(
    schema: &Schema,
    table: &str,
    expr: &ast::Expr,
    name: Option<String>,
) -> Result<CheckDef> {
    let text = expr.to_string();
    let bound = bind_check(schema, &text)?;
    let (name, marks) = unmark(name);
    let name = name.unwrap_or_else(|| {
        let mut read = Vec::new();
        bound.walk(&mut |e| {
            if let Expr::Column(i) = e {
                if !read.contains(i) {
                    read.push(*i);
                }
            }
        });
        let columns: Vec<String> = match read.as_slice() {
            [i] => vec![schema.columns[*i].name.clone()],
            _ => Vec::new(),
        };
        choose_name(table, &columns, "check", |n| name_in_schema(schema, n))
    });
    Ok(CheckDef {
        name,
        expr: text,
        not_valid: marks.not_valid,
    })
}

/// Binds a stored CHECK condition over the columns of `schema` (42804 unless boolean).
pub fn bind_check(schema: &Schema, text: &str) -> Result<Expr> {
    boolean(bind_over_table(schema, text, "check")?, "CHECK")
}

/// Parses an expression kept as SQL text (a CHECK, a default, a generation expression); `what`
/// names it in the XX000 error a damaged text gives.
pub fn parse_stored(text: &str, what: &str) -> Result<ast::Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map(|mut expr| {
            crate::ast_repair::repair_expr(&mut expr);
            expr
        })
        .map_err(|e| {
            Error::invalid(
                "XX000",
                format!("stored {what} \"{text}\" does not parse: {e}"),
            )
        })
}

/// Binds an expression kept as SQL text over the columns of `schema`, by name.
pub fn bind_over_table(schema: &Schema, text: &str, what: &str) -> Result<Typed> {
    let expr = parse_stored(text, what)?;
    let scope = Scope {
        columns: schema
            .columns
            .iter()
            .map(|c| ScopeColumn {
                hidden: false,
                scalar_function: false,
                relation: None,
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect(),
    };
    bind(&expr, &scope)
}

/// CREATE [UNIQUE] INDEX's definition (the name PostgreSQL chooses when none is given).
///
/// Every vdb index is an ordered one, so `USING btree` is what it builds, and `USING hash`
/// builds the same (it answers the equality lookups a hash index serves). CONCURRENTLY changes
/// nothing: building an index never blocks readers. A part may be an expression over the
/// table's columns, and `WHERE` makes a partial index; both must call only immutable functions
/// (42P17), and the predicate must be boolean. DESC and INCLUDE are recorded for the catalog
/// (entries are ascending and hold the row's key). WITH storage parameters are accepted and
/// ignored. NULLS NOT DISTINCT is refused; the hash, GIN, GiST, BRIN and SP-GiST methods make
/// ordered indexes as btree does (none of them unique).
pub fn index_def(schema: &Schema, table: &str, create: &ast::CreateIndex) -> Result<IndexDef> {
    if let Some(method) = &create.using {
        match method.value.to_ascii_lowercase().as_str() {
            "btree" => {}
            "hash" if create.unique => {
                return Err(Error::Unsupported(
                    "access method \"hash\" does not support unique indexes".into(),
                ))
            }
            "hash" if create.columns.len() > 1 => {
                return Err(Error::Unsupported(
                    "access method \"hash\" does not support multicolumn indexes".into(),
                ))
            }
            "hash" => {}
            other @ ("gin" | "gist" | "brin" | "spgist") if create.unique => {
                return Err(Error::Unsupported(format!(
                    "access method \"{other}\" does not support unique indexes"
                )))
            }
            // Made as an ordered index over the same values, which answers the equality and
            // range lookups such an index serves and keeps schemas written for PostgreSQL
            // (SQLAlchemy's `postgresql_using="gin"`) loading.
            "gin" | "gist" | "brin" | "spgist" => {}
            other => {
                return Err(Error::invalid(
                    "42704",
                    format!("access method \"{other}\" does not exist"),
                ))
            }
        }
    }
    let column_id = |name: &str| {
        schema
            .get_column(name)
            .map(|c| c.id)
            .ok_or_else(|| Error::UndefinedColumn(format!("column \"{name}\" does not exist")))
    };
    let include = create
        .include
        .iter()
        .map(|column| column_id(&ident_name(column)))
        .collect::<Result<Vec<u32>>>()?;
    let predicate = match &create.predicate {
        Some(predicate) => {
            let text = predicate.to_string();
            let bound = boolean(bind_over_table(schema, &text, "index predicate")?, "WHERE")?;
            immutable(&bound, "index predicate")?;
            Some(text)
        }
        None => None,
    };
    // Name parts as PostgreSQL does: a column by its name, an expression by its function's
    // name or "expr".
    let mut names = Vec::new();
    let mut ids = Vec::new();
    let mut expressions = Vec::new();
    for item in &create.columns {
        let mut expr = &item.expr;
        while let ast::Expr::Nested(inner) = expr {
            expr = inner;
        }
        if let ast::Expr::Identifier(ident) = expr {
            let name = ident_name(ident);
            ids.push(column_id(&name)?);
            names.push(name);
            continue;
        }
        let text = expr.to_string();
        let bound = bind_over_table(schema, &text, "index expression")?;
        immutable(&bound.expr, "index expression")?;
        let part_name = expression_part_name(expr);
        // A repeated part name takes a number, as PostgreSQL's index column names do.
        let taken = |n: &String| names.contains(n);
        let unique = std::iter::once(part_name.clone())
            .chain((1..).map(|k| format!("{part_name}{k}")))
            .find(|n| !taken(n))
            .expect("some numbered name is free");
        names.push(unique);
        ids.push(0);
        expressions.push(IndexExpr {
            sql: text,
            ty: bound.ty.unwrap_or(Type::Text),
        });
    }
    let options: Vec<u8> = create
        .columns
        .iter()
        .map(|c| {
            let descending = c.asc == Some(false);
            let nulls_first = c.nulls_first.unwrap_or(descending);
            u8::from(descending) * INDEX_DESC + u8::from(nulls_first) * INDEX_NULLS_FIRST
        })
        .collect();
    let name = match &create.name {
        Some(name) => name.0.last().map(ident_name).unwrap_or_default(),
        None => choose_name(table, &names, "idx", |n| name_in_schema(schema, n)),
    };
    Ok(IndexDef {
        name,
        columns: ids,
        unique: create.unique,
        constraint: false,
        expressions,
        predicate,
        options: if options.iter().any(|o| *o != 0) {
            options
        } else {
            Vec::new()
        },
        include,
        nulls_not_distinct: create.nulls_distinct == Some(false),
    })
}

/// PostgreSQL's name for an index expression part (in the index's name and its attributes):
/// a call's function name, a cast column's name, else `expr`.
pub fn expression_part_name(expr: &ast::Expr) -> String {
    let mut expr = expr;
    while let ast::Expr::Nested(inner) = expr {
        expr = inner;
    }
    match expr {
        ast::Expr::Function(f) => f
            .name
            .0
            .last()
            .map(ident_name)
            .unwrap_or_else(|| "expr".into()),
        ast::Expr::Cast { expr, .. } => match &**expr {
            ast::Expr::Identifier(ident) => ident_name(ident),
            _ => "expr".into(),
        },
        _ => "expr".into(),
    }
}

/// 42P17 unless `expr` calls only immutable functions (what an index may store).
fn immutable(expr: &Expr, what: &str) -> Result<()> {
    let (mut volatile, mut subquery) = (false, false);
    expr.walk(&mut |e| {
        // now() and the catalog's functions are STABLE at best: they may change within a
        // table's life.
        volatile |= matches!(e, Expr::Function(f, _) if !f.is_immutable())
            || matches!(e, Expr::UserFunction(f, _) if !f.is_immutable())
            || matches!(e, Expr::Catalog(..));
        subquery |= matches!(e, Expr::Subquery(_));
    });
    if subquery {
        return Err(Error::Unsupported(format!("subquery in {what}")));
    }
    if volatile {
        return Err(Error::invalid(
            "42P17",
            format!("functions in {what} must be marked IMMUTABLE"),
        ));
    }
    Ok(())
}

/// A FOREIGN KEY from `columns` of `table` (whose schema so far is `schema`) to `ref_columns`
/// of `ref_table` (its primary key when none are named), which must be the referenced table's
/// primary key or a UNIQUE constraint (42830), as PostgreSQL requires.
#[allow(clippy::too_many_arguments)]
pub fn foreign_key(
    catalog: &Catalog<'_>,
    schema: &Schema,
    table: &str,
    columns: &[String],
    ref_table: &ast::ObjectName,
    ref_columns: &[ast::Ident],
    name: Option<String>,
    actions: (
        Option<ast::ReferentialAction>,
        Option<ast::ReferentialAction>,
    ),
) -> Result<ForeignKeyDef> {
    let (name, marks) = unmark(name);
    let mut ref_name = table_name(ref_table)?;
    // A temporary table references itself by its bare name, which the search path finds in
    // pg_temp first, as it will once the table exists.
    let bare = |key: &str| vdb_engine::table::split_qualified(key).1.to_string();
    if ref_table.0.len() == 1 && crate::temp::is_temp_key(table) && bare(table) == bare(&ref_name) {
        ref_name = table.to_string();
    }
    let ref_schema = if ref_name == table {
        schema.clone()
    } else {
        catalog.must_get_table(&ref_name)?.schema().clone()
    };
    // A permanent table is part of the branch's versions; a temporary one is not.
    match (
        crate::temp::is_temp_key(table),
        crate::temp::is_temp_key(&ref_name),
    ) {
        (false, true) => {
            return Err(Error::invalid(
                "42P16",
                "constraints on permanent tables may reference only permanent tables",
            ))
        }
        (true, false) => {
            return Err(Error::invalid(
                "42P16",
                "constraints on temporary tables may reference only temporary tables",
            ))
        }
        _ => {}
    }
    let ids = column_ids(schema, columns)?;
    let ref_columns: Vec<String> = if ref_columns.is_empty() {
        ref_schema
            .key_positions()
            .iter()
            .map(|&i| ref_schema.columns[i].name.clone())
            .collect()
    } else {
        ref_columns.iter().map(ident_name).collect()
    };
    if ref_columns.is_empty() {
        return Err(Error::invalid(
            "42830",
            format!("there is no primary key for referenced table \"{ref_name}\""),
        ));
    }
    if ref_columns.len() != ids.len() {
        return Err(Error::invalid(
            "42830",
            "number of referencing and referenced columns for foreign key disagree",
        ));
    }
    let mut ref_ids = column_ids(&ref_schema, &ref_columns)?;
    ref_ids.sort_unstable();
    let same = |other: &[u32]| {
        let mut other = other.to_vec();
        other.sort_unstable();
        other == ref_ids
    };
    if !same(&ref_schema.primary_key)
        && !ref_schema
            .indexes
            .iter()
            .any(|ix| ix.unique && ix.is_plain() && same(&ix.columns))
    {
        return Err(Error::invalid(
            "42830",
            format!(
                "there is no unique constraint matching given keys for referenced table \"{ref_name}\""
            ),
        ));
    }
    let name =
        name.unwrap_or_else(|| choose_name(table, columns, "fkey", |n| name_in_schema(schema, n)));
    let action = |a: Option<ast::ReferentialAction>| match a {
        None | Some(ast::ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => FkAction::SetDefault,
    };
    Ok(ForeignKeyDef {
        name,
        columns: ids,
        ref_table: ref_name,
        ref_columns,
        on_delete: action(actions.0),
        on_update: action(actions.1),
        deferrable: false,
        initially_deferred: false,
        not_valid: marks.not_valid,
    })
}

/// A foreign key's `[NOT] DEFERRABLE` and `INITIALLY DEFERRED | IMMEDIATE`, as (deferrable,
/// initially deferred): INITIALLY DEFERRED implies DEFERRABLE, and contradicts NOT DEFERRABLE.
pub fn timing(characteristics: Option<&ast::ConstraintCharacteristics>) -> Result<(bool, bool)> {
    let Some(c) = characteristics else {
        return Ok((false, false));
    };
    let deferred = c.initially == Some(ast::DeferrableInitial::Deferred);
    match c.deferrable {
        Some(false) if deferred => Err(Error::invalid(
            "42601",
            "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
        )),
        deferrable => Ok((deferrable.unwrap_or(false) || deferred, deferred)),
    }
}

/// The position in `at` of the first keyword (after any `CONSTRAINT name`) of the constraint
/// that ends before position `end`: the element that starts after `ADD`, or after a `,` or
/// `(` outside brackets.
fn constraint_body(
    tokens: &[sqlparser::tokenizer::Token],
    at: &[usize],
    end: usize,
) -> Option<usize> {
    use crate::tokens::is_word;
    use sqlparser::tokenizer::Token;
    let mut depth = 0usize;
    let mut start = None;
    for k in (0..end).rev() {
        match &tokens[at[k]] {
            Token::RParen => depth += 1,
            Token::LParen if depth > 0 => depth -= 1,
            Token::LParen | Token::Comma if depth == 0 => {
                start = Some(k + 1);
                break;
            }
            t if depth == 0 && is_word(t, "add") => {
                start = Some(k + 1);
                break;
            }
            _ => {}
        }
    }
    let start = start?;
    if is_word(&tokens[*at.get(start)?], "constraint") {
        (start + 2 < end).then_some(start + 2)
    } else {
        (start < end).then_some(start)
    }
}

/// The column a table constraint's `REFERENCES t` without a column list is given, so that
/// sqlparser reads it; `ast_repair` empties the list again, which means t's primary key.
pub const PRIMARY_KEY_MARKER: &str = "\u{1}vdb primary key";

/// FOREIGN KEY syntax sqlparser does not read, respelled: a table constraint's `REFERENCES t`
/// without a column list gets the [`PRIMARY_KEY_MARKER`] list; `MATCH SIMPLE` goes (it is the
/// default), as does `MATCH FULL` of one column (the same thing there); `NOT VALID` marks the
/// constraint ([`NOT_VALID_MARKER`]) and `VALIDATE CONSTRAINT c` becomes a rename of `c` to
/// [`VALIDATE_MARKER`]. `None` when there is nothing to respell.
pub fn rewrite_foreign_keys(sql: &str) -> Option<String> {
    use crate::tokens::{closing, is_word, significant};
    use sqlparser::tokenizer::Token;
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("references") && !lower.contains("valid") {
        return None;
    }
    let (tokens, at) = significant(sql)?;
    let word = |n: usize, w: &str| at.get(n).is_some_and(|&i| is_word(&tokens[i], w));
    let mut skip = std::collections::HashSet::new();
    let mut insert_after = std::collections::HashMap::new();
    let mut replace = std::collections::HashMap::new();
    let mut columns = 1;
    let mut n = 0;
    while n < at.len() {
        if word(n, "foreign") && word(n + 1, "key") {
            if let Some(close) = closing(&tokens, &at, n + 2) {
                columns = at[n + 2..close]
                    .iter()
                    .filter(|&&i| tokens[i] == Token::Comma)
                    .count()
                    + 1;
                n = close + 1;
                if word(n, "references") {
                    let mut m = n + 1;
                    while at.get(m + 1).is_some_and(|&i| tokens[i] == Token::Period) {
                        m += 2;
                    }
                    let next = at.get(m + 1).map(|&i| &tokens[i]);
                    if at.get(m).is_some() && next != Some(&Token::LParen) {
                        insert_after.insert(at[m], format!(" (\"{PRIMARY_KEY_MARKER}\")"));
                    }
                    n = m + 1;
                }
                continue;
            }
        }
        if word(n, "references") {
            columns = 1;
        }
        let simple = word(n + 1, "simple") || (word(n + 1, "full") && columns == 1);
        if word(n, "match") && simple {
            skip.extend([at[n], at[n + 1]]);
            n += 2;
            continue;
        }
        let ends = at
            .get(n + 2)
            .is_none_or(|&i| matches!(tokens[i], Token::Comma | Token::SemiColon | Token::RParen));
        if word(n, "not") && word(n + 1, "valid") && ends && n > 0 {
            skip.extend([at[n], at[n + 1]]);
            if let Some(body) = constraint_body(&tokens, &at, n) {
                let (i, text) =
                    crate::tokens::mark_constraint(&tokens, &at, body, NOT_VALID_MARKER);
                replace.insert(i, text);
            }
            n += 2;
            continue;
        }
        // `VALIDATE CONSTRAINT c`, which sqlparser does not read, as a marked rename.
        if word(n, "validate") && word(n + 1, "constraint") && at.get(n + 2).is_some() {
            let name = tokens[at[n + 2]].to_string();
            replace.insert(
                at[n],
                format!(
                    "RENAME CONSTRAINT {name} TO {}",
                    crate::tokens::word(VALIDATE_MARKER, Some('"'))
                ),
            );
            skip.extend([at[n + 1], at[n + 2]]);
            n += 3;
            continue;
        }
        n += 1;
    }
    if skip.is_empty() && insert_after.is_empty() && replace.is_empty() {
        return None;
    }
    let mut text = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if let Some(replacement) = replace.get(&i) {
            text.push_str(replacement);
        } else if !skip.contains(&i) {
            text.push_str(&token.to_string());
        }
        if let Some(extra) = insert_after.get(&i) {
            text.push_str(extra);
        }
    }
    Some(text)
}
