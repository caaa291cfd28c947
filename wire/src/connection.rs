//! One client connection: its startup (database and branch selection, ParameterStatus), its
//! SQL session, and the simple and extended query protocols over that session.
//!
//! The SQL layer is synchronous, and every statement runs inline on the connection's own
//! thread (`server::serve_connection`); a CancelRequest stops it through the session's
//! [`CancelHandle`](vdb_sql::interrupt::CancelHandle) (57014). The session, not pgwire, is the
//! authority on the transaction state: ReadyForQuery reports [`Session::status`].

use std::fmt::Debug;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::BytesMut;
use futures::{stream, Sink, SinkExt};
use pgwire::api::auth::mechanism::{AuthMechanism, AuthState};
use pgwire::api::auth::{
    protocol_negotiation, save_startup_parameters_to_metadata, StartupHandler,
};
use pgwire::api::copy::CopyHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{CopyResponse, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, ErrorHandler, PgWireConnectionState, PgWireServerHandlers,
    PidSecretKeyGenerator, Type as PgType,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail, CopyInResponse, CopyOutResponse};
use pgwire::messages::data::{DataRow, FieldDescription, RowDescription};
use pgwire::messages::extendedquery::{Describe, Execute, Sync as PgSync, TARGET_TYPE_BYTE_PORTAL};
use pgwire::messages::response::{
    CommandComplete, EmptyQueryResponse, NoticeResponse, NotificationResponse, ReadyForQuery,
    TransactionStatus,
};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::{Authentication, BackendKeyData, ParameterStatus};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use sqlparser::ast::Statement;
use vdb_engine::value::{Type, Value};
use vdb_sql::copy::CopyIn;
use vdb_sql::{Notice, Session, StatementResult};

use crate::server::{CancelRequests, Shared};
use crate::values::{decode_param, put_field, type_size};
use vdb_sql::types::tz::{with_session_zone, Zone};
use vdb_sql::types::{type_from_oid, type_modifier, type_oid};

/// The handlers of one connection (pgwire asks for each of them through
/// [`PgWireServerHandlers`]).
#[derive(Debug)]
pub struct Connection {
    shared: Arc<Shared>,
    /// The session's LISTEN mailbox, as the socket loop sees it.
    notifications: Arc<Notifications>,
    session: Arc<Mutex<Option<Session>>>,
    parser: Arc<StatementParser>,
    /// The COPY FROM STDIN in progress and the data received so far.
    copy: Arc<Mutex<Option<PendingCopy>>>,
    /// The authentication handshake in progress.
    auth: Arc<Mutex<Option<PendingAuth>>>,
    /// The values of [`REPORTED`] the client was last sent in ParameterStatus.
    reported: Arc<Mutex<Vec<String>>>,
}

/// The parameters PostgreSQL reports to the client in ParameterStatus, at startup and again
/// whenever one changes (its `GUC_REPORT` parameters).
const REPORTED: [&str; 13] = [
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
];

/// A COPY FROM STDIN and the data received for it so far.
type PendingCopy = (CopyIn, Vec<u8>);

impl Connection {
    /// The connection's notifications, for the socket loop.
    pub fn notifications(&self) -> Arc<Notifications> {
        self.notifications.clone()
    }

    pub fn new(shared: Arc<Shared>) -> Connection {
        let session = Arc::new(Mutex::new(None));
        Connection {
            parser: Arc::new(StatementParser {
                session: session.clone(),
            }),
            shared,
            session,
            notifications: Arc::default(),
            copy: Arc::new(Mutex::new(None)),
            auth: Arc::new(Mutex::new(None)),
            reported: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Sends ParameterStatus for each reported parameter whose value the client has not seen
    /// (all of them the first time), as PostgreSQL does before each ReadyForQuery: a `SET
    /// TimeZone` reaches psycopg 3, which converts timestamptz values with it.
    async fn report_parameters<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let now: Vec<String> = match self.session.try_lock() {
            Ok(guard) => match guard.as_ref() {
                Some(session) => REPORTED
                    .iter()
                    .map(|name| session.setting(name).unwrap_or_default())
                    .collect(),
                None => return Ok(()),
            },
            // A statement still holds the session (a cancelled one finishing); the next
            // ReadyForQuery reports what it changed.
            Err(_) => return Ok(()),
        };
        let changed: Vec<(&str, String)> = {
            let mut last = self.reported.lock().unwrap_or_else(|p| p.into_inner());
            let changed = REPORTED
                .iter()
                .zip(&now)
                .enumerate()
                .filter(|(i, (_, value))| last.get(*i) != Some(value))
                .map(|(_, (name, value))| (*name, value.clone()))
                .collect();
            *last = now;
            changed
        };
        for (name, value) in changed {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    name.into(),
                    value,
                )))
                .await?;
        }
        Ok(())
    }

    /// Runs `f` on the session, here on the connection's thread. A panic is the statement's
    /// XX000 error, not the connection's end.
    fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> PgWireResult<T> {
        let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let session = guard
            .as_mut()
            .ok_or_else(|| user_error("08P01", "the connection has no session".into()))?;
        std::panic::catch_unwind(AssertUnwindSafe(|| f(session))).map_err(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|m| (*m).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            user_error("XX000", format!("statement panicked: {message}"))
        })
    }

    /// The session's transaction status for the ReadyForQuery about to go out; the session
    /// shows as idle (in or out of a block) in `pg_stat_activity` from now.
    fn ready_status(&self) -> TransactionStatus {
        if let Some(session) = self
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            session.report_idle();
        }
        self.status()
    }

    /// The session's transaction status, as ReadyForQuery reports it.
    fn status(&self) -> TransactionStatus {
        // Statements run on this thread, so nothing else holds the session now.
        let guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .map_or(TransactionStatus::Idle, |s| match s.status() {
                vdb_sql::TransactionStatus::Idle => TransactionStatus::Idle,
                vdb_sql::TransactionStatus::InBlock => TransactionStatus::Transaction,
                vdb_sql::TransactionStatus::Failed => TransactionStatus::Error,
            })
    }
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::new(self.clone_handle())
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::new(self.clone_handle())
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::new(self.clone_handle())
    }

    fn copy_handler(&self) -> Arc<impl CopyHandler> {
        Arc::new(self.clone_handle())
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(self.clone_handle())
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(CancelRequests(self.shared.cancels.clone()))
    }
}

impl Connection {
    fn clone_handle(&self) -> Connection {
        Connection {
            shared: self.shared.clone(),
            session: self.session.clone(),
            notifications: self.notifications.clone(),
            parser: self.parser.clone(),
            copy: self.copy.clone(),
            auth: self.auth.clone(),
            reported: self.reported.clone(),
        }
    }
}

/// An ErrorResponse for `sqlstate` with `message`.
fn user_error(sqlstate: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        sqlstate.into(),
        message,
    )))
}

/// The ErrorResponse for a SQL error: its SQLSTATE, message, detail and cursor position (from
/// `sql`, the text the client sent, if known: see [`vdb_sql::Error::position_in`]), and for an
/// integrity error the schema, table, column and constraint it is about.
pub fn error_info(error: &vdb_sql::Error, sql: Option<&str>) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".into(), error.sqlstate().into(), error.to_string());
    let position = match (error, sql) {
        (_, Some(sql)) => error.position_in(sql),
        (vdb_sql::Error::Syntax { position, .. }, None) => *position,
        _ => None,
    };
    info.position = position.map(|p| p.to_string());
    info.detail = error.detail().map(str::to_string);
    info.hint = error.hint().map(str::to_string);
    if let Some(object) = error.object() {
        info.schema = Some(object.schema);
        info.table = Some(object.table);
        info.column = object.column;
        info.constraint = object.constraint;
    }
    info
}

/// The NoticeResponse for a NOTICE or WARNING: severity (in S and V, as PostgreSQL fills
/// both), SQLSTATE, message, detail and hint.
fn notice_response(notice: &Notice) -> NoticeResponse {
    let severity = notice.severity.as_str().to_string();
    let mut info = ErrorInfo::new(severity.clone(), notice.code.into(), notice.message.clone());
    info.severity_nonlocalized = Some(severity);
    info.detail = notice.detail.clone();
    info.hint = notice.hint.clone();
    info.into()
}

/// Queues a NoticeResponse for each of `notices`.
async fn send_notices<C>(client: &mut C, notices: &[Notice]) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for notice in notices {
        client
            .feed(PgWireBackendMessage::NoticeResponse(notice_response(
                notice,
            )))
            .await?;
    }
    Ok(())
}

fn sql_error(error: &vdb_sql::Error) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(error, None)))
}

/// [`sql_error`] with the cursor position of the error in `sql`, the statement's text.
fn sql_error_in(error: &vdb_sql::Error, sql: &str) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(error, Some(sql))))
}

impl ErrorHandler for Connection {
    fn on_error<C>(&self, client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        eprintln!("vdb serve: {}: {error}", client.socket_addr());
    }
}

#[async_trait]
impl StartupHandler for Connection {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                let user = client.metadata().get("user").cloned().unwrap_or_default();
                match self.shared.users.mechanism(&user) {
                    None => self.finish_startup(client).await,
                    Some(mut mechanism) => {
                        let state = mechanism.begin(&*client).await;
                        self.advance_auth(client, mechanism, state).await
                    }
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(password) => {
                let pending = self.auth.lock().unwrap_or_else(|p| p.into_inner()).take();
                let Some(PendingAuth(mut mechanism)) = pending else {
                    return Err(fatal("08P01", "unexpected password message".into()));
                };
                let state = mechanism.next(&*client, password).await;
                self.advance_auth(client, mechanism, state).await
            }
            _ => Ok(()),
        }
    }
}

/// Applies the startup packet's run-time parameters to a new session, as PostgreSQL does:
/// the user becomes `session_authorization`, any other parameter (`application_name`,
/// `TimeZone`, `DateStyle`, `search_path`...) is set as by `SET`, and so are the `-c name=value`
/// and `--name=value` switches of `options` (libpq's `PGOPTIONS`). A value or name `SET` would
/// refuse ends the connection, as in PostgreSQL.
fn apply_startup_parameters(
    session: &mut Session,
    user: &str,
    parameters: &std::collections::HashMap<String, String>,
) -> PgWireResult<()> {
    let refuse = |e: vdb_sql::Error| fatal(e.sqlstate(), e.to_string());
    if !user.is_empty() {
        session
            .set_setting("session_authorization", user)
            .map_err(refuse)?;
    }
    let mut names: Vec<&String> = parameters.keys().collect();
    names.sort();
    for name in names {
        let value = &parameters[name];
        match name.as_str() {
            "user" | "database" | "replication" => {}
            "options" => {
                for (name, value) in option_switches(value)? {
                    session.set_setting(&name, &value).map_err(refuse)?;
                }
            }
            _ => session.set_setting(name, value).map_err(refuse)?,
        }
    }
    Ok(())
}

/// The `name=value` pairs of a startup `options` string: whitespace-separated switches,
/// backslash escaping a space or backslash, each `-c name=value` (or `-cname=value`) or
/// `--name=value`; dashes in names stand for underscores, as on PostgreSQL's command line.
fn option_switches(options: &str) -> PgWireResult<Vec<(String, String)>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let invalid = |arg: &str| {
        fatal(
            "42601",
            format!("invalid command-line argument for server process: {arg}"),
        )
    };
    let mut pairs = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let assignment = if let Some(rest) = word.strip_prefix("--") {
            rest.to_string()
        } else if word == "-c" {
            words.next().ok_or_else(|| invalid(&word))?
        } else if let Some(rest) = word.strip_prefix("-c") {
            rest.to_string()
        } else {
            return Err(invalid(&word));
        };
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| fatal("42601", format!("-c {assignment} requires a value")))?;
        pairs.push((name.replace('-', "_"), value.to_string()));
    }
    Ok(pairs)
}

/// A FATAL ErrorResponse (the connection ends after it).
fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message,
    )))
}

/// An authentication handshake waiting for the client's next password message.
struct PendingAuth(Box<dyn AuthMechanism>);

impl Debug for PendingAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingAuth")
    }
}

impl Connection {
    /// Acts on one step of an authentication handshake: sends the next challenge (keeping the
    /// handshake for the client's answer), completes the startup, or fails it with 28P01
    /// whatever went wrong, as PostgreSQL does, naming only the user.
    async fn advance_auth<C>(
        &self,
        client: &mut C,
        mechanism: Box<dyn AuthMechanism>,
        state: PgWireResult<AuthState>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        match state {
            Ok(AuthState::InProgress(challenge)) => {
                *self.auth.lock().unwrap_or_else(|p| p.into_inner()) = Some(PendingAuth(mechanism));
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(challenge))
                    .await?;
                Ok(())
            }
            Ok(AuthState::Ok { final_message, .. }) => {
                if let Some(last) = final_message {
                    client
                        .feed(PgWireBackendMessage::Authentication(last))
                        .await?;
                }
                self.finish_startup(client).await
            }
            Ok(AuthState::Failed(e)) | Err(e) => {
                eprintln!(
                    "vdb serve: {}: authentication of {user:?} failed: {e}",
                    client.socket_addr()
                );
                Err(fatal(
                    "28P01",
                    format!("password authentication failed for user \"{user}\""),
                ))
            }
        }
    }

    /// Completes a startup once the client is authenticated: admits it, opens its session
    /// and sends AuthenticationOk, the ParameterStatus values, BackendKeyData and
    /// ReadyForQuery.
    async fn finish_startup<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        let database = client
            .metadata()
            .get("database")
            .cloned()
            .unwrap_or_else(|| user.clone());
        let Some(permit) = self.shared.admit() else {
            return Err(fatal("53300", "sorry, too many clients already".into()));
        };
        let mut session = self
            .shared
            .open_session(&database)
            .map_err(|message| fatal("3D000", message))?;
        session.set_database(&database);
        apply_startup_parameters(&mut session, &user, client.metadata())?;
        let (pid, secret) = self.shared.pids.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let registration = self
            .shared
            .cancels
            .register(pid, &secret, session.cancel_handle());
        client.session_extensions().insert(Arc::new(registration));
        session.set_process_id(pid);
        let address = client.socket_addr();
        session.register_backend(
            &user,
            &database,
            Some((address.ip().to_string(), i32::from(address.port()))),
            self.notifications.terminator(),
        );
        self.notifications.attach(&session);
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session);
        client.session_extensions().insert(Arc::new(permit));
        eprintln!(
            "vdb serve: {} connected as {user:?} to {database:?}",
            client.socket_addr()
        );

        client
            .feed(PgWireBackendMessage::Authentication(Authentication::Ok))
            .await?;
        self.report_parameters(client).await?;
        client
            .feed(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(
                pid, secret,
            )))
            .await?;
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                TransactionStatus::Idle,
            )))
            .await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        Ok(())
    }
}

/// A connection's notifications (LISTEN / NOTIFY) on their way to the client: the session's
/// inbox, and a wake-up the socket loop (`framing::serve`) waits on while the client is idle,
/// so a notification reaches a listener that sends nothing, as in PostgreSQL.
#[derive(Debug, Default)]
pub struct Notifications {
    pub(crate) wake: tokio::sync::Notify,
    /// Set when a notification arrives, so that the loop looks in the inbox (and takes the
    /// registry's lock) only then.
    arrived: std::sync::atomic::AtomicBool,
    inbox: Mutex<Option<vdb_sql::notify::Inbox>>,
    /// Set by `pg_terminate_backend`: the loop ends the connection with 57P01.
    terminated: std::sync::atomic::AtomicBool,
    /// Wakes an idle loop when `terminated` is set.
    pub(crate) ended: tokio::sync::Notify,
}

impl Notifications {
    /// Connects the session's mailbox to this connection.
    fn attach(self: &Arc<Self>, session: &Session) {
        *self.inbox.lock().unwrap_or_else(|p| p.into_inner()) = Some(session.listener().inbox());
        let this = Arc::downgrade(self);
        session.listener().set_wake(Arc::new(move || {
            if let Some(this) = this.upgrade() {
                this.arrived
                    .store(true, std::sync::atomic::Ordering::Release);
                this.wake.notify_one();
            }
        }));
    }

    /// What ends this connection from another session (`pg_terminate_backend`).
    fn terminator(self: &Arc<Self>) -> vdb_sql::activity::Terminate {
        let this = Arc::downgrade(self);
        Arc::new(move || {
            if let Some(this) = this.upgrade() {
                this.terminated
                    .store(true, std::sync::atomic::Ordering::Release);
                this.ended.notify_one();
            }
        })
    }

    /// Whether `pg_terminate_backend` asked for the connection's end.
    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The notifications waiting to be sent, as messages.
    pub(crate) fn take(&self) -> Vec<PgWireBackendMessage> {
        if !self
            .arrived
            .swap(false, std::sync::atomic::Ordering::AcqRel)
        {
            return Vec::new();
        }
        let inbox = self.inbox.lock().unwrap_or_else(|p| p.into_inner());
        let Some(inbox) = inbox.as_ref() else {
            return Vec::new();
        };
        inbox
            .take()
            .into_iter()
            .map(|n| {
                PgWireBackendMessage::NotificationResponse(NotificationResponse::new(
                    n.process_id,
                    n.channel,
                    n.payload,
                ))
            })
            .collect()
    }
}

/// Whether a query string holds no statement (only whitespace and semicolons).
fn is_empty_query(sql: &str) -> bool {
    if sql.chars().all(|c| c == ';' || c.is_whitespace()) {
        return true;
    }
    if !sql.contains("--") && !sql.contains("/*") {
        return false;
    }
    // Comments alone are empty too (the tokenizer reads them as whitespace).
    use sqlparser::tokenizer::{Token, Tokenizer};
    Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, sql)
        .tokenize()
        .is_ok_and(|tokens| {
            tokens
                .iter()
                .all(|t| matches!(t, Token::Whitespace(_) | Token::SemiColon))
        })
}

/// RowDescription fields for result columns, each in its requested format.
fn fields(columns: &[(String, Type)], format: &Format) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let format = format_of(format, i);
            FieldInfo::new(name.clone(), None, None, pg_type(ty), format)
                .with_type_modifier(type_modifier(ty))
                .with_type_size(type_size(ty))
        })
        .collect()
}

/// The format of column `i`: a Bind may give one code for all columns or one per column (a
/// count that fits neither is answered as text rather than trusted).
fn format_of(format: &Format, i: usize) -> FieldFormat {
    match format {
        Format::UnifiedText => FieldFormat::Text,
        Format::UnifiedBinary => FieldFormat::Binary,
        Format::Individual(codes) => codes
            .get(i)
            .map_or(FieldFormat::Text, |c| FieldFormat::from(*c)),
    }
}

fn pg_type(ty: &Type) -> PgType {
    let oid = type_oid(ty);
    PgType::from_oid(oid).unwrap_or_else(|| match ty {
        // A user's enum type: its own OID, so clients see the type (psycopg returns str).
        Type::Enum(key) => {
            let (schema, name) = vdb_engine::table::split_qualified(key);
            PgType::new(
                name.to_string(),
                oid,
                PgType::TEXT.kind().clone(),
                schema.to_string(),
            )
        }
        _ => PgType::TEXT,
    })
}

/// A DataRow of `row` with each column in the format of `fields` (timestamptz text in the
/// session's time zone `zone`).
fn data_row(row: &[Value], fields: &[FieldInfo], zone: &Arc<Zone>) -> DataRow {
    let mut data = BytesMut::new();
    with_session_zone(zone, || {
        for (i, value) in row.iter().enumerate() {
            let binary = fields
                .get(i)
                .filter(|f| f.format() == FieldFormat::Binary)
                .map(FieldInfo::datatype);
            put_field(&mut data, value, binary);
        }
    });
    DataRow::new(data, i16::try_from(row.len()).unwrap_or(i16::MAX))
}

fn row_description(fields: &[FieldInfo]) -> RowDescription {
    RowDescription::new(
        fields
            .iter()
            .map(|f| {
                FieldDescription::new(
                    f.name().to_string(),
                    f.table_id().unwrap_or(0),
                    f.column_id().unwrap_or(0),
                    f.datatype().oid(),
                    f.type_size(),
                    f.type_modifier(),
                    f.format().value(),
                )
            })
            .collect(),
    )
}

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let sql = query.query;
        if is_empty_query(&sql) {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        } else {
            let outcome = self.with_session(move |session| {
                session.report_active(&sql);
                let (results, error) = session.execute_script_with_notices(&sql);
                let error = error.map(|e| error_info(&e, Some(&sql)));
                // The failed statement's notices, sent before its error.
                let last = session.take_notices();
                ((results, error, last), session.time_zone())
            });
            match outcome {
                Ok(((results, error, last), zone)) => {
                    for (result, notices) in results {
                        send_notices(client, &notices).await?;
                        if let StatementResult::CopyIn(copy) = result {
                            self.start_copy_in(client, copy, false).await?;
                            // CopyDone or CopyFail ends the query; ReadyForQuery follows them.
                            return Ok(());
                        }
                        send_result(client, result, &zone).await?;
                    }
                    send_notices(client, &last).await?;
                    if let Some(e) = error {
                        client
                            .feed(PgWireBackendMessage::ErrorResponse(e.into()))
                            .await?;
                    }
                }
                Err(PgWireError::UserError(info)) => {
                    client
                        .feed(PgWireBackendMessage::ErrorResponse((*info).into()))
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        self.report_parameters(client).await?;
        let status = self.ready_status();
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // on_query is overridden and never calls this.
        Err(user_error("XX000", "unreachable simple query path".into()))
    }
}

/// Sends one statement's result of a simple query.
async fn send_result<C>(
    client: &mut C,
    result: StatementResult,
    zone: &Arc<Zone>,
) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    match result {
        StatementResult::Rows { columns, rows, tag } => {
            let fields = fields(&columns, &Format::UnifiedText);
            client
                .feed(PgWireBackendMessage::RowDescription(row_description(
                    &fields,
                )))
                .await?;
            let n = rows.len();
            for row in &rows {
                client
                    .feed(PgWireBackendMessage::DataRow(data_row(row, &fields, zone)))
                    .await?;
            }
            let tag = tag.unwrap_or_else(|| format!("SELECT {n}"));
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    tag,
                )))
                .await?;
        }
        StatementResult::Command { tag } => {
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    tag,
                )))
                .await?;
        }
        StatementResult::CopyOut {
            format,
            columns,
            rows,
        } => {
            let (code, codes) = crate::copy::format_codes(&format, columns.len());
            client
                .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                    code,
                    i16::try_from(columns.len()).unwrap_or(i16::MAX),
                    codes,
                )))
                .await?;
            for data in crate::copy::copy_out_data(&format, &columns, &rows) {
                client
                    .feed(PgWireBackendMessage::CopyData(CopyData::new(data)))
                    .await?;
            }
            client
                .feed(PgWireBackendMessage::CopyDone(CopyDone::new()))
                .await?;
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    format!("COPY {}", rows.len()),
                )))
                .await?;
        }
        StatementResult::CopyIn(_) => {}
    }
    Ok(())
}

impl Connection {
    /// Answers a COPY FROM STDIN with CopyInResponse and waits for the client's data.
    async fn start_copy_in<C>(
        &self,
        client: &mut C,
        copy: CopyIn,
        extended: bool,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (code, codes) = crate::copy::format_codes(&copy.format, copy.width);
        let columns = i16::try_from(copy.width).unwrap_or(i16::MAX);
        *self.copy.lock().unwrap_or_else(|p| p.into_inner()) = Some((copy, Vec::new()));
        client
            .send(PgWireBackendMessage::CopyInResponse(CopyInResponse::new(
                code, columns, codes,
            )))
            .await?;
        client.set_state(PgWireConnectionState::CopyInProgress(extended));
        Ok(())
    }
}

#[async_trait]
impl CopyHandler for Connection {
    async fn on_copy_data<C>(&self, _client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut copy = self.copy.lock().unwrap_or_else(|p| p.into_inner());
        match copy.as_mut() {
            Some((_, data)) => {
                data.extend_from_slice(&copy_data.data);
                Ok(())
            }
            None => Err(user_error("08P01", "unexpected CopyData".into())),
        }
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let taken = self.copy.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some((copy, data)) = taken else {
            return Err(user_error("08P01", "unexpected CopyDone".into()));
        };
        let outcome = self.with_session(move |session| {
            let outcome = if copy.format.binary {
                let rows = crate::copy::decode_copy_in(&copy, &data);
                session.copy_in_parsed(&copy, rows)
            } else {
                session.copy_in(&copy, &data)
            };
            (outcome, session.take_notices())
        })?;
        let (outcome, notices) = outcome;
        send_notices(client, &notices).await?;
        client.set_transaction_status(self.ready_status());
        match outcome.map_err(|e| sql_error(&e))? {
            StatementResult::Command { tag } => {
                client
                    .send(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                        tag,
                    )))
                    .await?;
                Ok(())
            }
            _ => Err(user_error("XX000", "COPY returned no tag".into())),
        }
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.copy.lock().unwrap_or_else(|p| p.into_inner()).take();
        // A COPY abandoned inside a transaction block fails the block, as any statement does.
        let _ = self.with_session(Session::fail_transaction);
        client.set_transaction_status(self.ready_status());
        user_error("57014", format!("COPY from stdin failed: {}", fail.message))
    }
}

/// A statement prepared with Parse: its AST, the parameter types the client declared, and
/// what describing it found.
#[derive(Debug)]
pub struct Prepared {
    /// The statement's text, as `pg_stat_activity` shows it while it runs.
    sql: String,
    statement: Arc<Statement>,
    declared: Vec<Option<Type>>,
    params: Vec<Type>,
    columns: Option<Vec<(String, Type)>>,
}

/// Parses and describes statements for the extended protocol, against the connection's
/// session (so names resolve against the branch's current tables).
#[derive(Debug)]
pub struct StatementParser {
    session: Arc<Mutex<Option<Session>>>,
}

impl StatementParser {
    /// Parses `sql` (one statement) and describes it against the session: its parameter and
    /// result types.
    fn prepare(&self, sql: &str, types: &[Option<PgType>]) -> PgWireResult<Option<Arc<Prepared>>> {
        let mut statements = vdb_sql::parse(sql).map_err(|e| sql_error(&e))?;
        let statement = match statements.len() {
            0 => return Ok(None),
            1 => statements.remove(0),
            _ => {
                return Err(user_error(
                    "42601",
                    "cannot insert multiple commands into a prepared statement".into(),
                ))
            }
        };
        let declared: Vec<Option<Type>> = types
            .iter()
            .map(|t| t.as_ref().and_then(|t| type_from_oid(t.oid())))
            .collect();
        let description = {
            let guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
            let session = guard
                .as_ref()
                .ok_or_else(|| user_error("08P01", "the connection has no session".into()))?;
            session
                .describe(&statement, &declared)
                .map_err(|e| sql_error_in(&e, sql))?
        };
        Ok(Some(Arc::new(Prepared {
            sql: sql.to_string(),
            statement: Arc::new(statement),
            declared,
            params: description.params,
            columns: description.columns,
        })))
    }
}

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<PgType>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let parsed = self.prepare(sql, types);
        if parsed.is_err() {
            // A statement that fails to parse or plan fails the transaction block it was sent
            // in, as one that fails to run does.
            let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(session) = guard.as_mut() {
                session.fail_transaction();
            }
        }
        parsed
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<PgType>> {
        Ok(stmt.params.iter().map(pg_type).collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(stmt.columns.as_deref().map_or_else(Vec::new, |columns| {
            fields(columns, column_format.unwrap_or(&Format::UnifiedText))
        }))
    }
}

/// Row limits of an Execute above this are treated as no limit.
const MAX_ROW_LIMIT: i32 = 1 << 20;

/// `message` with a row limit pgwire can honour: pgwire reserves room for `max_rows` rows
/// before it fetches them, so a client asking for two billion rows would make the server
/// allocate tens of gigabytes up front, and a negative one (which PostgreSQL reads as no
/// limit) would wrap to an impossible size. A negative limit or one above [`MAX_ROW_LIMIT`]
/// becomes 0 (all rows): the only difference a client can see is a result of more than a
/// million rows arriving whole rather than suspended after the limit.
fn bounded_row_limit(mut message: Execute) -> Execute {
    if !(0..=MAX_ROW_LIMIT).contains(&message.max_rows) {
        message.max_rows = 0;
    }
    message
}

#[async_trait]
impl ExtendedQueryHandler for Connection {
    type Statement = Arc<Prepared>;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let outcome = self._on_execute(client, bounded_row_limit(message)).await;
        if outcome.is_err() {
            // pgwire leaves the state mid-query on an error; it goes on to skip to Sync.
            client.set_state(PgWireConnectionState::ReadyForQuery);
        }
        client.set_transaction_status(self.status());
        outcome
    }

    /// A Describe of a portal the protocol does not know may name a cursor (DECLAREd cursors
    /// are portals in PostgreSQL; psycopg 3 describes its server cursors so): it is answered
    /// with the cursor's columns.
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.clone().unwrap_or_default();
        if message.target_type == TARGET_TYPE_BYTE_PORTAL
            && client.portal_store().get_portal(&name).is_none()
        {
            let columns = self.with_session(move |session| session.cursor_columns(&name))?;
            if let Some(columns) = columns {
                let fields = fields(&columns, &Format::UnifiedText);
                client
                    .send(PgWireBackendMessage::RowDescription(row_description(
                        &fields,
                    )))
                    .await?;
                return Ok(());
            }
        }
        self._on_describe(client, message).await
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.portal_store().rm_portal(pgwire::api::DEFAULT_NAME);
        // The implicit block of the writes since the last Sync commits (or rolls back) now.
        let (ended, notices) = self.with_session(|session| {
            let ended = session.end_implicit();
            (ended, session.take_notices())
        })?;
        send_notices(client, &notices).await?;
        if let Err(e) = ended {
            client
                .send(PgWireBackendMessage::ErrorResponse(
                    error_info(&e, None).into(),
                ))
                .await?;
        }
        self.report_parameters(client).await?;
        let status = self.ready_status();
        client.set_transaction_status(status);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await?;
        client.flush().await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let prepared = portal.statement.statement.clone();
        if portal.parameters.len() != prepared.params.len() {
            return Err(user_error(
                "08P01",
                format!(
                    "bind message supplies {} parameters, but prepared statement \"{}\" requires {}",
                    portal.parameters.len(),
                    portal.statement.id,
                    prepared.params.len()
                ),
            ));
        }
        let params = portal
            .parameters
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let binary = format_of(&portal.parameter_format, i) == FieldFormat::Binary;
                decode_param(
                    bytes.as_deref(),
                    binary,
                    prepared.declared.get(i).and_then(Option::as_ref),
                    &prepared.params[i],
                )
            })
            .collect::<vdb_sql::Result<Vec<_>>>();
        let params = match params {
            Ok(params) => params,
            Err(e) => {
                // A parameter that does not decode fails the block, as PostgreSQL's Bind does.
                self.with_session(Session::fail_transaction)?;
                return Err(sql_error(&e));
            }
        };
        let result_format = portal.result_column_format.clone();
        let outcome = self.with_session(move |session| {
            session.report_active(&prepared.sql);
            let writes = matches!(
                *prepared.statement,
                Statement::Insert(_)
                    | Statement::Update { .. }
                    | Statement::Delete(_)
                    | Statement::Merge { .. }
            );
            let implicit = if writes {
                session.begin_implicit()
            } else {
                Ok(())
            };
            (
                implicit
                    .and_then(|()| session.execute_bound(&prepared.statement, &params))
                    .map_err(|e| error_info(&e, Some(&prepared.sql))),
                session.take_notices(),
                session.time_zone(),
            )
        })?;
        let (outcome, notices, zone) = outcome;
        // Before the statement's CommandComplete or ErrorResponse, as PostgreSQL sends them.
        send_notices(client, &notices).await?;
        match outcome.map_err(|e| PgWireError::UserError(Box::new(e)))? {
            StatementResult::Rows { columns, rows, tag } => {
                let fields = Arc::new(fields(&columns, &result_format));
                let encoded = fields.clone();
                let rows = stream::iter(
                    rows.into_iter()
                        .map(move |row| Ok(data_row(&row, &encoded, &zone))),
                );
                let mut response = QueryResponse::new(fields, rows);
                // pgwire appends the count of rows it sent: `INSERT 0` + ` n`.
                if let Some((command, _count)) = tag.as_deref().and_then(|t| t.rsplit_once(' ')) {
                    response.set_command_tag(command);
                }
                Ok(Response::Query(response))
            }
            StatementResult::Command { tag } => Ok(Response::Execution(command_tag(&tag))),
            StatementResult::CopyIn(copy) => {
                let width = copy.width;
                let (code, _) = crate::copy::format_codes(&copy.format, width);
                *self.copy.lock().unwrap_or_else(|p| p.into_inner()) = Some((copy, Vec::new()));
                Ok(Response::CopyIn(CopyResponse::new(
                    code,
                    width,
                    stream::empty(),
                )))
            }
            StatementResult::CopyOut {
                format,
                columns,
                rows,
            } => {
                let chunks: Vec<PgWireResult<CopyData>> =
                    crate::copy::copy_out_data(&format, &columns, &rows)
                        .into_iter()
                        .map(|data| Ok(CopyData::new(data)))
                        .collect();
                let (code, _) = crate::copy::format_codes(&format, columns.len());
                Ok(Response::CopyOut(CopyResponse::new(
                    code,
                    columns.len(),
                    stream::iter(chunks),
                )))
            }
        }
    }
}

/// pgwire's Tag for a tag string such as `INSERT 0 3` or `CREATE TABLE`.
fn command_tag(tag: &str) -> Tag {
    let mut parts = tag.rsplitn(2, ' ');
    match (
        parts.next().and_then(|n| n.parse::<usize>().ok()),
        parts.next(),
    ) {
        (Some(rows), Some(command)) => Tag::new(command).with_rows(rows),
        _ => Tag::new(tag),
    }
}
