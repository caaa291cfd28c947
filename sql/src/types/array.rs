//! The text form of arrays, as PostgreSQL's `array_in` and `array_out` handle it: the literal
//! `{{1,2},{3,4}}` (nested braces give the dimensions; quoting, backslash escapes, unquoted
//! `NULL`), optionally led by explicit bounds `[0:1][1:2]=`; and the output form, which quotes
//! an element when it is empty, is `NULL`, or holds a space, `{`, `}`, `,`, `"` or `\`, and
//! prints the bounds only when some lower bound is not 1.
//!
//! Element values are parsed and printed by the caller (`types::cast`, `types::to_pg_text`);
//! this module only deals with the array syntax around them, and with the errors PostgreSQL
//! gives for it (22P02 for syntax, 2202E for bounds in the wrong order, 54000 beyond six
//! dimensions).

use vdb_engine::value::{Dim, ShapeError, MAX_DIMS};

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

/// PostgreSQL's 54000 for more than six dimensions.
pub fn too_many_dims(n: usize) -> Error {
    Error::invalid(
        "54000",
        format!("number of array dimensions ({n}) exceeds the maximum allowed ({MAX_DIMS})"),
    )
}

/// The error for a shape the engine refuses.
pub fn shape_error(e: ShapeError) -> Error {
    match e {
        ShapeError::TooManyDims(n) => too_many_dims(n),
        ShapeError::UpperTooLarge => Error::invalid("54000", "array upper bound is too large"),
        ShapeError::CountMismatch => Error::invalid(
            "2202E",
            "multidimensional arrays must have array expressions with matching dimensions",
        ),
    }
}

/// A parsed array literal: element texts in row-major order (`None` for NULL) and the shape.
#[derive(Debug, PartialEq)]
pub struct Literal {
    pub elements: Vec<Option<String>>,
    pub dims: Vec<Dim>,
}

/// Parses an array literal: optional `[lo:hi]...=` bounds, then nested braces.
pub fn parse_literal(s: &str) -> Result<Literal> {
    let chars: Vec<char> = s.chars().collect();
    let mut p = Parser {
        s,
        chars,
        pos: 0,
        elements: Vec::new(),
        lens: Vec::new(),
        leaf_depth: None,
    };
    let given = p.bounds()?;
    p.skip_spaces();
    if p.peek() != Some('{') {
        let detail = match given.is_empty() {
            true => "Array value must start with \"{\" or dimension information.",
            false => "Array contents must start with \"{\".",
        };
        return Err(malformed(s, detail));
    }
    p.level(0)?;
    p.skip_spaces();
    if p.peek().is_some() {
        return Err(malformed(s, "Junk after closing right brace."));
    }
    let lens: Vec<usize> = match p.elements.is_empty() {
        true => Vec::new(),
        false => p.lens.iter().map(|l| l.unwrap_or(0)).collect(),
    };
    let dims = match given.is_empty() {
        true => lens.iter().map(|&len| Dim { len, lower: 1 }).collect(),
        false => {
            if given.iter().map(|d| d.len).ne(lens.iter().copied()) {
                return Err(malformed(
                    s,
                    "Specified array dimensions do not match array contents.",
                ));
            }
            given
        }
    };
    Ok(Literal {
        elements: p.elements,
        dims,
    })
}

/// A cursor over a literal's characters that collects elements and checks the nesting.
struct Parser<'a> {
    s: &'a str,
    chars: Vec<char>,
    pos: usize,
    elements: Vec<Option<String>>,
    /// Entries seen at each depth (the same for every sub-array at that depth).
    lens: Vec<Option<usize>>,
    /// The depth elements sit at: every element must sit at the same one.
    leaf_depth: Option<usize>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    fn err(&self, detail: &str) -> Error {
        malformed(self.s, detail)
    }

    /// Reads `[lo:hi]` / `[hi]` items and the `=` after them; none gives an empty list.
    fn bounds(&mut self) -> Result<Vec<Dim>> {
        let mut dims = Vec::new();
        loop {
            self.skip_spaces();
            if self.peek() != Some('[') {
                break;
            }
            self.pos += 1;
            if dims.len() >= MAX_DIMS {
                return Err(too_many_dims(dims.len() + 1));
            }
            let first =
                self.number("\"[\" must introduce explicitly-specified array dimensions.")?;
            let (lower, upper) = match self.peek() {
                Some(':') => {
                    self.pos += 1;
                    (first, self.number("Missing array dimension value.")?)
                }
                _ => (1, first),
            };
            if self.peek() != Some(']') {
                return Err(self.err("Missing \"]\" after array dimensions."));
            }
            self.pos += 1;
            if upper < lower {
                return Err(Error::invalid(
                    "2202E",
                    "upper bound cannot be less than lower bound",
                ));
            }
            let len = usize::try_from(i64::from(upper) - i64::from(lower) + 1).unwrap_or(0);
            dims.push(Dim { len, lower });
        }
        if !dims.is_empty() {
            if self.peek() != Some('=') {
                return Err(self.err("Missing \"=\" after array dimensions."));
            }
            self.pos += 1;
        }
        Ok(dims)
    }

    /// A bound: digits with signs, read as C's `atoi` does (wrapping to an i32).
    fn number(&mut self, detail: &str) -> Result<i32> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+')
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err(detail));
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        Ok(text.parse::<i64>().map_or(0, |n| n as i32))
    }

    /// Reads one `{...}` at `depth` (the opening brace is next).
    fn level(&mut self, depth: usize) -> Result<()> {
        if depth >= MAX_DIMS {
            return Err(too_many_dims(depth + 1));
        }
        self.pos += 1; // '{'
        if self.lens.len() <= depth {
            self.lens.push(None);
        }
        self.skip_spaces();
        if self.peek() == Some('}') {
            if depth > 0 {
                return Err(self.err("Unexpected \"}\" character."));
            }
            self.pos += 1;
            return Ok(());
        }
        let mut count = 0;
        loop {
            self.skip_spaces();
            if self.peek() == Some('{') {
                if self.leaf_depth.is_some_and(|d| d <= depth) {
                    return Err(self.err("Unexpected \"{\" character."));
                }
                self.level(depth + 1)?;
            } else {
                if self.leaf_depth.is_some_and(|d| d != depth) || self.lens.len() > depth + 1 {
                    return Err(self.err("Unexpected array element."));
                }
                self.leaf_depth = Some(depth);
                let element = self.element()?;
                self.elements.push(element);
            }
            count += 1;
            self.skip_spaces();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                Some('{') => return Err(self.err("Unexpected \"{\" character.")),
                None => return Err(self.err("Unexpected end of input.")),
                Some(_) => return Err(self.err("Unexpected array element.")),
            }
        }
        match self.lens[depth] {
            Some(n) if n != count => {
                Err(self
                    .err("Multidimensional arrays must have sub-arrays with matching dimensions."))
            }
            _ => {
                self.lens[depth] = Some(count);
                Ok(())
            }
        }
    }

    /// One element's text, up to (not including) the `,` or `}` after it; `None` for NULL.
    fn element(&mut self) -> Result<Option<String>> {
        let mut text = String::new();
        let mut quoted = false;
        let mut any = false;
        // Length of `text` up to its last quoted or escaped character: trailing spaces after
        // it are trimmed only beyond this point.
        let mut kept = 0;
        loop {
            match self.peek() {
                None => return Err(self.err("Unexpected end of input.")),
                Some(',' | '}') => break,
                Some('{') => return Err(self.err("Unexpected \"{\" character.")),
                Some('"') => {
                    self.pos += 1;
                    quoted = true;
                    any = true;
                    loop {
                        match self.peek() {
                            None => return Err(self.err("Unexpected end of input.")),
                            Some('"') => {
                                self.pos += 1;
                                break;
                            }
                            Some('\\') => {
                                self.pos += 1;
                                let c = self
                                    .peek()
                                    .ok_or_else(|| self.err("Unexpected end of input."))?;
                                text.push(c);
                                self.pos += 1;
                            }
                            Some(c) => {
                                text.push(c);
                                self.pos += 1;
                            }
                        }
                    }
                    kept = text.len();
                }
                Some('\\') => {
                    self.pos += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| self.err("Unexpected end of input."))?;
                    text.push(c);
                    self.pos += 1;
                    any = true;
                    kept = text.len();
                }
                Some(c) => {
                    self.pos += 1;
                    if quoted && is_space(c) && text.len() == kept {
                        // spaces right after a closing quote are dropped
                    } else {
                        text.push(c);
                    }
                    any = true;
                }
            }
        }
        let trimmed = text[kept..].trim_end_matches(is_space).len() + kept;
        text.truncate(trimmed);
        if !any || (!quoted && text.is_empty()) {
            return Err(self.err("Unexpected \",\" character."));
        }
        Ok(match !quoted && text.eq_ignore_ascii_case("null") {
            true => None,
            false => Some(text),
        })
    }
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

/// `{{e1,e2},{e3,e4}}` from element texts (`None` prints `NULL`) and the shape, led by
/// `[lo:hi]...=` when a lower bound is not 1.
pub fn format_array(elements: &[Option<String>], dims: &[Dim]) -> String {
    let mut out = String::new();
    if dims.iter().any(|d| d.lower != 1) {
        for d in dims {
            out.push_str(&format!("[{}:{}]", d.lower, d.upper()));
        }
        out.push('=');
    }
    if dims.is_empty() {
        out.push_str("{}");
        return out;
    }
    let mut items = elements.iter();
    write_level(&mut out, dims, &mut items);
    out
}

/// Writes one brace level of `dims`, taking its elements from `items`.
fn write_level<'a>(
    out: &mut String,
    dims: &[Dim],
    items: &mut impl Iterator<Item = &'a Option<String>>,
) {
    out.push('{');
    for i in 0..dims[0].len {
        if i > 0 {
            out.push(',');
        }
        if dims.len() > 1 {
            write_level(out, &dims[1..], items);
            continue;
        }
        match items.next() {
            Some(Some(t)) => out.push_str(&quote_element(t)),
            _ => out.push_str("NULL"),
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(s: &str) -> Vec<Option<String>> {
        parse_literal(s).unwrap().elements
    }

    #[test]
    fn literals_split_and_quote() {
        let v = flat("{a, \"b c\" ,NULL,\"\\\"\"}");
        assert_eq!(
            v,
            vec![
                Some("a".into()),
                Some("b c".into()),
                None,
                Some("\"".into())
            ]
        );
        let dims = [Dim { len: 4, lower: 1 }];
        assert_eq!(format_array(&v, &dims), "{a,\"b c\",NULL,\"\\\"\"}");
        assert!(parse_literal("{1,,2}").is_err());
        assert!(parse_literal("1,2").is_err());
        assert_eq!(flat("{}"), vec![]);
    }

    #[test]
    fn nested_literals_give_dimensions() {
        let lit = parse_literal("{ {1,2} , {3,4} }").unwrap();
        assert_eq!(lit.dims, vec![Dim { len: 2, lower: 1 }; 2]);
        assert_eq!(format_array(&lit.elements, &lit.dims), "{{1,2},{3,4}}");
        let lit = parse_literal("[0:1][2:2]={{a},{b}}").unwrap();
        assert_eq!(
            format_array(&lit.elements, &lit.dims),
            "[0:1][2:2]={{a},{b}}"
        );
        for bad in [
            "{{1,2},{3}}",
            "{1,{2}}",
            "{{1},2}",
            "{{}}",
            "[1:3]={1,2}",
            "{1}x",
        ] {
            assert!(parse_literal(bad).is_err(), "{bad}");
        }
        let err = parse_literal("{{{{{{{1}}}}}}}").unwrap_err();
        assert_eq!(err.sqlstate(), "54000");
        assert_eq!(parse_literal("[3:1]={}").unwrap_err().sqlstate(), "2202E");
    }
}
