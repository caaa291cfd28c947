//! Trigger DDL: `CREATE [OR REPLACE] TRIGGER` and `DROP TRIGGER`, planned into
//! [`SchemaChange`]s. A trigger is part of its table (stored in the table's chunk, versioned
//! and merged with it); it runs a PL/pgSQL function returning `trigger` (see
//! `execution/trigger.rs`).

use std::ops::ControlFlow;

use sqlparser::ast::{self, VisitMut, VisitorMut};
use vdb_engine::table::{FunctionReturns, TriggerDef, TriggerEvent};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::planner::context;
use crate::planner::expr::ident_name;
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::SchemaChange;

/// A WHEN condition as stored (and as `pg_get_triggerdef` prints it): unquoted names folded to
/// lower case, as PostgreSQL keeps them (`OLD.b` is `old.b`).
fn stored_condition(condition: &ast::Expr) -> String {
    struct Fold;
    impl VisitorMut for Fold {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
            let fold = |ident: &mut ast::Ident| {
                if ident.quote_style.is_none() {
                    ident.value = ident.value.to_lowercase();
                }
            };
            match expr {
                ast::Expr::Identifier(ident) => fold(ident),
                ast::Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(fold),
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    // The parentheses WHEN requires are not part of the condition.
    let mut condition = match condition {
        ast::Expr::Nested(inner) => (**inner).clone(),
        other => other.clone(),
    };
    let _ = condition.visit(&mut Fold);
    condition.to_string()
}

fn unsupported(what: &str) -> Error {
    Error::invalid("0A000", format!("{what} is not supported by vdb"))
}

/// The key of the table a trigger statement names: 42P01 when there is none, 0A000 for a
/// view (INSTEAD OF triggers are not supported).
fn trigger_table(name: &ast::ObjectName) -> Result<String> {
    let key = crate::catalog::table_name(name)?;
    let snapshot = context::snapshot()
        .ok_or_else(|| Error::Unsupported("a trigger outside a session".into()))?;
    let catalog = Catalog::new(&snapshot.root, &snapshot.ns);
    if catalog.get_table(&key)?.is_some() {
        return Ok(key);
    }
    if catalog.get_view(&key).is_some() {
        return Err(unsupported("a trigger on a view"));
    }
    Err(Error::UndefinedTable(ident_name(
        name.0.last().expect("an object name has a part"),
    )))
}

/// CREATE [OR REPLACE] TRIGGER name {BEFORE | AFTER} event [OR ...] ON table
/// [FOR [EACH] {ROW | STATEMENT}] [WHEN (condition)] EXECUTE {FUNCTION | PROCEDURE} f();
pub fn plan_create_trigger(statement: &ast::Statement) -> Result<Planned> {
    let ast::Statement::CreateTrigger {
        or_replace,
        is_constraint,
        name,
        period,
        events,
        table_name,
        referencing,
        trigger_object,
        condition,
        exec_body,
        ..
    } = statement
    else {
        return Err(Error::invalid(
            "XX000",
            "internal error: not a CREATE TRIGGER statement",
        ));
    };
    if *is_constraint {
        return Err(unsupported("CREATE CONSTRAINT TRIGGER"));
    }
    if !referencing.is_empty() {
        return Err(unsupported("a trigger's transition table (REFERENCING)"));
    }
    let before = match period {
        ast::TriggerPeriod::Before => true,
        ast::TriggerPeriod::After => false,
        ast::TriggerPeriod::InsteadOf => return Err(unsupported("an INSTEAD OF trigger")),
    };
    let [trigger_name] = name.0.as_slice() else {
        return Err(Error::invalid(
            "42601",
            "a trigger's name cannot be qualified: it takes its table's schema",
        ));
    };
    let table = trigger_table(table_name)?;
    let for_each_row = matches!(trigger_object, ast::TriggerObject::Row);
    let events = events
        .iter()
        .map(|event| match event {
            ast::TriggerEvent::Insert => Ok(TriggerEvent::Insert),
            ast::TriggerEvent::Update(columns) => Ok(TriggerEvent::Update(
                columns.iter().map(ident_name).collect(),
            )),
            ast::TriggerEvent::Delete => Ok(TriggerEvent::Delete),
            ast::TriggerEvent::Truncate => Err(unsupported("a TRUNCATE trigger")),
        })
        .collect::<Result<Vec<_>>>()?;
    let snapshot = context::snapshot()
        .ok_or_else(|| Error::Unsupported("a trigger outside a session".into()))?;
    let function_name = &exec_body.func_desc.name;
    let shown = function_name.to_string();
    let missing = || Error::invalid("42883", format!("function {shown}() does not exist"));
    let function =
        crate::planner::user_function::resolve_in_statement(function_name).ok_or_else(missing)?;
    let overloads = snapshot.root.get_functions(&function).ok_or_else(missing)?;
    let found = overloads.get(&[]).ok_or_else(missing)?;
    if found.returns != FunctionReturns::Trigger {
        return Err(Error::invalid(
            "42P17",
            format!("function {shown} must return type trigger"),
        ));
    }
    let args = exec_body
        .func_desc
        .args
        .iter()
        .flatten()
        .map(|arg| arg.to_string().trim_matches('\'').to_string())
        .collect();
    let trigger = TriggerDef {
        name: ident_name(trigger_name),
        before,
        events,
        for_each_row,
        when: condition.as_ref().map(stored_condition),
        function,
        args,
    };
    Ok(Planned {
        plan: Plan::SchemaChange(SchemaChange::CreateTrigger {
            table,
            trigger,
            or_replace: *or_replace,
        }),
        columns: None,
        tag: "CREATE TRIGGER",
    })
}

/// DROP TRIGGER [IF EXISTS] name ON table: a trigger that does not exist is `drop_absent`'s.
pub fn plan_drop_trigger(
    catalog: &Catalog<'_>,
    if_exists: bool,
    name: &ast::ObjectName,
    table_name: &ast::ObjectName,
) -> Result<Planned> {
    let trigger = ident_name(name.0.last().expect("an object name has a part"));
    if let Ok(key) = crate::catalog::table_name(table_name) {
        if let Some(table) = catalog.get_table(&key)? {
            if table.schema().triggers.iter().any(|t| t.name == trigger) {
                return Ok(Planned {
                    plan: Plan::SchemaChange(SchemaChange::DropTrigger {
                        table: key,
                        name: trigger,
                        if_exists,
                    }),
                    columns: None,
                    tag: "DROP TRIGGER",
                });
            }
        }
    }
    super::drop_absent::plan_drop_trigger(catalog, name, table_name, if_exists)
}
