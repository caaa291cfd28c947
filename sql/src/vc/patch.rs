//! Patches: SQL statements that turn the first state into the second, valid for psql
//! (PostgreSQL's dialect, `standard_conforming_strings` on). `vdb diff --format sql` prints
//! them and `vdb_patch(from, to)` returns them as rows.
//!
//! Per table: an added table becomes `CREATE TABLE` then `INSERT`s; a dropped one `DROP
//! TABLE`; a modified one first gets `ALTER TABLE` for the schema changes SQL can say simply
//! (columns added, dropped, renamed, retyped, NOT NULL set or dropped; anything else becomes a
//! `--` comment), then one statement per changed row: `INSERT` for an added row, `UPDATE ...
//! SET` (only the changed cells) and `DELETE` for the others, each finding its row by the
//! old primary-key values. A keyless table finds rows by all their columns, so a `DELETE` there
//! removes every duplicate of the row.

use crate::types::to_pg_text;
use vdb_engine::repo::{RowDiff, SchemaChange, TableChange, TableDiff};
use vdb_engine::table::Schema;
use vdb_engine::value::{Type, Value};

/// An identifier as SQL: bare when it is a lowercase simple name, else double-quoted.
pub fn ident(name: &str) -> String {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if simple && !RESERVED.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Reserved words that cannot be bare column or table names (a subset of PostgreSQL's, the
/// ones likely as names).
const RESERVED: &[&str] = &[
    "all",
    "and",
    "as",
    "asc",
    "case",
    "check",
    "column",
    "constraint",
    "default",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "false",
    "for",
    "from",
    "group",
    "in",
    "into",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "primary",
    "references",
    "select",
    "table",
    "then",
    "to",
    "true",
    "union",
    "unique",
    "user",
    "when",
    "where",
    "with",
];

/// A string literal, quotes doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A value as a SQL literal for a column of its own type: numbers and booleans bare, NULL, and
/// everything else as a quoted literal that PostgreSQL coerces to the column's type.
pub fn literal(value: &Value) -> String {
    let Some(text) = to_pg_text(value) else {
        return "NULL".to_string();
    };
    match value {
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => text,
        Value::Float4(_) | Value::Float8(_) | Value::Numeric(_)
            if text.parse::<f64>().is_ok_and(f64::is_finite) =>
        {
            text
        }
        _ => quote(&text),
    }
}

/// A value cast to `ty`, as the `--where` filter needs it: `CAST('12.5' AS numeric)`.
pub fn typed_literal(value: &Value, ty: &Type) -> String {
    match to_pg_text(value) {
        None => format!("CAST(NULL AS {ty})"),
        Some(text) => format!("CAST({} AS {ty})", quote(&text)),
    }
}

/// Passes `emit` the statements for one table diff, its rows (already filtered) streaming
/// through.
pub fn statements<E>(
    d: &TableDiff,
    rows: &mut dyn Iterator<Item = Result<RowDiff, E>>,
    emit: &mut dyn FnMut(String),
) -> Result<(), E> {
    let table = ident(&d.name);
    let from = d.from.as_ref().map(|t| t.schema());
    let to = d.to.as_ref().map(|t| t.schema());
    match (d.change, from, to) {
        (TableChange::Dropped, _, _) => {
            emit(format!("DROP TABLE {table};"));
            return Ok(());
        }
        (TableChange::Added, _, Some(to)) => emit(create_table(&table, to)),
        _ => {
            for change in &d.schema_changes {
                emit(alter(&table, change));
            }
        }
    }
    for row in rows {
        let row = row?;
        emit(match &row {
            RowDiff::Added { row, .. } => insert(&table, to, row),
            RowDiff::Deleted { row, .. } => {
                format!("DELETE FROM {table} WHERE {};", locate(from, to, row))
            }
            RowDiff::Modified { old, cells, .. } => {
                let sets: Vec<String> = cells
                    .iter()
                    .filter(|c| to.is_some_and(|s| s.get_column(&c.column).is_some()))
                    .map(|c| format!("{} = {}", ident(&c.column), literal(&c.new)))
                    .collect();
                if sets.is_empty() {
                    continue;
                }
                format!(
                    "UPDATE {table} SET {} WHERE {};",
                    sets.join(", "),
                    locate(from, to, old)
                )
            }
        });
    }
    Ok(())
}

/// `CREATE TABLE` for a schema: columns with types, defaults and NOT NULL, and the primary key.
pub fn create_table(table: &str, schema: &Schema) -> String {
    let mut parts: Vec<String> = schema
        .columns
        .iter()
        .map(|c| {
            let mut part = format!("{} {}", ident(&c.name), c.ty);
            if let Some(default) = &c.default {
                part.push_str(&format!(" DEFAULT {default}"));
            }
            if !c.nullable {
                part.push_str(" NOT NULL");
            }
            part
        })
        .collect();
    let key: Vec<String> = schema
        .primary_key
        .iter()
        .filter_map(|id| schema.column_by_id(*id))
        .map(|c| ident(&c.name))
        .collect();
    if !key.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
    }
    format!("CREATE TABLE {table} ({});", parts.join(", "))
}

fn alter(table: &str, change: &SchemaChange) -> String {
    use SchemaChange::*;
    match change {
        ColumnAdded { name, ty } => format!("ALTER TABLE {table} ADD COLUMN {} {ty};", ident(name)),
        ColumnDropped { name } => format!("ALTER TABLE {table} DROP COLUMN {};", ident(name)),
        ColumnRenamed { from, to } => format!(
            "ALTER TABLE {table} RENAME COLUMN {} TO {};",
            ident(from),
            ident(to)
        ),
        ColumnRetyped { name, to, .. } => {
            format!(
                "ALTER TABLE {table} ALTER COLUMN {} TYPE {to};",
                ident(name)
            )
        }
        NullabilityChanged { name, nullable } => format!(
            "ALTER TABLE {table} ALTER COLUMN {} {} NOT NULL;",
            ident(name),
            if *nullable { "DROP" } else { "SET" }
        ),
        other => format!("-- {table}: {other} (not expressed in SQL)"),
    }
}

fn insert(table: &str, to: Option<&Schema>, row: &[Value]) -> String {
    let Some(schema) = to else {
        return format!("-- {table}: a row added without a schema");
    };
    let names: Vec<String> = schema.columns.iter().map(|c| ident(&c.name)).collect();
    let values: Vec<String> = row.iter().map(literal).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({});",
        names.join(", "),
        values.join(", ")
    )
}

/// The WHERE condition finding an old row: its primary-key columns (all columns if keyless),
/// named as in the new schema since the ALTERs run first, compared with the old values.
fn locate(from: Option<&Schema>, to: Option<&Schema>, old: &[Value]) -> String {
    let Some(from) = from else {
        return "FALSE".to_string();
    };
    let positions = if from.is_keyless() {
        (0..from.columns.len()).collect()
    } else {
        from.key_positions()
    };
    let conditions: Vec<String> = positions
        .into_iter()
        .map(|p| {
            let column = &from.columns[p];
            let name = to
                .and_then(|t| t.column_by_id(column.id))
                .map_or(&column.name, |c| &c.name);
            match &old[p] {
                Value::Null => format!("{} IS NULL", ident(name)),
                value => format!("{} = {}", ident(name), literal(value)),
            }
        })
        .collect();
    conditions.join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted_for_postgresql() {
        assert_eq!(ident("score"), "score");
        assert_eq!(ident("Score"), "\"Score\"");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal(&Value::Text("it's".into())), "'it''s'");
        assert_eq!(literal(&Value::Null), "NULL");
        assert_eq!(literal(&Value::Bool(true)), "TRUE");
        assert_eq!(literal(&Value::Float8(f64::NAN)), "'NaN'");
        assert_eq!(literal(&Value::Float8(1.5)), "1.5");
        assert_eq!(
            typed_literal(&Value::Int4(3), &Type::Int4),
            "CAST('3' AS integer)"
        );
    }
}
