//! `vdb remote`: adds, removes and lists the remotes a repository pushes to and fetches from,
//! and holds the connection options the other remote commands share.

use crate::context::{Context, Result};
use std::path::Path;
use vdb_remote::{RemoteOptions, RepositoryRemotes};

/// Manage remotes: repositories on object storage or in a directory.
///
/// URLs: file:///path, s3://bucket/prefix (S3 and S3-compatible servers such as MinIO),
/// gs://bucket/prefix, az://container/prefix. Credentials come from the usual environment
/// variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION;
/// GOOGLE_SERVICE_ACCOUNT; AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY) and are
/// never stored.
///
/// Example: `vdb remote add origin s3://team-data/sales --endpoint http://127.0.0.1:9000 --allow-http`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Add a remote NAME at URL.
    Add {
        name: String,
        url: String,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Remove remote NAME and its remote-tracking branches (NAME/*).
    #[command(alias = "rm")]
    Remove { name: String },
    /// List remotes with their URLs (the default).
    List,
}

/// Connection options of an object-store remote.
#[derive(Debug, Default, clap::Args)]
pub struct OptionArgs {
    /// S3-compatible endpoint URL (default: AWS_ENDPOINT_URL or AWS's own); for az://, the
    /// blob endpoint.
    #[arg(long)]
    endpoint: Option<String>,
    /// S3 region (default: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// Allow a plain-http endpoint (local test servers).
    #[arg(long)]
    allow_http: bool,
}

impl OptionArgs {
    pub fn to_options(&self) -> RemoteOptions {
        RemoteOptions {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            allow_http: self.allow_http,
        }
    }
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    match &args.command {
        Some(Command::Add { name, url, options }) => {
            ctx.repo.remote_add(name, url, &options.to_options())?;
            println!("Added remote {name} at {url}");
        }
        Some(Command::Remove { name }) => {
            ctx.repo.remote_remove(name)?;
            println!("Removed remote {name}");
        }
        Some(Command::List) | None => {
            for remote in ctx.repo.remote_list()? {
                let mut extra = String::new();
                if let Some(e) = &remote.options.endpoint {
                    extra.push_str(&format!(" (endpoint {e})"));
                }
                println!("{}\t{}{extra}", remote.name, remote.url);
            }
        }
    }
    Ok(())
}

/// Bytes for people: `512 B`, `3.4 KiB`, `12.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// A progress line on stderr (`Receiving: 45% (4.5 MiB of 10.0 MiB)`), redrawn in place, when
/// stderr is a terminal; `None` otherwise, so scripts and logs see only the summary.
pub fn progress_bar() -> Option<Box<vdb_remote::ProgressFn>> {
    use std::io::{IsTerminal, Write};
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(Box::new(|p: vdb_remote::Progress| {
        let percent = (p.done * 100).checked_div(p.total).unwrap_or(100);
        let mut phase = p.phase.to_string();
        phase[..1].make_ascii_uppercase();
        let end = if p.done >= p.total { "\n" } else { "" };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{phase}: {percent:3}% ({} of {}){end}",
            human_bytes(p.done),
            human_bytes(p.total)
        );
        let _ = err.flush();
    }))
}

/// Opens remote `name` of the repository, with a progress bar when stderr is a terminal.
pub fn open(ctx: &Context, name: &str) -> Result<vdb_remote::Remote> {
    let remote = vdb_remote::Remote::open_named(&**ctx.repo.store(), name)?;
    Ok(match progress_bar() {
        Some(bar) => remote.with_progress(bar),
        None => remote,
    })
}
