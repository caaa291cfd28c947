//! The SQL/JSON path language (`jsonpath`) as PostgreSQL 15 evaluates it, for
//! `jsonb_path_query` and its kin and the `@?` / `@@` operators.
//!
//! A path is parsed into an [`Expr`] tree and evaluated over the document as a sequence of
//! items. What is here: `lax` (the default) and `strict` modes; `$`, `@`, `$var` (from the
//! functions' `vars` object), `last`; member accessors (`.key`, `."key"`, `.*`, `.**` with
//! optional `{n}` / `{n to m}` levels), array accessors (`[*]`, `[i]`, `[i to j]`, lists,
//! index expressions with `last`); filters `? (...)`; arithmetic `+ - * / %` and unary `+ -`;
//! comparisons `== != <> < <= > >=`, `&&`, `||`, `!`, `exists (...)`, `like_regex ... flag`,
//! `starts with`, `(...) is unknown`; the methods `type()`, `size()`, `double()`, `abs()`,
//! `floor()`, `ceiling()`. Lax mode unwraps arrays where PostgreSQL does and turns structural
//! errors into empty results; strict mode reports them. `datetime()` and `keyvalue()` are
//! refused with 0A000.

use std::cmp::Ordering;

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};
use vdb_engine::value::Numeric;

use crate::error::{Error, Result};
use crate::expr::BinaryOp;
use crate::types::json::Json;

/// A parsed path: its mode and expression.
#[derive(Clone, Debug)]
pub struct Path {
    lax: bool,
    expr: Expr,
}

#[derive(Clone, Debug)]
enum Expr {
    Root,
    Current,
    Last,
    Var(String),
    Literal(Json),
    /// A primary followed by accessors.
    Chain(Box<Expr>, Vec<Accessor>),
    Arith(char, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Plus(Box<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsUnknown(Box<Expr>),
    Exists(Box<Expr>),
    LikeRegex(Box<Expr>, regex::Regex),
    StartsWith(Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug)]
enum Accessor {
    Key(String),
    AnyKey,
    /// `.**`, with the levels it reaches (`None`: no upper bound).
    AnyPath(u32, Option<u32>),
    AnyIndex,
    /// `[a, b to c, ...]`.
    Indexes(Vec<(Expr, Option<Expr>)>),
    Filter(Box<Expr>),
    Method(Method),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    Type,
    Size,
    Double,
    Abs,
    Floor,
    Ceiling,
}

/// A predicate's value: SQL/JSON's three-valued logic.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn of(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

fn syntax(path: &str) -> Error {
    Error::invalid(
        "42601",
        format!("syntax error at or near \"{path}\" of jsonpath input"),
    )
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported(format!("jsonpath {what}"))
}

/// Parses `text` as a jsonpath.
pub fn parse(text: &str) -> Result<Path> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
        text,
        depth: 0,
    };
    let lax = if p.word("strict") {
        false
    } else {
        p.word("lax");
        true
    };
    let expr = p.expr()?;
    p.ws();
    if p.at != p.s.len() {
        return Err(syntax(text));
    }
    Ok(Path { lax, expr })
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    text: &'a str,
    /// How deeply the expression being parsed nests, bounded so that no path exhausts the
    /// stack.
    depth: usize,
}

/// The deepest nesting of parentheses, `!` and unary signs a path may have.
const MAX_DEPTH: usize = 256;

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, token: &str) -> bool {
        self.ws();
        if self.s[self.at..].starts_with(token.as_bytes()) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn word(&mut self, w: &str) -> bool {
        self.ws();
        let rest = &self.s[self.at..];
        let boundary = !rest
            .get(w.len())
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if rest.starts_with(w.as_bytes()) && boundary {
            self.at += w.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<()> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(syntax(self.text))
        }
    }

    fn expr(&mut self) -> Result<Expr> {
        self.nest(|p| {
            let mut left = p.and()?;
            while p.eat("||") {
                left = Expr::Or(Box::new(left), Box::new(p.and()?));
            }
            Ok(left)
        })
    }

    /// Runs `parse` one level deeper, refusing paths nested past [`MAX_DEPTH`] (54001).
    fn nest<T>(&mut self, parse: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::invalid(
                "54001",
                "jsonpath expression is nested too deeply",
            ));
        }
        self.depth += 1;
        let parsed = parse(self);
        self.depth -= 1;
        parsed
    }

    fn and(&mut self) -> Result<Expr> {
        let mut left = self.not()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr> {
        if self.peek() == Some(b'!') && self.s.get(self.at + 1) != Some(&b'=') {
            self.at += 1;
            return self.nest(|p| Ok(Expr::Not(Box::new(p.not()?))));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr> {
        if self.word("exists") {
            self.expect("(")?;
            let inner = self.expr()?;
            self.expect(")")?;
            return Ok(Expr::Exists(Box::new(inner)));
        }
        let left = self.additive()?;
        for (token, cmp) in [
            ("==", Cmp::Eq),
            ("!=", Cmp::Ne),
            ("<>", Cmp::Ne),
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ] {
            if self.eat(token) {
                let right = self.additive()?;
                return Ok(Expr::Cmp(cmp, Box::new(left), Box::new(right)));
            }
        }
        if self.word("like_regex") {
            let pattern = self.string()?;
            let flags = if self.word("flag") {
                self.string()?
            } else {
                String::new()
            };
            return Ok(Expr::LikeRegex(Box::new(left), regex(&pattern, &flags)?));
        }
        if self.word("starts") {
            if !self.word("with") {
                return Err(syntax(self.text));
            }
            let prefix = self.additive()?;
            return Ok(Expr::StartsWith(Box::new(left), Box::new(prefix)));
        }
        if self.word("is") {
            if !self.word("unknown") {
                return Err(syntax(self.text));
            }
            return Ok(Expr::IsUnknown(Box::new(left)));
        }
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(b'+') => '+',
                Some(b'-') => '-',
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.multiplicative()?;
            left = Expr::Arith(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(b'*') => '*',
                Some(b'/') => '/',
                Some(b'%') => '%',
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            left = Expr::Arith(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        match self.peek() {
            Some(b'-') => {
                self.at += 1;
                self.nest(|p| Ok(Expr::Neg(Box::new(p.unary()?))))
            }
            Some(b'+') => {
                self.at += 1;
                self.nest(|p| Ok(Expr::Plus(Box::new(p.unary()?))))
            }
            _ => self.chain(),
        }
    }

    fn chain(&mut self) -> Result<Expr> {
        let primary = self.primary()?;
        let mut accessors = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.at += 1;
                    accessors.push(self.dot()?);
                }
                Some(b'[') => {
                    self.at += 1;
                    accessors.push(self.subscripts()?);
                }
                Some(b'?') => {
                    self.at += 1;
                    self.expect("(")?;
                    let filter = self.expr()?;
                    self.expect(")")?;
                    accessors.push(Accessor::Filter(Box::new(filter)));
                }
                _ => break,
            }
        }
        Ok(if accessors.is_empty() {
            primary
        } else {
            Expr::Chain(Box::new(primary), accessors)
        })
    }

    fn dot(&mut self) -> Result<Accessor> {
        if self.eat("**") {
            let (from, to) = if self.eat("{") {
                let from = self.level()?;
                let to = if self.word("to") { self.level()? } else { from };
                self.expect("}")?;
                (from.unwrap_or(u32::MAX), to)
            } else {
                (0, None)
            };
            return Ok(Accessor::AnyPath(from, to));
        }
        if self.eat("*") {
            return Ok(Accessor::AnyKey);
        }
        let key = if self.peek() == Some(b'"') {
            self.string()?
        } else {
            let key = self.ident();
            if key.is_empty() {
                return Err(syntax(self.text));
            }
            key
        };
        if self.eat("(") {
            self.expect(")")?;
            let method = match key.as_str() {
                "type" => Method::Type,
                "size" => Method::Size,
                "double" => Method::Double,
                "abs" => Method::Abs,
                "floor" => Method::Floor,
                "ceiling" => Method::Ceiling,
                "datetime" | "keyvalue" => return Err(unsupported(&format!("method .{key}()"))),
                _ => return Err(syntax(self.text)),
            };
            return Ok(Accessor::Method(method));
        }
        Ok(Accessor::Key(key))
    }

    /// A level of `.**{...}`: a number, or `last` (`None`).
    fn level(&mut self) -> Result<Option<u32>> {
        if self.word("last") {
            return Ok(None);
        }
        let digits = self.digits();
        digits.parse().map(Some).map_err(|_| syntax(self.text))
    }

    fn subscripts(&mut self) -> Result<Accessor> {
        if self.eat("*") {
            self.expect("]")?;
            return Ok(Accessor::AnyIndex);
        }
        let mut list = Vec::new();
        loop {
            let from = self.expr()?;
            let to = if self.word("to") {
                Some(self.expr()?)
            } else {
                None
            };
            list.push((from, to));
            if self.eat("]") {
                return Ok(Accessor::Indexes(list));
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        match self.peek() {
            Some(b'$') => {
                self.at += 1;
                let name = if self.s.get(self.at) == Some(&b'"') {
                    self.string()?
                } else {
                    self.ident()
                };
                Ok(if name.is_empty() {
                    Expr::Root
                } else {
                    Expr::Var(name)
                })
            }
            Some(b'@') => {
                self.at += 1;
                Ok(Expr::Current)
            }
            Some(b'(') => {
                self.at += 1;
                let inner = self.expr()?;
                self.expect(")")?;
                Ok(inner)
            }
            Some(b'"') => Ok(Expr::Literal(Json::String(self.string()?))),
            Some(b) if b.is_ascii_digit() || b == b'.' => self.number(),
            _ => {
                for (w, value) in [
                    ("true", Some(Json::Bool(true))),
                    ("false", Some(Json::Bool(false))),
                    ("null", Some(Json::Null)),
                    ("last", None),
                ] {
                    if self.word(w) {
                        return Ok(value.map_or(Expr::Last, Expr::Literal));
                    }
                }
                Err(syntax(self.text))
            }
        }
    }

    fn digits(&mut self) -> String {
        self.ws();
        let start = self.at;
        while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.at]).into_owned()
    }

    fn number(&mut self) -> Result<Expr> {
        self.ws();
        let start = self.at;
        let digit = |p: &Self, at: usize| p.s.get(at).is_some_and(u8::is_ascii_digit);
        while digit(self, self.at) {
            self.at += 1;
        }
        // A fraction needs a digit after the point (`$.a[1.5]`), so `1.type()` stays a method.
        if self.s.get(self.at) == Some(&b'.') && digit(self, self.at + 1) {
            self.at += 1;
            while digit(self, self.at) {
                self.at += 1;
            }
        }
        if matches!(self.s.get(self.at), Some(b'e' | b'E')) {
            let mut end = self.at + 1;
            if matches!(self.s.get(end), Some(b'+' | b'-')) {
                end += 1;
            }
            if digit(self, end) {
                self.at = end;
                while digit(self, self.at) {
                    self.at += 1;
                }
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
        match text.parse::<Numeric>() {
            Ok(n @ Numeric::Finite(_)) => Ok(Expr::Literal(Json::Number(n))),
            _ => Err(syntax(self.text)),
        }
    }

    fn ident(&mut self) -> String {
        self.ws();
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80)
        {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.at]).into_owned()
    }

    /// A double-quoted string with JSON's escapes.
    fn string(&mut self) -> Result<String> {
        self.ws();
        if self.s.get(self.at) != Some(&b'"') {
            return Err(syntax(self.text));
        }
        let start = self.at;
        self.at += 1;
        loop {
            match self.s.get(self.at) {
                None => return Err(syntax(self.text)),
                Some(b'\\') => self.at += 2,
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(_) => self.at += 1,
            }
        }
        let literal = std::str::from_utf8(&self.s[start..self.at.min(self.s.len())])
            .map_err(|_| syntax(self.text))?;
        match crate::types::json::parse(literal, "jsonpath") {
            Ok(Json::String(s)) => Ok(s),
            _ => Err(syntax(self.text)),
        }
    }
}

/// `like_regex`'s pattern with its flags (`i`, `s`, `m`, `x`, `q`), as POSIX-like as the regex
/// crate allows.
fn regex(pattern: &str, flags: &str) -> Result<regex::Regex> {
    let mut quoted = false;
    let mut builder_flags = (false, false, false, false);
    for f in flags.chars() {
        match f {
            'i' => builder_flags.0 = true,
            's' => builder_flags.1 = true,
            'm' => builder_flags.2 = true,
            'x' => builder_flags.3 = true,
            'q' => quoted = true,
            other => {
                return Err(Error::invalid(
                    "42601",
                    format!("invalid input syntax for type jsonpath: unrecognized flag character \"{other}\" in LIKE_REGEX predicate"),
                ))
            }
        }
    }
    let pattern = if quoted {
        regex::escape(pattern)
    } else {
        pattern.to_string()
    };
    regex::RegexBuilder::new(&pattern)
        .case_insensitive(builder_flags.0)
        .dot_matches_new_line(builder_flags.1)
        .multi_line(builder_flags.2)
        .ignore_whitespace(builder_flags.3)
        .build()
        .map_err(|e| Error::invalid("2201B", format!("invalid regular expression: {e}")))
}

/// What an evaluation sees: the document, the current item (`@`), the variables, the mode,
/// and the last index of the array being subscripted.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    root: &'a Json,
    current: &'a Json,
    vars: Option<&'a Json>,
    lax: bool,
    last: Option<i64>,
}

fn structural(code: &'static str, message: &str) -> Error {
    Error::invalid(code, message.to_string())
}

/// The items `path` selects from `doc` (a predicate path gives one boolean, or null for
/// unknown).
pub fn query(path: &Path, doc: &Json, vars: Option<&Json>) -> Result<Vec<Json>> {
    if let Some(vars) = vars {
        if !matches!(vars, Json::Object(_)) {
            return Err(Error::invalid(
                "22023",
                "\"vars\" argument is not an object",
            ));
        }
    }
    let ctx = Ctx {
        root: doc,
        current: doc,
        vars,
        lax: path.lax,
        last: None,
    };
    if is_predicate(&path.expr) {
        return Ok(vec![match predicate(&path.expr, ctx)? {
            Tri::True => Json::Bool(true),
            Tri::False => Json::Bool(false),
            Tri::Unknown => Json::Null,
        }]);
    }
    items(&path.expr, ctx)
}

fn is_predicate(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Cmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Not(_)
            | Expr::IsUnknown(_)
            | Expr::Exists(_)
            | Expr::LikeRegex(..)
            | Expr::StartsWith(..)
    )
}

fn items(e: &Expr, ctx: Ctx<'_>) -> Result<Vec<Json>> {
    match e {
        Expr::Root => Ok(vec![ctx.root.clone()]),
        Expr::Current => Ok(vec![ctx.current.clone()]),
        Expr::Last => match ctx.last {
            Some(last) => Ok(vec![Json::Number(Numeric::Finite(BigDecimal::from(last)))]),
            None => Err(structural(
                "42601",
                "LAST is allowed only in array subscripts",
            )),
        },
        Expr::Var(name) => {
            let found = match ctx.vars {
                Some(Json::Object(fields)) => fields.iter().find(|(k, _)| k == name),
                _ => None,
            };
            match found {
                Some((_, v)) => Ok(vec![v.clone()]),
                None => Err(Error::invalid(
                    "42704",
                    format!("could not find jsonpath variable \"{name}\""),
                )),
            }
        }
        Expr::Literal(j) => Ok(vec![j.clone()]),
        Expr::Chain(primary, accessors) => {
            let mut cur = items(primary, ctx)?;
            for accessor in accessors {
                let mut next = Vec::new();
                for item in &cur {
                    access(item, accessor, ctx, &mut next)?;
                }
                cur = next;
            }
            Ok(cur)
        }
        Expr::Arith(op, l, r) => {
            let name = op.to_string();
            let a = single_number(&items(l, ctx)?, ctx.lax, "left", &name)?;
            let b = single_number(&items(r, ctx)?, ctx.lax, "right", &name)?;
            let op = match op {
                '+' => BinaryOp::Add,
                '-' => BinaryOp::Sub,
                '*' => BinaryOp::Mul,
                '/' => BinaryOp::Div,
                _ => BinaryOp::Mod,
            };
            Ok(vec![Json::Number(crate::expr::numeric_binary(op, a, b)?)])
        }
        Expr::Neg(inner) | Expr::Plus(inner) => {
            let negate = matches!(e, Expr::Neg(_));
            let mut out = Vec::new();
            for item in unwrapped(items(inner, ctx)?, ctx.lax) {
                match item {
                    Json::Number(Numeric::Finite(d)) if negate => {
                        out.push(Json::Number(Numeric::Finite(-d)));
                    }
                    n @ Json::Number(_) => out.push(n),
                    _ => {
                        return Err(structural(
                            "22036",
                            &format!(
                                "operand of unary jsonpath operator {} is not a numeric value",
                                if negate { '-' } else { '+' }
                            ),
                        ))
                    }
                }
            }
            Ok(out)
        }
        _ => Ok(vec![match predicate(e, ctx)? {
            Tri::True => Json::Bool(true),
            Tri::False => Json::Bool(false),
            Tri::Unknown => Json::Null,
        }]),
    }
}

/// In lax mode, arrays in a sequence stand for their elements.
fn unwrapped(items: Vec<Json>, lax: bool) -> Vec<Json> {
    if !lax {
        return items;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Json::Array(elements) => out.extend(elements),
            other => out.push(other),
        }
    }
    out
}

fn single_number(items: &[Json], lax: bool, side: &str, op: &str) -> Result<Numeric> {
    let items = unwrapped(items.to_vec(), lax);
    match items.as_slice() {
        [Json::Number(n)] => Ok(n.clone()),
        _ => Err(structural(
            "22038",
            &format!("{side} operand of jsonpath operator {op} is not a single numeric value"),
        )),
    }
}

fn access(item: &Json, accessor: &Accessor, ctx: Ctx<'_>, out: &mut Vec<Json>) -> Result<()> {
    match (accessor, item) {
        (Accessor::Key(_) | Accessor::AnyKey, Json::Array(elements)) if ctx.lax => {
            for element in elements {
                access(element, accessor, ctx, out)?;
            }
        }
        (Accessor::Key(k), Json::Object(fields)) => match fields.iter().find(|(f, _)| f == k) {
            Some((_, v)) => out.push(v.clone()),
            None if ctx.lax => {}
            None => {
                return Err(structural(
                    "2203A",
                    &format!("JSON object does not contain key \"{k}\""),
                ))
            }
        },
        (Accessor::Key(_), _) if ctx.lax => {}
        (Accessor::Key(_), _) => {
            return Err(structural(
                "2203C",
                "jsonpath member accessor can only be applied to an object",
            ))
        }
        (Accessor::AnyKey, Json::Object(fields)) => {
            out.extend(fields.iter().map(|(_, v)| v.clone()));
        }
        (Accessor::AnyKey, _) if ctx.lax => {}
        (Accessor::AnyKey, _) => {
            return Err(structural(
                "2203C",
                "jsonpath wildcard member accessor can only be applied to an object",
            ))
        }
        (Accessor::AnyPath(from, to), _) => descend(item, 0, *from, *to, out),
        (Accessor::AnyIndex, Json::Array(elements)) => out.extend(elements.iter().cloned()),
        (Accessor::AnyIndex, other) if ctx.lax => out.push(other.clone()),
        (Accessor::AnyIndex, _) => {
            return Err(structural(
                "22039",
                "jsonpath wildcard array accessor can only be applied to an array",
            ))
        }
        (Accessor::Indexes(list), _) => {
            let elements: Vec<Json> = match item {
                Json::Array(elements) => elements.clone(),
                other if ctx.lax => vec![other.clone()],
                _ => {
                    return Err(structural(
                        "22039",
                        "jsonpath array accessor can only be applied to an array",
                    ))
                }
            };
            let inner = Ctx {
                last: Some(elements.len() as i64 - 1),
                ..ctx
            };
            for (from, to) in list {
                let from = index(from, inner)?;
                let to = match to {
                    Some(to) => index(to, inner)?,
                    None => from,
                };
                let len = elements.len() as i64;
                let out_of_bounds = from < 0 || from > to || to >= len;
                if out_of_bounds && !ctx.lax {
                    return Err(structural(
                        "22033",
                        "jsonpath array subscript is out of bounds",
                    ));
                }
                for i in from.max(0)..=to.min(len - 1) {
                    if let Some(v) = usize::try_from(i).ok().and_then(|i| elements.get(i)) {
                        out.push(v.clone());
                    }
                }
            }
        }
        (Accessor::Filter(pred), Json::Array(elements)) if ctx.lax => {
            for element in elements {
                let inner = Ctx {
                    current: element,
                    ..ctx
                };
                if predicate(pred, inner)? == Tri::True {
                    out.push(element.clone());
                }
            }
        }
        (Accessor::Filter(pred), _) => {
            let inner = Ctx {
                current: item,
                ..ctx
            };
            if predicate(pred, inner)? == Tri::True {
                out.push(item.clone());
            }
        }
        (Accessor::Method(method), _) => apply_method(*method, item, ctx, out)?,
    }
    Ok(())
}

/// `.**`: the item and everything under it, at levels `from..=to`.
fn descend(item: &Json, level: u32, from: u32, to: Option<u32>, out: &mut Vec<Json>) {
    if to.is_some_and(|t| level > t) {
        return;
    }
    if level >= from {
        out.push(item.clone());
    }
    let children: Box<dyn Iterator<Item = &Json>> = match item {
        Json::Array(elements) => Box::new(elements.iter()),
        Json::Object(fields) => Box::new(fields.iter().map(|(_, v)| v)),
        _ => return,
    };
    for child in children {
        descend(child, level + 1, from, to, out);
    }
}

fn index(e: &Expr, ctx: Ctx<'_>) -> Result<i64> {
    match items(e, ctx)?.as_slice() {
        [Json::Number(Numeric::Finite(d))] => d
            .with_scale_round(0, RoundingMode::Down)
            .to_i64()
            .ok_or_else(|| structural("22033", "jsonpath array subscript is out of integer range")),
        _ => Err(structural(
            "22033",
            "jsonpath array subscript is not a single numeric value",
        )),
    }
}

fn apply_method(method: Method, item: &Json, ctx: Ctx<'_>, out: &mut Vec<Json>) -> Result<()> {
    let numeric_method = matches!(
        method,
        Method::Double | Method::Abs | Method::Floor | Method::Ceiling
    );
    if let (true, true, Json::Array(elements)) = (numeric_method, ctx.lax, item) {
        for element in elements {
            apply_method(method, element, ctx, out)?;
        }
        return Ok(());
    }
    let name = match method {
        Method::Type => "type",
        Method::Size => "size",
        Method::Double => "double",
        Method::Abs => "abs",
        Method::Floor => "floor",
        Method::Ceiling => "ceiling",
    };
    match method {
        Method::Type => out.push(Json::String(item.type_name().to_string())),
        Method::Size => match item {
            Json::Array(elements) => out.push(number(elements.len() as i64)),
            _ if ctx.lax => out.push(number(1)),
            _ => {
                return Err(structural(
                    "22039",
                    "jsonpath item method .size() can only be applied to an array",
                ))
            }
        },
        Method::Double => {
            let value = match item {
                Json::Number(n) => n.to_string().parse::<f64>().ok(),
                Json::String(s) => s.trim().parse::<f64>().ok(),
                _ => {
                    return Err(structural(
                        "22036",
                        "jsonpath item method .double() can only be applied to a string or numeric value",
                    ))
                }
            };
            match value.filter(|v| v.is_finite()) {
                Some(v) => out.push(Json::Number(
                    crate::types::to_pg_text(&vdb_engine::value::Value::Float8(v))
                        .unwrap_or_default()
                        .parse::<Numeric>()
                        .map_err(|_| structural("22036", "numeric argument of jsonpath item method .double() is out of range for type double precision"))?,
                )),
                None => {
                    return Err(structural(
                        "22P02",
                        &format!("argument of jsonpath item method .{name}() is invalid for type double precision"),
                    ))
                }
            }
        }
        Method::Abs | Method::Floor | Method::Ceiling => {
            let Json::Number(Numeric::Finite(d)) = item else {
                return Err(structural(
                    "22036",
                    &format!(
                        "jsonpath item method .{name}() can only be applied to a numeric value"
                    ),
                ));
            };
            let result = match method {
                Method::Abs => d.abs(),
                Method::Floor => d.with_scale_round(0, RoundingMode::Floor),
                _ => d.with_scale_round(0, RoundingMode::Ceiling),
            };
            out.push(Json::Number(Numeric::Finite(result)));
        }
    }
    Ok(())
}

fn number(n: i64) -> Json {
    Json::Number(Numeric::Finite(BigDecimal::from(n)))
}

/// A predicate's operand: its items, or `None` when evaluating it failed, which makes the
/// predicate unknown. An unknown variable is an error even here, as in PostgreSQL.
fn operand(e: &Expr, ctx: Ctx<'_>) -> Result<Option<Vec<Json>>> {
    match items(e, ctx) {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.sqlstate() == "42704" => Err(e),
        Err(_) => Ok(None),
    }
}

fn predicate(e: &Expr, ctx: Ctx<'_>) -> Result<Tri> {
    Ok(match e {
        Expr::And(a, b) => match predicate(a, ctx)? {
            Tri::False => Tri::False,
            left => match (left, predicate(b, ctx)?) {
                (_, Tri::False) => Tri::False,
                (Tri::True, Tri::True) => Tri::True,
                _ => Tri::Unknown,
            },
        },
        Expr::Or(a, b) => match predicate(a, ctx)? {
            Tri::True => Tri::True,
            left => match (left, predicate(b, ctx)?) {
                (_, Tri::True) => Tri::True,
                (Tri::False, Tri::False) => Tri::False,
                _ => Tri::Unknown,
            },
        },
        Expr::Not(inner) => match predicate(inner, ctx)? {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Expr::IsUnknown(inner) => Tri::of(predicate(inner, ctx)? == Tri::Unknown),
        Expr::Exists(inner) => match operand(inner, ctx)? {
            Some(found) => Tri::of(!found.is_empty()),
            None => Tri::Unknown,
        },
        Expr::Cmp(op, l, r) => {
            let (Some(ls), Some(rs)) = (operand(l, ctx)?, operand(r, ctx)?) else {
                return Ok(Tri::Unknown);
            };
            let (ls, rs) = (unwrapped(ls, ctx.lax), unwrapped(rs, ctx.lax));
            any_pair(&ls, &rs, ctx.lax, |x, y| compare(*op, x, y))
        }
        Expr::LikeRegex(inner, re) => {
            let Some(found) = operand(inner, ctx)? else {
                return Ok(Tri::Unknown);
            };
            any_pair(
                &unwrapped(found, ctx.lax),
                &[Json::Null],
                ctx.lax,
                |x, _| match x {
                    Json::String(s) => Tri::of(re.is_match(s)),
                    _ => Tri::Unknown,
                },
            )
        }
        Expr::StartsWith(inner, prefix) => {
            let (Some(found), Some(prefixes)) = (operand(inner, ctx)?, operand(prefix, ctx)?)
            else {
                return Ok(Tri::Unknown);
            };
            let prefix = match prefixes.as_slice() {
                [Json::String(p)] => p.clone(),
                _ => return Ok(Tri::Unknown),
            };
            any_pair(
                &unwrapped(found, ctx.lax),
                &[Json::Null],
                ctx.lax,
                |x, _| match x {
                    Json::String(s) => Tri::of(s.starts_with(&prefix)),
                    _ => Tri::Unknown,
                },
            )
        }
        // A value where a predicate belongs: a boolean reads as itself.
        other => match operand(other, ctx)?.as_deref() {
            Some([Json::Bool(b)]) => Tri::of(*b),
            _ => Tri::Unknown,
        },
    })
}

/// A predicate over every pair (SQL/JSON's rule): lax mode is true at the first true pair,
/// else unknown if any pair was unknown; strict mode is unknown at the first unknown pair,
/// else true if any pair was true.
fn any_pair(ls: &[Json], rs: &[Json], lax: bool, f: impl Fn(&Json, &Json) -> Tri) -> Tri {
    let (mut found, mut unknown) = (false, false);
    for x in ls {
        for y in rs {
            match f(x, y) {
                Tri::True if lax => return Tri::True,
                Tri::True => found = true,
                Tri::Unknown if !lax => return Tri::Unknown,
                Tri::Unknown => unknown = true,
                Tri::False => {}
            }
        }
    }
    if found {
        Tri::True
    } else if unknown {
        Tri::Unknown
    } else {
        Tri::False
    }
}

/// Two scalars under `op`: like kinds compare; null against a non-null is unequal; other
/// pairs (and arrays or objects) are unknown.
fn compare(op: Cmp, x: &Json, y: &Json) -> Tri {
    let ord = match (x, y) {
        (Json::Number(a), Json::Number(b)) => a.cmp(b),
        (Json::String(a), Json::String(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Json::Bool(a), Json::Bool(b)) => a.cmp(b),
        (Json::Null, Json::Null) => Ordering::Equal,
        (Json::Null, _) | (_, Json::Null) => {
            let scalar = |j: &Json| !matches!(j, Json::Array(_) | Json::Object(_));
            return if scalar(x) && scalar(y) {
                Tri::of(op == Cmp::Ne)
            } else {
                Tri::Unknown
            };
        }
        _ => return Tri::Unknown,
    };
    Tri::of(match op {
        Cmp::Eq => ord.is_eq(),
        Cmp::Ne => ord.is_ne(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Le => ord.is_le(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Ge => ord.is_ge(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(doc: &str, path: &str) -> Result<Vec<String>> {
        let doc = crate::types::json::parse(doc, "jsonb")?.normalize();
        Ok(query(&parse(path)?, &doc, None)?
            .iter()
            .map(Json::to_jsonb_text)
            .collect())
    }

    #[test]
    fn accessors_filters_and_arithmetic() {
        let doc = r#"{"a": [1, 2, 3, 4], "b": {"c": "xyz"}}"#;
        assert_eq!(run(doc, "$.a[*] ? (@ % 2 == 0)").unwrap(), ["2", "4"]);
        assert_eq!(run(doc, "$.a[last]").unwrap(), ["4"]);
        assert_eq!(run(doc, "$.a[1 to last - 1]").unwrap(), ["2", "3"]);
        assert_eq!(run(doc, "$.a.size() + 1").unwrap(), ["5"]);
        assert_eq!(run(doc, "$.b.c starts with \"xy\"").unwrap(), ["true"]);
        assert_eq!(
            run(doc, "$.b.c like_regex \"^X\" flag \"i\"").unwrap(),
            ["true"]
        );
        assert_eq!(run(doc, "$.** ? (@ == \"xyz\")").unwrap(), ["\"xyz\""]);
        assert_eq!(run(doc, "$.a.type()").unwrap(), ["\"array\""]);
        assert_eq!(run(doc, "-$.a[0]").unwrap(), ["-1"]);
    }

    proptest::proptest! {
        /// Any string of path tokens parses or fails cleanly, and evaluates or fails cleanly:
        /// no panic, whatever the nesting or order.
        #[test]
        fn arbitrary_paths_never_panic(tokens in proptest::collection::vec(
            proptest::sample::select(vec![
                "$", "@", ".", "a", "*", "**", "[", "]", "(", ")", "?", "1", "-2.5", "last",
                " to ", ",", "==", "<", "&&", "||", "!", "+", "/", "%", "\"x\"", "$v",
                " like_regex ", " starts with ", " is unknown", "exists", ".size()", ".type()",
                ".double()", "{", "}", "strict ", "lax ", "\\", "\"",
            ]),
            0..24,
        )) {
            let text: String = tokens.concat();
            let doc = crate::types::json::parse(r#"{"a": [1, {"a": "x"}, [2.5]], "x": 1}"#, "jsonb")
                .unwrap();
            let vars = crate::types::json::parse(r#"{"v": 2}"#, "jsonb").unwrap();
            if let Ok(path) = parse(&text) {
                let _ = query(&path, &doc, Some(&vars));
            }
        }
    }

    #[test]
    fn lax_forgives_what_strict_reports() {
        assert_eq!(run(r#"{"a": 1}"#, "$.b").unwrap(), Vec::<String>::new());
        assert_eq!(
            run(r#"{"a": 1}"#, "strict $.b").unwrap_err().sqlstate(),
            "2203A"
        );
        assert_eq!(run("[1]", "strict $[5]").unwrap_err().sqlstate(), "22033");
        // Incomparable kinds are unknown, shown as null at the top.
        assert_eq!(run(r#"{"a": 1}"#, "$.a == \"1\"").unwrap(), ["null"]);
        assert_eq!(run("1", "$ / 0").unwrap_err().sqlstate(), "22012");
        assert_eq!(parse("$.a ? (").unwrap_err().sqlstate(), "42601");
        // Nesting is bounded, not a stack overflow.
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse(&deep).unwrap_err().sqlstate(), "54001");
        assert_eq!(parse(&"-".repeat(100_000)).unwrap_err().sqlstate(), "54001");
    }
}
