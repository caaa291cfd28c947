//! ProjectSet: a projection whose top-level set-returning functions (`unnest(a)`) expand each
//! input row into as many rows as the longest of their results, in lockstep, the shorter ones
//! padded with NULL (PostgreSQL 10+); other expressions repeat their value on every row, except
//! volatile ones (`random()`), which are evaluated for each row as PostgreSQL does.

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::{Expr, Row, SetFunction};

pub fn project_set(source: Rows, exprs: Vec<Expr>) -> Rows {
    Box::new(
        source
            .map(move |row| expand(&row?, &exprs))
            .flat_map(|rows| match rows {
                Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            }),
    )
}

/// The rows one input row expands to.
fn expand(row: &[vdb_engine::value::Value], exprs: &[Expr]) -> Result<Vec<Row>> {
    let mut sets = Vec::new();
    let mut scalars = Vec::new();
    for e in exprs {
        match e {
            Expr::SetReturning(SetFunction::Ordinality, _) => {
                sets.push(None);
                scalars.push(None);
            }
            Expr::SetReturning(f, args) => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row))
                    .collect::<Result<Vec<_>>>()?;
                sets.push(Some(f.expand(&values)?));
                scalars.push(None);
            }
            Expr::UserFunction(call, args) if call.returns_set() => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row))
                    .collect::<Result<Vec<_>>>()?;
                let set = call.values(&values)?;
                sets.push(Some(set));
                scalars.push(None);
            }
            other if other.calls_volatile() => {
                sets.push(None);
                scalars.push(Some(Scalar::PerRow(other)));
            }
            other => {
                sets.push(None);
                scalars.push(Some(Scalar::Fixed(other.eval(row)?)));
            }
        }
    }
    let n = sets.iter().flatten().map(Vec::len).max().unwrap_or(0);
    (0..n)
        .map(|i| {
            sets.iter()
                .zip(&scalars)
                .map(|(set, scalar)| match (set, scalar) {
                    (Some(values), _) => Ok(values
                        .get(i)
                        .cloned()
                        .unwrap_or(vdb_engine::value::Value::Null)),
                    (None, Some(Scalar::Fixed(v))) => Ok(v.clone()),
                    (None, Some(Scalar::PerRow(e))) => e.eval(row),
                    (None, None) => Ok(vdb_engine::value::Value::Int8(
                        i64::try_from(i + 1).unwrap_or(i64::MAX),
                    )),
                })
                .collect()
        })
        .collect()
}

/// A non-set expression's value on the expanded rows.
enum Scalar<'a> {
    /// The same on every row.
    Fixed(vdb_engine::value::Value),
    /// Evaluated for each row (it calls a volatile function).
    PerRow(&'a Expr),
}
