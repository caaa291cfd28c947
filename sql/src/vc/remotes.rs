//! Remotes from SQL: `vdb_remote('add', name, url)`, `vdb_fetch`, `vdb_push` (of a branch, or
//! of tags: `vdb_push('origin', '--tags')`, `vdb_push('origin', 'v1')`), `vdb_pull`, and
//! the rows of `vdb.remotes`, over `vdb_remote::RepositoryRemotes` (the same operations as
//! `vdb remote / fetch / push / pull`). Arguments are git-style strings, as for every procedure.

use clap::Parser;
use vdb_engine::repo::{MergeOptions, Signature};
use vdb_engine::value::{Type, Value};
use vdb_remote::{RemoteOptions, RepositoryRemotes};

use super::procedures::{merge_row, parse, Outcome, MERGE_COLUMNS};
use super::{text, vc_error, VcContext};
use crate::error::{Error, Result};

/// A remote operation's error, with the SQLSTATE a client can act on.
fn remote_error(e: vdb_remote::Error) -> Error {
    use vdb_remote::Error as E;
    match e {
        E::InvalidInput(m) => Error::invalid("22023", m),
        E::NotFound(m) => Error::invalid("42704", m),
        E::Rejected(m) => Error::invalid("55000", m),
        E::Conflict(_) => Error::Serialization,
        E::Corrupted(m) => Error::invalid("XX001", format!("the remote is damaged: {m}")),
        E::Engine(e) => vc_error(e),
        other => Error::invalid("58030", other.to_string()),
    }
}

/// Add or remove a remote.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct RemoteArgs {
    #[arg(long)]
    endpoint: Option<String>,
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    allow_http: bool,
    /// `add NAME URL` or `remove NAME`.
    words: Vec<String>,
}

/// Push or pull a branch, or push tags.
#[derive(Debug, Parser)]
#[command(disable_help_flag = true)]
struct TransferArgs {
    #[arg(short, long)]
    force: bool,
    /// Push every local tag.
    #[arg(long)]
    tags: bool,
    #[arg(long)]
    no_ff: bool,
    #[arg(short, long)]
    message: Option<String>,
    /// `[REMOTE [BRANCH | LOCAL:REMOTE]]`
    words: Vec<String>,
}

/// Whether `name` is a remote procedure.
pub fn is_remote_procedure(name: &str) -> bool {
    matches!(
        name,
        "vdb_remote" | "vdb_fetch" | "vdb_push" | "vdb_pull" | "vdb_clone"
    )
}

/// Runs remote procedure `name`.
pub fn run(vc: &VcContext, user: &str, name: &str, args: &[String]) -> Result<Outcome> {
    let repo = &*vc.repo;
    match name {
        "vdb_remote" => {
            let a: RemoteArgs = parse(name, args)?;
            let words: Vec<&str> = a.words.iter().map(String::as_str).collect();
            match words.as_slice() {
                ["add", remote, url] => {
                    let options = RemoteOptions {
                        endpoint: a.endpoint,
                        region: a.region,
                        allow_http: a.allow_http,
                    };
                    repo.remote_add(remote, url, &options)
                        .map_err(remote_error)?;
                }
                ["remove" | "rm", remote] => repo.remote_remove(remote).map_err(remote_error)?,
                _ => {
                    return Err(Error::invalid(
                        "22023",
                        "usage: vdb_remote('add', 'NAME', 'URL') | vdb_remote('remove', 'NAME')",
                    ))
                }
            }
            Ok(Outcome::new(
                &[("status", Type::Int4)],
                vec![Value::Int4(0)],
            ))
        }
        "vdb_fetch" => {
            let remote = match args {
                [] => "origin",
                [r] => r.as_str(),
                _ => return Err(Error::invalid("22023", "usage: vdb_fetch(['REMOTE'])")),
            };
            let report = RepositoryRemotes::fetch(repo, remote).map_err(remote_error)?;
            Ok(Outcome::new(
                &[
                    ("remote", Type::Text),
                    ("updated_branches", Type::Int4),
                    ("chunks", Type::Int8),
                    ("bytes", Type::Int8),
                ],
                vec![
                    text(remote),
                    Value::Int4(report.updated.len() as i32),
                    Value::Int8(report.chunks as i64),
                    Value::Int8(report.bytes as i64),
                ],
            ))
        }
        "vdb_push" => {
            vc.check_writable(name)?;
            let a: TransferArgs = parse(name, args)?;
            if let Some((remote, tags)) = tag_push(vc, &a) {
                return push_tags(repo, &remote, &tags, a.force);
            }
            let (remote, local, remote_branch) = match a.words.as_slice() {
                [] => ("origin".to_string(), vc.branch.clone(), vc.branch.clone()),
                [r] => (r.clone(), vc.branch.clone(), vc.branch.clone()),
                [r, spec] => match spec.split_once(':') {
                    Some((l, rb)) => (r.clone(), l.to_string(), rb.to_string()),
                    None => (r.clone(), spec.clone(), spec.clone()),
                },
                _ => {
                    return Err(Error::invalid(
                        "22023",
                        "usage: vdb_push(['REMOTE' [, 'BRANCH' | 'LOCAL:REMOTE' | 'TAG']] \
                         [, '--tags'] [, '--force'])",
                    ))
                }
            };
            let report = RepositoryRemotes::push(repo, &remote, &local, &remote_branch, a.force)
                .map_err(remote_error)?;
            let hash = |h: Option<vdb_engine::Hash>| h.map_or(Value::Null, |h| text(h.to_hex()));
            Ok(Outcome::new(
                &[
                    ("remote_branch", Type::Text),
                    ("old", Type::Text),
                    ("new", Type::Text),
                    ("chunks", Type::Int8),
                    ("bytes", Type::Int8),
                    ("forced", Type::Bool),
                ],
                vec![
                    text(format!("{remote}/{}", report.remote_branch)),
                    hash(report.old),
                    text(report.new.to_hex()),
                    Value::Int8(report.chunks as i64),
                    Value::Int8(report.bytes as i64),
                    Value::Bool(report.forced),
                ],
            ))
        }
        "vdb_pull" => {
            vc.check_writable(name)?;
            let a: TransferArgs = parse(name, args)?;
            let (remote, remote_branch) = match a.words.as_slice() {
                [] => ("origin".to_string(), vc.branch.clone()),
                [r] => (r.clone(), vc.branch.clone()),
                [r, b] => (r.clone(), b.clone()),
                _ => {
                    return Err(Error::invalid(
                        "22023",
                        "usage: vdb_pull(['REMOTE' [, 'BRANCH']])",
                    ))
                }
            };
            let mut opts = MergeOptions::new(Signature::now(user, &format!("{user}@localhost")));
            opts.no_ff = a.no_ff;
            opts.message =
                Some(a.message.unwrap_or_else(|| {
                    format!("Merge {remote}/{remote_branch} into {}", vc.branch)
                }));
            let (_, outcome) =
                RepositoryRemotes::pull(repo, &remote, &vc.branch, &remote_branch, &opts)
                    .map_err(remote_error)?;
            Ok(Outcome::new(&MERGE_COLUMNS, merge_row(vc, outcome)?))
        }
        _ => Err(Error::invalid(
            "0A000",
            "vdb_clone makes a new repository, which a running server does not serve: run \
             `vdb clone URL DIR` and `vdb serve --data-dir DIR`",
        )),
    }
}

/// The remote and tags of a tag push (`--tags`: every tag, as an empty list; or one name that
/// is a tag and not a branch), or `None` for a branch push.
fn tag_push(vc: &VcContext, a: &TransferArgs) -> Option<(String, Vec<String>)> {
    use vdb_engine::repo::refs;
    let store = &**vc.repo.store();
    match a.words.as_slice() {
        [] if a.tags => Some(("origin".into(), Vec::new())),
        [r] if a.tags => Some((r.clone(), Vec::new())),
        [r, spec] if !spec.contains(':') => {
            let is = |full: String| refs::read_ref(store, &full).ok().flatten().is_some();
            let tag = spec
                .strip_prefix(refs::TAGS_PREFIX)
                .map(str::to_string)
                .or_else(|| {
                    (!is(refs::branch_ref(spec)) && is(refs::tag_ref(spec))).then(|| spec.clone())
                })?;
            Some((r.clone(), vec![tag]))
        }
        _ => None,
    }
}

/// Pushes `tags` (every tag if empty) to `remote`: one row of counts.
fn push_tags(
    repo: &vdb_engine::repo::Repository,
    remote: &str,
    tags: &[String],
    force: bool,
) -> Result<Outcome> {
    let report = RepositoryRemotes::push_tags(repo, remote, tags, force).map_err(remote_error)?;
    Ok(Outcome::new(
        &[
            ("remote", Type::Text),
            ("updated_tags", Type::Int4),
            ("up_to_date_tags", Type::Int4),
            ("chunks", Type::Int8),
            ("bytes", Type::Int8),
        ],
        vec![
            text(remote),
            Value::Int4(report.updated.len() as i32),
            Value::Int4(report.up_to_date.len() as i32),
            Value::Int8(report.chunks as i64),
            Value::Int8(report.bytes as i64),
        ],
    ))
}

/// The rows of `vdb.remotes`: name, url, endpoint, region.
pub fn remote_rows(vc: &VcContext) -> Result<Vec<Vec<Value>>> {
    let opt = |o: &Option<String>| o.as_ref().map_or(Value::Null, text);
    Ok(vc
        .repo
        .remote_list()
        .map_err(remote_error)?
        .into_iter()
        .map(|r| {
            vec![
                text(&r.name),
                text(&r.url),
                opt(&r.options.endpoint),
                opt(&r.options.region),
            ]
        })
        .collect())
}
