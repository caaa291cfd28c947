//! Window frame exclusion (`EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS`), which sqlparser
//! does not parse. The parser's fallback rewrites the clause into a marker ORDER BY key of the
//! same window (a quoted identifier no column can have), and the window planner takes the
//! marker off the window's ORDER BY again: the exclusion then travels with its window through
//! named windows, views and prepared statements as plain AST.

use sqlparser::ast;

/// Which rows of the frame a window's row leaves out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Exclusion {
    #[default]
    NoOthers,
    CurrentRow,
    /// The current row and its peers.
    Group,
    /// The current row's peers, not the row itself.
    Ties,
}

const MARKER: &str = "#frame exclude ";

impl Exclusion {
    fn marker_name(self) -> &'static str {
        match self {
            Exclusion::NoOthers => "no others",
            Exclusion::CurrentRow => "current row",
            Exclusion::Group => "group",
            Exclusion::Ties => "ties",
        }
    }
}

/// Removes the marker from a window's ORDER BY, returning the exclusion it stands for.
pub fn take(order_by: &mut Vec<ast::OrderByExpr>) -> Exclusion {
    let Some(last) = order_by.last() else {
        return Exclusion::NoOthers;
    };
    let ast::Expr::Identifier(ident) = &last.expr else {
        return Exclusion::NoOthers;
    };
    if ident.quote_style != Some('"') {
        return Exclusion::NoOthers;
    }
    let Some(which) = ident.value.strip_prefix(MARKER) else {
        return Exclusion::NoOthers;
    };
    let exclusion = [
        Exclusion::NoOthers,
        Exclusion::CurrentRow,
        Exclusion::Group,
        Exclusion::Ties,
    ]
    .into_iter()
    .find(|e| e.marker_name() == which)
    .unwrap_or_default();
    order_by.pop();
    exclusion
}

/// The marker ORDER BY key for `exclusion` (to put back after merging window specs).
pub fn marker(exclusion: Exclusion) -> ast::OrderByExpr {
    ast::OrderByExpr {
        expr: ast::Expr::Identifier(ast::Ident::with_quote(
            '"',
            format!("{MARKER}{}", exclusion.marker_name()),
        )),
        asc: None,
        nulls_first: None,
        with_fill: None,
    }
}

/// `sql` with each frame's EXCLUDE clause turned into a marker ORDER BY key, or `None` when it
/// has none.
pub fn rewrite(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::Token;
    let (tokens, significant) = crate::tokens::significant(sql)?;
    let word = |n: usize, w: &str| {
        significant
            .get(n)
            .is_some_and(|&i| crate::tokens::is_word(&tokens[i], w))
    };
    // Tokens to drop, and text to insert before a token.
    let mut dropped = Vec::new();
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for n in 0..significant.len() {
        if !word(n, "exclude") {
            continue;
        }
        let (exclusion, len) = if word(n + 1, "current") && word(n + 2, "row") {
            (Exclusion::CurrentRow, 3)
        } else if word(n + 1, "no") && word(n + 2, "others") {
            (Exclusion::NoOthers, 3)
        } else if word(n + 1, "group") {
            (Exclusion::Group, 2)
        } else if word(n + 1, "ties") {
            (Exclusion::Ties, 2)
        } else {
            continue;
        };
        if significant
            .get(n + len)
            .is_none_or(|&i| tokens[i] != Token::RParen)
        {
            continue;
        }
        // Back to the window's "(": its frame keyword and whether it has an ORDER BY.
        let mut depth = 0usize;
        let mut frame_at = None;
        let mut ordered = false;
        let mut k = n;
        while k > 0 {
            k -= 1;
            match &tokens[significant[k]] {
                Token::RParen => depth += 1,
                Token::LParen if depth == 0 => break,
                Token::LParen => depth -= 1,
                _ if depth == 0 => {
                    if (word(k, "rows") || word(k, "range") || word(k, "groups"))
                        && frame_at.is_none()
                    {
                        frame_at = Some(significant[k]);
                    }
                    if word(k, "order") && word(k + 1, "by") {
                        ordered = true;
                    }
                }
                _ => {}
            }
        }
        let Some(frame_at) = frame_at else {
            continue;
        };
        let marker = marker(exclusion).expr;
        let text = if ordered {
            format!(", {marker} ")
        } else {
            format!("ORDER BY {marker} ")
        };
        inserts.push((frame_at, text));
        dropped.extend(significant[n..n + len].iter().copied());
    }
    if dropped.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(sql.len() + 32);
    for (i, token) in tokens.iter().enumerate() {
        for (_, insert) in inserts.iter().filter(|(at, _)| *at == i) {
            text.push_str(insert);
        }
        if !dropped.contains(&i) {
            text.push_str(&token.to_string());
        }
    }
    Some(text)
}
