//! The array functions and operators, over PostgreSQL's array model: a flat element list plus
//! one (length, lower bound) per dimension ([`Array`]).
//!
//! Subscripts follow `array_get_element` / `array_get_slice`: a fetch needs exactly one
//! subscript per dimension and gives NULL when any is out of range; a slice clamps its bounds
//! to the array, fills missing dimensions with their full range, and starts every dimension of
//! its result at 1. Concatenation follows `array_cat` (equal dimensions join along the first;
//! an array one dimension smaller becomes a new first-dimension entry), construction from
//! sub-arrays follows `ExecEvalArrayExpr`, and accumulation (`array_agg` and `ARRAY(query)`
//! of arrays) follows `accumArrayResultArr`.

use vdb_engine::value::{Array, Dim, Value};

use super::{compare, int_arg, text_arg, Builtin};
use crate::error::{Error, Result};
use crate::types::array::{shape_error, too_many_dims};
use crate::types::to_pg_text;

/// Evaluates an array builtin; `None` for builtins of other families.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let first = args.first();
    let array = match first {
        Some(Value::Array(a)) => Some(a),
        _ => None,
    };
    let dim_arg = || int_arg(args.get(1));
    Some(match b {
        Builtin::MakeArray => Ok(Value::array(args.to_vec())),
        Builtin::MakeNestedArray => nest(args.to_vec()).map(Value::Array),
        Builtin::Subscript => Ok(match array {
            Some(a) => fetch(a, &args[1..]),
            None => Value::Null,
        }),
        Builtin::Slice { open } => slice(args, open),
        Builtin::ArrayLength => Ok(dim_info(array, dim_arg(), |d| i64::try_from(d.len).ok())),
        Builtin::ArrayLower => Ok(dim_info(array, dim_arg(), |d| Some(i64::from(d.lower)))),
        Builtin::ArrayUpper => Ok(dim_info(array, dim_arg(), |d| Some(d.upper()))),
        Builtin::Cardinality => Ok(array.map_or(Value::Null, |a| int4(a.len()))),
        Builtin::ArrayNdims => Ok(match array {
            Some(a) if a.ndims() > 0 => int4(a.ndims()),
            _ => Value::Null,
        }),
        Builtin::ArrayDims => Ok(match array {
            Some(a) if a.ndims() > 0 => Value::Text(
                a.dims()
                    .iter()
                    .map(|d| format!("[{}:{}]", d.lower, d.upper()))
                    .collect(),
            ),
            _ => Value::Null,
        }),
        Builtin::ArrayAppend | Builtin::ArrayPrepend | Builtin::ArrayCat => {
            let mut it = args.iter().cloned();
            let (x, y) = (
                it.next().unwrap_or(Value::Null),
                it.next().unwrap_or(Value::Null),
            );
            match b {
                Builtin::ArrayAppend => push(x, y, false),
                Builtin::ArrayPrepend => push(y, x, true),
                _ => cat(x, y),
            }
        }
        Builtin::ArrayFill => fill(args),
        Builtin::TrimArray => trim(args),
        Builtin::ArrayPosition => position(args),
        Builtin::EnumRange => Ok(enum_range(args)),
        Builtin::ArraySetElement => set_element(args),
        Builtin::ArrayPositions | Builtin::ArrayRemove | Builtin::ArrayReplace => edit(b, args),
        Builtin::ArrayToString => Ok(match (array, text_arg(args.get(1))) {
            (Some(a), Some(sep)) => {
                let null = text_arg(args.get(2));
                let parts: Vec<String> = a
                    .iter()
                    .filter_map(|x| to_pg_text(x).or_else(|| null.map(str::to_string)))
                    .collect();
                Value::Text(parts.join(sep))
            }
            _ => Value::Null,
        }),
        _ => return None,
    })
}

fn int4(n: usize) -> Value {
    Value::Int4(i32::try_from(n).unwrap_or(i32::MAX))
}

/// A fact about dimension `d` (1-based) of the array; NULL when there is no such dimension.
fn dim_info(array: Option<&Array>, d: Option<i64>, f: impl Fn(&Dim) -> Option<i64>) -> Value {
    let dim = array.zip(d).and_then(|(a, d)| {
        let i = usize::try_from(d.checked_sub(1)?).ok()?;
        a.dims().get(i)
    });
    match dim.and_then(f) {
        Some(n) => Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)),
        None => Value::Null,
    }
}

/// The offset of the element at `subscripts` (one per dimension), if inside the array.
fn offset(array: &Array, subscripts: &[i64]) -> Option<usize> {
    let mut offset = 0usize;
    for (dim, &s) in array.dims().iter().zip(subscripts) {
        if s < i64::from(dim.lower) || s > dim.upper() {
            return None;
        }
        let i = usize::try_from(s - i64::from(dim.lower)).ok()?;
        offset = offset * dim.len + i;
    }
    Some(offset)
}

/// `a[i][j]...`: the element, or NULL for a NULL subscript, a subscript out of range, or a
/// count of subscripts that differs from the array's dimensions.
fn fetch(array: &Array, subscripts: &[Value]) -> Value {
    if subscripts.len() != array.ndims() {
        return Value::Null;
    }
    let Some(subs) = subscripts
        .iter()
        .map(|s| int_arg(Some(s)))
        .collect::<Option<Vec<_>>>()
    else {
        return Value::Null;
    };
    offset(array, &subs)
        .and_then(|o| array.get(o).cloned())
        .unwrap_or(Value::Null)
}

/// `a[lo:hi][lo:hi]...`: args are the array then a (lower, upper) pair per subscript; bit
/// `2k` of `open` says lower bound k was omitted, bit `2k + 1` the upper. An explicit NULL
/// bound makes the result NULL.
fn slice(args: &[Value], open: u16) -> Result<Value> {
    let Some(Value::Array(array)) = args.first() else {
        return Ok(Value::Null);
    };
    let bounds = &args[1..];
    let n = bounds.len() / 2;
    let mut lows = Vec::with_capacity(array.ndims());
    let mut highs = Vec::with_capacity(array.ndims());
    for k in 0..n {
        let omitted = |bit: usize| open & (1 << bit) != 0;
        let bound = |bit: usize, v: &Value| match omitted(bit) {
            true => Ok(None),
            false => int_arg(Some(v)).map(Some).ok_or(()),
        };
        let (Ok(lo), Ok(hi)) = (
            bound(2 * k, &bounds[2 * k]),
            bound(2 * k + 1, &bounds[2 * k + 1]),
        ) else {
            return Ok(Value::Null);
        };
        lows.push(lo);
        highs.push(hi);
    }
    if array.ndims() < n || array.ndims() == 0 {
        return Ok(Value::array(Vec::new()));
    }
    let mut box_lows = Vec::new();
    let mut box_highs = Vec::new();
    for (k, dim) in array.dims().iter().enumerate() {
        let lo = lows.get(k).copied().flatten().unwrap_or(i64::MIN);
        let hi = highs.get(k).copied().flatten().unwrap_or(i64::MAX);
        let (lo, hi) = (lo.max(i64::from(dim.lower)), hi.min(dim.upper()));
        if lo > hi {
            return Ok(Value::array(Vec::new()));
        }
        box_lows.push(lo);
        box_highs.push(hi);
    }
    Ok(Value::Array(sub_box(array, &box_lows, &box_highs)?))
}

/// The elements of `array` inside the box `lows..=highs` (one bound per dimension, already
/// inside the array), as an array whose dimensions start at 1.
fn sub_box(array: &Array, lows: &[i64], highs: &[i64]) -> Result<Array> {
    let dims: Vec<Dim> = lows
        .iter()
        .zip(highs)
        .map(|(lo, hi)| Dim {
            len: usize::try_from(hi - lo + 1).unwrap_or(0),
            lower: 1,
        })
        .collect();
    let mut elements = Vec::new();
    let mut at = lows.to_vec();
    'outer: loop {
        if let Some(v) = offset(array, &at).and_then(|o| array.get(o)) {
            elements.push(v.clone());
        }
        for k in (0..at.len()).rev() {
            if at[k] < highs[k] {
                at[k] += 1;
                continue 'outer;
            }
            at[k] = lows[k];
        }
        break;
    }
    Array::with_dims(elements, dims).map_err(shape_error)
}

/// The 2202E of constructors and concatenation whose parts do not fit together.
fn mismatch() -> Error {
    Error::invalid(
        "2202E",
        "multidimensional arrays must have array expressions with matching dimensions",
    )
}

/// `ARRAY[sub, sub, ...]` of arrays: a new first dimension over sub-arrays of one shape. NULL
/// and empty sub-arrays are allowed only when all of them are; then the result is empty.
pub(crate) fn nest(subs: Vec<Value>) -> Result<Array> {
    let mut shape: Option<Vec<Dim>> = None;
    let mut have_empty = false;
    let mut elements = Vec::new();
    let mut count = 0;
    for sub in subs {
        let a = match sub {
            Value::Array(a) if a.ndims() > 0 => a,
            _ => {
                have_empty = true;
                continue;
            }
        };
        match &shape {
            None => {
                if a.ndims() + 1 > vdb_engine::value::MAX_DIMS {
                    return Err(too_many_dims(a.ndims() + 1));
                }
                shape = Some(a.dims().to_vec());
            }
            Some(s) if s.as_slice() != a.dims() => return Err(mismatch()),
            Some(_) => {}
        }
        count += 1;
        elements.extend(a.into_elements());
    }
    let Some(inner) = shape else {
        return Ok(Array::default());
    };
    if have_empty {
        return Err(mismatch());
    }
    let mut dims = vec![Dim {
        len: count,
        lower: 1,
    }];
    dims.extend(inner);
    Array::with_dims(elements, dims).map_err(shape_error)
}

/// `array_agg(array)` and `ARRAY(query)` of arrays: like [`nest`], but NULL and empty inputs
/// are errors (PostgreSQL's `accumArrayResultArr`).
pub(crate) fn accumulate(subs: Vec<Value>) -> Result<Value> {
    let mut shape: Option<Vec<Dim>> = None;
    for sub in &subs {
        match sub {
            Value::Array(a) if a.ndims() == 0 => {
                return Err(Error::invalid("2202E", "cannot accumulate empty arrays"))
            }
            Value::Array(a) => match &shape {
                None => shape = Some(a.dims().to_vec()),
                Some(s) if s.len() != a.ndims() => {
                    return Err(Error::invalid(
                        "2202E",
                        "cannot accumulate arrays of different dimensionality",
                    ))
                }
                Some(s) if s.as_slice() != a.dims() => return Err(mismatch()),
                Some(_) => {}
            },
            _ => return Err(Error::invalid("22004", "cannot accumulate null arrays")),
        }
    }
    nest(subs).map(Value::Array)
}

/// `array_append` (`prepend` false) and `array_prepend`: `element` joins a one-dimensional or
/// empty array, keeping its lower bound.
fn push(array: Value, element: Value, prepend: bool) -> Result<Value> {
    let array = match array {
        Value::Null => Array::default(),
        Value::Array(a) => a,
        _ => return Ok(Value::Null),
    };
    if array.ndims() > 1 {
        return Err(Error::invalid(
            "22000",
            "argument must be empty or one-dimensional array",
        ));
    }
    let lower = array.dims().first().map_or(1, |d| d.lower);
    let mut elements = array.into_elements();
    match prepend {
        true => elements.insert(0, element),
        false => elements.push(element),
    }
    let dims = vec![Dim {
        len: elements.len(),
        lower,
    }];
    Array::with_dims(elements, dims)
        .map(Value::Array)
        .map_err(shape_error)
}

/// `array_cat(a, b)` and `array || array`: NULL or empty sides give the other side.
pub(crate) fn cat(a: Value, b: Value) -> Result<Value> {
    let (a, b) = match (a, b) {
        (Value::Array(a), Value::Array(b)) => (a, b),
        (Value::Null, b @ Value::Array(_)) => return Ok(b),
        (a @ Value::Array(_), Value::Null) => return Ok(a),
        _ => return Ok(Value::Null),
    };
    if a.ndims() == 0 {
        return Ok(Value::Array(b));
    }
    if b.ndims() == 0 {
        return Ok(Value::Array(a));
    }
    let incompatible = || Error::invalid("2202E", "cannot concatenate incompatible arrays");
    let dims = if a.ndims() == b.ndims() {
        if a.dims()[1..] != b.dims()[1..] {
            return Err(incompatible());
        }
        let mut dims = a.dims().to_vec();
        dims[0].len += b.dims()[0].len;
        dims
    } else if a.ndims() + 1 == b.ndims() {
        if a.dims() != &b.dims()[1..] {
            return Err(incompatible());
        }
        let mut dims = b.dims().to_vec();
        dims[0].len += 1;
        dims
    } else if a.ndims() == b.ndims() + 1 {
        if &a.dims()[1..] != b.dims() {
            return Err(incompatible());
        }
        let mut dims = a.dims().to_vec();
        dims[0].len += 1;
        dims
    } else {
        return Err(incompatible());
    };
    let mut elements = a.into_elements();
    elements.extend(b.into_elements());
    Array::with_dims(elements, dims)
        .map(Value::Array)
        .map_err(shape_error)
}

/// `||` with an array on at least one side: `array_cat` for two arrays (or NULLs),
/// `array_append` / `array_prepend` for an element on one side.
pub(crate) fn concat(l: Value, r: Value) -> Result<Value> {
    match (&l, &r) {
        (Value::Array(_) | Value::Null, Value::Array(_) | Value::Null) => cat(l, r),
        (Value::Array(_), _) => push(l, r, false),
        _ => push(r, l, true),
    }
}

/// An int array argument (dimensions or lower bounds of `array_fill`) as numbers.
fn int_list(v: &Value, what: &str) -> Result<Vec<i64>> {
    let Value::Array(a) = v else {
        return Err(Error::invalid(
            "22004",
            "dimension array or low bound array cannot be null",
        ));
    };
    if a.ndims() > 1 {
        return Err(Error::invalid("2202E", "wrong number of array subscripts"));
    }
    a.iter()
        .map(|x| {
            int_arg(Some(x))
                .ok_or_else(|| Error::invalid("22004", format!("{what} values cannot be null")))
        })
        .collect()
}

/// `array_fill(value, dims [, lower bounds])`.
fn fill(args: &[Value]) -> Result<Value> {
    let value = args.first().cloned().unwrap_or(Value::Null);
    let lens = int_list(args.get(1).unwrap_or(&Value::Null), "dimension")?;
    let lowers = match args.get(2) {
        None => vec![1; lens.len()],
        Some(v) => int_list(v, "dimension")?,
    };
    if lens.len() != lowers.len() {
        return Err(Error::invalid("2202E", "wrong number of array subscripts"));
    }
    if lens.len() > vdb_engine::value::MAX_DIMS {
        return Err(too_many_dims(lens.len()));
    }
    if lens.is_empty() {
        return Ok(Value::array(Vec::new()));
    }
    let mut dims = Vec::new();
    for (len, lower) in lens.into_iter().zip(lowers) {
        let len = usize::try_from(len).unwrap_or(0);
        let lower = i32::try_from(lower)
            .map_err(|_| Error::invalid("54000", "array upper bound is too large"))?;
        dims.push(Dim { len, lower });
    }
    let count = dims
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(d.len))
        .filter(|&n| n <= 134_217_727)
        .ok_or_else(|| {
            Error::invalid(
                "54000",
                "array size exceeds the maximum allowed (134217727)",
            )
        })?;
    Array::with_dims(vec![value; count], dims)
        .map(Value::Array)
        .map_err(shape_error)
}

/// `trim_array(a, n)`: the array without its last `n` first-dimension entries.
fn trim(args: &[Value]) -> Result<Value> {
    let (Some(Value::Array(a)), Some(n)) = (args.first(), int_arg(args.get(1))) else {
        return Ok(Value::Null);
    };
    let len = a.dims().first().map_or(0, |d| d.len);
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if n < 0 || n > len {
        return Err(Error::invalid(
            "2202E",
            format!("number of elements to trim must be between 0 and {len}"),
        ));
    }
    if n == len {
        return Ok(Value::array(Vec::new()));
    }
    let lows: Vec<i64> = a.dims().iter().map(|d| i64::from(d.lower)).collect();
    let mut highs: Vec<i64> = a.dims().iter().map(Dim::upper).collect();
    highs[0] -= n;
    sub_box(a, &lows, &highs).map(Value::Array)
}

/// Whether two elements match for array_position(s)/remove/replace: NULL matches NULL.
fn same_element(x: &Value, y: &Value) -> bool {
    match (x.is_null(), y.is_null()) {
        (true, true) => true,
        (false, false) => compare(x, y).is_eq(),
        _ => false,
    }
}

fn not_multidim(a: &Array, what: &str) -> Result<()> {
    match a.ndims() > 1 {
        true => Err(Error::invalid(
            "0A000",
            format!("{what} in multidimensional arrays is not supported"),
        )),
        false => Ok(()),
    }
}

/// `array_position(a, x [, start])`: the subscript of the first match at or after `start`.
/// `a[i] := v`: PostgreSQL's assignment to an element of a one-dimensional array, which
/// grows the array with NULLs to reach a subscript outside it.
fn set_element(args: &[Value]) -> Result<Value> {
    let subscript = match args.get(1) {
        Some(Value::Null) | None => {
            return Err(Error::invalid(
                "22004",
                "array subscript in assignment must not be null",
            ))
        }
        Some(v) => int_arg(Some(v)).unwrap_or(0),
    };
    let value = args.get(2).cloned().unwrap_or(Value::Null);
    let subscript = i32::try_from(subscript)
        .map_err(|_| Error::invalid("2202E", "array subscript out of range"))?;
    let (elements, lower) = match args.first() {
        Some(Value::Array(a)) if a.ndims() > 1 => {
            return Err(Error::invalid("2202E", "wrong number of array subscripts"))
        }
        Some(Value::Array(a)) if a.ndims() == 1 => {
            let lower = a.dims()[0].lower;
            (a.elements().to_vec(), lower)
        }
        _ => (Vec::new(), subscript),
    };
    let mut elements = elements;
    let mut lower = lower;
    if elements.is_empty() {
        lower = subscript;
    }
    if subscript < lower {
        let grow = usize::try_from(i64::from(lower) - i64::from(subscript)).unwrap_or(0);
        let mut front = vec![Value::Null; grow];
        front.append(&mut elements);
        elements = front;
        lower = subscript;
    }
    let at = usize::try_from(i64::from(subscript) - i64::from(lower)).unwrap_or(0);
    if at >= elements.len() {
        elements.resize(at + 1, Value::Null);
    }
    elements[at] = value;
    let len = elements.len();
    Array::with_dims(elements, vec![Dim { len, lower }])
        .map(Value::Array)
        .map_err(|_| Error::invalid("54000", "array size exceeds the maximum allowed"))
}

/// `enum_range(lower, upper)` with the type's labels first: the labels from `lower`'s to
/// `upper`'s (either end open when NULL), empty when `upper` comes first.
fn enum_range(args: &[Value]) -> Value {
    let Some(Value::Array(labels)) = args.first() else {
        return Value::Null;
    };
    let labels: Vec<&Value> = labels.iter().collect();
    let at = |bound: Option<&Value>, open: usize| match bound {
        None | Some(Value::Null) => Some(open),
        Some(label) => labels.iter().position(|l| *l == label),
    };
    let (Some(from), Some(to)) = (
        at(args.get(1), 0),
        at(args.get(2), labels.len().saturating_sub(1)),
    ) else {
        return Value::Null;
    };
    let range = labels
        .get(from..=to)
        .map_or_else(Vec::new, |r| r.iter().map(|l| (*l).clone()).collect());
    Value::Array(Array::new(range))
}

fn position(args: &[Value]) -> Result<Value> {
    let Some(Value::Array(a)) = args.first() else {
        return Ok(Value::Null);
    };
    not_multidim(a, "searching for elements")?;
    let lower = i64::from(a.dims().first().map_or(1, |d| d.lower));
    let needle = args.get(1).cloned().unwrap_or(Value::Null);
    let start = match args.get(2) {
        None => lower,
        Some(Value::Null) => {
            return Err(Error::invalid("22004", "initial position must not be null"))
        }
        Some(v) => int_arg(Some(v)).unwrap_or(lower),
    };
    Ok(a.iter()
        .enumerate()
        .map(|(i, x)| (lower + i64::try_from(i).unwrap_or(i64::MAX), x))
        .find(|(s, x)| *s >= start && same_element(x, &needle))
        .map_or(Value::Null, |(s, _)| {
            Value::Int4(i32::try_from(s).unwrap_or(i32::MAX))
        }))
}

/// `array_positions(a, x)`, `array_remove(a, x)` and `array_replace(a, x, y)`.
fn edit(b: Builtin, args: &[Value]) -> Result<Value> {
    let Some(Value::Array(a)) = args.first() else {
        return Ok(Value::Null);
    };
    let needle = args.get(1).cloned().unwrap_or(Value::Null);
    Ok(match b {
        Builtin::ArrayPositions => {
            not_multidim(a, "searching for elements")?;
            let lower = i64::from(a.dims().first().map_or(1, |d| d.lower));
            Value::array(
                a.iter()
                    .enumerate()
                    .filter(|(_, x)| same_element(x, &needle))
                    .map(|(i, _)| {
                        let s = lower + i64::try_from(i).unwrap_or(i64::MAX);
                        Value::Int4(i32::try_from(s).unwrap_or(i32::MAX))
                    })
                    .collect(),
            )
        }
        Builtin::ArrayRemove => {
            not_multidim(a, "removing elements")?;
            let kept: Vec<Value> = a
                .iter()
                .filter(|x| !same_element(x, &needle))
                .cloned()
                .collect();
            let lower = a.dims().first().map_or(1, |d| d.lower);
            let dims = vec![Dim {
                len: kept.len(),
                lower,
            }];
            Value::Array(Array::with_dims(kept, dims).map_err(shape_error)?)
        }
        _ => {
            let with = args.get(2).cloned().unwrap_or(Value::Null);
            Value::Array(a.clone().map_elements(|x| match same_element(&x, &needle) {
                true => with.clone(),
                false => x,
            }))
        }
    })
}
