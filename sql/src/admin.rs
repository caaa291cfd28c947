//! Statements sqlparser does not read that act on the session or the server rather than on
//! data, recognized from their tokens: `CHECKPOINT`, `LOCK [TABLE]`, and the lower-case
//! spellings of `SET TRANSACTION` / `SET SESSION CHARACTERISTICS` (sqlparser matches those
//! two words case-sensitively), ALTER TABLE actions on physical storage vdb does not have
//! (`SET (fillfactor = 70)`, `REPLICA IDENTITY FULL`...), and the UNLOGGED and TABLESPACE
//! clauses of CREATE. Also the cut of a script that mixes such statements with others, so
//! that each runs on its own path.

use sqlparser::tokenizer::Token;

use crate::tokens::{alter_table_head, is_word, significant, statement_words};

/// The words that start a statement the session runs from its text, not from a parse
/// (`VACUUM`, `ANALYZE`, `REINDEX`, `CLUSTER`, `RESET`, `CHECKPOINT`, `LOCK`; and the ALTER
/// TABLEs [`storage_alter`] reads).
const TEXT_COMMANDS: [&str; 9] = [
    "do",
    "vacuum",
    "analyze",
    "analyse",
    "reindex",
    "cluster",
    "reset",
    "checkpoint",
    "lock",
];

/// The words that start a transaction-control statement.
const TRANSACTION_CONTROL: [&str; 9] = [
    "begin",
    "start",
    "commit",
    "end",
    "rollback",
    "abort",
    "savepoint",
    "release",
    "prepare",
];

/// A script of several statements at least one of which the session runs from its text:
/// the statements' texts, and whether any of them controls transactions. `None` for a single
/// statement or a script without such a statement.
pub fn split_mixed_script(sql: &str) -> Option<(Vec<String>, bool)> {
    if !sql.contains(';') {
        return None;
    }
    let lower = sql.to_ascii_lowercase();
    if !TEXT_COMMANDS.iter().any(|w| lower.contains(w))
        && !lower.contains("alter")
        && !lower.contains("extension")
    {
        return None;
    }
    let (tokens, _) = significant(sql)?;
    let mut pieces = vec![String::new()];
    let mut firsts: Vec<Token> = Vec::new();
    let mut at_start = true;
    for token in tokens {
        if token == Token::SemiColon {
            pieces.push(String::new());
            at_start = true;
            continue;
        }
        if at_start && !matches!(token, Token::Whitespace(_)) {
            firsts.push(token.clone());
            at_start = false;
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push_str(&token.to_string());
        }
    }
    pieces.retain(|p| !p.trim().is_empty());
    let starts = |words: &[&str]| firsts.iter().any(|t| words.iter().any(|w| is_word(t, w)));
    let mixed = starts(&TEXT_COMMANDS)
        || pieces
            .iter()
            .any(|p| storage_alter(p).is_some() || drop_extension(p).is_some());
    (pieces.len() > 1 && mixed).then(|| (pieces, starts(&TRANSACTION_CONTROL)))
}

/// Whether `sql` may start with `word` (or with a comment): the cheap test that spares every
/// other statement a tokenization.
fn may_start_with(sql: &str, word: &str) -> bool {
    let start = sql.trim_start();
    start.starts_with("--")
        || start.starts_with("/*")
        || start
            .get(..word.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
}

/// Whether `sql` is a lone `CHECKPOINT`.
pub fn is_checkpoint(sql: &str) -> bool {
    if !may_start_with(sql, "checkpoint") {
        return false;
    }
    statement_words(sql)
        .is_some_and(|words| matches!(words.as_slice(), [t] if is_word(t, "checkpoint")))
}

/// A `LOCK [TABLE] [ONLY] name [*], ... [IN mode MODE] [NOWAIT]` statement.
#[derive(Debug, PartialEq, Eq)]
pub struct LockStatement {
    /// The relations, as written (quoted where they were).
    pub relations: Vec<String>,
    /// Whether the mode conflicts with writers (SHARE and stronger; ACCESS EXCLUSIVE when no
    /// mode is given), so that taking it must wait for the branch lock.
    pub excludes_writers: bool,
}

/// `SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetConstraints {
    /// The constraints named (`None`: ALL).
    pub names: Option<Vec<String>>,
    pub deferred: bool,
}

/// `sql` as a SET CONSTRAINTS statement (sqlparser does not read it); `None` for any other
/// text, `Some(Err)` for one that does not parse (42601).
pub fn set_constraints(sql: &str) -> Option<crate::Result<SetConstraints>> {
    if !may_start_with(sql, "set") {
        return None;
    }
    let words = statement_words(sql)?;
    if !(words.len() >= 2 && is_word(&words[0], "set") && is_word(&words[1], "constraints")) {
        return None;
    }
    let syntax = || {
        Err(crate::Error::invalid(
            "42601",
            "syntax error in SET CONSTRAINTS",
        ))
    };
    let Some((last, middle)) = words[2..].split_last() else {
        return Some(syntax());
    };
    let deferred = match last {
        t if is_word(t, "deferred") => true,
        t if is_word(t, "immediate") => false,
        _ => return Some(syntax()),
    };
    if let [t] = middle {
        if is_word(t, "all") {
            return Some(Ok(SetConstraints {
                names: None,
                deferred,
            }));
        }
    }
    // Names separated by commas; of a qualified name (`s.c`) the last part names the
    // constraint.
    let mut names = Vec::new();
    let mut expect_name = true;
    for t in middle {
        match t {
            Token::Word(w) if expect_name => {
                let name = crate::planner::ident_name(&sqlparser::ast::Ident {
                    value: w.value.clone(),
                    quote_style: w.quote_style,
                });
                names.push(name);
                expect_name = false;
            }
            Token::Period if !expect_name => {
                names.pop();
                expect_name = true;
            }
            Token::Comma if !expect_name => expect_name = true,
            _ => return Some(syntax()),
        }
    }
    if expect_name {
        return Some(syntax());
    }
    if names.is_empty() {
        return Some(syntax());
    }
    Some(Ok(SetConstraints {
        names: Some(names),
        deferred,
    }))
}

/// `sql` as a LOCK statement; `None` for any other text, `Some(Err)` for a LOCK that does not
/// parse (42601).
pub fn lock_statement(sql: &str) -> Option<crate::Result<LockStatement>> {
    if !may_start_with(sql, "lock") {
        return None;
    }
    let words = statement_words(sql)?;
    let mut words = words.iter().peekable();
    if !words.next().is_some_and(|t| is_word(t, "lock")) {
        return None;
    }
    let syntax = |near: &Token| {
        Err(crate::Error::invalid(
            "42601",
            format!("syntax error at or near \"{near}\""),
        ))
    };
    if words.peek().is_some_and(|t| is_word(t, "table")) {
        words.next();
    }
    if words.peek().is_some_and(|t| is_word(t, "only")) {
        words.next();
    }
    let mut relations = Vec::new();
    let mut name = String::new();
    let mut mode = Vec::new();
    let mut in_mode = false;
    for t in words {
        match t {
            t if in_mode && is_word(t, "mode") => in_mode = false,
            Token::Word(w) if in_mode => mode.push(w.value.to_ascii_lowercase()),
            t if is_word(t, "in") && !name.is_empty() => {
                relations.push(std::mem::take(&mut name));
                in_mode = true;
            }
            t if is_word(t, "nowait") => {}
            Token::Comma if !name.is_empty() => relations.push(std::mem::take(&mut name)),
            Token::Mul if !name.is_empty() => {}
            Token::Word(w) if name.is_empty() || name.ends_with('.') => {
                name.push_str(&w.to_string());
            }
            Token::Period if !name.is_empty() => name.push('.'),
            other => return Some(syntax(other)),
        }
    }
    if !name.is_empty() {
        relations.push(name);
    }
    if relations.is_empty() || in_mode {
        return Some(syntax(&Token::EOF));
    }
    let excludes_writers = match mode.join(" ").as_str() {
        "" | "share" | "share row exclusive" | "exclusive" | "access exclusive" => true,
        "access share" | "row share" | "row exclusive" | "share update exclusive" => false,
        other => {
            return Some(Err(crate::Error::invalid(
                "42601",
                format!("syntax error at or near \"{other}\""),
            )))
        }
    };
    Some(Ok(LockStatement {
        relations,
        excludes_writers,
    }))
}

/// `SET [SESSION | LOCAL] transaction ...` and `SET SESSION characteristics AS ...` with the
/// two words upper-cased, which is how sqlparser reads them; `None` if `sql` has neither.
pub fn set_transaction_spelled(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let mut changed = false;
    let mut k = 0;
    while k < at.len() {
        if is_word(&tokens[at[k]], "set") {
            let mut j = k + 1;
            if at
                .get(j)
                .is_some_and(|&i| is_word(&tokens[i], "session") || is_word(&tokens[i], "local"))
            {
                j += 1;
            }
            if let Some(&i) = at.get(j) {
                for word in ["transaction", "characteristics"] {
                    if is_word(&tokens[i], word) {
                        tokens[i] = Token::make_keyword(&word.to_ascii_uppercase());
                        changed = true;
                    }
                }
            }
        }
        k += 1;
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// A transaction statement (BEGIN, START TRANSACTION, SET TRANSACTION, SET SESSION
/// CHARACTERISTICS) without its `[NOT] DEFERRABLE` modes, which sqlparser does not read: they
/// matter only to SERIALIZABLE READ ONLY blocks, which vdb never makes wait, so dropping them
/// changes nothing. `None` for any other statement or one without them.
pub fn without_deferrable(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let first = at.first().map(|&i| &tokens[i])?;
    if !["begin", "start", "set"].iter().any(|w| is_word(first, w)) {
        return None;
    }
    let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    let mut changed = false;
    let mut k = 0;
    while k < at.len() {
        if !is_word(&tokens[at[k]], "deferrable") {
            k += 1;
            continue;
        }
        let mut from = k;
        if k > 0 && is_word(&tokens[at[k - 1]], "not") {
            from -= 1;
        }
        // The comma that separates the mode from the others goes with it.
        let (from, to) = if from > 0 && tokens[at[from - 1]] == Token::Comma {
            (from - 1, k)
        } else if at.get(k + 1).is_some_and(|&i| tokens[i] == Token::Comma) {
            (from, k + 1)
        } else {
            (from, k)
        };
        for &i in &at[from..=to] {
            tokens[i] = blank.clone();
        }
        changed = true;
        k += 1;
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferrable_modes_are_dropped_from_transaction_statements() {
        let strip = |s: &str| {
            without_deferrable(s).map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        assert_eq!(
            strip("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE").as_deref(),
            Some("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY")
        );
        assert_eq!(
            strip("start transaction not deferrable, read write").as_deref(),
            Some("start transaction read write")
        );
        assert_eq!(strip("begin not deferrable").as_deref(), Some("begin"));
        assert_eq!(
            strip("create table t (a int references u deferrable)"),
            None
        );
        assert_eq!(strip("begin read only"), None);
    }

    #[test]
    fn lock_statements_read_their_relations_and_mode() {
        let lock = |s: &str| lock_statement(s).map(|r| r.ok());
        assert_eq!(
            lock("LOCK TABLE a, s.b IN SHARE MODE NOWAIT"),
            Some(Some(LockStatement {
                relations: vec!["a".into(), "s.b".into()],
                excludes_writers: true,
            }))
        );
        assert_eq!(
            lock("lock only \"T\" * in row exclusive mode"),
            Some(Some(LockStatement {
                relations: vec!["\"T\"".into()],
                excludes_writers: false,
            }))
        );
        assert_eq!(
            lock("lock t"),
            Some(Some(LockStatement {
                relations: vec!["t".into()],
                excludes_writers: true,
            }))
        );
        assert_eq!(lock("lock table t in sideways mode"), Some(None));
        assert_eq!(lock("lock table"), Some(None));
        assert_eq!(lock("select 1"), None);
    }

    #[test]
    fn mixed_scripts_are_cut_at_their_semicolons() {
        let (pieces, control) = split_mixed_script("begin; lock t; select ';'").unwrap();
        assert_eq!(pieces, ["begin", " lock t", " select ';'"]);
        assert!(control);
        assert_eq!(split_mixed_script("select 1; select 2"), None);
        assert_eq!(split_mixed_script("checkpoint"), None);
        assert!(is_checkpoint(" CHECKPOINT; "));
        assert!(!is_checkpoint("checkpoint now"));
    }

    #[test]
    fn set_transaction_words_are_upper_cased() {
        assert_eq!(
            set_transaction_spelled("set transaction read only").as_deref(),
            Some("set TRANSACTION read only")
        );
        assert_eq!(
            set_transaction_spelled("set session characteristics as transaction read only")
                .as_deref(),
            Some("set session CHARACTERISTICS as transaction read only")
        );
        assert_eq!(set_transaction_spelled("set x = 1"), None);
    }
}

/// The extensions vdb has built in (their functions are always there), with the version
/// pg_extension shows.
pub const BUILT_IN_EXTENSIONS: &[(&str, &str)] = &[("pgcrypto", "1.3"), ("uuid-ossp", "1.1")];

/// `DROP EXTENSION [IF EXISTS] name, ... [CASCADE | RESTRICT]`: the names and IF EXISTS.
pub fn drop_extension(sql: &str) -> Option<(Vec<String>, bool)> {
    if !may_start_with(sql, "drop") {
        return None;
    }
    let words = statement_words(sql)?;
    let word = |n: usize, w: &str| words.get(n).is_some_and(|t| is_word(t, w));
    if !(word(0, "drop") && word(1, "extension")) {
        return None;
    }
    let if_exists = word(2, "if") && word(3, "exists");
    let mut names = Vec::new();
    for t in &words[if if_exists { 4 } else { 2 }..] {
        match t {
            Token::Word(w) if w.quote_style.is_some() => names.push(w.value.clone()),
            t if is_word(t, "cascade") || is_word(t, "restrict") => {}
            Token::Word(w) => names.push(w.value.to_lowercase()),
            Token::Comma => {}
            _ => return None,
        }
    }
    (!names.is_empty()).then_some((names, if_exists))
}

/// An ALTER TABLE whose one action tunes physical storage vdb does not have: `SET (params)`,
/// `RESET (params)`, `REPLICA IDENTITY ...`, `SET TABLESPACE pg_default`, `SET LOGGED |
/// UNLOGGED`, `CLUSTER ON index`, `SET WITHOUT CLUSTER`, `SET ACCESS METHOD heap`.
#[derive(Debug, PartialEq, Eq)]
pub struct StorageAlter {
    /// The table, as written.
    pub table: String,
    pub if_exists: bool,
    /// The storage parameters SET or RESET names (checked as CREATE TABLE's WITH is).
    pub parameters: Vec<String>,
    /// A tablespace other than pg_default (42704).
    pub tablespace: Option<String>,
}

/// `sql` as such an ALTER TABLE; `None` for any other text.
pub fn storage_alter(sql: &str) -> Option<StorageAlter> {
    if !may_start_with(sql, "alter") {
        return None;
    }
    let words = statement_words(sql)?;
    let head = alter_table_head(&words)?;
    let n = head.rest;
    let table = head.table.join(".");
    let if_exists = head.if_exists;
    let rest: Vec<&Token> = words[n..].iter().collect();
    let mut alter = StorageAlter {
        table,
        if_exists,
        parameters: Vec::new(),
        tablespace: None,
    };
    let is = |k: usize, w: &str| rest.get(k).is_some_and(|t| is_word(t, w));
    match rest.len() {
        _ if (is(0, "set") || is(0, "reset")) && rest.get(1) == Some(&&Token::LParen) => {
            if rest.last() != Some(&&Token::RParen) {
                return None;
            }
            // Each parameter is the word after `(` or `,`; a value may follow `=`.
            alter.parameters = join_dotted(&rest[2..rest.len() - 1]);
        }
        2 | 3 | 5 if is(0, "replica") && is(1, "identity") => {
            let form_ok = match rest.len() {
                3 => ["default", "full", "nothing"].iter().any(|w| is(2, w)),
                5 => is(2, "using") && is(3, "index"),
                _ => false,
            };
            if !form_ok {
                return None;
            }
        }
        3 if is(0, "set") && is(1, "tablespace") => {
            if !is(2, "pg_default") {
                alter.tablespace = Some(rest[2].to_string());
            }
        }
        2 if is(0, "set") && (is(1, "logged") || is(1, "unlogged")) => {}
        3 if is(0, "cluster") && is(1, "on") => {}
        3 if is(0, "set") && is(1, "without") && is(2, "cluster") => {}
        4 if is(0, "set") && is(1, "access") && is(2, "method") && is(3, "heap") => {}
        _ => return None,
    }
    Some(alter)
}

/// The parameter names of a `(name [= value], ...)` list, `toast.name` joined.
fn join_dotted(list: &[&Token]) -> Vec<String> {
    let mut names = Vec::new();
    let mut expect_name = true;
    let mut dotted = false;
    for t in list {
        match t {
            Token::Word(w) if expect_name || dotted => {
                if dotted {
                    if let Some(last) = names.last_mut() {
                        *last = format!("{last}.{}", w.value.to_lowercase());
                    }
                    dotted = false;
                } else {
                    names.push(w.value.to_lowercase());
                }
                expect_name = false;
            }
            Token::Period if !expect_name => dotted = true,
            Token::Comma => expect_name = true,
            _ => {}
        }
    }
    names
}

/// CREATE TABLE / CREATE INDEX text without what sqlparser does not read and vdb has no use
/// for: `UNLOGGED` after CREATE (vdb's tables are all logged: every commit is durable) and
/// `TABLESPACE pg_default` / `USING INDEX TABLESPACE pg_default`. `Some(Err)` (42704) for
/// another tablespace; `None` when there is nothing to take out.
pub fn without_storage_clauses(sql: &str) -> Option<crate::Result<String>> {
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("unlogged") && !lower.contains("tablespace") {
        return None;
    }
    let (tokens, at) = significant(sql)?;
    let word = |n: usize, w: &str| at.get(n).is_some_and(|&i| is_word(&tokens[i], w));
    if !word(0, "create") {
        return None;
    }
    let mut skip = std::collections::HashSet::new();
    if word(1, "unlogged") {
        skip.insert(at[1]);
    }
    for n in 0..at.len() {
        if word(n, "tablespace") && at.get(n + 1).is_some() {
            if !word(n + 1, "pg_default") {
                let name = tokens[at[n + 1]].to_string();
                return Some(Err(crate::Error::invalid(
                    "42704",
                    format!("tablespace \"{}\" does not exist", name.trim_matches('"')),
                )));
            }
            skip.extend([at[n], at[n + 1]]);
            if word(n.wrapping_sub(1), "index") && word(n.wrapping_sub(2), "using") {
                skip.extend([at[n - 1], at[n - 2]]);
            }
        }
    }
    if skip.is_empty() {
        return None;
    }
    Some(Ok(tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .map(|(_, t)| t.to_string())
        .collect()))
}
