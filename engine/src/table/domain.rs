//! Domain types (`CREATE DOMAIN`): a base type with NOT NULL, a default and CHECK conditions.
//! Values of a domain are held as values of its base type; columns of a domain record its name
//! ([`Column::domain`](super::Column::domain)) so the SQL layer checks each value written.

use serde::{Deserialize, Serialize};

use super::CheckDef;
use crate::value::Type;

/// A domain's definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// The type its values are held as.
    pub base: Type,
    /// Whether NULL is refused.
    pub not_null: bool,
    /// The default as SQL expression text, for columns of the domain without one of their own.
    pub default: Option<String>,
    /// The CHECK conditions over `VALUE`, as SQL text, in creation order.
    pub checks: Vec<CheckDef>,
}
