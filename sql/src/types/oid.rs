//! PostgreSQL's type OIDs (from `pg_type.dat`), for the wire protocol's RowDescription and
//! parameter types: [`type_oid`] names a type, [`type_from_oid`] reads one back.

use vdb_engine::value::{RangeKind, Type};

/// The OID of each scalar type and of its array type, in one table so the two functions agree.
const OIDS: &[(u32, u32, Type)] = &[
    (16, 1000, Type::Bool),
    (17, 1001, Type::Bytea),
    (20, 1016, Type::Int8),
    (21, 1005, Type::Int2),
    (23, 1007, Type::Int4),
    (25, 1009, Type::Text),
    (114, 199, Type::Json),
    (700, 1021, Type::Float4),
    (701, 1022, Type::Float8),
    (1043, 1015, Type::Varchar(None)),
    (1082, 1182, Type::Date),
    (1083, 1183, Type::Time),
    (1114, 1115, Type::Timestamp),
    (1184, 1185, Type::TimestampTz),
    (1186, 1187, Type::Interval),
    (
        1700,
        1231,
        Type::Numeric {
            precision_scale: None,
        },
    ),
    (2950, 2951, Type::Uuid),
    (3802, 3807, Type::Jsonb),
    (3904, 3905, Type::Range(RangeKind::Int4)),
    (3906, 3907, Type::Range(RangeKind::Numeric)),
    (3908, 3909, Type::Range(RangeKind::Timestamp)),
    (3910, 3911, Type::Range(RangeKind::TimestampTz)),
    (3912, 3913, Type::Range(RangeKind::Date)),
    (3926, 3927, Type::Range(RangeKind::Int8)),
];

/// bpchar and its array; `char(n)` has no single Type value to put in the table.
const BPCHAR: (u32, u32) = (1042, 1014);

/// The scalar OID of a type, ignoring its modifiers.
fn scalar_oids(ty: &Type) -> (u32, u32) {
    match ty {
        Type::Char(_) => BPCHAR,
        Type::Varchar(_) => (1043, 1015),
        Type::Numeric { .. } => (1700, 1231),
        Type::Enum(key) => (super::enums::type_oid(key), 1009),
        other => OIDS
            .iter()
            .find(|(_, _, t)| t == other)
            .map_or((25, 1009), |(o, a, _)| (*o, *a)),
    }
}

/// PostgreSQL's OID of `ty` (an array's is its element type's array OID; a nested array, which
/// vdb does not create, reports its element's array OID too).
pub fn type_oid(ty: &Type) -> u32 {
    match ty {
        Type::Array(element) => match element.as_ref() {
            Type::Array(inner) => type_oid(&Type::Array(inner.clone())),
            e => scalar_oids(e).1,
        },
        other => scalar_oids(other).0,
    }
}

/// The type of a PostgreSQL OID, if vdb has it (`bpchar` reads as `character(1)`, varchar and
/// numeric without modifiers).
pub fn type_from_oid(oid: u32) -> Option<Type> {
    if oid >= 16384 {
        return super::enums::type_from_oid(oid);
    }
    if oid == BPCHAR.0 {
        return Some(Type::Char(1));
    }
    if oid == BPCHAR.1 {
        return Some(Type::Array(Box::new(Type::Char(1))));
    }
    OIDS.iter().find_map(|(o, a, t)| {
        if *o == oid {
            Some(t.clone())
        } else if *a == oid {
            Some(Type::Array(Box::new(t.clone())))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_round_trip() {
        for (o, a, t) in OIDS {
            assert_eq!(type_oid(t), *o);
            assert_eq!(type_oid(&Type::Array(Box::new(t.clone()))), *a);
            assert_eq!(type_from_oid(*o).as_ref(), Some(t));
        }
        assert_eq!(type_oid(&Type::Char(3)), 1042);
        assert_eq!(type_oid(&Type::Varchar(Some(3))), 1043);
        assert_eq!(
            type_from_oid(1014),
            Some(Type::Array(Box::new(Type::Char(1))))
        );
    }
}
