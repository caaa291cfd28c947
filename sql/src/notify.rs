//! LISTEN / NOTIFY: asynchronous notifications between the sessions of one database, as in
//! PostgreSQL. Each session has a [`Listener`], a mailbox in a process-wide registry holding the
//! channels it listens on and the notifications that reached it. `NOTIFY channel, 'payload'`
//! and `pg_notify(channel, payload)` queue a notification in the sending session; it is
//! delivered when the sender's transaction commits (at once in autocommit), to every session of
//! the same database listening on the channel, the sender included, and dropped if the
//! transaction rolls back. A transaction sends a given channel and payload once. The server
//! takes a session's notifications after each statement and whenever its [`Listener::set_wake`]
//! callback fires, and sends them to the client as NotificationResponse messages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// One notification as the client receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The process ID the sending session reports to its client.
    pub process_id: i32,
    pub channel: String,
    pub payload: String,
}

/// Called when a notification reaches a mailbox (the server wakes the idle connection).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

struct Mailbox {
    /// Which database the session is in: notifications stay within it.
    database: usize,
    /// In the order they were first listened on, as `pg_listening_channels()` lists them.
    channels: Vec<String>,
    queue: Vec<Notification>,
    wake: Option<Wake>,
}

static MAILBOXES: LazyLock<Mutex<HashMap<u64, Mailbox>>> = LazyLock::new(Default::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn mailboxes() -> std::sync::MutexGuard<'static, HashMap<u64, Mailbox>> {
    MAILBOXES.lock().unwrap_or_else(|e| e.into_inner())
}

/// PostgreSQL's limit on a payload, in bytes (22023 beyond it).
pub const MAX_PAYLOAD: usize = 7999;

/// 22023 if `payload` is longer than PostgreSQL allows.
pub fn check_payload(payload: &str) -> crate::error::Result<()> {
    if payload.len() > MAX_PAYLOAD {
        return Err(crate::error::Error::invalid(
            "22023",
            "payload string too long",
        ));
    }
    Ok(())
}

/// A session's mailbox; removed from the registry when dropped.
pub struct Listener {
    id: u64,
    database: usize,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").field("id", &self.id).finish()
    }
}

impl Listener {
    /// A mailbox for a session of `database` (any value that identifies the database within
    /// the process), listening on nothing.
    pub fn new(database: usize) -> Listener {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        mailboxes().insert(
            id,
            Mailbox {
                database,
                channels: Vec::new(),
                queue: Vec::new(),
                wake: None,
            },
        );
        Listener { id, database }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Mailbox) -> T) -> Option<T> {
        mailboxes().get_mut(&self.id).map(f)
    }

    /// The mailbox's number, which [`channels_of`] takes.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// LISTEN `channel`.
    pub fn listen(&self, channel: &str) {
        self.with(|m| {
            if !m.channels.iter().any(|c| c == channel) {
                m.channels.push(channel.to_string());
            }
        });
    }

    /// UNLISTEN `channel`, or every channel with None (`UNLISTEN *`).
    pub fn unlisten(&self, channel: Option<&str>) {
        self.with(|m| match channel {
            Some(channel) => {
                m.channels.retain(|c| c != channel);
            }
            None => m.channels.clear(),
        });
    }

    /// The channels listened on, in LISTEN order.
    pub fn channels(&self) -> Vec<String> {
        channels_of(self.id)
    }

    /// Takes the notifications that have arrived, oldest first.
    pub fn take(&self) -> Vec<Notification> {
        self.with(|m| std::mem::take(&mut m.queue))
            .unwrap_or_default()
    }

    /// A handle that takes this mailbox's notifications from elsewhere (the connection's
    /// socket loop, while the session is idle); it takes nothing once the listener is gone.
    pub fn inbox(&self) -> Inbox {
        Inbox { id: self.id }
    }

    /// Calls `wake` whenever a notification arrives from now on.
    pub fn set_wake(&self, wake: Wake) {
        self.with(|m| m.wake = Some(wake));
    }

    /// Delivers `notifications` (channel, payload) from process `process_id` to every listener
    /// of this database on their channels; each distinct pair once, in first-sent order.
    pub fn send(&self, process_id: i32, notifications: Vec<(String, String)>) {
        let mut distinct: Vec<(String, String)> = Vec::with_capacity(notifications.len());
        for n in notifications {
            if !distinct.contains(&n) {
                distinct.push(n);
            }
        }
        if distinct.is_empty() {
            return;
        }
        let mut wakes = Vec::new();
        {
            let mut boxes = mailboxes();
            for mailbox in boxes.values_mut().filter(|m| m.database == self.database) {
                let before = mailbox.queue.len();
                for (channel, payload) in &distinct {
                    if mailbox.channels.iter().any(|c| c == channel) {
                        mailbox.queue.push(Notification {
                            process_id,
                            channel: channel.clone(),
                            payload: payload.clone(),
                        });
                    }
                }
                if mailbox.queue.len() > before {
                    wakes.extend(mailbox.wake.clone());
                }
            }
        }
        // Outside the registry's lock: a wake may take other locks.
        for wake in wakes {
            wake();
        }
    }
}

/// Takes a [`Listener`]'s notifications without owning it.
#[derive(Clone, Debug)]
pub struct Inbox {
    id: u64,
}

impl Inbox {
    /// Takes the notifications that have arrived, oldest first.
    pub fn take(&self) -> Vec<Notification> {
        mailboxes()
            .get_mut(&self.id)
            .map(|m| std::mem::take(&mut m.queue))
            .unwrap_or_default()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        mailboxes().remove(&self.id);
    }
}

/// The channels mailbox `id` listens on, in LISTEN order (`pg_listening_channels()`); none for an
/// unknown mailbox.
pub fn channels_of(id: u64) -> Vec<String> {
    mailboxes()
        .get(&id)
        .map(|m| m.channels.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_reach_listeners_of_the_same_database_once() {
        let (a, b, other) = (Listener::new(1), Listener::new(1), Listener::new(2));
        a.listen("jobs");
        b.listen("jobs");
        other.listen("jobs");
        let woken = Arc::new(AtomicU64::new(0));
        let counter = woken.clone();
        b.set_wake(Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
        a.send(
            7,
            vec![
                ("jobs".into(), "1".into()),
                ("jobs".into(), "1".into()),
                ("other".into(), "x".into()),
                ("jobs".into(), "2".into()),
            ],
        );
        let payloads =
            |l: &Listener| -> Vec<String> { l.take().into_iter().map(|n| n.payload).collect() };
        assert_eq!(payloads(&a), ["1", "2"], "the sender hears itself");
        assert_eq!(payloads(&b), ["1", "2"]);
        assert!(other.take().is_empty(), "another database hears nothing");
        assert_eq!(woken.load(Ordering::Relaxed), 1);
        b.unlisten(None);
        a.send(7, vec![("jobs".into(), "3".into())]);
        assert!(b.take().is_empty());
        assert_eq!(a.channels(), ["jobs"]);
    }
}
