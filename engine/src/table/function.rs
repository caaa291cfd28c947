//! A user-defined function: SQL text with a signature, stored in the root value beside tables,
//! views and enum types, so that it is committed, branched, merged and checked out with them.
//!
//! Functions overload by argument types, so the root keys a *set* of [`Function`]s by the
//! function's (schema-qualified) name; [`Overloads`] keeps them ordered by argument types. The
//! engine keeps only the text and the declared types; the SQL layer parses and plans the body
//! each time the function is called.

use serde::{Deserialize, Serialize};

use crate::value::Type;

/// One argument of a function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionArg {
    /// The argument's name; empty when it has none (it is then reached only as `$n`).
    pub name: String,
    pub ty: Type,
    /// The SQL text of the DEFAULT expression, if the argument has one.
    pub default: Option<String>,
}

/// What a function returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FunctionReturns {
    /// One value of the type (`RETURNS int`).
    Scalar(Type),
    /// Nothing (`RETURNS void`).
    Void,
    /// Any number of values of the type (`RETURNS SETOF int`).
    SetOf(Type),
    /// Any number of rows with these columns (`RETURNS TABLE (a int, b text)`).
    Table(Vec<(String, Type)>),
    /// A row of the table a trigger fires on, or none (`RETURNS trigger`). Added after the
    /// kinds above, so that their encoding stays as it was.
    Trigger,
    /// Rows of table `table`'s type (`RETURNS SETOF t`), with its columns as they were when
    /// the function was created.
    SetOfRow {
        table: String,
        columns: Vec<(String, Type)>,
    },
    /// Nothing, called with CALL (`CREATE PROCEDURE`).
    Procedure,
}

impl FunctionReturns {
    /// The result columns of a function returning rows (`TABLE (..)` or `SETOF` a table).
    pub fn columns(&self) -> Option<&[(String, Type)]> {
        match self {
            FunctionReturns::Table(columns) | FunctionReturns::SetOfRow { columns, .. } => {
                Some(columns)
            }
            _ => None,
        }
    }

    /// Whether the function returns a set (of values or of rows).
    pub fn is_set(&self) -> bool {
        matches!(
            self,
            FunctionReturns::SetOf(_)
                | FunctionReturns::Table(_)
                | FunctionReturns::SetOfRow { .. }
        )
    }
}

/// How a function's result may change for the same arguments (`provolatile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

/// A function's definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub args: Vec<FunctionArg>,
    pub returns: FunctionReturns,
    /// The body, as SQL text (one or more statements; the last one's rows are the result), or
    /// PL/pgSQL code after [`PLPGSQL_MARKER`].
    pub body: String,
    pub volatility: Volatility,
    /// STRICT (RETURNS NULL ON NULL INPUT): a NULL argument gives NULL without running.
    pub strict: bool,
}

/// The start of the body of a function written in PL/pgSQL (the code follows it); a body
/// without it is SQL. The marker cannot begin SQL text, so bodies stored before PL/pgSQL
/// functions existed read as they did.
pub const PLPGSQL_MARKER: &str = "\u{1}plpgsql\n";

impl Function {
    /// Whether the body is PL/pgSQL code.
    pub fn is_plpgsql(&self) -> bool {
        self.body.starts_with(PLPGSQL_MARKER)
    }

    /// The body as written: the SQL text, or the PL/pgSQL code without its marker.
    pub fn source(&self) -> &str {
        self.body.strip_prefix(PLPGSQL_MARKER).unwrap_or(&self.body)
    }

    /// The argument types, which tell overloads apart.
    pub fn arg_types(&self) -> Vec<Type> {
        self.args.iter().map(|a| a.ty.clone()).collect()
    }
}

/// The functions of one name, one per distinct list of argument types, in creation order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overloads {
    pub functions: Vec<Function>,
}

impl Overloads {
    /// The function taking exactly `types`, if there is one.
    pub fn get(&self, types: &[Type]) -> Option<&Function> {
        self.functions.iter().find(|f| f.arg_types() == types)
    }

    /// Adds `function`, replacing the one with the same argument types; returns the replaced one.
    pub fn put(&mut self, function: Function) -> Option<Function> {
        let types = function.arg_types();
        match self.functions.iter_mut().find(|f| f.arg_types() == types) {
            Some(slot) => Some(std::mem::replace(slot, function)),
            None => {
                self.functions.push(function);
                None
            }
        }
    }

    /// Removes the function taking exactly `types`; returns it if it existed.
    pub fn remove(&mut self, types: &[Type]) -> Option<Function> {
        let at = self.functions.iter().position(|f| f.arg_types() == types)?;
        Some(self.functions.remove(at))
    }

    /// Whether no function is left.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
}
