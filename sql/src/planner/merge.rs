//! Planning `MERGE INTO target USING source ON cond WHEN [NOT] MATCHED [AND pred] THEN ...`
//! (PostgreSQL 15): the source LEFT JOINed to the target's keyed scan, and the WHEN clauses
//! bound over the joined row. Execution (`execution/merge.rs`) picks, for each joined row, the
//! first clause of its kind whose condition holds.
//!
//! sqlparser 0.52 reads neither `THEN DO NOTHING` nor `INSERT DEFAULT VALUES` in a MERGE;
//! [`rewrite_do_nothing`] turns them into actions on a marker column before parsing, which
//! [`plan_merge`] turns back.

use sqlparser::ast;
use sqlparser::tokenizer::Token;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::expr::{bind, boolean, Scope};
use crate::planner::join::join_on;
use crate::planner::plan::{JoinKind, KeyRange, MergeAction, MergeArm, Plan, Planned};
use crate::planner::relation::plan_factor;
use crate::planner::statement::{
    bind_assignments, check_width, default_value, explicit_value, insert_targets, is_default,
    key_column, table_scope, target_names, Overriding,
};
use crate::tokens::{is_word, significant, word};

/// The column name a rewritten `DO NOTHING` or `DEFAULT VALUES` assigns or inserts.
const MARKER: &str = "__vdb_merge_marker__";

/// `MERGE` with `THEN DO NOTHING` or `THEN INSERT DEFAULT VALUES` rewritten into syntax
/// sqlparser reads: `UPDATE SET marker = NULL` (matched), `INSERT (marker) VALUES (NULL)` (not
/// matched, do nothing) and `INSERT (marker) VALUES (DEFAULT)` (default values). `None` when
/// `sql` is not such a MERGE.
pub fn rewrite_do_nothing(sql: &str) -> Option<String> {
    let (mut tokens, at) = significant(sql)?;
    if !at.first().is_some_and(|&i| is_word(&tokens[i], "merge")) {
        return None;
    }
    let mut changed = false;
    let mut matched = true;
    let mut k = 0;
    while k < at.len() {
        let token = &tokens[at[k]];
        if is_word(token, "when") {
            matched = !at.get(k + 1).is_some_and(|&i| is_word(&tokens[i], "not"));
        }
        let next = |n: usize| at.get(k + n).map(|&i| &tokens[i]);
        let do_nothing = is_word(token, "then")
            && next(1).is_some_and(|t| is_word(t, "do"))
            && next(2).is_some_and(|t| is_word(t, "nothing"));
        let default_values = is_word(token, "insert")
            && next(1).is_some_and(|t| is_word(t, "default"))
            && next(2).is_some_and(|t| is_word(t, "values"));
        if do_nothing || default_values {
            let replacement = match (do_nothing, matched) {
                (true, true) => format!("UPDATE SET {MARKER} = NULL"),
                (true, false) => format!("INSERT ({MARKER}) VALUES (NULL)"),
                (false, _) => format!("INSERT ({MARKER}) VALUES (DEFAULT)"),
            };
            let first = if do_nothing { at[k + 1] } else { at[k] };
            tokens[first] = word(replacement, None);
            for &i in &at[k + 1 + usize::from(do_nothing)..=k + 2] {
                tokens[i] = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
            }
            changed = true;
            k += 3;
            continue;
        }
        k += 1;
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// Plans a MERGE statement.
pub fn plan_merge(
    catalog: &Catalog<'_>,
    target: &ast::TableFactor,
    source: &ast::TableFactor,
    on: &ast::Expr,
    clauses: &[ast::MergeClause],
) -> Result<Planned> {
    let (table, relation) = target_names(target)?;
    let schema = catalog.writable_table(&table)?.schema().clone();
    let mut target_scope = table_scope(&schema, &relation);
    target_scope.columns.push(key_column());
    let scan = Plan::Scan {
        table: table.clone(),
        schema: schema.clone(),
        range: KeyRange::All,
        with_key: true,
        reverse: false,
    };
    let source = plan_factor(catalog, source)?;
    let source_width = source.1.columns.len();
    let (plan, scope) = join_on(source, (scan, target_scope), JoinKind::Left, on)?;
    let mut arms = Vec::with_capacity(clauses.len());
    for clause in clauses {
        let matched = match clause.clause_kind {
            ast::MergeClauseKind::Matched => true,
            ast::MergeClauseKind::NotMatched | ast::MergeClauseKind::NotMatchedByTarget => false,
            ast::MergeClauseKind::NotMatchedBySource => {
                return Err(Error::Unsupported("WHEN NOT MATCHED BY SOURCE".into()))
            }
        };
        if arms
            .iter()
            .any(|arm: &MergeArm| arm.matched == matched && arm.predicate.is_none())
        {
            return Err(Error::invalid(
                "42601",
                "unreachable WHEN clause specified after unconditional WHEN clause",
            ));
        }
        let predicate = clause
            .predicate
            .as_ref()
            .map(|p| boolean(bind(p, &scope)?, "WHEN"))
            .transpose()?;
        let action = match (&clause.action, matched) {
            (ast::MergeAction::Update { assignments }, true) => {
                if is_marker_update(assignments) {
                    MergeAction::Nothing
                } else {
                    MergeAction::Update(bind_assignments(assignments, &table, &schema, &scope)?)
                }
            }
            (ast::MergeAction::Delete, true) => MergeAction::Delete,
            (ast::MergeAction::Insert(insert), false) => {
                match insert_row(catalog, insert, &table, &schema, &scope)? {
                    Some(row) => MergeAction::Insert(row),
                    None => MergeAction::Nothing,
                }
            }
            (action, _) => {
                let word = match action {
                    ast::MergeAction::Insert(_) => "INSERT",
                    ast::MergeAction::Update { .. } => "UPDATE",
                    ast::MergeAction::Delete => "DELETE",
                };
                let when = if matched {
                    "WHEN MATCHED"
                } else {
                    "WHEN NOT MATCHED"
                };
                return Err(Error::invalid(
                    "42601",
                    format!("syntax error at or near \"{word}\": {when} cannot {word}"),
                ));
            }
        };
        arms.push(MergeArm {
            matched,
            predicate,
            action,
        });
    }
    Ok(Planned {
        plan: Plan::Merge {
            table,
            source: Box::new(plan),
            source_width,
            arms,
        },
        columns: None,
        tag: "MERGE",
    })
}

/// Whether `assignments` is the rewritten `DO NOTHING` of a matched clause.
fn is_marker_update(assignments: &[ast::Assignment]) -> bool {
    matches!(assignments, [a] if matches!(&a.target,
        ast::AssignmentTarget::ColumnName(name) if name.0.len() == 1 && name.0[0].value == MARKER))
}

/// A `WHEN NOT MATCHED THEN INSERT` clause's row, every column of the table in order (defaults
/// for those not named), bound over the joined row; `None` for a rewritten `DO NOTHING`.
fn insert_row(
    catalog: &Catalog<'_>,
    insert: &ast::MergeInsertExpr,
    table: &str,
    schema: &vdb_engine::table::Schema,
    scope: &Scope,
) -> Result<Option<Vec<Expr>>> {
    let mut row = schema
        .columns
        .iter()
        .map(default_value)
        .collect::<Result<Vec<_>>>()?;
    let ast::MergeInsertKind::Values(values) = &insert.kind else {
        return Err(Error::Unsupported("MERGE ... INSERT ROW".into()));
    };
    let [items] = values.rows.as_slice() else {
        return Err(Error::invalid(
            "42601",
            "syntax error: a MERGE INSERT takes one VALUES row",
        ));
    };
    if let [column] = insert.columns.as_slice() {
        if column.value == MARKER {
            // `DEFAULT VALUES` inserts the defaults; `DO NOTHING` inserts nothing.
            return Ok(items.iter().all(is_default).then_some(row));
        }
    }
    let targets = insert_targets(&insert.columns, table, schema)?;
    check_width(items.len(), targets.len(), !insert.columns.is_empty())?;
    for (item, &i) in items.iter().zip(&targets) {
        let c = &schema.columns[i];
        if !is_default(item) && explicit_value(catalog, c, Overriding::None)? {
            row[i] = super::domain::assign_column(bind(item, scope)?, c)?;
        }
    }
    Ok(Some(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn do_nothing_and_default_values_become_marker_actions() {
        let sql = "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND t.v > 1 THEN DO NOTHING \
                   WHEN NOT MATCHED AND s.id > 5 THEN DO NOTHING \
                   WHEN NOT MATCHED THEN INSERT DEFAULT VALUES";
        let rewritten = rewrite_do_nothing(sql).expect("rewritten");
        assert!(rewritten.contains(&format!("THEN UPDATE SET {MARKER} = NULL")));
        assert!(rewritten.contains(&format!("THEN INSERT ({MARKER}) VALUES (NULL)")));
        assert!(rewritten.contains(&format!("THEN INSERT ({MARKER}) VALUES (DEFAULT)")));
        assert!(!rewritten.to_ascii_lowercase().contains("nothing"));
        assert_eq!(rewrite_do_nothing("SELECT 'then do nothing'"), None);
        assert_eq!(
            rewrite_do_nothing("MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE"),
            None
        );
    }
}
