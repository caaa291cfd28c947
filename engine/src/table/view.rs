//! A view: a named query stored in the root value beside tables and sequences, so that it is
//! committed, branched, merged and checked out with them. The engine keeps its text and output
//! columns; the SQL layer parses and plans the text each time the view is used.

use serde::{Deserialize, Serialize};

use crate::value::Type;

/// A view's definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// The query, as SQL text.
    pub query: String,
    /// The output columns (names after any column list, and types) as of creation.
    pub columns: Vec<(String, Type)>,
    /// `WITH [LOCAL | CASCADED] CHECK OPTION`. Not part of the encoded view: the root stores
    /// it after its other parts, only when a view has one.
    #[serde(skip)]
    pub check_option: Option<CheckOption>,
}

/// What rows written through a view must satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckOption {
    /// The view's own condition (and those of views below it that have a check option).
    Local,
    /// The view's condition and those of every view below it.
    Cascaded,
}
