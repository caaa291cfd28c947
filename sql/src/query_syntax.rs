//! Query syntax sqlparser 0.52 does not read, respelled before a second parse: the `TABLE name`
//! query (`SELECT * FROM name`), ORDER BY's `USING <` and `USING >` (ASC and DESC), and CREATE TABLE AS's column name list and `WITH [NO] DATA`
//! (the query read as `SELECT * FROM (query) AS ctas(columns)`, with `LIMIT 0` for NO DATA:
//! the same columns, renamed, and no rows), and a VALUES list as the subquery of ANY / SOME /
//! ALL (`x = ANY (VALUES (1), (2))`, read as `x = ANY (SELECT * FROM (VALUES ...) AS v)`), and
//! an INSERT's parenthesized source query (`INSERT INTO t (SELECT ...)`), and words PostgreSQL
//! takes as names where sqlparser reads syntax (`SELECT floor, top FROM t`).

use sqlparser::tokenizer::Token;

use crate::tokens::{closing, is_word, significant, word};

/// `sql` with its `TABLE name` queries spelled `SELECT * FROM name`, CREATE TABLE AS's
/// `WITH [NO] DATA` respelled, and `LATERAL` dropped before a function in FROM (which is
/// lateral anyway, and which sqlparser then reads with `WITH ORDINALITY`); `None` when there
/// is none of these.
pub fn respell(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("table") && !lower.contains("using") && !lower.contains("lateral") {
        return None;
    }
    let (mut tokens, at) = significant(sql)?;
    let mut changed = false;
    for k in 0..at.len().saturating_sub(2) {
        let (next, after) = (&tokens[at[k + 1]], &tokens[at[k + 2]]);
        let function = matches!(next, Token::Word(w) if w.keyword != sqlparser::keywords::Keyword::SELECT)
            && (*after == Token::LParen || (is_word(next, "rows") && is_word(after, "from")));
        if is_word(&tokens[at[k]], "lateral") && function {
            tokens[at[k]] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
            changed = true;
        }
    }
    // ORDER BY's `USING <` / `USING >`: ascending / descending (the btree order of `<`).
    for k in 0..at.len().saturating_sub(1) {
        if !is_word(&tokens[at[k]], "using") {
            continue;
        }
        let direction = match tokens[at[k + 1]] {
            Token::Lt => "ASC",
            Token::Gt => "DESC",
            _ => continue,
        };
        tokens[at[k]] = Token::make_keyword(direction);
        tokens[at[k + 1]] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
        changed = true;
    }
    // `TABLE` where a query starts: at the start of a statement, after `(`, or after a set
    // operator (and its ALL / DISTINCT).
    for (k, &i) in at.iter().enumerate() {
        if !is_word(&tokens[i], "table") {
            continue;
        }
        let before = k.checked_sub(1).map(|p| &tokens[at[p]]);
        let before2 = k.checked_sub(2).map(|p| &tokens[at[p]]);
        let set_operator = |t: Option<&Token>| {
            t.is_some_and(|t| {
                ["union", "intersect", "except"]
                    .iter()
                    .any(|w| is_word(t, w))
            })
        };
        let query_start = match before {
            None | Some(Token::SemiColon | Token::LParen) => true,
            Some(t) if set_operator(Some(t)) => true,
            Some(t) if is_word(t, "all") || is_word(t, "distinct") => set_operator(before2),
            _ => false,
        };
        let names_relation = at
            .get(k + 1)
            .is_some_and(|&n| matches!(tokens[n], Token::Word(_)));
        if query_start && names_relation {
            tokens[i] = Token::make_keyword("SELECT * FROM");
            changed = true;
        }
    }
    let mut text: String = tokens.iter().map(ToString::to_string).collect();
    if let Some(respelled) = create_table_as_data(&text) {
        text = respelled;
        changed = true;
    }
    changed.then_some(text)
}

/// `CREATE TABLE name [(columns)] ... AS query [WITH [NO] DATA]` with a column list or a data
/// clause, respelled: the query read as `SELECT * FROM (query) AS ctas(columns)`, with `LIMIT
/// 0` for NO DATA (the same columns, no rows); `None` for any other text.
fn create_table_as_data(sql: &str) -> Option<String> {
    let (tokens, at) = significant(sql)?;
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    if !word(0, "create") {
        return None;
    }
    let mut end = at.len();
    while end > 0 && tokens[at[end - 1]] == Token::SemiColon {
        end -= 1;
    }
    let (data_clause, no_data) = if end >= 3 && word(end - 3, "with") && word(end - 2, "no") {
        (Some(end - 3), true)
    } else if end >= 2 && word(end - 2, "with") && word(end - 1, "data") {
        (Some(end - 2), false)
    } else {
        (None, false)
    };
    if data_clause.is_some() && !word(end - 1, "data") {
        return None;
    }
    let query_end = data_clause.unwrap_or(end);
    let table = (1..query_end).find(|&k| word(k, "table"))?;
    // The name, then perhaps a list of bare column names.
    let mut k = table + 1;
    if word(k, "if") && word(k + 1, "not") && word(k + 2, "exists") {
        k += 3;
    }
    while at.get(k + 1).is_some_and(|&i| tokens[i] == Token::Period) {
        k += 2;
    }
    let name_end = k + 1;
    let mut columns = None;
    if at
        .get(name_end)
        .is_some_and(|&i| tokens[i] == Token::LParen)
    {
        let close = closing(&tokens, &at, name_end)?;
        let names_only = (name_end + 1..close).all(|c| {
            let t = &tokens[at[c]];
            if (c - name_end) % 2 == 1 {
                matches!(t, Token::Word(_))
            } else {
                *t == Token::Comma
            }
        });
        if !names_only {
            return None;
        }
        columns = Some((name_end, close));
    }
    // The first AS outside brackets after the name begins the query.
    let mut depth = 0i32;
    let mut query_at = None;
    for k in columns.map_or(name_end, |(_, close)| close + 1)..query_end {
        match tokens[at[k]] {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ if depth == 0 && word(k, "as") => {
                query_at = Some(k + 1);
                break;
            }
            _ => {}
        }
    }
    let query_at = query_at?;
    if columns.is_none() && data_clause.is_none() {
        return None;
    }
    // Token positions of significant positions; the end of the text past the last one.
    let pos = |k: usize| at.get(k).copied().unwrap_or(tokens.len());
    let text = |from: usize, to: usize| -> String {
        tokens[from..to].iter().map(ToString::to_string).collect()
    };
    let (head, list) = match columns {
        Some((open, close)) => (
            format!(
                "{}{}",
                text(0, pos(open)),
                text(pos(close) + 1, pos(query_at))
            ),
            text(pos(open), pos(close) + 1),
        ),
        None => (text(0, pos(query_at)), String::new()),
    };
    let query = text(pos(query_at), pos(query_end));
    if query.trim().is_empty() {
        return None;
    }
    let limit = if no_data { " LIMIT 0" } else { "" };
    Some(format!(
        "{head}SELECT * FROM ({query}) AS ctas{list}{limit}"
    ))
}

/// `sql` with each `ANY` / `SOME` / `ALL (VALUES ...)` spelled `(SELECT * FROM (VALUES ...) AS
/// "*VALUES*")`, which sqlparser reads; `None` when there is none.
pub fn quantified_values(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("values") {
        return None;
    }
    let (mut tokens, at) = significant(sql)?;
    let mut changed = false;
    for k in 0..at.len().saturating_sub(2) {
        let quantifier = ["any", "some", "all"]
            .iter()
            .any(|w| is_word(&tokens[at[k]], w));
        if !quantifier
            || tokens[at[k + 1]] != Token::LParen
            || !is_word(&tokens[at[k + 2]], "values")
        {
            continue;
        }
        let close = closing(&tokens, &at, k + 1)?;
        tokens[at[k + 2]] = Token::make_word("SELECT * FROM (VALUES", None);
        tokens[at[close]] = Token::make_word(") AS \"*VALUES*\")", None);
        changed = true;
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// `INSERT INTO t [(columns)] (query)`, whose parenthesized query sqlparser reads as a column
/// list, without the query's parentheses; `None` for any other text.
pub fn parenthesized_insert_source(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    if !(word(0, "insert") && word(1, "into")) {
        return None;
    }
    // The table's name: words joined by periods, then an optional `AS alias`.
    let mut k = 2;
    while at.get(k + 1).is_some_and(|&i| tokens[i] == Token::Period) {
        k += 2;
    }
    k += 1;
    if word(k, "as") {
        k += 2;
    }
    let opens_query = |k: usize| {
        at.get(k).is_some_and(|&i| tokens[i] == Token::LParen)
            && ["select", "with", "values"].iter().any(|w| word(k + 1, w))
    };
    if !opens_query(k) && at.get(k).is_some_and(|&i| tokens[i] == Token::LParen) {
        // A column list first.
        k = closing(&tokens, &at, k)? + 1;
    }
    if !opens_query(k) {
        return None;
    }
    let close = closing(&tokens, &at, k)?;
    tokens[at[k]] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    tokens[at[close]] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    Some(tokens.iter().map(ToString::to_string).collect())
}

/// `FETCH { FIRST | NEXT } ( quantity ) { ROW | ROWS }` (SQLAlchemy renders its `.fetch(n)`
/// so), which sqlparser reads only with a bare number or parameter: a lone number or
/// parameter loses its parentheses, and any other quantity before `ONLY` becomes `LIMIT
/// (quantity)`. `None` when there is no such clause.
pub fn fetch_quantity(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    let mut changed = false;
    for k in 0..at.len().saturating_sub(3) {
        let opens = is_word(&tokens[at[k]], "fetch")
            && (is_word(&tokens[at[k + 1]], "first") || is_word(&tokens[at[k + 1]], "next"))
            && tokens[at[k + 2]] == Token::LParen;
        if !opens {
            continue;
        }
        let Some(close) = closing(&tokens, &at, k + 2) else {
            continue;
        };
        let rows = at
            .get(close + 1)
            .is_some_and(|&i| is_word(&tokens[i], "row") || is_word(&tokens[i], "rows"));
        if !rows {
            continue;
        }
        let lone = close == k + 4
            && matches!(tokens[at[k + 3]], Token::Number(..) | Token::Placeholder(_));
        if lone {
            tokens[at[k + 2]] = blank.clone();
            tokens[at[close]] = blank.clone();
            changed = true;
        } else if at
            .get(close + 2)
            .is_some_and(|&i| is_word(&tokens[i], "only"))
        {
            tokens[at[k]] = Token::make_keyword("LIMIT");
            tokens[at[k + 1]] = blank.clone();
            tokens[at[close + 1]] = blank.clone();
            tokens[at[close + 2]] = blank.clone();
            changed = true;
        }
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// CREATE INDEX with operator classes named after its columns or expressions (`(name
/// text_pattern_ops)`, `USING gin (doc jsonb_path_ops)`), which sqlparser does not read: the
/// classes are dropped, as vdb's ordered indexes compare each type one way. `None` for any
/// other statement or one without them.
pub fn without_operator_classes(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    let index = if word(1, "unique") { 2 } else { 1 };
    if !word(0, "create") || !word(index, "index") {
        return None;
    }
    let mut changed = false;
    for k in 1..at.len() {
        let class = matches!(&tokens[at[k]], Token::Word(w) if w.quote_style.is_none() && w.value.to_ascii_lowercase().ends_with("_ops"));
        let ends_item = at.get(k + 1).is_none_or(|&i| {
            matches!(tokens[i], Token::Comma | Token::RParen)
                || ["asc", "desc", "nulls"]
                    .iter()
                    .any(|w| is_word(&tokens[i], w))
        });
        let after_item = matches!(tokens[at[k - 1]], Token::Word(_) | Token::RParen);
        if class && ends_item && after_item {
            tokens[at[k]] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
            changed = true;
        }
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// `FROM t [AS a] TABLESAMPLE BERNOULLI | SYSTEM (percent) [REPEATABLE (seed)]`, which
/// sqlparser does not read: the table becomes `(SELECT * FROM t AS a WHERE <sampled>) AS a`,
/// each row kept with probability `percent` / 100 (SYSTEM samples rows too, not pages). With
/// REPEATABLE the draw is a hash of the row and the seed, so the same seed over the same rows
/// gives the same sample. `None` when there is no TABLESAMPLE.
pub fn tablesample(sql: &str) -> Option<String> {
    let mut text = sql.to_string();
    let mut changed = false;
    for _ in 0..16 {
        match one_tablesample(&text) {
            Some(next) => {
                text = next;
                changed = true;
            }
            None => break,
        }
    }
    changed.then_some(text)
}

fn one_tablesample(sql: &str) -> Option<String> {
    let (tokens, at) = significant(sql)?;
    let k = (1..at.len()).find(|&k| is_word(&tokens[at[k]], "tablesample"))?;
    let method = at.get(k + 1).map(|&i| &tokens[i])?;
    if !(is_word(method, "bernoulli") || is_word(method, "system")) {
        return None;
    }
    let span = |from: usize, to: usize| -> String {
        tokens[at[from]..=at[to]]
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let (open, close) = (k + 2, closing(&tokens, &at, k + 2)?);
    if close <= open + 1 {
        return None;
    }
    let percent = span(open + 1, close - 1);
    let mut end = close;
    let mut seed = None;
    if at
        .get(close + 1)
        .is_some_and(|&i| is_word(&tokens[i], "repeatable"))
    {
        let shut = closing(&tokens, &at, close + 2)?;
        if shut <= close + 3 {
            return None;
        }
        seed = Some(span(close + 3, shut - 1));
        end = shut;
    }
    // Back from TABLESAMPLE: `name`, `name alias` or `name AS alias`, the name qualified or not.
    let name_like = |t: &Token| matches!(t, Token::Word(w) if w.quote_style.is_some() || w.keyword == sqlparser::keywords::Keyword::NoKeyword || !["from", "join", "as", "only", "lateral"].iter().any(|x| w.value.eq_ignore_ascii_case(x)));
    let j = k.checked_sub(1)?;
    if !name_like(&tokens[at[j]]) {
        return None;
    }
    let (alias, name_end) = match j.checked_sub(1).map(|p| &tokens[at[p]]) {
        Some(t) if is_word(t, "as") => (Some(j), j.checked_sub(2)?),
        Some(t) if name_like(t) => (Some(j), j - 1),
        _ => (None, j),
    };
    let mut name_start = name_end;
    while name_start >= 2 && tokens[at[name_start - 1]] == Token::Period {
        name_start -= 2;
    }
    let before = &tokens[at[name_start.checked_sub(1)?]];
    let starts_item =
        ["from", "join", "only"].iter().any(|w| is_word(before, w)) || *before == Token::Comma;
    if !starts_item {
        return None;
    }
    let name = span(name_start, name_end);
    let alias = tokens[at[alias.unwrap_or(name_end)]].to_string();
    let draw = match seed {
        None => "random()".to_string(),
        Some(seed) => format!(
            "((hashtext(row_to_json({alias})::text || ':' || ({seed})::text)::float8 \
             + 2147483648) / 4294967296)"
        ),
    };
    let head: String = tokens[..at[name_start]]
        .iter()
        .map(ToString::to_string)
        .collect();
    let tail: String = tokens[at[end] + 1..]
        .iter()
        .map(ToString::to_string)
        .collect();
    Some(format!(
        "{head}(SELECT * FROM {name} AS {alias} WHERE {draw} * 100 < ({percent})) AS {alias}{tail}"
    ))
}

/// `UNIQUE NULLS [NOT] DISTINCT`, which sqlparser does not read in a constraint: `NULLS
/// DISTINCT` (PostgreSQL 15's spelling of the default, which SQLAlchemy emits for a reflected
/// unique constraint) goes, and `NULLS NOT DISTINCT` goes with the constraint marked
/// (`planner::constraint::NULLS_NOT_DISTINCT_MARKER`). `None` when there is neither.
pub fn unique_nulls_distinct(sql: &str) -> Option<String> {
    let (tokens, at) = significant(sql)?;
    let mut skip = std::collections::HashSet::new();
    let mut replace = std::collections::HashMap::new();
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    for k in 0..at.len() {
        if !(word(k, "unique") && word(k + 1, "nulls")) {
            continue;
        }
        if word(k + 2, "distinct") {
            skip.extend([at[k + 1], at[k + 2]]);
        } else if word(k + 2, "not") && word(k + 3, "distinct") {
            skip.extend([at[k + 1], at[k + 2], at[k + 3]]);
            let (i, text) = crate::tokens::mark_constraint(
                &tokens,
                &at,
                k,
                crate::planner::constraint::NULLS_NOT_DISTINCT_MARKER,
            );
            replace.insert(i, text);
        }
    }
    if skip.is_empty() {
        return None;
    }
    let mut text = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if let Some(replacement) = replace.get(&i) {
            text.push_str(replacement);
        } else if skip.contains(&i) {
            text.push(' ');
        } else {
            text.push_str(&token.to_string());
        }
    }
    Some(text)
}

/// `CREATE VIEW v AS query WITH [CASCADED | LOCAL] CHECK OPTION`, which sqlparser does not
/// read: the clause goes, and the view gets the same thing as an option before its query
/// (`WITH (check_option = 'cascaded') AS query`). `None` for any other text.
pub fn view_check_option(sql: &str) -> Option<String> {
    let (tokens, at) = significant(sql)?;
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    let view = (0..at.len().min(6)).find(|&k| word(k, "view"))?;
    if !word(0, "create") {
        return None;
    }
    let mut end = at.len();
    while end > 0 && tokens[at[end - 1]] == Token::SemiColon {
        end -= 1;
    }
    let clause = end.checked_sub(3)?;
    if !(word(clause + 1, "check") && word(clause + 2, "option")) {
        return None;
    }
    let (start, option) = if word(clause, "cascaded") || word(clause, "local") {
        let option = if word(clause, "local") {
            "local"
        } else {
            "cascaded"
        };
        (clause - 1, option)
    } else {
        (clause, "cascaded")
    };
    if !word(start, "with") {
        return None;
    }
    // The AS that starts the query: the first one outside parentheses after VIEW.
    let mut depth = 0usize;
    let mut query_as = None;
    for k in view + 1..start {
        match tokens[at[k]] {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth == 0 && word(k, "as") => {
                query_as = Some(k);
                break;
            }
            _ => {}
        }
    }
    let query_as = query_as?;
    let mut text = String::new();
    for (i, token) in tokens.iter().enumerate().take(at[start]) {
        if i == at[query_as] {
            text.push_str(&format!("WITH (check_option = '{option}') "));
        }
        text.push_str(&token.to_string());
    }
    Some(text)
}

/// A window frame offset that starts with a string (`RANGE BETWEEN '1 year'::interval
/// PRECEDING AND ...`, `'inf' FOLLOWING`), which sqlparser reads only as a bare interval
/// literal: the offset is parenthesized, so it parses as any expression, and the planner types
/// it from the ORDER BY column. `None` when there is no such offset.
pub fn frame_string_offsets(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let mut opens = Vec::new();
    for k in 1..at.len() {
        if !matches!(tokens[at[k]], Token::SingleQuotedString(_)) {
            continue;
        }
        let before = |back: usize| k.checked_sub(back).map(|p| &tokens[at[p]]);
        let starts_bound = before(1).is_some_and(|t| {
            ["range", "rows", "groups", "between"]
                .iter()
                .any(|w| is_word(t, w))
                || (is_word(t, "and")
                    && before(2).is_some_and(|t| {
                        ["preceding", "following", "row"]
                            .iter()
                            .any(|w| is_word(t, w))
                    }))
        });
        if !starts_bound {
            continue;
        }
        // The offset runs to PRECEDING or FOLLOWING at its own bracket depth.
        let mut depth = 0i32;
        for e in k + 1..at.len() {
            match tokens[at[e]] {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                break;
            }
            let ends = ["preceding", "following"]
                .iter()
                .any(|w| is_word(&tokens[at[e]], w));
            if depth == 0 && ends {
                opens.push((k, e));
                break;
            }
        }
    }
    if opens.is_empty() {
        return None;
    }
    for (k, end) in opens.into_iter().rev() {
        tokens.insert(at[end - 1] + 1, Token::RParen);
        tokens.insert(at[k], Token::LParen);
    }
    Some(tokens.iter().map(ToString::to_string).collect())
}

/// Words that are names to PostgreSQL (plain names such as `floor` and `top`, or its
/// column-name keywords such as `substring`) but that sqlparser 0.52 reads as the start of
/// special syntax unless quoted: `SELECT floor, top FROM t` fails to parse there.
const KEYWORD_NAMES: [&str; 9] = [
    "floor",
    "ceil",
    "top",
    "substring",
    "trim",
    "overlay",
    "extract",
    "convert",
    "exists",
];

/// `sql` with each [`KEYWORD_NAMES`] word that is used as a name (not called, not in `IF [NOT]
/// EXISTS`) quoted; `None` when there is none.
pub fn keyword_names(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    let mut changed = false;
    for (k, &i) in at.iter().enumerate() {
        let Token::Word(w) = &tokens[i] else {
            continue;
        };
        let name = w.value.to_ascii_lowercase();
        if w.quote_style.is_some() || !KEYWORD_NAMES.contains(&name.as_str()) {
            continue;
        }
        let token = |k: Option<usize>| k.and_then(|k| at.get(k)).map(|&i| &tokens[i]);
        let called = token(Some(k + 1)) == Some(&Token::LParen);
        let before = |n: usize| token(k.checked_sub(n));
        let if_exists = name == "exists"
            && (before(1).is_some_and(|t| is_word(t, "if"))
                || (before(1).is_some_and(|t| is_word(t, "not"))
                    && before(2).is_some_and(|t| is_word(t, "if"))));
        if !called && !if_exists {
            tokens[i] = word(name, Some('"'));
            changed = true;
        }
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_loses_its_source_query_parentheses() {
        assert_eq!(
            parenthesized_insert_source("INSERT INTO t (SELECT 1, NULL)").as_deref(),
            Some("INSERT INTO t  SELECT 1, NULL ")
        );
        assert_eq!(
            parenthesized_insert_source("insert into s.t as x (a, b) (values (1, 2)) returning a")
                .as_deref(),
            Some("insert into s.t as x (a, b)  values (1, 2)  returning a")
        );
        assert_eq!(
            parenthesized_insert_source("insert into t (a) select 1"),
            None
        );
        assert_eq!(parenthesized_insert_source("select (select 1)"), None);
    }

    #[test]
    fn table_queries_become_selects() {
        assert_eq!(respell("TABLE t").as_deref(), Some("SELECT * FROM t"));
        assert_eq!(
            respell("select 1 union all table s.t order by 1").as_deref(),
            Some("select 1 union all SELECT * FROM s.t order by 1")
        );
        assert_eq!(
            respell("with x as (table t) select * from x").as_deref(),
            Some("with x as (SELECT * FROM t) select * from x")
        );
        assert_eq!(respell("create table t (a int)"), None);
        assert_eq!(respell("lock table t"), None);
        assert_eq!(
            respell("select a from t order by a using >, b using <").as_deref(),
            Some("select a from t order by a DESC  , b ASC  ")
        );
    }

    #[test]
    fn create_table_as_loses_its_data_clause() {
        assert_eq!(
            respell("create table t as select * from u with no data").as_deref(),
            Some("create table t as SELECT * FROM (select * from u ) AS ctas LIMIT 0")
        );
        assert_eq!(
            respell("CREATE TABLE t (a) AS (VALUES (1)) WITH DATA;").as_deref(),
            Some("CREATE TABLE t  AS SELECT * FROM ((VALUES (1)) ) AS ctas(a)")
        );
        assert_eq!(
            respell("create table if not exists s.t (a, b) as select 1, 2").as_deref(),
            Some("create table if not exists s.t  as SELECT * FROM (select 1, 2) AS ctas(a, b)")
        );
        assert_eq!(
            respell("create table t (a int) with (fillfactor = 70)"),
            None
        );
        assert_eq!(respell("create table t (a) as"), None);
        assert_eq!(respell("create table t as with no data"), None);
    }

    #[test]
    fn fetch_quantities_in_parentheses_are_read() {
        assert_eq!(
            fetch_quantity("select 1 fetch first (2) rows only").as_deref(),
            Some("select 1 fetch first  2  rows only")
        );
        assert_eq!(
            fetch_quantity("select 1 offset 1 fetch next ($1 + 1) row only").as_deref(),
            Some("select 1 offset 1 LIMIT   ($1 + 1)    ")
        );
        assert_eq!(fetch_quantity("select 1 fetch first 2 rows only"), None);
        assert_eq!(fetch_quantity("fetch next (1 + 1) rows with ties"), None);
    }

    #[test]
    fn index_operator_classes_are_dropped() {
        assert_eq!(
            without_operator_classes(
                "create index i on t (name text_pattern_ops, (lower(b)) varchar_pattern_ops desc)"
            )
            .as_deref(),
            Some("create index i on t (name  , (lower(b))   desc)")
        );
        assert_eq!(
            without_operator_classes("CREATE UNIQUE INDEX i ON t USING gin (doc jsonb_path_ops)")
                .as_deref(),
            Some("CREATE UNIQUE INDEX i ON t USING gin (doc  )")
        );
        assert_eq!(without_operator_classes("create index i on t (a)"), None);
        assert_eq!(without_operator_classes("select a_ops from t"), None);
    }

    #[test]
    fn unique_nulls_distinct_is_the_default() {
        assert_eq!(
            unique_nulls_distinct("create table t (a int, constraint c unique nulls distinct (a))")
                .as_deref(),
            Some("create table t (a int, constraint c unique     (a))")
        );
        assert_eq!(unique_nulls_distinct("create table t (a int unique)"), None);
    }

    #[test]
    fn view_check_option_becomes_an_option() {
        assert_eq!(
            view_check_option("create view v (a) as select a from t where a > 0 with check option;")
                .as_deref(),
            Some("create view v (a) WITH (check_option = 'cascaded') as select a from t where a > 0 ")
        );
        assert_eq!(
            view_check_option(
                "CREATE OR REPLACE VIEW v AS SELECT * FROM t WITH LOCAL CHECK OPTION"
            )
            .as_deref(),
            Some("CREATE OR REPLACE VIEW v WITH (check_option = 'local') AS SELECT * FROM t ")
        );
        assert_eq!(view_check_option("create view v as select 1"), None);
    }

    #[test]
    fn unique_nulls_not_distinct_marks_the_constraint() {
        let marker = crate::planner::constraint::NULLS_NOT_DISTINCT_MARKER;
        assert_eq!(
            unique_nulls_distinct("alter table t add unique nulls not distinct (a)").as_deref(),
            Some(format!("alter table t add CONSTRAINT \"{marker}\" unique       (a)").as_str())
        );
        assert_eq!(
            unique_nulls_distinct("create table t (a int constraint U unique nulls not distinct)")
                .as_deref(),
            Some(format!("create table t (a int constraint \"{marker}u\" unique      )").as_str())
        );
    }

    #[test]
    fn tablesample_becomes_a_filtered_subquery() {
        assert_eq!(
            tablesample("select count(*) from t tablesample bernoulli (10)").as_deref(),
            Some("select count(*) from (SELECT * FROM t AS t WHERE random() * 100 < (10)) AS t")
        );
        assert_eq!(
            tablesample(
                "select * from s.t as x tablesample system (5 * 2) repeatable (7), u where x.a = u.a"
            )
            .as_deref(),
            Some(
                "select * from (SELECT * FROM s.t AS x WHERE ((hashtext(row_to_json(x)::text \
                 || ':' || (7)::text)::float8 + 2147483648) / 4294967296) * 100 < (5 * 2)) AS x, \
                 u where x.a = u.a"
            )
        );
        assert_eq!(tablesample("select tablesample from t"), None);
    }

    #[test]
    fn frame_offsets_starting_with_a_string_are_parenthesized() {
        assert_eq!(
            frame_string_offsets(
                "select sum(x) over (order by d range between '1 year'::interval preceding \
                 and '2 days' following) from t"
            )
            .as_deref(),
            Some(
                "select sum(x) over (order by d range between ('1 year'::interval) preceding \
                 and ('2 days') following) from t"
            )
        );
        assert_eq!(
            frame_string_offsets("select sum(x) over (order by f rows 'inf' preceding) from t")
                .as_deref(),
            Some("select sum(x) over (order by f rows ('inf') preceding) from t")
        );
        assert_eq!(
            frame_string_offsets("select 'a' between 'b' and 'c' from t"),
            None
        );
    }

    #[test]
    fn keyword_names_are_quoted_where_they_name() {
        assert_eq!(
            keyword_names("select Floor, t.top from t where floor(x) > 1").as_deref(),
            Some("select \"floor\", t.\"top\" from t where floor(x) > 1")
        );
        assert_eq!(
            keyword_names("create table if not exists t (exists int); drop table if exists u")
                .as_deref(),
            Some("create table if not exists t (\"exists\" int); drop table if exists u")
        );
        assert_eq!(
            keyword_names("select substring(a from 2), \"trim\" from t"),
            None
        );
    }
}
