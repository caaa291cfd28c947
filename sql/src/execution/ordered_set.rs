//! Ordered-set aggregates over a group's inputs, already sorted by their WITHIN GROUP key:
//! `percentile_cont` (linear interpolation between the two nearest inputs, numbers or
//! intervals), `percentile_disc`
//! (the first input whose position reaches the fraction) and `mode` (the most frequent input,
//! the first in sort order on ties). NULL inputs are ignored; no inputs give NULL. And the
//! hypothetical-set aggregates (`rank(v) WITHIN GROUP (ORDER BY x)` ...), where NULL inputs
//! are rows like any other, sorted where the key's NULLS FIRST / LAST puts them.

use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::planner::{AggregateCall, AggregateFunction, Hypothetical};

/// The result of `call` over `sorted` inputs; `key` is the group's key row, which the direct
/// argument reads.
pub fn finish(call: &AggregateCall, sorted: Vec<Value>, key: &[Value]) -> Result<Value> {
    let values: Vec<Value> = sorted.into_iter().filter(|v| !v.is_null()).collect();
    if call.function == AggregateFunction::Mode {
        return Ok(mode(values));
    }
    let fraction = match call.direct_args.first() {
        Some(e) => e.eval(key)?,
        None => Value::Null,
    };
    let cont = call.function == AggregateFunction::PercentileCont;
    match fraction {
        Value::Array(fractions) => Ok(Value::Array(
            fractions
                .iter()
                .map(|f| percentile(&values, f, cont))
                .collect::<Result<_>>()?,
        )),
        f => percentile(&values, &f, cont),
    }
}

fn mode(values: Vec<Value>) -> Value {
    let mut best: Option<(usize, usize)> = None;
    let mut start = 0;
    for i in 1..=values.len() {
        if i == values.len() || values[i].sql_cmp(&values[start]).is_ne() {
            let run = i - start;
            if best.is_none_or(|(_, n)| run > n) {
                best = Some((start, run));
            }
            start = i;
        }
    }
    match best {
        Some((i, _)) => values.into_iter().nth(i).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

fn percentile(values: &[Value], fraction: &Value, cont: bool) -> Result<Value> {
    let f = match fraction {
        Value::Null => return Ok(Value::Null),
        Value::Float8(f) => *f,
        Value::Float4(f) => f64::from(*f),
        other => {
            return Err(Error::invalid(
                "22023",
                format!("invalid percentile fraction {other:?}"),
            ))
        }
    };
    if !(0.0..=1.0).contains(&f) {
        return Err(Error::invalid(
            "22003",
            format!("percentile value {f} is not between 0 and 1"),
        ));
    }
    if values.is_empty() {
        return Ok(Value::Null);
    }
    let n = values.len();
    if !cont {
        // PostgreSQL: the row numbered ceil(f * n), at least the first.
        let row = (f * n as f64).ceil() as usize;
        return Ok(values[row.clamp(1, n) - 1].clone());
    }
    let position = f * (n - 1) as f64;
    let (lo, hi) = (position.floor() as usize, position.ceil() as usize);
    // Intervals interpolate as intervals: lo + (hi - lo) * fraction.
    if let (Value::Interval(a), Value::Interval(b)) = (&values[lo], &values[hi]) {
        let step = crate::types::interval::add(b, a, true)?;
        let step = crate::types::interval::mul(&step, position - lo as f64)?;
        return Ok(Value::Interval(crate::types::interval::add(
            a, &step, false,
        )?));
    }
    let at = |i: usize| match &values[i] {
        Value::Float8(v) => *v,
        _ => 0.0,
    };
    let (a, b) = (at(lo), at(hi));
    Ok(Value::Float8(a + (position - lo as f64) * (b - a)))
}

/// Where the hypothetical row (the call's direct argument) would fall among `sorted` inputs.
pub fn hypothetical(
    call: &AggregateCall,
    kind: Hypothetical,
    sorted: &[Value],
    key: &[Value],
) -> Result<Value> {
    let row = match call.direct_args.first() {
        Some(e) => e.eval(key)?,
        None => Value::Null,
    };
    let row = [row];
    let order =
        |v: &Value| super::sort::compare_keys(std::slice::from_ref(v), &row, &call.order_by);
    let before = sorted.iter().filter(|v| order(v).is_lt()).count();
    let n = sorted.len();
    #[allow(clippy::cast_precision_loss)]
    Ok(match kind {
        Hypothetical::Rank => Value::Int8(i64::try_from(before + 1).unwrap_or(i64::MAX)),
        Hypothetical::DenseRank => {
            let mut distinct: usize = 0;
            let mut last: Option<&Value> = None;
            for v in sorted.iter().filter(|v| order(v).is_lt()) {
                if last.is_none_or(|l| {
                    super::sort::compare_keys(
                        std::slice::from_ref(l),
                        std::slice::from_ref(v),
                        &call.order_by,
                    )
                    .is_ne()
                }) {
                    distinct += 1;
                }
                last = Some(v);
            }
            Value::Int8(i64::try_from(distinct + 1).unwrap_or(i64::MAX))
        }
        Hypothetical::PercentRank if n == 0 => Value::Float8(0.0),
        Hypothetical::PercentRank => Value::Float8(before as f64 / n as f64),
        Hypothetical::CumeDist => {
            let through = sorted.iter().filter(|v| order(v).is_le()).count();
            Value::Float8((through + 1) as f64 / (n + 1) as f64)
        }
    })
}
