//! The connection loop, with every frontend message checked against the protocol's layout
//! before pgwire decodes it.
//!
//! pgwire's decoders trust the lengths inside a message: a Parse or Bind whose counts run past
//! its end makes them panic, which kills the connection's task without a word to the client.
//! [`Checked`] sits between the socket (plain or TLS, after pgwire's negotiation) and pgwire's
//! codec: it passes on only whole messages whose fields fit their length, and answers anything
//! else as PostgreSQL does, with FATAL 08P01 "invalid message format" and the end of the
//! connection. The loop in [`serve`] then hands each message to pgwire's `process_message`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, BytesMut};
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::{ClientInfo, ErrorHandler, PgWireConnectionState, PgWireServerHandlers};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{negotiate_tls, process_error, process_message};
use pgwire::tokio::TlsAcceptor;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, FramedParts};

use crate::connection::Notifications;

/// How long a client has to finish its startup and authentication.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest startup packet PostgreSQL accepts.
const MAX_STARTUP_LENGTH: usize = 10_000;

/// The longest message accepted (PostgreSQL's limit for large messages, 1 GiB - 1).
const MAX_MESSAGE_LENGTH: usize = (1 << 30) - 1;

/// Serves one client connection: TLS negotiation (pgwire's), then each checked message in turn
/// until the client leaves, sends a malformed message or fails fatally.
pub async fn serve<H: PgWireServerHandlers>(
    socket: TcpStream,
    tls: Option<TlsAcceptor>,
    handlers: H,
    notifications: Arc<Notifications>,
) -> io::Result<()> {
    let startup_deadline = tokio::time::sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_deadline);
    let negotiated = tokio::select! {
        () = &mut startup_deadline => return Ok(()),
        negotiated = negotiate_tls(socket, tls) => negotiated?,
    };
    // A direct TLS connection to a server without TLS.
    let Some(negotiated) = negotiated else {
        return Ok(());
    };
    let parts = negotiated.into_parts();
    // Bytes pgwire read while negotiating belong to the first message: they are checked too.
    let mut checked = FramedParts::new::<PgWireBackendMessage>(
        Checked::new(parts.io, parts.read_buf),
        parts.codec,
    );
    checked.write_buf = parts.write_buf;
    let mut socket = Framed::from_parts(checked);

    let startup = handlers.startup_handler();
    let simple = handlers.simple_query_handler();
    let extended = handlers.extended_query_handler();
    let copy = handlers.copy_handler();
    let cancel = handlers.cancel_handler();
    let errors = handlers.error_handler();
    loop {
        let starting = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let idle = matches!(socket.state(), PgWireConnectionState::ReadyForQuery);
        if notifications.is_terminated() {
            return end_terminated(&mut socket).await;
        }
        let next = if starting {
            tokio::select! {
                () = &mut startup_deadline => None,
                next = socket.next() => next,
            }
        } else {
            tokio::select! {
                next = socket.next() => next,
                // A notification for a client that is waiting for one goes out at once.
                () = notifications.wake.notified(), if idle => {
                    send_notifications(&mut socket, &notifications).await?;
                    continue;
                }
                // pg_terminate_backend from another session.
                () = notifications.ended.notified() => continue,
            }
        };
        let Some(Ok(message)) = next else {
            break;
        };
        match message {
            PgWireFrontendMessage::Terminate(_) => break,
            message => {
                let in_extended = match socket.state() {
                    PgWireConnectionState::CopyInProgress(extended) => extended,
                    _ => message.is_extended_query(),
                };
                let is_cancel = matches!(message, PgWireFrontendMessage::CancelRequest(_));
                let outcome = process_message(
                    message,
                    &mut socket,
                    startup.clone(),
                    simple.clone(),
                    extended.clone(),
                    copy.clone(),
                    cancel.clone(),
                )
                .await;
                if let Err(mut e) = outcome {
                    errors.on_error(&socket, &mut e);
                    let fatal = e.is_fatal();
                    process_error(&mut socket, e, in_extended).await?;
                    if fatal {
                        break;
                    }
                }
                // A CancelRequest comes on a connection of its own, which it ends.
                if is_cancel {
                    break;
                }
                // What the statement's own commit (or another session) sent arrives after
                // its ReadyForQuery, as PostgreSQL delivers it between transactions.
                if matches!(socket.state(), PgWireConnectionState::ReadyForQuery) {
                    send_notifications(&mut socket, &notifications).await?;
                }
            }
        }
    }
    Ok(())
}

/// Ends a connection `pg_terminate_backend` named: a FATAL 57P01, as PostgreSQL sends it.
async fn end_terminated<S>(socket: &mut S) -> io::Result<()>
where
    S: Sink<PgWireBackendMessage> + Unpin,
{
    let info = pgwire::error::ErrorInfo::new(
        "FATAL".into(),
        "57P01".into(),
        "terminating connection due to administrator command".into(),
    );
    // The client may be gone already; the connection ends either way.
    let _ = socket
        .send(PgWireBackendMessage::ErrorResponse(info.into()))
        .await;
    Ok(())
}

/// Where the client is in the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Messages without a type byte: SSLRequest / GSSENCRequest (answered in the clear, so
    /// more may follow), then a StartupMessage or a CancelRequest.
    Startup,
    /// Typed messages.
    Typed,
}

/// The client's byte stream, released to the reader one whole, well-formed message at a time.
#[derive(Debug)]
pub struct Checked<S> {
    inner: S,
    phase: Phase,
    /// Bytes read from the client not yet checked (the start of an incomplete message).
    unchecked: BytesMut,
    /// Checked bytes not yet read.
    ready: BytesMut,
    /// The ErrorResponse for a malformed message, and how much of it has been written.
    fatal: Option<(Vec<u8>, usize)>,
    /// The client closed its side, or a malformed message ended the stream.
    ended: bool,
}

impl<S> Checked<S> {
    pub fn new(inner: S, already_read: BytesMut) -> Checked<S> {
        let mut checked = Checked {
            inner,
            phase: Phase::Startup,
            unchecked: already_read,
            ready: BytesMut::new(),
            fatal: None,
            ended: false,
        };
        checked.check_messages();
        checked
    }

    /// Moves every whole message at the front of `unchecked` to `ready`; on a malformed one,
    /// prepares the FATAL answer instead.
    fn check_messages(&mut self) {
        loop {
            match next_message(self.phase, &self.unchecked) {
                Ok(None) => return,
                Ok(Some((length, phase))) => {
                    self.phase = phase;
                    let message = self.unchecked.split_to(length);
                    self.ready.unsplit(message);
                }
                Err(message) => {
                    self.unchecked.clear();
                    self.fatal = Some((fatal_response(message), 0));
                    return;
                }
            }
        }
    }
}

/// The length of the whole message at the start of `bytes` and the phase after it; `None`
/// if it has not all arrived; the error message if it is malformed.
fn next_message(phase: Phase, bytes: &[u8]) -> Result<Option<(usize, Phase)>, &'static str> {
    match phase {
        Phase::Startup => {
            let Some(length) = read_i32(bytes, 0) else {
                return Ok(None);
            };
            let length = usize::try_from(length).unwrap_or(0);
            if !(8..=MAX_STARTUP_LENGTH).contains(&length) {
                return Err("invalid length of startup packet");
            }
            if bytes.len() < length {
                return Ok(None);
            }
            let code = read_i32(bytes, 4).unwrap_or(0);
            // 1234.5679 (SSL) and 1234.5680 (GSSAPI) requests come before the startup proper;
            // anything else (a StartupMessage, a CancelRequest) ends the untyped phase.
            let next = if code == 80_877_103 || code == 80_877_104 {
                Phase::Startup
            } else {
                Phase::Typed
            };
            Ok(Some((length, next)))
        }
        Phase::Typed => {
            let Some(length) = read_i32(bytes, 1) else {
                return Ok(None);
            };
            let length = usize::try_from(length).unwrap_or(0);
            if !(4..=MAX_MESSAGE_LENGTH).contains(&length) {
                return Err("invalid message length");
            }
            if bytes.len() < 1 + length {
                return Ok(None);
            }
            if well_formed(bytes[0], &bytes[5..=length]) {
                Ok(Some((1 + length, Phase::Typed)))
            } else {
                Err("invalid message format")
            }
        }
    }
}

fn read_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let field = bytes.get(at..at + 4)?;
    Some(i32::from_be_bytes(field.try_into().ok()?))
}

/// Whether `body` has the fields of a message of type `kind`, exactly. Types this server
/// does not take are left to pgwire, which refuses them without decoding a body.
fn well_formed(kind: u8, body: &[u8]) -> bool {
    let mut fields = Fields(body);
    let ok = match kind {
        b'Q' | b'f' => fields.cstring(),
        // Parse: statement name, query, parameter type OIDs.
        b'P' => fields.cstring() && fields.cstring() && fields.counted(4),
        // Bind: portal, statement, parameter formats, parameters, result formats.
        b'B' => {
            fields.cstring()
                && fields.cstring()
                && fields.counted(2)
                && fields.parameters()
                && fields.counted(2)
        }
        b'E' => fields.cstring() && fields.take(4),
        b'D' | b'C' => {
            matches!(body.first(), Some(b'S' | b'P')) && fields.take(1) && fields.cstring()
        }
        b'S' | b'H' | b'X' | b'c' => true,
        _ => return true,
    };
    ok && fields.0.is_empty()
}

/// A cursor over a message body.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take(&mut self, n: usize) -> bool {
        match self.0.get(n..) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn cstring(&mut self) -> bool {
        match self.0.iter().position(|b| *b == 0) {
            Some(end) => self.take(end + 1),
            None => false,
        }
    }

    fn count(&mut self) -> Option<usize> {
        let n = u16::from_be_bytes(self.0.get(..2)?.try_into().ok()?);
        self.take(2).then_some(usize::from(n))
    }

    /// An Int16 count followed by that many fields of `width` bytes.
    fn counted(&mut self, width: usize) -> bool {
        self.count().is_some_and(|n| self.take(n * width))
    }

    /// Bind's parameter values: a count, then each as an Int32 length (-1 for NULL) and bytes.
    fn parameters(&mut self) -> bool {
        let Some(n) = self.count() else {
            return false;
        };
        (0..n).all(|_| {
            let Some(length) = read_i32(self.0, 0) else {
                return false;
            };
            self.take(4)
                && match length {
                    -1 => true,
                    n => usize::try_from(n).is_ok_and(|n| self.take(n)),
                }
        })
    }
}

/// An ErrorResponse of severity FATAL, SQLSTATE 08P01, with `message`.
fn fatal_response(message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "08P01"),
        (b'M', message),
    ] {
        body.put_u8(field);
        body.put_slice(value.as_bytes());
        body.put_u8(0);
    }
    body.put_u8(0);
    let mut response = vec![b'E'];
    let length = i32::try_from(body.len() + 4).unwrap_or(i32::MAX);
    response.put_i32(length);
    response.extend_from_slice(&body);
    response
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Checked<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.ready.is_empty() {
                let n = this.ready.len().min(buf.remaining());
                buf.put_slice(&this.ready[..n]);
                this.ready.advance(n);
                return Poll::Ready(Ok(()));
            }
            if let Some((response, written)) = &mut this.fatal {
                // Answer, then end the stream: the reader sees the client's end.
                while *written < response.len() {
                    match Pin::new(&mut this.inner).poll_write(cx, &response[*written..]) {
                        Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => break,
                        Poll::Ready(Ok(n)) => *written += n,
                        Poll::Pending => return Poll::Pending,
                    }
                }
                if Pin::new(&mut this.inner).poll_flush(cx).is_pending() {
                    return Poll::Pending;
                }
                this.fatal = None;
                this.ended = true;
            }
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => this.ended = true,
                Poll::Ready(Ok(())) => {
                    this.unchecked.extend_from_slice(read.filled());
                    this.check_messages();
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Checked<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Sends the connection's waiting notifications (NotificationResponse messages).
async fn send_notifications<S>(socket: &mut S, notifications: &Notifications) -> io::Result<()>
where
    S: Sink<PgWireBackendMessage> + Unpin,
    io::Error: From<S::Error>,
{
    let messages = notifications.take();
    if messages.is_empty() {
        return Ok(());
    }
    for message in messages {
        socket.feed(message).await?;
    }
    socket.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        m.put_i32(i32::try_from(body.len() + 4).expect("small"));
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn whole_messages_pass_and_partial_ones_wait() {
        let parse = message(b'P', b"s\0select $1\0\x00\x01\x00\x00\x00\x17");
        assert_eq!(
            next_message(Phase::Typed, &parse),
            Ok(Some((parse.len(), Phase::Typed)))
        );
        assert_eq!(
            next_message(Phase::Typed, &parse[..parse.len() - 1]),
            Ok(None)
        );
        assert_eq!(next_message(Phase::Typed, &parse[..3]), Ok(None));
        let sync = message(b'S', b"");
        assert_eq!(
            next_message(Phase::Typed, &sync),
            Ok(Some((5, Phase::Typed)))
        );
    }

    #[test]
    fn counts_that_overrun_the_message_are_malformed() {
        // Parse announcing two parameter types but carrying one.
        let parse = message(b'P', b"\0select 1\0\x00\x02\x00\x00\x00\x17");
        assert_eq!(
            next_message(Phase::Typed, &parse),
            Err("invalid message format")
        );
        // Bind with a parameter longer than what follows.
        let bind = message(b'B', b"\0\0\x00\x00\x00\x01\x00\x00\x00\x09ab\x00\x00");
        assert_eq!(
            next_message(Phase::Typed, &bind),
            Err("invalid message format")
        );
        // Bind with a NULL parameter, well formed.
        let bind = message(b'B', b"\0\0\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00");
        assert!(next_message(Phase::Typed, &bind).is_ok_and(|m| m.is_some()));
        // Execute without its row limit; Describe of neither a statement nor a portal.
        assert!(next_message(Phase::Typed, &message(b'E', b"\0")).is_err());
        assert!(next_message(Phase::Typed, &message(b'D', b"Xname\0")).is_err());
        // A length below the length field's own size.
        assert_eq!(
            next_message(Phase::Typed, b"Q\x00\x00\x00\x02"),
            Err("invalid message length")
        );
    }

    #[test]
    fn the_startup_phase_ends_after_the_startup_message() {
        let ssl = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        assert_eq!(
            next_message(Phase::Startup, &ssl),
            Ok(Some((8, Phase::Startup)))
        );
        let startup = [0, 0, 0, 9, 0, 3, 0, 0, 0];
        assert_eq!(
            next_message(Phase::Startup, &startup),
            Ok(Some((9, Phase::Typed)))
        );
        assert!(next_message(Phase::Startup, &[0, 0, 0, 4, 0, 3, 0, 0]).is_err());
    }

    #[test]
    fn the_fatal_answer_is_an_error_response() {
        let response = fatal_response("invalid message format");
        assert_eq!(response[0], b'E');
        assert_eq!(
            read_i32(&response, 1),
            i32::try_from(response.len() - 1).ok()
        );
        let text = String::from_utf8_lossy(&response);
        assert!(text.contains("C08P01\0"));
        assert!(text.contains("Minvalid message format\0"));
    }
}
