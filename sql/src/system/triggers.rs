//! Triggers in the catalog: `pg_trigger`, `information_schema.triggers` and
//! `pg_get_triggerdef`, computed from the triggers each table's schema holds.
//!
//! A trigger's OID is derived from its table's key and its name (the first 4 bytes of
//! `blake3("vdb-trigger-oid-v1" | table | 0x00 | name)`, folded into the user range as other
//! OIDs are), so it stays the same across statements and restarts.

use std::collections::BTreeMap;

use vdb_engine::table::{TriggerDef, TriggerEvent};
use vdb_engine::value::Value;

use super::objects::{attnum, quote_ident, Objects, Relation};
use super::Snapshot;

/// `tgtype` bits, as PostgreSQL's `pg_trigger.h` defines them.
const TRIGGER_TYPE_ROW: i16 = 1;
const TRIGGER_TYPE_BEFORE: i16 = 1 << 1;
const TRIGGER_TYPE_INSERT: i16 = 1 << 2;
const TRIGGER_TYPE_DELETE: i16 = 1 << 3;
const TRIGGER_TYPE_UPDATE: i16 = 1 << 4;
const TRIGGER_TYPE_TRUNCATE: i16 = 1 << 5;

type Row = BTreeMap<&'static str, Value>;

/// The OID of trigger `name` on the table with key `table`.
pub fn trigger_oid(table: &str, name: &str) -> u32 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"vdb-trigger-oid-v1");
    hasher.update(table.as_bytes());
    hasher.update(&[0]);
    hasher.update(name.as_bytes());
    super::objects::derived_oid(&hasher.finalize())
}

/// The key of a relation (`t`, or `s.t` outside `public`).
fn relation_key(relation: &Relation) -> String {
    vdb_engine::table::qualified(&relation.nspname, &relation.name)
}

/// Every user table's triggers, with their OIDs.
fn all(objects: &Objects) -> impl Iterator<Item = (u32, &Relation, &TriggerDef)> {
    objects.relations.iter().flat_map(|relation| {
        let key = relation_key(relation);
        relation
            .schema
            .triggers
            .iter()
            .map(move |t| (trigger_oid(&key, &t.name), relation, t))
    })
}

/// The trigger with OID `oid`, and its table.
pub fn by_oid(objects: &Objects, oid: u32) -> Option<(&Relation, &TriggerDef)> {
    all(objects)
        .find(|(o, _, _)| *o == oid)
        .map(|(_, relation, trigger)| (relation, trigger))
}

/// The events in the order PostgreSQL names them: INSERT, DELETE, UPDATE, TRUNCATE.
fn ordered_events(trigger: &TriggerDef) -> Vec<&TriggerEvent> {
    let rank = |e: &TriggerEvent| match e {
        TriggerEvent::Insert => 0,
        TriggerEvent::Delete => 1,
        TriggerEvent::Update(_) => 2,
        TriggerEvent::Truncate => 3,
    };
    let mut events: Vec<&TriggerEvent> = trigger.events.iter().collect();
    events.sort_by_key(|e| rank(e));
    events
}

fn event_name(event: &TriggerEvent) -> &'static str {
    match event {
        TriggerEvent::Insert => "INSERT",
        TriggerEvent::Delete => "DELETE",
        TriggerEvent::Update(_) => "UPDATE",
        TriggerEvent::Truncate => "TRUNCATE",
    }
}

/// `pg_get_triggerdef`: the CREATE TRIGGER statement (the table schema-qualified, and the
/// WHEN condition in double parentheses, unless `pretty`).
pub fn definition(relation: &Relation, trigger: &TriggerDef, pretty: bool) -> String {
    let events: Vec<String> = ordered_events(trigger)
        .into_iter()
        .map(|event| match event {
            TriggerEvent::Update(columns) if !columns.is_empty() => {
                let columns: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
                format!("UPDATE OF {}", columns.join(", "))
            }
            other => event_name(other).to_string(),
        })
        .collect();
    let table = match pretty && relation.nspname == "public" {
        true => quote_ident(&relation.name),
        false => format!(
            "{}.{}",
            quote_ident(&relation.nspname),
            quote_ident(&relation.name)
        ),
    };
    let mut out = format!(
        "CREATE TRIGGER {} {} {} ON {table} FOR EACH {}",
        quote_ident(&trigger.name),
        if trigger.before { "BEFORE" } else { "AFTER" },
        events.join(" OR "),
        if trigger.for_each_row {
            "ROW"
        } else {
            "STATEMENT"
        },
    );
    if let Some(when) = &trigger.when {
        match pretty {
            true => out.push_str(&format!(" WHEN ({when})")),
            false => out.push_str(&format!(" WHEN (({when}))")),
        }
    }
    let (schema, function) = vdb_engine::table::split_qualified(&trigger.function);
    let function = match schema {
        "public" => quote_ident(function),
        _ => format!("{}.{}", quote_ident(schema), quote_ident(function)),
    };
    let args: Vec<String> = trigger
        .args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "''")))
        .collect();
    out.push_str(&format!(
        " EXECUTE FUNCTION {function}({})",
        args.join(", ")
    ));
    out
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn oid(o: u32) -> Value {
    Value::Int4(i32::try_from(o).unwrap_or(i32::MAX))
}

/// The pg_trigger rows.
pub fn pg_trigger(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    all(objects)
        .map(|(trigger_oid, relation, trigger)| {
            let mut tgtype = 0;
            if trigger.for_each_row {
                tgtype |= TRIGGER_TYPE_ROW;
            }
            if trigger.before {
                tgtype |= TRIGGER_TYPE_BEFORE;
            }
            let mut update_columns = Vec::new();
            for event in &trigger.events {
                tgtype |= match event {
                    TriggerEvent::Insert => TRIGGER_TYPE_INSERT,
                    TriggerEvent::Delete => TRIGGER_TYPE_DELETE,
                    TriggerEvent::Update(columns) => {
                        update_columns.extend(columns.iter().filter_map(|name| {
                            let at = relation
                                .schema
                                .columns
                                .iter()
                                .position(|c| &c.name == name)?;
                            Some(Value::Int2(attnum(at)))
                        }));
                        TRIGGER_TYPE_UPDATE
                    }
                    TriggerEvent::Truncate => TRIGGER_TYPE_TRUNCATE,
                };
            }
            let function_oid = snapshot
                .root
                .get_functions(&trigger.function)
                .and_then(|o| o.get(&[]))
                .map_or(0, |f| super::functions::function_oid(&trigger.function, f));
            let mut args = Vec::new();
            for arg in &trigger.args {
                args.extend_from_slice(arg.as_bytes());
                args.push(0);
            }
            [
                ("oid", oid(trigger_oid)),
                ("tgrelid", oid(relation.oid)),
                ("tgparentid", oid(0)),
                ("tgname", text(&trigger.name)),
                ("tgfoid", oid(function_oid)),
                ("tgtype", Value::Int2(tgtype)),
                ("tgenabled", text("O")),
                ("tgisinternal", Value::Bool(false)),
                ("tgconstrrelid", oid(0)),
                ("tgconstrindid", oid(0)),
                ("tgconstraint", oid(0)),
                ("tgdeferrable", Value::Bool(false)),
                ("tginitdeferred", Value::Bool(false)),
                (
                    "tgnargs",
                    Value::Int2(i16::try_from(trigger.args.len()).unwrap_or(i16::MAX)),
                ),
                ("tgattr", super::tables::vector(update_columns)),
                ("tgargs", Value::Bytea(args)),
                (
                    "tgqual",
                    trigger
                        .when
                        .as_ref()
                        .map_or(Value::Null, |w| text(w.clone())),
                ),
            ]
            .into_iter()
            .collect()
        })
        .collect()
}

/// The information_schema.triggers rows: one per trigger and event.
pub fn information_schema_triggers(snapshot: &Snapshot, objects: &Objects) -> Vec<Row> {
    let catalog = snapshot.database();
    let mut rows = Vec::new();
    for (_, relation, trigger) in all(objects) {
        // action_order numbers the triggers of one table, event and timing by name.
        for event in ordered_events(trigger) {
            let order = relation
                .schema
                .triggers
                .iter()
                .filter(|t| {
                    t.before == trigger.before
                        && t.for_each_row == trigger.for_each_row
                        && t.events.iter().any(|e| event_name(e) == event_name(event))
                        && t.name <= trigger.name
                })
                .count();
            let (_, function) = vdb_engine::table::split_qualified(&trigger.function);
            rows.push(
                [
                    ("trigger_catalog", text(&catalog)),
                    ("trigger_schema", text(&relation.nspname)),
                    ("trigger_name", text(&trigger.name)),
                    ("event_manipulation", text(event_name(event))),
                    ("event_object_catalog", text(&catalog)),
                    ("event_object_schema", text(&relation.nspname)),
                    ("event_object_table", text(&relation.name)),
                    (
                        "action_order",
                        Value::Int4(i32::try_from(order).unwrap_or(i32::MAX)),
                    ),
                    (
                        "action_condition",
                        trigger
                            .when
                            .as_ref()
                            .map_or(Value::Null, |w| text(format!("({w})"))),
                    ),
                    (
                        "action_statement",
                        text(format!("EXECUTE FUNCTION {}()", quote_ident(function))),
                    ),
                    (
                        "action_orientation",
                        text(if trigger.for_each_row {
                            "ROW"
                        } else {
                            "STATEMENT"
                        }),
                    ),
                    (
                        "action_timing",
                        text(if trigger.before { "BEFORE" } else { "AFTER" }),
                    ),
                ]
                .into_iter()
                .collect(),
            );
        }
    }
    rows
}
