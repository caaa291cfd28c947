//! Server-side cursors: `DECLARE name [NO SCROLL | SCROLL] CURSOR [WITH HOLD] FOR query`,
//! `FETCH` and `MOVE` in every direction, `CLOSE name` / `CLOSE ALL`, as psycopg2's named
//! cursors and psycopg 3's server cursors use them.
//!
//! A cursor's query runs once, at DECLARE, against the session's state then (PostgreSQL's
//! cursors also read the snapshot of their DECLARE); its rows are kept and a position moves
//! over them. The position runs from 0 (before the first row) to `len + 1` (after the last),
//! as in PostgreSQL: FETCH NEXT moves one forward and returns the row it lands on, FETCH
//! ABSOLUTE n lands on row n, and so on. A cursor without HOLD is closed when its transaction
//! block ends; a WITH HOLD cursor outlives the COMMIT of its block (not a ROLLBACK).
//!
//! sqlparser has no MOVE and reads only some of FETCH's forms (no negative counts, no bare
//! `FETCH name`), so [`parse_fetch`] reads a lone FETCH or MOVE itself; a MOVE is carried as a
//! `Statement::Fetch` whose INTO names [`MOVE_MARKER`] (FETCH ... INTO is not PostgreSQL SQL,
//! so no statement a client sends has it).

use std::collections::HashMap;

use sqlparser::ast::{FetchDirection, Ident, ObjectName, Statement, Value as SqlValue};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::session::StatementResult;

/// The INTO target that marks a `Statement::Fetch` as a MOVE.
pub const MOVE_MARKER: &str = "\u{0}move";

/// Where a FETCH or MOVE goes, resolved from sqlparser's [`FetchDirection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Absolute(i64),
    Relative(i64),
    /// `n` rows forward (`None`: all).
    Forward(Option<u64>),
    /// `n` rows backward (`None`: all).
    Backward(Option<u64>),
}

fn count(value: &SqlValue) -> Result<i64> {
    match value {
        SqlValue::Number(n, _) => n.parse::<i64>().map_err(|_| Error::Syntax {
            message: format!("syntax error at or near \"{n}\""),
            position: None,
        }),
        other => Err(Error::Syntax {
            message: format!("syntax error at or near \"{other}\""),
            position: None,
        }),
    }
}

impl Direction {
    fn of(direction: &FetchDirection) -> Result<Direction> {
        let signed = |n: i64| {
            if n >= 0 {
                Direction::Forward(Some(n.unsigned_abs()))
            } else {
                Direction::Backward(Some(n.unsigned_abs()))
            }
        };
        Ok(match direction {
            FetchDirection::Count { limit } => signed(count(limit)?),
            FetchDirection::Next => Direction::Forward(Some(1)),
            FetchDirection::Prior => Direction::Backward(Some(1)),
            FetchDirection::First => Direction::Absolute(1),
            FetchDirection::Last => Direction::Absolute(-1),
            FetchDirection::Absolute { limit } => Direction::Absolute(count(limit)?),
            FetchDirection::Relative { limit } => Direction::Relative(count(limit)?),
            FetchDirection::All | FetchDirection::ForwardAll => Direction::Forward(None),
            FetchDirection::Forward { limit: None } => Direction::Forward(Some(1)),
            FetchDirection::Forward { limit: Some(n) } => signed(count(n)?),
            FetchDirection::Backward { limit: None } => Direction::Backward(Some(1)),
            FetchDirection::Backward { limit: Some(n) } => match count(n)? {
                n if n >= 0 => Direction::Backward(Some(n.unsigned_abs())),
                n => Direction::Forward(Some(n.unsigned_abs())),
            },
            FetchDirection::BackwardAll => Direction::Backward(None),
        })
    }
}

/// One open cursor.
#[derive(Debug)]
struct Cursor {
    columns: Vec<(String, Type)>,
    rows: Vec<Vec<Value>>,
    /// 0: before the first row; `rows.len() + 1`: after the last.
    position: usize,
    /// NO SCROLL forbids fetching backward.
    scroll: bool,
    hold: bool,
    /// Declared in the transaction block now open (a ROLLBACK closes it even WITH HOLD).
    in_block: bool,
}

impl Cursor {
    /// Whether `direction` moves back from the current position (which NO SCROLL forbids).
    fn goes_backward(&self, direction: Direction) -> bool {
        match direction {
            Direction::Backward(n) => n != Some(0),
            Direction::Forward(_) => false,
            Direction::Absolute(n) if n >= 0 => (n as usize) < self.position,
            Direction::Absolute(_) => true,
            Direction::Relative(n) => n < 0,
        }
    }

    fn end(&self) -> usize {
        self.rows.len() + 1
    }

    /// The row at the current position, if it is on one.
    fn current(&self) -> Option<&Vec<Value>> {
        self.position.checked_sub(1).and_then(|i| self.rows.get(i))
    }

    /// Moves to absolute position `target` (clamped), returning the row landed on.
    fn land(&mut self, target: i64) -> Option<Vec<Value>> {
        let end = self.end() as i64;
        self.position = target.clamp(0, end) as usize;
        self.current().cloned()
    }

    /// Steps one row forward or backward, returning the row landed on (`None` once past
    /// either end, where the position stops).
    fn step(&mut self, forward: bool) -> Option<Vec<Value>> {
        if forward {
            if self.position < self.end() {
                self.position += 1;
            }
        } else if self.position > 0 {
            self.position -= 1;
        }
        self.current().cloned()
    }

    /// Runs a FETCH (or a MOVE, which returns no rows) and returns the rows and their count.
    fn fetch(&mut self, direction: Direction) -> (Vec<Vec<Value>>, usize) {
        let mut rows = Vec::new();
        match direction {
            Direction::Absolute(n) => {
                let target = if n >= 0 { n } else { self.end() as i64 + n };
                rows.extend(self.land(target));
            }
            Direction::Relative(0) => rows.extend(self.current().cloned()),
            Direction::Relative(n) => {
                let target = self.position as i64 + n;
                rows.extend(self.land(target));
            }
            Direction::Forward(limit) | Direction::Backward(limit) => {
                let forward = matches!(direction, Direction::Forward(_));
                let limit = limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
                // FETCH 0 / FORWARD 0 re-fetches the current row, as RELATIVE 0.
                if limit == 0 {
                    rows.extend(self.current().cloned());
                }
                while rows.len() < limit {
                    match self.step(forward) {
                        Some(row) => rows.push(row),
                        None => break,
                    }
                }
            }
        }
        let n = rows.len();
        (rows, n)
    }
}

/// A session's open cursors, by name.
#[derive(Debug, Default)]
pub struct Cursors {
    open: HashMap<String, Cursor>,
}

fn missing(name: &str) -> Error {
    Error::invalid("34000", format!("cursor \"{name}\" does not exist"))
}

impl Cursors {
    /// Opens cursor `name` over a query's result.
    pub fn declare(
        &mut self,
        name: &str,
        columns: Vec<(String, Type)>,
        rows: Vec<Vec<Value>>,
        scroll: bool,
        hold: bool,
        in_block: bool,
    ) -> Result<()> {
        if self.open.contains_key(name) {
            return Err(Error::invalid(
                "42P03",
                format!("cursor \"{name}\" already exists"),
            ));
        }
        self.open.insert(
            name.to_string(),
            Cursor {
                columns,
                rows,
                position: 0,
                scroll,
                hold,
                in_block,
            },
        );
        Ok(())
    }

    /// Runs `FETCH direction FROM name` (tag `FETCH n`) or, with `is_move`, `MOVE` (tag
    /// `MOVE n`, no rows).
    pub fn fetch(
        &mut self,
        name: &str,
        direction: &FetchDirection,
        is_move: bool,
    ) -> Result<StatementResult> {
        let direction = Direction::of(direction)?;
        let cursor = self.open.get_mut(name).ok_or_else(|| missing(name))?;
        if !cursor.scroll && cursor.goes_backward(direction) {
            return Err(Error::invalid("55000", "cursor can only scan forward"));
        }
        let (rows, n) = cursor.fetch(direction);
        if is_move {
            return Ok(StatementResult::Command {
                tag: format!("MOVE {n}"),
            });
        }
        Ok(StatementResult::Rows {
            columns: cursor.columns.clone(),
            rows,
            tag: Some(format!("FETCH {n}")),
        })
    }

    /// The result columns of cursor `name` (what Describe of a portal by that name answers).
    pub fn columns(&self, name: &str) -> Option<&[(String, Type)]> {
        self.open.get(name).map(|c| c.columns.as_slice())
    }

    /// `CLOSE name`, or `CLOSE ALL` with `None`.
    pub fn close(&mut self, name: Option<&str>) -> Result<()> {
        match name {
            None => self.open.clear(),
            Some(name) => {
                self.open.remove(name).ok_or_else(|| missing(name))?;
            }
        }
        Ok(())
    }

    /// The end of a transaction block: cursors without HOLD close; WITH HOLD cursors declared
    /// in the block survive a COMMIT but not a ROLLBACK.
    pub fn end_block(&mut self, committed: bool) {
        self.open
            .retain(|_, c| c.hold && (committed || !c.in_block));
        for cursor in self.open.values_mut() {
            cursor.in_block = false;
        }
    }

    /// The open cursors' names and whether each is WITH HOLD and scrollable (for pg_cursors).
    pub fn list(&self) -> Vec<(String, bool, bool)> {
        let mut list: Vec<_> = self
            .open
            .iter()
            .map(|(name, c)| (name.clone(), c.hold, c.scroll))
            .collect();
        list.sort();
        list
    }
}

/// Reads a lone `FETCH` or `MOVE` statement in any of PostgreSQL's forms; `None` for any other
/// text (which sqlparser then reads).
pub fn parse_fetch(sql: &str) -> Option<Result<Statement>> {
    let start = sql.trim_start();
    let first = start.get(..5)?;
    if !first.eq_ignore_ascii_case("fetch") && !start.get(..4)?.eq_ignore_ascii_case("move") {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut words: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    while matches!(words.last(), Some(Token::SemiColon)) {
        words.pop();
    }
    if words.iter().any(|t| matches!(t, Token::SemiColon)) {
        return None;
    }
    Some(fetch_from_tokens(&words))
}

fn syntax(token: Option<&&Token>) -> Error {
    match token {
        Some(t) => Error::Syntax {
            message: format!("syntax error at or near \"{t}\""),
            position: None,
        },
        None => Error::Syntax {
            message: "syntax error at end of input".into(),
            position: None,
        },
    }
}

fn keyword(token: Option<&&Token>) -> Option<String> {
    match token {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// A signed count at `tokens[*i]` (`5`, `-1`, `+2`), advancing past it.
fn signed_count(tokens: &[&Token], i: &mut usize) -> Option<SqlValue> {
    let sign = match tokens.get(*i) {
        Some(Token::Minus) => {
            *i += 1;
            "-"
        }
        Some(Token::Plus) => {
            *i += 1;
            ""
        }
        _ => "",
    };
    match tokens.get(*i) {
        Some(Token::Number(n, _)) => {
            *i += 1;
            Some(SqlValue::Number(format!("{sign}{n}"), false))
        }
        _ => None,
    }
}

fn fetch_from_tokens(tokens: &[&Token]) -> Result<Statement> {
    let is_move = keyword(tokens.first()).as_deref() == Some("MOVE");
    let mut i = 1;
    let word = keyword(tokens.get(i));
    let direction = match word.as_deref() {
        Some("NEXT") => Some(FetchDirection::Next),
        Some("PRIOR") => Some(FetchDirection::Prior),
        Some("FIRST") => Some(FetchDirection::First),
        Some("LAST") => Some(FetchDirection::Last),
        Some("ALL") => Some(FetchDirection::All),
        Some("ABSOLUTE") | Some("RELATIVE") => {
            i += 1;
            let limit = signed_count(tokens, &mut i).ok_or_else(|| syntax(tokens.get(i)))?;
            i -= 1;
            Some(if word.as_deref() == Some("ABSOLUTE") {
                FetchDirection::Absolute { limit }
            } else {
                FetchDirection::Relative { limit }
            })
        }
        Some("FORWARD") | Some("BACKWARD") => {
            let forward = word.as_deref() == Some("FORWARD");
            let mut j = i + 1;
            if keyword(tokens.get(j)).as_deref() == Some("ALL") {
                i = j;
                Some(if forward {
                    FetchDirection::ForwardAll
                } else {
                    FetchDirection::BackwardAll
                })
            } else {
                let limit = signed_count(tokens, &mut j);
                if limit.is_some() {
                    i = j - 1;
                }
                Some(if forward {
                    FetchDirection::Forward { limit }
                } else {
                    FetchDirection::Backward { limit }
                })
            }
        }
        _ => {
            let mut j = i;
            signed_count(tokens, &mut j).map(|limit| {
                i = j - 1;
                FetchDirection::Count { limit }
            })
        }
    };
    let direction = match direction {
        Some(direction) => {
            i += 1;
            direction
        }
        None => FetchDirection::Next,
    };
    if matches!(keyword(tokens.get(i)).as_deref(), Some("FROM" | "IN")) {
        i += 1;
    }
    let name = match tokens.get(i) {
        Some(Token::Word(w)) => match w.quote_style {
            Some(_) => w.value.clone(),
            None => w.value.to_lowercase(),
        },
        other => return Err(syntax(other)),
    };
    if tokens.len() > i + 1 {
        return Err(syntax(tokens.get(i + 1)));
    }
    Ok(Statement::Fetch {
        name: Ident::with_quote('"', name),
        direction,
        into: is_move.then(|| ObjectName(vec![Ident::new(MOVE_MARKER)])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(sql: &str) -> (String, FetchDirection, bool) {
        match parse_fetch(sql).unwrap().unwrap() {
            Statement::Fetch {
                name,
                direction,
                into,
            } => (name.value, direction, into.is_some()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_form_of_fetch_and_move_parses() {
        assert_eq!(parsed("FETCH c"), ("c".into(), FetchDirection::Next, false));
        assert_eq!(parsed("fetch next from C;").0, "c");
        assert_eq!(parsed("MOVE \"C\"").0, "C");
        assert!(parsed("MOVE ABSOLUTE -1 IN c").2);
        assert_eq!(
            parsed("FETCH FORWARD FROM c").1,
            FetchDirection::Forward { limit: None }
        );
        assert_eq!(
            parsed("FETCH -2 FROM c").1,
            FetchDirection::Count {
                limit: SqlValue::Number("-2".into(), false)
            }
        );
        assert_eq!(
            parsed("FETCH BACKWARD ALL c").1,
            FetchDirection::BackwardAll
        );
        assert!(parse_fetch("FETCH FROM").unwrap().is_err());
        assert!(parse_fetch("FETCH 1 FROM c; FETCH 2 FROM c").is_none());
        assert!(parse_fetch("SELECT 1").is_none());
    }
}
