//! `interval`: PostgreSQL's input forms (`1 day 2 hours`, `1 mon`, `-1 year`, `01:02:03`,
//! `@ 1 day ago`, ISO 8601 `P1Y2M3DT4H5M6S`), its output in the session's IntervalStyle
//! (`postgres`: `1 year 2 mons 3 days 04:05:06`; `postgres_verbose`, `sql_standard`,
//! `iso_8601`), and interval arithmetic with overflow checks.
//!
//! An interval keeps months, days and microseconds apart, as PostgreSQL does; fractions spill
//! downwards on input (`1.5 months` is 1 mon 15 days, a month counting 30 days).

use std::cell::Cell;

use vdb_engine::value::{Interval, MICROS_PER_DAY};

use crate::error::{Error, Result};

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// PostgreSQL's "interval out of range" (22008).
pub fn out_of_range() -> Error {
    Error::invalid("22008", "interval out of range")
}

fn syntax(s: &str) -> Error {
    Error::InvalidText {
        message: format!("invalid input syntax for type interval: \"{s}\""),
        datetime: true,
    }
}

fn field_range(s: &str) -> Error {
    Error::invalid(
        "22015",
        format!("interval field value out of range: \"{s}\""),
    )
}

/// Accumulates an interval: integral amounts exactly (i128, so no input overflows it before
/// the range check), fractions spilling downwards as PostgreSQL's `AdjustFractDays` does.
#[derive(Default)]
struct Acc {
    months: i128,
    days: i128,
    micros: i128,
    /// Fractional microseconds from fractional inputs, rounded once at the end.
    frac_micros: f64,
}

impl Acc {
    #[allow(clippy::cast_possible_truncation)]
    fn add_months(&mut self, v: f64) {
        let whole = v.trunc();
        self.months += whole as i128;
        self.add_days((v - whole) * 30.0);
    }

    #[allow(clippy::cast_possible_truncation)]
    fn add_days(&mut self, v: f64) {
        let whole = v.trunc();
        self.days += whole as i128;
        self.frac_micros += (v - whole) * 86_400e6;
    }

    /// Adds `n` units: exactly when `n` is an integer, else through floats.
    #[allow(clippy::cast_precision_loss)]
    fn add(&mut self, n: &Number, unit: &Unit) {
        match (n, unit) {
            (Number::Int(i), Unit::Months(k)) => self.months += i * k,
            (Number::Int(i), Unit::Days(k)) => self.days += i * k,
            (Number::Int(i), Unit::Micros(k)) => self.micros += i * k,
            (Number::Float(f), Unit::Months(k)) => self.add_months(f * *k as f64),
            (Number::Float(f), Unit::Days(k)) => self.add_days(f * *k as f64),
            (Number::Float(f), Unit::Micros(k)) => self.frac_micros += f * *k as f64,
        }
    }

    fn negate(&mut self) {
        self.months = -self.months;
        self.days = -self.days;
        self.micros = -self.micros;
        self.frac_micros = -self.frac_micros;
    }
}

/// A number in interval text: an exact integer or a decimal fraction.
enum Number {
    Int(i128),
    Float(f64),
}

/// The unit of a word, as months, days or microseconds per unit.
enum Unit {
    Months(i128),
    Days(i128),
    Micros(i128),
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Unit::Micros(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => {
            Unit::Micros(1_000)
        }
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(1_000_000),
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(60_000_000),
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(3_600_000_000),
        "day" | "days" | "d" => Unit::Days(1),
        "week" | "weeks" | "w" => Unit::Days(7),
        "month" | "months" | "mon" | "mons" => Unit::Months(1),
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12),
        "decade" | "decades" => Unit::Months(120),
        "century" | "centuries" | "c" => Unit::Months(1200),
        "millennium" | "millennia" | "millenniums" => Unit::Months(12000),
        _ => return None,
    })
}

/// Parses interval text.
pub fn parse_interval(s: &str) -> Result<Interval> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_prefix('@').unwrap_or(&t).trim();
    if t.is_empty() {
        return Err(syntax(s));
    }
    let acc = if let Some(iso) = t.strip_prefix('p') {
        parse_iso(iso).ok_or_else(|| syntax(s))?
    } else {
        let signed;
        let t = match sql_standard_sign(t) {
            Some(text) => {
                signed = text;
                signed.as_str()
            }
            None => t,
        };
        parse_postgres(t).ok_or_else(|| syntax(s))?
    };
    finish(&acc).ok_or_else(|| field_range(s))
}

fn finish(acc: &Acc) -> Option<Interval> {
    let frac = acc.frac_micros.round();
    if !frac.is_finite() || frac.abs() > 1e19 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let micros = acc.micros.checked_add(frac as i128)?;
    Some(Interval {
        months: i32::try_from(acc.months).ok()?,
        days: i32::try_from(acc.days).ok()?,
        micros: i64::try_from(micros).ok()?,
    })
}

/// Under IntervalStyle `sql_standard`, a leading minus with no other sign applies to every
/// field (`-1 2:03:04` is minus a day and two hours...): the text with each later number
/// negated; `None` otherwise.
fn sql_standard_sign(t: &str) -> Option<String> {
    if INTERVAL_STYLE.with(Cell::get) != IntervalStyle::SqlStandard || !t.starts_with('-') {
        return None;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words[1..].iter().any(|w| w.starts_with(['+', '-'])) {
        return None;
    }
    let mut out = words[0].to_string();
    for word in &words[1..] {
        out.push(' ');
        if word.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            out.push('-');
        }
        out.push_str(word);
    }
    Some(out)
}

/// `[+-]years-months` (SQL's year-month literal, `1-2`): the months it counts.
fn year_month(tok: &str) -> Option<i128> {
    let (negative, body) = match tok.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, tok.strip_prefix('+').unwrap_or(tok)),
    };
    let (y, m) = body.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(y) || !digits(m) {
        return None;
    }
    let months = y.parse::<i128>().ok()? * 12 + m.parse::<i128>().ok()?;
    Some(if negative { -months } else { months })
}

/// `[+-]number unit ... [hh:mm[:ss]] [ago]`, and SQL's `[+-]Y-M [+-]D [+-]H:M:S`.
fn parse_postgres(t: &str) -> Option<Acc> {
    // Splits "1day" into "1" "day" and keeps "-1" "year" apart.
    let mut tokens: Vec<String> = Vec::new();
    for word in t.split_whitespace() {
        let split = word
            .find(|c: char| c.is_ascii_alphabetic())
            .filter(|at| *at > 0 && !word.contains(':'));
        match split {
            Some(at) => {
                tokens.push(word[..at].to_string());
                tokens.push(word[at..].to_string());
            }
            None => tokens.push(word.to_string()),
        }
    }
    let mut acc = Acc::default();
    let mut ago = false;
    let mut i = 0;
    while i < tokens.len() {
        let tok = &tokens[i];
        if tok == "ago" {
            ago = true;
            i += 1;
            continue;
        }
        if tok.contains(':') {
            acc.micros += parse_clock(tok)?;
            i += 1;
            continue;
        }
        if let Some(months) = year_month(tok) {
            acc.months += months;
            i += 1;
            continue;
        }
        let n = parse_number(tok)?;
        match tokens.get(i + 1).and_then(|u| unit(u)) {
            Some(u) => {
                acc.add(&n, &u);
                i += 2;
            }
            None if tokens.get(i + 1).is_none() => {
                acc.add(&n, &Unit::Micros(1_000_000));
                i += 1;
            }
            // A bare number before a clock counts days: '1 2:03:04'.
            None if tokens.get(i + 1).is_some_and(|t| t.contains(':')) => {
                acc.add(&n, &unit("day")?);
                i += 1;
            }
            None => return None,
        }
    }
    if ago {
        acc.negate();
    }
    Some(acc)
}

fn parse_number(tok: &str) -> Option<Number> {
    let body = tok.strip_prefix(['+', '-']).unwrap_or(tok);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if body.contains('.') {
        return tok.parse().ok().map(Number::Float);
    }
    // More digits than an i128 holds is out of range anyway: saturate, finish() rejects it.
    let huge = if tok.starts_with('-') {
        -(1i128 << 100)
    } else {
        1i128 << 100
    };
    Some(Number::Int(tok.parse().unwrap_or(huge)))
}

/// `[-]h:mm[:ss[.f]]` into microseconds, exactly.
fn parse_clock(tok: &str) -> Option<i128> {
    let (neg, body) = match tok.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, tok.strip_prefix('+').unwrap_or(tok)),
    };
    let parts: Vec<&str> = body.split(':').collect();
    let int = |p: &str| -> Option<i128> {
        if p.is_empty() || p.len() > 30 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let secs = |p: &str| -> Option<i128> {
        let (whole, frac) = p.split_once('.').unwrap_or((p, ""));
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut micros: i128 = format!("{:0<6}", &frac[..frac.len().min(6)]).parse().ok()?;
        if frac.as_bytes().get(6).is_some_and(|d| *d >= b'5') {
            micros += 1;
        }
        Some(int(whole)? * 1_000_000 + micros)
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (int(h)?, int(m)?, 0),
        [h, m, s] => (int(h)?, int(m)?, secs(s)?),
        _ => return None,
    };
    if m >= 60 || s >= 60_000_000 {
        return None;
    }
    let v = (h * 60 + m) * 60_000_000 + s;
    Some(if neg { -v } else { v })
}

/// ISO 8601 `nYnMnWnDTnHnMnS` (after the `P`).
fn parse_iso(t: &str) -> Option<Acc> {
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut num = String::new();
    for c in t.chars() {
        if c == 't' {
            in_time = true;
            continue;
        }
        if c.is_ascii_digit() || c == '.' || c == '-' || c == '+' {
            num.push(c);
            continue;
        }
        let n = parse_number(&num)?;
        num.clear();
        let unit = match (in_time, c) {
            (false, 'y') => Unit::Months(12),
            (false, 'm') => Unit::Months(1),
            (false, 'w') => Unit::Days(7),
            (false, 'd') => Unit::Days(1),
            (true, 'h') => Unit::Micros(3_600_000_000),
            (true, 'm') => Unit::Micros(60_000_000),
            (true, 's') => Unit::Micros(1_000_000),
            _ => return None,
        };
        acc.add(&n, &unit);
    }
    num.is_empty().then_some(acc)
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How intervals are written: the IntervalStyle parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalStyle {
    Postgres,
    PostgresVerbose,
    SqlStandard,
    Iso8601,
}

thread_local! {
    static INTERVAL_STYLE: Cell<IntervalStyle> = const { Cell::new(IntervalStyle::Postgres) };
}

/// Makes IntervalStyle `setting` the style of statements on this thread.
pub fn set_interval_style(setting: &str) {
    install_interval_style(parse_interval_style(setting));
}

/// IntervalStyle `setting` read.
pub fn parse_interval_style(setting: &str) -> IntervalStyle {
    match setting.trim().to_ascii_lowercase().as_str() {
        "postgres_verbose" => IntervalStyle::PostgresVerbose,
        "sql_standard" => IntervalStyle::SqlStandard,
        "iso_8601" => IntervalStyle::Iso8601,
        _ => IntervalStyle::Postgres,
    }
}

/// Makes `style` the IntervalStyle of statements on this thread.
pub fn install_interval_style(style: IntervalStyle) {
    INTERVAL_STYLE.with(|s| s.set(style));
}

/// An interval in the session's IntervalStyle.
pub fn format_interval(iv: &Interval) -> String {
    match INTERVAL_STYLE.with(Cell::get) {
        IntervalStyle::Postgres => format_postgres(iv),
        style => format_other(iv, style),
    }
}

/// Seconds and their fraction without sign, as PostgreSQL's AppendSeconds writes them
/// (`05`, `5.25`), two digits at least when `fill`.
fn seconds_text(sec: i64, frac: i64, fill: bool) -> String {
    let mut out = if fill {
        format!("{:02}", sec.abs())
    } else {
        sec.abs().to_string()
    };
    if frac != 0 {
        out.push_str(format!(".{:06}", frac.abs()).trim_end_matches('0'));
    }
    out
}

/// The `postgres_verbose`, `sql_standard` and `iso_8601` styles, as PostgreSQL's
/// EncodeInterval writes them.
fn format_other(iv: &Interval, style: IntervalStyle) -> String {
    let year = i64::from(iv.months / 12);
    let mon = i64::from(iv.months % 12);
    let mday = i64::from(iv.days);
    let hour = iv.micros / MICROS_PER_HOUR;
    let min = iv.micros / 60_000_000 % 60;
    let sec = iv.micros / 1_000_000 % 60;
    let fsec = iv.micros % 1_000_000;
    let time = [hour, min, sec, fsec];
    match style {
        IntervalStyle::Iso8601 => {
            if iv.months == 0 && iv.days == 0 && iv.micros == 0 {
                return "PT0S".into();
            }
            let mut out = String::from("P");
            let part = |value: i64, unit: char, out: &mut String| {
                if value != 0 {
                    out.push_str(&format!("{value}{unit}"));
                }
            };
            part(year, 'Y', &mut out);
            part(mon, 'M', &mut out);
            part(mday, 'D', &mut out);
            if time.iter().any(|v| *v != 0) {
                out.push('T');
            }
            part(hour, 'H', &mut out);
            part(min, 'M', &mut out);
            if sec != 0 || fsec != 0 {
                if sec < 0 || fsec < 0 {
                    out.push('-');
                }
                out.push_str(&seconds_text(sec, fsec, false));
                out.push('S');
            }
            out
        }
        IntervalStyle::SqlStandard => {
            let fields = [year, mon, mday, hour, min, sec, fsec];
            let negative = fields.iter().any(|v| *v < 0);
            let positive = fields.iter().any(|v| *v > 0);
            let year_month = year != 0 || mon != 0;
            let day_time = mday != 0 || time.iter().any(|v| *v != 0);
            let standard = !((negative && positive) || (year_month && day_time));
            if !negative && !positive {
                return "0".into();
            }
            let secs = seconds_text(sec, fsec, true);
            if !standard {
                let year_sign = if year < 0 || mon < 0 { '-' } else { '+' };
                let day_sign = if mday < 0 { '-' } else { '+' };
                let sec_sign = if time.iter().any(|v| *v < 0) {
                    '-'
                } else {
                    '+'
                };
                return format!(
                    "{year_sign}{}-{} {day_sign}{} {sec_sign}{}:{:02}:{secs}",
                    year.abs(),
                    mon.abs(),
                    mday.abs(),
                    hour.abs(),
                    min.abs()
                );
            }
            let sign = if negative { "-" } else { "" };
            if year_month {
                format!("{sign}{}-{}", year.abs(), mon.abs())
            } else if mday != 0 {
                format!(
                    "{sign}{} {}:{:02}:{secs}",
                    mday.abs(),
                    hour.abs(),
                    min.abs()
                )
            } else {
                format!("{sign}{}:{:02}:{secs}", hour.abs(), min.abs())
            }
        }
        _ => {
            // postgres_verbose: `@ 1 year 2 mons`, negative as `... ago`.
            let mut out = String::from("@");
            let mut is_zero = true;
            let mut is_before = false;
            for (value, unit) in [
                (year, "year"),
                (mon, "mon"),
                (mday, "day"),
                (hour, "hour"),
                (min, "min"),
            ] {
                if value == 0 {
                    continue;
                }
                let shown = if is_zero {
                    is_before = value < 0;
                    value.abs()
                } else if is_before {
                    -value
                } else {
                    value
                };
                out.push_str(&format!(" {shown} {unit}{}", plural(shown)));
                is_zero = false;
            }
            if sec != 0 || fsec != 0 {
                out.push(' ');
                if sec < 0 || (sec == 0 && fsec < 0) {
                    if is_zero {
                        is_before = true;
                    } else if !is_before {
                        out.push('-');
                    }
                } else if is_before {
                    out.push('-');
                }
                out.push_str(&seconds_text(sec, fsec, false));
                let plural = if sec.abs() != 1 || fsec != 0 { "s" } else { "" };
                out.push_str(&format!(" sec{plural}"));
                is_zero = false;
            }
            if is_zero {
                out.push_str(" 0");
            }
            if is_before {
                out.push_str(" ago");
            }
            out
        }
    }
}

/// PostgreSQL's IntervalStyle `postgres` output.
fn format_postgres(iv: &Interval) -> String {
    let mut out = String::new();
    let mut is_before = false;
    let mut is_zero = true;
    let years = i64::from(iv.months / 12);
    let mons = i64::from(iv.months % 12);
    for (value, unit) in [(years, "year"), (mons, "mon"), (i64::from(iv.days), "day")] {
        if value == 0 {
            continue;
        }
        let space = if is_zero { "" } else { " " };
        let plus = if is_before && value > 0 { "+" } else { "" };
        out.push_str(&format!("{space}{plus}{value} {unit}{}", plural(value)));
        is_before = value < 0;
        is_zero = false;
    }
    let micros = iv.micros;
    if is_zero || micros != 0 {
        let minus = micros < 0;
        let abs = micros.unsigned_abs();
        let hours = abs / 3_600_000_000;
        let mins = abs / 60_000_000 % 60;
        let secs = abs / 1_000_000 % 60;
        let frac = abs % 1_000_000;
        let space = if is_zero { "" } else { " " };
        let sign = if minus {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        };
        out.push_str(&format!("{space}{sign}{hours:02}:{mins:02}:{secs:02}"));
        if frac != 0 {
            out.push_str(format!(".{frac:06}").trim_end_matches('0'));
        }
    }
    out
}

/// `a + b` (or `a - b` with `negate_b`), field by field.
pub fn add(a: &Interval, b: &Interval, negate_b: bool) -> Result<Interval> {
    let (bm, bd, bu) = if negate_b {
        (
            b.months.checked_neg(),
            b.days.checked_neg(),
            b.micros.checked_neg(),
        )
    } else {
        (Some(b.months), Some(b.days), Some(b.micros))
    };
    let months = bm.and_then(|m| a.months.checked_add(m));
    let days = bd.and_then(|d| a.days.checked_add(d));
    let micros = bu.and_then(|u| a.micros.checked_add(u));
    match (months, days, micros) {
        (Some(months), Some(days), Some(micros)) => Ok(Interval {
            months,
            days,
            micros,
        }),
        _ => Err(out_of_range()),
    }
}

pub fn negate(a: &Interval) -> Result<Interval> {
    add(&Interval::default(), a, true)
}

/// `interval * factor`, spilling fractional months into days and days into time as PostgreSQL
/// 15's `interval_mul` does (with its rounding of the spilled parts to microseconds).
pub fn mul(a: &Interval, factor: f64) -> Result<Interval> {
    scale(a, |x| x * factor)
}

/// `interval / divisor`, as PostgreSQL 15's `interval_div`.
pub fn div(a: &Interval, divisor: f64) -> Result<Interval> {
    scale(a, |x| x / divisor)
}

/// Rounds seconds to microseconds (PostgreSQL's `TSROUND`).
fn ts_round(x: f64) -> f64 {
    (x * 1e6).round_ties_even() / 1e6
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn scale(a: &Interval, f: impl Fn(f64) -> f64) -> Result<Interval> {
    let months = f(f64::from(a.months));
    let days = f(f64::from(a.days));
    let fits = |v: f64| v.is_finite() && v.abs() < 2_147_483_648.0;
    if !fits(months) || !fits(days) {
        return Err(out_of_range());
    }
    let (mut r_months, mut r_days) = (months.trunc(), days.trunc());
    let month_remainder_days = ts_round((months - r_months) * 30.0);
    let mut sec_remainder =
        ts_round((days - r_days + month_remainder_days - month_remainder_days.trunc()) * 86_400.0);
    if sec_remainder.abs() >= 86_400.0 {
        let whole = (sec_remainder / 86_400.0).trunc();
        r_days += whole;
        sec_remainder -= whole * 86_400.0;
    }
    r_days += month_remainder_days.trunc();
    let micros = (f(a.micros as f64) + sec_remainder * 1e6).round_ties_even();
    if !fits(r_days) || !micros.is_finite() || micros.abs() >= 9.223_372_036_854_775e18 {
        return Err(out_of_range());
    }
    r_months = r_months.trunc();
    Ok(Interval {
        months: r_months as i32,
        days: r_days as i32,
        micros: micros as i64,
    })
}

/// `justify_hours`: whole days out of the time part (sign-consistent).
pub fn justify_hours(a: &Interval) -> Result<Interval> {
    let extra = a.micros / MICROS_PER_DAY;
    let mut days = i64::from(a.days) + extra;
    let mut micros = a.micros % MICROS_PER_DAY;
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Ok(Interval {
        months: a.months,
        days: i32::try_from(days).map_err(|_| out_of_range())?,
        micros,
    })
}

/// `justify_days`: whole 30-day months out of the days (sign-consistent).
pub fn justify_days(a: &Interval) -> Result<Interval> {
    let mut months = i64::from(a.months) + i64::from(a.days / 30);
    let mut days = a.days % 30;
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Ok(Interval {
        months: i32::try_from(months).map_err(|_| out_of_range())?,
        days,
        micros: a.micros,
    })
}

/// `justify_interval`: both, with one sign throughout.
pub fn justify_interval(a: &Interval) -> Result<Interval> {
    let mut months = i64::from(a.months);
    let mut days = i64::from(a.days) + a.micros / MICROS_PER_DAY;
    let mut micros = a.micros % MICROS_PER_DAY;
    months += days / 30;
    days %= 30;
    if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
        days += 30;
        months -= 1;
    } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
        days -= 30;
        months += 1;
    }
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Ok(Interval {
        months: i32::try_from(months).map_err(|_| out_of_range())?,
        days: i32::try_from(days).map_err(|_| out_of_range())?,
        micros,
    })
}

/// The hours part of the time of an interval.
pub fn hours(a: &Interval) -> i64 {
    a.micros / MICROS_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) -> String {
        format_interval(&parse_interval(s).unwrap())
    }

    #[test]
    fn prints_like_postgres() {
        assert_eq!(round_trip("1 day 2 hours"), "1 day 02:00:00");
        assert_eq!(round_trip("1 mon"), "1 mon");
        assert_eq!(round_trip("P1D"), "1 day");
        assert_eq!(round_trip("01:02:03"), "01:02:03");
        assert_eq!(round_trip("-1 year"), "-1 years");
        assert_eq!(round_trip("1.5 months"), "1 mon 15 days");
        assert_eq!(round_trip("1 day -2 hours"), "1 day -02:00:00");
        assert_eq!(round_trip("-1 day +2 hours"), "-1 days +02:00:00");
        assert_eq!(round_trip("0"), "00:00:00");
        assert_eq!(
            round_trip("1 year 2 mons 3 days 4:05:06.5"),
            "1 year 2 mons 3 days 04:05:06.5"
        );
    }

    #[test]
    fn huge_values_error() {
        assert!(parse_interval("99999999999 years").is_err());
        assert!(parse_interval("1e400 days").is_err());
    }
}
