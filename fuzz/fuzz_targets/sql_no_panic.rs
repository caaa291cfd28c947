//! SQL never panics: the input, as text, runs statement by statement in a session over a fresh
//! in-memory repository that already holds a small table. Errors are expected; a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_sql::Session;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    // Bound the work one input can ask for (generate_series, repeat): the target looks for
    // panics, not for slow queries.
    if sql.len() > 2000 || sql.bytes().filter(u8::is_ascii_digit).count() > 24 {
        return;
    }
    let signature = Signature::new("fuzz", "fuzz@vdb.invalid", 0);
    let repo = Repository::init(Arc::new(MemoryStore::new()), "main", &signature).unwrap();
    let mut session = Session::new(Arc::new(repo), "main");
    session
        .execute("CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c FLOAT8); INSERT INTO t VALUES (1, 'x', 1.5), (2, NULL, 2)")
        .unwrap();
    let _ = session.execute_script(sql);
});
