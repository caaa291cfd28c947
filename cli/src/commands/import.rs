//! `vdb table import`: loads a CSV, TSV or JSON-lines file into a table of the working set.
//!
//! The file is read as records of optional text fields (an empty field is NULL), in two passes
//! for `--create` (infer the column types, then load) and one otherwise. Into a table that
//! starts empty (`--create`, `--replace`) rows go through a `TableLoader`, which streams a file
//! sorted by its key straight into the tree; into an existing one they go to `Table::apply` in
//! batches of [`BATCH`]. The working root is written once, at the end, so a
//! bad line (wrong field count, a value that does not parse, a duplicate key) stops the import
//! with "line N: reason" and changes nothing. Duplicate keys in the file are caught by a set
//! of the keys read, except when the table starts empty (`--create`, `--replace`): there a row
//! count short of the lines read reveals them, and a second, checking pass names the line.

use crate::context::{Context, Result};
use crate::fail;
use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RowChange, Schema, Table, TableLoader};
use vdb_engine::value::{Numeric, Type, Value};

/// Rows handed to `Table::apply` at once.
const BATCH: usize = 10_000;

/// Import a CSV, TSV or JSON-lines file into a table of the working set.
///
/// Example: `vdb table import --create --pk id people people.csv`
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true)))]
pub struct Args {
    /// Create the table, inferring column types (bigint, double precision, boolean, text).
    #[arg(long, group = "mode")]
    create: bool,
    /// Insert the file's rows, replacing existing rows with the same primary key.
    #[arg(long, group = "mode")]
    update: bool,
    /// Replace all of the table's rows with the file's (the schema stays).
    #[arg(long, group = "mode")]
    replace: bool,
    /// Insert the file's rows; a row whose key already exists is an error.
    #[arg(long, group = "mode")]
    append: bool,
    /// Primary-key columns, comma separated (with --create; default: no key).
    #[arg(long, value_delimiter = ',')]
    pk: Vec<String>,
    /// The file format (default: from the extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The table.
    table: String,
    /// The file to read.
    file: PathBuf,
}

/// A tabular file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Tsv,
    Jsonl,
}

/// The format `explicit` names, or the one `path`'s extension implies.
pub fn format_of(path: &Path, explicit: Option<Format>) -> Result<Format> {
    if let Some(format) = explicit {
        return Ok(format);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "csv" => Format::Csv,
        "tsv" | "tab" => Format::Tsv,
        "jsonl" | "ndjson" | "json" => Format::Jsonl,
        "parquet" => fail!("Parquet is not supported yet; use CSV, TSV or JSON lines"),
        _ => fail!(
            "cannot tell the format of {} from its extension; pass --format csv, tsv or jsonl",
            path.display()
        ),
    })
}

/// Receives a file's header, then its records (fields in header order; `None` is NULL).
trait Sink {
    fn header(&mut self, names: &[String]) -> Result<()>;
    fn record(&mut self, line: u64, fields: &[Option<&str>]) -> Result<()>;
}

/// Reads `path` into `sink`; errors name the line.
fn read_file(path: &Path, format: Format, sink: &mut dyn Sink) -> Result<()> {
    match format {
        Format::Csv => read_delimited(path, b',', true, sink),
        Format::Tsv => read_delimited(path, b'\t', false, sink),
        Format::Jsonl => read_json_lines(path, sink),
    }
}

fn read_delimited(path: &Path, delimiter: u8, quoting: bool, sink: &mut dyn Sink) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    sink.header(&header)?;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                fail!("line {line}: {e}");
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            fail!(
                "line {line}: expected {} fields like the header, found {}",
                header.len(),
                record.len()
            );
        }
        let fields: Vec<Option<&str>> = record
            .iter()
            .map(|f| (!f.is_empty()).then_some(f))
            .collect();
        sink.record(line, &fields)?;
    }
}

fn read_json_lines(path: &Path, sink: &mut dyn Sink) -> Result<()> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut header: Option<Vec<String>> = None;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| format!("line {n}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&line).map_err(|e| format!("line {n}: not a JSON object: {e}"))?;
        let names = match &header {
            Some(names) => names,
            None => {
                let names: Vec<String> = object.keys().cloned().collect();
                sink.header(&names)?;
                header.insert(names)
            }
        };
        if let Some(extra) = object.keys().find(|k| !names.contains(k)) {
            fail!("line {n}: field \"{extra}\" is not in the first line's fields");
        }
        let fields: Vec<Option<String>> = names
            .iter()
            .map(|name| match object.get(name) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            })
            .collect();
        let fields: Vec<Option<&str>> = fields.iter().map(Option::as_deref).collect();
        sink.record(n, &fields)?;
    }
    Ok(())
}

/// Pass one of `--create`: which type fits every value of each column.
#[derive(Debug, Default)]
struct Inferrer {
    names: Vec<String>,
    /// Per column: could still be bigint, double precision, boolean.
    fits: Vec<[bool; 3]>,
}

impl Sink for Inferrer {
    fn header(&mut self, names: &[String]) -> Result<()> {
        self.names = names.to_vec();
        self.fits = vec![[true; 3]; names.len()];
        Ok(())
    }

    fn record(&mut self, _line: u64, fields: &[Option<&str>]) -> Result<()> {
        for (fits, field) in self.fits.iter_mut().zip(fields) {
            if let Some(text) = field {
                fits[0] = fits[0] && text.parse::<i64>().is_ok();
                fits[1] = fits[1] && parse_float(text).is_some();
                fits[2] = fits[2] && parse_bool(text).is_some();
            }
        }
        Ok(())
    }
}

impl Inferrer {
    fn types(&self) -> Vec<Type> {
        self.fits
            .iter()
            .map(|fits| match fits {
                [true, _, _] => Type::Int8,
                [_, true, _] => Type::Float8,
                [_, _, true] => Type::Bool,
                _ => Type::Text,
            })
            .collect()
    }
}

/// A float written with digits (so "nan" or "inf" stay text).
fn parse_float(text: &str) -> Option<f64> {
    text.bytes()
        .any(|b| b.is_ascii_digit())
        .then(|| text.parse::<f64>().ok())
        .flatten()
}

fn parse_bool(text: &str) -> Option<bool> {
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("true") || is("t") || is("yes") {
        Some(true)
    } else if is("false") || is("f") || is("no") {
        Some(false)
    } else {
        None
    }
}

/// `text` as a value of type `ty`, or why it is not one.
fn parse_value(text: &str, ty: &Type) -> std::result::Result<Value, String> {
    let bad = || format!("\"{text}\" is not a valid {ty}");
    Ok(match ty {
        Type::Int2 => Value::Int2(text.parse().map_err(|_| bad())?),
        Type::Int4 => Value::Int4(text.parse().map_err(|_| bad())?),
        Type::Int8 => Value::Int8(text.parse().map_err(|_| bad())?),
        Type::Float4 => Value::Float4(text.parse().map_err(|_| bad())?),
        Type::Float8 => Value::Float8(text.parse().map_err(|_| bad())?),
        Type::Bool => Value::Bool(parse_bool(text).ok_or_else(bad)?),
        Type::Numeric { .. } => Value::Numeric(text.parse::<Numeric>().map_err(|_| bad())?),
        ty if ty.is_text() => Value::Text(text.to_string()),
        ty => return Err(format!("columns of type {ty} cannot be imported yet")),
    })
}

/// Pass two: parses records into rows and hands them to the table.
#[derive(Debug)]
struct Loader {
    target: Target,
    /// The table before the import (`--append` checks keys against it).
    before: Option<Table>,
    /// Per schema column: its field's position in the file, if present.
    fields: Vec<Option<usize>>,
    /// Encoded keys of the file's rows so far (duplicates are an error), if tracked.
    seen: Option<HashSet<Vec<u8>>>,
    /// Whether rows go to the table (false: only check the file).
    apply: bool,
    rows: u64,
}

/// Where a [`Loader`]'s rows go.
#[derive(Debug)]
enum Target {
    /// A table that starts empty (`--create`, `--replace`): a file sorted by its key streams
    /// straight into the tree.
    Fresh(TableLoader),
    /// An existing table, changed by `Table::apply` in batches of [`BATCH`].
    Existing { table: Table, batch: Vec<RowChange> },
}

impl Sink for Loader {
    fn header(&mut self, names: &[String]) -> Result<()> {
        let schema = self.schema();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                fail!("line 1: column \"{name}\" appears twice in the header");
            }
            if schema.get_column(name).is_none() {
                fail!("line 1: column \"{name}\" is not in the table; add it or drop it from the file");
            }
        }
        self.fields = schema
            .columns
            .iter()
            .map(|c| names.iter().position(|n| *n == c.name))
            .collect();
        Ok(())
    }

    fn record(&mut self, line: u64, fields: &[Option<&str>]) -> Result<()> {
        let row = self
            .parse_row(fields)
            .map_err(|e| format!("line {line}: {e}"))?;
        if let (Target::Existing { table, .. }, true) = (
            &self.target,
            !self.schema().is_keyless() && (self.seen.is_some() || self.before.is_some()),
        ) {
            let key = table.key_of(&row)?;
            if let Some(seen) = &mut self.seen {
                if !seen.insert(key.to_vec()) {
                    fail!("line {line}: duplicate primary key; an earlier line has the same key");
                }
            }
            if let Some(before) = &self.before {
                if before.rows().contains(&key)? {
                    fail!("line {line}: a row with this primary key already exists; use --update to replace it");
                }
            }
        }
        self.rows += 1;
        if !self.apply {
            return Ok(());
        }
        match &mut self.target {
            Target::Fresh(loader) => loader.push(row)?,
            Target::Existing { table, batch } => {
                batch.push(RowChange::Insert(row));
                if batch.len() >= BATCH {
                    *table = table.apply(std::mem::take(batch))?;
                }
            }
        }
        Ok(())
    }
}

impl Loader {
    /// A loader into the existing `table`; `before` is set for `--append` (existing keys are
    /// errors); `track` checks for duplicate keys in the file as it goes.
    fn new(table: Table, before: Option<Table>, track: bool) -> Loader {
        Loader {
            target: Target::Existing {
                table,
                batch: Vec::with_capacity(BATCH),
            },
            before,
            fields: Vec::new(),
            seen: track.then(HashSet::new),
            apply: true,
            rows: 0,
        }
    }

    /// A loader into a new, empty table with `schema`.
    fn fresh(ns: &NodeStore, schema: Schema) -> Result<Loader> {
        let mut loader = Loader::new(Table::create(ns, schema.clone())?, None, false);
        loader.target = Target::Fresh(TableLoader::new(ns, schema)?);
        Ok(loader)
    }

    fn schema(&self) -> &Schema {
        match &self.target {
            Target::Fresh(loader) => loader.schema(),
            Target::Existing { table, .. } => table.schema(),
        }
    }

    fn parse_row(&self, fields: &[Option<&str>]) -> std::result::Result<Vec<Value>, String> {
        let schema = self.schema();
        let mut row = Vec::with_capacity(schema.columns.len());
        for (column, at) in schema.columns.iter().zip(&self.fields) {
            let value = match at.and_then(|i| fields[i]) {
                Some(text) => parse_value(text, &column.ty)
                    .map_err(|e| format!("column \"{}\": {e}", column.name))?,
                None => Value::Null,
            };
            if value.is_null() && !column.nullable {
                return Err(format!(
                    "column \"{}\" is NOT NULL but the value is empty",
                    column.name
                ));
            }
            row.push(value);
        }
        Ok(row)
    }

    /// The table with every row read.
    fn finish(self) -> Result<Table> {
        Ok(match self.target {
            Target::Fresh(loader) => loader.finish()?,
            Target::Existing { table, batch } => table.apply(batch)?,
        })
    }
}

pub fn run(args: &Args, ctx: &Context) -> Result<()> {
    let format = format_of(&args.file, args.format)?;
    let ns = ctx.repo.node_store();
    let mut root = ctx.repo.working_root(&ctx.branch)?;
    let existing = root.get_table(ns, &args.table)?;
    if !args.pk.is_empty() && !args.create {
        fail!("--pk only applies with --create; the table's key is already set");
    }
    let (start, before, verb) = match (&existing, args.create) {
        (Some(_), true) => fail!(
            "table {} already exists; use --update, --replace or --append, or another name",
            args.table
        ),
        (None, false) => fail!(
            "table {} does not exist; create it with --create",
            args.table
        ),
        (None, true) => (new_table(args, format, ctx)?, None, "created"),
        (Some(t), false) if args.replace => {
            (Table::create(ns, t.schema().clone())?, None, "replaced")
        }
        (Some(t), false) if args.update => {
            if t.schema().is_keyless() {
                fail!("table {} has no primary key, so --update cannot match rows; use --append or --replace", args.table);
            }
            (t.clone(), None, "updated")
        }
        (Some(t), false) => (t.clone(), Some(t.clone()), "appended to"),
    };
    // A table that starts empty needs no key tracking: Insert keeps one row per key, so a
    // duplicate shows as a count short of the rows read, and a second pass finds its line.
    let fresh = args.create || args.replace;
    let mut loader = if fresh {
        Loader::fresh(ns, start.schema().clone())?
    } else {
        Loader::new(start.clone(), before, true)
    };
    read_file(&args.file, format, &mut loader).map_err(|e| cannot_import(args, &e))?;
    let rows = loader.rows;
    let table = loader.finish()?;
    if fresh && table.count() != rows {
        let mut checker = Loader::new(start, None, true);
        checker.apply = false;
        read_file(&args.file, format, &mut checker).map_err(|e| cannot_import(args, &e))?;
        fail!(
            "cannot import {}: duplicate primary keys",
            args.file.display()
        );
    }
    root.put_table(&args.table, &table)?;
    ctx.repo.set_working_root(&ctx.branch, &root)?;
    println!(
        "{verb} table {}: {rows} rows imported, {} rows in total",
        args.table,
        table.count()
    );
    Ok(())
}

/// The error for a bad file: what went wrong where, and that nothing changed.
fn cannot_import(args: &Args, e: &dyn std::fmt::Display) -> String {
    format!(
        "cannot import {}: {e}; fix the file and import again (nothing was changed)",
        args.file.display()
    )
}

/// An empty table whose schema is inferred from the file (pass one).
fn new_table(args: &Args, format: Format, ctx: &Context) -> Result<Table> {
    let mut inferrer = Inferrer::default();
    read_file(&args.file, format, &mut inferrer).map_err(|e| cannot_import(args, &e))?;
    if inferrer.names.is_empty() {
        fail!(
            "{} has no columns; give it a header line",
            args.file.display()
        );
    }
    let types = inferrer.types();
    let columns: Vec<(&str, Type, bool)> = inferrer
        .names
        .iter()
        .zip(types)
        .map(|(name, ty)| (name.as_str(), ty, true))
        .collect();
    let pk: Vec<&str> = args.pk.iter().map(String::as_str).collect();
    for name in &pk {
        if !inferrer.names.iter().any(|n| n == name) {
            fail!("--pk names column \"{name}\", which is not in the file's header");
        }
    }
    let schema = Schema::new(&columns, &pk)?;
    Ok(Table::create(ctx.repo.node_store(), schema)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inference_falls_back_to_wider_types() {
        let mut inf = Inferrer::default();
        inf.header(&["a".into(), "b".into(), "c".into(), "d".into()])
            .unwrap();
        inf.record(2, &[Some("1"), Some("1.5"), Some("TRUE"), Some("x")])
            .unwrap();
        inf.record(3, &[Some("2"), Some("2"), None, Some("3")])
            .unwrap();
        assert_eq!(
            inf.types(),
            vec![Type::Int8, Type::Float8, Type::Bool, Type::Text]
        );
        assert!(parse_float("nan").is_none());
        assert_eq!(parse_value("7", &Type::Int8), Ok(Value::Int8(7)));
        assert!(parse_value("x", &Type::Int8)
            .unwrap_err()
            .contains("not a valid bigint"));
    }
}
