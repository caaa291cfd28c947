//! Functions in FROM that return `record`: `json[b]_to_record[set](doc)` and
//! `json[b]_populate_record[set](base, doc)`. Their columns come from a column definition list
//! (`AS x(a int, b text)`) or, for populate, from the row type of `base` when that is a
//! table's (`null::t`).
//!
//! sqlparser 0.52 reads no column definition list, so [`rewrite`] (tried only when a statement
//! does not parse) turns each into a plain alias column list whose quoted names carry their
//! types after [`MARKER`]: `x(a int)` becomes `x("a\u{1f}int")`. [`plan`] reads them back.
//!
//! A record plans as a one-row projection, a recordset as a projection over its elements
//! (`SetFunction::JsonRecordset`); each column is its field (`Builtin::JsonRecordField`) cast
//! to the column's type, so the type's input function reports bad values as PostgreSQL does.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};
use vdb_engine::value::{Type, Value};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::{Builtin, Expr, FieldTarget, Function, RecordFunction, SetFunction};
use crate::planner::expr::{bind, ident_name, Scope, ScopeColumn};
use crate::planner::plan::Plan;
use crate::planner::system::{cast_target, CastTarget};

/// Separates a column's name from its type in a rewritten alias column.
pub const MARKER: char = '\u{1f}';

/// `sql` with every column definition list (`) [AS] alias (name type, ...)`) spelled as an
/// alias column list of marked names; `None` if there is none.
pub fn rewrite(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut changed = false;
    let mut i = 0;
    while i < tokens.len() {
        if let Some((list, end)) = definition_list(&tokens, i) {
            out.extend_from_slice(&tokens[i..list]);
            out.push(Token::LParen);
            for (n, (name, ty)) in list_columns(&tokens[list + 1..end])?
                .into_iter()
                .enumerate()
            {
                if n > 0 {
                    out.push(Token::Comma);
                }
                out.push(crate::tokens::word(
                    format!("{name}{MARKER}{ty}"),
                    Some('"'),
                ));
            }
            out.push(Token::RParen);
            changed = true;
            i = end + 1;
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    changed.then(|| out.iter().map(ToString::to_string).collect())
}

/// At `)` at `i` followed by `[AS] alias (`: the positions of that `(` and its `)`, when the
/// list holds a definition (a name followed by more).
fn definition_list(tokens: &[Token], i: usize) -> Option<(usize, usize)> {
    if tokens[i] != Token::RParen {
        return None;
    }
    let mut words = (i + 1..tokens.len()).filter(|&j| !matches!(tokens[j], Token::Whitespace(_)));
    let mut at = words.next()?;
    let with_as =
        matches!(&tokens[at], Token::Word(w) if w.keyword == sqlparser::keywords::Keyword::AS);
    if with_as {
        at = words.next()?;
    }
    match &tokens[at] {
        Token::Word(w) if with_as || w.keyword == sqlparser::keywords::Keyword::NoKeyword => {}
        _ => return None,
    }
    let open = words.next()?;
    if tokens[open] != Token::LParen {
        return None;
    }
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    let defines = list_columns(&tokens[open + 1..j]).is_some();
                    return defines.then_some((open, j));
                }
            }
            _ => {}
        }
    }
    None
}

/// The (name, type text) of each comma-separated item; `None` unless every item is a name
/// followed by a type.
fn list_columns(tokens: &[Token]) -> Option<Vec<(String, String)>> {
    let mut items: Vec<Vec<&Token>> = vec![Vec::new()];
    let mut depth = 0usize;
    for token in tokens {
        match token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                items.push(Vec::new());
                continue;
            }
            _ => {}
        }
        items.last_mut()?.push(token);
    }
    items
        .into_iter()
        .map(|item| {
            let mut rest = item
                .into_iter()
                .skip_while(|t| matches!(t, Token::Whitespace(_)));
            let Some(Token::Word(w)) = rest.next() else {
                return None;
            };
            let name = match w.quote_style {
                Some(_) => w.value.clone(),
                None => w.value.to_lowercase(),
            };
            let ty: String = rest.map(ToString::to_string).collect();
            let ty = ty.trim().to_string();
            (!ty.is_empty() && !ty.contains('"') && !name.contains(MARKER)).then_some((name, ty))
        })
        .collect()
}

/// The column definitions an alias carries (see [`rewrite`]), if any: 42601 if some columns
/// have types and others not, 42701 for a repeated name, the type's error for a bad type.
fn column_definitions(alias: Option<&ast::TableAlias>) -> Result<Option<Vec<(String, Type)>>> {
    let Some(alias) = alias else {
        return Ok(None);
    };
    if !alias.columns.iter().any(|c| c.value.contains(MARKER)) {
        return Ok(None);
    }
    let mut defs: Vec<(String, Type)> = Vec::new();
    for column in &alias.columns {
        let Some((name, ty)) = column.value.split_once(MARKER) else {
            return Err(Error::invalid("42601", "syntax error at or near \")\""));
        };
        let data_type = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(ty)
            .and_then(|mut p| p.parse_data_type())
            .map_err(|_| Error::invalid("42601", format!("syntax error at or near \"{ty}\"")))?;
        let CastTarget::Plain(ty) = cast_target(&data_type)? else {
            return Err(Error::Unsupported(format!(
                "record column of type {data_type}"
            )));
        };
        if defs.iter().any(|(n, _)| n == name) {
            return Err(Error::invalid(
                "42701",
                format!("column name \"{name}\" specified more than once"),
            ));
        }
        defs.push((name.to_string(), ty));
    }
    Ok(Some(defs))
}

/// Plans `name(args)` in FROM if it is a json record function; `None` for other functions
/// (42601 if they are given a column definition list, which only `record` functions take).
pub fn plan(
    catalog: &Catalog<'_>,
    name: &str,
    args: &[ast::Expr],
    alias: Option<&ast::TableAlias>,
) -> Result<Option<(Plan, Scope)>> {
    let defs = column_definitions(alias)?;
    let (jsonb, populate, recordset) = match name {
        "jsonb_to_record" => (true, false, false),
        "jsonb_to_recordset" => (true, false, true),
        "json_to_record" => (false, false, false),
        "json_to_recordset" => (false, false, true),
        "jsonb_populate_record" => (true, true, false),
        "jsonb_populate_recordset" => (true, true, true),
        "json_populate_record" => (false, true, false),
        "json_populate_recordset" => (false, true, true),
        _ if defs.is_some() => {
            return Err(Error::invalid(
                "42601",
                "a column definition list is only allowed for functions returning \"record\"",
            ))
        }
        _ => return Ok(None),
    };
    let f = RecordFunction { jsonb, populate };
    let no_function = || {
        Error::undefined_function(format!(
            "function {name} with these arguments does not exist"
        ))
    };
    let (doc, row_type) = match (populate, args) {
        (false, [doc]) => (doc, None),
        (true, [base, doc]) => (doc, base_row_type(catalog, name, base)?),
        _ => return Err(no_function()),
    };
    let columns = match (row_type, defs) {
        (Some(columns), None) => columns,
        (None, Some(defs)) => defs,
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "42601",
                "a column definition list is redundant for a function returning a named \
                 composite type",
            ))
        }
        (None, None) => {
            return Err(Error::invalid(
                "42601",
                "a column definition list is required for functions returning \"record\"",
            ))
        }
    };
    let doc_type = if jsonb { Type::Jsonb } else { Type::Json };
    let doc = bind(doc, &Scope::default())?;
    if doc.ty.as_ref().is_some_and(|t| *t != doc_type) {
        return Err(no_function());
    }
    let doc = doc.coerce(&doc_type, name)?;
    let relation = alias.map_or(name.to_string(), |a| ident_name(&a.name));
    let (source, object) = if recordset {
        let elements = Plan::ProjectSet {
            source: Box::new(one_row()),
            exprs: vec![Expr::SetReturning(SetFunction::JsonRecordset(f), vec![doc])],
        };
        (elements, Expr::Column(0))
    } else {
        (one_row(), doc)
    };
    let mut exprs = Vec::new();
    let mut scope = Vec::new();
    for (column, ty) in columns {
        exprs.push(field(f, object.clone(), &column, &ty));
        scope.push(ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(relation.clone()),
            name: column,
            ty,
        });
    }
    let plan = Plan::Project {
        source: Box::new(source),
        exprs,
    };
    Ok(Some((plan, Scope { columns: scope })))
}

fn one_row() -> Plan {
    Plan::Values {
        rows: vec![Vec::new()],
    }
}

/// Column `key` of json object `object` as a value of type `ty`.
fn field(f: RecordFunction, object: Expr, key: &str, ty: &Type) -> Expr {
    let target = match ty {
        Type::Json | Type::Jsonb => FieldTarget::Json,
        Type::Array(_) => FieldTarget::Array,
        _ => FieldTarget::Scalar,
    };
    let text = Expr::Function(
        Function::Builtin(Builtin::JsonRecordField { f, target }),
        vec![object, Expr::Literal(Value::Text(key.to_string()))],
    );
    Expr::Cast(Box::new(text), ty.clone())
}

/// The row type of populate's `base`: a table's columns for `NULL::t`, `None` for
/// `NULL::record` (the column definition list gives them); 42804 for a non-row type.
fn base_row_type(
    catalog: &Catalog<'_>,
    name: &str,
    base: &ast::Expr,
) -> Result<Option<Vec<(String, Type)>>> {
    let not_row = || {
        Error::invalid(
            "42804",
            format!("first argument of {name} must be a row type"),
        )
    };
    let ast::Expr::Cast {
        expr, data_type, ..
    } = base
    else {
        return Err(not_row());
    };
    let ast::DataType::Custom(type_name, modifiers) = data_type else {
        return Err(not_row());
    };
    if !modifiers.is_empty() {
        return Err(not_row());
    }
    if !matches!(**expr, ast::Expr::Value(ast::Value::Null)) {
        return Err(Error::Unsupported(format!(
            "{name} with a base row other than NULL"
        )));
    }
    if let [single] = type_name.0.as_slice() {
        if ident_name(single) == "record" {
            return Ok(None);
        }
    }
    let table = crate::catalog::table_name(type_name)?;
    let Some(found) = catalog.get_table(&table)? else {
        return Err(Error::invalid(
            "42704",
            format!("type \"{type_name}\" does not exist"),
        ));
    };
    Ok(Some(
        found
            .schema()
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.clone()))
            .collect(),
    ))
}
