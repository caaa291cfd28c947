//! Per-operator statistics for EXPLAIN ANALYZE. While [`collect`] runs a statement, every
//! operator that [`query`](super::query) builds is numbered in the order it is built (which
//! is the plan's pre-order: a node before its inputs, inputs left to right) and its row stream
//! is wrapped to count rows and time: the time to build it (which includes the work of
//! operators that read their input up front, such as sort) plus the time spent in its `next`.
//! Both include the operator's inputs, as PostgreSQL's actual times do. Operators built while
//! rows flow (a recursive term's rounds, subqueries in expressions) are not numbered.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::Row;

/// What one operator did.
#[derive(Clone, Debug, Default)]
pub struct NodeStats {
    pub rows: u64,
    /// Time until the first row (or the end) was returned.
    pub startup: Duration,
    pub total: Duration,
    /// Whether `next` has been called (so `startup` is set).
    pub started: bool,
}

#[derive(Default)]
struct Collector {
    building: bool,
    nodes: Vec<Rc<RefCell<NodeStats>>>,
}

thread_local! {
    static COLLECTOR: RefCell<Option<Collector>> = const { RefCell::new(None) };
}

/// Runs `f` (which builds the operators of one statement) with numbering on, then `drain`
/// (which pulls the rows) with numbering off; returns their results and each numbered
/// operator's statistics in build order.
pub fn collect<T, U>(
    f: impl FnOnce() -> Result<T>,
    drain: impl FnOnce(T) -> Result<U>,
) -> (Result<U>, Vec<NodeStats>) {
    let saved = COLLECTOR.with(|c| {
        c.borrow_mut().replace(Collector {
            building: true,
            nodes: Vec::new(),
        })
    });
    let built = f();
    COLLECTOR.with(|c| {
        if let Some(c) = c.borrow_mut().as_mut() {
            c.building = false;
        }
    });
    let result = built.and_then(drain);
    let collector = COLLECTOR.with(|c| std::mem::replace(&mut *c.borrow_mut(), saved));
    let stats = collector
        .map(|c| c.nodes.iter().map(|n| n.borrow().clone()).collect())
        .unwrap_or_default();
    (result, stats)
}

/// The slot of the operator about to be built, when statistics are being collected.
pub fn enter() -> Option<Rc<RefCell<NodeStats>>> {
    COLLECTOR.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut().filter(|c| c.building)?;
        let node = Rc::new(RefCell::new(NodeStats::default()));
        c.nodes.push(node.clone());
        Some(node)
    })
}

/// Wraps a built operator's rows; `built_in` is how long building it took.
pub fn wrap(node: Rc<RefCell<NodeStats>>, rows: Rows, built_in: Duration) -> Rows {
    node.borrow_mut().total = built_in;
    Box::new(Counted { node, rows })
}

struct Counted {
    node: Rc<RefCell<NodeStats>>,
    rows: Rows,
}

impl Iterator for Counted {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let start = Instant::now();
        let item = self.rows.next();
        let mut node = self.node.borrow_mut();
        node.total += start.elapsed();
        if !node.started {
            node.started = true;
            node.startup = node.total;
        }
        if matches!(item, Some(Ok(_))) {
            node.rows += 1;
        }
        item
    }
}
