//! Run-time parameters of a session (`SET`, `SHOW`, `RESET`, `current_setting`, `set_config`):
//! PostgreSQL 15's names and default values for the parameters clients read, plus any
//! parameter a client sets (PostgreSQL accepts custom `a.b` names the same way).
//!
//! Names are case-insensitive. `SHOW` of an unknown name fails with 42704, as in PostgreSQL.
//! The wire layer reads the values it reports in ParameterStatus through
//! [`Settings::get`] (via `Session::setting`).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The version string `version()` returns; SQLAlchemy parses `PostgreSQL (\d+)\.(\d+)` from it.
pub const VERSION: &str = "PostgreSQL 15.0 (vdb, a versioned SQL database) on x86_64-pc-linux-gnu";

/// `server_version` as PostgreSQL reports it (psql picks its catalog queries by it).
pub const SERVER_VERSION: &str = "15.0";

/// Built-in parameters: (name, default value, description).
const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "application_name",
        "",
        "Sets the application name to be reported in statistics and logs.",
    ),
    (
        "client_encoding",
        "UTF8",
        "Sets the client's character set encoding.",
    ),
    (
        "client_min_messages",
        "notice",
        "Sets the message levels that are sent to the client.",
    ),
    (
        "datestyle",
        "ISO, MDY",
        "Sets the display format for date and time values.",
    ),
    (
        "default_table_access_method",
        "heap",
        "Sets the default table access method for new tables.",
    ),
    (
        "default_transaction_isolation",
        "read committed",
        "Sets the transaction isolation level of each new transaction.",
    ),
    (
        "default_transaction_read_only",
        "off",
        "Sets the default read-only status of new transactions.",
    ),
    (
        "extra_float_digits",
        "1",
        "Sets the number of digits displayed for floating-point values.",
    ),
    (
        "in_hot_standby",
        "off",
        "Shows whether hot standby is currently active.",
    ),
    (
        "integer_datetimes",
        "on",
        "Shows whether datetimes are integer based.",
    ),
    (
        "intervalstyle",
        "postgres",
        "Sets the display format for interval values.",
    ),
    (
        "is_superuser",
        "on",
        "Shows whether the current user is a superuser.",
    ),
    ("lc_collate", "C.UTF-8", "Shows the collation order locale."),
    (
        "lc_ctype",
        "C.UTF-8",
        "Shows the character classification and case conversion locale.",
    ),
    (
        "lc_messages",
        "C.UTF-8",
        "Sets the language in which messages are displayed.",
    ),
    (
        "max_connections",
        "100",
        "Sets the maximum number of concurrent connections.",
    ),
    (
        "max_identifier_length",
        "63",
        "Shows the maximum identifier length.",
    ),
    (
        "search_path",
        "\"$user\", public",
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    (
        "server_encoding",
        "UTF8",
        "Shows the server (database) character set encoding.",
    ),
    (
        "server_version",
        SERVER_VERSION,
        "Shows the server version.",
    ),
    (
        "server_version_num",
        "150000",
        "Shows the server version as an integer.",
    ),
    (
        "session_authorization",
        "postgres",
        "Sets the session user name.",
    ),
    (
        "standard_conforming_strings",
        "on",
        "Causes '...' strings to treat backslashes literally.",
    ),
    (
        "statement_timeout",
        "0",
        "Sets the maximum allowed duration of any statement.",
    ),
    (
        "timezone",
        "UTC",
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    (
        "transaction_isolation",
        "read committed",
        "Sets the current transaction's isolation level.",
    ),
    (
        "transaction_read_only",
        "off",
        "Sets the current transaction's read-only status.",
    ),
];

/// Parameters PostgreSQL reports with a mixed-case name (in SHOW's column and SHOW ALL).
fn display_name(name: &str) -> &str {
    match name {
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        "timezone" => "TimeZone",
        other => other,
    }
}

/// The canonical (lower-case) name of a parameter, with PostgreSQL's aliases resolved
/// (`SHOW transaction isolation level` names `transaction_isolation`).
/// A `set_config(name, value, is_local)` call of the running statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigChange {
    pub name: String,
    pub value: String,
    pub local: bool,
}

thread_local! {
    /// The `set_config` calls of the statement running on this thread, in order: the session
    /// applies them when the statement succeeds (as SET or SET LOCAL), and `current_setting`
    /// reads them first, so that a later call in the same statement sees the new value.
    static CONFIG_CHANGES: std::cell::RefCell<Vec<ConfigChange>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Records a `set_config` call of the running statement.
pub fn record_config_change(change: ConfigChange) {
    CONFIG_CHANGES.with(|c| c.borrow_mut().push(change));
}

/// The value the running statement's latest `set_config` of `name` gave, if any.
pub fn pending_config(name: &str) -> Option<String> {
    let name = canonical_name(name);
    CONFIG_CHANGES.with(|c| {
        c.borrow()
            .iter()
            .rev()
            .find(|change| canonical_name(&change.name) == name)
            .map(|change| change.value.clone())
    })
}

/// Takes the `set_config` calls recorded on this thread.
pub fn take_config_changes() -> Vec<ConfigChange> {
    CONFIG_CHANGES.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

pub fn canonical_name(name: &str) -> String {
    let lower = name.to_lowercase();
    match lower.as_str() {
        "transaction isolation level" => "transaction_isolation".into(),
        "time zone" => "timezone".into(),
        "session authorization" => "session_authorization".into(),
        _ => lower,
    }
}

/// One session's parameter values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// Values set in this session (canonical name → value); defaults are not stored.
    values: BTreeMap<String, String>,
    database: Option<String>,
}

impl Settings {
    /// The value of `name`, if it is a known or a set parameter.
    pub fn get(&self, name: &str) -> Option<String> {
        let name = canonical_name(name);
        if let Some(v) = self.values.get(&name) {
            return Some(v.clone());
        }
        DEFAULTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, v, _)| v.to_string())
    }

    /// The database the session is connected to (`current_database()`); the wire layer sets it
    /// from the startup packet with [`Settings::set_database`].
    pub fn database(&self) -> String {
        self.database.clone().unwrap_or_else(|| "postgres".into())
    }

    pub fn set_database(&mut self, name: &str) {
        self.database = Some(name.to_string());
    }

    /// The value of `name`, or 42704 naming it.
    pub fn must_get(&self, name: &str) -> Result<String> {
        self.get(name).ok_or_else(|| unrecognized(name))
    }

    /// Sets `name` to `value`. Read-only parameters and unknown names without a `.` fail.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let name = canonical_name(name);
        let known = DEFAULTS.iter().any(|(n, _, _)| *n == name);
        if !known && !name.contains('.') {
            return Err(unrecognized(&name));
        }
        if matches!(
            name.as_str(),
            "server_version"
                | "server_version_num"
                | "server_encoding"
                | "lc_collate"
                | "lc_ctype"
                | "integer_datetimes"
                | "max_connections"
                | "max_identifier_length"
                | "in_hot_standby"
                | "is_superuser"
        ) {
            return Err(Error::invalid(
                "55P02",
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        let value = normalize(&name, value)?;
        self.values.insert(name, value);
        Ok(())
    }

    /// Returns `name` to its default.
    pub fn reset(&mut self, name: &str) -> Result<()> {
        let name = canonical_name(name);
        if name == "all" {
            self.values.clear();
            return Ok(());
        }
        if self.get(&name).is_none() {
            return Err(unrecognized(&name));
        }
        self.values.remove(&name);
        Ok(())
    }

    /// How long a statement may run (`statement_timeout`; none when 0).
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        let ms = self
            .get("statement_timeout")
            .and_then(|v| parse_millis("statement_timeout", &v).ok())?;
        (ms > 0).then(|| std::time::Duration::from_millis(ms))
    }

    /// The column name `SHOW name` reports.
    pub fn show_column(name: &str) -> String {
        display_name(&canonical_name(name)).to_string()
    }

    /// Every parameter as (name, value, description), sorted by name, as `SHOW ALL` lists them.
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut rows: BTreeMap<String, (String, String)> = DEFAULTS
            .iter()
            .map(|(n, v, d)| (n.to_string(), (v.to_string(), d.to_string())))
            .collect();
        for (n, v) in &self.values {
            let description = rows.get(n).map(|r| r.1.clone()).unwrap_or_default();
            rows.insert(n.clone(), (v.clone(), description));
        }
        rows.into_iter()
            .map(|(n, (v, d))| (display_name(&n).to_string(), v, d))
            .collect()
    }
}

/// The stored form of a value, as PostgreSQL canonicalizes the few that clients read back.
fn normalize(name: &str, value: &str) -> Result<String> {
    let lower = value.to_lowercase();
    Ok(match name {
        "statement_timeout" => show_millis(parse_millis(name, value)?),
        "datestyle" => {
            let mut style = "ISO";
            let mut order = "MDY";
            for part in lower.split(',').map(str::trim) {
                match part {
                    "iso" => style = "ISO",
                    "sql" => style = "SQL",
                    "postgres" => style = "Postgres",
                    "german" => style = "German",
                    "mdy" | "us" | "noneuropean" => order = "MDY",
                    "dmy" | "euro" | "european" => order = "DMY",
                    "ymd" => order = "YMD",
                    _ => {
                        return Err(Error::invalid(
                            "22023",
                            format!("invalid value for parameter \"DateStyle\": \"{value}\""),
                        ))
                    }
                }
            }
            format!("{style}, {order}")
        }
        "client_encoding" => match lower.replace(['-', '_'], "").as_str() {
            "utf8" | "unicode" => "UTF8".into(),
            _ => {
                return Err(Error::invalid(
                    "22023",
                    format!("invalid value for parameter \"client_encoding\": \"{value}\""),
                ))
            }
        },
        "standard_conforming_strings"
        | "default_transaction_read_only"
        | "transaction_read_only" => match lower.as_str() {
            "on" | "true" | "yes" | "1" => "on".into(),
            "off" | "false" | "no" | "0" => "off".into(),
            _ => {
                return Err(Error::invalid(
                    "22023",
                    format!("parameter \"{name}\" requires a Boolean value"),
                ))
            }
        },
        "transaction_isolation" | "default_transaction_isolation" => lower,
        "timezone" => time_zone(value)?,
        _ => value.to_string(),
    })
}

/// The stored form of a `TimeZone` value: a number is hours east of UTC (SQL's
/// `SET TIME ZONE 5`), stored as the POSIX string PostgreSQL shows (`<+05>-05`); anything else
/// must name a zone of the tz database (spelled as its file) or be a POSIX string.
fn time_zone(value: &str) -> Result<String> {
    let invalid = || {
        Error::invalid(
            "22023",
            format!("invalid value for parameter \"TimeZone\": \"{value}\""),
        )
    };
    let trimmed = value.trim();
    if let Ok(hours) = trimmed.parse::<f64>() {
        if !hours.is_finite() || hours.abs() > 168.0 {
            return Err(invalid());
        }
        #[allow(clippy::cast_possible_truncation)]
        let secs = (hours * 3600.0).round() as i32;
        let east = crate::types::tz::format_offset(secs);
        let west = crate::types::tz::format_offset(-secs);
        return Ok(format!("<{east}>{west}"));
    }
    match crate::types::tz::zone(trimmed) {
        Ok(zone) => Ok(zone.name().to_string()),
        Err(crate::types::tz::ZoneError::NoDatabase(message)) => {
            Err(Error::invalid("58P01", message))
        }
        Err(crate::types::tz::ZoneError::Unknown) => Err(invalid()),
    }
}

fn unrecognized(name: &str) -> Error {
    Error::invalid(
        "42704",
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

/// A time parameter in milliseconds: a number of milliseconds, or a number with one of
/// PostgreSQL's units (`ms`, `s`, `min`, `h`, `d`), rounded to whole milliseconds.
fn parse_millis(name: &str, value: &str) -> Result<u64> {
    let text = value.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "" | "ms" => 1.0,
        "s" => 1e3,
        "min" => 60e3,
        "h" => 3600e3,
        "d" => 86_400e3,
        _ => {
            return Err(Error::invalid(
                "22023",
                format!("invalid value for parameter \"{name}\": \"{value}\""),
            ))
        }
    };
    let millis = number
        .parse::<f64>()
        .ok()
        .map(|n| (n * scale).round())
        .filter(|ms| (0.0..=f64::from(i32::MAX)).contains(ms))
        .ok_or_else(|| {
            Error::invalid(
                "22023",
                format!("invalid value for parameter \"{name}\": \"{value}\""),
            )
        })?;
    // The range check above makes the conversion exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(millis as u64)
}

/// Milliseconds as SHOW reports a time parameter: in the largest unit that divides it.
fn show_millis(ms: u64) -> String {
    if ms == 0 {
        return "0".into();
    }
    [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ]
    .iter()
    .find(|(unit, _)| ms % unit == 0)
    .map_or_else(
        || format!("{ms}ms"),
        |(unit, name)| format!("{}{name}", ms / unit),
    )
}
