//! Text rendering shared by the commands: values as text, boxed aligned tables, dates, and
//! colour (only when stdout is a terminal).

use std::io::IsTerminal;
use vdb_engine::repo::Signature;
use vdb_engine::value::Value;
use vdb_engine::Hash;

/// Whether to colour output: stdout is a terminal and `NO_COLOR` is unset.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub const RED: &str = "\x1b[31m";
pub const GREEN: &str = "\x1b[32m";
pub const YELLOW: &str = "\x1b[33m";
pub const BOLD: &str = "\x1b[1m";
pub const RESET: &str = "\x1b[0m";

/// `text` wrapped in `code` when colouring.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// A value as a cell: `NULL` for SQL NULL.
pub fn cell(value: &Value) -> String {
    value_text(value).unwrap_or_else(|| "NULL".to_string())
}

/// A value as text, `None` for SQL NULL (how CSV export writes it: an empty field): PostgreSQL's
/// text output for its type, which `vdb table import` and COPY read back, except that booleans
/// are spelled out (`true`, not `t`).
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(b.to_string()),
        other => vdb_sql::types::to_pg_text(other),
    }
}

/// The first 12 hex digits of a hash.
pub fn short(hash: &Hash) -> String {
    vdb_engine::repo::revision::short(hash)
}

/// A signature's time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn date(sig: &Signature) -> String {
    date_ms(sig.time_ms)
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn date_ms(time_ms: i64) -> String {
    let secs = time_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A boxed table with a header row. Cells may carry ANSI colour codes; widths ignore them.
#[derive(Debug, Default)]
pub struct TextTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    pub fn new(header: Vec<String>) -> TextTable {
        TextTable {
            header,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Display width of a cell, skipping ANSI escape sequences.
fn width(text: &str) -> usize {
    let mut n = 0;
    let mut escape = false;
    for c in text.chars() {
        match (escape, c) {
            (false, '\x1b') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

impl std::fmt::Display for TextTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, c) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(width(c));
                }
            }
        }
        let rule: String = widths
            .iter()
            .map(|w| format!("+{}", "-".repeat(w + 2)))
            .collect::<String>()
            + "+";
        let line = |f: &mut std::fmt::Formatter<'_>, row: &[String]| -> std::fmt::Result {
            for (c, w) in row.iter().zip(&widths) {
                write!(f, "| {c}{} ", " ".repeat(w - width(c)))?;
            }
            writeln!(f, "|")
        };
        writeln!(f, "{rule}")?;
        line(f, &self.header)?;
        writeln!(f, "{rule}")?;
        for row in &self.rows {
            line(f, row)?;
        }
        writeln!(f, "{rule}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_tables() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_413), (2025, 11, 21));
        let mut t = TextTable::new(vec!["id".into(), "name".into()]);
        t.push(vec!["1".into(), format!("{RED}ab{RESET}")]);
        let text = t.to_string();
        assert!(text.contains("| id | name |"), "{text}");
    }
}
