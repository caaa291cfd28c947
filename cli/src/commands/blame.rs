//! `vdb blame`: the commit that last changed each row of a table, as `dolt blame` shows it.

use crate::context::{Context, Result};
use crate::render::{cell, date, short, TextTable};
use std::collections::BTreeMap;
use std::path::Path;

/// Show, for each row of a table, the commit that last changed it.
///
/// Each row is listed by its primary key with the commit, its committer, date and message.
/// A row a merge brought in is blamed on the commit that changed it on its branch.
///
/// Example: `vdb blame labels` or `vdb blame v1 labels`
#[derive(Debug, clap::Args)]
#[command(override_usage = "vdb blame [REV] TABLE")]
pub struct Args {
    /// The revision to blame (default HEAD), then the table.
    #[arg(num_args = 1..=2, required = true, value_name = "[REV] TABLE")]
    args: Vec<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let (rev, table) = match args.args.as_slice() {
        [table] => ("HEAD", table.as_str()),
        [rev, table] => (rev.as_str(), table.as_str()),
        _ => return Err("usage: vdb blame [REV] TABLE".into()),
    };
    let ctx = Context::open(start)?;
    let hash = ctx.repo.resolve(rev)?;
    let commit = ctx.repo.commit_info(hash)?;
    let Some(current) = ctx
        .repo
        .root_value(commit.root)?
        .get_table(ctx.repo.node_store(), table)?
    else {
        return Err(format!("table \"{table}\" does not exist at {rev}").into());
    };
    let blamed = vdb_engine::repo::blame(&ctx.repo, hash, table)?.unwrap_or_default();
    let schema = current.schema();
    // A keyless table's rows are known by all their columns.
    let mut positions = schema.key_positions();
    if positions.is_empty() {
        positions = (0..schema.columns.len()).collect();
    }
    let mut header: Vec<String> = positions
        .iter()
        .map(|&i| schema.columns[i].name.clone())
        .collect();
    header.extend(["commit", "committer", "date", "message"].map(String::from));
    let mut out = TextTable::new(header);
    let mut commits = BTreeMap::new();
    for entry in current.scan()? {
        let (key, row) = entry?;
        let Some(hash) = blamed.get(&key) else {
            continue;
        };
        if !commits.contains_key(hash) {
            commits.insert(*hash, ctx.repo.commit_info(*hash)?);
        }
        let info = &commits[hash];
        let mut line: Vec<String> = positions.iter().map(|&i| cell(&row[i])).collect();
        line.push(short(hash));
        line.push(info.committer.name.clone());
        line.push(date(&info.committer));
        line.push(info.message.lines().next().unwrap_or_default().to_string());
        out.push(line);
    }
    print!("{out}");
    Ok(())
}
