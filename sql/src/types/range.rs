//! Range types: int4range, int8range, numrange, daterange, tsrange and tstzrange.
//!
//! A range value is held as its canonical text (`[1,5)`, `empty`, `(,"2024-01-01 00:00:00"]`),
//! the form PostgreSQL prints, so rows, keys and the wire carry it as text. This module reads
//! that text into a [`Range`] of subtype values, canonicalizes it as PostgreSQL does (a discrete
//! range — integers, dates — always as `[lower, upper)`), and implements the operators and
//! functions over ranges: containment, overlap, position, union, intersection, difference and
//! the bound accessors.

use std::cmp::Ordering;

use vdb_engine::value::{RangeKind, Type, Value};

use crate::error::{Error, Result};
use crate::types::{cast, quote_field, to_pg_text};

/// A range's subtype.
pub fn subtype(kind: RangeKind) -> Type {
    match kind {
        RangeKind::Int4 => Type::Int4,
        RangeKind::Int8 => Type::Int8,
        RangeKind::Numeric => Type::Numeric {
            precision_scale: None,
        },
        RangeKind::Date => Type::Date,
        RangeKind::Timestamp => Type::Timestamp,
        RangeKind::TimestampTz => Type::TimestampTz,
    }
}

/// The range kind whose type is named `name` (`int4range`, ...).
pub fn kind_named(name: &str) -> Option<RangeKind> {
    Some(match name {
        "int4range" => RangeKind::Int4,
        "int8range" => RangeKind::Int8,
        "numrange" => RangeKind::Numeric,
        "daterange" => RangeKind::Date,
        "tsrange" => RangeKind::Timestamp,
        "tstzrange" => RangeKind::TimestampTz,
        _ => return None,
    })
}

/// One end of a non-empty range; `value` is `None` for an unbounded end.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub value: Option<Value>,
    pub inclusive: bool,
}

/// A range value: `None` is the empty range.
#[derive(Clone, Debug, PartialEq)]
pub struct Range(pub Option<(Bound, Bound)>);

/// 22P02 for text that is not a range, with PostgreSQL's message (`why` is its DETAIL line,
/// which vdb's errors do not carry).
fn malformed(text: &str, why: &str) -> Error {
    let _ = why;
    Error::InvalidText {
        message: format!("malformed range literal: \"{text}\""),
        datetime: false,
    }
}

/// Reads range text as `kind` (PostgreSQL's `range_in`), canonicalized.
pub fn parse(text: &str, kind: RangeKind) -> Result<Range> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("empty") {
        return Ok(Range(None));
    }
    let mut chars = trimmed.chars().peekable();
    let lower_inclusive = match chars.next() {
        Some('[') => true,
        Some('(') => false,
        _ => return Err(malformed(text, "Missing left parenthesis or bracket.")),
    };
    let lower = read_bound(&mut chars, text, ',')?;
    if chars.next() != Some(',') {
        return Err(malformed(text, "Missing comma after lower bound."));
    }
    let upper = read_bound(&mut chars, text, ')')?;
    let upper_inclusive = match chars.next() {
        Some(']') => true,
        Some(')') => false,
        _ => return Err(malformed(text, "Too many commas.")),
    };
    if chars.next().is_some() {
        return Err(malformed(text, "Junk after right parenthesis or bracket."));
    }
    let value = |s: Option<String>| -> Result<Option<Value>> {
        s.map(|s| cast(Value::Text(s), &subtype(kind))).transpose()
    };
    make(
        kind,
        Bound {
            value: value(lower)?,
            inclusive: lower_inclusive,
        },
        Bound {
            value: value(upper)?,
            inclusive: upper_inclusive,
        },
    )
}

/// One bound's text up to `,` (lower) or `)` / `]` (upper): `None` when empty (unbounded);
/// double quotes group, `\` escapes the next character, and `""` inside quotes is a quote.
fn read_bound(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    text: &str,
    end: char,
) -> Result<Option<String>> {
    let is_end = |c: char| {
        if end == ',' {
            c == ','
        } else {
            c == ')' || c == ']'
        }
    };
    if chars.peek().is_some_and(|&c| is_end(c)) {
        return Ok(None);
    }
    let mut out = String::new();
    let mut quoted = false;
    loop {
        let Some(&c) = chars.peek() else {
            return Err(malformed(text, "Unexpected end of input."));
        };
        if !quoted && (is_end(c) || (end == ',' && (c == ')' || c == ']'))) {
            break;
        }
        chars.next();
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => return Err(malformed(text, "Unexpected end of input.")),
            },
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.push('"');
            }
            '"' => quoted = !quoted,
            c => out.push(c),
        }
    }
    Ok(Some(out))
}

/// A range of `kind` between two bounds, as PostgreSQL's `range_serialize` makes it: 22000 when
/// lower > upper; a discrete kind canonicalized to `[lower, upper)`; empty when nothing is
/// between the bounds. Unbounded ends are never inclusive.
pub fn make(kind: RangeKind, mut lower: Bound, mut upper: Bound) -> Result<Range> {
    if lower.value.is_none() {
        lower.inclusive = false;
    }
    if upper.value.is_none() {
        upper.inclusive = false;
    }
    if let (Some(l), Some(u)) = (&lower.value, &upper.value) {
        match l.sql_cmp(u) {
            Ordering::Greater => {
                return Err(Error::invalid(
                    "22000",
                    "range lower bound must be less than or equal to range upper bound",
                ))
            }
            Ordering::Equal if !(lower.inclusive && upper.inclusive) => return Ok(Range(None)),
            _ => {}
        }
    }
    if matches!(kind, RangeKind::Int4 | RangeKind::Int8 | RangeKind::Date) {
        if let Some(l) = lower.value.as_ref().filter(|_| !lower.inclusive) {
            lower = Bound {
                value: Some(next(l)?),
                inclusive: true,
            };
        }
        if let Some(u) = upper.value.as_ref().filter(|_| upper.inclusive) {
            upper = Bound {
                value: Some(next(u)?),
                inclusive: false,
            };
        }
        if let (Some(l), Some(u)) = (&lower.value, &upper.value) {
            if l.sql_cmp(u) != Ordering::Less {
                return Ok(Range(None));
            }
        }
    }
    Ok(Range(Some((lower, upper))))
}

/// The next value of a discrete subtype.
fn next(v: &Value) -> Result<Value> {
    let out_of_range = |what: &str| Error::OutOfRange(format!("{what} out of range"));
    Ok(match v {
        Value::Int4(i) => Value::Int4(i.checked_add(1).ok_or_else(|| out_of_range("integer"))?),
        Value::Int8(i) => Value::Int8(i.checked_add(1).ok_or_else(|| out_of_range("bigint"))?),
        Value::Date(d) => Value::Date(d.checked_add(1).ok_or_else(|| out_of_range("date"))?),
        other => other.clone(),
    })
}

/// The canonical text of a range (PostgreSQL's `range_out`).
pub fn format(range: &Range) -> String {
    let Some((lower, upper)) = &range.0 else {
        return "empty".into();
    };
    let bound = |b: &Bound| {
        b.value
            .as_ref()
            .and_then(to_pg_text)
            .map(|s| quote_field(&s, &['(', ')', '[', ']', ',']))
            .unwrap_or_default()
    };
    format!(
        "{}{},{}{}",
        if lower.inclusive { '[' } else { '(' },
        bound(lower),
        bound(upper),
        if upper.inclusive { ']' } else { ')' }
    )
}

/// Compares two lower bounds (an unbounded one first; at equal values the inclusive one first).
fn cmp_lower(a: &Bound, b: &Bound) -> Ordering {
    match (&a.value, &b.value) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => x.sql_cmp(y).then_with(|| b.inclusive.cmp(&a.inclusive)),
    }
}

/// Compares two upper bounds (an unbounded one last; at equal values the exclusive one first).
fn cmp_upper(a: &Bound, b: &Bound) -> Ordering {
    match (&a.value, &b.value) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Greater,
        (_, None) => Ordering::Less,
        (Some(x), Some(y)) => x.sql_cmp(y).then_with(|| a.inclusive.cmp(&b.inclusive)),
    }
}

/// Whether lower bound `l` is at or before upper bound `u` (some value lies in both).
fn lower_le_upper(l: &Bound, u: &Bound) -> bool {
    match (&l.value, &u.value) {
        (None, _) | (_, None) => true,
        (Some(x), Some(y)) => match x.sql_cmp(y) {
            Ordering::Less => true,
            Ordering::Equal => l.inclusive && u.inclusive,
            Ordering::Greater => false,
        },
    }
}

impl Range {
    fn bounds(&self) -> Option<(&Bound, &Bound)> {
        self.0.as_ref().map(|(l, u)| (l, u))
    }

    /// `range @> element`.
    pub fn contains_value(&self, v: &Value) -> bool {
        let Some((l, u)) = self.bounds() else {
            return false;
        };
        let above = l.value.as_ref().is_none_or(|x| match v.sql_cmp(x) {
            Ordering::Greater => true,
            Ordering::Equal => l.inclusive,
            Ordering::Less => false,
        });
        let below = u.value.as_ref().is_none_or(|y| match v.sql_cmp(y) {
            Ordering::Less => true,
            Ordering::Equal => u.inclusive,
            Ordering::Greater => false,
        });
        above && below
    }

    /// `self @> other`.
    pub fn contains(&self, other: &Range) -> bool {
        match (self.bounds(), other.bounds()) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some((al, au)), Some((bl, bu))) => {
                cmp_lower(al, bl) != Ordering::Greater && cmp_upper(au, bu) != Ordering::Less
            }
        }
    }

    /// `self && other`.
    pub fn overlaps(&self, other: &Range) -> bool {
        match (self.bounds(), other.bounds()) {
            (Some((al, au)), Some((bl, bu))) => lower_le_upper(al, bu) && lower_le_upper(bl, au),
            _ => false,
        }
    }

    /// `self << other`: every value of self is below every value of other.
    pub fn left_of(&self, other: &Range) -> bool {
        match (self.bounds(), other.bounds()) {
            (Some((_, au)), Some((bl, _))) => !lower_le_upper(bl, au),
            _ => false,
        }
    }

    /// `self -|- other`: they touch without overlapping.
    pub fn adjacent(&self, other: &Range) -> bool {
        let touch = |u: &Bound, l: &Bound| match (&u.value, &l.value) {
            (Some(x), Some(y)) => x.sql_cmp(y) == Ordering::Equal && u.inclusive != l.inclusive,
            _ => false,
        };
        match (self.bounds(), other.bounds()) {
            (Some((al, au)), Some((bl, bu))) => touch(au, bl) || touch(bu, al),
            _ => false,
        }
    }

    /// `self &< other`: self does not extend to the right of other.
    pub fn over_left(&self, other: &Range) -> bool {
        match (self.bounds(), other.bounds()) {
            (Some((_, au)), Some((_, bu))) => cmp_upper(au, bu) != Ordering::Greater,
            _ => false,
        }
    }

    /// `self &> other`: self does not extend to the left of other.
    pub fn over_right(&self, other: &Range) -> bool {
        match (self.bounds(), other.bounds()) {
            (Some((al, _)), Some((bl, _))) => cmp_lower(al, bl) != Ordering::Less,
            _ => false,
        }
    }

    /// The total order btree uses: empty first, then by lower bound, then by upper bound.
    pub fn order(&self, other: &Range) -> Ordering {
        match (self.bounds(), other.bounds()) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some((al, au)), Some((bl, bu))) => cmp_lower(al, bl).then_with(|| cmp_upper(au, bu)),
        }
    }

    /// An array that compares as [`Range::order`] orders: `{0}` for empty, else flags and
    /// values of the lower bound (unbounded first, inclusive before exclusive) and of the upper
    /// bound (exclusive before inclusive, unbounded last).
    pub fn sort_key(&self) -> Value {
        let Some((l, u)) = self.bounds() else {
            return Value::array(vec![Value::Int4(0)]);
        };
        let flag = |b: bool| Value::Int4(i32::from(b));
        Value::array(vec![
            Value::Int4(1),
            flag(l.value.is_some()),
            l.value.clone().unwrap_or(Value::Null),
            flag(!l.inclusive),
            flag(u.value.is_none()),
            u.value.clone().unwrap_or(Value::Null),
            flag(u.inclusive),
        ])
    }

    /// `range_merge(self, other)`: the smallest range holding both (and the gap between).
    pub fn merge(&self, other: &Range, kind: RangeKind) -> Result<Range> {
        match (self.bounds(), other.bounds()) {
            (None, _) => Ok(other.clone()),
            (_, None) => Ok(self.clone()),
            (Some((al, au)), Some((bl, bu))) => {
                let lower = if cmp_lower(al, bl) == Ordering::Greater {
                    bl
                } else {
                    al
                };
                let upper = if cmp_upper(au, bu) == Ordering::Less {
                    bu
                } else {
                    au
                };
                make(kind, lower.clone(), upper.clone())
            }
        }
    }

    /// `self + other`: 22000 when the result would have a gap.
    pub fn union(&self, other: &Range, kind: RangeKind) -> Result<Range> {
        if self.0.is_some() && other.0.is_some() && !self.overlaps(other) && !self.adjacent(other) {
            return Err(Error::invalid(
                "22000",
                "result of range union would not be contiguous",
            ));
        }
        self.merge(other, kind)
    }

    /// `self * other`.
    pub fn intersect(&self, other: &Range, kind: RangeKind) -> Result<Range> {
        if !self.overlaps(other) {
            return Ok(Range(None));
        }
        let (Some((al, au)), Some((bl, bu))) = (self.bounds(), other.bounds()) else {
            return Ok(Range(None));
        };
        let lower = if cmp_lower(al, bl) == Ordering::Less {
            bl
        } else {
            al
        };
        let upper = if cmp_upper(au, bu) == Ordering::Greater {
            bu
        } else {
            au
        };
        make(kind, lower.clone(), upper.clone())
    }

    /// `self - other`: 22000 when the result would be two pieces.
    pub fn minus(&self, other: &Range, kind: RangeKind) -> Result<Range> {
        let (Some((al, au)), Some((bl, bu))) = (self.bounds(), other.bounds()) else {
            return Ok(self.clone());
        };
        if !self.overlaps(other) {
            return Ok(self.clone());
        }
        let starts_before = cmp_lower(al, bl) == Ordering::Less;
        let ends_after = cmp_upper(au, bu) == Ordering::Greater;
        match (starts_before, ends_after) {
            (true, true) => Err(Error::invalid(
                "22000",
                "result of range difference would not be contiguous",
            )),
            (false, false) => Ok(Range(None)),
            (true, false) => make(
                kind,
                al.clone(),
                Bound {
                    value: bl.value.clone(),
                    inclusive: !bl.inclusive,
                },
            ),
            (false, true) => make(
                kind,
                Bound {
                    value: bu.value.clone(),
                    inclusive: !bu.inclusive,
                },
                au.clone(),
            ),
        }
    }

    /// `lower(r)` / `upper(r)`: NULL for an empty range or an unbounded end.
    pub fn end(&self, upper: bool) -> Value {
        self.bounds()
            .and_then(|(l, u)| if upper { &u.value } else { &l.value }.clone())
            .unwrap_or(Value::Null)
    }

    /// `lower_inc` / `upper_inc` (false for an empty range).
    pub fn inclusive(&self, upper: bool) -> bool {
        self.bounds()
            .is_some_and(|(l, u)| if upper { u.inclusive } else { l.inclusive })
    }

    /// `lower_inf` / `upper_inf` (false for an empty range).
    pub fn unbounded(&self, upper: bool) -> bool {
        self.bounds().is_some_and(|(l, u)| {
            if upper {
                u.value.is_none()
            } else {
                l.value.is_none()
            }
        })
    }
}

/// The range operators and functions, evaluated by [`eval`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeFunction {
    /// `int4range(lower, upper [, bounds])`: NULL bounds are unbounded, so not strict.
    Construct,
    /// `range @> element` / `element <@ range` (arguments range, element).
    ContainsValue,
    /// `a @> b` (`b <@ a` binds with the arguments swapped).
    Contains,
    Overlaps,
    LeftOf,
    RightOf,
    OverLeft,
    OverRight,
    Adjacent,
    Union,
    Intersect,
    Minus,
    Merge,
    /// `=`, `<>`, `<`, `<=`, `>`, `>=` by the btree order.
    Compare(crate::expr::BinaryOp),
    Lower,
    Upper,
    IsEmpty,
    LowerInc,
    UpperInc,
    LowerInf,
    UpperInf,
    /// A value that sorts as the range does (ORDER BY a range column).
    SortKey,
}

/// Evaluates `f` over ranges of `kind` (NULL arguments of the strict ones are handled by the
/// caller).
pub fn eval(f: RangeFunction, kind: RangeKind, args: &[Value]) -> Result<Value> {
    use RangeFunction as F;
    let arg = |i: usize| -> Result<Range> {
        read(args.get(i).unwrap_or(&Value::Null), kind)?
            .ok_or_else(|| Error::invalid("XX000", "a range argument is missing"))
    };
    let text = |r: Range| Ok(Value::Text(format(&r)));
    let boolean = |b: bool| Ok(Value::Bool(b));
    match f {
        F::Construct => {
            let bound = |i: usize| match args.get(i) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => cast(v.clone(), &subtype(kind)).map(Some),
            };
            let flags = match args.get(2) {
                None => "[)".to_string(),
                Some(Value::Null) => {
                    return Err(Error::invalid(
                        "22000",
                        "range constructor flags argument must not be null",
                    ))
                }
                Some(v) => to_pg_text(v).unwrap_or_default(),
            };
            let (lower_inclusive, upper_inclusive) = match flags.as_str() {
                "[)" => (true, false),
                "[]" => (true, true),
                "(]" => (false, true),
                "()" => (false, false),
                _ => return Err(Error::invalid("42601", "invalid range bound flags")),
            };
            text(make(
                kind,
                Bound {
                    value: bound(0)?,
                    inclusive: lower_inclusive,
                },
                Bound {
                    value: bound(1)?,
                    inclusive: upper_inclusive,
                },
            )?)
        }
        F::ContainsValue => {
            let element = cast(args.get(1).cloned().unwrap_or(Value::Null), &subtype(kind))?;
            boolean(arg(0)?.contains_value(&element))
        }
        F::Contains => boolean(arg(0)?.contains(&arg(1)?)),
        F::Overlaps => boolean(arg(0)?.overlaps(&arg(1)?)),
        F::LeftOf => boolean(arg(0)?.left_of(&arg(1)?)),
        F::RightOf => boolean(arg(1)?.left_of(&arg(0)?)),
        F::OverLeft => boolean(arg(0)?.over_left(&arg(1)?)),
        F::OverRight => boolean(arg(0)?.over_right(&arg(1)?)),
        F::Adjacent => boolean(arg(0)?.adjacent(&arg(1)?)),
        F::Union => text(arg(0)?.union(&arg(1)?, kind)?),
        F::Intersect => text(arg(0)?.intersect(&arg(1)?, kind)?),
        F::Minus => text(arg(0)?.minus(&arg(1)?, kind)?),
        F::Merge => text(arg(0)?.merge(&arg(1)?, kind)?),
        F::Compare(op) => {
            use crate::expr::BinaryOp as B;
            let ord = arg(0)?.order(&arg(1)?);
            boolean(match op {
                B::Eq => ord == Ordering::Equal,
                B::NotEq => ord != Ordering::Equal,
                B::Lt => ord == Ordering::Less,
                B::LtEq => ord != Ordering::Greater,
                B::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
        F::Lower => Ok(arg(0)?.end(false)),
        F::Upper => Ok(arg(0)?.end(true)),
        F::IsEmpty => boolean(arg(0)?.0.is_none()),
        F::LowerInc => boolean(arg(0)?.inclusive(false)),
        F::UpperInc => boolean(arg(0)?.inclusive(true)),
        F::LowerInf => boolean(arg(0)?.unbounded(false)),
        F::UpperInf => boolean(arg(0)?.unbounded(true)),
        F::SortKey => Ok(arg(0)?.sort_key()),
    }
}

/// The text of a range value of `kind` read back (values are held canonical, so this only
/// fails on a damaged value).
pub fn read(v: &Value, kind: RangeKind) -> Result<Option<Range>> {
    match v {
        Value::Null => Ok(None),
        Value::Text(s) => parse(s, kind).map(Some),
        other => Err(Error::invalid(
            "XX000",
            format!("not a range value: {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str, kind: RangeKind) -> Range {
        parse(text, kind).expect("parses")
    }

    #[test]
    fn discrete_ranges_are_canonical() {
        let k = RangeKind::Int4;
        assert_eq!(format(&r("[1,5]", k)), "[1,6)");
        assert_eq!(format(&r("(1,5)", k)), "[2,5)");
        assert_eq!(format(&r("(1,2)", k)), "empty");
        assert_eq!(format(&r("[5,5]", k)), "[5,6)");
        assert_eq!(format(&r("[,5]", k)), "(,6)");
        assert_eq!(format(&r(" EMPTY ", k)), "empty");
        assert!(parse("[5,1)", k).is_err());
        assert!(parse("[1,5", k).is_err());
        assert!(parse("1,5)", k).is_err());
    }

    #[test]
    fn continuous_ranges_keep_their_bounds_and_quote_spaces() {
        let k = RangeKind::Numeric;
        assert_eq!(format(&r("(1.5,2.5]", k)), "(1.5,2.5]");
        assert_eq!(format(&r("[1,1)", k)), "empty");
        assert_eq!(format(&r("[1,1]", k)), "[1,1]");
        let ts = r("[2024-01-01, \"2024-01-02 10:00\")", RangeKind::Timestamp);
        assert_eq!(
            format(&ts),
            "[\"2024-01-01 00:00:00\",\"2024-01-02 10:00:00\")"
        );
    }

    #[test]
    fn operators_follow_postgresql() {
        let k = RangeKind::Int4;
        let a = r("[1,10)", k);
        let b = r("[5,20)", k);
        let c = r("[10,12)", k);
        assert!(a.contains_value(&Value::Int4(1)));
        assert!(!a.contains_value(&Value::Int4(10)));
        assert!(a.overlaps(&b) && !a.overlaps(&c));
        assert!(a.adjacent(&c) && !a.adjacent(&b));
        assert!(a.left_of(&c) && !a.left_of(&b));
        assert_eq!(format(&a.union(&b, k).unwrap()), "[1,20)");
        assert_eq!(format(&a.union(&c, k).unwrap()), "[1,12)");
        assert!(a.union(&r("[11,12)", k), k).is_err());
        assert_eq!(format(&a.intersect(&b, k).unwrap()), "[5,10)");
        assert_eq!(format(&a.intersect(&c, k).unwrap()), "empty");
        assert_eq!(format(&a.minus(&b, k).unwrap()), "[1,5)");
        assert!(a.minus(&r("[3,4)", k), k).is_err());
        assert!(r("(,5)", k).contains(&r("[1,2)", k)));
        assert!(a.contains(&Range(None)));
        assert_eq!(Range(None).order(&a), Ordering::Less);
        assert_eq!(a.order(&b), Ordering::Less);
    }
}
