//! Evaluation of index expressions and partial-index predicates. The engine knows no SQL: the
//! SQL layer registers one [`IndexEvaluator`] per process, and a table whose indexes have
//! expressions or a predicate calls it for each row it indexes. A table without them never
//! does, so the engine alone reads and writes every other table.

use super::schema::Schema;
use crate::error::{Error, Result};
use crate::value::Value;
use std::sync::OnceLock;

/// Computes SQL text over a table's row.
pub trait IndexEvaluator: Send + Sync {
    /// The value of `sql` (an index expression or a partial index's predicate) over `row`, a
    /// row of a table with `schema`. An expression's value has the type its index recorded.
    fn eval(&self, schema: &Schema, sql: &str, row: &[Value]) -> Result<Value>;
}

static EVALUATOR: OnceLock<Box<dyn IndexEvaluator>> = OnceLock::new();

/// Registers the process's evaluator. The first registration wins; later ones are ignored, so
/// every part of a process that opens tables may register the same evaluator.
pub fn set_index_evaluator(evaluator: Box<dyn IndexEvaluator>) {
    // A second registration finds the first in place, which is what it would have installed.
    let _ = EVALUATOR.set(evaluator);
}

/// `sql` over `row` through the registered evaluator.
pub(crate) fn evaluate(schema: &Schema, sql: &str, row: &[Value]) -> Result<Value> {
    match EVALUATOR.get() {
        Some(evaluator) => evaluator.eval(schema, sql, row),
        None => Err(Error::InvalidInput(format!(
            "the index expression {sql} needs the SQL layer to evaluate it"
        ))),
    }
}
