//! The session's cache of generic plans: statements that differ only in their literals
//! (`SELECT * FROM labels WHERE id = 17`, then `... WHERE id = 42`) are parsed and planned once.
//!
//! A statement's text is first [`normalize`]d: each literal that is a value (not a LIMIT count,
//! an ORDER BY position, a type's modifier or a typed string such as `date '...'`) is replaced
//! by a parameter `$n`, and the text so obtained, with the kinds of its literals, is the key.
//! The first time a key is met the statement runs as usual. The second time, after planning
//! the statement as usual, the cache plans the generic statement too: each number literal a
//! parameter of the type the literal has (`integer`, `bigint` or `numeric`), each quoted string
//! a parameter of unknown type, which takes its type from where it stands as the literal does.
//! If binding this run's literals into the generic plan and optimizing gives exactly the plan
//! planned from the literals, the generic plan is kept; if not (a planner decision that reads a
//! literal's value), the key is never cached. From the third time on, the statement is not
//! parsed: its generic AST runs, and the planner binds the literals into the kept plan and
//! optimizes it (key lookups and folding read the values then, as they would have).
//!
//! Only plain queries and writes of tables are cached: no WITH, no functions or system tables
//! in FROM, no subqueries, no catalog, version-control or user functions, no ON CONFLICT. A
//! kept plan is used only while what it was planned against is unchanged: the session's
//! settings, the database's objects (tables and sequences by name, views, types, functions,
//! schemas) and the schemas of the tables it reads; otherwise it is planned again.

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use sqlparser::ast::{self, ObjectName, Statement};
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, Schema};
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

use crate::catalog::{resolve_table, Catalog, TableRef};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::params::Param;
use crate::planner::{optimize, plan_statement, Plan, Planned};
use crate::settings::Settings;

/// Keys a session keeps before it starts over.
const CAPACITY: usize = 512;
/// Statements longer than this are not cached.
const MAX_TEXT: usize = 64 * 1024;

/// One literal taken out of a statement's text.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The literal's value: a number as the planner types it, a quoted string as text.
    value: Value,
    /// Its type; `None` for a quoted string (or a parameter of unknown type), whose type comes
    /// from where it stands.
    ty: Option<Type>,
}

impl Slot {
    fn unknown(&self) -> bool {
        self.ty.is_none()
    }

    /// A bound parameter as a slot.
    fn of_param(param: &Param) -> Slot {
        match param {
            Param::Unknown(text) => Slot {
                value: text.clone().map_or(Value::Null, Value::Text),
                ty: None,
            },
            Param::Typed(value, ty) => Slot {
                value: value.clone(),
                ty: Some(ty.clone()),
            },
        }
    }
}

/// A statement's text with its value literals taken out.
#[derive(Debug, PartialEq)]
pub struct Normalized {
    /// The generic text, a separator, then one letter per literal's kind.
    key: String,
    /// The length of the generic text at the start of `key`.
    text_len: usize,
    slots: Vec<Slot>,
}

impl Normalized {
    /// The text with each value literal replaced by `$n`.
    pub fn generic_text(&self) -> &str {
        &self.key[..self.text_len]
    }
}

/// The previous significant token, as the literal rules read it.
#[derive(Clone, Debug, PartialEq)]
enum Prev<'a> {
    Start,
    /// A keyword or identifier as written (quoted identifiers are empty).
    Word(&'a str),
    Punct(u8),
    Literal,
}

/// Whether `word` is one of `words` (lower-case), in any case.
fn is_one_of(word: &str, words: &[&str]) -> bool {
    words.iter().any(|w| word.eq_ignore_ascii_case(w))
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Words after which a number is syntax, not a value: LIMIT 10, FETCH FIRST 5, ORDER BY 2.
const NUMBER_KEEPERS: &[&str] = &["limit", "offset", "fetch", "first", "next", "by"];
/// Words after which a quoted string is a value (otherwise `date '...'`, `E'...'` and the like
/// keep it in the text).
const STRING_TAKERS: &[&str] = &[
    "and", "or", "not", "then", "else", "when", "like", "ilike", "between", "select", "case", "in",
];
/// Type names whose parenthesized numbers are modifiers: `varchar(10)`, `numeric(10, 2)`.
const MODIFIED_TYPES: &[&str] = &[
    "varchar",
    "char",
    "character",
    "varying",
    "numeric",
    "decimal",
    "dec",
    "bit",
    "varbit",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "interval",
    "float",
];
/// Words that end an ORDER BY / GROUP BY list.
const BY_LIST_ENDS: &[&str] = &[
    "limit",
    "offset",
    "fetch",
    "having",
    "window",
    "for",
    "union",
    "intersect",
    "except",
    "returning",
];

/// `sql` with its value literals taken out, or `None` when the text is not one the cache
/// handles (placeholders of its own, an unterminated quote, a string continued on the next
/// line, a number run into a word).
pub fn normalize(sql: &str) -> Option<Normalized> {
    if sql.len() > MAX_TEXT {
        return None;
    }
    let b = sql.as_bytes();
    let mut key = String::with_capacity(sql.len() + 8);
    let mut kinds = String::new();
    let mut slots = Vec::new();
    let mut copied = 0;
    let mut prev = Prev::Start;
    // Per open parenthesis: whether it holds a type's modifiers.
    let mut parens: Vec<bool> = Vec::new();
    // The depth of the ORDER BY / GROUP BY list being read.
    let mut by_list: Option<usize> = None;
    let mut i = 0;
    let mut take = |start: usize, end: usize, slot: Slot, kind: char, key: &mut String| {
        key.push_str(&sql[copied..start]);
        slots.push(slot);
        key.push('$');
        key.push_str(&slots.len().to_string());
        kinds.push(kind);
        copied = end;
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                loop {
                    match (b.get(i), b.get(i + 1)) {
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            i += 2;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        (Some(_), _) => i += 1,
                        (None, _) => return None,
                    }
                }
            }
            b'\'' => {
                let start = i;
                let mut text = String::new();
                i += 1;
                loop {
                    let rest = &sql[i..];
                    let end = rest.find('\'')?;
                    text.push_str(&rest[..end]);
                    i += end + 1;
                    if b.get(i) == Some(&b'\'') {
                        text.push('\'');
                        i += 1;
                    } else {
                        break;
                    }
                }
                // 'a' 'b' on two lines is one literal in PostgreSQL.
                let next = b[i..].iter().find(|b| !b.is_ascii_whitespace());
                if next == Some(&b'\'') {
                    return None;
                }
                let prefixed = start > 0 && (is_word_byte(b[start - 1]) || b[start - 1] == b'&');
                let takes = match &prev {
                    Prev::Punct(p) => *p != b')',
                    Prev::Word(w) => is_one_of(w, STRING_TAKERS),
                    Prev::Start | Prev::Literal => false,
                };
                if takes && !prefixed && !text.contains('\\') {
                    let slot = Slot {
                        value: Value::Text(text),
                        ty: None,
                    };
                    take(start, i, slot, 's', &mut key);
                }
                prev = Prev::Literal;
            }
            b'"' => {
                i += 1;
                loop {
                    let end = sql[i..].find('"')?;
                    i += end + 1;
                    if b.get(i) == Some(&b'"') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                prev = Prev::Word("");
            }
            b'$' => {
                // A placeholder of the text's own, or a dollar-quoted string.
                let tag_end = i + 1 + b[i + 1..].iter().position(|&c| c == b'$')?;
                let tag = &sql[i..=tag_end];
                if !tag[1..tag.len() - 1]
                    .bytes()
                    .all(|c| c.is_ascii_alphabetic() || c == b'_')
                {
                    return None;
                }
                let body = tag_end + 1;
                i = body + sql[body..].find(tag)? + tag.len();
                prev = Prev::Literal;
            }
            b'0'..=b'9' | b'.' if c != b'.' || b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if b.get(i) == Some(&b'.') && !matches!(b.get(i + 1), Some(b'.')) {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if matches!(b.get(i), Some(b'e' | b'E'))
                    && (b.get(i + 1).is_some_and(u8::is_ascii_digit)
                        || (matches!(b.get(i + 1), Some(b'+' | b'-'))
                            && b.get(i + 2).is_some_and(u8::is_ascii_digit)))
                {
                    i += 2;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if b.get(i).is_some_and(|&c| is_word_byte(c)) {
                    return None;
                }
                let in_modifiers = parens.last() == Some(&true);
                let keeps = in_modifiers
                    || match &prev {
                        Prev::Word(w) => is_one_of(w, NUMBER_KEEPERS),
                        Prev::Punct(b',') => by_list == Some(parens.len()),
                        Prev::Punct(b'.') => true,
                        _ => false,
                    };
                if !keeps {
                    let value = crate::types::number_literal(&sql[start..i]).ok()?;
                    let kind = match value {
                        Value::Int4(_) => 'i',
                        Value::Int8(_) => 'l',
                        _ => 'n',
                    };
                    let slot = Slot {
                        ty: crate::types::value_type(&value),
                        value,
                    };
                    take(start, i, slot, kind, &mut key);
                }
                prev = Prev::Literal;
            }
            c if is_word_byte(c) => {
                let start = i;
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                let word = &sql[start..i];
                if word.eq_ignore_ascii_case("by") {
                    by_list = Some(parens.len());
                } else if is_one_of(word, BY_LIST_ENDS) && by_list == Some(parens.len()) {
                    by_list = None;
                }
                prev = Prev::Word(word);
            }
            b'(' => {
                let modifiers = matches!(prev, Prev::Word(w) if is_one_of(w, MODIFIED_TYPES));
                parens.push(modifiers);
                prev = Prev::Punct(c);
                i += 1;
            }
            b')' => {
                parens.pop();
                if by_list.is_some_and(|depth| depth > parens.len()) {
                    by_list = None;
                }
                prev = Prev::Punct(c);
                i += 1;
            }
            b';' => {
                by_list = None;
                prev = Prev::Punct(c);
                i += 1;
            }
            _ => {
                prev = Prev::Punct(c);
                i += 1;
            }
        }
    }
    key.push_str(&sql[copied..]);
    let text_len = key.len();
    key.push('\u{1}');
    key.push_str(&kinds);
    Some(Normalized {
        key,
        text_len,
        slots,
    })
}

/// Whether `sql` starts with a word whose statements the cache may hold.
fn plannable(sql: &str) -> bool {
    let text = sql.trim_start();
    let end = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    is_one_of(&text[..end], &["select", "insert", "update", "delete"])
}

/// A generic statement and, once planned, its plan.
#[derive(Debug)]
pub struct Generic {
    /// The statement with its value literals as `$n`.
    statement: Arc<Statement>,
    /// The type of each `$n` (`None`: unknown), which the plan was made for.
    types: Vec<Option<Type>>,
    template: Mutex<Option<Template>>,
}

/// A generic plan and what it was planned against.
#[derive(Debug)]
struct Template {
    /// The unoptimized plan, with `Expr::Param` for the literals.
    plan: Plan,
    columns: Option<Vec<(String, Type)>>,
    tag: &'static str,
    settings: Settings,
    /// The root it was planned on (its objects, not its rows, matter).
    definitions: RootValue,
    /// The tables it reads or writes.
    tables: Vec<TableDep>,
}

#[derive(Debug)]
struct TableDep {
    key: String,
    /// The table chunk last seen to have `schema`.
    addr: Option<Hash>,
    schema: Schema,
}

impl Template {
    /// Whether the plan still fits `root` and `settings`.
    fn fits(&mut self, root: &RootValue, ns: &NodeStore, settings: &Settings) -> bool {
        if self.settings != *settings || !root.same_definitions(&self.definitions) {
            return false;
        }
        self.tables.iter_mut().all(|dep| {
            let addr = root.table_addr(&dep.key);
            if addr.is_some() && addr == dep.addr {
                return true;
            }
            let same = root
                .get_table(ns, &dep.key)
                .ok()
                .flatten()
                .is_some_and(|t| *t.schema() == dep.schema);
            if same {
                dep.addr = addr;
            }
            same
        })
    }
}

#[derive(Debug)]
enum Entry {
    /// Met once; planned as usual.
    Seen,
    /// Never cached: not a statement the cache handles, or its plan reads its literals.
    Uncacheable,
    Generic(Arc<Generic>),
}

/// What the session does with a statement's text.
#[derive(Debug)]
pub enum Lookup {
    /// Parse and plan it as usual.
    Plain,
    /// Parse and plan it as usual, and try its generic plan (see [`Binding`]).
    Verify(Pending),
    /// Run the generic statement with this binding.
    Use(Arc<Statement>, Rc<Binding>),
}

/// Where a statement's entry is kept: by its text's key, or (a prepared statement of the
/// extended protocol) by the statement itself.
#[derive(Debug)]
enum Key {
    Text(String),
    Prepared(Arc<Statement>),
}

/// A key whose generic plan is being tried.
#[derive(Debug)]
pub struct Pending {
    key: Key,
    generic: Arc<Generic>,
    slots: Vec<Slot>,
}

/// What ran a statement found.
#[derive(Debug)]
enum Fallback {
    /// Verifying: the statement bound is the one planned as usual.
    None,
    /// The statement's own text.
    Text(String),
    /// The prepared statement's parameters.
    Params(Vec<Param>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// The planner never saw the statement (the session ran it another way, or it failed
    /// first).
    NotReached,
    Kept,
    Refused,
}

/// The literals of the statement the planner is about to see, and what to do with them.
#[derive(Debug)]
pub struct Binding {
    /// The address of the statement it binds (nested statements are planned as usual).
    target: usize,
    generic: Arc<Generic>,
    slots: Vec<Slot>,
    /// How to plan the statement as usual if the generic plan no longer works.
    fallback: Fallback,
    verify: bool,
    outcome: Cell<Outcome>,
}

thread_local! {
    static BINDING: RefCell<Option<Rc<Binding>>> = const { RefCell::new(None) };
}

/// Runs `f` with `binding` for the planner to find.
pub fn with_binding<T>(binding: Rc<Binding>, f: impl FnOnce() -> T) -> T {
    let saved = BINDING.with(|b| b.borrow_mut().replace(binding));
    let result = f();
    BINDING.with(|b| *b.borrow_mut() = saved);
    result
}

/// A session's generic plans, by key.
#[derive(Debug)]
pub struct PlanCache {
    /// Text entries, by key (FxHash: a session's own statements, at most `CAPACITY`).
    entries: FxHashMap<String, Entry>,
    /// Prepared statements' entries, by the statement's address (the entry holds the
    /// statement, so the address is not reused while it is there).
    prepared: FxHashMap<usize, (Arc<Statement>, Entry)>,
    enabled: bool,
    hits: u64,
}

impl Default for PlanCache {
    fn default() -> Self {
        PlanCache {
            entries: FxHashMap::default(),
            prepared: FxHashMap::default(),
            enabled: true,
            hits: 0,
        }
    }
}

impl PlanCache {
    /// Turns the cache on or off (off: every statement is parsed and planned).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.entries.clear();
        self.prepared.clear();
    }

    /// How many statements ran from a generic plan.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// What to do with the statement text `sql`.
    pub fn lookup(&mut self, sql: &str) -> Lookup {
        if !self.enabled || !plannable(sql) {
            return Lookup::Plain;
        }
        let Some(normalized) = normalize(sql) else {
            return Lookup::Plain;
        };
        if self.entries.len() >= CAPACITY && !self.entries.contains_key(&normalized.key) {
            self.entries.clear();
        }
        let entry = match self.entries.get_mut(&normalized.key) {
            None => {
                self.entries.insert(normalized.key, Entry::Seen);
                return Lookup::Plain;
            }
            Some(entry) => entry,
        };
        match entry {
            Entry::Uncacheable => Lookup::Plain,
            Entry::Seen => match generic_statement(normalized.generic_text()) {
                Some(statement) => Lookup::Verify(Pending {
                    generic: Arc::new(Generic {
                        statement: Arc::new(statement),
                        types: slot_types(&normalized.slots),
                        template: Mutex::new(None),
                    }),
                    key: Key::Text(normalized.key),
                    slots: normalized.slots,
                }),
                None => {
                    *entry = Entry::Uncacheable;
                    Lookup::Plain
                }
            },
            Entry::Generic(generic) => {
                self.hits += 1;
                use_generic(generic, normalized.slots, Fallback::Text(sql.to_string()))
            }
        }
    }

    /// What to do with prepared statement `statement` bound to `params`.
    pub fn lookup_prepared(&mut self, statement: &Arc<Statement>, params: &[Param]) -> Lookup {
        if !self.enabled || !cacheable_kind(statement) {
            return Lookup::Plain;
        }
        let address = Arc::as_ptr(statement) as usize;
        if self.prepared.len() >= CAPACITY && !self.prepared.contains_key(&address) {
            self.prepared.clear();
        }
        let slots: Vec<Slot> = params.iter().map(Slot::of_param).collect();
        match self.prepared.get(&address) {
            None => {
                self.prepared
                    .insert(address, (Arc::clone(statement), Entry::Seen));
                Lookup::Plain
            }
            Some((_, Entry::Uncacheable)) => Lookup::Plain,
            Some((_, Entry::Seen)) => Lookup::Verify(Pending {
                key: Key::Prepared(Arc::clone(statement)),
                generic: Arc::new(Generic {
                    statement: Arc::clone(statement),
                    types: slot_types(&slots),
                    template: Mutex::new(None),
                }),
                slots,
            }),
            // Parameters of other types than the plan's are planned as usual.
            Some((_, Entry::Generic(generic))) if generic.types != slot_types(&slots) => {
                Lookup::Plain
            }
            Some((_, Entry::Generic(generic))) => {
                self.hits += 1;
                use_generic(generic, slots, Fallback::Params(params.to_vec()))
            }
        }
    }

    /// The binding that tries `pending`'s generic plan on `statement`, parsed from the text.
    pub fn verifying(pending: &Pending, statement: &Statement) -> Rc<Binding> {
        Rc::new(Binding {
            target: std::ptr::from_ref(statement) as usize,
            generic: Arc::clone(&pending.generic),
            slots: pending.slots.clone(),
            fallback: Fallback::None,
            verify: true,
            outcome: Cell::new(Outcome::NotReached),
        })
    }

    /// Records what trying `pending` found: its generic plan is kept, or the key is never
    /// cached, or (the statement failed before it was planned) the key is tried again later.
    pub fn settle(&mut self, pending: Pending, binding: &Binding, succeeded: bool) {
        let entry = match binding.outcome.get() {
            Outcome::Kept => Entry::Generic(pending.generic),
            Outcome::NotReached if !succeeded => Entry::Seen,
            Outcome::Refused | Outcome::NotReached => Entry::Uncacheable,
        };
        self.put(pending.key, entry);
    }

    /// Forgets `pending` (its text held more than one statement).
    pub fn refuse(&mut self, pending: Pending) {
        self.put(pending.key, Entry::Uncacheable);
    }

    fn put(&mut self, key: Key, entry: Entry) {
        match key {
            Key::Text(key) => {
                self.entries.insert(key, entry);
            }
            Key::Prepared(statement) => {
                let address = Arc::as_ptr(&statement) as usize;
                self.prepared.insert(address, (statement, entry));
            }
        }
    }
}

fn slot_types(slots: &[Slot]) -> Vec<Option<Type>> {
    slots.iter().map(|s| s.ty.clone()).collect()
}

/// Runs `generic`'s statement with `slots` bound.
fn use_generic(generic: &Arc<Generic>, slots: Vec<Slot>, fallback: Fallback) -> Lookup {
    let binding = Binding {
        target: Arc::as_ptr(&generic.statement) as usize,
        generic: Arc::clone(generic),
        slots,
        fallback,
        verify: false,
        outcome: Cell::new(Outcome::NotReached),
    };
    Lookup::Use(Arc::clone(&generic.statement), Rc::new(binding))
}

/// Whether the cache holds statements of `statement`'s kind.
fn cacheable_kind(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update { .. }
            | Statement::Delete(_)
    )
}

/// The generic text parsed, when it is one statement of a kind the cache handles.
fn generic_statement(text: &str) -> Option<Statement> {
    let mut statements = crate::session::parse(text).ok()?;
    if statements.len() != 1 {
        return None;
    }
    let statement = statements.pop()?;
    cacheable_kind(&statement).then_some(statement)
}

/// The plan of `statement` (optimized), its output columns and its tag: from the binding's
/// generic plan when the session bound this statement, otherwise planned as usual.
pub fn plan(
    catalog: &Catalog<'_>,
    root: &RootValue,
    ns: &NodeStore,
    statement: &Statement,
) -> Result<Planned> {
    let binding = BINDING
        .with(|b| b.borrow().clone())
        .filter(|b| b.target == std::ptr::from_ref(statement) as usize);
    let Some(binding) = binding else {
        return plain(catalog, statement);
    };
    if binding.verify {
        let planned = plain(catalog, statement)?;
        let kept = match generic_plan(catalog, root, &binding.generic, &binding.slots) {
            Ok(Some((template, bound)))
                if bound == planned.plan
                    && template.columns == planned.columns
                    && template.tag == planned.tag =>
            {
                *lock(&binding.generic) = Some(template);
                Outcome::Kept
            }
            _ => Outcome::Refused,
        };
        binding.outcome.set(kept);
        return Ok(planned);
    }
    let settings = snapshot_settings();
    let mut template = lock(&binding.generic);
    let fits = template
        .as_mut()
        .is_some_and(|t| t.fits(root, ns, &settings));
    if let Some(t) = template.as_ref().filter(|_| fits) {
        let plan = bind(t.plan.clone(), &binding.slots)?
            .ok_or_else(|| Error::invalid("XX000", "a cached plan lost a parameter"))?;
        return Ok(Planned {
            plan: optimize(plan),
            columns: t.columns.clone(),
            tag: t.tag,
        });
    }
    // Planned against objects that changed: plan the generic statement again.
    match generic_plan(catalog, root, &binding.generic, &binding.slots)? {
        Some((fresh, plan)) => {
            let planned = Planned {
                plan,
                columns: fresh.columns.clone(),
                tag: fresh.tag,
            };
            *template = Some(fresh);
            Ok(planned)
        }
        None => {
            *template = None;
            drop(template);
            match &binding.fallback {
                Fallback::Text(text) => match crate::session::parse(text)?.as_slice() {
                    [literal] => plain(catalog, literal),
                    _ => Err(Error::invalid(
                        "XX000",
                        "a cached statement no longer parses",
                    )),
                },
                Fallback::Params(params) => {
                    let mut bound = (*binding.generic.statement).clone();
                    crate::params::substitute(&mut bound, params)?;
                    plain(catalog, &bound)
                }
                Fallback::None => plain(catalog, statement),
            }
        }
    }
}

fn lock(generic: &Generic) -> std::sync::MutexGuard<'_, Option<Template>> {
    generic
        .template
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn snapshot_settings() -> Settings {
    crate::planner::context::snapshot()
        .map(|s| s.settings.clone())
        .unwrap_or_default()
}

fn plain(catalog: &Catalog<'_>, statement: &Statement) -> Result<Planned> {
    let Planned { plan, columns, tag } = plan_statement(catalog, statement)?;
    Ok(Planned {
        plan: optimize(plan),
        columns,
        tag,
    })
}

/// The generic statement planned (a template) and bound to `slots` (optimized), or `None`
/// when it is not one the cache can hold. An error is a bad literal in `slots`.
fn generic_plan(
    catalog: &Catalog<'_>,
    root: &RootValue,
    generic: &Generic,
    slots: &[Slot],
) -> Result<Option<(Template, Plan)>> {
    let Some(tables) = tables_of(catalog, root, &generic.statement) else {
        return Ok(None);
    };
    let types = generic.types.clone();
    // Planning the generic statement reports nothing: the statement's own planning did.
    let raised = crate::notice::pending_len();
    let planned = crate::planner::context::with_param_types(types, || {
        plan_statement(catalog, &generic.statement)
    });
    crate::notice::truncate_pending(raised);
    let Ok(Planned { plan, columns, tag }) = planned else {
        return Ok(None);
    };
    let Some(bound) = bind(plan.clone(), slots)? else {
        return Ok(None);
    };
    let template = Template {
        plan,
        columns,
        tag,
        settings: snapshot_settings(),
        definitions: root.clone(),
        tables,
    };
    Ok(Some((template, optimize(bound))))
}

/// The tables `statement` names, with their schemas, when every relation it names is a table
/// and it has no WITH and nothing but tables and subqueries in FROM.
fn tables_of(
    catalog: &Catalog<'_>,
    root: &RootValue,
    statement: &Statement,
) -> Option<Vec<TableDep>> {
    struct Relations(Vec<ObjectName>);
    impl ast::Visitor for Relations {
        type Break = ();
        fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
            if query.with.is_some() {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, factor: &ast::TableFactor) -> ControlFlow<()> {
            match factor {
                ast::TableFactor::Table {
                    args: None,
                    version: None,
                    with_ordinality: false,
                    partitions,
                    with_hints,
                    ..
                } if partitions.is_empty() && with_hints.is_empty() => ControlFlow::Continue(()),
                ast::TableFactor::Derived { .. } | ast::TableFactor::NestedJoin { .. } => {
                    ControlFlow::Continue(())
                }
                _ => ControlFlow::Break(()),
            }
        }
        fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
            self.0.push(name.clone());
            ControlFlow::Continue(())
        }
    }
    let mut relations = Relations(Vec::new());
    if ast::Visit::visit(statement, &mut relations).is_break() {
        return None;
    }
    let mut tables: Vec<TableDep> = Vec::new();
    for name in relations.0 {
        if name.0.len() > 2 {
            return None;
        }
        let TableRef::User(key) = resolve_table(&name).ok()? else {
            return None;
        };
        if catalog.get_view(&key).is_some() || catalog.get_sequence(&key).is_some() {
            return None;
        }
        if tables.iter().any(|t| t.key == key) {
            continue;
        }
        let table = catalog.get_table(&key).ok()??;
        tables.push(TableDep {
            addr: root.table_addr(&key),
            schema: table.schema().clone(),
            key,
        });
    }
    Some(tables)
}

/// `plan` with each `Expr::Param(i)` replaced by `slots[i]`'s value, or `None` when the plan
/// has a node or expression the cache does not hold. A quoted string cast to a type it is not
/// valid input for is the error PostgreSQL gives for the literal.
fn bind(mut plan: Plan, slots: &[Slot]) -> Result<Option<Plan>> {
    let mut bind_one = |expr: &mut Expr| bind_expr(expr, slots);
    Ok(visit_plan(&mut plan, &mut bind_one)?.then_some(plan))
}

type ExprVisit<'a> = dyn FnMut(&mut Expr) -> Result<bool> + 'a;

/// Calls `f` on every expression of the plan's nodes, false as soon as a node is not one the
/// cache holds or `f` says false.
fn visit_plan(plan: &mut Plan, f: &mut ExprVisit<'_>) -> Result<bool> {
    fn all<'e>(
        exprs: impl IntoIterator<Item = &'e mut Expr>,
        f: &mut ExprVisit<'_>,
    ) -> Result<bool> {
        for expr in exprs {
            if !f(expr)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
    let (here, children): (bool, Vec<&mut Plan>) = match plan {
        Plan::Values { rows } => (all(rows.iter_mut().flatten(), f)?, Vec::new()),
        Plan::Scan { .. } => (true, Vec::new()),
        Plan::Filter { source, predicate } => (f(predicate)?, vec![&mut **source]),
        Plan::Project { source, exprs } | Plan::Returning { source, exprs } => {
            (all(exprs.iter_mut(), f)?, vec![&mut **source])
        }
        Plan::CheckOption { source, checks } => (
            all(checks.iter_mut().map(|(_, e)| e), f)?,
            vec![&mut **source],
        ),
        Plan::NestedLoopJoin {
            left,
            right,
            predicate,
            ..
        } => (
            all(predicate.iter_mut(), f)?,
            vec![&mut **left, &mut **right],
        ),
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            ..
        } => (
            all(
                left_keys
                    .iter_mut()
                    .chain(right_keys.iter_mut())
                    .chain(residual.iter_mut()),
                f,
            )?,
            vec![&mut **left, &mut **right],
        ),
        Plan::Aggregate {
            source,
            group_by,
            aggregates,
            ..
        } => {
            let mut exprs: Vec<&mut Expr> = group_by.iter_mut().collect();
            for call in aggregates.iter_mut() {
                exprs.extend(call.arg.iter_mut());
                exprs.extend(call.filter.iter_mut());
                exprs.extend(call.order_by.iter_mut().map(|k| &mut k.expr));
                exprs.extend(call.direct_args.iter_mut());
            }
            (all(exprs, f)?, vec![&mut **source])
        }
        // Counts read per outer row are evaluated by the plan; the cache does not hold them.
        Plan::Limit {
            counts: Some(_), ..
        } => (false, Vec::new()),
        Plan::Sort { source, keys }
        | Plan::Limit {
            source, ties: keys, ..
        } => (
            all(keys.iter_mut().map(|k| &mut k.expr), f)?,
            vec![&mut **source],
        ),
        Plan::Distinct { source } => (true, vec![&mut **source]),
        Plan::DistinctOn { source, keys } => (all(keys.iter_mut(), f)?, vec![&mut **source]),
        Plan::Insert {
            source,
            on_conflict: None,
            ..
        }
        | Plan::Delete { source, .. } => (true, vec![&mut **source]),
        Plan::Update {
            source,
            assignments,
            ..
        } => (
            all(assignments.iter_mut().map(|(_, e)| e), f)?,
            vec![&mut **source],
        ),
        _ => (false, Vec::new()),
    };
    if !here {
        return Ok(false);
    }
    for child in children {
        if !visit_plan(child, f)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Binds the parameters of one expression (see [`bind`]).
fn bind_expr(expr: &mut Expr, slots: &[Slot]) -> Result<bool> {
    match expr {
        Expr::Subquery(_)
        | Expr::Catalog(..)
        | Expr::UserFunction(..)
        | Expr::Outer { .. }
        | Expr::SetReturning(..) => return Ok(false),
        Expr::Param(i) => {
            let Some(slot) = slots.get(*i) else {
                return Ok(false);
            };
            *expr = Expr::Literal(slot.value.clone());
            return Ok(true);
        }
        Expr::Cast(inner, _) => {
            if let Expr::Param(i) = **inner {
                let Some(slot) = slots.get(i) else {
                    return Ok(false);
                };
                **inner = Expr::Literal(slot.value.clone());
                // An unknown literal converts when it is planned, as PostgreSQL's parser does.
                if slot.unknown() {
                    if let Err(e @ Error::InvalidText { .. }) = expr.eval(&[]) {
                        return Err(e);
                    }
                }
                return Ok(true);
            }
        }
        _ => {}
    }
    for child in expr.children_mut() {
        if !bind_expr(child, slots)? {
            return Ok(false);
        }
    }
    // A parameter the walk above cannot reach would be left unbound.
    let mut unbound = false;
    expr.walk(&mut |e| unbound |= matches!(e, Expr::Param(_)));
    Ok(!unbound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sql: &str) -> (String, Vec<Value>) {
        let n = normalize(sql).expect("normalizes");
        (
            n.key.clone(),
            n.slots.into_iter().map(|s| s.value).collect(),
        )
    }

    #[test]
    fn literals_that_differ_share_a_key() {
        let (a, va) = key("SELECT * FROM t WHERE id = 17 AND name = 'x'");
        let (b, vb) = key("SELECT * FROM t WHERE id = 42 AND name = 'it''s'");
        assert_eq!(a, b);
        assert_eq!(a, "SELECT * FROM t WHERE id = $1 AND name = $2\u{1}is");
        assert_eq!(va, vec![Value::Int4(17), Value::Text("x".into())]);
        assert_eq!(vb, vec![Value::Int4(42), Value::Text("it's".into())]);
    }

    #[test]
    fn literal_kinds_are_part_of_the_key() {
        let (small, _) = key("SELECT * FROM t WHERE id = 1");
        let (big, _) = key("SELECT * FROM t WHERE id = 10000000000");
        let (decimal, _) = key("SELECT * FROM t WHERE id = 1.5");
        assert_ne!(small, big);
        assert_ne!(small, decimal);
        assert!(big.ends_with("\u{1}l") && decimal.ends_with("\u{1}n"));
    }

    #[test]
    fn syntax_numbers_and_typed_strings_stay_in_the_text() {
        for sql in [
            "SELECT a FROM t ORDER BY 1, 2 LIMIT 10 OFFSET 5",
            "SELECT a FROM t GROUP BY 1",
            "SELECT CAST(a AS numeric(10, 2)) FROM t",
            "SELECT a::varchar(3) FROM t",
            "SELECT date '2020-01-01', interval '1 day', E'a\\nb', U&'d\\0061t'",
            "SELECT a FROM t FETCH FIRST 3 ROWS ONLY",
        ] {
            let n = normalize(sql).expect("normalizes");
            assert!(n.slots.is_empty(), "{sql}: {:?}", n.slots);
            assert_eq!(n.generic_text(), sql);
        }
        let n = normalize("SELECT a + 1 FROM t ORDER BY a + 2, 3").expect("normalizes");
        assert_eq!(n.generic_text(), "SELECT a + $1 FROM t ORDER BY a + $2, 3");
    }

    #[test]
    fn quotes_comments_and_dollar_strings_are_skipped() {
        let n = normalize("SELECT \"x 1\", $$ 2 $$ /* 3 /* 4 */ */ -- 5\n FROM t WHERE a = 6")
            .expect("normalizes");
        assert_eq!(
            n.generic_text(),
            "SELECT \"x 1\", $$ 2 $$ /* 3 /* 4 */ */ -- 5\n FROM t WHERE a = $1"
        );
    }

    #[test]
    fn texts_the_cache_does_not_take() {
        for sql in [
            "SELECT * FROM t WHERE id = $1",
            "SELECT 'a'\n'b'",
            "SELECT 'open",
            "SELECT 1abc",
            "SELECT /* open",
        ] {
            assert_eq!(normalize(sql), None, "{sql}");
        }
    }
}
