//! Generated columns (`GENERATED ALWAYS AS (expr) STORED`): checking a generation expression
//! when CREATE TABLE or ALTER TABLE ADD COLUMN defines one, binding the stored text over the
//! table's columns when a write computes it, and finding the generated columns that read a
//! column (which then cannot be dropped). The expression is stored as SQL text on the column
//! (`Column::generated`), as CHECK conditions are.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::{Column, Schema};

use crate::error::{Error, Result};
use crate::expr::{Builtin, Expr, Function};
use crate::planner::constraint::bind_over_table;
use crate::planner::statement::assign;

/// The text to store for column `position`'s generation expression `expr`, once checked as
/// PostgreSQL checks it: STORED, no DEFAULT beside it, no other generated column read, nothing
/// volatile, and a value assignable to the column's type.
pub fn definition(
    table: &str,
    schema: &Schema,
    position: usize,
    expr: &ast::Expr,
    mode: Option<&ast::GeneratedExpressionMode>,
) -> Result<String> {
    let column = &schema.columns[position];
    if mode != Some(&ast::GeneratedExpressionMode::Stored) {
        return Err(Error::invalid(
            "42601",
            "generated columns must be STORED (PostgreSQL 15 has no virtual ones)",
        ));
    }
    if column.default.is_some() {
        return Err(Error::invalid(
            "42601",
            format!(
                "both default and generation expression specified for column \"{}\" of table \"{}\"",
                column.name,
                vdb_engine::table::split_qualified(table).1
            ),
        ));
    }
    let text = expr.to_string();
    let bound = bind_over_table(schema, &text, "generation expression")?;
    let mut problem = None;
    bound.expr.walk(&mut |e| match e {
        Expr::Column(i) if schema.columns[*i].generated.is_some() || *i == position => {
            problem.get_or_insert_with(|| {
                Error::invalid(
                    "42P17",
                    format!(
                        "cannot use generated column \"{}\" in column generation expression",
                        schema.columns[*i].name
                    ),
                )
            });
        }
        Expr::Function(f, _) if !f.is_immutable() => {
            problem.get_or_insert_with(|| {
                Error::invalid("42P17", "generation expression is not immutable")
            });
        }
        Expr::Subquery(_) => {
            problem.get_or_insert_with(|| {
                Error::invalid(
                    "0A000",
                    "cannot use subquery in column generation expression",
                )
            });
        }
        _ => {}
    });
    if let Some(problem) = problem {
        return Err(problem);
    }
    assign(bound, &column.name, &column.ty)?;
    Ok(text)
}

/// How PostgreSQL prints a stored generation expression (`pg_get_expr`,
/// `information_schema.columns.generation_expression`): an operator expression in parentheses.
pub fn display(text: &str) -> String {
    let parsed = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr());
    match parsed {
        Ok(ast::Expr::BinaryOp { .. } | ast::Expr::UnaryOp { .. }) => format!("({text})"),
        _ => text.to_string(),
    }
}

/// What a written row's columns become before its constraints are checked: each `time(p)` /
/// `timestamp(p)` column's value rounded to its precision, then each generated column's
/// expression; a position and an expression bound over the table's row, giving a value of the
/// column's type, evaluated in this order.
pub fn bind_all(schema: &Schema) -> Result<Vec<(usize, Expr)>> {
    let rounded = schema.columns.iter().enumerate().filter_map(|(i, c)| {
        let digits = c.precision.filter(|d| *d < 6)?;
        let round = Function::Builtin(Builtin::RoundSeconds(digits));
        Some(Ok((i, Expr::Function(round, vec![Expr::Column(i)]))))
    });
    let generated = schema
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i, c, c.generated.as_deref()?)))
        .map(|(i, c, text)| {
            Ok((
                i,
                assign(
                    bind_over_table(schema, text, "generation expression")?,
                    &c.name,
                    &c.ty,
                )?,
            ))
        });
    rounded.chain(generated).collect()
}

/// The generated columns of `schema` whose expressions read the column `read`.
pub fn readers<'a>(schema: &'a Schema, read: &Column) -> Result<Vec<&'a Column>> {
    let Some(position) = schema.position(read.id) else {
        return Ok(Vec::new());
    };
    let mut readers = Vec::new();
    for column in &schema.columns {
        let Some(text) = &column.generated else {
            continue;
        };
        let mut reads = false;
        bind_over_table(schema, text, "generation expression")?
            .expr
            .walk(&mut |e| reads |= matches!(e, Expr::Column(i) if *i == position));
        if reads {
            readers.push(column);
        }
    }
    Ok(readers)
}
