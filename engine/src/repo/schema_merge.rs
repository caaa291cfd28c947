//! Three-way merge of one table's schema, by stable column id. It runs before any row is
//! touched: if it fails, the table is a schema conflict and its rows are not merged.
//!
//! Columns present in the base are matched by id across the three versions: a column changed
//! (renamed, retyped, nullability or default changed) or dropped on one side only takes that
//! side's version; changed the same way on both sides is fine; changed differently, or dropped
//! on one side and changed on the other, is a conflict.
//!
//! Columns added since the base need care, because ids are allocated per table from
//! `next_column_id`: two branches adding a column each both pick the same next id. So added
//! columns are matched by name: the same name with the same definition on both sides is one
//! column; the same name with different definitions is a conflict; a column of theirs whose id
//! ours also allocated gets a fresh id in the merged schema (ours keep theirs), and the row
//! rewrite maps it back. Limitation: a branch that still holds the old id and is merged again
//! later sees that id as a different column; allocating column ids randomly (as Dolt's column
//! tags are) would remove the collision.
//!
//! Column order is ours, then columns only theirs have, in their order. Primary keys must be
//! equal on both sides. Indexes, CHECK constraints and foreign keys merge three-way by name. A
//! column whose type differs between a side and the merged schema must be convertible without
//! loss (integer and float widening, within the text family, numeric precision changes).

use crate::table::{Column, Schema};
use crate::value::{Type, Value};
use std::collections::{BTreeMap, HashMap};

/// A merged schema, and where each of its columns comes from on each side.
#[derive(Clone, Debug)]
pub(crate) struct MergedSchema {
    pub schema: Schema,
    /// Per merged column (schema order): its id in the base, if the base has it.
    pub base_ids: Vec<Option<u32>>,
    /// Per merged column: its id in ours.
    pub ours_ids: Vec<Option<u32>>,
    /// Per merged column: its id in theirs (differs from the merged id when remapped).
    pub theirs_ids: Vec<Option<u32>>,
}

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
) -> Result<MergedSchema, String> {
    let Some(base) = base else {
        if ours != theirs {
            return Err("the table was created on both sides with different schemas".into());
        }
        return Ok(identity(None, ours));
    };
    if ours == theirs {
        return Ok(identity(Some(base), ours));
    }
    let remap = remap_theirs(base, ours, theirs)?;
    let merged_id = |id: u32| remap.get(&id).copied().unwrap_or(id);
    let theirs_by_merged: BTreeMap<u32, &Column> = theirs
        .columns
        .iter()
        .map(|c| (merged_id(c.id), c))
        .collect();
    let mut columns: Vec<Column> = Vec::new();
    let order = ours
        .columns
        .iter()
        .map(|c| c.id)
        .chain(theirs.columns.iter().map(|c| merged_id(c.id)))
        .chain(base.columns.iter().map(|c| c.id));
    for id in order {
        if columns.iter().any(|c| c.id == id) {
            continue;
        }
        let picked = pick_column(
            base.column_by_id(id),
            ours.column_by_id(id),
            theirs_by_merged.get(&id).copied(),
        )?;
        if let Some(column) = picked {
            if columns.iter().any(|c| c.name == column.name) {
                return Err(format!(
                    "two different columns would be named {}; rename one of them on one branch \
                     and merge again",
                    column.name
                ));
            }
            columns.push(Column {
                id,
                ..column.clone()
            });
        }
    }
    let inverse: HashMap<u32, u32> = remap.iter().map(|(t, m)| (*m, *t)).collect();
    // Ids theirs' schema does not define stay as they are; `validate` below rejects them.
    let map_ids = |ids: &[u32]| -> Vec<u32> {
        ids.iter()
            .map(|id| remap.get(id).copied().unwrap_or(*id))
            .collect()
    };
    if ours.primary_key != map_ids(&theirs.primary_key) {
        return Err("the primary key differs between the two sides".into());
    }
    if base.is_keyless() != ours.is_keyless() {
        return Err("the table gained or lost its primary key on both sides".into());
    }
    let mut theirs_indexes = theirs.indexes.clone();
    for index in &mut theirs_indexes {
        index.columns = map_ids(&index.columns);
    }
    let mut theirs_fks = theirs.foreign_keys.clone();
    for fk in &mut theirs_fks {
        fk.columns = map_ids(&fk.columns);
    }
    let next_column_id = remap
        .values()
        .map(|id| id + 1)
        .chain([
            base.next_column_id,
            ours.next_column_id,
            theirs.next_column_id,
        ])
        .max()
        .unwrap_or(1);
    let schema = Schema {
        columns,
        primary_key: ours.primary_key.clone(),
        indexes: merge_named(
            &base.indexes,
            &ours.indexes,
            &theirs_indexes,
            "index",
            |x| &x.name,
        )?,
        checks: merge_named(&base.checks, &ours.checks, &theirs.checks, "check", |x| {
            &x.name
        })?,
        foreign_keys: merge_named(
            &base.foreign_keys,
            &ours.foreign_keys,
            &theirs_fks,
            "foreign key",
            |x| &x.name,
        )?,
        next_column_id,
    };
    schema
        .validate()
        .map_err(|e| format!("the merged schema is invalid: {e}"))?;
    let merged = MergedSchema {
        base_ids: schema
            .columns
            .iter()
            .map(|c| base.column_by_id(c.id).map(|_| c.id))
            .collect(),
        ours_ids: schema
            .columns
            .iter()
            .map(|c| ours.column_by_id(c.id).map(|_| c.id))
            .collect(),
        theirs_ids: schema
            .columns
            .iter()
            .map(|c| inverse.get(&c.id).copied())
            .collect(),
        schema,
    };
    check_conversions(&merged, ours, theirs)?;
    Ok(merged)
}

/// Every side has exactly `schema`'s columns (the base may lack some or have others).
fn identity(base: Option<&Schema>, schema: &Schema) -> MergedSchema {
    let ids: Vec<Option<u32>> = schema.columns.iter().map(|c| Some(c.id)).collect();
    MergedSchema {
        base_ids: schema
            .columns
            .iter()
            .map(|c| base.and_then(|b| b.column_by_id(c.id)).map(|_| c.id))
            .collect(),
        ours_ids: ids.clone(),
        theirs_ids: ids,
        schema: schema.clone(),
    }
}

/// Theirs' column id → the id the column gets in the merged schema (see the module header).
fn remap_theirs(
    base: &Schema,
    ours: &Schema,
    theirs: &Schema,
) -> Result<HashMap<u32, u32>, String> {
    let mut next = base
        .next_column_id
        .max(ours.next_column_id)
        .max(theirs.next_column_id);
    let mut remap = HashMap::new();
    for column in &theirs.columns {
        if base.column_by_id(column.id).is_some() {
            remap.insert(column.id, column.id);
            continue;
        }
        let ours_added = ours
            .columns
            .iter()
            .find(|o| base.column_by_id(o.id).is_none() && o.name == column.name);
        let id = match ours_added {
            Some(o) if def(o) == def(column) => o.id,
            Some(o) => {
                return Err(format!(
                    "column {} was added on both sides with different definitions \
                     (ours: {}; theirs: {})",
                    column.name,
                    describe(o),
                    describe(column)
                ))
            }
            None if column.id < ours.next_column_id => {
                let fresh = next;
                next += 1;
                fresh
            }
            None => column.id,
        };
        remap.insert(column.id, id);
    }
    Ok(remap)
}

/// The three-way choice for one column (`None`: it is not in the merged schema).
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
        (None, Some(c), _) | (None, _, Some(c)) => {
            format!("column {} was added on both sides differently", c.name)
        }
        (None, None, None) => "a column vanished".into(),
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
fn check_conversions(merged: &MergedSchema, ours: &Schema, theirs: &Schema) -> Result<(), String> {
    for (j, column) in merged.schema.columns.iter().enumerate() {
        let sides = [(ours, merged.ours_ids[j]), (theirs, merged.theirs_ids[j])];
        for (schema, id) in sides {
            let Some(side) = id.and_then(|id| schema.column_by_id(id)) else {
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

    #[test]
    fn columns_added_on_both_sides_get_distinct_ids() {
        let base = schema(&[("id", Type::Int8), ("a", Type::Text)]);
        let mut ours = base.clone();
        ours.add_column("x", Type::Int4, true, None).unwrap();
        let mut theirs = base.clone();
        theirs.add_column("y", Type::Text, true, None).unwrap();
        let merged = merge_schemas(Some(&base), &ours, &theirs).unwrap();
        let names: Vec<&str> = merged.schema.columns.iter().map(|c| &*c.name).collect();
        assert_eq!(names, ["id", "a", "x", "y"]);
        assert_eq!(merged.schema.columns[3].id, 4, "theirs' y is renumbered");
        assert_eq!(merged.theirs_ids[3], Some(3));
        assert_eq!(merged.ours_ids[3], None);
        assert_eq!(merged.schema.next_column_id, 5);
    }

    #[test]
    fn same_column_added_identically_is_one_column() {
        let base = schema(&[("id", Type::Int8)]);
        let mut ours = base.clone();
        ours.add_column("x", Type::Int4, true, None).unwrap();
        ours.add_column("z", Type::Int4, true, None).unwrap();
        let mut theirs = base.clone();
        theirs.add_column("z", Type::Int4, true, None).unwrap();
        let merged = merge_schemas(Some(&base), &ours, &theirs).unwrap();
        assert_eq!(merged.schema.columns.len(), 3);
        assert_eq!(
            merged.theirs_ids[2],
            Some(2),
            "theirs' z (id 2) is ours' z (id 3)"
        );
        let mut clash = base.clone();
        clash.add_column("z", Type::Text, true, None).unwrap();
        assert!(merge_schemas(Some(&base), &ours, &clash).is_err());
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
        assert_eq!(merged.schema.columns[1].ty, Type::Int8);
    }
}
