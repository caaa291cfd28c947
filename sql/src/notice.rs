//! NOTICE and WARNING messages: what a statement tells the client besides its result, as
//! PostgreSQL's `ereport(NOTICE, ...)` does (`table "x" does not exist, skipping`, `there is
//! no transaction in progress`).
//!
//! The code that decides a notice (deep in DDL execution, or the session's transaction
//! control) calls [`raise`], which appends it to the running thread's pending list; a
//! statement runs on one thread from planning to its result. After each statement the
//! session moves the pending notices that `client_min_messages` lets through into its own
//! queue, and the caller drains that queue with `Session::take_notices` (or gets each
//! statement's with its result from `Session::execute_script_with_notices`).
//! The wire layer sends each one as a NoticeResponse before the statement's CommandComplete;
//! `vdb sql` prints them on stderr as psql does.

use std::cell::RefCell;
use std::fmt;

/// How serious a notice is; the order is PostgreSQL's, so `client_min_messages` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Helpful information (`NOTICE`): a skipped IF EXISTS, a CASCADE's dependents.
    Notice,
    /// Something is probably wrong (`WARNING`): COMMIT without a transaction.
    Warning,
    /// What the client asked to be told (`INFO`, PL/pgSQL's `RAISE INFO`): sent whatever
    /// `client_min_messages` says.
    Info,
}

impl Severity {
    /// The severity as PostgreSQL names it in the S and V fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "NOTICE",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }

    /// Whether a notice of this severity reaches a client whose `client_min_messages` is
    /// `setting` (`debug5`..`debug1`, `log`, `notice`, `warning`, `error`).
    pub fn reaches(self, setting: &str) -> bool {
        if self == Severity::Info {
            return true;
        }
        let minimum = match setting.trim().to_ascii_lowercase().as_str() {
            "warning" => Severity::Warning,
            // Only errors (never sent as notices) pass `error`.
            "error" | "fatal" | "panic" => return false,
            _ => Severity::Notice,
        };
        self >= minimum
    }
}

/// One notice, with the fields PostgreSQL fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub severity: Severity,
    /// The SQLSTATE (`00000` for a plain notice, `42P07`, `25P01`...).
    pub code: &'static str,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Notice {
    /// A NOTICE with SQLSTATE `code`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Notice {
        Notice {
            severity: Severity::Notice,
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// A WARNING with SQLSTATE `code`.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Notice {
        Notice {
            severity: Severity::Warning,
            ..Notice::new(code, message)
        }
    }

    /// The notice with a DETAIL line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Notice {
        self.detail = Some(detail.into());
        self
    }
}

/// psql's rendering: `NOTICE:  message`, then `DETAIL:  ...` and `HINT:  ...` lines.
impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity.as_str(), self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\nDETAIL:  {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nHINT:  {hint}")?;
        }
        Ok(())
    }
}

thread_local! {
    /// Notices raised on this thread since the session last took them.
    static PENDING: RefCell<Vec<Notice>> = const { RefCell::new(Vec::new()) };
}

/// Reports `notice` for the statement running on this thread.
pub fn raise(notice: Notice) {
    PENDING.with(|pending| pending.borrow_mut().push(notice));
}

/// `NOTICE: <what> does not exist, skipping` (SQLSTATE 00000), what a DROP ... IF EXISTS
/// of a missing object says.
pub fn skipping_missing(what: impl fmt::Display) {
    raise(Notice::new(
        "00000",
        format!("{what} does not exist, skipping"),
    ));
}

/// `NOTICE: <what> already exists, skipping` with SQLSTATE `code`, what a CREATE ... IF NOT
/// EXISTS of an existing object says.
pub fn skipping_existing(code: &'static str, what: impl fmt::Display) {
    raise(Notice::new(
        code,
        format!("{what} already exists, skipping"),
    ));
}

/// `NOTICE: drop cascades to ...` for the objects a DROP ... CASCADE also dropped, each
/// described as PostgreSQL describes it (`view v`, `table s.a`): one object by itself, more
/// as a count with the list in DETAIL.
pub fn drop_cascades(objects: &[String]) {
    match objects {
        [] => {}
        [one] => raise(Notice::new("00000", format!("drop cascades to {one}"))),
        many => {
            let detail: Vec<String> = many
                .iter()
                .map(|o| format!("drop cascades to {o}"))
                .collect();
            raise(
                Notice::new(
                    "00000",
                    format!("drop cascades to {} other objects", many.len()),
                )
                .with_detail(detail.join("\n")),
            );
        }
    }
}

/// The notices raised on this thread since the last call, oldest first.
pub(crate) fn take_pending() -> Vec<Notice> {
    PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()))
}

/// How many notices are pending (a mark to [`truncate_pending`] back to).
pub(crate) fn pending_len() -> usize {
    PENDING.with(|pending| pending.borrow().len())
}

/// Forgets the notices raised after mark `len`: those of an attempt that runs again.
pub(crate) fn truncate_pending(len: usize) {
    PENDING.with(|pending| pending.borrow_mut().truncate(len));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_min_messages_filters_by_level() {
        assert!(Severity::Notice.reaches("notice"));
        assert!(Severity::Notice.reaches("DEBUG1"));
        assert!(!Severity::Notice.reaches("warning"));
        assert!(Severity::Warning.reaches("warning"));
        assert!(!Severity::Warning.reaches("error"));
    }

    #[test]
    fn renders_as_psql_prints() {
        let notice = Notice::new("00000", "drop cascades to 2 other objects")
            .with_detail("drop cascades to view v\ndrop cascades to view w");
        assert_eq!(
            notice.to_string(),
            "NOTICE:  drop cascades to 2 other objects\nDETAIL:  drop cascades to view v\ndrop cascades to view w"
        );
    }
}
