//! Dates, times and intervals: the arithmetic operators (date ± integer, date − date,
//! timestamp ± interval, timestamp − timestamp, interval × number, ...) and the functions
//! now, current_date, date_trunc, date_part/extract, to_char, age, make_date,
//! make_timestamp, make_interval, to_timestamp and justify_*.
//!
//! A `timestamptz` is a UTC instant; its fields, truncation and day/month arithmetic work on
//! its wall-clock time in the session zone (`dt::to_local` / `dt::from_local`), as in
//! PostgreSQL, so `+ interval '1 day'` across a DST change keeps the time of day.

use bigdecimal::{BigDecimal, RoundingMode};
use vdb_engine::value::{Interval, Numeric, Value, MICROS_PER_DAY};

use super::{bad_args, int_arg, text_arg, BinaryOp, Builtin};
use crate::error::{Error, Result};
use crate::types::datetime::{
    self as dt, add_months, check_timestamp, day_of_week, day_of_year, fields, iso_week, pg_civil,
    pg_days, TS_INFINITY, TS_NEG_INFINITY,
};
use crate::types::interval::{self as iv, out_of_range};
use crate::types::tz;

fn ts_range() -> Error {
    Error::invalid("22008", "timestamp out of range")
}

fn is_finite(ts: i64) -> bool {
    ts != TS_INFINITY && ts != TS_NEG_INFINITY
}

/// PostgreSQL's `timestamp + interval`: months first (clamping the day), then days, then time.
pub(crate) fn ts_plus_interval(ts: i64, i: &Interval, negate: bool) -> Result<i64> {
    if !is_finite(ts) {
        return Ok(ts);
    }
    let i = if negate { iv::negate(i)? } else { *i };
    let ts = add_months(ts, i64::from(i.months)).ok_or_else(ts_range)?;
    let ts = i64::from(i.days)
        .checked_mul(MICROS_PER_DAY)
        .and_then(|d| ts.checked_add(d))
        .and_then(|t| t.checked_add(i.micros))
        .ok_or_else(ts_range)?;
    check_timestamp(ts).ok_or_else(ts_range)
}

/// PostgreSQL's `timestamptz + interval`: months and days move the wall-clock time in the
/// session zone (so a day across a DST change keeps the time of day), the rest is absolute.
pub(crate) fn tstz_plus_interval(ts: i64, i: &Interval, negate: bool) -> Result<i64> {
    if !is_finite(ts) {
        return Ok(ts);
    }
    let i = if negate { iv::negate(i)? } else { *i };
    let ts = if i.months == 0 && i.days == 0 {
        ts
    } else {
        let calendar = Interval { micros: 0, ..i };
        let local = ts_plus_interval(dt::to_local(ts), &calendar, false)?;
        dt::from_local(local)
    };
    let ts = ts.checked_add(i.micros).ok_or_else(ts_range)?;
    check_timestamp(ts).ok_or_else(ts_range)
}

fn number(v: &Value) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    Some(match v {
        Value::Int2(n) => f64::from(*n),
        Value::Int4(n) => f64::from(*n),
        Value::Int8(n) => *n as f64,
        Value::Float4(f) => f64::from(*f),
        Value::Float8(f) => *f,
        Value::Numeric(Numeric::Finite(d)) => d.to_string().parse().ok()?,
        _ => return None,
    })
}

fn date_ts(d: i32) -> i64 {
    match d {
        i32::MAX => TS_INFINITY,
        i32::MIN => TS_NEG_INFINITY,
        d => i64::from(d) * MICROS_PER_DAY,
    }
}

/// The arithmetic operators on dates, times and intervals.
pub(super) fn binary(op: BinaryOp, l: &Value, r: &Value) -> Option<Result<Value>> {
    use BinaryOp::{Add, Div, Mul, Sub};
    use Value::{Date, Interval as Iv, Time, Timestamp, TimestampTz};
    let sub = op == Sub;
    Some(match (op, l, r) {
        // An infinite date stays infinite, as in PostgreSQL.
        (
            Add | Sub,
            Date(d @ (i32::MAX | i32::MIN)),
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_),
        ) => Ok(Date(*d)),
        (Add | Sub, Date(d), n @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_))) => {
            let n = int_arg(Some(n)).unwrap_or(0);
            let n = if sub { n.checked_neg() } else { Some(n) };
            n.and_then(|n| i64::from(*d).checked_add(n))
                .and_then(|d| i32::try_from(d).ok())
                .filter(|d| pg_civil(i64::from(*d)).0 < 5_874_898)
                .map(Date)
                .ok_or_else(|| Error::invalid("22008", "date out of range"))
        }
        (Add, n @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_)), Date(_)) => {
            return binary(Add, r, n)
        }
        (Sub, Date(a), Date(b))
            if [*a, *b]
                .into_iter()
                .any(|d| matches!(d, i32::MAX | i32::MIN)) =>
        {
            Err(Error::invalid("22008", "cannot subtract infinite dates"))
        }
        (Sub, Date(a), Date(b)) => Ok(Value::Int4(a.wrapping_sub(*b))),
        (Add | Sub, Date(d), Iv(i)) => ts_plus_interval(date_ts(*d), i, sub).map(Timestamp),
        (Add, Iv(_), Date(_) | Timestamp(_) | TimestampTz(_) | Time(_)) => {
            return binary(Add, r, l)
        }
        (Add, Date(d), Time(t)) => Ok(Timestamp(date_ts(*d).saturating_add(*t))),
        (Add, Time(_), Date(_)) => return binary(Add, r, l),
        (Add | Sub, Timestamp(t), Iv(i)) => ts_plus_interval(*t, i, sub).map(Timestamp),
        (Add | Sub, TimestampTz(t), Iv(i)) => tstz_plus_interval(*t, i, sub).map(TimestampTz),
        (Sub, Timestamp(a), Timestamp(b)) | (Sub, TimestampTz(a), TimestampTz(b)) => {
            ts_minus(*a, *b)
        }
        (Add | Sub, Time(t), Iv(i)) => {
            let m = if sub {
                i.micros.wrapping_neg()
            } else {
                i.micros
            };
            Ok(Time(t.wrapping_add(m).rem_euclid(MICROS_PER_DAY)))
        }
        (Sub, Time(a), Time(b)) => Ok(Iv(Interval {
            months: 0,
            days: 0,
            micros: a.saturating_sub(*b),
        })),
        (Add | Sub, Iv(a), Iv(b)) => iv::add(a, b, sub).map(Iv),
        (Mul, Iv(a), n) | (Mul, n, Iv(a)) => match number(n) {
            Some(f) => iv::mul(a, f).map(Iv),
            None => return None,
        },
        (Div, Iv(a), n) => match number(n) {
            Some(0.0) => Err(Error::DivisionByZero),
            Some(f) => iv::div(a, f).map(Iv),
            None => return None,
        },
        _ => return None,
    })
}

/// `timestamp - timestamp`: days and time, as PostgreSQL's `timestamp_mi` (justified hours).
fn ts_minus(a: i64, b: i64) -> Result<Value> {
    if !is_finite(a) || !is_finite(b) {
        return Err(Error::invalid(
            "22008",
            "cannot subtract infinite timestamps",
        ));
    }
    let micros = a.checked_sub(b).ok_or_else(out_of_range)?;
    iv::justify_hours(&Interval {
        months: 0,
        days: 0,
        micros,
    })
    .map(Value::Interval)
}

/// Evaluates `b` if it is a date/time function.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let first = args.first();
    Some(match b {
        Builtin::Now => Ok(Value::TimestampTz(now_micros())),
        Builtin::StatementTimestamp => Ok(Value::TimestampTz(statement_start())),
        Builtin::ClockTimestamp => Ok(Value::TimestampTz(clock_micros())),
        Builtin::CurrentDate => Ok(Value::Date(
            i32::try_from(dt::to_local(now_micros()).div_euclid(MICROS_PER_DAY)).unwrap_or(0),
        )),
        Builtin::DateTrunc => match args.get(2) {
            // date_trunc(unit, timestamptz, zone): truncated in that zone's wall-clock time.
            Some(Value::Text(name)) => match tz::zone_or_abbreviation(name.trim()) {
                Ok(zone) => tz::with_session_zone(&zone, || {
                    date_trunc(text_arg(first).unwrap_or_default(), args.get(1))
                }),
                Err(_) => Err(Error::invalid(
                    "22023",
                    format!("time zone \"{name}\" not recognized"),
                )),
            },
            _ => date_trunc(text_arg(first).unwrap_or_default(), args.get(1)),
        },
        Builtin::DatePart { numeric } => {
            date_part(text_arg(first).unwrap_or_default(), args.get(1), numeric)
        }
        Builtin::ToChar => match (first, text_arg(args.get(1))) {
            (Some(v), Some(fmt)) => to_char(v, fmt),
            _ => Err(bad_args(b, args)),
        },
        Builtin::Age => age(args),
        Builtin::MakeDate => make_date(args),
        Builtin::MakeTimestamp => make_timestamp(args),
        Builtin::MakeInterval => make_interval(args),
        Builtin::MakeTime => make_time(args),
        Builtin::MakeTimestampTz => make_timestamptz(args),
        Builtin::ParseFormatted { date } => match (text_arg(first), text_arg(args.get(1))) {
            (Some(text), Some(fmt)) => super::to_timestamp::parse(text, fmt, date),
            _ => Err(bad_args(b, args)),
        },
        Builtin::IsFinite => Ok(Value::Bool(match first {
            Some(Value::Date(d)) => *d != i32::MAX && *d != i32::MIN,
            Some(Value::Timestamp(t) | Value::TimestampTz(t)) => is_finite(*t),
            _ => true,
        })),
        Builtin::DateBin => date_bin(args),
        Builtin::Overlaps => Ok(overlaps(args)),
        Builtin::ToTimestamp => match number(first.unwrap_or(&Value::Null)) {
            Some(f) if f.is_nan() => Err(Error::invalid("22008", "timestamp cannot be NaN")),
            Some(f) if f.is_infinite() => Ok(Value::TimestampTz(if f > 0.0 {
                TS_INFINITY
            } else {
                TS_NEG_INFINITY
            })),
            #[allow(clippy::cast_possible_truncation)]
            Some(f) => {
                let micros = ((f - 946_684_800.0) * 1e6).round();
                if micros.abs() > 9.2e18 {
                    Err(ts_range())
                } else {
                    check_timestamp(micros as i64)
                        .map(Value::TimestampTz)
                        .ok_or_else(ts_range)
                }
            }
            None => Err(bad_args(b, args)),
        },
        Builtin::JustifyDays | Builtin::JustifyHours | Builtin::JustifyInterval => match first {
            Some(Value::Interval(i)) => match b {
                Builtin::JustifyDays => iv::justify_days(i),
                Builtin::JustifyHours => iv::justify_hours(i),
                _ => iv::justify_interval(i),
            }
            .map(Value::Interval),
            _ => Err(bad_args(b, args)),
        },
        Builtin::AtTimeZone => at_time_zone(first, args.get(1)),
        Builtin::RoundSeconds(p) => Ok(match first {
            Some(Value::Timestamp(t)) => Value::Timestamp(round_micros(*t, p)),
            Some(Value::TimestampTz(t)) => Value::TimestampTz(round_micros(*t, p)),
            Some(Value::Time(t)) => Value::Time(round_micros(*t, p)),
            Some(other) => other.clone(),
            None => Value::Null,
        }),
        _ => return None,
    })
}

/// `AT TIME ZONE` / `timezone(zone, ts)`: a timestamptz becomes the wall-clock time in the
/// zone, a timestamp is read as wall-clock time there. The zone is an interval (east of UTC),
/// an abbreviation (`EST`), a tz database name or a POSIX string (`+05` is west of UTC, as
/// PostgreSQL reads text zones).
fn at_time_zone(ts: Option<&Value>, zone: Option<&Value>) -> Result<Value> {
    let zone = match zone {
        Some(Value::Interval(i)) if i.months == 0 && i.days == 0 => {
            let secs = i32::try_from(i.micros / 1_000_000).map_err(|_| ts_range())?;
            std::sync::Arc::new(tz::Zone::fixed("", secs))
        }
        Some(Value::Interval(_)) => {
            return Err(Error::invalid(
                "22023",
                "interval time zone must not include months or days",
            ))
        }
        Some(Value::Text(name)) => tz::zone_or_abbreviation(name.trim()).map_err(|e| match e {
            tz::ZoneError::NoDatabase(msg) => Error::invalid("58P01", msg),
            tz::ZoneError::Unknown => {
                Error::invalid("22023", format!("time zone \"{name}\" not recognized"))
            }
        })?,
        _ => return Ok(Value::Null),
    };
    Ok(match ts {
        Some(Value::TimestampTz(t)) if is_finite(*t) => {
            Value::Timestamp(check_timestamp(zone.utc_to_local(*t)).ok_or_else(ts_range)?)
        }
        Some(Value::TimestampTz(t)) => Value::Timestamp(*t),
        Some(Value::Timestamp(t)) if is_finite(*t) => {
            Value::TimestampTz(check_timestamp(zone.local_to_utc(*t)).ok_or_else(ts_range)?)
        }
        Some(Value::Timestamp(t)) => Value::TimestampTz(*t),
        _ => Value::Null,
    })
}

/// Rounds to `p` fractional digits of a second, half away from zero, as `timestamp(p)`.
fn round_micros(t: i64, p: u8) -> i64 {
    vdb_engine::value::round_fraction(t, p)
}

thread_local! {
    /// The transaction's start time, pinned by [`start_statement_clock`], so that every
    /// `now()` of one transaction agrees, as in PostgreSQL.
    static TRANSACTION_NOW: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
    /// The running statement's start time: `statement_timestamp()`.
    static STATEMENT_START: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Pins the clock for the statement about to run on this thread (the session calls it first
/// thing for each statement): `now()` and
/// `current_timestamp` give `transaction_start` (the time its block began, if it runs in
/// one) or else the statement's start, `statement_timestamp()` the statement's start.
pub fn start_statement_clock(transaction_start: Option<i64>) {
    let start = clock_micros();
    STATEMENT_START.with(|n| n.set(Some(start)));
    TRANSACTION_NOW.with(|n| n.set(Some(transaction_start.unwrap_or(start))));
}

/// The running statement's start time (the clock's time when no statement pinned one):
/// `statement_timestamp()`.
fn statement_start() -> i64 {
    STATEMENT_START
        .with(std::cell::Cell::get)
        .unwrap_or_else(clock_micros)
}

/// The current time in microseconds since 2000-01-01 UTC: the transaction's pinned start
/// time, or the clock when no statement pinned one.
pub(crate) fn now_micros() -> i64 {
    TRANSACTION_NOW
        .with(std::cell::Cell::get)
        .unwrap_or_else(clock_micros)
}

/// The clock's time in microseconds since 2000-01-01 UTC, unpinned.
pub fn clock_micros() -> i64 {
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(0))
        .unwrap_or(0);
    since_unix - dt::PG_EPOCH_DAYS * MICROS_PER_DAY
}

fn unit_error(unit: &str, ty: &str) -> Error {
    Error::invalid(
        "22023",
        format!("unit \"{unit}\" not recognized for type {ty}"),
    )
}

/// A unit name as PostgreSQL reads it (lowercased, cut to its first ten characters, so
/// `microseconds` is `microsecon`), its synonyms and abbreviations made one name:
/// `msec` / `ms` / `milliseconds` are `milliseconds`, `mins` / `m` are `minute`, `qtr` is
/// `quarter`, `centuries` is `century` ... Other names are returned lowercased.
fn canonical_unit(unit: &str) -> String {
    let lower = unit.to_ascii_lowercase();
    let token: String = lower.chars().take(10).collect();
    let name = match token.as_str() {
        "microsecon" | "us" | "usec" | "usecs" | "useconds" => "microseconds",
        "millisecon" | "ms" | "msec" | "msecs" | "mseconds" => "milliseconds",
        "s" | "sec" | "secs" | "second" | "seconds" => "second",
        "m" | "min" | "mins" | "minute" | "minutes" => "minute",
        "h" | "hr" | "hrs" | "hour" | "hours" => "hour",
        "d" | "day" | "days" => "day",
        "w" | "week" | "weeks" => "week",
        "mon" | "mons" | "month" | "months" => "month",
        "qtr" | "quarter" => "quarter",
        "y" | "yr" | "yrs" | "year" | "years" => "year",
        "dec" | "decs" | "decade" | "decades" => "decade",
        "c" | "cent" | "century" | "centuries" => "century",
        "mil" | "mils" | "millennia" | "millennium" => "millennium",
        "timezone_h" => "timezone_hour",
        "timezone_m" => "timezone_minute",
        _ => return lower,
    };
    name.to_string()
}

/// The units of time, canonical (see [`canonical_unit`]), shortest first: the first five
/// are the time of day's.
const TIME_UNITS: [&str; 13] = [
    "microseconds",
    "milliseconds",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "quarter",
    "year",
    "decade",
    "century",
    "millennium",
];

/// The time-zone fields.
const ZONE_UNITS: [&str; 3] = ["timezone", "timezone_hour", "timezone_minute"];

/// The other fields date_part and EXTRACT know (not units date_trunc truncates to).
const OTHER_FIELDS: [&str; 6] = ["epoch", "dow", "doy", "isodow", "isoyear", "julian"];

/// Whether PostgreSQL knows `unit` (canonical) as a field of some date/time type: a unit it
/// knows but the type lacks is 0A000 "not supported", an unknown one 22023.
fn known_unit(unit: &str) -> bool {
    [&TIME_UNITS[..], &ZONE_UNITS, &OTHER_FIELDS]
        .iter()
        .any(|units| units.contains(&unit))
}

/// The error for a unit `ty` has no value of: 0A000 when the unit is one PostgreSQL knows,
/// else 22023.
fn missing_unit(unit: &str, canonical: &str, ty: &str) -> Error {
    if known_unit(canonical) {
        return Error::invalid(
            "0A000",
            format!("unit \"{unit}\" not supported for type {ty}"),
        );
    }
    unit_error(unit, ty)
}

/// date_trunc's error for a unit: only units of time (not `dow`, `epoch`, the zone fields)
/// are ones it knows.
fn missing_trunc_unit(unit: &str, canonical: &str, ty: &str) -> Error {
    let special = ZONE_UNITS.contains(&canonical) || OTHER_FIELDS.contains(&canonical);
    if special {
        return unit_error(unit, ty);
    }
    missing_unit(unit, canonical, ty)
}

fn date_trunc(unit: &str, v: Option<&Value>) -> Result<Value> {
    let unit_l = canonical_unit(unit);
    match v {
        Some(Value::Timestamp(t)) if !is_finite(*t) => Ok(Value::Timestamp(*t)),
        Some(Value::TimestampTz(t)) if !is_finite(*t) => Ok(Value::TimestampTz(*t)),
        Some(Value::Timestamp(t)) => dt::trunc(&unit_l, *t)
            .map(Value::Timestamp)
            .ok_or_else(|| missing_trunc_unit(unit, &unit_l, "timestamp without time zone")),
        Some(Value::TimestampTz(t)) => dt::trunc(&unit_l, dt::to_local(*t))
            .map(|local| Value::TimestampTz(dt::from_local(local)))
            .ok_or_else(|| missing_trunc_unit(unit, &unit_l, "timestamp with time zone")),
        Some(Value::Interval(i)) => trunc_interval(&unit_l, i)
            .map(Value::Interval)
            .ok_or_else(|| missing_trunc_unit(unit, &unit_l, "interval")),
        _ => Ok(Value::Null),
    }
}

fn trunc_interval(unit: &str, i: &Interval) -> Option<Interval> {
    let keep = |micros_unit: i64| Interval {
        months: i.months,
        days: i.days,
        micros: i.micros / micros_unit * micros_unit,
    };
    Some(match unit {
        "microseconds" => *i,
        "milliseconds" => keep(1000),
        "second" => keep(1_000_000),
        "minute" => keep(60_000_000),
        "hour" => keep(3_600_000_000),
        "day" => Interval {
            months: i.months,
            days: i.days,
            micros: 0,
        },
        "month" => Interval {
            months: i.months,
            days: 0,
            micros: 0,
        },
        "year" => Interval {
            months: i.months / 12 * 12,
            days: 0,
            micros: 0,
        },
        _ => return None,
    })
}

/// A field value: an integer, or a number of micro-units with a scale.
enum Part {
    Int(i64),
    /// `value / 10^scale`, printed with `scale` digits by extract.
    Scaled(i128, i64),
    Float(f64),
    /// A Julian day with a time of day (microseconds): the day plus the fraction of it.
    Julian(i64, i64),
    /// No value: a field of an infinite timestamp that does not grow with time (its month).
    Null,
}

fn date_part(unit: &str, v: Option<&Value>, numeric: bool) -> Result<Value> {
    let u = canonical_unit(unit);
    // EXTRACT from a date has no time-of-day fields (date_part reads the date as a timestamp).
    let time_of_day = TIME_UNITS[..5].contains(&u.as_str()) || ZONE_UNITS.contains(&u.as_str());
    let (part, ty) = match v {
        Some(Value::Date(_)) if numeric && time_of_day => (None, "date"),
        Some(Value::Date(d)) => (ts_part(&u, date_ts(*d)), "date"),
        Some(Value::Timestamp(t)) => (ts_part(&u, *t), "timestamp without time zone"),
        Some(Value::TimestampTz(t)) => (tstz_part(&u, *t), "timestamp with time zone"),
        Some(Value::Time(t)) => (time_part(&u, *t), "time without time zone"),
        Some(Value::Interval(i)) => (interval_part(&u, i), "interval"),
        _ => return Ok(Value::Null),
    };
    let part = part.ok_or_else(|| missing_unit(unit, &u, ty))?;
    let date_input = matches!(v, Some(Value::Date(_)));
    Ok(match (part, numeric) {
        #[allow(clippy::cast_precision_loss)]
        (Part::Int(n), false) => Value::Float8(n as f64),
        (Part::Int(n), true) => Value::Numeric(Numeric::Finite(BigDecimal::from(n))),
        #[allow(clippy::cast_precision_loss)]
        (Part::Scaled(n, s), false) => {
            Value::Float8(n as f64 / 10f64.powi(i32::try_from(s).unwrap_or(0)))
        }
        (Part::Scaled(n, s), true) => {
            let d = BigDecimal::new(n.into(), s);
            Value::Numeric(Numeric::Finite(if date_input {
                d.with_scale_round(0, RoundingMode::HalfUp)
            } else {
                d
            }))
        }
        (Part::Null, _) => Value::Null,
        #[allow(clippy::cast_precision_loss)]
        (Part::Julian(day, micros), false) => {
            Value::Float8(day as f64 + micros as f64 / 86_400_000_000.0)
        }
        (Part::Julian(day, micros), true) => Value::Numeric(Numeric::Finite(
            BigDecimal::from(day)
                + crate::expr::numeric_div(
                    &BigDecimal::from(micros),
                    &BigDecimal::from(86_400_000_000_i64),
                ),
        )),
        (Part::Float(f), false) => Value::Float8(f),
        (Part::Float(f), true) => {
            Value::Numeric(format!("{f}").parse::<Numeric>().unwrap_or(Numeric::NaN))
        }
    })
}

fn time_fields(u: &str, micros: i64) -> Option<Part> {
    let sec_micros = micros.rem_euclid(60_000_000);
    Some(match u {
        "microsecond" | "microseconds" | "us" => Part::Int(sec_micros),
        "millisecond" | "milliseconds" | "ms" => Part::Scaled(i128::from(sec_micros), 3),
        "second" | "seconds" | "s" | "sec" => Part::Scaled(i128::from(sec_micros), 6),
        "minute" | "minutes" | "m" | "min" => Part::Int(micros / 60_000_000 % 60),
        "hour" | "hours" | "h" => Part::Int(micros / 3_600_000_000),
        _ => return None,
    })
}

fn time_part(u: &str, t: i64) -> Option<Part> {
    if u == "epoch" {
        return Some(Part::Scaled(i128::from(t), 6));
    }
    time_fields(u, t)
}

/// A field of a timestamptz: of its wall-clock time in the session zone, except the epoch
/// (an instant) and the zone fields.
fn tstz_part(u: &str, ts: i64) -> Option<Part> {
    if !is_finite(ts) || u == "epoch" {
        return ts_part(u, ts);
    }
    let offset = i64::from(tz::session_zone().offset_at_utc(ts));
    match u {
        "timezone" => Some(Part::Int(offset)),
        "timezone_hour" => Some(Part::Int(offset / 3600)),
        "timezone_minute" => Some(Part::Int(offset / 60 % 60)),
        _ => ts_part(u, dt::to_local(ts)),
    }
}

fn ts_part(u: &str, ts: i64) -> Option<Part> {
    if !is_finite(ts) {
        // The fields that grow with time are infinite too; the others have no value (and an
        // unknown field is still an error).
        ts_part(u, 0)?;
        let growing = [
            "year",
            "years",
            "y",
            "decade",
            "decades",
            "century",
            "centuries",
            "millennium",
            "millennia",
            "julian",
            "isoyear",
            "epoch",
        ];
        if !growing.contains(&u) {
            return Some(Part::Null);
        }
        let inf = if ts > 0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        return Some(Part::Float(inf));
    }
    let f = fields(ts);
    if let Some(p) = time_fields(u, f.micros) {
        return Some(p);
    }
    Some(Part::Int(match u {
        // PostgreSQL counts BC years down from -1 (astronomical year 0 is 1 BC).
        "year" | "years" | "y" if f.year <= 0 => f.year - 1,
        "year" | "years" | "y" => f.year,
        "month" | "months" | "mon" => f.month,
        "day" | "days" | "d" => f.day,
        "quarter" => (f.month - 1) / 3 + 1,
        "decade" => f.year.div_euclid(10),
        "century" => {
            if f.year > 0 {
                (f.year + 99) / 100
            } else {
                -((99 - (f.year - 1)) / 100)
            }
        }
        "millennium" => {
            if f.year > 0 {
                (f.year + 999) / 1000
            } else {
                -((999 - (f.year - 1)) / 1000)
            }
        }
        "dow" => day_of_week(f.days),
        "isodow" => {
            let d = day_of_week(f.days);
            if d == 0 {
                7
            } else {
                d
            }
        }
        "doy" => day_of_year(f.days),
        "week" => iso_week(f.days).1,
        // BC ISO years count down from -1, as BC years do.
        "isoyear" => match iso_week(f.days).0 {
            y if y <= 0 => y - 1,
            y => y,
        },
        "julian" if f.micros != 0 => return Some(Part::Julian(f.days + 2_451_545, f.micros)),
        "julian" => f.days + 2_451_545,
        "timezone" | "timezone_hour" | "timezone_minute" => 0,
        "epoch" => {
            let unix = i128::from(ts) + i128::from(dt::PG_EPOCH_DAYS * MICROS_PER_DAY);
            return Some(Part::Scaled(unix, 6));
        }
        _ => return None,
    }))
}

fn interval_part(u: &str, i: &Interval) -> Option<Part> {
    if u == "epoch" {
        let micros = i128::from(i.months / 12) * 36_525 * 864_000_000
            + i128::from(i.months % 12) * 30 * i128::from(MICROS_PER_DAY)
            + i128::from(i.days) * i128::from(MICROS_PER_DAY)
            + i128::from(i.micros);
        return Some(Part::Scaled(micros, 6));
    }
    if let Some(p) = time_fields(u, i.micros) {
        return Some(match p {
            Part::Int(_) if u.starts_with('h') => Part::Int(iv::hours(i)),
            Part::Int(_)
                if u.starts_with("mi") && !u.starts_with("mic") && !u.starts_with("mil") =>
            {
                Part::Int(i.micros / 60_000_000 % 60)
            }
            _ => match u {
                "microsecond" | "microseconds" | "us" => Part::Int(i.micros % 60_000_000),
                "millisecond" | "milliseconds" | "ms" => {
                    Part::Scaled(i128::from(i.micros % 60_000_000), 3)
                }
                "second" | "seconds" | "s" | "sec" => {
                    Part::Scaled(i128::from(i.micros % 60_000_000), 6)
                }
                _ => p,
            },
        });
    }
    let months = i64::from(i.months);
    Some(Part::Int(match u {
        "day" | "days" => i64::from(i.days),
        "month" | "months" | "mon" => months % 12,
        "year" | "years" => months / 12,
        "quarter" => months % 12 / 3 + 1,
        "decade" => months / 120,
        "century" => months / 1200,
        "millennium" => months / 12000,
        _ => return None,
    }))
}

/// Months in Roman numerals, as to_char's RM prints them.
const ROMAN_MONTHS: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// `to_char(timestamp|date|interval, format)` with the common patterns.
fn to_char(v: &Value, fmt: &str) -> Result<Value> {
    // The zone's abbreviation and offset, for TZ and OF (no abbreviation and +00 for a
    // timestamp, as PostgreSQL prints them).
    let zone = match v {
        Value::TimestampTz(t) if is_finite(*t) => {
            let z = tz::session_zone();
            (
                z.abbreviation_at_utc(*t),
                tz::format_offset(z.offset_at_utc(*t)),
            )
        }
        _ => (String::new(), "+00".to_string()),
    };
    // TZH and TZM: the offset's signed hours and its minutes.
    let (tzh, tzm) = match zone.1.split_once(':') {
        Some((h, m)) => (h.to_string(), m.get(..2).unwrap_or("00").to_string()),
        None => (zone.1.clone(), "00".to_string()),
    };
    let (ts, interval) = match v {
        Value::Timestamp(t) => (*t, None),
        Value::TimestampTz(t) => (dt::to_local(*t), None),
        Value::Date(d) => (date_ts(*d), None),
        Value::Interval(i) => (i.micros, Some(*i)),
        _ => return Err(Error::Unsupported("to_char of a number".into())),
    };
    if !is_finite(ts) {
        return Ok(Value::Null);
    }
    let f = fields(ts);
    let (year, month, day) = match interval {
        Some(i) => (
            i64::from(i.months / 12),
            i64::from(i.months % 12),
            i64::from(i.days),
        ),
        // A BC year prints as its number (`2020 BC`; astronomical year 0 is 1 BC).
        None if f.year <= 0 => (1 - f.year, f.month, f.day),
        None => (f.year, f.month, f.day),
    };
    let bc = interval.is_none() && f.year <= 0;
    let micros = match interval {
        Some(i) => i.micros,
        None => f.micros,
    };
    let hour = micros / 3_600_000_000;
    let min = micros / 60_000_000 % 60;
    let sec = micros / 1_000_000 % 60;
    let frac = micros % 1_000_000;
    let dow = day_of_week(f.days);
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    // Where a dropped prefix ended: no prefix is read there.
    let mut bare_at = None;
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        let mut fm = false;
        let mut rest_ref = rest.as_str();
        // One prefix: FM (no padding) or TM (translated names, which in the C locale are the
        // English ones, and no trailing blanks either).
        let mut prefix = 0;
        if bare_at != Some(i)
            && ["FM", "fm", "TM", "tm"]
                .iter()
                .any(|p| rest_ref.starts_with(p))
        {
            fm = true;
            rest_ref = &rest_ref[2..];
            prefix = 2;
        }
        let num = |n: i64, width: usize| {
            if fm {
                n.to_string()
            } else {
                format!("{n:0width$}")
            }
        };
        let name = |s: &str, upper: bool, lower: bool, pad: usize| {
            let s = if upper {
                s.to_uppercase()
            } else if lower {
                s.to_lowercase()
            } else {
                s.to_string()
            };
            if fm {
                s
            } else {
                format!("{s:<pad$}")
            }
        };
        let month_name = dt::MONTH_NAMES[usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0)];
        let day_name = dt::DAY_NAMES[usize::try_from(dow).unwrap_or(0)];
        let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
        let isodow = if dow == 0 { 7 } else { dow };
        // The ISO year as the year prints: a BC one by its number.
        let iso_year = match iso_week(f.days).0 {
            y if y <= 0 && interval.is_none() => 1 - y,
            y => y,
        };
        let century = if f.year > 0 {
            (f.year - 1) / 100 + 1
        } else {
            f.year / 100 - 1
        };
        let roman = ROMAN_MONTHS[usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0)];
        let patterns: &[(&str, String)] = &[
            ("IYYY", num(iso_year, 4)),
            ("IYY", num(iso_year % 1000, 3)),
            ("IDDD", num((iso_week(f.days).1 - 1) * 7 + isodow, 3)),
            ("ID", isodow.to_string()),
            ("IY", num(iso_year % 100, 2)),
            ("Y,YYY", format!("{},{:03}", year / 1000, year % 1000)),
            ("YYYY", num(year, 4)),
            ("yyyy", num(year, 4)),
            ("YYY", num(year % 1000, 3)),
            ("YY", num(year % 100, 2)),
            ("yy", num(year % 100, 2)),
            ("Y", (year % 10).to_string()),
            ("RM", name(roman, true, false, 4)),
            ("rm", name(roman, false, true, 4)),
            ("MONTH", name(month_name, true, false, 9)),
            ("Month", name(month_name, false, false, 9)),
            ("month", name(month_name, false, true, 9)),
            ("MON", month_name[..3].to_uppercase()),
            ("Mon", month_name[..3].to_string()),
            ("mon", month_name[..3].to_lowercase()),
            ("MM", num(month, 2)),
            ("mm", num(month, 2)),
            ("DAY", name(day_name, true, false, 9)),
            ("Day", name(day_name, false, false, 9)),
            ("day", name(day_name, false, true, 9)),
            ("DY", day_name[..3].to_uppercase()),
            ("Dy", day_name[..3].to_string()),
            ("dy", day_name[..3].to_lowercase()),
            ("DDD", num(day_of_year(f.days), 3)),
            ("DD", num(day, 2)),
            ("dd", num(day, 2)),
            ("D", (dow + 1).to_string()),
            ("HH24", num(hour, 2)),
            ("hh24", num(hour, 2)),
            ("HH12", num(hour12, 2)),
            ("hh12", num(hour12, 2)),
            ("HH", num(hour12, 2)),
            ("hh", num(hour12, 2)),
            ("MI", num(min, 2)),
            ("mi", num(min, 2)),
            ("SSSSS", (micros / 1_000_000).to_string()),
            ("SSSS", (micros / 1_000_000).to_string()),
            ("SS", num(sec, 2)),
            ("ss", num(sec, 2)),
            ("MS", num(frac / 1000, 3)),
            ("ms", num(frac / 1000, 3)),
            ("FF1", num(frac / 100_000, 1)),
            ("FF2", num(frac / 10_000, 2)),
            ("FF3", num(frac / 1000, 3)),
            ("FF4", num(frac / 100, 4)),
            ("FF5", num(frac / 10, 5)),
            ("FF6", num(frac, 6)),
            ("US", num(frac, 6)),
            ("us", num(frac, 6)),
            ("A.M.", if hour < 12 { "A.M." } else { "P.M." }.into()),
            ("P.M.", if hour < 12 { "A.M." } else { "P.M." }.into()),
            ("a.m.", if hour < 12 { "a.m." } else { "p.m." }.into()),
            ("p.m.", if hour < 12 { "a.m." } else { "p.m." }.into()),
            ("A.D.", if !bc { "A.D." } else { "B.C." }.into()),
            ("B.C.", if !bc { "A.D." } else { "B.C." }.into()),
            ("a.d.", if !bc { "a.d." } else { "b.c." }.into()),
            ("b.c.", if !bc { "a.d." } else { "b.c." }.into()),
            ("AD", if bc { "BC" } else { "AD" }.into()),
            ("BC", if bc { "BC" } else { "AD" }.into()),
            ("ad", if !bc { "ad" } else { "bc" }.into()),
            ("bc", if !bc { "ad" } else { "bc" }.into()),
            ("AM", if hour < 12 { "AM" } else { "PM" }.into()),
            ("PM", if hour < 12 { "AM" } else { "PM" }.into()),
            ("am", if hour < 12 { "am" } else { "pm" }.into()),
            ("pm", if hour < 12 { "am" } else { "pm" }.into()),
            ("IW", num(iso_week(f.days).1, 2)),
            ("WW", num((day_of_year(f.days) - 1) / 7 + 1, 2)),
            ("Q", ((month - 1) / 3 + 1).to_string()),
            ("TZH", tzh.clone()),
            ("TZM", tzm.clone()),
            ("TZ", zone.0.to_uppercase()),
            ("tz", zone.0.to_lowercase()),
            ("OF", zone.1.clone()),
            (
                "CC",
                match century {
                    c if fm || c >= 0 => num(c, 2),
                    c => format!("{c:03}"),
                },
            ),
            ("J", (f.days + 2_451_545).to_string()),
            ("I", (iso_year % 10).to_string()),
        ];
        // Numeric fields match in any case (`ddd` is `DDD`); names, AM/PM and zones follow the
        // case they are written in, and are listed in each case above.
        let cased = |p: &str| {
            p.bytes().any(|b| b.is_ascii_lowercase())
                || matches!(
                    p,
                    "MONTH"
                        | "RM"
                        | "MON"
                        | "DAY"
                        | "DY"
                        | "AM"
                        | "PM"
                        | "A.M."
                        | "P.M."
                        | "AD"
                        | "BC"
                        | "A.D."
                        | "B.C."
                        | "TZ"
                        | "OF"
                )
        };
        let found = patterns.iter().find(|(p, _)| {
            rest_ref.starts_with(p)
                || (!cased(p)
                    && rest_ref
                        .get(..p.len())
                        .is_some_and(|s| s.eq_ignore_ascii_case(p)))
        });
        if let Some((p, text)) = found {
            out.push_str(text);
            i += p.chars().count() + prefix;
            // An ordinal suffix after a number: DDth → 01st.
            let after: String = chars[i..chars.len().min(i + 2)].iter().collect();
            if (after == "th" || after == "TH") && text.bytes().all(|b| b.is_ascii_digit()) {
                let suffix = ordinal_suffix(text.parse().unwrap_or(0));
                out.push_str(&if after == "TH" {
                    suffix.to_uppercase()
                } else {
                    suffix.into()
                });
                i += 2;
            }
            continue;
        }
        if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                out.push(chars[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        // A prefix before no pattern is dropped, and what follows is read without one
        // (`FMTMMonth` reads FM, then T, MM, onth).
        if prefix > 0 {
            i += prefix;
            bare_at = Some(i);
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    Ok(Value::Text(out))
}

/// English ordinal suffix of a number, as to_char's `th`.
fn ordinal_suffix(n: i64) -> &'static str {
    match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    }
}

/// `age(a, b)` (or `age(a)` against today's midnight): a symbolic years/months/days result.
fn age(args: &[Value]) -> Result<Value> {
    let ts = |v: Option<&Value>| match v {
        Some(Value::Timestamp(t)) => Some(*t),
        Some(Value::TimestampTz(t)) => Some(dt::to_local(*t)),
        Some(Value::Date(d)) => Some(date_ts(*d)),
        _ => None,
    };
    // age(x) is age(current_date, x): midnight of today in the session's time zone.
    let (a, b) = if args.len() > 1 {
        (ts(args.first()), ts(args.get(1)))
    } else {
        let today = dt::to_local(now_micros()).div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY;
        (Some(today), ts(args.first()))
    };
    let (Some(a), Some(b)) = (a, b) else {
        return Ok(Value::Null);
    };
    if !is_finite(a) || !is_finite(b) {
        return Err(Error::invalid("22008", "timestamp out of range"));
    }
    let (f1, f2) = (fields(a), fields(b));
    let neg = a < b;
    let s = |x: i64| if neg { -x } else { x };
    let mut sec = 0i64;
    let mut min = s(f1.micros / 60_000_000 % 60 - f2.micros / 60_000_000 % 60);
    let mut hour = s(f1.micros / 3_600_000_000 - f2.micros / 3_600_000_000);
    let mut mday = s(f1.day - f2.day);
    let mut mon = s(f1.month - f2.month);
    let mut year = s(f1.year - f2.year);
    // usec holds seconds and fractions together; split into the two fields.
    let sec_diff = s((f1.micros / 1_000_000 % 60) - (f2.micros / 1_000_000 % 60));
    let frac_diff = s((f1.micros % 1_000_000) - (f2.micros % 1_000_000));
    let mut usec = frac_diff;
    sec += sec_diff;
    while usec < 0 {
        usec += 1_000_000;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        mday -= 1;
    }
    while mday < 0 {
        let (y, m) = if neg {
            (f1.year, f1.month)
        } else {
            (f2.year, f2.month)
        };
        mday += dt::days_in_month(y, m);
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    let micros = ((hour * 60 + min) * 60 + sec) * 1_000_000 + usec;
    let (months, days, micros) = (year * 12 + mon, mday, micros);
    let (months, days, micros) = if neg {
        (-months, -days, -micros)
    } else {
        (months, days, micros)
    };
    Ok(Value::Interval(Interval {
        months: i32::try_from(months).map_err(|_| out_of_range())?,
        days: i32::try_from(days).map_err(|_| out_of_range())?,
        micros,
    }))
}

fn make_date(args: &[Value]) -> Result<Value> {
    let (y, m, d) = (
        int_arg(args.first()).unwrap_or(0),
        int_arg(args.get(1)).unwrap_or(0),
        int_arg(args.get(2)).unwrap_or(0),
    );
    let bad = || {
        Error::invalid(
            "22008",
            format!("date field value out of range: {y}-{m:02}-{d:02}"),
        )
    };
    if y == 0 {
        return Err(bad());
    }
    let year = if y < 0 { y + 1 } else { y };
    let days = pg_days(year, m, d).map_err(|_| bad())?;
    i32::try_from(days).map(Value::Date).map_err(|_| bad())
}

fn make_timestamp(args: &[Value]) -> Result<Value> {
    let Value::Date(d) = make_date(args)? else {
        return Ok(Value::Null);
    };
    let h = int_arg(args.get(3)).unwrap_or(0);
    let mi = int_arg(args.get(4)).unwrap_or(0);
    let s = args.get(5).and_then(number).unwrap_or(0.0);
    if !(0..=23).contains(&h) || !(0..=59).contains(&mi) || !(0.0..60.0).contains(&s) {
        return Err(Error::invalid(
            "22008",
            format!("time field value out of range: {h}:{mi:02}:{s:02}"),
        ));
    }
    #[allow(clippy::cast_possible_truncation)]
    let micros = (h * 60 + mi) * 60_000_000 + (s * 1e6).round() as i64;
    Ok(Value::Timestamp(date_ts(d) + micros))
}

/// `make_time(hour, min, sec)`.
fn make_time(args: &[Value]) -> Result<Value> {
    let h = int_arg(args.first()).unwrap_or(0);
    let mi = int_arg(args.get(1)).unwrap_or(0);
    let s = args.get(2).and_then(number).unwrap_or(0.0);
    let in_range = (0..=23).contains(&h) && (0..=59).contains(&mi) && (0.0..60.0).contains(&s);
    let exactly_midnight = h == 24 && mi == 0 && s == 0.0;
    if !in_range && !exactly_midnight {
        return Err(Error::invalid(
            "22008",
            format!("time field value out of range: {h}:{mi:02}:{s:02}"),
        ));
    }
    #[allow(clippy::cast_possible_truncation)]
    let micros = (h * 60 + mi) * 60_000_000 + (s * 1e6).round() as i64;
    Ok(Value::Time(micros))
}

/// `[+-]hh[:mm[:ss]]` (or `hhmm`) as seconds east of Greenwich; `None` for anything else.
fn iso_offset(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let parts: Vec<&str> = if rest.contains(':') {
        rest.split(':').collect()
    } else if rest.len() == 4 {
        vec![&rest[..2], &rest[2..]]
    } else {
        vec![rest]
    };
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let seconds = parts
        .iter()
        .zip([3600, 60, 1])
        .map(|(p, unit)| p.parse::<i64>().unwrap_or(0) * unit)
        .sum::<i64>();
    Some(sign * seconds)
}

/// `make_timestamptz(y, m, d, h, mi, s [, zone])`: the wall-clock time in `zone`, else in the
/// session zone.
fn make_timestamptz(args: &[Value]) -> Result<Value> {
    let Value::Timestamp(local) = make_timestamp(&args[..args.len().min(6)])? else {
        return Ok(Value::Null);
    };
    let utc = match args.get(6) {
        // A numeric offset is ISO 8601's, east of Greenwich (`+05` is five hours ahead), as
        // PostgreSQL reads it here (where SET TIME ZONE and AT TIME ZONE read POSIX's).
        Some(Value::Text(name)) if iso_offset(name.trim()).is_some() => {
            local - iso_offset(name.trim()).unwrap_or(0) * 1_000_000
        }
        Some(Value::Text(name)) => tz::zone_or_abbreviation(name.trim())
            .map_err(|_| Error::invalid("22023", format!("time zone \"{name}\" not recognized")))?
            .local_to_utc(local),
        _ => dt::from_local(local),
    };
    check_timestamp(utc)
        .map(Value::TimestampTz)
        .ok_or_else(ts_range)
}

/// `date_bin(stride, source, origin)`: the start of the stride-wide bin, counted from
/// `origin`, that holds `source` (strides of months or years are not allowed).
/// Whether two periods overlap, as PostgreSQL's `overlaps_timestamp` decides it: each period's
/// ends are put in order, a NULL end stands for an unknown one, and periods that share only an
/// end point do not overlap.
fn overlaps(args: &[Value]) -> Value {
    let period = |start: Option<&Value>, end: Option<&Value>| {
        let (start, end) = (start.unwrap_or(&Value::Null), end.unwrap_or(&Value::Null));
        match (start.is_null(), end.is_null()) {
            (true, true) => None,
            (true, false) => Some((end.clone(), None)),
            (false, true) => Some((start.clone(), None)),
            (false, false) if start.sql_cmp(end).is_gt() => {
                Some((end.clone(), Some(start.clone())))
            }
            (false, false) => Some((start.clone(), Some(end.clone()))),
        }
    };
    let (Some((s1, e1)), Some((s2, e2))) = (
        period(args.first(), args.get(1)),
        period(args.get(2), args.get(3)),
    ) else {
        return Value::Null;
    };
    // The later-starting period overlaps when it starts before the other one ends.
    let later_starts_in = |later: &Value, end: Option<&Value>, other_end: Option<&Value>| match end
    {
        None => Value::Null,
        Some(end) if later.sql_cmp(end).is_lt() => Value::Bool(true),
        Some(_) if other_end.is_none() => Value::Null,
        Some(_) => Value::Bool(false),
    };
    match s1.sql_cmp(&s2) {
        std::cmp::Ordering::Greater => later_starts_in(&s1, e2.as_ref(), e1.as_ref()),
        std::cmp::Ordering::Less => later_starts_in(&s2, e1.as_ref(), e2.as_ref()),
        std::cmp::Ordering::Equal if e1.is_none() || e2.is_none() => Value::Null,
        std::cmp::Ordering::Equal => Value::Bool(true),
    }
}

fn date_bin(args: &[Value]) -> Result<Value> {
    let (Some(Value::Interval(stride)), Some(source), Some(origin)) =
        (args.first(), args.get(1), args.get(2))
    else {
        return Ok(Value::Null);
    };
    if stride.months != 0 {
        return Err(Error::Unsupported(
            "timestamps cannot be binned into intervals containing months or years".into(),
        ));
    }
    let width = i64::from(stride.days)
        .checked_mul(MICROS_PER_DAY)
        .and_then(|d| d.checked_add(stride.micros))
        .ok_or_else(out_of_range)?;
    if width <= 0 {
        return Err(Error::invalid("22008", "stride must be greater than zero"));
    }
    let (s, o) = match (source, origin) {
        (Value::Timestamp(s), Value::Timestamp(o))
        | (Value::TimestampTz(s), Value::TimestampTz(o)) => (*s, *o),
        _ => return Ok(Value::Null),
    };
    if !is_finite(s) || !is_finite(o) {
        return Err(Error::invalid("22008", "timestamp out of range"));
    }
    let delta = s.checked_sub(o).ok_or_else(ts_range)?;
    let mut bin = delta / width * width;
    if delta < 0 && delta % width != 0 {
        bin -= width;
    }
    let ts = o.checked_add(bin).ok_or_else(ts_range)?;
    Ok(match source {
        Value::TimestampTz(_) => Value::TimestampTz(ts),
        _ => Value::Timestamp(ts),
    })
}

/// `make_interval(years, months, weeks, days, hours, mins, secs)`, positional.
fn make_interval(args: &[Value]) -> Result<Value> {
    let n = |i: usize| int_arg(args.get(i)).unwrap_or(0);
    let secs = args.get(6).and_then(number).unwrap_or(0.0);
    let months = n(0).checked_mul(12).and_then(|y| y.checked_add(n(1)));
    let days = n(2).checked_mul(7).and_then(|w| w.checked_add(n(3)));
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let micros = {
        let m = (n(4) as f64 * 3600.0 + n(5) as f64 * 60.0 + secs) * 1e6;
        (m.abs() < 9.2e18).then_some(m.round() as i64)
    };
    match (
        months.and_then(|m| i32::try_from(m).ok()),
        days.and_then(|d| i32::try_from(d).ok()),
        micros,
    ) {
        (Some(months), Some(days), Some(micros)) => Ok(Value::Interval(Interval {
            months,
            days,
            micros,
        })),
        _ => Err(out_of_range()),
    }
}
