//! Sequence functions at execution: `nextval`, `currval` and `setval` change or read a sequence
//! in the transaction's root, so they cannot be evaluated by the pure [`Expr::eval`]. Before a row
//! is evaluated, [`resolve`] replaces each call (innermost first, left to right, as PostgreSQL
//! evaluates them) by its result; [`rows`] does this for the top node of a write's source
//! (VALUES rows, or a projection such as INSERT ... SELECT's) and of a SELECT. A call anywhere
//! else in a query (a CTE, a subquery, beside a set-returning function) is evaluated by
//! [`Expr::eval`] itself against a copy of the root [`rows`] puts in place for the statement
//! ([`call_nested`]), whose sequences go back into the root when the rows are all made.
//!
//! A PL/pgSQL function may write as well. When a query or an INSERT's source calls one, every
//! call (of a sequence or of such a function) goes to that copy of the root, which replaces
//! the root once the rows are made; the functions take it in turn ([`take_nested`]).

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;
use vdb_engine::value::Value;

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::execution::{query, Rows};
use crate::expr::{record_sequence_value, session_currval, Expr, Function, Row};
use crate::planner::Plan;

/// Whether `expr` calls a sequence function.
pub fn calls_sequence(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| found |= matches!(e, Expr::Function(f, _) if f.touches_sequence()));
    found
}

/// Whether the top node of `plan` evaluates sequence functions.
pub fn plan_calls_sequence(plan: &Plan) -> bool {
    match plan {
        Plan::Values { rows } => rows.iter().flatten().any(calls_sequence),
        Plan::Project { exprs, .. } => exprs.iter().any(calls_sequence),
        _ => false,
    }
}

thread_local! {
    /// The root a statement's sequence calls outside its top node draw from (see the module
    /// docs); `None` when no statement on this thread has such calls.
    static NESTED: RefCell<Option<Nested>> = const { RefCell::new(None) };
}

/// What a plan calls anywhere, subqueries included.
#[derive(Clone, Copy, Default)]
struct Calls {
    /// A sequence function.
    sequence: bool,
    /// A PL/pgSQL function, which may write, through the statement's copy of the root
    /// ([`take_nested`]).
    procedural: bool,
}

fn calls_in(plan: &Plan) -> Calls {
    let mut found = Calls::default();
    plan.walk_exprs(&mut |e| {
        e.walk(&mut |x| match x {
            Expr::Function(f, _) if f.touches_sequence() => found.sequence = true,
            Expr::UserFunction(c, _) if c.is_procedural() => found.procedural = true,
            Expr::Subquery(s) => {
                let inner = calls_in(&s.plan);
                found.sequence |= inner.sequence;
                found.procedural |= inner.procedural;
            }
            _ => {}
        });
    });
    found
}

/// Whether `plan` calls a sequence function anywhere, subqueries included.
fn calls_anywhere(plan: &Plan) -> bool {
    calls_in(plan).sequence
}

/// A statement's copy of the root, which the calls in its expressions share.
pub struct Nested {
    pub root: RootValue,
    /// Whether the statement keeps what is written to the copy (its PL/pgSQL calls' writes),
    /// or only its sequences.
    pub keeps_writes: bool,
}

/// Takes the statement's copy of the root out for a PL/pgSQL function to run its statements
/// against (`None` when no statement put one in place: the function may then only read, as
/// it may when the statement keeps only the copy's sequences); [`put_nested`] gives it back.
pub fn take_nested() -> Option<Nested> {
    NESTED.with(|n| n.borrow_mut().take())
}

/// Puts back the copy of the root [`take_nested`] took, with what the function did to it.
pub fn put_nested(nested: Nested) {
    NESTED.with(|n| *n.borrow_mut() = Some(nested));
}

/// Makes the rows of `plan` with a copy of `root` in place for the calls in its expressions;
/// gives the rows and the copy as the calls left it.
fn with_copy(
    plan: Plan,
    root: &mut RootValue,
    ns: &NodeStore,
    keeps_writes: bool,
    make: fn(Plan, &mut RootValue, &NodeStore) -> Result<Rows>,
) -> (Result<Vec<Row>>, Option<RootValue>) {
    let copy = Nested {
        root: root.clone(),
        keeps_writes,
    };
    let outer = NESTED.with(|n| n.replace(Some(copy)));
    let made = make(plan, root, ns).and_then(|rows| rows.collect::<Result<Vec<_>>>());
    let drawn = NESTED.with(|n| n.replace(outer));
    (made, drawn.map(|d| d.root))
}

/// Whether a subquery in the top node's expressions calls a sequence function.
fn top_subqueries_call(plan: &Plan) -> bool {
    let exprs: Vec<&Expr> = match plan {
        Plan::Values { rows } => rows.iter().flatten().collect(),
        Plan::Project { exprs, .. } => exprs.iter().collect(),
        _ => return false,
    };
    let mut found = false;
    for expr in exprs {
        expr.walk(&mut |x| {
            if let Expr::Subquery(s) = x {
                found |= calls_anywhere(&s.plan);
            }
        });
    }
    found
}

/// A sequence call met by [`Expr::eval`]: run against the statement's copy of the root, or
/// `None` outside a statement that put one in place.
pub fn call_nested(f: Function, args: &[Value]) -> Option<Result<Value>> {
    NESTED.with(|nested| {
        nested
            .borrow_mut()
            .as_mut()
            .map(|nested| call_on(f, args, &mut nested.root))
    })
}

/// The rows of `plan`, with the sequence calls of its top node resolved against `root` row by
/// row (so rows are produced eagerly). Calls elsewhere in the plan go through a copy of the
/// root in place while every row is made (eagerly too), and its sequences then back to `root`.
pub fn rows(plan: Plan, root: &mut RootValue, ns: &NodeStore) -> Result<Rows> {
    let calls = calls_in(&plan);
    if calls.procedural {
        // Every call, of a sequence or of a function that writes, goes to one copy of the
        // root, which becomes the root once the rows are made; the rows themselves read the
        // root as it was before the statement, as PostgreSQL's statement snapshot.
        let (made, drawn) = with_copy(plan, root, ns, true, |plan, root, ns| query(plan, root, ns));
        let made = made?;
        if let Some(drawn) = drawn {
            *root = drawn;
        }
        return Ok(Box::new(made.into_iter().map(Ok)));
    }
    if !calls.sequence {
        return query(plan, root, ns);
    }
    // The common case (a SERIAL default in INSERT .. VALUES) needs no copy of the root.
    let top_only = plan_calls_sequence(&plan)
        && !plan.children().into_iter().any(calls_anywhere)
        && !top_subqueries_call(&plan);
    if top_only {
        return top_rows(plan, root, ns);
    }
    let (made, drawn) = with_copy(plan, root, ns, false, top_rows);
    if let Some(drawn) = drawn {
        let names: Vec<String> = drawn.sequence_names().map(str::to_string).collect();
        for name in names {
            if let Some(sequence) = drawn.get_sequence(&name) {
                root.put_sequence(&name, sequence.clone());
            }
        }
    }
    Ok(Box::new(made?.into_iter().map(Ok)))
}

/// [`rows`] for a plan whose top node alone calls sequences (or none does).
fn top_rows(plan: Plan, root: &mut RootValue, ns: &NodeStore) -> Result<Rows> {
    if !plan_calls_sequence(&plan) {
        return query(plan, root, ns);
    }
    let mut out = Vec::new();
    match plan {
        Plan::Values { rows } => {
            for row in rows {
                out.push(eval_row(&row, &[], root)?);
            }
        }
        Plan::Project { source, exprs } => {
            for input in query(*source, root, ns)? {
                out.push(eval_row(&exprs, &input?, root)?);
            }
        }
        _ => unreachable!("plan_calls_sequence covers only Values and Project"),
    }
    Ok(Box::new(out.into_iter().map(Ok)))
}

/// Evaluates `exprs` over `input`, resolving sequence calls first.
pub fn eval_row(exprs: &[Expr], input: &[Value], root: &mut RootValue) -> Result<Row> {
    exprs.iter().map(|e| eval(e, input, root)).collect()
}

/// Evaluates `expr` over `input`, resolving sequence calls first.
pub fn eval(expr: &Expr, input: &[Value], root: &mut RootValue) -> Result<Value> {
    if calls_sequence(expr) {
        resolve(expr, input, root)?.eval(input)
    } else {
        expr.eval(input)
    }
}

/// `expr` with each sequence call replaced by its result. Calls may sit under casts, operators,
/// function arguments and COALESCE; elsewhere they are refused.
pub fn resolve(expr: &Expr, input: &[Value], root: &mut RootValue) -> Result<Expr> {
    if !calls_sequence(expr) {
        return Ok(expr.clone());
    }
    let mut each = |list: &[Expr]| -> Result<Vec<Expr>> {
        list.iter().map(|e| resolve(e, input, root)).collect()
    };
    Ok(match expr {
        Expr::Function(f, args) if f.touches_sequence() => {
            let args = each(args)?;
            let values = args
                .iter()
                .map(|a| a.eval(input))
                .collect::<Result<Vec<_>>>()?;
            Expr::Literal(call(*f, &values, root)?)
        }
        Expr::Function(f, args) => Expr::Function(*f, each(args)?),
        Expr::Coalesce(list) => Expr::Coalesce(each(list)?),
        Expr::Cast(e, ty) => Expr::Cast(Box::new(resolve(e, input, root)?), ty.clone()),
        Expr::Negate(e) => Expr::Negate(Box::new(resolve(e, input, root)?)),
        Expr::Binary(op, l, r) => {
            let l = resolve(l, input, root)?;
            Expr::Binary(*op, Box::new(l), Box::new(resolve(r, input, root)?))
        }
        other => {
            return Err(Error::Unsupported(format!(
                "a sequence function inside {other}"
            )))
        }
    })
}

/// Runs one sequence function on argument values (the sequence name first), against the
/// statement's copy of the root when one is in place (so all of a statement's calls draw from
/// one state), else against `root`.
fn call(f: Function, args: &[Value], root: &mut RootValue) -> Result<Value> {
    match call_nested(f, args) {
        Some(result) => result,
        None => call_on(f, args, root),
    }
}

fn call_on(f: Function, args: &[Value], root: &mut RootValue) -> Result<Value> {
    let name = match args.first() {
        Some(Value::Text(name)) => name.clone(),
        _ => return Ok(Value::Null),
    };
    let sequence = root
        .get_sequence_mut(&name)
        .ok_or_else(|| Error::UndefinedTable(name.clone()))?;
    // Sequences are not transactional: a draw goes through the repository's marks, so that
    // sessions whose snapshots hold the same sequence state still draw different values. A
    // temporary table's sequence is the session's own.
    let shared = !crate::temp::is_temp_key(&name);
    match f {
        Function::NextVal => match shared
            .then(|| {
                crate::expr::with_sequence_scope(|marks, branch| {
                    marks.next_value(branch, &name, sequence)
                })
            })
            .flatten()
        {
            Some(drawn) => drawn,
            None => sequence.next_value(),
        }
        .map(|value| {
            record_sequence_value(&name, value, true);
            Value::Int8(value)
        })
        .ok_or_else(|| {
            let (word, bound) = if sequence.increment > 0 {
                ("maximum", sequence.max)
            } else {
                ("minimum", sequence.min)
            };
            Error::invalid(
                "2200H",
                format!("nextval: reached {word} value of sequence \"{name}\" ({bound})"),
            )
        }),
        // The value this session's last nextval of the sequence gave, as in PostgreSQL.
        Function::CurrVal => session_currval(&name).map(Value::Int8).ok_or_else(|| {
            Error::invalid(
                "55000",
                format!("currval of sequence \"{name}\" is not yet defined in this session"),
            )
        }),
        Function::SetVal => {
            let value = match args.get(1) {
                Some(Value::Int8(v)) => *v,
                _ => return Ok(Value::Null),
            };
            let is_called = match args.get(2) {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Ok(Value::Null),
            };
            if value < sequence.min || value > sequence.max {
                return Err(Error::invalid(
                    "22003",
                    format!(
                        "setval: value {value} is out of bounds for sequence \"{name}\" ({}..{})",
                        sequence.min, sequence.max
                    ),
                ));
            }
            sequence.set(value, is_called);
            if is_called {
                record_sequence_value(&name, value, false);
            }
            if shared {
                crate::expr::with_sequence_scope(|marks, branch| {
                    marks.set(branch, &name, sequence);
                });
            }
            Ok(Value::Int8(value))
        }
        other => Err(Error::invalid(
            "XX000",
            format!("internal error: {other:?} is not a sequence function"),
        )),
    }
}

/// Forgets the mark of a sequence a statement created, altered, reset, renamed or dropped, so
/// that the next draw starts from the sequence's state in the root (see
/// `vdb_engine::repo::SequenceMarks`).
pub fn forget_mark(key: &str) {
    crate::expr::with_sequence_scope(|marks, branch| marks.forget(branch, key));
}

/// Forgets what this session knew of sequence `key`, which is being dropped: its mark and its
/// `currval` (PostgreSQL's currval is of the dropped sequence, which a new one of the same
/// name is not).
pub fn forget_dropped(key: &str) {
    forget_mark(key);
    crate::expr::forget_sequence_value(key);
}
