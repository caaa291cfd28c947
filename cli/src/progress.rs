//! A progress line on stderr for long local jobs (`vdb table import`, `vdb table export`):
//! `Importing: 45% (4.5 MiB of 10.0 MiB)`, redrawn in place at most ten times a second, and
//! only when stderr is a terminal, so scripts and logs see just the summary line.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// What a [`Progress`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Rows,
}

/// A progress line toward a known total.
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    unit: Unit,
    total: u64,
    /// `None` when stderr is not a terminal: nothing is drawn.
    last: Option<Instant>,
    drawn: bool,
}

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(100);

impl Progress {
    /// A line for `what` ("Importing") of `total` `unit`s.
    pub fn new(what: &'static str, unit: Unit, total: u64) -> Progress {
        Progress {
            what,
            unit,
            total,
            last: std::io::stderr().is_terminal().then(Instant::now),
            drawn: false,
        }
    }

    /// Reports that `done` units are done; redraws when the last drawing is old enough.
    pub fn set(&mut self, done: u64) {
        let Some(last) = self.last else { return };
        if last.elapsed() < EVERY {
            return;
        }
        self.last = Some(Instant::now());
        self.draw(done, "");
    }

    /// Ends the line (if one was drawn) at `done`.
    pub fn finish(&mut self, done: u64) {
        if self.drawn {
            self.draw(done, "\n");
        }
    }

    fn draw(&mut self, done: u64, end: &str) {
        self.drawn = true;
        let percent = (done.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(100);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{}: {percent:3}% ({} of {}){end}",
            self.what,
            self.amount(done),
            self.amount(self.total)
        );
        let _ = err.flush();
    }

    fn amount(&self, n: u64) -> String {
        match self.unit {
            Unit::Bytes => crate::commands::remote::human_bytes(n),
            Unit::Rows => format!("{n} rows"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_without_a_terminal_and_amounts_read_well() {
        // Tests run with stderr captured or redirected: not a terminal.
        let mut p = Progress::new("Importing", Unit::Rows, 10);
        if p.last.is_none() {
            p.set(5);
            p.finish(10);
            assert!(!p.drawn);
        }
        assert_eq!(p.amount(7), "7 rows");
        let b = Progress::new("Importing", Unit::Bytes, 0);
        assert_eq!(b.amount(2048), "2.0 KiB");
    }
}
