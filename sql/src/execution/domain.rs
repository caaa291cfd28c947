//! Domain DDL against the root: CREATE DOMAIN, DROP DOMAIN (and DROP TYPE of a domain) and
//! ALTER DOMAIN. A constraint added to a domain is checked against the values of every column
//! declared with it before the root is touched, as PostgreSQL validates it.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{qualified, split_qualified, CheckDef, Domain, RootValue};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::planner::domain::{condition, constraint_exists, missing};
use crate::planner::DomainChange;
use crate::types::enums::display_name;

use super::enum_type::{columns_where, depended_on, skip_missing_type};

/// CREATE DOMAIN `name`.
pub fn create_domain(name: &str, domain: Domain, root: &mut RootValue) -> Result<()> {
    if root.get_type(name).is_some()
        || root.get_domain(name).is_some()
        || super::ddl::relation_exists(root, name)
    {
        return Err(Error::invalid(
            "42710",
            format!("type \"{}\" already exists", display_name(name)),
        ));
    }
    root.put_domain(name, domain);
    Ok(())
}

/// DROP DOMAIN `names`: all are checked before any is dropped. A domain a column uses is
/// 2BP01, CASCADE included (vdb does not drop the columns).
pub fn drop_domains(
    names: &[String],
    if_exists: bool,
    _cascade: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let mut dropping = Vec::new();
    for name in names {
        if root.get_type(name).is_some() {
            return Err(not_a_domain(name));
        }
        if root.get_domain(name).is_none() {
            if if_exists {
                skip_missing_type(name, root);
                continue;
            }
            return Err(missing(name));
        }
        if !columns_using(name, root, ns)?.is_empty() {
            return Err(depended_on(name));
        }
        dropping.push(name);
    }
    for name in dropping {
        root.remove_domain(name);
    }
    Ok(())
}

fn not_a_domain(name: &str) -> Error {
    Error::invalid(
        "42809",
        format!("\"{}\" is not a domain", display_name(name)),
    )
}

/// ALTER DOMAIN `name`.
pub fn alter_domain(
    name: &str,
    change: DomainChange,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    if root.get_type(name).is_some() {
        return Err(not_a_domain(name));
    }
    let Some(mut domain) = root.get_domain(name).cloned() else {
        return Err(missing(name));
    };
    let bare = split_qualified(name).1;
    match change {
        DomainChange::AddCheck { name: check, expr } => {
            if domain.checks.iter().any(|c| c.name == check) {
                return Err(constraint_exists(&check, bare));
            }
            let cond = condition(&domain.base, &expr)?;
            validate(name, root, ns, |value| {
                Ok(
                    (cond.eval(std::slice::from_ref(value))? == Value::Bool(false)).then(|| {
                        Error::invalid("23514", "contains values that violate the new constraint")
                    }),
                )
            })?;
            domain.checks.push(CheckDef {
                name: check,
                expr,
                not_valid: false,
            });
        }
        DomainChange::DropConstraint {
            name: check,
            if_exists,
        } => match domain.checks.iter().position(|c| c.name == check) {
            Some(i) => {
                domain.checks.remove(i);
            }
            None if if_exists => {
                crate::notice::skipping_missing(format!(
                    "constraint \"{check}\" of domain \"{bare}\""
                ));
                return Ok(());
            }
            None => return Err(no_constraint(&check, bare)),
        },
        DomainChange::RenameConstraint { from, to } => {
            if domain.checks.iter().any(|c| c.name == to) {
                return Err(constraint_exists(&to, bare));
            }
            let check = domain
                .checks
                .iter_mut()
                .find(|c| c.name == from)
                .ok_or_else(|| no_constraint(&from, bare))?;
            check.name = to;
        }
        DomainChange::SetDefault(default) => domain.default = default,
        DomainChange::NotNull(not_null) => {
            if not_null && !domain.not_null {
                validate(name, root, ns, |value| {
                    Ok(value
                        .is_null()
                        .then(|| Error::invalid("23502", "contains null values")))
                })?;
            }
            domain.not_null = not_null;
        }
        DomainChange::Rename { to } => return rename(name, domain, &to, root, ns),
        DomainChange::Owner => return Ok(()),
    }
    root.put_domain(name, domain);
    Ok(())
}

fn no_constraint(check: &str, domain: &str) -> Error {
    Error::invalid(
        "42704",
        format!("constraint \"{check}\" of domain \"{domain}\" does not exist"),
    )
}

/// ALTER DOMAIN .. RENAME TO: the domain moves to its new key, and the columns declared with it
/// follow.
fn rename(
    name: &str,
    domain: Domain,
    to: &str,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let (schema, _) = split_qualified(name);
    let new = qualified(schema, to);
    if root.get_type(&new).is_some()
        || root.get_domain(&new).is_some()
        || super::ddl::relation_exists(root, &new)
    {
        return Err(Error::invalid(
            "42710",
            format!("type \"{to}\" already exists in schema \"{schema}\""),
        ));
    }
    for (table, _) in columns_using(name, root, ns)? {
        let loaded = root
            .must_get_table(ns, &table)
            .map_err(|e| Error::engine(format!("loading table \"{table}\""), e))?;
        super::insert::store(&table, &loaded.with_domain_renamed(name, &new), root)?;
    }
    root.remove_domain(name);
    root.put_domain(&new, domain);
    Ok(())
}

/// Runs `bad` over every value of every column declared with domain `name`; the first error it
/// gives fails the ALTER, its message prefixed with the column and table as PostgreSQL's is.
fn validate(
    name: &str,
    root: &RootValue,
    ns: &NodeStore,
    bad: impl Fn(&Value) -> Result<Option<Error>>,
) -> Result<()> {
    for (table, columns) in columns_using(name, root, ns)? {
        let loaded = root
            .must_get_table(ns, &table)
            .map_err(|e| Error::engine(format!("loading table \"{table}\""), e))?;
        let schema = loaded.schema();
        for entry in loaded
            .scan()
            .map_err(|e| Error::engine(format!("reading table \"{table}\""), e))?
        {
            let (_, row) =
                entry.map_err(|e| Error::engine(format!("reading table \"{table}\""), e))?;
            for &i in &columns {
                if let Some(Error::InvalidStatement { sqlstate, message }) = bad(&row[i])? {
                    return Err(Error::InvalidStatement {
                        sqlstate,
                        message: format!(
                            "column \"{}\" of table \"{}\" {message}",
                            schema.columns[i].name,
                            split_qualified(&table).1
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The tables with columns declared with domain `name`, and those columns' positions.
fn columns_using(
    name: &str,
    root: &RootValue,
    ns: &NodeStore,
) -> Result<Vec<(String, Vec<usize>)>> {
    columns_where(root, ns, |c| c.domain.as_deref() == Some(name))
}
