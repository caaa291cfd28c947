//! Binding of the bytea functions (evaluated by `expr/functions/{bytea,digest}.rs`):
//! get_byte / set_byte / get_bit / set_bit / bit_count, the bytea forms of length,
//! octet_length, md5, substring / substr, position, overlay and btrim / ltrim / rtrim (chosen when
//! an argument is bytea, as PostgreSQL's overloads are), convert_to / convert_from / convert,
//! and the sha224 / sha256 / sha384 / sha512 digests.
//!
//! `planner/function.rs` and the SQL-syntax forms in `planner/expr.rs` (`substring(b from n)`,
//! `position(x in b)`, `overlay(...)`, `trim(x from b)`) ask [`handles`] first.

use vdb_engine::value::Type;

use crate::error::Result;
use crate::expr::{Builtin, Expr};
use crate::planner::expr::Typed;
use crate::planner::function::text_arg;

use super::functions::{call, no_function, to};

fn is_bytea(a: &Typed) -> bool {
    a.ty == Some(Type::Bytea)
}

/// Whether [`function`] binds `name(args)`: the bytea-only functions always, the ones that
/// text shares when an argument is bytea.
pub(in crate::planner) fn handles(name: &str, args: &[Typed]) -> bool {
    match name {
        "get_byte" | "set_byte" | "get_bit" | "set_bit" | "convert_to" | "convert_from"
        | "convert" | "sha224" | "sha256" | "sha384" | "sha512" => true,
        "bit_count" => args.len() == 1 && args[0].ty.as_ref().is_none_or(|t| *t == Type::Bytea),
        "length" | "octet_length" | "md5" | "substr" | "substring" | "position" | "overlay"
        | "btrim" | "ltrim" | "rtrim" => args.iter().any(is_bytea),
        _ => false,
    }
}

/// Which arguments of `name` are bytea (`b`), integers (`i`) or text (`t`).
fn kinds(name: &str) -> &'static str {
    match name {
        "convert_to" => "tt",
        "convert_from" => "bt",
        "convert" => "btt",
        "position" | "btrim" | "ltrim" | "rtrim" => "bb",
        "overlay" => "bbii",
        _ => "biii",
    }
}

fn int(a: Typed) -> Result<Expr> {
    to(a, &Type::Int4)
}

/// Binds `name(args)`, one of the calls [`handles`] accepts.
pub(in crate::planner) fn function(name: &str, mut args: Vec<Typed>) -> Result<Typed> {
    let n = args.len();
    // A known argument of another type is no overload of PostgreSQL's (42883).
    let mismatch = args.iter().zip(kinds(name).chars()).any(|(a, k)| {
        a.ty.as_ref().is_some_and(|t| match k {
            'b' => *t != Type::Bytea,
            't' => !t.is_text(),
            // integer parameters take smallint and integer, not bigint.
            _ => !matches!(t, Type::Int2 | Type::Int4),
        })
    });
    if mismatch {
        return Err(no_function(name, &args));
    }
    let unknown = no_function(name, &args);
    let bytea = |a: Typed| to(a, &Type::Bytea);
    let mut take = || args.remove(0);
    Ok(match (name, n) {
        ("get_byte" | "get_bit", 2) => {
            let f = if name == "get_byte" {
                Builtin::GetByte
            } else {
                Builtin::GetBit
            };
            call(f, vec![bytea(take())?, int(take())?], Type::Int4)
        }
        ("set_byte" | "set_bit", 3) => {
            let f = if name == "set_byte" {
                Builtin::SetByte
            } else {
                Builtin::SetBit
            };
            let list = vec![bytea(take())?, int(take())?, int(take())?];
            call(f, list, Type::Bytea)
        }
        ("bit_count", 1) => call(Builtin::BitCount, vec![bytea(take())?], Type::Int8),
        ("length" | "octet_length", 1) => {
            call(Builtin::OctetLength, vec![bytea(take())?], Type::Int4)
        }
        ("md5", 1) => call(Builtin::Md5, vec![bytea(take())?], Type::Text),
        ("substr" | "substring", 2 | 3) => {
            let mut list = vec![bytea(take())?, int(take())?];
            if n == 3 {
                list.push(int(take())?);
            }
            call(Builtin::ByteaSubstr, list, Type::Bytea)
        }
        ("position", 2) => {
            let list = vec![bytea(take())?, bytea(take())?];
            call(Builtin::ByteaPosition, list, Type::Int4)
        }
        ("overlay", 3 | 4) => {
            let mut list = vec![bytea(take())?, bytea(take())?, int(take())?];
            if n == 4 {
                list.push(int(take())?);
            }
            call(Builtin::ByteaOverlay, list, Type::Bytea)
        }
        ("btrim" | "ltrim" | "rtrim", 2) => {
            let f = Builtin::ByteaTrim {
                leading: name != "rtrim",
                trailing: name != "ltrim",
            };
            call(f, vec![bytea(take())?, bytea(take())?], Type::Bytea)
        }
        ("convert_to", 2) => {
            let list = vec![text_arg(name, take())?, text_arg(name, take())?];
            call(Builtin::ConvertTo, list, Type::Bytea)
        }
        ("convert_from", 2) => {
            let list = vec![bytea(take())?, text_arg(name, take())?];
            call(Builtin::ConvertFrom, list, Type::Text)
        }
        ("convert", 3) => {
            let list = vec![
                bytea(take())?,
                text_arg(name, take())?,
                text_arg(name, take())?,
            ];
            call(Builtin::Convert, list, Type::Bytea)
        }
        ("sha224" | "sha256" | "sha384" | "sha512", 1) => {
            let bits = match name {
                "sha224" => 224,
                "sha384" => 384,
                "sha512" => 512,
                _ => 256,
            };
            call(Builtin::Sha(bits), vec![bytea(take())?], Type::Bytea)
        }
        _ => return Err(unknown),
    })
}
