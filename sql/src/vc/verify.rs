//! Foreign keys and CHECK constraints over whole tables, for `vdb_verify_constraints` and for
//! the engine's merges (registered as its `ConstraintVerifier` by `index_eval::install`).

use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::verify::ConstraintVerifier;
use vdb_engine::repo::{ConstraintViolation, Repository, ViolationKind};
use vdb_engine::table::RootValue;

use super::vc_error;
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

/// Checks `tables` (none: every table) of branch `branch`'s working root and, with `record`,
/// records what breaks them as the working set's constraint violations, replacing what an
/// earlier check recorded for those tables (`vdb_verify_constraints`, `vdb constraints verify`).
pub fn verify_branch(
    repo: &Repository,
    branch: &str,
    tables: &[String],
    record: bool,
) -> Result<Vec<ConstraintViolation>> {
    let root = repo.working_root(branch).map_err(vc_error)?;
    let tables: Vec<String> = if tables.is_empty() {
        root.table_names().map(str::to_string).collect()
    } else {
        tables.to_vec()
    };
    let found = violations(repo.node_store(), &root, &tables)?;
    if record {
        repo.record_verified_violations(branch, &tables, found.clone())
            .map_err(vc_error)?;
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
