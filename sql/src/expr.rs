//! Bound expressions and their evaluation over a row.
//!
//! The binder (`planner/expr.rs`) turns sqlparser's AST into [`Expr`]: column names become
//! positions in the input row, literals get their PostgreSQL types, and the coercions PostgreSQL
//! would insert become explicit [`Expr::Cast`]s. Evaluation then needs no catalog: it follows
//! three-valued logic (NULL propagates, `AND`/`OR` use Kleene logic), checks integer overflow
//! and division by zero with PostgreSQL's errors, and compares with `Value::sql_cmp`.

use std::cmp::Ordering;
use std::fmt;

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use vdb_engine::value::{Numeric, Type, Value};

use crate::error::{Error, Result};
use crate::types::{cast, to_pg_text};

pub(crate) mod catalog;
mod functions;
mod subquery;
mod user_function;
use functions::function;
use functions::temporal_or_container_op;

pub use catalog::CatalogFunction;
pub(crate) use subquery::bind_plan;
pub use subquery::{Subquery, SubqueryKind};
pub use user_function::{nested as nested_function, UserCall};

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
    Concat,
    /// `->` / `->>` (`text`) and `#>` / `#>>` (`path`) on json (`jsonb` false) or jsonb.
    JsonGet {
        text: bool,
        path: bool,
        jsonb: bool,
    },
    /// `@>` on jsonb or arrays.
    Contains,
    /// `<@` on jsonb or arrays.
    ContainedBy,
    /// jsonb `?`.
    JsonExists,
    /// Array `&&`.
    Overlap,
    /// `||` on arrays (array || array, array || element, element || array).
    ArrayConcat,
    /// `||` on jsonb.
    JsonConcat,
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Concat | BinaryOp::ArrayConcat | BinaryOp::JsonConcat => "||",
            BinaryOp::JsonGet {
                text: false,
                path: false,
                ..
            } => "->",
            BinaryOp::JsonGet {
                text: true,
                path: false,
                ..
            } => "->>",
            BinaryOp::JsonGet {
                text: false,
                path: true,
                ..
            } => "#>",
            BinaryOp::JsonGet {
                text: true,
                path: true,
                ..
            } => "#>>",
            BinaryOp::Contains => "@>",
            BinaryOp::ContainedBy => "<@",
            BinaryOp::JsonExists => "?",
            BinaryOp::Overlap => "&&",
        })
    }
}

/// A scalar function of the slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Lower,
    Upper,
    Length,
    /// `left(text, n)`: the first n characters (all but the last -n when n < 0).
    Left,
    Abs,
    Round,
    /// `substr(s, from [, count])`, 1-based, as PostgreSQL's text_substr.
    Substr,
    /// `btrim`/`ltrim`/`rtrim(s [, characters])`: (leading, trailing).
    Trim(bool, bool),
    Replace,
    /// `greatest(..)` / `least(..)`: the largest / smallest non-NULL argument.
    Greatest,
    Least,
    Floor,
    Ceil,
    /// `pg_size_pretty(bigint)`.
    SizePretty,
    /// `array || array`: the elements of both (a NULL side counts as empty; NULL if both are).
    ArrayCat,
    /// `nextval(seq)`, `currval(seq)`, `setval(seq, value [, is_called])`: they read or change
    /// a sequence in the root, so the write executors resolve them (`execution/sequence.rs`);
    /// pure evaluation refuses them.
    NextVal,
    CurrVal,
    SetVal,
    /// `now()` / `current_timestamp`: the time of evaluation.
    Now,
    /// `gen_random_uuid()`: a random version-4 UUID.
    GenRandomUuid,
    /// The functions of `expr/functions.rs` beyond the basic slice, named by [`Builtin`].
    Builtin(Builtin),
}

impl Function {
    /// Whether the function reads or changes a sequence (resolved by the executors).
    pub fn touches_sequence(self) -> bool {
        matches!(
            self,
            Function::NextVal | Function::CurrVal | Function::SetVal
        )
    }

    /// Whether the function gives the same result for the same arguments forever (IMMUTABLE):
    /// neither volatile nor reading the clock, which is what generation and index expressions
    /// may call.
    pub fn is_immutable(self) -> bool {
        !self.is_volatile()
            && !matches!(
                self,
                Function::Now
                    | Function::Builtin(
                        Builtin::Now | Builtin::StatementTimestamp | Builtin::CurrentDate
                    )
            )
    }

    /// Whether the function may give a different result each call (never folded to a constant).
    pub fn is_volatile(self) -> bool {
        self.touches_sequence()
            || matches!(
                self,
                Function::GenRandomUuid
                    | Function::Builtin(
                        Builtin::Random
                            | Builtin::PgSleep
                            | Builtin::PgNotify
                            | Builtin::Setseed
                            | Builtin::TxidCurrent
                            | Builtin::LastVal
                            | Builtin::Timeofday
                            | Builtin::ClockTimestamp
                            | Builtin::Extension(
                                ExtensionFunction::UuidV1 | ExtensionFunction::RandomBytes
                            )
                    )
            )
    }
}

/// A set-returning function vdb expands in select lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetFunction {
    /// `unnest(array)`: its elements.
    Unnest,
    /// `generate_subscripts(array, 1)`: 1..=length.
    GenerateSubscripts,
    /// `generate_series(start, stop [, step])` over integers.
    GenerateSeries,
    /// `pg_partition_ancestors(rel)`: vdb has no partitions, so the relation itself.
    PartitionAncestors,
    /// `jsonb_array_elements(doc)` (`text`: the `_text` form, strings unquoted, null NULL).
    JsonArrayElements { text: bool },
    /// `jsonb_object_keys(doc)`: the top-level keys in jsonb order.
    JsonObjectKeys,
    /// WITH ORDINALITY's row number (1, 2, ...): it does not set the row count.
    Ordinality,
    /// One part of `json[b]_each[_text](doc)`'s rows (`text`: the `_text` form).
    JsonEach {
        part: JsonEachPart,
        text: bool,
        jsonb: bool,
    },
    /// `regexp_matches(s, pattern [, flags])`: a text[] per match.
    RegexpMatches,
    /// `regexp_split_to_table(s, pattern [, flags])`.
    RegexpSplit,
    /// `jsonb_path_query(doc, path)`.
    JsonPathQuery,
    /// `json_array_elements(json)`: each element's text as written; `text`:
    /// `json_array_elements_text(json)`.
    JsonArrayElementsRaw { text: bool },
    /// `json_object_keys(json)`: the keys in written order, repeated keys too.
    JsonObjectKeysRaw,
    /// `string_to_table(s, delimiter [, null_string])`.
    StringToTable,
    /// The elements of a json recordset function's array (`json[b]_to_recordset`...), each
    /// an object's json text.
    JsonRecordset(RecordFunction),
}

impl SetFunction {
    /// The rows the function gives for these arguments.
    pub fn expand(self, args: &[Value]) -> Result<Vec<Value>> {
        if let Some(rows) = functions::expand_set(self, args) {
            return rows;
        }
        let first = args.first().cloned().unwrap_or(Value::Null);
        Ok(match self {
            SetFunction::Unnest => match first {
                Value::Array(items) => items.into_elements(),
                _ => Vec::new(),
            },
            SetFunction::GenerateSubscripts => {
                let dim = args.get(1).and_then(as_i64).and_then(|d| {
                    let Value::Array(items) = &first else {
                        return None;
                    };
                    items
                        .dims()
                        .get(usize::try_from(d.checked_sub(1)?).ok()?)
                        .copied()
                });
                let reverse = matches!(args.get(2), Some(Value::Bool(true)));
                match dim {
                    Some(d) => {
                        let upper = i32::try_from(d.upper()).unwrap_or(i32::MAX);
                        let mut subs: Vec<Value> = (d.lower..=upper).map(Value::Int4).collect();
                        if reverse {
                            subs.reverse();
                        }
                        subs
                    }
                    None => Vec::new(),
                }
            }
            SetFunction::PartitionAncestors => match first {
                Value::Null => Vec::new(),
                v => vec![v],
            },
            SetFunction::Ordinality
            | SetFunction::JsonEach { .. }
            | SetFunction::RegexpMatches
            | SetFunction::RegexpSplit
            | SetFunction::JsonPathQuery
            | SetFunction::JsonArrayElementsRaw { .. }
            | SetFunction::JsonObjectKeysRaw
            | SetFunction::JsonRecordset(_)
            | SetFunction::StringToTable => Vec::new(),
            SetFunction::JsonArrayElements { text } => match json_doc(&first)? {
                None => Vec::new(),
                Some(crate::types::json::Json::Array(items)) => items
                    .iter()
                    .map(|j| {
                        if text {
                            j.as_text().map_or(Value::Null, Value::Text)
                        } else {
                            Value::Text(j.to_jsonb_text())
                        }
                    })
                    .collect(),
                Some(_) => {
                    return Err(Error::invalid(
                        "22023",
                        "cannot extract elements from an object",
                    ))
                }
            },
            SetFunction::JsonObjectKeys => match json_doc(&first)? {
                None => Vec::new(),
                Some(crate::types::json::Json::Object(fields)) => {
                    fields.into_iter().map(|(k, _)| Value::Text(k)).collect()
                }
                Some(_) => {
                    return Err(Error::invalid(
                        "22023",
                        "cannot call jsonb_object_keys on a non-object",
                    ))
                }
            },
            SetFunction::GenerateSeries if as_i64(&first).is_none() => {
                series(first, args.get(1), args.get(2))?
            }
            SetFunction::GenerateSeries => {
                let (Some(start), Some(stop)) = (as_i64(&first), args.get(1).and_then(as_i64))
                else {
                    return Ok(Vec::new());
                };
                let step = args.get(2).map_or(Some(1), as_i64).unwrap_or(1);
                if step == 0 {
                    return Err(Error::invalid("22023", "step size cannot equal zero"));
                }
                let int8 = matches!(first, Value::Int8(_));
                let mut out = Vec::new();
                let mut i = start;
                while (step > 0 && i <= stop) || (step < 0 && i >= stop) {
                    out.push(if int8 {
                        Value::Int8(i)
                    } else {
                        Value::Int4(i32::try_from(i).unwrap_or(i32::MAX))
                    });
                    match i.checked_add(step) {
                        Some(n) => i = n,
                        None => break,
                    }
                }
                out
            }
        })
    }
}

pub use functions::json_record::{FieldTarget, RecordFunction};
pub(crate) use functions::{accumulate_arrays, array_concat};
pub use functions::{
    clock_micros, forget_sequence_value, forget_sequence_values, mark_server_start,
    record_sequence_value, session_currval, start_statement_clock, transaction_id,
    with_sequence_scope, with_volatile_state, Builtin, ExtensionFunction, JsonEachPart,
    VolatileState,
};

/// A json/jsonb argument parsed into jsonb's normal form (`None` for NULL).
fn json_doc(v: &Value) -> Result<Option<crate::types::json::Json>> {
    match v {
        Value::Text(t) => Ok(Some(crate::types::json::parse(t, "jsonb")?.normalize())),
        _ => Ok(None),
    }
}

/// `generate_series(start, stop, step)` over numeric, timestamps and timestamptz (an
/// interval step): values from start while they do not pass stop in the step's direction.
fn series(start: Value, stop: Option<&Value>, step: Option<&Value>) -> Result<Vec<Value>> {
    let stop = stop.cloned().unwrap_or(Value::Null);
    let step = match step {
        Some(s) => s.clone(),
        None => Value::Numeric(Numeric::Finite(BigDecimal::from(1))),
    };
    if start.is_null() || stop.is_null() || step.is_null() {
        return Ok(Vec::new());
    }
    let zero = match &step {
        Value::Interval(_) => binary(BinaryOp::Sub, &step, &step)?,
        _ => Value::Numeric(Numeric::Finite(BigDecimal::from(0))),
    };
    let direction = compare(&step, &zero);
    if direction == Ordering::Equal {
        return Err(Error::invalid("22023", "step size cannot equal zero"));
    }
    let mut out = Vec::new();
    let mut cur = start;
    while compare(&cur, &stop) != direction {
        if out.len() >= 100_000_000 {
            return Err(Error::invalid("54000", "generate_series has too many rows"));
        }
        let next = binary(BinaryOp::Add, &cur, &step)?;
        out.push(cur);
        cur = next;
    }
    Ok(out)
}

/// A bound expression; `Column(i)` is the i-th value of the input row.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    Column(usize),
    /// The statement parameter `$n` (0-based), seen only when describing a statement whose
    /// parameters are not bound yet; execution substitutes the values before planning.
    Param(usize),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    /// `expr [NOT] IN (list)`.
    InList(Box<Expr>, Vec<Expr>, bool),
    /// `expr [NOT] LIKE pattern`, case-insensitive for ILIKE.
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `CASE [operand] WHEN .. THEN .. ELSE .. END`; with an operand, WHENs compare to it.
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Coalesce(Vec<Expr>),
    Function(Function, Vec<Expr>),
    Cast(Box<Expr>, Type),
    /// A column of an enclosing query's row, `level` queries out (1: the nearest), inside a
    /// correlated subquery's plan; replaced by its value before the subquery runs.
    Outer {
        level: usize,
        index: usize,
    },
    /// A subquery used as a value (scalar, EXISTS, IN/ANY/ALL, ARRAY(...)).
    Subquery(Box<Subquery>),
    /// `expr [!]~[*] pattern`: POSIX regular-expression match.
    Regex {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `left op ANY (array)` or `left op ALL (array)`.
    Quantified {
        left: Box<Expr>,
        op: BinaryOp,
        array: Box<Expr>,
        all: bool,
    },
    /// `ARRAY[a, b, ...]`.
    Array(Vec<Expr>),
    /// A set-returning function in a select list (`unnest(a)`), expanded by the plan's
    /// ProjectSet node; anywhere else it is an error.
    SetReturning(SetFunction, Vec<Expr>),
    /// `array[i]`: 1-based, NULL when out of range.
    Subscript(Box<Expr>, Box<Expr>),
    /// A function that reads the catalog or the session (format_type, pg_get_indexdef,
    /// current_setting, regclass casts...), with the snapshot of the statement.
    Catalog(
        CatalogFunction,
        Vec<Expr>,
        std::sync::Arc<crate::system::Snapshot>,
    ),
    /// A call of a user-defined SQL function with its arguments (a set-returning one only
    /// where a ProjectSet node expands it, as [`Expr::SetReturning`]).
    UserFunction(Box<UserCall>, Vec<Expr>),
    /// A value coerced to a domain: the value, checked against the domain's constraints.
    Domain(Box<Expr>, std::sync::Arc<DomainCheck>),
}

/// A domain's constraints, bound: what [`Expr::Domain`] checks each value against.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainCheck {
    /// The domain's name as PostgreSQL prints it in errors.
    pub name: String,
    pub not_null: bool,
    /// (constraint name, condition over a one-column row holding the value), in name order.
    pub checks: Vec<(String, Expr)>,
}

impl DomainCheck {
    /// `value` if it satisfies the domain: 23502 for a NULL the domain refuses, 23514 for a
    /// value a CHECK condition is false for (NULL passes a CHECK, as in PostgreSQL).
    pub fn check(&self, value: Value) -> Result<Value> {
        if value.is_null() && self.not_null {
            return Err(Error::invalid(
                "23502",
                format!("domain {} does not allow null values", self.name),
            ));
        }
        let row = [value];
        for (constraint, condition) in &self.checks {
            if condition.eval(&row)? == Value::Bool(false) {
                return Err(Error::invalid(
                    "23514",
                    format!(
                        "value for domain {} violates check constraint \"{constraint}\"",
                        self.name
                    ),
                ));
            }
        }
        let [value] = row;
        Ok(value)
    }
}

/// Collects a row's values as references for evaluation.
pub type Row = Vec<Value>;

impl Expr {
    /// Evaluates the expression over `row`.
    pub fn eval(&self, row: &[Value]) -> Result<Value> {
        match self {
            Expr::Literal(v) => Ok(v.clone()),
            Expr::Column(i) => Ok(row.get(*i).cloned().unwrap_or(Value::Null)),
            Expr::Param(i) => Err(Error::invalid(
                "42P02",
                format!("there is no parameter ${}", i + 1),
            )),
            Expr::Binary(BinaryOp::And, l, r) => and(l.eval(row)?, || r.eval(row)),
            Expr::Binary(BinaryOp::Or, l, r) => or(l.eval(row)?, || r.eval(row)),
            Expr::Binary(op, l, r) => binary(*op, &l.eval(row)?, &r.eval(row)?),
            Expr::Negate(e) => negate(e.eval(row)?),
            Expr::Not(e) => match e.eval(row)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                _ => Ok(Value::Null),
            },
            Expr::IsNull(e, negated) => Ok(Value::Bool(e.eval(row)?.is_null() != *negated)),
            Expr::InList(e, list, negated) => in_list(&e.eval(row)?, list, *negated, row),
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => like(
                expr.eval(row)?,
                pattern.eval(row)?,
                *negated,
                *case_insensitive,
            ),
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => case(operand.as_deref(), whens, otherwise.as_deref(), row),
            Expr::Coalesce(list) => {
                for e in list {
                    let v = e.eval(row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
            Expr::Function(f @ (Function::Greatest | Function::Least), args) => {
                let mut best: Option<Value> = None;
                for a in args {
                    let v = a.eval(row)?;
                    if v.is_null() {
                        continue;
                    }
                    let better = best.as_ref().is_none_or(|b| {
                        let ord = compare(&v, b);
                        if *f == Function::Greatest {
                            ord.is_gt()
                        } else {
                            ord.is_lt()
                        }
                    });
                    if better {
                        best = Some(v);
                    }
                }
                Ok(best.unwrap_or(Value::Null))
            }
            Expr::Function(Function::ArrayCat, args) => {
                let mut out = Value::Null;
                for (i, a) in args.iter().enumerate() {
                    let v = a.eval(row)?;
                    out = match i {
                        0 => v,
                        _ => array_concat(out, v)?,
                    };
                }
                Ok(out)
            }
            Expr::Function(f, args) => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row))
                    .collect::<Result<Vec<_>>>()?;
                function(*f, values)
            }
            Expr::Cast(e, ty) => cast(e.eval(row)?, ty),
            Expr::Domain(e, domain) => domain.check(e.eval(row)?),
            Expr::Outer { level, .. } => Err(Error::invalid(
                "XX000",
                format!("internal error: outer reference at level {level} was not bound"),
            )),
            Expr::Subquery(s) => s.eval(row),
            Expr::Regex {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => catalog::regex_match(
                &expr.eval(row)?,
                &pattern.eval(row)?,
                *negated,
                *case_insensitive,
            ),
            Expr::Quantified {
                left,
                op,
                array,
                all,
            } => quantified(&left.eval(row)?, *op, array.eval(row)?, *all),
            Expr::SetReturning(f, _) => Err(Error::invalid(
                "0A000",
                format!("set-returning function {f:?} is not allowed here"),
            )),
            Expr::Array(items) => Ok(Value::Array(
                items.iter().map(|e| e.eval(row)).collect::<Result<_>>()?,
            )),
            Expr::Subscript(array, index) => {
                let (Value::Array(items), i) = (array.eval(row)?, index.eval(row)?) else {
                    return Ok(Value::Null);
                };
                let Some(i) = as_i64(&i) else {
                    return Ok(Value::Null);
                };
                Ok(usize::try_from(i - 1)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or(Value::Null))
            }
            Expr::Catalog(func, args, snapshot) => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row))
                    .collect::<Result<Vec<_>>>()?;
                catalog::call(*func, &values, snapshot)
            }
            Expr::UserFunction(call, args) if !call.returns_set() => {
                let values = args
                    .iter()
                    .map(|a| a.eval(row))
                    .collect::<Result<Vec<_>>>()?;
                call.eval(&values)
            }
            Expr::UserFunction(..) => Err(Error::invalid(
                "0A000",
                "set-valued function called in context that cannot accept a set",
            )),
        }
    }

    /// Whether this is a set-returning call a ProjectSet node expands (a built-in one or a
    /// user-defined function returning SETOF or TABLE).
    pub fn is_set_call(&self) -> bool {
        match self {
            Expr::SetReturning(..) => true,
            Expr::UserFunction(call, _) => call.returns_set(),
            _ => false,
        }
    }

    /// Whether the expression reads no column (so it can be folded to a constant).
    pub fn is_constant(&self) -> bool {
        let mut constant = true;
        self.walk(&mut |e| {
            constant &= !matches!(
                e,
                Expr::Column(_) | Expr::Param(_) | Expr::Outer { .. } | Expr::SetReturning(..)
            ) && !matches!(e, Expr::Subquery(s) if s.correlated)
                && !matches!(e, Expr::Catalog(f, _, _) if f.is_volatile())
                && !matches!(e, Expr::Function(f, _) if f.is_volatile())
                && !matches!(e, Expr::UserFunction(c, _) if c.is_volatile() || c.returns_set());
        });
        constant
    }

    /// Calls `f` on this expression and every subexpression.
    /// Whether the expression calls a function whose every call counts, so that it may be
    /// neither folded, skipped nor evaluated twice: a sequence function, `random()`, a
    /// volatile catalog or user function.
    pub fn calls_volatile(&self) -> bool {
        let mut volatile = false;
        self.walk(&mut |e| {
            volatile |= match e {
                Expr::Function(f, _) => f.is_volatile(),
                Expr::Catalog(f, ..) => f.is_volatile(),
                Expr::UserFunction(call, _) => call.is_volatile(),
                _ => false,
            }
        });
        volatile
    }

    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Literal(_) | Expr::Column(_) | Expr::Param(_) | Expr::Outer { .. } => {}
            Expr::Subquery(s) => match &s.kind {
                SubqueryKind::Quantified { left, .. } => left.walk(f),
                SubqueryKind::SemiJoin { probes } => probes.iter().for_each(|p| p.walk(f)),
                _ => {}
            },
            Expr::Regex { expr, pattern, .. } => {
                expr.walk(f);
                pattern.walk(f);
            }
            Expr::Quantified { left, array, .. } | Expr::Subscript(left, array) => {
                left.walk(f);
                array.walk(f);
            }
            Expr::Array(list)
            | Expr::Catalog(_, list, _)
            | Expr::SetReturning(_, list)
            | Expr::UserFunction(_, list) => {
                list.iter().for_each(|x| x.walk(f));
            }
            Expr::Binary(_, l, r) => {
                l.walk(f);
                r.walk(f);
            }
            Expr::Negate(e)
            | Expr::Not(e)
            | Expr::IsNull(e, _)
            | Expr::Cast(e, _)
            | Expr::Domain(e, _) => e.walk(f),
            Expr::InList(e, list, _) => {
                e.walk(f);
                list.iter().for_each(|x| x.walk(f));
            }
            Expr::Like { expr, pattern, .. } => {
                expr.walk(f);
                pattern.walk(f);
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                if let Some(o) = operand {
                    o.walk(f);
                }
                for (w, t) in whens {
                    w.walk(f);
                    t.walk(f);
                }
                if let Some(o) = otherwise {
                    o.walk(f);
                }
            }
            Expr::Coalesce(list) | Expr::Function(_, list) => list.iter().for_each(|x| x.walk(f)),
        }
    }

    /// This expression's direct subexpressions, for rewriting in place (a subquery's plan is
    /// not one; its quantified left operand is).
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Literal(_) | Expr::Column(_) | Expr::Param(_) | Expr::Outer { .. } => vec![],
            Expr::Subquery(s) => match &mut s.kind {
                SubqueryKind::Quantified { left, .. } => vec![&mut **left],
                SubqueryKind::SemiJoin { probes } => probes.iter_mut().collect(),
                _ => vec![],
            },
            Expr::Regex { expr, pattern, .. } | Expr::Like { expr, pattern, .. } => {
                vec![&mut **expr, &mut **pattern]
            }
            Expr::Quantified { left, array, .. } | Expr::Subscript(left, array) => {
                vec![&mut **left, &mut **array]
            }
            Expr::Binary(_, l, r) => vec![&mut **l, &mut **r],
            Expr::Negate(e)
            | Expr::Not(e)
            | Expr::IsNull(e, _)
            | Expr::Cast(e, _)
            | Expr::Domain(e, _) => vec![&mut **e],
            Expr::InList(e, list, _) => std::iter::once(&mut **e).chain(list.iter_mut()).collect(),
            Expr::Array(list)
            | Expr::Catalog(_, list, _)
            | Expr::SetReturning(_, list)
            | Expr::UserFunction(_, list)
            | Expr::Coalesce(list)
            | Expr::Function(_, list) => list.iter_mut().collect(),
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => operand
                .iter_mut()
                .map(|o| &mut **o)
                .chain(whens.iter_mut().flat_map(|(w, t)| [w, t]))
                .chain(otherwise.iter_mut().map(|o| &mut **o))
                .collect(),
        }
    }

    /// Splits a conjunction into its AND-ed parts.
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match self {
            Expr::Binary(BinaryOp::And, l, r) => {
                let mut parts = l.conjuncts();
                parts.extend(r.conjuncts());
                parts
            }
            other => vec![other],
        }
    }
}

/// Renders expressions for EXPLAIN: columns as `#i`, values as PostgreSQL prints them.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(v) => match (v, to_pg_text(v)) {
                (Value::Text(_), Some(s)) => write!(f, "'{s}'"),
                (_, Some(s)) => f.write_str(&s),
                (_, None) => f.write_str("NULL"),
            },
            Expr::Column(i) => write!(f, "#{i}"),
            Expr::Param(i) => write!(f, "${}", i + 1),
            Expr::Binary(op, l, r) => write!(f, "({l} {op} {r})"),
            Expr::Negate(e) => write!(f, "(-{e})"),
            Expr::Not(e) => write!(f, "(NOT {e})"),
            Expr::IsNull(e, false) => write!(f, "({e} IS NULL)"),
            Expr::IsNull(e, true) => write!(f, "({e} IS NOT NULL)"),
            Expr::InList(e, list, negated) => {
                let list: Vec<String> = list.iter().map(ToString::to_string).collect();
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({e} {not}IN ({}))", list.join(", "))
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => {
                let not = if *negated { "NOT " } else { "" };
                let op = if *case_insensitive { "ILIKE" } else { "LIKE" };
                write!(f, "({expr} {not}{op} {pattern})")
            }
            Expr::Case { .. } => f.write_str("CASE"),
            Expr::Coalesce(list) => {
                let list: Vec<String> = list.iter().map(ToString::to_string).collect();
                write!(f, "COALESCE({})", list.join(", "))
            }
            Expr::Function(func, args) => {
                let args: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{}({})",
                    format!("{func:?}").to_lowercase(),
                    args.join(", ")
                )
            }
            Expr::Cast(e, ty) => write!(f, "({e})::{ty}"),
            Expr::Domain(e, domain) => write!(f, "({e})::{}", domain.name),
            Expr::Outer { level, index } => write!(f, "outer{level}.#{index}"),
            Expr::Subquery(s) => write!(f, "{s}"),
            Expr::Regex {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => {
                let op = match (negated, case_insensitive) {
                    (false, false) => "~",
                    (false, true) => "~*",
                    (true, false) => "!~",
                    (true, true) => "!~*",
                };
                write!(f, "({expr} {op} {pattern})")
            }
            Expr::Quantified {
                left,
                op,
                array,
                all,
            } => {
                let q = if *all { "ALL" } else { "ANY" };
                write!(f, "({left} {op} {q} ({array}))")
            }
            Expr::Array(list) => {
                let list: Vec<String> = list.iter().map(ToString::to_string).collect();
                write!(f, "ARRAY[{}]", list.join(", "))
            }
            Expr::Subscript(a, i) => write!(f, "{a}[{i}]"),
            Expr::SetReturning(func, args) => {
                let args: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{}({})",
                    format!("{func:?}").to_lowercase(),
                    args.join(", ")
                )
            }
            Expr::Catalog(func, args, _) => {
                let args: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(f, "{}({})", func.name(), args.join(", "))
            }
            Expr::UserFunction(call, args) => {
                let args: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(f, "{}({})", call.name, args.join(", "))
            }
        }
    }
}

/// `left op ANY/ALL (array)`: Kleene OR (ANY) or AND (ALL) of `left op element`.
pub(crate) fn quantified(left: &Value, op: BinaryOp, array: Value, all: bool) -> Result<Value> {
    let items = match array {
        Value::Null => return Ok(Value::Null),
        Value::Array(items) => items.into_elements(),
        other => vec![other],
    };
    quantified_over(left, op, &items, all)
}

/// `left op ANY/ALL` over a list of values (an array's elements or a subquery's rows).
pub(crate) fn quantified_over(
    left: &Value,
    op: BinaryOp,
    items: &[Value],
    all: bool,
) -> Result<Value> {
    let mut result = Value::Bool(all);
    for item in items {
        let v = if left.is_null() || item.is_null() {
            Value::Null
        } else {
            binary(op, left, item)?
        };
        result = if all {
            and(result, || Ok(v))?
        } else {
            or(result, || Ok(v))?
        };
        if result == Value::Bool(!all) {
            break;
        }
    }
    Ok(result)
}

/// Kleene AND: false wins over NULL.
fn and(left: Value, right: impl FnOnce() -> Result<Value>) -> Result<Value> {
    if left == Value::Bool(false) {
        return Ok(left);
    }
    match (left, right()?) {
        (_, Value::Bool(false)) => Ok(Value::Bool(false)),
        (Value::Bool(true), Value::Bool(true)) => Ok(Value::Bool(true)),
        _ => Ok(Value::Null),
    }
}

/// Kleene OR: true wins over NULL.
fn or(left: Value, right: impl FnOnce() -> Result<Value>) -> Result<Value> {
    if left == Value::Bool(true) {
        return Ok(left);
    }
    match (left, right()?) {
        (_, Value::Bool(true)) => Ok(Value::Bool(true)),
        (Value::Bool(false), Value::Bool(false)) => Ok(Value::Bool(false)),
        _ => Ok(Value::Null),
    }
}

/// Compares two non-NULL values of compatible types.
pub(super) fn compare(l: &Value, r: &Value) -> Ordering {
    // A float against a numeric compares as floats (numeric converts to double precision
    // implicitly, not the reverse), so NaN and the infinities order as floats do.
    match (l, r) {
        (Value::Float4(_) | Value::Float8(_), _) | (_, Value::Float4(_) | Value::Float8(_)) => {
            match (as_f64(l), as_f64(r)) {
                (Some(a), Some(b)) => Value::Float8(a).sql_cmp(&Value::Float8(b)),
                _ => l.sql_cmp(r),
            }
        }
        (Value::Numeric(_), _) | (_, Value::Numeric(_)) => match (as_numeric(l), as_numeric(r)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => l.sql_cmp(r),
        },
        _ => l.sql_cmp(r),
    }
}

fn binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    let ord = || compare(l, r);
    Ok(match op {
        BinaryOp::Eq => Value::Bool(ord() == Ordering::Equal),
        BinaryOp::NotEq => Value::Bool(ord() != Ordering::Equal),
        BinaryOp::Lt => Value::Bool(ord() == Ordering::Less),
        BinaryOp::LtEq => Value::Bool(ord() != Ordering::Greater),
        BinaryOp::Gt => Value::Bool(ord() == Ordering::Greater),
        BinaryOp::GtEq => Value::Bool(ord() != Ordering::Less),
        BinaryOp::Concat => Value::Text(format!("{}{}", as_text(l)?, as_text(r)?)),
        BinaryOp::And | BinaryOp::Or => unreachable_op()?,
        _ => match temporal_or_container_op(op, l, r) {
            Some(result) => result?,
            None => arithmetic(op, l, r)?,
        },
    })
}

/// A value as `||` sees it: its cast to text (`true`, not `t`).
fn as_text(v: &Value) -> Result<String> {
    match cast(v.clone(), &Type::Text)? {
        Value::Text(s) => Ok(s),
        _ => Ok(to_pg_text(v).unwrap_or_default()),
    }
}

fn unreachable_op() -> Result<Value> {
    Err(Error::invalid(
        "XX000",
        "internal error: unexpected operator",
    ))
}

fn as_f64(v: &Value) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    Some(match v {
        Value::Int2(n) => f64::from(*n),
        Value::Int4(n) => f64::from(*n),
        Value::Int8(n) => *n as f64,
        Value::Float4(f) => f64::from(*f),
        Value::Float8(f) => *f,
        Value::Numeric(n) => match cast(Value::Numeric(n.clone()), &Type::Float8).ok()? {
            Value::Float8(f) => f,
            _ => return None,
        },
        _ => return None,
    })
}

fn as_numeric(v: &Value) -> Option<Numeric> {
    Some(match v {
        Value::Int2(n) => Numeric::Finite(BigDecimal::from(*n)),
        Value::Int4(n) => Numeric::Finite(BigDecimal::from(*n)),
        Value::Int8(n) => Numeric::Finite(BigDecimal::from(*n)),
        Value::Numeric(n) => n.clone(),
        _ => return None,
    })
}

pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(n) => Some(i64::from(*n)),
        Value::Int4(n) => Some(i64::from(*n)),
        Value::Int8(n) => Some(*n),
        _ => None,
    }
}

/// Arithmetic on the wider of the two operand types, with PostgreSQL's overflow errors.
fn arithmetic(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    use Value::{Float4, Float8, Int2, Int4, Int8};
    match (l, r) {
        (Float8(_), _)
        | (_, Float8(_))
        | (Float4(_), Value::Numeric(_))
        | (Value::Numeric(_), Float4(_)) => float_op(op, as_f64(l), as_f64(r), false),
        (Float4(_), _) | (_, Float4(_)) => float_op(op, as_f64(l), as_f64(r), true),
        (Value::Numeric(_), _) | (_, Value::Numeric(_)) => {
            numeric_op(op, as_numeric(l), as_numeric(r))
        }
        (Int8(_), _) | (_, Int8(_)) => int_op(op, as_i64(l), as_i64(r), "bigint").map(Int8),
        (Int4(_), _) | (_, Int4(_)) => int_op(op, as_i64(l), as_i64(r), "integer")
            .and_then(|n| i32::try_from(n).map_err(|_| out_of_range("integer")))
            .map(Int4),
        (Int2(_), Int2(_)) => int_op(op, as_i64(l), as_i64(r), "smallint")
            .and_then(|n| i16::try_from(n).map_err(|_| out_of_range("smallint")))
            .map(Int2),
        _ => Err(Error::undefined_function(format!(
            "operator does not exist: {op} on {l:?} and {r:?}"
        ))),
    }
}

pub(super) fn out_of_range(name: &str) -> Error {
    Error::OutOfRange(format!("{name} out of range"))
}

fn int_op(op: BinaryOp, l: Option<i64>, r: Option<i64>, name: &str) -> Result<i64> {
    let (Some(a), Some(b)) = (l, r) else {
        return Err(Error::mismatch("integer operands expected"));
    };
    let result = match op {
        BinaryOp::Add => a.checked_add(b),
        BinaryOp::Sub => a.checked_sub(b),
        BinaryOp::Mul => a.checked_mul(b),
        BinaryOp::Div if b == 0 => return Err(Error::DivisionByZero),
        BinaryOp::Div => a.checked_div(b),
        BinaryOp::Mod if b == 0 => return Err(Error::DivisionByZero),
        BinaryOp::Mod => Some(a.checked_rem(b).unwrap_or(0)),
        _ => None,
    };
    result.ok_or_else(|| out_of_range(name))
}

fn float_op(op: BinaryOp, l: Option<f64>, r: Option<f64>, single: bool) -> Result<Value> {
    let (Some(a), Some(b)) = (l, r) else {
        return Err(Error::mismatch("numeric operands expected"));
    };
    if op == BinaryOp::Mod {
        return Err(Error::undefined_function(
            "operator does not exist: double precision % double precision",
        ));
    }
    if op == BinaryOp::Div && b == 0.0 && !a.is_nan() {
        return Err(Error::DivisionByZero);
    }
    // A real is computed in single precision, as PostgreSQL's float4 operators do.
    #[allow(clippy::cast_possible_truncation)]
    let result = if single {
        let (a, b) = (a as f32, b as f32);
        f64::from(match op {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            _ => return unreachable_op(),
        })
    } else {
        match op {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            _ => return unreachable_op(),
        }
    };
    // PostgreSQL's checks: an infinite result of finite operands overflowed; a zero product
    // of nonzero factors, or a zero quotient of a nonzero dividend by a finite divisor,
    // underflowed.
    if result.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(Error::OutOfRange("value out of range: overflow".into()));
    }
    let underflow = result == 0.0
        && match op {
            BinaryOp::Mul => a != 0.0 && b != 0.0,
            BinaryOp::Div => a != 0.0 && b.is_finite(),
            _ => false,
        };
    if underflow {
        return Err(Error::OutOfRange("value out of range: underflow".into()));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(if single {
        Value::Float4(result as f32)
    } else {
        Value::Float8(result)
    })
}

/// `a op b` on numerics, as the SQL operators compute it (the jsonpath arithmetic uses it).
pub(crate) fn numeric_binary(op: BinaryOp, a: Numeric, b: Numeric) -> Result<Numeric> {
    match numeric_op(op, Some(a), Some(b))? {
        Value::Numeric(n) => Ok(n),
        _ => Err(Error::mismatch("numeric operands expected")),
    }
}

fn numeric_op(op: BinaryOp, l: Option<Numeric>, r: Option<Numeric>) -> Result<Value> {
    let (Some(Numeric::Finite(a)), Some(Numeric::Finite(b))) = (&l, &r) else {
        return match (l, r) {
            (Some(a), Some(b)) => functions::special_numeric(op, &a, &b).map(Value::Numeric),
            _ => Err(Error::mismatch("numeric operands expected")),
        };
    };
    let (a, b) = (a.clone(), b.clone());
    let result = match op {
        BinaryOp::Mul => {
            // PostgreSQL's product scale is the sum of the operands' (bigdecimal returns the
            // other operand unchanged when one is 1).
            let scale = a.as_bigint_and_scale().1.max(0) + b.as_bigint_and_scale().1.max(0);
            (a * b).with_scale(scale)
        }
        BinaryOp::Add | BinaryOp::Sub => {
            let scale = a
                .as_bigint_and_scale()
                .1
                .max(b.as_bigint_and_scale().1)
                .max(0);
            let r = if op == BinaryOp::Add { a + b } else { a - b };
            r.with_scale(scale)
        }
        BinaryOp::Div | BinaryOp::Mod if b.is_zero() => return Err(Error::DivisionByZero),
        BinaryOp::Div => numeric_div(&a, &b),
        BinaryOp::Mod => a % b,
        _ => return unreachable_op(),
    };
    Ok(Value::Numeric(Numeric::Finite(result)))
}

/// PostgreSQL's numeric division scale (`select_div_scale`): at least 16 significant digits
/// (counted from the base-10000 weights and first digit groups of the operands), and no less
/// than either operand's display scale.
pub(crate) fn numeric_div(a: &BigDecimal, b: &BigDecimal) -> BigDecimal {
    let (w1, f1) = nbase_weight(a);
    let (w2, f2) = nbase_weight(b);
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let (_, sa) = a.as_bigint_and_scale();
    let (_, sb) = b.as_bigint_and_scale();
    let scale = (16 - qweight * 4).max(sa).max(sb).clamp(0, 1000);
    (a / b).with_scale_round(scale, RoundingMode::HalfUp)
}

/// The weight of the first non-zero base-10000 digit of `d` and that digit's value.
fn nbase_weight(d: &BigDecimal) -> (i64, u32) {
    let (int, scale) = d.as_bigint_and_scale();
    let digits = int.magnitude().to_string();
    if digits == "0" {
        return (0, 0);
    }
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let e10 = len - scale - 1;
    let weight = e10.div_euclid(4);
    let lead = usize::try_from(e10 - weight * 4 + 1).unwrap_or(1);
    let first = format!("{:0<lead$}", &digits[..lead.min(digits.len())]);
    (weight, first.parse().unwrap_or(0))
}

pub(super) fn negate(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int2(n) => Value::Int2(n.checked_neg().ok_or_else(|| out_of_range("smallint"))?),
        Value::Int4(n) => Value::Int4(n.checked_neg().ok_or_else(|| out_of_range("integer"))?),
        Value::Int8(n) => Value::Int8(n.checked_neg().ok_or_else(|| out_of_range("bigint"))?),
        Value::Float4(f) => Value::Float4(-f),
        Value::Float8(f) => Value::Float8(-f),
        Value::Numeric(Numeric::Finite(d)) => Value::Numeric(Numeric::Finite(-d)),
        Value::Numeric(Numeric::Infinity) => Value::Numeric(Numeric::NegInfinity),
        Value::Numeric(Numeric::NegInfinity) => Value::Numeric(Numeric::Infinity),
        Value::Numeric(Numeric::NaN) => Value::Numeric(Numeric::NaN),
        Value::Interval(iv) => Value::Interval(crate::types::interval::negate(&iv)?),
        other => {
            return Err(Error::undefined_function(format!(
                "operator does not exist: - {other:?}"
            )))
        }
    })
}

/// `x IN (list)`: true if any element equals x; else NULL if x or any element is NULL.
fn in_list(v: &Value, list: &[Expr], negated: bool, row: &[Value]) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for e in list {
        let item = e.eval(row)?;
        if item.is_null() {
            saw_null = true;
        } else if compare(v, &item) == Ordering::Equal {
            return Ok(Value::Bool(!negated));
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(negated)
    })
}

fn like(v: Value, pattern: Value, negated: bool, case_insensitive: bool) -> Result<Value> {
    let (Value::Text(s), Value::Text(p)) = (v, pattern) else {
        return Ok(Value::Null);
    };
    let (s, p) = if case_insensitive {
        (s.to_lowercase(), p.to_lowercase())
    } else {
        (s, p)
    };
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = p.chars().collect();
    Ok(Value::Bool(like_match(&s, &p)? != negated))
}

/// One element of a LIKE pattern.
#[derive(Clone, Copy, PartialEq)]
enum LikeToken {
    /// `%`: any run of characters.
    Any,
    /// `_`: one character.
    One,
    Char(char),
}

/// LIKE matching with `%`, `_` and the default escape `\`: the greedy wildcard algorithm that
/// backtracks only to the last `%`, so it takes O(len(s) × len(p)) at worst.
fn like_match(s: &[char], p: &[char]) -> Result<bool> {
    let mut tokens = Vec::new();
    let mut chars = p.iter();
    while let Some(&c) = chars.next() {
        tokens.push(match c {
            '%' => LikeToken::Any,
            '_' => LikeToken::One,
            '\\' => match chars.next() {
                Some(&e) => LikeToken::Char(e),
                None => {
                    return Err(Error::invalid(
                        "22025",
                        "LIKE pattern must not end with escape character",
                    ))
                }
            },
            c => LikeToken::Char(c),
        });
    }
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match tokens.get(pi) {
            Some(LikeToken::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(LikeToken::One) => {
                si += 1;
                pi += 1;
            }
            Some(LikeToken::Char(c)) if *c == s[si] => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(tokens[pi..].iter().all(|t| *t == LikeToken::Any))
}

fn case(
    operand: Option<&Expr>,
    whens: &[(Expr, Expr)],
    otherwise: Option<&Expr>,
    row: &[Value],
) -> Result<Value> {
    let operand = operand.map(|o| o.eval(row)).transpose()?;
    for (when, then) in whens {
        let w = when.eval(row)?;
        let hit = match &operand {
            Some(o) => !o.is_null() && !w.is_null() && compare(o, &w) == Ordering::Equal,
            None => w == Value::Bool(true),
        };
        if hit {
            return then.eval(row);
        }
    }
    otherwise.map_or(Ok(Value::Null), |o| o.eval(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(v: Value) -> Box<Expr> {
        Box::new(Expr::Literal(v))
    }

    #[test]
    fn three_valued_logic() {
        let and = Expr::Binary(BinaryOp::And, lit(Value::Null), lit(Value::Bool(false)));
        assert_eq!(and.eval(&[]).unwrap(), Value::Bool(false));
        let or = Expr::Binary(BinaryOp::Or, lit(Value::Null), lit(Value::Bool(false)));
        assert_eq!(or.eval(&[]).unwrap(), Value::Null);
        let in_list = Expr::InList(lit(Value::Int4(1)), vec![Expr::Literal(Value::Null)], true);
        assert_eq!(in_list.eval(&[]).unwrap(), Value::Null);
    }

    #[test]
    fn overflow_and_division_errors() {
        let add = Expr::Binary(
            BinaryOp::Add,
            lit(Value::Int4(i32::MAX)),
            lit(Value::Int4(1)),
        );
        assert_eq!(add.eval(&[]).unwrap_err().sqlstate(), "22003");
        let div = Expr::Binary(BinaryOp::Div, lit(Value::Int4(1)), lit(Value::Int4(0)));
        assert_eq!(div.eval(&[]).unwrap_err().sqlstate(), "22012");
    }
}
