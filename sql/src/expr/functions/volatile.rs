//! The session state behind the functions whose answers depend on more than their arguments:
//! `random()` after `setseed()`, the transaction id of `txid_current()` /
//! `pg_current_xact_id()`, the clock readings of `timeofday()` and
//! `pg_postmaster_start_time()`, the branch whose sequence marks `nextval` draws through, and
//! what `currval` and `lastval` answer: the values this session drew, whatever other sessions
//! drew since and whether the transaction that drew them committed.
//!
//! The session owns a [`VolatileState`] and lends it to the thread for each statement
//! ([`with_volatile_state`]), so evaluation reads and changes it without a session handle, and
//! two sessions never share a random sequence.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

use vdb_engine::repo::SequenceMarks;
use vdb_engine::value::Value;

use super::Builtin;
use crate::error::{Error, Result};
use crate::types::datetime as dt;

/// What one session's volatile functions remember between calls.
#[derive(Clone, Debug, Default)]
pub struct VolatileState {
    /// The splitmix64 state of `random()` once `setseed` has run (fresh randomness before).
    seed: Option<u64>,
    /// The id of the current transaction, once `txid_current()` has asked for it.
    xid: Option<i64>,
    /// The repository's sequence marks and the session's branch: `nextval` draws through
    /// them (see [`SequenceMarks`]). None for a session without a branch to write.
    sequences: Option<(SequenceMarks, String)>,
    /// `pg_notify(channel, payload)` calls of the running statement, for the session to send.
    notifications: Vec<(String, String)>,
    /// Each sequence's value as `currval` gives it: the last `nextval` (or `setval` with
    /// `is_called`) of this session.
    currvals: HashMap<String, i64>,
    /// The sequence of this session's last `nextval`, for `lastval`.
    last_drawn: Option<String>,
}

impl VolatileState {
    /// Forgets the transaction id: the next statement runs in a new transaction.
    pub fn end_transaction(&mut self) {
        self.xid = None;
    }

    /// Takes the `pg_notify` calls made since the last time.
    pub fn take_notifications(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.notifications)
    }

    /// Draws sequence values through `marks` for `branch` from now on.
    pub fn set_sequence_scope(&mut self, marks: &SequenceMarks, branch: &str) {
        if self.sequences.as_ref().map(|(_, b)| b.as_str()) != Some(branch) {
            self.sequences = Some((marks.clone(), branch.to_string()));
        }
    }
}

/// Runs `f` with the running statement's sequence marks and branch, if it has them.
pub fn with_sequence_scope<T>(f: impl FnOnce(&SequenceMarks, &str) -> T) -> Option<T> {
    STATE.with(|s| {
        s.borrow()
            .sequences
            .as_ref()
            .map(|(marks, branch)| f(marks, branch))
    })
}

thread_local! {
    static STATE: RefCell<VolatileState> = RefCell::new(VolatileState::default());
}

/// Records that this session's `nextval` of `sequence` gave `value` (`drawn`), or that its
/// `setval` set it with `is_called` (which moves `currval` but not `lastval`).
pub fn record_sequence_value(sequence: &str, value: i64, drawn: bool) {
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        state.currvals.insert(sequence.to_string(), value);
        if drawn {
            state.last_drawn = Some(sequence.to_string());
        }
    });
}

/// Forgets what `currval` and `lastval` would answer (DISCARD SEQUENCES, DISCARD ALL).
pub fn forget_sequence_values() {
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        state.currvals.clear();
        state.last_drawn = None;
    });
}

/// Forgets this session's `currval` of `sequence`, which was dropped: a sequence made again
/// under its name is a new one, which this session has not drawn from.
pub fn forget_sequence_value(sequence: &str) {
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        state.currvals.remove(sequence);
        if state.last_drawn.as_deref() == Some(sequence) {
            state.last_drawn = None;
        }
    });
}

/// `currval(sequence)` in this session: `None` before its first `nextval` here.
pub fn session_currval(sequence: &str) -> Option<i64> {
    STATE.with(|s| s.borrow().currvals.get(sequence).copied())
}

/// `lastval()`: the value of this session's last `nextval`; 55000 before any.
fn lastval() -> Result<Value> {
    STATE.with(|s| {
        let state = s.borrow();
        state
            .last_drawn
            .as_ref()
            .and_then(|name| state.currvals.get(name))
            .map(|v| Value::Int8(*v))
            .ok_or_else(|| Error::invalid("55000", "lastval is not yet defined in this session"))
    })
}

/// Runs `f` with `state` as this thread's volatile state, then hands the state back.
pub fn with_volatile_state<T>(state: &mut VolatileState, f: impl FnOnce() -> T) -> T {
    let saved = STATE.with(|s| s.replace(std::mem::take(state)));
    let result = f();
    *state = STATE.with(|s| s.replace(saved));
    result
}

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    Some(match b {
        Builtin::Random => Ok(Value::Float8(random())),
        Builtin::Setseed => setseed(args.first()),
        Builtin::TxidCurrent => Ok(Value::Int8(current_xid())),
        Builtin::LastVal => lastval(),
        Builtin::Timeofday => Ok(Value::Text(timeofday())),
        Builtin::PgNotify => pg_notify(args),
        Builtin::PostmasterStartTime => Ok(Value::TimestampTz(server_start())),
        _ => return None,
    })
}

/// splitmix64: one step of the seeded sequence.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A double in [0, 1): from the session's seeded sequence, or fresh randomness.
#[allow(clippy::cast_precision_loss)]
fn random() -> f64 {
    let bits = STATE.with(|s| match s.borrow_mut().seed.as_mut() {
        Some(state) => splitmix(state),
        None => crate::types::uuid::random_u64(),
    });
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// `setseed(x)`: x in [-1, 1] starts a repeatable sequence, as in PostgreSQL; returns void
/// (sent as an empty string).
#[allow(clippy::cast_possible_truncation)]
/// `pg_notify(channel, payload)`: queues the notification in the running statement's state
/// (the session sends it when its transaction commits); a NULL payload is empty.
fn pg_notify(args: &[Value]) -> Result<Value> {
    let channel = match args.first() {
        Some(Value::Text(c)) if !c.is_empty() => c.clone(),
        _ => return Err(Error::invalid("22023", "channel name cannot be empty")),
    };
    let payload = match args.get(1) {
        Some(Value::Text(p)) => p.clone(),
        _ => String::new(),
    };
    crate::notify::check_payload(&payload)?;
    STATE.with(|s| s.borrow_mut().notifications.push((channel, payload)));
    Ok(Value::Text(String::new()))
}

fn setseed(x: Option<&Value>) -> Result<Value> {
    let x = match x {
        Some(Value::Float8(x)) => *x,
        _ => return Ok(Value::Text(String::new())),
    };
    if !(-1.0..=1.0).contains(&x) {
        return Err(Error::invalid(
            "22023",
            format!("setseed parameter {x} is out of allowed range [-1,1]"),
        ));
    }
    let seed = (x * i64::MAX as f64) as i64;
    STATE.with(|s| s.borrow_mut().seed = Some(seed as u64));
    Ok(Value::Text(String::new()))
}

/// The next transaction id of the server: counted up from the clock's milliseconds at the
/// first call, so ids keep increasing across restarts.
fn next_xid() -> i64 {
    static NEXT: AtomicI64 = AtomicI64::new(0);
    if NEXT.load(Ordering::Relaxed) == 0 {
        let base = (dt::now_utc() / 1000).max(1000);
        let _ = NEXT.compare_exchange(0, base, Ordering::Relaxed, Ordering::Relaxed);
    }
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The current transaction's id, assigned at its first request.
/// The running transaction's id (what `txid_current()` gives): the `xmin` of the rows it
/// writes and the `xmax` of those it deletes or locks.
pub fn transaction_id() -> i64 {
    current_xid()
}

fn current_xid() -> i64 {
    STATE.with(|s| *s.borrow_mut().xid.get_or_insert_with(next_xid))
}

/// The server's start time (pinned by [`mark_server_start`], or at the first call).
fn server_start() -> i64 {
    static START: OnceLock<i64> = OnceLock::new();
    *START.get_or_init(dt::now_utc)
}

/// Pins `pg_postmaster_start_time()` to now if nothing pinned it yet (sessions call it).
pub fn mark_server_start() {
    server_start();
}

/// `timeofday()`: the clock (not the statement's time) as `Sun Nov 22 14:10:42.123456 2026
/// UTC`, in the session zone.
fn timeofday() -> String {
    let utc = dt::now_utc();
    let zone = crate::types::tz::session_zone();
    let f = dt::fields(zone.utc_to_local(utc));
    let day = dt::DAY_NAMES[usize::try_from(dt::day_of_week(f.days)).unwrap_or(0)];
    let month = dt::MONTH_NAMES[usize::try_from(f.month - 1).unwrap_or(0)];
    let secs = f.micros / 1_000_000;
    format!(
        "{} {} {:02} {:02}:{:02}:{:02}.{:06} {} {}",
        &day[..3],
        &month[..3],
        f.day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        f.micros % 1_000_000,
        f.year,
        zone.abbreviation_at_utc(utc)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_repeats_its_sequence() {
        let mut state = VolatileState::default();
        let draw = |state: &mut VolatileState| {
            with_volatile_state(state, || {
                setseed(Some(&Value::Float8(0.25))).map(|_| (random(), random()))
            })
        };
        let a = draw(&mut state).ok();
        let b = draw(&mut state).ok();
        assert_eq!(a, b);
        assert!(a.is_some_and(|(x, y)| x != y && (0.0..1.0).contains(&x)));
    }

    #[test]
    fn a_transaction_keeps_its_id_until_it_ends() {
        let mut state = VolatileState::default();
        let first = with_volatile_state(&mut state, current_xid);
        assert_eq!(with_volatile_state(&mut state, current_xid), first);
        state.end_transaction();
        assert!(with_volatile_state(&mut state, current_xid) > first);
    }
}
