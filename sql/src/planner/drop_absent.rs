//! DROP of a function or trigger that does not exist (`function_ddl` and `trigger_ddl` drop
//! the ones that do), and DROP PROCEDURE, whose objects vdb never has. With IF EXISTS the statement does
//! nothing and raises PostgreSQL's `... does not exist, skipping` NOTICE, which schema scripts
//! rely on (`DROP FUNCTION IF EXISTS touch_updated_at();`); without it, PostgreSQL's error.

use sqlparser::ast;
use vdb_engine::table::split_qualified;

use crate::catalog::{table_name, Catalog};
use crate::error::{Error, Result};
use crate::notice;
use crate::planner::{ident_name, Plan, Planned, SchemaChange};

/// DROP FUNCTION / PROCEDURE [IF EXISTS] `routines` (`kind` is `function` or `procedure`).
pub fn plan_drop_routines(
    kind: &str,
    routines: &[ast::FunctionDesc],
    if_exists: bool,
    tag: &'static str,
) -> Result<Planned> {
    for routine in routines {
        let name = name_as_written(&routine.name);
        let args = routine.args.as_deref().unwrap_or_default();
        if let Some(schema) = missing_schema(&routine.name) {
            if if_exists {
                notice::skipping_missing(format!("schema \"{schema}\""));
                continue;
            }
            return Err(Error::invalid(
                "3F000",
                format!("schema \"{schema}\" does not exist"),
            ));
        }
        if if_exists {
            // The NOTICE names the argument types as the grammar read them (`pg_catalog.int4`).
            let types: Vec<String> = args.iter().map(|a| grammar_type(&a.data_type)).collect();
            notice::skipping_missing(format!("{kind} {name}({})", types.join(",")));
            continue;
        }
        // The error names them as format_type does (`integer`).
        let types = args
            .iter()
            .map(|a| crate::types::sql_type(&a.data_type).map(|t| t.to_string()))
            .collect::<Result<Vec<_>>>()?;
        return Err(Error::invalid(
            "42883",
            format!("{kind} {name}({}) does not exist", types.join(", ")),
        ));
    }
    Ok(nothing(tag))
}

/// DROP TRIGGER [IF EXISTS] `trigger` ON `table`, for a trigger that does not exist.
pub fn plan_drop_trigger(
    catalog: &Catalog<'_>,
    trigger: &ast::ObjectName,
    table: &ast::ObjectName,
    if_exists: bool,
) -> Result<Planned> {
    let trigger = trigger.0.last().map(ident_name).unwrap_or_default();
    if let Some(schema) = missing_schema(table) {
        if if_exists {
            notice::skipping_missing(format!("schema \"{schema}\""));
            return Ok(nothing("DROP TRIGGER"));
        }
        return Err(Error::invalid(
            "3F000",
            format!("schema \"{schema}\" does not exist"),
        ));
    }
    let key = table_name(table)?;
    let relation = split_qualified(&key).1.to_string();
    if catalog.get_table(&key)?.is_none() && catalog.get_view(&key).is_none() {
        if if_exists {
            notice::skipping_missing(format!("relation \"{relation}\""));
            return Ok(nothing("DROP TRIGGER"));
        }
        return Err(Error::UndefinedTable(relation));
    }
    if if_exists {
        notice::skipping_missing(format!(
            "trigger \"{trigger}\" for relation \"{}\"",
            name_as_written(table)
        ));
        return Ok(nothing("DROP TRIGGER"));
    }
    Err(Error::invalid(
        "42704",
        format!("trigger \"{trigger}\" for table \"{relation}\" does not exist"),
    ))
}

fn nothing(tag: &'static str) -> Planned {
    Planned {
        plan: Plan::SchemaChange(SchemaChange::Nothing),
        columns: None,
        tag,
    }
}

/// The schema of a qualified `name` when it does not exist.
fn missing_schema(name: &ast::ObjectName) -> Option<String> {
    let [.., schema, _] = name.0.as_slice() else {
        return None;
    };
    let schema = ident_name(schema);
    let snapshot = crate::planner::context::snapshot()?;
    let exists = snapshot.root.has_schema(&schema)
        || crate::system::is_system_schema(&schema)
        || crate::temp::is_temp_schema(&schema);
    (!exists).then_some(schema)
}

/// `name` as PostgreSQL's NameListToString prints it: the parts as written, joined by dots.
fn name_as_written(name: &ast::ObjectName) -> String {
    let parts: Vec<String> = name.0.iter().map(ident_name).collect();
    parts.join(".")
}

/// A type as PostgreSQL's grammar names it in TypeNameToString: the SQL-standard spellings
/// become `pg_catalog.` names, anything else stays as written; no type modifiers.
fn grammar_type(data_type: &ast::DataType) -> String {
    use ast::DataType as D;
    let system = |name: &str| format!("pg_catalog.{name}");
    match data_type {
        D::Int(_) | D::Integer(_) => system("int4"),
        D::BigInt(_) => system("int8"),
        D::SmallInt(_) => system("int2"),
        D::Boolean => system("bool"),
        D::Real => system("float4"),
        D::DoublePrecision | D::Double => system("float8"),
        D::Numeric(_) | D::Decimal(_) | D::Dec(_) => system("numeric"),
        D::Varchar(_) | D::CharacterVarying(_) | D::CharVarying(_) => system("varchar"),
        D::Char(_) | D::Character(_) => system("bpchar"),
        D::Timestamp(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => {
            system("timestamp")
        }
        D::Timestamp(_, ast::TimezoneInfo::WithTimeZone) => system("timestamptz"),
        D::Time(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => system("time"),
        D::Time(_, ast::TimezoneInfo::WithTimeZone) => system("timetz"),
        D::Interval => system("interval"),
        D::Array(ast::ArrayElemTypeDef::SquareBracket(inner, _)) => {
            format!("{}[]", grammar_type(inner))
        }
        other => other.to_string().to_lowercase(),
    }
}
