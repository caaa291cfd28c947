//! Binding what reads the catalog or the session: calls of the catalog functions clients send
//! (`format_type`, `pg_get_indexdef`, `current_setting`, `version()`...) and casts to the
//! catalog's types (`::regclass`, `::regtype`, `::oid`, `::name`, `pg_catalog.text`...).
//!
//! OIDs are held as `integer`. `'t'::regclass` is the OID of `t`; `oid::regclass` is shown by
//! its name, so it binds to text (`oid::regclass::text` prints the name, as in PostgreSQL).

use sqlparser::ast;
use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::expr::{CatalogFunction as F, Expr};
use crate::planner::context;
use crate::planner::expr::Typed;
use crate::planner::Plan;
use crate::types::{numeric_rank, sql_type};

/// What a cast's target type is.
pub enum CastTarget {
    Regclass,
    Regtype,
    /// regproc / regprocedure: a function's OID.
    Regproc,
    /// regnamespace / regrole: a schema's or a role's OID, named on output.
    Regname(RegName),
    /// A type vdb holds another way (oid → integer, name → text).
    Plain(Type),
}

/// The target of `::data_type`, including the catalog's own types.
pub fn cast_target(dt: &ast::DataType) -> Result<CastTarget> {
    let name = match dt {
        ast::DataType::Regclass => return Ok(CastTarget::Regclass),
        ast::DataType::Custom(name, modifiers) if modifiers.is_empty() => {
            let parts: Vec<String> = name.0.iter().map(|i| i.value.to_lowercase()).collect();
            match parts.as_slice() {
                [n] => n.clone(),
                [schema, n] if schema == "pg_catalog" => n.clone(),
                _ => return sql_type(dt).map(CastTarget::Plain),
            }
        }
        ast::DataType::Timestamp(_, ast::TimezoneInfo::Tz | ast::TimezoneInfo::WithTimeZone) => {
            return Ok(CastTarget::Plain(Type::TimestampTz))
        }
        ast::DataType::Array(
            ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | ast::ArrayElemTypeDef::AngleBracket(inner),
        ) => {
            return match cast_target(inner)? {
                // `int[][]` is `int[]`: the type does not fix the number of dimensions.
                CastTarget::Plain(t @ Type::Array(_)) => Ok(CastTarget::Plain(t)),
                CastTarget::Plain(t) => Ok(CastTarget::Plain(Type::Array(Box::new(t)))),
                _ => Ok(CastTarget::Plain(Type::Array(Box::new(Type::Int4)))),
            };
        }
        ast::DataType::Uuid => return Ok(CastTarget::Plain(Type::Uuid)),
        ast::DataType::JSON => return Ok(CastTarget::Plain(Type::Json)),
        ast::DataType::JSONB => return Ok(CastTarget::Plain(Type::Jsonb)),
        other => return sql_type(other).map(CastTarget::Plain),
    };
    Ok(CastTarget::Plain(match name.as_str() {
        "regclass" => return Ok(CastTarget::Regclass),
        "regtype" => return Ok(CastTarget::Regtype),
        "regproc" | "regprocedure" => return Ok(CastTarget::Regproc),
        "regnamespace" => return Ok(CastTarget::Regname(RegName::Namespace)),
        "regrole" => return Ok(CastTarget::Regname(RegName::Role)),
        "oid" | "xid" | "cid" => Type::Int4,
        "name" | "char" | "text" | "pg_node_tree" => Type::Text,
        "int2vector" => Type::Array(Box::new(Type::Int2)),
        "oidvector" => Type::Array(Box::new(Type::Int4)),
        "int2" | "smallint" => Type::Int2,
        "int4" | "integer" | "int" => Type::Int4,
        "int8" | "bigint" => Type::Int8,
        "bool" | "boolean" => Type::Bool,
        "float4" => Type::Float4,
        "float8" => Type::Float8,
        "varchar" => Type::Varchar(None),
        "numeric" => Type::Numeric {
            precision_scale: None,
        },
        "timestamptz" => Type::TimestampTz,
        "timestamp" => Type::Timestamp,
        "date" => Type::Date,
        "bytea" => Type::Bytea,
        "uuid" => Type::Uuid,
        "json" => Type::Json,
        "jsonb" => Type::Jsonb,
        _ => return sql_type(dt).map(CastTarget::Plain),
    }))
}

pub(super) fn catalog(func: F, args: Vec<Expr>, ty: Type) -> Result<Typed> {
    let Some(snapshot) = context::snapshot() else {
        return Err(Error::Unsupported(format!(
            "{} outside a session",
            func.name()
        )));
    };
    Ok(Typed::new(Expr::Catalog(func, args, snapshot), ty))
}

/// `inner::regclass` or `inner::regtype`.
pub fn cast_to_reg(inner: Typed, regclass: bool) -> Result<Typed> {
    // A regclass (or regtype) value cast again stays the OID it is.
    if let Expr::Catalog(F::RegclassIn | F::ToRegclass | F::RegtypeIn | F::ToRegtype, ..) =
        &inner.expr
    {
        return Ok(inner);
    }
    let numeric = inner.ty.as_ref().is_some_and(|t| numeric_rank(t).is_some());
    match (regclass, numeric) {
        (true, true) => catalog(F::RegclassOut, vec![inner.expr], Type::Text),
        (false, true) => catalog(F::RegtypeOut, vec![inner.expr], Type::Text),
        (true, false) => catalog(
            F::RegclassIn,
            vec![inner.coerce(&Type::Text, "regclass")?],
            Type::Int4,
        ),
        (false, false) => catalog(
            F::RegtypeIn,
            vec![inner.coerce(&Type::Text, "regtype")?],
            Type::Int4,
        ),
    }
}

/// A query's regclass and regtype output columns as PostgreSQL prints them: the name, not the
/// OID that vdb computes with. Inside the query the values stay OIDs (they compare and join
/// with `pg_class.oid`); only the columns the client receives go through the output function,
/// in a projection over the whole plan.
pub fn name_reg_columns(plan: Plan, columns: &mut [(String, Type)]) -> Plan {
    fn top(plan: &Plan) -> Option<&Vec<Expr>> {
        match plan {
            Plan::Project { exprs, .. } => Some(exprs),
            Plan::Sort { source, .. }
            | Plan::Limit { source, .. }
            | Plan::Distinct { source }
            | Plan::DistinctOn { source, .. } => top(source),
            _ => None,
        }
    }
    let Some(exprs) = top(&plan) else {
        return plan;
    };
    let mut named = false;
    let outputs: Vec<Expr> = (0..columns.len())
        .map(|i| {
            let out = match exprs.get(i) {
                Some(Expr::Catalog(F::RegclassIn | F::ToRegclass, _, snapshot)) => {
                    Some((F::RegclassOut, snapshot))
                }
                Some(Expr::Catalog(F::RegtypeIn | F::ToRegtype, _, snapshot)) => {
                    Some((F::RegtypeOut, snapshot))
                }
                Some(Expr::Catalog(F::RegnameIn { kind, .. }, _, snapshot)) => {
                    Some((F::RegnameOut(*kind), snapshot))
                }
                _ => None,
            };
            match out {
                Some((func, snapshot)) => {
                    named = true;
                    columns[i].1 = Type::Text;
                    Expr::Catalog(func, vec![Expr::Column(i)], snapshot.clone())
                }
                None => Expr::Column(i),
            }
        })
        .collect();
    if !named {
        return plan;
    }
    Plan::Project {
        source: Box::new(plan),
        exprs: outputs,
    }
}

pub use crate::expr::catalog::RegName;

/// `inner::regnamespace` / `::regrole`: a name is looked up (3F000 / 42704 when missing) to
/// the OID the value computes with, printed by name at the top of a query; a number prints
/// as the name it stands for.
pub fn cast_to_regname(inner: Typed, kind: RegName) -> Result<Typed> {
    if let Expr::Catalog(F::RegnameIn { .. }, ..) = &inner.expr {
        return Ok(inner);
    }
    if inner.ty.as_ref().is_some_and(|t| numeric_rank(t).is_some()) {
        return catalog(F::RegnameOut(kind), vec![inner.expr], Type::Text);
    }
    catalog(
        F::RegnameIn {
            kind,
            missing_ok: false,
        },
        vec![inner.coerce(&Type::Text, "regnamespace")?],
        Type::Int4,
    )
}

/// `x::regproc`: a text names a function (its OID); a number stays the OID it is.
pub fn cast_to_regproc(inner: Typed) -> Result<Typed> {
    if inner.ty.as_ref().is_some_and(|t| numeric_rank(t).is_some()) {
        let expr = inner.coerce(&Type::Int4, "regproc")?;
        return Ok(Typed::new(expr, Type::Int4));
    }
    catalog(
        F::RegprocIn,
        vec![inner.coerce(&Type::Text, "regproc")?],
        Type::Int4,
    )
}

/// `regclass_value::text` (and regtype): the name, not the number, as PostgreSQL prints it.
/// `None` when `inner` is not a regclass or regtype value.
pub fn reg_to_text(inner: &Typed) -> Result<Option<Typed>> {
    match &inner.expr {
        Expr::Catalog(F::RegclassIn | F::ToRegclass, ..) => {
            catalog(F::RegclassOut, vec![inner.expr.clone()], Type::Text).map(Some)
        }
        Expr::Catalog(F::RegtypeIn | F::ToRegtype, ..) => {
            catalog(F::RegtypeOut, vec![inner.expr.clone()], Type::Text).map(Some)
        }
        Expr::Catalog(F::RegnameIn { kind, .. }, ..) => {
            catalog(F::RegnameOut(*kind), vec![inner.expr.clone()], Type::Text).map(Some)
        }
        _ => Ok(None),
    }
}

/// Argument kinds of a catalog function: `o` an OID or integer, `t` text, `b` boolean, `k` a
/// bigint, `p` an integer (a process ID), `a` anything (an array).
fn coerce_args(args: Vec<Typed>, kinds: &str, name: &str) -> Result<Vec<Expr>> {
    args.into_iter()
        .zip(kinds.chars().chain(std::iter::repeat('a')))
        .map(|(a, k)| match k {
            'o' if a.ty.is_none() => a.coerce(&Type::Int4, name),
            'o' => Ok(a.expr),
            't' if a.ty.as_ref().is_none_or(Type::is_text) => a.coerce(&Type::Text, name),
            't' => Ok(Expr::Cast(Box::new(a.expr), Type::Text)),
            'b' => a.coerce(&Type::Bool, name),
            // A process ID: an integer.
            'p' => a.coerce(&Type::Int4, name),
            // An advisory lock key: a bigint (an integer argument widens).
            'k' => a.coerce(&Type::Int8, name),
            _ => Ok(a.expr),
        })
        .collect()
}

/// Binds a call of a catalog function, if `name` is one (`None`: not a catalog function).
pub fn catalog_function(name: &str, args: Vec<Typed>) -> Result<Option<Typed>> {
    let n = args.len();
    let (func, kinds, ty) = match (name, n) {
        ("format_type", 2) => (F::FormatType, "oo", Type::Text),
        ("pg_get_expr", 2 | 3) => (F::GetExpr, "tob", Type::Text),
        ("pg_get_indexdef", 1 | 3) => (F::GetIndexdef, "oob", Type::Text),
        ("pg_get_viewdef", 1 | 2) => (F::GetViewdef, "ab", Type::Text),
        ("pg_get_constraintdef", 1 | 2) => (F::GetConstraintdef, "ob", Type::Text),
        ("pg_table_is_visible", 1) => (F::TableIsVisible, "o", Type::Bool),
        (
            "pg_type_is_visible"
            | "pg_collation_is_visible"
            | "pg_function_is_visible"
            | "pg_opclass_is_visible"
            | "pg_opfamily_is_visible"
            | "pg_operator_is_visible"
            | "pg_conversion_is_visible"
            | "pg_statistics_obj_is_visible"
            | "pg_ts_config_is_visible"
            | "pg_ts_dict_is_visible"
            | "pg_ts_parser_is_visible"
            | "pg_ts_template_is_visible",
            1,
        ) => (F::AlwaysTrue, "o", Type::Bool),
        (
            "has_table_privilege"
            | "has_schema_privilege"
            | "has_database_privilege"
            | "has_column_privilege"
            | "has_sequence_privilege"
            | "has_function_privilege"
            | "pg_has_role",
            2..=4,
        ) => (F::AlwaysTrue, "aaaa", Type::Bool),
        ("obj_description", 1 | 2) => (F::ObjDescription, "ot", Type::Text),
        ("shobj_description", 2) => (F::AlwaysNull, "ot", Type::Text),
        ("col_description", 2) => (F::ColDescription, "oo", Type::Text),
        ("pg_get_triggerdef", 1 | 2) => (F::GetTriggerdef, "ob", Type::Text),
        ("pg_get_statisticsobjdef_columns" | "pg_get_partkeydef", _) => {
            (F::AlwaysNull, "oo", Type::Text)
        }
        // The signatures of user-defined functions; vdb's pg_proc rows of built-in functions
        // spell out none (psql's \df lists no built-in function).
        ("pg_get_function_result", 1) => (F::FunctionResult, "o", Type::Text),
        ("pg_get_function_arguments", 1) => {
            (F::FunctionArguments { identity: false }, "o", Type::Text)
        }
        ("pg_get_function_identity_arguments", 1) => {
            (F::FunctionArguments { identity: true }, "o", Type::Text)
        }
        ("pg_get_functiondef", 1) => (F::FunctionDef, "o", Type::Text),
        ("pg_get_function_sqlbody", 1) => (F::FunctionSqlBody, "o", Type::Text),
        // Every tablespace is a default one, whose location PostgreSQL reports as an empty
        // string; psql prints NULL the same way.
        ("pg_tablespace_location", 1) => (F::AlwaysNull, "o", Type::Text),
        ("pg_relation_is_publishable", 1) => (F::AlwaysTrue, "o", Type::Bool),
        (
            "pg_table_size" | "pg_total_relation_size" | "pg_relation_size" | "pg_indexes_size",
            1,
        )
        | ("pg_relation_size", 2) => {
            use crate::system::SizeKind;
            let kind = match name {
                "pg_indexes_size" => SizeKind::Indexes,
                "pg_total_relation_size" => SizeKind::Total,
                _ => SizeKind::Relation,
            };
            return relation_size(args, kind).map(Some);
        }
        ("pg_database_size", 1) => (F::DatabaseSize, "a", Type::Int8),
        ("pg_get_userbyid", 1) => (F::GetUserbyid, "o", Type::Text),
        ("pg_describe_object", 3) => (F::DescribeObject, "ooo", Type::Text),
        ("getdatabaseencoding" | "pg_client_encoding", 0) => (F::DatabaseEncoding, "", Type::Text),
        ("pg_get_serial_sequence", 2) => (F::GetSerialSequence, "tt", Type::Text),
        ("pg_encoding_to_char", 1) => (F::EncodingToChar, "o", Type::Text),
        ("pg_char_to_encoding", 1) => (F::CharToEncoding, "t", Type::Int4),
        ("to_regtype", 1) => (F::ToRegtype, "t", Type::Int4),
        ("to_regclass", 1) => (F::ToRegclass, "t", Type::Int4),
        ("to_regnamespace" | "to_regrole", 1) => {
            let kind = if name == "to_regrole" {
                RegName::Role
            } else {
                RegName::Namespace
            };
            let func = F::RegnameIn {
                kind,
                missing_ok: true,
            };
            (func, "t", Type::Int4)
        }
        ("current_setting", 1 | 2) => (F::CurrentSetting, "tb", Type::Text),
        ("set_config", 3) => (F::SetConfig, "ttb", Type::Text),
        ("current_database" | "current_catalog", 0) => (F::CurrentDatabase, "", Type::Text),
        ("current_schema", 0) => (F::CurrentSchema, "", Type::Text),
        ("current_schemas", 1) => (F::CurrentSchemas, "b", Type::Array(Box::new(Type::Text))),
        ("current_user" | "session_user" | "user" | "current_role", 0) => {
            (F::CurrentUser, "", Type::Text)
        }
        ("version", 0) => (F::Version, "", Type::Text),
        ("active_branch", 0) => (F::ActiveBranch, "", Type::Text),
        ("vdb_hashof", 1) => (F::HashOf, "t", Type::Text),
        ("vdb_merge_base", 2) => (F::MergeBase, "tt", Type::Text),
        ("pg_backend_pid", 0) => (F::BackendPid, "", Type::Int4),
        // vdb has no inet type: the client's address is text.
        ("inet_client_addr", 0) => (F::ClientAddr, "", Type::Text),
        ("inet_client_port", 0) => (F::ClientPort, "", Type::Int4),
        ("current_query", 0) => (F::CurrentQuery, "", Type::Text),
        ("pg_cancel_backend", 1) => (F::CancelBackend, "p", Type::Bool),
        ("pg_terminate_backend", 1 | 2) => (F::TerminateBackend, "pk", Type::Bool),
        (
            "pg_advisory_lock"
            | "pg_advisory_lock_shared"
            | "pg_advisory_xact_lock"
            | "pg_advisory_xact_lock_shared"
            | "pg_try_advisory_lock"
            | "pg_try_advisory_lock_shared"
            | "pg_try_advisory_xact_lock"
            | "pg_try_advisory_xact_lock_shared",
            1 | 2,
        ) => {
            let wait = !name.starts_with("pg_try_");
            let func = F::AdvisoryLock {
                shared: name.ends_with("_shared"),
                transaction: name.contains("_xact_"),
                wait,
            };
            (func, "kk", if wait { Type::Text } else { Type::Bool })
        }
        ("pg_advisory_unlock" | "pg_advisory_unlock_shared", 1 | 2) => {
            let func = F::AdvisoryUnlock {
                shared: name.ends_with("_shared"),
            };
            (func, "kk", Type::Bool)
        }
        ("pg_advisory_unlock_all", 0) => (F::AdvisoryUnlockAll, "", Type::Text),
        ("array_to_string", 2 | 3) => (F::ArrayToString, "att", Type::Text),
        // Typed arrays go to the array functions, which know dimensions and bounds.
        ("array_length" | "array_upper", 2)
            if !matches!(
                args.first().and_then(|a| a.ty.as_ref()),
                Some(Type::Array(_))
            ) =>
        {
            (F::ArrayLength, "ao", Type::Int4)
        }
        _ => return Ok(None),
    };
    let args = coerce_args(args, kinds, name)?;
    catalog(func, args, ty).map(Some)
}

/// `pg_relation_size(rel [, fork])` and the other relation sizes: a relation named by text
/// (`'t'`, `'s.t'`) must exist (42P01), as a regclass argument would.
fn relation_size(mut args: Vec<Typed>, kind: crate::system::SizeKind) -> Result<Typed> {
    let rel = args.remove(0);
    let rel = match &rel.ty {
        None => cast_to_reg(rel, true)?.expr,
        Some(t) if t.is_text() => cast_to_reg(rel, true)?.expr,
        Some(_) => rel.expr,
    };
    let mut list = vec![rel];
    for fork in args {
        list.push(fork.coerce(&Type::Text, "pg_relation_size")?);
    }
    catalog(F::RelationSize(kind), list, Type::Int8)
}

/// Whether `name` (without `pg_catalog.`) is a catalog function callable without parentheses.
pub fn is_keyword_function(name: &str) -> bool {
    matches!(
        name,
        "current_user"
            | "session_user"
            | "user"
            | "current_catalog"
            | "current_role"
            | "current_schema"
    )
}
