//! Run-time parameters of a session (`SET`, `SHOW`, `RESET`, `current_setting`, `set_config`):
//! PostgreSQL 15's parameters (the table in `parameters`), with their types, ranges and units
//! checked and their values shown as PostgreSQL shows them, plus any custom `a.b` parameter a
//! client sets.
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

mod parameters;

use parameters::{Context, Kind, Parameter, Unit};

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
        // Outside a transaction block (which sets these for its length), each statement's own
        // transaction takes the session's defaults, so that is what they show.
        let default = match name.as_str() {
            "transaction_isolation" => Some("default_transaction_isolation"),
            "transaction_read_only" => Some("default_transaction_read_only"),
            "transaction_deferrable" => Some("default_transaction_deferrable"),
            _ => None,
        };
        if let Some(default) = default {
            return self.get(default);
        }
        parameters::find(&name).map(default_value)
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

    /// Sets `name` to `value`. Read-only parameters, values the parameter does not take and
    /// unknown names without a `.` fail.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let name = canonical_name(name);
        let value = match parameters::find(&name) {
            None if name.contains('.') => value.to_string(),
            None => return Err(unrecognized(&name)),
            Some(parameter) => {
                let why = match parameter.context {
                    Context::User => None,
                    Context::Internal => Some(""),
                    Context::Postmaster => Some(" without restarting the server"),
                    Context::Sighup => Some(" now"),
                };
                if let Some(why) = why {
                    return Err(Error::invalid(
                        "55P02",
                        format!("parameter \"{name}\" cannot be changed{why}"),
                    ));
                }
                normalize(parameter, value)?
            }
        };
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
        self.timeout("statement_timeout")
    }

    /// How long a statement may wait for one lock (`lock_timeout`; none when 0).
    pub fn lock_timeout(&self) -> Option<std::time::Duration> {
        self.timeout("lock_timeout")
    }

    /// A time limit in milliseconds, none when 0.
    fn timeout(&self, name: &str) -> Option<std::time::Duration> {
        let parameter = parameters::find(name)?;
        let ms = in_unit(parameter, &self.get(name)?).ok()?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (ms > 0.0).then(|| std::time::Duration::from_millis(ms as u64))
    }

    /// The column name `SHOW name` reports.
    pub fn show_column(name: &str) -> String {
        display_name(&canonical_name(name)).to_string()
    }

    /// Every parameter as (name, value, description), sorted by name, as `SHOW ALL` lists them.
    pub fn all(&self) -> Vec<(String, String, String)> {
        self.describe()
            .into_iter()
            .map(|d| (d.name, d.value, d.description))
            .collect()
    }

    /// Every parameter, sorted by name, as `pg_settings` describes them.
    pub fn describe(&self) -> Vec<Described> {
        let mut rows: BTreeMap<String, Described> = parameters::PARAMETERS
            .iter()
            .map(|p| {
                let mut described = Described::new(p, self.get(p.name));
                described.session = self.values.contains_key(p.name);
                (p.name.to_string(), described)
            })
            .collect();
        for (n, v) in &self.values {
            rows.entry(n.clone()).or_insert_with(|| Described {
                name: n.clone(),
                value: v.clone(),
                setting: v.clone(),
                unit: None,
                vartype: "string",
                context: "user",
                enumvals: None,
                range: None,
                boot: None,
                description: String::new(),
                session: true,
            });
        }
        rows.into_values().collect()
    }
}

/// One parameter as `pg_settings` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Described {
    /// The name as PostgreSQL spells it (`DateStyle`).
    pub name: String,
    /// The value as SHOW shows it (`4MB`).
    pub value: String,
    /// The value in the parameter's unit (`4096`), as `pg_settings.setting` shows it.
    pub setting: String,
    pub unit: Option<&'static str>,
    pub vartype: &'static str,
    pub context: &'static str,
    pub enumvals: Option<Vec<String>>,
    /// The least and greatest values of a number.
    pub range: Option<(String, String)>,
    /// The default, in the parameter's unit.
    pub boot: Option<String>,
    pub description: String,
    /// Whether the session set it.
    pub session: bool,
}

impl Described {
    fn new(p: &Parameter, value: Option<String>) -> Described {
        let value = value.unwrap_or_else(|| default_value(p));
        let setting = match p.kind {
            Kind::Int(..) | Kind::Real(..) if p.unit != Unit::None => {
                in_unit(p, &value).map_or_else(|_| value.clone(), |n| format_number(p, n))
            }
            _ => value.clone(),
        };
        let (vartype, enumvals, range) = match p.kind {
            Kind::Bool => ("bool", None, None),
            Kind::Int(lo, hi) => ("integer", None, Some((lo.to_string(), hi.to_string()))),
            Kind::Real(lo, hi) => ("real", None, Some((real_text(lo), real_text(hi)))),
            Kind::Enum(words) => (
                "enum",
                Some(words.iter().map(ToString::to_string).collect()),
                None,
            ),
            Kind::Text => ("string", None, None),
        };
        Described {
            name: display_name(p.name).to_string(),
            value,
            setting,
            unit: unit_name(p.unit),
            vartype,
            context: match p.context {
                Context::User => "user",
                Context::Internal => "internal",
                Context::Postmaster => "postmaster",
                Context::Sighup => "sighup",
            },
            enumvals,
            range,
            boot: Some(p.default.to_string()),
            description: p.description.to_string(),
            session: false,
        }
    }
}

/// A parameter's default value, as SHOW shows it.
fn default_value(p: &Parameter) -> String {
    match (p.kind, p.default.parse::<f64>()) {
        (Kind::Int(..) | Kind::Real(..), Ok(n)) if p.unit != Unit::None => show_with_unit(p, n),
        _ => p.default.to_string(),
    }
}

/// The stored form of a value, as SHOW shows it: checked against the parameter's type and
/// range, with a number shown in the parameter's largest unit that holds it exactly.
fn normalize(parameter: &Parameter, value: &str) -> Result<String> {
    let name = parameter.name;
    let lower = value.to_lowercase();
    Ok(match name {
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
        "timezone" | "log_timezone" => time_zone(value)?,
        _ => match parameter.kind {
            Kind::Bool => on_off(parse_bool(&lower).ok_or_else(|| {
                Error::invalid(
                    "22023",
                    format!("parameter \"{name}\" requires a Boolean value"),
                )
            })?)
            .into(),
            Kind::Enum(words) => words
                .iter()
                .find(|w| w.eq_ignore_ascii_case(value.trim()))
                .ok_or_else(|| invalid_value(name, value))?
                .to_string(),
            Kind::Int(lo, hi) => {
                let n = in_unit(parameter, value)?.round();
                #[allow(clippy::cast_precision_loss)]
                let (lo, hi) = (lo as f64, hi as f64);
                if !(lo..=hi).contains(&n) {
                    return Err(out_of_range(parameter, n, &lo.to_string(), &hi.to_string()));
                }
                show_with_unit(parameter, n)
            }
            Kind::Real(lo, hi) => {
                let n = in_unit(parameter, value)?;
                if !(lo..=hi).contains(&n) {
                    return Err(out_of_range(parameter, n, &real_text(lo), &real_text(hi)));
                }
                show_with_unit(parameter, n)
            }
            Kind::Text => value.to_string(),
        },
    })
}

/// PostgreSQL's spellings of a Boolean parameter's value: any prefix of `true`, `false`, `yes`
/// or `no`, `on`, `off` (at least `of`), `1` and `0`.
fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    let prefix = |word: &str| !text.is_empty() && word.starts_with(text);
    if prefix("true") || prefix("yes") || text == "on" || text == "1" {
        Some(true)
    } else if prefix("false")
        || prefix("no")
        || (text.len() >= 2 && "off".starts_with(text))
        || text == "0"
    {
        Some(false)
    } else {
        None
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn invalid_value(name: &str, value: &str) -> Error {
    Error::invalid(
        "22023",
        format!("invalid value for parameter \"{name}\": \"{value}\""),
    )
}

fn out_of_range(parameter: &Parameter, n: f64, lo: &str, hi: &str) -> Error {
    let unit = unit_name(parameter.unit).map_or(String::new(), |u| format!(" {u}"));
    Error::invalid(
        "22023",
        format!(
            "{}{unit} is outside the valid range for parameter \"{}\" ({lo} .. {hi})",
            real_text(n),
            parameter.name
        ),
    )
}

/// The size of a unit, in bytes for memory and in milliseconds for time.
fn unit_size(unit: Unit) -> f64 {
    match unit {
        Unit::None | Unit::B | Unit::Ms => 1.0,
        Unit::S => 1e3,
        Unit::Kb => 1024.0,
        Unit::Kb8 => 8192.0,
        Unit::Mb => 1_048_576.0,
    }
}

fn is_memory(unit: Unit) -> bool {
    matches!(unit, Unit::B | Unit::Kb | Unit::Kb8 | Unit::Mb)
}

fn unit_name(unit: Unit) -> Option<&'static str> {
    Some(match unit {
        Unit::None => return None,
        Unit::Ms => "ms",
        Unit::S => "s",
        Unit::B => "B",
        Unit::Kb => "kB",
        Unit::Kb8 => "8kB",
        Unit::Mb => "MB",
    })
}

/// A number given to `parameter`, with or without one of PostgreSQL's units (memory units are
/// case-sensitive, as there), in the parameter's own unit.
fn in_unit(parameter: &Parameter, value: &str) -> Result<f64> {
    let text = value.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| invalid_value(parameter.name, value))?;
    let unit = unit.trim();
    if unit.is_empty() {
        return Ok(number);
    }
    let size = if is_memory(parameter.unit) {
        match unit {
            "B" => 1.0,
            "kB" => 1024.0,
            "MB" => 1_048_576.0,
            "GB" => 1_073_741_824.0,
            "TB" => 1_099_511_627_776.0,
            _ => return Err(invalid_value(parameter.name, value)),
        }
    } else if parameter.unit == Unit::None {
        return Err(invalid_value(parameter.name, value));
    } else {
        match unit {
            "us" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "min" => 60e3,
            "h" => 3600e3,
            "d" => 86_400e3,
            _ => return Err(invalid_value(parameter.name, value)),
        }
    };
    Ok(number * size / unit_size(parameter.unit))
}

/// A number in `parameter`'s unit as SHOW shows it: in the largest unit that holds it exactly
/// (`4096` kB is `4MB`, `60000` ms is `1min`); zero and negative values bare.
fn show_with_unit(parameter: &Parameter, n: f64) -> String {
    if parameter.unit == Unit::None || n <= 0.0 || n.fract() != 0.0 {
        let bare = format_number(parameter, n);
        return match unit_name(parameter.unit) {
            Some(unit) if n > 0.0 => format!("{bare}{unit}"),
            _ => bare,
        };
    }
    let amount = n * unit_size(parameter.unit);
    let units: &[(f64, &str)] = if is_memory(parameter.unit) {
        &[
            (1_099_511_627_776.0, "TB"),
            (1_073_741_824.0, "GB"),
            (1_048_576.0, "MB"),
            (1024.0, "kB"),
            (1.0, "B"),
        ]
    } else {
        &[
            (86_400e3, "d"),
            (3600e3, "h"),
            (60e3, "min"),
            (1e3, "s"),
            (1.0, "ms"),
        ]
    };
    units
        .iter()
        .find(|(size, _)| amount % size == 0.0)
        .map_or_else(
            || {
                format!(
                    "{}{}",
                    real_text(n),
                    unit_name(parameter.unit).unwrap_or("")
                )
            },
            |(size, name)| format!("{}{name}", real_text(amount / size)),
        )
}

/// A number as `pg_settings` shows it: an integer parameter's without a fraction.
fn format_number(parameter: &Parameter, n: f64) -> String {
    match parameter.kind {
        Kind::Int(..) => real_text(n.round()),
        _ => real_text(n),
    }
}

/// A float as PostgreSQL's `%g` writes a parameter: no trailing `.0`.
fn real_text(n: f64) -> String {
    if n >= f64::MAX {
        return "1.79769e+308".into();
    }
    if n <= f64::MIN {
        return "-1.79769e+308".into();
    }
    format!("{n}")
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
