//! How PostgreSQL prints a CHECK constraint (`pg_get_constraintdef`, psql's `\d`, SQLAlchemy's
//! reflection, information_schema.check_constraints). vdb stores the constraint as the SQL
//! text it was given; PostgreSQL prints the expression its parser analysed, with the implicit
//! casts it added and the operators it chose, so the text is analysed the same way here:
//!
//! - a string literal takes the type of what it meets (`'x'::text`, `'2020-01-01'::date`), an
//!   integer the type the operator needs (`(1)::numeric`, `1::numeric` when pretty);
//! - `varchar` operands become `text` (`(v)::text`): PostgreSQL has no varchar operators;
//! - `IN (...)` prints as `= ANY (ARRAY[...])`, BETWEEN as two comparisons, LIKE as `~~`;
//! - without `pretty` every operator is parenthesized; with it (psql's `\d`), only where
//!   precedence needs it, by the rules of PostgreSQL's `isSimpleNode` (ruleutils.c).
//!
//! An expression outside what is modelled here (a subquery, CASE, COLLATE, TRIM with characters
//! or LEADING / TRAILING, a function or an operator between types not resolved here) keeps its
//! stored text.

use sqlparser::ast::{self, Expr as E, UnaryOperator};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::table::Schema;
use vdb_engine::value::{Type, Value};

use super::deparse::cast_name;
use super::objects::quote_ident;
use crate::planner::ident_name;
use crate::types::{cast, number_literal, to_pg_text};

/// The `pg_get_constraintdef` text of a CHECK constraint over `schema` whose expression is
/// `text`: `CHECK (...)`, pretty-printed when `pretty` is set.
pub fn check_definition(text: &str, schema: &Schema, pretty: bool) -> String {
    let node = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .ok()
        .and_then(|expr| analyse(&expr, schema))
        .filter(|typed| typed.ty == Some(Type::Bool));
    match node {
        Some(typed) => format!("CHECK ({})", print(&typed.node, pretty)),
        None => format!("CHECK ({text})"),
    }
}

/// How PostgreSQL prints an expression over `schema` stored as `text` (an index expression or
/// predicate), pretty-printed when `pretty` is set; None when it is outside what is modelled.
pub fn expression_text(text: &str, schema: &Schema, pretty: bool) -> Option<String> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .ok()
        .and_then(|expr| analyse(&expr, schema))
        .map(|typed| print(&typed.node, pretty))
}

/// The attribute numbers of the columns a CHECK condition reads, in the order they first
/// appear (`pg_constraint.conkey` of a check constraint).
pub fn check_columns(text: &str, schema: &Schema) -> Vec<i16> {
    use sqlparser::ast::Visit;
    use std::ops::ControlFlow;

    struct Columns<'a> {
        schema: &'a Schema,
        found: Vec<i16>,
    }
    impl ast::Visitor for Columns<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &E) -> ControlFlow<()> {
            let name = match expr {
                E::Identifier(i) => ident_name(i),
                E::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
                _ => return ControlFlow::Continue(()),
            };
            let position = self.schema.columns.iter().position(|c| c.name == name);
            if let Some(attnum) = position.and_then(|p| i16::try_from(p + 1).ok()) {
                if !self.found.contains(&attnum) {
                    self.found.push(attnum);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let Ok(expr) = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
    else {
        return Vec::new();
    };
    let mut columns = Columns {
        schema,
        found: Vec::new(),
    };
    let _ = expr.visit(&mut columns);
    columns.found
}

/// An expression as PostgreSQL's parser leaves it, reduced to what its printing depends on.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Var(String),
    /// A constant as `get_const_expr` prints it: its text, and the type label it needs.
    Const {
        text: String,
        label: Option<String>,
    },
    /// A string literal whose type is not settled yet.
    Unknown(String),
    Op {
        op: String,
        left: Box<Node>,
        right: Box<Node>,
    },
    Prefix {
        op: String,
        arg: Box<Node>,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// `arg IS NULL`, `arg IS TRUE`, `arg IS DISTINCT FROM right` and their negations.
    Test {
        arg: Box<Node>,
        test: &'static str,
        right: Option<Box<Node>>,
    },
    /// `left op ANY (array)`, or ALL.
    ArrayOp {
        left: Box<Node>,
        op: String,
        all: bool,
        array: Box<Node>,
    },
    Array(Vec<Node>),
    Func {
        name: String,
        args: Vec<Node>,
    },
    /// `TRIM(BOTH FROM arg)`: btrim of one argument, printed in its SQL syntax.
    Trim(Box<Node>),
    Cast {
        arg: Box<Node>,
        ty: String,
        /// A conversion function (int4 to numeric) prints like a function call; a relabelling
        /// or an explicit cast is as simple as its argument.
        function: bool,
    },
}

/// An analysed expression and its type (`None` for a string literal not yet typed).
#[derive(Clone, Debug)]
struct Typed {
    node: Node,
    ty: Option<Type>,
}

impl Typed {
    fn new(node: Node, ty: Type) -> Typed {
        Typed { node, ty: Some(ty) }
    }
}

fn analyse(expr: &E, schema: &Schema) -> Option<Typed> {
    match expr {
        E::Identifier(id) => column(schema, &ident_name(id)),
        E::CompoundIdentifier(parts) => column(schema, &ident_name(parts.last()?)),
        E::Nested(inner) => analyse(inner, schema),
        E::Value(ast::Value::Number(text, _)) => number(text),
        E::Value(ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s)) => {
            Some(Typed {
                node: Node::Unknown(s.clone()),
                ty: None,
            })
        }
        E::Value(ast::Value::Boolean(b)) => Some(Typed::new(boolean(*b), Type::Bool)),
        E::UnaryOp { op, expr } => match (op, expr.as_ref()) {
            (UnaryOperator::Minus, E::Value(ast::Value::Number(text, _))) => {
                let positive = number(text)?;
                let ty = positive.ty?;
                let value = cast(Value::Text(format!("-{text}")), &ty).ok()?;
                Some(Typed::new(constant(&value, &ty)?, ty))
            }
            (UnaryOperator::Minus, inner) => {
                let arg = analyse(inner, schema)?;
                let ty = arg.ty.clone().filter(|t| family(t) != Family::Other)?;
                Some(Typed::new(
                    Node::Prefix {
                        op: "-".into(),
                        arg: Box::new(arg.node),
                    },
                    ty,
                ))
            }
            (UnaryOperator::Not, inner) => {
                let arg = condition(analyse(inner, schema)?)?;
                Some(Typed::new(Node::Not(Box::new(arg)), Type::Bool))
            }
            _ => None,
        },
        E::BinaryOp { left, op, right } => match op {
            ast::BinaryOperator::And | ast::BinaryOperator::Or => {
                let and = *op == ast::BinaryOperator::And;
                let left = condition(analyse(left, schema)?)?;
                let right = condition(analyse(right, schema)?)?;
                // The parser appends to a left operand of the same kind: `a AND b AND c` is one
                // three-argument AND.
                let mut args = match left {
                    Node::And(args) if and => args,
                    Node::Or(args) if !and => args,
                    other => vec![other],
                };
                args.push(right);
                let node = if and { Node::And(args) } else { Node::Or(args) };
                Some(Typed::new(node, Type::Bool))
            }
            other => binary(
                &other.to_string(),
                analyse(left, schema)?,
                analyse(right, schema)?,
            ),
        },
        E::IsNull(arg) => test(analyse(arg, schema)?, "IS NULL"),
        E::IsNotNull(arg) => test(analyse(arg, schema)?, "IS NOT NULL"),
        E::IsTrue(arg) => bool_test(analyse(arg, schema)?, "IS TRUE"),
        E::IsNotTrue(arg) => bool_test(analyse(arg, schema)?, "IS NOT TRUE"),
        E::IsFalse(arg) => bool_test(analyse(arg, schema)?, "IS FALSE"),
        E::IsNotFalse(arg) => bool_test(analyse(arg, schema)?, "IS NOT FALSE"),
        E::IsUnknown(arg) => bool_test(analyse(arg, schema)?, "IS UNKNOWN"),
        E::IsNotUnknown(arg) => bool_test(analyse(arg, schema)?, "IS NOT UNKNOWN"),
        E::IsDistinctFrom(a, b) => distinct(analyse(a, schema)?, analyse(b, schema)?, false),
        E::IsNotDistinctFrom(a, b) => distinct(analyse(a, schema)?, analyse(b, schema)?, true),
        E::InList {
            expr,
            list,
            negated,
        } => in_list(expr, list, *negated, schema),
        E::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let value = analyse(expr, schema)?;
            let (low, high) = (analyse(low, schema)?, analyse(high, schema)?);
            let (below, above) = if *negated { ("<", ">") } else { (">=", "<=") };
            let args = vec![
                binary(below, value.clone(), low)?.node,
                binary(above, value, high)?.node,
            ];
            let node = if *negated {
                Node::Or(args)
            } else {
                Node::And(args)
            };
            Some(Typed::new(node, Type::Bool))
        }
        E::Like {
            negated,
            any: false,
            expr: value,
            pattern,
            escape_char: None,
        }
        | E::ILike {
            negated,
            any: false,
            expr: value,
            pattern,
            escape_char: None,
        } => {
            let op = match (matches!(expr, E::ILike { .. }), *negated) {
                (false, false) => "~~",
                (false, true) => "!~~",
                (true, false) => "~~*",
                (true, true) => "!~~*",
            };
            binary(op, analyse(value, schema)?, analyse(pattern, schema)?)
        }
        E::Cast {
            kind: ast::CastKind::Cast | ast::CastKind::DoubleColon,
            expr,
            data_type,
            format: None,
        } => explicit_cast(analyse(expr, schema)?, data_type),
        E::Function(function) => call(function, schema),
        E::Trim {
            expr: value,
            trim_where: None | Some(ast::TrimWhereField::Both),
            trim_what: None,
            trim_characters: None,
        } => {
            // The SQL syntax shows its argument without the cast to text.
            let value = analyse(value, schema)?;
            let arg = match value.ty {
                Some(Type::Text | Type::Varchar(_) | Type::Char(_)) => value.node,
                _ => text(value)?,
            };
            Some(Typed::new(Node::Trim(Box::new(arg)), Type::Text))
        }
        E::AnyOp {
            left,
            compare_op,
            right,
            is_some: _,
        } => quantified(left, compare_op, right, false, schema),
        E::AllOp {
            left,
            compare_op,
            right,
        } => quantified(left, compare_op, right, true, schema),
        _ => None,
    }
}

fn column(schema: &Schema, name: &str) -> Option<Typed> {
    let column = schema.get_column(name)?;
    Some(Typed::new(
        Node::Var(quote_ident(&column.name)),
        column.ty.clone(),
    ))
}

fn boolean(b: bool) -> Node {
    Node::Const {
        text: if b { "true" } else { "false" }.into(),
        label: None,
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// An unsigned number literal: int4, int8 or numeric by its size and form. A minus sign in
/// front is folded into the constant, as PostgreSQL's grammar folds it.
fn number(text: &str) -> Option<Typed> {
    let value = number_literal(text).ok()?;
    let ty = crate::types::value_type(&value)?;
    Some(Typed::new(constant(&value, &ty)?, ty))
}

/// A constant of type `ty` as `get_const_expr` prints it: an integer or a decimal number
/// bare unless negative, a boolean as a keyword, anything else quoted with its type.
fn constant(value: &Value, ty: &Type) -> Option<Node> {
    let text = to_pg_text(value)?;
    let bare = match ty {
        Type::Bool => return Some(boolean(text == "true" || text == "t")),
        Type::Int4 => !text.starts_with('-'),
        Type::Numeric { .. } => {
            text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(['.', 'e', 'E'])
        }
        _ => false,
    };
    Some(if bare {
        Node::Const { text, label: None }
    } else {
        Node::Const {
            text: quoted(&text),
            label: Some(cast_name(ty)),
        }
    })
}

/// A string literal read as a constant of type `ty`.
fn settle(literal: &str, ty: &Type) -> Option<Node> {
    if let Type::Char(_) = ty {
        // Coerced to bpchar without a length, so not padded.
        return Some(Node::Const {
            text: quoted(literal),
            label: Some("bpchar".into()),
        });
    }
    let value = cast(Value::Text(literal.to_string()), ty).ok()?;
    constant(&value, ty)
}

/// A condition: a boolean expression (a string literal read as one).
fn condition(typed: Typed) -> Option<Node> {
    match typed.ty {
        Some(Type::Bool) => Some(typed.node),
        None => coerce(typed, &Type::Bool),
        Some(_) => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    Integer,
    Numeric,
    Float,
    Other,
}

fn family(ty: &Type) -> Family {
    match ty {
        Type::Int2 | Type::Int4 | Type::Int8 => Family::Integer,
        Type::Numeric { .. } => Family::Numeric,
        Type::Float4 | Type::Float8 => Family::Float,
        _ => Family::Other,
    }
}

/// Whether `a` and `b` are one type for operator resolution (numerics of any precision,
/// varchars of any length).
fn same_type(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Numeric { .. }, Type::Numeric { .. })
        | (Type::Varchar(_), Type::Varchar(_))
        | (Type::Char(_), Type::Char(_)) => true,
        _ => a == b,
    }
}

const NUMERIC: Type = Type::Numeric {
    precision_scale: None,
};

/// The type `ty` has as an operand of a built-in operator: varchar is compared as text.
fn operand(ty: Type) -> Type {
    match ty {
        Type::Varchar(_) => Type::Text,
        other => other,
    }
}

/// The types the two operands of a comparison or arithmetic operator take: integers of any
/// width meet as they are (cross-type operators exist), an integer meets numeric as numeric,
/// and a float meets any other number as double precision.
fn operand_types(left: Option<Type>, right: Option<Type>) -> Option<(Type, Type)> {
    let (a, b) = match (left, right) {
        (None, None) => return Some((Type::Text, Type::Text)),
        (None, Some(t)) | (Some(t), None) => {
            let t = operand(t);
            return Some((t.clone(), t));
        }
        (Some(a), Some(b)) => (operand(a), operand(b)),
    };
    if same_type(&a, &b) {
        return Some((a, b));
    }
    let promote = |t: Type, to: &Type| {
        if family(&t) == family(to) {
            t
        } else {
            to.clone()
        }
    };
    match (family(&a), family(&b)) {
        (Family::Integer, Family::Integer) => Some((a, b)),
        (Family::Other, _) | (_, Family::Other) => match (&a, &b) {
            (Type::Char(_), Type::Text) | (Type::Text, Type::Char(_)) => {
                Some((Type::Text, Type::Text))
            }
            // Dates and timestamps compare across types without a cast.
            (
                Type::Date | Type::Timestamp | Type::TimestampTz,
                Type::Date | Type::Timestamp | Type::TimestampTz,
            ) => Some((a, b)),
            _ => None,
        },
        (Family::Float, _) | (_, Family::Float) => {
            Some((promote(a, &Type::Float8), promote(b, &Type::Float8)))
        }
        _ => Some((promote(a, &NUMERIC), promote(b, &NUMERIC))),
    }
}

/// The type of `a op b` for an arithmetic operator on operands of types `a` and `b`.
fn arithmetic_type(a: &Type, b: &Type) -> Option<Type> {
    let rank = |t: &Type| match t {
        Type::Int2 => 0,
        Type::Int4 => 1,
        _ => 2,
    };
    match (family(a), family(b)) {
        (Family::Integer, Family::Integer) => Some(if rank(a) >= rank(b) {
            a.clone()
        } else {
            b.clone()
        }),
        (Family::Float, Family::Float) if *a == Type::Float4 && *b == Type::Float4 => {
            Some(Type::Float4)
        }
        (Family::Float, Family::Float) => Some(Type::Float8),
        (Family::Numeric, Family::Numeric) => Some(NUMERIC),
        _ => None,
    }
}

/// `typed` as a value of type `to`, with the cast PostgreSQL's parser would add.
fn coerce(typed: Typed, to: &Type) -> Option<Node> {
    let Some(from) = typed.ty else {
        let Node::Unknown(literal) = &typed.node else {
            return None;
        };
        return settle(literal, to);
    };
    if same_type(&from, to) {
        return Some(typed.node);
    }
    let function = match (&from, to) {
        (Type::Varchar(_), Type::Text) => false,
        (Type::Char(_), Type::Text) => true,
        (f, Type::Numeric { .. } | Type::Float8) if family(f) != Family::Other => true,
        _ => return None,
    };
    Some(Node::Cast {
        arg: Box::new(typed.node),
        ty: cast_name(to),
        function,
    })
}

fn binary(op: &str, left: Typed, right: Typed) -> Option<Typed> {
    let comparison = matches!(op, "=" | "<>" | "<" | "<=" | ">" | ">=");
    let arithmetic = matches!(op, "+" | "-" | "*" | "/" | "%");
    let (left, right, ty) = if comparison || arithmetic {
        let (a, b) = operand_types(left.ty.clone(), right.ty.clone())?;
        let ty = if comparison {
            Type::Bool
        } else {
            arithmetic_type(&a, &b)?
        };
        (coerce(left, &a)?, coerce(right, &b)?, ty)
    } else {
        match op {
            "||" => (text(left)?, text(right)?, Type::Text),
            "~~" | "!~~" | "~~*" | "!~~*" | "~" | "~*" | "!~" | "!~*" => {
                // bpchar has its own pattern operators; varchar is matched as text.
                let left = match left.ty {
                    Some(Type::Char(_)) => left.node,
                    _ => text(left)?,
                };
                (left, text(right)?, Type::Bool)
            }
            "?" | "->>" | "->" => {
                let json = left
                    .ty
                    .clone()
                    .filter(|t| matches!(t, Type::Jsonb | Type::Json))?;
                let key = match right.ty {
                    Some(Type::Int4) if op != "?" => right.node,
                    _ => text(right)?,
                };
                let ty = match op {
                    "?" => Type::Bool,
                    "->>" => Type::Text,
                    _ => json,
                };
                (left.node, key, ty)
            }
            _ => return None,
        }
    };
    Some(Typed::new(
        Node::Op {
            op: op.to_string(),
            left: Box::new(left),
            right: Box::new(right),
        },
        ty,
    ))
}

/// `typed` as a text operand: a literal typed text, varchar and char cast to text.
fn text(typed: Typed) -> Option<Node> {
    match &typed.ty {
        None | Some(Type::Text | Type::Varchar(_) | Type::Char(_)) => coerce(typed, &Type::Text),
        Some(_) => None,
    }
}

fn test(arg: Typed, test: &'static str) -> Option<Typed> {
    // An untyped literal's NULL test (`'x' IS NULL`) is not modelled.
    arg.ty.as_ref()?;
    Some(Typed::new(
        Node::Test {
            arg: Box::new(arg.node),
            test,
            right: None,
        },
        Type::Bool,
    ))
}

fn bool_test(arg: Typed, test: &'static str) -> Option<Typed> {
    let arg = condition(arg)?;
    Some(Typed::new(
        Node::Test {
            arg: Box::new(arg),
            test,
            right: None,
        },
        Type::Bool,
    ))
}

fn distinct(left: Typed, right: Typed, not: bool) -> Option<Typed> {
    let (a, b) = operand_types(left.ty.clone(), right.ty.clone())?;
    Some(Typed::new(
        Node::Test {
            arg: Box::new(coerce(left, &a)?),
            test: if not {
                "IS NOT DISTINCT FROM"
            } else {
                "IS DISTINCT FROM"
            },
            right: Some(Box::new(coerce(right, &b)?)),
        },
        Type::Bool,
    ))
}

/// The type two values of a list (IN, an array, COALESCE) share: the wider of two numbers,
/// text over varchar, a literal taking the other's type.
fn common_type(a: Option<Type>, b: Option<Type>) -> Option<Option<Type>> {
    let (a, b) = match (a, b) {
        (None, other) | (other, None) => return Some(other),
        (Some(a), Some(b)) => (a, b),
    };
    if same_type(&a, &b) {
        return Some(Some(a));
    }
    let ty = match (family(&a), family(&b)) {
        (Family::Integer, Family::Integer) => arithmetic_type(&a, &b)?,
        (Family::Other, _) | (_, Family::Other) => match (operand(a), operand(b)) {
            (Type::Text, Type::Text) => Type::Text,
            _ => return None,
        },
        (Family::Float, _) | (_, Family::Float) => Type::Float8,
        _ => NUMERIC,
    };
    Some(Some(ty))
}

/// `x IN (a, b)` as PostgreSQL rewrites it: `x = ANY (ARRAY[a, b])` over the list's common
/// type (`x = a` for one item; NOT IN is `<> ALL`).
fn in_list(expr: &E, list: &[E], negated: bool, schema: &Schema) -> Option<Typed> {
    let op = if negated { "<>" } else { "=" };
    let left = analyse(expr, schema)?;
    if let [item] = list {
        return binary(op, left, analyse(item, schema)?);
    }
    let items = list
        .iter()
        .map(|item| analyse(item, schema))
        .collect::<Option<Vec<_>>>()?;
    array_op(left, op, negated, items)
}

/// `left op ANY (ARRAY[items])` (ALL when `all`), over the common type of `left` and the items.
fn array_op(left: Typed, op: &str, all: bool, items: Vec<Typed>) -> Option<Typed> {
    if !matches!(op, "=" | "<>" | "<" | "<=" | ">" | ">=") {
        return None;
    }
    let mut common = left.ty.clone();
    for item in &items {
        common = common_type(common, item.ty.clone())?;
    }
    let common = common.unwrap_or(Type::Text);
    let elements = items
        .into_iter()
        .map(|item| coerce(item, &common))
        .collect::<Option<Vec<_>>>()?;
    let (left_type, element_type) = operand_types(left.ty.clone(), Some(common.clone()))?;
    let mut array = Node::Array(elements);
    if !same_type(&element_type, &common) {
        array = Node::Cast {
            arg: Box::new(array),
            ty: format!("{}[]", cast_name(&element_type)),
            function: false,
        };
    }
    Some(Typed::new(
        Node::ArrayOp {
            left: Box::new(coerce(left, &left_type)?),
            op: op.into(),
            all,
            array: Box::new(array),
        },
        Type::Bool,
    ))
}

/// `left op ANY (ARRAY[...])` or ALL, as written.
fn quantified(
    left: &E,
    op: &ast::BinaryOperator,
    right: &E,
    all: bool,
    schema: &Schema,
) -> Option<Typed> {
    let E::Array(ast::Array { elem, named: true }) = right else {
        return None;
    };
    let items = elem
        .iter()
        .map(|item| analyse(item, schema))
        .collect::<Option<Vec<_>>>()?;
    array_op(analyse(left, schema)?, &op.to_string(), all, items)
}

fn explicit_cast(typed: Typed, data_type: &ast::DataType) -> Option<Typed> {
    let to = crate::types::sql_type(data_type).ok()?;
    let node = match (&typed.ty, &typed.node) {
        (None, Node::Unknown(literal)) => settle(literal, &to)?,
        (Some(from), _) if *from == to => typed.node,
        _ => Node::Cast {
            arg: Box::new(typed.node),
            ty: match &to {
                Type::Enum(_) => cast_name(&to),
                other => other.to_string(),
            },
            function: false,
        },
    };
    Some(Typed::new(node, to))
}

/// The built-in functions a CHECK commonly calls, with the argument types they take.
fn call(function: &ast::Function, schema: &Schema) -> Option<Typed> {
    let ast::FunctionArguments::List(list) = &function.args else {
        return None;
    };
    if function.filter.is_some()
        || function.over.is_some()
        || !function.within_group.is_empty()
        || list.duplicate_treatment.is_some()
        || !list.clauses.is_empty()
        || function.name.0.len() != 1
    {
        return None;
    }
    let args = list
        .args
        .iter()
        .map(|arg| match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => analyse(e, schema),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let name = ident_name(&function.name.0[0]);
    let (args, ty) = match (name.as_str(), args.as_slice()) {
        ("length" | "char_length" | "character_length" | "octet_length", [arg]) => {
            let arg = match arg.ty {
                Some(Type::Char(_)) => arg.node.clone(),
                _ => text(arg.clone())?,
            };
            (vec![arg], Type::Int4)
        }
        (
            "lower" | "upper" | "btrim" | "ltrim" | "rtrim" | "initcap" | "md5" | "reverse",
            [arg],
        ) => (vec![text(arg.clone())?], Type::Text),
        ("abs", [arg]) if arg.ty.as_ref().is_some_and(|t| family(t) != Family::Other) => {
            (vec![arg.node.clone()], arg.ty.clone()?)
        }
        ("now", []) => (Vec::new(), Type::TimestampTz),
        ("coalesce", [_, ..]) => {
            let mut common = None;
            for arg in &args {
                common = common_type(common, arg.ty.clone())?;
            }
            let common = common.unwrap_or(Type::Text);
            let args = args
                .into_iter()
                .map(|arg| coerce(arg, &common))
                .collect::<Option<Vec<_>>>()?;
            return Some(Typed::new(
                Node::Func {
                    name: "COALESCE".into(),
                    args,
                },
                common,
            ));
        }
        _ => return None,
    };
    Some(Typed::new(Node::Func { name, args }, ty))
}

/// `node` as `get_rule_expr` prints it.
fn print(node: &Node, pretty: bool) -> String {
    let child = |c: &Node, left: bool| paren(c, node, pretty, left);
    let (text, own_parens) = match node {
        Node::Var(name) => return name.clone(),
        Node::Const { text, label } => {
            return match label {
                Some(label) => format!("{text}::{label}"),
                None => text.clone(),
            }
        }
        Node::Unknown(literal) => return quoted(literal),
        Node::Op { op, left, right } => (
            format!("{} {op} {}", child(left, true), child(right, false)),
            true,
        ),
        Node::Prefix { op, arg } => (format!("{op} {}", child(arg, true)), true),
        Node::And(args) | Node::Or(args) => {
            let joiner = if matches!(node, Node::And(_)) {
                " AND "
            } else {
                " OR "
            };
            let parts: Vec<String> = args.iter().map(|a| child(a, false)).collect();
            (parts.join(joiner), true)
        }
        Node::Not(arg) => (format!("NOT {}", child(arg, true)), true),
        Node::Test { arg, test, right } => {
            let mut text = format!("{} {test}", child(arg, true));
            if let Some(right) = right {
                text.push(' ');
                text.push_str(&child(right, false));
            }
            (text, true)
        }
        Node::ArrayOp {
            left,
            op,
            all,
            array,
        } => {
            let quantifier = if *all { "ALL" } else { "ANY" };
            let text = format!(
                "{} {op} {quantifier} ({})",
                child(left, true),
                child(array, false)
            );
            (text, true)
        }
        Node::Array(elements) => {
            let parts: Vec<String> = elements.iter().map(|e| print(e, pretty)).collect();
            return format!("ARRAY[{}]", parts.join(", "));
        }
        Node::Func { name, args } => {
            let parts: Vec<String> = args.iter().map(|a| print(a, pretty)).collect();
            return format!("{name}({})", parts.join(", "));
        }
        Node::Trim(arg) => return format!("TRIM(BOTH FROM {})", print(arg, pretty)),
        Node::Cast { arg, ty, .. } => {
            return if pretty {
                format!("{}::{ty}", child(arg, true))
            } else {
                format!("({})::{ty}", print(arg, pretty))
            };
        }
    };
    if own_parens && !pretty {
        format!("({text})")
    } else {
        text
    }
}

/// `node` printed as an operand of `parent` (`get_rule_expr_paren`): parenthesized when pretty
/// and precedence needs it.
fn paren(node: &Node, parent: &Node, pretty: bool, left: bool) -> String {
    let text = print(node, pretty);
    if pretty && !is_simple(node, parent, left) {
        format!("({text})")
    } else {
        text
    }
}

/// PostgreSQL's `isSimpleNode`: whether `node` needs no parentheses as an operand of `parent`.
fn is_simple(node: &Node, parent: &Node, left: bool) -> bool {
    // Parents whose syntax separates their operands: a function's parentheses, a boolean
    // operator (which binds looser than any other), an array's brackets.
    let separated = matches!(
        parent,
        Node::Func { .. } | Node::And(_) | Node::Or(_) | Node::Not(_) | Node::Array(_)
    );
    match node {
        Node::Var(_)
        | Node::Const { .. }
        | Node::Unknown(_)
        | Node::Func { .. }
        | Node::Trim(_)
        | Node::Array(_) => true,
        Node::Cast { function: true, .. } => true,
        Node::Cast { arg, .. } => is_simple(arg, node, true),
        Node::Op { op, .. } => match parent {
            Node::Op { op: parent_op, .. } => {
                let low = |o: &str| matches!(o, "+" | "-");
                let high = |o: &str| matches!(o, "*" | "/" | "%");
                if !(low(op) || high(op)) || !(low(parent_op) || high(parent_op)) {
                    false
                } else if high(op) && low(parent_op) {
                    true
                } else if low(op) && high(parent_op) {
                    false
                } else {
                    // Same priority: `(a - b) - c` needs none, `a - (b - c)` does.
                    left
                }
            }
            Node::Prefix { .. } => false,
            _ => separated,
        },
        Node::Prefix { .. } => {
            !matches!(parent, Node::Op { .. } | Node::Prefix { .. }) && separated
        }
        Node::Test { .. } => separated,
        Node::ArrayOp { .. } => false,
        Node::And(_) | Node::Or(_) | Node::Not(_) => match parent {
            Node::And(_) | Node::Or(_) => {
                matches!(node, Node::Not(_) | Node::And(_)) || matches!(parent, Node::Or(_))
            }
            Node::Not(_) => false,
            _ => separated,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::check_definition;
    use vdb_engine::table::Schema;
    use vdb_engine::value::Type;

    fn schema() -> Schema {
        Schema::new(
            &[
                ("i2", Type::Int2, true),
                ("i4", Type::Int4, true),
                ("i8", Type::Int8, true),
                (
                    "n",
                    Type::Numeric {
                        precision_scale: None,
                    },
                    true,
                ),
                ("f4", Type::Float4, true),
                ("f8", Type::Float8, true),
                ("t", Type::Text, true),
                ("v", Type::Varchar(Some(5)), true),
                ("c", Type::Char(3), true),
                ("b", Type::Bool, true),
                ("d", Type::Date, true),
            ],
            &[],
        )
        .unwrap()
    }

    /// Each case: the stored text, then PostgreSQL 15's `pg_get_constraintdef(oid)` and
    /// `pg_get_constraintdef(oid, true)` for a table of these columns.
    #[test]
    fn checks_print_as_postgresql_prints_them() {
        let cases = [
            ("i2 > 0", "CHECK ((i2 > 0))", "CHECK (i2 > 0)"),
            (
                "i4 > -1",
                "CHECK ((i4 > '-1'::integer))",
                "CHECK (i4 > '-1'::integer)",
            ),
            (
                "i8 > 3000000000",
                "CHECK ((i8 > '3000000000'::bigint))",
                "CHECK (i8 > '3000000000'::bigint)",
            ),
            ("n > 1", "CHECK ((n > (1)::numeric))", "CHECK (n > 1::numeric)"),
            ("n >= 1.5", "CHECK ((n >= 1.5))", "CHECK (n >= 1.5)"),
            (
                "f4 > 1",
                "CHECK ((f4 > (1)::double precision))",
                "CHECK (f4 > 1::double precision)",
            ),
            (
                "i4 > 1.5",
                "CHECK (((i4)::numeric > 1.5))",
                "CHECK (i4::numeric > 1.5)",
            ),
            ("t = 'x'", "CHECK ((t = 'x'::text))", "CHECK (t = 'x'::text)"),
            (
                "v = 'x'",
                "CHECK (((v)::text = 'x'::text))",
                "CHECK (v::text = 'x'::text)",
            ),
            ("c = 'x'", "CHECK ((c = 'x'::bpchar))", "CHECK (c = 'x'::bpchar)"),
            ("b", "CHECK (b)", "CHECK (b)"),
            ("NOT b", "CHECK ((NOT b))", "CHECK (NOT b)"),
            (
                "d > '2020-01-01'",
                "CHECK ((d > '2020-01-01'::date))",
                "CHECK (d > '2020-01-01'::date)",
            ),
            (
                "i4 IN (1, 2)",
                "CHECK ((i4 = ANY (ARRAY[1, 2])))",
                "CHECK (i4 = ANY (ARRAY[1, 2]))",
            ),
            (
                "v IN ('a', 'b')",
                "CHECK (((v)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))",
                "CHECK (v::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[]))",
            ),
            (
                "n IN (1, 2.5)",
                "CHECK ((n = ANY (ARRAY[(1)::numeric, 2.5])))",
                "CHECK (n = ANY (ARRAY[1::numeric, 2.5]))",
            ),
            ("t NOT IN ('a')", "CHECK ((t <> 'a'::text))", "CHECK (t <> 'a'::text)"),
            (
                "i4 BETWEEN 1 AND 10",
                "CHECK (((i4 >= 1) AND (i4 <= 10)))",
                "CHECK (i4 >= 1 AND i4 <= 10)",
            ),
            (
                "i4 NOT BETWEEN 1 AND 10",
                "CHECK (((i4 < 1) OR (i4 > 10)))",
                "CHECK (i4 < 1 OR i4 > 10)",
            ),
            (
                "t ILIKE 'a%'",
                "CHECK ((t ~~* 'a%'::text))",
                "CHECK (t ~~* 'a%'::text)",
            ),
            (
                "v NOT LIKE 'a%'",
                "CHECK (((v)::text !~~ 'a%'::text))",
                "CHECK (v::text !~~ 'a%'::text)",
            ),
            (
                "(i4 > 0 AND i8 > 0) OR f8 > 0",
                "CHECK ((((i4 > 0) AND (i8 > 0)) OR (f8 > (0)::double precision)))",
                "CHECK (i4 > 0 AND i8 > 0 OR f8 > 0::double precision)",
            ),
            (
                "i4 > 0 AND (i8 > 0 OR f8 > 0)",
                "CHECK (((i4 > 0) AND ((i8 > 0) OR (f8 > (0)::double precision))))",
                "CHECK (i4 > 0 AND (i8 > 0 OR f8 > 0::double precision))",
            ),
            (
                "i4 + i8 * 2 > 0",
                "CHECK (((i4 + (i8 * 2)) > 0))",
                "CHECK ((i4 + i8 * 2) > 0)",
            ),
            (
                "i4 - i8 - 1 > 0",
                "CHECK ((((i4 - i8) - 1) > 0))",
                "CHECK ((i4 - i8 - 1) > 0)",
            ),
            (
                "i4 - (i8 - 1) > 0",
                "CHECK (((i4 - (i8 - 1)) > 0))",
                "CHECK ((i4 - (i8 - 1)) > 0)",
            ),
            (
                "length(v) > 1",
                "CHECK ((length((v)::text) > 1))",
                "CHECK (length(v::text) > 1)",
            ),
            (
                "char_length(c) = 3",
                "CHECK ((char_length(c) = 3))",
                "CHECK (char_length(c) = 3)",
            ),
            (
                "coalesce(i4, 0) >= 0",
                "CHECK ((COALESCE(i4, 0) >= 0))",
                "CHECK (COALESCE(i4, 0) >= 0)",
            ),
            (
                "i4::text <> ''",
                "CHECK (((i4)::text <> ''::text))",
                "CHECK (i4::text <> ''::text)",
            ),
            (
                "(i4 + 1)::text <> ''",
                "CHECK ((((i4 + 1))::text <> ''::text))",
                "CHECK (((i4 + 1)::text) <> ''::text)",
            ),
            ("-i4 < 0", "CHECK (((- i4) < 0))", "CHECK ((- i4) < 0)"),
            (
                "trim(t) <> ''",
                "CHECK ((TRIM(BOTH FROM t) <> ''::text))",
                "CHECK (TRIM(BOTH FROM t) <> ''::text)",
            ),
            (
                "trim(v) <> ''",
                "CHECK ((TRIM(BOTH FROM v) <> ''::text))",
                "CHECK (TRIM(BOTH FROM v) <> ''::text)",
            ),
            (
                "t || 'x' <> 'x'",
                "CHECK (((t || 'x'::text) <> 'x'::text))",
                "CHECK ((t || 'x'::text) <> 'x'::text)",
            ),
            (
                "i4 IS DISTINCT FROM 3",
                "CHECK ((i4 IS DISTINCT FROM 3))",
                "CHECK (i4 IS DISTINCT FROM 3)",
            ),
            (
                "NOT (i4 > 1 AND i8 > 2)",
                "CHECK ((NOT ((i4 > 1) AND (i8 > 2))))",
                "CHECK (NOT (i4 > 1 AND i8 > 2))",
            ),
            ("NOT (i4 > 0)", "CHECK ((NOT (i4 > 0)))", "CHECK (NOT i4 > 0)"),
            (
                "i4 IN (1, 2) AND t IS NULL",
                "CHECK (((i4 = ANY (ARRAY[1, 2])) AND (t IS NULL)))",
                "CHECK ((i4 = ANY (ARRAY[1, 2])) AND t IS NULL)",
            ),
            (
                "abs(i4 - 1) > 0",
                "CHECK ((abs((i4 - 1)) > 0))",
                "CHECK (abs(i4 - 1) > 0)",
            ),
            (
                "(i4 > 0) IS TRUE",
                "CHECK (((i4 > 0) IS TRUE))",
                "CHECK ((i4 > 0) IS TRUE)",
            ),
            (
                "i4 > 1e3",
                "CHECK (((i4)::numeric > '1000'::numeric))",
                "CHECK (i4::numeric > '1000'::numeric)",
            ),
            (
                "i4 >= 0 AND i4 < 10 AND i8 > 0",
                "CHECK (((i4 >= 0) AND (i4 < 10) AND (i8 > 0)))",
                "CHECK (i4 >= 0 AND i4 < 10 AND i8 > 0)",
            ),
            (
                "i4 <> ALL (ARRAY[1, 2])",
                "CHECK ((i4 <> ALL (ARRAY[1, 2])))",
                "CHECK (i4 <> ALL (ARRAY[1, 2]))",
            ),
            ("d < now()", "CHECK ((d < now()))", "CHECK (d < now())"),
            (
                "t ~ '^[a-z]+$'",
                "CHECK ((t ~ '^[a-z]+$'::text))",
                "CHECK (t ~ '^[a-z]+$'::text)",
            ),
        ];
        let schema = schema();
        for (text, plain, pretty) in cases {
            assert_eq!(check_definition(text, &schema, false), plain, "{text}");
            assert_eq!(check_definition(text, &schema, true), pretty, "{text}");
        }
    }

    #[test]
    fn what_is_not_modelled_keeps_its_text() {
        let schema = schema();
        for text in [
            "CASE WHEN b THEN i4 > 0 ELSE true END",
            "t > 'a' COLLATE \"C\"",
            "unknown_function(i4)",
            "d > 5",
        ] {
            assert_eq!(
                check_definition(text, &schema, false),
                format!("CHECK ({text})")
            );
        }
    }
}
