//! String functions that encode, quote, translate or match: encode/decode (hex, base64,
//! escape), to_hex, quote_ident/quote_literal/quote_nullable,
//! translate, bit_length, regexp_match, regexp_split_to_array, regexp_like and regexp_count.
//! Arguments arrive typed by the binder (`planner/builtin/extras.rs`).

use std::sync::Arc;

use vdb_engine::value::Value;

use super::pattern::{Flags, Pattern};
use super::{int_arg, text_arg, Builtin};
use crate::error::{Error, Result};

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let s = || text_arg(args.first()).unwrap_or_default();
    let t = |i: usize| text_arg(args.get(i)).unwrap_or_default();
    let text = |x: String| Ok(Value::Text(x));
    Some(match b {
        Builtin::Translate => text(translate(s(), t(1), t(2))),
        Builtin::ToHex => text(match args.first() {
            Some(Value::Int4(n)) => format!("{:x}", *n as u32),
            Some(Value::Int2(n)) => format!("{:x}", i32::from(*n) as u32),
            _ => format!("{:x}", int_arg(args.first()).unwrap_or(0) as u64),
        }),
        Builtin::QuoteIdent => text(quote_ident(s())),
        Builtin::QuoteLiteral | Builtin::QuoteNullable => match args.first() {
            None | Some(Value::Null) => text("NULL".into()),
            Some(_) => text(quote_literal(s())),
        },
        Builtin::BitLength => Ok(Value::Int4(match args.first() {
            Some(Value::Bytea(b)) => i32::try_from(b.len() * 8).unwrap_or(i32::MAX),
            _ => i32::try_from(s().len() * 8).unwrap_or(i32::MAX),
        })),
        Builtin::Encode => match args.first() {
            Some(Value::Bytea(b)) => encode(b, t(1)).map(Value::Text),
            _ => Ok(Value::Null),
        },
        Builtin::Decode => decode(s(), t(1)).map(Value::Bytea),
        Builtin::RegexpMatch => regexp_match(s(), t(1), t(2)),
        Builtin::RegexpSplitToArray => regexp_split(s(), t(1), t(2)),
        Builtin::RegexpLike => regex(t(1), t(2)).and_then(|re| Ok(Value::Bool(re.is_match(s())?))),
        Builtin::RegexpCount => regex(t(1), t(2)).and_then(|re| {
            let n = re.find_all(s())?.len();
            Ok(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)))
        }),
        Builtin::LikeEscape => like_escape(s(), t(1)).map(Value::Text),
        Builtin::SimilarToRegex => similar_to_regex(s(), t(1), false).map(Value::Text),
        Builtin::SimilarSubstringRegex => similar_to_regex(s(), t(1), true).map(Value::Text),
        _ => return None,
    })
}

fn escape_char(e: &str) -> Result<Option<char>> {
    let mut chars = e.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(Error::invalid("22025", "invalid escape string")),
    }
}

/// A LIKE pattern whose escape is `e` (none if empty) rewritten to escape with `\\`.
fn like_escape(p: &str, e: &str) -> Result<String> {
    let e = escape_char(e)?;
    let mut out = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if Some(c) == e {
            match chars.next() {
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                // PostgreSQL fails only if matching reaches the lone escape; text that ran
                // out first does not match. A NUL (which text never holds) matches nothing.
                None => out.push_str("\\\0"),
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// PostgreSQL's similar_escape: `%` is `.*`, `_` is `.`, the escape quotes the next character,
/// `.`, `^`, `$` are literal, the rest is regex syntax; the whole pattern must match. The
/// user's parentheses do not capture. With `separators` (substring's form), the part between
/// the two escape-double-quote separators is the one capture group (after a single one: the
/// rest), and what comes before it matches as little as it can.
fn similar_to_regex(p: &str, e: &str, separators: bool) -> Result<String> {
    let e = escape_char(e)?;
    let mut out = String::from("^(?:");
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    let mut seen = 0;
    while let Some(c) = chars.next() {
        if Some(c) == e {
            if chars.peek() == Some(&'"') {
                chars.next();
                seen += 1;
                if !separators {
                    continue;
                }
                match seen {
                    1 => out.push_str(")("),
                    2 => out.push_str(")(?:"),
                    _ => {
                        return Err(Error::invalid(
                            "2201B",
                            "SQL regular expression may not contain more than two escape-double-quote separators",
                        ))
                    }
                }
                continue;
            }
            match chars.next() {
                Some(n) => out.push_str(&regex::escape(&n.to_string())),
                None => {
                    return Err(Error::invalid(
                        "2201B",
                        "invalid escape at the end of a SIMILAR TO pattern",
                    ))
                }
            }
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ if in_class => out.push(c),
            '%' if separators && seen == 0 => out.push_str(".*?"),
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '(' if chars.peek() != Some(&'?') => out.push_str("(?:"),
            '.' | '^' | '$' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push_str(")$");
    Ok(out)
}

fn translate(s: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

/// PostgreSQL's quote_ident: quoted unless all lower-case letters, digits and underscores
/// (not starting with a digit) and not a reserved keyword.
pub(super) fn quote_ident(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// PostgreSQL's quote_literal: quotes doubled; with a backslash, an E'' string with it doubled.
fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn unknown_encoding(name: &str) -> Error {
    Error::invalid("22023", format!("unrecognized encoding: \"{name}\""))
}

fn encode(b: &[u8], format: &str) -> Result<String> {
    Ok(match format.to_ascii_lowercase().as_str() {
        "hex" => b.iter().map(|x| format!("{x:02x}")).collect(),
        "base64" => {
            let mut out = String::new();
            for (i, chunk) in b.chunks(3).enumerate() {
                // PostgreSQL breaks base64 output into lines of 76 characters.
                if i > 0 && i % 19 == 0 {
                    out.push('\n');
                }
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (j, x)| acc | (u32::from(*x) << (16 - 8 * j)));
                for j in 0..4 {
                    if j <= chunk.len() {
                        out.push(char::from(BASE64[((n >> (18 - 6 * j)) & 63) as usize]));
                    } else {
                        out.push('=');
                    }
                }
            }
            out
        }
        "escape" => {
            let mut out = String::new();
            for &x in b {
                match x {
                    b'\\' => out.push_str("\\\\"),
                    0 | 0x80..=0xff => out.push_str(&format!("\\{x:03o}")),
                    _ => out.push(char::from(x)),
                }
            }
            out
        }
        _ => return Err(unknown_encoding(format)),
    })
}

fn decode(s: &str, format: &str) -> Result<Vec<u8>> {
    match format.to_ascii_lowercase().as_str() {
        "hex" => {
            let digits: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
            if digits.len() % 2 != 0 {
                return Err(Error::invalid(
                    "22023",
                    "invalid hexadecimal data: odd number of digits",
                ));
            }
            digits
                .chunks(2)
                .map(|p| {
                    let h = |c: u8| {
                        char::from(c).to_digit(16).ok_or_else(|| {
                            Error::invalid(
                                "22023",
                                format!("invalid hexadecimal digit: \"{}\"", char::from(c)),
                            )
                        })
                    };
                    Ok(u8::try_from(h(p[0])? * 16 + h(p[1])?).unwrap_or(0))
                })
                .collect()
        }
        "base64" => {
            let mut out = Vec::new();
            let (mut acc, mut bits) = (0u32, 0);
            for c in s.bytes() {
                if c.is_ascii_whitespace() || c == b'=' {
                    continue;
                }
                let Some(v) = BASE64.iter().position(|x| *x == c) else {
                    return Err(Error::invalid(
                        "22023",
                        format!(
                            "invalid symbol \"{}\" found while decoding base64 sequence",
                            char::from(c)
                        ),
                    ));
                };
                acc = (acc << 6) | u32::try_from(v).unwrap_or(0);
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
                }
            }
            Ok(out)
        }
        "escape" => {
            let bytes = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'\\' {
                    if bytes.get(i + 1) == Some(&b'\\') {
                        out.push(b'\\');
                        i += 2;
                        continue;
                    }
                    let oct = bytes.get(i + 1..i + 4).and_then(|d| {
                        std::str::from_utf8(d)
                            .ok()
                            .and_then(|d| u8::from_str_radix(d, 8).ok())
                    });
                    match oct {
                        Some(v) => {
                            out.push(v);
                            i += 4;
                        }
                        None => {
                            return Err(Error::invalid(
                                "22P02",
                                "invalid input syntax for type bytea",
                            ))
                        }
                    }
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            Ok(out)
        }
        _ => Err(unknown_encoding(format)),
    }
}

thread_local! {
    /// Patterns compiled on this thread, by pattern and flags: a pattern is compiled once per
    /// statement, not once per row.
    static COMPILED: std::cell::RefCell<std::collections::HashMap<(String, String), Arc<Pattern>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// How many compiled patterns a thread keeps (all are dropped when it would keep more).
const COMPILED_KEPT: usize = 64;

/// A regex with PostgreSQL's flags (`i` case-insensitive, `c` sensitive, `g` where allowed,
/// `n` / `m` newline-sensitive, `s` not, `x` expanded). As in PostgreSQL's advanced regular
/// expressions, `.` matches a newline unless the pattern is newline-sensitive.
pub(crate) fn regex(pattern: &str, flags: &str) -> Result<Arc<Pattern>> {
    let key = (pattern.to_string(), flags.to_string());
    if let Some(re) = COMPILED.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(re);
    }
    let re = Arc::new(build_regex(pattern, flags)?);
    COMPILED.with(|c| {
        let mut compiled = c.borrow_mut();
        if compiled.len() >= COMPILED_KEPT {
            compiled.clear();
        }
        compiled.insert(key, Arc::clone(&re));
    });
    Ok(re)
}

fn build_regex(pattern: &str, flags: &str) -> Result<Pattern> {
    // An advanced regular expression may open with embedded options, `(?n)`: they act as the
    // flags do, after them.
    let (pattern, embedded) = match pattern
        .strip_prefix("(?")
        .and_then(|rest| rest.split_once(')'))
    {
        Some((options, rest))
            if !options.is_empty() && options.chars().all(|c| "cimnsx".contains(c)) =>
        {
            (rest, options)
        }
        _ => (pattern, ""),
    };
    let flags = format!("{flags}{embedded}");
    let mut options = Flags {
        dot_matches_new_line: true,
        ..Flags::default()
    };
    for f in flags.chars() {
        match f {
            'i' => options.case_insensitive = true,
            'c' | 'g' => options.case_insensitive = false,
            'n' | 'm' => {
                options.multi_line = true;
                options.dot_matches_new_line = false;
            }
            's' => {
                options.multi_line = false;
                options.dot_matches_new_line = true;
            }
            'x' => options.ignore_whitespace = true,
            other => {
                return Err(Error::invalid(
                    "22023",
                    format!("invalid regular expression option: \"{other}\""),
                ))
            }
        }
    }
    Pattern::new(pattern, options)
}

/// `regexp_match(s, pattern [, flags])`: the first match's groups (or the whole match), NULL
/// when there is none.
fn regexp_match(s: &str, pattern: &str, flags: &str) -> Result<Value> {
    if flags.contains('g') {
        return Err(Error::invalid(
            "22023",
            "regexp_match() does not support the \"global\" option",
        ));
    }
    let re = regex(pattern, flags)?;
    let Some(caps) = re.captures(s)? else {
        return Ok(Value::Null);
    };
    let text = |i| {
        caps.text(s, i)
            .map_or(Value::Null, |m| Value::Text(m.to_string()))
    };
    let groups: Vec<Value> = if caps.len() == 1 {
        vec![text(0)]
    } else {
        (1..caps.len()).map(text).collect()
    };
    Ok(Value::array(groups))
}

/// `regexp_split_to_array(s, pattern [, flags])`: the text between matches (an empty match
/// splits between characters, as in PostgreSQL).
fn regexp_split(s: &str, pattern: &str, flags: &str) -> Result<Value> {
    if flags.contains('g') {
        return Err(Error::invalid(
            "22023",
            "regexp_split_to_array() does not support the \"global\" option",
        ));
    }
    let re = regex(pattern, flags)?;
    let mut parts = Vec::new();
    let mut start = 0;
    for (m_start, m_end) in re.find_all(s)? {
        if m_start == m_end {
            // An empty match at the very start or end splits nothing.
            if m_start == 0 || m_start >= s.len() {
                continue;
            }
        }
        if m_end == 0 {
            continue;
        }
        parts.push(Value::Text(s[start..m_start].to_string()));
        start = m_end;
    }
    parts.push(Value::Text(s[start..].to_string()));
    Ok(Value::array(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in [&b""[..], b"a", b"ab", b"abc", b"abcd"] {
            let e = encode(s, "base64").unwrap_or_default();
            assert_eq!(decode(&e, "base64").unwrap_or_default(), s);
        }
        assert_eq!(encode(b"abc", "base64").unwrap_or_default(), "YWJj");
    }
}
