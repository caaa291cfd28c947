//! Window: collects the input, then for each distinct window (PARTITION BY and ORDER BY) sorts
//! the rows once, walks the partitions and evaluates that window's calls, appending one value
//! per call to each row.
//!
//! Windows are sorted longest key list first, each sort stable and starting from the previous
//! one's order, so rows come out as PostgreSQL's stacked WindowAgg nodes leave them. Within a
//! partition, rows with equal ORDER BY keys are peers; a frame is a half-open range of
//! positions in the sorted partition. Aggregates over frames whose start does not move
//! (the default frame, `ROWS UNBOUNDED PRECEDING`, the whole partition) grow one accumulator
//! as the end advances, so they are linear; other frames recompute per row.

use std::cmp::Ordering;

use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::execution::aggregate::Accumulator;
use crate::execution::sort::compare_keys;
use crate::execution::Rows;
use crate::expr::{BinaryOp, Expr, Row};
use crate::planner::{
    AggregateCall, Exclusion, FrameBound, FrameUnits, SortKey, WindowCall, WindowFunction,
};
use crate::types::cast;

/// `source` with the results of `calls` appended to each row.
pub fn window(source: Rows, calls: &[WindowCall]) -> Result<Rows> {
    let rows: Vec<Row> = source.collect::<Result<_>>()?;
    let mut results = vec![vec![Value::Null; calls.len()]; rows.len()];
    let mut order: Vec<usize> = (0..rows.len()).collect();
    for members in windows(calls) {
        let call = &calls[members[0]];
        let keys = sort_keys(call);
        let mut keyed = Vec::with_capacity(rows.len());
        for &i in &order {
            let k = keys
                .iter()
                .map(|k| k.expr.eval(&rows[i]))
                .collect::<Result<Vec<_>>>()?;
            keyed.push((k, i));
        }
        keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, &keys));
        let parts = call.partition_by.len();
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            while end < keyed.len()
                && compare_keys(&keyed[start].0[..parts], &keyed[end].0[..parts], &keys)
                    == Ordering::Equal
            {
                end += 1;
            }
            let partition = Partition::new(&keyed[start..end], parts, &keys, &rows);
            for &c in &members {
                let values = evaluate(&calls[c], &partition)?;
                for (&i, v) in partition.indexes.iter().zip(values) {
                    results[i][c] = v;
                }
            }
            start = end;
        }
        order = keyed.into_iter().map(|(_, i)| i).collect();
    }
    let mut rows: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    let out: Vec<Result<Row>> = order
        .into_iter()
        .map(|i| {
            let mut row = rows[i].take().unwrap_or_default();
            row.append(&mut results[i]);
            Ok(row)
        })
        .collect();
    Ok(Box::new(out.into_iter()))
}

/// The calls grouped by window, longest sort first (stable among equals).
fn windows(calls: &[WindowCall]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let same = groups.iter_mut().find(|g| {
            let other = &calls[g[0]];
            other.partition_by == call.partition_by && other.order_by == call.order_by
        });
        match same {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups.sort_by_key(|g| {
        let c = &calls[g[0]];
        std::cmp::Reverse(c.partition_by.len() + c.order_by.len())
    });
    groups
}

/// PARTITION BY keys (ascending, NULLs last) followed by the ORDER BY keys.
fn sort_keys(call: &WindowCall) -> Vec<SortKey> {
    call.partition_by
        .iter()
        .map(|e| SortKey {
            expr: e.clone(),
            descending: false,
            nulls_first: false,
        })
        .chain(call.order_by.iter().cloned())
        .collect()
}

/// One partition in window order, with its peer groups.
struct Partition<'a> {
    /// Input row indexes, in window order.
    indexes: Vec<usize>,
    rows: Vec<&'a Row>,
    /// Each row's ORDER BY key values.
    order_keys: Vec<Vec<Value>>,
    /// Each row's peer group.
    group: Vec<usize>,
    /// Each peer group's first position and one past its last.
    group_start: Vec<usize>,
    group_end: Vec<usize>,
    order_by: Vec<SortKey>,
}

impl<'a> Partition<'a> {
    fn new(
        keyed: &[(Vec<Value>, usize)],
        parts: usize,
        keys: &[SortKey],
        rows: &'a [Row],
    ) -> Partition<'a> {
        let order_by = keys[parts..].to_vec();
        let order_keys: Vec<Vec<Value>> = keyed.iter().map(|(k, _)| k[parts..].to_vec()).collect();
        let mut group = Vec::with_capacity(keyed.len());
        let mut group_start = Vec::new();
        let mut group_end = Vec::new();
        for (i, k) in order_keys.iter().enumerate() {
            let peer = i > 0 && compare_keys(&order_keys[i - 1], k, &order_by) == Ordering::Equal;
            if !peer {
                if i > 0 {
                    group_end.push(i);
                }
                group_start.push(i);
            }
            group.push(group_start.len() - 1);
        }
        group_end.push(keyed.len());
        Partition {
            indexes: keyed.iter().map(|(_, i)| *i).collect(),
            rows: keyed.iter().map(|(_, i)| &rows[*i]).collect(),
            order_keys,
            group,
            group_start,
            group_end,
            order_by,
        }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// The results of `call` for each row of the partition, in window order.
fn evaluate(call: &WindowCall, p: &Partition<'_>) -> Result<Vec<Value>> {
    let n = p.len();
    let ranked = |f: &dyn Fn(usize) -> Value| (0..n).map(f).collect::<Vec<_>>();
    Ok(match &call.function {
        WindowFunction::RowNumber => ranked(&|i| Value::Int8(i as i64 + 1)),
        WindowFunction::Rank => ranked(&|i| Value::Int8(p.group_start[p.group[i]] as i64 + 1)),
        WindowFunction::DenseRank => ranked(&|i| Value::Int8(p.group[i] as i64 + 1)),
        WindowFunction::PercentRank => ranked(&|i| {
            Value::Float8(if n > 1 {
                p.group_start[p.group[i]] as f64 / (n - 1) as f64
            } else {
                0.0
            })
        }),
        WindowFunction::CumeDist => {
            ranked(&|i| Value::Float8(p.group_end[p.group[i]] as f64 / n as f64))
        }
        WindowFunction::Ntile => ntile(call, p)?,
        WindowFunction::Lag | WindowFunction::Lead => lag_lead(call, p)?,
        WindowFunction::FirstValue | WindowFunction::LastValue | WindowFunction::NthValue => {
            frame_value(call, p)?
        }
        WindowFunction::Aggregate(aggregate) => frame_aggregate(call, aggregate, p)?,
    })
}

/// `ntile(k)`: k buckets as equal as possible, the first ones one row larger.
fn ntile(call: &WindowCall, p: &Partition<'_>) -> Result<Vec<Value>> {
    let n = p.len();
    let buckets = match call.args[0].eval(p.rows[0])? {
        Value::Null => return Ok(vec![Value::Null; n]),
        v => int(&v)?,
    };
    if buckets <= 0 {
        return Err(Error::invalid(
            "22014",
            "argument of ntile must be greater than zero",
        ));
    }
    let buckets = buckets as usize;
    let per = n / buckets;
    let extra = n % buckets;
    let mut out = Vec::with_capacity(n);
    let mut bucket = 1;
    let mut left = per + usize::from(extra > 0);
    for _ in 0..n {
        if left == 0 {
            bucket += 1;
            left = per + usize::from(bucket <= extra);
        }
        out.push(Value::Int4(bucket as i32));
        left -= 1;
    }
    Ok(out)
}

/// `lag` / `lead`: the value `offset` rows before / after, or the default.
fn lag_lead(call: &WindowCall, p: &Partition<'_>) -> Result<Vec<Value>> {
    let n = p.len() as i64;
    let mut out = Vec::with_capacity(p.len());
    for (i, row) in p.rows.iter().enumerate() {
        let offset = match call.args[1].eval(row)? {
            Value::Null => {
                out.push(Value::Null);
                continue;
            }
            v => int(&v)?,
        };
        let offset = if call.function == WindowFunction::Lag {
            -offset
        } else {
            offset
        };
        let j = i as i64 + offset;
        out.push(if (0..n).contains(&j) {
            call.args[0].eval(p.rows[j as usize])?
        } else {
            call.args[2].eval(row)?
        });
    }
    Ok(out)
}

/// `first_value`, `last_value`, `nth_value` over each row's frame.
fn frame_value(call: &WindowCall, p: &Partition<'_>) -> Result<Vec<Value>> {
    let bounds = FrameBounds::new(call, p)?;
    let mut out = Vec::with_capacity(p.len());
    for (i, row) in p.rows.iter().enumerate() {
        let (start, end) = bounds.at(i, p)?;
        let frame = frame_rows(call.frame.exclude, i, start, end, p);
        let position = match call.function {
            WindowFunction::FirstValue => frame.first().copied(),
            WindowFunction::LastValue => frame.last().copied(),
            _ => match call.args[1].eval(row)? {
                Value::Null => None,
                v => {
                    let nth = int(&v)?;
                    if nth <= 0 {
                        return Err(Error::invalid(
                            "22016",
                            "argument of nth_value must be greater than zero",
                        ));
                    }
                    usize::try_from(nth - 1)
                        .ok()
                        .and_then(|k| frame.get(k).copied())
                }
            },
        };
        out.push(match position {
            Some(j) => call.args[0].eval(p.rows[j])?,
            None => Value::Null,
        });
    }
    Ok(out)
}

/// The positions of row `i`'s frame `[start, end)` less the rows its EXCLUDE leaves out.
fn frame_rows(
    exclude: Exclusion,
    i: usize,
    start: usize,
    end: usize,
    p: &Partition<'_>,
) -> Vec<usize> {
    let g = p.group[i];
    let peers = p.group_start[g]..p.group_end[g];
    (start..end)
        .filter(|&j| match exclude {
            Exclusion::NoOthers => true,
            Exclusion::CurrentRow => j != i,
            Exclusion::Group => !peers.contains(&j),
            Exclusion::Ties => j == i || !peers.contains(&j),
        })
        .collect()
}

/// An aggregate over each row's frame. While the frame's start stays put and its end does
/// not move back, one accumulator grows; a frame equal to the previous row's reuses its value.
/// A frame with an EXCLUDE is folded afresh for each row.
fn frame_aggregate(
    call: &WindowCall,
    aggregate: &AggregateCall,
    p: &Partition<'_>,
) -> Result<Vec<Value>> {
    let bounds = FrameBounds::new(call, p)?;
    let mut inputs = Vec::with_capacity(p.len());
    for row in &p.rows {
        let args = call
            .args
            .iter()
            .map(|a| a.eval(row))
            .collect::<Result<Vec<_>>>()?;
        // FILTER (WHERE ...): a row the filter rejects is no input.
        let passes = match &aggregate.filter {
            Some(f) => f.eval(&args)? == Value::Bool(true),
            None => true,
        };
        inputs.push(match (&aggregate.arg, passes) {
            (_, false) => None,
            (Some(arg), true) => Some(arg.eval(&args)?),
            (None, true) => Some(Value::Bool(true)),
        });
    }
    let mut out = Vec::with_capacity(p.len());
    if call.frame.exclude != Exclusion::NoOthers {
        for i in 0..p.len() {
            let (start, end) = bounds.at(i, p)?;
            let mut acc = Accumulator::new(aggregate);
            for j in frame_rows(call.frame.exclude, i, start, end, p) {
                if let Some(input) = &inputs[j] {
                    acc.add(aggregate, input.clone(), Vec::new())?;
                }
            }
            out.push(acc.finish(aggregate, &[])?);
        }
        return Ok(out);
    }
    let mut acc = Accumulator::new(aggregate);
    let (mut acc_start, mut acc_end) = (0, 0);
    let mut last: Option<((usize, usize), Value)> = None;
    for i in 0..p.len() {
        let (start, end) = bounds.at(i, p)?;
        let end = end.max(start);
        if let Some((frame, value)) = &last {
            if *frame == (start, end) {
                out.push(value.clone());
                continue;
            }
        }
        if start != acc_start || end < acc_end {
            acc = Accumulator::new(aggregate);
            (acc_start, acc_end) = (start, start);
        }
        for input in inputs[acc_end..end].iter().flatten() {
            acc.add(aggregate, input.clone(), Vec::new())?;
        }
        acc_end = end;
        let value = acc.clone().finish(aggregate, &[])?;
        out.push(value.clone());
        last = Some(((start, end), value));
    }
    Ok(out)
}

/// A call's frame with its offsets evaluated for one partition.
struct FrameBounds<'c> {
    units: FrameUnits,
    start: Bound<'c>,
    end: Bound<'c>,
}

/// A frame end: offsets as row or group counts, or as values for RANGE.
enum Bound<'c> {
    UnboundedPreceding,
    UnboundedFollowing,
    CurrentRow,
    Preceding(Offset<'c>),
    Following(Offset<'c>),
}

enum Offset<'c> {
    Count(usize),
    Value(Value, &'c SortKey),
}

impl<'c> FrameBounds<'c> {
    fn new(call: &'c WindowCall, p: &Partition<'_>) -> Result<FrameBounds<'c>> {
        let units = call.frame.units;
        let offset = |e: &Expr, which: &str| -> Result<Offset<'c>> {
            let v = e.eval(p.rows[0])?;
            if v.is_null() {
                return Err(Error::invalid(
                    "22004",
                    format!("frame {which} offset must not be null"),
                ));
            }
            let negative = match &v {
                Value::Interval(_) => false,
                other => {
                    matches!(cast(other.clone(), &Type::Float8), Ok(Value::Float8(x)) if x < 0.0)
                }
            };
            if negative {
                return Err(Error::invalid(
                    "22013",
                    format!("frame {which} offset must not be negative"),
                ));
            }
            Ok(match units {
                FrameUnits::Range => Offset::Value(v, &call.order_by[0]),
                _ => Offset::Count(usize::try_from(int(&v)?).unwrap_or(usize::MAX)),
            })
        };
        let bound = |b: &'c FrameBound, which: &str| -> Result<Bound<'c>> {
            Ok(match b {
                FrameBound::UnboundedPreceding => Bound::UnboundedPreceding,
                FrameBound::UnboundedFollowing => Bound::UnboundedFollowing,
                FrameBound::CurrentRow => Bound::CurrentRow,
                FrameBound::Preceding(e) => Bound::Preceding(offset(e, which)?),
                FrameBound::Following(e) => Bound::Following(offset(e, which)?),
            })
        };
        Ok(FrameBounds {
            units,
            start: bound(&call.frame.start, "starting")?,
            end: bound(&call.frame.end, "ending")?,
        })
    }

    /// Row `i`'s frame as positions `[start, end)` (possibly empty).
    fn at(&self, i: usize, p: &Partition<'_>) -> Result<(usize, usize)> {
        let start = self.position(&self.start, i, p, true)?;
        let end = self.position(&self.end, i, p, false)?;
        Ok((start, end.max(start)))
    }

    /// Where a frame bound falls for row `i`: the first position in the frame (`is_start`) or
    /// one past the last.
    fn position(
        &self,
        bound: &Bound<'_>,
        i: usize,
        p: &Partition<'_>,
        is_start: bool,
    ) -> Result<usize> {
        let n = p.len();
        let g = p.group[i];
        let groups = p.group_start.len();
        let edge = |group: usize| {
            if is_start {
                p.group_start[group]
            } else {
                p.group_end[group]
            }
        };
        Ok(match (bound, self.units) {
            (Bound::UnboundedPreceding, _) => 0,
            (Bound::UnboundedFollowing, _) => n,
            (Bound::CurrentRow, FrameUnits::Rows) => i + usize::from(!is_start),
            (Bound::CurrentRow, _) => edge(g),
            (Bound::Preceding(Offset::Count(k)), FrameUnits::Rows) => {
                (i + usize::from(!is_start)).saturating_sub(*k)
            }
            (Bound::Following(Offset::Count(k)), FrameUnits::Rows) => {
                (i + usize::from(!is_start)).saturating_add(*k).min(n)
            }
            (Bound::Preceding(Offset::Count(k)), _) => match g.checked_sub(*k) {
                Some(group) => edge(group),
                None => 0,
            },
            (Bound::Following(Offset::Count(k)), _) => match g.checked_add(*k) {
                Some(group) if group < groups => edge(group),
                _ => n,
            },
            (Bound::Preceding(Offset::Value(v, key)), _) => {
                range_position(p, i, v, key, true, is_start)?
            }
            (Bound::Following(Offset::Value(v, key)), _) => {
                range_position(p, i, v, key, false, is_start)?
            }
        })
    }
}

/// RANGE `v PRECEDING` / `v FOLLOWING` for row `i`: the rows whose ORDER BY value lies within
/// `v` of the current row's (towards the partition's start for PRECEDING). A NULL current
/// value's frame end is its peer group (the NULLs).
fn range_position(
    p: &Partition<'_>,
    i: usize,
    offset: &Value,
    key: &SortKey,
    preceding: bool,
    is_start: bool,
) -> Result<usize> {
    let current = &p.order_keys[i][0];
    if current.is_null() {
        let g = p.group[i];
        return Ok(if is_start {
            p.group_start[g]
        } else {
            p.group_end[g]
        });
    }
    // Towards the start of the partition in sort order means smaller values ascending.
    let subtract = preceding != key.descending;
    let op = if subtract {
        BinaryOp::Sub
    } else {
        BinaryOp::Add
    };
    // A bound past the type's range (`x + 4` near the largest int) reaches past every row,
    // as in PostgreSQL's in_range functions.
    let limit = match Expr::Binary(
        op,
        Box::new(Expr::Literal(current.clone())),
        Box::new(Expr::Literal(offset.clone())),
    )
    .eval(&[])
    {
        Ok(limit) => Some([limit]),
        Err(e) if e.sqlstate() == "22003" || e.sqlstate() == "22008" => None,
        Err(e) => return Err(e),
    };
    // Dates compare with `date ± interval` (a timestamp) as timestamps.
    let widen = |v: &Value| match v {
        Value::Date(_) => cast(v.clone(), &Type::Timestamp).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    };
    // Position of the first row (in sort order) not before `limit`, or after it.
    let position = p.order_keys.partition_point(|k| {
        let ord = if k[0].is_null() {
            compare_keys(&k[..1], std::slice::from_ref(current), &p.order_by)
        } else {
            match &limit {
                Some(limit) => compare_keys(&[widen(&k[0])], limit, &p.order_by),
                // Past the partition's end (FOLLOWING) or before its start (PRECEDING).
                None if preceding => Ordering::Greater,
                None => Ordering::Less,
            }
        };
        if is_start {
            ord == Ordering::Less
        } else {
            ord != Ordering::Greater
        }
    });
    Ok(position)
}

/// An integer argument's value.
fn int(v: &Value) -> Result<i64> {
    match cast(v.clone(), &Type::Int8)? {
        Value::Int8(n) => Ok(n),
        _ => Ok(0),
    }
}
