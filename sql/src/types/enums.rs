//! Enum types at run time. A value of an enum type ([`Type::Enum`], named by its root key) is
//! held as a [`Value::Text`] label; the type's labels and their order live in the root value
//! (`vdb_engine::table::EnumType`) and are read from the snapshot of the statement being
//! planned or run ([`crate::planner::context`]).
//!
//! Three things need the labels: input (a label must be one of the type's, 22P02 otherwise),
//! ordering (values compare in label order, not text order: the planner wraps sort keys and
//! comparison operands in [`position`], the label's 1-based position) and the catalog. OIDs are
//! derived from the type's key ([`type_oid`]), so a type keeps its OID across sessions and
//! branches.

use std::sync::Arc;

use vdb_engine::table::{split_qualified, EnumType};
use vdb_engine::value::{Array, Type, Value};

use crate::error::{Error, Result};
use crate::expr::{Builtin, Expr, Function};

/// The first OID handed to enum types and labels (PostgreSQL's first user OID).
const FIRST_OID: u32 = 16384;

/// Enum type `key` in the current statement's snapshot, if there is one and it has the type.
pub fn lookup(key: &str) -> Option<Arc<EnumType>> {
    let snapshot = crate::planner::context::snapshot()?;
    snapshot.root.get_type(key).cloned().map(Arc::new)
}

/// `label` as a value of enum type `key`: 22P02 unless it is one of the type's labels. Outside a
/// statement (no snapshot) the label is taken as it is.
pub fn input(key: &str, label: String) -> Result<Value> {
    let Some(snapshot) = crate::planner::context::snapshot() else {
        return Ok(Value::Text(label));
    };
    match snapshot.root.get_type(key) {
        Some(ty) if ty.position(&label).is_none() => Err(Error::InvalidText {
            message: format!(
                "invalid input value for enum {}: \"{label}\"",
                display_name(key)
            ),
            datetime: false,
        }),
        _ => Ok(Value::Text(label)),
    }
}

/// The name PostgreSQL prints for type `key`: bare in `public`, `s.kind` elsewhere.
pub fn display_name(key: &str) -> String {
    match split_qualified(key) {
        ("public", name) => name.to_string(),
        (schema, name) => format!("{schema}.{name}"),
    }
}

/// `expr` as a value that orders like it: for an enum type, the label's position among the
/// type's labels (looked up when planned); any other expression unchanged.
pub fn position(expr: Expr, ty: &Type) -> Expr {
    let Type::Enum(key) = ty else {
        return expr;
    };
    let Some(labels) = lookup(key) else {
        return expr;
    };
    let labels = labels
        .labels
        .iter()
        .map(|l| Value::Text(l.clone()))
        .collect::<Vec<_>>();
    Expr::Function(
        Function::Builtin(Builtin::ArrayPosition),
        vec![Expr::Literal(Value::Array(Array::new(labels))), expr],
    )
}

/// The OID of enum type `key`: stable for a key (FNV-1a of it, above the first user OID, within
/// the positive `int4` range that the catalog's oid columns use).
pub fn type_oid(key: &str) -> u32 {
    oid_of(key.as_bytes())
}

/// The OID of `label`'s pg_enum row in type `key`.
pub fn label_oid(key: &str, label: &str) -> u32 {
    oid_of(format!("{key}\u{0}{label}").as_bytes())
}

fn oid_of(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    FIRST_OID + hash % (i32::MAX as u32 - FIRST_OID)
}

/// The enum type whose OID is `oid`, among the snapshot's types.
pub fn type_from_oid(oid: u32) -> Option<Type> {
    let snapshot = crate::planner::context::snapshot()?;
    let key = snapshot.root.type_names().find(|k| type_oid(k) == oid)?;
    Some(Type::Enum(key.to_string()))
}
