//! String functions: concat, concat_ws, strpos, split_part, lpad/rpad, right, repeat,
//! reverse, initcap, md5, starts_with, regexp_replace, format, ascii, chr, octet_length.

use vdb_engine::value::Value;

use super::{bad_args, int_arg, text_arg, Builtin};
use crate::error::{Error, Result};
use crate::types::to_pg_text;

/// Evaluates `b` if it is a string function.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let s = || text_arg(args.first()).unwrap_or_default();
    let text = |t: String| Some(Ok(Value::Text(t)));
    match b {
        Builtin::Concat => text(args.iter().filter_map(to_pg_text).collect()),
        Builtin::ConcatWs => match args.first() {
            Some(Value::Text(sep)) => text(
                args[1..]
                    .iter()
                    .filter_map(to_pg_text)
                    .collect::<Vec<_>>()
                    .join(sep),
            ),
            _ => Some(Ok(Value::Null)),
        },
        Builtin::Strpos => {
            let needle = text_arg(args.get(1)).unwrap_or_default();
            let hay = s();
            let pos = hay
                .find(needle)
                .map_or(0, |at| hay[..at].chars().count() + 1);
            Some(Ok(Value::Int4(i32::try_from(pos).unwrap_or(i32::MAX))))
        }
        Builtin::SplitPart => Some(split_part(
            s(),
            text_arg(args.get(1)).unwrap_or_default(),
            int_arg(args.get(2)).unwrap_or(0),
        )),
        Builtin::Lpad | Builtin::Rpad => {
            let len = int_arg(args.get(1)).unwrap_or(0).clamp(0, 10_000_000);
            let fill = text_arg(args.get(2)).unwrap_or(" ");
            text(pad(
                s(),
                usize::try_from(len).unwrap_or(0),
                fill,
                b == Builtin::Lpad,
            ))
        }
        Builtin::Right => {
            let chars: Vec<char> = s().chars().collect();
            let n = int_arg(args.get(1)).unwrap_or(0);
            let len = i64::try_from(chars.len()).unwrap_or(i64::MAX);
            let skip = if n >= 0 {
                (len - n).max(0)
            } else {
                (-n).min(len)
            };
            text(chars[usize::try_from(skip).unwrap_or(0)..].iter().collect())
        }
        Builtin::Repeat => {
            let n = usize::try_from(int_arg(args.get(1)).unwrap_or(0).max(0)).unwrap_or(0);
            if s().len().saturating_mul(n) > 1 << 30 {
                return Some(Err(Error::invalid("54000", "requested length too large")));
            }
            text(s().repeat(n))
        }
        Builtin::Reverse => text(s().chars().rev().collect()),
        Builtin::Initcap => text(initcap(s())),
        Builtin::Md5 => text(match args.first() {
            Some(Value::Bytea(b)) => md5_hex(b),
            _ => md5_hex(s().as_bytes()),
        }),
        Builtin::Hashtext => {
            let hex = md5_hex(s().as_bytes());
            let bits = u32::from_str_radix(hex.get(..8).unwrap_or("0"), 16).unwrap_or(0);
            Some(Ok(Value::Int4(i32::from_ne_bytes(bits.to_ne_bytes()))))
        }
        Builtin::StartsWith => Some(Ok(Value::Bool(
            s().starts_with(text_arg(args.get(1)).unwrap_or_default()),
        ))),
        Builtin::RegexpReplace => Some(regexp_replace(
            s(),
            text_arg(args.get(1)).unwrap_or_default(),
            text_arg(args.get(2)).unwrap_or_default(),
            text_arg(args.get(3)).unwrap_or_default(),
            int_arg(args.get(4)),
            int_arg(args.get(5)),
        )),
        Builtin::Format => Some(format(args)),
        Builtin::FormatVariadic => Some(match args {
            // A NULL array is no arguments, as PostgreSQL reads it.
            [fmt, Value::Array(array)] => {
                let mut spread = vec![fmt.clone()];
                spread.extend_from_slice(array.elements());
                format(&spread)
            }
            [fmt, ..] => format(std::slice::from_ref(fmt)),
            [] => Ok(Value::Null),
        }),
        Builtin::Ascii => Some(Ok(Value::Int4(
            s().chars()
                .next()
                .map_or(0, |c| i32::try_from(u32::from(c)).unwrap_or(0)),
        ))),
        Builtin::Chr => {
            let n = int_arg(args.first()).unwrap_or(0);
            match (n, u32::try_from(n).ok().and_then(char::from_u32)) {
                (..0, _) => Some(Err(Error::invalid(
                    "22023",
                    "character number must be positive",
                ))),
                (0, _) => Some(Err(Error::invalid("54000", "null character not permitted"))),
                (_, Some(c)) => text(c.to_string()),
                (0xD800..=0xDFFF, None) => Some(Err(Error::invalid(
                    "54000",
                    format!("requested character not valid for encoding: {n}"),
                ))),
                (_, None) => Some(Err(Error::invalid(
                    "54000",
                    format!("requested character too large for encoding: {n}"),
                ))),
            }
        }
        Builtin::OctetLength => Some(Ok(Value::Int4(match args.first() {
            Some(Value::Bytea(b)) => i32::try_from(b.len()).unwrap_or(i32::MAX),
            _ => i32::try_from(s().len()).unwrap_or(i32::MAX),
        }))),
        _ => None,
    }
    .map(|r| {
        r.map_err(|e| {
            if matches!(e, Error::Unsupported(_)) {
                bad_args(b, args)
            } else {
                e
            }
        })
    })
}

fn split_part(s: &str, sep: &str, n: i64) -> Result<Value> {
    if n == 0 {
        return Err(Error::invalid("22023", "field position must not be zero"));
    }
    let parts: Vec<&str> = if sep.is_empty() {
        vec![s]
    } else {
        s.split(sep).collect()
    };
    let len = i64::try_from(parts.len()).unwrap_or(i64::MAX);
    let i = if n > 0 { n - 1 } else { len + n };
    Ok(Value::Text(
        usize::try_from(i)
            .ok()
            .and_then(|i| parts.get(i))
            .map_or(String::new(), |p| (*p).to_string()),
    ))
}

fn pad(s: &str, len: usize, fill: &str, left: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= len {
        return chars[..len].iter().collect();
    }
    let fill: Vec<char> = fill.chars().collect();
    if fill.is_empty() {
        return s.to_string();
    }
    let padding: String = fill.iter().cycle().take(len - chars.len()).collect();
    if left {
        format!("{padding}{s}")
    } else {
        format!("{s}{padding}")
    }
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_alnum = false;
    for c in s.chars() {
        out.push(if prev_alnum {
            super::lower_char(c)
        } else {
            super::upper_char(c)
        });
        prev_alnum = c.is_alphanumeric();
    }
    out
}

/// `regexp_replace(source, pattern, replacement [, flags])`: `g` replaces every match, `i`
/// ignores case; `\1`..`\9` and `\&` in the replacement name groups.
/// `regexp_replace(s, pattern, replacement [, start [, N]] [, flags])`: the `nth` match at or
/// after character `start` (1-based) replaced, or every one for N = 0 or the `g` flag.
fn regexp_replace(
    s: &str,
    pattern: &str,
    replacement: &str,
    flags: &str,
    start: Option<i64>,
    nth: Option<i64>,
) -> Result<Value> {
    let start = start.unwrap_or(1);
    if start < 1 {
        return Err(Error::invalid(
            "22023",
            format!("invalid value for parameter \"start\": {start}"),
        ));
    }
    let nth = nth.unwrap_or(if flags.contains('g') { 0 } else { 1 });
    if nth < 0 {
        return Err(Error::invalid(
            "22023",
            format!("invalid value for parameter \"n\": {nth}"),
        ));
    }
    let nth = if flags.contains('g') { 0 } else { nth };
    let re = super::codec::regex(pattern, flags)?;
    // The replacement's pieces: text, and `\n` (group n) or `\&` (the whole match, group 0).
    enum Piece {
        Text(String),
        Group(usize),
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let literal = |pieces: &mut Vec<Piece>, c: char| match pieces.last_mut() {
        Some(Piece::Text(text)) => text.push(c),
        _ => pieces.push(Piece::Text(c.to_string())),
    };
    let mut chars = replacement.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            literal(&mut pieces, c);
            continue;
        }
        match chars.next() {
            Some(d @ '1'..='9') => pieces.push(Piece::Group(d as usize - '0' as usize)),
            Some('&') => pieces.push(Piece::Group(0)),
            Some(other) => literal(&mut pieces, other),
            None => literal(&mut pieces, '\\'),
        }
    }
    let from = s
        .char_indices()
        .nth(usize::try_from(start - 1).unwrap_or(usize::MAX))
        .map_or(s.len(), |(i, _)| i);
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut at = from;
    let mut k = 0;
    while at <= s.len() {
        let Some(caps) = re.captures_at(s, at)? else {
            break;
        };
        let Some((start, end)) = caps.span(0) else {
            break;
        };
        k += 1;
        // An empty match moves on by one character.
        at = if start == end {
            end + s[end..].chars().next().map_or(1, char::len_utf8)
        } else {
            end
        };
        if nth != 0 && k != nth {
            continue;
        }
        out.push_str(&s[copied..start]);
        for piece in &pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Group(group) => out.push_str(caps.text(s, *group).unwrap_or("")),
            }
        }
        copied = end;
        if nth != 0 {
            break;
        }
    }
    out.push_str(&s[copied..]);
    Ok(Value::Text(out))
}

/// `format(fmt, args...)` with `%s`, `%I`, `%L` and `%%`.
fn format(args: &[Value]) -> Result<Value> {
    let Some(Value::Text(fmt)) = args.first() else {
        return Ok(Value::Null);
    };
    let bad = |m: &str| Error::invalid("22023", m.to_string());
    let mut out = String::new();
    let mut next = 1;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // %[position$][-][width]type; width may be `*` or `*n$` (taken from an argument).
        let position = format_position(&mut chars)?;
        let mut left = false;
        while chars.peek() == Some(&'-') {
            chars.next();
            left = true;
        }
        let mut width: Option<i64> = None;
        if chars.peek() == Some(&'*') {
            chars.next();
            let at = match format_position(&mut chars)? {
                Some(p) => p,
                None => {
                    let p = next;
                    next += 1;
                    p
                }
            };
            let w = args
                .get(at)
                .ok_or_else(|| bad("too few arguments for format()"))?;
            width = match w {
                Value::Null => None,
                v => Some(
                    crate::expr::as_i64(v)
                        .ok_or_else(|| bad("width argument must be an integer"))?,
                ),
            };
        } else {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            if !digits.is_empty() {
                width = Some(digits.parse().map_err(|_| bad("number is out of range"))?);
            }
        }
        let spec = chars
            .next()
            .ok_or_else(|| bad("unterminated format() type specifier"))?;
        if !matches!(spec, 's' | 'I' | 'L') {
            return Err(Error::invalid(
                "22023",
                format!("unrecognized format() type specifier \"{spec}\""),
            ));
        }
        let at = position.unwrap_or(next);
        // The next plain specifier takes the argument after this one, positional or not.
        next = at + 1;
        let arg = args
            .get(at)
            .ok_or_else(|| bad("too few arguments for format()"))?;
        let text = format_one(spec, arg)?;
        if let Some(w) = width {
            let left = left || w < 0;
            let w = usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX);
            let pad = w.saturating_sub(text.chars().count());
            if left {
                out.push_str(&text);
                out.extend(std::iter::repeat_n(' ', pad));
            } else {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&text);
            }
        } else {
            out.push_str(&text);
        }
    }
    Ok(Value::Text(out))
}

/// An explicit argument position `n$` (1-based in the format, an index into `args` here).
fn format_position(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Option<usize>> {
    let mut probe = chars.clone();
    let mut digits = String::new();
    while let Some(d) = probe.peek().filter(|d| d.is_ascii_digit()) {
        digits.push(*d);
        probe.next();
    }
    if digits.is_empty() || probe.peek() != Some(&'$') {
        return Ok(None);
    }
    probe.next();
    *chars = probe;
    match digits.parse::<usize>() {
        Ok(0) => Err(Error::invalid(
            "22023",
            "format specifies argument 0, but arguments are numbered from 1",
        )),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(Error::invalid("22023", "number is out of range")),
    }
}

/// One format() argument as `%s`, `%L` or `%I` prints it.
fn format_one(spec: char, arg: &Value) -> Result<String> {
    let text = to_pg_text(arg);
    Ok(match spec {
        'L' => match text {
            None => "NULL".to_string(),
            Some(t) if t.contains('\\') => {
                format!("E'{}'", t.replace('\\', "\\\\").replace('\'', "''"))
            }
            Some(t) => format!("'{}'", t.replace('\'', "''")),
        },
        'I' => {
            let t = text.ok_or_else(|| {
                Error::invalid(
                    "22004",
                    "null values cannot be formatted as an SQL identifier",
                )
            })?;
            super::codec::quote_ident(&t)
        }
        _ => text.unwrap_or_default(),
    })
}

/// MD5 (RFC 1321) as lower-case hex.
pub(super) fn md5_hex(input: &[u8]) -> String {
    format!("{:x}", md5::compute(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_rfc_1321() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
