//! COPY ... FROM STDIN and COPY ... TO STDOUT: the text and CSV formats of PostgreSQL's COPY,
//! parsed from and written to bytes, and the framing of its binary format (signature, tuples
//! of length-prefixed fields, trailer), whose field values the wire layer encodes and decodes
//! with the types' binary send and receive formats. The session turns a COPY statement into a
//! [`CopyIn`] request (the wire layer gathers the client's data and hands it back) or runs
//! the query and encodes its rows for the client.
//!
//! Loading goes through the planner as `INSERT INTO t (columns) VALUES ($1, .., $n)`, planned
//! once with parameters of unknown type: each field is converted to its column's type exactly
//! as an unknown literal would be, defaults fill the columns the COPY does not name, and the
//! whole COPY is one atomic statement. The plan's one row of expressions is then computed for
//! each row of the data ([`fill`]), `$i` reading the row's `i`-th field; the data stays shared
//! and is read row by row as the INSERT pulls it, never copied whole.

use std::cell::RefCell;
use std::sync::Arc;

use sqlparser::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption, Statement};
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::Plan;
use crate::types::to_pg_text;

/// The data of a COPY being run: the address of its INSERT and the rows of fields (each its
/// text, or `None` for NULL).
type Data = (usize, Arc<Vec<Vec<Option<String>>>>);

thread_local! {
    /// The data of the COPY being run, kept until the COPY ends, so that a run repeated after
    /// a lost race for the working root finds them again.
    static DATA: RefCell<Option<Data>> = const { RefCell::new(None) };
}

/// Runs `f` (which runs `insert`) with `rows` as the data of the COPY whose INSERT it is.
pub(crate) fn with_data<T>(
    insert: &Statement,
    rows: Vec<Vec<Option<String>>>,
    f: impl FnOnce() -> T,
) -> T {
    let address = std::ptr::from_ref(insert) as usize;
    let saved = DATA.with(|d| d.borrow_mut().replace((address, Arc::new(rows))));
    let result = f();
    DATA.with(|d| *d.borrow_mut() = saved);
    result
}

/// `plan` with the COPY's data in place of its `$n`, when `statement` is the INSERT of the
/// COPY being run; otherwise `plan` itself.
pub(crate) fn fill(statement: &Statement, plan: Plan) -> Result<Plan> {
    let address = std::ptr::from_ref(statement) as usize;
    let Some(rows) = DATA.with(|d| {
        d.borrow()
            .as_ref()
            .filter(|(target, _)| *target == address)
            .map(|(_, rows)| Arc::clone(rows))
    }) else {
        return Ok(plan);
    };
    let Plan::Insert {
        table,
        source,
        on_conflict: None,
    } = plan
    else {
        return Err(Error::Unsupported("this COPY".into()));
    };
    let Plan::Values { rows: mut template } = *source else {
        return Err(Error::Unsupported("this COPY".into()));
    };
    let (Some(mut exprs), true) = (template.pop(), template.is_empty()) else {
        return Err(Error::Unsupported("this COPY".into()));
    };
    exprs.iter_mut().for_each(read_fields);
    Ok(Plan::Insert {
        table,
        source: Box::new(Plan::Project {
            source: Box::new(Plan::Fields { rows }),
            exprs,
        }),
        on_conflict: None,
    })
}

/// `expr` with each `$i` reading field `i` of its input row.
fn read_fields(expr: &mut Expr) {
    if let Expr::Param(i) = expr {
        *expr = Expr::Column(*i);
        return;
    }
    for child in expr.children_mut() {
        read_fields(child);
    }
}

/// How COPY data is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyFormat {
    pub csv: bool,
    /// `FORMAT BINARY`: the other fields do not apply.
    pub binary: bool,
    pub delimiter: char,
    pub null: String,
    pub header: bool,
    pub quote: char,
    pub escape: char,
    /// `FORCE_QUOTE (columns)`: CSV output quotes every non-NULL value of these columns
    /// (`*`: of every column).
    pub force_quote: Vec<String>,
}

impl CopyFormat {
    /// The format named by a COPY statement's options (text by default).
    pub fn from_options(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyFormat> {
        let mut csv = false;
        let mut binary = false;
        let mut delimiter = None;
        let mut null = None;
        let mut header = false;
        let mut quote = '"';
        let mut escape = None;
        let mut force_quote = Vec::new();
        for option in options {
            match option {
                CopyOption::Format(name) => match name.value.to_lowercase().as_str() {
                    "csv" => (csv, binary) = (true, false),
                    "text" => (csv, binary) = (false, false),
                    "binary" => (csv, binary) = (false, true),
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
                CopyOption::ForceQuote(columns) => {
                    force_quote.extend(columns.iter().map(|c| c.value.clone()));
                }
                other => return Err(Error::Unsupported(format!("COPY option {other}"))),
            }
        }
        for option in legacy {
            match option {
                CopyLegacyOption::Binary => binary = true,
                CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
                CopyLegacyOption::Null(s) => null = Some(s.clone()),
                CopyLegacyOption::Csv(csv_options) => {
                    csv = true;
                    for o in csv_options {
                        match o {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(c) => quote = *c,
                            CopyLegacyCsvOption::Escape(c) => escape = Some(*c),
                            CopyLegacyCsvOption::ForceQuote(columns) => {
                                force_quote.extend(columns.iter().map(|c| c.value.clone()));
                            }
                            other => {
                                return Err(Error::Unsupported(format!("COPY option {other}")))
                            }
                        }
                    }
                }
            }
        }
        if binary {
            let conflict = if delimiter.is_some() {
                Some(("42601", "DELIMITER"))
            } else if null.is_some() {
                Some(("42601", "NULL"))
            } else if header {
                Some(("0A000", "HEADER"))
            } else {
                None
            };
            if let Some((code, option)) = conflict {
                return Err(Error::invalid(
                    code,
                    format!("cannot specify {option} in BINARY mode"),
                ));
            }
        }
        if header && !csv {
            return Err(Error::invalid(
                "0A000",
                "COPY HEADER available only in CSV mode",
            ));
        }
        if !force_quote.is_empty() && !csv {
            return Err(Error::invalid(
                "0A000",
                "COPY force quote available only in CSV mode",
            ));
        }
        Ok(CopyFormat {
            csv,
            binary,
            delimiter: delimiter.unwrap_or(if csv { ',' } else { '\t' }),
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
            force_quote,
        })
    }

    /// Splits COPY data into rows of fields (`None` for NULL).
    pub fn parse(&self, data: &[u8]) -> Result<Vec<Vec<Option<String>>>> {
        if self.binary {
            return Err(Error::Unsupported(
                "binary COPY data here (it is read by vdb serve)".into(),
            ));
        }
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
        let forced: Vec<bool> = columns
            .iter()
            .map(|c| self.force_quote.iter().any(|f| f == "*" || f == c))
            .collect();
        for row in rows {
            let mut out = String::new();
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    out.push(self.delimiter);
                }
                match to_pg_text(value) {
                    None => out.push_str(&self.null),
                    Some(text) if self.csv && forced.get(i) == Some(&true) => {
                        out.push_str(&self.quoted(&text));
                    }
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
        self.quoted(text)
    }

    /// `text` in quotes, its quotes and escapes escaped.
    fn quoted(&self, text: &str) -> String {
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

/// The character whose code is `value` followed by up to `digits` more digits of `radix` taken
/// from `chars` (an escape's code; U+FFFD for no character).
fn character_code(
    mut value: u32,
    chars: &mut std::str::Chars<'_>,
    radix: u32,
    digits: usize,
) -> char {
    for _ in 0..digits {
        match chars.clone().next().and_then(|c| c.to_digit(radix)) {
            Some(next) => {
                value = value * radix + next;
                chars.next();
            }
            None => break,
        }
    }
    char::from_u32(value).unwrap_or('\u{fffd}')
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
                let value = d.to_digit(8).unwrap_or(0);
                out.push(character_code(value, &mut chars, 8, 2));
            }
            // `\xH` / `\xHH`: a hexadecimal character code (`x` alone without a digit).
            Some('x') if chars.clone().next().is_some_and(|c| c.is_ascii_hexdigit()) => {
                out.push(character_code(0, &mut chars, 16, 2));
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
    /// The types of those columns, in order (what binary data is decoded as).
    pub types: Vec<Type>,
}

/// The signature that opens binary COPY data, before its flags and header extension.
pub const BINARY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// The header of binary COPY data: the signature, no flags, no header extension.
pub fn binary_header() -> Vec<u8> {
    let mut header = BINARY_SIGNATURE.to_vec();
    header.extend_from_slice(&[0; 8]);
    header
}

/// The trailer of binary COPY data: a field count of -1.
pub const BINARY_TRAILER: [u8; 2] = [0xff, 0xff];

/// The tuples of binary COPY data, each `width` fields of raw bytes (`None` for NULL), after
/// checking the header, the field counts and the trailer as PostgreSQL does (22P04).
pub fn parse_binary(data: &[u8], width: usize) -> Result<Vec<Vec<Option<&[u8]>>>> {
    let bad = |message: &str| Error::invalid("22P04", message.to_string());
    let eof = || bad("unexpected EOF in COPY data");
    let mut rest = data
        .strip_prefix(BINARY_SIGNATURE.as_slice())
        .ok_or_else(|| bad("COPY file signature not recognized"))?;
    let take = |n: usize, rest: &mut &[u8]| -> Option<Vec<u8>> {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        *rest = tail;
        Some(head.to_vec())
    };
    let flags =
        take(4, &mut rest).ok_or_else(|| bad("invalid COPY file header (missing flags)"))?;
    let flags = u32::from_be_bytes([flags[0], flags[1], flags[2], flags[3]]);
    if flags & 0xFFFF_0000 != 0 {
        return Err(bad("unrecognized critical flags in COPY file header"));
    }
    let extension =
        take(4, &mut rest).ok_or_else(|| bad("invalid COPY file header (missing length)"))?;
    let extension = u32::from_be_bytes([extension[0], extension[1], extension[2], extension[3]]);
    take(extension as usize, &mut rest)
        .ok_or_else(|| bad("invalid COPY file header (wrong length)"))?;
    let mut tuples = Vec::new();
    loop {
        let count = rest.get(..2).ok_or_else(eof)?;
        let count = i16::from_be_bytes([count[0], count[1]]);
        rest = &rest[2..];
        if count == -1 {
            if !rest.is_empty() {
                return Err(bad("received copy data after EOF marker"));
            }
            return Ok(tuples);
        }
        if usize::try_from(count).ok() != Some(width) {
            return Err(bad(&format!(
                "row field count is {count}, expected {width}"
            )));
        }
        let mut fields = Vec::with_capacity(width);
        for _ in 0..width {
            let len = rest.get(..4).ok_or_else(eof)?;
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            rest = &rest[4..];
            if len == -1 {
                fields.push(None);
                continue;
            }
            let len = usize::try_from(len).map_err(|_| bad("invalid field size"))?;
            let value = rest.get(..len).ok_or_else(eof)?;
            rest = &rest[len..];
            fields.push(Some(value));
        }
        tuples.push(fields);
    }
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

    /// Binary COPY data: the header, then each tuple's fields (`None` for NULL), then the trailer.
    fn binary(tuples: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let mut data = binary_header();
        for tuple in tuples {
            data.extend_from_slice(&i16::try_from(tuple.len()).unwrap().to_be_bytes());
            for field in *tuple {
                match field {
                    None => data.extend_from_slice(&(-1_i32).to_be_bytes()),
                    Some(bytes) => {
                        data.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
                        data.extend_from_slice(bytes);
                    }
                }
            }
        }
        data.extend_from_slice(&BINARY_TRAILER);
        data
    }

    #[test]
    fn binary_framing_yields_fields_and_checks_counts() {
        let data = binary(&[&[Some(&[0, 0, 0, 7]), None], &[Some(b""), Some(b"xy")]]);
        assert_eq!(
            parse_binary(&data, 2).unwrap(),
            vec![
                vec![Some(&[0_u8, 0, 0, 7][..]), None],
                vec![Some(&b""[..]), Some(&b"xy"[..])]
            ]
        );
        assert_eq!(parse_binary(&binary(&[]), 3).unwrap().len(), 0);
        let code = |data: &[u8], width| parse_binary(data, width).unwrap_err().sqlstate();
        assert_eq!(code(&data, 3), "22P04", "a tuple of the wrong width");
        assert_eq!(code(b"PGCOPY\n", 2), "22P04", "a short signature");
        assert_eq!(code(&data[..data.len() - 2], 2), "22P04", "no trailer");
        assert_eq!(code(&data[..data.len() - 4], 2), "22P04", "a cut field");
        let mut extra = data.clone();
        extra.push(0);
        assert_eq!(code(&extra, 2), "22P04", "data after the trailer");
        let mut flagged = data.clone();
        flagged[11] = 0x80;
        assert_eq!(code(&flagged, 2), "22P04", "a critical flag");
        // A header extension is skipped.
        let mut extended = data[..15].to_vec();
        extended.extend_from_slice(&[0, 0, 0, 2, 0xAA, 0xBB]);
        extended.extend_from_slice(&data[19..]);
        assert_eq!(parse_binary(&extended, 2).unwrap().len(), 2);
    }

    #[test]
    fn text_escapes_read_octal_and_hexadecimal_codes() {
        assert_eq!(unescape_text(r"a\x41\x4a\101\x\xg\\").unwrap(), "aAJAxxg\\");
        assert_eq!(unescape_text(r"\x7e1").unwrap(), "~1");
    }

    #[test]
    fn binary_mode_refuses_text_options() {
        let binary = CopyOption::Format(sqlparser::ast::Ident::new("binary"));
        assert!(
            CopyFormat::from_options(std::slice::from_ref(&binary), &[])
                .unwrap()
                .binary
        );
        let error = CopyFormat::from_options(&[binary.clone(), CopyOption::Delimiter(',')], &[])
            .unwrap_err();
        assert_eq!(error.sqlstate(), "42601");
        let error = CopyFormat::from_options(&[binary, CopyOption::Header(true)], &[]).unwrap_err();
        assert_eq!(error.sqlstate(), "0A000");
        assert!(
            CopyFormat::from_options(&[], &[CopyLegacyOption::Binary])
                .unwrap()
                .binary
        );
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
    fn force_quote_quotes_every_value_of_its_columns_but_null() {
        let mut format = csv();
        format.force_quote = vec!["b".into()];
        let columns = ["a".to_string(), "b".to_string()];
        let rows = vec![
            vec![Value::Int4(1), Value::Text("x".into())],
            vec![Value::Int4(2), Value::Null],
        ];
        assert_eq!(format.encode(&columns, &rows).concat(), b"1,\"x\"\n2,\n");
        format.force_quote = vec!["*".into()];
        assert_eq!(
            format.encode(&columns, &rows).concat(),
            b"\"1\",\"x\"\n\"2\",\n"
        );
        let text = CopyFormat::from_options(
            &[CopyOption::ForceQuote(vec![sqlparser::ast::Ident::new(
                "a",
            )])],
            &[],
        );
        assert_eq!(text.unwrap_err().sqlstate(), "0A000");
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
