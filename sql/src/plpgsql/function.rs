//! Calls of functions written in PL/pgSQL (`CREATE FUNCTION ... LANGUAGE plpgsql`).
//!
//! The code runs in the interpreter DO blocks use, its parameters being variables (by name and
//! as `$n`), with its statements run against a copy of the database the function owns for the
//! call ([`RootRunner`]). Where the calling statement allows writes (a query, or the source
//! of an INSERT), that copy is the statement's own ([`sequence::take_nested`]): what the
//! function writes becomes part of what the statement did, and a later call sees it; the
//! calling statement itself reads the database as it was before it began, as in PostgreSQL.
//! Called from elsewhere (an UPDATE's SET, a DELETE's WHERE, a CHECK), the function reads the
//! statement's snapshot and a write is refused with 0A000.

use std::collections::HashMap;
use std::sync::Arc;

use vdb_engine::table::{Column, Function, FunctionReturns, RootValue, TriggerDef};
use vdb_engine::value::Value;

use super::{parse, validate, Interpreter, Returns, Runner, Var};
use crate::error::{Error, Result};
use crate::execution::sequence;
use crate::session::StatementResult;
use crate::system::Snapshot;
use crate::types::type_name;

/// What RETURN gives in code that returns `returns`.
pub(crate) fn returns_kind(returns: &FunctionReturns) -> Returns {
    match returns {
        FunctionReturns::Void | FunctionReturns::Procedure => Returns::Nothing,
        FunctionReturns::Scalar(_) | FunctionReturns::Trigger => Returns::Value,
        FunctionReturns::SetOf(_)
        | FunctionReturns::Table(_)
        | FunctionReturns::SetOfRow { .. } => Returns::Set,
    }
}

/// Checks a function's code as CREATE FUNCTION does (PostgreSQL's validator): the code and
/// the SQL in it must parse.
pub fn check(function: &Function) -> Result<()> {
    validate(&parse(function.source(), returns_kind(&function.returns))?)
}

/// Runs `function` on argument values `args`, for a statement reading `snapshot`: the result
/// rows (one row of one value for a scalar function, NULL for void or a procedure).
pub fn call(
    function: &Function,
    args: &[Value],
    snapshot: &Arc<Snapshot>,
) -> Result<Vec<Vec<Value>>> {
    let block = parse(function.source(), returns_kind(&function.returns))?;
    let mut variables = HashMap::new();
    for (i, (arg, value)) in function.args.iter().zip(args).enumerate() {
        let var = Var::Scalar {
            value: value.clone(),
            ty: type_name(&arg.ty),
        };
        if !arg.name.is_empty() {
            variables.insert(arg.name.clone(), var.clone());
        }
        variables.insert(format!("${}", i + 1), var);
    }
    // A `RETURNS TABLE` function's columns are variables (OUT parameters); a `SETOF t`
    // function's are not.
    if let FunctionReturns::Table(columns) = &function.returns {
        for (name, ty) in columns {
            variables.insert(
                name.clone(),
                Var::Scalar {
                    value: Value::Null,
                    ty: type_name(ty),
                },
            );
        }
    }
    let mut interpreter = Interpreter::new(variables, Some(function.returns.clone()));
    let (root, keeps_writes) = match sequence::take_nested() {
        Some(nested) => (nested.root, Some(nested.keeps_writes)),
        None => (snapshot.root.clone(), None),
    };
    let mut runner = RootRunner {
        root,
        snapshot,
        writable: keeps_writes == Some(true),
        savepoints: Vec::new(),
    };
    let ran = interpreter.block(&mut runner, &block);
    if let Some(keeps_writes) = keeps_writes {
        sequence::put_nested(sequence::Nested {
            root: runner.root,
            keeps_writes,
        });
    }
    ran?;
    match &function.returns {
        FunctionReturns::Void | FunctionReturns::Procedure => Ok(vec![vec![Value::Null]]),
        FunctionReturns::SetOf(_)
        | FunctionReturns::Table(_)
        | FunctionReturns::SetOfRow { .. } => Ok(interpreter.rows),
        FunctionReturns::Scalar(_) | FunctionReturns::Trigger => match interpreter.result {
            Some(Var::Scalar { value, .. }) => Ok(vec![vec![value]]),
            Some(Var::Record(fields)) => Ok(vec![fields.into_iter().map(|f| f.1).collect()]),
            None => Err(Error::invalid(
                "2F005",
                "control reached end of function without RETURN",
            )),
        },
    }
}

/// What a trigger function is told about the event that fires it (its `TG_` variables, `NEW`
/// and `OLD`).
pub struct TriggerCall<'a> {
    pub trigger: &'a TriggerDef,
    /// The table's key.
    pub table: &'a str,
    /// The table's columns (the fields of NEW and OLD).
    pub columns: &'a [Column],
    /// `INSERT`, `UPDATE`, `DELETE` or `TRUNCATE`.
    pub op: &'static str,
    pub old: Option<&'a [Value]>,
    pub new: Option<Vec<Value>>,
}

/// Runs trigger function `function` for `call`, against `root` (the database as the firing
/// statement has left it, which the function may write to). The row it returns: NEW as the
/// function left it, another row of the table, or `None` (RETURN NULL). A WHEN condition that
/// does not hold skips the function and gives NEW (or OLD) back unchanged.
pub fn call_trigger(
    function: &Function,
    call: &TriggerCall<'_>,
    root: &mut RootValue,
    snapshot: &Snapshot,
) -> Result<Option<Vec<Value>>> {
    let record = |row: &[Value]| {
        Var::Record(
            call.columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.name.clone(), v.clone(), c.ty.clone()))
                .collect(),
        )
    };
    let null = |ty: &str| Var::Scalar {
        value: Value::Null,
        ty: ty.into(),
    };
    let text = |t: &str| Var::Scalar {
        value: Value::Text(t.into()),
        ty: "text".into(),
    };
    let (schema, name) = vdb_engine::table::split_qualified(call.table);
    let trigger = call.trigger;
    let variables = HashMap::from([
        (
            "new".to_string(),
            call.new.as_deref().map_or(null("record"), record),
        ),
        ("old".to_string(), call.old.map_or(null("record"), record)),
        ("tg_op".to_string(), text(call.op)),
        ("tg_name".to_string(), text(&trigger.name)),
        (
            "tg_when".to_string(),
            text(if trigger.before { "BEFORE" } else { "AFTER" }),
        ),
        (
            "tg_level".to_string(),
            text(if trigger.for_each_row {
                "ROW"
            } else {
                "STATEMENT"
            }),
        ),
        ("tg_table_name".to_string(), text(name)),
        ("tg_relname".to_string(), text(name)),
        ("tg_table_schema".to_string(), text(schema)),
        (
            "tg_nargs".to_string(),
            Var::Scalar {
                value: Value::Int4(i32::try_from(trigger.args.len()).unwrap_or(i32::MAX)),
                ty: "integer".into(),
            },
        ),
        (
            "tg_argv".to_string(),
            Var::Scalar {
                value: Value::array(
                    trigger
                        .args
                        .iter()
                        .map(|a| Value::Text(a.clone()))
                        .collect(),
                ),
                ty: "text[]".into(),
            },
        ),
    ]);
    let mut interpreter = Interpreter::new(variables, Some(FunctionReturns::Trigger));
    let mut runner = RootRunner {
        root: std::mem::take(root),
        snapshot,
        writable: true,
        savepoints: Vec::new(),
    };
    let unchanged = call.new.clone().or_else(|| call.old.map(<[Value]>::to_vec));
    let ran = match &trigger.when {
        Some(when) => interpreter
            .condition(&mut runner, when)
            .and_then(|holds| match holds {
                true => run_trigger_body(function, &mut interpreter, &mut runner).map(Some),
                false => Ok(None),
            }),
        None => run_trigger_body(function, &mut interpreter, &mut runner).map(Some),
    };
    *root = runner.root;
    match ran? {
        None => Ok(unchanged),
        Some(()) => match interpreter.result {
            Some(Var::Record(fields)) => {
                if fields.len() != call.columns.len() {
                    return Err(Error::invalid(
                        "42804",
                        "returned row structure does not match the structure of the \
                         triggering table",
                    ));
                }
                fields
                    .into_iter()
                    .zip(call.columns)
                    .map(|(f, c)| crate::types::cast(f.1, &c.ty))
                    .collect::<Result<Vec<_>>>()
                    .map(Some)
            }
            Some(Var::Scalar {
                value: Value::Null, ..
            }) => Ok(None),
            Some(Var::Scalar { .. }) => Err(Error::invalid(
                "42804",
                "returned row structure does not match the structure of the triggering table",
            )),
            None => Err(Error::invalid(
                "2F005",
                "control reached end of trigger procedure without RETURN",
            )),
        },
    }
}

fn run_trigger_body(
    function: &Function,
    interpreter: &mut Interpreter,
    runner: &mut RootRunner<'_>,
) -> Result<()> {
    let block = parse(function.source(), Returns::Value)?;
    interpreter.block(runner, &block).map(drop)
}

/// A function's statements, run one at a time against its copy of the database.
struct RootRunner<'a> {
    root: RootValue,
    /// The calling statement's snapshot: its settings and version-control context.
    snapshot: &'a Snapshot,
    /// Whether the copy is the calling statement's, so that writes count.
    writable: bool,
    /// The copies a block with an EXCEPTION clause may go back to, innermost last.
    savepoints: Vec<(String, RootValue)>,
}

impl Runner for RootRunner<'_> {
    fn run(&mut self, text: &str) -> Result<StatementResult> {
        let statements = crate::session::parse(text)?;
        let mut last = StatementResult::Command { tag: String::new() };
        for statement in &statements {
            use sqlparser::ast::Statement as S;
            if matches!(
                statement,
                S::StartTransaction { .. }
                    | S::Commit { .. }
                    | S::Rollback { .. }
                    | S::Savepoint { .. }
                    | S::ReleaseSavepoint { .. }
            ) {
                return Err(Error::invalid(
                    "2D000",
                    "invalid transaction termination: a function cannot end or divide its \
                     transaction",
                ));
            }
            let before = (!self.writable).then(|| self.root.clone());
            last = crate::session::run_in_function(self.snapshot, statement, &mut self.root)?;
            if before.is_some_and(|before| before != self.root) {
                return Err(Error::invalid(
                    "0A000",
                    "a PL/pgSQL function called from UPDATE, DELETE, MERGE or a constraint \
                     cannot modify the database in vdb; call it from SELECT or INSERT",
                ));
            }
        }
        Ok(last)
    }

    fn savepoint(&mut self, name: &str) -> Result<()> {
        self.savepoints.push((name.to_string(), self.root.clone()));
        Ok(())
    }

    fn release(&mut self, name: &str) -> Result<()> {
        if let Some(at) = self.savepoints.iter().rposition(|(n, _)| n == name) {
            self.savepoints.truncate(at);
        }
        Ok(())
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        if let Some((_, root)) = self.savepoints.iter().rev().find(|(n, _)| n == name) {
            self.root = root.clone();
        }
        Ok(())
    }
}
