//! Planning window functions (`f(...) OVER (...)`, `WINDOW w AS (...)`).
//!
//! Window calls are computed after WHERE, GROUP BY and HAVING, over the rows those produce, and
//! before the select list, DISTINCT and ORDER BY. So planning a SELECT with window calls goes:
//!
//! 1. [`extract`] takes every window call out of the select list and ORDER BY, replacing each
//!    by a reference to a result column `#win<k>` (select items keep their PostgreSQL names).
//! 2. [`Extracted::plan_calls`] binds each call's arguments, PARTITION BY and ORDER BY against
//!    the window's input row (the FROM row, or the aggregation's output row), resolving named
//!    windows, and checks the frame.
//! 3. The select list is bound against the input row followed by the result columns, and a
//!    [`Plan::Window`](crate::planner::Plan::Window) node appends the results to each row.

use std::ops::ControlFlow;

use sqlparser::ast::{self, VisitMut, VisitorMut};
use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::aggregate::{
    aggregate_call, calls_outside_subqueries, contains_aggregate, is_aggregate,
};
use crate::planner::expr::{common_type, ident_name, output_name, Scope, ScopeColumn, Typed};
use crate::planner::frame_exclusion;
pub use crate::planner::frame_exclusion::Exclusion;
use crate::planner::plan::{AggregateCall, SortKey};
use crate::types::{numeric_rank, type_name};

/// What a window call computes.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowFunction {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    /// `ntile(n)`: args `[n]`.
    Ntile,
    /// `lag(x [, offset [, default]])`: args `[x, offset, default]`.
    Lag,
    /// `lead(x [, offset [, default]])`: args `[x, offset, default]`.
    Lead,
    FirstValue,
    LastValue,
    /// `nth_value(x, n)`: args `[x, n]`.
    NthValue,
    /// An aggregate over the frame; its argument is evaluated over the call's argument values.
    Aggregate(AggregateCall),
}

/// Which rows a frame offset counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

/// One end of a window frame. Offsets read no column (evaluated once per partition).
#[derive(Clone, Debug, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// A window frame: the rows of the partition an aggregate or first/last/nth_value sees.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
    pub exclude: Exclusion,
}

/// One window call: its function, arguments and window, all over the window's input row.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowCall {
    pub function: WindowFunction,
    pub args: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub frame: Frame,
    pub ty: Type,
    /// The call as written, for EXPLAIN.
    pub text: String,
}

impl WindowCall {
    /// Calls `f` on every expression of the call.
    pub fn walk_exprs(&self, f: &mut impl FnMut(&Expr)) {
        self.args.iter().for_each(&mut *f);
        self.partition_by.iter().for_each(&mut *f);
        self.order_by.iter().for_each(|k| f(&k.expr));
        for bound in [&self.frame.start, &self.frame.end] {
            if let FrameBound::Preceding(e) | FrameBound::Following(e) = bound {
                f(e);
            }
        }
    }

    /// The call with `f` applied to every expression.
    pub fn map_exprs(self, f: &mut impl FnMut(Expr) -> Expr) -> WindowCall {
        let mut bound = |b: FrameBound| match b {
            FrameBound::Preceding(e) => FrameBound::Preceding(f(e)),
            FrameBound::Following(e) => FrameBound::Following(f(e)),
            other => other,
        };
        let frame = Frame {
            units: self.frame.units,
            start: bound(self.frame.start),
            end: bound(self.frame.end),
            exclude: self.frame.exclude,
        };
        WindowCall {
            args: self.args.into_iter().map(&mut *f).collect(),
            partition_by: self.partition_by.into_iter().map(&mut *f).collect(),
            order_by: self
                .order_by
                .into_iter()
                .map(|k| SortKey {
                    expr: f(k.expr),
                    ..k
                })
                .collect(),
            frame,
            ..self
        }
    }
}

/// Whether an expression calls a window function outside any subquery.
pub fn contains_window<'a>(exprs: impl IntoIterator<Item = &'a ast::Expr>) -> bool {
    calls_outside_subqueries(exprs, |f| f.over.is_some())
}

/// 42P20 if `expr` calls a window function (they are not allowed in WHERE, GROUP BY, ...).
pub fn forbid(expr: &ast::Expr, clause: &str) -> Result<()> {
    if contains_window([expr]) {
        return Err(Error::invalid(
            "42P20",
            format!("window functions are not allowed in {clause}"),
        ));
    }
    Ok(())
}

/// A SELECT's select list and ORDER BY with window calls replaced by result columns.
#[derive(Debug)]
pub struct Extracted {
    pub projection: Vec<ast::SelectItem>,
    pub order_by: Vec<ast::OrderByExpr>,
    calls: Vec<ast::Function>,
    named: Vec<ast::NamedWindowDefinition>,
}

/// The name of window result column `k`.
fn result_name(k: usize) -> String {
    format!("#win{k}")
}

/// Takes the window calls out of `select`'s list and `order_by` (None: there are none).
pub fn extract(select: &ast::Select, order_by: &[ast::OrderByExpr]) -> Result<Option<Extracted>> {
    let mut defined = std::collections::HashSet::new();
    for ast::NamedWindowDefinition(name, _) in &select.named_window {
        if !defined.insert(ident_name(name)) {
            return Err(Error::invalid(
                "42P20",
                format!("window \"{}\" is already defined", ident_name(name)),
            ));
        }
    }
    let items = select.projection.iter().filter_map(|item| match item {
        ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
        _ => None,
    });
    if !contains_window(items.chain(order_by.iter().map(|o| &o.expr))) {
        return Ok(None);
    }
    let mut extractor = Extractor {
        calls: Vec::new(),
        depth: 0,
    };
    let run = |expr: &mut ast::Expr, ex: &mut Extractor| -> Result<()> {
        match VisitMut::visit(expr, ex) {
            ControlFlow::Break(e) => Err(e),
            ControlFlow::Continue(()) => Ok(()),
        }
    };
    let mut projection = Vec::new();
    for item in &select.projection {
        projection.push(match item {
            ast::SelectItem::UnnamedExpr(e) => {
                let mut rewritten = e.clone();
                run(&mut rewritten, &mut extractor)?;
                if rewritten == *e {
                    item.clone()
                } else {
                    ast::SelectItem::ExprWithAlias {
                        expr: rewritten,
                        alias: ast::Ident::with_quote('"', output_name(e)),
                    }
                }
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                let mut rewritten = expr.clone();
                run(&mut rewritten, &mut extractor)?;
                ast::SelectItem::ExprWithAlias {
                    expr: rewritten,
                    alias: alias.clone(),
                }
            }
            other => other.clone(),
        });
    }
    let mut keys = Vec::new();
    for item in order_by {
        let mut item = item.clone();
        run(&mut item.expr, &mut extractor)?;
        keys.push(item);
    }
    Ok(Some(Extracted {
        projection,
        order_by: keys,
        calls: extractor.calls,
        named: select.named_window.clone(),
    }))
}

/// Replaces window calls by result-column references.
struct Extractor {
    calls: Vec<ast::Function>,
    depth: usize,
}

impl VisitorMut for Extractor {
    type Break = Error;

    fn pre_visit_query(&mut self, _: &mut ast::Query) -> ControlFlow<Error> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut ast::Query) -> ControlFlow<Error> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<Error> {
        let ast::Expr::Function(f) = expr else {
            return ControlFlow::Continue(());
        };
        if self.depth > 0 {
            return ControlFlow::Continue(());
        }
        if f.over.is_none() {
            if is_aggregate(f) && contains_window([&*expr]) {
                return ControlFlow::Break(Error::invalid(
                    "42803",
                    "aggregate function calls cannot contain window function calls",
                ));
            }
            return ControlFlow::Continue(());
        }
        if let Err(e) = check_nesting(f) {
            return ControlFlow::Break(e);
        }
        let k = match self.calls.iter().position(|c| c == &*f) {
            Some(k) => k,
            None => {
                self.calls.push(f.clone());
                self.calls.len() - 1
            }
        };
        *expr = ast::Expr::Identifier(ast::Ident::with_quote('"', result_name(k)));
        ControlFlow::Continue(())
    }
}

/// 42P20 for a window call inside a window call's arguments or window.
fn check_nesting(f: &ast::Function) -> Result<()> {
    let mut inner = f.clone();
    let over = inner.over.take();
    let mut exprs: Vec<ast::Expr> = vec![ast::Expr::Function(inner)];
    if let Some(ast::WindowType::WindowSpec(spec)) = over {
        exprs.extend(spec.partition_by);
        exprs.extend(spec.order_by.into_iter().map(|o| o.expr));
    }
    if contains_window(&exprs) {
        return Err(Error::invalid(
            "42P20",
            "window function calls cannot be nested",
        ));
    }
    Ok(())
}

impl Extracted {
    /// The expressions the window calls read (to tell whether the query aggregates).
    pub fn inner_exprs(&self) -> Vec<ast::Expr> {
        let mut out = Vec::new();
        let specs = self.named.iter().filter_map(|d| match &d.1 {
            ast::NamedWindowExpr::WindowSpec(s) => Some(s),
            ast::NamedWindowExpr::NamedWindow(_) => None,
        });
        for spec in self
            .calls
            .iter()
            .filter_map(|f| match &f.over {
                Some(ast::WindowType::WindowSpec(s)) => Some(s),
                _ => None,
            })
            .chain(specs)
        {
            out.extend(spec.partition_by.iter().cloned());
            out.extend(spec.order_by.iter().map(|o| o.expr.clone()));
        }
        for f in &self.calls {
            if let ast::FunctionArguments::List(list) = &f.args {
                for arg in &list.args {
                    if let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = arg {
                        out.push(e.clone());
                    }
                }
            }
        }
        out
    }

    /// Binds every call with `bind` (over the window's input row).
    pub fn plan_calls(
        &self,
        bind: &mut dyn FnMut(&ast::Expr) -> Result<Typed>,
    ) -> Result<Vec<WindowCall>> {
        self.calls.iter().map(|f| self.plan_call(f, bind)).collect()
    }

    /// The result columns of `calls`, to append to the binding scope.
    pub fn result_columns(calls: &[WindowCall]) -> Vec<ScopeColumn> {
        calls
            .iter()
            .enumerate()
            .map(|(k, c)| ScopeColumn {
                relation: None,
                name: result_name(k),
                ty: c.ty.clone(),
                hidden: false,
                scalar_function: false,
            })
            .collect()
    }

    fn plan_call(
        &self,
        f: &ast::Function,
        bind: &mut dyn FnMut(&ast::Expr) -> Result<Typed>,
    ) -> Result<WindowCall> {
        let mut spec = match &f.over {
            Some(ast::WindowType::WindowSpec(spec)) => self.resolve_spec(spec)?,
            Some(ast::WindowType::NamedWindow(name)) => self.named_spec(name)?,
            None => return Err(Error::invalid("XX000", "internal error: no OVER clause")),
        };
        let exclude = frame_exclusion::take(&mut spec.order_by);
        // A jsonb partition key groups by jsonb equality (`1` = `1.0`), through its sort key.
        let partition_by = spec
            .partition_by
            .iter()
            .map(|e| {
                let t = bind(e)?;
                match t.ty {
                    Some(Type::Jsonb) => crate::types::sort_key(t.expr, &Type::Jsonb),
                    _ => Ok(t.expr),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let mut order_types = Vec::new();
        let order_by = spec
            .order_by
            .iter()
            .map(|k| {
                let t = bind(&k.expr)?;
                let ty = t.resolved_type();
                order_types.push(ty.clone());
                let descending = k.asc == Some(false);
                Ok(SortKey {
                    expr: crate::types::sort_key(t.expr, &ty)?,
                    descending,
                    nulls_first: k.nulls_first.unwrap_or(descending),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut frame = plan_frame(spec.window_frame.as_ref(), &order_types, bind)?;
        frame.exclude = exclude;
        let (function, args, ty) = plan_function(f, bind)?;
        Ok(WindowCall {
            function,
            args,
            partition_by,
            order_by,
            frame,
            ty,
            text: f.to_string(),
        })
    }

    /// The definition of the named window `name`, itself resolved.
    fn named_spec(&self, name: &ast::Ident) -> Result<ast::WindowSpec> {
        let key = ident_name(name);
        let Some(def) = self.named.iter().find(|d| ident_name(&d.0) == key) else {
            return Err(Error::invalid(
                "42704",
                format!("window \"{key}\" does not exist"),
            ));
        };
        match &def.1 {
            ast::NamedWindowExpr::WindowSpec(spec) => self.resolve_spec(spec),
            ast::NamedWindowExpr::NamedWindow(other) => self.named_spec(other),
        }
    }

    /// `(w ORDER BY ...)`: window `w` with this spec's clauses added, as PostgreSQL allows.
    fn resolve_spec(&self, spec: &ast::WindowSpec) -> Result<ast::WindowSpec> {
        let Some(base_name) = &spec.window_name else {
            return Ok(spec.clone());
        };
        let mut spec = spec.clone();
        let exclude = frame_exclusion::take(&mut spec.order_by);
        let base = self.named_spec(base_name)?;
        let name = ident_name(base_name);
        if !spec.partition_by.is_empty() {
            return Err(Error::invalid(
                "42P20",
                format!("cannot override PARTITION BY clause of window \"{name}\""),
            ));
        }
        if !spec.order_by.is_empty() && !base.order_by.is_empty() {
            return Err(Error::invalid(
                "42P20",
                format!("cannot override ORDER BY clause of window \"{name}\""),
            ));
        }
        if base.window_frame.is_some() {
            return Err(Error::invalid(
                "42P20",
                format!("cannot copy window \"{name}\" because it has a frame clause"),
            ));
        }
        let mut order_by = if spec.order_by.is_empty() {
            base.order_by
        } else {
            spec.order_by.clone()
        };
        if exclude != Exclusion::NoOthers {
            order_by.push(frame_exclusion::marker(exclude));
        }
        Ok(ast::WindowSpec {
            window_name: None,
            partition_by: base.partition_by,
            order_by,
            window_frame: spec.window_frame.clone(),
        })
    }
}

fn windowing_error(message: &str) -> Error {
    Error::invalid("42P20", message)
}

/// The frame of a window (default: RANGE UNBOUNDED PRECEDING to CURRENT ROW).
fn plan_frame(
    frame: Option<&ast::WindowFrame>,
    order_types: &[Type],
    bind: &mut dyn FnMut(&ast::Expr) -> Result<Typed>,
) -> Result<Frame> {
    let Some(frame) = frame else {
        return Ok(Frame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
            exclude: Exclusion::NoOthers,
        });
    };
    let units = match frame.units {
        ast::WindowFrameUnits::Rows => FrameUnits::Rows,
        ast::WindowFrameUnits::Range => FrameUnits::Range,
        ast::WindowFrameUnits::Groups => FrameUnits::Groups,
    };
    let end = frame
        .end_bound
        .clone()
        .unwrap_or(ast::WindowFrameBound::CurrentRow);
    use ast::WindowFrameBound as B;
    match (&frame.start_bound, &end) {
        (B::Following(None), _) => {
            return Err(windowing_error("frame start cannot be UNBOUNDED FOLLOWING"))
        }
        (_, B::Preceding(None)) => {
            return Err(windowing_error("frame end cannot be UNBOUNDED PRECEDING"))
        }
        (B::CurrentRow, B::Preceding(Some(_))) => {
            return Err(windowing_error(
                "frame starting from current row cannot have preceding rows",
            ))
        }
        (B::Following(Some(_)), B::Preceding(Some(_))) => {
            return Err(windowing_error(
                "frame starting from following row cannot have preceding rows",
            ))
        }
        (B::Following(Some(_)), B::CurrentRow) => {
            return Err(windowing_error(
                "frame starting from following row cannot end with current row",
            ))
        }
        _ => {}
    }
    let has_offset = [&frame.start_bound, &end]
        .iter()
        .any(|b| matches!(b, B::Preceding(Some(_)) | B::Following(Some(_))));
    if units == FrameUnits::Range && has_offset && order_types.len() != 1 {
        return Err(windowing_error(
            "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
        ));
    }
    if units == FrameUnits::Groups && order_types.is_empty() {
        return Err(windowing_error("GROUPS mode requires an ORDER BY clause"));
    }
    let mut bound = |b: &ast::WindowFrameBound| -> Result<FrameBound> {
        Ok(match b {
            B::CurrentRow => FrameBound::CurrentRow,
            B::Preceding(None) => FrameBound::UnboundedPreceding,
            B::Following(None) => FrameBound::UnboundedFollowing,
            B::Preceding(Some(e)) => {
                FrameBound::Preceding(frame_offset(e, units, order_types, bind)?)
            }
            B::Following(Some(e)) => {
                FrameBound::Following(frame_offset(e, units, order_types, bind)?)
            }
        })
    };
    Ok(Frame {
        units,
        start: bound(&frame.start_bound)?,
        end: bound(&end)?,
        exclude: Exclusion::NoOthers,
    })
}

/// A frame offset: a bigint for ROWS and GROUPS; for RANGE, a value of the ORDER BY column's
/// type (an interval for dates and timestamps).
fn frame_offset(
    e: &ast::Expr,
    units: FrameUnits,
    order_types: &[Type],
    bind: &mut dyn FnMut(&ast::Expr) -> Result<Typed>,
) -> Result<Expr> {
    let unit = match units {
        FrameUnits::Rows => "ROWS",
        FrameUnits::Range => "RANGE",
        FrameUnits::Groups => "GROUPS",
    };
    // sqlparser reads a bare string offset (`'inf' PRECEDING`) as an interval literal; over
    // a column that is not a date or time it is a string, typed from the column.
    let order = order_types.first().cloned().unwrap_or(Type::Int8);
    let e = match e {
        ast::Expr::Interval(i)
            if units == FrameUnits::Range
                && i.leading_field.is_none()
                && i.last_field.is_none()
                && !matches!(
                    order,
                    Type::Date | Type::Timestamp | Type::TimestampTz | Type::Time | Type::Interval
                ) =>
        {
            &*i.value
        }
        other => other,
    };
    let t = bind(e)?;
    let mut reads_column = false;
    t.expr.walk(&mut |x| {
        if matches!(x, Expr::Column(_)) {
            reads_column = true;
        }
    });
    if reads_column {
        return Err(Error::invalid(
            "42P10",
            format!("argument of {unit} must not contain variables"),
        ));
    }
    if units != FrameUnits::Range {
        return t.coerce(&Type::Int8, unit);
    }
    let target = match &order {
        Type::Date | Type::Timestamp | Type::TimestampTz | Type::Time => Type::Interval,
        // PostgreSQL's integer in_range takes an offset of any integer type; the bound is
        // computed in bigint.
        Type::Int2 | Type::Int4 | Type::Int8
            if matches!(t.ty, Some(Type::Int2 | Type::Int4 | Type::Int8)) =>
        {
            Type::Int8
        }
        t if numeric_rank(t).is_some() || *t == Type::Interval => order.clone(),
        other => {
            return Err(Error::invalid(
                "42883",
                format!(
                    "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                    type_name(other)
                ),
            ))
        }
    };
    t.coerce(&target, unit)
}

/// The function of a window call, its bound arguments and its result type.
fn plan_function(
    f: &ast::Function,
    bind: &mut dyn FnMut(&ast::Expr) -> Result<Typed>,
) -> Result<(WindowFunction, Vec<Expr>, Type)> {
    let name = f.name.0.last().map(ident_name).unwrap_or_default();
    let empty = Vec::new();
    let (args, list) = match &f.args {
        ast::FunctionArguments::List(list) => (&list.args, Some(list)),
        ast::FunctionArguments::None => (&empty, None),
        ast::FunctionArguments::Subquery(_) => {
            return Err(Error::Unsupported(format!("window call {f}")))
        }
    };
    if let Some(list) = list {
        if matches!(
            list.duplicate_treatment,
            Some(ast::DuplicateTreatment::Distinct)
        ) {
            return Err(Error::invalid(
                "0A000",
                "DISTINCT is not implemented for window functions",
            ));
        }
        if !list.clauses.is_empty() {
            return Err(Error::invalid(
                "0A000",
                "aggregate ORDER BY is not implemented for window functions",
            ));
        }
    }
    if !f.within_group.is_empty() || f.null_treatment.is_some() {
        return Err(Error::Unsupported(format!("window call {f}")));
    }
    if f.filter.is_some() && !is_aggregate(f) {
        return Err(Error::invalid(
            "0A000",
            "FILTER is not implemented for non-aggregate window functions",
        ));
    }
    if is_aggregate(f) {
        return plan_aggregate(f, &name, args, bind);
    }
    let mut bound = Vec::new();
    for arg in args {
        match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => bound.push(bind(e)?),
            _ => return Err(Error::Unsupported(format!("window argument {arg}"))),
        }
    }
    let no_function = |bound: &[Typed]| {
        let types: Vec<String> = bound
            .iter()
            .map(|t| match &t.ty {
                Some(t) => type_name(t),
                None => "unknown".into(),
            })
            .collect();
        Error::undefined_function(format!(
            "function {name}({}) does not exist",
            types.join(", ")
        ))
    };
    let ranking =
        |function: WindowFunction, ty: Type| -> Result<(WindowFunction, Vec<Expr>, Type)> {
            Ok((function, Vec::new(), ty))
        };
    let int_arg = |t: Typed| -> Result<Expr> {
        let integer =
            t.ty.as_ref()
                .is_none_or(|ty| numeric_rank(ty).is_some_and(|r| r <= 1));
        if integer {
            t.coerce(&Type::Int4, "argument")
        } else {
            Err(no_function(std::slice::from_ref(&t)))
        }
    };
    match (name.as_str(), bound.len()) {
        ("row_number", 0) => ranking(WindowFunction::RowNumber, Type::Int8),
        ("rank", 0) => ranking(WindowFunction::Rank, Type::Int8),
        ("dense_rank", 0) => ranking(WindowFunction::DenseRank, Type::Int8),
        ("percent_rank", 0) => ranking(WindowFunction::PercentRank, Type::Float8),
        ("cume_dist", 0) => ranking(WindowFunction::CumeDist, Type::Float8),
        ("ntile", 1) => {
            let n = int_arg(bound.remove(0))?;
            Ok((WindowFunction::Ntile, vec![n], Type::Int4))
        }
        ("lag" | "lead", 1..=3) => {
            let function = if name == "lag" {
                WindowFunction::Lag
            } else {
                WindowFunction::Lead
            };
            let value = bound.remove(0);
            let offset = match bound.is_empty() {
                true => Expr::Literal(vdb_engine::value::Value::Int4(1)),
                false => int_arg(bound.remove(0))?,
            };
            let default = bound.pop();
            let ty = match &default {
                Some(d) => common_type(&[value.clone(), d.clone()], name.as_str())?,
                None => value.resolved_type(),
            };
            let default = match default {
                Some(d) => d.coerce(&ty, name.as_str())?,
                None => Expr::Literal(vdb_engine::value::Value::Null),
            };
            let value = value.coerce(&ty, name.as_str())?;
            Ok((function, vec![value, offset, default], ty))
        }
        ("first_value" | "last_value", 1) => {
            let function = if name == "first_value" {
                WindowFunction::FirstValue
            } else {
                WindowFunction::LastValue
            };
            let value = bound.remove(0);
            let ty = value.resolved_type();
            Ok((function, vec![value.coerce(&ty, name.as_str())?], ty))
        }
        ("nth_value", 2) => {
            let value = bound.remove(0);
            let ty = value.resolved_type();
            let n = int_arg(bound.remove(0))?;
            Ok((
                WindowFunction::NthValue,
                vec![value.coerce(&ty, name.as_str())?, n],
                ty,
            ))
        }
        (other, _) if is_window_only(other) => Err(no_function(&bound)),
        _ => Err(Error::invalid(
            "42809",
            format!(
                "OVER specified, but {name} is not a window function nor an aggregate function"
            ),
        )),
    }
}

/// Whether `name` is one of PostgreSQL's built-in window functions, which only an OVER clause
/// can call (an aggregate can also be called without one).
pub fn is_window_only(name: &str) -> bool {
    matches!(
        name,
        "row_number"
            | "rank"
            | "dense_rank"
            | "percent_rank"
            | "cume_dist"
            | "ntile"
            | "lag"
            | "lead"
            | "first_value"
            | "last_value"
            | "nth_value"
    )
}

/// An aggregate used as a window function: planned as the aggregate planner plans it, over a
/// row of the call's argument values.
fn plan_aggregate(
    f: &ast::Function,
    name: &str,
    args: &[ast::FunctionArg],
    bind: &mut dyn FnMut(&ast::Expr) -> Result<Typed>,
) -> Result<(WindowFunction, Vec<Expr>, Type)> {
    let mut scope = Scope::default();
    let mut bound = Vec::new();
    let mut synthetic = Vec::new();
    for arg in args {
        match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                let mut t = bind(e)?;
                let ty = t.resolved_type();
                if name == "json_agg" && crate::planner::aggregate::is_whole_row(&t.expr) {
                    // The aggregate sees a json column, not the row: mark the row's json as
                    // the aggregate form marks it, to go on a line of its own.
                    t.expr = crate::planner::aggregate::marked_row(t.expr);
                }
                let column = format!("#warg{}", bound.len());
                scope.columns.push(ScopeColumn {
                    relation: None,
                    name: column.clone(),
                    ty: ty.clone(),
                    hidden: false,
                    scalar_function: false,
                });
                bound.push(t.coerce(&ty, name)?);
                synthetic.push(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(
                    ast::Expr::Identifier(ast::Ident::with_quote('"', column)),
                )));
            }
            other => synthetic.push(other.clone()),
        }
    }
    let mut call = f.clone();
    call.over = None;
    // FILTER (WHERE c): `c` is one more argument value, the filter reads it.
    if let Some(filter) = &f.filter {
        if contains_aggregate([&**filter]) {
            return Err(Error::invalid(
                "42803",
                "aggregate functions are not allowed in FILTER",
            ));
        }
        let t = bind(filter)?;
        let column = format!("#warg{}", bound.len());
        scope.columns.push(ScopeColumn {
            relation: None,
            name: column.clone(),
            ty: t.resolved_type(),
            hidden: false,
            scalar_function: false,
        });
        bound.push(t.expr);
        call.filter = Some(Box::new(ast::Expr::Identifier(ast::Ident::with_quote(
            '"', column,
        ))));
    }
    if let ast::FunctionArguments::List(list) = &mut call.args {
        list.args = synthetic;
    }
    let aggregate = aggregate_call(&call, &scope, &Scope::default())?;
    let ty = aggregate.ty.clone();
    Ok((WindowFunction::Aggregate(aggregate), bound, ty))
}
