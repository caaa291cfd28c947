//! `to_timestamp(text, format)` and `to_date(text, format)`: reading a date/time with one of
//! PostgreSQL's formatting templates (`YYYY-MM-DD HH24:MI:SS`, `DD Mon YYYY HH12:MI AM`, ...).
//!
//! The template is walked left to right: a pattern (`YYYY`, `MM`, `Mon`, `HH24`, `US`, `AM`,
//! ...) consumes the matching field of the input, a quoted string or any other template
//! character skips one input character, and spaces are loose, as in PostgreSQL's non-FX mode.
//! `to_timestamp` reads the result as wall-clock time in the session zone (or in the offset a
//! `TZH`/`TZM` field gives).

use vdb_engine::value::{Value, MICROS_PER_DAY};

use crate::error::{Error, Result};
use crate::types::datetime::{self as dt, check_timestamp, pg_days};

/// The fields a template fills in.
#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    doy: Option<i64>,
    hour: i64,
    hour12: bool,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    micros: i64,
    tz_offset: Option<i64>,
}

/// The template patterns, longest first so that `HH24` wins over `HH`.
const PATTERNS: &[&str] = &[
    "YYYY", "HH24", "HH12", "MONTH", "TZH", "TZM", "A.M.", "P.M.", "YYY", "DDD", "MON", "DAY",
    "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "SSSSS", "SSSS", "YY", "MM", "DD", "HH", "MI", "SS",
    "MS", "US", "AM", "PM", "DY", "Y", "D",
];

fn bad_format(detail: String) -> Error {
    Error::invalid("22007", detail)
}

/// Parses `text` with `format`; a `date` for `to_date`, else a `timestamptz`.
pub(super) fn parse(text: &str, format: &str, date: bool) -> Result<Value> {
    let fields = read(text, format)?;
    let year = fields.year.unwrap_or(1);
    let (month, day) = match (fields.doy, fields.month, fields.day) {
        (Some(doy), None, None) => {
            let jan1 = pg_days(year, 1, 1).map_err(|_| range())?;
            let (_, m, d) = dt::pg_civil(jan1 + doy - 1);
            (m, d)
        }
        (_, m, d) => (m.unwrap_or(1), d.unwrap_or(1)),
    };
    let year = if year <= 0 { year + 1 } else { year };
    let days = pg_days(year, month, day).map_err(|_| range())?;
    if date {
        return i32::try_from(days).map(Value::Date).map_err(|_| range());
    }
    let mut hour = fields.hour;
    if fields.hour12 || fields.pm.is_some() {
        if !(1..=12).contains(&hour) {
            return Err(Error::invalid(
                "22008",
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            ));
        }
        hour %= 12;
        if fields.pm == Some(true) {
            hour += 12;
        }
    }
    if hour > 24 || fields.minute > 59 || fields.second > 60 {
        return Err(range());
    }
    let local = days * MICROS_PER_DAY
        + ((hour * 60 + fields.minute) * 60 + fields.second) * 1_000_000
        + fields.micros;
    let utc = match fields.tz_offset {
        Some(off) => local - off * 1_000_000,
        None => dt::from_local(local),
    };
    check_timestamp(utc)
        .map(Value::TimestampTz)
        .ok_or_else(|| Error::invalid("22008", "timestamp out of range"))
}

fn range() -> Error {
    Error::invalid("22008", "date/time field value out of range")
}

/// Walks the template over the input.
fn read(text: &str, format: &str) -> Result<Fields> {
    let mut f = Fields::default();
    let input: Vec<char> = text.chars().collect();
    let tmpl: Vec<char> = format.chars().collect();
    let (mut i, mut t) = (0, 0);
    while t < tmpl.len() {
        let rest: String = tmpl[t..].iter().collect();
        let upper = rest.to_uppercase();
        if upper.starts_with("FM") || upper.starts_with("FX") {
            t += 2;
            continue;
        }
        if tmpl[t] == '"' {
            t += 1;
            while t < tmpl.len() && tmpl[t] != '"' {
                t += 1;
                i += 1;
            }
            t += 1;
            continue;
        }
        let Some(pattern) = PATTERNS.iter().find(|p| upper.starts_with(*p)) else {
            if tmpl[t].is_whitespace() {
                while i < input.len() && input[i].is_whitespace() {
                    i += 1;
                }
            } else if i < input.len() && !input[i].is_ascii_alphanumeric() {
                i += 1;
            }
            t += 1;
            continue;
        };
        t += pattern.len();
        // The ordinal suffix of a number (`DDth`) is skipped in the input.
        let th = tmpl
            .get(t..t + 2)
            .is_some_and(|s| s.iter().collect::<String>().eq_ignore_ascii_case("th"));
        while i < input.len() && input[i].is_whitespace() && !pattern.starts_with('T') {
            i += 1;
        }
        // A year runs on past four digits unless another field follows it directly.
        let adjacent = tmpl.get(t).is_some_and(|c| c.is_ascii_alphabetic());
        i = field(&mut f, pattern, &input, i, adjacent)?;
        if th {
            t += 2;
            if input
                .get(i..i + 2)
                .is_some_and(|s| s.iter().all(char::is_ascii_alphabetic))
            {
                i += 2;
            }
        }
    }
    Ok(f)
}

/// Reads up to `width` digits (with a sign for `signed`) at `i`; returns the value and the end.
fn digits(input: &[char], i: usize, width: usize, pattern: &str) -> Result<(i64, usize)> {
    let mut j = i;
    let mut negative = false;
    if matches!(input.get(j), Some('-' | '+')) && pattern.starts_with("TZ") {
        negative = input[j] == '-';
        j += 1;
    }
    let start = j;
    while j < input.len() && j - start < width && input[j].is_ascii_digit() {
        j += 1;
    }
    if j == start {
        let found: String = input[i..].iter().take(width.max(1)).collect();
        return Err(bad_format(format!(
            "invalid value \"{found}\" for \"{pattern}\""
        )));
    }
    let n: i64 = input[start..j]
        .iter()
        .collect::<String>()
        .parse()
        .map_err(|_| range())?;
    Ok((if negative { -n } else { n }, j))
}

/// A name from `names` (full, or its first three letters when `short`) at `i`.
fn name(
    input: &[char],
    i: usize,
    names: &[&str],
    short: bool,
    pattern: &str,
) -> Result<(usize, usize)> {
    let rest: String = input[i..].iter().collect::<String>().to_lowercase();
    for (k, n) in names.iter().enumerate() {
        let want = if short { &n[..3] } else { n }.to_ascii_lowercase();
        if rest.starts_with(&want) {
            return Ok((k, i + want.chars().count()));
        }
    }
    let found: String = input[i..]
        .iter()
        .take_while(|c| c.is_alphabetic())
        .collect();
    Err(bad_format(format!(
        "invalid value \"{found}\" for \"{pattern}\""
    )))
}

/// Reads one pattern's field at `i`; returns where the input continues.
fn field(f: &mut Fields, pattern: &str, input: &[char], i: usize, adjacent: bool) -> Result<usize> {
    let greedy = if adjacent { 4 } else { usize::MAX };
    Ok(match pattern {
        "YYYY" => {
            let (n, j) = digits(input, i, greedy, pattern)?;
            f.year = Some(n);
            j
        }
        "YYY" | "YY" | "Y" => {
            let (n, j) = digits(input, i, pattern.len(), pattern)?;
            // Two- and three-digit years land nearest to 2020, as PostgreSQL does.
            f.year = Some(match j - i {
                1 => 2000 + n,
                2 if n < 70 => 2000 + n,
                2 => 1900 + n,
                3 if n < 100 => 2000 + n,
                3 => 1000 + n,
                _ => n,
            });
            j
        }
        "MM" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            f.month = Some(n);
            j
        }
        "DD" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            f.day = Some(n);
            j
        }
        "DDD" => {
            let (n, j) = digits(input, i, 3, pattern)?;
            f.doy = Some(n);
            j
        }
        "D" => digits(input, i, 1, pattern)?.1,
        "HH24" | "HH12" | "HH" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            f.hour = n;
            f.hour12 = pattern != "HH24";
            j
        }
        "MI" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            f.minute = n;
            j
        }
        "SS" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            f.second = n;
            j
        }
        "SSSS" | "SSSSS" => {
            let (n, j) = digits(input, i, 5, pattern)?;
            f.hour = n / 3600;
            f.minute = n / 60 % 60;
            f.second = n % 60;
            j
        }
        "MS" | "US" | "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
            let width = match pattern {
                "MS" => 3,
                "US" => 6,
                p => usize::from(p.as_bytes()[2] - b'0'),
            };
            let (n, j) = digits(input, i, width, pattern)?;
            let scale = if pattern == "MS" { 3 } else { 6 };
            // Digits are a fraction: "5" for MS is 500 milliseconds.
            let read = u32::try_from(j - i).unwrap_or(0);
            let value = n * 10i64.pow(u32::try_from(scale).unwrap_or(0).saturating_sub(read));
            f.micros += if pattern == "MS" { value * 1000 } else { value };
            j
        }
        "AM" | "PM" | "A.M." | "P.M." => {
            let rest: String = input[i..].iter().take(4).collect::<String>().to_uppercase();
            let (pm, len) = if rest.starts_with("A.M.") {
                (false, 4)
            } else if rest.starts_with("P.M.") {
                (true, 4)
            } else if rest.starts_with("AM") {
                (false, 2)
            } else if rest.starts_with("PM") {
                (true, 2)
            } else {
                return Err(bad_format(format!(
                    "invalid value \"{rest}\" for \"{pattern}\""
                )));
            };
            f.pm = Some(pm);
            i + len
        }
        "MONTH" | "MON" => {
            let (k, j) = name(input, i, &dt::MONTH_NAMES, pattern == "MON", pattern)?;
            f.month = Some(i64::try_from(k).unwrap_or(0) + 1);
            j
        }
        "DAY" | "DY" => name(input, i, &dt::DAY_NAMES, pattern == "DY", pattern)?.1,
        "TZH" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            let minutes = f.tz_offset.unwrap_or(0) % 3600;
            f.tz_offset = Some(n * 3600 + if n < 0 { -minutes.abs() } else { minutes.abs() });
            j
        }
        "TZM" => {
            let (n, j) = digits(input, i, 2, pattern)?;
            let hours = f.tz_offset.unwrap_or(0);
            f.tz_offset = Some(if hours < 0 {
                hours - n * 60
            } else {
                hours + n * 60
            });
            j
        }
        _ => i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str, format: &str) -> String {
        crate::types::to_pg_text(&parse(text, format, false).unwrap()).unwrap()
    }

    #[test]
    fn common_templates_read() {
        assert_eq!(
            ts("2024-05-17 12:34", "YYYY-MM-DD HH24:MI"),
            "2024-05-17 12:34:00+00"
        );
        assert_eq!(
            ts("05 Jan 2024 01:02:03 PM", "DD Mon YYYY HH12:MI:SS AM"),
            "2024-01-05 13:02:03+00"
        );
        assert_eq!(
            ts("2024-01-05 13:02:03.25", "YYYY-MM-DD HH24:MI:SS.MS"),
            "2024-01-05 13:02:03.25+00"
        );
        let d = parse("17/05/2024", "DD/MM/YYYY", true).unwrap();
        assert_eq!(crate::types::to_pg_text(&d).unwrap(), "2024-05-17");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse("x", "YYYY", true).is_err());
        assert!(parse("2024-13-01", "YYYY-MM-DD", true).is_err());
        assert!(parse("", "", true).is_ok());
        assert!(parse("\u{e9}\u{e9}", "Mon", true).is_err());
    }
}
