//! Bad input against a running server on a real disk store: thousands of random and mutated
//! SQL statements over one client connection, then hundreds of connections sending random and
//! mutated protocol messages (before and after startup, with lying lengths and unknown types).
//! Afterwards the server must still answer, and a table written before the onslaught must hold
//! exactly what it held. Errors are expected; panics, hangs and lost data are failures.
//!
//! `VDB_BAD_INPUT_SEED` replays a run (the seed is printed).

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{DiskStore, DiskStoreOptions};
use vdb_wire::{Database, Server, ServerConfig};

const SQL_STATEMENTS: usize = 3000;
const PROTOCOL_CONNECTIONS: usize = 400;

/// Statements the SQL mutations start from. None names the `known` table, none takes a size
/// argument a mutation could turn into a huge allocation.
const SEEDS: &[&str] = &[
    "CREATE TABLE fz (a INT PRIMARY KEY, b TEXT, c FLOAT8)",
    "INSERT INTO fz VALUES (1, 'one', 1.5), (2, 'two', NULL)",
    "INSERT INTO fz VALUES (3, 'x', 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b",
    "UPDATE fz SET b = b || '!' WHERE a > 1 RETURNING a, b",
    "DELETE FROM fz WHERE c IS NULL",
    "SELECT a, b, count(*) OVER () FROM fz WHERE b LIKE 'o%' ORDER BY a DESC LIMIT 3",
    "SELECT x.a, y.b FROM fz x JOIN fz y ON x.a = y.a + 1 GROUP BY x.a, y.b HAVING count(*) > 0",
    "WITH w AS (SELECT a FROM fz) SELECT * FROM w WHERE a IN (SELECT a FROM fz WHERE a < 3)",
    "SELECT CAST('12' AS INT) + 1, 'a' || NULL, coalesce(NULL, 2), 7 / 2, -3 % 2",
    "SELECT CASE WHEN a = 1 THEN 'x' ELSE b END FROM fz UNION ALL SELECT 'y'",
    "BEGIN; INSERT INTO fz VALUES (9, 'nine', 9); SAVEPOINT s; DELETE FROM fz; ROLLBACK TO s; COMMIT",
    "ALTER TABLE fz ADD COLUMN d DATE",
    "CREATE INDEX fz_b ON fz (b)",
    "SELECT * FROM information_schema.columns WHERE table_name = 'fz'",
    "SELECT '2024-01-02'::date, '1 day'::interval, 'abc'::bytea, '{1,2}'::int[]",
    "SET search_path = public; SHOW search_path",
    "DROP TABLE IF EXISTS fz2",
    "CREATE TABLE fz2 (id SERIAL PRIMARY KEY, j JSONB, u UUID)",
];

/// Words and symbols a mutation may insert.
const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "(",
    ")",
    ",",
    "'",
    "\"",
    ";",
    "NULL",
    "*",
    "::",
    "JOIN",
    "ON",
    "ORDER BY",
    "GROUP BY",
    "UNION",
    "INSERT",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "--",
    "/*",
    "*/",
    "$1",
    "E'\\x'",
    "\u{1F600}",
    "\0",
    "NOT",
    "IN",
    "CAST(",
    "AS",
    "TEXT",
    "INT",
    "[",
    "]",
    "||",
    "=",
    "<>",
    "fz",
    "a",
    "b",
    "-",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_survives_bad_sql_and_bad_messages() {
    let seed = std::env::var("VDB_BAD_INPUT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("bad input: VDB_BAD_INPUT_SEED={seed}");
    let mut rng = SplitMix(seed);
    let dir = tempfile::tempdir().unwrap();
    let addr = start(dir.path()).await;

    let client = connect(addr).await;
    client
        .batch_execute(
            "CREATE TABLE known (k INT PRIMARY KEY, v TEXT NOT NULL); \
             INSERT INTO known SELECT g, 'value ' || g FROM generate_series(1, 500) g",
        )
        .await
        .unwrap();
    let before = fingerprint(&client).await;

    let mut errors = 0;
    let client = connect(addr).await;
    for _ in 0..SQL_STATEMENTS {
        let sql = random_sql(&mut rng);
        if sql.to_lowercase().contains("known") {
            continue;
        }
        if client.simple_query(&sql).await.is_err() {
            errors += 1;
        }
        assert!(
            !client.is_closed(),
            "the server closed the connection after: {sql:?}"
        );
    }
    eprintln!("bad input: {SQL_STATEMENTS} statements, {errors} errors");

    for _ in 0..PROTOCOL_CONNECTIONS {
        let bytes = random_messages(&mut rng);
        send_raw(addr, &bytes).await;
    }

    let client = connect(addr).await;
    let rows = client.simple_query("SELECT 1").await.unwrap();
    assert!(rows
        .iter()
        .any(|m| matches!(m, SimpleQueryMessage::Row(r) if r.get(0) == Some("1"))));
    assert_eq!(fingerprint(&client).await, before);
}

async fn start(dir: &std::path::Path) -> SocketAddr {
    let store = Arc::new(DiskStore::open(dir, DiskStoreOptions::default()).unwrap());
    let repo = Repository::init(store, "main", &Signature::new("t", "t@example.com", 0)).unwrap();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), 100);
    let databases = vec![Database {
        name: "db".into(),
        repo: Arc::new(repo),
    }];
    let server = Server::bind(&config, databases).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

async fn connect(addr: SocketAddr) -> Client {
    let config = format!("host={} port={} user=t dbname=db", addr.ip(), addr.port());
    let (client, connection) = tokio_postgres::connect(&config, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The `known` table's whole content, as one string.
async fn fingerprint(client: &Client) -> String {
    let rows = client
        .simple_query("SELECT count(*), string_agg(k || '=' || v, ',' ORDER BY k) FROM known")
        .await
        .unwrap();
    let row = rows.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    let row = row.expect("a row");
    format!("{:?} {:?}", row.get(0), row.get(1))
}

/// A seed statement with 1–4 mutations, or (one time in ten) a soup of tokens.
fn random_sql(rng: &mut SplitMix) -> String {
    if rng.below(10) == 0 {
        let n = 1 + rng.below(12);
        return (0..n)
            .map(|_| TOKENS[rng.below(TOKENS.len())])
            .collect::<Vec<_>>()
            .join(" ");
    }
    let mut sql: Vec<char> = SEEDS[rng.below(SEEDS.len())].chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(sql.len() + 1);
        match rng.below(5) {
            0 if at < sql.len() => {
                sql.remove(at);
            }
            1 if at < sql.len() => sql.truncate(at),
            2 => {
                sql.splice(at..at, TOKENS[rng.below(TOKENS.len())].chars());
            }
            3 => {
                let other: Vec<char> = SEEDS[rng.below(SEEDS.len())].chars().collect();
                let from = rng.below(other.len());
                sql.splice(at..at, other[from..].iter().copied());
            }
            _ if at < sql.len() => {
                let c = sql[at];
                if !c.is_ascii_digit() {
                    sql[at] = char::from(b"(),;'\" *=x"[rng.below(10)]);
                }
            }
            _ => {}
        }
    }
    sql.into_iter().collect()
}

/// Bytes for one raw connection: sometimes a startup message first, then messages that are
/// random, valid but mutated, or lying about their length.
fn random_messages(rng: &mut SplitMix) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.below(4) != 0 {
        out.extend(startup());
    }
    for _ in 0..1 + rng.below(6) {
        let mut message = match rng.below(4) {
            0 => frame(b'Q', b"SELECT 1\0"),
            1 => frame(b'P', b"s\0SELECT $1::int\0\0\x01\0\0\0\x17"),
            2 => frame(b'B', b"\0s\0\0\x01\0\x01\0\x01\0\0\0\x04\0\0\0\x07\0\0"),
            _ => {
                let len = rng.below(40);
                let body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                frame(rng.next() as u8, &body)
            }
        };
        for _ in 0..rng.below(4) {
            let at = rng.below(message.len());
            message[at] = rng.next() as u8;
        }
        out.extend(message);
    }
    if rng.below(2) == 0 {
        out.extend(frame(b'S', b""));
    }
    out
}

/// A startup message for user `t`, database `db`.
fn startup() -> Vec<u8> {
    let body = b"\0\x03\0\0user\0t\0database\0db\0\0";
    let mut out = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// A regular message: type byte, u32 BE length (itself included), body.
fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend(((body.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Sends `bytes` on a new connection, closes the writing side, and reads until the server
/// closes (whatever it answers).
async fn send_raw(addr: SocketAddr, bytes: &[u8]) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may close first (on a bad startup), which makes later writes fail: fine.
    let _ = stream.write_all(bytes).await;
    let _ = stream.shutdown().await;
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink).await;
}

/// SplitMix64, seedable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
