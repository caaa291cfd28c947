//! An enum type: a named, ordered list of labels stored in the root value beside tables, views
//! and sequences, so that it is committed, branched, merged and checked out with them. Columns of
//! the type ([`crate::value::Type::Enum`]) hold labels as text; the order of the labels here is
//! the order in which values of the type compare and sort.

use serde::{Deserialize, Serialize};

/// An enum type's definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    /// The labels, in sort order.
    pub labels: Vec<String>,
}

impl EnumType {
    /// The type with `labels`, in that order.
    pub fn new(labels: Vec<String>) -> EnumType {
        EnumType { labels }
    }

    /// The position of `label` in sort order, if it is one of the type's labels.
    pub fn position(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }
}
