//! SQL never panics. The body is `vdb_tests::fuzz::sql_no_panic`, which the corpus test
//! (`tests/tests/fuzz_corpora.rs`) also runs; its documentation describes the input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vdb_tests::fuzz::sql_no_panic(data));
