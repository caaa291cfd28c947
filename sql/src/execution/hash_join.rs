//! Hash join: the right rows are collected and hashed by their key values; each left row
//! probes with its own key values, and a candidate pair matches when the residual condition also
//! holds. A key with a NULL matches nothing (SQL `=`); the join driver in `join.rs` keeps the
//! unmatched rows of outer joins.
//!
//! Keys are equal when `Value::sql_cmp` says so (the equality of SQL `=` on values of the same
//! type: `1.0 = 1.00`, `-0.0 = 0.0`, NaN equal to itself, integers of any width by value), so the
//! hash of a value is computed from a form that equal values share.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rustc_hash::FxBuildHasher;

use vdb_engine::value::{Numeric, Value};

use crate::error::Result;
use crate::execution::join::{drive, joined, passes, Matcher};
use crate::execution::Rows;
use crate::expr::{Expr, Row};
use crate::planner::JoinKind;

/// Join key values, equal by `sql_cmp`.
pub(crate) struct Key(pub(crate) Vec<Value>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.sql_cmp(b).is_eq())
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            hash_value(v, state);
        }
    }
}

/// Hashes `v` so that values equal under `sql_cmp` hash alike.
fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Null => 0u8.hash(state),
        Value::Bool(b) => b.hash(state),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
            let n = match v {
                Value::Int2(n) => i64::from(*n),
                Value::Int4(n) => i64::from(*n),
                Value::Int8(n) => *n,
                _ => 0,
            };
            n.hash(state);
        }
        Value::Float4(f) => float_bits(f64::from(*f)).hash(state),
        Value::Float8(f) => float_bits(*f).hash(state),
        Value::Numeric(n) => match n {
            Numeric::Finite(d) => d.normalized().to_string().hash(state),
            other => format!("{other:?}").hash(state),
        },
        Value::Text(s) => s.hash(state),
        Value::Bytea(b) => b.hash(state),
        Value::Date(d) => d.hash(state),
        Value::Time(t) | Value::Timestamp(t) | Value::TimestampTz(t) => t.hash(state),
        Value::Interval(i) => i.total_micros().hash(state),
        Value::Uuid(u) => u.hash(state),
        Value::Array(items) => {
            items.len().hash(state);
            for item in items {
                hash_value(item, state);
            }
        }
    }
}

/// The bits of a float with every NaN alike and -0.0 as 0.0.
fn float_bits(f: f64) -> u64 {
    if f.is_nan() {
        u64::MAX
    } else if f == 0.0 {
        0
    } else {
        f.to_bits()
    }
}

/// The key of `row` under `keys`, or None when a key value is NULL.
fn key_of(keys: &[Expr], row: &[Value]) -> Result<Option<Key>> {
    let mut values = Vec::with_capacity(keys.len());
    for k in keys {
        let v = k.eval(row)?;
        if v.is_null() {
            return Ok(None);
        }
        values.push(v);
    }
    Ok(Some(Key(values)))
}

/// The right rows by key: each key's first row, and for every row the next row of its key
/// (`usize::MAX` ends a chain), so that a million distinct keys cost no list each.
struct Table {
    heads: HashMap<Key, usize, FxBuildHasher>,
    next: Vec<usize>,
}

impl Table {
    fn rows_of(&self, key: &Key) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.heads.get(key).copied().unwrap_or(usize::MAX);
        std::iter::from_fn(move || {
            let here = at;
            at = *self.next.get(here)?;
            Some(here)
        })
    }
}

struct Hashed {
    table: Table,
    left_keys: Vec<Expr>,
    residual: Option<Expr>,
}

impl Matcher for Hashed {
    fn matches(&self, left: &Row, right: &[Row]) -> Result<Vec<(usize, Row)>> {
        let Some(key) = key_of(&self.left_keys, left)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for i in self.table.rows_of(&key) {
            let row = joined(left, &right[i]);
            if passes(self.residual.as_ref(), &row)? {
                out.push((i, row));
            }
        }
        Ok(out)
    }
}

/// The keys and condition of a hash join.
#[derive(Debug)]
pub struct HashSpec {
    pub left_keys: Vec<Expr>,
    pub right_keys: Vec<Expr>,
    pub residual: Option<Expr>,
}

/// Joins `left` with `right` where the key values are equal and `residual` holds.
pub fn hash_join(
    left: Rows,
    right: Rows,
    spec: HashSpec,
    kind: JoinKind,
    widths: (usize, usize),
) -> Result<Rows> {
    let right: Vec<Row> = right.collect::<Result<_>>()?;
    let mut table = Table {
        heads: HashMap::with_capacity_and_hasher(right.len(), FxBuildHasher),
        next: vec![usize::MAX; right.len()],
    };
    // Rows go in from the last, each in front of its key's chain, so a chain lists its rows
    // in input order.
    for (i, row) in right.iter().enumerate().rev() {
        if let Some(key) = key_of(&spec.right_keys, row)? {
            if let Some(head) = table.heads.insert(key, i) {
                table.next[i] = head;
            }
        }
    }
    let matcher = Hashed {
        table,
        left_keys: spec.left_keys,
        residual: spec.residual,
    };
    Ok(drive(left, right, matcher, kind, widths))
}
