//! Aggregation: groups rows by their key values (an ordered map under `Value::sql_cmp`, so
//! NULL keys form one group) and folds each group's rows into one accumulator per aggregate.
//! Without GROUP BY there is exactly one group, even over no rows (count 0, other results NULL).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use bigdecimal::BigDecimal;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;
use vdb_engine::value::{Numeric, Value};

use crate::error::{Error, Result};
use crate::execution::{OrdRow, Rows};
use crate::expr::{BinaryOp, Expr};
use crate::planner::{AggregateCall, AggregateFunction, BitwiseOp, KeyRange, Plan};
use crate::types::cast;

use super::statistics::Moments;

/// The running state of one aggregate over one group.
#[derive(Clone, Debug)]
pub(super) enum Accumulator {
    Count(i64),
    /// Sum and count of the non-NULL inputs (avg uses both). Integer inputs add up in `ints`
    /// (exact, and no numeric arithmetic per row), joined to `sum` as numeric at the end.
    Sum {
        sum: Option<Value>,
        count: i64,
        ints: Option<i128>,
    },
    Min(Option<Value>),
    Max(Option<Value>),
    /// array_agg's inputs with their ORDER BY keys.
    Array(Vec<(Vec<Value>, Value)>),
    /// bool_and / bool_or so far (None: no non-NULL input yet).
    Bool(Option<bool>),
    /// bit_and / bit_or / bit_xor so far (None: no non-NULL input yet).
    Bits(Option<i64>),
    /// Running sums of a statistical aggregate.
    Moments(Box<Moments>),
}

impl Accumulator {
    pub(super) fn new(call: &AggregateCall) -> Accumulator {
        match call.function {
            AggregateFunction::CountStar
            | AggregateFunction::Count
            | AggregateFunction::Grouping => Accumulator::Count(0),
            AggregateFunction::Sum | AggregateFunction::Avg => Accumulator::Sum {
                sum: None,
                count: 0,
                ints: None,
            },
            AggregateFunction::Min => Accumulator::Min(None),
            AggregateFunction::Max => Accumulator::Max(None),
            AggregateFunction::ArrayAgg { .. }
            | AggregateFunction::JsonAgg
            | AggregateFunction::JsonbAgg
            | AggregateFunction::JsonObjectAgg { .. }
            | AggregateFunction::PercentileCont
            | AggregateFunction::PercentileDisc
            | AggregateFunction::Mode
            | AggregateFunction::Hypothetical(_) => Accumulator::Array(Vec::new()),
            AggregateFunction::BoolAnd | AggregateFunction::BoolOr => Accumulator::Bool(None),
            AggregateFunction::Bitwise(_) => Accumulator::Bits(None),
            AggregateFunction::Statistic(_) => Accumulator::Moments(Box::default()),
        }
    }

    pub(super) fn add(
        &mut self,
        call: &AggregateCall,
        value: Value,
        keys: Vec<Value>,
    ) -> Result<()> {
        if let Accumulator::Array(items) = self {
            items.push((keys, value));
            return Ok(());
        }
        if let Accumulator::Moments(moments) = self {
            return moments.add(value);
        }
        if value.is_null() && call.function != AggregateFunction::CountStar {
            return Ok(());
        }
        match self {
            Accumulator::Array(_) | Accumulator::Moments(_) => {}
            Accumulator::Bool(state) => {
                let b = value == Value::Bool(true);
                *state = Some(match (*state, call.function) {
                    (None, _) => b,
                    (Some(s), AggregateFunction::BoolOr) => s || b,
                    (Some(s), _) => s && b,
                });
            }
            Accumulator::Bits(state) => {
                let v = match value {
                    Value::Int2(v) => i64::from(v),
                    Value::Int4(v) => i64::from(v),
                    Value::Int8(v) => v,
                    _ => return Ok(()),
                };
                *state = Some(match (*state, call.function) {
                    (None, _) => v,
                    (Some(s), AggregateFunction::Bitwise(BitwiseOp::And)) => s & v,
                    (Some(s), AggregateFunction::Bitwise(BitwiseOp::Or)) => s | v,
                    (Some(s), _) => s ^ v,
                });
            }
            Accumulator::Count(n) => *n += 1,
            Accumulator::Sum { sum, count, ints } => {
                *count += 1;
                let int = match value {
                    Value::Int2(v) => Some(i128::from(v)),
                    Value::Int4(v) => Some(i128::from(v)),
                    Value::Int8(v) => Some(i128::from(v)),
                    _ => None,
                };
                if let Some(v) = int {
                    // 2^64 inputs of i64::MAX still fit an i128.
                    *ints = Some(ints.unwrap_or(0).saturating_add(v));
                    return Ok(());
                }
                // sum(real) adds in single precision, as PostgreSQL's float4pl does; avg(real)
                // accumulates in double precision.
                let value = match value {
                    Value::Float4(f) if call.function != AggregateFunction::Sum => {
                        Value::Float8(f64::from(f))
                    }
                    other => other,
                };
                *sum = Some(match (sum.take(), value) {
                    (None, value) => value,
                    (Some(Value::Float8(s)), Value::Float8(v)) => {
                        Value::Float8(finite_sum(s + v, s.is_infinite() || v.is_infinite())?)
                    }
                    (Some(Value::Float4(s)), Value::Float4(v)) => {
                        let total = s + v;
                        finite_sum(f64::from(total), s.is_infinite() || v.is_infinite())?;
                        Value::Float4(total)
                    }
                    (Some(s), value) => Expr::Binary(
                        BinaryOp::Add,
                        Box::new(Expr::Literal(s)),
                        Box::new(Expr::Literal(value)),
                    )
                    .eval(&[])?,
                });
            }
            Accumulator::Min(best) => {
                if best.as_ref().is_none_or(|b| value.sql_cmp(b).is_lt()) {
                    *best = Some(value);
                }
            }
            Accumulator::Max(best) => {
                if best.as_ref().is_none_or(|b| value.sql_cmp(b).is_gt()) {
                    *best = Some(value);
                }
            }
        }
        Ok(())
    }

    /// The aggregate's value; `key` is the group's key row, which the direct arguments of an
    /// ordered-set aggregate read.
    pub(super) fn finish(self, call: &AggregateCall, key: &[Value]) -> Result<Value> {
        Ok(match self {
            Accumulator::Count(n) => Value::Int8(n),
            Accumulator::Sum {
                sum: None,
                ints: None,
                ..
            } => Value::Null,
            Accumulator::Sum {
                sum,
                count,
                ints: Some(ints),
            } => {
                let exact = Value::Numeric(Numeric::Finite(BigDecimal::from(ints)));
                let sum = match sum {
                    None => exact,
                    Some(s) => Expr::Binary(
                        BinaryOp::Add,
                        Box::new(Expr::Literal(s)),
                        Box::new(Expr::Literal(exact)),
                    )
                    .eval(&[])?,
                };
                return Accumulator::Sum {
                    sum: Some(sum),
                    count,
                    ints: None,
                }
                .finish(call, key);
            }
            Accumulator::Sum {
                sum: Some(sum),
                count,
                ints: None,
            } => match call.function {
                AggregateFunction::Avg => average(sum, count)?,
                _ => cast(sum, &call.ty).map_err(|e| match e {
                    Error::OutOfRange(_) => Error::OutOfRange("bigint out of range".into()),
                    other => other,
                })?,
            },
            Accumulator::Min(v) | Accumulator::Max(v) => v.unwrap_or(Value::Null),
            Accumulator::Bool(b) => b.map_or(Value::Null, Value::Bool),
            // The folded bits of inputs of the result's own type fit that type.
            Accumulator::Bits(bits) => match bits {
                None => Value::Null,
                Some(b) => cast(Value::Int8(b), &call.ty)?,
            },
            Accumulator::Moments(moments) => match call.function {
                AggregateFunction::Statistic(statistic) => moments.finish(statistic)?,
                _ => Value::Null,
            },
            Accumulator::Array(items)
                if items.is_empty()
                    && !matches!(call.function, AggregateFunction::Hypothetical(_)) =>
            {
                Value::Null
            }
            Accumulator::Array(mut items) => {
                items.sort_by(|(a, _), (b, _)| super::sort::compare_keys(a, b, &call.order_by));
                let values: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
                match call.function {
                    AggregateFunction::ArrayAgg { arrays: false } => Value::array(values),
                    AggregateFunction::ArrayAgg { arrays: true } => {
                        crate::expr::accumulate_arrays(values)?
                    }
                    AggregateFunction::PercentileCont
                    | AggregateFunction::PercentileDisc
                    | AggregateFunction::Mode => super::ordered_set::finish(call, values, key)?,
                    AggregateFunction::Hypothetical(kind) => {
                        super::ordered_set::hypothetical(call, kind, &values, key)?
                    }
                    AggregateFunction::JsonObjectAgg { jsonb } => json_object(&values, jsonb)?,
                    _ => json_array(&values, call.function == AggregateFunction::JsonbAgg)?,
                }
            }
        })
    }
}

/// The json array of json texts (jsonb normalizes; json keeps each element's text).
fn json_array(items: &[Value], jsonb: bool) -> Result<Value> {
    let texts: Vec<&str> = items
        .iter()
        .map(|v| match v {
            Value::Text(t) => t.as_str(),
            _ => "null",
        })
        .collect();
    // A marked element (a row or an array, not NULL) after the first goes on a line of its
    // own, as PostgreSQL's json_agg writes it.
    let marker = crate::planner::ROW_MARKER;
    let mut text = String::from("[");
    for (i, t) in texts.iter().enumerate() {
        let (marked, t) = match t.strip_prefix(marker) {
            Some(rest) => (rest != "null", rest),
            None => (false, *t),
        };
        if i > 0 {
            text.push_str(if marked { ", \n " } else { ", " });
        }
        text.push_str(t);
    }
    text.push(']');
    if jsonb {
        return crate::types::json::jsonb_in(&text).map(Value::Text);
    }
    Ok(Value::Text(text))
}

/// `json[b]_object_agg`'s object from `[key, json text]` pairs (json prints
/// `{ "a" : 1, "b" : 2 }`; jsonb normalizes).
fn json_object(items: &[Value], jsonb: bool) -> Result<Value> {
    use crate::types::json::{self, Json};
    let mut fields = Vec::new();
    for item in items {
        let Value::Array(pair) = item else { continue };
        let key = match pair.first() {
            Some(Value::Text(k)) => k.clone(),
            _ => return Err(Error::invalid("22023", "field name must not be null")),
        };
        let value = match pair.get(1) {
            Some(Value::Text(t)) => t.clone(),
            _ => "null".to_string(),
        };
        fields.push((key, value));
    }
    if jsonb {
        let parsed = fields
            .into_iter()
            .map(|(k, v)| Ok((k, json::parse(&v, "jsonb")?)))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Value::Text(
            Json::Object(parsed).normalize().to_jsonb_text(),
        ));
    }
    let mut out = String::from("{ ");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        json::escape_into(&mut out, k);
        out.push_str(" : ");
        out.push_str(v);
    }
    out.push_str(" }");
    Ok(Value::Text(out))
}

/// A float sum that became infinite from finite addends is an overflow (22003), as in
/// PostgreSQL's float8pl and float8_accum.
fn finite_sum(total: f64, infinite_addend: bool) -> Result<f64> {
    if total.is_infinite() && !infinite_addend {
        return Err(Error::invalid("22003", "value out of range: overflow"));
    }
    Ok(total)
}

/// sum / count with numeric division's scale (PostgreSQL's avg over integers and numerics).
fn average(sum: Value, count: i64) -> Result<Value> {
    let divisor = match sum {
        Value::Float8(_) | Value::Interval(_) => Value::Float8(count as f64),
        _ => Value::Numeric(Numeric::Finite(BigDecimal::from(count))),
    };
    Expr::Binary(
        BinaryOp::Div,
        Box::new(Expr::Literal(sum)),
        Box::new(Expr::Literal(divisor)),
    )
    .eval(&[])
}

/// A group: (grouping set, key values).
type Group = (usize, OrdRow);
/// The groups seen so far, each with its aggregates' accumulators.
type Groups = BTreeMap<Group, Vec<Accumulator>>;

/// Whether `sets` and `aggregates` take the direct path: one grouping set of every key, and no
/// DISTINCT, ORDER BY or FILTER in the aggregates, so each row feeds its one group directly.
fn is_plain(group_by: &[Expr], sets: &[Vec<usize>], aggregates: &[AggregateCall]) -> bool {
    matches!(sets, [set] if set.len() == group_by.len() && set.iter().enumerate().all(|(i, &k)| i == k))
        && aggregates
            .iter()
            .all(|c| !c.distinct && c.order_by.is_empty() && c.filter.is_none())
}

/// The direct path's step: `row` into its group's accumulators. `key` is a buffer kept
/// between rows, so a row whose group exists allocates no key.
fn add_plain(
    groups: &mut Groups,
    key: &mut Vec<Value>,
    row: &[Value],
    group_by: &[Expr],
    aggregates: &[AggregateCall],
) -> Result<()> {
    key.clear();
    for e in group_by {
        key.push(e.eval(row)?);
    }
    let probe = (0, OrdRow(std::mem::take(key)));
    let feed = |accumulators: &mut Vec<Accumulator>| -> Result<()> {
        for (acc, call) in accumulators.iter_mut().zip(aggregates) {
            let value = call
                .arg
                .as_ref()
                .map_or(Ok(Value::Bool(true)), |a| a.eval(row))?;
            acc.add(call, value, Vec::new())?;
        }
        Ok(())
    };
    if let Some(accumulators) = groups.get_mut(&probe) {
        feed(accumulators)?;
        *key = probe.1 .0;
        return Ok(());
    }
    let mut accumulators = aggregates.iter().map(Accumulator::new).collect();
    feed(&mut accumulators)?;
    groups.insert((0, OrdRow(probe.1 .0.clone())), accumulators);
    *key = probe.1 .0;
    Ok(())
}

/// GROUP BY straight over a whole-table scan (`scan`, with `predicate` from a WHERE between
/// them) on the direct path: the rows are read as borrowed entries of the table's map, only
/// the columns the keys, arguments and predicate use are decoded, and each row is built in
/// one buffer. `None` when the plan is not of that shape, or its expressions might read
/// columns they do not name (a subquery, a user function).
pub fn aggregate_scan(
    (scan, predicate): (&Plan, Option<&Expr>),
    group_by: &[Expr],
    sets: &[Vec<usize>],
    aggregates: &[AggregateCall],
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Option<Rows>> {
    let Plan::Scan {
        table: name,
        schema,
        range: KeyRange::All,
        with_key: false,
        reverse: false,
    } = scan
    else {
        return Ok(None);
    };
    if !is_plain(group_by, sets, aggregates) {
        return Ok(None);
    }
    let mut wanted = vec![false; schema.columns.len()];
    let mut simple = true;
    let mut mark = |e: &Expr| match e {
        Expr::Column(i) => match wanted.get_mut(*i) {
            Some(w) => *w = true,
            None => simple = false,
        },
        Expr::Subquery(_) | Expr::UserFunction(..) | Expr::Outer { .. } => simple = false,
        _ => {}
    };
    let exprs = group_by
        .iter()
        .chain(aggregates.iter().filter_map(|c| c.arg.as_ref()))
        .chain(aggregates.iter().flat_map(|c| c.direct_args.iter()))
        .chain(predicate);
    for e in exprs {
        e.walk(&mut mark);
    }
    if !simple {
        return Ok(None);
    }
    let table = root
        .get_table(ns, name)
        .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?
        .ok_or_else(|| Error::UndefinedTable(name.clone()))?;
    let selection = table.select_columns(&wanted);
    let mut groups = Groups::new();
    let mut key = Vec::with_capacity(group_by.len());
    let mut failed = None;
    let mut row = vec![Value::Null; schema.columns.len()];
    let scanned = table
        .rows()
        .scan(Bound::Unbounded, Bound::Unbounded, |k, v| {
            table.decode_selected_into(k, v, &selection, &mut row)?;
            let step = match predicate {
                Some(p) => p.eval(&row).map(|v| v == Value::Bool(true)),
                None => Ok(true),
            }
            .and_then(|keep| match keep {
                true => add_plain(&mut groups, &mut key, &row, group_by, aggregates),
                false => Ok(()),
            });
            match step {
                Ok(()) => Ok(true),
                Err(e) => {
                    failed = Some(e);
                    Ok(false)
                }
            }
        });
    scanned.map_err(|e| Error::engine("scanning table", e))?;
    if let Some(e) = failed {
        return Err(e);
    }
    finish(groups, group_by, sets, aggregates).map(Some)
}

/// Groups `source` by each grouping set of `group_by` in one pass (every row feeds one group
/// of every set) and computes `aggregates` per group. A group's key holds NULL for the keys
/// not in its set; groups are identified by (set, key), so a real NULL key and a key absent
/// from the set stay apart.
pub fn aggregate(
    source: Rows,
    group_by: &[Expr],
    sets: &[Vec<usize>],
    aggregates: &[AggregateCall],
) -> Result<Rows> {
    let mut groups = Groups::new();
    // Per group and DISTINCT aggregate: the argument values already seen.
    let mut seen: BTreeMap<(Group, usize), BTreeSet<OrdRow>> = BTreeMap::new();
    let mut source = source;
    if is_plain(group_by, sets, aggregates) {
        let mut key = Vec::with_capacity(group_by.len());
        for row in source.by_ref() {
            add_plain(&mut groups, &mut key, &row?, group_by, aggregates)?;
        }
    }
    for row in source {
        let row = row?;
        let key = group_by
            .iter()
            .map(|e| e.eval(&row))
            .collect::<Result<Vec<_>>>()?;
        // FILTER (WHERE ...): a row the filter rejects is not an input at all, so its argument
        // is not evaluated either (`sum(10 / x) FILTER (WHERE x > 0)` divides by no zero).
        let passes = aggregates
            .iter()
            .map(|call| match &call.filter {
                Some(f) => Ok(f.eval(&row)? == Value::Bool(true)),
                None => Ok(true),
            })
            .collect::<Result<Vec<_>>>()?;
        let values = aggregates
            .iter()
            .zip(&passes)
            .map(|(call, &passes)| match &call.arg {
                Some(a) if passes => a.eval(&row),
                Some(_) => Ok(Value::Null),
                None => Ok(Value::Bool(true)),
            })
            .collect::<Result<Vec<_>>>()?;
        let order_keys = aggregates
            .iter()
            .zip(&passes)
            .map(|(call, &passes)| {
                call.order_by
                    .iter()
                    .filter(|_| passes)
                    .map(|k| k.expr.eval(&row))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        for (s, set) in sets.iter().enumerate() {
            let group: Group = (s, OrdRow(set_key(&key, set)));
            let mut fresh = passes.clone();
            for (i, call) in aggregates.iter().enumerate() {
                if !call.distinct || !fresh[i] {
                    continue;
                }
                let seen = seen
                    .entry(((group.0, OrdRow(group.1 .0.clone())), i))
                    .or_default();
                fresh[i] = seen.insert(OrdRow(vec![values[i].clone()]));
            }
            let accumulators = groups
                .entry(group)
                .or_insert_with(|| aggregates.iter().map(Accumulator::new).collect());
            let inputs = accumulators
                .iter_mut()
                .zip(aggregates)
                .zip(&values)
                .zip(fresh)
                .zip(&order_keys);
            for ((((acc, call), value), fresh), keys) in inputs {
                if fresh {
                    acc.add(call, value.clone(), keys.clone())?;
                }
            }
        }
    }
    finish(groups, group_by, sets, aggregates)
}

/// The groups' rows: each key followed by its aggregates' values.
fn finish(
    mut groups: Groups,
    group_by: &[Expr],
    sets: &[Vec<usize>],
    aggregates: &[AggregateCall],
) -> Result<Rows> {
    // A set without keys has its one group even over no input.
    for (s, set) in sets.iter().enumerate() {
        if set.is_empty() {
            groups
                .entry((s, OrdRow(vec![Value::Null; group_by.len()])))
                .or_insert_with(|| aggregates.iter().map(Accumulator::new).collect());
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((s, OrdRow(mut key)), accumulators) in groups {
        let width = key.len();
        for (acc, call) in accumulators.into_iter().zip(aggregates) {
            let value = match call.function {
                AggregateFunction::Grouping => grouping_mask(call, &sets[s]),
                _ => acc.finish(call, &key[..width])?,
            };
            key.push(value);
        }
        out.push(Ok(key));
    }
    Ok(Box::new(out.into_iter()))
}

/// The row's key values for a set: the keys not in it read NULL.
fn set_key(key: &[Value], set: &[usize]) -> Vec<Value> {
    key.iter()
        .enumerate()
        .map(|(i, v)| {
            if set.contains(&i) {
                v.clone()
            } else {
                Value::Null
            }
        })
        .collect()
}

/// `grouping(...)` for a set: one bit per argument, set when its key is not in the set.
fn grouping_mask(call: &AggregateCall, set: &[usize]) -> Value {
    let mask = call.direct_args.iter().fold(0i32, |mask, arg| {
        let absent = match arg {
            Expr::Literal(Value::Int4(k)) => {
                usize::try_from(*k).map_or(true, |k| !set.contains(&k))
            }
            _ => true,
        };
        (mask << 1) | i32::from(absent)
    });
    Value::Int4(mask)
}
