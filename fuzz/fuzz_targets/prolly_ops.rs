//! Prolly map operations against a BTreeMap model, with reopens. The body is `vdb_tests::fuzz::prolly_ops`, which the corpus test
//! (`tests/tests/fuzz_corpora.rs`) also runs; its documentation describes the input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vdb_tests::fuzz::prolly_ops(data));
