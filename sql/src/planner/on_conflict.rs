//! Planning `INSERT ... ON CONFLICT`: the conflict target (a column list inferring the primary key
//! or a unique index, or `ON CONSTRAINT name`) and the action, DO NOTHING or DO UPDATE SET ...
//! [WHERE ...], whose expressions see the existing row followed by the proposed one (`EXCLUDED`).
//!
//! sqlparser reads a target of plain column names only. A target with expressions
//! (`ON CONFLICT (lower(email))`) or a predicate (`ON CONFLICT (email) WHERE deleted IS NULL`),
//! which infers an expression or partial unique index, is rewritten before parsing into
//! `ON CONFLICT ON CONSTRAINT "<marker>"`, the marker carrying the target's text
//! ([`rewrite_inference`]), and inferred here from that text.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;
use vdb_engine::table::{IndexDef, Schema};

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::expr::{bind, boolean, ident_name, Scope, ScopeColumn};
use crate::planner::statement::bind_assignments;

/// Which unique key decides that a proposed row conflicts.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictTarget {
    /// Any unique key (DO NOTHING without a target).
    Any,
    PrimaryKey,
    /// The unique index of this name.
    Index(String),
}

/// What happens to a proposed row that conflicts.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictAction {
    Nothing,
    /// Assignments and the WHERE condition over `existing row ++ proposed row`.
    Update {
        assignments: Vec<(usize, Expr)>,
        selection: Option<Expr>,
    },
}

/// A bound ON CONFLICT clause.
#[derive(Clone, Debug, PartialEq)]
pub struct OnConflict {
    pub target: ConflictTarget,
    pub action: ConflictAction,
}

/// Binds `on` for an insert into `table` (going by `relation`) with `schema`.
pub fn plan_on_conflict(
    on: Option<&ast::OnInsert>,
    table: &str,
    relation: &str,
    schema: &Schema,
) -> Result<Option<OnConflict>> {
    let Some(on) = on else {
        return Ok(None);
    };
    let ast::OnInsert::OnConflict(ast::OnConflict {
        conflict_target,
        action,
    }) = on
    else {
        return Err(Error::Unsupported("ON DUPLICATE KEY UPDATE".into()));
    };
    let target = match conflict_target {
        None => ConflictTarget::Any,
        Some(ast::ConflictTarget::Columns(columns)) => infer_target(columns, schema)?,
        Some(ast::ConflictTarget::OnConstraint(name)) => constraint_target(name, table, schema)?,
    };
    let action = match action {
        ast::OnConflictAction::DoNothing => ConflictAction::Nothing,
        ast::OnConflictAction::DoUpdate(_) if target == ConflictTarget::Any => {
            return Err(Error::invalid(
                "42601",
                "ON CONFLICT DO UPDATE requires inference specification or constraint name",
            ))
        }
        ast::OnConflictAction::DoUpdate(update) => do_update(update, table, relation, schema)?,
    };
    Ok(Some(OnConflict { target, action }))
}

/// The primary key or unique index whose columns are exactly `columns`.
fn infer_target(columns: &[ast::Ident], schema: &Schema) -> Result<ConflictTarget> {
    let mut named = Vec::new();
    for ident in columns {
        let name = ident_name(ident);
        let Some(column) = schema.get_column(&name) else {
            return Err(Error::UndefinedColumn(format!(
                "column \"{name}\" does not exist"
            )));
        };
        named.push(column.id);
    }
    named.sort_unstable();
    named.dedup();
    let same = |ids: &[u32]| {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        !ids.is_empty() && ids == named
    };
    if same(&schema.primary_key) {
        return Ok(ConflictTarget::PrimaryKey);
    }
    if let Some(index) = schema
        .indexes
        .iter()
        .find(|ix| ix.unique && ix.is_plain() && same(&ix.columns))
    {
        return Ok(ConflictTarget::Index(index.name.clone()));
    }
    Err(Error::invalid(
        "42P10",
        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
    ))
}

/// `ON CONSTRAINT name`: the primary key (`<table>_pkey`) or a UNIQUE constraint.
fn constraint_target(
    name: &ast::ObjectName,
    table: &str,
    schema: &Schema,
) -> Result<ConflictTarget> {
    let name = name.0.last().map(ident_name).unwrap_or_default();
    if let Some((target, predicate)) = decode_marker(&name) {
        return infer_by_text(&target, predicate.as_deref(), schema);
    }
    if !schema.is_keyless()
        && name == schema.primary_key_name(vdb_engine::table::split_qualified(table).1)
    {
        return Ok(ConflictTarget::PrimaryKey);
    }
    if schema
        .indexes
        .iter()
        .any(|ix| ix.unique && ix.constraint && ix.name == name)
    {
        return Ok(ConflictTarget::Index(name));
    }
    Err(Error::invalid(
        "42704",
        format!("constraint \"{name}\" for table \"{table}\" does not exist"),
    ))
}

/// DO UPDATE SET ... WHERE ..., bound over the existing row and then `EXCLUDED`.
fn do_update(
    update: &ast::DoUpdate,
    table: &str,
    relation: &str,
    schema: &Schema,
) -> Result<ConflictAction> {
    let mut columns = Vec::new();
    for side in [relation, "excluded"] {
        columns.extend(schema.columns.iter().map(|c| ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(side.to_string()),
            name: c.name.clone(),
            ty: c.ty.clone(),
        }));
    }
    let scope = Scope { columns };
    let assignments = bind_assignments(&update.assignments, table, schema, &scope)?;
    let selection = update
        .selection
        .as_ref()
        .map(|s| boolean(bind(s, &scope)?, "WHERE"))
        .transpose()?;
    Ok(ConflictAction::Update {
        assignments,
        selection,
    })
}

/// The start of a constraint name that carries an inference target (see [`rewrite_inference`]);
/// no name a user writes starts with it.
pub(crate) const INFER_MARKER: &str = "#infer:";

/// `INSERT ... ON CONFLICT (target) [WHERE predicate] DO ...` whose target is not plain column
/// names, or which has a predicate, with the target and predicate replaced by
/// `ON CONSTRAINT "#infer:<hex target>:<hex predicate>"`, which sqlparser reads. None when `sql`
/// has no such clause.
pub fn rewrite_inference(sql: &str) -> Option<String> {
    use crate::tokens::{is_word, significant, word};
    let (mut tokens, at) = significant(sql)?;
    let k = (0..at.len().saturating_sub(2)).find(|&k| {
        is_word(&tokens[at[k]], "on")
            && is_word(&tokens[at[k + 1]], "conflict")
            && tokens[at[k + 2]] == Token::LParen
    })?;
    // The target runs to the matching parenthesis; a predicate from WHERE to DO.
    let open = k + 2;
    let close = crate::tokens::closing(&tokens, &at, open)?;
    if close == open + 1 {
        return None;
    }
    let text = |from: usize, to: usize| -> String {
        tokens[at[from]..=at[to]]
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let target = text(open + 1, close - 1);
    let plain = (open + 1..close).all(|j| matches!(&tokens[at[j]], Token::Word(_) | Token::Comma));
    let (predicate, end) = if at
        .get(close + 1)
        .is_some_and(|&i| is_word(&tokens[i], "where"))
    {
        let mut depth = 0usize;
        let end = (close + 2..at.len()).find(|&j| {
            match tokens[at[j]] {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ => {}
            }
            depth == 0 && is_word(&tokens[at[j]], "do")
        })?;
        if end == close + 2 {
            return None;
        }
        (Some(text(close + 2, end - 1)), end - 1)
    } else {
        (None, close)
    };
    if plain && predicate.is_none() {
        return None;
    }
    let marker = format!(
        "{INFER_MARKER}{}:{}",
        hex(&target),
        predicate.as_deref().map(hex).unwrap_or_default()
    );
    tokens[at[open]] = word(format!("ON CONSTRAINT \"{marker}\""), None);
    for token in &mut tokens[at[open] + 1..=at[end]] {
        *token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    }
    // `ON CONFLICT ON CONSTRAINT`: the first ON stays, CONFLICT stays, the target goes.
    Some(tokens.iter().map(ToString::to_string).collect())
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<String> {
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

/// The target and predicate texts a marker carries.
fn decode_marker(name: &str) -> Option<(String, Option<String>)> {
    let rest = name.strip_prefix(INFER_MARKER)?;
    let (target, predicate) = rest.split_once(':')?;
    let predicate = match predicate {
        "" => None,
        p => Some(unhex(p)?),
    };
    Some((unhex(target)?, predicate))
}

/// The unique index (or primary key) that a target of expressions and an optional predicate
/// infer: its parts are the target's elements in any order, and it has no predicate or one
/// the given predicate implies by containing each of its AND-ed parts (compared as parsed
/// text; PostgreSQL also proves implications between comparisons, such as `x > 1` of `x > 0`).
fn infer_by_text(target: &str, predicate: Option<&str>, schema: &Schema) -> Result<ConflictTarget> {
    let syntax = |e: sqlparser::parser::ParserError| Error::invalid("42601", e.to_string());
    let mut wanted: Vec<String> = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(target)
        .map_err(syntax)?
        .parse_comma_separated(Parser::parse_expr)
        .map_err(syntax)?
        .iter()
        .map(canonical)
        .collect();
    let predicate = predicate
        .map(|p| crate::planner::parse_stored(p, "ON CONFLICT predicate"))
        .transpose()?
        .map(|p| conjuncts(&p));
    wanted.sort();
    wanted.dedup();
    let parts = |ix: &IndexDef| -> Vec<String> {
        let mut expressions = ix.expressions.iter();
        let mut parts: Vec<String> = ix
            .columns
            .iter()
            .map(|id| match schema.column_by_id(*id) {
                Some(column) => column.name.clone(),
                None => expressions
                    .next()
                    .and_then(|e| crate::planner::parse_stored(&e.sql, "index expression").ok())
                    .map(|e| canonical(&e))
                    .unwrap_or_default(),
            })
            .collect();
        parts.sort();
        parts.dedup();
        parts
    };
    let primary: Vec<String> = schema
        .primary_key
        .iter()
        .filter_map(|id| schema.column_by_id(*id).map(|c| c.name.clone()))
        .collect();
    let mut primary_sorted = primary.clone();
    primary_sorted.sort();
    if !primary.is_empty() && primary_sorted == wanted {
        return Ok(ConflictTarget::PrimaryKey);
    }
    // The given predicate implies the index's when each AND-ed part of the index's is one of
    // the given one's parts.
    let implied = |ix: &IndexDef| match (&ix.predicate, &predicate) {
        (None, _) => true,
        (Some(have), Some(given)) => crate::planner::parse_stored(have, "index predicate")
            .is_ok_and(|have| conjuncts(&have).iter().all(|part| given.contains(part))),
        (Some(_), None) => false,
    };
    // Partial indexes first: a WHERE names one on purpose.
    let mut candidates: Vec<&IndexDef> = schema
        .indexes
        .iter()
        .filter(|ix| ix.unique && parts(ix) == wanted && implied(ix))
        .collect();
    candidates.sort_by_key(|ix| ix.predicate.is_none());
    match candidates.first() {
        Some(index) => Ok(ConflictTarget::Index(index.name.clone())),
        None => Err(Error::invalid(
            "42P10",
            "there is no unique or exclusion constraint matching the ON CONFLICT specification",
        )),
    }
}

/// The [`canonical`] texts of the AND-ed parts of `expr`.
fn conjuncts(expr: &ast::Expr) -> Vec<String> {
    match expr {
        ast::Expr::Nested(inner) => conjuncts(inner),
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::And,
            right,
        } => {
            let mut parts = conjuncts(left);
            parts.extend(conjuncts(right));
            parts
        }
        other => vec![canonical(other)],
    }
}

/// An expression's text with redundant parentheses gone and unquoted names folded, for
/// comparing a target with an index's stored text.
fn canonical(expr: &ast::Expr) -> String {
    let mut expr = expr;
    while let ast::Expr::Nested(inner) = expr {
        expr = inner;
    }
    match expr {
        ast::Expr::Identifier(ident) => ident_name(ident),
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_sqlparser_reads_are_left_alone() {
        for sql in [
            "INSERT INTO t VALUES (1) ON CONFLICT (a, b) DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT c DO NOTHING",
            "SELECT 1",
        ] {
            assert_eq!(rewrite_inference(sql), None, "{sql}");
        }
    }

    #[test]
    fn expression_targets_and_predicates_travel_in_the_marker() {
        let sql = "INSERT INTO t VALUES ($1) ON CONFLICT (lower(a), (b + 1)) WHERE c IS NULL DO UPDATE SET n = 1";
        let rewritten = rewrite_inference(sql).expect("rewritten");
        let statements = Parser::parse_sql(&PostgreSqlDialect {}, &rewritten).expect(&rewritten);
        let ast::Statement::Insert(insert) = &statements[0] else {
            panic!("{statements:?}");
        };
        let Some(ast::OnInsert::OnConflict(ast::OnConflict {
            conflict_target: Some(ast::ConflictTarget::OnConstraint(name)),
            ..
        })) = &insert.on
        else {
            panic!("{insert:?}");
        };
        let marker = name.0.last().map(ident_name).unwrap_or_default();
        assert_eq!(
            decode_marker(&marker),
            Some(("lower(a), (b + 1)".into(), Some("c IS NULL".into())))
        );
    }

    #[test]
    fn malformed_clauses_are_not_rewritten_and_do_not_panic() {
        for sql in [
            "INSERT INTO t VALUES (1) ON CONFLICT ( ) DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT (a) WHERE DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT (a WHERE",
            "INSERT INTO t VALUES (1) ON CONFLICT (",
            "ON CONFLICT",
        ] {
            assert_eq!(rewrite_inference(sql), None, "{sql}");
        }
    }
}
