//! The planner: turns a parsed statement into a [`Plan`], split by AST family as DataFusion's
//! `sql` crate is (`statement.rs` for DDL and DML, `query.rs` for ORDER BY/LIMIT and VALUES,
//! `select.rs` for the SELECT core, `relation.rs` for FROM, `expr.rs` for binding expressions),
//! then rewrites it with the ordered rules of `optimizer.rs`.

mod aggregate;
mod alter;
mod builtin;
pub(crate) mod constraint;
pub mod context;
pub mod domain;
mod drop_absent;
pub mod enum_type;
mod expr;
mod expression_syntax;
mod frame_exclusion;
mod function;
mod function_ddl;
mod generated;
mod grouped_srf;
mod grouping_sets;
mod join;
mod like;
mod matview;
mod merge;
mod namespace;
mod nested_set;
mod on_conflict;
mod optimizer;
mod plan;
mod query;
mod range;
mod record_function;
mod recursive;
mod relation;
mod schema_change;
mod select;
pub(crate) mod sequence;
mod statement;
mod subquery;
mod system;
mod trigger_ddl;
mod user_function;
mod view;
mod view_dml;
mod window;

pub use aggregate::ROW_MARKER;
pub use alter::AlterTable;
pub use constraint::{bind_check, bind_over_table, expression_part_name, parse_stored};
pub use domain::parse as parse_domain;
pub use expr::{ident_name, Scope, ScopeColumn, Typed};
pub use function_ddl::{
    rewrite_procedure, rewrite_returns as rewrite_function_returns,
    RETURN_PREFIX as FUNCTION_RETURN_PREFIX,
};
pub use generated::{bind_all as bind_generated, display as generation_display};
pub use matview::parse as parse_materialized_view;
pub use merge::rewrite_do_nothing as rewrite_merge_actions;
pub use namespace::ALTER_SCHEMA_MARKER;
pub use on_conflict::{
    rewrite_inference as rewrite_conflict_inference, ConflictAction, ConflictTarget, OnConflict,
};
pub use optimizer::{optimize, RULES};
pub use plan::{
    AggregateCall, AggregateFunction, BitwiseOp, CteSlot, DiffKey, DiffPair, Hypothetical,
    JoinKind, KeyRange, LimitCounts, MergeAction, MergeArm, Plan, Planned, SetOperator, SortKey,
    Statistic, TableVersion, WorkSlot,
};
pub(crate) use query::checked_count;
pub(crate) use recursive::as_query;
pub use schema_change::{DomainChange, SchemaChange, TypeChange};
pub use sequence::nextval_default;
pub use statement::check_storage_parameter_names;
pub use statement::{default_value, plan_statement};
pub use user_function::{
    bind_args as bind_function_args, plan_body_in as plan_function_body, record_text,
};
pub use view::{
    dependencies as view_dependencies, parse_view, rename_column as rename_column_in_view,
    rename_relation as rename_in_view, uses_column as view_uses_column,
};
pub use view_dml::writable_columns as view_writable_columns;
pub use window::{Exclusion, Frame, FrameBound, FrameUnits, WindowCall, WindowFunction};

/// `sql` rewritten into syntax sqlparser reads, for what it does not parse: bare GROUPING SETS
/// elements (parenthesized), window frame EXCLUDE clauses (marker ORDER BY keys) and column
/// definition lists of functions in FROM (marked alias columns), BETWEEN SYMMETRIC and
/// OVERLAPS, COLLATE after a cast (see `expression_syntax`), CREATE SEQUENCE options out of sqlparser's order. `None`
/// when none occurs.
pub fn rewrite_unparsed_syntax(sql: &str) -> Option<String> {
    let sets = grouping_sets::parenthesize_elements(sql);
    let text = sets.as_deref().unwrap_or(sql);
    let frames = frame_exclusion::rewrite(text).or(sets);
    let text = frames.as_deref().unwrap_or(sql);
    let records = record_function::rewrite(text).or(frames);
    let text = records.as_deref().unwrap_or(sql);
    expression_syntax::rewrite(text)
        .or(records)
        .or_else(|| sequence::options_in_parser_order(sql))
        .or_else(|| like::rewrite(sql))
}

/// The value of an expression that names no column (a literal, a cast, `$1` once bound): how
/// the session evaluates the arguments of a version-control procedure.
pub fn eval_constant(
    expr: &sqlparser::ast::Expr,
) -> crate::error::Result<vdb_engine::value::Value> {
    let typed = expr::bind(expr, &Scope::default())?;
    typed.expr.eval(&[])
}
