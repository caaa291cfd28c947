//! Function DDL against the root: CREATE [OR REPLACE] FUNCTION adds or replaces one overload
//! of a name, DROP FUNCTION removes one (the only one when no argument types are given; not a
//! trigger function a trigger still runs).

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;
use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::types::type_name;

/// CREATE [OR REPLACE] FUNCTION `name`: 42723 if an overload with the same argument types
/// exists (without OR REPLACE); 42P13 if OR REPLACE would change its result type.
pub fn create_function(
    name: &str,
    function: vdb_engine::table::Function,
    or_replace: bool,
    root: &mut RootValue,
) -> Result<()> {
    let mut overloads = root.get_functions(name).cloned().unwrap_or_default();
    let short = vdb_engine::table::split_qualified(name).1;
    if let Some(old) = overloads.get(&function.arg_types()) {
        if !or_replace {
            return Err(Error::invalid(
                "42723",
                format!("function \"{short}\" already exists with same argument types"),
            ));
        }
        if old.returns != function.returns {
            return Err(Error::invalid(
                "42P13",
                "cannot change return type of existing function",
            ));
        }
    }
    overloads.put(function);
    root.put_functions(name, overloads);
    Ok(())
}

/// DROP FUNCTION: each `(name, argument types)`; without types, the name's only overload
/// (42725 when it has several).
pub fn drop_functions(
    functions: &[(String, Option<Vec<Type>>)],
    if_exists: bool,
    procedures: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let kind = if procedures { "procedure" } else { "function" };
    for (name, types) in functions {
        let short = vdb_engine::table::split_qualified(name).1;
        let mut overloads = root.get_functions(name).cloned().unwrap_or_default();
        let types = match types {
            Some(types) => types.clone(),
            None => match overloads.functions.as_slice() {
                [only] => only.arg_types(),
                [] => Vec::new(),
                _ => {
                    return Err(Error::invalid(
                        "42725",
                        format!("function name \"{short}\" is not unique"),
                    ))
                }
            },
        };
        let list: Vec<String> = types.iter().map(type_name).collect();
        if let Some(found) = overloads.get(&types) {
            let is_procedure = found.returns == vdb_engine::table::FunctionReturns::Procedure;
            if is_procedure != procedures {
                return Err(Error::invalid(
                    "42809",
                    format!("{short}({}) is not a {kind}", list.join(", ")),
                ));
            }
            if found.returns == vdb_engine::table::FunctionReturns::Trigger {
                refuse_if_triggers_use(name, &format!("{short}()"), root, ns)?;
            }
        }
        if overloads.remove(&types).is_none() {
            let what = format!("{kind} {short}({})", list.join(", "));
            if if_exists {
                crate::notice::skipping_missing(what);
                continue;
            }
            return Err(Error::undefined_function(format!("{what} does not exist")));
        }
        root.put_functions(name, overloads);
    }
    Ok(())
}

/// 2BP01 when a trigger runs trigger function `key` (shown as `shown`), as PostgreSQL refuses
/// to drop what a trigger depends on.
fn refuse_if_triggers_use(key: &str, shown: &str, root: &RootValue, ns: &NodeStore) -> Result<()> {
    for table in root.table_names() {
        let loaded = root
            .must_get_table(ns, table)
            .map_err(|e| Error::engine(format!("loading table \"{table}\""), e))?;
        if let Some(trigger) = loaded.schema().triggers.iter().find(|t| t.function == key) {
            return Err(Error::invalid(
                "2BP01",
                format!(
                    "cannot drop function {shown} because trigger {} on table {} depends on it",
                    trigger.name,
                    vdb_engine::table::split_qualified(table).1
                ),
            ));
        }
    }
    Ok(())
}
