//! Planning joins: `JOIN ... ON`, `USING (...)`, `NATURAL`, CROSS and comma joins, of every
//! kind (INNER, LEFT, RIGHT, FULL), and LATERAL items.
//!
//! The joined row is the left row followed by the right row. The ON condition (or the USING
//! columns' equalities) is split into its AND-ed parts: each `l = r` whose sides read only one
//! input each, with types whose equality is value equality, becomes a hash-join key; the other
//! parts stay as a residual checked on each candidate pair. Without keys the join is a nested
//! loop. A right item that names columns of the left (LATERAL, or a function in FROM, which
//! PostgreSQL treats as implicitly lateral) runs once per left row.
//!
//! USING and NATURAL merge each pair of join columns into one unqualified column placed first
//! (the right one for RIGHT JOIN, `COALESCE(l, r)` for FULL JOIN); the originals stay reachable
//! qualified (`a.x`) but are hidden from `*` and from bare names.

use sqlparser::ast;
use vdb_engine::value::Type;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Expr};
use crate::planner::context;
use crate::planner::expr::{
    bind, boolean, common_type, ident_name, make_binary, row_items, Scope, ScopeColumn, Typed,
};
use crate::planner::plan::{JoinKind, Plan};
use crate::planner::relation::{plan_factor, plan_from};
use crate::types::numeric_rank;

/// A planned FROM item: its plan and the scope of its rows.
pub type Relation = (Plan, Scope);

/// Plans `left JOIN join.relation ...`.
pub fn plan_join(catalog: &Catalog<'_>, left: Relation, join: &ast::Join) -> Result<Relation> {
    use ast::JoinOperator as J;
    let none = ast::JoinConstraint::None;
    let (kind, constraint) = match &join.join_operator {
        J::Inner(c) => (JoinKind::Inner, c),
        J::LeftOuter(c) => (JoinKind::Left, c),
        J::RightOuter(c) => (JoinKind::Right, c),
        J::FullOuter(c) => (JoinKind::Full, c),
        J::CrossJoin => (JoinKind::Inner, &none),
        other => {
            return Err(Error::Unsupported(format!("join operator {other:?}")));
        }
    };
    if matches!(constraint, ast::JoinConstraint::None)
        && !matches!(join.join_operator, J::CrossJoin)
    {
        // PostgreSQL's grammar has no JOIN without ON or USING (only CROSS and NATURAL).
        return Err(Error::invalid(
            "42601",
            format!(
                "syntax error: JOIN {} needs an ON or USING clause",
                join.relation
            ),
        ));
    }
    join_item(catalog, left, &join.relation, kind, constraint, None)
}

/// Plans `left, factor` (a comma in FROM).
pub fn plan_comma(
    catalog: &Catalog<'_>,
    left: Relation,
    item: &ast::TableWithJoins,
    selection: Option<&ast::Expr>,
) -> Result<Relation> {
    // `a, b JOIN LATERAL f(a.x) ON ...`: a lateral item may name the earlier FROM items, so
    // the joins are planned over them, as `(a CROSS JOIN b) JOIN LATERAL ...`, which gives
    // the same rows when no join is RIGHT or FULL.
    if item.joins.is_empty() || reaches_back(item) {
        let mut current = join_item(
            catalog,
            left,
            &item.relation,
            JoinKind::Inner,
            &ast::JoinConstraint::None,
            selection,
        )?;
        for join in &item.joins {
            current = plan_join(catalog, current, join)?;
        }
        return Ok(current);
    }
    let right = plan_from(catalog, std::slice::from_ref(item), None)?;
    join_on_where(left, right, selection)
}

/// Whether a FROM item's joins bring in a lateral item (a LATERAL subquery or a function)
/// and only by INNER, LEFT or CROSS joins, so that its joins can be planned over the FROM
/// items before it.
fn reaches_back(item: &ast::TableWithJoins) -> bool {
    use ast::JoinOperator as J;
    let lateral = |factor: &ast::TableFactor| match factor {
        ast::TableFactor::Derived { lateral, .. } => *lateral,
        ast::TableFactor::Function { .. } => true,
        ast::TableFactor::Table { args, .. } => args.is_some(),
        _ => false,
    };
    item.joins.iter().any(|j| lateral(&j.relation))
        && item.joins.iter().all(|j| {
            matches!(
                j.join_operator,
                J::Inner(_) | J::LeftOuter(_) | J::CrossJoin
            )
        })
}

/// `left <kind> JOIN right ON on`, both already planned.
pub fn join_on(
    left: Relation,
    right: Relation,
    kind: JoinKind,
    on: &ast::Expr,
) -> Result<Relation> {
    combine(
        left,
        right,
        false,
        kind,
        &ast::JoinConstraint::On(on.clone()),
    )
}

/// The inner join of `left` and `right`, hashed on the equalities of `selection` (a WHERE
/// clause that is still applied above the join) between their columns, if it has any.
pub fn join_on_where(
    left: Relation,
    right: Relation,
    selection: Option<&ast::Expr>,
) -> Result<Relation> {
    let keys = selection.and_then(|s| where_keys(s, &left.1, &right.1));
    let constraint = keys.map_or(ast::JoinConstraint::None, ast::JoinConstraint::On);
    combine(left, right, false, JoinKind::Inner, &constraint)
}

/// The conjuncts of a WHERE clause that can key an inner join of `left` and `right`: `x = y`
/// where x reads only one side's columns and y only the other's (no outer references, no
/// subqueries, nothing volatile), and the two compare. The WHERE clause stays above the join,
/// so they only let the join find matching pairs by hashing instead of trying every pair.
fn where_keys(selection: &ast::Expr, left: &Scope, right: &Scope) -> Option<ast::Expr> {
    let mut scope = left.clone();
    scope.columns.extend(right.columns.iter().cloned());
    let mut parts = Vec::new();
    let selection = &rows_apart(selection);
    conjuncts(selection, &mut parts);
    parts
        .into_iter()
        .filter(
            |part| match equality_sides(part, &scope, left.columns.len()) {
                Ok(Some((l, r, _))) => make_binary(BinaryOp::Eq, l, r).is_ok(),
                _ => false,
            },
        )
        .cloned()
        .reduce(|a, b| ast::Expr::BinaryOp {
            left: Box::new(a),
            op: ast::BinaryOperator::And,
            right: Box::new(b),
        })
}

/// Plans the right item (lateral when it may name the left's columns), then joins.
fn join_item(
    catalog: &Catalog<'_>,
    left: Relation,
    factor: &ast::TableFactor,
    kind: JoinKind,
    constraint: &ast::JoinConstraint,
    selection: Option<&ast::Expr>,
) -> Result<Relation> {
    let (right, lateral) = if may_be_lateral(factor) {
        let (right, correlated) = context::with_outer(&left.1, || plan_factor(catalog, factor));
        (right?, correlated)
    } else {
        (plan_factor(catalog, factor)?, false)
    };
    if lateral && !matches!(kind, JoinKind::Inner | JoinKind::Left) {
        return Err(Error::invalid(
            "42P10",
            "invalid reference to FROM-clause entry: the combining JOIN type must be INNER or \
             LEFT for a LATERAL reference",
        ));
    }
    if !lateral && kind == JoinKind::Inner && matches!(constraint, ast::JoinConstraint::None) {
        return join_on_where(left, right, selection);
    }
    combine(left, right, lateral, kind, constraint)
}

/// Whether `factor` may refer to earlier FROM items: `LATERAL (...)` and functions in FROM.
fn may_be_lateral(factor: &ast::TableFactor) -> bool {
    match factor {
        ast::TableFactor::Derived { lateral, .. } => *lateral,
        ast::TableFactor::Table { args, .. } => args.is_some(),
        ast::TableFactor::UNNEST { .. } | ast::TableFactor::Function { .. } => true,
        _ => false,
    }
}

/// One join column pair merged by USING or NATURAL: positions in the left and right rows.
struct Merged {
    name: String,
    left: usize,
    right: usize,
}

/// The join's condition, split for a hash join.
#[derive(Default)]
struct Condition {
    /// Key pairs: the left key over the left row, the right key over the right row.
    keys: Vec<(Expr, Expr)>,
    /// The key pairs as predicates over the joined row (for nested-loop and lateral joins).
    key_predicates: Vec<Expr>,
    /// The other conjuncts, over the joined row.
    residual: Vec<Expr>,
}

fn combine(
    left: Relation,
    right: Relation,
    lateral: bool,
    kind: JoinKind,
    constraint: &ast::JoinConstraint,
) -> Result<Relation> {
    let (left_plan, left_scope) = left;
    let (right_plan, right_scope) = right;
    check_duplicate_names(&left_scope, &right_scope)?;
    let (left_width, right_width) = (left_scope.columns.len(), right_scope.columns.len());
    let mut scope = left_scope.clone();
    scope.columns.extend(right_scope.columns.iter().cloned());
    let merged = match constraint {
        ast::JoinConstraint::Using(names) => using_columns(
            &left_scope,
            &right_scope,
            &names.iter().map(ident_name).collect::<Vec<_>>(),
        )?,
        ast::JoinConstraint::Natural => {
            let common = common_names(&left_scope, &right_scope);
            using_columns(&left_scope, &right_scope, &common)?
        }
        _ => Vec::new(),
    };
    let condition = match constraint {
        ast::JoinConstraint::On(on) => on_condition(on, &scope, &right_scope, left_width)?,
        _ => using_condition(&merged, &scope, left_width)?,
    };
    if kind == JoinKind::Full
        && condition.keys.is_empty()
        && condition.residual.iter().any(|e| !e.is_constant())
    {
        return Err(Error::invalid(
            "0A000",
            "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions",
        ));
    }
    let plan = join_plan(
        (left_plan, right_plan),
        condition,
        lateral,
        kind,
        (left_width, right_width),
    );
    Ok(merge_columns(plan, scope, &merged, kind, left_width))
}

/// The join node for the condition: lateral, hash (with keys) or nested loop.
fn join_plan(
    (left, right): (Plan, Plan),
    condition: Condition,
    lateral: bool,
    kind: JoinKind,
    (left_width, right_width): (usize, usize),
) -> Plan {
    let (left, right) = (Box::new(left), Box::new(right));
    let and = |parts: Vec<Expr>| {
        parts
            .into_iter()
            .reduce(|a, b| Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b)))
    };
    if lateral || condition.keys.is_empty() {
        let mut parts = condition.key_predicates;
        parts.extend(condition.residual);
        let predicate = and(parts);
        if lateral {
            return Plan::LateralJoin {
                left,
                right,
                predicate,
                kind,
                left_width,
                right_width,
            };
        }
        return Plan::NestedLoopJoin {
            left,
            right,
            predicate,
            kind,
            left_width,
            right_width,
        };
    }
    let (left_keys, right_keys) = condition.keys.into_iter().unzip();
    Plan::HashJoin {
        left,
        right,
        left_keys,
        right_keys,
        residual: and(condition.residual),
        kind,
        left_width,
        right_width,
    }
}

fn check_duplicate_names(left: &Scope, right: &Scope) -> Result<()> {
    for c in &right.columns {
        if let Some(r) = &c.relation {
            if left.columns.iter().any(|l| l.relation.as_ref() == Some(r)) {
                return Err(Error::invalid(
                    "42712",
                    format!("table name \"{r}\" specified more than once"),
                ));
            }
        }
    }
    Ok(())
}

/// The visible column names the two sides share, in the left's order (NATURAL).
fn common_names(left: &Scope, right: &Scope) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in left.columns.iter().filter(|c| !c.hidden) {
        if !names.contains(&c.name) && right.columns.iter().any(|r| !r.hidden && r.name == c.name) {
            names.push(c.name.clone());
        }
    }
    names
}

/// Resolves the USING names on each side.
fn using_columns(left: &Scope, right: &Scope, names: &[String]) -> Result<Vec<Merged>> {
    let mut merged: Vec<Merged> = Vec::new();
    for name in names {
        if merged.iter().any(|m| &m.name == name) {
            return Err(Error::invalid(
                "42701",
                format!("column name \"{name}\" appears more than once in USING clause"),
            ));
        }
        merged.push(Merged {
            name: name.clone(),
            left: using_side(left, name, "left")?,
            right: using_side(right, name, "right")?,
        });
    }
    Ok(merged)
}

fn using_side(scope: &Scope, name: &str, side: &str) -> Result<usize> {
    match scope.resolve(None, name) {
        Ok(i) => Ok(i),
        Err(Error::AmbiguousColumn(_)) => Err(Error::invalid(
            "42702",
            format!("common column name \"{name}\" appears more than once in {side} table"),
        )),
        Err(_) => Err(Error::UndefinedColumn(format!(
            "column \"{name}\" specified in USING clause does not exist in {side} table"
        ))),
    }
}

/// The equalities of the USING columns.
fn using_condition(merged: &[Merged], scope: &Scope, left_width: usize) -> Result<Condition> {
    let mut condition = Condition::default();
    for m in merged {
        let l = Typed::new(Expr::Column(m.left), scope.columns[m.left].ty.clone());
        let r = Typed::new(
            Expr::Column(left_width + m.right),
            scope.columns[left_width + m.right].ty.clone(),
        );
        add_equality(&mut condition, l, r, Expr::Column(m.right))?;
    }
    Ok(condition)
}

/// Adds `l = r` (over the joined row; `right_key` is `r` over the right row) as a key when its
/// types allow hashing, else as a residual.
fn add_equality(condition: &mut Condition, l: Typed, r: Typed, right_key: Expr) -> Result<()> {
    let key_type = match (&l.ty, &r.ty) {
        (Some(a), Some(b)) => key_type(a, b),
        _ => None,
    };
    let left_key = l.expr.clone();
    let predicate = boolean(make_binary(BinaryOp::Eq, l, r)?, "JOIN/USING")?;
    match key_type {
        Some(cast) => {
            let as_key = |e: Expr| match &cast {
                Some(t) => Expr::Cast(Box::new(e), t.clone()),
                None => e,
            };
            condition.keys.push((as_key(left_key), as_key(right_key)));
            condition.key_predicates.push(predicate);
        }
        None => condition.residual.push(predicate),
    }
    Ok(())
}

/// Whether `=` between values of these types can be a hash key, and the type both keys are
/// cast to first (None: as they are), so that equal values compare equal under `sql_cmp`.
fn key_type(a: &Type, b: &Type) -> Option<Option<Type>> {
    let int = |t: &Type| matches!(t, Type::Int2 | Type::Int4 | Type::Int8);
    let float = |t: &Type| matches!(t, Type::Float4 | Type::Float8);
    let text = |t: &Type| matches!(t, Type::Text | Type::Varchar(_));
    if (int(a) && int(b)) || (float(a) && float(b)) || (text(a) && text(b)) {
        return Some(None);
    }
    if let (Some(x), Some(y)) = (numeric_rank(a), numeric_rank(b)) {
        let wider = if x >= y { a } else { b };
        return Some(match wider {
            Type::Numeric { .. } if a == b => None,
            Type::Numeric { .. } => Some(Type::Numeric {
                precision_scale: None,
            }),
            other => Some(other.clone()),
        });
    }
    let plain = !matches!(a, Type::Char(_) | Type::Json | Type::Jsonb | Type::Array(_));
    (a == b && plain).then_some(None)
}

/// Splits an ON condition into hash keys and a residual.
fn on_condition(
    on: &ast::Expr,
    scope: &Scope,
    right_scope: &Scope,
    left_width: usize,
) -> Result<Condition> {
    let mut condition = Condition::default();
    let mut parts = Vec::new();
    let on = &rows_apart(on);
    conjuncts(on, &mut parts);
    if parts.len() > 1 {
        // The whole condition must be boolean, and its parts bind the same way.
        boolean(bind(on, scope)?, "JOIN/ON")?;
    }
    for part in parts {
        if let Some((l, r, right_ast)) = equality_sides(part, scope, left_width)? {
            let right_key = bind(right_ast, right_scope)?.expr;
            add_equality(&mut condition, l, r, right_key)?;
            continue;
        }
        condition
            .residual
            .push(boolean(bind(part, scope)?, "JOIN/ON")?);
    }
    Ok(condition)
}

/// `on` with each `(a, b) = (c, d)` among its conjuncts written as `a = c AND b = d`, so that
/// each pair can be a hash key (a row compared whole would match NULL fields as equal).
fn rows_apart(on: &ast::Expr) -> ast::Expr {
    let and = |left: ast::Expr, right: ast::Expr| ast::Expr::BinaryOp {
        left: Box::new(left),
        op: ast::BinaryOperator::And,
        right: Box::new(right),
    };
    match on {
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::And,
            right,
        } => and(rows_apart(left), rows_apart(right)),
        ast::Expr::Nested(inner) => ast::Expr::Nested(Box::new(rows_apart(inner))),
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::Eq,
            right,
        } => match (row_items(left), row_items(right)) {
            (Some(l), Some(r)) if l.len() == r.len() && !l.is_empty() => l
                .into_iter()
                .zip(r)
                .map(|(l, r)| ast::Expr::BinaryOp {
                    left: Box::new(ast::Expr::Nested(Box::new(l))),
                    op: ast::BinaryOperator::Eq,
                    right: Box::new(ast::Expr::Nested(Box::new(r))),
                })
                .reduce(and)
                .unwrap_or_else(|| on.clone()),
            _ => on.clone(),
        },
        other => other.clone(),
    }
}

fn conjuncts<'a>(e: &'a ast::Expr, out: &mut Vec<&'a ast::Expr>) {
    match e {
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::And,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        ast::Expr::Nested(inner) => conjuncts(inner, out),
        other => out.push(other),
    }
}

/// For `a = b` with one side reading only left columns and the other only right columns: the
/// left side and the right side (bound over the joined row), and the right side's AST.
fn equality_sides<'a>(
    part: &'a ast::Expr,
    scope: &Scope,
    left_width: usize,
) -> Result<Option<(Typed, Typed, &'a ast::Expr)>> {
    let ast::Expr::BinaryOp {
        left,
        op: ast::BinaryOperator::Eq,
        right,
    } = part
    else {
        return Ok(None);
    };
    let a = bind(left, scope)?;
    let b = bind(right, scope)?;
    match (side(&a.expr, left_width), side(&b.expr, left_width)) {
        (Some(Side::Left), Some(Side::Right)) => Ok(Some((a, b, right.as_ref()))),
        (Some(Side::Right), Some(Side::Left)) => Ok(Some((b, a, left.as_ref()))),
        _ => Ok(None),
    }
}

#[derive(PartialEq)]
enum Side {
    Left,
    Right,
}

/// Which input an expression reads (None: both, neither, or it has a subquery).
fn side(expr: &Expr, left_width: usize) -> Option<Side> {
    let (mut left, mut right, mut opaque) = (false, false, false);
    expr.walk(&mut |e| match e {
        Expr::Column(i) if *i < left_width => left = true,
        Expr::Column(_) => right = true,
        Expr::Subquery(_) | Expr::SetReturning(..) | Expr::UserFunction(..) => opaque = true,
        Expr::Function(f, _) if f.is_volatile() => opaque = true,
        _ => {}
    });
    match (left, right, opaque) {
        (true, false, false) => Some(Side::Left),
        (false, true, false) => Some(Side::Right),
        _ => None,
    }
}

/// Puts the USING columns first, merged, and hides the originals.
fn merge_columns(
    plan: Plan,
    mut scope: Scope,
    merged: &[Merged],
    kind: JoinKind,
    left_width: usize,
) -> Relation {
    if merged.is_empty() {
        return (plan, scope);
    }
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for m in merged {
        let (l, r) = (m.left, left_width + m.right);
        // The merged column is of the two sides' common type (int USING bigint is bigint).
        let side = |i: usize| Typed::new(Expr::Column(i), scope.columns[i].ty.clone());
        let ty = common_type([&side(l), &side(r)], "JOIN/USING")
            .unwrap_or_else(|_| scope.columns[l].ty.clone());
        let as_merged = |i: usize| match &scope.columns[i].ty {
            have if *have != ty => Expr::Cast(Box::new(Expr::Column(i)), ty.clone()),
            _ => Expr::Column(i),
        };
        let expr = match kind {
            // Either side will do for an inner join: the one needing no cast, as PostgreSQL
            // picks.
            JoinKind::Inner if scope.columns[l].ty != ty && scope.columns[r].ty == ty => {
                Expr::Column(r)
            }
            JoinKind::Inner | JoinKind::Left => as_merged(l),
            JoinKind::Right => as_merged(r),
            JoinKind::Full => Expr::Coalesce(vec![as_merged(l), as_merged(r)]),
        };
        exprs.push(expr);
        columns.push(ScopeColumn {
            relation: None,
            name: m.name.clone(),
            ty,
            hidden: false,
            scalar_function: false,
        });
        scope.columns[l].hidden = true;
        scope.columns[r].hidden = true;
    }
    exprs.extend((0..scope.columns.len()).map(Expr::Column));
    columns.extend(scope.columns);
    let plan = Plan::Project {
        source: Box::new(plan),
        exprs,
    };
    (plan, Scope { columns })
}
