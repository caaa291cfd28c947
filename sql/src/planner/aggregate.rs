//! Planning grouped queries: GROUP BY keys and aggregate calls (count, sum, avg, min, max).
//!
//! An aggregate query's select list, HAVING and ORDER BY are bound against the *output* of the
//! aggregation, whose row is `[group keys..., aggregate results...]`. To bind them, each
//! expression is first rewritten: a subexpression equal to a GROUP BY key becomes a reference
//! to that key's column, and an aggregate call becomes a reference to a new aggregate column
//! (its argument bound against the input). What is left must then resolve against the output
//! row; a bare input column that is not a key is 42803, as PostgreSQL reports it.

use std::ops::ControlFlow;

use sqlparser::ast::{self, Visit, VisitMut, Visitor, VisitorMut};
use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::expr::{Builtin, Function};
use crate::planner::expr::{bind, boolean, ident_name, Scope, ScopeColumn, Typed};
use crate::planner::grouping_sets::GroupingSets;
use crate::planner::plan::{
    AggregateCall, AggregateFunction, BitwiseOp, Hypothetical, SortKey, Statistic,
};
use crate::types::{implicit_cast, numeric_rank, type_name};

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "bit_xor",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "grouping",
    "var_pop",
    "var_samp",
    "variance",
    "stddev_pop",
    "stddev_samp",
    "stddev",
    "covar_pop",
    "covar_samp",
    "corr",
    "regr_count",
    "regr_sxx",
    "regr_syy",
    "regr_sxy",
    "regr_avgx",
    "regr_avgy",
    "regr_r2",
    "regr_slope",
    "regr_intercept",
];

/// The hypothetical-set aggregates, aggregates only with WITHIN GROUP (window functions
/// otherwise).
const HYPOTHETICAL: &[&str] = &["rank", "dense_rank", "percent_rank", "cume_dist"];

/// Whether `f` names an aggregate function.
pub(super) fn is_aggregate(f: &ast::Function) -> bool {
    matches!(f.name.0.as_slice(), [name] if AGGREGATES.contains(&ident_name(name).as_str())
        || (!f.within_group.is_empty() && HYPOTHETICAL.contains(&ident_name(name).as_str())))
}

/// Whether any of the expressions contains an aggregate call.
pub fn contains_aggregate<'a>(exprs: impl IntoIterator<Item = &'a ast::Expr>) -> bool {
    calls_outside_subqueries(exprs, is_aggregate)
}

/// Whether any of the expressions contains a function call `matches` accepts, outside any
/// subquery (calls inside a subquery belong to it: `depth` counts the queries entered).
pub(super) fn calls_outside_subqueries<'a>(
    exprs: impl IntoIterator<Item = &'a ast::Expr>,
    matches: impl Fn(&ast::Function) -> bool,
) -> bool {
    struct Finder<F> {
        depth: usize,
        matches: F,
    }
    impl<F: Fn(&ast::Function) -> bool> Visitor for Finder<F> {
        type Break = ();
        fn pre_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
            match expr {
                ast::Expr::Function(f) if self.depth == 0 && (self.matches)(f) => {
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        }
    }
    let mut finder = Finder { depth: 0, matches };
    exprs.into_iter().any(|e| e.visit(&mut finder).is_break())
}

/// The GROUP BY keys and aggregate calls found so far, and the output row's scope.
#[derive(Debug)]
pub struct Grouping {
    keys: Vec<ast::Expr>,
    pub group_by: Vec<crate::expr::Expr>,
    /// The grouping sets, each the indices of the keys it groups by (one set of every key for
    /// a plain GROUP BY).
    pub sets: Vec<Vec<usize>>,
    pub aggregates: Vec<AggregateCall>,
    aggregate_asts: Vec<ast::Expr>,
    output: Scope,
    /// Input columns functionally dependent on the keys (the other columns of a table whose
    /// primary key is grouped): each reads as the group's one value.
    dependent: Vec<usize>,
}

impl Grouping {
    /// Binds the GROUP BY keys against the input scope.
    pub fn new(sets: GroupingSets, input: &Scope) -> Result<Grouping> {
        let GroupingSets { keys, sets } = sets;
        let mut grouping = Grouping {
            keys: Vec::new(),
            group_by: Vec::new(),
            sets,
            aggregates: Vec::new(),
            aggregate_asts: Vec::new(),
            output: Scope::default(),
            dependent: Vec::new(),
        };
        for (i, key) in keys.into_iter().enumerate() {
            if contains_aggregate([&key]) {
                return Err(Error::invalid(
                    "42803",
                    "aggregate functions are not allowed in GROUP BY",
                ));
            }
            let bound = bind(&key, input)?;
            let ty = bound.resolved_type();
            // A plain column key stays visible under its own name (and relation).
            let column = match &bound.expr {
                crate::expr::Expr::Column(c) => Some(input.columns[*c].clone()),
                _ => None,
            };
            grouping.output.columns.push(column.map_or_else(
                || ScopeColumn {
                    hidden: false,
                    scalar_function: false,
                    relation: None,
                    name: format!("#group{i}"),
                    ty: ty.clone(),
                },
                |c| ScopeColumn {
                    hidden: false,
                    scalar_function: false,
                    ty: ty.clone(),
                    ..c
                },
            ));
            crate::types::require_equality(&ty)?;
            grouping.group_by.push(bound.coerce(&ty, "GROUP BY")?);
            grouping.keys.push(key);
        }
        Ok(grouping)
    }

    /// Lets the columns of each table in `keyed` (its name and primary-key positions) be named
    /// ungrouped when the whole primary key is grouped, as PostgreSQL allows. Only a plain
    /// GROUP BY: a key absent from a grouping set does not determine the other columns.
    pub fn allow_dependent(&mut self, keyed: &[(String, Vec<usize>)], input: &Scope) {
        if !matches!(self.sets.as_slice(), [one] if one.len() == self.group_by.len()) {
            return;
        }
        for (relation, key) in keyed {
            let columns: Vec<usize> = (0..input.columns.len())
                .filter(|&c| input.columns[c].relation.as_deref() == Some(relation.as_str()))
                .collect();
            let grouped = key.iter().all(|&k| {
                columns
                    .get(k)
                    .is_some_and(|c| self.group_by.contains(&crate::expr::Expr::Column(*c)))
            });
            if grouped && !key.is_empty() {
                self.dependent.extend(columns);
            }
        }
    }

    /// The aggregate column reading dependent input column `column` (`expr` names it).
    fn dependent_column(&mut self, expr: &ast::Expr, column: usize, input: &Scope) -> usize {
        if let Some(i) = self.aggregate_asts.iter().position(|a| a == expr) {
            return self.group_by.len() + i;
        }
        let ty = input.columns[column].ty.clone();
        let i = self.aggregates.len();
        self.output.columns.push(ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: None,
            name: format!("#agg{i}"),
            ty: ty.clone(),
        });
        // Every row of the group has the same value: any one of them will do.
        self.aggregates.push(AggregateCall {
            function: AggregateFunction::Min,
            arg: Some(crate::expr::Expr::Column(column)),
            ty,
            distinct: false,
            order_by: Vec::new(),
            filter: None,
            direct_args: Vec::new(),
        });
        self.aggregate_asts.push(expr.clone());
        self.group_by.len() + i
    }

    /// Appends a column to the output row's scope (window results, computed after grouping).
    pub fn push_output(&mut self, column: ScopeColumn) {
        self.output.columns.push(column);
    }

    /// Binds an expression over the aggregation's output row.
    pub fn bind(&mut self, expr: &ast::Expr, input: &Scope) -> Result<Typed> {
        let mut rewritten = expr.clone();
        let mut rewriter = Rewriter {
            grouping: self,
            input,
            depth: 0,
        };
        if let ControlFlow::Break(e) = VisitMut::visit(&mut rewritten, &mut rewriter) {
            return Err(e);
        }
        // A column of the input that is not grouped: `x`, or `t.x` (whose relation the grouped
        // row lacks when nothing of `t` is grouped, as `SELECT * ... HAVING` expands to).
        bind(&rewritten, &self.output).map_err(|e| match e {
            Error::UndefinedColumn(_) => self.ungrouped(expr, input).unwrap_or(e),
            other if other.sqlstate() == "42P01" => self.ungrouped(expr, input).unwrap_or(other),
            other => other,
        })
    }

    /// 42803 for the first input column of `expr` that is neither grouped nor aggregated.
    fn ungrouped(&self, expr: &ast::Expr, input: &Scope) -> Option<Error> {
        let mut found = None;
        let _ = expr.visit(&mut ColumnFinder(&mut found));
        let column = found?;
        bind(&column, input).ok()?;
        let name = match &column {
            ast::Expr::CompoundIdentifier(parts) => {
                parts.iter().map(ident_name).collect::<Vec<_>>().join(".")
            }
            other => {
                let t = bind(other, input).ok()?;
                match t.expr {
                    crate::expr::Expr::Column(i) => {
                        let c = &input.columns[i];
                        match &c.relation {
                            Some(r) => format!("{r}.{}", c.name),
                            None => c.name.clone(),
                        }
                    }
                    _ => return None,
                }
            }
        };
        Some(Error::invalid(
            "42803",
            format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"),
        ))
    }

    /// The aggregate column for call `f`, adding it if new.
    fn aggregate(
        &mut self,
        ast_expr: &ast::Expr,
        f: &ast::Function,
        input: &Scope,
    ) -> Result<usize> {
        if let Some(i) = self.aggregate_asts.iter().position(|a| a == ast_expr) {
            return Ok(self.group_by.len() + i);
        }
        let call = if is_grouping(f) {
            self.grouping_call(f, input)?
        } else {
            let keys = Scope {
                columns: self.output.columns[..self.group_by.len()].to_vec(),
            };
            aggregate_call(f, input, &keys)?
        };
        let i = self.aggregates.len();
        self.output.columns.push(ScopeColumn {
            hidden: false,
            scalar_function: false,
            relation: None,
            name: format!("#agg{i}"),
            ty: call.ty.clone(),
        });
        self.aggregates.push(call);
        self.aggregate_asts.push(ast_expr.clone());
        Ok(self.group_by.len() + i)
    }
}

impl Grouping {
    /// `grouping(a, b, ...)`: computed by the Aggregate node, which knows each row's set; its
    /// arguments must be GROUP BY keys, named as they are in the GROUP BY clause.
    fn grouping_call(&self, f: &ast::Function, input: &Scope) -> Result<AggregateCall> {
        let ast::FunctionArguments::List(list) = &f.args else {
            return Err(Error::Unsupported(format!("{f}")));
        };
        if f.over.is_some() || f.filter.is_some() || list.duplicate_treatment.is_some() {
            return Err(Error::invalid(
                "42601",
                format!("syntax error at or near \"{f}\""),
            ));
        }
        if list.args.len() > 31 {
            return Err(Error::invalid(
                "54023",
                "GROUPING must have fewer than 32 arguments",
            ));
        }
        let not_grouped = || {
            Error::invalid(
                "42803",
                "arguments to GROUPING must be grouping expressions of the associated query level",
            )
        };
        let mut positions = Vec::new();
        for arg in &list.args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = arg else {
                return Err(not_grouped());
            };
            let bound = bind(e, input)?.expr;
            let key = self
                .keys
                .iter()
                .position(|k| k == e)
                .or_else(|| self.group_by.iter().position(|g| *g == bound))
                .ok_or_else(not_grouped)?;
            let key = i32::try_from(key).map_err(|_| not_grouped())?;
            positions.push(crate::expr::Expr::Literal(vdb_engine::value::Value::Int4(
                key,
            )));
        }
        Ok(AggregateCall {
            function: AggregateFunction::Grouping,
            arg: None,
            ty: Type::Int4,
            distinct: false,
            order_by: Vec::new(),
            filter: None,
            direct_args: positions,
        })
    }
}

/// Whether `f` is `grouping(...)`.
fn is_grouping(f: &ast::Function) -> bool {
    matches!(f.name.0.as_slice(), [name] if ident_name(name) == "grouping")
}

/// Finds the first column reference of an expression.
struct ColumnFinder<'a>(&'a mut Option<ast::Expr>);

impl Visitor for ColumnFinder<'_> {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
        match expr {
            ast::Expr::Function(f) if is_aggregate(f) => ControlFlow::Continue(()),
            ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) => {
                *self.0 = Some(expr.clone());
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// Replaces group keys and aggregate calls by references to the output row.
struct Rewriter<'a> {
    grouping: &'a mut Grouping,
    input: &'a Scope,
    /// Subqueries entered: their expressions are their own, not rewritten.
    depth: usize,
}

impl VisitorMut for Rewriter<'_> {
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
        if self.depth > 0 {
            return ControlFlow::Continue(());
        }
        let plain = matches!(
            expr,
            ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_)
        );
        if plain && !self.grouping.dependent.is_empty() {
            if let Ok(Typed {
                expr: crate::expr::Expr::Column(c),
                ..
            }) = bind(expr, self.input)
            {
                let grouped = self
                    .grouping
                    .group_by
                    .contains(&crate::expr::Expr::Column(c));
                if !grouped && self.grouping.dependent.contains(&c) {
                    let i = self.grouping.dependent_column(&expr.clone(), c, self.input);
                    let name = self.grouping.output.columns[i].name.clone();
                    *expr = ast::Expr::Identifier(ast::Ident::with_quote('"', name));
                    return ControlFlow::Continue(());
                }
            }
        }
        // A key matches as written, or as bound (`a % 2` for the key `t.a % 2`).
        let key = || {
            self.grouping
                .keys
                .iter()
                .position(|k| k == expr)
                .or_else(|| {
                    let aggregate = matches!(&*expr, ast::Expr::Function(f) if is_aggregate(f));
                    if aggregate || contains_aggregate([&*expr]) {
                        return None;
                    }
                    let bound = bind(expr, self.input).ok()?.expr;
                    self.grouping.group_by.iter().position(|k| *k == bound)
                })
        };
        let name = if let Some(i) = (!plain).then(key).flatten() {
            self.grouping.output.columns[i].name.clone()
        } else if let ast::Expr::Function(f) = expr {
            if !is_aggregate(f) {
                return ControlFlow::Continue(());
            }
            let f = f.clone();
            match self.grouping.aggregate(&expr.clone(), &f, self.input) {
                Ok(i) => self.grouping.output.columns[i].name.clone(),
                Err(e) => return ControlFlow::Break(e),
            }
        } else {
            return ControlFlow::Continue(());
        };
        *expr = ast::Expr::Identifier(ast::Ident::with_quote('"', name));
        ControlFlow::Continue(())
    }
}

/// Binds an aggregate call's argument and works out its result type.
///
/// `keys` is the scope of the group's key row, which an ordered-set or hypothetical-set
/// aggregate's direct arguments read (they are evaluated once per group).
pub(super) fn aggregate_call(
    f: &ast::Function,
    input: &Scope,
    keys: &Scope,
) -> Result<AggregateCall> {
    let name = f.name.0.last().map(ident_name).unwrap_or_default();
    let ast::FunctionArguments::List(list) = &f.args else {
        return Err(Error::Unsupported(format!("aggregate call {f}")));
    };
    // Any aggregate takes an ORDER BY, which feeds it its input in that order (sum, count and
    // the like give the same result either way, as in PostgreSQL).
    let order_by: &[ast::OrderByExpr] = match list.clauses.as_slice() {
        [] => &[],
        [ast::FunctionArgumentClause::OrderBy(keys)] => {
            if matches!(
                list.args.as_slice(),
                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
            ) {
                return Err(Error::invalid(
                    "42601",
                    format!("syntax error: ORDER BY in {name}(*)"),
                ));
            }
            let distinct = matches!(
                list.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            );
            // A key is an argument when both bind to the same expression (`t.a` and `a`).
            let bound = |e: &ast::Expr| bind(e, input).ok().map(|t| t.expr);
            let in_arguments = |key: &ast::OrderByExpr| {
                let key_expr = bound(&key.expr);
                list.args.iter().any(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                        *e == key.expr || (key_expr.is_some() && bound(e) == key_expr)
                    }
                    _ => false,
                })
            };
            if distinct && !keys.iter().all(in_arguments) {
                return Err(Error::invalid(
                    "42P10",
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
                ));
            }
            keys
        }
        _ => return Err(Error::Unsupported(format!("aggregate call {f}"))),
    };
    if f.over.is_some() || name == "grouping" {
        return Err(Error::Unsupported(format!("aggregate call {f}")));
    }
    let filter = f
        .filter
        .as_deref()
        .map(|c| {
            if contains_aggregate([c]) {
                return Err(Error::invalid(
                    "42803",
                    "aggregate functions are not allowed in FILTER",
                ));
            }
            boolean(bind(c, input)?, "FILTER")
        })
        .transpose()?;
    if matches!(
        name.as_str(),
        "percentile_cont" | "percentile_disc" | "mode"
    ) {
        return ordered_set_call(f, &name, list, filter, input, keys);
    }
    if !f.within_group.is_empty() && HYPOTHETICAL.contains(&name.as_str()) {
        return hypothetical_call(f, &name, list, filter, input, keys);
    }
    if !f.within_group.is_empty() {
        // PostgreSQL looks for an ordered-set aggregate taking the direct and the ordering
        // arguments, and finds none.
        return Err(Error::undefined_function(format!(
            "function {name} with WITHIN GROUP does not exist"
        )));
    }
    let order_by = order_by
        .iter()
        .map(|k| {
            let descending = k.asc == Some(false);
            let key = bind(&k.expr, input)?;
            let ty = key.resolved_type();
            Ok(SortKey {
                expr: crate::types::sort_key(key.expr, &ty)?,
                descending,
                nulls_first: k.nulls_first.unwrap_or(descending),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let distinct = matches!(
        list.duplicate_treatment,
        Some(ast::DuplicateTreatment::Distinct)
    );
    if name == "json_object_agg" || name == "jsonb_object_agg" {
        return object_agg_call(&name, list, distinct, filter, order_by, input);
    }
    if let Some(statistic) = Statistic::from_name(&name).filter(|s| s.is_pair()) {
        return pair_call(statistic, &name, list, distinct, filter, input);
    }
    let whole_row;
    let arg = match list.args.as_slice() {
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)] if name == "count" => {
            return Ok(AggregateCall {
                function: AggregateFunction::CountStar,
                arg: None,
                ty: Type::Int8,
                distinct: false,
                order_by: Vec::new(),
                filter,
                direct_args: Vec::new(),
            });
        }
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] => e,
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(t))]
            if name == "count" =>
        {
            whole_row = row_present(t, input)?;
            &whole_row
        }
        // `agg(t.*)` is `agg(t)`: the whole row.
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(t))] => {
            whole_row = match t.0.as_slice() {
                [one] => ast::Expr::Identifier(one.clone()),
                _ => ast::Expr::CompoundIdentifier(t.0.clone()),
            };
            &whole_row
        }
        [_, _, ..] if name == "count" && distinct => {
            return Err(Error::undefined_function(
                "function count(DISTINCT ...) with more than one argument does not exist",
            ))
        }
        _ => {
            return Err(Error::undefined_function(format!(
                "function {name} with these arguments does not exist"
            )))
        }
    };
    if contains_aggregate([arg]) {
        return Err(Error::invalid(
            "42803",
            "aggregate function calls cannot be nested",
        ));
    }
    let mut bound = bind(arg, input)?;
    // json_agg(ROW(a, b)) aggregates the record as json_agg(t) does a whole row:
    // `{"f1":a,"f2":b}` objects, not the records' text.
    if matches!(name.as_str(), "json_agg" | "jsonb_agg") {
        if let Some(json) = crate::planner::builtin::record_json(&bound.expr) {
            bound = Typed::new(json, Type::Json);
        }
    }

    if bound.ty.is_none() {
        // An unknown literal takes the type PostgreSQL's function resolution picks for it:
        // the one candidate's, the preferred type of one category, or none when candidates of
        // several categories fit.
        let target = match name.as_str() {
            "sum" | "avg" | "array_agg" => {
                return Err(Error::invalid(
                    "42725",
                    format!("function {name}(unknown) is not unique"),
                ))
            }
            "bool_and" | "bool_or" | "every" => Some(Type::Bool),
            _ if Statistic::from_name(&name).is_some() => Some(Type::Float8),
            _ => None,
        };
        if let Some(ty) = target {
            bound = Typed::new(bound.coerce(&ty, &name)?, ty);
        }
    }
    let arg_type = bound.resolved_type();
    if distinct {
        crate::types::require_equality(&arg_type)?;
    }
    let no_function = || {
        Error::undefined_function(format!(
            "function {name}({}) does not exist",
            type_name(&arg_type)
        ))
    };
    let (function, ty) = match name.as_str() {
        "count" => (AggregateFunction::Count, Type::Int8),
        "sum" => (
            AggregateFunction::Sum,
            match &arg_type {
                Type::Int2 | Type::Int4 => Type::Int8,
                Type::Int8 | Type::Numeric { .. } => Type::Numeric {
                    precision_scale: None,
                },
                Type::Float4 | Type::Float8 | Type::Interval => arg_type.clone(),
                _ => return Err(no_function()),
            },
        ),
        "array_agg" => match &arg_type {
            t @ Type::Array(_) => (AggregateFunction::ArrayAgg { arrays: true }, t.clone()),
            t => (
                AggregateFunction::ArrayAgg { arrays: false },
                Type::Array(Box::new(t.clone())),
            ),
        },
        "json_agg" => (AggregateFunction::JsonAgg, Type::Json),
        "jsonb_agg" => (AggregateFunction::JsonbAgg, Type::Jsonb),
        "avg" => (
            AggregateFunction::Avg,
            match &arg_type {
                t if numeric_rank(t).is_some_and(|r| r <= 3) => Type::Numeric {
                    precision_scale: None,
                },
                Type::Float4 | Type::Float8 => Type::Float8,
                Type::Interval => Type::Interval,
                _ => return Err(no_function()),
            },
        ),
        // PostgreSQL has no min/max over json, jsonb or boolean (bool_and/bool_or are those).
        "min" | "max" if matches!(arg_type, Type::Json | Type::Jsonb | Type::Bool) => {
            return Err(no_function())
        }
        // There is no min/max(varchar): the text one takes it, and says text.
        "min" | "max" if matches!(arg_type, Type::Varchar(_)) => {
            let f = if name == "min" {
                AggregateFunction::Min
            } else {
                AggregateFunction::Max
            };
            (f, Type::Text)
        }
        "min" => (AggregateFunction::Min, arg_type.clone()),
        _ if Statistic::from_name(&name).is_some() => {
            let statistic = Statistic::from_name(&name).unwrap_or(Statistic::VarPop);
            let ty = match &arg_type {
                Type::Float4 | Type::Float8 => Type::Float8,
                t if numeric_rank(t).is_some_and(|r| r <= 3) => Type::Numeric {
                    precision_scale: None,
                },
                _ => return Err(no_function()),
            };
            (AggregateFunction::Statistic(statistic), ty)
        }
        "bool_and" | "every" | "bool_or" if arg_type == Type::Bool => {
            let f = if name == "bool_or" {
                AggregateFunction::BoolOr
            } else {
                AggregateFunction::BoolAnd
            };
            (f, Type::Bool)
        }
        "bool_and" | "every" | "bool_or" => return Err(no_function()),
        "bit_and" | "bit_or" | "bit_xor"
            if matches!(arg_type, Type::Int2 | Type::Int4 | Type::Int8) =>
        {
            let op = match name.as_str() {
                "bit_and" => BitwiseOp::And,
                "bit_or" => BitwiseOp::Or,
                _ => BitwiseOp::Xor,
            };
            (AggregateFunction::Bitwise(op), arg_type.clone())
        }
        "bit_and" | "bit_or" | "bit_xor" => return Err(no_function()),
        _ => (AggregateFunction::Max, arg_type.clone()),
    };
    let whole_row = is_whole_row(&bound.expr);
    let row_expr = whole_row.then(|| bound.expr.clone());
    let mut arg = bound.coerce(&arg_type, "aggregate")?;
    // count(DISTINCT jsonb) counts jsonb-equal values once (`1` = `1.0`): it sees only their
    // sort keys, which are equal exactly when the values are.
    if distinct && function == AggregateFunction::Count && arg_type == Type::Jsonb {
        arg = crate::types::sort_key(arg, &Type::Jsonb)?;
    }
    // A DISTINCT aggregate whose result keeps its inputs' order sees them sorted, as
    // PostgreSQL sorts to find the distinct values (`array_agg(DISTINCT x)` is ascending).
    let order_by = if distinct
        && order_by.is_empty()
        && matches!(
            function,
            AggregateFunction::ArrayAgg { .. }
                | AggregateFunction::JsonAgg
                | AggregateFunction::JsonbAgg
        ) {
        vec![SortKey {
            expr: crate::types::sort_key(arg.clone(), &arg_type)?,
            descending: false,
            nulls_first: false,
        }]
    } else {
        order_by
    };
    // json_agg folds each input's json text (NULL becomes null), built as to_json would.
    let arg = match function {
        AggregateFunction::JsonAgg | AggregateFunction::JsonbAgg => {
            let json = crate::expr::Expr::Function(
                Function::Builtin(Builtin::JsonArg {
                    raw: crate::planner::builtin::is_json(&Some(arg_type.clone())),
                }),
                vec![arg],
            );
            if whole_row && function == AggregateFunction::JsonAgg {
                // json_agg puts each row on its own line; the marker asks for that. The row's
                // json text goes in as row_to_json made it.
                drop(json);
                marked_row(
                    row_expr.unwrap_or(crate::expr::Expr::Literal(vdb_engine::value::Value::Null)),
                )
            } else if matches!(arg_type, Type::Array(_)) && function == AggregateFunction::JsonAgg {
                // Arrays, like rows, go on lines of their own.
                marked_row(json)
            } else {
                json
            }
        }
        _ => arg,
    };
    Ok(AggregateCall {
        function,
        arg: Some(arg),
        ty,
        distinct,
        order_by,
        filter,
        direct_args: Vec::new(),
    })
}

/// Marks a json_agg input that is a whole row: PostgreSQL separates rows with `, \n `.
pub const ROW_MARKER: char = '\u{1}';

/// Whether `expr` is a whole-row reference bound as json (`json_agg(t)`).
pub fn is_whole_row(expr: &crate::expr::Expr) -> bool {
    matches!(
        expr,
        crate::expr::Expr::Function(Function::Builtin(Builtin::RowJson), _)
    )
}

/// `json` (a json text expression) with [`ROW_MARKER`] in front: json_agg puts it on a line of
/// its own.
pub fn marked_row(json: crate::expr::Expr) -> crate::expr::Expr {
    crate::expr::Expr::Binary(
        crate::expr::BinaryOp::Concat,
        Box::new(crate::expr::Expr::Literal(vdb_engine::value::Value::Text(
            ROW_MARKER.to_string(),
        ))),
        Box::new(json),
    )
}

/// `json[b]_object_agg(key, value)`: the argument is `[key::text, json text of value]`.
fn object_agg_call(
    name: &str,
    list: &ast::FunctionArgumentList,
    distinct: bool,
    filter: Option<crate::expr::Expr>,
    order_by: Vec<SortKey>,
    input: &Scope,
) -> Result<AggregateCall> {
    let args = unnamed_args(list);
    if args.len() != 2 || list.args.len() != 2 {
        return Err(Error::undefined_function(format!(
            "function {name} with these arguments does not exist"
        )));
    }
    if contains_aggregate(args.iter().copied()) {
        return Err(Error::invalid(
            "42803",
            "aggregate function calls cannot be nested",
        ));
    }
    let key = bind(args[0], input)?;
    let key = match key.ty {
        Some(ref t) if t.is_text() => key.expr,
        None => key.coerce(&Type::Text, name)?,
        Some(_) => crate::expr::Expr::Cast(Box::new(key.expr), Type::Text),
    };
    let value = bind(args[1], input)?;
    let raw = matches!(value.ty, Some(Type::Json | Type::Jsonb));
    let raw_elements = crate::planner::builtin::is_json(&value.ty);
    let value = match value.ty {
        None => value.coerce(&Type::Text, name)?,
        _ => value.expr,
    };
    // json and jsonb values go in as their text (json_object_agg prints them as they are).
    let value = if raw {
        crate::expr::Expr::Coalesce(vec![
            value,
            crate::expr::Expr::Literal(vdb_engine::value::Value::Text("null".into())),
        ])
    } else {
        crate::expr::Expr::Function(
            Function::Builtin(Builtin::JsonArg { raw: raw_elements }),
            vec![value],
        )
    };
    let jsonb = name.starts_with("jsonb");
    Ok(AggregateCall {
        function: AggregateFunction::JsonObjectAgg { jsonb },
        arg: Some(crate::expr::Expr::Array(vec![key, value])),
        ty: if jsonb { Type::Jsonb } else { Type::Json },
        distinct,
        order_by,
        filter,
        direct_args: Vec::new(),
    })
}

/// A statistic over `(y, x)` pairs of double precision: its argument is the array `[y, x]`.
fn pair_call(
    statistic: Statistic,
    name: &str,
    list: &ast::FunctionArgumentList,
    distinct: bool,
    filter: Option<crate::expr::Expr>,
    input: &Scope,
) -> Result<AggregateCall> {
    let args = unnamed_args(list);
    if args.len() != 2 || list.args.len() != 2 {
        return Err(Error::undefined_function(format!(
            "function {name} with these arguments does not exist"
        )));
    }
    let mut pair = Vec::new();
    for arg in args {
        if contains_aggregate([arg]) {
            return Err(Error::invalid(
                "42803",
                "aggregate function calls cannot be nested",
            ));
        }
        let bound = bind(arg, input)?;
        let ty = bound.resolved_type();
        if numeric_rank(&ty).is_none() {
            return Err(Error::undefined_function(format!(
                "function {name}({}, {}) does not exist",
                type_name(&ty),
                type_name(&ty)
            )));
        }
        pair.push(bound.coerce(&Type::Float8, name)?);
    }
    let ty = if statistic == Statistic::RegrCount {
        Type::Int8
    } else {
        Type::Float8
    };
    Ok(AggregateCall {
        function: AggregateFunction::Statistic(statistic),
        arg: Some(crate::expr::Expr::Array(pair)),
        ty,
        distinct,
        order_by: Vec::new(),
        filter,
        direct_args: Vec::new(),
    })
}

/// `percentile_cont(f) / percentile_disc(f) / mode() WITHIN GROUP (ORDER BY x)`: the input is
/// `x` sorted by the key; the fraction (a number or an array of them) is a direct argument.
fn ordered_set_call(
    f: &ast::Function,
    name: &str,
    list: &ast::FunctionArgumentList,
    filter: Option<crate::expr::Expr>,
    input: &Scope,
    keys: &Scope,
) -> Result<AggregateCall> {
    let [key] = f.within_group.as_slice() else {
        return Err(Error::undefined_function(format!(
            "function {name} with {} ordering columns does not exist",
            f.within_group.len()
        )));
    };
    let direct = unnamed_args(list);
    let wanted = usize::from(name != "mode");
    if direct.len() != wanted || list.args.len() != wanted {
        return Err(Error::undefined_function(format!(
            "function {name} with these arguments does not exist"
        )));
    }
    let x = bind(&key.expr, input)?;
    let x_type = x.resolved_type();
    let descending = key.asc == Some(false);
    let order_by = vec![SortKey {
        expr: x.expr.clone(),
        descending,
        nulls_first: key.nulls_first.unwrap_or(descending),
    }];
    let mut direct_args = Vec::new();
    let mut array = false;
    if let Some(fraction) = direct.first() {
        let bound = bind_direct(fraction, keys, input)?;
        array = matches!(bound.ty, Some(Type::Array(_)));
        let target = if array {
            Type::Array(Box::new(Type::Float8))
        } else {
            Type::Float8
        };
        direct_args.push(crate::expr::Expr::Cast(Box::new(bound.expr), target));
    }
    let (function, arg, ty) = match name {
        "percentile_cont" if x_type == Type::Interval => {
            (AggregateFunction::PercentileCont, x.expr, Type::Interval)
        }
        "percentile_cont" => {
            if numeric_rank(&x_type).is_none() {
                return Err(Error::undefined_function(format!(
                    "function percentile_cont(double precision ORDER BY {}) does not exist",
                    type_name(&x_type)
                )));
            }
            let arg = crate::expr::Expr::Cast(Box::new(x.expr), Type::Float8);
            (AggregateFunction::PercentileCont, arg, Type::Float8)
        }
        "percentile_disc" => (AggregateFunction::PercentileDisc, x.expr, x_type),
        _ => (AggregateFunction::Mode, x.expr, x_type),
    };
    let ty = if array { Type::Array(Box::new(ty)) } else { ty };
    Ok(AggregateCall {
        function,
        arg: Some(arg),
        ty,
        distinct: false,
        order_by,
        filter,
        direct_args,
    })
}

/// `rank(v) / dense_rank(v) / percent_rank(v) / cume_dist(v) WITHIN GROUP (ORDER BY x)`:
/// the input is `x` sorted by the key, and `v` (cast to x's type) the hypothetical row.
fn hypothetical_call(
    f: &ast::Function,
    name: &str,
    list: &ast::FunctionArgumentList,
    filter: Option<crate::expr::Expr>,
    input: &Scope,
    keys: &Scope,
) -> Result<AggregateCall> {
    let direct = unnamed_args(list);
    let ([key], [value]) = (f.within_group.as_slice(), direct.as_slice()) else {
        return Err(Error::undefined_function(format!(
            "function {name} with {} arguments and {} ordering columns does not exist",
            direct.len(),
            f.within_group.len()
        )));
    };
    if list.args.len() != 1 {
        return Err(Error::undefined_function(format!(
            "function {name} with these arguments does not exist"
        )));
    }
    let x = bind(&key.expr, input)?;
    let x_type = x.resolved_type();
    let value = bind_direct(value, keys, input)?;
    let common = match &value.ty {
        None => x_type,
        Some(v) if implicit_cast(v, &x_type) => x_type,
        Some(v) if implicit_cast(&x_type, v) => v.clone(),
        Some(v) => {
            return Err(Error::undefined_function(format!(
                "function {name}({} ORDER BY {}) does not exist",
                type_name(v),
                type_name(&x_type)
            )))
        }
    };
    let descending = key.asc == Some(false);
    let arg = crate::expr::Expr::Cast(Box::new(x.expr), common.clone());
    let order_by = vec![SortKey {
        expr: arg.clone(),
        descending,
        nulls_first: key.nulls_first.unwrap_or(descending),
    }];
    let (kind, ty) = match name {
        "rank" => (Hypothetical::Rank, Type::Int8),
        "dense_rank" => (Hypothetical::DenseRank, Type::Int8),
        "percent_rank" => (Hypothetical::PercentRank, Type::Float8),
        _ => (Hypothetical::CumeDist, Type::Float8),
    };
    Ok(AggregateCall {
        function: AggregateFunction::Hypothetical(kind),
        arg: Some(arg),
        ty,
        distinct: false,
        order_by,
        filter,
        direct_args: vec![value.coerce(&common, name)?],
    })
}

/// Binds a direct argument of an ordered-set or hypothetical-set aggregate over the group's
/// key row (`keys`): it is evaluated once per group, so it may read grouped columns; an
/// ungrouped column of the input is 42803, as in PostgreSQL.
fn bind_direct(arg: &ast::Expr, keys: &Scope, input: &Scope) -> Result<Typed> {
    bind(arg, keys).map_err(|e| match e {
        Error::UndefinedColumn(_) if bind(arg, input).is_ok() => Error::invalid(
            "42803",
            format!(
                "column \"{arg}\" must appear in the GROUP BY clause or be used in an aggregate \
                 function (direct arguments of an ordered-set aggregate must use only grouped \
                 columns)"
            ),
        ),
        other => other,
    })
}

/// The plain positional arguments of a call (named ones and `*` left out; callers compare the
/// count with the whole list's to refuse them).
fn unnamed_args(list: &ast::FunctionArgumentList) -> Vec<&ast::Expr> {
    list.args
        .iter()
        .filter_map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect()
}

/// `count(t.*)`'s argument: 1 where the row has a value for t, NULL where an outer join
/// supplied none (vdb has no row type; a row of t is taken as present when one of its columns
/// is not null, which a table with a primary key always has).
fn row_present(relation: &ast::ObjectName, input: &Scope) -> Result<ast::Expr> {
    let name = relation.0.last().map(ident_name).unwrap_or_default();
    let present = input
        .columns
        .iter()
        .filter(|c| c.relation.as_deref() == Some(name.as_str()) && !c.hidden)
        .map(|c| {
            ast::Expr::IsNotNull(Box::new(ast::Expr::CompoundIdentifier(vec![
                ast::Ident::with_quote('"', name.clone()),
                ast::Ident::with_quote('"', c.name.clone()),
            ])))
        })
        .reduce(|a, b| ast::Expr::BinaryOp {
            left: Box::new(a),
            op: ast::BinaryOperator::Or,
            right: Box::new(b),
        })
        .ok_or_else(|| Error::UndefinedTable(name.clone()))?;
    Ok(ast::Expr::Case {
        operand: None,
        conditions: vec![present],
        results: vec![ast::Expr::Value(ast::Value::Number("1".into(), false))],
        else_result: None,
    })
}
