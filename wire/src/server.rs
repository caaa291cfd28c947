//! The listening side: the databases a server serves, the accept loop, a thread per
//! connection, the connection limit, CancelRequest routing and a clean shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::RandomPidSecretKeyGenerator;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use tokio::net::{TcpListener, TcpStream};
use vdb_engine::repo::Repository;
use vdb_sql::interrupt::CancelHandle;
use vdb_sql::Session;

use crate::auth::Users;
use crate::connection::Connection;
use crate::tls::TlsAcceptor;

/// A repository served as a database under `name`.
#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub repo: Arc<Repository>,
}

/// How a server listens and whom it admits.
#[derive(Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// Connections beyond this many are refused with 53300.
    pub max_connections: usize,
    /// The users and how they authenticate (by default: trust, no users).
    pub users: Arc<Users>,
    /// TLS for clients that ask for it with SSLRequest (without it they are answered 'N').
    pub tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("max_connections", &self.max_connections)
            .field("users", &self.users)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl ServerConfig {
    /// A server on `addr` that trusts its clients and offers no TLS.
    pub fn new(addr: SocketAddr, max_connections: usize) -> ServerConfig {
        ServerConfig {
            addr,
            max_connections,
            users: Arc::new(Users::trust()),
            tls: None,
        }
    }

    /// Whether this configuration may be served: trust (no users) only on a loopback
    /// address. The error says what to configure.
    pub fn check(&self) -> Result<(), String> {
        if self.users.is_empty() && !self.addr.ip().is_loopback() {
            return Err(format!(
                "refusing to listen on {} without authentication: configure [[users]] in a \
                 --config file, or listen on 127.0.0.1 (or ::1)",
                self.addr.ip()
            ));
        }
        Ok(())
    }
}

/// What every connection of a server shares.
#[derive(Debug)]
pub struct Shared {
    databases: Vec<Database>,
    pub(crate) cancels: Arc<Cancels>,
    pub(crate) pids: RandomPidSecretKeyGenerator,
    connections: Arc<AtomicUsize>,
    max_connections: usize,
    pub(crate) users: Arc<Users>,
}

/// One admitted connection; dropping it frees its slot.
#[derive(Debug)]
pub struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    /// A slot for one more connection, unless the server is full.
    pub(crate) fn admit(&self) -> Option<Permit> {
        let admitted = self
            .connections
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max_connections).then_some(n + 1)
            })
            .is_ok();
        admitted.then(|| Permit(self.connections.clone()))
    }

    /// A session for the database a client asked for: `name` (the repository's current
    /// branch), `name/branch`, or `name/REV` for a read-only view of a revision (a tag, commit,
    /// `HEAD~n` or timestamp); `postgres` stands for the first database. The error is
    /// PostgreSQL's 3D000 message.
    pub(crate) fn open_session(&self, requested: &str) -> Result<Session, String> {
        let missing = || format!("database \"{requested}\" does not exist");
        let (name, branch) = match requested.split_once('/') {
            Some((name, branch)) => (name, Some(branch)),
            None => (requested, None),
        };
        // Every PostgreSQL cluster has a `postgres` database, and tools and test harnesses
        // connect to it by default; unless a database has that name, it is the first one served.
        let database = self
            .databases
            .iter()
            .find(|d| d.name == name)
            .or_else(|| self.databases.first().filter(|_| name == "postgres"))
            .ok_or_else(missing)?;
        let default = || {
            database
                .repo
                .head_branch()
                .map_err(|e| format!("database \"{name}\" cannot be opened: {e}"))
        };
        match branch {
            Some(branch) if database.repo.branch_head(branch).is_ok() => {
                Ok(Session::new(database.repo.clone(), branch))
            }
            // `db/REV`: a read-only view of a tag, commit, HEAD~n or timestamp.
            Some(rev) => {
                Session::at_revision(database.repo.clone(), &default()?, rev).map_err(|_| missing())
            }
            None => Ok(Session::new(database.repo.clone(), &default()?)),
        }
    }
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("shared", &self.shared)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Server {
    /// Binds the listening socket; a configuration [`ServerConfig::check`] refuses is an
    /// `InvalidInput` error.
    pub async fn bind(config: &ServerConfig, databases: Vec<Database>) -> io::Result<Server> {
        config
            .check()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                databases,
                cancels: Arc::new(Cancels::default()),
                pids: RandomPidSecretKeyGenerator::default(),
                connections: Arc::new(AtomicUsize::new(0)),
                max_connections: config.max_connections,
                users: config.users.clone(),
            }),
            tls: config.tls.clone(),
        })
    }

    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until `shutdown` completes. Each connection runs on a thread of its
    /// own (see [`serve_connection`]); a failing connection ends alone. Every acknowledged
    /// commit is already durable, so shutting down loses nothing.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                accepted = self.listener.accept() => {
                    let (socket, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            eprintln!("vdb serve: accept failed: {e}");
                            continue;
                        }
                    };
                    let _ = socket.set_nodelay(true);
                    let connection = Connection::new(self.shared.clone());
                    if let Err(e) = serve_connection(socket, peer, self.tls.clone(), connection) {
                        eprintln!("vdb serve: {peer}: connection refused: {e}");
                    }
                }
            }
        }
    }
}

/// The stack of a connection's thread, where its statements run: planning and evaluation
/// recurse through nested expressions, which `vdb_sql` bounds at
/// [`vdb_sql::session::MAX_EXPRESSION_DEPTH`] (PostgreSQL takes thousands of `OR` terms from
/// ORMs); this is room for that depth. Untouched pages cost nothing but address space.
const CONNECTION_STACK: usize = 256 << 20;

/// Serves one connection on a thread of its own, with a single-threaded tokio runtime for its
/// socket. The SQL layer is synchronous and each statement runs right there, between reading
/// the query and writing its result, as a PostgreSQL backend does: a statement costs no
/// hand-off to another thread (with two threads per query, a point select spent most of its
/// time in wake-ups), a long one never stalls other connections, and a CancelRequest (on a
/// connection, and so a thread, of its own) reaches it through the session's cancel flag.
fn serve_connection(
    socket: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    connection: Connection,
) -> io::Result<()> {
    let socket = socket.into_std()?;
    std::thread::Builder::new()
        .name(format!("vdb-conn-{peer}"))
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            let served = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|runtime| {
                    runtime.block_on(async move {
                        let socket = TcpStream::from_std(socket)?;
                        let notifications = connection.notifications();
                        crate::framing::serve(socket, tls, connection, notifications).await
                    })
                });
            if let Err(e) = served {
                eprintln!("vdb serve: {peer}: connection ended: {e}");
            }
        })?;
    Ok(())
}

/// The cancel flags of the running sessions by their connection's process ID and secret key,
/// for CancelRequest, which comes on a connection of its own.
#[derive(Debug, Default)]
pub(crate) struct Cancels(RwLock<HashMap<(i32, Bytes), CancelHandle>>);

impl Cancels {
    /// Makes `handle` reachable under `pid` and `secret` until the guard drops.
    pub(crate) fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: &SecretKey,
        handle: CancelHandle,
    ) -> CancelRegistration {
        // Normalized: a CancelRequest may spell a 4-byte key as either variant.
        let key = (pid, secret.to_bytes());
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), handle);
        CancelRegistration {
            key,
            cancels: self.clone(),
        }
    }

    /// Stops the statement running on the connection `pid` with `secret`, if any; a request
    /// naming no connection is ignored, as PostgreSQL does.
    fn cancel(&self, pid: i32, secret: &SecretKey) {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = map.get(&(pid, secret.to_bytes())) {
            handle.cancel();
        }
    }
}

/// A connection's entry in [`Cancels`], removed when the connection ends.
#[derive(Debug)]
pub(crate) struct CancelRegistration {
    key: (i32, Bytes),
    cancels: Arc<Cancels>,
}

impl Drop for CancelRegistration {
    fn drop(&mut self) {
        self.cancels
            .0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// pgwire's handler of CancelRequest messages, over [`Cancels`].
#[derive(Debug)]
pub(crate) struct CancelRequests(pub(crate) Arc<Cancels>);

#[async_trait]
impl CancelHandler for CancelRequests {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.0.cancel(request.pid, &request.secret_key);
    }
}

/// Serves `databases` until SIGINT or SIGTERM, on a runtime of its own; `ready` is called
/// with the bound address once clients can connect.
pub fn serve_until_signal(
    config: &ServerConfig,
    databases: Vec<Database>,
    ready: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::bind(config, databases).await?;
        ready(server.local_addr()?);
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let shutdown = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            eprintln!("vdb serve: shutting down");
        };
        server.run(shutdown).await
    })?;
    // Connections still open end with the process; what they committed is durable.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    Ok(())
}
