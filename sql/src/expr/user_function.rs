//! Calls of user-defined SQL functions ([`vdb_engine::table::Function`]).
//!
//! A call is bound to one overload at plan time (its arguments coerced to the declared types),
//! but the body is planned only when the call first runs: a function may call itself, and its
//! body reads the statement's snapshot like a subquery does. The body's plan names the
//! arguments as the enclosing row ([`super::Expr::Outer`] level 1, see
//! `planner/user_function.rs`); each run binds them to the argument values and executes the
//! plan. The first row of the last statement is a scalar function's value (NULL without rows);
//! a set-returning function's value is all of its rows. Nesting is bounded, as PostgreSQL's
//! `max_stack_depth` bounds it (54001), by the stack the nested calls have used since the
//! outermost one ([`STACK_BUDGET`], well inside the 2 MiB of the smallest threads that run
//! statements) and by a count ([`MAX_DEPTH`]), so that recursion cannot overflow the stack.

use std::cell::Cell;
use std::sync::{Arc, Mutex, OnceLock};

use vdb_engine::table::Function;
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::query;
use crate::planner::Plan;
use crate::system::Snapshot;

/// How deeply calls of user functions may nest (one level per call being evaluated).
pub const MAX_DEPTH: usize = 1000;

/// The bytes of stack nested calls may use below the outermost call.
pub const STACK_BUDGET: usize = 1 << 20;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The stack address of the outermost call being evaluated.
    static BASE: Cell<usize> = const { Cell::new(0) };
}

/// An address on the current stack frame.
fn stack_position() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// Runs `f` one level of function nesting deeper: 54001 when the nesting is too deep (by count
/// or by the stack used since the outermost level).
pub fn nested<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let depth = DEPTH.with(Cell::get);
    let here = stack_position();
    if depth == 0 {
        BASE.with(|b| b.set(here));
    }
    let used = BASE.with(Cell::get).abs_diff(here);
    if depth >= MAX_DEPTH || used > STACK_BUDGET {
        return Err(Error::invalid("54001", "stack depth limit exceeded"));
    }
    DEPTH.with(|d| d.set(depth + 1));
    let result = f();
    DEPTH.with(|d| d.set(depth));
    result
}

/// A bound call of a user-defined function; its arguments are the expression's list.
#[derive(Clone, Debug)]
pub struct UserCall {
    /// The function's root key (`f`, or `s.f`).
    pub name: String,
    pub function: Function,
    pub snapshot: Arc<Snapshot>,
    /// The body's plan (its result columns cast to the declared types), once planned.
    pub plan: Arc<OnceLock<Plan>>,
    /// The result column a call in FROM stands for (`None`: the whole row, a record for a
    /// `RETURNS TABLE` function).
    pub column: Option<usize>,
    /// The rows a PL/pgSQL function in FROM last gave and for which arguments, shared by the
    /// copies of the call that stand for its columns.
    pub given: Arc<Mutex<Option<GivenRows>>>,
}

impl PartialEq for UserCall {
    /// Calls are equal when they call the same function the same way (what they last gave
    /// aside).
    fn eq(&self, other: &UserCall) -> bool {
        self.name == other.name
            && self.function == other.function
            && self.snapshot == other.snapshot
            && self.plan == other.plan
            && self.column == other.column
    }
}

/// A PL/pgSQL call's argument values and the rows the call gave.
pub type GivenRows = (Vec<Value>, Vec<Vec<Value>>);

impl UserCall {
    /// A call of `function` (root key `name`) reading `snapshot`.
    pub fn new(name: String, function: Function, snapshot: Arc<Snapshot>) -> UserCall {
        UserCall {
            name,
            function,
            snapshot,
            plan: Arc::new(OnceLock::new()),
            column: None,
            given: Arc::new(Mutex::new(None)),
        }
    }

    /// Whether the function returns a set of rows.
    pub fn returns_set(&self) -> bool {
        self.function.returns.is_set()
    }

    /// Whether calls with the same arguments may give different results (VOLATILE).
    pub fn is_volatile(&self) -> bool {
        self.function.volatility == vdb_engine::table::Volatility::Volatile
    }

    /// Whether the function is declared IMMUTABLE (what an index expression may call).
    pub fn is_immutable(&self) -> bool {
        self.function.volatility == vdb_engine::table::Volatility::Immutable
    }

    /// The scalar result for argument values `args`: the first row's value.
    pub fn eval(&self, args: &[Value]) -> Result<Value> {
        let rows = self.run(args, Some(1))?;
        match rows.into_iter().next() {
            Some(row) => self.value(row),
            None => Ok(Value::Null),
        }
    }

    /// The values of every row of the result for argument values `args` (none when a STRICT
    /// function gets a NULL argument).
    pub fn values(&self, args: &[Value]) -> Result<Vec<Value>> {
        self.run(args, None)?
            .into_iter()
            .map(|row| self.value(row))
            .collect()
    }

    /// A result row's value: the column the call stands for, else its one column, else (a
    /// `RETURNS TABLE` row) the record.
    fn value(&self, row: Vec<Value>) -> Result<Value> {
        let table = self.function.returns.columns().is_some();
        match (self.column, table) {
            (Some(i), _) => Ok(row.into_iter().nth(i).unwrap_or(Value::Null)),
            (None, true) => crate::planner::record_text(row),
            (None, false) => Ok(row.into_iter().next().unwrap_or(Value::Null)),
        }
    }

    fn run(&self, args: &[Value], limit: Option<usize>) -> Result<Vec<Vec<Value>>> {
        if self.function.strict && args.iter().any(|v| matches!(v, Value::Null)) {
            return Ok(Vec::new());
        }
        if self.is_procedural() {
            return self.run_procedural(args);
        }
        nested(|| self.run_nested(args, limit))
    }

    /// Whether the function is written in PL/pgSQL (and so may write).
    pub fn is_procedural(&self) -> bool {
        self.function.is_plpgsql()
    }

    /// Runs a PL/pgSQL function. A call in FROM stands for one result column per copy of the
    /// call; the first column's copy runs the function and the others take the rows it gave,
    /// so that the code runs once per row of the query, as in PostgreSQL.
    fn run_procedural(&self, args: &[Value]) -> Result<Vec<Vec<Value>>> {
        if self.column.is_some_and(|c| c > 0) {
            let given = self.given.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((for_args, rows)) = given.as_ref() {
                if for_args.as_slice() == args {
                    return Ok(rows.clone());
                }
            }
        }
        let rows = nested(|| crate::plpgsql::function::call(&self.function, args, &self.snapshot))?;
        if self.column.is_some() {
            *self.given.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((args.to_vec(), rows.clone()));
        }
        Ok(rows)
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
