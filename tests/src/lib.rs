//! vdb-tests: end-to-end and cross-crate tests live in `tests/tests/`; this library holds the
//! helpers they share: what the crash test's child does ([`crash`]) and the bodies of the fuzz
//! targets ([`fuzz`]), which `fuzz/` and the corpus test both run.
#![forbid(unsafe_code)]

pub mod crash;
pub mod fuzz;
