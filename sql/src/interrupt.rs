//! Stopping a running statement: a client's cancel request and `statement_timeout`.
//!
//! A session owns a [`CancelHandle`] that another thread (the wire server, on a
//! CancelRequest) may trigger while a statement runs. For the length of each statement the
//! session [`arm`]s the running thread with that handle and the statement's deadline; every
//! operator that `execution::query` builds is then [`wrap`]ped to check the two as rows flow,
//! and long waits (`pg_sleep`) [`check`] them. A stopped statement fails with SQLSTATE 57014
//! like any other error, so its transaction is rolled back or its block failed, and nothing
//! it wrote is published.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::execution::Rows;
use crate::expr::Row;

/// Requests that the statement a session is running stop. Cloned handles share one flag.
#[derive(Clone, Debug, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    /// Asks the running statement (if any) to stop with "canceling statement due to user
    /// request". A request that finds no statement running is forgotten when the next one
    /// starts, as in PostgreSQL.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Forgets an earlier request (the session calls it as a new statement starts).
    pub(crate) fn reset(&self) {
        self.0.store(false, Ordering::Relaxed);
    }

    pub(crate) fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the running statement must watch.
#[derive(Clone, Debug)]
struct Armed {
    cancel: CancelHandle,
    deadline: Option<Instant>,
}

impl Armed {
    fn check(&self) -> Result<()> {
        if self.cancel.requested() {
            return Err(Error::invalid(
                "57014",
                "canceling statement due to user request",
            ));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::invalid(
                "57014",
                "canceling statement due to statement timeout",
            ));
        }
        Ok(())
    }
}

thread_local! {
    static ARMED: RefCell<Option<Armed>> = const { RefCell::new(None) };
}

/// Disarms the thread (restoring what was armed before) when dropped.
#[must_use]
pub(crate) struct Guard(Option<Armed>);

impl Drop for Guard {
    fn drop(&mut self) {
        let previous = self.0.take();
        ARMED.with(|a| *a.borrow_mut() = previous);
    }
}

/// Arms this thread for one statement: `cancel` stops it, and so does running longer than
/// `timeout` (none: no limit).
pub(crate) fn arm(cancel: &CancelHandle, timeout: Option<Duration>) -> Guard {
    let armed = Armed {
        cancel: cancel.clone(),
        deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
    };
    Guard(ARMED.with(|a| a.borrow_mut().replace(armed)))
}

/// Fails with 57014 if the running statement was canceled or ran out of time.
pub(crate) fn check() -> Result<()> {
    ARMED.with(|a| a.borrow().as_ref().map_or(Ok(()), Armed::check))
}

/// Sleeps for `duration`, waking every few milliseconds to [`check`].
pub(crate) fn sleep(duration: Duration) -> Result<()> {
    let end = Instant::now() + duration;
    loop {
        check()?;
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(Duration::from_millis(10)));
    }
}

/// `rows`, checked as they flow (every row for a cancel, every [`CLOCK_EVERY`] rows for the
/// deadline, whose clock read costs more than an atomic load); unchanged on an unarmed thread.
pub(crate) fn wrap(rows: Rows) -> Rows {
    match ARMED.with(|a| a.borrow().clone()) {
        Some(armed) => Box::new(Checked {
            rows,
            armed,
            count: 0,
        }),
        None => rows,
    }
}

/// How many rows pass between two reads of the clock.
const CLOCK_EVERY: u32 = 1024;

struct Checked {
    rows: Rows,
    armed: Armed,
    count: u32,
}

impl Iterator for Checked {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        self.count = self.count.wrapping_add(1);
        let due = self.armed.cancel.requested()
            || (self.armed.deadline.is_some() && self.count % CLOCK_EVERY == 0);
        if due {
            if let Err(e) = self.armed.check() {
                return Some(Err(e));
            }
        }
        self.rows.next()
    }
}
