//! The version-control procedures: `vdb_add`, `vdb_commit`, `vdb_branch`, `vdb_checkout`,
//! `vdb_merge`, `vdb_reset`, `vdb_tag`, `vdb_revert`, `vdb_cherry_pick`,
//! `vdb_conflicts_resolve`, `vdb_gc`, `vdb_stash`, `vdb_clean` and `vdb_verify_constraints`,
//! called as `SELECT vdb_commit('-am', 'msg')`,
//! `SELECT * FROM vdb_merge('feature')` or `CALL vdb_branch('x')`.
//!
//! [`call`] recognizes those three shapes (and nothing else: a procedure inside a larger query
//! is refused by the planner), [`run`] parses the git-style arguments with clap, exactly as the
//! CLI's flags read, and performs the operation on the session's branch through `Repository`.
//! Each returns one row; `SELECT f(...)` shows a one-column result as that column and a wider
//! one as a record, as PostgreSQL shows a composite.

use clap::Parser;
use sqlparser::ast::{self, SelectItem, SetExpr, Statement, TableFactor};
use vdb_engine::repo::{CommitOptions, MergeOptions, MergeOutcome, ResetMode, Side, Signature};
use vdb_engine::value::{Type, Value};

use super::{text, vc_error, VcContext};
use crate::error::{Error, Result};
use crate::planner::{eval_constant, ident_name};

/// Every procedure's name.
pub const PROCEDURES: &[&str] = &[
    "vdb_add",
    "vdb_commit",
    "vdb_branch",
    "vdb_checkout",
    "vdb_merge",
    "vdb_reset",
    "vdb_tag",
    "vdb_revert",
    "vdb_cherry_pick",
    "vdb_conflicts_resolve",
    "vdb_gc",
    "vdb_stash",
    "vdb_clean",
    "vdb_verify_constraints",
    "vdb_remote",
    "vdb_fetch",
    "vdb_push",
    "vdb_pull",
    "vdb_clone",
];

/// Whether `name` is a version-control procedure.
pub fn is_procedure(name: &str) -> bool {
    PROCEDURES.contains(&name)
}

/// How the result is shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// `SELECT f(...) [AS name]`: one column with this name.
    Scalar(String),
    /// `SELECT * FROM f(...)` or `CALL f(...)`: the procedure's own columns.
    Table,
    /// Any other query whose FROM is just the call (`SELECT hash FROM f(...) WHERE ...`):
    /// the query runs over the procedure's row, under this alias.
    Query(Box<Statement>, Option<ast::TableAlias>),
}

/// A procedure call: the procedure, its arguments, and how its result is shown.
#[derive(Clone, Debug)]
pub struct Call {
    pub name: String,
    pub args: Vec<ast::Expr>,
    pub shape: Shape,
}

/// The procedure call `statement` is, if it is exactly one.
pub fn call(statement: &Statement) -> Option<Call> {
    if let Statement::Call(f) = statement {
        let name = function_name(&f.name)?;
        return Some(Call {
            name,
            args: list_args(&f.args)?,
            shape: Shape::Table,
        });
    }
    let Statement::Query(query) = statement else {
        return None;
    };
    if query.with.is_some()
        || query.order_by.is_some()
        || query.limit.is_some()
        || query.offset.is_some()
    {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    if select.selection.is_some() || select.having.is_some() || select.distinct.is_some() {
        return None;
    }
    match (select.projection.as_slice(), select.from.as_slice()) {
        ([item], []) => {
            let (expr, alias) = match item {
                SelectItem::UnnamedExpr(e) => (e, None),
                SelectItem::ExprWithAlias { expr, alias } => (expr, Some(ident_name(alias))),
                _ => return None,
            };
            let ast::Expr::Function(f) = expr else {
                return None;
            };
            let name = function_name(&f.name)?;
            Some(Call {
                shape: Shape::Scalar(alias.unwrap_or_else(|| name.clone())),
                name,
                args: list_args(&f.args)?,
            })
        }
        (projection, [from]) if from.joins.is_empty() => {
            let TableFactor::Table {
                name,
                args: Some(args),
                alias,
                ..
            } = &from.relation
            else {
                return None;
            };
            let plain = matches!(projection, [SelectItem::Wildcard(_)]) && alias.is_none();
            let name = function_name(name)?;
            let args = args
                .args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            let plain =
                plain && select.group_by == ast::GroupByExpr::Expressions(Vec::new(), Vec::new());
            Some(Call {
                name,
                args,
                shape: if plain {
                    Shape::Table
                } else {
                    Shape::Query(Box::new(statement.clone()), alias.clone())
                },
            })
        }
        _ => None,
    }
}

/// `statement` (a query over one procedure call) with the call replaced by a derived table of
/// the procedure's row: what the session runs for [`Shape::Query`].
pub fn over_result(
    statement: &Statement,
    name: &str,
    alias: Option<&ast::TableAlias>,
    columns: &[(String, Type)],
    row: &[Value],
) -> Result<Statement> {
    let items: Vec<String> = columns
        .iter()
        .zip(row)
        .map(|((column, ty), value)| {
            let literal = match crate::types::to_pg_text(value) {
                Some(t) => crate::copy::quote_literal(&t),
                None => "NULL".into(),
            };
            format!(
                "CAST({literal} AS {ty}) AS {}",
                crate::copy::quote_ident(column)
            )
        })
        .collect();
    let alias = match alias {
        Some(a) => a.to_string(),
        None => crate::copy::quote_ident(name),
    };
    let derived = format!("SELECT * FROM (SELECT {}) AS {alias}", items.join(", "));
    let parsed = crate::session::parse(&derived)?;
    let Some(Statement::Query(q)) = parsed.into_iter().next() else {
        return Err(Error::invalid("XX000", "internal error: procedure result"));
    };
    let SetExpr::Select(derived_select) = *q.body else {
        return Err(Error::invalid("XX000", "internal error: procedure result"));
    };
    let mut out = statement.clone();
    if let Statement::Query(query) = &mut out {
        if let SetExpr::Select(select) = query.body.as_mut() {
            select.from = derived_select.from;
        }
    }
    Ok(out)
}

fn function_name(name: &ast::ObjectName) -> Option<String> {
    let parts: Vec<String> = name.0.iter().map(ident_name).collect();
    let name = match parts.as_slice() {
        [n] => n.clone(),
        [schema, n] if schema == "public" || schema == "vdb" => n.clone(),
        _ => return None,
    };
    is_procedure(&name).then_some(name)
}

fn list_args(args: &ast::FunctionArguments) -> Option<Vec<ast::Expr>> {
    match args {
        ast::FunctionArguments::None => Some(Vec::new()),
        ast::FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect(),
        ast::FunctionArguments::Subquery(_) => None,
    }
}

/// The arguments' values as strings (each must be a constant; NULL is refused).
pub fn arg_strings(name: &str, args: &[ast::Expr]) -> Result<Vec<String>> {
    args.iter()
        .map(|a| {
            let value = eval_constant(a)?;
            crate::types::to_pg_text(&value).ok_or_else(|| {
                Error::invalid("22004", format!("{name}: arguments must not be NULL"))
            })
        })
        .collect()
}

/// What a procedure returns: its columns and one row, and the branch the session is on after
/// it (changed by `vdb_checkout`).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub columns: Vec<(String, Type)>,
    pub row: Vec<Value>,
    pub branch: Option<String>,
}

impl Outcome {
    pub(crate) fn new(columns: &[(&str, Type)], row: Vec<Value>) -> Outcome {
        Outcome {
            columns: columns
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect(),
            row,
            branch: None,
        }
    }

    fn status() -> Outcome {
        Outcome::new(&[("status", Type::Int4)], vec![Value::Int4(0)])
    }

    /// The result as `shape` shows it.
    pub fn shaped(self, shape: &Shape) -> (Vec<(String, Type)>, Vec<Value>) {
        match shape {
            Shape::Table => (self.columns, self.row),
            Shape::Scalar(name) if self.columns.len() == 1 => {
                let ty = self.columns[0].1.clone();
                (vec![(name.clone(), ty)], self.row)
            }
            Shape::Scalar(name) => (
                vec![(name.clone(), Type::Text)],
                vec![Value::Text(record_text(&self.row))],
            ),
            Shape::Query(..) => (self.columns, self.row),
        }
    }
}

/// A row as PostgreSQL prints a record: `(a,b,"c d")`.
fn record_text(row: &[Value]) -> String {
    let fields: Vec<String> = row
        .iter()
        .map(|v| match crate::types::to_pg_text(v) {
            None => String::new(),
            Some(t)
                if t.is_empty()
                    || t.contains(|c: char| {
                        matches!(c, ',' | '(' | ')' | '"' | '\\') || c.is_whitespace()
                    }) =>
            {
                format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\"\""))
            }
            Some(t) => t,
        })
        .collect();
    format!("({})", fields.join(","))
}

/// Parses `args` as procedure `name`'s command line (22023 with clap's usage text if bad).
pub(crate) fn parse<T: Parser>(name: &str, args: &[String]) -> Result<T> {
    let argv = std::iter::once(name.to_string()).chain(args.iter().cloned());
    T::try_parse_from(argv).map_err(|e| {
        let rendered = e.render().to_string();
        let message = rendered
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("For more information"))
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("; ");
        Error::invalid(
            "22023",
            message
                .strip_prefix("error: ")
                .unwrap_or(&message)
                .to_string(),
        )
    })
}

/// Who the session's commits are by: `--author` if given, else the session user.
fn signature(user: &str, author: Option<&str>) -> Result<Signature> {
    match author {
        None => Ok(Signature::now(user, &format!("{user}@localhost"))),
        Some(text) => {
            let (name, rest) = text.split_once('<').ok_or_else(|| {
                Error::invalid(
                    "22023",
                    format!("author must be \"Name <email>\", not {text}"),
                )
            })?;
            let email = rest.strip_suffix('>').ok_or_else(|| {
                Error::invalid(
                    "22023",
                    format!("author must be \"Name <email>\", not {text}"),
                )
            })?;
            Ok(Signature::now(name.trim(), email.trim()))
        }
    }
}

/// Stage tables for the next commit.
#[derive(Debug, Parser)]
#[command(no_binary_name = false, disable_help_flag = true)]
struct AddArgs {
    /// Stage every table.
    #[arg(short = 'A', long = "all")]
    all: bool,
    /// The tables (`.` means all).
    tables: Vec<String>,
}

/// Record the staged changes as a commit.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct CommitArgs {
    #[arg(short, long)]
    message: Option<String>,
    /// Stage every table first.
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// The same as -a (Dolt's spelling).
    #[arg(short = 'A')]
    all_tables: bool,
    #[arg(long)]
    allow_empty: bool,
    #[arg(long)]
    amend: bool,
    #[arg(long)]
    author: Option<String>,
}

/// Create, delete or rename branches.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct BranchArgs {
    /// Delete a merged branch.
    #[arg(short = 'd', long = "delete")]
    delete: bool,
    /// Delete a branch even if unmerged.
    #[arg(short = 'D')]
    force_delete: bool,
    /// Rename OLD to NEW.
    #[arg(short = 'm', long = "move")]
    rename: bool,
    /// Copy OLD to NEW.
    #[arg(short = 'c', long = "copy")]
    copy: bool,
    /// With -m or a create: replace an existing branch.
    #[arg(short = 'f', long = "force")]
    force: bool,
    names: Vec<String>,
}

/// Switch the session's branch (`-b` creates it), or discard a table's working changes.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct CheckoutArgs {
    #[arg(short = 'b', value_name = "NEW")]
    create: Option<String>,
    targets: Vec<String>,
}

/// Merge a revision into the session's branch.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct MergeArgs {
    #[arg(long)]
    no_ff: bool,
    #[arg(long)]
    squash: bool,
    #[arg(long)]
    abort: bool,
    #[arg(short, long)]
    message: Option<String>,
    #[arg(long)]
    author: Option<String>,
    rev: Option<String>,
}

/// Move the branch (and staged / working roots) to a revision.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct ResetArgs {
    #[arg(long, conflicts_with = "hard")]
    soft: bool,
    #[arg(long)]
    hard: bool,
    /// A revision, or tables to unstage.
    targets: Vec<String>,
}

/// Create or delete tags.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct TagArgs {
    #[arg(short = 'd', long = "delete")]
    delete: bool,
    /// Annotate the tag with a message.
    #[arg(short, long)]
    message: Option<String>,
    #[arg(long)]
    author: Option<String>,
    names: Vec<String>,
}

/// A single revision.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct RevArgs {
    #[arg(long)]
    author: Option<String>,
    rev: String,
}

/// Put aside or bring back uncommitted changes.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct StashArgs {
    /// push (the default), pop, apply, drop or clear.
    action: Option<String>,
    /// The stash pop, apply and drop act on: stash@{n} or n (default: the newest).
    stash: Option<String>,
    #[arg(short, long)]
    message: Option<String>,
    #[arg(short = 'u', long = "include-untracked")]
    include_untracked: bool,
}

/// Drop untracked tables.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct CleanArgs {
    #[arg(short = 'n', long)]
    dry_run: bool,
    tables: Vec<String>,
}

/// Check foreign keys and CHECK constraints over whole tables.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct VerifyArgs {
    /// Accepted for Dolt's spelling: every row is always checked.
    #[arg(short = 'a', long)]
    all: bool,
    /// Report, and record nothing.
    #[arg(short = 'o', long)]
    output_only: bool,
    tables: Vec<String>,
}

/// Resolve conflicts by taking one side.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct ResolveArgs {
    #[arg(long, conflicts_with = "theirs", required_unless_present = "theirs")]
    ours: bool,
    #[arg(long)]
    theirs: bool,
    #[arg(required = true)]
    tables: Vec<String>,
}

/// Runs procedure `name` with `args` on the session's branch as `user`.
pub fn run(vc: &VcContext, user: &str, name: &str, args: &[String]) -> Result<Outcome> {
    let repo = &vc.repo;
    let branch = vc.branch.as_str();
    if name != "vdb_checkout" {
        vc.check_writable(name)?;
    }
    match name {
        "vdb_add" => {
            let a: AddArgs = parse(name, args)?;
            if a.all || a.tables.iter().any(|t| t == ".") {
                repo.stage(branch, None).map_err(vc_error)?;
            } else if a.tables.is_empty() {
                return Err(Error::invalid(
                    "22023",
                    "vdb_add: name the tables to stage, or '-A' for all",
                ));
            } else {
                let tables: Vec<&str> = a.tables.iter().map(String::as_str).collect();
                repo.stage(branch, Some(&tables)).map_err(vc_error)?;
            }
            Ok(Outcome::status())
        }
        "vdb_commit" => {
            let a: CommitArgs = parse(name, args)?;
            if repo.working_set(branch).map_err(vc_error)?.has_unresolved() {
                return Err(Error::invalid(
                    "55000",
                    format!(
                        "cannot commit on branch {branch}: conflicts or constraint violations \
                         remain; see vdb.conflicts and resolve them with vdb_conflicts_resolve"
                    ),
                ));
            }
            if a.all || a.all_tables {
                repo.stage(branch, None).map_err(vc_error)?;
            }
            let committer = signature(user, None)?;
            let author = signature(user, a.author.as_deref())?;
            let message = match (a.message, a.amend) {
                (Some(m), _) => m,
                (None, true) => {
                    vc.commit(repo.branch_head(branch).map_err(vc_error)?)?
                        .message
                }
                (None, false) => {
                    let merging = repo.working_set(branch).map_err(vc_error)?.merge.is_some();
                    if !merging {
                        return Err(Error::invalid(
                            "22023",
                            "vdb_commit: a commit message is required: '-m', 'message'",
                        ));
                    }
                    String::new()
                }
            };
            let mut opts = CommitOptions::new(&message, author);
            opts.committer = Some(committer);
            opts.allow_empty = a.allow_empty;
            opts.amend = a.amend;
            let hash = repo.commit(branch, &opts).map_err(vc_error)?;
            Ok(Outcome::new(
                &[("hash", Type::Text)],
                vec![text(hash.to_hex())],
            ))
        }
        "vdb_branch" => {
            let a: BranchArgs = parse(name, args)?;
            let names: Vec<&str> = a.names.iter().map(String::as_str).collect();
            match (
                a.delete || a.force_delete,
                a.rename,
                a.copy,
                names.as_slice(),
            ) {
                (true, false, false, [_, ..]) => {
                    for n in &names {
                        if *n == branch {
                            return Err(Error::invalid(
                                "22023",
                                format!("cannot delete branch {n}: the session is on it"),
                            ));
                        }
                        repo.branch_delete(n, a.force_delete || a.force)
                            .map_err(vc_error)?;
                    }
                }
                (false, true, false, [old, new]) => {
                    repo.branch_rename(old, new, a.force).map_err(vc_error)?;
                }
                (false, true, false, [new]) => {
                    repo.branch_rename(branch, new, a.force).map_err(vc_error)?;
                    let mut out = Outcome::status();
                    out.branch = Some(new.to_string());
                    return Ok(out);
                }
                (false, false, true, [old, new]) => {
                    repo.branch_create(new, old, a.force).map_err(vc_error)?;
                }
                (false, false, false, [new]) => {
                    repo.branch_create(new, &head_of(vc)?, a.force)
                        .map_err(vc_error)?;
                }
                (false, false, false, [new, start]) => {
                    let start = vc.resolve_commit(start)?.to_hex();
                    repo.branch_create(new, &start, a.force).map_err(vc_error)?;
                }
                _ => {
                    return Err(Error::invalid(
                        "22023",
                        "usage: vdb_branch('NEW' [, 'START']) | vdb_branch('-d'|'-D', 'NAME') | \
                         vdb_branch('-m', ['OLD',] 'NEW') | vdb_branch('-c', 'OLD', 'NEW')",
                    ))
                }
            }
            Ok(Outcome::status())
        }
        "vdb_checkout" => checkout(vc, name, args),
        "vdb_merge" => {
            let a: MergeArgs = parse(name, args)?;
            let columns = MERGE_COLUMNS;
            if a.abort {
                repo.merge_abort(branch).map_err(vc_error)?;
                return Ok(Outcome::new(
                    &columns,
                    vec![
                        Value::Null,
                        Value::Bool(false),
                        Value::Int8(0),
                        text("merge aborted"),
                    ],
                ));
            }
            let rev = a.rev.ok_or_else(|| {
                Error::invalid("22023", "vdb_merge: name the branch or revision to merge")
            })?;
            let theirs = vc.resolve_commit(&rev)?.to_hex();
            let mut opts = MergeOptions::new(signature(user, a.author.as_deref())?);
            opts.no_ff = a.no_ff;
            opts.squash = a.squash;
            opts.message = Some(
                a.message
                    .unwrap_or_else(|| format!("Merge {rev} into {branch}")),
            );
            let outcome = repo.merge(branch, &theirs, &opts).map_err(vc_error)?;
            let row = merge_row(vc, outcome)?;
            Ok(Outcome::new(&columns, row))
        }
        "vdb_reset" => {
            let a: ResetArgs = parse(name, args)?;
            let mode = match (a.soft, a.hard) {
                (true, _) => ResetMode::Soft,
                (_, true) => ResetMode::Hard,
                _ => ResetMode::Mixed,
            };
            match a.targets.as_slice() {
                [] => {
                    repo.reset(branch, mode, "HEAD").map_err(vc_error)?;
                }
                [rev] if vc.resolve_commit(rev).is_ok() => {
                    let rev = vc.resolve_commit(rev)?.to_hex();
                    repo.reset(branch, mode, &rev).map_err(vc_error)?;
                }
                tables if mode == ResetMode::Mixed => unstage(vc, tables)?,
                _ => {
                    return Err(Error::invalid(
                        "22023",
                        format!("vdb_reset: unknown revision {}", a.targets.join(" ")),
                    ))
                }
            }
            Ok(Outcome::status())
        }
        "vdb_tag" => {
            let a: TagArgs = parse(name, args)?;
            match (a.delete, a.names.as_slice()) {
                (true, names) if !names.is_empty() => {
                    for n in names {
                        repo.tag_delete(n).map_err(vc_error)?;
                    }
                }
                (false, [tag]) | (false, [tag, _]) => {
                    let rev = match a.names.get(1) {
                        Some(rev) => vc.resolve_commit(rev)?,
                        None => repo.branch_head(branch).map_err(vc_error)?,
                    };
                    let tagger = signature(user, a.author.as_deref())?;
                    let annotation = a.message.as_deref().map(|m| (&tagger, m));
                    repo.tag_create(tag, &rev.to_hex(), annotation)
                        .map_err(vc_error)?;
                }
                _ => return Err(Error::invalid(
                    "22023",
                    "usage: vdb_tag('NAME' [, 'REV']) | vdb_tag('-m', 'MSG', 'NAME' [, 'REV']) \
                         | vdb_tag('-d', 'NAME')",
                )),
            }
            Ok(Outcome::status())
        }
        "vdb_revert" | "vdb_cherry_pick" => {
            let a: RevArgs = parse(name, args)?;
            let rev = vc.resolve_commit(&a.rev)?.to_hex();
            let who = signature(user, a.author.as_deref())?;
            let outcome = if name == "vdb_revert" {
                repo.revert(branch, &rev, &who)
            } else {
                repo.cherry_pick(branch, &rev, &who)
            }
            .map_err(vc_error)?;
            let columns = [
                ("hash", Type::Text),
                ("data_conflicts", Type::Int8),
                ("schema_conflicts", Type::Int8),
                ("constraint_violations", Type::Int8),
            ];
            let row = match outcome {
                MergeOutcome::Merged { commit } | MergeOutcome::FastForward { commit } => vec![
                    text(commit.to_hex()),
                    Value::Int8(0),
                    Value::Int8(0),
                    Value::Int8(0),
                ],
                MergeOutcome::Conflicts {
                    conflicts,
                    schema_conflicts,
                    violations,
                } => vec![
                    Value::Null,
                    Value::Int8(conflicts.values().sum::<u64>() as i64),
                    Value::Int8(schema_conflicts.len() as i64),
                    Value::Int8(violations.len() as i64),
                ],
                MergeOutcome::UpToDate | MergeOutcome::Squashed { .. } => vec![
                    text(repo.branch_head(branch).map_err(vc_error)?.to_hex()),
                    Value::Int8(0),
                    Value::Int8(0),
                    Value::Int8(0),
                ],
            };
            Ok(Outcome::new(&columns, row))
        }
        "vdb_conflicts_resolve" => {
            let a: ResolveArgs = parse(name, args)?;
            let side = if a.theirs { Side::Theirs } else { Side::Ours };
            let ws = repo.working_set(branch).map_err(vc_error)?;
            let tables: Vec<String> = if a.tables.iter().any(|t| t == ".") {
                ws.conflicts
                    .keys()
                    .cloned()
                    .chain(ws.schema_conflicts.iter().map(|c| c.table.clone()))
                    .collect()
            } else {
                a.tables
            };
            for table in &tables {
                repo.resolve_conflicts(branch, table, side, None)
                    .map_err(vc_error)?;
            }
            Ok(Outcome::status())
        }
        "vdb_gc" => {
            if !args.is_empty() {
                return Err(Error::invalid("22023", "vdb_gc() takes no arguments"));
            }
            let stats = repo.gc().map_err(vc_error)?;
            Ok(Outcome::new(
                &[
                    ("chunks_removed", Type::Int8),
                    ("bytes_reclaimed", Type::Int8),
                    ("live_chunks", Type::Int8),
                ],
                vec![
                    Value::Int8(stats.sweep.chunks_removed as i64),
                    Value::Int8(stats.sweep.bytes_reclaimed as i64),
                    Value::Int8(stats.live_chunks as i64),
                ],
            ))
        }
        "vdb_stash" => stash(vc, user, &parse(name, args)?),
        "vdb_verify_constraints" => verify_constraints(vc, &parse(name, args)?),
        "vdb_clean" => {
            let a: CleanArgs = parse(name, args)?;
            let names: Vec<&str> = a.tables.iter().map(String::as_str).collect();
            let chosen = (!names.is_empty()).then_some(names.as_slice());
            let dropped = repo.clean(branch, chosen, a.dry_run).map_err(vc_error)?;
            Ok(Outcome::new(
                &[("tables", Type::Text)],
                vec![text(dropped.join(", "))],
            ))
        }
        remote if super::remotes::is_remote_procedure(remote) => {
            super::remotes::run(vc, user, name, args)
        }
        other => Err(Error::undefined_function(format!(
            "function {other} does not exist"
        ))),
    }
}

/// `vdb_verify_constraints(['-o'] [, 't', ...])`, Dolt's `dolt_verify_constraints`: checks
/// every row of the tables (default: all) against their foreign keys and CHECK constraints,
/// which a merge does not check, and records what breaks them as constraint violations of the
/// working set (`vdb_constraint_violations_t`, `vdb status`; a commit waits until the table is
/// fixed and staged), replacing what an earlier check recorded for those tables. `-o` only
/// counts. Returns how many violations it found.
fn verify_constraints(vc: &VcContext, a: &VerifyArgs) -> Result<Outcome> {
    let _ = a.all;
    let found = super::verify::verify_branch(&vc.repo, &vc.branch, &a.tables, !a.output_only)?;
    Ok(Outcome::new(
        &[("violations", Type::Int8)],
        vec![Value::Int8(i64::try_from(found.len()).unwrap_or(i64::MAX))],
    ))
}

/// `vdb_stash([action] [, stash] [, '-m', msg] [, '-u'])`: one row naming the stash pushed,
/// applied or dropped and its commit; `clear` returns how many it dropped.
fn stash(vc: &VcContext, user: &str, a: &StashArgs) -> Result<Outcome> {
    use vdb_engine::repo::stash::{parse_stash_ref, StashApply};
    let (repo, branch) = (&vc.repo, vc.branch.as_str());
    let index = || parse_stash_ref(a.stash.as_deref().unwrap_or("")).map_err(vc_error);
    let stash = match a.action.as_deref().unwrap_or("push") {
        "push" => {
            if a.stash.is_some() {
                return Err(Error::invalid(
                    "22023",
                    "vdb_stash('push'): give a message with '-m', not a stash name",
                ));
            }
            let who = signature(user, None)?;
            repo.stash_push(branch, a.message.as_deref(), a.include_untracked, &who)
        }
        "pop" => repo.stash_apply(branch, index()?, StashApply::Drop),
        "apply" => repo.stash_apply(branch, index()?, StashApply::Keep),
        "drop" => repo.stash_drop(index()?),
        "clear" => {
            let n = repo.stash_clear().map_err(vc_error)?;
            return Ok(Outcome::new(
                &[("dropped", Type::Int8)],
                vec![Value::Int8(n as i64)],
            ));
        }
        other => {
            return Err(Error::invalid(
                "22023",
                format!("vdb_stash: unknown action {other}; use push, pop, apply, drop or clear"),
            ))
        }
    }
    .map_err(vc_error)?;
    Ok(Outcome::new(
        &[("stash", Type::Text), ("hash", Type::Text)],
        vec![text(stash.name()), text(stash.addr.to_hex())],
    ))
}

/// The columns of a merge's result (`vdb_merge`, `vdb_pull`).
pub(crate) const MERGE_COLUMNS: [(&str, Type); 4] = [
    ("hash", Type::Text),
    ("fast_forward", Type::Bool),
    ("conflicts", Type::Int8),
    ("message", Type::Text),
];

/// A merge's outcome as a row of [`MERGE_COLUMNS`].
pub(crate) fn merge_row(vc: &VcContext, outcome: MergeOutcome) -> Result<Vec<Value>> {
    let repo = &vc.repo;
    let branch = vc.branch.as_str();
    Ok(match outcome {
        MergeOutcome::UpToDate => vec![
            text(repo.branch_head(branch).map_err(vc_error)?.to_hex()),
            Value::Bool(false),
            Value::Int8(0),
            text("Already up to date"),
        ],
        MergeOutcome::FastForward { commit } => vec![
            text(commit.to_hex()),
            Value::Bool(true),
            Value::Int8(0),
            text("Fast-forward"),
        ],
        MergeOutcome::Merged { commit } => vec![
            text(commit.to_hex()),
            Value::Bool(false),
            Value::Int8(0),
            text("merge successful"),
        ],
        MergeOutcome::Squashed { .. } => vec![
            Value::Null,
            Value::Bool(false),
            Value::Int8(0),
            text("squashed into the working set; commit to conclude"),
        ],
        MergeOutcome::Conflicts {
            conflicts,
            schema_conflicts,
            violations,
        } => {
            let n = conflicts.values().sum::<u64>()
                + schema_conflicts.len() as u64
                + violations.len() as u64;
            vec![
                Value::Null,
                Value::Bool(false),
                Value::Int8(n as i64),
                text(
                    "conflicts: resolve them (vdb.conflicts, vdb_conflicts_resolve) \
                     and commit, or vdb_merge('--abort')",
                ),
            ]
        }
    })
}

/// The session branch's head, as a hash (so a branch named like a revision is not misread).
fn head_of(vc: &VcContext) -> Result<String> {
    Ok(vc.repo.branch_head(&vc.branch).map_err(vc_error)?.to_hex())
}

/// `vdb_checkout`: switch branches (`-b NEW [START]` creates one), or discard the working
/// changes of the named tables (restoring them from the staged root).
fn checkout(vc: &VcContext, name: &str, args: &[String]) -> Result<Outcome> {
    let a: CheckoutArgs = parse(name, args)?;
    let repo = &vc.repo;
    let switched = |b: &str| {
        let mut out = Outcome::new(
            &[("status", Type::Int4), ("message", Type::Text)],
            vec![Value::Int4(0), text(format!("Switched to branch '{b}'"))],
        );
        out.branch = Some(b.to_string());
        out
    };
    match (a.create, a.targets.as_slice()) {
        (Some(new), targets) if targets.len() <= 1 => {
            let start = match targets.first() {
                Some(rev) => vc.resolve_commit(rev)?.to_hex(),
                None if vc.pinned.is_some() => vc.resolve_commit("HEAD")?.to_hex(),
                None => head_of(vc)?,
            };
            repo.branch_create(&new, &start, false).map_err(vc_error)?;
            Ok(switched(&new))
        }
        (None, [target]) if repo.branch_head(target).is_ok() => Ok(switched(target)),
        (None, tables) if !tables.is_empty() => {
            vc.check_writable("vdb_checkout")?;
            let ws = repo.working_set(&vc.branch).map_err(vc_error)?;
            let staged = repo.root_value(ws.staged).map_err(vc_error)?;
            let mut working = repo.root_value(ws.working).map_err(vc_error)?;
            for table in tables {
                let in_working = working.table_addr(table).is_some();
                match staged
                    .get_table(repo.node_store(), table)
                    .map_err(vc_error)?
                {
                    Some(t) => working.put_table(table, &t).map_err(vc_error)?,
                    None if in_working => {
                        working.remove_table(table);
                    }
                    None => {
                        return Err(Error::invalid(
                            "22023",
                            format!("vdb_checkout: {table} is neither a branch nor a table"),
                        ))
                    }
                }
            }
            repo.set_working_root_if(&vc.branch, ws.working, &working)
                .map_err(vc_error)?
                .ok_or(Error::Serialization)?;
            Ok(Outcome::new(
                &[("status", Type::Int4), ("message", Type::Text)],
                vec![Value::Int4(0), text("working changes discarded")],
            ))
        }
        _ => Err(Error::invalid(
            "22023",
            "usage: vdb_checkout('BRANCH') | vdb_checkout('-b', 'NEW' [, 'START']) | \
             vdb_checkout('TABLE', ...)",
        )),
    }
}

/// `vdb_reset('t1', ...)`: the tables' staged versions go back to the head commit's.
fn unstage(vc: &VcContext, tables: &[String]) -> Result<()> {
    let repo = &vc.repo;
    let ns = repo.node_store();
    let head = vc.commit(repo.branch_head(&vc.branch).map_err(vc_error)?)?;
    let head_root = repo.root_value(head.root).map_err(vc_error)?;
    let ws = repo.working_set(&vc.branch).map_err(vc_error)?;
    let working = repo.root_value(ws.working).map_err(vc_error)?;
    let mut staged = repo.root_value(ws.staged).map_err(vc_error)?;
    for table in tables {
        if working.table_addr(table).is_none() && head_root.table_addr(table).is_none() {
            return Err(Error::invalid(
                "22023",
                format!("vdb_reset: {table} is neither a revision nor a table"),
            ));
        }
        match head_root.get_table(ns, table).map_err(vc_error)? {
            Some(t) => staged.put_table(table, &t).map_err(vc_error)?,
            None => {
                staged.remove_table(table);
            }
        }
    }
    repo.set_staged_root(&vc.branch, &staged).map_err(vc_error)
}
