//! Each fuzz target over its checked-in corpus (`fuzz/corpus/<target>/`), then over seeded
//! random mutations of those inputs: a short, uninstrumented run of every target in the
//! ordinary test run. Coverage-guided runs with sanitizers are `cargo fuzz run <target>` (see
//! docs/testing.md); what they find is added to the corpus and so replayed here for good.
//!
//! The mutations come from a fixed seed, so a test run is reproducible and a red CI run is
//! never the luck of the clock; `VDB_FUZZ_SEED=N` picks another seed and `VDB_FUZZ_SEED=time`
//! a fresh one (printed, to replay). `VDB_FUZZ_MUTATIONS` sets how many mutated inputs each
//! target gets (default 2000). Longer random runs belong to `cargo fuzz`; what they find joins
//! the corpus.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use vdb_tests::fuzz::{Mutator, TARGETS};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).expect("a corpus file"))
        .collect()
}

/// The seed of an ordinary test run.
const DEFAULT_SEED: u64 = 20_261_122;

/// Panics on any thread: a server's connection task that panics is contained by tokio and
/// would go unnoticed, but a fuzzer counts it as a crash, and so does this test.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            report(info);
        }));
    });
}

fn run(name: &str) {
    count_panics();
    let (_, target) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a known target");
    let inputs = corpus(name);
    assert!(!inputs.is_empty(), "{name} has a seed corpus");
    for input in &inputs {
        target(input);
    }
    let seed = match std::env::var("VDB_FUZZ_SEED").as_deref() {
        Ok("time") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
        Ok(n) => n.parse().expect("VDB_FUZZ_SEED is a number or `time`"),
        Err(_) => DEFAULT_SEED,
    };
    let mutations: usize = std::env::var("VDB_FUZZ_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    eprintln!(
        "{name}: {} corpus inputs, {mutations} mutations, VDB_FUZZ_SEED={seed}",
        inputs.len()
    );
    let mut mutator = Mutator::new(seed);
    for i in 0..mutations {
        let input = &inputs[i % inputs.len()];
        let other = &inputs[(i * 7 + 3) % inputs.len()];
        let mutated = mutator.mutate(input, other);
        target(&mutated);
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a panic on some thread");
}

#[test]
fn prolly_ops() {
    run("prolly_ops");
}

#[test]
fn node_decode() {
    run("node_decode");
}

#[test]
fn merge_naive() {
    run("merge_naive");
}

#[test]
fn sql_no_panic() {
    run("sql_no_panic");
}

#[test]
fn protocol() {
    run("protocol");
}
