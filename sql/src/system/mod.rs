//! PostgreSQL's system catalogs over vdb: `pg_catalog` and `information_schema` tables whose rows
//! are computed, when a statement runs, from the schemas of the root it reads, plus the OID and
//! type maps every layer shares.
//!
//! A statement's [`Snapshot`] holds that root, the session's settings and (built on first use)
//! the [`Objects`] it implies: tables, their indexes, constraints and sequences, each with a
//! stable OID. Names resolve as PostgreSQL's search path does: `pg_catalog.pg_class` and a bare
//! `pg_class` are the system table, `information_schema.x` needs its schema, and everything else
//! is a user object found along the session's `search_path` ([`Snapshot::search_path`]).

mod check_deparse;
mod columns;
mod deparse;
pub mod domains;
pub mod functions;
mod objects;
mod sizes;
mod tables;
pub mod triggers;
pub mod types;

use std::sync::{Arc, OnceLock};

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;

use crate::error::Result;
use crate::settings::Settings;
use crate::vc::VcContext;

pub use objects::{
    nextval_sequence, quote_ident, Objects, Relation, BTREE_AM_OID, DATABASE_OWNER_OID,
    FIRST_USER_OID, PG_CATALOG_OID, PG_CLASS_OID, PG_CONSTRAINT_OID, PUBLIC_OID, SUPERUSER_OID,
};
pub use sizes::{relation_size, SizeKind};
pub use tables::{system_table, view_definition, TableRows};
pub use types::{format_type, type_modifier, type_oid, type_oid_by_name};

/// What one statement reads: its root, the node store, the session's settings, and the catalog
/// objects derived from the root.
pub struct Snapshot {
    pub root: RootValue,
    pub ns: NodeStore,
    pub settings: Settings,
    /// The repository and branch, when the statement runs in a session (what version-control
    /// functions, `vdb.*` tables and `AS OF` read).
    pub vc: Option<VcContext>,
    objects: OnceLock<Objects>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

impl Snapshot {
    pub fn new(root: RootValue, ns: NodeStore, settings: Settings) -> Arc<Snapshot> {
        Arc::new(Snapshot {
            root,
            ns,
            settings,
            vc: None,
            objects: OnceLock::new(),
        })
    }

    /// The same snapshot, in a repository session.
    pub fn with_vc(self: Arc<Snapshot>, vc: VcContext) -> Arc<Snapshot> {
        let mut snapshot = Arc::try_unwrap(self).unwrap_or_else(|shared| Snapshot {
            root: shared.root.clone(),
            ns: shared.ns.clone(),
            settings: shared.settings.clone(),
            vc: None,
            objects: OnceLock::new(),
        });
        snapshot.vc = Some(vc);
        Arc::new(snapshot)
    }

    /// The repository context, or 0A000 outside a session.
    pub fn must_vc(&self) -> Result<&VcContext> {
        self.vc.as_ref().ok_or_else(|| {
            crate::error::Error::Unsupported("version control outside a repository session".into())
        })
    }

    /// The catalog objects of the root, derived once per statement.
    pub fn objects(&self) -> Result<&Objects> {
        if let Some(o) = self.objects.get() {
            return Ok(o);
        }
        let loaded = Objects::load(&self.root, &self.ns)?;
        Ok(self.objects.get_or_init(|| loaded))
    }

    /// `current_database()`.
    pub fn database(&self) -> String {
        self.settings.database()
    }

    /// The schemas unqualified names are looked up in, in order: the session's temporary
    /// schema, while it has temporary objects, unless `search_path` names it elsewhere; then
    /// [`Snapshot::explicit_search_path`].
    pub fn search_path(&self) -> Vec<String> {
        let mut path = self.explicit_search_path();
        let temp = crate::temp::TEMP_SCHEMA;
        if self.root.has_schema(temp) && !path.iter().any(|s| s == temp) {
            path.insert(0, temp.to_string());
        }
        path
    }

    /// The existing user schemas of the session's `search_path`, in order (`$user` stands for
    /// the session user's schema): where unqualified names are created.
    pub fn explicit_search_path(&self) -> Vec<String> {
        let value = self.settings.get("search_path").unwrap_or_default();
        let user = self.user();
        let mut path: Vec<String> = Vec::new();
        for name in crate::catalog::search_path_names(&value) {
            let name = if name == "$user" { user.clone() } else { name };
            if self.root.has_schema(&name) && !path.contains(&name) {
                path.push(name);
            }
        }
        path
    }

    /// `current_user`.
    pub fn user(&self) -> String {
        self.settings
            .get("session_authorization")
            .unwrap_or_else(|| "postgres".into())
    }
}

/// The pg_catalog tables (not views) and their fixed OIDs, as in PostgreSQL 15.
const CATALOG_TABLE_OIDS: &[(&str, i32)] = &[
    ("pg_aggregate", 2600),
    ("pg_am", 2601),
    ("pg_amop", 2602),
    ("pg_amproc", 2603),
    ("pg_attrdef", 2604),
    ("pg_attribute", 1249),
    ("pg_auth_members", 1261),
    ("pg_authid", 1260),
    ("pg_cast", 2605),
    ("pg_class", 1259),
    ("pg_collation", 3456),
    ("pg_constraint", 2606),
    ("pg_conversion", 2607),
    ("pg_database", 1262),
    ("pg_db_role_setting", 2964),
    ("pg_default_acl", 826),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_enum", 3501),
    ("pg_event_trigger", 3466),
    ("pg_extension", 3079),
    ("pg_foreign_data_wrapper", 2328),
    ("pg_foreign_server", 1417),
    ("pg_foreign_table", 3118),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_init_privs", 3394),
    ("pg_language", 2612),
    ("pg_largeobject", 2613),
    ("pg_largeobject_metadata", 2995),
    ("pg_namespace", 2615),
    ("pg_opclass", 2616),
    ("pg_operator", 2617),
    ("pg_opfamily", 2753),
    ("pg_partitioned_table", 3350),
    ("pg_policy", 3256),
    ("pg_proc", 1255),
    ("pg_publication", 6104),
    ("pg_range", 3541),
    ("pg_rewrite", 2618),
    ("pg_seclabel", 3596),
    ("pg_sequence", 2224),
    ("pg_shdepend", 1214),
    ("pg_shdescription", 2396),
    ("pg_statistic", 2619),
    ("pg_statistic_ext", 3381),
    ("pg_subscription", 6100),
    ("pg_tablespace", 1213),
    ("pg_transform", 3576),
    ("pg_trigger", 2620),
    ("pg_ts_config", 3602),
    ("pg_ts_dict", 3600),
    ("pg_ts_parser", 3601),
    ("pg_ts_template", 3764),
    ("pg_type", 1247),
    ("pg_user_mapping", 1418),
];

/// The fixed OID of the pg_catalog table (not view) `name`, as in PostgreSQL 15: what
/// `'pg_class'::regclass` and the `tableoid` column of its rows give.
pub fn catalog_table_oid(name: &str) -> Option<i32> {
    CATALOG_TABLE_OIDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, oid)| *oid)
}

/// The pg_catalog table whose OID is `oid` (what `1259::regclass` prints).
pub fn catalog_table_name(oid: u32) -> Option<&'static str> {
    CATALOG_TABLE_OIDS
        .iter()
        .find(|(_, o)| u32::try_from(*o).ok() == Some(oid))
        .map(|(n, _)| *n)
}

/// Whether `name` (unqualified) is a pg_catalog table, which the search path finds first.
pub fn is_pg_catalog_table(name: &str) -> bool {
    columns::SYSTEM_TABLES
        .iter()
        .any(|(s, n, _)| *s == "pg_catalog" && *n == name)
}

/// Whether `schema` is one of the system schemas.
pub fn is_system_schema(schema: &str) -> bool {
    matches!(schema, "pg_catalog" | "information_schema" | "vdb")
}
