//! Dates, times and timestamps: PostgreSQL's input syntax (ISO dates, `T` or space before the
//! time, zone offsets `+02`, `-05:30`, `Z`, abbreviations such as `EST` and zone names such as
//! `America/New_York`, and `infinity`/`epoch`/`today`; day and month read in the session's
//! DateStyle order), its output in the session's DateStyle (ISO, SQL, Postgres or German) and
//! TimeZone, and the calendar arithmetic the operators and functions share (month
//! addition with day clamping, field extraction, truncation).
//!
//! Values are counted from PostgreSQL's epoch 2000-01-01: days for `date`, microseconds for
//! `timestamp`/`timestamptz` (UTC for the latter; [`to_local`] and [`from_local`] convert
//! through the session zone of [`super::tz`]), microseconds since midnight for `time`.
//! `±infinity` timestamps are `i64::MAX/MIN`.

use std::cell::Cell;

use vdb_engine::value::MICROS_PER_DAY;

use super::tz;

/// How dates and timestamps are written: DateStyle's output style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateStyle {
    Iso,
    Sql,
    Postgres,
    German,
}

/// DateStyle's field order, for reading ambiguous dates and writing SQL and Postgres styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    Mdy,
    Dmy,
    Ymd,
}

thread_local! {
    static DATE_STYLE: Cell<(DateStyle, DateOrder)> =
        const { Cell::new((DateStyle::Iso, DateOrder::Mdy)) };
}

/// Makes DateStyle `setting` (as SHOW shows it: `ISO, MDY`) the style of statements on this
/// thread.
pub fn set_date_style(setting: &str) {
    install_date_style(parse_date_style(setting));
}

/// Makes a DateStyle read by [`parse_date_style`] the style of statements on this thread.
pub fn install_date_style(style: (DateStyle, DateOrder)) {
    DATE_STYLE.with(|s| s.set(style));
}

/// DateStyle `setting` read: the output style and the order of a date's fields.
pub fn parse_date_style(setting: &str) -> (DateStyle, DateOrder) {
    let mut style = DateStyle::Iso;
    let mut order = DateOrder::Mdy;
    for part in setting.split(',').map(str::trim) {
        match part.to_ascii_lowercase().as_str() {
            "sql" => style = DateStyle::Sql,
            "postgres" => style = DateStyle::Postgres,
            "german" => style = DateStyle::German,
            "dmy" => order = DateOrder::Dmy,
            "ymd" => order = DateOrder::Ymd,
            _ => {}
        }
    }
    (style, order)
}

fn date_style() -> (DateStyle, DateOrder) {
    DATE_STYLE.with(Cell::get)
}

/// Days between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
pub const PG_EPOCH_DAYS: i64 = 10_957;

/// The stored value of `infinity` / `-infinity` timestamps.
pub const TS_INFINITY: i64 = i64::MAX;
pub const TS_NEG_INFINITY: i64 = i64::MIN;

/// Days of dates PostgreSQL accepts: 4713-11-24 BC to 5874897-12-31 (date); timestamps end at
/// 294276-12-31. Both limits are checked on input and after arithmetic.
const MIN_TS_DAYS: i64 = -2_451_545;
const MAX_TS_DAYS: i64 = 106_741_026;

/// Why a datetime text did not parse: malformed (22007) or a field out of range (22008).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    Syntax,
    Range,
    /// A zone name (`Area/City`) that the tz database does not know (22023).
    UnknownZone,
}

type Parsed<T> = Result<T, ParseError>;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The PostgreSQL day number (since 2000-01-01) of a civil date, `Range` if a field is invalid.
pub fn pg_days(y: i64, m: i64, d: i64) -> Parsed<i64> {
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(ParseError::Range);
    }
    Ok(days_from_civil(y, m, d) - PG_EPOCH_DAYS)
}

/// The civil date of a PostgreSQL day number.
pub fn pg_civil(days: i64) -> (i64, i64, i64) {
    civil_from_days(days + PG_EPOCH_DAYS)
}

fn digits(s: &str) -> Parsed<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax);
    }
    s.parse().map_err(|_| ParseError::Syntax)
}

/// Parses `YYYY-MM-DD` (optionally followed by ` BC`) into days since 2000-01-01.
pub fn parse_date(t: &str) -> Parsed<i32> {
    match t.to_ascii_lowercase().as_str() {
        "epoch" => return Ok(-10_957),
        "today" | "now" => return Ok(today()),
        "tomorrow" => return Ok(today().saturating_add(1)),
        "yesterday" => return Ok(today().saturating_sub(1)),
        "infinity" | "+infinity" => return Ok(i32::MAX),
        "-infinity" => return Ok(i32::MIN),
        _ => {}
    }
    let days = match date_days(t) {
        Ok(days) => days,
        // Any other form (a date followed by a time, `January 8, 1999`, `1/8/1999`): the
        // whole text read as a timestamp, whose date it is.
        Err(ParseError::Syntax) => parse_timestamp(t, false)?.div_euclid(MICROS_PER_DAY),
        Err(e) => return Err(e),
    };
    i32::try_from(days).map_err(|_| ParseError::Range)
}

fn date_days(t: &str) -> Parsed<i64> {
    let (t, bc) = match t.strip_suffix(" BC").or_else(|| t.strip_suffix(" bc")) {
        Some(rest) => (rest.trim_end(), true),
        None => (t, false),
    };
    // ISO 8601 basic form: YYYYMMDD.
    let compact;
    let t = if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        compact = format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]);
        compact.as_str()
    } else {
        t
    };
    let (y, m, d) = iso_ymd(t)?;
    if y == 0 {
        return Err(ParseError::Range);
    }
    let y = if bc { 1 - y } else { y };
    let days = pg_days(y, m, d)?;
    if days < MIN_TS_DAYS {
        return Err(ParseError::Range);
    }
    Ok(days)
}

/// Today's date in the session zone, as days since 2000-01-01.
fn today() -> i32 {
    i32::try_from(to_local(now_utc()).div_euclid(MICROS_PER_DAY)).unwrap_or(0)
}

/// The current time (microseconds since 2000-01-01 UTC).
pub fn now_utc() -> i64 {
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(0))
        .unwrap_or(0);
    since_unix - PG_EPOCH_DAYS * MICROS_PER_DAY
}

/// The session zone's wall-clock time of a `timestamptz` (±infinity unchanged).
pub fn to_local(ts: i64) -> i64 {
    if ts == TS_INFINITY || ts == TS_NEG_INFINITY {
        return ts;
    }
    tz::session_zone().utc_to_local(ts)
}

/// The `timestamptz` of a wall-clock time in the session zone (±infinity unchanged).
pub fn from_local(local: i64) -> i64 {
    if local == TS_INFINITY || local == TS_NEG_INFINITY {
        return local;
    }
    tz::session_zone().local_to_utc(local)
}

fn iso_ymd(t: &str) -> Parsed<(i64, i64, i64)> {
    let mut parts = t.splitn(3, '-');
    let year = parts.next().ok_or(ParseError::Syntax)?;
    // Two digits first is a day or a month (`05-01-2024`), read in DateStyle's order.
    if year.len() <= 2 {
        return Err(ParseError::Syntax);
    }
    let y = digits(year)?;
    let m = digits(parts.next().ok_or(ParseError::Syntax)?)?;
    let d = digits(parts.next().ok_or(ParseError::Syntax)?)?;
    Ok((y, m, d))
}

/// English month names, as to_char prints them (date input and to_date read any case).
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English day names, Sunday first (`extract(dow)`'s numbering).
pub const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Parses `HH:MM[:SS[.ffffff]]` into microseconds since midnight (24:00:00 allowed).
/// Fractions beyond microseconds round half up, as PostgreSQL does.
pub fn parse_time(t: &str) -> Parsed<i64> {
    let mut parts = t.splitn(3, ':');
    let h = digits(parts.next().ok_or(ParseError::Syntax)?)?;
    let m = digits(parts.next().ok_or(ParseError::Syntax)?)?;
    let (s, frac) = match parts.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) => (digits(s)?, f),
            None => (digits(sec)?, ""),
        },
        None => (0, ""),
    };
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax);
    }
    // As PostgreSQL: the fraction read as a double, times a million, rounded half to even.
    let frac_micros = if frac.is_empty() {
        0
    } else {
        let f: f64 = format!("0.{frac}")
            .parse()
            .map_err(|_| ParseError::Syntax)?;
        #[allow(clippy::cast_possible_truncation)]
        let micros = (f * 1e6).round_ties_even() as i64;
        micros
    };
    if h > 24 || m > 59 || s > 60 {
        return Err(ParseError::Range);
    }
    let micros = ((h * 60 + m) * 60 + s) * 1_000_000 + frac_micros;
    if micros > MICROS_PER_DAY {
        return Err(ParseError::Range);
    }
    Ok(micros)
}

/// Splits a trailing time zone off a time: `Z`, `UTC`, `GMT`, `+HH`, `-HH:MM`, `+HHMM`.
/// Returns the rest and the zone's offset east of UTC in seconds.
fn split_zone(t: &str) -> Parsed<(&str, Option<i64>)> {
    let t = t.trim_end();
    let lower = t.to_ascii_lowercase();
    for name in [" utc", " gmt", "utc", "gmt", "z", " z"] {
        if lower.ends_with(name) && t.len() > name.len() {
            return Ok((t[..t.len() - name.len()].trim_end(), Some(0)));
        }
    }
    let Some(at) = t.rfind(['+', '-']) else {
        return Ok((t, None));
    };
    let (rest, zone) = t.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let body = zone[1..].trim();
    let (h, m, s) = match body.split(':').collect::<Vec<_>>().as_slice() {
        [h] if h.len() <= 2 => (digits(h)?, 0, 0),
        [hm] if hm.len() == 4 && hm.is_ascii() => (digits(&hm[..2])?, digits(&hm[2..])?, 0),
        [h, m] => (digits(h)?, digits(m)?, 0),
        [h, m, s] => (digits(h)?, digits(m)?, digits(s)?),
        _ => return Err(ParseError::Syntax),
    };
    if h > 15 || m > 59 || s > 59 {
        return Err(ParseError::Range);
    }
    Ok((rest.trim_end(), Some(sign * (h * 3600 + m * 60 + s))))
}

/// A zone written after a timestamp.
pub(crate) enum WrittenZone {
    /// Seconds east of UTC.
    Offset(i64),
    Named(std::sync::Arc<tz::Zone>),
}

/// Splits a trailing zone name or abbreviation (`America/New_York`, `EST`) off a timestamp.
fn split_named_zone(t: &str) -> Parsed<(&str, Option<WrittenZone>)> {
    let Some((rest, last)) = t.rsplit_once(' ') else {
        return Ok((t, None));
    };
    let lower = last.to_ascii_lowercase();
    let starts_alpha = last.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if !starts_alpha || matches!(lower.as_str(), "bc" | "ad" | "am" | "pm") {
        return Ok((t, None));
    }
    match tz::zone_or_abbreviation(last) {
        Ok(zone) => Ok((rest.trim_end(), Some(WrittenZone::Named(zone)))),
        Err(_) if last.contains('/') => Err(ParseError::UnknownZone),
        Err(_) => Err(ParseError::Syntax),
    }
}

/// The timestamp of a special input word (`epoch`, `infinity`, `now`, `today`, ...), whose
/// local forms count in the session zone for `timestamptz`.
fn special_timestamp(word: &str, with_zone: bool) -> Option<i64> {
    let day = |offset: i64| {
        let local = (i64::from(today()) + offset) * MICROS_PER_DAY;
        if with_zone {
            from_local(local)
        } else {
            local
        }
    };
    Some(match word {
        "epoch" => -PG_EPOCH_DAYS * MICROS_PER_DAY,
        "infinity" | "+infinity" => TS_INFINITY,
        "-infinity" => TS_NEG_INFINITY,
        "now" if with_zone => now_utc(),
        "now" => to_local(now_utc()),
        "today" => day(0),
        "tomorrow" => day(1),
        "yesterday" => day(-1),
        _ => return None,
    })
}

/// Parses a timestamp: `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone]`, or a special word.
/// For `timestamp` (`with_zone` false) a zone is accepted and ignored, as PostgreSQL does;
/// for `timestamptz` it gives the UTC instant (no zone means the session's).
pub fn parse_timestamp(t: &str, with_zone: bool) -> Parsed<i64> {
    let t = t.trim();
    if let Some(ts) = special_timestamp(&t.to_ascii_lowercase(), with_zone) {
        return Ok(ts);
    }
    match iso_timestamp(t, with_zone) {
        Err(ParseError::Syntax) => general_timestamp(t, with_zone),
        other => other,
    }
}

/// A timestamp in any form PostgreSQL reads ([`super::datetime_fields`]).
fn general_timestamp(t: &str, with_zone: bool) -> Parsed<i64> {
    let fields = super::datetime_fields::decode(t, date_style().1, false)?;
    let (y, m, d) = fields.date.ok_or(ParseError::Syntax)?;
    let local = pg_days(y, m, d)? * MICROS_PER_DAY + fields.time.unwrap_or(0);
    check_timestamp(local).ok_or(ParseError::Range)?;
    if !with_zone {
        return Ok(local);
    }
    let ts = match fields.zone {
        Some(WrittenZone::Offset(off)) => local - off * 1_000_000,
        Some(WrittenZone::Named(z)) => z.local_to_utc(local),
        None => from_local(local),
    };
    check_timestamp(ts).ok_or(ParseError::Range)
}

/// The ISO forms, `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone]`, read directly.
fn iso_timestamp(t: &str, with_zone: bool) -> Parsed<i64> {
    let (t, named) = split_named_zone(t)?;
    let (date, time) = match t.find([' ', 'T', 't']) {
        Some(at) if at >= 8 => (&t[..at], t[at + 1..].trim()),
        _ => (t, ""),
    };
    let (date, bc_time) = match time.strip_suffix(" BC") {
        Some(rest) => (format!("{date} BC"), rest),
        None => (date.to_string(), time),
    };
    let days = date_days(&date)?;
    let (time, offset) = if bc_time.is_empty() {
        ("", None)
    } else if bc_time.eq_ignore_ascii_case("utc")
        || bc_time.eq_ignore_ascii_case("gmt")
        || bc_time.eq_ignore_ascii_case("z")
    {
        ("", Some(0))
    } else {
        split_zone(bc_time)?
    };
    let micros = if time.is_empty() {
        0
    } else {
        parse_time(time)?
    };
    let local = days * MICROS_PER_DAY + micros;
    check_timestamp(local).ok_or(ParseError::Range)?;
    if !with_zone {
        return Ok(local);
    }
    let zone = offset.map(WrittenZone::Offset).or(named);
    let ts = match zone {
        Some(WrittenZone::Offset(off)) => local - off * 1_000_000,
        Some(WrittenZone::Named(z)) => z.local_to_utc(local),
        None => from_local(local),
    };
    check_timestamp(ts).ok_or(ParseError::Range)
}

/// `Some(ts)` if `ts` is within PostgreSQL's timestamp range (or ±infinity).
pub fn check_timestamp(ts: i64) -> Option<i64> {
    if ts == TS_INFINITY || ts == TS_NEG_INFINITY {
        return Some(ts);
    }
    let days = ts.div_euclid(MICROS_PER_DAY);
    (MIN_TS_DAYS..MAX_TS_DAYS).contains(&days).then_some(ts)
}

/// Parses `HH:MM[:SS[.f]]` with an optional (ignored) zone, for `time`.
pub fn parse_time_of_day(t: &str) -> Parsed<i64> {
    let t = t.trim();
    match t.to_ascii_lowercase().as_str() {
        "allballs" => return Ok(0),
        "now" => return Ok(to_local(now_utc()).rem_euclid(MICROS_PER_DAY)),
        _ => {}
    }
    // A full timestamp is accepted too: its time part is taken.
    let time = match t.find(' ') {
        Some(at) if t[..at].contains('-') => t[at + 1..].trim(),
        _ => t,
    };
    let iso = split_zone(time).and_then(|(time, _)| parse_time(time));
    match iso {
        // Any other form (`04:05 PM`, `040506`, a timestamp with a zone name): its time.
        Err(ParseError::Syntax) => super::datetime_fields::decode(t, date_style().1, true)?
            .time
            .ok_or(ParseError::Syntax),
        other => other,
    }
}

fn year_text(y: i64) -> (i64, &'static str) {
    if y <= 0 {
        (1 - y, " BC")
    } else {
        (y, "")
    }
}

/// A date in the session's DateStyle: `YYYY-MM-DD` (ISO), `MM/DD/YYYY` (SQL; `DD/MM/YYYY`
/// under DMY), `DD.MM.YYYY` (German), `MM-DD-YYYY` (Postgres; `DD-MM-YYYY` under DMY);
/// `infinity`, and ` BC` for years before 1.
pub fn format_date(d: i32) -> String {
    match d {
        i32::MAX => return "infinity".into(),
        i32::MIN => return "-infinity".into(),
        _ => {}
    }
    let (y, m, d) = pg_civil(i64::from(d));
    let (y, bc) = year_text(y);
    format!("{}{bc}", date_part(y, m, d))
}

/// The date fields as the session's DateStyle writes a date.
fn date_part(y: i64, m: i64, d: i64) -> String {
    let (style, order) = date_style();
    let dmy = order == DateOrder::Dmy;
    match style {
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}"),
        DateStyle::Sql if dmy => format!("{d:02}/{m:02}/{y:04}"),
        DateStyle::Sql => format!("{m:02}/{d:02}/{y:04}"),
        DateStyle::German => format!("{d:02}.{m:02}.{y:04}"),
        DateStyle::Postgres if dmy => format!("{d:02}-{m:02}-{y:04}"),
        DateStyle::Postgres => format!("{m:02}-{d:02}-{y:04}"),
    }
}

/// `HH:MM:SS[.ffffff]` with trailing zeros of the fraction removed.
pub fn format_time(micros: i64) -> String {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        out.push_str(format!(".{frac:06}").trim_end_matches('0'));
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS[.f]`, and for timestamptz the wall-clock time in the session zone
/// followed by its offset (`-05`, `+05:30`).
pub fn format_timestamp(ts: i64, with_zone: bool) -> String {
    match ts {
        TS_INFINITY => return "infinity".into(),
        TS_NEG_INFINITY => return "-infinity".into(),
        _ => {}
    }
    let style = date_style().0;
    if with_zone {
        let session = tz::session_zone();
        let offset = session.offset_at_utc(ts);
        let local = ts.saturating_add(i64::from(offset) * 1_000_000);
        let text = format_timestamp(local, false);
        // ISO writes the offset right after the time; the other styles the zone's
        // abbreviation after a blank.
        let zone = if style == DateStyle::Iso {
            tz::format_offset(offset)
        } else {
            format!(" {}", session.abbreviation_at_utc(ts))
        };
        return match text.strip_suffix(" BC") {
            Some(ad) => format!("{ad}{zone} BC"),
            None => format!("{text}{zone}"),
        };
    }
    let days = ts.div_euclid(MICROS_PER_DAY);
    let micros = ts.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = pg_civil(days);
    let (y, bc) = year_text(y);
    let time = format_time(micros);
    if style == DateStyle::Postgres {
        // `Fri Jan 05 10:00:00 2024`, or `Fri 05 Jan 10:00:00 2024` under DMY.
        let dow = DAY_NAMES[usize::try_from(day_of_week(days)).unwrap_or(0)];
        let month = MONTH_NAMES[usize::try_from(m - 1).unwrap_or(0)];
        let (dow, month) = (&dow[..3], &month[..3]);
        return if date_style().1 == DateOrder::Dmy {
            format!("{dow} {d:02} {month} {time} {y:04}{bc}")
        } else {
            format!("{dow} {month} {d:02} {time} {y:04}{bc}")
        };
    }
    format!("{} {time}{bc}", date_part(y, m, d))
}

/// The broken-down fields of a timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub micros: i64,
    /// Days since 2000-01-01.
    pub days: i64,
}

pub fn fields(ts: i64) -> Fields {
    let days = ts.div_euclid(MICROS_PER_DAY);
    let (year, month, day) = pg_civil(days);
    Fields {
        year,
        month,
        day,
        micros: ts.rem_euclid(MICROS_PER_DAY),
        days,
    }
}

/// Adds `months` to a timestamp, clamping the day to the end of the target month.
pub fn add_months(ts: i64, months: i64) -> Option<i64> {
    let f = fields(ts);
    let total = f.year.checked_mul(12)? + (f.month - 1) + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let d = f.day.min(days_in_month(y, m));
    let days = days_from_civil(y, m, d) - PG_EPOCH_DAYS;
    days.checked_mul(MICROS_PER_DAY)?.checked_add(f.micros)
}

/// PostgreSQL's `date_trunc(field, ts)`; `None` for a unit it does not know.
pub fn trunc(field: &str, ts: i64) -> Option<i64> {
    let f = fields(ts);
    let at = |y: i64, m: i64, d: i64| (days_from_civil(y, m, d) - PG_EPOCH_DAYS) * MICROS_PER_DAY;
    let day_start = f.days * MICROS_PER_DAY;
    Some(match field {
        "microseconds" | "microsecond" => ts,
        "milliseconds" | "millisecond" => day_start + f.micros / 1000 * 1000,
        "second" | "seconds" => day_start + f.micros / 1_000_000 * 1_000_000,
        "minute" | "minutes" => day_start + f.micros / 60_000_000 * 60_000_000,
        "hour" | "hours" => day_start + f.micros / 3_600_000_000 * 3_600_000_000,
        "day" | "days" => day_start,
        "week" | "weeks" => (f.days - (f.days + 5).rem_euclid(7)) * MICROS_PER_DAY,
        "month" | "months" => at(f.year, f.month, 1),
        "quarter" => at(f.year, (f.month - 1) / 3 * 3 + 1, 1),
        "year" | "years" => at(f.year, 1, 1),
        "decade" => at(f.year.div_euclid(10) * 10, 1, 1),
        "century" => {
            let c = if f.year > 0 {
                (f.year - 1) / 100 * 100 + 1
            } else {
                f.year
            };
            at(c, 1, 1)
        }
        "millennium" => {
            let c = if f.year > 0 {
                (f.year - 1) / 1000 * 1000 + 1
            } else {
                f.year
            };
            at(c, 1, 1)
        }
        _ => return None,
    })
}

/// ISO 8601 week-numbering year and week of a day number.
pub fn iso_week(days: i64) -> (i64, i64) {
    // ISO weekday: Monday = 1; 2000-01-01 was a Saturday.
    let isodow = (days + 5).rem_euclid(7) + 1;
    let thursday = days - isodow + 4;
    let (y, _, _) = pg_civil(thursday);
    let jan1 = days_from_civil(y, 1, 1) - PG_EPOCH_DAYS;
    (y, (thursday - jan1) / 7 + 1)
}

/// The day of the year (1-based) of a day number.
pub fn day_of_year(days: i64) -> i64 {
    let (y, _, _) = pg_civil(days);
    days - (days_from_civil(y, 1, 1) - PG_EPOCH_DAYS) + 1
}

/// Day of week, Sunday = 0.
pub fn day_of_week(days: i64) -> i64 {
    (days + 6).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_convert_to_utc() {
        let ts = parse_timestamp("2024-01-02 03:04:05+02", true).unwrap();
        assert_eq!(format_timestamp(ts, true), "2024-01-02 01:04:05+00");
        let ts = parse_timestamp("2024-01-02T03:04:05Z", true).unwrap();
        assert_eq!(format_timestamp(ts, true), "2024-01-02 03:04:05+00");
        let ts = parse_timestamp("2024-01-02 03:04:05 UTC", true).unwrap();
        assert_eq!(format_timestamp(ts, true), "2024-01-02 03:04:05+00");
        let ts = parse_timestamp("2024-01-02 03:04:05-05:30", false).unwrap();
        assert_eq!(format_timestamp(ts, false), "2024-01-02 03:04:05");
    }

    /// Postmortem: a four-byte zone with a multi-byte character (`+é€`) was sliced at byte 2,
    /// inside the character, and panicked; found by `malformed_input_never_panics`.
    #[test]
    fn zone_with_multibyte_characters_is_an_error() {
        assert!(parse_timestamp("2024-01-01 00:00+\u{e9}\u{e9}", true).is_err());
        assert!(parse_time_of_day("10:00-\u{20ac}0").is_err());
    }

    #[test]
    fn weeks_follow_iso() {
        let d = pg_days(2021, 1, 3).unwrap();
        assert_eq!(iso_week(d), (2020, 53));
        assert_eq!(day_of_week(pg_days(2024, 1, 7).unwrap()), 0);
    }
}
