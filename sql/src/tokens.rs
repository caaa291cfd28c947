//! The token view the text rewrites share (the parser's fallbacks for syntax sqlparser does
//! not read): a statement's tokens in PostgreSQL's dialect, and the positions of the ones
//! that are not whitespace, which is what the rewrites walk.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer, Word};

/// `sql`'s tokens and the indexes of its non-whitespace ones; `None` if it does not tokenize.
pub fn significant(sql: &str) -> Option<(Vec<Token>, Vec<usize>)> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let significant = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    Some((tokens, significant))
}

/// A word token a rewrite puts in: `value`, quoted with `quote` if given, never a keyword.
pub fn word(value: impl Into<String>, quote: Option<char>) -> Token {
    Token::Word(Word {
        value: value.into(),
        quote_style: quote,
        keyword: Keyword::NoKeyword,
    })
}

/// The edit that marks a constraint with `marker`, for the planner to find in its name (see
/// `planner::constraint::unmark`): `body` is the position in `at` of the constraint's first
/// keyword after any `CONSTRAINT name` (UNIQUE, CHECK, FOREIGN, REFERENCES). A named
/// constraint's name token is replaced by the marked name; an unnamed one gets `CONSTRAINT
/// "<marker>"` before its keyword. Returns (token index, the text that replaces the token).
pub fn mark_constraint(
    tokens: &[Token],
    at: &[usize],
    body: usize,
    marker: &str,
) -> (usize, String) {
    let named = body
        .checked_sub(2)
        .is_some_and(|k| is_word(&tokens[at[k]], "constraint"));
    if named {
        if let Token::Word(name) = &tokens[at[body - 1]] {
            let name = match name.quote_style {
                Some(_) => name.value.clone(),
                None => name.value.to_lowercase(),
            };
            return (
                at[body - 1],
                word(format!("{marker}{name}"), Some('"')).to_string(),
            );
        }
    }
    let keyword = &tokens[at[body]];
    (
        at[body],
        format!("CONSTRAINT {} {keyword}", word(marker, Some('"'))),
    )
}

/// Whether `token` is the unquoted word `word` (any case).
pub fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// The position in `at` (significant token indexes, as [`significant`] gives them) of the
/// token that closes the bracket at position `open`: `)` for `(`, `]` for `[`; nested pairs
/// are skipped. None when it is not closed.
pub fn closing(tokens: &[Token], at: &[usize], open: usize) -> Option<usize> {
    let (opener, closer) = match tokens.get(*at.get(open)?)? {
        Token::LParen => (Token::LParen, Token::RParen),
        Token::LBracket => (Token::LBracket, Token::RBracket),
        _ => return None,
    };
    let mut depth = 0usize;
    for (k, &i) in at.iter().enumerate().skip(open) {
        if tokens[i] == opener {
            depth += 1;
        } else if tokens[i] == closer {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// A lone statement's words: `sql`'s significant tokens without its semicolons.
pub fn statement_words(sql: &str) -> Option<Vec<Token>> {
    let (tokens, at) = significant(sql)?;
    Some(
        at.into_iter()
            .map(|i| tokens[i].clone())
            .filter(|t| *t != Token::SemiColon)
            .collect(),
    )
}

/// What `ALTER TABLE [IF EXISTS] [ONLY] name` at the start of `words` says.
#[derive(Debug, PartialEq, Eq)]
pub struct AlterTableHead {
    /// The name's parts, as written (quoted where they were).
    pub table: Vec<String>,
    pub if_exists: bool,
    /// The position in `words` after the name.
    pub rest: usize,
}

/// The head of an ALTER TABLE; `None` for other words.
pub fn alter_table_head(words: &[Token]) -> Option<AlterTableHead> {
    let word = |n: usize, w: &str| words.get(n).is_some_and(|t| is_word(t, w));
    if !(word(0, "alter") && word(1, "table")) {
        return None;
    }
    let mut n = 2;
    let if_exists = word(n, "if") && word(n + 1, "exists");
    if if_exists {
        n += 2;
    }
    if word(n, "only") {
        n += 1;
    }
    let mut table = Vec::new();
    while let Some(Token::Word(w)) = words.get(n) {
        table.push(w.to_string());
        n += 1;
        if words.get(n) == Some(&Token::Period) {
            n += 1;
        } else {
            break;
        }
    }
    (!table.is_empty()).then_some(AlterTableHead {
        table,
        if_exists,
        rest: n,
    })
}
