//! The database objects of one root as PostgreSQL's catalog describes them: each user table
//! with the indexes, constraints and sequences its schema implies, each with a stable OID.
//!
//! OIDs of user objects are derived from what names them (kind, table, object name), not
//! allocated: the first 4 bytes of `blake3("vdb-oid-v1" | 0x00 | kind | 0x00 | name)` as a
//! big-endian u32, folded into `16384..2^31` (PostgreSQL's first user OID is 16384; staying
//! below 2^31 lets an OID be held as `integer`). A collision within the database moves the later
//! object (in name order) to the next free OID. So the same schema always gets the same OIDs,
//! across statements, sessions and restarts.

use std::collections::BTreeSet;

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{
    split_qualified, FkAction, IndexDef, RootValue, Schema, INDEX_DESC, INDEX_NULLS_FIRST,
    PUBLIC_SCHEMA,
};

use crate::error::{Error, Result};
use crate::system::check_deparse::{check_columns, check_definition, expression_text};

/// The first OID of a user object, as in PostgreSQL.
pub const FIRST_USER_OID: u32 = 16384;
/// `pg_catalog`'s namespace OID.
pub const PG_CATALOG_OID: u32 = 11;
/// `public`'s namespace OID.
pub const PUBLIC_OID: u32 = 2200;
/// `information_schema`'s namespace OID (PostgreSQL assigns one at initdb; this is vdb's).
pub const INFORMATION_SCHEMA_OID: u32 = 13_000;
/// The `vdb` schema's namespace OID (vdb's version-control tables).
pub const VDB_NAMESPACE_OID: u32 = 13_100;
/// `pg_toast`'s namespace OID.
pub const PG_TOAST_OID: u32 = 99;
/// The bootstrap superuser's OID.
pub const SUPERUSER_OID: u32 = 10;
/// The `pg_database_owner` role's OID (owner of `public`).
pub const DATABASE_OWNER_OID: u32 = 6171;
/// `pg_class`'s OID (`classoid` of relations in pg_description).
pub const PG_CLASS_OID: u32 = 1259;
/// `pg_constraint`'s OID.
pub const PG_CONSTRAINT_OID: u32 = 2606;
/// The default collation's OID.
pub const DEFAULT_COLLATION_OID: u32 = 100;
/// The btree access method's OID.
pub const BTREE_AM_OID: u32 = 403;
/// The heap table access method's OID.
pub const HEAP_AM_OID: u32 = 2;

/// The OID a hash of what names an object derives: its first 4 bytes as a big-endian u32,
/// folded into `FIRST_USER_OID..2^31` (see the module header).
pub fn derived_oid(hash: &blake3::Hash) -> u32 {
    let mut first = [0u8; 4];
    first.copy_from_slice(&hash.as_bytes()[..4]);
    FIRST_USER_OID + u32::from_be_bytes(first) % ((1u32 << 31) - FIRST_USER_OID)
}

/// An index (a primary key's, a unique constraint's, or a plain one).
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    pub oid: u32,
    pub name: String,
    /// Attribute numbers (1-based) of the key parts (0 for an expression), then of the INCLUDE
    /// columns (`pg_index.indkey`).
    pub attnums: Vec<i16>,
    pub unique: bool,
    pub primary: bool,
    /// The key parts as `pg_get_indexdef(index, n, true)` prints them.
    pub parts: Vec<String>,
    /// The key parts as CREATE INDEX prints them (an expression other than a function call in
    /// parentheses, DESC where declared).
    pub elements: Vec<String>,
    /// Each key part's `indoption` bits (`INDEX_DESC`, `INDEX_NULLS_FIRST`).
    pub options: Vec<u8>,
    /// The quoted INCLUDE columns.
    pub include: Vec<String>,
    /// `UNIQUE ... NULLS NOT DISTINCT` (`pg_index.indnullsnotdistinct`).
    pub nulls_not_distinct: bool,
    /// The printed expressions (`pg_get_expr(indexprs, indrelid)`), None without any.
    pub expressions: Option<String>,
    /// The printed predicate of a partial index (`pg_get_expr(indpred, indrelid)`).
    pub predicate: Option<String>,
    /// The index's own attributes (`pg_attribute` rows of the index): per key part its column's
    /// name and type, or for an expression PostgreSQL's name for it (the function's, else
    /// `expr`, numbered when repeated) and its type; then the INCLUDE columns.
    pub attributes: Vec<(String, vdb_engine::value::Type)>,
}

impl Index {
    /// An index on plain columns, ascending (a primary key or a UNIQUE constraint's).
    fn on_columns(oid: u32, name: String, schema: &Schema, ids: &[u32], unique: bool) -> Index {
        let parts: Vec<String> = ids
            .iter()
            .filter_map(|id| schema.column_by_id(*id).map(|c| quote_ident(&c.name)))
            .collect();
        Index {
            oid,
            name,
            attributes: ids
                .iter()
                .filter_map(|id| schema.column_by_id(*id))
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect(),
            attnums: schema.positions(ids).into_iter().map(attnum).collect(),
            unique,
            primary: false,
            elements: parts.clone(),
            options: vec![0; parts.len()],
            parts,
            include: Vec::new(),
            nulls_not_distinct: false,
            expressions: None,
            predicate: None,
        }
    }

    /// A secondary index as its definition describes it.
    fn from_def(oid: u32, schema: &Schema, def: &IndexDef) -> Index {
        let mut index = Index::on_columns(oid, def.name.clone(), schema, &[], def.unique);
        index.nulls_not_distinct = def.nulls_not_distinct;
        let mut expressions = def.expressions.iter();
        let mut printed = Vec::new();
        for (k, id) in def.columns.iter().enumerate() {
            let option = def.options.get(k).copied().unwrap_or(0);
            let (part, element) = match schema.column_by_id(*id) {
                Some(column) => {
                    index.attnums.push(schema.position(*id).map_or(0, attnum));
                    index
                        .attributes
                        .push((column.name.clone(), column.ty.clone()));
                    (quote_ident(&column.name), quote_ident(&column.name))
                }
                None => {
                    index.attnums.push(0);
                    let expr = expressions.next();
                    let sql = expr.map_or("", |e| e.sql.as_str());
                    let base = expression_name(sql);
                    let taken = |n: &String| index.attributes.iter().any(|(a, _)| a == n);
                    let name = std::iter::once(base.clone())
                        .chain((1..).map(|k| format!("{base}{k}")))
                        .find(|n| !taken(n))
                        .unwrap_or(base);
                    let ty = expr.map_or(vdb_engine::value::Type::Text, |e| e.ty.clone());
                    index.attributes.push((name, ty));
                    let plain = expression_text(sql, schema, false).unwrap_or_else(|| sql.into());
                    let pretty = expression_text(sql, schema, true).unwrap_or_else(|| sql.into());
                    printed.push(plain.clone());
                    if is_call(sql) {
                        (pretty, plain)
                    } else {
                        (format!("({pretty})"), format!("({plain})"))
                    }
                }
            };
            index.parts.push(part);
            // What differs from the default: DESC, and NULLS FIRST / LAST against the
            // direction's default (first for DESC, last for ASC).
            let descending = option & INDEX_DESC != 0;
            let nulls_first = option & INDEX_NULLS_FIRST != 0;
            index.elements.push(match (descending, nulls_first) {
                (false, false) => element,
                (false, true) => format!("{element} NULLS FIRST"),
                (true, true) => format!("{element} DESC"),
                (true, false) => format!("{element} DESC NULLS LAST"),
            });
            index.options.push(option);
        }
        for id in &def.include {
            if let Some(column) = schema.column_by_id(*id) {
                index.attnums.push(schema.position(*id).map_or(0, attnum));
                index
                    .attributes
                    .push((column.name.clone(), column.ty.clone()));
                index.include.push(quote_ident(&column.name));
            }
        }
        if !printed.is_empty() {
            index.expressions = Some(printed.join(", "));
        }
        index.predicate = def
            .predicate
            .as_ref()
            .map(|sql| expression_text(sql, schema, false).unwrap_or_else(|| format!("({sql})")));
        index
    }

    /// `CREATE [UNIQUE] INDEX name ON table USING btree (...) [INCLUDE (...)] [WHERE ...]`, with
    /// `table` as it should be printed.
    pub fn definition(&self, table: &str) -> String {
        let mut text = format!(
            "CREATE {}INDEX {} ON {table} USING btree ({})",
            if self.unique { "UNIQUE " } else { "" },
            quote_ident(&self.name),
            self.elements.join(", ")
        );
        if !self.include.is_empty() {
            text.push_str(&format!(" INCLUDE ({})", self.include.join(", ")));
        }
        if self.nulls_not_distinct {
            text.push_str(" NULLS NOT DISTINCT");
        }
        if let Some(predicate) = &self.predicate {
            text.push_str(&format!(" WHERE {predicate}"));
        }
        text
    }

    /// `pg_index.indoption`: per key part, its bits (1 DESC, 2 NULLS FIRST).
    pub fn options(&self) -> Vec<i16> {
        self.options.iter().map(|o| i16::from(*o)).collect()
    }
}

/// PostgreSQL's name for an index expression's attribute (see
/// `constraint::expression_part_name`).
fn expression_name(sql: &str) -> String {
    crate::planner::parse_stored(sql, "index expression").map_or_else(
        |_| "expr".into(),
        |e| crate::planner::expression_part_name(&e),
    )
}

/// Whether an index expression is a plain function call, which CREATE INDEX prints without
/// parentheses.
fn is_call(sql: &str) -> bool {
    matches!(
        crate::planner::parse_stored(sql, "index expression"),
        Ok(sqlparser::ast::Expr::Function(_))
    )
}

/// A constraint (`contype` p, u, f or c).
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    pub oid: u32,
    pub name: String,
    pub kind: char,
    pub attnums: Vec<i16>,
    /// The index that enforces a p/u constraint (0 for others).
    pub index_oid: u32,
    /// For a foreign key: the referenced table's OID and attribute numbers, and its actions.
    pub ref_table_oid: u32,
    pub ref_attnums: Vec<i16>,
    pub on_update: char,
    pub on_delete: char,
    /// `pg_get_constraintdef` text.
    pub definition: String,
    /// Its pretty form (`pg_get_constraintdef(oid, true)`, psql's `\d`), where it differs.
    pub pretty_definition: Option<String>,
    /// `condeferrable` and `condeferred` (foreign keys only; vdb checks the others at once).
    pub deferrable: bool,
    pub deferred: bool,
    /// `convalidated`: false for a check or foreign key added NOT VALID.
    pub validated: bool,
}

/// A user table, or one of the `vdb` schema's tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    pub oid: u32,
    /// The schema's OID: `PUBLIC_OID`, a user schema's, or `VDB_NAMESPACE_OID` for the
    /// version-control tables.
    pub namespace: u32,
    /// The schema's name.
    pub nspname: String,
    /// The relation's name within its schema.
    pub name: String,
    pub schema: Schema,
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
    /// For a view (`relkind` 'v'): its query text.
    pub view: Option<String>,
}

/// A sequence: one a column default draws from (`nextval('name'::regclass)`), or one created
/// on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    pub oid: u32,
    /// The schema's name.
    pub nspname: String,
    pub name: String,
    /// The table and column number whose default draws from it (0 and 0 for none).
    pub table_oid: u32,
    pub attnum: i16,
    /// Its definition (`None` when a default names a sequence that no longer exists); an
    /// identity column's says ALWAYS or BY DEFAULT in `identity`.
    pub definition: Option<vdb_engine::table::Sequence>,
}

/// Every user object of one root.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Objects {
    pub relations: Vec<Relation>,
    pub sequences: Vec<Sequence>,
    /// User schemas other than `public`: (OID, name), in name order.
    pub namespaces: Vec<(u32, String)>,
}

/// Hands out derived OIDs, moving colliding ones to the next free value.
struct Allocator {
    taken: BTreeSet<u32>,
}

impl Allocator {
    fn oid(&mut self, kind: &str, name: &str) -> u32 {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"vdb-oid-v1");
        hasher.update(&[0]);
        hasher.update(kind.as_bytes());
        hasher.update(&[0]);
        hasher.update(name.as_bytes());
        let mut oid = derived_oid(&hasher.finalize());
        while !self.taken.insert(oid) {
            oid = if oid + 1 >= 1 << 31 {
                FIRST_USER_OID
            } else {
                oid + 1
            };
        }
        oid
    }
}

impl Objects {
    /// The objects of `root`, tables in name order.
    pub fn load(root: &RootValue, ns: &NodeStore) -> Result<Objects> {
        let mut names: Vec<&str> = root.table_names().collect();
        names.sort_unstable();
        let mut alloc = Allocator {
            taken: BTreeSet::new(),
        };
        let mut objects = Objects::default();
        for schema in root.schema_names() {
            let oid = alloc.oid("schema", schema);
            objects.namespaces.push((oid, schema.to_string()));
        }
        let mut schemas = Vec::new();
        for name in names {
            let table = root
                .must_get_table(ns, name)
                .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?;
            let oid = alloc.oid("table", name);
            schemas.push((name.to_string(), oid, table.schema().clone()));
        }
        for (name, oid, schema) in &schemas {
            let mut relation = relation(&mut alloc, name, *oid, schema, &schemas);
            relation.namespace = objects.namespace_oid(&relation.nspname);
            for (i, column) in schema.columns.iter().enumerate() {
                if let Some(seq) = column.default.as_deref().and_then(nextval_sequence) {
                    let (nspname, bare) = split_qualified(&seq);
                    objects.sequences.push(Sequence {
                        oid: alloc.oid("sequence", &seq),
                        nspname: nspname.to_string(),
                        name: bare.to_string(),
                        table_oid: *oid,
                        attnum: attnum(i),
                        definition: root.get_sequence(&seq).cloned(),
                    });
                }
            }
            objects.relations.push(relation);
        }
        for name in root.sequence_names() {
            let (nspname, bare) = split_qualified(name);
            if objects
                .sequences
                .iter()
                .any(|s| s.nspname == nspname && s.name == bare)
            {
                continue;
            }
            objects.sequences.push(Sequence {
                oid: alloc.oid("sequence", name),
                nspname: nspname.to_string(),
                name: bare.to_string(),
                table_oid: 0,
                attnum: 0,
                definition: root.get_sequence(name).cloned(),
            });
        }
        for name in crate::vc::tables::TABLES {
            let columns = crate::vc::tables::columns(name).unwrap_or_default();
            let spec: Vec<(&str, vdb_engine::value::Type, bool)> = columns
                .iter()
                .map(|(n, t)| (n.as_str(), t.clone(), true))
                .collect();
            let schema = Schema::new(&spec, &[])
                .map_err(|e| Error::engine(format!("describing vdb.{name}"), e))?;
            objects.relations.push(Relation {
                oid: alloc.oid("vdb-table", name),
                namespace: VDB_NAMESPACE_OID,
                nspname: "vdb".to_string(),
                name: name.to_string(),
                schema,
                indexes: Vec::new(),
                constraints: Vec::new(),
                view: None,
            });
        }
        for name in root.view_names() {
            let Some(view) = root.get_view(name) else {
                continue;
            };
            let spec: Vec<(&str, vdb_engine::value::Type, bool)> = view
                .columns
                .iter()
                .map(|(n, t)| (n.as_str(), t.clone(), true))
                .collect();
            let schema = Schema::new(&spec, &[])
                .map_err(|e| Error::engine(format!("describing view \"{name}\""), e))?;
            let (nspname, bare) = split_qualified(name);
            objects.relations.push(Relation {
                oid: alloc.oid("view", name),
                namespace: objects.namespace_oid(nspname),
                nspname: nspname.to_string(),
                name: bare.to_string(),
                schema,
                indexes: Vec::new(),
                constraints: Vec::new(),
                view: Some(view.query.clone()),
            });
        }
        Ok(objects)
    }

    /// The schema name of a relation's namespace, as the catalogs show it (`pg_temp_3` for
    /// a temporary relation).
    pub fn schema_name(relation: &Relation) -> &str {
        crate::temp::display_schema(&relation.nspname)
    }

    /// Whether a relation is temporary (`relpersistence` 't').
    pub fn is_temporary(relation: &Relation) -> bool {
        relation.nspname == crate::temp::TEMP_SCHEMA
    }

    /// The OID of schema `name` (0 if it does not exist).
    pub fn namespace_oid(&self, name: &str) -> u32 {
        let name = crate::temp::key_schema(name);
        match name {
            PUBLIC_SCHEMA => PUBLIC_OID,
            "pg_catalog" => PG_CATALOG_OID,
            "information_schema" => INFORMATION_SCHEMA_OID,
            "vdb" => VDB_NAMESPACE_OID,
            _ => self
                .namespaces
                .iter()
                .find(|(_, n)| n == name)
                .map_or(0, |(o, _)| *o),
        }
    }

    /// Whether the relation with this OID is on the search path `path` (`pg_table_is_visible`):
    /// its schema is on the path (system relations always are).
    pub fn is_visible(&self, oid: u32, path: &[String]) -> bool {
        let Some(nspname) = self.schema_of(oid) else {
            return true;
        };
        path.contains(&nspname)
    }

    /// The schema name of the relation, index or sequence with this OID.
    fn schema_of(&self, oid: u32) -> Option<String> {
        for r in &self.relations {
            if r.oid == oid || r.indexes.iter().any(|i| i.oid == oid) {
                return Some(r.nspname.clone());
            }
        }
        self.sequences
            .iter()
            .find(|s| s.oid == oid)
            .map(|s| s.nspname.clone())
    }

    /// The definition of the identity column `attnum` of the table `table_oid`: `None` for
    /// any other column, a serial one included.
    pub fn identity(&self, table_oid: u32, attnum: i16) -> Option<&vdb_engine::table::Sequence> {
        self.sequences
            .iter()
            .find(|s| s.table_oid == table_oid && s.attnum == attnum)
            .and_then(|s| s.definition.as_ref())
            .filter(|d| d.identity.is_some())
    }

    /// The relation with this OID.
    pub fn relation(&self, oid: u32) -> Option<&Relation> {
        self.relations.iter().find(|r| r.oid == oid)
    }

    /// The name of the relation (table, index or sequence) with this OID as `regclass` prints
    /// it: schema-qualified (quoted where needed) when its schema is not on `path`.
    pub fn relation_name(&self, oid: u32, path: &[String]) -> Option<String> {
        let (nspname, name) = self.relation_parts(oid)?;
        if path.contains(&nspname) {
            Some(quote_ident(&name))
        } else {
            Some(format!("{}.{}", quote_ident(&nspname), quote_ident(&name)))
        }
    }

    /// The (schema, name) of the relation (table, index or sequence) with this OID.
    pub fn relation_parts(&self, oid: u32) -> Option<(String, String)> {
        for r in &self.relations {
            if r.oid == oid {
                return Some((r.nspname.clone(), r.name.clone()));
            }
            if let Some(i) = r.indexes.iter().find(|i| i.oid == oid) {
                return Some((r.nspname.clone(), i.name.clone()));
            }
        }
        self.sequences
            .iter()
            .find(|s| s.oid == oid)
            .map(|s| (s.nspname.clone(), s.name.clone()))
    }

    /// The OID of the relation (table, view, index or sequence) `name` in schema `nspname`.
    pub fn relation_oid_in(&self, nspname: &str, name: &str) -> Option<u32> {
        let nspname = crate::temp::key_schema(nspname);
        for r in self.relations.iter().filter(|r| r.nspname == nspname) {
            if r.name == name {
                return Some(r.oid);
            }
            if let Some(i) = r.indexes.iter().find(|i| i.name == name) {
                return Some(i.oid);
            }
        }
        self.sequences
            .iter()
            .find(|s| s.nspname == nspname && s.name == name)
            .map(|s| s.oid)
    }

    /// The OID of the relation named `name`: `s.t` in schema `s`, else the first of that name
    /// along `path`.
    pub fn relation_oid(&self, name: &str, path: &[String]) -> Option<u32> {
        match name.split_once('.') {
            Some((nspname, bare)) => self.relation_oid_in(nspname, bare),
            None => path.iter().find_map(|p| self.relation_oid_in(p, name)),
        }
    }

    /// The index with this OID and its table.
    pub fn index(&self, oid: u32) -> Option<(&Relation, &Index)> {
        self.relations
            .iter()
            .find_map(|r| r.indexes.iter().find(|i| i.oid == oid).map(|i| (r, i)))
    }

    /// The constraint with this OID.
    pub fn constraint(&self, oid: u32) -> Option<(&Relation, &Constraint)> {
        self.relations
            .iter()
            .find_map(|r| r.constraints.iter().find(|c| c.oid == oid).map(|c| (r, c)))
    }
}

/// PostgreSQL's 1-based attribute number of the column at `position`.
pub fn attnum(position: usize) -> i16 {
    i16::try_from(position + 1).unwrap_or(i16::MAX)
}

/// The sequence named by a `nextval('name'::regclass)` default.
pub fn nextval_sequence(default: &str) -> Option<String> {
    let rest = default.trim().strip_prefix("nextval('")?;
    let name = rest.split('\'').next()?;
    Some(name.strip_prefix("public.").unwrap_or(name).to_string())
}

fn relation(
    alloc: &mut Allocator,
    name: &str,
    oid: u32,
    schema: &Schema,
    all: &[(String, u32, Schema)],
) -> Relation {
    let attnums = |ids: &[u32]| -> Vec<i16> {
        schema
            .positions(ids)
            .into_iter()
            .map(attnum)
            .collect::<Vec<_>>()
    };
    let names = |ids: &[u32]| -> Vec<String> {
        ids.iter()
            .filter_map(|id| schema.column_by_id(*id).map(|c| quote_ident(&c.name)))
            .collect()
    };
    let key = name;
    let (nspname, name) = split_qualified(key);
    let index_key = |index: &str| vdb_engine::table::qualified(nspname, index);
    let mut indexes = Vec::new();
    let mut constraints = Vec::new();
    if !schema.primary_key.is_empty() {
        let pkey = schema.primary_key_name(name);
        let index_oid = alloc.oid("index", &index_key(&pkey));
        let mut index =
            Index::on_columns(index_oid, pkey.clone(), schema, &schema.primary_key, true);
        index.primary = true;
        indexes.push(index);
        constraints.push(Constraint {
            oid: alloc.oid("constraint", &format!("{key}.{pkey}")),
            name: pkey,
            kind: 'p',
            attnums: attnums(&schema.primary_key),
            index_oid,
            ref_table_oid: 0,
            ref_attnums: Vec::new(),
            on_update: ' ',
            on_delete: ' ',
            definition: format!("PRIMARY KEY ({})", names(&schema.primary_key).join(", ")),
            pretty_definition: None,
            deferrable: false,
            deferred: false,
            validated: true,
        });
    }
    for def in &schema.indexes {
        let index_oid = alloc.oid("index", &index_key(&def.name));
        indexes.push(Index::from_def(index_oid, schema, def));
        if def.constraint {
            constraints.push(Constraint {
                oid: alloc.oid("constraint", &format!("{key}.{}", def.name)),
                name: def.name.clone(),
                kind: 'u',
                attnums: attnums(&def.columns),
                index_oid,
                ref_table_oid: 0,
                ref_attnums: Vec::new(),
                on_update: ' ',
                on_delete: ' ',
                definition: format!(
                    "UNIQUE {}({})",
                    if def.nulls_not_distinct {
                        "NULLS NOT DISTINCT "
                    } else {
                        ""
                    },
                    names(&def.columns).join(", ")
                ),
                pretty_definition: None,
                deferrable: false,
                deferred: false,
                validated: true,
            });
        }
    }
    for fk in &schema.foreign_keys {
        let target = all.iter().find(|(n, _, _)| *n == fk.ref_table);
        let ref_attnums = target.map_or_else(Vec::new, |(_, _, s)| {
            fk.ref_columns
                .iter()
                .filter_map(|c| s.columns.iter().position(|col| col.name == *c))
                .map(attnum)
                .collect()
        });
        let mut definition = format!(
            "FOREIGN KEY ({}) REFERENCES {}({})",
            names(&fk.columns).join(", "),
            qualified_ident(&fk.ref_table),
            fk.ref_columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (what, action) in [("UPDATE", fk.on_update), ("DELETE", fk.on_delete)] {
            if let Some(text) = action_text(action) {
                definition.push_str(&format!(" ON {what} {text}"));
            }
        }
        if fk.deferrable {
            definition.push_str(" DEFERRABLE");
        }
        if fk.initially_deferred {
            definition.push_str(" INITIALLY DEFERRED");
        }
        if fk.not_valid {
            definition.push_str(" NOT VALID");
        }
        constraints.push(Constraint {
            oid: alloc.oid("constraint", &format!("{key}.{}", fk.name)),
            name: fk.name.clone(),
            kind: 'f',
            attnums: attnums(&fk.columns),
            index_oid: 0,
            ref_table_oid: target.map_or(0, |(_, oid, _)| *oid),
            ref_attnums,
            on_update: action_code(fk.on_update),
            on_delete: action_code(fk.on_delete),
            definition,
            pretty_definition: None,
            deferrable: fk.deferrable,
            deferred: fk.initially_deferred,
            validated: !fk.not_valid,
        });
    }
    for check in &schema.checks {
        let not_valid = if check.not_valid { " NOT VALID" } else { "" };
        constraints.push(Constraint {
            oid: alloc.oid("constraint", &format!("{key}.{}", check.name)),
            name: check.name.clone(),
            kind: 'c',
            attnums: check_columns(&check.expr, schema),
            index_oid: 0,
            ref_table_oid: 0,
            ref_attnums: Vec::new(),
            on_update: ' ',
            on_delete: ' ',
            definition: check_definition(&check.expr, schema, false) + not_valid,
            pretty_definition: Some(check_definition(&check.expr, schema, true) + not_valid),
            deferrable: false,
            deferred: false,
            validated: !check.not_valid,
        });
    }
    Relation {
        oid,
        namespace: PUBLIC_OID,
        nspname: nspname.to_string(),
        name: name.to_string(),
        schema: schema.clone(),
        indexes,
        constraints,
        view: None,
    }
}

/// A relation key as SQL text: `t` in public or the temporary schema (both on the search path,
/// as PostgreSQL prints a relation the path finds), `s.t` (each part quoted where needed)
/// elsewhere.
fn qualified_ident(key: &str) -> String {
    match split_qualified(key) {
        (PUBLIC_SCHEMA | crate::temp::TEMP_SCHEMA, name) => quote_ident(name),
        (schema, name) => format!("{}.{}", quote_ident(schema), quote_ident(name)),
    }
}

fn action_code(action: FkAction) -> char {
    match action {
        FkAction::NoAction => 'a',
        FkAction::Restrict => 'r',
        FkAction::Cascade => 'c',
        FkAction::SetNull => 'n',
        FkAction::SetDefault => 'd',
    }
}

/// The `ON ...` text `pg_get_constraintdef` prints (nothing for NO ACTION).
fn action_text(action: FkAction) -> Option<&'static str> {
    match action {
        FkAction::NoAction => None,
        FkAction::Restrict => Some("RESTRICT"),
        FkAction::Cascade => Some("CASCADE"),
        FkAction::SetNull => Some("SET NULL"),
        FkAction::SetDefault => Some("SET DEFAULT"),
    }
}

/// An identifier as PostgreSQL's `quote_ident` prints it: bare when it is lower-case letters,
/// digits and underscores not starting with a digit and not a reserved word, else
/// double-quoted. The same rule as the patches vdb writes (`vc::patch::ident`).
pub fn quote_ident(name: &str) -> String {
    crate::vc::patch::ident(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the OID derivation: a change here renumbers every user object, which clients that
    /// cached OIDs (psycopg's type cache, psql's `\d` follow-up queries) would notice.
    #[test]
    fn oids_are_derived_from_names() {
        let mut alloc = Allocator {
            taken: BTreeSet::new(),
        };
        assert_eq!(alloc.oid("table", "labels"), 1_615_182_218);
        let again = Allocator {
            taken: BTreeSet::new(),
        }
        .oid("table", "labels");
        assert_eq!(again, 1_615_182_218);
        // A collision moves the later object to the next free OID.
        assert_eq!(alloc.oid("table", "labels"), 1_615_182_219);
        assert!(alloc.oid("index", "labels_pkey") >= FIRST_USER_OID);
    }

    #[test]
    fn nextval_defaults_name_their_sequence() {
        assert_eq!(
            nextval_sequence("nextval('t_id_seq'::regclass)").as_deref(),
            Some("t_id_seq")
        );
        assert_eq!(nextval_sequence("now()"), None);
        assert_eq!(quote_ident("Mixed"), "\"Mixed\"");
        assert_eq!(quote_ident("plain_1"), "plain_1");
    }
}
