//! Calls of user-defined SQL functions ([`vdb_engine::table::Function`]).
//!
//! A call is bound to one overload at plan time (its arguments coerced to the declared types),
//! but the body is planned only when the call first runs: a function may call itself, and its
//! body reads the statement's snapshot like a subquery does. The body's plan names the
//! arguments as the enclosing row ([`super::Expr::Outer`] level 1, see
//! `planner/user_function.rs`); each run binds them to the argument values and executes the
//! plan. The first row of the last statement is a scalar function's value (NULL without rows);
//! a set-returning function's value is all of its rows. Nesting is bounded ([`MAX_DEPTH`],
//! PostgreSQL's 54001) so that recursion cannot overflow the stack.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use vdb_engine::table::Function;
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::query;
use crate::planner::Plan;
use crate::system::Snapshot;

/// How deeply calls of user functions may nest (one level per call being evaluated).
pub const MAX_DEPTH: usize = 48;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// A bound call of a user-defined function; its arguments are the expression's list.
#[derive(Clone, Debug, PartialEq)]
pub struct UserCall {
    /// The function's root key (`f`, or `s.f`).
    pub name: String,
    pub function: Function,
    pub snapshot: Arc<Snapshot>,
    /// The body's plan (its result columns cast to the declared types), once planned.
    pub plan: Arc<OnceLock<Plan>>,
}

impl UserCall {
    /// A call of `function` (root key `name`) reading `snapshot`.
    pub fn new(name: String, function: Function, snapshot: Arc<Snapshot>) -> UserCall {
        UserCall {
            name,
            function,
            snapshot,
            plan: Arc::new(OnceLock::new()),
        }
    }

    /// Whether the function returns a set of rows.
    pub fn returns_set(&self) -> bool {
        use vdb_engine::table::FunctionReturns as R;
        matches!(self.function.returns, R::SetOf(_) | R::Table(_))
    }

    /// Whether calls with the same arguments may give different results (VOLATILE).
    pub fn is_volatile(&self) -> bool {
        self.function.volatility == vdb_engine::table::Volatility::Volatile
    }

    /// The scalar result for argument values `args`: the first column of the first row.
    pub fn eval(&self, args: &[Value]) -> Result<Value> {
        let rows = self.run(args, Some(1))?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or(Value::Null))
    }

    /// Every row of the result for argument values `args` (none when a STRICT function gets a
    /// NULL argument).
    pub fn rows(&self, args: &[Value]) -> Result<Vec<Vec<Value>>> {
        self.run(args, None)
    }

    fn run(&self, args: &[Value], limit: Option<usize>) -> Result<Vec<Vec<Value>>> {
        if self.function.strict && args.iter().any(|v| matches!(v, Value::Null)) {
            return Ok(Vec::new());
        }
        let depth = DEPTH.with(Cell::get);
        if depth >= MAX_DEPTH {
            return Err(Error::invalid("54001", "stack depth limit exceeded"));
        }
        DEPTH.with(|d| d.set(depth + 1));
        let result = self.run_nested(args, limit);
        DEPTH.with(|d| d.set(depth));
        result
    }

    fn run_nested(&self, args: &[Value], limit: Option<usize>) -> Result<Vec<Vec<Value>>> {
        let plan = match self.plan.get() {
            Some(plan) => plan.clone(),
            None => {
                let plan = crate::planner::plan_function_body(
                    &self.name,
                    &self.function,
                    self.snapshot.clone(),
                )?;
                let _ = self.plan.set(plan.clone());
                plan
            }
        };
        let bound = crate::planner::bind_function_args(plan, args);
        let rows = query(bound, &self.snapshot.root, &self.snapshot.ns)?;
        match limit {
            Some(n) => rows.take(n).collect(),
            None => rows.collect(),
        }
    }
}
