//! COPY ... FROM STDIN and COPY ... TO STDOUT: the text and CSV formats of PostgreSQL's COPY,
//! parsed from and written to bytes. The session turns a COPY statement into a
//! [`CopyIn`] request (the wire layer gathers the client's data and hands it back) or runs
//! the query and encodes its rows for the client.
//!
//! Loading goes through the planner as an INSERT of untyped literals, so each field is
//! converted to its column's type exactly as an unknown literal would be, defaults fill the
//! columns the COPY does not name, and the whole COPY is one atomic statement.

use sqlparser::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::types::to_pg_text;

/// How COPY data is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyFormat {
    pub csv: bool,
    pub delimiter: char,
    pub null: String,
    pub header: bool,
    pub quote: char,
    pub escape: char,
}

impl CopyFormat {
    /// The format named by a COPY statement's options (text by default).
    pub fn from_options(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyFormat> {
        let mut csv = false;
        let mut delimiter = None;
        let mut null = None;
        let mut header = false;
        let mut quote = '"';
        let mut escape = None;
        for option in options {
            match option {
                CopyOption::Format(name) => match name.value.to_lowercase().as_str() {
                    "csv" => csv = true,
                    "text" => csv = false,
                    "binary" => return Err(Error::Unsupported("COPY in binary format".into())),
                    other => {
                        return Err(Error::invalid(
                            "22023",
                            format!("COPY format \"{other}\" not recognized"),
                        ))
                    }
                },
                CopyOption::Delimiter(c) => delimiter = Some(*c),
                CopyOption::Null(s) => null = Some(s.clone()),
                CopyOption::Header(h) => header = *h,
                CopyOption::Quote(c) => quote = *c,
                CopyOption::Escape(c) => escape = Some(*c),
                CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf8") => {}
                CopyOption::Freeze(_) => {}
                other => return Err(Error::Unsupported(format!("COPY option {other}"))),
            }
        }
        for option in legacy {
            match option {
                CopyLegacyOption::Binary => {
                    return Err(Error::Unsupported("COPY in binary format".into()))
                }
                CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
                CopyLegacyOption::Null(s) => null = Some(s.clone()),
                CopyLegacyOption::Csv(csv_options) => {
                    csv = true;
                    for o in csv_options {
                        match o {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(c) => quote = *c,
                            CopyLegacyCsvOption::Escape(c) => escape = Some(*c),
                            other => {
                                return Err(Error::Unsupported(format!("COPY option {other}")))
                            }
                        }
                    }
                }
            }
        }
        if header && !csv {
            return Err(Error::invalid(
                "0A000",
                "COPY HEADER available only in CSV mode",
            ));
        }
        Ok(CopyFormat {
            csv,
            delimiter: delimiter.unwrap_or(if csv { ',' } else { '\t' }),
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
        })
    }

    /// Splits COPY data into rows of fields (`None` for NULL).
    pub fn parse(&self, data: &[u8]) -> Result<Vec<Vec<Option<String>>>> {
        let text = std::str::from_utf8(data)
            .map_err(|_| Error::invalid("22021", "invalid byte sequence for encoding \"UTF8\""))?;
        let mut rows = if self.csv {
            self.parse_csv(text)?
        } else {
            self.parse_text(text)?
        };
        if self.header && !rows.is_empty() {
            rows.remove(0);
        }
        Ok(rows)
    }

    fn parse_text(&self, text: &str) -> Result<Vec<Vec<Option<String>>>> {
        let mut rows = Vec::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line == "\\." {
                break;
            }
            if line.is_empty() {
                continue;
            }
            let fields = line
                .split(self.delimiter)
                .map(|raw| {
                    if raw == self.null {
                        Ok(None)
                    } else {
                        unescape_text(raw).map(Some)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            rows.push(fields);
        }
        Ok(rows)
    }

    fn parse_csv(&self, text: &str) -> Result<Vec<Vec<Option<String>>>> {
        let mut rows = Vec::new();
        let mut chars = text.chars().peekable();
        loop {
            if chars.peek().is_none() {
                break;
            }
            // One record: fields until an unquoted newline.
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            let mut at_end = false;
            loop {
                match chars.next() {
                    None => {
                        at_end = true;
                        break;
                    }
                    Some(c) if c == self.quote => {
                        quoted = true;
                        loop {
                            match chars.next() {
                                None => {
                                    return Err(Error::invalid(
                                        "22P04",
                                        "unterminated CSV quoted field",
                                    ))
                                }
                                // An escaped quote (a doubled one, by default) is one quote.
                                Some(c)
                                    if c == self.escape && chars.peek() == Some(&self.quote) =>
                                {
                                    chars.next();
                                    field.push(self.quote);
                                }
                                Some(c) if c == self.quote => break,
                                Some(c) => field.push(c),
                            }
                        }
                    }
                    Some(c) if c == self.delimiter => {
                        fields.push(csv_field(std::mem::take(&mut field), quoted, &self.null));
                        quoted = false;
                    }
                    Some('\n') => break,
                    Some('\r') if chars.peek() == Some(&'\n') => {}
                    Some(c) => field.push(c),
                }
            }
            let line_is_terminator = fields.is_empty() && !quoted && field == "\\.";
            if line_is_terminator {
                break;
            }
            if !(fields.is_empty() && field.is_empty() && !quoted && at_end) {
                fields.push(csv_field(field, quoted, &self.null));
                rows.push(fields);
            }
            if at_end {
                break;
            }
        }
        Ok(rows)
    }

    /// Encodes rows (with their column names for a CSV header) as COPY data: one line per
    /// row (the header first), as PostgreSQL sends one CopyData message per row.
    pub fn encode(&self, columns: &[String], rows: &[Vec<Value>]) -> Vec<Vec<u8>> {
        let mut lines = Vec::with_capacity(rows.len() + 1);
        if self.header {
            let names: Vec<String> = columns.iter().map(|c| self.csv_quote(c, false)).collect();
            lines.push(format!("{}\n", names.join(&self.delimiter.to_string())).into_bytes());
        }
        for row in rows {
            let mut out = String::new();
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    out.push(self.delimiter);
                }
                match to_pg_text(value) {
                    None => out.push_str(&self.null),
                    Some(text) if self.csv => out.push_str(&self.csv_quote(&text, true)),
                    Some(text) => escape_text(&text, self.delimiter, &mut out),
                }
            }
            out.push('\n');
            lines.push(out.into_bytes());
        }
        lines
    }

    /// A CSV field, quoted when it holds the delimiter, a quote, a line break, or would read
    /// as NULL.
    fn csv_quote(&self, text: &str, is_value: bool) -> String {
        let needs = text.contains(self.delimiter)
            || text.contains(self.quote)
            || text.contains('\n')
            || text.contains('\r')
            || (is_value && text == self.null)
            || text == "\\.";
        if !needs {
            return text.to_string();
        }
        let mut quoted = String::with_capacity(text.len() + 2);
        quoted.push(self.quote);
        for c in text.chars() {
            if c == self.quote || c == self.escape {
                quoted.push(self.escape);
            }
            quoted.push(c);
        }
        quoted.push(self.quote);
        quoted
    }
}

/// A CSV field: an unquoted field equal to the NULL string is NULL; a quoted one never is.
fn csv_field(field: String, quoted: bool, null: &str) -> Option<String> {
    (quoted || field != null).then_some(field)
}

/// Undoes the text format's backslash escapes.
fn unescape_text(raw: &str) -> Result<String> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('v') => out.push('\u{b}'),
            Some(d @ '0'..='7') => {
                let mut value = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.clone().next().and_then(|c| c.to_digit(8)) {
                        Some(next) => {
                            value = value * 8 + next;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Ok(out)
}

/// Appends a value in the text format, escaping backslashes, line breaks, tabs and the
/// delimiter.
fn escape_text(text: &str, delimiter: char, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == delimiter => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// A COPY FROM STDIN waiting for its data.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyIn {
    pub table: String,
    /// The columns the data fills, in order (empty: all of them).
    pub columns: Vec<String>,
    pub format: CopyFormat,
    /// How many columns each row has.
    pub width: usize,
}

/// Quotes an identifier for SQL text.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for SQL text.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> CopyFormat {
        CopyFormat::from_options(&[], &[]).unwrap()
    }

    fn csv() -> CopyFormat {
        CopyFormat::from_options(&[], &[CopyLegacyOption::Csv(vec![])]).unwrap()
    }

    #[test]
    fn text_format_round_trips_escapes_and_nulls() {
        let rows = vec![vec![
            Value::Int4(1),
            Value::Text("a\tb\\c\nd".into()),
            Value::Null,
        ]];
        let data = text().encode(&[], &rows).concat();
        assert_eq!(data, b"1\ta\\tb\\\\c\\nd\t\\N\n");
        let parsed = text().parse(&data).unwrap();
        assert_eq!(
            parsed,
            vec![vec![Some("1".into()), Some("a\tb\\c\nd".into()), None]]
        );
        assert_eq!(text().parse(b"1\t2\n\\.\n3\t4\n").unwrap().len(), 1);
    }

    #[test]
    fn csv_format_quotes_what_needs_it() {
        let rows = vec![
            vec![Value::Text("plain".into()), Value::Text("a,\"b\"".into())],
            vec![Value::Null, Value::Text(String::new())],
        ];
        let data = csv().encode(&[], &rows).concat();
        assert_eq!(data, b"plain,\"a,\"\"b\"\"\"\n,\"\"\n");
        let parsed = csv().parse(&data).unwrap();
        assert_eq!(
            parsed,
            vec![
                vec![Some("plain".into()), Some("a,\"b\"".into())],
                vec![None, Some(String::new())]
            ]
        );
        assert_eq!(
            csv().parse(b"\"multi\nline\",2\r\n3,4").unwrap(),
            vec![
                vec![Some("multi\nline".into()), Some("2".into())],
                vec![Some("3".into()), Some("4".into())]
            ]
        );
        assert!(csv().parse(b"\"open").is_err());
    }
}
