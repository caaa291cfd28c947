//! Repairs of the trees sqlparser 0.52 builds where its grammar departs from PostgreSQL's, run
//! on every parsed statement, stored view query, CHECK condition and column default.
//!
//! - `a IS [NOT] DISTINCT FROM b AND c`: sqlparser reads the right operand as a whole
//!   expression, `a IS DISTINCT FROM (b AND c)`; in PostgreSQL `IS` binds tighter than `AND` and
//!   `OR`, so it is `(a IS DISTINCT FROM b) AND c`.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SetExpr, Statement,
    Values, VisitMut, VisitorMut,
};

/// Repairs `statements` in place.
pub fn repair(statements: &mut [Statement]) {
    for statement in statements {
        let _ = statement.visit(&mut Repair);
        repair_constraints(statement);
    }
}

/// The constraints of a CREATE TABLE or ALTER TABLE ADD: a `REFERENCES t` that the parser's
/// fallback gave the primary-key marker list gets its empty list back (t's primary key), and
/// the characteristics of UNIQUE and PRIMARY KEY go: vdb checks them when their statement
/// writes, which is what NOT DEFERRABLE and INITIALLY IMMEDIATE ask for (docs/sql.md says so).
/// A foreign key keeps its characteristics: a deferred one is checked at COMMIT.
fn repair_constraints(statement: &mut Statement) {
    use sqlparser::ast::{AlterTableOperation, ColumnOption, TableConstraint};
    fn repair(constraint: &mut TableConstraint) {
        match constraint {
            TableConstraint::ForeignKey {
                referred_columns, ..
            } => unmark(referred_columns),
            TableConstraint::Unique {
                characteristics, ..
            }
            | TableConstraint::PrimaryKey {
                characteristics, ..
            } => *characteristics = None,
            _ => {}
        }
    }
    fn unmark(columns: &mut Vec<sqlparser::ast::Ident>) {
        if matches!(columns.as_slice(), [c] if c.value == crate::planner::constraint::PRIMARY_KEY_MARKER)
        {
            columns.clear();
        }
    }
    fn repair_column(column: &mut sqlparser::ast::ColumnDef) {
        for option in &mut column.options {
            if let ColumnOption::Unique {
                characteristics, ..
            } = &mut option.option
            {
                *characteristics = None;
            }
        }
    }
    match statement {
        Statement::CreateTable(create) => {
            create.constraints.iter_mut().for_each(repair);
            create.columns.iter_mut().for_each(repair_column);
        }
        Statement::AlterTable { operations, .. } => {
            for operation in operations {
                match operation {
                    AlterTableOperation::AddConstraint(constraint) => repair(constraint),
                    AlterTableOperation::AddColumn { column_def, .. } => repair_column(column_def),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Repairs one expression in place (a stored CHECK condition or column default).
pub fn repair_expr(expr: &mut Expr) {
    let _ = expr.visit(&mut Repair);
}

struct Repair;

impl VisitorMut for Repair {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(repaired) = in_values(expr).or_else(|| scalar_values(expr)) {
            *expr = repaired;
            return ControlFlow::Continue(());
        }
        let (Expr::IsDistinctFrom(_, right) | Expr::IsNotDistinctFrom(_, right)) = expr else {
            return ControlFlow::Continue(());
        };
        if !is_and_or(right) {
            return ControlFlow::Continue(());
        }
        // `test(a, ((b AND c) OR d))` becomes `((test(a, b) AND c) OR d)`: the test takes the
        // leftmost operand of the AND/OR chain, which keeps its shape above it.
        let placeholder = Expr::Value(sqlparser::ast::Value::Null);
        let mut chain = std::mem::replace(right.as_mut(), placeholder);
        let mut leftmost = &mut chain;
        while is_and_or(leftmost) {
            let Expr::BinaryOp { left, .. } = leftmost else {
                unreachable!("is_and_or matched a BinaryOp");
            };
            leftmost = left.as_mut();
        }
        let operand = std::mem::replace(leftmost, Expr::Value(sqlparser::ast::Value::Null));
        let test = std::mem::replace(expr, Expr::Value(sqlparser::ast::Value::Null));
        *leftmost = match test {
            Expr::IsDistinctFrom(a, _) => Expr::IsDistinctFrom(a, Box::new(operand)),
            Expr::IsNotDistinctFrom(a, _) => Expr::IsNotDistinctFrom(a, Box::new(operand)),
            _ => unreachable!("matched above"),
        };
        *expr = chain;
        ControlFlow::Continue(())
    }
}

/// `x [NOT] IN (VALUES (a), (b, c))` as sqlparser reads it, `x IN (values(a), (b, c))`, turned
/// into the subquery it is; `None` for any other expression.
fn in_values(expr: &Expr) -> Option<Expr> {
    let Expr::InList {
        expr: operand,
        list,
        negated,
    } = expr
    else {
        return None;
    };
    let query = values_query(list)?;
    Some(Expr::InSubquery {
        expr: operand.clone(),
        subquery: Box::new(query),
        negated: *negated,
    })
}

/// A parenthesized VALUES used as a value, `(VALUES (1))` or `(VALUES (1), (2))`, which
/// sqlparser reads as a call of a function `values` (alone or first in a tuple), turned into
/// the scalar subquery it is; `None` for any other expression.
fn scalar_values(expr: &Expr) -> Option<Expr> {
    let query = match expr {
        Expr::Nested(inner) => values_query(std::slice::from_ref(inner.as_ref()))?,
        Expr::Tuple(items) => values_query(items)?,
        _ => return None,
    };
    Some(Expr::Subquery(Box::new(query)))
}

/// The VALUES query sqlparser read as `values(a), (b, c)`: a call of an unquoted `values`
/// followed by parenthesized rows.
fn values_query(list: &[Expr]) -> Option<sqlparser::ast::Query> {
    let (Expr::Function(first), rest) = list.split_first()? else {
        return None;
    };
    let [name] = first.name.0.as_slice() else {
        return None;
    };
    if name.quote_style.is_some() || !name.value.eq_ignore_ascii_case("values") {
        return None;
    }
    let FunctionArguments::List(args) = &first.args else {
        return None;
    };
    if args.duplicate_treatment.is_some() || !args.clauses.is_empty() || first.over.is_some() {
        return None;
    }
    let first_row = args
        .args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let mut rows = vec![first_row];
    for row in rest {
        rows.push(match row {
            Expr::Nested(e) => vec![(**e).clone()],
            Expr::Tuple(items) => items.clone(),
            _ => return None,
        });
    }
    Some(crate::planner::as_query(&SetExpr::Values(Values {
        explicit_row: false,
        rows,
    })))
}

fn is_and_or(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::BinaryOp {
            op: BinaryOperator::And | BinaryOperator::Or,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use sqlparser::ast::{BinaryOperator, Expr, SelectItem, SetExpr, Statement};
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    /// The first select item of `sql`, a SELECT, once repaired.
    fn item(sql: &str) -> Expr {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        super::repair(&mut statements);
        let Statement::Query(query) = &statements[0] else {
            panic!("a query");
        };
        let SetExpr::Select(select) = query.body.as_ref() else {
            panic!("a select");
        };
        let SelectItem::UnnamedExpr(expr) = &select.projection[0] else {
            panic!("an expression");
        };
        expr.clone()
    }

    fn binary(expr: &Expr) -> (&Expr, &BinaryOperator) {
        let Expr::BinaryOp { left, op, .. } = expr else {
            panic!("a binary operation: {expr:?}");
        };
        (left, op)
    }

    #[test]
    fn distinct_from_binds_tighter_than_and_and_or() {
        let expr = item("SELECT a IS DISTINCT FROM b AND c OR d");
        let (left, op) = binary(&expr);
        assert_eq!(*op, BinaryOperator::Or);
        let (left, op) = binary(left);
        assert_eq!(*op, BinaryOperator::And);
        assert_eq!(left.to_string(), "a IS DISTINCT FROM b");

        let expr = item("SELECT a IS NOT DISTINCT FROM b OR c");
        let (left, op) = binary(&expr);
        assert_eq!(*op, BinaryOperator::Or);
        assert!(matches!(left, Expr::IsNotDistinctFrom(..)), "{left:?}");
    }

    #[test]
    fn in_values_is_a_subquery() {
        let expr = item("SELECT x NOT IN (VALUES (1), (2 + 3))");
        let Expr::InSubquery {
            subquery, negated, ..
        } = &expr
        else {
            panic!("a subquery: {expr:?}");
        };
        assert!(negated);
        assert_eq!(subquery.to_string(), "VALUES (1), (2 + 3)");
        let expr = item("SELECT (a, b) IN (VALUES (1, 2), (3, 4))");
        assert!(matches!(expr, Expr::InSubquery { .. }), "{expr:?}");
        // A quoted name is a function call.
        let expr = item("SELECT x IN (\"values\"(1), 2)");
        assert!(matches!(expr, Expr::InList { .. }), "{expr:?}");
    }

    #[test]
    fn parenthesized_and_comparison_operands_stay_whole() {
        let expr = item("SELECT a IS NOT DISTINCT FROM (b AND c)");
        assert!(matches!(expr, Expr::IsNotDistinctFrom(..)), "{expr:?}");
        let expr = item("SELECT a IS DISTINCT FROM b = c");
        assert!(matches!(expr, Expr::IsDistinctFrom(..)), "{expr:?}");
    }
}
