//! How PostgreSQL prints a stored column default (`information_schema.columns.column_default`,
//! `pg_get_expr(adbin, adrelid)`): vdb stores the default as the SQL text it was given, and
//! PostgreSQL prints the expression it analysed, so the top level is rewritten the way
//! PostgreSQL's deparser shows it. A string literal carries the column's type (`'x'::text`,
//! `'2020-01-01'::date`), a negative number its own (`'-1'::integer`), an operator expression is
//! parenthesized (`(2 + 3)`, with `||`'s string operands as text); function calls, keywords
//! (`CURRENT_TIMESTAMP`), booleans and positive numbers print as written.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::split_qualified;
use vdb_engine::value::Type;

use crate::types::{sql_type, type_name};

/// The default `text` of a column of type `ty`, as PostgreSQL prints it.
pub fn column_default(text: &str, ty: &Type) -> String {
    let Ok(expr) = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
    else {
        return text.to_string();
    };
    match &expr {
        ast::Expr::BinaryOp { left, op, right } => {
            let operand = |e: &ast::Expr| match e {
                ast::Expr::Value(ast::Value::SingleQuotedString(s))
                    if *op == ast::BinaryOperator::StringConcat =>
                {
                    typed_literal(s, "text")
                }
                other => other.to_string(),
            };
            format!("({} {op} {})", operand(left), operand(right))
        }
        other => top_level(other, ty).unwrap_or_else(|| text.to_string()),
    }
}

/// A literal at the top of a default, printed with its type, or `None` to print it as written.
fn top_level(expr: &ast::Expr, ty: &Type) -> Option<String> {
    match expr {
        ast::Expr::Value(ast::Value::SingleQuotedString(s)) => {
            Some(typed_literal(s, &cast_name(ty)))
        }
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            ast::Expr::Value(ast::Value::Number(n, _)) => {
                let ty = if n.contains(['.', 'e', 'E']) {
                    "numeric"
                } else if n.parse::<i32>().is_ok() {
                    "integer"
                } else if n.parse::<i64>().is_ok() {
                    "bigint"
                } else {
                    "numeric"
                };
                Some(typed_literal(&format!("-{n}"), ty))
            }
            _ => None,
        },
        ast::Expr::Value(ast::Value::Null) => Some(format!("NULL::{}", cast_name(ty))),
        // The SQL-standard niladic functions, which PostgreSQL prints in capitals.
        ast::Expr::Function(f) if matches!(f.args, ast::FunctionArguments::None) => {
            let name = f.name.to_string().to_ascii_uppercase();
            NILADIC.contains(&name.as_str()).then_some(name)
        }
        ast::Expr::Cast {
            expr, data_type, ..
        } => match expr.as_ref() {
            ast::Expr::Value(ast::Value::SingleQuotedString(s)) => {
                Some(typed_literal(s, &cast_name(&sql_type(data_type).ok()?)))
            }
            _ => None,
        },
        _ => None,
    }
}

const NILADIC: &[&str] = &[
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "CURRENT_USER",
    "CURRENT_ROLE",
    "SESSION_USER",
    "USER",
    "CURRENT_CATALOG",
    "CURRENT_SCHEMA",
];

fn typed_literal(text: &str, ty: &str) -> String {
    format!("'{}'::{ty}", text.replace('\'', "''"))
}

/// The type name PostgreSQL casts a default's literal to: without modifiers, `bpchar` for
/// `character(n)`, an enum by its own name.
pub(super) fn cast_name(ty: &Type) -> String {
    match ty {
        Type::Char(_) => "bpchar".into(),
        Type::Enum(key) => split_qualified(key).1.to_string(),
        Type::Array(element) => format!("{}[]", cast_name(element)),
        other => type_name(other),
    }
}

#[cfg(test)]
mod tests {
    use super::column_default;
    use vdb_engine::value::Type;

    #[test]
    fn defaults_print_as_postgresql_prints_them() {
        let text = Type::Text;
        assert_eq!(column_default("'x'", &text), "'x'::text");
        assert_eq!(column_default("'it''s'", &text), "'it''s'::text");
        assert_eq!(
            column_default("'y'", &Type::Varchar(Some(5))),
            "'y'::character varying"
        );
        assert_eq!(column_default("-1", &Type::Int8), "'-1'::integer");
        assert_eq!(column_default("-1.5", &Type::Float8), "'-1.5'::numeric");
        assert_eq!(column_default("5", &Type::Int8), "5");
        assert_eq!(
            column_default("'a' || 'b'", &text),
            "('a'::text || 'b'::text)"
        );
        assert_eq!(column_default("2 + 3", &Type::Int4), "(2 + 3)");
        assert_eq!(column_default("now()", &Type::TimestampTz), "now()");
        assert_eq!(
            column_default("CURRENT_TIMESTAMP", &Type::Timestamp),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(column_default("current_date", &Type::Date), "CURRENT_DATE");
        assert_eq!(
            column_default("current_date()", &Type::Date),
            "current_date()"
        );
        assert_eq!(column_default("true", &Type::Bool), "true");
        assert_eq!(column_default("'x'::TEXT", &Type::Text), "'x'::text");
        assert_eq!(
            column_default("'{}'", &Type::Array(Box::new(Type::Text))),
            "'{}'::text[]"
        );
    }
}
