//! Foreign keys and CHECK constraints over whole tables, for `vdb_verify_constraints` and for
//! the engine's merges (registered as its `ConstraintVerifier` by `index_eval::install`).

use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::verify::ConstraintVerifier;
use vdb_engine::repo::{ConstraintViolation, ViolationKind};
use vdb_engine::table::RootValue;

use crate::error::{Error, Result};

/// The rows of `tables` (names in `root`) whose foreign key names a missing parent row or that
/// make a CHECK constraint false, as constraint violations. 42P01 for a missing table.
pub fn violations(
    ns: &NodeStore,
    root: &RootValue,
    tables: &[String],
) -> Result<Vec<ConstraintViolation>> {
    let mut found = Vec::new();
    for name in tables {
        let table = root
            .get_table(ns, name)
            .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?
            .ok_or_else(|| Error::UndefinedTable(name.clone()))?;
        let violation =
            |(key, constraint), kind: fn(String) -> ViolationKind| ConstraintViolation {
                table: name.clone(),
                kind: kind(constraint),
                key,
            };
        for hit in crate::execution::missing_parents(name, &table, root, ns)? {
            found.push(violation(hit, |constraint| ViolationKind::ForeignKey {
                constraint,
            }));
        }
        for hit in crate::execution::failed_checks(&table)? {
            found.push(violation(hit, |constraint| ViolationKind::Check {
                constraint,
            }));
        }
    }
    Ok(found)
}

/// The SQL layer's checks, for the engine's merges.
#[derive(Debug)]
pub struct Verifier;

impl ConstraintVerifier for Verifier {
    fn verify(
        &self,
        ns: &NodeStore,
        root: &RootValue,
        tables: &[String],
    ) -> vdb_engine::Result<Vec<ConstraintViolation>> {
        violations(ns, root, tables)
            .map_err(|e| vdb_engine::Error::InvalidInput(format!("checking constraints: {e}")))
    }
}
