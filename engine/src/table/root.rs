//! The root value: a database state, mapping table names to table chunks and sequence names to
//! sequences, and view names to views, plus the set of user schemas. Its address is what working
//! sets and commits record.
//!
//! Objects of the `public` schema are keyed by their bare name (`t`); objects of any other schema
//! by the qualified name `s.t` ([`qualified`], [`split_qualified`]), so a root without schemas is
//! exactly what it was before schemas existed and keeps its hash.

use super::domain::Domain;
use super::enum_type::EnumType;
use super::function::Overloads;
use super::sequence::Sequence;
use super::table::Table;
use super::view::{CheckOption, View};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::prolly::NodeStore;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

const ROOT_TAG: u8 = b'R';
/// Version 1: tables only. Version 2: tables and sequences. A root without sequences is still
/// written as version 1, so databases that use no sequences keep their root hashes.
const ROOT_VERSION_TABLES: u8 = 1;
const ROOT_VERSION_SEQUENCES: u8 = 2;
/// Version 3: tables, sequences and views, written only when there are views.
const ROOT_VERSION_VIEWS: u8 = 3;
/// Version 4: the version-3 body, then the set of user schemas; written only when a schema other
/// than `public` exists.
const ROOT_VERSION_SCHEMAS: u8 = 4;
/// Version 5: the version-4 body, then the enum types; written only when an enum type exists.
const ROOT_VERSION_TYPES: u8 = 5;
/// Version 6: the version-5 body, then the functions; written only when a function exists.
const ROOT_VERSION_FUNCTIONS: u8 = 6;
/// Version 7: the version-6 body, then the domains; written only when a domain exists.
const ROOT_VERSION_DOMAINS: u8 = 7;
/// Version 8: the version-7 body, then the views' check options; written only when a view has
/// one.
const ROOT_VERSION_CHECK_OPTIONS: u8 = 8;

/// The schema every database has; its objects are keyed by their bare names.
pub const PUBLIC_SCHEMA: &str = "public";

/// The key of object `name` in `schema`: the bare name in `public`, `schema.name` elsewhere.
pub fn qualified(schema: &str, name: &str) -> String {
    if schema == PUBLIC_SCHEMA {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// The (schema, name) an object key stands for: `s.t` is `t` in `s`, a bare name is in `public`.
pub fn split_qualified(key: &str) -> (&str, &str) {
    match key.split_once('.') {
        Some((schema, name)) => (schema, name),
        None => (PUBLIC_SCHEMA, key),
    }
}

/// A database state: table name → table chunk address, and sequence name → sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootValue {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
    views: BTreeMap<String, View>,
    /// User schemas other than `public` (which always exists).
    schemas: BTreeSet<String>,
    /// Enum types, by name (qualified like tables).
    types: BTreeMap<String, EnumType>,
    /// User-defined functions, by name (qualified like tables), each name's overloads.
    functions: BTreeMap<String, Overloads>,
    /// Domains, by name (qualified like tables; types and domains share one namespace).
    domains: BTreeMap<String, Domain>,
}

/// The version-1 body: `postcard(RootV1)`.
#[derive(Serialize, Deserialize)]
struct RootV1 {
    tables: BTreeMap<String, Hash>,
}

/// The version-2 body: `postcard(RootV2)`, the table map then the sequence map.
#[derive(Serialize, Deserialize)]
struct RootV2 {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
}

/// The version-3 body: `postcard(RootV3)`, the version-2 body then the view map.
#[derive(Serialize, Deserialize)]
struct RootV3 {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
    views: BTreeMap<String, View>,
}

/// The version-4 body: `postcard(RootV4)`, the version-3 body then the schema set.
#[derive(Serialize, Deserialize)]
struct RootV4 {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
    views: BTreeMap<String, View>,
    schemas: BTreeSet<String>,
}

/// The version-5 body: `postcard(RootV5)`, the version-4 body then the enum type map.
#[derive(Serialize, Deserialize)]
struct RootV5 {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
    views: BTreeMap<String, View>,
    schemas: BTreeSet<String>,
    types: BTreeMap<String, EnumType>,
}

/// The version-6 body: `postcard(RootV6)`, the version-5 body then the function map.
#[derive(Serialize, Deserialize)]
struct RootV6 {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
    views: BTreeMap<String, View>,
    schemas: BTreeSet<String>,
    types: BTreeMap<String, EnumType>,
    functions: BTreeMap<String, Overloads>,
}

/// The version-7 body: `postcard(RootV7)`, the version-6 body then the domain map.
#[derive(Serialize, Deserialize)]
struct RootV7 {
    tables: BTreeMap<String, Hash>,
    sequences: BTreeMap<String, Sequence>,
    views: BTreeMap<String, View>,
    schemas: BTreeSet<String>,
    types: BTreeMap<String, EnumType>,
    functions: BTreeMap<String, Overloads>,
    domains: BTreeMap<String, Domain>,
}

impl RootValue {
    /// The empty database.
    pub fn empty() -> RootValue {
        RootValue::default()
    }

    // Root value chunk layout: u8 'R' (0x52) | u8 version | body.
    //   version 1 (no sequences): postcard(table map) — a length-prefixed sequence of
    //     (name, 20-byte address), names ascending.
    //   version 2: the version-1 body, then postcard(sequence map) — a length-prefixed sequence
    //     of (name, Sequence), names ascending (Sequence's fields in declaration order).
    //   version 3: the version-2 body, then postcard(view map) — a length-prefixed sequence of
    //     (name, View), names ascending: the query text, then (column name, Type) pairs.
    //   version 4: the version-3 body, then postcard(schema set) — a length-prefixed sequence of
    //     schema names, ascending (never `public`).
    //   version 5: the version-4 body, then postcard(type map) — a length-prefixed sequence of
    //     (name, EnumType), names ascending: each a length-prefixed sequence of labels in order.
    //   version 6: the version-5 body, then postcard(function map) — a length-prefixed sequence
    //     of (name, Overloads), names ascending: each a length-prefixed sequence of Function.
    //   version 7: the version-6 body, then postcard(domain map) — a length-prefixed sequence
    //     of (name, Domain), names ascending: base type, not-null flag, default, checks.
    //   version 8: the version-7 body, then postcard(view name → CheckOption) for the views
    //     that have one (0 LOCAL, 1 CASCADED), names ascending.
    /// Loads the root value chunk at `addr`.
    pub fn load(ns: &NodeStore, addr: Hash) -> Result<RootValue> {
        let bytes = ns.store().must_get(&addr)?;
        let malformed =
            |e: postcard::Error| Error::corrupted(addr, format!("malformed root value: {e}"));
        if bytes.len() < 2 || bytes[0] != ROOT_TAG {
            return Err(Error::corrupted(addr, "not a root value chunk"));
        }
        match bytes[1] {
            ROOT_VERSION_TABLES => {
                let v1: RootV1 = postcard::from_bytes(&bytes[2..]).map_err(malformed)?;
                Ok(RootValue {
                    tables: v1.tables,
                    ..RootValue::default()
                })
            }
            ROOT_VERSION_SEQUENCES => {
                let v2: RootV2 = postcard::from_bytes(&bytes[2..]).map_err(malformed)?;
                Ok(RootValue {
                    tables: v2.tables,
                    sequences: v2.sequences,
                    ..RootValue::default()
                })
            }
            ROOT_VERSION_VIEWS => {
                let v3: RootV3 = postcard::from_bytes(&bytes[2..]).map_err(malformed)?;
                Ok(RootValue {
                    tables: v3.tables,
                    sequences: v3.sequences,
                    views: v3.views,
                    ..RootValue::default()
                })
            }
            ROOT_VERSION_SCHEMAS => {
                let v4: RootV4 = postcard::from_bytes(&bytes[2..]).map_err(malformed)?;
                Ok(RootValue {
                    tables: v4.tables,
                    sequences: v4.sequences,
                    views: v4.views,
                    schemas: v4.schemas,
                    ..RootValue::default()
                })
            }
            ROOT_VERSION_TYPES => {
                let v5: RootV5 = postcard::from_bytes(&bytes[2..]).map_err(malformed)?;
                Ok(RootValue {
                    tables: v5.tables,
                    sequences: v5.sequences,
                    views: v5.views,
                    schemas: v5.schemas,
                    types: v5.types,
                    ..RootValue::default()
                })
            }
            ROOT_VERSION_FUNCTIONS => {
                let v6: RootV6 = postcard::from_bytes(&bytes[2..]).map_err(malformed)?;
                Ok(RootValue {
                    tables: v6.tables,
                    sequences: v6.sequences,
                    views: v6.views,
                    schemas: v6.schemas,
                    types: v6.types,
                    functions: v6.functions,
                    ..RootValue::default()
                })
            }
            ROOT_VERSION_DOMAINS | ROOT_VERSION_CHECK_OPTIONS => {
                let (v7, rest): (RootV7, _) =
                    postcard::take_from_bytes(&bytes[2..]).map_err(malformed)?;
                let mut views = v7.views;
                if bytes[1] == ROOT_VERSION_CHECK_OPTIONS {
                    let options: BTreeMap<String, CheckOption> =
                        postcard::from_bytes(rest).map_err(malformed)?;
                    for (name, option) in options {
                        let view = views.get_mut(&name).ok_or_else(|| {
                            Error::corrupted(addr, format!("check option of unknown view {name}"))
                        })?;
                        view.check_option = Some(option);
                    }
                } else if !rest.is_empty() {
                    return Err(Error::corrupted(
                        addr,
                        "trailing bytes after the root value",
                    ));
                }
                Ok(RootValue {
                    tables: v7.tables,
                    sequences: v7.sequences,
                    views,
                    schemas: v7.schemas,
                    types: v7.types,
                    functions: v7.functions,
                    domains: v7.domains,
                })
            }
            _ => Err(Error::corrupted(
                addr,
                "not a root value chunk of a known version",
            )),
        }
    }

    /// Writes the root value chunk (the lowest version that holds it: 1 without sequences,
    /// views and schemas, 2 without views and schemas, 3 without schemas, 4 without enum types,
    /// 5 without functions, 6 without domains); returns its address.
    pub fn save(&self, ns: &NodeStore) -> Result<Hash> {
        let encode = |e: postcard::Error| Error::InvalidInput(e.to_string());
        let tables = self.tables.clone();
        let check_options: BTreeMap<&String, CheckOption> = self
            .views
            .iter()
            .filter_map(|(name, view)| Some((name, view.check_option?)))
            .collect();
        let bytes = if !self.domains.is_empty() || !check_options.is_empty() {
            let version = if check_options.is_empty() {
                ROOT_VERSION_DOMAINS
            } else {
                ROOT_VERSION_CHECK_OPTIONS
            };
            let mut bytes = vec![ROOT_TAG, version];
            let body = RootV7 {
                tables,
                sequences: self.sequences.clone(),
                views: self.views.clone(),
                schemas: self.schemas.clone(),
                types: self.types.clone(),
                functions: self.functions.clone(),
                domains: self.domains.clone(),
            };
            bytes.extend(postcard::to_stdvec(&body).map_err(encode)?);
            if !check_options.is_empty() {
                bytes.extend(postcard::to_stdvec(&check_options).map_err(encode)?);
            }
            bytes
        } else if !self.functions.is_empty() {
            let mut bytes = vec![ROOT_TAG, ROOT_VERSION_FUNCTIONS];
            let body = RootV6 {
                tables,
                sequences: self.sequences.clone(),
                views: self.views.clone(),
                schemas: self.schemas.clone(),
                types: self.types.clone(),
                functions: self.functions.clone(),
            };
            bytes.extend(postcard::to_stdvec(&body).map_err(encode)?);
            bytes
        } else if !self.types.is_empty() {
            let mut bytes = vec![ROOT_TAG, ROOT_VERSION_TYPES];
            let body = RootV5 {
                tables,
                sequences: self.sequences.clone(),
                views: self.views.clone(),
                schemas: self.schemas.clone(),
                types: self.types.clone(),
            };
            bytes.extend(postcard::to_stdvec(&body).map_err(encode)?);
            bytes
        } else if !self.schemas.is_empty() {
            let mut bytes = vec![ROOT_TAG, ROOT_VERSION_SCHEMAS];
            let body = RootV4 {
                tables,
                sequences: self.sequences.clone(),
                views: self.views.clone(),
                schemas: self.schemas.clone(),
            };
            bytes.extend(postcard::to_stdvec(&body).map_err(encode)?);
            bytes
        } else if !self.views.is_empty() {
            let mut bytes = vec![ROOT_TAG, ROOT_VERSION_VIEWS];
            let body = RootV3 {
                tables,
                sequences: self.sequences.clone(),
                views: self.views.clone(),
            };
            bytes.extend(postcard::to_stdvec(&body).map_err(encode)?);
            bytes
        } else if self.sequences.is_empty() {
            let mut bytes = vec![ROOT_TAG, ROOT_VERSION_TABLES];
            bytes.extend(postcard::to_stdvec(&RootV1 { tables }).map_err(encode)?);
            bytes
        } else {
            let mut bytes = vec![ROOT_TAG, ROOT_VERSION_SEQUENCES];
            let body = RootV2 {
                tables,
                sequences: self.sequences.clone(),
            };
            bytes.extend(postcard::to_stdvec(&body).map_err(encode)?);
            bytes
        };
        ns.store().put(Bytes::from(bytes))
    }

    /// User schema names other than `public`, ascending.
    /// Whether `other` defines the same objects: the same schemas, views, types and functions,
    /// and tables and sequences of the same names (whatever their rows and values).
    pub fn same_definitions(&self, other: &RootValue) -> bool {
        self.schemas == other.schemas
            && self.views == other.views
            && self.types == other.types
            && self.functions == other.functions
            && self.domains == other.domains
            && self.tables.keys().eq(other.tables.keys())
            && self.sequences.keys().eq(other.sequences.keys())
    }

    pub fn schema_names(&self) -> impl Iterator<Item = &str> {
        self.schemas.iter().map(String::as_str)
    }

    /// Whether schema `name` exists (`public` always does).
    pub fn has_schema(&self, name: &str) -> bool {
        name == PUBLIC_SCHEMA || self.schemas.contains(name)
    }

    /// Adds schema `name` (a no-op for `public`).
    pub fn put_schema(&mut self, name: &str) {
        if name != PUBLIC_SCHEMA {
            self.schemas.insert(name.to_string());
        }
    }

    /// Removes schema `name` (not its objects); returns whether it existed.
    pub fn remove_schema(&mut self, name: &str) -> bool {
        self.schemas.remove(name)
    }

    /// Sequence names, ascending.
    pub fn sequence_names(&self) -> impl Iterator<Item = &str> {
        self.sequences.keys().map(String::as_str)
    }

    /// Sequence `name`, if it exists.
    pub fn get_sequence(&self, name: &str) -> Option<&Sequence> {
        self.sequences.get(name)
    }

    /// Sequence `name` for changing, if it exists.
    pub fn get_sequence_mut(&mut self, name: &str) -> Option<&mut Sequence> {
        self.sequences.get_mut(name)
    }

    /// Stores `sequence` as `name`, replacing any sequence of that name.
    pub fn put_sequence(&mut self, name: &str, sequence: Sequence) {
        self.sequences.insert(name.to_string(), sequence);
    }

    /// Removes sequence `name`; returns it if it existed.
    pub fn remove_sequence(&mut self, name: &str) -> Option<Sequence> {
        self.sequences.remove(name)
    }

    /// View names, ascending.
    pub fn view_names(&self) -> impl Iterator<Item = &str> {
        self.views.keys().map(String::as_str)
    }

    /// View `name`, if it exists.
    pub fn get_view(&self, name: &str) -> Option<&View> {
        self.views.get(name)
    }

    /// Stores `view` as `name`, replacing any view of that name.
    pub fn put_view(&mut self, name: &str, view: View) {
        self.views.insert(name.to_string(), view);
    }

    /// Removes view `name`; returns it if it existed.
    pub fn remove_view(&mut self, name: &str) -> Option<View> {
        self.views.remove(name)
    }

    /// Enum type names, ascending.
    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// Enum type `name`, if it exists.
    pub fn get_type(&self, name: &str) -> Option<&EnumType> {
        self.types.get(name)
    }

    /// Stores `ty` as `name`, replacing any type of that name.
    pub fn put_type(&mut self, name: &str, ty: EnumType) {
        self.types.insert(name.to_string(), ty);
    }

    /// Removes enum type `name`; returns it if it existed.
    pub fn remove_type(&mut self, name: &str) -> Option<EnumType> {
        self.types.remove(name)
    }

    /// Domain names, ascending.
    pub fn domain_names(&self) -> impl Iterator<Item = &str> {
        self.domains.keys().map(String::as_str)
    }

    /// Domain `name`, if it exists.
    pub fn get_domain(&self, name: &str) -> Option<&Domain> {
        self.domains.get(name)
    }

    /// Stores `domain` as `name`, replacing any domain of that name.
    pub fn put_domain(&mut self, name: &str, domain: Domain) {
        self.domains.insert(name.to_string(), domain);
    }

    /// Removes domain `name`; returns it if it existed.
    pub fn remove_domain(&mut self, name: &str) -> Option<Domain> {
        self.domains.remove(name)
    }

    /// Function names, ascending (each may name several overloads).
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// The overloads of function `name`, if any exists.
    pub fn get_functions(&self, name: &str) -> Option<&Overloads> {
        self.functions.get(name)
    }

    /// Stores `overloads` as function `name`, replacing any of that name; an empty set removes
    /// the name.
    pub fn put_functions(&mut self, name: &str, overloads: Overloads) {
        if overloads.is_empty() {
            self.functions.remove(name);
        } else {
            self.functions.insert(name.to_string(), overloads);
        }
    }

    /// Removes every overload of function `name`; returns them if any existed.
    pub fn remove_functions(&mut self, name: &str) -> Option<Overloads> {
        self.functions.remove(name)
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

    /// Whether the root holds no object and no user schema.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
            && self.sequences.is_empty()
            && self.views.is_empty()
            && self.schemas.is_empty()
            && self.types.is_empty()
            && self.functions.is_empty()
            && self.domains.is_empty()
    }

    /// Moves every object of `schema` (tables, sequences, views, enum types, functions, and the schema
    /// itself) out of this root into a root holding only them. What a session keeps apart from
    /// the versioned state (its temporary objects) is split off this way after each statement.
    pub fn take_schema(&mut self, schema: &str) -> RootValue {
        // A schema's keys are `schema.name`, next to one another in key order.
        fn take<V>(map: &mut BTreeMap<String, V>, prefix: &str) -> BTreeMap<String, V> {
            let keys: Vec<String> = map
                .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(prefix))
                .cloned()
                .collect();
            keys.into_iter()
                .filter_map(|k| map.remove(&k).map(|v| (k, v)))
                .collect()
        }
        let prefix = format!("{schema}.");
        let mut taken = RootValue {
            tables: take(&mut self.tables, &prefix),
            sequences: take(&mut self.sequences, &prefix),
            views: take(&mut self.views, &prefix),
            schemas: BTreeSet::new(),
            types: take(&mut self.types, &prefix),
            functions: take(&mut self.functions, &prefix),
            domains: take(&mut self.domains, &prefix),
        };
        if self.schemas.remove(schema) || !taken.is_empty() {
            taken.schemas.insert(schema.to_string());
        }
        taken
    }

    /// Adds every object and schema of `other` to this root, replacing objects of the same
    /// name: the inverse of [`RootValue::take_schema`].
    pub fn overlay(&mut self, other: &RootValue) {
        self.tables
            .extend(other.tables.iter().map(|(k, v)| (k.clone(), *v)));
        self.sequences
            .extend(other.sequences.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.views
            .extend(other.views.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.schemas.extend(other.schemas.iter().cloned());
        self.types
            .extend(other.types.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.functions
            .extend(other.functions.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.domains
            .extend(other.domains.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use std::sync::Arc;

    #[test]
    fn sequences_round_trip_and_absent_sequences_keep_version_1() {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let empty = RootValue::empty();
        let addr = empty.save(&ns).unwrap();
        assert_eq!(ns.store().must_get(&addr).unwrap()[1], 1);
        let mut root = RootValue::empty();
        let mut seq = Sequence::new("integer", 1, 1, 1, i64::from(i32::MAX));
        seq.owned_by = Some(("t".into(), "id".into()));
        assert_eq!(seq.next_value(), Some(1));
        root.put_sequence("t_id_seq", seq.clone());
        let addr = root.save(&ns).unwrap();
        assert_eq!(ns.store().must_get(&addr).unwrap()[1], 2);
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded.get_sequence("t_id_seq"), Some(&seq));
        assert_eq!(loaded, root);
        root.remove_sequence("t_id_seq");
        assert_eq!(root.save(&ns).unwrap(), empty.save(&ns).unwrap());
    }

    /// Pins the version-4 layout: a schema and a table in it. A change to this hash means the
    /// root format changed, which needs a new version.
    #[test]
    fn schemas_round_trip_golden_and_absent_schemas_keep_older_versions() {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let empty_addr = RootValue::empty().save(&ns).unwrap();
        let mut root = RootValue::empty();
        root.put_schema("public");
        assert_eq!(root.save(&ns).unwrap(), empty_addr);
        root.put_schema("sales");
        root.put_view(
            &qualified("sales", "v"),
            View {
                query: "SELECT 1 AS a".into(),
                columns: vec![("a".into(), crate::value::Type::Int4)],
                check_option: None,
            },
        );
        let addr = root.save(&ns).unwrap();
        let bytes = ns.store().must_get(&addr).unwrap();
        assert_eq!(bytes[1], 4);
        assert_eq!(
            hex(&bytes),
            "52040000010773616c65732e760d53454c4543542031204153206101016102010573616c6573"
        );
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded, root);
        assert!(loaded.has_schema("sales") && loaded.has_schema("public"));
        assert_eq!(split_qualified("sales.v"), ("sales", "v"));
        assert_eq!(split_qualified("v"), ("public", "v"));
        root.remove_view("sales.v");
        assert!(root.remove_schema("sales"));
        assert_eq!(root.save(&ns).unwrap(), empty_addr);
    }

    /// Pins the version-5 layout: one enum type. A change to this hash means the root format
    /// changed, which needs a new version.
    #[test]
    fn types_round_trip_golden_and_absent_types_keep_older_versions() {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let empty_addr = RootValue::empty().save(&ns).unwrap();
        let mut root = RootValue::empty();
        let kind = EnumType::new(vec!["cat".into(), "dog".into()]);
        root.put_type("kind", kind.clone());
        let addr = root.save(&ns).unwrap();
        let bytes = ns.store().must_get(&addr).unwrap();
        assert_eq!(bytes[1], 5);
        assert_eq!(hex(&bytes), "52050000000001046b696e64020363617403646f67");
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded, root);
        assert_eq!(loaded.get_type("kind"), Some(&kind));
        assert_eq!(kind.position("dog"), Some(1));
        assert_eq!(root.remove_type("kind"), Some(kind));
        assert_eq!(root.save(&ns).unwrap(), empty_addr);
    }

    /// Pins the version-7 layout: one domain. A change to this hash means the root format
    /// changed, which needs a new version.
    #[test]
    fn domains_round_trip_golden_and_absent_domains_keep_older_versions() {
        use crate::table::{CheckDef, Domain};
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let empty_addr = RootValue::empty().save(&ns).unwrap();
        let mut root = RootValue::empty();
        let domain = Domain {
            base: crate::value::Type::Int4,
            not_null: true,
            default: Some("1".into()),
            checks: vec![CheckDef {
                name: "d_check".into(),
                expr: "VALUE > 0".into(),
                not_valid: false,
            }],
        };
        root.put_domain("d", domain.clone());
        let addr = root.save(&ns).unwrap();
        let bytes = ns.store().must_get(&addr).unwrap();
        assert_eq!(bytes[1], 7);
        assert_eq!(
            hex(&bytes),
            "520700000000000001016402010101310107645f636865636b0956414c5545203e2030"
        );
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded, root);
        assert_eq!(loaded.get_domain("d"), Some(&domain));
        assert!(!root.same_definitions(&RootValue::empty()));
        // A domain of another schema moves with it.
        root.put_domain("s.e", domain.clone());
        let taken = root.take_schema("s");
        assert_eq!(taken.get_domain("s.e"), Some(&domain));
        assert_eq!(root.get_domain("s.e"), None);
        assert_eq!(root.remove_domain("d"), Some(domain));
        assert_eq!(root.save(&ns).unwrap(), empty_addr);
    }

    /// Pins the version-6 layout: one function. A change to this hash means the root format
    /// changed, which needs a new version.
    #[test]
    fn functions_round_trip_golden_and_absent_functions_keep_older_versions() {
        use crate::table::{Function, FunctionArg, FunctionReturns, Volatility};
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let empty_addr = RootValue::empty().save(&ns).unwrap();
        let mut root = RootValue::empty();
        let mut overloads = Overloads::default();
        let f = Function {
            args: vec![FunctionArg {
                name: "x".into(),
                ty: crate::value::Type::Int4,
                default: None,
            }],
            returns: FunctionReturns::Scalar(crate::value::Type::Int4),
            body: "select x".into(),
            volatility: Volatility::Immutable,
            strict: true,
        };
        assert!(overloads.put(f.clone()).is_none());
        root.put_functions("f", overloads);
        let addr = root.save(&ns).unwrap();
        let bytes = ns.store().must_get(&addr).unwrap();
        assert_eq!(bytes[1], 6);
        assert_eq!(
            hex(&bytes),
            "5206000000000001016601010178020000020873656c65637420780001"
        );
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded, root);
        let types = [crate::value::Type::Int4];
        assert_eq!(
            loaded.get_functions("f").and_then(|o| o.get(&types)),
            Some(&f)
        );
        let mut overloads = root.remove_functions("f").unwrap();
        assert_eq!(overloads.remove(&types), Some(f));
        root.put_functions("f", overloads);
        assert_eq!(root.save(&ns).unwrap(), empty_addr);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn views_round_trip_and_absent_views_keep_older_versions() {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let empty_addr = RootValue::empty().save(&ns).unwrap();
        let mut root = RootValue::empty();
        let view = View {
            query: "SELECT 1 AS a".into(),
            columns: vec![("a".into(), crate::value::Type::Int4)],
            check_option: None,
        };
        root.put_view("v", view.clone());
        let addr = root.save(&ns).unwrap();
        assert_eq!(ns.store().must_get(&addr).unwrap()[1], 3);
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded.get_view("v"), Some(&view));
        assert_eq!(loaded, root);
        assert_eq!(root.remove_view("v"), Some(view.clone()));
        assert_eq!(root.save(&ns).unwrap(), empty_addr);
        // A check option rides after the version-7 body, and only then.
        let checked = View {
            check_option: Some(CheckOption::Cascaded),
            ..view.clone()
        };
        root.put_view("v", checked.clone());
        root.put_view("w", view);
        let addr = root.save(&ns).unwrap();
        let bytes = ns.store().must_get(&addr).unwrap();
        assert_eq!(bytes[1], 8);
        assert!(bytes.ends_with(&[1, 1, b'v', 1]), "{bytes:?}");
        let loaded = RootValue::load(&ns, addr).unwrap();
        assert_eq!(loaded, root);
        assert_eq!(loaded.get_view("v"), Some(&checked));
        assert_eq!(loaded.get_view("w").unwrap().check_option, None);
    }

    /// A schema split off and laid back gives the same root; objects of other schemas and of
    /// `public` stay where they were.
    #[test]
    fn take_schema_and_overlay_are_inverses() {
        let mut root = RootValue::empty();
        root.put_schema("sales");
        root.put_schema("pg_temp");
        let seq = Sequence::new("integer", 1, 1, 1, i64::from(i32::MAX));
        root.put_sequence("pg_temp.t_id_seq", seq.clone());
        root.put_sequence("t_id_seq", seq.clone());
        root.put_sequence("sales.s", seq);
        root.put_view(
            "pg_temp.v",
            View {
                query: "SELECT 1 AS a".into(),
                columns: vec![("a".into(), crate::value::Type::Int4)],
                check_option: None,
            },
        );
        let before = root.clone();
        let taken = root.take_schema("pg_temp");
        assert!(!root.has_schema("pg_temp") && root.has_schema("sales"));
        assert!(root.get_sequence("t_id_seq").is_some() && root.get_view("pg_temp.v").is_none());
        assert_eq!(
            taken.sequence_names().collect::<Vec<_>>(),
            ["pg_temp.t_id_seq"]
        );
        assert!(taken.has_schema("pg_temp") && !taken.is_empty());
        root.overlay(&taken);
        assert_eq!(root, before);
        assert!(RootValue::empty().take_schema("pg_temp").is_empty());
    }
}
