//! GROUP BY clauses as grouping sets: expands ROLLUP, CUBE, GROUPING SETS, the empty set `()`
//! and plain items into the distinct key expressions and a list of sets, each set the indices
//! of the keys it groups by.
//!
//! The items of a GROUP BY combine as PostgreSQL combines them: the result is the cross product
//! of each item's sets (`GROUP BY a, ROLLUP (b, c)` is `{a,b,c}, {a,b}, {a}`). A plain
//! `GROUP BY a, b` is the one set `{a, b}`; no GROUP BY at all is the one empty set. Duplicate
//! sets stay (each yields its own rows), as in PostgreSQL without `GROUP BY DISTINCT`.

use sqlparser::ast;

use crate::error::{Error, Result};
use crate::planner::expr::ident_name;

/// PostgreSQL's limits: CUBE of at most 12 elements, at most 4096 grouping sets.
const MAX_CUBE: usize = 12;
const MAX_SETS: usize = 4096;

/// The keys of a GROUP BY and its grouping sets over them.
#[derive(Debug, Default)]
pub struct GroupingSets {
    pub keys: Vec<ast::Expr>,
    pub sets: Vec<Vec<usize>>,
}

/// The first GROUP BY item of `GROUP BY DISTINCT ...` as the parser's fallback rewrites it
/// (sqlparser reads no DISTINCT there).
const DISTINCT_MARKER: &str = "#group by distinct";

/// Expands `items`; `resolve` turns an item (a position, an alias) into the expression it stands
/// for. With `GROUP BY DISTINCT`, duplicate sets (as sets of keys) are dropped.
pub fn expand(
    items: &[ast::Expr],
    resolve: &dyn Fn(&ast::Expr) -> Result<ast::Expr>,
) -> Result<GroupingSets> {
    let distinct = matches!(items.first(), Some(ast::Expr::Identifier(i))
        if i.quote_style == Some('"') && i.value == DISTINCT_MARKER);
    let items = if distinct { &items[1..] } else { items };
    let mut expansion = Expansion {
        keys: Vec::new(),
        resolve,
    };
    let mut sets: Vec<Vec<usize>> = vec![Vec::new()];
    for item in items {
        let item_sets = expansion.item(item)?;
        sets = cross(&sets, &item_sets)?;
    }
    if distinct {
        let mut seen: Vec<Vec<usize>> = Vec::new();
        sets.retain(|set| {
            let mut sorted = set.clone();
            sorted.sort_unstable();
            let fresh = !seen.contains(&sorted);
            seen.push(sorted);
            fresh
        });
    }
    Ok(GroupingSets {
        keys: expansion.keys,
        sets,
    })
}

/// Every union of a set of `left` with a set of `right`.
fn cross(left: &[Vec<usize>], right: &[Vec<usize>]) -> Result<Vec<Vec<usize>>> {
    if left.len().saturating_mul(right.len()) > MAX_SETS {
        return Err(Error::invalid("54001", "too many grouping sets present"));
    }
    Ok(left
        .iter()
        .flat_map(|l| right.iter().map(move |r| union(l, r)))
        .collect())
}

fn union(left: &[usize], right: &[usize]) -> Vec<usize> {
    let mut set = left.to_vec();
    set.extend(right.iter().filter(|k| !left.contains(k)));
    set
}

struct Expansion<'a> {
    keys: Vec<ast::Expr>,
    resolve: &'a dyn Fn(&ast::Expr) -> Result<ast::Expr>,
}

impl Expansion<'_> {
    /// The sets one top-level item (or one element of GROUPING SETS) stands for.
    fn item(&mut self, item: &ast::Expr) -> Result<Vec<Vec<usize>>> {
        match item {
            ast::Expr::Rollup(lists) => {
                let elements = self.elements(lists)?;
                // (), (e1), (e1, e2), ...: listed longest first, as PostgreSQL does.
                let mut sets: Vec<Vec<usize>> = (0..=elements.len())
                    .map(|n| elements[..n].iter().fold(Vec::new(), |s, e| union(&s, e)))
                    .collect();
                sets.reverse();
                Ok(sets)
            }
            ast::Expr::Cube(lists) => {
                let elements = self.elements(lists)?;
                if elements.len() > MAX_CUBE {
                    return Err(Error::invalid("54011", "CUBE is limited to 12 elements"));
                }
                let n = elements.len();
                let mut sets = Vec::with_capacity(1 << n);
                for mask in (0..1usize << n).rev() {
                    let set = (0..n)
                        .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                        .fold(Vec::new(), |s, i| union(&s, &elements[i]));
                    sets.push(set);
                }
                Ok(sets)
            }
            ast::Expr::GroupingSets(lists) => {
                let mut sets = Vec::new();
                for list in lists {
                    // Each element is itself a GROUP BY list (one set per combination).
                    let mut element: Vec<Vec<usize>> = vec![Vec::new()];
                    for e in list {
                        element = cross(&element, &self.item(e)?)?;
                    }
                    sets.extend(element);
                    if sets.len() > MAX_SETS {
                        return Err(Error::invalid("54001", "too many grouping sets present"));
                    }
                }
                Ok(sets)
            }
            // `(a, b)` groups by both; `()` is the empty set.
            ast::Expr::Tuple(exprs) => {
                let mut set = Vec::new();
                for e in exprs {
                    let sets = self.item(e)?;
                    set = match sets.as_slice() {
                        [one] => union(&set, one),
                        _ => return Err(nested(e)),
                    };
                }
                Ok(vec![set])
            }
            ast::Expr::Nested(inner) if is_set_syntax(inner) => self.item(inner),
            ast::Expr::Function(f) if set_function(f).is_some() => {
                let lists = function_lists(f)?;
                match set_function(f) {
                    Some("rollup") => self.item(&ast::Expr::Rollup(lists)),
                    _ => self.item(&ast::Expr::Cube(lists)),
                }
            }
            other => Ok(vec![vec![self.key(other)?]]),
        }
    }

    /// The elements of a ROLLUP or CUBE: each a set of keys (`(a, b)` is one element).
    fn elements(&mut self, lists: &[Vec<ast::Expr>]) -> Result<Vec<Vec<usize>>> {
        lists
            .iter()
            .map(|list| {
                list.iter()
                    .map(|e| match e {
                        ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_) => {
                            Err(nested(e))
                        }
                        _ => self.key(e),
                    })
                    .collect()
            })
            .collect()
    }

    /// The index of key `expr`, adding it if new.
    fn key(&mut self, expr: &ast::Expr) -> Result<usize> {
        let expr = (self.resolve)(expr)?;
        Ok(match self.keys.iter().position(|k| *k == expr) {
            Some(i) => i,
            None => {
                self.keys.push(expr);
                self.keys.len() - 1
            }
        })
    }
}

/// Whether `expr` is ROLLUP, CUBE or GROUPING SETS syntax (not a plain key).
fn is_set_syntax(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_) => true,
        ast::Expr::Function(f) => set_function(f).is_some(),
        _ => false,
    }
}

/// `rollup(...)` / `cube(...)` parsed as function calls (inside GROUPING SETS, where sqlparser
/// reads each element as an expression).
fn set_function(f: &ast::Function) -> Option<&'static str> {
    let [name] = f.name.0.as_slice() else {
        return None;
    };
    if name.quote_style.is_some() || f.over.is_some() || f.filter.is_some() {
        return None;
    }
    match ident_name(name).as_str() {
        "rollup" => Some("rollup"),
        "cube" => Some("cube"),
        _ => None,
    }
}

/// A `rollup(...)` call's arguments as ROLLUP elements (a row `(a, b)` is one element).
fn function_lists(f: &ast::Function) -> Result<Vec<Vec<ast::Expr>>> {
    let ast::FunctionArguments::List(list) = &f.args else {
        return Ok(Vec::new());
    };
    list.args
        .iter()
        .map(|arg| match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Tuple(es))) => {
                Ok(es.clone())
            }
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(vec![e.clone()]),
            _ => Err(Error::invalid(
                "42601",
                format!("syntax error at or near \"{arg}\""),
            )),
        })
        .collect()
}

fn nested(expr: &ast::Expr) -> Error {
    Error::invalid("42601", format!("syntax error at or near \"{expr}\""))
}

/// The text of `sql` with each bare element of a `GROUPING SETS (...)` list parenthesized
/// (`GROUPING SETS (a, (b, c), ())` becomes `GROUPING SETS ((a), (b, c), ())`): sqlparser reads
/// only parenthesized elements there, where PostgreSQL takes any grouping element. The
/// DISTINCT of `GROUP BY DISTINCT` becomes a marker first item. `None` when there is nothing
/// to rewrite.
pub fn parenthesize_elements(sql: &str) -> Option<String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize, k: Keyword| matches!(&tokens[i], Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    // Token positions before which to insert "(" and ")"; DISTINCT tokens to mark.
    let mut opens = Vec::new();
    let mut closes = Vec::new();
    let mut distinct = Vec::new();
    for n in 0..significant.len() {
        if keyword(significant[n], Keyword::GROUP)
            && significant
                .get(n + 1)
                .is_some_and(|&j| keyword(j, Keyword::BY))
            && significant
                .get(n + 2)
                .is_some_and(|&j| keyword(j, Keyword::DISTINCT))
        {
            distinct.push(significant[n + 2]);
        }
        let is_sets = keyword(significant[n], Keyword::GROUPING)
            && significant
                .get(n + 1)
                .is_some_and(|&j| keyword(j, Keyword::SETS))
            && significant
                .get(n + 2)
                .is_some_and(|&j| tokens[j] == Token::LParen);
        if !is_sets {
            continue;
        }
        // Walk the list's elements at depth 1.
        let mut k = n + 3;
        let mut depth = 1usize;
        let mut element_start = Some(k);
        while let Some(&j) = significant.get(k) {
            match &tokens[j] {
                Token::LParen => depth += 1,
                Token::RParen | Token::Comma if depth == 1 => {
                    if let Some(start) = element_start.take() {
                        let first = significant[start];
                        let last = significant[k - 1];
                        let bare = tokens[first] != Token::LParen
                            || !matches!(tokens[last], Token::RParen)
                            || !single_group(&tokens, &significant[start..k]);
                        if bare && start < k {
                            opens.push(first);
                            closes.push(j);
                        }
                    }
                    if tokens[j] == Token::RParen {
                        break;
                    }
                    element_start = Some(k + 1);
                }
                Token::RParen => depth -= 1,
                _ => {}
            }
            k += 1;
        }
    }
    if opens.is_empty() && distinct.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(sql.len() + 2 * opens.len());
    for (i, token) in tokens.iter().enumerate() {
        if distinct.contains(&i) {
            text.push_str(&format!("\"{DISTINCT_MARKER}\","));
            continue;
        }
        for _ in closes.iter().filter(|&&c| c == i) {
            text.push(')');
        }
        for _ in opens.iter().filter(|&&o| o == i) {
            text.push('(');
        }
        text.push_str(&token.to_string());
    }
    Some(text)
}

/// Whether the tokens (at `positions`) are one parenthesized group: the first "(" closes at the
/// last token.
fn single_group(tokens: &[sqlparser::tokenizer::Token], positions: &[usize]) -> bool {
    use sqlparser::tokenizer::Token;
    let mut depth = 0usize;
    for (n, &p) in positions.iter().enumerate() {
        match tokens[p] {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 && n + 1 < positions.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}
