//! The one map between vdb types and PostgreSQL's type OIDs and names: what `pg_type` lists,
//! what `format_type` prints, what `::regtype` resolves, and what the wire layer reports in a
//! RowDescription ([`type_oid`]). OIDs are PostgreSQL 15's own, so drivers that convert by OID
//! (psycopg2, psycopg 3, pandas) see the types they expect.

use vdb_engine::value::Type;

/// A built-in type as `pg_type` lists it.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinType {
    pub oid: u32,
    /// `typname`.
    pub name: &'static str,
    /// The OID of its array type (0: none).
    pub array: u32,
    /// `typlen` (-1: variable length).
    pub len: i16,
    /// `typcategory`.
    pub category: char,
    /// What `format_type` prints for it without a modifier.
    pub sql_name: &'static str,
}

const fn t(
    oid: u32,
    name: &'static str,
    array: u32,
    len: i16,
    category: char,
    sql_name: &'static str,
) -> BuiltinType {
    BuiltinType {
        oid,
        name,
        array,
        len,
        category,
        sql_name,
    }
}

/// PostgreSQL 15's built-in types that vdb's catalog shows (OIDs from `pg_type.dat`).
pub const BUILTIN_TYPES: &[BuiltinType] = &[
    t(16, "bool", 1000, 1, 'B', "boolean"),
    t(17, "bytea", 1001, -1, 'U', "bytea"),
    t(18, "char", 1002, 1, 'Z', "\"char\""),
    t(19, "name", 1003, 64, 'S', "name"),
    t(20, "int8", 1016, 8, 'N', "bigint"),
    t(21, "int2", 1005, 2, 'N', "smallint"),
    t(22, "int2vector", 1006, -1, 'A', "int2vector"),
    t(23, "int4", 1007, 4, 'N', "integer"),
    t(24, "regproc", 1008, 4, 'N', "regproc"),
    t(25, "text", 1009, -1, 'S', "text"),
    t(26, "oid", 1028, 4, 'N', "oid"),
    t(28, "xid", 1011, 4, 'U', "xid"),
    t(30, "oidvector", 1013, -1, 'A', "oidvector"),
    t(114, "json", 199, -1, 'U', "json"),
    t(194, "pg_node_tree", 0, -1, 'Z', "pg_node_tree"),
    t(700, "float4", 1021, 4, 'N', "real"),
    t(701, "float8", 1022, 8, 'N', "double precision"),
    t(1033, "aclitem", 1034, 12, 'U', "aclitem"),
    t(1042, "bpchar", 1014, -1, 'S', "character"),
    t(1043, "varchar", 1015, -1, 'S', "character varying"),
    t(1082, "date", 1182, 4, 'D', "date"),
    t(1083, "time", 1183, 8, 'D', "time without time zone"),
    t(
        1114,
        "timestamp",
        1115,
        8,
        'D',
        "timestamp without time zone",
    ),
    t(
        1184,
        "timestamptz",
        1185,
        8,
        'D',
        "timestamp with time zone",
    ),
    t(1186, "interval", 1187, 16, 'T', "interval"),
    t(1700, "numeric", 1231, -1, 'N', "numeric"),
    t(2205, "regclass", 2210, 4, 'N', "regclass"),
    t(2206, "regtype", 2211, 4, 'N', "regtype"),
    t(2950, "uuid", 2951, 16, 'U', "uuid"),
    t(3802, "jsonb", 3807, -1, 'U', "jsonb"),
    t(3904, "int4range", 3905, -1, 'R', "int4range"),
    t(3906, "numrange", 3907, -1, 'R', "numrange"),
    t(3908, "tsrange", 3909, -1, 'R', "tsrange"),
    t(3910, "tstzrange", 3911, -1, 'R', "tstzrange"),
    t(3912, "daterange", 3913, -1, 'R', "daterange"),
    t(3926, "int8range", 3927, -1, 'R', "int8range"),
];

/// The built-in type with this OID, element types and array types alike: an array type is
/// reported with its element's entry (see [`is_array_oid`]).
pub fn builtin_by_oid(oid: u32) -> Option<&'static BuiltinType> {
    BUILTIN_TYPES.iter().find(|b| b.oid == oid)
}

/// The element type whose array type has this OID.
pub fn element_of_array(oid: u32) -> Option<&'static BuiltinType> {
    BUILTIN_TYPES.iter().find(|b| b.array == oid && oid != 0)
}

/// Whether `oid` names one of the built-in array types.
pub fn is_array_oid(oid: u32) -> bool {
    element_of_array(oid).is_some()
}

/// PostgreSQL's OID of a vdb type (`int4` 23, `text[]` 1009, ...): what `pg_attribute.atttypid`
/// holds and what a RowDescription reports.
pub fn type_oid(ty: &Type) -> u32 {
    crate::types::type_oid(ty)
}

/// The type modifier PostgreSQL stores in `atttypmod` (-1: none).
pub fn type_modifier(ty: &Type) -> i32 {
    let plus_header = |n: u32| i32::try_from(n).map_or(-1, |n| n.saturating_add(4));
    match ty {
        Type::Varchar(Some(n)) | Type::Char(n) => plus_header(*n),
        Type::Numeric {
            precision_scale: Some((p, s)),
        } => {
            let p = i32::try_from(*p).unwrap_or(0);
            ((p << 16) | (s & 0xffff)) + 4
        }
        Type::Array(element) => type_modifier(element),
        _ => -1,
    }
}

/// A column's `atttypmod`: its type's, or a `time(p)` / `timestamp(p)` column's precision.
pub fn column_modifier(column: &vdb_engine::table::Column) -> i32 {
    match (column.precision, &column.ty) {
        (Some(digits), Type::Time | Type::Timestamp | Type::TimestampTz) => i32::from(digits),
        _ => type_modifier(&column.ty),
    }
}

/// `format_type(oid, typmod)`: the SQL name of a type with its modifier, as PostgreSQL prints
/// it (`integer`, `character varying(50)`, `numeric(10,2)`, `text[]`); `None` for an unknown
/// OID (PostgreSQL prints `???`).
pub fn format_type(oid: u32, typmod: Option<i32>) -> Option<String> {
    if let Some(element) = element_of_array(oid) {
        return format_type(element.oid, typmod).map(|e| format!("{e}[]"));
    }
    let Some(b) = builtin_by_oid(oid) else {
        if let Some(snapshot) = crate::planner::context::snapshot() {
            if let Some((key, _)) = super::domains::domain_by_oid(&snapshot.root, oid) {
                return Some(crate::types::enums::display_name(key));
            }
        }
        return match crate::types::enums::type_from_oid(oid)? {
            Type::Enum(key) => Some(crate::types::enums::display_name(&key)),
            _ => None,
        };
    };
    let modifier = typmod.filter(|m| *m >= 0);
    Some(match (b.oid, modifier) {
        (1043 | 1042, Some(m)) => format!("{}({})", b.sql_name, m - 4),
        (1042, None) => "bpchar".into(),
        (1700, Some(m)) => format!("numeric({},{})", (m - 4) >> 16, (m - 4) & 0xffff),
        (1083 | 1114 | 1184, Some(m)) => {
            let (base, zone) = b.sql_name.split_once(' ').unwrap_or((b.sql_name, ""));
            format!("{base}({m}) {zone}")
        }
        _ => b.sql_name.to_string(),
    })
}

/// The OID a type name resolves to (`::regtype`, `to_regtype`): PostgreSQL's internal names
/// (`int4`, `_int4`) and SQL names (`integer`, `character varying`, `integer[]`).
pub fn type_oid_by_name(name: &str) -> Option<u32> {
    let name = name.trim().to_lowercase();
    let name = name
        .strip_prefix("pg_catalog.")
        .unwrap_or(&name)
        .to_string();
    if let Some(element) = name.strip_suffix("[]") {
        return type_oid_by_name(element).and_then(|oid| builtin_by_oid(oid).map(|b| b.array));
    }
    if let Some(element) = name.strip_prefix('_') {
        if let Some(b) = BUILTIN_TYPES.iter().find(|b| b.name == element) {
            return Some(b.array);
        }
    }
    let base = name.split('(').next().unwrap_or(&name).trim();
    let alias = match base {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "\"char\"" => "char",
        other => other,
    };
    BUILTIN_TYPES
        .iter()
        .find(|b| b.name == alias || b.sql_name == alias)
        .map(|b| b.oid)
}

/// The vdb type a system-table column of PostgreSQL type `pg` is held as: identifiers
/// (`name`, `"char"`, `pg_node_tree`) as text, OIDs and their aliases as `integer` (every OID
/// vdb hands out fits in 31 bits), vectors as arrays.
pub fn system_column_type(pg: &str) -> Type {
    match pg {
        "boolean" => Type::Bool,
        "smallint" => Type::Int2,
        "integer" | "oid" | "regproc" | "regtype" | "regclass" | "xid" | "cid" => Type::Int4,
        "bigint" => Type::Int8,
        "real" => Type::Float4,
        "double precision" => Type::Float8,
        "bytea" => Type::Bytea,
        "timestamp with time zone" => Type::TimestampTz,
        "smallint[]" | "int2vector" => Type::Array(Box::new(Type::Int2)),
        "oid[]" | "oidvector" => Type::Array(Box::new(Type::Int4)),
        "text[]" | "\"char\"[]" | "aclitem[]" | "name[]" => Type::Array(Box::new(Type::Text)),
        _ => Type::Text,
    }
}
