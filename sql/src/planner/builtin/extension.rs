//! Binding of the built-in extensions' functions (evaluated by
//! `expr/functions/extension.rs`): uuid-ossp's `uuid_generate_v1` / `v1mc` / `v3` / `v4` /
//! `v5`, `uuid_nil` and the `uuid_ns_*` namespaces, and pgcrypto's `digest`, `hmac` and
//! `gen_random_bytes`. `CREATE EXTENSION "uuid-ossp"` / `pgcrypto` finds them already there.

use vdb_engine::value::{Type, Value};

use crate::error::Result;
use crate::expr::{Builtin, Expr, ExtensionFunction as F, Function};
use crate::planner::expr::Typed;

use super::functions::{call, no_function, to};

/// The functions this module binds.
pub(super) const NAMES: &[&str] = &[
    "uuid_nil",
    "uuid_ns_dns",
    "uuid_ns_url",
    "uuid_ns_oid",
    "uuid_ns_x500",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v3",
    "uuid_generate_v4",
    "uuid_generate_v5",
    "gen_random_bytes",
    "digest",
    "hmac",
];

/// RFC 4122's namespace uuids differ from the DNS one in their fourth byte only.
fn namespace(last_of_first_word: u8) -> Value {
    Value::Uuid([
        0x6b,
        0xa7,
        0xb8,
        last_of_first_word,
        0x9d,
        0xad,
        0x11,
        0xd1,
        0x80,
        0xb4,
        0x00,
        0xc0,
        0x4f,
        0xd4,
        0x30,
        0xc8,
    ])
}

/// A text or bytea argument (an unknown literal is text), as pgcrypto's overloads take it.
fn text_or_bytea(a: Typed) -> Result<Expr> {
    match a.ty {
        Some(Type::Bytea) => Ok(a.expr),
        _ => to(a, &Type::Text),
    }
}

/// Binds `name(args)`, one of [`NAMES`].
pub(super) fn function(name: &str, mut args: Vec<Typed>) -> Result<Typed> {
    let constant = |v: Value| Typed::new(Expr::Literal(v), Type::Uuid);
    Ok(match (name, args.len()) {
        ("uuid_nil", 0) => constant(Value::Uuid([0; 16])),
        ("uuid_ns_dns", 0) => constant(namespace(0x10)),
        ("uuid_ns_url", 0) => constant(namespace(0x11)),
        ("uuid_ns_oid", 0) => constant(namespace(0x12)),
        ("uuid_ns_x500", 0) => constant(namespace(0x14)),
        ("uuid_generate_v1" | "uuid_generate_v1mc", 0) => {
            call(Builtin::Extension(F::UuidV1), vec![], Type::Uuid)
        }
        ("uuid_generate_v4", 0) => Typed::new(
            Expr::Function(Function::GenRandomUuid, Vec::new()),
            Type::Uuid,
        ),
        ("uuid_generate_v3" | "uuid_generate_v5", 2) => {
            let version = if name.ends_with('3') { 3 } else { 5 };
            let text = to(args.remove(1), &Type::Text)?;
            let ns = to(args.remove(0), &Type::Uuid)?;
            call(
                Builtin::Extension(F::UuidNamed { version }),
                vec![ns, text],
                Type::Uuid,
            )
        }
        ("gen_random_bytes", 1) => call(
            Builtin::Extension(F::RandomBytes),
            vec![to(args.remove(0), &Type::Int4)?],
            Type::Bytea,
        ),
        ("digest", 2) => {
            let algorithm = to(args.remove(1), &Type::Text)?;
            let data = text_or_bytea(args.remove(0))?;
            call(
                Builtin::Extension(F::Digest),
                vec![data, algorithm],
                Type::Bytea,
            )
        }
        ("hmac", 3) => {
            let algorithm = to(args.remove(2), &Type::Text)?;
            let key = text_or_bytea(args.remove(1))?;
            let data = text_or_bytea(args.remove(0))?;
            call(
                Builtin::Extension(F::Hmac),
                vec![data, key, algorithm],
                Type::Bytea,
            )
        }
        _ => return Err(no_function(name, &args)),
    })
}
