//! Expressions sqlparser 0.52 does not parse, rewritten into syntax it does by the parser's
//! fallback (see [`super::rewrite_unparsed_syntax`]):
//!
//! - `x BETWEEN SYMMETRIC a AND b` becomes `x BETWEEN "#between symmetric"(a) AND b`, a marker
//!   call around the lower bound that [`take_symmetric`] recognises when the BETWEEN is bound;
//!   `BETWEEN ASYMMETRIC` is plain BETWEEN.
//! - `(s1, e1) OVERLAPS (s2, e2)` becomes `overlaps(s1, e1, s2, e2)`, PostgreSQL's own function
//!   for the operator.
//!
//! - `x::text COLLATE "C"`: sqlparser reads no COLLATE after a cast. vdb compares text by its
//!   bytes whatever the collation (binding drops a COLLATE it parses), so the clause is dropped.
//!
//! - `UPDATE ... SET a[i] = v` (also in ON CONFLICT DO UPDATE): sqlparser reads only a column
//!   name before the `=`; the assignment becomes `a = "#array element"(a, i, v)`, bound as
//!   PostgreSQL's element assignment ([`ARRAY_ELEMENT`]).
//!
//! - `substring(s SIMILAR pattern ESCAPE e)` becomes `"#substring similar"(s, pattern, e)`
//!   ([`SUBSTRING_SIMILAR`]), bound as the SQL-standard regular-expression substring.
//! - `FOR NO KEY UPDATE` and `FOR KEY SHARE` become `FOR UPDATE` and `FOR SHARE`.
//! - `ROWS FROM (f(...), g(...)) [AS] alias` becomes `(SELECT f(...), g(...)) AS alias`: set
//!   functions side by side in a select list run in step, the shorter padded with NULLs, as
//!   ROWS FROM's do (WITH ORDINALITY is not read this way).
//!
//! The rewrites produce plain AST, so they survive views and prepared statements.

use sqlparser::ast;
use sqlparser::tokenizer::Token;

/// The marker function's name: a quoted identifier no user function can have.
const SYMMETRIC_MARKER: &str = "#between symmetric";

/// The function `substring(s SIMILAR pattern ESCAPE e)` becomes: `(s, pattern, e)`.
pub const SUBSTRING_SIMILAR: &str = "#substring similar";

/// The function an array element assignment becomes: `(array, subscript, value)`.
pub const ARRAY_ELEMENT: &str = "#array element";

/// The lower bound of a BETWEEN, and whether the BETWEEN is SYMMETRIC (its bound wrapped in the
/// marker call).
pub fn take_symmetric(low: &ast::Expr) -> (&ast::Expr, bool) {
    if let ast::Expr::Function(f) = low {
        if let ([name], ast::FunctionArguments::List(list)) = (f.name.0.as_slice(), &f.args) {
            if name.quote_style.is_some() && name.value == SYMMETRIC_MARKER {
                if let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(bound))] =
                    list.args.as_slice()
                {
                    return (bound, true);
                }
            }
        }
    }
    (low, false)
}

/// `sql` with every BETWEEN SYMMETRIC / ASYMMETRIC, OVERLAPS and COLLATE rewritten; `None`
/// when none occurs (or the text does not tokenize).
pub fn rewrite(sql: &str) -> Option<String> {
    let (tokens, significant) = crate::tokens::significant(sql)?;
    let word = |n: usize, w: &str| {
        significant
            .get(n)
            .is_some_and(|&i| crate::tokens::is_word(&tokens[i], w))
    };
    let token = |n: usize| significant.get(n).map(|&i| &tokens[i]);
    // Replacement text for a token (by index into `tokens`); an empty string drops it.
    let mut replaced: Vec<(usize, String)> = Vec::new();
    for n in 0..significant.len() {
        if word(n, "between") && word(n + 1, "asymmetric") {
            replaced.push((significant[n + 1], String::new()));
        } else if word(n, "between") && word(n + 1, "symmetric") {
            // The lower bound runs to the first AND outside parentheses and CASE expressions.
            let mut depth = 0usize;
            let mut end = None;
            for k in n + 2..significant.len() {
                match token(k) {
                    Some(Token::LParen) => depth += 1,
                    Some(Token::RParen) if depth == 0 => break,
                    Some(Token::RParen) => depth -= 1,
                    _ if word(k, "case") => depth += 1,
                    _ if word(k, "end") && depth > 0 => depth -= 1,
                    _ if depth == 0 && word(k, "and") => {
                        end = Some(k);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end.filter(|&e| e > n + 2) else {
                continue;
            };
            replaced.push((significant[n + 1], format!("\"{SYMMETRIC_MARKER}\"(")));
            replaced.push((significant[end], ") AND".to_string()));
        } else if word(n, "collate") && n > 0 {
            // COLLATE name, the name perhaps schema-qualified.
            let mut last = n + 1;
            if !matches!(token(last), Some(Token::Word(_))) {
                continue;
            }
            while token(last + 1) == Some(&Token::Period)
                && matches!(token(last + 2), Some(Token::Word(_)))
            {
                last += 2;
            }
            replaced.extend(significant[n..=last].iter().map(|&i| (i, String::new())));
        } else if matches!(token(n), Some(Token::Word(_)))
            && token(n + 1) == Some(&Token::LBracket)
            && n > 0
            && (word(n - 1, "set") || token(n - 1) == Some(&Token::Comma))
        {
            // `a[i] = v` in a SET list: the subscript runs to its "]", the value to the next
            // "," outside brackets, or to the clause or statement after the list.
            let Some(close) = crate::tokens::closing(&tokens, &significant, n + 1) else {
                continue;
            };
            if token(close + 1) != Some(&Token::Eq) {
                continue;
            }
            let mut depth = 0usize;
            let mut end = significant.len();
            for k in close + 2..significant.len() {
                match token(k) {
                    Some(Token::LParen | Token::LBracket) => depth += 1,
                    Some(Token::RParen | Token::RBracket) if depth == 0 => {
                        end = k;
                        break;
                    }
                    Some(Token::RParen | Token::RBracket) => depth -= 1,
                    _ if word(k, "case") => depth += 1,
                    _ if word(k, "end") && depth > 0 => depth -= 1,
                    Some(Token::Comma | Token::SemiColon | Token::EOF) if depth == 0 => {
                        end = k;
                        break;
                    }
                    _ if depth == 0
                        && (word(k, "from") || word(k, "where") || word(k, "returning")) =>
                    {
                        end = k;
                        break;
                    }
                    _ => {}
                }
            }
            if end <= close + 2 {
                continue;
            }
            let mut column = tokens[significant[n]].to_string();
            if let Some(target) = conflict_target(&significant, &tokens, n) {
                // In ON CONFLICT DO UPDATE a bare name would also match EXCLUDED's column.
                column = format!("{target}.{column}");
            }
            replaced.push((significant[n + 1], String::new()));
            replaced.extend(
                significant[n + 2..close]
                    .iter()
                    .map(|&i| (i, String::new())),
            );
            let subscript: String = (significant[n + 2]..significant[close])
                .map(|i| tokens[i].to_string())
                .collect();
            replaced.push((
                significant[close],
                format!(" = \"{ARRAY_ELEMENT}\"({column}, {subscript}, "),
            ));
            replaced.push((significant[close + 1], String::new()));
            let last = significant[end - 1];
            let text = format!("{})", tokens[last]);
            match replaced.iter_mut().find(|(at, _)| *at == last) {
                Some(entry) => entry.1.push(')'),
                None => replaced.push((last, text)),
            }
        } else if word(n, "for")
            && ((word(n + 1, "no") && word(n + 2, "key") && word(n + 3, "update"))
                || (word(n + 1, "key") && word(n + 2, "share")))
        {
            // FOR NO KEY UPDATE / FOR KEY SHARE lock no more than FOR UPDATE / FOR SHARE,
            // which is what vdb's branch lock already gives.
            let words = if word(n + 1, "no") { 2 } else { 1 };
            replaced.extend(
                significant[n + 1..n + 1 + words]
                    .iter()
                    .map(|&i| (i, String::new())),
            );
        } else if word(n, "substring") && token(n + 1) == Some(&Token::LParen) {
            // substring(s SIMILAR pattern ESCAPE e): the call [`SUBSTRING_SIMILAR`].
            let Some(close) = crate::tokens::closing(&tokens, &significant, n + 1) else {
                continue;
            };
            let mut depth = 0usize;
            let (mut similar, mut escape) = (None, None);
            for k in n + 2..close {
                match token(k) {
                    Some(Token::LParen | Token::LBracket) => depth += 1,
                    Some(Token::RParen | Token::RBracket) => depth = depth.saturating_sub(1),
                    _ if depth == 0 && word(k, "similar") && similar.is_none() => {
                        similar = Some(k);
                    }
                    _ if depth == 0 && word(k, "escape") && similar.is_some() => escape = Some(k),
                    _ => {}
                }
            }
            let (Some(similar), Some(escape)) = (similar, escape) else {
                continue;
            };
            replaced.push((significant[n], format!("\"{SUBSTRING_SIMILAR}\"")));
            replaced.push((significant[similar], ",".to_string()));
            replaced.push((significant[escape], ",".to_string()));
        } else if word(n, "rows")
            && word(n + 1, "from")
            && token(n + 2) == Some(&Token::LParen)
            && matches!(token(n + 3), Some(Token::Word(_)))
            && token(n + 4) == Some(&Token::LParen)
            && !word(n + 3, "select")
            && !word(n + 3, "values")
        {
            // ROWS FROM (f(...), g(...)) [AS] alias: the functions side by side, as set
            // functions in a select list run (in step, the shorter padded with NULLs).
            let Some(close) = crate::tokens::closing(&tokens, &significant, n + 2) else {
                continue;
            };
            if word(close + 1, "with") {
                continue; // WITH ORDINALITY is not read this way.
            }
            replaced.push((significant[n], "(SELECT".to_string()));
            replaced.push((significant[n + 1], String::new()));
            replaced.push((significant[n + 2], String::new()));
            let named = word(close + 1, "as")
                || matches!(token(close + 1), Some(Token::Word(w)) if w.keyword == sqlparser::keywords::Keyword::NoKeyword);
            if !named {
                let first = tokens[significant[n + 3]].to_string();
                replaced.push((significant[close], format!(") AS {first}")));
            }
        } else if word(n, "overlaps") {
            let Some((left_open, left_row)) = open_before(&significant, &tokens, n) else {
                continue;
            };
            let right_row = word(n + 1, "row");
            let right_open = if right_row { n + 2 } else { n + 1 };
            if token(right_open) != Some(&Token::LParen) {
                continue;
            }
            if let Some(row) = left_row {
                replaced.push((significant[row], String::new()));
            }
            replaced.push((significant[left_open], "overlaps(".to_string()));
            replaced.push((significant[n - 1], String::new()));
            replaced.push((significant[n], ",".to_string()));
            if right_row {
                replaced.push((significant[n + 1], String::new()));
            }
            replaced.push((significant[right_open], String::new()));
        }
    }
    if replaced.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(sql.len() + 32);
    for (i, token) in tokens.iter().enumerate() {
        match replaced.iter().find(|(at, _)| *at == i) {
            Some((_, with)) => text.push_str(with),
            None => text.push_str(&token.to_string()),
        }
    }
    Some(text)
}

/// For a SET list at significant position `n` that belongs to `ON CONFLICT ... DO UPDATE`: the
/// name the INSERT's target table goes by (its alias, else its name without the schema).
fn conflict_target(significant: &[usize], tokens: &[Token], n: usize) -> Option<String> {
    let word = |k: usize| match &tokens[significant[k]] {
        Token::Word(w) => Some(w),
        _ => None,
    };
    let is = |k: usize, kw: &str| crate::tokens::is_word(&tokens[significant[k]], kw);
    let set = (0..n).rev().find(|&k| is(k, "set"))?;
    if set < 2 || !is(set - 1, "update") || !is(set - 2, "do") {
        return None;
    }
    let into = (0..set).find(|&k| is(k, "into"))?;
    let mut last = into + 1;
    while last + 2 < set && tokens[significant[last + 1]] == Token::Period {
        last += 2;
    }
    let name = if last + 2 < set && is(last + 1, "as") {
        word(last + 2)?
    } else {
        word(last)?
    };
    Some(Token::Word(name.clone()).to_string())
}

/// For the OVERLAPS at significant position `n`: the position of the "(" that opens the row
/// before it, and of a ROW keyword in front of that "(".
fn open_before(
    significant: &[usize],
    tokens: &[Token],
    n: usize,
) -> Option<(usize, Option<usize>)> {
    let close = n.checked_sub(1)?;
    if tokens[significant[close]] != Token::RParen {
        return None;
    }
    let mut depth = 0usize;
    let mut k = close;
    loop {
        match &tokens[significant[k]] {
            Token::RParen => depth += 1,
            Token::LParen => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        k = k.checked_sub(1)?;
    }
    let row = k
        .checked_sub(1)
        .filter(|&r| crate::tokens::is_word(&tokens[significant[r]], "row"));
    Some((k, row))
}
