//! What the catalog shows of domains: their OIDs, their constraints' OIDs and the text
//! `pg_get_constraintdef` prints for a domain CHECK (`CHECK ((VALUE > 0))`).

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use vdb_engine::table::{Domain, RootValue, Schema};

use crate::types::enums;

/// A domain's OID (types and domains share one namespace, so one derivation).
pub fn domain_oid(key: &str) -> u32 {
    enums::type_oid(key)
}

/// The OID of constraint `name` of domain `key`.
pub fn constraint_oid(key: &str, name: &str) -> u32 {
    enums::label_oid(key, &format!("\u{1}check\u{0}{name}"))
}

/// The domain whose OID is `oid`, with its key.
pub fn domain_by_oid(root: &RootValue, oid: u32) -> Option<(&str, &Domain)> {
    let key = root.domain_names().find(|k| domain_oid(k) == oid)?;
    Some((key, root.get_domain(key)?))
}

/// `pg_get_constraintdef` of the domain constraint with OID `oid`, if there is one.
pub fn constraint_definition(root: &RootValue, oid: u32, pretty: bool) -> Option<String> {
    root.domain_names().find_map(|key| {
        let domain = root.get_domain(key)?;
        let check = domain
            .checks
            .iter()
            .find(|c| constraint_oid(key, &c.name) == oid)?;
        Some(check_text(domain, &check.expr, pretty))
    })
}

/// How PostgreSQL prints a domain CHECK: as a table CHECK over one column, with that column
/// spelled `VALUE`.
pub fn check_text(domain: &Domain, expr: &str, pretty: bool) -> String {
    let Ok(schema) = Schema::new(&[("value", domain.base.clone(), true)], &[]) else {
        return format!("CHECK ({expr})");
    };
    let text = super::check_deparse::check_definition(expr, &schema, pretty);
    match Tokenizer::new(&PostgreSqlDialect {}, &text).tokenize() {
        Ok(tokens) => tokens
            .into_iter()
            .map(|t| match t {
                Token::Word(w)
                    if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("value") =>
                {
                    "VALUE".to_string()
                }
                other => other.to_string(),
            })
            .collect(),
        Err(_) => text,
    }
}
