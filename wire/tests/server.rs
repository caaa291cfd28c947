//! The server against a real Rust client (tokio-postgres) over a real socket: startup and
//! database selection, the simple and extended protocols, parameters in text and binary,
//! errors with SQLSTATE, notices, transaction status, many connections, and malformed input.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::types::Type as PgType;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_wire::{Database, Server, ServerConfig};

/// Starts a server on an ephemeral port over a fresh in-memory repository named `db` (with a
/// second branch `dev`), and returns its address.
async fn start(max_connections: usize) -> SocketAddr {
    let repo = Repository::init(
        Arc::new(MemoryStore::new()),
        "main",
        &Signature::new("t", "t@example.com", 0),
    )
    .unwrap();
    repo.branch_create("dev", "main", false).unwrap();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), max_connections);
    let databases = vec![Database {
        name: "db".into(),
        repo: Arc::new(repo),
    }];
    let server = Server::bind(&config, databases).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

async fn connect(addr: SocketAddr, database: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(
        &format!(
            "host={} port={} user=tester dbname={database}",
            addr.ip(),
            addr.port()
        ),
        NoTls,
    )
    .await?;
    tokio::spawn(connection);
    Ok(client)
}

fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_default()
}

async fn setup(client: &Client) {
    client
        .batch_execute(
            "CREATE TABLE labels (id bigint PRIMARY KEY, text text, label int, score double precision);
             INSERT INTO labels VALUES (1, 'cat', 0, 0.25), (2, 'dog', 1, 0.5), (3, NULL, NULL, NULL);",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn simple_queries_return_rows_tags_and_errors() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    setup(&client).await;
    let messages = client
        .simple_query(
            "SELECT id, text FROM labels ORDER BY id; UPDATE labels SET label = 2 WHERE id > 1",
        )
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>)> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((r.get(0).unwrap().to_string(), r.get(1).map(String::from)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("1".into(), Some("cat".into())),
            ("2".into(), Some("dog".into())),
            ("3".into(), None)
        ]
    );
    let counts: Vec<u64> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(counts, vec![3, 2]);

    // A multi-statement string stops at the first error: the third statement never runs.
    let err = client
        .simple_query("INSERT INTO labels VALUES (9, 'x', 0, 0); SELECT 1/0; INSERT INTO labels VALUES (10, 'y', 0, 0)")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22012");
    let n: i64 = client
        .query_one("SELECT count(*) FROM labels WHERE id >= 9", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        n, 0,
        "the statements of one query string run as one implicit transaction"
    );

    let err = client.simple_query("SELEC 1").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42601");
    let db_err = err.as_db_error().unwrap();
    assert_eq!(db_err.message(), "syntax error at or near \"SELEC\"");
    assert!(db_err.position().is_some());
    let err = client.simple_query("SELECT * FROM nope").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
}

#[tokio::test]
async fn extended_protocol_binds_typed_and_inferred_parameters() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    setup(&client).await;

    // Parameter types are inferred from context (tokio-postgres sends none and asks).
    let statement = client
        .prepare("SELECT text, score FROM labels WHERE id = $1 AND label = $2")
        .await
        .unwrap();
    assert_eq!(statement.params(), &[PgType::INT8, PgType::INT4]);
    let columns: Vec<(&str, &PgType)> = statement
        .columns()
        .iter()
        .map(|c| (c.name(), c.type_()))
        .collect();
    assert_eq!(
        columns,
        vec![("text", &PgType::TEXT), ("score", &PgType::FLOAT8)]
    );
    // Binary parameters and binary results.
    let row = client.query_one(&statement, &[&2i64, &1i32]).await.unwrap();
    assert_eq!(row.get::<_, Option<&str>>(0), Some("dog"));
    assert_eq!(row.get::<_, Option<f64>>(1), Some(0.5));

    // LIMIT and OFFSET counts are parameters too (bigint, as PostgreSQL infers them).
    let statement = client
        .prepare("SELECT id FROM labels ORDER BY id LIMIT $1 OFFSET $2")
        .await
        .unwrap();
    assert_eq!(statement.params(), &[PgType::INT8, PgType::INT8]);
    let ids: Vec<i64> = client
        .query(&statement, &[&1i64, &1i64])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [2]);

    // Writes through the extended protocol, with NULLs.
    let n = client
        .execute(
            "INSERT INTO labels VALUES ($1, $2, $3, $4)",
            &[&4i64, &"bird", &None::<i32>, &0.75f64],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let row = client
        .query_one(
            "SELECT text, label IS NULL FROM labels WHERE id = $1",
            &[&4i64],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "bird");
    assert!(row.get::<_, bool>(1));

    // An execution error is reported with its SQLSTATE and the connection stays usable.
    let err = client
        .execute("INSERT INTO labels VALUES ($1, 'again', 0, 0)", &[&4i64])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "23505");
    let err = client.prepare("SELECT nope FROM labels").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42703");
    let n: i64 = client
        .query_one("SELECT count(*) FROM labels", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 4);
}

#[tokio::test]
async fn transactions_report_their_status_and_roll_back() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    setup(&client).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .batch_execute("DELETE FROM labels WHERE id = 1")
        .await
        .unwrap();
    let err = client.batch_execute("SELECT 1/0").await.unwrap_err();
    assert_eq!(sqlstate(&err), "22012");
    let err = client.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02", "a failed block refuses statements");
    client.batch_execute("ROLLBACK").await.unwrap();
    let n: i64 = client
        .query_one("SELECT count(*) FROM labels", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3, "the rolled-back DELETE left nothing behind");

    // A committed transaction is seen by a new connection.
    let mut client = client;
    let txn = client.transaction().await.unwrap();
    txn.execute("DELETE FROM labels WHERE id = 3", &[])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let other = connect(addr, "db").await.unwrap();
    let n: i64 = other
        .query_one("SELECT count(*) FROM labels", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}

#[tokio::test]
async fn databases_and_branches_are_chosen_at_connect() {
    let addr = start(10).await;
    let err = connect(addr, "nope").await.err().unwrap();
    assert_eq!(sqlstate(&err), "3D000");
    let err = connect(addr, "db/no-such-branch").await.err().unwrap();
    assert_eq!(sqlstate(&err), "3D000");

    // A table created on `dev` is not on `main`.
    let dev = connect(addr, "db/dev").await.unwrap();
    dev.batch_execute("CREATE TABLE only_dev (id int PRIMARY KEY)")
        .await
        .unwrap();
    let main = connect(addr, "db/main").await.unwrap();
    let err = main
        .batch_execute("SELECT * FROM only_dev")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    dev.batch_execute("SELECT * FROM only_dev").await.unwrap();

    // `postgres` is the served repository under the name tools connect to by default.
    let pg = connect(addr, "postgres/dev").await.unwrap();
    pg.batch_execute("SELECT * FROM only_dev").await.unwrap();
    let name: String = pg
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "postgres/dev");
    let err = connect(addr, "postgres/no-such-branch")
        .await
        .err()
        .unwrap();
    assert_eq!(sqlstate(&err), "3D000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_connections_work_at_once_and_the_limit_is_enforced() {
    let addr = start(120).await;
    let setup_client = connect(addr, "db").await.unwrap();
    setup(&setup_client).await;
    let mut clients = Vec::new();
    for _ in 0..100 {
        clients.push(connect(addr, "db").await.unwrap());
    }
    let queries = clients.iter().enumerate().map(|(i, c)| async move {
        let id = i64::try_from(i % 3).unwrap() + 1;
        let row = c
            .query_one("SELECT id FROM labels WHERE id = $1", &[&id])
            .await
            .unwrap();
        row.get::<_, i64>(0) == id
    });
    let answers = futures::future::join_all(queries).await;
    assert!(answers.into_iter().all(|ok| ok));

    // 101 connections are open; 19 more fit, the next is refused with 53300.
    let mut extra = Vec::new();
    for _ in 0..19 {
        extra.push(connect(addr, "db").await.unwrap());
    }
    let err = connect(addr, "db").await.err().unwrap();
    assert_eq!(sqlstate(&err), "53300");
    drop(extra);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    connect(addr, "db")
        .await
        .expect("a closed connection frees its slot");
}

#[tokio::test]
async fn malformed_messages_close_one_connection_and_nothing_else() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    setup(&client).await;
    let garbage: [&[u8]; 4] = [
        b"\x00\x00\x00\x08\x04\xd2\x16\x2f", // SSLRequest-sized junk
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", // an absurd length
        b"\x00\x00\x00\x09\x00\x03\x00\x00\x00", // truncated startup
        b"Q\x00\x00\x00\x04",                // a query before startup
    ];
    for bytes in garbage {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        let _ = socket.write_all(bytes).await;
        let mut buf = [0u8; 256];
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(2), socket.read(&mut buf)).await;
    }
    // The established session and the data are intact.
    let n: i64 = client
        .query_one("SELECT count(*) FROM labels", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    connect(addr, "db")
        .await
        .expect("new connections are still accepted");
}

/// Logs in over a raw socket (trust auth) and reads up to the first ReadyForQuery.
async fn raw_session(addr: SocketAddr) -> TcpStream {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608_i32.to_be_bytes());
    for field in ["user", "t", "database", "db", ""] {
        body.extend_from_slice(field.as_bytes());
        body.push(0);
    }
    let mut startup = (i32::try_from(body.len()).unwrap() + 4)
        .to_be_bytes()
        .to_vec();
    startup.extend_from_slice(&body);
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(&startup).await.unwrap();
    let mut seen = Vec::new();
    while !seen.windows(6).any(|w| w == b"Z\x00\x00\x00\x05I") {
        let mut buf = [0u8; 1024];
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed the connection during startup");
        seen.extend_from_slice(&buf[..n]);
    }
    socket
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(socket: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.read_to_end(&mut answer),
    )
    .await
    .expect("the server closes the connection")
    .expect("read");
    answer
}

#[tokio::test]
async fn messages_whose_fields_overrun_them_get_fatal_08p01() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    setup(&client).await;
    let malformed: [&[u8]; 4] = [
        // Parse announcing 3 parameter types and carrying none.
        b"P\x00\x00\x00\x10\x00select 1\x00\x00\x03",
        // Bind with a 16-byte parameter value that is not there.
        b"B\x00\x00\x00\x10\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10ab",
        // Execute without its row limit.
        b"E\x00\x00\x00\x05\x00",
        // Describe of something that is neither a statement nor a portal.
        b"D\x00\x00\x00\x07Xs\x00",
    ];
    for bytes in malformed {
        let mut socket = raw_session(addr).await;
        socket.write_all(bytes).await.unwrap();
        let answer = read_to_close(&mut socket).await;
        assert_eq!(answer.first(), Some(&b'E'), "{bytes:?}: {answer:?}");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.contains("SFATAL\0"), "{text}");
        assert!(text.contains("C08P01\0"), "{text}");
        assert!(text.contains("Minvalid message format\0"), "{text}");
    }
    // A well-formed pipeline on a raw connection still works after them.
    let mut socket = raw_session(addr).await;
    socket
        .write_all(b"Q\x00\x00\x00\x0eselect 42\x00X\x00\x00\x00\x04")
        .await
        .unwrap();
    let answer = read_to_close(&mut socket).await;
    assert!(String::from_utf8_lossy(&answer).contains("42"));
    let n: i64 = client
        .query_one("SELECT count(*) FROM labels", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
}

/// The tags of the messages in `bytes`, a stream of backend messages.
fn message_tags(bytes: &[u8]) -> Vec<u8> {
    let mut tags = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 {
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        tags.push(rest[0]);
        rest = &rest[(1 + len).min(rest.len())..];
    }
    tags
}

/// An Execute's row limit: 0 and negative limits are "all rows", as in PostgreSQL, and so is
/// one far larger than any result (the server must not reserve room for two billion rows).
#[tokio::test]
async fn execute_row_limits_suspend_or_return_everything() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    setup(&client).await;
    let frame = |tag: u8, body: &[u8]| {
        let mut m = vec![tag];
        m.extend_from_slice(&(i32::try_from(body.len()).unwrap() + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    };
    for (limit, rows, suspended) in [
        (0, 3, false),
        (-1, 3, false),
        (i32::MAX, 3, false),
        (2, 2, true),
        (3, 3, true),
    ] {
        let mut socket = raw_session(addr).await;
        let mut pipeline = frame(b'P', b"\0SELECT id FROM labels ORDER BY id\0\0\0");
        pipeline.extend(frame(b'B', b"\0\0\0\0\0\0\0\0"));
        let mut execute = b"\0".to_vec();
        execute.extend_from_slice(&limit.to_be_bytes());
        pipeline.extend(frame(b'E', &execute));
        pipeline.extend(frame(b'S', b""));
        pipeline.extend(frame(b'X', b""));
        socket.write_all(&pipeline).await.unwrap();
        let tags = message_tags(&read_to_close(&mut socket).await);
        let data_rows = tags.iter().filter(|&&t| t == b'D').count();
        assert_eq!(data_rows, rows, "limit {limit}: {tags:?}");
        assert_eq!(tags.contains(&b's'), suspended, "limit {limit}: {tags:?}");
        assert_eq!(tags.contains(&b'C'), !suspended, "limit {limit}: {tags:?}");
    }
    let n: i64 = client
        .query_one("SELECT count(*) FROM labels", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
}

/// A statement's notices go out as NoticeResponse before its CommandComplete, with the fields
/// PostgreSQL 15 fills (S and V severity, C, M, and D for a cascade's list), in the simple and
/// the extended protocol; the failing statement's notices come before its ErrorResponse.
#[tokio::test]
async fn notices_precede_their_statement_s_command_complete() {
    let addr = start(10).await;
    let client = connect(addr, "db").await.unwrap();
    client
        .batch_execute("CREATE TABLE nt (a int); CREATE VIEW nv1 AS SELECT * FROM nt; CREATE VIEW nv2 AS SELECT * FROM nv1")
        .await
        .unwrap();
    let frame = |tag: u8, body: &[u8]| {
        let mut m = vec![tag];
        m.extend_from_slice(&(i32::try_from(body.len()).unwrap() + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    };

    // Simple protocol: two statements, each notice before its own CommandComplete.
    let mut socket = raw_session(addr).await;
    let mut pipeline = frame(b'Q', b"DROP TABLE IF EXISTS nosuch; COMMIT\0");
    pipeline.extend(frame(b'X', b""));
    socket.write_all(&pipeline).await.unwrap();
    let answer = read_to_close(&mut socket).await;
    assert_eq!(message_tags(&answer), b"NCNCZ");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.contains("SNOTICE\0VNOTICE\0C00000\0Mtable \"nosuch\" does not exist, skipping\0"),
        "{text}"
    );
    assert!(
        text.contains("SWARNING\0VWARNING\0C25P01\0Mthere is no transaction in progress\0"),
        "{text}"
    );

    // Extended protocol: the cascade's notice, with its DETAIL, before CommandComplete.
    let mut socket = raw_session(addr).await;
    let mut pipeline = frame(b'P', b"\0DROP TABLE nt CASCADE\0\0\0");
    pipeline.extend(frame(b'B', b"\0\0\0\0\0\0\0\0"));
    pipeline.extend(frame(b'E', b"\0\0\0\0\0"));
    pipeline.extend(frame(b'S', b""));
    pipeline.extend(frame(b'X', b""));
    socket.write_all(&pipeline).await.unwrap();
    let answer = read_to_close(&mut socket).await;
    assert_eq!(message_tags(&answer), b"12NCZ");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.contains(
            "C00000\0Mdrop cascades to 2 other objects\0\
             Ddrop cascades to view nv1\ndrop cascades to view nv2\0"
        ),
        "{text}"
    );

    // The notices of a statement that fails come before its error.
    client
        .batch_execute(
            "CREATE TABLE p (a int PRIMARY KEY); CREATE TABLE c (x int REFERENCES p (a))",
        )
        .await
        .unwrap();
    let mut socket = raw_session(addr).await;
    let mut pipeline = frame(b'Q', b"DROP TABLE IF EXISTS p, nosuch\0");
    pipeline.extend(frame(b'X', b""));
    socket.write_all(&pipeline).await.unwrap();
    let answer = read_to_close(&mut socket).await;
    assert_eq!(message_tags(&answer), b"NEZ");
}
