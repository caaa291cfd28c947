//! The SQL layer's one error type. Each variant is named for what the caller should do, carries
//! PostgreSQL's message wording, and maps to exactly one SQLSTATE through [`Error::sqlstate`],
//! the only place SQLSTATEs are decided (the wire server reports them as they are).

use vdb_engine::Error as EngineError;

/// Result alias used throughout the SQL layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a SQL statement can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text does not parse (42601); `position` is PostgreSQL's 1-based character offset.
    #[error("{message}")]
    Syntax {
        message: String,
        position: Option<usize>,
    },
    /// A relation named in the statement does not exist (42P01).
    #[error("relation \"{0}\" does not exist")]
    UndefinedTable(String),
    /// A column named in the statement does not exist (42703).
    #[error("{0}")]
    UndefinedColumn(String),
    /// A column reference matches more than one column (42702).
    #[error("column reference \"{0}\" is ambiguous")]
    AmbiguousColumn(String),
    /// A relation being created already exists (42P07).
    #[error("relation \"{0}\" already exists")]
    DuplicateTable(String),
    /// A column is defined twice (42701).
    #[error("column \"{0}\" specified more than once")]
    DuplicateColumn(String),
    /// Types do not fit together: an operator, a function or a target column (42804/42883).
    #[error("{message}")]
    TypeMismatch {
        message: String,
        undefined_function: bool,
    },
    /// Other semantic errors in the statement (42601-class programming errors, 42P10, ...).
    #[error("{message}")]
    InvalidStatement {
        message: String,
        sqlstate: &'static str,
    },
    /// A value's text does not parse as its target type (22P02, or 22007 for dates and times).
    #[error("{message}")]
    InvalidText { message: String, datetime: bool },
    /// A date or time field is out of range (22008).
    #[error("date/time field value out of range: \"{0}\"")]
    DatetimeOutOfRange(String),
    /// A number does not fit its type (22003).
    #[error("{0}")]
    OutOfRange(String),
    /// Division or modulo by zero (22012).
    #[error("division by zero")]
    DivisionByZero,
    /// A string is too long for its column (22001).
    #[error("{0}")]
    StringTooLong(String),
    /// A primary-key or unique constraint of `table` (a relation key) would be violated (23505).
    #[error("duplicate key value violates unique constraint \"{constraint}\"")]
    UniqueViolation {
        table: String,
        constraint: String,
        detail: String,
    },
    /// A foreign key would be violated (23503); `table` is the referencing table, `detail`
    /// PostgreSQL's DETAIL line.
    #[error("{message}")]
    ForeignKeyViolation {
        table: String,
        constraint: String,
        message: String,
        detail: String,
    },
    /// A CHECK constraint of `table` is false for a row (23514).
    #[error("{message}")]
    CheckViolation {
        table: String,
        constraint: String,
        message: String,
        detail: String,
    },
    /// A NOT NULL column would get a NULL (23502); `detail` shows the failing row.
    #[error(
        "null value in column \"{column}\" of relation \"{}\" violates not-null constraint",
        vdb_engine::table::split_qualified(table).1
    )]
    NotNullViolation {
        table: String,
        column: String,
        detail: String,
    },
    /// vdb does not implement this syntax or feature (0A000).
    #[error("{0} is not supported")]
    Unsupported(String),
    /// The transaction failed earlier; only ROLLBACK is accepted (25P02).
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    TransactionAborted,
    /// A concurrent change won: retry the transaction (40001).
    #[error("could not serialize access due to concurrent update")]
    Serialization,
    /// Another error with the DETAIL and HINT lines PostgreSQL adds to it (see
    /// [`Error::with_detail`] and [`Error::with_hint`]).
    #[error("{error}")]
    Annotated {
        error: Box<Error>,
        detail: Option<String>,
        hint: Option<String>,
    },
    /// The storage engine failed underneath the statement (XX000, or 58030 for I/O).
    #[error("{context}: {source}")]
    Engine {
        context: String,
        #[source]
        source: EngineError,
    },
}

/// The object an error is about (see [`Error::object`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorObject {
    pub schema: String,
    pub table: String,
    pub column: Option<String>,
    pub constraint: Option<String>,
}

impl Error {
    /// PostgreSQL's SQLSTATE for this error: the only map from errors to codes.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Syntax { .. } => "42601",
            Error::UndefinedTable(_) => "42P01",
            Error::UndefinedColumn(_) => "42703",
            Error::AmbiguousColumn(_) => "42702",
            Error::DuplicateTable(_) => "42P07",
            Error::DuplicateColumn(_) => "42701",
            Error::TypeMismatch {
                undefined_function: true,
                ..
            } => "42883",
            Error::TypeMismatch { .. } => "42804",
            Error::InvalidStatement { sqlstate, .. } => sqlstate,
            Error::InvalidText { datetime: true, .. } => "22007",
            Error::InvalidText { .. } => "22P02",
            Error::OutOfRange(_) => "22003",
            Error::DatetimeOutOfRange(_) => "22008",
            Error::DivisionByZero => "22012",
            Error::StringTooLong(_) => "22001",
            Error::UniqueViolation { .. } => "23505",
            Error::NotNullViolation { .. } => "23502",
            Error::ForeignKeyViolation { .. } => "23503",
            Error::CheckViolation { .. } => "23514",
            Error::Unsupported(_) => "0A000",
            Error::TransactionAborted => "25P02",
            Error::Serialization => "40001",
            Error::Annotated { error, .. } => error.sqlstate(),
            Error::Engine { source, .. } => match source {
                EngineError::Conflict(_) => "40001",
                EngineError::Io { .. } => "58030",
                _ => "XX000",
            },
        }
    }

    /// The DETAIL line of an integrity error, if it has one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::UniqueViolation { detail, .. }
            | Error::ForeignKeyViolation { detail, .. }
            | Error::CheckViolation { detail, .. }
            | Error::NotNullViolation { detail, .. } => {
                Some(detail.as_str()).filter(|d| !d.is_empty())
            }
            Error::Annotated { error, detail, .. } => detail.as_deref().or_else(|| error.detail()),
            _ => None,
        }
    }

    /// 2BP01 for dropping `what` (`table t`) that other objects still need, with PostgreSQL's
    /// DETAIL naming them (`dependents`, one line each: `view v depends on table t`) and its
    /// HINT.
    pub fn depended_on(what: &str, dependents: &[String]) -> Error {
        let error = Error::invalid(
            "2BP01",
            format!("cannot drop {what} because other objects depend on it"),
        )
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too.");
        if dependents.is_empty() {
            error
        } else {
            error.with_detail(dependents.join("\n"))
        }
    }

    /// This error with PostgreSQL's DETAIL line.
    pub fn with_detail(self, detail: impl Into<String>) -> Error {
        match self {
            Error::Annotated { error, hint, .. } => Error::Annotated {
                error,
                detail: Some(detail.into()),
                hint,
            },
            error => Error::Annotated {
                error: Box::new(error),
                detail: Some(detail.into()),
                hint: None,
            },
        }
    }

    /// This error with PostgreSQL's HINT line.
    pub fn with_hint(self, hint: impl Into<String>) -> Error {
        match self {
            Error::Annotated { error, detail, .. } => Error::Annotated {
                error,
                detail,
                hint: Some(hint.into()),
            },
            error => Error::Annotated {
                error: Box::new(error),
                detail: None,
                hint: Some(hint.into()),
            },
        }
    }

    /// The HINT line PostgreSQL adds to an error, if any: the advice for a function or
    /// operator that no candidate matches, or one given with [`Error::with_hint`].
    pub fn hint(&self) -> Option<&str> {
        if let Error::Annotated { error, hint, .. } = self {
            return hint.as_deref().or_else(|| error.hint());
        }
        let Error::TypeMismatch {
            message,
            undefined_function: true,
        } = self
        else {
            return None;
        };
        if message.starts_with("function ") && message.ends_with("does not exist") {
            Some(
                "No function matches the given name and argument types. You might need to add \
                 explicit type casts.",
            )
        } else if message.starts_with("operator does not exist") {
            Some(
                "No operator matches the given name and argument types. You might need to add \
                 explicit type casts.",
            )
        } else {
            None
        }
    }

    /// What an integrity error is about, as PostgreSQL names it in an ErrorResponse's schema,
    /// table, column and constraint fields (clients such as psycopg's `diag` and ORMs read
    /// them): `None` for other errors.
    pub fn object(&self) -> Option<ErrorObject> {
        let (table, column, constraint) = match self {
            Error::Annotated { error, .. } => return error.object(),
            Error::UniqueViolation {
                table, constraint, ..
            }
            | Error::ForeignKeyViolation {
                table, constraint, ..
            }
            | Error::CheckViolation {
                table, constraint, ..
            } => (table, None, Some(constraint.clone())),
            Error::NotNullViolation { table, column, .. } => (table, Some(column.clone()), None),
            _ => return None,
        };
        let (schema, name) = vdb_engine::table::split_qualified(table);
        Some(ErrorObject {
            schema: crate::temp::display_schema(schema).to_string(),
            table: name.to_string(),
            column,
            constraint,
        })
    }

    /// The 1-based character position in `sql` (the statement text the client sent) that
    /// PostgreSQL's ErrorResponse points at: a syntax error's own position, or the first
    /// mention of the column, relation or function an undefined-object error names (psql
    /// draws its `LINE 1: ... ^` from it). `None` when the error names nothing in the text.
    pub fn position_in(&self, sql: &str) -> Option<usize> {
        let quoted = |message: &str| message.split('"').nth(1).map(str::to_string);
        let names: Vec<String> = match self {
            Error::Annotated { error, .. } => return error.position_in(sql),
            Error::Syntax { position, .. } => return *position,
            Error::UndefinedColumn(message) => match message.strip_prefix("column ") {
                // `column t.x does not exist`: the reference starts at `t`.
                Some(rest) if !rest.starts_with('"') => {
                    let reference = rest.split(' ').next()?;
                    reference.split('.').map(str::to_string).collect()
                }
                _ => vec![quoted(message)?],
            },
            Error::UndefinedTable(name) => name.split('.').map(str::to_string).collect(),
            Error::AmbiguousColumn(name) => vec![name.clone()],
            Error::TypeMismatch {
                message,
                undefined_function: true,
            } => {
                let name = message.strip_prefix("function ")?.split('(').next()?;
                name.split('.').map(str::to_string).collect()
            }
            Error::InvalidStatement {
                message,
                sqlstate: "42P01",
            } if message.starts_with("missing FROM-clause entry") => vec![quoted(message)?],
            _ => return None,
        };
        // A name the error qualifies (`public.t`) may be written bare.
        mention(sql, &names).or_else(|| mention(sql, &names[names.len().checked_sub(1)?..]))
    }

    /// Wraps an engine error with what the SQL layer was doing.
    pub fn engine(context: impl Into<String>, source: EngineError) -> Error {
        // An expression the engine evaluated for the SQL layer failed: that error, as it was.
        if let EngineError::Evaluation { sqlstate, message } = source {
            return Error::invalid(interned_sqlstate(&sqlstate), message);
        }
        Error::Engine {
            context: context.into(),
            source,
        }
    }

    /// A 42804 type error.
    pub fn mismatch(message: impl Into<String>) -> Error {
        Error::TypeMismatch {
            message: message.into(),
            undefined_function: false,
        }
    }

    /// A 42883 "operator/function does not exist" error.
    pub fn undefined_function(message: impl Into<String>) -> Error {
        Error::TypeMismatch {
            message: message.into(),
            undefined_function: true,
        }
    }

    /// A 22P02 error for `text` not parsing as `type_name`.
    pub fn invalid_text(type_name: &str, text: &str) -> Error {
        Error::InvalidText {
            message: format!("invalid input syntax for type {type_name}: \"{text}\""),
            datetime: false,
        }
    }

    /// A semantic error with an explicit SQLSTATE.
    pub fn invalid(sqlstate: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidStatement {
            message: message.into(),
            sqlstate,
        }
    }
}

/// A SQLSTATE carried as text (through an engine error) as the `&'static str` errors hold: the
/// known codes are few, so each distinct one is kept once for the process.
fn interned_sqlstate(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return "XX000";
    }
    let mut codes = CODES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = codes.get(code) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(leaked);
    leaked
}

/// Returns early with an [`Error::Unsupported`] naming the feature.
#[macro_export]
macro_rules! unsupported {
    ($($arg:tt)*) => { return Err($crate::error::Error::Unsupported(format!($($arg)*))) };
}

/// Engine errors that reach the SQL layer without context keep the engine's message.
impl From<EngineError> for Error {
    fn from(source: EngineError) -> Error {
        Error::engine("storage", source)
    }
}

/// The 1-based character position of the first place `sql` names `names` (a name, or the
/// parts of a qualified one joined by `.`), as identifiers: unquoted words compare folded to
/// lower case, quoted ones exactly; text in strings and comments never matches.
fn mention(sql: &str, names: &[String]) -> Option<usize> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let first = names.first()?;
    let tokens = Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let names_word = |token: &Token, name: &str| match token {
        Token::Word(w) if w.quote_style.is_some() => w.value == name,
        Token::Word(w) => w.value.to_lowercase() == name,
        _ => false,
    };
    let start = (0..tokens.len()).find(|&i| {
        names_word(&tokens[i].token, first)
            && names[1..].iter().enumerate().all(|(k, name)| {
                tokens.get(i + 2 * k + 1).map(|t| &t.token) == Some(&Token::Period)
                    && tokens
                        .get(i + 2 * k + 2)
                        .is_some_and(|t| names_word(&t.token, name))
            })
    })?;
    let location = &tokens[start].location;
    let before: usize = sql
        .split('\n')
        .take((location.line as usize).saturating_sub(1))
        .map(|l| l.chars().count() + 1)
        .sum();
    Some(before + location.column as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_follow_postgresql() {
        let cases: Vec<(Error, &str)> = vec![
            (Error::UndefinedTable("x".into()), "42P01"),
            (Error::DivisionByZero, "22012"),
            (Error::OutOfRange("integer out of range".into()), "22003"),
            (Error::invalid_text("integer", "x"), "22P02"),
            (Error::Unsupported("WINDOW".into()), "0A000"),
            (Error::TransactionAborted, "25P02"),
            (Error::Serialization, "40001"),
            (
                Error::undefined_function("operator does not exist"),
                "42883",
            ),
            (
                Error::engine("commit", EngineError::Conflict("lost".into())),
                "40001",
            ),
        ];
        for (error, state) in cases {
            assert_eq!(error.sqlstate(), state, "{error}");
        }
    }

    #[test]
    fn messages_use_postgresql_wording() {
        assert_eq!(
            Error::UndefinedTable("t".into()).to_string(),
            "relation \"t\" does not exist"
        );
        assert_eq!(
            Error::invalid_text("integer", "x").to_string(),
            "invalid input syntax for type integer: \"x\""
        );
        assert_eq!(
            Error::NotNullViolation {
                table: "s.t".into(),
                column: "c".into(),
                detail: String::new(),
            }
            .to_string(),
            "null value in column \"c\" of relation \"t\" violates not-null constraint"
        );
    }

    #[test]
    fn undefined_objects_point_at_their_first_mention() {
        let column = Error::UndefinedColumn("column \"nosuch\" does not exist".into());
        assert_eq!(
            column.position_in("select 'nosuch', NoSuch from t"),
            Some(18)
        );
        assert_eq!(column.position_in("select 1 from t"), None);
        let qualified = Error::UndefinedColumn("column t.b does not exist".into());
        assert_eq!(qualified.position_in("select a,\n  t.b from t"), Some(13));
        let table = Error::UndefinedTable("public.nosuch".into());
        assert_eq!(
            table.position_in("select * from -- nosuch\n nosuch"),
            Some(26)
        );
        let function = Error::undefined_function("function foo(integer) does not exist");
        assert_eq!(function.position_in("select \"foo\"(1), foo(1)"), Some(8));
        assert_eq!(Error::DivisionByZero.position_in("select 1/0"), None);
    }
}
