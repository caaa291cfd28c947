//! `vdb table export`: writes a table, at any revision, to a CSV, TSV, JSON-lines or Parquet
//! file. A Parquet file's metadata names the data: the table, the revision asked for, the
//! table's content address and, when the data is a commit's, that commit's hash.

use super::import::{format_of, Format};
use super::parquet;
use crate::context::{Context, Result};
use crate::progress::{Progress, Unit};
use crate::render::value_text;
use std::io::Write;
use std::path::PathBuf;
use vdb_engine::table::RootValue;
use vdb_engine::value::{Type, Value};

/// Export a table to a CSV, TSV, JSON-lines or Parquet file.
///
/// A Parquet file carries the commit the data comes from in its metadata (`vdb.commit`), with
/// `vdb.table`, `vdb.revision` and `vdb.table_hash`, so that a training set names its data.
///
/// Example: `vdb table export people --at v1.0 people.csv`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The table.
    table: String,
    /// The file to write (replaced if it exists).
    file: PathBuf,
    /// The revision to read (default: the working set).
    #[arg(long, default_value = "WORKING")]
    at: String,
    /// The file format (default: from the extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn run(args: &Args, ctx: &Context) -> Result<()> {
    let format = format_of(&args.file, args.format)?;
    let addr = ctx.repo.resolve_root_on(&ctx.branch, &args.at)?;
    let root = ctx.repo.root_value(addr)?;
    let table = root
        .get_table(ctx.repo.node_store(), &args.table)?
        .ok_or_else(|| {
            format!(
                "table {} does not exist at {}; list tables with `vdb table ls`",
                args.table, args.at
            )
        })?;
    let names: Vec<&str> = table
        .schema()
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if format == Format::Parquet {
        let columns: Vec<(String, Type)> = table
            .schema()
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.clone()))
            .collect();
        let metadata = provenance(args, ctx, &root)?;
        let mut bar = Progress::new("Exporting", Unit::Rows, table.count());
        let rows = table.scan()?.enumerate().map(|(i, entry)| {
            bar.set(i as u64);
            Ok(entry?.1)
        });
        let rows = parquet::write(&args.file, &columns, rows, metadata).map_err(|e| {
            // Nothing half-written stays behind under the file's name.
            let _ = std::fs::remove_file(&args.file);
            format!(
                "cannot export {} to {}: {e}",
                args.table,
                args.file.display()
            )
        })?;
        bar.finish(rows);
        println!(
            "exported {rows} rows of {} to {}",
            args.table,
            args.file.display()
        );
        return Ok(());
    }
    let file = std::fs::File::create(&args.file)
        .map_err(|e| format!("cannot create {}: {e}", args.file.display()))?;
    let mut rows = 0u64;
    let mut bar = Progress::new("Exporting", Unit::Rows, table.count());
    match format {
        Format::Csv | Format::Tsv => {
            let delimiter = if format == Format::Csv { b',' } else { b'\t' };
            let mut out = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .from_writer(file);
            out.write_record(&names)?;
            for entry in table.scan()? {
                let (_, row) = entry?;
                out.write_record(row.iter().map(|v| value_text(v).unwrap_or_default()))?;
                rows += 1;
                bar.set(rows);
            }
            out.flush()?;
        }
        Format::Jsonl => {
            let mut out = std::io::BufWriter::new(file);
            for entry in table.scan()? {
                let (_, row) = entry?;
                let mut line = String::from("{");
                for (i, (name, value)) in names.iter().zip(&row).enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(&serde_json::to_string(name)?);
                    line.push(':');
                    line.push_str(&json(value)?);
                }
                line.push('}');
                writeln!(out, "{line}")?;
                rows += 1;
                bar.set(rows);
            }
            out.flush()?;
        }
        Format::Parquet => unreachable!("written above"),
    }
    bar.finish(rows);
    println!(
        "exported {rows} rows of {} to {}",
        args.table,
        args.file.display()
    );
    Ok(())
}

/// The key-value metadata of an exported Parquet file: the table, the revision asked for, the
/// table's content address, and the commit whose data it is (`--at` a commit; or `WORKING` /
/// `STAGED` when the table there is the same as at the branch's head, else `vdb.uncommitted`).
fn provenance(args: &Args, ctx: &Context, root: &RootValue) -> Result<Vec<(String, String)>> {
    let table_hash = root.table_addr(&args.table);
    let mut metadata = vec![
        ("vdb.table".to_string(), args.table.clone()),
        ("vdb.revision".to_string(), args.at.clone()),
    ];
    if let Some(hash) = table_hash {
        metadata.push(("vdb.table_hash".to_string(), hash.to_string()));
    }
    let commit = match ctx.repo.resolve_on(&ctx.branch, &args.at) {
        Ok(commit) => Some(commit),
        Err(_) => {
            let head = ctx.repo.resolve_on(&ctx.branch, "HEAD")?;
            let head_root = ctx.repo.root_value(ctx.repo.commit_info(head)?.root)?;
            (head_root.table_addr(&args.table) == table_hash).then_some(head)
        }
    };
    match commit {
        Some(commit) => metadata.push(("vdb.commit".to_string(), commit.to_string())),
        None => metadata.push(("vdb.uncommitted".to_string(), "true".to_string())),
    }
    Ok(metadata)
}

/// A value as JSON: numbers and booleans as themselves, everything else as a string.
pub fn json(value: &Value) -> Result<String> {
    Ok(match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int2(v) => v.to_string(),
        Value::Int4(v) => v.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Float4(v) if v.is_finite() => serde_json::to_string(v)?,
        Value::Float8(v) if v.is_finite() => serde_json::to_string(v)?,
        other => serde_json::to_string(&value_text(other).unwrap_or_default())?,
    })
}
