//! Execution: each plan node becomes an operator, one per file. Query operators are streaming
//! iterators of rows (`Rows`) that own what they read, so rows flow from the prolly-tree scan
//! through filter, project and limit without materializing the table; sort, distinct and the
//! right side of a nested-loop join collect their input. Write operators drain their source,
//! then apply one batch of row changes per table to the transaction's root.

mod aggregate;
mod alter;
mod constraints;
mod ddl;
mod delete;
mod distinct;
mod domain;
mod enum_type;
mod filter;
mod foreign_key;
mod function;
pub(crate) mod hash_join;
mod insert;
pub mod instrument;
mod join;
mod lateral;
mod limit;
mod matview;
mod merge;
mod namespace;
mod ordered_set;
mod project;
mod project_set;
mod recursive;
mod scan;
pub(crate) mod sequence;
mod setop;
mod sort;
mod statistics;
mod trigger;
mod update;
mod values;
mod version;
mod view;
mod window;

pub use constraints::failed_checks;
pub use foreign_key::{check_deferred, missing_parents, with_deferral, Deferral};

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;
use vdb_engine::value::Value;

use crate::error::Result;
use crate::expr::Row;
use crate::planner::{Plan, SchemaChange};

/// A row ordered by `Value::sql_cmp`, column by column: the key of DISTINCT and GROUP BY
/// (NULLs equal to each other).
#[derive(Debug)]
pub struct OrdRow(pub Row);

impl Ord for OrdRow {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| a.sql_cmp(b))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

impl PartialOrd for OrdRow {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for OrdRow {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for OrdRow {}

/// A stream of rows.
pub type Rows = Box<dyn Iterator<Item = Result<Row>>>;

/// What executing a plan gave.
pub enum Outcome {
    /// A query's rows.
    Rows(Rows),
    /// The number of rows a write changed.
    Affected(u64),
    /// DDL done.
    Done,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Rows(_) => f.write_str("Rows"),
            Outcome::Affected(n) => write!(f, "Affected({n})"),
            Outcome::Done => f.write_str("Done"),
        }
    }
}

/// A statement's result rows, collected; 53200 once they outgrow the result memory budget
/// ([`result_memory_limit`]). vdb builds a result in memory before sending it (PostgreSQL
/// streams it), so a query without end, such as a recursive one that never stops, fails
/// here instead of taking the server's memory.
pub fn collect_result(rows: Rows) -> Result<Vec<Row>> {
    let limit = result_memory_limit();
    let mut used = 0usize;
    let mut collected = Vec::new();
    for row in rows {
        let row = row?;
        used = used.saturating_add(row_footprint(&row));
        if used > limit {
            return Err(
                crate::error::Error::invalid("53200", "out of memory").with_detail(format!(
                    "The statement's result needs more than {} MB (vdb.max_result_memory): \
                     vdb builds a result in memory before sending it.",
                    limit >> 20
                )),
            );
        }
        collected.push(row);
    }
    Ok(collected)
}

/// The bytes a result may take: the `vdb.max_result_memory` setting (a size such as `512MB`;
/// a bare number is kB, as in PostgreSQL's memory settings), else a quarter of the machine's
/// memory (at least 256 MB).
pub fn result_memory_limit() -> usize {
    let set = crate::planner::context::snapshot()
        .and_then(|s| s.settings.get("vdb.max_result_memory"))
        .and_then(|text| memory_size(&text));
    set.filter(|n| *n > 0).unwrap_or_else(|| {
        static DEFAULT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *DEFAULT.get_or_init(|| {
            let total = std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|info| {
                    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
                    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
                    kb.checked_mul(1024)
                })
                .unwrap_or(16 << 30);
            (total / 4).max(256 << 20)
        })
    })
}

/// `64MB`, `65536kB`, `1GB` or a bare number of kB, in bytes.
fn memory_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number.parse().ok()?;
    let scale: usize = match unit.trim() {
        "" | "kB" => 1 << 10,
        "B" => 1,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// Roughly the bytes a collected row holds.
fn row_footprint(row: &Row) -> usize {
    fn value(v: &Value) -> usize {
        size_of::<Value>()
            + match v {
                Value::Text(s) => s.len(),
                Value::Bytea(b) => b.len(),
                Value::Numeric(vdb_engine::value::Numeric::Finite(d)) => {
                    usize::try_from(d.digits()).unwrap_or(0) / 2
                }
                Value::Array(a) => a.elements().iter().map(value).sum(),
                _ => 0,
            }
    }
    size_of::<Row>() + row.iter().map(value).sum::<usize>()
}

/// Executes `plan` against `root`, which writes replace.
pub fn execute(plan: Plan, root: &mut RootValue, ns: &NodeStore) -> Result<Outcome> {
    match plan {
        Plan::Returning { source, exprs } => {
            let (written, xmax) = write(*source, root, ns)?;
            // The system columns xmin and xmax follow the row (see `with_returning`).
            let xid = Value::Int8(crate::expr::transaction_id());
            let rows = written
                .into_iter()
                .zip(xmax)
                .map(|(mut row, xmax)| {
                    row.push(xid.clone());
                    row.push(xmax);
                    exprs.iter().map(|e| e.eval(&row)).collect()
                })
                .collect::<Vec<Result<Row>>>();
            Ok(Outcome::Rows(Box::new(rows.into_iter())))
        }
        Plan::Insert { .. }
        | Plan::Update { .. }
        | Plan::Delete { .. }
        | Plan::CheckOption { .. } => Ok(Outcome::Affected(write(plan, root, ns)?.0.len() as u64)),
        Plan::Merge {
            table,
            source,
            source_width,
            arms,
        } => merge::merge(&table, *source, source_width, &arms, root, ns).map(Outcome::Affected),
        Plan::SchemaChange(SchemaChange::CreateTableAs {
            name,
            schema,
            source,
            if_not_exists,
            populate,
        }) => Ok(
            match ddl::create_table_as(&name, schema, *source, if_not_exists, populate, root, ns)? {
                Some(n) => Outcome::Affected(n),
                None => Outcome::Done,
            },
        ),
        Plan::SchemaChange(change) => ddl::schema_change(change, root, ns).map(|()| Outcome::Done),
        query_plan => sequence::rows(query_plan, root, ns).map(Outcome::Rows),
    }
}

/// Runs a write; returns the rows written (new rows; old rows for DELETE).
/// Runs a write; returns the rows it wrote, each with its `xmax`: 0 for a row inserted or
/// updated, the transaction's id for a row an ON CONFLICT DO UPDATE took over (PostgreSQL
/// locks it) or a DELETE removed.
fn write(plan: Plan, root: &mut RootValue, ns: &NodeStore) -> Result<(Vec<Row>, Vec<Value>)> {
    let xid = || Value::Int8(crate::expr::transaction_id());
    match plan {
        Plan::Insert {
            table,
            source,
            on_conflict,
        } => {
            let rows = sequence::rows(*source, root, ns)?;
            let (written, updated) =
                insert::insert_marked(&table, rows, on_conflict.as_ref(), root, ns)?;
            let xmax = updated
                .into_iter()
                .map(|u| if u { xid() } else { Value::Int8(0) })
                .collect();
            Ok((written, xmax))
        }
        Plan::Update {
            table,
            source,
            assignments,
        } => {
            let written =
                update::update(&table, query(*source, root, ns)?, &assignments, root, ns)?;
            let xmax = vec![Value::Int8(0); written.len()];
            Ok((written, xmax))
        }
        Plan::Delete { table, source } => {
            let written = delete::delete(&table, query(*source, root, ns)?, root, ns)?;
            let xmax = vec![xid(); written.len()];
            Ok((written, xmax))
        }
        Plan::CheckOption { source, checks } => {
            let (written, xmax) = write(*source, root, ns)?;
            for row in &written {
                for (view, condition) in &checks {
                    if condition.eval(row)? != Value::Bool(true) {
                        return Err(crate::error::Error::invalid(
                            "44000",
                            format!("new row violates check option for view \"{view}\""),
                        )
                        .with_detail(constraints::failing_row(row)));
                    }
                }
            }
            Ok((written, xmax))
        }
        other => Err(crate::error::Error::invalid(
            "XX000",
            format!(
                "internal error: {} is not a write",
                other.to_string().trim()
            ),
        )),
    }
}

/// Builds the operator tree of a query plan (each operator counted when EXPLAIN ANALYZE
/// collects statistics, `instrument.rs`, and checked for a cancel or timeout, `interrupt.rs`).
pub fn query(plan: Plan, root: &RootValue, ns: &NodeStore) -> Result<Rows> {
    operator(|| build(plan, root, ns))
}

/// One operator of the tree, built by `build`: counted and made interruptible as `query` says.
fn operator(build: impl FnOnce() -> Result<Rows>) -> Result<Rows> {
    crate::interrupt::check()?;
    let Some(node) = instrument::enter() else {
        return build().map(crate::interrupt::wrap);
    };
    let start = std::time::Instant::now();
    let rows = crate::interrupt::wrap(build()?);
    Ok(instrument::wrap(node, rows, start.elapsed()))
}

fn build(plan: Plan, root: &RootValue, ns: &NodeStore) -> Result<Rows> {
    Ok(match plan {
        Plan::Values { rows } => values::values(rows),
        Plan::Fields { rows } => values::fields(rows),
        Plan::Scan {
            table,
            range,
            with_key,
            reverse,
            ..
        } => scan::scan(&table, &range, with_key, reverse, root, ns)?,
        Plan::VersionScan {
            versions, range, ..
        } => version::version_scan(versions, range, ns)?,
        Plan::RowDiff { pairs, key, .. } => version::row_diff(pairs, key, ns)?,
        Plan::Filter { source, predicate } => filter::filter(query(*source, root, ns)?, predicate),
        Plan::Project { source, exprs } => project::project(query(*source, root, ns)?, exprs),
        Plan::ProjectSet { source, exprs } => {
            project_set::project_set(query(*source, root, ns)?, exprs)
        }
        Plan::NestedLoopJoin {
            left,
            right,
            predicate,
            kind,
            left_width,
            right_width,
        } => join::nested_loop(
            query(*left, root, ns)?,
            query(*right, root, ns)?,
            predicate,
            kind,
            (left_width, right_width),
        )?,
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            kind,
            left_width,
            right_width,
        } => hash_join::hash_join(
            query(*left, root, ns)?,
            query(*right, root, ns)?,
            hash_join::HashSpec {
                left_keys,
                right_keys,
                residual,
            },
            kind,
            (left_width, right_width),
        )?,
        Plan::LateralJoin {
            left,
            right,
            predicate,
            kind,
            right_width,
            ..
        } => lateral::lateral(
            query(*left, root, ns)?,
            lateral::Lateral {
                right: *right,
                predicate,
                kind,
                right_width,
            },
            root,
            ns,
        ),
        Plan::Aggregate {
            source,
            group_by,
            sets,
            aggregates,
        } => {
            let fused = match source.as_ref() {
                Plan::Filter { source, predicate } => (source.as_ref(), Some(predicate)),
                scan => (scan, None),
            };
            match aggregate::aggregate_scan(fused, &group_by, &sets, &aggregates, root, ns)? {
                Some(rows) => rows,
                None => {
                    aggregate::aggregate(query(*source, root, ns)?, &group_by, &sets, &aggregates)?
                }
            }
        }
        Plan::Sort { source, keys } => sort::sort(query(*source, root, ns)?, &keys)?,
        Plan::Window { source, calls } => window::window(query(*source, root, ns)?, &calls)?,
        Plan::SetOperation {
            op,
            all,
            left,
            right,
        } => setop::set_operation(op, all, query(*left, root, ns)?, query(*right, root, ns)?)?,
        Plan::Distinct { source } => distinct::distinct(query(*source, root, ns)?),
        Plan::DistinctOn { source, keys } => distinct::distinct_on(query(*source, root, ns)?, keys),
        Plan::Limit {
            source,
            limit: Some(limit),
            offset,
            ties,
            counts: None,
        } if ties.is_empty() => match *source {
            // A sort under a limit keeps only the rows the limit can reach.
            Plan::Sort {
                source: input,
                keys,
            } => {
                let bound = usize::try_from(limit.saturating_add(offset)).unwrap_or(usize::MAX);
                let sorted = operator(|| sort::top_n(query(*input, root, ns)?, &keys, bound))?;
                limit::limit(sorted, Some(limit), offset, ties)
            }
            other => limit::limit(query(other, root, ns)?, Some(limit), offset, ties),
        },
        Plan::Limit {
            source,
            limit,
            offset,
            ties,
            counts,
        } => {
            let (limit, offset) = match counts {
                Some(counts) => limit::evaluate_counts(&counts)?,
                None => (limit, offset),
            };
            limit::limit(query(*source, root, ns)?, limit, offset, ties)
        }
        Plan::RecursiveUnion {
            all,
            base,
            recursive: term,
            slot,
            ..
        } => recursive::recursive_union(all, query(*base, root, ns)?, *term, slot, root, ns),
        Plan::WorkTable { slot, .. } => recursive::work_table(&slot),
        Plan::SharedCte { source, slot, .. } => {
            let mut rows = slot.0.lock().unwrap_or_else(|p| p.into_inner());
            if rows.is_none() {
                *rows = Some(query(*source, root, ns)?.collect::<Result<Vec<_>>>()?);
            }
            let rows = rows.clone().unwrap_or_default();
            Box::new(rows.into_iter().map(Ok))
        }
        other => {
            return Err(crate::error::Error::invalid(
                "XX000",
                format!(
                    "internal error: {} is not a query",
                    other.to_string().trim()
                ),
            ))
        }
    })
}
