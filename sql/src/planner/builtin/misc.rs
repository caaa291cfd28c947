//! Binding of the scalar functions of no family (evaluated by
//! `expr/functions/{misc,volatile}.rs`): num_nulls / num_nonnulls over any arguments,
//! scale / min_scale / trim_scale, setseed, parse_ident, pg_size_bytes, pg_column_size, and
//! the server and session facts: timeofday, txid_current / pg_current_xact_id,
//! inet_client_addr & co. (NULL, as PostgreSQL answers over a Unix socket), pg_is_in_recovery
//! and pg_postmaster_start_time.

use vdb_engine::value::{Type, Value};

use crate::error::Result;
use crate::expr::{Builtin, Expr};
use crate::planner::expr::Typed;
use crate::planner::function::text_arg;
use crate::types::numeric_rank;

use super::functions::{call, float_arg, no_function, to};

const NUMERIC: Type = Type::Numeric {
    precision_scale: None,
};

/// Whether [`function`] binds `name(args)`.
pub(super) fn handles(name: &str, args: &[Typed]) -> bool {
    matches!(
        (name, args.len()),
        ("num_nulls" | "num_nonnulls", 1..)
            | ("scale" | "min_scale" | "trim_scale", 1)
            | ("setseed" | "pg_size_bytes" | "pg_column_size", 1)
            | ("parse_ident", 1 | 2)
            | (
                "timeofday"
                    | "txid_current"
                    | "pg_current_xact_id"
                    | "inet_server_addr"
                    | "inet_server_port"
                    | "pg_is_in_recovery"
                    | "pg_postmaster_start_time",
                0
            )
            | ("current_time" | "localtime", 0 | 1)
            | ("current_timestamp" | "localtimestamp", 1)
    )
}

/// Binds `name(args)`, one of the calls [`handles`] accepts.
pub(super) fn function(name: &str, mut args: Vec<Typed>) -> Result<Typed> {
    let null = |ty: Type| Typed::new(Expr::Literal(Value::Null), ty);
    Ok(match name {
        "num_nulls" | "num_nonnulls" => {
            let list = args
                .into_iter()
                .map(|a| match a.ty {
                    None => to(a, &Type::Text),
                    Some(_) => Ok(a.expr),
                })
                .collect::<Result<Vec<_>>>()?;
            let nulls = name == "num_nulls";
            call(Builtin::NumNulls { nulls }, list, Type::Int4)
        }
        "scale" | "min_scale" | "trim_scale" => {
            let a = args.remove(0);
            if a.ty.as_ref().is_some_and(|t| {
                numeric_rank(t).is_none() || matches!(t, Type::Float4 | Type::Float8)
            }) {
                return Err(no_function(name, &[a]));
            }
            let (f, ty) = match name {
                "scale" => (Builtin::Scale, Type::Int4),
                "min_scale" => (Builtin::MinScale, Type::Int4),
                _ => (Builtin::TrimScale, NUMERIC),
            };
            call(f, vec![to(a, &NUMERIC)?], ty)
        }
        "setseed" => call(
            Builtin::Setseed,
            vec![float_arg(name, args.remove(0))?],
            Type::Text,
        ),
        "pg_size_bytes" => call(
            Builtin::SizeBytes,
            vec![text_arg(name, args.remove(0))?],
            Type::Int8,
        ),
        "pg_column_size" => {
            let a = args.remove(0);
            let stored = matches!(a.expr, Expr::Column(_));
            let e = match a.ty {
                None => to(a, &Type::Text)?,
                Some(_) => a.expr,
            };
            call(Builtin::ColumnSize { stored }, vec![e], Type::Int4)
        }
        "parse_ident" => {
            let strict = if args.len() == 2 {
                Some(to(args.remove(1), &Type::Bool)?)
            } else {
                None
            };
            let mut list = vec![text_arg(name, args.remove(0))?];
            list.extend(strict);
            call(Builtin::ParseIdent, list, Type::Array(Box::new(Type::Text)))
        }
        "timeofday" => call(Builtin::Timeofday, vec![], Type::Text),
        "txid_current" | "pg_current_xact_id" => call(Builtin::TxidCurrent, vec![], Type::Int8),
        // The server's own address is not known to the session: NULL, as over a Unix socket
        // (the client's comes from pg_stat_activity, see `planner::system`).
        "inet_server_addr" => null(Type::Text),
        "inet_server_port" => null(Type::Int4),
        "pg_is_in_recovery" => Typed::new(Expr::Literal(Value::Bool(false)), Type::Bool),
        "pg_postmaster_start_time" => call(Builtin::PostmasterStartTime, vec![], Type::TimestampTz),
        // current_time(p) / localtime(p): vdb has no time with time zone, so both are local
        // time; current_timestamp(p) / localtimestamp(p) as without the precision. The
        // precision rounds the seconds.
        _ => {
            let now = Expr::Function(crate::expr::Function::Builtin(Builtin::Now), vec![]);
            let (value, ty) = match name {
                "current_timestamp" => (now, Type::TimestampTz),
                "localtimestamp" => (Expr::Cast(Box::new(now), Type::Timestamp), Type::Timestamp),
                _ => (Expr::Cast(Box::new(now), Type::Time), Type::Time),
            };
            match args.pop() {
                Some(p) => {
                    let digits = match &p.expr {
                        Expr::Literal(Value::Int4(d)) => u8::try_from(*d).unwrap_or(6).min(6),
                        _ => return Err(no_function(name, &[p])),
                    };
                    call(Builtin::RoundSeconds(digits), vec![value], ty)
                }
                None => Typed::new(value, ty),
            }
        }
    })
}
