//! The root value: a database state, mapping table names to table chunks. Its address is what
//! working sets and commits record.

use super::table::Table;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::prolly::NodeStore;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const ROOT_TAG: u8 = b'R';
const ROOT_VERSION: u8 = 1;

/// A database state: table name → table chunk address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootValue {
    tables: BTreeMap<String, Hash>,
}

impl RootValue {
    /// The empty database.
    pub fn empty() -> RootValue {
        RootValue::default()
    }

    // Root value chunk layout, version 1: u8 'R' (0x52) | u8 version 1 | postcard(RootValue):
    // the table map as a length-prefixed sequence of (name, 20-byte address), names ascending.
    /// Loads the root value chunk at `addr`.
    pub fn load(ns: &NodeStore, addr: Hash) -> Result<RootValue> {
        let bytes = ns.store().must_get(&addr)?;
        if bytes.len() < 2 || bytes[0] != ROOT_TAG || bytes[1] != ROOT_VERSION {
            return Err(Error::corrupted(
                addr,
                "not a root value chunk of a known version",
            ));
        }
        postcard::from_bytes(&bytes[2..])
            .map_err(|e| Error::corrupted(addr, format!("malformed root value: {e}")))
    }

    /// Writes the root value chunk; returns its address.
    pub fn save(&self, ns: &NodeStore) -> Result<Hash> {
        let mut bytes = vec![ROOT_TAG, ROOT_VERSION];
        bytes.extend(postcard::to_stdvec(self).map_err(|e| Error::InvalidInput(e.to_string()))?);
        ns.store().put(Bytes::from(bytes))
    }

    /// Table names, ascending.
    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// The address of table `name`'s chunk.
    pub fn table_addr(&self, name: &str) -> Option<Hash> {
        self.tables.get(name).copied()
    }

    /// Table `name`, if it exists.
    pub fn get_table(&self, ns: &NodeStore, name: &str) -> Result<Option<Table>> {
        self.table_addr(name)
            .map(|addr| Table::load(ns, addr))
            .transpose()
    }

    /// Table `name`, or an error naming it.
    pub fn must_get_table(&self, ns: &NodeStore, name: &str) -> Result<Table> {
        self.get_table(ns, name)?
            .ok_or_else(|| Error::NotFound(format!("relation \"{name}\" does not exist")))
    }

    /// Saves `table` and points `name` at it.
    pub fn put_table(&mut self, name: &str, table: &Table) -> Result<()> {
        let addr = table.save()?;
        self.tables.insert(name.to_string(), addr);
        Ok(())
    }

    /// Removes table `name`; returns whether it existed.
    pub fn remove_table(&mut self, name: &str) -> bool {
        self.tables.remove(name).is_some()
    }
}
