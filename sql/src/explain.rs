//! EXPLAIN: the optimized plan as its `Display` tree, one row per line of a `QUERY PLAN`
//! column. With ANALYZE the statement also runs (a write changes the root, as in PostgreSQL)
//! and each line gets what its operator did, in PostgreSQL's words: `(actual time=S..T
//! rows=N loops=1)`, where S is the time to the first row and T the total, in milliseconds,
//! both including the operator's inputs; then `Planning Time:` and `Execution Time:` lines.
//! The statistics come from `execution/instrument.rs`, which numbers operators in the order
//! they are built; [`numbered`] says which plan lines those are.

use std::time::{Duration, Instant};

use sqlparser::ast;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::execution::instrument::{self, NodeStats};
use crate::execution::{execute, Outcome};
use crate::planner::{optimize, plan_statement, Plan};

/// The options of one EXPLAIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub analyze: bool,
    /// Actual times per node (ANALYZE only; `TIMING OFF` leaves row counts).
    pub timing: bool,
    /// The Planning Time / Execution Time lines.
    pub summary: bool,
}

/// Reads `EXPLAIN [ANALYZE] [VERBOSE]` and `EXPLAIN (option [value], ...)`.
pub fn options(
    analyze: bool,
    format: Option<&ast::AnalyzeFormat>,
    list: Option<&[ast::UtilityOption]>,
) -> Result<Options> {
    if let Some(format) = format {
        if !matches!(format, ast::AnalyzeFormat::TEXT) {
            return Err(Error::Unsupported(format!("EXPLAIN FORMAT {format}")));
        }
    }
    let mut analyze = analyze;
    let mut timing = None;
    let mut summary = None;
    for option in list.unwrap_or_default() {
        let name = option.name.value.to_lowercase();
        match name.as_str() {
            "analyze" => analyze = flag(&name, option.arg.as_ref())?,
            "timing" => timing = Some(flag(&name, option.arg.as_ref())?),
            "summary" => summary = Some(flag(&name, option.arg.as_ref())?),
            "verbose" | "costs" | "buffers" | "settings" | "wal" => {
                flag(&name, option.arg.as_ref())?;
            }
            "format" => {
                let value = option.arg.as_ref().map(|a| a.to_string().to_lowercase());
                match value.as_deref() {
                    Some("text") => {}
                    Some("json" | "xml" | "yaml") => {
                        return Err(Error::Unsupported(format!(
                            "EXPLAIN FORMAT {}",
                            value.unwrap_or_default().to_uppercase()
                        )))
                    }
                    _ => {
                        return Err(Error::invalid(
                            "22023",
                            format!(
                                "unrecognized value for EXPLAIN option \"format\": \"{}\"",
                                value.unwrap_or_default()
                            ),
                        ))
                    }
                }
            }
            _ => {
                return Err(Error::invalid(
                    "42601",
                    format!("unrecognized EXPLAIN option \"{name}\""),
                ))
            }
        }
    }
    if timing == Some(true) && !analyze {
        return Err(Error::invalid(
            "22023",
            "EXPLAIN option TIMING requires ANALYZE",
        ));
    }
    Ok(Options {
        analyze,
        timing: timing.unwrap_or(true),
        summary: summary.unwrap_or(analyze),
    })
}

/// A boolean option's value: none (true), true/false, on/off, 1/0.
fn flag(name: &str, arg: Option<&ast::Expr>) -> Result<bool> {
    let Some(arg) = arg else {
        return Ok(true);
    };
    let text = match arg {
        ast::Expr::Value(ast::Value::SingleQuotedString(s)) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    };
    match text.as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(Error::invalid(
            "42601",
            format!("{name} requires a Boolean value"),
        )),
    }
}

/// The lines of EXPLAIN `statement` (running it, with ANALYZE).
pub fn explain(
    statement: &ast::Statement,
    options: Options,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<String>> {
    let started = Instant::now();
    let planned = plan_statement(&Catalog::new(root, ns), statement)?;
    let plan = optimize(planned.plan);
    let planning = started.elapsed();
    let text = plan.to_string();
    if !options.analyze {
        return Ok(text.lines().map(str::to_string).collect());
    }
    let flags = numbered(&plan);
    let started = Instant::now();
    let (result, stats) = instrument::collect(
        || execute(plan, root, ns),
        |outcome| match outcome {
            Outcome::Rows(rows) => rows.map(|r| r.map(|_| 1)).sum::<Result<u64>>(),
            Outcome::Affected(_) | Outcome::Done => Ok(0),
        },
    );
    let returned = result?;
    let execution = started.elapsed();
    let mut stats = stats.into_iter();
    let mut lines = Vec::new();
    for (line, counted) in text
        .lines()
        .zip(flags.iter().copied().chain(std::iter::repeat(false)))
    {
        let actual = if counted {
            match stats.next() {
                Some(s) => actual(&s, options.timing),
                None => "(never executed)".into(),
            }
        } else if lines.is_empty() {
            // The statement's own node (a write): the whole execution.
            let whole = NodeStats {
                rows: returned,
                startup: execution,
                total: execution,
                ..NodeStats::default()
            };
            actual(&whole, options.timing)
        } else {
            "(never executed)".into()
        };
        lines.push(format!("{line}  {actual}"));
    }
    if options.summary {
        lines.push(format!("Planning Time: {} ms", millis(planning)));
        lines.push(format!("Execution Time: {} ms", millis(execution)));
    }
    Ok(lines)
}

fn actual(s: &NodeStats, timing: bool) -> String {
    if timing {
        format!(
            "(actual time={}..{} rows={} loops=1)",
            millis(s.startup),
            millis(s.total),
            s.rows
        )
    } else {
        format!("(actual rows={} loops=1)", s.rows)
    }
}

fn millis(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// For each node of `plan` in pre-order (the order of its `Display` lines): whether execution
/// builds it through `query` while statistics are collected. Writes and DDL are not (they run
/// in `execute`), nor are a recursive term's nodes (built round by round while rows flow).
fn numbered(plan: &Plan) -> Vec<bool> {
    fn walk(plan: &Plan, inside_recursive: bool, out: &mut Vec<bool>) {
        let own = !inside_recursive
            && !matches!(
                plan,
                Plan::Insert { .. }
                    | Plan::Update { .. }
                    | Plan::Delete { .. }
                    | Plan::Merge { .. }
                    | Plan::Returning { .. }
                    | Plan::CheckOption { .. }
                    | Plan::SchemaChange(_)
            );
        out.push(own);
        match plan {
            Plan::RecursiveUnion {
                base, recursive, ..
            } => {
                walk(base, inside_recursive, out);
                walk(recursive, true, out);
            }
            _ => {
                for child in plan.children() {
                    walk(child, inside_recursive, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(plan, false, &mut out);
    out
}
