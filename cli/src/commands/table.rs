//! `vdb table`: import and export files, and list, remove, rename and copy tables in the
//! current branch's working set.

use super::{export, import};
use crate::context::{Context, Result};
use crate::fail;
use crate::render::TextTable;
use std::path::Path;

/// Work with tables: import, export, ls, rm, mv, cp.
///
/// Example: `vdb table import --create --pk id people people.csv`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TableCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TableCommand {
    Import(import::Args),
    Export(export::Args),
    Ls(LsArgs),
    Rm(RmArgs),
    Mv(MvArgs),
    Cp(CpArgs),
}

/// List the tables of the working set, with their row counts.
///
/// Example: `vdb table ls`
#[derive(Debug, clap::Args)]
struct LsArgs {}

/// Remove tables from the working set.
///
/// Example: `vdb table rm scratch`
#[derive(Debug, clap::Args)]
struct RmArgs {
    #[arg(required = true)]
    tables: Vec<String>,
}

/// Rename a table in the working set.
///
/// Example: `vdb table mv people persons`
#[derive(Debug, clap::Args)]
struct MvArgs {
    old: String,
    new: String,
}

/// Copy a table in the working set (a cheap copy: both names share the data).
///
/// Example: `vdb table cp people people_backup`
#[derive(Debug, clap::Args)]
struct CpArgs {
    from: String,
    to: String,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    match &args.command {
        TableCommand::Import(a) => import::run(a, &ctx),
        TableCommand::Export(a) => export::run(a, &ctx),
        TableCommand::Ls(_) => ls(&ctx),
        TableCommand::Rm(a) => rm(&ctx, &a.tables),
        TableCommand::Mv(a) => copy(&ctx, &a.old, &a.new, true),
        TableCommand::Cp(a) => copy(&ctx, &a.from, &a.to, false),
    }
}

fn ls(ctx: &Context) -> Result<()> {
    let root = ctx.repo.working_root(&ctx.branch)?;
    let mut out = TextTable::new(vec!["table".into(), "rows".into(), "primary key".into()]);
    for name in root.table_names() {
        let table = root.must_get_table(ctx.repo.node_store(), name)?;
        let schema = table.schema();
        let key: Vec<&str> = schema
            .key_positions()
            .iter()
            .map(|&p| schema.columns[p].name.as_str())
            .collect();
        let key = if schema.is_keyless() {
            "(none)".to_string()
        } else {
            key.join(", ")
        };
        out.push(vec![name.to_string(), table.count().to_string(), key]);
    }
    if out.is_empty() {
        println!("no tables; import one with `vdb table import --create TABLE FILE`");
    } else {
        print!("{out}");
    }
    Ok(())
}

fn rm(ctx: &Context, tables: &[String]) -> Result<()> {
    let mut root = ctx.repo.working_root(&ctx.branch)?;
    for name in tables {
        if !root.remove_table(name) {
            fail!("table {name} does not exist; list tables with `vdb table ls`");
        }
    }
    ctx.repo.set_working_root(&ctx.branch, &root)?;
    println!("removed {}", tables.join(", "));
    Ok(())
}

fn copy(ctx: &Context, from: &str, to: &str, remove: bool) -> Result<()> {
    let mut root = ctx.repo.working_root(&ctx.branch)?;
    let Some(table) = root.get_table(ctx.repo.node_store(), from)? else {
        fail!("table {from} does not exist; list tables with `vdb table ls`");
    };
    if root.table_addr(to).is_some() {
        fail!("table {to} already exists; remove it first or pick another name");
    }
    root.put_table(to, &table)?;
    if remove {
        root.remove_table(from);
    }
    ctx.repo.set_working_root(&ctx.branch, &root)?;
    let verb = if remove { "renamed" } else { "copied" };
    println!("{verb} {from} to {to}");
    Ok(())
}
