//! The planner: turns a parsed statement into a [`Plan`], split by AST family as DataFusion's
//! `sql` crate is (`statement.rs` for DDL and DML, `query.rs` for ORDER BY/LIMIT and VALUES,
//! `select.rs` for the SELECT core, `relation.rs` for FROM, `expr.rs` for binding expressions),
//! then rewrites it with the ordered rules of `optimizer.rs`.

mod aggregate;
mod builtin;
mod expr;
mod function;
mod optimizer;
mod plan;
mod query;
mod relation;
mod select;
mod statement;

pub use expr::{ident_name, Scope, ScopeColumn, Typed};
pub use optimizer::{optimize, RULES};
pub use plan::{AggregateCall, AggregateFunction, KeyRange, Plan, Planned, SetOperator, SortKey};
pub use statement::plan_statement;
