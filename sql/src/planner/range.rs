//! Binding range operators and functions: `@>`, `<@`, `&&`, `<<`, `>>`, `+`, `*`, `-` and the
//! comparisons when an operand is a range; `lower`, `upper`, `isempty`, `lower_inc`,
//! `upper_inc`, `lower_inf`, `upper_inf`, `range_merge` and `range_adjacent` / `range_overleft`
//! / `range_overright` (the functions behind `-|-`, `&<`, `&>`) of ranges; and the constructors
//! `int4range(lower, upper [, bounds])` and the like. Each binds to a
//! [`Builtin::Range`](crate::expr::functions::Builtin) of the range's kind.

use sqlparser::ast;
use vdb_engine::value::{RangeKind, Type};

use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Builtin, Expr, Function};
use crate::planner::expr::Typed;
use crate::types::range::{kind_named, subtype, RangeFunction};
use crate::types::type_name;

fn kind_of(t: &Typed) -> Option<RangeKind> {
    match &t.ty {
        Some(Type::Range(kind)) => Some(*kind),
        _ => None,
    }
}

fn call(f: RangeFunction, kind: RangeKind, args: Vec<Expr>, ty: Type) -> Typed {
    Typed::new(
        Expr::Function(Function::Builtin(Builtin::Range(f, kind)), args),
        ty,
    )
}

/// `l op r` when either side is a range; `None` for an operator ranges do not have (or no
/// range operand), which binds as usual.
pub fn operator(
    l: Typed,
    op: &ast::BinaryOperator,
    r: Typed,
) -> Result<Result<Typed, (Typed, Typed)>> {
    use ast::BinaryOperator as B;
    use RangeFunction as F;
    let Some(kind) = kind_of(&l).or_else(|| kind_of(&r)) else {
        return Ok(Err((l, r)));
    };
    let range = Type::Range(kind);
    let (f, swap) = match op {
        B::AtArrow if r.ty.is_some() && kind_of(&r).is_none() => {
            // range @> element.
            let element = r.coerce(&subtype(kind), "@>")?;
            return Ok(Ok(call(
                F::ContainsValue,
                kind,
                vec![l.coerce(&range, "@>")?, element],
                Type::Bool,
            )));
        }
        B::ArrowAt if l.ty.is_some() && kind_of(&l).is_none() => {
            // element <@ range.
            let element = l.coerce(&subtype(kind), "<@")?;
            return Ok(Ok(call(
                F::ContainsValue,
                kind,
                vec![r.coerce(&range, "<@")?, element],
                Type::Bool,
            )));
        }
        B::AtArrow => (F::Contains, false),
        B::ArrowAt => (F::Contains, true),
        B::PGOverlap => (F::Overlaps, false),
        B::PGBitwiseShiftLeft => (F::LeftOf, false),
        B::PGBitwiseShiftRight => (F::RightOf, false),
        B::Plus => (F::Union, false),
        B::Multiply => (F::Intersect, false),
        B::Minus => (F::Minus, false),
        B::Eq => (F::Compare(BinaryOp::Eq), false),
        B::NotEq => (F::Compare(BinaryOp::NotEq), false),
        B::Lt => (F::Compare(BinaryOp::Lt), false),
        B::LtEq => (F::Compare(BinaryOp::LtEq), false),
        B::Gt => (F::Compare(BinaryOp::Gt), false),
        B::GtEq => (F::Compare(BinaryOp::GtEq), false),
        _ => return Ok(Err((l, r))),
    };
    for side in [&l, &r] {
        if let Some(ty) = &side.ty {
            if *ty != range {
                return Err(Error::undefined_function(format!(
                    "operator does not exist: {} {op} {}",
                    type_name(&l.ty.clone().unwrap_or(Type::Text)),
                    type_name(&r.ty.clone().unwrap_or(Type::Text))
                )));
            }
        }
    }
    let (a, b) = (l.coerce(&range, "")?, r.coerce(&range, "")?);
    let args = if swap { vec![b, a] } else { vec![a, b] };
    let ty = if matches!(f, F::Union | F::Intersect | F::Minus) {
        range
    } else {
        Type::Bool
    };
    Ok(Ok(call(f, kind, args, ty)))
}

/// Whether `name(args)` is a range function this module binds.
pub fn handles(name: &str, args: &[Typed]) -> bool {
    kind_named(name).is_some()
        || (matches!(
            name,
            "lower"
                | "upper"
                | "isempty"
                | "lower_inc"
                | "upper_inc"
                | "lower_inf"
                | "upper_inf"
                | "range_merge"
                | "range_adjacent"
                | "range_overleft"
                | "range_overright"
        ) && args.first().and_then(kind_of).is_some())
}

/// Binds a range function ([`handles`] said yes).
pub fn function(name: &str, args: Vec<Typed>) -> Result<Typed> {
    use RangeFunction as F;
    if let Some(kind) = kind_named(name) {
        if !(2..=3).contains(&args.len()) {
            return Err(Error::undefined_function(format!(
                "function {name} with {} arguments does not exist",
                args.len()
            )));
        }
        let element = subtype(kind);
        let mut bound = Vec::new();
        for (i, a) in args.into_iter().enumerate() {
            bound.push(if i < 2 {
                a.coerce(&element, name)?
            } else {
                a.coerce(&Type::Text, name)?
            });
        }
        return Ok(call(F::Construct, kind, bound, Type::Range(kind)));
    }
    let kind = args
        .first()
        .and_then(kind_of)
        .ok_or_else(|| Error::undefined_function(format!("function {name} does not exist")))?;
    let range = Type::Range(kind);
    let (f, ty) = match name {
        "lower" => (F::Lower, subtype(kind)),
        "upper" => (F::Upper, subtype(kind)),
        "isempty" => (F::IsEmpty, Type::Bool),
        "lower_inc" => (F::LowerInc, Type::Bool),
        "upper_inc" => (F::UpperInc, Type::Bool),
        "lower_inf" => (F::LowerInf, Type::Bool),
        "upper_inf" => (F::UpperInf, Type::Bool),
        // The functions behind `-|-`, `&<` and `&>`, which sqlparser does not read.
        "range_adjacent" => (F::Adjacent, Type::Bool),
        "range_overleft" => (F::OverLeft, Type::Bool),
        "range_overright" => (F::OverRight, Type::Bool),
        _ => (F::Merge, range.clone()),
    };
    let expected = if matches!(f, F::Merge | F::Adjacent | F::OverLeft | F::OverRight) {
        2
    } else {
        1
    };
    if args.len() != expected {
        return Err(Error::undefined_function(format!(
            "function {name} with {} arguments does not exist",
            args.len()
        )));
    }
    let bound = args
        .into_iter()
        .map(|a| a.coerce(&range, name))
        .collect::<Result<Vec<_>>>()?;
    Ok(call(f, kind, bound, ty))
}
