//! Calls of user-defined SQL functions: resolving a call to one overload, and planning a body.
//!
//! A name resolves along the search path to the overloads the root keeps for it
//! ([`vdb_engine::table::Overloads`]); [`call`] picks the one whose parameters the arguments
//! fit (exact types first, then implicit casts; unknown literals fit any type), fills defaults
//! and named arguments, and binds an [`Expr::UserFunction`]. The body is planned by
//! [`plan_body`] with a scope of its own: the parameters are the enclosing row, reachable by
//! name (`x`, `f.x`) and as `$n`, so the body's own columns shadow them as in PostgreSQL, and
//! [`bind_args`] puts the argument values in before a run. A set-returning function in FROM
//! ([`from_clause`]) is planned and bound at once, its arguments being constants there.

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{self, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::{qualified, Function, FunctionReturns, Overloads};
use vdb_engine::value::{Type, Value};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::{bind_plan, Builtin, Expr, Function as ExprFunction, UserCall};
use crate::planner::context;
use crate::planner::expr::{bind, ident_name, Scope, ScopeColumn, Typed};
use crate::planner::plan::Plan;
use crate::planner::query::plan_query;
use crate::system::Snapshot;
use crate::types::{assignment_cast, implicit_cast, type_name};

thread_local! {
    /// Set while CALL plans its call: only then may a procedure be called, and only a
    /// procedure.
    static CALLING: Cell<bool> = const { Cell::new(false) };
    /// The function a CREATE FUNCTION is checking, visible to its own body (recursion).
    static DEFINING: RefCell<Vec<(String, Function)>> = const { RefCell::new(Vec::new()) };
}

/// `CALL name(args)` of a user procedure, planned as `SELECT name(args)` that returns no rows;
/// `None` when no routine has that name (vdb's own procedures are the session's).
pub fn plan_call(call: &ast::Function) -> Option<Result<crate::planner::plan::Planned>> {
    let snapshot = context::snapshot()?;
    resolve(&snapshot, &call.name)?;
    let query = match Parser::parse_sql(&PostgreSqlDialect {}, &format!("SELECT {call}")) {
        Ok(mut statements) if statements.len() == 1 => statements.remove(0),
        _ => return Some(Err(Error::Unsupported(format!("CALL {call}")))),
    };
    let catalog = Catalog::new(&snapshot.root, &snapshot.ns);
    /// Clears CALLING however planning ends.
    struct Calling;
    impl Drop for Calling {
        fn drop(&mut self) {
            CALLING.with(|c| c.set(false));
        }
    }
    CALLING.with(|c| c.set(true));
    let _calling = Calling;
    let planned = crate::planner::plan_statement(&catalog, &query);
    Some(planned.map(|planned| crate::planner::plan::Planned {
        columns: None,
        tag: "CALL",
        ..planned
    }))
}

/// Runs `f` with `function` (key `key`) visible to calls, as CREATE FUNCTION checks its body.
pub fn defining<T>(key: &str, function: &Function, f: impl FnOnce() -> T) -> T {
    DEFINING.with(|d| d.borrow_mut().push((key.to_string(), function.clone())));
    let result = f();
    DEFINING.with(|d| d.borrow_mut().pop());
    result
}

/// The overloads named `key`: the root's, with the function being defined in place of its
/// stored twin.
fn overloads(snapshot: &Snapshot, key: &str) -> Option<Overloads> {
    let mut found = snapshot.root.get_functions(key).cloned();
    DEFINING.with(|d| {
        for (k, function) in d.borrow().iter() {
            if k == key {
                found
                    .get_or_insert_with(Overloads::default)
                    .put(function.clone());
            }
        }
    });
    found
}

/// [`resolve`] against the running statement's snapshot (DROP FUNCTION).
pub(super) fn resolve_in_statement(name: &ast::ObjectName) -> Option<String> {
    let snapshot = context::snapshot()?;
    resolve(&snapshot, name)
}

/// The root key a function name resolves to, if functions of that name exist: `s.f`, or the
/// first schema of the search path holding an `f`.
fn resolve(snapshot: &Snapshot, name: &ast::ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [n] => {
            let n = ident_name(n);
            snapshot
                .search_path()
                .iter()
                .map(|schema| qualified(schema, &n))
                .find(|key| overloads(snapshot, key).is_some())
        }
        [schema, n] => {
            let key = qualified(&ident_name(schema), &ident_name(n));
            overloads(snapshot, &key).map(|_| key)
        }
        _ => None,
    }
}

/// The type a call of `function` has: a record is shown as text, `void` as an empty text.
pub fn result_type(function: &Function) -> Type {
    match &function.returns {
        FunctionReturns::Scalar(t) | FunctionReturns::SetOf(t) => t.clone(),
        FunctionReturns::Void
        | FunctionReturns::Procedure
        | FunctionReturns::Table(_)
        | FunctionReturns::SetOfRow { .. }
        | FunctionReturns::Trigger => Type::Text,
    }
}

/// Binds a call of a user-defined function `name(args)`; `None` when no function has that name.
pub fn call(
    scope: &Scope,
    name: &ast::ObjectName,
    args: &[ast::FunctionArg],
) -> Result<Option<Typed>> {
    // Only the CALL statement's own call may be of a procedure; calls in its arguments are
    // ordinary ones.
    let calling = CALLING.with(|c| c.replace(false));
    let Some(snapshot) = context::snapshot() else {
        return Ok(None);
    };
    let Some(key) = resolve(&snapshot, name) else {
        if let [schema, _] = name.0.as_slice() {
            let schema = ident_name(schema);
            let known = snapshot.root.has_schema(&schema)
                || crate::system::is_system_schema(&schema)
                || crate::temp::is_temp_schema(&schema);
            if !known {
                return Err(Error::invalid(
                    "3F000",
                    format!("schema \"{schema}\" does not exist"),
                ));
            }
        }
        return Ok(None);
    };
    let mut positional = Vec::new();
    let mut named = Vec::new();
    for arg in args {
        match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) if named.is_empty() => {
                positional.push(bind(e, scope)?);
            }
            ast::FunctionArg::Named {
                name,
                arg: ast::FunctionArgExpr::Expr(e),
                ..
            } => named.push((ident_name(name), bind(e, scope)?)),
            ast::FunctionArg::Unnamed(_) => {
                return Err(Error::invalid(
                    "42601",
                    "positional argument cannot follow named argument",
                ))
            }
            other => return Err(Error::Unsupported(format!("function argument {other}"))),
        }
    }
    let (function, exprs) = choose(&snapshot, &key, &positional, &named)?;
    if function.returns == FunctionReturns::Trigger {
        return Err(Error::invalid(
            "0A000",
            "trigger functions can only be called as triggers",
        ));
    }
    let procedure = function.returns == FunctionReturns::Procedure;
    if procedure != calling {
        let types: Vec<String> = function.args.iter().map(|a| type_name(&a.ty)).collect();
        let short = vdb_engine::table::split_qualified(&key).1;
        return Err(match procedure {
            true => Error::invalid(
                "42809",
                format!(
                    "{short}({}) is a procedure: call it with CALL",
                    types.join(", ")
                ),
            ),
            false => Error::invalid(
                "42809",
                format!(
                    "{short}({}) is not a procedure: call it with SELECT",
                    types.join(", ")
                ),
            ),
        });
    }
    let ty = result_type(&function);
    let call = UserCall::new(key, function, snapshot);
    Ok(Some(Typed::new(
        Expr::UserFunction(Box::new(call), exprs),
        ty,
    )))
}

/// The overload of `key` that the arguments fit, with the arguments coerced to its parameter
/// types and defaults filled in.
fn choose(
    snapshot: &Snapshot,
    key: &str,
    positional: &[Typed],
    named: &[(String, Typed)],
) -> Result<(Function, Vec<Expr>)> {
    let short = vdb_engine::table::split_qualified(key).1;
    let candidates = overloads(snapshot, key).unwrap_or_default().functions;
    let mut best: Vec<(usize, Function, Vec<Option<Typed>>)> = Vec::new();
    for function in candidates {
        let Some(slots) = fit(&function, positional, named) else {
            continue;
        };
        let mut casts = 0;
        let ok = slots.iter().zip(&function.args).all(|(slot, param)| {
            match slot.as_ref().and_then(|t| t.ty.as_ref()) {
                None => true,
                Some(t) if *t == param.ty => true,
                Some(t) if implicit_cast(t, &param.ty) => {
                    casts += 1;
                    true
                }
                Some(_) => false,
            }
        });
        if !ok {
            continue;
        }
        match best.first() {
            Some((c, ..)) if *c < casts => {}
            Some((c, ..)) if *c == casts => best.push((casts, function, slots)),
            _ => best = vec![(casts, function, slots)],
        }
    }
    let described = || {
        let mut types: Vec<String> = positional.iter().map(describe).collect();
        types.extend(named.iter().map(|(n, t)| format!("{n} => {}", describe(t))));
        format!("{short}({})", types.join(", "))
    };
    if best.len() > 1 {
        // As PostgreSQL, an unknown literal prefers a parameter of the string category.
        let texts = |(_, f, slots): &(usize, Function, Vec<Option<Typed>>)| {
            slots
                .iter()
                .zip(&f.args)
                .filter(|(slot, p)| slot.as_ref().is_some_and(|t| t.ty.is_none()) && p.ty.is_text())
                .count()
        };
        let most = best.iter().map(texts).max().unwrap_or(0);
        best.retain(|c| texts(c) == most);
    }
    if best.len() > 1 {
        return Err(Error::invalid(
            "42725",
            format!("function {} is not unique", described()),
        ));
    }
    let Some((_, function, slots)) = best.pop() else {
        return Err(Error::undefined_function(format!(
            "function {} does not exist",
            described()
        )));
    };
    let mut exprs = Vec::new();
    for (slot, param) in slots.into_iter().zip(&function.args) {
        let typed = match slot {
            Some(typed) => typed,
            None => default_arg(param.default.as_deref().unwrap_or("NULL"))?,
        };
        exprs.push(typed.coerce(&param.ty, short)?);
    }
    Ok((function, exprs))
}

fn describe(t: &Typed) -> String {
    t.ty.as_ref()
        .map_or_else(|| "unknown".to_string(), type_name)
}

/// The arguments placed in `function`'s parameter slots, if they fit its arity and names
/// (a slot left `None` takes the parameter's default).
fn fit(
    function: &Function,
    positional: &[Typed],
    named: &[(String, Typed)],
) -> Option<Vec<Option<Typed>>> {
    let params = &function.args;
    if positional.len() > params.len() {
        return None;
    }
    let mut slots: Vec<Option<Typed>> = positional.iter().cloned().map(Some).collect();
    slots.resize(params.len(), None);
    for (name, typed) in named {
        let at = params
            .iter()
            .position(|p| !p.name.is_empty() && p.name == *name)?;
        if slots[at].is_some() {
            return None;
        }
        slots[at] = Some(typed.clone());
    }
    let complete = slots
        .iter()
        .zip(params)
        .all(|(slot, param)| slot.is_some() || param.default.is_some());
    complete.then_some(slots)
}

/// A parameter's DEFAULT expression, bound without columns.
fn default_arg(text: &str) -> Result<Typed> {
    let expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::invalid("XX000", format!("unreadable parameter default: {e}")))?;
    bind(&expr, &Scope::default())
}

/// The scope a body is planned under: the parameters by name (also qualified by the function's
/// name), then the same values as `$1`, `$2`, ...
fn parameter_scope(key: &str, function: &Function) -> Scope {
    let short = vdb_engine::table::split_qualified(key).1.to_string();
    let named = function.args.iter().map(|a| ScopeColumn {
        relation: Some(short.clone()),
        name: a.name.clone(),
        ty: a.ty.clone(),
        hidden: a.name.is_empty(),
        scalar_function: false,
    });
    let numbered = function.args.iter().enumerate().map(|(i, a)| ScopeColumn {
        relation: None,
        name: format!("${}", i + 1),
        ty: a.ty.clone(),
        hidden: false,
        scalar_function: false,
    });
    Scope {
        columns: named.chain(numbered).collect(),
    }
}

/// `plan` with its parameters (the enclosing row of [`parameter_scope`]) replaced by `args`.
pub fn bind_args(plan: Plan, args: &[Value]) -> Plan {
    let row: Vec<Value> = args.iter().chain(args).cloned().collect();
    bind_plan(plan, 0, &row)
}

/// Plans the body of `function` (key `key`) against `snapshot`, as a call first runs it.
pub fn plan_body_in(key: &str, function: &Function, snapshot: Arc<Snapshot>) -> Result<Plan> {
    context::with_snapshot(snapshot, || plan_body(key, function))
}

/// Plans the body of `function` in the current planning context: every statement is planned
/// (so a missing table is an error), and the last one's columns are checked against the
/// declared result (42P13) and cast to it.
pub fn plan_body(key: &str, function: &Function) -> Result<Plan> {
    crate::expr::nested_function(|| context::isolated(|| plan_statements(key, function)))
}

fn plan_statements(key: &str, function: &Function) -> Result<Plan> {
    let Some(snapshot) = context::snapshot() else {
        return Err(Error::Unsupported(
            "a function call outside a session".into(),
        ));
    };
    let body = match function
        .body
        .strip_prefix(super::function_ddl::RETURN_PREFIX)
    {
        Some(expr) => format!("SELECT {expr}"),
        None => function.body.clone(),
    };
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, &body)
        .map_err(|e| Error::invalid("42601", format!("syntax error in function body: {e}")))?;
    crate::ast_repair::repair(&mut statements);
    let scope = parameter_scope(key, function);
    let catalog = Catalog::new(&snapshot.root, &snapshot.ns);
    let mut last = None;
    for statement in &mut statements {
        let ast::Statement::Query(query) = statement else {
            return Err(Error::invalid(
                "0A000",
                "SQL functions whose body is not a query (SELECT or VALUES) are not supported",
            ));
        };
        let mut numbered = NumberedParameters {
            count: function.args.len(),
            missing: None,
        };
        let _ = query.visit(&mut numbered);
        if let Some(p) = numbered.missing {
            return Err(Error::invalid(
                "42P02",
                format!("there is no parameter {p}"),
            ));
        }
        let (planned, _) = context::with_outer(&scope, || plan_query(&catalog, query));
        last = Some(planned?);
    }
    let short = vdb_engine::table::split_qualified(key).1;
    let Some((plan, columns)) = last else {
        return match function.returns {
            FunctionReturns::Void => Ok(Plan::Values { rows: Vec::new() }),
            _ => Err(Error::invalid(
                "42P13",
                format!(
                    "return type mismatch in function declared to return {}",
                    declared(function)
                ),
            )),
        };
    };
    let targets: Vec<Type> = match &function.returns {
        FunctionReturns::Void | FunctionReturns::Procedure => {
            return Ok(Plan::Project {
                source: Box::new(plan),
                exprs: vec![Expr::Literal(Value::Null)],
            })
        }
        FunctionReturns::Scalar(t) | FunctionReturns::SetOf(t) => vec![t.clone()],
        FunctionReturns::Table(cols) | FunctionReturns::SetOfRow { columns: cols, .. } => {
            cols.iter().map(|(_, t)| t.clone()).collect()
        }
        FunctionReturns::Trigger => {
            return Err(Error::invalid(
                "42P13",
                "SQL functions cannot return type trigger",
            ))
        }
    };
    let mismatch = |detail: String| {
        Error::invalid(
            "42P13",
            format!(
                "return type mismatch in function declared to return {}: {detail} (SQL function \"{short}\")",
                declared(function)
            ),
        )
    };
    if columns.len() != targets.len() {
        return Err(mismatch(match targets.len() {
            1 => "Final statement must return exactly one column.".into(),
            n => format!("Final statement must return exactly {n} columns."),
        }));
    }
    let mut exprs = Vec::new();
    for (i, ((_, actual), target)) in columns.iter().zip(&targets).enumerate() {
        if actual == target {
            exprs.push(Expr::Column(i));
        } else if assignment_cast(actual, target) {
            exprs.push(Expr::Cast(Box::new(Expr::Column(i)), target.clone()));
        } else {
            return Err(mismatch(format!(
                "Actual return type is {}.",
                type_name(actual)
            )));
        }
    }
    Ok(Plan::Project {
        source: Box::new(plan),
        exprs,
    })
}

/// The declared result as PostgreSQL names it in errors.
fn declared(function: &Function) -> String {
    match &function.returns {
        FunctionReturns::Scalar(t) | FunctionReturns::SetOf(t) => type_name(t),
        FunctionReturns::Void => "void".into(),
        FunctionReturns::Table(_) => "record".into(),
        FunctionReturns::SetOfRow { table, .. } => table.clone(),
        FunctionReturns::Trigger => "trigger".into(),
        FunctionReturns::Procedure => "void".into(),
    }
}

/// Rewrites the placeholders `$n` of a body into the names its parameter scope gives them;
/// notes a number beyond the function's parameters.
struct NumberedParameters {
    count: usize,
    missing: Option<String>,
}

impl VisitorMut for NumberedParameters {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
        if let ast::Expr::Value(ast::Value::Placeholder(p)) = expr {
            match p.strip_prefix('$').map(str::parse::<usize>) {
                Some(Ok(n)) if (1..=self.count).contains(&n) => {
                    *expr = ast::Expr::Identifier(ast::Ident::with_quote('"', p.clone()));
                }
                Some(Ok(_)) => self.missing = Some(p.clone()),
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }
}

/// A user-defined function in FROM (`SELECT * FROM f(3) AS t(a)`): a ProjectSet over one
/// empty row whose expressions are the call, once per result column (a scalar function's one
/// value, a set's rows); `None` when no function has that name. The arguments may name
/// enclosing rows (a function's parameters in another function's body), not sibling FROM items.
pub fn from_clause(
    name: &ast::ObjectName,
    args: &[ast::Expr],
    alias: Option<&ast::TableAlias>,
) -> Result<Option<(Plan, Scope)>> {
    let Some(snapshot) = context::snapshot() else {
        return Ok(None);
    };
    let Some(key) = resolve(&snapshot, name) else {
        return Ok(None);
    };
    let empty = Scope::default();
    let positional = args
        .iter()
        .map(|a| bind(a, &empty))
        .collect::<Result<Vec<_>>>()?;
    let (function, exprs) = choose(&snapshot, &key, &positional, &[])?;
    let short = vdb_engine::table::split_qualified(&key).1.to_string();
    let relation = alias.map_or(short, |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    let (names, scalar): (Vec<(String, Type)>, bool) = match &function.returns {
        FunctionReturns::Table(cols) | FunctionReturns::SetOfRow { columns: cols, .. } => {
            (cols.clone(), false)
        }
        _ => (vec![(relation.clone(), result_type(&function))], true),
    };
    let set = function.returns.is_set();
    let call = UserCall::new(key, function, snapshot);
    let calls = (0..names.len())
        .map(|i| {
            let mut call = call.clone();
            call.column = Some(i);
            Expr::UserFunction(Box::new(call), exprs.clone())
        })
        .collect();
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, (name, ty))| ScopeColumn {
            relation: Some(relation.clone()),
            name: renames.get(i).cloned().unwrap_or(name),
            ty,
            hidden: false,
            scalar_function: scalar,
        })
        .collect();
    let source = Box::new(Plan::Values {
        rows: vec![Vec::new()],
    });
    let plan = match set {
        true => Plan::ProjectSet {
            source,
            exprs: calls,
        },
        false => Plan::Project {
            source,
            exprs: calls,
        },
    };
    Ok(Some((plan, Scope { columns })))
}

/// The text of a record (`(1,a)`) made of `values`, as a `RETURNS TABLE` function's value in a
/// select list.
pub fn record_text(values: Vec<Value>) -> Result<Value> {
    let list = values.into_iter().map(Expr::Literal).collect();
    Expr::Function(ExprFunction::Builtin(Builtin::RecordText), list).eval(&[])
}
