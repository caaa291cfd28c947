//! Data-modifying statements in WITH (`WITH d AS (DELETE ... RETURNING *) SELECT ...`).
//!
//! PostgreSQL runs every INSERT, UPDATE or DELETE in a top-level WITH list once, whether or not
//! the main statement reads it, and the main statement reads its RETURNING rows. vdb runs them
//! first, in list order (each sees the WITH queries before it), keeps their rows in
//! [`Materialized`] results that the planner reads in place of the CTE's query
//! ([`take_result`]), then plans the main statement. A main SELECT reads the tables as they were
//! before the modifications, as PostgreSQL's main query does (all parts share one snapshot).
//!
//! sqlparser 0.52 reads INSERT and UPDATE as a CTE body but not DELETE: [`parse_delete_in_with`]
//! parses each `AS (DELETE ...)` body on its own and carries it in a `SetExpr::Update` node,
//! which holds any statement.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast::{self, SetExpr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;
use vdb_engine::value::{Type, Value};

/// The rows a data-modifying WITH query returned, and their columns.
#[derive(Clone, Debug)]
pub struct Materialized {
    pub columns: Vec<(String, Type)>,
    pub rows: Vec<Vec<Value>>,
}

thread_local! {
    static RESULTS: RefCell<HashMap<String, Arc<Materialized>>> = RefCell::new(HashMap::new());
}

/// Whether a WITH query's body modifies data (INSERT, UPDATE or DELETE).
pub fn is_data_modifying(query: &ast::Query) -> bool {
    matches!(query.body.as_ref(), SetExpr::Insert(_) | SetExpr::Update(_))
}

/// The statement a data-modifying WITH query runs.
pub fn statement(query: &ast::Query) -> Option<&Statement> {
    match query.body.as_ref() {
        SetExpr::Insert(s) | SetExpr::Update(s) => Some(s),
        _ => None,
    }
}

/// The rows already computed for the data-modifying WITH query `name` of the statement being
/// planned.
pub fn result(name: &str) -> Option<Arc<Materialized>> {
    RESULTS.with(|r| r.borrow().get(name).cloned())
}

/// Runs `f` with `results` readable through [`result`], clearing them afterwards.
pub fn with_results<T>(results: HashMap<String, Arc<Materialized>>, f: impl FnOnce() -> T) -> T {
    let saved = RESULTS.with(|r| std::mem::replace(&mut *r.borrow_mut(), results));
    let out = f();
    RESULTS.with(|r| *r.borrow_mut() = saved);
    out
}

/// The top-level WITH list of `statement` when it holds a data-modifying query.
pub fn modifying_with(statement: &Statement) -> Option<&ast::With> {
    let Statement::Query(query) = statement else {
        return None;
    };
    let with = query.with.as_ref()?;
    with.cte_tables
        .iter()
        .any(|cte| is_data_modifying(&cte.query))
        .then_some(with)
}

/// `sql` parsed with each `AS (DELETE ...)` WITH body read on its own, or `None` when there is
/// none or the text still does not parse.
pub fn parse_delete_in_with(sql: &str) -> Option<Vec<Statement>> {
    let (tokens, significant) = crate::tokens::significant(sql)?;
    let keyword = |i: usize, k: Keyword| matches!(&tokens[i], Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    // (start token of DELETE, end token of the closing parenthesis)
    let mut spans = Vec::new();
    for (n, &i) in significant.iter().enumerate() {
        if tokens[i] != Token::LParen
            || !significant
                .get(n + 1)
                .is_some_and(|&j| keyword(j, Keyword::DELETE))
        {
            continue;
        }
        let before = |back: usize| n.checked_sub(back).map(|k| significant[k]);
        let after_as = match before(1) {
            Some(j) if keyword(j, Keyword::AS) => true,
            Some(j) if keyword(j, Keyword::MATERIALIZED) => {
                let k = if before(2).is_some_and(|j| keyword(j, Keyword::NOT)) {
                    3
                } else {
                    2
                };
                before(k).is_some_and(|j| keyword(j, Keyword::AS))
            }
            _ => false,
        };
        if !after_as {
            continue;
        }
        let mut depth = 0usize;
        let close = (i..tokens.len()).find(|&j| {
            match tokens[j] {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ => {}
            }
            depth == 0
        })?;
        spans.push((significant[n + 1], close));
    }
    // A WITH list before a main DELETE: `WITH k AS (...) DELETE FROM t ...`.
    let main_delete = main_delete(&tokens, &significant);
    let end = main_delete.unwrap_or(tokens.len());
    spans.retain(|&(start, _)| start < end);
    if spans.is_empty() && main_delete.is_none() {
        return None;
    }
    let text = |range: std::ops::Range<usize>| -> String {
        tokens[range].iter().map(ToString::to_string).collect()
    };
    let mut deletes = Vec::new();
    let mut rewritten = String::with_capacity(sql.len());
    let mut at = 0;
    for (k, &(start, close)) in spans.iter().enumerate() {
        let mut parsed = crate::session::parse(&text(start..close)).ok()?;
        let delete @ Statement::Delete(_) = parsed.pop()? else {
            return None;
        };
        deletes.push(delete);
        rewritten.push_str(&text(at..start));
        rewritten.push_str(&format!("UPDATE {PLACEHOLDER} SET n = {k} "));
        at = close;
    }
    rewritten.push_str(&text(at..end));
    if main_delete.is_some() {
        rewritten.push_str(" SELECT 1");
    }
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, &rewritten)
        .ok()
        .or_else(|| {
            let text = crate::session::returning_unaliased(&rewritten)?;
            Parser::parse_sql(&PostgreSqlDialect {}, &text).ok()
        })?;
    for statement in &mut statements {
        let Statement::Query(query) = statement else {
            continue;
        };
        for cte in query.with.iter_mut().flat_map(|w| w.cte_tables.iter_mut()) {
            if let Some(k) = placeholder_index(&cte.query) {
                *cte.query.body = SetExpr::Update(deletes.get(k)?.clone());
            }
        }
    }
    if let Some(start) = main_delete {
        let mut parsed = crate::session::parse(&text(start..tokens.len())).ok()?;
        let (1, [Statement::Query(query)]) = (parsed.len(), statements.as_mut_slice()) else {
            return None;
        };
        *query.body = SetExpr::Update(parsed.pop()?);
    }
    Some(statements)
}

/// The DELETE token of `WITH ... DELETE ...`: a DELETE outside parentheses in a statement that
/// opens with WITH.
fn main_delete(tokens: &[Token], significant: &[usize]) -> Option<usize> {
    let is = |i: usize, k: Keyword| matches!(&tokens[i], Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    if !is(*significant.first()?, Keyword::WITH) {
        return None;
    }
    let mut depth = 0usize;
    for &i in significant {
        match tokens[i] {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon => return None,
            _ if depth == 0 && is(i, Keyword::DELETE) => return Some(i),
            _ => {}
        }
    }
    None
}

/// The table name that stands for a DELETE body while the rest of the statement is parsed.
const PLACEHOLDER: &str = "__vdb_with_delete";

/// The index `k` of a placeholder body `UPDATE __vdb_with_delete SET n = k`.
fn placeholder_index(query: &ast::Query) -> Option<usize> {
    let SetExpr::Update(Statement::Update {
        table, assignments, ..
    }) = query.body.as_ref()
    else {
        return None;
    };
    let ast::TableFactor::Table { name, .. } = &table.relation else {
        return None;
    };
    if name.to_string() != PLACEHOLDER {
        return None;
    }
    match &assignments.first()?.value {
        ast::Expr::Value(ast::Value::Number(n, _)) => n.parse().ok(),
        _ => None,
    }
}
