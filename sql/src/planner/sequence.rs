//! Planning sequences: `CREATE SEQUENCE` / `DROP SEQUENCE`, the implicit sequences of SERIAL and
//! identity columns (`<table>_<column>_seq`, as PostgreSQL names them), and binding the sequence
//! functions `nextval`, `currval` and `setval`, whose first argument names a sequence
//! (`'t_id_seq'` or `'t_id_seq'::regclass`) and is resolved here, at plan time; and the other
//! functions column defaults call, `now()` / `current_timestamp` and `gen_random_uuid()`.
//! ALTER SEQUENCE, which sqlparser does not read, is read here as a marked CREATE SEQUENCE.

use sqlparser::ast;
use vdb_engine::table::{Identity, Sequence};
use vdb_engine::value::{Type, Value};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::{Expr, Function};
use crate::planner::expr::{bind, Scope, Typed};
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::SchemaChange;
use crate::types::sql_type;

/// The integer type of a SERIAL pseudo-type name, if `data_type` is one.
pub fn serial_type(data_type: &ast::DataType) -> Option<Type> {
    let ast::DataType::Custom(name, modifiers) = data_type else {
        return None;
    };
    if !modifiers.is_empty() {
        return None;
    }
    match name.to_string().to_lowercase().as_str() {
        "smallserial" | "serial2" => Some(Type::Int2),
        "serial" | "serial4" => Some(Type::Int4),
        "bigserial" | "serial8" => Some(Type::Int8),
        _ => None,
    }
}

/// PostgreSQL's name of the implicit sequence of `table.column`.
pub fn implicit_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_seq")
}

/// The column default that draws from sequence `name`, as PostgreSQL displays it.
pub fn nextval_default(name: &str) -> String {
    format!("nextval('{name}'::regclass)")
}

/// The sequence behind an identity column (`GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY
/// [(options)]`) of type `ty`, owned by `table.column`.
pub fn identity_sequence(
    ty: &Type,
    table: &str,
    column: &str,
    generated_as: &ast::GeneratedAs,
    options: Option<&[ast::SequenceOptions]>,
) -> Result<Sequence> {
    let identity = match generated_as {
        ast::GeneratedAs::Always => Identity::Always,
        ast::GeneratedAs::ByDefault => Identity::ByDefault,
        ast::GeneratedAs::ExpStored => return Err(Error::Unsupported("generated columns".into())),
    };
    implicit_sequence(
        ty,
        table,
        column,
        Some(identity),
        options.unwrap_or_default(),
    )
    .map_err(|_| {
        Error::invalid(
            "22023",
            "identity column type must be smallint, integer, or bigint",
        )
    })
}

/// The sequence behind a SERIAL or identity column of type `ty`, owned by `table.column`.
pub fn implicit_sequence(
    ty: &Type,
    table: &str,
    column: &str,
    identity: Option<Identity>,
    options: &[ast::SequenceOptions],
) -> Result<Sequence> {
    let mut sequence = build(type_label(ty)?, options)?;
    sequence.owned_by = Some((table.to_string(), column.to_string()));
    sequence.identity = identity;
    Ok(sequence)
}

/// CREATE [TEMPORARY] SEQUENCE.
pub fn plan_create_sequence(
    catalog: &Catalog<'_>,
    (temporary, if_not_exists): (bool, bool),
    name: &ast::ObjectName,
    data_type: Option<&ast::DataType>,
    options: &[ast::SequenceOptions],
    owned_by: Option<&ast::ObjectName>,
) -> Result<Planned> {
    let name = if temporary {
        crate::catalog::create_temp_name(name)?
    } else {
        crate::catalog::create_name(name)?
    };
    let label = match data_type {
        None => "bigint",
        Some(dt) => type_label(&sql_type(dt)?)?,
    };
    let mut sequence = build(label, options)?;
    if let Some(owner) = owned_by {
        sequence.owned_by = owner_column(catalog, owner)?;
    }
    if !if_not_exists && catalog.get_table(&name)?.is_some() {
        return Err(Error::DuplicateTable(name));
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateSequence {
            name,
            sequence,
            if_not_exists,
        }),
        columns: None,
        tag: "CREATE SEQUENCE",
    })
}

/// `OWNED BY t.c` (or `OWNED BY NONE`).
fn owner_column(
    catalog: &Catalog<'_>,
    owner: &ast::ObjectName,
) -> Result<Option<(String, String)>> {
    let parts: Vec<String> = owner.0.iter().map(crate::planner::ident_name).collect();
    match parts.as_slice() {
        [none] if none == "none" => Ok(None),
        [.., table, column] if parts.len() <= 3 => {
            let schema = catalog.must_get_table(table)?.schema().clone();
            if schema.get_column(column).is_none() {
                return Err(Error::UndefinedColumn(format!(
                    "column \"{column}\" of relation \"{table}\" does not exist"
                )));
            }
            Ok(Some((table.clone(), column.clone())))
        }
        _ => Err(Error::invalid("42601", "invalid OWNED BY option")),
    }
}

/// PostgreSQL's name of a sequence's data type (only the integer types are allowed).
fn type_label(ty: &Type) -> Result<&'static str> {
    match ty {
        Type::Int2 => Ok("smallint"),
        Type::Int4 => Ok("integer"),
        Type::Int8 => Ok("bigint"),
        _ => Err(Error::invalid(
            "22023",
            "sequence type must be smallint, integer, or bigint",
        )),
    }
}

/// The largest value of a sequence data type.
fn type_max(label: &str) -> i64 {
    match label {
        "smallint" => i64::from(i16::MAX),
        "integer" => i64::from(i32::MAX),
        _ => i64::MAX,
    }
}

/// A sequence of type `label` with PostgreSQL's defaults for the options not given.
fn build(label: &str, options: &[ast::SequenceOptions]) -> Result<Sequence> {
    let (mut increment, mut min, mut max, mut start, mut cycle) = (1, None, None, None, false);
    for option in options {
        match option {
            ast::SequenceOptions::IncrementBy(e, _) => increment = constant(e)?,
            ast::SequenceOptions::MinValue(e) => min = e.as_ref().map(constant).transpose()?,
            ast::SequenceOptions::MaxValue(e) => max = e.as_ref().map(constant).transpose()?,
            ast::SequenceOptions::StartWith(e, _) => start = Some(constant(e)?),
            ast::SequenceOptions::Cache(e) => {
                constant(e)?;
            }
            ast::SequenceOptions::Cycle(no) => cycle = !no,
        }
    }
    if increment == 0 {
        return Err(Error::invalid("22023", "INCREMENT must not be zero"));
    }
    let type_max = type_max(label);
    let (min, max) = if increment > 0 {
        (min.unwrap_or(1), max.unwrap_or(type_max))
    } else {
        (min.unwrap_or(-type_max - 1), max.unwrap_or(-1))
    };
    if min >= max {
        return Err(Error::invalid(
            "22023",
            format!("MINVALUE ({min}) must be less than MAXVALUE ({max})"),
        ));
    }
    if max > type_max || min < -type_max - 1 {
        return Err(Error::invalid(
            "22023",
            format!("MAXVALUE ({max}) is out of range for sequence data type {label}"),
        ));
    }
    let start = start.unwrap_or(if increment > 0 { min } else { max });
    if start < min {
        return Err(Error::invalid(
            "22023",
            format!("START value ({start}) cannot be less than MINVALUE ({min})"),
        ));
    }
    if start > max {
        return Err(Error::invalid(
            "22023",
            format!("START value ({start}) cannot be greater than MAXVALUE ({max})"),
        ));
    }
    let mut sequence = Sequence::new(label, start, increment, min, max);
    sequence.cycle = cycle;
    Ok(sequence)
}

/// An integer option value (`5`, `-5`).
fn constant(e: &ast::Expr) -> Result<i64> {
    let value = bind(e, &Scope::default())?.expr.eval(&[])?;
    match value {
        Value::Int2(v) => Ok(i64::from(v)),
        Value::Int4(v) => Ok(i64::from(v)),
        Value::Int8(v) => Ok(v),
        other => Err(Error::invalid(
            "22023",
            format!("sequence option must be an integer, not {other:?}"),
        )),
    }
}

/// Binds `gen_random_uuid()` as a volatile call (a fresh value per row, never folded);
/// `None` for any other call. `now()` and `current_timestamp` bind as builtins, fixed per
/// statement.
pub fn clock_or_random(name: &str, args: &ast::FunctionArguments) -> Option<Typed> {
    let no_args = match args {
        ast::FunctionArguments::None => true,
        ast::FunctionArguments::List(list) => list.args.is_empty() && list.clauses.is_empty(),
        ast::FunctionArguments::Subquery(_) => false,
    };
    if !no_args {
        return None;
    }
    let (function, ty) = match (name.strip_prefix("pg_catalog.").unwrap_or(name), args) {
        ("gen_random_uuid", ast::FunctionArguments::List(_)) => {
            (Function::GenRandomUuid, Type::Uuid)
        }
        _ => return None,
    };
    Some(Typed::new(Expr::Function(function, Vec::new()), ty))
}

/// Binds `nextval`, `currval` and `setval`; `None` for any other function.
pub fn sequence_function(
    scope: &Scope,
    name: &str,
    args: &[ast::FunctionArg],
) -> Result<Option<Typed>> {
    let function = match name.strip_prefix("pg_catalog.").unwrap_or(name) {
        "nextval" => Function::NextVal,
        "currval" => Function::CurrVal,
        "setval" => Function::SetVal,
        _ => return Ok(None),
    };
    let exprs: Vec<&ast::Expr> = args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
            other => Err(Error::Unsupported(format!("function argument {other}"))),
        })
        .collect::<Result<_>>()?;
    let arity_ok = match function {
        Function::SetVal => matches!(exprs.len(), 2 | 3),
        _ => exprs.len() == 1,
    };
    if !arity_ok {
        return Err(Error::undefined_function(format!(
            "function {name} with {} arguments does not exist",
            exprs.len()
        )));
    }
    let mut bound = vec![Expr::Literal(Value::Text(sequence_name(exprs[0])?))];
    if let Some(value) = exprs.get(1) {
        bound.push(bind(value, scope)?.coerce(&Type::Int8, "setval")?);
    }
    if let Some(is_called) = exprs.get(2) {
        bound.push(bind(is_called, scope)?.coerce(&Type::Bool, "setval")?);
    }
    Ok(Some(Typed::new(
        Expr::Function(function, bound),
        Type::Int8,
    )))
}

/// The sequence a `regclass` argument names: `'s'`, `'public.s'`, `'"S"'`, `'s'::regclass`, or
/// `pg_get_serial_sequence('t', 'c')` (the idiom `currval(pg_get_serial_sequence(...))`),
/// which is resolved here against the statement's catalog.
fn sequence_name(arg: &ast::Expr) -> Result<String> {
    let unsupported = || Error::Unsupported(format!("sequence argument {arg}"));
    let text = match arg {
        ast::Expr::Value(ast::Value::SingleQuotedString(s)) => s.clone(),
        // `'s'::regclass`, or text (`'s'::text`, which nextval's text form takes too).
        ast::Expr::Cast {
            expr, data_type, ..
        } if ["regclass", "text", "varchar", "character varying"]
            .iter()
            .any(|t| data_type.to_string().eq_ignore_ascii_case(t)) =>
        {
            return sequence_name(expr);
        }
        ast::Expr::Nested(inner) => return sequence_name(inner),
        ast::Expr::Function(f) => serial_sequence_call(f)?.ok_or_else(unsupported)?,
        _ => return Err(unsupported()),
    };
    let text = text.strip_prefix("public.").unwrap_or(&text);
    let name = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None => text.to_lowercase(),
    };
    match name.split_once('.') {
        // A bare name is looked up along the search path (a temporary sequence first).
        None => {
            crate::catalog::table_name(&ast::ObjectName(vec![ast::Ident::with_quote('"', name)]))
        }
        Some((schema, bare)) => Ok(vdb_engine::table::qualified(
            crate::temp::key_schema(schema),
            bare,
        )),
    }
}

/// The sequence `pg_get_serial_sequence('table', 'column')` names, as text; `None` if `f` is
/// another call, its arguments are not string literals, or the column has no sequence.
fn serial_sequence_call(f: &ast::Function) -> Result<Option<String>> {
    let name = f.name.to_string().to_lowercase();
    if name.strip_prefix("pg_catalog.").unwrap_or(&name) != "pg_get_serial_sequence" {
        return Ok(None);
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return Ok(None);
    };
    let literal = |arg: &ast::FunctionArg| match arg {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Value(
            ast::Value::SingleQuotedString(s),
        ))) => Some(Value::Text(s.clone())),
        _ => None,
    };
    let [table, column] = list.args.as_slice() else {
        return Ok(None);
    };
    let (Some(table), Some(column)) = (literal(table), literal(column)) else {
        return Ok(None);
    };
    let Some(snapshot) = crate::planner::context::snapshot() else {
        return Ok(None);
    };
    match crate::expr::catalog::serial_sequence(&snapshot, &table, &column)? {
        Value::Text(sequence) => Ok(Some(sequence)),
        _ => Ok(None),
    }
}

/// `CREATE SEQUENCE` with its options in the one order sqlparser reads them (`AS`, INCREMENT,
/// MINVALUE, MAXVALUE, START, CACHE, CYCLE, OWNED BY), where PostgreSQL takes any order
/// (`START 10 INCREMENT 5`), and likewise the options of each identity column
/// (`GENERATED ... AS IDENTITY (START WITH 10 INCREMENT BY 5)`); `None` if `sql` has no such
/// options out of that order. Only the options' text moves; the rest is kept byte for byte.
pub fn options_in_parser_order(sql: &str) -> Option<String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let all = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let offsets = crate::vc::as_of::LineOffsets::new(sql);
    let tokens: Vec<_> = all
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize| match tokens.get(i).map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    // Token ranges [from, to) that hold options: after the head of a CREATE SEQUENCE, and
    // within each `IDENTITY ( ... )`.
    let mut spans = Vec::new();
    let end = tokens
        .iter()
        .position(|t| matches!(t.token, Token::SemiColon | Token::EOF))
        .unwrap_or(tokens.len());
    // The head: CREATE [TEMP | TEMPORARY] SEQUENCE [IF NOT EXISTS] name[.name].
    let mut at = 0;
    let mut expect = |k: &[Keyword]| {
        let found = keyword(at).is_some_and(|w| k.contains(&w));
        at += usize::from(found);
        found
    };
    if expect(&[Keyword::CREATE])
        && {
            expect(&[Keyword::TEMP, Keyword::TEMPORARY]);
            expect(&[Keyword::SEQUENCE])
        }
        && (!expect(&[Keyword::IF]) || (expect(&[Keyword::NOT]) && expect(&[Keyword::EXISTS])))
    {
        at += 1;
        while tokens.get(at).map(|t| &t.token) == Some(&Token::Period) {
            at += 2;
        }
        spans.push((at, end));
    }
    for i in 0..tokens.len() {
        if keyword(i) != Some(Keyword::IDENTITY)
            || tokens.get(i + 1).map(|t| &t.token) != Some(&Token::LParen)
        {
            continue;
        }
        if let Some(close) = (i + 2..tokens.len()).find(|&k| tokens[k].token == Token::RParen) {
            spans.push((i + 2, close));
        }
    }
    // Each option starts at its keyword (NO MINVALUE / NO MAXVALUE / NO CYCLE at the NO).
    let rank = |i: usize| -> Option<u8> {
        let after_no = i > 0 && keyword(i - 1) == Some(Keyword::NO);
        match keyword(i)? {
            Keyword::AS => Some(0),
            Keyword::INCREMENT => Some(1),
            Keyword::NO => match keyword(i + 1)? {
                Keyword::MINVALUE => Some(2),
                Keyword::MAXVALUE => Some(3),
                Keyword::CYCLE => Some(6),
                _ => None,
            },
            Keyword::MINVALUE if !after_no => Some(2),
            Keyword::MAXVALUE if !after_no => Some(3),
            Keyword::START => Some(4),
            Keyword::CACHE => Some(5),
            Keyword::CYCLE if !after_no => Some(6),
            Keyword::OWNED => Some(7),
            _ => None,
        }
    };
    let mut text = sql.to_string();
    let mut changed = false;
    // The last span first, so the earlier spans' byte offsets still hold.
    for &(at, end) in spans.iter().rev() {
        if at >= end {
            continue;
        }
        let starts: Vec<(u8, usize)> = (at..end)
            .filter_map(|i| Some((rank(i)?, offsets.of(tokens[i]))))
            .collect();
        let Some(&(_, first)) = starts.first() else {
            continue;
        };
        if first != offsets.of(tokens[at]) || starts.windows(2).all(|w| w[0].0 <= w[1].0) {
            continue;
        }
        let stop = tokens.get(end).map_or(sql.len(), |t| offsets.of(t));
        let mut options: Vec<(u8, &str)> = starts
            .iter()
            .enumerate()
            .map(|(k, &(r, from))| {
                let to = starts.get(k + 1).map_or(stop, |s| s.1);
                (r, sql[from..to].trim_end())
            })
            .collect();
        options.sort_by_key(|(r, _)| *r);
        let body: Vec<&str> = options.iter().map(|(_, text)| *text).collect();
        text.replace_range(first..stop, &format!("{} ", body.join(" ")));
        changed = true;
    }
    changed.then_some(text)
}

#[cfg(test)]
mod tests {
    use super::options_in_parser_order;

    #[test]
    fn identity_options_are_put_in_the_order_sqlparser_reads() {
        assert_eq!(
            options_in_parser_order(
                "create table t (a int generated always as identity (start with 10 increment by \
                 5), b int generated by default as identity (cache 2 minvalue 1))"
            )
            .as_deref(),
            Some(
                "create table t (a int generated always as identity (increment by 5 start with \
                 10 ), b int generated by default as identity (minvalue 1 cache 2 ))"
            )
        );
        assert_eq!(
            options_in_parser_order(
                "create table t (a int generated always as identity (increment 1))"
            ),
            None
        );
    }

    #[test]
    fn sequence_options_are_put_in_the_order_sqlparser_reads() {
        assert_eq!(
            options_in_parser_order("create sequence s.q start 10 increment -5 no cycle; select 1")
                .as_deref(),
            Some("create sequence s.q increment -5 start 10 no cycle ; select 1")
        );
        assert_eq!(
            options_in_parser_order("CREATE SEQUENCE q CACHE 2 NO MAXVALUE AS int").as_deref(),
            Some("CREATE SEQUENCE q AS int NO MAXVALUE CACHE 2 ")
        );
        assert_eq!(
            options_in_parser_order("create sequence q increment 1 start 2"),
            None
        );
        assert_eq!(options_in_parser_order("create table q (a int)"), None);
    }
}

/// The first name part of the CREATE SEQUENCE an ALTER SEQUENCE is read as (see
/// [`parse_alter`]); ` restart` and ` restart N` follow it when the statement restarts.
pub const ALTER_SEQUENCE_MARKER: &str = "\u{1}vdb alter sequence";

/// `ALTER SEQUENCE [IF EXISTS] name option...` as `CREATE SEQUENCE [IF NOT EXISTS]
/// "<marker>".name option...`, with RESTART [[WITH] n] moved into the marker, and
/// `ALTER SEQUENCE [IF EXISTS] name RENAME TO new` as `ALTER TABLE [IF EXISTS]
/// "<marker>".name RENAME TO new`; `None` if `sql` is not such an ALTER SEQUENCE (OWNER TO and
/// SET SCHEMA are not read).
pub fn parse_alter(sql: &str) -> Option<Vec<ast::Statement>> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::Token;
    let (tokens, significant) = crate::tokens::significant(sql)?;
    let word = |n: usize, w: &str| {
        significant
            .get(n)
            .is_some_and(|&i| crate::tokens::is_word(&tokens[i], w))
    };
    if !(word(0, "alter") && word(1, "sequence")) {
        return None;
    }
    let mut n = 2;
    let if_exists = word(2, "if") && word(3, "exists");
    if if_exists {
        n = 4;
    }
    // The name: words joined by periods.
    let mut name = String::new();
    while let Some(&i) = significant.get(n) {
        let Token::Word(_) = &tokens[i] else { break };
        name.push_str(&tokens[i].to_string());
        if significant
            .get(n + 1)
            .is_some_and(|&p| tokens[p] == Token::Period)
        {
            name.push('.');
            n += 2;
        } else {
            n += 1;
            break;
        }
    }
    if name.is_empty() || ["owner", "set"].iter().any(|w| word(n, w)) {
        return None;
    }
    if word(n, "rename") {
        let rest: Vec<String> = significant[n..]
            .iter()
            .map(|&i| tokens[i].to_string())
            .filter(|t| t != ";")
            .collect();
        let text = format!(
            "ALTER TABLE {}\"{ALTER_SEQUENCE_MARKER}\".{name} {}",
            if if_exists { "IF EXISTS " } else { "" },
            rest.join(" ")
        );
        return Parser::parse_sql(&PostgreSqlDialect {}, &text).ok();
    }
    let mut marker = ALTER_SEQUENCE_MARKER.to_string();
    let mut rest = Vec::new();
    while let Some(&i) = significant.get(n) {
        if crate::tokens::is_word(&tokens[i], "restart") {
            marker.push_str(" restart");
            n += 1;
            if word(n, "with") {
                n += 1;
            }
            let mut value = String::new();
            if let Some(&j) = significant.get(n) {
                if tokens[j] == Token::Minus {
                    value.push('-');
                    n += 1;
                }
            }
            match significant.get(n).map(|&j| &tokens[j]) {
                Some(Token::Number(digits, _)) => {
                    value.push_str(digits);
                    marker.push(' ');
                    marker.push_str(&value);
                    n += 1;
                }
                _ if !value.is_empty() => return None,
                _ => {}
            }
            continue;
        }
        if tokens[i] != Token::SemiColon {
            rest.push(tokens[i].to_string());
        }
        n += 1;
    }
    let text = format!(
        "CREATE SEQUENCE {}\"{marker}\".{name} {}",
        if if_exists { "IF NOT EXISTS " } else { "" },
        rest.join(" ")
    );
    // PostgreSQL takes the options in any order, sqlparser in one.
    let text = options_in_parser_order(&text).unwrap_or(text);
    Parser::parse_sql(&PostgreSqlDialect {}, &text).ok()
}

/// The first name part of an identity column's ALTER read as an ALTER SEQUENCE (see
/// [`parse_alter_identity`]), followed by ` always` or ` by default` for SET GENERATED.
pub const IDENTITY_MARKER: &str = "\u{2}vdb identity";

/// `ALTER TABLE [IF EXISTS] [ONLY] t ALTER [COLUMN] c` followed by identity options
/// (`RESTART [[WITH] n]`, `SET GENERATED {ALWAYS | BY DEFAULT}`, `SET INCREMENT BY n`,
/// `SET START WITH n`, `SET [NO] MINVALUE`...) read as an ALTER SEQUENCE of the column's
/// sequence, named `"<identity marker>".t.c`; `None` for any other text.
pub fn parse_alter_identity(sql: &str) -> Option<Vec<ast::Statement>> {
    use crate::tokens::is_word;
    let words = crate::tokens::statement_words(sql)?;
    let head = crate::tokens::alter_table_head(&words)?;
    let word = |n: usize, w: &str| words.get(n).is_some_and(|t| is_word(t, w));
    let mut n = head.rest;
    if !word(n, "alter") {
        return None;
    }
    n += 1;
    if word(n, "column") {
        n += 1;
    }
    let column = words.get(n)?.to_string();
    n += 1;
    let sequence_words = [
        "generated",
        "increment",
        "start",
        "minvalue",
        "maxvalue",
        "no",
        "cycle",
        "cache",
    ];
    let identity_option =
        word(n, "restart") || (word(n, "set") && sequence_words.iter().any(|w| word(n + 1, w)));
    if !identity_option {
        return None;
    }
    let mut marker = IDENTITY_MARKER.to_string();
    let mut options = Vec::new();
    while let Some(token) = words.get(n) {
        if is_word(token, "set") {
            n += 1;
            continue;
        }
        if is_word(token, "generated") {
            if word(n + 1, "always") {
                marker.push_str(" always");
                n += 2;
            } else if word(n + 1, "by") && word(n + 2, "default") {
                marker.push_str(" by default");
                n += 3;
            } else {
                return None;
            }
            continue;
        }
        options.push(token.to_string());
        n += 1;
    }
    let text = format!(
        "ALTER SEQUENCE {}\"{marker}\".{}.{} {}",
        if head.if_exists { "IF EXISTS " } else { "" },
        head.table.join("."),
        column,
        options.join(" ")
    );
    parse_alter(&text)
}

/// What an ALTER SEQUENCE changes; each `None` leaves that property as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceAlter {
    pub data_type: Option<String>,
    pub increment: Option<i64>,
    /// `Some(None)`: NO MINVALUE (the default for the increment's sign).
    pub min: Option<Option<i64>>,
    pub max: Option<Option<i64>>,
    pub start: Option<i64>,
    pub cycle: Option<bool>,
    /// `Some(None)`: RESTART at the start value.
    pub restart: Option<Option<i64>>,
    pub owned_by: Option<Option<(String, String)>>,
    /// SET GENERATED of an identity column's sequence.
    pub identity: Option<Identity>,
}

impl SequenceAlter {
    /// `sequence` changed, checked as PostgreSQL checks it (22023).
    pub fn apply(&self, sequence: &Sequence) -> Result<Sequence> {
        let mut next = sequence.clone();
        if let Some(data_type) = &self.data_type {
            next.data_type.clone_from(data_type);
        }
        if let Some(increment) = self.increment {
            if increment == 0 {
                return Err(Error::invalid("22023", "INCREMENT must not be zero"));
            }
            next.increment = increment;
        }
        let type_max = type_max(&next.data_type);
        match self.min {
            Some(Some(min)) => next.min = min,
            Some(None) => next.min = if next.increment > 0 { 1 } else { -type_max - 1 },
            None => {}
        }
        match self.max {
            Some(Some(max)) => next.max = max,
            Some(None) => next.max = if next.increment > 0 { type_max } else { -1 },
            None => {}
        }
        if next.min >= next.max {
            return Err(Error::invalid(
                "22023",
                format!(
                    "MINVALUE ({}) must be less than MAXVALUE ({})",
                    next.min, next.max
                ),
            ));
        }
        if next.max > type_max || next.min < -type_max - 1 {
            return Err(Error::invalid(
                "22023",
                format!(
                    "MAXVALUE ({}) is out of range for sequence data type {}",
                    next.max, next.data_type
                ),
            ));
        }
        if let Some(start) = self.start {
            next.start = start;
        }
        for (what, value) in [
            ("START", Some(next.start)),
            ("RESTART", self.restart.map(|r| r.unwrap_or(next.start))),
        ] {
            let Some(value) = value else { continue };
            if value < next.min {
                return Err(Error::invalid(
                    "22023",
                    format!(
                        "{what} value ({value}) cannot be less than MINVALUE ({})",
                        next.min
                    ),
                ));
            }
            if value > next.max {
                return Err(Error::invalid(
                    "22023",
                    format!(
                        "{what} value ({value}) cannot be greater than MAXVALUE ({})",
                        next.max
                    ),
                ));
            }
        }
        if let Some(cycle) = self.cycle {
            next.cycle = cycle;
        }
        if let Some(restart) = self.restart {
            next.last_value = restart.unwrap_or(next.start);
            next.is_called = false;
        }
        if let Some(owned_by) = &self.owned_by {
            next.owned_by.clone_from(owned_by);
        }
        if let Some(identity) = self.identity {
            next.identity = Some(identity);
        }
        Ok(next)
    }
}

/// The ALTER SEQUENCE read as `CREATE SEQUENCE "<marker>".name` (see [`parse_alter`]).
pub fn plan_alter_sequence(
    catalog: &Catalog<'_>,
    if_exists: bool,
    name: &ast::ObjectName,
    data_type: Option<&ast::DataType>,
    options: &[ast::SequenceOptions],
    owned_by: Option<&ast::ObjectName>,
) -> Result<Planned> {
    let marker = name.0.first().map(|m| m.value.as_str()).unwrap_or_default();
    let restart = marker.strip_prefix(ALTER_SEQUENCE_MARKER).and_then(|r| {
        let r = r.trim().strip_prefix("restart")?.trim();
        Some(r.parse::<i64>().ok())
    });
    let generated = name
        .0
        .get(1)
        .and_then(|part| part.value.strip_prefix(IDENTITY_MARKER));
    // An identity column's sequence: the table, and the column last.
    let (key, identity_column) = match generated {
        Some(_) if name.0.len() >= 4 => {
            let (column, table) = name.0[2..].split_last().expect("four parts");
            let table = crate::catalog::table_name(&ast::ObjectName(table.to_vec()))?;
            (table, Some(column.value.clone()))
        }
        _ => (
            crate::catalog::table_name(&ast::ObjectName(name.0[1..].to_vec()))?,
            None,
        ),
    };
    let identity = match generated.map(str::trim) {
        Some("always") => Some(Identity::Always),
        Some("by default") => Some(Identity::ByDefault),
        _ => None,
    };
    let mut alter = SequenceAlter {
        identity,
        data_type: data_type
            .map(|dt| type_label(&sql_type(dt)?).map(str::to_string))
            .transpose()?,
        increment: None,
        min: None,
        max: None,
        start: None,
        cycle: None,
        restart,
        owned_by: owned_by.map(|o| owner_column(catalog, o)).transpose()?,
    };
    for option in options {
        match option {
            ast::SequenceOptions::IncrementBy(e, _) => alter.increment = Some(constant(e)?),
            ast::SequenceOptions::MinValue(e) => {
                alter.min = Some(e.as_ref().map(constant).transpose()?);
            }
            ast::SequenceOptions::MaxValue(e) => {
                alter.max = Some(e.as_ref().map(constant).transpose()?);
            }
            ast::SequenceOptions::StartWith(e, _) => alter.start = Some(constant(e)?),
            ast::SequenceOptions::Cache(e) => {
                constant(e)?;
            }
            ast::SequenceOptions::Cycle(no) => alter.cycle = Some(!no),
        }
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::AlterSequence {
            name: key,
            identity_column,
            alter,
            if_exists,
        }),
        columns: None,
        tag: "ALTER SEQUENCE",
    })
}
