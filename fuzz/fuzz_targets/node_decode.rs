//! Node decoding never panics: arbitrary bytes decode to an error or to a node whose every
//! accessor stays in bounds.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use vdb_engine::prolly::node::Node;
use vdb_engine::Hash;

fuzz_target!(|data: &[u8]| {
    if let Ok(node) = Node::decode(Hash::of(data), Bytes::copy_from_slice(data)) {
        for i in 0..node.len() {
            let _ = node.key(i);
            let _ = node.entry(i);
        }
        let _ = node.total();
        let _ = node.lower_bound(b"probe");
    }
});
