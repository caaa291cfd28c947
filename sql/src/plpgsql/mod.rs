//! PL/pgSQL: `DO` blocks, and the code of functions and triggers ([`function`]). A block is
//! parsed into statements here and interpreted, each SQL statement and expression going
//! through the ordinary SQL path with the variables put in as typed literals, run by a
//! [`Runner`]: a DO block's by the session, in one transaction (the open one, or an implicit
//! one that commits when it ends), as PostgreSQL runs it; a function's against its copy of the
//! database. A block with an EXCEPTION clause runs its body under a savepoint, rolled back when
//! a handler catches.
//!
//! What is read: DECLARE (`name [CONSTANT] type [NOT NULL] [:= | = | DEFAULT expr]`), nested
//! BEGIN ... [EXCEPTION WHEN cond [OR cond] THEN ...] END, `:=` / `=` assignment, IF / ELSIF /
//! ELSE, LOOP, WHILE, `FOR i IN [REVERSE] a .. b [BY s]`, `FOR rec IN query`, EXIT / CONTINUE
//! [WHEN], RETURN, RAISE (levels, `%` placeholders, `USING ERRCODE / MESSAGE / DETAIL /
//! HINT`), PERFORM, NULL, `GET DIAGNOSTICS v = ROW_COUNT`, EXECUTE string [INTO v] [USING
//! args], SQL statements with `INTO [STRICT] v, ...`, the FOUND variable, CASE statements
//! (20000 when no branch matches and there is no ELSE), `FOREACH v IN ARRAY a`, and in
//! functions RETURN expr, RETURN NEXT, RETURN QUERY and `record.field := expr`. Anything else
//! (FOREACH ... SLICE, cursors, labels) is 0A000.

use std::collections::HashMap;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use vdb_engine::table::FunctionReturns;
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::notice::Notice;
use crate::session::{Session, StatementResult};
use crate::tokens::is_word;

pub(crate) mod function;

/// The body of a `DO [LANGUAGE plpgsql] 'body' [LANGUAGE plpgsql]` statement; `None` for any
/// other text, `Some(Err)` for a DO in another language.
pub fn do_body(sql: &str) -> Option<Result<String>> {
    let start = sql.trim_start();
    if !start.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("do")) {
        return None;
    }
    let (tokens, at) = crate::tokens::significant(sql)?;
    let words: Vec<&Token> = at
        .iter()
        .map(|&i| &tokens[i])
        .filter(|t| **t != Token::SemiColon)
        .collect();
    if !words.first().is_some_and(|t| is_word(t, "do")) {
        return None;
    }
    let mut body = None;
    let mut k = 1;
    while k < words.len() {
        match words[k] {
            t if is_word(t, "language") => {
                let language = words.get(k + 1).map(|t| match t {
                    Token::Word(w) => w.value.to_lowercase(),
                    Token::SingleQuotedString(s) => s.to_lowercase(),
                    other => other.to_string(),
                });
                match language.as_deref() {
                    Some("plpgsql") => {}
                    Some(known @ ("sql" | "c" | "internal")) => {
                        return Some(Err(Error::invalid(
                            "0A000",
                            format!("language \"{known}\" does not support inline code execution"),
                        )))
                    }
                    other => {
                        return Some(Err(Error::invalid(
                            "42704",
                            format!("language \"{}\" does not exist", other.unwrap_or_default()),
                        )))
                    }
                }
                k += 2;
            }
            Token::DollarQuotedString(s) if body.is_none() => {
                body = Some(s.value.clone());
                k += 1;
            }
            Token::SingleQuotedString(s) if body.is_none() => {
                body = Some(s.clone());
                k += 1;
            }
            _ => return None,
        }
    }
    body.map(Ok)
}

/// A parsed statement of a block.
#[derive(Debug, Clone)]
enum Stmt {
    Block(Block),
    Assign(String, String),
    If(Vec<(String, Vec<Stmt>)>, Vec<Stmt>),
    Loop(Vec<Stmt>),
    While(String, Vec<Stmt>),
    ForRange {
        var: String,
        reverse: bool,
        low: String,
        high: String,
        step: Option<String>,
        body: Vec<Stmt>,
    },
    ForQuery {
        var: String,
        query: String,
        body: Vec<Stmt>,
    },
    ForEach {
        var: String,
        array: String,
        body: Vec<Stmt>,
    },
    /// A CASE statement without ELSE where no WHEN matched (20000).
    CaseNotFound,
    Exit(Option<String>),
    Continue(Option<String>),
    /// RETURN [expr].
    Return(Option<String>),
    /// RETURN NEXT [expr] of a set-returning function.
    ReturnNext(Option<String>),
    /// RETURN QUERY query of a set-returning function.
    ReturnQuery(String),
    Raise {
        level: String,
        format: Option<String>,
        args: Vec<String>,
        options: Vec<(String, String)>,
    },
    Perform(String),
    Null,
    RowCount(String),
    Execute {
        command: String,
        into: Vec<String>,
        using: Vec<String>,
    },
    Sql {
        text: String,
        into: Vec<String>,
        strict: bool,
    },
}

#[derive(Debug, Clone, Default)]
struct Block {
    declarations: Vec<(String, String, Option<String>)>,
    body: Vec<Stmt>,
    handlers: Vec<(Vec<String>, Vec<Stmt>)>,
}

/// The block's tokens (whitespace kept, so that SQL text can be rebuilt) and a cursor over
/// the significant ones.
struct Parser {
    tokens: Vec<Token>,
    at: Vec<usize>,
    pos: usize,
    returns: Returns,
}

/// What RETURN gives in the code being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Returns {
    /// Nothing: a DO block or a function returning void.
    Nothing,
    /// One value (or a trigger function's row).
    Value,
    /// A set, through RETURN NEXT and RETURN QUERY.
    Set,
}

fn syntax(near: &str) -> Error {
    Error::invalid("42601", format!("syntax error at or near \"{near}\""))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.at.get(self.pos).map(|&i| &self.tokens[i])
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.at.get(self.pos + ahead).map(|&i| &self.tokens[i])
    }

    fn is(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| is_word(t, word))
    }

    fn eat(&mut self, word: &str) -> bool {
        let found = self.is(word);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, word: &str) -> Result<()> {
        if self.eat(word) {
            Ok(())
        } else {
            Err(syntax(
                &self
                    .peek()
                    .map_or("end of block".into(), ToString::to_string),
            ))
        }
    }

    fn expect_semicolon(&mut self) -> Result<()> {
        match self.peek() {
            Some(Token::SemiColon) => {
                self.pos += 1;
                Ok(())
            }
            other => Err(syntax(
                &other.map_or("end of block".into(), ToString::to_string),
            )),
        }
    }

    /// The source text from significant position `from` up to (not including) `to`.
    fn text(&self, from: usize, to: usize) -> String {
        let start = self.at.get(from).copied().unwrap_or(self.tokens.len());
        let end = self.at.get(to).copied().unwrap_or(self.tokens.len());
        self.tokens[start..end]
            .iter()
            .map(ToString::to_string)
            .collect::<String>()
            .trim()
            .to_string()
    }

    /// Advances to the first of `stops` (unquoted words, or `;`) outside brackets; the text
    /// passed over.
    fn until(&mut self, stops: &[&str]) -> Result<String> {
        let from = self.pos;
        let mut depth = 0i32;
        while let Some(t) = self.peek() {
            match t {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth -= 1,
                Token::SemiColon if depth == 0 && stops.contains(&";") => break,
                t if depth == 0 && stops.iter().any(|s| is_word(t, s)) => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.peek().is_none() {
            return Err(syntax("end of block"));
        }
        Ok(self.text(from, self.pos))
    }

    fn name(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let name = if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_lowercase()
                };
                self.pos += 1;
                Ok(name)
            }
            other => Err(syntax(
                &other.map_or("end of block".into(), ToString::to_string),
            )),
        }
    }

    fn block(&mut self) -> Result<Block> {
        let mut block = Block::default();
        if self.eat("declare") {
            while !self.is("begin") {
                let name = self.name()?;
                self.eat("constant");
                let ty = self.until(&[";", "default", "not"])?;
                let ty = ty.trim_end_matches(":=").trim().to_string();
                if self.eat("not") {
                    self.expect("null")?;
                }
                let mut default = None;
                let assign = matches!(self.peek(), Some(Token::Assignment | Token::Eq));
                if assign || self.eat("default") {
                    if assign {
                        self.pos += 1;
                    }
                    default = Some(self.until(&[";"])?);
                }
                // `x int := 1` (or `= 1`) reads the type's text up to the end: the default
                // follows the first `:=` or `=` (a type's name has neither).
                let split = ty.split_once(":=").or_else(|| ty.split_once('='));
                let (ty, default) = match split {
                    Some((t, d)) => (t.trim().to_string(), Some(d.trim().to_string())),
                    None => (ty, default),
                };
                self.expect_semicolon()?;
                block.declarations.push((name, ty, default));
            }
        }
        self.expect("begin")?;
        block.body = self.statements(&["end", "exception"])?;
        if self.eat("exception") {
            while self.eat("when") {
                let mut conditions = vec![self.name()?];
                while self.eat("or") {
                    conditions.push(self.name()?);
                }
                self.expect("then")?;
                let body = self.statements(&["when", "end"])?;
                block.handlers.push((conditions, body));
            }
        }
        self.expect("end")?;
        Ok(block)
    }

    /// Statements up to (not including) one of the `ends` words.
    fn statements(&mut self, ends: &[&str]) -> Result<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(syntax("end of block")),
                Some(t) if ends.iter().any(|e| is_word(t, e)) => return Ok(out),
                _ => out.push(self.statement()?),
            }
        }
    }

    fn statement(&mut self) -> Result<Stmt> {
        let first = self.peek().cloned().ok_or_else(|| syntax("end of block"))?;
        if matches!(first, Token::ShiftLeft) {
            return Err(Error::Unsupported("PL/pgSQL labels".into()));
        }
        let word = |w: &str| is_word(&first, w);
        if word("declare") || word("begin") {
            let block = self.block()?;
            self.expect_semicolon()?;
            return Ok(Stmt::Block(block));
        }
        if word("if") {
            self.pos += 1;
            let mut branches = Vec::new();
            let mut otherwise = Vec::new();
            loop {
                let condition = self.until(&["then"])?;
                self.expect("then")?;
                let body = self.statements(&["elsif", "elseif", "else", "end"])?;
                branches.push((condition, body));
                if self.eat("elsif") || self.eat("elseif") {
                    continue;
                }
                if self.eat("else") {
                    otherwise = self.statements(&["end"])?;
                }
                break;
            }
            self.expect("end")?;
            self.expect("if")?;
            self.expect_semicolon()?;
            return Ok(Stmt::If(branches, otherwise));
        }
        if word("loop") {
            self.pos += 1;
            let body = self.loop_body()?;
            return Ok(Stmt::Loop(body));
        }
        if word("while") {
            self.pos += 1;
            let condition = self.until(&["loop"])?;
            self.expect("loop")?;
            let body = self.loop_body()?;
            return Ok(Stmt::While(condition, body));
        }
        if word("for") {
            self.pos += 1;
            let var = self.name()?;
            self.expect("in")?;
            let reverse = self.eat("reverse");
            let source = self.until(&["loop"])?;
            self.expect("loop")?;
            let body = self.loop_body()?;
            return Ok(match range_parts(&source) {
                Some((low, high, step)) => Stmt::ForRange {
                    var,
                    reverse,
                    low,
                    high,
                    step,
                    body,
                },
                None if !reverse => Stmt::ForQuery {
                    var,
                    query: source,
                    body,
                },
                None => return Err(syntax("REVERSE")),
            });
        }
        if word("exit") || word("continue") {
            self.pos += 1;
            if matches!(self.peek(), Some(Token::Word(_))) && !self.is("when") {
                return Err(Error::Unsupported("EXIT or CONTINUE with a label".into()));
            }
            let condition = if self.eat("when") {
                Some(self.until(&[";"])?)
            } else {
                None
            };
            self.expect_semicolon()?;
            return Ok(if word("exit") {
                Stmt::Exit(condition)
            } else {
                Stmt::Continue(condition)
            });
        }
        if word("return") {
            self.pos += 1;
            return self.return_statement();
        }
        if word("null") && matches!(self.peek_at(1), Some(Token::SemiColon)) {
            self.pos += 2;
            return Ok(Stmt::Null);
        }
        if word("raise") {
            self.pos += 1;
            return self.raise();
        }
        if word("perform") {
            self.pos += 1;
            let query = self.until(&[";"])?;
            self.expect_semicolon()?;
            return Ok(Stmt::Perform(query));
        }
        if word("get") {
            self.pos += 1;
            self.eat("current");
            self.expect("diagnostics")?;
            let var = self.name()?;
            if !matches!(self.peek(), Some(Token::Assignment | Token::Eq)) {
                return Err(syntax(
                    &self.peek().map_or(String::new(), ToString::to_string),
                ));
            }
            self.pos += 1;
            self.expect("row_count")?;
            self.expect_semicolon()?;
            return Ok(Stmt::RowCount(var));
        }
        if word("execute") {
            self.pos += 1;
            let command = self.until(&[";", "into", "using"])?;
            let mut into = Vec::new();
            let mut using = Vec::new();
            loop {
                if self.eat("into") {
                    self.eat("strict");
                    into.push(self.name()?);
                    while matches!(self.peek(), Some(Token::Comma)) {
                        self.pos += 1;
                        into.push(self.name()?);
                    }
                } else if self.eat("using") {
                    let list = self.until(&[";", "into"])?;
                    using = split_top_level(&list);
                } else {
                    break;
                }
            }
            self.expect_semicolon()?;
            return Ok(Stmt::Execute {
                command,
                into,
                using,
            });
        }
        if word("case") {
            self.pos += 1;
            return self.case();
        }
        if word("foreach") {
            self.pos += 1;
            let var = self.name()?;
            if self.is("slice") {
                return Err(Error::Unsupported("FOREACH ... SLICE".into()));
            }
            self.expect("in")?;
            self.expect("array")?;
            let array = self.until(&["loop"])?;
            self.expect("loop")?;
            let body = self.loop_body()?;
            return Ok(Stmt::ForEach { var, array, body });
        }
        if [
            "open", "fetch", "move", "close", "call", "commit", "rollback",
        ]
        .iter()
        .any(|w| word(w))
        {
            return Err(Error::Unsupported(format!(
                "the PL/pgSQL statement {}",
                first.to_string().to_uppercase()
            )));
        }
        // `record.field := expr` (NEW.col in a trigger function).
        if let (
            Token::Word(_),
            Some(Token::Period),
            Some(Token::Word(_)),
            Some(Token::Assignment | Token::Eq),
        ) = (&first, self.peek_at(1), self.peek_at(2), self.peek_at(3))
        {
            let record = self.name()?;
            self.pos += 1;
            let field = self.name()?;
            self.pos += 1;
            let value = self.until(&[";"])?;
            self.expect_semicolon()?;
            return Ok(Stmt::Assign(format!("{record}.{field}"), value));
        }
        // `name := expr` / `name = expr`.
        if let (Token::Word(_), Some(Token::Assignment | Token::Eq)) = (&first, self.peek_at(1)) {
            let var = self.name()?;
            self.pos += 1;
            let value = self.until(&[";"])?;
            self.expect_semicolon()?;
            return Ok(Stmt::Assign(var, value));
        }
        self.sql()
    }

    /// What follows RETURN: `;`, an expression, `NEXT [expr]` or `QUERY query`, each allowed
    /// as PostgreSQL allows it for what the code returns (42804 otherwise).
    fn return_statement(&mut self) -> Result<Stmt> {
        let non_set = |what: &str| {
            Error::invalid(
                "42804",
                format!("cannot use RETURN {what} in a non-SETOF function"),
            )
        };
        if self.eat("next") {
            if self.returns != Returns::Set {
                return Err(non_set("NEXT"));
            }
            let value = self.until(&[";"])?;
            self.expect_semicolon()?;
            return Ok(Stmt::ReturnNext((!value.is_empty()).then_some(value)));
        }
        if self.eat("query") {
            if self.returns != Returns::Set {
                return Err(non_set("QUERY"));
            }
            if self.is("execute") {
                return Err(Error::Unsupported("RETURN QUERY EXECUTE".into()));
            }
            let query = self.until(&[";"])?;
            self.expect_semicolon()?;
            return Ok(Stmt::ReturnQuery(query));
        }
        let value = self.until(&[";"])?;
        match (self.returns, value.is_empty()) {
            (Returns::Nothing, false) => {
                return Err(Error::invalid(
                    "42804",
                    "RETURN cannot have a parameter in function returning void",
                ))
            }
            (Returns::Set, false) => {
                return Err(Error::invalid(
                    "42804",
                    "RETURN cannot have a parameter in function returning set",
                ))
            }
            (Returns::Value, true) => return Err(syntax(";")),
            _ => {}
        }
        self.expect_semicolon()?;
        Ok(Stmt::Return((!value.is_empty()).then_some(value)))
    }

    /// `CASE [operand] WHEN x [, y] THEN ... [ELSE ...] END CASE`, read as IF / ELSIF: a simple
    /// CASE's branch matches when the operand equals one of its values.
    fn case(&mut self) -> Result<Stmt> {
        let operand = if self.is("when") {
            None
        } else {
            Some(self.until(&["when"])?)
        };
        let mut branches = Vec::new();
        while self.eat("when") {
            let when = self.until(&["then"])?;
            self.expect("then")?;
            let condition = match &operand {
                Some(operand) => split_top_level(&when)
                    .iter()
                    .map(|value| format!("(({operand}) = ({value}))"))
                    .collect::<Vec<_>>()
                    .join(" OR "),
                None => when,
            };
            let body = self.statements(&["when", "else", "end"])?;
            branches.push((condition, body));
        }
        if branches.is_empty() {
            return Err(syntax(
                &self
                    .peek()
                    .map_or("end of block".into(), ToString::to_string),
            ));
        }
        let otherwise = if self.eat("else") {
            self.statements(&["end"])?
        } else {
            vec![Stmt::CaseNotFound]
        };
        self.expect("end")?;
        self.expect("case")?;
        self.expect_semicolon()?;
        Ok(Stmt::If(branches, otherwise))
    }

    fn loop_body(&mut self) -> Result<Vec<Stmt>> {
        let body = self.statements(&["end"])?;
        self.expect("end")?;
        self.expect("loop")?;
        if matches!(self.peek(), Some(Token::Word(_))) {
            return Err(Error::Unsupported("loop labels".into()));
        }
        self.expect_semicolon()?;
        Ok(body)
    }

    fn raise(&mut self) -> Result<Stmt> {
        let levels = ["debug", "log", "info", "notice", "warning", "exception"];
        let level = levels
            .iter()
            .find(|l| self.is(l))
            .map_or("exception", |l| l)
            .to_string();
        if levels.iter().any(|l| self.is(l)) {
            self.pos += 1;
        }
        let mut format = None;
        let mut args = Vec::new();
        if let Some(Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s)) = self.peek() {
            format = Some(s.clone());
            self.pos += 1;
            if matches!(self.peek(), Some(Token::Comma)) {
                self.pos += 1;
                let list = self.until(&[";", "using"])?;
                args = split_top_level(&list);
            }
        } else if !matches!(self.peek(), Some(Token::SemiColon)) && !self.is("using") {
            return Err(Error::Unsupported("RAISE with a condition name".into()));
        }
        let mut options = Vec::new();
        if self.eat("using") {
            let list = self.until(&[";"])?;
            for item in split_top_level(&list) {
                let Some((name, value)) = item.split_once('=') else {
                    return Err(syntax(&item));
                };
                options.push((name.trim().to_lowercase(), value.trim().to_string()));
            }
        }
        self.expect_semicolon()?;
        Ok(Stmt::Raise {
            level,
            format,
            args,
            options,
        })
    }

    /// A SQL statement up to its `;`, with a top-level `INTO [STRICT] a, b` taken out.
    fn sql(&mut self) -> Result<Stmt> {
        let from = self.pos;
        let mut depth = 0i32;
        let mut into: Option<(usize, usize)> = None;
        let mut names = Vec::new();
        let mut strict = false;
        // INSERT INTO names its table; a DML statement's INTO comes after RETURNING.
        let dml = ["insert", "update", "delete", "merge"]
            .iter()
            .any(|w| self.is(w));
        let mut returning = false;
        while let Some(t) = self.peek().cloned() {
            match t {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::SemiColon if depth == 0 => break,
                ref t if depth == 0 && is_word(t, "returning") => returning = true,
                ref t
                    if depth == 0
                        && into.is_none()
                        && is_word(t, "into")
                        && (!dml || returning) =>
                {
                    let start = self.pos;
                    self.pos += 1;
                    strict = self.eat("strict");
                    names.push(self.name()?);
                    while matches!(self.peek(), Some(Token::Comma)) {
                        self.pos += 1;
                        names.push(self.name()?);
                    }
                    into = Some((start, self.pos));
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        if self.peek().is_none() {
            return Err(syntax("end of block"));
        }
        // INSERT ... RETURNING x INTO v: the INTO after RETURNING.
        let text = match into {
            Some((start, end)) => {
                format!("{} {}", self.text(from, start), self.text(end, self.pos))
            }
            None => self.text(from, self.pos),
        };
        self.expect_semicolon()?;
        Ok(Stmt::Sql {
            text,
            into: names,
            strict,
        })
    }
}

/// `a .. b [BY s]` of an integer FOR loop (outside quotes and brackets); `None` for a query.
fn range_parts(source: &str) -> Option<(String, String, Option<String>)> {
    let mut depth = 0i32;
    let mut quoted = false;
    let bytes = source.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b'.' if !quoted && depth == 0 && bytes[i + 1] == b'.' => {
                let low = source[..i].trim().to_string();
                let rest = &source[i + 2..];
                let lower = rest.to_ascii_lowercase();
                let (high, step) = match lower.find(" by ") {
                    Some(at) => (
                        rest[..at].trim().to_string(),
                        Some(rest[at + 4..].trim().to_string()),
                    ),
                    None => (rest.trim().to_string(), None),
                };
                return Some((low, high, step));
            }
            _ => {}
        }
    }
    None
}

/// `a, f(b, c), d` cut at its top-level commas.
fn split_top_level(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// Parses a block: a DO block's body, or a function's (`returns` saying what its RETURN
/// statements give).
fn parse(body: &str, returns: Returns) -> Result<Block> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, body)
        .tokenize()
        .map_err(|e| Error::invalid("42601", e.to_string()))?;
    let at = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    let mut parser = Parser {
        tokens,
        at,
        pos: 0,
        returns,
    };
    let block = parser.block()?;
    if matches!(parser.peek(), Some(Token::SemiColon)) {
        parser.pos += 1;
    }
    if let Some(t) = parser.peek() {
        return Err(syntax(&t.to_string()));
    }
    Ok(block)
}

/// Checks that the SQL statements and expressions of `block` parse, as PostgreSQL checks a
/// function's code when it is created (variables are plain names to the parser).
fn validate(block: &Block) -> Result<()> {
    for (_, _, default) in &block.declarations {
        default.as_deref().map(check_expr).transpose()?;
    }
    validate_statements(&block.body)?;
    for (_, handler) in &block.handlers {
        validate_statements(handler)?;
    }
    Ok(())
}

fn check_expr(expr: &str) -> Result<()> {
    crate::session::parse(&format!("SELECT {expr}")).map(drop)
}

fn check_sql(text: &str) -> Result<()> {
    crate::session::parse(text).map(drop)
}

fn validate_statements(statements: &[Stmt]) -> Result<()> {
    for statement in statements {
        match statement {
            Stmt::Block(block) => validate(block)?,
            Stmt::Assign(_, e) | Stmt::Perform(e) => check_expr(e)?,
            Stmt::If(branches, otherwise) => {
                for (condition, body) in branches {
                    check_expr(condition)?;
                    validate_statements(body)?;
                }
                validate_statements(otherwise)?;
            }
            Stmt::Loop(body) => validate_statements(body)?,
            Stmt::While(condition, body) => {
                check_expr(condition)?;
                validate_statements(body)?;
            }
            Stmt::ForRange {
                low,
                high,
                step,
                body,
                ..
            } => {
                check_expr(low)?;
                check_expr(high)?;
                step.as_deref().map(check_expr).transpose()?;
                validate_statements(body)?;
            }
            Stmt::ForQuery { query, body, .. } => {
                check_sql(query)?;
                validate_statements(body)?;
            }
            Stmt::ForEach { array, body, .. } => {
                check_expr(array)?;
                validate_statements(body)?;
            }
            Stmt::Exit(Some(e))
            | Stmt::Continue(Some(e))
            | Stmt::Return(Some(e))
            | Stmt::ReturnNext(Some(e)) => check_expr(e)?,
            Stmt::ReturnQuery(q) | Stmt::Sql { text: q, .. } => check_sql(q)?,
            Stmt::Raise { args, options, .. } => {
                for e in args.iter().chain(options.iter().map(|o| &o.1)) {
                    check_expr(e)?;
                }
            }
            Stmt::Execute { command, using, .. } => {
                check_expr(command)?;
                for e in using {
                    check_expr(e)?;
                }
            }
            Stmt::Exit(None)
            | Stmt::Continue(None)
            | Stmt::Return(None)
            | Stmt::ReturnNext(None)
            | Stmt::CaseNotFound
            | Stmt::Null
            | Stmt::RowCount(_) => {}
        }
    }
    Ok(())
}

/// A variable: its value and its type's SQL name (records: their fields).
#[derive(Clone, Debug)]
enum Var {
    Scalar { value: Value, ty: String },
    Record(Vec<(String, Value, Type)>),
}

/// How a statement list ended.
enum Flow {
    Next,
    Exit,
    Continue,
    Return,
}

/// The rows a statement returned or its command tag counts (`UPDATE 3`, `INSERT 0 3`).
fn rows_affected(result: &StatementResult) -> i64 {
    match result {
        StatementResult::Rows { rows, .. } => i64::try_from(rows.len()).unwrap_or(i64::MAX),
        StatementResult::Command { tag } => tag
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

/// Where the statements of PL/pgSQL code run: the session, for a DO block; a function's copy
/// of the database, for a function ([`function::call`]).
pub(crate) trait Runner {
    /// Runs SQL text (one or more statements); the last one's result.
    fn run(&mut self, text: &str) -> Result<StatementResult>;
    /// Marks where [`Runner::rollback_to`] goes back to (a block with an EXCEPTION clause).
    fn savepoint(&mut self, name: &str) -> Result<()>;
    /// Forgets savepoint `name`.
    fn release(&mut self, name: &str) -> Result<()>;
    /// Undoes what was done since savepoint `name`.
    fn rollback_to(&mut self, name: &str) -> Result<()>;
}

/// A DO block's statements run in the session, one at a time.
struct SessionRunner<'a>(&'a mut Session);

impl Runner for SessionRunner<'_> {
    fn run(&mut self, text: &str) -> Result<StatementResult> {
        let statements = crate::session::parse(text)?;
        let mut last = StatementResult::Command { tag: String::new() };
        for statement in &statements {
            last = self.0.execute_one(statement)?;
        }
        Ok(last)
    }

    fn savepoint(&mut self, name: &str) -> Result<()> {
        self.run(&format!("SAVEPOINT {name}")).map(drop)
    }

    fn release(&mut self, name: &str) -> Result<()> {
        self.run(&format!("RELEASE SAVEPOINT {name}")).map(drop)
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.run(&format!("ROLLBACK TO SAVEPOINT {name}")).map(drop)
    }
}

/// Runs a DO block in `session`.
pub fn run(session: &mut Session, body: &str) -> Result<StatementResult> {
    let block = parse(body, Returns::Nothing)?;
    let mut interpreter = Interpreter::new(HashMap::new(), None);
    interpreter.block(&mut SessionRunner(session), &block)?;
    Ok(StatementResult::Command { tag: "DO".into() })
}

struct Interpreter {
    scopes: Vec<HashMap<String, Var>>,
    row_count: i64,
    savepoints: usize,
    /// What a function returns (`None` in a DO block).
    returns: Option<FunctionReturns>,
    /// The value RETURN gave (a scalar function's; a trigger function's row as a record).
    result: Option<Var>,
    /// The rows RETURN NEXT and RETURN QUERY gave (a set-returning function's).
    rows: Vec<Vec<Value>>,
}

/// A value as a SQL literal of type `ty`.
fn literal(value: &Value, ty: &str) -> String {
    match crate::types::to_pg_text(value) {
        None => format!("CAST(NULL AS {ty})"),
        Some(text) => format!("CAST('{}' AS {ty})", text.replace('\'', "''")),
    }
}

/// Interns a SQLSTATE given at run time (RAISE ... USING ERRCODE), which errors carry as
/// `&'static str`: each distinct code is leaked once.
fn static_code(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = CODES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = codes.get(code) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(leaked);
    leaked
}

/// The condition names PL/pgSQL code may use, with their SQLSTATEs.
const CONDITIONS: &[(&str, &str)] = &[
    ("division_by_zero", "22012"),
    ("unique_violation", "23505"),
    ("foreign_key_violation", "23503"),
    ("not_null_violation", "23502"),
    ("check_violation", "23514"),
    ("raise_exception", "P0001"),
    ("no_data_found", "P0002"),
    ("too_many_rows", "P0003"),
    ("undefined_table", "42P01"),
    ("undefined_column", "42703"),
    ("undefined_function", "42883"),
    ("duplicate_table", "42P07"),
    ("duplicate_object", "42710"),
    ("duplicate_column", "42701"),
    ("invalid_text_representation", "22P02"),
    ("numeric_value_out_of_range", "22003"),
    ("string_data_right_truncation", "22001"),
    ("syntax_error", "42601"),
    ("serialization_failure", "40001"),
];

/// The SQLSTATE of a condition name.
fn condition_code(name: &str) -> Option<&'static str> {
    CONDITIONS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, code)| *code)
}

/// Whether a handler's condition (a name, `others`, or `sqlstate 'xxxxx'` read as its code)
/// catches an error with `sqlstate`. OTHERS does not catch a cancel, as in PostgreSQL.
fn condition_matches(condition: &str, sqlstate: &str) -> bool {
    match condition {
        "others" => sqlstate != "57014",
        "data_exception" => sqlstate.starts_with("22"),
        "integrity_constraint_violation" => sqlstate.starts_with("23"),
        name => condition_code(name).is_some_and(|code| code == sqlstate),
    }
}

impl Interpreter {
    /// An interpreter whose outermost scope holds `variables` (a function's parameters) and
    /// FOUND.
    fn new(mut variables: HashMap<String, Var>, returns: Option<FunctionReturns>) -> Interpreter {
        variables.insert(
            "found".to_string(),
            Var::Scalar {
                value: Value::Bool(false),
                ty: "boolean".into(),
            },
        );
        Interpreter {
            scopes: vec![variables],
            row_count: 0,
            savepoints: 0,
            returns,
            result: None,
            rows: Vec::new(),
        }
    }

    fn lookup(&self, name: &str) -> Option<&Var> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    fn assign(&mut self, name: &str, var: Var) -> Result<()> {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(slot) = scope.get_mut(name) {
                *slot = var;
                return Ok(());
            }
        }
        Err(Error::invalid(
            "42601",
            format!("\"{name}\" is not a known variable"),
        ))
    }

    fn set_found(&mut self, found: bool) {
        if let Some(scope) = self.scopes.first_mut() {
            scope.insert(
                "found".into(),
                Var::Scalar {
                    value: Value::Bool(found),
                    ty: "boolean".into(),
                },
            );
        }
    }

    /// `text` with the variables it names put in as literals (`rec.field` for records).
    fn substitute(&self, text: &str) -> Result<String> {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
            .tokenize()
            .map_err(|e| Error::invalid("42601", e.to_string()))?;
        let mut out = String::new();
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            let after_period = i > 0 && tokens[i - 1] == Token::Period;
            let before_paren = tokens.get(i + 1) == Some(&Token::LParen);
            if let Token::Placeholder(p) = token {
                if let Some(Var::Scalar { value, ty }) = self.lookup(p) {
                    out.push_str(&literal(value, ty));
                    i += 1;
                    continue;
                }
            }
            if let Token::Word(w) = token {
                let name = if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_lowercase()
                };
                match self.lookup(&name) {
                    // A field of an unassigned record (OLD in an INSERT trigger) is NULL.
                    Some(Var::Scalar {
                        value: Value::Null,
                        ty,
                    }) if ty == "record"
                        && !after_period
                        && tokens.get(i + 1) == Some(&Token::Period)
                        && matches!(tokens.get(i + 2), Some(Token::Word(_))) =>
                    {
                        out.push_str("NULL");
                        i += 3;
                        continue;
                    }
                    Some(Var::Scalar { value, ty }) if !after_period && !before_paren => {
                        out.push_str(&literal(value, ty));
                        i += 1;
                        continue;
                    }
                    Some(Var::Record(fields))
                        if !after_period && tokens.get(i + 1) == Some(&Token::Period) =>
                    {
                        if let Some(Token::Word(f)) = tokens.get(i + 2) {
                            let field = f.value.to_lowercase();
                            let Some((_, value, ty)) = fields.iter().find(|(n, _, _)| *n == field)
                            else {
                                return Err(Error::invalid(
                                    "42703",
                                    format!("record \"{name}\" has no field \"{field}\""),
                                ));
                            };
                            out.push_str(&literal(value, &crate::types::type_name(ty)));
                            i += 3;
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            out.push_str(&token.to_string());
            i += 1;
        }
        Ok(out)
    }

    /// The value of `RETURN expr`, as the function's result type (a trigger function returns a
    /// row: NEW, OLD or another record, or NULL).
    fn returned(&mut self, rt: &mut dyn Runner, expr: &str) -> Result<Var> {
        if matches!(self.returns, Some(FunctionReturns::Trigger)) {
            // RETURN NEW / OLD / a record variable (NEW is NULL in a DELETE trigger).
            let name = expr.trim().to_lowercase();
            if let Some(var) = self.lookup(&name) {
                return Ok(var.clone());
            }
        }
        let (value, ty) = self.eval(rt, expr)?;
        Ok(match &self.returns {
            Some(FunctionReturns::Scalar(to)) => Var::Scalar {
                value: crate::types::cast(value, to)?,
                ty: crate::types::type_name(to),
            },
            Some(FunctionReturns::Trigger) if value != Value::Null => {
                return Err(Error::invalid(
                    "42804",
                    "returned row structure does not match the structure of the triggering table",
                ))
            }
            _ => Var::Scalar {
                value,
                ty: crate::types::type_name(&ty),
            },
        })
    }

    /// The types of a set-returning function's result columns.
    fn set_columns(&self) -> Vec<Type> {
        match &self.returns {
            Some(FunctionReturns::SetOf(t)) => vec![t.clone()],
            Some(returns) => returns
                .columns()
                .map_or_else(Vec::new, |c| c.iter().map(|c| c.1.clone()).collect()),
            _ => Vec::new(),
        }
    }

    /// The row `RETURN NEXT [expr]` adds: the expression's value for `SETOF t`, the output
    /// columns' variables for `TABLE (..)`.
    fn next_row(&mut self, rt: &mut dyn Runner, expr: Option<&str>) -> Result<Vec<Value>> {
        match (self.returns.clone(), expr) {
            (Some(FunctionReturns::SetOf(t)), Some(expr)) => {
                let (value, _) = self.eval(rt, expr)?;
                Ok(vec![crate::types::cast(value, &t)?])
            }
            (Some(FunctionReturns::SetOfRow { columns, .. }), Some(expr)) => {
                let name = expr.trim().to_lowercase();
                let Some(Var::Record(fields)) = self.lookup(&name) else {
                    return Err(Error::invalid(
                        "42804",
                        "RETURN NEXT of a SETOF table function must name a record variable",
                    ));
                };
                columns
                    .iter()
                    .map(|(column, ty)| {
                        let value = fields
                            .iter()
                            .find(|(n, _, _)| n == column)
                            .map_or(Value::Null, |f| f.1.clone());
                        crate::types::cast(value, ty)
                    })
                    .collect()
            }
            (Some(FunctionReturns::SetOf(_) | FunctionReturns::SetOfRow { .. }), None) => {
                Err(Error::invalid("42601", "RETURN NEXT must have a parameter"))
            }
            (Some(FunctionReturns::Table(columns)), None) => columns
                .iter()
                .map(|(name, ty)| match self.lookup(name) {
                    Some(Var::Scalar { value, .. }) => crate::types::cast(value.clone(), ty),
                    _ => Ok(Value::Null),
                })
                .collect(),
            (Some(FunctionReturns::Table(_)), Some(_)) => Err(Error::invalid(
                "42804",
                "RETURN NEXT cannot have a parameter in function with OUT parameters",
            )),
            _ => Err(Error::invalid(
                "42804",
                "cannot use RETURN NEXT in a non-SETOF function",
            )),
        }
    }

    /// Runs SQL text (its variables put in) and gives its result.
    fn sql(&mut self, rt: &mut dyn Runner, text: &str) -> Result<StatementResult> {
        let text = self.substitute(text)?;
        let last = self.run_raw(rt, &text)?;
        self.row_count = rows_affected(&last);
        Ok(last)
    }

    /// An expression's value (the first column of `SELECT expr`), and its type.
    fn eval(&mut self, rt: &mut dyn Runner, expr: &str) -> Result<(Value, Type)> {
        match self.sql(rt, &format!("SELECT {expr}"))? {
            StatementResult::Rows {
                columns, mut rows, ..
            } if !rows.is_empty() => {
                let value = rows
                    .swap_remove(0)
                    .into_iter()
                    .next()
                    .unwrap_or(Value::Null);
                Ok((
                    value,
                    columns.into_iter().next().map_or(Type::Text, |c| c.1),
                ))
            }
            StatementResult::Rows { columns, .. } => Ok((
                Value::Null,
                columns.into_iter().next().map_or(Type::Text, |c| c.1),
            )),
            _ => Err(syntax(expr)),
        }
    }

    fn condition(&mut self, rt: &mut dyn Runner, expr: &str) -> Result<bool> {
        Ok(self.eval(rt, &format!("CAST(({expr}) AS boolean)"))?.0 == Value::Bool(true))
    }

    /// Sets field `field` of record variable `record` to `value`, converted to the field's type.
    fn store_field(&mut self, record: &str, field: &str, value: Value) -> Result<()> {
        let slot = self
            .scopes
            .iter_mut()
            .rev()
            .find_map(|s| s.get_mut(record))
            .ok_or_else(|| {
                Error::invalid("42601", format!("\"{record}\" is not a known variable"))
            })?;
        let Var::Record(fields) = slot else {
            return Err(Error::invalid(
                "55000",
                format!("record \"{record}\" is not assigned yet"),
            ));
        };
        let Some(target) = fields.iter_mut().find(|f| f.0 == field) else {
            return Err(Error::invalid(
                "42703",
                format!("record \"{record}\" has no field \"{field}\""),
            ));
        };
        target.1 = crate::types::cast(value, &target.2)?;
        Ok(())
    }

    /// Sets variable `name` to `value`, converted to the variable's type.
    fn store(&mut self, rt: &mut dyn Runner, name: &str, value: &Value, ty: &Type) -> Result<()> {
        let declared = match self.lookup(name) {
            Some(Var::Scalar { ty, .. }) => ty.clone(),
            Some(Var::Record(_)) => {
                return Err(Error::Unsupported("assigning to a record variable".into()))
            }
            None => {
                return Err(Error::invalid(
                    "42601",
                    format!("\"{name}\" is not a known variable"),
                ))
            }
        };
        let converted = if *value == Value::Null {
            Value::Null
        } else {
            let source = literal(value, &crate::types::type_name(ty));
            self.eval(rt, &format!("CAST({source} AS {declared})"))?.0
        };
        self.assign(
            name,
            Var::Scalar {
                value: converted,
                ty: declared,
            },
        )
    }

    fn block(&mut self, rt: &mut dyn Runner, block: &Block) -> Result<Flow> {
        self.scopes.push(HashMap::new());
        let result = self.block_inner(rt, block);
        self.scopes.pop();
        result
    }

    fn block_inner(&mut self, rt: &mut dyn Runner, block: &Block) -> Result<Flow> {
        for (name, ty, default) in &block.declarations {
            let value = match default {
                Some(expr) => self.eval(rt, &format!("CAST(({expr}) AS {ty})"))?.0,
                None => Value::Null,
            };
            let var = if ty.eq_ignore_ascii_case("record") {
                Var::Record(Vec::new())
            } else {
                Var::Scalar {
                    value,
                    ty: ty.clone(),
                }
            };
            if let Some(scope) = self.scopes.last_mut() {
                scope.insert(name.clone(), var);
            }
        }
        if block.handlers.is_empty() {
            return self.statements(rt, &block.body);
        }
        self.savepoints += 1;
        let savepoint = format!("plpgsql_block_{}", self.savepoints);
        rt.savepoint(&savepoint)?;
        match self.statements(rt, &block.body) {
            Ok(flow) => {
                rt.release(&savepoint)?;
                Ok(flow)
            }
            Err(e) => {
                let sqlstate = e.sqlstate().to_string();
                let Some((_, handler)) = block.handlers.iter().find(|(conditions, _)| {
                    conditions.iter().any(|c| condition_matches(c, &sqlstate))
                }) else {
                    return Err(e);
                };
                rt.rollback_to(&savepoint)?;
                rt.release(&savepoint)?;
                // The handler reads the caught error as SQLSTATE and SQLERRM.
                let text = |t: String| Var::Scalar {
                    value: Value::Text(t),
                    ty: "text".into(),
                };
                self.scopes.push(HashMap::from([
                    ("sqlstate".to_string(), text(sqlstate)),
                    ("sqlerrm".to_string(), text(e.to_string())),
                ]));
                let flow = self.statements(rt, handler);
                self.scopes.pop();
                flow
            }
        }
    }

    fn statements(&mut self, rt: &mut dyn Runner, statements: &[Stmt]) -> Result<Flow> {
        for statement in statements {
            crate::interrupt::check()?;
            match self.statement(rt, statement)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    /// Runs a loop body once: `None` to go on looping, `Some(flow)` to leave the loop with it.
    fn iteration(&mut self, rt: &mut dyn Runner, body: &[Stmt]) -> Result<Option<Flow>> {
        crate::interrupt::check()?;
        Ok(match self.statements(rt, body)? {
            Flow::Next | Flow::Continue => None,
            Flow::Exit => Some(Flow::Next),
            Flow::Return => Some(Flow::Return),
        })
    }

    fn statement(&mut self, rt: &mut dyn Runner, statement: &Stmt) -> Result<Flow> {
        match statement {
            Stmt::Block(block) => return self.block(rt, block),
            Stmt::Null => {}
            Stmt::Return(None) => return Ok(Flow::Return),
            Stmt::Return(Some(expr)) => {
                self.result = Some(self.returned(rt, expr)?);
                return Ok(Flow::Return);
            }
            Stmt::ReturnNext(expr) => {
                let row = self.next_row(rt, expr.as_deref())?;
                self.rows.push(row);
            }
            Stmt::ReturnQuery(query) => {
                let StatementResult::Rows { rows, .. } = self.sql(rt, query)? else {
                    return Err(Error::invalid(
                        "42601",
                        "cannot use RETURN QUERY with a statement that returns no rows",
                    ));
                };
                let types = self.set_columns();
                self.set_found(!rows.is_empty());
                for row in rows {
                    if row.len() != types.len() {
                        return Err(Error::invalid(
                            "42804",
                            "structure of query does not match function result type",
                        ));
                    }
                    let row = row
                        .into_iter()
                        .zip(&types)
                        .map(|(v, t)| crate::types::cast(v, t))
                        .collect::<Result<Vec<_>>>()?;
                    self.rows.push(row);
                }
            }
            Stmt::Assign(name, expr) => {
                let (value, ty) = self.eval(rt, expr)?;
                match name.split_once('.') {
                    Some((record, field)) => self.store_field(record, field, value)?,
                    None => self.store(rt, name, &value, &ty)?,
                }
            }
            Stmt::If(branches, otherwise) => {
                for (condition, body) in branches {
                    if self.condition(rt, condition)? {
                        return self.statements(rt, body);
                    }
                }
                return self.statements(rt, otherwise);
            }
            Stmt::Loop(body) => loop {
                if let Some(flow) = self.iteration(rt, body)? {
                    return Ok(flow);
                }
            },
            Stmt::While(condition, body) => {
                while self.condition(rt, condition)? {
                    if let Some(flow) = self.iteration(rt, body)? {
                        return Ok(flow);
                    }
                }
            }
            Stmt::ForRange {
                var,
                reverse,
                low,
                high,
                step,
                body,
            } => {
                let int = |v: Value| match v {
                    Value::Int2(n) => Ok(i64::from(n)),
                    Value::Int4(n) => Ok(i64::from(n)),
                    Value::Int8(n) => Ok(n),
                    Value::Null => Err(Error::invalid(
                        "22004",
                        "lower bound of FOR loop cannot be null",
                    )),
                    other => Err(Error::mismatch(format!(
                        "FOR loop bound must be an integer, not {other:?}"
                    ))),
                };
                // The bounds are integers (22003 beyond), so stepping never overflows an i64.
                let from = int(self.eval(rt, &format!("CAST(({low}) AS integer)"))?.0)?;
                let to = int(self.eval(rt, &format!("CAST(({high}) AS integer)"))?.0)?;
                let by = match step {
                    Some(s) => int(self.eval(rt, &format!("CAST(({s}) AS integer)"))?.0)?,
                    None => 1,
                };
                if by <= 0 {
                    return Err(Error::invalid(
                        "22023",
                        "BY value of FOR loop must be greater than zero",
                    ));
                }
                self.scopes.push(HashMap::new());
                let mut i = from;
                let mut flow = Flow::Next;
                while (!reverse && i <= to) || (*reverse && i >= to) {
                    if let Some(scope) = self.scopes.last_mut() {
                        scope.insert(
                            var.clone(),
                            Var::Scalar {
                                value: Value::Int4(i32::try_from(i).unwrap_or(i32::MAX)),
                                ty: "integer".into(),
                            },
                        );
                    }
                    match self.iteration(rt, body) {
                        Ok(None) => {}
                        Ok(Some(f)) => {
                            flow = f;
                            break;
                        }
                        Err(e) => {
                            self.scopes.pop();
                            return Err(e);
                        }
                    }
                    i = if *reverse { i - by } else { i + by };
                }
                self.scopes.pop();
                return Ok(flow);
            }
            Stmt::ForQuery { var, query, body } => {
                let StatementResult::Rows { columns, rows, .. } = self.sql(rt, query)? else {
                    return Err(Error::invalid(
                        "42601",
                        "cannot open a FOR loop over a statement that returns no rows",
                    ));
                };
                self.set_found(!rows.is_empty());
                let scalar =
                    match self.lookup(var) {
                        Some(Var::Scalar { .. }) => true,
                        Some(Var::Record(_)) => false,
                        None => return Err(Error::invalid(
                            "42601",
                            "loop variable of loop over rows must be a record variable or list \
                             of scalar variables",
                        )),
                    };
                for row in rows {
                    if scalar {
                        let value = row.into_iter().next().unwrap_or(Value::Null);
                        let value_ty = columns.first().map_or(Type::Text, |c| c.1.clone());
                        self.store(rt, var, &value, &value_ty)?;
                    } else {
                        let fields = columns
                            .iter()
                            .zip(row)
                            .map(|((name, ty), value)| (name.clone(), value, ty.clone()))
                            .collect();
                        self.bind_record(var, fields);
                    }
                    if let Some(flow) = self.iteration(rt, body)? {
                        return Ok(flow);
                    }
                }
            }
            Stmt::CaseNotFound => {
                return Err(Error::invalid("20000", "case not found"));
            }
            Stmt::ForEach { var, array, body } => {
                let (value, ty) = self.eval(rt, array)?;
                let items = match value {
                    Value::Array(items) => items,
                    Value::Null => {
                        return Err(Error::invalid(
                            "22004",
                            "FOREACH expression must not be null",
                        ))
                    }
                    _ => {
                        return Err(Error::mismatch(
                            "FOREACH expression must yield an array, not a scalar",
                        ))
                    }
                };
                let element = match ty {
                    Type::Array(element) => *element,
                    other => other,
                };
                for item in items {
                    self.store(rt, var, &item, &element)?;
                    if let Some(flow) = self.iteration(rt, body)? {
                        return Ok(flow);
                    }
                }
            }
            Stmt::Exit(condition) | Stmt::Continue(condition) => {
                let taken = match condition {
                    Some(c) => self.condition(rt, c)?,
                    None => true,
                };
                if taken {
                    return Ok(if matches!(statement, Stmt::Exit(_)) {
                        Flow::Exit
                    } else {
                        Flow::Continue
                    });
                }
            }
            Stmt::Raise {
                level,
                format,
                args,
                options,
            } => self.raise(rt, level, format.as_deref(), args, options)?,
            Stmt::Perform(query) => {
                let result = self.sql(rt, &format!("SELECT {query}"))?;
                let found =
                    matches!(&result, StatementResult::Rows { rows, .. } if !rows.is_empty());
                self.set_found(found);
            }
            Stmt::RowCount(var) => {
                let count = self.row_count;
                self.store(rt, var, &Value::Int8(count), &Type::Int8)?;
            }
            Stmt::Execute {
                command,
                into,
                using,
            } => {
                let (text, _) = self.eval(rt, command)?;
                let Value::Text(mut text) = text else {
                    return Err(Error::invalid(
                        "22004",
                        "query string argument of EXECUTE is null",
                    ));
                };
                // `$n` placeholders take the USING values, last first so `$1` does not eat
                // the start of `$10`.
                for (n, arg) in using.iter().enumerate().rev() {
                    let (value, ty) = self.eval(rt, arg)?;
                    let lit = literal(&value, &crate::types::type_name(&ty));
                    text = text.replace(&format!("${}", n + 1), &lit);
                }
                let result = self.run_raw(rt, &text)?;
                self.row_count = rows_affected(&result);
                self.take_into(rt, result, into, false)?;
            }
            Stmt::Sql { text, into, strict } => {
                let result = self.sql(rt, text)?;
                self.take_into(rt, result, into, *strict)?;
            }
        }
        Ok(Flow::Next)
    }

    /// Runs SQL text as it is (EXECUTE's string, already substituted).
    fn run_raw(&mut self, rt: &mut dyn Runner, text: &str) -> Result<StatementResult> {
        rt.run(text)
    }

    fn bind_record(&mut self, name: &str, fields: Vec<(String, Value, Type)>) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(slot) = scope.get_mut(name) {
                *slot = Var::Record(fields);
                return;
            }
        }
    }

    /// A statement's first row into the INTO variables (NULLs without one), FOUND set.
    fn take_into(
        &mut self,
        rt: &mut dyn Runner,
        result: StatementResult,
        into: &[String],
        strict: bool,
    ) -> Result<()> {
        let (columns, rows) = match result {
            StatementResult::Rows { columns, rows, .. } => (columns, rows),
            command @ StatementResult::Command { .. } => {
                self.set_found(rows_affected(&command) > 0);
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.set_found(!rows.is_empty());
        if into.is_empty() {
            return Ok(());
        }
        if strict && rows.len() != 1 {
            return Err(if rows.is_empty() {
                Error::invalid("P0002", "query returned no rows")
            } else {
                Error::invalid("P0003", "query returned more than one row")
            });
        }
        let row = rows.into_iter().next();
        if let [name] = into {
            if matches!(self.lookup(name), Some(Var::Record(_))) {
                let fields = match &row {
                    Some(row) => columns
                        .iter()
                        .zip(row.iter().cloned())
                        .map(|((n, t), v)| (n.clone(), v, t.clone()))
                        .collect(),
                    None => Vec::new(),
                };
                self.bind_record(name, fields);
                return Ok(());
            }
        }
        for (k, name) in into.iter().enumerate() {
            let value = row
                .as_ref()
                .and_then(|r| r.get(k).cloned())
                .unwrap_or(Value::Null);
            let ty = columns.get(k).map_or(Type::Text, |c| c.1.clone());
            self.store(rt, name, &value, &ty)?;
        }
        Ok(())
    }

    fn raise(
        &mut self,
        rt: &mut dyn Runner,
        level: &str,
        format: Option<&str>,
        args: &[String],
        options: &[(String, String)],
    ) -> Result<()> {
        let mut values = Vec::new();
        for arg in args {
            let (value, _) = self.eval(rt, arg)?;
            values.push(crate::types::to_pg_text(&value).unwrap_or_else(|| "<NULL>".into()));
        }
        let mut message = String::new();
        if let Some(format) = format {
            let placeholders = format.matches('%').count() - 2 * format.matches("%%").count();
            if placeholders != values.len() {
                return Err(Error::invalid(
                    "42601",
                    if placeholders > values.len() {
                        "too few parameters specified for RAISE"
                    } else {
                        "too many parameters specified for RAISE"
                    },
                ));
            }
            let mut values = values.into_iter();
            let mut chars = format.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '%' {
                    if chars.peek() == Some(&'%') {
                        chars.next();
                        message.push('%');
                    } else {
                        message.push_str(&values.next().unwrap_or_default());
                    }
                } else {
                    message.push(c);
                }
            }
        }
        let mut code = if level == "exception" {
            "P0001"
        } else {
            "00000"
        };
        let mut detail = None;
        let mut hint = None;
        for (name, expr) in options {
            let (value, _) = self.eval(rt, expr)?;
            let text = crate::types::to_pg_text(&value).unwrap_or_default();
            match name.as_str() {
                "errcode" => {
                    let sqlstate =
                        if text.len() == 5 && text.chars().all(|c| c.is_ascii_alphanumeric()) {
                            text.to_ascii_uppercase()
                        } else {
                            match condition_code(&text) {
                                Some(code) => code.to_string(),
                                None => {
                                    return Err(Error::invalid(
                                        "42704",
                                        format!("unrecognized exception condition \"{text}\""),
                                    ))
                                }
                            }
                        };
                    code = static_code(&sqlstate);
                }
                "message" => message = text,
                "detail" => detail = Some(text),
                "hint" => hint = Some(text),
                other => {
                    return Err(Error::invalid(
                        "42601",
                        format!("unrecognized RAISE statement option \"{other}\""),
                    ))
                }
            }
        }
        if format.is_none() && message.is_empty() {
            if level == "exception" {
                return Err(Error::invalid(
                    "0Z002",
                    "RAISE without parameters cannot be used outside an exception handler",
                ));
            }
            message = code.to_string();
        }
        // The error carries no DETAIL or HINT (vdb's errors have only a message).
        if level == "exception" {
            return Err(Error::invalid(code, message));
        }
        let mut notice = match level {
            "warning" => Notice::warning(if code == "00000" { "01000" } else { code }, message),
            _ => Notice::new(code, message),
        };
        if level == "info" {
            notice.severity = crate::notice::Severity::Info;
        }
        if let Some(detail) = detail {
            notice = notice.with_detail(detail);
        }
        notice.hint = hint;
        if matches!(level, "notice" | "warning" | "info") {
            crate::notice::raise(notice);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn do_statements_give_their_body() {
        let body = |s: &str| do_body(s).map(|r| r.ok());
        assert_eq!(body("DO $$ BEGIN END $$"), Some(Some(" BEGIN END ".into())));
        assert_eq!(
            body("do language plpgsql 'begin null; end';"),
            Some(Some("begin null; end".into()))
        );
        assert_eq!(
            body("DO $x$ begin end $x$ LANGUAGE plpgsql"),
            Some(Some(" begin end ".into()))
        );
        assert_eq!(body("do $$ begin end $$ language sql"), Some(None));
        assert_eq!(body("double"), None);
    }

    #[test]
    fn blocks_parse_into_statements() {
        let block = parse(
            "declare n int := 0; r record; begin for i in 1..3 loop n := n + i; end loop; \
             if n > 5 then raise notice 'big %', n; elsif n < 0 then null; else n = 1; end if; \
             select count(*) into strict n from t; exception when others then null; end",
            Returns::Nothing,
        )
        .unwrap();
        assert_eq!(block.declarations.len(), 2);
        assert_eq!(block.declarations[0].2.as_deref(), Some("0"));
        let equals = parse("declare x numeric(5, 2) = 1.5; begin end", Returns::Nothing).unwrap();
        assert_eq!(
            equals.declarations[0],
            (
                "x".to_string(),
                "numeric(5, 2)".to_string(),
                Some("1.5".to_string())
            )
        );
        assert_eq!(block.body.len(), 3);
        assert!(
            matches!(&block.body[0], Stmt::ForRange { low, high, .. } if low == "1" && high == "3")
        );
        assert!(
            matches!(&block.body[2], Stmt::Sql { text, into, strict: true } if text.starts_with("select count(*)") && into == &["n"])
        );
        assert_eq!(block.handlers.len(), 1);
        assert!(parse(
            "begin foreach x slice 1 in array a loop end loop; end",
            Returns::Nothing
        )
        .is_err());
        let case = parse(
            "begin case x when 1, 2 then null; else null; end case; end",
            Returns::Nothing,
        )
        .unwrap();
        assert!(
            matches!(&case.body[0], Stmt::If(b, e) if b[0].0 == "((x) = (1)) OR ((x) = (2))" && e.len() == 1)
        );
        assert!(parse("begin if true then end", Returns::Nothing).is_err());
        assert!(parse("begin", Returns::Nothing).is_err());
    }

    #[test]
    fn ranges_and_lists_split_at_the_top_level() {
        assert_eq!(
            range_parts("1 .. f(2, 3) by 2"),
            Some(("1".into(), "f(2, 3)".into(), Some("2".into())))
        );
        assert_eq!(range_parts("select '..' from t"), None);
        assert_eq!(
            split_top_level("a, f(b, c), 'x,y'"),
            ["a", "f(b, c)", "'x,y'"]
        );
    }
}
