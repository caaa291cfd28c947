//! Optimizer rules, applied in order to a plan tree. Each rule keeps results the same:
//!
//! 1. [`fold_constants`]: evaluates subexpressions that read no column (casts of literals
//!    included), leaving any that would fail so the error surfaces when the row is reached.
//! 2. [`key_lookup`]: a filter over a scan narrows the scan. On a table with a one-column
//!    primary key, a conjunct `key = constant` or `key <op> constant` gives a point lookup or a
//!    key range on the prolly tree. Otherwise conjuncts `column = constant` (or `IN` a list of
//!    constants, or `= ANY` an array constant) on the leading columns of the primary key or of
//!    a secondary index give prefix scans of that tree: the
//!    one matching the most columns, a complete unique match first, the primary key on a tie
//!    (no second lookup per row). The filter stays, so the range need only be a superset.
//! 3. [`prune_versions`]: a filter over a version scan or a row diff drops the versions whose
//!    tags (commit hash, date) make a conjunct false, so `WHERE to_commit = 'abc'` diffs one
//!    pair of versions, and narrows a version scan's key range as rule 2 does.

use std::ops::Bound;

use vdb_engine::table::Schema;
use vdb_engine::value::{Type, Value};

use crate::expr::{BinaryOp, Expr};
use crate::planner::plan::{DiffKey, KeyRange, Plan};
use crate::types::{cast, value_type};

/// A rewrite of a plan tree.
pub type Rule = fn(Plan) -> Plan;

/// The rules, in the order they run.
pub const RULES: &[(&str, Rule)] = &[
    ("fold_constants", fold_constants),
    ("key_lookup", key_lookup),
    ("prune_versions", prune_versions),
];

/// Runs every rule in order.
pub fn optimize(plan: Plan) -> Plan {
    RULES.iter().fold(plan, |plan, (_, rule)| rule(plan))
}

/// Applies `f` to every node, children first.
fn transform(plan: Plan, f: &impl Fn(Plan) -> Plan) -> Plan {
    let boxed = |p: Box<Plan>| Box::new(transform(*p, f));
    let plan = match plan {
        Plan::Filter { source, predicate } => Plan::Filter {
            source: boxed(source),
            predicate,
        },
        Plan::Project { source, exprs } => Plan::Project {
            source: boxed(source),
            exprs,
        },
        Plan::NestedLoopJoin {
            left,
            right,
            predicate,
            kind,
            left_width,
            right_width,
        } => Plan::NestedLoopJoin {
            left: boxed(left),
            right: boxed(right),
            predicate: predicate.map(fold),
            kind,
            left_width,
            right_width,
        },
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            kind,
            left_width,
            right_width,
        } => Plan::HashJoin {
            left: boxed(left),
            right: boxed(right),
            left_keys,
            right_keys,
            residual: residual.map(fold),
            kind,
            left_width,
            right_width,
        },
        Plan::LateralJoin {
            left,
            right,
            predicate,
            kind,
            right_width,
        } => Plan::LateralJoin {
            left: boxed(left),
            right: boxed(right),
            predicate: predicate.map(fold),
            kind,
            right_width,
        },
        Plan::Aggregate {
            source,
            group_by,
            sets,
            aggregates,
        } => Plan::Aggregate {
            source: boxed(source),
            group_by,
            sets,
            aggregates,
        },
        Plan::ProjectSet { source, exprs } => Plan::ProjectSet {
            source: boxed(source),
            exprs,
        },
        Plan::Sort { source, keys } => Plan::Sort {
            source: boxed(source),
            keys,
        },
        Plan::Window { source, calls } => Plan::Window {
            source: boxed(source),
            calls,
        },
        Plan::SetOperation {
            op,
            all,
            left,
            right,
        } => Plan::SetOperation {
            op,
            all,
            left: boxed(left),
            right: boxed(right),
        },
        Plan::Distinct { source } => Plan::Distinct {
            source: boxed(source),
        },
        Plan::DistinctOn { source, keys } => Plan::DistinctOn {
            source: boxed(source),
            keys,
        },
        Plan::Limit {
            source,
            limit,
            offset,
            ties,
        } => Plan::Limit {
            source: boxed(source),
            limit,
            offset,
            ties,
        },
        Plan::Insert {
            table,
            source,
            on_conflict,
        } => Plan::Insert {
            table,
            source: boxed(source),
            on_conflict,
        },
        Plan::Update {
            table,
            source,
            assignments,
        } => Plan::Update {
            table,
            source: boxed(source),
            assignments,
        },
        Plan::Returning { source, exprs } => Plan::Returning {
            source: boxed(source),
            exprs,
        },
        Plan::Delete { table, source } => Plan::Delete {
            table,
            source: boxed(source),
        },
        Plan::RecursiveUnion {
            name,
            all,
            base,
            recursive,
            slot,
        } => Plan::RecursiveUnion {
            name,
            all,
            base: boxed(base),
            recursive: boxed(recursive),
            slot,
        },
        other => other,
    };
    f(plan)
}

/// Rule 1: constant folding.
pub fn fold_constants(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => Plan::Filter {
            source,
            predicate: fold(predicate),
        },
        Plan::Project { source, exprs } => Plan::Project {
            source,
            exprs: exprs.into_iter().map(fold).collect(),
        },
        Plan::Values { rows } => Plan::Values {
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(fold).collect())
                .collect(),
        },
        Plan::Update {
            table,
            source,
            assignments,
        } => Plan::Update {
            table,
            source,
            assignments: assignments.into_iter().map(|(i, e)| (i, fold(e))).collect(),
        },
        other => other,
    })
}

/// Folds an expression: a constant one becomes its value; otherwise its operands are folded.
fn fold(expr: Expr) -> Expr {
    if matches!(expr, Expr::Literal(_)) {
        return expr;
    }
    if expr.is_constant() {
        if let Ok(v) = expr.eval(&[]) {
            return Expr::Literal(v);
        }
        return expr;
    }
    let b = |e: Box<Expr>| Box::new(fold(*e));
    match expr {
        Expr::Binary(op, l, r) => Expr::Binary(op, b(l), b(r)),
        Expr::Negate(e) => Expr::Negate(b(e)),
        Expr::Not(e) => Expr::Not(b(e)),
        Expr::IsNull(e, n) => Expr::IsNull(b(e), n),
        Expr::Cast(e, t) => Expr::Cast(b(e), t),
        Expr::InList(e, list, n) => Expr::InList(b(e), list.into_iter().map(fold).collect(), n),
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => Expr::Like {
            expr: b(expr),
            pattern: b(pattern),
            negated,
            case_insensitive,
        },
        Expr::Quantified {
            left,
            op,
            array,
            all,
        } => Expr::Quantified {
            left: b(left),
            op,
            array: b(array),
            all,
        },
        Expr::Coalesce(list) => Expr::Coalesce(list.into_iter().map(fold).collect()),
        Expr::Function(f, list) => Expr::Function(f, list.into_iter().map(fold).collect()),
        other => other,
    }
}

/// Rule 2: primary-key point and range lookups.
pub fn key_lookup(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => match *source {
            Plan::Scan {
                table,
                schema,
                range: KeyRange::All,
                with_key,
            } => {
                let range = match key_range(&schema, &predicate) {
                    KeyRange::All => prefix_range(&schema, &predicate),
                    narrowed => narrowed,
                };
                Plan::Filter {
                    source: Box::new(Plan::Scan {
                        table,
                        schema,
                        range,
                        with_key,
                    }),
                    predicate,
                }
            }
            other => Plan::Filter {
                source: Box::new(other),
                predicate,
            },
        },
        other => other,
    })
}

/// The narrowest key range the predicate's conjuncts give on a one-column primary key.
fn key_range(schema: &Schema, predicate: &Expr) -> KeyRange {
    let [key_id] = schema.primary_key.as_slice() else {
        return KeyRange::All;
    };
    let Some(position) = schema.position(*key_id) else {
        return KeyRange::All;
    };
    let key_type = &schema.columns[position].ty;
    let (mut lo, mut hi) = (Bound::Unbounded, Bound::Unbounded);
    for conjunct in predicate.conjuncts() {
        let Expr::Binary(op, l, r) = conjunct else {
            continue;
        };
        let (op, value) = match (l.as_ref(), r.as_ref()) {
            (Expr::Column(c), Expr::Literal(v)) if *c == position => (*op, v),
            (Expr::Literal(v), Expr::Column(c)) if *c == position => (flip(*op), v),
            _ => continue,
        };
        let Some(value) = key_value(value, key_type) else {
            continue;
        };
        match op {
            BinaryOp::Eq => return KeyRange::Point(value),
            BinaryOp::Gt => lo = Bound::Excluded(value),
            BinaryOp::GtEq => lo = Bound::Included(value),
            BinaryOp::Lt => hi = Bound::Excluded(value),
            BinaryOp::LtEq => hi = Bound::Included(value),
            _ => {}
        }
    }
    match (&lo, &hi) {
        (Bound::Unbounded, Bound::Unbounded) => KeyRange::All,
        _ => KeyRange::Range(lo, hi),
    }
}

/// The most key prefixes one narrowed scan looks up (the product of its IN lists); past it
/// the scan reads every row.
const MAX_PREFIXES: usize = 4096;

/// The best prefix scan that `column = constant` and `column IN (constants)` conjuncts allow
/// (see rule 2), or every row.
fn prefix_range(schema: &Schema, predicate: &Expr) -> KeyRange {
    // Per column, the values an equality or IN conjunct allows, when all are exact key values.
    let mut allowed: Vec<Option<Vec<Value>>> = vec![None; schema.columns.len()];
    for conjunct in predicate.conjuncts() {
        let Some((c, values)) = allowed_values(conjunct) else {
            continue;
        };
        if c >= allowed.len() || allowed[c].is_some() {
            continue;
        }
        let ty = &schema.columns[c].ty;
        allowed[c] = values
            .iter()
            .map(|v| key_value(v, ty))
            .collect::<Option<Vec<Value>>>();
    }
    if allowed.iter().all(Option::is_none) {
        return KeyRange::All;
    }
    // The prefixes of the leading columns (by id) that have values.
    let leading = |index: Option<String>, ids: &[u32], unique: bool| -> Candidate {
        let mut prefixes: Vec<Vec<Value>> = vec![Vec::new()];
        let mut width = 0;
        for id in ids {
            let Some(values) = schema.position(*id).and_then(|p| allowed[p].as_ref()) else {
                break;
            };
            if prefixes.len() * values.len() > MAX_PREFIXES {
                break;
            }
            prefixes = prefixes
                .iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut longer = p.clone();
                        longer.push(v.clone());
                        longer
                    })
                })
                .collect();
            width += 1;
        }
        Candidate {
            index,
            prefixes,
            width,
            unique: unique && width == ids.len(),
        }
    };
    let mut candidates = Vec::new();
    if !schema.is_keyless() {
        candidates.push(leading(None, &schema.primary_key, true));
    }
    for index in &schema.indexes {
        candidates.push(leading(
            Some(index.name.clone()),
            &index.columns,
            index.unique,
        ));
    }
    // The first of the best: the primary key wins a tie.
    let best = candidates
        .into_iter()
        .filter(|c| c.width > 0)
        .rev()
        .max_by_key(|c| (c.unique, c.width));
    match best {
        Some(c) => KeyRange::Prefix {
            index: c.index,
            prefixes: c.prefixes,
        },
        None => KeyRange::All,
    }
}

/// A tree a prefix scan could read: the primary key (`index` None) or a secondary index, the
/// prefixes its leading columns allow, how many columns they cover, and whether they pick at
/// most one row each.
struct Candidate {
    index: Option<String>,
    prefixes: Vec<Vec<Value>>,
    width: usize,
    unique: bool,
}

/// The column and constants of `column = c`, `column IN (c1, c2, ...)` or
/// `column = ANY('{...}')`.
fn allowed_values(conjunct: &Expr) -> Option<(usize, Vec<Value>)> {
    match conjunct {
        Expr::Binary(BinaryOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
            (Expr::Column(c), Expr::Literal(v)) | (Expr::Literal(v), Expr::Column(c)) => {
                Some((*c, vec![v.clone()]))
            }
            _ => None,
        },
        Expr::InList(column, list, false) => {
            let Expr::Column(c) = column.as_ref() else {
                return None;
            };
            let values = list
                .iter()
                .map(|e| match e {
                    Expr::Literal(v) => Some(v.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<Value>>>()?;
            Some((*c, values))
        }
        Expr::Quantified {
            left,
            op: BinaryOp::Eq,
            array,
            all: false,
        } => match (left.as_ref(), array.as_ref()) {
            (Expr::Column(c), Expr::Literal(Value::Array(a))) => Some((*c, a.elements().to_vec())),
            _ => None,
        },
        _ => None,
    }
}

/// `a op b` as `b op' a`.
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

/// The constant as a value of the key's type, when that conversion is exact: same type, or an
/// integer into a wider-or-equal integer type that holds it, or text into text.
fn key_value(value: &Value, key_type: &Type) -> Option<Value> {
    let ty = value_type(value)?;
    let integer = |t: &Type| matches!(t, Type::Int2 | Type::Int4 | Type::Int8);
    let exact = ty == *key_type
        || (integer(&ty) && integer(key_type))
        || (ty.is_text() && key_type.is_text());
    if !exact {
        return None;
    }
    cast(value.clone(), key_type).ok()
}

/// The key a row diff's filter asks for: a conjunct `to_k = v` or `from_k = v` on its key
/// column, with `v` exactly a key value. Every row of the diff that passes has that key on one
/// side, so comparing only that key's rows in each pair loses none.
fn diff_point(predicate: &Expr, at: &DiffKey) -> Option<Value> {
    let positions = [at.to, at.from];
    predicate.conjuncts().into_iter().find_map(|conjunct| {
        let Expr::Binary(BinaryOp::Eq, l, r) = conjunct else {
            return None;
        };
        let value = match (l.as_ref(), r.as_ref()) {
            (Expr::Column(c), Expr::Literal(v)) | (Expr::Literal(v), Expr::Column(c))
                if positions.contains(&Some(*c)) =>
            {
                v
            }
            _ => return None,
        };
        key_value(value, &at.ty)
    })
}

/// Rule 3: version pruning (see the module header).
pub fn prune_versions(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => {
            let source = match *source {
                Plan::VersionScan {
                    table,
                    schema,
                    versions,
                    range,
                } => {
                    let width = schema.columns.len();
                    let versions = versions
                        .into_iter()
                        .filter(|v| admits(&predicate, &[(width, &v.tags)]))
                        .collect();
                    let range = match range {
                        KeyRange::All => key_range(&schema, &predicate),
                        narrowed => narrowed,
                    };
                    Plan::VersionScan {
                        table,
                        schema,
                        versions,
                        range,
                    }
                }
                Plan::RowDiff {
                    table,
                    pairs,
                    key_at,
                    key,
                } => {
                    let key = key.or_else(|| {
                        let at = key_at.as_ref()?;
                        diff_point(&predicate, at)
                    });
                    let pairs = pairs
                        .into_iter()
                        .filter(|p| {
                            let to_tags = p.to.columns.len();
                            let from_tags = to_tags + p.to.tags.len() + p.from.columns.len();
                            admits(
                                &predicate,
                                &[(to_tags, &p.to.tags), (from_tags, &p.from.tags)],
                            )
                        })
                        .collect();
                    Plan::RowDiff {
                        table,
                        pairs,
                        key_at,
                        key,
                    }
                }
                other => other,
            };
            Plan::Filter {
                source: Box::new(source),
                predicate,
            }
        }
        other => other,
    })
}

/// Whether rows with these tag values (each `(position, values)`) can satisfy `predicate`:
/// false only if a conjunct that reads nothing but tags is false or NULL for them.
fn admits(predicate: &Expr, tags: &[(usize, &Vec<Value>)]) -> bool {
    let len = tags
        .iter()
        .map(|(at, values)| at + values.len())
        .max()
        .unwrap_or(0);
    let mut row = vec![Value::Null; len];
    let mut known = vec![false; len];
    for (at, values) in tags {
        for (i, v) in values.iter().enumerate() {
            row[at + i] = v.clone();
            known[at + i] = true;
        }
    }
    predicate.conjuncts().into_iter().all(|conjunct| {
        let mut only_tags = true;
        let mut reads_column = false;
        conjunct.walk(&mut |e| match e {
            Expr::Column(i) => {
                reads_column = true;
                only_tags &= known.get(*i).copied().unwrap_or(false);
            }
            Expr::Subquery(_) | Expr::Outer { .. } | Expr::Param(_) => only_tags = false,
            _ => {}
        });
        if !(only_tags && reads_column) {
            return true;
        }
        !matches!(conjunct.eval(&row), Ok(Value::Bool(false) | Value::Null))
    })
}
