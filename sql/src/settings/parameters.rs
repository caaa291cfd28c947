//! The run-time parameters vdb knows, with PostgreSQL 15's names, types, ranges and units.
//!
//! Most of them change nothing in vdb (it has no planner costs, no autovacuum and no WAL), but
//! scripts and clients set them (pg_dump's preamble sets `lock_timeout` and `row_security`;
//! analysts set `work_mem`), so they are accepted, checked as PostgreSQL checks them, and read
//! back. Default values are PostgreSQL's boot values, except where vdb differs (its encoding,
//! locale, version and time zone).

use super::SERVER_VERSION;

/// What values a parameter takes.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    /// An integer in this range, counted in the parameter's [`Unit`].
    Int(i64, i64),
    Real(f64, f64),
    /// One of these words (case-insensitive).
    Enum(&'static [&'static str]),
    Text,
}

/// The unit of an integer or real parameter: a value given without a unit counts in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    None,
    Ms,
    S,
    B,
    Kb,
    Kb8,
    Mb,
}

/// Who may change a parameter, as `pg_settings.context` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Any session (`user` and `superuser` parameters; vdb's sessions are superusers).
    User,
    /// Fixed when the server was built.
    Internal,
    /// Fixed when the server starts.
    Postmaster,
    /// Changed only in the configuration file.
    Sighup,
}

/// One parameter.
#[derive(Clone, Copy, Debug)]
pub struct Parameter {
    /// The lower-case name.
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    /// The default value, as PostgreSQL writes it in `pg_settings.boot_val` (in the unit).
    pub default: &'static str,
    pub context: Context,
    pub description: &'static str,
}

const fn p(
    name: &'static str,
    kind: Kind,
    unit: Unit,
    default: &'static str,
    context: Context,
    description: &'static str,
) -> Parameter {
    Parameter {
        name,
        kind,
        unit,
        default,
        context,
        description,
    }
}

/// The parameter named `name` (lower case).
pub fn find(name: &str) -> Option<&'static Parameter> {
    PARAMETERS
        .binary_search_by(|p| p.name.cmp(name))
        .ok()
        .map(|i| &PARAMETERS[i])
}

/// Every parameter, sorted by name.
#[rustfmt::skip]
pub const PARAMETERS: &[Parameter] = &[
    p("allow_in_place_tablespaces", Kind::Bool, Unit::None, "off", Context::User, "Allows tablespaces directly inside pg_tblspc, for testing."),
    p("allow_system_table_mods", Kind::Bool, Unit::None, "off", Context::User, "Allows modifications of the structure of system tables."),
    p("application_name", Kind::Text, Unit::None, "", Context::User, "Sets the application name to be reported in statistics and logs."),
    p("array_nulls", Kind::Bool, Unit::None, "on", Context::User, "Enable input of NULL elements in arrays."),
    p("autovacuum", Kind::Bool, Unit::None, "on", Context::Sighup, "Starts the autovacuum subprocess."),
    p("backend_flush_after", Kind::Int(0, 256), Unit::Kb8, "0", Context::User, "Number of pages after which previously performed writes are flushed to disk."),
    p("backslash_quote", Kind::Enum(&["safe_encoding", "on", "off"]), Unit::None, "safe_encoding", Context::User, "Sets whether \"\\'\" is allowed in string literals."),
    p("backtrace_functions", Kind::Text, Unit::None, "", Context::User, "Log backtrace for errors in these functions."),
    p("block_size", Kind::Int(8192, 8192), Unit::None, "8192", Context::Internal, "Shows the size of a disk block."),
    p("bytea_output", Kind::Enum(&["escape", "hex"]), Unit::None, "hex", Context::User, "Sets the output format for bytea."),
    p("check_function_bodies", Kind::Bool, Unit::None, "on", Context::User, "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE."),
    p("checkpoint_timeout", Kind::Int(30, 86400), Unit::S, "300", Context::Sighup, "Sets the maximum time between automatic WAL checkpoints."),
    p("client_connection_check_interval", Kind::Int(0, 2147483647), Unit::Ms, "0", Context::User, "Sets the time interval between checks for disconnection while running queries."),
    p("client_encoding", Kind::Text, Unit::None, "UTF8", Context::User, "Sets the client's character set encoding."),
    p("client_min_messages", Kind::Enum(&["debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"]), Unit::None, "notice", Context::User, "Sets the message levels that are sent to the client."),
    p("commit_delay", Kind::Int(0, 100000), Unit::None, "0", Context::User, "Sets the delay in microseconds between transaction commit and flushing WAL to disk."),
    p("commit_siblings", Kind::Int(0, 1000), Unit::None, "5", Context::User, "Sets the minimum number of concurrent open transactions required before performing commit_delay."),
    p("compute_query_id", Kind::Enum(&["auto", "regress", "on", "off"]), Unit::None, "auto", Context::User, "Enables in-core computation of query identifiers."),
    p("constraint_exclusion", Kind::Enum(&["partition", "on", "off"]), Unit::None, "partition", Context::User, "Enables the planner to use constraints to optimize queries."),
    p("cpu_index_tuple_cost", Kind::Real(0.0, f64::MAX), Unit::None, "0.005", Context::User, "Sets the planner's estimate of the cost of processing each index entry during an index scan."),
    p("cpu_operator_cost", Kind::Real(0.0, f64::MAX), Unit::None, "0.0025", Context::User, "Sets the planner's estimate of the cost of processing each operator or function call."),
    p("cpu_tuple_cost", Kind::Real(0.0, f64::MAX), Unit::None, "0.01", Context::User, "Sets the planner's estimate of the cost of processing each tuple (row)."),
    p("cursor_tuple_fraction", Kind::Real(0.0, 1.0), Unit::None, "0.1", Context::User, "Sets the planner's estimate of the fraction of a cursor's rows that will be retrieved."),
    p("data_checksums", Kind::Bool, Unit::None, "off", Context::Internal, "Shows whether data checksums are turned on for this cluster."),
    p("datestyle", Kind::Text, Unit::None, "ISO, MDY", Context::User, "Sets the display format for date and time values."),
    p("deadlock_timeout", Kind::Int(1, 2147483647), Unit::Ms, "1000", Context::User, "Sets the time to wait on a lock before checking for deadlock."),
    p("debug_discard_caches", Kind::Int(0, 0), Unit::None, "0", Context::User, "Aggressively flush system caches for debugging purposes."),
    p("debug_pretty_print", Kind::Bool, Unit::None, "on", Context::User, "Indents parse and plan tree displays."),
    p("debug_print_parse", Kind::Bool, Unit::None, "off", Context::User, "Logs each query's parse tree."),
    p("debug_print_plan", Kind::Bool, Unit::None, "off", Context::User, "Logs each query's execution plan."),
    p("debug_print_rewritten", Kind::Bool, Unit::None, "off", Context::User, "Logs each query's rewritten parse tree."),
    p("default_statistics_target", Kind::Int(1, 10000), Unit::None, "100", Context::User, "Sets the default statistics target."),
    p("default_table_access_method", Kind::Text, Unit::None, "heap", Context::User, "Sets the default table access method for new tables."),
    p("default_tablespace", Kind::Text, Unit::None, "", Context::User, "Sets the default tablespace to create tables and indexes in."),
    p("default_text_search_config", Kind::Text, Unit::None, "pg_catalog.simple", Context::User, "Sets default text search configuration."),
    p("default_toast_compression", Kind::Enum(&["pglz", "lz4"]), Unit::None, "pglz", Context::User, "Sets the default compression method for compressible values."),
    p("default_transaction_deferrable", Kind::Bool, Unit::None, "off", Context::User, "Sets the default deferrable status of new transactions."),
    p("default_transaction_isolation", Kind::Enum(&["serializable", "repeatable read", "read committed", "read uncommitted"]), Unit::None, "read committed", Context::User, "Sets the transaction isolation level of each new transaction."),
    p("default_transaction_read_only", Kind::Bool, Unit::None, "off", Context::User, "Sets the default read-only status of new transactions."),
    p("dynamic_library_path", Kind::Text, Unit::None, "$libdir", Context::User, "Sets the path for dynamically loadable modules."),
    p("effective_cache_size", Kind::Int(1, 2147483647), Unit::Kb8, "524288", Context::User, "Sets the planner's assumption about the total size of the data caches."),
    p("effective_io_concurrency", Kind::Int(0, 1000), Unit::None, "1", Context::User, "Number of simultaneous requests that can be handled efficiently by the disk subsystem."),
    p("enable_async_append", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of async append plans."),
    p("enable_bitmapscan", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of bitmap-scan plans."),
    p("enable_gathermerge", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of gather merge plans."),
    p("enable_hashagg", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of hashed aggregation plans."),
    p("enable_hashjoin", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of hash join plans."),
    p("enable_incremental_sort", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of incremental sort steps."),
    p("enable_indexonlyscan", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of index-only-scan plans."),
    p("enable_indexscan", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of index-scan plans."),
    p("enable_material", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of materialization."),
    p("enable_memoize", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of memoization."),
    p("enable_mergejoin", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of merge join plans."),
    p("enable_nestloop", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of nested-loop join plans."),
    p("enable_parallel_append", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of parallel append plans."),
    p("enable_parallel_hash", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of parallel hash plans."),
    p("enable_partition_pruning", Kind::Bool, Unit::None, "on", Context::User, "Enables plan-time and execution-time partition pruning."),
    p("enable_partitionwise_aggregate", Kind::Bool, Unit::None, "off", Context::User, "Enables partitionwise aggregation and grouping."),
    p("enable_partitionwise_join", Kind::Bool, Unit::None, "off", Context::User, "Enables partitionwise join."),
    p("enable_seqscan", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of sequential-scan plans."),
    p("enable_sort", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of explicit sort steps."),
    p("enable_tidscan", Kind::Bool, Unit::None, "on", Context::User, "Enables the planner's use of TID scan plans."),
    p("escape_string_warning", Kind::Bool, Unit::None, "on", Context::User, "Warn about backslash escapes in ordinary string literals."),
    p("exit_on_error", Kind::Bool, Unit::None, "off", Context::User, "Terminate session on any error."),
    p("extension_destdir", Kind::Text, Unit::None, "", Context::User, "Path to prepend for extension loading."),
    p("extra_float_digits", Kind::Int(-15, 3), Unit::None, "1", Context::User, "Sets the number of digits displayed for floating-point values."),
    p("force_parallel_mode", Kind::Enum(&["off", "on", "regress"]), Unit::None, "off", Context::User, "Forces use of parallel query facilities."),
    p("from_collapse_limit", Kind::Int(1, 2147483647), Unit::None, "8", Context::User, "Sets the FROM-list size beyond which subqueries are not collapsed."),
    p("fsync", Kind::Bool, Unit::None, "on", Context::Sighup, "Forces synchronization of updates to disk."),
    p("full_page_writes", Kind::Bool, Unit::None, "on", Context::Sighup, "Writes full pages to WAL when first modified after a checkpoint."),
    p("geqo", Kind::Bool, Unit::None, "on", Context::User, "Enables genetic query optimization."),
    p("geqo_effort", Kind::Int(1, 10), Unit::None, "5", Context::User, "GEQO: effort is used to set the default for other GEQO parameters."),
    p("geqo_generations", Kind::Int(0, 2147483647), Unit::None, "0", Context::User, "GEQO: number of iterations of the algorithm."),
    p("geqo_pool_size", Kind::Int(0, 2147483647), Unit::None, "0", Context::User, "GEQO: number of individuals in the population."),
    p("geqo_seed", Kind::Real(0.0, 1.0), Unit::None, "0", Context::User, "GEQO: seed for random path selection."),
    p("geqo_selection_bias", Kind::Real(1.5, 2.0), Unit::None, "2", Context::User, "GEQO: selective pressure within the population."),
    p("geqo_threshold", Kind::Int(2, 2147483647), Unit::None, "12", Context::User, "Sets the threshold of FROM items beyond which GEQO is used."),
    p("gin_fuzzy_search_limit", Kind::Int(0, 2147483647), Unit::None, "0", Context::User, "Sets the maximum allowed result for exact search by GIN."),
    p("gin_pending_list_limit", Kind::Int(64, 2147483647), Unit::Kb, "4096", Context::User, "Sets the maximum size of the pending list for GIN index."),
    p("hash_mem_multiplier", Kind::Real(1.0, 1000.0), Unit::None, "2", Context::User, "Multiple of work_mem to use for hash tables."),
    p("hot_standby", Kind::Bool, Unit::None, "on", Context::Postmaster, "Allows connections and queries during recovery."),
    p("huge_pages", Kind::Enum(&["off", "on", "try"]), Unit::None, "try", Context::Postmaster, "Use of huge pages on Linux or Windows."),
    p("idle_in_transaction_session_timeout", Kind::Int(0, 2147483647), Unit::Ms, "0", Context::User, "Sets the maximum allowed idle time between queries, when in a transaction."),
    p("idle_session_timeout", Kind::Int(0, 2147483647), Unit::Ms, "0", Context::User, "Sets the maximum allowed idle time between queries, when not in a transaction."),
    p("ignore_checksum_failure", Kind::Bool, Unit::None, "off", Context::User, "Continues processing after a checksum failure."),
    p("in_hot_standby", Kind::Bool, Unit::None, "off", Context::Internal, "Shows whether hot standby is currently active."),
    p("integer_datetimes", Kind::Bool, Unit::None, "on", Context::Internal, "Shows whether datetimes are integer based."),
    p("intervalstyle", Kind::Enum(&["postgres", "postgres_verbose", "sql_standard", "iso_8601"]), Unit::None, "postgres", Context::User, "Sets the display format for interval values."),
    p("is_superuser", Kind::Bool, Unit::None, "on", Context::Internal, "Shows whether the current user is a superuser."),
    p("jit", Kind::Bool, Unit::None, "on", Context::User, "Allow JIT compilation."),
    p("jit_above_cost", Kind::Real(-1.0, f64::MAX), Unit::None, "100000", Context::User, "Perform JIT compilation if query is more expensive."),
    p("jit_dump_bitcode", Kind::Bool, Unit::None, "off", Context::User, "Write out LLVM bitcode to facilitate JIT debugging."),
    p("jit_expressions", Kind::Bool, Unit::None, "on", Context::User, "Allow JIT compilation of expressions."),
    p("jit_inline_above_cost", Kind::Real(-1.0, f64::MAX), Unit::None, "500000", Context::User, "Perform JIT inlining if query is more expensive."),
    p("jit_optimize_above_cost", Kind::Real(-1.0, f64::MAX), Unit::None, "500000", Context::User, "Optimize JIT-compiled functions if query is more expensive."),
    p("jit_tuple_deforming", Kind::Bool, Unit::None, "on", Context::User, "Allow JIT compilation of tuple deforming."),
    p("join_collapse_limit", Kind::Int(1, 2147483647), Unit::None, "8", Context::User, "Sets the FROM-list size beyond which JOIN constructs are not flattened."),
    p("lc_collate", Kind::Text, Unit::None, "C.UTF-8", Context::Internal, "Shows the collation order locale."),
    p("lc_ctype", Kind::Text, Unit::None, "C.UTF-8", Context::Internal, "Shows the character classification and case conversion locale."),
    p("lc_messages", Kind::Text, Unit::None, "C.UTF-8", Context::User, "Sets the language in which messages are displayed."),
    p("lc_monetary", Kind::Text, Unit::None, "C.UTF-8", Context::User, "Sets the locale for formatting monetary amounts."),
    p("lc_numeric", Kind::Text, Unit::None, "C.UTF-8", Context::User, "Sets the locale for formatting numbers."),
    p("lc_time", Kind::Text, Unit::None, "C.UTF-8", Context::User, "Sets the locale for formatting date and time values."),
    p("lo_compat_privileges", Kind::Bool, Unit::None, "off", Context::User, "Enables backward compatibility mode for privilege checks on large objects."),
    p("local_preload_libraries", Kind::Text, Unit::None, "", Context::User, "Lists unprivileged shared libraries to preload into each backend."),
    p("lock_timeout", Kind::Int(0, 2147483647), Unit::Ms, "0", Context::User, "Sets the maximum allowed duration of any wait for a lock."),
    p("log_duration", Kind::Bool, Unit::None, "off", Context::User, "Logs the duration of each completed SQL statement."),
    p("log_error_verbosity", Kind::Enum(&["terse", "default", "verbose"]), Unit::None, "default", Context::User, "Sets the verbosity of logged messages."),
    p("log_executor_stats", Kind::Bool, Unit::None, "off", Context::User, "Writes executor performance statistics to the server log."),
    p("log_lock_waits", Kind::Bool, Unit::None, "off", Context::User, "Logs long lock waits."),
    p("log_min_duration_sample", Kind::Int(-1, 2147483647), Unit::Ms, "-1", Context::User, "Sets the minimum execution time above which a sample of statements will be logged. Sampling is determined by log_statement_sample_rate."),
    p("log_min_duration_statement", Kind::Int(-1, 2147483647), Unit::Ms, "-1", Context::User, "Sets the minimum execution time above which all statements will be logged."),
    p("log_min_error_statement", Kind::Enum(&["debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"]), Unit::None, "error", Context::User, "Causes all statements generating error at or above this level to be logged."),
    p("log_min_messages", Kind::Enum(&["debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"]), Unit::None, "warning", Context::User, "Sets the message levels that are logged."),
    p("log_parameter_max_length", Kind::Int(-1, 1073741823), Unit::B, "-1", Context::User, "Sets the maximum length in bytes of data logged for bind parameter values when logging statements."),
    p("log_parameter_max_length_on_error", Kind::Int(-1, 1073741823), Unit::B, "0", Context::User, "Sets the maximum length in bytes of data logged for bind parameter values when logging statements, on error."),
    p("log_parser_stats", Kind::Bool, Unit::None, "off", Context::User, "Writes parser performance statistics to the server log."),
    p("log_planner_stats", Kind::Bool, Unit::None, "off", Context::User, "Writes planner performance statistics to the server log."),
    p("log_replication_commands", Kind::Bool, Unit::None, "off", Context::User, "Logs each replication command."),
    p("log_statement", Kind::Enum(&["none", "ddl", "mod", "all"]), Unit::None, "none", Context::User, "Sets the type of statements logged."),
    p("log_statement_sample_rate", Kind::Real(0.0, 1.0), Unit::None, "1", Context::User, "Fraction of statements exceeding log_min_duration_sample to be logged."),
    p("log_statement_stats", Kind::Bool, Unit::None, "off", Context::User, "Writes cumulative performance statistics to the server log."),
    p("log_temp_files", Kind::Int(-1, 2147483647), Unit::Kb, "-1", Context::User, "Log the use of temporary files larger than this number of kilobytes."),
    p("log_timezone", Kind::Text, Unit::None, "UTC", Context::Sighup, "Sets the time zone to use in log messages."),
    p("log_transaction_sample_rate", Kind::Real(0.0, 1.0), Unit::None, "0", Context::User, "Sets the fraction of transactions from which to log all statements."),
    p("logical_decoding_work_mem", Kind::Int(64, 2147483647), Unit::Kb, "65536", Context::User, "Sets the maximum memory to be used for logical decoding."),
    p("maintenance_io_concurrency", Kind::Int(0, 1000), Unit::None, "10", Context::User, "A variant of effective_io_concurrency that is used for maintenance work."),
    p("maintenance_work_mem", Kind::Int(1024, 2147483647), Unit::Kb, "65536", Context::User, "Sets the maximum memory to be used for maintenance operations."),
    p("max_connections", Kind::Int(1, 262143), Unit::None, "100", Context::Postmaster, "Sets the maximum number of concurrent connections."),
    p("max_function_args", Kind::Int(100, 100), Unit::None, "100", Context::Internal, "Shows the maximum number of function arguments."),
    p("max_identifier_length", Kind::Int(63, 63), Unit::None, "63", Context::Internal, "Shows the maximum identifier length."),
    p("max_index_keys", Kind::Int(32, 32), Unit::None, "32", Context::Internal, "Shows the maximum number of index keys."),
    p("max_locks_per_transaction", Kind::Int(10, 2147483647), Unit::None, "64", Context::Postmaster, "Sets the maximum number of locks per transaction."),
    p("max_parallel_maintenance_workers", Kind::Int(0, 1024), Unit::None, "2", Context::User, "Sets the maximum number of parallel processes per maintenance operation."),
    p("max_parallel_workers", Kind::Int(0, 1024), Unit::None, "8", Context::User, "Sets the maximum number of parallel workers that can be active at one time."),
    p("max_parallel_workers_per_gather", Kind::Int(0, 1024), Unit::None, "2", Context::User, "Sets the maximum number of parallel processes per executor node."),
    p("max_prepared_transactions", Kind::Int(0, 262143), Unit::None, "0", Context::Postmaster, "Sets the maximum number of simultaneously prepared transactions."),
    p("max_stack_depth", Kind::Int(100, 2147483647), Unit::Kb, "100", Context::User, "Sets the maximum stack depth, in kilobytes."),
    p("max_wal_size", Kind::Int(2, 2147483647), Unit::Mb, "1024", Context::Sighup, "Sets the WAL size that triggers a checkpoint."),
    p("max_worker_processes", Kind::Int(0, 262143), Unit::None, "8", Context::Postmaster, "Maximum number of concurrent worker processes."),
    p("min_parallel_index_scan_size", Kind::Int(0, 715827882), Unit::Kb8, "64", Context::User, "Sets the minimum amount of index data for a parallel scan."),
    p("min_parallel_table_scan_size", Kind::Int(0, 715827882), Unit::Kb8, "1024", Context::User, "Sets the minimum amount of table data for a parallel scan."),
    p("parallel_leader_participation", Kind::Bool, Unit::None, "on", Context::User, "Controls whether Gather and Gather Merge also run subplans."),
    p("parallel_setup_cost", Kind::Real(0.0, f64::MAX), Unit::None, "1000", Context::User, "Sets the planner's estimate of the cost of starting up worker processes for parallel query."),
    p("parallel_tuple_cost", Kind::Real(0.0, f64::MAX), Unit::None, "0.1", Context::User, "Sets the planner's estimate of the cost of passing each tuple (row) from worker to leader backend."),
    p("password_encryption", Kind::Enum(&["md5", "scram-sha-256"]), Unit::None, "scram-sha-256", Context::User, "Chooses the algorithm for encrypting passwords."),
    p("plan_cache_mode", Kind::Enum(&["auto", "force_generic_plan", "force_custom_plan"]), Unit::None, "auto", Context::User, "Controls the planner's selection of custom or generic plan."),
    p("quote_all_identifiers", Kind::Bool, Unit::None, "off", Context::User, "When generating SQL fragments, quote all identifiers."),
    p("random_page_cost", Kind::Real(0.0, f64::MAX), Unit::None, "4", Context::User, "Sets the planner's estimate of the cost of a nonsequentially fetched disk page."),
    p("recursive_worktable_factor", Kind::Real(0.001, 1000000.0), Unit::None, "10", Context::User, "Sets the planner's estimate of the average size of a recursive query's working table."),
    p("restrict_nonsystem_relation_kind", Kind::Text, Unit::None, "", Context::User, "Prohibits access to non-system relations of specified kinds."),
    p("row_security", Kind::Bool, Unit::None, "on", Context::User, "Enable row security."),
    p("search_path", Kind::Text, Unit::None, "\"$user\", public", Context::User, "Sets the schema search order for names that are not schema-qualified."),
    p("segment_size", Kind::Int(131072, 131072), Unit::Kb8, "131072", Context::Internal, "Shows the number of pages per disk file."),
    p("seq_page_cost", Kind::Real(0.0, f64::MAX), Unit::None, "1", Context::User, "Sets the planner's estimate of the cost of a sequentially fetched disk page."),
    p("server_encoding", Kind::Text, Unit::None, "UTF8", Context::Internal, "Shows the server (database) character set encoding."),
    p("server_version", Kind::Text, Unit::None, SERVER_VERSION, Context::Internal, "Shows the server version."),
    p("server_version_num", Kind::Int(150018, 150018), Unit::None, "150000", Context::Internal, "Shows the server version as an integer."),
    p("session_authorization", Kind::Text, Unit::None, "postgres", Context::User, "Sets the session user name."),
    p("session_preload_libraries", Kind::Text, Unit::None, "", Context::User, "Lists shared libraries to preload into each backend."),
    p("session_replication_role", Kind::Enum(&["origin", "replica", "local"]), Unit::None, "origin", Context::User, "Sets the session's behavior for triggers and rewrite rules."),
    p("shared_buffers", Kind::Int(16, 1073741823), Unit::Kb8, "16384", Context::Postmaster, "Sets the number of shared memory buffers used by the server."),
    p("shared_memory_type", Kind::Enum(&["sysv", "mmap"]), Unit::None, "mmap", Context::Postmaster, "Selects the shared memory implementation used for the main shared memory region."),
    p("ssl", Kind::Bool, Unit::None, "off", Context::Sighup, "Enables SSL connections."),
    p("standard_conforming_strings", Kind::Bool, Unit::None, "on", Context::User, "Causes '...' strings to treat backslashes literally."),
    p("statement_timeout", Kind::Int(0, 2147483647), Unit::Ms, "0", Context::User, "Sets the maximum allowed duration of any statement."),
    p("stats_fetch_consistency", Kind::Enum(&["none", "cache", "snapshot"]), Unit::None, "cache", Context::User, "Sets the consistency of accesses to statistics data."),
    p("superuser_reserved_connections", Kind::Int(0, 262143), Unit::None, "3", Context::Postmaster, "Sets the number of connection slots reserved for superusers."),
    p("synchronize_seqscans", Kind::Bool, Unit::None, "on", Context::User, "Enable synchronized sequential scans."),
    p("synchronous_commit", Kind::Enum(&["local", "remote_write", "remote_apply", "on", "off"]), Unit::None, "on", Context::User, "Sets the current transaction's synchronization level."),
    p("tcp_keepalives_count", Kind::Int(0, 2147483647), Unit::None, "0", Context::User, "Maximum number of TCP keepalive retransmits."),
    p("tcp_keepalives_idle", Kind::Int(0, 2147483647), Unit::S, "0", Context::User, "Time between issuing TCP keepalives."),
    p("tcp_keepalives_interval", Kind::Int(0, 2147483647), Unit::S, "0", Context::User, "Time between TCP keepalive retransmits."),
    p("tcp_user_timeout", Kind::Int(0, 2147483647), Unit::Ms, "0", Context::User, "TCP user timeout."),
    p("temp_buffers", Kind::Int(100, 1073741823), Unit::Kb8, "1024", Context::User, "Sets the maximum number of temporary buffers used by each session."),
    p("temp_file_limit", Kind::Int(-1, 2147483647), Unit::Kb, "-1", Context::User, "Limits the total size of all temporary files used by each process."),
    p("temp_tablespaces", Kind::Text, Unit::None, "", Context::User, "Sets the tablespace(s) to use for temporary tables and sort files."),
    p("timezone", Kind::Text, Unit::None, "UTC", Context::User, "Sets the time zone for displaying and interpreting time stamps."),
    p("timezone_abbreviations", Kind::Text, Unit::None, "", Context::User, "Selects a file of time zone abbreviations."),
    p("trace_notify", Kind::Bool, Unit::None, "off", Context::User, "Generates debugging output for LISTEN and NOTIFY."),
    p("trace_sort", Kind::Bool, Unit::None, "off", Context::User, "Emit information about resource usage in sorting."),
    p("track_activities", Kind::Bool, Unit::None, "on", Context::User, "Collects information about executing commands."),
    p("track_counts", Kind::Bool, Unit::None, "on", Context::User, "Collects statistics on database activity."),
    p("track_functions", Kind::Enum(&["none", "pl", "all"]), Unit::None, "none", Context::User, "Collects function-level statistics on database activity."),
    p("track_io_timing", Kind::Bool, Unit::None, "off", Context::User, "Collects timing statistics for database I/O activity."),
    p("track_wal_io_timing", Kind::Bool, Unit::None, "off", Context::User, "Collects timing statistics for WAL I/O activity."),
    p("transaction_deferrable", Kind::Bool, Unit::None, "off", Context::User, "Whether to defer a read-only serializable transaction until it can be executed with no possible serialization failures."),
    p("transaction_isolation", Kind::Enum(&["serializable", "repeatable read", "read committed", "read uncommitted"]), Unit::None, "read committed", Context::User, "Sets the current transaction's isolation level."),
    p("transaction_read_only", Kind::Bool, Unit::None, "off", Context::User, "Sets the current transaction's read-only status."),
    p("transform_null_equals", Kind::Bool, Unit::None, "off", Context::User, "Treats \"expr=NULL\" as \"expr IS NULL\"."),
    p("update_process_title", Kind::Bool, Unit::None, "on", Context::User, "Updates the process title to show the active SQL command."),
    p("vacuum_cost_delay", Kind::Real(0.0, 100.0), Unit::Ms, "0", Context::User, "Vacuum cost delay in milliseconds."),
    p("vacuum_cost_limit", Kind::Int(1, 10000), Unit::None, "200", Context::User, "Vacuum cost amount available before napping."),
    p("vacuum_cost_page_dirty", Kind::Int(0, 10000), Unit::None, "20", Context::User, "Vacuum cost for a page dirtied by vacuum."),
    p("vacuum_cost_page_hit", Kind::Int(0, 10000), Unit::None, "1", Context::User, "Vacuum cost for a page found in the buffer cache."),
    p("vacuum_cost_page_miss", Kind::Int(0, 10000), Unit::None, "2", Context::User, "Vacuum cost for a page not found in the buffer cache."),
    p("vacuum_failsafe_age", Kind::Int(0, 2100000000), Unit::None, "1600000000", Context::User, "Age at which VACUUM should trigger failsafe to avoid a wraparound outage."),
    p("vacuum_freeze_min_age", Kind::Int(0, 1000000000), Unit::None, "50000000", Context::User, "Minimum age at which VACUUM should freeze a table row."),
    p("vacuum_freeze_table_age", Kind::Int(0, 2000000000), Unit::None, "150000000", Context::User, "Age at which VACUUM should scan whole table to freeze tuples."),
    p("vacuum_multixact_failsafe_age", Kind::Int(0, 2100000000), Unit::None, "1600000000", Context::User, "Multixact age at which VACUUM should trigger failsafe to avoid a wraparound outage."),
    p("vacuum_multixact_freeze_min_age", Kind::Int(0, 1000000000), Unit::None, "5000000", Context::User, "Minimum age at which VACUUM should freeze a MultiXactId in a table row."),
    p("vacuum_multixact_freeze_table_age", Kind::Int(0, 2000000000), Unit::None, "150000000", Context::User, "Multixact age at which VACUUM should scan whole table to freeze tuples."),
    p("wal_block_size", Kind::Int(8192, 8192), Unit::None, "8192", Context::Internal, "Shows the block size in the write ahead log."),
    p("wal_buffers", Kind::Int(-1, 262143), Unit::Kb8, "512", Context::Postmaster, "Sets the number of disk-page buffers in shared memory for WAL."),
    p("wal_compression", Kind::Enum(&["pglz", "lz4", "zstd", "on", "off"]), Unit::None, "off", Context::User, "Compresses full-page writes written in WAL file with specified method."),
    p("wal_consistency_checking", Kind::Text, Unit::None, "", Context::User, "Sets the WAL resource managers for which WAL consistency checks are done."),
    p("wal_init_zero", Kind::Bool, Unit::None, "on", Context::User, "Writes zeroes to new WAL files before first use."),
    p("wal_level", Kind::Enum(&["minimal", "replica", "logical"]), Unit::None, "replica", Context::Postmaster, "Sets the level of information written to the WAL."),
    p("wal_recycle", Kind::Bool, Unit::None, "on", Context::User, "Recycles WAL files by renaming them."),
    p("wal_segment_size", Kind::Int(1048576, 1073741824), Unit::B, "16777216", Context::Internal, "Shows the size of write ahead log segments."),
    p("wal_sender_timeout", Kind::Int(0, 2147483647), Unit::Ms, "60000", Context::User, "Sets the maximum time to wait for WAL replication."),
    p("wal_skip_threshold", Kind::Int(0, 2147483647), Unit::Kb, "2048", Context::User, "Minimum size of new file to fsync instead of writing WAL."),
    p("work_mem", Kind::Int(64, 2147483647), Unit::Kb, "4096", Context::User, "Sets the maximum memory to be used for query workspaces."),
    p("xmlbinary", Kind::Enum(&["base64", "hex"]), Unit::None, "base64", Context::User, "Sets how binary values are to be encoded in XML."),
    p("xmloption", Kind::Enum(&["content", "document"]), Unit::None, "content", Context::User, "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments."),
    p("zero_damaged_pages", Kind::Bool, Unit::None, "off", Context::User, "Continues processing past damaged page headers."),
];

#[cfg(test)]
mod tests {
    #[test]
    fn sorted_by_name() {
        let names: Vec<&str> = super::PARAMETERS.iter().map(|p| p.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
