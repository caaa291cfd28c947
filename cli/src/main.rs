//! The `vdb` command line (placeholder until the CLI issue lands).
#![forbid(unsafe_code)]
fn main() {}
