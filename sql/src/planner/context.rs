//! The planning context of the statement being planned on this thread: its [`Snapshot`] (what
//! system tables, catalog functions and subqueries read) and the stack of enclosing query
//! scopes that a subquery's names may refer to (correlation).
//!
//! It is thread-local so that `bind(expr, scope)`, which every planner file calls, reaches it
//! without threading a catalog through each call: [`with_snapshot`] installs it for the duration
//! of one `plan_statement` (the session does this), [`with_outer`] pushes a scope while a
//! subquery is planned. Without a context (planning outside a session), system tables, catalog
//! functions and subqueries are reported as unsupported.

use std::cell::RefCell;
use std::sync::Arc;

use crate::planner::expr::Scope;
use crate::system::Snapshot;

struct Frame {
    scope: Scope,
    /// Whether a name inside the subquery planned under this frame resolved to this frame or
    /// one further out.
    correlated: bool,
}

/// A common table expression in scope: its name, column names and query.
#[derive(Clone, Debug)]
pub struct Cte {
    pub name: String,
    pub columns: Vec<String>,
    pub query: sqlparser::ast::Query,
    /// Declared in a `WITH RECURSIVE` list and refers to itself.
    pub recursive: bool,
    /// The rows of a data-modifying WITH query, which ran before the statement was planned.
    pub materialized: Option<Arc<crate::dml_cte::Materialized>>,
    /// Where a volatile WITH query keeps its rows once evaluated (see `Plan::SharedCte`).
    pub slot: crate::planner::plan::CteSlot,
}

/// The working table of a recursive CTE whose recursive term is being planned: a reference to
/// `name` there reads `slot` with these columns.
#[derive(Clone, Debug)]
pub struct WorkTable {
    pub name: String,
    pub columns: Vec<(String, vdb_engine::value::Type)>,
    pub slot: crate::planner::plan::WorkSlot,
}

#[derive(Default)]
struct State {
    snapshot: Option<Arc<Snapshot>>,
    outer: Vec<Frame>,
    /// WITH queries in scope, outermost first.
    ctes: Vec<Cte>,
    /// While a CTE's own query is planned, it and the CTEs after it in its WITH list (the
    /// positions `start..end` of `ctes`) are hidden; WITH queries nested in it come after
    /// `end` and are visible. One range per CTE being planned, outermost first.
    cte_limit: Vec<(usize, usize)>,
    /// Working tables of the recursive terms being planned, innermost last.
    work_tables: Vec<WorkTable>,
    /// The views whose queries are being planned, outermost first (a view met again inside
    /// itself is infinite recursion).
    views: Vec<String>,
    /// The types of the statement's parameters where they are known (the plan cache's
    /// literals, see `crate::plan_cache`).
    param_types: Vec<Option<vdb_engine::value::Type>>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Runs `f` with `snapshot` as the planning context, restoring the previous one afterwards.
pub fn with_snapshot<T>(snapshot: Arc<Snapshot>, f: impl FnOnce() -> T) -> T {
    let fresh = State {
        snapshot: Some(snapshot),
        ..State::default()
    };
    let saved = STATE.with(|s| std::mem::replace(&mut *s.borrow_mut(), fresh));
    let result = f();
    STATE.with(|s| *s.borrow_mut() = saved);
    result
}

/// Runs `f` with `$n` typed `types[n - 1]` (where that is `Some`): each stands for a literal
/// of that type, and binds as the literal would.
pub fn with_param_types<T>(
    types: Vec<Option<vdb_engine::value::Type>>,
    f: impl FnOnce() -> T,
) -> T {
    let saved = STATE.with(|s| std::mem::replace(&mut s.borrow_mut().param_types, types));
    let result = f();
    STATE.with(|s| s.borrow_mut().param_types = saved);
    result
}

/// The type of parameter `index` (0-based), if [`with_param_types`] gave one.
pub fn param_type(index: usize) -> Option<vdb_engine::value::Type> {
    STATE.with(|s| s.borrow().param_types.get(index).cloned().flatten())
}

/// The snapshot of the statement being planned.
pub fn snapshot() -> Option<Arc<Snapshot>> {
    STATE.with(|s| s.borrow().snapshot.clone())
}

/// Runs `f` with `ctes` in scope (a query's WITH list), removing them afterwards.
pub fn with_ctes<T>(ctes: Vec<Cte>, f: impl FnOnce() -> T) -> T {
    let n = ctes.len();
    STATE.with(|s| s.borrow_mut().ctes.extend(ctes));
    let result = f();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let keep = s.ctes.len().saturating_sub(n);
        s.ctes.truncate(keep);
    });
    result
}

/// The innermost visible CTE called `name`, with its position.
pub fn cte(name: &str) -> Option<(usize, Cte)> {
    STATE.with(|s| {
        let s = s.borrow();
        let hidden = |i: &usize| {
            s.cte_limit
                .iter()
                .any(|(start, end)| (start..end).contains(&i))
        };
        s.ctes
            .iter()
            .enumerate()
            .rev()
            .find(|(i, c)| !hidden(i) && c.name == name)
            .map(|(i, c)| (i, c.clone()))
    })
}

/// Plans the body of the CTE at `index`, which sees only the CTEs defined before it (so it
/// cannot refer to itself; a recursive CTE's reference to itself is its working table).
pub fn with_cte_body<T>(index: usize, f: impl FnOnce() -> T) -> T {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let end = s.ctes.len();
        s.cte_limit.push((index, end));
    });
    let result = f();
    STATE.with(|s| s.borrow_mut().cte_limit.pop());
    result
}

/// Runs `f` (the planning of a recursive term) with `work` in scope, removing it afterwards.
pub fn with_work_table<T>(work: WorkTable, f: impl FnOnce() -> T) -> T {
    STATE.with(|s| s.borrow_mut().work_tables.push(work));
    let result = f();
    STATE.with(|s| s.borrow_mut().work_tables.pop());
    result
}

/// The working table called `name` of a recursive term being planned.
pub fn work_table(name: &str) -> Option<WorkTable> {
    STATE.with(|s| {
        s.borrow()
            .work_tables
            .iter()
            .rev()
            .find(|w| w.name == name)
            .cloned()
    })
}

/// Runs `f` (the planning of a view's query) without the CTEs, working tables and enclosing
/// scopes of the query that names the view, restoring them afterwards.
pub fn isolated<T>(f: impl FnOnce() -> T) -> T {
    let saved = STATE.with(|s| {
        let mut s = s.borrow_mut();
        (
            std::mem::take(&mut s.outer),
            std::mem::take(&mut s.ctes),
            std::mem::take(&mut s.cte_limit),
            std::mem::take(&mut s.work_tables),
        )
    });
    let result = f();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        (s.outer, s.ctes, s.cte_limit, s.work_tables) = saved;
    });
    result
}

/// Runs `f` while view `name` is being expanded; 42P17 if it already is (a view that uses
/// itself, through CREATE OR REPLACE).
pub fn expanding_view<T>(
    name: &str,
    f: impl FnOnce() -> crate::error::Result<T>,
) -> crate::error::Result<T> {
    let cycle = STATE.with(|s| s.borrow().views.iter().any(|v| v == name));
    if cycle {
        return Err(crate::error::Error::invalid(
            "42P17",
            format!("infinite recursion detected in rules for relation \"{name}\""),
        ));
    }
    STATE.with(|s| s.borrow_mut().views.push(name.to_string()));
    let result = f();
    STATE.with(|s| s.borrow_mut().views.pop());
    result
}

/// Plans a subquery with `scope` as its nearest enclosing scope; also returns whether the
/// subquery referred to any enclosing scope.
pub fn with_outer<T>(scope: &Scope, f: impl FnOnce() -> T) -> (T, bool) {
    STATE.with(|s| {
        s.borrow_mut().outer.push(Frame {
            scope: scope.clone(),
            correlated: false,
        });
    });
    let result = f();
    let frame = STATE.with(|s| s.borrow_mut().outer.pop());
    (result, frame.is_some_and(|f| f.correlated))
}

/// The first enclosing query level whose scope `find` answers for (innermost first), with
/// its distance, marking the levels in between correlated: how a whole-row reference to an
/// outer FROM item (`lateral (select row_to_json(t))`) binds.
pub fn resolve_outer_with<T>(find: impl Fn(&Scope) -> Option<T>) -> Option<(usize, T)> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let len = s.outer.len();
        for j in (0..len).rev() {
            if let Some(found) = find(&s.outer[j].scope) {
                for frame in &mut s.outer[j..] {
                    frame.correlated = true;
                }
                return Some((len - j, found));
            }
        }
        None
    })
}

/// Resolves a name that the current scope lacks against the enclosing scopes, innermost first:
/// `(level, position, column)` where level 1 is the nearest enclosing query.
pub fn resolve_outer(
    relation: Option<&str>,
    name: &str,
) -> Option<(usize, usize, crate::planner::expr::ScopeColumn)> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let len = s.outer.len();
        for j in (0..len).rev() {
            if let Ok(i) = s.outer[j].scope.resolve(relation, name) {
                let column = s.outer[j].scope.columns[i].clone();
                for frame in &mut s.outer[j..] {
                    frame.correlated = true;
                }
                return Some((len - j, i, column));
            }
        }
        None
    })
}
