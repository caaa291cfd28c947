//! Function DDL: `CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql | plpgsql` and `DROP
//! FUNCTION`, planned into [`SchemaChange`]s.
//!
//! sqlparser 0.52 reads PostgreSQL's CREATE FUNCTION except for the set-returning result
//! types, `RETURNS SETOF t` and `RETURNS TABLE (a t, ...)`. [`rewrite_returns`] turns either
//! into one quoted type name that carries the original text behind a marker
//! ([`SETOF_MARKER`], [`TABLE_MARKER`]), which [`plan_create_function`] reads back. The body is
//! checked now, as PostgreSQL does with `check_function_bodies`: every statement is planned
//! (a missing table is 42P01) and the last one's columns must fit the declared result (42P13).

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;
use vdb_engine::table::{Function, FunctionArg, FunctionReturns, Volatility, PLPGSQL_MARKER};
use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::planner::expr::ident_name;
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::SchemaChange;
use crate::tokens::{is_word, significant};
use crate::types::sql_type;

/// The start of a type name standing for `SETOF <the rest>`.
pub const SETOF_MARKER: &str = "\u{1}vdb setof ";
/// The start of a type name standing for `TABLE (<the rest>)`.
pub const TABLE_MARKER: &str = "\u{1}vdb table ";

/// The type name standing for a procedure's result (`CREATE PROCEDURE` is read as a function
/// returning it).
pub const PROCEDURE_MARKER: &str = "\u{1}vdb procedure";

/// `CREATE [OR REPLACE] PROCEDURE name(args) ...`, which sqlparser does not read, as
/// `CREATE [OR REPLACE] FUNCTION name(args) RETURNS "<PROCEDURE_MARKER>" ...`; `None` for any
/// other text.
pub fn rewrite_procedure(sql: &str) -> Option<String> {
    if !sql.to_ascii_lowercase().contains("procedure") {
        return None;
    }
    let (tokens, sig) = significant(sql)?;
    let word = |k: usize, w: &str| sig.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    if !word(0, "CREATE") {
        return None;
    }
    let k = if word(1, "OR") && word(2, "REPLACE") {
        3
    } else {
        1
    };
    if !word(k, "PROCEDURE") {
        return None;
    }
    let open = (k..sig.len()).find(|&j| tokens[sig[j]] == Token::LParen)?;
    let close = crate::tokens::closing(&tokens, &sig, open)?;
    let mut out: String = tokens[..sig[k]].iter().map(render).collect();
    out.push_str("FUNCTION");
    out.extend(tokens[sig[k] + 1..=sig[close]].iter().map(render));
    out.push_str(" RETURNS ");
    out.push_str(&Token::make_word(PROCEDURE_MARKER, Some('"')).to_string());
    out.extend(tokens[sig[close] + 1..].iter().map(render));
    Some(out)
}

/// The start of a stored body written as `RETURN expr` (SQL-standard form): the body is the
/// expression after it, and `prosrc` is empty, as in PostgreSQL.
pub const RETURN_PREFIX: &str = "RETURN ";

/// The words that end a `RETURNS SETOF t` type (the clauses that may follow it).
const CLAUSES: &[&str] = &[
    "LANGUAGE",
    "AS",
    "IMMUTABLE",
    "STABLE",
    "VOLATILE",
    "STRICT",
    "CALLED",
    "RETURNS",
    "PARALLEL",
    "RETURN",
    "SECURITY",
    "COST",
    "ROWS",
    "SET",
    "LEAKPROOF",
    "NOT",
    "WINDOW",
    "BEGIN",
    "SUPPORT",
    "TRANSFORM",
    "EXTERNAL",
];

/// `CREATE FUNCTION .. RETURNS SETOF t ..` or `.. RETURNS TABLE (..) ..` with the result type
/// spelled as one marked, quoted type name; `None` for any other text.
pub fn rewrite_returns(sql: &str) -> Option<String> {
    // Only a text that names a function is worth tokenizing.
    let lower = sql.to_ascii_lowercase();
    if !(lower.contains("function") && (lower.contains("setof") || lower.contains("table"))) {
        return None;
    }
    let (tokens, sig) = significant(sql)?;
    let word = |k: usize, w: &str| sig.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    if !word(0, "CREATE") {
        return None;
    }
    let mut k = 1;
    if word(k, "OR") && word(k + 1, "REPLACE") {
        k += 2;
    }
    if !word(k, "FUNCTION") {
        return None;
    }
    // Skip the name and the parenthesized parameter list.
    let open = (k..sig.len()).find(|&j| tokens[sig[j]] == Token::LParen)?;
    let close = crate::tokens::closing(&tokens, &sig, open)?;
    let returns = close + 1;
    if !word(returns, "RETURNS") {
        return None;
    }
    let (marker, first, end) = if word(returns + 1, "SETOF") {
        let first = returns + 2;
        let mut depth = 0usize;
        let mut end = first;
        while end < sig.len() {
            let token = &tokens[sig[end]];
            match token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::SemiColon if depth == 0 => break,
                _ if depth == 0 && CLAUSES.iter().any(|c| is_word(token, c)) => break,
                _ => {}
            }
            end += 1;
        }
        (SETOF_MARKER, first, end.checked_sub(1)?)
    } else if word(returns + 1, "TABLE")
        && sig.get(returns + 2).map(|&i| &tokens[i]) == Some(&Token::LParen)
    {
        let close = crate::tokens::closing(&tokens, &sig, returns + 2)?;
        (TABLE_MARKER, returns + 3, close.checked_sub(1)?)
    } else {
        return None;
    };
    if end < first {
        return None;
    }
    let inner: String = tokens[sig[first]..=sig[end]].iter().map(render).collect();
    let replaced_end = match marker {
        TABLE_MARKER => sig[end + 1],
        _ => sig[end],
    };
    let mut out: String = tokens[..sig[returns + 1]].iter().map(render).collect();
    out.push_str(&Token::make_word(&format!("{marker}{inner}"), Some('"')).to_string());
    out.extend(tokens[replaced_end + 1..].iter().map(render));
    Some(out)
}

/// A token as SQL text again (sqlparser's Display does not double a string's quotes).
fn render(token: &Token) -> String {
    match token {
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => {
            format!("'{}'", s.replace('\'', "''"))
        }
        other => other.to_string(),
    }
}

/// The parts of a CREATE FUNCTION statement the plan needs.
pub struct CreateFunction<'a> {
    pub or_replace: bool,
    pub name: &'a ast::ObjectName,
    pub args: Option<&'a [ast::OperateFunctionArg]>,
    pub return_type: Option<&'a ast::DataType>,
    pub body: Option<&'a ast::CreateFunctionBody>,
    pub language: Option<&'a ast::Ident>,
    pub behavior: Option<&'a ast::FunctionBehavior>,
    pub called_on_null: Option<&'a ast::FunctionCalledOnNull>,
}

/// CREATE [OR REPLACE] FUNCTION name(args) RETURNS type LANGUAGE sql | plpgsql ... AS 'body'.
/// A SQL body is planned now; PL/pgSQL code is parsed now and its statements planned when
/// they run, as PostgreSQL's validator does.
pub fn plan_create_function(create: &CreateFunction<'_>) -> Result<Planned> {
    let plpgsql = match create.language.map(|l| l.value.to_lowercase()) {
        Some(l) if l == "sql" => false,
        Some(l) if l == "plpgsql" => true,
        Some(l) if ["c", "internal"].contains(&l.as_str()) => {
            return Err(Error::invalid(
                "0A000",
                format!(
                    "language \"{l}\" is not supported: vdb runs LANGUAGE sql and plpgsql \
                     functions"
                ),
            ))
        }
        Some(l) => {
            return Err(Error::invalid(
                "42704",
                format!("language \"{l}\" does not exist"),
            ))
        }
        None if matches!(create.body, Some(ast::CreateFunctionBody::Return(_))) => false,
        None => return Err(Error::invalid("42P13", "no language specified")),
    };
    let key = crate::catalog::create_name(create.name)?;
    let args = create
        .args
        .unwrap_or_default()
        .iter()
        .map(argument)
        .collect::<Result<Vec<_>>>()?;
    let returns = match create.return_type {
        Some(dt) => returns(dt)?,
        None => {
            return Err(Error::invalid(
                "42P13",
                "function result type must be specified",
            ))
        }
    };
    let body = match create.body {
        Some(
            ast::CreateFunctionBody::AsBeforeOptions(e)
            | ast::CreateFunctionBody::AsAfterOptions(e),
        ) => match e {
            ast::Expr::Value(ast::Value::DollarQuotedString(s)) => s.value.clone(),
            ast::Expr::Value(ast::Value::SingleQuotedString(s)) => s.clone(),
            other => other.to_string(),
        },
        Some(ast::CreateFunctionBody::Return(e)) if !plpgsql => format!("{RETURN_PREFIX}{e}"),
        Some(ast::CreateFunctionBody::Return(_)) => {
            return Err(Error::invalid(
                "42P13",
                "a RETURN body is SQL: it cannot be given with LANGUAGE plpgsql",
            ))
        }
        None => return Err(Error::invalid("42P13", "no function body specified")),
    };
    if matches!(returns, FunctionReturns::Trigger) && !plpgsql {
        return Err(Error::invalid(
            "42P13",
            "SQL functions cannot return type trigger",
        ));
    }
    let body = match plpgsql {
        true => format!("{PLPGSQL_MARKER}{body}"),
        false => body,
    };
    let function = Function {
        args,
        returns,
        body,
        volatility: match create.behavior {
            Some(ast::FunctionBehavior::Immutable) => Volatility::Immutable,
            Some(ast::FunctionBehavior::Stable) => Volatility::Stable,
            _ => Volatility::Volatile,
        },
        strict: matches!(
            create.called_on_null,
            Some(
                ast::FunctionCalledOnNull::Strict
                    | ast::FunctionCalledOnNull::ReturnsNullOnNullInput
            )
        ),
    };
    if plpgsql {
        crate::plpgsql::function::check(&function)?;
    } else {
        crate::planner::user_function::defining(&key, &function, || {
            crate::planner::user_function::plan_body(&key, &function)
        })?;
    }
    let tag = match function.returns {
        FunctionReturns::Procedure => "CREATE PROCEDURE",
        _ => "CREATE FUNCTION",
    };
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateFunction {
            name: key,
            function,
            or_replace: create.or_replace,
        }),
        columns: None,
        tag,
    })
}

/// A parameter: IN only; its type without modifiers (as PostgreSQL keeps it).
fn argument(arg: &ast::OperateFunctionArg) -> Result<FunctionArg> {
    if matches!(arg.mode, Some(ast::ArgMode::Out | ast::ArgMode::InOut)) {
        return Err(Error::invalid(
            "0A000",
            "OUT and INOUT parameters are not supported",
        ));
    }
    Ok(FunctionArg {
        name: arg.name.as_ref().map(ident_name).unwrap_or_default(),
        ty: without_modifiers(sql_type(&arg.data_type)?),
        default: arg.default_expr.as_ref().map(ToString::to_string),
    })
}

fn without_modifiers(ty: Type) -> Type {
    match ty {
        Type::Numeric { .. } => Type::Numeric {
            precision_scale: None,
        },
        Type::Varchar(_) => Type::Varchar(None),
        Type::Array(t) => Type::Array(Box::new(without_modifiers(*t))),
        t => t,
    }
}

/// The declared result: a type, `void`, or a marked SETOF / TABLE from [`rewrite_returns`].
fn returns(dt: &ast::DataType) -> Result<FunctionReturns> {
    if let ast::DataType::Custom(name, modifiers) = dt {
        if let ([ident], true) = (name.0.as_slice(), modifiers.is_empty()) {
            if let Some(inner) = ident.value.strip_prefix(SETOF_MARKER) {
                let parsed = parse_type(inner)?;
                return match sql_type(&parsed) {
                    Ok(ty) => Ok(FunctionReturns::SetOf(without_modifiers(ty))),
                    Err(e) => table_row(&parsed).ok_or(e),
                };
            }
            if let Some(inner) = ident.value.strip_prefix(TABLE_MARKER) {
                return table_columns(inner).map(FunctionReturns::Table);
            }
            if ident.value == PROCEDURE_MARKER {
                return Ok(FunctionReturns::Procedure);
            }
            if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("void") {
                return Ok(FunctionReturns::Void);
            }
        }
    }
    if let ast::DataType::Trigger = dt {
        return Ok(FunctionReturns::Trigger);
    }
    Ok(FunctionReturns::Scalar(without_modifiers(sql_type(dt)?)))
}

/// `SETOF t` for a table `t`: its rows, as `TABLE (..)` with the table's columns.
fn table_row(dt: &ast::DataType) -> Option<FunctionReturns> {
    let ast::DataType::Custom(name, modifiers) = dt else {
        return None;
    };
    let snapshot = crate::planner::context::snapshot()?;
    let key = crate::catalog::table_name(name).ok()?;
    if !modifiers.is_empty() {
        return None;
    }
    let table = crate::catalog::Catalog::new(&snapshot.root, &snapshot.ns)
        .get_table(&key)
        .ok()??;
    let columns = table
        .schema()
        .columns
        .iter()
        .map(|c| (c.name.clone(), without_modifiers(c.ty.clone())))
        .collect();
    Some(FunctionReturns::SetOfRow {
        table: key,
        columns,
    })
}

fn syntax(e: impl std::fmt::Display) -> Error {
    Error::invalid(
        "42601",
        format!("syntax error in function result type: {e}"),
    )
}

fn parse_type(text: &str) -> Result<ast::DataType> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_data_type())
        .map_err(syntax)
}

/// `a int, b text` of `RETURNS TABLE (...)`.
fn table_columns(text: &str) -> Result<Vec<(String, Type)>> {
    let columns = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| {
            p.parse_comma_separated(|p| {
                let name = p.parse_identifier(false)?;
                let ty = p.parse_data_type()?;
                Ok((name, ty))
            })
        })
        .map_err(syntax)?;
    columns
        .into_iter()
        .map(|(name, dt)| Ok((ident_name(&name), without_modifiers(sql_type(&dt)?))))
        .collect()
}

/// DROP FUNCTION (or, `procedures` set, DROP PROCEDURE) [IF EXISTS] name[(argtypes)] [, ...].
pub fn plan_drop_functions(
    routines: &[ast::FunctionDesc],
    if_exists: bool,
    procedures: bool,
) -> Result<Planned> {
    let (kind, tag) = match procedures {
        true => ("procedure", "DROP PROCEDURE"),
        false => ("function", "DROP FUNCTION"),
    };
    let mut functions = Vec::new();
    for routine in routines {
        // A missing function (or schema) is reported as before functions existed. sqlparser
        // reads `f` and `f()` alike, so both name the argument list `()` in the error.
        let Some(key) = super::user_function::resolve_in_statement(&routine.name) else {
            super::drop_absent::plan_drop_routines(
                kind,
                std::slice::from_ref(routine),
                if_exists,
                tag,
            )?;
            continue;
        };
        let types = routine
            .args
            .as_ref()
            .map(|args| {
                args.iter()
                    .filter(|a| !matches!(a.mode, Some(ast::ArgMode::Out)))
                    .map(|a| sql_type(&a.data_type).map(without_modifiers))
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?;
        functions.push((key, types));
    }
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::DropFunctions {
            functions,
            if_exists,
            procedures,
        }),
        columns: None,
        tag,
    })
}
