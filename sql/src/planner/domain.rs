//! Domains: reading and planning `CREATE DOMAIN`, `ALTER DOMAIN` and `DROP DOMAIN`, and the
//! checks a value coerced to a domain goes through ([`Expr::Domain`]).
//!
//! sqlparser 0.52 reads none of the three statements. [`parse`] respells each as one it reads,
//! marked by [`DOMAIN_MARKER`] as the first part of the name: `CREATE DOMAIN d [AS] t options`
//! as `CREATE TABLE marker.d (value t options)`, so that sqlparser reads the type, DEFAULT,
//! [NOT] NULL and [CONSTRAINT c] CHECK (...) as a column's; ALTER DOMAIN as the ALTER TABLE of
//! that name (ADD / DROP / RENAME CONSTRAINT, `ALTER COLUMN value` SET / DROP DEFAULT and NOT
//! NULL, RENAME TO, OWNER TO); DROP DOMAIN as DROP TYPE with `purge` set, which PostgreSQL's
//! grammar never sets.
//!
//! A domain's values are held as values of its base type, so expressions see the base type; a
//! cast to the domain and every value written to a column declared with it are wrapped in an
//! [`Expr::Domain`] that checks NOT NULL and the CHECK conditions, as PostgreSQL checks a value
//! when it is coerced to the domain.

use std::sync::Arc;

use sqlparser::ast::{self, ObjectName, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;
use vdb_engine::table::{CheckDef, Column, Domain};
use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::expr::{DomainCheck, Expr};
use crate::planner::expr::{bind, boolean, ident_name, Scope, ScopeColumn, Typed};
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::{DomainChange, SchemaChange};
use crate::tokens::{is_word, significant};

/// The first name part of the CREATE TABLE / ALTER TABLE that stands for a domain statement.
pub const DOMAIN_MARKER: &str = "\u{1}vdb domain";

/// CREATE, ALTER or DROP DOMAIN respelled and parsed; `None` for any other text.
pub fn parse(sql: &str) -> Option<Result<Vec<Statement>>> {
    let (tokens, at) = significant(sql)?;
    let word = |k: usize, w: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], w));
    if !word(1, "domain") {
        return None;
    }
    let mut end = at.len();
    while end > 0 && tokens[at[end - 1]] == Token::SemiColon {
        end -= 1;
    }
    // Several statements are read one at a time (see `crate::session::parse`).
    if at[..end].iter().any(|&i| tokens[i] == Token::SemiColon) {
        return None;
    }
    let text = |from: usize| -> String {
        match (at.get(from), end.checked_sub(1).and_then(|t| at.get(t))) {
            (Some(&a), Some(&b)) if a <= b => tokens[a..=b].iter().map(|t| t.to_string()).collect(),
            _ => String::new(),
        }
    };
    // The domain's name: identifiers joined by periods, from position 2.
    let mut after_name = 3;
    while at
        .get(after_name)
        .is_some_and(|&i| tokens[i] == Token::Period)
    {
        after_name += 2;
    }
    let name: String = match (at.get(2), at.get(after_name - 1)) {
        (Some(&a), Some(&b)) if a <= b => tokens[a..=b].iter().map(|t| t.to_string()).collect(),
        _ => return Some(Err(syntax())),
    };
    let marked = format!("\"{DOMAIN_MARKER}\".{name}");
    let respelled = if word(0, "create") {
        let from = if word(after_name, "as") {
            after_name + 1
        } else {
            after_name
        };
        format!("CREATE TABLE {marked} (value {})", text(from))
    } else if word(0, "alter") {
        let rest = text(after_name);
        let k = after_name;
        if (word(k, "set") || word(k, "drop")) && (word(k + 1, "default") || word(k + 1, "not")) {
            format!("ALTER TABLE {marked} ALTER COLUMN value {rest}")
        } else if word(k, "add") && word(k + 1, "check") {
            // sqlparser reads a table constraint only after ADD CONSTRAINT or with a name.
            format!(
                "ALTER TABLE {marked} ADD CONSTRAINT \"\u{1}\" {}",
                text(k + 1)
            )
        } else {
            format!("ALTER TABLE {marked} {rest}")
        }
    } else if word(0, "drop") {
        format!("DROP TYPE {}", text(2))
    } else {
        return None;
    };
    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &respelled).map_err(|_| syntax());
    Some(parsed.map(|mut statements| {
        if word(0, "drop") {
            for statement in &mut statements {
                if let Statement::Drop { purge, .. } = statement {
                    *purge = true;
                }
            }
        }
        statements
    }))
}

fn syntax() -> Error {
    Error::invalid("42601", "syntax error in a DOMAIN statement")
}

/// The domain name a marked name stands for.
fn unmarked(name: &ObjectName) -> Option<ObjectName> {
    let (marker, rest) = name.0.split_first()?;
    (marker.value == DOMAIN_MARKER).then(|| ObjectName(rest.to_vec()))
}

/// CREATE DOMAIN, when `create` is the marked CREATE TABLE [`parse`] makes of it.
pub fn plan_create(create: &ast::CreateTable) -> Option<Result<Planned>> {
    let name = unmarked(&create.name)?;
    Some(create_domain(&name, create))
}

fn create_domain(name: &ObjectName, create: &ast::CreateTable) -> Result<Planned> {
    let key = crate::catalog::create_name(name)?;
    let bare = vdb_engine::table::split_qualified(&key).1.to_string();
    let [def] = create.columns.as_slice() else {
        return Err(syntax());
    };
    if !create.constraints.is_empty() {
        return Err(syntax());
    }
    // A domain over a domain keeps the inner one's constraints.
    let mut domain = match crate::catalog::domain_of(&def.data_type) {
        Some((_, inner)) => inner,
        None => Domain {
            base: crate::types::sql_type(&def.data_type)?,
            not_null: false,
            default: None,
            checks: Vec::new(),
        },
    };
    let mut named_checks = Vec::new();
    for option in &def.options {
        match &option.option {
            ast::ColumnOption::Null => domain.not_null = false,
            ast::ColumnOption::NotNull => domain.not_null = true,
            ast::ColumnOption::Default(e) => {
                super::statement::assign(
                    super::statement::bind_default(e)?,
                    "value",
                    &domain.base,
                )?;
                domain.default = super::statement::stored_default(e);
            }
            ast::ColumnOption::Check(e) => {
                let text = e.to_string();
                condition(&domain.base, &text)?;
                named_checks.push((option.name.as_ref().map(ident_name), text));
            }
            other => {
                return Err(Error::invalid(
                    "42P16",
                    format!("{other} constraints not possible for domains"),
                ))
            }
        }
    }
    for (given, expr) in named_checks {
        let name = match given {
            Some(name) => name,
            None => fresh_check_name(&bare, &domain),
        };
        if domain.checks.iter().any(|c| c.name == name) {
            return Err(constraint_exists(&name, &bare));
        }
        domain.checks.push(CheckDef {
            name,
            expr,
            not_valid: false,
        });
    }
    Ok(done(
        SchemaChange::CreateDomain { name: key, domain },
        "CREATE DOMAIN",
    ))
}

/// PostgreSQL's name for an unnamed CHECK of domain `bare`: `d_check`, then `d_check1`, ...
fn fresh_check_name(bare: &str, domain: &Domain) -> String {
    (0..)
        .map(|n| {
            if n == 0 {
                format!("{bare}_check")
            } else {
                format!("{bare}_check{n}")
            }
        })
        .find(|name| domain.checks.iter().all(|c| &c.name != name))
        .unwrap_or_default()
}

pub fn constraint_exists(name: &str, domain: &str) -> Error {
    Error::invalid(
        "42710",
        format!("constraint \"{name}\" for domain \"{domain}\" already exists"),
    )
}

/// DROP DOMAIN, when `purge` marks the DROP TYPE [`parse`] makes of it.
pub fn plan_drop(names: &[ObjectName], if_exists: bool, cascade: bool) -> Result<Planned> {
    let names = names
        .iter()
        .map(crate::catalog::type_name)
        .collect::<Result<Vec<_>>>()?;
    Ok(done(
        SchemaChange::DropDomains {
            names,
            if_exists,
            cascade,
        },
        "DROP DOMAIN",
    ))
}

/// ALTER DOMAIN, when `name` is the marked name [`parse`] gives it.
pub fn plan_alter(
    name: &ObjectName,
    operations: &[ast::AlterTableOperation],
) -> Option<Result<Planned>> {
    let name = unmarked(name)?;
    Some(alter_domain(&name, operations))
}

fn alter_domain(name: &ObjectName, operations: &[ast::AlterTableOperation]) -> Result<Planned> {
    use ast::AlterColumnOperation as C;
    use ast::AlterTableOperation as A;
    let key = crate::catalog::type_name(name)?;
    let bare = vdb_engine::table::split_qualified(&key).1.to_string();
    let change = match operations {
        [A::AddConstraint(ast::TableConstraint::Check {
            name: constraint,
            expr,
        })] => {
            let domain = crate::catalog::domain_by_key(&key).ok_or_else(|| missing(&key))?;
            let text = expr.to_string();
            condition(&domain.base, &text)?;
            let name = match constraint.as_ref().map(ident_name) {
                Some(given) if given != "\u{1}" => given,
                _ => fresh_check_name(&bare, &domain),
            };
            DomainChange::AddCheck { name, expr: text }
        }
        [A::DropConstraint {
            if_exists, name, ..
        }] => DomainChange::DropConstraint {
            name: ident_name(name),
            if_exists: *if_exists,
        },
        [A::RenameConstraint { old_name, new_name }] => DomainChange::RenameConstraint {
            from: ident_name(old_name),
            to: ident_name(new_name),
        },
        [A::AlterColumn { column_name, op }] if ident_name(column_name) == "value" => match op {
            C::SetDefault { value } => {
                let domain = crate::catalog::domain_by_key(&key).ok_or_else(|| missing(&key))?;
                super::statement::assign(
                    super::statement::bind_default(value)?,
                    "value",
                    &domain.base,
                )?;
                DomainChange::SetDefault(super::statement::stored_default(value))
            }
            C::DropDefault => DomainChange::SetDefault(None),
            C::SetNotNull => DomainChange::NotNull(true),
            C::DropNotNull => DomainChange::NotNull(false),
            _ => return Err(syntax()),
        },
        [A::RenameTable { table_name }] => DomainChange::Rename {
            to: table_name.0.last().map(ident_name).unwrap_or_default(),
        },
        [A::OwnerTo { .. }] => DomainChange::Owner,
        _ => return Err(Error::Unsupported("this form of ALTER DOMAIN".into())),
    };
    Ok(done(
        SchemaChange::AlterDomain { name: key, change },
        "ALTER DOMAIN",
    ))
}

/// 42704 for a domain that does not exist.
pub fn missing(key: &str) -> Error {
    Error::invalid(
        "42704",
        format!(
            "type \"{}\" does not exist",
            crate::types::enums::display_name(key)
        ),
    )
}

fn done(change: SchemaChange, tag: &'static str) -> Planned {
    Planned {
        plan: Plan::SchemaChange(change),
        columns: None,
        tag,
    }
}

/// A domain CHECK condition bound over a one-column row holding the value (`VALUE`).
pub fn condition(base: &Type, text: &str) -> Result<Expr> {
    let expr = super::constraint::parse_stored(text, "check")?;
    let scope = Scope {
        columns: vec![ScopeColumn {
            relation: None,
            name: "value".into(),
            ty: base.clone(),
            hidden: false,
            scalar_function: false,
        }],
    };
    boolean(bind(&expr, &scope)?, "CHECK")
}

/// The bound constraints of domain `key`, checked in name order as PostgreSQL checks them.
pub fn bound(key: &str, domain: &Domain) -> Result<Arc<DomainCheck>> {
    let mut checks = domain
        .checks
        .iter()
        .map(|c| Ok((c.name.clone(), condition(&domain.base, &c.expr)?)))
        .collect::<Result<Vec<_>>>()?;
    checks.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Arc::new(DomainCheck {
        name: crate::types::enums::display_name(key),
        not_null: domain.not_null,
        checks,
    }))
}

/// `expr` checked against domain `key` (as it is in the statement's snapshot).
pub fn checked(expr: Expr, key: &str) -> Result<Expr> {
    match crate::catalog::domain_by_key(key) {
        Some(domain) => Ok(Expr::Domain(Box::new(expr), bound(key, &domain)?)),
        None => Ok(expr),
    }
}

/// A value for column `column`: PostgreSQL's assignment cast to its type, then its domain's
/// checks when it was declared with one.
pub fn assign_column(t: Typed, column: &Column) -> Result<Expr> {
    let expr = super::statement::assign(t, &column.name, &column.ty)?;
    match &column.domain {
        Some(key) => checked(expr, key),
        None => Ok(expr),
    }
}
