//! Advisory locks: `pg_advisory_lock` and its family. A lock is named by a bigint (or by two
//! integers, a separate key space, as in PostgreSQL) within one repository, is held by a
//! session until it is unlocked or the session ends (or, for the `_xact_` forms, until the
//! holder's transaction ends), and is exclusive or shared. A session may take a lock it holds
//! again (each take needs its own unlock); another session waits for an exclusive lock while
//! anyone else holds it, and for a shared one while anyone else holds it exclusively. Waiting
//! is in short slices, between which a cancel or `statement_timeout` can stop it (57014).
//!
//! vdb's own data needs none of this (a writer waits for the locks of its rows, see
//! `vdb_engine::repo::locks`); these are the application-level mutexes that migration tools and
//! job queues take.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::error::Result;

/// A lock's name: the repository it belongs to, the key space (1: one bigint, 2: two
/// integers) and the key.
type LockKey = (usize, u8, i64);

/// One session's hold on a lock, of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hold {
    session: u64,
    shared: bool,
    transaction: bool,
    count: u32,
}

#[derive(Default)]
struct Table {
    locks: HashMap<LockKey, Vec<Hold>>,
}

fn table() -> &'static (Mutex<Table>, Condvar) {
    static TABLE: OnceLock<(Mutex<Table>, Condvar)> = OnceLock::new();
    TABLE.get_or_init(|| (Mutex::new(Table::default()), Condvar::new()))
}

fn lock_table() -> MutexGuard<'static, Table> {
    table().0.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a lock is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// The repository (its address in memory: one per database the server serves).
    pub database: usize,
    /// The asking session ([`crate::notify::Listener::id`]).
    pub session: u64,
    /// 1 for a bigint key, 2 for a pair of integers.
    pub space: u8,
    pub key: i64,
    pub shared: bool,
    /// Held until the transaction ends rather than until unlocked.
    pub transaction: bool,
}

impl Request {
    fn lock_key(&self) -> LockKey {
        (self.database, self.space, self.key)
    }
}

/// Whether `holds` let `request` take its lock now.
fn grantable(holds: &[Hold], request: &Request) -> bool {
    holds
        .iter()
        .all(|h| h.session == request.session || (h.shared && request.shared))
}

/// Takes the lock, waiting (unless `wait` is false) while others hold it in a conflicting
/// way; whether it was taken.
pub fn acquire(request: Request, wait: bool) -> Result<bool> {
    let (_, changed) = table();
    let mut locks = lock_table();
    loop {
        let holds = locks.locks.entry(request.lock_key()).or_default();
        if grantable(holds, &request) {
            let mine = holds.iter_mut().find(|h| {
                h.session == request.session
                    && h.shared == request.shared
                    && h.transaction == request.transaction
            });
            match mine {
                Some(hold) => hold.count += 1,
                None => holds.push(Hold {
                    session: request.session,
                    shared: request.shared,
                    transaction: request.transaction,
                    count: 1,
                }),
            }
            return Ok(true);
        }
        if !wait {
            return Ok(false);
        }
        locks = changed
            .wait_timeout(locks, Duration::from_millis(20))
            .unwrap_or_else(|e| e.into_inner())
            .0;
        if let Err(e) = crate::interrupt::check() {
            drop(locks);
            return Err(e);
        }
    }
}

/// Gives back one session-level take of the lock; false (and PostgreSQL's WARNING) when the
/// session holds none of that kind.
pub fn release(request: Request) -> bool {
    let mut locks = lock_table();
    let key = request.lock_key();
    let released = locks.locks.get_mut(&key).is_some_and(|holds| {
        let Some(at) = holds.iter().position(|h| {
            h.session == request.session && h.shared == request.shared && !h.transaction
        }) else {
            return false;
        };
        holds[at].count -= 1;
        if holds[at].count == 0 {
            holds.remove(at);
        }
        true
    });
    tidy(&mut locks, key);
    drop(locks);
    if released {
        table().1.notify_all();
    } else {
        let mode = if request.shared {
            "ShareLock"
        } else {
            "ExclusiveLock"
        };
        crate::notice::raise(crate::notice::Notice::warning(
            "01000",
            format!("you don't own a lock of type {mode}"),
        ));
    }
    released
}

/// Drops a lock's entry once nobody holds it.
fn tidy(locks: &mut Table, key: LockKey) {
    if locks.locks.get(&key).is_some_and(Vec::is_empty) {
        locks.locks.remove(&key);
    }
}

/// Gives back the session's locks: the transaction-level ones (`transaction_only`, when its
/// transaction ends) or all of them (`pg_advisory_unlock_all`'s session-level ones too, and
/// when the session ends).
pub fn release_session(session: u64, transaction_only: bool) {
    let mut locks = lock_table();
    let mut released = false;
    locks.locks.retain(|_, holds| {
        let before = holds.len();
        holds.retain(|h| h.session != session || (transaction_only && !h.transaction));
        released |= holds.len() != before;
        !holds.is_empty()
    });
    drop(locks);
    if released {
        table().1.notify_all();
    }
}

/// `pg_advisory_unlock_all()`: the session-level locks only (a transaction's stay until it
/// ends, as in PostgreSQL).
pub fn release_session_level(session: u64) {
    let mut locks = lock_table();
    locks.locks.retain(|_, holds| {
        holds.retain(|h| h.session != session || h.transaction);
        !holds.is_empty()
    });
    drop(locks);
    table().1.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(session: u64, key: i64, shared: bool) -> Request {
        Request {
            database: 7,
            session,
            space: 1,
            key,
            shared,
            transaction: false,
        }
    }

    #[test]
    fn exclusive_and_shared_locks_conflict_as_in_postgresql() {
        // Sessions 901.. so that no other test's sessions share these locks.
        assert!(acquire(request(901, 1, false), false).unwrap());
        assert!(
            acquire(request(901, 1, false), false).unwrap(),
            "re-entrant"
        );
        assert!(!acquire(request(902, 1, false), false).unwrap());
        assert!(!acquire(request(902, 1, true), false).unwrap());
        assert!(release(request(901, 1, false)));
        assert!(
            !acquire(request(902, 1, false), false).unwrap(),
            "one take left"
        );
        assert!(release(request(901, 1, false)));
        assert!(!release(request(901, 1, false)), "nothing left to release");
        assert!(acquire(request(902, 1, true), false).unwrap());
        assert!(
            acquire(request(903, 1, true), false).unwrap(),
            "shared with shared"
        );
        assert!(!acquire(request(901, 1, false), false).unwrap());
        release_session(902, false);
        release_session(903, false);
        assert!(acquire(request(901, 1, false), false).unwrap());
        release_session(901, false);
        assert!(lock_table().locks.keys().all(|k| k.2 != 1));
    }

    #[test]
    fn transaction_locks_go_when_the_transaction_ends() {
        let mut xact = request(911, 2, false);
        xact.transaction = true;
        assert!(acquire(xact, false).unwrap());
        assert!(acquire(request(911, 3, false), false).unwrap());
        assert!(!acquire(request(912, 2, false), false).unwrap());
        release_session(911, true);
        assert!(acquire(request(912, 2, false), false).unwrap());
        assert!(
            !acquire(request(912, 3, false), false).unwrap(),
            "session lock stays"
        );
        release_session_level(911);
        assert!(acquire(request(912, 3, false), false).unwrap());
        release_session(912, false);
    }

    #[test]
    fn a_waiter_gets_the_lock_when_it_is_released() {
        assert!(acquire(request(921, 4, false), false).unwrap());
        let waiter = std::thread::spawn(|| acquire(request(922, 4, false), true).unwrap());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished());
        assert!(release(request(921, 4, false)));
        assert!(waiter.join().unwrap());
        release_session(922, false);
    }
}
