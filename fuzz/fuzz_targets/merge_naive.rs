//! Three-way merge of prolly maps against a naive merge over BTreeMaps. The body is `vdb_tests::fuzz::merge::run`, which the corpus test
//! (`tests/tests/fuzz_corpora.rs`) also runs; its documentation describes the input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vdb_tests::fuzz::merge::run(data));
