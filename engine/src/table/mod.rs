//! Tables and the root value.
//!
//! A table is a [`Schema`] (columns with stable ids, primary key, indexes, constraints) plus its
//! primary prolly map (encoded primary key → encoded row) plus one map per secondary index
//! (encoded index columns followed by the primary key → nothing). Tables without a primary key
//! get a hidden 16-byte row id as their key. A [`RootValue`] maps table names to table chunks and
//! sequence names to [`Sequence`]s, view names to [`View`]s, type names to [`EnumType`]s, domain names to
//! [`Domain`]s and function names to their [`Overloads`], and is itself a chunk: its address names a whole
//! database state, which is what working sets and commits record.

mod domain;
mod enum_type;
mod function;
mod index_expr;
mod root;
mod schema;
mod sequence;
#[allow(clippy::module_inception)]
mod table;
mod view;

pub use domain::Domain;
pub use enum_type::EnumType;
pub use function::{Function, FunctionArg, FunctionReturns, Overloads, Volatility, PLPGSQL_MARKER};
pub use index_expr::{set_index_evaluator, IndexEvaluator};
pub use root::{qualified, split_qualified, RootValue, PUBLIC_SCHEMA};
pub use schema::{
    CheckDef, Column, Comments, FkAction, ForeignKeyDef, IndexDef, IndexExpr, Materialized, Schema,
    TriggerDef, TriggerEvent, INDEX_DESC, INDEX_NULLS_FIRST,
};
pub use sequence::{Identity, Sequence};
pub use table::{
    ColumnSelection, IndexKeys, PrefixRanges, RowChange, Table, TableLoader, HIDDEN_KEY_LEN,
};
pub use view::{CheckOption, View};
