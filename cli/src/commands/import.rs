//! `vdb table import`: loads a CSV, TSV, JSON-lines or Parquet file into a table of the working
//! set.
//!
//! A text file is read as records of optional text fields (an empty field is NULL), in two
//! passes for `--create` (infer the column types, then load) and one otherwise; a Parquet file
//! as rows of typed values (`super::parquet`), whose schema gives `--create` its columns.
//! `--schema FILE` gives the new table's columns, types and key as a CREATE TABLE statement
//! instead of inferring them. Into a table that
//! starts empty (`--create`, `--replace`) rows go through a `TableLoader`, which streams a file
//! sorted by its key straight into the tree; into an existing one they go to `Table::apply` in
//! batches of [`BATCH`]. The working root is written once, at the end, so a
//! bad line (wrong field count, a value that does not parse, a duplicate key) stops the import
//! with "line N: reason" and changes nothing. Duplicate keys in the file are caught by a set
//! of the keys read, except when the table starts empty (`--create`, `--replace`): there a row
//! count short of the lines read reveals them, and a second, checking pass names the line.

use super::parquet::ParquetSource;
use crate::context::{Context, Result};
use crate::fail;
use crate::progress::{Progress, Unit};
use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_engine::table::{EnumType, RootValue, RowChange, Schema, Table, TableLoader};
use vdb_engine::value::{Type, Value};

/// Rows handed to `Table::apply` at once.
const BATCH: usize = 10_000;

/// Import a CSV, TSV, JSON-lines or Parquet file into a table of the working set.
///
/// With --create the table's columns come from the file: a Parquet file's schema, or types
/// inferred from a text file's values (bigint, double precision, boolean, text); --schema FILE
/// gives them instead, as a CREATE TABLE statement. Values are read as PostgreSQL reads text
/// for the column's type (dates, timestamps, json, uuid, arrays...). A bad line or row stops
/// the import and changes nothing.
///
/// Example: `vdb table import --create --pk id people people.csv`
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true)))]
pub struct Args {
    /// Create the table, its columns from the file (or from --schema).
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
    /// With --create: a file holding the table's CREATE TABLE statement (columns, types, key
    /// and constraints), instead of inferring them from the data.
    #[arg(long, value_name = "FILE", requires = "create")]
    schema: Option<PathBuf>,
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
    Parquet,
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
        "parquet" | "pq" => Format::Parquet,
        _ => fail!(
            "cannot tell the format of {} from its extension; pass --format csv, tsv, jsonl or parquet",
            path.display()
        ),
    })
}

/// Receives a file's header, then its records: text fields in header order (`None` is NULL),
/// or typed values in header order (Parquet).
trait Sink {
    fn header(&mut self, names: &[String]) -> Result<()>;
    fn record(&mut self, line: u64, fields: &[Option<&str>]) -> Result<()>;
    fn values(&mut self, row: u64, values: Vec<Value>) -> Result<()>;
}

/// Reads `path` into `sink`; errors name the line (the row, in a Parquet file). `what` labels
/// a progress line on a terminal ("Importing"), if there is to be one.
fn read_file(
    path: &Path,
    format: Format,
    sink: &mut dyn Sink,
    what: Option<&'static str>,
) -> Result<()> {
    let progress = |unit: Unit, total: u64| what.map(|w| Progress::new(w, unit, total));
    let size = || std::fs::metadata(path).map_or(0, |m| m.len());
    match format {
        Format::Csv => read_delimited(path, b',', true, sink, progress(Unit::Bytes, size())),
        Format::Tsv => read_delimited(path, b'\t', false, sink, progress(Unit::Bytes, size())),
        Format::Jsonl => read_json_lines(path, sink, progress(Unit::Bytes, size())),
        Format::Parquet => {
            let source = ParquetSource::open(path)?;
            let names: Vec<String> = source.columns.iter().map(|c| c.name.clone()).collect();
            sink.header(&names)?;
            let mut bar = progress(Unit::Rows, source.row_count());
            source.for_each_row(|n, values| {
                if let Some(bar) = &mut bar {
                    bar.set(n);
                }
                sink.values(n, values)
            })?;
            if let Some(bar) = &mut bar {
                bar.finish(source.row_count());
            }
            Ok(())
        }
    }
}

fn read_delimited(
    path: &Path,
    delimiter: u8,
    quoting: bool,
    sink: &mut dyn Sink,
    mut bar: Option<Progress>,
) -> Result<()> {
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
            Ok(false) => {
                if let Some(bar) = &mut bar {
                    bar.finish(reader.position().byte());
                }
                return Ok(());
            }
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                fail!("line {line}: {e}");
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if let Some(bar) = &mut bar {
            bar.set(reader.position().byte());
        }
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

fn read_json_lines(path: &Path, sink: &mut dyn Sink, mut bar: Option<Progress>) -> Result<()> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut header: Option<Vec<String>> = None;
    let mut bytes = 0u64;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| format!("line {n}: {e}"))?;
        bytes += line.len() as u64 + 1;
        if let Some(bar) = &mut bar {
            bar.set(bytes);
        }
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
    if let Some(bar) = &mut bar {
        bar.finish(bytes);
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

    fn values(&mut self, _row: u64, _values: Vec<Value>) -> Result<()> {
        fail!("internal error: a Parquet file's types come from its schema, not from inference")
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

/// `text` as a value of type `ty`, or why it is not one: the common types directly, the
/// others as PostgreSQL reads text (the SQL layer's input functions).
fn parse_value(text: &str, ty: &Type, enums: &Enums) -> std::result::Result<Value, String> {
    let bad = || format!("\"{text}\" is not a valid {ty}");
    Ok(match ty {
        Type::Int8 => Value::Int8(text.parse().map_err(|_| bad())?),
        Type::Float8 => match parse_float(text) {
            Some(f) => Value::Float8(f),
            None => convert(Value::Text(text.to_string()), ty, enums)?,
        },
        Type::Text => Value::Text(text.to_string()),
        ty => convert(Value::Text(text.to_string()), ty, enums)?,
    })
}

/// The repository's enum types by key, for checking labels.
type Enums = BTreeMap<String, EnumType>;

/// `value` as a value of column type `ty` (a cast as an assignment does it), or why not.
fn convert(value: Value, ty: &Type, enums: &Enums) -> std::result::Result<Value, String> {
    if let Type::Enum(key) = ty {
        let label = match value {
            Value::Text(label) => label,
            other => return Err(format!("{other:?} is not a label of {ty}")),
        };
        return match enums.get(key) {
            Some(labels) if labels.position(&label).is_none() => {
                Err(format!("invalid input value for enum {key}: \"{label}\""))
            }
            _ => Ok(Value::Text(label)),
        };
    }
    if value.type_matches(ty) && !needs_fit(ty) {
        return Ok(value);
    }
    vdb_sql::types::cast(value, ty).map_err(|e| e.to_string())
}

/// Whether values of `ty` have a length or precision to enforce.
fn needs_fit(ty: &Type) -> bool {
    match ty {
        Type::Varchar(Some(_)) | Type::Char(_) => true,
        Type::Numeric { precision_scale } => precision_scale.is_some(),
        Type::Array(element) => needs_fit(element),
        _ => false,
    }
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
    /// The enum types of the table's enum columns.
    enums: Enums,
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
        self.accept(&format!("line {line}"), row)
    }

    fn values(&mut self, n: u64, values: Vec<Value>) -> Result<()> {
        let row = self
            .convert_row(values)
            .map_err(|e| format!("row {n}: {e}"))?;
        self.accept(&format!("row {n}"), row)
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
            enums: Enums::new(),
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

    /// Checks a parsed row's key (`at` names its line or row in errors) and hands it on.
    fn accept(&mut self, at: &str, row: Vec<Value>) -> Result<()> {
        if let (Target::Existing { table, .. }, true) = (
            &self.target,
            !self.schema().is_keyless() && (self.seen.is_some() || self.before.is_some()),
        ) {
            let key = table.key_of(&row)?;
            if let Some(seen) = &mut self.seen {
                if !seen.insert(key.to_vec()) {
                    fail!("{at}: duplicate primary key; an earlier one has the same key");
                }
            }
            if let Some(before) = &self.before {
                if before.rows().contains(&key)? {
                    fail!("{at}: a row with this primary key already exists; use --update to replace it");
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

    /// A Parquet row (values in the file's column order) as a row of the table.
    fn convert_row(&self, mut values: Vec<Value>) -> std::result::Result<Vec<Value>, String> {
        self.build_row(
            |i, ty| match std::mem::replace(&mut values[i], Value::Null) {
                Value::Null => Ok(Value::Null),
                value => convert(value, ty, &self.enums),
            },
        )
    }

    /// The table's row from a file's fields: `field(i, type)` is the value of the file's
    /// column `i` as the type of the table's column it feeds; columns the file lacks are NULL.
    fn build_row(
        &self,
        mut field: impl FnMut(usize, &Type) -> std::result::Result<Value, String>,
    ) -> std::result::Result<Vec<Value>, String> {
        let schema = self.schema();
        let mut row = Vec::with_capacity(schema.columns.len());
        for (column, at) in schema.columns.iter().zip(&self.fields) {
            let value = match at {
                Some(i) => {
                    field(*i, &column.ty).map_err(|e| format!("column \"{}\": {e}", column.name))?
                }
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

    fn schema(&self) -> &Schema {
        match &self.target {
            Target::Fresh(loader) => loader.schema(),
            Target::Existing { table, .. } => table.schema(),
        }
    }

    fn parse_row(&self, fields: &[Option<&str>]) -> std::result::Result<Vec<Value>, String> {
        self.build_row(|i, ty| match fields[i] {
            Some(text) => parse_value(text, ty, &self.enums),
            None => Ok(Value::Null),
        })
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
        (None, true) => (new_table(args, format, ctx, &mut root)?, None, "created"),
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
    loader.enums = enums_of(start.schema(), &root);
    read_file(&args.file, format, &mut loader, Some("Importing"))
        .map_err(|e| cannot_import(args, &e))?;
    let rows = loader.rows;
    let loader_enums = std::mem::take(&mut loader.enums);
    let table = loader.finish()?;
    if fresh && table.count() != rows {
        let mut checker = Loader::new(start, None, true);
        checker.enums = loader_enums;
        checker.apply = false;
        read_file(&args.file, format, &mut checker, None).map_err(|e| cannot_import(args, &e))?;
        fail!(
            "cannot import {}: duplicate primary keys",
            args.file.display()
        );
    }
    root.put_table(&args.table, &table)?;
    check_references(args, &root, ctx)?;
    ctx.repo.set_working_root(&ctx.branch, &root)?;
    println!(
        "{verb} table {}: {rows} rows imported, {} rows in total",
        args.table,
        table.count()
    );
    Ok(())
}

/// Fails, before anything is written, if the imported table's rows break its foreign keys or
/// CHECK constraints, or rows of the tables whose foreign keys reference it lost their parent
/// (`--replace`, `--update`): what SQL's INSERT would have refused.
fn check_references(args: &Args, root: &RootValue, ctx: &Context) -> Result<()> {
    let ns = ctx.repo.node_store();
    let mut tables = vec![args.table.clone()];
    for name in root.table_names() {
        if name == args.table {
            continue;
        }
        let references = root.get_table(ns, name)?.is_some_and(|t| {
            t.schema()
                .foreign_keys
                .iter()
                .any(|fk| fk.ref_table == args.table)
        });
        if references {
            tables.push(name.to_string());
        }
    }
    let found = vdb_sql::vc::verify::violations(ns, root, &tables)?;
    if let Some(first) = found.first() {
        fail!(
            "cannot import {}: {} row(s) would break a foreign key or CHECK constraint ({first}{}); \
             nothing was imported",
            args.file.display(),
            found.len(),
            if found.len() > 1 { ", ..." } else { "" }
        );
    }
    Ok(())
}

/// The enum types `schema`'s columns (and array elements) use, from `root`.
fn enums_of(schema: &Schema, root: &RootValue) -> Enums {
    fn key(ty: &Type) -> Option<&str> {
        match ty {
            Type::Enum(key) => Some(key),
            Type::Array(element) => key(element),
            _ => None,
        }
    }
    schema
        .columns
        .iter()
        .filter_map(|c| key(&c.ty))
        .filter_map(|k| Some((k.to_string(), root.get_type(k)?.clone())))
        .collect()
}

/// The error for a bad file: what went wrong where, and that nothing changed.
fn cannot_import(args: &Args, e: &dyn std::fmt::Display) -> String {
    format!(
        "cannot import {}: {e}; fix the file and import again (nothing was changed)",
        args.file.display()
    )
}

/// An empty table for `--create`: its schema from `--schema FILE`, from a Parquet file's
/// schema, or inferred from a text file (pass one). Sequences and enum types the `--schema`
/// statement creates go into `root`.
fn new_table(args: &Args, format: Format, ctx: &Context, root: &mut RootValue) -> Result<Table> {
    let ns = ctx.repo.node_store();
    if let Some(path) = &args.schema {
        if !args.pk.is_empty() {
            fail!("--pk and --schema do not go together; declare the key in the schema file");
        }
        let schema = schema_from_statement(args, path, root)?;
        return Ok(Table::create(ns, schema)?);
    }
    let columns: Vec<(String, Type)> = if format == Format::Parquet {
        ParquetSource::open(&args.file)
            .map_err(|e| cannot_import(args, &e))?
            .columns
            .into_iter()
            .map(|c| (c.name, c.ty))
            .collect()
    } else {
        let mut inferrer = Inferrer::default();
        read_file(&args.file, format, &mut inferrer, Some("Reading types"))
            .map_err(|e| cannot_import(args, &e))?;
        let types = inferrer.types();
        inferrer.names.into_iter().zip(types).collect()
    };
    if columns.is_empty() {
        fail!(
            "{} has no columns; give it a header line",
            args.file.display()
        );
    }
    let columns: Vec<(&str, Type, bool)> = columns
        .iter()
        .map(|(name, ty)| (name.as_str(), ty.clone(), true))
        .collect();
    let pk: Vec<&str> = args.pk.iter().map(String::as_str).collect();
    for name in &pk {
        if !columns.iter().any(|(n, ..)| n == name) {
            fail!("--pk names column \"{name}\", which is not in the file's header");
        }
    }
    let schema = Schema::new(&columns, &pk)?;
    Ok(Table::create(ns, schema)?)
}

/// The schema `--schema FILE`'s CREATE TABLE statement declares, run in a scratch in-memory
/// repository that holds `root`'s schemas and enum types; the sequences (serial, identity) and
/// enum types it creates are copied into `root`. The statement must create the table being
/// imported, and no other table.
fn schema_from_statement(args: &Args, path: &Path, root: &mut RootValue) -> Result<Schema> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let store: Arc<dyn ChunkStore> = Arc::new(MemoryStore::new());
    let repo = Repository::init(store, "main", &Signature::new("vdb", "vdb@localhost", 0))?;
    let repo = Arc::new(repo);
    // The repository's schemas and enum types are there for the statement to use.
    let mut seed = RootValue::empty();
    for name in root.schema_names() {
        seed.put_schema(name);
    }
    for name in root.type_names() {
        if let Some(ty) = root.get_type(name) {
            seed.put_type(name, ty.clone());
        }
    }
    repo.set_working_root("main", &seed)?;
    let mut session = vdb_sql::Session::new(Arc::clone(&repo), "main");
    session
        .execute(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let scratch = repo.root_value(repo.resolve_root_on("main", "WORKING")?)?;
    let tables: Vec<&str> = scratch.table_names().collect();
    if tables != [args.table.as_str()] {
        fail!(
            "{} must create table {} and no other; it creates {}",
            path.display(),
            args.table,
            if tables.is_empty() {
                "none".to_string()
            } else {
                tables.join(", ")
            }
        );
    }
    let table = scratch.must_get_table(repo.node_store(), &args.table)?;
    for name in scratch.sequence_names() {
        if root.get_sequence(name).is_some() {
            fail!(
                "{}: sequence {name} already exists in the repository",
                path.display()
            );
        }
        if let Some(sequence) = scratch.get_sequence(name) {
            root.put_sequence(name, sequence.clone());
        }
    }
    for name in scratch.type_names() {
        match (root.get_type(name), scratch.get_type(name)) {
            (Some(ours), Some(theirs)) if ours != theirs => fail!(
                "{}: type {name} exists in the repository with other labels",
                path.display()
            ),
            (None, Some(ty)) => root.put_type(name, ty.clone()),
            _ => {}
        }
    }
    Ok(table.schema().clone())
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
        assert_eq!(
            parse_value("7", &Type::Int8, &Enums::new()),
            Ok(Value::Int8(7))
        );
        assert!(parse_value("x", &Type::Int8, &Enums::new())
            .unwrap_err()
            .contains("not a valid bigint"));
    }
}
