//! `vdb table export`: writes a table, at any revision, to a CSV, TSV or JSON-lines file.

use super::import::{format_of, Format};
use crate::context::{Context, Result};
use crate::render::value_text;
use std::io::Write;
use std::path::PathBuf;
use vdb_engine::value::Value;

/// Export a table to a CSV, TSV or JSON-lines file.
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
    let file = std::fs::File::create(&args.file)
        .map_err(|e| format!("cannot create {}: {e}", args.file.display()))?;
    let mut rows = 0u64;
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
            }
            out.flush()?;
        }
    }
    println!(
        "exported {rows} rows of {} to {}",
        args.table,
        args.file.display()
    );
    Ok(())
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
