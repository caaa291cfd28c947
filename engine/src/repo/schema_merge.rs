//! Three-way merge of one table's schema, by stable column id. It runs before any row is
//! touched: if it fails, the table is a schema conflict and its rows are not merged.
//!
//! Column ids are derived from a column's name and type when it is added (see
//! `table/schema.rs`), so the same column has the same id on every branch and columns are
//! matched by id across base, ours and theirs, with no renumbering:
//!
//! - a column changed (renamed, retyped, nullability or default changed), dropped or added on
//!   one side only takes that side's version;
//! - changed, dropped or added the same way on both sides is fine: the same column (same name
//!   and type) added on both sides has one id, and so is one column;
//! - changed differently, dropped on one side and changed on the other, or added on both sides
//!   with the same id but a different nullability or default, is a conflict;
//! - two different ids with the same name in the merged schema is a conflict: the same name
//!   added on both sides with different types, or a rename on one side onto a name the other
//!   side added.
//!
//! Because ids never depend on the merge, merging a branch again later sees the same ids.
//!
//! Column order is ours, then columns only theirs have, in their order. Primary keys must be
//! equal on both sides. Indexes, CHECK constraints and foreign keys merge three-way by name. A
//! column whose type differs between a side and the merged schema must be convertible without
//! loss (integer and float widening, within the text family, numeric precision changes); the
//! row merge brings each side to the merged schema by column id.

use crate::table::{Column, Comments, Schema};
use crate::value::{Type, Value};
use std::collections::BTreeSet;

/// A column's definition without its id, for comparing across sides.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Def<'a> {
    name: &'a str,
    ty: &'a Type,
    nullable: bool,
    default: Option<&'a str>,
}

fn def(column: &Column) -> Def<'_> {
    Def {
        name: &column.name,
        ty: &column.ty,
        nullable: column.nullable,
        default: column.default.as_deref(),
    }
}

fn describe(column: &Column) -> String {
    let null = if column.nullable { "" } else { " NOT NULL" };
    let default = column
        .default
        .as_ref()
        .map_or(String::new(), |d| format!(" DEFAULT {d}"));
    format!("{} {}{null}{default}", column.name, column.ty)
}

/// Merges `theirs` into `ours` relative to `base` (`None`: the table was added on both sides,
/// which merges only if both added the same schema). `Err` describes the conflict.
pub(crate) fn merge_schemas(
    base: Option<&Schema>,
    ours: &Schema,
    theirs: &Schema,
) -> Result<Schema, String> {
    let Some(base) = base else {
        if ours != theirs {
            return Err("the table was created on both sides with different schemas".into());
        }
        return Ok(ours.clone());
    };
    if ours == theirs {
        return Ok(ours.clone());
    }
    if ours.primary_key != theirs.primary_key {
        return Err("the primary key differs between the two sides".into());
    }
    if base.is_keyless() != ours.is_keyless() {
        return Err("the table gained or lost its primary key on both sides".into());
    }
    let schema = Schema {
        columns: merge_columns(base, ours, theirs)?,
        primary_key: ours.primary_key.clone(),
        indexes: merge_named(
            &base.indexes,
            &ours.indexes,
            &theirs.indexes,
            "index",
            |x| &x.name,
        )?,
        checks: merge_named(&base.checks, &ours.checks, &theirs.checks, "check", |x| {
            &x.name
        })?,
        foreign_keys: merge_named(
            &base.foreign_keys,
            &ours.foreign_keys,
            &theirs.foreign_keys,
            "foreign key",
            |x| &x.name,
        )?,
        comments: merge_comments(&base.comments, &ours.comments, &theirs.comments),
        // A rename on one side wins; renames on both sides keep ours.
        primary_key_name: if ours.primary_key_name == base.primary_key_name {
            theirs.primary_key_name.clone()
        } else {
            ours.primary_key_name.clone()
        },
        // Likewise a materialized view's query (rewritten by a rename) and populated flag.
        materialized: if ours.materialized == base.materialized {
            theirs.materialized.clone()
        } else {
            ours.materialized.clone()
        },
        triggers: merge_named(
            &base.triggers,
            &ours.triggers,
            &theirs.triggers,
            "trigger",
            |x| &x.name,
        )?,
    };
    schema
        .validate()
        .map_err(|e| format!("the merged schema is invalid: {e}"))?;
    check_conversions(&schema, ours, theirs)?;
    Ok(schema)
}

/// The merged columns, matched by id: ours' order, then theirs', then the base's (for columns
/// only the base has, which [`pick_column`] drops).
fn merge_columns(base: &Schema, ours: &Schema, theirs: &Schema) -> Result<Vec<Column>, String> {
    let mut columns: Vec<Column> = Vec::new();
    let order = ours
        .columns
        .iter()
        .chain(&theirs.columns)
        .chain(&base.columns)
        .map(|c| c.id);
    for id in order {
        if columns.iter().any(|c| c.id == id) {
            continue;
        }
        let picked = pick_column(
            base.column_by_id(id),
            ours.column_by_id(id),
            theirs.column_by_id(id),
        )?;
        let Some(column) = picked else {
            continue;
        };
        if let Some(other) = columns.iter().find(|c| c.name == column.name) {
            return Err(name_clash(base, ours, other, column));
        }
        columns.push(column.clone());
    }
    Ok(columns)
}

/// Describes two merged columns with different ids but the same name.
fn name_clash(base: &Schema, ours: &Schema, a: &Column, b: &Column) -> String {
    let added = |c: &Column| base.column_by_id(c.id).is_none();
    if added(a) && added(b) {
        // Neither is in the base and each side's own names are unique: one is ours', one theirs'.
        let (o, t) = if ours.column_by_id(a.id).is_some() {
            (a, b)
        } else {
            (b, a)
        };
        return added_differently(o, t);
    }
    format!(
        "two different columns would be named {}; rename one of them on one branch and merge \
         again",
        a.name
    )
}

fn added_differently(ours: &Column, theirs: &Column) -> String {
    format!(
        "column {} was added on both sides with different definitions (ours: {}; theirs: {})",
        ours.name,
        describe(ours),
        describe(theirs)
    )
}

/// The three-way choice for one column id (`None`: it is not in the merged schema).
fn pick_column<'a>(
    base: Option<&'a Column>,
    ours: Option<&'a Column>,
    theirs: Option<&'a Column>,
) -> Result<Option<&'a Column>, String> {
    let (b, o, t) = (base.map(def), ours.map(def), theirs.map(def));
    if o == t || b == t {
        return Ok(ours);
    }
    if b == o {
        return Ok(theirs);
    }
    Err(match (base, ours, theirs) {
        (Some(b), Some(o), Some(t)) => format!(
            "column {} was changed differently (ours: {}; theirs: {})",
            b.name,
            describe(o),
            describe(t)
        ),
        (Some(b), _, _) => format!(
            "column {} was dropped on one side and changed on the other",
            b.name
        ),
        (None, Some(o), Some(t)) => added_differently(o, t),
        // Unreachable: without a base, a column on one side only equals the base's absence.
        (None, _, _) => "a column was added on one side in a way the merge cannot follow".into(),
    })
}

/// Three-way merge of named definitions (indexes, checks, foreign keys), in ours' order then
/// theirs'.
fn merge_named<T: Clone + PartialEq>(
    base: &[T],
    ours: &[T],
    theirs: &[T],
    what: &str,
    name: impl Fn(&T) -> &String,
) -> Result<Vec<T>, String> {
    let find = |list: &'_ [T], n: &String| list.iter().find(|x| name(x) == n).cloned();
    let mut out: Vec<T> = Vec::new();
    for item in ours.iter().chain(theirs).chain(base) {
        let n = name(item);
        if out.iter().any(|x| name(x) == n) {
            continue;
        }
        let (b, o, t) = (find(base, n), find(ours, n), find(theirs, n));
        let picked = if o == t || b == t {
            o
        } else if b == o {
            t
        } else {
            return Err(format!(
                "{what} {n} was changed differently on the two sides"
            ));
        };
        out.extend(picked);
    }
    let mut names: Vec<&String> = out.iter().map(&name).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two {what}s would be named {}", w[0]));
    }
    Ok(out)
}

/// Fails if ours' or theirs' values of a column cannot be converted to its merged type.
fn check_conversions(merged: &Schema, ours: &Schema, theirs: &Schema) -> Result<(), String> {
    for column in &merged.columns {
        for side in [ours, theirs] {
            let Some(side) = side.column_by_id(column.id) else {
                continue;
            };
            if !convertible(&side.ty, &column.ty) {
                return Err(format!(
                    "column {} is {} on one side and {} on the other, and the merge cannot \
                     convert the values; change its type the same way on both branches",
                    column.name, side.ty, column.ty
                ));
            }
        }
    }
    Ok(())
}

/// Whether every value of type `from` is a value of type `to` after [`convert`].
pub(crate) fn convertible(from: &Type, to: &Type) -> bool {
    use Type::*;
    match (from, to) {
        _ if from == to => true,
        _ if from.is_text() && to.is_text() => true,
        (Numeric { .. }, Numeric { .. }) => true,
        (Int2, Int4 | Int8 | Float8) | (Int4, Int8 | Float8) | (Float4, Float8) => true,
        (Array(a), Array(b)) => convertible(a, b),
        _ => false,
    }
}

/// Converts `value` to type `to` (see [`convertible`]); `None` if it cannot be.
pub(crate) fn convert(value: Value, to: &Type) -> Option<Value> {
    if value.type_matches(to) {
        return Some(value);
    }
    Some(match (value, to) {
        (Value::Int2(v), Type::Int4) => Value::Int4(v.into()),
        (Value::Int2(v), Type::Int8) => Value::Int8(v.into()),
        (Value::Int4(v), Type::Int8) => Value::Int8(v.into()),
        (Value::Int2(v), Type::Float8) => Value::Float8(v.into()),
        (Value::Int4(v), Type::Float8) => Value::Float8(v.into()),
        (Value::Float4(v), Type::Float8) => Value::Float8(v.into()),
        (Value::Array(items), Type::Array(element)) => Value::Array(
            items
                .into_iter()
                .map(|v| convert(v, element))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// Comments merge one by one (the table's, then each column's): a side that changed one wins
/// over a side that did not; when both changed it differently, ours is kept (a comment is not
/// worth a conflict).
fn merge_comments(base: &Comments, ours: &Comments, theirs: &Comments) -> Comments {
    fn pick<T: PartialEq + Clone>(
        base: Option<&T>,
        ours: Option<&T>,
        theirs: Option<&T>,
    ) -> Option<T> {
        if ours == base { theirs } else { ours }.cloned()
    }
    let ids: BTreeSet<u32> = base
        .columns
        .keys()
        .chain(ours.columns.keys())
        .chain(theirs.columns.keys())
        .copied()
        .collect();
    Comments {
        table: pick(
            base.table.as_ref(),
            ours.table.as_ref(),
            theirs.table.as_ref(),
        ),
        columns: ids
            .into_iter()
            .filter_map(|id| {
                pick(
                    base.columns.get(&id),
                    ours.columns.get(&id),
                    theirs.columns.get(&id),
                )
                .map(|c| (id, c))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(cols: &[(&str, Type)]) -> Schema {
        Schema::new(
            &cols
                .iter()
                .map(|(n, t)| (*n, t.clone(), true))
                .collect::<Vec<_>>(),
            &[cols[0].0],
        )
        .unwrap()
    }

    fn names(schema: &Schema) -> Vec<&str> {
        schema.columns.iter().map(|c| &*c.name).collect()
    }

    #[test]
    fn columns_added_on_both_sides_keep_their_ids() {
        let base = schema(&[("id", Type::Int8), ("a", Type::Text)]);
        let mut ours = base.clone();
        let x = ours.add_column("x", Type::Int4, true, None).unwrap();
        let mut theirs = base.clone();
        let y = theirs.add_column("y", Type::Text, true, None).unwrap();
        let merged = merge_schemas(Some(&base), &ours, &theirs).unwrap();
        assert_eq!(names(&merged), ["id", "a", "x", "y"]);
        assert_eq!(merged.must_get_column("x").unwrap().id, x);
        assert_eq!(merged.must_get_column("y").unwrap().id, y);
    }

    /// (b) The same column (same name and type) added on both sides gets the same id on both,
    /// and so merges into one column, wherever each side put it.
    #[test]
    fn same_column_added_on_both_sides_is_one_column() {
        let base = schema(&[("id", Type::Int8)]);
        let mut ours = base.clone();
        ours.add_column("x", Type::Int4, true, None).unwrap();
        let z = ours.add_column("z", Type::Int4, true, None).unwrap();
        let mut theirs = base.clone();
        assert_eq!(theirs.add_column("z", Type::Int4, true, None).unwrap(), z);
        let merged = merge_schemas(Some(&base), &ours, &theirs).unwrap();
        assert_eq!(names(&merged), ["id", "x", "z"]);
        assert_eq!(merged.must_get_column("z").unwrap().id, z);
    }

    /// (c) The same name added on both sides with different types: two ids, one name.
    #[test]
    fn same_name_different_type_added_on_both_sides_conflicts() {
        let base = schema(&[("id", Type::Int8)]);
        let mut ours = base.clone();
        ours.add_column("z", Type::Int4, true, None).unwrap();
        let mut theirs = base.clone();
        theirs.add_column("z", Type::Text, true, None).unwrap();
        let err = merge_schemas(Some(&base), &ours, &theirs).unwrap_err();
        assert_eq!(
            err,
            "column z was added on both sides with different definitions \
             (ours: z integer; theirs: z text)"
        );
        // Same name and type, different nullability: one id, two definitions.
        let mut theirs = base.clone();
        theirs.add_column("z", Type::Int4, false, None).unwrap();
        let err = merge_schemas(Some(&base), &ours, &theirs).unwrap_err();
        assert!(
            err.contains("(ours: z integer; theirs: z integer NOT NULL)"),
            "{err}"
        );
    }

    #[test]
    fn rename_onto_a_name_the_other_side_added_conflicts() {
        let base = schema(&[("id", Type::Int8), ("a", Type::Text)]);
        let mut ours = base.clone();
        ours.columns[1].name = "b".into();
        let mut theirs = base.clone();
        theirs.add_column("b", Type::Text, true, None).unwrap();
        let err = merge_schemas(Some(&base), &ours, &theirs).unwrap_err();
        assert!(
            err.contains("two different columns would be named b"),
            "{err}"
        );
    }

    #[test]
    fn retyped_differently_conflicts() {
        let base = schema(&[("id", Type::Int8), ("a", Type::Int4)]);
        let mut ours = base.clone();
        ours.columns[1].ty = Type::Int8;
        let mut theirs = base.clone();
        theirs.columns[1].ty = Type::Text;
        let err = merge_schemas(Some(&base), &ours, &theirs).unwrap_err();
        assert!(err.contains("column a was changed differently"), "{err}");
        // Widening on one side while the other adds a column merges.
        let mut theirs = base.clone();
        theirs.add_column("b", Type::Bool, true, None).unwrap();
        let merged = merge_schemas(Some(&base), &ours, &theirs).unwrap();
        assert_eq!(merged.columns[1].ty, Type::Int8);
    }
}
