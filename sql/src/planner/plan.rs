//! The plan tree: what a statement will do, with every name resolved and every expression bound.
//! Query nodes produce rows; write nodes consume a query node and change the transaction's root.
//! `Display` renders the tree as EXPLAIN prints it, one node per line, children indented.

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use vdb_engine::table::Schema;
use vdb_engine::value::{Type, Value};

use crate::expr::Expr;
use crate::planner::on_conflict::OnConflict;
use crate::planner::schema_change::SchemaChange;
use crate::planner::window::WindowCall;

/// Which primary-key entries a scan reads (tables whose primary key is one column).
#[derive(Clone, Debug, PartialEq)]
pub enum KeyRange {
    /// Every row.
    All,
    /// The one row whose key equals the value.
    Point(Value),
    /// Rows whose key lies between the bounds.
    Range(Bound<Value>, Bound<Value>),
    /// Rows whose leading primary-key columns (`index` None) or leading columns of the
    /// secondary index named `index` equal one of `prefixes` (all of one length); only a
    /// plain scan has this.
    Prefix {
        index: Option<String>,
        prefixes: Vec<Vec<Value>>,
    },
}

/// One ORDER BY key over the input row.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFunction {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    /// `array_agg(x [ORDER BY ...])`: every input, NULLs included; of array inputs
    /// (`arrays`), an array of one more dimension.
    ArrayAgg {
        arrays: bool,
    },
    /// `bool_and` / `every`, `bool_or`.
    BoolAnd,
    BoolOr,
    /// `bit_and`, `bit_or`, `bit_xor` of integers.
    Bitwise(BitwiseOp),
    /// `json_agg(x)` / `jsonb_agg(x)`: the inputs' json texts as one json array.
    JsonAgg,
    JsonbAgg,
    /// Ordered-set aggregates: `f(direct args) WITHIN GROUP (ORDER BY x)`.
    PercentileCont,
    PercentileDisc,
    Mode,
    /// Hypothetical-set aggregates: `rank(v) WITHIN GROUP (ORDER BY x)` and its kin, where the
    /// hypothetical row `v` (the direct argument) would sort among the group's inputs.
    Hypothetical(Hypothetical),
    /// `grouping(a, b, ...)`: the bit mask of the named keys absent from the row's grouping
    /// set (the first argument the most significant bit). Its `direct_args` are the keys'
    /// positions as Int4 literals; it has no argument.
    Grouping,
    /// Variance, standard deviation, covariance, correlation, regression (`statistics.rs`).
    Statistic(Statistic),
    /// `json[b]_object_agg(key, value)`: its argument is the array `[key text, value json]`.
    JsonObjectAgg {
        jsonb: bool,
    },
}

/// Which hypothetical-set aggregate (see [`AggregateFunction::Hypothetical`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hypothetical {
    /// 1 + the inputs sorting before the hypothetical row (bigint).
    Rank,
    /// 1 + the distinct inputs sorting before it (bigint).
    DenseRank,
    /// (rank - 1) / the inputs (double precision).
    PercentRank,
    /// (the inputs sorting before or with it, + 1) / (the inputs + 1) (double precision).
    CumeDist,
}

/// The operator a bitwise aggregate folds its inputs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitwiseOp {
    And,
    Or,
    Xor,
}

/// A statistical aggregate. The pair ones take `(y, x)`, their argument the array `[y, x]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    VarPop,
    VarSamp,
    StddevPop,
    StddevSamp,
    CovarPop,
    CovarSamp,
    Corr,
    RegrCount,
    RegrSxx,
    RegrSyy,
    RegrSxy,
    RegrAvgx,
    RegrAvgy,
    RegrR2,
    RegrSlope,
    RegrIntercept,
}

impl Statistic {
    /// The statistic a function name stands for.
    pub fn from_name(name: &str) -> Option<Statistic> {
        use Statistic::*;
        Some(match name {
            "var_pop" => VarPop,
            "var_samp" | "variance" => VarSamp,
            "stddev_pop" => StddevPop,
            "stddev_samp" | "stddev" => StddevSamp,
            "covar_pop" => CovarPop,
            "covar_samp" => CovarSamp,
            "corr" => Corr,
            "regr_count" => RegrCount,
            "regr_sxx" => RegrSxx,
            "regr_syy" => RegrSyy,
            "regr_sxy" => RegrSxy,
            "regr_avgx" => RegrAvgx,
            "regr_avgy" => RegrAvgy,
            "regr_r2" => RegrR2,
            "regr_slope" => RegrSlope,
            "regr_intercept" => RegrIntercept,
            _ => return None,
        })
    }

    /// Whether it takes (y, x) pairs.
    pub fn is_pair(self) -> bool {
        !matches!(
            self,
            Statistic::VarPop | Statistic::VarSamp | Statistic::StddevPop | Statistic::StddevSamp
        )
    }
}

/// One aggregate call: its function, its argument over the input row, and its result type.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    pub function: AggregateFunction,
    pub arg: Option<Expr>,
    pub ty: Type,
    /// `count(DISTINCT x)`: each distinct non-NULL argument counts once.
    pub distinct: bool,
    /// `array_agg(x ORDER BY k)`: the order of the inputs (empty: input order).
    pub order_by: Vec<SortKey>,
    /// `agg(...) FILTER (WHERE c)`: only rows for which `c` is true are aggregated.
    pub filter: Option<Expr>,
    /// An ordered-set aggregate's direct arguments (the fraction of `percentile_cont(0.5)`),
    /// constant over the group.
    pub direct_args: Vec<Expr>,
}

/// One version of a table that a [`Plan::VersionScan`] or [`Plan::RowDiff`] reads.
#[derive(Clone, Debug, PartialEq)]
pub struct TableVersion {
    /// The table chunk (`None`: the table does not exist in this version).
    pub table: Option<vdb_engine::Hash>,
    /// For each output column, its position in this version's rows (`None`: NULL).
    pub columns: Vec<Option<usize>>,
    /// The values that follow this version's columns in each row.
    pub tags: Vec<Value>,
}

/// Where a [`Plan::RowDiff`]'s output holds the table's single-column primary key: its
/// position among the `to` columns and among the `from` columns, and its type.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffKey {
    pub to: Option<usize>,
    pub from: Option<usize>,
    pub ty: Type,
}

/// The two versions a [`Plan::RowDiff`] compares.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffPair {
    pub from: TableVersion,
    pub to: TableVersion,
}

/// Which unmatched rows a join keeps (padded with NULLs on the other side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

impl JoinKind {
    /// Whether unmatched left rows are kept.
    pub fn keeps_left(self) -> bool {
        matches!(self, JoinKind::Left | JoinKind::Full)
    }

    /// Whether unmatched right rows are kept.
    pub fn keeps_right(self) -> bool {
        matches!(self, JoinKind::Right | JoinKind::Full)
    }

    fn label(self) -> &'static str {
        match self {
            JoinKind::Inner => "",
            JoinKind::Left => "Left",
            JoinKind::Right => "Right",
            JoinKind::Full => "Full",
        }
    }
}

/// A set operation between two queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOperator {
    Union,
    Intersect,
    Except,
}

/// One `WHEN [NOT] MATCHED [AND predicate] THEN action` clause of a MERGE, its expressions
/// over the joined row (see [`Plan::Merge`]).
#[derive(Clone, Debug, PartialEq)]
pub struct MergeArm {
    pub matched: bool,
    pub predicate: Option<Expr>,
    pub action: MergeAction,
}

/// What a MERGE clause does to its row.
#[derive(Clone, Debug, PartialEq)]
pub enum MergeAction {
    /// `UPDATE SET`: the target column positions and their new values.
    Update(Vec<(usize, Expr)>),
    Delete,
    /// `INSERT`: the new row, every column of the table in order.
    Insert(Vec<Expr>),
    /// `DO NOTHING`.
    Nothing,
}

/// The LIMIT and OFFSET expressions of a [`Plan::Limit`] whose counts are known only per row of
/// an enclosing query.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitCounts {
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

/// The inputs of a plan node, by reference or by mutable reference (the one match serves
/// [`Plan::children`] and [`Plan::children_mut`]).
macro_rules! plan_inputs {
    ($plan:expr) => {
        match $plan {
            Plan::Filter { source, .. }
            | Plan::Project { source, .. }
            | Plan::ProjectSet { source, .. }
            | Plan::Sort { source, .. }
            | Plan::Distinct { source }
            | Plan::DistinctOn { source, .. }
            | Plan::Aggregate { source, .. }
            | Plan::Window { source, .. }
            | Plan::Limit { source, .. }
            | Plan::Insert { source, .. }
            | Plan::Update { source, .. }
            | Plan::Delete { source, .. }
            | Plan::Merge { source, .. }
            | Plan::SharedCte { source, .. }
            | Plan::Returning { source, .. }
            | Plan::CheckOption { source, .. } => vec![source],
            Plan::NestedLoopJoin { left, right, .. }
            | Plan::HashJoin { left, right, .. }
            | Plan::LateralJoin { left, right, .. }
            | Plan::SetOperation { left, right, .. } => {
                vec![left, right]
            }
            Plan::RecursiveUnion {
                base, recursive, ..
            } => vec![base, recursive],
            _ => Vec::new(),
        }
    };
}

/// A node of the plan tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Literal rows (`VALUES`, or one empty row for a SELECT without FROM).
    Values { rows: Vec<Vec<Expr>> },
    /// The rows of a COPY's data, each field its text or NULL (`crate::copy::fill`); shared,
    /// so that a statement run again after a lost race reads them again.
    Fields { rows: Arc<Vec<Vec<Option<String>>>> },
    /// Rows of a table in key order; with `with_key`, each row ends with its primary-map key
    /// as `bytea` (what UPDATE and DELETE need).
    Scan {
        table: String,
        schema: Schema,
        range: KeyRange,
        with_key: bool,
        /// Descending key order (a one-column key's `All`, `Point` or `Range` only): how
        /// `ORDER BY key DESC` reads without sorting.
        reverse: bool,
    },
    /// Rows of one table at several versions, one version after another (`t AS OF 'v1'`,
    /// `vdb_history_t`): each version's rows in key order, mapped to `schema`'s columns and
    /// followed by the version's tags (commit hash, committer, date).
    VersionScan {
        table: String,
        schema: Schema,
        versions: Vec<TableVersion>,
        range: KeyRange,
    },
    /// The changed rows of a table between pairs of versions (`vdb_diff_t`, `vdb_diff(...)`):
    /// per row, the `to` columns and tags, the `from` columns and tags, and the diff type
    /// (`added`, `modified`, `removed`).
    RowDiff {
        table: String,
        pairs: Vec<DiffPair>,
        /// Where the output holds the table's key, when it is one column.
        key_at: Option<DiffKey>,
        /// Set by the optimizer from `to_k = v` or `from_k = v` above: only the row with this
        /// key is compared in each pair, by two point lookups instead of a diff.
        key: Option<Value>,
    },
    /// Rows for which the predicate is true.
    Filter { source: Box<Plan>, predicate: Expr },
    /// One output row per input row, computed from it.
    Project { source: Box<Plan>, exprs: Vec<Expr> },
    /// Like Project, but the select list has set-returning functions at its top level: each
    /// input row gives as many rows as the longest function's result (the others padded with
    /// NULL), and none if all are empty (PostgreSQL 10+'s lockstep rule).
    ProjectSet { source: Box<Plan>, exprs: Vec<Expr> },
    /// Each left row with each right row for which the ON predicate is true; outer joins keep
    /// unmatched rows, padded with NULLs.
    NestedLoopJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        /// The ON condition over the joined row (None: cross join).
        predicate: Option<Expr>,
        kind: JoinKind,
        left_width: usize,
        right_width: usize,
    },
    /// An equi-join: the right rows are hashed by `right_keys`, each left row probes with
    /// `left_keys` (a NULL key matches nothing); `residual` (over the joined row) must also
    /// hold for a pair to match.
    HashJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        left_keys: Vec<Expr>,
        right_keys: Vec<Expr>,
        residual: Option<Expr>,
        kind: JoinKind,
        left_width: usize,
        right_width: usize,
    },
    /// LATERAL: the right plan names the left row as `Expr::Outer` level 1 and runs once per
    /// left row (INNER or LEFT only).
    LateralJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        predicate: Option<Expr>,
        kind: JoinKind,
        /// The number of columns of the left side (the right's follow).
        left_width: usize,
        right_width: usize,
    },
    /// One row per group of each grouping set: the group keys (NULL for the keys not in the
    /// row's set), then each aggregate's result. A set with no keys gives one row even over no
    /// input (the only set when there is no GROUP BY).
    Aggregate {
        source: Box<Plan>,
        group_by: Vec<Expr>,
        /// Each set's key positions in `group_by`.
        sets: Vec<Vec<usize>>,
        aggregates: Vec<AggregateCall>,
    },
    /// Each input row followed by one value per window call (`window.rs`); rows come out in
    /// the order of the last window's sort.
    Window {
        source: Box<Plan>,
        calls: Vec<WindowCall>,
    },
    /// Rows sorted by the keys (stable).
    Sort {
        source: Box<Plan>,
        keys: Vec<SortKey>,
    },
    /// UNION / INTERSECT / EXCEPT of two inputs with the same column types; `all` keeps
    /// duplicates (by multiplicity), otherwise the result is distinct.
    SetOperation {
        op: SetOperator,
        all: bool,
        left: Box<Plan>,
        right: Box<Plan>,
    },
    /// The first occurrence of each distinct row.
    Distinct { source: Box<Plan> },
    /// `DISTINCT ON (keys)`: the first row of each distinct value of the keys.
    DistinctOn { source: Box<Plan>, keys: Vec<Expr> },
    /// Skips `offset` rows, then yields at most `limit`.
    Limit {
        source: Box<Plan>,
        limit: Option<u64>,
        offset: u64,
        /// `FETCH ... WITH TIES`: the source's sort keys; rows past the limit that tie with
        /// the last one under them are passed too. Empty otherwise.
        ties: Vec<SortKey>,
        /// Counts that read an enclosing row (`LIMIT 1 OFFSET s - 1` in a correlated
        /// subquery or a LATERAL one), evaluated when the plan runs, after the outer row is
        /// bound; `limit` and `offset` are then unused.
        counts: Option<Box<LimitCounts>>,
    },
    /// Inserts the source rows (already full table rows, coerced to the column types).
    Insert {
        table: String,
        source: Box<Plan>,
        /// ON CONFLICT: what to do with a row whose unique key is taken (`on_conflict.rs`).
        on_conflict: Option<OnConflict>,
    },
    /// Replaces each source row (ending with its key) by the assignments' results.
    Update {
        table: String,
        source: Box<Plan>,
        assignments: Vec<(usize, Expr)>,
    },
    /// MERGE: for each source row (the MERGE source LEFT JOINed to the target's keyed scan:
    /// `source_width` source columns, the target's columns, its key), the first arm of its kind
    /// (matched: the key is not NULL) whose predicate holds (`execution/merge.rs`).
    Merge {
        table: String,
        source: Box<Plan>,
        source_width: usize,
        arms: Vec<MergeArm>,
    },
    /// A write whose written rows are projected through `exprs` (RETURNING).
    Returning { source: Box<Plan>, exprs: Vec<Expr> },
    /// An INSERT or UPDATE through views WITH CHECK OPTION: each row it writes must satisfy
    /// each (view, condition over the base table's row), else 44000.
    CheckOption {
        source: Box<Plan>,
        checks: Vec<(String, Expr)>,
    },
    /// Deletes each source row (ending with its key).
    Delete { table: String, source: Box<Plan> },
    /// DDL: a change to tables, sequences or indexes (`schema_change.rs`).
    SchemaChange(SchemaChange),
    /// `WITH RECURSIVE`: the non-recursive term's rows, then the recursive term run again and
    /// again over the rows the previous round produced (the working table, read by
    /// [`Plan::WorkTable`] nodes sharing `slot`) until a round produces none. Without `all`,
    /// rows already produced are dropped (UNION).
    RecursiveUnion {
        name: String,
        all: bool,
        base: Box<Plan>,
        recursive: Box<Plan>,
        slot: WorkSlot,
    },
    /// The working table of the enclosing [`Plan::RecursiveUnion`] with the same slot.
    WorkTable { name: String, slot: WorkSlot },
    /// A WITH query whose rows differ from one evaluation to the next (it calls random(),
    /// nextval...): evaluated once per statement, at its first reference, and read from `slot`
    /// by every reference, as PostgreSQL evaluates a WITH query once.
    SharedCte {
        name: String,
        source: Box<Plan>,
        slot: CteSlot,
    },
}

/// The rows of a [`Plan::SharedCte`], once its first reference has evaluated it.
#[derive(Clone, Default)]
pub struct CteSlot(pub Arc<std::sync::Mutex<Option<Vec<Vec<Value>>>>>);

impl fmt::Debug for CteSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CteSlot")
    }
}

impl PartialEq for CteSlot {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The working table of a recursive query: the rows of the previous round, which the recursive
/// union puts here before it builds the recursive term's operators for the next round.
/// A round may read it more than once (a WITH query over it named twice, a nested loop that
/// scans it again), so readers share it.
#[derive(Clone, Default)]
pub struct WorkSlot(Arc<std::sync::Mutex<Arc<Vec<Vec<Value>>>>>);

impl WorkSlot {
    /// Replaces the working table's rows.
    pub fn set(&self, rows: Vec<Vec<Value>>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(rows);
    }

    /// The working table's rows.
    pub fn rows(&self) -> Arc<Vec<Vec<Value>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl fmt::Debug for WorkSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WorkSlot")
    }
}

impl PartialEq for WorkSlot {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Plan {
    fn fmt_node(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        let arrow = if depth == 0 { "" } else { "-> " };
        write!(f, "{pad}{arrow}")?;
        match self {
            Plan::Values { rows } => writeln!(f, "Values: {} rows", rows.len()),
            Plan::Fields { rows } => writeln!(f, "COPY data: {} rows", rows.len()),
            Plan::Scan {
                table,
                range,
                reverse: true,
                ..
            } => match range {
                KeyRange::Point(v) => {
                    writeln!(f, "KeyLookup: {table} key = {}", Expr::Literal(v.clone()))
                }
                KeyRange::Range(lo, hi) => {
                    writeln!(f, "KeyRangeScan Backward: {table} {}", range_text(lo, hi))
                }
                _ => writeln!(f, "Scan Backward: {table}"),
            },
            Plan::Scan { table, range, .. } => match range {
                KeyRange::All => writeln!(f, "Scan: {table}"),
                KeyRange::Point(v) => {
                    writeln!(f, "KeyLookup: {table} key = {}", Expr::Literal(v.clone()))
                }
                KeyRange::Range(lo, hi) => {
                    writeln!(f, "KeyRangeScan: {table} {}", range_text(lo, hi))
                }
                KeyRange::Prefix { index, prefixes } => {
                    let prefixes: Vec<String> = prefixes
                        .iter()
                        .map(|values| {
                            let values: Vec<String> = values
                                .iter()
                                .map(|v| Expr::Literal(v.clone()).to_string())
                                .collect();
                            format!("({})", values.join(", "))
                        })
                        .collect();
                    // A long IN list shows its first few prefixes and how many there are.
                    let prefixes = match prefixes.len() {
                        n if n > 4 => format!("{} ... ({n} prefixes)", prefixes[..3].join(" ")),
                        _ => prefixes.join(" "),
                    };
                    match index {
                        Some(index) => writeln!(f, "IndexScan: {table} using {index} {prefixes}"),
                        None => writeln!(f, "KeyPrefixScan: {table} {prefixes}"),
                    }
                }
            },
            Plan::VersionScan {
                table,
                versions,
                range,
                ..
            } => {
                let range = match range {
                    KeyRange::All => String::new(),
                    KeyRange::Point(v) => format!(" key = {}", Expr::Literal(v.clone())),
                    KeyRange::Range(lo, hi) => format!(" {}", range_text(lo, hi)),
                    KeyRange::Prefix { .. } => " prefix".to_string(),
                };
                writeln!(
                    f,
                    "VersionScan: {table} ({} versions){range}",
                    versions.len()
                )
            }
            Plan::RowDiff {
                table, pairs, key, ..
            } => {
                let key = key
                    .as_ref()
                    .map(|v| format!(" key = {}", Expr::Literal(v.clone())))
                    .unwrap_or_default();
                writeln!(f, "RowDiff: {table} ({} version pairs){key}", pairs.len())
            }
            Plan::Filter { predicate, .. } => writeln!(f, "Filter: {predicate}"),
            Plan::Project { exprs, .. } => {
                let list: Vec<String> = exprs.iter().map(ToString::to_string).collect();
                writeln!(f, "Project: {}", list.join(", "))
            }
            Plan::ProjectSet { exprs, .. } => {
                let list: Vec<String> = exprs.iter().map(ToString::to_string).collect();
                writeln!(f, "ProjectSet: {}", list.join(", "))
            }
            Plan::NestedLoopJoin {
                predicate, kind, ..
            } => {
                let kind = format!("NestedLoop{}Join", kind.label());
                match predicate {
                    Some(p) => writeln!(f, "{kind}: {p}"),
                    None => writeln!(f, "{kind}"),
                }
            }
            Plan::HashJoin {
                left_keys,
                right_keys,
                residual,
                kind,
                ..
            } => {
                let keys: Vec<String> = left_keys
                    .iter()
                    .zip(right_keys)
                    .map(|(l, r)| format!("{l} = {r}"))
                    .collect();
                write!(f, "Hash{}Join: {}", kind.label(), keys.join(" AND "))?;
                match residual {
                    Some(p) => writeln!(f, " filter {p}"),
                    None => writeln!(f),
                }
            }
            Plan::LateralJoin {
                predicate, kind, ..
            } => {
                let kind = format!("Lateral{}Join", kind.label());
                match predicate {
                    Some(p) => writeln!(f, "{kind}: {p}"),
                    None => writeln!(f, "{kind}"),
                }
            }
            Plan::Aggregate {
                group_by,
                sets,
                aggregates,
                ..
            } => {
                let keys: Vec<String> = group_by.iter().map(ToString::to_string).collect();
                let calls: Vec<String> = aggregates
                    .iter()
                    .map(|a| match (&a.arg, a.function) {
                        (_, AggregateFunction::Grouping) => "grouping".into(),
                        (Some(arg), _) => {
                            format!("{}({arg})", format!("{:?}", a.function).to_lowercase())
                        }
                        (None, _) => "count(*)".into(),
                    })
                    .collect();
                write!(
                    f,
                    "Aggregate: {} group by [{}]",
                    calls.join(", "),
                    keys.join(", ")
                )?;
                let plain = matches!(sets.as_slice(), [one] if one.len() == group_by.len());
                if !plain {
                    let list: Vec<String> = sets
                        .iter()
                        .map(|set| {
                            let keys: Vec<&str> = set.iter().map(|&k| keys[k].as_str()).collect();
                            format!("({})", keys.join(", "))
                        })
                        .collect();
                    write!(f, " sets [{}]", list.join(", "))?;
                }
                writeln!(f)
            }
            Plan::Window { calls, .. } => {
                let list: Vec<&str> = calls.iter().map(|c| c.text.as_str()).collect();
                writeln!(f, "Window: {}", list.join(", "))
            }
            Plan::Sort { keys, .. } => {
                let list: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}{}", k.expr, if k.descending { " DESC" } else { "" }))
                    .collect();
                writeln!(f, "Sort: {}", list.join(", "))
            }
            Plan::Distinct { .. } => writeln!(f, "Distinct"),
            Plan::DistinctOn { keys, .. } => {
                let list: Vec<String> = keys.iter().map(ToString::to_string).collect();
                writeln!(f, "DistinctOn: {}", list.join(", "))
            }
            Plan::SetOperation { op, all, .. } => {
                let all = if *all { " ALL" } else { "" };
                writeln!(f, "{}{all}", format!("{op:?}").to_uppercase())
            }
            Plan::Limit {
                counts: Some(counts),
                ..
            } => {
                let text = |e: &Option<Expr>| e.as_ref().map_or("ALL".into(), ToString::to_string);
                writeln!(
                    f,
                    "Limit: {} offset {}",
                    text(&counts.limit),
                    text(&counts.offset)
                )
            }
            Plan::Limit { limit, offset, .. } => match limit {
                Some(l) => writeln!(f, "Limit: {l} offset {offset}"),
                None => writeln!(f, "Offset: {offset}"),
            },
            Plan::Insert { table, .. } => writeln!(f, "Insert: {table}"),
            Plan::Update { table, .. } => writeln!(f, "Update: {table}"),
            Plan::Delete { table, .. } => writeln!(f, "Delete: {table}"),
            Plan::Merge { table, .. } => writeln!(f, "Merge: {table}"),
            Plan::Returning { exprs, .. } => {
                let list: Vec<String> = exprs.iter().map(ToString::to_string).collect();
                writeln!(f, "Returning: {}", list.join(", "))
            }
            Plan::CheckOption { checks, .. } => {
                let list: Vec<String> = checks.iter().map(|(view, _)| view.clone()).collect();
                writeln!(f, "CheckOption: {}", list.join(", "))
            }
            Plan::SchemaChange(change) => writeln!(f, "{change}"),
            Plan::RecursiveUnion { name, all, .. } => {
                let all = if *all { " ALL" } else { "" };
                writeln!(f, "RecursiveUnion{all}: {name}")
            }
            Plan::WorkTable { name, .. } => writeln!(f, "WorkTableScan: {name}"),
            Plan::SharedCte { name, .. } => writeln!(f, "CteScan: {name}"),
        }?;
        for child in self.children() {
            child.fmt_node(f, depth + 1)?;
        }
        Ok(())
    }

    /// Calls `f` on every expression of this node and of the nodes below it.
    pub fn walk_exprs(&self, f: &mut impl FnMut(&Expr)) {
        match self {
            Plan::Values { rows } => rows.iter().flatten().for_each(&mut *f),
            Plan::Filter { predicate, .. } => f(predicate),
            Plan::Project { exprs, .. }
            | Plan::ProjectSet { exprs, .. }
            | Plan::Returning { exprs, .. } => {
                exprs.iter().for_each(&mut *f);
            }
            Plan::CheckOption { checks, .. } => checks.iter().for_each(|(_, e)| f(e)),
            Plan::NestedLoopJoin {
                predicate: Some(p), ..
            }
            | Plan::LateralJoin {
                predicate: Some(p), ..
            } => f(p),
            Plan::HashJoin {
                left_keys,
                right_keys,
                residual,
                ..
            } => {
                left_keys.iter().chain(right_keys).for_each(&mut *f);
                residual.iter().for_each(&mut *f);
            }
            Plan::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                group_by.iter().for_each(&mut *f);
                aggregates
                    .iter()
                    .filter_map(|a| a.arg.as_ref())
                    .for_each(&mut *f);
            }
            Plan::Sort { keys, .. } | Plan::Limit { ties: keys, .. } => {
                keys.iter().for_each(|k| f(&k.expr));
            }
            Plan::Window { calls, .. } => calls.iter().for_each(|c| c.walk_exprs(&mut *f)),
            Plan::Update { assignments, .. } => assignments.iter().for_each(|(_, e)| f(e)),
            Plan::Merge { arms, .. } => arms.iter().for_each(|arm| {
                arm.predicate.iter().for_each(&mut *f);
                match &arm.action {
                    MergeAction::Update(assignments) => assignments.iter().for_each(|(_, e)| f(e)),
                    MergeAction::Insert(row) => row.iter().for_each(&mut *f),
                    MergeAction::Delete | MergeAction::Nothing => {}
                }
            }),
            _ => {}
        }
        for child in self.children() {
            child.walk_exprs(f);
        }
    }

    /// The node's inputs, to change in place.
    pub fn children_mut(&mut self) -> Vec<&mut Plan> {
        plan_inputs!(self)
    }

    /// The node's inputs.
    pub fn children(&self) -> Vec<&Plan> {
        plan_inputs!(self)
    }
}

fn range_text(lo: &Bound<Value>, hi: &Bound<Value>) -> String {
    let side = |b: &Bound<Value>, incl: &str, excl: &str| match b {
        Bound::Included(v) => format!("key {incl} {}", Expr::Literal(v.clone())),
        Bound::Excluded(v) => format!("key {excl} {}", Expr::Literal(v.clone())),
        Bound::Unbounded => String::new(),
    };
    let parts: Vec<String> = [side(lo, ">=", ">"), side(hi, "<=", "<")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    parts.join(" AND ")
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_node(f, 0)
    }
}

/// A planned statement: the plan and, for queries, the output columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub plan: Plan,
    /// Output columns of a query (`None` for statements that report a command tag).
    pub columns: Option<Vec<(String, Type)>>,
    /// The command tag's verb for writes and DDL (`INSERT`, `CREATE TABLE`, ...).
    pub tag: &'static str,
}
