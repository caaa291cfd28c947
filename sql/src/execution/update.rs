//! UPDATE: computes each new row from the old one (resolving sequence calls), checks NOT NULL,
//! CHECK and UNIQUE (`constraints.rs`), and checks that rows whose
//! primary key changes do not collide with a row that stays or with each other. Moved rows are
//! deleted before they are re-inserted, so `SET id = id + 1` works in any order.

use std::collections::HashSet;

use bytes::Bytes;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange};

use crate::error::{Error, Result};
use crate::execution::constraints::{check_written, generate};
use crate::execution::foreign_key::enforce_parent;
use crate::execution::insert::{apply, check_not_null, load, store, unique_violation};
use crate::execution::scan::take_key;
use crate::execution::sequence;
use crate::execution::trigger::{Op, Triggers};
use crate::execution::Rows;
use crate::expr::{Expr, Row};
use crate::planner::bind_generated;

/// Updates the rows of `source` (each ending with its key); returns each new row followed by
/// the rest of its source row (an UPDATE ... FROM row's FROM columns), for RETURNING.
pub fn update(
    name: &str,
    source: Rows,
    assignments: &[(usize, Expr)],
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<Row>> {
    let mut table = load(name, root, ns)?;
    let triggers = match table.schema().triggers.is_empty() {
        true => None,
        false => {
            let assigned: Vec<usize> = assignments.iter().map(|(i, _)| *i).collect();
            Some(Triggers::new(name, table.schema(), Op::Update, &assigned))
                .filter(|triggers| !triggers.is_empty())
        }
    };
    if let Some(triggers) = &triggers {
        triggers.before_statement(&mut table, root, ns)?;
    }
    let schema = table.schema();
    let width = schema.columns.len();
    let keyed = !schema.is_keyless();
    let generated = bind_generated(schema)?;
    let mut updates = Vec::new();
    let mut removed = Vec::new();
    let mut seen: HashSet<Bytes> = HashSet::new();
    // What RETURNING reads: each new row, then the FROM row it was joined to.
    let mut returned = Vec::new();
    for row in source {
        let mut row = row?;
        let key = take_key(&mut row)?;
        // UPDATE ... FROM: a row joined to several FROM rows is updated once (by the first).
        if !seen.insert(key.clone()) {
            continue;
        }
        let mut new_row = row[..width].to_vec();
        for (i, expr) in assignments {
            new_row[*i] = sequence::eval(expr, &row, root)?;
        }
        if let Some(triggers) = &triggers {
            match triggers.before_row(Some(&row[..width]), Some(new_row), root)? {
                Some(changed) => new_row = changed,
                None => continue,
            }
        }
        generate(&generated, &mut new_row)?;
        check_not_null(name, schema, &new_row)?;
        removed.push((row[..width].to_vec(), Some(new_row.clone())));
        let mut returns = new_row.clone();
        returns.extend_from_slice(&row[width..]);
        returned.push(returns);
        updates.push((key, new_row));
    }
    let written: Vec<Row> = updates.iter().map(|(_, row)| row.clone()).collect();
    // Keys are checked row by row in scan order, as PostgreSQL checks its unique index: a row
    // may move to a key vacated by an earlier row, not to one a later row still holds.
    let mut added: HashSet<Bytes> = HashSet::new();
    let mut vacated: HashSet<Bytes> = HashSet::new();
    let (mut deletes, mut inserts, mut changes) = (Vec::new(), Vec::new(), Vec::new());
    for (key, row) in updates {
        if !keyed {
            changes.push(RowChange::Update { key, row });
            continue;
        }
        let new_key = table
            .key_of(&row)
            .map_err(|e| Error::engine("encoding key", e))?;
        if new_key == key {
            changes.push(RowChange::Update { key, row });
            continue;
        }
        let stored = table
            .get(&new_key)
            .map_err(|e| Error::engine("reading row", e))?
            .is_some();
        if added.contains(&new_key) || (stored && !vacated.contains(&new_key)) {
            return Err(unique_violation(name, schema, &row));
        }
        vacated.insert(key.clone());
        added.insert(new_key);
        deletes.push(RowChange::Delete(key));
        inserts.push(RowChange::Insert(row));
    }
    deletes.extend(inserts);
    deletes.extend(changes);
    crate::execution::constraints::check_unique_moves(name, &table, &removed)?;
    let table = apply(name, &table, deletes)?;
    check_written(name, &table, &written, root, ns)?;
    store(name, &table, root)?;
    enforce_parent(name, &removed, root, ns, 0)?;
    if let Some(triggers) = &triggers {
        let rows: Vec<(Option<Row>, Option<Row>)> = removed
            .into_iter()
            .map(|(old, new)| (Some(old), new))
            .collect();
        triggers.after_rows(&rows, root)?;
        triggers.after_statement(root)?;
    }
    Ok(returned)
}
