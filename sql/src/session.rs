//! A session: runs SQL text against one branch of a repository, statement by statement, with
//! PostgreSQL's transaction behaviour.
//!
//! Outside a transaction block each statement autocommits: it reads the branch's working root,
//! applies its changes to a copy, and writes the copy back if the working root is still the one
//! it read (otherwise 40001). `BEGIN` takes a snapshot (the base) and the block works on its own
//! root; `COMMIT` swaps that root in if the working root is unchanged since `BEGIN`, and
//! otherwise three-way merges (base, current working root, the block's root) and fails with
//! 40001, applying nothing, if the merge has conflicts. An error inside a block puts it in the
//! failed state: every statement then fails with 25P02 until `ROLLBACK` (a `COMMIT` of a failed
//! block reports `ROLLBACK`).

use std::sync::Arc;

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use vdb_engine::repo::{merge_roots, Repository};
use vdb_engine::table::RootValue;
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::execution::{execute, Outcome};
use crate::params::{self, Param};
use crate::planner::{optimize, plan_statement, Planned};

/// The result of one statement.
#[derive(Clone, Debug, PartialEq)]
pub enum StatementResult {
    /// A query's columns (name, type) and rows.
    Rows {
        columns: Vec<(String, Type)>,
        rows: Vec<Vec<Value>>,
    },
    /// A command's tag, as PostgreSQL reports it (`INSERT 0 3`, `UPDATE 2`, `BEGIN`...).
    Command { tag: String },
}

/// The transaction state of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionStatus {
    /// No transaction block is open.
    Idle,
    /// Inside a transaction block.
    InBlock,
    /// Inside a failed transaction block (statements fail until ROLLBACK).
    Failed,
}

/// A statement's parameter types and result columns, known before it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub params: Vec<Type>,
    /// The result columns of a statement that returns rows.
    pub columns: Option<Vec<(String, Type)>>,
}

/// An open transaction block.
#[derive(Debug)]
struct Transaction {
    /// The working root's address and value at BEGIN.
    base_addr: Hash,
    base: RootValue,
    /// The block's own state.
    root: RootValue,
    /// Whether a statement failed (25P02 until ROLLBACK).
    failed: bool,
}

/// A SQL session on one branch.
#[derive(Debug)]
pub struct Session {
    repo: Arc<Repository>,
    branch: String,
    txn: Option<Transaction>,
}

impl Session {
    pub fn new(repo: Arc<Repository>, branch: &str) -> Session {
        Session {
            repo,
            branch: branch.to_string(),
            txn: None,
        }
    }

    /// Whether a transaction block is open.
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// The transaction state, as ReadyForQuery reports it.
    pub fn status(&self) -> TransactionStatus {
        match &self.txn {
            None => TransactionStatus::Idle,
            Some(txn) if txn.failed => TransactionStatus::Failed,
            Some(_) => TransactionStatus::InBlock,
        }
    }

    /// Runs every statement of `sql`, stopping at the first error as PostgreSQL does.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        let statements = parse(sql)?;
        let mut results = Vec::new();
        for statement in &statements {
            results.push(self.execute_one(statement)?);
        }
        Ok(results)
    }

    /// Runs one parsed statement; an error inside a transaction block fails the block.
    pub fn execute_one(&mut self, statement: &Statement) -> Result<StatementResult> {
        let result = self.execute_statement(statement);
        if result.is_err() {
            if let Some(txn) = &mut self.txn {
                txn.failed = true;
            }
        }
        result
    }

    /// Runs a prepared statement with its parameters bound to `params`.
    pub fn execute_bound(
        &mut self,
        statement: &Statement,
        params: &[Param],
    ) -> Result<StatementResult> {
        let mut bound = statement.clone();
        if let Err(e) = params::substitute(&mut bound, params) {
            if let Some(txn) = &mut self.txn {
                txn.failed = true;
            }
            return Err(e);
        }
        self.execute_one(&bound)
    }

    /// The types of a statement's parameters (`declared` by the client where it gave them,
    /// otherwise inferred from their use) and, for statements that return rows, the columns,
    /// without running it.
    pub fn describe(
        &self,
        statement: &Statement,
        declared: &[Option<Type>],
    ) -> Result<Description> {
        if matches!(&self.txn, Some(txn) if txn.failed) {
            return Err(Error::TransactionAborted);
        }
        let count = params::count(statement).max(declared.len());
        let plannable = matches!(
            statement,
            Statement::Query(_)
                | Statement::Insert(_)
                | Statement::Update { .. }
                | Statement::Delete(_)
        );
        if !plannable {
            return Ok(Description {
                params: (0..count)
                    .map(|i| declared.get(i).cloned().flatten().unwrap_or(Type::Text))
                    .collect(),
                columns: None,
            });
        }
        let mut typed = statement.clone();
        params::declare(&mut typed, declared)?;
        let root = match &self.txn {
            Some(txn) => txn.root.clone(),
            None => self.read_working()?.1,
        };
        let planned = plan_statement(&Catalog::new(&root, self.repo.node_store()), &typed)?;
        Ok(Description {
            params: params::infer(&planned.plan, count),
            columns: planned.columns,
        })
    }

    fn execute_statement(&mut self, statement: &Statement) -> Result<StatementResult> {
        crate::expr::start_statement_clock();
        let command = |tag: &str| {
            Ok(StatementResult::Command {
                tag: tag.to_string(),
            })
        };
        match statement {
            Statement::StartTransaction {
                modes,
                modifier: None,
                ..
            } if modes.is_empty() => {
                if self.txn.is_none() {
                    let (base_addr, base) = self.read_working()?;
                    self.txn = Some(Transaction {
                        base_addr,
                        root: base.clone(),
                        base,
                        failed: false,
                    });
                }
                return command("BEGIN");
            }
            Statement::Commit { chain: false } => return self.commit(),
            Statement::Rollback {
                chain: false,
                savepoint: None,
            } => {
                self.txn = None;
                return command("ROLLBACK");
            }
            _ => {}
        }
        match &mut self.txn {
            Some(txn) if txn.failed => Err(Error::TransactionAborted),
            Some(txn) => {
                let mut root = txn.root.clone();
                let result = run(&self.repo, statement, &mut root)?;
                if let Some(txn) = &mut self.txn {
                    txn.root = root;
                }
                Ok(result)
            }
            None => {
                let (addr, original) = self.read_working()?;
                let mut root = original.clone();
                let result = run(&self.repo, statement, &mut root)?;
                if root != original {
                    self.write_working(addr, &root)?;
                }
                Ok(result)
            }
        }
    }

    fn commit(&mut self) -> Result<StatementResult> {
        let Some(txn) = self.txn.take() else {
            return Ok(StatementResult::Command {
                tag: "COMMIT".into(),
            });
        };
        if txn.failed {
            return Ok(StatementResult::Command {
                tag: "ROLLBACK".into(),
            });
        }
        if txn.root != txn.base {
            let (current_addr, current) = self.read_working()?;
            if current_addr == txn.base_addr {
                self.write_working(current_addr, &txn.root)?;
            } else {
                let merged = merge_roots(self.repo.node_store(), &txn.base, &current, &txn.root)
                    .map_err(|e| Error::engine("merging the transaction", e))?;
                if !merged.is_clean() {
                    return Err(Error::Serialization);
                }
                self.write_working(current_addr, &merged.root)?;
            }
        }
        Ok(StatementResult::Command {
            tag: "COMMIT".into(),
        })
    }

    /// The branch's working root and its address.
    fn read_working(&self) -> Result<(Hash, RootValue)> {
        let ws = self
            .repo
            .working_set(&self.branch)
            .map_err(|e| Error::engine("reading the working set", e))?;
        let root = self
            .repo
            .root_value(ws.working)
            .map_err(|e| Error::engine("reading the working root", e))?;
        Ok((ws.working, root))
    }

    /// Writes `root` as the working root if the working root is still `expected`, atomically
    /// (a compare-and-swap on the working set); otherwise a serialization failure.
    fn write_working(&self, expected: Hash, root: &RootValue) -> Result<()> {
        let written = self
            .repo
            .set_working_root_if(&self.branch, expected, root)
            .map_err(|e| Error::engine("writing the working root", e))?;
        match written {
            Some(_) => Ok(()),
            None => Err(Error::Serialization),
        }
    }
}

/// Plans, optimizes and executes one statement against `root`.
fn run(repo: &Repository, statement: &Statement, root: &mut RootValue) -> Result<StatementResult> {
    let ns = repo.node_store();
    if let Statement::Explain {
        statement: inner,
        analyze: false,
        verbose: false,
        format: None,
        options: None,
        query_plan: false,
        ..
    } = statement
    {
        let planned = plan_statement(&Catalog::new(root, ns), inner)?;
        let text = optimize(planned.plan).to_string();
        let rows = text
            .lines()
            .map(|l| vec![Value::Text(l.to_string())])
            .collect();
        return Ok(StatementResult::Rows {
            columns: vec![("QUERY PLAN".into(), Type::Text)],
            rows,
        });
    }
    let Planned { plan, columns, tag } = plan_statement(&Catalog::new(root, ns), statement)?;
    let plan = optimize(plan);
    match (execute(plan, root, ns)?, columns) {
        (Outcome::Rows(rows), Some(columns)) => {
            let rows = rows.collect::<Result<Vec<_>>>()?;
            Ok(StatementResult::Rows { columns, rows })
        }
        (Outcome::Affected(n), _) => Ok(StatementResult::Command {
            tag: match tag {
                "INSERT" => format!("INSERT 0 {n}"),
                "UPDATE" | "DELETE" => format!("{tag} {n}"),
                other => other.to_string(),
            },
        }),
        _ => Ok(StatementResult::Command {
            tag: tag.to_string(),
        }),
    }
}

/// Parses `sql` with the PostgreSQL dialect, mapping errors to PostgreSQL's syntax errors.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| syntax_error(sql, &e))
}

/// `syntax error at or near "x"` with the 1-based character position of `x`, from sqlparser's
/// "Expected: ..., found: x at Line: l, Column: c".
fn syntax_error(sql: &str, error: &ParserError) -> Error {
    let message = match error {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m.clone(),
        ParserError::RecursionLimitExceeded => "statement is too deeply nested".into(),
    };
    let found = message
        .split("found: ")
        .nth(1)
        .map(|rest| rest.split(" at Line: ").next().unwrap_or(rest).to_string());
    let position = message.rsplit_once("at Line: ").and_then(|(_, rest)| {
        let (line, column) = rest.split_once(", Column: ")?;
        let line: usize = line.trim().parse().ok()?;
        let column: usize = column.trim().parse().ok()?;
        let before: usize = sql
            .split('\n')
            .take(line.saturating_sub(1))
            .map(|l| l.chars().count() + 1)
            .sum();
        Some(before + column)
    });
    match found.as_deref() {
        Some("EOF") | None if message.contains("EOF") => Error::Syntax {
            message: "syntax error at end of input".into(),
            position: Some(sql.trim_end().chars().count() + 1),
        },
        Some(token) => Error::Syntax {
            message: format!("syntax error at or near \"{token}\""),
            position,
        },
        None => Error::Syntax {
            message: format!("syntax error: {message}"),
            position,
        },
    }
}
