//! `CREATE TABLE t (LIKE source [INCLUDING | EXCLUDING option]..., ...)`: the LIKE element
//! expands into the source table's column definitions and, as its options ask, its defaults,
//! generation expressions, identity, CHECK constraints, primary key and unique constraints,
//! indexes and comments, with PostgreSQL's rules: names, types and NOT NULL always; foreign
//! keys never.
//!
//! sqlparser reads `(LIKE s)` as a column named `like` of type `s` (an unquoted `like` cannot
//! name a column in PostgreSQL, so the reading is unambiguous), and does not read the options
//! at all; [`rewrite`] moves them into that column's COLLATE clause (`like s COLLATE
//! "vdb_like including all"`), where [`expand`] finds them.

use crate::catalog::{table_name, Catalog};
use crate::copy::quote_ident;
use crate::error::{Error, Result};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;
use vdb_engine::table::Schema;
use vdb_engine::value::Type;

/// The COLLATE name that carries a LIKE element's options.
const MARK: &str = "vdb_like";

/// What a LIKE element copies beyond names, types and NOT NULL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Including {
    comments: bool,
    constraints: bool,
    defaults: bool,
    generated: bool,
    identity: bool,
    indexes: bool,
}

impl Including {
    /// Applies options such as `including all excluding indexes`, in order.
    fn parse(text: &str) -> Result<Including> {
        let mut including = Including::default();
        let words: Vec<String> = text
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        for pair in words.chunks(2) {
            let [verb, option] = pair else {
                return Err(syntax("LIKE option without a name".into()));
            };
            let on = match verb.as_str() {
                "including" => true,
                "excluding" => false,
                other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
            };
            match option.as_str() {
                "all" => {
                    including = Including {
                        comments: on,
                        constraints: on,
                        defaults: on,
                        generated: on,
                        identity: on,
                        indexes: on,
                    }
                }
                "comments" => including.comments = on,
                "constraints" => including.constraints = on,
                "defaults" => including.defaults = on,
                "generated" => including.generated = on,
                "identity" => including.identity = on,
                "indexes" => including.indexes = on,
                // Storage details vdb does not have: accepted, nothing to copy.
                "storage" | "compression" | "statistics" => {}
                other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
            }
        }
        Ok(including)
    }
}

fn syntax(message: String) -> Error {
    Error::Syntax {
        message,
        position: None,
    }
}

/// Whether a column definition is a LIKE element, and its source and options if so.
fn like_element(def: &ast::ColumnDef) -> Option<(&ast::ObjectName, Option<String>)> {
    if def.name.quote_style.is_some() || !def.name.value.eq_ignore_ascii_case("like") {
        return None;
    }
    let ast::DataType::Custom(source, modifiers) = &def.data_type else {
        return None;
    };
    if !modifiers.is_empty() {
        return None;
    }
    let options = def.collation.as_ref().and_then(|c| {
        let text = c.0.last()?.value.clone();
        text.strip_prefix(MARK).map(|rest| rest.trim().to_string())
    });
    Some((source, options))
}

/// Whether `create` has a LIKE element.
pub fn has_like(create: &ast::CreateTable) -> bool {
    create.columns.iter().any(|def| like_element(def).is_some())
}

/// The indexes (not backing constraints) and comments to copy after the table is made.
#[derive(Debug, Default)]
pub struct Extras {
    /// Column names and uniqueness of each plain index.
    pub indexes: Vec<(Vec<String>, bool)>,
    /// Column comments: (column name, comment).
    pub comments: Vec<(String, String)>,
}

/// `create` with each LIKE element replaced by what it copies; plus the indexes and comments
/// that have no place in a CREATE TABLE statement, by their source table.
pub fn expand(
    catalog: &Catalog<'_>,
    create: &ast::CreateTable,
) -> Result<(ast::CreateTable, Extras)> {
    let mut elements: Vec<String> = Vec::new();
    let mut constraints: Vec<String> = Vec::new();
    let mut extras = Extras::default();
    for def in &create.columns {
        let Some((source, options)) = like_element(def) else {
            elements.push(def.to_string());
            continue;
        };
        let including = Including::parse(options.as_deref().unwrap_or(""))?;
        let source_name = table_name(source)?;
        let table = catalog.get_table(&source_name)?.ok_or_else(|| {
            Error::UndefinedTable(format!("relation \"{source}\" does not exist"))
        })?;
        let schema = table.schema();
        for column in &schema.columns {
            elements.push(column_sql(catalog, column, including));
        }
        if including.constraints {
            for check in &schema.checks {
                constraints.push(format!(
                    "CONSTRAINT {} CHECK ({})",
                    quote_ident(&check.name),
                    check.expr
                ));
            }
        }
        if including.indexes {
            copy_indexes(schema, &mut constraints, &mut extras);
        }
        // Column comments are copied; the table's own comment is not (as in PostgreSQL).
        if including.comments {
            for (id, text) in &schema.comments.columns {
                if let Some(c) = schema.columns.iter().find(|c| c.id == *id) {
                    extras.comments.push((c.name.clone(), text.clone()));
                }
            }
        }
    }
    constraints.extend(create.constraints.iter().map(ToString::to_string));
    elements.extend(constraints);
    let text = format!("CREATE TABLE x ({})", elements.join(", "));
    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &text)
        .map_err(|e| Error::invalid("XX000", format!("expanding LIKE: {e} in {text}")))?;
    let Some(ast::Statement::CreateTable(expanded)) = parsed.into_iter().next() else {
        return Err(Error::invalid(
            "XX000",
            "expanding LIKE gave no CREATE TABLE",
        ));
    };
    let mut out = create.clone();
    out.columns = expanded.columns;
    out.constraints = expanded.constraints;
    Ok((out, extras))
}

/// A column's definition as LIKE copies it.
fn column_sql(
    catalog: &Catalog<'_>,
    column: &vdb_engine::table::Column,
    including: Including,
) -> String {
    let mut sql = format!("{} {}", quote_ident(&column.name), type_sql(&column.ty));
    let identity = column
        .default
        .as_deref()
        .and_then(crate::system::nextval_sequence)
        .and_then(|name| catalog.get_sequence(&name))
        .and_then(|seq| seq.identity.map(|identity| (identity, seq)));
    if let Some(generated) = column.generated.as_ref().filter(|_| including.generated) {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({generated}) STORED"));
    } else if let Some((identity, seq)) = identity {
        if including.identity {
            let kind = match identity {
                vdb_engine::table::Identity::Always => "ALWAYS",
                vdb_engine::table::Identity::ByDefault => "BY DEFAULT",
            };
            // In the order sqlparser reads sequence options.
            sql.push_str(&format!(
                " GENERATED {kind} AS IDENTITY (INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {}{})",
                seq.increment,
                seq.min,
                seq.max,
                seq.start,
                if seq.cycle { " CYCLE" } else { "" }
            ));
        }
    } else if let Some(default) = column.default.as_ref().filter(|_| including.defaults) {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// A type as SQL that parses back to it (enum names quoted as needed).
fn type_sql(ty: &Type) -> String {
    match ty {
        Type::Enum(key) => key
            .split('.')
            .map(quote_ident)
            .collect::<Vec<_>>()
            .join("."),
        Type::Array(element) => format!("{}[]", type_sql(element)),
        other => other.to_string(),
    }
}

/// The primary key and UNIQUE constraints as table constraints (named afresh for the new
/// table, as PostgreSQL names them), and the other indexes as extras.
fn copy_indexes(schema: &Schema, constraints: &mut Vec<String>, extras: &mut Extras) {
    let names = |ids: &[u32]| -> String {
        ids.iter()
            .filter_map(|id| schema.columns.iter().find(|c| c.id == *id))
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !schema.primary_key.is_empty() {
        constraints.push(format!("PRIMARY KEY ({})", names(&schema.primary_key)));
    }
    // Expression and partial indexes are not copied (`extras` carries column lists only).
    for index in schema.indexes.iter().filter(|ix| ix.is_plain()) {
        if index.constraint {
            constraints.push(format!("UNIQUE ({})", names(&index.columns)));
        } else {
            let columns: Vec<String> = index
                .columns
                .iter()
                .filter_map(|id| schema.columns.iter().find(|c| c.id == *id))
                .map(|c| c.name.clone())
                .collect();
            extras.indexes.push((columns, index.unique));
        }
    }
}

/// `(LIKE s INCLUDING ...)` with its options moved into a COLLATE clause sqlparser reads;
/// `None` when the statement has no LIKE element with options.
pub fn rewrite(sql: &str) -> Option<String> {
    let (tokens, sig) = crate::tokens::significant(sql)?;
    let word = |i: usize, w: &str| {
        sig.get(i)
            .is_some_and(|&t| crate::tokens::is_word(&tokens[t], w))
    };
    if !(word(0, "create") && (1..4).any(|i| word(i, "table"))) {
        return None;
    }
    let mut out = String::new();
    let mut copied = 0; // tokens[..copied] are in `out`
    let mut depth = 0;
    let mut k = 0;
    while k < sig.len() {
        match tokens[sig[k]] {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        let starts_element = depth == 1
            && k > 0
            && matches!(tokens[sig[k - 1]], Token::LParen | Token::Comma)
            && word(k, "like");
        if !starts_element {
            k += 1;
            continue;
        }
        // LIKE name[.name...], then the options up to the element's end.
        let mut last = k + 1;
        while matches!(sig.get(last + 1).map(|&t| &tokens[t]), Some(Token::Period)) {
            last += 2;
        }
        let mut j = last + 1;
        let mut options = Vec::new();
        while word(j, "including") || word(j, "excluding") {
            let option = sig.get(j + 1).map(|&t| tokens[t].to_string())?;
            options.push(format!("{} {option}", tokens[sig[j]]));
            j += 2;
        }
        if !options.is_empty() {
            let end = *sig.get(last)? + 1;
            out.extend(tokens[copied..end].iter().map(ToString::to_string));
            out.push_str(&format!(
                " COLLATE \"{MARK} {}\"",
                options.join(" ").to_ascii_lowercase()
            ));
            copied = sig[j - 1] + 1;
        }
        k = j;
    }
    if copied == 0 {
        return None;
    }
    out.extend(tokens[copied..].iter().map(ToString::to_string));
    Some(out)
}
