//! Who gets in and how: SCRAM-SHA-256, md5 and cleartext logins with tokio-postgres (right
//! password, wrong password, unknown user: 28P01), the refusal to serve a non-loopback
//! address without users, SSLRequest answered 'S' with TLS configured and 'N' without, and
//! the command tags of writes with RETURNING in both protocols (read off the raw messages,
//! since drivers only expose the count).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::NoTls;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_wire::{Database, Method, ScramVerifier, Server, ServerConfig, Users};

fn database() -> Vec<Database> {
    let repo = Repository::init(
        Arc::new(MemoryStore::new()),
        "main",
        &Signature::new("t", "t@example.com", 0),
    )
    .unwrap();
    vec![Database {
        name: "db".into(),
        repo: Arc::new(repo),
    }]
}

async fn start(config: ServerConfig) -> SocketAddr {
    let server = Server::bind(&config, database()).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

/// A server whose users are `alice` (plaintext `wonderland` in the config) and `bob`
/// (configured by verifier only, password `builder`).
async fn start_with(method: Method) -> SocketAddr {
    let users = Users::new(
        method,
        vec![
            ("alice".into(), "wonderland".into()),
            (
                "bob".into(),
                ScramVerifier::from_password("builder").to_string(),
            ),
        ],
    )
    .unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), 10);
    config.users = Arc::new(users);
    start(config).await
}

/// Logs in as `user` with `password`; the SQLSTATE of a failure.
async fn login(addr: SocketAddr, user: &str, password: &str) -> Result<(), String> {
    let config = format!(
        "host={} port={} user={user} password='{password}' dbname=db",
        addr.ip(),
        addr.port()
    );
    match tokio_postgres::connect(&config, NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            let rows = client.simple_query("SELECT 1").await.unwrap();
            assert!(rows
                .iter()
                .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_))));
            Ok(())
        }
        Err(e) => Err(e.code().map(|c| c.code().to_string()).unwrap_or_default()),
    }
}

#[tokio::test]
async fn scram_admits_the_right_password_only() {
    let addr = start_with(Method::ScramSha256).await;
    assert_eq!(login(addr, "alice", "wonderland").await, Ok(()));
    assert_eq!(login(addr, "bob", "builder").await, Ok(()));
    assert_eq!(login(addr, "alice", "builder").await, Err("28P01".into()));
    assert_eq!(
        login(addr, "carol", "wonderland").await,
        Err("28P01".into())
    );
    assert!(login(addr, "alice", "").await.is_err());
}

#[tokio::test]
async fn md5_and_cleartext_work_when_configured() {
    let addr = start_with(Method::Md5).await;
    assert_eq!(login(addr, "alice", "wonderland").await, Ok(()));
    // bob has only a SCRAM verifier: md5 falls back to SCRAM, as in PostgreSQL.
    assert_eq!(login(addr, "bob", "builder").await, Ok(()));
    assert_eq!(login(addr, "alice", "x").await, Err("28P01".into()));
    assert_eq!(login(addr, "nobody", "x").await, Err("28P01".into()));

    let addr = start_with(Method::Password).await;
    assert_eq!(login(addr, "alice", "wonderland").await, Ok(()));
    assert_eq!(login(addr, "bob", "builder").await, Ok(()));
    assert_eq!(login(addr, "bob", "wonderland").await, Err("28P01".into()));
}

#[tokio::test]
async fn trust_is_for_loopback_without_users() {
    let addr = start(ServerConfig::new("127.0.0.1:0".parse().unwrap(), 10)).await;
    assert_eq!(login(addr, "anyone", "").await, Ok(()));
    let open = ServerConfig::new("0.0.0.0:0".parse().unwrap(), 10);
    let refused = Server::bind(&open, database()).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("without authentication"));
}

/// The answer to an SSLRequest.
async fn ssl_answer(addr: SocketAddr) -> u8 {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
        .await
        .unwrap();
    let mut answer = [0u8; 1];
    socket.read_exact(&mut answer).await.unwrap();
    answer[0]
}

#[tokio::test]
async fn ssl_requests_are_refused_without_tls_and_accepted_with_it() {
    let addr = start(ServerConfig::new("127.0.0.1:0".parse().unwrap(), 10)).await;
    assert_eq!(ssl_answer(addr).await, b'N');
    // A client told 'N' carries on in the clear.
    assert_eq!(login(addr, "anyone", "").await, Ok(()));

    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping the TLS half: no openssl to make a certificate");
        return;
    }
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), 10);
    config.tls = Some(vdb_wire::tls::acceptor(&cert, &key).unwrap());
    let addr = start(config).await;
    assert_eq!(ssl_answer(addr).await, b'S');
    assert!(vdb_wire::tls::acceptor(&key, &cert).is_err());
}

/// A raw protocol connection (trust), for reading command tags.
struct Raw(TcpStream);

impl Raw {
    async fn connect(addr: SocketAddr) -> Raw {
        let mut raw = Raw(TcpStream::connect(addr).await.unwrap());
        let mut body = vec![0, 3, 0, 0];
        for part in ["user", "t", "database", "db", ""] {
            body.extend_from_slice(part.as_bytes());
            body.push(0);
        }
        let mut message = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        message.extend(body);
        raw.0.write_all(&message).await.unwrap();
        raw.until_ready().await;
        raw
    }

    async fn send(&mut self, kind: u8, body: &[u8]) {
        let mut message = vec![kind];
        message.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        message.extend_from_slice(body);
        self.0.write_all(&message).await.unwrap();
    }

    /// The CommandComplete tags and ErrorResponse SQLSTATEs up to ReadyForQuery.
    async fn until_ready(&mut self) -> Vec<String> {
        let mut tags = Vec::new();
        loop {
            let kind = self.0.read_u8().await.unwrap();
            let len = self.0.read_u32().await.unwrap() as usize;
            let mut body = vec![0; len - 4];
            self.0.read_exact(&mut body).await.unwrap();
            match kind {
                b'C' => tags.push(String::from_utf8_lossy(&body[..body.len() - 1]).into()),
                b'E' => {
                    let code = body.split(|&b| b == 0).find(|f| f.first() == Some(&b'C'));
                    tags.push(format!(
                        "ERROR {}",
                        String::from_utf8_lossy(&code.unwrap()[1..])
                    ));
                }
                b'Z' => return tags,
                _ => {}
            }
        }
    }

    async fn simple(&mut self, sql: &str) -> Vec<String> {
        let mut body = sql.as_bytes().to_vec();
        body.push(0);
        self.send(b'Q', &body).await;
        self.until_ready().await
    }

    /// Parse, Bind, Execute and Sync of `sql` without parameters.
    async fn extended(&mut self, sql: &str) -> Vec<String> {
        let mut parse = vec![0];
        parse.extend_from_slice(sql.as_bytes());
        parse.extend_from_slice(&[0, 0, 0]);
        self.send(b'P', &parse).await;
        self.send(b'B', &[0, 0, 0, 0, 0, 0, 0, 0]).await;
        self.send(b'E', &[0, 0, 0, 0, 0]).await;
        self.send(b'S', &[]).await;
        self.until_ready().await
    }
}

#[tokio::test]
async fn writes_with_returning_report_their_own_tags() {
    let addr = start(ServerConfig::new("127.0.0.1:0".parse().unwrap(), 10)).await;
    let mut raw = Raw::connect(addr).await;
    assert_eq!(
        raw.simple("CREATE TABLE t (id int PRIMARY KEY, v text)")
            .await,
        ["CREATE TABLE"]
    );
    assert_eq!(
        raw.simple("INSERT INTO t VALUES (1, 'a'), (2, 'b') RETURNING id")
            .await,
        ["INSERT 0 2"]
    );
    assert_eq!(
        raw.simple("UPDATE t SET v = 'c' WHERE id = 1 RETURNING *; SELECT * FROM t")
            .await,
        ["UPDATE 1", "SELECT 2"]
    );
    assert_eq!(
        raw.simple("DELETE FROM t WHERE id = 5 RETURNING id").await,
        ["DELETE 0"]
    );
    assert_eq!(
        raw.extended("INSERT INTO t VALUES (3, 'x') RETURNING v")
            .await,
        ["INSERT 0 1"]
    );
    assert_eq!(
        raw.extended("UPDATE t SET v = v || '!' RETURNING id").await,
        ["UPDATE 3"]
    );
    assert_eq!(
        raw.extended("DELETE FROM t WHERE id > 0 RETURNING id")
            .await,
        ["DELETE 3"]
    );
    assert_eq!(raw.extended("SELECT 1").await, ["SELECT 1"]);
}
