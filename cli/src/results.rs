//! How `vdb sql` prints a statement's result: psql's default aligned table, CSV, or JSON.
//!
//! Values are first turned into PostgreSQL's text output (`vdb_sql::types::to_pg_text`: `t`/`f`
//! for booleans, `2025-01-31` for dates), so that the aligned table and CSV show what psql
//! would. The aligned table follows psql's `\pset format aligned`, `border 1`: headers centered
//! (an odd extra space goes right), columns joined by ` | `, a `-+-` rule, numbers right-aligned,
//! NULL as an empty cell, a cell's extra lines continued below with a `+` mark, no trailing
//! spaces after a left-aligned last column, and a `(N rows)` footer followed by a blank line. A command prints its tag (`INSERT 0 1`).
//! JSON prints one array of objects per result, with numbers, booleans and `json` columns as
//! JSON values and everything else as strings.

use crate::context::Result;
use unicode_width::UnicodeWidthStr;
use vdb_engine::value::{Type, Value};
use vdb_sql::types::to_pg_text;
use vdb_sql::StatementResult;

/// `vdb sql --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// psql's aligned table, with a `(N rows)` footer.
    Aligned,
    /// A header row, then one row per result row; NULL is an empty field.
    Csv,
    /// One JSON array of objects (column name to value) per result.
    Json,
}

/// The text printed for one statement's result.
pub fn render(result: &StatementResult, format: ResultFormat) -> Result<String> {
    match result {
        StatementResult::Command { tag } => Ok(format!("{tag}\n")),
        StatementResult::CopyOut { format, .. } if format.binary => {
            Err("COPY ... TO STDOUT in binary format needs a client of `vdb serve`".into())
        }
        StatementResult::CopyOut {
            format,
            columns,
            rows,
        } => {
            let names: Vec<String> = columns.iter().map(|(name, _)| name.clone()).collect();
            Ok(format
                .encode(&names, rows)
                .iter()
                .map(|line| String::from_utf8_lossy(line))
                .collect())
        }
        StatementResult::CopyIn(copy) => Err(format!(
            "COPY {} FROM STDIN needs a client that sends data; use `vdb table import` or \
             psql's \\copy against `vdb serve`",
            copy.table
        )
        .into()),
        StatementResult::Rows { columns, rows, .. } => match format {
            ResultFormat::Aligned => Ok(aligned(columns, rows)),
            ResultFormat::Csv => csv(columns, rows),
            ResultFormat::Json => json(columns, rows),
        },
    }
}

/// Whether psql right-aligns a column of this type (its numeric types).
fn right_aligned(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Int2 | Type::Int4 | Type::Int8 | Type::Float4 | Type::Float8 | Type::Numeric { .. }
    )
}

/// Display width of a cell in terminal columns, as psql measures it: East Asian wide
/// characters take two, combining marks none.
fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

fn aligned(columns: &[(String, Type)], rows: &[Vec<Value>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| to_pg_text(v).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            cells
                .iter()
                .filter_map(|row| row.get(i))
                .flat_map(|c| c.split('\n'))
                .map(width)
                .chain([width(name)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    // Header: every title centered, each followed by a space (psql keeps that last space).
    let header: Vec<String> = columns
        .iter()
        .zip(&widths)
        .map(|((name, _), w)| {
            let pad = w - width(name);
            format!(
                " {}{name}{} ",
                " ".repeat(pad / 2),
                " ".repeat(pad - pad / 2)
            )
        })
        .collect();
    out.push_str(&header.join("|"));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&rule.join("+"));
    out.push('\n');
    for row in &cells {
        print_row(&mut out, columns, &widths, row);
    }
    match rows.len() {
        1 => out.push_str("(1 row)\n\n"),
        n => out.push_str(&format!("({n} rows)\n\n")),
    }
    out
}

/// One result row, over as many lines as its tallest cell: a cell holding newlines continues
/// on the next lines, each line but its last marked with a `+` in the space after it, as psql
/// does. A left-aligned last column is not padded, so lines have no trailing spaces.
fn print_row(out: &mut String, columns: &[(String, Type)], widths: &[usize], row: &[String]) {
    let lines: Vec<Vec<&str>> = (0..columns.len())
        .map(|i| row.get(i).map_or(vec![""], |c| c.split('\n').collect()))
        .collect();
    let height = lines.iter().map(Vec::len).max().unwrap_or(1);
    for l in 0..height {
        let mut line = String::new();
        for (i, ((_, ty), w)) in columns.iter().zip(widths).enumerate() {
            let continued = l + 1 < lines[i].len();
            let last = i + 1 == columns.len();
            line.push_str(if i == 0 { " " } else { "| " });
            let Some(text) = lines[i].get(l).copied() else {
                // Below a cell's last line: blank, and nothing at all in the last column.
                if !last {
                    line.push_str(&" ".repeat(w + 1));
                }
                continue;
            };
            let pad = " ".repeat(w - width(text));
            if right_aligned(ty) {
                line.push_str(&pad);
                line.push_str(text);
            } else {
                line.push_str(text);
                if !last || continued {
                    line.push_str(&pad);
                }
            }
            match (continued, last) {
                (true, _) => line.push('+'),
                (false, false) => line.push(' '),
                (false, true) => {}
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
}

fn csv(columns: &[(String, Type)], rows: &[Vec<Value>]) -> Result<String> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(columns.iter().map(|(name, _)| name.as_str()))?;
    for row in rows {
        writer.write_record(row.iter().map(|v| to_pg_text(v).unwrap_or_default()))?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    Ok(String::from_utf8(bytes)?)
}

/// One array of objects; written by hand rather than through `serde_json::Map`, which would
/// sort the keys instead of keeping the columns' order.
fn json(columns: &[(String, Type)], rows: &[Vec<Value>]) -> Result<String> {
    let mut out = String::from("[");
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            out.push(',');
        }
        out.push('{');
        for (i, ((name, ty), value)) in columns.iter().zip(row).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(name)?);
            out.push(':');
            out.push_str(&json_value(ty, value)?);
        }
        out.push('}');
    }
    out.push_str("]\n");
    Ok(out)
}

/// A value as JSON text: numbers and booleans as themselves (a numeric's digits exactly as
/// PostgreSQL prints them, however many), `json`/`jsonb` text as the document it holds, NULL
/// as null, everything else (and NaN, infinities) as a string of its PostgreSQL text.
fn json_value(ty: &Type, value: &Value) -> Result<String> {
    let string = |text: &str| serde_json::to_string(text);
    Ok(match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int2(_)
        | Value::Int4(_)
        | Value::Int8(_)
        | Value::Float4(_)
        | Value::Float8(_)
        | Value::Numeric(_) => {
            let text = to_pg_text(value).unwrap_or_default();
            if is_json_number(&text) {
                text
            } else {
                string(&text)?
            }
        }
        Value::Text(s) if matches!(ty, Type::Json | Type::Jsonb) => {
            match serde_json::from_str::<serde_json::Value>(s) {
                // The document as stored, keys in its own order.
                Ok(_) => s.trim().to_string(),
                Err(_) => string(s)?,
            }
        }
        Value::Array(items) => {
            let element = match ty {
                Type::Array(element) => element.as_ref().clone(),
                other => other.clone(),
            };
            let mut level: Vec<String> = items
                .iter()
                .map(|v| json_value(&element, v))
                .collect::<Result<_>>()?;
            // A multidimensional array nests one json array per dimension.
            for dim in items.dims().iter().skip(1).rev() {
                level = level
                    .chunks(dim.len.max(1))
                    .map(|row| format!("[{}]", row.join(",")))
                    .collect();
            }
            format!("[{}]", level.join(","))
        }
        other => string(&to_pg_text(other).unwrap_or_default())?,
    })
}

/// Whether `text` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let digits = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
    let rest = text.strip_prefix('-').unwrap_or(text);
    let whole = digits(rest);
    if whole == 0 || (whole > 1 && rest.starts_with('0')) {
        return false;
    }
    let mut rest = &rest[whole..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        return n > 0 && n == exponent.len();
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> StatementResult {
        StatementResult::Rows {
            columns: vec![
                ("id".into(), Type::Int4),
                ("name".into(), Type::Text),
                ("ok".into(), Type::Bool),
            ],
            rows: vec![
                vec![Value::Int4(1), Value::Text("ann".into()), Value::Bool(true)],
                vec![Value::Int4(20), Value::Null, Value::Null],
            ],

            tag: None,
        }
    }

    #[test]
    fn aligned_matches_psql() {
        let text = render(&rows(), ResultFormat::Aligned).unwrap();
        assert_eq!(
            text,
            " id | name | ok \n----+------+----\n  1 | ann  | t\n 20 |      | \n(2 rows)\n\n"
        );
        let one = StatementResult::Rows {
            columns: vec![("longer_name".into(), Type::Text)],
            rows: vec![vec![Value::Text("x".into())]],

            tag: None,
        };
        assert_eq!(
            render(&one, ResultFormat::Aligned).unwrap(),
            " longer_name \n-------------\n x\n(1 row)\n\n"
        );
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let result = StatementResult::Rows {
            columns: vec![("name".into(), Type::Text), ("n".into(), Type::Int4)],
            rows: vec![vec![Value::Text("日本".into()), Value::Int4(1)]],

            tag: None,
        };
        assert_eq!(
            render(&result, ResultFormat::Aligned).unwrap(),
            " name | n \n------+---\n 日本 | 1\n(1 row)\n\n"
        );
    }

    #[test]
    fn cells_with_newlines_continue_on_marked_lines() {
        let result = StatementResult::Rows {
            columns: vec![("a".into(), Type::Text), ("b".into(), Type::Int4)],
            rows: vec![vec![Value::Text("x\nyy".into()), Value::Int4(1)]],

            tag: None,
        };
        assert_eq!(
            render(&result, ResultFormat::Aligned).unwrap(),
            " a  | b \n----+---\n x +| 1\n yy | \n(1 row)\n\n"
        );
        let last = StatementResult::Rows {
            columns: vec![("b".into(), Type::Int4), ("a".into(), Type::Text)],
            rows: vec![vec![Value::Int4(1), Value::Text("x\ny".into())]],

            tag: None,
        };
        assert_eq!(
            render(&last, ResultFormat::Aligned).unwrap(),
            " b | a \n---+---\n 1 | x+\n   | y\n(1 row)\n\n"
        );
    }

    #[test]
    fn csv_and_json_keep_types_and_nulls() {
        assert_eq!(
            render(&rows(), ResultFormat::Csv).unwrap(),
            "id,name,ok\n1,ann,t\n20,,\n"
        );
        assert_eq!(
            render(&rows(), ResultFormat::Json).unwrap(),
            "[{\"id\":1,\"name\":\"ann\",\"ok\":true},{\"id\":20,\"name\":null,\"ok\":null}]\n"
        );
    }

    #[test]
    fn json_numbers_keep_every_digit() {
        assert!(is_json_number("12.50"));
        assert!(is_json_number("-0.5e+20"));
        assert!(!is_json_number("NaN"));
        assert!(!is_json_number("Infinity"));
        assert!(!is_json_number("01"));
        assert!(!is_json_number("1."));
        let big: vdb_engine::value::Numeric = "123456789012345678901234567890.10".parse().unwrap();
        assert_eq!(
            json_value(
                &Type::Numeric {
                    precision_scale: None
                },
                &Value::Numeric(big)
            )
            .unwrap(),
            "123456789012345678901234567890.10"
        );
        assert_eq!(
            json_value(&Type::Float8, &Value::Float8(f64::NAN)).unwrap(),
            "\"NaN\""
        );
        assert_eq!(
            json_value(&Type::Jsonb, &Value::Text("{\"b\": 1, \"a\": [2]}".into())).unwrap(),
            "{\"b\": 1, \"a\": [2]}"
        );
    }

    #[test]
    fn commands_print_their_tag() {
        let tag = StatementResult::Command {
            tag: "INSERT 0 1".into(),
        };
        assert_eq!(render(&tag, ResultFormat::Json).unwrap(), "INSERT 0 1\n");
    }
}
