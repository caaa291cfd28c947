//! Foreign keys and CHECK constraints after a merge. The engine knows no SQL: it finds UNIQUE
//! and NOT NULL violations itself (`row_merge`), and the SQL layer registers one
//! [`ConstraintVerifier`] per process for the rest. A three-way merge calls it only for the
//! tables whose merged state neither side had: for a CHECK, a table whose merged rows differ
//! from both sides'; for a foreign key, a table whose rows together with its parents' differ
//! from both sides' (one side's new child and the other side's deleted parent). Each side was
//! valid on its own, so a table whose state, parents included, is one side's needs no check.

use super::conflict::ConstraintViolation;
use crate::error::Result;
use crate::prolly::NodeStore;
use crate::table::RootValue;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Checks tables' rows against their foreign keys and CHECK constraints.
pub trait ConstraintVerifier: Send + Sync {
    /// The rows of `tables` (names in `root`) that break a foreign key or a CHECK constraint.
    fn verify(
        &self,
        ns: &NodeStore,
        root: &RootValue,
        tables: &[String],
    ) -> Result<Vec<ConstraintViolation>>;
}

static VERIFIER: OnceLock<Box<dyn ConstraintVerifier>> = OnceLock::new();

/// Registers the process's verifier (the first registration wins).
pub fn set_constraint_verifier(verifier: Box<dyn ConstraintVerifier>) {
    let _ = VERIFIER.set(verifier);
}

/// The tables of `merged` a verifier must check (see the module docs).
pub fn tables_to_verify(
    ns: &NodeStore,
    ours: &RootValue,
    theirs: &RootValue,
    merged: &RootValue,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for name in merged.table_names() {
        let Some(table) = merged.get_table(ns, name)? else {
            continue;
        };
        let schema = table.schema();
        if schema.checks.is_empty() && schema.foreign_keys.is_empty() {
            continue;
        }
        // The table and, for its foreign keys, its parents: the state its constraints read.
        let mut read: BTreeSet<&str> = BTreeSet::from([name]);
        read.extend(schema.foreign_keys.iter().map(|fk| fk.ref_table.as_str()));
        let same_as = |side: &RootValue| {
            read.iter()
                .all(|t| side.table_addr(t) == merged.table_addr(t))
        };
        if !same_as(ours) && !same_as(theirs) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// What the registered verifier finds in `tables` of `merged`; nothing without a verifier (an
/// engine used without the SQL layer) or without tables.
pub fn verify_merged(
    ns: &NodeStore,
    merged: &RootValue,
    tables: &[String],
) -> Result<Vec<ConstraintViolation>> {
    match VERIFIER.get() {
        Some(verifier) if !tables.is_empty() => verifier.verify(ns, merged, tables),
        _ => Ok(Vec::new()),
    }
}
