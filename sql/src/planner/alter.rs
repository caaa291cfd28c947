//! Planning ALTER TABLE: the operations are applied in order to a copy of the table's schema,
//! giving the new schema, plus what execution needs to carry the rows over: a value for each
//! added or retyped column computed from the old row (its DEFAULT, or `USING`, or a cast), the
//! sequences of new SERIAL columns, and renamed columns (so other tables' foreign keys follow).
//! Column ids are kept across renames and retypes, so history follows the column.

use sqlparser::ast;
use vdb_engine::table::{Schema, Sequence};
use vdb_engine::value::Type;

use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::constraint;
use crate::planner::expr::{bind, ident_name, Scope};
use crate::planner::generated;
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::SchemaChange;
use crate::planner::sequence;
use crate::planner::statement::{
    self, assign, bind_default, default_value, stored_default, table_scope,
};
use crate::types::sql_type;

/// Everything an ALTER TABLE changes.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterTable {
    pub table: String,
    pub schema: Schema,
    /// Column id → its new value, computed from the old row (added and retyped columns).
    pub fills: Vec<(u32, Expr)>,
    pub sequences: Vec<(String, Sequence)>,
    /// (old name, new name) of renamed columns.
    pub renamed: Vec<(String, String)>,
    /// Names of dropped columns.
    pub dropped: Vec<String>,
    /// DROP COLUMN ... CASCADE: drop the views that use a dropped column.
    pub cascade: bool,
}

/// The key of `ALTER TABLE s.t RENAME TO u`'s new name: `u` stays in `t`'s schema.
fn rename_target(table: &str, to: &ast::ObjectName) -> String {
    let schema = vdb_engine::table::split_qualified(table).0;
    let name = to.0.last().map(ident_name).unwrap_or_default();
    vdb_engine::table::qualified(schema, &name)
}

/// ALTER TABLE [IF EXISTS] t operations.
pub fn plan_alter_table(
    catalog: &Catalog<'_>,
    name: &ast::ObjectName,
    if_exists: bool,
    operations: &[ast::AlterTableOperation],
) -> Result<Planned> {
    // ALTER SEQUENCE ... RENAME TO, read as an ALTER TABLE of a marked name.
    let sequence_only = name
        .0
        .first()
        .is_some_and(|part| part.value == sequence::ALTER_SEQUENCE_MARKER);
    let unmarked;
    let name = if sequence_only {
        unmarked = ast::ObjectName(name.0[1..].to_vec());
        &unmarked
    } else {
        name
    };
    // PostgreSQL's grammar has RENAME as a statement of its own, never one action of several.
    let renames = |op: &ast::AlterTableOperation| {
        matches!(
            op,
            ast::AlterTableOperation::RenameColumn { .. }
                | ast::AlterTableOperation::RenameConstraint { .. }
                | ast::AlterTableOperation::RenameTable { .. }
        )
    };
    if operations.len() > 1 && operations.iter().any(renames) {
        return Err(Error::Syntax {
            message: "syntax error at or near \",\"".into(),
            position: None,
        });
    }
    let table = table_name(name)?;
    let tag = if sequence_only {
        "ALTER SEQUENCE"
    } else {
        "ALTER TABLE"
    };
    if catalog.get_sequence(&table).is_some() {
        // A sequence takes only the ALTER TABLE actions that do not concern columns.
        let [ast::AlterTableOperation::RenameTable { table_name: to }] = operations else {
            return Err(unsupported_action(&operations[0], &table)
                .with_detail("This operation is not supported for sequences."));
        };
        let to = rename_target(&table, to);
        return Ok(Planned {
            tag,
            ..done(SchemaChange::RenameSequence { from: table, to })
        });
    }
    if sequence_only {
        if !catalog.relation_exists(&table) && if_exists {
            crate::notice::skipping_missing(format!(
                "relation \"{}\"",
                vdb_engine::table::split_qualified(&table).1
            ));
            return Ok(Planned {
                tag,
                ..done(SchemaChange::Nothing)
            });
        }
        return Err(if catalog.relation_exists(&table) {
            Error::invalid(
                "42809",
                format!(
                    "\"{}\" is not a sequence",
                    vdb_engine::table::split_qualified(&table).1
                ),
            )
        } else {
            Error::UndefinedTable(table)
        });
    }
    if catalog.get_view(&table).is_some() {
        let [ast::AlterTableOperation::RenameTable { table_name: to }] = operations else {
            return Err(Error::invalid(
                "42809",
                format!("\"{table}\" is not a table"),
            ));
        };
        let to = rename_target(&table, to);
        return Ok(done(SchemaChange::RenameTable { from: table, to }));
    }
    let Some(current) = catalog.get_table(&table)? else {
        if if_exists {
            crate::notice::skipping_missing(format!(
                "relation \"{}\"",
                vdb_engine::table::split_qualified(&table).1
            ));
            return Ok(done(SchemaChange::Nothing));
        }
        return Err(Error::UndefinedTable(table));
    };
    if let [ast::AlterTableOperation::RenameTable { table_name: to }] = operations {
        let to = rename_target(&table, to);
        return Ok(done(SchemaChange::RenameTable { from: table, to }));
    }
    let old = current.schema().clone();
    if old.materialized.is_some() {
        // A materialized view's columns are its query's: only their names may change.
        if let Some(operation) = operations
            .iter()
            .find(|op| !matches!(op, ast::AlterTableOperation::RenameColumn { .. }))
        {
            return Err(unsupported_action(operation, &table));
        }
    }
    let mut alter = AlterTable {
        table,
        schema: old.clone(),
        fills: Vec::new(),
        sequences: Vec::new(),
        renamed: Vec::new(),
        dropped: Vec::new(),
        cascade: false,
    };
    for operation in operations {
        apply(catalog, &old, &mut alter, operation)?;
    }
    rebind_indexes(&mut alter.schema);
    Ok(done(SchemaChange::AlterTable(Box::new(alter))))
}

/// 42809 for an ALTER TABLE action relation `table` cannot take (a sequence's or a
/// materialized view's columns are not the user's to change).
fn unsupported_action(operation: &ast::AlterTableOperation, table: &str) -> Error {
    let action: Vec<String> = operation
        .to_string()
        .split_whitespace()
        .take(2)
        .map(str::to_uppercase)
        .collect();
    Error::invalid(
        "42809",
        format!(
            "ALTER action {} cannot be performed on relation \"{}\"",
            action.join(" "),
            vdb_engine::table::split_qualified(table).1
        ),
    )
}

fn done(change: SchemaChange) -> Planned {
    Planned {
        plan: Plan::SchemaChange(change),
        columns: None,
        tag: "ALTER TABLE",
    }
}

fn apply(
    catalog: &Catalog<'_>,
    old: &Schema,
    alter: &mut AlterTable,
    operation: &ast::AlterTableOperation,
) -> Result<()> {
    use ast::AlterTableOperation as Op;
    let table = alter.table.clone();
    match operation {
        Op::AddColumn {
            if_not_exists,
            column_def,
            column_position: None,
            ..
        } => add_column(catalog, alter, column_def, *if_not_exists),
        Op::DropColumn {
            column_name,
            if_exists,
            cascade,
        } => {
            alter.cascade |= *cascade;
            let name = ident_name(column_name);
            let Some(column) = alter.schema.get_column(&name).cloned() else {
                if *if_exists {
                    crate::notice::skipping_missing(format!(
                        "column \"{name}\" of relation \"{}\"",
                        vdb_engine::table::split_qualified(&table).1
                    ));
                    return Ok(());
                }
                return Err(missing_column(&name, &table));
            };
            if generated::readers(&alter.schema, &column)?
                .iter()
                .any(|c| c.id != column.id)
            {
                return Err(Error::invalid(
                    "2BP01",
                    format!(
                        "cannot drop column {name} of table {table} because other objects depend on it"
                    ),
                ));
            }
            let schema = &mut alter.schema;
            schema.columns.retain(|c| c.id != column.id);
            schema.primary_key.retain(|id| *id != column.id);
            // Indexes whose expressions or predicate read the column go in `rebind_indexes`.
            schema
                .indexes
                .retain(|ix| !ix.columns.contains(&column.id) && !ix.include.contains(&column.id));
            schema
                .foreign_keys
                .retain(|fk| !fk.columns.contains(&column.id));
            let kept: Vec<_> = schema
                .checks
                .iter()
                .filter(|c| constraint::bind_check(schema, &c.expr).is_ok())
                .cloned()
                .collect();
            schema.checks = kept;
            alter.fills.retain(|(id, _)| *id != column.id);
            alter.dropped.push(name);
            Ok(())
        }
        // vdb has one role: a new owner changes nothing.
        Op::OwnerTo { .. } => Ok(()),
        Op::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let from = ident_name(old_column_name);
            let to = ident_name(new_column_name);
            if alter.schema.get_column(&to).is_some() {
                return Err(Error::invalid(
                    "42701",
                    format!("column \"{to}\" of relation \"{table}\" already exists"),
                ));
            }
            let column = column_mut(&mut alter.schema, &from, &table)?;
            column.name = to.clone();
            // What reads the column by name follows it, as PostgreSQL's expressions (which
            // name columns by number) do: CHECK constraints, generation expressions, index
            // expressions and predicates.
            let schema = &mut alter.schema;
            for check in &mut schema.checks {
                rename_in_text(&mut check.expr, &from, &to)?;
            }
            for column in &mut schema.columns {
                if let Some(text) = &mut column.generated {
                    rename_in_text(text, &from, &to)?;
                }
            }
            for index in &mut schema.indexes {
                for expr in &mut index.expressions {
                    rename_in_text(&mut expr.sql, &from, &to)?;
                }
                if let Some(predicate) = &mut index.predicate {
                    rename_in_text(predicate, &from, &to)?;
                }
            }
            alter.renamed.push((from, to));
            Ok(())
        }
        Op::AlterColumn { column_name, op } => {
            alter_column(alter, old, &ident_name(column_name), op)
        }
        Op::AddConstraint(c) => add_constraint(catalog, alter, c),
        Op::DropConstraint {
            if_exists,
            name,
            cascade: false,
        } => {
            let name = ident_name(name);
            let schema = &mut alter.schema;
            let before = (
                schema.indexes.len(),
                schema.checks.len(),
                schema.foreign_keys.len(),
                schema.primary_key.len(),
            );
            schema
                .indexes
                .retain(|ix| !(ix.constraint && ix.name == name));
            schema.checks.retain(|c| c.name != name);
            schema.foreign_keys.retain(|f| f.name != name);
            if !schema.primary_key.is_empty()
                && name == schema.primary_key_name(vdb_engine::table::split_qualified(&table).1)
            {
                schema.primary_key.clear();
                schema.primary_key_name = None;
            }
            let after = (
                schema.indexes.len(),
                schema.checks.len(),
                schema.foreign_keys.len(),
                schema.primary_key.len(),
            );
            if before == after && !*if_exists {
                return Err(Error::invalid(
                    "42704",
                    format!("constraint \"{name}\" of relation \"{table}\" does not exist"),
                ));
            }
            if before == after {
                crate::notice::skipping_missing(format!(
                    "constraint \"{name}\" of relation \"{}\"",
                    vdb_engine::table::split_qualified(&table).1
                ));
            }
            Ok(())
        }
        Op::RenameConstraint { old_name, new_name } => {
            let old_name = ident_name(old_name);
            let new_name = ident_name(new_name);
            if new_name == constraint::VALIDATE_MARKER {
                validate_constraint(alter, &old_name)
            } else {
                rename_constraint(catalog, alter, &old_name, &new_name)
            }
        }
        other => Err(Error::Unsupported(format!("ALTER TABLE {other}"))),
    }
}

/// ALTER TABLE .. VALIDATE CONSTRAINT `name`: a NOT VALID check or foreign key becomes valid;
/// the table's rows are checked against it when the altered table is built.
fn validate_constraint(alter: &mut AlterTable, name: &str) -> Result<()> {
    let bare = vdb_engine::table::split_qualified(&alter.table)
        .1
        .to_string();
    let schema = &mut alter.schema;
    if let Some(check) = schema.checks.iter_mut().find(|c| c.name == name) {
        check.not_valid = false;
        return Ok(());
    }
    if let Some(fk) = schema.foreign_keys.iter_mut().find(|f| f.name == name) {
        fk.not_valid = false;
        return Ok(());
    }
    Err(if key_constraint(schema, &bare, name) {
        Error::invalid(
            "42809",
            format!(
                "constraint \"{name}\" of relation \"{bare}\" is not a foreign key or check constraint"
            ),
        )
    } else {
        Error::invalid(
            "42704",
            format!("constraint \"{name}\" of relation \"{bare}\" does not exist"),
        )
    })
}

/// Whether `name` is the primary key of table `bare` (its own name or `<bare>_pkey`).
fn is_primary_key(schema: &Schema, bare: &str, name: &str) -> bool {
    !schema.primary_key.is_empty() && schema.primary_key_name(bare) == name
}

/// Whether `name` is the primary key or a unique constraint of table `bare`: a constraint
/// with an index.
fn key_constraint(schema: &Schema, bare: &str, name: &str) -> bool {
    is_primary_key(schema, bare, name)
        || schema
            .indexes
            .iter()
            .any(|ix| ix.constraint && ix.name == name)
}

/// ALTER TABLE .. RENAME CONSTRAINT `from` TO `to`: a check, a foreign key, or the primary
/// key or unique constraint (whose index takes the name too, as in PostgreSQL).
fn rename_constraint(
    catalog: &Catalog<'_>,
    alter: &mut AlterTable,
    from: &str,
    to: &str,
) -> Result<()> {
    let (namespace, bare) = vdb_engine::table::split_qualified(&alter.table);
    let (namespace, bare) = (namespace.to_string(), bare.to_string());
    let schema = &mut alter.schema;
    // A primary key or unique constraint renames its index, a relation of the schema.
    let key = vdb_engine::table::qualified(&namespace, to);
    if key_constraint(schema, &bare, from) && from != to && catalog.relation_or_index_exists(&key) {
        return Err(Error::DuplicateTable(key));
    }
    let primary = is_primary_key(schema, &bare, from);
    let taken = constraint::name_in_schema(schema, to) || is_primary_key(schema, &bare, to);
    if taken && from != to {
        return Err(Error::invalid(
            "42710",
            format!("constraint \"{to}\" for relation \"{bare}\" already exists"),
        ));
    }
    if let Some(check) = schema.checks.iter_mut().find(|c| c.name == from) {
        check.name = to.to_string();
    } else if let Some(fk) = schema.foreign_keys.iter_mut().find(|f| f.name == from) {
        fk.name = to.to_string();
    } else if let Some(index) = schema
        .indexes
        .iter_mut()
        .find(|ix| ix.constraint && ix.name == from)
    {
        index.name = to.to_string();
    } else if primary {
        schema.primary_key_name = statement::primary_key_name(&alter.table, Some(to.to_string()));
    } else {
        return Err(Error::invalid(
            "42704",
            format!("constraint \"{from}\" for table \"{bare}\" does not exist"),
        ));
    }
    Ok(())
}

fn missing_column(name: &str, table: &str) -> Error {
    Error::UndefinedColumn(format!(
        "column \"{name}\" of relation \"{table}\" does not exist"
    ))
}

fn column_mut<'s>(
    schema: &'s mut Schema,
    name: &str,
    table: &str,
) -> Result<&'s mut vdb_engine::table::Column> {
    schema
        .columns
        .iter_mut()
        .find(|c| c.name == name)
        .ok_or_else(|| missing_column(name, table))
}

/// ADD COLUMN: existing rows get the column's default (evaluated per row, so `nextval` and
/// `now()` differ row by row), or NULL.
fn add_column(
    catalog: &Catalog<'_>,
    alter: &mut AlterTable,
    def: &ast::ColumnDef,
    if_not_exists: bool,
) -> Result<()> {
    let table = alter.table.clone();
    let column = ident_name(&def.name);
    statement::check_collation(def)?;
    statement::check_not_system(&column)?;
    if alter.schema.get_column(&column).is_some() {
        if if_not_exists {
            crate::notice::skipping_existing(
                "42701",
                format!(
                    "column \"{column}\" of relation \"{}\"",
                    vdb_engine::table::split_qualified(&table).1
                ),
            );
            return Ok(());
        }
        return Err(Error::invalid(
            "42701",
            format!("column \"{column}\" of relation \"{table}\" already exists"),
        ));
    }
    let serial = sequence::serial_type(&def.data_type);
    let ty = match &serial {
        Some(ty) => ty.clone(),
        None => sql_type(&def.data_type)?,
    };
    let mut nullable = true;
    let mut default = None;
    if serial.is_some() {
        let seq = sequence::implicit_name(&table, &column);
        alter.sequences.push((
            seq.clone(),
            sequence::implicit_sequence(&ty, &table, &column, None, &[])?,
        ));
        default = Some(sequence::nextval_default(&seq));
        nullable = false;
    }
    let mut pending = Vec::new();
    let mut generation = None;
    for option in &def.options {
        match &option.option {
            ast::ColumnOption::Null => nullable = true,
            ast::ColumnOption::NotNull => nullable = false,
            ast::ColumnOption::Default(e) => {
                assign(bind_default(e)?, &column, &ty)?;
                default = stored_default(e);
            }
            ast::ColumnOption::Generated {
                generation_expr: Some(expr),
                generation_expr_mode,
                ..
            } => generation = Some((expr, generation_expr_mode.as_ref())),
            ast::ColumnOption::Generated {
                generated_as,
                sequence_options,
                generation_expr: None,
                ..
            } => {
                // An identity column: existing rows are numbered from its new sequence.
                let seq = sequence::implicit_name(&table, &column);
                let definition = sequence::identity_sequence(
                    &ty,
                    &table,
                    &column,
                    generated_as,
                    sequence_options.as_deref(),
                )?;
                alter.sequences.push((seq.clone(), definition));
                default = Some(sequence::nextval_default(&seq));
                nullable = false;
            }
            _ => pending.push(option),
        }
    }
    let id = alter
        .schema
        .add_column(&column, ty, nullable, default)
        .map_err(|e| Error::engine("adding column", e))?;
    if let Some(added) = alter.schema.column_mut(id) {
        added.precision = crate::types::time_precision(&def.data_type);
        added.domain = crate::catalog::domain_of(&def.data_type).map(|(key, _)| key);
    }
    if let Some((expr, mode)) = generation {
        let position = alter
            .schema
            .position(id)
            .ok_or_else(|| missing_column(&column, &table))?;
        alter.schema.columns[position].generated = Some(String::new());
        let text = generated::definition(&table, &alter.schema, position, expr, mode)?;
        alter.schema.columns[position].generated = Some(text);
    }
    let added = alter
        .schema
        .column_by_id(id)
        .cloned()
        .ok_or_else(|| missing_column(&column, &table))?;
    alter.fills.push((id, default_value(&added)?));
    for option in pending {
        let constraint = match &option.option {
            ast::ColumnOption::Unique {
                is_primary: true,
                characteristics: None,
            } => ast::TableConstraint::PrimaryKey {
                name: option.name.clone(),
                index_name: None,
                index_type: None,
                columns: vec![def.name.clone()],
                index_options: Vec::new(),
                characteristics: None,
            },
            ast::ColumnOption::Unique {
                is_primary: false,
                characteristics: None,
            } => ast::TableConstraint::Unique {
                name: option.name.clone(),
                index_name: None,
                index_type_display: ast::KeyOrIndexDisplay::None,
                index_type: None,
                columns: vec![def.name.clone()],
                index_options: Vec::new(),
                characteristics: None,
            },
            ast::ColumnOption::Check(e) => ast::TableConstraint::Check {
                name: option.name.clone(),
                expr: Box::new(e.clone()),
            },
            ast::ColumnOption::ForeignKey {
                foreign_table,
                referred_columns,
                on_delete,
                on_update,
                characteristics,
            } => ast::TableConstraint::ForeignKey {
                name: option.name.clone(),
                columns: vec![def.name.clone()],
                foreign_table: foreign_table.clone(),
                referred_columns: referred_columns.clone(),
                on_delete: *on_delete,
                on_update: *on_update,
                characteristics: *characteristics,
            },
            other => return Err(Error::Unsupported(format!("column constraint {other}"))),
        };
        add_constraint(catalog, alter, &constraint)?;
    }
    Ok(())
}

fn alter_column(
    alter: &mut AlterTable,
    old: &Schema,
    name: &str,
    op: &ast::AlterColumnOperation,
) -> Result<()> {
    use ast::AlterColumnOperation as Op;
    let table = alter.table.clone();
    let column = column_mut(&mut alter.schema, name, &table)?;
    match op {
        Op::SetNotNull => column.nullable = false,
        Op::DropNotNull => {
            let id = column.id;
            if alter.schema.primary_key.contains(&id) {
                return Err(Error::invalid(
                    "42P16",
                    format!("column \"{name}\" is in a primary key"),
                ));
            }
            column_mut(&mut alter.schema, name, &table)?.nullable = true;
        }
        Op::SetDefault { value } => {
            let ty = column.ty.clone();
            assign(bind(value, &Scope::default())?, name, &ty)?;
            column.default = stored_default(value);
        }
        Op::DropDefault => column.default = None,
        Op::SetDataType { data_type, using } => {
            let ty: Type = sql_type(data_type)?;
            let id = column.id;
            if let Some(read) = old.column_by_id(id) {
                if generated::readers(old, read)?.iter().any(|c| c.id != id) {
                    return Err(Error::invalid(
                        "0A000",
                        "cannot alter type of a column used by a generated column",
                    ));
                }
            }
            let domain = crate::catalog::domain_of(data_type).map(|(key, _)| key);
            let column = column_mut(&mut alter.schema, name, &table)?;
            column.ty = ty.clone();
            column.precision = crate::types::time_precision(data_type);
            column.domain.clone_from(&domain);
            let Some(old_column) = old.column_by_id(id) else {
                return Err(Error::Unsupported(
                    "changing the type of a column added in the same statement".into(),
                ));
            };
            // The old row: what `USING` and fills are bound over.
            let scope = table_scope(old, &table);
            let value = match using {
                Some(e) => bind(e, &scope)?,
                None => bind(
                    &ast::Expr::Identifier(ast::Ident::with_quote('"', &old_column.name)),
                    &scope,
                )?,
            };
            let from = value.resolved_type();
            let expr =
                if using.is_none() && !crate::types::assignment_cast(&from, &ty) && from != ty {
                    return Err(Error::mismatch(format!(
                        "column \"{name}\" cannot be cast automatically to type {}",
                        crate::types::type_name(&ty)
                    )));
                } else {
                    Expr::Cast(Box::new(value.expr), ty)
                };
            // Each existing value is checked against the new domain, as PostgreSQL checks it.
            let expr = match &domain {
                Some(key) => super::domain::checked(expr, key)?,
                None => expr,
            };
            alter.fills.retain(|(i, _)| *i != id);
            alter.fills.push((id, expr));
        }
        Op::AddGenerated { .. } => {
            return Err(Error::Unsupported("ALTER COLUMN ADD GENERATED".into()))
        }
    }
    Ok(())
}

fn add_constraint(
    catalog: &Catalog<'_>,
    alter: &mut AlterTable,
    c: &ast::TableConstraint,
) -> Result<()> {
    let table = alter.table.clone();
    let schema = &mut alter.schema;
    match c {
        ast::TableConstraint::PrimaryKey {
            name,
            columns,
            characteristics: None,
            ..
        } => {
            if !schema.primary_key.is_empty() {
                return Err(Error::invalid(
                    "42P16",
                    format!("multiple primary keys for table \"{table}\" are not allowed"),
                ));
            }
            let names: Vec<String> = columns.iter().map(ident_name).collect();
            let ids = constraint::column_ids(schema, &names)?;
            for id in &ids {
                if let Some(col) = schema.columns.iter_mut().find(|c| c.id == *id) {
                    col.nullable = false;
                }
            }
            schema.primary_key = ids;
            schema.primary_key_name =
                statement::primary_key_name(&table, name.as_ref().map(ident_name));
        }
        ast::TableConstraint::Unique {
            name,
            columns,
            characteristics: None,
            ..
        } => {
            let names: Vec<String> = columns.iter().map(ident_name).collect();
            let index = constraint::unique_constraint(
                schema,
                &table,
                &names,
                name.as_ref().map(ident_name),
            )?;
            schema.indexes.push(index);
        }
        ast::TableConstraint::Check { name, expr } => {
            let check =
                constraint::check_constraint(schema, &table, expr, name.as_ref().map(ident_name))?;
            schema.checks.push(check);
        }
        ast::TableConstraint::ForeignKey {
            name,
            columns,
            foreign_table,
            referred_columns,
            on_delete,
            on_update,
            characteristics,
        } => {
            let names: Vec<String> = columns.iter().map(ident_name).collect();
            let mut fk = constraint::foreign_key(
                catalog,
                schema,
                &table,
                &names,
                foreign_table,
                referred_columns,
                name.as_ref().map(ident_name),
                (*on_delete, *on_update),
            )?;
            (fk.deferrable, fk.initially_deferred) = constraint::timing(characteristics.as_ref())?;
            schema.foreign_keys.push(fk);
        }
        other => return Err(Error::Unsupported(format!("constraint {other}"))),
    }
    Ok(())
}

/// `text`, an expression stored over one table's columns, with its references to column `from`
/// spelled `to`; left as it is when it names no such column.
fn rename_in_text(text: &mut String, from: &str, to: &str) -> Result<()> {
    struct Renamer<'a> {
        from: &'a str,
        to: &'a str,
        changed: bool,
    }
    impl ast::VisitorMut for Renamer<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> std::ops::ControlFlow<()> {
            let ident = match expr {
                ast::Expr::Identifier(i) => Some(i),
                ast::Expr::CompoundIdentifier(parts) => parts.last_mut(),
                _ => None,
            };
            if let Some(ident) = ident.filter(|i| ident_name(i) == self.from) {
                *ident = crate::planner::view::spelled(self.to);
                self.changed = true;
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut expr = constraint::parse_stored(text, "expression")?;
    let mut renamer = Renamer {
        from,
        to,
        changed: false,
    };
    let _ = ast::VisitMut::visit(&mut expr, &mut renamer);
    if renamer.changed {
        *text = expr.to_string();
    }
    Ok(())
}

/// Brings expression and partial indexes in line with the altered columns, as PostgreSQL
/// rebuilds them: an index whose expressions or predicate no longer bind (they read a dropped
/// column) goes, and an expression over a retyped column takes its new type.
fn rebind_indexes(schema: &mut Schema) {
    let mut indexes = std::mem::take(&mut schema.indexes);
    indexes.retain_mut(|ix| {
        let predicate_binds = ix
            .predicate
            .as_ref()
            .is_none_or(|p| constraint::bind_over_table(schema, p, "index predicate").is_ok());
        predicate_binds
            && ix.expressions.iter_mut().all(|e| {
                match constraint::bind_over_table(schema, &e.sql, "index expression") {
                    Ok(bound) => {
                        e.ty = bound.ty.unwrap_or(Type::Text);
                        true
                    }
                    Err(_) => false,
                }
            })
    });
    schema.indexes = indexes;
}
