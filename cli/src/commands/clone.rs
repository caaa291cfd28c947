//! `vdb clone`: creates a repository from a remote: every chunk its branches reach (with
//! `--depth N`, only those of their last N commits; with `--shallow-since DATE`, only those of
//! their commits since then), the remote as `origin` with its remote-tracking branches, and the
//! default branch checked out.

use super::remote::{human_bytes, OptionArgs};
use crate::context::{init_dir, Result, VDB_DIR};
use crate::fail;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::store::{DiskStore, DiskStoreOptions};

/// Clone a repository from a remote URL into DIR.
///
/// DIR defaults to the last segment of the URL. Takes the same URLs and options as
/// `vdb remote add`.
///
/// Example: `vdb clone s3://team-data/sales`  or  `vdb clone file:///srv/vdb/sales mysales`
#[derive(Debug, clap::Args)]
pub struct Args {
    url: String,
    /// Where to create the repository (must not exist or be empty).
    dir: Option<PathBuf>,
    /// The branch to check out (default: the remote's default branch).
    #[arg(short, long)]
    branch: Option<String>,
    /// The name to give the remote.
    #[arg(short, long, default_value = "origin")]
    origin: String,
    /// A shallow clone: only the last N commits along every parent path of each remote
    /// branch, with all their data. Queries, commits, fetches of new commits, and pushes to a
    /// remote that has the older history all work; `vdb log` marks where the history was cut
    /// off as `grafted`, and revisions beyond it (`HEAD~N`) are errors.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    depth: Option<u32>,
    /// A shallow clone of the commits made at or after DATE (as PostgreSQL reads a timestamptz:
    /// `2024-06-01`, `2024-06-01 12:00+02`, `yesterday`; UTC unless a zone is given), reached
    /// from each remote branch without crossing an older commit; a branch tip older than DATE
    /// is still cloned. Combines with --depth: both limits apply.
    #[arg(long, value_name = "DATE")]
    shallow_since: Option<String>,
    #[command(flatten)]
    options: OptionArgs,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    vdb_remote::parse_url(&args.url)?;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            let last = args
                .url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default();
            if last.is_empty() || last.contains(':') {
                fail!("cannot name a directory after {}; pass DIR", args.url);
            }
            PathBuf::from(last)
        }
    };
    let top = init_dir(start, Some(&dir))?;
    let existed = top.exists();
    if existed && std::fs::read_dir(&top)?.next().is_some() {
        fail!(
            "{} already exists and is not empty; clone into a new directory",
            top.display()
        );
    }
    let store_dir = top.join(VDB_DIR).join("store");
    std::fs::create_dir_all(&store_dir)?;
    let result = clone(args, &store_dir);
    if result.is_err() {
        // Leave nothing half-made behind.
        let _ = if existed {
            std::fs::remove_dir_all(top.join(VDB_DIR))
        } else {
            std::fs::remove_dir_all(&top)
        };
    }
    let (branch, chunks, bytes) = result?;
    println!(
        "Cloned {} into {} (branch {branch}; {chunks} chunks, {}{})",
        args.url,
        top.display(),
        human_bytes(bytes),
        match (args.depth, &args.shallow_since) {
            (Some(n), None) => format!("; shallow, depth {n}"),
            (None, Some(date)) => format!("; shallow, since {date}"),
            (Some(n), Some(date)) => format!("; shallow, depth {n}, since {date}"),
            (None, None) => String::new(),
        }
    );
    Ok(())
}

/// Milliseconds since 1970 UTC of a date given as PostgreSQL reads a timestamptz.
pub fn parse_date(text: &str) -> Result<i64> {
    use vdb_engine::value::{Type, Value};
    match vdb_sql::types::cast(Value::Text(text.to_string()), &Type::TimestampTz) {
        // vdb counts microseconds from 2000-01-01.
        Ok(Value::TimestampTz(micros)) => Ok(micros.div_euclid(1000) + 946_684_800_000),
        Ok(_) => fail!("\"{text}\" is not a date"),
        Err(e) => fail!("--shallow-since: {e}"),
    }
}

fn clone(args: &Args, store_dir: &Path) -> Result<(String, u64, u64)> {
    let limit = vdb_remote::ShallowLimit {
        depth: args.depth,
        since_ms: args.shallow_since.as_deref().map(parse_date).transpose()?,
    };
    let store = Arc::new(DiskStore::open(store_dir, DiskStoreOptions::default())?);
    let (repo, report) = vdb_remote::clone_with(
        store,
        &args.url,
        &args.options.to_options(),
        &args.origin,
        args.branch.as_deref(),
        limit,
        super::remote::progress_bar(),
    )?;
    Ok((repo.head_branch()?, report.chunks, report.bytes))
}
