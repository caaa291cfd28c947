//! `t AS OF 'rev'` and `t FOR SYSTEM_TIME AS OF 'rev'` in FROM: sqlparser's PostgreSQL dialect
//! reads neither, so before parsing, each is rewritten to the table function
//! `vdb_as_of('t', 'rev')` (which the planner turns into a scan of the table at that revision,
//! its columns still qualified by `t`). Only a table name right after FROM, JOIN or a comma
//! followed by `AS OF` and a string literal or a `$n` parameter is rewritten; the rest of the
//! text is kept byte for byte.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithLocation, Tokenizer};

/// `sql` with every `AS OF` table reference rewritten, or `None` if it has none.
pub fn rewrite(sql: &str) -> Option<String> {
    if !sql.to_ascii_lowercase().contains("of") {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let offsets = LineOffsets::new(sql);
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize, k: Keyword| matches!(&tokens[i].token, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut s = 0;
    while s < significant.len() {
        // Find `AS OF <rev>` with `<rev>` a string or a parameter.
        let at = |k: usize| significant.get(k).copied();
        let (Some(as_i), Some(of_i), Some(rev_i)) = (at(s), at(s + 1), at(s + 2)) else {
            break;
        };
        let rev_ok = matches!(
            tokens[rev_i].token,
            Token::SingleQuotedString(_) | Token::Placeholder(_)
        );
        if !(keyword(as_i, Keyword::AS) && keyword(of_i, Keyword::OF) && rev_ok) {
            s += 1;
            continue;
        }
        // `FOR SYSTEM_TIME` may precede it.
        let mut name_end = s;
        if s >= 2 {
            let (f, st) = (significant[s - 2], significant[s - 1]);
            if keyword(f, Keyword::FOR) && keyword(st, Keyword::SYSTEM_TIME) {
                name_end = s - 2;
            }
        }
        // The table name: words separated by periods, ending right before.
        let mut parts = Vec::new();
        let mut k = name_end;
        loop {
            if k == 0 {
                break;
            }
            let Token::Word(w) = &tokens[significant[k - 1]].token else {
                break;
            };
            parts.push(match w.quote_style {
                None => w.value.to_lowercase(),
                Some(_) => w.value.clone(),
            });
            k -= 1;
            if k > 0 && tokens[significant[k - 1]].token == Token::Period {
                k -= 1;
                continue;
            }
            break;
        }
        let context_ok = k > 0
            && (matches!(tokens[significant[k - 1]].token, Token::Comma)
                || keyword(significant[k - 1], Keyword::FROM)
                || keyword(significant[k - 1], Keyword::JOIN));
        if parts.is_empty() || !context_ok {
            s += 1;
            continue;
        }
        parts.reverse();
        let table = match parts.as_slice() {
            [schema, table] => vdb_engine::table::qualified(schema, table),
            [table] => table.clone(),
            _ => {
                s += 1;
                continue;
            }
        };
        let start = offsets.of(&tokens[significant[k]]);
        let end = tokens.get(rev_i + 1).map_or(sql.len(), |t| offsets.of(t));
        let rev_text = &sql[offsets.of(&tokens[rev_i])..end];
        edits.push((
            start,
            end,
            format!(
                "vdb_as_of('{}', {})",
                table.replace('\'', "''"),
                rev_text.trim_end()
            ),
        ));
        s += 3;
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + 32 * edits.len());
    let mut last = 0;
    for (start, end, replacement) in edits {
        out.push_str(&sql[last..start]);
        out.push_str(&replacement);
        last = end;
    }
    out.push_str(&sql[last..]);
    Some(out)
}

/// Byte offsets of 1-based (line, character column) locations.
pub(crate) struct LineOffsets<'a> {
    sql: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    pub(crate) fn new(sql: &'a str) -> LineOffsets<'a> {
        let mut starts = vec![0];
        starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets { sql, starts }
    }

    pub(crate) fn of(&self, token: &TokenWithLocation) -> usize {
        let line = (token.location.line as usize).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(self.sql.len());
        let column = (token.location.column as usize).saturating_sub(1);
        self.sql[start..]
            .char_indices()
            .nth(column)
            .map_or(self.sql.len(), |(i, _)| start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn as_of_becomes_a_table_function_call() {
        assert_eq!(
            rewrite("SELECT * FROM labels AS OF 'v1' WHERE id = 1").as_deref(),
            Some("SELECT * FROM vdb_as_of('labels', 'v1') WHERE id = 1")
        );
        assert_eq!(
            rewrite("select a.x, b.x from t as of 'main~1' a join public.t AS OF $1 AS b on a.id = b.id")
                .as_deref(),
            Some(
                "select a.x, b.x from vdb_as_of('t', 'main~1') a join vdb_as_of('t', $1) AS b on \
                 a.id = b.id"
            )
        );
        assert_eq!(
            rewrite("SELECT * FROM t FOR SYSTEM_TIME AS OF 'HEAD~2'").as_deref(),
            Some("SELECT * FROM vdb_as_of('t', 'HEAD~2')")
        );
        assert_eq!(
            rewrite("SELECT * FROM \"My T\" AS OF 'x'").as_deref(),
            Some("SELECT * FROM vdb_as_of('My T', 'x')")
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        assert_eq!(rewrite("SELECT 1 AS of"), None);
        assert_eq!(rewrite("SELECT 'labels AS OF ''v1''' FROM t"), None);
        assert_eq!(rewrite("SELECT x AS OF 'v1'"), None);
        assert_eq!(rewrite("SELECT * FROM t"), None);
    }
}
