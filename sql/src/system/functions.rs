//! User-defined functions as the catalog shows them: one `pg_proc` row per overload, their
//! derived OIDs, and the text of `pg_get_function_arguments` / `_identity_arguments` /
//! `_result`, `pg_get_functiondef` and `'name'::regproc`.
//!
//! A function's OID is a hash of its key and argument types, so it is the same in every
//! snapshot that holds the function (as a table's OID is), without being stored.

use vdb_engine::table::{split_qualified, Function, FunctionReturns, RootValue, Volatility};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::planner::FUNCTION_RETURN_PREFIX as RETURN_PREFIX;
use crate::system::objects::{quote_ident, SUPERUSER_OID};
use crate::system::{type_oid, Snapshot};
use crate::types::type_name;

/// pg_type's `void` and `record`.
const VOID_OID: u32 = 2278;
const RECORD_OID: u32 = 2249;
const TRIGGER_OID: u32 = 2279;
/// pg_language's `sql`.
const SQL_LANGUAGE_OID: u32 = 14;
/// pg_language's `plpgsql` (the oid PostgreSQL 15 gives the extension's language).
pub const PLPGSQL_LANGUAGE_OID: u32 = 13563;

/// Every user-defined function of `root`: (key, definition, OID), by key then creation order.
pub fn user_functions(root: &RootValue) -> Vec<(String, &Function, u32)> {
    root.function_names()
        .flat_map(|key| {
            root.get_functions(key)
                .into_iter()
                .flat_map(|o| o.functions.iter())
                .map(move |f| (key.to_string(), f, function_oid(key, f)))
        })
        .collect()
}

/// The OID of overload `function` of `key`.
pub fn function_oid(key: &str, function: &Function) -> u32 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"vdb-proc-oid-v1");
    hasher.update(key.as_bytes());
    for ty in function.arg_types() {
        hasher.update(&[0]);
        hasher.update(type_name(&ty).as_bytes());
    }
    super::objects::derived_oid(&hasher.finalize())
}

/// The function with OID `oid`.
pub fn by_oid(root: &RootValue, oid: u32) -> Option<(String, &Function)> {
    user_functions(root)
        .into_iter()
        .find(|(_, _, o)| *o == oid)
        .map(|(k, f, _)| (k, f))
}

/// `'name'::regproc` / `'name(types)'::regprocedure`: the OID of the one function of that name
/// along the search path (42883 when none, 42725 when several and no types are given).
pub fn regproc_in(snapshot: &Snapshot, text: &str) -> Result<u32> {
    let (name, types) = match text.split_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest.trim_end().trim_end_matches(')'))),
        None => (text.trim(), None),
    };
    let name = name.to_lowercase();
    let keys: Vec<String> = match name.split_once('.') {
        Some((schema, n)) => vec![vdb_engine::table::qualified(schema, n)],
        None => snapshot
            .search_path()
            .iter()
            .map(|schema| vdb_engine::table::qualified(schema, &name))
            .collect(),
    };
    let Some(key) = keys
        .into_iter()
        .find(|k| snapshot.root.get_functions(k).is_some())
    else {
        return Err(Error::undefined_function(format!(
            "function \"{text}\" does not exist"
        )));
    };
    let overloads = snapshot
        .root
        .get_functions(&key)
        .map_or(&[][..], |o| &o.functions);
    let found: Vec<&Function> = match types {
        None => overloads.iter().collect(),
        Some(list) => overloads
            .iter()
            .filter(|f| identity_types(f) == list.replace(", ", ","))
            .collect(),
    };
    match found.as_slice() {
        [one] => Ok(function_oid(&key, one)),
        [] => Err(Error::undefined_function(format!(
            "function \"{text}\" does not exist"
        ))),
        _ => Err(Error::invalid(
            "42725",
            format!("more than one function named \"{name}\""),
        )),
    }
}

fn identity_types(function: &Function) -> String {
    let types: Vec<String> = function.args.iter().map(|a| type_name(&a.ty)).collect();
    types.join(",")
}

/// `pg_get_function_arguments` (with defaults) or `pg_get_function_identity_arguments`.
pub fn arguments_text(function: &Function, identity: bool) -> String {
    let args: Vec<String> = function
        .args
        .iter()
        .map(|a| {
            let mut s = match a.name.is_empty() {
                true => type_name(&a.ty),
                false => format!("{} {}", quote_ident(&a.name), type_name(&a.ty)),
            };
            // A procedure's arguments say their mode, as PostgreSQL prints them.
            if function.returns == FunctionReturns::Procedure {
                s.insert_str(0, "IN ");
            }
            if let (Some(d), false) = (&a.default, identity) {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            s
        })
        .collect();
    args.join(", ")
}

/// `pg_get_function_result`.
pub fn result_text(function: &Function) -> String {
    match &function.returns {
        FunctionReturns::Scalar(t) => type_name(t),
        FunctionReturns::Void => "void".into(),
        FunctionReturns::Procedure => String::new(),
        FunctionReturns::Trigger => "trigger".into(),
        FunctionReturns::SetOf(t) => format!("SETOF {}", type_name(t)),
        FunctionReturns::SetOfRow { table, .. } => format!("SETOF {table}"),
        FunctionReturns::Table(cols) => {
            let cols: Vec<String> = cols
                .iter()
                .map(|(n, t)| format!("{} {}", quote_ident(n), type_name(t)))
                .collect();
            format!("TABLE({})", cols.join(", "))
        }
    }
}

/// `pg_get_functiondef`: the CREATE OR REPLACE FUNCTION statement, laid out as PostgreSQL's.
pub fn definition(key: &str, function: &Function) -> String {
    let (schema, name) = split_qualified(key);
    let procedure = function.returns == FunctionReturns::Procedure;
    let mut out = format!(
        "CREATE OR REPLACE {} {}.{}({})\n",
        if procedure { "PROCEDURE" } else { "FUNCTION" },
        quote_ident(crate::temp::display_schema(schema)),
        quote_ident(name),
        arguments_text(function, false),
    );
    if !procedure {
        out.push_str(&format!(" RETURNS {}\n", result_text(function)));
    }
    out.push_str(match function.is_plpgsql() {
        true => " LANGUAGE plpgsql\n",
        false => " LANGUAGE sql\n",
    });
    let mut options = String::new();
    match function.volatility {
        Volatility::Immutable => options.push_str(" IMMUTABLE"),
        Volatility::Stable => options.push_str(" STABLE"),
        Volatility::Volatile => {}
    }
    if function.strict {
        options.push_str(" STRICT");
    }
    if !options.is_empty() {
        out.push_str(&options);
        out.push('\n');
    }
    let tag = match procedure {
        true => "$procedure$",
        false => "$function$",
    };
    let tag = match function.body.contains(tag) {
        true => "$vdb$",
        false => tag,
    };
    match sql_body(function) {
        Some(body) => out.push_str(&format!("{body}\n")),
        None => out.push_str(&format!("AS {tag}{}{tag}\n", function.source())),
    }
    out
}

/// `pg_get_function_sqlbody`: `RETURN expr` for a SQL-standard body; `None` for a string one.
pub fn sql_body(function: &Function) -> Option<String> {
    let expr = function.body.strip_prefix(RETURN_PREFIX)?;
    Some(format!("RETURN {}", deparsed(expr)))
}

/// A RETURN expression as PostgreSQL deparses it: an operator at the top in parentheses.
fn deparsed(expr: &str) -> String {
    let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(expr)
        .and_then(|mut p| p.parse_expr());
    match parsed {
        Ok(sqlparser::ast::Expr::BinaryOp { .. } | sqlparser::ast::Expr::UnaryOp { .. }) => {
            format!("({expr})")
        }
        _ => expr.to_string(),
    }
}

/// `prosrc`: the body's text, empty for a `RETURN expr` body.
fn source(function: &Function) -> &str {
    match function.body.starts_with(RETURN_PREFIX) {
        true => "",
        false => function.source(),
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn oid(o: u32) -> Value {
    Value::Int4(i32::try_from(o).unwrap_or(i32::MAX))
}

/// The pg_proc rows of the user-defined functions (as (column, value) pairs).
pub fn pg_proc_rows(snapshot: &Snapshot) -> Result<Vec<Vec<(&'static str, Value)>>> {
    let objects = snapshot.objects()?;
    let mut rows = Vec::new();
    for (key, function, proc_oid) in user_functions(&snapshot.root) {
        let (schema, name) = split_qualified(&key);
        let set = function.returns.is_set();
        let rettype = match &function.returns {
            FunctionReturns::Scalar(t) | FunctionReturns::SetOf(t) => type_oid(t),
            FunctionReturns::Void | FunctionReturns::Procedure => VOID_OID,
            FunctionReturns::Table(_) | FunctionReturns::SetOfRow { .. } => RECORD_OID,
            FunctionReturns::Trigger => TRIGGER_OID,
        };
        let in_types: Vec<Value> = function.args.iter().map(|a| oid(type_oid(&a.ty))).collect();
        let mut names: Vec<String> = function.args.iter().map(|a| a.name.clone()).collect();
        let (all_types, modes) = match &function.returns {
            FunctionReturns::Table(cols) => {
                names.extend(cols.iter().map(|(n, _)| n.clone()));
                let all: Vec<Value> = in_types
                    .iter()
                    .cloned()
                    .chain(cols.iter().map(|(_, t)| oid(type_oid(t))))
                    .collect();
                let modes: Vec<Value> = std::iter::repeat_n(text("i"), in_types.len())
                    .chain(std::iter::repeat_n(text("t"), cols.len()))
                    .collect();
                (Value::array(all), Value::array(modes))
            }
            _ => (Value::Null, Value::Null),
        };
        let names = match names.iter().all(String::is_empty) {
            true => Value::Null,
            false => Value::array(names.into_iter().map(text).collect()),
        };
        let defaults = function.args.iter().filter(|a| a.default.is_some()).count();
        rows.push(vec![
            ("oid", oid(proc_oid)),
            ("proname", text(name)),
            ("pronamespace", oid(objects.namespace_oid(schema))),
            ("proowner", oid(SUPERUSER_OID)),
            (
                "prolang",
                oid(match function.is_plpgsql() {
                    true => PLPGSQL_LANGUAGE_OID,
                    false => SQL_LANGUAGE_OID,
                }),
            ),
            ("procost", Value::Float4(100.0)),
            ("prorows", Value::Float4(if set { 1000.0 } else { 0.0 })),
            ("provariadic", oid(0)),
            ("prosupport", oid(0)),
            (
                "prokind",
                text(if function.returns == FunctionReturns::Procedure {
                    "p"
                } else {
                    "f"
                }),
            ),
            ("prosecdef", Value::Bool(false)),
            ("proleakproof", Value::Bool(false)),
            ("proisstrict", Value::Bool(function.strict)),
            ("proretset", Value::Bool(set)),
            (
                "provolatile",
                text(match function.volatility {
                    Volatility::Immutable => "i",
                    Volatility::Stable => "s",
                    Volatility::Volatile => "v",
                }),
            ),
            ("proparallel", text("u")),
            (
                "pronargs",
                Value::Int2(i16::try_from(function.args.len()).unwrap_or(i16::MAX)),
            ),
            (
                "pronargdefaults",
                Value::Int2(i16::try_from(defaults).unwrap_or(i16::MAX)),
            ),
            ("prorettype", oid(rettype)),
            ("proargtypes", Value::array(in_types)),
            ("proallargtypes", all_types),
            ("proargmodes", modes),
            ("proargnames", names),
            ("prosrc", text(source(function))),
        ]);
    }
    Ok(rows)
}
