//! Planning schema (namespace) DDL: `CREATE SCHEMA [IF NOT EXISTS] s [AUTHORIZATION r]`,
//! `DROP SCHEMA [IF EXISTS] a, b [CASCADE | RESTRICT]` and `ALTER SCHEMA a RENAME TO b` /
//! `OWNER TO r`. sqlparser 0.52 has no ALTER SCHEMA: the session parses it as an ALTER TABLE
//! whose name starts with [`ALTER_SCHEMA_MARKER`] (see `session::alter_schema_as_table`).

use sqlparser::ast;

use crate::error::{Error, Result};
use crate::planner::expr::ident_name;
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::SchemaChange;

/// The first name part of an ALTER TABLE that stands for ALTER SCHEMA.
pub const ALTER_SCHEMA_MARKER: &str = "\u{1}vdb alter schema";

/// CREATE SCHEMA.
pub fn plan_create_schema(name: &ast::SchemaName, if_not_exists: bool) -> Result<Planned> {
    let name = match name {
        ast::SchemaName::Simple(name) | ast::SchemaName::NamedAuthorization(name, _) => {
            schema_name(name)?
        }
        // `CREATE SCHEMA AUTHORIZATION r` names the schema after the role.
        ast::SchemaName::UnnamedAuthorization(role) => ident_name(role),
    };
    Ok(done(
        SchemaChange::CreateSchema {
            name,
            if_not_exists,
        },
        "CREATE SCHEMA",
    ))
}

/// DROP SCHEMA.
pub fn plan_drop_schemas(
    names: &[ast::ObjectName],
    if_exists: bool,
    cascade: bool,
) -> Result<Planned> {
    let names = names.iter().map(schema_name).collect::<Result<Vec<_>>>()?;
    Ok(done(
        SchemaChange::DropSchemas {
            names,
            if_exists,
            cascade,
        },
        "DROP SCHEMA",
    ))
}

/// ALTER SCHEMA, when `name` is the marked name the session gives it.
pub fn plan_alter_schema(
    name: &ast::ObjectName,
    operations: &[ast::AlterTableOperation],
) -> Option<Result<Planned>> {
    let [marker, schema] = name.0.as_slice() else {
        return None;
    };
    if marker.value != ALTER_SCHEMA_MARKER {
        return None;
    }
    let from = ident_name(schema);
    Some(match operations {
        [ast::AlterTableOperation::RenameTable { table_name }] => schema_name(table_name)
            .map(|to| done(SchemaChange::RenameSchema { from, to }, "ALTER SCHEMA")),
        // vdb has one role; a new owner changes nothing, once the schema is known to exist.
        [ast::AlterTableOperation::OwnerTo { .. }] => Ok(done(
            SchemaChange::RenameSchema {
                from: from.clone(),
                to: from,
            },
            "ALTER SCHEMA",
        )),
        _ => Err(Error::Unsupported("this form of ALTER SCHEMA".into())),
    })
}

/// A schema's name: one identifier (42601 otherwise).
fn schema_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [schema] => Ok(ident_name(schema)),
        _ => Err(Error::invalid(
            "42601",
            format!("improper qualified name (too many dotted names): {name}"),
        )),
    }
}

fn done(change: SchemaChange, tag: &'static str) -> Planned {
    Planned {
        plan: Plan::SchemaChange(change),
        columns: None,
        tag,
    }
}
