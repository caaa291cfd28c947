//! One-dimensional arrays: PostgreSQL's array literal `{1,2,"a b",NULL}` (quoting, backslash
//! escapes, unquoted `NULL`) split into element texts, and the output form that quotes an
//! element when it is empty, is `NULL`, or holds a space, `{`, `}`, `,`, `"` or `\`.
//!
//! Element values are parsed and printed by the caller (`types::cast`, `types::to_pg_text`);
//! this module only deals with the array syntax around them.

use crate::error::{Error, Result};

/// Whitespace as PostgreSQL's `array_isspace` counts it (ASCII only, with vertical tab).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C')
}

/// PostgreSQL's 22P02 for a bad array literal; `_detail` is the DETAIL line it adds.
fn malformed(s: &str, _detail: &str) -> Error {
    Error::InvalidText {
        message: format!("malformed array literal: \"{s}\""),
        datetime: false,
    }
}

/// Splits `{a,"b c",NULL}` into element texts (`None` for NULL). An optional dimension
/// decoration `[1:3]=` is accepted for one dimension.
pub fn split_literal(s: &str) -> Result<Vec<Option<String>>> {
    let mut t = s.trim_matches(is_space);
    if t.starts_with('[') {
        let eq = t.find('=').ok_or_else(|| {
            malformed(
                s,
                "\"[\" must introduce explicitly-specified array dimensions.",
            )
        })?;
        t = t[eq + 1..].trim_matches(is_space);
    }
    let inner = t.strip_prefix('{').ok_or_else(|| {
        malformed(
            s,
            "Array value must start with \"{\" or dimension information.",
        )
    })?;
    let inner = inner
        .strip_suffix('}')
        .ok_or_else(|| malformed(s, "Unexpected end of input."))?;
    let mut out = Vec::new();
    if inner.trim_matches(is_space).is_empty() {
        return Ok(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| is_space(*c)) {
            chars.next();
        }
        let mut text = String::new();
        let mut quoted = false;
        let mut any = false;
        loop {
            match chars.peek().copied() {
                None | Some(',') => break,
                Some('"') => {
                    chars.next();
                    quoted = true;
                    any = true;
                    loop {
                        match chars.next() {
                            None => return Err(malformed(s, "Unexpected end of input.")),
                            Some('"') => break,
                            Some('\\') => match chars.next() {
                                Some(c) => text.push(c),
                                None => return Err(malformed(s, "Unexpected end of input.")),
                            },
                            Some(c) => text.push(c),
                        }
                    }
                }
                Some('\\') => {
                    chars.next();
                    match chars.next() {
                        Some(c) => text.push(c),
                        None => return Err(malformed(s, "Unexpected end of input.")),
                    }
                    any = true;
                }
                Some('{' | '}') => {
                    return Err(malformed(
                        s,
                        "Multidimensional arrays are not supported here.",
                    ))
                }
                Some(c) => {
                    chars.next();
                    if !(quoted && is_space(c)) {
                        text.push(c);
                    }
                    any = true;
                }
            }
        }
        if !quoted {
            let trimmed = text.trim_end_matches(is_space).to_string();
            text = trimmed;
        }
        if !any || (!quoted && text.is_empty()) {
            return Err(malformed(s, "Unexpected \",\" character."));
        }
        out.push(if !quoted && text.eq_ignore_ascii_case("null") {
            None
        } else {
            Some(text)
        });
        match chars.next() {
            None => break,
            Some(',') => continue,
            Some(_) => return Err(malformed(s, "Unexpected array element.")),
        }
    }
    Ok(out)
}

/// Quotes one element's text as array output does.
pub fn quote_element(text: &str) -> String {
    let needs = text.is_empty()
        || text.eq_ignore_ascii_case("null")
        || text
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || is_space(c));
    if !needs {
        return text.to_string();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `{e1,e2,...}` from element texts (`None` prints `NULL`).
pub fn format_array(elements: &[Option<String>]) -> String {
    let parts: Vec<String> = elements
        .iter()
        .map(|e| match e {
            None => "NULL".to_string(),
            Some(t) => quote_element(t),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_split_and_quote() {
        let v = split_literal("{a, \"b c\" ,NULL,\"\\\"\"}").unwrap();
        assert_eq!(
            v,
            vec![
                Some("a".into()),
                Some("b c".into()),
                None,
                Some("\"".into())
            ]
        );
        let texts: Vec<Option<String>> = v;
        assert_eq!(format_array(&texts), "{a,\"b c\",NULL,\"\\\"\"}");
        assert!(split_literal("{1,,2}").is_err());
        assert!(split_literal("1,2").is_err());
        assert!(split_literal("{{1},{2}}").is_err());
        assert_eq!(split_literal("{}").unwrap(), vec![]);
    }
}
