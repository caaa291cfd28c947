//! Planning `INSERT ... ON CONFLICT`: the conflict target (a column list inferring the primary key
//! or a unique index, or `ON CONSTRAINT name`) and the action, DO NOTHING or DO UPDATE SET ...
//! [WHERE ...], whose expressions see the existing row followed by the proposed one (`EXCLUDED`).

use sqlparser::ast;
use vdb_engine::table::Schema;

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::expr::{bind, boolean, ident_name, Scope, ScopeColumn};
use crate::planner::statement::bind_assignments;

/// Which unique key decides that a proposed row conflicts.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictTarget {
    /// Any unique key (DO NOTHING without a target).
    Any,
    PrimaryKey,
    /// The unique index of this name.
    Index(String),
}

/// What happens to a proposed row that conflicts.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictAction {
    Nothing,
    /// Assignments and the WHERE condition over `existing row ++ proposed row`.
    Update {
        assignments: Vec<(usize, Expr)>,
        selection: Option<Expr>,
    },
}

/// A bound ON CONFLICT clause.
#[derive(Clone, Debug, PartialEq)]
pub struct OnConflict {
    pub target: ConflictTarget,
    pub action: ConflictAction,
}

/// Binds `on` for an insert into `table` (going by `relation`) with `schema`.
pub fn plan_on_conflict(
    on: Option<&ast::OnInsert>,
    table: &str,
    relation: &str,
    schema: &Schema,
) -> Result<Option<OnConflict>> {
    let Some(on) = on else {
        return Ok(None);
    };
    let ast::OnInsert::OnConflict(ast::OnConflict {
        conflict_target,
        action,
    }) = on
    else {
        return Err(Error::Unsupported("ON DUPLICATE KEY UPDATE".into()));
    };
    let target = match conflict_target {
        None => ConflictTarget::Any,
        Some(ast::ConflictTarget::Columns(columns)) => infer_target(columns, schema)?,
        Some(ast::ConflictTarget::OnConstraint(name)) => constraint_target(name, table, schema)?,
    };
    let action = match action {
        ast::OnConflictAction::DoNothing => ConflictAction::Nothing,
        ast::OnConflictAction::DoUpdate(_) if target == ConflictTarget::Any => {
            return Err(Error::invalid(
                "42601",
                "ON CONFLICT DO UPDATE requires inference specification or constraint name",
            ))
        }
        ast::OnConflictAction::DoUpdate(update) => do_update(update, table, relation, schema)?,
    };
    Ok(Some(OnConflict { target, action }))
}

/// The primary key or unique index whose columns are exactly `columns`.
fn infer_target(columns: &[ast::Ident], schema: &Schema) -> Result<ConflictTarget> {
    let mut named = Vec::new();
    for ident in columns {
        let name = ident_name(ident);
        let Some(column) = schema.get_column(&name) else {
            return Err(Error::UndefinedColumn(format!(
                "column \"{name}\" does not exist"
            )));
        };
        named.push(column.id);
    }
    named.sort_unstable();
    named.dedup();
    let same = |ids: &[u32]| {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        !ids.is_empty() && ids == named
    };
    if same(&schema.primary_key) {
        return Ok(ConflictTarget::PrimaryKey);
    }
    if let Some(index) = schema
        .indexes
        .iter()
        .find(|ix| ix.unique && ix.is_plain() && same(&ix.columns))
    {
        return Ok(ConflictTarget::Index(index.name.clone()));
    }
    Err(Error::invalid(
        "42P10",
        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
    ))
}

/// `ON CONSTRAINT name`: the primary key (`<table>_pkey`) or a UNIQUE constraint.
fn constraint_target(
    name: &ast::ObjectName,
    table: &str,
    schema: &Schema,
) -> Result<ConflictTarget> {
    let name = name.0.last().map(ident_name).unwrap_or_default();
    if !schema.is_keyless()
        && name == schema.primary_key_name(vdb_engine::table::split_qualified(table).1)
    {
        return Ok(ConflictTarget::PrimaryKey);
    }
    if schema
        .indexes
        .iter()
        .any(|ix| ix.unique && ix.constraint && ix.name == name)
    {
        return Ok(ConflictTarget::Index(name));
    }
    Err(Error::invalid(
        "42704",
        format!("constraint \"{name}\" for table \"{table}\" does not exist"),
    ))
}

/// DO UPDATE SET ... WHERE ..., bound over the existing row and then `EXCLUDED`.
fn do_update(
    update: &ast::DoUpdate,
    table: &str,
    relation: &str,
    schema: &Schema,
) -> Result<ConflictAction> {
    let mut columns = Vec::new();
    for side in [relation, "excluded"] {
        columns.extend(schema.columns.iter().map(|c| ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: Some(side.to_string()),
            name: c.name.clone(),
            ty: c.ty.clone(),
        }));
    }
    let scope = Scope { columns };
    let assignments = bind_assignments(&update.assignments, table, schema, &scope)?;
    let selection = update
        .selection
        .as_ref()
        .map(|s| boolean(bind(s, &scope)?, "WHERE"))
        .transpose()?;
    Ok(ConflictAction::Update {
        assignments,
        selection,
    })
}
