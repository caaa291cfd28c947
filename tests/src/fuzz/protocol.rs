//! Protocol messages never crash the server: one server runs in-process on 127.0.0.1 for the
//! whole run (so a fuzzer sees its coverage and its panics), and each input travels over a
//! fresh TCP connection.
//!
//! Input layout: the first byte chooses when the bytes arrive: even, after a valid startup and
//! its ReadyForQuery (so the bytes are frontend messages of a live session: Query, Parse, Bind,
//! Execute, CopyData, ...); odd, as the very first bytes of the connection (startup, SSLRequest,
//! CancelRequest or garbage). After each input a fresh connection must still read the known
//! table's rows at the commit that holds them (a revision no input can change): a server that
//! stopped answering is a failure too.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_wire::{Database, Server, ServerConfig};

/// Rows the known table holds; every input must leave exactly these.
const KNOWN_ROWS: &str = "50";

/// The server's address and the database name of the commit holding the known table.
fn server() -> &'static (SocketAddr, String) {
    static SERVER: OnceLock<(SocketAddr, String)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let signature = Signature::new("fuzz", "fuzz@vdb.invalid", 0);
        let repo = Repository::init(Arc::new(MemoryStore::new()), "main", &signature)
            .expect("an in-memory repository");
        let config = ServerConfig::new("127.0.0.1:0".parse().expect("a loopback address"), 100);
        let databases = vec![Database {
            name: "db".into(),
            repo: Arc::new(repo),
        }];
        let server = runtime
            .block_on(Server::bind(&config, databases))
            .expect("the server binds");
        let addr = server.local_addr().expect("a bound address");
        runtime.spawn(server.run(std::future::pending()));
        // The runtime lives for the whole process.
        std::mem::forget(runtime);
        let mut setup = Session::open(addr, "db").expect("the first connection");
        setup.query(
            "CREATE TABLE known (k INT PRIMARY KEY, v TEXT); \
             INSERT INTO known SELECT g, 'v' || g FROM generate_series(1, 50) g",
        );
        let hash = setup.query("SELECT vdb_commit('-A', '-m', 'the known table')");
        let [hash] = hash.as_slice() else {
            panic!("vdb_commit returned {hash:?}");
        };
        (addr, format!("db/{hash}"))
    })
}

/// A raw connection that has finished startup.
struct Session(TcpStream);

impl Session {
    fn connect(addr: SocketAddr) -> Option<TcpStream> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .ok()?;
        stream.set_nodelay(true).ok()?;
        Some(stream)
    }

    fn open(addr: SocketAddr, database: &str) -> Option<Session> {
        let mut stream = Session::connect(addr)?;
        stream.write_all(&startup(database)).ok()?;
        let messages = read_until_ready(&mut stream)?;
        messages
            .iter()
            .any(|(tag, _)| *tag == b'Z')
            .then_some(Session(stream))
    }

    /// Runs a simple query and returns the first column of each row (as text).
    fn query(&mut self, sql: &str) -> Vec<String> {
        let mut body = sql.as_bytes().to_vec();
        body.push(0);
        if self.0.write_all(&message(b'Q', &body)).is_err() {
            return Vec::new();
        }
        let Some(messages) = read_until_ready(&mut self.0) else {
            return Vec::new();
        };
        messages
            .into_iter()
            .filter(|(tag, _)| *tag == b'D')
            .filter_map(|(_, body)| first_field(&body))
            .collect()
    }
}

/// The StartupMessage of protocol 3.0 for user `fuzz`.
fn startup(database: &str) -> Vec<u8> {
    let mut body = 196_608_u32.to_be_bytes().to_vec();
    for part in ["user", "fuzz", "database", database, ""] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    let mut out = length(body.len()).to_vec();
    out.extend_from_slice(&body);
    out
}

/// A message length field for a body of `n` bytes (the field counts itself).
fn length(n: usize) -> [u8; 4] {
    u32::try_from(n + 4).unwrap_or(u32::MAX).to_be_bytes()
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&length(body.len()));
    out.extend_from_slice(body);
    out
}

/// Reads backend messages until ReadyForQuery, the end of the stream or a timeout.
fn read_until_ready(stream: &mut TcpStream) -> Option<Vec<(u8, Vec<u8>)>> {
    let mut messages = Vec::new();
    loop {
        let mut header = [0_u8; 5];
        stream.read_exact(&mut header).ok()?;
        let len = usize::try_from(u32::from_be_bytes([
            header[1], header[2], header[3], header[4],
        ]))
        .ok()?;
        let mut body = vec![0; len.checked_sub(4)?];
        stream.read_exact(&mut body).ok()?;
        let ready = header[0] == b'Z';
        messages.push((header[0], body));
        if ready {
            return Some(messages);
        }
    }
}

/// The first field of a DataRow, as text.
fn first_field(body: &[u8]) -> Option<String> {
    let len = i32::from_be_bytes(body.get(2..6)?.try_into().ok()?);
    let len = usize::try_from(len).ok()?;
    String::from_utf8(body.get(6..6 + len)?.to_vec()).ok()
}

/// Ends our side of the connection, then reads and discards whatever the server sends until it
/// closes (it must, once it sees the end of the stream) or goes quiet.
fn drain(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut buf = [0_u8; 4096];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

/// One input: see the module documentation for its layout.
pub fn run(data: &[u8]) {
    let (addr, known) = server();
    let addr = *addr;
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Some(Session(mut stream)) = Session::open(addr, "db") {
            let _ = stream.write_all(bytes);
            // A Sync, so a well-formed extended-protocol sequence gets its answers, then a
            // Terminate.
            let _ = stream.write_all(&message(b'S', &[]));
            let _ = stream.write_all(&message(b'X', &[]));
            drain(&mut stream);
        }
    } else if let Some(mut stream) = Session::connect(addr) {
        let _ = stream.write_all(bytes);
        drain(&mut stream);
    }
    let mut check =
        Session::open(addr, known).expect("the server accepts a connection after the input");
    assert_eq!(
        check.query("SELECT count(*) FROM known"),
        [KNOWN_ROWS],
        "the known table changed or the server stopped answering"
    );
}
