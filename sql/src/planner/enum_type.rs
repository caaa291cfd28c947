//! Enum type DDL: `CREATE TYPE t AS ENUM ('a', ...)`, `DROP TYPE [IF EXISTS] t [, ...]
//! [CASCADE | RESTRICT]` and `ALTER TYPE t ADD VALUE [IF NOT EXISTS] 'x' [BEFORE | AFTER 'y']` /
//! `RENAME VALUE 'a' TO 'b'` / `RENAME TO t2` / `OWNER TO r`.
//!
//! sqlparser 0.52 reads DROP TYPE, but neither `AS ENUM` nor ALTER TYPE. [`parse`] reads those
//! two by hand into sqlparser's own AST, so that the session keeps one statement type: CREATE
//! TYPE becomes `Statement::CreateType` with an `Enum` representation (the labels as single-
//! quoted identifiers), ALTER TYPE an ALTER TABLE of a name whose first part is
//! [`ALTER_TYPE_MARKER`]: RENAME TO as `RenameTable`, RENAME VALUE as `RenameColumn`, ADD VALUE
//! as `SetTblProperties` with the options `add`, `before` / `after` and `if_not_exists`.

use sqlparser::ast::{self, Ident, ObjectName};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{Error, Result};
use crate::planner::plan::{Plan, Planned};
use crate::planner::schema_change::{SchemaChange, TypeChange};

/// The first name part of an ALTER TABLE that stands for ALTER TYPE.
pub const ALTER_TYPE_MARKER: &str = "\u{1}vdb alter type";

/// CREATE TYPE .. AS ENUM or ALTER TYPE, read by hand; `None` for any other text.
pub fn parse(sql: &str) -> Option<Result<ast::Statement>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut words: Vec<Token> = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    while matches!(words.last(), Some(Token::SemiColon)) {
        words.pop();
    }
    if words.contains(&Token::SemiColon) {
        return None;
    }
    let mut cursor = Cursor {
        tokens: &words,
        at: 0,
    };
    if cursor.keyword("CREATE") && cursor.keyword("TYPE") {
        let name = match cursor.name() {
            Ok(name) => name,
            Err(e) => return Some(Err(e)),
        };
        if !(cursor.keyword("AS") && cursor.keyword("ENUM")) {
            return None;
        }
        return Some(create_enum(name, &mut cursor));
    }
    cursor.at = 0;
    if cursor.keyword("ALTER") && cursor.keyword("TYPE") {
        return Some(alter_type(&mut cursor));
    }
    None
}

/// The tokens of one statement and a read position.
struct Cursor<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// Consumes the unquoted keyword `word` if it is next.
    fn keyword(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(Token::Word(w))
                if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word) =>
            {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    fn expect_keyword(&mut self, word: &str) -> Result<()> {
        if self.keyword(word) {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn token(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<Ident> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let ident = Ident {
                    value: w.value.clone(),
                    quote_style: w.quote_style,
                };
                self.at += 1;
                Ok(ident)
            }
            _ => Err(self.syntax()),
        }
    }

    /// A possibly qualified name: identifiers joined by periods.
    fn name(&mut self) -> Result<ObjectName> {
        let mut parts = vec![self.ident()?];
        while self.token(&Token::Period) {
            parts.push(self.ident()?);
        }
        Ok(ObjectName(parts))
    }

    /// A single-quoted string (a label).
    fn string(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::SingleQuotedString(s)) | Some(Token::EscapedStringLiteral(s)) => {
                let s = s.clone();
                self.at += 1;
                Ok(s)
            }
            _ => Err(self.syntax()),
        }
    }

    fn end(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.syntax()),
        }
    }

    fn syntax(&self) -> Error {
        let message = match self.peek() {
            Some(t) => format!("syntax error at or near \"{t}\""),
            None => "syntax error at end of input".into(),
        };
        Error::Syntax {
            message,
            position: None,
        }
    }
}

fn label(value: String) -> Ident {
    Ident {
        value,
        quote_style: Some('\''),
    }
}

fn create_enum(name: ObjectName, cursor: &mut Cursor) -> Result<ast::Statement> {
    if !cursor.token(&Token::LParen) {
        return Err(cursor.syntax());
    }
    let mut labels = Vec::new();
    if !cursor.token(&Token::RParen) {
        loop {
            labels.push(label(cursor.string()?));
            if cursor.token(&Token::RParen) {
                break;
            }
            if !cursor.token(&Token::Comma) {
                return Err(cursor.syntax());
            }
        }
    }
    cursor.end()?;
    Ok(ast::Statement::CreateType {
        name,
        representation: ast::UserDefinedTypeRepresentation::Enum { labels },
    })
}

fn alter_type(cursor: &mut Cursor) -> Result<ast::Statement> {
    let name = cursor.name()?;
    let operation = if cursor.keyword("ADD") {
        cursor.expect_keyword("VALUE")?;
        let mut options = Vec::new();
        if cursor.keyword("IF") {
            cursor.expect_keyword("NOT")?;
            cursor.expect_keyword("EXISTS")?;
            options.push(option("if_not_exists", String::new()));
        }
        options.insert(0, option("add", cursor.string()?));
        if cursor.keyword("BEFORE") {
            options.push(option("before", cursor.string()?));
        } else if cursor.keyword("AFTER") {
            options.push(option("after", cursor.string()?));
        }
        ast::AlterTableOperation::SetTblProperties {
            table_properties: options,
        }
    } else if cursor.keyword("RENAME") {
        if cursor.keyword("VALUE") {
            let old = cursor.string()?;
            cursor.expect_keyword("TO")?;
            ast::AlterTableOperation::RenameColumn {
                old_column_name: label(old),
                new_column_name: label(cursor.string()?),
            }
        } else {
            cursor.expect_keyword("TO")?;
            ast::AlterTableOperation::RenameTable {
                table_name: ObjectName(vec![cursor.ident()?]),
            }
        }
    } else if cursor.keyword("OWNER") {
        cursor.expect_keyword("TO")?;
        let owner = cursor.ident()?;
        ast::AlterTableOperation::OwnerTo {
            new_owner: ast::Owner::Ident(owner),
        }
    } else {
        return Err(cursor.syntax());
    };
    cursor.end()?;
    let mut parts = vec![Ident::new(ALTER_TYPE_MARKER)];
    parts.extend(name.0);
    Ok(ast::Statement::AlterTable {
        name: ObjectName(parts),
        if_exists: false,
        only: false,
        operations: vec![operation],
        location: None,
        on_cluster: None,
    })
}

fn option(key: &str, value: String) -> ast::SqlOption {
    ast::SqlOption::KeyValue {
        key: Ident::new(key),
        value: ast::Expr::Value(ast::Value::SingleQuotedString(value)),
    }
}

/// CREATE TYPE .. AS ENUM.
pub fn plan_create_type(
    name: &ObjectName,
    representation: &ast::UserDefinedTypeRepresentation,
) -> Result<Planned> {
    let ast::UserDefinedTypeRepresentation::Enum { labels } = representation else {
        return Err(Error::Unsupported("composite types".into()));
    };
    let name = crate::catalog::create_name(name)?;
    let labels = labels.iter().map(|l| l.value.clone()).collect();
    Ok(done(
        SchemaChange::CreateType { name, labels },
        "CREATE TYPE",
    ))
}

/// DROP TYPE.
pub fn plan_drop_types(names: &[ObjectName], if_exists: bool, cascade: bool) -> Result<Planned> {
    let names = names
        .iter()
        .map(crate::catalog::type_name)
        .collect::<Result<Vec<_>>>()?;
    Ok(done(
        SchemaChange::DropTypes {
            names,
            if_exists,
            cascade,
        },
        "DROP TYPE",
    ))
}

/// ALTER TYPE, when `name` is the marked name [`parse`] gives it.
pub fn plan_alter_type(
    name: &ObjectName,
    operations: &[ast::AlterTableOperation],
) -> Option<Result<Planned>> {
    let (marker, rest) = name.0.split_first()?;
    if marker.value != ALTER_TYPE_MARKER {
        return None;
    }
    Some(alter_change(&ObjectName(rest.to_vec()), operations))
}

fn alter_change(name: &ObjectName, operations: &[ast::AlterTableOperation]) -> Result<Planned> {
    let name = crate::catalog::type_name(name)?;
    let change = match operations {
        [ast::AlterTableOperation::RenameTable { table_name }] => TypeChange::Rename {
            to: table_name
                .0
                .last()
                .map(crate::planner::ident_name)
                .unwrap_or_default(),
        },
        [ast::AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        }] => TypeChange::RenameValue {
            from: old_column_name.value.clone(),
            to: new_column_name.value.clone(),
        },
        [ast::AlterTableOperation::SetTblProperties { table_properties }] => {
            add_value(table_properties)
        }
        [ast::AlterTableOperation::OwnerTo { .. }] => TypeChange::Owner,
        _ => return Err(Error::Unsupported("this form of ALTER TYPE".into())),
    };
    Ok(done(SchemaChange::AlterType { name, change }, "ALTER TYPE"))
}

fn add_value(options: &[ast::SqlOption]) -> TypeChange {
    let (mut label, mut if_not_exists, mut neighbor) = (String::new(), false, None);
    for option in options {
        let ast::SqlOption::KeyValue {
            key,
            value: ast::Expr::Value(ast::Value::SingleQuotedString(value)),
        } = option
        else {
            continue;
        };
        match key.value.as_str() {
            "add" => label = value.clone(),
            "if_not_exists" => if_not_exists = true,
            "before" => neighbor = Some((value.clone(), true)),
            "after" => neighbor = Some((value.clone(), false)),
            _ => {}
        }
    }
    TypeChange::AddValue {
        label,
        if_not_exists,
        neighbor,
    }
}

fn done(change: SchemaChange, tag: &'static str) -> Planned {
    Planned {
        plan: Plan::SchemaChange(change),
        columns: None,
        tag,
    }
}
