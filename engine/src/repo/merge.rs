//! Three-way merge of two database states (root values) relative to their merge base.
//!
//! Table by table, by name:
//! - the same table on both sides (same chunk address), or changed on one side only: take it,
//!   whatever that side did (changed, created or dropped it);
//! - dropped on one side and changed on the other: a schema conflict; ours is kept;
//! - changed on both sides (or created on both with the same schema): the schema merges first
//!   (`schema_merge`); if it cannot, the table is a schema conflict and keeps ours untouched;
//!   otherwise its rows merge cell by cell (`row_merge`), leaving conflicted rows as ours.
//!
//! Nothing here knows about commits or refs: the repository decides what base, ours and theirs
//! are (a merge, a revert and a cherry-pick differ only in that), and where the result goes.

use super::conflict::{ConflictEntry, ConstraintViolation, SchemaConflict};
use super::row_merge::merge_rows;
use super::schema_merge::merge_schemas;
use crate::error::Result;
use crate::hash::Hash;
use crate::prolly::{Map, NodeStore};
use crate::table::{RootValue, Table};
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};

/// Counters of what a merge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Tables taken whole from one side.
    pub tables_taken: u64,
    /// Tables whose rows were merged because both sides changed them.
    pub tables_merged: u64,
    /// Rows of ours changed by the merge.
    pub rows_applied: u64,
    /// Rows left in conflict.
    pub rows_conflicted: u64,
    /// Table versions rewritten in full because their schema differed from the merged one.
    pub tables_rewritten: u64,
}

/// The result of [`merge_roots`].
#[derive(Clone, Debug)]
pub struct RootMerge {
    /// The merged state: ours with every change of theirs that merged.
    pub root: RootValue,
    /// Table → number of conflicted rows (only tables with conflicts).
    pub conflicts: BTreeMap<String, u64>,
    /// Table → root of its conflict map (the same tables).
    pub conflict_maps: BTreeMap<String, Hash>,
    pub schema_conflicts: Vec<SchemaConflict>,
    pub violations: Vec<ConstraintViolation>,
    pub stats: MergeStats,
}

impl RootMerge {
    /// Whether nothing needs resolving.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty() && self.schema_conflicts.is_empty() && self.violations.is_empty()
    }
}

/// Merges `theirs` into `ours`, relative to `base`.
pub fn merge_roots(
    ns: &NodeStore,
    base: &RootValue,
    ours: &RootValue,
    theirs: &RootValue,
) -> Result<RootMerge> {
    let mut out = RootMerge {
        root: ours.clone(),
        conflicts: BTreeMap::new(),
        conflict_maps: BTreeMap::new(),
        schema_conflicts: Vec::new(),
        violations: Vec::new(),
        stats: MergeStats::default(),
    };
    let names: BTreeSet<&str> = base
        .table_names()
        .chain(ours.table_names())
        .chain(theirs.table_names())
        .collect();
    for name in names {
        let (b, o, t) = (
            base.table_addr(name),
            ours.table_addr(name),
            theirs.table_addr(name),
        );
        if o == t || b == t {
            continue;
        }
        if b == o {
            take_theirs(ns, &mut out, name, t)?;
            continue;
        }
        match (o, t) {
            (Some(o), Some(t)) => merge_table(ns, &mut out, name, b, o, t)?,
            (None, _) => schema_conflict(
                &mut out,
                name,
                "dropped on our side and changed on theirs",
                b,
                o,
                t,
            ),
            (_, None) => schema_conflict(
                &mut out,
                name,
                "changed on our side and dropped on theirs",
                b,
                o,
                t,
            ),
        }
    }
    merge_sequences(&mut out.root, base, ours, theirs);
    merge_views(&mut out.root, base, ours, theirs);
    merge_types(&mut out.root, base, ours, theirs);
    merge_domains(&mut out.root, base, ours, theirs);
    merge_functions(&mut out.root, base, ours, theirs);
    merge_namespaces(&mut out.root, base, ours, theirs);
    Ok(out)
}

/// For merging concurrent SQL transactions rather than branches: the first row (table and key)
/// that both `ours` and `theirs` changed from `base`, whatever they changed it to. Between
/// branches a cell-level merge is right (two fixes of different cells, or the same fix made
/// twice, combine); between transactions it would lose an update (each added 63 to one balance,
/// or one set a label while the other, having read the old label, set its score from it), so
/// the caller fails the later transaction as PostgreSQL's repeatable read does. Costs a diff of
/// each table both sides changed, so it follows the number of changes.
pub fn row_changed_by_both(
    ns: &NodeStore,
    base: &RootValue,
    ours: &RootValue,
    theirs: &RootValue,
) -> Result<Option<(String, Bytes)>> {
    for name in ours.table_names() {
        let (Some(b), Some(o), Some(t)) = (
            base.table_addr(name),
            ours.table_addr(name),
            theirs.table_addr(name),
        ) else {
            continue;
        };
        if b == o || b == t {
            continue;
        }
        let rows = |addr: Hash| -> Result<Map> { Ok(Table::load(ns, addr)?.rows().clone()) };
        let base_rows = rows(b)?;
        let ours_changes = base_rows.diff(&rows(o)?);
        let mut theirs_changes = base_rows.diff(&rows(t)?).peekable();
        for change in ours_changes {
            let change = change?;
            while let Some(Ok(next)) = theirs_changes.peek() {
                if next.key() >= change.key() {
                    break;
                }
                theirs_changes.next();
            }
            match theirs_changes.peek() {
                Some(Ok(next)) if next.key() == change.key() => {
                    return Ok(Some((name.to_string(), change.key().clone())));
                }
                Some(Err(_)) => {
                    if let Some(Err(e)) = theirs_changes.next() {
                        return Err(e);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(None)
}

/// Sequences merge by name: a side that changed one wins over a side that did not; when both
/// advanced it, the merged sequence is the one further along (`Sequence::further`), so no value
/// handed out on either branch is handed out again. A sequence dropped on one side and changed on
/// the other is kept.
fn merge_sequences(out: &mut RootValue, base: &RootValue, ours: &RootValue, theirs: &RootValue) {
    let names: BTreeSet<String> = base
        .sequence_names()
        .chain(ours.sequence_names())
        .chain(theirs.sequence_names())
        .map(str::to_string)
        .collect();
    for name in names {
        let (b, o, t) = (
            base.get_sequence(&name),
            ours.get_sequence(&name),
            theirs.get_sequence(&name),
        );
        if o == t || b == t {
            continue;
        }
        let merged = match (b == o, o, t) {
            (true, _, None) => None,
            (true, _, Some(t)) | (false, None, Some(t)) => Some(t.clone()),
            (false, Some(o), Some(t)) => Some(o.further(t).clone()),
            (false, Some(o), None) => Some(o.clone()),
            (false, None, None) => None,
        };
        match merged {
            Some(seq) => out.put_sequence(&name, seq),
            None => {
                out.remove_sequence(&name);
            }
        }
    }
}

/// Views merge by name: a side that changed (created, replaced or dropped) one wins over a side
/// that did not; when both changed it differently, ours is kept.
fn merge_views(out: &mut RootValue, base: &RootValue, ours: &RootValue, theirs: &RootValue) {
    merge_by_name(
        out,
        [base, ours, theirs],
        |root| root.view_names().map(str::to_string).collect(),
        RootValue::get_view,
        RootValue::put_view,
        RootValue::remove_view,
    );
}

/// Enum types merge by name as views do.
fn merge_types(out: &mut RootValue, base: &RootValue, ours: &RootValue, theirs: &RootValue) {
    merge_by_name(
        out,
        [base, ours, theirs],
        |root| root.type_names().map(str::to_string).collect(),
        RootValue::get_type,
        RootValue::put_type,
        RootValue::remove_type,
    );
}

/// Domains merge by name as views do.
fn merge_domains(out: &mut RootValue, base: &RootValue, ours: &RootValue, theirs: &RootValue) {
    merge_by_name(
        out,
        [base, ours, theirs],
        |root| root.domain_names().map(str::to_string).collect(),
        RootValue::get_domain,
        RootValue::put_domain,
        RootValue::remove_domain,
    );
}

/// Functions merge by name (all overloads of a name together) as views do.
fn merge_functions(out: &mut RootValue, base: &RootValue, ours: &RootValue, theirs: &RootValue) {
    merge_by_name(
        out,
        [base, ours, theirs],
        |root| root.function_names().map(str::to_string).collect(),
        RootValue::get_functions,
        RootValue::put_functions,
        RootValue::remove_functions,
    );
}

/// Merges objects kept whole under a name: for each name, theirs wins where only they changed
/// it (created, replaced or dropped); `out` starts as ours, so everything else stays.
fn merge_by_name<T: Clone + PartialEq>(
    out: &mut RootValue,
    [base, ours, theirs]: [&RootValue; 3],
    names: impl Fn(&RootValue) -> BTreeSet<String>,
    get: for<'a> fn(&'a RootValue, &str) -> Option<&'a T>,
    put: fn(&mut RootValue, &str, T),
    remove: fn(&mut RootValue, &str) -> Option<T>,
) {
    let mut all = names(base);
    all.extend(names(ours));
    all.extend(names(theirs));
    for name in all {
        let (b, o, t) = (get(base, &name), get(ours, &name), get(theirs, &name));
        if b != o || o == t {
            continue;
        }
        match t {
            Some(value) => put(out, &name, value.clone()),
            None => {
                remove(out, &name);
            }
        }
    }
}

/// Schemas merge by name: a side that created or dropped one wins over a side that did not. A
/// schema dropped on one side keeps any table the other side added to it (the table's key still
/// names it), so the schema stays when a merged object needs it.
fn merge_namespaces(out: &mut RootValue, base: &RootValue, ours: &RootValue, theirs: &RootValue) {
    let names: BTreeSet<String> = base
        .schema_names()
        .chain(ours.schema_names())
        .chain(theirs.schema_names())
        .map(str::to_string)
        .collect();
    for name in names {
        let (b, o, t) = (
            base.has_schema(&name),
            ours.has_schema(&name),
            theirs.has_schema(&name),
        );
        let keep = if b == o { t } else { o };
        let prefix = format!("{name}.");
        let used = out
            .table_names()
            .chain(out.view_names())
            .chain(out.sequence_names())
            .chain(out.type_names())
            .chain(out.function_names())
            .chain(out.domain_names())
            .any(|k| k.starts_with(&prefix));
        if keep || used {
            out.put_schema(&name);
        } else {
            out.remove_schema(&name);
        }
    }
}

fn take_theirs(ns: &NodeStore, out: &mut RootMerge, name: &str, t: Option<Hash>) -> Result<()> {
    out.stats.tables_taken += 1;
    match t {
        Some(addr) => out.root.put_table(name, &Table::load(ns, addr)?),
        None => {
            out.root.remove_table(name);
            Ok(())
        }
    }
}

fn schema_conflict(
    out: &mut RootMerge,
    name: &str,
    description: &str,
    base: Option<Hash>,
    ours: Option<Hash>,
    theirs: Option<Hash>,
) {
    out.schema_conflicts.push(SchemaConflict {
        table: name.to_string(),
        description: format!("table {name} was {description}"),
        base,
        ours,
        theirs,
    });
}

/// Both sides changed table `name`: merge its schema, then its rows.
fn merge_table(
    ns: &NodeStore,
    out: &mut RootMerge,
    name: &str,
    b: Option<Hash>,
    o: Hash,
    t: Hash,
) -> Result<()> {
    let base = b.map(|addr| Table::load(ns, addr)).transpose()?;
    let ours = Table::load(ns, o)?;
    let theirs = Table::load(ns, t)?;
    let merged = match merge_schemas(
        base.as_ref().map(Table::schema),
        ours.schema(),
        theirs.schema(),
    ) {
        Ok(merged) => merged,
        Err(description) => {
            out.schema_conflicts.push(SchemaConflict {
                table: name.to_string(),
                description,
                base: b,
                ours: Some(o),
                theirs: Some(t),
            });
            return Ok(());
        }
    };
    let rows = merge_rows(name, base.as_ref(), &ours, &theirs, &merged)?;
    out.stats.tables_merged += 1;
    out.stats.rows_applied += rows.applied;
    out.stats.tables_rewritten += rows.rewritten;
    out.root.put_table(name, &rows.table)?;
    out.violations.extend(rows.violations);
    if !rows.conflicts.is_empty() {
        let count = rows.conflicts.len() as u64;
        out.stats.rows_conflicted += count;
        out.conflicts.insert(name.to_string(), count);
        let map = conflict_map(ns, &rows.conflicts)?;
        out.conflict_maps.insert(name.to_string(), map.root());
    }
    Ok(())
}

/// Builds a conflict map from entries in key order.
fn conflict_map(ns: &NodeStore, entries: &[ConflictEntry]) -> Result<Map> {
    Map::build(
        ns,
        entries.iter().map(|e| (e.key.clone(), e.encode_value())),
    )
}

#[cfg(test)]
mod sequence_tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::table::Sequence;
    use std::sync::Arc;

    fn advanced(seq: &Sequence, to: i64) -> Sequence {
        let mut s = seq.clone();
        s.set(to, true);
        s
    }

    #[test]
    fn sequences_merge_one_sided_changes_and_keep_the_further_value() {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let seq = Sequence::new("integer", 1, 1, 1, 1000);
        let mut base = RootValue::empty();
        base.put_sequence("both", seq.clone());
        base.put_sequence("ours_only", seq.clone());
        base.put_sequence("theirs_only", seq.clone());
        base.put_sequence("dropped", seq.clone());
        let mut ours = base.clone();
        let mut theirs = base.clone();
        ours.put_sequence("both", advanced(&seq, 5));
        theirs.put_sequence("both", advanced(&seq, 9));
        ours.put_sequence("ours_only", advanced(&seq, 3));
        theirs.put_sequence("theirs_only", advanced(&seq, 4));
        theirs.remove_sequence("dropped");
        theirs.put_sequence("new", seq);
        let merged = merge_roots(&ns, &base, &ours, &theirs).unwrap();
        assert!(merged.is_clean());
        let value = |name: &str| merged.root.get_sequence(name).map(|s| s.last_value);
        assert_eq!(value("both"), Some(9));
        assert_eq!(value("ours_only"), Some(3));
        assert_eq!(value("theirs_only"), Some(4));
        assert_eq!(value("dropped"), None);
        assert_eq!(value("new"), Some(1));
        // Symmetric: merging the other way keeps the same further value.
        let back = merge_roots(&ns, &base, &theirs, &ours).unwrap();
        assert_eq!(
            back.root.get_sequence("both").map(|s| s.last_value),
            Some(9)
        );
    }
}

#[cfg(test)]
mod type_tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::table::EnumType;
    use std::sync::Arc;

    fn labels(labels: &[&str]) -> EnumType {
        EnumType::new(labels.iter().map(|l| l.to_string()).collect())
    }

    #[test]
    fn enum_types_merge_one_sided_changes_and_keep_ours_when_both_changed() {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let mut base = RootValue::empty();
        base.put_type("both", labels(&["a"]));
        base.put_type("theirs_only", labels(&["a"]));
        base.put_type("dropped", labels(&["a"]));
        let mut ours = base.clone();
        let mut theirs = base.clone();
        ours.put_type("both", labels(&["a", "b"]));
        theirs.put_type("both", labels(&["a", "c"]));
        theirs.put_type("theirs_only", labels(&["z", "a"]));
        theirs.remove_type("dropped");
        theirs.put_type("new", labels(&["x"]));
        let merged = merge_roots(&ns, &base, &ours, &theirs).unwrap();
        let get = |name: &str| merged.root.get_type(name).map(|t| t.labels.join(","));
        assert_eq!(get("both").as_deref(), Some("a,b"));
        assert_eq!(get("theirs_only").as_deref(), Some("z,a"));
        assert_eq!(get("dropped"), None);
        assert_eq!(get("new").as_deref(), Some("x"));
    }
}
