//! vdb-tests: end-to-end and cross-crate tests live in `tests/tests/`; this library holds the
//! helpers they share: what the crash test's child does ([`crash`]).
#![forbid(unsafe_code)]

pub mod crash;
