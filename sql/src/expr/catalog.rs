//! Functions that read the catalog or the session: the ones psql, SQLAlchemy and the drivers
//! call (format_type, pg_get_indexdef, pg_get_constraintdef, pg_table_is_visible,
//! current_setting, the regclass/regtype conversions...), evaluated against the statement's
//! [`Snapshot`], plus the regular-expression match behind `~`.

use vdb_engine::table::{qualified, split_qualified};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::expr::as_i64;
use crate::system::{format_type, quote_ident, type_oid_by_name, Snapshot};
use crate::types::to_pg_text;

/// A function evaluated against the statement's snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogFunction {
    FormatType,
    GetExpr,
    GetIndexdef,
    /// `pg_get_viewdef(oid or name [, pretty])`: the view's query text.
    GetViewdef,
    GetConstraintdef,
    /// `pg_get_triggerdef(oid [, pretty])`.
    GetTriggerdef,
    /// pg_table_is_visible, pg_type_is_visible, pg_collation_is_visible, has_*_privilege.
    AlwaysTrue,
    /// shobj_description, pg_get_statisticsobjdef_columns.
    AlwaysNull,
    /// `obj_description(oid [, catalog])`: a table's `COMMENT ON` text.
    ObjDescription,
    /// `col_description(table oid, attnum)`: a column's `COMMENT ON` text.
    ColDescription,
    GetUserbyid,
    GetSerialSequence,
    EncodingToChar,
    /// `to_regtype(text)`: the type's OID or NULL.
    ToRegtype,
    /// `to_regclass(text)`: the relation's OID or NULL.
    ToRegclass,
    /// `text::regclass`: the relation's OID, or 42P01.
    RegclassIn,
    /// `oid::regclass` shown as text: the relation's name (the number when unknown).
    RegclassOut,
    /// `text::regtype`: the type's OID, or 42704.
    RegtypeIn,
    /// `oid::regtype` shown as text.
    RegtypeOut,
    CurrentSetting,
    SetConfig,
    CurrentDatabase,
    CurrentSchema,
    CurrentSchemas,
    CurrentUser,
    Version,
    BackendPid,
    /// `pg_cancel_backend(pid)`.
    CancelBackend,
    /// `inet_client_addr()`, `inet_client_port()`, `current_query()`: from the session's
    /// entry among the server's backends (NULL outside a server).
    ClientAddr,
    ClientPort,
    CurrentQuery,
    /// `pg_terminate_backend(pid [, timeout])`.
    TerminateBackend,
    /// `pg_[try_]advisory_[xact_]lock[_shared](key)` (or `(k1, k2)`); `wait` false for the
    /// `try` forms, which answer whether they took it.
    AdvisoryLock {
        shared: bool,
        transaction: bool,
        wait: bool,
    },
    /// `pg_advisory_unlock[_shared](key)`.
    AdvisoryUnlock {
        shared: bool,
    },
    /// `pg_advisory_unlock_all()`.
    AdvisoryUnlockAll,
    /// `pg_describe_object(classid, objid, objsubid)`: "table t", "schema s", "type x"...
    DescribeObject,
    /// `pg_char_to_encoding(name)`: 6 for UTF8 (any spelling), -1 for any other name.
    CharToEncoding,
    /// `getdatabaseencoding()` / `pg_client_encoding()`: UTF8, the only encoding vdb speaks.
    DatabaseEncoding,
    /// `name::regnamespace` / `::regrole` (and `to_regnamespace` / `to_regrole`, which give
    /// NULL rather than an error for a missing name): the OID.
    RegnameIn {
        kind: RegName,
        missing_ok: bool,
    },
    /// A schema's or a role's name from its OID (the number itself when unknown).
    RegnameOut(RegName),
    /// The channels the session listens on, as a text[] (`pg_listening_channels()` unnests it).
    ListeningChannels,
    /// `pg_relation_size(oid [, fork])` and friends: the bytes of the relation's chunks
    /// (`system/sizes.rs`), NULL for an unknown OID, 22023 for a bad fork name.
    RelationSize(crate::system::SizeKind),
    /// `pg_database_size(name or oid)`: 0 for this database, 3D000 for another name.
    DatabaseSize,
    ArrayToString,
    ArrayLength,
    /// `pg_table_is_visible(oid)`: false only for the `vdb` schema's tables.
    TableIsVisible,
    /// `pg_get_function_result(oid)` of a user-defined function.
    FunctionResult,
    /// `pg_get_function_arguments(oid)` (`identity`: `pg_get_function_identity_arguments`).
    FunctionArguments {
        identity: bool,
    },
    /// `pg_get_functiondef(oid)`.
    FunctionDef,
    /// `pg_get_function_sqlbody(oid)`: a `RETURN expr` body, NULL for a string body.
    FunctionSqlBody,
    /// `text::regproc` / `text::regprocedure`: the function's OID, or 42883 / 42725.
    RegprocIn,
    /// `active_branch()`: the session's branch (NULL in a session pinned to a revision).
    ActiveBranch,
    /// `vdb_hashof(rev)`: the commit hash a revision names.
    HashOf,
    /// `vdb_merge_base(a, b)`: the best common ancestor of two revisions.
    MergeBase,
}

impl CatalogFunction {
    /// The SQL name, for EXPLAIN.
    pub fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }

    /// Whether a call may give different results for the same arguments within a statement
    /// (so constant folding must not evaluate it at plan time): `set_config`, and
    /// `current_setting`, which sees an earlier `set_config` of the same statement.
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            CatalogFunction::SetConfig
                | CatalogFunction::CurrentSetting
                | CatalogFunction::AdvisoryLock { .. }
                | CatalogFunction::AdvisoryUnlock { .. }
                | CatalogFunction::AdvisoryUnlockAll
                | CatalogFunction::CancelBackend
                | CatalogFunction::TerminateBackend
                | CatalogFunction::ClientAddr
                | CatalogFunction::ClientPort
                | CatalogFunction::CurrentQuery
        )
    }
}

/// The OID types named by a schema or a role (`regnamespace`, `regrole`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegName {
    Namespace,
    Role,
}

/// The session's process ID: its client's, or the process's own outside a server.
fn own_pid(snapshot: &Snapshot) -> i32 {
    snapshot.vc.as_ref().map_or_else(
        || i32::try_from(std::process::id()).unwrap_or(0),
        |vc| vc.process_id,
    )
}

/// A process ID argument (an integer of any width that fits an int4).
fn pid_arg(v: &Value) -> Result<i32> {
    match v {
        Value::Int2(n) => Ok(i32::from(*n)),
        Value::Int4(n) => Ok(*n),
        Value::Int8(n) => {
            i32::try_from(*n).map_err(|_| Error::invalid("22003", "integer out of range"))
        }
        other => Err(Error::invalid(
            "42883",
            format!("a process ID must be an integer, not {other:?}"),
        )),
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn oid_arg(v: &Value) -> Option<u32> {
    as_i64(v).and_then(|n| u32::try_from(n).ok())
}

fn text_arg(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        other => to_pg_text(other),
    }
}

/// `(a * 2)` as `a * 2`; text whose first parenthesis closes before its end (`(a) + (b)`) as
/// it is.
fn without_outer_parentheses(text: &str) -> &str {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return text;
    };
    let mut depth = 0i32;
    let mut quoted = false;
    for c in inner.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return text;
                }
            }
            _ => {}
        }
    }
    if depth == 0 {
        inner
    } else {
        text
    }
}

fn oid_value(oid: u32) -> Value {
    Value::Int4(i32::try_from(oid).unwrap_or(i32::MAX))
}

/// Calls `func` with evaluated arguments.
pub fn call(func: CatalogFunction, args: &[Value], snapshot: &Snapshot) -> Result<Value> {
    use CatalogFunction as F;
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let strict = matches!(
        func,
        F::FormatType
            | F::GetExpr
            | F::GetIndexdef
            | F::GetViewdef
            | F::GetConstraintdef
            | F::GetTriggerdef
            | F::GetUserbyid
            | F::GetSerialSequence
            | F::EncodingToChar
            | F::ToRegtype
            | F::ToRegclass
            | F::RegclassIn
            | F::RegclassOut
            | F::RegtypeIn
            | F::RegtypeOut
            | F::ArrayLength
            | F::HashOf
            | F::MergeBase
            | F::RelationSize(_)
            | F::DatabaseSize
            | F::FunctionResult
            | F::FunctionArguments { .. }
            | F::FunctionDef
            | F::FunctionSqlBody
            | F::RegprocIn
    );
    if strict && args.first().is_none_or(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match func {
        F::FormatType => {
            let typmod = as_i64(&arg(1)).and_then(|m| i32::try_from(m).ok());
            match oid_arg(&arg(0)) {
                Some(o) => text(format_type(o, typmod).unwrap_or_else(|| "???".into())),
                None => Value::Null,
            }
        }
        // `pretty` drops the parentheses PostgreSQL puts around a top-level operator.
        F::GetExpr => match (arg(0), arg(2)) {
            (Value::Text(t), Value::Bool(true)) => text(without_outer_parentheses(&t)),
            (expr, _) => expr,
        },
        F::GetIndexdef => index_def(snapshot, args)?,
        F::FunctionResult | F::FunctionArguments { .. } | F::FunctionDef | F::FunctionSqlBody => {
            use crate::system::functions as f;
            match oid_arg(&arg(0)).and_then(|o| f::by_oid(&snapshot.root, o)) {
                Some((key, function)) => match func {
                    // A procedure has no result.
                    F::FunctionResult
                        if function.returns == vdb_engine::table::FunctionReturns::Procedure =>
                    {
                        Value::Null
                    }
                    F::FunctionResult => text(f::result_text(function)),
                    F::FunctionArguments { identity } => {
                        text(f::arguments_text(function, identity))
                    }
                    F::FunctionSqlBody => f::sql_body(function).map_or(Value::Null, text),
                    _ => text(f::definition(&key, function)),
                },
                None => Value::Null,
            }
        }
        F::RegprocIn => match arg(0) {
            Value::Text(name) => match name.trim().parse::<u32>() {
                Ok(o) => oid_value(o),
                Err(_) => oid_value(crate::system::functions::regproc_in(snapshot, &name)?),
            },
            other => other,
        },
        F::GetViewdef => {
            let objects = snapshot.objects()?;
            let relation = match &arg(0) {
                Value::Text(name) => name
                    .parse::<u32>()
                    .ok()
                    .or_else(|| regclass(snapshot, name).ok().flatten()),
                other => oid_arg(other),
            }
            .and_then(|o| objects.relation(o));
            let query = relation.and_then(|r| {
                r.view
                    .as_deref()
                    .or(r.schema.materialized.as_ref().map(|m| m.query.as_str()))
            });
            match query {
                Some(query) => text(crate::system::view_definition(query)),
                None => Value::Null,
            }
        }
        F::GetConstraintdef => {
            let objects = snapshot.objects()?;
            let pretty = matches!(arg(1), Value::Bool(true));
            match oid_arg(&arg(0)).and_then(|o| objects.constraint(o)) {
                Some((_, c)) => match (&c.pretty_definition, pretty) {
                    (Some(definition), true) => text(definition),
                    _ => text(&c.definition),
                },
                None => oid_arg(&arg(0))
                    .and_then(|o| {
                        crate::system::domains::constraint_definition(&snapshot.root, o, pretty)
                    })
                    .map_or(Value::Null, text),
            }
        }
        F::GetTriggerdef => {
            let objects = snapshot.objects()?;
            let pretty = matches!(arg(1), Value::Bool(true));
            match oid_arg(&arg(0)).and_then(|o| crate::system::triggers::by_oid(objects, o)) {
                Some((relation, trigger)) => text(crate::system::triggers::definition(
                    relation, trigger, pretty,
                )),
                None => Value::Null,
            }
        }
        F::ActiveBranch => {
            let vc = snapshot.must_vc()?;
            match vc.pinned {
                Some(_) => Value::Null,
                None => text(&vc.branch),
            }
        }
        F::HashOf => {
            let vc = snapshot.must_vc()?;
            match text_arg(&arg(0)) {
                Some(rev) => text(vc.resolve_commit(&rev)?.to_hex()),
                None => Value::Null,
            }
        }
        F::MergeBase => {
            let vc = snapshot.must_vc()?;
            match (text_arg(&arg(0)), text_arg(&arg(1))) {
                (Some(a), Some(b)) => {
                    let (a, b) = (vc.resolve_commit(&a)?, vc.resolve_commit(&b)?);
                    vdb_engine::repo::merge_base(&**vc.repo.store(), a, b)
                        .map_err(crate::vc::vc_error)?
                        .map_or(Value::Null, |h| text(h.to_hex()))
                }
                _ => Value::Null,
            }
        }
        F::TableIsVisible => match oid_arg(&arg(0)) {
            Some(o) => Value::Bool(snapshot.objects()?.is_visible(o, &snapshot.search_path())),
            None => Value::Null,
        },
        F::AlwaysTrue => Value::Bool(true),
        F::AlwaysNull => Value::Null,
        F::ObjDescription => {
            let catalog = text_arg(&arg(1));
            let objects = snapshot.objects()?;
            match oid_arg(&arg(0)).and_then(|o| objects.relation(o)) {
                Some(r) if catalog.is_none_or(|c| c == "pg_class") => {
                    r.schema.comments.table.clone().map_or(Value::Null, text)
                }
                _ => Value::Null,
            }
        }
        F::ColDescription => {
            let objects = snapshot.objects()?;
            let relation = oid_arg(&arg(0)).and_then(|o| objects.relation(o));
            let column = as_i64(&arg(1))
                .and_then(|n| usize::try_from(n).ok()?.checked_sub(1))
                .and_then(|i| relation?.schema.columns.get(i));
            match (relation, column) {
                (Some(r), Some(c)) => r
                    .schema
                    .comments
                    .columns
                    .get(&c.id)
                    .map_or(Value::Null, text),
                _ => Value::Null,
            }
        }
        F::GetUserbyid => match oid_arg(&arg(0)) {
            Some(crate::system::DATABASE_OWNER_OID) => text("pg_database_owner"),
            _ => text(snapshot.user()),
        },
        F::GetSerialSequence => serial_sequence(snapshot, &arg(0), &arg(1))?,
        F::EncodingToChar => text(if as_i64(&arg(0)) == Some(6) {
            "UTF8"
        } else {
            ""
        }),
        F::ToRegtype => text_arg(&arg(0))
            .and_then(|n| regtype(snapshot, &n))
            .map_or(Value::Null, oid_value),
        F::ToRegclass => match text_arg(&arg(0)) {
            Some(n) => regclass(snapshot, &n)
                .ok()
                .flatten()
                .map_or(Value::Null, oid_value),
            None => Value::Null,
        },
        F::RegclassIn => regclass_in(snapshot, &arg(0))?,
        F::RegclassOut => {
            let o = oid_arg(&arg(0)).unwrap_or(0);
            match snapshot
                .objects()?
                .relation_name(o, &snapshot.search_path())
            {
                Some(name) => text(name),
                None if o == 0 => text("-"),
                // pg_catalog is always searched first, so its tables print bare.
                None => text(
                    crate::system::catalog_table_name(o)
                        .map_or_else(|| o.to_string(), str::to_string),
                ),
            }
        }
        F::RegtypeIn => match &arg(0) {
            Value::Text(name) => match name.trim().parse::<u32>() {
                Ok(o) => oid_value(o),
                Err(_) => regtype(snapshot, name).map(oid_value).ok_or_else(|| {
                    Error::invalid("42704", format!("type \"{name}\" does not exist"))
                })?,
            },
            other => other.clone(),
        },
        F::RegtypeOut => {
            let o = oid_arg(&arg(0)).unwrap_or(0);
            if o == 0 {
                text("-")
            } else {
                text(
                    format_type(o, None)
                        .or_else(|| enum_type_display(snapshot, o))
                        .unwrap_or_else(|| o.to_string()),
                )
            }
        }
        F::CurrentSetting => {
            let Some(name) = text_arg(&arg(0)) else {
                return Ok(Value::Null);
            };
            let missing_ok = arg(1) == Value::Bool(true);
            if let Some(value) = crate::settings::pending_config(&name) {
                return Ok(text(&value));
            }
            match snapshot.settings.get(&name) {
                Some(v) => text(v),
                None if missing_ok => Value::Null,
                None => return Err(snapshot.settings.must_get(&name).unwrap_err()),
            }
        }
        F::SetConfig => {
            let Some(name) = text_arg(&arg(0)) else {
                return Err(Error::invalid("22023", "SET requires parameter name"));
            };
            let value = text_arg(&arg(1)).unwrap_or_default();
            // Checked as SET would check it; the session applies it when the statement ends.
            let mut probe = snapshot.settings.clone();
            probe.set(&name, &value)?;
            let shown = probe.get(&name).unwrap_or_else(|| value.clone());
            crate::settings::record_config_change(crate::settings::ConfigChange {
                name,
                value,
                local: arg(2) == Value::Bool(true),
            });
            text(&shown)
        }
        F::CurrentDatabase => text(snapshot.database()),
        F::CurrentSchema => snapshot
            .explicit_search_path()
            .into_iter()
            .next()
            .map_or(Value::Null, |s| text(crate::temp::display_schema(&s))),
        F::CurrentSchemas => {
            // With implicit schemas, as PostgreSQL lists them: the temporary schema (when
            // the path does not name it) before pg_catalog.
            let explicit = snapshot.explicit_search_path();
            let mut list = Vec::new();
            if arg(0) == Value::Bool(true) {
                let path = snapshot.search_path();
                if path.len() > explicit.len() {
                    list.push(text(crate::temp::TEMP_SCHEMA_DISPLAY));
                }
                list.push(text("pg_catalog"));
            }
            list.extend(
                explicit
                    .iter()
                    .map(|s| text(crate::temp::display_schema(s))),
            );
            Value::array(list)
        }
        F::CurrentUser => text(snapshot.user()),
        F::Version => text(crate::settings::VERSION),
        F::AdvisoryLock {
            shared,
            transaction,
            wait,
        } => {
            let Some(request) = advisory_request(snapshot, args, shared, transaction)? else {
                return Ok(Value::Null);
            };
            let taken = crate::advisory::acquire(request, wait)?;
            if wait {
                text("")
            } else {
                Value::Bool(taken)
            }
        }
        F::AdvisoryUnlock { shared } => match advisory_request(snapshot, args, shared, false)? {
            Some(request) => Value::Bool(crate::advisory::release(request)),
            None => Value::Null,
        },
        F::AdvisoryUnlockAll => {
            if let Some(vc) = &snapshot.vc {
                crate::advisory::release_session_level(vc.listener);
            }
            text("")
        }
        F::DatabaseEncoding => text("UTF8"),
        F::RegnameIn { kind, missing_ok } => match text_arg(&arg(0)) {
            None => Value::Null,
            Some(name) => match name.trim().parse::<u32>() {
                Ok(o) => oid_value(o),
                Err(_) => match regname_oid(snapshot, kind, &unquote(name.trim()))? {
                    Some(o) => oid_value(o),
                    None if missing_ok => Value::Null,
                    None if kind == RegName::Role => {
                        return Err(Error::invalid(
                            "42704",
                            format!("role \"{}\" does not exist", unquote(name.trim())),
                        ))
                    }
                    None => {
                        return Err(Error::invalid(
                            "3F000",
                            format!("schema \"{}\" does not exist", unquote(name.trim())),
                        ))
                    }
                },
            },
        },
        F::RegnameOut(kind) => match oid_arg(&arg(0)) {
            None => Value::Null,
            Some(0) => text("-"),
            Some(o) => text(regname_name(snapshot, kind, o)?.unwrap_or_else(|| o.to_string())),
        },
        F::CharToEncoding => match text_arg(&arg(0)) {
            Some(name) => {
                let name = name.to_ascii_lowercase().replace(['-', '_'], "");
                Value::Int4(if name == "utf8" || name == "unicode" {
                    6
                } else {
                    -1
                })
            }
            None => Value::Null,
        },
        F::DescribeObject => match (oid_arg(&arg(0)), oid_arg(&arg(1))) {
            (Some(class), Some(object)) => describe_object(snapshot, class, object)?,
            _ => Value::Null,
        },
        F::ListeningChannels => {
            let listener = snapshot.vc.as_ref().map_or(0, |vc| vc.listener);
            Value::Array(
                crate::notify::channels_of(listener)
                    .into_iter()
                    .map(Value::Text)
                    .collect(),
            )
        }
        F::BackendPid => Value::Int4(own_pid(snapshot)),
        F::ClientAddr | F::ClientPort | F::CurrentQuery => {
            let me = snapshot
                .vc
                .as_ref()
                .and_then(|vc| crate::activity::find(vc.process_id));
            match (me, func) {
                (Some(b), F::CurrentQuery) => text(b.query),
                (Some(b), F::ClientAddr) => b.client.map_or(Value::Null, |(a, _)| text(a)),
                (Some(b), _) => b.client.map_or(Value::Null, |(_, p)| Value::Int4(p)),
                (None, _) => Value::Null,
            }
        }
        F::CancelBackend => match arg(0) {
            Value::Null => Value::Null,
            pid => Value::Bool(crate::activity::cancel(pid_arg(&pid)?)),
        },
        F::TerminateBackend => match arg(0) {
            Value::Null => Value::Null,
            pid => Value::Bool(crate::activity::terminate(
                pid_arg(&pid)?,
                own_pid(snapshot),
            )),
        },
        F::RelationSize(kind) => {
            let fork = text_arg(&arg(1));
            if let Some(fork) = &fork {
                if !matches!(fork.as_str(), "main" | "fsm" | "vm" | "init") {
                    return Err(Error::invalid(
                        "22023",
                        format!("invalid fork name: \"{fork}\""),
                    ));
                }
            }
            let o = oid_arg(&arg(0)).unwrap_or(0);
            match crate::system::relation_size(snapshot, o, kind)? {
                // Only the main fork holds chunks.
                Some(_) if fork.as_deref().is_some_and(|f| f != "main") => Value::Int8(0),
                Some(bytes) => Value::Int8(i64::try_from(bytes).unwrap_or(i64::MAX)),
                None => Value::Null,
            }
        }
        F::DatabaseSize => match &arg(0) {
            Value::Text(name) if *name != snapshot.database() => {
                return Err(Error::invalid(
                    "3D000",
                    format!("database \"{name}\" does not exist"),
                ))
            }
            _ => Value::Int8(database_size(snapshot)?),
        },
        F::ArrayToString => array_to_string(&arg(0), &arg(1), &arg(2)),
        F::ArrayLength => match (arg(0), as_i64(&arg(1))) {
            (Value::Array(items), Some(1)) if !items.is_empty() => {
                Value::Int4(i32::try_from(items.len()).unwrap_or(i32::MAX))
            }
            _ => Value::Null,
        },
    })
}

/// `pg_database_size`: the chunks of every table of the snapshot's root.
fn database_size(snapshot: &Snapshot) -> Result<i64> {
    let mut total = 0u64;
    for rel in &snapshot.objects()?.relations {
        let size = crate::system::relation_size(snapshot, rel.oid, crate::system::SizeKind::Total)?;
        total += size.unwrap_or(0);
    }
    Ok(i64::try_from(total).unwrap_or(i64::MAX))
}

/// `pg_get_indexdef(oid [, column, pretty])`: the CREATE INDEX statement, or with a column
/// number > 0 that column's name.
fn index_def(snapshot: &Snapshot, args: &[Value]) -> Result<Value> {
    let objects = snapshot.objects()?;
    let Some((relation, index)) = args
        .first()
        .and_then(oid_arg)
        .and_then(|o| objects.index(o))
    else {
        return Ok(Value::Null);
    };
    let column = args.get(1).and_then(as_i64).unwrap_or(0);
    if column > 0 {
        // Key parts, then INCLUDE columns, as PostgreSQL numbers them.
        let n = usize::try_from(column - 1).unwrap_or(usize::MAX);
        let part = index.parts.iter().chain(&index.include).nth(n);
        return Ok(text(part.cloned().unwrap_or_default()));
    }
    // Plain output always names the schema; pretty output leaves out the public one, which is
    // on the search path.
    let pretty = matches!(args.get(2), Some(Value::Bool(true)));
    Ok(text(index.definition(&match relation.nspname.as_str() {
        "public" if pretty => quote_ident(&relation.name),
        schema => format!("{}.{}", quote_ident(schema), quote_ident(&relation.name)),
    })))
}

/// The advisory lock an advisory function's arguments name: one bigint, or two integers (a
/// key space of its own); `None` when an argument is NULL. Outside a session (no repository)
/// 0A000.
fn advisory_request(
    snapshot: &Snapshot,
    args: &[Value],
    shared: bool,
    transaction: bool,
) -> Result<Option<crate::advisory::Request>> {
    let Some(vc) = &snapshot.vc else {
        return Err(Error::Unsupported(
            "advisory locks outside a server session".into(),
        ));
    };
    let keys: Option<Vec<i64>> = args.iter().map(as_i64).collect();
    let Some(keys) = keys else {
        return Ok(None);
    };
    let (space, key) = match keys.as_slice() {
        [key] => (1, *key),
        [high, low] => (2, (high << 32) | (low & 0xffff_ffff)),
        _ => return Ok(None),
    };
    Ok(Some(crate::advisory::Request {
        database: std::sync::Arc::as_ptr(&vc.repo) as usize,
        session: vc.listener,
        space,
        key,
        shared,
        transaction,
    }))
}

/// What `pg_describe_object` says of object `object` of catalog `class`: its kind and name as
/// PostgreSQL words them (schema-qualified when not on the search path); NULL for an object
/// vdb does not know.
fn describe_object(snapshot: &Snapshot, class: u32, object: u32) -> Result<Value> {
    let objects = snapshot.objects()?;
    let path = snapshot.search_path();
    let described = match class {
        // pg_class
        1259 => objects.relation_name(object, &path).map(|name| {
            let kind = match objects.relation(object) {
                Some(r) if r.view.is_some() => "view",
                Some(r) if r.schema.materialized.is_some() => "materialized view",
                Some(_) => "table",
                None if objects.sequences.iter().any(|s| s.oid == object) => "sequence",
                None => "index",
            };
            format!("{kind} {name}")
        }),
        // pg_namespace
        2615 => match object {
            crate::system::PUBLIC_OID => Some("schema public".to_string()),
            o => objects
                .namespaces
                .iter()
                .find(|(oid, _)| *oid == o)
                .map(|(_, name)| format!("schema {}", quote_ident(name))),
        },
        // pg_type
        1247 => format_type(object, None)
            .or_else(|| enum_type_display(snapshot, object))
            .map(|name| format!("type {name}")),
        _ => None,
    };
    Ok(described.map_or(Value::Null, text))
}

/// The OID of schema or role `name` (already unquoted), if it exists.
fn regname_oid(snapshot: &Snapshot, kind: RegName, name: &str) -> Result<Option<u32>> {
    Ok(match kind {
        RegName::Namespace => Some(snapshot.objects()?.namespace_oid(name)).filter(|o| *o != 0),
        RegName::Role if name == snapshot.user() => Some(crate::system::SUPERUSER_OID),
        RegName::Role if name == "pg_database_owner" => Some(crate::system::DATABASE_OWNER_OID),
        RegName::Role => None,
    })
}

/// The name of schema or role `oid`, if it exists.
fn regname_name(snapshot: &Snapshot, kind: RegName, oid: u32) -> Result<Option<String>> {
    Ok(match kind {
        RegName::Namespace => {
            let objects = snapshot.objects()?;
            ["public", "pg_catalog", "information_schema", "vdb"]
                .into_iter()
                .map(str::to_string)
                .chain(objects.namespaces.iter().map(|(_, n)| n.clone()))
                .find(|n| objects.namespace_oid(n) == oid)
                .map(|n| quote_ident(&n))
        }
        RegName::Role => match oid {
            crate::system::SUPERUSER_OID => Some(quote_ident(&snapshot.user())),
            crate::system::DATABASE_OWNER_OID => Some("pg_database_owner".into()),
            _ => None,
        },
    })
}

/// `pg_get_serial_sequence(table, column)`: `public.seq` when the column's default draws from
/// a sequence, else NULL.
pub(crate) fn serial_sequence(snapshot: &Snapshot, table: &Value, column: &Value) -> Result<Value> {
    let (Some(table), Some(column)) = (text_arg(table), text_arg(column)) else {
        return Ok(Value::Null);
    };
    let objects = snapshot.objects()?;
    let Some(relation) = regclass(snapshot, &table)?.and_then(|o| objects.relation(o)) else {
        return Err(Error::UndefinedTable(table));
    };
    let Some(col) = relation.schema.columns.iter().find(|c| c.name == column) else {
        return Err(Error::UndefinedColumn(format!(
            "column \"{column}\" of relation \"{table}\" does not exist"
        )));
    };
    Ok(col
        .default
        .as_deref()
        .and_then(crate::system::nextval_sequence)
        .map_or(Value::Null, |s| {
            let (schema, name) = split_qualified(&s);
            text(format!("{}.{}", quote_ident(schema), quote_ident(name)))
        }))
}

/// A relation name as `regclassin` reads it: optionally `public.`/`pg_catalog.`-qualified,
/// unquoted names folded to lower case.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => name.to_lowercase(),
    }
}

/// The OID of the relation named `name` (`t`, `s.t`, quoted parts unfolded), if it exists
/// (system tables get a fixed OID); 3F000 for a schema that does not exist.
/// The OID a type name names (`regtypein`): a built-in type, or an enum type, qualified or
/// found along the search path.
fn regtype(snapshot: &Snapshot, name: &str) -> Option<u32> {
    if let Some(oid) = type_oid_by_name(name) {
        return Some(oid);
    }
    let parts = name_parts(name.trim());
    let key = match parts.as_slice() {
        [schema, bare] | [_, schema, bare] => Some(qualified(schema, bare)),
        [bare] => snapshot
            .search_path()
            .iter()
            .map(|schema| qualified(schema, bare))
            .find(|key| {
                snapshot.root.get_type(key).is_some() || snapshot.root.get_domain(key).is_some()
            }),
        _ => None,
    }?;
    (snapshot.root.get_type(&key).is_some() || snapshot.root.get_domain(&key).is_some())
        .then(|| crate::types::enums::type_oid(&key))
}

/// How `regtypeout` names an enum type: bare when the search path finds it, else qualified.
fn enum_type_display(snapshot: &Snapshot, oid: u32) -> Option<String> {
    let key = snapshot
        .root
        .type_names()
        .chain(snapshot.root.domain_names())
        .find(|key| crate::types::enums::type_oid(key) == oid)?;
    let (schema, bare) = split_qualified(key);
    let visible = snapshot.search_path().iter().find_map(|s| {
        let candidate = qualified(s, bare);
        (snapshot.root.get_type(&candidate).is_some()
            || snapshot.root.get_domain(&candidate).is_some())
        .then_some(candidate)
    });
    Some(if visible.as_deref() == Some(key) {
        bare.to_string()
    } else {
        format!("{schema}.{bare}")
    })
}

fn regclass(snapshot: &Snapshot, name: &str) -> Result<Option<u32>> {
    let parts = name_parts(name.trim());
    let objects = snapshot.objects()?;
    match parts.as_slice() {
        [schema, _] | [_, schema, _] if schema == "pg_catalog" => {
            Ok(parts.last().and_then(|n| system_oid(n)))
        }
        [schema, bare] | [_, schema, bare] => {
            if objects.namespace_oid(schema) == 0 {
                return Err(Error::invalid(
                    "3F000",
                    format!("schema \"{schema}\" does not exist"),
                ));
            }
            Ok(objects.relation_oid_in(schema, bare))
        }
        // pg_catalog comes first, as PostgreSQL searches it before the path (and as FROM
        // resolves a bare catalog name).
        [bare] => Ok(system_oid(bare).or_else(|| {
            snapshot
                .search_path()
                .iter()
                .find_map(|p| objects.relation_oid_in(p, bare))
        })),
        _ => Ok(None),
    }
}

/// The dot-separated parts of a relation name, each as `regclassin` reads it (see [`unquote`]).
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in name.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '.' if !quoted => parts.push(unquote(&std::mem::take(&mut current))),
            _ => current.push(c),
        }
    }
    parts.push(unquote(&current));
    parts
}

/// Fixed OIDs of the system tables that clients name in casts.
fn system_oid(name: &str) -> Option<u32> {
    crate::system::catalog_table_oid(name).and_then(|o| u32::try_from(o).ok())
}

fn regclass_in(snapshot: &Snapshot, v: &Value) -> Result<Value> {
    let Value::Text(name) = v else {
        return Ok(v.clone());
    };
    if let Ok(o) = name.trim().parse::<u32>() {
        return Ok(oid_value(o));
    }
    regclass(snapshot, name)?
        .map(oid_value)
        .ok_or_else(|| Error::UndefinedTable(name.clone()))
}

fn array_to_string(array: &Value, delimiter: &Value, null: &Value) -> Value {
    let (Value::Array(items), Some(delimiter)) = (array, text_arg(delimiter)) else {
        return Value::Null;
    };
    let null = text_arg(null);
    let parts: Vec<String> = items
        .iter()
        .filter_map(|v| match v {
            Value::Null => null.clone(),
            other => text_arg(other),
        })
        .collect();
    text(parts.join(&delimiter))
}

/// `s ~ pattern` (and its negated and case-insensitive forms) with the `regex` crate, whose
/// syntax covers the POSIX patterns clients send (`^(labels)$`, `^pg_`, `^pg_toast`).
pub fn regex_match(
    s: &Value,
    pattern: &Value,
    negated: bool,
    case_insensitive: bool,
) -> Result<Value> {
    let (Some(s), Some(pattern)) = (text_arg(s), text_arg(pattern)) else {
        return Ok(Value::Null);
    };
    let re = super::functions::codec::regex(&pattern, if case_insensitive { "i" } else { "" })?;
    Ok(Value::Bool(re.is_match(&s)? != negated))
}
