//! vdb-tests: end-to-end and cross-crate tests live in `tests/tests/`; this library holds the
//! helpers they share (temporary repositories, the `vdb` binary's path).
#![forbid(unsafe_code)]
