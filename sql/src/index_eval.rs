//! The evaluator of index expressions and partial-index predicates that the engine calls (see
//! `vdb_engine::table::IndexEvaluator`): each SQL text is bound over its table's columns once
//! per schema and then evaluated over rows. [`install`] also registers the constraint verifier
//! the engine's merges call (`vc::verify`).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, Once};

use vdb_engine::table::{IndexEvaluator, Schema};
use vdb_engine::value::Value;

use crate::expr::Expr;
use crate::planner::bind_over_table;

/// Registers the evaluator and the constraint verifier with the engine (once per process; later
/// calls do nothing).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        vdb_engine::table::set_index_evaluator(Box::new(Evaluator::default()));
        vdb_engine::repo::verify::set_constraint_verifier(Box::new(crate::vc::verify::Verifier));
    });
}

/// Bound expressions beyond this many are dropped and bound again when next met.
const CACHE_LIMIT: usize = 1024;

/// A text bound over one list of columns (names and types), which the text's columns resolve
/// against.
struct Bound {
    sql: String,
    columns: Vec<(String, vdb_engine::value::Type)>,
    expr: Arc<Expr>,
}

#[derive(Default)]
struct Evaluator {
    /// By a hash of the text and the columns; entries compared in full on a hit.
    cache: Mutex<HashMap<u64, Vec<Bound>>>,
}

impl Evaluator {
    fn bound(&self, schema: &Schema, sql: &str) -> crate::error::Result<Arc<Expr>> {
        let mut hasher = DefaultHasher::new();
        sql.hash(&mut hasher);
        for column in &schema.columns {
            column.name.hash(&mut hasher);
            column.ty.hash(&mut hasher);
        }
        let key = hasher.finish();
        let same = |b: &Bound| {
            b.sql == sql
                && b.columns.len() == schema.columns.len()
                && b.columns
                    .iter()
                    .zip(&schema.columns)
                    .all(|((name, ty), c)| *name == c.name && *ty == c.ty)
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(&key).and_then(|v| v.iter().find(|b| same(b))) {
            return Ok(found.expr.clone());
        }
        let expr = Arc::new(bind_over_table(schema, sql, "index expression")?.expr);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.entry(key).or_default().push(Bound {
            sql: sql.to_string(),
            columns: schema
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect(),
            expr: expr.clone(),
        });
        Ok(expr)
    }
}

impl IndexEvaluator for Evaluator {
    fn eval(&self, schema: &Schema, sql: &str, row: &[Value]) -> vdb_engine::Result<Value> {
        let value = self.bound(schema, sql).and_then(|expr| expr.eval(row));
        value.map_err(|e| vdb_engine::Error::Evaluation {
            sqlstate: e.sqlstate().to_string(),
            message: e.to_string(),
        })
    }
}
